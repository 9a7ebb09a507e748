/*
 * view.h - redacted views: dataset x peer x policy (doc/design.md, "Policies and views").
 *
 * A view of a source (a dataset this node owns, or data received from a
 * peer) for a peer is a signed commit on refs/strata/views/<peer>/<name>
 * whose tree has the dataset layout, built from the source's records
 * through the peer's committed policy.  Record keys and leaf paths come
 * from the redacted key, never the raw one.  Trailers name the source
 * commit and node, the policy blob, version and purpose, so anyone holding
 * the source and the policy (and its secret) can recompute the same tree.
 *
 * Names: refs/strata/datasets/<d> gives view "<d>"; data received at
 * refs/strata/peers/<p>/<path> gives view "<p>/<path>", so the route a
 * record took stays readable in the ref name.
 *
 * Invariants:
 *   1. A view holds nothing its policy does not let through: every field
 *      goes through redact.h, records the filter drops are absent, and a
 *      source field the policy does not name is never copied.
 *   2. It is built only under a committed policy (policy_store.h) that
 *      names the peer or its tier as a recipient.
 *   3. Its tree is a function of (source tree, policy blob, secret): an
 *      incremental build equals a full one, and strata_view_audit
 *      recomputes it in a scratch repository, leaving the node as it was.
 *   4. The ref moves and its audit event is appended together, or neither
 *      (change.h).
 *
 * Trust: the source is the node's own or was checked at parcel import
 * (received.h); the policy was checked when committed.
 */
#ifndef STRATA_VIEW_H
#define STRATA_VIEW_H

#include "strata/node/node.h"
#include "strata/policy/policy.h"
#include "strata/data/dataset.h"


typedef struct {
	char peer[64];
	char name[256];		/* view name */
	size_t records;
	int unchanged;
	int incremental;	/* built from the previous view and the source diff */
	size_t suppressed;	/* records in classes below the policy's min_k, not sent */
	int cut;		/* its source's history was cut (an erasure): built as a new root, its reflog reset */
	int withdrawn;		/* the peer may no longer have it: a root with no records (Strata-Withdrawn) */
	char why[512];		/* withdrawn: the refusal that withdrew it */
	git_oid commit;
} strata_view_result;

/*
 * Builds the view of `source_ref` for `peer`: from the previous view and
 * the records that changed since its source when it can (same policy and
 * schema), else (or with `full`) from every source record.  Both give the
 * same tree.
 *
 * A view the peer may no longer have (its policy's version no longer
 * names the peer or its tier as a recipient, or the source's obligations
 * do not let it go on to the peer) is withdrawn: it becomes a signed root
 * with no records (Strata-Withdrawn names why, Strata-Cut an id), so the
 * peer, which accepts it as a cut, drops all it held, and `erasures`
 * follows its confirmation; an audit event "view-withdrawn".  `res` says
 * withdrawn, the reason in `why`; 0.  A view never built is refused
 * instead: STRATA_EDENIED.
 */
int strata_view_build_one(strata_node *n, const char *peer, const char *source_ref, int full,
			  strata_view_result *res);

/*
 * The name the view of `source_ref` has for `peer` (its ref is
 * refs/strata/views/PEER/NAME, and the peer holds it as THIS-NODE/NAME):
 * the dataset's name, or for relayed data its path, or "v-<token>/NAME"
 * where the peer's policy hides the path (source_names, policy.h).
 */
int strata_view_name(char *out, size_t size, strata_node *n, const char *peer, const char *source_ref);

typedef void (*strata_view_report)(const strata_view_result *res, void *payload);

/*
 * Builds every view: for each peer (or just `peer`), each dataset its
 * policy shares, from this node's own dataset and from data received from
 * other peers (never sent back to the peer it came from).
 */
int strata_view_build(strata_node *n, const char *peer, int full, strata_view_report report, void *payload);

/*
 * Pays a history cut owed (journal.h: strata_journal_owe_cut, written
 * before an erasure's or a received cut's ref moved): the reflogs that
 * name commits from before a cut reset, every view built again (those
 * from a cut source cut too), the store pruned, the debt cleared.  Each
 * step can be cut short by a kill and run again.  strata_view_build does
 * it first, so the next writer after a crash completes the cut.  Returns
 * 1 if a cut was owed and is paid now, 0 if none was; `pr` (may be NULL)
 * gets the prune's result.  The caller holds the write lock.
 */
#include "strata/node/prune.h"
int strata_view_settle(strata_node *n, strata_view_report report, void *payload, strata_prune_result *pr);
/* strata_view_settle after a crash, with an audit event "cut-completed" if a cut was owed; 0 or an error. */
int strata_view_settle_interrupted(strata_node *n);

/*
 * Obligations travel (doc/design.md, "Forgetting"): 0 if policy `p` may
 * be committed on this node, STRATA_EDENIED (the dataset, the recipient
 * and the upstream policy named) if it shares a received dataset whose
 * Strata-Onward does not name one of its recipients (a tier, or a peer
 * or the peer's tier).  So a relay is refused at `policy commit`, before
 * any view is built.
 */
int strata_view_onward_check(strata_node *n, const strata_policy *p);
typedef struct {
	git_oid tree;		/* the view's tree */
	git_oid recomputed;	/* the tree its source and policy give */
	git_oid source, policy;
	size_t records;
	int equal;
	int withdrawn;		/* a withdrawal: equal when it holds no record (its reason in `why`) */
	char why[512];
} strata_view_audit_result;
/*
 * Recomputes a view commit from what its trailers name (source commit,
 * policy blob, dataset, recipient) and this node's secret for the policy,
 * and compares trees (doc/design.md, guarantee 3).  If they differ, `cb` gets
 * each record that differs: (in the view, per the policy).  Writes only to
 * a scratch repository that is removed after.  STRATA_ENOTFOUND if the
 * source or the policy is not held here.
 */
int strata_view_audit(strata_node *n, const git_oid *view, strata_view_audit_result *res,
		      strata_diff_cb cb, void *payload);

#endif
