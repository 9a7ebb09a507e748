/*
 * policy_diff.h - what changes between two versions of a policy, each
 * change with what it does to what recipients see (issue: "a diff that
 * never misses").
 *
 * Every difference is reported: recipients (peers, tiers), purpose,
 * datasets shared, each field's transform and its parameters, pseudonym
 * scope, and each row filter condition and value, both ways.  Nothing is
 * compared by count alone.
 */
#ifndef STRATA_POLICY_DIFF_H
#define STRATA_POLICY_DIFF_H

#include "strata/policy/policy.h"

/* What a change does; several may hold (a transform that shows more of one end and less of the other). */
#define STRATA_PD_MORE 1	/* more becomes visible: more rows, fields, characters, recipients, a new purpose */
#define STRATA_PD_LESS 2	/* less becomes visible */
#define STRATA_PD_TOKENS 4	/* every pseudonym token (or record key) of the field changes */

typedef struct {
	const char *dataset;	/* NULL for a change to the whole policy */
	const char *field;	/* the field, or the filter's field; NULL otherwise */
	const char *what;	/* "recipients", "purpose", "dataset", "field", "filter" */
	const char *old_text;	/* as written in the policy ("(not shared)", "(no condition)") */
	const char *new_text;
	const char *why;	/* one sentence: what recipients see differently */
	int effect;		/* STRATA_PD_* */
	unsigned line, col;	/* where in the new policy (the old one for a removal); 0 if unknown */
} strata_policy_change;

typedef int (*strata_policy_change_cb)(const strata_policy_change *c, void *payload);

/*
 * Calls `cb` for each difference from `a` (old) to `b` (new), in the
 * order: purpose, recipients, then per dataset (a's order, then the new
 * ones) the dataset itself, its filter, its fields.  Returns the number
 * of changes, or the first non-zero `cb` returned.
 */
int strata_policy_diff(const strata_policy *a, const strata_policy *b, strata_policy_change_cb cb, void *payload);

/* A transform as the policy writes it: "keep", "mask [1, 0]", "pseudonym (recipient)", "(not shared)". */
void strata_policy_rule_text(char *out, size_t size, const strata_rule *r);

#endif
