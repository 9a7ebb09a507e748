/*
 * enc.h - encodings: hex, base64, UTF-8 validation, UTC time stamps.
 */
#ifndef STRATA_ENC_H
#define STRATA_ENC_H

#include <stddef.h>
#include <stdint.h>
#include "strata/base/buf.h"

void strata_enc_hex(char *out, const unsigned char *in, size_t len); /* out: 2*len+1 */
int strata_enc_unhex(unsigned char *out, const char *in, size_t len); /* in: 2*len chars */
int strata_enc_base64(strata_buf *out, const unsigned char *in, size_t len);
int strata_enc_unbase64(strata_buf *out, const char *in, size_t len);

/* 1 if [s, s+len) is valid UTF-8 (no overlongs, no surrogates); else 0. */
int strata_enc_utf8_valid(const char *s, size_t len);
/* Number of characters (code points) in valid UTF-8. */
size_t strata_enc_utf8_len(const char *s, size_t len);

/* `t` (seconds since the epoch) as UTC "YYYY-MM-DDTHH:MM:SSZ"; `out` holds at least 21 bytes. */
void strata_enc_utc_stamp(char *out, size_t size, int64_t t);
#endif
