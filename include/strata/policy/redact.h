/*
 * redact.h - applying a policy to records (doc/design.md, guarantee 1).
 *
 * Every transform is deterministic: the same record, policy and secret
 * give the same bytes.  Pseudonyms are HMAC-SHA256 under the policy's
 * secret (per recipient if the rule says so), never a plain hash: ID and
 * phone numbers are low-entropy and a plain hash is reversed by
 * enumeration.  A value a transform cannot read (a malformed date, say)
 * becomes empty rather than passing through.
 *
 * Invariants:
 *   1. Deterministic: the same record, rule and secret give the same bytes.
 *   2. Nothing passes untransformed unless the rule is `keep`; a value a
 *      transform cannot read becomes empty.
 *   3. Pseudonyms are keyed (HMAC-SHA256), never a plain hash, and the
 *      secret never leaves NODE/secrets.
 *
 * Trust: the records are the node's own or checked received data; the
 * policy was checked when committed.
 */
#ifndef STRATA_REDACT_H
#define STRATA_REDACT_H

#include "strata/base/digest.h"
#include "strata/policy/policy.h"
#include "strata/format/json.h"
#include "strata/node/node.h"

#define STRATA_SECRET_LEN 32

/* What a node states of a peer, for a filter "$recipient.NAME" (peers.h: attributes). */
#define STRATA_REDACT_MAX_ATTRS 8
typedef struct {
	char name[33];
	char value[129];
} strata_redact_attr;

typedef struct {
	const strata_policy *policy;
	const strata_policy_dataset *pd;
	int needs_recipient;	/* a filter names "$recipient.NAME": strata_redact_recipient must say who */
	int have_recipient;
	strata_redact_attr attrs[STRATA_REDACT_MAX_ATTRS];
	size_t nattrs;
	unsigned char federation_key[STRATA_SECRET_LEN];
	unsigned char recipient_key[STRATA_SECRET_LEN];
	strata_hmac_key federation_hmac, recipient_hmac;	/* the keys' HMAC states */
} strata_redactor;

/* `recipient` is the peer name (for per-recipient pseudonyms). */
int strata_redact_init(strata_redactor *r, const strata_policy *p, const strata_policy_dataset *pd,
			 const char *recipient, const unsigned char secret[STRATA_SECRET_LEN]);
/*
 * The recipient's attributes for the filters' "$recipient.NAME" values,
 * as node.conf states them ("community=望江社区; street=望江街道") or a
 * view's Strata-Recipient-Filter trailer repeats them; `recipient` names
 * the peer in errors.  An attribute a filter names and `attrs` lacks is
 * an error (nothing is shared by guess).  Without this call a redactor
 * whose filters name one shares no record: strata_redact_record fails.
 */
int strata_redact_recipient(strata_redactor *r, const char *recipient, const char *attrs);
/* The same with what node.conf states of peer `peer` (nothing to do if no filter names one). */
int strata_redact_recipient_peer(strata_redactor *r, strata_node *n, const char *peer);
/* The attributes the filters use, "NAME=VALUE; ..." in name order (empty: none), for the view's trailer. */
int strata_redact_recipient_filter(const strata_redactor *r, strata_buf *out);
/* 1 if `v` is a filter value naming a recipient's attribute ("$recipient.NAME"), and its NAME. */
int strata_redact_recipient_value(const char *v, const char **name);
/* Wipes the keys. */
void strata_redact_dispose(strata_redactor *r);

/* Appends the transformed value (not for STRATA_T_DROP). */
int strata_redact_value(const strata_redactor *r, const strata_rule *rule,
			const char *v, size_t len, strata_buf *out);

/*
 * Applies the row filter and the rules to one record.  *kept is 0 if the
 * filter drops the row; otherwise `out` receives the canonical JSON of the
 * fields the policy shares (others are dropped).
 */
int strata_redact_record(const strata_redactor *r, const strata_record *in, strata_buf *out, int *kept);
/* As strata_redact_record, of one canonical record line; `out` is cleared first. */
int strata_redact_line(const strata_redactor *r, const char *line, size_t len, strata_buf *out, int *kept);

#endif
