/*
 * buf.c - see buf.h.
 *
 * Trust: a buffer refuses to grow past its maximum, whatever the input.
 */
#include "strata/base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int strata_buf_grow(strata_buf *b, size_t need)
{
	size_t max = b->max ? b->max : STRATA_BUF_DEFAULT_MAX;
	size_t want;
	char *p;

	if (need > max || b->len > max - need)
		return strata_error_set("input too large (limit %zu bytes)", max);
	want = b->len + need + 1;
	if (want <= b->asize)
		return 0;
	if (b->asize && want < b->asize + b->asize / 2)
		want = b->asize + b->asize / 2;
	if (want < 64)
		want = 64;
	if ((p = realloc(b->ptr, want)) == NULL)
		return strata_error_set("out of memory");
	b->ptr = p;
	b->asize = want;
	return 0;
}

int strata_buf_put(strata_buf *b, const void *data, size_t len)
{
	if (strata_buf_grow(b, len) < 0)
		return STRATA_ERROR;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int strata_buf_puts(strata_buf *b, const char *s)
{
	return strata_buf_put(b, s, strlen(s));
}

int strata_buf_printf(strata_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return strata_error_set("formatting failed");
	if (strata_buf_grow(b, (size_t)n) < 0)
		return STRATA_ERROR;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int strata_buf_put_u32be(strata_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };
	return strata_buf_put(b, x, 4);
}

int strata_buf_put_sshstr(strata_buf *b, const void *data, size_t len)
{
	if (len > UINT32_MAX)
		return strata_error_set("string too long for SSH encoding");
	if (strata_buf_put_u32be(b, (uint32_t)len) < 0)
		return STRATA_ERROR;
	return strata_buf_put(b, data, len);
}

void strata_buf_clear(strata_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void strata_buf_dispose(strata_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->asize = 0;
}

void strata_buf_dispose_secret(strata_buf *b)
{
	if (b->ptr)
		explicit_bzero(b->ptr, b->asize);
	strata_buf_dispose(b);
}

char *strata_buf_detach(strata_buf *b)
{
	char *p = b->ptr;
	if (!p)
		p = calloc(1, 1);
	b->ptr = NULL;
	b->len = b->asize = 0;
	return p;
}
