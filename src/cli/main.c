/*
 * main.c - the strata command: global options, the command table, and the
 * one place where return codes become exit statuses.
 */
#include "cli.h"
#include "officer_sign.h"
#include "strata/node/check.h"
#include "strata/base/fs.h"
#include "strata/base/near.h"
#include "strata/node/peers.h"
#include "strata/format/name.h"

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#define NEED_NODE 1
#define REHASH_READS 2	/* re-hash every object read against its id */
#define ANY_CONF 4	/* open the node whatever node.conf's peers say: the commands that mend it */

struct strata_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, strata_cli *cli);
	int flags;
	const char *help;
};

static const struct strata_cmd cmds[] = {
	{ "init",     cmd_init,     0,         N_("create a node") },
	{ "import",   cmd_import,   NEED_NODE, N_("import a CSV or JSON Lines file as a signed dataset commit, a parcel, or a receipt") },
	{ "export",   cmd_export,   NEED_NODE, N_("write a dataset's records as CSV or JSON Lines, or a parcel for a peer") },
	{ "erase",    cmd_erase,    NEED_NODE, N_("erase one record from a dataset and its history, here and then at every tier that holds it") },
	{ "erasures", cmd_erasures, NEED_NODE, N_("each erasure passed on: which recipients confirmed it, which not yet") },
	{ "tsa",      cmd_tsa,      NEED_NODE, N_("name the timestamp authority (RFC 3161) this node asks for independent time") },
	{ "evidence", cmd_evidence, 0,     N_("a record's trace as signed evidence to hand on, part by part across tiers; checked anywhere, with no node") },
	{ "certificate", cmd_certificate, 0,   N_("an erasure's certificate, made from the ledger; checked anywhere, with no node") },
	{ "log",      cmd_log,      NEED_NODE, N_("show a dataset's commits with their signature status") },
	{ "diff",     cmd_diff,     NEED_NODE, N_("show records added, removed and changed between two commits") },
	{ "datasets", cmd_datasets, NEED_NODE, N_("list the datasets this node owns and has received, by the name every command takes") },
	{ "verify",   cmd_verify,   NEED_NODE | REHASH_READS, N_("check the signature of every commit in the node") },
	{ "peer",     cmd_peer,     NEED_NODE | ANY_CONF, N_("add, change, remove, show and list peers (pinned key, tier, direction, policy)") },
	{ "key",      cmd_key,      NEED_NODE, N_("show and rotate this node's key; revoke a peer's stolen key") },
	{ "approve",  cmd_approve,  NEED_NODE, N_("four eyes: what waits for a second officer; approve or refuse it") },
	{ "officer",  cmd_officer,  NEED_NODE, N_("add, list and remove the people who act on this node, with their roles and keys") },
	{ "doctor",   cmd_doctor,   NEED_NODE | ANY_CONF, N_("check a node and list every problem, with where it is and the fix") },
	{ "view",     cmd_view,     NEED_NODE, N_("build the redacted views each peer's policy allows") },
	{ "status",   cmd_status,   NEED_NODE, N_("per peer and dataset: what was sent and received, and when") },
	{ "audit",    cmd_audit,    NEED_NODE, N_("show the signed event log and refused input") },
	{ "history",  cmd_history,  NEED_NODE, N_("every version of one record, with commit, time, node and signature") },
	{ "trace",    cmd_trace,    NEED_NODE, N_("follow a record back through the tiers, hop by hop") },
	{ "sql",      cmd_sql,      NEED_NODE, N_("one read-only SQL query over the datasets this node holds, own and received") },
	{ "disclosures", cmd_disclosures, NEED_NODE, N_("to whom one record was sent: when, how, under which policy, as what") },
	{ "policy",   cmd_policy,   0,         N_("check, preview, diff and commit privacy policies") },
	{ "catalog",  cmd_catalog,  NEED_NODE, N_("the data catalogue: what this node and the nodes around it offer; describe an own dataset") },
	{ "request",  cmd_request,  NEED_NODE, N_("file a signed request for fields of a dataset another node owns") },
	{ "requests", cmd_requests, NEED_NODE, N_("requests filed, received and passed on: open, overdue, answered, and who must act") },
	{ "correct",  cmd_correct,  NEED_NODE, N_("report a wrong value in a received record: it goes back to the record's owner") },
	{ "corrections", cmd_corrections, NEED_NODE, N_("corrections filed, passed on and received; accept or reject one") },
	{ "answer",   cmd_answer,   NEED_NODE, N_("approve (under a committed policy) or refuse (with the reason) a request") },
	{ "serve",    cmd_serve,    NEED_NODE, N_("run the HTTPS replication daemon") },
	{ "console",  cmd_console,  NEED_NODE, N_("a read-only web console for this node, on 127.0.0.1") },
	{ "pull",     cmd_remote,   NEED_NODE, N_("fetch what a peer's views hold for this node, over HTTPS") },
	{ "push",     cmd_remote,   NEED_NODE, N_("send a peer what this node's views hold for it, over HTTPS") },
	{ "sync",     cmd_remote,   NEED_NODE, N_("pull and push with every peer that has a url, per its direction") },
	{ NULL, NULL, 0, NULL }
};

static void help(FILE *out)
{
	fprintf(out, _("usage: strata [-C NODEDIR] [-q] [--utc] [--as OFFICER] <command> [<args>]\n\ncommands:\n"));
	for (const struct strata_cmd *c = cmds; c->name; c++)
		fprintf(out, "  %-11s %s\n", c->name, _(c->help));
	fprintf(out, _("\n'strata <command> --help' (or 'strata help <command>') describes a command.  "
		     "NODEDIR defaults to $STRATA_NODE, then '.'.  Times show in the local zone ($TZ),\n"
		     "or in UTC with --utc (allowed anywhere on the line).\n"
		     "On a node with officers a change names who makes it: --as NAME (or $STRATA_OFFICER),\n"
		     "signing with --officer-key FILE ($STRATA_OFFICER_KEY, or ssh-agent) and its passphrase\n"
		     "from $STRATA_PASSPHRASE or --passphrase-file FILE ('strata officer --help').\n"
		     "exit status: 0 ok, 1 error, 2 usage, 3 verification failed\n"));
}

int cli_act(strata_cli *cli, int roles, const char *what)
{
	const char *as = cli->as ? cli->as : getenv("STRATA_OFFICER");
	strata_officer o;
	int error, current;

	if (!as || !*as || strata_officers_actor(cli->node))
		return strata_officers_permit(cli->node, roles, what);
	if ((current = strata_officers_current(cli->node)) < 0)
		return current;
	if (current == 0)
		return strata_error_setc(STRATA_EDENIED, "--as %s: this node has no officers (its changes are the node's "
					 "own; 'strata officer add' names the first)", as);
	if ((error = strata_officer_get(&o, cli->node, as)) < 0 ||
	    (error = cli_officer_use(cli->node, as, cli->officer_key, cli->passphrase_file)) < 0 ||
	    (error = strata_officers_act(cli->node, as, cli_officer_sign, (void *)as)) < 0)
		return error;
	return strata_officers_permit(cli->node, roles, what);
}

int cli_usage(const char *usage)
{
	fprintf(stderr, _("usage: strata %s\n"), usage);
	return CLI_EUSAGE;
}

const char *cli_display_name(strata_node *n, const char *name, strata_buf *buf)
{
	strata_buf_clear(buf);
	if (!strcmp(name, strata_node_name(n)))
		return strata_node_display_name(n);
	if (strata_name_node_valid(name) && strata_peers_get(buf, n, name, "displayname") == 0)
		return buf->ptr;
	strata_error_clear();
	return NULL;
}

int cli_unknown_sub(const char *command, const char *word, const char *const *subs, size_t nsubs, const char *usage)
{
	strata_buf near = STRATA_BUF_INIT, all = STRATA_BUF_INIT;

	strata_near_all(&all, subs, nsubs, nsubs);
	if (strata_near_list(&near, word, subs, nsubs))
		fprintf(stderr, _("strata: '%s' is not a '%s' command; did you mean %s? (%s)\n"), word, command,
			near.ptr, all.ptr);
	else
		fprintf(stderr, _("strata: '%s' is not a '%s' command (%s)\n"), word, command, all.ptr ? all.ptr : "");
	strata_buf_dispose(&near);
	strata_buf_dispose(&all);
	return usage ? cli_usage(usage) : CLI_EUSAGE;
}

/*
 * The one place a return code becomes an exit status, as strata(1) says:
 * 0 ok, 1 error, 2 usage, 3 a signature or integrity check failed.
 */
static int exit_status(int rc)
{
	if (rc >= 0)
		return EXIT_OK;
	if (rc == CLI_EUSAGE)
		return EXIT_USAGE;	/* cli_usage or the option parser said why */
	fprintf(stderr, _("strata: %s\n"), strata_error_last());
	return rc == STRATA_EVERIFY ? EXIT_VERIFY : EXIT_ERROR;
}

char **cli_split(const char *list, size_t *n)
{
	char *copy = strdup(list), *save = NULL, *tok;
	char **out = calloc(strlen(list) + 2, sizeof(char *));
	size_t k = 0;

	if (!copy || !out) {
		free(copy);
		free(out);
		return NULL;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if ((out[k] = strdup(tok)) != NULL)
			k++;
	free(copy);
	*n = k;
	return out;
}

void cli_free_list(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

int cli_seconds(int *out, const char *option, const char *arg)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (end == arg || *end || v < 1 || v > 86400) {
		fprintf(stderr, _("strata: %s '%s': expected 1 to 86400 seconds\n"), option, arg);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int cli_size(size_t *out, const char *option, const char *arg, size_t min, size_t max)
{
	char *end;
	unsigned long long v = strtoull(arg, &end, 10);
	int shift = 0;

	if (*end == 'k' || *end == 'K')
		shift = 10, end++;
	else if (*end == 'm' || *end == 'M')
		shift = 20, end++;
	else if (*end == 'g' || *end == 'G')
		shift = 30, end++;
	if (end == arg || arg[0] == '-' || *end || v > (max >> shift) || (v << shift) < min) {
		fprintf(stderr, _("strata: %s '%s': expected a size from %zu to %zu bytes, like 500K or 16M\n"),
			option, arg, min, max);
		return -1;
	}
	*out = (size_t)(v << shift);
	return 0;
}

int main(int argc, char **argv)
{
	strata_cli cli = { 0 };
	const struct strata_cmd *cmd;
	int i, rc;

	/*
	 * Messages in the reader's language (LANG, LC_ALL, LC_MESSAGES), and
	 * its character set for them (LC_CTYPE); numbers and times stay as a
	 * script reads them.  $STRATA_LOCALEDIR names the translations of a
	 * tool run from its build tree (the tests, the demo).
	 */
	setlocale(LC_CTYPE, "");
	setlocale(LC_MESSAGES, "");
#ifdef ENABLE_NLS
	bindtextdomain(PACKAGE, getenv("STRATA_LOCALEDIR") ? getenv("STRATA_LOCALEDIR") : LOCALEDIR);
	textdomain(PACKAGE);
#endif

	/*
	 * --utc, anywhere before "--": every time printed in UTC, and times
	 * read (--since) without an offset taken as UTC.  Times are printed in
	 * the local zone otherwise (time.h), so setting TZ is the whole of it.
	 */
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--utc")) {
			setenv("TZ", "UTC", 1);
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
			argc--, i--;
		}
	cli.node_dir = getenv("STRATA_NODE");
	cli.node_dir_explicit = cli.node_dir != NULL;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-C") && i + 1 < argc) {
			cli.node_dir = argv[++i];
			cli.node_dir_explicit = 1;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			cli.quiet = 1;
		} else if (!strcmp(argv[i], "--as") && i + 1 < argc) {
			cli.as = argv[++i];
		} else if (!strcmp(argv[i], "--officer-key") && i + 1 < argc) {
			cli.officer_key = argv[++i];
		} else if (!strcmp(argv[i], "--passphrase-file") && i + 1 < argc) {
			cli.passphrase_file = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			help(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("strata %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		} else {
			fprintf(stderr, _("strata: unknown option '%s'\n"), argv[i]);
			help(stderr);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		help(stderr);
		return EXIT_USAGE;
	}
	/* strata help CMD [SUB]: the same as strata CMD [SUB] --help */
	if (!strcmp(argv[i], "help")) {
		static char help_opt[] = "--help";
		static char *hv[8];
		int hc = 0;
		if (i + 1 == argc) {
			help(stdout);
			return EXIT_OK;
		}
		for (int k = i + 1; k < argc && hc < 6; k++)
			hv[hc++] = argv[k];
		hv[hc++] = help_opt;
		hv[hc] = NULL;
		argv = hv;
		argc = hc;
		i = 0;
	}
	for (cmd = cmds; cmd->name && strcmp(cmd->name, argv[i]); cmd++)
		;
	if (!cmd->name) {
		const char *names[sizeof(cmds) / sizeof(*cmds)];
		size_t n = 0;
		strata_buf near = STRATA_BUF_INIT;
		for (const struct strata_cmd *k = cmds; k->name; k++)
			names[n++] = k->name;
		if (strata_near_list(&near, argv[i], names, n))
			fprintf(stderr, _("strata: '%s' is not a strata command; did you mean %s? (see 'strata --help')\n"),
				argv[i], near.ptr);
		else
			fprintf(stderr, _("strata: '%s' is not a strata command; see 'strata --help'\n"), argv[i]);
		strata_buf_dispose(&near);
		return EXIT_USAGE;
	}
	/*
	 * -C NODEDIR after the command too ('strata status -C node'): no
	 * command has a -C of its own.  Up to "--", and only with a value.
	 */
	/*
	 * So are --as NAME and --officer-key FILE (who acts), and
	 * --passphrase-file FILE but in 'policy secret', whose own it is.
	 */
	for (int k = i + 1; k + 1 < argc && strcmp(argv[k], "--"); k++) {
		const char **to = NULL;
		if (!strcmp(argv[k], "-C"))
			to = &cli.node_dir, cli.node_dir_explicit = 1;
		else if (!strcmp(argv[k], "--as"))
			to = &cli.as;
		else if (!strcmp(argv[k], "--officer-key"))
			to = &cli.officer_key;
		else if (!strcmp(argv[k], "--passphrase-file") && strcmp(cmd->name, "policy"))
			to = &cli.passphrase_file;
		if (to) {
			*to = argv[k + 1];
			memmove(&argv[k], &argv[k + 2], (size_t)(argc - k - 1) * sizeof(*argv));
			argc -= 2;
			k--;
		}
	}
	if (!cli.node_dir)
		cli.node_dir = ".";

	git_libgit2_init();
	/* a power loss must not lose acknowledged writes (doc/design.md, "Facts checked on this platform") */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, strata_fs_fsync_enabled());
	/*
	 * Pack files are read through mapped windows: keep them small and few,
	 * so that address space (and a ulimit -v on it) does not grow with a
	 * pack's size, nor the resident pages a re-import touches (256 MiB
	 * mapped put its peak at 150 MiB at 1,000,000 rows, 32 MiB at 60 MiB,
	 * no slower).  The defaults are 1 GiB windows and 8 GiB mapped.
	 */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)8 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)32 << 20);
	/* decoded objects kept for reuse: libgit2 keeps up to 256 MiB (verify --all held 160) */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)32 << 20);
	/*
	 * Objects are re-hashed against their id when they enter (our pack
	 * writer names them; the indexer names a peer's), not on every read:
	 * as stock git, which leaves that to fsck.  zlib's Adler-32 still
	 * catches a damaged object.  It cost a third of an upsert's time.
	 * `verify`, the auditor's command, re-hashes what it reads.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, (cmd->flags & REHASH_READS) != 0);

	if (cmd->flags & NEED_NODE) {
		int wants_help = 0;
		for (int k = i + 1; k < argc; k++)
			wants_help |= !strcmp(argv[k], "--help") || !strcmp(argv[k], "-h");
		if (!wants_help && (rc = cmd->flags & ANY_CONF ? strata_node_open(&cli.node, cli.node_dir) :
				    strata_node_open_checked(&cli.node, cli.node_dir)) < 0) {
			git_libgit2_shutdown();
			return exit_status(rc);
		}
	}
	optind = 1;
	rc = cmd->fn(argc - i, argv + i, &cli);
	strata_node_free(cli.node);
	git_libgit2_shutdown();
	return exit_status(rc);
}
