/*
 * cmd_certificate.c - strata certificate erasure ID [-o FILE] | verify FILE:
 * an erasure certificate made from this node's ledger, for the resident
 * or an auditor; and its check on any machine, with no node
 * (certificate.h).
 */
#include "cli.h"
#include "strata/replica/certificate.h"
#include "strata/base/fs.h"
#include "strata/node/check.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define USAGE "certificate erasure ERASURE [-o FILE] | certificate verify FILE"

static void show(int ok, const char *what, void *payload)
{
	(void)payload;
	printf("%s %s\n", ok ? "ok:    " : "FAILED:", what);
}

static int cert_erasure(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *out = NULL;
	strata_node *n = NULL;
	strata_buf b = STRATA_BUF_INIT;
	int c, rc;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Writes the certificate of one erasure (or retraction, retention, withdrawal) this\n"
			       "node made or passed on, from its disclosure ledger: its signed audit events, the\n"
			       "cut's root commits, each recipient's signed receipt confirming the cut, with the\n"
			       "view's commits from the one it names back to the cut, and the public keys of\n"
			       "every signer.  Anyone can check it with 'strata certificate verify', on a machine\n"
			       "with no node, or piece by piece with git verify-commit and ssh-keygen -Y verify.\n\n"
			       "  -o FILE   write to FILE (atomically; it must not exist), else to stdout\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(USAGE);
	if (out && access(out, F_OK) == 0)
		return strata_error_set("'%s' exists; refusing to overwrite it", out);
	b.max = STRATA_CERTIFICATE_MAX;
	if ((rc = strata_node_open_checked(&n, cli->node_dir)) < 0 ||
	    (rc = strata_certificate_erasure(&b, n, argv[optind])) < 0)
		goto done;
	if (out) {
		if ((rc = strata_fs_write_atomic(out, b.ptr, b.len, 0644)) == 0 && !cli->quiet)
			printf(_("%s: the certificate of %s: check it anywhere with 'strata certificate verify %s'\n"), out,
			       argv[optind], out);
	} else if (fwrite(b.ptr, 1, b.len, stdout) != b.len) {
		rc = strata_error_sys("stdout");
	}
done:
	strata_node_free(n);
	strata_buf_dispose(&b);
	return rc;
}

static int cert_verify(int argc, char **argv, strata_cli *cli)
{
	strata_buf b = STRATA_BUF_INIT;
	int rc;

	(void)cli;
	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2 && !strcmp(argv[1], "--help")) {
			printf(_("usage: strata %s\n\n"
			       "Checks an erasure certificate with no node: every commit's id and signature by\n"
			       "the node it names, the issuer's event that makes the cut, each receipt's signature\n"
			       "and what it says, each confirmation.  Prints each statement it checked; exit 0 if\n"
			       "all hold, 3 and the first that does not.  The keys are the certificate's own:\n"
			       "compare them with the nodes' keys you hold (ssh-keygen -l -f).\n"), USAGE);
			return 0;
		}
		return cli_usage(USAGE);
	}
	if ((rc = strata_fs_read(&b, argv[1], STRATA_CERTIFICATE_MAX)) == 0)
		rc = strata_certificate_verify(b.ptr, b.len, show, NULL);
	if (rc == 0)
		printf(_("the certificate holds: every statement above is signed by the node it names\n"));
	else if (rc != STRATA_ENOTFOUND && rc != STRATA_EVERIFY)
		rc = strata_error_setc(rc, "'%s': %s", argv[1], strata_error_last());
	strata_buf_dispose(&b);
	return rc;
}

int cmd_certificate(int argc, char **argv, strata_cli *cli)
{
	if (argc < 2)
		return cli_usage(USAGE);
	if (!strcmp(argv[1], "erasure"))
		return cert_erasure(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "verify"))
		return cert_verify(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf(_("usage: strata %s\n"), USAGE);
		return 0;
	}
	{
		static const char *const subs[] = { "erasure", "verify" };
		return cli_unknown_sub("certificate", argv[1], subs, sizeof(subs) / sizeof(*subs), NULL);
	}
}
