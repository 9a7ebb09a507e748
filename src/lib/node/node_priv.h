/*
 * node_priv.h - struct strata_node, for the modules of the node layer
 * (node, peers, refs, commit, audit, journal) and no one else: above it
 * the node is opaque, and read through the accessors in node.h.
 */
#ifndef STRATA_NODE_PRIV_H
#define STRATA_NODE_PRIV_H

#include "strata/node/node.h"

struct strata_trusted;
struct strata_officer;

struct strata_node {
	char *path;		/* node directory */
	char *name;
	char *tier;
	char *display;		/* node.displayname, or NULL */
	git_repository *repo;
	git_config *cfg;	/* node.conf */
	strata_key *key;	/* loaded by strata_node_load_key() */
	strata_pubkey pub;
	int lock_fd;
	int lock_shared;	/* lock_fd holds the shared (reader's) lock, not the write lock */
	/* peer and signer keys from node.conf, read once (strata_peers_trusted) */
	struct strata_trusted *trusted;
	size_t ntrusted;
	int trusted_loaded;
	/* who acts (officers.h), and how they sign */
	struct strata_officer *actor;
	int (*cosign)(strata_buf *armored, const void *data, size_t len, void *payload);
	void *cosign_payload;
	char *actor_note;	/* trailers every event names while set (a second officer's approval) */
};

/*
 * Reads node.conf again into n->cfg (and forgets the trusted keys read
 * from it): after the file was put back by a journal's undo.  libgit2's
 * file config does not see a file restored to content it read before
 * (it compares a checksum it does not update on its own writes).
 */
int strata_node_conf_reopen(strata_node *n);

#endif
