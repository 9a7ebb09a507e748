/*
 * util.h - errors, bounded buffers, encodings and file helpers shared by
 * every strata module.
 *
 * Errors follow libgit2: a function returns 0 or a negative code and sets
 * one message per thread at the failure site; the caller reads it with
 * strata_error_last().  Only the command-line tool turns codes into exit
 * statuses.
 */
#ifndef STRATA_UTIL_H
#define STRATA_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

enum {
	STRATA_OK = 0,
	STRATA_ERROR = -1,	/* any failure; message says what */
	STRATA_ENOTFOUND = -3,	/* a named thing does not exist */
	STRATA_EVERIFY = -4,	/* a signature or integrity check failed */
	STRATA_EEXISTS = -5,	/* refusing to overwrite */
	STRATA_EBUSY = -6,	/* another process holds the node lock */
	STRATA_EDENIED = -7,	/* node.conf does not allow it (a peer's direction) */
	STRATA_ETOOBIG = -8	/* over a configured size limit */
};

/* Sets the thread's error message; always returns STRATA_ERROR. */
int strata_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As strata_error_set, but returns `code`. */
int strata_error_setc(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets the message from libgit2's last error, prefixed by `what`. */
int strata_error_git(const char *what);
/* Sets the message from OpenSSL's error queue, prefixed by `what`. */
int strata_error_ssl(const char *what);
/* Sets the message from errno, naming `what` (usually a path). */
int strata_error_sys(const char *what);
/* The last message set in this thread, never NULL. */
const char *strata_error_last(void);
/* The code it was set with (STRATA_ERROR unless a specific one), 0 if cleared. */
int strata_error_last_code(void);
void strata_error_clear(void);

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
int strata_buf_putc(strata_buf *b, char c);
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

void strata_hex(char *out, const unsigned char *in, size_t len); /* out: 2*len+1 */
int strata_unhex(unsigned char *out, const char *in, size_t len); /* in: 2*len chars */
int strata_base64_encode(strata_buf *out, const unsigned char *in, size_t len);
int strata_base64_decode(strata_buf *out, const char *in, size_t len);

/* 1 if [s, s+len) is valid UTF-8 (no overlongs, no surrogates); else 0. */
int strata_utf8_valid(const char *s, size_t len);
/* Number of characters (code points) in valid UTF-8. */
size_t strata_utf8_len(const char *s, size_t len);

/* Reads a whole file, failing if it is larger than `max`. */
int strata_read_file(strata_buf *out, const char *path, size_t max);
/*
 * Writes a file atomically: to a temporary name beside it, fsync, rename,
 * fsync the directory.  `mode` as for open(2).
 */
int strata_write_file_atomic(const char *path, const void *data, size_t len, int mode);
int strata_fsync_dir(const char *dir);
/*
 * fsync(2), unless the environment has STRATA_TEST_FSYNC=0: test suites
 * only, as git's GIT_TEST_FSYNC.  Never set it on a node that matters.
 */
int strata_fsync(int fd);
/* 0 if STRATA_TEST_FSYNC=0 is set (for libgit2's own fsync setting too). */
int strata_fsync_enabled(void);
int strata_mkdir_p(const char *path, int mode);
/* Removes a directory tree; used for temporary directories only. */
int strata_rm_rf(const char *path);
/* `t` (seconds since the epoch) as UTC "YYYY-MM-DDTHH:MM:SSZ"; `out` holds at least 21 bytes. */
void strata_utc_stamp(char *out, size_t size, int64_t t);
/* Joins with '/'; returns a malloc'd string or NULL (error set). */
char *strata_path_join(const char *a, const char *b);

#endif
