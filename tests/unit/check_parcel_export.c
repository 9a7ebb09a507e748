/*
 * check_parcel_export.c - what a parcel for a peer holds, and that nothing
 * is recorded as sent unless it was handed on.
 */
#include "two_nodes.h"
#include "strata/replica/link.h"
#include "strata/replica/parcel_import.h"
#include "strata/replica/parcel_export.h"

static int fail_publish(const void *data, size_t len, void *payload)
{
	(void)data, (void)len, (void)payload;
	return strata_error_set("the stick was pulled out");
}

START_TEST(failed_publish_spends_nothing)
{
	strata_parcel_result res;
	strata_link l;
	strata_buf parcel = STRATA_BUF_INIT;

	ck_assert_int_lt(strata_parcel_export(cn, "st-b", 0, fail_publish, NULL, &res), 0);
	ck_assert_int_eq(strata_link_load(&l, cn, "st-b"), 0);
	ck_assert_uint_eq(l.out.sequence, 0);
	strata_link_dispose(&l);
	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res), 0);
	ck_assert_uint_eq(res.sequence, 1);
	strata_buf_dispose(&parcel);
}
END_TEST

START_TEST(a_peer_that_holds_everything_gets_nothing)
{
	strata_buf parcel = STRATA_BUF_INIT;
	strata_parcel_result res;
	strata_link l;
	strata_link_side have = { 0 };

	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res), 0);
	ck_assert_int_eq(strata_parcel_import(st, "p", parcel.ptr, parcel.len, &res), 0);
	/* st says it holds what cn sent: nothing to send, nothing recorded */
	ck_assert_int_eq(strata_link_load(&l, cn, "st-b"), 0);
	ck_assert_int_eq(strata_link_side_copy(&have, &l.out), 0);
	strata_link_dispose(&l);
	strata_buf_clear(&parcel);
	ck_assert_int_eq(strata_parcel_export_for(cn, "st-b", &have, "https-push", to_buf, &parcel, &res), 0);
	ck_assert_int_eq(res.uptodate, 1);
	ck_assert_uint_eq(parcel.len, 0);	/* nothing published */
	ck_assert_int_eq(strata_link_load(&l, cn, "st-b"), 0);
	ck_assert_uint_eq(l.out.sequence, 1);
	strata_link_dispose(&l);
	free(have.refs);
	strata_buf_dispose(&parcel);
}
END_TEST

START_TEST(no_parcel_against_the_direction)
{
	strata_buf parcel = STRATA_BUF_INIT;
	strata_parcel_result res;

	/* st pins cn as pull only: st sends it nothing */
	ck_assert_int_eq(strata_parcel_export(st, "cn-a", 0, to_buf, &parcel, &res), STRATA_EDENIED);
	ck_assert_ptr_null(parcel.ptr);
	ck_assert_int_lt(strata_parcel_export(cn, "nobody", 0, to_buf, &parcel, &res), 0);
	strata_buf_dispose(&parcel);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parcel_export");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, failed_publish_spends_nothing);
	tcase_add_test(tc, a_peer_that_holds_everything_gets_nothing);
	tcase_add_test(tc, no_parcel_against_the_direction);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
