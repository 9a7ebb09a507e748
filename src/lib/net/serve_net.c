/*
 * serve_net.c - the daemon's network process (see serve_net.h): libevent
 * evhttp over OpenSSL bufferevents.
 */
#include "strata/net/serve_net.h"
#include "strata/format/msg.h"
#include "strata/net/guard.h"
#include "strata/net/netproc.h"
#include "strata/net/tls.h"
#include "netproto.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>

#define HEADERS_MAX 16384
#define MIN_RATE 1024		/* bytes per second a request must arrive at */
#define REFUSALS_LOGGED 20	/* refused handshakes logged each minute; the rest counted */
#define CONNS_MAX 1024		/* connections at once (below the descriptor limit, less RESERVE) */
#define CONNS_PER_ADDR 64	/* from one address: a peer pushes and pulls on a few at a time */
#define RESERVE 32		/* descriptors besides connections: the node process's channel, logs */

struct server;

/* One TCP connection; lives as long as its SSL object (ex_data free hook). */
struct conn {
	struct server *s;
	SSL *ssl;
	struct bufferevent *bev;	/* its socket, once evhttp gave it one: for the peer's address */
	time_t born;
	int receiving;		/* its request is not complete yet */
	int after_stop;		/* accepted while draining: only an upload's next part is taken */
	char addr[64];
	struct conn *prev, *next;
};

/* A request handed to the node process, waiting for its answer. */
struct pending {
	uint64_t id;
	struct evhttp_request *req;	/* NULL once its connection closed */
	struct conn *conn;
	char upload[33];	/* a push part: its upload token, else "" */
	int last;		/* the upload's last part */
	int reload;		/* OP_RELOAD: its answer is the new pins */
	int metrics;		/* OP_METRICS: its answer is the node's part of a scrape for req */
	struct timespec started;	/* for the access log */
	size_t bytes_in;
	char peer[64], addr[64], what[80];
	struct pending *next;
};

/*
 * Uploads whose next part is due (a part not the last was accepted): while
 * draining, their parts are still taken, so that a push in flight at
 * SIGTERM completes.  Each part is its own connection (Connection: close).
 */
#define OPEN_UPLOADS_MAX 32
struct open_upload {
	char token[33];
	time_t touched;
};

struct server {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	strata_guard *guard, *mguard;	/* connection limits: the peers' listener, the metrics one */
	SSL_CTX *ctx;
	strata_tls_pins pins;
	struct bufferevent *chan;
	struct pending *pending;
	struct conn *conns;
	uint64_t next_id;
	int timeout;
	size_t max_body;
	int draining;
	struct open_upload open[OPEN_UPLOADS_MAX];
	int failed;		/* out of memory for a connection: stopped (bev_cb) */
	time_t drain_started;
	struct event *tick, *drain, *sigterm, *sigint, *sighup;
	/*
	 * Pins replaced by a reload: a connection whose handshake passed holds
	 * a pointer into its array (strata_tls_peer), so the arrays live on
	 * until the process ends.  One per SIGHUP.
	 */
	strata_tls_pin **retired;
	size_t nretired;
	/* --metrics: a plain HTTP listener for GET /metrics, and the counters it reports */
	struct evhttp *mhttp;
	struct { char what[24]; int status; uint64_t n; } requests[64];
	size_t nrequests;
	uint64_t bytes_in, bytes_out, refused_tls, dropped_slow;
};

static int conn_index = -1;

/* The upload token and last flag of a push part's query (netproto.h), or 0 if it is none. */
static int part_of(const char *query, char token[33], int *last)
{
	uint64_t offset;
	token[0] = '\0';
	return part_parse(query, token, &offset, last) == 0;
}

static struct open_upload *open_find(struct server *s, const char *token)
{
	for (int i = 0; i < OPEN_UPLOADS_MAX; i++)
		if (s->open[i].token[0] && !strcmp(s->open[i].token, token))
			return &s->open[i];
	return NULL;
}

/* Records (accepted == 1) or forgets an upload whose next part is due. */
static void open_note(struct server *s, const char *token, int accepted)
{
	struct open_upload *u = open_find(s, token), *oldest = &s->open[0];
	if (!accepted) {
		if (u)
			u->token[0] = '\0';
		return;
	}
	for (int i = 0; !u && i < OPEN_UPLOADS_MAX; i++) {
		if (!s->open[i].token[0])
			u = &s->open[i];
		else if (s->open[i].touched < oldest->touched)
			oldest = &s->open[i];
	}
	u = u ? u : oldest;
	snprintf(u->token, sizeof(u->token), "%s", token);
	u->touched = time(NULL);
}

/* Uploads still open: their next part came within the timeout. */
static int open_count(struct server *s)
{
	int n = 0;
	for (int i = 0; i < OPEN_UPLOADS_MAX; i++)
		if (s->open[i].token[0] && time(NULL) - s->open[i].touched <= s->timeout)
			n++;
	return n;
}

/* Pending push parts that are not the last: more parts will follow. */
static int parts_pending(struct server *s)
{
	int n = 0;
	for (struct pending *p = s->pending; p; p = p->next)
		n += p->upload[0] != '\0' && !p->last;
	return n;
}

static void conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct conn *c = ptr;
	struct pending *p;

	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	if (!c)
		return;
	for (p = c->s->pending; p; p = p->next)
		if (p->conn == c) {
			p->conn = NULL;
			p->req = NULL;
		}
	if (c->prev)
		c->prev->next = c->next;
	else
		c->s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static struct conn *conn_of(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	return ssl ? SSL_get_ex_data(ssl, conn_index) : NULL;
}

static void conn_addr(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[48] = "?", port[8] = "?";
	int fd = SSL_get_fd(c->ssl);

	if (fd < 0 && c->bev)
		fd = (int)bufferevent_getfd(c->bev);
	if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port),
			    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(c->addr, sizeof(c->addr), "%s:%s", host, port);
}

/* Closes a connection under evhttp's feet: it sees the end of the stream and cleans up. */
static void conn_drop(struct conn *c, const char *why)
{
	int fd = SSL_get_fd(c->ssl);

	if (!c->addr[0])
		conn_addr(c);
	strata_netproc_log_at(4, "dropped %s: %s", c->addr, why);
	c->s->dropped_slow++;
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	c->receiving = 0;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct conn *c = SSL_get_ex_data(ssl, conn_index);

	if (!c || !(where & SSL_CB_ALERT) || !(where & SSL_CB_WRITE))
		return;
	if (!c->addr[0])
		conn_addr(c);
	c->s->refused_tls++;
	/* at most REFUSALS_LOGGED lines a minute: a flood of bad handshakes says how many it was, not each */
	{
		static time_t window;
		static unsigned logged, quiet;
		time_t now = time(NULL);
		if (now - window >= 60) {
			if (quiet)
				strata_netproc_log_at(4, "refused TLS %u more times in the last minute (not each logged)", quiet);
			window = now, logged = 0, quiet = 0;
		}
		if (logged++ < REFUSALS_LOGGED)
			strata_netproc_log_at(4, "refused TLS from %s: %s%s%s", c->addr, SSL_alert_desc_string_long(ret),
					      c->s->pins.why[0] ? ": " : "", c->s->pins.why);
		else
			quiet++;
	}
	c->s->pins.why[0] = '\0';
}

/* Stops the network process, for want of memory: see bev_cb. */
static struct bufferevent *give_up(struct server *s, const char *why)
{
	strata_netproc_log("network process: %s; stopping", why);
	s->failed = 1;
	event_base_loopbreak(s->base);
	return NULL;
}

static struct bufferevent *bev_cb(struct event_base *base, void *arg)
{
	struct server *s = arg;
	struct conn *c = calloc(1, sizeof(*c));
	SSL *ssl = SSL_new(s->ctx);
	struct bufferevent *bev;

	/*
	 * evhttp serves plain HTTP on a connection given no bufferevent.  If
	 * one cannot be made, the process stops at once instead (the node
	 * process reports it): the loop breaks before this connection's first
	 * byte is read, so nothing is ever answered in the clear.
	 */
	if (!c || !ssl || !SSL_set_ex_data(ssl, conn_index, c)) {
		free(c);
		SSL_free(ssl);
		return give_up(s, "out of memory for a connection");
	}
	c->s = s;
	c->ssl = ssl;
	c->receiving = 1;
	c->after_stop = s->draining;
	c->born = time(NULL);
	if ((c->next = s->conns) != NULL)
		c->next->prev = c;
	s->conns = c;
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		return give_up(s, "cannot make a TLS bufferevent");
	c->bev = bev;
	strata_guard_track(s->guard, bev);
	return bev;
}

/*
 * Every `timeout` seconds: drop a connection older than that whose request
 * is still arriving at under MIN_RATE on average since it was accepted.
 */
static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	struct conn *c, *next;
	time_t now = time(NULL);

	(void)fd; (void)what;
	for (c = s->conns; c; c = next) {
		BIO *rbio = SSL_get_rbio(c->ssl);
		uint64_t got = rbio ? BIO_number_read(rbio) : 0;
		next = c->next;
		if (!c->receiving || SSL_get_fd(c->ssl) < 0 || now - c->born < s->timeout)
			continue;
		if (got < (uint64_t)MIN_RATE * (uint64_t)(now - c->born))
			conn_drop(c, "request arriving too slowly");
	}
}

/* Every 100 ms while draining: exit once every connection is done, or the timeout passed. */
static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd; (void)what;
	if ((!s->conns && !open_count(s) && !parts_pending(s)) || time(NULL) - s->drain_started > s->timeout)
		event_base_loopexit(s->base, NULL);
}

/* One request answered, for --metrics: by endpoint ("POST /v1/push") and status. */
static void count_request(struct server *s, const char *what, int status, size_t in, size_t out)
{
	size_t i;
	for (i = 0; i < s->nrequests && (s->requests[i].status != status || strcmp(s->requests[i].what, what)); i++)
		;
	if (i == s->nrequests && i < sizeof(s->requests) / sizeof(*s->requests)) {
		snprintf(s->requests[i].what, sizeof(s->requests[i].what), "%s", what);
		s->requests[i].status = status;
		s->requests[i].n = 0;
		s->nrequests++;
	}
	if (i < s->nrequests)
		s->requests[i].n++;
	s->bytes_in += in;
	s->bytes_out += out;
}

static void reply_text(struct evhttp_request *req, int status, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	struct conn *c = conn_of(req);
	const strata_tls_pin *pin = c ? strata_tls_peer(c->ssl) : NULL;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

	/* answered here, without the node process: said in the access log all the same */
	if (c && !c->addr[0])
		conn_addr(c);
	strata_netproc_log_at(status >= 500 ? 3 : 4, "%s %s %s %.64s %d: %s", pin ? pin->name : "?", c ? c->addr : "?",
			      evhttp_request_get_command(req) == EVHTTP_REQ_GET ? "GET" : "POST", path ? path : "?", status, text);
	if (c) {
		char what[24];
		snprintf(what, sizeof(what), "%s %.16s", evhttp_request_get_command(req) == EVHTTP_REQ_GET ? "GET" : "POST",
			 path && (!strcmp(path, "/v1/state") || !strcmp(path, "/v1/pull") || !strcmp(path, "/v1/push")) ? path : "other");
		count_request(c->s, what, status, evbuffer_get_length(evhttp_request_get_input_buffer(req)), strlen(text) + 1);
	}

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
	if (b)
		evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, status, reason, b);
	if (b)
		evbuffer_free(b);
}

static void request_cb(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	struct conn *c = conn_of(req);
	const strata_tls_pin *pin = c ? strata_tls_peer(c->ssl) : NULL;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	strata_buf m = STRATA_BUF_INIT;
	struct evbuffer *whole = NULL;
	struct pending *p;
	size_t inlen;
	int op;

	if (c)
		c->receiving = 0;
	strata_guard_busy(s->guard, req, 1);	/* complete: no longer a connection to make room with */
	if (!pin) {	/* the handshake requires one: this is a bug, not a peer */
		reply_text(req, 403, "Forbidden", "no authenticated peer");
		return;
	}
	/*
	 * Draining: a request on a connection accepted before the signal is in
	 * flight, and answered; so is the next part of an upload in flight.
	 * Anything new is told the daemon is stopping.
	 */
	if (c && c->after_stop) {
		char token[33];
		int last;
		if (!path || strcmp(path, "/v1/push") ||
		    !part_of(evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req)), token, &last) ||
		    !open_find(s, token)) {
			reply_text(req, 503, "Service Unavailable", "the daemon is stopping; try again later");
			return;
		}
	}
	{
		/* RFC 9112 3.2: a request names its Host once (and evhttp reads only the first) */
		struct evkeyval *h;
		int hosts = 0;
		for (h = evhttp_request_get_input_headers(req)->tqh_first; h; h = h->next.tqe_next)
			hosts += !evutil_ascii_strcasecmp(h->key, "Host");
		if (hosts != 1) {
			reply_text(req, 400, "Bad Request", "a request names its Host once");
			return;
		}
	}
	if (!path || (strcmp(path, "/v1/state") && strcmp(path, "/v1/pull") && strcmp(path, "/v1/push"))) {
		reply_text(req, 404, "Not Found", "no such endpoint: /v1/state, /v1/pull, /v1/push");
		return;
	}
	op = !strcmp(path, "/v1/state") ? OP_STATE : !strcmp(path, "/v1/pull") ? OP_PULL : OP_PUSH;
	if ((op == OP_STATE) != (cmd == EVHTTP_REQ_GET) || (op != OP_STATE && cmd != EVHTTP_REQ_POST)) {
		reply_text(req, 405, "Method Not Allowed", op == OP_STATE ? "use GET" : "use POST");
		return;
	}
	if (op == OP_PULL && evbuffer_get_length(in) > STATE_BODY_MAX) {
		reply_text(req, 413, "Payload Too Large", "state too large");
		return;
	}
	/* the body follows the message's other fields by reference, not copied */
	{
		const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
		if (query && strlen(query) > 256) {
			reply_text(req, 414, "URI Too Long", "query too long");
			return;
		}
	}
	inlen = evbuffer_get_length(in);	/* before the body moves on */
	if (!(p = calloc(1, sizeof(*p))) || strata_msg_begin(&m) < 0 ||
	    strata_msg_add_u64(&m, T_ID, ++s->next_id) < 0 || strata_msg_add_u64(&m, T_OP, (uint64_t)op) < 0 ||
	    strata_msg_add_str(&m, T_PEER, pin->name) < 0 ||
	    (op == OP_PUSH && evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req)) &&
	     strata_msg_add_str(&m, T_QUERY, evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req))) < 0) ||
	    strata_msg_end_with(&m, T_BODY, evbuffer_get_length(in)) < 0 ||
	    !(whole = evbuffer_new()) || evbuffer_add(whole, m.ptr, m.len) < 0 ||
	    evbuffer_add_buffer(whole, in) < 0 || bufferevent_write_buffer(s->chan, whole) < 0) {
		free(p);
		strata_buf_dispose(&m);
		if (whole)
			evbuffer_free(whole);
		reply_text(req, 500, "Internal Server Error", "cannot hand the request on");
		return;
	}
	evbuffer_free(whole);
	strata_buf_dispose(&m);
	p->id = s->next_id;
	p->req = req;
	p->conn = c;
	clock_gettime(CLOCK_MONOTONIC, &p->started);
	p->bytes_in = inlen;
	snprintf(p->peer, sizeof(p->peer), "%s", pin->name);
	if (c && !c->addr[0])
		conn_addr(c);
	snprintf(p->addr, sizeof(p->addr), "%s", c ? c->addr : "?");
	snprintf(p->what, sizeof(p->what), "%s %s", cmd == EVHTTP_REQ_GET ? "GET" : "POST", path);
	if (op == OP_PUSH)
		part_of(evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req)), p->upload, &p->last);
	p->next = s->pending;
	s->pending = p;
}

static void reloaded(struct server *s, uint64_t status, const strata_msg *m);

/* A scrape answered: the node's part, then this process's counters. */
static void metrics_reply(struct server *s, struct evhttp_request *req, uint64_t status, const strata_msg *m)
{
	struct evbuffer *b;
	strata_guard_stats g;

	if (!req)
		return;
	strata_guard_busy(s->mguard, req, 0);
	if (status != 200 || !(b = evbuffer_new())) {
		evhttp_send_reply(req, 500, "Internal Server Error", NULL);
		return;
	}
	strata_guard_stats_get(s->guard, &g);
	evbuffer_add(b, m->ptr[T_BODY], m->len[T_BODY]);
	evbuffer_add_printf(b, "# HELP strata_requests_total Requests answered, by endpoint and HTTP status.\n"
			       "# TYPE strata_requests_total counter\n");
	for (size_t i = 0; i < s->nrequests; i++) {
		const char *sp = strchr(s->requests[i].what, ' ');
		evbuffer_add_printf(b, "strata_requests_total{method=\"%.*s\",endpoint=\"%s\",status=\"%d\"} %llu\n",
				    sp ? (int)(sp - s->requests[i].what) : 0, s->requests[i].what, sp ? sp + 1 : "",
				    s->requests[i].status, (unsigned long long)s->requests[i].n);
	}
	evbuffer_add_printf(b, "# HELP strata_received_bytes_total Request bodies received.\n"
			       "# TYPE strata_received_bytes_total counter\n"
			       "strata_received_bytes_total %llu\n"
			       "# HELP strata_sent_bytes_total Response bodies sent.\n"
			       "# TYPE strata_sent_bytes_total counter\n"
			       "strata_sent_bytes_total %llu\n"
			       "# HELP strata_refusals_total Connections refused before any request, by reason.\n"
			       "# TYPE strata_refusals_total counter\n"
			       "strata_refusals_total{reason=\"tls\"} %llu\n"
			       "strata_refusals_total{reason=\"slow\"} %llu\n"
			       "strata_refusals_total{reason=\"per_address\"} %llu\n"
			       "strata_refusals_total{reason=\"evicted\"} %llu\n"
			       "# HELP strata_accept_errors_total accept() failures (EMFILE: at the descriptor limit).\n"
			       "# TYPE strata_accept_errors_total counter\n"
			       "strata_accept_errors_total %llu\n"
			       "# HELP strata_connections Connections open, and the limit in force.\n"
			       "# TYPE strata_connections gauge\n"
			       "strata_connections{kind=\"open\"} %d\n"
			       "strata_connections{kind=\"limit\"} %d\n"
			       "# HELP strata_up 1 while the daemon serves.\n"
			       "# TYPE strata_up gauge\n"
			       "strata_up 1\n",
			    (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out,
			    (unsigned long long)s->refused_tls, (unsigned long long)s->dropped_slow,
			    (unsigned long long)g.refused_addr, (unsigned long long)g.evicted,
			    (unsigned long long)g.accept_errors, g.conns, g.max_conns);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* GET /metrics on the --metrics listener: the node process adds its part (OP_METRICS). */
static void metrics_cb(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	strata_buf m = STRATA_BUF_INIT;
	struct pending *p;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || !path || strcmp(path, "/metrics")) {
		evhttp_send_reply(req, 404, "Not Found", NULL);
		return;
	}
	strata_guard_busy(s->mguard, req, 1);
	if (!(p = calloc(1, sizeof(*p))) || strata_msg_begin(&m) < 0 ||
	    strata_msg_add_u64(&m, T_ID, ++s->next_id) < 0 || strata_msg_add_u64(&m, T_OP, OP_METRICS) < 0 ||
	    strata_msg_add_str(&m, T_PEER, "metrics") < 0 || strata_msg_add(&m, T_BODY, "", 0) < 0 ||
	    strata_msg_end(&m) < 0 || bufferevent_write(s->chan, m.ptr, m.len) < 0) {
		free(p);
		strata_buf_dispose(&m);
		evhttp_send_reply(req, 500, "Internal Server Error", NULL);
		return;
	}
	strata_buf_dispose(&m);
	p->id = s->next_id;
	p->metrics = 1;
	p->req = req;
	p->next = s->pending;
	s->pending = p;
}

static void answer(struct server *s, const strata_msg *m)
{
	struct pending **pp, *p;
	uint64_t id, status;
	char type[64];
	struct evbuffer *b;
	struct evkeyvalq *h;

	if (strata_msg_u64(&id, m, T_ID) < 0 || strata_msg_u64(&status, m, T_STATUS) < 0 ||
	    strata_msg_str(type, sizeof(type), m, T_TYPE) < 0 || !m->has[T_BODY] || status < 200 || status > 599) {
		strata_netproc_log("bad message from the node process: %s", strata_error_last());
		event_base_loopexit(s->base, NULL);
		return;
	}
	for (pp = &s->pending; *pp && (*pp)->id != id; pp = &(*pp)->next)
		;
	if (!(p = *pp))
		return;
	*pp = p->next;
	if (p->reload) {
		reloaded(s, status, m);
		free(p);
		return;
	}
	if (p->metrics) {
		metrics_reply(s, p->req, status, m);
		free(p);
		return;
	}
	if (p->upload[0])	/* its next part is due; or it was the last, or it failed */
		open_note(s, p->upload, status == 200 && !p->last);
	{
		/* the access log: who, from where, what, the answer, the bytes each way, how long */
		struct timespec now;
		long ms;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - p->started.tv_sec) * 1000 + (now.tv_nsec - p->started.tv_nsec) / 1000000;
		strata_netproc_log_at(status >= 500 ? 3 : status >= 400 ? 4 : 6, "%s %s %s %d, %zu bytes in, %zu out, %ld ms%s",
				      p->peer, p->addr, p->what, (int)status, p->bytes_in, m->len[T_BODY], ms,
				      p->req ? "" : " (the connection was gone)");
		count_request(s, p->what, (int)status, p->bytes_in, m->len[T_BODY]);
	}
	if (p->req) {
		h = evhttp_request_get_output_headers(p->req);
		evhttp_add_header(h, "Content-Type", type);
		evhttp_add_header(h, "Connection", "close");
		if ((b = evbuffer_new()) != NULL)
			evbuffer_add(b, m->ptr[T_BODY], m->len[T_BODY]);
		evhttp_send_reply(p->req, (int)status, NULL, status == 204 ? NULL : b);
		if (b)
			evbuffer_free(b);
	}
	free(p);
}

static void chan_read(struct bufferevent *bev, void *arg)
{
	struct server *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		unsigned char hdr[4];
		size_t len;
		strata_msg m;

		if (evbuffer_copyout(in, hdr, 4) < 4)
			return;
		len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
		if (evbuffer_get_length(in) < 4 + len)
			return;
		evbuffer_drain(in, 4);
		if (strata_msg_parse(&m, evbuffer_pullup(in, (ev_ssize_t)len), len) == 0)
			answer(s, &m);
		else
			strata_netproc_log("bad message from the node process: %s", strata_error_last());
		strata_msg_dispose(&m);
		evbuffer_drain(in, len);
	}
}

static void chan_event(struct bufferevent *bev, short what, void *arg)
{
	struct server *s = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		event_base_loopexit(s->base, NULL);	/* the node process is gone */
}

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;

	(void)what;
	if (s->draining)
		return;
	s->draining = 1;
	s->drain_started = time(NULL);
	if (open_count(s) || parts_pending(s)) {
		/* uploads in flight send their next parts on new connections: keep listening for those */
		strata_netproc_log("signal %d: finishing open connections and uploads, taking no new requests", (int)sig);
	} else {
		strata_netproc_log("signal %d: finishing %s, accepting no more", (int)sig,
				   s->conns ? "open connections" : "nothing");
		strata_guard_stop_accepting(s->guard);	/* before evhttp frees the listener */
		if (s->bound)
			evhttp_del_accept_socket(s->http, s->bound);
		s->bound = NULL;
	}
	if (s->drain) {
		struct timeval tv = { 0, 100000 };
		event_add(s->drain, &tv);
	}
	drain_cb(-1, 0, s);
}

static int pins_from(strata_tls_pins *pins, const unsigned char *wire, size_t len)
{
	size_t n = len / PIN_WIRE;

	if (len % PIN_WIRE)
		return strata_error_set("bad pins");
	pins->pins = NULL;
	if (n && !(pins->pins = calloc(n, sizeof(*pins->pins))))
		return strata_error_set("out of memory");
	for (size_t i = 0; i < n; i++) {
		const unsigned char *w = wire + i * PIN_WIRE;
		memcpy(pins->pins[i].name, w, 63);
		memcpy(pins->pins[i].key.raw, w + 64, 32);
	}
	pins->n = n;
	return 0;
}

static int load_pins(strata_tls_pins *pins, const strata_msg *m)
{
	if (!m->has[T_PINS])
		return strata_error_set("bad pins");
	return pins_from(pins, m->ptr[T_PINS], m->len[T_PINS]);
}

/* A reload's answer: new pins and a new TLS identity, for every handshake from now on. */
static void reloaded(struct server *s, uint64_t status, const strata_msg *m)
{
	strata_tls_pins fresh = { 0 };
	strata_tls_identity id;
	strata_msg inner;
	strata_tls_pin **r;
	SSL_CTX *ctx = NULL;

	if (status != 200) {
		strata_netproc_log("reload refused: %.*s", (int)m->len[T_BODY], (const char *)m->ptr[T_BODY]);
		return;
	}
	memset(&inner, 0, sizeof(inner));
	if (m->len[T_BODY] < 4 || strata_msg_parse(&inner, m->ptr[T_BODY] + 4, m->len[T_BODY] - 4) < 0 ||
	    load_pins(&fresh, &inner) < 0 || identity_from(&id, &inner) < 0) {
		strata_msg_dispose(&inner);
		free(fresh.pins);
		strata_netproc_log("reload: a malformed answer from the node process; nothing changes");
		return;
	}
	strata_msg_dispose(&inner);
	if (strata_tls_ctx_new(&ctx, 1, &id) < 0 || !(r = realloc(s->retired, (s->nretired + 1) * sizeof(*r)))) {
		strata_tls_identity_dispose(&id);
		SSL_CTX_free(ctx);
		free(fresh.pins);
		strata_netproc_log("reload: %s; nothing changes", strata_error_last());
		return;
	}
	strata_tls_identity_dispose(&id);
	s->retired = r;
	s->retired[s->nretired++] = s->pins.pins;
	s->pins.pins = fresh.pins;	/* the verify callback reads s->pins: from the next handshake on */
	s->pins.n = fresh.n;
	if (strata_tls_ctx_pin(ctx, &s->pins) < 0) {
		SSL_CTX_free(ctx);
		return;
	}
	SSL_CTX_set_info_callback(ctx, info_cb);
	SSL_CTX_free(s->ctx);	/* connections made under it hold their own reference */
	s->ctx = ctx;
}

static void hup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	strata_buf m = STRATA_BUF_INIT;
	struct pending *p;

	(void)sig;
	(void)what;
	if (s->draining)
		return;
	if (!(p = calloc(1, sizeof(*p))) || strata_msg_begin(&m) < 0 ||
	    strata_msg_add_u64(&m, T_ID, ++s->next_id) < 0 || strata_msg_add_u64(&m, T_OP, OP_RELOAD) < 0 ||
	    strata_msg_add_str(&m, T_PEER, "reload") < 0 || strata_msg_add(&m, T_BODY, "", 0) < 0 ||
	    strata_msg_end(&m) < 0 || bufferevent_write(s->chan, m.ptr, m.len) < 0) {
		free(p);
		strata_buf_dispose(&m);
		strata_netproc_log("SIGHUP: cannot ask the node process to reload");
		return;
	}
	strata_buf_dispose(&m);
	p->id = s->next_id;
	p->reload = 1;
	p->next = s->pending;
	s->pending = p;
}


static void guard_log(const char *line)
{
	strata_netproc_log("%s", line);
}

/* The metrics listener's connections: plain, each held by its guard. */
static struct bufferevent *metrics_bev_cb(struct event_base *base, void *arg)
{
	struct server *s = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	strata_guard_track(s->mguard, bev);
	return bev;
}

int strata_serve_net_main(int fd, void *arg)
{
	const strata_serve_net_args *args = arg;
	int listen_fd = args->listen_fd;
	struct server s;
	strata_tls_identity id;
	strata_msg init;
	uint64_t timeout, max_body;
	struct timeval tv;
	int error = STRATA_ERROR;

	memset(&s, 0, sizeof(s));
	if (strata_msg_read(&init, fd, 1 << 20) != 0 || identity_from(&id, &init) < 0 ||
	    load_pins(&s.pins, &init) < 0 || strata_msg_u64(&timeout, &init, T_TIMEOUT) < 0 ||
	    strata_msg_u64(&max_body, &init, T_MAXBODY) < 0) {
		strata_netproc_log("network process: %s", strata_error_last());
		strata_msg_dispose(&init);
		return STRATA_ERROR;
	}
	strata_msg_dispose(&init);
	s.timeout = (int)timeout;
	s.max_body = (size_t)max_body;
	if (conn_index < 0)
		conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free);
	if ((error = strata_tls_ctx_new(&s.ctx, 1, &id)) < 0 || (error = strata_tls_ctx_pin(s.ctx, &s.pins)) < 0) {
		strata_netproc_log("network process: %s", strata_error_last());
		goto done;
	}
	strata_tls_identity_dispose(&id);
	SSL_CTX_set_info_callback(s.ctx, info_cb);
	evutil_make_socket_nonblocking(fd);
	if (!(s.base = event_base_new()) || !(s.http = evhttp_new(s.base)) ||
	    !(s.chan = bufferevent_socket_new(s.base, fd, BEV_OPT_CLOSE_ON_FREE)) ||
	    !(s.tick = event_new(s.base, -1, EV_PERSIST, tick_cb, &s)) ||
	    !(s.drain = event_new(s.base, -1, EV_PERSIST, drain_cb, &s)) ||
	    !(s.sigterm = evsignal_new(s.base, SIGTERM, stop_cb, &s)) ||
	    !(s.sigint = evsignal_new(s.base, SIGINT, stop_cb, &s)) ||
	    !(s.sighup = evsignal_new(s.base, SIGHUP, hup_cb, &s))) {
		strata_netproc_log("network process: cannot set up libevent");
		error = STRATA_ERROR;
		goto done;
	}
	bufferevent_setcb(s.chan, chan_read, NULL, chan_event, &s);
	bufferevent_enable(s.chan, EV_READ | EV_WRITE);
	evhttp_set_bevcb(s.http, bev_cb, &s);
	evhttp_set_gencb(s.http, request_cb, &s);
	evhttp_set_max_headers_size(s.http, HEADERS_MAX);
	/* a body is a pull's state or one part of a push, never a whole parcel */
	evhttp_set_max_body_size(s.http, (ev_ssize_t)(s.max_body < PUSH_PART_MAX ? s.max_body : PUSH_PART_MAX));
	evhttp_set_timeout(s.http, s.timeout);
	evhttp_set_allowed_methods(s.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evutil_make_socket_nonblocking(listen_fd);
	if (!(s.bound = evhttp_accept_socket_with_handle(s.http, listen_fd))) {
		strata_netproc_log("network process: cannot accept on the listening socket");
		error = STRATA_ERROR;
		goto done;
	}
	{
		strata_guard_opts g = { CONNS_MAX, RESERVE, CONNS_PER_ADDR, 0, "network process", guard_log };
		if (!(s.guard = strata_guard_new(s.base, s.bound, &g))) {
			strata_netproc_log("network process: %s", strata_error_last());
			error = STRATA_ERROR;
			goto done;
		}
	}
	if (args->metrics_fd >= 0) {
		struct evhttp_bound_socket *mbound = NULL;
		strata_guard_opts g = { 32, RESERVE, 8, s.timeout, "metrics listener", guard_log };
		evutil_make_socket_nonblocking(args->metrics_fd);
		if (!(s.mhttp = evhttp_new(s.base)) || !(mbound = evhttp_accept_socket_with_handle(s.mhttp, args->metrics_fd)) ||
		    !(s.mguard = strata_guard_new(s.base, mbound, &g))) {
			strata_netproc_log("network process: cannot accept on the metrics socket");
			error = STRATA_ERROR;
			goto done;
		}
		evhttp_set_bevcb(s.mhttp, metrics_bev_cb, &s);
		evhttp_set_gencb(s.mhttp, metrics_cb, &s);
		evhttp_set_allowed_methods(s.mhttp, EVHTTP_REQ_GET);
		evhttp_set_max_headers_size(s.mhttp, HEADERS_MAX);
		evhttp_set_max_body_size(s.mhttp, 0);
		evhttp_set_timeout(s.mhttp, s.timeout);
	}
	tv.tv_sec = s.timeout;
	tv.tv_usec = 0;
	event_add(s.tick, &tv);
	event_add(s.sigterm, NULL);
	event_add(s.sigint, NULL);
	event_add(s.sighup, NULL);
	event_base_dispatch(s.base);
	error = s.failed ? strata_error_set("the network process ran out of memory") : 0;
done:
	strata_tls_identity_dispose(&id);
	strata_guard_stop_accepting(s.guard);
	strata_guard_stop_accepting(s.mguard);
	if (s.http)
		evhttp_free(s.http);
	if (s.mhttp)
		evhttp_free(s.mhttp);
	strata_guard_free(s.guard);
	strata_guard_free(s.mguard);
	if (s.chan)
		bufferevent_free(s.chan);
	if (s.tick)
		event_free(s.tick);
	if (s.drain)
		event_free(s.drain);
	if (s.sigterm)
		event_free(s.sigterm);
	if (s.sigint)
		event_free(s.sigint);
	if (s.sighup)
		event_free(s.sighup);
	while (s.pending) {
		struct pending *p = s.pending;
		s.pending = p->next;
		free(p);
	}
	if (s.base)
		event_base_free(s.base);
	SSL_CTX_free(s.ctx);
	free(s.pins.pins);
	for (size_t i = 0; i < s.nretired; i++)
		free(s.retired[i]);
	free(s.retired);
	return error;
}

