/*
 * query.c - see query.h.
 *
 * A table is created empty for every dataset when the query opens, so
 * that SQLite can prepare the statement; the authorizer, which SQLite
 * calls for each column the prepared statement reads (through views too),
 * both refuses whatever is not a read and names the tables to fill.  Only
 * those are then read from the node, one record line at a time, bound to
 * one prepared INSERT in one transaction.
 */
#include "strata/data/query.h"
#include "strata/base/i18n.h"
#include "strata/data/dataset.h"
#include "strata/base/array.h"
#include "strata/format/json.h"
#include "strata/format/schema.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

/* the temporary database's page cache: past it, SQLite spills to a deleted file */
#define QUERY_CACHE_KIB 65536

typedef struct {
	char name[STRATA_DATASET_NAME_MAX];	/* the dataset's full name: the table's */
	char dataset[65];			/* its last part: the union's */
	git_oid root;				/* its tip's tree */
	strata_schema *s;
	int wanted, loaded;
} q_table;

struct strata_query {
	strata_node *n;
	sqlite3 *db;
	q_table *t;
	size_t nt, alloc;
	int user;		/* the authorizer is judging the user's statement */
	int denied;		/* the first action it refused */
};

/* "name" with any '"' doubled: an SQL identifier. */
static int put_ident(strata_buf *b, const char *name)
{
	int error = strata_buf_putc(b, '"');
	for (const char *p = name; !error && *p; p++)
		error = (*p == '"' && strata_buf_putc(b, '"') < 0) || strata_buf_putc(b, *p) < 0;
	return error ? STRATA_ERROR : strata_buf_putc(b, '"');
}

static const char *sql_type(const char *type)
{
	if (!strcmp(type, "integer") || !strcmp(type, "boolean"))
		return "INTEGER";
	if (!strcmp(type, "number"))
		return "REAL";
	return "TEXT";
}

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int error = strata_error_set("sql: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return error;
	}
	return 0;
}

static int authorize(void *arg, int action, const char *a, const char *b, const char *db, const char *via)
{
	strata_query *q = arg;

	(void)b;
	(void)via;
	if (!q->user)
		return SQLITE_OK;	/* our own statements */
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_FUNCTION:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_READ:
		/* SQLite names the schema, or none for "SELECT count(*) FROM t" of an unqualified t */
		if (a && (!db || !strcmp(db, "main")))
			for (size_t i = 0; i < q->nt; i++)
				if (!strcmp(q->t[i].name, a))
					q->t[i].wanted = 1;
		return SQLITE_OK;
	default:
		if (!q->denied)
			q->denied = action;
		return SQLITE_DENY;
	}
}

static int add_table(const strata_dataset_entry *d, void *payload)
{
	strata_query *q = payload;
	git_tree *root = NULL;
	strata_buf sql = STRATA_BUF_INIT;
	q_table *t;
	int error;

	if ((error = strata_array_grow(&q->t, &q->alloc, q->nt + 1, 16)) < 0)
		return error;
	t = &q->t[q->nt];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", d->name);
	snprintf(t->dataset, sizeof(t->dataset), "%s", d->dataset);
	if (git_commit_tree(&root, d->tip) < 0)
		return strata_error_git("cannot read a dataset's tree");
	t->root = *git_tree_id(root);
	error = strata_schema_load(&t->s, strata_node_repo(q->n), root);
	git_tree_free(root);
	if (error < 0)
		return error;
	q->nt++;
	error = strata_buf_puts(&sql, "CREATE TABLE main.");
	error = error < 0 ? error : put_ident(&sql, t->name);
	for (size_t i = 0; !error && i < t->s->nfields; i++)
		error = strata_buf_puts(&sql, i ? ", " : " (") < 0 || put_ident(&sql, t->s->names[i]) < 0 ||
			strata_buf_printf(&sql, " %s", sql_type(t->s->types[i])) < 0 ? STRATA_ERROR : 0;
	if (!error)
		error = strata_buf_puts(&sql, t->s->nfields ? ")" : " (_empty))");
	if (!error)
		error = exec(q->db, sql.ptr);
	strata_buf_dispose(&sql);
	return error;
}

/* The union of every dataset named `dataset`, a _source column first; NULL where a source lacks a field. */
static int add_union(strata_query *q, const char *dataset)
{
	strata_buf sql = STRATA_BUF_INIT, alias = STRATA_BUF_INIT;
	char **cols = NULL;
	size_t ncols = 0, alloc = 0;
	int error = 0, first = 1;

	for (size_t i = 0; !error && i < q->nt; i++) {
		if (strcmp(q->t[i].dataset, dataset))
			continue;
		for (size_t f = 0; !error && f < q->t[i].s->nfields; f++) {
			size_t k = 0;
			while (k < ncols && strcmp(cols[k], q->t[i].s->names[f]))
				k++;
			if (k == ncols && (error = strata_array_grow(&cols, &alloc, ncols + 1, 16)) == 0)
				cols[ncols++] = q->t[i].s->names[f];
		}
	}
	if (!error)
		error = strata_buf_puts(&sql, "CREATE TEMP VIEW ") < 0 || put_ident(&sql, dataset) < 0 ||
			strata_buf_puts(&sql, " AS ") < 0 ? STRATA_ERROR : 0;
	for (size_t i = 0; !error && i < q->nt; i++) {
		const q_table *t = &q->t[i];
		if (strcmp(t->dataset, dataset))
			continue;
		error = strata_buf_puts(&sql, first ? "SELECT " : " UNION ALL SELECT ") < 0 ||
			strata_buf_putc(&sql, '\'') < 0 || strata_buf_puts(&sql, t->name) < 0 ||
			strata_buf_puts(&sql, "' AS _source") < 0 ? STRATA_ERROR : 0;
		first = 0;
		for (size_t k = 0; !error && k < ncols; k++) {
			int has = strata_schema_field(t->s, cols[k]) >= 0;
			error = strata_buf_puts(&sql, ", ") < 0 || (!has && strata_buf_puts(&sql, "NULL AS ") < 0) ||
				put_ident(&sql, cols[k]) < 0 ? STRATA_ERROR : 0;
		}
		if (!error)
			error = strata_buf_puts(&sql, " FROM main.") < 0 || put_ident(&sql, t->name) < 0 ? STRATA_ERROR : 0;
	}
	if (!error)
		error = exec(q->db, sql.ptr);
	/* grid-events also as grid_events, which needs no quotes, unless that names a dataset too */
	if (!error && strchr(dataset, '-')) {
		char name[65];
		int taken = 0;
		snprintf(name, sizeof(name), "%s", dataset);
		for (char *p = name; *p; p++)
			*p = *p == '-' ? '_' : *p;
		for (size_t i = 0; i < q->nt; i++)
			taken |= !strcmp(q->t[i].dataset, name) || !strcmp(q->t[i].name, name);
		if (!taken) {
			error = strata_buf_puts(&alias, "CREATE TEMP VIEW ") < 0 || put_ident(&alias, name) < 0 ||
				strata_buf_puts(&alias, " AS SELECT * FROM temp.") < 0 || put_ident(&alias, dataset) < 0 ?
				STRATA_ERROR : 0;
			if (!error)
				error = exec(q->db, alias.ptr);
		}
	}
	free(cols);
	strata_buf_dispose(&sql);
	strata_buf_dispose(&alias);
	return error;
}

int strata_query_open(strata_query **out, strata_node *n)
{
	strata_query *q = calloc(1, sizeof(*q));
	char pragmas[160];
	int error;

	*out = NULL;
	if (!q)
		return strata_error_set("out of memory");
	q->n = n;
	/* "": a private temporary database, deleted on close, on disk only past its cache */
	if (sqlite3_open_v2("", &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		error = strata_error_set("sql: cannot open a temporary database: %s",
					 q->db ? sqlite3_errmsg(q->db) : _("out of memory"));
		goto done;
	}
	snprintf(pragmas, sizeof(pragmas), "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-%d;",
		 QUERY_CACHE_KIB);
	if ((error = exec(q->db, pragmas)) < 0)
		goto done;
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_limit(q->db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_set_authorizer(q->db, authorize, q);
	if ((error = strata_dataset_list(n, STRATA_DATASETS_ALL, add_table, q)) < 0)
		goto done;
	for (size_t i = 0; i < q->nt; i++) {
		size_t k = 0;
		while (k < i && strcmp(q->t[k].dataset, q->t[i].dataset))
			k++;
		if (k == i && (error = add_union(q, q->t[i].dataset)) < 0)
			goto done;
	}
	*out = q;
	q = NULL;	/* transferred */
	error = 0;
done:
	strata_query_free(q);
	return error;
}

void strata_query_free(strata_query *q)
{
	if (!q)
		return;
	sqlite3_close(q->db);
	for (size_t i = 0; i < q->nt; i++)
		strata_schema_free(q->t[i].s);
	free(q->t);
	free(q);
}

/* ---- filling a table ---- */

typedef struct {
	const q_table *t;
	sqlite3 *db;
	sqlite3_stmt *ins;
	size_t *pos;		/* pos[i]: where field i sits in a canonical (sorted) line */
	size_t rows;
} fill_ctx;

static int bind_value(sqlite3_stmt *st, int col, const char *type, const char *v, size_t len)
{
	char *end;

	if (len == 0)
		return sqlite3_bind_null(st, col);
	if (!strcmp(type, "integer") && len < 24 && (isdigit((unsigned char)v[0]) || v[0] == '-')) {
		long long x;
		errno = 0;
		x = strtoll(v, &end, 10);
		if (end == v + len && errno == 0)
			return sqlite3_bind_int64(st, col, x);
	} else if (!strcmp(type, "number") && len < 64) {
		double x = strtod(v, &end);
		if (end == v + len)
			return sqlite3_bind_double(st, col, x);
	} else if (!strcmp(type, "boolean") && (!strcmp(v, "true") || !strcmp(v, "false"))) {
		return sqlite3_bind_int(st, col, v[0] == 't');
	}
	return sqlite3_bind_text(st, col, v, (int)len, SQLITE_STATIC);
}

static int fill_line(const char *line, size_t len, void *payload)
{
	fill_ctx *x = payload;
	const strata_schema *s = x->t->s;
	strata_record *r = NULL;
	int rc = SQLITE_OK;

	if ((rc = strata_json_record_parse(&r, line, len)) < 0)
		return rc;
	for (size_t i = 0; rc == SQLITE_OK && i < s->nfields; i++) {
		size_t k = x->pos[i];
		if (!(r->n == s->nfields && !strcmp(r->names[k], s->names[i])))
			for (k = 0; k < r->n && strcmp(r->names[k], s->names[i]); k++)
				;
		rc = k < r->n ? bind_value(x->ins, (int)i + 1, s->types[i], r->values[k], r->lens[k]) :
			sqlite3_bind_null(x->ins, (int)i + 1);
	}
	if (rc == SQLITE_OK && (rc = sqlite3_step(x->ins)) == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_reset(x->ins);
	strata_json_record_free(r);
	if (rc != SQLITE_OK)
		return strata_error_set("sql: cannot fill table '%s': %s", x->t->name, sqlite3_errmsg(x->db));
	x->rows++;
	return 0;
}

static int fill(strata_query *q, q_table *t)
{
	fill_ctx x = { t, q->db, NULL, NULL, 0 };
	strata_buf sql = STRATA_BUF_INIT;
	git_tree *root = NULL;
	size_t *order = NULL;
	int error;

	if ((error = strata_buf_puts(&sql, "INSERT INTO main.")) < 0 || (error = put_ident(&sql, t->name)) < 0 ||
	    (error = strata_buf_puts(&sql, " VALUES (")) < 0)
		goto done;
	for (size_t i = 0; !error && i < t->s->nfields; i++)
		error = strata_buf_puts(&sql, i ? ", ?" : "?");
	if (error || (error = strata_buf_putc(&sql, ')')) < 0)
		goto done;
	if (sqlite3_prepare_v2(q->db, sql.ptr, -1, &x.ins, NULL) != SQLITE_OK) {
		error = strata_error_set("sql: %s", sqlite3_errmsg(q->db));
		goto done;
	}
	x.pos = calloc(t->s->nfields + 1, sizeof(*x.pos));
	order = calloc(t->s->nfields + 1, sizeof(*order));
	if (!x.pos || !order) {
		error = strata_error_set("out of memory");
		goto done;
	}
	strata_json_sort_names(order, t->s->names, t->s->nfields);
	for (size_t k = 0; k < t->s->nfields; k++)
		x.pos[order[k]] = k;
	if (git_tree_lookup(&root, strata_node_repo(q->n), &t->root) < 0) {
		error = strata_error_git("cannot read a dataset's tree");
		goto done;
	}
	if ((error = exec(q->db, "BEGIN")) < 0)
		goto done;
	error = strata_dataset_foreach(strata_node_repo(q->n), root, fill_line, &x);
	if (error)
		exec(q->db, "ROLLBACK");
	else
		error = exec(q->db, "COMMIT");
	t->loaded = !error;
done:
	sqlite3_finalize(x.ins);
	git_tree_free(root);
	free(x.pos);
	free(order);
	strata_buf_dispose(&sql);
	return error;
}

/* ---- the user's statement ---- */

static const char *action_name(int action)
{
	switch (action) {
	case SQLITE_INSERT: return N_("insert rows");
	case SQLITE_UPDATE: return N_("update rows");
	case SQLITE_DELETE: return N_("delete rows");
	case SQLITE_ATTACH: return "attach a database";
	case SQLITE_DETACH: return "detach a database";
	case SQLITE_PRAGMA: return "run a pragma";
	case SQLITE_TRANSACTION: return N_("begin or end a transaction");
	default: return N_("change the database");
	}
}

int strata_query_tables(strata_query *q, strata_buf *out)
{
	int error = 0;
	for (size_t i = 0; !error && i < q->nt; i++) {
		const q_table *t = &q->t[i];
		error = strata_buf_printf(out, "\"%s\" (%s", t->name, t->s->nfields ? "" : ")");
		for (size_t f = 0; !error && f < t->s->nfields; f++)
			error = strata_buf_printf(out, "%s%s %s", f ? ", " : "", t->s->names[f], sql_type(t->s->types[f]));
		if (!error)
			error = strata_buf_puts(out, t->s->nfields ? ")\n" : "\n");
	}
	return error;
}

/* The names a user may type, for an error about an unknown table. */
static int table_names(strata_query *q, strata_buf *out)
{
	sqlite3_stmt *st = NULL;
	int error = 0;

	if (sqlite3_prepare_v2(q->db, "SELECT name FROM temp.sqlite_schema WHERE type = 'view' ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return 0;
	while (!error && sqlite3_step(st) == SQLITE_ROW)
		error = strata_buf_printf(out, "%s%s", out->len ? ", " : "", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	for (size_t i = 0; !error && i < q->nt; i++)
		if (strchr(q->t[i].name, '/'))
			error = strata_buf_printf(out, "%s\"%s\"", out->len ? ", " : "", q->t[i].name);
	return error;
}

int strata_query_run(strata_query *q, const char *sql, strata_query_cols_cb cols_cb, strata_query_row_cb row_cb,
		     void *payload)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL, **names = NULL, **vals = NULL;
	strata_query_type *types = NULL;
	int rc, ncols, error = 0;
	long long rows = 0;

	while (isspace((unsigned char)*sql))
		sql++;
	if (!*sql)
		return strata_error_set("sql: an empty statement");
	q->user = 1;
	q->denied = 0;
	rc = sqlite3_prepare_v2(q->db, sql, -1, &st, &tail);
	q->user = 0;
	if (q->denied) {
		error = strata_error_set("sql: refused: the statement would %s; strata sql only reads (one SELECT)",
					 _(action_name(q->denied)));
		goto done;
	}
	if (rc != SQLITE_OK) {
		strata_buf names_buf = STRATA_BUF_INIT;
		const char *msg = sqlite3_errmsg(q->db);
		if (!strncmp(msg, "no such table", 13) && table_names(q, &names_buf) == 0 && names_buf.len)
			error = strata_error_set("sql: %s; the tables are %s", msg, names_buf.ptr);
		else if (sqlite3_error_offset(q->db) >= 0)
			error = strata_error_set("sql: %s (at offset %d)", msg, sqlite3_error_offset(q->db));
		else
			error = strata_error_set("sql: %s", msg);
		strata_buf_dispose(&names_buf);
		goto done;
	}
	if (!st) {
		error = strata_error_set("sql: an empty statement");
		goto done;
	}
	for (; tail && *tail; tail++)
		if (!isspace((unsigned char)*tail) && *tail != ';') {
			error = strata_error_set("sql: one statement at a time (more follows: '%.40s')", tail);
			goto done;
		}
	if (!sqlite3_stmt_readonly(st)) {
		error = strata_error_set("sql: refused: only a statement that reads may run");
		goto done;
	}
	for (size_t i = 0; i < q->nt; i++)
		if (q->t[i].wanted && !q->t[i].loaded && (error = fill(q, &q->t[i])) < 0)
			goto done;
	ncols = sqlite3_column_count(st);
	names = calloc((size_t)ncols + 1, sizeof(*names));
	vals = calloc((size_t)ncols + 1, sizeof(*vals));
	types = calloc((size_t)ncols + 1, sizeof(*types));
	if (!names || !vals || !types) {
		error = strata_error_set("out of memory");
		goto done;
	}
	for (int i = 0; i < ncols; i++)
		names[i] = sqlite3_column_name(st, i);
	if (cols_cb && (error = cols_cb((size_t)ncols, names, payload)) != 0)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < ncols; i++) {
			int t = sqlite3_column_type(st, i);
			types[i] = t == SQLITE_INTEGER ? STRATA_Q_INTEGER : t == SQLITE_FLOAT ? STRATA_Q_REAL :
				   t == SQLITE_NULL ? STRATA_Q_NULL : STRATA_Q_TEXT;
			vals[i] = t == SQLITE_NULL ? NULL : (const char *)sqlite3_column_text(st, i);
		}
		rows++;
		if (row_cb && (error = row_cb((size_t)ncols, vals, types, payload)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		error = strata_error_set("sql: %s", sqlite3_errmsg(q->db));
		goto done;
	}
	error = rows > INT32_MAX ? INT32_MAX : (int)rows;
done:
	sqlite3_finalize(st);
	free(names);
	free(vals);
	free(types);
	return error;
}
