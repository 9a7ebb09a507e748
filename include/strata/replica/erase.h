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
#include "strata/base/buf.h"
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
 * root or a commit after it).  Then, after each peer's row, one row per
 * node below it that the peer reported (`via` the node that told: the
 * peer, or a recipient of its own), `view` NULL: so the owner sees the
 * whole chain confirm, one hop vouching for the next.  A later cut of a
 * view subsumes an earlier one (its root holds none of what the earlier
 * cut removed): only the latest shows.  `cb` gets each row; returns the
 * number of rows still pending, or an error.
 */
typedef struct {
	const char *erasure;
	const char *peer;	/* the node that holds the view: a peer, or one below it */
	const char *view;	/* NULL for a node below */
	int confirmed;
	int64_t confirmed_at;	/* a peer: when it last confirmed anything; below: when it confirmed this (0: never) */
	const char *via;	/* NULL for a peer; below: who reported it */
} strata_erasure_row;
typedef int (*strata_erasure_cb)(const strata_erasure_row *row, void *payload);
int strata_erasures(strata_node *n, strata_erasure_cb cb, void *payload);

/*
 * What this node holds from `peer` (link.h's strata_link_state_format),
 * then, per erasure the views received from `peer` carry, one line per
 * node this node passed it on to or heard of below them:
 *     erasure CUT NODE VIA confirmed|pending TIME
 * so the peer learns who has confirmed, hop by hop.  Receipts and the
 * HTTPS state exchange both send it.
 */
int strata_erasure_state(strata_buf *out, strata_node *n, const char *peer);

#endif
