/*
 * netproc.c - forking the network process and sandboxing it.
 *
 * Invariant: the child is forked before the parent loads the node key, and
 * never opens a file under the node directory (Landlock refuses it).
 */
#include "strata/net/netproc.h"
#include "strata/base/i18n.h"
#include "strata/base/time.h"
#include "strata/base/error.h"
#include "strata/base/enc.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <stdint.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/landlock.h>

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

static uint64_t handled_for_abi(long abi)
{
	uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;	/* ABI 1: bits 0..12 */

	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		all |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		all |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return all;
}

static int allow_read(int ruleset, const char *path)
{
	struct landlock_path_beneath_attr pb = {
		.allowed_access = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR,
	};
	int rc;

	if ((pb.parent_fd = open(path, O_PATH | O_CLOEXEC)) < 0)
		return 0;	/* not on this system */
	rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(pb.parent_fd);
	return rc < 0 ? strata_error_sys("landlock_add_rule") : 0;
}

int strata_netproc_sandbox(void)
{
	strata_time_hold();	/* a test's clock file stays readable inside the sandbox */
	static const char *const readable[] = { "/etc", "/usr", "/lib", "/lib64", "/lib32",
#ifdef __SANITIZE_ADDRESS__
		"/proc",	/* LeakSanitizer reads /proc/self at exit; sanitizer builds only */
#endif
	};
	struct landlock_ruleset_attr attr;
	long abi;
	int ruleset, error = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return strata_error_sys("prctl(PR_SET_NO_NEW_PRIVS)");
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1)
		return 1;
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled_for_abi(abi);
	if ((ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0)) < 0)
		return strata_error_sys("landlock_create_ruleset");
	for (size_t i = 0; !error && i < sizeof(readable) / sizeof(*readable); i++)
		error = allow_read(ruleset, readable[i]);
	if (!error && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		error = strata_error_sys("landlock_restrict_self");
	close(ruleset);
	return error;
}

static void close_others(int a, int b, int c)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++)
		if (fd != a && fd != b && fd != c)
			close(fd);
}

int strata_netproc_spawn(pid_t *pid, int *fd, int keep, strata_netproc_main fn, void *arg)
{
	return strata_netproc_spawn2(pid, fd, keep, -1, fn, arg);
}

int strata_netproc_spawn2(pid_t *pid, int *fd, int keep, int keep2, strata_netproc_main fn, void *arg)
{
	int sv[2];
	pid_t child;

	*pid = -1;
	*fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return strata_error_sys("socketpair");
	fflush(NULL);
	if ((child = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return strata_error_sys("fork");
	}
	if (child == 0) {
		int rc;
		signal(SIGPIPE, SIG_IGN);
		close_others(sv[1], keep, keep2);
		if ((rc = strata_netproc_sandbox()) < 0) {
			fprintf(stderr, _("strata: network process: %s\n"), strata_error_last());
			_exit(1);
		}
		if (rc == 1)
			fprintf(stderr, _("strata: warning: this kernel has no Landlock; the network process "
				"keeps file system access\n"));
		/* exit, not _exit: the sanitizer builds check the child's leaks too */
		exit(fn(sv[1], arg) == 0 ? 0 : 1);
	}
	close(sv[1]);
	/* the child (same user) must not read the key out of our memory */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	*pid = child;
	*fd = sv[0];
	return 0;
}

int strata_netproc_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return strata_error_sys("waitpid");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return strata_error_set("the network process was killed by signal %d", WTERMSIG(status));
	return strata_error_set("the network process failed (exit status %d)", WEXITSTATUS(status));
}

static void log_v(int priority, const char *fmt, va_list ap)
{
	static const char *const words[8] = { "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug" };
	const char *journal = getenv("JOURNAL_STREAM");
	char t[32], line[4096];
	int n, m;

	if (priority < 0 || priority > 7)
		priority = 6;
	if (journal && journal[0]) {
		n = snprintf(line, sizeof(line), "<%d>", priority);
	} else {
		strata_enc_utc_stamp(t, sizeof(t), (int64_t)time(NULL));
		n = snprintf(line, sizeof(line), "%s %s ", t, words[priority]);
	}
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += (size_t)m < sizeof(line) - (size_t)n - 1 ? m : (int)(sizeof(line) - (size_t)n - 2);
	line[n++] = '\n';
	/*
	 * One write per line: the daemon's two processes (and the console
	 * beside it) share stderr, and a line written in pieces could be cut
	 * by another's in the journal.
	 */
	fflush(stderr);
	while (write(STDERR_FILENO, line, (size_t)n) < 0 && errno == EINTR)
		;
}

void strata_netproc_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(6, fmt, ap);
	va_end(ap);
}

void strata_netproc_log_at(int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(priority, fmt, ap);
	va_end(ap);
}
