/* check_time.c - times as people write them (--since, --until) and as strata prints them */
#include "fixture.h"
#include "strata/base/time.h"

#include <stdlib.h>
#include <time.h>

/* 2026-12-02T06:00:00Z, a Wednesday */
#define NOW ((int64_t)1796191200)

static void zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static int64_t parse(const char *s, int day_end)
{
	int64_t t = -1;
	ck_assert_msg(strata_time_parse(&t, s, NOW, day_end) == 0, "'%s': %s", s, strata_error_last());
	return t;
}

START_TEST(absolute_forms)
{
	zone("Asia/Shanghai");
	/* a date alone: local midnight, or its last second for --until */
	ck_assert_int_eq(parse("2026-11-30", STRATA_TIME_START_OF_DAY), 1796140800 - 2 * 86400);
	ck_assert_int_eq(parse("2026-11-30", STRATA_TIME_END_OF_DAY), 1796140800 - 86400 - 1);
	ck_assert_int_eq(parse("2026-12-02 14:00", 0), NOW);
	ck_assert_int_eq(parse("2026-12-02T14:00:00", 0), NOW);
	/* an offset wins over the zone */
	ck_assert_int_eq(parse("2026-12-02T06:00:00Z", 0), NOW);
	ck_assert_int_eq(parse("2026-12-02T14:00:00+08:00", 0), NOW);
	ck_assert_int_eq(parse("2026-12-02 01:00:00 -0500", 0), NOW);
	ck_assert_int_eq(parse("@1796191200", 0), NOW);
	ck_assert_int_eq(parse("now", 0), NOW);
}
END_TEST

START_TEST(relative_forms)
{
	zone("Asia/Shanghai");
	ck_assert_int_eq(parse("30 days ago", 0), NOW - 30 * 86400);
	ck_assert_int_eq(parse("1 day ago", 0), NOW - 86400);
	ck_assert_int_eq(parse("2 weeks ago", 0), NOW - 14 * 86400);
	ck_assert_int_eq(parse("90 minutes ago", 0), NOW - 5400);
	ck_assert_int_eq(parse("1 month ago", 0), parse("2026-11-02 14:00", 0));
	ck_assert_int_eq(parse("1 year ago", 0), parse("2025-12-02 14:00", 0));
	ck_assert_int_eq(parse("today", 0), parse("2026-12-02", 0));
	ck_assert_int_eq(parse("yesterday", 0), parse("2026-12-01", 0));
	ck_assert_int_eq(parse("yesterday", STRATA_TIME_END_OF_DAY), parse("2026-12-02", 0) - 1);
	/* a day back across a change of summer time is still the same hour */
	zone("Europe/Berlin");
	ck_assert_int_eq(parse("1 day ago", 0) + 86400, NOW);
}
END_TEST

START_TEST(refuses_what_it_cannot_read)
{
	const char *bad[] = { "", "2026-13-01", "2026-02-30", "2026-11-30x", "2026-11-30 25:00", "30 days",
			      "thirty days ago", "3 fortnights ago", "-1 days ago", "2026-11-30T10:00+99:00",
			      "@", "@12x", "last week", NULL };
	int64_t t;
	for (size_t i = 0; bad[i]; i++) {
		ck_assert_msg(strata_time_parse(&t, bad[i], NOW, 0) < 0, "'%s' was accepted", bad[i]);
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "cannot read the time '"));
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "N days ago"));
	}
}
END_TEST

START_TEST(prints_the_local_zone_with_its_offset)
{
	char b[32];
	zone("Asia/Shanghai");
	strata_time_format(b, sizeof(b), NOW);
	ck_assert_str_eq(b, "2026-12-02T14:00:00+08:00");
	zone("America/St_Johns");	/* half-hour offsets exist */
	strata_time_format(b, sizeof(b), NOW);
	ck_assert_str_eq(b, "2026-12-02T02:30:00-03:30");
	zone("UTC");
	strata_time_format(b, sizeof(b), NOW);
	ck_assert_str_eq(b, "2026-12-02T06:00:00Z");
	/* what it prints, it reads back */
	zone("Asia/Kolkata");
	strata_time_format(b, sizeof(b), NOW);
	ck_assert_int_eq(parse(b, 0), NOW);
}
END_TEST

START_TEST(durations)
{
	static const char *const bad[] = { "", "7", "d", "0d", "-1d", "+7d", " 7d", "7 d", "1.5d", "7w", "7dd", "36501d",
					   "99999999999999999999d", NULL };
	int64_t d = 0;
	char b[32];

	ck_assert_int_eq(strata_time_duration(&d, "7d"), 0);
	ck_assert_int_eq(d, 7 * 86400);
	ck_assert_int_eq(strata_time_duration(&d, "48h"), 0);
	ck_assert_int_eq(d, 48 * 3600);
	ck_assert_int_eq(strata_time_duration(&d, "90m"), 0);
	ck_assert_int_eq(d, 90 * 60);
	ck_assert_int_eq(strata_time_duration(&d, "36500d"), 0);
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(strata_time_duration(&d, bad[i]) < 0, "'%s' read as a duration", bad[i]);
	ck_assert_int_lt(strata_time_duration(&d, NULL), 0);
	/* printed in the largest whole unit, read back the same */
	strata_time_duration_format(b, sizeof(b), 7 * 86400);
	ck_assert_str_eq(b, "7d");
	strata_time_duration_format(b, sizeof(b), 36 * 3600);
	ck_assert_str_eq(b, "36h");
	strata_time_duration_format(b, sizeof(b), 90 * 60);
	ck_assert_str_eq(b, "90m");
	strata_time_duration_format(b, sizeof(b), 45);
	ck_assert_str_eq(b, "45s");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("time");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, absolute_forms);
	tcase_add_test(tc, relative_forms);
	tcase_add_test(tc, refuses_what_it_cannot_read);
	tcase_add_test(tc, prints_the_local_zone_with_its_offset);
	tcase_add_test(tc, durations);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
