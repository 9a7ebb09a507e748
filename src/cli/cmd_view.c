/* cmd_view.c - strata view build [--peer P] [--full] [--json] */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/policy/view.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "view build [--peer PEER] [--full] [--json]"

struct reporting {
	strata_cli *cli;
	json_t *rows;	/* --json: one object per view */
};

static void report(const strata_view_result *r, void *payload)
{
	struct reporting *rep = payload;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), &r->commit);
	if (rep->rows) {
		json_array_append_new(rep->rows, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s?}", "peer", r->peer, "view", r->name,
							   "commit", hex, "records", (json_int_t)r->records, "suppressed",
							   (json_int_t)r->suppressed, "build",
							   r->withdrawn ? "withdrawn" : r->unchanged ? "unchanged" : r->incremental ? "incremental" : "full",
							   "withdrawn", r->withdrawn ? r->why : NULL));
		return;
	}
	cli_progress_done(rep->cli);
	if (rep->cli->quiet)
		return;
	if (r->withdrawn) {
		printf(_("%s/%s: withdrawn%s %.12s: %s\n"), r->peer, r->name, r->unchanged ? _(" (as before)") : _(", signed commit"), hex,
		       r->why);
		return;
	}
	printf(_("%s/%s: %zu records, %s %.12s"), r->peer, r->name, r->records,
	       r->unchanged ? "unchanged" : r->incremental ? _("signed commit (incremental)") : _("signed commit"), hex);
	if (r->suppressed)
		printf(_(" (%zu records in classes below the policy's min_k left out)"), r->suppressed);
	putchar('\n');
}

int cmd_view(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "full", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *peer = NULL;
	struct reporting rep = { cli, NULL };
	int c, full = 0, rc;

	if (argc < 2 || strcmp(argv[1], "build")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf(_("usage: strata %s\n"), USAGE);
			return 0;
		}
		if (argc >= 2) {
			static const char *const subs[] = { "build" };
			return cli_unknown_sub("view", argv[1], subs, 1, USAGE);
		}
		return cli_usage(USAGE);
	}
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p') {
			peer = optarg;
		} else if (c == 'f') {
			full = 1;
		} else if (c == 'j') {
			rep.rows = json_array();
		} else if (c == 'h') {
			printf(_("usage: strata %s\n\n"
			       "Builds, for each peer with a policy (or only PEER), the redacted view of every\n"
			       "dataset the policy shares, own and received: from the previous view and the\n"
			       "records that changed when it can, as signed commits on refs/strata/views/.\n\n"
			       "  --peer PEER  only the views for PEER\n"
			       "  --full       rebuild from every record (the same tree: a check)\n"
			       "  --json       a JSON array: peer, view, commit, records, suppressed, build\n"
			       "               (unchanged, incremental or full)\n"), USAGE);
			return 0;
		} else {
			return cli_usage(USAGE);
		}
	}
	if (optind != argc) {
		json_decref(rep.rows);
		return cli_usage(USAGE);
	}
	cli_progress(cli, _("view build: reading sources and policies, building what changed..."));
	rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("build views"));
	if (rc == 0)
		rc = strata_view_build(cli->node, peer, full, report, &rep);
	cli_progress_done(cli);
	if (rep.rows && rc == 0) {
		json_dumpf(rep.rows, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	}
	json_decref(rep.rows);
	return rc;
}
