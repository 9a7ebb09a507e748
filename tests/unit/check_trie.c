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
	strata_packw *w = NULL;
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 1), 0);
	ck_assert_int_eq(strata_trie_build(w, items, n, oid), 0);
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

static size_t count_leaves(git_tree *t, unsigned depth, unsigned *maxdepth, size_t *records)
{
	size_t leaves = 0;
	if (depth > *maxdepth)
		*maxdepth = depth;
	for (size_t i = 0; i < git_tree_entrycount(t); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			git_tree *sub;
			ck_assert_int_eq(git_tree_lookup(&sub, repo, git_tree_entry_id(e)), 0);
			leaves += count_leaves(sub, depth + 1, maxdepth, records);
			git_tree_free(sub);
		} else {
			git_blob *b;
			const char *p;
			size_t lines = 0;
			ck_assert_int_eq(git_blob_lookup(&b, repo, git_tree_entry_id(e)), 0);
			p = git_blob_rawcontent(b);
			for (size_t k = 0; k < (size_t)git_blob_rawsize(b); k++)
				lines += p[k] == '\n';
			ck_assert_uint_le(lines, STRATA_TRIE_LEAF_MAX);
			ck_assert(strstr(git_tree_entry_name(e), ".jsonl") != NULL);
			*records += lines;
			git_blob_free(b);
			leaves++;
		}
	}
	return leaves;
}

START_TEST(small_sets_are_one_level)
{
	size_t n = 100, recs = 0;
	char **data;
	strata_trie_item *it = make_items(n, &data);
	git_oid oid;
	git_tree *t;
	unsigned depth = 0;

	build(&oid, it, n);
	ck_assert_int_eq(git_tree_lookup(&t, repo, &oid), 0);
	ck_assert_uint_le(count_leaves(t, 0, &depth, &recs), 16);
	ck_assert_uint_eq(depth, 0);
	ck_assert_uint_eq(recs, n);
	git_tree_free(t);
	free_items(it, data, n);
}
END_TEST

START_TEST(large_sets_split_and_keep_every_record)
{
	size_t n = 40000, recs = 0;
	char **data;
	strata_trie_item *it = make_items(n, &data);
	git_oid oid;
	git_tree *t;
	unsigned depth = 0;

	build(&oid, it, n);
	ck_assert_int_eq(git_tree_lookup(&t, repo, &oid), 0);
	ck_assert_uint_gt(count_leaves(t, 0, &depth, &recs), 16);
	ck_assert_uint_ge(depth, 1);
	ck_assert_uint_eq(recs, n);
	git_tree_free(t);
	free_items(it, data, n);
}
END_TEST

START_TEST(adding_a_record_changes_only_its_path)
{
	size_t n = 20000;
	char **data;
	strata_trie_item *it = make_items(n + 1, &data);
	strata_trie_item *copy = calloc(n + 1, sizeof(*copy));
	git_oid a, b;
	git_tree *ta, *tb;
	size_t same = 0;

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
	ck_assert_uint_eq(same, git_tree_entrycount(ta) - 1);
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

/* the key hash of a stored line is the hash its item was built with: look it up */
typedef struct { strata_trie_item *all; size_t n; } hash_ctx;

static int test_hash(unsigned char *hash, const char *line, size_t len, void *payload)
{
	hash_ctx *h = payload;
	for (size_t i = 0; i < h->n; i++)
		if (h->all[i].len == len && !memcmp(h->all[i].data, line, len)) {
			memcpy(hash, h->all[i].hash, STRATA_HASH_LEN);
			return 0;
		}
	return strata_error_set("unknown line");
}

/* apply(build(A), ops) == build(A after ops), across splits and collapses */
static const struct { size_t base; size_t del; size_t add; } apply_cases[] = {
	{ 600, 200, 0 },	/* groups collapse back to leaves */
	{ 3000, 2900, 10 },	/* most of it goes */
	{ 3000, 3000, 0 },	/* everything goes */
	{ 500, 0, 9000 },	/* leaves split */
	{ 20000, 700, 700 },
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
	hash_ctx hc = { all, total };

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
	ck_assert_int_eq(strata_trie_apply(w, repo, tree, ops, nops, test_hash, &hc, &counts, &t2), 0);
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

int main(void)
{
	Suite *s = suite_create("trie");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, keyhash_known_answer);
	tcase_add_test(tc, order_does_not_matter);
	tcase_add_test(tc, small_sets_are_one_level);
	tcase_add_test(tc, large_sets_split_and_keep_every_record);
	tcase_add_test(tc, adding_a_record_changes_only_its_path);
	tcase_add_test(tc, duplicates_are_refused);
	tcase_add_loop_test(tc, apply_equals_full_build, 0, sizeof(apply_cases) / sizeof(*apply_cases));
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
