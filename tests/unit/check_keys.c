/* check_keys.c - a node's key rotated (atomically, the old one kept to open), a peer's rotation accepted, a key revoked */
#include "fixture.h"
#include "strata/node/keys.h"
#include "strata/node/peers.h"
#include "strata/node/journal.h"
#include "strata/node/commit.h"
#include "strata/node/audit.h"
#include "strata/node/refs.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

static strata_node *n, *peer;

static void setup(void)
{
	strata_peer_spec p = { .name = "cn-b", .tier = "community" };
	fx_setup();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	ck_assert_int_eq(strata_node_init(fx_path("n"), "st-a", "street"), 0);
	ck_assert_int_eq(strata_node_init(fx_path("p"), "cn-b", "community"), 0);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
	ck_assert_int_eq(strata_node_open(&peer, fx_path("p")), 0);
	p.key = *strata_node_pubkey(peer);
	ck_assert_int_eq(strata_journal_lock(n), 0);
	ck_assert_int_eq(strata_peers_add(n, &p), 0);
}

static void teardown(void)
{
	strata_node_free(n);
	strata_node_free(peer);
	fx_teardown();
}

START_TEST(rotate)
{
	strata_buf o = STRATA_BUF_INIT, nk = STRATA_BUF_INIT, rot = STRATA_BUF_INIT, signers = STRATA_BUF_INIT;
	strata_pubkey before = *strata_node_pubkey(n), now;
	strata_node *again = NULL;
	unsigned char (*xs)[32] = NULL;
	size_t nxs = 0, nchain = 0;
	strata_rotation chain[4];
	struct stat st;
	char who[64];

	ck_assert_int_eq(strata_keys_rotate(n, &o, &nk), 0);
	ck_assert_str_ne(o.ptr, nk.ptr);
	now = *strata_node_pubkey(n);
	ck_assert(!strata_sign_pubkey_equal(&before, &now));
	/* the files agree, the old key is kept to open and not trusted to sign from now on */
	ck_assert_int_eq(strata_node_open(&again, fx_path("n")), 0);
	ck_assert(strata_sign_pubkey_equal(strata_node_pubkey(again), &now));
	ck_assert_int_eq(strata_node_load_key(again), 0);
	ck_assert_int_eq(stat(fx_path("n/keys/retired/1.key"), &st), 0);
	ck_assert_int_eq(st.st_mode & 077, 0);
	ck_assert_int_ne(stat(fx_path("n/keys.new"), &st), 0);
	ck_assert_int_eq(strata_keys_x25519_all(&xs, &nxs, again), 0);
	ck_assert_uint_eq(nxs, 2);
	OPENSSL_cleanse(xs, nxs * sizeof(*xs));
	free(xs);
	ck_assert_int_eq(strata_peers_trusted_at(again, &before, 1000, who, sizeof(who), NULL, 0), 1);
	ck_assert_int_eq(strata_peers_trusted_at(again, &before, (int64_t)time(NULL) + 5, who, sizeof(who), NULL, 0), 2);
	ck_assert_str_eq(who, "st-a");
	/* the statement verifies and leads from the old key to the new */
	ck_assert_int_eq(strata_keys_rotations(&rot, again), 0);
	ck_assert_int_eq(strata_rotation_chain(rot.ptr, rot.len, "st-a", &before, &now, (int64_t)time(NULL), chain, 4, &nchain), 0);
	ck_assert_uint_eq(nchain, 1);
	/* allowed_signers: the new key, the old one valid-before, the peer's */
	ck_assert_int_eq(strata_fs_read(&signers, fx_path("n/keys/allowed_signers"), 1 << 16), 0);
	ck_assert_ptr_nonnull(strstr(signers.ptr, "st-a namespaces=\"git\",valid-before=\""));
	ck_assert_ptr_nonnull(strstr(signers.ptr, "cn-b namespaces=\"git\" ssh-ed25519 "));
	/* a second rotation keeps both earlier keys */
	strata_buf_clear(&o);
	strata_buf_clear(&nk);
	strata_node_unlock(n);	/* one writer at a time */
	ck_assert_int_eq(strata_journal_lock(again), 0);
	ck_assert_int_eq(strata_keys_rotate(again, &o, &nk), 0);
	ck_assert_int_eq(stat(fx_path("n/keys/retired/2.key"), &st), 0);
	strata_node_free(again);
	strata_buf_dispose(&o);
	strata_buf_dispose(&nk);
	strata_buf_dispose(&rot);
	strata_buf_dispose(&signers);
}
END_TEST

START_TEST(accept_and_revoke)
{
	strata_buf o = STRATA_BUF_INIT, nk = STRATA_BUF_INIT, rot = STRATA_BUF_INIT, v = STRATA_BUF_INIT, fpr = STRATA_BUF_INIT;
	strata_pubkey old = *strata_node_pubkey(peer), fresh;
	strata_rotation chain[4];
	size_t nchain;
	int current;
	char who[64], why[256];

	/* the peer rotates; this node accepts the statement */
	ck_assert_int_eq(strata_journal_lock(peer), 0);
	ck_assert_int_eq(strata_keys_rotate(peer, &o, &nk), 0);
	fresh = *strata_node_pubkey(peer);
	ck_assert_int_eq(strata_keys_rotations(&rot, peer), 0);
	ck_assert_int_eq(strata_rotation_chain(rot.ptr, rot.len, "cn-b", &old, &fresh, (int64_t)time(NULL), chain, 4, &nchain), 0);
	ck_assert_int_eq(strata_keys_accept_rotation(n, "cn-b", &chain[0]), 0);
	ck_assert_int_eq(strata_peers_get(&v, n, "cn-b", "key"), 0);
	ck_assert_int_eq(strata_peers_trusted_at(n, &fresh, (int64_t)time(NULL), who, sizeof(who), NULL, 0), 1);
	ck_assert_int_eq(strata_peers_trusted_at(n, &old, chain[0].time - 1, who, sizeof(who), NULL, 0), 1);
	ck_assert_int_eq(strata_peers_trusted_at(n, &old, chain[0].time, who, sizeof(who), why, sizeof(why)), 2);
	ck_assert_ptr_nonnull(strstr(why, "retired"));
	/* the old key revoked from a time: before it still good, from it not */
	ck_assert_int_eq(strata_sign_pubkey_fingerprint(&fpr, &old), 0);
	ck_assert_int_eq(strata_keys_revoke(n, "cn-b", fpr.ptr, 1000, &current), 0);
	ck_assert_int_eq(current, 0);
	ck_assert_int_eq(strata_peers_trusted_at(n, &old, 999, who, sizeof(who), NULL, 0), 1);
	ck_assert_int_eq(strata_peers_trusted_at(n, &old, 1000, who, sizeof(who), why, sizeof(why)), 2);
	ck_assert_ptr_nonnull(strstr(why, "revoked"));
	/* the current key revoked */
	strata_buf_clear(&fpr);
	ck_assert_int_eq(strata_sign_pubkey_fingerprint(&fpr, &fresh), 0);
	ck_assert_int_eq(strata_keys_revoke(n, "cn-b", fpr.ptr, 2000, &current), 0);
	ck_assert_int_eq(current, 1);
	ck_assert_int_eq(strata_peers_trusted_at(n, &fresh, (int64_t)time(NULL), who, sizeof(who), NULL, 0), 2);
	/* refusals */
	ck_assert_int_eq(strata_keys_revoke(n, "nobody", fpr.ptr, 1, &current), STRATA_ENOTFOUND);
	ck_assert_int_eq(strata_keys_revoke(n, "cn-b", "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1, &current),
			 STRATA_ENOTFOUND);
	/* what node.conf now says passes its check, and reads back after a reopen */
	ck_assert_int_eq(strata_peers_check(n, NULL, NULL), 0);
	strata_node_free(n);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
	ck_assert_int_eq(strata_peers_trusted_at(n, &old, 1000, who, sizeof(who), NULL, 0), 2);
	strata_buf_dispose(&o);
	strata_buf_dispose(&nk);
	strata_buf_dispose(&rot);
	strata_buf_dispose(&v);
	strata_buf_dispose(&fpr);
}
END_TEST

static void count_problem(const char *where, const char *problem, const char *fix, void *payload)
{
	(void)where, (void)problem, (void)fix;
	(*(int *)payload)++;
}

/* what a rotation cut short leaves, found by doctor and repaired */
START_TEST(interrupted_rotation_repaired)
{
	strata_buf o = STRATA_BUF_INIT, nk = STRATA_BUF_INIT, line = STRATA_BUF_INIT;
	int found = 0;
	git_oid head;
	git_reference *r = NULL;

	ck_assert_int_eq(strata_keys_check(n, count_problem, &found), 0);
	/* stopped before the swap: a retired line naming the current key */
	ck_assert_int_eq(strata_sign_pubkey_format(&line, strata_node_pubkey(n)), 0);
	strata_buf_printf(&line, " before %lld", (long long)time(NULL) + 1);
	{
		git_config *cfg = NULL;
		ck_assert_int_eq(git_config_open_ondisk(&cfg, fx_path("n/node.conf")), 0);
		ck_assert_int_eq(git_config_set_string(cfg, "node.retired", line.ptr), 0);
		git_config_free(cfg);
	}
	strata_node_free(n);
	ck_assert_int_eq(strata_node_open(&n, fx_path("n")), 0);
	ck_assert_int_eq(strata_journal_lock(n), 0);
	ck_assert_int_eq(strata_keys_check(n, count_problem, &found), 1);
	ck_assert_int_eq(strata_keys_repair(n), 0);
	found = 0;
	ck_assert_int_eq(strata_keys_check(n, count_problem, &found), 0);
	/* stopped after the swap: the rotation made, its audit event not */
	ck_assert_int_eq(git_reference_name_to_id(&head, strata_node_repo(n), STRATA_REF_AUDIT), 0);
	ck_assert_int_eq(strata_keys_rotate(n, &o, &nk), 0);
	ck_assert_int_eq(git_reference_create(&r, strata_node_repo(n), STRATA_REF_AUDIT, &head, 1, "test: the event lost"), 0);
	git_reference_free(r);
	ck_assert_int_eq(strata_keys_check(n, count_problem, &found), 1);
	ck_assert_int_eq(strata_keys_repair(n), 0);
	ck_assert_int_eq(strata_keys_check(n, count_problem, &found), 0);
	strata_buf_dispose(&o);
	strata_buf_dispose(&nk);
	strata_buf_dispose(&line);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rotate);
	tcase_add_test(tc, accept_and_revoke);
	tcase_add_test(tc, interrupted_rotation_repaired);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
