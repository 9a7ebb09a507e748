/*
 * enc.c - see enc.h.
 *
 * Trust: the decoders validate everything they read.
 */
#include "strata/base/enc.h"

#include <string.h>
#include <time.h>

void strata_enc_hex(char *out, const unsigned char *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int strata_enc_unhex(unsigned char *out, const char *in, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return strata_error_set("invalid hex digit");
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int strata_enc_base64(strata_buf *out, const unsigned char *in, size_t len)
{
	char q[4];
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len) v |= in[i + 2];
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < len ? b64[v & 63] : '=';
		if (strata_buf_put(out, q, 4) < 0)
			return STRATA_ERROR;
	}
	return 0;
}

int strata_enc_unbase64(strata_buf *out, const char *in, size_t len)
{
	uint32_t acc = 0;
	int bits = 0, pad = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		const char *p;
		if (c == '\n' || c == '\r')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || (p = strchr(b64, c)) == NULL || c == '\0')
			return strata_error_set("invalid base64");
		acc = acc << 6 | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (strata_buf_putc(out, (char)(acc >> bits & 0xff)) < 0)
				return STRATA_ERROR;
		}
	}
	if (pad > 2 || (bits >= 6))
		return strata_error_set("invalid base64 length");
	/* canonical form only: the bits padding discards must be zero */
	if (acc & ((1u << bits) - 1))
		return strata_error_set("invalid base64 (non-zero padding bits)");
	return 0;
}

int strata_enc_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) { i++; continue; }
		if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
		else return 0;
		if (len - i - 1 < n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

size_t strata_enc_utf8_len(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

void strata_enc_utc_stamp(char *out, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
