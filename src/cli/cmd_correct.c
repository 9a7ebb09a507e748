/*
 * cmd_correct.c - corrections back to the source (process.h):
 *
 *   strata correct DATASET KEY... --field F --value V --note TEXT
 *   strata corrections [--open] [--format F | --json]
 *   strata corrections accept ID | reject ID --reason TEXT
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/base/time.h"
#include "strata/replica/process.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define CORRECT_USAGE "correct DATASET KEY... --field F --value V --note TEXT"
#define CORRECTIONS_USAGE "corrections [--open] [--format table|csv|json]\n" \
	"       strata corrections accept ID | reject ID --reason TEXT"

int cmd_correct(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "field", required_argument, NULL, 'f' },
		{ "value", required_argument, NULL, 'v' },
		{ "note", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *field = NULL, *value = NULL, *note = NULL;
	char id[17];
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': field = optarg; break;
		case 'v': value = optarg; break;
		case 'n': note = optarg; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Reports a wrong value in a record this node received: the field, the value it\n"
			       "should have, and how that is known.  It goes back along the record's trace,\n"
			       "hop by hop (each hop passes it on with the key as the next one holds it, and\n"
			       "learns nothing more of the record), to the node that owns it, whose officer\n"
			       "accepts or rejects it ('strata corrections'); the answer comes back here.\n"
			       "KEY is the record's key as this node holds it (strata export shows it).\n"), CORRECT_USAGE);
			return 0;
		default: return cli_usage(CORRECT_USAGE);
		}
	}
	if (optind + 2 > argc || !field || !value || !note)
		return cli_usage(CORRECT_USAGE);
	rc = cli_act(cli, STRATA_ROLE_OFFICER, _("file a correction"));
	if (rc == 0)
		rc = strata_process_correct(cli->node, argv[optind], argv + optind + 1, (size_t)(argc - optind - 1), field, value,
				    note, id);
	if (rc == 0)
		printf(_("correction %s filed: it goes back toward the record's owner with the next exchange\n"), id);
	return rc;
}

struct rows {
	json_t *rows;
	int open_only;
};

static int add_row(const strata_correction_info *c, void *payload)
{
	struct rows *x = payload;
	char t[40];

	if (x->open_only && strcmp(c->status, "open"))
		return 0;
	strata_time_format(t, sizeof(t), c->time);
	json_array_append_new(x->rows, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
						 "id", c->id, "role", c->role, "status", c->status, "filer", c->filer,
						 "dataset", c->dataset, "record", c->record ? c->record : "", "field",
						 c->field, "value", c->value, "current", c->current,
						 "note", c->note, "filed", t, "decision", c->decision, "reason", c->reason,
						 "came_by", c->via[0] ? c->via : "(here)"));
	cli_json_nulls(json_array_get(x->rows, json_array_size(x->rows) - 1));
	return 0;
}

int cmd_corrections(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "open", no_argument, NULL, 'o' },
		{ "reason", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const cols[] = { "id", "role", "status", "filer", "dataset", "record", "field", "value", "current",
					    "note", "decision", "reason" };
	static const char *const json_cols[] = { "id", "role", "status", "filer", "dataset", "record", "field", "value",
						 "current",
						 "note", "filed", "decision", "reason", "came_by" };
	struct rows x = { NULL, 0 };
	const char *reason = NULL;
	int c, format = CLI_TABLE, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': x.open_only = 1; break;
		case 'r': reason = optarg; break;
		case 'j': format = CLI_JSON; break;
		case 'f':
			if (cli_report_format(&format, optarg) < 0)
				return CLI_EUSAGE;
			break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Corrections this node filed (role filed), passed on (relay) or received as the\n"
			       "owner of the record (owner), with the value proposed and, at the owner, the\n"
			       "value its record holds now.  status: open, accepted, rejected, or done (accepted,\n"
			       "and a later import made the record hold the value).  The owner answers with\n"
			       "'corrections accept ID' or 'corrections reject ID --reason TEXT'; the answer is\n"
			       "signed, recorded, final, and goes back to the filer.\n"), CORRECTIONS_USAGE);
			return 0;
		default: return cli_usage(CORRECTIONS_USAGE);
		}
	}
	if (optind < argc && (!strcmp(argv[optind], "accept") || !strcmp(argv[optind], "reject"))) {
		int accept = !strcmp(argv[optind], "accept");
		if (optind + 2 != argc || (accept && reason))
			return cli_usage(CORRECTIONS_USAGE);
		rc = cli_act(cli, STRATA_ROLE_OFFICER, _("answer a correction"));
		if (rc == 0)
			rc = strata_process_fix(cli->node, argv[optind + 1], accept, reason);
		if (rc == 0)
			printf(_("correction %s %s: the answer goes back with the next exchange\n"), argv[optind + 1],
			       accept ? _("accepted (the fix comes with this node's next import)") : _("rejected"));
		return rc;
	}
	if (optind != argc || reason)
		return cli_usage(CORRECTIONS_USAGE);
	x.rows = json_array();
	if ((rc = strata_process_corrections(cli->node, add_row, &x)) < 0) {
		json_decref(x.rows);
		return rc;
	}
	return cli_report_list(x.rows, cols, sizeof(cols) / sizeof(*cols), json_cols, sizeof(json_cols) / sizeof(*json_cols), format,
			       x.open_only ? _("no corrections open") : _("no corrections"));
}
