/*
 * evidence_export.h - a node adds its part to an evidence bundle
 * (strata/format/evidence.h): the record's hops held here, with the
 * objects that prove them, signed by this node.
 *
 * Across tiers there is no central place: the auditor exports at the
 * node they start from (the province, say), takes the bundle to the node
 * the trace goes on at, and adds that node's part there, down to the
 * owner.  Each part continues the one before, as it is; a node adds a
 * part only where the bundle says the trace goes on at it, with the key
 * it was given.
 *
 * What a part holds is what `trace` shows at this node: a recipient's
 * redacted values stay redacted.  Of a dataset it holds the trees from
 * the commit down to the record's leaf (names and ids only) and the
 * schema; the leaf itself, which holds the records beside this one, only
 * when asked (whole_leaf).
 */
#ifndef STRATA_REPLICA_EVIDENCE_EXPORT_H
#define STRATA_REPLICA_EVIDENCE_EXPORT_H

#include <jansson.h>
#include "strata/format/evidence.h"
#include "strata/node/node.h"

/*
 * The report in words, made again as each part is added: `parts` are the
 * bundle's parts as JSON, oldest first (the newest not yet signed).  Its
 * SHA-256 goes into the newest part.
 */
typedef int (*strata_evidence_render)(strata_buf *html, json_t *const *parts, size_t nparts, void *payload);

/*
 * A timestamp authority to stamp the part with (the tool's, strata/net/
 * tsa.h): `stamp` gives a checked RFC 3161 token over the bytes; `pem` is
 * the authority's certificate, named (by fingerprint) in the part before
 * it is signed, and put in the bundle beside the token.
 */
typedef struct {
	int (*stamp)(strata_buf *token, const void *data, size_t len, void *payload);
	void *payload;
	const char *url;
	const char *pem;
	size_t pem_len;
} strata_evidence_stamper;

/*
 * Adds this node's part for the record of `dataset` with these key values
 * (as this node shows them) to `ev` (empty: a new bundle).  Refused
 * (nothing added) if a hop's signature does not check here, or if `ev`
 * has parts and its newest does not say the trace goes on here with this
 * key.  With `whole_leaf`, each hop's leaf goes in whole (the records
 * beside this one too: for a reader entitled to them), so the record's
 * place in it is recomputed; without, it is this node's signed word.
 * With `stamper` (NULL: none), the part is timestamped.  Needs the node's
 * key loaded.
 */
int strata_evidence_add_part(strata_evidence *ev, strata_node *n, const char *dataset, char *const *key, size_t nkey,
			     int whole_leaf, const strata_evidence_stamper *stamper, strata_evidence_render render,
			     void *payload);

/*
 * A bundle of one part for the erasure `erasure` this node made or passed
 * on: its certificate (strata/replica/certificate.h) as erasure/ID.json,
 * its header and claims repeated in the signed part, the signers' keys.
 * `ev` must be empty.
 */
int strata_evidence_add_erasure(strata_evidence *ev, strata_node *n, const char *erasure,
				const strata_evidence_stamper *stamper, strata_evidence_render render, void *payload);

/*
 * A bundle of one part for request `id` as this node holds it (filed here,
 * relayed or received): its signed messages exactly as held, the request
 * and every answer to it (the owner's and each relay's leg), as
 * request/ID.json, and the key each was signed with.  `ev` must be empty.
 */
int strata_evidence_add_request(strata_evidence *ev, strata_node *n, const char *id,
				const strata_evidence_stamper *stamper, strata_evidence_render render, void *payload);

/*
 * A bundle of one part for version `version` of committed policy `name`:
 * the signed policies commit that set it, that commit's tree and the
 * policy's text, and the signed audit event that committed it (with its
 * officer's name and signature where it has them).  `ev` must be empty.
 */
int strata_evidence_add_policy(strata_evidence *ev, strata_node *n, const char *name, long version,
			       const strata_evidence_stamper *stamper, strata_evidence_render render, void *payload);

/*
 * What strata_evidence_verify leaves to the layers that know it: each
 * erasure part's certificate, verified as `strata certificate verify`
 * does, and that it says what its part says; each policy part's text,
 * parsed as a policy of the name and version it claims.  0, or
 * STRATA_EVERIFY.
 */
int strata_evidence_check_claims(const strata_evidence *ev, strata_evidence_say say, void *payload);

#endif
