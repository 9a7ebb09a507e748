/*
 * dataset.h - datasets as signed commits (DESIGN.md, "Dataset layout").
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

/* ---- reading ---- */

/*
 * Resolves REV for a dataset: "HEAD" (or empty) is the dataset's tip,
 * "HEAD~N" / "HEAD^" walk back from it, anything else is a commit id.
 */
int strata_dataset_resolve(git_commit **out, strata_node *n, const char *dataset, const char *rev);

/*
 * Calls `cb` for every dataset this node owns (refs/strata/datasets/),
 * in ref order, with its name and tip commit; stops at and returns the
 * first non-zero the callback returns.
 */
typedef int (*strata_dataset_list_cb)(const char *name, const git_commit *tip, void *payload);
int strata_dataset_list(strata_node *n, strata_dataset_list_cb cb, void *payload);

/* Calls `cb` for every record line of a dataset tree, in layout order. */
typedef int (*strata_line_cb)(const char *line, size_t len, void *payload);
int strata_dataset_foreach(git_repository *repo, const git_tree *root, strata_line_cb cb, void *payload);

/* As strata_dataset_foreach, for the records under one entry of records/. */
int strata_dataset_foreach_entry(git_repository *repo, const git_tree_entry *e, strata_line_cb cb, void *payload);

/* Writes the records as CSV (schema column order, RFC 4180) or JSON Lines. */
int strata_dataset_export(FILE *out, git_repository *repo, const git_tree *root, const char *format);

/*
 * Record-level difference between two dataset trees (either may be NULL
 * for empty).  `cb` gets (old, NULL) for a removal, (NULL, new) for an
 * addition and (old, new) for a change, ordered by key hash.
 */
typedef int (*strata_diff_cb)(const strata_record *old_rec, const strata_record *new_rec, void *payload);
int strata_dataset_diff(git_repository *repo, const git_tree *a, const git_tree *b,
			strata_diff_cb cb, void *payload);

#endif
