/*
 * cmd_remote.c - replication over HTTPS with peers that run 'strata serve'.
 *
 *   strata pull PEER [--limit-rate BYTES] [--timeout SECONDS]
 *   strata push PEER [...]
 *   strata sync [PEER...] [...]     each peer with a url, per its direction:
 *                                   pull, push, or both (pull first)
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/net/remote.h"
#include "strata/node/peers.h"
#include "strata/replica/link.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USAGE_PULL "pull PEER [--limit-rate BYTES] [--timeout SECONDS] [--json]"
#define USAGE_PUSH "push PEER [--limit-rate BYTES] [--timeout SECONDS] [--json]"
#define USAGE_SYNC "sync [PEER...] [--limit-rate BYTES] [--timeout SECONDS] [--json]"

static json_t *json_rows;	/* --json: one object per exchange */

static void report(const strata_cli *cli, const char *verb, const char *peer, const strata_parcel_result *res)
{
	if (json_rows) {
		json_array_append_new(json_rows, json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:n}", "peer", peer,
							   "verb", verb, "up_to_date", res->uptodate, "sequence",
							   (json_int_t)res->sequence, "views", (json_int_t)res->nrefs,
							   "changed", (json_int_t)res->changed, "objects", (json_int_t)res->objects,
							   "bytes", (json_int_t)res->bytes, "error"));
		return;
	}
	if (cli->quiet)
		return;
	if (res->uptodate)
		printf(_("%s %s: up to date (%zu views)\n"), verb, peer, res->nrefs);
	else
		printf(_("%s %s: parcel %llu, %zu of %zu views changed, %zu objects, %zu bytes\n"), verb, peer,
		       (unsigned long long)res->sequence, res->changed, res->nrefs, res->objects, res->bytes);
}

static int one(strata_remote *r, const strata_cli *cli, int push, const char *peer)
{
	strata_parcel_result res;
	int rc;

	/* the seconds before the first byte: asking what the peer holds, building the views and the parcel */
	cli_progress(cli, push ? _("push %s: asking what it holds, building its views and the parcel...") :
			       _("pull %s: asking for what its views hold for this node..."), peer);
	rc = push ? strata_remote_push(r, peer, &res) : strata_remote_pull(r, peer, &res);
	cli_progress_done(cli);

	if (rc < 0)
		return rc;
	report(cli, push ? "push" : "pull", peer, &res);
	return 0;
}

/* 1 if this node only receives from `peer` (its direction lets nothing go to it). */
static int receive_only(strata_node *n, const char *peer)
{
	int only = strata_link_allows(n, peer, 1) < 0;
	strata_error_clear();
	return only;
}

/* What sync does with a peer: 1 pull, 2 push, 3 both, 0 nothing (no url). */
static int sync_plan(strata_node *n, const char *peer)
{
	strata_buf url = STRATA_BUF_INIT;
	int plan = 0;

	if (strata_peers_get(&url, n, peer, "url") == 0)
		plan = (strata_link_allows(n, peer, 0) == 0 ? 1 : 0) | (strata_link_allows(n, peer, 1) == 0 ? 2 : 0);
	strata_error_clear();
	strata_buf_dispose(&url);
	return plan;
}

int cmd_remote(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "limit-rate", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *verb = argv[0];
	const char *usage = !strcmp(verb, "pull") ? USAGE_PULL : !strcmp(verb, "push") ? USAGE_PUSH : USAGE_SYNC;
	strata_remote_opts o = { 0, 0, 60 };
	strata_remote *r = NULL;
	char **peers = NULL;
	size_t rate;
	size_t npeers = 0, failed = 0, done = 0;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (cli_size(&rate, "--limit-rate", optarg, 1024, (size_t)1 << 40) < 0)
				return CLI_EUSAGE;
			o.limit_rate = (long)rate;
			break;
		case 't':
			if (cli_seconds(&o.timeout, "--timeout", optarg) < 0)
				return CLI_EUSAGE;
			break;
		case 'j':
			if (!json_rows)
				json_rows = json_array();
			break;
		case 'h':
			printf(_("usage: strata %s\n\n%s\n\n"
			       "  --limit-rate BYTES  at most this many bytes a second, like 500K\n"
			       "  --timeout SECONDS   give up on a peer after this long without progress\n"
			       "  --json              a JSON array, one object per exchange: peer, verb, up_to_date,\n"
			       "                      sequence, views, changed, objects, bytes, error (null, or why)\n"), usage,
			       !strcmp(verb, "pull") ? _("Fetches, over HTTPS, what PEER's views hold for this node, and imports it.") :
			       !strcmp(verb, "push") ? _("Sends PEER, over HTTPS, what this node's views hold for it.") :
			       _("Pulls and pushes with every peer that has a url (or those named), as each\n"
			       "peer's direction says; goes on past a failing peer and exits 1 if any failed."));
			return 0;
		default: return cli_usage(usage);
		}
	}
	if (strcmp(verb, "sync") && optind + 1 != argc)
		return cli_usage(usage);
	if ((rc = cli_act(cli, STRATA_ROLE_OPERATOR, !strcmp(verb, "sync") ? _("sync with peers") :
							!strcmp(verb, "push") ? _("push to a peer") : _("pull from a peer"))) < 0)
		return rc;
	o.progress = !cli->quiet && isatty(STDERR_FILENO);
	if (!strcmp(verb, "sync") && optind == argc) {
		if ((rc = strata_peers_list(&peers, &npeers, cli->node)) < 0)
			return rc;
	}
	if (strata_remote_open(&r, cli->node, &o) < 0) {
		strata_peers_list_free(peers);
		return STRATA_ERROR;
	}
	if (strcmp(verb, "sync")) {
		if ((rc = one(r, cli, !strcmp(verb, "push"), argv[optind])) < 0 && json_rows)
			json_array_append_new(json_rows, json_pack("{s:s, s:s, s:s}", "peer", argv[optind], "verb", verb, "error",
								   strata_error_last()));
		goto out;
	}
	for (size_t i = 0; i < (peers ? npeers : (size_t)(argc - optind)); i++) {
		const char *peer = peers ? peers[i] : argv[optind + i];
		int plan = sync_plan(cli->node, peer);
		if (!plan) {
			if (!peers) {
				strata_buf tier = STRATA_BUF_INIT;
				if (strata_peers_get(&tier, cli->node, peer, "key") == STRATA_ENOTFOUND) {
					strata_peers_unknown(cli->node, peer);
					fprintf(stderr, "strata: %s\n", strata_error_last());
				} else {
					fprintf(stderr, _("strata: sync %s: it has no url in node.conf\n"), peer);
				}
				strata_buf_dispose(&tier);
				failed++;
				done++;	/* asked for by name: it counts as an exchange that failed */
			} else if (!cli->quiet && !json_rows && !receive_only(cli->node, peer)) {
				/* a peer that only sends to this node has nothing to do here: no line for it */
				printf(_("sync %s: skipped, no url (parcels only)\n"), peer);
			}
			continue;
		}
		for (int push = 0; push < 2; push++) {
			if (!(plan & (push ? 2 : 1)))
				continue;
			done++;
			if (one(r, cli, push, peer) < 0) {
				fprintf(stderr, _("strata: %s\n"), strata_error_last());
				if (json_rows)
					json_array_append_new(json_rows, json_pack("{s:s, s:s, s:s}", "peer", peer, "verb",
										   push ? "push" : "pull", "error",
										   strata_error_last()));
				failed++;
			}
		}
	}
	if (failed) {
		strata_error_set("sync: %zu of %zu exchanges failed", failed, done);
		rc = STRATA_ERROR;
	}
out:
	strata_remote_close(r);
	strata_peers_list_free(peers);
	if (json_rows) {
		json_dumpf(json_rows, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(json_rows);
		json_rows = NULL;
	}
	return rc;
}
