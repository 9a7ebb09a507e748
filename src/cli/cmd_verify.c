/* cmd_verify.c - strata verify: every commit reachable from refs/strata/ */
#include "cli.h"
#include "strata/commit.h"

#include <getopt.h>
#include <stdio.h>

#define USAGE "verify [--quiet]"

int cmd_verify(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	git_revwalk *walk = NULL;
	git_oid oid;
	size_t counts[4] = { 0 }, total = 0;
	int c, rc = EXIT_ERROR, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: strata %s\n", USAGE);
			return EXIT_OK;
		}
		return cli_usage(USAGE);
	}
	if (optind != argc)
		return cli_usage(USAGE);
	if (git_revwalk_new(&walk, cli->node->repo) < 0 ||
	    git_revwalk_push_glob(walk, "refs/strata/*") < 0) {
		strata_error_git("cannot walk the node's history");
		goto done;
	}
	while ((r = git_revwalk_next(&oid, walk)) == 0) {
		char hex[GIT_OID_HEXSZ + 1], signer[256];
		strata_sig_status st;
		if (strata_commit_check(&st, signer, sizeof(signer), cli->node, &oid) < 0)
			goto done;
		counts[st]++;
		total++;
		if (st != STRATA_SIG_GOOD) {
			git_oid_tostr(hex, sizeof(hex), &oid);
			printf("%s %s%s%s\n", hex, strata_sig_status_str(st), signer[0] ? ": " : "", signer);
		}
	}
	if (r != GIT_ITEROVER) {
		strata_error_git("cannot walk the node's history");
		goto done;
	}
	if (!cli->quiet || total != counts[STRATA_SIG_GOOD])
		printf("%zu commits: %zu good, %zu bad, %zu unsigned, %zu untrusted\n", total,
		       counts[STRATA_SIG_GOOD], counts[STRATA_SIG_BAD], counts[STRATA_SIG_UNSIGNED],
		       counts[STRATA_SIG_UNTRUSTED]);
	if (total != counts[STRATA_SIG_GOOD]) {
		strata_error_set("%zu of %zu commits failed verification", total - counts[STRATA_SIG_GOOD], total);
		rc = EXIT_VERIFY;
	} else {
		rc = EXIT_OK;
	}
done:
	git_revwalk_free(walk);
	return rc;
}
