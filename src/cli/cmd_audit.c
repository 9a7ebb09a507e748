/* cmd_audit.c - strata audit log [--refused]: the signed event chain, and refused input */
#include "cli.h"
#include "strata/audit.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USAGE "audit log [-v]"

typedef struct {
	int verbose;
	size_t count;
} log_ctx;

static int print_event(const strata_audit_event *ev, void *payload)
{
	log_ctx *l = payload;
	char hex[GIT_OID_HEXSZ + 1], t[32];
	time_t tt = (time_t)ev->time;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
	git_oid_tostr(hex, sizeof(hex), &ev->commit);
	printf("%.12s %s %-14s %s\n", hex, t, ev->event, ev->subject);
	if (l->verbose) {
		const char *msg = git_commit_message(ev->c), *body = strstr(msg, "\n\n");
		for (const char *s = body ? body + 2 : ""; *s;) {
			const char *nl = strchr(s, '\n');
			size_t len = nl ? (size_t)(nl - s) : strlen(s);
			if (len)
				printf("    %.*s\n", (int)len, s);
			s += len + (nl != NULL);
		}
	}
	l->count++;
	return 0;
}

int cmd_audit(int argc, char **argv, strata_cli *cli)
{
	log_ctx l = { 0, 0 };
	strata_buf refused = STRATA_BUF_INIT;
	char *path;
	int rc;

	if (argc < 2 || strcmp(argv[1], "log")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("usage: strata %s\n", USAGE);
			return EXIT_OK;
		}
		return cli_usage(USAGE);
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			l.verbose = 1;
		else
			return cli_usage(USAGE);
	}
	if (strata_audit_foreach(cli->node, print_event, &l) < 0)
		return EXIT_ERROR;
	if (l.count == 0)
		printf("no events yet\n");
	if ((path = strata_path_join(cli->node->path, STRATA_REFUSED_LOG)) == NULL)
		return EXIT_ERROR;
	rc = strata_read_file(&refused, path, STRATA_REFUSED_LOG_MAX + 65536);
	if (rc == 0 && refused.len) {
		printf("\nrefused input (%s, local and unsigned: refusals change nothing in the repository):\n", path);
		fwrite(refused.ptr, 1, refused.len, stdout);
		if (refused.len >= STRATA_REFUSED_LOG_MAX)
			printf("(%s is full: later refusals were not recorded)\n", path);
	}
	strata_error_clear();
	strata_buf_dispose(&refused);
	free(path);
	return EXIT_OK;
}
