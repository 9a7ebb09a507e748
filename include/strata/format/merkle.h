/*
 * merkle.h - an append-only log's Merkle tree, as RFC 9162 (Certificate
 * Transparency 2.0, section 2.1) defines it: the tree head of n entries,
 * the proof that an entry is in it, and the proof that a tree of m
 * entries is a prefix of one of n.  The ground of a node's head log
 * (doc/design.md, "Split views: one story for every tier").
 *
 *     leaf hash  SHA-256(0x00 || entry)
 *     node hash  SHA-256(0x01 || left || right)
 *     MTH({})    SHA-256("")
 *     MTH(D[n])  for n > 1: k the largest power of two below n,
 *                node hash of MTH(D[0:k]) and MTH(D[k:n])
 *
 * Proofs are at most 64 hashes (a tree of 2^64 entries).  Verifying
 * takes only the hashes given: a proof is untrusted input.
 */
#ifndef STRATA_FORMAT_MERKLE_H
#define STRATA_FORMAT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define STRATA_MERKLE_HASH 32
#define STRATA_MERKLE_PROOF_MAX 64

typedef unsigned char strata_merkle_hash[STRATA_MERKLE_HASH];

/* The leaf hash of one entry. */
int strata_merkle_leaf(strata_merkle_hash out, const void *entry, size_t len);
/* The tree head of `n` leaf hashes (MTH). */
int strata_merkle_root(strata_merkle_hash out, const strata_merkle_hash *leaves, uint64_t n);

/*
 * The inclusion proof of leaf `m` in the tree of the first `n` leaves
 * (RFC 9162 2.1.3.1) into `path` (room for STRATA_MERKLE_PROOF_MAX), its
 * length into *len.  Needs m < n.
 */
int strata_merkle_inclusion(strata_merkle_hash *path, size_t *len, const strata_merkle_hash *leaves, uint64_t n,
			    uint64_t m);
/* 0 if `path` proves leaf hash `leaf` is entry `m` of the tree of `n` with head `root`; STRATA_EVERIFY if not. */
int strata_merkle_verify_inclusion(const strata_merkle_hash leaf, uint64_t m, uint64_t n, const strata_merkle_hash *path,
				   size_t len, const strata_merkle_hash root);

/*
 * The consistency proof between the trees of the first `m` and the first
 * `n` leaves (RFC 9162 2.1.4.1), 0 < m <= n, into `proof`.
 */
int strata_merkle_consistency(strata_merkle_hash *proof, size_t *len, const strata_merkle_hash *leaves, uint64_t m,
			      uint64_t n);
/*
 * 0 if `proof` shows the tree of `m` entries with head `old_root` is a
 * prefix of the tree of `n` with head `new_root`; STRATA_EVERIFY if not
 * (a fork: the log was rewritten, or one of the heads is another story).
 */
int strata_merkle_verify_consistency(uint64_t m, uint64_t n, const strata_merkle_hash old_root,
				     const strata_merkle_hash new_root, const strata_merkle_hash *proof, size_t len);

#endif
