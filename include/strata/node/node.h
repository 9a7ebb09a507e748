/*
 * node.h - a strata node: one directory holding node.conf, a bare git
 * repository, the node key and per-policy secrets (DESIGN.md, "Node layout").
 *
 * Invariants: a node directory appears complete or not at all (init builds
 * it beside the target and renames it into place); every writer holds the
 * node lock for the whole operation.
 *
 * Trust: node.conf and the key belong to the node's operator.
 */
#ifndef STRATA_NODE_H
#define STRATA_NODE_H

#include <git2.h>
#include "strata/format/sign.h"

#define STRATA_REF_DATASETS "refs/strata/datasets/"

typedef struct {
	char *path;		/* node directory */
	char *name;
	char *tier;
	git_repository *repo;
	git_config *cfg;	/* node.conf */
	strata_key *key;	/* loaded by strata_node_load_key() */
	strata_pubkey pub;
	int lock_fd;
	int lock_shared;	/* lock_fd holds the shared (reader's) lock, not the write lock */
	/* peer and signer keys from node.conf, read once (strata_node_trusted) */
	struct strata_trusted *trusted;
	size_t ntrusted;
	int trusted_loaded;
} strata_node;

/* 1 if `name` is a valid node or peer name: [a-z0-9][a-z0-9-]{0,62}. */
int strata_node_name_valid(const char *name);
/* 1 if `tier` is one of community, street, district, province, department. */
int strata_node_tier_valid(const char *tier);
/* 1 if `name` is a valid dataset name: [a-z0-9][a-z0-9_-]{0,63}. */
int strata_dataset_name_valid(const char *name);

/*
 * Creates a node at `path`, which must not exist or be an empty directory.
 * STRATA_EEXISTS if it holds anything.
 */
int strata_node_init(const char *path, const char *name, const char *tier);

/* Opens a node read-only; STRATA_ENOTFOUND if `path` is not a node. */
int strata_node_open(strata_node **out, const char *path);
/* Takes the node's write lock (non-blocking; error if another process has it). */
int strata_node_lock(strata_node *n);
/*
 * Takes the node's lock shared, for a reader that writes scratch files
 * under NODE/tmp (audit view): writers, which clear NODE/tmp when they
 * take the lock, wait for it.  Non-blocking; STRATA_EBUSY while a writer
 * holds the lock.  strata_node_lock upgrades it.
 */
int strata_node_lock_shared(strata_node *n);
/* Releases the write lock (a daemon takes it per request). */
void strata_node_unlock(strata_node *n);
/*
 * The names of the peers node.conf pins a key for, sorted: a NULL-terminated
 * array the caller frees with strata_node_peers_free.
 */
int strata_node_peers(char ***out, size_t *count, strata_node *n);
void strata_node_peers_free(char **names);
/* Loads the private key; only writers need it. */
int strata_node_load_key(strata_node *n);
void strata_node_free(strata_node *n);

/*
 * If `pk` is a key this node trusts (its own, or a configured signer or
 * peer), returns 1 and copies its name into `name`; else 0.  The keys are
 * read from node.conf on first use and kept for the node's lifetime.
 */
int strata_node_trusted(strata_node *n, const strata_pubkey *pk, char *name, size_t namesz);

/*
 * Appends peer.<peer>.<var> from node.conf to `out`; STRATA_ENOTFOUND
 * (message set) if it is not there.
 */
int strata_node_peer_get(strata_buf *out, strata_node *n, const char *peer, const char *var);
/* Full ref name of a dataset owned by this node. */
int strata_dataset_ref(strata_buf *out, const char *dataset);

#endif
