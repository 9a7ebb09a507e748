/*
 * pending.h - four eyes: a change that waits for a second officer.
 *
 * Where a rule asks for two (a policy's approval: {expose_more: 2} for a
 * version that makes more visible; node.conf approval.erase = 2 for an
 * erasure), the first officer's change is not made: it is proposed.
 *
 *     NODE/pending/ID.json   {"id", "kind", "summary", "proposer", "created", "body"}
 *
 * and an audit event (change-proposed), signed by the proposer, names it
 * with the SHA-256 of that file (Strata-Pending-Digest): so what a second
 * officer approves is exactly what the first signed, byte for byte, and a
 * file changed in between is refused.  Approval is the change made by the
 * approver, whose events carry Strata-Approves: ID and Strata-Proposed-By:
 * NAME <FPR> besides their own name and signature; then the file goes.  A
 * refusal is an event (change-refused) and the file goes.  Nothing else
 * changes while it waits; `status` lists what waits.
 *
 * Kinds: "policy-commit" (body: name, version, the file's text) and
 * "erase" (body: dataset, keys, reason).  Making the change is the
 * caller's: the library has one call per kind already.
 *
 * Trust: pending/ is the node's; its content is checked against the
 * proposer's signed event before it is used.
 */
#ifndef STRATA_PENDING_H
#define STRATA_PENDING_H

#include <jansson.h>
#include <stdint.h>
#include "strata/node/node.h"

#define STRATA_PENDING_DIR "pending"

typedef struct {
	char id[17];
	char kind[32];
	char summary[512];
	char proposer[64];	/* the officer's name */
	char proposer_fpr[64];
	int64_t created;
	json_t *body;		/* the kind's arguments */
} strata_pending;

/* How many officers a kind of change needs here (node.conf approval.KIND; 1 if unset). */
int strata_pending_required(strata_node *n, const char *kind);
/* Sets it (1 or 2), under the write lock, node.conf journalled by the caller. */
int strata_pending_set_required(strata_node *n, const char *kind, int count);

/*
 * Proposes a change as the actor (who must be named): writes the file and
 * its signed event; `id` gets its id.  Under the write lock.
 */
int strata_pending_propose(char id[17], strata_node *n, const char *kind, const char *summary, json_t *body);
/* Every change that waits, oldest first; free with strata_pending_list_free. */
int strata_pending_list(strata_pending **out, size_t *count, strata_node *n);
void strata_pending_list_free(strata_pending *list, size_t count);
/*
 * One change that waits, checked against its proposer's signed event;
 * STRATA_ENOTFOUND if none has that id, STRATA_EVERIFY if the file is not
 * what they signed.  Dispose of it with strata_pending_dispose.
 */
int strata_pending_get(strata_pending *out, strata_node *n, const char *id);
void strata_pending_dispose(strata_pending *p);
/*
 * The actor takes it up: an officer who did not propose it.  From here
 * until strata_pending_end, every event (and every commit naming an
 * officer) also names the proposal and its proposer.
 */
int strata_pending_begin(strata_node *n, const strata_pending *p);
/* The change is made: the file goes.  Under the write lock. */
int strata_pending_end(strata_node *n, const strata_pending *p);
/* Refused by the actor, who must be an officer: an event with the reason, and the file goes. */
int strata_pending_refuse(strata_node *n, const strata_pending *p, const char *reason);

#endif
