/*
 * check_officers.c - officers and their roles: who may be named, who may
 * act, the gate on every writer, and the officer's signature on an event:
 * made, checked, and refused when it is not theirs.
 */
#include "fixture.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"
#include "strata/node/journal.h"
#include "strata/node/officers.h"
#include "strata/node/refs.h"

#include <string.h>

static strata_node *node;
static strata_key *kop, *koff, *kaud, *kother;

/* an in-process signer for the tests: the key is the payload */
static int sign_with(strata_buf *armored, const void *data, size_t len, void *payload)
{
	return strata_sign_sshsig(armored, payload, STRATA_OFFICER_NS, data, len);
}

static strata_officer person(const char *name, int role, const strata_key *k)
{
	strata_officer o;
	memset(&o, 0, sizeof(o));
	snprintf(o.name, sizeof(o.name), "%s", name);
	o.role = role;
	strata_sign_key_public(&o.key, k);
	return o;
}

static void setup(void)
{
	fx_setup();
	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-off", "community"), 0);
	ck_assert_int_eq(strata_node_open(&node, fx_path("n")), 0);
	ck_assert_int_eq(strata_sign_key_generate(&kop), 0);
	ck_assert_int_eq(strata_sign_key_generate(&koff), 0);
	ck_assert_int_eq(strata_sign_key_generate(&kaud), 0);
	ck_assert_int_eq(strata_sign_key_generate(&kother), 0);
}

static void teardown(void)
{
	strata_node_free(node);
	strata_sign_key_free(kop);
	strata_sign_key_free(koff);
	strata_sign_key_free(kaud);
	strata_sign_key_free(kother);
	fx_teardown();
}

/* three officers, named the way the tool does: the first with no actor, the rest by the operator */
static void staff(void)
{
	strata_officer o = person("wang", STRATA_ROLE_OPERATOR, kop);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_eq(strata_officer_add(node, &o), 0);
	ck_assert_int_eq(strata_audit_append(node, "officer-add", "officer added", NULL), 0);
	strata_node_unlock(node);
	ck_assert_int_eq(strata_officers_act(node, "wang", sign_with, kop), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	o = person("zhang", STRATA_ROLE_OFFICER, koff);
	ck_assert_int_eq(strata_officer_add(node, &o), 0);
	o = person("li", STRATA_ROLE_AUDITOR, kaud);
	ck_assert_int_eq(strata_officer_add(node, &o), 0);
	ck_assert_int_eq(strata_audit_append(node, "officer-add", "officers added", NULL), 0);
	strata_node_unlock(node);
}

START_TEST(roles_and_names)
{
	int r;
	strata_officer o = person("zhang", STRATA_ROLE_OFFICER, koff);

	ck_assert_int_eq(strata_role_parse(&r, "auditor"), 0);
	ck_assert_int_eq(r, STRATA_ROLE_AUDITOR);
	ck_assert_str_eq(strata_role_name(STRATA_ROLE_OPERATOR), "operator");
	ck_assert_int_lt(strata_role_parse(&r, "boss"), 0);
	ck_assert_int_eq(strata_officer_name_check("zhang.san-2"), 0);
	ck_assert_int_lt(strata_officer_name_check("Zhang"), 0);
	ck_assert_int_lt(strata_officer_name_check("-x"), 0);
	ck_assert_int_lt(strata_officer_name_check(""), 0);
	/* not under the lock; not a first officer who is not an operator */
	ck_assert_int_lt(strata_officer_add(node, &o), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_lt(strata_officer_add(node, &o), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "first officer must be an operator"));
	ck_assert_int_eq(strata_officers_current(node), 0);
	/* the node's own key is no officer's */
	o.role = STRATA_ROLE_OPERATOR;
	o.key = *strata_node_pubkey(node);
	ck_assert_int_lt(strata_officer_add(node, &o), 0);
	strata_node_unlock(node);
}
END_TEST

START_TEST(gate)
{
	/* no officers: no one need be named */
	ck_assert_int_eq(strata_officers_permit(node, STRATA_ROLE_OFFICER, "x"), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	strata_node_unlock(node);
	staff();
	ck_assert_int_eq(strata_officers_current(node), 3);
	/* the operator acts: may name officers, may not commit a policy */
	ck_assert_int_eq(strata_officers_permit(node, STRATA_ROLE_OPERATOR, "x"), 0);
	ck_assert_int_eq(strata_officers_permit(node, STRATA_ROLE_OFFICER, "commit a policy"), STRATA_EDENIED);
	/* the auditor: the writer's lock itself refuses */
	ck_assert_int_eq(strata_officers_act(node, "li", sign_with, kaud), 0);
	ck_assert_int_eq(strata_journal_lock(node), STRATA_EDENIED);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "auditor"));
	/* a key that is not theirs */
	ck_assert_int_eq(strata_officers_act(node, "zhang", sign_with, kother), STRATA_EVERIFY);
	ck_assert_int_eq(strata_officers_act(node, "zhangg", sign_with, koff), STRATA_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "did you mean 'zhang'"));
	ck_assert_int_eq(strata_officers_act(node, "zhang", sign_with, koff), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	/* the last operator stays */
	ck_assert_int_eq(strata_officer_remove(node, "wang"), STRATA_EDENIED);
	strata_node_unlock(node);
}
END_TEST

START_TEST(no_actor)
{
	strata_node *other;
	staff();
	/* another process on the same node, no one named */
	ck_assert_int_eq(strata_node_open(&other, fx_path("n")), 0);
	ck_assert_int_eq(strata_journal_lock(other), STRATA_EDENIED);
	ck_assert_int_eq(strata_officers_permit(other, STRATA_ROLE_OFFICER, "x"), STRATA_EDENIED);
	strata_node_free(other);
}
END_TEST

START_TEST(removed_mid_session)
{
	strata_node *other;
	staff();
	ck_assert_int_eq(strata_node_open(&other, fx_path("n")), 0);
	ck_assert_int_eq(strata_officers_act(other, "zhang", sign_with, koff), 0);
	/* the operator removes zhang while the other process holds them as its actor */
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_eq(strata_officer_remove(node, "zhang"), 0);
	ck_assert_int_eq(strata_audit_append(node, "officer-remove", "officer removed", NULL), 0);
	strata_node_unlock(node);
	/* counted from node.conf's names: a removed officer is no longer current */
	ck_assert_int_eq(strata_officers_current(node), 2);
	ck_assert_int_eq(strata_journal_lock(other), STRATA_EDENIED);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "removed"));
	strata_node_free(other);
}
END_TEST

static void count_problem(const char *problem, void *payload)
{
	(void)problem;
	(*(int *)payload)++;
}

static int check_head(char *who)
{
	git_oid id;
	ck_assert_int_eq(git_reference_name_to_id(&id, strata_node_repo(node), STRATA_REF_AUDIT), 0);
	return strata_officer_check_commit(node, &id, who, 64);
}

START_TEST(signed_events)
{
	char who[64];
	size_t events;
	int problems = 0;

	staff();
	ck_assert_int_eq(check_head(who), 0);
	ck_assert_str_eq(who, "wang");
	ck_assert_int_eq(strata_officers_act(node, "zhang", sign_with, koff), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_eq(strata_audit_append(node, "policy-commit", "policy committed", "Strata-Policy: p\n"), 0);
	ck_assert_int_eq(check_head(who), 0);
	ck_assert_str_eq(who, "zhang");
	strata_node_unlock(node);
	ck_assert_int_eq(strata_audit_check(node, 0, &events, count_problem, &problems), 0);
	ck_assert_int_eq(problems, 0);
	ck_assert_uint_eq(events, 3);
}
END_TEST

/*
 * Someone with the node's key but not the officer's writes an event that
 * names the officer: signed by the node, its officer signature by another
 * key (or none).  The check refuses it; the audit log's check reports it.
 */
START_TEST(forged_events)
{
	char who[64];
	size_t events;
	int problems = 0;

	staff();
	ck_assert_int_eq(strata_audit_check(node, 0, &events, count_problem, &problems), 0);
	ck_assert_int_eq(problems, 0);
	/* an event naming zhang, its signature line from wang's key, signed by the node */
	{
		strata_buf msg = STRATA_BUF_INIT, sig = STRATA_BUF_INIT;
		git_oid head, id;
		git_commit *parent = NULL;
		git_tree *tree = NULL;
		ck_assert_int_eq(git_reference_name_to_id(&head, strata_node_repo(node), STRATA_REF_AUDIT), 0);
		ck_assert_int_eq(git_commit_lookup(&parent, strata_node_repo(node), &head), 0);
		ck_assert_int_eq(git_commit_tree(&tree, parent), 0);
		ck_assert_int_eq(strata_sign_sshsig(&sig, kop, STRATA_OFFICER_NS, "x", 1), 0);
		{
			strata_buf b64 = STRATA_BUF_INIT;
			const char *b = strstr(sig.ptr, "\n") + 1, *e = strstr(sig.ptr, "\n-----END");
			for (; b < e; b++)
				if (*b != '\n')
					strata_buf_putc(&b64, *b);
			strata_buf_printf(&msg, "erasure ordered\n\nStrata-Event: erase\nStrata-Node: cn-off\n"
					  "Strata-Officer: zhang <SHA256:x>\nStrata-Officer-Role: officer\n"
					  "Strata-Officer-Signature: %s\n", b64.ptr);
			strata_buf_dispose(&b64);
		}
		ck_assert_int_eq(strata_journal_lock(node), 0);
		ck_assert_int_eq(strata_commit_create(&id, node, tree, parent, msg.ptr), 0);
		ck_assert_int_eq(strata_refs_update(node, STRATA_REF_AUDIT, &id, &head, "forged"), 0);
		strata_node_unlock(node);
		ck_assert_int_eq(check_head(who), STRATA_EVERIFY);
		ck_assert_str_eq(who, "zhang");
		problems = 0;
		ck_assert_int_ge(strata_audit_check(node, 0, &events, count_problem, &problems), 1);
		ck_assert_int_ge(problems, 1);

		/* and one naming zhang with no signature at all */
		git_commit_free(parent);
		ck_assert_int_eq(git_commit_lookup(&parent, strata_node_repo(node), &id), 0);
		head = id;
		strata_buf_clear(&msg);
		strata_buf_printf(&msg, "erasure ordered\n\nStrata-Event: erase\nStrata-Node: cn-off\n"
				  "Strata-Officer: zhang <SHA256:x>\n");
		ck_assert_int_eq(strata_journal_lock(node), 0);
		ck_assert_int_eq(strata_commit_create(&id, node, tree, parent, msg.ptr), 0);
		ck_assert_int_eq(strata_refs_update(node, STRATA_REF_AUDIT, &id, &head, "forged"), 0);
		strata_node_unlock(node);
		ck_assert_int_eq(check_head(who), STRATA_EVERIFY);
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "no officer signature"));

		/* and an event naming no one, after the officers were named */
		git_commit_free(parent);
		ck_assert_int_eq(git_commit_lookup(&parent, strata_node_repo(node), &id), 0);
		head = id;
		strata_buf_clear(&msg);
		strata_buf_printf(&msg, "view built\n\nStrata-Event: view-build\nStrata-Node: cn-off\n");
		ck_assert_int_eq(strata_journal_lock(node), 0);
		ck_assert_int_eq(strata_commit_create(&id, node, tree, parent, msg.ptr), 0);
		ck_assert_int_eq(strata_refs_update(node, STRATA_REF_AUDIT, &id, &head, "forged"), 0);
		strata_node_unlock(node);
		ck_assert_int_eq(check_head(who), 1);
		problems = 0;
		ck_assert_int_ge(strata_audit_check(node, 0, &events, count_problem, &problems), 3);
		git_commit_free(parent);
		git_tree_free(tree);
		strata_buf_dispose(&msg);
		strata_buf_dispose(&sig);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("officers");
	TCase *tc = tcase_create("officers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, roles_and_names);
	tcase_add_test(tc, gate);
	tcase_add_test(tc, no_actor);
	tcase_add_test(tc, removed_mid_session);
	tcase_add_test(tc, signed_events);
	tcase_add_test(tc, forged_events);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
