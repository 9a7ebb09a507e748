/*
 * merkle.c - RFC 9162's Merkle tree: heads, inclusion and consistency
 * proofs (merkle.h).  Generation follows the RFC's recursive definitions;
 * verification its iterative algorithms, which read only the proof.
 */
#include "strata/format/merkle.h"
#include "strata/base/digest.h"
#include "strata/base/error.h"

#include <string.h>

static int node_hash(strata_merkle_hash out, const strata_merkle_hash left, const strata_merkle_hash right)
{
	unsigned char b[1 + 2 * STRATA_MERKLE_HASH];

	b[0] = 0x01;
	memcpy(b + 1, left, STRATA_MERKLE_HASH);
	memcpy(b + 1 + STRATA_MERKLE_HASH, right, STRATA_MERKLE_HASH);
	return strata_digest_sha256(out, b, sizeof(b));
}

int strata_merkle_leaf(strata_merkle_hash out, const void *entry, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char zero = 0x00;
	unsigned int outlen = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(ctx, &zero, 1) == 1 &&
		 EVP_DigestUpdate(ctx, entry, len) == 1 && EVP_DigestFinal_ex(ctx, out, &outlen) == 1;

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : strata_error_set("SHA-256 failed");
}

/* the largest power of two below n (n > 1) */
static uint64_t split(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

int strata_merkle_root(strata_merkle_hash out, const strata_merkle_hash *leaves, uint64_t n)
{
	strata_merkle_hash l, r;
	uint64_t k;
	int error;

	if (n == 0)
		return strata_digest_sha256(out, "", 0);
	if (n == 1) {
		memcpy(out, leaves[0], STRATA_MERKLE_HASH);
		return 0;
	}
	k = split(n);
	if ((error = strata_merkle_root(l, leaves, k)) < 0 || (error = strata_merkle_root(r, leaves + k, n - k)) < 0)
		return error;
	return node_hash(out, l, r);
}

/* PATH(m, D[n]), appended after path[*len] */
static int path(strata_merkle_hash *out, size_t *len, const strata_merkle_hash *d, uint64_t n, uint64_t m)
{
	uint64_t k;
	int error;

	if (n <= 1)
		return 0;
	k = split(n);
	if (m < k)
		error = path(out, len, d, k, m);
	else
		error = path(out, len, d + k, n - k, m - k);
	if (error < 0)
		return error;
	if (*len == STRATA_MERKLE_PROOF_MAX)
		return strata_error_set("a Merkle proof longer than %d hashes", STRATA_MERKLE_PROOF_MAX);
	return m < k ? strata_merkle_root(out[(*len)++], d + k, n - k) : strata_merkle_root(out[(*len)++], d, k);
}

int strata_merkle_inclusion(strata_merkle_hash *out, size_t *len, const strata_merkle_hash *leaves, uint64_t n,
			    uint64_t m)
{
	*len = 0;
	if (m >= n)
		return strata_error_set("entry %llu is not in a tree of %llu", (unsigned long long)m, (unsigned long long)n);
	return path(out, len, leaves, n, m);
}

/* SUBPROOF(m, D[n], b) */
static int subproof(strata_merkle_hash *out, size_t *len, const strata_merkle_hash *d, uint64_t m, uint64_t n, int b)
{
	uint64_t k;
	int error;

	if (m == n) {
		if (b)
			return 0;
		if (*len == STRATA_MERKLE_PROOF_MAX)
			return strata_error_set("a Merkle proof longer than %d hashes", STRATA_MERKLE_PROOF_MAX);
		return strata_merkle_root(out[(*len)++], d, n);
	}
	k = split(n);
	if (m <= k)
		error = subproof(out, len, d, m, k, b);
	else
		error = subproof(out, len, d + k, m - k, n - k, 0);
	if (error < 0)
		return error;
	if (*len == STRATA_MERKLE_PROOF_MAX)
		return strata_error_set("a Merkle proof longer than %d hashes", STRATA_MERKLE_PROOF_MAX);
	return m <= k ? strata_merkle_root(out[(*len)++], d + k, n - k) : strata_merkle_root(out[(*len)++], d, k);
}

int strata_merkle_consistency(strata_merkle_hash *out, size_t *len, const strata_merkle_hash *leaves, uint64_t m,
			      uint64_t n)
{
	*len = 0;
	if (m == 0 || m > n)
		return strata_error_set("no consistency proof from %llu to %llu entries", (unsigned long long)m,
					(unsigned long long)n);
	return subproof(out, len, leaves, m, n, 1);
}

int strata_merkle_verify_inclusion(const strata_merkle_hash leaf, uint64_t m, uint64_t n, const strata_merkle_hash *p,
				   size_t len, const strata_merkle_hash root)
{
	strata_merkle_hash r;
	uint64_t fn = m, sn = n - 1;

	if (m >= n || len > STRATA_MERKLE_PROOF_MAX)
		return strata_error_setc(STRATA_EVERIFY, "an inclusion proof of entry %llu in a tree of %llu",
					 (unsigned long long)m, (unsigned long long)n);
	memcpy(r, leaf, STRATA_MERKLE_HASH);
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return strata_error_setc(STRATA_EVERIFY, "the inclusion proof is longer than its tree");
		if ((fn & 1) || fn == sn) {
			if (node_hash(r, p[i], r) < 0)
				return STRATA_ERROR;
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else if (node_hash(r, r, p[i]) < 0) {
			return STRATA_ERROR;
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(r, root, STRATA_MERKLE_HASH))
		return strata_error_setc(STRATA_EVERIFY, "the inclusion proof does not lead to the tree's head");
	return 0;
}

int strata_merkle_verify_consistency(uint64_t m, uint64_t n, const strata_merkle_hash old_root,
				     const strata_merkle_hash new_root, const strata_merkle_hash *proof, size_t len)
{
	strata_merkle_hash fr, sr;
	const strata_merkle_hash *p = proof;
	size_t i = 0, plen = len;
	uint64_t fn, sn;

	if (m == 0 || m > n || len > STRATA_MERKLE_PROOF_MAX)
		return strata_error_setc(STRATA_EVERIFY, "no consistency proof from %llu to %llu entries",
					 (unsigned long long)m, (unsigned long long)n);
	if (m == n) {
		if (len || memcmp(old_root, new_root, STRATA_MERKLE_HASH))
			return strata_error_setc(STRATA_EVERIFY, "two heads of %llu entries that differ: a fork",
						 (unsigned long long)m);
		return 0;
	}
	/* a first tree that is a whole subtree is its own first node */
	if ((m & (m - 1)) == 0) {
		memcpy(fr, old_root, STRATA_MERKLE_HASH);
		plen = len + 1;
	} else {
		if (len == 0)
			return strata_error_setc(STRATA_EVERIFY, "an empty consistency proof");
		memcpy(fr, p[0], STRATA_MERKLE_HASH);
		i = 1;
	}
	memcpy(sr, fr, STRATA_MERKLE_HASH);
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (size_t used = 1; used < plen; used++, i++) {
		const unsigned char *c = p[i];
		if (sn == 0)
			return strata_error_setc(STRATA_EVERIFY, "the consistency proof is longer than its trees");
		if ((fn & 1) || fn == sn) {
			if (node_hash(fr, c, fr) < 0 || node_hash(sr, c, sr) < 0)
				return STRATA_ERROR;
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else if (node_hash(sr, sr, c) < 0) {
			return STRATA_ERROR;
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(fr, old_root, STRATA_MERKLE_HASH) || memcmp(sr, new_root, STRATA_MERKLE_HASH))
		return strata_error_setc(STRATA_EVERIFY, "the heads of %llu and %llu entries are not one log: a fork",
					 (unsigned long long)m, (unsigned long long)n);
	return 0;
}
