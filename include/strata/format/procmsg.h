/*
 * procmsg.h - the signed messages of sharing as a process (doc/design.md,
 * "Sharing as a process"): a node's catalogue, a request for data, an
 * answer to it.
 *
 * A message is a JSON object (the body) signed by the node that wrote it
 * (its origin) with SSHSIG, namespace "strata-process".  It travels hop by
 * hop in an envelope, which relays may not change except to add
 * themselves to its path:
 *
 *     {"body": "<the body's exact bytes>", "sig": "<armored SSHSIG>",
 *      "key": "ssh-ed25519 ...", "hops": ["origin", "relay", ...]}
 *
 * written on the wire as the base64 of the envelope's JSON (one line, in
 * a parcel's MANIFEST "messages" or a state text's "message" lines).  The
 * body's kinds:
 *
 *   catalog   {kind, v, node, tier, key (the signer's; older nodes leave it out), time, datasets: [{name, title,
 *             description, attribute, frequency, contact, records,
 *             described, fields: [{name, label, type, class}],
 *             fields_total}]}: at most 256 fields listed, fields_total says
 *             how many the dataset has
 *             a node's whole catalogue; a newer time replaces an older
 *   request   {kind, v, id, from, owner, dataset, fields, purpose, basis,
 *             until, deadline, time}
 *   answer    {kind, v, request, from, role, to, decision, reason, policy,
 *             version, blob, time}: role "owner" (the owner's answer) or
 *             "relay" (a relay's leg: its own policy passes the fields on)
 *   correction {kind, v, id, from, filer, dataset, key, field, value, note,
 *             time}: a recipient's report of a wrong value, passed back
 *             hop by hop toward the record's owner; each hop signs its own
 *             (from), with the key as the next hop's recipient holds it
 *   fix       {kind, v, id, from, to, decision, reason, time}: the owner's
 *             answer to a correction (accept, reject), back to its filer
 *
 * Trust: everything decoded here is untrusted.  Decoding checks the
 * envelope's shape, the body's keys and types under fixed bounds, and the
 * signature against the envelope's key; whether that key is the origin's
 * is the caller's question (process.h: pinned peers and the directory).
 */
#ifndef STRATA_PROCMSG_H
#define STRATA_PROCMSG_H
#include <stdint.h>
#include <stddef.h>
#include "strata/base/buf.h"
#include "strata/format/sign.h"

#define STRATA_PROCMSG_NAMESPACE "strata-process"
#define STRATA_PROCMSG_VERSION 1
#define STRATA_PROCMSG_MAX ((size_t)256 << 10)	/* an envelope, base64 */
#define STRATA_PROCMSG_MAX_HOPS 16
#define STRATA_PROCMSG_MAX_DATASETS 256
#define STRATA_PROCMSG_MAX_FIELDS 256
#define STRATA_PROCMSG_TEXT_MAX 2048		/* bytes of a title, description, purpose, reason */
#define STRATA_PROCMSG_ID_LEN 16		/* a request's id: hex digits */

typedef enum {
	STRATA_MSG_CATALOG, STRATA_MSG_REQUEST, STRATA_MSG_ANSWER, STRATA_MSG_CORRECTION, STRATA_MSG_FIX
} strata_msg_kind;

typedef struct strata_procmsg {
	strata_msg_kind kind;
	char origin[64];		/* the body's node (catalog) or from (request, answer) */
	char id[65];			/* SHA-256 of the body, hex: the same message is the same id */
	struct json_t *body;		/* the parsed body (read with json_object_get) */
	strata_buf text;		/* the body's exact bytes */
	strata_buf sig;			/* armored */
	strata_pubkey key;		/* the signer's key, as the envelope names it and the signature proves */
	char hops[STRATA_PROCMSG_MAX_HOPS][64];	/* origin first, then each relay */
	size_t nhops;
} strata_procmsg;

/*
 * Signs `body` (an object this node made; its reference is taken) with
 * `k` into a new message whose path is just `origin`.
 */
int strata_procmsg_sign(strata_procmsg **out, struct json_t *body, const strata_key *k);
/*
 * Decodes one envelope (base64 text, `what` naming where it came from in
 * errors) and checks it as above; STRATA_EVERIFY if the signature does not
 * verify with the envelope's key.
 */
int strata_procmsg_decode(strata_procmsg **out, const char *what, const char *b64, size_t len);
/* Appends the envelope's base64, its path `m`'s hops then `add` (NULL: none). */
int strata_procmsg_encode(strata_buf *out, const strata_procmsg *m, const char *add);
void strata_procmsg_free(strata_procmsg *m);

/* A body's string or integer member (NULL, 0 if absent). */
const char *strata_procmsg_str(const strata_procmsg *m, const char *key);
int64_t strata_procmsg_int(const strata_procmsg *m, const char *key);
/* 1 if `id` is a request id: 16 lower-case hex digits. */
int strata_procmsg_id_valid(const char *id);
/* 1 if `hop` is on m's path. */
int strata_procmsg_has_hop(const strata_procmsg *m, const char *hop);
#endif
