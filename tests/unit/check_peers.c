/* check_peers.c - the one peer API: add, list, get, trusted, and what add refuses */
#include "fixture.h"
#include "strata/node/journal.h"
#include "strata/node/peers.h"

static strata_node *n, *other;

static void setup(void)
{
	fx_setup();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	ck_assert_int_eq(strata_node_init(fx_path("n"), "st-a", "street"), 0);
	ck_assert_int_eq(strata_node_init(fx_path("o"), "cn-b", "community"), 0);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
	ck_assert_int_eq(strata_node_open(&other, fx_path("o")), 0);
}

static void teardown(void)
{
	strata_node_free(n);
	strata_node_free(other);
	fx_teardown();
}

START_TEST(add_list_get_trusted)
{
	strata_peer_spec p = { .name = "cn-b", .key = *strata_node_pubkey(other), .tier = "community",
			       .direction = "pull" };
	strata_buf v = STRATA_BUF_INIT;
	char **names = NULL, who[64];
	size_t count = 9;

	ck_assert_int_eq(strata_peers_list(&names, &count, n), 0);
	ck_assert_uint_eq(count, 0);
	strata_peers_list_free(names);
	ck_assert(!strata_peers_trusted(n, strata_node_pubkey(other), who, sizeof(who)));
	ck_assert_int_eq(strata_journal_lock(n), 0);
	ck_assert_int_eq(strata_peers_add(n, &p), 0);
	ck_assert_int_eq(strata_peers_list(&names, &count, n), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_str_eq(names[0], "cn-b");
	ck_assert_ptr_null(names[1]);
	strata_peers_list_free(names);
	ck_assert_int_eq(strata_peers_get(&v, n, "cn-b", "direction"), 0);
	ck_assert_str_eq(v.ptr, "pull");
	strata_buf_clear(&v);
	ck_assert_int_eq(strata_peers_get(&v, n, "cn-b", "policy"), STRATA_ENOTFOUND);
	ck_assert_int_eq(strata_peers_get(&v, n, "nobody", "key"), STRATA_ENOTFOUND);
	/* trusted at once, and its own key too */
	ck_assert(strata_peers_trusted(n, strata_node_pubkey(other), who, sizeof(who)));
	ck_assert_str_eq(who, "cn-b");
	ck_assert(strata_peers_trusted(n, strata_node_pubkey(n), who, sizeof(who)));
	ck_assert_str_eq(who, "st-a");
	/* what it wrote, a reopened node reads */
	strata_node_free(n);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
	ck_assert(strata_peers_trusted(n, strata_node_pubkey(other), who, sizeof(who)));
	strata_buf_dispose(&v);
}
END_TEST

START_TEST(add_refusals)
{
	strata_peer_spec good = { .name = "cn-b", .key = *strata_node_pubkey(other), .tier = "community",
				  .policy = "p", .direction = "push", .url = "https://127.0.0.1:1" };
	strata_peer_spec p;
	char **names = NULL;
	size_t count;

	ck_assert_int_lt(strata_peers_add(n, &good), 0);	/* no lock */
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "lock"));
	ck_assert_int_eq(strata_journal_lock(n), 0);
	p = good; p.name = "Bad";
	ck_assert_int_lt(strata_peers_add(n, &p), 0);
	p = good; p.name = "st-a";
	ck_assert_int_lt(strata_peers_add(n, &p), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "own name"));
	p = good; p.tier = "city";
	ck_assert_int_lt(strata_peers_add(n, &p), 0);
	p = good; p.direction = "sideways";
	ck_assert_int_lt(strata_peers_add(n, &p), 0);
	p = good; p.policy = NULL;
	ck_assert_int_lt(strata_peers_add(n, &p), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "--policy is required"));
	p = good; p.url = "http://plain";
	ck_assert_int_lt(strata_peers_add(n, &p), 0);
	p = good; p.key = *strata_node_pubkey(n);
	ck_assert_int_lt(strata_peers_add(n, &p), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "own key"));
	ck_assert_int_eq(strata_peers_list(&names, &count, n), 0);
	ck_assert_uint_eq(count, 0);	/* nothing written by any of them */
	strata_peers_list_free(names);
	/* one key, one peer */
	ck_assert_int_eq(strata_peers_add(n, &good), 0);
	p = good; p.name = "cn-c";
	ck_assert_int_lt(strata_peers_add(n, &p), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "already belongs to 'cn-b'"));
	/* the same peer again changes it */
	p = good; p.direction = "both";
	ck_assert_int_eq(strata_peers_add(n, &p), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("peers");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, add_list_get_trusted);
	tcase_add_test(tc, add_refusals);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
