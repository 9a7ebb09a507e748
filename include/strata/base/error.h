/*
 * error.h - error codes and the one error message per thread.
 *
 * Errors follow libgit2 (docs/error-handling.md): a function returns 0 (or
 * a count) on success and a negative STRATA_E* code on failure, having set
 * one message at the failure site; a caller that gets a negative code
 * passes that code on unchanged (`if ((error = f()) < 0) goto done;`),
 * adding context only by setting a new message around the old one.  Only
 * the command-line tool (src/cli/main.c) turns codes into exit statuses.
 */
#ifndef STRATA_ERROR_H
#define STRATA_ERROR_H

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
void strata_error_clear(void);

#endif
