/*
 * import.h - a CSV or JSON Lines file as a signed dataset commit.
 *
 * Import streams: rows are canonicalised and spilled into 256 buckets by
 * key hash, then each bucket is sorted, merged and written straight into a
 * pack; memory is bounded by one bucket, not by the number of rows.
 *
 * Trust: import input is untrusted and refused with file and line on any
 * error, before any ref moves.
 */
#ifndef STRATA_IMPORT_H
#define STRATA_IMPORT_H

#include <git2.h>
#include "strata/node/node.h"

typedef struct {
	const char *path;	/* input file, "-" for stdin */
	const char *format;	/* "csv", "jsonl" or NULL to infer */
	const char *encoding;	/* "gb18030", "gbk", or NULL / "utf-8" (transcode.h) */
	char **key;		/* key fields, or NULL to keep the dataset's */
	size_t nkey;
	char **kinds;		/* "FIELD=KIND" declarations (schema.h), kept in the schema */
	size_t nkinds;
	int upsert;		/* add or change only; never delete */
	int schema_change;	/* accept different fields or key */
	int progress;		/* report progress on stderr */
	/*
	 * A key this node erased (ledger.h) coming back is refused, naming the
	 * erasure, unless `allow_erased` with `reason` (one line): then it is
	 * imported, in an audit event "erased-reimported" and on the erasure's
	 * record, which 'strata erasures' shows.
	 */
	int allow_erased;
	const char *reason;
} strata_import_opts;

typedef struct {
	size_t added, changed, removed, total;
	git_oid commit;
	int unchanged;		/* the input matched the dataset: no commit */
	size_t reimported;	/* keys erased before, brought back (allow_erased) */
} strata_import_result;

int strata_import_dataset(strata_node *n, const char *dataset,
			  const strata_import_opts *o, strata_import_result *res);

#endif
