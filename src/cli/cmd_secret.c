/*
 * cmd_secret.c - a policy's pseudonym secret, backed up and restored:
 *
 *   strata policy secret export NAME FILE [--passphrase-file F]
 *   strata policy secret import NAME FILE [--passphrase-file F]
 *   strata policy secret rotate NAME [--confirm]
 *
 * The secret never leaves the node in the clear: a backup is sealed to a
 * passphrase (policy_store.h), read from --passphrase-file (its first
 * line) or asked for on the terminal.  Rotation is deliberate: without
 * --confirm it only says what it would do to the recipients.
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/node/check.h"
#include "strata/base/fs.h"
#include "strata/node/peers.h"
#include "strata/policy/policy_store.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <openssl/crypto.h>

#define USAGE "policy secret export NAME FILE [--passphrase-file F]\n" \
	      "       strata policy secret import NAME FILE [--passphrase-file F]\n" \
	      "       strata policy secret rotate NAME [--confirm]"
#define PASS_MAX 1024

/* The passphrase: a file's first line, or typed on the terminal without echo (twice to seal). */
static int passphrase(char *out, size_t size, const char *file, int twice)
{
	if (file) {
		strata_buf b = STRATA_BUF_INIT;
		char *nl;
		if (strata_fs_read(&b, file, size - 1) < 0)
			return strata_error_set("--passphrase-file: %s", strata_error_last());
		if ((nl = strchr(b.ptr, '\n')) != NULL)
			*nl = '\0';
		snprintf(out, size, "%s", b.ptr);
		strata_buf_dispose_secret(&b);
	} else {
		int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
		struct termios old, quiet;
		char again[PASS_MAX];
		FILE *tty;
		if (fd < 0 || !(tty = fdopen(fd, "r+"))) {
			if (fd >= 0)
				close(fd);
			return strata_error_set("no terminal to ask for the passphrase on: give --passphrase-file");
		}
		tcgetattr(fd, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		for (int round = 0; round < (twice ? 2 : 1); round++) {
			char *buf = round ? again : out;
			fprintf(tty, round ? "again: " : "passphrase: ");
			fflush(tty);
			tcsetattr(fd, TCSAFLUSH, &quiet);
			if (!fgets(buf, (int)(round ? sizeof(again) : size), tty))
				buf[0] = '\0';
			tcsetattr(fd, TCSAFLUSH, &old);
			fprintf(tty, "\n");
			buf[strcspn(buf, "\n")] = '\0';
		}
		fclose(tty);
		if (twice && strcmp(out, again)) {
			OPENSSL_cleanse(again, sizeof(again));
			return strata_error_set("the two passphrases differ");
		}
		OPENSSL_cleanse(again, sizeof(again));
	}
	if (strlen(out) < 8)
		return strata_error_set("the passphrase is shorter than 8 characters");
	return 0;
}

static int secret_export(const char *name, const char *file, const char *pass_file, strata_cli *cli)
{
	char pass[PASS_MAX];
	strata_buf out = STRATA_BUF_INIT;
	int rc, fd;

	if (access(file, F_OK) == 0)
		return strata_error_setc(STRATA_EEXISTS, "'%s' exists; refusing to overwrite it", file);
	if ((rc = cli_act(cli, STRATA_ROLE_OFFICER, _("export a policy's secret"))) < 0 ||
	    (rc = passphrase(pass, sizeof(pass), pass_file, 1)) < 0 ||
	    (rc = strata_policy_store_secret_export(&out, cli->node, name, pass)) < 0)
		goto done;
	if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 || write(fd, out.ptr, out.len) != (ssize_t)out.len ||
	    fsync(fd) < 0 || close(fd) < 0) {
		rc = strata_error_sys(file);
		unlink(file);
		goto done;
	}
	if (!cli->quiet)
		printf(_("%s: secret of policy '%s', sealed to the passphrase: keep the file and the passphrase apart\n"),
		       file, name);
done:
	OPENSSL_cleanse(pass, sizeof(pass));
	strata_buf_dispose(&out);
	return rc;
}

static int secret_import(const char *name, const char *file, const char *pass_file, strata_cli *cli)
{
	char pass[PASS_MAX], sid[STRATA_SECRET_ID_LEN + 1] = "";
	strata_buf text = STRATA_BUF_INIT;
	int rc;

	if ((rc = cli_act(cli, STRATA_ROLE_OFFICER, _("import a policy's secret"))) < 0 ||
	    (rc = strata_fs_read(&text, file, 64 << 10)) < 0 || (rc = passphrase(pass, sizeof(pass), pass_file, 0)) < 0 ||
	    (rc = strata_policy_store_secret_import(cli->node, name, file, text.ptr, text.len, pass, sid)) < 0)
		goto done;
	if (!cli->quiet)
		printf(_("policy '%s': secret %s restored; its views can be built and audited again\n"), name, sid);
done:
	OPENSSL_cleanse(pass, sizeof(pass));
	strata_buf_dispose(&text);
	return rc;
}

static int secret_rotate(const char *name, int confirm, strata_cli *cli)
{
	char old_id[STRATA_SECRET_ID_LEN + 1], new_id[STRATA_SECRET_ID_LEN + 1];
	char **peers = NULL;
	size_t npeers = 0, users = 0;
	strata_policy *p = NULL;
	int rc;

	if ((rc = strata_policy_store_load(&p, NULL, cli->node, name)) < 0)
		return rc;
	strata_policy_free(p);
	if (!confirm) {
		if ((rc = strata_peers_list(&peers, &npeers, cli->node)) < 0)
			return rc;
		printf(_("rotating the secret of policy '%s' changes every pseudonym its views hold.\n"), name);
		for (size_t i = 0; i < npeers; i++) {
			strata_buf pol = STRATA_BUF_INIT;
			if (strata_peers_get(&pol, cli->node, peers[i], "policy") == 0 && !strcmp(pol.ptr, name)) {
				printf(_("  %s: at the next view build and exchange, every record it holds under this policy\n"
				       "  changes token: casework keyed on the old tokens loses its thread\n"), peers[i]);
				users++;
			}
			strata_buf_dispose(&pol);
		}
		strata_error_clear();
		strata_peers_list_free(peers);
		if (!users)
			printf(_("  no peer is sent views under it now\n"));
		printf(_("the old secret is kept beside the new one (secrets/%s.key.retired-ID), so views built\n"
		       "under it can still be replayed by hand.  Run again with --confirm to rotate.\n"), name);
		return 0;
	}
	if ((rc = cli_act(cli, STRATA_ROLE_OFFICER, _("rotate a policy's secret"))) < 0 ||
	    (rc = strata_policy_store_secret_rotate(cli->node, name, old_id, new_id)) < 0)
		return rc;
	if (!cli->quiet)
		printf(_("policy '%s': secret %s replaced by %s; 'strata view build' rebuilds its views in full\n"), name,
		       old_id, new_id);
	return 0;
}

int cmd_policy_secret(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "confirm", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *pass_file = NULL, *verb = argc > 1 ? argv[1] : "";
	int c, confirm = 0, rc;
	strata_node *n = NULL;

	if (argc < 2)
		return cli_usage(USAGE);
	if (strcmp(verb, "--help") && strcmp(verb, "-h")) {
		argc--;
		argv++;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pass_file = optarg; break;
		case 'c': confirm = 1; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "A policy's pseudonym secret (NODE/secrets/NAME.key) makes its tokens; lost, its\n"
			       "views can be neither rebuilt nor audited.  export seals it to a passphrase\n"
			       "into FILE (an audit event); import restores it into a node that lacks it, after\n"
			       "checking it is the secret the views were built under; rotate makes a new one,\n"
			       "deliberately: every token changes.\n\n"
			       "  --passphrase-file F  the passphrase is F's first line (else it is asked for)\n"
			       "  --confirm            rotate: do it (without: say what it would change)\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (!strcmp(verb, "rotate") ? optind + 1 != argc : optind + 2 != argc)
		return cli_usage(USAGE);
	if (strcmp(verb, "export") && strcmp(verb, "import") && strcmp(verb, "rotate")) {
		static const char *const subs[] = { "export", "import", "rotate" };
		return cli_unknown_sub("policy secret", verb, subs, sizeof(subs) / sizeof(*subs), NULL);
	}
	if ((rc = strata_node_open_checked(&n, cli->node_dir)) < 0)
		return rc;
	cli->node = n;
	if (!strcmp(verb, "export"))
		rc = secret_export(argv[optind], argv[optind + 1], pass_file, cli);
	else if (!strcmp(verb, "import"))
		rc = secret_import(argv[optind], argv[optind + 1], pass_file, cli);
	else
		rc = secret_rotate(argv[optind], confirm, cli);
	cli->node = NULL;
	strata_node_free(n);
	return rc;
}
