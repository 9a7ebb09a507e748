/* check_seal.c - passphrase sealing: the documented construction, round trips, every change refused */
#include "fixture.h"
#include "strata/base/seal.h"

#include <openssl/evp.h>

static const char plain[] = "0123456789abcdef0123456789abcdef";
static const char aad[] = "strata policy secret v1\npolicy p\n";

static void seal(strata_buf *out, unsigned char *salt, unsigned char *nonce)
{
	ck_assert_int_eq(strata_seal_fresh(salt, nonce), 0);
	ck_assert_int_eq(strata_seal_pass(out, "correct horse", 10, salt, nonce, aad, strlen(aad), plain, 32), 0);
	ck_assert_uint_eq(out->len, 32 + STRATA_SEAL_TAG);
	ck_assert(memcmp(out->ptr, plain, 32) != 0);
}

START_TEST(round_trip)
{
	unsigned char salt[STRATA_SEAL_SALT], nonce[STRATA_SEAL_NONCE];
	strata_buf s = STRATA_BUF_INIT, o = STRATA_BUF_INIT;
	seal(&s, salt, nonce);
	ck_assert_int_eq(strata_unseal_pass(&o, "correct horse", 10, salt, nonce, aad, strlen(aad), s.ptr, s.len), 0);
	ck_assert_uint_eq(o.len, 32);
	ck_assert(memcmp(o.ptr, plain, 32) == 0);
	strata_buf_dispose(&s);
	strata_buf_dispose_secret(&o);
}
END_TEST

/* scrypt(pass, salt, 2^log_n, 8, 1) then ChaCha20-Poly1305 with aad: what seal.h says, by OpenSSL directly */
START_TEST(construction_as_documented)
{
	unsigned char salt[STRATA_SEAL_SALT], nonce[STRATA_SEAL_NONCE], key[32], out[64];
	strata_buf s = STRATA_BUF_INIT;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, fin;
	seal(&s, salt, nonce);
	ck_assert_int_eq(EVP_PBE_scrypt("correct horse", 13, salt, sizeof(salt), 1024, 8, 1, 64 << 20, key, 32), 1);
	ck_assert_int_eq(EVP_DecryptInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, nonce), 1);
	ck_assert_int_eq(EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)), 1);
	ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, s.ptr + 32), 1);
	ck_assert_int_eq(EVP_DecryptUpdate(ctx, out, &n, (const unsigned char *)s.ptr, 32), 1);
	ck_assert_int_eq(EVP_DecryptFinal_ex(ctx, out + n, &fin), 1);
	ck_assert_int_eq(n + fin, 32);
	ck_assert(memcmp(out, plain, 32) == 0);
	EVP_CIPHER_CTX_free(ctx);
	strata_buf_dispose(&s);
}
END_TEST

START_TEST(every_change_refused)
{
	unsigned char salt[STRATA_SEAL_SALT], nonce[STRATA_SEAL_NONCE];
	strata_buf s = STRATA_BUF_INIT, o = STRATA_BUF_INIT;
	char a2[sizeof(aad)];
	seal(&s, salt, nonce);
	ck_assert_int_eq(strata_unseal_pass(&o, "correct horsf", 10, salt, nonce, aad, strlen(aad), s.ptr, s.len), STRATA_EVERIFY);
	for (size_t i = 0; i < s.len; i++) {
		s.ptr[i] ^= 1;
		ck_assert_int_eq(strata_unseal_pass(&o, "correct horse", 10, salt, nonce, aad, strlen(aad), s.ptr, s.len),
				 STRATA_EVERIFY);
		s.ptr[i] ^= 1;
	}
	ck_assert_int_eq(o.len, 0);
	memcpy(a2, aad, sizeof(aad));
	a2[0] ^= 1;
	ck_assert_int_eq(strata_unseal_pass(&o, "correct horse", 10, salt, nonce, a2, strlen(a2), s.ptr, s.len), STRATA_EVERIFY);
	salt[3] ^= 1;
	ck_assert_int_eq(strata_unseal_pass(&o, "correct horse", 10, salt, nonce, aad, strlen(aad), s.ptr, s.len), STRATA_EVERIFY);
	salt[3] ^= 1;
	nonce[0] ^= 1;
	ck_assert_int_eq(strata_unseal_pass(&o, "correct horse", 10, salt, nonce, aad, strlen(aad), s.ptr, s.len), STRATA_EVERIFY);
	nonce[0] ^= 1;
	/* a truncated one, and a cost out of range */
	ck_assert_int_eq(strata_unseal_pass(&o, "correct horse", 10, salt, nonce, aad, strlen(aad), s.ptr, 15), STRATA_EVERIFY);
	ck_assert_int_eq(strata_unseal_pass(&o, "correct horse", 30, salt, nonce, aad, strlen(aad), s.ptr, s.len), STRATA_EVERIFY);
	ck_assert_int_eq(strata_unseal_pass(&o, "correct horse", 11, salt, nonce, aad, strlen(aad), s.ptr, s.len), STRATA_EVERIFY);
	ck_assert_int_eq(strata_unseal_pass(&o, "correct horse", 10, salt, nonce, aad, strlen(aad), s.ptr, s.len), 0);
	strata_buf_dispose(&s);
	strata_buf_dispose_secret(&o);
}
END_TEST

START_TEST(fresh_differs)
{
	unsigned char s1[STRATA_SEAL_SALT], n1[STRATA_SEAL_NONCE], s2[STRATA_SEAL_SALT], n2[STRATA_SEAL_NONCE];
	ck_assert_int_eq(strata_seal_fresh(s1, n1), 0);
	ck_assert_int_eq(strata_seal_fresh(s2, n2), 0);
	ck_assert(memcmp(s1, s2, sizeof(s1)) != 0);
	ck_assert(memcmp(n1, n2, sizeof(n1)) != 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seal");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, construction_as_documented);
	tcase_add_test(tc, every_change_refused);
	tcase_add_test(tc, fresh_differs);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
