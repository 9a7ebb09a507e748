/*
 * timestamp.h - RFC 3161 timestamps: a request for one over data, and the
 * check of a token with no node (doc/design.md, "Evidence to hand on").
 *
 * A token here is the authority's whole TimeStampResp in DER, as `openssl
 * ts -reply` writes it and `openssl ts -verify -in FILE.tsr` reads it.
 * Only SHA-256 imprints are made and accepted.
 *
 * Trust: tokens come from outside (the authority over the network, or a
 * bundle); OpenSSL parses them, and a token counts only if it chains to the
 * authority's certificate the caller pins.
 */
#ifndef STRATA_FORMAT_TIMESTAMP_H
#define STRATA_FORMAT_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>
#include "strata/base/buf.h"

#define STRATA_TIMESTAMP_MAX (64u << 10)	/* a token's bytes at most */

/* A TimeStampReq (DER) for SHA-256 of `data`, asking for the certificate, with a fresh nonce. */
int strata_timestamp_request(strata_buf *req, const void *data, size_t len);

/*
 * 0 if `token` is a granted timestamp over SHA-256 of `data`, signed by an
 * authority whose certificate chains to one in `ca_pem` (PEM text) and is
 * for time stamping; its time (seconds since the epoch) into *when.  With
 * `req`, its nonce must be the request's too.  STRATA_EVERIFY otherwise,
 * with why.
 */
int strata_timestamp_check(int64_t *when, const void *token, size_t tlen, const void *data, size_t len,
			   const char *ca_pem, size_t ca_len, const strata_buf *req);

/* "SHA256:..." (base64, as ssh-keygen shows keys) of the first certificate in `pem`: how a TSA is named. */
int strata_timestamp_ca_fingerprint(strata_buf *out, const char *pem, size_t len);

#endif
