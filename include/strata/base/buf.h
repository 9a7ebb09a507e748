/*
 * buf.h - growable byte buffers with a hard maximum.
 */
#ifndef STRATA_BUF_H
#define STRATA_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "strata/base/error.h"

/*
 * A growable byte buffer with a hard maximum: input from outside can never
 * grow memory without bound.  `max` of 0 means STRATA_BUF_DEFAULT_MAX.
 * The data is always NUL-terminated (not counted in len).
 */
#define STRATA_BUF_DEFAULT_MAX ((size_t)1 << 30)
typedef struct {
	char *ptr;
	size_t len;
	size_t asize;
	size_t max;
} strata_buf;

#define STRATA_BUF_INIT { NULL, 0, 0, 0 }

int strata_buf_grow(strata_buf *b, size_t need);
int strata_buf_put(strata_buf *b, const void *data, size_t len);
int strata_buf_puts(strata_buf *b, const char *s);
/* One byte; inline, since records are built a byte here and there. */
static inline int strata_buf_putc(strata_buf *b, char c)
{
	if (b->len + 2 <= b->asize && b->len < (b->max ? b->max : STRATA_BUF_DEFAULT_MAX)) {
		b->ptr[b->len++] = c;
		b->ptr[b->len] = '\0';
		return 0;
	}
	return strata_buf_put(b, &c, 1);
}
int strata_buf_printf(strata_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strata_buf_put_u32be(strata_buf *b, uint32_t v);
/* SSH wire "string": uint32 big-endian length, then bytes. */
int strata_buf_put_sshstr(strata_buf *b, const void *data, size_t len);
void strata_buf_clear(strata_buf *b);
/* Wipes then frees; for buffers that held secrets. */
void strata_buf_dispose_secret(strata_buf *b);
void strata_buf_dispose(strata_buf *b);
/* Hands the allocation to the caller; the buffer is left empty. */
char *strata_buf_detach(strata_buf *b);

#endif
