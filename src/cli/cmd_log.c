/* cmd_log.c - strata log DATASET [-n N] [--oneline] [--json] */
#include "cli.h"
#include "strata/node/commit.h"
#include "strata/data/dataset.h"
#include "strata/base/time.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USAGE "log DATASET [-n N] [--oneline] [--json] [--since TIME] [--until TIME]   (DATASET: as 'strata datasets' names it)"

/* In the local zone (or UTC with --utc), as every strata command prints times. */
static void print_time(const git_time *t)
{
	char buf[40];
	strata_time_format(buf, sizeof(buf), (int64_t)t->time);
	fputs(buf, stdout);
}

int cmd_log(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "max-count", required_argument, NULL, 'n' },
		{ "oneline", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	git_commit *c = NULL, *parent = NULL;
	long max = -1, shown = 0;
	int64_t since = 0, until = 0, now = strata_time_now();
	int oneline = 0, as_json = 0, opt, rc = 0, error;
	json_t *rows = NULL;

	while ((opt = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': max = strtol(optarg, NULL, 10); break;
		case 'o': oneline = 1; break;
		case 'j': as_json = 1; break;
		case 's':
		case 'u':
			if (strata_time_parse(opt == 's' ? &since : &until, optarg, now,
					      opt == 's' ? STRATA_TIME_START_OF_DAY : STRATA_TIME_END_OF_DAY) < 0) {
				fprintf(stderr, _("strata: --%s: %s\n"), opt == 's' ? "since" : "until", strata_error_last());
				return CLI_EUSAGE;
			}
			break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "The dataset's commits, newest first, each with its signature status.\n"
			       "  -n N            at most N commits\n"
			       "  --oneline       one line each\n"
			       "  --json          a JSON array: commit, time, signature, signer, subject, message\n"
			       "  --since, --until TIME   commits made in that span (as audit log takes them)\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(USAGE);
	if ((rc = strata_dataset_resolve(&c, cli->node, argv[optind], NULL)) < 0)
		return rc;
	if (as_json)
		rows = json_array();
	while (c && (max < 0 || shown < max) && (int64_t)git_commit_time(c) >= since) {
		char hex[GIT_OID_HEXSZ + 1], signer[256];
		strata_sig_status st;

		if (until && (int64_t)git_commit_time(c) > until)
			goto next;

		git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
		if ((error = strata_commit_check(&st, signer, sizeof(signer), cli->node, git_commit_id(c))) < 0) {
			rc = error;
			break;
		}
		if (st != STRATA_SIG_GOOD && rc == 0)
			rc = STRATA_EVERIFY;
		if (rows) {
			char t[40];
			strata_time_format(t, sizeof(t), (int64_t)git_commit_time(c));
			json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s}", "commit", hex, "time", t,
							      "signature", strata_commit_sig_status_str(st), "signer",
							      signer[0] ? signer : NULL, "subject", git_commit_summary(c),
							      "message", git_commit_message(c)));
		} else if (oneline) {
			printf("%.12s %-9s %s\n", hex, strata_commit_sig_status_str(st), git_commit_summary(c));
		} else {
			const char *msg = git_commit_message(c);
			printf(_("commit %s\nSignature: %s%s%s%s\nDate:   "), hex, strata_commit_sig_status_str(st),
			       signer[0] ? " (" : "", signer, signer[0] ? ")" : "");
			print_time(&git_commit_committer(c)->when);
			printf("\n\n");
			while (*msg) {
				size_t len = strcspn(msg, "\n");
				printf("    %.*s\n", (int)len, msg);
				msg += len + (msg[len] == '\n');
			}
			printf("\n");
		}
		shown++;
next:
		parent = NULL;
		if (git_commit_parentcount(c) > 0 && git_commit_parent(&parent, c, 0) < 0) {
			rc = strata_error_git("cannot read parent commit");
		}
		git_commit_free(c);
		c = parent;
	}
	git_commit_free(c);
	if (rows) {
		json_dumpf(rows, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(rows);
	}
	if (rc == STRATA_EVERIFY)
		strata_error_setc(rc, "some commits are not signed by a trusted key");
	return rc;
}
