/*
 * netproc.h - the network process: a child that does TLS and HTTP for a
 * node and holds no signing key (doc/design.md, "Privilege separation").
 *
 * The parent forks it before loading the node key, so the key was never in
 * its memory; the child then gives up file system access (Landlock: read
 * only /etc and the system libraries, write nowhere) and the right to gain
 * privileges, and the parent makes itself undumpable so the child cannot
 * read the key out of it.  They talk over a socket pair (strata/format/msg.h).
 */
#ifndef STRATA_NETPROC_H
#define STRATA_NETPROC_H

#include <sys/types.h>

typedef int (*strata_netproc_main)(int fd, void *arg);

/*
 * Forks; the child closes every descriptor but `fd` and `keep` (-1: none)
 * and stderr's, enters the sandbox and runs `fn`, exiting with its result.
 * The parent gets the child's pid and its end of the pair.
 */
int strata_netproc_spawn(pid_t *pid, int *fd, int keep, strata_netproc_main fn, void *arg);
/* The same, keeping a second descriptor open in the child (-1: none). */
int strata_netproc_spawn2(pid_t *pid, int *fd, int keep, int keep2, strata_netproc_main fn, void *arg);
/* Waits for the child; 0 if it exited with status 0. */
int strata_netproc_wait(pid_t pid);

/*
 * Restricts this process (see above).  Returns 0 when Landlock is
 * enforced, 1 when the kernel lacks it (the rest still applies), or an
 * error.
 */
int strata_netproc_sandbox(void);

/* One line on stderr, "TIME message": the daemon's log (journald keeps it). */
void strata_netproc_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A log line at a syslog priority (LOG_ERR, LOG_WARNING, LOG_NOTICE,
 * LOG_INFO).  Under systemd, whose journal takes stderr ($JOURNAL_STREAM
 * set), the line is "<PRIORITY>message": the journal reads the priority
 * and stamps the time itself.  Elsewhere "TIME LEVEL message".
 * strata_netproc_log is LOG_INFO.
 */
void strata_netproc_log_at(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
