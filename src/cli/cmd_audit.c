/*
 * cmd_audit.c - strata audit log [-v] [--since DATE] [--peer P] [--json]:
 * the signed event chain, and refused input; strata audit view COMMIT:
 * recompute a view and compare.
 */
#include "cli.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"
#include "strata/format/json.h"
#include "strata/policy/view.h"
#include "strata/base/enc.h"
#include "strata/base/fs.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USAGE "audit log [-v] [--since YYYY-MM-DD[THH:MM:SSZ]] [--peer PEER] [--json]\n" \
	      "       strata audit view COMMIT|REF"

typedef struct {
	int verbose;
	size_t count;
	int64_t since;
	const char *peer;
	json_t *json;		/* --json: the events, newest first */
} log_ctx;

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
	char hex[GIT_OID_HEXSZ + 1], t[32];

	if (ev->time < l->since)
		return 1;	/* newest first: the rest are older */
	if (l->peer && !names_peer(ev->c, l->peer))
		return 0;
	strata_enc_utc_stamp(t, sizeof(t), ev->time);
	git_oid_tostr(hex, sizeof(hex), &ev->commit);
	l->count++;
	if (l->json) {
		json_array_append_new(l->json, event_json(ev, t));
		return 0;
	}
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

static int parse_since(int64_t *out, const char *s)
{
	struct tm tm;
	const char *end;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *end) {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL || *end)
			return -1;
	}
	*out = (int64_t)timegm(&tm);
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
	put_record("in the view:", in_view);
	put_record("per policy:", per_policy);
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
	if (res.equal) {
		printf("view %.12s is exactly policy blob %.12s applied to source %.12s: tree %.12s, %zu records\n",
		       git_oid_tostr_s(&id), p, s, t, res.records);
		return 0;
	}
	printf("\nview %.12s does NOT match policy blob %.12s applied to source %.12s:\n"
	       "  its tree %.12s, recomputed %.12s; %zu records differ (above)\n",
	       git_oid_tostr_s(&id), p, s, t, rt, ndiff);
	return strata_error_setc(STRATA_EVERIFY, "view %.12s is not what its source and policy give", git_oid_tostr_s(&id));
}

int cmd_audit(int argc, char **argv, strata_cli *cli)
{
	log_ctx l = { 0, 0, 0, NULL, NULL };
	strata_buf refused = STRATA_BUF_INIT;
	char *path;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "view"))
		return audit_view(cli, argv[2]);
	if (argc < 2 || strcmp(argv[1], "log")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("usage: strata %s\n", USAGE);
			return 0;
		}
		return cli_usage(USAGE);
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			l.verbose = 1;
		} else if (!strcmp(argv[i], "--json")) {
			l.json = json_array();
		} else if (!strcmp(argv[i], "--since") && i + 1 < argc) {
			if (parse_since(&l.since, argv[++i]) < 0) {
				json_decref(l.json);
				fprintf(stderr, "strata: --since '%s': use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)\n", argv[i]);
				return CLI_EUSAGE;
			}
		} else if (!strcmp(argv[i], "--peer") && i + 1 < argc) {
			l.peer = argv[++i];
		} else {
			json_decref(l.json);
			return cli_usage(USAGE);
		}
	}
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
	if (l.count == 0)
		printf("no events%s\n", l.since || l.peer ? " match" : " yet");
	if ((path = strata_fs_path_join(strata_node_path(cli->node), STRATA_REFUSED_LOG)) == NULL)
		return STRATA_ERROR;
	rc = strata_fs_read(&refused, path, STRATA_REFUSED_LOG_MAX + 65536);
	if (rc == 0 && refused.len) {
		printf("\nrefused input (%s, local and unsigned: refusals change nothing in the repository):\n", path);
		fwrite(refused.ptr, 1, refused.len, stdout);
		if (refused.len >= STRATA_REFUSED_LOG_MAX)
			printf("(%s is full: later refusals were not recorded)\n", path);
	}
	strata_error_clear();
	strata_buf_dispose(&refused);
	free(path);
	return 0;
}
