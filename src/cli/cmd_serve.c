/*
 * cmd_serve.c - strata serve --listen HOST:PORT [--timeout SECONDS] [--max-body BYTES]
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/net/serve.h"
#include "console.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define USAGE "serve --listen HOST:PORT [--timeout SECONDS] [--max-body BYTES] [--metrics HOST:PORT] [--console HOST:PORT [--console-tls]]"

static void console_ready(const char *url, void *payload)
{
	(void)payload;
	fprintf(stderr, _("strata: console on %s\n"), url);
}

/*
 * The console beside the daemon: a child process of its own (console.h),
 * stopped with the daemon (and by the kernel if the daemon dies).
 */
static int start_console(pid_t *pid, strata_cli *cli, const char *listen, int tls)
{
	strata_console_opts o = { listen, tls, NULL, console_ready, NULL };
	char exe[PATH_MAX];
	int rc;

	if ((rc = cli_console_prepare(&o, exe, sizeof(exe), cli, 0)) < 0)
		return rc;
	if ((*pid = fork()) < 0)
		return strata_error_sys("fork");
	if (*pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		rc = strata_console_serve(cli->node, &o);
		if (rc < 0)
			fprintf(stderr, _("strata: console: %s\n"), strata_error_last());
		_exit(rc < 0 ? 1 : 0);
	}
	return 0;
}

int cmd_serve(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-body", required_argument, NULL, 'm' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "console", required_argument, NULL, 'c' },
		{ "console-tls", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_serve_opts o = { NULL, STRATA_SERVE_TIMEOUT, STRATA_SERVE_MAX_BODY, NULL };
	const char *console = NULL;
	pid_t cpid = -1;
	int c, console_tls = 0, rc;

	while ((c = getopt_long(argc, argv, "l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 'M': o.metrics = optarg; break;
		case 'c': console = optarg; break;
		case 'T': console_tls = 1; break;
		case 't':
			if (cli_seconds(&o.timeout, "--timeout", optarg) < 0)
				return CLI_EUSAGE;
			break;
		case 'm':
			if (cli_size(&o.max_body, "--max-body", optarg, 1024, ((size_t)4 << 30) - 65536) < 0)
				return CLI_EUSAGE;
			break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Runs the HTTPS replication daemon (TLS 1.3, peers' keys pinned both ways):\n"
			       "peers pull the views built for them and push their parcels here.\n\n"
			       "  --listen HOST:PORT  where to listen (port 0: any free one, logged)\n"
			       "  --timeout SECONDS   drop a client silent that long, or slower than 1 KiB/s\n"
			       "  --max-body BYTES    the largest parcel a peer may push, like 500M\n"
			       "  --metrics HOST:PORT also answer GET /metrics there, in Prometheus text, over plain\n"
			       "                      HTTP (counters and times, never data; bind it to loopback or\n"
			       "                      a management network): requests by endpoint and status, bytes,\n"
			       "                      refusals, per peer the last success, per view whether sent,\n"
			       "                      time per operation.  Off by default.\n"
			       "  --console HOST:PORT the read-only web console too (strata console --help),\n"
			       "                      in a process of its own; --console-tls for HTTPS, which an\n"
			       "                      address other than loopback needs\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (!o.listen || optind != argc || (console_tls && !console))
		return cli_usage(USAGE);
	/* the daemon's exchanges are its operator's: named at its start, signing each event */
	if ((rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("run the daemon"))) < 0)
		return rc;
	if (console && ((rc = strata_console_listen_ok(console, console_tls)) < 0 ||
			(rc = start_console(&cpid, cli, console, console_tls)) < 0))
		return rc;
	rc = strata_serve(cli->node, &o);
	if (cpid > 0) {
		kill(cpid, SIGTERM);
		waitpid(cpid, NULL, 0);
	}
	return rc;
}
