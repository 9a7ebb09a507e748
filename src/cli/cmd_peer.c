/*
 * cmd_peer.c - peers in node.conf.
 *
 *   strata peer add NAME --key PUBKEY|FILE --tier TIER --policy POLICY [--url URL] [--direction push|pull|both]
 *   strata peer list
 *
 * A peer's key is pinned: data and parcels from it are accepted only under
 * that key.  Its policy must be committed and must name the peer (or its
 * tier) as a recipient, so nothing can be shared by a policy that was not
 * written for it.
 */
#include "cli.h"
#include "strata/policy/policy.h"
#include "strata/base/fs.h"
#include "strata/format/name.h"
#include "strata/node/peers.h"
#include "strata/node/journal.h"
#include "strata/policy/policy_store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "peer add NAME --key PUBKEY|FILE --tier TIER [--policy POLICY] [--url URL] [--direction push|pull|both]\n" \
	      "       strata peer list"

static int read_key(strata_pubkey *pk, strata_buf *line, const char *arg)
{
	if (strncmp(arg, "ssh-ed25519 ", 12) != 0) {
		if (strata_fs_read(line, arg, 4096) < 0)
			return strata_error_set("--key: '%s' is neither an ssh-ed25519 key nor a readable key file", arg);
	} else if (strata_buf_puts(line, arg) < 0) {
		return STRATA_ERROR;
	}
	if (strata_sign_pubkey_parse(pk, line->ptr) < 0)
		return strata_error_set("--key: %s", strata_error_last());
	strata_buf_clear(line);
	return strata_sign_pubkey_format(line, pk);
}

static int peer_add(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "tier", required_argument, NULL, 't' },
		{ "policy", required_argument, NULL, 'p' },
		{ "url", required_argument, NULL, 'u' },
		{ "direction", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *key = NULL, *tier = NULL, *policy = NULL, *url = NULL, *direction = "both";
	strata_peer_spec spec = { 0 };
	strata_buf line = STRATA_BUF_INIT;
	strata_policy *p = NULL;
	int c, rc = STRATA_ERROR;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 't': tier = optarg; break;
		case 'p': policy = optarg; break;
		case 'u': url = optarg; break;
		case 'd': direction = optarg; break;
		case 'h':
			printf("usage: strata peer add NAME --key PUBKEY|FILE --tier TIER [--policy POLICY] [--url URL]\n"
			       "                       [--direction push|pull|both]\n\n"
			       "Pins a peer: its node key (the line of its keys/node.pub, or that file), its\n"
			       "tier, and for a peer that receives from this node the committed policy its\n"
			       "views are built under.\n\n"
			       "  --key KEY        the peer's public key, or a file holding it\n"
			       "  --tier TIER      community, street, district, province or department\n"
			       "  --policy POLICY  the committed policy of what this node sends it\n"
			       "  --url URL        its HTTPS address, for pull, push and sync\n"
			       "  --direction D    push (this node sends), pull (it receives) or both\n");
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || !key || !tier)
		return cli_usage(USAGE);
	spec.name = argv[optind];
	spec.tier = tier;
	spec.policy = policy;
	spec.direction = direction;
	spec.url = url;
	if (read_key(&spec.key, &line, key) < 0)
		goto done;
	if (policy && (rc = strata_policy_store_load(&p, NULL, cli->node, policy)) < 0) {
		rc = strata_error_set("%s; commit it first with 'strata policy commit'", strata_error_last());
		goto done;
	}
	if (policy && !strata_policy_applies(p, spec.name, tier)) {
		rc = strata_error_set("policy '%s' does not name peer '%s' or tier '%s' as a recipient", policy, spec.name, tier);
		goto done;
	}
	if ((rc = strata_journal_lock(cli->node)) < 0 || (rc = strata_peers_add(cli->node, &spec)) < 0)
		goto done;
	if (!cli->quiet)
		printf("peer '%s' (%s): key pinned, policy '%s', direction %s%s%s\n", spec.name, tier,
		       policy ? policy : "(none: receive only)", direction,
		       url ? ", " : "", url ? url : "");
	rc = 0;
done:
	strata_policy_free(p);
	strata_buf_dispose(&line);
	return rc;
}

static int peer_list(strata_cli *cli)
{
	char **peers = NULL;
	size_t npeers = 0;
	int error;

	if ((error = strata_peers_list(&peers, &npeers, cli->node)) < 0)
		return STRATA_ERROR;
	for (size_t i = 0; i < npeers; i++) {
		strata_buf tier = STRATA_BUF_INIT, pol = STRATA_BUF_INIT;
		int has_tier = strata_peers_get(&tier, cli->node, peers[i], "tier");
		int has_pol = strata_peers_get(&pol, cli->node, peers[i], "policy");
		printf("%-24s %-10s policy=%s\n", peers[i], has_tier == 0 ? tier.ptr : "?", has_pol == 0 ? pol.ptr : "(none)");
		strata_buf_dispose(&tier);
		strata_buf_dispose(&pol);
	}
	strata_error_clear();
	strata_peers_list_free(peers);
	return 0;
}

int cmd_peer(int argc, char **argv, strata_cli *cli)
{
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return peer_add(argc - 1, argv + 1, cli);
	if (argc == 3 && !strcmp(argv[1], "list") && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		printf("usage: strata peer list\n\nThe pinned peers, one a line: name, tier, and the policy "
		       "of what this node sends it.\n");
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "list"))
		return peer_list(cli);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: strata %s\n", USAGE);
		return 0;
	}
	return cli_usage(USAGE);
}
