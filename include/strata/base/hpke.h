/*
 * hpke.h - RFC 9180 Hybrid Public Key Encryption, base mode, one suite:
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305 (ids 0x0020,
 * 0x0001, 0x0003).  OpenSSL 3.0 has X25519, HMAC and the AEAD but no HPKE
 * (that came in 3.2), so the key schedule is here, checked against the
 * RFC's test vectors (check_hpke).
 *
 * And the map from an Ed25519 key to the X25519 key of the same secret
 * (RFC 7748 section 4.1; what libsodium's crypto_sign_ed25519_pk_to_curve25519
 * and age's ssh-ed25519 recipients use), so that a node's pinned signing
 * key is also what parcels are sealed to: no second key to publish or pin.
 *
 * Trust: `enc` and ciphertexts are untrusted; a context refuses a
 * ciphertext that does not open (STRATA_EVERIFY) and cannot be reused
 * past 2^64 - 1 messages.
 */
#ifndef STRATA_HPKE_H
#define STRATA_HPKE_H

#include <stdint.h>
#include "strata/base/buf.h"

#define STRATA_HPKE_ENC_LEN 32	/* the encapsulated key: the sender's ephemeral X25519 public key */
#define STRATA_HPKE_TAG_LEN 16

typedef struct {
	unsigned char key[32];
	unsigned char base_nonce[12];
	uint64_t seq;
} strata_hpke_ctx;

/*
 * SetupBaseS: a fresh ephemeral key (or `skE`, tests only: the RFC's
 * vectors fix it), `enc` to send, the context to seal with.
 */
int strata_hpke_setup_sender(strata_hpke_ctx *ctx, unsigned char enc[STRATA_HPKE_ENC_LEN], const unsigned char pkR[32],
			     const void *info, size_t infolen, const unsigned char *skE);
/* SetupBaseR, with the recipient's X25519 private key. */
int strata_hpke_setup_receiver(strata_hpke_ctx *ctx, const unsigned char enc[STRATA_HPKE_ENC_LEN],
			       const unsigned char skR[32], const void *info, size_t infolen);
/* ContextS.Seal / ContextR.Open: appends to `out`; the sequence number advances. */
int strata_hpke_seal(strata_hpke_ctx *ctx, strata_buf *out, const void *aad, size_t aadlen, const void *pt, size_t len);
int strata_hpke_open(strata_hpke_ctx *ctx, strata_buf *out, const void *aad, size_t aadlen, const void *ct, size_t len);
void strata_hpke_dispose(strata_hpke_ctx *ctx);

/* The X25519 public key of an Ed25519 public key (the Montgomery form of its point). */
int strata_hpke_x25519_public(unsigned char out[32], const unsigned char ed25519_public[32]);
/* The X25519 private key of an Ed25519 private key's 32-byte seed: SHA-512(seed)[0..31], clamped. */
void strata_hpke_x25519_private(unsigned char out[32], const unsigned char ed25519_seed[32]);

#endif
