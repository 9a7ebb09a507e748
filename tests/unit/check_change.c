/*
 * check_change.c - a journalled change: the refs move and the audit event
 * is appended, or, whichever step fails, the refs and the file are as they
 * were, no event is in, and the step's own code comes back.
 */
#include "fixture.h"
#include "strata/node/audit.h"
#include "strata/node/change.h"
#include "strata/node/refs.h"
#include "strata/node/journal.h"
#include "strata/base/fs.h"

#include <unistd.h>

static strata_node *n;
static git_oid a, b;

static void setup(void)
{
	git_odb *odb;
	fx_setup();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-a", "community"), 0);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
	ck_assert_int_eq(strata_journal_lock(n), 0);
	ck_assert_int_eq(strata_node_load_key(n), 0);
	ck_assert_int_eq(git_repository_odb(&odb, strata_node_repo(n)), 0);
	ck_assert_int_eq(git_odb_write(&a, odb, "a", 1, GIT_OBJECT_BLOB), 0);
	ck_assert_int_eq(git_odb_write(&b, odb, "b", 1, GIT_OBJECT_BLOB), 0);
	git_odb_free(odb);
}

static void teardown(void)
{
	strata_node_free(n);
	fx_teardown();
}

static int count_event(const strata_audit_event *ev, void *payload)
{
	(void)ev;
	++*(int *)payload;
	return 0;
}

static int events(void)
{
	int k = 0;
	ck_assert_int_eq(strata_audit_foreach(n, count_event, &k), 0);
	return k;
}

#define REF STRATA_REF_DATASETS "d"

START_TEST(one_ref_and_its_event)
{
	strata_journal_ref jr = { REF, 0, { { 0 } }, a };
	strata_change c = { "test-change", "d", &jr, 1, NULL, "d created", "Strata-Test: 1\n" };
	git_oid now;

	ck_assert_int_eq(strata_change_ref(n, &c, "test"), 0);
	ck_assert_int_eq(git_reference_name_to_id(&now, strata_node_repo(n), REF), 0);
	ck_assert(git_oid_equal(&now, &a));
	ck_assert_int_eq(events(), 1);
	ck_assert_int_eq(access(fx_path("n/journal"), F_OK), -1);
	/* from a, to b */
	jr.exists = 1;
	jr.old = a;
	jr.target = b;
	ck_assert_int_eq(strata_change_ref(n, &c, "test"), 0);
	ck_assert_int_eq(git_reference_name_to_id(&now, strata_node_repo(n), REF), 0);
	ck_assert(git_oid_equal(&now, &b));
	ck_assert_int_eq(events(), 2);
	/* not from where the ref is: refused, nothing moved or logged */
	jr.old = a;
	jr.target = a;
	ck_assert_int_lt(strata_change_ref(n, &c, "test"), 0);
	ck_assert_int_eq(git_reference_name_to_id(&now, strata_node_repo(n), REF), 0);
	ck_assert(git_oid_equal(&now, &b));
	ck_assert_int_eq(events(), 2);
	ck_assert_int_eq(access(fx_path("n/journal"), F_OK), -1);
}
END_TEST

struct half {
	const char *ref;
	const git_oid *to;
};

/* moves the ref and rewrites the file, then fails as a full disk would */
static int half_then_fail(strata_node *node, void *payload)
{
	const struct half *h = payload;
	git_reference *r = NULL;
	ck_assert_int_eq(git_reference_create(&r, strata_node_repo(node), h->ref, h->to, 1, "half"), 0);
	git_reference_free(r);
	fx_write("n/links/p.json", "new\n");
	return strata_error_setc(STRATA_ETOOBIG, "disk full");
}

START_TEST(a_failed_step_is_undone_with_its_code)
{
	strata_journal_ref jr = { REF, 1, { { 0 } }, b };
	strata_change c = { "test-change", "d", &jr, 1, "links/p.json", "d moved", NULL };
	struct half h = { REF, &b };
	strata_buf text = STRATA_BUF_INIT;
	git_reference *r = NULL;
	git_oid now;

	ck_assert_int_eq(git_reference_create(&r, strata_node_repo(n), REF, &a, 1, "start"), 0);
	git_reference_free(r);
	jr.old = a;
	ck_assert_int_eq(strata_fs_mkdir_p(fx_path("n/links"), 0755), 0);
	fx_write("n/links/p.json", "old\n");
	ck_assert_int_eq(strata_change_apply(n, &c, half_then_fail, &h), STRATA_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "disk full (undone)"));
	ck_assert_int_eq(git_reference_name_to_id(&now, strata_node_repo(n), REF), 0);
	ck_assert(git_oid_equal(&now, &a));
	ck_assert_int_eq(strata_fs_read(&text, fx_path("n/links/p.json"), 100), 0);
	ck_assert_str_eq(text.ptr, "old\n");
	ck_assert_int_eq(events(), 0);
	ck_assert_int_eq(access(fx_path("n/journal"), F_OK), -1);
	strata_buf_dispose(&text);
	/* more than one ref is not the one-ref change */
	c.nrefs = 2;
	ck_assert_int_lt(strata_change_ref(n, &c, "x"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("change");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, one_ref_and_its_event);
	tcase_add_test(tc, a_failed_step_is_undone_with_its_code);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
