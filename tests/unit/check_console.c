/*
 * check_console.c - the console's routes run only reading commands with
 * arguments that cannot be options, the owner's records need a login,
 * values are strictly %-decoded, and the login token is stored hashed.
 */
#include "fixture.h"
#include "console.h"

#include <sys/stat.h>

static int route(strata_console_call *c, const char *path, const char *query, int logged_in)
{
	char why[512];
	return strata_console_route(c, path, query, logged_in, why, sizeof(why));
}

static void argv_is(const strata_console_call *c, const char *const *want)
{
	size_t i;
	for (i = 0; want[i]; i++) {
		ck_assert_uint_lt(i, c->argc);
		ck_assert_str_eq(c->argv[i], want[i]);
	}
	ck_assert_uint_eq(i, c->argc);
	ck_assert_ptr_null(c->argv[c->argc]);
}

START_TEST(routes_run_readers)
{
	strata_console_call c;
	static const char *const status[] = { "status", "--json", NULL };
	static const char *const log[] = { "log", "dx-a/v-abc/residents", "--json", NULL };
	static const char *const audit[] = { "audit", "log", "--json", "--peer", "st-b", "--since", "2026-01-01", NULL };
	static const char *const diff[] = { "policy", "diff", "p@1", "p@2", "--json", NULL };
	static const char *const recs[] = { "export", "st-b/residents", "--format", "jsonl", "--offset", "100", "--limit", "50", NULL };

	ck_assert_int_eq(route(&c, "/api/status", NULL, 0), 200);
	argv_is(&c, status);
	ck_assert_int_eq(c.ok_exit, 1);
	ck_assert_int_eq(route(&c, "/api/log", "dataset=dx-a%2Fv-abc%2Fresidents", 0), 200);
	argv_is(&c, log);
	ck_assert_int_eq(route(&c, "/api/audit", "peer=st-b&since=2026-01-01", 0), 200);
	argv_is(&c, audit);
	ck_assert_int_eq(route(&c, "/api/policy-diff", "policy=p&from=1&to=2", 0), 200);
	argv_is(&c, diff);
	ck_assert_int_eq(route(&c, "/api/records", "dataset=st-b/residents&offset=100", 0), 200);
	argv_is(&c, recs);
	ck_assert_int_eq(c.lines, 1);
	ck_assert_int_eq(route(&c, "/api/verify", "", 0), 200);
	ck_assert_int_eq(c.ok_exit, 3);
}
END_TEST

START_TEST(routes_refuse)
{
	strata_console_call c;
	char big[STRATA_CONSOLE_QUERY_MAX + 20];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "dataset=", 8);
	ck_assert_int_eq(route(&c, "/api/nothing", NULL, 1), 404);
	ck_assert_int_eq(route(&c, "/index.html", NULL, 1), 404);
	ck_assert_int_eq(route(&c, "/api/log", big, 1), 414);
	ck_assert_int_eq(route(&c, "/api/log", NULL, 1), 400);			/* no dataset */
	ck_assert_int_eq(route(&c, "/api/log", "dataset=-C", 1), 400);		/* an option */
	ck_assert_int_eq(route(&c, "/api/log", "dataset=--all", 1), 400);
	ck_assert_int_eq(route(&c, "/api/log", "dataset=a/../b", 1), 400);
	ck_assert_int_eq(route(&c, "/api/log", "dataset=a//b", 1), 400);
	ck_assert_int_eq(route(&c, "/api/log", "dataset=Residents", 1), 400);
	ck_assert_int_eq(route(&c, "/api/log", "dataset=res%zzidents", 1), 400);	/* a bad escape */
	ck_assert_int_eq(route(&c, "/api/log", "dataset=res%0aidents", 1), 400);	/* a control byte */
	ck_assert_int_eq(route(&c, "/api/log", "dataset=a&dataset=b", 1), 400);	/* twice */
	ck_assert_int_eq(route(&c, "/api/log", "dataset=a&colour=red", 1), 400);	/* unknown */
	ck_assert_int_eq(route(&c, "/api/status", "dataset=a", 1), 400);		/* not for this route */
	ck_assert_int_eq(route(&c, "/api/records", "dataset=a%22%3Bdrop", 1), 400);	/* no quote into the SQL */
	ck_assert_int_eq(route(&c, "/api/records", "dataset=st-b/a&offset=-1", 1), 400);
	ck_assert_int_eq(route(&c, "/api/history", "dataset=st-b/a&key=x%20y", 1), 400);
	ck_assert_int_eq(route(&c, "/api/audit", "since=-1", 1), 400);
	ck_assert_int_eq(route(&c, "/api/policy-diff", "policy=p&from=1", 1), 400);
}
END_TEST

/* the node's own records are personal data: only with a login; received ones without */
START_TEST(own_records_need_login)
{
	strata_console_call c;
	char why[512];

	ck_assert_int_eq(strata_console_route(&c, "/api/records", "dataset=residents", 0, why, sizeof(why)), 401);
	ck_assert_ptr_nonnull(strstr(why, "only after a login"));
	ck_assert_int_eq(route(&c, "/api/history", "dataset=residents&key=330108194007120007", 0), 401);
	ck_assert_int_eq(route(&c, "/api/trace", "dataset=residents&key=330108194007120007", 0), 401);
	ck_assert_int_eq(route(&c, "/api/history", "dataset=residents&key=330108194007120007", 1), 200);
	ck_assert_int_eq(route(&c, "/api/history", "dataset=cn-a/residents&key=ptoken", 0), 200);
	ck_assert_int_eq(route(&c, "/api/log", "dataset=residents", 0), 200);	/* commits, not records */
	/* a preview shows the records it comes from */
	ck_assert_int_eq(route(&c, "/api/preview", "policy=p&version=2&dataset=residents&peer=st-b", 0), 401);
	ck_assert_int_eq(route(&c, "/api/preview", "policy=p&version=2&dataset=residents&peer=st-b", 1), 200);
	{
		static const char *const want[] = { "policy", "preview", "p@2", "--dataset", "residents", "-n", "10", "--json",
						    "--peer", "st-b", NULL };
		argv_is(&c, want);
	}
	ck_assert_int_eq(route(&c, "/api/preview", "policy=p&version=x&dataset=residents", 1), 400);
}
END_TEST

START_TEST(decode_strict)
{
	char out[16];

	ck_assert_int_eq(strata_console_decode(out, sizeof(out), "a%2Fb+c", 7), 0);
	ck_assert_str_eq(out, "a/b c");
	ck_assert_int_eq(strata_console_decode(out, sizeof(out), "%e4%b8%ad", 9), 0);
	ck_assert_str_eq(out, "\xe4\xb8\xad");
	ck_assert_int_lt(strata_console_decode(out, sizeof(out), "%", 1), 0);
	ck_assert_int_lt(strata_console_decode(out, sizeof(out), "%4", 2), 0);
	ck_assert_int_lt(strata_console_decode(out, sizeof(out), "%g0", 3), 0);
	ck_assert_int_lt(strata_console_decode(out, sizeof(out), "%00", 3), 0);
	ck_assert_int_lt(strata_console_decode(out, sizeof(out), "0123456789abcdef", 16), 0);	/* no room */
}
END_TEST

START_TEST(token_stored_hashed)
{
	strata_node *n = NULL;
	strata_buf tok = STRATA_BUF_INIT, again = STRATA_BUF_INIT, text = STRATA_BUF_INIT;
	struct stat sb;
	char path[1024];

	ck_assert_int_eq(strata_node_init(fx_path("n"), "cn-a", "community"), 0);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
	ck_assert_int_eq(strata_console_token_init(n, 0, &tok), 0);
	ck_assert_uint_eq(tok.len, 48);
	snprintf(path, sizeof(path), "%s/console/token", fx_path("n"));
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(strata_fs_read(&text, path, 4096), 0);
	ck_assert_ptr_null(strstr(text.ptr, tok.ptr));
	ck_assert_int_eq(strata_console_token_ok(n, tok.ptr), 1);
	ck_assert_int_eq(strata_console_token_ok(n, "0000"), 0);
	ck_assert_int_eq(strata_console_token_ok(n, ""), 0);
	/* a second start keeps it; --new-token replaces it */
	ck_assert_int_eq(strata_console_token_init(n, 0, &again), 0);
	ck_assert_uint_eq(again.len, 0);
	ck_assert_int_eq(strata_console_token_init(n, 1, &again), 0);
	ck_assert_uint_eq(again.len, 48);
	ck_assert_int_eq(strata_console_token_ok(n, tok.ptr), 0);
	ck_assert_int_eq(strata_console_token_ok(n, again.ptr), 1);
	strata_buf_dispose(&tok);
	strata_buf_dispose(&again);
	strata_buf_dispose(&text);
	strata_node_free(n);
}
END_TEST

/* failed logins: counted per address, for a minute; one address never locks out another, loopback never */
START_TEST(lockout_per_address)
{
	static strata_console_strikes st;
	long long t = 1000000;

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < STRATA_CONSOLE_STRIKES; i++) {
		ck_assert_int_eq(strata_console_login_wait(&st, "203.0.113.9", 0, t + i), 0);
		strata_console_login_failed(&st, "203.0.113.9", 0, t + i);
	}
	ck_assert_int_eq(strata_console_login_wait(&st, "203.0.113.9", 0, t + 10), 50);
	ck_assert_int_eq(strata_console_login_wait(&st, "198.51.100.7", 0, t + 10), 0);	/* the operator elsewhere */
	ck_assert_int_eq(strata_console_login_wait(&st, "127.0.0.1", 1, t + 10), 0);
	ck_assert_int_eq(strata_console_login_wait(&st, "203.0.113.9", 0, t + 60), 0);		/* the minute is over */
	/* loopback's failures are not even counted */
	for (int i = 0; i < 3 * STRATA_CONSOLE_STRIKES; i++)
		strata_console_login_failed(&st, "::1", 1, t);
	ck_assert_int_eq(strata_console_login_wait(&st, "::1", 1, t + 1), 0);
	/* an attacker with more addresses than the table holds pushes out the oldest, never locks anyone else */
	for (int i = 0; i < STRATA_CONSOLE_STRIKE_ADDRS * 2; i++) {
		char a[48];
		snprintf(a, sizeof(a), "10.0.%d.%d", i / 250, i % 250);
		for (int k = 0; k < STRATA_CONSOLE_STRIKES; k++)
			strata_console_login_failed(&st, a, 0, t + 100 + i);
	}
	ck_assert_int_eq(strata_console_login_wait(&st, "198.51.100.7", 0, t + 600), 0);
	ck_assert_int_gt(strata_console_login_wait(&st, "10.0.2.11", 0, t + 100 + 511), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, routes_run_readers);
	tcase_add_test(tc, routes_refuse);
	tcase_add_test(tc, own_records_need_login);
	tcase_add_test(tc, decode_strict);
	tcase_add_test(tc, token_stored_hashed);
	tcase_add_test(tc, lockout_per_address);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
