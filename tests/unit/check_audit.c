/*
 * check_audit.c - the event chain: signed, linear, newest first, one line
 * per trailer; refusals go to the local log and stop at its cap.
 */
#include "fixture.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"
#include "strata/base/fs.h"
#include "strata/node/refs.h"
#include "strata/node/journal.h"

#include <sys/stat.h>
#include <unistd.h>

static strata_node *node;

static void setup(void)
{
	fx_setup();
	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-audit", "community"), 0);
	ck_assert_int_eq(strata_node_open(&node, fx_path("n")), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
}

static void teardown(void)
{
	strata_node_free(node);
	fx_teardown();
}

typedef struct {
	int n;
	char subjects[8][64];
} seen;

static int collect(const strata_audit_event *ev, void *payload)
{
	seen *s = payload;
	strata_sig_status st;
	char signer[128], v[64];
	ck_assert_int_eq(strata_commit_check(&st, signer, sizeof(signer), node, &ev->commit), 0);
	ck_assert_int_eq(st, STRATA_SIG_GOOD);
	ck_assert_int_eq(strata_commit_trailer(ev->c, "Strata-Node", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "cn-audit");
	ck_assert_uint_eq(git_commit_parentcount(ev->c), s->n == 2 ? 0 : 1);
	snprintf(s->subjects[s->n++], 64, "%s %s", ev->event, ev->subject);
	return 0;
}

START_TEST(chain)
{
	seen s = { 0 };
	ck_assert_int_eq(strata_audit_foreach(node, collect, &s), 0);
	ck_assert_int_eq(s.n, 0);
	ck_assert_int_eq(strata_audit_append(node, "one", "first event", "Strata-Peer: a\n"), 0);
	ck_assert_int_eq(strata_audit_append(node, "two", "second event", NULL), 0);
	ck_assert_int_eq(strata_audit_append(node, "three", "third event", "Strata-A: 1\nStrata-B: 2\n"), 0);
	ck_assert_int_eq(strata_audit_foreach(node, collect, &s), 0);
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.subjects[0], "three third event");
	ck_assert_str_eq(s.subjects[2], "one first event");
}
END_TEST

static int stop_at_first(const strata_audit_event *ev, void *payload)
{
	(void)ev;
	(*(int *)payload)++;
	return 1;
}

START_TEST(stop_early)
{
	int calls = 0;
	ck_assert_int_eq(strata_audit_append(node, "a", "a", NULL), 0);
	ck_assert_int_eq(strata_audit_append(node, "b", "b", NULL), 0);
	ck_assert_int_eq(strata_audit_foreach(node, stop_at_first, &calls), 1);
	ck_assert_int_eq(calls, 1);
}
END_TEST

START_TEST(refusals)
{
	strata_buf b = STRATA_BUF_INIT;
	char *path = strata_fs_path_join(strata_node_path(node), STRATA_REFUSED_LOG);
	struct stat st;
	FILE *f;

	ck_assert_int_eq(strata_audit_refusal(node, "parcel-import", "x.parcel", NULL, "bad \"quoted\"\nreason"), 0);
	ck_assert_int_eq(strata_audit_refusal(node, "parcel-import", "y.parcel", "cn-b", "replay"), 0);
	ck_assert_int_eq(strata_fs_read(&b, path, 1 << 20), 0);
	ck_assert_ptr_nonnull(strstr(b.ptr, "\"reason\":\"bad \\\"quoted\\\"\\nreason\""));
	ck_assert_ptr_nonnull(strstr(b.ptr, "\"sender\":\"cn-b\""));
	ck_assert_ptr_nonnull(strstr(b.ptr, "\"sender\":null"));
	{
		int lines = 0;
		for (size_t i = 0; i < b.len; i++)
			lines += b.ptr[i] == '\n';
		ck_assert_int_eq(lines, 2);	/* one JSON object per line, newlines escaped */
	}
	/* full: rotated to refused.log.1, and the new refusal starts a fresh file */
	ck_assert_ptr_nonnull(f = fopen(path, "a"));
	ck_assert_int_eq(ftruncate(fileno(f), (off_t)STRATA_REFUSED_LOG_MAX), 0);
	fclose(f);
	ck_assert_int_eq(strata_audit_refusal(node, "parcel-import", "z.parcel", NULL, "late"), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_lt(st.st_size, 512);
	{
		char *older = strata_fs_path_join(strata_node_path(node), STRATA_REFUSED_LOG ".1");
		ck_assert_int_eq(stat(older, &st), 0);
		ck_assert_int_eq(st.st_size, (off_t)STRATA_REFUSED_LOG_MAX);
		free(older);
	}
	strata_buf_dispose(&b);
	free(path);
}
END_TEST

static void count_problem(const char *what, void *payload)
{
	(void)what;
	(*(int *)payload)++;
}

START_TEST(chain_check)
{
	git_oid first, newest;
	git_reference *r = NULL;
	size_t events;
	int reported = 0;

	ck_assert_int_eq(strata_audit_check(node, 0, &events, count_problem, &reported), 0);
	ck_assert_uint_eq(events, 0);
	ck_assert_int_eq(strata_audit_append(node, "a", "a", NULL), 0);
	ck_assert_int_eq(git_reference_name_to_id(&first, strata_node_repo(node), STRATA_REF_AUDIT), 0);
	ck_assert_int_eq(strata_audit_append(node, "b", "b", NULL), 0);
	ck_assert_int_eq(strata_audit_append(node, "c", "c", NULL), 0);
	ck_assert_int_eq(git_reference_name_to_id(&newest, strata_node_repo(node), STRATA_REF_AUDIT), 0);
	ck_assert_int_eq(strata_audit_check(node, 0, &events, count_problem, &reported), 0);
	ck_assert_uint_eq(events, 3);
	/* rewound and put back: the reflog remembers */
	ck_assert_int_eq(git_reference_create(&r, strata_node_repo(node), STRATA_REF_AUDIT, &first, 1, "rewind"), 0);
	git_reference_free(r);
	ck_assert_int_eq(git_reference_create(&r, strata_node_repo(node), STRATA_REF_AUDIT, &newest, 1, "restore"), 0);
	git_reference_free(r);
	ck_assert_int_eq(strata_audit_check(node, 0, &events, count_problem, &reported), 1);
	ck_assert_int_eq(reported, 1);
}
END_TEST

/*
 * A kill between libgit2's reflog append and its ref write leaves the ref
 * one recorded move behind: a problem if nothing is pending (a ref put
 * back by hand), not while the interrupted operation's journal is.
 */
START_TEST(unfinished_move)
{
	git_oid newest, next, tree_id;
	git_commit *head;
	git_tree *tree;
	git_reflog *log;
	git_signature *who;
	size_t events;
	int reported = 0;

	ck_assert_int_eq(strata_audit_append(node, "a", "a", NULL), 0);
	ck_assert_int_eq(strata_audit_append(node, "b", "b", NULL), 0);
	ck_assert_int_eq(git_reference_name_to_id(&newest, strata_node_repo(node), STRATA_REF_AUDIT), 0);
	ck_assert_int_eq(git_commit_lookup(&head, strata_node_repo(node), &newest), 0);
	tree_id = *git_commit_tree_id(head);
	ck_assert_int_eq(git_tree_lookup(&tree, strata_node_repo(node), &tree_id), 0);
	ck_assert_int_eq(git_signature_now(&who, "x", "x@y"), 0);
	ck_assert_int_eq(git_commit_create(&next, strata_node_repo(node), NULL, who, who, NULL,
					   "c\n\nStrata-Event: c\nStrata-Node: cn-a\n", tree, 1,
					   (const git_commit **)&head), 0);
	ck_assert_int_eq(git_reflog_read(&log, strata_node_repo(node), STRATA_REF_AUDIT), 0);
	ck_assert_int_eq(git_reflog_append(log, &next, who, "audit: c"), 0);
	ck_assert_int_eq(git_reflog_write(log), 0);
	ck_assert_int_eq(strata_audit_check(node, 0, &events, count_problem, &reported), 1);
	ck_assert_int_eq(strata_audit_check(node, 1, &events, count_problem, &reported), 0);
	ck_assert_uint_eq(events, 2);
	git_reflog_free(log);
	git_signature_free(who);
	git_tree_free(tree);
	git_commit_free(head);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("audit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, chain);
	tcase_add_test(tc, stop_early);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, chain_check);
	tcase_add_test(tc, unfinished_move);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
