/*
 * cmd_doctor.c - strata doctor [--json]: every problem the layers' checks
 * find in a node, each with where it is (FILE:LINE where there is one)
 * and its fix: node.conf, keys and their modes, an interrupted change,
 * the audit chain (node); peers' policies and the policies' secrets
 * (policy); link files and what a removed peer left (replica).  Changes
 * nothing.  Exit status 1 when it finds a problem.  Signatures are
 * 'strata verify --all''s to check: it reads every commit.
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/node/check.h"
#include "strata/policy/policy_store.h"
#include "strata/replica/link.h"
#include "strata/node/journal.h"
#include "strata/node/keys.h"
#include "strata/policy/view.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "doctor [--repair] [--json]"

static void collect(const char *where, const char *problem, const char *fix, void *payload)
{
	json_array_append_new(payload, json_pack("{s:s, s:s, s:s}", "where", where, "problem", problem, "fix", fix ? fix : ""));
}

int cmd_doctor(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "repair", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int (*const checks[])(strata_node *, strata_problem_cb, void *) = {
		strata_node_check, strata_keys_check, strata_policy_store_check, strata_link_check
	};
	json_t *problems, *v;
	int c, as_json = 0, repair = 0, rc = 0, officers;
	size_t i, count = 0;
	strata_officer *all = NULL;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = 1; break;
		case 'r': repair = 1; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Checks the node and lists every problem, with where it is (file and line) and\n"
			       "the fix: node.conf's peers (keys, tiers, directions, policies, urls, unknown\n"
			       "settings), the node key and the modes of private files, peers' policies\n"
			       "(committed, naming them), each policy's secret, an interrupted change, the\n"
			       "audit chain, link files, and what a peer removed by hand left behind.  Changes\n"
			       "nothing; exit status 1 if it found a problem.  Signatures are checked by\n"
			       "'strata verify --all'.\n\n"
			       "  --repair do first what any writer would: settle an interrupted change, and\n"
			       "           complete an interrupted history cut (an erasure: reflogs reset, views\n"
			       "           cut, the store pruned), so no object keeps what was cut; and\n"
			       "           finish an interrupted key rotation (a retired line naming the\n"
			       "           current key removed, or its missing audit event recorded)\n"
			       "  --json   {\"node\", \"ok\", \"problems\": [{\"where\", \"problem\", \"fix\"}]}\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(USAGE);
	if (repair && ((rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("repair the node"))) < 0 ||
		       (rc = strata_journal_lock(cli->node)) < 0 || (rc = strata_node_load_key(cli->node)) < 0 ||
		       (rc = strata_view_settle_interrupted(cli->node)) < 0 || (rc = strata_keys_repair(cli->node)) < 0))
		return rc;
	problems = json_array();
	for (i = 0; i < sizeof(checks) / sizeof(*checks); i++)
		if ((rc = checks[i](cli->node, collect, problems)) < 0) {
			json_decref(problems);
			return rc;
		}
	/* every officer's entry read whole: one that does not parse stops here, named */
	if ((rc = strata_officers_list(&all, &count, cli->node)) < 0) {
		json_decref(problems);
		return rc;
	}
	for (officers = 0, i = 0; i < count; i++)
		officers += !all[i].removed;
	free(all);
	if (as_json) {
		json_t *o = json_pack("{s:s, s:b, s:O, s:i}", "node", strata_node_name(cli->node), "ok",
				      json_array_size(problems) == 0, "problems", problems, "officers", officers);
		char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(o);
	} else {
		json_array_foreach(problems, i, v)
			printf(_("%s: %s\n    fix: %s\n"), json_string_value(json_object_get(v, "where")),
			       json_string_value(json_object_get(v, "problem")), json_string_value(json_object_get(v, "fix")));
		if (json_array_size(problems))
			printf(_("%zu problem%s in node %s\n"), json_array_size(problems), json_array_size(problems) == 1 ? "" : "s",
			       strata_node_name(cli->node));
		else if (!cli->quiet)
			printf(_("node %s (%s): no problems found\n"), strata_node_name(cli->node), strata_node_tier(cli->node));
		/* not a problem (nodes without officers are as they always were), but the auditor should know */
		if (!officers && !cli->quiet)
			printf(_("note: this node has no officers, so its actions are unattributed: each is the node's "
				 "own, signed by its key alone ('strata officer add' names the first, an operator)\n"));
	}
	rc = json_array_size(problems) ? strata_error_set("doctor found %zu problem%s", json_array_size(problems),
							  json_array_size(problems) == 1 ? "" : "s") : 0;
	json_decref(problems);
	return rc;
}
