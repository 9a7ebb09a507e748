/* check_sign.c - SSHSIG signing and verification, keys */
#include "fixture.h"
#include "strata/format/sign.h"
#include "strata/base/fs.h"

#include <sys/stat.h>

static strata_key *key;

static void setup(void)
{
	fx_setup();
	ck_assert_int_eq(strata_sign_key_generate(&key), 0);
}

static void teardown(void)
{
	strata_sign_key_free(key);
	key = NULL;
	fx_teardown();
}

START_TEST(sign_verify_round_trip)
{
	strata_buf sig = STRATA_BUF_INIT;
	strata_pubkey who, mine;
	const char *msg = "tree 0000\nauthor x\n\nhello\n";

	ck_assert_int_eq(strata_sign_sshsig(&sig, key, "git", msg, strlen(msg)), 0);
	ck_assert(strncmp(sig.ptr, "-----BEGIN SSH SIGNATURE-----\n", 30) == 0);
	ck_assert_int_ne(sig.ptr[sig.len - 1], '\n');	/* doc/design.md, "Facts": no trailing newline */
	ck_assert_int_eq(strata_sign_sshsig_verify(&who, sig.ptr, sig.len, "git", msg, strlen(msg)), 0);
	strata_sign_key_public(&mine, key);
	ck_assert(strata_sign_pubkey_equal(&who, &mine));
	strata_buf_dispose(&sig);
}
END_TEST

START_TEST(verify_refuses_tampering)
{
	strata_buf sig = STRATA_BUF_INIT;
	strata_pubkey who;
	char msg[] = "some data to sign";

	ck_assert_int_eq(strata_sign_sshsig(&sig, key, "git", msg, strlen(msg)), 0);
	/* wrong namespace */
	ck_assert_int_eq(strata_sign_sshsig_verify(&who, sig.ptr, sig.len, "strata-parcel", msg, strlen(msg)), STRATA_EVERIFY);
	/* changed data */
	msg[0] = 'S';
	ck_assert_int_eq(strata_sign_sshsig_verify(&who, sig.ptr, sig.len, "git", msg, strlen(msg)), STRATA_EVERIFY);
	msg[0] = 's';
	/* every byte of the base64 body flipped, one at a time */
	for (size_t i = 30; i < sig.len - 28; i++) {
		char saved = sig.ptr[i];
		if (saved == '\n')
			continue;
		sig.ptr[i] = saved == 'A' ? 'B' : 'A';
		ck_assert_msg(strata_sign_sshsig_verify(&who, sig.ptr, sig.len, "git", msg, strlen(msg)) != 0,
			      "flip at %zu accepted", i);
		sig.ptr[i] = saved;
	}
	/* truncated */
	ck_assert_int_ne(strata_sign_sshsig_verify(&who, sig.ptr, sig.len / 2, "git", msg, strlen(msg)), 0);
	ck_assert_int_eq(strata_sign_sshsig_verify(&who, sig.ptr, sig.len, "git", msg, strlen(msg)), 0);
	strata_buf_dispose(&sig);
}
END_TEST

/* a signature on the last line, over the lines before it (an officer's co-signature on an event) */
START_TEST(last_line_signature)
{
	strata_buf sig = STRATA_BUF_INIT, doc = STRATA_BUF_INIT;
	strata_pubkey who, mine;
	const char *body = "tree 0000\n\nevent\n\nStrata-Officer: zhang <SHA256:x>\n";
	const char *p, *q;

	ck_assert_int_eq(strata_sign_sshsig(&sig, key, "strata-officer", body, strlen(body)), 0);
	strata_buf_puts(&doc, body);
	strata_buf_puts(&doc, "Sig: ");
	/* the armour's body on one line */
	p = strchr(sig.ptr, '\n') + 1;
	q = strstr(p, "-----END");
	for (; p < q; p++)
		if (*p != '\n')
			strata_buf_putc(&doc, *p);
	strata_buf_putc(&doc, '\n');
	ck_assert_int_eq(strata_sign_last_line_verify(&who, doc.ptr, doc.len, "Sig: ", "strata-officer"), 1);
	strata_sign_key_public(&mine, key);
	ck_assert(strata_sign_pubkey_equal(&who, &mine));
	/* another namespace, a changed line above, another trailer, no newline at the end */
	ck_assert_int_eq(strata_sign_last_line_verify(&who, doc.ptr, doc.len, "Sig: ", "git"), STRATA_EVERIFY);
	ck_assert_int_eq(strata_sign_last_line_verify(&who, doc.ptr, doc.len, "Other: ", "strata-officer"), 0);
	ck_assert_int_eq(strata_sign_last_line_verify(&who, doc.ptr, doc.len - 1, "Sig: ", "strata-officer"), 0);
	doc.ptr[12] ^= 1;
	ck_assert_int_eq(strata_sign_last_line_verify(&who, doc.ptr, doc.len, "Sig: ", "strata-officer"), STRATA_EVERIFY);
	ck_assert_int_eq(strata_sign_last_line_verify(&who, "", 0, "Sig: ", "strata-officer"), 0);
	strata_buf_dispose(&sig);
	strata_buf_dispose(&doc);
}
END_TEST

/* trailers by git's rule: the last paragraph only, the last of a repeated key */
START_TEST(commit_trailers)
{
	const char *raw = "tree 0000\nparent 1111\n\nsubject\n\nStrata-Node: forged-in-body\n\n"
			  "Strata-Event: view-build\nStrata-Node: cn-a\nStrata-Node: cn-b\n";
	char v[64];

	ck_assert_int_eq(strata_sign_commit_trailer(raw, "Strata-Event", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "view-build");
	ck_assert_int_eq(strata_sign_commit_trailer(raw, "Strata-Node", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "cn-b");
	ck_assert_int_eq(strata_sign_commit_trailer(raw, "Strata-Source", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "");
	/* a "trailer" in a paragraph before the last is message text */
	ck_assert_int_eq(strata_sign_commit_trailer("tree 0\n\nsubject\n\nStrata-Source: x\n\nlast words\n",
						    "Strata-Source", v, sizeof(v)), 0);
	ck_assert_int_eq(strata_sign_commit_trailer("tree 0\n", "Strata-Source", v, sizeof(v)), 0);
}
END_TEST

START_TEST(pubkey_format_parse)
{
	strata_buf line = STRATA_BUF_INIT;
	strata_pubkey a, b;

	strata_sign_key_public(&a, key);
	ck_assert_int_eq(strata_sign_pubkey_format(&line, &a), 0);
	ck_assert(strncmp(line.ptr, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37) == 0);
	strata_buf_puts(&line, " comment here");
	ck_assert_int_eq(strata_sign_pubkey_parse(&b, line.ptr), 0);
	ck_assert(strata_sign_pubkey_equal(&a, &b));
	ck_assert_int_lt(strata_sign_pubkey_parse(&b, "ssh-rsa AAAAB3NzaC1yc2E"), 0);
	ck_assert_int_lt(strata_sign_pubkey_parse(&b, "ssh-ed25519 AAAA"), 0);
	strata_buf_dispose(&line);
}
END_TEST

START_TEST(key_save_load_is_private)
{
	strata_key *k2 = NULL;
	strata_pubkey a, b;
	struct stat st;

	ck_assert_int_eq(strata_sign_key_save(key, fx_path("node.key")), 0);
	ck_assert_int_eq(stat(fx_path("node.key"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(strata_sign_key_load(&k2, fx_path("node.key")), 0);
	strata_sign_key_public(&a, key);
	strata_sign_key_public(&b, k2);
	ck_assert(strata_sign_pubkey_equal(&a, &b));
	strata_sign_key_free(k2);
	chmod(fx_path("node.key"), 0644);
	ck_assert_int_lt(strata_sign_key_load(&k2, fx_path("node.key")), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "readable by others"));
}
END_TEST

/* Known answer: Ed25519 is deterministic, so ssh-keygen must produce the same bytes. */
START_TEST(same_signature_as_ssh_keygen)
{
	strata_buf priv = STRATA_BUF_INIT, ours = STRATA_BUF_INIT, theirs = STRATA_BUF_INIT;
	const char *msg = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor a <a@b> 0 +0000\n\nx\n";
	char cmd[1024];
	FILE *f;

	if (system("command -v ssh-keygen >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skipped: ssh-keygen not installed\n");
		return;
	}
	ck_assert_int_eq(strata_sign_key_export_openssh(&priv, key, "test"), 0);
	ck_assert_int_eq(strata_fs_write_atomic(fx_path("id"), priv.ptr, priv.len, 0600), 0);
	fx_write("msg", msg);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -Y sign -f %s -n git %s 2>&1", fx_path("id"), fx_path("msg"));
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(strata_fs_read(&theirs, fx_path("msg.sig"), 4096), 0);
	ck_assert_int_eq(strata_sign_sshsig(&ours, key, "git", msg, strlen(msg)), 0);
	strata_buf_putc(&ours, '\n');	/* ssh-keygen ends its file with a newline */
	ck_assert_str_eq(ours.ptr, theirs.ptr);

	/* and ssh-keygen verifies ours */
	{
		strata_buf pub = STRATA_BUF_INIT;
		strata_pubkey pk;
		strata_sign_key_public(&pk, key);
		strata_buf_puts(&pub, "tester namespaces=\"git\" ");
		strata_sign_pubkey_format(&pub, &pk);
		strata_buf_putc(&pub, '\n');
		fx_write("allowed", pub.ptr);
		snprintf(cmd, sizeof(cmd), "ssh-keygen -q -Y verify -f %s -I tester -n git -s %s < %s >/dev/null 2>&1",
			 fx_path("allowed"), fx_path("msg.sig"), fx_path("msg"));
		ck_assert_int_eq(system(cmd), 0);
		strata_buf_dispose(&pub);
	}
	(void)f;
	strata_buf_dispose_secret(&priv);
	strata_buf_dispose(&ours);
	strata_buf_dispose(&theirs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sign");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sign_verify_round_trip);
	tcase_add_test(tc, verify_refuses_tampering);
	tcase_add_test(tc, pubkey_format_parse);
	tcase_add_test(tc, last_line_signature);
	tcase_add_test(tc, commit_trailers);
	tcase_add_test(tc, key_save_load_is_private);
	tcase_add_test(tc, same_signature_as_ssh_keygen);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
