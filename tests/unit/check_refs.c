/* check_refs.c - the node's ref names, and a ref that moves only from where the writer saw it */
#include "fixture.h"
#include "strata/node/refs.h"

static strata_node *n;
static git_oid a, b;

static void setup(void)
{
	git_odb *odb;
	fx_setup();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-a", "community"), 0);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
	ck_assert_int_eq(git_repository_odb(&odb, strata_node_repo(n)), 0);
	ck_assert_int_eq(git_odb_write(&a, odb, "a", 1, GIT_OBJECT_BLOB), 0);
	ck_assert_int_eq(git_odb_write(&b, odb, "b", 1, GIT_OBJECT_BLOB), 0);
	git_odb_free(odb);
}

static void teardown(void)
{
	strata_node_free(n);
	fx_teardown();
}

START_TEST(dataset_ref_names)
{
	strata_buf r = STRATA_BUF_INIT;
	ck_assert_int_eq(strata_refs_dataset(&r, "residents"), 0);
	ck_assert_str_eq(r.ptr, "refs/strata/datasets/residents");
	strata_buf_clear(&r);
	ck_assert_int_lt(strata_refs_dataset(&r, "../audit"), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "invalid dataset name"));
	strata_buf_dispose(&r);
}
END_TEST

START_TEST(update_creates_moves_and_refuses_a_race)
{
	const char *ref = STRATA_REF_DATASETS "d";
	git_oid now;
	ck_assert_int_eq(strata_refs_update(n, ref, &a, NULL, "create"), 0);
	ck_assert_int_lt(strata_refs_update(n, ref, &b, NULL, "create again"), 0);	/* exists */
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "another writer"));
	ck_assert_int_lt(strata_refs_update(n, ref, &b, &b, "from the wrong value"), 0);
	ck_assert_int_eq(git_reference_name_to_id(&now, strata_node_repo(n), ref), 0);
	ck_assert(git_oid_equal(&now, &a));
	ck_assert_int_eq(strata_refs_update(n, ref, &b, &a, "move"), 0);
	ck_assert_int_eq(git_reference_name_to_id(&now, strata_node_repo(n), ref), 0);
	ck_assert(git_oid_equal(&now, &b));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("refs");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, dataset_ref_names);
	tcase_add_test(tc, update_creates_moves_and_refuses_a_race);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
