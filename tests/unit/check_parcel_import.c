/*
 * check_parcel_import.c - parcels between two real nodes, in process:
 * import, replay, every flipped byte of the signed parts refused by the
 * full import path with the node left exactly as it was, and each
 * refusal's own code returned.
 */
#include "two_nodes.h"
#include "strata/replica/link.h"
#include "strata/replica/parcel_import.h"
#include "strata/replica/parcel_export.h"

START_TEST(export_import_replay)
{
	strata_buf parcel = STRATA_BUF_INIT, before = STRATA_BUF_INIT, after = STRATA_BUF_INIT;
	strata_parcel_result res;
	strata_link l;
	git_oid sent, got;

	ck_assert_msg(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res) == 0, "%s", strata_error_last());
	ck_assert_uint_eq(res.sequence, 1);
	ck_assert_uint_eq(res.nrefs, 1);
	ck_assert_int_eq(strata_link_load(&l, cn, "st-b"), 0);
	ck_assert_uint_eq(l.out.sequence, 1);
	ck_assert_uint_eq(l.out.nrefs, 1);
	strata_link_dispose(&l);

	ck_assert_msg(strata_parcel_import(st, "p1", parcel.ptr, parcel.len, &res) == 0, "%s", strata_error_last());
	ck_assert_uint_eq(res.changed, 1);
	ck_assert_int_eq(git_reference_name_to_id(&sent, strata_node_repo(cn), "refs/strata/views/st-b/residents"), 0);
	ck_assert_int_eq(git_reference_name_to_id(&got, strata_node_repo(st), "refs/strata/peers/cn-a/residents"), 0);
	ck_assert(git_oid_equal(&sent, &got));

	/* the same parcel again: nothing to do, and nothing done */
	state(&before, st);
	ck_assert_int_eq(strata_parcel_import(st, "p1", parcel.ptr, parcel.len, &res), 0);
	ck_assert_int_eq(res.uptodate, 1);
	ck_assert_uint_eq(res.changed, 0);
	state(&after, st);
	ck_assert_str_eq(before.ptr, after.ptr);
	strata_buf_dispose(&parcel);
	strata_buf_dispose(&before);
	strata_buf_dispose(&after);
}
END_TEST

START_TEST(every_flip_changes_nothing)
{
	strata_buf parcel = STRATA_BUF_INIT, before = STRATA_BUF_INIT, after = STRATA_BUF_INIT;
	strata_parcel_result res;
	strata_parcel *p = NULL;
	size_t spans[2][2], n = 0;

	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res), 0);
	ck_assert_int_eq(strata_parcel_parse(&p, "p", parcel.ptr, parcel.len, NULL), 0);
	spans[0][0] = 512;
	spans[0][1] = p->manifest.len;
	spans[1][0] = 512 + (p->manifest.len + 511) / 512 * 512 + 512;
	spans[1][1] = p->sig.len;
	strata_parcel_free(p);
	state(&before, st);
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < spans[s][1]; i++, n++) {
			parcel.ptr[spans[s][0] + i] ^= 0xff;
			ck_assert_msg(strata_parcel_import(st, "f", parcel.ptr, parcel.len, &res) < 0,
				      "flip of byte %zu of entry %d accepted", i, s);
			ck_assert_ptr_nonnull(strstr(strata_error_last(), "MANIFEST"));
			parcel.ptr[spans[s][0] + i] ^= 0xff;
		}
	state(&after, st);
	ck_assert_str_eq(before.ptr, after.ptr);
	ck_assert_uint_gt(n, 500);
	/* the unflipped parcel still imports */
	ck_assert_msg(strata_parcel_import(st, "p", parcel.ptr, parcel.len, &res) == 0, "%s", strata_error_last());
	strata_buf_dispose(&parcel);
	strata_buf_dispose(&before);
	strata_buf_dispose(&after);
}
END_TEST

START_TEST(refusals_return_their_code)
{
	strata_buf parcel = STRATA_BUF_INIT, before = STRATA_BUF_INIT, after = STRATA_BUF_INIT;
	strata_parcel_result res;

	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res), 0);
	state(&before, st);
	/* delivered by someone else than its sender */
	ck_assert_int_eq(strata_parcel_import_from(st, "p", parcel.ptr, parcel.len, "cn-other", &res), STRATA_EVERIFY);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "may push only its own parcels"));
	/* addressed to another node: cn imports its own parcel */
	ck_assert_int_lt(strata_parcel_import(cn, "p", parcel.ptr, parcel.len, &res), 0);
	/* not a parcel at all */
	ck_assert_int_lt(strata_parcel_import(st, "p", "junk", 4, &res), 0);
	state(&after, st);
	ck_assert_str_eq(before.ptr, after.ptr);
	strata_buf_dispose(&parcel);
	strata_buf_dispose(&before);
	strata_buf_dispose(&after);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parcel_import");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, export_import_replay);
	tcase_add_test(tc, every_flip_changes_nothing);
	tcase_add_test(tc, refusals_return_their_code);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
