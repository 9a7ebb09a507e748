/* check_rotation.c - key rotation statements: both signatures, the chain, every change refused */
#include "fixture.h"
#include "strata/format/rotation.h"

static strata_key *k1, *k2, *k3, *stranger;

static void setup(void)
{
	ck_assert_int_eq(strata_sign_key_generate(&k1), 0);
	ck_assert_int_eq(strata_sign_key_generate(&k2), 0);
	ck_assert_int_eq(strata_sign_key_generate(&k3), 0);
	ck_assert_int_eq(strata_sign_key_generate(&stranger), 0);
}

static void teardown(void)
{
	strata_sign_key_free(k1);
	strata_sign_key_free(k2);
	strata_sign_key_free(k3);
	strata_sign_key_free(stranger);
}

static void statement(strata_buf *out, const strata_key *from, const strata_key *to, int64_t t)
{
	strata_rotation r = { "cn-a", { { 0 } }, { { 0 } }, t };
	strata_sign_key_public(&r.old_key, from);
	strata_sign_key_public(&r.new_key, to);
	ck_assert_int_eq(strata_rotation_write(out, &r, from, to), 0);
}

START_TEST(round_trip)
{
	strata_buf s = STRATA_BUF_INIT;
	strata_rotation r;
	strata_pubkey p1, p2;
	statement(&s, k1, k2, 1700000000);
	ck_assert_int_eq(strata_rotation_parse(&r, s.ptr, s.len), 0);
	strata_sign_key_public(&p1, k1);
	strata_sign_key_public(&p2, k2);
	ck_assert(strata_sign_pubkey_equal(&r.old_key, &p1));
	ck_assert(strata_sign_pubkey_equal(&r.new_key, &p2));
	ck_assert_str_eq(r.node, "cn-a");
	ck_assert_int_eq(r.time, 1700000000);
	strata_buf_dispose(&s);
}
END_TEST

START_TEST(every_change_refused)
{
	strata_buf s = STRATA_BUF_INIT;
	strata_rotation r;
	statement(&s, k1, k2, 1700000000);
	/* any byte of the text: it no longer verifies, or no longer parses */
	for (size_t i = 0; i < s.len; i += 7) {
		char c = s.ptr[i];
		s.ptr[i] = c == 'A' ? 'B' : 'A';
		if (s.ptr[i] != c)
			ck_assert_msg(strata_rotation_parse(&r, s.ptr, s.len) < 0, "byte %zu changed, still accepted", i);
		s.ptr[i] = c;
	}
	ck_assert_int_lt(strata_rotation_parse(&r, s.ptr, s.len - 1), 0);
	ck_assert_int_lt(strata_rotation_parse(&r, s.ptr, 100), 0);
	strata_buf_dispose(&s);
}
END_TEST

START_TEST(signed_by_the_wrong_keys)
{
	strata_buf s = STRATA_BUF_INIT;
	strata_rotation r = { "cn-a", { { 0 } }, { { 0 } }, 1700000000 };
	/* names k1 -> k2, but signed by a stranger in k1's place */
	strata_sign_key_public(&r.old_key, k1);
	strata_sign_key_public(&r.new_key, k2);
	ck_assert_int_eq(strata_rotation_write(&s, &r, stranger, k2), 0);
	ck_assert_int_eq(strata_rotation_parse(&r, s.ptr, s.len), STRATA_EVERIFY);
	/* and without the new key's consent */
	strata_buf_clear(&s);
	strata_sign_key_public(&r.old_key, k1);
	strata_sign_key_public(&r.new_key, k2);
	ck_assert_int_eq(strata_rotation_write(&s, &r, k1, stranger), 0);
	ck_assert_int_eq(strata_rotation_parse(&r, s.ptr, s.len), STRATA_EVERIFY);
	strata_buf_dispose(&s);
}
END_TEST

START_TEST(chain)
{
	strata_buf s = STRATA_BUF_INIT;
	strata_rotation chain[8];
	strata_pubkey p1, p2, p3, ps;
	size_t n;
	statement(&s, k1, k2, 1700000000);
	statement(&s, k2, k3, 1700000100);
	strata_sign_key_public(&p1, k1);
	strata_sign_key_public(&p2, k2);
	strata_sign_key_public(&p3, k3);
	strata_sign_key_public(&ps, stranger);
	ck_assert_int_eq(strata_rotation_chain(s.ptr, s.len, "cn-a", &p1, &p3, 1700000200, chain, 8, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(strata_rotation_chain(s.ptr, s.len, "cn-a", &p2, &p3, 1700000200, chain, 8, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(strata_rotation_chain(s.ptr, s.len, "cn-a", &p3, &p3, 1700000200, chain, 8, &n), 0);
	ck_assert_uint_eq(n, 0);
	/* never backwards, never from a key no statement starts at */
	ck_assert_int_eq(strata_rotation_chain(s.ptr, s.len, "cn-a", &p3, &p1, 1700000200, chain, 8, &n), STRATA_EVERIFY);
	ck_assert_int_eq(strata_rotation_chain(s.ptr, s.len, "cn-a", &ps, &p3, 1700000200, chain, 8, &n), STRATA_EVERIFY);
	/* another node's statements, or from the future */
	ck_assert_int_eq(strata_rotation_chain(s.ptr, s.len, "cn-b", &p1, &p3, 1700000200, chain, 8, &n), STRATA_EVERIFY);
	ck_assert_int_eq(strata_rotation_chain(s.ptr, s.len, "cn-a", &p1, &p3, 1690000000, chain, 8, &n), STRATA_EVERIFY);
	strata_buf_dispose(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rotation");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, every_change_refused);
	tcase_add_test(tc, signed_by_the_wrong_keys);
	tcase_add_test(tc, chain);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
