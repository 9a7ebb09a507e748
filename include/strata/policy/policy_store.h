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

/* The names of the committed policies (free each and the array). */
int strata_policy_store_list(char ***names, size_t *count, strata_node *n);

/* One committed version of a policy: the parsed policy and its text live for the callback. */
typedef struct {
	const strata_policy *policy;
	const char *text;
	size_t len;
	git_oid blob, commit;
	int64_t time;		/* when it was committed */
} strata_policy_version;
typedef int (*strata_policy_version_cb)(const strata_policy_version *v, void *payload);
/*
 * Each version of policy `name` ever committed, newest first (`cb` may
 * stop the walk with a non-zero, returned).  Returns the number of
 * versions, STRATA_ENOTFOUND if there is none, or an error.
 */
int strata_policy_store_versions(strata_node *n, const char *name, strata_policy_version_cb cb, void *payload);
/* Loads version `version` of a committed policy (-1: the current one). */
int strata_policy_store_load_version(strata_policy **out, git_oid *blob, strata_node *n, const char *name, long version);

/* Reads the policy's secret; a clear error if it is missing. */
int strata_policy_store_secret(unsigned char *secret, strata_node *n, const char *name);

/*
 * The secret's public id (16 hex digits of an HMAC under it): each
 * policy-commit audit event names it (Strata-Secret-Id), so a restored
 * secret can be checked against the one views were built under.
 */
#define STRATA_SECRET_ID_LEN 16
int strata_policy_store_secret_id(char out[STRATA_SECRET_ID_LEN + 1], strata_node *n, const char *name);
int strata_policy_store_secret_id_of(char out[STRATA_SECRET_ID_LEN + 1], const unsigned char *secret);

/*
 * Secret backups.  Export writes the secret of committed policy `name`
 * sealed to `pass` (seal.h) into `out`, as text, and records an audit
 * event (secret-export).  Import restores one into a node that lacks it,
 * after checking the file line by line, the policy and node it names, the
 * seal, and that it is the secret the node's views were built under (the
 * newest Strata-Secret-Id in the audit log); `file` names it in errors.
 * A node that has another secret refuses (STRATA_EEXISTS).  `sid` gets the
 * secret's id.  Rotate makes a new secret, keeping the old one beside as
 * NAME.key.retired-ID, with an audit event naming both ids; the next view
 * build rebuilds every view under it in full.
 */
int strata_policy_store_secret_export(strata_buf *out, strata_node *n, const char *name, const char *pass);
int strata_policy_store_secret_import(strata_node *n, const char *name, const char *file, const char *text, size_t len,
				      const char *pass, char sid[STRATA_SECRET_ID_LEN + 1]);
int strata_policy_store_secret_rotate(strata_node *n, const char *name, char old_id[STRATA_SECRET_ID_LEN + 1],
				      char new_id[STRATA_SECRET_ID_LEN + 1]);

/*
 * Checks what the policy layer needs of a node: every peer's policy is
 * committed and names it; every committed policy has its secret, readable
 * by the node's user alone.  Returns the number of problems (node.h).
 */
int strata_policy_store_check(strata_node *n, strata_problem_cb cb, void *payload);

#endif
