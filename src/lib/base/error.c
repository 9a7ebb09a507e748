/*
 * error.c - see error.h.
 */
#include "strata/base/error.h"
#include "strata/base/i18n.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <git2.h>
#include <openssl/err.h>

static __thread char err_msg[1024];

/* A message in the reader's language (i18n.h); "" is the catalogue's header to gettext. */
static const char *tr(const char *msg)
{
	return msg[0] ? _(msg) : msg;
}

static int verror(int code, const char *fmt, va_list ap)
{
	/* format aside first: callers may pass strata_error_last() as an argument */
	char tmp[sizeof(err_msg)];
	vsnprintf(tmp, sizeof(tmp), tr(fmt), ap);
	memcpy(err_msg, tmp, sizeof(err_msg));
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
	return strata_error_set("%s: %s", tr(what), e && e->message ? e->message : _("unknown libgit2 error"));
}

int strata_error_ssl(const char *what)
{
	char detail[256];
	unsigned long e = ERR_get_error();
	snprintf(detail, sizeof(detail), "%s", _("unknown OpenSSL error"));
	if (e)
		ERR_error_string_n(e, detail, sizeof(detail));
	ERR_clear_error();
	return strata_error_set("%s: %s", tr(what), detail);
}

int strata_error_sys(const char *what)
{
	return strata_error_set("%s: %s", tr(what), strerror(errno));
}

const char *strata_error_last(void)
{
	return err_msg[0] ? err_msg : _("unknown error");
}

void strata_error_clear(void)
{
	err_msg[0] = '\0';
}
