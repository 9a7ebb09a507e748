/*
 * digest.c - see digest.h.
 */
#include "strata/base/digest.h"
#include "strata/base/error.h"

#include <pthread.h>
#include <string.h>
#include <openssl/crypto.h>

static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* Fetched once, kept for the process's life (reachable, so no leak report). */
static void fetch_sha256(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *md(void)
{
	pthread_once(&sha256_once, fetch_sha256);
	return sha256;
}

int strata_digest_sha256(unsigned char out[32], const void *data, size_t len)
{
	const EVP_MD *m = md();
	if (!m || EVP_Digest(data, len, out, NULL, m, NULL) != 1)
		return strata_error_ssl("SHA-256 failed");
	return 0;
}

int strata_hmac_key_init(strata_hmac_key *k, const unsigned char *key, size_t len)
{
	unsigned char pad[64];
	const EVP_MD *m = md();
	int ok;

	memset(k, 0, sizeof(*k));
	if (len > sizeof(pad))
		return strata_error_set("HMAC key longer than the block");
	if (!m || (k->inner = EVP_MD_CTX_new()) == NULL || (k->outer = EVP_MD_CTX_new()) == NULL) {
		strata_hmac_key_dispose(k);
		return strata_error_set("out of memory");
	}
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < len; i++)
		pad[i] ^= key[i];
	ok = EVP_DigestInit_ex(k->inner, m, NULL) == 1 && EVP_DigestUpdate(k->inner, pad, sizeof(pad)) == 1;
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < len; i++)
		pad[i] ^= key[i];
	ok = ok && EVP_DigestInit_ex(k->outer, m, NULL) == 1 && EVP_DigestUpdate(k->outer, pad, sizeof(pad)) == 1;
	OPENSSL_cleanse(pad, sizeof(pad));
	if (!ok) {
		strata_hmac_key_dispose(k);
		return strata_error_ssl("HMAC set-up failed");
	}
	return 0;
}

int strata_hmac_sha256(unsigned char out[32], const strata_hmac_key *k, const void *data, size_t len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char ih[32];
	int ok = c && EVP_MD_CTX_copy_ex(c, k->inner) == 1 && EVP_DigestUpdate(c, data, len) == 1 &&
		 EVP_DigestFinal_ex(c, ih, NULL) == 1 && EVP_MD_CTX_copy_ex(c, k->outer) == 1 &&
		 EVP_DigestUpdate(c, ih, sizeof(ih)) == 1 && EVP_DigestFinal_ex(c, out, NULL) == 1;

	OPENSSL_cleanse(ih, sizeof(ih));
	EVP_MD_CTX_free(c);	/* wipes its state */
	return ok ? 0 : strata_error_ssl("HMAC failed");
}

void strata_hmac_key_dispose(strata_hmac_key *k)
{
	EVP_MD_CTX_free(k->inner);
	EVP_MD_CTX_free(k->outer);
	k->inner = k->outer = NULL;
}
