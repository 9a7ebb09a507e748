/*
 * cmd_erasures.c - strata erasures [--pending] [--format table|csv|json]:
 * each erasure this node passed on, per recipient and view, confirmed or
 * not yet (erase.h).  Exit status 1 while one is pending, for a check.
 */
#include "cli.h"
#include "strata/base/time.h"
#include "strata/replica/erase.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "erasures [--pending] [--format table|csv|json]"

struct rows {
	json_t *rows;
	int pending_only;
};

static int add_row(const strata_erasure_row *r, void *payload)
{
	struct rows *x = payload;
	char t[40], c[40], re[600];

	if (x->pending_only && r->confirmed)
		return 0;
	if (r->confirmed_at)
		strata_time_format(t, sizeof(t), r->confirmed_at);
	if (r->cut_time)
		strata_time_format(c, sizeof(c), r->cut_time);
	if (r->reimported) {
		char when[40];
		strata_time_format(when, sizeof(when), r->reimported);
		snprintf(re, sizeof(re), "%s: %s", when, r->reimported_why ? r->reimported_why : "");
	}
	json_array_append_new(x->rows, json_pack("{s:s, s:s, s:s?, s:s, s:s?, s:s?, s:s, s:s?, s:s?, s:s?, s:s?}", "erasure",
						 r->erasure, "peer", r->peer, "view", r->view, "state",
						 r->no_recipient ? "none" : r->confirmed ? "confirmed" : "pending", "peer_last_confirmed",
						 r->confirmed_at ? t : NULL, "via", r->via, "kind", r->kind ? r->kind : "erasure",
						 "cut_at", r->cut_time ? c : NULL, "dataset", r->dataset, "reason", r->reason,
						 "attention", r->overdue));
	if (r->reimported)
		json_object_set_new(json_array_get(x->rows, json_array_size(x->rows) - 1), "reimported", json_string(re));
	return 0;
}

int cmd_erasures(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "pending", no_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const cols[] = { "erasure", "peer", "view", "state", "peer_last_confirmed", "via", "kind", "cut_at",
					    "dataset", "reason", "attention", "reimported" };
	struct rows x = { NULL, 0 };
	int c, format = CLI_TABLE, pending, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': x.pending_only = 1; break;
		case 'j': format = CLI_JSON; break;
		case 'f':
			if (cli_report_format(&format, optarg) < 0)
				return CLI_EUSAGE;
			break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Every history cut this node made or passed on (an erasure of its own or one\n"
			       "it received, a retraction, a retention cut, a withdrawal: kind), when\n"
			       "(cut_at), of which dataset and why (the owner's reason), per recipient and\n"
			       "view: confirmed when the recipient's receipt, or what it said over HTTPS,\n"
			       "names the cut or a later commit, pending until then.  Below each recipient,\n"
			       "the nodes further down it reported (via: who told), each hop vouching for\n"
			       "the next in its signed receipt or HTTPS state.  Confirmations are kept in\n"
			       "the disclosure ledger: a later cut does not take a row away.\n"
			       "Exit status 1 while one is pending anywhere known.\n\n"
			       "  --pending    only those not yet confirmed\n"
			       "  --format F   table (the default), csv or json (--json)\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(USAGE);
	x.rows = json_array();
	if ((pending = strata_erasures(cli->node, add_row, &x)) < 0) {
		json_decref(x.rows);
		return pending;
	}
	if (json_array_size(x.rows) == 0 && format == CLI_TABLE)
		printf("%s\n", x.pending_only ? _("no erasure pending") : _("no erasures passed on from this node"));
	else if ((rc = cli_report_print(stdout, x.rows, cols, sizeof(cols) / sizeof(*cols), format)) < 0) {
		json_decref(x.rows);
		return rc;
	}
	json_decref(x.rows);
	return pending ? strata_error_set("%d erasure confirmation%s pending (a recipient, or a node below it)", pending, pending == 1 ? "" : "s") : 0;
}
