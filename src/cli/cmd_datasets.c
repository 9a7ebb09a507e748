/* cmd_datasets.c - strata datasets: one line per dataset this node owns */
#include "cli.h"
#include "strata/data/dataset.h"

#include <stdio.h>
#include <string.h>

static int print_one(const char *name, const git_commit *tip, void *payload)
{
	char hex[GIT_OID_HEXSZ + 1];

	(void)payload;
	git_oid_tostr(hex, sizeof(hex), git_commit_id(tip));
	printf("%-24s %.12s %s\n", name, hex, git_commit_summary((git_commit *)tip));
	return 0;
}

int cmd_datasets(int argc, char **argv, strata_cli *cli)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			printf("usage: strata datasets\n");
			return 0;
		}
		return cli_usage("datasets");
	}
	return strata_dataset_list(cli->node, print_one, NULL);
}
