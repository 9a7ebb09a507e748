/*
 * parcel_export.h - the parcel a peer lacks (doc/strata-parcel.5).
 *
 * Export: the views this node built for a peer (refs/strata/views/<peer>/...),
 * as a signed parcel holding what the peer lacks.  What it has is what it
 * last confirmed (NODE/links/<peer>.json "acked": a signed receipt it sent
 * back, see receipt.h, or what it said over TLS), never merely what we
 * sent: a parcel lost on the way is made up for by the next one, which
 * holds everything since the last confirmation.  A peer that never
 * confirmed anything gets everything.
 *
 * Invariants (thinpack.h lists those of the pack itself):
 *   1. Nothing leaves but the views built for this peer under its policy.
 *   2. The sequence number and what was sent are recorded only after the
 *      parcel was handed on (publish succeeded), with an audit event.
 */
#ifndef STRATA_PARCEL_EXPORT_H
#define STRATA_PARCEL_EXPORT_H

#include "strata/format/parcel.h"
#include "strata/node/node.h"
#include "strata/replica/link.h"

/* Hands a finished parcel on (writes the file, sends the response). */
typedef int (*strata_parcel_publish)(const void *data, size_t len, void *payload);
/*
 * Builds the peer's views (incrementally), then the parcel for it, and
 * calls `publish`; only if that succeeds are the sequence number and what
 * was sent recorded, with an audit event.  `full` ignores what the peer
 * was sent before.
 */
int strata_parcel_export(strata_node *n, const char *peer, int full, strata_parcel_publish publish,
			 void *payload, strata_parcel_result *res);
/*
 * As strata_parcel_export, into a file written atomically, sealed to the
 * peer's pinned key (sealed.h) unless `unsealed` (a version-1 parcel, for
 * a peer whose strata is older: signed, but readable by whoever holds it).
 */
int strata_parcel_export_file(strata_node *n, const char *peer, int full, const char *path, int unsealed,
			      strata_parcel_result *res);
/*
 * As strata_parcel_export, but builds on what the peer says it holds
 * (`have`, from strata_link_state_parse) rather than on what we sent.  If
 * it holds every view as it is, returns 0 with res->uptodate set, and
 * neither publishes nor records anything.  `via` says in the audit event
 * how it went ("https-push", "https-pull"; a file export says "file").
 */
int strata_parcel_export_for(strata_node *n, const char *peer, const strata_link_side *have, const char *via,
			     strata_parcel_publish publish, void *payload, strata_parcel_result *res);
#endif
