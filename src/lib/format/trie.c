/*
 * trie.c - record layout; see trie.h for the rule.
 */
#include "strata/format/trie.h"
#include "strata/base/array.h"
#include "strata/format/json.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

int strata_trie_keyhash(unsigned char out[STRATA_HASH_LEN], char *const *vals,
		   const size_t *lens, size_t n)
{
	strata_buf b = STRATA_BUF_INIT;
	unsigned int mdlen;
	int error = STRATA_ERROR;

	if ((error = strata_buf_putc(&b, '[')) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		if ((i && (error = strata_buf_putc(&b, ',')) < 0) ||
		    (error = strata_json_put_string(&b, vals[i], lens[i])) < 0)
			goto done;
	if ((error = strata_buf_putc(&b, ']')) < 0)
		goto done;
	if (EVP_Digest(b.ptr, b.len, out, &mdlen, EVP_sha256(), NULL) != 1) {
		error = strata_error_set("SHA-256 failed");
		goto done;
	}
	error = 0;
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

static unsigned nibble(const unsigned char *hash, unsigned depth)
{
	return depth % 2 ? hash[depth / 2] & 15 : hash[depth / 2] >> 4;
}

int strata_trie_tree_entry(strata_buf *tree, const char *name, int is_tree, const git_oid *oid)
{
	if (strata_buf_printf(tree, "%s %s", is_tree ? "40000" : "100644", name) < 0 ||
	    strata_buf_putc(tree, '\0') < 0 ||
	    strata_buf_put(tree, oid->id, GIT_OID_RAWSZ) < 0)
		return STRATA_ERROR;
	return 0;
}

static int child_entry(strata_buf *tree, unsigned nib, int is_tree, const git_oid *oid)
{
	char name[16];
	snprintf(name, sizeof(name), is_tree ? "%x" : "%x.jsonl", nib);
	return strata_trie_tree_entry(tree, name, is_tree, oid);
}

static int write_leaf(strata_packw *w, const strata_trie_item *items, size_t n, git_oid *oid)
{
	strata_buf blob = STRATA_BUF_INIT;
	int error = 0;

	for (size_t i = 0; i < n && !error; i++)
		error = (strata_buf_put(&blob, items[i].data, items[i].len) < 0 ||
			 strata_buf_putc(&blob, '\n') < 0) ? STRATA_ERROR : 0;
	if (!error)
		error = strata_pack_writer_add(w, GIT_OBJECT_BLOB, blob.ptr ? blob.ptr : "", blob.len, oid);
	strata_buf_dispose(&blob);
	return error;
}

/* Builds the node at `depth` (>= 1) for `items`, all sharing depth nibbles. */
static int build_node(strata_packw *w, const strata_trie_item *items, size_t n,
		      unsigned depth, git_oid *oid, int *is_tree)
{
	strata_buf tree = STRATA_BUF_INIT;
	int error = 0;

	if (n <= STRATA_TRIE_LEAF_MAX) {
		*is_tree = 0;
		return write_leaf(w, items, n, oid);
	}
	if (depth >= 2 * STRATA_HASH_LEN)
		return strata_error_set("key hash collision");
	*is_tree = 1;
	for (size_t i = 0; i < n && !error;) {
		unsigned nib = nibble(items[i].hash, depth);
		size_t j = i;
		git_oid child;
		int child_tree;
		while (j < n && nibble(items[j].hash, depth) == nib)
			j++;
		error = build_node(w, items + i, j - i, depth + 1, &child, &child_tree);
		if (!error)
			error = child_entry(&tree, nib, child_tree, &child);
		i = j;
	}
	if (!error)
		error = strata_pack_writer_add(w, GIT_OBJECT_TREE, tree.ptr, tree.len, oid);
	strata_buf_dispose(&tree);
	return error;
}

/*
 * Builder state for the streaming case.  A group is a depth-1 node (first
 * nibble).  Until a group is known to exceed the leaf bound, its buckets
 * are kept (at most LEAF_MAX records, copied into `arena`); once it does,
 * they are flushed as depth-2 nodes and later buckets go straight out.
 */
struct strata_trie_builder {
	strata_packw *w;
	int group;			/* current group, -1 before the first */
	int split;			/* current group exceeds the bound */
	strata_buf root;		/* records/ entries */
	strata_buf gtree;		/* current group's entries, once split */
	strata_buf arena;		/* copies of pending records' data */
	strata_trie_item *pending;
	size_t npending;
	unsigned pbucket[16];		/* pending buckets and where each starts */
	size_t pstart[17];
	unsigned nbuckets;
};

int strata_trie_builder_new(strata_trie_builder **out, strata_packw *w)
{
	strata_trie_builder *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (!b || (b->pending = calloc(STRATA_TRIE_LEAF_MAX, sizeof(*b->pending))) == NULL) {
		free(b);
		return strata_error_set("out of memory");
	}
	b->w = w;
	b->group = -1;
	*out = b;
	return 0;
}

void strata_trie_builder_free(strata_trie_builder *b)
{
	if (!b)
		return;
	strata_buf_dispose(&b->root);
	strata_buf_dispose(&b->gtree);
	strata_buf_dispose(&b->arena);
	free(b->pending);
	free(b);
}

static int flush_pending_as_buckets(strata_trie_builder *b)
{
	/* re-point items at the arena (it may have moved while growing) */
	size_t off = 0;
	for (size_t i = 0; i < b->npending; i++) {
		b->pending[i].data = b->arena.ptr + off;
		off += b->pending[i].len;
	}
	for (unsigned k = 0; k < b->nbuckets; k++) {
		git_oid oid;
		int is_tree;
		size_t s = b->pstart[k], e = b->pstart[k + 1];
		if (build_node(b->w, b->pending + s, e - s, 2, &oid, &is_tree) < 0 ||
		    child_entry(&b->gtree, b->pbucket[k] & 15, is_tree, &oid) < 0)
			return STRATA_ERROR;
	}
	b->npending = 0;
	b->nbuckets = 0;
	strata_buf_clear(&b->arena);
	return 0;
}

static int finish_group(strata_trie_builder *b)
{
	git_oid oid;
	int error = 0;

	if (b->group < 0)
		return 0;
	if (!b->split && b->npending > 0) {
		size_t off = 0;
		for (size_t i = 0; i < b->npending; i++) {
			b->pending[i].data = b->arena.ptr + off;
			off += b->pending[i].len;
		}
		error = write_leaf(b->w, b->pending, b->npending, &oid);
		if (!error)
			error = child_entry(&b->root, (unsigned)b->group, 0, &oid);
	} else if (b->split) {
		error = strata_pack_writer_add(b->w, GIT_OBJECT_TREE, b->gtree.ptr, b->gtree.len, &oid);
		if (!error)
			error = child_entry(&b->root, (unsigned)b->group, 1, &oid);
	}
	b->npending = 0;
	b->nbuckets = 0;
	b->split = 0;
	strata_buf_clear(&b->arena);
	strata_buf_clear(&b->gtree);
	return error;
}

int strata_trie_builder_add(strata_trie_builder *b, unsigned bucket,
			    const strata_trie_item *items, size_t n)
{
	int g = (int)(bucket >> 4);
	git_oid oid;
	int is_tree;

	if (n == 0)
		return 0;
	if (g < b->group || bucket > 255)
		return strata_error_set("trie buckets out of order");
	if (g != b->group) {
		if (finish_group(b) < 0)
			return STRATA_ERROR;
		b->group = g;
	}
	if (!b->split) {
		if (b->npending + n <= STRATA_TRIE_LEAF_MAX) {
			b->pbucket[b->nbuckets] = bucket;
			b->pstart[b->nbuckets] = b->npending;
			for (size_t i = 0; i < n; i++) {
				b->pending[b->npending + i] = items[i];
				if (strata_buf_put(&b->arena, items[i].data, items[i].len) < 0)
					return STRATA_ERROR;
			}
			b->npending += n;
			b->pstart[++b->nbuckets] = b->npending;
			return 0;
		}
		b->split = 1;
		if (flush_pending_as_buckets(b) < 0)
			return STRATA_ERROR;
	}
	if (build_node(b->w, items, n, 2, &oid, &is_tree) < 0 ||
	    child_entry(&b->gtree, bucket & 15, is_tree, &oid) < 0)
		return STRATA_ERROR;
	return 0;
}

int strata_trie_builder_finish(strata_trie_builder *b, git_oid *oid)
{
	if (finish_group(b) < 0)
		return STRATA_ERROR;
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
	for (size_t i = 0; i < n && !error;) {
		size_t j = i;
		while (j < n && items[j].hash[0] == items[i].hash[0])
			j++;
		error = strata_trie_builder_add(b, items[i].hash[0], items + i, j - i);
		i = j;
	}
	if (!error)
		error = strata_trie_builder_finish(b, oid);
	strata_trie_builder_free(b);
	return error;
}

const git_tree_entry *strata_trie_child(const git_tree *t, unsigned nib)
{
	char name[16];
	const git_tree_entry *e;

	if (!t)
		return NULL;
	snprintf(name, sizeof(name), "%x", nib);
	if ((e = git_tree_entry_byname(t, name)) != NULL)
		return e;
	snprintf(name, sizeof(name), "%x.jsonl", nib);
	return git_tree_entry_byname(t, name);
}

int strata_trie_child_entry(strata_buf *tree, unsigned nib, int is_tree, const git_oid *oid)
{
	return child_entry(tree, nib, is_tree, oid);
}

/* Reads a leaf's records; they point into *blob, which the caller frees. */
static int load_leaf(git_repository *repo, const git_oid *id, strata_trie_hash_fn hash,
		     void *payload, git_blob **blob, strata_trie_item **out, size_t *n)
{
	const char *p, *end, *nl;
	size_t alloc = 0;

	*out = NULL;
	*n = 0;
	if (git_blob_lookup(blob, repo, id) < 0)
		return strata_error_git("cannot read records");
	p = git_blob_rawcontent(*blob);
	end = p + git_blob_rawsize(*blob);
	for (; p < end; p = nl + 1) {
		strata_trie_item *it;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p)
			continue;
		if (strata_array_grow(out, &alloc, *n + 1, 64) < 0)
			return STRATA_ERROR;
		it = &(*out)[(*n)++];
		memset(it, 0, sizeof(*it));
		it->data = p;
		it->len = (uint32_t)(nl - p);
		if (hash(it->hash, p, it->len, payload) < 0)
			return STRATA_ERROR;
	}
	strata_trie_sort(*out, *n);
	return 0;
}

/* Records under a node, counted until `limit` is passed. */
static int count_upto(git_repository *repo, const git_tree_entry *e, size_t limit, size_t *count)
{
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		git_tree *t = NULL;
		int error = 0;
		if (git_tree_lookup(&t, repo, git_tree_entry_id(e)) < 0)
			return strata_error_git("cannot read records tree");
		for (size_t i = 0; i < git_tree_entrycount(t) && *count <= limit && !error; i++)
			error = count_upto(repo, git_tree_entry_byindex(t, i), limit, count);
		git_tree_free(t);
		return error;
	} else {
		git_blob *b = NULL;
		const char *p, *end;
		if (git_blob_lookup(&b, repo, git_tree_entry_id(e)) < 0)
			return strata_error_git("cannot read records");
		p = git_blob_rawcontent(b);
		end = p + git_blob_rawsize(b);
		for (; p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
			(*count)++;
		git_blob_free(b);
		return 0;
	}
}

/* Loads every record under a node (a leaf, or a small tree about to collapse). */
typedef struct {
	strata_trie_item *v;
	size_t n, alloc;
	git_blob **blobs;
	size_t nblobs, ablobs;
} loaded;

static int load_all(git_repository *repo, const git_tree_entry *e, strata_trie_hash_fn hash,
		    void *payload, loaded *l)
{
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		git_tree *t = NULL;
		int error = 0;
		if (git_tree_lookup(&t, repo, git_tree_entry_id(e)) < 0)
			return strata_error_git("cannot read records tree");
		for (size_t i = 0; i < git_tree_entrycount(t) && !error; i++)
			error = load_all(repo, git_tree_entry_byindex(t, i), hash, payload, l);
		git_tree_free(t);
		return error;
	} else {
		strata_trie_item *items = NULL;
		git_blob *blob = NULL;
		size_t n = 0;
		int error;
		if (strata_array_grow(&l->blobs, &l->ablobs, l->nblobs + 1, 16) < 0)
			return STRATA_ERROR;
		error = load_leaf(repo, git_tree_entry_id(e), hash, payload, &blob, &items, &n);
		if (blob)
			l->blobs[l->nblobs++] = blob;
		if (!error)
			error = strata_array_grow(&l->v, &l->alloc, l->n + n, 64);
		if (!error && n)
			memcpy(l->v + l->n, items, n * sizeof(*items));
		if (!error)
			l->n += n;
		free(items);
		return error;
	}
}

static void loaded_free(loaded *l)
{
	for (size_t i = 0; i < l->nblobs; i++)
		git_blob_free(l->blobs[i]);
	free(l->blobs);
	free(l->v);
}

/* Merges sorted old records with sorted ops into *out (allocated). */
static int merge_ops(const strata_trie_item *olds, size_t nold, const strata_trie_item *items, size_t n,
		     strata_trie_counts *counts, strata_trie_item **out, size_t *k)
{
	size_t i = 0, j = 0;

	*k = 0;
	if ((*out = calloc(nold + n + 1, sizeof(**out))) == NULL)
		return strata_error_set("out of memory");
	while (i < nold || j < n) {
		int c = i == nold ? 1 : j == n ? -1 : memcmp(olds[i].hash, items[j].hash, STRATA_HASH_LEN);
		if (c < 0) {
			(*out)[(*k)++] = olds[i++];
		} else if (c > 0) {
			if (items[j].origin != STRATA_TRIE_DELETE) {
				counts->added++;
				(*out)[(*k)++] = items[j];
			}
			j++;
		} else {
			if (items[j].origin == STRATA_TRIE_DELETE) {
				counts->removed++;
			} else {
				if (olds[i].len != items[j].len || memcmp(olds[i].data, items[j].data, items[j].len))
					counts->changed++;
				(*out)[(*k)++] = items[j];
			}
			i++;
			j++;
		}
	}
	return 0;
}

static int build_or_empty(strata_packw *w, const strata_trie_item *items, size_t n, unsigned depth,
			  git_oid *oid, int *is_tree)
{
	if (n == 0) {
		*is_tree = -1;
		return 0;
	}
	return build_node(w, items, n, depth, oid, is_tree);
}

int strata_trie_update(strata_packw *w, git_repository *repo, const git_tree_entry *old,
		       unsigned depth, const strata_trie_item *items, size_t n,
		       strata_trie_hash_fn hash, void *payload, strata_trie_counts *counts,
		       git_oid *oid, int *is_tree)
{
	strata_trie_item *merged = NULL;
	loaded l = { 0 };
	git_tree *tree = NULL;
	strata_buf tb = STRATA_BUF_INIT;
	size_t k = 0, i = 0, ndel = 0;
	int error = STRATA_ERROR;

	for (size_t q = 0; q < n; q++)
		ndel += items[q].origin == STRATA_TRIE_DELETE;
	if (!old) {
		error = merge_ops(NULL, 0, items, n, counts, &merged, &k) < 0 ? STRATA_ERROR :
			build_or_empty(w, merged, k, depth, oid, is_tree);
		goto done;
	}
	if (git_tree_entry_type(old) == GIT_OBJECT_TREE && ndel > 0) {
		/* deletions may bring this subtree down to a leaf: count, with an early stop */
		size_t count = 0;
		if ((error = count_upto(repo, old, STRATA_TRIE_LEAF_MAX + ndel, &count)) < 0)
			goto done;
		if (count <= STRATA_TRIE_LEAF_MAX + ndel) {
			if ((error = load_all(repo, old, hash, payload, &l)) < 0)
				goto done;
			strata_trie_sort(l.v, l.n);
			error = merge_ops(l.v, l.n, items, n, counts, &merged, &k) < 0 ? STRATA_ERROR :
				build_or_empty(w, merged, k, depth, oid, is_tree);
			goto done;
		}
	}
	if (git_tree_entry_type(old) == GIT_OBJECT_TREE) {
		/* stays a tree: recurse into the children that have changes */
		if (git_tree_lookup(&tree, repo, git_tree_entry_id(old)) < 0) {
			error = strata_error_git("cannot read records tree");
			goto done;
		}
		for (unsigned nib = 0; nib < 16; nib++) {
			const git_tree_entry *c = strata_trie_child(tree, nib);
			size_t s = i;
			git_oid cid;
			int ctree;
			while (i < n && nibble(items[i].hash, depth) == nib)
				i++;
			if (s == i) {
				if (c && (error = child_entry(&tb, nib, git_tree_entry_type(c) == GIT_OBJECT_TREE,
								      git_tree_entry_id(c))) < 0)
					goto done;
				continue;
			}
			if ((error = strata_trie_update(w, repo, c, depth + 1, items + s, i - s, hash, payload,
					       counts, &cid, &ctree)) < 0)
				goto done;
			if (ctree >= 0 && (error = child_entry(&tb, nib, ctree, &cid)) < 0)
				goto done;
		}
		*is_tree = 1;
		error = strata_pack_writer_add(w, GIT_OBJECT_TREE, tb.ptr ? tb.ptr : "", tb.len, oid);
		goto done;
	}
	/* a leaf: merge its records with the changes */
	if ((error = load_all(repo, old, hash, payload, &l)) < 0)
		goto done;
	error = merge_ops(l.v, l.n, items, n, counts, &merged, &k) < 0 ? STRATA_ERROR :
		build_or_empty(w, merged, k, depth, oid, is_tree);
done:
	git_tree_free(tree);
	loaded_free(&l);
	free(merged);
	strata_buf_dispose(&tb);
	return error;
}

int strata_trie_apply(strata_packw *w, git_repository *repo, const git_tree *old,
		      const strata_trie_item *items, size_t n, strata_trie_hash_fn hash,
		      void *payload, strata_trie_counts *counts, git_oid *oid)
{
	strata_buf root = STRATA_BUF_INIT;
	size_t i = 0;
	int error = 0;

	for (unsigned g = 0; g < 16 && !error; g++) {
		const git_tree_entry *e = strata_trie_child(old, g);
		size_t s = i;
		git_oid cid;
		int ctree;
		while (i < n && nibble(items[i].hash, 0) == g)
			i++;
		if (s == i) {
			if (e)
				error = child_entry(&root, g, git_tree_entry_type(e) == GIT_OBJECT_TREE, git_tree_entry_id(e));
			continue;
		}
		error = strata_trie_update(w, repo, e, 1, items + s, i - s, hash, payload, counts, &cid, &ctree);
		if (!error && ctree >= 0)
			error = child_entry(&root, g, ctree, &cid);
	}
	if (!error)
		error = strata_pack_writer_add(w, GIT_OBJECT_TREE, root.ptr ? root.ptr : "", root.len, oid);
	strata_buf_dispose(&root);
	return error;
}
