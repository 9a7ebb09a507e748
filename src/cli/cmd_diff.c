/* cmd_diff.c - strata diff DATASET [OLD [NEW]] */
#include "cli.h"
#include "strata/data/dataset.h"
#include "strata/format/json.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "diff DATASET [OLD [NEW]] [--stat]   (default: HEAD~1 HEAD)"

typedef struct {
	const strata_schema *s;
	size_t added, changed, removed;
	int stat;
} diff_out;

static void print_key(const diff_out *d, const strata_record *r)
{
	for (size_t i = 0; i < d->s->nkey; i++) {
		const char *v = strata_json_record_get(r, d->s->key[i]);
		printf("%s%s=%s", i ? " " : "", d->s->key[i], v ? v : "");
	}
}

static void print_fields(const diff_out *d, const strata_record *r)
{
	for (size_t i = 0; i < d->s->nfields; i++) {
		const char *v = strata_json_record_get(r, d->s->names[i]);
		if (v)
			printf("    %s: %s\n", d->s->names[i], v);
	}
}

static int show(const strata_record *o, const strata_record *n, void *payload)
{
	diff_out *d = payload;

	if (o && n) {
		d->changed++;
		if (d->stat)
			return 0;
		printf("~ ");
		print_key(d, n);
		printf("\n");
		for (size_t i = 0; i < o->n; i++) {
			const char *nv = strata_json_record_get(n, o->names[i]);
			if (!nv)
				printf("    %s: '%s' -> (field removed)\n", o->names[i], o->values[i]);
			else if (strcmp(nv, o->values[i]))
				printf("    %s: '%s' -> '%s'\n", o->names[i], o->values[i], nv);
		}
		for (size_t i = 0; i < n->n; i++)
			if (!strata_json_record_get(o, n->names[i]))
				printf("    %s: (new field) -> '%s'\n", n->names[i], n->values[i]);
	} else if (n) {
		d->added++;
		if (d->stat)
			return 0;
		printf("+ ");
		print_key(d, n);
		printf("\n");
		print_fields(d, n);
	} else {
		d->removed++;
		if (d->stat)
			return 0;
		printf("- ");
		print_key(d, o);
		printf("\n");
	}
	return 0;
}

int cmd_diff(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "stat", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *ra = "HEAD~1", *rb = "HEAD";
	git_commit *ca = NULL, *cb = NULL;
	git_tree *ta = NULL, *tb = NULL;
	strata_schema *s = NULL;
	diff_out d = { 0 };
	int c, rc = STRATA_ERROR;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': d.stat = 1; break;
		case 'h':
			printf("usage: strata %s\n\n"
			       "Records added (+), removed (-) and changed (~, field by field) between two\n"
			       "commits of a dataset (own or received, as 'strata datasets' names it).\n"
			       "OLD and NEW: HEAD, HEAD~N or a commit id.\n\n"
			       "  --stat  only the counts\n", USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind >= argc || argc - optind > 3)
		return cli_usage(USAGE);
	if (argc - optind >= 2)
		ra = argv[optind + 1];
	if (argc - optind == 3)
		rb = argv[optind + 2];
	if ((rc = strata_dataset_resolve(&cb, cli->node, argv[optind], rb)) < 0)
		goto done;
	/* the first commit diffs against nothing */
	if (strcmp(ra, "HEAD~1") || git_commit_parentcount(cb) > 0 || strcmp(rb, "HEAD")) {
		if ((rc = strata_dataset_resolve(&ca, cli->node, argv[optind], ra)) < 0)
			goto done;
	}
	if ((ca && git_commit_tree(&ta, ca) < 0) || git_commit_tree(&tb, cb) < 0) {
		rc = strata_error_git("cannot read commit");
		goto done;
	}
	if ((rc = strata_schema_load(&s, strata_node_repo(cli->node), tb)) < 0)
		goto done;
	d.s = s;
	if ((rc = strata_dataset_diff(strata_node_repo(cli->node), ta, tb, show, &d)) < 0)
		goto done;
	printf("%zu added, %zu changed, %zu removed\n", d.added, d.changed, d.removed);
	rc = 0;
done:
	strata_schema_free(s);
	git_tree_free(ta);
	git_tree_free(tb);
	git_commit_free(ca);
	git_commit_free(cb);
	return rc;
}
