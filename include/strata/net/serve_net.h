/*
 * serve_net.h - the daemon's network process: every byte from the network
 * is parsed here, in a process that holds no node key.
 *
 * Invariants:
 *   1. It is forked before the node process loads the key (netproc.h), and
 *      gets only the TLS identity and the pinned keys, over its channel.
 *   2. It answers nothing itself but refusals; it hands on only requests
 *      from a peer whose certificate a pinned key vouched for (tls.h).
 *   3. Nothing is ever answered without TLS: a connection it cannot give
 *      TLS stops the process instead.  The one exception is opt-in
 *      (serve --metrics): a second listener that answers GET /metrics, in
 *      Prometheus text, with counters and times, never data, for a
 *      scraper on loopback or a management network.
 *   4. Headers, bodies, connection age and rate are capped (serve.h).
 *
 * Trust: everything from the network; the node process's answers.
 */
#ifndef STRATA_SERVE_NET_H
#define STRATA_SERVE_NET_H

typedef struct {
	int listen_fd;		/* HTTPS */
	int metrics_fd;		/* plain HTTP, GET /metrics only; -1: none */
} strata_serve_net_args;

/*
 * The network process's main (a strata_netproc_main): `fd` is its channel
 * to the node process, `arg` a strata_serve_net_args.  Returns when the
 * node process goes away or a signal drained it.
 */
int strata_serve_net_main(int fd, void *arg);

#endif
