/*
 * cmd_disclosures.c - strata disclosures DATASET KEY... [--format table|csv|json]:
 * to whom this node sent one record, when, how, under which policy and
 * purpose, with the fields as each peer received them and the key it has
 * there (PIPL articles 44-45: a person's right to know who holds their data).
 */
#include "cli.h"
#include "strata/replica/provenance.h"
#include "strata/base/time.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "disclosures DATASET KEY [KEY...] [--format table|csv|json]"

static const char *const cols[] = {
	"recipient", "view", "commit", "built", "sent", "via", "parcel", "policy", "policy_version",
	"policy_blob", "purpose", "name_there", "key_there", "record"
};

static int add_row(const strata_disclosure *d, void *payload)
{
	char built[40], sent[40];
	json_error_t err;
	json_t *row, *rec = json_loads(d->line, 0, &err), *key = json_loads(d->key_there, 0, &err);

	strata_time_format(built, sizeof(built), d->built);
	if (d->sent)
		strata_time_format(sent, sizeof(sent), d->sent);
	row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "recipient", d->peer, "view", d->view,
			"commit", git_oid_tostr_s(&d->commit), "built", built, "policy", d->policy_name,
			"policy_version", d->policy_version, "policy_blob", d->policy_blob, "purpose", d->purpose,
			"name_there", d->name_there, "key_there_json", d->key_there);
	json_object_set_new(row, "sent", d->sent ? json_string(sent) : json_null());
	json_object_set_new(row, "via", d->sent ? json_string(d->via) : json_null());
	json_object_set_new(row, "parcel", d->sent ? json_integer((json_int_t)d->sequence) : json_null());
	json_object_set_new(row, "key", key ? key : json_null());
	json_object_set_new(row, "fields", rec ? rec : json_null());
	json_object_set_new(row, "record", json_string(d->line));
	json_array_append_new(payload, row);
	return 0;
}

/* The key values shell-quoted, as the next command takes them. */
static void put_key(const json_t *key)
{
	size_t i;
	json_t *v;
	json_array_foreach(key, i, v) {
		const char *s = json_string_value(v);
		fputs(" '", stdout);
		for (; s && *s; s++)
			*s == '\'' ? fputs("'\\''", stdout) : putchar(*s);
		putchar('\'');
	}
}

static void print_text(const json_t *rows, const char *dataset, char *const *key, size_t nkey, strata_node *n)
{
	size_t i, peers = 0;
	const json_t *row;
	const char *last_peer = "", *last_record = NULL;

	printf("disclosures of a %s record at %s (key", dataset, strata_node_name(n));
	for (size_t k = 0; k < nkey; k++)
		printf(" %s", key[k]);
	printf(")\n");
	json_array_foreach(rows, i, row) {
		const char *peer = json_string_value(json_object_get(row, "recipient"));
		const char *rec = json_string_value(json_object_get(row, "record"));
		const char *sent = json_string_value(json_object_get(row, "sent"));
		peers += strcmp(peer, last_peer) != 0;
		if (strcmp(peer, last_peer)) {
			printf("\nto %s, as '%s':\n", peer, json_string_value(json_object_get(row, "name_there")));
			last_record = NULL;
		}
		printf("  view commit %.12s built %s, ", json_string_value(json_object_get(row, "commit")),
		       json_string_value(json_object_get(row, "built")));
		if (sent)
			printf("sent %s (%s, parcel %lld)\n", sent, json_string_value(json_object_get(row, "via")),
			       (long long)json_integer_value(json_object_get(row, "parcel")));
		else
			printf("not sent yet\n");
		printf("    policy %s version %s (blob %.12s), purpose: %s\n",
		       json_string_value(json_object_get(row, "policy")),
		       json_string_value(json_object_get(row, "policy_version")),
		       json_string_value(json_object_get(row, "policy_blob")),
		       json_string_value(json_object_get(row, "purpose")));
		/* the fields once per run of commits that carried the same */
		if (!last_record || strcmp(last_record, rec))
			printf("    received: %s\n", rec);
		else
			printf("    received: the same fields as above\n");
		last_record = rec;
		last_peer = peer;
		if (i + 1 == json_array_size(rows) ||
		    strcmp(json_string_value(json_object_get(json_array_get(rows, i + 1), "recipient")), peer)) {
			printf("    continue there: strata -C <%s's node> disclosures %s", peer,
			       json_string_value(json_object_get(row, "name_there")));
			put_key(json_object_get(row, "key"));
			putchar('\n');
		}
	}
	if (json_array_size(rows) == 0)
		printf("\nnever sent: no view this node built for a peer carried it\n");
	else
		printf("\n%zu view commit%s to %zu recipient%s carried it\n", json_array_size(rows),
		       json_array_size(rows) == 1 ? "" : "s", peers, peers == 1 ? "" : "s");
}

int cmd_disclosures(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, format = CLI_TABLE, rc;
	json_t *rows;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': if (cli_report_format(&format, optarg) < 0) return CLI_EUSAGE; break;
		case 'j': format = CLI_JSON; break;
		case 'h':
			printf("usage: strata %s\n\n"
			       "Every view commit this node built for a peer that carried one record: to\n"
			       "whom, when built, when and how sent (the first parcel that carried it:\n"
			       "file-sealed, file (unsealed), https-push, https-pull), the policy name, version\n"
			       "and blob, the purpose, the\n"
			       "fields exactly as the peer received them, and the record's key there, to\n"
			       "continue at that node with the same command.\n\n"
			       "  DATASET          own NAME, or a received dataset by the name 'strata datasets' gives\n"
			       "  KEY              the record's key values, in the schema's key order\n"
			       "  --format FORMAT  table (default), csv (one row per view commit) or json\n"
			       "times show in the local zone, or UTC with --utc\n", USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (argc - optind < 2)
		return cli_usage(USAGE);
	rows = json_array();
	rc = strata_provenance_disclosures(cli->node, argv[optind], argv + optind + 1, (size_t)(argc - optind - 1),
					   add_row, rows);
	if (rc >= 0) {
		if (format == CLI_TABLE) {
			print_text(rows, argv[optind], argv + optind + 1, (size_t)(argc - optind - 1), cli->node);
		} else {
			if (format == CLI_CSV) {
				size_t i;
				json_t *row;
				json_array_foreach(rows, i, row)	/* the key as its JSON array: one cell */
					json_object_set(row, "key_there", json_object_get(row, "key_there_json"));
			}
			json_t *out = rows;
			if (format == CLI_JSON) {
				size_t i;
				json_t *row;
				json_array_foreach(rows, i, row) {
					json_object_del(row, "key_there_json");
					json_object_del(row, "record");
				}
				out = json_pack("{s:s, s:s, s:O}", "node", strata_node_name(cli->node), "dataset",
						argv[optind], "disclosures", rows);
			}
			rc = cli_report_print(stdout, out, cols, sizeof(cols) / sizeof(*cols), format);
			if (out != rows)
				json_decref(out);
		}
		rc = rc < 0 ? rc : 0;
	}
	json_decref(rows);
	return rc;
}
