/* check_csv.c - the RFC 4180 reader, table-driven over edge cases */
#include "fixture.h"
#include "strata/format/csv.h"

/* Rows are rendered as fields joined by '|' and rows by '/'. */
static const struct {
	const char *in;
	const char *want;	/* rendering, or NULL if an error is expected */
	const char *err;	/* substring of the error */
} cases[] = {
	{ "a,b\n1,2\n", "a|b/1|2", NULL },
	{ "a,b\r\n1,2\r\n", "a|b/1|2", NULL },
	{ "a,b\n1,2", "a|b/1|2", NULL },			/* no final newline */
	{ "\xef\xbb\xbf" "a,b\n1,2\n", "a|b/1|2", NULL },	/* BOM */
	{ "a,b\n\"x,y\",2\n", "a|b/x,y|2", NULL },
	{ "a,b\n\"say \"\"hi\"\"\",2\n", "a|b/say \"hi\"|2", NULL },
	{ "a,b\n\"line1\nline2\",2\n", "a|b/line1\nline2|2", NULL },
	{ "a,b\n\"line1\r\nline2\",2\r\n", "a|b/line1\r\nline2|2", NULL },
	{ "a,b\n,\n", "a|b/|", NULL },				/* empty fields */
	{ "a,b\n\n1,2\n\n", "a|b/1|2", NULL },			/* blank lines skipped */
	{ "a\rb\r", "a/b", NULL },				/* lone CR */
	{ "a,b\n\"\",x\n", "a|b/|x", NULL },
	{ "名字,城市\n张三,杭州\n", "名字|城市/张三|杭州", NULL },
	{ "", "", NULL },
	{ "a,b\n\"unterminated,2\n3,4\n", NULL, "line 2, column 1: unterminated quoted field" },
	{ "a,b\n1,2\n3,\"open\n", NULL, "line 3, column 3: unterminated" },
	{ "a,b\nx\"y,2\n", NULL, "line 2, column 2: quote inside an unquoted field" },
	{ "a,b\n\"x\"y,2\n", NULL, "line 2, column 4: unexpected character after closing quote" },
	{ "a,b\n\xff,2\n", NULL, "line 2: field 1 is not valid UTF-8" },
	{ "a,b\n1,\xc3\n", NULL, "line 2: field 2 is not valid UTF-8" },
	{ "a,b\n1\0002\n", NULL, "NUL byte" },
};

static void render(strata_buf *out, const strata_csv_row *r)
{
	if (out->len)
		strata_buf_putc(out, '/');
	for (size_t i = 0; i < r->nfields; i++) {
		if (i)
			strata_buf_putc(out, '|');
		strata_buf_put(out, r->fields[i], r->lens[i]);
	}
}

START_TEST(csv_table)
{
	const char *in = cases[_i].in;
	size_t len = strlen(in);
	FILE *f;
	strata_csv *c = NULL;
	strata_csv_row row;
	strata_buf got = STRATA_BUF_INIT;
	int r;

	if (strstr(in, "a,b\n1") && cases[_i].err && strstr(cases[_i].err, "NUL"))
		len = 8;	/* the NUL case has an embedded NUL */
	f = fmemopen((void *)in, len ? len : 1, "rb");
	ck_assert_ptr_nonnull(f);
	if (!len) {
		fclose(f);
		f = fopen("/dev/null", "rb");
	}
	ck_assert_int_eq(strata_csv_open(&c, f, "t.csv"), 0);
	while ((r = strata_csv_next(c, &row)) > 0)
		render(&got, &row);
	if (cases[_i].want) {
		ck_assert_msg(r == 0, "case %d: unexpected error: %s", _i, strata_error_last());
		ck_assert_str_eq(got.ptr ? got.ptr : "", cases[_i].want);
	} else {
		ck_assert_msg(r < 0, "case %d: expected an error", _i);
		ck_assert_msg(strstr(strata_error_last(), cases[_i].err) != NULL,
			      "case %d: got '%s'", _i, strata_error_last());
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "'t.csv'"));
	}
	strata_csv_free(c);
	fclose(f);
	strata_buf_dispose(&got);
}
END_TEST

START_TEST(csv_record_size_is_bounded)
{
	size_t n = STRATA_CSV_MAX_RECORD + 10;
	char *big = malloc(n + 8);
	FILE *f;
	strata_csv *c = NULL;
	strata_csv_row row;

	memcpy(big, "a\n", 2);
	memset(big + 2, 'x', n);
	big[n + 2] = '\n';
	f = fmemopen(big, n + 3, "rb");
	ck_assert_int_eq(strata_csv_open(&c, f, "big.csv"), 0);
	ck_assert_int_eq(strata_csv_next(c, &row), 1);
	ck_assert_int_lt(strata_csv_next(c, &row), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "line 2: record longer than"));
	strata_csv_free(c);
	fclose(f);
	free(big);
}
END_TEST

START_TEST(csv_line_numbers_follow_embedded_newlines)
{
	const char *in = "a,b\n\"1\n2\n3\",x\n4,5\n6\n";
	FILE *f = fmemopen((void *)in, strlen(in), "rb");
	strata_csv *c = NULL;
	strata_csv_row row;

	ck_assert_int_eq(strata_csv_open(&c, f, "n.csv"), 0);
	ck_assert_int_eq(strata_csv_next(c, &row), 1);
	ck_assert_uint_eq(row.line, 1);
	ck_assert_int_eq(strata_csv_next(c, &row), 1);
	ck_assert_uint_eq(row.line, 2);
	ck_assert_int_eq(strata_csv_next(c, &row), 1);
	ck_assert_uint_eq(row.line, 5);
	ck_assert_int_eq(strata_csv_next(c, &row), 1);
	ck_assert_uint_eq(row.line, 6);
	ck_assert_uint_eq(row.nfields, 1);
	strata_csv_free(c);
	fclose(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, csv_table, 0, sizeof(cases) / sizeof(*cases));
	tcase_add_test(tc, csv_record_size_is_bounded);
	tcase_add_test(tc, csv_line_numbers_follow_embedded_newlines);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
