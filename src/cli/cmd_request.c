/*
 * cmd_request.c - requests for data between nodes (process.h):
 *
 *   strata request OWNER/DATASET --fields a,b --purpose TEXT --basis TEXT
 *                  [--until DATE] [--within DAYS]
 *   strata requests [--open] [--format F | --json]
 *   strata answer ID --approve [--policy FILE] | --refuse --reason TEXT
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/base/time.h"
#include "strata/replica/process.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUEST_USAGE "request OWNER/DATASET --fields A,B --purpose TEXT --basis TEXT [--until DATE] [--within DAYS]"
#define REQUESTS_USAGE "requests [--open] [--format table|csv|json]"
#define ANSWER_USAGE "answer ID --approve [--policy FILE] | --refuse --reason TEXT"

int cmd_request(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "fields", required_argument, NULL, 'f' },
		{ "purpose", required_argument, NULL, 'p' },
		{ "basis", required_argument, NULL, 'b' },
		{ "until", required_argument, NULL, 'u' },
		{ "within", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *fields = NULL, *purpose = NULL, *basis = NULL;
	char owner[64], id[17], **list = NULL, *end;
	const char *slash;
	int64_t until = 0;
	size_t nfields = 0;
	long days = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fields = optarg; break;
		case 'p': purpose = optarg; break;
		case 'b': basis = optarg; break;
		case 'u':
			if (strata_time_parse(&until, optarg, strata_time_now(), STRATA_TIME_END_OF_DAY) < 0) {
				fprintf(stderr, _("strata: --until: %s\n"), strata_error_last());
				return CLI_EUSAGE;
			}
			break;
		case 'w':
			days = strtol(optarg, &end, 10);
			if (*end || days < 1 || days > 365) {
				fprintf(stderr, _("strata: --within takes working days, 1 to 365\n"));
				return CLI_EUSAGE;
			}
			break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Files a signed request for FIELDS of a dataset another node owns, as its\n"
			       "catalogue lists it ('strata catalog'): it travels hop by hop to the owner,\n"
			       "whose officer approves or refuses it within the deadline (10 working days,\n"
			       "or --within).  Relays see the request, never data.  'strata requests'\n"
			       "follows it.\n\n"
			       "  --fields A,B     the fields asked for\n"
			       "  --purpose TEXT   why (one line)\n"
			       "  --basis TEXT     the legal basis (one line)\n"
			       "  --until DATE     how long the data is to be kept\n"
			       "  --within DAYS    working days the owner has to answer\n"), REQUEST_USAGE);
			return 0;
		default: return cli_usage(REQUEST_USAGE);
		}
	}
	if (optind + 1 != argc || !fields || !purpose || !basis)
		return cli_usage(REQUEST_USAGE);
	if ((slash = strchr(argv[optind], '/')) == NULL || slash == argv[optind] ||
	    (size_t)(slash - argv[optind]) >= sizeof(owner)) {
		fprintf(stderr, _("strata: '%s': expected OWNER/DATASET, as 'strata catalog' lists it\n"), argv[optind]);
		return CLI_EUSAGE;
	}
	snprintf(owner, sizeof(owner), "%.*s", (int)(slash - argv[optind]), argv[optind]);
	if ((list = cli_split(fields, &nfields)) == NULL || nfields == 0) {
		cli_free_list(list);
		fprintf(stderr, _("strata: --fields names no field\n"));
		return CLI_EUSAGE;
	}
	rc = cli_act(cli, STRATA_ROLE_OFFICER, _("file a request"));
	if (rc == 0)
		rc = strata_process_request(cli->node, owner, slash + 1, list, nfields, purpose, basis, until, (int)days, id);
	cli_free_list(list);
	if (rc == 0)
		printf(_("request %s filed with %s: it goes with the next exchange ('strata requests' follows it)\n"), id, owner);
	return rc;
}

struct rows {
	json_t *rows;
	int open_only;
	strata_node *n;
};

static int add_row(const strata_request_info *r, void *payload)
{
	struct rows *x = payload;
	strata_buf fields = STRATA_BUF_INIT;
	char t[40], dl[40], until[40] = "";
	json_t *row;

	if (x->open_only && strcmp(r->status, "open") && strcmp(r->status, "overdue") && strcmp(r->status, "leg-open"))
		return 0;
	for (size_t i = 0; i < json_array_size(r->fields); i++)
		if (strata_buf_printf(&fields, "%s%s", i ? "," : "", json_string_value(json_array_get(r->fields, i))) < 0)
			return STRATA_ERROR;
	strata_time_format(t, sizeof(t), r->time);
	strata_time_format(dl, sizeof(dl), r->deadline);
	if (r->until)
		strata_time_format(until, sizeof(until), r->until);
	row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			"id", r->id, "role", r->role, "status", r->status, "from", r->from, "owner", r->owner, "dataset",
			r->dataset, "fields", fields.ptr ? fields.ptr : "", "purpose", r->purpose, "basis", r->basis,
			"filed", t, "deadline", dl, "until", until, "waiting_on", r->waiting, "decision", r->decision,
			"reason", r->reason, "policy", r->policy, "legs", r->legs, "came_by", r->via[0] ? r->via : "(here)");
	strata_buf_dispose(&fields);
	if (!row)
		return strata_error_set("out of memory");
	cli_json_nulls(row);
	if (!strcmp(r->role, "owner") && (!strcmp(r->status, "open") || !strcmp(r->status, "overdue"))) {
		strata_process_exposure e;
		if (strata_process_expose(x->n, r->id, &e) == 0) {
			char risk[800];
			snprintf(risk, sizeof(risk), _("%zu records; unique on the fields asked: %.1f%% alone, %.1f%% with what "
				 "%s already receives (%s)"), e.records, e.records ? 100.0 * e.unique / e.records : 0.0,
				 e.records ? 100.0 * e.pooled_unique / e.records : 0.0, e.peer, e.pooled_fields);
			json_object_set_new(row, "impact", json_string(risk));
		} else {
			json_object_set_new(row, "impact", json_string(strata_error_last()));
		}
	}
	json_array_append_new(x->rows, row);
	return 0;
}

int cmd_requests(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "open", no_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const cols[] = { "id", "role", "status", "from", "owner", "dataset", "fields", "deadline",
					    "waiting_on", "decision", "reason", "policy", "legs", "impact" };
	static const char *const json_cols[] = { "id", "role", "status", "from", "owner", "dataset", "fields", "purpose",
						 "basis", "filed", "deadline", "until", "waiting_on", "decision", "reason",
						 "policy", "legs", "came_by", "impact" };
	struct rows x = { NULL, 0, cli->node };
	int c, format = CLI_TABLE, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': x.open_only = 1; break;
		case 'j': format = CLI_JSON; break;
		case 'f':
			if (cli_report_format(&format, optarg) < 0)
				return CLI_EUSAGE;
			break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Requests for data this node filed (role filed), received as their owner\n"
			       "(owner) or passed on (relay), newest first: status open, overdue (past\n"
			       "its deadline unanswered), approved, refused, or leg-open (a relay's own\n"
			       "approval is due: its policy passes the fields on).  waiting_on names who\n"
			       "must act.  For a request to answer here, impact gives the owner's own\n"
			       "figures on the real data: records unique on the fields asked, alone and\n"
			       "with what the peer toward the requester already receives.\n\n"
			       "  --open       only those someone must still act on\n"
			       "  --format F   table (the default), csv or json (--json)\n"), REQUESTS_USAGE);
			return 0;
		default: return cli_usage(REQUESTS_USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(REQUESTS_USAGE);
	x.rows = json_array();
	if ((rc = strata_process_requests(cli->node, add_row, &x)) < 0) {
		json_decref(x.rows);
		return rc;
	}
	return cli_report_list(x.rows, cols, sizeof(cols) / sizeof(*cols), json_cols, sizeof(json_cols) / sizeof(*json_cols), format,
			       x.open_only ? _("no requests to act on") : _("no requests"));
}

int cmd_answer(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "approve", no_argument, NULL, 'a' },
		{ "refuse", no_argument, NULL, 'r' },
		{ "reason", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *reason = NULL, *policy = NULL;
	int c, approve = 0, refuse = 0, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': approve = 1; break;
		case 'r': refuse = 1; break;
		case 'm': reason = optarg; break;
		case 'p': policy = optarg; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Answers a request 'strata requests' lists: as its owner, or as a relay for\n"
			       "its own leg once the owner approved.  An approval needs the policy this\n"
			       "node applies for the peer toward the requester to share every field asked:\n"
			       "--policy FILE commits a new version first, which must name the request\n"
			       "under 'requests:'.  A refusal needs its reason.  The answer is signed,\n"
			       "recorded, final, and goes back with the next exchange.\n"), ANSWER_USAGE);
			return 0;
		default: return cli_usage(ANSWER_USAGE);
		}
	}
	if (optind + 1 != argc || approve == refuse || (refuse && policy))
		return cli_usage(ANSWER_USAGE);
	rc = cli_act(cli, STRATA_ROLE_OFFICER, _("answer a request"));
	if (rc == 0)
		rc = strata_process_answer(cli->node, argv[optind], approve, reason, policy);
	if (rc == 0)
		printf(_("request %s %s: the answer goes back with the next exchange\n"), argv[optind],
		       approve ? _("approved") : _("refused"));
	return rc;
}
