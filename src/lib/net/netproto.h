/*
 * netproto.h - the messages between a node process and its network
 * process (serve.c, remote.c); private to the library.
 *
 * serve:  child -> parent  { ID, OP, PEER, BODY [, QUERY] }  (a push: one part, see below)
 *         parent -> child  { ID, STATUS, TYPE, BODY }
 * remote: parent -> child  { URL, OP, PEER, PIN, BODY, RATE, PROGRESS }
 *         child -> parent  { STATUS, BODY } or { ERROR }
 * Both first get { CERT, KEY, ... } from the parent: the TLS identity.
 */
#ifndef STRATA_NETPROTO_H
#define STRATA_NETPROTO_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "strata/format/msg.h"
#include "strata/net/tls.h"

enum {
	T_OP = 0, T_ID, T_PEER, T_BODY, T_STATUS, T_TYPE, T_CERT, T_KEY, T_PINS,
	T_TIMEOUT, T_MAXBODY, T_URL, T_RATE, T_ERROR, T_PROGRESS, T_QUERY
};

/*
 * A parcel is pushed in parts of at most PUSH_PART_MAX bytes, each its own
 * request: POST /v1/push?upload=TOKEN&offset=N&last=0|1, TOKEN 32 hex
 * digits the pusher chose, N the bytes already sent.  The node process
 * appends each part to a spool file of that peer's upload and imports it
 * after the last; a push without a query is one part.  So neither process
 * ever holds more of a body than a part: their memory does not grow with
 * parcels (evhttp 2.1 can only hand a server a body whole).
 */
#define PUSH_PART_MAX ((size_t)4 << 20)
/* a pull request's body (the caller's state) and the views a state may list */
#define STATE_BODY_MAX ((size_t)1 << 20)	/* with its process messages (process.h) */
#define STATE_REFS_MAX 1024

/*
 * OP_RELOAD: the network process got SIGHUP (the node process passes its
 * own on): the node process reads node.conf again and answers with the
 * new pins as BODY (200), or why not (the old ones stay).
 */
/*
 * OP_METRICS: a scrape of --metrics; the node process answers with its
 * part of the exposition (per peer and view, operation times), the
 * network process adds its counters.
 */
enum { OP_STATE = 1, OP_PULL, OP_PUSH, OP_RELOAD, OP_METRICS };

/*
 * A push part's query, exactly "upload=TOKEN&offset=N&last=0|1" (TOKEN 32
 * lower-case hex digits, N in its shortest decimal form): 0, or -1 for
 * anything else.  Both processes read it: the network process to keep an
 * upload's next parts coming while it drains, the node process to spool.
 */
static inline int part_parse(const char *q, char token[33], uint64_t *offset, int *last)
{
	char again[128];
	unsigned long long off;
	int l, n = 0;

	if (!q || strlen(q) > 120 || sscanf(q, "upload=%32[0-9a-f]&offset=%llu&last=%d%n", token, &off, &l, &n) != 3 ||
	    (size_t)n != strlen(q) || strlen(token) != 32 || (l != 0 && l != 1))
		return -1;
	snprintf(again, sizeof(again), "upload=%s&offset=%llu&last=%d", token, off, l);
	if (strcmp(again, q))
		return -1;
	*offset = off;
	*last = l;
	return 0;
}

/* A pin on the wire: the name NUL-padded to 64 bytes, then the raw key. */
#define PIN_WIRE (64 + 32)

/* Above any parcel (strata-parcel(5) caps) plus the message's own fields. */
#define NET_MSG_MAX ((size_t)0xffff0000u)

/* The TLS identity the node process sends the network process first. */
static inline int identity_add(strata_buf *m, const strata_tls_identity *id)
{
	if (strata_msg_add(m, T_CERT, id->cert_pem.ptr, id->cert_pem.len) < 0 ||
	    strata_msg_add(m, T_KEY, id->key_pem.ptr, id->key_pem.len) < 0)
		return STRATA_ERROR;
	return 0;
}

static inline int identity_from(strata_tls_identity *id, const strata_msg *m)
{
	memset(id, 0, sizeof(*id));
	if (!m->has[T_CERT] || !m->has[T_KEY])
		return strata_error_set("no TLS identity from the node process");
	return strata_tls_identity_copy(id, m->ptr[T_CERT], m->len[T_CERT], m->ptr[T_KEY], m->len[T_KEY]);
}

#endif
