/*
 * check_query.c - SQL over a node's datasets: the tables and their names,
 * types from the schema, the union with its _source, only reads, and the
 * node unchanged by any statement.
 */
#include "one_node.h"
#include "strata/data/query.h"

#include <unistd.h>

/* The result as "a|b\n" lines, NULL as "~". */
static int put_row(size_t n, const char *const *v, const strata_query_type *t, void *payload)
{
	for (size_t i = 0; i < n; i++)
		strata_buf_printf(payload, "%s%s", i ? "|" : "", v[i] ? v[i] : "~");
	(void)t;
	return strata_buf_putc(payload, '\n');
}

static int put_cols(size_t n, const char *const *names, void *payload)
{
	for (size_t i = 0; i < n; i++)
		strata_buf_printf(payload, "%s%s", i ? "|" : "", names[i]);
	return strata_buf_putc(payload, '\n');
}

static char *run(strata_query *q, const char *sql)
{
	static strata_buf out = STRATA_BUF_INIT;
	strata_buf_clear(&out);
	ck_assert_msg(strata_query_run(q, sql, put_cols, put_row, &out) >= 0, "%s: %s", sql, strata_error_last());
	return out.ptr ? out.ptr : "";
}

static strata_query *open_query(void)
{
	strata_query *q = NULL;
	ck_assert_msg(strata_query_open(&q, node) == 0, "%s", strata_error_last());
	return q;
}

START_TEST(types_follow_the_schema)
{
	strata_import_result res;
	strata_query *q;

	ck_assert_int_eq(import("people", fx_write("p.csv",
		"id,age,score,born,member,name\n1,30,1.5,1990-01-02,true,王芳\n2,,2,1985-05-06,false,\"Smith, J\"\n"),
		"id", 0, 0, &res), 0);
	q = open_query();
	/* integer and number columns hold numbers, booleans 1 and 0; empty is NULL */
	ck_assert_str_eq(run(q, "SELECT id, typeof(age), typeof(score), typeof(born), member FROM people ORDER BY id"),
			 "id|typeof(age)|typeof(score)|typeof(born)|member\n"
			 "1|integer|real|text|1\n2|null|real|text|0\n");
	ck_assert_str_eq(run(q, "SELECT sum(age), max(score) FROM people"), "sum(age)|max(score)\n30|2.0\n");
	ck_assert_str_eq(run(q, "SELECT name FROM people WHERE member = TRUE"), "name\n王芳\n");
	strata_query_free(q);
}
END_TEST

START_TEST(the_union_and_each_source)
{
	strata_import_result res;
	strata_buf tables = STRATA_BUF_INIT;
	strata_query *q;

	ck_assert_int_eq(import("residents", fx_write("a.csv", "id,street\n1,x\n2,y\n"), "id", 0, 0, &res), 0);
	ck_assert_int_eq(import("tmp", fx_write("b.csv", "id,street,band\n7,z,high\n"), "id", 0, 0, &res), 0);
	receive_as("dx-a/st-b/residents", "tmp");
	ck_assert_int_eq(import("grid-events", fx_write("g.csv", "id\n1\n"), "id", 0, 0, &res), 0);
	q = open_query();
	/* the union: every source, its full name in _source; a field one source lacks is NULL there */
	ck_assert_str_eq(run(q, "SELECT _source, id, street, band FROM residents ORDER BY id"),
			 "_source|id|street|band\nresidents|1|x|~\nresidents|2|y|~\ndx-a/st-b/residents|7|z|high\n");
	/* each source alone; own as main.NAME */
	ck_assert_str_eq(run(q, "SELECT count(*) FROM \"dx-a/st-b/residents\""), "count(*)\n1\n");
	ck_assert_str_eq(run(q, "SELECT count(*) FROM main.residents"), "count(*)\n2\n");
	/* a '-' name also with '_' */
	ck_assert_str_eq(run(q, "SELECT count(*) FROM grid_events"), "count(*)\n1\n");
	ck_assert_str_eq(run(q, "SELECT count(*) FROM \"grid-events\""), "count(*)\n1\n");
	ck_assert_int_eq(strata_query_tables(q, &tables), 0);
	ck_assert_msg(strstr(tables.ptr, "\"dx-a/st-b/residents\" (id INTEGER, street TEXT, band TEXT)\n") != NULL, "%s", tables.ptr);
	strata_buf_dispose(&tables);
	strata_query_free(q);
}
END_TEST

START_TEST(only_reads)
{
	static const char *const refused[] = {
		"DELETE FROM main.residents", "INSERT INTO main.residents VALUES ('9', 'q')",
		"UPDATE main.residents SET street = 'w'", "DROP TABLE main.residents",
		"CREATE TABLE t (a)", "ATTACH 'x.db' AS x", "PRAGMA writable_schema = 1",
		"SELECT 1; DELETE FROM main.residents", "BEGIN", "VACUUM INTO 'copy.db'", NULL
	};
	strata_import_result res;
	char *before, *after;
	strata_query *q;

	ck_assert_int_eq(import("residents", fx_write("a.csv", "id,street\n1,x\n"), "id", 0, 0, &res), 0);
	before = snapshot();
	q = open_query();
	for (size_t i = 0; refused[i]; i++)
		ck_assert_msg(strata_query_run(q, refused[i], NULL, NULL, NULL) < 0, "'%s' ran", refused[i]);
	ck_assert_int_lt(strata_query_run(q, "SELECT 1; SELECT 2", NULL, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "one statement at a time"));
	ck_assert_int_lt(strata_query_run(q, "SELEC 1", NULL, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "syntax error"));
	ck_assert_int_lt(strata_query_run(q, "SELECT * FROM resident", NULL, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "no such table: resident; the tables are residents"));
	ck_assert_int_lt(strata_query_run(q, "  ", NULL, NULL, NULL), 0);
	/* still all there, and the node as it was */
	ck_assert_str_eq(run(q, "SELECT count(*) FROM residents"), "count(*)\n1\n");
	strata_query_free(q);
	after = snapshot();
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(access(fx_path("x.db"), F_OK), -1);
	ck_assert_int_eq(access("x.db", F_OK), -1);
	ck_assert_int_eq(access("copy.db", F_OK), -1);
	free(before);
	free(after);
}
END_TEST

START_TEST(a_node_without_data)
{
	strata_query *q = open_query();
	ck_assert_str_eq(run(q, "SELECT 1 + 1 AS two"), "two\n2\n");
	strata_query_free(q);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, types_follow_the_schema);
	tcase_add_test(tc, the_union_and_each_source);
	tcase_add_test(tc, only_reads);
	tcase_add_test(tc, a_node_without_data);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
