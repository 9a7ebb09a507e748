/*
 * check_dataset.c - reading datasets: revisions, every record, export as
 * CSV and JSON Lines, record-level diff, the list of datasets.
 */
#include "one_node.h"
#include "strata/format/json.h"
#include "strata/data/dataset.h"
#include "strata/data/import.h"
#include "strata/base/fs.h"

typedef struct { int added, changed, removed; } counts;

static int count(const strata_record *o, const strata_record *n, void *p)
{
	counts *c = p;
	if (o && n) c->changed++;
	else if (n) c->added++;
	else c->removed++;
	return 0;
}


START_TEST(diff_across_a_layout_split)
{
	/* 3,000 records span many leaves; the diff must still match them up */
	strata_buf a = STRATA_BUF_INIT, b = STRATA_BUF_INIT;
	strata_import_result res;
	git_commit *c1, *c2;
	git_tree *t1, *t2;
	counts k = { 0 };

	strata_buf_puts(&a, "id,v\n");
	strata_buf_puts(&b, "id,v\n");
	for (int i = 0; i < 3000; i++) {
		strata_buf_printf(&a, "%d,x\n", i);
		if (i % 100 != 5)
			strata_buf_printf(&b, "%d,%s\n", i, i % 10 == 0 ? "y" : "x");
	}
	strata_buf_puts(&b, "5000,new\n");
	ck_assert_int_eq(import("d", fx_write("a.csv", a.ptr), "id", 0, 0, &res), 0);
	ck_assert_int_eq(import("d", fx_write("b.csv", b.ptr), NULL, 0, 0, &res), 0);
	ck_assert_int_eq(strata_dataset_resolve(&c1, node, "d", "HEAD~1"), 0);
	ck_assert_int_eq(strata_dataset_resolve(&c2, node, "d", "HEAD"), 0);
	git_commit_tree(&t1, c1);
	git_commit_tree(&t2, c2);
	ck_assert_int_eq(strata_dataset_diff(strata_node_repo(node), t1, t2, count, &k), 0);
	ck_assert_int_eq(k.added, 1);
	ck_assert_int_eq(k.removed, 30);
	ck_assert_int_eq(k.changed, 300);
	ck_assert_uint_eq(res.changed, 300);
	git_tree_free(t1);
	git_tree_free(t2);
	git_commit_free(c1);
	git_commit_free(c2);
	strata_buf_dispose(&a);
	strata_buf_dispose(&b);
}
END_TEST

START_TEST(unknown_dataset_and_revision)
{
	git_commit *c = NULL;
	ck_assert_int_eq(strata_dataset_resolve(&c, node, "nope", NULL), STRATA_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "no dataset 'nope' on node"));
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "it holds none yet"));
	ck_assert_int_lt(strata_dataset_resolve(&c, node, "../x", NULL), 0);
}
END_TEST

static int collect(const char *line, size_t len, void *payload)
{
	strata_buf_put(payload, line, len);
	strata_buf_putc(payload, '\n');
	return 0;
}

START_TEST(resolve_foreach_and_export)
{
	strata_import_result res;
	strata_buf lines = STRATA_BUF_INIT;
	git_commit *c = NULL;
	git_tree *t = NULL;
	char hex[GIT_OID_HEXSZ + 1], path[1100];
	FILE *f;
	strata_buf out = STRATA_BUF_INIT;

	ck_assert_int_eq(import("d", fx_write("1.csv", "id,name\n2,b\n1,\"a, z\"\n"), "id", 0, 0, &res), 0);
	ck_assert_int_eq(import("d", fx_write("2.csv", "id,name\n1,a\n"), NULL, 0, 0, &res), 0);
	/* HEAD, HEAD~1 and a commit id name the same commits */
	ck_assert_int_eq(strata_dataset_resolve(&c, node, "d", "HEAD~1"), 0);
	git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
	git_commit_free(c);
	ck_assert_int_eq(strata_dataset_resolve(&c, node, "d", hex), 0);
	ck_assert_str_eq(git_oid_tostr_s(git_commit_id(c)), hex);
	ck_assert_int_eq(git_commit_tree(&t, c), 0);
	ck_assert_int_eq(strata_dataset_foreach(strata_node_repo(node), t, collect, &lines), 0);
	ck_assert_ptr_nonnull(strstr(lines.ptr, "\"name\":\"a, z\""));
	ck_assert_ptr_nonnull(strstr(lines.ptr, "\"name\":\"b\""));
	/* CSV: the schema's column order, quoted and CRLF-ended as RFC 4180 says */
	snprintf(path, sizeof(path), "%s", fx_path("out.csv"));
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(strata_dataset_export(f, strata_node_repo(node), t, "csv"), 0);
	fclose(f);
	ck_assert_int_eq(strata_fs_read(&out, path, 4096), 0);
	ck_assert_ptr_nonnull(strstr(out.ptr, "id,name\r\n"));
	ck_assert_ptr_nonnull(strstr(out.ptr, "1,\"a, z\"\r\n"));
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_lt(strata_dataset_export(f, strata_node_repo(node), t, "xml"), 0);
	fclose(f);
	git_tree_free(t);
	git_commit_free(c);
	strata_buf_dispose(&lines);
	strata_buf_dispose(&out);
}
END_TEST

/*
 * An export of many dirs runs on several threads: the text is the same,
 * line for line, as the records in key-hash order (what one thread
 * writes), and it imports back to the same tree.
 */
START_TEST(export_of_many_dirs_is_in_order)
{
	strata_buf csv = STRATA_BUF_INIT, lines = STRATA_BUF_INIT, out = STRATA_BUF_INIT, want = STRATA_BUF_INIT;
	strata_import_result res;
	git_commit *c = NULL, *c2 = NULL;
	git_tree *t = NULL, *t2 = NULL, *rec = NULL;
	const git_tree_entry *re;
	char path[1100];
	FILE *f;

	strata_buf_puts(&csv, "id,v\n");
	for (int i = 0; i < 30000; i++)
		strata_buf_printf(&csv, "%d,\"v,%d\"\n", i, i * 7);
	ck_assert_int_eq(import("d", fx_write("a.csv", csv.ptr), "id", 0, 0, &res), 0);
	ck_assert_int_eq(strata_dataset_resolve(&c, node, "d", "HEAD"), 0);
	ck_assert_int_eq(git_commit_tree(&t, c), 0);
	re = git_tree_entry_byname(t, "records");
	ck_assert_int_eq(git_tree_lookup(&rec, strata_node_repo(node), git_tree_entry_id(re)), 0);
	ck_assert_uint_ge(git_tree_entrycount(rec), 3);	/* several dirs: the threaded path */
	/* what the export must say, from the records in order */
	ck_assert_int_eq(strata_dataset_foreach(strata_node_repo(node), t, collect, &lines), 0);
	strata_buf_puts(&want, "id,v\r\n");
	for (const char *p = lines.ptr; p && *p;) {
		const char *nl = strchr(p, '\n');
		unsigned id, v;
		ck_assert_int_eq(sscanf(p, "{\"id\":\"%u\",\"v\":\"v,%u\"}", &id, &v), 2);
		strata_buf_printf(&want, "%u,\"v,%u\"\r\n", id, v);
		p = nl ? nl + 1 : NULL;
	}
	snprintf(path, sizeof(path), "%s", fx_path("out.csv"));
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(strata_dataset_export(f, strata_node_repo(node), t, "csv"), 0);
	fclose(f);
	ck_assert_int_eq(strata_fs_read(&out, path, (size_t)64 << 20), 0);
	ck_assert_uint_eq(out.len, want.len);
	ck_assert(!memcmp(out.ptr, want.ptr, want.len));
	ck_assert_int_eq(import("back", path, "id", 0, 0, &res), 0);
	ck_assert_int_eq(strata_dataset_resolve(&c2, node, "back", "HEAD"), 0);
	ck_assert_int_eq(git_commit_tree(&t2, c2), 0);
	ck_assert(git_oid_equal(git_tree_id(t), git_tree_id(t2)));
	git_tree_free(rec);
	git_tree_free(t);
	git_tree_free(t2);
	git_commit_free(c);
	git_commit_free(c2);
	strata_buf_dispose(&csv);
	strata_buf_dispose(&lines);
	strata_buf_dispose(&out);
	strata_buf_dispose(&want);
}
END_TEST

static int list_one(const strata_dataset_entry *d, void *payload)
{
	strata_buf_printf(payload, "%s [%s] %s\n", d->name, d->sender, git_commit_summary((git_commit *)d->tip));
	return 0;
}

static int stop_at_first(const strata_dataset_entry *d, void *payload)
{
	(void)d;
	++*(int *)payload;
	return 7;
}

START_TEST(list_names_every_dataset)
{
	strata_import_result res;
	strata_buf l = STRATA_BUF_INIT;
	int calls = 0;

	ck_assert_int_eq(strata_dataset_list(node, STRATA_DATASETS_ALL, list_one, &l), 0);
	ck_assert_ptr_null(l.ptr);	/* none yet */
	ck_assert_int_eq(import("b", fx_write("1.csv", "id\n1\n"), "id", 0, 0, &res), 0);
	ck_assert_int_eq(import("a", fx_write("2.csv", "id\n1\n"), "id", 0, 0, &res), 0);
	ck_assert_int_eq(strata_dataset_list(node, STRATA_DATASETS_ALL, list_one, &l), 0);
	ck_assert_ptr_nonnull(strstr(l.ptr, "a "));
	ck_assert_ptr_nonnull(strstr(l.ptr, "b "));
	/* a callback's non-zero stops the walk and comes back */
	ck_assert_int_eq(strata_dataset_list(node, STRATA_DATASETS_ALL, stop_at_first, &calls), 7);
	ck_assert_int_eq(calls, 1);
	strata_buf_dispose(&l);
}
END_TEST

START_TEST(one_name_for_own_and_received)
{
	strata_import_result res;
	strata_buf l = STRATA_BUF_INIT, ref = STRATA_BUF_INIT;
	git_commit *c = NULL;

	ck_assert_int_eq(import("residents", fx_write("1.csv", "id\n1\n"), "id", 0, 0, &res), 0);
	receive_as("dx-a/st-b/cn-c/residents", "residents");
	receive_as("dx-a/st-b/cn-d/residents", "residents");
	receive_as("dx-a/grid", "residents");
	ck_assert_int_eq(strata_dataset_list(node, STRATA_DATASETS_ALL, list_one, &l), 0);
	/* own first; received by the path under refs/strata/peers/, the sender first */
	ck_assert_ptr_eq(strstr(l.ptr, "residents [] "), l.ptr);
	ck_assert_ptr_nonnull(strstr(l.ptr, "\ndx-a/st-b/cn-c/residents [dx-a] "));
	ck_assert_ptr_nonnull(strstr(l.ptr, "\ndx-a/grid [dx-a] "));
	strata_buf_clear(&l);
	ck_assert_int_eq(strata_dataset_list(node, STRATA_DATASETS_RECEIVED, list_one, &l), 0);
	ck_assert_ptr_null(strstr(l.ptr, "residents [] "));

	/* the same name resolves in every command */
	ck_assert_int_eq(strata_dataset_ref(&ref, node, "dx-a/st-b/cn-c/residents"), 0);
	ck_assert_str_eq(ref.ptr, "refs/strata/peers/dx-a/st-b/cn-c/residents");
	ck_assert_int_eq(strata_dataset_resolve(&c, node, "dx-a/st-b/cn-c/residents", "HEAD"), 0);
	git_commit_free(c);
	ck_assert_int_eq(strata_dataset_ref(&ref, node, "residents"), 0);
	ck_assert_str_eq(ref.ptr, "refs/strata/datasets/residents");

	/* a near miss says which names exist */
	ck_assert_int_eq(strata_dataset_ref(&ref, node, "st-b/cn-c/residents"), STRATA_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "did you mean 'dx-a/st-b/cn-c/residents'?"));
	ck_assert_int_eq(strata_dataset_ref(&ref, node, "resident"), STRATA_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "did you mean 'residents'"));
	ck_assert_int_eq(strata_dataset_ref(&ref, node, "dx-a/x/residents"), STRATA_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "'dx-a/st-b/cn-c/residents', 'dx-a/st-b/cn-d/residents'"));
	ck_assert_int_eq(strata_dataset_ref(&ref, node, "budget"), STRATA_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "it holds 'residents', "));
	/* the wrong form is no name at all */
	ck_assert_int_lt(strata_dataset_ref(&ref, node, "../d"), 0);
	ck_assert_int_lt(strata_dataset_ref(&ref, node, "a//d"), 0);
	ck_assert_int_lt(strata_dataset_ref(&ref, node, "dx-a/"), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "invalid dataset name 'dx-a/'"));
	ck_assert(!strata_dataset_name_valid("Dx/a"));
	ck_assert(strata_dataset_name_valid("dx-a/st-b/grid_events"));
	strata_buf_dispose(&l);
	strata_buf_dispose(&ref);
}
END_TEST

static char *read_all(const char *name)
{
	strata_buf b = STRATA_BUF_INIT;
	ck_assert_int_eq(strata_fs_read(&b, fx_path(name), 1 << 20), 0);
	return strata_buf_detach(&b);
}

START_TEST(export_of_every_source)
{
	strata_import_result res;
	char *got;
	FILE *f;

	ck_assert_int_eq(import("residents", fx_write("a.csv", "id,street\n1,x\n"), "id", 0, 0, &res), 0);
	ck_assert_int_eq(import("other", fx_write("b.csv", "id,band,street\n7,\"hi, there\",z\n"), "id", 0, 0, &res), 0);
	receive_as("dx-a/st-b/residents", "other");
	/* one table: _source first, every field in the order it first appears, empty where a source lacks it */
	f = fopen(fx_path("all.csv"), "w");
	ck_assert_int_eq(strata_dataset_export_sources(f, node, "residents", "csv"), 0);
	fclose(f);
	got = read_all("all.csv");
	ck_assert_str_eq(got, "_source,id,street,band\r\nresidents,1,x,\r\ndx-a/st-b/residents,7,z,\"hi, there\"\r\n");
	free(got);
	f = fopen(fx_path("all.jsonl"), "w");
	ck_assert_int_eq(strata_dataset_export_sources(f, node, "residents", "jsonl"), 0);
	fclose(f);
	got = read_all("all.jsonl");
	ck_assert_str_eq(got, "{\"_source\":\"residents\",\"id\":\"1\",\"street\":\"x\",\"band\":\"\"}\n"
			      "{\"_source\":\"dx-a/st-b/residents\",\"id\":\"7\",\"street\":\"z\",\"band\":\"hi, there\"}\n");
	free(got);
	f = fopen(fx_path("none.csv"), "w");
	ck_assert_int_eq(strata_dataset_export_sources(f, node, "resident", "csv"), STRATA_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "did you mean 'residents'"));
	fclose(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dataset");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, diff_across_a_layout_split);
	tcase_add_test(tc, unknown_dataset_and_revision);
	tcase_add_test(tc, resolve_foreach_and_export);
	tcase_add_test(tc, export_of_many_dirs_is_in_order);
	tcase_add_test(tc, list_names_every_dataset);
	tcase_add_test(tc, one_name_for_own_and_received);
	tcase_add_test(tc, export_of_every_source);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
