/*
 * audit.h - the node's event log (doc/design.md, "Parcels, links and the audit log").
 *
 * refs/strata/audit is an append-only chain of signed commits, one per
 * event that changed the node or sent data from it (parcel exported or
 * imported, policy committed, view built).  Each commit's tree is the
 * disclosure ledger as of that event (ledger.h): an event that changes it
 * names the new tree, any other carries its parent's (the first event's is
 * empty).  The event
 * is in the message: a subject line and one-line trailers naming the event,
 * peers, datasets, commit ids, policy and purpose, so stock git reads and
 * verifies it (`git log --show-signature refs/strata/audit`).
 *
 * Refused input changes nothing in the repository (doc/design.md, guarantee 5),
 * so refusals are not chain events: they are appended, one JSON object per
 * line, to NODE/refused.log, which `strata audit log` shows beside the
 * chain.  That file is local and unsigned; at its cap it is rotated to
 * refused.log.1 (replacing the one before), so at most twice the cap is kept.
 *
 * Trust: callers hold the node lock; trailer values come from this node or
 * from input already verified, and must be one line each.
 */
#ifndef STRATA_AUDIT_H
#define STRATA_AUDIT_H
#include "strata/node/node.h"
#define STRATA_REFUSED_LOG "refused.log"
#define STRATA_REFUSED_LOG_MAX ((size_t)16 << 20)
/*
 * Appends one signed event: `subject` is the first line, `trailers` are
 * "Key: value\n" lines (Strata-Event and Strata-Node are added here).
 */
int strata_audit_append(strata_node *n, const char *event, const char *subject, const char *trailers);
/* The same, the event's tree `tree` (the ledger after it; NULL: its parent's). */
int strata_audit_append_tree(strata_node *n, const char *event, const char *subject, const char *trailers,
			     const git_oid *tree);
/*
 * Records a refused input in NODE/refused.log: what was offered (a file
 * name or peer address), who claimed to send it (may be NULL) and why.
 */
int strata_audit_refusal(strata_node *n, const char *event, const char *what, const char *sender,
			 const char *reason);
typedef struct {
	git_oid commit;
	const git_commit *c;
	const char *event;	/* Strata-Event */
	int64_t time;
	const char *subject;
} strata_audit_event;
typedef int (*strata_audit_cb)(const strata_audit_event *ev, void *payload);
/* Calls `cb` for each event, newest first; a non-zero return stops the walk. */
int strata_audit_foreach(strata_node *n, strata_audit_cb cb, void *payload);
/* The same, oldest first. */
int strata_audit_foreach_oldest(strata_node *n, strata_audit_cb cb, void *payload);
typedef void (*strata_audit_problem_cb)(const char *problem, void *payload);
/*
 * Checks the chain: each event has one parent (the first none) and all are
 * present (no gap), each names this node and an event; and the ref's
 * reflog shows it only ever moved forward (no event rewritten or dropped).
 * `interrupted`: an operation's journal is pending (journal.h).  Then the
 * ref may be one recorded move behind its reflog (libgit2 appends the
 * reflog entry before it writes the ref, and a kill fell between): not a
 * problem, since the next command that changes the node settles it.
 * Without a pending journal the same state is a ref put back by hand.
 * Reports each problem; returns their number, or an error.  *events gets
 * the chain's length.
 */
int strata_audit_check(strata_node *n, int interrupted, size_t *events, strata_audit_problem_cb cb,
		       void *payload);

/*
 * Independent time for the log (doc/design.md, "Evidence to hand on"): a
 * "timestamp" event holds a timestamp authority's token (RFC 3161) over
 * the id of the event before it (Strata-Timestamp-Of), so the log up to
 * there existed at the token's time.  strata_audit_stamp appends one (the
 * token made by the caller over `head`, the current head, hex); the check
 * then holds the node to it: no event before the stamped one is dated
 * after the authority's time, and none after it before (a backdated
 * event), give or take STRATA_AUDIT_STAMP_SKEW.  Tokens are checked
 * against `pem` (the authority's certificate as pinned now; a stamp of an
 * authority named before is reported, not failed).  Returns the number of
 * problems, or an error; *stamps gets the number of stamps checked.
 */
#define STRATA_AUDIT_STAMP_SKEW 300
int strata_audit_stamp(strata_node *n, const char *head, const void *token, size_t len, int64_t when,
		       const char *authority);
int strata_audit_check_stamps(strata_node *n, const char *pem, size_t pem_len, size_t *stamps,
			      strata_audit_problem_cb cb, void *payload);
#endif
