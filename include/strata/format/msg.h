/*
 * msg.h - framed messages between a node's key-holding process and its
 * network process (doc/design.md, "Network replication and privilege separation"; doc/design.md, "Privilege
 * separation").
 *
 * A message is a 32-bit big-endian length, then fields: a one-byte tag, a
 * 32-bit big-endian length and that many bytes.  A tag may appear once.
 * The reader caps the whole message, so neither side can make the other
 * allocate without bound.
 *
 * Trust: each side treats the other's messages as untrusted input: the
 * network process may be compromised, and it must not be able to do more
 * than a peer could.
 */
#ifndef STRATA_MSG_H
#define STRATA_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "strata/base/buf.h"

#define STRATA_MSG_FIELDS 16

typedef struct {
	const unsigned char *ptr[STRATA_MSG_FIELDS];
	size_t len[STRATA_MSG_FIELDS];
	int has[STRATA_MSG_FIELDS];
	strata_buf raw;		/* owns the bytes the fields point into */
} strata_msg;

/* Starts a message in `b` (reserves its length). */
int strata_msg_begin(strata_buf *b);
int strata_msg_add(strata_buf *b, unsigned tag, const void *data, size_t len);
int strata_msg_add_str(strata_buf *b, unsigned tag, const char *s);
int strata_msg_add_u64(strata_buf *b, unsigned tag, uint64_t v);
/* Fills in the length; the message is then b->ptr, b->len. */
int strata_msg_end(strata_buf *b);
/*
 * Ends a message whose last field, `tag`, holds `len` bytes the caller
 * sends right after b's bytes (so a large body is never copied into b).
 */
int strata_msg_end_with(strata_buf *b, unsigned tag, size_t len);

/*
 * Parses the body of a message (what follows the length) into `m`, which
 * takes a copy.  Refuses unknown tags (>= STRATA_MSG_FIELDS), repeats and
 * truncation.
 */
int strata_msg_parse(strata_msg *m, const void *body, size_t len);
/*
 * Reads one message from a blocking descriptor.  Returns 1 at a clean end
 * of file before a message starts, 0 with a message, or an error.
 */
int strata_msg_read(strata_msg *m, int fd, size_t max);
/* Writes all of `b` to a blocking descriptor. */
int strata_msg_write(int fd, const strata_buf *b);
void strata_msg_dispose(strata_msg *m);

/* A field as a NUL-free string copied into out; error if absent or too long. */
int strata_msg_str(char *out, size_t size, const strata_msg *m, unsigned tag);
int strata_msg_u64(uint64_t *out, const strata_msg *m, unsigned tag);

#endif
