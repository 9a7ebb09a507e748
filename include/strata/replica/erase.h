/*
 * erase.h - a person forgotten across the tiers (doc/design.md,
 * "Forgetting").
 *
 * At the owner, `strata_erase` removes one record from a dataset and from
 * its history: the dataset's ref moves to a new signed root commit (the
 * present state without the record, trailer Strata-Cut: ERASURE) and its
 * reflog is reset; every view built from it is then cut the same way (a
 * root built in full, view.c); and the objects nothing reaches any more
 * leave the store (prune.h).  Each recipient accepts a cut view (a signed
 * root naming an erasure may replace a ref it does not descend from,
 * parcel_import.c), cuts what it built from it, prunes, and sends its own
 * cut views on: the erasure travels down every link that carried the
 * record, as data does.  What is cut is history: every other record's
 * present values, signatures and provenance from the cut on stay
 * verifiable; their earlier versions are gone with it.
 *
 * Trust: the operator's command; the key values are the record's, never
 * written anywhere (the audit event names the key hash).
 */
#ifndef STRATA_ERASE_H
#define STRATA_ERASE_H

#include <stddef.h>
#include "strata/node/node.h"

typedef struct {
	char erasure[17];	/* its id: 16 hex digits */
	size_t versions;	/* of the record, in the history cut */
	int in_present;		/* it was in the present state (else only in history) */
	size_t views_cut;
	size_t objects_kept;	/* in the store after the prune */
} strata_erase_result;

/*
 * Erases the record of own dataset `dataset` whose key values are `keys`
 * (`nkeys`, in the schema's key order), for `reason` (one line, into the
 * audit event).  STRATA_ENOTFOUND if no version of the dataset holds it.
 * Takes the write lock.
 */
int strata_erase(strata_node *n, const char *dataset, char *const *keys, size_t nkeys, const char *reason,
		 strata_erase_result *res);

/*
 * The erasures this node holds, one row per view a peer is sent that was
 * cut for one: erasure id, the view, the peer, and whether the peer has
 * confirmed it (its receipt, or what it said over HTTPS, names the cut
 * root or a commit after it).  `cb` gets each row; returns the number of
 * rows still pending, or an error.
 */
typedef struct {
	const char *erasure;
	const char *peer;
	const char *view;
	int confirmed;
	int64_t confirmed_at;	/* when the peer last confirmed anything (0: never) */
} strata_erasure_row;
typedef int (*strata_erasure_cb)(const strata_erasure_row *row, void *payload);
int strata_erasures(strata_node *n, strata_erasure_cb cb, void *payload);

#endif
