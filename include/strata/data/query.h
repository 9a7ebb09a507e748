/*
 * query.h - SQL over the datasets a node holds (SQLite).
 *
 * Tables, named as dataset.h names datasets:
 *
 *     residents                 the union of every dataset whose last part is
 *                               "residents", own and received, with a first
 *                               column _source: the dataset's full name
 *     grid_events               the same for "grid-events" ('-' as '_', so the
 *                               name needs no quotes; "grid-events" works too)
 *     "dx-gongshu/st-wangjiang/cn-jinjiang/residents"
 *                               one received dataset alone
 *     main.residents            this node's own dataset alone
 *
 * Columns are the schema's fields, typed from schema.json: integer as
 * INTEGER, number as REAL, boolean as INTEGER (1 or 0, as SQLite's TRUE
 * and FALSE), string and date as TEXT; an empty value is NULL; a value
 * that does not fit its type (a masked number) stays TEXT.
 *
 * The database is SQLite's private temporary one: it is filled from the
 * node's trees on each run, only with the tables the statement reads, and
 * it spills to a deleted file in $TMPDIR past its cache, never to the
 * node.  A statement must be one SELECT (or WITH ... SELECT); an
 * authorizer refuses anything else before it runs, so a query can neither
 * change the node nor the database, nor attach a file.
 *
 * Trust: the SQL text is the user's and may be anything; record data is
 * bound as values, never pasted into SQL.
 */
#ifndef STRATA_QUERY_H
#define STRATA_QUERY_H

#include "strata/node/node.h"

typedef struct strata_query strata_query;

/* What a column value is: SQLite's own storage classes. */
typedef enum { STRATA_Q_NULL, STRATA_Q_INTEGER, STRATA_Q_REAL, STRATA_Q_TEXT } strata_query_type;

/* The result's column names, once, before the first row. */
typedef int (*strata_query_cols_cb)(size_t ncols, const char *const *names, void *payload);
/* One row: values as text (NULL for SQL NULL), each with its type. */
typedef int (*strata_query_row_cb)(size_t ncols, const char *const *values, const strata_query_type *types,
				   void *payload);

/* Lists the datasets of `n` as tables (nothing is read yet). */
int strata_query_open(strata_query **out, strata_node *n);
/*
 * Runs one read-only statement.  An error names what is wrong: a write,
 * more than one statement, a syntax error or an unknown table (with the
 * tables there are).  Returns the number of rows, or an error.
 */
int strata_query_run(strata_query *q, const char *sql, strata_query_cols_cb cols, strata_query_row_cb row,
		     void *payload);
/* The tables, as "name: columns" lines, for `strata sql --tables`. */
int strata_query_tables(strata_query *q, strata_buf *out);
void strata_query_free(strata_query *q);

#endif
