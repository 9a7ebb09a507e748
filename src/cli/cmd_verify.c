/*
 * cmd_verify.c - strata verify [--all]: the signature of every commit
 * reachable from refs/strata/ (own datasets, received data, views,
 * policies, the audit log), checked on every core; --all also counts by
 * signer and checks the audit log is one unbroken, never rewritten line.
 */
#include "cli.h"
#include "strata/node/journal.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "verify [--all]"

static void report_missing(const git_oid *missing, const git_oid *child, void *payload)
{
	char m[GIT_OID_HEXSZ + 1], c[GIT_OID_HEXSZ + 1];
	git_oid_tostr(m, sizeof(m), missing);
	if (child)
		printf("%s MISSING: the parent of %s\n", m, git_oid_tostr(c, sizeof(c), child));
	else
		printf("%s MISSING: a ref names it\n", m);
	(*(int *)payload)++;
}

static void print_problem(const char *what, void *payload)
{
	(void)payload;
	printf("audit log: %s\n", what);
}

/* Commits per trusted signer, in order of first appearance. */
static void print_signers(const strata_check_result *r, size_t n)
{
	const char *names[64];
	size_t counts[64], k = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j;
		if (r[i].status != STRATA_SIG_GOOD)
			continue;
		for (j = 0; j < k && strcmp(names[j], r[i].signer); j++)
			;
		if (j == k && k < 64) {
			names[k] = r[i].signer;
			counts[k++] = 0;
		}
		if (j < 64)
			counts[j]++;
	}
	printf("signed by:");
	for (size_t j = 0; j < k; j++)
		printf(" %s %zu%s", names[j], counts[j], j + 1 < k ? "," : "");
	printf("%s\n", k ? "" : " nobody");
}

int cmd_verify(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	git_oid *ids = NULL;
	strata_check_result *res = NULL;
	size_t counts[4] = { 0 }, total = 0, events = 0;
	int c, all = 0, problems = 0, broken = 0, rc = STRATA_ERROR;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = 1; break;
		case 'h':
			printf("usage: strata %s\n\n"
			       "Checks the signature of every commit under refs/strata/ against the keys the\n"
			       "node trusts, re-hashing every object read.  Exit 3 if any fails.\n\n"
			       "  --all  also count commits by signer and check the audit log: one unbroken\n"
			       "         chain of this node's events, and a reflog that only moved forward\n", USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(USAGE);
	if ((rc = strata_commit_check_reachable(cli->node, "refs/strata/*", &ids, &res, &total, report_missing, &broken)) < 0)
		goto done;
	for (size_t i = 0; i < total; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		counts[res[i].status]++;
		if (res[i].status != STRATA_SIG_GOOD) {
			git_oid_tostr(hex, sizeof(hex), &ids[i]);
			printf("%s %s%s%s\n", hex, strata_commit_sig_status_str(res[i].status), res[i].signer[0] ? ": " : "",
			       res[i].signer);
		}
	}
	if (all) {
		char op[64], what[512];
		int pending = strata_journal_pending(cli->node, op, sizeof(op), what, sizeof(what)) > 0;
		if (pending)
			printf("note: a %s of '%s' was interrupted; the next command that changes this node "
			       "completes or undoes it (%s/%s)\n", op, what, strata_node_path(cli->node), STRATA_JOURNAL);
		if ((rc = problems = strata_audit_check(cli->node, pending, &events, print_problem, NULL)) < 0)
			goto done;
	}
	if (!cli->quiet || total != counts[STRATA_SIG_GOOD] || problems || broken) {
		printf("%zu commits: %zu good, %zu bad, %zu unsigned, %zu untrusted\n", total,
		       counts[STRATA_SIG_GOOD], counts[STRATA_SIG_BAD], counts[STRATA_SIG_UNSIGNED],
		       counts[STRATA_SIG_UNTRUSTED]);
		if (all) {
			print_signers(res, total);
			printf("audit log: %zu events, %s\n", events,
			       problems ? "PROBLEMS (above)" : "one line, no gaps, never rewritten");
		}
	}
	if (total != counts[STRATA_SIG_GOOD] || problems || broken) {
		rc = strata_error_setc(STRATA_EVERIFY, "%zu of %zu commits failed verification%s%s",
				       total - counts[STRATA_SIG_GOOD], total,
				       problems ? "; the audit log has problems" : "", broken ? "; commits are missing" : "");
	} else {
		rc = 0;
	}
done:
	free(ids);
	free(res);
	return rc;
}
