/*
 * check_pack.c - objects written straight into a pack: ids as git gives
 * them, nothing visible before commit, nothing left behind by a writer
 * freed uncommitted, duplicates skipped.
 */
#include "fixture.h"
#include "strata/format/pack.h"

#include <dirent.h>

static git_repository *repo;

static void setup(void)
{
	fx_setup();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	ck_assert_int_eq(git_repository_init(&repo, fx_path("r.git"), 1), 0);
}

static void teardown(void)
{
	git_repository_free(repo);
	fx_teardown();
}

static int count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.' && !strncmp(e->d_name, prefix, strlen(prefix));
	if (d)
		closedir(d);
	return n;
}

START_TEST(ids_match_git_and_commit_publishes)
{
	strata_packw *w = NULL;
	git_oid a, b, again, want;
	git_odb *odb;
	git_odb_object *o = NULL;

	ck_assert_int_eq(strata_pack_object_id(&a, GIT_OBJECT_BLOB, "hello\n", 6), 0);
	ck_assert_str_eq(git_oid_tostr_s(&a), "ce013625030ba8dba906f756967f9e9ca394464a");	/* git hash-object */
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 1), 0);
	ck_assert_int_eq(strata_pack_writer_add(w, GIT_OBJECT_BLOB, "hello\n", 6, &a), 0);
	ck_assert_int_eq(strata_pack_writer_add(w, GIT_OBJECT_BLOB, "other", 5, &b), 0);
	ck_assert_int_eq(strata_pack_writer_add(w, GIT_OBJECT_BLOB, "hello\n", 6, &again), 0);
	ck_assert(git_oid_equal(&a, &again));
	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	ck_assert_int_eq(git_odb_exists(odb, &a), 0);	/* not before the commit */
	ck_assert_int_eq(strata_pack_writer_commit(w), 0);
	strata_pack_writer_free(w);
	ck_assert_int_eq(git_odb_refresh(odb), 0);
	ck_assert_int_eq(git_odb_read(&o, odb, &b), 0);
	ck_assert_uint_eq(git_odb_object_size(o), 5);
	git_odb_object_free(o);
	ck_assert_int_eq(git_odb_hash(&want, "other", 5, GIT_OBJECT_BLOB), 0);
	ck_assert(git_oid_equal(&want, &b));
	git_odb_free(odb);
	ck_assert_int_eq(count_files(fx_path("r.git/objects/pack"), "pack-"), 2);	/* .pack and .idx */
}
END_TEST

START_TEST(uncommitted_writer_leaves_nothing)
{
	strata_packw *w = NULL;
	git_oid a;
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 1), 0);
	ck_assert_int_eq(strata_pack_writer_add(w, GIT_OBJECT_BLOB, "x", 1, &a), 0);
	strata_pack_writer_free(w);
	ck_assert_int_eq(count_files(fx_path("r.git/objects/pack"), ""), 0);
}
END_TEST

START_TEST(leftovers_removed)
{
	fx_write("r.git/objects/pack/tmp_strata_abc123", "half a pack");
	fx_write("r.git/objects/pack/pack-keep.keep", "");
	strata_pack_remove_leftovers(fx_path("r.git/objects/pack"));
	ck_assert_int_eq(count_files(fx_path("r.git/objects/pack"), "tmp_strata_"), 0);
	ck_assert_int_eq(count_files(fx_path("r.git/objects/pack"), "pack-keep"), 1);	/* not ours: kept */
}
END_TEST

START_TEST(empty_commit_is_a_no_op)
{
	strata_packw *w = NULL;
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 1), 0);
	ck_assert_int_eq(strata_pack_writer_commit(w), 0);
	strata_pack_writer_free(w);
	ck_assert_int_eq(count_files(fx_path("r.git/objects/pack"), ""), 0);
}
END_TEST

/*
 * Large objects (deflated by the caller, streamed) and small ones (by the
 * workers) mixed in one pack, written into a directory of its own with a
 * store to skip: git reads every one back, and what the store held is not
 * written again.
 */
START_TEST(large_and_small_into_a_quarantine)
{
	strata_packw *w = NULL;
	git_odb *odb, *q = NULL;
	git_odb_backend *be = NULL;
	git_odb_object *o = NULL;
	git_oid ids[6], held;
	size_t sizes[6] = { 10, (size_t)1 << 20, 300, (size_t)3 << 20, 5, ((size_t)1 << 20) - 1 };
	unsigned char *data = malloc((size_t)3 << 20);
	char idx[4096];

	for (size_t i = 0; i < ((size_t)3 << 20); i++)
		data[i] = (unsigned char)((i * 2654435761u) >> 13);	/* poorly compressible */
	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	ck_assert_int_eq(git_odb_write(&held, odb, "held", 4, GIT_OBJECT_BLOB), 0);
	ck_assert_int_eq(strata_pack_writer_new_in(&w, fx_path("q"), odb, 1), 0);
	for (int i = 0; i < 6; i++) {
		data[0] = (unsigned char)i;
		ck_assert_int_eq(strata_pack_writer_add(w, GIT_OBJECT_BLOB, data, sizes[i], &ids[i]), 0);
	}
	ck_assert_int_eq(strata_pack_writer_add(w, GIT_OBJECT_BLOB, "held", 4, &held), 0);
	ck_assert_int_eq(strata_pack_writer_commit(w), 0);
	ck_assert_uint_eq(strlen(strata_pack_writer_name(w)), 40);
	snprintf(idx, sizeof(idx), "%s/pack-%s.idx", fx_path("q"), strata_pack_writer_name(w));
	strata_pack_writer_free(w);
	ck_assert_int_eq(count_files(fx_path("q"), "pack-"), 2);
	ck_assert_int_eq(git_odb_new(&q), 0);
	ck_assert_int_eq(git_odb_backend_one_pack(&be, idx), 0);
	ck_assert_int_eq(git_odb_add_backend(q, be, 1), 0);
	for (int i = 0; i < 6; i++) {
		data[0] = (unsigned char)i;
		ck_assert_int_eq(git_odb_read(&o, q, &ids[i]), 0);
		ck_assert_uint_eq(git_odb_object_size(o), sizes[i]);
		ck_assert(!memcmp(git_odb_object_data(o), data, sizes[i]));
		git_odb_object_free(o);
	}
	ck_assert_int_eq(git_odb_exists(q, &held), 0);	/* the store had it */
	git_odb_free(q);
	git_odb_free(odb);
	free(data);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pack");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ids_match_git_and_commit_publishes);
	tcase_add_test(tc, uncommitted_writer_leaves_nothing);
	tcase_add_test(tc, leftovers_removed);
	tcase_add_test(tc, empty_commit_is_a_no_op);
	tcase_add_test(tc, large_and_small_into_a_quarantine);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
