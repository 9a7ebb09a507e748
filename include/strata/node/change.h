/*
 * change.h - the one way a node changes what its refs say: a journalled
 * change whose audit event is its last step (journal.h).
 *
 *     journal begin (every ref's old and new value, the one file)
 *     apply: the ref moves (and the file)
 *     the audit event
 *     journal end
 *
 * and, if any step fails, the journal undone, so the refs and the file are
 * as they were and the error returned is the step's own.  A kill or a
 * power loss between the steps is settled by the next writer's
 * strata_journal_lock the same way.
 */
#ifndef STRATA_CHANGE_H
#define STRATA_CHANGE_H

#include "strata/node/journal.h"
#include "strata/node/node.h"

typedef struct {
	const char *op;			/* "view-build": the audit event's op, and the journal's */
	const char *what;		/* what refused.log names, should a crash interrupt it */
	const strata_journal_ref *refs;	/* every ref the change moves */
	size_t nrefs;
	const char *file;		/* the one file it rewrites (relative to the node), or NULL */
	const char *event;		/* the audit event's subject */
	const char *trailers;		/* and its trailers (NULL: none) */
	const git_oid *tree;		/* the ledger after it (ledger.h), NULL: unchanged */
} strata_change;

/* Makes the moves: called once the journal is written. */
typedef int (*strata_change_fn)(strata_node *n, void *payload);

/* The whole sequence above; `apply` does the moves. */
int strata_change_apply(strata_node *n, const strata_change *c, strata_change_fn apply, void *payload);

/*
 * The common change: one ref (c->refs[0]) moved with strata_refs_update,
 * from its old value (or created, if it did not exist), `reflog` its
 * reflog message.
 */
int strata_change_ref(strata_node *n, const strata_change *c, const char *reflog);

#endif
