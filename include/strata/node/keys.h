/*
 * keys.h - keys over time: this node's key rotated, a peer's rotation
 * accepted, a peer's stolen key revoked.
 *
 *     NODE/keys/retired/N.key  this node's earlier private keys, which open
 *                            what was sealed to them and sign nothing
 *     NODE/keys/rotations    this node's rotation statements (rotation.h),
 *                            oldest first: every parcel carries them, so a
 *                            peer that missed one catches up from any later
 *                            parcel
 *     node.retired           this node's earlier keys, each valid before its time
 *     peer.NAME.retired      a peer's earlier keys, the same
 *     peer.NAME.revoked      fingerprints not valid from a time on
 *
 * Every change rewrites keys/allowed_signers (peers.h) and is an audit
 * event.  Trust: node.conf and keys/ are the operator's; a rotation
 * accepted from a peer is checked by the caller (strata_rotation_parse,
 * and that its old key is the one pinned).
 */
#ifndef STRATA_KEYS_H
#define STRATA_KEYS_H

#include "strata/node/node.h"
#include "strata/format/rotation.h"

/*
 * A new node key, under the write lock: the old key signs a rotation
 * statement with the new one; keys/ is replaced in one atomic exchange
 * (node.key, node.pub, allowed_signers, rotations), the old key goes to
 * node.retired, valid for commits before now.  `old_fpr` and `new_fpr`
 * get the fingerprints.
 */
int strata_keys_rotate(strata_node *n, strata_buf *old_fpr, strata_buf *new_fpr);

/*
 * This node's X25519 keys for opening sealed parcels (hpke.h): its current
 * key's first, then each retired one's (keys/retired/N.key, kept by
 * rotation for parcels sealed before the sender learned of it).  *out is
 * the caller's: wipe it (OPENSSL_cleanse) and free it.
 */
int strata_keys_x25519_all(unsigned char (**out)[32], size_t *count, strata_node *n);

/* keys/rotations' text, empty if this node never rotated its key. */
int strata_keys_rotations(strata_buf *out, strata_node *n);

/*
 * A peer's rotation, verified by the caller: its key becomes r->new_key,
 * the one it had (r->old_key) is kept, valid before r->time.  An audit
 * event (peer-key-rotated).  Under the write lock.
 */
int strata_keys_accept_rotation(strata_node *n, const char *peer, const strata_rotation *r);

/*
 * Refuses what the key with fingerprint `fpr` (one pinned for `peer`, now
 * or retired) signs from `after` on; an audit event (key-revoke).
 * `current` is set if it is the peer's pinned key (then nothing more is
 * accepted from it until it is pinned again).  Under the write lock.
 */
int strata_keys_revoke(strata_node *n, const char *peer, const char *fpr, int64_t after, int *current);

/*
 * What an interrupted rotation can leave (its swap of keys/ is not
 * journalled): a node.retired line naming the current key (stopped before
 * the swap), or a rotation in keys/rotations with no audit event (stopped
 * after it).  check reports each through `cb` (the number found); repair,
 * under the write lock, removes the line and records the event.
 */
int strata_keys_check(strata_node *n, strata_problem_cb cb, void *payload);
int strata_keys_repair(strata_node *n);

#endif
