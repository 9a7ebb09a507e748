/*
 * impact.h - what a policy (or a change to it) does on this node's real
 * data, per recipient and per dataset: how many records each recipient
 * gets, per field how many values become visible or hidden, how many
 * pseudonym tokens change, and the re-identification risk (risk.h) of
 * what it would hold, before and after.
 *
 * It redacts every record as a view build would, with the policy's
 * secret (or, for a policy never committed, a throwaway one: then the
 * tokens, but not the counts, differ from the views'), and writes
 * nothing.
 */
#ifndef STRATA_IMPACT_H
#define STRATA_IMPACT_H

#include "strata/node/node.h"
#include "strata/policy/policy.h"
#include "strata/policy/risk.h"

typedef struct {
	char name[128];
	size_t visible;		/* records whose value of it the recipient would newly see */
	size_t hidden;		/* records whose value of it it would no longer see */
	size_t changed;		/* records where it sees a different form of the value */
	int tokens;		/* the field is a pseudonym on both sides: `changed` counts changed tokens */
} strata_impact_field;

typedef struct {
	const char *peer, *tier;
	const char *source;		/* the dataset, by its full name here (dataset.h) */
	size_t source_records;
	int before_applies, after_applies;	/* the version shares this dataset with the peer */
	size_t before_records, after_records, gained, lost;
	const strata_impact_field *fields;
	size_t nfields;
	strata_risk before_risk, after_risk;
	const char *before_qi, *after_qi;	/* the quasi-identifiers, comma-separated ("": none, no person) */
	int throwaway_secret;
} strata_impact;

typedef int (*strata_impact_cb)(const strata_impact *im, void *payload);

/*
 * For each peer of the node (or only `peer`) that `before` or `after`
 * applies to, and each dataset here either shares with it: one report.
 * `before` may be NULL (nothing was shared).  Returns the number of
 * reports, or an error.
 */
int strata_policy_impact(strata_node *n, const strata_policy *before, const strata_policy *after, const char *peer,
			 strata_impact_cb cb, void *payload);

/*
 * Joint risk: what two holders of the same dataset would learn if they
 * pooled what each holds, joined on the records both hold.  The holders
 * are this node's recipients of it (each under its policy: `candidate`
 * for those it names, the committed one for the others) and, for received
 * data, this node itself (what it holds, under its sender's policy).  For
 * each pair (with `candidate`, only pairs it takes part in): the records
 * both would hold, and the risk (risk.h) on the quasi-identifiers of both
 * together, beside each one's alone on the same records.  One pass over
 * the data per pair; writes nothing.  Returns the number of pairs.
 */
typedef struct {
	const char *source;		/* the dataset, by its full name here */
	const char *a, *b;		/* the holders: a peer, or this node itself */
	int a_self;			/* a is this node */
	size_t pooled;			/* records both hold */
	strata_risk alone_a, alone_b;	/* each alone, on those records */
	strata_risk pooled_risk;	/* both together */
	const char *qi;			/* "a:f, ..., b:g, ...": the quasi-identifiers pooled */
} strata_joint_risk;
typedef int (*strata_joint_cb)(const strata_joint_risk *j, void *payload);
int strata_policy_joint_risk(strata_node *n, const strata_policy *candidate, strata_joint_cb cb, void *payload);

#endif
