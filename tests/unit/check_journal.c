/*
 * check_journal.c - a journalled change is undone whole, or kept whole
 * once its audit event is in; a journal left by a crash is settled at the
 * next lock; a damaged journal stops the node with a clear error.
 */
#include "fixture.h"
#include "strata/node/audit.h"
#include "strata/node/journal.h"
#include "strata/base/fs.h"
#include "strata/node/refs.h"

#include <sys/stat.h>
#include <unistd.h>

static strata_node *node;
static git_oid a, b;

static void setup(void)
{
	git_odb *odb;
	fx_setup();
	ck_assert_int_eq(strata_node_init(fx_path("n"), "st-j", "street"), 0);
	ck_assert_int_eq(strata_node_open(&node, fx_path("n")), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_eq(git_repository_odb(&odb, strata_node_repo(node)), 0);
	ck_assert_int_eq(git_odb_write(&a, odb, "a", 1, GIT_OBJECT_BLOB), 0);
	ck_assert_int_eq(git_odb_write(&b, odb, "b", 1, GIT_OBJECT_BLOB), 0);
	git_odb_free(odb);
}

static void teardown(void)
{
	strata_node_free(node);
	fx_teardown();
}

static void set_ref(const char *name, const git_oid *id)
{
	git_reference *r = NULL;
	ck_assert_int_eq(git_reference_create(&r, strata_node_repo(node), name, id, 1, "test"), 0);
	git_reference_free(r);
}

/* 1 if the ref points at id, 0 if elsewhere, -1 if absent */
static int ref_is(const char *name, const git_oid *id)
{
	git_oid now;
	if (git_reference_name_to_id(&now, strata_node_repo(node), name) < 0) {
		git_error_clear();
		return -1;
	}
	return git_oid_equal(&now, id);
}

#define R1 "refs/strata/peers/cn-a/residents"
#define R2 "refs/strata/peers/cn-a/events"
#define LINK "n/links/cn-a.json"

/* The change of a parcel import: R1 a -> b, R2 new at b, the link file rewritten. */
static void begin_change(void)
{
	strata_journal_ref refs[2] = { { R1, 1, a, b }, { R2, 0, { { 0 } }, b } };
	ck_assert_int_eq(mkdir(fx_path("n/links"), 0755), 0);
	fx_write(LINK, "{\"in\": 1}\n");
	set_ref(R1, &a);
	ck_assert_int_eq(strata_journal_begin(node, "parcel-import", "p.parcel", "links/cn-a.json", refs, 2), 0);
	ck_assert_int_eq(access(fx_path("n/journal"), F_OK), 0);
	/* a second change cannot start over it */
	ck_assert_int_lt(strata_journal_begin(node, "parcel-import", "q.parcel", NULL, NULL, 0), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "still journalled"));
	/* half the change: one ref moved, the link rewritten */
	set_ref(R1, &b);
	fx_write(LINK, "{\"in\": 2}\n");
}

static void assert_old(void)
{
	strata_buf t = STRATA_BUF_INIT;
	ck_assert_int_eq(ref_is(R1, &a), 1);
	ck_assert_int_eq(ref_is(R2, &b), -1);
	ck_assert_int_eq(strata_fs_read(&t, fx_path(LINK), 4096), 0);
	ck_assert_str_eq(t.ptr, "{\"in\": 1}\n");
	ck_assert_int_eq(access(fx_path("n/journal"), F_OK), -1);
	strata_buf_dispose(&t);
}

START_TEST(undo_after_error)
{
	begin_change();
	set_ref(R2, &b);
	strata_error_set("cannot update received refs");
	ck_assert_int_eq(strata_journal_undo(node), 0);
	ck_assert_str_eq(strata_error_last(), "cannot update received refs (undone)");
	assert_old();
}
END_TEST

/* node.conf joins a change in flight (a parcel import accepting a rotation): an undo puts both files back */
START_TEST(added_file_restored)
{
	strata_buf t = STRATA_BUF_INIT;

	begin_change();
	fx_write("n/extra.conf", "before\n");
	ck_assert_int_eq(strata_journal_add_file(node, "extra.conf"), 0);
	ck_assert_int_eq(strata_journal_add_file(node, "extra.conf"), 0);	/* once is enough */
	ck_assert_int_eq(strata_journal_add_file(node, "new.conf"), 0);	/* did not exist: undone by removing it */
	fx_write("n/extra.conf", "after\n");
	fx_write("n/new.conf", "made\n");
	ck_assert_int_lt(strata_journal_add_file(node, "../outside"), 0);
	strata_error_set("a full disk");
	ck_assert_int_eq(strata_journal_undo(node), 0);
	assert_old();
	ck_assert_int_eq(strata_fs_read(&t, fx_path("n/extra.conf"), 4096), 0);
	ck_assert_str_eq(t.ptr, "before\n");
	ck_assert_int_eq(access(fx_path("n/new.conf"), F_OK), -1);
	ck_assert_int_eq(access(fx_path("n/journal.reserve"), F_OK), -1);	/* the room to undo with, given back */
	/* with no change in flight there is nothing to add to */
	ck_assert_int_lt(strata_journal_add_file(node, "extra.conf"), 0);
	strata_buf_dispose(&t);
}
END_TEST

START_TEST(undo_keeps_a_ref_moved_since)
{
	begin_change();
	set_ref(R2, &a);	/* not the journalled target: not the journal's to undo */
	ck_assert_int_eq(strata_journal_undo(node), 0);
	ck_assert_int_eq(ref_is(R1, &a), 1);
	ck_assert_int_eq(ref_is(R2, &a), 1);
}
END_TEST

START_TEST(complete_once_audited)
{
	begin_change();
	set_ref(R2, &b);
	ck_assert_int_eq(strata_audit_append(node, "parcel-import", "p.parcel", NULL), 0);
	strata_error_set("cannot fsync");
	ck_assert_int_eq(strata_journal_undo(node), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "the change is complete"));
	ck_assert_int_eq(ref_is(R1, &b), 1);
	ck_assert_int_eq(ref_is(R2, &b), 1);
	ck_assert_int_eq(access(fx_path("n/journal"), F_OK), -1);
}
END_TEST

/* As after a kill: the next process to lock the node settles the journal, and says so in refused.log. */
START_TEST(recover_at_lock)
{
	strata_buf log = STRATA_BUF_INIT;
	begin_change();
	fx_write("n/repo.git/refs/strata/peers/cn-a/events.lock", "");	/* a dead writer's lock */
	strata_node_free(node);
	ck_assert_int_eq(strata_node_open(&node, fx_path("n")), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	assert_old();
	ck_assert_int_eq(access(fx_path("n/repo.git/refs/strata/peers/cn-a/events.lock"), F_OK), -1);
	ck_assert_int_eq(strata_fs_read(&log, fx_path("n/" STRATA_REFUSED_LOG), 1 << 20), 0);
	ck_assert_ptr_nonnull(strstr(log.ptr, "interrupted (a crash or power loss) before it completed; undone"));
	ck_assert_ptr_nonnull(strstr(log.ptr, "p.parcel"));
	strata_buf_dispose(&log);
	/* nothing left to settle: the next lock changes nothing */
	strata_node_free(node);
	ck_assert_int_eq(strata_node_open(&node, fx_path("n")), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	assert_old();
}
END_TEST

static void no_problem(const char *what, void *payload)
{
	(void)payload;
	ck_abort_msg("audit check: %s", what);
}

/* A crash inside the audit append: its reflog entry written, the ref not moved.  Settling trims it. */
START_TEST(cut_audit_append_trimmed)
{
	git_reflog *log = NULL;
	git_signature *sig = NULL;
	size_t events = 0;

	ck_assert_int_eq(strata_audit_append(node, "one", "first", NULL), 0);
	begin_change();
	ck_assert_int_eq(git_reflog_read(&log, strata_node_repo(node), STRATA_REF_AUDIT), 0);
	ck_assert_uint_eq(git_reflog_entrycount(log), 1);
	ck_assert_int_eq(git_signature_now(&sig, "strata", "strata@localhost"), 0);
	ck_assert_int_eq(git_reflog_append(log, &b, sig, "cut short"), 0);
	ck_assert_int_eq(git_reflog_write(log), 0);
	git_reflog_free(log);
	git_signature_free(sig);
	strata_node_free(node);
	ck_assert_int_eq(strata_node_open(&node, fx_path("n")), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	assert_old();
	ck_assert_int_eq(git_reflog_read(&log, strata_node_repo(node), STRATA_REF_AUDIT), 0);
	ck_assert_uint_eq(git_reflog_entrycount(log), 1);
	git_reflog_free(log);
	ck_assert_int_eq(strata_audit_check(node, 0, &events, no_problem, NULL), 0);
	ck_assert_uint_eq(events, 1);
}
END_TEST

/* A journal written before files were named by path: "link" names the peer; it is settled the same way. */
START_TEST(legacy_link_journal_recovered)
{
	char ha[GIT_OID_HEXSZ + 1], hb[GIT_OID_HEXSZ + 1], text[512];
	ck_assert_int_eq(mkdir(fx_path("n/links"), 0755), 0);
	fx_write(LINK, "{\"in\": 2}\n");
	set_ref(R1, &b);
	git_oid_tostr(ha, sizeof(ha), &a);
	git_oid_tostr(hb, sizeof(hb), &b);
	snprintf(text, sizeof(text), "{\"op\": \"parcel-import\", \"what\": \"p.parcel\", \"audit\": null, "
		 "\"link\": {\"peer\": \"cn-a\", \"old\": \"{\\\"in\\\": 1}\\n\"}, "
		 "\"refs\": [{\"name\": \"%s\", \"old\": \"%s\", \"new\": \"%s\"}]}\n", R1, ha, hb);
	fx_write("n/journal", text);
	strata_node_free(node);
	ck_assert_int_eq(strata_node_open(&node, fx_path("n")), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_eq(ref_is(R2, &b), -1);
	assert_old();
}
END_TEST

/* The file a change rewrites must be inside the node. */
START_TEST(file_outside_the_node_refused)
{
	strata_journal_ref refs[1] = { { R1, 0, { { 0 } }, b } };
	ck_assert_int_lt(strata_journal_begin(node, "parcel-import", "p", "../escape", refs, 1), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "no path inside the node"));
	ck_assert_int_lt(strata_journal_begin(node, "parcel-import", "p", "/etc/passwd", refs, 1), 0);
	ck_assert_int_lt(strata_journal_begin(node, "parcel-import", "p", "links/../../x", refs, 1), 0);
	ck_assert_int_eq(access(fx_path("n/journal"), F_OK), -1);
}
END_TEST

START_TEST(damaged_journal_stops_the_node)
{
	fx_write("n/journal", "{\"op\": \"parcel-import\", \"refs\": [{\"name\": \"x\"}]}");
	strata_node_free(node);
	ck_assert_int_eq(strata_node_open(&node, fx_path("n")), 0);
	ck_assert_int_lt(strata_journal_lock(node), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "journal' is damaged (refs[0])"));
	fx_write("n/journal", "{\"op\": ");
	ck_assert_int_lt(strata_journal_lock(node), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "is damaged"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("journal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, undo_after_error);
	tcase_add_test(tc, added_file_restored);
	tcase_add_test(tc, undo_keeps_a_ref_moved_since);
	tcase_add_test(tc, complete_once_audited);
	tcase_add_test(tc, recover_at_lock);
	tcase_add_test(tc, cut_audit_append_trimmed);
	tcase_add_test(tc, legacy_link_journal_recovered);
	tcase_add_test(tc, file_outside_the_node_refused);
	tcase_add_test(tc, damaged_journal_stops_the_node);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
