/*
 * cmd_key.c - keys over time (keys.h):
 *
 *   strata key show                              this node's key, fingerprint, rotations
 *   strata key rotate                            a new node key; the old one signs it in
 *   strata key revoke PEER --key FPR [--after TIME]
 *                                                a peer's key was stolen: what it signs
 *                                                from TIME on (default now) is refused
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/base/time.h"
#include "strata/format/rotation.h"
#include "strata/node/journal.h"
#include "strata/node/keys.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define USAGE "key show | key rotate | key revoke PEER --key SHA256:FPR [--after TIME]"

static int print_rotation(const char *text, size_t len, void *payload)
{
	strata_rotation r;
	strata_buf o = STRATA_BUF_INIT, nk = STRATA_BUF_INIT;
	char t[40];
	int rc;

	(void)payload;
	if ((rc = strata_rotation_parse(&r, text, len)) < 0)
		return rc;
	strata_sign_pubkey_fingerprint(&o, &r.old_key);
	strata_sign_pubkey_fingerprint(&nk, &r.new_key);
	strata_time_format(t, sizeof(t), r.time);
	printf(_("  rotated %s: %s -> %s\n"), t, o.ptr, nk.ptr);
	strata_buf_dispose(&o);
	strata_buf_dispose(&nk);
	return 0;
}

static int key_show(strata_cli *cli)
{
	strata_buf fpr = STRATA_BUF_INIT, line = STRATA_BUF_INIT, rot = STRATA_BUF_INIT;
	int rc;

	if ((rc = strata_sign_pubkey_fingerprint(&fpr, strata_node_pubkey(cli->node))) < 0 ||
	    (rc = strata_sign_pubkey_format(&line, strata_node_pubkey(cli->node))) < 0 ||
	    (rc = strata_keys_rotations(&rot, cli->node)) < 0)
		goto done;
	printf(_("node %s: %s\n  %s\n"), strata_node_name(cli->node), fpr.ptr, line.ptr);
	if (rot.len)
		rc = strata_rotation_foreach(rot.ptr, rot.len, print_rotation, NULL);
	else
		printf(_("  never rotated\n"));
done:
	strata_buf_dispose(&fpr);
	strata_buf_dispose(&line);
	strata_buf_dispose(&rot);
	return rc;
}

static int key_rotate(strata_cli *cli)
{
	strata_buf o = STRATA_BUF_INIT, nk = STRATA_BUF_INIT;
	int rc;

	if ((rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("rotate the node's key"))) < 0 ||
	    (rc = strata_journal_lock(cli->node)) < 0 || (rc = strata_keys_rotate(cli->node, &o, &nk)) < 0)
		goto done;
	if (!cli->quiet)
		printf(_("node key rotated: %s -> %s\n"
		       "the old key signed the new one in; every peer learns it from the next parcel,\n"
		       "receipt or connection, and keeps the old key for what it signed before.\n"
		       "reload a running 'strata serve' (SIGHUP, systemctl reload) so that it presents the\n"
		       "new key, and back up keys/node.key\n"),
		       o.ptr, nk.ptr);
done:
	strata_buf_dispose(&o);
	strata_buf_dispose(&nk);
	return rc;
}

static int key_revoke(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "after", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *fpr = NULL, *after_s = NULL;
	int64_t after = strata_time_now();
	int c, current = 0, rc;
	char t[40];

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': fpr = optarg; break;
		case 'a': after_s = optarg; break;
		case 'h':
			printf(_("usage: strata key revoke PEER --key SHA256:FPR [--after TIME]\n\n"
			       "A peer's key was stolen or lost: commits it signs from TIME on (default now)\n"
			       "are refused at import and flagged by 'verify --all'; older ones stay valid.  If\n"
			       "it is the key pinned for PEER, nothing more is accepted from PEER, over files or\n"
			       "the network, until it is pinned again.  An audit event.\n\n"
			       "  --key FPR     the key's fingerprint, as 'strata peer show PEER' prints it\n"
			       "  --after TIME  RFC 3339, YYYY-MM-DD, or like 2h ago (default: now)\n"));
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || !fpr)
		return cli_usage(USAGE);
	if (strncmp(fpr, "SHA256:", 7) || strlen(fpr) != 50) {
		fprintf(stderr, _("strata: --key '%s': expected a fingerprint SHA256:... (43 characters after the colon)\n"), fpr);
		return CLI_EUSAGE;
	}
	if (after_s && strata_time_parse(&after, after_s, strata_time_now(), 0) < 0) {
		fprintf(stderr, _("strata: --after: %s\n"), strata_error_last());
		return CLI_EUSAGE;
	}
	if ((rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("revoke a key"))) < 0 || (rc = strata_journal_lock(cli->node)) < 0 ||
	    (rc = strata_keys_revoke(cli->node, argv[optind], fpr, after, &current)) < 0)
		return rc;
	strata_time_format(t, sizeof(t), after);
	if (!cli->quiet)
		printf(_("key %s of '%s' revoked from %s%s\n"), fpr, argv[optind], t,
		       current ? _(": it is the key pinned for it, so nothing more is accepted from it until it is "
				 "pinned again (peer remove, then peer add with its new key)") : "");
	return 0;
}

int cmd_key(int argc, char **argv, strata_cli *cli)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf(_("usage: strata %s\n\n"
		       "  show     this node's key, its fingerprint and its rotations\n"
		       "  rotate   a new node key, signed in by the old one; peers learn it from the next\n"
		       "           parcel, receipt or connection and keep the old key for older commits\n"
		       "  revoke   refuse what a peer's stolen key signs from a time on\n"), USAGE);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "revoke"))
		return key_revoke(argc - 1, argv + 1, cli);
	if (argc == 3 && !strcmp(argv[1], "rotate") && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		printf(_("usage: strata key rotate\n\nA new node key.  The old key and the new one sign a rotation "
		       "statement (keys/rotations)\nthat every parcel, receipt and TLS certificate carries from then "
		       "on; each peer\nthen pins the new key and keeps the old one for commits made before the rotation.\n"
		       "The old private key is deleted; keys/allowed_signers gives it valid-before.\n"));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "show") && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		printf(_("usage: strata key show\n\nThis node's public key, its fingerprint, and each rotation.\n"));
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "rotate"))
		return key_rotate(cli);
	if (argc == 2 && !strcmp(argv[1], "show"))
		return key_show(cli);
	if (argc >= 2 && strcmp(argv[1], "show") && strcmp(argv[1], "rotate")) {
		static const char *const subs[] = { "show", "rotate", "revoke" };
		return cli_unknown_sub("key", argv[1], subs, sizeof(subs) / sizeof(*subs), USAGE);
	}
	return cli_usage(USAGE);
}
