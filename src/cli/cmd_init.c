/* cmd_init.c - strata init NODEDIR --name NAME --tier TIER */
#include "cli.h"
#include "strata/format/sign.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "init NODEDIR --name NAME --tier community|street|district|province|department [--display-name TEXT]"

int cmd_init(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "tier", required_argument, NULL, 't' },
		{ "display-name", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *tier = NULL, *display = NULL, *dir;
	int c, rc;

	while ((c = getopt_long(argc, argv, "n:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 't': tier = optarg; break;
		case 'D': display = optarg; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Creates a node in NODEDIR (which must not exist, or be empty): its repository,\n"
			       "node.conf and an Ed25519 node key (give keys/node.pub to its peers).\n\n"
			       "  --name NAME  the node's name: a-z, 0-9 and '-', at most 63 characters\n"
			       "  --tier TIER  community, street, district, province or department\n"), USAGE);
			fputs(_("  --display-name T  the name people read (望江社区): node names are a-z, 0-9, '-'\n"), stdout);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || !name || !tier)
		return cli_usage(USAGE);
	dir = argv[optind];
	if (display && (rc = strata_node_display_check(display)) < 0)
		return rc;	/* before anything is made */
	if ((rc = strata_node_init(dir, name, tier)) < 0)
		return rc;
	if (display && display[0]) {
		strata_node *n = NULL;
		rc = strata_node_open(&n, dir);
		if (rc == 0)
			rc = strata_node_set_display_name(n, display);
		strata_node_free(n);
		if (rc < 0)
			return rc;
	}
	if (!cli->quiet) {
		strata_node *n = NULL;
		strata_buf fpr = STRATA_BUF_INIT;
		if (strata_node_open(&n, dir) < 0 || strata_sign_pubkey_fingerprint(&fpr, strata_node_pubkey(n)) < 0) {
			strata_node_free(n);
			return STRATA_ERROR;
		}
		printf(_("created node '%s' (%s) in %s\n"
		       "  node key %s (%s/keys/node.pub)\n\n"
		       "next:\n"
		       "  give %s/keys/node.pub to each peer, and read them this fingerprint to compare\n"
		       "  (ssh-keygen -lf node.pub); pin theirs with\n"
		       "      strata -C %s peer add NAME --key THEIR-node.pub --tier TIER [--policy POLICY]\n"
		       "  keep a backup of %s/keys/node.key: a node key cannot be made again\n"),
		       name, tier, dir, fpr.ptr, dir, dir, dir, dir);
		strata_buf_dispose(&fpr);
		strata_node_free(n);
	}
	return 0;
}
