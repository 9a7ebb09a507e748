/*
 * parcel_import.h - verifies and applies a parcel (doc/strata-parcel.5).
 *
 * Invariants, checked in this order; a refusal at any step changes
 * nothing but NODE/refused.log:
 *   1. archive shape under caps (parcel.h);
 *   2. signature against the sender's pinned key (peers.h);
 *   3. addressed to us, from a peer node.conf lets send to us (link.h);
 *   4. sequence newer than the last accepted from that sender, and at most
 *      STRATA_SEQUENCE_JUMP_MAX past it; created no later than our clock
 *      allows;
 *   5. prerequisites present;
 *   6. the pack's entries scanned under size caps and every delta resolved
 *      (received.h), then indexed with libgit2's indexer into a quarantine
 *      directory;
 *   7. every new tree entry, record line, commit signature and trailer
 *      checked, and every object accounted for;
 *   8. refs forward only.
 * Then the pack moves in, the refs refs/strata/peers/<sender>/<view> move
 * in one transaction, the sequence is recorded, and the audit log gets the
 * event, all under one journal (journal.h).
 *
 * Trust: the parcel is untrusted until every check passed; node.conf
 * (pinned keys) is trusted.
 */
#ifndef STRATA_PARCEL_IMPORT_H
#define STRATA_PARCEL_IMPORT_H

#include <stdint.h>
#include "strata/format/parcel.h"
#include "strata/node/node.h"

/* A parcel's sequence may jump this far past the last accepted (lost parcels), no further. */
#define STRATA_SEQUENCE_JUMP_MAX ((uint64_t)1 << 20)
/* Its creation time may be this far ahead of our clock (seconds). */
#define STRATA_CLOCK_SKEW_MAX 86400

/* Verifies and applies a parcel (see above); `what` names it in messages. */
int strata_parcel_import(strata_node *n, const char *what, const void *data, size_t len,
			 strata_parcel_result *res);
int strata_parcel_import_file(strata_node *n, const char *path, strata_parcel_result *res);
/*
 * From an open file (the caller's): objects.pack is spooled to an unlinked
 * file under NODE/tmp and read from there in pieces, so memory does not
 * grow with the parcel.  `from`, if set, must be the sender.
 */
int strata_parcel_import_fd(strata_node *n, const char *what, int fd, const char *from, strata_parcel_result *res);
/* As strata_parcel_import, refusing a parcel whose sender is not `from` (the authenticated peer). */
int strata_parcel_import_from(strata_node *n, const char *what, const void *data, size_t len,
			      const char *from, strata_parcel_result *res);
/*
 * Evidence of a forked sender (a parcel numbered like one accepted before,
 * with other content), kept under NODE/evidence/ by the import that
 * refused it: `cb` gets each one's note (NODE/evidence/SENDER-parcel-N-HASH.txt);
 * returns how many, or an error.
 */
int strata_parcel_evidence(strata_node *n, int (*cb)(const char *note, void *payload), void *payload);

#endif
