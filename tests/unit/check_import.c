/* check_import.c - CSV and JSON Lines as signed dataset commits, on a fresh node per test */
#include "one_node.h"
#include "strata/node/commit.h"
#include "strata/format/json.h"
#include "strata/data/dataset.h"
#include "strata/data/import.h"

static const char *PEOPLE =
	"id,name,city,born\n"
	"1,张三,\"Hang, zhou\",1980-01-02\n"
	"2,李四,\"multi\nline\",1990-12-31\n"
	"3,\"q\"\"x\",z,\n";

START_TEST(import_export_import_gives_same_tree)
{
	strata_import_result res;
	git_oid a, b, c;
	FILE *f;

	ck_assert_int_eq(import("people", fx_write("p.csv", PEOPLE), "id", 0, 0, &res), 0);
	ck_assert_uint_eq(res.added, 3);
	tree_of(&a, "people");
	for (int round = 0; round < 2; round++) {
		const char *fmt = round ? "jsonl" : "csv";
		const char *out = fx_path(round ? "out.jsonl" : "out.csv");
		git_commit *cm;
		git_tree *t;
		ck_assert_int_eq(strata_dataset_resolve(&cm, node, "people", NULL), 0);
		ck_assert_int_eq(git_commit_tree(&t, cm), 0);
		f = fopen(out, "wb");
		ck_assert_int_eq(strata_dataset_export(f, strata_node_repo(node), t, fmt), 0);
		fclose(f);
		git_tree_free(t);
		git_commit_free(cm);
		ck_assert_int_eq(import(round ? "people3" : "people2", out, "id", 0, 0, &res), 0);
	}
	tree_of(&b, "people2");
	tree_of(&c, "people3");
	ck_assert(git_oid_equal(&a, &b));
	ck_assert(git_oid_equal(&a, &c));
}
END_TEST

START_TEST(row_order_does_not_change_the_tree)
{
	strata_import_result res;
	git_oid a, b;
	ck_assert_int_eq(import("a", fx_write("a.csv", "id,v\n1,x\n2,y\n3,z\n"), "id", 0, 0, &res), 0);
	ck_assert_int_eq(import("b", fx_write("b.csv", "id,v\n3,z\n1,x\n2,y\n"), "id", 0, 0, &res), 0);
	tree_of(&a, "a");
	tree_of(&b, "b");
	ck_assert(git_oid_equal(&a, &b));
}
END_TEST

START_TEST(full_state_deletes_and_upsert_keeps)
{
	strata_import_result res;
	ck_assert_int_eq(import("d", fx_write("1.csv", "id,v\n1,a\n2,b\n3,c\n"), "id", 0, 0, &res), 0);
	ck_assert_int_eq(import("d", fx_write("2.csv", "id,v\n1,a\n2,B\n4,d\n"), NULL, 0, 0, &res), 0);
	ck_assert_uint_eq(res.added, 1);
	ck_assert_uint_eq(res.changed, 1);
	ck_assert_uint_eq(res.removed, 1);
	ck_assert_uint_eq(res.total, 3);
	ck_assert_int_eq(import("d", fx_write("3.csv", "id,v\n5,e\n1,A\n"), NULL, 1, 0, &res), 0);
	ck_assert_uint_eq(res.added, 1);
	ck_assert_uint_eq(res.changed, 1);
	ck_assert_uint_eq(res.removed, 0);
	ck_assert_uint_eq(res.total, 4);
}
END_TEST

START_TEST(same_input_makes_no_commit)
{
	strata_import_result res;
	git_oid first;
	ck_assert_int_eq(import("d", fx_write("1.csv", "id,v\n1,a\n"), "id", 0, 0, &res), 0);
	first = res.commit;
	ck_assert_int_eq(import("d", fx_write("2.csv", "id,v\n1,a\n"), NULL, 0, 0, &res), 0);
	ck_assert_int_eq(res.unchanged, 1);
	ck_assert(git_oid_equal(&first, &res.commit));
}
END_TEST

START_TEST(schema_change_needs_consent)
{
	strata_import_result res;
	ck_assert_int_eq(import("d", fx_write("1.csv", "id,v\n1,a\n"), "id", 0, 0, &res), 0);
	ck_assert_int_lt(import("d", fx_write("2.csv", "id,v,w\n1,a,b\n"), NULL, 0, 0, &res), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "added 'w'"));
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "--schema-change"));
	ck_assert_int_eq(import("d", fx_path("2.csv"), NULL, 0, 1, &res), 0);
	ck_assert_uint_eq(res.changed, 1);
}
END_TEST

static const struct { const char *content; const char *err; } bad_inputs[] = {
	{ "id,v\n1,\"open\n2,b\n", "line 2, column 3: unterminated quoted field" },
	{ "id,v\n1,a\n2\n", "line 3: expected 2 fields, found 1" },
	{ "id,v\n1,\xc3\x28\n", "line 2: field 2 is not valid UTF-8" },
	{ "id,v\n1,a\n2,b\n1,c\n", "duplicate key (id=1) at lines 2 and 4" },
	{ "name,v\nx,a\n", "key field 'id' is not a column" },
	{ "", "the file is empty" },
	{ "id,v\n", "no records" },
	{ "id,v\n,a\n", "line 2: key field 'id' is empty" },
	{ "\x7f" "ELF\x02\x01\x01\0\0\0", "NUL byte" },
	{ "id,id\n1,2\n", "column 'id' appears twice" },
};

START_TEST(bad_input_changes_nothing)
{
	strata_import_result res;
	char *before, *after;

	ck_assert_int_eq(import("d", fx_write("ok.csv", "id,v\n9,z\n"), "id", 0, 0, &res), 0);
	before = snapshot();
	{
		const char *p = fx_path("bad.csv");
		FILE *f = fopen(p, "wb");
		size_t len = strlen(bad_inputs[_i].content);
		if (strstr(bad_inputs[_i].err, "NUL"))
			len = 10;
		fwrite(bad_inputs[_i].content, 1, len, f);
		fclose(f);
		ck_assert_int_lt(import("d", p, "id", 0, 0, &res), 0);
		ck_assert_msg(strstr(strata_error_last(), bad_inputs[_i].err) != NULL,
			      "case %d: got '%s'", _i, strata_error_last());
	}
	after = snapshot();
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

/* tree(upsert(A, B)) == tree(full import of A with B applied), across layout changes */
/*
 * Rows are canonicalised on several threads, a batch of 2,048 at a time:
 * with errors in several batches, the one reported is still the first by
 * line, and a wrong row the reader meets comes after every row it handed
 * out.  Each case: 10,000 rows "i,v", then edits at given lines.
 */
static const struct { int empty_key[2]; int dup_of; int dup_at; int short_row; const char *err; } spread_cases[] = {
	{ { 7000, 3000 }, 0, 0, 0, "line 3000: key field 'id' is empty" },
	{ { 9500, 0 }, 0, 0, 9800, "line 9500: key field 'id' is empty" },
	{ { 0, 0 }, 0, 0, 9800, "line 9800: expected 2 fields, found 1" },
	{ { 0, 0 }, 100, 9000, 0, "at lines 100 and 9000" },
	{ { 9990, 0 }, 0, 0, 0, "line 9990: key field 'id' is empty" },
};

START_TEST(errors_across_threads_report_the_first_line)
{
	strata_buf csv = STRATA_BUF_INIT;
	strata_import_result res;
	char *before, *after;

	ck_assert_int_eq(import("d", fx_write("ok.csv", "id,v\n9,z\n"), "id", 0, 0, &res), 0);
	before = snapshot();
	strata_buf_puts(&csv, "id,v\n");
	for (int line = 2; line <= 10001; line++) {
		if (line == spread_cases[_i].empty_key[0] || line == spread_cases[_i].empty_key[1])
			strata_buf_printf(&csv, ",v%d\n", line);
		else if (line == spread_cases[_i].short_row)
			strata_buf_printf(&csv, "k%d\n", line);
		else if (line == spread_cases[_i].dup_at)
			strata_buf_printf(&csv, "k%d,again\n", spread_cases[_i].dup_of);
		else
			strata_buf_printf(&csv, "k%d,v\n", line);
	}
	ck_assert_int_lt(import("d", fx_write("bad.csv", csv.ptr), "id", 0, 0, &res), 0);
	ck_assert_msg(strstr(strata_error_last(), spread_cases[_i].err) != NULL, "case %d: got '%s'", _i,
		      strata_error_last());
	after = snapshot();
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	strata_buf_dispose(&csv);
}
END_TEST

static const struct { int base, add, change; } upsert_cases[] = {
	{ 100, 5, 5 },		/* group leaves stay leaves */
	{ 500, 9000, 50 },	/* leaves pass the bound and split */
	{ 9000, 30, 40 },	/* group trees: bucket-by-bucket update */
	{ 20000, 3000, 500 },	/* deeper trees */
};

START_TEST(upsert_equals_full_import)
{
	strata_buf a = STRATA_BUF_INIT, b = STRATA_BUF_INIT, full = STRATA_BUF_INIT;
	strata_import_result res;
	git_oid t1, t2;
	int base = upsert_cases[_i].base, add = upsert_cases[_i].add, change = upsert_cases[_i].change;

	strata_buf_puts(&a, "id,v\n");
	strata_buf_puts(&b, "id,v\n");
	strata_buf_puts(&full, "id,v\n");
	for (int i = 0; i < base; i++) {
		strata_buf_printf(&a, "%d,x%d\n", i, i);
		strata_buf_printf(&full, "%d,%s%d\n", i, i < change ? "y" : "x", i);
	}
	for (int i = 0; i < change; i++)
		strata_buf_printf(&b, "%d,y%d\n", i, i);
	for (int i = 0; i < add; i++) {
		strata_buf_printf(&b, "n%d,z\n", i);
		strata_buf_printf(&full, "n%d,z\n", i);
	}
	ck_assert_int_eq(import("up", fx_write("a.csv", a.ptr), "id", 0, 0, &res), 0);
	ck_assert_int_eq(import("up", fx_write("b.csv", b.ptr), NULL, 1, 0, &res), 0);
	ck_assert_uint_eq(res.added, (size_t)add);
	ck_assert_uint_eq(res.changed, (size_t)change);
	ck_assert_uint_eq(res.removed, 0);
	ck_assert_uint_eq(res.total, (size_t)(base + add));
	ck_assert_int_eq(import("full", fx_write("f.csv", full.ptr), "id", 0, 0, &res), 0);
	tree_of(&t1, "up");
	tree_of(&t2, "full");
	ck_assert_msg(git_oid_equal(&t1, &t2), "case %d: upsert tree differs from full import", _i);
	strata_buf_dispose(&a);
	strata_buf_dispose(&b);
	strata_buf_dispose(&full);
}
END_TEST

START_TEST(commits_are_signed_and_verify)
{
	strata_import_result res;
	strata_sig_status st;
	char signer[256];
	ck_assert_int_eq(import("d", fx_write("1.csv", "id,v\n1,a\n"), "id", 0, 0, &res), 0);
	ck_assert_int_eq(strata_commit_check(&st, signer, sizeof(signer), node, &res.commit), 0);
	ck_assert_int_eq(st, STRATA_SIG_GOOD);
	ck_assert_str_eq(signer, "cn-test-01");
}
END_TEST


int main(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, import_export_import_gives_same_tree);
	tcase_add_test(tc, row_order_does_not_change_the_tree);
	tcase_add_test(tc, full_state_deletes_and_upsert_keeps);
	tcase_add_test(tc, same_input_makes_no_commit);
	tcase_add_test(tc, schema_change_needs_consent);
	tcase_add_loop_test(tc, bad_input_changes_nothing, 0, sizeof(bad_inputs) / sizeof(*bad_inputs));
	tcase_add_loop_test(tc, upsert_equals_full_import, 0, sizeof(upsert_cases) / sizeof(*upsert_cases));
	tcase_add_loop_test(tc, errors_across_threads_report_the_first_line, 0, sizeof(spread_cases) / sizeof(*spread_cases));
	tcase_add_test(tc, commits_are_signed_and_verify);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
