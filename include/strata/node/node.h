/*
 * node.h - a strata node: one directory holding node.conf, a bare git
 * repository, the node key and per-policy secrets (doc/design.md, "Node layout").
 *
 *     NODE/node.conf      name, tier, peers (peers.h), signers
 *     NODE/repo.git       the bare repository (refs.h names its refs)
 *     NODE/keys/          node.key (private), node.pub, allowed_signers
 *     NODE/secrets/       one HMAC key per policy (policy_store.h)
 *     NODE/tmp/           scratch: emptied whenever a writer takes the lock
 *     NODE/lock           flock(2)ed by every writer, shared by audit readers
 *
 * Invariants:
 *   1. A node directory appears complete or not at all (init builds it
 *      beside the target and renames it into place).
 *   2. Every writer holds the node's write lock for the whole operation,
 *      taken through strata_journal_lock (journal.h), which settles what a
 *      crash left before anything else changes.
 *   3. Whatever a process writes under NODE/tmp is its own until it exits:
 *      the next writer to take the lock removes all of it.
 *
 * Trust: node.conf and the key belong to the node's operator.
 */
#ifndef STRATA_NODE_H
#define STRATA_NODE_H

#include <git2.h>
#include "strata/format/sign.h"

#define STRATA_NODE_TMP "tmp"

typedef struct strata_node strata_node;

/*
 * A problem a check found (strata doctor): where it is (a file, FILE:LINE,
 * or a ref), what is wrong, and the fix, each one line.
 */
typedef void (*strata_problem_cb)(const char *where, const char *problem, const char *fix, void *payload);

/*
 * Creates a node at `path`, which must not exist or be an empty directory.
 * STRATA_EEXISTS if it holds anything.
 */
int strata_node_init(const char *path, const char *name, const char *tier);

/*
 * Opens a node read-only; STRATA_ENOTFOUND if `path` is not a node.  Its
 * peers are not checked: strata_node_open_checked (check.h) does that,
 * and is what commands use.
 */
int strata_node_open(strata_node **out, const char *path);
void strata_node_free(strata_node *n);


const char *strata_node_path(const strata_node *n);
const char *strata_node_name(const strata_node *n);
const char *strata_node_tier(const strata_node *n);
/*
 * The name people read: node.conf's node.displayname (望江社区), or NULL.
 * strata_node_display_check: 0 if `text` can be one (one line of UTF-8, at
 * most 64 characters, no control character), else an error saying so.
 */
const char *strata_node_display_name(const strata_node *n);
int strata_node_display_check(const char *text);
/* Sets node.displayname ("": removes it); the caller holds the write lock, or has just made the node. */
int strata_node_set_display_name(strata_node *n, const char *text);
/*
 * A local label for a dataset (node.conf: dataset "NAME" label): what this
 * node's people call a received dataset whose sender hides its path
 * (v-... names).  Never sent.  The getter appends it, or returns
 * STRATA_ENOTFOUND; the setter ("": removes it) wants the write lock.
 */
int strata_node_dataset_label(strata_buf *out, strata_node *n, const char *dataset);
int strata_node_set_dataset_label(strata_node *n, const char *dataset, const char *text);
/*
 * One setting of node.conf: appends its value (STRATA_ENOTFOUND if unset);
 * sets it ("": removes it), under the write lock, journalled by the caller.
 */
int strata_node_conf_get(strata_buf *out, strata_node *n, const char *key);
int strata_node_conf_set(strata_node *n, const char *key, const char *text);
git_repository *strata_node_repo(const strata_node *n);
const strata_pubkey *strata_node_pubkey(const strata_node *n);

/* Loads the private key; only writers need it. */
int strata_node_load_key(strata_node *n);

/*
 * A digest (hex SHA-256) of the node's state as a reader sees it: every
 * ref's name and target and node.conf's bytes.  Two equal digests: any
 * reading command answers the same (for the console's cache).
 */
int strata_node_state_digest(strata_node *n, char out[65]);
/*
 * A long-lived process (the daemon's node process) sees what other
 * processes wrote to the object store since: a new handle on it.
 * libgit2 rescans objects/pack only when the directory's mtime changed,
 * in whole seconds, so a pack another process wrote in the second of
 * the last scan (a prune's repack) stays unseen otherwise.
 */
int strata_node_refresh_store(strata_node *n);
/* The key strata_node_load_key loaded, or NULL. */
const strata_key *strata_node_key(const strata_node *n);

/*
 * Takes the node's write lock (non-blocking: STRATA_EBUSY if another
 * process has it) and removes what a killed writer left: NODE/tmp, pack
 * files never finished, ref locks.  Writers do not call this: they call
 * strata_journal_lock, which also settles an interrupted change.
 */
int strata_node_flock(strata_node *n);
/*
 * Takes the node's lock shared, for a reader that writes scratch files
 * under NODE/tmp (audit view): writers, which clear NODE/tmp when they
 * take the lock, wait for it.  Non-blocking; STRATA_EBUSY while a writer
 * holds the lock.  strata_node_flock upgrades it.
 */
int strata_node_lock_shared(strata_node *n);
/* 1 if this process holds the node's write lock. */
int strata_node_locked(const strata_node *n);
/* Releases the lock (a daemon takes it per request). */
void strata_node_unlock(strata_node *n);

#endif
