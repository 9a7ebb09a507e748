/*
 * refs.h - the node's ref namespace, and the one way a ref moves.
 *
 *     refs/strata/datasets/NAME          a dataset this node owns
 *     refs/strata/views/PEER/NAME        the view of NAME built for PEER
 *     refs/strata/peers/PEER/...         what PEER sent (its views, received)
 *     refs/strata/policies               the committed policies
 *     refs/strata/audit                  the audit log
 */
#ifndef STRATA_REFS_H
#define STRATA_REFS_H

#include <git2.h>
#include "strata/base/buf.h"
#include "strata/node/node.h"

#define STRATA_REF_DATASETS "refs/strata/datasets/"
#define STRATA_REF_VIEWS "refs/strata/views/"
#define STRATA_REF_PEERS "refs/strata/peers/"
#define STRATA_REF_POLICIES "refs/strata/policies"
#define STRATA_REF_AUDIT "refs/strata/audit"

/* Full ref name of a dataset owned by this node; an error if `dataset` is no valid name. */
int strata_refs_dataset(strata_buf *out, const char *dataset);

/*
 * Moves `ref` to `new_oid` if it still points at `old_oid` (NULL: must not
 * exist yet); fails otherwise, so a concurrent writer is never overwritten.
 */
int strata_refs_update(strata_node *n, const char *ref, const git_oid *new_oid,
		      const git_oid *old_oid, const char *logmsg);

/*
 * Forgets where `ref` was: its reflog keeps only its present value, so
 * that what it pointed at before (a history cut for an erasure) is
 * reachable from nothing and a prune removes it.
 */
int strata_refs_reflog_reset(strata_node *n, const char *ref);
/*
 * Every dataset, view and received ref whose history stands on a cut (its
 * first-parent root names Strata-Cut) and whose reflog still names a
 * commit from before the cut: that reflog reset.  What a cut a crash
 * interrupted left for the prune to keep.  Returns how many.
 */
int strata_refs_reflog_trim_cuts(strata_node *n);

/* Deletes `ref` if it still points at `old_oid`; fails otherwise. */
int strata_refs_delete(strata_node *n, const char *ref, const git_oid *old_oid);

#endif
