/*
 * check_policy_store.c - committed policies: signed commits under
 * refs/strata/policies, versions that only go up, one secret per policy
 * created once and never changed.
 */
#include "fixture.h"
#include "strata/node/commit.h"
#include "strata/node/refs.h"
#include "strata/policy/policy_store.h"

#include <sys/stat.h>

static strata_node *n;

static void setup(void)
{
	fx_setup();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-a", "community"), 0);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
}

static void teardown(void)
{
	strata_node_free(n);
	fx_teardown();
}

static const char *policy(const char *file, int version, const char *phone)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "policy: p\nversion: %d\npurpose: tests\nrecipients:\n  tiers: [street]\n"
		 "datasets:\n  residents:\n    fields:\n      id: keep\n      phone: %s\n", version, phone);
	return fx_write(file, text);
}

START_TEST(commit_load_and_versions)
{
	strata_policy_commit_result r1, r2;
	strata_policy *p = NULL;
	strata_sig_status st;
	char signer[64];
	git_oid blob, tip;

	ck_assert_msg(strata_policy_store_commit(n, policy("v1.yaml", 1, "drop"), &r1) == 0, "%s", strata_error_last());
	ck_assert(!r1.unchanged);
	ck_assert(r1.secret_created);
	ck_assert_int_eq(git_reference_name_to_id(&tip, strata_node_repo(n), STRATA_REF_POLICIES), 0);
	ck_assert(git_oid_equal(&tip, &r1.commit));
	ck_assert_int_eq(strata_commit_check(&st, signer, sizeof(signer), n, &r1.commit), 0);
	ck_assert_int_eq(st, STRATA_SIG_GOOD);
	/* the same file again: nothing to do */
	ck_assert_int_eq(strata_policy_store_commit(n, policy("v1b.yaml", 1, "drop"), &r2), 0);
	ck_assert(r2.unchanged);
	ck_assert(git_oid_equal(&r1.commit, &r2.commit));
	/* a change under the same version: refused, nothing moves */
	ck_assert_int_lt(strata_policy_store_commit(n, policy("v1c.yaml", 1, "keep"), &r2), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "raise 'version'"));
	ck_assert_int_eq(git_reference_name_to_id(&tip, strata_node_repo(n), STRATA_REF_POLICIES), 0);
	ck_assert(git_oid_equal(&tip, &r1.commit));
	/* a raised version: committed on top, no new secret */
	ck_assert_int_eq(strata_policy_store_commit(n, policy("v2.yaml", 2, "keep"), &r2), 0);
	ck_assert(!r2.secret_created);
	ck_assert_int_eq(strata_policy_store_load(&p, &blob, n, "p"), 0);
	ck_assert_int_eq(p->version, 2);
	ck_assert(git_oid_equal(&blob, &r2.blob));
	strata_policy_free(p);
	ck_assert_int_eq(strata_policy_store_load(&p, NULL, n, "nope"), STRATA_ENOTFOUND);
}
END_TEST

START_TEST(the_secret_is_kept_apart)
{
	strata_policy_commit_result r;
	unsigned char s1[32], s2[32];
	struct stat st;

	ck_assert_int_lt(strata_policy_store_secret(s1, n, "p"), 0);	/* no policy, no secret */
	ck_assert_int_eq(strata_policy_store_commit(n, policy("v1.yaml", 1, "drop"), &r), 0);
	ck_assert_int_eq(strata_policy_store_secret(s1, n, "p"), 0);
	ck_assert_int_eq(stat(fx_path("n/secrets/p.key"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(strata_policy_store_commit(n, policy("v2.yaml", 2, "keep"), &r), 0);
	ck_assert_int_eq(strata_policy_store_secret(s2, n, "p"), 0);
	ck_assert_mem_eq(s1, s2, 32);	/* pseudonyms stay stable across versions */
	fx_write("n/secrets/p.key", "not hex\n");
	ck_assert_int_lt(strata_policy_store_secret(s2, n, "p"), 0);
}
END_TEST

START_TEST(bad_files_are_refused_with_their_place)
{
	strata_policy_commit_result r;
	ck_assert_int_lt(strata_policy_store_commit(n, fx_path("missing.yaml"), &r), 0);
	ck_assert_int_lt(strata_policy_store_commit(n, fx_write("bad.yaml", "policy: [\n"), &r), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "bad.yaml"));
	ck_assert_int_eq(git_reference_name_to_id(&r.commit, strata_node_repo(n), STRATA_REF_POLICIES), GIT_ENOTFOUND);
	git_error_clear();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_store");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, commit_load_and_versions);
	tcase_add_test(tc, the_secret_is_kept_apart);
	tcase_add_test(tc, bad_files_are_refused_with_their_place);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
