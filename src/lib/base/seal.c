/*
 * seal.c - see seal.h.  OpenSSL 3.0: EVP_PBE_scrypt and the
 * chacha20-poly1305 AEAD.
 */
#include "strata/base/seal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <string.h>

int strata_seal_fresh(unsigned char salt[STRATA_SEAL_SALT], unsigned char nonce[STRATA_SEAL_NONCE])
{
	if (RAND_bytes(salt, STRATA_SEAL_SALT) != 1 || RAND_bytes(nonce, STRATA_SEAL_NONCE) != 1)
		return strata_error_ssl("no randomness to seal with");
	return 0;
}

static int derive(unsigned char key[32], const char *pass, int log_n, const unsigned char *salt)
{
	if (log_n < 10 || log_n > STRATA_SEAL_LOG_N_MAX)
		return strata_error_setc(STRATA_EVERIFY, "scrypt cost 2^%d is outside 2^10..2^%d", log_n,
					 STRATA_SEAL_LOG_N_MAX);
	if (EVP_PBE_scrypt(pass, strlen(pass), salt, STRATA_SEAL_SALT, (uint64_t)1 << log_n, 8, 1,
			   ((uint64_t)1 << log_n) * 8 * 128 * 2, key, 32) != 1)
		return strata_error_ssl("scrypt failed");
	return 0;
}

int strata_seal_aead(strata_buf *out, int enc, const unsigned char key[32], const unsigned char nonce[12],
		     const void *aad, size_t aadlen, const void *data, size_t len)
{
	const unsigned char *in = data;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	size_t body = enc ? len : len - STRATA_SEAL_TAG;
	int n = 0, fin = 0, error = STRATA_ERROR;

	if (!ctx)
		return strata_error_ssl("out of memory");
	if (!enc && len < STRATA_SEAL_TAG) {
		error = strata_error_setc(STRATA_EVERIFY, "sealed data too short");
		goto done;
	}
	if (body > (size_t)INT32_MAX) {
		error = strata_error_set("too much to seal at once");
		goto done;
	}
	if ((error = strata_buf_grow(out, out->len + body + STRATA_SEAL_TAG + 1)) < 0)
		goto done;
	error = STRATA_ERROR;
	if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, STRATA_SEAL_NONCE, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1 ||
	    (aadlen && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1) ||
	    (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, STRATA_SEAL_TAG, (void *)(in + body)) != 1) ||
	    EVP_CipherUpdate(ctx, (unsigned char *)out->ptr + out->len, &n, in, (int)body) != 1) {
		strata_error_ssl("cannot seal");
		goto done;
	}
	if (EVP_CipherFinal_ex(ctx, (unsigned char *)out->ptr + out->len + n, &fin) != 1) {
		OPENSSL_cleanse(out->ptr + out->len, body);
		error = strata_error_setc(STRATA_EVERIFY, "the sealed data does not open: the wrong key (or passphrase), or it was changed");
		goto done;
	}
	out->len += (size_t)(n + fin);
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, STRATA_SEAL_TAG, out->ptr + out->len) != 1) {
		strata_error_ssl("cannot seal");
		goto done;
	}
	if (enc)
		out->len += STRATA_SEAL_TAG;
	out->ptr[out->len] = '\0';
	error = 0;
done:
	EVP_CIPHER_CTX_free(ctx);
	return error;
}

int strata_seal_pass(strata_buf *out, const char *pass, int log_n, const unsigned char salt[STRATA_SEAL_SALT],
		     const unsigned char nonce[STRATA_SEAL_NONCE], const void *aad, size_t aadlen,
		     const void *plain, size_t len)
{
	unsigned char key[32];
	int error;

	if ((error = derive(key, pass, log_n, salt)) == 0)
		error = strata_seal_aead(out, 1, key, nonce, aad, aadlen, plain, len);
	OPENSSL_cleanse(key, sizeof(key));
	return error;
}

int strata_unseal_pass(strata_buf *out, const char *pass, int log_n, const unsigned char salt[STRATA_SEAL_SALT],
		       const unsigned char nonce[STRATA_SEAL_NONCE], const void *aad, size_t aadlen,
		       const void *sealed, size_t len)
{
	unsigned char key[32];
	int error;

	if ((error = derive(key, pass, log_n, salt)) == 0 &&
	    (error = strata_seal_aead(out, 0, key, nonce, aad, aadlen, sealed, len)) == STRATA_EVERIFY)
		strata_error_setc(STRATA_EVERIFY, "wrong passphrase, or the sealed data was changed");
	OPENSSL_cleanse(key, sizeof(key));
	return error;
}
