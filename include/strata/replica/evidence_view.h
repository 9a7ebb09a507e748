/*
 * evidence_view.h - a recipient checks a view it received against its
 * policy, with the part of an evidence bundle its builder added
 * (doc/design.md, "Evidence to hand on": across tiers).
 *
 * The recipient does not hold the view's source (the builder's data) nor
 * the builder's secret.  The bundle brings, for one record, the source
 * commit's path down to the record and the policy the view was built
 * under; both are fixed by ids the view commit names in its signed
 * trailers (Strata-Source, Strata-Policy), and the view commit is one
 * this node accepted.  So the check is of one record: that its values in
 * the view are what the policy's rules give from its values in the
 * source, that the row filter lets it through, that nothing dropped or
 * unshared arrived.  What cannot be checked here is said, not guessed:
 * pseudonyms need the builder's secret; min_k needs the whole source;
 * that the source leaf holds the record is the builder's signed word
 * unless the leaf itself is in the bundle.
 */
#ifndef STRATA_REPLICA_EVIDENCE_VIEW_H
#define STRATA_REPLICA_EVIDENCE_VIEW_H

#include <git2.h>
#include "strata/format/evidence.h"
#include "strata/node/node.h"

typedef enum {
	STRATA_EVFIELD_AS_GIVEN,	/* the view's value is what the rule gives from the source's */
	STRATA_EVFIELD_DROPPED,		/* dropped by the rule, or absent in both: absent from the view */
	STRATA_EVFIELD_UNCHECKED,	/* a pseudonym: the builder's secret would be needed */
	STRATA_EVFIELD_DIFFERS		/* not what the policy gives */
} strata_evfield_state;

typedef struct {
	const char *field;
	const char *rule;	/* "keep", "drop", "pseudonym", ... or NULL: no rule shares it */
	const char *source;	/* its value in the source record, NULL if absent */
	const char *view;	/* its value in the view, NULL if absent */
	const char *expected;	/* what the rule gives, NULL where nothing is computed */
	strata_evfield_state state;
} strata_evidence_field;

typedef int (*strata_evidence_field_cb)(const strata_evidence_field *f, void *payload);

typedef struct {
	git_oid view, source, policy;
	char builder[64], dataset[64], recipient[64], policy_name[128], policy_version[32];
	size_t as_given, dropped, unchecked, differ;
	int filter_passes;	/* the source record passes the policy's row filter */
	int leaf_proven;	/* the source leaf is in the bundle: the record's place recomputed */
	long min_k;		/* the policy's min_k (0: none): not checkable with one record */
} strata_evidence_view_result;

/*
 * Checks `view` (NULL: the first view in the bundle this node received)
 * against the source record and the policy the bundle brings.  The bundle
 * is verified first (strata_evidence_verify, with the bundle's keys); the
 * builder's part must be signed by the key this node trusts for the
 * builder.  `cb` hears each field.  0 if every field checked is as the
 * policy gives; STRATA_EVERIFY (the field named) if one is not or the
 * filter would not have let the record through; STRATA_ENOTFOUND if the
 * bundle has no view held here or does not reach its source (add the
 * builder's part at the builder).  Reads only: the node is left as it was.
 */
int strata_evidence_check_view(strata_node *n, const strata_evidence *ev, const git_oid *view,
			       strata_evidence_view_result *res, strata_evidence_field_cb cb, void *payload);

#endif
