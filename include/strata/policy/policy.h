/*
 * policy.h - privacy policies: what leaves a node, for whom, and how
 * redacted (doc/design.md, "Policies and views").
 *
 * Default deny: a dataset the policy does not name is not shared, and a
 * field it does not name is dropped.  Every rule remembers its line and
 * column so privacy officers get file:line:column errors.
 *
 * Trust: policy files are written by people and checked strictly; an
 * unknown key anywhere is an error, never ignored.
 */
#ifndef STRATA_POLICY_H
#define STRATA_POLICY_H
#include <stdint.h>

#include <stddef.h>
#include "strata/format/schema.h"
#include "strata/node/node.h"

typedef enum {
	STRATA_T_KEEP,
	STRATA_T_DROP,
	STRATA_T_PSEUDONYM,	/* HMAC-SHA256 token under this node's secret; a = 1: per recipient, 0: one for all (scope node) */
	STRATA_T_MASK,		/* keep first a and last b characters */
	STRATA_T_YEAR,		/* date -> YYYY */
	STRATA_T_MONTH,		/* date -> YYYY-MM */
	STRATA_T_RANGE,		/* number -> "lo-hi" of width a */
	STRATA_T_PREFIX,	/* string -> first a characters */
	STRATA_T_ID_REGION	/* 18-digit ID number -> region (6 digits) + birth year */
} strata_transform_kind;

typedef struct {
	char *field;
	strata_transform_kind kind;
	long a, b;
	unsigned line, col;
} strata_rule;

typedef struct {
	unsigned line, col;
} strata_pos;

typedef struct {
	char *field;
	char **values;		/* keep rows whose field is one of these */
	size_t nvalues;
	strata_pos *value_pos;	/* where each value is written */
	unsigned line, col;
} strata_filter;

typedef struct {
	char *name;
	strata_rule *rules;
	size_t nrules;
	strata_filter *filters;	/* all must hold */
	size_t nfilters;
	char **qi;		/* quasi_identifiers: the fields risk groups records by */
	size_t nqi;
	int has_qi;		/* named (an empty list: no person in it); else every shared field but the key and tokens */
	char *sensitive;	/* sensitive: a field whose l-diversity risk reports, or NULL */
	long min_k;		/* min_k: records in smaller classes (on the quasi-identifiers) are not sent; 0: none */
	int refuse_small;	/* small_classes: refuse (build no view) rather than suppress them */
	int64_t retention;	/* retention: seconds a recipient keeps a version (0: as long as shared) */
	/*
	 * on_filter_exit: a record the filter no longer lets through (consent
	 * withdrawn) is cut from the recipients' history like an erasure of it
	 * from the view (0, the default: cut), or only leaves the present
	 * (keep_history: 1)
	 */
	int keep_filter_history;
	/* onward: the tiers or peers a recipient may share it on with; none: nobody (has_onward 0: no limit) */
	char **onward;
	size_t nonward;
	int has_onward;
	unsigned line, col;
} strata_policy_dataset;

typedef struct {
	char *file;		/* for messages */
	char *name;
	long version;
	char *purpose;
	char **peers;
	size_t npeers;
	strata_pos *peer_pos;	/* where each peer is named */
	char **tiers;
	size_t ntiers;
	strata_policy_dataset *datasets;
	size_t ndatasets;
	int keep_source_names;	/* source_names: keep (relayed views keep their path of node names) */
	char **requests;	/* requests: the requests for data this version answers (process.h) */
	size_t nrequests;
	/*
	 * approval: {expose_more: 2}: a later version that makes more visible
	 * than this one is committed only once a second officer approves it
	 * (officers.h, pending.h); 1 (the default) or 2
	 */
	int approval_expose_more;
} strata_policy;

/* Parses policy YAML; `file` names it in errors ("'f.yaml':12:5: ..."). */
int strata_policy_parse(strata_policy **out, const char *file, const char *text, size_t len);
int strata_policy_load(strata_policy **out, const char *path);
void strata_policy_free(strata_policy *p);

const strata_policy_dataset *strata_policy_find(const strata_policy *p, const char *dataset);
/*
 * The rules `p` gives a dataset held here as `name`: this node's own
 * (NAME), or a received one (SENDER/.../NAME, or its ref under
 * refs/strata/peers/), which goes on under the rules for NAME, its last
 * name.  NULL if the policy does not share it.  Views and previews both
 * look a dataset up through this.
 */
const strata_policy_dataset *strata_policy_rules_for(const strata_policy *p, const char *name);
/* 1 if the policy applies to a peer with this name and tier. */
int strata_policy_applies(const strata_policy *p, const char *peer, const char *tier);

/*
 * Checks one dataset's rules against its schema: every field and filter
 * field exists, every transform fits the field's type, and the key is
 * not dropped.  Errors name file:line:column.  With STRATA_POLICY_MISSING_OK
 * (view builds), a rule for a field the data does not have is no error:
 * there is nothing to share, so the view lacks it.  A tier below may drop
 * a field this node's policy names, and replication must not stop for it.
 * A filter on a missing field is an error either way: rows cannot be shown
 * to pass it.
 */
#define STRATA_POLICY_MISSING_OK 1
int strata_policy_check_schema(const strata_policy *p, const strata_policy_dataset *pd,
			       const strata_schema *s, int flags);

const char *strata_policy_transform_name(strata_transform_kind k);

/* The rule under which `pd` shares `field`, or NULL if it does not (not named, or drop); pd may be NULL. */
const strata_rule *strata_policy_shared_rule(const strata_policy_dataset *pd, const char *field);

/*
 * The quasi-identifiers of a dataset as a recipient holds it: those the
 * policy names that it shares, or (none named) every shared field of the
 * schema that is neither the key nor a pseudonym token (an outsider knows
 * a person's birth date, not the token this federation made of it).
 * Fills names[] (pointing into pd or s) and returns their number.
 */
size_t strata_policy_quasi_identifiers(const strata_policy_dataset *pd, const strata_schema *s, char **names, size_t max);

/*
 * Compares two transforms for one field: > 0 if `b` shows more than `a`,
 * < 0 if less, 0 if the same; *unclear is set when they are of different
 * kinds that do not order (prefix against mask, say).  NULL means "not
 * shared".
 */
int strata_policy_rule_compare(const strata_rule *a, const strata_rule *b, int *unclear);

#endif
