/*
 * digest.h - SHA-256 and HMAC-SHA256 at the rate the data needs.
 *
 * OpenSSL 3 looks an algorithm up in its providers on every EVP_Digest
 * with EVP_sha256() and builds a MAC context for every HMAC() call: 0.27
 * and 0.93 microseconds of a key hash or a pseudonym that should take
 * 0.07 and 0.16 (measured here, 1,000,000 calls).  So SHA-256 is fetched
 * once per process, and an HMAC key keeps its inner and outer states
 * (the key xor ipad and opad, absorbed), copied for each message.
 *
 * Trust: an HMAC key's states are as secret as the key; dispose wipes them.
 */
#ifndef STRATA_DIGEST_H
#define STRATA_DIGEST_H

#include <stddef.h>
#include <openssl/evp.h>

/* SHA-256 of data (any thread). */
int strata_digest_sha256(unsigned char out[32], const void *data, size_t len);

typedef struct {
	EVP_MD_CTX *inner, *outer;
} strata_hmac_key;

/* Keys of at most 64 bytes (the block size). */
int strata_hmac_key_init(strata_hmac_key *k, const unsigned char *key, size_t len);
/* HMAC-SHA256 of data under k; k is only read, so threads may share it. */
int strata_hmac_sha256(unsigned char out[32], const strata_hmac_key *k, const void *data, size_t len);
void strata_hmac_key_dispose(strata_hmac_key *k);

#endif
