/*
 * dataset.h - datasets as signed commits (DESIGN.md, "Dataset layout").
 *
 * A dataset commit's tree holds schema.json and records/ (see trie.h).
 * Import streams: rows are canonicalised and spilled into 256 buckets by
 * key hash, then each bucket is sorted, merged and written straight into a
 * pack; memory is bounded by one bucket, not by the number of rows.
 *
 * Trust: import input is untrusted and refused with file and line on any
 * error, before any ref moves.  Stored trees are our own (received data is
 * validated at parcel import).
 */
#ifndef STRATA_DATASET_H
#define STRATA_DATASET_H

#include <stdio.h>
#include <git2.h>
#include "strata/node/node.h"
#include "strata/format/json.h"

/* ---- schema.json ---- */

typedef struct {
	size_t nfields;
	char **names;		/* input column order */
	char **types;		/* string, integer, number, date, boolean */
	size_t nkey;
	char **key;		/* key field names, in key order */
} strata_schema;

int strata_schema_parse(strata_schema **out, const char *json, size_t len);
/* Canonical JSON (sorted keys, no whitespace) followed by a newline. */
int strata_schema_write(strata_buf *out, const strata_schema *s);
/* Writes schema.json and the root tree {records/, schema.json} into a pack. */
struct strata_packw;
int strata_dataset_write_root(struct strata_packw *w, const strata_schema *s,
			      const git_oid *records, git_oid *root);
/* Reads schema.json from a dataset commit's root tree. */
int strata_schema_load(strata_schema **out, git_repository *repo, const git_tree *root);
/* Index of field `name`, or -1. */
int strata_schema_field(const strata_schema *s, const char *name);
void strata_schema_free(strata_schema *s);

/* Type inference: start with STRATA_TYPES_ALL and narrow per value. */
#define STRATA_TYPES_ALL 0xfu
unsigned strata_type_narrow(unsigned mask, const char *v, size_t len);
const char *strata_type_name(unsigned mask);

/* ---- import ---- */

typedef struct {
	const char *path;	/* input file, "-" for stdin */
	const char *format;	/* "csv", "jsonl" or NULL to infer */
	char **key;		/* key fields, or NULL to keep the dataset's */
	size_t nkey;
	int upsert;		/* add or change only; never delete */
	int schema_change;	/* accept different fields or key */
	int progress;		/* report progress on stderr */
} strata_import_opts;

typedef struct {
	size_t added, changed, removed, total;
	git_oid commit;
	int unchanged;		/* the input matched the dataset: no commit */
} strata_import_result;

int strata_dataset_import(strata_node *n, const char *dataset,
			  const strata_import_opts *o, strata_import_result *res);

/* ---- reading ---- */

/*
 * Resolves REV for a dataset: "HEAD" (or empty) is the dataset's tip,
 * "HEAD~N" / "HEAD^" walk back from it, anything else is a commit id.
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
 * Record-level difference between two dataset trees (either may be NULL
 * for empty).  `cb` gets (old, NULL) for a removal, (NULL, new) for an
 * addition and (old, new) for a change, ordered by key hash.
 */
typedef int (*strata_diff_cb)(const strata_record *old_rec, const strata_record *new_rec, void *payload);
int strata_dataset_diff(git_repository *repo, const git_tree *a, const git_tree *b,
			strata_diff_cb cb, void *payload);

#endif
