/*
 * cmd_catalog.c - strata catalog [--search TEXT] [--format F | --json]: the
 * datasets this node and every node whose catalogue reached it offer;
 * strata catalog describe DATASET [...]: an officer describes an own
 * dataset (process.h).
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/base/time.h"
#include "strata/replica/process.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "catalog [--search TEXT] [--format table|csv|json]\n" \
	"       strata catalog describe DATASET [--title T] [--description D] [--attribute open|conditional|closed]\n" \
	"              [--frequency F] [--contact C] [--label FIELD=LABEL]... [--class FIELD=CLASS]...\n" \
	"              [--auto-approve TIERS --auto-fields FIELDS | --no-auto-approve]"

struct rows {
	json_t *rows;
	const char *search;
};

static int matches(const char *s, const char *needle)
{
	return s && strcasestr(s, needle) != NULL;
}

static int add_row(const strata_catalog_entry *e, void *payload)
{
	struct rows *x = payload;
	const json_t *fs = json_object_get(e->entry, "fields");
	strata_buf fields = STRATA_BUF_INIT;
	json_t *labels = json_object();
	char t[40];
	int hit = !x->search;

	for (size_t i = 0; i < json_array_size(fs); i++) {
		const char *name = json_string_value(json_object_get(json_array_get(fs, i), "name"));
		const char *label = json_string_value(json_object_get(json_array_get(fs, i), "label"));
		const char *class = json_string_value(json_object_get(json_array_get(fs, i), "class"));
		if (name && label && *label)
			json_object_set_new(labels, name, json_string(label));
		if (strata_buf_printf(&fields, "%s%s", i ? ", " : "", name) < 0 ||
		    (label && *label && strata_buf_printf(&fields, " (%s)", label) < 0) ||
		    (class && *class && strata_buf_printf(&fields, " [%s]", class) < 0)) {
			strata_buf_dispose(&fields);
			json_decref(labels);
			return STRATA_ERROR;
		}
		hit = hit || matches(name, x->search) || matches(label, x->search);
	}
	hit = hit || matches(e->owner, x->search) || matches(e->dataset, x->search) ||
	      matches(json_string_value(json_object_get(e->entry, "title")), x->search) ||
	      matches(json_string_value(json_object_get(e->entry, "description")), x->search);
	if (hit) {
		strata_time_format(t, sizeof(t), e->time);
		json_array_append_new(x->rows, json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:s, s:O, s:O, s:O, s:s, s:s, s:s, s:O}",
							 "owner", e->owner, "tier", e->tier, "dataset", e->dataset,
							 "title", json_object_get(e->entry, "title"), "attribute",
							 json_object_get(e->entry, "attribute"), "records",
							 json_object_get(e->entry, "records"), "fields",
							 fields.ptr ? fields.ptr : "", "frequency",
							 json_object_get(e->entry, "frequency"), "contact",
							 json_object_get(e->entry, "contact"), "description",
							 json_object_get(e->entry, "description"), "path", e->path,
							 "via", e->via[0] ? e->via : "(own)", "as_of", t, "labels", labels));
		cli_json_nulls(json_array_get(x->rows, json_array_size(x->rows) - 1));
	}
	strata_buf_dispose(&fields);
	json_decref(labels);
	return 0;
}

static int add_pair(char ***list, size_t *n, const char *arg)
{
	char **l = realloc(*list, (*n + 2) * sizeof(char *));
	if (!l || !(l[*n] = strdup(arg)))
		return strata_error_set("out of memory");
	l[++*n] = NULL;
	*list = l;
	return 0;
}

static int describe(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "title", required_argument, NULL, 't' },
		{ "description", required_argument, NULL, 'd' },
		{ "attribute", required_argument, NULL, 'a' },
		{ "frequency", required_argument, NULL, 'f' },
		{ "contact", required_argument, NULL, 'c' },
		{ "label", required_argument, NULL, 'l' },
		{ "class", required_argument, NULL, 'k' },
		{ "auto-approve", required_argument, NULL, 'A' },
		{ "auto-fields", required_argument, NULL, 'F' },
		{ "no-auto-approve", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 }
	};
	strata_process_description d;
	int c, rc;

	memset(&d, 0, sizeof(d));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': d.title = optarg; break;
		case 'd': d.description = optarg; break;
		case 'a': d.attribute = optarg; break;
		case 'f': d.frequency = optarg; break;
		case 'c': d.contact = optarg; break;
		case 'l':
			if (add_pair(&d.labels, &d.nlabels, optarg) < 0)
				return STRATA_ERROR;
			break;
		case 'k':
			if (add_pair(&d.classes, &d.nclasses, optarg) < 0)
				return STRATA_ERROR;
			break;
		case 'A':
			cli_free_list(d.auto_tiers);
			d.auto_tiers = cli_split(optarg, &d.nauto_tiers);
			d.set_auto = 1;
			break;
		case 'F':
			cli_free_list(d.auto_fields);
			d.auto_fields = cli_split(optarg, &d.nauto_fields);
			d.set_auto = 1;
			break;
		case 'N':
			d.set_auto = 1;
			break;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || (d.set_auto && (!d.nauto_tiers) != (!d.nauto_fields))) {
		cli_free_list(d.labels);
		cli_free_list(d.classes);
		cli_free_list(d.auto_tiers);
		cli_free_list(d.auto_fields);
		return cli_usage(USAGE);
	}
	rc = cli_act(cli, STRATA_ROLE_OFFICER, _("describe a dataset"));
	if (rc == 0)
		rc = strata_process_describe(cli->node, argv[optind], &d);
	if (rc == 0 && !cli->quiet)
		printf(_("described %s in the catalogue (it goes to the peers with the next exchange)\n"), argv[optind]);
	cli_free_list(d.labels);
	cli_free_list(d.classes);
	cli_free_list(d.auto_tiers);
	cli_free_list(d.auto_fields);
	return rc;
}

int cmd_catalog(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "search", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const cols[] = { "owner", "tier", "dataset", "title", "attribute", "records", "fields",
					    "frequency", "contact", "path", "as_of" };
	static const char *const json_cols[] = { "owner", "tier", "dataset", "title", "attribute", "records", "fields",
						 "frequency", "contact", "description", "path", "via", "as_of", "labels" };
	struct rows x = { NULL, NULL };
	int c, format = CLI_TABLE, rc;

	if (argc > 1 && !strcmp(argv[1], "describe"))
		return describe(argc - 1, argv + 1, cli);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': x.search = optarg; break;
		case 'j': format = CLI_JSON; break;
		case 'f':
			if (cli_report_format(&format, optarg) < 0)
				return CLI_EUSAGE;
			break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "The data catalogue: every dataset this node owns, and every dataset of the\n"
			       "nodes whose catalogues reached it with the exchanges (relayed from tier to\n"
			       "tier), each with its owner, its sharing attribute (open, conditional,\n"
			       "closed), a rounded record count, its fields, the path it came by and the\n"
			       "time its owner signed it.  No values.  A dataset its officer has not\n"
			       "described is listed as conditional, with its field names only.\n\n"
			       "  --search TEXT  only entries whose owner, name, title, description, field\n"
			       "                 or label holds TEXT\n"
			       "  --format F     table (the default), csv or json (--json)\n\n"
			       "catalog describe commits a description of an own dataset (an audit event):\n"
			       "its title, description, attribute, update frequency, contact role, and\n"
			       "each field's label and classification (--label id_number=公民身份号码).\n"
			       "For an open dataset, --auto-approve TIERS --auto-fields FIELDS is a standing\n"
			       "rule: a request from those tiers for those fields is approved as it comes\n"
			       "(when the policy toward the requester shares them), each recorded.\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(USAGE);
	x.rows = json_array();
	if ((rc = strata_process_catalog(cli->node, add_row, &x)) < 0) {
		json_decref(x.rows);
		return rc;
	}
	return cli_report_list(x.rows, cols, sizeof(cols) / sizeof(*cols), json_cols, sizeof(json_cols) / sizeof(*json_cols), format,
			       x.search ? _("nothing in the catalogue matches") :
			       _("the catalogue is empty: no dataset here, and no catalogue came from a peer yet"));
}
