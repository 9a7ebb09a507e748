/*
 * serve.c - the replication daemon's node process: it forks the network
 * process (serve_net.c) before loading the key, then answers the requests
 * that process hands on, one at a time, each under the node's lock.
 *
 * Invariants: the node process treats every request as untrusted, though
 * the network process authenticated its peer: a state body is parsed
 * strictly, a pushed parcel goes through the parcel import, refused
 * exactly as a file would be.
 *
 * Trust: everything from the network; the network process's messages.
 */
#include "strata/net/serve.h"
#include "strata/base/i18n.h"
#include "strata/base/time.h"
#include "strata/replica/receipt.h"
#include "strata/net/serve_net.h"
#include "strata/format/msg.h"
#include "strata/net/netproc.h"
#include "strata/replica/link.h"
#include "strata/replica/erase.h"
#include "strata/replica/process.h"
#include "strata/replica/parcel_export.h"
#include "strata/replica/parcel_import.h"
#include "strata/net/tls.h"
#include "strata/base/enc.h"
#include "strata/base/fs.h"
#include "strata/format/name.h"
#include "strata/node/peers.h"
#include "strata/node/keys.h"
#include "strata/node/check.h"
#include "netproto.h"

#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>



static volatile sig_atomic_t stop_signal;
static pid_t net_pid = -1;

static void on_stop(int sig)
{
	stop_signal = sig;
	if (net_pid > 0)
		kill(net_pid, SIGTERM);
}

/* SIGHUP: the network process asks for node.conf to be read again (OP_RELOAD), between requests. */
static void on_hup(int sig)
{
	(void)sig;
	if (net_pid > 0)
		kill(net_pid, SIGHUP);
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
		{
			/* a revoked key is pinned for nobody: whoever stole it gets no handshake */
			char who[64], why[256];
			if (strata_peers_trusted_at(n, &pk, strata_time_now(), who, sizeof(who), why, sizeof(why)) == 2) {
				strata_netproc_log("%s: not accepted: its pinned key is %s", names[i], why);
				continue;
			}
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

/* The HTTP status for a failure's code (which the functions return as set at the failure). */
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
	if (part_parse(q, token, offset, last) < 0)
		return strata_error_set("bad push part '%.64s': expected upload=TOKEN&offset=N&last=0|1", q);
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
	if (m->has[T_QUERY] && ((error = strata_msg_str(query, sizeof(query), m, T_QUERY)) < 0 ||
				(error = parse_part(query, token, &offset, &last)) < 0))
		return error;
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
		strata_netproc_log("%s: push: part accepted, %llu bytes so far", peer, (unsigned long long)u->size);
		return 0;
	}
	*done = 1;
	snprintf(what, sizeof(what), _("push from %s"), peer);
	error = strata_parcel_import_fd(n, what, u->fd, peer, res);
	upload_drop(u);
	return error;
}

/* Seconds spent on each operation, and how many: for --metrics. */
static double op_seconds[OP_METRICS + 1];
static uint64_t op_count[OP_METRICS + 1];
static const char *const op_names[OP_METRICS + 1] = { "?", "state", "pull", "push", "reload", "metrics" };

struct metrics_views {
	strata_buf *out;
	const char *peer;
	const strata_link *l;
};

static int metrics_view(const char *name, const git_oid *commit, void *payload)
{
	struct metrics_views *v = payload;
	int sent = 0;
	for (size_t i = 0; i < v->l->out.nrefs; i++)
		if (!strcmp(v->l->out.refs[i].name, name))
			sent = git_oid_equal(&v->l->out.refs[i].commit, commit);
	return strata_buf_printf(v->out, "strata_view_unsent{peer=\"%s\",view=\"%s\"} %d\n", v->peer, name, !sent);
}

/*
 * The node's part of a scrape (Prometheus text, each family's lines
 * together): per operation, the time spent; per peer, when it last
 * succeeded, sent and received; per view, whether what is built was
 * sent.  Read without the lock: link files are written whole.
 */
static int metrics_text(strata_buf *out, strata_node *n)
{
	static const char *const heads[5] = {
		"# HELP strata_peer_last_success_timestamp_seconds The last network exchange with the peer that succeeded (0: never).\n"
		"# TYPE strata_peer_last_success_timestamp_seconds gauge\n",
		"# HELP strata_peer_last_success_age_seconds Seconds since that exchange (absent: never).\n"
		"# TYPE strata_peer_last_success_age_seconds gauge\n",
		"# HELP strata_peer_last_sent_timestamp_seconds When the last parcel for the peer was made (0: never).\n"
		"# TYPE strata_peer_last_sent_timestamp_seconds gauge\n",
		"# HELP strata_peer_last_received_timestamp_seconds When the last parcel from the peer was accepted (0: never).\n"
		"# TYPE strata_peer_last_received_timestamp_seconds gauge\n",
		"# HELP strata_view_unsent 1 if the view built for the peer is not what was last sent to it.\n"
		"# TYPE strata_view_unsent gauge\n",
	};
	strata_buf fam[5] = { STRATA_BUF_INIT, STRATA_BUF_INIT, STRATA_BUF_INIT, STRATA_BUF_INIT, STRATA_BUF_INIT };
	char **peers = NULL;
	size_t npeers = 0;
	int64_t now = strata_time_now();	/* link times are on the node's clock */
	int error;

	if ((error = strata_buf_puts(out,
		"# HELP strata_operation_duration_seconds Time the node process spent answering peers, by operation.\n"
		"# TYPE strata_operation_duration_seconds summary\n")) < 0)
		return error;
	for (int op = OP_STATE; op <= OP_PUSH; op++)
		if ((error = strata_buf_printf(out, "strata_operation_duration_seconds_sum{op=\"%s\"} %.6f\n"
					       "strata_operation_duration_seconds_count{op=\"%s\"} %llu\n", op_names[op],
					       op_seconds[op], op_names[op], (unsigned long long)op_count[op])) < 0)
			return error;
	if ((error = strata_peers_list(&peers, &npeers, n)) < 0)
		return error;
	for (int k = 0; !error && k < 5; k++)
		error = strata_buf_puts(&fam[k], heads[k]);
	for (size_t i = 0; !error && i < npeers; i++) {
		strata_link l;
		struct metrics_views v = { &fam[4], peers[i], &l };
		if (strata_link_load(&l, n, peers[i]) < 0) {
			strata_error_clear();
			continue;
		}
		if ((error = strata_buf_printf(&fam[0], "strata_peer_last_success_timestamp_seconds{peer=\"%s\"} %lld\n",
					       peers[i], (long long)l.net_ok)) == 0 &&
		    (!l.net_ok || (error = strata_buf_printf(&fam[1], "strata_peer_last_success_age_seconds{peer=\"%s\"} %lld\n",
							     peers[i], (long long)(now - l.net_ok))) == 0) &&
		    (error = strata_buf_printf(&fam[2], "strata_peer_last_sent_timestamp_seconds{peer=\"%s\"} %lld\n", peers[i],
					       (long long)l.out.time)) == 0 &&
		    (error = strata_buf_printf(&fam[3], "strata_peer_last_received_timestamp_seconds{peer=\"%s\"} %lld\n",
					       peers[i], (long long)l.in.time)) == 0)
			error = strata_link_foreach_view(n, peers[i], 0, metrics_view, &v);
		strata_link_dispose(&l);
	}
	for (int k = 0; k < 5; k++) {
		if (!error)
			error = strata_buf_put(out, fam[k].ptr, fam[k].len);
		strata_buf_dispose(&fam[k]);
	}
	strata_peers_list_free(peers);
	return error;
}

/* One request from the network process; fills `body`, returns the HTTP status. */
static int handle(strata_node *n, int op, const char *peer, const strata_msg *m, strata_buf *body, const char **type)
{
	strata_parcel_result res;
	strata_link_side have;
	int error = 0, status = 200;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	*type = "text/plain; charset=utf-8";
	/* what other processes wrote since the last request (an import, a prune's repack) */
	error = strata_node_refresh_store(n);
	switch (error < 0 ? 0 : op) {
	case 0:
		break;	/* the store cannot be read: said below */
	case OP_STATE:
		error = strata_erasure_state(body, n, peer);
		if (!error)
			strata_netproc_log("%s: state", peer);
		break;
	case OP_PULL:
		if ((error = strata_link_state_parse(&have, (const char *)m->ptr[T_BODY], m->len[T_BODY],
						     STATE_REFS_MAX)) < 0)
			break;
		error = strata_parcel_export_for(n, peer, &have, "https-pull", capture, body, &res);
		/* the puller's process messages: refused ones are in refused.log, and do not stop its pull */
		if (!error && have.messages_len &&
		    strata_process_receive(n, peer, "a pull's state", have.messages, have.messages_len) < 0)
			strata_netproc_log("%s: pull: %s", peer, strata_error_last());
		strata_link_side_dispose(&have);
		if (!error && res.uptodate) {
			status = 204;
			strata_netproc_log("%s: pull: up to date (%zu views)", peer, res.nrefs);
		} else if (!error) {
			*type = "application/x-strata-parcel";
			strata_netproc_log("%s: pull: parcel %llu, %zu views (%zu changed), %zu objects, %zu bytes", peer,
			      (unsigned long long)res.sequence, res.nrefs, res.changed, res.objects, res.bytes);
		}
		break;
	case OP_PUSH: {
		int done;
		if ((error = push_part(n, peer, m, body, &res, &done)) < 0 || !done)
			break;
		/* after the first line, what this node now holds: the pusher keeps it as confirmed (an erasure included) */
		if (res.uptodate) {
			strata_buf_printf(body, "parcel %llu from %s: already imported\n", (unsigned long long)res.sequence, peer);
			strata_netproc_log("%s: push: parcel %llu already imported", peer, (unsigned long long)res.sequence);
		} else {
			strata_buf_printf(body, "parcel %llu from %s: %zu of %zu views changed, %zu objects, %zu bytes\n",
					  (unsigned long long)res.sequence, peer, res.changed, res.nrefs, res.objects,
					  res.bytes);
			strata_netproc_log("%s: push: parcel %llu, %zu of %zu views changed, %zu objects, %zu bytes", peer,
			      (unsigned long long)res.sequence, res.changed, res.nrefs, res.objects, res.bytes);
		}
		error = strata_receipt_write(body, n, peer);	/* signed: the pusher keeps it as a receipt */
		break;
	}
	case OP_RELOAD: {
		/* node.conf's peers again, and a TLS identity under the node's key now (a rotation since the start) */
		strata_buf pins = STRATA_BUF_INIT, rot = STRATA_BUF_INIT;
		strata_tls_identity id = { STRATA_BUF_INIT, STRATA_BUF_INIT };
		size_t npeers = 0;
		body->max = 1 << 20;
		if ((error = strata_node_reload(n)) < 0 || (error = pins_wire(&pins, n, &npeers)) < 0 ||
		    (error = strata_node_flock(n)) < 0 || (error = strata_node_load_key(n)) < 0 ||
		    (error = strata_keys_rotations(&rot, n)) < 0 ||
		    (error = strata_tls_identity_new(&id, strata_node_name(n), strata_node_key(n), &rot)) < 0 ||
		    (error = strata_msg_begin(body)) < 0 || (error = strata_msg_add(body, T_PINS, pins.ptr ? pins.ptr : "", pins.len)) < 0 ||
		    (error = identity_add(body, &id)) < 0 || (error = strata_msg_end(body)) < 0)
			strata_netproc_log("SIGHUP: node.conf not reloaded, the peers stay as they were: %s", strata_error_last());
		else
			strata_netproc_log("SIGHUP: node.conf reloaded: %zu peers", npeers);
		strata_tls_identity_dispose(&id);
		strata_buf_dispose(&pins);
		strata_buf_dispose(&rot);
		*type = "application/x-strata-reload";
		break;
	}
	case OP_METRICS:
		body->max = 16 << 20;
		error = metrics_text(body, n);
		*type = "text/plain; version=0.0.4";
		break;
	default:
		error = strata_error_set("unknown operation %d", op);
	}
	strata_node_unlock(n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (op >= OP_STATE && op <= OP_METRICS) {
		op_seconds[op] += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		op_count[op]++;
	}
	if (error < 0) {
		status = http_status_of(error);
		strata_buf_clear(body);
		strata_buf_printf(body, "%s\n", strata_error_last());
		*type = "text/plain; charset=utf-8";
		if (op != OP_RELOAD && op != OP_METRICS)
			strata_netproc_log("%s: %s: %d %s", peer, op == OP_STATE ? "state" : op == OP_PULL ? "pull" : "push",
					   status, strata_error_last());
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
		strata_buf_dispose_secret(&body);	/* a reload's holds a TLS key */
		strata_buf_dispose_secret(&out);
		if (rc < 0)
			return rc;
	}
}

int strata_serve(strata_node *n, const strata_serve_opts *o)
{
	strata_tls_identity id = { STRATA_BUF_INIT, STRATA_BUF_INIT };
	strata_buf rotations = STRATA_BUF_INIT;
	strata_buf init = STRATA_BUF_INIT, pins = STRATA_BUF_INIT;
	struct sigaction sa;
	size_t npeers = 0;
	int listen_fd, metrics_fd = -1, fd = -1, error;
	strata_serve_net_args args;
	pid_t pid = -1;
	char where[96], mwhere[96] = "";

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
	if (o->metrics && (metrics_fd = listen_on(o->metrics)) < 0) {
		close(listen_fd);
		strata_buf_dispose(&pins);
		return metrics_fd;
	}
	bound_name(where, sizeof(where), listen_fd);
	if (metrics_fd >= 0)
		bound_name(mwhere, sizeof(mwhere), metrics_fd);
	/* the network process is forked before the key is loaded */
	args.listen_fd = listen_fd;
	args.metrics_fd = metrics_fd;
	error = strata_netproc_spawn2(&pid, &fd, listen_fd, metrics_fd, strata_serve_net_main, &args);
	close(listen_fd);
	if (metrics_fd >= 0)
		close(metrics_fd);
	if (error < 0)
		goto done;
	net_pid = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: the loop sees EINTR and goes on */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((error = strata_node_load_key(n)) < 0 || (error = strata_keys_rotations(&rotations, n)) < 0 ||
	    (error = strata_tls_identity_new(&id, strata_node_name(n), strata_node_key(n), &rotations)) < 0)
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
	strata_netproc_log_at(5, "%s (%s) serving on %s for %zu peers", strata_node_name(n), strata_node_tier(n), where, npeers);
	if (mwhere[0])
		strata_netproc_log_at(5, "metrics on http://%s/metrics", mwhere);
	error = serve_loop(n, fd);
done:
	strata_buf_dispose(&rotations);
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
		strata_netproc_log("%s stopped", strata_node_name(n));
	return error;
}
