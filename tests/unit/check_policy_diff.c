/*
 * check_policy_diff.c - every kind of change between two policy versions
 * is listed, with what it does: the filter edits one by one (the change
 * the count-only diff missed), purpose, recipients, datasets, each
 * transform and its parameters, pseudonym scope.
 */
#include "fixture.h"
#include "strata/policy/policy_diff.h"

#define BASE \
	"policy: p\nversion: 1\npurpose: casework\nrecipients:\n  tiers: [street]\ndatasets:\n" \
	"  residents:\n    filter:\n      consent: \"true\"\n    fields:\n      id: pseudonym\n" \
	"      name: {mask: [1, 0]}\n      phone: {mask: [3, 4]}\n      born: {generalize: month}\n      band: keep\n"

static strata_policy *parse(const char *text)
{
	strata_policy *p = NULL;
	ck_assert_msg(strata_policy_parse(&p, "t.yaml", text, strlen(text)) == 0, "%s", strata_error_last());
	return p;
}

/* The changes as "what field effect" lines; effect letters M(ore) L(ess) T(okens). */
static int collect(const strata_policy_change *c, void *payload)
{
	strata_buf_printf(payload, "%s %s %s%s%s|%s -> %s|%s\n", c->what, c->field ? c->field : "-",
			  c->effect & STRATA_PD_MORE ? "M" : "", c->effect & STRATA_PD_LESS ? "L" : "",
			  c->effect & STRATA_PD_TOKENS ? "T" : "", c->old_text, c->new_text, c->why);
	return 0;
}

static char *diff(const char *from, const char *to)
{
	static strata_buf out = STRATA_BUF_INIT;
	strata_policy *a = parse(from), *b = parse(to);
	strata_buf_clear(&out);
	ck_assert_int_ge(strata_policy_diff(a, b, collect, &out), 0);
	strata_policy_free(a);
	strata_policy_free(b);
	return out.ptr ? out.ptr : "";
}

/* BASE with one line replaced */
static char *edit(const char *from, const char *to)
{
	static char buf[4096];
	const char *at = strstr(BASE, from);
	ck_assert_ptr_nonnull(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - BASE), BASE, to, at + strlen(from));
	return buf;
}

START_TEST(the_same_policy_has_no_changes)
{
	ck_assert_str_eq(diff(BASE, BASE), "");
}
END_TEST

START_TEST(every_filter_edit)
{
	char *d;
	/* the regression: a value added to the one condition, the count unchanged */
	d = diff(BASE, edit("consent: \"true\"", "consent: [\"true\", \"false\"]"));
	ck_assert_str_eq(d, "filter consent M|\"true\" -> [\"true\", \"false\"]|rows with consent = \"false\" are now shared\n");
	/* a value replaced: one more, one less */
	d = diff(BASE, edit("consent: \"true\"", "consent: \"false\""));
	ck_assert_ptr_nonnull(strstr(d, "filter consent M|\"true\" -> \"false\"|rows with consent = \"false\" are now shared\n"));
	ck_assert_ptr_nonnull(strstr(d, "filter consent L|\"true\" -> \"false\"|rows with consent = \"true\" are no longer shared\n"));
	/* a value removed */
	d = diff(edit("consent: \"true\"", "consent: [\"true\", \"yes\"]"), BASE);
	ck_assert_str_eq(d, "filter consent L|[\"true\", \"yes\"] -> \"true\"|rows with consent = \"yes\" are no longer shared\n");
	/* a condition added narrows: less, never more */
	d = diff(BASE, edit("consent: \"true\"\n", "consent: \"true\"\n      band: [\"low\"]\n"));
	ck_assert_str_eq(d, "filter band L|(no condition) -> \"low\"|only rows with band = \"low\" are shared now\n");
	/* a condition removed widens */
	d = diff(BASE, edit("    filter:\n      consent: \"true\"\n", ""));
	ck_assert_str_eq(d, "filter consent M|\"true\" -> (no condition)|rows are no longer held to consent = \"true\": "
			    "every value of consent is now shared\n");
	/* a condition on another field: the old one gone (more), the new one (less) */
	d = diff(BASE, edit("consent: \"true\"", "status: \"true\""));
	ck_assert_ptr_nonnull(strstr(d, "filter consent M|"));
	ck_assert_ptr_nonnull(strstr(d, "filter status L|"));
}
END_TEST

START_TEST(purpose_recipients_and_datasets)
{
	char *d;
	d = diff(BASE, edit("purpose: casework", "purpose: marketing of insurance"));
	ck_assert_str_eq(d, "purpose - M|casework -> marketing of insurance|the data serves a purpose it was not shared for: "
			    "a new use needs its own basis\n");
	d = diff(BASE, edit("tiers: [street]", "tiers: [street, district]\n  peers: [dx-a]"));
	ck_assert_ptr_nonnull(strstr(d, "recipients - M| -> dx-a|peer dx-a now receives what the policy shares\n"));
	ck_assert_ptr_nonnull(strstr(d, "recipients - M| -> district|tier district now receives"));
	d = diff(edit("tiers: [street]", "tiers: [street, district]"), BASE);
	ck_assert_str_eq(d, "recipients - L|district -> |tier district no longer receives anything\n");
	d = diff(BASE, edit("      band: keep\n", "      band: keep\n  grid:\n    fields:\n      code: keep\n"));
	ck_assert_ptr_nonnull(strstr(d, "dataset - M|(not shared) -> shared|grid is now shared"));
	ck_assert_ptr_nonnull(strstr(d, "field code M|(not shared) -> keep|code is now shared (keep)\n"));
	d = diff(edit("      band: keep\n", "      band: keep\n  grid:\n    fields:\n      code: keep\n"), BASE);
	ck_assert_str_eq(d, "dataset - L|shared -> (not shared)|grid is no longer shared\n");
}
END_TEST

START_TEST(each_transform_and_its_parameters)
{
	char *d;
	d = diff(BASE, edit("phone: {mask: [3, 4]}", "phone: {mask: [3, 6]}"));
	ck_assert_str_eq(d, "field phone M|mask [3, 4] -> mask [3, 6]|phone shows more of each value\n");
	d = diff(BASE, edit("phone: {mask: [3, 4]}", "phone: {mask: [5, 2]}"));
	ck_assert_str_eq(d, "field phone ML|mask [3, 4] -> mask [5, 2]|phone shows other parts of the value: more of some, less of others\n");
	d = diff(BASE, edit("phone: {mask: [3, 4]}", "phone: keep"));
	ck_assert_str_eq(d, "field phone M|mask [3, 4] -> keep|phone shows more of each value\n");
	d = diff(BASE, edit("      phone: {mask: [3, 4]}\n", ""));
	ck_assert_str_eq(d, "field phone L|mask [3, 4] -> (not shared)|phone is no longer shared\n");
	d = diff(BASE, edit("      phone: {mask: [3, 4]}\n", "      phone: drop\n"));
	ck_assert_str_eq(d, "field phone L|mask [3, 4] -> (not shared)|phone is no longer shared\n");
	d = diff(BASE, edit("born: {generalize: month}", "born: {generalize: year}"));
	ck_assert_str_eq(d, "field born L|generalize month -> generalize year|born shows less of each value\n");
	d = diff(BASE, edit("band: keep", "band: {generalize: {range: 1000}}"));
	ck_assert_str_eq(d, "field band L|keep -> generalize range 1000|band shows less of each value\n");
	{
		char *wide = strdup(edit("band: keep", "band: {generalize: {range: 1000}}"));
		d = diff(wide, edit("band: keep", "band: {generalize: {range: 500}}"));
		free(wide);
	}
	ck_assert_str_eq(d, "field band M|generalize range 1000 -> generalize range 500|band shows more of each value\n");
	d = diff(BASE, edit("      band: keep\n", "      band: keep\n      email: {mask: [0, 4]}\n"));
	ck_assert_str_eq(d, "field email M|(not shared) -> mask [0, 4]|email is now shared (mask [0, 4])\n");
}
END_TEST

START_TEST(pseudonym_scope_changes_every_token)
{
	char *d;
	d = diff(BASE, edit("id: pseudonym", "id: {pseudonym: recipient}"));
	ck_assert_str_eq(d, "field id LT|pseudonym (node) -> pseudonym (recipient)|every token of id changes; "
			    "each recipient gets its own, which no two recipients can join on\n");
	d = diff(edit("id: pseudonym", "id: {pseudonym: recipient}"), BASE);
	ck_assert_ptr_nonnull(strstr(d, "field id MT|"));
	/* a token becoming the raw value */
	d = diff(BASE, edit("id: pseudonym", "id: keep"));
	ck_assert_str_eq(d, "field id M|pseudonym (node) -> keep|id shows more of each value\n");
}
END_TEST

START_TEST(min_k_both_ways)
{
	char *strict = strdup(edit("      band: keep\n", "      band: keep\n    min_k: 5\n"));
	char *d = diff(BASE, strict);
	ck_assert_str_eq(d, "min_k - L|(no min_k) -> min_k 5, suppress|records in classes smaller than 5 are no longer sent\n");
	d = diff(strict, BASE);
	ck_assert_str_eq(d, "min_k - M|min_k 5, suppress -> (no min_k)|records in smaller classes than before are sent\n");
	d = diff(strict, edit("      band: keep\n", "      band: keep\n    min_k: 3\n"));
	ck_assert_ptr_nonnull(strstr(d, "min_k - M|min_k 5, suppress -> min_k 3, suppress|"));
	d = diff(strict, edit("      band: keep\n", "      band: keep\n    min_k: 5\n    small_classes: refuse\n"));
	ck_assert_ptr_nonnull(strstr(d, "min_k - L|min_k 5, suppress -> min_k 5, refuse|"));
	free(strict);
}
END_TEST

START_TEST(counts_every_change)
{
	strata_policy *a = parse(BASE), *b = parse(edit("consent: \"true\"", "consent: \"false\""));
	ck_assert_int_eq(strata_policy_diff(a, b, NULL, NULL), 2);
	strata_policy_free(a);
	strata_policy_free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_diff");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, the_same_policy_has_no_changes);
	tcase_add_test(tc, every_filter_edit);
	tcase_add_test(tc, purpose_recipients_and_datasets);
	tcase_add_test(tc, each_transform_and_its_parameters);
	tcase_add_test(tc, pseudonym_scope_changes_every_token);
	tcase_add_test(tc, min_k_both_ways);
	tcase_add_test(tc, counts_every_change);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
