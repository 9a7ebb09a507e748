/*
 * remote.h - pull, push and sync with peers over HTTPS (strata/serve.h is
 * the other end).
 *
 * pull: send what we hold from the peer (strata_link_state_format); import
 *       the parcel it answers with, through the parcel import.
 * push: ask what the peer holds from us (GET /v1/state); build the parcel
 *       on that and POST it; recorded as sent only once the peer took it.
 *
 * As with the daemon, HTTP and TLS run in a network process that never
 * holds the node key (strata/netproc.h).  Every exchange, good or bad, is
 * noted in NODE/links/<peer>.json for `strata status`.
 */
#ifndef STRATA_REMOTE_H
#define STRATA_REMOTE_H

#include "strata/node/node.h"
#include "strata/replica/link.h"

typedef struct {
	long limit_rate;	/* bytes per second each way, 0: no limit */
	int progress;		/* bytes so far on stderr */
	int timeout;		/* seconds to connect, and a stall longer than this fails */
} strata_remote_opts;

typedef struct strata_remote strata_remote;

/* Starts the network process, then loads the node key; before anything else. */
int strata_remote_open(strata_remote **out, strata_node *n, const strata_remote_opts *o);
void strata_remote_close(strata_remote *r);

/* res->uptodate: nothing to fetch or send. */
int strata_remote_pull(strata_remote *r, const char *peer, strata_parcel_result *res);
int strata_remote_push(strata_remote *r, const char *peer, strata_parcel_result *res);

/*
 * One raw exchange with a peer's daemon: GET `path` if body is NULL, else
 * POST it.  The answer's status and body go to *status and `resp`.  For
 * tools and tests; pull and push are built on it.
 */
int strata_remote_request(strata_remote *r, const char *peer, const char *path, const void *body, size_t len,
			  long *status, strata_buf *resp);

#endif
