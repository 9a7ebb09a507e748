/*
 * check_commit.c - signed commits, and the parallel walk-and-verify over
 * every ref: each commit once, each result right, a missing one reported.
 */
#include "fixture.h"
#include "strata/node/commit.h"
#include "strata/node/journal.h"

#include <unistd.h>

static strata_node *n;

static void setup(void)
{
	fx_setup();
	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-c", "community"), 0);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
	ck_assert_int_eq(strata_journal_lock(n), 0);
}

static void teardown(void)
{
	strata_node_free(n);
	fx_teardown();
}

/* A line of `count` signed commits on `ref`; returns the ids, oldest first. */
static git_oid *line(const char *ref, int count)
{
	git_oid *ids = calloc((size_t)count, sizeof(*ids)), tree_id;
	git_treebuilder *tb;
	git_tree *tree;
	git_commit *parent = NULL;
	git_reference *r;

	ck_assert_int_eq(git_treebuilder_new(&tb, strata_node_repo(n), NULL), 0);
	ck_assert_int_eq(git_treebuilder_write(&tree_id, tb), 0);
	git_treebuilder_free(tb);
	ck_assert_int_eq(git_tree_lookup(&tree, strata_node_repo(n), &tree_id), 0);
	for (int i = 0; i < count; i++) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%s %d\n", ref, i);	/* distinct: same second, same tree */
		ck_assert_int_eq(strata_commit_create(&ids[i], n, tree, parent, msg), 0);
		git_commit_free(parent);
		ck_assert_int_eq(git_commit_lookup(&parent, strata_node_repo(n), &ids[i]), 0);
	}
	ck_assert_int_eq(git_reference_create(&r, strata_node_repo(n), ref, &ids[count - 1], 1, "t"), 0);
	git_reference_free(r);
	git_commit_free(parent);
	git_tree_free(tree);
	return ids;
}

static void on_missing(const git_oid *missing, const git_oid *child, void *payload)
{
	ck_assert_ptr_nonnull(child);
	*(git_oid *)payload = *missing;
}

START_TEST(walk_and_verify)
{
	git_oid *a = line("refs/strata/datasets/a", 150), *b = line("refs/strata/datasets/b", 120), *ids, gone;
	strata_check_result *res;
	size_t count;
	char path[1024], hex[GIT_OID_HEXSZ + 1];

	memset(&gone, 0, sizeof(gone));
	ck_assert_int_eq(strata_commit_check_reachable(n, "refs/strata/*", &ids, &res, &count, on_missing, &gone), 0);
	ck_assert_uint_eq(count, 270);
	for (size_t i = 0; i < count; i++) {
		ck_assert_int_eq(res[i].status, STRATA_SIG_GOOD);
		ck_assert_str_eq(res[i].signer, "cn-c");
		for (size_t j = 0; j < i && j < 5; j++)
			ck_assert(!git_oid_equal(&ids[i], &ids[j]));
	}
	free(ids);
	free(res);
	/* the 100th commit of line a disappears: 100 reached, one missing */
	git_oid_tostr(hex, sizeof(hex), &a[99]);
	snprintf(path, sizeof(path), "%s/repo.git/objects/%.2s/%s", strata_node_path(n), hex, hex + 2);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(strata_commit_check_reachable(n, "refs/strata/*", &ids, &res, &count, on_missing, &gone), 0);
	ck_assert(git_oid_equal(&gone, &a[99]));
	ck_assert_uint_eq(count, 50 + 120);
	free(ids);
	free(res);
	free(a);
	free(b);
}
END_TEST

/* The commit as parsed gives what git_commit_extract_signature reads from the object. */
static void same_split(const git_oid *id, int signed_)
{
	git_buf gsig = GIT_BUF_INIT_CONST(NULL, 0), gdata = GIT_BUF_INIT_CONST(NULL, 0);
	strata_buf sig = STRATA_BUF_INIT, data = STRATA_BUF_INIT;
	git_commit *c;

	ck_assert_int_eq(git_commit_lookup(&c, strata_node_repo(n), id), 0);
	ck_assert_int_eq(strata_commit_split_signature(&sig, &data, c), signed_);
	if (signed_) {
		ck_assert_int_eq(git_commit_extract_signature(&gsig, &gdata, strata_node_repo(n), (git_oid *)id, NULL), 0);
		ck_assert_uint_eq(sig.len, gsig.size);
		ck_assert(!memcmp(sig.ptr, gsig.ptr, sig.len));
		ck_assert_uint_eq(data.len, gdata.size);
		ck_assert(!memcmp(data.ptr, gdata.ptr, data.len));
	}
	git_buf_dispose(&gsig);
	git_buf_dispose(&gdata);
	strata_buf_dispose(&sig);
	strata_buf_dispose(&data);
	git_commit_free(c);
}

START_TEST(signature_split_as_libgit2_does)
{
	git_oid *a = line("refs/strata/datasets/a", 3), tree_id, unsigned_id;
	git_treebuilder *tb;
	git_tree *tree;
	git_signature *who;
	git_commit *parent;
	strata_sig_status st;
	char signer[128];

	for (int i = 0; i < 3; i++)
		same_split(&a[i], 1);
	/* a message that itself holds a line beginning "gpgsig " is not a header */
	ck_assert_int_eq(git_commit_lookup(&parent, strata_node_repo(n), &a[2]), 0);
	ck_assert_int_eq(git_treebuilder_new(&tb, strata_node_repo(n), NULL), 0);
	ck_assert_int_eq(git_treebuilder_write(&tree_id, tb), 0);
	git_treebuilder_free(tb);
	ck_assert_int_eq(git_tree_lookup(&tree, strata_node_repo(n), &tree_id), 0);
	ck_assert_int_eq(strata_commit_create(&a[0], n, tree, parent, "subject\n\ngpgsig not a header\n continued\n"), 0);
	same_split(&a[0], 1);
	/* unsigned: 0, and reported so by the walk */
	ck_assert_int_eq(git_signature_now(&who, "x", "x@y"), 0);
	ck_assert_int_eq(git_commit_create(&unsigned_id, strata_node_repo(n), NULL, who, who, NULL, "plain\n", tree, 0, NULL), 0);
	same_split(&unsigned_id, 0);
	ck_assert_int_eq(strata_commit_check(&st, signer, sizeof(signer), n, &unsigned_id), 0);
	ck_assert_int_eq(st, STRATA_SIG_UNSIGNED);
	git_signature_free(who);
	git_tree_free(tree);
	git_commit_free(parent);
	free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("commit");
	TCase *tc = tcase_create("commit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, walk_and_verify);
	tcase_add_test(tc, signature_split_as_libgit2_does);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
