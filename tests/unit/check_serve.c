/*
 * check_serve.c - the daemon (serve.c, and the network process it forks,
 * serve_net.c): what it refuses to start with, what it answers a pinned
 * peer, and a clean stop on SIGTERM.
 */
#include "two_nodes.h"
#include "served.h"
#include "strata/net/remote.h"
#include "strata/node/peers.h"
#include "strata/node/journal.h"

START_TEST(refuses_to_start)
{
	strata_serve_opts o = { "127.0.0.1:0", 0, STRATA_SERVE_MAX_BODY };
	strata_node *lonely = NULL;

	ck_assert_int_lt(strata_serve(cn, &o), 0);	/* timeout 0 */
	o.timeout = 10;
	o.listen = "no-port";
	ck_assert_int_lt(strata_serve(cn, &o), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "HOST:PORT"));
	ck_assert_int_eq(strata_node_init(fx_path("l"), "cn-lonely", "community"), 0);
	ck_assert_int_eq(strata_node_open(&lonely, fx_path("l")), 0);
	o.listen = "127.0.0.1:0";
	ck_assert_int_lt(strata_serve(lonely, &o), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "pins no peer"));
	strata_node_free(lonely);
}
END_TEST

START_TEST(answers_a_pinned_peer)
{
	served s;
	strata_remote *r = NULL;
	strata_remote_opts o = { 0, 0, 10 };
	strata_buf body = STRATA_BUF_INIT;
	long status = 0;

	/* the daemon is forked: it must not inherit either node's lock */
	strata_node_unlock(cn);
	strata_node_unlock(st);
	served_start(&s, fx_path("cn"));
	point_at(st, "cn-a", cn, NULL, "pull", s.port);
	ck_assert_msg(strata_remote_open(&r, st, &o) == 0, "%s", strata_error_last());
	ck_assert_int_eq(strata_remote_request(r, "cn-a", "/v1/state", NULL, 0, &status, &body), 0);
	ck_assert_int_eq(status, 200);
	/* nothing received from st yet; then cn's catalogue (process.h), its one message */
	ck_assert_int_eq(strncmp(body.ptr, "sequence 0\nmessage ", 19), 0);
	ck_assert_ptr_null(strstr(body.ptr + 19, "\nmessage "));
	strata_buf_clear(&body);
	ck_assert_int_eq(strata_remote_request(r, "cn-a", "/v1/nothing", NULL, 0, &status, &body), 0);
	ck_assert_int_eq(status, 404);
	strata_buf_clear(&body);
	/* a pull state that is no state: refused, with why */
	ck_assert_int_eq(strata_remote_request(r, "cn-a", "/v1/pull", "junk", 4, &status, &body), 0);
	ck_assert_int_ge(status, 400);
	strata_remote_close(r);
	ck_assert_int_eq(served_stop(&s), 0);
	ck_assert_ptr_nonnull(strstr(s.text, "stopped"));
	strata_buf_dispose(&body);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("serve");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, refuses_to_start);
	tcase_add_test(tc, answers_a_pinned_peer);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
