/* check_digest.c - SHA-256 and HMAC-SHA256: known answers, agreement with OpenSSL's one-shot HMAC, threads */
#include "fixture.h"
#include "strata/base/digest.h"
#include "strata/base/enc.h"

#include <pthread.h>
#include <openssl/hmac.h>

static void hex(char out[65], const unsigned char h[32])
{
	strata_enc_hex(out, h, 32);
}

START_TEST(sha256_known_answer)
{
	unsigned char h[32];
	char x[65];
	ck_assert_int_eq(strata_digest_sha256(h, "abc", 3), 0);
	hex(x, h);
	ck_assert_str_eq(x, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");	/* FIPS 180-2 */
}
END_TEST

START_TEST(hmac_rfc4231)
{
	unsigned char key[20], h[32];
	char x[65];
	strata_hmac_key k;
	memset(key, 0x0b, sizeof(key));
	ck_assert_int_eq(strata_hmac_key_init(&k, key, sizeof(key)), 0);
	ck_assert_int_eq(strata_hmac_sha256(h, &k, "Hi There", 8), 0);
	hex(x, h);
	ck_assert_str_eq(x, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");	/* test case 1 */
	/* the same key, used again: the states are copied, never consumed */
	ck_assert_int_eq(strata_hmac_sha256(h, &k, "Hi There", 8), 0);
	hex(x, h);
	ck_assert_str_eq(x, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	strata_hmac_key_dispose(&k);
	ck_assert_ptr_null(k.inner);
}
END_TEST

START_TEST(hmac_agrees_with_openssl)
{
	unsigned seed = 3;
	for (int t = 0; t < 200; t++) {
		unsigned char key[64], msg[300], a[32], b[32];
		size_t klen = (size_t)rand_r(&seed) % 65, mlen = (size_t)rand_r(&seed) % sizeof(msg);
		unsigned int n = 32;
		strata_hmac_key k;
		for (size_t i = 0; i < sizeof(key); i++)
			key[i] = (unsigned char)rand_r(&seed);
		for (size_t i = 0; i < mlen; i++)
			msg[i] = (unsigned char)rand_r(&seed);
		ck_assert_int_eq(strata_hmac_key_init(&k, key, klen), 0);
		ck_assert_int_eq(strata_hmac_sha256(a, &k, msg, mlen), 0);
		ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)klen, msg, mlen, b, &n));
		ck_assert_msg(!memcmp(a, b, 32), "key %zu bytes, message %zu bytes", klen, mlen);
		strata_hmac_key_dispose(&k);
	}
}
END_TEST

START_TEST(hmac_key_too_long)
{
	unsigned char key[65] = { 0 };
	strata_hmac_key k;
	ck_assert_int_lt(strata_hmac_key_init(&k, key, sizeof(key)), 0);
	ck_assert_ptr_null(k.inner);
}
END_TEST

/* two threads share one key, as the view's redaction threads do */
static strata_hmac_key shared;
static void *hmac_many(void *arg)
{
	unsigned char h[32], want[32];
	unsigned int n = 32;
	unsigned char key[32];
	memset(key, 7, sizeof(key));
	for (int i = 0; i < 20000; i++) {
		char msg[32];
		int len = snprintf(msg, sizeof(msg), "%d-%d", (int)(intptr_t)arg, i);
		if (strata_hmac_sha256(h, &shared, msg, (size_t)len) < 0 ||
		    !HMAC(EVP_sha256(), key, 32, (unsigned char *)msg, (size_t)len, want, &n) || memcmp(h, want, 32))
			return (void *)1;
	}
	return NULL;
}

START_TEST(hmac_key_shared_by_threads)
{
	unsigned char key[32];
	pthread_t a, b;
	void *ra, *rb;
	memset(key, 7, sizeof(key));
	ck_assert_int_eq(strata_hmac_key_init(&shared, key, sizeof(key)), 0);
	ck_assert_int_eq(pthread_create(&a, NULL, hmac_many, (void *)1), 0);
	ck_assert_int_eq(pthread_create(&b, NULL, hmac_many, (void *)2), 0);
	pthread_join(a, &ra);
	pthread_join(b, &rb);
	ck_assert_ptr_null(ra);
	ck_assert_ptr_null(rb);
	strata_hmac_key_dispose(&shared);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, sha256_known_answer);
	tcase_add_test(tc, hmac_rfc4231);
	tcase_add_test(tc, hmac_agrees_with_openssl);
	tcase_add_test(tc, hmac_key_too_long);
	tcase_add_test(tc, hmac_key_shared_by_threads);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
