/* check_transcode.c - GB18030 and GBK read and written as UTF-8, and what a bad byte says */
#include "fixture.h"
#include "strata/base/transcode.h"
#include "strata/base/error.h"

/* 张三 李𠈌 (U+2020C: four bytes in UTF-8 and in GB18030), newline-separated */
static const char utf8_text[] = "id,name\n1,\xe5\xbc\xa0\xe4\xb8\x89\n2,\xe6\x9d\x8e\xf0\xa0\x88\x8c\n";
static const char gb_text[] = "id,name\n1,\xd5\xc5\xc8\xfd\n2,\xc0\xee\x95\x32\xb7\x30\n";

static size_t read_all(FILE *f, char *out, size_t size)
{
	size_t n = 0, k;
	while ((k = fread(out + n, 1, size - n, f)) > 0)
		n += k;
	return n;
}

static FILE *mem(const char *bytes, size_t n)
{
	FILE *f = fmemopen((void *)bytes, n, "rb");
	ck_assert_ptr_nonnull(f);
	return f;
}

START_TEST(reads_gb18030_as_utf8)
{
	FILE *in = mem(gb_text, sizeof(gb_text) - 1), *s;
	strata_transcode *t;
	char out[256];
	size_t n;

	ck_assert_int_eq(strata_transcode_reader(&s, &t, in, "GB18030", "x.csv"), 0);
	n = read_all(s, out, sizeof(out));
	ck_assert_int_eq((int)n, (int)sizeof(utf8_text) - 1);
	ck_assert_mem_eq(out, utf8_text, n);
	ck_assert_int_eq(fclose(s), 0);
	ck_assert_int_eq(strata_transcode_failed(t), 0);
	strata_transcode_free(t);
	fclose(in);
}
END_TEST

START_TEST(writes_utf8_as_gb18030_dropping_the_bom)
{
	char buf[256] = { 0 }, in[256];
	FILE *out = fmemopen(buf, sizeof(buf), "wb"), *s;
	strata_transcode *t;

	snprintf(in, sizeof(in), "\xef\xbb\xbf%s", utf8_text);
	ck_assert_int_eq(strata_transcode_writer(&s, &t, out, "gb18030", "y.csv"), 0);
	/* one byte at a time: a character split across writes comes out whole */
	for (const char *p = in; *p; p++)
		ck_assert_int_eq((int)fwrite(p, 1, 1, s), 1);
	ck_assert_int_eq(fclose(s), 0);
	ck_assert_int_eq(strata_transcode_failed(t), 0);
	strata_transcode_free(t);
	fflush(out);
	ck_assert_int_eq((int)ftell(out), (int)sizeof(gb_text) - 1);
	ck_assert_mem_eq(buf, gb_text, sizeof(gb_text) - 1);
	fclose(out);
}
END_TEST

START_TEST(a_bad_byte_names_file_line_and_bytes)
{
	static const char bad[] = "id,name\n1,ab\n2,\x81\x20z\n";
	FILE *in = mem(bad, sizeof(bad) - 1), *s;
	strata_transcode *t;
	char out[256];

	ck_assert_int_eq(strata_transcode_reader(&s, &t, in, "gb18030", "bad.csv"), 0);
	read_all(s, out, sizeof(out));
	ck_assert(ferror(s));
	fclose(s);
	ck_assert_int_lt(strata_transcode_failed(t), 0);
	ck_assert_str_eq(strata_error_last(), "'bad.csv': line 3: bytes 81 20 are not GB18030 text (is the file in another encoding?)");
	strata_transcode_free(t);
	fclose(in);
}
END_TEST

START_TEST(a_file_cut_inside_a_character)
{
	static const char cut[] = "id,name\n1,\xd5";
	FILE *in = mem(cut, sizeof(cut) - 1), *s;
	strata_transcode *t;
	char out[256];

	ck_assert_int_eq(strata_transcode_reader(&s, &t, in, "gb18030", "cut.csv"), 0);
	read_all(s, out, sizeof(out));
	ck_assert(ferror(s));
	fclose(s);
	ck_assert_int_lt(strata_transcode_failed(t), 0);
	ck_assert_str_eq(strata_error_last(), "'cut.csv': line 2: the file ends inside a GB18030 character (D5)");
	strata_transcode_free(t);
	fclose(in);
}
END_TEST

START_TEST(gbk_cannot_hold_a_rare_character)
{
	char buf[256];
	FILE *out = fmemopen(buf, sizeof(buf), "wb"), *s;
	strata_transcode *t;

	ck_assert_int_eq(strata_transcode_writer(&s, &t, out, "gbk", "z.csv"), 0);
	fputs(utf8_text, s);
	ck_assert_int_ne(fclose(s), 0);
	ck_assert_int_lt(strata_transcode_failed(t), 0);
	ck_assert_str_eq(strata_error_last(),
			 "'z.csv': line 3: GBK cannot hold the character U+2020C: use --encoding gb18030, which holds every character");
	strata_transcode_free(t);
	fclose(out);
}
END_TEST

START_TEST(names_and_whole_files)
{
	const char *c;
	FILE *f;

	ck_assert_int_eq(strata_transcode_name(&c, "GB18030"), 0);
	ck_assert_str_eq(c, "gb18030");
	ck_assert_int_eq(strata_transcode_name(&c, "UTF8"), 0);
	ck_assert_str_eq(c, "utf-8");
	ck_assert_int_lt(strata_transcode_name(&c, "latin1"), 0);
	ck_assert_str_eq(strata_error_last(), "unknown encoding 'latin1' (utf-8, gb18030 or gbk)");

	f = fopen(fx_path("gb.csv"), "wb");
	fwrite(gb_text, 1, sizeof(gb_text) - 1, f);
	fclose(f);
	ck_assert_int_eq(strata_transcode_file_is(fx_path("gb.csv"), "gb18030"), 1);
	ck_assert_int_eq(strata_transcode_file_is(fx_path("gb.csv"), "utf-8"), 0);
	f = fopen(fx_path("u.csv"), "wb");
	fwrite(utf8_text, 1, sizeof(utf8_text) - 1, f);
	fwrite("\xe5", 1, 1, f);	/* a character cut off at the end */
	fclose(f);
	ck_assert_int_eq(strata_transcode_file_is(fx_path("u.csv"), "utf-8"), 0);
	ck_assert_int_eq(strata_transcode_file_is(fx_path("nothing-here"), "utf-8"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("transcode");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, reads_gb18030_as_utf8);
	tcase_add_test(tc, writes_utf8_as_gb18030_dropping_the_bom);
	tcase_add_test(tc, a_bad_byte_names_file_line_and_bytes);
	tcase_add_test(tc, a_file_cut_inside_a_character);
	tcase_add_test(tc, gbk_cannot_hold_a_rare_character);
	tcase_add_test(tc, names_and_whole_files);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
