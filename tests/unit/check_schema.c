/* check_schema.c - schema.json: strict parsing, canonical writing, type inference */
#include "fixture.h"
#include "strata/format/schema.h"

static const char *CANON =
	"{\"fields\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"名\",\"type\":\"string\"}],"
	"\"format\":1,\"key\":[\"id\"]}\n";

START_TEST(parse_write_round_trip)
{
	strata_schema *s = NULL;
	strata_buf out = STRATA_BUF_INIT;
	ck_assert_msg(strata_schema_parse(&s, CANON, strlen(CANON)) == 0, "%s", strata_error_last());
	ck_assert_uint_eq(s->nfields, 2);
	ck_assert_uint_eq(s->nkey, 1);
	ck_assert_int_eq(strata_schema_field(s, "名"), 1);
	ck_assert_int_eq(strata_schema_field(s, "nope"), -1);
	ck_assert_int_eq(strata_schema_write(&out, s), 0);
	ck_assert_str_eq(out.ptr, CANON);
	strata_schema_free(s);
	strata_buf_dispose(&out);
}
END_TEST

START_TEST(refusals)
{
	static const char *bad[] = {
		"", "[]", "{", "{\"fields\":[],\"format\":1,\"key\":[]}",
		"{\"fields\":[{\"name\":\"id\",\"type\":\"integer\"}],\"format\":2,\"key\":[\"id\"]}",
		"{\"fields\":[{\"name\":\"id\"}],\"format\":1,\"key\":[\"id\"]}",
		"{\"fields\":[{\"name\":\"id\",\"type\":\"integer\"}],\"format\":1,\"key\":[\"other\"]}",
		"{\"fields\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"id\",\"type\":\"string\"}],\"format\":1,\"key\":[\"id\"]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		strata_schema *s = NULL;
		ck_assert_msg(strata_schema_parse(&s, bad[i], strlen(bad[i])) < 0, "accepted: %s", bad[i]);
		ck_assert_ptr_null(s);
	}
}
END_TEST

START_TEST(type_inference_narrows)
{
	unsigned m = STRATA_TYPES_ALL;
	ck_assert_str_eq(strata_schema_type_name(m), "string");	/* nothing seen yet */
	m = strata_schema_type_narrow(m, "12", 2);
	ck_assert_str_eq(strata_schema_type_name(m), "integer");
	m = strata_schema_type_narrow(m, "", 0);	/* empty values narrow nothing */
	ck_assert_str_eq(strata_schema_type_name(m), "integer");
	m = strata_schema_type_narrow(m, "1.5", 3);
	ck_assert_str_eq(strata_schema_type_name(m), "number");
	m = strata_schema_type_narrow(m, "x", 1);
	ck_assert_str_eq(strata_schema_type_name(m), "string");
	ck_assert_str_eq(strata_schema_type_name(strata_schema_type_narrow(STRATA_TYPES_ALL, "2024-02-29", 10)), "date");
	ck_assert_str_eq(strata_schema_type_name(strata_schema_type_narrow(STRATA_TYPES_ALL, "2023-02-29", 10)), "string");
	ck_assert_str_eq(strata_schema_type_name(strata_schema_type_narrow(STRATA_TYPES_ALL, "true", 4)), "boolean");
}
END_TEST

START_TEST(kinds_check_resident_ids_mobiles_and_dates)
{
	char why[192];

	ck_assert_int_eq(strata_schema_kind_check(why, sizeof(why), "resident-id", "330108194007120007", 18), 0);
	ck_assert_int_eq(strata_schema_kind_check(why, sizeof(why), "resident-id", "11010519491231002x", 18), 0);
	ck_assert_int_eq(strata_schema_kind_check(why, sizeof(why), "resident-id", "330108194007120008", 18), 1);
	ck_assert_str_eq(why, "a valid resident ID number: its check digit is 7, not 8 (GB 11643)");
	ck_assert_int_eq(strata_schema_kind_check(why, sizeof(why), "resident-id", "330108194002300000", 18), 1);
	ck_assert_str_eq(why, "a valid resident ID number: its birth date 1940-02-30 does not exist");
	ck_assert_int_eq(strata_schema_kind_check(why, sizeof(why), "resident-id", "33010819400712000", 17), 1);
	ck_assert_int_eq(strata_schema_kind_check(why, sizeof(why), "mobile", "13800000000", 11), 0);
	ck_assert_int_eq(strata_schema_kind_check(why, sizeof(why), "mobile", "12800000000", 11), 1);
	ck_assert_int_eq(strata_schema_kind_check(why, sizeof(why), "date", "2024-02-29", 10), 0);
	ck_assert_int_eq(strata_schema_kind_check(why, sizeof(why), "date", "2023-02-29", 10), 1);
	ck_assert_str_eq(why, "a date that exists");
	ck_assert_int_eq(strata_schema_kind_check(why, sizeof(why), "text", "anything", 8), 0);
	ck_assert_uint_eq(strata_schema_shape("330108194007120008", 18), STRATA_SHAPE_RESIDENT_ID);
	ck_assert_uint_eq(strata_schema_shape("2023-02-30", 10), STRATA_SHAPE_DATE);
	ck_assert_uint_eq(strata_schema_shape("张三", 6), 0);
}
END_TEST

START_TEST(kinds_round_trip_and_unknown_ones_are_refused)
{
	static const char text[] = "{\"fields\":[{\"kind\":\"resident-id\",\"name\":\"id\",\"type\":\"string\"},"
				   "{\"name\":\"n\",\"type\":\"string\"}],\"format\":1,\"key\":[\"id\"]}\n";
	strata_schema *s = NULL;
	strata_buf b = STRATA_BUF_INIT;

	ck_assert_int_eq(strata_schema_parse(&s, text, strlen(text)), 0);
	ck_assert_str_eq(s->kinds[0], "resident-id");
	ck_assert_ptr_null(s->kinds[1]);
	ck_assert_int_eq(strata_schema_write(&b, s), 0);
	ck_assert_str_eq(b.ptr, text);
	strata_schema_free(s);
	strata_buf_dispose(&b);
	ck_assert_int_lt(strata_schema_parse(&s, "{\"fields\":[{\"kind\":\"passport\",\"name\":\"id\",\"type\":\"string\"}],"
					     "\"format\":1,\"key\":[\"id\"]}", 84), 0);
	ck_assert_str_eq(strata_error_last(), "schema.json: field 'id': unknown kind (resident-id, mobile, date or text)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse_write_round_trip);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, type_inference_narrows);
	tcase_add_test(tc, kinds_check_resident_ids_mobiles_and_dates);
	tcase_add_test(tc, kinds_round_trip_and_unknown_ones_are_refused);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
