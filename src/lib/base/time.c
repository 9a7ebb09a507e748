/*
 * time.c - see time.h.
 *
 * Calendar arithmetic is libc's (mktime normalises "the 0th of the
 * month" and a month back from March 31), so "1 month ago" is the same
 * day of the month before, as people mean it.
 */
#include "strata/base/time.h"
#include "strata/base/i18n.h"
#include "strata/base/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sched.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>

#define FORMS N_("use YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] with an optional Z or +HH:MM, " \
		 "'now', 'today', 'yesterday', 'N days ago' (or seconds, minutes, hours, weeks, months, years)")

static int bad(const char *s)
{
	return strata_error_set("cannot read the time '%s': %s", s, _(FORMS));
}

/* "Z", "+08:00", "+0800", "-05" at p; sets *secs east of UTC. */
static const char *parse_offset(const char *p, long *secs)
{
	int h = 0, m = 0, sign;

	if (*p == 'Z' || *p == 'z') {
		*secs = 0;
		return p + 1;
	}
	if (*p != '+' && *p != '-')
		return NULL;
	sign = *p++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return NULL;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	p += 2;
	if (*p == ':')
		p++;
	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])) {
		m = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
	}
	if (h > 14 || m > 59)
		return NULL;
	*secs = sign * (h * 3600L + m * 60L);
	return p;
}

static int parse_relative(int64_t *out, const char *s, int64_t now)
{
	static const struct { const char *unit; long secs; int months; } units[] = {
		{ "second", 1, 0 }, { "minute", 60, 0 }, { "hour", 3600, 0 }, { "day", 0, 0 },
		{ "week", 0, 0 }, { "month", 0, 1 }, { "year", 0, 12 }, { NULL, 0, 0 }
	};
	char unit[16], ago[8], extra;
	long n;
	time_t t = (time_t)now;
	struct tm tm;

	if (sscanf(s, "%ld %15s %7s %c", &n, unit, ago, &extra) != 3 || n < 0 || n > 100000 || strcmp(ago, "ago"))
		return -1;
	for (size_t i = 0; units[i].unit; i++) {
		size_t ul = strlen(units[i].unit);
		if (strncmp(unit, units[i].unit, ul) || (unit[ul] && strcmp(unit + ul, "s")))
			continue;
		if (units[i].secs) {
			*out = now - (int64_t)n * units[i].secs;
			return 0;
		}
		/* days and longer move the calendar, so a day across a DST change is still a day */
		localtime_r(&t, &tm);
		if (units[i].months)
			tm.tm_mon -= (int)(n * units[i].months);
		else
			tm.tm_mday -= (int)(n * (units[i].unit[0] == 'w' ? 7 : 1));
		tm.tm_isdst = -1;
		*out = (int64_t)mktime(&tm);
		return 0;
	}
	return -1;
}

int strata_time_parse(int64_t *out, const char *s, int64_t now, int day_end)
{
	struct tm tm;
	time_t t = (time_t)now;
	const char *p;
	long offset = 0;
	int has_offset = 0, date_only;

	if (!strcmp(s, "now")) {
		*out = now;
		return 0;
	}
	if (!strcmp(s, "today") || !strcmp(s, "yesterday")) {
		localtime_r(&t, &tm);
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		if (s[0] == 'y')
			tm.tm_mday--;
		if (day_end) {
			tm.tm_mday++;
			tm.tm_sec = -1;
		}
		tm.tm_isdst = -1;
		*out = (int64_t)mktime(&tm);
		return 0;
	}
	if (s[0] == '@') {
		char *end;
		long long v = strtoll(s + 1, &end, 10);
		if (end == s + 1 || *end)
			return bad(s);
		*out = v;
		return 0;
	}
	if (isdigit((unsigned char)s[0]) && strstr(s, " ago"))
		return parse_relative(out, s, now) == 0 ? 0 : bad(s);

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return bad(s);
	date_only = *p == '\0';
	if (!date_only) {
		const char *q;
		if (*p != 'T' && *p != 't' && *p != ' ')
			return bad(s);
		if ((q = strptime(p + 1, "%H:%M:%S", &tm)) == NULL && (q = strptime(p + 1, "%H:%M", &tm)) == NULL)
			return bad(s);
		p = q;
		if (*p == ' ')
			p++;
		if (*p) {
			if ((p = parse_offset(p, &offset)) == NULL || *p)
				return bad(s);
			has_offset = 1;
		}
	}
	/* strptime accepts a 31st of February; a date that does not exist is an error */
	{
		struct tm check = tm;
		check.tm_isdst = -1;
		if (timegm(&check) == (time_t)-1 || check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon)
			return bad(s);
	}
	if (date_only && day_end) {
		tm.tm_mday++;
		tm.tm_sec = -1;
	}
	if (has_offset) {
		*out = (int64_t)timegm(&tm) - offset;
	} else {
		tm.tm_isdst = -1;
		*out = (int64_t)mktime(&tm);
	}
	return 0;
}

void strata_time_format(char *out, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	long off;

	localtime_r(&tt, &tm);
	off = tm.tm_gmtoff;
	if (off == 0) {
		strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return;
	}
	{
		char base[24];
		long a = off < 0 ? -off : off;
		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(out, size, "%s%c%02ld:%02ld", base, off < 0 ? '-' : '+', a / 3600, (a / 60) % 60);
	}
}

/* The test clock's file, opened before a sandbox forbids opening it (strata_time_hold). */
static int held_fd = -1;

void strata_time_hold(void)
{
	const char *t = getenv("STRATA_TEST_NOW");
	if (held_fd < 0 && t && t[0] == '/')
		held_fd = open(t, O_RDONLY | O_CLOEXEC);
}

int64_t strata_time_now(void)
{
	const char *t = getenv("STRATA_TEST_NOW");
	char buf[32];

	if (!t || !*t)
		return (int64_t)time(NULL);
	if (t[0] != '/')
		return (int64_t)strtoll(t, NULL, 10);
	/*
	 * A file the test moves forward, rewritten in place (so a descriptor
	 * held across a sandbox sees it move): every process of a test,
	 * daemons too, reads the same clock.  A read that meets the rewrite
	 * half done is tried again.
	 */
	for (int tries = 0; tries < 1000; tries++) {
		int fd = held_fd >= 0 ? held_fd : open(t, O_RDONLY | O_CLOEXEC);
		ssize_t k = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
		if (fd >= 0 && fd != held_fd)
			close(fd);
		if (k < 0)
			break;
		buf[k] = '\0';
		if (k > 0 && buf[0] >= '0' && buf[0] <= '9' && (buf[k - 1] == '\n' || k >= 10))
			return (int64_t)strtoll(buf, NULL, 10);
		sched_yield();
	}
	return (int64_t)time(NULL);
}

int strata_time_offset_minutes(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	return localtime_r(&tt, &tm) ? (int)(tm.tm_gmtoff / 60) : 0;
}

int strata_time_duration(int64_t *out, const char *s)
{
	char *end = NULL;
	long long amount, unit;

	if (!s || *s < '1' || *s > '9')
		return STRATA_ERROR;
	amount = strtoll(s, &end, 10);
	unit = !strcmp(end, "d") ? 86400 : !strcmp(end, "h") ? 3600 : !strcmp(end, "m") ? 60 : 0;
	if (!unit || amount <= 0 || amount > 36500LL * 86400 / unit)
		return STRATA_ERROR;
	*out = (int64_t)(amount * unit);
	return 0;
}

void strata_time_duration_format(char *out, size_t size, int64_t seconds)
{
	if (seconds > 0 && seconds % 86400 == 0)
		snprintf(out, size, "%lldd", (long long)(seconds / 86400));
	else if (seconds > 0 && seconds % 3600 == 0)
		snprintf(out, size, "%lldh", (long long)(seconds / 3600));
	else if (seconds > 0 && seconds % 60 == 0)
		snprintf(out, size, "%lldm", (long long)(seconds / 60));
	else
		snprintf(out, size, "%llds", (long long)seconds);
}
