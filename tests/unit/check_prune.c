/* check_prune.c - what no ref reaches goes from the object store; what one reaches stays, fsck-clean */
#include "one_node.h"
#include "strata/node/prune.h"
#include "strata/node/journal.h"

static void write_csv(const char *name, const char *text)
{
	FILE *f = fopen(fx_path(name), "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Whether the store on disk has it (a fresh open: this process's odb still maps the packs it had open). */
static int has_object(const git_oid *id)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	int rc;
	ck_assert_int_eq(git_repository_open_bare(&repo, fx_path("node/repo.git")), 0);
	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	rc = git_odb_exists(odb, id);
	git_odb_free(odb);
	git_repository_free(repo);
	return rc;
}

START_TEST(unreachable_goes)
{
	strata_import_result res;
	strata_prune_result pr;
	git_oid keep_tree, gone_tree;
	git_reference *r = NULL;

	write_csv("a.csv", "id,v\n1,kept-forever\n");
	write_csv("b.csv", "id,v\n1,SECRET-value-of-b\n");
	ck_assert_int_eq(import("kept", fx_path("a.csv"), "id", 0, 0, &res), 0);
	ck_assert_int_eq(import("gone", fx_path("b.csv"), "id", 0, 0, &res), 0);
	tree_of(&keep_tree, "kept");
	tree_of(&gone_tree, "gone");
	/* the dataset's ref deleted (as peer remove deletes a peer's refs): its objects are still there */
	ck_assert_int_eq(git_reference_lookup(&r, strata_node_repo(node), "refs/strata/datasets/gone"), 0);
	ck_assert_int_eq(git_reference_delete(r), 0);
	git_reference_free(r);
	ck_assert(has_object(&gone_tree));
	strata_node_unlock(node);	/* the import held it */
	ck_assert_int_lt(strata_prune(node, &pr), 0);	/* not without the lock */
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_eq(strata_prune(node, &pr), 0);
	ck_assert_uint_gt(pr.objects, 0);
	ck_assert(!has_object(&gone_tree));
	ck_assert(has_object(&keep_tree));
	/* and again: nothing more to remove, nothing lost */
	ck_assert_int_eq(strata_prune(node, &pr), 0);
	ck_assert_uint_eq(pr.packs_removed, 0);	/* the same objects: the same pack, kept */
	ck_assert_uint_eq(pr.loose_removed, 0);
	ck_assert(has_object(&keep_tree));
	{
		char cmd[1200];
		snprintf(cmd, sizeof(cmd), "git -C %s fsck --strict --no-dangling >/dev/null 2>&1 && "
			 "! git -C %s cat-file --batch-all-objects --batch | grep -a -q SECRET-value-of-b",
			 fx_path("node/repo.git"), fx_path("node/repo.git"));
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("prune");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unreachable_goes);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
