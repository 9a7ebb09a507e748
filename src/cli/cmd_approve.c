/*
 * cmd_approve.c - strata approve [ID [--refuse --reason TEXT]]: four eyes
 * (pending.h).  Without an id, the changes that wait; with one, a second
 * officer makes it (or refuses it).
 */
#include "cli.h"
#include "strata/base/fs.h"
#include "strata/base/time.h"
#include "strata/node/audit.h"
#include "strata/node/journal.h"
#include "strata/node/officers.h"
#include "strata/node/pending.h"
#include "strata/policy/policy_store.h"
#include "strata/replica/erase.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USAGE "approve [--format table|csv|json]\n" \
	      "       strata approve ID [--refuse --reason TEXT]\n" \
	      "       strata approve --require erase=1|2"

static const char *const cols[] = { "id", "kind", "summary", "proposer", "created" };

int cli_pending_rows(json_t *rows, strata_node *n)
{
	strata_pending *all = NULL;
	size_t count = 0;
	int rc;

	if ((rc = strata_pending_list(&all, &count, n)) < 0)
		return rc;
	for (size_t i = 0; i < count; i++) {
		char when[40];
		strata_time_format(when, sizeof(when), all[i].created);
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", all[i].id, "kind", all[i].kind,
						      "summary", all[i].summary, "proposer", all[i].proposer, "created", when));
	}
	strata_pending_list_free(all, count);
	return (int)count;
}

/* the policy version its proposer signed, committed by the approver */
static int approve_policy(strata_cli *cli, const strata_pending *p)
{
	const char *text = json_string_value(json_object_get(p->body, "text"));
	const char *tmp = getenv("TMPDIR");
	strata_policy_commit_result res;
	char path[4096];
	int fd, rc;

	if (!text)
		return strata_error_set("pending %s: no policy text", p->id);
	snprintf(path, sizeof(path), "%s/strata-approve-XXXXXX.yaml", tmp && *tmp == '/' ? tmp : "/tmp");
	if ((fd = mkstemps(path, 5)) < 0)
		return strata_error_sys("cannot write the policy to commit");
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(path);
		return strata_error_sys("cannot write the policy to commit");
	}
	close(fd);
	rc = strata_policy_store_commit(cli->node, path, &res);
	unlink(path);
	if (rc == 0 && !cli->quiet)
		printf(_("policy %s version %ld committed (commit %.12s), proposed by %s\n"),
		       json_string_value(json_object_get(p->body, "name")),
		       (long)json_integer_value(json_object_get(p->body, "version")), git_oid_tostr_s(&res.commit),
		       p->proposer);
	return rc;
}

static int approve_erase(strata_cli *cli, const strata_pending *p)
{
	const char *dataset = json_string_value(json_object_get(p->body, "dataset"));
	const char *reason = json_string_value(json_object_get(p->body, "reason"));
	json_t *keys = json_object_get(p->body, "keys");
	const char *kv[16];
	size_t nk = json_array_size(keys);
	strata_erase_result res;
	int rc;

	if (!dataset || !reason || !nk || nk > 16)
		return strata_error_set("pending %s: not an erasure", p->id);
	for (size_t i = 0; i < nk; i++)
		if (!(kv[i] = json_string_value(json_array_get(keys, i))))
			return strata_error_set("pending %s: not an erasure", p->id);
	if ((rc = strata_erase(cli->node, dataset, (char **)kv, nk, reason, &res)) < 0)
		return rc;
	if (!cli->quiet)
		printf(_("erasure %s: the record is gone from %s (proposed by %s); its recipients follow with the next "
			 "parcel or sync\n"), res.erasure, dataset, p->proposer);
	return 0;
}

/* sets how many officers `kind` needs, journalled, with its audit event */
static int set_rule(strata_cli *cli, const char *kind, int count)
{
	strata_buf tr = STRATA_BUF_INIT;
	int rc, journalled = 0;

	if ((rc = strata_journal_conf_begin(cli->node, "approval-rule", kind, &journalled)) < 0 ||
	    (rc = strata_pending_set_required(cli->node, kind, count)) < 0 ||
	    (rc = strata_buf_printf(&tr, "Strata-Approval-Kind: %s\nStrata-Approval-Officers: %d\n", kind, count)) < 0 ||
	    (rc = strata_audit_append(cli->node, "approval-rule", "approval rule changed", tr.ptr)) < 0)
		goto done;
	strata_journal_end(cli->node);
	journalled = 0;
	if (!cli->quiet)
		printf(P_("%s now needs %d officer\n", "%s now needs %d officers\n", count), kind, count);
done:
	if (journalled)
		strata_journal_undo(cli->node);
	strata_buf_dispose(&tr);
	return rc;
}

static int approve_rule(strata_cli *cli, const strata_pending *p)
{
	const char *kind = json_string_value(json_object_get(p->body, "kind"));

	if (!kind)
		return strata_error_set("pending %s: not a rule", p->id);
	return set_rule(cli, kind, (int)json_integer_value(json_object_get(p->body, "count")));
}

/* approve --require erase=N: more officers at once, fewer only with a second officer's approval */
static int require(strata_cli *cli, const char *spec)
{
	char kind[32];
	int count, now, rc;
	json_t *body;

	if (sscanf(spec, "%31[a-z]=%d", kind, &count) != 2 || strcmp(kind, "erase") || count < 1 || count > 2)
		return strata_error_set("--require '%s': expected erase=1 or erase=2", spec);
	if ((rc = cli_act(cli, STRATA_ROLE_OFFICER, _("set how many officers a change needs"))) < 0)
		return rc;
	if (!strata_officers_actor(cli->node))
		return strata_error_set("--require: a node with no officers has no one to ask for a second approval "
					"('strata officer add')");
	now = strata_pending_required(cli->node, kind);
	if (count == now) {
		if (!cli->quiet)
			printf(P_("%s needs %d officer already\n", "%s needs %d officers already\n", count), kind, count);
		return 0;
	}
	if ((rc = strata_journal_lock(cli->node)) < 0)
		return rc;
	if (count < now) {
		char id[17];
		body = json_pack("{s:s, s:i}", "kind", kind, "count", count);
		rc = strata_pending_propose(id, cli->node, "rule", "fewer officers for an erasure", body);
		json_decref(body);
		if (rc == 0 && !cli->quiet)
			printf(_("fewer officers for %s: it waits for a second officer ('strata approve %s')\n"), kind, id);
		return rc;
	}
	return set_rule(cli, kind, count);
}

int cmd_approve(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "refuse", no_argument, NULL, 'x' },
		{ "reason", required_argument, NULL, 'r' },
		{ "require", required_argument, NULL, 'q' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *reason = NULL, *rule = NULL;
	strata_pending p = { 0 };
	int c, refuse = 0, format = CLI_TABLE, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'x': refuse = 1; break;
		case 'r': reason = optarg; break;
		case 'q': rule = optarg; break;
		case 'f':
			if (cli_report_format(&format, optarg) < 0)
				return CLI_EUSAGE;
			break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Four eyes.  A change a rule gives to two officers waits, proposed by the\n"
			       "first: a policy version that makes more visible, where the version before\n"
			       "says approval: {expose_more: 2}; an erasure, where 'approve --require\n"
			       "erase=2' says so.  Without ID: what waits.  With ID: a second officer (not\n"
			       "the one who proposed it) makes the change exactly as proposed and signed,\n"
			       "or refuses it with a reason.  Both are in the audit log under both names.\n\n"
			       "  --refuse --reason TEXT  refuse it (the reason goes to the audit log)\n"
			       "  --require erase=N       how many officers an erasure needs here (1 or 2);\n"
			       "                          fewer waits for a second officer in turn\n"),
			       USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (rule) {
		if (optind != argc || refuse || reason)
			return cli_usage(USAGE);
		return require(cli, rule);
	}
	if (optind == argc) {
		json_t *rows = json_array();
		if (refuse || reason || (rc = cli_pending_rows(rows, cli->node)) < 0) {
			json_decref(rows);
			return refuse || reason ? cli_usage(USAGE) : rc;
		}
		return cli_report_list(rows, cols, sizeof(cols) / sizeof(*cols), cols, sizeof(cols) / sizeof(*cols), format,
				       _("nothing waits for a second officer"));
	}
	if (optind + 1 != argc || (refuse && !reason) || (!refuse && reason))
		return cli_usage(USAGE);
	if ((rc = strata_pending_get(&p, cli->node, argv[optind])) < 0)
		return rc;
	if ((rc = cli_act(cli, STRATA_ROLE_OFFICER, refuse ? _("refuse a change") : _("approve a change"))) < 0 ||
	    (rc = strata_journal_lock(cli->node)) < 0)
		goto done;
	if (refuse) {
		if ((rc = strata_pending_refuse(cli->node, &p, reason)) == 0 && !cli->quiet)
			printf(_("%s refused: %s (proposed by %s)\n"), p.id, p.summary, p.proposer);
		goto done;
	}
	if ((rc = strata_pending_begin(cli->node, &p)) < 0)
		goto done;
	if (!strcmp(p.kind, "policy-commit"))
		rc = approve_policy(cli, &p);
	else if (!strcmp(p.kind, "erase"))
		rc = approve_erase(cli, &p);
	else if (!strcmp(p.kind, "rule"))
		rc = approve_rule(cli, &p);
	else
		rc = strata_error_set("pending %s: unknown kind '%s'", p.id, p.kind);
	if (rc == 0)
		rc = strata_pending_end(cli->node, &p);
	strata_officers_note(cli->node, NULL);
done:
	strata_pending_dispose(&p);
	return rc;
}
