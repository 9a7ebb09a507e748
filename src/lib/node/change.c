/*
 * change.c - see change.h.
 */
#include "strata/node/change.h"
#include "strata/node/audit.h"
#include "strata/node/refs.h"
#include "strata/node/journal.h"

int strata_change_apply(strata_node *n, const strata_change *c, strata_change_fn apply, void *payload)
{
	int error;

	if ((error = strata_journal_begin(n, c->op, c->what, c->file, c->refs, c->nrefs)) < 0)
		return error;
	if ((error = apply(n, payload)) < 0 ||
	    (error = strata_audit_append_tree(n, c->op, c->event, c->trailers, c->tree)) < 0) {
		strata_journal_undo(n);	/* keeps the step's message, says it was undone */
		return error;
	}
	strata_journal_end(n);
	return 0;
}

struct one_ref {
	const strata_journal_ref *ref;
	const char *reflog;
};

static int move_one(strata_node *n, void *payload)
{
	const struct one_ref *o = payload;
	return strata_refs_update(n, o->ref->name, &o->ref->target, o->ref->exists ? &o->ref->old : NULL, o->reflog);
}

int strata_change_ref(strata_node *n, const strata_change *c, const char *reflog)
{
	struct one_ref o = { c->refs, reflog };

	if (c->nrefs != 1)
		return strata_error_set("change '%s': one ref expected, %zu given", c->op, c->nrefs);
	return strata_change_apply(n, c, move_one, &o);
}
