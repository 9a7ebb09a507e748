/*
 * check_remote.c - pull and push against a real daemon on 127.0.0.1: the
 * parcel goes through the parcel import, a second pull has nothing to
 * fetch, and every exchange is noted in the link state.
 */
#include "two_nodes.h"
#include "served.h"
#include "strata/net/remote.h"
#include "strata/node/peers.h"
#include "strata/node/journal.h"
#include "strata/replica/link.h"

START_TEST(pull_then_nothing_new)
{
	served s;
	strata_remote *r = NULL;
	strata_remote_opts o = { 0, 0, 10 };
	strata_parcel_result res;
	strata_link l;
	git_oid sent, got;

	/* the daemon is forked: it must not inherit either node's lock */
	strata_node_unlock(cn);
	strata_node_unlock(st);
	served_start(&s, fx_path("cn"));
	point_at(st, "cn-a", cn, NULL, "pull", s.port);
	ck_assert_int_eq(strata_remote_open(&r, st, &o), 0);
	ck_assert_msg(strata_remote_pull(r, "cn-a", &res) == 0, "%s", strata_error_last());
	ck_assert(!res.uptodate);
	ck_assert_uint_eq(res.changed, 1);
	ck_assert_int_eq(git_reference_name_to_id(&sent, strata_node_repo(cn), "refs/strata/views/st-b/residents"), 0);
	ck_assert_int_eq(git_reference_name_to_id(&got, strata_node_repo(st), "refs/strata/peers/cn-a/residents"), 0);
	ck_assert(git_oid_equal(&sent, &got));
	ck_assert_int_eq(strata_remote_pull(r, "cn-a", &res), 0);
	ck_assert(res.uptodate);
	ck_assert_int_eq(strata_link_load(&l, st, "cn-a"), 0);
	ck_assert(l.net_ok > 0 && l.net_pulled > 0);
	strata_link_dispose(&l);
	strata_remote_close(r);
	ck_assert_int_eq(served_stop(&s), 0);
}
END_TEST

START_TEST(push_is_imported_by_the_daemon)
{
	served s;
	strata_remote *r = NULL;
	strata_remote_opts o = { 0, 0, 10 };
	strata_parcel_result res;

	/* st serves; cn pushes to it */
	/* the daemon is forked: it must not inherit either node's lock */
	strata_node_unlock(cn);
	strata_node_unlock(st);
	served_start(&s, fx_path("st"));
	point_at(cn, "st-b", st, "community-to-street", "both", s.port);
	ck_assert_int_eq(strata_remote_open(&r, cn, &o), 0);
	ck_assert_msg(strata_remote_push(r, "st-b", &res) == 0, "%s", strata_error_last());
	ck_assert_uint_eq(res.nrefs, 1);
	ck_assert_int_eq(strata_remote_push(r, "st-b", &res), 0);
	ck_assert(res.uptodate);	/* the daemon said it holds it all */
	strata_remote_close(r);
	ck_assert_int_eq(served_stop(&s), 0);
	ck_assert_ptr_nonnull(strstr(s.text, "push: parcel 1"));
}
END_TEST

START_TEST(a_peer_without_url_or_daemon)
{
	strata_remote *r = NULL;
	strata_remote_opts o = { 0, 0, 2 };
	strata_parcel_result res;
	strata_link l;

	ck_assert_int_eq(strata_remote_open(&r, st, &o), 0);
	ck_assert_int_lt(strata_remote_pull(r, "cn-a", &res), 0);	/* no url */
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "url"));
	strata_remote_close(r);
	/* a url where nothing listens: fails, and the link state says so */
	point_at(st, "cn-a", cn, NULL, "pull", 1);
	ck_assert_int_eq(strata_remote_open(&r, st, &o), 0);
	ck_assert_int_lt(strata_remote_pull(r, "cn-a", &res), 0);
	strata_remote_close(r);
	ck_assert_int_eq(strata_link_load(&l, st, "cn-a"), 0);
	ck_assert(l.net_failed > 0);
	ck_assert(l.net_error[0] != '\0');
	strata_link_dispose(&l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("remote");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, pull_then_nothing_new);
	tcase_add_test(tc, push_is_imported_by_the_daemon);
	tcase_add_test(tc, a_peer_without_url_or_daemon);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
