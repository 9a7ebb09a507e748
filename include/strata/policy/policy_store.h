/*
 * policy_store.h - committed policies: refs/strata/policies holds one
 * <name>.yaml per policy, each commit signed; NODE/secrets/<name>.key is
 * the policy's HMAC secret (for pseudonyms), created with its first commit.
 *
 * Trust: a policy file is the privacy officer's and is checked before it
 * is committed (policy.h); a committed policy is the node's own.
 */
#ifndef STRATA_POLICY_STORE_H
#define STRATA_POLICY_STORE_H

#include <git2.h>
#include "strata/node/node.h"
#include "strata/policy/policy.h"


typedef struct {
	git_oid commit;		/* the new commit, or the current one if unchanged */
	git_oid blob;		/* the policy file's blob id */
	int unchanged;
	int secret_created;
} strata_policy_commit_result;

/*
 * Commits a policy file into refs/strata/policies as <name>.yaml, signed.
 * The file must parse, fit the schemas of the node's datasets it names,
 * and raise the version of an already committed policy of the same name.
 * Creates the policy's secret (secrets/<name>.key) if it has none.
 */
int strata_policy_store_commit(strata_node *n, const char *path, strata_policy_commit_result *res);

/* Loads a committed policy by name; STRATA_ENOTFOUND if there is none. */
int strata_policy_store_load(strata_policy **out, git_oid *blob, strata_node *n, const char *name);

/* Reads the policy's secret; a clear error if it is missing. */
int strata_policy_store_secret(unsigned char *secret, strata_node *n, const char *name);

#endif
