/*
 * check_risk.c - k-anonymity and l-diversity figures on small cases
 * counted by hand.
 */
#include "fixture.h"
#include "strata/policy/risk.h"

static void add(strata_risk_acc *a, const char *line)
{
	ck_assert_int_eq(strata_risk_add(a, line, strlen(line)), 0);
}

START_TEST(a_hand_counted_case)
{
	/*
	 * gender, year -> classes:   F 1980: 3 records (bands a, a, b)
	 *                            M 1980: 2 records (bands c, c)
	 *                            M 1990: 1 record  (band a)
	 * min k 1, 1 unique, 6 below 5, avg risk 3/6; l: 2, 1, 1 -> min 1, two classes of l = 1
	 */
	char *qi[] = { "gender", "year" };
	strata_risk_acc *a = NULL;
	strata_risk r;

	ck_assert_int_eq(strata_risk_new(&a, qi, 2, "band"), 0);
	add(a, "{\"band\":\"a\",\"gender\":\"F\",\"id\":\"1\",\"year\":\"1980\"}");
	add(a, "{\"band\":\"a\",\"gender\":\"F\",\"id\":\"2\",\"year\":\"1980\"}");
	add(a, "{\"band\":\"b\",\"gender\":\"F\",\"id\":\"3\",\"year\":\"1980\"}");
	add(a, "{\"band\":\"c\",\"gender\":\"M\",\"id\":\"4\",\"year\":\"1980\"}");
	add(a, "{\"band\":\"c\",\"gender\":\"M\",\"id\":\"5\",\"year\":\"1980\"}");
	add(a, "{\"band\":\"a\",\"gender\":\"M\",\"id\":\"6\",\"year\":\"1990\"}");
	ck_assert_int_eq(strata_risk_finish(a, 0, &r), 0);
	ck_assert_uint_eq(r.records, 6);
	ck_assert_uint_eq(r.classes, 3);
	ck_assert_uint_eq(r.min_k, 1);
	ck_assert_uint_eq(r.unique, 1);
	ck_assert_uint_eq(r.below_5, 6);
	ck_assert_double_eq_tol(r.max_risk, 1.0, 1e-9);
	ck_assert_double_eq_tol(r.avg_risk, 0.5, 1e-9);
	ck_assert(r.has_l);
	ck_assert_uint_eq(r.min_l, 1);
	ck_assert_uint_eq(r.l_1, 2);
	/* min_k 2 suppresses the class of one; min_k 3 also the class of two */
	ck_assert_int_eq(strata_risk_finish(a, 2, &r), 0);
	ck_assert_uint_eq(r.suppressed, 1);
	ck_assert_uint_eq(r.records, 5);
	ck_assert_uint_eq(r.classes, 2);
	ck_assert_uint_eq(r.min_k, 2);
	ck_assert_uint_eq(r.unique, 0);
	ck_assert_int_eq(strata_risk_finish(a, 3, &r), 0);
	ck_assert_uint_eq(r.suppressed, 3);
	ck_assert_uint_eq(r.records, 3);
	ck_assert_uint_eq(r.min_k, 3);
	ck_assert_double_eq_tol(r.avg_risk, 1.0 / 3, 1e-9);
	ck_assert_int_eq(strata_risk_finish(a, 10, &r), 0);
	ck_assert_uint_eq(r.suppressed, 6);
	ck_assert_uint_eq(r.records, 0);
	strata_risk_free(a);
}
END_TEST

START_TEST(larger_classes_and_no_sensitive_field)
{
	/* 10 records, gender only: 5 F, 5 M -> k = 5 everywhere, nothing below 5 */
	char *qi[] = { "gender" };
	strata_risk_acc *a = NULL;
	strata_risk r;
	char line[64];

	ck_assert_int_eq(strata_risk_new(&a, qi, 1, NULL), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(line, sizeof(line), "{\"gender\":\"%s\",\"id\":\"%d\"}", i % 2 ? "F" : "M", i);
		add(a, line);
	}
	ck_assert_int_eq(strata_risk_finish(a, 0, &r), 0);
	ck_assert_uint_eq(r.classes, 2);
	ck_assert_uint_eq(r.min_k, 5);
	ck_assert_uint_eq(r.unique, 0);
	ck_assert_uint_eq(r.below_5, 0);
	ck_assert_double_eq_tol(r.max_risk, 0.2, 1e-9);
	ck_assert_double_eq_tol(r.avg_risk, 0.2, 1e-9);
	ck_assert(!r.has_l);
	strata_risk_free(a);
}
END_TEST

START_TEST(values_do_not_run_together)
{
	/* "ab" + "c" and "a" + "bc" are different classes; a missing field is an empty value */
	char *qi[] = { "x", "y" };
	strata_risk_acc *a = NULL;
	strata_risk r;

	ck_assert_int_eq(strata_risk_new(&a, qi, 2, NULL), 0);
	add(a, "{\"x\":\"ab\",\"y\":\"c\"}");
	add(a, "{\"x\":\"a\",\"y\":\"bc\"}");
	add(a, "{\"x\":\"a\"}");
	add(a, "{\"x\":\"a\",\"y\":\"\"}");
	ck_assert_int_eq(strata_risk_finish(a, 0, &r), 0);
	ck_assert_uint_eq(r.classes, 3);
	ck_assert_uint_eq(r.unique, 2);
	ck_assert_uint_eq(r.min_k, 1);
	strata_risk_free(a);
	/* no records: all zero */
	ck_assert_int_eq(strata_risk_new(&a, qi, 2, NULL), 0);
	ck_assert_int_eq(strata_risk_finish(a, 0, &r), 0);
	ck_assert_uint_eq(r.records, 0);
	strata_risk_free(a);
}
END_TEST

START_TEST(pooled_values)
{
	/* four people given by the values of two views pooled into one tuple: each alone in its class */
	char *a1[] = { "F", "1950" }, *a2[] = { "F", "1960" }, *a3[] = { "M", "1950" }, *a4[] = { "M", "1960" };
	char *b1[] = { "F", "1950", "low" }, *b2[] = { "F", "1960", "high" };
	size_t l2[] = { 1, 4 }, l3[] = { 1, 4, 4 };
	strata_risk_acc *a = NULL;
	strata_risk r;

	ck_assert_int_eq(strata_risk_new(&a, NULL, 0, NULL), 0);
	ck_assert_int_eq(strata_risk_add_values(a, a1, l2, 2), 0);
	ck_assert_int_eq(strata_risk_add_values(a, a2, l2, 2), 0);
	ck_assert_int_eq(strata_risk_add_values(a, a3, l2, 2), 0);
	ck_assert_int_eq(strata_risk_add_values(a, a4, l2, 2), 0);
	ck_assert_int_eq(strata_risk_finish(a, 0, &r), 0);
	ck_assert_uint_eq(r.unique, 4);
	strata_risk_free(a);
	/* a value never runs into the next: "F"+"1950" is not "F1"+"950" */
	ck_assert_int_eq(strata_risk_new(&a, NULL, 0, NULL), 0);
	ck_assert_int_eq(strata_risk_add_values(a, b1, l3, 3), 0);
	ck_assert_int_eq(strata_risk_add_values(a, b1, l3, 3), 0);
	ck_assert_int_eq(strata_risk_add_values(a, b2, l3, 3), 0);
	ck_assert_int_eq(strata_risk_finish(a, 0, &r), 0);
	ck_assert_uint_eq(r.classes, 2);
	ck_assert_uint_eq(r.min_k, 1);
	ck_assert_uint_eq(r.unique, 1);
	strata_risk_free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("risk");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, a_hand_counted_case);
	tcase_add_test(tc, larger_classes_and_no_sensitive_field);
	tcase_add_test(tc, values_do_not_run_together);
	tcase_add_test(tc, pooled_values);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
