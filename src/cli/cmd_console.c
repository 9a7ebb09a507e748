/*
 * cmd_console.c - strata console [--listen HOST:PORT] [--tls] [--new-token]:
 * the node's read-only web console (console.h).
 */
#include "cli.h"
#include "console.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>

#define USAGE "console [--listen HOST:PORT] [--tls] [--new-token] [--max-connections N] [--request-timeout SECONDS]"

static void ready(const char *url, void *payload)
{
	(void)payload;
	printf(_("console of this node: %s (Ctrl-C stops it)\n"), url);
	fflush(stdout);
}

int cli_console_prepare(strata_console_opts *o, char *exe, size_t exesize, strata_cli *cli, int renew)
{
	strata_buf token = STRATA_BUF_INIT;
	ssize_t len;
	int rc;

	if ((len = readlink("/proc/self/exe", exe, exesize - 1)) < 0)
		return strata_error_sys("/proc/self/exe");
	exe[len] = '\0';
	o->exe = exe;
	if ((rc = strata_console_token_init(cli->node, renew, &token)) < 0)
		return rc;
	if (token.len)
		fprintf(stderr, _("strata: the console's login token (shown this once; 'strata console --new-token' makes another):\n"
			"    %s\n"), token.ptr);
	strata_buf_dispose_secret(&token);
	return 0;
}

int cmd_console(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "tls", no_argument, NULL, 't' },
		{ "new-token", no_argument, NULL, 'n' },
		{ "max-connections", required_argument, NULL, 'M' },
		{ "request-timeout", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_console_opts o = { "127.0.0.1:8080", 0, NULL, ready, NULL };
	char exe[PATH_MAX];
	int c, renew = 0, rc, secs;
	size_t conns;

	while ((c = getopt_long(argc, argv, "l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 't': o.tls = 1; break;
		case 'n': renew = 1; break;
		case 'M':
			if (cli_size(&conns, "--max-connections", optarg, 8, 65536) < 0)
				return CLI_EUSAGE;
			o.max_conns = (int)conns;
			break;
		case 'R':
			if (cli_seconds(&secs, "--request-timeout", optarg) < 0)
				return CLI_EUSAGE;
			o.request_seconds = secs;
			break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "A read-only web console for this node: its peers and what is in sync, its\n"
			       "datasets and their history, its policies and what each recipient gets, the\n"
			       "audit log and traces.  Every page is also JSON under /api (the schema of the\n"
			       "commands' --json, doc/json.md).  Nothing a request does changes the node.\n\n"
			       "  --listen HOST:PORT  where (default 127.0.0.1:8080; port 0: any free one).  An\n"
			       "                      address other than loopback needs --tls, and then every\n"
			       "                      page needs the login token\n"
			       "  --tls               HTTPS, with this node's own TLS identity\n"
			       "  --new-token         make a new login token (the old one stops working)\n"
			       "  --max-connections N connections at once (default 256; always below the\n"
			       "                      descriptor limit); past it the oldest idle one goes\n"
			       "  --request-timeout S a request must arrive whole within S seconds of its\n"
			       "                      connection's start or last answer (default 10)\n\n"
			       "The login token is made on first run and shown once (stored hashed in\n"
			       "NODE/console/token, mode 0600).  The records of the node's own datasets are\n"
			       "shown only after a login.\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(USAGE);
	if ((rc = cli_console_prepare(&o, exe, sizeof(exe), cli, renew)) < 0)
		return rc;
	return strata_console_serve(cli->node, &o);
}
