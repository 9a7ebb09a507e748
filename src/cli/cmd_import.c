/*
 * cmd_import.c - strata import DATASET FILE [--key F[,F]] [--format csv|jsonl] [--upsert] [--schema-change]
 *                strata import PARCEL   (one argument: a parcel from a peer)
 */
#include "cli.h"
#include "strata/dataset.h"
#include "strata/replica.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define USAGE "import DATASET FILE|- [--key FIELD[,FIELD...]] [--format csv|jsonl] [--upsert] [--schema-change]\n" \
	      "       strata import PARCEL"

static int import_parcel(strata_cli *cli, const char *path)
{
	strata_parcel_result res;
	int rc = strata_parcel_import_file(cli->node, path, &res);

	if (rc < 0)
		return rc == STRATA_EVERIFY ? EXIT_VERIFY : EXIT_ERROR;
	if (!cli->quiet)
		printf("%s: parcel %llu from %s verified: %zu of %zu views moved, %zu objects\n", path,
		       (unsigned long long)res.sequence, res.peer, res.changed, res.nrefs, res.objects);
	return EXIT_OK;
}

int cmd_import(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "format", required_argument, NULL, 'f' },
		{ "upsert", no_argument, NULL, 'u' },
		{ "schema-change", no_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_import_opts o = { 0 };
	strata_import_result res;
	char **key = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int c, rc = EXIT_ERROR;

	while ((c = getopt_long(argc, argv, "k:f:uqh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			cli_free_list(key);
			if ((key = cli_split(optarg, &o.nkey)) == NULL || o.nkey == 0)
				return cli_usage(USAGE);
			o.key = key;
			break;
		case 'f': o.format = optarg; break;
		case 'u': o.upsert = 1; break;
		case 's': o.schema_change = 1; break;
		case 'q': cli->quiet = 1; break;
		case 'h': printf("usage: strata %s\n", USAGE); return EXIT_OK;
		default: cli_free_list(key); return cli_usage(USAGE);
		}
	}
	if (optind + 1 == argc && !key && !o.format && !o.upsert && !o.schema_change)
		return import_parcel(cli, argv[optind]);
	if (optind + 2 != argc) {
		cli_free_list(key);
		return cli_usage(USAGE);
	}
	o.path = argv[optind + 1];
	o.progress = !cli->quiet && isatty(STDERR_FILENO);
	if (strata_dataset_import(cli->node, argv[optind], &o, &res) == 0) {
		git_oid_tostr(hex, sizeof(hex), &res.commit);
		if (cli->quiet)
			;
		else if (res.unchanged)
			printf("%s: no changes (%zu records, commit %.12s)\n", argv[optind], res.total, hex);
		else
			printf("%s: %zu added, %zu changed, %zu removed; %zu records; commit %.12s (signed)\n",
			       argv[optind], res.added, res.changed, res.removed, res.total, hex);
		rc = EXIT_OK;
	}
	cli_free_list(key);
	return rc;
}
