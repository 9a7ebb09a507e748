/*
 * time.h - times as people write and read them.
 *
 * Input (--since, --until): a date "2026-11-30", a date and time
 * "2026-11-30 09:15[:00]" (or with 'T'), either with an offset "Z",
 * "+08:00" or "+0800"; "now", "today", "yesterday"; "N UNIT ago" with
 * UNIT one of second, minute, hour, day, week, month, year (plural too);
 * or "@SECONDS" since the epoch.  A time without an offset is in the
 * local zone ($TZ).
 *
 * Output: RFC 3339 in the local zone with its offset,
 * "2026-12-02T14:55:47+08:00", or "...Z" where the offset is zero (TZ=UTC,
 * or `strata --utc`).
 */
#ifndef STRATA_TIME_H
#define STRATA_TIME_H

#include <stddef.h>
#include <stdint.h>

/* How a date without a time of day is read: its first or its last second. */
#define STRATA_TIME_START_OF_DAY 0
#define STRATA_TIME_END_OF_DAY 1

/*
 * Parses `s` into seconds since the epoch; relative forms count back
 * from `now`.  On a form it does not know, sets a message naming `s` and
 * the forms it knows, and returns an error.
 */
int strata_time_parse(int64_t *out, const char *s, int64_t now, int day_end);
/*
 * A duration as people write one, "365d", "48h" or "90m" (days, hours,
 * minutes; at most 100 years), into seconds; STRATA_ERROR (no message:
 * the caller names where it was written) on anything else.
 */
int strata_time_duration(int64_t *out, const char *s);
/* `seconds` as the largest whole unit that writes it: "7d", "36h", "90m", "45s". */
void strata_time_duration_format(char *out, size_t size, int64_t seconds);

/*
 * Seconds since the epoch: the one clock the library and the tool read
 * (commit and audit times, parcel creation and receipt, a retention
 * expired, an erasure overdue, link times).  STRATA_TEST_NOW sets it, so
 * tests never wait: seconds since the epoch, or the path of a file that
 * holds them, which a test moves forward and every process it starts
 * (daemons too) reads.  (Network deadlines use the monotonic clock.)
 */
int64_t strata_time_now(void);
/* Opens the test clock's file for good, before a sandbox forbids opening it (the network process). */
void strata_time_hold(void);
/* The local zone's offset from UTC at `t`, in minutes (for commit signatures). */
int strata_time_offset_minutes(int64_t t);

/* `t` as RFC 3339 in the local zone; `out` holds at least 26 bytes. */
void strata_time_format(char *out, size_t size, int64_t t);

#endif
