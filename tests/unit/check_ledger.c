/* check_ledger.c - the record key and tokens; token sets built, changed and searched; the ledger in the audit tree */
#include "fixture.h"
#include "strata/node/ledger.h"
#include "strata/node/audit.h"
#include "strata/node/journal.h"
#include "strata/base/digest.h"

#include <sys/stat.h>

static strata_node *node;

static void setup(void)
{
	fx_setup();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	ck_assert_int_eq(strata_node_init(fx_path("node"), "cn-test-01", "community"), 0);
	ck_assert_int_eq(strata_node_open(&node, fx_path("node")), 0);
	ck_assert_int_eq(strata_journal_lock(node), 0);
	ck_assert_int_eq(strata_node_load_key(node), 0);
}

static void teardown(void)
{
	strata_node_free(node);
	node = NULL;
	fx_teardown();
}

/* A sorted list of n pseudo-random tokens (a fixed generator: the same on every run). */
static strata_token *tokens(size_t n, uint64_t seed)
{
	strata_token *t = calloc(n ? n : 1, sizeof(*t));
	uint64_t x = seed;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		t[i] = x;
	}
	return t;
}

START_TEST(key_and_token)
{
	strata_hmac_key k, k2;
	unsigned char h[STRATA_HASH_LEN] = { 1, 2, 3 };
	strata_token a, b, c;
	char hex[STRATA_TOKEN_HEX + 1];
	struct stat st;

	/* no key until something is recorded: a reader makes none */
	ck_assert_int_eq(strata_ledger_key(&k, node, 0), STRATA_ENOTFOUND);
	ck_assert_int_ne(stat(fx_path("node/" STRATA_LEDGER_KEY_FILE), &st), 0);
	ck_assert_int_eq(strata_ledger_key(&k, node, 1), 0);
	ck_assert_int_eq(stat(fx_path("node/" STRATA_LEDGER_KEY_FILE), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(strata_ledger_token(&a, &k, h), 0);
	strata_hmac_key_dispose(&k);
	/* the same key again, the same token; another hash, another token */
	ck_assert_int_eq(strata_ledger_key(&k2, node, 0), 0);
	ck_assert_int_eq(strata_ledger_token(&b, &k2, h), 0);
	ck_assert(a == b);
	h[0] = 9;
	ck_assert_int_eq(strata_ledger_token(&c, &k2, h), 0);
	ck_assert(a != c);
	strata_hmac_key_dispose(&k2);
	strata_ledger_token_hex(hex, 0x0123456789abcdefULL);
	ck_assert_str_eq(hex, "0123456789abcdef");
	ck_assert_int_eq(strata_ledger_token_parse(&a, hex), 0);
	ck_assert(a == 0x0123456789abcdefULL);
	ck_assert_int_lt(strata_ledger_token_parse(&a, "0123456789abcdeF"), 0);
	ck_assert_int_lt(strata_ledger_token_parse(&a, "0123"), 0);
	/* a key file that is not one is refused, naming it */
	fx_write("node/" STRATA_LEDGER_KEY_FILE, "not hex\n");
	ck_assert_int_lt(strata_ledger_key(&k, node, 0), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "records.key"));
}
END_TEST

static int count_cb(strata_token t, void *payload)
{
	strata_token *last = payload;
	ck_assert(last[1] == 0 || t > last[0]);	/* in order, each once */
	last[0] = t;
	last[1]++;
	return 0;
}

START_TEST(sets_build_apply_has)
{
	git_repository *repo = strata_node_repo(node);
	size_t n = 20000, count = 0;
	strata_token *t = tokens(n, 42), *more = tokens(300, 7), *gone = calloc(500, sizeof(*gone)), st[2] = { 0, 0 };
	strata_spill *sp = NULL;
	strata_packw *w = NULL;
	git_oid full, applied, rebuilt;

	ck_assert_int_eq(strata_spill_open(&sp, strata_node_path(node)), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(strata_ledger_spill_add(sp, t[i]), 0);
	ck_assert_int_eq(strata_ledger_spill_add(sp, t[0]), 0);	/* twice: once in the set */
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 3), 0);
	ck_assert_int_eq(strata_ledger_set_build(&full, w, &sp, 1, &count), 0);
	ck_assert_int_eq(strata_pack_writer_commit(w), 0);
	strata_pack_writer_free(w);
	strata_spill_free(sp);
	ck_assert_uint_eq(count, n);
	for (size_t i = 0; i < n; i += 97)
		ck_assert_int_eq(strata_ledger_set_has(repo, &full, t[i]), 1);
	for (size_t i = 0; i < 300; i++)
		ck_assert_int_eq(strata_ledger_set_has(repo, &full, more[i]), 0);
	ck_assert_int_eq(strata_ledger_set_foreach(repo, &full, count_cb, st), 0);
	ck_assert(st[1] == n);

	/* 300 added, 500 removed: the same set a full build of the result gives */
	for (size_t i = 0; i < 500; i++)
		gone[i] = t[i * 7];
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 3), 0);
	ck_assert_int_eq(strata_ledger_set_apply(&applied, w, repo, &full, more, 300, gone, 500), 0);
	ck_assert_int_eq(strata_pack_writer_commit(w), 0);
	strata_pack_writer_free(w);
	ck_assert_int_eq(strata_ledger_set_has(repo, &applied, t[7]), 0);
	ck_assert_int_eq(strata_ledger_set_has(repo, &applied, t[8]), 1);
	ck_assert_int_eq(strata_ledger_set_has(repo, &applied, more[3]), 1);
	ck_assert_int_eq(strata_spill_open(&sp, strata_node_path(node)), 0);
	for (size_t i = 0; i < n; i++)
		if (i % 7 || i / 7 >= 500)
			ck_assert_int_eq(strata_ledger_spill_add(sp, t[i]), 0);
	for (size_t i = 0; i < 300; i++)
		ck_assert_int_eq(strata_ledger_spill_add(sp, more[i]), 0);
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 3), 0);
	ck_assert_int_eq(strata_ledger_set_build(&rebuilt, w, &sp, 1, &count), 0);
	ck_assert_int_eq(strata_pack_writer_commit(w), 0);
	strata_pack_writer_free(w);
	strata_spill_free(sp);
	ck_assert(git_oid_equal(&applied, &rebuilt));	/* history-independent: same tokens, same tree */

	/* from the empty set; and everything removed again is the empty tree */
	{
		git_oid a, b;
		strata_token one[1] = { 0xabcdef0000000001ULL }, one2[1] = { 0xabcdef0000000001ULL };
		ck_assert_int_eq(strata_pack_writer_new(&w, repo, 3), 0);
		ck_assert_int_eq(strata_ledger_set_apply(&a, w, repo, NULL, one, 1, NULL, 0), 0);
		ck_assert_int_eq(strata_pack_writer_commit(w), 0);
		strata_pack_writer_free(w);
		ck_assert_int_eq(strata_ledger_set_has(repo, &a, one[0]), 1);
		/* a token both added and removed is added */
		ck_assert_int_eq(strata_pack_writer_new(&w, repo, 3), 0);
		ck_assert_int_eq(strata_ledger_set_apply(&b, w, repo, &a, one2, 1, one, 1), 0);
		ck_assert(git_oid_equal(&a, &b));
		ck_assert_int_eq(strata_ledger_set_apply(&b, w, repo, &a, NULL, 0, one, 1), 0);
		ck_assert_int_eq(strata_pack_writer_commit(w), 0);
		strata_pack_writer_free(w);
		ck_assert_str_eq(git_oid_tostr_s(&b), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
	}
	free(t);
	free(more);
	free(gone);
}
END_TEST

START_TEST(small_sets_are_one_leaf)
{
	git_repository *repo = strata_node_repo(node);
	strata_token *t = tokens(9000, 99);
	strata_packw *w = NULL;
	strata_spill *sp = NULL;
	git_oid a, b, c;
	git_tree *tree = NULL;
	size_t count;

	/* 100 tokens: one leaf */
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 3), 0);
	ck_assert_int_eq(strata_ledger_set_apply(&a, w, repo, NULL, t, 100, NULL, 0), 0);
	ck_assert_int_eq(strata_pack_writer_commit(w), 0);
	strata_pack_writer_free(w);
	ck_assert_int_eq(git_tree_lookup(&tree, repo, &a), 0);
	ck_assert_uint_eq(git_tree_entrycount(tree), 1);
	ck_assert_str_eq(git_tree_entry_name(git_tree_entry_byindex(tree, 0)), "tokens");
	git_tree_free(tree);
	ck_assert_int_eq(strata_ledger_set_has(repo, &a, t[42]), 1);
	ck_assert_int_eq(strata_ledger_set_has(repo, &a, t[142]), 0);
	/* the same set built from a spill is the same tree */
	ck_assert_int_eq(strata_spill_open(&sp, strata_node_path(node)), 0);
	for (size_t i = 0; i < 100; i++)
		ck_assert_int_eq(strata_ledger_spill_add(sp, t[i]), 0);
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 3), 0);
	ck_assert_int_eq(strata_ledger_set_build(&b, w, &sp, 1, &count), 0);
	ck_assert_int_eq(strata_pack_writer_commit(w), 0);
	strata_pack_writer_free(w);
	strata_spill_free(sp);
	ck_assert(git_oid_equal(&a, &b));
	/* grown past one leaf: fanned out, every token still found */
	ck_assert_int_eq(strata_pack_writer_new(&w, repo, 3), 0);
	ck_assert_int_eq(strata_ledger_set_apply(&c, w, repo, &a, t + 100, 8900, NULL, 0), 0);
	ck_assert_int_eq(strata_pack_writer_commit(w), 0);
	strata_pack_writer_free(w);
	ck_assert_int_eq(git_tree_lookup(&tree, repo, &c), 0);
	ck_assert_uint_gt(git_tree_entrycount(tree), 1);
	git_tree_free(tree);
	for (size_t i = 0; i < 9000; i += 37)
		ck_assert_int_eq(strata_ledger_set_has(repo, &c, t[i]), 1);
	free(t);
}
END_TEST

START_TEST(in_the_audit_tree)
{
	strata_buf path = STRATA_BUF_INIT, text = STRATA_BUF_INIT;
	git_oid tree, t2, got;
	git_commit *c = NULL;

	ck_assert_int_eq(strata_ledger_view_path(&path, "st-a", "cn-x/residents"), 0);
	ck_assert_str_eq(path.ptr, "ledger/views/st-a/cn-x.residents");
	/* nothing yet */
	ck_assert_int_eq(strata_ledger_get(&got, node, NULL, "ledger/cuts/x"), STRATA_ENOTFOUND);
	ck_assert_int_eq(strata_ledger_put_text(&tree, node, NULL, "ledger/cuts/abc", "cut abc\n", 8), 0);
	ck_assert_int_eq(strata_audit_append_tree(node, "test", "one", NULL, &tree), 0);
	/* an event that changes nothing in it carries it on */
	ck_assert_int_eq(strata_audit_append(node, "test", "two", NULL), 0);
	ck_assert_int_eq(strata_ledger_get_text(&text, node, NULL, "ledger/cuts/abc"), 0);
	ck_assert_str_eq(text.ptr, "cut abc\n");
	/* removed, and an earlier event still has it */
	ck_assert_int_eq(strata_ledger_put(&t2, node, NULL, "ledger/cuts/abc", NULL, GIT_FILEMODE_BLOB), 0);
	ck_assert_int_eq(strata_audit_append_tree(node, "test", "three", NULL, &t2), 0);
	ck_assert_int_eq(strata_ledger_get(&got, node, NULL, "ledger/cuts/abc"), STRATA_ENOTFOUND);
	{
		git_oid head;
		git_commit *h = NULL;
		ck_assert_int_eq(git_reference_name_to_id(&head, strata_node_repo(node), "refs/strata/audit"), 0);
		ck_assert_int_eq(git_commit_lookup(&h, strata_node_repo(node), &head), 0);
		ck_assert_int_eq(git_commit_parent(&c, h, 0), 0);
		git_commit_free(h);
	}
	strata_buf_clear(&text);
	ck_assert_int_eq(strata_ledger_get_text(&text, node, c, "ledger/cuts/abc"), 0);
	ck_assert_str_eq(text.ptr, "cut abc\n");
	git_commit_free(c);
	strata_buf_dispose(&path);
	strata_buf_dispose(&text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("ledger");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, key_and_token);
	tcase_add_test(tc, sets_build_apply_has);
	tcase_add_test(tc, small_sets_are_one_leaf);
	tcase_add_test(tc, in_the_audit_tree);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
