/*
 * cmd_audit.c - strata audit log [-v] [--since DATE] [--peer P] [--json]:
 * the signed event chain, and refused input; strata audit view COMMIT:
 * recompute a view and compare.
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/replica/process.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"
#include "strata/format/json.h"
#include "strata/policy/view.h"
#include "strata/replica/evidence_view.h"
#include "strata/base/time.h"
#include "strata/base/fs.h"
#include "strata/format/name.h"
#include "strata/format/timestamp.h"
#include "strata/net/tsa.h"
#include "strata/node/journal.h"
#include "strata/node/refs.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#define USAGE "audit log [-v] [--since TIME] [--until TIME] [--peer PEER] [--event EVENT] [--request ID] [--officer NAME]\n" \
	      "                    [--format table|csv|json]\n" \
	      "       strata audit refused [--format table|csv|json]\n" \
	      "       strata audit view COMMIT|REF\n" \
	      "       strata audit view [COMMIT|REF] --evidence FILE\n" \
	      "       strata audit stamp"

typedef struct {
	int verbose, format;
	size_t count;
	int64_t since, until;	/* until 0: no end */
	const char *peer, *event;
	const char *request;	/* --request: the events of one request for data */
	const char *officer;	/* --officer: what one officer did */
	json_t *json;		/* --format json: the events, newest first */
	strata_node *n;		/* whose officers' keys check the events' signatures */
} log_ctx;

/* 1 if the event records a step of request `id` (its own events, and the exchanges that carried it) */
static int names_request(const git_commit *c, const char *id)
{
	static const char *const keys[] = { "Strata-Request: ", "Strata-Answer: ", NULL };
	const char *msg = git_commit_message(c);

	for (size_t i = 0; keys[i]; i++)
		for (const char *at = msg; (at = strstr(at, keys[i])) != NULL; at++)
			if ((at == msg || at[-1] == '\n') && !strncmp(at + strlen(keys[i]), id, strlen(id)) &&
			    strchr(" \n", at[strlen(keys[i]) + strlen(id)]))
				return 1;
	return 0;
}

/* Who answers for which part of request `id` (the Regulation's source, manager and user), as held here. */
static int print_roles(const strata_request_info *r, void *payload)
{
	const char *id = payload;

	if (strcmp(r->id, id))
		return 0;
	printf(_("request %s: %s/%s, fields"), r->id, r->owner, r->dataset);
	for (size_t i = 0; i < json_array_size(r->fields); i++)
		printf("%s%s", i ? "," : " ", json_string_value(json_array_get(r->fields, i)));
	printf(_("\n  user (requester): %s; purpose: %s; basis: %s\n"), r->from, r->purpose, r->basis);
	printf(_("  source (owner):   %s; %s%s%s\n"), r->owner, r->decision[0] ? r->decision : _("not answered"),
	       r->reason[0] ? ": " : "", r->reason);
	if (r->policy[0])
		printf(_("                    under policy %s\n"), r->policy);
	printf(_("  managers (relays): %s\n"), r->legs[0] ? r->legs : _("(seen from here: none)"));
	printf(_("  status here: %s (%s)%s%s\n\n"), r->status, r->role, r->waiting[0] ? _("; waiting on ") : "", r->waiting);
	return 1;
}

/* --format csv: one row per event, the trailers a spreadsheet user filters by */
static const char *const csv_cols[] = {
	"commit", "time", "event", "subject", "sender", "recipient", "via", "datasets", "records",
	"policy", "policy_version", "policy_blob", "purpose", "officer"
};

/* the officer an event names (officers.h), "" if none */
static void event_officer(char *out, size_t outsz, const git_commit *c)
{
	out[0] = '\0';
	if (strata_commit_trailer(c, "Strata-Officer", out, outsz))
		out[strcspn(out, " ")] = '\0';
}

/* Every value of trailer `key`, joined by "; " (a parcel names each of its views). */
static void trailer_all(strata_buf *out, const git_commit *c, const char *key, int first_word)
{
	git_message_trailer_array tr = { 0 };

	strata_buf_clear(out);
	if (git_message_trailers(&tr, git_commit_message(c)) == 0) {
		for (size_t i = 0; i < tr.count; i++) {
			const char *v = tr.trailers[i].value;
			if (strcmp(tr.trailers[i].key, key))
				continue;
			if (out->len)
				strata_buf_puts(out, "; ");
			strata_buf_put(out, v, first_word ? strcspn(v, " ") : strlen(v));
		}
		git_message_trailer_array_free(&tr);
	}
	git_error_clear();
}

static void print_csv_event(const strata_audit_event *ev, const char *when)
{
	static const char *const keys[] = { "Strata-Sender", "Strata-Recipient", "Strata-Via" };
	static const char *const policy[] = { "Strata-Policy-Name", "Strata-Policy-Version", "Strata-Policy", "Strata-Purpose" };
	char v[10][512];
	strata_buf views = STRATA_BUF_INIT;
	const char *vals[14];
	size_t k = 0;

	vals[k++] = git_oid_tostr_s(&ev->commit);
	vals[k++] = when;
	vals[k++] = ev->event;
	vals[k++] = ev->subject;
	for (size_t i = 0; i < 3; i++) {
		v[i][0] = '\0';
		strata_commit_trailer(ev->c, keys[i], v[i], sizeof(v[i]));
		vals[k++] = v[i];
	}
	/* the datasets it moved: a parcel's refs, or the one view built */
	trailer_all(&views, ev->c, "Strata-Ref", 1);
	if (!views.len)
		trailer_all(&views, ev->c, "Strata-View", 0);
	if (!views.len)
		trailer_all(&views, ev->c, "Strata-Dataset", 0);
	vals[k++] = views.len ? views.ptr : "";
	v[3][0] = '\0';
	strata_commit_trailer(ev->c, "Strata-Records", v[3], sizeof(v[3]));
	vals[k++] = v[3];
	for (size_t i = 0; i < 4; i++) {
		v[4 + i][0] = '\0';
		strata_commit_trailer(ev->c, policy[i], v[4 + i], sizeof(v[4 + i]));
		vals[k++] = v[4 + i];
	}
	event_officer(v[8], sizeof(v[8]), ev->c);
	vals[k++] = v[8];
	cli_report_csv_row(stdout, vals, k);
	strata_buf_dispose(&views);
}

/* 1 if the event names `peer` as sender, recipient or view recipient. */
static int names_peer(const git_commit *c, const char *peer)
{
	static const char *const keys[] = { "Strata-Sender", "Strata-Recipient", NULL };
	char v[128];
	for (size_t i = 0; keys[i]; i++)
		if (strata_commit_trailer(c, keys[i], v, sizeof(v)) && !strcmp(v, peer))
			return 1;
	return 0;
}

static json_t *event_json(const strata_audit_event *ev, const char *when)
{
	git_message_trailer_array tr = { 0 };
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "commit", git_oid_tostr_s(&ev->commit), "time", when,
			      "event", ev->event, "subject", ev->subject), *t = json_object();
	if (git_message_trailers(&tr, git_commit_message(ev->c)) == 0) {
		for (size_t i = 0; i < tr.count; i++) {
			json_t *a = json_object_get(t, tr.trailers[i].key);
			if (!a)
				json_object_set_new(t, tr.trailers[i].key, a = json_array());
			json_array_append_new(a, json_string(tr.trailers[i].value));
		}
		git_message_trailer_array_free(&tr);
	}
	git_error_clear();
	json_object_set_new(o, "trailers", t);
	return o;
}

static int print_event(const strata_audit_event *ev, void *payload)
{
	log_ctx *l = payload;
	char hex[GIT_OID_HEXSZ + 1], t[40], who[64];

	event_officer(who, sizeof(who), ev->c);
	if (ev->time < l->since)
		return 1;	/* newest first: the rest are older */
	if ((l->until && ev->time > l->until) || (l->peer && !names_peer(ev->c, l->peer)) ||
	    (l->event && strcmp(ev->event, l->event)) || (l->request && !names_request(ev->c, l->request)) ||
	    (l->officer && strcmp(who, l->officer)))
		return 0;
	strata_time_format(t, sizeof(t), ev->time);
	git_oid_tostr(hex, sizeof(hex), &ev->commit);
	l->count++;
	if (l->json) {
		json_t *o = event_json(ev, t);
		/* whose act it was, and whether their signature holds (officers.h) */
		if (who[0]) {
			char name[64];
			int orc = strata_officer_check_commit(l->n, &ev->commit, name, sizeof(name));
			strata_error_clear();
			json_object_set_new(o, "officer", json_string(who));
			json_object_set_new(o, "officer_signature", json_string(orc == 0 ? "good" : "bad"));
		} else {
			json_object_set_new(o, "officer", json_null());
			json_object_set_new(o, "officer_signature", json_null());
		}
		json_array_append_new(l->json, o);
		return 0;
	}
	if (l->format == CLI_CSV) {
		print_csv_event(ev, t);
		return 0;
	}
	if (who[0])
		printf(_("%.12s %s %-14s %s, by %s\n"), hex, t, ev->event, ev->subject, who);
	else
		printf("%.12s %s %-14s %s\n", hex, t, ev->event, ev->subject);
	if (l->verbose) {
		const char *msg = git_commit_message(ev->c), *body = strstr(msg, "\n\n");
		for (const char *s = body ? body + 2 : ""; *s;) {
			const char *nl = strchr(s, '\n');
			size_t len = nl ? (size_t)(nl - s) : strlen(s);
			if (len)
				printf("    %.*s\n", (int)len, s);
			s += len + (nl != NULL);
		}
	}
	return 0;
}

static void put_record(const char *label, const strata_record *r)
{
	strata_buf b = STRATA_BUF_INIT;
	strata_buf_putc(&b, '{');
	for (size_t i = 0; r && i < r->n; i++) {
		if (i)
			strata_buf_putc(&b, ',');
		strata_json_put_string(&b, r->names[i], strlen(r->names[i]));
		strata_buf_putc(&b, ':');
		strata_json_put_string(&b, r->values[i], r->lens[i]);
	}
	strata_buf_putc(&b, '}');
	printf("  %-14s %s\n", label, r ? b.ptr : "(none)");
	strata_buf_dispose(&b);
}

static int print_difference(const strata_record *in_view, const strata_record *per_policy, void *payload)
{
	(*(size_t *)payload)++;
	putchar('\n');
	put_record(_("in the view:"), in_view);
	put_record(_("per policy:"), per_policy);
	return 0;
}

static int audit_view(strata_cli *cli, const char *spec)
{
	git_object *obj = NULL;
	strata_view_audit_result res;
	char t[GIT_OID_HEXSZ + 1], rt[GIT_OID_HEXSZ + 1], s[GIT_OID_HEXSZ + 1], p[GIT_OID_HEXSZ + 1];
	git_oid id;
	size_t ndiff = 0;
	int rc;

	if (git_revparse_single(&obj, strata_node_repo(cli->node), spec) < 0)
		return strata_error_git("no such commit");
	id = *git_object_id(obj);
	git_object_free(obj);
	rc = strata_view_audit(cli->node, &id, &res, print_difference, &ndiff);
	if (rc < 0)
		return rc;
	git_oid_tostr(t, sizeof(t), &res.tree);
	git_oid_tostr(rt, sizeof(rt), &res.recomputed);
	git_oid_tostr(s, sizeof(s), &res.source);
	git_oid_tostr(p, sizeof(p), &res.policy);
	if (res.withdrawn && res.equal) {
		printf(_("view %.12s is a withdrawal: it holds no record (%s)\n"), git_oid_tostr_s(&id), res.why);
		return 0;
	}
	if (res.withdrawn)
		return strata_error_setc(STRATA_EVERIFY, "view %.12s says it is withdrawn but holds records", git_oid_tostr_s(&id));
	if (res.equal) {
		printf(_("view %.12s is exactly policy blob %.12s applied to source %.12s: tree %.12s, %zu records\n"),
		       git_oid_tostr_s(&id), p, s, t, res.records);
		return 0;
	}
	printf(_("\nview %.12s does NOT match policy blob %.12s applied to source %.12s:\n"
	       "  its tree %.12s, recomputed %.12s; %zu records differ (above)\n"),
	       git_oid_tostr_s(&id), p, s, t, rt, ndiff);
	return strata_error_setc(STRATA_EVERIFY, "view %.12s is not what its source and policy give", git_oid_tostr_s(&id));
}

static int field_row(const strata_evidence_field *f, void *payload)
{
	json_t *rows = payload, *row;
	char check[200];

	switch (f->state) {
	case STRATA_EVFIELD_AS_GIVEN: snprintf(check, sizeof(check), "%s", _("as the policy gives")); break;
	case STRATA_EVFIELD_DROPPED: snprintf(check, sizeof(check), "%s", _("absent, as the policy says")); break;
	case STRATA_EVFIELD_UNCHECKED: snprintf(check, sizeof(check), "%s", _("not checkable here")); break;
	case STRATA_EVFIELD_DIFFERS:
		if (f->expected)
			snprintf(check, sizeof(check), _("NOT what the policy gives (it gives %s)"), f->expected);
		else
			snprintf(check, sizeof(check), "%s", _("NOT what the policy gives"));
		break;
	}
	row = json_pack("{s:s, s:s, s:s, s:s, s:s}", "field", f->field, "rule", f->rule ? f->rule : _("(not shared)"),
			"source", f->source ? f->source : "-", "view", f->view ? f->view : "-", "check", check);
	if (!row || json_array_append_new(rows, row) < 0)
		return strata_error_set("out of memory");
	return 0;
}

/* audit view --evidence: a view received here, against the source and policy the builder's part brings */
static int audit_view_evidence(strata_cli *cli, const char *spec, const char *file)
{
	static const char *const cols[] = { "field", "rule", "source", "view", "check" };
	strata_evidence ev = { 0 };
	strata_evidence_view_result res;
	strata_buf in = STRATA_BUF_INIT;
	json_t *rows = json_array();
	char vhex[GIT_OID_HEXSZ + 1], shex[GIT_OID_HEXSZ + 1];
	git_object *obj = NULL;
	git_oid id;
	int rc;

	if (spec) {
		if (git_revparse_single(&obj, strata_node_repo(cli->node), spec) < 0) {
			json_decref(rows);
			return strata_error_git("no such commit");
		}
		id = *git_object_id(obj);
		git_object_free(obj);
	}
	if ((rc = strata_fs_read(&in, file, STRATA_EVIDENCE_MAX_TOTAL)) < 0 ||
	    (rc = strata_evidence_read(&ev, file, in.ptr ? in.ptr : "", in.len)) < 0)
		goto done;
	rc = strata_evidence_check_view(cli->node, &ev, spec ? &id : NULL, &res, field_row, rows);
	if ((rc < 0 && rc != STRATA_EVERIFY) || !json_array_size(rows))
		goto done;	/* refused before the record: the message says why */
	git_oid_tostr(vhex, sizeof(vhex), &res.view);
	git_oid_tostr(shex, sizeof(shex), &res.source);
	printf(_("view %.12s (%s, for %s, policy %s version %s, built by %s)\n"
		 "against its source %.12s, as the evidence '%s' brings it:\n"),
	       vhex, res.dataset, res.recipient, res.policy_name, res.policy_version, res.builder, shex, file);
	cli_report_print(stdout, rows, cols, sizeof(cols) / sizeof(*cols), CLI_TABLE);
	printf(_("%zu field(s) as the policy gives them, %zu absent as it says, %zu pseudonym(s) not checkable here\n"),
	       res.as_given, res.dropped, res.unchecked);
	if (res.unchecked)
		printf(_("a pseudonym needs %s's secret, which never leaves it: check the view there with 'strata audit view'\n"),
		       res.builder);
	printf("%s", res.filter_passes ? _("the policy's row filter lets the record through\n")
				       : _("the policy's row filter does NOT let the record through\n"));
	if (res.leaf_proven)
		printf(_("the source record: its leaf is in the evidence, its place in the source recomputed\n"));
	else
		printf(_("the source record: that the source holds it is %s's signed word (the leaf, with other people's "
			 "records, is not in the evidence)\n"), res.builder);
	if (res.min_k)
		printf(_("min_k %ld: not checkable with one record (it needs the whole source): check it at %s\n"), res.min_k,
		       res.builder);
done:
	json_decref(rows);
	strata_evidence_dispose(&ev);
	strata_buf_dispose(&in);
	return rc;
}

/* audit view COMMIT | audit view [COMMIT] --evidence FILE */
static int audit_view_cmd(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "evidence", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *file = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': file = optarg; break;
		case 'h':
			printf(_("usage: strata audit view COMMIT|REF\n"
			       "       strata audit view [COMMIT|REF] --evidence FILE\n\n"
			       "Recomputes a view commit from the source commit and policy blob its trailers\n"
			       "name, with this node's secret for that policy, in a scratch repository, and\n"
			       "compares trees: exit 0 if identical, else each differing record and exit 3.\n"
			       "Run it at the node that built the view.\n\n"
			       "With --evidence FILE, at a node that received the view: checks one record of it\n"
			       "(COMMIT: default, the view this node received that the evidence traces) against\n"
			       "the source record and the policy the builder's part of the evidence brings\n"
			       "('strata evidence export ... --continue' at the builder): each field is what the\n"
			       "policy's rule gives, dropped fields are absent, the row filter lets it through.\n"
			       "Pseudonyms and min_k need the builder's secret and data: said, not checked.\n"));
			return 0;
		default:
			return cli_usage(USAGE);
		}
	}
	if (file)
		return argc - optind > 1 ? cli_usage(USAGE) : audit_view_evidence(cli, optind < argc ? argv[optind] : NULL, file);
	if (argc - optind != 1)
		return cli_usage(USAGE);
	return audit_view(cli, argv[optind]);
}

static int audit_log(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "peer", required_argument, NULL, 'p' },
		{ "event", required_argument, NULL, 'e' },
		{ "request", required_argument, NULL, 'r' },
		{ "officer", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	log_ctx l = { 0 };
	l.n = cli->node;
	strata_buf refused = STRATA_BUF_INIT;
	int64_t now = strata_time_now();
	char *path;
	int c, rc;

	l.format = CLI_TABLE;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'v': l.verbose = 1; break;
		case 's':
		case 'u':
			if (strata_time_parse(c == 's' ? &l.since : &l.until, optarg, now,
					      c == 's' ? STRATA_TIME_START_OF_DAY : STRATA_TIME_END_OF_DAY) < 0) {
				fprintf(stderr, _("strata: --%s: %s\n"), c == 's' ? "since" : "until", strata_error_last());
				return CLI_EUSAGE;
			}
			break;
		case 'p':
			if (!strata_name_node_valid(optarg)) {
				fprintf(stderr, _("strata: --peer '%s': not a node name\n"), optarg);
				return CLI_EUSAGE;
			}
			l.peer = optarg;
			break;
		case 'e': l.event = optarg; break;
		case 'o': l.officer = optarg; break;
		case 'r':
			if (strlen(optarg) != 16 || strspn(optarg, "0123456789abcdef") != 16) {
				fprintf(stderr, _("strata: --request '%s': a request id is 16 hex digits\n"), optarg);
				return CLI_EUSAGE;
			}
			l.request = optarg;
			break;
		case 'f': if (cli_report_format(&l.format, optarg) < 0) return CLI_EUSAGE; break;
		case 'j': l.format = CLI_JSON; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "The node's signed event log, newest first, then the refused input.\n\n"
			       "  -v, --verbose     every trailer of each event\n"
			       "  --since TIME      events at or after TIME; --until TIME: at or before\n"
			       "                    (a date alone means the whole day: --until 2026-11-30\n"
			       "                    includes that day).  TIME: 2026-11-30, '2026-11-30 09:00',\n"
			       "                    with Z or +08:00, 'yesterday', '30 days ago'\n"
			       "  --peer PEER       events that name PEER as sender or recipient\n"
			       "  --event EVENT     one kind: parcel-export, parcel-import, view-build, ...\n"
			       "  --request ID      the story of one request for data: who answers for\n"
			       "                    which part, then every event that recorded a step\n"
			       "  --officer NAME    what one officer did (the events they signed)\n"
			       "  --format FORMAT   table (default), csv (one row per event, for a spreadsheet)\n"
			       "                    or json (--json)\n"
			       "times show in the local zone, or UTC with --utc\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(USAGE);
	if (l.until && l.since > l.until) {
		fprintf(stderr, _("strata: --since is after --until: no event can match\n"));
		return CLI_EUSAGE;
	}
	if (l.format == CLI_JSON)
		l.json = json_array();
	if (l.request && l.format == CLI_TABLE) {
		int found = strata_process_requests(cli->node, print_roles, (void *)l.request);
		if (found < 0) {
			json_decref(l.json);
			return found;
		}
		if (found == 0)
			return strata_error_setc(STRATA_ENOTFOUND, "no request '%s' here ('strata requests' lists them)",
						 l.request);
	}
	if (l.format == CLI_CSV)
		cli_report_csv_header(stdout, csv_cols, sizeof(csv_cols) / sizeof(*csv_cols));
	if (strata_audit_foreach(cli->node, print_event, &l) < 0) {
		json_decref(l.json);
		return STRATA_ERROR;
	}
	if (l.json) {
		json_dumpf(l.json, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(l.json);
		return 0;	/* refusals are not events: --json lists the chain only */
	}
	if (l.format == CLI_CSV)
		return 0;	/* the chain only, as --json */
	if (l.count == 0)
		printf(_("no events%s\n"), l.since || l.until || l.peer || l.event ? " match" : " yet");
	if ((path = strata_fs_path_join(strata_node_path(cli->node), STRATA_REFUSED_LOG)) == NULL)
		return STRATA_ERROR;
	rc = strata_fs_read(&refused, path, STRATA_REFUSED_LOG_MAX + 65536);
	if (rc == 0 && refused.len) {
		printf(_("\nrefused input (%s, local and unsigned: refusals change nothing in the repository):\n"), path);
		fwrite(refused.ptr, 1, refused.len, stdout);
	}
	{
		char *older = strata_fs_path_join(strata_node_path(cli->node), STRATA_REFUSED_LOG ".1");
		if (older && access(older, F_OK) == 0)
			printf(_("(older refusals, rotated out at %zu MiB: %s)\n"), STRATA_REFUSED_LOG_MAX >> 20, older);
		free(older);
	}
	strata_error_clear();
	strata_buf_dispose(&refused);
	free(path);
	return 0;
}

/*
 * audit refused: the input this node refused (refused.log, JSON Lines,
 * local and unsigned), newest first, as a report.  A line that is not
 * what strata writes is shown as it is, under "what".
 */
static int audit_refused(int argc, char **argv, strata_cli *cli)
{
	static const char *const cols[] = { "time", "event", "sender", "what", "reason" };
	strata_buf text = STRATA_BUF_INIT;
	json_t *rows = json_array();
	char *path;
	int format = CLI_TABLE, rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			format = CLI_JSON;
		else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			if (cli_report_format(&format, argv[++i]) < 0) {
				json_decref(rows);
				return CLI_EUSAGE;
			}
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf(_("usage: strata audit refused [--format table|csv|json]\n\n"
			       "The input this node refused (parcels, receipts, pushes and pulls), newest\n"
			       "first, from NODE/refused.log: local and unsigned, as refusals change nothing\n"
			       "in the repository.  --json: an array of {time, event, sender, what, reason}.\n"));
			json_decref(rows);
			return 0;
		} else {
			json_decref(rows);
			return cli_usage(USAGE);
		}
	}
	if ((path = strata_fs_path_join(strata_node_path(cli->node), STRATA_REFUSED_LOG)) == NULL) {
		json_decref(rows);
		return STRATA_ERROR;
	}
	rc = access(path, F_OK) == 0 ? strata_fs_read(&text, path, STRATA_REFUSED_LOG_MAX + 65536) : 0;	/* none yet: nothing refused */
	free(path);
	for (const char *p = text.ptr, *end = text.ptr + text.len; rc == 0 && p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_t *o = len ? json_loadb(p, len, 0, NULL) : NULL;
		if (len && (!o || !json_is_object(o))) {
			json_decref(o);
			o = json_pack("{s:n, s:n, s:n, s:s%, s:n}", "time", "event", "sender", "what", p, len, "reason");
		}
		if (o)
			json_array_insert_new(rows, 0, o);
		p = nl ? nl + 1 : NULL;
	}
	if (rc == 0 && json_array_size(rows) == 0 && format == CLI_TABLE)
		printf(_("nothing refused\n"));
	else if (rc == 0)
		rc = cli_report_print(stdout, rows, cols, sizeof(cols) / sizeof(*cols), format);
	json_decref(rows);
	strata_buf_dispose(&text);
	return rc < 0 ? rc : 0;
}

/* audit stamp: the timestamp authority's token over the log's head, as an event of the log */
static int audit_stamp(strata_cli *cli)
{
	strata_tsa *tsa = NULL;
	strata_buf token = STRATA_BUF_INIT, fpr = STRATA_BUF_INIT;
	const char *pem;
	size_t pem_len;
	git_oid head;
	char hex[GIT_OID_HEXSZ + 1], at[40];
	int64_t when = 0;
	int rc;

	if (!strata_tsa_configured(cli->node))
		return strata_error_set("this node names no timestamp authority: 'strata tsa set URL --cert FILE' first");
	if ((rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("timestamp the audit log"))) < 0 ||
	    (rc = strata_tsa_open(&tsa, cli->node)) < 0 || (rc = strata_journal_lock(cli->node)) < 0)
		goto done;
	if (git_reference_name_to_id(&head, strata_node_repo(cli->node), STRATA_REF_AUDIT) < 0) {
		git_error_clear();
		rc = strata_error_set("the audit log is empty: nothing to timestamp");
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), &head);
	pem = strata_tsa_pem(tsa, &pem_len);
	if ((rc = strata_tsa_stamp(tsa, &token, &when, hex, GIT_OID_HEXSZ)) < 0 ||
	    (rc = strata_timestamp_ca_fingerprint(&fpr, pem, pem_len)) < 0 ||
	    (rc = strata_node_load_key(cli->node)) < 0 ||
	    (rc = strata_audit_stamp(cli->node, hex, token.ptr, token.len, when, fpr.ptr)) < 0)
		goto done;
	strata_time_format(at, sizeof(at), when);
	if (!cli->quiet)
		printf(_("the audit log up to %.12s timestamped by %s at %s\n"), hex, strata_tsa_url(tsa), at);
done:
	strata_tsa_close(tsa);
	strata_buf_dispose(&token);
	strata_buf_dispose(&fpr);
	return rc;
}

int cmd_audit(int argc, char **argv, strata_cli *cli)
{
	if (argc >= 2 && !strcmp(argv[1], "view"))
		return audit_view_cmd(argc - 1, argv + 1, cli);
	if (argc >= 2 && !strcmp(argv[1], "log"))
		return audit_log(argc - 1, argv + 1, cli);
	if (argc >= 2 && !strcmp(argv[1], "refused"))
		return audit_refused(argc - 1, argv + 1, cli);
	if (argc >= 2 && !strcmp(argv[1], "stamp")) {
		if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			printf(_("usage: strata audit stamp\n\n"
			       "Asks the node's timestamp authority ('strata tsa') for a token over the audit\n"
			       "log's head and appends it to the log as a 'timestamp' event: the log up to there\n"
			       "existed then, and 'strata verify --all' refuses an event dated against it (a\n"
			       "backdated one).  Run it on a schedule (contrib/strata-stamp.timer).\n"));
			return 0;
		}
		if (argc != 2)
			return cli_usage(USAGE);
		return audit_stamp(cli);
	}
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf(_("usage: strata %s\n"), USAGE);
		return 0;
	}
	if (argc >= 2) {
		static const char *const subs[] = { "log", "refused", "stamp", "view" };
		return cli_unknown_sub("audit", argv[1], subs, sizeof(subs) / sizeof(*subs), USAGE);
	}
	return cli_usage(USAGE);
}
