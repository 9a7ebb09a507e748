/*
 * policy_lint.h - mistakes a valid policy can still hold, found against a
 * node's peers and data: a recipient peer the node does not have, a tier
 * no peer is of, a dataset name that matches no dataset (a typo then
 * silently stops sharing it), a filter value no record has ("True" for
 * "true": nothing would pass).  Each is a warning naming file:line:column;
 * `policy check --strict` makes them errors.
 */
#ifndef STRATA_POLICY_LINT_H
#define STRATA_POLICY_LINT_H

#include "strata/node/node.h"
#include "strata/policy/policy.h"

typedef struct {
	unsigned line, col;	/* in the policy file */
	const char *message;
} strata_policy_warning;

typedef int (*strata_policy_warning_cb)(const strata_policy_warning *w, void *payload);

/* Calls `cb` for each warning; returns their number, or an error. */
int strata_policy_lint(const strata_policy *p, strata_node *n, strata_policy_warning_cb cb, void *payload);

#endif
