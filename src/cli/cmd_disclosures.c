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
	"event", "recipient", "view", "commit", "built", "sent", "via", "parcel", "policy", "policy_version",
	"policy_blob", "purpose", "shared", "name_there", "key_there", "record", "cut", "kind", "confirmed", "reason"
};

/* "name=keep,phone=mask" as {"name": "keep", "phone": "mask"} */
static json_t *shared_fields(const char *s)
{
	json_t *o = json_object();
	while (s && *s) {
		const char *eq = strchr(s, '='), *comma = strchr(s, ',');
		size_t end = comma ? (size_t)(comma - s) : strlen(s);
		if (eq && (size_t)(eq - s) < end) {
			char name[128], how[64];
			snprintf(name, sizeof(name), "%.*s", (int)(eq - s), s);
			snprintf(how, sizeof(how), "%.*s", (int)(end - (size_t)(eq - s) - 1), eq + 1);
			json_object_set_new(o, name, json_string(how));
		}
		s += end + (comma ? 1 : 0);
	}
	return o;
}

static int add_row(const strata_disclosure *d, void *payload)
{
	char built[40], sent[40], conf[40];
	json_error_t err;
	json_t *row, *rec = d->line ? json_loads(d->line, 0, &err) : NULL,
		     *key = d->key_there ? json_loads(d->key_there, 0, &err) : NULL;

	strata_time_format(built, sizeof(built), d->built);
	if (d->sent)
		strata_time_format(sent, sizeof(sent), d->sent);
	if (d->confirmed_at)
		strata_time_format(conf, sizeof(conf), d->confirmed_at);
	row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "event", d->event, "recipient", d->peer,
			"view", d->view, "built", built, "policy", d->policy_name, "policy_version", d->policy_version,
			"policy_blob", d->policy_blob, "purpose", d->purpose, "name_there", d->name_there,
			"key_there_json", d->key_there ? d->key_there : "");
	json_object_set_new(row, "commit", git_oid_is_zero(&d->commit) ? json_null() : json_string(git_oid_tostr_s(&d->commit)));
	json_object_set_new(row, "sent", d->sent ? json_string(sent) : json_null());
	json_object_set_new(row, "via", d->sent ? json_string(d->via) : json_null());
	json_object_set_new(row, "parcel", d->sent ? json_integer((json_int_t)d->sequence) : json_null());
	json_object_set_new(row, "key", key ? key : json_null());
	json_object_set_new(row, "fields", rec ? rec : json_null());
	json_object_set_new(row, "shared", d->fields ? shared_fields(d->fields) : json_null());
	json_object_set_new(row, "gone", json_boolean(d->gone));
	json_object_set_new(row, "record", json_string(d->line ? d->line : ""));
	json_object_set_new(row, "cut", d->cut[0] ? json_string(d->cut) : json_null());
	json_object_set_new(row, "kind", d->kind[0] ? json_string(d->kind) : json_null());
	json_object_set_new(row, "reason", d->reason[0] ? json_string(d->reason) : json_null());
	json_object_set_new(row, "confirmed", d->confirmed_at ? json_string(conf) : json_null());
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

static const char *str(const json_t *row, const char *k)
{
	const char *v = json_string_value(json_object_get(row, k));
	return v ? v : "";
}

static void print_shared(const json_t *row)
{
	const json_t *sh = json_object_get(row, "shared");
	const char *k;
	json_t *v;
	int first = 1;
	if (!json_is_object(sh))
		return;
	printf(_("    fields shared:"));
	json_object_foreach((json_t *)sh, k, v) {
		printf("%s %s (%s)", first ? "" : ",", k, json_string_value(v));
		first = 0;
	}
	putchar('\n');
}

static void print_text(const json_t *rows, const char *dataset, char *const *key, size_t nkey, strata_node *n)
{
	size_t i, carried = 0, peers = 0;
	const json_t *row, *last_key = NULL;
	const char *last_view = "", *last_record = NULL, *last_peer = "";

	printf(_("disclosures of a %s record at %s (key"), dataset, strata_node_name(n));
	for (size_t k = 0; k < nkey; k++)
		printf(" %s", key[k]);
	printf(")\n");
	json_array_foreach(rows, i, row) {
		const char *event = str(row, "event"), *peer = str(row, "recipient"), *view = str(row, "view");
		const char *rec = str(row, "record"), *sent = json_string_value(json_object_get(row, "sent"));
		const json_t *next = json_array_get(rows, i + 1);
		if (!strcmp(event, "erased")) {
			printf(_("\nerased here %s (erasure %s): %s\n"), str(row, "built"), str(row, "cut"), str(row, "reason"));
			continue;
		}
		if (strcmp(view, last_view) || strcmp(peer, last_peer)) {
			printf(_("\nto %s, as '%s':\n"), peer, str(row, "name_there"));
			peers += strcmp(peer, last_peer) != 0;
			last_record = NULL;
			last_key = NULL;
		}
		last_view = view;
		last_peer = peer;
		if (!strcmp(event, "removed")) {
			if (json_is_string(json_object_get(row, "cut")))
				printf(_("  removed %s: cut %s (%s); %s%s\n"), str(row, "built"), str(row, "cut"), str(row, "kind"),
				       json_is_string(json_object_get(row, "confirmed")) ? _("the recipient confirmed holding the cut ")
											  : _("not yet confirmed by the recipient"),
				       str(row, "confirmed"));
			else
				printf(_("  no longer in the view from %s (the record left it)\n"), str(row, "built"));
		} else {
			carried++;
			printf(_("  view commit %.12s built %s, "), str(row, "commit"), str(row, "built"));
			if (sent)
				printf(_("sent %s (%s, parcel %lld)\n"), sent, str(row, "via"),
				       (long long)json_integer_value(json_object_get(row, "parcel")));
			else
				printf(_("not sent yet\n"));
			printf(_("    policy %s version %s (blob %.12s), purpose: %s\n"), str(row, "policy"),
			       str(row, "policy_version"), str(row, "policy_blob"), str(row, "purpose"));
			print_shared(row);
			/* the values once per run of commits that carried the same */
			if (json_is_true(json_object_get(row, "gone")))
				printf(_("    received: (no value kept here: this version was cut since; the ledger keeps only what was sent)\n"));
			else if (!last_record || strcmp(last_record, rec))
				printf(_("    received: %s\n"), rec);
			else
				printf(_("    received: the same fields as above\n"));
			last_record = json_is_true(json_object_get(row, "gone")) ? NULL : rec;
			if (json_is_array(json_object_get(row, "key")))
				last_key = json_object_get(row, "key");
		}
		if ((!next || strcmp(str(next, "view"), view) || strcmp(str(next, "recipient"), peer)) && last_key) {
			printf(_("    continue there: strata -C <%s's node> disclosures %s"), peer, str(row, "name_there"));
			put_key(last_key);
			putchar('\n');
		}
	}
	if (carried == 0)
		printf(_("\nnever sent: no view this node built for a peer carried it\n"));
	else
		printf(_("\n%zu view commit%s to %zu recipient%s carried it\n"), carried, carried == 1 ? "" : "s", peers,
		       peers == 1 ? "" : "s");
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
			printf(_("usage: strata %s\n\n"
			       "Every view commit this node built for a peer that carried one record: to\n"
			       "whom, when built, when and how sent (the first parcel that carried it:\n"
			       "file-sealed, file (unsealed), https-push, https-pull), the policy name, version\n"
			       "and blob, the purpose, the fields shared and how, the values exactly as the\n"
			       "peer received them while this node still holds that version, and the\n"
			       "record's key there, to continue at that node with the same command.  Then\n"
			       "when it left each view (an erasure, retraction, retention or withdrawal cut,\n"
			       "and whether the recipient confirmed it), and its erasure here.  The\n"
			       "disclosure ledger keeps all this (no value) after every cut.\n\n"
			       "  DATASET          own NAME, or a received dataset by the name 'strata datasets' gives\n"
			       "  KEY              the record's key values, in the schema's key order\n"
			       "  --format FORMAT  table (default), csv (one row per view commit) or json\n"
			       "times show in the local zone, or UTC with --utc\n"), USAGE);
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
