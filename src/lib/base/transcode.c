/*
 * transcode.c - see transcode.h.  iconv(3) from glibc does the
 * conversion; this file is the stdio stream around it and the messages.
 */
#include "strata/base/transcode.h"
#include "strata/base/error.h"
#include "strata/base/i18n.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHUNK 65536

struct strata_transcode {
	FILE *f;		/* the file read or written, in the encoding */
	iconv_t cd;
	int writing;
	char encoding[16];	/* as the user knows it: GB18030, GBK */
	char name[512];
	char in[CHUNK];		/* bytes not converted yet */
	size_t in_len;
	char out[CHUNK * 2];	/* a reader's converted bytes not handed out yet */
	size_t out_pos, out_len;
	size_t lines;		/* newlines passed, in the UTF-8 side */
	int eof, started;
	char error[384];	/* what stopped the stream ("" none) */
};

int strata_transcode_name(const char **canonical, const char *name)
{
	if (!strcasecmp(name, "utf-8") || !strcasecmp(name, "utf8"))
		*canonical = "utf-8";
	else if (!strcasecmp(name, "gb18030"))
		*canonical = "gb18030";
	else if (!strcasecmp(name, "gbk") || !strcasecmp(name, "cp936"))
		*canonical = "gbk";
	else
		return strata_error_set("unknown encoding '%s' (utf-8, gb18030 or gbk)", name);
	return 0;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

/* The bytes at p (up to 2, not past a line's end) as "81 20", for a message. */
static void hex_bytes(char *out, size_t size, const char *p, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && i < 2 && (i == 0 || p[i] != '\n') && o + 4 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%02X", i ? " " : "", (unsigned char)p[i]);
}

static ssize_t read_cb(void *cookie, char *buf, size_t size)
{
	strata_transcode *t = cookie;

	while (t->out_pos == t->out_len) {
		char *ip, *op;
		size_t il, ol;

		if (t->error[0]) {
			errno = EILSEQ;
			return -1;
		}
		if (!t->eof && t->in_len < sizeof(t->in)) {
			size_t n = fread(t->in + t->in_len, 1, sizeof(t->in) - t->in_len, t->f);
			if (n == 0 && ferror(t->f))
				return -1;
			t->eof = n == 0;
			t->in_len += n;
		}
		if (t->in_len == 0)
			return 0;
		ip = t->in, il = t->in_len, op = t->out, ol = sizeof(t->out);
		if (iconv(t->cd, &ip, &il, &op, &ol) == (size_t)-1 && errno != E2BIG) {
			int bad = errno == EILSEQ;	/* else EINVAL: a character cut off */
			if (bad || t->eof) {
				char hex[16];
				size_t line = t->lines + count_lines(t->out, (size_t)(op - t->out)) + 1;
				hex_bytes(hex, sizeof(hex), ip, il);
				if (bad)
					snprintf(t->error, sizeof(t->error),
						 _("'%s': line %zu: bytes %s are not %s text (is the file in another encoding?)"),
						 t->name, line, hex, t->encoding);
				else
					snprintf(t->error, sizeof(t->error), _("'%s': line %zu: the file ends inside a %s character (%s)"),
						 t->name, line, t->encoding, hex);
			}
			/* a character cut off before the end: the rest comes with the next read */
		}
		t->out_pos = 0;
		t->out_len = (size_t)(op - t->out);
		t->lines += count_lines(t->out, t->out_len);
		memmove(t->in, ip, il);
		t->in_len = il;
		if (t->out_len == 0 && !t->error[0] && t->eof && t->in_len == 0)
			return 0;
	}
	if (size > t->out_len - t->out_pos)
		size = t->out_len - t->out_pos;
	memcpy(buf, t->out + t->out_pos, size);
	t->out_pos += size;
	return (ssize_t)size;
}

/* Converts what `t->in` holds into the file; keeps an incomplete UTF-8 sequence at the end for the next write. */
static int drain(strata_transcode *t, int final)
{
	char *ip = t->in, *op;
	size_t il = t->in_len, ol;
	char out[CHUNK * 2];

	while (il > 0) {
		size_t r;
		op = out, ol = sizeof(out);
		r = iconv(t->cd, &ip, &il, &op, &ol);
		if (op > out && fwrite(out, 1, (size_t)(op - out), t->f) != (size_t)(op - out))
			return -1;
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		if (errno == EINVAL && !final)
			break;	/* the rest of a character comes with the next write */
		{
			/* a character the encoding cannot hold, or broken UTF-8 */
			unsigned cp = 0;
			const unsigned char *u = (const unsigned char *)ip;
			size_t line = t->lines + count_lines(t->in, (size_t)(ip - t->in)) + 1;
			int n = u[0] < 0x80 ? 1 : u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3 : 4;
			cp = n == 1 ? u[0] : u[0] & (0xffu >> (n + 1));
			for (int i = 1; i < n && (size_t)i < il; i++)
				cp = (cp << 6) | (u[i] & 0x3f);
			snprintf(t->error, sizeof(t->error), _("'%s': line %zu: %s cannot hold the character U+%04X: use --encoding gb18030, which holds every character"),
				 t->name, line, t->encoding, cp);
			errno = EILSEQ;
			return -1;
		}
	}
	t->lines += count_lines(t->in, (size_t)(ip - t->in));
	memmove(t->in, ip, il);
	t->in_len = il;
	return 0;
}

static ssize_t write_cb(void *cookie, const char *buf, size_t size)
{
	strata_transcode *t = cookie;
	size_t done = 0;

	if (t->error[0]) {
		errno = EILSEQ;
		return -1;
	}
	while (done < size) {
		size_t n = size - done;
		if (n > sizeof(t->in) - t->in_len)
			n = sizeof(t->in) - t->in_len;
		memcpy(t->in + t->in_len, buf + done, n);
		t->in_len += n;
		done += n;
		if (!t->started && t->in_len >= 3) {
			t->started = 1;
			if (!memcmp(t->in, "\xef\xbb\xbf", 3)) {
				memmove(t->in, t->in + 3, t->in_len - 3);
				t->in_len -= 3;
			}
		}
		if (t->in_len >= 3 || done == size)
			if (drain(t, 0) < 0)
				return -1;
	}
	return (ssize_t)size;
}

static int close_cb(void *cookie)
{
	strata_transcode *t = cookie;
	int rc = 0;

	if (t->writing && !t->error[0] && t->in_len && drain(t, 1) < 0)
		rc = -1;
	return rc;
}

static int open_stream(FILE **stream, strata_transcode **out, FILE *f, const char *encoding, const char *name,
		       int writing)
{
	strata_transcode *t;
	const char *canon;
	const char *sys;
	int error;

	if ((error = strata_transcode_name(&canon, encoding)) < 0)
		return error;
	sys = !strcmp(canon, "gbk") ? "GBK" : !strcmp(canon, "gb18030") ? "GB18030" : "UTF-8";
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return strata_error_set("out of memory");
	t->f = f;
	t->writing = writing;
	snprintf(t->encoding, sizeof(t->encoding), "%s", sys);
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->cd = writing ? iconv_open(sys, "UTF-8") : iconv_open("UTF-8", sys);
	if (t->cd == (iconv_t)-1) {
		free(t);
		return strata_error_set("this system's iconv cannot convert %s (glibc's gconv modules missing?)", sys);
	}
	*stream = fopencookie(t, writing ? "w" : "r",
			      (cookie_io_functions_t){ .read = writing ? NULL : read_cb, .write = writing ? write_cb : NULL,
						      .close = close_cb });
	if (!*stream) {
		iconv_close(t->cd);
		free(t);
		return strata_error_set("out of memory");
	}
	*out = t;
	return 0;
}

int strata_transcode_reader(FILE **stream, strata_transcode **t, FILE *in, const char *encoding, const char *name)
{
	return open_stream(stream, t, in, encoding, name, 0);
}

int strata_transcode_writer(FILE **stream, strata_transcode **t, FILE *out, const char *encoding, const char *name)
{
	return open_stream(stream, t, out, encoding, name, 1);
}

void strata_transcode_free(strata_transcode *t)
{
	if (!t)
		return;
	iconv_close(t->cd);
	free(t);
}

int strata_transcode_failed(const strata_transcode *t)
{
	return t && t->error[0] ? strata_error_set("%s", t->error) : 0;
}

int strata_transcode_file_is(const char *path, const char *encoding)
{
	const char *canon, *sys;
	FILE *f;
	iconv_t cd;
	char in[CHUNK], out[CHUNK * 2];
	size_t have = 0;
	int ok = 1;

	if (strata_transcode_name(&canon, encoding) < 0) {
		strata_error_clear();
		return 0;
	}
	sys = !strcmp(canon, "gbk") ? "GBK" : !strcmp(canon, "gb18030") ? "GB18030" : "UTF-8";
	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	if ((cd = iconv_open("UTF-8", sys)) == (iconv_t)-1) {
		fclose(f);
		return 0;
	}
	for (;;) {
		size_t n = fread(in + have, 1, sizeof(in) - have, f);
		char *ip = in, *op = out;
		size_t il = have + n, ol = sizeof(out);
		if (n == 0) {
			ok = have == 0 && !ferror(f);	/* a character cut off at the end is not text */
			break;
		}
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 && errno != EINVAL && errno != E2BIG) {
			ok = 0;
			break;
		}
		memmove(in, ip, il);
		have = il;
	}
	iconv_close(cd);
	fclose(f);
	return ok;
}
