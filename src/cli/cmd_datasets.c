/*
 * cmd_datasets.c - strata datasets [--own|--received] [--format table|csv|json]:
 * every dataset this node holds, own and received, by the name every
 * command takes, with who sent it, who recorded it, its size, its last
 * change, and the policy and purpose it came under.
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/data/dataset.h"
#include "strata/node/commit.h"
#include "strata/base/time.h"
#include "strata/node/journal.h"
#include "strata/node/audit.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "datasets [--own | --received] [--format table|csv|json]\n" \
	      "       strata datasets label NAME [TEXT]"
#define LABEL_USAGE "datasets label NAME [TEXT]"

/* label last: CSV columns keep their places */
static const char *const cols[] = { "name", "from", "owner", "records", "last_change", "policy", "purpose", "onward", "retention",
				    "label" };

struct rows {
	json_t *rows;
	strata_node *n;
};

static int add_row(const strata_dataset_entry *d, void *payload)
{
	struct rows *x = payload;
	const git_commit *c = d->tip;
	strata_buf label = STRATA_BUF_INIT;
	char v[512], t[40], origin[128] = "", records[32] = "", policy[160] = "", version[16] = "";
	json_t *row;

	strata_time_format(t, sizeof(t), (int64_t)git_commit_time(c));
	strata_commit_trailer(c, "Strata-Records", records, sizeof(records));
	row = json_pack("{s:s, s:s, s:s, s:s}", "name", d->name, "dataset", d->dataset, "commit",
			git_oid_tostr_s(git_commit_id(c)), "last_change", t);
	json_object_set_new(row, "records", *records ? json_integer(strtoll(records, NULL, 10)) : json_null());
	if (!d->sender[0]) {
		json_object_set_new(row, "from", json_string("own"));
		strata_commit_trailer(c, "Strata-Node", v, sizeof(v));
		json_object_set_new(row, "owner", json_string(v));
		json_object_set_new(row, "policy", json_null());
		json_object_set_new(row, "purpose", json_null());
	} else {
		json_object_set_new(row, "from", json_string(d->sender));
		/* who recorded it: the first hop's node (Strata-Origin), else the node the view was built from */
		if (strata_commit_trailer(c, "Strata-Origin", v, sizeof(v)))
			sscanf(v, "%127s", origin);
		else
			strata_commit_trailer(c, "Strata-Source-Node", origin, sizeof(origin));
		/* "v-...": the sender's policy hides which node it came from (source_names) */
		json_object_set_new(row, "owner", *origin && strncmp(origin, "v-", 2) ? json_string(origin) : json_null());
		if (strata_commit_trailer(c, "Strata-Policy-Name", policy, sizeof(policy)) &&
		    strata_commit_trailer(c, "Strata-Policy-Version", version, sizeof(version)))
			snprintf(v, sizeof(v), "%s v%s", policy, version);
		else
			snprintf(v, sizeof(v), "%s", policy);
		json_object_set_new(row, "policy", *v ? json_string(v) : json_null());
		json_object_set_new(row, "purpose", strata_commit_trailer(c, "Strata-Purpose", v, sizeof(v)) ?
					json_string(v) : json_null());
	}
	/* the obligations it carries: whom it may go on to, how long it may be kept */
	json_object_set_new(row, "onward", strata_commit_trailer(c, "Strata-Onward", v, sizeof(v)) ? json_string(v) : json_null());
	if (strata_commit_trailer(c, "Strata-Retention", v, sizeof(v))) {
		char days[32];
		snprintf(days, sizeof(days), "%lldd", strtoll(v, NULL, 10) / 86400);
		json_object_set_new(row, "retention", json_string(days));
	} else {
		json_object_set_new(row, "retention", json_null());
	}
	json_object_set_new(row, "label", strata_node_dataset_label(&label, x->n, d->name) == 0 ? json_string(label.ptr) :
											       json_null());
	strata_buf_dispose(&label);
	json_array_append_new(x->rows, row);
	return 0;
}

/* strata datasets label NAME [TEXT]: what this node's people call a received dataset (local, never sent) */
static int label(int argc, char **argv, strata_cli *cli)
{
	strata_buf ref = STRATA_BUF_INIT, tr = STRATA_BUF_INIT;
	const char *text;
	int rc, journalled = 0;

	if (argc < 2 || argc > 3 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf(_("usage: strata datasets label NAME [TEXT]\n\n"
			       "A label for a dataset, in this node's people's words: for a received one\n"
			       "whose sender hides the path it came by (v-... names), what they know it as.\n"
			       "Kept in node.conf, shown by 'datasets' and the console, never sent.  Without\n"
			       "TEXT the label goes.\n"));
			return 0;
		}
		return cli_usage(LABEL_USAGE);
	}
	text = argc == 3 ? argv[2] : "";
	if ((rc = strata_dataset_ref(&ref, cli->node, argv[1])) < 0 ||
	    (*text && (rc = strata_node_display_check(text)) < 0))
		goto done;
	if ((rc = cli_act(cli, STRATA_ROLE_OFFICER, _("label a dataset"))) < 0 || (rc = strata_journal_lock(cli->node)) < 0 ||
	    (rc = strata_journal_conf_begin(cli->node, "dataset-label", argv[1], &journalled)) < 0 ||
	    (rc = strata_node_set_dataset_label(cli->node, argv[1], text)) < 0 ||
	    (rc = strata_buf_printf(&tr, "Strata-Dataset: %s\nStrata-Label: %s\n", argv[1], *text ? text : "(none)")) < 0 ||
	    (rc = strata_audit_append(cli->node, "dataset-label", *text ? "dataset labelled" : "dataset label removed",
				      tr.ptr)) < 0)
		goto done;
	strata_journal_end(cli->node);
	journalled = 0;
	if (!cli->quiet)
		printf(*text ? _("%s: labelled '%s' here (never sent)\n") : _("%s: its label removed\n"), argv[1], text);
done:
	if (journalled)
		strata_journal_undo(cli->node);
	strata_buf_dispose(&ref);
	strata_buf_dispose(&tr);
	return rc;
}

int cmd_datasets(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "own", no_argument, NULL, 'o' },
		{ "received", no_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, which = STRATA_DATASETS_ALL, format = CLI_TABLE, rc;
	struct rows x;

	if (argc > 1 && !strcmp(argv[1], "label"))
		return label(argc - 1, argv + 1, cli);

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': which = STRATA_DATASETS_OWN; break;
		case 'r': which = STRATA_DATASETS_RECEIVED; break;
		case 'f': if (cli_report_format(&format, optarg) < 0) return CLI_EUSAGE; break;
		case 'j': format = CLI_JSON; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Every dataset this node holds, by the name every command takes: NAME for\n"
			       "its own, SENDER/.../NAME for what it received (the sender first).\n\n"
			       "  --own, --received  only those\n"
			       "  --format FORMAT    table (default), csv (UTF-8, for a spreadsheet) or json\n"
			       "columns: name, from (own, or the sender), owner (the node that recorded it,\n"
			       "if the sender's policy says; empty where it hides the path: v-... names),\n"
			       "records, last_change (local time, or UTC with --utc), policy and purpose\n"
			       "(those it was received under)\n"), USAGE);
			fputs(_("and label: this node's own name for it ('datasets label NAME TEXT'; never sent)\n"), stdout);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(USAGE);
	x.rows = json_array();
	x.n = cli->node;
	if ((rc = strata_dataset_list(cli->node, which, add_row, &x)) == 0) {
		if (json_array_size(x.rows) == 0 && format == CLI_TABLE)
			printf(_("no datasets yet: import one with 'strata import', or receive one from a peer\n"));
		else
			rc = cli_report_print(stdout, x.rows, cols, sizeof(cols) / sizeof(*cols), format);
	}
	json_decref(x.rows);
	return rc;
}
