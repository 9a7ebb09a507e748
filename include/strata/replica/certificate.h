/*
 * certificate.h - an erasure certificate: what was cut, where, and who
 * confirmed it, in one file anyone holding the nodes' public keys can
 * check offline, with no node (doc/design.md, "Forgetting").
 *
 * A JSON document (UTF-8, keys sorted):
 *
 *     format     "strata-erasure-certificate 1"
 *     erasure    the cut's id; kind, dataset, owner, made_at, reason
 *     keys       node name -> its OpenSSH public key line (the owner's own,
 *                and those it pins for its peers; a verifier may check
 *                them against its own copies)
 *     commits    commit id -> the commit object, base64: the owner's signed
 *                audit events naming the cut, the cut roots, and each
 *                view's commits from the one a peer confirmed back to
 *                its cut root
 *     receipts   "PEER/ID" -> the peer's signed receipt (strata-receipt 1)
 *                that confirmed it
 *     claims     per recipient (view) or node below it (via): confirmed
 *                when, and by what: "receipt" (its own signature, or
 *                for a node below, the signature of the hop that told),
 *                or "owner" (the owner's signed record of what the peer
 *                said over its pinned-key TLS connection)
 *
 * Verifying checks every commit's id and signature (SSHSIG, namespace
 * "git", by the key of the node its Strata-Node names), that the owner's
 * signed event makes the claim of the header, every receipt's signature
 * (namespace "strata-receipt") and addressee, that each receipt names the
 * view at a commit whose first-parent history reaches the cut's root (or
 * a later cut's), and that each claim stands on what it says.  Stock
 * tools can check the same pieces (strata.1, "erasures certify").
 *
 * Trust: the file is untrusted input; its keys are only as good as the
 * verifier's reason to believe them.
 */
#ifndef STRATA_CERTIFICATE_H
#define STRATA_CERTIFICATE_H

#include "strata/base/buf.h"
#include "strata/node/node.h"

#define STRATA_CERTIFICATE_FORMAT "strata-erasure-certificate 1"
#define STRATA_CERTIFICATE_MAX ((size_t)64 << 20)

/* The certificate of cut `erasure` made or passed on by this node, into `out`.  STRATA_ENOTFOUND if none. */
int strata_certificate_erasure(strata_buf *out, strata_node *n, const char *erasure);

/* One verified statement (or the failure that stops it), for the report. */
typedef void (*strata_certificate_report)(int ok, const char *what, void *payload);
/*
 * Verifies a certificate; `report` gets each statement as checked.  0 if
 * everything holds; STRATA_EVERIFY naming the first item that does not;
 * STRATA_ERROR for a file that is not a certificate.
 */
int strata_certificate_verify(const char *text, size_t len, strata_certificate_report report, void *payload);

#endif
