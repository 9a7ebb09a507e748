/* check_enc.c - hex, base64, UTF-8, time stamps */
#include "fixture.h"
#include "strata/base/enc.h"

START_TEST(base64_round_trip)
{
	const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	const char *want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	for (size_t i = 0; i < 7; i++) {
		strata_buf e = STRATA_BUF_INIT, d = STRATA_BUF_INIT;
		ck_assert_int_eq(strata_enc_base64(&e, (const unsigned char *)in[i], strlen(in[i])), 0);
		ck_assert_str_eq(e.ptr ? e.ptr : "", want[i]);
		ck_assert_int_eq(strata_enc_unbase64(&d, want[i], strlen(want[i])), 0);
		ck_assert_int_eq((int)d.len, (int)strlen(in[i]));
		ck_assert(d.len == 0 || memcmp(d.ptr, in[i], d.len) == 0);
		strata_buf_dispose(&e);
		strata_buf_dispose(&d);
	}
}
END_TEST

START_TEST(base64_rejects_garbage)
{
	/* "Zh==" and "Zm9=" decode to the same bytes as "Zg==" and "Zm8=" in lax decoders */
	const char *bad[] = { "Zm9v!", "Zg=a", "Z", "Zm9vY", "Zh==", "Zm9=" };
	for (size_t i = 0; i < 6; i++) {
		strata_buf d = STRATA_BUF_INIT;
		ck_assert_int_lt(strata_enc_unbase64(&d, bad[i], strlen(bad[i])), 0);
		strata_buf_dispose(&d);
	}
}
END_TEST

static const struct { const char *s; int ok; } utf8_cases[] = {
	{ "plain ascii", 1 },
	{ "张三 李四", 1 },
	{ "\xf0\x9f\x98\x80", 1 },		/* U+1F600 */
	{ "\xc0\xaf", 0 },			/* overlong '/' */
	{ "\xe0\x80\xaf", 0 },			/* overlong */
	{ "\xed\xa0\x80", 0 },			/* surrogate */
	{ "\xf4\x90\x80\x80", 0 },		/* > U+10FFFF */
	{ "\xe5\xbc", 0 },			/* truncated */
	{ "\x80", 0 },				/* lone continuation */
	{ "abc\xff", 0 },
};

START_TEST(utf8_table)
{
	const char *s = utf8_cases[_i].s;
	ck_assert_msg(strata_enc_utf8_valid(s, strlen(s)) == utf8_cases[_i].ok, "case %d", _i);
}
END_TEST

START_TEST(utf8_length_counts_characters)
{
	ck_assert_uint_eq(strata_enc_utf8_len("张三a", strlen("张三a")), 3);
}
END_TEST

START_TEST(hex_round_trip)
{
	unsigned char in[4] = { 0, 0x7f, 0xa0, 0xff }, out[4];
	char hex[9];
	strata_enc_hex(hex, in, 4);
	ck_assert_str_eq(hex, "007fa0ff");
	ck_assert_int_eq(strata_enc_unhex(out, hex, 4), 0);
	ck_assert_mem_eq(in, out, 4);
	ck_assert_int_lt(strata_enc_unhex(out, "zz", 1), 0);
}
END_TEST

START_TEST(utc_stamp)
{
	char t[32];
	strata_enc_utc_stamp(t, sizeof(t), 0);
	ck_assert_str_eq(t, "1970-01-01T00:00:00Z");
	strata_enc_utc_stamp(t, sizeof(t), 1764547200);
	ck_assert_str_eq(t, "2025-12-01T00:00:00Z");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("enc");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, base64_round_trip);
	tcase_add_test(tc, base64_rejects_garbage);
	tcase_add_test(tc, utf8_length_counts_characters);
	tcase_add_test(tc, hex_round_trip);
	tcase_add_test(tc, utc_stamp);
	tcase_add_loop_test(tc, utf8_table, 0, sizeof(utf8_cases) / sizeof(*utf8_cases));
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
