/*
 * check_tsa.c - a node's timestamp authority: named and removed inside a
 * journalled change (an undo restores the certificate with node.conf), and
 * asked for a token from the network process, against a real authority on
 * 127.0.0.1 (tests/e2e/tsa.py: `openssl ts -reply` behind HTTP).
 */
#include "fixture.h"
#include "strata/net/tsa.h"
#include "strata/base/fs.h"
#include "strata/node/journal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static strata_node *node;
static pid_t tsa_pid;
static char url[128];
static strata_buf ca = STRATA_BUF_INIT, other_ca = STRATA_BUF_INIT;

/* starts tsa.py in `dir`; waits (up to a minute, for a loaded machine) for the port it writes */
static pid_t start_tsa(const char *dir, const char *name, char *u, size_t usz, strata_buf *pem)
{
	strata_buf port = STRATA_BUF_INIT, path = STRATA_BUF_INIT;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execlp("python3", "python3", TOP_SRCDIR "/tests/e2e/tsa.py", dir, name, (char *)NULL);
		_exit(127);
	}
	strata_buf_printf(&path, "%s/port", dir);
	for (int i = 0; i < 6000 && strata_fs_read(&port, path.ptr, 64) < 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		strata_error_clear();
		ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);	/* still running */
		nanosleep(&ts, NULL);
	}
	ck_assert_uint_gt(port.len, 0);
	snprintf(u, usz, "http://127.0.0.1:%.*s/", (int)strcspn(port.ptr, "\n"), port.ptr);
	strata_buf_clear(&path);
	strata_buf_printf(&path, "%s/ca.pem", dir);
	ck_assert_int_eq(strata_fs_read(pem, path.ptr, 1 << 20), 0);
	strata_buf_dispose(&port);
	strata_buf_dispose(&path);
	return pid;
}

static void setup(void)
{
	char other_url[128];
	pid_t other;

	fx_setup();
	ck_assert_int_eq(strata_node_init(fx_path("node"), "cn-test-01", "community"), 0);
	ck_assert_int_eq(strata_node_open(&node, fx_path("node")), 0);
	tsa_pid = start_tsa(fx_path("tsa"), "unit-tsa", url, sizeof(url), &ca);
	/* another authority's certificate: its tokens must not pass for this one's */
	other = start_tsa(fx_path("tsa2"), "other-tsa", other_url, sizeof(other_url), &other_ca);
	kill(other, SIGTERM);
	waitpid(other, NULL, 0);
}

static void teardown(void)
{
	kill(tsa_pid, SIGTERM);
	waitpid(tsa_pid, NULL, 0);
	strata_node_free(node);
	node = NULL;
	strata_buf_dispose(&ca);
	strata_buf_dispose(&other_ca);
	fx_teardown();
}

/* the pinned certificate as the node holds it, "" if none */
static void pinned(strata_buf *out)
{
	strata_buf u = STRATA_BUF_INIT;
	strata_buf_clear(out);
	if (strata_tsa_get(&u, out, node) < 0)
		strata_error_clear();
	strata_buf_putc(out, '\0');
	strata_buf_dispose(&u);
}

static void set_tsa(const char *u, const strata_buf *pem, int undo)
{
	int own = 0;
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_eq(strata_journal_conf_begin(node, "tsa-set", u, &own), 0);
	ck_assert_int_eq(own, 1);
	ck_assert_msg(strata_tsa_set(node, u, pem->ptr, pem->len) == 0, "%s", strata_error_last());
	if (undo)
		strata_journal_undo(node);
	else
		strata_journal_end(node);
}

START_TEST(urls)
{
	ck_assert_int_eq(strata_tsa_check_url("http://127.0.0.1:8080/"), 0);
	ck_assert_int_eq(strata_tsa_check_url("https://tsa.example.gov.cn/tsr"), 0);
	ck_assert_int_lt(strata_tsa_check_url("ftp://tsa.example/"), 0);
	ck_assert_int_lt(strata_tsa_check_url(""), 0);
	ck_assert_int_lt(strata_tsa_check_url("http://a b/"), 0);
}
END_TEST

START_TEST(set_undo_remove)
{
	strata_buf got = STRATA_BUF_INIT;

	ck_assert_int_eq(strata_tsa_configured(node), 0);
	set_tsa(url, &ca, 0);
	ck_assert_int_eq(strata_tsa_configured(node), 1);
	pinned(&got);
	ck_assert_str_eq(got.ptr, ca.ptr);
	/* another authority named, and the change undone: the first one's certificate is back with its URL */
	set_tsa("http://127.0.0.1:1/", &other_ca, 1);
	pinned(&got);
	ck_assert_str_eq(got.ptr, ca.ptr);
	{
		strata_buf u = STRATA_BUF_INIT, pem = STRATA_BUF_INIT;
		ck_assert_int_eq(strata_tsa_get(&u, &pem, node), 0);
		ck_assert_str_eq(u.ptr, url);
		strata_buf_dispose(&u);
		strata_buf_dispose(&pem);
	}
	/* removed, and that undone too */
	{
		int own = 0;
		ck_assert_int_eq(strata_journal_conf_begin(node, "tsa-remove", "tsa", &own), 0);
		ck_assert_int_eq(strata_tsa_remove(node), 0);
		ck_assert_int_eq(strata_tsa_configured(node), 0);
		strata_journal_undo(node);
		ck_assert_int_eq(strata_tsa_configured(node), 1);
		pinned(&got);
		ck_assert_str_eq(got.ptr, ca.ptr);
		ck_assert_int_eq(strata_journal_conf_begin(node, "tsa-remove", "tsa", &own), 0);
		ck_assert_int_eq(strata_tsa_remove(node), 0);
		strata_journal_end(node);
		ck_assert_int_eq(strata_tsa_configured(node), 0);
	}
	/* not a certificate: refused, nothing named */
	{
		strata_buf junk = STRATA_BUF_INIT;
		int own = 0;
		strata_buf_puts(&junk, "not a certificate");
		ck_assert_int_eq(strata_journal_conf_begin(node, "tsa-set", url, &own), 0);
		ck_assert_int_lt(strata_tsa_set(node, url, junk.ptr, junk.len), 0);
		strata_journal_undo(node);
		ck_assert_int_eq(strata_tsa_configured(node), 0);
		strata_buf_dispose(&junk);
	}
	strata_buf_dispose(&got);
}
END_TEST

START_TEST(stamp_from_the_authority)
{
	strata_tsa *t = NULL;
	strata_buf token = STRATA_BUF_INIT;
	int64_t when = 0;
	const char data[] = "the audit log's head";

	set_tsa(url, &ca, 0);
	ck_assert_msg(strata_tsa_open(&t, node) == 0, "%s", strata_error_last());
	ck_assert_str_eq(strata_tsa_url(t), url);
	ck_assert_msg(strata_tsa_stamp(t, &token, &when, data, sizeof(data) - 1) == 0, "%s", strata_error_last());
	ck_assert_uint_gt(token.len, 100);
	ck_assert_int_gt(when, 0);
	strata_tsa_close(t);
	t = NULL;
	/* the same authority pinned as another's: its token does not chain, and is refused */
	ck_assert_int_eq(strata_tsa_connect(&t, url, other_ca.ptr, other_ca.len), 0);
	strata_buf_clear(&token);
	ck_assert_int_lt(strata_tsa_stamp(t, &token, &when, data, sizeof(data) - 1), 0);
	strata_tsa_close(t);
	t = NULL;
	/* nobody there */
	ck_assert_int_eq(strata_tsa_connect(&t, "http://127.0.0.1:1/", ca.ptr, ca.len), 0);
	ck_assert_int_lt(strata_tsa_stamp(t, &token, &when, data, sizeof(data) - 1), 0);
	strata_tsa_close(t);
	strata_buf_dispose(&token);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tsa");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, urls);
	tcase_add_test(tc, set_undo_remove);
	tcase_add_test(tc, stamp_from_the_authority);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
