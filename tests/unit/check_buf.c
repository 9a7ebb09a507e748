/* check_buf.c - bounded buffers */
#include "fixture.h"
#include "strata/base/buf.h"

START_TEST(buf_respects_max)
{
	strata_buf b = STRATA_BUF_INIT;
	b.max = 8;
	ck_assert_int_eq(strata_buf_puts(&b, "12345678"), 0);
	ck_assert_int_lt(strata_buf_putc(&b, 'x'), 0);
	ck_assert_str_eq(b.ptr, "12345678");
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "too large"));
	strata_buf_dispose(&b);
}
END_TEST

START_TEST(printf_detach_and_ssh_strings)
{
	strata_buf b = STRATA_BUF_INIT;
	char *s;
	ck_assert_int_eq(strata_buf_printf(&b, "%s-%d", "a", 42), 0);
	ck_assert_int_eq(strata_buf_put_u32be(&b, 0x01020304), 0);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_mem_eq(b.ptr + 4, "\x01\x02\x03\x04", 4);
	strata_buf_clear(&b);
	ck_assert_int_eq(strata_buf_put_sshstr(&b, "ab", 2), 0);
	ck_assert_mem_eq(b.ptr, "\0\0\0\x02" "ab", 6);
	s = strata_buf_detach(&b);
	ck_assert_ptr_null(b.ptr);
	ck_assert_uint_eq(b.len, 0);
	free(s);
}
END_TEST

START_TEST(grow_refuses_past_max_and_keeps_data)
{
	strata_buf b = STRATA_BUF_INIT;
	b.max = 100;
	ck_assert_int_eq(strata_buf_puts(&b, "keep"), 0);
	ck_assert_int_lt(strata_buf_grow(&b, 1000), 0);
	ck_assert_str_eq(b.ptr, "keep");
	ck_assert_int_lt(strata_buf_printf(&b, "%200d", 1), 0);
	ck_assert_str_eq(b.ptr, "keep");
	strata_buf_dispose_secret(&b);
	ck_assert_ptr_null(b.ptr);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, buf_respects_max);
	tcase_add_test(tc, printf_detach_and_ssh_strings);
	tcase_add_test(tc, grow_refuses_past_max_and_keeps_data);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
