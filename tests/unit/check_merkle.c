/*
 * check_merkle.c - RFC 9162's tree heads and proofs: every head against a
 * second way of computing it, every proof of every entry and prefix up to
 * 70 entries verified, and each proof refused when changed in any way.
 */
#include "fixture.h"
#include "strata/format/merkle.h"
#include "strata/base/digest.h"

#define N 70

static strata_merkle_hash leaves[N];

static void setup(void)
{
	fx_setup();
	for (int i = 0; i < N; i++) {
		char e[32];
		int len = snprintf(e, sizeof(e), "entry %d", i);
		ck_assert_int_eq(strata_merkle_leaf(leaves[i], e, (size_t)len), 0);
	}
}

static void teardown(void)
{
	fx_teardown();
}

/* the head another way: pair neighbours level by level, an odd last node going up unchanged */
static void oracle(strata_merkle_hash out, uint64_t n)
{
	strata_merkle_hash level[N];
	uint64_t count = n;

	memcpy(level, leaves, sizeof(strata_merkle_hash) * n);
	while (count > 1) {
		uint64_t next = 0;
		for (uint64_t i = 0; i < count; i += 2) {
			if (i + 1 == count) {
				memmove(level[next++], level[i], STRATA_MERKLE_HASH);
				continue;
			}
			unsigned char b[65];
			b[0] = 1;
			memcpy(b + 1, level[i], 32);
			memcpy(b + 33, level[i + 1], 32);
			strata_digest_sha256(level[next++], b, sizeof(b));
		}
		count = next;
	}
	memcpy(out, level[0], STRATA_MERKLE_HASH);
}

START_TEST(heads)
{
	strata_merkle_hash got, want, empty;
	unsigned char leaf0[1 + 7] = { 0 };

	/* the empty tree, and one leaf as RFC 9162 hashes it */
	ck_assert_int_eq(strata_merkle_root(got, leaves, 0), 0);
	strata_digest_sha256(empty, "", 0);
	ck_assert(!memcmp(got, empty, 32));
	memcpy(leaf0 + 1, "entry 0", 7);
	strata_digest_sha256(want, leaf0, sizeof(leaf0));
	ck_assert(!memcmp(leaves[0], want, 32));
	for (uint64_t n = 1; n <= N; n++) {
		ck_assert_int_eq(strata_merkle_root(got, leaves, n), 0);
		oracle(want, n);
		ck_assert_msg(!memcmp(got, want, 32), "head of %llu", (unsigned long long)n);
	}
}
END_TEST

START_TEST(inclusion)
{
	strata_merkle_hash path[STRATA_MERKLE_PROOF_MAX], root;
	size_t len;

	for (uint64_t n = 1; n <= N; n++) {
		ck_assert_int_eq(strata_merkle_root(root, leaves, n), 0);
		for (uint64_t m = 0; m < n; m++) {
			ck_assert_int_eq(strata_merkle_inclusion(path, &len, leaves, n, m), 0);
			ck_assert_msg(strata_merkle_verify_inclusion(leaves[m], m, n, path, len, root) == 0, "%llu in %llu",
				      (unsigned long long)m, (unsigned long long)n);
			/* another entry, another place, a changed hash, a shorter or longer proof: refused */
			ck_assert_int_eq(strata_merkle_verify_inclusion(leaves[(m + 1) % N], m, n, path, len, root),
					 STRATA_EVERIFY);
			if (n > 1)
				ck_assert_int_eq(strata_merkle_verify_inclusion(leaves[m], (m + 1) % n, n, path, len, root),
						 STRATA_EVERIFY);
			for (size_t i = 0; i < len; i++) {
				path[i][i % 32] ^= 1;
				ck_assert_int_eq(strata_merkle_verify_inclusion(leaves[m], m, n, path, len, root), STRATA_EVERIFY);
				path[i][i % 32] ^= 1;
			}
			if (len)
				ck_assert_int_eq(strata_merkle_verify_inclusion(leaves[m], m, n, path, len - 1, root),
						 STRATA_EVERIFY);
			memcpy(path[len], root, 32);
			ck_assert_int_eq(strata_merkle_verify_inclusion(leaves[m], m, n, path, len + 1, root), STRATA_EVERIFY);
		}
		ck_assert_int_eq(strata_merkle_verify_inclusion(leaves[0], n, n, path, 0, root), STRATA_EVERIFY);
	}
	ck_assert_int_lt(strata_merkle_inclusion(path, &len, leaves, 3, 3), 0);
}
END_TEST

START_TEST(consistency)
{
	strata_merkle_hash proof[STRATA_MERKLE_PROOF_MAX], a, b, other;
	size_t len;

	for (uint64_t n = 1; n <= N; n++) {
		ck_assert_int_eq(strata_merkle_root(b, leaves, n), 0);
		for (uint64_t m = 1; m <= n; m++) {
			ck_assert_int_eq(strata_merkle_root(a, leaves, m), 0);
			ck_assert_int_eq(strata_merkle_consistency(proof, &len, leaves, m, n), 0);
			ck_assert_msg(strata_merkle_verify_consistency(m, n, a, b, proof, len) == 0, "%llu to %llu",
				      (unsigned long long)m, (unsigned long long)n);
			/* the heads swapped, one changed, a hash of the proof changed, a proof cut short: refused */
			if (m != n)
				ck_assert_int_eq(strata_merkle_verify_consistency(m, n, b, a, proof, len), STRATA_EVERIFY);
			memcpy(other, a, 32);
			other[5] ^= 0x40;
			ck_assert_int_eq(strata_merkle_verify_consistency(m, n, other, b, proof, len), STRATA_EVERIFY);
			ck_assert_int_eq(strata_merkle_verify_consistency(m, n, a, other, proof, len), STRATA_EVERIFY);
			for (size_t i = 0; i < len; i++) {
				proof[i][31 - i % 32] ^= 2;
				ck_assert_int_eq(strata_merkle_verify_consistency(m, n, a, b, proof, len), STRATA_EVERIFY);
				proof[i][31 - i % 32] ^= 2;
			}
			if (len)
				ck_assert_int_eq(strata_merkle_verify_consistency(m, n, a, b, proof, len - 1), STRATA_EVERIFY);
		}
	}
	/* a fork: two logs of 10 that share their first 6 entries */
	{
		strata_merkle_hash forked[10], fa, fb;
		memcpy(forked, leaves, sizeof(forked));
		ck_assert_int_eq(strata_merkle_leaf(forked[7], "another story", 13), 0);
		ck_assert_int_eq(strata_merkle_root(fa, leaves, 10), 0);
		ck_assert_int_eq(strata_merkle_root(fb, forked, 10), 0);
		ck_assert_int_eq(strata_merkle_verify_consistency(10, 10, fa, fb, proof, 0), STRATA_EVERIFY);
		ck_assert_int_eq(strata_merkle_root(a, leaves, 6), 0);
		ck_assert_int_eq(strata_merkle_consistency(proof, &len, forked, 6, 10), 0);
		ck_assert_int_eq(strata_merkle_verify_consistency(6, 10, a, fb, proof, len), 0);	/* a prefix it shares */
		ck_assert_int_eq(strata_merkle_root(a, leaves, 8), 0);
		ck_assert_int_eq(strata_merkle_consistency(proof, &len, forked, 8, 10), 0);
		ck_assert_int_eq(strata_merkle_verify_consistency(8, 10, a, fb, proof, len), STRATA_EVERIFY);
	}
	ck_assert_int_lt(strata_merkle_consistency(proof, &len, leaves, 0, 3), 0);
	ck_assert_int_lt(strata_merkle_consistency(proof, &len, leaves, 4, 3), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("merkle");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, heads);
	tcase_add_test(tc, inclusion);
	tcase_add_test(tc, consistency);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
