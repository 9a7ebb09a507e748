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
#include "strata/replica/link.h"

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
 * The cuts this node made or passed on (erasures, retractions,
 * retentions, withdrawals), every one it ever made, from the disclosure
 * ledger (ledger.h): per cut, one row per view of a peer it cut, and
 * whether the peer confirmed holding the cut (recorded in the ledger once
 * seen: its receipt, or what it said over HTTPS, named the cut's root or
 * a commit after it, or after a later cut of the view).  After each
 * confirmed peer's row, one row per node below it that the peer reported
 * (`via` who told: the peer, or a recipient of its own), `view` NULL: so
 * the owner sees the whole chain confirm, one hop vouching for the next.
 * Views cut before the ledger kept cuts are read from the views
 * themselves (only their latest cut).  `cb` gets each row; returns the
 * number of rows still pending, or an error.
 */
typedef struct {
	const char *erasure;	/* the cut's id */
	const char *kind;	/* erasure, retraction, retention, withdrawal */
	int64_t cut_time;	/* when this node made or passed it on (0: not known) */
	const char *dataset;	/* the source, as this node names it (NULL: not known) */
	const char *reason;	/* the owner's reason for an erasure (NULL: none here) */
	const char *peer;	/* the node that holds the view: a peer, or one below it */
	const char *view;	/* NULL for a node below */
	int confirmed;
	int64_t confirmed_at;	/* when it confirmed (0: never) */
	const char *via;	/* NULL for a peer; below: who reported it */
	int recorded;		/* the confirmation is in the ledger (not only in the peer's last word) */
	const char *overdue;	/* a peer's row pending longer than a round: why it needs attention (else NULL) */
	int no_recipient;	/* a cut no view had carried yet: nobody to confirm (peer "", view NULL) */
	int64_t reimported;	/* the erased key was imported again (--allow-erased), when; 0: never */
	const char *reimported_why;
} strata_erasure_row;
/* A day: an erasure a peer has not confirmed for that long needs attention, whatever the schedule. */
#define STRATA_ERASURE_PATIENCE (24 * 3600)
typedef int (*strata_erasure_cb)(const strata_erasure_row *row, void *payload);
int strata_erasures(strata_node *n, strata_erasure_cb cb, void *payload);

/*
 * Keeps in the ledger every confirmation `peer`'s last word (its link
 * state's "acked": a receipt, or its answer over TLS) adds, for the cuts
 * of views sent to it and the nodes below it, with an audit event
 * "erasure-confirmed".  Nothing if there is none.  `receipt` (may be NULL:
 * a word over TLS) is the peer's signed receipt the confirmations come
 * from: kept in the ledger with them (ledger/receipts/PEER/ID), so they
 * stand on the peer's own signature (certificate.h).  The caller holds
 * the node's write lock.
 */
int strata_erasures_note(strata_node *n, const char *peer, const char *receipt, size_t len);

/*
 * The parcel files this node knows of that may still hold the record with
 * these key values of `dataset`: exported to a peer the record was sent
 * to, at or after the first send, not yet confirmed (so not yet removed),
 * or imported and kept (--keep).  Files strata cannot erase: `cb` gets
 * each path and its peer; returns how many.
 */
int strata_erase_parcels(strata_node *n, const char *dataset, char *const *keys, size_t nkeys,
			 int (*cb)(const char *path, const char *peer, void *payload), void *payload);

/*
 * What this node holds from `peer` (link.h's strata_link_state_format),
 * then, per erasure the views received from `peer` carry, one line per
 * node this node passed it on to or heard of below them:
 *     erasure CUT NODE VIA confirmed|pending TIME
 * so the peer learns who has confirmed, hop by hop.  Receipts and the
 * HTTPS state exchange both send it, with what process.h has for the
 * peer ("message" lines).
 */
int strata_erasure_state(strata_buf *out, strata_node *n, const char *peer);

#endif
