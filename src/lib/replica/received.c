/*
 * received.c - checks on what a peer sent (see received.h).  Every
 * message names the parcel and the object, so a refusal in refused.log
 * says what was wrong and where.
 */
#include "strata/replica/received.h"
#include "strata/base/i18n.h"
#include "strata/node/commit.h"
#include "strata/format/schema.h"
#include "strata/format/json.h"
#include "strata/format/trie.h"
#include "strata/base/enc.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <unistd.h>
#include <errno.h>

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
	uint64_t hdr_off, data_off;
	uint64_t size;		/* inflated size of the entry's data */
	int type;		/* 1..4, 6 (OFS_DELTA) or 7 (REF_DELTA) */
	uint64_t ofs;		/* OFS_DELTA: distance back to the base entry */
	git_oid base;		/* REF_DELTA */
} pack_slot;

void strata_received_src_mem(strata_received_src *s, const void *data, size_t len)
{
	s->mem = data;
	s->fd = -1;
	s->len = len;
}

void strata_received_src_fd(strata_received_src *s, int fd, uint64_t len)
{
	s->mem = NULL;
	s->fd = fd;
	s->len = len;
}

/* Up to `len` bytes at `off` into buf; the count, or -1 on a read error. */
ssize_t strata_received_src_read(const strata_received_src *s, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	if (off >= s->len)
		return 0;
	if (len > s->len - off)
		len = (size_t)(s->len - off);
	if (s->mem) {
		memcpy(buf, s->mem + off, len);
		return (ssize_t)len;
	}
	while (done < len) {
		ssize_t n = pread(s->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)done;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* A window over the source, for reading it front to back. */
#define WINDOW ((size_t)1 << 20)
typedef struct {
	const strata_received_src *src;
	unsigned char *buf;
	uint64_t base;		/* source offset of buf[0] */
	size_t len, pos;	/* valid bytes, cursor */
	uint64_t end;		/* where reading stops (the trailer) */
} reader;

static uint64_t rd_off(const reader *r)
{
	return r->base + r->pos;
}

/* Makes at least `want` bytes (or all that is left before r->end) available at the cursor. */
static int rd_fill(reader *r, size_t want)
{
	ssize_t n;

	if (r->len - r->pos >= want || r->base + r->len >= r->end)
		return 0;
	memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->base += r->pos;
	r->len -= r->pos;
	r->pos = 0;
	n = strata_received_src_read(r->src, r->base + r->len, r->buf + r->len,
				 (size_t)(r->end - (r->base + r->len) < WINDOW - r->len ? r->end - (r->base + r->len)
											: WINDOW - r->len));
	if (n < 0)
		return strata_error_sys("cannot read objects.pack");
	r->len += (size_t)n;
	return 0;
}

static size_t rd_avail(const reader *r)
{
	return r->len - r->pos;
}

static int scan_pack(const strata_received_src *src, uint64_t objects, const char *what, pack_slot *slots);

int strata_received_scan_pack(const void *pack, size_t len, uint64_t objects, const char *what)
{
	strata_received_src src;
	strata_received_src_mem(&src, pack, len);
	return scan_pack(&src, objects, what, NULL);
}

/* The SHA-1 of the first `len` bytes of the source. */
static int src_sha1(const strata_received_src *src, uint64_t len, unsigned char sum[20])
{
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	unsigned char *buf = malloc(WINDOW);
	uint64_t off = 0;
	int error = 0;

	if (!sha || !buf || EVP_DigestInit_ex(sha, EVP_sha1(), NULL) != 1)
		error = strata_error_set("out of memory");
	while (!error && off < len) {
		ssize_t n = strata_received_src_read(src, off, buf, (size_t)(len - off < WINDOW ? len - off : WINDOW));
		if (n <= 0)
			error = strata_error_sys("cannot read objects.pack");
		else {
			EVP_DigestUpdate(sha, buf, (size_t)n);
			off += (uint64_t)n;
		}
	}
	if (!error && EVP_DigestFinal_ex(sha, sum, NULL) != 1)
		error = strata_error_ssl("cannot hash objects.pack");
	EVP_MD_CTX_free(sha);
	free(buf);
	return error;
}

/* `slots`, when not NULL, has room for `objects` entries and is filled in. */
static int scan_pack(const strata_received_src *src, uint64_t objects, const char *what, pack_slot *slots)
{
	unsigned char hdr[12], trailer[20], sum[20], *scratch = NULL;
	uint64_t count, total = 0, len = src->len;
	reader rd;
	z_stream zs;
	int zinit = 0, error = STRATA_ERROR;

	memset(&rd, 0, sizeof(rd));
	if (len < 32 || strata_received_src_read(src, 0, hdr, 12) != 12 || memcmp(hdr, "PACK", 4) || hdr[4] || hdr[5] ||
	    hdr[6] || (hdr[7] != 2 && hdr[7] != 3))
		return strata_error_set("'%s': objects.pack is not a git pack", what);
	count = ((uint64_t)hdr[8] << 24) | ((uint64_t)hdr[9] << 16) | ((uint64_t)hdr[10] << 8) | hdr[11];
	if (count != objects)
		return strata_error_set("'%s': objects.pack holds %llu objects but the manifest says %llu",
					what, (unsigned long long)count, (unsigned long long)objects);
	if (count > STRATA_PACK_OBJECTS_MAX)
		return strata_error_set("'%s': objects.pack holds %llu objects, over the limit of %u",
					what, (unsigned long long)count, STRATA_PACK_OBJECTS_MAX);
	if (src_sha1(src, len - 20, sum) < 0 || strata_received_src_read(src, len - 20, trailer, 20) != 20)
		return STRATA_ERROR;
	if (memcmp(sum, trailer, 20))
		return strata_error_set("'%s': objects.pack checksum mismatch", what);
	memset(&zs, 0, sizeof(zs));
	if ((scratch = malloc(65536)) == NULL || (rd.buf = malloc(WINDOW)) == NULL) {
		strata_error_set("out of memory");
		goto done;
	}
	if (inflateInit(&zs) != Z_OK) {
		strata_error_set("cannot inflate");
		goto done;
	}
	zinit = 1;
	rd.src = src;
	rd.base = 12;
	rd.end = len - 20;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t off = rd_off(&rd), size, got = 0;
		unsigned char c;
		int type, shift = 4, zrc;

		if ((error = rd_fill(&rd, 64)) < 0)
			goto done;
		if (rd_avail(&rd) == 0)
			goto truncated;
		c = rd.buf[rd.pos++];
		type = (c >> 4) & 7;
		size = c & 0x0f;
		while (c & 0x80) {
			if (rd_avail(&rd) == 0 || shift > 60)
				goto truncated;
			c = rd.buf[rd.pos++];
			size |= (uint64_t)(c & 0x7f) << shift;
			shift += 7;
		}
		if (type == 0 || type == 5) {
			error = strata_error_set("'%s': objects.pack entry %llu (offset %llu) has invalid type %d",
					 what, (unsigned long long)i, (unsigned long long)off, type);
			goto done;
		}
		if (size > STRATA_PACK_OBJECT_MAX) {
			error = strata_error_set("'%s': objects.pack entry %llu declares %llu bytes, over the limit of %zu",
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
				if (rd_avail(&rd) == 0)
					goto truncated;
				c = rd.buf[rd.pos++];
				if (!first)
					ofs += 1;
				first = 0;
				ofs = (ofs << 7) | (c & 0x7f);
			} while ((c & 0x80) && ofs < ((uint64_t)1 << 56));
			if (ofs == 0 || ofs > off) {
				error = strata_error_set("'%s': objects.pack entry %llu (offset %llu) is a delta whose base "
						 "is not an earlier entry", what, (unsigned long long)i, (unsigned long long)off);
				goto done;
			}
			if (slots)
				slots[i].ofs = ofs;
		} else if (type == 7) {
			if (rd_avail(&rd) < 20)
				goto truncated;
			if (slots)
				git_oid_fromraw(&slots[i].base, rd.buf + rd.pos);
			rd.pos += 20;
		}
		if (slots)
			slots[i].data_off = rd_off(&rd);
		if (inflateReset(&zs) != Z_OK)
			goto truncated;
		do {
			if (rd_avail(&rd) == 0 && (error = rd_fill(&rd, WINDOW)) < 0)
				goto done;
			if (rd_avail(&rd) == 0)
				goto truncated;
			zs.next_in = rd.buf + rd.pos;
			zs.avail_in = (uInt)rd_avail(&rd);
			zs.next_out = scratch;
			zs.avail_out = 65536;
			zrc = inflate(&zs, Z_NO_FLUSH);
			rd.pos = (size_t)(zs.next_in - rd.buf);
			if (zrc != Z_OK && zrc != Z_STREAM_END && !(zrc == Z_BUF_ERROR && zs.avail_in == 0)) {
				error = strata_error_set("'%s': objects.pack entry %llu (offset %llu) is not valid zlib data",
						 what, (unsigned long long)i, (unsigned long long)off);
				goto done;
			}
			if (got == 0 && (type == 6 || type == 7) && zs.avail_out < 65536) {
				const unsigned char *q = scratch, *qe = scratch + (65536 - zs.avail_out);
				uint64_t sz, dst;
				if (get_varint(&sz, &q, qe) < 0 || get_varint(&dst, &q, qe) < 0 ||
				    sz > STRATA_PACK_OBJECT_MAX || dst > STRATA_PACK_OBJECT_MAX) {
					error = strata_error_set("'%s': objects.pack entry %llu: delta sizes missing or over the "
							 "limit of %zu bytes", what, (unsigned long long)i, STRATA_PACK_OBJECT_MAX);
					goto done;
				}
				total += dst;
			}
			got += 65536 - zs.avail_out;
			if (got > size) {
				error = strata_error_set("'%s': objects.pack entry %llu inflates past its declared %llu bytes",
						 what, (unsigned long long)i, (unsigned long long)size);
				goto done;
			}
		} while (zrc != Z_STREAM_END);
		if (got != size) {
			error = strata_error_set("'%s': objects.pack entry %llu is truncated or its size is wrong",
					 what, (unsigned long long)i);
			goto done;
		}
		total += type == 6 || type == 7 ? 0 : size;
		if (total > STRATA_PACK_INFLATED_MAX) {
			error = strata_error_set("'%s': objects.pack inflates to more than %llu bytes", what,
					 (unsigned long long)STRATA_PACK_INFLATED_MAX);
			goto done;
		}
	}
	if (rd_off(&rd) != len - 20) {
		error = strata_error_set("'%s': objects.pack has %llu bytes after its last object", what,
				 (unsigned long long)(len - 20 - rd_off(&rd)));
		goto done;
	}
	error = 0;
	goto done;
truncated:
	error = strata_error_set("'%s': objects.pack is truncated", what);
done:
	if (zinit)
		inflateEnd(&zs);
	free(scratch);
	free(rd.buf);
	return error;
}

/*
 * --- resolving a pack ---
 *
 * Every delta is resolved here, in pack order, under fixed bounds: a
 * REF_DELTA's base is an earlier object of the pack or an object the node
 * holds, an OFS_DELTA's an earlier entry; no object twice; no object both
 * in the pack and the held base of a delta; chains at most
 * STRATA_PACK_DELTA_DEPTH_MAX long.  (libgit2's indexer, which we no
 * longer use for received packs, followed a delta whose base was its own
 * result for ever.)  Each object is hashed and handed whole to the
 * writer.  Resolved objects that may serve as bases are kept up to
 * RESOLVE_CACHE_MAX bytes, the rest are rebuilt from the pack.
 */
#define RESOLVE_CACHE_MAX ((size_t)64 << 20)

typedef struct {
	const strata_received_src *src;
	unsigned char *zin;	/* compressed input, read from the source */
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
	strata_packw *out;	/* where resolved objects go, or NULL */
} resolver;

static const char *type_name(int t)
{
	return t == 1 ? "commit" : t == 2 ? "tree" : t == 3 ? "blob" : "tag";
}

/* Gives the inflater more input from *at when it has none; -1 past the end of the pack. */
static int feed(resolver *r, uint64_t *at)
{
	if (r->zs.avail_in > 0)
		return 0;
	if (r->src->mem) {
		uint64_t left = r->src->len - *at;
		r->zs.next_in = (unsigned char *)r->src->mem + *at;
		r->zs.avail_in = (uInt)(left > 0x40000000u ? 0x40000000u : left);
	} else {
		ssize_t n = strata_received_src_read(r->src, *at, r->zin, 65536);
		r->zs.next_in = r->zin;
		r->zs.avail_in = n > 0 ? (uInt)n : 0;
	}
	*at += r->zs.avail_in;
	return r->zs.avail_in > 0 ? 0 : -1;
}

/* The scan proved every entry's stream ends inside the pack, at its declared size. */
static int inflate_entry(resolver *r, uint64_t i, unsigned char **out)
{
	const pack_slot *e = &r->slots[i];
	unsigned char *buf = malloc(e->size ? e->size : 1);
	uint64_t at = e->data_off;
	int zrc;

	*out = NULL;
	if (!buf)
		return strata_error_set("out of memory");
	if (inflateReset(&r->zs) != Z_OK)
		goto bad;
	r->zs.next_out = buf;
	r->zs.avail_out = (uInt)e->size;
	r->zs.avail_in = 0;
	do {
		if (feed(r, &at) < 0)
			goto bad;
		zrc = inflate(&r->zs, Z_NO_FLUSH);
		if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR)
			goto bad;
	} while (zrc != Z_STREAM_END && r->zs.avail_out > 0);
	if (r->zs.avail_out != 0)
		goto bad;	/* ended short of its declared size */
	if (zrc != Z_STREAM_END) {
		/* all bytes out: the end marker may still be pending in the input */
		unsigned char dummy;
		r->zs.next_out = &dummy;
		r->zs.avail_out = 1;
		for (;;) {
			if (feed(r, &at) < 0)
				goto bad;
			zrc = inflate(&r->zs, Z_NO_FLUSH);
			if (zrc == Z_STREAM_END && r->zs.avail_out == 1)
				break;
			if ((zrc != Z_OK && zrc != Z_BUF_ERROR) || r->zs.avail_out == 0)
				goto bad;
		}
	}
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
		uint64_t want = e->hdr_off - e->ofs;
		size_t lo = 0, hi = i;
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
	if (r->out) {
		/* pack types 1..4 are git_object_t's; the writer skips what the node holds */
		git_oid id;
		if ((error = strata_pack_writer_add(r->out, (git_object_t)type, data, len, &id)) < 0)
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

int strata_received_resolve_src(const strata_received_src *src, uint64_t objects, git_odb *known, const char *what,
				strata_packw *out)
{
	resolver r;
	int error = STRATA_ERROR;

	memset(&r, 0, sizeof(r));
	r.out = out;
	r.src = src;
	r.what = what;
	r.known = known;
	r.count = objects;
	if (objects > STRATA_PACK_OBJECTS_MAX)
		return scan_pack(src, objects, what, NULL);
	if ((r.zin = malloc(65536)) == NULL)
		return strata_error_set("out of memory");
	if ((r.slots = calloc(objects ? objects : 1, sizeof(*r.slots))) == NULL ||
	    (r.ids = calloc(objects ? objects : 1, sizeof(*r.ids))) == NULL ||
	    (r.otype = calloc(objects ? objects : 1, sizeof(*r.otype))) == NULL ||
	    (r.depth = calloc(objects ? objects : 1, 1)) == NULL ||
	    (r.cache = calloc(objects ? objects : 1, sizeof(*r.cache))) == NULL ||
	    (r.cache_len = calloc(objects ? objects : 1, sizeof(*r.cache_len))) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if (inflateInit(&r.zs) != Z_OK) {
		error = strata_error_set("cannot inflate");
		goto done;
	}
	if ((error = scan_pack(src, objects, what, r.slots)) < 0)
		goto done;
	for (uint64_t i = 0; i < objects; i++)
		if (r.slots[i].type == 7 && (error = strata_oidset_add(&r.bases, &r.slots[i].base)) < 0)
			goto done;
	for (uint64_t i = 0; i < objects; i++)
		if ((error = resolve_one(&r, i)) < 0)
			goto done;
	/* a held base that the pack also holds: a cycle through the node's store */
	for (uint64_t i = 0; i < objects; i++)
		if (strata_oidset_contains(&r.held_bases, &r.ids[i])) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), &r.ids[i]);
			error = strata_error_set("'%s': objects.pack holds %s %.12s and also a delta against it taken from "
					 "this node's store: the deltas form a cycle", what, type_name(r.otype[i]), hex);
			goto done;
		}
	error = 0;
done:
	if (r.cache)
		for (uint64_t i = 0; i < objects; i++)
			free(r.cache[i]);
	inflateEnd(&r.zs);
	free(r.zin);
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

/*
 * A leaf read in full: canonical record lines in strictly increasing
 * key-hash order, the first one's hash the leaf's name, no later one
 * starting a leaf (strata_trie_level 0).  *last gets the last hash.
 */
static int check_records_blob(strata_received *c, const git_oid *id, const char *path,
			      const unsigned char first[STRATA_HASH_LEN], unsigned char last[STRATA_HASH_LEN])
{
	git_blob *b = NULL;
	const char *s, *e, *nl;
	unsigned char hash[STRATA_HASH_LEN];
	size_t line = 0;
	int error = 0;

	if (git_blob_lookup(&b, c->repo, id) < 0)
		return strata_error_git("cannot read a received leaf");
	s = git_blob_rawcontent(b);
	e = s + git_blob_rawsize(b);
	if (s == e)
		error = strata_error_set("'%s': leaf '%s' is empty", c->what, path);
	else if (e[-1] != '\n')
		error = strata_error_set("'%s': leaf '%s' does not end with a newline", c->what, path);
	for (; !error && s < e; s = nl + 1) {
		strata_record *r = NULL;
		line++;
		nl = memchr(s, '\n', (size_t)(e - s));
		if (strata_json_record_parse(&r, s, (size_t)(nl - s)) < 0)
			error = strata_error_set("'%s': leaf '%s' line %zu is not a record: %s", c->what, path,
						 line, strata_error_last());
		strata_json_record_free(r);
		if (error)
			break;
		if (!c->schema) {
			error = strata_error_set("'%s': leaf '%s' without a schema", c->what, path);
			break;
		}
		if (strata_trie_line_keyhash(hash, s, (size_t)(nl - s), c->schema->key, c->schema->nkey) < 0) {
			error = strata_error_set("'%s': leaf '%s' line %zu: %s", c->what, path, line, strata_error_last());
			break;
		}
		if (line == 1 && memcmp(hash, first, STRATA_HASH_LEN)) {
			error = strata_error_set("'%s': leaf '%s' line 1: the leaf is not named by its first "
						 "record's key hash", c->what, path);
			break;
		}
		if (line > 1 && memcmp(last, hash, STRATA_HASH_LEN) >= 0) {
			error = strata_error_set("'%s': leaf '%s' line %zu: %s", c->what, path, line,
						 memcmp(last, hash, STRATA_HASH_LEN) ? _("records out of key-hash order")
										     : _("the same record key twice"));
			break;
		}
		if (line > 1 && strata_trie_level(hash) != 0) {
			error = strata_error_set("'%s': leaf '%s' line %zu: a record whose key hash starts a new "
						 "leaf in the layout", c->what, path, line);
			break;
		}
		memcpy(last, hash, STRATA_HASH_LEN);
	}
	git_blob_free(b);
	return error;
}

/* The key hash of the last record of a leaf, or of a dir's last leaf. */
static int last_hash(strata_received *c, const git_oid *id, int is_dir, unsigned char out[STRATA_HASH_LEN])
{
	git_tree *t = NULL;
	git_blob *b = NULL;
	const char *s, *e;
	int error = 0;

	if (is_dir) {
		if (git_tree_lookup(&t, c->repo, id) < 0 || git_tree_entrycount(t) == 0) {
			git_tree_free(t);
			return strata_error_git("cannot read a records dir");
		}
		id = git_tree_entry_id(git_tree_entry_byindex(t, git_tree_entrycount(t) - 1));
	}
	if (git_blob_lookup(&b, c->repo, id) < 0) {
		error = strata_error_git("cannot read a leaf");
		goto done;
	}
	s = git_blob_rawcontent(b);
	e = s + git_blob_rawsize(b);
	while (e > s && e[-1] == '\n')
		e--;
	{
		const char *l = e;
		while (l > s && l[-1] != '\n')
			l--;
		if (!c->schema || l == e)
			error = strata_error_set("'%s': an empty leaf", c->what);
		else
			error = strata_trie_line_keyhash(out, l, (size_t)(e - l), c->schema->key, c->schema->nkey);
	}
done:
	git_blob_free(b);
	git_tree_free(t);
	return error;
}

typedef struct {
	const char *name;	/* NUL-terminated inside the raw tree */
	size_t nlen;
	int is_tree;
	git_oid id;
} raw_entry;

/* git's tree order: names compare as if a tree's name ended in '/' */
static int entry_cmp(const raw_entry *a, const raw_entry *b)
{
	size_t n = a->nlen < b->nlen ? a->nlen : b->nlen;
	int rc = memcmp(a->name, b->name, n);
	unsigned char ca, cb;

	if (rc)
		return rc;
	ca = n < a->nlen ? (unsigned char)a->name[n] : a->is_tree ? '/' : '\0';
	cb = n < b->nlen ? (unsigned char)b->name[n] : b->is_tree ? '/' : '\0';
	return (int)ca - (int)cb;
}

/*
 * The raw bytes of a received tree, as git fsck --strict reads them: each
 * entry "<mode> <name>\0<20 bytes>", modes exactly 40000 or 100644 (no
 * zero padding, nothing executable, no links or submodules), names in
 * git's order with no duplicate, and every entry's object of the type
 * its mode says.  Fills `ents` (at most `max`).
 */
static int parse_raw_tree(strata_received *c, git_odb *odb, const git_oid *id, const char *path,
			  raw_entry *ents, size_t max, size_t *count, git_odb_object **keep)
{
	const char *d, *end;
	size_t n = 0;

	*count = 0;
	if (git_odb_read(keep, odb, id) < 0)
		return strata_error_git("cannot read a received tree");
	d = git_odb_object_data(*keep);
	end = d + git_odb_object_size(*keep);
	while (d < end) {
		const char *sp = memchr(d, ' ', (size_t)(end - d)), *nul;
		raw_entry *e = &ents[n];
		size_t mlen;
		if (!sp || (nul = memchr(sp + 1, '\0', (size_t)(end - sp - 1))) == NULL || (size_t)(end - nul - 1) < 20)
			return strata_error_set("'%s': tree '%s' is malformed", c->what, path);
		mlen = (size_t)(sp - d);
		if (n == max)
			return strata_error_set("'%s': tree '%s' has more than %zu entries", c->what, path, max);
		if (mlen == 5 && !memcmp(d, "40000", 5))
			e->is_tree = 1;
		else if (mlen == 6 && !memcmp(d, "100644", 6))
			e->is_tree = 0;
		else
			return strata_error_set("'%s': tree '%s' entry '%.64s' has mode %.*s; only 40000 (directory) and "
						"100644 (plain file) are allowed", c->what, path, sp + 1,
						(int)(mlen > 16 ? 16 : mlen), d);
		e->name = sp + 1;
		e->nlen = (size_t)(nul - sp - 1);
		git_oid_fromraw(&e->id, (const unsigned char *)nul + 1);
		if (check_name(c, path, e->name) < 0)
			return STRATA_ERROR;
		if (n > 0) {
			int rc = entry_cmp(&ents[n - 1], e);
			if (rc >= 0)
				return strata_error_set("'%s': tree '%s' entry '%.64s' %s", c->what, path, e->name,
							rc == 0 || (ents[n - 1].nlen == e->nlen &&
								    !memcmp(ents[n - 1].name, e->name, e->nlen))
							? _("appears twice") : _("is out of order"));
		}
		{
			size_t olen;
			git_object_t type;
			if (git_odb_read_header(&olen, &type, odb, &e->id) < 0) {
				git_error_clear();
				return strata_error_set("'%s': tree '%s' entry '%.64s' names an object neither in the "
							"parcel nor on this node", c->what, path, e->name);
			}
			if (type != (e->is_tree ? GIT_OBJECT_TREE : GIT_OBJECT_BLOB))
				return strata_error_set("'%s': tree '%s' entry '%.64s' has mode %s but its object is a %s",
							c->what, path, e->name, e->is_tree ? "40000" : "100644",
							git_object_type2string(type));
		}
		n++;
		d = nul + 21;
	}
	*count = n;
	return 0;
}

static int load_schema(strata_received *c, git_odb *odb, const git_oid *id, int is_new)
{
	git_odb_object *o = NULL;
	int error = 0;

	strata_schema_free(c->schema);
	c->schema = NULL;
	if (git_odb_read(&o, odb, id) < 0)
		return strata_error_git("cannot read a received schema");
	if (strata_schema_parse(&c->schema, git_odb_object_data(o), git_odb_object_size(o)) < 0)
		error = is_new ? strata_error_set("'%s': schema.json is not valid: %s", c->what, strata_error_last())
			       : strata_error_set("'%s': the schema.json this node holds is not valid: %s", c->what,
						  strata_error_last());
	git_odb_object_free(o);
	return error;
}

#define TREE_ENTRIES_MAX 4	/* a dataset's tree holds two */

/* The id `old` (a tree the node accepted before, may be NULL) has under `name`, or NULL. */
static const git_oid *old_entry(git_repository *repo, const git_oid *old, const char *name, int want_tree,
				git_oid *out)
{
	git_tree *t = NULL;
	const git_tree_entry *e;
	const git_oid *found = NULL;

	if (!old || git_tree_lookup(&t, repo, old) < 0) {
		git_error_clear();
		return NULL;
	}
	if ((e = git_tree_entry_byname(t, name)) != NULL &&
	    git_tree_entry_type(e) == (want_tree ? GIT_OBJECT_TREE : GIT_OBJECT_BLOB)) {
		*out = *git_tree_entry_id(e);
		found = out;
	}
	git_tree_free(t);
	return found;
}

/*
 * Walking records/ in key order: what is known of the last record of the
 * unit (leaf or dir) before the one being checked, for the rule that
 * every record lies below the next unit's name.
 */
typedef struct {
	int have;		/* a unit came before */
	int exact;		/* `last` is its last record's hash */
	int bounded;		/* else: its last record lies below `last` */
	unsigned char last[STRATA_HASH_LEN];
	git_oid unit;
	int unit_is_dir;
	char name[STRATA_TRIE_NAME_LEN + 8];	/* for messages */
} prev_unit;

static int check_after(strata_received *c, prev_unit *p, const unsigned char next[STRATA_HASH_LEN],
		       const char *next_name)
{
	unsigned char last[STRATA_HASH_LEN];
	int error;

	if (!p->have || (!p->exact && p->bounded && memcmp(p->last, next, STRATA_HASH_LEN) <= 0))
		return 0;
	if (p->exact)
		memcpy(last, p->last, STRATA_HASH_LEN);
	else if ((error = last_hash(c, &p->unit, p->unit_is_dir, last)) < 0)
		return error;
	if (memcmp(last, next, STRATA_HASH_LEN) >= 0)
		return strata_error_set("'%s': records/ '%s' holds records at or above the next name '%.70s'",
					c->what, p->name, next_name);
	return 0;
}

/*
 * The accepted tree's dirs, looked up by name as the walk goes (in key
 * order, so the dir last opened is most often the one wanted again).
 */
typedef struct {
	const git_tree *root;	/* accepted records/, or NULL */
	git_tree *dir;		/* its dir last opened */
	size_t di;
} old_cursor;

/* Where the accepted tree had leaf `h` with id `id`: 1 and its successor's name (*has_next), or 0. */
static int old_leaf_next(strata_received *c, old_cursor *oc, const unsigned char h[STRATA_HASH_LEN],
			 const git_oid *id, unsigned char next[STRATA_HASH_LEN], int *has_next)
{
	char hex[STRATA_TRIE_NAME_LEN + 1];
	long at;
	size_t di;

	*has_next = 0;
	if (!oc->root || (at = strata_trie_entry_at_or_below(oc->root, h)) < 0)
		return 0;	/* no dir at or below the leaf's name */
	di = (size_t)at;
	strata_enc_hex(hex, h, STRATA_HASH_LEN);
	if (!oc->dir || oc->di != di) {
		git_tree_free(oc->dir);
		oc->dir = NULL;
		if (git_tree_lookup(&oc->dir, c->repo, git_tree_entry_id(git_tree_entry_byindex(oc->root, di))) < 0) {
			git_error_clear();
			return 0;
		}
		oc->di = di;
	}
	for (size_t j = 0; j < git_tree_entrycount(oc->dir); j++) {
		const git_tree_entry *le = git_tree_entry_byindex(oc->dir, j);
		if (strncmp(git_tree_entry_name(le), hex, STRATA_TRIE_NAME_LEN) || !git_oid_equal(git_tree_entry_id(le), id))
			continue;
		if (j + 1 < git_tree_entrycount(oc->dir))
			*has_next = strata_trie_name_hash(next, git_tree_entry_name(git_tree_entry_byindex(oc->dir, j + 1)), 1) == 0;
		else if (di + 1 < git_tree_entrycount(oc->root))
			*has_next = strata_trie_name_hash(next, git_tree_entry_name(git_tree_entry_byindex(oc->root, di + 1)), 0) == 0;
		return 1;
	}
	return 0;
}

static int raw_entries(strata_received *c, git_odb *odb, const git_oid *id, const char *path,
		       raw_entry **ents, size_t *n, git_odb_object **raw)
{
	size_t size;
	git_object_t type;

	*ents = NULL;
	if (git_odb_read_header(&size, &type, odb, id) < 0)
		return strata_error_git("cannot read a received tree");
	/* an entry takes at least 28 bytes: "100644 x\0" and the id */
	if ((*ents = calloc(size / 28 + 1, sizeof(**ents))) == NULL)
		return strata_error_set("out of memory");
	return parse_raw_tree(c, odb, id, path, *ents, size / 28 + 1, n, raw);
}

/* One dir of records/: leaves named by their first key hash, cut where the layout cuts. */
static int check_dir(strata_received *c, git_odb *odb, const git_oid *id, const unsigned char dname[STRATA_HASH_LEN],
		     const char *path, old_cursor *old, prev_unit *p)
{
	raw_entry *ents = NULL;
	git_odb_object *raw = NULL;
	size_t n = 0;
	char sub[STRATA_TRIE_NAME_LEN * 2 + 32];
	int rc, error;

	if ((rc = strata_received_needed(c, id)) < 0)
		return rc;
	if ((error = raw_entries(c, odb, id, path, &ents, &n, &raw)) < 0)
		goto done;
	if (n == 0) {
		error = strata_error_set("'%s': tree '%s' is empty", c->what, path);
		goto done;
	}
	for (size_t i = 0; !error && i < n; i++) {
		const raw_entry *e = &ents[i];
		unsigned char h[STRATA_HASH_LEN], next[STRATA_HASH_LEN];
		int has_next;

		snprintf(sub, sizeof(sub), "%s/%s", path, e->name);
		if (e->is_tree || strata_trie_name_hash(h, e->name, 1) < 0) {
			error = strata_error_set("'%s': tree '%s' has an unexpected entry '%.80s' for the dataset layout "
						 "(leaves are named <64 hex digits>.jsonl)", c->what, path, e->name);
			break;
		}
		if (i == 0 && memcmp(h, dname, STRATA_HASH_LEN)) {
			error = strata_error_set("'%s': tree '%s' is not named by its first leaf", c->what, path);
			break;
		}
		if (i > 0 && strata_trie_level(h) != 1) {
			error = strata_error_set("'%s': leaf '%s' %s", c->what, sub, strata_trie_level(h) == 2 ?
						 _("starts a new dir in the layout, not one inside this dir") :
						 _("starts where the layout does not cut a leaf"));
			break;
		}
		if ((error = check_after(c, p, h, e->name)) < 0)
			break;
		p->have = 1;
		snprintf(p->name, sizeof(p->name), "%.64s/%s", path + strlen("records/"), e->name);
		if ((rc = strata_received_needed(c, &e->id)) < 0) {
			error = rc;
		} else if (old_leaf_next(c, old, h, &e->id, next, &has_next)) {
			/* accepted at this name before: valid on its own, bounded by its old successor */
			p->exact = 0;
			p->bounded = has_next;
			memcpy(p->last, next, STRATA_HASH_LEN);
			p->unit = e->id;
			p->unit_is_dir = 0;
		} else {
			p->exact = 1;
			error = check_records_blob(c, &e->id, sub, h, p->last);
		}
	}
done:
	git_odb_object_free(raw);
	free(ents);
	return error;
}

/*
 * records/: dirs named by their first key hash, each but the first
 * starting where the layout starts a dir.  A dir the accepted tree `old`
 * (or NULL) holds under the same name with the same id is not read
 * again; every other dir is, and in it every leaf `old` did not hold at
 * that name, even an object this node already holds, since its place in
 * the layout is what makes it valid.
 */
static int check_records(strata_received *c, git_odb *odb, const git_oid *id, const git_oid *old_id)
{
	raw_entry *ents = NULL;
	git_odb_object *raw = NULL;
	git_tree *old = NULL;
	prev_unit p;
	old_cursor oc = { NULL, NULL, 0 };
	size_t n = 0;
	char sub[STRATA_TRIE_NAME_LEN + 16];
	int rc, error;

	memset(&p, 0, sizeof(p));
	if (old_id && git_oid_equal(id, old_id))
		return 0;
	if ((rc = strata_received_needed(c, id)) < 0)
		return rc;
	if (old_id && git_tree_lookup(&old, c->repo, old_id) < 0) {
		git_error_clear();
		old = NULL;
	}
	oc.root = old;
	if ((error = raw_entries(c, odb, id, "records", &ents, &n, &raw)) < 0)
		goto done;
	for (size_t i = 0; !error && i < n; i++) {
		const raw_entry *e = &ents[i];
		const git_tree_entry *oe;
		unsigned char h[STRATA_HASH_LEN];

		snprintf(sub, sizeof(sub), "records/%s", e->name);
		if (!e->is_tree || strata_trie_name_hash(h, e->name, 0) < 0) {
			error = strata_error_set("'%s': tree 'records' has an unexpected entry '%.80s' for the dataset "
						 "layout (dirs are named by 64 hex digits)", c->what, e->name);
			break;
		}
		if (i > 0 && strata_trie_level(h) != 2) {
			error = strata_error_set("'%s': dir '%s' starts where the layout does not cut a dir", c->what, sub);
			break;
		}
		oe = old ? git_tree_entry_byname(old, e->name) : NULL;
		if (oe && git_tree_entry_type(oe) == GIT_OBJECT_TREE && git_oid_equal(git_tree_entry_id(oe), &e->id)) {
			size_t k;
			if ((error = check_after(c, &p, h, e->name)) < 0)
				break;
			/* accepted as it is: bounded by the dir that followed it (oe is at index k) */
			k = (size_t)strata_trie_entry_at_or_below(old, h);
			p.have = 1;
			p.exact = 0;
			p.bounded = k + 1 < git_tree_entrycount(old) &&
				    strata_trie_name_hash(p.last, git_tree_entry_name(git_tree_entry_byindex(old, k + 1)), 0) == 0;
			p.unit = e->id;
			p.unit_is_dir = 1;
			snprintf(p.name, sizeof(p.name), "%.64s", e->name);
			continue;
		}
		error = check_dir(c, odb, &e->id, h, sub, &oc, &p);
	}
done:
	git_tree_free(oc.dir);
	git_tree_free(old);
	git_odb_object_free(raw);
	free(ents);
	return error;
}

/*
 * A dataset's tree: schema.json and records/ (check_records).  `old` is
 * the tree of the commit's parent, which passed these checks when it was
 * accepted (or NULL).
 */
static int check_tree(strata_received *c, git_odb *odb, const git_oid *id, const git_oid *old)
{
	raw_entry ents[TREE_ENTRIES_MAX];
	git_odb_object *raw = NULL;
	size_t n = 0;
	git_oid o, os;
	int rc, error = 0;

	if (old && git_oid_equal(id, old))
		return 0;
	if ((rc = strata_received_needed(c, id)) < 0)
		return rc;
	if ((error = parse_raw_tree(c, odb, id, "/", ents, TREE_ENTRIES_MAX, &n, &raw)) < 0)
		goto done;
	if (n != 2 || !ents[0].is_tree || ents[0].nlen != 7 || memcmp(ents[0].name, "records", 7) ||
	    ents[1].is_tree || ents[1].nlen != 11 || memcmp(ents[1].name, "schema.json", 11)) {
		for (size_t i = 0; i < n; i++)
			if (!((ents[i].is_tree && !strcmp(ents[i].name, "records")) ||
			      (!ents[i].is_tree && !strcmp(ents[i].name, "schema.json")))) {
				error = strata_error_set("'%s': tree '/' has an unexpected entry '%.64s' for the "
							 "dataset layout", c->what, ents[i].name);
				goto done;
			}
		error = strata_error_set("'%s': a received dataset tree must hold schema.json and records/", c->what);
		goto done;
	}
	/* the schema first: the records' key hashes need its key */
	if ((rc = strata_received_needed(c, &ents[1].id)) < 0 ||
	    (error = load_schema(c, odb, &ents[1].id, rc == 1)) < 0) {
		error = rc < 0 ? rc : error;
		goto done;
	}
	{
		/* a new key means new key hashes: every leaf is checked again */
		const git_oid *oschema = old_entry(c->repo, old, "schema.json", 0, &os);
		const git_oid *orec = oschema && git_oid_equal(oschema, &ents[1].id) ?
				      old_entry(c->repo, old, "records", 1, &o) : NULL;
		error = check_records(c, odb, &ents[0].id, orec);
	}
done:
	git_odb_object_free(raw);
	return error;
}

/* "NAME <EMAIL> SECONDS +HHMM", as git fsck --strict wants an author or committer */
static int check_ident(const char *s, size_t len)
{
	const char *lt = memchr(s, '<', len), *gt, *e = s + len, *p;
	if (!lt || lt == s || lt[-1] != ' ' || (gt = memchr(lt, '>', (size_t)(e - lt))) == NULL)
		return -1;
	for (p = s; p < gt; p++)
		if ((*p == '<' && p != lt) || *p == '\n')
			return -1;
	p = gt + 1;
	if (p >= e || *p++ != ' ' || p >= e || !(*p >= '0' && *p <= '9') || (*p == '0' && p + 1 < e && p[1] != ' '))
		return -1;
	{
		size_t digits = 0;
		while (p < e && *p >= '0' && *p <= '9') {
			p++;
			if (++digits > 18)
				return -1;
		}
	}
	if (e - p != 6 || p[0] != ' ' || (p[1] != '+' && p[1] != '-'))
		return -1;
	for (int i = 2; i < 6; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	/* real offsets run from -1200 to +1400, minutes under 60 */
	if ((p[2] - '0') * 10 + (p[3] - '0') > 14 || (p[4] - '0') * 10 + (p[5] - '0') > 59)
		return -1;
	return 0;
}

/*
 * The raw commit as git fsck --strict reads it: "tree" naming a tree,
 * "parent" lines naming commits, one author and one committer with a
 * sane date and timezone, then other headers (gpgsig), a blank line.
 */
static int check_raw_commit(strata_received *c, git_odb *odb, const git_oid *id, const char *hex)
{
	git_odb_object *o = NULL;
	const char *d, *end, *line, *nl;
	int state = 0, parents = 0, error = 0;	/* 0 tree, 1 parents/author, 2 committer, 3 others */

	if (git_odb_read(&o, odb, id) < 0)
		return strata_error_git("cannot read a received commit");
	d = git_odb_object_data(o);
	end = d + git_odb_object_size(o);
	/* a merge first: the plainest reason */
	for (line = d; line < end && (nl = memchr(line, '\n', (size_t)(end - line))) != NULL && nl > line; line = nl + 1)
		if ((size_t)(nl - line) > 7 && !memcmp(line, "parent ", 7))
			parents++;
	if (parents > 1)
		error = strata_error_set("'%s': commit %.12s is a merge; views have linear history", c->what, hex);
	for (line = d; !error; line = nl + 1) {
		size_t len;
		git_oid ref;
		size_t olen;
		git_object_t type;

		if (line >= end || (nl = memchr(line, '\n', (size_t)(end - line))) == NULL) {
			error = strata_error_set("'%s': commit %.12s has no message", c->what, hex);
			break;
		}
		len = (size_t)(nl - line);
		if (len == 0) {
			if (state < 3)
				error = strata_error_set("'%s': commit %.12s lacks its %s", c->what, hex,
							 state == 0 ? "tree" : state == 1 ? "author" : "committer");
			break;
		}
		if (state == 0 || (state == 1 && len > 7 && !memcmp(line, "parent ", 7))) {
			const char *want = state == 0 ? "tree " : "parent ";
			size_t wl = strlen(want);

			if (len != wl + GIT_OID_HEXSZ || memcmp(line, want, wl) ||
			    git_oid_fromstrn(&ref, line + wl, GIT_OID_HEXSZ) < 0) {
				git_error_clear();
				error = strata_error_set("'%s': commit %.12s has a malformed %sline", c->what, hex,
							 state == 0 ? "first (tree) " : "parent ");
				break;
			}
			for (size_t k = wl; k < len; k++)
				if (!strchr("0123456789abcdef", line[k])) {
					error = strata_error_set("'%s': commit %.12s names an object in upper case", c->what, hex);
					break;
				}
			if (error)
				break;
			if (git_odb_read_header(&olen, &type, odb, &ref) < 0 ||
			    type != (state == 0 ? GIT_OBJECT_TREE : GIT_OBJECT_COMMIT)) {
				git_error_clear();
				error = strata_error_set("'%s': commit %.12s: its %s line does not name a %s", c->what, hex,
							 state == 0 ? "tree" : "parent", state == 0 ? "tree" : "commit");
				break;
			}
			state = 1;
		} else if (state == 1 || state == 2) {
			const char *want = state == 1 ? "author " : "committer ";
			size_t wl = strlen(want);
			if (len <= wl || memcmp(line, want, wl) || check_ident(line + wl, len - wl) < 0) {
				error = strata_error_set("'%s': commit %.12s has a malformed %s line (name, <email>, "
							 "date and a timezone from -1200 to +1400)", c->what, hex,
							 state == 1 ? "author" : "committer");
				break;
			}
			state++;
		} else if ((len > 7 && !memcmp(line, "author ", 7)) || (len > 10 && !memcmp(line, "committer ", 10)) ||
			   (len > 5 && !memcmp(line, "tree ", 5)) || (len > 7 && !memcmp(line, "parent ", 7))) {
			error = strata_error_set("'%s': commit %.12s has a second '%.*s' header", c->what, hex,
						 (int)(memchr(line, ' ', len) ? (const char *)memchr(line, ' ', len) - line : 0),
						 line);
		}
	}
	git_odb_object_free(o);
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
	git_odb *odb = NULL;
	git_commit *commit = NULL;
	char v[512], hex[GIT_OID_HEXSZ + 1];
	int error = STRATA_ERROR;

	git_oid_tostr(hex, sizeof(hex), id);
	if (git_repository_odb(&odb, c->repo) < 0)
		return strata_error_git("cannot open the received objects");
	if (check_raw_commit(c, odb, id, hex) < 0) {
		git_odb_free(odb);
		return STRATA_ERROR;
	}
	if (git_commit_lookup(&commit, c->repo, id) < 0) {
		git_odb_free(odb);
		return strata_error_git("cannot read a received commit");
	}
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
	{
		/* the parent passed these checks when it was accepted, or in this parcel */
		git_commit *parent = NULL;
		const git_oid *old = NULL;
		if (git_commit_parentcount(commit) == 1 && git_commit_parent(&parent, commit, 0) == 0)
			old = git_commit_tree_id(parent);
		git_error_clear();
		error = check_tree(c, odb, git_commit_tree_id(commit), old);
		git_commit_free(parent);
	}
done:
	git_commit_free(commit);
	git_odb_free(odb);
	return error;
}

void strata_received_dispose(strata_received *r)
{
	strata_oidset_dispose(&r->seen);
	strata_schema_free(r->schema);
	r->schema = NULL;
}
