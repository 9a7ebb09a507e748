/* cmd_view.c - strata view build [--peer P] */
#include "cli.h"
#include "strata/policy/view.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "view build [--peer PEER] [--full]"

static void report(const strata_view_result *r, void *payload)
{
	strata_cli *cli = payload;
	char hex[GIT_OID_HEXSZ + 1];
	if (cli->quiet)
		return;
	git_oid_tostr(hex, sizeof(hex), &r->commit);
	printf("%s/%s: %zu records, %s %.12s", r->peer, r->name, r->records,
	       r->unchanged ? "unchanged" : r->incremental ? "signed commit (incremental)" : "signed commit", hex);
	if (r->suppressed)
		printf(" (%zu records in classes below the policy's min_k left out)", r->suppressed);
	putchar('\n');
}

int cmd_view(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "full", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *peer = NULL;
	int c, full = 0;

	if (argc < 2 || strcmp(argv[1], "build")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("usage: strata %s\n", USAGE);
			return 0;
		}
		return cli_usage(USAGE);
	}
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p') {
			peer = optarg;
		} else if (c == 'f') {
			full = 1;
		} else if (c == 'h') {
			printf("usage: strata %s\n\n"
			       "Builds, for each peer with a policy (or only PEER), the redacted view of every\n"
			       "dataset the policy shares, own and received: from the previous view and the\n"
			       "records that changed when it can, as signed commits on refs/strata/views/.\n\n"
			       "  --peer PEER  only the views for PEER\n"
			       "  --full       rebuild from every record (the same tree: a check)\n", USAGE);
			return 0;
		} else {
			return cli_usage(USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(USAGE);
	return strata_view_build(cli->node, peer, full, report, cli);
}
