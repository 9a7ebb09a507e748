/* cmd_init.c - strata init NODEDIR --name NAME --tier TIER */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "init NODEDIR --name NAME --tier community|street|district|province|department"

int cmd_init(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "tier", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *tier = NULL, *dir;
	int c;

	while ((c = getopt_long(argc, argv, "n:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 't': tier = optarg; break;
		case 'h':
			printf("usage: strata %s\n\n"
			       "Creates a node in NODEDIR (which must not exist, or be empty): its repository,\n"
			       "node.conf and an Ed25519 node key (give keys/node.pub to its peers).\n\n"
			       "  --name NAME  the node's name: a-z, 0-9 and '-', at most 63 characters\n"
			       "  --tier TIER  community, street, district, province or department\n", USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || !name || !tier)
		return cli_usage(USAGE);
	dir = argv[optind];
	if (strata_node_init(dir, name, tier) < 0)
		return STRATA_ERROR;
	if (!cli->quiet)
		printf("created node '%s' (%s) in %s\n", name, tier, dir);
	return 0;
}
