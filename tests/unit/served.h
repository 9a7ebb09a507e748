/*
 * served.h - a node's daemon for the network suites (check_serve,
 * check_remote): strata_serve in a child process on 127.0.0.1:0, its log
 * read from a pipe until it says where it listens (no sleeping: the
 * parent waits on the log line itself).
 */
#ifndef SERVED_H
#define SERVED_H
#include "fixture.h"
#include "strata/net/serve.h"
#include "strata/node/journal.h"
#include "strata/node/peers.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
	pid_t pid;
	int log;	/* the daemon's stderr */
	int port;
	char text[8192];
	size_t len;
} served;

/* Starts the daemon of the node at `dir`; fails the test if it does not start within 30 s. */
static inline void served_start(served *s, const char *dir)
{
	int fds[2];
	char *at;

	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_ge(s->pid = fork(), 0);
	if (s->pid == 0) {
		strata_node *n = NULL;
		strata_serve_opts o = { "127.0.0.1:0", 30, STRATA_SERVE_MAX_BODY };
		close(fds[0]);
		dup2(fds[1], 2);
		if (strata_node_open(&n, dir) < 0 || strata_serve(n, &o) < 0) {
			fprintf(stderr, "served: %s\n", strata_error_last());
			_exit(1);
		}
		strata_node_free(n);
		_exit(0);
	}
	close(fds[1]);
	s->log = fds[0];
	while (!(at = strstr(s->text, "serving on 127.0.0.1:"))) {
		struct pollfd p = { s->log, POLLIN, 0 };
		ssize_t k;
		ck_assert_msg(poll(&p, 1, 30000) == 1, "the daemon did not start: %s", s->text);
		k = read(s->log, s->text + s->len, sizeof(s->text) - 1 - s->len);
		ck_assert_msg(k > 0, "the daemon exited: %s", s->text);
		s->len += (size_t)k;
		s->text[s->len] = '\0';
	}
	s->port = atoi(at + strlen("serving on 127.0.0.1:"));
	ck_assert_int_gt(s->port, 0);
}

/* SIGTERM, as systemd stops it; returns its exit status, its log in s->text. */
static inline int served_stop(served *s)
{
	int status = -1;
	ssize_t k;
	kill(s->pid, SIGTERM);
	while (s->len < sizeof(s->text) - 1 && (k = read(s->log, s->text + s->len, sizeof(s->text) - 1 - s->len)) > 0)
		s->len += (size_t)k;
	s->text[s->len] = '\0';
	close(s->log);
	ck_assert_int_eq(waitpid(s->pid, &status, 0), s->pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Pins `to` as peer `peer` of `n`, at the daemon on `port` (0: no url), and releases n's lock. */
static inline void point_at(strata_node *n, const char *peer, const strata_node *to, const char *policy,
			    const char *direction, int port)
{
	char url[64];
	strata_peer_spec p = { .name = peer, .key = *strata_node_pubkey(to), .tier = strata_node_tier(to),
			       .policy = policy, .direction = direction, .url = port ? url : NULL };
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
	int rc;
	ck_assert_int_eq(strata_journal_lock(n), 0);
	if ((rc = strata_peers_add(n, &p)) == STRATA_EEXISTS) {	/* pinned already: pointed elsewhere */
		strata_buf changed = STRATA_BUF_INIT;
		rc = strata_peers_set(&changed, n, peer, &p, port == 0, policy == NULL);
		strata_buf_dispose(&changed);
	}
	ck_assert_msg(rc == 0, "%s", strata_error_last());
	strata_node_unlock(n);
}

#endif
