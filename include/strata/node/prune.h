/*
 * prune.h - removes from the object store every object no ref and no
 * reflog reaches: what a removed peer sent, views cut away.  Deleting a ref
 * leaves its objects in the packs; only this makes them go.
 *
 * The reachable objects are written to one new pack (libgit2's
 * packbuilder, fsynced, the index last), then every other pack and every
 * loose object is deleted: a crash before the deletions leaves the old
 * packs beside the new one (the next prune removes them), never a missing
 * object.  Under the node's write lock.
 *
 * Trust: the node's own repository.
 */
#ifndef STRATA_PRUNE_H
#define STRATA_PRUNE_H

#include <stddef.h>
#include "strata/node/node.h"

typedef struct {
	size_t objects;		/* in the new pack */
	size_t packs_removed, loose_removed;
} strata_prune_result;

int strata_prune(strata_node *n, strata_prune_result *res);

#endif
