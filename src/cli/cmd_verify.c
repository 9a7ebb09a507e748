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
#include "strata/net/tsa.h"
#include "strata/node/peers.h"
#include "strata/replica/link.h"
#include "strata/base/time.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "verify [--all] [--json]"

/* What the checks found, printed as they go, or gathered for --json. */
struct found {
	int broken;
	json_t *missing, *problems;	/* NULL: print */
};

static void report_missing(const git_oid *missing, const git_oid *child, void *payload)
{
	struct found *f = payload;
	char m[GIT_OID_HEXSZ + 1], c[GIT_OID_HEXSZ + 1];
	git_oid_tostr(m, sizeof(m), missing);
	if (child)
		git_oid_tostr(c, sizeof(c), child);
	if (f->missing)
		json_array_append_new(f->missing, json_pack("{s:s, s:s?}", "commit", m, "parent_of", child ? c : NULL));
	else if (child)
		printf(_("%s MISSING: the parent of %s\n"), m, c);
	else
		printf(_("%s MISSING: a ref names it\n"), m);
	f->broken++;
}

static void print_problem(const char *what, void *payload)
{
	struct found *f = payload;
	if (f->problems)
		json_array_append_new(f->problems, json_string(what));
	else
		printf(_("audit log: %s\n"), what);
}

/* Commits per trusted signer, in order of first appearance (into `o` for --json). */
static void print_signers(const strata_check_result *r, size_t n, json_t *o)
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
	if (o) {
		for (size_t j = 0; j < k; j++)
			json_object_set_new(o, names[j], json_integer((json_int_t)counts[j]));
		return;
	}
	printf(_("signed by:"));
	for (size_t j = 0; j < k; j++)
		printf(_(" %s %zu%s"), names[j], counts[j], j + 1 < k ? "," : "");
	printf("%s\n", k ? "" : " nobody");
}

/* the peers whose data is stale (strata_link_fresh), as JSON rows */
static int stale_peers(strata_node *n, json_t **out)
{
	char **peers = NULL;
	size_t npeers = 0;
	int error;

	*out = json_array();
	if ((error = strata_peers_list(&peers, &npeers, n)) < 0)
		return error;
	for (size_t i = 0; i < npeers && !error; i++) {
		strata_link l;
		strata_link_freshness f;
		char since[40], asof[40], age[32];
		if ((error = strata_link_load(&l, n, peers[i])) < 0)
			break;
		error = strata_link_fresh(&f, n, peers[i], &l, strata_time_now());
		strata_link_dispose(&l);
		if (error < 0 || !f.stale_since)
			continue;
		strata_time_format(since, sizeof(since), f.stale_since);
		strata_time_format(asof, sizeof(asof), f.as_of);
		strata_time_duration_format(age, sizeof(age), f.max_age);
		json_array_append_new(*out, json_pack("{s:s, s:s, s:s, s:s}", "peer", peers[i], "since", since, "as_of", asof,
						      "max_age", age));
	}
	strata_peers_list_free(peers);
	return error;
}

int cmd_verify(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	git_oid *ids = NULL;
	strata_check_result *res = NULL;
	size_t counts[4] = { 0 }, total = 0, events = 0, stamps = 0;
	int c, all = 0, as_json = 0, problems = 0, rc = STRATA_ERROR;
	struct found f = { 0, NULL, NULL };
	json_t *failed = NULL, *out = NULL, *stale = NULL, *v;
	size_t i;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = 1; break;
		case 'j': as_json = 1; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Checks the signature of every commit under refs/strata/ against the keys the\n"
			       "node trusts, re-hashing every object read.  Exit 3 if any fails.\n\n"
			       "  --all  also count commits by signer and check the audit log: one unbroken\n"
			       "         chain of this node's events, and a reflog that only moved forward;\n"
			       "         and say which peers' data is stale (older than the max age set for\n"
			       "         them: not a failure)\n"
			       "  --json one object: commits, good, bad, unsigned, untrusted, failed [{commit,\n"
			       "         status, signer}], missing, and with --all signers and audit {events,\n"
			       "         problems}; ok true or false (the exit status says the same)\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(USAGE);
	if (as_json) {
		f.missing = json_array();
		f.problems = json_array();
		failed = json_array();
	}
	if ((rc = strata_commit_check_reachable(cli->node, "refs/strata/*", &ids, &res, &total, report_missing, &f)) < 0)
		goto done;
	for (i = 0; i < total; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		counts[res[i].status]++;
		if (res[i].status != STRATA_SIG_GOOD) {
			git_oid_tostr(hex, sizeof(hex), &ids[i]);
			if (failed)
				json_array_append_new(failed, json_pack("{s:s, s:s, s:s?}", "commit", hex, "status",
									strata_commit_sig_status_str(res[i].status), "signer",
									res[i].signer[0] ? res[i].signer : NULL));
			else
				printf("%s %s%s%s\n", hex, strata_commit_sig_status_str(res[i].status), res[i].signer[0] ? ": " : "",
				       res[i].signer);
		}
	}
	if (all) {
		char op[64], what[512];
		int pending = strata_journal_pending(cli->node, op, sizeof(op), what, sizeof(what)) > 0;
		if (pending && !as_json)
			printf(_("note: a %s of '%s' was interrupted; the next command that changes this node "
			       "completes or undoes it (%s/%s)\n"), op, what, strata_node_path(cli->node), STRATA_JOURNAL);
		if ((rc = problems = strata_audit_check(cli->node, pending, &events, print_problem, &f)) < 0)
			goto done;
		/* the authority's tokens in the log, against the certificate pinned now (a broken chain is reported already) */
		if (!problems) {
			strata_buf pem = STRATA_BUF_INIT;
			int got = strata_tsa_get(NULL, &pem, cli->node);
			strata_error_clear();
			rc = strata_audit_check_stamps(cli->node, got == 0 ? pem.ptr : NULL, pem.len, &stamps, print_problem, &f);
			strata_buf_dispose(&pem);
			if (rc < 0)
				goto done;
			problems += rc;
		}
	}
	/* freshness: data a peer sent that is older than the max age set for it (not an integrity failure: said) */
	if (all && (rc = stale_peers(cli->node, &stale)) < 0)
		goto done;
	if (as_json) {
		out = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:O, s:O}", "ok",
				total == counts[STRATA_SIG_GOOD] && !problems && !f.broken, "commits", (json_int_t)total,
				"good", (json_int_t)counts[STRATA_SIG_GOOD], "bad", (json_int_t)counts[STRATA_SIG_BAD],
				"unsigned", (json_int_t)counts[STRATA_SIG_UNSIGNED], "untrusted",
				(json_int_t)counts[STRATA_SIG_UNTRUSTED], "failed", failed, "missing", f.missing);
		if (all) {
			json_t *signers = json_object();
			print_signers(res, total, signers);
			json_object_set_new(out, "signers", signers);
			json_object_set_new(out, "audit", json_pack("{s:I, s:I, s:O}", "events", (json_int_t)events, "timestamps",
								   (json_int_t)stamps, "problems", f.problems));
			json_object_set(out, "stale", stale);
		}
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else if (!cli->quiet || total != counts[STRATA_SIG_GOOD] || problems || f.broken) {
		printf(_("%zu commits: %zu good, %zu bad, %zu unsigned, %zu untrusted\n"), total,
		       counts[STRATA_SIG_GOOD], counts[STRATA_SIG_BAD], counts[STRATA_SIG_UNSIGNED],
		       counts[STRATA_SIG_UNTRUSTED]);
		if (all) {
			print_signers(res, total, NULL);
			printf(_("audit log: %zu events, %s\n"), events,
			       problems ? "PROBLEMS (above)" : _("one line, no gaps, never rewritten"));
			if (stamps && !problems)
				printf(P_("audit log: %zu timestamp, no event dated against it\n", "audit log: %zu timestamps, no event dated against them\n", stamps),
				       stamps);
		}
		json_array_foreach(stale, i, v)
			printf(_("stale: what %s sent, since %s (its newest signed word is from %s; max age %s)\n"),
			       json_string_value(json_object_get(v, "peer")), json_string_value(json_object_get(v, "since")),
			       json_string_value(json_object_get(v, "as_of")), json_string_value(json_object_get(v, "max_age")));
	}
	if (total != counts[STRATA_SIG_GOOD] || problems || f.broken) {
		rc = strata_error_setc(STRATA_EVERIFY, "%zu of %zu commits failed verification%s%s",
				       total - counts[STRATA_SIG_GOOD], total,
				       problems ? _("; the audit log has problems") : "", f.broken ? _("; commits are missing") : "");
	} else {
		rc = 0;
	}
done:
	json_decref(stale);
	json_decref(out);
	json_decref(failed);
	json_decref(f.missing);
	json_decref(f.problems);
	free(ids);
	free(res);
	return rc;
}
