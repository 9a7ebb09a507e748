/* check_erase.c - a record erased at the owner: a signed root without it, views cut, the store pruned; the cut accepted downstream; confirmations */
#include "two_nodes.h"
#include "strata/replica/erase.h"
#include "strata/node/commit.h"
#include "strata/replica/receipt.h"

#define KEY "330108194007120007"	/* the first record of seeds/residents.csv, a consenting one */

static int erasure_rows(const strata_erasure_row *r, void *payload)
{
	strata_buf *b = payload;
	return strata_buf_printf(b, "%s %s %s %s\n", r->erasure, r->peer, r->view, r->confirmed ? "confirmed" : "pending");
}

static int holds(strata_node *n, const char *text)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "git -C %s/repo.git cat-file --batch-all-objects --batch | grep -a -q -F -- '%s'",
		 strata_node_path(n), text);
	return system(cmd) == 0;
}

START_TEST(erase_and_follow)
{
	char *keys[] = { KEY };
	strata_erase_result res;
	strata_parcel_result pr;
	strata_buf parcel = STRATA_BUF_INIT, rows = STRATA_BUF_INIT, receipt = STRATA_BUF_INIT;
	git_commit *c = NULL;
	git_oid id;
	char v[80];

	/* the view sent once, so that the street holds the person */
	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &pr), 0);
	ck_assert_int_eq(strata_parcel_import(st, "p1", parcel.ptr, parcel.len, &pr), 0);
	ck_assert(holds(cn, KEY));
	/* refused: no such record, the wrong number of key values, received data */
	{
		char *none[] = { "000000000000000000" }, *two[] = { KEY, "x" };
		ck_assert_int_eq(strata_erase(cn, "residents", none, 1, "r", &res), STRATA_ENOTFOUND);
		ck_assert_int_lt(strata_erase(cn, "residents", two, 2, "r", &res), 0);
		ck_assert_int_lt(strata_erase(cn, "residents", keys, 1, "two\nlines", &res), 0);
		ck_assert_int_eq(strata_erase(st, "cn-a/residents", keys, 1, "r", &res), STRATA_ENOTFOUND);
	}
	ck_assert_int_eq(strata_erase(cn, "residents", keys, 1, "request 1", &res), 0);
	ck_assert_uint_eq(strlen(res.erasure), 16);
	ck_assert(res.in_present);
	ck_assert_uint_eq(res.versions, 1);
	ck_assert_uint_eq(res.views_cut, 1);
	/* the dataset: a signed root naming the erasure; the raw id in no object */
	ck_assert_int_eq(git_reference_name_to_id(&id, strata_node_repo(cn), "refs/strata/datasets/residents"), 0);
	ck_assert_int_eq(git_commit_lookup(&c, strata_node_repo(cn), &id), 0);
	ck_assert_uint_eq(git_commit_parentcount(c), 0);
	ck_assert(strata_commit_trailer(c, "Strata-Cut", v, sizeof(v)));
	ck_assert_str_eq(v, res.erasure);
	git_commit_free(c);
	ck_assert(!holds(cn, KEY));
	/* pending until the street confirms */
	ck_assert_int_eq(strata_erasures(cn, erasure_rows, &rows), 1);
	ck_assert_ptr_nonnull(strstr(rows.ptr, " st-b residents pending"));
	/* the street accepts the cut (a root it does not descend from), and its receipt confirms it */
	strata_buf_clear(&parcel);
	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &pr), 0);
	ck_assert_int_eq(strata_parcel_import(st, "p2", parcel.ptr, parcel.len, &pr), 0);
	ck_assert_int_eq(strata_receipt_write(&receipt, st, "cn-a"), 0);
	{
		strata_receipt_result rr;
		ck_assert_int_eq(strata_receipt_import(cn, "r", receipt.ptr, receipt.len, &rr), 0);
	}
	strata_buf_clear(&rows);
	ck_assert_int_eq(strata_erasures(cn, erasure_rows, &rows), 0);
	ck_assert_ptr_nonnull(strstr(rows.ptr, " st-b residents confirmed"));
	strata_buf_dispose(&parcel);
	strata_buf_dispose(&rows);
	strata_buf_dispose(&receipt);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("erase");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, erase_and_follow);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
