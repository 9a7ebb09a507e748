/*
 * peers.h - the node's peers as node.conf records them: the one peer API.
 *
 *     [peer "st-wangjiang"]
 *         key = ssh-ed25519 AAAA...     pinned: only this key is accepted
 *         tier = street
 *         policy = community-to-street  what it may receive (none: receive only)
 *         direction = push|pull|both    which way parcels may flow
 *         url = https://host:port       for pull, push and sync
 *
 * and [signer "NAME"] key = ..., keys trusted for signatures only.
 *
 * Trust: node.conf belongs to the node's operator; a peer's name and key
 * are checked when added, never taken from what the peer sends.
 */
#ifndef STRATA_PEERS_H
#define STRATA_PEERS_H

#include "strata/base/buf.h"
#include "strata/node/node.h"

/*
 * The names of the peers node.conf pins a key for, sorted: a NULL-terminated
 * array the caller frees with strata_peers_list_free.
 */
int strata_peers_list(char ***out, size_t *count, strata_node *n);
void strata_peers_list_free(char **names);

/*
 * Appends peer.<peer>.<var> from node.conf to `out`; STRATA_ENOTFOUND
 * (message set) if it is not there.
 */
int strata_peers_get(strata_buf *out, strata_node *n, const char *peer, const char *var);

/*
 * If `pk` is a key this node trusts (its own, or a configured signer or
 * peer), returns 1 and copies its name into `name`; else 0.  The keys are
 * read from node.conf on first use and kept until a peer is added.
 */
int strata_peers_trusted(strata_node *n, const strata_pubkey *pk, char *name, size_t namesz);

typedef struct {
	const char *name;
	strata_pubkey key;
	const char *tier;
	const char *policy;	/* NULL: receive only (direction pull) */
	const char *direction;	/* "push", "pull" or "both" */
	const char *url;	/* NULL or https://... */
} strata_peer_spec;

/*
 * Adds (or changes) a peer under the node's write lock.  Checks the name,
 * tier, direction and url, and that the key is neither the node's own nor
 * another peer's.  Whether the policy is committed and names the peer is
 * the policy layer's to check (strata_policy_store_load, strata_policy_applies).
 */
int strata_peers_add(strata_node *n, const strata_peer_spec *p);

#endif
