/* cmd_datasets.c - strata datasets: one line per dataset this node owns */
#include "cli.h"
#include "strata/node/refs.h"

#include <stdio.h>
#include <string.h>

int cmd_datasets(int argc, char **argv, strata_cli *cli)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int rc = 0;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			printf("usage: strata datasets\n");
			return 0;
		}
		return cli_usage("datasets");
	}
	if (git_reference_iterator_glob_new(&it, strata_node_repo(cli->node), STRATA_REF_DATASETS "*") < 0) {
		strata_error_git("cannot list datasets");
		return STRATA_ERROR;
	}
	while (git_reference_next(&ref, it) == 0) {
		char hex[GIT_OID_HEXSZ + 1];
		git_commit *c = NULL;
		const git_oid *id = git_reference_target(ref);
		if (id && git_commit_lookup(&c, strata_node_repo(cli->node), id) == 0) {
			git_oid_tostr(hex, sizeof(hex), id);
			printf("%-24s %.12s %s\n", git_reference_name(ref) + strlen(STRATA_REF_DATASETS),
			       hex, git_commit_summary(c));
		}
		git_commit_free(c);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return rc;
}
