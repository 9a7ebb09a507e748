/*
 * serve.h - the replication daemon (doc/design.md, "Network replication and privilege separation").
 *
 * HTTPS (TLS 1.3 only, both sides authenticated by pinned node keys,
 * strata/tls.h) on one address:
 *     GET  /v1/state   what this node holds from the caller (strata_link_state_format)
 *     POST /v1/pull    body: the caller's state; answer: a parcel of the
 *                      caller's views built on that state, or 204 if it holds them all
 *     POST /v1/push    body: a parcel from the caller, imported exactly as a
 *                      parcel file is; answer: what it changed, or why it was refused
 *
 * Two processes: the network process (libevent, OpenSSL; no node key, no
 * file access) parses every byte from the network and hands authenticated
 * requests to this one, which holds the key and does one request at a
 * time, taking the node lock for each (doc/design.md).
 *
 * Limits: headers 16 KiB, body `max_body`; a connection older than
 * `timeout` seconds whose request is still arriving at under 1 KiB/s on
 * average is dropped, and one silent for `timeout` seconds too.  SIGTERM or
 * SIGINT: take no new requests (503), finish what is in flight, the
 * remaining parts of a push whose upload began included (up to `timeout`
 * seconds), exit.
 */
#ifndef STRATA_SERVE_H
#define STRATA_SERVE_H

#include <stddef.h>
#include "strata/node/node.h"

typedef struct {
	const char *listen;	/* "HOST:PORT" or ":PORT" */
	int timeout;		/* seconds */
	size_t max_body;
	const char *metrics;	/* NULL, or "HOST:PORT": Prometheus text on GET /metrics, plain HTTP */
} strata_serve_opts;

#define STRATA_SERVE_TIMEOUT 60
#define STRATA_SERVE_MAX_BODY ((size_t)1 << 30)

/* Runs until SIGTERM/SIGINT; 0 after a clean shutdown. */
int strata_serve(strata_node *n, const strata_serve_opts *o);

#endif
