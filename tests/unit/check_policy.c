/* check_policy.c - policy parsing and validation, table-driven */
#include "fixture.h"
#include "strata/policy/policy.h"

#define HEAD "policy: p\nversion: 1\npurpose: test\nrecipients: {tiers: [street]}\n"

static const struct { const char *yaml; const char *err; } bad[] = {
	{ "policy: p\n  version: 1\n  - x\n", "'t.yaml':2:10: a ':' where none can be: a key is 'name: value' on a line of its own" },			/* YAML syntax */
	{ HEAD "datasets:\n  r:\n    fields:\n      a: blur\n", "'t.yaml':8:10: unknown transform 'blur'" },
	{ HEAD "datasets:\n  r:\n    fields:\n      a: {blur: 1}\n", "'t.yaml':8:10: unknown transform 'blur'" },
	{ HEAD "datasets:\n  r:\n    fields:\n      a: {mask: [1]}\n", "'t.yaml':8:17: mask takes [first, last]" },
	{ HEAD "datasets:\n  r:\n    fields:\n      a: {mask: [1, x]}\n", "mask last must be a whole number" },
	{ HEAD "datasets:\n  r:\n    fields:\n      a: {generalize: decade}\n", "'t.yaml':8:23: generalize takes" },
	{ HEAD "datasets:\n  r:\n    fields:\n      a: {generalize: {range: 0}}\n", "range width must be at least 1" },
	{ HEAD "datasets:\n  r:\n    fields:\n      a: {pseudonym: nobody}\n", "pseudonym scope must be" },
	{ HEAD "datasets:\n  r:\n    fields:\n      a: keep\n      a: drop\n", "'t.yaml':9:7: duplicate key 'a'" },
	{ "policy: p\nversion: 1\npurpose: x\npurpose: y\n", "'t.yaml':4:1: duplicate key 'purpose'" },	/* found by fuzzing */
	{ HEAD "datasets:\n  r:\n    filter: {a: [1, [2]]}\n    fields:\n      a: keep\n", "filter values: each entry" },
	{ HEAD "datasets:\n  r:\n    filter: {a: \"$recipient.\"}\n    fields:\n      a: keep\n", "$recipient.NAME" },
	{ HEAD "datasets:\n  r:\n    filter: {a: \"$recipient.Com munity\"}\n    fields:\n      a: keep\n", "$recipient.NAME" },
	{ HEAD "requests: [abc]\ndatasets:\n  r:\n    fields:\n      a: keep\n", "not a request id" },
	{ HEAD "datasets:\n  r:\n    colour: red\n    fields:\n      a: keep\n", "'t.yaml':7:5: unknown key 'colour' in dataset" },
	{ HEAD "datasets:\n  r: {}\n", "dataset 'r' has no fields" },
	{ HEAD "datasets:\n  ../r:\n    fields: {a: keep}\n", "invalid dataset name '../r'" },
	{ "policy: p\nversion: 1\nrecipients: {tiers: [street]}\ndatasets: {r: {fields: {a: keep}}}\n", "missing 'purpose'" },
	{ "policy: p\nversion: 1\npurpose: x\ndatasets: {r: {fields: {a: keep}}}\n", "missing 'recipients'" },
	{ "policy: p\nversion: 1\npurpose: x\nrecipients: {}\ndatasets: {r: {fields: {a: keep}}}\n", "recipients names nobody" },
	{ "policy: p\nversion: 1\npurpose: x\nrecipients: {tiers: [city]}\ndatasets: {r: {fields: {a: keep}}}\n", "unknown tier 'city'" },
	{ "policy: P Q\nversion: 1\n", "'t.yaml':1:9: policy name must be" },
	{ "policy: p\nversion: -3\n", "'t.yaml':2:10: version must be a whole number" },
	{ "policy: p\nversoin: 1\n", "'t.yaml':2:1: unknown key 'versoin'" },
	{ "- a\n- b\n", "'t.yaml':1:1: a policy is a mapping" },
	{ "", "'t.yaml': empty policy" },
	{ "policy: p\nversion: 1\npurpose: \"x\\nStrata-Source: 0000\"\n", "'t.yaml':3:10: purpose must be one line" },
	{ "policy: p\nversion: 1\npurpose: |\n  two\n  lines\n", "'t.yaml':3:10: purpose must be one line" },
	/* what the reader takes of YAML: no tags, one document, no null keys, no aliases, bounded nesting */
	{ "policy: p\nversion: 1\npurpose: !!binary aGVsbG8=\n", "'t.yaml':3:10: a tag ('tag:yaml.org,2002:binary')" },
	{ "policy: !local p\nversion: 1\n", "'t.yaml':1:9: a tag ('!local')" },
	{ HEAD "...\npolicy: q\n", "'t.yaml':6: text after the end of the policy" },
	{ HEAD "---\npolicy: q\n", "'t.yaml':5: a second document" },
	{ "policy: p\nversion: 1\n~: x\n", "'t.yaml':3:1: a key must be a name, not null ('~')" },
	{ "policy: p\nversion: 1\nnull: x\n", "'t.yaml':3:1: a key must be a name, not null ('null')" },
	{ "policy: p\nversion: 1\n?\n: x\n", "a key must be a name, not null ('')" },
	{ "x: &a [1]\ny: *a\n", "'t.yaml':1:4: an alias ('*name')" },
	{ "policy: p\nversion: 1\npurpose: [[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]\n", "'t.yaml':3: nested more than 16 deep" },
	{ "policy: p\nversion: 1\npurpose:\n - - - - - - - - - - - - - - - - x\n", "nested more than 16 deep" },
};

START_TEST(bad_policies_name_line_and_column)
{
	strata_policy *p = NULL;
	ck_assert_int_lt(strata_policy_parse(&p, "t.yaml", bad[_i].yaml, strlen(bad[_i].yaml)), 0);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(strata_error_last(), bad[_i].err) != NULL, "case %d: got '%s'", _i, strata_error_last());
}
END_TEST

/* 200 KB of '[' took libyaml's scanner a minute (its time grows with the square of the depth): refused at once, with its line */
START_TEST(deep_nesting_is_refused_before_parsing)
{
	size_t n = 200000;
	char *text = malloc(n + 64);
	strata_policy *p = NULL;

	ck_assert_ptr_nonnull(text);
	strcpy(text, "policy: p\nversion: 1\npurpose: ");
	memset(text + strlen(text), '[', n);
	text[strlen("policy: p\nversion: 1\npurpose: ") + n] = '\0';
	ck_assert_int_lt(strata_policy_parse(&p, "t.yaml", text, strlen(text)), 0);
	ck_assert_str_eq(strata_error_last(), "'t.yaml':3: nested more than 16 deep: a policy needs a few levels");
	/* brackets inside quotes and a plain scalar's text are not nesting */
	strcpy(text, HEAD "datasets:\n  r:\n    filter: {a: ['[[[[[[[[[[[[[[[[[[', \"{{{{{{{{{{{{{{{{{{{\"]}\n"
		     "    fields: {a: keep}\n# [[[[[[[[[[[[[[[[[[[[[[\n");
	ck_assert_msg(strata_policy_parse(&p, "t.yaml", text, strlen(text)) == 0, "%s", strata_error_last());
	strata_policy_free(p);
	free(text);
}
END_TEST

START_TEST(example_policies_parse)
{
	const char *files[] = { "community-to-street", "street-to-district", "district-to-province" };
	for (int i = 0; i < 3; i++) {
		char path[1024];
		strata_policy *p = NULL;
		snprintf(path, sizeof(path), "%s/policies/%s.yaml", TOP_SRCDIR, files[i]);
		ck_assert_msg(strata_policy_load(&p, path) == 0, "%s: %s", files[i], strata_error_last());
		ck_assert_str_eq(p->name, files[i]);
		ck_assert_ptr_nonnull(strata_policy_find(p, "residents"));
		ck_assert_ptr_null(strata_policy_find(p, "secret-dataset"));
		/* a received dataset, by its name or its ref, goes on under its last name's rules */
		ck_assert_ptr_eq(strata_policy_rules_for(p, "cn-a/residents"), strata_policy_find(p, "residents"));
		ck_assert_ptr_eq(strata_policy_rules_for(p, "st-x/cn-a/residents"), strata_policy_find(p, "residents"));
		ck_assert_ptr_eq(strata_policy_rules_for(p, "refs/strata/peers/st-x/cn-a/residents"),
				 strata_policy_find(p, "residents"));
		ck_assert_ptr_eq(strata_policy_rules_for(p, "residents"), strata_policy_find(p, "residents"));
		ck_assert_ptr_null(strata_policy_rules_for(p, "cn-a/secret-dataset"));
		ck_assert_ptr_null(strata_policy_rules_for(p, "residents/"));
		strata_policy_free(p);
	}
}
END_TEST

START_TEST(recipients_by_peer_and_tier)
{
	const char *y = "policy: p\nversion: 2\npurpose: x\nrecipients: {peers: [st-a], tiers: [district]}\n"
			"datasets: {r: {fields: {a: keep}}}\n";
	strata_policy *p = NULL;
	ck_assert_int_eq(strata_policy_parse(&p, "t.yaml", y, strlen(y)), 0);
	ck_assert(strata_policy_applies(p, "st-a", "street"));
	ck_assert(strata_policy_applies(p, "dx", "district"));
	ck_assert(!strata_policy_applies(p, "st-b", "street"));
	ck_assert_int_eq(p->version, 2);
	strata_policy_free(p);
}
END_TEST

static const struct { const char *fields; const char *err; } schema_bad[] = {
	{ "id: pseudonym\n      nope: keep\n", "'t.yaml':9:13: dataset 'r' has no field 'nope'" },
	{ "id: pseudonym\n      name: {generalize: year}\n", "generalize year needs a date, but field 'name' is string" },
	{ "id: pseudonym\n      name: {generalize: {range: 10}}\n", "generalize range needs an integer" },
	{ "id: drop\n      name: keep\n", "no key field is shared" },
	{ "name: keep\n", "no key field is shared" },
};

START_TEST(schema_mismatches_are_refused)
{
	char *names[] = { "id", "name", "born", "age" };
	char *types[] = { "string", "string", "date", "integer" };
	char *key[] = { "id" };
	strata_schema s = { .nfields = 4, .names = names, .types = types, .nkey = 1, .key = key };
	strata_policy *p = NULL;
	strata_buf y = STRATA_BUF_INIT;

	strata_buf_printf(&y, HEAD "datasets:\n  r:\n    fields:\n      %s", schema_bad[_i].fields);
	ck_assert_int_eq(strata_policy_parse(&p, "t.yaml", y.ptr, y.len), 0);
	ck_assert_int_lt(strata_policy_check_schema(p, &p->datasets[0], &s, 0), 0);
	ck_assert_msg(strstr(strata_error_last(), schema_bad[_i].err) != NULL, "case %d: got '%s'", _i,
		      strata_error_last());
	strata_policy_free(p);
	strata_buf_dispose(&y);
}
END_TEST

START_TEST(schema_fit_is_accepted)
{
	char *names[] = { "id", "name", "born", "age" };
	char *types[] = { "string", "string", "date", "integer" };
	char *key[] = { "id" };
	strata_schema s = { .nfields = 4, .names = names, .types = types, .nkey = 1, .key = key };
	const char *y = HEAD "datasets:\n  r:\n    filter: {name: [a, b]}\n    fields:\n"
			"      id: pseudonym\n      born: {generalize: month}\n      age: {generalize: {range: 10}}\n";
	strata_policy *p = NULL;
	ck_assert_int_eq(strata_policy_parse(&p, "t.yaml", y, strlen(y)), 0);
	ck_assert_int_eq(strata_policy_check_schema(p, &p->datasets[0], &s, 0), 0);
	strata_policy_free(p);
}
END_TEST

/* A field the data lacks (a tier below dropped it): an error for the officer, nothing to share for a view. */
START_TEST(schema_missing_field_in_views)
{
	char *names[] = { "id", "name" };
	char *types[] = { "string", "string" };
	char *key[] = { "id" };
	strata_schema s = { .nfields = 2, .names = names, .types = types, .nkey = 1, .key = key };
	const char *y = HEAD "datasets:\n  r:\n    fields:\n      id: pseudonym\n      income: keep\n";
	const char *f = HEAD "datasets:\n  r:\n    filter: {consent: [\"true\"]}\n    fields:\n      id: pseudonym\n";
	strata_policy *p = NULL;
	ck_assert_int_eq(strata_policy_parse(&p, "t.yaml", y, strlen(y)), 0);
	ck_assert_int_lt(strata_policy_check_schema(p, &p->datasets[0], &s, 0), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "dataset 'r' has no field 'income'"));
	ck_assert_int_eq(strata_policy_check_schema(p, &p->datasets[0], &s, STRATA_POLICY_MISSING_OK), 0);
	strata_policy_free(p);
	ck_assert_int_eq(strata_policy_parse(&p, "t.yaml", f, strlen(f)), 0);
	ck_assert_int_lt(strata_policy_check_schema(p, &p->datasets[0], &s, STRATA_POLICY_MISSING_OK), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "filter on unknown field 'consent'"));
	strata_policy_free(p);
}
END_TEST

static const struct {
	strata_transform_kind ka; long aa, ab;
	strata_transform_kind kb; long ba, bb;
	int want, unclear;
} cmp_cases[] = {
	{ STRATA_T_MASK, 3, 4, STRATA_T_KEEP, 0, 0, 1, 0 },
	{ STRATA_T_KEEP, 0, 0, STRATA_T_PSEUDONYM, 0, 0, -1, 0 },
	{ STRATA_T_MONTH, 0, 0, STRATA_T_YEAR, 0, 0, -1, 0 },
	{ STRATA_T_YEAR, 0, 0, STRATA_T_MONTH, 0, 0, 1, 0 },
	{ STRATA_T_RANGE, 1000, 0, STRATA_T_RANGE, 100, 0, 1, 0 },
	{ STRATA_T_PREFIX, 10, 0, STRATA_T_PREFIX, 6, 0, -1, 0 },
	{ STRATA_T_MASK, 1, 0, STRATA_T_MASK, 1, 0, 0, 0 },
	{ STRATA_T_MASK, 3, 0, STRATA_T_MASK, 0, 4, 1, 1 },
	{ STRATA_T_PREFIX, 3, 0, STRATA_T_MASK, 1, 1, 1, 1 },
	{ STRATA_T_PSEUDONYM, 1, 0, STRATA_T_PSEUDONYM, 0, 0, 1, 0 },	/* recipient -> federation */
};

START_TEST(rule_compare_table)
{
	strata_rule a = { "f", cmp_cases[_i].ka, cmp_cases[_i].aa, cmp_cases[_i].ab, 1, 1 };
	strata_rule b = { "f", cmp_cases[_i].kb, cmp_cases[_i].ba, cmp_cases[_i].bb, 1, 1 };
	int unclear, c = strata_policy_rule_compare(&a, &b, &unclear);
	ck_assert_msg(c == cmp_cases[_i].want && unclear == cmp_cases[_i].unclear,
		      "case %d: got %d (unclear %d)", _i, c, unclear);
	ck_assert_int_eq(strata_policy_rule_compare(NULL, &a, &unclear), a.kind == STRATA_T_DROP ? 0 : 1);
	ck_assert_int_eq(strata_policy_rule_compare(&a, NULL, &unclear), a.kind == STRATA_T_DROP ? 0 : -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, bad_policies_name_line_and_column, 0, sizeof(bad) / sizeof(*bad));
	tcase_add_test(tc, example_policies_parse);
	tcase_add_test(tc, deep_nesting_is_refused_before_parsing);
	tcase_add_test(tc, recipients_by_peer_and_tier);
	tcase_add_loop_test(tc, schema_mismatches_are_refused, 0, sizeof(schema_bad) / sizeof(*schema_bad));
	tcase_add_test(tc, schema_fit_is_accepted);
	tcase_add_test(tc, schema_missing_field_in_views);
	tcase_add_loop_test(tc, rule_compare_table, 0, sizeof(cmp_cases) / sizeof(*cmp_cases));
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
