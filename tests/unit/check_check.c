/* check_check.c - what doctor asks of the node layer, the checked open, the reload */
#include "fixture.h"
#include "strata/node/check.h"
#include "strata/node/journal.h"

#include <sys/stat.h>

static strata_node *n;

static void setup(void)
{
	fx_setup();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	ck_assert_int_eq(strata_node_init(fx_path("n"), "st-a", "street"), 0);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
}

static void teardown(void)
{
	strata_node_free(n);
	fx_teardown();
}

START_TEST(sound_node)
{
	fx_problems s = { "", 0 };
	ck_assert_int_eq(strata_node_check(n, fx_problem, &s), 0);
	ck_assert_uint_eq(strlen(s.text), 0);
}
END_TEST

START_TEST(problems_named)
{
	fx_problems s = { "", 0 };
	FILE *f;
	chmod(fx_path("n/keys/node.key"), 0644);
	chmod(fx_path("n/secrets"), 0755);
	f = fopen(fx_path("n/keys/allowed_signers"), "w");
	fputs("somebody namespaces=\"git\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBOAMtHnqw7tDd+QYFuEfHBb1pVsrqvGUXS7UnUxTA3L\n", f);
	fclose(f);
	ck_assert_int_eq(strata_node_check(n, fx_problem, &s), 3);
	ck_assert_msg(strstr(s.text, "keys/node.key: readable by other users | chmod 600"), "%s", s.text);
	ck_assert_msg(strstr(s.text, "secrets: readable by other users | chmod 700"), "%s", s.text);
	ck_assert_msg(strstr(s.text, "does not hold this node's key"), "%s", s.text);
}
END_TEST

START_TEST(checked_open_and_reload)
{
	strata_node *m = NULL;
	FILE *f;
	ck_assert_int_eq(strata_node_open_checked(&m, fx_path("n")), 0);
	strata_node_free(m);
	f = fopen(fx_path("n/node.conf"), "a");
	fputs("[peer \"dx-c\"]\n\ttier = district\n", f);
	fclose(f);
	ck_assert_int_lt(strata_node_open_checked(&m, fx_path("n")), 0);
	ck_assert_ptr_null(m);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "node.conf:"));
	/* the running node refuses the bad edit and keeps what it had */
	ck_assert_int_lt(strata_node_reload(n), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "has no key"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sound_node);
	tcase_add_test(tc, problems_named);
	tcase_add_test(tc, checked_open_and_reload);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
