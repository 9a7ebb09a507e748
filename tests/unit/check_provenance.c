/*
 * check_provenance.c - every record is found by its key hash, whatever the
 * trie's depth; a missing key is not; history reports each change once.
 */
#include "fixture.h"
#include "strata/replica/provenance.h"
#include "strata/data/dataset.h"
#include "strata/data/import.h"

static strata_node *n;

static void setup(void)
{
	fx_setup();
	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-p", "community"), 0);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
}

static void teardown(void)
{
	strata_node_free(n);
	fx_teardown();
}

static void import(const char *csv)
{
	strata_import_opts o = { 0 };
	strata_import_result r;
	char *key[] = { "id", NULL };
	o.path = fx_write("in.csv", csv);
	o.key = key;
	o.nkey = 1;
	ck_assert_msg(strata_import_dataset(n, "d", &o, &r) == 0, "%s", strata_error_last());
}

static int count_version(const strata_history_entry *e, void *payload)
{
	ck_assert_int_eq(e->status, STRATA_SIG_GOOD);
	ck_assert_str_eq(e->node, "cn-p");
	snprintf((char *)payload + strlen(payload), 64, "%s ", e->change);
	return 0;
}

START_TEST(lookup_every_record)
{
	strata_buf csv = STRATA_BUF_INIT, line = STRATA_BUF_INIT;
	git_commit *c;
	git_tree *t;
	strata_schema *s;
	char id[32], *vals[1] = { id };
	unsigned char h[STRATA_HASH_LEN];

	strata_buf_puts(&csv, "id,v\n");
	for (int i = 0; i < 3000; i++)	/* past 512 per leaf: a trie of subtrees */
		strata_buf_printf(&csv, "k%d,%d\n", i, i * 7);
	import(csv.ptr);
	ck_assert_int_eq(strata_dataset_resolve(&c, n, "d", NULL), 0);
	ck_assert_int_eq(git_commit_tree(&t, c), 0);
	ck_assert_int_eq(strata_schema_load(&s, strata_node_repo(n), t), 0);
	for (int i = 0; i < 3000; i += 7) {
		char want[64];
		snprintf(id, sizeof(id), "k%d", i);
		ck_assert_int_eq(strata_provenance_key_from_args(h, vals, 1), 0);
		strata_buf_clear(&line);
		ck_assert_int_eq(strata_provenance_lookup(&line, strata_node_repo(n), t, s, h), 1);
		snprintf(want, sizeof(want), "{\"id\":\"k%d\",\"v\":\"%d\"}", i, i * 7);
		ck_assert_str_eq(line.ptr, want);
	}
	snprintf(id, sizeof(id), "k3000");
	ck_assert_int_eq(strata_provenance_key_from_args(h, vals, 1), 0);
	ck_assert_int_eq(strata_provenance_lookup(&line, strata_node_repo(n), t, s, h), 0);
	strata_schema_free(s);
	git_tree_free(t);
	git_commit_free(c);
	strata_buf_dispose(&csv);
	strata_buf_dispose(&line);
}
END_TEST

START_TEST(history_each_change)
{
	char changes[256] = "", *vals[1] = { "b" };
	unsigned char h[STRATA_HASH_LEN];
	strata_buf ref = STRATA_BUF_INIT;

	import("id,v\na,1\n");
	import("id,v\na,1\nb,1\n");
	import("id,v\na,2\nb,1\n");	/* b unchanged */
	import("id,v\na,2\nb,3\n");
	import("id,v\na,2\n");
	ck_assert_int_eq(strata_dataset_ref(&ref, n, "d"), 0);
	ck_assert_int_eq(strata_provenance_key_from_args(h, vals, 1), 0);
	ck_assert_int_eq(strata_provenance_history(n, ref.ptr, h, count_version, changes), 3);
	ck_assert_str_eq(changes, "removed changed added ");
	strata_buf_dispose(&ref);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("provenance");
	TCase *tc = tcase_create("provenance");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lookup_every_record);
	tcase_add_test(tc, history_each_change);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
