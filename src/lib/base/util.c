/*
 * util.c - see util.h.
 *
 * Trust: none of these functions trust their input sizes; buffers refuse
 * to grow past their maximum and decoders validate everything they read.
 */
#include "strata/base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <openssl/err.h>

static __thread char err_msg[1024];
static __thread int err_code;

static int verror(int code, const char *fmt, va_list ap)
{
	/* format aside first: callers may pass strata_error_last() as an argument */
	char tmp[sizeof(err_msg)];
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	memcpy(err_msg, tmp, sizeof(err_msg));
	err_code = code;
	return code;
}

int strata_error_set(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(STRATA_ERROR, fmt, ap);
	va_end(ap);
	return STRATA_ERROR;
}

int strata_error_setc(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(code, fmt, ap);
	va_end(ap);
	return code;
}

int strata_error_git(const char *what)
{
	const git_error *e = git_error_last();
	return strata_error_set("%s: %s", what, e && e->message ? e->message : "unknown libgit2 error");
}

int strata_error_ssl(const char *what)
{
	char detail[256] = "unknown OpenSSL error";
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, detail, sizeof(detail));
	ERR_clear_error();
	return strata_error_set("%s: %s", what, detail);
}

int strata_error_sys(const char *what)
{
	return strata_error_set("%s: %s", what, strerror(errno));
}

const char *strata_error_last(void)
{
	return err_msg[0] ? err_msg : "unknown error";
}

int strata_error_last_code(void)
{
	return err_code;
}

void strata_error_clear(void)
{
	err_msg[0] = '\0';
	err_code = 0;
}

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

int strata_buf_putc(strata_buf *b, char c)
{
	return strata_buf_put(b, &c, 1);
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

void strata_hex(char *out, const unsigned char *in, size_t len)
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

int strata_unhex(unsigned char *out, const char *in, size_t len)
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

int strata_base64_encode(strata_buf *out, const unsigned char *in, size_t len)
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

int strata_base64_decode(strata_buf *out, const char *in, size_t len)
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

int strata_utf8_valid(const char *str, size_t len)
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

size_t strata_utf8_len(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

int strata_read_file(strata_buf *out, const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	size_t saved = out->max;
	int error = 0;

	if (!f)
		return strata_error_setc(errno == ENOENT ? STRATA_ENOTFOUND : STRATA_ERROR,
					 "cannot open '%s': %s", path, strerror(errno));
	out->max = max;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (strata_buf_put(out, chunk, n) < 0) {
			error = strata_error_set("'%s' is larger than %zu bytes", path, max);
			break;
		}
	}
	if (!error && ferror(f))
		error = strata_error_set("cannot read '%s': %s", path, strerror(errno));
	out->max = saved;
	fclose(f);
	if (!error && !out->ptr)
		error = strata_buf_put(out, "", 0);
	return error;
}

int strata_fsync_enabled(void)
{
	static int enabled = -1;
	if (enabled < 0) {
		const char *v = getenv("STRATA_TEST_FSYNC");
		enabled = !(v && !strcmp(v, "0"));
	}
	return enabled;
}

int strata_fsync(int fd)
{
	return strata_fsync_enabled() ? fsync(fd) : 0;
}

int strata_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return strata_error_sys(dir);
	if (strata_fsync(fd) < 0) {
		close(fd);
		return strata_error_sys(dir);
	}
	close(fd);
	return 0;
}

int strata_write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	strata_buf tmp = STRATA_BUF_INIT;
	char *slash, *dir = NULL;
	const char *p = data;
	int fd = -1, error = STRATA_ERROR;

	if (strata_buf_printf(&tmp, "%s.tmp-%ld", path, (long)getpid()) < 0)
		goto done;
	if ((fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0) {
		strata_error_sys(tmp.ptr);
		goto done;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			strata_error_sys(tmp.ptr);
			goto done;
		}
		p += n;
		len -= (size_t)n;
	}
	if (strata_fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		strata_error_sys(tmp.ptr);
		goto done;
	}
	fd = -1;
	if (rename(tmp.ptr, path) < 0) {
		strata_error_sys(path);
		goto done;
	}
	if ((dir = strdup(path)) == NULL)
		goto done;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	error = strata_fsync_dir(slash ? (dir[0] ? dir : "/") : ".");
done:
	if (fd >= 0)
		close(fd);
	if (error && tmp.ptr)
		unlink(tmp.ptr);
	free(dir);
	strata_buf_dispose(&tmp);
	return error;
}

int strata_mkdir_p(const char *path, int mode)
{
	char *p = strdup(path);
	int error = 0;

	if (!p)
		return strata_error_set("out of memory");
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
				error = strata_error_sys(p);
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return error;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

int strata_rm_rf(const char *path)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return strata_error_sys(path);
	return 0;
}

char *strata_path_join(const char *a, const char *b)
{
	strata_buf out = STRATA_BUF_INIT;
	if (strata_buf_printf(&out, "%s/%s", a, b) < 0)
		return NULL;
	return strata_buf_detach(&out);
}

void strata_utc_stamp(char *out, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
