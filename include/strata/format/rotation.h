/*
 * rotation.h - a key rotation statement: a node's word, signed by its old
 * key and by its new one, that the new key replaces the old from a time:
 *
 *     strata-key-rotation 1
 *     node NAME
 *     old ssh-ed25519 BASE64
 *     new ssh-ed25519 BASE64
 *     time UNIXTIME
 *     -----BEGIN SSH SIGNATURE-----     by the old key, namespace "strata-key-rotation"
 *     ...
 *     -----END SSH SIGNATURE-----
 *     -----BEGIN SSH SIGNATURE-----     by the new key, the same text
 *     ...
 *     -----END SSH SIGNATURE-----
 *
 * Both sign the five lines above them.  The old key's signature is the
 * authority (whoever holds it may hand the node on); the new key's proves
 * the new key's holder asked for it (no one can hand a node to a key they
 * do not hold).  Statements travel in every parcel's manifest; a peer
 * follows the chain from the key it pins.
 *
 * Trust: a statement is untrusted text until both signatures verify; the
 * caller decides whether its old key is one it trusts.
 */
#ifndef STRATA_ROTATION_H
#define STRATA_ROTATION_H

#include <stdint.h>
#include "strata/base/buf.h"
#include "strata/format/sign.h"

#define STRATA_ROTATION_MAGIC "strata-key-rotation 1\n"
#define STRATA_ROTATION_NAMESPACE "strata-key-rotation"
#define STRATA_ROTATION_MAX 4096	/* bytes of one statement */

typedef struct {
	char node[64];
	strata_pubkey old_key, new_key;
	int64_t time;
} strata_rotation;

/* Writes the statement for `r`, signed by `old_key` then `new_key`, to `out`. */
int strata_rotation_write(strata_buf *out, const strata_rotation *r, const strata_key *old_key, const strata_key *new_key);

/*
 * Parses one statement from `text` (exactly, through its last signature and
 * one newline) and checks both signatures; `len` is the text's length.
 * STRATA_EVERIFY if a signature does not verify or is by the wrong key.
 */
int strata_rotation_parse(strata_rotation *r, const char *text, size_t len);

/*
 * Splits a file of statements one after another (keys/rotations) and calls
 * `cb` with each one's text; stops at the first error or non-zero.
 */
typedef int (*strata_rotation_cb)(const char *text, size_t len, void *payload);
int strata_rotation_foreach(const char *text, size_t len, strata_rotation_cb cb, void *payload);

/*
 * Follows `node`'s statements in `text` from key `from` to key `to`: fills
 * `chain` (room for `max`) with the statements that lead there, each from
 * the key the one before led to; *n gets their number (0 if from is to).
 * STRATA_EVERIFY, with a message, if none leads there, or a statement does
 * not verify, is another node's, or is dated more than a day after `now`.
 */
int strata_rotation_chain(const char *text, size_t len, const char *node, const strata_pubkey *from,
			  const strata_pubkey *to, int64_t now, strata_rotation *chain, size_t max, size_t *n);

#endif
