/* check_name.c - the names strata accepts go safely into refs, paths and signed text */
#include "fixture.h"
#include "strata/format/name.h"

START_TEST(node_names)
{
	static const char *good[] = { "a", "cn-wangjiang-01", "0", "st-x" };
	static const char *bad[] = { "", "-a", "A", "a_b", "a/b", "..", "a b", "a.b", "张三",
		"0123456789012345678901234567890123456789012345678901234567890123" /* 64 */ };
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		ck_assert_msg(strata_name_node_valid(good[i]), "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(!strata_name_node_valid(bad[i]), "%s", bad[i]);
}
END_TEST

START_TEST(dataset_names)
{
	ck_assert(strata_name_dataset_valid("grid-events"));
	ck_assert(strata_name_dataset_valid("residents_2026"));
	ck_assert(!strata_name_dataset_valid("_x"));
	ck_assert(!strata_name_dataset_valid("../x"));
	ck_assert(!strata_name_dataset_valid("a/b"));
	ck_assert(!strata_name_dataset_valid(""));
}
END_TEST

START_TEST(tiers)
{
	static const char *t[] = { "community", "street", "district", "province", "department" };
	for (size_t i = 0; i < 5; i++)
		ck_assert(strata_name_tier_valid(t[i]));
	ck_assert(!strata_name_tier_valid("Street"));
	ck_assert(!strata_name_tier_valid("city"));
	ck_assert(!strata_name_tier_valid(""));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("name");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, node_names);
	tcase_add_test(tc, dataset_names);
	tcase_add_test(tc, tiers);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
