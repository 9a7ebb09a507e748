/*
 * check_process.c - the catalogue, a request and its answer between two
 * real nodes, carried by a parcel and a receipt; forged, unknown, replayed
 * and misdirected messages refused, each changing nothing.
 */
#include "two_nodes.h"
#include "strata/replica/process.h"
#include "strata/replica/receipt.h"
#include "strata/format/procmsg.h"

#include <jansson.h>

static void audit_head(git_oid *out, strata_node *n)
{
	ck_assert_int_eq(git_reference_name_to_id(out, strata_node_repo(n), "refs/strata/audit"), 0);
}

/* cn's parcel to st (its messages go with it), and st's receipt back (with st's) */
static void round_trip(void)
{
	strata_buf parcel = STRATA_BUF_INIT, receipt = STRATA_BUF_INIT;
	strata_parcel_result res;
	strata_receipt_result rr;

	ck_assert_msg(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res) == 0, "%s", strata_error_last());
	ck_assert_msg(strata_parcel_import(st, "p", parcel.ptr, parcel.len, &res) == 0, "%s", strata_error_last());
	ck_assert_int_eq(strata_receipt_write(&receipt, st, "cn-a"), 0);
	ck_assert_msg(strata_receipt_import(cn, "r", receipt.ptr, receipt.len, &rr) == 0, "%s", strata_error_last());
	strata_buf_dispose(&parcel);
	strata_buf_dispose(&receipt);
}

struct found {
	const char *status, *role, *reason;
	char via[64];
	int n;
	char id[17];
};

static int find_catalog(const strata_catalog_entry *e, void *payload)
{
	struct found *f = payload;
	if (!strcmp(e->owner, "cn-a") && !strcmp(e->dataset, "residents")) {
		f->n++;
		snprintf(f->via, sizeof(f->via), "%s", e->via);
		ck_assert_str_eq(json_string_value(json_object_get(e->entry, "attribute")), "conditional");
	}
	return 0;
}

static int find_request(const strata_request_info *r, void *payload)
{
	struct found *f = payload;
	static char status[64], role[16], reason[256];
	f->n++;
	snprintf(f->id, sizeof(f->id), "%s", r->id);
	snprintf(status, sizeof(status), "%s", r->status);
	snprintf(role, sizeof(role), "%s", r->role);
	snprintf(reason, sizeof(reason), "%s", r->reason);
	f->status = status;
	f->role = role;
	f->reason = reason;
	return 0;
}

/* The envelope line of a message signed by `k` with `body`, its path `hops` (comma-separated). */
static void forged(strata_buf *out, json_t *body, const strata_key *k, const char *add)
{
	strata_procmsg *m = NULL;
	ck_assert_msg(strata_procmsg_sign(&m, body, k) == 0, "%s", strata_error_last());
	strata_buf_clear(out);
	ck_assert_int_eq(strata_procmsg_encode(out, m, add), 0);
	strata_procmsg_free(m);
}

static json_t *request_body(const char *id, const char *from, const char *purpose)
{
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:[s], s:s, s:s, s:i, s:i, s:i}", "kind", "request", "v", 1, "id",
			 id, "from", from, "owner", "cn-a", "dataset", "residents", "fields", "phone", "purpose", purpose,
			 "basis", "basis", "until", 0, "deadline", 2000000000, "time", 1790000000);
}

START_TEST(request_and_refusal_travel)
{
	struct found f = { 0 };
	char *fields[] = { "phone" };
	char id[17];

	round_trip();
	/* cn's catalogue reached st with the parcel: conditional (not described), its fields named */
	ck_assert_int_eq(strata_process_catalog(st, find_catalog, &f), 0);
	ck_assert_int_eq(f.n, 1);
	ck_assert_str_eq(f.via, "cn-a");
	/* what st cannot ask for: a field cn-a lacks, a dataset it does not list, without a purpose */
	{
		char *nofield[] = { "shoe_size" };
		ck_assert_int_eq(strata_process_request(st, "cn-a", "residents", nofield, 1, "p", "b", 0, 0, id),
				 STRATA_ENOTFOUND);
		ck_assert_int_eq(strata_process_request(st, "cn-a", "cars", fields, 1, "p", "b", 0, 0, id), STRATA_ENOTFOUND);
		ck_assert_int_lt(strata_process_request(st, "cn-a", "residents", fields, 1, "", "b", 0, 0, id), 0);
		ck_assert_int_lt(strata_process_request(st, "xx-q", "residents", fields, 1, "p", "b", 0, 0, id), 0);
	}
	ck_assert_msg(strata_process_request(st, "cn-a", "residents", fields, 1, "核对", "条例", 0, 0, id) == 0, "%s",
		      strata_error_last());
	round_trip();	/* the request goes down with st's receipt */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(strata_process_requests(cn, find_request, &f), 0);
	ck_assert_int_eq(f.n, 1);
	ck_assert_str_eq(f.id, id);
	ck_assert_str_eq(f.role, "owner");
	ck_assert_str_eq(f.status, "open");
	/* a relay answer before the owner's, an answer to nothing, a refusal without its reason */
	ck_assert_int_eq(strata_process_answer(cn, "0000000000000000", 0, "r", NULL), STRATA_ENOTFOUND);
	ck_assert_int_lt(strata_process_answer(cn, id, 0, "", NULL), 0);
	ck_assert_int_lt(strata_process_answer(st, id, 0, "mine", NULL), 0);	/* filed there */
	ck_assert_msg(strata_process_answer(cn, id, 0, "不属于共享范围", NULL) == 0, "%s", strata_error_last());
	ck_assert_int_eq(strata_process_answer(cn, id, 1, NULL, NULL), STRATA_EEXISTS);	/* final */
	round_trip();	/* the answer goes up with the parcel */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(strata_process_requests(st, find_request, &f), 0);
	ck_assert_str_eq(f.status, "refused");
	ck_assert_str_eq(f.reason, "不属于共享范围");
}
END_TEST

START_TEST(bad_messages_change_nothing)
{
	strata_key *rogue;
	strata_buf line = STRATA_BUF_INIT;
	git_oid before, after;
	char *fields[] = { "phone" };
	char id[17];

	round_trip();
	ck_assert_int_eq(strata_process_request(st, "cn-a", "residents", fields, 1, "p", "b", 0, 0, id), 0);
	round_trip();
	ck_assert_int_eq(strata_sign_key_generate(&rogue), 0);
	ck_assert_int_eq(strata_node_load_key(st), 0);
	audit_head(&before, cn);
	/* a request in st-b's name, signed by another key */
	forged(&line, request_body("1111111111111111", "st-b", "p"), rogue, NULL);
	ck_assert_int_eq(strata_process_receive(cn, "st-b", "t", line.ptr, line.len), STRATA_EVERIFY);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "not the one node.conf pins"));
	/* from a node nobody knows, passed on by st-b */
	forged(&line, request_body("2222222222222222", "xx-q", "p"), rogue, "st-b");
	ck_assert_int_eq(strata_process_receive(cn, "st-b", "t", line.ptr, line.len), STRATA_EVERIFY);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "does not know"));
	/* the held request again with other content (st-b's own key): a replay that is not the same */
	forged(&line, request_body(id, "st-b", "another purpose"), strata_node_key(st), NULL);
	ck_assert_int_eq(strata_process_receive(cn, "st-b", "t", line.ptr, line.len), STRATA_EVERIFY);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "unlike the one held"));
	/* a path that does not end with who delivered it */
	forged(&line, request_body("3333333333333333", "st-b", "p"), strata_node_key(st), NULL);
	ck_assert_int_eq(strata_process_receive(cn, "xx-z", "t", line.ptr, line.len), STRATA_EVERIFY);
	/* an answer to a request never filed or passed on */
	forged(&line, json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:i}", "kind", "answer", "v", 1,
				"request", "4444444444444444", "from", "st-b", "role", "relay", "to", "cn-a", "decision",
				"refuse", "reason", "no", "policy", "", "version", 0, "blob", "", "time", 1),
	       strata_node_key(st), NULL);
	ck_assert_int_lt(strata_process_receive(cn, "st-b", "t", line.ptr, line.len), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "never filed or passed on"));
	/* garbage */
	ck_assert_int_lt(strata_process_receive(cn, "st-b", "t", "bm90IGpzb24=\n", 13), 0);
	audit_head(&after, cn);
	ck_assert(git_oid_equal(&before, &after));
	/* the same messages again (a receipt imported twice): nothing new, no event */
	round_trip();
	audit_head(&before, st);
	{
		strata_buf receipt = STRATA_BUF_INIT;
		strata_receipt_result rr;
		git_oid cn_before;
		audit_head(&cn_before, cn);
		ck_assert_int_eq(strata_receipt_write(&receipt, st, "cn-a"), 0);
		ck_assert_int_eq(strata_receipt_import(cn, "r", receipt.ptr, receipt.len, &rr), 0);
		ck_assert_int_eq(strata_receipt_import(cn, "r", receipt.ptr, receipt.len, &rr), 0);
		audit_head(&after, cn);
		ck_assert(git_oid_equal(&cn_before, &after));
		strata_buf_dispose(&receipt);
	}
	strata_sign_key_free(rogue);
	strata_buf_dispose(&line);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("process");
	TCase *tc = tcase_create("process");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, request_and_refusal_travel);
	tcase_add_test(tc, bad_messages_change_nothing);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
