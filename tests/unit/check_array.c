/* check_array.c - arrays grow by doubling; an impossible size is refused and the array kept */
#include "fixture.h"
#include "strata/base/array.h"

START_TEST(grows_by_doubling)
{
	int *v = NULL;
	size_t alloc = 0;
	ck_assert_int_eq(strata_array_grow(&v, &alloc, 1, 8), 0);
	ck_assert_uint_eq(alloc, 8);
	for (int i = 0; i < 8; i++)
		v[i] = i;
	ck_assert_int_eq(strata_array_grow(&v, &alloc, 8, 8), 0);	/* fits: unchanged */
	ck_assert_uint_eq(alloc, 8);
	ck_assert_int_eq(strata_array_grow(&v, &alloc, 9, 8), 0);
	ck_assert_uint_eq(alloc, 16);
	ck_assert_int_eq(strata_array_grow(&v, &alloc, 100, 8), 0);
	ck_assert_uint_eq(alloc, 128);
	ck_assert_int_eq(v[7], 7);
	free(v);
}
END_TEST

START_TEST(overflow_is_refused_and_the_array_kept)
{
	long *v = NULL;
	size_t alloc = 0;
	ck_assert_int_eq(strata_array_grow(&v, &alloc, 4, 4), 0);
	v[3] = 42;
	ck_assert_int_eq(strata_array_grow(&v, &alloc, SIZE_MAX / 2, 4), STRATA_ERROR);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "out of memory"));
	ck_assert_uint_eq(alloc, 4);
	ck_assert_int_eq(v[3], 42);
	ck_assert_int_eq(strata_array_grow(&v, &alloc, SIZE_MAX, 4), STRATA_ERROR);
	free(v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("array");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, grows_by_doubling);
	tcase_add_test(tc, overflow_is_refused_and_the_array_kept);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
