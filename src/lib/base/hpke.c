/*
 * hpke.c - see hpke.h.  Names follow RFC 9180: LabeledExtract,
 * LabeledExpand, ExtractAndExpand, KeySchedule.
 */
#include "strata/base/hpke.h"
#include "strata/base/digest.h"
#include "strata/base/seal.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

static const unsigned char kem_suite[5] = { 'K', 'E', 'M', 0x00, 0x20 };
static const unsigned char hpke_suite[10] = { 'H', 'P', 'K', 'E', 0x00, 0x20, 0x00, 0x01, 0x00, 0x03 };

/* HKDF-Extract (RFC 5869): HMAC-SHA256 keyed by the salt (empty: 32 zero bytes, the same key to HMAC). */
static int extract(unsigned char prk[32], const unsigned char *salt, size_t saltlen, const strata_buf *ikm)
{
	strata_hmac_key k;
	int error;

	if ((error = strata_hmac_key_init(&k, salt, saltlen)) < 0)
		return error;
	error = strata_hmac_sha256(prk, &k, ikm->ptr ? ikm->ptr : "", ikm->len);
	strata_hmac_key_dispose(&k);
	return error;
}

/* HKDF-Expand, L at most 255 * 32. */
static int expand(unsigned char *out, size_t L, const unsigned char prk[32], const strata_buf *info)
{
	strata_hmac_key k;
	strata_buf t = STRATA_BUF_INIT;
	unsigned char block[32];
	size_t done = 0;
	int error;

	if ((error = strata_hmac_key_init(&k, prk, 32)) < 0)
		return error;
	for (unsigned char i = 1; !error && done < L; i++) {
		strata_buf_clear(&t);
		if (i > 1)
			error = strata_buf_put(&t, block, 32);
		if (!error && (error = strata_buf_put(&t, info->ptr ? info->ptr : "", info->len)) == 0 &&
		    (error = strata_buf_put(&t, &i, 1)) == 0 && (error = strata_hmac_sha256(block, &k, t.ptr, t.len)) == 0) {
			size_t n = L - done < 32 ? L - done : 32;
			memcpy(out + done, block, n);
			done += n;
		}
	}
	OPENSSL_cleanse(block, sizeof(block));
	strata_buf_dispose_secret(&t);
	strata_hmac_key_dispose(&k);
	return error;
}

/* LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm) */
static int labeled_extract(unsigned char prk[32], const unsigned char *suite, size_t suitelen, const unsigned char *salt,
			   size_t saltlen, const char *label, const void *ikm, size_t ikmlen)
{
	strata_buf b = STRATA_BUF_INIT;
	int error;

	if ((error = strata_buf_puts(&b, "HPKE-v1")) == 0 && (error = strata_buf_put(&b, suite, suitelen)) == 0 &&
	    (error = strata_buf_puts(&b, label)) == 0 && (error = strata_buf_put(&b, ikmlen ? ikm : "", ikmlen)) == 0)
		error = extract(prk, salt, saltlen, &b);
	strata_buf_dispose_secret(&b);
	return error;
}

/* LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L) */
static int labeled_expand(unsigned char *out, size_t L, const unsigned char *suite, size_t suitelen,
			  const unsigned char prk[32], const char *label, const void *info, size_t infolen)
{
	strata_buf b = STRATA_BUF_INIT;
	unsigned char l2[2] = { (unsigned char)(L >> 8), (unsigned char)L };
	int error;

	if ((error = strata_buf_put(&b, l2, 2)) == 0 && (error = strata_buf_puts(&b, "HPKE-v1")) == 0 &&
	    (error = strata_buf_put(&b, suite, suitelen)) == 0 && (error = strata_buf_puts(&b, label)) == 0 &&
	    (error = strata_buf_put(&b, infolen ? info : "", infolen)) == 0)
		error = expand(out, L, prk, &b);
	strata_buf_dispose_secret(&b);
	return error;
}

/* X25519(sk, pk), refusing the all-zero output of a small-order point (RFC 9180 section 7.1.4). */
static int dh(unsigned char out[32], const unsigned char sk[32], const unsigned char pk[32])
{
	EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, 32);
	EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pk, 32);
	EVP_PKEY_CTX *ctx = priv ? EVP_PKEY_CTX_new(priv, NULL) : NULL;
	size_t len = 32;
	unsigned char zero[32] = { 0 };
	int error = 0;

	if (!priv || !pub || !ctx || EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, pub) != 1 ||
	    EVP_PKEY_derive(ctx, out, &len) != 1 || len != 32)
		error = strata_error_setc(STRATA_EVERIFY, "X25519 failed (a key that is not a curve point?)");
	else if (CRYPTO_memcmp(out, zero, 32) == 0)
		error = strata_error_setc(STRATA_EVERIFY, "X25519 gave zero: a small-order key");
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	return error;
}

static int public_of(unsigned char pk[32], const unsigned char sk[32])
{
	EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, 32);
	size_t len = 32;
	int ok = priv && EVP_PKEY_get_raw_public_key(priv, pk, &len) == 1 && len == 32;
	EVP_PKEY_free(priv);
	return ok ? 0 : strata_error_ssl("cannot make an X25519 key");
}

/* ExtractAndExpand(dh, enc || pkR) with the KEM's suite id: the shared secret. */
static int kem_shared(unsigned char ss[32], const unsigned char dhv[32], const unsigned char enc[32], const unsigned char pkR[32])
{
	unsigned char prk[32], ctx[64];
	int error;

	memcpy(ctx, enc, 32);
	memcpy(ctx + 32, pkR, 32);
	if ((error = labeled_extract(prk, kem_suite, sizeof(kem_suite), NULL, 0, "eae_prk", dhv, 32)) == 0)
		error = labeled_expand(ss, 32, kem_suite, sizeof(kem_suite), prk, "shared_secret", ctx, 64);
	OPENSSL_cleanse(prk, sizeof(prk));
	return error;
}

/* KeySchedule(mode_base, shared_secret, info, "", "") */
static int key_schedule(strata_hpke_ctx *c, const unsigned char ss[32], const void *info, size_t infolen)
{
	unsigned char ksc[65], secret[32];
	int error;

	ksc[0] = 0x00;	/* mode_base */
	if ((error = labeled_extract(ksc + 1, hpke_suite, sizeof(hpke_suite), NULL, 0, "psk_id_hash", "", 0)) < 0 ||
	    (error = labeled_extract(ksc + 33, hpke_suite, sizeof(hpke_suite), NULL, 0, "info_hash", info, infolen)) < 0 ||
	    (error = labeled_extract(secret, hpke_suite, sizeof(hpke_suite), ss, 32, "secret", "", 0)) < 0 ||
	    (error = labeled_expand(c->key, 32, hpke_suite, sizeof(hpke_suite), secret, "key", ksc, sizeof(ksc))) < 0 ||
	    (error = labeled_expand(c->base_nonce, 12, hpke_suite, sizeof(hpke_suite), secret, "base_nonce", ksc,
				    sizeof(ksc))) < 0)
		strata_hpke_dispose(c);
	c->seq = 0;
	OPENSSL_cleanse(secret, sizeof(secret));
	return error;
}

int strata_hpke_setup_sender(strata_hpke_ctx *ctx, unsigned char enc[STRATA_HPKE_ENC_LEN], const unsigned char pkR[32],
			     const void *info, size_t infolen, const unsigned char *skE)
{
	unsigned char sk[32], dhv[32], ss[32];
	int error;

	memset(ctx, 0, sizeof(*ctx));
	if (skE)
		memcpy(sk, skE, 32);
	else if (RAND_bytes(sk, 32) != 1)
		return strata_error_ssl("no randomness for an ephemeral key");
	if ((error = public_of(enc, sk)) == 0 && (error = dh(dhv, sk, pkR)) == 0 &&
	    (error = kem_shared(ss, dhv, enc, pkR)) == 0)
		error = key_schedule(ctx, ss, info, infolen);
	OPENSSL_cleanse(sk, sizeof(sk));
	OPENSSL_cleanse(dhv, sizeof(dhv));
	OPENSSL_cleanse(ss, sizeof(ss));
	return error;
}

int strata_hpke_setup_receiver(strata_hpke_ctx *ctx, const unsigned char enc[STRATA_HPKE_ENC_LEN],
			       const unsigned char skR[32], const void *info, size_t infolen)
{
	unsigned char pkR[32], dhv[32], ss[32];
	int error;

	memset(ctx, 0, sizeof(*ctx));
	if ((error = public_of(pkR, skR)) == 0 && (error = dh(dhv, skR, enc)) == 0 &&
	    (error = kem_shared(ss, dhv, enc, pkR)) == 0)
		error = key_schedule(ctx, ss, info, infolen);
	OPENSSL_cleanse(dhv, sizeof(dhv));
	OPENSSL_cleanse(ss, sizeof(ss));
	return error;
}

/* One AEAD call (seal.h) with nonce base_nonce XOR I2OSP(seq, 12); the sequence advances only on success. */
static int aead(strata_hpke_ctx *c, int enc, strata_buf *out, const void *aad, size_t aadlen, const unsigned char *in,
		size_t len)
{
	unsigned char nonce[12];
	int error;

	if (c->seq == UINT64_MAX)
		return strata_error_set("HPKE context exhausted");
	memcpy(nonce, c->base_nonce, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (unsigned char)(c->seq >> (8 * i));
	if ((error = strata_seal_aead(out, enc, c->key, nonce, aad, aadlen, in, len)) == STRATA_EVERIFY)
		return strata_error_setc(STRATA_EVERIFY, "a sealed message does not open: altered, or sealed to another key");
	if (error == 0)
		c->seq++;
	return error;
}

int strata_hpke_seal(strata_hpke_ctx *ctx, strata_buf *out, const void *aad, size_t aadlen, const void *pt, size_t len)
{
	return aead(ctx, 1, out, aad, aadlen, pt, len);
}

int strata_hpke_open(strata_hpke_ctx *ctx, strata_buf *out, const void *aad, size_t aadlen, const void *ct, size_t len)
{
	return aead(ctx, 0, out, aad, aadlen, ct, len);
}

void strata_hpke_dispose(strata_hpke_ctx *ctx)
{
	OPENSSL_cleanse(ctx, sizeof(*ctx));
}

int strata_hpke_x25519_public(unsigned char out[32], const unsigned char ed[32])
{
	/* u = (1 + y) / (1 - y) mod p, y the point's coordinate (the key, little-endian, sign bit cleared) */
	unsigned char y[32];
	BN_CTX *bc = BN_CTX_new();
	BIGNUM *p = BN_new(), *by = BN_new(), *num = BN_new(), *den = BN_new(), *u = BN_new();
	int error = STRATA_ERROR;

	memcpy(y, ed, 32);
	y[31] &= 0x7f;
	if (!bc || !p || !by || !num || !den || !u) {
		strata_error_set("out of memory");
		goto done;
	}
	if (!BN_set_bit(p, 255) || !BN_sub_word(p, 19) || !BN_lebin2bn(y, 32, by) || BN_cmp(by, p) >= 0 ||
	    !BN_add(num, BN_value_one(), by) || !BN_mod_sub(den, BN_value_one(), by, p, bc) || BN_is_zero(den) ||
	    !BN_mod_inverse(den, den, p, bc) || !BN_mod_mul(u, num, den, p, bc) || BN_bn2lebinpad(u, out, 32) != 32) {
		strata_error_setc(STRATA_EVERIFY, "not an Ed25519 public key that maps to X25519");
		goto done;
	}
	error = 0;
done:
	BN_free(p);
	BN_free(by);
	BN_free(num);
	BN_free(den);
	BN_free(u);
	BN_CTX_free(bc);
	return error;
}

void strata_hpke_x25519_private(unsigned char out[32], const unsigned char seed[32])
{
	unsigned char h[64];
	EVP_Digest(seed, 32, h, NULL, EVP_sha512(), NULL);
	memcpy(out, h, 32);
	out[0] &= 248;
	out[31] &= 127;
	out[31] |= 64;
	OPENSSL_cleanse(h, sizeof(h));
}
