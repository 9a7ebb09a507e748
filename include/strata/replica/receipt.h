/*
 * receipt.h - a signed statement by a node of what it holds from one peer,
 * carried back to that peer so its next parcel builds on what really
 * arrived (strata-parcel(5), "Receipts").
 *
 * A receipt is text, then the signer's SSHSIG (namespace "strata-receipt")
 * over every byte before the armor:
 *
 *     strata-receipt 1
 *     from NODE                the signer: the node that imported parcels
 *     to PEER                  the node that sent them: the one to import this
 *     created UNIXTIME
 *     sequence N               the last parcel from PEER accepted
 *     have VIEW COMMIT         per view received from PEER (0 or more)
 *     -----BEGIN SSH SIGNATURE-----
 *     ...
 *     -----END SSH SIGNATURE-----
 *
 * Invariants / trust:
 *   1. a receipt is untrusted until its signature verifies against the key
 *      node.conf pins for its `from` node, and it is addressed to us;
 *   2. it can only confirm what we sent: its sequence is at most the last
 *      parcel we sent that peer, and every commit it names is ours;
 *   3. it only moves forward: one older than the last accepted changes
 *      nothing (a quiet success: receipts may arrive in any order);
 *   4. it never carries a record, a key or a name beyond view names.
 */
#ifndef STRATA_RECEIPT_H
#define STRATA_RECEIPT_H
#include "strata/node/node.h"
#include "strata/base/buf.h"

#define STRATA_RECEIPT_NAMESPACE "strata-receipt"
#define STRATA_RECEIPT_MAGIC "strata-receipt 1\n"
#define STRATA_RECEIPT_MAX ((size_t)1 << 20)

/* 1 if `data` starts like a receipt (so `strata import` can tell it from a parcel). */
int strata_receipt_is(const void *data, size_t len);

/* Appends to `out` a signed receipt for `peer` of what this node holds from it. */
int strata_receipt_write(strata_buf *out, strata_node *n, const char *peer);

typedef struct {
	char peer[64];		/* who signed it */
	unsigned long long sequence;
	size_t nrefs;
	int older;		/* it confirmed nothing newer than what we knew: nothing changed */
	size_t parcels_removed;	/* parcel files exported to it that it now holds, removed */
} strata_receipt_result;

/*
 * Verifies a receipt and records what it confirms as the link's "acked"
 * side, with an audit event.  `what` names it in errors.  STRATA_EVERIFY
 * for a bad signature or key; STRATA_ERROR for anything else refused.
 */
int strata_receipt_import(strata_node *n, const char *what, const void *data, size_t len,
			  strata_receipt_result *res);
#endif
