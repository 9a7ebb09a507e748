/*
 * trie.h - the history-independent record layout (doc/design.md, guarantee 6).
 *
 * Every record has a 32-byte key hash, and the records sorted by it are
 * cut into content-defined chunks, two levels deep:
 *
 *     records/<D>/<L>.jsonl
 *
 * A leaf <L>.jsonl holds consecutive records (one canonical JSON line
 * each); a dir <D> holds consecutive leaves.  Each is named by the key
 * hash, 64 lower-case hex digits, of its first record.  Where the cuts
 * fall depends on each record's own hash only (strata_trie_level): a
 * record of level 1 or more starts a new leaf, one of level 2 starts a
 * new dir too.  So the shape depends only on the set of keys (the same
 * records in any order give the same tree id), a leaf holds 64 records
 * and a dir 64 leaves on average at every dataset size, and a change
 * rewrites the leaf it falls in, its dir and records/, nothing else.
 *
 * Trust: the builder and the merge trust their input (our own records);
 * received trees are checked by received.c against the same rules.
 */
#ifndef STRATA_TRIE_H
#define STRATA_TRIE_H

#include <stdint.h>
#include <stddef.h>
#include <git2.h>
#include "strata/format/pack.h"
#include "strata/base/buf.h"

/* Part of the format: changing them changes every tree id. */
#define STRATA_TRIE_LEAF_BITS 6		/* 1 record in 64 starts a leaf */
#define STRATA_TRIE_DIR_BITS 6		/* 1 leaf in 64 starts a dir */
#define STRATA_HASH_LEN 32
#define STRATA_TRIE_NAME_LEN (2 * STRATA_HASH_LEN)

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

/* 2 if a record with this hash starts a dir (and a leaf), 1 a leaf, 0 neither. */
int strata_trie_level(const unsigned char hash[STRATA_HASH_LEN]);

/*
 * The hash a dir or leaf entry's name spells ("<64 hex>" for a dir,
 * "<64 hex>.jsonl" for a leaf); -1 if the name is not of that form.
 */
int strata_trie_name_hash(unsigned char out[STRATA_HASH_LEN], const char *name, int is_leaf);

/* Sorts by hash, then origin, then line. */
void strata_trie_sort(strata_trie_item *items, size_t n);

/* Appends one git tree entry ("<mode> <name>\0<20-byte id>"). */
int strata_trie_tree_entry(strata_buf *tree, const char *name, int is_tree, const git_oid *oid);

/*
 * Streaming build of records/: records come in increasing hash order,
 * in batches of any size; memory holds one leaf and one dir.
 */
typedef struct strata_trie_builder strata_trie_builder;

int strata_trie_builder_new(strata_trie_builder **out, strata_packw *w);
/* `items` sorted, unique, each above every earlier one; copied if kept. */
int strata_trie_builder_add(strata_trie_builder *b, const strata_trie_item *items, size_t n);
/* Writes the records/ tree; *oid receives its id. */
int strata_trie_builder_finish(strata_trie_builder *b, git_oid *oid);
void strata_trie_builder_free(strata_trie_builder *b);

/* Convenience for small in-memory sets: sorts `items` and builds records/. */
int strata_trie_build(strata_packw *w, strata_trie_item *items, size_t n, git_oid *oid);

/*
 * Merge: upserts and deletions applied to an existing records/ tree.  The
 * result is exactly the tree a full build of the new set gives; leaves
 * and dirs the changes do not reach are kept by id, never read, so the
 * cost follows the change.  Records of the leaves that are read get
 * their key hash from `hash`.
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

typedef struct strata_trie_merge strata_trie_merge;

/* `old` may be NULL (an empty dataset). */
int strata_trie_merge_new(strata_trie_merge **out, strata_packw *w, git_repository *repo,
			  const git_tree *old, strata_trie_hash_fn hash, void *payload);
/* `items` sorted, unique, each above every earlier one; copied if kept. */
int strata_trie_merge_add(strata_trie_merge *m, const strata_trie_item *items, size_t n);
int strata_trie_merge_finish(strata_trie_merge *m, strata_trie_counts *counts, git_oid *oid);
void strata_trie_merge_free(strata_trie_merge *m);

/* The merge, for changes held in memory (sorted, unique hashes). */
int strata_trie_apply(strata_packw *w, git_repository *repo, const git_tree *old,
		      const strata_trie_item *items, size_t n, strata_trie_hash_fn hash,
		      void *payload, strata_trie_counts *counts, git_oid *oid);

/* The index of the last entry of a records/ dir or tree named at or below `hash`; -1 if none. */
long strata_trie_entry_at_or_below(const git_tree *t, const unsigned char hash[STRATA_HASH_LEN]);

/*
 * The leaf of records/ `records` whose range holds `hash`: 1 and *leaf
 * set, or 0 if records/ is empty or every leaf starts above `hash`.
 */
int strata_trie_find_leaf(git_repository *repo, const git_tree *records,
			  const unsigned char hash[STRATA_HASH_LEN], git_oid *leaf);

/*
 * The leaves of `a` and of `b` (records/ trees, either may be NULL) that
 * the other lacks, each list in key order: every record that differs
 * between the two lies in them, and nothing else is read but the dirs
 * that differ.  Lists are malloc'ed.
 */
int strata_trie_diff(git_repository *repo, const git_tree *a, const git_tree *b,
		     git_oid **a_only, size_t *na, git_oid **b_only, size_t *nb);

#endif
