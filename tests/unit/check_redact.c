/* check_redact.c - transforms, pseudonyms, record redaction, and a leak property */
#include "fixture.h"
#include "strata/policy/redact.h"
#include "strata/base/enc.h"
#include "strata/format/json.h"

#include <openssl/evp.h>

static const unsigned char SECRET[STRATA_SECRET_LEN] = "0123456789abcdef0123456789abcde";

static const struct {
	strata_transform_kind kind;
	long a, b;
	const char *in, *want;
} cases[] = {
	{ STRATA_T_KEEP, 0, 0, "张三", "张三" },
	{ STRATA_T_MASK, 1, 0, "张三丰", "张**" },
	{ STRATA_T_MASK, 3, 4, "13800001234", "138****1234" },
	{ STRATA_T_MASK, 1, 1, "张三", "张*" },		/* never reveals everything */
	{ STRATA_T_MASK, 5, 5, "ab", "a*" },
	{ STRATA_T_MASK, 0, 0, "abc", "***" },
	{ STRATA_T_MASK, 2, 2, "", "" },
	{ STRATA_T_YEAR, 0, 0, "1990-03-07", "1990" },
	{ STRATA_T_MONTH, 0, 0, "1990-03-07", "1990-03" },
	{ STRATA_T_YEAR, 0, 0, "March 1990", "" },	/* unreadable: nothing passes */
	{ STRATA_T_YEAR, 0, 0, "1990-03", "1990" },	/* a month from an upstream view */
	{ STRATA_T_MONTH, 0, 0, "1990-03", "" },
	{ STRATA_T_RANGE, 1000, 0, "4321", "4000-4999" },
	{ STRATA_T_RANGE, 10, 0, "0", "0-9" },
	{ STRATA_T_RANGE, 10, 0, "-3", "-10--1" },
	{ STRATA_T_RANGE, 10, 0, "12a", "" },
	{ STRATA_T_PREFIX, 10, 0, "浙江省杭州市翠苑街道古翠路274号", "浙江省杭州市翠苑街道" },
	{ STRATA_T_PREFIX, 3, 0, "ab", "ab" },
	{ STRATA_T_ID_REGION, 0, 0, "33010619900307123X", "330106-1990" },
	{ STRATA_T_ID_REGION, 0, 0, "12345", "" },
};

START_TEST(transform_table)
{
	strata_redactor r;
	strata_rule rule = { "f", cases[_i].kind, cases[_i].a, cases[_i].b, 1, 1 };
	strata_buf out = STRATA_BUF_INIT;

	ck_assert_int_eq(strata_redact_init(&r, NULL, NULL, "st-a", SECRET), 0);
	ck_assert_int_eq(strata_redact_value(&r, &rule, cases[_i].in, strlen(cases[_i].in), &out), 0);
	ck_assert_msg(strcmp(out.ptr ? out.ptr : "", cases[_i].want) == 0, "case %d: got '%s'", _i,
		      out.ptr ? out.ptr : "");
	strata_redact_dispose(&r);
	strata_buf_dispose(&out);
}
END_TEST

static char *token(const char *recipient, int per_recipient, const unsigned char *secret, const char *v)
{
	strata_redactor r;
	strata_rule rule = { "f", STRATA_T_PSEUDONYM, per_recipient, 0, 1, 1 };
	strata_buf out = STRATA_BUF_INIT;
	ck_assert_int_eq(strata_redact_init(&r, NULL, NULL, recipient, secret), 0);
	ck_assert_int_eq(strata_redact_value(&r, &rule, v, strlen(v), &out), 0);
	strata_redact_dispose(&r);
	return strata_buf_detach(&out);
}

START_TEST(pseudonyms_are_keyed_and_scoped)
{
	unsigned char other[STRATA_SECRET_LEN] = { 1 };
	char *a = token("st-a", 0, SECRET, "330106199003071234");
	char *a2 = token("st-a", 0, SECRET, "330106199003071234");
	char *fed_b = token("st-b", 0, SECRET, "330106199003071234");
	char *rec_a = token("st-a", 1, SECRET, "330106199003071234");
	char *rec_b = token("st-b", 1, SECRET, "330106199003071234");
	char *key2 = token("st-a", 0, other, "330106199003071234");
	char *next = token("st-a", 0, SECRET, "330106199003071235");
	unsigned char sha[32];
	char hex[65];

	ck_assert_uint_eq(strlen(a), 17);
	ck_assert_str_eq(a, a2);		/* stable */
	ck_assert_str_eq(a, fed_b);		/* federation scope: joinable */
	ck_assert_str_ne(rec_a, rec_b);		/* recipient scope: not linkable */
	ck_assert_str_ne(a, rec_a);
	ck_assert_str_ne(a, key2);		/* depends on the secret */
	ck_assert_str_ne(a, next);
	/* not a plain hash of the value */
	EVP_Digest("330106199003071234", 18, sha, NULL, EVP_sha256(), NULL);
	strata_enc_hex(hex, sha, 32);
	ck_assert_ptr_null(strstr(hex, a + 1));
	free(a); free(a2); free(fed_b); free(rec_a); free(rec_b); free(key2); free(next);
}
END_TEST

START_TEST(record_filter_and_default_deny)
{
	strata_policy_dataset pd = { 0 };
	strata_rule rules[] = { { "id", STRATA_T_PSEUDONYM, 0, 0, 1, 1 }, { "name", STRATA_T_MASK, 1, 0, 1, 1 },
				{ "phone", STRATA_T_DROP, 0, 0, 1, 1 } };
	char *yes[] = { "true" };
	strata_filter flt = { "consent", yes, 1, NULL, 1, 1 };
	const char *in1 = "{\"consent\":\"true\",\"id\":\"1\",\"name\":\"张三\",\"phone\":\"138\",\"secret\":\"x\"}";
	const char *in2 = "{\"consent\":\"false\",\"id\":\"2\",\"name\":\"李四\",\"phone\":\"139\",\"secret\":\"y\"}";
	strata_record *r1 = NULL, *r2 = NULL;
	strata_redactor r;
	strata_buf out = STRATA_BUF_INIT;
	int kept;

	pd.name = "d";
	pd.rules = rules;
	pd.nrules = 3;
	pd.filters = &flt;
	pd.nfilters = 1;
	ck_assert_int_eq(strata_json_record_parse(&r1, in1, strlen(in1)), 0);
	ck_assert_int_eq(strata_json_record_parse(&r2, in2, strlen(in2)), 0);
	ck_assert_int_eq(strata_redact_init(&r, NULL, &pd, "st-a", SECRET), 0);
	ck_assert_int_eq(strata_redact_record(&r, r1, &out, &kept), 0);
	ck_assert_int_eq(kept, 1);
	ck_assert(strncmp(out.ptr, "{\"id\":\"p", 8) == 0);
	ck_assert_ptr_nonnull(strstr(out.ptr, ",\"name\":\"张*\"}"));
	ck_assert_ptr_null(strstr(out.ptr, "phone"));	/* dropped */
	ck_assert_ptr_null(strstr(out.ptr, "secret"));	/* not named: dropped */
	ck_assert_ptr_null(strstr(out.ptr, "consent"));
	strata_buf_clear(&out);
	ck_assert_int_eq(strata_redact_record(&r, r2, &out, &kept), 0);
	ck_assert_int_eq(kept, 0);
	/* the same from the line itself */
	{
		strata_buf again = STRATA_BUF_INIT, first = STRATA_BUF_INIT;
		ck_assert_int_eq(strata_redact_record(&r, r1, &first, &kept), 0);
		ck_assert_int_eq(strata_redact_line(&r, in1, strlen(in1), &again, &kept), 0);
		ck_assert_int_eq(kept, 1);
		ck_assert_str_eq(again.ptr, first.ptr);
		ck_assert_int_eq(strata_redact_line(&r, in2, strlen(in2), &again, &kept), 0);
		ck_assert_int_eq(kept, 0);
		ck_assert_int_lt(strata_redact_line(&r, "{\"id\":1}", 8, &again, &kept), 0);	/* not a record line */
		strata_buf_dispose(&again);
		strata_buf_dispose(&first);
	}
	strata_redact_dispose(&r);
	strata_json_record_free(r1);
	strata_json_record_free(r2);
	strata_buf_dispose(&out);
}
END_TEST

/*
 * Leak property: random records and random rules; no 6-character (or
 * longer) substring of a dropped or pseudonymized value may appear in the
 * redacted record.  (The view-level property over whole repositories comes
 * with view building.)
 */
static void random_value(char *buf, size_t size, unsigned *seed)
{
	static const char *parts[] = { "张", "三", "李", "四", "王", "a", "b", "c", "x", "y", "z",
				       "1", "2", "3", "\"", "\\", "\n", ",", " ", "浙江", "省" };
	size_t len = 0, n = 6 + (size_t)rand_r(seed) % 14;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *p = parts[rand_r(seed) % 21];
		if (len + strlen(p) + 1 >= size)
			break;
		strcat(buf, p);
		len += strlen(p);
	}
}

static int leaks(const char *out, const char *v)
{
	size_t n = strlen(v);
	char sub[256];
	if (n < 6)
		return strstr(out, v) != NULL && n >= 4;
	for (size_t i = 0; i + 6 <= n; i++) {
		memcpy(sub, v + i, 6);
		sub[6] = '\0';
		if (strstr(out, sub))
			return 1;
	}
	return 0;
}

/* a filter per recipient: "$recipient.community", what node.conf states of the peer */
START_TEST(recipient_filter)
{
	strata_policy_dataset pd = { 0 };
	strata_rule rules[] = { { "community", STRATA_T_KEEP, 0, 0, 1, 1 }, { "event", STRATA_T_KEEP, 0, 0, 1, 1 } };
	char *mine[] = { "$recipient.community" };
	strata_filter flt = { "community", mine, 1, NULL, 1, 1 };
	const char *wj = "{\"community\":\"望江社区\",\"event\":\"1\"}", *jj = "{\"community\":\"近江社区\",\"event\":\"2\"}";
	strata_redactor r;
	strata_buf out = STRATA_BUF_INIT, tr = STRATA_BUF_INIT;
	int kept;

	pd.name = "grid-events";
	pd.rules = rules;
	pd.nrules = 2;
	pd.filters = &flt;
	pd.nfilters = 1;
	ck_assert_int_eq(strata_redact_init(&r, NULL, &pd, "cn-wj", SECRET), 0);
	ck_assert_int_eq(r.needs_recipient, 1);
	/* nobody said who the recipient is: nothing is shared by guess */
	ck_assert_int_lt(strata_redact_line(&r, wj, strlen(wj), &out, &kept), 0);
	ck_assert_int_lt(strata_redact_recipient(&r, "cn-wj", "street=望江街道"), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "--attr community=VALUE"));
	ck_assert_int_lt(strata_redact_recipient(&r, "cn-wj", "community"), 0);
	ck_assert_int_eq(strata_redact_recipient(&r, "cn-wj", " street=望江街道; community=望江社区 "), 0);
	ck_assert_int_eq(strata_redact_line(&r, wj, strlen(wj), &out, &kept), 0);
	ck_assert_int_eq(kept, 1);
	ck_assert_int_eq(strata_redact_line(&r, jj, strlen(jj), &out, &kept), 0);
	ck_assert_int_eq(kept, 0);	/* another community's row */
	/* what the view's trailer records: only the attributes the filters use */
	ck_assert_int_eq(strata_redact_recipient_filter(&r, &tr), 0);
	ck_assert_str_eq(tr.ptr, "community=望江社区");
	/* a literal "$recipient" value elsewhere stays literal: only the prefix with a name counts */
	ck_assert_int_eq(strata_redact_recipient_value("$recipient", NULL), 0);
	strata_redact_dispose(&r);
	strata_buf_dispose(&out);
	strata_buf_dispose(&tr);
}
END_TEST

START_TEST(no_dropped_or_pseudonymized_value_leaks)
{
	unsigned seed = 20261122;
	for (int round = 0; round < 1000; round++) {
		char names[6][8], vals[6][128];
		char *np[6], *vp[6];
		size_t order[6], n = 2 + (size_t)rand_r(&seed) % 5;
		strata_rule rules[6];
		strata_policy_dataset pd = { 0 };
		strata_buf line = STRATA_BUF_INIT, out = STRATA_BUF_INIT, json_out = STRATA_BUF_INIT;
		strata_record *rec = NULL;
		strata_redactor r;
		int kept;

		for (size_t i = 0; i < n; i++) {
			snprintf(names[i], sizeof(names[i]), "f%zu", i);
			random_value(vals[i], sizeof(vals[i]), &seed);
			np[i] = names[i];
			vp[i] = vals[i];
			rules[i].field = names[i];
			rules[i].kind = (strata_transform_kind)(rand_r(&seed) % 3);	/* keep, drop, pseudonym */
			rules[i].a = rand_r(&seed) % 2;
			rules[i].b = 0;
		}
		/* some fields get no rule at all: default deny */
		pd.rules = rules;
		pd.nrules = n - (size_t)rand_r(&seed) % 2;
		strata_json_sort_names(order, np, n);
		ck_assert_int_eq(strata_json_put_record(&line, np, vp, NULL, order, n), 0);
		ck_assert_int_eq(strata_json_record_parse(&rec, line.ptr, line.len), 0);
		ck_assert_int_eq(strata_redact_init(&r, NULL, &pd, "st-a", SECRET), 0);
		ck_assert_int_eq(strata_redact_record(&r, rec, &out, &kept), 0);
		ck_assert_int_eq(kept, 1);
		/* compare against the decoded output too, so escaping cannot hide a leak */
		{
			strata_record *o = NULL;
			ck_assert_int_eq(strata_json_record_parse(&o, out.ptr, out.len), 0);
			for (size_t i = 0; i < o->n; i++)
				strata_buf_printf(&json_out, "%s=%s\n", o->names[i], o->values[i]);
			strata_json_record_free(o);
		}
		for (size_t i = 0; i < n; i++) {
			int hidden = i >= pd.nrules || rules[i].kind != STRATA_T_KEEP;
			int shared_elsewhere = 0;
			for (size_t k = 0; k < pd.nrules; k++)
				if (k != i && rules[k].kind == STRATA_T_KEEP && leaks(vals[k], vals[i]))
					shared_elsewhere = 1;	/* the same text is kept in another field */
			if (hidden && !shared_elsewhere)
				ck_assert_msg(!leaks(json_out.ptr ? json_out.ptr : "", vals[i]) && !leaks(out.ptr, vals[i]),
					      "round %d: value of %s leaked: %s", round, names[i], out.ptr);
		}
		strata_redact_dispose(&r);
		strata_json_record_free(rec);
		strata_buf_dispose(&line);
		strata_buf_dispose(&out);
		strata_buf_dispose(&json_out);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("redact");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, transform_table, 0, sizeof(cases) / sizeof(*cases));
	tcase_add_test(tc, pseudonyms_are_keyed_and_scoped);
	tcase_add_test(tc, record_filter_and_default_deny);
	tcase_add_test(tc, no_dropped_or_pseudonymized_value_leaks);
	tcase_add_test(tc, recipient_filter);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
