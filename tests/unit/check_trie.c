/* check_trie.c - the history-independent layout */
#include "fixture.h"
#include "strata/format/trie.h"
#include "strata/base/enc.h"

static git_repository *repo;

static void setup(void)
{
	fx_setup();
	ck_assert_int_eq(git_repository_init(&repo, fx_path("r.git"), 1), 0);
}

static void teardown(void)
{
	git_repository_free(repo);
	repo = NULL;
	fx_teardown();
}

/* n records "k<i>" with data "{"k":"<i>"}"; storage owned by the caller */
static strata_trie_item *make_items(size_t n, char ***datap)
{
	strata_trie_item *it = calloc(n, sizeof(*it));
	char **data = calloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		char key[32];
		char *kv[1] = { key };
		size_t kl[1];
		snprintf(key, sizeof(key), "%zu", i);
		kl[0] = strlen(key);
		ck_assert_int_eq(strata_trie_keyhash(it[i].hash, kv, kl, 1), 0);
		data[i] = malloc(48);
		snprintf(data[i], 48, "{\"k\":\"%zu\"}", i);
		it[i].data = data[i];
		it[i].len = (uint32_t)strlen(data[i]);
		it[i].origin = 1;
	}
	*datap = data;
	return it;
}

static void free_items(strata_trie_item *it, char **data, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(data[i]);
	free(data);
	free(it);
}

static void build(git_oid *oid, strata_trie_item *items, size_t n)
{
	/* on a copy: the build sorts, and all_items stays indexed by key */
	strata_trie_item *copy = calloc(n + 1, sizeof(*copy));
	strata_packw *w = NULL;

	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 1), 0);
	if (n)
		memcpy(copy, items, n * sizeof(*items));
	ck_assert_int_eq(strata_trie_build(w, copy, n, oid), 0);
	free(copy);
	ck_assert_int_eq(strata_pack_writer_commit(w), 0);
	strata_pack_writer_free(w);
}

START_TEST(keyhash_known_answer)
{
	/* SHA-256 of the canonical key array ["110"] */
	unsigned char h[32];
	char hex[65];
	char *v[1] = { "110" };
	size_t l[1] = { 3 };
	ck_assert_int_eq(strata_trie_keyhash(h, v, l, 1), 0);
	strata_enc_hex(hex, h, 32);
	/* printf '["110"]' | sha256sum */
	ck_assert_str_eq(hex, "e3f984d13f9e21c10d9a7b0386e535f0f1cf7c4f66defcbeea46eee24316f9e8");
}
END_TEST

START_TEST(order_does_not_matter)
{
	size_t n = 3000;
	char **data;
	strata_trie_item *a = make_items(n, &data), *b = calloc(n, sizeof(*b));
	git_oid oa, ob;
	unsigned seed = 42;

	memcpy(b, a, n * sizeof(*a));
	for (size_t i = n - 1; i > 0; i--) {	/* shuffle */
		size_t j = (size_t)rand_r(&seed) % (i + 1);
		strata_trie_item t = b[i];
		b[i] = b[j];
		b[j] = t;
	}
	build(&oa, a, n);
	build(&ob, b, n);
	ck_assert(git_oid_equal(&oa, &ob));
	free(b);
	free_items(a, data, n);
}
END_TEST

/* The key hash of a test line {"k":"<i>",...}: item i's, from `all`. */
static strata_trie_item *all_items;
static size_t nall_items;

static int test_hash(unsigned char *hash, const char *line, size_t len, void *payload)
{
	unsigned long i;
	(void)payload;
	(void)len;
	if (sscanf(line, "{\"k\":\"%lu\"", &i) != 1 || i >= nall_items)
		return strata_error_set("unknown line");
	memcpy(hash, all_items[i].hash, STRATA_HASH_LEN);
	return 0;
}

typedef struct {
	size_t dirs, leaves, records;
	unsigned char last[STRATA_HASH_LEN];
} layout_stats;

/* Checks every rule of trie.h on a built records/ tree. */
static void check_layout(const git_oid *root, layout_stats *st)
{
	git_tree *t;

	memset(st, 0, sizeof(*st));
	ck_assert_int_eq(git_tree_lookup(&t, repo, root), 0);
	for (size_t i = 0; i < git_tree_entrycount(t); i++) {
		const git_tree_entry *de = git_tree_entry_byindex(t, i);
		unsigned char dh[STRATA_HASH_LEN];
		git_tree *d;
		ck_assert_int_eq(git_tree_entry_type(de), GIT_OBJECT_TREE);
		ck_assert_int_eq(strata_trie_name_hash(dh, git_tree_entry_name(de), 0), 0);
		if (i > 0)
			ck_assert_int_eq(strata_trie_level(dh), 2);
		ck_assert_int_eq(git_tree_lookup(&d, repo, git_tree_entry_id(de)), 0);
		ck_assert_uint_gt(git_tree_entrycount(d), 0);
		for (size_t j = 0; j < git_tree_entrycount(d); j++) {
			const git_tree_entry *le = git_tree_entry_byindex(d, j);
			unsigned char lh[STRATA_HASH_LEN], h[STRATA_HASH_LEN];
			git_blob *b;
			const char *p, *end, *nl;
			size_t line = 0;
			ck_assert_int_eq(git_tree_entry_type(le), GIT_OBJECT_BLOB);
			ck_assert_int_eq(strata_trie_name_hash(lh, git_tree_entry_name(le), 1), 0);
			if (j == 0)
				ck_assert(!memcmp(lh, dh, STRATA_HASH_LEN));
			else
				ck_assert_int_eq(strata_trie_level(lh), 1);
			ck_assert_int_eq(git_blob_lookup(&b, repo, git_tree_entry_id(le)), 0);
			p = git_blob_rawcontent(b);
			end = p + git_blob_rawsize(b);
			ck_assert(p < end && end[-1] == '\n');
			for (; p < end; p = nl + 1, line++) {
				nl = memchr(p, '\n', (size_t)(end - p));
				ck_assert_int_eq(test_hash(h, p, (size_t)(nl - p), NULL), 0);
				if (line == 0)
					ck_assert(!memcmp(h, lh, STRATA_HASH_LEN));
				else
					ck_assert_int_eq(strata_trie_level(h), 0);
				if (st->records)
					ck_assert_int_lt(memcmp(st->last, h, STRATA_HASH_LEN), 0);
				memcpy(st->last, h, STRATA_HASH_LEN);
				st->records++;
			}
			git_blob_free(b);
			st->leaves++;
		}
		git_tree_free(d);
		st->dirs++;
	}
	git_tree_free(t);
}

START_TEST(empty_and_single)
{
	char **data;
	strata_trie_item *it = make_items(1, &data);
	git_oid oid;
	git_tree *t;
	char hex[65], path[160];
	git_tree_entry *e;
	layout_stats st;

	all_items = it;
	nall_items = 1;
	build(&oid, it, 0);
	ck_assert_int_eq(git_tree_lookup(&t, repo, &oid), 0);
	ck_assert_uint_eq(git_tree_entrycount(t), 0);
	git_tree_free(t);
	build(&oid, it, 1);
	check_layout(&oid, &st);
	ck_assert_uint_eq(st.records, 1);
	strata_enc_hex(hex, it[0].hash, 32);
	snprintf(path, sizeof(path), "%s/%s.jsonl", hex, hex);
	ck_assert_int_eq(git_tree_lookup(&t, repo, &oid), 0);
	ck_assert_int_eq(git_tree_entry_bypath(&e, t, path), 0);
	git_tree_entry_free(e);
	git_tree_free(t);
	free_items(it, data, 1);
}
END_TEST

/* The same average leaf and dir at every size: no jump when the data grows. */
START_TEST(sizes_follow_the_rule_at_every_size)
{
	static const size_t sizes[] = { 100, 5000, 20000, 80000 };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		size_t n = sizes[k];
		char **data;
		strata_trie_item *it = make_items(n, &data);
		layout_stats st;
		git_oid oid;
		all_items = it;
		nall_items = n;
		build(&oid, it, n);
		check_layout(&oid, &st);
		ck_assert_uint_eq(st.records, n);
		if (n >= 20000) {
			double per_leaf = (double)n / (double)st.leaves;
			ck_assert_msg(per_leaf > 48 && per_leaf < 80, "%zu records: %.1f per leaf", n, per_leaf);
			ck_assert_uint_ge(st.dirs, 2);
		}
		free_items(it, data, n);
	}
}
END_TEST

START_TEST(adding_a_record_changes_only_its_leaf)
{
	size_t n = 20000;
	char **data;
	strata_trie_item *it = make_items(n + 1, &data);
	strata_trie_item *copy = calloc(n + 1, sizeof(*copy));
	git_oid a, b, *ao, *bo;
	git_tree *ta, *tb;
	size_t na, nb, same = 0;

	memcpy(copy, it, (n + 1) * sizeof(*it));
	build(&a, copy, n);
	memcpy(copy, it, (n + 1) * sizeof(*it));
	build(&b, copy, n + 1);
	ck_assert(!git_oid_equal(&a, &b));
	ck_assert_int_eq(git_tree_lookup(&ta, repo, &a), 0);
	ck_assert_int_eq(git_tree_lookup(&tb, repo, &b), 0);
	for (size_t i = 0; i < git_tree_entrycount(ta); i++) {
		const git_tree_entry *ea = git_tree_entry_byindex(ta, i);
		const git_tree_entry *eb = git_tree_entry_byname(tb, git_tree_entry_name(ea));
		same += eb && git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb));
	}
	ck_assert_uint_ge(same + 1, git_tree_entrycount(ta));
	ck_assert_int_eq(strata_trie_diff(repo, ta, tb, &ao, &na, &bo, &nb), 0);
	ck_assert_uint_le(na, 1);	/* the leaf it lands in (none if it starts one) */
	ck_assert_uint_le(nb, 2);	/* that leaf with it, or cut in two by it */
	ck_assert_uint_ge(nb, 1);
	free(ao);
	free(bo);
	git_tree_free(ta);
	git_tree_free(tb);
	free(copy);
	free_items(it, data, n + 1);
}
END_TEST

START_TEST(duplicates_are_refused)
{
	size_t n = 10;
	char **data;
	strata_trie_item *it = make_items(n, &data);
	strata_packw *w = NULL;
	git_oid oid;

	memcpy(it[3].hash, it[7].hash, 32);
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 1), 0);
	ck_assert_int_lt(strata_trie_build(w, it, n, &oid), 0);
	strata_pack_writer_free(w);
	free_items(it, data, n);
}
END_TEST

/* apply(build(A), ops) == build(A after ops), across splits and collapses */
static const struct { size_t base; size_t del; size_t add; } apply_cases[] = {
	{ 600, 200, 0 },
	{ 3000, 2900, 10 },	/* most of it goes */
	{ 3000, 3000, 0 },	/* everything goes */
	{ 500, 0, 9000 },	/* from one dir to many */
	{ 20000, 700, 700 },
	{ 0, 0, 5000 },		/* from nothing */
};

START_TEST(apply_equals_full_build)
{
	size_t base = apply_cases[_i].base, del = apply_cases[_i].del, add = apply_cases[_i].add;
	size_t total = base + add;
	char **data;
	strata_trie_item *all = make_items(total, &data);
	strata_trie_item *a = calloc(total, sizeof(*a)), *ops = calloc(total, sizeof(*ops)),
			 *after = calloc(total, sizeof(*after));
	size_t nops = 0, nafter = 0;
	git_oid t1, t2;
	git_tree *tree;
	strata_packw *w = NULL;
	strata_trie_counts counts = { 0, 0, 0 };

	all_items = all;
	nall_items = total;
	memcpy(a, all, base * sizeof(*a));
	build(&t1, a, base);
	for (size_t i = 0; i < total; i++) {
		if (i < del) {
			ops[nops] = all[i];
			ops[nops++].origin = STRATA_TRIE_DELETE;
		} else if (i >= base) {
			ops[nops++] = all[i];
		}
		if (i >= del)
			after[nafter++] = all[i];
	}
	strata_trie_sort(ops, nops);
	ck_assert_int_eq(git_tree_lookup(&tree, repo, &t1), 0);
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 1), 0);
	ck_assert_int_eq(strata_trie_apply(w, repo, tree, ops, nops, test_hash, NULL, &counts, &t2), 0);
	ck_assert_int_eq(strata_pack_writer_commit(w), 0);
	strata_pack_writer_free(w);
	git_tree_free(tree);
	ck_assert_uint_eq(counts.removed, del);
	ck_assert_uint_eq(counts.added, add);
	build(&t1, after, nafter);
	ck_assert_msg(git_oid_equal(&t1, &t2), "case %d: apply differs from a full build", _i);
	free(a);
	free(ops);
	free(after);
	free_items(all, data, total);
}
END_TEST

/*
 * A dataset that lives for many rounds: each round upserts, changes and
 * deletes random records (first records of leaves and dirs among them)
 * through the merge, in several batches, and the result must be exactly
 * the full build of the new set; the counts, the diff and lookups must
 * agree with the truth.
 */
START_TEST(merge_over_many_rounds_equals_full_build)
{
	size_t n = 12000, rounds = 25;
	char **data, **ver = calloc(n, sizeof(char *));
	strata_trie_item *all = make_items(n, &data);
	unsigned char *present = calloc(n, 1);
	strata_trie_item *ops = calloc(n, sizeof(*ops)), *cur = calloc(n, sizeof(*cur));
	unsigned seed = 7;
	git_oid tree_id;

	all_items = all;
	nall_items = n;
	for (size_t i = 0; i < n / 2; i++)
		present[i] = 1;
	{
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (present[i])
				cur[k++] = all[i];
		build(&tree_id, cur, k);
	}
	for (size_t r = 0; r < rounds; r++) {
		size_t nops = 0, k = 0, want_added = 0, want_changed = 0, want_removed = 0;
		strata_trie_counts counts = { 0, 0, 0 };
		git_tree *old, *now;
		git_oid merged, full, *ao, *bo;
		strata_packw *w = NULL;
		strata_trie_merge *m = NULL;
		size_t na, nb;
		unsigned char *before = malloc(n);

		memcpy(before, present, n);
		for (size_t i = 0; i < n; i++) {
			unsigned dice = (unsigned)rand_r(&seed) % 1000;
			int lvl = strata_trie_level(all[i].hash);
			/* records that start a leaf or dir are touched far more often */
			if (dice >= (lvl ? 200u : 15u))
				continue;
			ops[nops] = all[i];
			if (dice % 3 == 0) {
				ops[nops].origin = STRATA_TRIE_DELETE;
				want_removed += present[i];
				present[i] = 0;
			} else if (present[i] && dice % 3 == 1) {
				free(ver[i]);
				ver[i] = malloc(64);
				snprintf(ver[i], 64, "{\"k\":\"%zu\",\"v\":%zu}", i, r);
				all[i].data = ver[i];
				all[i].len = (uint32_t)strlen(ver[i]);
				ops[nops] = all[i];
				want_changed++;
			} else {
				want_added += !present[i];
				present[i] = 1;
			}
			nops++;
		}
		strata_trie_sort(ops, nops);
		ck_assert_int_eq(git_tree_lookup(&old, repo, &tree_id), 0);
		ck_assert_int_eq(strata_pack_writer_new(&w, repo, 1), 0);
		ck_assert_int_eq(strata_trie_merge_new(&m, w, repo, old, test_hash, NULL), 0);
		for (size_t s0 = 0; s0 < nops; s0 += 97)
			ck_assert_int_eq(strata_trie_merge_add(m, ops + s0, nops - s0 < 97 ? nops - s0 : 97), 0);
		ck_assert_int_eq(strata_trie_merge_finish(m, &counts, &merged), 0);
		strata_trie_merge_free(m);
		ck_assert_int_eq(strata_pack_writer_commit(w), 0);
		strata_pack_writer_free(w);
		ck_assert_uint_eq(counts.added, want_added);
		ck_assert_uint_eq(counts.changed, want_changed);
		ck_assert_uint_eq(counts.removed, want_removed);

		for (size_t i = 0; i < n; i++)
			if (present[i])
				cur[k++] = all[i];
		build(&full, cur, k);
		ck_assert_msg(git_oid_equal(&merged, &full), "round %zu: the merge differs from a full build", r);

		/* the diff names only leaves that hold a change */
		ck_assert_int_eq(git_tree_lookup(&now, repo, &merged), 0);
		ck_assert_int_eq(strata_trie_diff(repo, old, now, &ao, &na, &bo, &nb), 0);
		ck_assert_uint_le(na, nops);
		ck_assert_uint_le(nb, 2 * nops);
		free(ao);
		free(bo);
		/* every present record is found in the leaf find_leaf names */
		for (size_t t = 0; t < 50; t++) {
			size_t i = (size_t)rand_r(&seed) % n;
			git_oid leaf;
			git_blob *b;
			int found = strata_trie_find_leaf(repo, now, all[i].hash, &leaf);
			ck_assert_int_ge(found, 0);
			if (!present[i])
				continue;
			ck_assert_int_eq(found, 1);
			ck_assert_int_eq(git_blob_lookup(&b, repo, &leaf), 0);
			ck_assert(memmem(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), all[i].data, all[i].len));
			git_blob_free(b);
		}
		git_tree_free(old);
		git_tree_free(now);
		free(before);
		tree_id = merged;
	}
	for (size_t i = 0; i < n; i++)
		free(ver[i]);
	free(ver);
	free(present);
	free(ops);
	free(cur);
	free_items(all, data, n);
}
END_TEST

START_TEST(merge_refuses_changes_out_of_order)
{
	char **data;
	strata_trie_item *it = make_items(10, &data);
	strata_packw *w = NULL;
	strata_trie_merge *m = NULL;

	all_items = it;
	nall_items = 10;
	strata_trie_sort(it, 10);
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 1), 0);
	ck_assert_int_eq(strata_trie_merge_new(&m, w, repo, NULL, test_hash, NULL), 0);
	ck_assert_int_eq(strata_trie_merge_add(m, it + 5, 5), 0);
	ck_assert_int_lt(strata_trie_merge_add(m, it, 1), 0);
	strata_trie_merge_free(m);
	strata_pack_writer_free(w);
	free_items(it, data, 10);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trie");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, keyhash_known_answer);
	tcase_add_test(tc, order_does_not_matter);
	tcase_add_test(tc, empty_and_single);
	tcase_add_test(tc, sizes_follow_the_rule_at_every_size);
	tcase_add_test(tc, adding_a_record_changes_only_its_leaf);
	tcase_add_test(tc, duplicates_are_refused);
	tcase_add_loop_test(tc, apply_equals_full_build, 0, sizeof(apply_cases) / sizeof(*apply_cases));
	tcase_add_test(tc, merge_over_many_rounds_equals_full_build);
	tcase_add_test(tc, merge_refuses_changes_out_of_order);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
