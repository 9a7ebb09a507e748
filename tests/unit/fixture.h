/*
 * fixture.h - helpers shared by the Check suites: temporary directories,
 * files, and a fresh node per test.
 */
#ifndef STRATA_TEST_FIXTURE_H
#define STRATA_TEST_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <git2.h>

#include "strata/base/fs.h"

static char fx_dir[256];

static inline void fx_setup(void)
{
	git_libgit2_init();
	snprintf(fx_dir, sizeof(fx_dir), "/tmp/strata-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx_dir));
}

static inline void fx_teardown(void)
{
	strata_fs_rm_rf(fx_dir);
	git_libgit2_shutdown();
}

/* Path inside the test's directory (static buffer rotation: up to 4 at once). */
static inline const char *fx_path(const char *name)
{
	static char bufs[4][1024];
	static int k;
	char *b = bufs[k++ % 4];
	snprintf(b, 1024, "%s/%s", fx_dir, name);
	return b;
}

static inline const char *fx_write(const char *name, const char *text)
{
	const char *p = fx_path(name);
	FILE *f = fopen(p, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite(text, 1, strlen(text), f);
	fclose(f);
	return p;
}

static inline int fx_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The problems a check reports (a strata_problem_cb), as "WHERE: PROBLEM | FIX" lines. */
typedef struct {
	char text[4096];
	int n;
} fx_problems;

static inline void fx_problem(const char *where, const char *problem, const char *fix, void *payload)
{
	fx_problems *s = payload;
	size_t len = strlen(s->text);
	s->n++;
	snprintf(s->text + len, sizeof(s->text) - len, "%s: %s | %s\n", where, problem, fix);
}

#endif
