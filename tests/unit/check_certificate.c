/* check_certificate.c - an erasure certificate made from the ledger, verified with no node; forgeries refused */
#include "two_nodes.h"
#include "strata/replica/erase.h"
#include "strata/replica/receipt.h"
#include "strata/replica/certificate.h"

#include <jansson.h>

#define KEY "330108194007120007"	/* the first record of seeds/residents.csv, a consenting one */

static int lines;
static void count(int ok, const char *what, void *payload)
{
	(void)what;
	(void)payload;
	lines += ok;
}

/* The certificate with one change made to its JSON by `edit`, verified: its code. */
static int verify_edited(const strata_buf *cert, void (*edit)(json_t *doc))
{
	json_error_t err;
	json_t *doc = json_loadb(cert->ptr, cert->len, 0, &err);
	char *text;
	int rc;

	ck_assert_ptr_nonnull(doc);
	edit(doc);
	text = json_dumps(doc, JSON_SORT_KEYS);
	rc = strata_certificate_verify(text, strlen(text), NULL, NULL);
	free(text);
	json_decref(doc);
	return rc;
}

static void drop_receipts(json_t *doc)
{
	json_object_set_new(doc, "receipts", json_object());
}

static void swap_key(json_t *doc)
{
	json_t *keys = json_object_get(doc, "keys");
	json_object_set(keys, "st-b", json_object_get(keys, "cn-a"));
}

static void other_dataset(json_t *doc)
{
	json_object_set_new(doc, "dataset", json_string("grid-events"));
}

static void flip_commit(json_t *doc)
{
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(doc, "commits"), k, v) {
		char *s = strdup(json_string_value(v));
		s[10] = s[10] == 'A' ? 'B' : 'A';
		json_object_set_new(json_object_get(doc, "commits"), k, json_string(s));
		free(s);
		break;
	}
}

static void no_commits(json_t *doc)
{
	json_object_set_new(doc, "commits", json_object());
}

START_TEST(made_and_checked)
{
	char *keys[] = { KEY };
	strata_erase_result res;
	strata_parcel_result pr;
	strata_receipt_result rr;
	strata_buf parcel = STRATA_BUF_INIT, receipt = STRATA_BUF_INIT, cert = STRATA_BUF_INIT;

	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &pr), 0);
	ck_assert_int_eq(strata_parcel_import(st, "p1", parcel.ptr, parcel.len, &pr), 0);
	ck_assert_int_eq(strata_erase(cn, "residents", keys, 1, "request 1", &res), 0);
	strata_buf_clear(&parcel);
	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &pr), 0);
	ck_assert_int_eq(strata_parcel_import(st, "p2", parcel.ptr, parcel.len, &pr), 0);
	ck_assert_int_eq(strata_receipt_write(&receipt, st, "cn-a"), 0);
	ck_assert_int_eq(strata_receipt_import(cn, "r", receipt.ptr, receipt.len, &rr), 0);

	ck_assert_int_eq(strata_certificate_erasure(&cert, cn, "0000000000000000"), STRATA_ENOTFOUND);
	ck_assert_int_eq(strata_certificate_erasure(&cert, cn, res.erasure), 0);
	ck_assert_ptr_nonnull(strstr(cert.ptr, STRATA_CERTIFICATE_FORMAT));
	ck_assert_ptr_null(strstr(cert.ptr, KEY));	/* it names no one */
	lines = 0;
	ck_assert_int_eq(strata_certificate_verify(cert.ptr, cert.len, count, NULL), 0);
	ck_assert_int_ge(lines, 3);	/* the commits, the statement, the street's receipt */
	ck_assert_int_eq(verify_edited(&cert, drop_receipts), STRATA_EVERIFY);
	ck_assert_int_eq(verify_edited(&cert, swap_key), STRATA_EVERIFY);
	ck_assert_int_eq(verify_edited(&cert, other_dataset), STRATA_EVERIFY);
	ck_assert_int_eq(verify_edited(&cert, flip_commit), STRATA_EVERIFY);
	ck_assert_int_eq(verify_edited(&cert, no_commits), STRATA_EVERIFY);
	ck_assert_int_eq(strata_certificate_verify("{}", 2, NULL, NULL), STRATA_ERROR);
	ck_assert_int_eq(strata_certificate_verify("not json", 8, NULL, NULL), STRATA_ERROR);
	strata_buf_dispose(&parcel);
	strata_buf_dispose(&receipt);
	strata_buf_dispose(&cert);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("certificate");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, made_and_checked);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
