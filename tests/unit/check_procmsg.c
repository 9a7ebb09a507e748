/*
 * check_procmsg.c - process messages: signed and read back; a changed
 * byte, another key, a bad path or a bad body refused with its reason.
 */
#include "fixture.h"
#include "strata/format/procmsg.h"
#include "strata/base/enc.h"

#include <jansson.h>

static strata_key *key, *other;

static void setup(void)
{
	ck_assert_int_eq(strata_sign_key_generate(&key), 0);
	ck_assert_int_eq(strata_sign_key_generate(&other), 0);
}

static void teardown(void)
{
	strata_sign_key_free(key);
	strata_sign_key_free(other);
}

static json_t *request_body(const char *from, const char *purpose)
{
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:[s], s:s, s:s, s:i, s:i, s:i}", "kind", "request", "v", 1, "id",
			 "0123456789abcdef", "from", from, "owner", "cn-a", "dataset", "residents", "fields", "phone",
			 "purpose", purpose, "basis", "条例 第十条", "until", 0, "deadline", 1800000000, "time", 1790000000);
}

/* The envelope of `m` as JSON, to change and encode again. */
static json_t *envelope(const strata_procmsg *m, const char *add)
{
	strata_buf b64 = STRATA_BUF_INIT, raw = STRATA_BUF_INIT;
	json_t *env;

	ck_assert_int_eq(strata_procmsg_encode(&b64, m, add), 0);
	ck_assert_int_eq(strata_enc_unbase64(&raw, b64.ptr, b64.len), 0);
	env = json_loadb(raw.ptr, raw.len, 0, NULL);
	ck_assert_ptr_nonnull(env);
	strata_buf_dispose(&b64);
	strata_buf_dispose(&raw);
	return env;
}

/* Decodes envelope `env` (taken); returns the code, *msg the error. */
static int decode_env(json_t *env, strata_procmsg **out)
{
	char *text = json_dumps(env, JSON_COMPACT);
	strata_buf b64 = STRATA_BUF_INIT;
	int rc;

	ck_assert_int_eq(strata_enc_base64(&b64, (unsigned char *)text, strlen(text)), 0);
	rc = strata_procmsg_decode(out, "test", b64.ptr, b64.len);
	free(text);
	json_decref(env);
	strata_buf_dispose(&b64);
	return rc;
}

START_TEST(sign_and_read_back)
{
	strata_procmsg *m = NULL, *back = NULL;
	strata_buf b64 = STRATA_BUF_INIT;

	ck_assert_int_eq(strata_procmsg_sign(&m, request_body("pv-z", "核对联系方式"), key), 0);
	ck_assert_str_eq(m->origin, "pv-z");
	ck_assert_int_eq((int)m->nhops, 1);
	ck_assert_int_eq(strata_procmsg_encode(&b64, m, "dx-g"), 0);
	ck_assert_msg(strata_procmsg_decode(&back, "test", b64.ptr, b64.len) == 0, "%s", strata_error_last());
	ck_assert_int_eq(back->kind, STRATA_MSG_REQUEST);
	ck_assert_str_eq(back->id, m->id);	/* the same body: the same id, whatever the path */
	ck_assert_int_eq((int)back->nhops, 2);
	ck_assert_str_eq(back->hops[1], "dx-g");
	ck_assert_str_eq(strata_procmsg_str(back, "purpose"), "核对联系方式");
	ck_assert(strata_sign_pubkey_equal(&back->key, &m->key));
	strata_procmsg_free(back);
	strata_procmsg_free(m);
	strata_buf_dispose(&b64);
}
END_TEST

START_TEST(forgeries_refused)
{
	strata_procmsg *m = NULL, *o = NULL, *back = NULL;
	strata_buf k2 = STRATA_BUF_INIT;
	strata_pubkey pk;
	json_t *env;

	ck_assert_int_eq(strata_procmsg_sign(&m, request_body("pv-z", "a purpose"), key), 0);
	/* a changed body */
	env = envelope(m, NULL);
	{
		char *b = strdup(json_string_value(json_object_get(env, "body")));
		char *at = strstr(b, "a purpose");
		at[0] = 'A';
		json_object_set_new(env, "body", json_string(b));
		free(b);
	}
	ck_assert_int_eq(decode_env(env, &back), STRATA_EVERIFY);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "does not verify"));
	/* another key named in the envelope */
	env = envelope(m, NULL);
	strata_sign_key_public(&pk, other);
	ck_assert_int_eq(strata_sign_pubkey_format(&k2, &pk), 0);
	json_object_set_new(env, "key", json_string(k2.ptr));
	ck_assert_int_eq(decode_env(env, &back), STRATA_EVERIFY);
	/* a path that does not start at the origin, or names a node twice */
	env = envelope(m, NULL);
	json_object_set_new(env, "hops", json_pack("[s]", "dx-g"));
	ck_assert_int_lt(decode_env(env, &back), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "path is not valid"));
	env = envelope(m, "pv-z");
	ck_assert_int_lt(decode_env(env, &back), 0);
	/* an unknown key in the envelope */
	env = envelope(m, NULL);
	json_object_set_new(env, "extra", json_true());
	ck_assert_int_lt(decode_env(env, &back), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "unknown or missing key 'extra'"));
	/* bodies that do not pass: empty purpose, a field twice, a newline, an unknown kind */
	ck_assert_int_lt(strata_procmsg_sign(&o, request_body("pv-z", ""), key), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "purpose and basis"));
	ck_assert_int_lt(strata_procmsg_sign(&o, request_body("pv-z", "two\nlines"), key), 0);
	ck_assert_int_lt(strata_procmsg_sign(&o, json_pack("{s:s, s:i}", "kind", "gossip", "v", 1), key), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "unknown process message kind"));
	ck_assert_int_lt(strata_procmsg_sign(&o, json_pack("{s:s, s:i}", "kind", "request", "v", 2), key), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "unknown version"));
	{
		json_t *b = request_body("pv-z", "p");
		json_object_set_new(b, "fields", json_pack("[s,s]", "phone", "phone"));
		ck_assert_int_lt(strata_procmsg_sign(&o, b, key), 0);
	}
	/* not base64, and too long */
	ck_assert_int_lt(strata_procmsg_decode(&back, "test", "!!!!", 4), 0);
	ck_assert_int_lt(strata_procmsg_decode(&back, "test", "AAAA", STRATA_PROCMSG_MAX + 1), 0);
	ck_assert_ptr_null(back);
	strata_procmsg_free(m);
	strata_buf_dispose(&k2);
}
END_TEST

START_TEST(catalog_and_answer_bodies)
{
	strata_procmsg *m = NULL;
	json_t *cat = json_pack("{s:s, s:i, s:s, s:s, s:i, s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:[{s:s, s:s, s:s, "
				"s:s}]}]}", "kind", "catalog", "v", 1, "node", "cn-a", "tier", "community", "time", 5,
				"datasets", "name", "residents", "title", "居民", "description", "两行\n说明", "attribute",
				"open", "frequency", "daily", "contact", "officer", "records", 1200, "described", 1,
				"fields", "name", "phone", "label", "电话", "type", "string", "class", "sensitive");
	json_t *bad_attr;

	json_object_set_new(cat, "key", json_string(""));	/* decoding checks it is the signer's */
	bad_attr = json_deep_copy(cat);
	json_t *ans = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:i}", "kind", "answer", "v", 1,
				"request", "0123456789abcdef", "from", "cn-a", "role", "owner", "to", "pv-z", "decision",
				"refuse", "reason", "", "policy", "", "version", 0, "blob", "", "time", 7);

	ck_assert_msg(strata_procmsg_sign(&m, cat, key) == 0, "%s", strata_error_last());
	ck_assert_int_eq(m->kind, STRATA_MSG_CATALOG);
	ck_assert_str_eq(m->origin, "cn-a");
	strata_procmsg_free(m);
	m = NULL;
	json_object_set_new(json_array_get(json_object_get(bad_attr, "datasets"), 0), "attribute", json_string("maybe"));
	ck_assert_int_lt(strata_procmsg_sign(&m, bad_attr, key), 0);
	/* a refusal needs its reason */
	ck_assert_int_lt(strata_procmsg_sign(&m, ans, key), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "reason"));
	ck_assert_ptr_null(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("procmsg");
	TCase *tc = tcase_create("procmsg");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sign_and_read_back);
	tcase_add_test(tc, forgeries_refused);
	tcase_add_test(tc, catalog_and_answer_bodies);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
