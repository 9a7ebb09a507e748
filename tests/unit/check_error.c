/* check_error.c - one message per thread, and the code returned as set */
#include "fixture.h"
#include <errno.h>
#include "strata/base/error.h"

START_TEST(error_may_wrap_the_last_error)
{
	strata_error_set("inner %d", 7);
	strata_error_set("outer: %s", strata_error_last());
	ck_assert_str_eq(strata_error_last(), "outer: inner 7");
}
END_TEST

START_TEST(setc_returns_its_code)
{
	ck_assert_int_eq(strata_error_setc(STRATA_EVERIFY, "bad %s", "signature"), STRATA_EVERIFY);
	ck_assert_str_eq(strata_error_last(), "bad signature");
	ck_assert_int_eq(strata_error_set("plain"), STRATA_ERROR);
}
END_TEST

START_TEST(sys_names_the_path)
{
	errno = ENOENT;
	ck_assert_int_eq(strata_error_sys("/no/such"), STRATA_ERROR);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "/no/such"));
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "No such file"));
}
END_TEST

START_TEST(long_messages_are_cut_not_overrun)
{
	char big[4096];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strata_error_set("%s", big);
	ck_assert_uint_lt(strlen(strata_error_last()), sizeof(big));
	strata_error_clear();
	ck_assert_str_eq(strata_error_last(), "unknown error");	/* never NULL */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, error_may_wrap_the_last_error);
	tcase_add_test(tc, setc_returns_its_code);
	tcase_add_test(tc, sys_names_the_path);
	tcase_add_test(tc, long_messages_are_cut_not_overrun);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
