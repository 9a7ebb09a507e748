/*
 * check_pending.c - four eyes: a proposal is the proposer's signed event
 * and a file that must stay as signed; only another officer takes it up;
 * the approval's events name both; a refusal removes it.
 */
#include "fixture.h"
#include "strata/base/fs.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"
#include "strata/node/journal.h"
#include "strata/node/officers.h"
#include "strata/node/pending.h"
#include "strata/node/refs.h"

#include <string.h>
#include <unistd.h>

static strata_node *node;
static strata_key *kop, *ka, *kb;

static int sign_with(strata_buf *armored, const void *data, size_t len, void *payload)
{
	return strata_sign_sshsig(armored, payload, STRATA_OFFICER_NS, data, len);
}

static void add(const char *name, int role, const strata_key *k)
{
	strata_officer o;
	memset(&o, 0, sizeof(o));
	snprintf(o.name, sizeof(o.name), "%s", name);
	o.role = role;
	strata_sign_key_public(&o.key, k);
	ck_assert_int_eq(strata_officer_add(node, &o), 0);
}

static void setup(void)
{
	fx_setup();
	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-p", "community"), 0);
	ck_assert_int_eq(strata_node_open(&node, fx_path("n")), 0);
	ck_assert_int_eq(strata_sign_key_generate(&kop), 0);
	ck_assert_int_eq(strata_sign_key_generate(&ka), 0);
	ck_assert_int_eq(strata_sign_key_generate(&kb), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	add("op", STRATA_ROLE_OPERATOR, kop);
	add("zhang", STRATA_ROLE_OFFICER, ka);
	add("zhou", STRATA_ROLE_OFFICER, kb);
	ck_assert_int_eq(strata_audit_append(node, "officer-add", "officers added", NULL), 0);
	strata_node_unlock(node);
}

static void teardown(void)
{
	strata_node_free(node);
	strata_sign_key_free(kop);
	strata_sign_key_free(ka);
	strata_sign_key_free(kb);
	fx_teardown();
}

static void propose(char id[17])
{
	json_t *body = json_pack("{s:s, s:[s], s:s}", "dataset", "residents", "keys", "330100199001010011", "reason", "r");
	ck_assert_int_eq(strata_officers_act(node, "zhang", sign_with, ka), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_eq(strata_pending_propose(id, node, "erase", "erasure of one record of residents: r", body), 0);
	strata_node_unlock(node);
	json_decref(body);
}

START_TEST(propose_and_list)
{
	char id[17], who[64];
	strata_pending *all;
	size_t count;
	git_oid head;
	git_commit *c;
	char v[128];

	ck_assert_int_eq(strata_pending_required(node, "erase"), 1);
	propose(id);
	ck_assert_int_eq(strata_pending_list(&all, &count, node), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_str_eq(all[0].id, id);
	ck_assert_str_eq(all[0].proposer, "zhang");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(all[0].body, "keys"), 0)), "330100199001010011");
	strata_pending_list_free(all, count);
	/* the event: the proposer's, signed, and it does not name the key */
	ck_assert_int_eq(git_reference_name_to_id(&head, strata_node_repo(node), STRATA_REF_AUDIT), 0);
	ck_assert_int_eq(strata_officer_check_commit(node, &head, who, sizeof(who)), 0);
	ck_assert_str_eq(who, "zhang");
	ck_assert_int_eq(git_commit_lookup(&c, strata_node_repo(node), &head), 0);
	ck_assert_ptr_null(strstr(git_commit_message(c), "330100199001010011"));
	ck_assert_int_eq(strata_commit_trailer(c, "Strata-Pending", v, sizeof(v)), 1);
	ck_assert_str_eq(v, id);
	git_commit_free(c);
}
END_TEST

START_TEST(only_another_officer)
{
	char id[17];
	strata_pending p;

	propose(id);
	ck_assert_int_eq(strata_pending_get(&p, node, id), 0);
	/* the proposer */
	ck_assert_int_eq(strata_pending_begin(node, &p), STRATA_EDENIED);
	/* the operator */
	ck_assert_int_eq(strata_officers_act(node, "op", sign_with, kop), 0);
	ck_assert_int_eq(strata_pending_begin(node, &p), STRATA_EDENIED);
	/* another officer: their events name the proposal and its proposer */
	ck_assert_int_eq(strata_officers_act(node, "zhou", sign_with, kb), 0);
	ck_assert_int_eq(strata_pending_begin(node, &p), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_eq(strata_audit_append(node, "erase", "erased", NULL), 0);
	{
		git_oid head;
		git_commit *c;
		char v[128];
		ck_assert_int_eq(git_reference_name_to_id(&head, strata_node_repo(node), STRATA_REF_AUDIT), 0);
		ck_assert_int_eq(git_commit_lookup(&c, strata_node_repo(node), &head), 0);
		ck_assert_int_eq(strata_commit_trailer(c, "Strata-Approves", v, sizeof(v)), 1);
		ck_assert_str_eq(v, id);
		ck_assert_int_eq(strata_commit_trailer(c, "Strata-Proposed-By", v, sizeof(v)), 1);
		ck_assert_ptr_nonnull(strstr(v, "zhang <SHA256:"));
		git_commit_free(c);
	}
	ck_assert_int_eq(strata_pending_end(node, &p), 0);
	strata_node_unlock(node);
	strata_pending_dispose(&p);
	ck_assert_int_eq(strata_pending_get(&p, node, id), STRATA_ENOTFOUND);
}
END_TEST

START_TEST(changed_file)
{
	char id[17], rel[64];
	strata_pending p;
	strata_buf text = STRATA_BUF_INIT;
	char *at;

	propose(id);
	snprintf(rel, sizeof(rel), "n/pending/%s.json", id);
	ck_assert_int_eq(strata_fs_read(&text, fx_path(rel), 1 << 20), 0);
	/* another person's key, same length */
	at = strstr(text.ptr, "330100199001010011");
	ck_assert_ptr_nonnull(at);
	at[17] = '2';
	ck_assert_int_eq(strata_fs_write_atomic(fx_path(rel), text.ptr, text.len, 0600), 0);
	ck_assert_int_eq(strata_pending_get(&p, node, id), STRATA_EVERIFY);
	ck_assert_int_eq(strata_pending_get(&p, node, "not-an-id"), STRATA_ENOTFOUND);
	/* listed beside two that are as proposed, the changed one is refused and named */
	{
		char a[17], b[17];
		strata_pending *all;
		size_t count;
		propose(a);
		propose(b);
		ck_assert_int_eq(strata_pending_list(&all, &count, node), STRATA_EVERIFY);
		ck_assert_ptr_nonnull(strstr(strata_error_last(), id));
		ck_assert_int_eq(unlink(fx_path(rel)), 0);
		ck_assert_int_eq(strata_pending_list(&all, &count, node), 0);
		ck_assert_uint_eq(count, 2);
		ck_assert(!strcmp(all[0].id, a) || !strcmp(all[1].id, a));
		ck_assert(!strcmp(all[0].id, b) || !strcmp(all[1].id, b));
		strata_pending_list_free(all, count);
	}
	strata_buf_dispose(&text);
}
END_TEST

START_TEST(refuse)
{
	char id[17];
	strata_pending p;

	propose(id);
	ck_assert_int_eq(strata_pending_get(&p, node, id), 0);
	ck_assert_int_eq(strata_officers_act(node, "zhou", sign_with, kb), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_lt(strata_pending_refuse(node, &p, ""), 0);
	ck_assert_int_eq(strata_pending_refuse(node, &p, "no written request"), 0);
	strata_node_unlock(node);
	strata_pending_dispose(&p);
	ck_assert_int_eq(strata_pending_get(&p, node, id), STRATA_ENOTFOUND);
	/* the rule */
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_eq(strata_pending_set_required(node, "erase", 2), 0);
	ck_assert_int_lt(strata_pending_set_required(node, "erase", 3), 0);
	ck_assert_int_lt(strata_pending_set_required(node, "policy", 2), 0);
	strata_node_unlock(node);
	ck_assert_int_eq(strata_pending_required(node, "erase"), 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pending");
	TCase *tc = tcase_create("pending");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, propose_and_list);
	tcase_add_test(tc, only_another_officer);
	tcase_add_test(tc, changed_file);
	tcase_add_test(tc, refuse);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
