/*
 * serve.c - the replication daemon: the network process (libevent evhttp
 * over OpenSSL bufferevents) and the node process behind it.
 *
 * Invariants: the network process never holds the node key (it is forked
 * first, strata/netproc.h); it answers nothing itself but refusals, and
 * hands on only requests from a peer whose certificate a pinned key vouched
 * for.  The node process treats those requests as untrusted all the same:
 * a state body is parsed strictly, a pushed parcel goes through the parcel
 * import, refused exactly as a file would be.
 *
 * Trust: everything from the network; the network process's messages.
 */
#include "strata/net/serve.h"
#include "strata/format/msg.h"
#include "strata/net/netproc.h"
#include "strata/replica/link.h"
#include "strata/replica/parcel_export.h"
#include "strata/replica/parcel_import.h"
#include "strata/net/tls.h"
#include "strata/base/enc.h"
#include "strata/base/fs.h"
#include "strata/format/name.h"
#include "strata/node/peers.h"
#include "netproto.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
#define STATE_BODY_MAX 65536
#define STATE_REFS_MAX 1024

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	char t[32];
	va_list ap;

	strata_enc_utc_stamp(t, sizeof(t), (int64_t)time(NULL));
	fprintf(stderr, "%s ", t);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* ---------------------------------------------------------------------
 * The network process.
 */

struct server;

/* One TCP connection; lives as long as its SSL object (ex_data free hook). */
struct conn {
	struct server *s;
	SSL *ssl;
	time_t born;
	int receiving;		/* its request is not complete yet */
	char addr[64];
	struct conn *prev, *next;
};

/* A request handed to the node process, waiting for its answer. */
struct pending {
	uint64_t id;
	struct evhttp_request *req;	/* NULL once its connection closed */
	struct conn *conn;
	struct pending *next;
};

struct server {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	SSL_CTX *ctx;
	strata_tls_pins pins;
	struct bufferevent *chan;
	struct pending *pending;
	struct conn *conns;
	uint64_t next_id;
	int timeout;
	size_t max_body;
	int draining;
	time_t drain_started;
	struct event *tick, *drain, *sigterm, *sigint;
};

static int conn_index = -1;

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
	logf_("dropped %s: %s", c->addr, why);
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
	logf_("refused TLS from %s: %s%s%s", c->addr, SSL_alert_desc_string_long(ret),
	      c->s->pins.why[0] ? ": " : "", c->s->pins.why);
	c->s->pins.why[0] = '\0';
}

static struct bufferevent *bev_cb(struct event_base *base, void *arg)
{
	struct server *s = arg;
	struct conn *c = calloc(1, sizeof(*c));
	SSL *ssl = SSL_new(s->ctx);
	struct bufferevent *bev;

	/* evhttp would fall back to plain HTTP on NULL: never return it */
	if (!c || !ssl || !SSL_set_ex_data(ssl, conn_index, c)) {
		logf_("out of memory for a connection");
		abort();
	}
	c->s = s;
	c->ssl = ssl;
	c->receiving = 1;
	c->born = time(NULL);
	if ((c->next = s->conns) != NULL)
		c->next->prev = c;
	s->conns = c;
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		logf_("cannot make a TLS bufferevent");
		abort();
	}
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
	if (!s->conns || time(NULL) - s->drain_started > s->timeout)
		event_base_loopexit(s->base, NULL);
}

static void reply_text(struct evhttp_request *req, int status, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();

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
	int op;

	if (c)
		c->receiving = 0;
	if (!pin) {	/* the handshake requires one: this is a bug, not a peer */
		reply_text(req, 403, "Forbidden", "no authenticated peer");
		return;
	}
	/* draining: a request on a connection accepted before the signal is in flight; answer it */
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
		logf_("bad message from the node process: %s", strata_error_last());
		event_base_loopexit(s->base, NULL);
		return;
	}
	for (pp = &s->pending; *pp && (*pp)->id != id; pp = &(*pp)->next)
		;
	if (!(p = *pp))
		return;
	*pp = p->next;
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
			logf_("bad message from the node process: %s", strata_error_last());
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
	logf_("signal %d: finishing %s, accepting no more", (int)sig, s->conns ? "open connections" : "nothing");
	s->draining = 1;
	s->drain_started = time(NULL);
	if (s->bound)
		evhttp_del_accept_socket(s->http, s->bound);
	s->bound = NULL;
	if (s->drain) {
		struct timeval tv = { 0, 100000 };
		event_add(s->drain, &tv);
	}
	drain_cb(-1, 0, s);
}

static int load_pins(strata_tls_pins *pins, const strata_msg *m)
{
	size_t n = m->has[T_PINS] ? m->len[T_PINS] / PIN_WIRE : 0;

	if (!m->has[T_PINS] || m->len[T_PINS] % PIN_WIRE)
		return strata_error_set("bad pins");
	if (n && !(pins->pins = calloc(n, sizeof(*pins->pins))))
		return strata_error_set("out of memory");
	for (size_t i = 0; i < n; i++) {
		const unsigned char *w = m->ptr[T_PINS] + i * PIN_WIRE;
		memcpy(pins->pins[i].name, w, 63);
		memcpy(pins->pins[i].key.raw, w + 64, 32);
	}
	pins->n = n;
	return 0;
}


static int server_main(int fd, void *arg)
{
	int listen_fd = *(int *)arg;
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
		logf_("network process: %s", strata_error_last());
		strata_msg_dispose(&init);
		return STRATA_ERROR;
	}
	strata_msg_dispose(&init);
	s.timeout = (int)timeout;
	s.max_body = (size_t)max_body;
	if (conn_index < 0)
		conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free);
	if (strata_tls_ctx_new(&s.ctx, 1, &id) < 0 || strata_tls_ctx_pin(s.ctx, &s.pins) < 0) {
		logf_("network process: %s", strata_error_last());
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
	    !(s.sigint = evsignal_new(s.base, SIGINT, stop_cb, &s))) {
		logf_("network process: cannot set up libevent");
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
		logf_("network process: cannot accept on the listening socket");
		goto done;
	}
	tv.tv_sec = s.timeout;
	tv.tv_usec = 0;
	event_add(s.tick, &tv);
	event_add(s.sigterm, NULL);
	event_add(s.sigint, NULL);
	event_base_dispatch(s.base);
	error = 0;
done:
	strata_tls_identity_dispose(&id);
	if (s.http)
		evhttp_free(s.http);
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
	while (s.pending) {
		struct pending *p = s.pending;
		s.pending = p->next;
		free(p);
	}
	if (s.base)
		event_base_free(s.base);
	SSL_CTX_free(s.ctx);
	free(s.pins.pins);
	return error;
}

/* ---------------------------------------------------------------------
 * The node process.
 */

static volatile sig_atomic_t stop_signal;
static pid_t net_pid = -1;

static void on_stop(int sig)
{
	stop_signal = sig;
	if (net_pid > 0)
		kill(net_pid, SIGTERM);
}

static int listen_on(const char *addr)
{
	char host[256], *colon;
	const char *port;
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, one = 1, rc;

	if (strlen(addr) >= sizeof(host) || !(colon = strrchr(strcpy(host, addr), ':')) || !colon[1])
		return strata_error_set("--listen '%s': expected HOST:PORT or :PORT", addr);
	*colon = '\0';
	port = colon + 1;
	if (host[0] == '[' && colon > host + 1 && colon[-1] == ']') {	/* [::1]:8443 */
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res)) != 0)
		return strata_error_set("--listen '%s': %s", addr, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return strata_error_set("cannot listen on '%s': %s", addr, strerror(errno));
	return fd;
}

/* The address a socket is bound to, port 0 resolved (for the log). */
static void bound_name(char *out, size_t size, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[64] = "?", port[8] = "?";

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port),
			    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(out, size, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

static int pins_wire(strata_buf *out, strata_node *n, size_t *count)
{
	char **names = NULL;
	strata_buf key = STRATA_BUF_INIT;
	strata_pubkey pk;
	int error;

	if ((error = strata_peers_list(&names, count, n)) < 0)
		return error;
	for (size_t i = 0; !error && i < *count; i++) {
		char w[PIN_WIRE];
		strata_buf_clear(&key);
		if ((error = strata_peers_get(&key, n, names[i], "key")) < 0 ||
		    (error = strata_sign_pubkey_parse(&pk, key.ptr)) < 0) {
			strata_error_set("node.conf: peer '%s': bad key: %s", names[i], strata_error_last());
			break;
		}
		memset(w, 0, sizeof(w));
		memcpy(w, names[i], strlen(names[i]));
		memcpy(w + 64, pk.raw, 32);
		error = strata_buf_put(out, w, sizeof(w));
	}
	strata_buf_dispose(&key);
	strata_peers_list_free(names);
	return error;
}

static int capture(const void *data, size_t len, void *payload)
{
	strata_buf *b = payload;
	b->max = NET_MSG_MAX - 4096;
	return strata_buf_put(b, data, len);
}

/* From the code the failure was set with: the functions' own returns are often plain STRATA_ERROR. */
static int http_status_of(int code)
{
	switch (code) {
	case STRATA_EBUSY: return 503;
	case STRATA_ETOOBIG: return 413;
	case STRATA_EDENIED: return 403;
	case STRATA_ENOTFOUND: return 404;
	default: return 422;
	}
}

/*
 * Pushes arriving in parts (netproto.h): each upload is an unlinked spool
 * file under NODE/tmp (so neither a crash nor a writer clearing NODE/tmp
 * can leave or lose one), appended to part by part without the node lock,
 * and imported from the file after its last part.  At most UPLOADS_MAX at
 * once, UPLOADS_PER_PEER for one peer; an upload idle longer than
 * UPLOAD_IDLE seconds, or the oldest when the table is full, is dropped.
 */
#define UPLOADS_MAX 16
#define UPLOADS_PER_PEER 2
#define UPLOAD_IDLE 600

typedef struct {
	char peer[64];
	char token[33];
	int fd;			/* -1: free */
	uint64_t size;
	time_t touched;
} upload_slot;

static upload_slot uploads[UPLOADS_MAX];
static size_t serve_max_body;

static void upload_drop(upload_slot *u)
{
	if (u->fd >= 0)
		close(u->fd);
	memset(u, 0, sizeof(*u));
	u->fd = -1;
}

static void uploads_init(void)
{
	for (size_t i = 0; i < UPLOADS_MAX; i++) {
		memset(&uploads[i], 0, sizeof(uploads[i]));
		uploads[i].fd = -1;
	}
}

/* "upload=TOKEN&offset=N&last=0|1", exactly. */
static int parse_part(const char *q, char token[33], uint64_t *offset, int *last)
{
	char again[128];
	unsigned long long off;
	int l, n = 0;

	if (strlen(q) > 120 || sscanf(q, "upload=%32[0-9a-f]&offset=%llu&last=%d%n", token, &off, &l, &n) != 3 ||
	    (size_t)n != strlen(q) || strlen(token) != 32 || (l != 0 && l != 1))
		return strata_error_set("bad push part '%.64s': expected upload=TOKEN&offset=N&last=0|1", q);
	snprintf(again, sizeof(again), "upload=%s&offset=%llu&last=%d", token, off, l);
	if (strcmp(again, q))
		return strata_error_set("bad push part '%.64s': expected upload=TOKEN&offset=N&last=0|1", q);
	*offset = off;
	*last = l;
	return 0;
}

/* The slot for (peer, token): found, or made for offset 0. */
static int upload_slot_for(upload_slot **out, strata_node *n, const char *peer, const char *token, uint64_t offset)
{
	upload_slot *u = NULL, *oldest = NULL;
	time_t now = time(NULL);
	size_t mine = 0;

	*out = NULL;
	for (size_t i = 0; i < UPLOADS_MAX; i++) {
		upload_slot *x = &uploads[i];
		if (x->fd >= 0 && now - x->touched > UPLOAD_IDLE)
			upload_drop(x);
		if (x->fd >= 0 && !strcmp(x->peer, peer) && !strcmp(x->token, token))
			u = x;
	}
	if (offset > 0) {
		if (!u)
			return strata_error_setc(STRATA_ENOTFOUND, "push part at offset %llu of an upload this node "
						 "does not have (expired, or the daemon restarted): start again",
						 (unsigned long long)offset);
		if (u->size != offset)
			return strata_error_set("push part at offset %llu, but the upload holds %llu bytes",
						(unsigned long long)offset, (unsigned long long)u->size);
		*out = u;
		return 0;
	}
	if (u)
		upload_drop(u);	/* started again */
	for (size_t i = 0; i < UPLOADS_MAX; i++) {
		upload_slot *x = &uploads[i];
		if (x->fd >= 0 && !strcmp(x->peer, peer))
			mine++;
	}
	/* a free slot; else the oldest upload (this peer's own, once it has its share) */
	for (size_t i = 0; i < UPLOADS_MAX; i++) {
		upload_slot *x = &uploads[i];
		int candidate = mine >= UPLOADS_PER_PEER ? x->fd >= 0 && !strcmp(x->peer, peer) : 1;
		if (!candidate)
			continue;
		if (x->fd < 0 && mine < UPLOADS_PER_PEER) {
			oldest = x;
			break;
		}
		if (!oldest || x->touched < oldest->touched)
			oldest = x;
	}
	u = oldest;
	upload_drop(u);
	{
		strata_buf path = STRATA_BUF_INIT;
		char *tmp = strata_fs_path_join(strata_node_path(n), "tmp");
		int error = 0;
		if (!tmp || strata_fs_mkdir_p(tmp, 0700) < 0 || strata_buf_printf(&path, "%s/push-XXXXXX", tmp) < 0)
			error = STRATA_ERROR;
		else if ((u->fd = mkstemp(path.ptr)) < 0)
			error = strata_error_sys(path.ptr);
		else
			unlink(path.ptr);
		free(tmp);
		strata_buf_dispose(&path);
		if (error < 0) {
			upload_drop(u);
			return error;
		}
	}
	snprintf(u->peer, sizeof(u->peer), "%s", peer);
	snprintf(u->token, sizeof(u->token), "%s", token);
	u->size = 0;
	*out = u;
	return 0;
}

/* One part of a push: appended; after the last, the parcel imported from the spool. */
static int push_part(strata_node *n, const char *peer, const strata_msg *m, strata_buf *body,
		     strata_parcel_result *res, int *done)
{
	char token[33] = "0123456789abcdef0123456789abcdef", query[300] = "", what[128];
	uint64_t offset = 0;
	int last = 1, error;
	upload_slot *u;

	*done = 0;
	if (m->has[T_QUERY] && (strata_msg_str(query, sizeof(query), m, T_QUERY) < 0 ||
				parse_part(query, token, &offset, &last) < 0))
		return STRATA_ERROR;
	if (offset + m->len[T_BODY] > serve_max_body)
		return strata_error_setc(STRATA_ETOOBIG, "a parcel larger than this daemon's --max-body (%zu bytes)",
					 serve_max_body);
	if ((error = upload_slot_for(&u, n, peer, token, offset)) < 0)
		return error;
	for (size_t w = 0; w < m->len[T_BODY];) {
		ssize_t k = write(u->fd, m->ptr[T_BODY] + w, m->len[T_BODY] - w);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			error = strata_error_sys("cannot spool a pushed part");
			upload_drop(u);
			return error;
		}
		w += (size_t)k;
	}
	u->size += m->len[T_BODY];
	u->touched = time(NULL);
	if (!last) {
		strata_buf_printf(body, "part accepted: %llu bytes so far\n", (unsigned long long)u->size);
		return 0;
	}
	*done = 1;
	snprintf(what, sizeof(what), "push from %s", peer);
	error = strata_parcel_import_fd(n, what, u->fd, peer, res);
	upload_drop(u);
	return error;
}

/* One request from the network process; fills `body`, returns the HTTP status. */
static int handle(strata_node *n, int op, const char *peer, const strata_msg *m, strata_buf *body, const char **type)
{
	strata_parcel_result res;
	strata_link_side have;
	int error = 0, status = 200;

	*type = "text/plain; charset=utf-8";
	switch (op) {
	case OP_STATE:
		error = strata_link_state_format(body, n, peer);
		if (!error)
			logf_("%s: state", peer);
		break;
	case OP_PULL:
		if ((error = strata_link_state_parse(&have, (const char *)m->ptr[T_BODY], m->len[T_BODY],
						     STATE_REFS_MAX)) < 0)
			break;
		error = strata_parcel_export_for(n, peer, &have, capture, body, &res);
		free(have.refs);
		if (!error && res.uptodate) {
			status = 204;
			logf_("%s: pull: up to date (%zu views)", peer, res.nrefs);
		} else if (!error) {
			*type = "application/x-strata-parcel";
			logf_("%s: pull: parcel %llu, %zu views (%zu changed), %zu objects, %zu bytes", peer,
			      (unsigned long long)res.sequence, res.nrefs, res.changed, res.objects, res.bytes);
		}
		break;
	case OP_PUSH: {
		int done;
		if ((error = push_part(n, peer, m, body, &res, &done)) < 0 || !done)
			break;
		if (res.uptodate) {
			strata_buf_printf(body, "parcel %llu from %s: already imported\n", (unsigned long long)res.sequence, peer);
			logf_("%s: push: parcel %llu already imported", peer, (unsigned long long)res.sequence);
		} else {
			strata_buf_printf(body, "parcel %llu from %s: %zu of %zu views changed, %zu objects, %zu bytes\n",
					  (unsigned long long)res.sequence, peer, res.changed, res.nrefs, res.objects,
					  res.bytes);
			logf_("%s: push: parcel %llu, %zu of %zu views changed, %zu objects, %zu bytes", peer,
			      (unsigned long long)res.sequence, res.changed, res.nrefs, res.objects, res.bytes);
		}
		break;
	}
	default:
		error = strata_error_set("unknown operation %d", op);
	}
	strata_node_unlock(n);
	if (error < 0) {
		status = http_status_of(strata_error_last_code());
		strata_buf_clear(body);
		strata_buf_printf(body, "%s\n", strata_error_last());
		*type = "text/plain; charset=utf-8";
		logf_("%s: %s: %d %s", peer, op == OP_STATE ? "state" : op == OP_PULL ? "pull" : "push", status,
		      strata_error_last());
	}
	return status;
}

static int serve_loop(strata_node *n, int fd)
{
	for (;;) {
		strata_msg m;
		strata_buf body = STRATA_BUF_INIT, out = STRATA_BUF_INIT;
		uint64_t id, op;
		char peer[64];
		const char *type;
		int rc, status;

		if ((rc = strata_msg_read(&m, fd, NET_MSG_MAX)) != 0)
			return rc > 0 ? 0 : rc;
		if (strata_msg_u64(&id, &m, T_ID) < 0 || strata_msg_u64(&op, &m, T_OP) < 0 ||
		    strata_msg_str(peer, sizeof(peer), &m, T_PEER) < 0 || !m.has[T_BODY] || !strata_name_node_valid(peer)) {
			strata_msg_dispose(&m);
			return strata_error_set("bad message from the network process: %s", strata_error_last());
		}
		status = handle(n, (int)op, peer, &m, &body, &type);
		out.max = NET_MSG_MAX;
		rc = strata_msg_begin(&out);
		if (!rc)
			rc = strata_msg_add_u64(&out, T_ID, id) < 0 || strata_msg_add_u64(&out, T_STATUS, (uint64_t)status) < 0 ||
			     strata_msg_add_str(&out, T_TYPE, type) < 0 ||
			     strata_msg_add(&out, T_BODY, body.ptr ? body.ptr : "", body.len) < 0 ||
			     strata_msg_end(&out) < 0 || strata_msg_write(fd, &out) < 0 ? STRATA_ERROR : 0;
		strata_msg_dispose(&m);
		strata_buf_dispose(&body);
		strata_buf_dispose(&out);
		if (rc < 0)
			return rc;
	}
}

int strata_serve(strata_node *n, const strata_serve_opts *o)
{
	strata_tls_identity id = { STRATA_BUF_INIT, STRATA_BUF_INIT };
	strata_buf init = STRATA_BUF_INIT, pins = STRATA_BUF_INIT;
	struct sigaction sa;
	size_t npeers = 0;
	int listen_fd, fd = -1, error;
	pid_t pid = -1;
	char where[96];

	if (o->timeout < 1 || o->max_body < 1024)
		return strata_error_set("--timeout must be at least 1 second and --max-body at least 1 KiB");
	if ((error = pins_wire(&pins, n, &npeers)) < 0)
		return error;
	if (npeers == 0) {
		strata_buf_dispose(&pins);
		return strata_error_set("node.conf pins no peer: nobody could connect (add one with 'strata peer add')");
	}
	if ((listen_fd = listen_on(o->listen)) < 0) {
		strata_buf_dispose(&pins);
		return listen_fd;
	}
	bound_name(where, sizeof(where), listen_fd);
	/* the network process is forked before the key is loaded */
	error = strata_netproc_spawn(&pid, &fd, listen_fd, server_main, &listen_fd);
	close(listen_fd);
	if (error < 0)
		goto done;
	net_pid = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: the loop sees EINTR and goes on */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((error = strata_node_load_key(n)) < 0 ||
	    (error = strata_tls_identity_new(&id, strata_node_name(n), strata_node_key(n))) < 0)
		goto done;
	uploads_init();
	serve_max_body = o->max_body;
	init.max = 1 << 20;
	if ((error = strata_msg_begin(&init)) < 0 ||
	    (error = identity_add(&init, &id)) < 0 ||
	    (error = strata_msg_add(&init, T_PINS, pins.ptr ? pins.ptr : "", pins.len)) < 0 ||
	    (error = strata_msg_add_u64(&init, T_TIMEOUT, (uint64_t)o->timeout)) < 0 ||
	    (error = strata_msg_add_u64(&init, T_MAXBODY, (uint64_t)o->max_body)) < 0 ||
	    (error = strata_msg_end(&init)) < 0 || (error = strata_msg_write(fd, &init)) < 0)
		goto done;
	strata_tls_identity_dispose(&id);
	strata_buf_dispose_secret(&init);
	logf_("%s (%s) serving on %s for %zu peers", strata_node_name(n), strata_node_tier(n), where, npeers);
	error = serve_loop(n, fd);
done:
	strata_tls_identity_dispose(&id);
	strata_buf_dispose_secret(&init);
	strata_buf_dispose(&pins);
	if (fd >= 0)
		close(fd);
	if (pid > 0) {
		int werr;
		char *msg = error < 0 ? strdup(strata_error_last()) : NULL;
		if (error < 0)
			kill(pid, SIGTERM);
		werr = strata_netproc_wait(pid);
		if (!error && werr < 0 && !stop_signal)
			error = werr;
		if (msg) {
			strata_error_set("%s", msg);
			free(msg);
		}
	}
	net_pid = -1;
	if (!error)
		logf_("%s stopped", strata_node_name(n));
	return error;
}
