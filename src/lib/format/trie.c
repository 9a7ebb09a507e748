/*
 * trie.c - the record layout: content-defined leaves and dirs; see trie.h.
 */
#include "strata/format/trie.h"
#include "strata/base/array.h"
#include "strata/base/digest.h"
#include "strata/base/enc.h"
#include "strata/format/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int strata_trie_keyhash(unsigned char out[STRATA_HASH_LEN], char *const *vals,
		   const size_t *lens, size_t n)
{
	strata_buf b = STRATA_BUF_INIT;
	int error = STRATA_ERROR;

	if ((error = strata_buf_putc(&b, '[')) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		if ((i && (error = strata_buf_putc(&b, ',')) < 0) ||
		    (error = strata_json_put_string(&b, vals[i], lens[i])) < 0)
			goto done;
	if ((error = strata_buf_putc(&b, ']')) < 0)
		goto done;
	error = strata_digest_sha256(out, b.ptr, b.len);
done:
	strata_buf_dispose(&b);
	return error;
}

int strata_trie_line_keyhash(unsigned char out[STRATA_HASH_LEN], const char *line, size_t len,
			char *const *key, size_t nkey)
{
	strata_buf vals = STRATA_BUF_INIT;
	char *kv[64];
	size_t kl[64], offs[64];
	int error = 0;

	if (nkey > 64)
		return strata_error_set("too many key fields");
	for (size_t i = 0; i < nkey && !error; i++) {
		int r;
		offs[i] = vals.len;
		if ((r = strata_json_record_field(&vals, line, len, key[i])) < 0)
			error = r;
		else if (r == 0)
			error = strata_error_set("record lacks key field '%s'", key[i]);
		else if ((kl[i] = vals.len - offs[i]) == 0)
			error = strata_error_set("record has an empty key field '%s'", key[i]);
	}
	if (!error) {
		for (size_t i = 0; i < nkey; i++)
			kv[i] = vals.ptr + offs[i];
		error = strata_trie_keyhash(out, kv, kl, nkey);
	}
	strata_buf_dispose(&vals);
	return error;
}

static int cmp_item(const void *pa, const void *pb)
{
	const strata_trie_item *a = pa, *b = pb;
	int c = memcmp(a->hash, b->hash, STRATA_HASH_LEN);
	if (c)
		return c;
	if (a->origin != b->origin)
		return a->origin < b->origin ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

void strata_trie_sort(strata_trie_item *items, size_t n)
{
	if (n < 2)
		return;	/* and items may be NULL: qsort's pointer must not be */
	qsort(items, n, sizeof(*items), cmp_item);
}

int strata_trie_level(const unsigned char hash[STRATA_HASH_LEN])
{
	/* the hash's last four bytes: independent of the order, which the first ones decide */
	uint32_t v = (uint32_t)hash[28] << 24 | (uint32_t)hash[29] << 16 | (uint32_t)hash[30] << 8 | hash[31];

	if (v >> (32 - STRATA_TRIE_LEAF_BITS - STRATA_TRIE_DIR_BITS) == 0)
		return 2;
	return v >> (32 - STRATA_TRIE_LEAF_BITS) == 0;
}

int strata_trie_name_hash(unsigned char out[STRATA_HASH_LEN], const char *name, int is_leaf)
{
	size_t len = strlen(name);

	if (len != STRATA_TRIE_NAME_LEN + (is_leaf ? 6 : 0) ||
	    (is_leaf && strcmp(name + STRATA_TRIE_NAME_LEN, ".jsonl")))
		return -1;
	for (size_t i = 0; i < STRATA_TRIE_NAME_LEN; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return -1;
	return strata_enc_unhex(out, name, STRATA_HASH_LEN) < 0 ? -1 : 0;
}

int strata_trie_tree_entry(strata_buf *tree, const char *name, int is_tree, const git_oid *oid)
{
	if (strata_buf_printf(tree, "%s %s", is_tree ? "40000" : "100644", name) < 0 ||
	    strata_buf_putc(tree, '\0') < 0 ||
	    strata_buf_put(tree, oid->id, GIT_OID_RAWSZ) < 0)
		return STRATA_ERROR;
	return 0;
}

static int named_entry(strata_buf *tree, const unsigned char first[STRATA_HASH_LEN], int is_leaf,
		       const git_oid *oid)
{
	char name[STRATA_TRIE_NAME_LEN + 8];

	strata_enc_hex(name, first, STRATA_HASH_LEN);
	if (is_leaf)
		memcpy(name + STRATA_TRIE_NAME_LEN, ".jsonl", 7);
	return strata_trie_tree_entry(tree, name, !is_leaf, oid);
}

/*
 * The builder keeps the leaf and the dir being filled.  A record of level
 * 1 closes the leaf before it, one of level 2 the dir too; the first
 * record of all opens both whatever its level.
 */
struct strata_trie_builder {
	strata_packw *w;
	int started;
	unsigned char last[STRATA_HASH_LEN];	/* the last record put, for the order check */
	int have_last;
	strata_buf leaf;
	unsigned char leaf_first[STRATA_HASH_LEN];
	size_t leaf_n;
	strata_buf dir;
	unsigned char dir_first[STRATA_HASH_LEN];
	size_t dir_n;
	strata_buf root;
};

int strata_trie_builder_new(strata_trie_builder **out, strata_packw *w)
{
	strata_trie_builder *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (!b)
		return strata_error_set("out of memory");
	b->w = w;
	*out = b;
	return 0;
}

void strata_trie_builder_free(strata_trie_builder *b)
{
	if (!b)
		return;
	strata_buf_dispose(&b->leaf);
	strata_buf_dispose(&b->dir);
	strata_buf_dispose(&b->root);
	free(b);
}

/* Appends a finished leaf (or dir) to the dir (or records/) being filled. */
static int dir_append(strata_trie_builder *b, const unsigned char first[STRATA_HASH_LEN], const git_oid *oid)
{
	if (b->dir_n == 0)
		memcpy(b->dir_first, first, STRATA_HASH_LEN);
	b->dir_n++;
	return named_entry(&b->dir, first, 1, oid);
}

static int close_leaf(strata_trie_builder *b)
{
	git_oid oid;
	int error;

	if (b->leaf_n == 0)
		return 0;
	if ((error = strata_pack_writer_add(b->w, GIT_OBJECT_BLOB, b->leaf.ptr, b->leaf.len, &oid)) < 0 ||
	    (error = dir_append(b, b->leaf_first, &oid)) < 0)
		return error;
	strata_buf_clear(&b->leaf);
	b->leaf_n = 0;
	return 0;
}

static int close_dir(strata_trie_builder *b)
{
	git_oid oid;
	int error;

	if ((error = close_leaf(b)) < 0 || b->dir_n == 0)
		return error;
	if ((error = strata_pack_writer_add(b->w, GIT_OBJECT_TREE, b->dir.ptr, b->dir.len, &oid)) < 0 ||
	    (error = named_entry(&b->root, b->dir_first, 0, &oid)) < 0)
		return error;
	strata_buf_clear(&b->dir);
	b->dir_n = 0;
	return 0;
}

/* Closes what a record, leaf or dir starting at `first` closes. */
static int cut_before(strata_trie_builder *b, const unsigned char first[STRATA_HASH_LEN])
{
	int level = b->started ? strata_trie_level(first) : 2;

	if (level == 2)
		return close_dir(b);
	return level == 1 ? close_leaf(b) : 0;
}

/*
 * Appends a record of layout level `level`; `hash` may be NULL only if
 * it neither starts the builder nor a leaf (a later record of an old leaf).
 */
static int put_line(strata_trie_builder *b, const unsigned char *hash, int level, const char *data, size_t len)
{
	int error;

	if (!b->started)
		level = 2;
	if ((error = level == 2 ? close_dir(b) : level == 1 ? close_leaf(b) : 0) < 0)
		return error;
	if (b->leaf_n == 0) {
		if (!hash)
			return strata_error_set("a leaf would start at a record of unknown key hash");
		memcpy(b->leaf_first, hash, STRATA_HASH_LEN);
	}
	if (strata_buf_put(&b->leaf, data, len) < 0 || strata_buf_putc(&b->leaf, '\n') < 0)
		return STRATA_ERROR;
	b->leaf_n++;
	b->started = 1;
	if ((b->have_last = hash != NULL))
		memcpy(b->last, hash, STRATA_HASH_LEN);
	return 0;
}

static int put_record(strata_trie_builder *b, const strata_trie_item *it)
{
	if (b->have_last && memcmp(it->hash, b->last, STRATA_HASH_LEN) <= 0)
		return strata_error_set("records out of key-hash order");
	return put_line(b, it->hash, strata_trie_level(it->hash), it->data, it->len);
}

/* A whole leaf (is_leaf) or dir kept from an old tree; the merge checked it may be. */
static int put_kept(strata_trie_builder *b, const unsigned char first[STRATA_HASH_LEN],
		    const git_oid *oid, int is_leaf)
{
	int error;

	if ((error = cut_before(b, first)) < 0)
		return error;
	if (is_leaf)
		error = dir_append(b, first, oid);
	else if ((error = close_dir(b)) == 0)
		error = named_entry(&b->root, first, 0, oid);
	b->started = 1;
	b->have_last = 0;	/* its last record is not known: the merge orders its input */
	return error;
}

int strata_trie_builder_add(strata_trie_builder *b, const strata_trie_item *items, size_t n)
{
	int error = 0;
	for (size_t i = 0; i < n && !error; i++)
		error = put_record(b, &items[i]);
	return error;
}

int strata_trie_builder_finish(strata_trie_builder *b, git_oid *oid)
{
	int error;
	if ((error = close_dir(b)) < 0)
		return error;
	return strata_pack_writer_add(b->w, GIT_OBJECT_TREE, b->root.ptr ? b->root.ptr : "",
				      b->root.len, oid);
}

int strata_trie_build(strata_packw *w, strata_trie_item *items, size_t n, git_oid *oid)
{
	strata_trie_builder *b = NULL;
	int error;

	strata_trie_sort(items, n);
	for (size_t i = 1; i < n; i++)
		if (memcmp(items[i - 1].hash, items[i].hash, STRATA_HASH_LEN) == 0)
			return strata_error_set("duplicate key hash");
	if ((error = strata_trie_builder_new(&b, w)) < 0)
		return error;
	error = strata_trie_builder_add(b, items, n);
	if (!error)
		error = strata_trie_builder_finish(b, oid);
	strata_trie_builder_free(b);
	return error;
}

/*
 * The merge walks the old tree in key order beside the changes.  For each
 * old dir, then leaf: if no change falls in its range [first, next first)
 * and none deletes the next one's first record (which would pull records
 * into it), it is kept whole, provided the new sequence also starts a
 * dir (leaf) there; otherwise it is opened and its records stream through
 * the builder with the changes.
 */
struct strata_trie_merge {
	strata_trie_builder *b;
	git_repository *repo;
	strata_trie_hash_fn hash;
	void *payload;
	strata_trie_counts counts;
	unsigned char last_op[STRATA_HASH_LEN];
	int have_op;
	git_tree *root;		/* old records/, or NULL */
	size_t di;
	git_tree *dir;		/* the open old dir */
	size_t li;
	git_blob *blob;		/* the open old leaf */
	strata_trie_item *recs;
	size_t ri, nrecs, arecs;
	unsigned char leaf_next[STRATA_HASH_LEN];
	int leaf_has_next;
};

int strata_trie_merge_new(strata_trie_merge **out, strata_packw *w, git_repository *repo,
			  const git_tree *old, strata_trie_hash_fn hash, void *payload)
{
	strata_trie_merge *m = calloc(1, sizeof(*m));
	int error;

	*out = NULL;
	if (!m)
		return strata_error_set("out of memory");
	m->repo = repo;
	m->hash = hash;
	m->payload = payload;
	if ((error = strata_trie_builder_new(&m->b, w)) < 0 ||
	    (old && git_tree_dup(&m->root, (git_tree *)old) < 0 && (error = strata_error_git("cannot read records tree")) < 0)) {
		strata_trie_merge_free(m);
		return error;
	}
	*out = m;
	return 0;
}

void strata_trie_merge_free(strata_trie_merge *m)
{
	if (!m)
		return;
	strata_trie_builder_free(m->b);
	git_tree_free(m->root);
	git_tree_free(m->dir);
	git_blob_free(m->blob);
	free(m->recs);
	free(m);
}

static int entry_first(unsigned char out[STRATA_HASH_LEN], const git_tree_entry *e, int is_leaf)
{
	int want = is_leaf ? GIT_OBJECT_BLOB : GIT_OBJECT_TREE;
	if (git_tree_entry_type(e) != want || strata_trie_name_hash(out, git_tree_entry_name(e), is_leaf) < 0)
		return strata_error_set("records tree has an unexpected entry '%.80s'", git_tree_entry_name(e));
	return 0;
}

/* The first hash of old dir `di + 1`; 0 if there is none. */
static int next_dir_first(strata_trie_merge *m, size_t di, unsigned char out[STRATA_HASH_LEN], int *has)
{
	*has = di + 1 < git_tree_entrycount(m->root);
	return *has ? entry_first(out, git_tree_entry_byindex(m->root, di + 1), 0) : 0;
}

/* The first hash of the old leaf after leaf `li` of the open dir. */
static int next_leaf_first(strata_trie_merge *m, unsigned char out[STRATA_HASH_LEN], int *has)
{
	if (m->li + 1 < git_tree_entrycount(m->dir)) {
		*has = 1;
		return entry_first(out, git_tree_entry_byindex(m->dir, m->li + 1), 1);
	}
	return next_dir_first(m, m->di, out, has);
}

/* Whether a change at `k` (NULL: the end) leaves the range that ends where `next` starts. */
static int passes(const unsigned char *k, int is_delete, const unsigned char *next, int has_next)
{
	int c;
	if (!k)
		return 1;
	if (!has_next)
		return 0;
	c = memcmp(k, next, STRATA_HASH_LEN);
	return c > 0 || (c == 0 && !is_delete);
}

/*
 * Opens an old leaf.  Its records' key hashes are computed only where the
 * merge needs them (a binary search for each change, and a record that
 * would start a leaf): the first one's is the leaf's name, and every later
 * one is of level 0, which is all the builder needs to copy it.  `line`
 * marks a record whose hash is known.
 */
static int open_leaf(strata_trie_merge *m, const git_tree_entry *e, const unsigned char first[STRATA_HASH_LEN])
{
	const char *p, *end, *nl;
	int error;

	if (git_blob_lookup(&m->blob, m->repo, git_tree_entry_id(e)) < 0)
		return strata_error_git("cannot read records");
	p = git_blob_rawcontent(m->blob);
	end = p + git_blob_rawsize(m->blob);
	m->nrecs = m->ri = 0;
	for (; p < end; p = nl + 1) {
		strata_trie_item *it;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p)
			continue;
		if ((error = strata_array_grow(&m->recs, &m->arecs, m->nrecs + 1, 64)) < 0)
			return error;
		it = &m->recs[m->nrecs++];
		it->data = p;
		it->len = (uint32_t)(nl - p);
		it->line = 0;
	}
	if (m->nrecs == 0)
		return strata_error_set("records leaf '%s' is empty", git_tree_entry_name(e));
	memcpy(m->recs[0].hash, first, STRATA_HASH_LEN);
	m->recs[0].line = 1;
	return next_leaf_first(m, m->leaf_next, &m->leaf_has_next);
}

static int rec_hash(strata_trie_merge *m, size_t i)
{
	strata_trie_item *it = &m->recs[i];
	int error;

	if (it->line)
		return 0;
	if ((error = m->hash(it->hash, it->data, it->len, m->payload)) < 0)
		return error;
	it->line = 1;
	return 0;
}

/* Copies old record `i` of the open leaf into the builder. */
static int put_old(strata_trie_merge *m, size_t i)
{
	int level = i == 0 ? strata_trie_level(m->recs[0].hash) : 0, error;

	if ((!m->b->started || (m->b->leaf_n == 0 && level == 0)) && (error = rec_hash(m, i)) < 0)
		return error;
	return put_line(m->b, m->recs[i].line ? m->recs[i].hash : NULL, level, m->recs[i].data, m->recs[i].len);
}

/* The first record of the open leaf at or above `k`, from m->ri on. */
static int seek(strata_trie_merge *m, const unsigned char *k, size_t *pos)
{
	size_t lo = m->ri, hi = m->nrecs;
	int error;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((error = rec_hash(m, mid)) < 0)
			return error;
		if (memcmp(m->recs[mid].hash, k, STRATA_HASH_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return lo < m->nrecs ? rec_hash(m, lo) : 0;
}

/* Emits every old record, leaf and dir below change `k` (NULL: all that is left). */
static int advance(strata_trie_merge *m, const unsigned char *k, int is_delete)
{
	unsigned char first[STRATA_HASH_LEN], next[STRATA_HASH_LEN];
	int has_next, error;

	for (;;) {
		if (m->blob) {
			size_t pos = m->nrecs;
			if (k && (error = seek(m, k, &pos)) < 0)
				return error;
			while (m->ri < pos)
				if ((error = put_old(m, m->ri++)) < 0)
					return error;
			if (m->ri < m->nrecs || (k && (!m->leaf_has_next || memcmp(k, m->leaf_next, STRATA_HASH_LEN) < 0)))
				return 0;	/* `k` falls in this leaf */
			git_blob_free(m->blob);
			m->blob = NULL;
			m->li++;
			continue;
		}
		if (m->dir) {
			const git_tree_entry *e;
			if (m->li == git_tree_entrycount(m->dir)) {
				git_tree_free(m->dir);
				m->dir = NULL;
				m->di++;
				continue;
			}
			e = git_tree_entry_byindex(m->dir, m->li);
			if ((error = entry_first(first, e, 1)) < 0 || (error = next_leaf_first(m, next, &has_next)) < 0)
				return error;
			/*
			 * The level test is a safety net: only the first leaf of all
			 * may start at level 0, and a change below it always opens it
			 * (the change falls in its range), so a started builder never
			 * meets it here.
			 */
			if (passes(k, is_delete, next, has_next) && (!m->b->started || strata_trie_level(first) >= 1)) {
				if ((error = put_kept(m->b, first, git_tree_entry_id(e), 1)) < 0)
					return error;
				m->li++;
				continue;
			}
			if ((error = open_leaf(m, e, first)) < 0)
				return error;
			continue;
		}
		if (!m->root || m->di == git_tree_entrycount(m->root))
			return 0;
		{
			const git_tree_entry *e = git_tree_entry_byindex(m->root, m->di);
			if ((error = entry_first(first, e, 0)) < 0 || (error = next_dir_first(m, m->di, next, &has_next)) < 0)
				return error;
			if (passes(k, is_delete, next, has_next) && (!m->b->started || strata_trie_level(first) == 2)) {
				if ((error = put_kept(m->b, first, git_tree_entry_id(e), 0)) < 0)
					return error;
				m->di++;
				continue;
			}
			if (git_tree_lookup(&m->dir, m->repo, git_tree_entry_id(e)) < 0)
				return strata_error_git("cannot read records tree");
			if (git_tree_entrycount(m->dir) == 0)
				return strata_error_set("records tree has an empty dir '%.80s'", git_tree_entry_name(e));
			m->li = 0;
		}
	}
}

int strata_trie_merge_add(strata_trie_merge *m, const strata_trie_item *items, size_t n)
{
	int error;

	for (size_t i = 0; i < n; i++) {
		const strata_trie_item *op = &items[i];
		int del = op->origin == STRATA_TRIE_DELETE, exists;

		if (m->have_op && memcmp(op->hash, m->last_op, STRATA_HASH_LEN) <= 0)
			return strata_error_set("changes out of key-hash order");
		memcpy(m->last_op, op->hash, STRATA_HASH_LEN);
		m->have_op = 1;
		if ((error = advance(m, op->hash, del)) < 0)
			return error;
		exists = m->blob && m->ri < m->nrecs && !memcmp(m->recs[m->ri].hash, op->hash, STRATA_HASH_LEN);
		if (exists) {
			const strata_trie_item *old = &m->recs[m->ri++];
			if (del) {
				m->counts.removed++;
				continue;
			}
			if (old->len != op->len || memcmp(old->data, op->data, op->len))
				m->counts.changed++;
		} else if (del) {
			continue;
		} else {
			m->counts.added++;
		}
		if ((error = put_record(m->b, op)) < 0)
			return error;
	}
	return 0;
}

int strata_trie_merge_finish(strata_trie_merge *m, strata_trie_counts *counts, git_oid *oid)
{
	int error;
	if ((error = advance(m, NULL, 0)) < 0 || (error = strata_trie_builder_finish(m->b, oid)) < 0)
		return error;
	if (counts) {
		counts->added += m->counts.added;
		counts->changed += m->counts.changed;
		counts->removed += m->counts.removed;
	}
	return 0;
}

int strata_trie_apply(strata_packw *w, git_repository *repo, const git_tree *old,
		      const strata_trie_item *items, size_t n, strata_trie_hash_fn hash,
		      void *payload, strata_trie_counts *counts, git_oid *oid)
{
	strata_trie_merge *m = NULL;
	int error;

	if ((error = strata_trie_merge_new(&m, w, repo, old, hash, payload)) == 0 &&
	    (error = strata_trie_merge_add(m, items, n)) == 0)
		error = strata_trie_merge_finish(m, counts, oid);
	strata_trie_merge_free(m);
	return error;
}

long strata_trie_entry_at_or_below(const git_tree *t, const unsigned char hash[STRATA_HASH_LEN])
{
	char hex[STRATA_TRIE_NAME_LEN + 1];
	long lo = 0, hi = (long)git_tree_entrycount(t) - 1, found = -1;

	strata_enc_hex(hex, hash, STRATA_HASH_LEN);
	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;
		const char *name = git_tree_entry_name(git_tree_entry_byindex(t, (size_t)mid));
		if (strncmp(name, hex, STRATA_TRIE_NAME_LEN) <= 0) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

int strata_trie_find_leaf(git_repository *repo, const git_tree *records,
			  const unsigned char hash[STRATA_HASH_LEN], git_oid *leaf)
{
	git_tree *dir = NULL;
	const git_tree_entry *e;
	long i;
	int found = 0;

	if (!records || (i = strata_trie_entry_at_or_below(records, hash)) < 0)
		return 0;
	e = git_tree_entry_byindex(records, (size_t)i);
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE || git_tree_lookup(&dir, repo, git_tree_entry_id(e)) < 0)
		return strata_error_git("cannot read records tree");
	if ((i = strata_trie_entry_at_or_below(dir, hash)) >= 0) {
		git_oid_cpy(leaf, git_tree_entry_id(git_tree_entry_byindex(dir, (size_t)i)));
		found = 1;
	}
	git_tree_free(dir);
	return found;
}

/* Leaves named and identified, for the diff. */
typedef struct {
	char name[STRATA_TRIE_NAME_LEN + 8];
	git_oid id;
} named_leaf;

typedef struct {
	named_leaf *v;
	size_t n, alloc;
} leaf_list;

static int list_dir(git_repository *repo, const git_tree_entry *d, leaf_list *l)
{
	git_tree *t = NULL;
	int error = 0;

	if (git_tree_entry_type(d) != GIT_OBJECT_TREE || git_tree_lookup(&t, repo, git_tree_entry_id(d)) < 0)
		return strata_error_git("cannot read records tree");
	for (size_t i = 0; i < git_tree_entrycount(t) && !error; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		if ((error = strata_array_grow(&l->v, &l->alloc, l->n + 1, 64)) < 0)
			break;
		snprintf(l->v[l->n].name, sizeof(l->v[l->n].name), "%s", git_tree_entry_name(e));
		git_oid_cpy(&l->v[l->n++].id, git_tree_entry_id(e));
	}
	git_tree_free(t);
	return error;
}

/* Keeps of `l` the leaves `other` lacks, as ids, in order. */
static int only_in(const leaf_list *l, const leaf_list *other, git_oid **out, size_t *n)
{
	size_t j = 0;

	*out = NULL;
	*n = 0;
	if (l->n && (*out = malloc(l->n * sizeof(**out))) == NULL)
		return strata_error_set("out of memory");
	for (size_t i = 0; i < l->n; i++) {
		int c = 1;
		while (j < other->n && (c = strcmp(other->v[j].name, l->v[i].name)) < 0)
			j++;
		if (j < other->n && c == 0 && git_oid_equal(&other->v[j].id, &l->v[i].id))
			continue;
		(*out)[(*n)++] = l->v[i].id;
	}
	return 0;
}

int strata_trie_diff(git_repository *repo, const git_tree *a, const git_tree *b,
		     git_oid **a_only, size_t *na, git_oid **b_only, size_t *nb)
{
	leaf_list la = { 0 }, lb = { 0 };
	size_t i = 0, j = 0, ca = a ? git_tree_entrycount(a) : 0, cb = b ? git_tree_entrycount(b) : 0;
	int error = 0;

	*a_only = *b_only = NULL;
	*na = *nb = 0;
	while (!error && (i < ca || j < cb)) {
		const git_tree_entry *ea = i < ca ? git_tree_entry_byindex(a, i) : NULL;
		const git_tree_entry *eb = j < cb ? git_tree_entry_byindex(b, j) : NULL;
		int c = !ea ? 1 : !eb ? -1 : strcmp(git_tree_entry_name(ea), git_tree_entry_name(eb));
		if (c == 0 && git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb))) {
			i++;
			j++;
			continue;
		}
		if (c <= 0 && (error = list_dir(repo, ea, &la)) == 0)
			i++;
		if (!error && c >= 0 && (error = list_dir(repo, eb, &lb)) == 0)
			j++;
	}
	if (!error && (error = only_in(&la, &lb, a_only, na)) == 0)
		error = only_in(&lb, &la, b_only, nb);
	if (error) {
		free(*a_only);
		free(*b_only);
		*a_only = *b_only = NULL;
		*na = *nb = 0;
	}
	free(la.v);
	free(lb.v);
	return error;
}
