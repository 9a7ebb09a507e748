/*
 * guard.c - connection limits for an evhttp server (guard.h).
 *
 * Each connection's bufferevent is held by one reference of the guard's
 * own: evhttp frees a connection by bufferevent_free(), which clears its
 * callbacks, so a tracked bufferevent with no callbacks left is one evhttp
 * let go; the guard then drops its reference, which closes the socket.
 */
#include "strata/net/guard.h"
#include "strata/base/error.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#define LOG_EVERY 60		/* seconds between two log lines of one kind */

typedef struct tracked {
	struct bufferevent *bev;
	double since;		/* accepted, or its last answer sent */
	int busy;		/* a request of its is being answered */
	int addr_known;
	char addr[48];
} tracked;

struct strata_guard {
	struct event_base *base;
	struct evconnlistener *lev;
	struct event *tick;
	strata_guard_opts o;
	tracked *conns;
	int n, cap;		/* tracked; room in conns */
	int max;		/* the limit in force */
	int paused;		/* accepting paused until the next tick */
	struct event *reap;	/* soon after a close: the descriptors it held come back */
	strata_guard_stats st;
	struct { uint64_t n; double last; } logged[5];	/* per kind: count since the last line */
};

enum { K_ACCEPT, K_EVICT, K_ADDR, K_EXPIRED, K_PAUSED };

static void reap_soon(strata_guard *g);

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Counts one event of a kind; says so in the log at most once a minute, with the count since. */
static void note(strata_guard *g, int kind, const char *fmt, ...)
{
	char msg[256], line[320];
	va_list ap;
	double now = now_mono();

	g->logged[kind].n++;
	if (g->logged[kind].last && now - g->logged[kind].last < LOG_EVERY)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s (%llu time%s since the last such line)", g->o.what, msg,
		 (unsigned long long)g->logged[kind].n, g->logged[kind].n == 1 ? "" : "s");
	if (g->o.log)
		g->o.log(line);
	g->logged[kind].n = 0;
	g->logged[kind].last = now;
}

static int freed(const tracked *t)
{
	bufferevent_data_cb r, w;
	bufferevent_event_cb e;
	void *arg;
	bufferevent_getcb(t->bev, &r, &w, &e, &arg);
	return !r && !w && !e;
}

static void close_conn(tracked *t)
{
	evutil_socket_t fd = bufferevent_getfd(t->bev);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);	/* evhttp sees the end of the stream and lets it go */
	t->busy = 1;			/* not chosen again */
}

static void addr_of(tracked *t)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(t->bev);
	char port[8];

	if (t->addr_known || fd < 0)
		return;
	t->addr_known = 1;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, t->addr, sizeof(t->addr), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(t->addr, sizeof(t->addr), "?");
}

static int from(const strata_guard *g, const char *addr)
{
	int k = 0;
	for (int i = 0; i < g->n; i++)
		k += g->conns[i].addr_known && !strcmp(g->conns[i].addr, addr);
	return k;
}

/* Closes the oldest idle connection of the address that holds the most; 0 if none is idle. */
static int evict_one(strata_guard *g)
{
	int best = -1, best_from = 0;

	for (int i = 0; i < g->n; i++) {
		tracked *t = &g->conns[i];
		int k;
		if (t->busy || freed(t))
			continue;
		addr_of(t);
		k = from(g, t->addr);
		if (best < 0 || k > best_from || (k == best_from && t->since < g->conns[best].since))
			best = i, best_from = k;
	}
	if (best < 0)
		return 0;
	note(g, K_EVICT, "at its limit of %d connections: the oldest idle one (from %s) made room", g->max,
	     g->conns[best].addr);
	g->st.evicted++;
	close_conn(&g->conns[best]);
	reap_soon(g);
	return 1;
}

static void pause_accepting(strata_guard *g)
{
	if (g->lev && !g->paused) {
		evconnlistener_disable(g->lev);
		g->paused = 1;
		g->st.paused++;
	}
}

/* Lets go what evhttp freed (which closes its socket); with `expire`, closes what is past its deadline. */
static void sweep(strata_guard *g, int expire)
{
	double now = now_mono();
	int k = 0;

	for (int i = 0; i < g->n; i++) {
		tracked *t = &g->conns[i];
		if (freed(t)) {
			bufferevent_decref(t->bev);
			continue;
		}
		if (expire && g->o.request_seconds > 0 && !t->busy && now - t->since > g->o.request_seconds) {
			addr_of(t);
			note(g, K_EXPIRED, "a request from %s not complete after %d seconds: its connection closed", t->addr,
			     g->o.request_seconds);
			g->st.expired++;
			close_conn(t);
			reap_soon(g);
		}
		g->conns[k++] = *t;
	}
	g->n = k;
	g->st.conns = g->n;
	if (g->paused && g->lev && g->n < g->max) {
		evconnlistener_enable(g->lev);
		g->paused = 0;
	}
}

/* Every second: the deadlines, and accepting resumed if there is room. */
static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	sweep(arg, 1);
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	sweep(arg, 0);
}

/* The connections just closed are let go in a moment (evhttp frees them on its next turn), not at the next tick. */
static void reap_soon(strata_guard *g)
{
	struct timeval tv = { 0, 20000 };
	if (g->reap && !evtimer_pending(g->reap, NULL))
		evtimer_add(g->reap, &tv);
}

/* Just after evhttp gave a new connection its socket: the limit per address. */
static void placed_cb(evutil_socket_t fd, short what, void *arg)
{
	strata_guard *g = arg;

	(void)fd, (void)what;
	for (int i = 0; i < g->n; i++) {
		tracked *t = &g->conns[i];
		if (t->addr_known || freed(t))
			continue;
		addr_of(t);
		if (g->o.per_addr > 0 && from(g, t->addr) > g->o.per_addr) {
			note(g, K_ADDR, "%s holds %d connections, its limit: one more closed", t->addr, g->o.per_addr);
			g->st.refused_addr++;
			close_conn(t);
			reap_soon(g);
		}
	}
}

/*
 * A listener's error callback gets the listener's own argument (evhttp's),
 * so the guard of each listener is found here: a process has one or two.
 */
static struct { struct evconnlistener *lev; strata_guard *g; } registry[8];

static void register_guard(strata_guard *g)
{
	for (size_t i = 0; i < sizeof(registry) / sizeof(*registry); i++)
		if (!registry[i].lev) {
			registry[i].lev = g->lev;
			registry[i].g = g;
			return;
		}
}

static void unregister(strata_guard *g)
{
	for (size_t i = 0; i < sizeof(registry) / sizeof(*registry); i++)
		if (registry[i].g == g)
			registry[i].lev = NULL, registry[i].g = NULL;
}

static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
	strata_guard *g = NULL;
	int e = EVUTIL_SOCKET_ERROR();

	(void)arg;
	for (size_t i = 0; i < sizeof(registry) / sizeof(*registry) && !g; i++)
		if (registry[i].lev == lev)
			g = registry[i].g;
	if (!g)
		return;
	g->st.accept_errors++;
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		/* what the process can hold, learned: the limit comes down to it */
		if (g->n > 8 && g->n - 4 < g->max)
			g->max = g->n - 4;
		note(g, K_ACCEPT, "cannot accept a connection (%s) with %d open: paused, limit now %d", strerror(e), g->n,
		     g->max);
		evict_one(g);
	} else {
		reap_soon(g);
		note(g, K_ACCEPT, "cannot accept a connection: %s", strerror(e));
	}
	pause_accepting(g);
}

strata_guard *strata_guard_new(struct event_base *base, struct evhttp_bound_socket *bound, const strata_guard_opts *o)
{
	strata_guard *g = calloc(1, sizeof(*g));
	struct rlimit rl;
	struct timeval tv = { 1, 0 };

	if (!g) {
		strata_error_set("out of memory");
		return NULL;
	}
	g->base = base;
	g->o = *o;
	g->max = o->max_conns > 0 ? o->max_conns : 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)g->max + (rlim_t)o->reserve > rl.rlim_cur)
		g->max = rl.rlim_cur > (rlim_t)o->reserve + 8 ? (int)(rl.rlim_cur - (rlim_t)o->reserve) : 8;
	g->st.max_conns = g->max;
	g->lev = bound ? evhttp_bound_socket_get_listener(bound) : NULL;
	if (g->lev) {
		register_guard(g);
		evconnlistener_set_error_cb(g->lev, accept_error_cb);
	}
	if (!(g->tick = event_new(base, -1, EV_PERSIST, tick_cb, g)) || event_add(g->tick, &tv) < 0 ||
	    !(g->reap = evtimer_new(base, reap_cb, g))) {
		strata_guard_free(g);
		strata_error_set("cannot set up the connection guard");
		return NULL;
	}
	return g;
}

void strata_guard_free(strata_guard *g)
{
	if (!g)
		return;
	strata_guard_stop_accepting(g);
	for (int i = 0; i < g->n; i++)
		bufferevent_decref(g->conns[i].bev);
	if (g->tick)
		event_free(g->tick);
	if (g->reap)
		event_free(g->reap);
	free(g->conns);
	free(g);
}

void strata_guard_track(strata_guard *g, struct bufferevent *bev)
{
	struct timeval zero = { 0, 0 };

	if (!g || !bev)
		return;
	if (g->n == g->cap) {
		int cap = g->cap ? g->cap * 2 : 64;
		tracked *c = realloc(g->conns, (size_t)cap * sizeof(*c));
		if (!c)
			return;	/* untracked: evhttp still owns and frees it */
		g->conns = c;
		g->cap = cap;
	}
	bufferevent_incref(bev);
	memset(&g->conns[g->n], 0, sizeof(g->conns[g->n]));
	g->conns[g->n].bev = bev;
	g->conns[g->n].since = now_mono();
	g->n++;
	g->st.conns = g->n;
	/*
	 * At the limit (every tracked connection holds a descriptor until it is
	 * let go): a few idle ones make room, and accepting pauses until their
	 * descriptors come back.
	 */
	if (g->n >= g->max) {
		int want = g->max / 16 + 1;
		while (want-- > 0 && evict_one(g))
			;
		pause_accepting(g);
	}
	/* its address is known once evhttp has given it its socket, right after this returns */
	event_base_once(g->base, -1, EV_TIMEOUT, placed_cb, g, &zero);
}

static tracked *find(strata_guard *g, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = req ? evhttp_request_get_connection(req) : NULL;
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;

	for (int i = 0; bev && i < g->n; i++)
		if (g->conns[i].bev == bev)
			return &g->conns[i];
	return NULL;
}

void strata_guard_busy(strata_guard *g, struct evhttp_request *req, int busy)
{
	tracked *t = g ? find(g, req) : NULL;
	if (!t)
		return;
	t->busy = busy;
	if (!busy)
		t->since = now_mono();
}

void strata_guard_stop_accepting(strata_guard *g)
{
	if (!g || !g->lev)
		return;
	evconnlistener_set_error_cb(g->lev, NULL);
	unregister(g);
	g->lev = NULL;
}

void strata_guard_stats_get(const strata_guard *g, strata_guard_stats *out)
{
	*out = g->st;
	out->conns = g->n;
	out->max_conns = g->max;
}
