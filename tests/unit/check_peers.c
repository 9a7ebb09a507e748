/* check_peers.c - the one peer API: add, list, get, trusted, and what add refuses */
#include "fixture.h"
#include "strata/node/journal.h"
#include "strata/node/peers.h"
#include "strata/node/check.h"

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
	/* the same peer again is refused: set changes it */
	p = good; p.direction = "both";
	ck_assert_int_eq(strata_peers_add(n, &p), STRATA_EEXISTS);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "peer set"));
}
END_TEST

static void append_conf(const char *text)
{
	FILE *f = fopen(fx_path("n/node.conf"), "a");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(direction_follows_tiers)
{
	strata_peer_spec down = { .name = "cn-b", .key = *strata_node_pubkey(other), .tier = "community" };
	strata_peer_spec up = { .name = "dx-c", .tier = "district", .policy = "p" };
	strata_peer_spec same = { .name = "st-d", .tier = "street", .policy = "p" };
	strata_buf v = STRATA_BUF_INIT;

	ck_assert_str_eq(strata_peers_default_direction("street", "district"), "push");
	ck_assert_str_eq(strata_peers_default_direction("street", "community"), "pull");
	ck_assert_str_eq(strata_peers_default_direction("community", "province"), "push");
	ck_assert_ptr_null(strata_peers_default_direction("street", "street"));
	ck_assert_ptr_null(strata_peers_default_direction("province", "department"));
	ck_assert_int_eq(strata_journal_lock(n), 0);
	ck_assert_int_eq(strata_peers_add(n, &down), 0);
	ck_assert_int_eq(strata_peers_get(&v, n, "cn-b", "direction"), 0);
	ck_assert_str_eq(v.ptr, "pull");	/* written out, not left implicit */
	memset(up.key.raw, 7, sizeof(up.key.raw));
	ck_assert_int_eq(strata_peers_add(n, &up), 0);
	strata_buf_clear(&v);
	ck_assert_int_eq(strata_peers_direction(&v, n, "dx-c"), 0);
	ck_assert_str_eq(v.ptr, "push");
	memset(same.key.raw, 8, sizeof(same.key.raw));
	ck_assert_int_lt(strata_peers_add(n, &same), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "--direction is required"));
	/* a peer written by hand without a direction: the tiers' default */
	{
		strata_pubkey pk;
		strata_buf line = STRATA_BUF_INIT, conf = STRATA_BUF_INIT;
		memset(pk.raw, 9, sizeof(pk.raw));
		ck_assert_int_eq(strata_sign_pubkey_format(&line, &pk), 0);
		strata_buf_printf(&conf, "[peer \"pv-e\"]\n\tkey = %s\n\ttier = province\n\tpolicy = p\n", line.ptr);
		append_conf(conf.ptr);
		strata_node_free(n);
		ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
		strata_buf_clear(&v);
		ck_assert_int_eq(strata_peers_direction(&v, n, "pv-e"), 0);
		ck_assert_str_eq(v.ptr, "push");
		strata_buf_dispose(&line);
		strata_buf_dispose(&conf);
	}
	strata_buf_dispose(&v);
}
END_TEST

START_TEST(set_and_remove)
{
	strata_peer_spec good = { .name = "cn-b", .key = *strata_node_pubkey(other), .tier = "community" };
	strata_peer_spec ch = { 0 };
	strata_buf changed = STRATA_BUF_INIT, v = STRATA_BUF_INIT;

	ck_assert_int_eq(strata_journal_lock(n), 0);
	ck_assert_int_eq(strata_peers_add(n, &good), 0);
	ch.url = "https://10.0.0.1:8443";
	ck_assert_int_eq(strata_peers_set(&changed, n, "cn-b", &ch, 0, 0), 0);
	ck_assert_str_eq(changed.ptr, "url: (none) -> https://10.0.0.1:8443\n");
	/* the same again changes nothing */
	strata_buf_clear(&changed);
	ck_assert_int_eq(strata_peers_set(&changed, n, "cn-b", &ch, 0, 0), 0);
	ck_assert_uint_eq(changed.len, 0);
	/* a result add would refuse is refused, and nothing written */
	ch.url = NULL;
	ch.direction = "push";
	ck_assert_int_lt(strata_peers_set(&changed, n, "cn-b", &ch, 0, 0), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "--policy is required"));
	ck_assert_int_eq(strata_peers_get(&v, n, "cn-b", "direction"), 0);
	ck_assert_str_eq(v.ptr, "pull");
	ch.direction = NULL;
	ck_assert_int_eq(strata_peers_set(&changed, n, "cn-b", &ch, 1, 0), 0);
	ck_assert_int_eq(strata_peers_get(&v, n, "cn-b", "url"), STRATA_ENOTFOUND);
	ck_assert_int_eq(strata_peers_set(&changed, n, "nobody", &ch, 0, 0), STRATA_ENOTFOUND);
	/* removed: its key is trusted no more */
	ck_assert_int_eq(strata_peers_remove(n, "cn-b"), 0);
	ck_assert_int_eq(strata_peers_get(&v, n, "cn-b", "key"), STRATA_ENOTFOUND);
	{
		char who[64];
		ck_assert(!strata_peers_trusted(n, strata_node_pubkey(other), who, sizeof(who)));
	}
	ck_assert_int_eq(strata_peers_remove(n, "cn-b"), STRATA_ENOTFOUND);
	strata_buf_dispose(&changed);
	strata_buf_dispose(&v);
}
END_TEST

START_TEST(check_names_the_line)
{
	fx_problems s = { "", 0 };
	strata_node *m = NULL;

	ck_assert_int_eq(strata_peers_check(n, fx_problem, &s), 0);
	append_conf("[peer \"cn-b\"]\n\tkey = ssh-ed25519 AAAAnotakey\n\ttier = community\n\tdirection = psuh\n"
		    "\turl = http://x\n\tpolcy = p\n");
	/* the node opens no more, and says where */
	ck_assert_int_lt(strata_node_open_checked(&m, fx_path("n")), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "node.conf:"));
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "strata doctor"));
	ck_assert_int_eq(strata_node_open(&m, fx_path("n")), 0);
	ck_assert_int_eq(strata_peers_check(m, fx_problem, &s), 4);
	ck_assert_msg(strstr(s.text, "node.conf:7: peer 'cn-b': key does not parse"), "%s", s.text);
	ck_assert_msg(strstr(s.text, "node.conf:9: peer 'cn-b': direction 'psuh'"), "%s", s.text);
	ck_assert_msg(strstr(s.text, "node.conf:10: peer 'cn-b': url 'http://x'"), "%s", s.text);
	ck_assert_msg(strstr(s.text, "node.conf:11: peer 'cn-b': unknown setting 'polcy'"), "%s", s.text);
	strata_node_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("peers");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, add_list_get_trusted);
	tcase_add_test(tc, add_refusals);
	tcase_add_test(tc, direction_follows_tiers);
	tcase_add_test(tc, set_and_remove);
	tcase_add_test(tc, check_names_the_line);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
