/*
 * cmd_serve.c - strata serve --listen HOST:PORT [--timeout SECONDS] [--max-body BYTES]
 */
#include "cli.h"
#include "strata/net/serve.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "serve --listen HOST:PORT [--timeout SECONDS] [--max-body BYTES] [--metrics HOST:PORT]"

int cmd_serve(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-body", required_argument, NULL, 'm' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_serve_opts o = { NULL, STRATA_SERVE_TIMEOUT, STRATA_SERVE_MAX_BODY, NULL };
	int c;

	while ((c = getopt_long(argc, argv, "l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 'M': o.metrics = optarg; break;
		case 't':
			if (cli_seconds(&o.timeout, "--timeout", optarg) < 0)
				return CLI_EUSAGE;
			break;
		case 'm':
			if (cli_size(&o.max_body, "--max-body", optarg, 1024, ((size_t)4 << 30) - 65536) < 0)
				return CLI_EUSAGE;
			break;
		case 'h':
			printf("usage: strata %s\n\n"
			       "Runs the HTTPS replication daemon (TLS 1.3, peers' keys pinned both ways):\n"
			       "peers pull the views built for them and push their parcels here.\n\n"
			       "  --listen HOST:PORT  where to listen (port 0: any free one, logged)\n"
			       "  --timeout SECONDS   drop a client silent that long, or slower than 1 KiB/s\n"
			       "  --max-body BYTES    the largest parcel a peer may push, like 500M\n"
			       "  --metrics HOST:PORT also answer GET /metrics there, in Prometheus text, over plain\n"
			       "                      HTTP (counters and times, never data; bind it to loopback or\n"
			       "                      a management network): requests by endpoint and status, bytes,\n"
			       "                      refusals, per peer the last success, per view whether sent,\n"
			       "                      time per operation.  Off by default.\n", USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (!o.listen || optind != argc)
		return cli_usage(USAGE);
	return strata_serve(cli->node, &o);
}
