/*
 * check_receipt.c - receipts between two real nodes, in process: the
 * export after a receipt builds on what it confirms; forged, misaddressed,
 * unknown, over-claiming and stale receipts change nothing.
 */
#include "two_nodes.h"
#include "strata/replica/receipt.h"
#include "strata/base/fs.h"
#include "strata/replica/link.h"
#include "strata/replica/parcel_import.h"
#include "strata/replica/parcel_export.h"

static void link_text(strata_buf *out, strata_node *n, const char *peer)
{
	strata_buf p = STRATA_BUF_INIT;
	strata_buf_clear(out);
	strata_buf_printf(&p, "%s/links/%s.json", strata_node_path(n), peer);
	if (strata_fs_read(out, p.ptr, 1 << 20) < 0)
		strata_buf_puts(out, "(none)");
	strata_error_clear();
	strata_buf_dispose(&p);
}

/* cn exports parcel 1, st imports it and writes its receipt into `r` */
static void one_round(strata_buf *r)
{
	strata_buf parcel = STRATA_BUF_INIT;
	strata_parcel_result res;

	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res), 0);
	ck_assert_msg(strata_parcel_import(st, "p", parcel.ptr, parcel.len, &res) == 0, "%s", strata_error_last());
	strata_buf_clear(r);
	ck_assert_int_eq(strata_receipt_write(r, st, "cn-a"), 0);
	strata_buf_dispose(&parcel);
}

START_TEST(receipt_moves_the_base)
{
	strata_buf r = STRATA_BUF_INIT, parcel = STRATA_BUF_INIT;
	strata_parcel_result res;
	strata_receipt_result rr;
	strata_link l;

	one_round(&r);
	ck_assert(strata_receipt_is(r.ptr, r.len));
	ck_assert_ptr_nonnull(strstr(r.ptr, "from st-b\nto cn-a\n"));
	ck_assert_ptr_nonnull(strstr(r.ptr, "\nsequence 1\nhave residents "));
	/* unconfirmed: the next parcel has no prerequisites, it holds everything again */
	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res), 0);
	ck_assert_uint_eq(res.changed, 1);
	strata_buf_clear(&parcel);
	ck_assert_msg(strata_receipt_import(cn, "r", r.ptr, r.len, &rr) == 0, "%s", strata_error_last());
	ck_assert_str_eq(rr.peer, "st-b");
	ck_assert_uint_eq(rr.sequence, 1);
	ck_assert_int_eq(rr.older, 0);
	ck_assert_int_eq(strata_link_load(&l, cn, "st-b"), 0);
	ck_assert_uint_eq(l.acked.sequence, 1);
	ck_assert_uint_eq(l.acked.nrefs, 1);
	strata_link_dispose(&l);
	/* confirmed: nothing new to send */
	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res), 0);
	ck_assert_uint_eq(res.changed, 0);
	ck_assert_uint_eq(res.objects, 0);
	/* the same receipt again: quiet, nothing changes */
	ck_assert_int_eq(strata_receipt_import(cn, "r", r.ptr, r.len, &rr), 0);
	ck_assert_int_eq(rr.older, 1);
	strata_buf_dispose(&r);
	strata_buf_dispose(&parcel);
}
END_TEST

START_TEST(receipt_refusals)
{
	strata_buf r = STRATA_BUF_INIT, bad = STRATA_BUF_INIT, before = STRATA_BUF_INIT, after = STRATA_BUF_INIT;
	strata_receipt_result rr;
	int rc;
	static const struct { const char *from, *to; const char *want; int code; } swaps[] = {
		{ "to cn-a\n", "to cn-x\n", "receipt signature does not verify", STRATA_EVERIFY },
		{ "from st-b\n", "from st-z\n", "receipt from 'st-z', which is not a peer of this node", STRATA_EVERIFY },
		{ "\nsequence 1\n", "\nsequence 9\n", "does not verify", STRATA_EVERIFY },
	};
	char *p;

	git_oid audit_before, audit_after;

	one_round(&r);
	link_text(&before, cn, "st-b");
	ck_assert_int_eq(git_reference_name_to_id(&audit_before, strata_node_repo(cn), "refs/strata/audit"), 0);
	for (size_t i = 0; i < sizeof(swaps) / sizeof(*swaps); i++) {
		strata_buf_clear(&bad);
		strata_buf_put(&bad, r.ptr, r.len);
		ck_assert_ptr_nonnull(p = strstr(bad.ptr, swaps[i].from));
		ck_assert_uint_eq(strlen(swaps[i].from), strlen(swaps[i].to));
		memcpy(p, swaps[i].to, strlen(swaps[i].to));
		rc = strata_receipt_import(cn, "r", bad.ptr, bad.len, &rr);
		ck_assert_int_lt(rc, 0);
		ck_assert_msg(strstr(strata_error_last(), swaps[i].want), "case %zu: %s", i, strata_error_last());
		if (swaps[i].code)	/* the code itself comes back, not only a message */
			ck_assert_int_eq(rc, swaps[i].code);
	}
	/* signed by st, but confirming a parcel cn never sent, or a commit cn never made */
	{
		strata_buf body = STRATA_BUF_INIT;
		const char *sig = strstr(r.ptr, "-----BEGIN");
		strata_buf_put(&body, r.ptr, (size_t)(sig - r.ptr));
		ck_assert_ptr_nonnull(p = strstr(body.ptr, "\nsequence 1\n"));
		p[10] = '7';
		strata_buf_clear(&bad);
		strata_buf_put(&bad, body.ptr, body.len);
		ck_assert_int_eq(strata_sign_sshsig(&bad, strata_node_key(st), STRATA_RECEIPT_NAMESPACE, body.ptr, body.len), 0);
		ck_assert_int_lt(strata_receipt_import(cn, "r", bad.ptr, bad.len, &rr), 0);
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "receipt confirms parcel 7, but the last parcel sent to 'st-b' was 1"));
		p[10] = '1';
		ck_assert_ptr_nonnull(p = strstr(body.ptr, "to cn-a\n"));
		p[6] = 'x';
		strata_buf_clear(&bad);
		strata_buf_put(&bad, body.ptr, body.len);
		ck_assert_int_eq(strata_sign_sshsig(&bad, strata_node_key(st), STRATA_RECEIPT_NAMESPACE, body.ptr, body.len), 0);
		ck_assert_int_lt(strata_receipt_import(cn, "r", bad.ptr, bad.len, &rr), 0);
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "receipt addressed to 'cn-x', and this node is 'cn-a'"));
		p[6] = 'a';
		ck_assert_ptr_nonnull(p = strstr(body.ptr, "have residents "));
		p[15] = p[15] == '0' ? '1' : '0';
		strata_buf_clear(&bad);
		strata_buf_put(&bad, body.ptr, body.len);
		ck_assert_int_eq(strata_sign_sshsig(&bad, strata_node_key(st), STRATA_RECEIPT_NAMESPACE, body.ptr, body.len), 0);
		ck_assert_int_lt(strata_receipt_import(cn, "r", bad.ptr, bad.len, &rr), 0);
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "which this node never made"));
		/* signed by cn itself, claiming to be st */
		strata_buf_clear(&bad);
		strata_buf_put(&bad, r.ptr, (size_t)(sig - r.ptr));
		ck_assert_int_eq(strata_sign_sshsig(&bad, strata_node_key(cn), STRATA_RECEIPT_NAMESPACE, r.ptr, (size_t)(sig - r.ptr)), 0);
		ck_assert_int_lt(strata_receipt_import(cn, "r", bad.ptr, bad.len, &rr), 0);
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "not the one pinned for 'st-b'"));
		strata_buf_dispose(&body);
	}
	/* cut anywhere: refused */
	for (size_t cut = 0; cut < r.len - 30; cut += 7)
		ck_assert_int_lt(strata_receipt_import(cn, "r", r.ptr, cut, &rr), 0);
	link_text(&after, cn, "st-b");
	ck_assert_str_eq(before.ptr, after.ptr);
	/* and no event: the audit log is where it was */
	ck_assert_int_eq(git_reference_name_to_id(&audit_after, strata_node_repo(cn), "refs/strata/audit"), 0);
	ck_assert(git_oid_equal(&audit_before, &audit_after));
	strata_buf_dispose(&r);
	strata_buf_dispose(&bad);
	strata_buf_dispose(&before);
	strata_buf_dispose(&after);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("receipt");
	TCase *tc = tcase_create("receipt");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, receipt_moves_the_base);
	tcase_add_test(tc, receipt_refusals);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
