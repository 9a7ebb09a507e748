/* check_near.c - "did you mean": edits, closeness, the lists */
#include "fixture.h"
#include "strata/base/near.h"

START_TEST(edits_count_swaps_as_one)
{
	ck_assert_uint_eq(strata_near_edits("improt", "import", 2), 1);
	ck_assert_uint_eq(strata_near_edits("import", "import", 2), 0);
	ck_assert_uint_eq(strata_near_edits("imprt", "import", 2), 1);
	ck_assert_uint_eq(strata_near_edits("idnumber", "id_number", 2), 1);
	ck_assert_uint_eq(strata_near_edits("status", "import", 2), 3);	/* past max: max + 1 */
	ck_assert_uint_eq(strata_near_edits("", "abc", 3), 3);
}
END_TEST

START_TEST(close_names)
{
	static const char *const names[] = { "add", "set", "remove", "show", "list", "catalog" };
	strata_buf b = STRATA_BUF_INIT;

	ck_assert(strata_near("lsit", "list"));
	ck_assert(!strata_near("list", "list"));	/* itself is not a suggestion */
	ck_assert(strata_near("cat", "catalog"));	/* the start of a longer name */
	ck_assert(!strata_near("zz", "add"));
	ck_assert_uint_eq(strata_near_list(&b, "shwo", names, 6), 1);
	ck_assert_str_eq(b.ptr, "'show'");
	strata_buf_clear(&b);
	ck_assert_uint_eq(strata_near_list(&b, "nothing-like", names, 6), 0);
	ck_assert_uint_eq(b.len, 0);
	strata_near_all(&b, names, 6, 3);
	ck_assert_str_eq(b.ptr, "'add', 'set', 'remove', ...");
	strata_buf_dispose(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("near");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, edits_count_swaps_as_one);
	tcase_add_test(tc, close_names);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
