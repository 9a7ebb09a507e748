/*
 * process.h - sharing as a process between officials (doc/design.md,
 * "Sharing as a process"): each node's catalogue of its datasets, requests
 * for data filed by one node and answered by the owner, and the legs each
 * relay approves on the way back.
 *
 * State lives in the audit log's tree beside the ledger (audit.h), so
 * every step is a signed event and the state as of any event can be read
 * back with stock git (`git show refs/strata/audit:process/...`):
 *
 *     process/described/DATASET   the officer's description of an own dataset
 *     process/catalog/NODE        the newest catalogue of NODE this node
 *                                 holds: {"via": PEER, "env": ENVELOPE}
 *     process/corrections/ID      a correction filed, passed on or received as
 *                                 the owner (the record by its ledger token)
 *     process/requests/ID         a request filed here, relayed or received:
 *                                 {"request": ENVELOPE, "via": PEER or "",
 *                                  "route": PEER or "", "legs": [...],
 *                                  "answers": [ENVELOPE...]}
 *
 * Messages (procmsg.h) travel with the ordinary exchanges, both ways:
 * in a parcel's MANIFEST ("messages") and in the state a node tells a
 * peer (a receipt, the answer to GET /v1/state, the body of a pull).  What
 * a node sends a peer is a function of its state (strata_process_lines),
 * so a lost parcel or answer costs nothing: the next exchange carries the
 * same, and a message already held changes nothing.
 *
 * Invariants:
 *   1. A message is accepted only from a pinned peer, only if its
 *      signature verifies with its origin's key: the pinned key for a
 *      peer, else the key the origin's catalogue first came with.  A
 *      request or answer from a node with neither is refused.
 *   2. A refused message refuses what carried it, which changes nothing.
 *   3. Relays see requests and answers, never records; a catalogue holds
 *      no value and no count finer than a rounded record count.
 *   4. Every change of state is one audit event, naming each message.
 *
 * Trust: messages are untrusted (procmsg.h); this node's state is its own.
 */
#ifndef STRATA_PROCESS_H
#define STRATA_PROCESS_H
#include <stdint.h>
#include "strata/base/buf.h"
#include "strata/node/node.h"
#include <git2.h>

#define STRATA_PROCESS_DEADLINE_DAYS 10			/* working days an owner has to answer */
#define STRATA_PROCESS_KEEP ((int64_t)30 * 86400)	/* an answer, or an unanswered request past its
							   deadline, is still sent for this long */
#define STRATA_PROCESS_MAX_MESSAGES 4096		/* in one parcel or state text */

/* --- the catalogue --- */

/* An officer's description of an own dataset (NULL members: as before, or empty). */
typedef struct {
	const char *title, *description, *attribute, *frequency, *contact;
	char **labels;		/* "FIELD=LABEL" */
	size_t nlabels;
	char **classes;		/* "FIELD=CLASS" */
	size_t nclasses;
	/*
	 * The standing rule of an open dataset: requests from these tiers for
	 * these fields are approved as they come, each recorded as an answer,
	 * when the policy for the peer toward the requester shares them
	 * (NULL: as before; an empty list: no rule)
	 */
	char **auto_tiers;
	size_t nauto_tiers;
	char **auto_fields;
	size_t nauto_fields;
	int set_auto;
} strata_process_description;

/*
 * Commits the description of own dataset `dataset`: an audit event whose
 * tree holds it.  Every field it labels must be in the dataset's schema.
 */
int strata_process_describe(strata_node *n, const char *dataset, const strata_process_description *d);

/* One dataset of a catalogue, as this node knows it. */
typedef struct {
	const char *owner, *tier, *dataset;
	const struct json_t *entry;	/* the dataset's object (procmsg.h) */
	const char *via;		/* "" for this node's own, else the peer it came from */
	const char *path;		/* the nodes it came through, "a > b > c" */
	int64_t time;			/* the catalogue's time (as its owner signed it) */
} strata_catalog_entry;
typedef int (*strata_catalog_cb)(const strata_catalog_entry *e, void *payload);
/* Every dataset of this node's own catalogue, then of every other it holds. */
int strata_process_catalog(strata_node *n, strata_catalog_cb cb, void *payload);

/* --- requests and answers --- */

/*
 * Files a request for `fields` of OWNER's `dataset` (as its catalogue,
 * held here, lists it: known, not closed, each field there), with its
 * purpose and legal basis, to keep until `until` (0: no end), answered
 * within `days` working days (0: the default).  Writes its id (16 hex
 * digits) into `id`.
 */
int strata_process_request(strata_node *n, const char *owner, const char *dataset, char *const *fields,
			   size_t nfields, const char *purpose, const char *basis, int64_t until, int days,
			   char id[17]);

/* A request as this node holds it. */
typedef struct {
	const char *id, *from, *owner, *dataset, *purpose, *basis;
	const struct json_t *fields;	/* array of strings */
	int64_t time, deadline, until;
	const char *role;		/* "filed" here, "owner", or "relay" */
	const char *via, *route;	/* the peer it came from ("" if filed here), the next hop to the owner */
	const char *status;		/* open, overdue, approved, refused, or (relay) "leg-open" */
	const char *answered_by;	/* the owner's answer: "" if none */
	const char *decision, *reason, *policy;	/* the owner's (policy: "NAME vVERSION") */
	const char *legs;		/* every relay's leg: "st-x approved (street-to-district v2), ..." */
	const char *waiting;		/* who must act next: "" if nobody */
	const struct json_t *state;	/* the stored object (process.h, above) */
} strata_request_info;
typedef int (*strata_request_cb)(const strata_request_info *r, void *payload);
/* Every request held here, newest first. */
int strata_process_requests(strata_node *n, strata_request_cb cb, void *payload);
/* Counts for status: open (here to answer), overdue, answered, filed open. */
typedef struct {
	size_t to_answer, overdue, answered, filed_open, filed_answered, legs_open;
} strata_process_counts;
int strata_process_count(strata_node *n, strata_process_counts *c);

/*
 * What request `id`, held here as its owner, would expose on the real
 * data: the records of the dataset, those unique on the fields asked
 * (re-identified by them alone), and those unique on the fields asked
 * together with the quasi-identifiers the peer toward the requester
 * already receives under its policy (raw values: an upper bound).
 */
typedef struct {
	size_t records, unique, pooled_unique;
	char peer[64];
	char pooled_fields[512];	/* "a,b,c" */
} strata_process_exposure;
int strata_process_expose(strata_node *n, const char *id, strata_process_exposure *e);

/*
 * Answers request `id` here: as its owner, or as a relay once the owner
 * approved (the leg: this node's policy for the peer toward the
 * requester).  Refusing needs `reason`.  Approving commits `policy_file`
 * first if given (it must name the request under `requests:`); then the
 * committed policy for the peer toward the requester must share every
 * requested field of the dataset, or the approval is refused and nothing
 * changes.
 */
int strata_process_answer(strata_node *n, const char *id, int approve, const char *reason, const char *policy_file);

/*
 * The requests held here that an approval names policy blob `blob` (hex)
 * for: "ID, ID" into `out` (nothing if none), so a trace names the
 * requests a record came under.
 */
int strata_process_requests_of_policy(strata_buf *out, strata_node *n, const char *blob);

/* --- corrections --- */

/*
 * Files a correction of `field` of the record `key` names in received
 * dataset `dataset` (as strata names it here): the value it should have,
 * and a note.  It goes back along the record's trace, each hop passing it
 * on with the key as the next one holds it (provenance.h), to the owner.
 * STRATA_ENOTFOUND if no record with that key was received here.
 */
int strata_process_correct(strata_node *n, const char *dataset, char *const *key, size_t nkey, const char *field,
			   const char *value, const char *note, char id[17]);

typedef struct {
	const char *id, *filer, *dataset, *field, *value, *note;
	int64_t time;
	const char *role;	/* "filed" here, "owner", "relay" */
	const char *via, *route;
	const char *status;	/* open, accepted, rejected, done (accepted, and the owner's record now holds it) */
	const char *decision, *reason, *answered_by;
	const char *current;	/* the owner's: the field's value in its record now */
	const char *record;	/* the owner's: the record's key there, "" elsewhere */
} strata_correction_info;
typedef int (*strata_correction_cb)(const strata_correction_info *c, void *payload);
int strata_process_corrections(strata_node *n, strata_correction_cb cb, void *payload);

/* The owner's answer: accept (the fix comes with its next import) or reject, with a reason. */
int strata_process_fix(strata_node *n, const char *id, int accept, const char *reason);

/* --- the carriers --- */

/* Appends what this node sends `peer` now, one envelope (base64) a line. */
int strata_process_lines(strata_buf *out, strata_node *n, const char *peer);
/*
 * Takes the messages `peer` sent (lines of base64, as above; `what`
 * names the carrier in errors): checks each one (invariant 1) and puts
 * what is new into the audit tree `tree` (*have: it holds one already,
 * else the audit head's is the base; set if anything changed) and its
 * trailers into `trailers`, for the caller's one audit event (a parcel's
 * import takes its messages in its own event).  A message refused is
 * left out and recorded in refused.log; then, after taking the others,
 * it returns the error of the first (*refused: how many).  The caller
 * holds the write lock.
 */
int strata_process_take(strata_node *n, const char *peer, const char *what, const char *lines, size_t len,
			git_oid *tree, int *have, strata_buf *trailers, size_t *refused);
/* strata_process_take, recorded in an audit event of its own ("process-received"). */
int strata_process_receive(strata_node *n, const char *peer, const char *what, const char *lines, size_t len);
#endif
