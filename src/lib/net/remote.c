/*
 * remote.c - the client side of replication: libcurl in the network
 * process, parcels in the node process.
 *
 * Invariants: the network process is forked before the node key is
 * loaded; a parcel is imported only once the whole body arrived (libcurl
 * reports a cut transfer), and the import is all or nothing.
 *
 * Trust: the peer's answers, and the network process's messages.
 */
#include "strata/net/remote.h"
#include "strata/base/i18n.h"
#include "strata/format/msg.h"
#include "strata/net/netproc.h"
#include "strata/net/tls.h"
#include "strata/base/enc.h"
#include "strata/format/name.h"
#include "strata/node/peers.h"
#include "strata/node/keys.h"
#include "strata/replica/link.h"
#include "strata/replica/erase.h"
#include "strata/replica/receipt.h"
#include "strata/replica/process.h"
#include "strata/replica/parcel_import.h"
#include "strata/replica/parcel_export.h"
#include "netproto.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/rand.h>


struct strata_remote {
	strata_node *n;
	strata_remote_opts o;
	pid_t pid;
	int fd;
};

/* --- the network process --- */

typedef struct {
	strata_tls_identity *id;
	strata_tls_pins pins;
	strata_tls_pin pin;
	strata_buf body;
	int progress;
	const char *label;
	curl_off_t shown;
	curl_off_t sent;	/* parts of a push before this one */
} client_req;

static CURLcode ctx_cb(CURL *curl, void *sslctx, void *arg)
{
	client_req *q = arg;

	(void)curl;
	if (strata_tls_ctx_use(sslctx, q->id) < 0 || strata_tls_ctx_pin(sslctx, &q->pins) < 0)
		return CURLE_SSL_CERTPROBLEM;
	return CURLE_OK;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	client_req *q = arg;
	return strata_buf_put(&q->body, data, size * nmemb) < 0 ? 0 : size * nmemb;
}

static int progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	client_req *q = arg;
	curl_off_t now = dlnow + ulnow + q->sent;

	(void)dltotal;
	(void)ultotal;
	if (q->progress && now - q->shown >= 256 * 1024) {
		fputc('\r', stderr), fprintf(stderr, _("%s: %.1f MiB sent, %.1f MiB received"), q->label, (ulnow + q->sent) / 1048576.0,
			dlnow / 1048576.0);
		q->shown = now;
	}
	return 0;
}

/*
 * The part size of a push: PUSH_PART_MAX, or smaller if the environment
 * has STRATA_TEST_PUSH_PART=BYTES (1024 and up): test suites only, as
 * STRATA_TEST_FSYNC, so that a small parcel arrives in several parts.
 */
static size_t push_part_max(void)
{
	const char *v = getenv("STRATA_TEST_PUSH_PART");
	char *end;
	unsigned long long n = v ? strtoull(v, &end, 10) : 0;

	if (!v || *end || n < 1024 || n > PUSH_PART_MAX)
		return PUSH_PART_MAX;
	return (size_t)n;
}

static int client_request(int fd, strata_tls_identity *id, const strata_msg *m)
{
	char url[1024], peer[64];
	uint64_t op, rate = 0, progress = 0, timeout = 60;
	client_req q;
	CURL *curl = NULL;
	CURLcode cc;
	long status = 0;
	struct curl_slist *hdr = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	strata_buf out = STRATA_BUF_INIT;
	int rc;

	memset(&q, 0, sizeof(q));
	if (strata_msg_str(url, sizeof(url), m, T_URL) < 0 || strata_msg_u64(&op, m, T_OP) < 0 ||
	    strata_msg_str(peer, sizeof(peer), m, T_PEER) < 0 || !m->has[T_PINS] || m->len[T_PINS] != 32 ||
	    !m->has[T_BODY])
		return strata_error_set("bad request from the node process: %s", strata_error_last());
	strata_msg_u64(&rate, m, T_RATE);
	strata_msg_u64(&progress, m, T_PROGRESS);
	strata_msg_u64(&timeout, m, T_TIMEOUT);
	q.id = id;
	snprintf(q.pin.name, sizeof(q.pin.name), "%s", peer);
	memcpy(q.pin.key.raw, m->ptr[T_PINS], 32);
	q.pins.pins = &q.pin;
	q.pins.n = 1;
	q.body.max = NET_MSG_MAX - 4096;
	q.progress = (int)progress;
	q.label = peer;
	if (!(curl = curl_easy_init()))
		return strata_error_set("cannot start libcurl");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	/* our own check replaces the CA chain and host name: the pinned node key */
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, ctx_cb);
	curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &q);
	curl_easy_setopt(curl, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &q);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)timeout);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (long)timeout);
	if (rate) {
		curl_easy_setopt(curl, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)rate);
		curl_easy_setopt(curl, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)rate);
	}
	if (q.progress) {
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress_cb);
		curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &q);
	}
	/* the daemon may refuse the body (413) before it is sent, rather than cut it off */
	hdr = curl_slist_append(hdr, op == OP_PUSH ? "Expect: 100-continue" : "Expect:");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	if (op == OP_PULL) {
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, m->ptr[T_BODY]);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)m->len[T_BODY]);
	}
	if (op != OP_PUSH) {
		cc = curl_easy_perform(curl);
	} else {
		/* in parts of PUSH_PART_MAX (netproto.h): the daemon never holds a whole parcel */
		unsigned char rnd[16];
		char token[33], part[1200];
		size_t off = 0, part_max = push_part_max();
		cc = CURLE_OK;
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			snprintf(errbuf, sizeof(errbuf), _("cannot make an upload token"));
			cc = CURLE_SEND_ERROR;
		}
		strata_enc_hex(token, rnd, sizeof(rnd));
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		while (cc == CURLE_OK) {
			size_t n = m->len[T_BODY] - off < part_max ? m->len[T_BODY] - off : part_max;
			int last = off + n == m->len[T_BODY];
			snprintf(part, sizeof(part), "%s?upload=%s&offset=%zu&last=%d", url, token, off, last);
			curl_easy_setopt(curl, CURLOPT_URL, part);
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS, m->ptr[T_BODY] + off);
			curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
			strata_buf_clear(&q.body);
			q.sent = (curl_off_t)off;
			cc = curl_easy_perform(curl);
			off += n;
			status = 0;
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
			if (cc != CURLE_OK || status != 200 || off >= m->len[T_BODY])
				break;	/* the last part's answer, or a refusal of any part, is the answer */
		}
	}
	if (q.progress && q.shown)
		fputc('\n', stderr);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	out.max = NET_MSG_MAX;
	rc = strata_msg_begin(&out);
	if (!rc && cc != CURLE_OK) {
		strata_buf msg = STRATA_BUF_INIT;
		rc = strata_buf_printf(&msg, "%s: %s%s%s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc),
				       q.pins.why[0] ? ": " : "", q.pins.why);
		if (!rc && (strstr(errbuf, "alert bad certificate") || strstr(errbuf, "alert certificate required")))
			rc = strata_buf_printf(&msg, _(" (the daemon refused this node's certificate: does '%s' pin "
					       "this node's key under this node's name?)"), peer);
		if (!rc)
			rc = strata_msg_add_str(&out, T_ERROR, msg.ptr);
		strata_buf_dispose(&msg);
	} else if (!rc) {
		rc = strata_msg_add_u64(&out, T_STATUS, (uint64_t)status);
		if (!rc)
			rc = strata_msg_add(&out, T_BODY, q.body.ptr ? q.body.ptr : "", q.body.len);
	}
	if (!rc)
		rc = strata_msg_end(&out);
	if (!rc)
		rc = strata_msg_write(fd, &out);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(curl);
	strata_buf_dispose(&q.body);
	strata_buf_dispose(&out);
	return rc;
}

static int client_main(int fd, void *arg)
{
	strata_tls_identity id;
	strata_msg m;
	int rc;

	(void)arg;
	memset(&id, 0, sizeof(id));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return STRATA_ERROR;
	if (strata_msg_read(&m, fd, 1 << 20) != 0) {
		strata_msg_dispose(&m);
		return STRATA_ERROR;
	}
	rc = identity_from(&id, &m);
	strata_msg_dispose(&m);
	while (!rc && (rc = strata_msg_read(&m, fd, NET_MSG_MAX)) == 0) {
		rc = client_request(fd, &id, &m);
		strata_msg_dispose(&m);
	}
	if (rc < 0)
		fprintf(stderr, _("strata: network process: %s\n"), strata_error_last());
	strata_tls_identity_dispose(&id);
	curl_global_cleanup();
	return rc < 0 ? rc : 0;
}

/* --- the node process --- */

int strata_remote_open(strata_remote **out, strata_node *n, const strata_remote_opts *o)
{
	strata_remote *r = calloc(1, sizeof(*r));
	strata_tls_identity id = { STRATA_BUF_INIT, STRATA_BUF_INIT };
	strata_buf init = STRATA_BUF_INIT, rotations = STRATA_BUF_INIT;
	int error;

	*out = NULL;
	if (!r)
		return strata_error_set("out of memory");
	r->n = n;
	r->o = *o;
	if (r->o.timeout < 1)
		r->o.timeout = 60;
	signal(SIGPIPE, SIG_IGN);
	if ((error = strata_netproc_spawn(&r->pid, &r->fd, -1, client_main, NULL)) < 0) {
		free(r);
		return error;
	}
	init.max = 1 << 20;
	if ((error = strata_node_load_key(n)) < 0 || (error = strata_keys_rotations(&rotations, n)) < 0 ||
	    (error = strata_tls_identity_new(&id, strata_node_name(n), strata_node_key(n), &rotations)) < 0 ||
	    (error = strata_msg_begin(&init)) < 0 ||
	    (error = identity_add(&init, &id)) < 0 ||
	    (error = strata_msg_end(&init)) < 0 || (error = strata_msg_write(r->fd, &init)) < 0) {
		strata_remote_close(r);
		r = NULL;
	}
	strata_tls_identity_dispose(&id);
	strata_buf_dispose_secret(&init);
	strata_buf_dispose(&rotations);
	*out = r;
	return error;
}

void strata_remote_close(strata_remote *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);	/* the network process sees the end and exits */
	if (r->pid > 0 && strata_netproc_wait(r->pid) < 0)
		strata_error_clear();
	free(r);
}

typedef struct {
	long status;
	strata_buf body;
} response;

/* One HTTPS exchange through the network process. */
static int exchange(strata_remote *r, const char *peer, int op, const char *path, const void *body, size_t len,
		    response *resp)
{
	strata_buf url = STRATA_BUF_INIT, key = STRATA_BUF_INIT, m = STRATA_BUF_INIT;
	strata_pubkey pk;
	strata_msg in;
	uint64_t status;
	int error;

	memset(resp, 0, sizeof(*resp));
	memset(&in, 0, sizeof(in));
	if ((error = strata_peers_get(&url, r->n, peer, "url")) < 0) {
		strata_error_setc(error, "peer '%s' has no url in node.conf: exchange parcels with it "
				  "(export/import), or give it one with 'strata peer add %s ... --url'", peer, peer);
		goto done;
	}
	while (url.len && url.ptr[url.len - 1] == '/')
		url.ptr[--url.len] = '\0';
	if (strncmp(url.ptr, "https://", 8)) {
		error = strata_error_set("peer '%s': url '%s' is not https://", peer, url.ptr);
		goto done;
	}
	if ((error = strata_buf_puts(&url, path)) < 0 ||
	    (error = strata_peers_get(&key, r->n, peer, "key")) < 0 ||
	    (error = strata_sign_pubkey_parse(&pk, key.ptr)) < 0)
		goto done;
	m.max = NET_MSG_MAX;
	if ((error = strata_msg_begin(&m)) < 0 || (error = strata_msg_add_str(&m, T_URL, url.ptr)) < 0 ||
	    (error = strata_msg_add_u64(&m, T_OP, (uint64_t)op)) < 0 ||
	    (error = strata_msg_add_str(&m, T_PEER, peer)) < 0 ||
	    (error = strata_msg_add(&m, T_PINS, pk.raw, sizeof(pk.raw))) < 0 ||
	    (error = strata_msg_add(&m, T_BODY, body ? body : "", len)) < 0 ||
	    (error = strata_msg_add_u64(&m, T_RATE, (uint64_t)(r->o.limit_rate > 0 ? r->o.limit_rate : 0))) < 0 ||
	    (error = strata_msg_add_u64(&m, T_PROGRESS, (uint64_t)r->o.progress)) < 0 ||
	    (error = strata_msg_add_u64(&m, T_TIMEOUT, (uint64_t)r->o.timeout)) < 0 ||
	    (error = strata_msg_end(&m)) < 0 || (error = strata_msg_write(r->fd, &m)) < 0)
		goto done;
	if ((error = strata_msg_read(&in, r->fd, NET_MSG_MAX)) != 0) {
		error = strata_error_set("the network process ended: %s", error > 0 ? _("no answer") : strata_error_last());
		goto done;
	}
	if (in.has[T_ERROR]) {
		char msg[1100];
		if (strata_msg_str(msg, sizeof(msg), &in, T_ERROR) < 0)
			snprintf(msg, sizeof(msg), _("(unreadable error)"));
		error = strata_error_set("%s", msg);
		goto done;
	}
	if ((error = strata_msg_u64(&status, &in, T_STATUS)) < 0 || !in.has[T_BODY])
		goto done;
	resp->status = (long)status;
	resp->body.max = NET_MSG_MAX;
	error = strata_buf_put(&resp->body, in.ptr[T_BODY], in.len[T_BODY]);
done:
	strata_msg_dispose(&in);
	strata_buf_dispose(&url);
	strata_buf_dispose(&key);
	strata_buf_dispose(&m);
	return error;
}

int strata_remote_request(strata_remote *r, const char *peer, const char *path, const void *body, size_t len,
			  long *status, strata_buf *resp)
{
	response x;
	int error = exchange(r, peer, body ? OP_PUSH : OP_STATE, path, body, len, &x);

	*status = x.status;
	if (!error)
		error = strata_buf_put(resp, x.body.ptr ? x.body.ptr : "", x.body.len);
	strata_buf_dispose(&x.body);
	return error;
}

/* The peer's own words on a refusal, on one line. */
static int refused(const char *peer, const char *what, response *resp)
{
	for (size_t i = 0; i < resp->body.len; i++)
		if (resp->body.ptr[i] == '\n' || (unsigned char)resp->body.ptr[i] < 0x20)
			resp->body.ptr[i] = i + 1 == resp->body.len ? '\0' : ' ';
	return strata_error_set("%s: '%s' answered %ld: %.400s", what, peer, resp->status,
				resp->body.ptr ? resp->body.ptr : "");
}

/* A peer node.conf pins a key for; nothing is recorded about any other name. */
static int known_peer(strata_remote *r, const char *peer)
{
	strata_buf key = STRATA_BUF_INIT;
	int error = 0;

	if (!strata_name_node_valid(peer))
		error = strata_error_set("invalid peer name '%s'", peer);
	else if (strata_peers_get(&key, r->n, peer, "key") < 0)
		error = strata_peers_unknown(r->n, peer);
	strata_buf_dispose(&key);
	return error;
}

static int noted(strata_remote *r, const char *peer, int pull, int error)
{
	char *msg = error < 0 ? strdup(strata_error_last()) : NULL;

	if (strata_link_note_net(r->n, peer, pull, error < 0 ? (msg ? msg : "error") : NULL) < 0 && !error)
		error = STRATA_ERROR;
	else if (msg)
		strata_error_setc(error, "%s", msg);
	free(msg);
	return error;
}

int strata_remote_pull(strata_remote *r, const char *peer, strata_parcel_result *res)
{
	strata_buf state = STRATA_BUF_INIT;
	response resp;
	char what[128];
	int error, held;

	memset(res, 0, sizeof(*res));
	memset(&resp, 0, sizeof(resp));
	snprintf(res->peer, sizeof(res->peer), "%s", peer);
	if ((error = known_peer(r, peer)) < 0)
		return error;
	held = strata_node_locked(r->n);
	if ((error = strata_erasure_state(&state, r->n, peer)) < 0)
		goto done;
	if (!held)
		strata_node_unlock(r->n);	/* not across the exchange: the import takes it again */
	if ((error = exchange(r, peer, OP_PULL, "/v1/pull", state.ptr, state.len, &resp)) < 0)
		goto done;
	if (resp.status == 204) {
		res->uptodate = 1;
	} else if (resp.status == 200) {
		snprintf(what, sizeof(what), _("pull from %s"), peer);
		error = strata_parcel_import_from(r->n, what, resp.body.ptr, resp.body.len, peer, res);
	} else {
		error = refused(peer, "pull", &resp);
	}
done:
	strata_buf_dispose(&state);
	strata_buf_dispose(&resp.body);
	return noted(r, peer, 1, error);
}

typedef struct {
	strata_remote *r;
	const char *peer;
	response resp;
} push_ctx;

static int publish_push(const void *data, size_t len, void *payload)
{
	push_ctx *c = payload;
	int error = exchange(c->r, c->peer, OP_PUSH, "/v1/push", data, len, &c->resp);

	if (!error && c->resp.status != 200)
		error = refused(c->peer, "push", &c->resp);
	return error;
}

int strata_remote_push(strata_remote *r, const char *peer, strata_parcel_result *res)
{
	strata_link_side have;
	response resp;
	push_ctx c;
	int error;

	memset(res, 0, sizeof(*res));
	memset(&have, 0, sizeof(have));
	memset(&c, 0, sizeof(c));
	snprintf(res->peer, sizeof(res->peer), "%s", peer);
	if ((error = known_peer(r, peer)) < 0)
		return error;
	if ((error = exchange(r, peer, OP_STATE, "/v1/state", NULL, 0, &resp)) < 0)
		goto done;
	if (resp.status != 200)
		error = refused(peer, "push", &resp);
	else
		error = strata_link_state_parse(&have, resp.body.ptr, resp.body.len, STATE_REFS_MAX);
	strata_buf_dispose(&resp.body);
	if (error < 0)
		goto done;
	c.r = r;
	c.peer = peer;
	error = strata_parcel_export_for(r->n, peer, &have, "https-push", publish_push, &c, res);
	if (!error && !res->uptodate) {
		/* the peer's answer goes on with its signed receipt of what it holds now (an older daemon: the first line only) */
		const char *nl = c.resp.body.ptr ? memchr(c.resp.body.ptr, '\n', c.resp.body.len) : NULL;
		size_t rest = nl ? c.resp.body.len - (size_t)(nl + 1 - c.resp.body.ptr) : 0;
		if (rest) {
			strata_receipt_result rr;
			char what[128];
			snprintf(what, sizeof(what), _("the answer of '%s' to a push"), peer);
			error = strata_receipt_import(r->n, what, nl + 1, rest, &rr);
		}
	}
	/* what the peer's process has for us (process.h), with its state */
	if (!error && have.messages_len) {
		char what[128];
		snprintf(what, sizeof(what), _("the state of '%s'"), peer);
		error = strata_process_receive(r->n, peer, what, have.messages, have.messages_len);
	}
done:
	strata_link_side_dispose(&have);
	strata_buf_dispose(&c.resp.body);
	return noted(r, peer, 0, error);
}
