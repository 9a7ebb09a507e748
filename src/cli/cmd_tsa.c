/*
 * cmd_tsa.c - strata tsa set URL --cert FILE | show | remove: the
 * timestamp authority (RFC 3161) this node asks for independent time
 * (tsa.h): evidence bundles and the audit log's head get its tokens.
 */
#include "cli.h"
#include "strata/base/fs.h"
#include "strata/base/time.h"
#include "strata/format/timestamp.h"
#include "strata/net/tsa.h"
#include "strata/node/audit.h"
#include "strata/node/journal.h"
#include "strata/node/officers.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "tsa set URL --cert FILE | tsa show | tsa remove"

/* one stamp over a probe: the authority answers, and its answer checks with the certificate given */
static int probe(const char *url, const char *pem, size_t len, int64_t *when)
{
	static const char what[] = "strata: does this timestamp authority answer?";
	strata_tsa *t = NULL;
	strata_buf token = STRATA_BUF_INIT;
	int rc;

	if ((rc = strata_tsa_connect(&t, url, pem, len)) == 0)
		rc = strata_tsa_stamp(t, &token, when, what, sizeof(what) - 1);
	strata_tsa_close(t);
	strata_buf_dispose(&token);
	return rc;
}

static int tsa_set(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cert = NULL;
	strata_buf pem = STRATA_BUF_INIT, fpr = STRATA_BUF_INIT, tr = STRATA_BUF_INIT;
	int64_t when = 0;
	int c, rc, journalled = 0;
	char at[40];

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cert = optarg; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Names the timestamp authority (RFC 3161) this node asks for independent time: its\n"
			       "URL and the certificate its tokens chain to (PEM: the authority's own, or its CA),\n"
			       "pinned in the node.  It is asked once now, and named only if it answers with a\n"
			       "token that checks.  Evidence bundles ('strata evidence export') and the audit\n"
			       "log's head ('strata audit stamp') then get its tokens.\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || !cert)
		return cli_usage(USAGE);
	if ((rc = strata_tsa_check_url(argv[optind])) < 0)
		return rc;
	if ((rc = strata_fs_read(&pem, cert, 1 << 20)) < 0 ||
	    (rc = strata_timestamp_ca_fingerprint(&fpr, pem.ptr ? pem.ptr : "", pem.len)) < 0) {
		rc = strata_error_set("--cert '%s': %s", cert, strata_error_last());
		goto done;
	}
	if ((rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("name a timestamp authority"))) < 0)
		goto done;
	/* before the lock: the authority answers, with the certificate given */
	if ((rc = probe(argv[optind], pem.ptr, pem.len, &when)) < 0)
		goto done;
	if ((rc = strata_journal_lock(cli->node)) < 0 ||
	    (rc = strata_journal_conf_begin(cli->node, "tsa-set", argv[optind], &journalled)) < 0 ||
	    (rc = strata_tsa_set(cli->node, argv[optind], pem.ptr, pem.len)) < 0 ||
	    (rc = strata_buf_printf(&tr, "Strata-TSA-URL: %s\nStrata-TSA-Certificate: %s\n", argv[optind], fpr.ptr)) < 0 ||
	    (rc = strata_audit_append(cli->node, "tsa-set", "timestamp authority named", tr.ptr)) < 0)
		goto done;
	strata_journal_end(cli->node);
	journalled = 0;
	strata_time_format(at, sizeof(at), when);
	if (!cli->quiet)
		printf(_("timestamp authority %s (%s): it answered, its time %s\n"), argv[optind], fpr.ptr, at);
done:
	if (journalled)
		strata_journal_undo(cli->node);
	strata_buf_dispose(&pem);
	strata_buf_dispose(&fpr);
	strata_buf_dispose(&tr);
	return rc;
}

static int tsa_show(strata_cli *cli)
{
	strata_buf url = STRATA_BUF_INIT, pem = STRATA_BUF_INIT, fpr = STRATA_BUF_INIT;
	int rc = strata_tsa_get(&url, &pem, cli->node);

	if (rc == STRATA_ENOTFOUND) {
		strata_error_clear();
		printf(_("no timestamp authority: times are this node's own clock ('strata tsa set URL --cert FILE')\n"));
		rc = 0;
	} else if (rc == 0 && (rc = strata_timestamp_ca_fingerprint(&fpr, pem.ptr, pem.len)) == 0) {
		printf(_("timestamp authority: %s\ncertificate: %s\n"), url.ptr, fpr.ptr);
	}
	strata_buf_dispose(&url);
	strata_buf_dispose(&pem);
	strata_buf_dispose(&fpr);
	return rc;
}

static int tsa_remove(strata_cli *cli)
{
	int rc, journalled = 0;

	if (!strata_tsa_configured(cli->node))
		return strata_error_setc(STRATA_ENOTFOUND, "this node names no timestamp authority");
	if ((rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("name a timestamp authority"))) < 0 ||
	    (rc = strata_journal_lock(cli->node)) < 0 ||
	    (rc = strata_journal_conf_begin(cli->node, "tsa-remove", "tsa", &journalled)) < 0 ||
	    (rc = strata_tsa_remove(cli->node)) < 0 ||
	    (rc = strata_audit_append(cli->node, "tsa-remove", "timestamp authority removed", NULL)) < 0)
		goto done;
	strata_journal_end(cli->node);
	journalled = 0;
	if (!cli->quiet)
		printf(_("no timestamp authority now: times are this node's own clock\n"));
done:
	if (journalled)
		strata_journal_undo(cli->node);
	return rc;
}

int cmd_tsa(int argc, char **argv, strata_cli *cli)
{
	if (argc < 2)
		return cli_usage(USAGE);
	if (!strcmp(argv[1], "set"))
		return tsa_set(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "show") && argc == 2)
		return tsa_show(cli);
	if (!strcmp(argv[1], "remove") && argc == 2)
		return tsa_remove(cli);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf(_("usage: strata %s\n"), USAGE);
		return 0;
	}
	if (!strcmp(argv[1], "show") || !strcmp(argv[1], "remove"))
		return cli_usage(USAGE);
	{
		static const char *const subs[] = { "set", "show", "remove" };
		return cli_unknown_sub("tsa", argv[1], subs, sizeof(subs) / sizeof(*subs), NULL);
	}
}
