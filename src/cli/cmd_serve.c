/*
 * cmd_serve.c - strata serve --listen HOST:PORT [--timeout SECONDS] [--max-body BYTES]
 */
#include "cli.h"
#include "strata/serve.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "serve --listen HOST:PORT [--timeout SECONDS] [--max-body BYTES]"

static int parse_size(size_t *out, const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s || s[0] == '-')
		return -1;
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	else if (*end == 'g' || *end == 'G')
		v <<= 30, end++;
	if (*end || v > ((size_t)4 << 30) - 65536)
		return -1;
	*out = (size_t)v;
	return 0;
}

int cmd_serve(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-body", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_serve_opts o = { NULL, STRATA_SERVE_TIMEOUT, STRATA_SERVE_MAX_BODY };
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 't':
			o.timeout = (int)strtol(optarg, &end, 10);
			if (*end || o.timeout < 1 || o.timeout > 86400) {
				fprintf(stderr, "strata: --timeout '%s': expected 1 to 86400 seconds\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			if (parse_size(&o.max_body, optarg) < 0 || o.max_body < 1024) {
				fprintf(stderr, "strata: --max-body '%s': expected a size from 1K to 4G, like 512M\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': printf("usage: strata %s\n", USAGE); return EXIT_OK;
		default: return cli_usage(USAGE);
		}
	}
	if (!o.listen || optind != argc)
		return cli_usage(USAGE);
	return strata_serve(cli->node, &o) < 0 ? EXIT_ERROR : EXIT_OK;
}
