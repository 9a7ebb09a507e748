/*
 * guard.h - connection limits for an evhttp server: the daemon's network
 * process and the console.
 *
 * libevent's evhttp accepts while the kernel hands it sockets: past the
 * process's descriptor limit its accept() fails at once, again and again
 * (a busy loop and a log line each time), and a client that sends one
 * byte every few seconds holds its connection for as long as it likes.
 * A guard sits on the server's listener and on each connection's
 * bufferevent and keeps:
 *
 *   - at most `max_conns` connections in all (never more than the
 *     descriptor limit allows, less a reserve): past it the oldest idle
 *     connection (no request of its being answered) makes room, the one
 *     from the address that holds the most going first; if none is idle,
 *     accepting pauses until one closes;
 *   - at most `per_addr` from one address: one more is closed at once;
 *   - on EMFILE or ENFILE from accept(): accepting pauses (for the next
 *     tick), an idle connection makes room, and the limit is lowered to
 *     what the process could hold;
 *   - a total deadline, `request_seconds` from a connection's start (or its
 *     last answer) to its next complete request, that no byte restarts
 *     (0: none, for a server that judges arrival rate itself);
 *   - one log line a minute at most per kind of trouble, with its count.
 *
 * The guard reads the monotonic clock; it never changes what a request
 * means, only whether a connection stays.
 */
#ifndef STRATA_NET_GUARD_H
#define STRATA_NET_GUARD_H

#include <stdint.h>

struct event_base;
struct evhttp_bound_socket;
struct evhttp_request;
struct bufferevent;

typedef struct strata_guard strata_guard;

typedef struct {
	int max_conns;		/* wanted; lowered to the descriptor limit less `reserve` */
	int reserve;		/* descriptors the process needs besides connections */
	int per_addr;		/* 0: no limit per address */
	int request_seconds;	/* 0: no total deadline */
	const char *what;	/* "console", "daemon": in its log lines */
	void (*log)(const char *line);	/* where its log lines go */
} strata_guard_opts;

/* Counters, for --metrics and the tests' logs. */
typedef struct {
	uint64_t accept_errors, evicted, refused_addr, expired, paused;
	int conns, max_conns;
} strata_guard_stats;

/* A guard on `bound`'s listener; NULL (and the error set) if it cannot be made. */
strata_guard *strata_guard_new(struct event_base *base, struct evhttp_bound_socket *bound, const strata_guard_opts *o);
void strata_guard_free(strata_guard *g);

/* A new connection's bufferevent, from the server's bufferevent callback (before evhttp gives it its socket). */
void strata_guard_track(strata_guard *g, struct bufferevent *bev);
/* A request of this connection is complete and being answered (busy = 1), or its answer was sent (0). */
void strata_guard_busy(strata_guard *g, struct evhttp_request *req, int busy);
/* Accepts no more (draining); connections go on. */
void strata_guard_stop_accepting(strata_guard *g);

void strata_guard_stats_get(const strata_guard *g, strata_guard_stats *out);

#endif
