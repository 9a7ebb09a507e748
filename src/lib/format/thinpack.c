/*
 * thinpack.c - see thinpack.h.
 *
 * Delta format (git's patch-delta): varint source size, varint target
 * size, then ops: 0x80|flags + offset/size bytes copies from the source,
 * 1..127 + bytes inserts literally.  Chunks of the target that occur in
 * the source (found through a hash of the source's chunks) become copies,
 * and a copy grows while the following chunk also follows in the source,
 * which is the common case for sorted record leaves where a few lines
 * changed.  A changed line is matched against the source line at the same
 * place: only the bytes between their common prefix and suffix (usually
 * the changed field) are inserted.
 */
#include "strata/format/thinpack.h"
#include "strata/base/array.h"
#include "strata/base/oidset.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define PACK_ZLIB_LEVEL 6
#define COPY_MAX 0xffff

/* --- delta encoding --- */

typedef struct {
	uint64_t h;
	size_t off, len;
} chunk_slot;

static uint64_t chunk_hash(const unsigned char *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h | 1;	/* 0 marks an empty slot */
}

/* Length of the chunk starting at p (a line, or a tree entry). */
static size_t chunk_len(const unsigned char *p, size_t left, int is_tree)
{
	const unsigned char *e;
	if (is_tree) {
		e = memchr(p, '\0', left);
		if (!e || (size_t)(e - p) + 1 + GIT_OID_RAWSZ > left)
			return left;
		return (size_t)(e - p) + 1 + GIT_OID_RAWSZ;
	}
	e = memchr(p, '\n', left);
	return e ? (size_t)(e - p) + 1 : left;
}

static int put_varint(strata_buf *out, size_t v)
{
	unsigned char b[10];
	size_t n = 0;
	do {
		b[n] = v & 0x7f;
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	return strata_buf_put(out, b, n);
}

static int emit_insert(strata_buf *out, const unsigned char *p, size_t len)
{
	while (len) {
		size_t n = len > 127 ? 127 : len;
		if (strata_buf_putc(out, (char)n) < 0 || strata_buf_put(out, p, n) < 0)
			return STRATA_ERROR;
		p += n;
		len -= n;
	}
	return 0;
}

static int emit_copy(strata_buf *out, size_t off, size_t len)
{
	while (len) {
		size_t n = len > COPY_MAX ? COPY_MAX : len;
		unsigned char op[8];
		size_t k = 1;
		op[0] = 0x80;
		for (int i = 0; i < 4; i++)
			if ((off >> (8 * i)) & 0xff) {
				op[k++] = (off >> (8 * i)) & 0xff;
				op[0] |= 1 << i;
			}
		for (int i = 0; i < 2; i++)
			if ((n >> (8 * i)) & 0xff) {
				op[k++] = (n >> (8 * i)) & 0xff;
				op[0] |= 0x10 << i;
			}
		if (strata_buf_put(out, op, k) < 0)
			return STRATA_ERROR;
		off += n;
		len -= n;
	}
	return 0;
}

int strata_thinpack_delta_encode(strata_buf *out, const unsigned char *src, size_t slen,
			const unsigned char *dst, size_t dlen, int is_tree)
{
	chunk_slot *tab = NULL;
	size_t nslots = 64, mask, lit = 0, copy_off = 0, copy_len = 0, filled = 0, src_next = 0;
	int error = STRATA_ERROR;

	if (slen > 0xffffffffu)
		return strata_error_set("delta source too large");
	while (nslots < slen / 16)
		nslots <<= 1;
	if ((tab = calloc(nslots, sizeof(*tab))) == NULL)
		return strata_error_set("out of memory");
	mask = nslots - 1;
	for (size_t off = 0; off < slen;) {
		size_t len = chunk_len(src + off, slen - off, is_tree);
		uint64_t h = chunk_hash(src + off, len);
		size_t s = h & mask;
		while (tab[s].h && tab[s].h != h)
			s = (s + 1) & mask;
		if (!tab[s].h && filled * 2 < nslots) {	/* the first occurrence wins; half full at most */
			filled++;
			tab[s].h = h;
			tab[s].off = off;
			tab[s].len = len;
		}
		off += len;
		if (off >= slen)
			break;
	}
	if (put_varint(out, slen) < 0 || put_varint(out, dlen) < 0)
		goto done;
	for (size_t off = 0; off < dlen;) {
		size_t len = chunk_len(dst + off, dlen - off, is_tree);
		const unsigned char *c = dst + off;
		if (copy_len && copy_off + copy_len + len <= slen && !memcmp(src + copy_off + copy_len, c, len)) {
			copy_len += len;
			src_next = copy_off + copy_len;
		} else {
			uint64_t h = chunk_hash(c, len);
			size_t s = h & mask, sl = 0, pre = 0, suf = 0;
			while (tab[s].h && !(tab[s].h == h && tab[s].len == len && !memcmp(src + tab[s].off, c, len)))
				s = (s + 1) & mask;
			if (!tab[s].h && src_next < slen) {
				/*
				 * Not in the source as is: most often the record at the
				 * same place with a field changed.  Copy what it shares
				 * with the source chunk where we are.
				 */
				const unsigned char *o = src + src_next;
				sl = chunk_len(o, slen - src_next, is_tree);
				while (pre < sl && pre < len && o[pre] == c[pre])
					pre++;
				while (suf < sl - pre && suf < len - pre && o[sl - 1 - suf] == c[len - 1 - suf])
					suf++;
			}
			if (tab[s].h && len > 8) {
				if ((error = emit_insert(out, dst + off - lit, lit)) < 0 || (error = emit_copy(out, copy_off, copy_len)) < 0)
					goto done;
				lit = 0;
				copy_off = tab[s].off;
				copy_len = len;
				src_next = copy_off + copy_len;
			} else if (pre + suf >= 16) {
				if ((error = emit_insert(out, dst + off - lit, lit)) < 0 || (error = emit_copy(out, copy_off, copy_len)) < 0 ||
				    (error = emit_copy(out, src_next, pre)) < 0 || (error = emit_insert(out, c + pre, len - pre - suf)) < 0)
					goto done;
				lit = 0;
				copy_off = src_next + sl - suf;	/* the suffix may run on into the next chunks */
				copy_len = suf;
				src_next += sl;
			} else {
				if ((error = emit_copy(out, copy_off, copy_len)) < 0)
					goto done;
				copy_len = 0;
				lit += len;
			}
		}
		off += len;
	}
	if ((error = emit_insert(out, dst + dlen - lit, lit)) < 0 || (error = emit_copy(out, copy_off, copy_len)) < 0)
		goto done;
	error = 0;
done:
	free(tab);
	return error;
}

/* --- choosing the objects --- */

typedef struct {
	git_oid id;
	git_object_t type;
	int has_base;
	git_oid base;
} pack_entry;

/*
 * The pack's invariants, which the receiver checks too (received.c):
 *   1. no object the recipient holds is in the pack: an object at the
 *      same path as in a held parent, or one already used as a held delta
 *      base, is left out with everything under it;
 *   2. a delta's base is the object itself never, and is either held by
 *      the recipient (and so not in the pack) or written earlier in the
 *      pack: deltas form chains that end outside the pack, no cycle;
 *   3. a chain is at most STRATA_DELTA_DEPTH_MAX deltas long.
 */
typedef struct {
	git_repository *repo;
	pack_entry *e;
	size_t n, alloc;
	strata_oidset chosen;	/* in the pack: id -> delta depth */
	strata_oidset held;	/* delta bases the recipient holds */
} chooser;

static int choose(chooser *c, const git_oid *id, git_object_t type, const git_oid *base)
{
	size_t depth = 0, bdepth;
	int rc;

	if (strata_oidset_contains(&c->chosen, id) || strata_oidset_contains(&c->held, id) ||
	    (base && git_oid_equal(base, id)))
		return 0;	/* in the pack already, or the recipient has it */
	if (base) {
		if (strata_oidset_find(&c->chosen, base, &bdepth)) {
			depth = bdepth + 1;	/* written earlier in the pack */
			if (depth > STRATA_DELTA_DEPTH_MAX) {
				base = NULL;
				depth = 0;
			}
		} else {
			/* not in the pack, so the recipient holds it: the parent
			 * it came from is held, or was itself left out as held */
			if ((rc = strata_oidset_add(&c->held, base)) < 0)
				return rc;
			depth = 1;
		}
	}
	if ((rc = strata_oidset_put(&c->chosen, id, depth)) <= 0)
		return rc;
	if (strata_array_grow(&c->e, &c->alloc, c->n + 1, 1024) < 0)
		return STRATA_ERROR;
	c->e[c->n].id = *id;
	c->e[c->n].type = type;
	c->e[c->n].has_base = base != NULL;
	if (base)
		c->e[c->n].base = *base;
	c->n++;
	return 1;
}

/* Every object of `t` that differs from what `old` (may be NULL) has at the same path. */
static int choose_tree(chooser *c, const git_tree *t, const git_tree *old)
{
	size_t n = git_tree_entrycount(t);
	int rc = choose(c, git_tree_id(t), GIT_OBJECT_TREE, old ? git_tree_id(old) : NULL);

	if (rc <= 0)
		return rc;	/* already chosen: its contents were too */
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		const git_tree_entry *o = old ? git_tree_entry_byname(old, git_tree_entry_name(e)) : NULL;
		git_object_t type = git_tree_entry_type(e);
		if (o && git_oid_equal(git_tree_entry_id(o), git_tree_entry_id(e)))
			continue;
		if (o && git_tree_entry_type(o) != type)
			o = NULL;
		if (type == GIT_OBJECT_TREE) {
			git_tree *sub = NULL, *osub = NULL;
			if (git_tree_lookup(&sub, c->repo, git_tree_entry_id(e)) < 0 ||
			    (o && git_tree_lookup(&osub, c->repo, git_tree_entry_id(o)) < 0)) {
				git_tree_free(sub);
				return strata_error_git("cannot read tree");
			}
			rc = choose_tree(c, sub, osub);
			git_tree_free(sub);
			git_tree_free(osub);
		} else if (type == GIT_OBJECT_BLOB) {
			rc = choose(c, git_tree_entry_id(e), GIT_OBJECT_BLOB, o ? git_tree_entry_id(o) : NULL);
		} else {
			rc = strata_error_set("tree entry '%s' is neither a tree nor a blob", git_tree_entry_name(e));
		}
		if (rc < 0)
			return rc;
	}
	return 1;
}

static int choose_all(chooser *c, const git_oid *tips, size_t ntips, const git_oid *bases, size_t nbases)
{
	git_revwalk *walk = NULL;
	git_oid id;
	git_commit *commit = NULL, *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	int rc, error = 0;

	if (git_revwalk_new(&walk, c->repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0)
		return strata_error_git("cannot walk history");
	for (size_t i = 0; i < ntips; i++)
		if (git_revwalk_push(walk, &tips[i]) < 0) {
			error = strata_error_git("cannot walk history");
			goto done;
		}
	for (size_t i = 0; i < nbases; i++)
		if (git_revwalk_hide(walk, &bases[i]) < 0) {
			error = strata_error_git("cannot walk history");
			goto done;
		}
	while ((rc = git_revwalk_next(&id, walk)) == 0) {
		if (git_commit_lookup(&commit, c->repo, &id) < 0 || git_commit_tree(&tree, commit) < 0 ||
		    (git_commit_parentcount(commit) > 0 &&
		     (git_commit_parent(&parent, commit, 0) < 0 || git_commit_tree(&ptree, parent) < 0))) {
			error = strata_error_git("cannot read commit");
			goto done;
		}
		if ((error = choose(c, &id, GIT_OBJECT_COMMIT, NULL)) < 0 ||
		    (error = choose_tree(c, tree, ptree)) < 0)
			goto done;
		error = 0;
		git_tree_free(ptree);
		git_tree_free(tree);
		git_commit_free(parent);
		git_commit_free(commit);
		ptree = tree = NULL;
		parent = commit = NULL;
	}
	if (rc != GIT_ITEROVER)
		error = strata_error_git("cannot walk history");
done:
	git_tree_free(ptree);
	git_tree_free(tree);
	git_commit_free(parent);
	git_commit_free(commit);
	git_revwalk_free(walk);
	return error;
}

/* --- writing --- */

static int put_entry_header(strata_buf *out, EVP_MD_CTX *sha, int type, size_t size)
{
	unsigned char b[16];
	size_t n = 0;

	b[n] = (unsigned char)((type << 4) | (size & 0x0f));
	size >>= 4;
	while (size) {
		b[n++] |= 0x80;
		b[n] = size & 0x7f;
		size >>= 7;
	}
	n++;
	EVP_DigestUpdate(sha, b, n);
	return strata_buf_put(out, b, n);
}

static int put_deflated(strata_buf *out, EVP_MD_CTX *sha, z_stream *zs, const void *data, size_t len)
{
	size_t start = out->len, bound = deflateBound(zs, len);
	int rc;

	if (deflateReset(zs) != Z_OK || strata_buf_grow(out, bound) < 0)
		return strata_error_set("cannot compress object");
	zs->next_in = (unsigned char *)data;
	zs->avail_in = (uInt)len;
	zs->next_out = (unsigned char *)out->ptr + out->len;
	zs->avail_out = (uInt)bound;
	rc = deflate(zs, Z_FINISH);
	if (rc != Z_STREAM_END)
		return strata_error_set("cannot compress object");
	out->len += bound - zs->avail_out;
	EVP_DigestUpdate(sha, out->ptr + start, out->len - start);
	return 0;
}

int strata_thinpack_build(strata_buf *out, strata_thinpack_stats *stats, git_repository *repo,
			  const git_oid *tips, size_t ntips, const git_oid *bases, size_t nbases)
{
	chooser c = { 0 };
	git_odb *odb = NULL;
	git_odb_object *obj = NULL, *base = NULL;
	strata_buf delta = STRATA_BUF_INIT;
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	z_stream zs;
	unsigned char hdr[12], sum[20];
	unsigned int sumlen = 0;
	int zinit = 0, error = STRATA_ERROR;

	memset(stats, 0, sizeof(*stats));
	memset(&zs, 0, sizeof(zs));
	c.repo = repo;
	if (!sha || EVP_DigestInit_ex(sha, EVP_sha1(), NULL) != 1) {
		error = strata_error_ssl("cannot hash pack");
		goto done;
	}
	if (deflateInit(&zs, PACK_ZLIB_LEVEL) != Z_OK) {
		error = strata_error_set("cannot compress");
		goto done;
	}
	zinit = 1;
	if ((error = choose_all(&c, tips, ntips, bases, nbases)) < 0)
		goto done;
	if (git_repository_odb(&odb, repo) < 0) {
		error = strata_error_git("cannot open object store");
		goto done;
	}
	memcpy(hdr, "PACK", 4);
	hdr[4] = 0; hdr[5] = 0; hdr[6] = 0; hdr[7] = 2;
	hdr[8] = (unsigned char)(c.n >> 24); hdr[9] = (unsigned char)(c.n >> 16);
	hdr[10] = (unsigned char)(c.n >> 8); hdr[11] = (unsigned char)c.n;
	EVP_DigestUpdate(sha, hdr, 12);
	if ((error = strata_buf_put(out, hdr, 12)) < 0)
		goto done;
	for (size_t i = 0; i < c.n; i++) {
		const pack_entry *e = &c.e[i];
		const unsigned char *data;
		size_t len;
		int written = 0;

		if (git_odb_read(&obj, odb, &e->id) < 0) {
			error = strata_error_git("cannot read object");
			goto done;
		}
		data = git_odb_object_data(obj);
		len = git_odb_object_size(obj);
		stats->raw_bytes += len;
		if (e->has_base && git_odb_read(&base, odb, &e->base) == 0) {
			strata_buf_clear(&delta);
			if ((error = strata_thinpack_delta_encode(&delta, git_odb_object_data(base), git_odb_object_size(base),
						data, len, e->type == GIT_OBJECT_TREE)) < 0)
				goto done;
			if (delta.len < len / 2) {
				if ((error = put_entry_header(out, sha, 7, delta.len)) < 0 ||
				    (error = strata_buf_put(out, e->base.id, GIT_OID_RAWSZ)) < 0)
					goto done;
				EVP_DigestUpdate(sha, e->base.id, GIT_OID_RAWSZ);
				if ((error = put_deflated(out, sha, &zs, delta.ptr, delta.len)) < 0)
					goto done;
				stats->deltas++;
				written = 1;
			}
		}
		git_error_clear();
		if (!written && ((error = put_entry_header(out, sha, (int)e->type, len)) < 0 ||
				 (error = put_deflated(out, sha, &zs, data, len)) < 0))
			goto done;
		git_odb_object_free(base);
		git_odb_object_free(obj);
		base = obj = NULL;
	}
	if (EVP_DigestFinal_ex(sha, sum, &sumlen) != 1) {
		error = strata_error_ssl("cannot finish the pack's checksum");
		goto done;
	}
	if ((error = strata_buf_put(out, sum, 20)) < 0)
		goto done;
	stats->objects = c.n;
	error = 0;
done:
	if (zinit)
		deflateEnd(&zs);
	EVP_MD_CTX_free(sha);
	git_odb_object_free(base);
	git_odb_object_free(obj);
	git_odb_free(odb);
	strata_buf_dispose(&delta);
	free(c.e);
	strata_oidset_dispose(&c.chosen);
	strata_oidset_dispose(&c.held);
	return error;
}
