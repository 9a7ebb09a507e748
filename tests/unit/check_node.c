/*
 * check_node.c - a node alone: init appears whole or not at all, open
 * refuses what is no node, one writer at a time, and the next writer
 * removes what a killed one left.
 */
#include "fixture.h"
#include "strata/node/node.h"
#include "strata/base/fs.h"

#include <sys/stat.h>
#include <unistd.h>

static void setup(void)
{
	fx_setup();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
}

START_TEST(init_and_open)
{
	strata_node *n = NULL;
	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-a", "community"), 0);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
	ck_assert_str_eq(strata_node_name(n), "cn-a");
	ck_assert_str_eq(strata_node_tier(n), "community");
	ck_assert_str_eq(strata_node_path(n), fx_path("n"));
	ck_assert_ptr_nonnull(strata_node_repo(n));
	ck_assert(git_repository_is_bare(strata_node_repo(n)));
	ck_assert_ptr_null(strata_node_key(n));
	ck_assert_int_eq(strata_node_load_key(n), 0);
	ck_assert_ptr_nonnull(strata_node_key(n));
	strata_node_free(n);
}
END_TEST

START_TEST(init_refusals_leave_nothing)
{
	struct stat st;
	ck_assert_int_lt(strata_node_init(fx_path("n"), "Bad Name", "community"), 0);
	ck_assert_int_lt(strata_node_init(fx_path("n"), "cn-a", "city"), 0);
	ck_assert_int_lt(stat(fx_path("n"), &st), 0);
	ck_assert_int_eq(mkdir(fx_path("full"), 0755), 0);
	fx_write("full/x", "");
	ck_assert_int_eq(strata_node_init(fx_path("full"), "cn-a", "community"), STRATA_EEXISTS);
	ck_assert_int_eq(mkdir(fx_path("empty"), 0755), 0);
	ck_assert_int_eq(strata_node_init(fx_path("empty"), "cn-a", "community"), 0);	/* empty is fine */
}
END_TEST

START_TEST(open_refuses_what_is_no_node)
{
	strata_node *n = NULL;
	ck_assert_int_eq(strata_node_open(&n, fx_path("missing")), STRATA_ENOTFOUND);
	ck_assert_int_eq(mkdir(fx_path("plain"), 0755), 0);
	ck_assert_int_eq(strata_node_open(&n, fx_path("plain")), STRATA_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "strata init"));
	ck_assert_ptr_null(n);
	/* a damaged node.conf: named */
	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-a", "community"), 0);
	fx_write("n/node.conf", "[node]\n\tname = BAD\n\ttier = community\n");
	ck_assert_int_lt(strata_node_open(&n, fx_path("n")), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "node.name"));
}
END_TEST

START_TEST(one_writer_at_a_time)
{
	strata_node *a = NULL, *b = NULL;
	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-a", "community"), 0);
	ck_assert_int_eq(strata_node_open(&a, fx_path("n")), 0);
	ck_assert_int_eq(strata_node_open(&b, fx_path("n")), 0);
	ck_assert_int_eq(strata_node_flock(a), 0);
	ck_assert(strata_node_locked(a));
	ck_assert_int_eq(strata_node_flock(b), STRATA_EBUSY);
	ck_assert_int_eq(strata_node_lock_shared(b), STRATA_EBUSY);	/* readers wait for the writer */
	strata_node_unlock(a);
	ck_assert(!strata_node_locked(a));
	ck_assert_int_eq(strata_node_lock_shared(b), 0);
	ck_assert(!strata_node_locked(b));
	ck_assert_int_eq(strata_node_flock(a), STRATA_EBUSY);	/* a reader holds it */
	ck_assert_int_eq(strata_node_flock(b), 0);	/* the reader upgrades */
	ck_assert(strata_node_locked(b));
	strata_node_free(a);
	strata_node_free(b);
}
END_TEST

START_TEST(the_next_writer_removes_leftovers)
{
	strata_node *n = NULL;
	struct stat st;
	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-a", "community"), 0);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
	ck_assert_int_eq(strata_fs_mkdir_p(fx_path("n/" STRATA_NODE_TMP "/quarantine-x"), 0700), 0);
	fx_write("n/" STRATA_NODE_TMP "/quarantine-x/objects.pack", "half");
	fx_write("n/" STRATA_NODE_TMP "/spill-1", "rows");
	fx_write("n/repo.git/objects/pack/tmp_strata_123456", "half a pack");
	ck_assert_int_eq(strata_fs_mkdir_p(fx_path("n/repo.git/refs/strata/datasets"), 0755), 0);
	fx_write("n/repo.git/refs/strata/datasets/residents.lock", "");
	ck_assert_int_eq(strata_node_flock(n), 0);
	ck_assert_int_lt(stat(fx_path("n/" STRATA_NODE_TMP "/quarantine-x"), &st), 0);
	ck_assert_int_lt(stat(fx_path("n/" STRATA_NODE_TMP "/spill-1"), &st), 0);
	ck_assert_int_lt(stat(fx_path("n/repo.git/objects/pack/tmp_strata_123456"), &st), 0);
	ck_assert_int_lt(stat(fx_path("n/repo.git/refs/strata/datasets/residents.lock"), &st), 0);
	ck_assert_int_eq(stat(fx_path("n/node.conf"), &st), 0);
	strata_node_free(n);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("node");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, fx_teardown);
	tcase_add_test(tc, init_and_open);
	tcase_add_test(tc, init_refusals_leave_nothing);
	tcase_add_test(tc, open_refuses_what_is_no_node);
	tcase_add_test(tc, one_writer_at_a_time);
	tcase_add_test(tc, the_next_writer_removes_leftovers);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
