/* cmd_history.c - strata history DATASET KEY...: every version of one record */
#include "cli.h"
#include "strata/replica/provenance.h"
#include "strata/data/dataset.h"
#include "strata/base/time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define USAGE "history DATASET KEY [KEY...]   (DATASET: as 'strata datasets' names it)"

static int print_version(const strata_history_entry *e, void *payload)
{
	char hex[GIT_OID_HEXSZ + 1], t[40];
	(void)payload;
	strata_time_format(t, sizeof(t), e->time);
	git_oid_tostr(hex, sizeof(hex), &e->commit);
	printf("%.12s %s %-8s by %s, signature %s", hex, t, e->change, e->node[0] ? e->node : "?",
	       strata_commit_sig_status_str(e->status));
	if (e->signer[0])
		printf(e->status == STRATA_SIG_GOOD ? " (%s)" : ": %s", e->signer);
	putchar('\n');
	if (*e->line)
		printf("    %s\n", e->line);
	return 0;
}

int cmd_history(int argc, char **argv, strata_cli *cli)
{
	strata_buf ref = STRATA_BUF_INIT;
	unsigned char hash[STRATA_HASH_LEN];
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: strata %s\n\n"
		       "Every version of one record (added, changed, removed) along the dataset's\n"
		       "history, newest first, with commit, time, node and signature status.\n"
		       "KEY: the record's key values, in the schema's key order.\n", USAGE);
		return 0;
	}
	if (argc < 3)
		return cli_usage(USAGE);
	if (strata_dataset_ref(&ref, cli->node, argv[1]) < 0 || strata_provenance_key_from_args(hash, argv + 2, (size_t)argc - 2) < 0) {
		strata_buf_dispose(&ref);
		return STRATA_ERROR;
	}
	rc = strata_provenance_history(cli->node, ref.ptr, hash, print_version, NULL);
	strata_buf_dispose(&ref);
	if (rc < 0)
		return STRATA_ERROR;
	if (rc == 0) {
		strata_error_setc(STRATA_ENOTFOUND, "no record of '%s' with that key in any version", argv[1]);
		return STRATA_ERROR;
	}
	return 0;
}
