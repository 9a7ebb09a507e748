/* cmd_history.c - strata history DATASET KEY...: every version of one record */
#include "cli.h"
#include "strata/replica/provenance.h"
#include "strata/data/dataset.h"
#include "strata/base/time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define USAGE "history DATASET KEY [KEY...] [--json]   (DATASET: as 'strata datasets' names it)"

static int print_version(const strata_history_entry *e, void *payload)
{
	char hex[GIT_OID_HEXSZ + 1], t[40];
	json_t *rows = payload;
	strata_time_format(t, sizeof(t), e->time);
	git_oid_tostr(hex, sizeof(hex), &e->commit);
	if (rows) {
		json_error_t err;
		json_t *rec = *e->line ? json_loads(e->line, 0, &err) : NULL;
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s?, s:o}", "commit", hex, "time", t,
						      "change", e->change, "node", e->node[0] ? e->node : NULL, "signature",
						      strata_commit_sig_status_str(e->status), "signer",
						      e->signer[0] ? e->signer : NULL, "record", rec ? rec : json_null()));
		return 0;
	}
	printf(_("%.12s %s %-8s by %s, signature %s"), hex, t, e->change, e->node[0] ? e->node : "?",
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

	json_t *rows = NULL;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf(_("usage: strata %s\n\n"
		       "Every version of one record (added, changed, removed) along the dataset's\n"
		       "history, newest first, with commit, time, node and signature status.\n"
		       "KEY: the record's key values, in the schema's key order.\n\n"
		       "  --json   a JSON array: commit, time, change, node, signature, signer, record\n"), USAGE);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[argc - 1], "--json")) {
		rows = json_array();
		argc--;
	}
	if (argc < 3) {
		json_decref(rows);
		return cli_usage(USAGE);
	}
	if (strata_dataset_ref(&ref, cli->node, argv[1]) < 0 || strata_provenance_key_from_args(hash, argv + 2, (size_t)argc - 2) < 0) {
		strata_buf_dispose(&ref);
		json_decref(rows);
		return STRATA_ERROR;
	}
	rc = strata_provenance_history(cli->node, ref.ptr, hash, print_version, rows);
	strata_buf_dispose(&ref);
	if (rows && rc > 0) {
		json_dumpf(rows, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	}
	json_decref(rows);
	if (rc < 0)
		return STRATA_ERROR;
	if (rc == 0) {
		strata_error_setc(STRATA_ENOTFOUND, "no record of '%s' with that key in any version", argv[1]);
		return STRATA_ERROR;
	}
	return 0;
}
