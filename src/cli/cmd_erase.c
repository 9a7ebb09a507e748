/*
 * cmd_erase.c - strata erase DATASET KEY... --reason TEXT: a person
 * forgotten here and, by the parcels that follow, at every tier that holds
 * them (erase.h).
 */
#include "cli.h"
#include "strata/node/journal.h"
#include "strata/node/officers.h"
#include "strata/node/pending.h"
#include "strata/replica/erase.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "erase DATASET KEY [KEY...] --reason TEXT"

static int show_parcel(const char *path, const char *peer, void *payload)
{
	int *first = payload;
	if ((*first)++ == 0)
		printf(_("parcel files strata knows of that may still hold the record (it cannot erase them: delete each "
		       "once carried, or let its recipient's receipt remove it):\n"));
	printf(_("  %s (for %s)\n"), path, peer);
	return 0;
}

int cmd_erase(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *reason = NULL;
	strata_erase_result res;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Erases one record of an own dataset, from the present and from all of its\n"
			       "history: the dataset's history is cut (a new signed root without the record),\n"
			       "every view built from it is cut the same way, and the objects that held the\n"
			       "record leave the store.  The peers' copies follow with the next parcel or sync:\n"
			       "each recipient cuts what it holds and built from it, and passes the cut on.\n"
			       "Other records keep their present values and signatures; their history before\n"
			       "the cut goes too.  The erasure's id is random, and the audit event names the\n"
			       "key only by its token under this node's record key: nothing confirms a guess\n"
			       "of whom it erased.  A kill at any point is completed by the next command\n"
			       "that writes (or 'strata doctor --repair').  Then it lists the parcel files\n"
			       "strata knows of that may still hold the record.\n\n"
			       "  KEY            the record's key values, in the schema's key order\n"
			       "  --reason TEXT  why (one line, into the audit log), like a request's number\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (argc - optind < 2 || !reason)
		return cli_usage(USAGE);
	if ((rc = cli_act(cli, STRATA_ROLE_OFFICER, _("order an erasure"))) < 0)
		return rc;
	/* four eyes (pending.h): the erasure waits for a second officer */
	if (strata_pending_required(cli->node, "erase") == 2) {
		json_t *body, *keys = json_array();
		char id[17], summary[600];
		if (!strata_officers_actor(cli->node))
			return strata_error_set("an erasure here needs two officers (node.conf approval.erase), and this node "
						"has none: 'strata officer add'");
		for (int i = optind + 1; i < argc; i++)
			json_array_append_new(keys, json_string(argv[i]));
		body = json_pack("{s:s, s:o, s:s}", "dataset", argv[optind], "keys", keys, "reason", reason);
		snprintf(summary, sizeof(summary), "erasure of one record of %s: %s", argv[optind], reason);
		if ((rc = strata_journal_lock(cli->node)) == 0)
			rc = strata_pending_propose(id, cli->node, "erase", summary, body);
		json_decref(body);
		if (rc == 0 && !cli->quiet)
			printf(_("the erasure waits for a second officer: 'strata approve %s' (or --refuse --reason)\n"), id);
		return rc;
	}
	if ((rc = strata_erase(cli->node, argv[optind], argv + optind + 1, (size_t)(argc - optind - 1), reason, &res)) < 0)
		return rc;
	if (!cli->quiet)
		printf(_("erasure %s: the record is gone from %s (%s, %zu version%s in its history); %zu view%s cut; "
		       "%zu objects kept. Its recipients follow with the next parcel or sync.\n"), res.erasure, argv[optind],
		       res.in_present ? "present" : _("in history only"), res.versions, res.versions == 1 ? "" : "s",
		       res.views_cut, res.views_cut == 1 ? "" : "s", res.objects_kept);
	{
		int first = 0;
		if ((rc = strata_erase_parcels(cli->node, argv[optind], argv + optind + 1, (size_t)(argc - optind - 1),
					       cli->quiet ? NULL : show_parcel, &first)) < 0)
			return rc;
	}
	return 0;
}
