/*
 * msg.c - framed messages between the key-holding and the network process.
 *
 * Invariant: a parsed message's fields point into its own copy of the
 * bytes, so they live exactly as long as the message.
 */
#include "strata/format/msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int strata_msg_begin(strata_buf *b)
{
	strata_buf_clear(b);
	return strata_buf_put(b, "\0\0\0\0", 4);
}

int strata_msg_add(strata_buf *b, unsigned tag, const void *data, size_t len)
{
	unsigned char t = (unsigned char)tag;

	if (tag >= STRATA_MSG_FIELDS || len > UINT32_MAX)
		return strata_error_set("message field %u: bad tag or too long", tag);
	if (strata_buf_put(b, &t, 1) < 0 || strata_buf_put_u32be(b, (uint32_t)len) < 0 ||
	    strata_buf_put(b, data, len) < 0)
		return STRATA_ERROR;
	return 0;
}

int strata_msg_add_str(strata_buf *b, unsigned tag, const char *s)
{
	return strata_msg_add(b, tag, s, strlen(s));
}

int strata_msg_add_u64(strata_buf *b, unsigned tag, uint64_t v)
{
	unsigned char x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (56 - 8 * i));
	return strata_msg_add(b, tag, x, sizeof(x));
}

static int set_length(strata_buf *b, size_t extra)
{
	size_t body;

	if (b->len < 4 || b->len - 4 > UINT32_MAX - extra)
		return strata_error_set("message too long");
	body = b->len - 4 + extra;
	b->ptr[0] = (char)(body >> 24);
	b->ptr[1] = (char)(body >> 16);
	b->ptr[2] = (char)(body >> 8);
	b->ptr[3] = (char)body;
	return 0;
}

int strata_msg_end(strata_buf *b)
{
	return set_length(b, 0);
}

int strata_msg_end_with(strata_buf *b, unsigned tag, size_t len)
{
	unsigned char t = (unsigned char)tag;

	if (tag >= STRATA_MSG_FIELDS || len > UINT32_MAX - 5)
		return strata_error_set("message field %u: bad tag or too long", tag);
	if (strata_buf_put(b, &t, 1) < 0 || strata_buf_put_u32be(b, (uint32_t)len) < 0)
		return STRATA_ERROR;
	return set_length(b, len);
}

static int parse_owned(strata_msg *m)
{
	const unsigned char *p = (const unsigned char *)m->raw.ptr, *end = p + m->raw.len;

	while (p < end) {
		unsigned tag;
		uint32_t len;
		if (end - p < 5)
			return strata_error_set("message truncated in a field header");
		tag = p[0];
		len = get_u32(p + 1);
		p += 5;
		if (tag >= STRATA_MSG_FIELDS || m->has[tag])
			return strata_error_set("message has an unknown or repeated field %u", tag);
		if ((size_t)(end - p) < len)
			return strata_error_set("message truncated in field %u", tag);
		m->has[tag] = 1;
		m->ptr[tag] = p;
		m->len[tag] = len;
		p += len;
	}
	return 0;
}

int strata_msg_parse(strata_msg *m, const void *body, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->raw.max = len + 1;
	if (strata_buf_put(&m->raw, body, len) < 0)
		return STRATA_ERROR;
	return parse_owned(m);
}

static int read_full(int fd, void *buf, size_t len, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t r = read(fd, (char *)buf + *got, len - *got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return strata_error_sys("cannot read from the other process");
		if (r == 0)
			return 0;
		*got += (size_t)r;
	}
	return 0;
}

int strata_msg_read(strata_msg *m, int fd, size_t max)
{
	unsigned char hdr[4];
	size_t got, len;

	memset(m, 0, sizeof(*m));
	if (read_full(fd, hdr, 4, &got) < 0)
		return STRATA_ERROR;
	if (got == 0)
		return 1;
	if (got < 4)
		return strata_error_set("the other process closed the channel mid-message");
	len = get_u32(hdr);
	if (len > max)
		return strata_error_set("message of %zu bytes exceeds the limit of %zu", len, max);
	m->raw.max = len + 1;
	if (strata_buf_grow(&m->raw, len) < 0)
		return STRATA_ERROR;
	if (read_full(fd, m->raw.ptr, len, &got) < 0)
		return STRATA_ERROR;
	if (got < len)
		return strata_error_set("the other process closed the channel mid-message");
	m->raw.len = len;
	m->raw.ptr[len] = '\0';
	return parse_owned(m);
}

int strata_msg_write(int fd, const strata_buf *b)
{
	size_t off = 0;

	while (off < b->len) {
		ssize_t w = write(fd, b->ptr + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return strata_error_sys("cannot write to the other process");
		off += (size_t)w;
	}
	return 0;
}

void strata_msg_dispose(strata_msg *m)
{
	strata_buf_dispose(&m->raw);
	memset(m, 0, sizeof(*m));
}

int strata_msg_str(char *out, size_t size, const strata_msg *m, unsigned tag)
{
	if (tag >= STRATA_MSG_FIELDS || !m->has[tag])
		return strata_error_set("message lacks field %u", tag);
	if (m->len[tag] >= size || memchr(m->ptr[tag], '\0', m->len[tag]))
		return strata_error_set("message field %u is too long or holds NUL", tag);
	memcpy(out, m->ptr[tag], m->len[tag]);
	out[m->len[tag]] = '\0';
	return 0;
}

int strata_msg_u64(uint64_t *out, const strata_msg *m, unsigned tag)
{
	uint64_t v = 0;

	if (tag >= STRATA_MSG_FIELDS || !m->has[tag] || m->len[tag] != 8)
		return strata_error_set("message lacks number field %u", tag);
	for (int i = 0; i < 8; i++)
		v = v << 8 | m->ptr[tag][i];
	*out = v;
	return 0;
}
