/* check_json.c - canonical records, record parsing, JSON Lines input */
#include "fixture.h"
#include "strata/format/json.h"

static const struct { const char *in; const char *want; } esc_cases[] = {
	{ "plain", "\"plain\"" },
	{ "q\"b\\", "\"q\\\"b\\\\\"" },
	{ "a\nb\tc\r", "\"a\\nb\\tc\\r\"" },
	{ "\x01\x1f", "\"\\u0001\\u001f\"" },
	{ "张三/x", "\"张三/x\"" },			/* UTF-8 and '/' as they are */
	{ "\x7f", "\"\x7f\"" },
};

START_TEST(escape_table)
{
	strata_buf b = STRATA_BUF_INIT;
	ck_assert_int_eq(strata_json_put_string(&b, esc_cases[_i].in, strlen(esc_cases[_i].in)), 0);
	ck_assert_str_eq(b.ptr, esc_cases[_i].want);
	strata_buf_dispose(&b);
}
END_TEST

START_TEST(record_keys_sorted_bytewise)
{
	char *names[] = { "b", "a", "B", "名" };
	char *vals[] = { "2", "1", "3", "4" };
	size_t order[4];
	strata_buf b = STRATA_BUF_INIT;

	strata_json_sort_names(order, names, 4);
	ck_assert_int_eq(strata_json_put_record(&b, names, vals, NULL, order, 4), 0);
	ck_assert_str_eq(b.ptr, "{\"B\":\"3\",\"a\":\"1\",\"b\":\"2\",\"名\":\"4\"}");
	strata_buf_dispose(&b);
}
END_TEST

START_TEST(record_parse_round_trip)
{
	const char *line = "{\"a\":\"x\\ny\",\"b\":\"\"}";
	strata_record *r = NULL;
	ck_assert_int_eq(strata_json_record_parse(&r, line, strlen(line)), 0);
	ck_assert_uint_eq(r->n, 2);
	ck_assert_str_eq(strata_json_record_get(r, "a"), "x\ny");
	ck_assert_str_eq(strata_json_record_get(r, "b"), "");
	ck_assert_ptr_null(strata_json_record_get(r, "c"));
	strata_json_record_free(r);
}
END_TEST

START_TEST(record_parse_refuses_non_strings)
{
	const char *bad[] = { "{\"a\":1}", "[1]", "{\"a\":\"x\",\"a\":\"y\"}", "{\"a\":", "{\"a\":{}}",
			      "{\"b\":\"1\",\"a\":\"2\"}", "{\"a\":\"\\u0000\"}", "{\"a\":\"1\"} ", "{\"a\":\"\xff\"}" };
	for (size_t i = 0; i < 9; i++) {
		strata_record *r = NULL;
		ck_assert_int_lt(strata_json_record_parse(&r, bad[i], strlen(bad[i])), 0);
		ck_assert_ptr_null(r);
	}
}
END_TEST

static int jsonl_read_all(const char *text, strata_buf *got)
{
	FILE *f = fmemopen((void *)text, strlen(text), "rb");
	strata_jsonl *j = NULL;
	strata_csv_row row;
	int r;

	ck_assert_int_eq(strata_json_lines_open(&j, f, "t.jsonl"), 0);
	while ((r = strata_json_lines_next(j, &row)) > 0) {
		if (got->len)
			strata_buf_putc(got, '/');
		for (size_t i = 0; i < row.nfields; i++) {
			if (i)
				strata_buf_putc(got, '|');
			strata_buf_put(got, row.fields[i], row.lens[i]);
		}
	}
	strata_json_lines_free(j);
	fclose(f);
	return r;
}

START_TEST(jsonl_header_and_scalars)
{
	strata_buf got = STRATA_BUF_INIT;
	ck_assert_int_eq(jsonl_read_all("{\"id\":\"1\",\"n\":5,\"ok\":true,\"x\":null}\n\n"
					"{\"x\":\"\",\"ok\":false,\"n\":1.5,\"id\":\"2\"}\r\n", &got), 0);
	ck_assert_str_eq(got.ptr, "id|n|ok|x/1|5|true|/2|1.5|false|");
	strata_buf_dispose(&got);
}
END_TEST

/* A number keeps the text it was written with, as in CSV: the same data gives the same records. */
static const struct { const char *in, *want; } jsonl_numbers[] = {
	{ "{\"id\":\"1\",\"n\":0.1}\n", "id|n/1|0.1" },
	{ "{\"id\":\"1\",\"n\":1e23}\n", "id|n/1|1e23" },
	{ "{\"id\":\"1\",\"n\":2.50}\n", "id|n/1|2.50" },
	{ "{\"id\":\"1\",\"n\":-0}\n", "id|n/1|-0" },
	{ "{\"id\":\"1\",\"n\":12345678901234567890123}\n", "id|n/1|12345678901234567890123" },
	{ "{\"id\":\"1\",\"n\":-1.5E-7}\n", "id|n/1|-1.5E-7" },
	{ "{ \"n\" : 3.10 , \"id\" : \"1\" }\n", "n|id/3.10|1" },
	{ "{\"id\":\"a,\\\"n\\\":9\",\"n\":7.0}\n", "id|n/a,\"n\":9|7.0" },	/* a look-alike inside a string */
	{ "{\"id\":\"1\",\"\\u006e\":8.00}\n", "id|n/1|8.00" },			/* an escaped name */
};

START_TEST(jsonl_numbers_keep_their_text)
{
	strata_buf got = STRATA_BUF_INIT;
	ck_assert_int_eq(jsonl_read_all(jsonl_numbers[_i].in, &got), 0);
	ck_assert_str_eq(got.ptr, jsonl_numbers[_i].want);
	strata_buf_dispose(&got);
}
END_TEST

static const struct { const char *in; const char *err; } jsonl_bad[] = {
	{ "{\"a\":\"1\"}\n{\"b\":\"2\"}\n", "line 2: unknown field 'b'" },
	{ "{\"a\":\"1\",\"b\":\"2\"}\n{\"a\":\"2\"}\n", "line 2: missing field 'b'" },
	{ "{\"a\":[1]}\n", "line 1: field 'a' is not a scalar" },
	{ "[1,2]\n", "line 1: not a JSON object" },
	{ "{\"a\":\"1\"}\n{\"a\":\n", "line 2, column" },
	{ "{\"a\":\"\xff\"}\n", "line 1" },
	{ "{}\n", "line 1: empty object" },
	{ "{\"a\":\"x\\u0000y\"}\n", "line 1, column 15: \\u0000 is not allowed" },
};

START_TEST(jsonl_errors_name_the_line)
{
	strata_buf got = STRATA_BUF_INIT;
	ck_assert_int_lt(jsonl_read_all(jsonl_bad[_i].in, &got), 0);
	ck_assert_msg(strstr(strata_error_last(), jsonl_bad[_i].err) != NULL, "case %d: got '%s'", _i,
		      strata_error_last());
	strata_buf_dispose(&got);
}
END_TEST

static const struct { const char *line, *name, *want; int rc; } field_cases[] = {
	{ "{\"a\":\"1\",\"b\":\"2\"}", "b", "2", 1 },
	{ "{\"a\":\"1\",\"b\":\"2\"}", "c", "", 0 },
	{ "{}", "a", "", 0 },
	{ "{\"a\":\"x\\\",\\\"b\\\":\\\"evil\",\"b\":\"real\"}", "b", "real", 1 },
	{ "{\"a\":\"q\\\"\\\\\\n\\u0001z\"}", "a", "q\"\\\n\001z", 1 },
	{ "{\"名\":\"张三\"}", "名", "张三", 1 },
	{ "{\"a\":1}", "a", "", -1 },
	{ "{\"a\":\"open", "a", "", -1 },
	{ "[\"a\"]", "a", "", -1 },
	{ "{\"a\":\"\\u0041\"}", "a", "", -1 },	/* not canonical */
};

START_TEST(record_field_table)
{
	strata_buf v = STRATA_BUF_INIT;
	int rc = strata_json_record_field(&v, field_cases[_i].line, strlen(field_cases[_i].line), field_cases[_i].name);
	if (field_cases[_i].rc < 0) {
		ck_assert_msg(rc < 0, "case %d: accepted", _i);
	} else {
		ck_assert_int_eq(rc, field_cases[_i].rc);
		ck_assert_str_eq(v.ptr ? v.ptr : "", field_cases[_i].want);
	}
	strata_buf_dispose(&v);
}
END_TEST

/* property: on random canonical records, the scanner agrees with jansson */
START_TEST(record_field_agrees_with_parser)
{
	static const char *alphabet[] = { "a", "\"", "\\", "\n", "\x01", "\x1f", ",", ":", "{", "}",
					  "张", "三", " ", "/", "u", "\t" };
	unsigned seed = 7;
	for (int round = 0; round < 2000; round++) {
		char *names[4], *vals[4];
		char nb[4][32], vb[4][64];
		size_t order[4], n = 1 + (size_t)rand_r(&seed) % 4;
		strata_buf line = STRATA_BUF_INIT;
		strata_record *r = NULL;

		for (size_t i = 0; i < n; i++) {
			snprintf(nb[i], sizeof(nb[i]), "f%zu%s", i, alphabet[rand_r(&seed) % 16]);
			vb[i][0] = '\0';
			for (int k = rand_r(&seed) % 8; k > 0; k--)
				strcat(vb[i], alphabet[rand_r(&seed) % 16]);
			names[i] = nb[i];
			vals[i] = vb[i];
		}
		strata_json_sort_names(order, names, n);
		ck_assert_int_eq(strata_json_put_record(&line, names, vals, NULL, order, n), 0);
		ck_assert_int_eq(strata_json_record_parse(&r, line.ptr, line.len), 0);
		for (size_t i = 0; i < n; i++) {
			strata_buf v = STRATA_BUF_INIT;
			ck_assert_int_eq(strata_json_record_field(&v, line.ptr, line.len, names[i]), 1);
			ck_assert_str_eq(v.ptr ? v.ptr : "", strata_json_record_get(r, names[i]));
			strata_buf_dispose(&v);
		}
		strata_json_record_free(r);
		strata_buf_dispose(&line);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, escape_table, 0, sizeof(esc_cases) / sizeof(*esc_cases));
	tcase_add_test(tc, record_keys_sorted_bytewise);
	tcase_add_loop_test(tc, jsonl_numbers_keep_their_text, 0, sizeof(jsonl_numbers) / sizeof(jsonl_numbers[0]));
	tcase_add_test(tc, record_parse_round_trip);
	tcase_add_test(tc, record_parse_refuses_non_strings);
	tcase_add_loop_test(tc, record_field_table, 0, sizeof(field_cases) / sizeof(*field_cases));
	tcase_add_test(tc, record_field_agrees_with_parser);
	tcase_add_test(tc, jsonl_header_and_scalars);
	tcase_add_loop_test(tc, jsonl_errors_name_the_line, 0, sizeof(jsonl_bad) / sizeof(*jsonl_bad));
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
