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
 * A peer name node.conf does not pin: sets STRATA_ENOTFOUND's message with
 * the nearest pinned names ("did you mean"), or all of them, and returns it.
 */
int strata_peers_unknown(strata_node *n, const char *name);

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
/*
 * The same for a signature made at `when` (a commit's time; -1: any):
 * 1 trusted; 0 a key this node does not know; 2 a key of `name` that was
 * not valid then, `why` says how (retired by a rotation before `when`, or
 * revoked from a time at or before it).  Earlier keys are
 *     peer.NAME.retired = KEY before TIME[; KEY before TIME...]
 *     node.retired = KEY before TIME[; ...]       (this node's own)
 *     peer.NAME.revoked = SHA256:FPR after TIME[; ...]
 */
int strata_peers_trusted_at(strata_node *n, const strata_pubkey *pk, int64_t when, char *name, size_t namesz,
			    char *why, size_t whysz);
/*
 * Trusts `pk` as `name`'s in memory, until node.conf's keys are next read
 * (strata_peers_forget): a peer's rotated key, while the parcel that
 * brought its statement is checked.
 */
int strata_peers_trust_for_now(strata_node *n, const char *name, const strata_pubkey *pk);
void strata_peers_forget(strata_node *n);
/* Calls `cb` with each "ITEM WORD TIME" of such a list ("before" or "after"): ITEM and TIME. */
typedef int (*strata_peers_timed_cb)(const char *item, int64_t t, void *payload);
int strata_peers_timed_parse(const char *value, const char *word, strata_peers_timed_cb cb, void *payload);

typedef struct {
	const char *name;
	strata_pubkey key;
	const char *tier;
	const char *policy;	/* NULL: receive only (direction pull) */
	const char *direction;	/* "push", "pull", "both"; NULL: the tiers' default */
	const char *url;	/* NULL or https://... */
	/*
	 * NULL, or what this node states of the peer for a policy's filters
	 * ("$recipient.community"): "community=望江社区; street=望江街道"
	 * (strata_peers_set: "" removes them)
	 */
	const char *attributes;
	/* NULL, or the name people read (strata_node_display_check); strata_peers_set: "" removes it */
	const char *display;
	/*
	 * NULL, or the longest a peer's newest signed word may be old before
	 * what it sent counts as stale ("7d": strata_time_duration);
	 * strata_peers_set: "" removes it
	 */
	const char *max_age;
} strata_peer_spec;

/* 0 if `attrs` is NAME=VALUE; ... as above, else an error saying what is wrong. */
int strata_peers_attributes_check(const char *attrs);

/*
 * The direction a peer at `peer_tier` has by default, seen from a node at
 * `tier`: "push" (this node sends) when the peer's tier is above, "pull"
 * (it receives) when it is below; NULL when neither is above the other
 * (the same tier, or a department), where it must be said.
 */
const char *strata_peers_default_direction(const char *tier, const char *peer_tier);

/*
 * Appends the peer's direction: node.conf's, else the tiers' default.
 * STRATA_ENOTFOUND (message set) if node.conf has none and the tiers give
 * none.
 */
int strata_peers_direction(strata_buf *out, strata_node *n, const char *peer);

/*
 * Pins a new peer, under the node's write lock.  Checks the name, tier,
 * direction (NULL: the tiers' default, written out) and url, that the key
 * is neither the node's own nor another peer's, and that a peer that
 * receives from this node has a policy.  STRATA_EEXISTS if the name is
 * pinned already: strata_peers_set changes a peer.  Whether the policy is
 * committed and names the peer is the policy layer's to check.
 */
int strata_peers_add(strata_node *n, const strata_peer_spec *p);

/*
 * Changes a pinned peer, under the write lock: each non-NULL field of `c`
 * (its key and name are ignored; a peer's key changes by rotation, or by
 * removing and adding it) replaces node.conf's; `unset_url` and
 * `unset_policy` remove the url and the policy.  The result is checked as strata_peers_add checks a new peer.
 * `changed` gets one "VAR: OLD -> NEW" line per setting that changed
 * (nothing if none did).  STRATA_ENOTFOUND for a peer not pinned.
 */
int strata_peers_set(strata_buf *changed, strata_node *n, const char *name, const strata_peer_spec *c,
		     int unset_url, int unset_policy);

/*
 * Writes keys/allowed_signers from node.conf, for stock git: this node's
 * key, its retired keys and every peer's and signer's, each retired or
 * revoked one with valid-before its time (git checks it against the
 * commit's date).  strata_peers_add and strata_peers_remove call it.
 */
int strata_peers_write_allowed_signers(strata_node *n);
/* The same into another file (a key rotation builds the new keys/ beside the old). */
int strata_peers_write_allowed_signers_to(strata_node *n, const char *path);

/* Removes every peer.NAME.* setting, under the write lock; STRATA_ENOTFOUND if none. */
int strata_peers_remove(strata_node *n, const char *name);

/*
 * Checks node.conf's peers and signers: each peer section has a key that
 * parses and is neither the node's own nor another's, a known tier, a
 * direction that is push, pull or both (or that the tiers give), a policy
 * if it is sent to, an https url, and no setting strata does not know.
 * Calls `cb` for each problem with where it is ("NODE/node.conf:LINE", or
 * the file alone when the setting is missing), what is wrong and the fix;
 * returns the number of problems.
 */
int strata_peers_check(strata_node *n, strata_problem_cb cb, void *payload);

#endif
