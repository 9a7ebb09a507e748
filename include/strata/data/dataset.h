/*
 * dataset.h - datasets as signed commits (doc/dataset-format.md).
 *
 * A dataset commit's tree holds schema.json (schema.h) and records/ (see
 * trie.h); import.h writes them.  This module reads them: resolve a
 * revision, walk, export and diff the records.
 *
 * Trust: stored trees are our own (received data is validated at parcel
 * import, received.h).
 */
#ifndef STRATA_DATASET_H
#define STRATA_DATASET_H

#include <stdio.h>
#include <git2.h>
#include "strata/node/node.h"
#include "strata/format/json.h"
#include "strata/format/schema.h"

/* ---- names ---- */

/*
 * One name for every dataset a node holds, in every command:
 *
 *     NAME                 its own (refs/strata/datasets/NAME)
 *     PEER/NAME            received from PEER, which owns it
 *     PEER/.../NAME        received from PEER, which received it from ...
 *
 * that is, the sender, then the name the sender gives it: the ref's path
 * under refs/strata/peers/.  Each node prepends its sender, so a name
 * reads as the way the data came, nearest hop first.
 */
#define STRATA_DATASET_NAME_MAX 256

typedef struct {
	char name[STRATA_DATASET_NAME_MAX];	/* as above */
	char ref[STRATA_DATASET_NAME_MAX + 32];	/* its full ref name */
	char dataset[65];	/* the last part: NAME */
	char sender[64];	/* "" for own data, else the peer it came from */
	const git_commit *tip;
} strata_dataset_entry;

/* 1 if `name` has the form of a dataset name (it may name nothing here). */
int strata_dataset_name_valid(const char *name);

/* Which datasets strata_dataset_list lists. */
#define STRATA_DATASETS_OWN 1
#define STRATA_DATASETS_RECEIVED 2
#define STRATA_DATASETS_ALL 3

/*
 * Calls `cb` for every dataset this node owns and/or has received, own
 * first, each in ref order; stops at and returns the first non-zero the
 * callback returns.  The entry lives for the call.
 */
typedef int (*strata_dataset_list_cb)(const strata_dataset_entry *d, void *payload);
int strata_dataset_list(strata_node *n, int which, strata_dataset_list_cb cb, void *payload);

/*
 * The ref of the dataset this node names `name` (own or received).  A
 * name of the wrong form is an error; one that names nothing here is
 * STRATA_ENOTFOUND, with a message that says which names exist (the
 * received names ending in `name`, those within two edits, or all).
 */
int strata_dataset_ref(strata_buf *ref, strata_node *n, const char *name);

/* ---- reading ---- */

/*
 * Resolves REV for a dataset (own or received, as named above): "HEAD"
 * (or empty) is its tip, "HEAD~N" / "HEAD^" walk back from it, anything
 * else is a commit id.
 */
int strata_dataset_resolve(git_commit **out, strata_node *n, const char *dataset, const char *rev);

/* Calls `cb` for every record line of a dataset tree, in layout order. */
typedef int (*strata_line_cb)(const char *line, size_t len, void *payload);
int strata_dataset_foreach(git_repository *repo, const git_tree *root, strata_line_cb cb, void *payload);

/* As strata_dataset_foreach, for the records under one entry of records/. */
int strata_dataset_foreach_entry(git_repository *repo, const git_tree_entry *e, strata_line_cb cb, void *payload);

/* Writes the records as CSV (schema column order, RFC 4180) or JSON Lines. */
int strata_dataset_export(FILE *out, git_repository *repo, const git_tree *root, const char *format);
/*
 * One page of it: the `limit` records after the first `offset`, in the
 * layout's order (the key hashes'), read from the start only as far as the
 * page goes (SIZE_MAX: all, as strata_dataset_export).
 */
int strata_dataset_export_page(FILE *out, git_repository *repo, const git_tree *root, const char *format,
			       size_t offset, size_t limit);
/*
 * The same as CSV with people's words in the header: `label` gives each
 * field's label (NULL or "": the field's name stays).
 */
typedef const char *(*strata_label_fn)(const char *field, void *payload);
int strata_dataset_export_labelled(FILE *out, git_repository *repo, const git_tree *root, strata_label_fn label,
				   void *payload);

/*
 * Writes every dataset this node holds whose last name is `dataset` (own
 * and received) as one table: a first column _source with each one's full
 * name, then every field any of them has, in the order they first appear
 * (empty where a source lacks it).
 */
int strata_dataset_export_sources(FILE *out, strata_node *n, const char *dataset, const char *format);

/*
 * Record-level difference between two dataset trees (either may be NULL
 * for empty).  `cb` gets (old, NULL) for a removal, (NULL, new) for an
 * addition and (old, new) for a change, ordered by key hash.
 */
typedef int (*strata_diff_cb)(const strata_record *old_rec, const strata_record *new_rec, void *payload);
int strata_dataset_diff(git_repository *repo, const git_tree *a, const git_tree *b,
			strata_diff_cb cb, void *payload);

#endif
