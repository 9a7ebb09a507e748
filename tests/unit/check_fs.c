/* check_fs.c - files: atomic writes, bounded reads, mkdir -p, rm -r */
#include "fixture.h"
#include <sys/stat.h>
#include "strata/base/fs.h"

START_TEST(atomic_write_replaces_whole_file)
{
	strata_buf b = STRATA_BUF_INIT;
	ck_assert_int_eq(strata_fs_write_atomic(fx_path("f"), "one", 3, 0600), 0);
	ck_assert_int_eq(strata_fs_write_atomic(fx_path("f"), "two!", 4, 0600), 0);
	ck_assert_int_eq(strata_fs_read(&b, fx_path("f"), 100), 0);
	ck_assert_str_eq(b.ptr, "two!");
	strata_buf_dispose(&b);
	ck_assert_int_lt(strata_fs_read(&b, fx_path("f"), 2), 0);
	strata_buf_dispose(&b);
}
END_TEST

START_TEST(mkdir_p_and_rm_rf)
{
	struct stat st;
	ck_assert_int_eq(strata_fs_mkdir_p(fx_path("a/b/c"), 0700), 0);
	ck_assert_int_eq(strata_fs_mkdir_p(fx_path("a/b/c"), 0700), 0);	/* there already: fine */
	fx_write("a/b/c/f", "x");
	fx_write("a/g", "y");
	ck_assert_int_eq(strata_fs_rm_rf(fx_path("a")), 0);
	ck_assert_int_lt(stat(fx_path("a"), &st), 0);
	ck_assert_int_eq(strata_fs_rm_rf(fx_path("a")), 0);	/* gone already: fine */
	fx_write("file", "z");
	ck_assert_int_lt(strata_fs_mkdir_p(fx_path("file/sub"), 0700), 0);
}
END_TEST

START_TEST(read_missing_names_the_path)
{
	strata_buf b = STRATA_BUF_INIT;
	ck_assert_int_lt(strata_fs_read(&b, fx_path("missing"), 10), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "missing"));
	fx_write("empty", "");
	ck_assert_int_eq(strata_fs_read(&b, fx_path("empty"), 10), 0);
	ck_assert_ptr_nonnull(b.ptr);
	ck_assert_uint_eq(b.len, 0);
	strata_buf_dispose(&b);
}
END_TEST

START_TEST(path_join)
{
	char *p = strata_fs_path_join("a", "b/c");
	ck_assert_str_eq(p, "a/b/c");
	free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, atomic_write_replaces_whole_file);
	tcase_add_test(tc, mkdir_p_and_rm_rf);
	tcase_add_test(tc, read_missing_names_the_path);
	tcase_add_test(tc, path_join);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
