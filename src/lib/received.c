/*
 * received.c - checks on what a peer sent (see received.h).  Every
 * message names the parcel and the object, so a refusal in refused.log
 * says what was wrong and where.
 */
#include "strata/received.h"
#include "strata/commit.h"
#include "strata/dataset.h"
#include "strata/json.h"
#include "strata/util.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* Reads a varint of git's pack entry header or delta header. */
static int get_varint(uint64_t *out, const unsigned char **p, const unsigned char *end)
{
	uint64_t v = 0;
	int shift = 0;
	while (*p < end && shift < 63) {
		unsigned char c = *(*p)++;
		v |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* One entry of a scanned pack: where its zlib data starts, and its base if a delta. */
typedef struct {
	size_t hdr_off, data_off;
	uint64_t size;		/* inflated size of the entry's data */
	int type;		/* 1..4, 6 (OFS_DELTA) or 7 (REF_DELTA) */
	uint64_t ofs;		/* OFS_DELTA: distance back to the base entry */
	git_oid base;		/* REF_DELTA */
} pack_slot;

static int scan_pack(const void *pack, size_t len, uint64_t objects, const char *what, pack_slot *slots);

int strata_received_scan_pack(const void *pack, size_t len, uint64_t objects, const char *what)
{
	return scan_pack(pack, len, objects, what, NULL);
}

/* `slots`, when not NULL, has room for `objects` entries and is filled in. */
static int scan_pack(const void *pack, size_t len, uint64_t objects, const char *what, pack_slot *slots)
{
	const unsigned char *d = pack, *pos, *end;
	unsigned char scratch[65536], sum[20];
	uint64_t count, total = 0;
	z_stream zs;
	int error = STRATA_ERROR;

	if (len < 32 || memcmp(d, "PACK", 4) || d[4] || d[5] || d[6] || (d[7] != 2 && d[7] != 3))
		return strata_error_set("'%s': objects.pack is not a git pack", what);
	count = ((uint64_t)d[8] << 24) | ((uint64_t)d[9] << 16) | ((uint64_t)d[10] << 8) | d[11];
	if (count != objects)
		return strata_error_set("'%s': objects.pack holds %llu objects but the manifest says %llu",
					what, (unsigned long long)count, (unsigned long long)objects);
	if (count > STRATA_PACK_OBJECTS_MAX)
		return strata_error_set("'%s': objects.pack holds %llu objects, over the limit of %u",
					what, (unsigned long long)count, STRATA_PACK_OBJECTS_MAX);
	EVP_Digest(d, len - 20, sum, NULL, EVP_sha1(), NULL);
	if (memcmp(sum, d + len - 20, 20))
		return strata_error_set("'%s': objects.pack checksum mismatch", what);
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return strata_error_set("cannot inflate");
	pos = d + 12;
	end = d + len - 20;
	for (uint64_t i = 0; i < count; i++) {
		size_t off = (size_t)(pos - d);
		unsigned char c;
		int type, shift = 4, zrc;
		uint64_t size, got = 0;

		if (pos >= end)
			goto truncated;
		c = *pos++;
		type = (c >> 4) & 7;
		size = c & 0x0f;
		while (c & 0x80) {
			if (pos >= end || shift > 60)
				goto truncated;
			c = *pos++;
			size |= (uint64_t)(c & 0x7f) << shift;
			shift += 7;
		}
		if (type == 0 || type == 5) {
			strata_error_set("'%s': objects.pack entry %llu (offset %zu) has invalid type %d",
					 what, (unsigned long long)i, off, type);
			goto done;
		}
		if (size > STRATA_PACK_OBJECT_MAX) {
			strata_error_set("'%s': objects.pack entry %llu declares %llu bytes, over the limit of %zu",
					 what, (unsigned long long)i, (unsigned long long)size, STRATA_PACK_OBJECT_MAX);
			goto done;
		}
		if (slots) {
			slots[i].hdr_off = off;
			slots[i].size = size;
			slots[i].type = type;
			slots[i].ofs = 0;
		}
		if (type == 6) {	/* OFS_DELTA: a negative offset (git's varint: +1 per continuation) */
			uint64_t ofs = 0;
			int first = 1;
			do {
				if (pos >= end)
					goto truncated;
				c = *pos++;
				if (!first)
					ofs += 1;
				first = 0;
				ofs = (ofs << 7) | (c & 0x7f);
			} while ((c & 0x80) && ofs < ((uint64_t)1 << 56));
			if (ofs == 0 || ofs > off) {
				strata_error_set("'%s': objects.pack entry %llu (offset %zu) is a delta whose base "
						 "is not an earlier entry", what, (unsigned long long)i, off);
				goto done;
			}
			if (slots)
				slots[i].ofs = ofs;
		} else if (type == 7) {
			if ((size_t)(end - pos) < 20)
				goto truncated;
			if (slots)
				git_oid_fromraw(&slots[i].base, pos);
			pos += 20;
		}
		if (slots)
			slots[i].data_off = (size_t)(pos - d);
		if (inflateReset(&zs) != Z_OK)
			goto truncated;
		zs.next_in = (unsigned char *)pos;
		zs.avail_in = (uInt)((size_t)(end - pos) > 0x7fffffff ? 0x7fffffff : (size_t)(end - pos));
		do {
			zs.next_out = scratch;
			zs.avail_out = sizeof(scratch);
			zrc = inflate(&zs, Z_NO_FLUSH);
			if (zrc != Z_OK && zrc != Z_STREAM_END) {
				strata_error_set("'%s': objects.pack entry %llu (offset %zu) is not valid zlib data",
						 what, (unsigned long long)i, off);
				goto done;
			}
			if (got == 0 && (type == 6 || type == 7)) {
				const unsigned char *q = scratch, *qe = scratch + (sizeof(scratch) - zs.avail_out);
				uint64_t src, dst;
				if (get_varint(&src, &q, qe) < 0 || get_varint(&dst, &q, qe) < 0 ||
				    src > STRATA_PACK_OBJECT_MAX || dst > STRATA_PACK_OBJECT_MAX) {
					strata_error_set("'%s': objects.pack entry %llu: delta sizes missing or over the "
							 "limit of %zu bytes", what, (unsigned long long)i, STRATA_PACK_OBJECT_MAX);
					goto done;
				}
				total += dst;
			}
			got += sizeof(scratch) - zs.avail_out;
			if (got > size) {
				strata_error_set("'%s': objects.pack entry %llu inflates past its declared %llu bytes",
						 what, (unsigned long long)i, (unsigned long long)size);
				goto done;
			}
		} while (zrc != Z_STREAM_END && zs.avail_in > 0);
		if (zrc != Z_STREAM_END || got != size) {
			strata_error_set("'%s': objects.pack entry %llu is truncated or its size is wrong",
					 what, (unsigned long long)i);
			goto done;
		}
		total += type == 6 || type == 7 ? 0 : size;
		if (total > STRATA_PACK_INFLATED_MAX) {
			strata_error_set("'%s': objects.pack inflates to more than %llu bytes", what,
					 (unsigned long long)STRATA_PACK_INFLATED_MAX);
			goto done;
		}
		pos = zs.next_in;
	}
	if (pos != end) {
		strata_error_set("'%s': objects.pack has %zu bytes after its last object", what, (size_t)(end - pos));
		goto done;
	}
	error = 0;
	goto done;
truncated:
	strata_error_set("'%s': objects.pack is truncated", what);
done:
	inflateEnd(&zs);
	return error;
}

/*
 * --- resolving a pack before the indexer sees it ---
 *
 * libgit2's indexer, given a delta whose base is the delta's own result
 * (or a cycle of them through objects it fetches from the odb to complete
 * a thin pack), follows the chain for ever and grows without bound.  So
 * every delta is resolved here first, in pack order, under fixed bounds:
 * a REF_DELTA's base is an earlier object of the pack or an object the
 * node holds, an OFS_DELTA's an earlier entry; no object twice; no
 * object both in the pack and the held base of a delta; chains at most
 * STRATA_PACK_DELTA_DEPTH_MAX long.  What passes is a forest of chains
 * that all end at a full object, which the indexer resolves in bounded
 * memory.  Resolved objects that may serve as bases are kept up to
 * RESOLVE_CACHE_MAX bytes, the rest are rebuilt from the pack.
 */
#define RESOLVE_CACHE_MAX ((size_t)64 << 20)

typedef struct {
	const unsigned char *pack;
	const char *what;
	git_odb *known;
	pack_slot *slots;
	uint64_t count;
	git_oid *ids;		/* ids[i]: entry i's object, once resolved */
	int *otype;		/* its object type (1..4) */
	unsigned char *depth;
	unsigned char **cache;	/* resolved contents kept, or NULL */
	size_t *cache_len;
	size_t cached;		/* bytes in cache */
	strata_oidset in_pack;	/* id -> entry index */
	strata_oidset held_bases;
	strata_oidset bases;	/* every REF_DELTA base named: worth caching */
	z_stream zs;
} resolver;

static const char *type_name(int t)
{
	return t == 1 ? "commit" : t == 2 ? "tree" : t == 3 ? "blob" : "tag";
}

static int inflate_entry(resolver *r, uint64_t i, unsigned char **out)
{
	const pack_slot *e = &r->slots[i];
	unsigned char *buf = malloc(e->size ? e->size : 1);

	*out = NULL;
	if (!buf)
		return strata_error_set("out of memory");
	if (inflateReset(&r->zs) != Z_OK)
		goto bad;
	r->zs.next_in = (unsigned char *)r->pack + e->data_off;
	r->zs.avail_in = 0x7fffffff;	/* the scan proved the stream ends inside the pack */
	r->zs.next_out = buf;
	r->zs.avail_out = (uInt)e->size;
	if (inflate(&r->zs, Z_FINISH) != Z_STREAM_END || r->zs.avail_out != 0)
		goto bad;
	*out = buf;
	return 0;
bad:
	free(buf);
	return strata_error_set("'%s': objects.pack entry %llu does not inflate", r->what, (unsigned long long)i);
}

/* git's patch-delta, every copy and insert checked against both buffers. */
static int apply_delta(resolver *r, uint64_t i, const unsigned char *base, size_t blen,
		       const unsigned char *delta, size_t dlen, unsigned char **out, size_t *olen)
{
	const unsigned char *p = delta, *end = delta + dlen;
	uint64_t src, dst;
	unsigned char *res = NULL;
	size_t at = 0;

	*out = NULL;
	if (get_varint(&src, &p, end) < 0 || get_varint(&dst, &p, end) < 0)
		goto bad;
	if (src != blen)
		return strata_error_set("'%s': objects.pack entry %llu is a delta for a base of %llu bytes, "
					"but its base has %zu", r->what, (unsigned long long)i,
					(unsigned long long)src, blen);
	if (dst > STRATA_PACK_OBJECT_MAX)
		goto bad;
	if ((res = malloc(dst ? dst : 1)) == NULL)
		return strata_error_set("out of memory");
	while (p < end) {
		unsigned char c = *p++;
		if (c & 0x80) {
			uint64_t off = 0, n = 0;
			for (int k = 0; k < 4; k++)
				if (c & (1 << k)) {
					if (p >= end)
						goto bad;
					off |= (uint64_t)*p++ << (8 * k);
				}
			for (int k = 0; k < 3; k++)
				if (c & (0x10 << k)) {
					if (p >= end)
						goto bad;
					n |= (uint64_t)*p++ << (8 * k);
				}
			if (n == 0)
				n = 0x10000;
			if (off + n > blen || n > dst - at)
				goto bad;
			memcpy(res + at, base + off, n);
			at += n;
		} else if (c) {
			if (c > (size_t)(end - p) || c > dst - at)
				goto bad;
			memcpy(res + at, p, c);
			p += c;
			at += c;
		} else {
			goto bad;
		}
	}
	if (at != dst)
		goto bad;
	*out = res;
	*olen = at;
	return 0;
bad:
	free(res);
	return strata_error_set("'%s': objects.pack entry %llu is not a valid delta", r->what, (unsigned long long)i);
}

/* The content of entry i (already resolved, or being resolved by its index order). */
static int materialize(resolver *r, uint64_t i, unsigned char **out, size_t *olen, int *otype, unsigned depth);

/* The base of delta entry i: its content, type, depth, and whether it is held (outside the pack). */
static int delta_base(resolver *r, uint64_t i, unsigned char **out, size_t *olen, int *otype, unsigned depth,
		      int *held, unsigned *bdepth)
{
	const pack_slot *e = &r->slots[i];
	char hex[GIT_OID_HEXSZ + 1];
	size_t j;

	*held = 0;
	*bdepth = 0;
	if (e->type == 6) {
		/* the entry that starts exactly ofs bytes earlier: slots are sorted by offset */
		size_t want = e->hdr_off - e->ofs, lo = 0, hi = i;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (r->slots[mid].hdr_off < want)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= i || r->slots[lo].hdr_off != want)
			return strata_error_set("'%s': objects.pack entry %llu is a delta whose base offset is "
						"not the start of an entry", r->what, (unsigned long long)i);
		*bdepth = r->depth[lo];
		return materialize(r, lo, out, olen, otype, depth + 1);
	}
	git_oid_tostr(hex, sizeof(hex), &e->base);
	if (strata_oidset_find(&r->in_pack, &e->base, &j)) {
		*bdepth = r->depth[j];
		return materialize(r, j, out, olen, otype, depth + 1);
	}
	{
		git_odb_object *o = NULL;
		size_t n;
		if (!r->known || git_odb_read(&o, r->known, &e->base) < 0) {
			git_error_clear();
			return strata_error_set("'%s': objects.pack entry %llu is a delta against %.12s, which is "
						"neither earlier in the pack nor held by this node", r->what,
						(unsigned long long)i, hex);
		}
		n = git_odb_object_size(o);
		*otype = (int)git_odb_object_type(o);
		if (n > STRATA_PACK_OBJECT_MAX || (*out = malloc(n ? n : 1)) == NULL) {
			git_odb_object_free(o);
			return strata_error_set("out of memory");
		}
		memcpy(*out, git_odb_object_data(o), n);
		*olen = n;
		git_odb_object_free(o);
		*held = 1;
	}
	return 0;
}

static int materialize(resolver *r, uint64_t i, unsigned char **out, size_t *olen, int *otype, unsigned depth)
{
	const pack_slot *e = &r->slots[i];
	unsigned char *data = NULL, *base = NULL;
	size_t blen = 0;
	unsigned bdepth;
	int held, error;

	*out = NULL;
	if (r->cache[i]) {
		if ((*out = malloc(r->cache_len[i] ? r->cache_len[i] : 1)) == NULL)
			return strata_error_set("out of memory");
		memcpy(*out, r->cache[i], r->cache_len[i]);
		*olen = r->cache_len[i];
		*otype = r->otype[i];
		return 0;
	}
	if (depth > STRATA_PACK_DELTA_DEPTH_MAX)
		return strata_error_set("'%s': objects.pack entry %llu ends a chain of more than %d deltas",
					r->what, (unsigned long long)i, STRATA_PACK_DELTA_DEPTH_MAX);
	if ((error = inflate_entry(r, i, &data)) < 0)
		return error;
	if (e->type != 6 && e->type != 7) {
		*out = data;
		*olen = e->size;
		*otype = e->type;
		return 0;
	}
	if ((error = delta_base(r, i, &base, &blen, otype, depth, &held, &bdepth)) == 0)
		error = apply_delta(r, i, base, blen, data, e->size, out, olen);
	free(base);
	free(data);
	return error;
}

static int resolve_one(resolver *r, uint64_t i)
{
	const pack_slot *e = &r->slots[i];
	unsigned char *data = NULL, *base = NULL;
	size_t len = 0, blen = 0, prev;
	unsigned bdepth = 0;
	int type = e->type, held = 0, error;
	char hex[GIT_OID_HEXSZ + 1], hdr[64];
	int hlen;
	EVP_MD_CTX *sha = NULL;
	unsigned char raw[20];

	if (e->type == 6 || e->type == 7) {
		if ((error = inflate_entry(r, i, &data)) < 0 ||
		    (error = delta_base(r, i, &base, &blen, &type, 1, &held, &bdepth)) < 0)
			goto done;
		if (bdepth + 1 > STRATA_PACK_DELTA_DEPTH_MAX) {
			error = strata_error_set("'%s': objects.pack entry %llu ends a chain of more than %d deltas",
						 r->what, (unsigned long long)i, STRATA_PACK_DELTA_DEPTH_MAX);
			goto done;
		}
		r->depth[i] = (unsigned char)(bdepth + 1);
		{
			unsigned char *res = NULL;
			if ((error = apply_delta(r, i, base, blen, data, e->size, &res, &len)) < 0)
				goto done;
			free(data);
			data = res;
		}
		if (held && (error = strata_oidset_add(&r->held_bases, &e->base)) < 0)
			goto done;
	} else if ((error = inflate_entry(r, i, &data)) < 0) {
		goto done;
	} else {
		len = e->size;
	}
	if (type < 1 || type > 4) {
		error = strata_error_set("'%s': objects.pack entry %llu resolves to an invalid type", r->what,
					 (unsigned long long)i);
		goto done;
	}
	hlen = snprintf(hdr, sizeof(hdr), "%s %zu", type_name(type), len) + 1;
	if ((sha = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(sha, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(sha, hdr, (size_t)hlen) != 1 || EVP_DigestUpdate(sha, data, len) != 1 ||
	    EVP_DigestFinal_ex(sha, raw, NULL) != 1) {
		error = strata_error_ssl("cannot hash a received object");
		goto done;
	}
	git_oid_fromraw(&r->ids[i], raw);
	r->otype[i] = type;
	git_oid_tostr(hex, sizeof(hex), &r->ids[i]);
	if (e->type == 7 && git_oid_equal(&r->ids[i], &e->base)) {	/* OFS_DELTA bases lie before */
		error = strata_error_set("'%s': objects.pack entry %llu is a delta whose base is itself (%s %.12s)",
					 r->what, (unsigned long long)i, type_name(type), hex);
		goto done;
	}
	prev = r->in_pack.n;
	if ((error = strata_oidset_put(&r->in_pack, &r->ids[i], (size_t)i)) < 0)
		goto done;
	if (r->in_pack.n == prev) {
		error = strata_error_set("'%s': objects.pack holds %s %.12s twice", r->what, type_name(type), hex);
		goto done;
	}
	/* keep it if a later delta may name it */
	if ((strata_oidset_contains(&r->bases, &r->ids[i]) || (i + 1 < r->count && r->slots[i + 1].type == 6)) &&
	    r->cached + len <= RESOLVE_CACHE_MAX) {
		r->cache[i] = data;
		r->cache_len[i] = len;
		r->cached += len;
		data = NULL;
	}
	error = 0;
done:
	EVP_MD_CTX_free(sha);
	free(base);
	free(data);
	return error;
}

int strata_received_resolve_pack(const void *pack, size_t len, uint64_t objects, git_odb *known,
				 const char *what)
{
	resolver r;
	int error = STRATA_ERROR;

	memset(&r, 0, sizeof(r));
	r.pack = pack;
	r.what = what;
	r.known = known;
	r.count = objects;
	if (objects > STRATA_PACK_OBJECTS_MAX)
		return strata_received_scan_pack(pack, len, objects, what);
	if ((r.slots = calloc(objects ? objects : 1, sizeof(*r.slots))) == NULL ||
	    (r.ids = calloc(objects ? objects : 1, sizeof(*r.ids))) == NULL ||
	    (r.otype = calloc(objects ? objects : 1, sizeof(*r.otype))) == NULL ||
	    (r.depth = calloc(objects ? objects : 1, 1)) == NULL ||
	    (r.cache = calloc(objects ? objects : 1, sizeof(*r.cache))) == NULL ||
	    (r.cache_len = calloc(objects ? objects : 1, sizeof(*r.cache_len))) == NULL) {
		strata_error_set("out of memory");
		goto done;
	}
	if (inflateInit(&r.zs) != Z_OK) {
		strata_error_set("cannot inflate");
		goto done;
	}
	if (scan_pack(pack, len, objects, what, r.slots) < 0)
		goto done;
	for (uint64_t i = 0; i < objects; i++)
		if (r.slots[i].type == 7 && strata_oidset_add(&r.bases, &r.slots[i].base) < 0)
			goto done;
	for (uint64_t i = 0; i < objects; i++)
		if (resolve_one(&r, i) < 0)
			goto done;
	/* a held base that the pack also holds: the indexer would go round in circles */
	for (uint64_t i = 0; i < objects; i++)
		if (strata_oidset_contains(&r.held_bases, &r.ids[i])) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), &r.ids[i]);
			strata_error_set("'%s': objects.pack holds %s %.12s and also a delta against it taken from "
					 "this node's store: the deltas form a cycle", what, type_name(r.otype[i]), hex);
			goto done;
		}
	error = 0;
done:
	if (r.cache)
		for (uint64_t i = 0; i < objects; i++)
			free(r.cache[i]);
	inflateEnd(&r.zs);
	free(r.cache);
	free(r.cache_len);
	free(r.depth);
	free(r.otype);
	free(r.ids);
	free(r.slots);
	strata_oidset_dispose(&r.in_pack);
	strata_oidset_dispose(&r.held_bases);
	strata_oidset_dispose(&r.bases);
	return error;
}

int strata_received_needed(strata_received *c, const git_oid *id)
{
	if (git_odb_exists(c->known, id))
		return 0;
	return strata_oidset_add(&c->seen, id);
}

static int check_name(strata_received *c, const char *path, const char *name)
{
	if (!*name)
		return strata_error_set("'%s': tree '%s' has an entry with an empty name", c->what, path);
	if (!strcmp(name, ".") || !strcmp(name, "..") || !strcasecmp(name, ".git") || strchr(name, '/') ||
	    strchr(name, '\\'))
		return strata_error_set("'%s': tree '%s' has an entry named '%.64s', which is not allowed",
					c->what, path, name);
	for (const char *s = name; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return strata_error_set("'%s': tree '%s' has an entry name with a control character",
						c->what, path);
	return 0;
}

static int check_records_blob(strata_received *c, const git_oid *id, const char *path)
{
	git_blob *b = NULL;
	const char *s, *e, *nl;
	size_t line = 0;
	int error = 0;

	if (git_blob_lookup(&b, c->repo, id) < 0)
		return strata_error_git("cannot read a received leaf");
	s = git_blob_rawcontent(b);
	e = s + git_blob_rawsize(b);
	if (s < e && e[-1] != '\n')
		error = strata_error_set("'%s': leaf '%s' does not end with a newline", c->what, path);
	for (; !error && s < e; s = nl + 1) {
		strata_record *r = NULL;
		line++;
		nl = memchr(s, '\n', (size_t)(e - s));
		if (strata_record_parse(&r, s, (size_t)(nl - s)) < 0)
			error = strata_error_set("'%s': leaf '%s' line %zu is not a record: %s", c->what, path,
						 line, strata_error_last());
		strata_record_free(r);
	}
	git_blob_free(b);
	return error;
}

/* A tree of the dataset layout: schema.json and records/ at the top, trie nodes below. */
static int check_tree(strata_received *c, const git_oid *id, const char *path, int depth)
{
	git_tree *t = NULL;
	char sub[512];
	int rc, error = 0;

	if ((rc = strata_received_needed(c, id)) <= 0)
		return rc;
	if (depth > STRATA_TREE_DEPTH_MAX)
		return strata_error_set("'%s': tree '%s' is nested too deep", c->what, path);
	if (git_tree_lookup(&t, c->repo, id) < 0)
		return strata_error_git("cannot read a received tree");
	for (size_t i = 0; !error && i < git_tree_entrycount(t); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		const char *name = git_tree_entry_name(e);
		git_filemode_t mode = git_tree_entry_filemode(e);
		size_t nl = strlen(name);
		int is_tree = mode == GIT_FILEMODE_TREE;

		if ((error = check_name(c, path, name)) < 0)
			break;
		if (mode != GIT_FILEMODE_TREE && mode != GIT_FILEMODE_BLOB) {
			error = strata_error_set("'%s': tree '%s' entry '%s' has mode %06o; only directories "
						 "and plain files are allowed", c->what, path, name, (unsigned)mode);
			break;
		}
		if (depth == 0 ? !((is_tree && !strcmp(name, "records")) || (!is_tree && !strcmp(name, "schema.json"))) :
		    !(strchr("0123456789abcdef", name[0]) && name[0] &&
		      (is_tree ? nl == 1 : nl == 7 && !strcmp(name + 1, ".jsonl")))) {
			error = strata_error_set("'%s': tree '%s' has an unexpected entry '%s' for the dataset layout",
						 c->what, path, name);
			break;
		}
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "/" : "", name);
		if (is_tree) {
			error = check_tree(c, git_tree_entry_id(e), sub, depth + 1);
		} else if ((rc = strata_received_needed(c, git_tree_entry_id(e))) < 0) {
			error = rc;
		} else if (rc == 1 && depth > 0) {
			error = check_records_blob(c, git_tree_entry_id(e), sub);
		} else if (rc == 1) {
			strata_schema *s = NULL;
			git_blob *b = NULL;
			if (git_blob_lookup(&b, c->repo, git_tree_entry_id(e)) < 0)
				error = strata_error_git("cannot read a received schema");
			else if (strata_schema_parse(&s, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b)) < 0)
				error = strata_error_set("'%s': schema.json is not valid: %s", c->what, strata_error_last());
			strata_schema_free(s);
			git_blob_free(b);
		}
	}
	if (!error && depth == 0 && git_tree_entrycount(t) != 2)
		error = strata_error_set("'%s': a received dataset tree must hold schema.json and records/", c->what);
	git_tree_free(t);
	return error;
}

static int is_hex_oid(const char *s)
{
	if (strlen(s) != GIT_OID_HEXSZ)
		return 0;
	for (; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return 0;
	return 1;
}

int strata_received_commit(strata_received *c, const git_oid *id, const char *dataset)
{
	git_commit *commit = NULL;
	char v[512], hex[GIT_OID_HEXSZ + 1];
	int error = STRATA_ERROR;

	git_oid_tostr(hex, sizeof(hex), id);
	if (git_commit_lookup(&commit, c->repo, id) < 0)
		return strata_error_git("cannot read a received commit");
	if (git_commit_parentcount(commit) > 1) {
		strata_error_set("'%s': commit %.12s is a merge; views have linear history", c->what, hex);
		goto done;
	}
	if (!strata_commit_trailer(commit, "Strata-Node", v, sizeof(v)) || strcmp(v, c->sender)) {
		strata_error_set("'%s': commit %.12s names node '%s' in Strata-Node, not the sender '%s'",
				 c->what, hex, v, c->sender);
		goto done;
	}
	if (!strata_commit_trailer(commit, "Strata-Recipient", v, sizeof(v)) || strcmp(v, c->recipient)) {
		strata_error_set("'%s': commit %.12s was built for '%s', not for this node '%s'",
				 c->what, hex, v, c->recipient);
		goto done;
	}
	if (!strata_commit_trailer(commit, "Strata-Dataset", v, sizeof(v)) || strcmp(v, dataset)) {
		strata_error_set("'%s': commit %.12s is dataset '%s' but arrives as '%s'", c->what, hex, v, dataset);
		goto done;
	}
	if (!strata_commit_trailer(commit, "Strata-Source", v, sizeof(v)) || !is_hex_oid(v) ||
	    !strata_commit_trailer(commit, "Strata-Policy", v, sizeof(v)) || !is_hex_oid(v) ||
	    !strata_commit_trailer(commit, "Strata-Purpose", v, sizeof(v)) || !*v) {
		strata_error_set("'%s': commit %.12s lacks its provenance trailers (Strata-Source, "
				 "Strata-Policy, Strata-Purpose)", c->what, hex);
		goto done;
	}
	error = check_tree(c, git_commit_tree_id(commit), "", 0);
done:
	git_commit_free(commit);
	return error;
}

void strata_received_dispose(strata_received *r)
{
	strata_oidset_dispose(&r->seen);
}
