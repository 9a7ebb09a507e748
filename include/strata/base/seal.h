/*
 * seal.h - authenticated encryption of a small secret under a passphrase:
 * a key from scrypt (2^log_n, r 8, p 1, a 16-byte random salt), then
 * ChaCha20-Poly1305 (RFC 8439) with a random 12-byte nonce, `aad` bound
 * in.  The sealed bytes are the ciphertext and its 16-byte tag.
 *
 * Trust: the sealed bytes and their parameters are untrusted when
 * opened: log_n is capped, a wrong passphrase or any change to the
 * sealed bytes, salt, nonce or aad is STRATA_EVERIFY.
 */
#ifndef STRATA_SEAL_H
#define STRATA_SEAL_H

#include "strata/base/buf.h"

#define STRATA_SEAL_SALT 16
#define STRATA_SEAL_NONCE 12
#define STRATA_SEAL_TAG 16
#define STRATA_SEAL_LOG_N 15		/* what strata writes: 32 MiB, ~0.1 s */
#define STRATA_SEAL_LOG_N_MAX 20	/* what it opens: 1 GiB at most */

/*
 * ChaCha20-Poly1305 (RFC 8439) in one call, what sealing and HPKE (hpke.h)
 * share: `enc` 1 appends the ciphertext and its tag of `data` to `out`; 0
 * opens `data` (ciphertext and tag), STRATA_EVERIFY if it does not.
 */
int strata_seal_aead(strata_buf *out, int enc, const unsigned char key[32], const unsigned char nonce[12],
		     const void *aad, size_t aadlen, const void *data, size_t len);

/* Fills `salt` and `nonce` with fresh random bytes. */
int strata_seal_fresh(unsigned char salt[STRATA_SEAL_SALT], unsigned char nonce[STRATA_SEAL_NONCE]);

int strata_seal_pass(strata_buf *out, const char *pass, int log_n, const unsigned char salt[STRATA_SEAL_SALT],
		     const unsigned char nonce[STRATA_SEAL_NONCE], const void *aad, size_t aadlen,
		     const void *plain, size_t len);
/* Opens what strata_seal_pass sealed into `out` (a secret: dispose with strata_buf_dispose_secret). */
int strata_unseal_pass(strata_buf *out, const char *pass, int log_n, const unsigned char salt[STRATA_SEAL_SALT],
		       const unsigned char nonce[STRATA_SEAL_NONCE], const void *aad, size_t aadlen,
		       const void *sealed, size_t len);

#endif
