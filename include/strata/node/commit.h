/*
 * commit.h - signed commits and their verification.
 *
 * Every commit a node makes is signed with its Ed25519 key in the SSH
 * signature format, namespace "git" (doc/design.md, guarantee 2), and refs move
 * only after every object they name is durable.
 */
#ifndef STRATA_COMMIT_H
#define STRATA_COMMIT_H

#include <git2.h>
#include "strata/node/node.h"
#include "strata/base/buf.h"

/* Creates a signed commit of `tree` with `parent` (may be NULL). Moves no ref. */
int strata_commit_create(git_oid *out, strata_node *n, const git_tree *tree,
			 const git_commit *parent, const char *message);
/*
 * The same, and co-signed by the officer acting, if one is (officers.h):
 * their signature over the commit's bytes is the message's last line.
 */
int strata_commit_create_cosigned(git_oid *out, strata_node *n, const git_tree *tree, const git_commit *parent,
				  const char *message);


typedef enum {
	STRATA_SIG_GOOD = 0,
	STRATA_SIG_BAD,		/* signature present but invalid or malformed */
	STRATA_SIG_UNSIGNED,
	STRATA_SIG_UNTRUSTED	/* valid signature by a key this node does not trust */
} strata_sig_status;

const char *strata_commit_sig_status_str(strata_sig_status s);

/*
 * Copies the value of trailer `key` (the last one, if repeated) of a
 * commit's message into `out`.  Returns 1 if found, 0 if not.
 */
int strata_commit_trailer(const git_commit *c, const char *key, char *out, size_t outsz);

/*
 * 1 if commit `a` is `b` or descends from it, 0 if not, or if either is
 * not in `repo` (a commit pruned since: libgit2 1.5's
 * git_graph_descendant_of leaks on a missing one, as LeakSanitizer showed).
 */
int strata_commit_descends(git_repository *repo, const git_oid *a, const git_oid *b);

/*
 * Checks the signature of one commit.  Returns 0 and fills *status and
 * `signer` (the trusted name, or the key for an untrusted one); negative
 * only if the commit cannot be read.
 */
int strata_commit_check(strata_sig_status *status, char *signer, size_t signersz,
			strata_node *n, const git_oid *commit);
/*
 * A commit's gpgsig header value (continuation lines joined, their leading
 * space dropped) into `sig`, and what it signs (the commit without that
 * header) into `data`, from the commit as parsed: what
 * git_commit_extract_signature gives, without reading the object again.
 * 1 if signed, 0 if not.
 */
int strata_commit_split_signature(strata_buf *sig, strata_buf *data, const git_commit *c);
/* As strata_commit_check, reading the commit from `repo` (a quarantine view). */
int strata_commit_check_in(strata_sig_status *status, char *signer, size_t signersz,
			   strata_node *n, git_repository *repo, const git_oid *commit);

typedef struct {
	strata_sig_status status;
	char signer[128];
} strata_check_result;
typedef void (*strata_missing_cb)(const git_oid *missing, const git_oid *child, void *payload);
/*
 * Walks every commit reachable from refs matching `glob` and checks each
 * signature, on one thread per core: a thread reads a commit, hands its
 * parents to the others, then verifies it, so even one long line of
 * history keeps every core busy.  *ids and *results (malloc'd, the
 * caller's) hold each commit and its result, in no particular order.
 */
int strata_commit_check_reachable(strata_node *n, const char *glob, git_oid **ids,
				   strata_check_result **results, size_t *count,
				   strata_missing_cb cb, void *payload);

#endif
