/*
 * trie.h - the history-independent record layout (DESIGN.md guarantee 6).
 *
 * Every record has a 32-byte key hash.  The records/ tree is a trie over
 * the hash's hex nibbles: the root (depth 0) always splits by the first
 * nibble; a node at depth d >= 1 holding at most STRATA_TRIE_LEAF_MAX
 * records is a leaf blob "<nibble>.jsonl" (records sorted by hash, one
 * canonical JSON line each), otherwise a tree "<nibble>" splitting by the
 * next nibble.  The shape depends only on the set of key hashes, so the
 * same records in any order give the same tree id.
 *
 * The builder takes the records one bucket (first byte of the hash) at a
 * time, in order, so memory is bounded by the largest bucket, not by the
 * dataset.
 */
#ifndef STRATA_TRIE_H
#define STRATA_TRIE_H

#include <stdint.h>
#include <stddef.h>
#include <git2.h>
#include "strata/format/pack.h"
#include "strata/base/buf.h"

/* Part of the format: changing it changes every tree id. */
#define STRATA_TRIE_LEAF_MAX 512
#define STRATA_HASH_LEN 32

typedef struct {
	unsigned char hash[STRATA_HASH_LEN];
	uint32_t line;		/* input line, for messages */
	uint8_t origin;		/* 0: already in the dataset, 1: new input */
	uint32_t len;
	const char *data;	/* canonical JSON, no newline */
} strata_trie_item;

/* SHA-256 of the canonical JSON array of the key values. */
int strata_trie_keyhash(unsigned char out[STRATA_HASH_LEN], char *const *vals,
		   const size_t *lens, size_t n);

/*
 * The key hash of a canonical record line, from its key fields (names in
 * key order).  A missing or empty key field is an error.
 */
int strata_trie_line_keyhash(unsigned char out[STRATA_HASH_LEN], const char *line, size_t len,
			char *const *key, size_t nkey);

/* Sorts by hash, then origin, then line. */
void strata_trie_sort(strata_trie_item *items, size_t n);

/* Appends one git tree entry ("<mode> <name>\0<20-byte id>"). */
int strata_trie_tree_entry(strata_buf *tree, const char *name, int is_tree, const git_oid *oid);

typedef struct strata_trie_builder strata_trie_builder;

int strata_trie_builder_new(strata_trie_builder **out, strata_packw *w);
/*
 * Adds the records whose hash starts with byte `bucket`; buckets must come
 * in increasing order (empty ones may be skipped).  `items` must be sorted
 * with unique hashes; they are copied if kept.
 */
int strata_trie_builder_add(strata_trie_builder *b, unsigned bucket,
			    const strata_trie_item *items, size_t n);
/* Writes the records/ tree; *oid receives its id. */
int strata_trie_builder_finish(strata_trie_builder *b, git_oid *oid);
void strata_trie_builder_free(strata_trie_builder *b);

/* Convenience for small in-memory sets: sorts `items` and builds records/. */
int strata_trie_build(strata_packw *w, strata_trie_item *items, size_t n, git_oid *oid);

/*
 * Incremental update for upserts, which never remove records: counts only
 * grow, so a tree stays a tree and a leaf becomes a tree only when it
 * passes the bound.  The layout rule still holds, and untouched subtrees
 * are kept by id, so the cost follows the touched leaves only.
 */
typedef int (*strata_trie_hash_fn)(unsigned char hash[STRATA_HASH_LEN],
				   const char *line, size_t len, void *payload);

typedef struct {
	size_t added;		/* new key */
	size_t changed;		/* key present, record differs */
	size_t removed;		/* key present, deleted (origin STRATA_TRIE_DELETE) */
} strata_trie_counts;

/* An item with this origin deletes the record with its hash. */
#define STRATA_TRIE_DELETE 2

/*
 * Merges `items` (sorted, unique hashes, all sharing `depth` nibbles) into
 * `old` (NULL, a leaf or a tree entry) at `depth` >= 1.  Existing leaves
 * are read back and their keys hashed with `hash`.  *oid and *is_tree
 * receive the new node; *is_tree is -1 if nothing is left.
 */
int strata_trie_update(strata_packw *w, git_repository *repo, const git_tree_entry *old,
		       unsigned depth, const strata_trie_item *items, size_t n,
		       strata_trie_hash_fn hash, void *payload, strata_trie_counts *counts,
		       git_oid *oid, int *is_tree);

/*
 * Applies upserts and deletions (origin STRATA_TRIE_DELETE) to a whole
 * records/ tree (`old` may be NULL).  A subtree whose count falls to the
 * leaf bound collapses back into a leaf, so the result is exactly the tree
 * a full build of the new set gives; counting stops early, so the cost
 * follows the touched subtrees.
 */
int strata_trie_apply(strata_packw *w, git_repository *repo, const git_tree *old,
		      const strata_trie_item *items, size_t n, strata_trie_hash_fn hash,
		      void *payload, strata_trie_counts *counts, git_oid *oid);

/* Entry of child `nibble` in a trie tree ("x" or "x.jsonl"), or NULL. */
const git_tree_entry *strata_trie_child(const git_tree *t, unsigned nibble);
/* Appends the entry for child `nibble` to a tree being built. */
int strata_trie_child_entry(strata_buf *tree, unsigned nibble, int is_tree, const git_oid *oid);

#endif
