/* cmd_diff.c - strata diff DATASET [OLD [NEW]] [--stat] [--json] */
#include "cli.h"
#include "strata/data/dataset.h"
#include "strata/format/json.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "diff DATASET [OLD [NEW]] [--stat] [--json]   (default: HEAD~1 HEAD)"

typedef struct {
	const strata_schema *s;
	size_t added, changed, removed;
	int stat;
	json_t *added_j, *changed_j, *removed_j;	/* --json */
} diff_out;

static json_t *record_json(const strata_record *r)
{
	json_t *o = json_object();
	for (size_t i = 0; i < r->n; i++)
		json_object_set_new(o, r->names[i], json_string(r->values[i]));
	return o;
}

static json_t *key_json(const diff_out *d, const strata_record *r)
{
	json_t *o = json_object();
	for (size_t i = 0; i < d->s->nkey; i++) {
		const char *v = strata_json_record_get(r, d->s->key[i]);
		json_object_set_new(o, d->s->key[i], v ? json_string(v) : json_null());
	}
	return o;
}

/* One change as JSON: the record added or removed; for a change, its key and each field {old, new} (null: absent). */
static void show_json(diff_out *d, const strata_record *o, const strata_record *n)
{
	if (o && n) {
		json_t *fields = json_object();
		for (size_t i = 0; i < o->n; i++) {
			const char *nv = strata_json_record_get(n, o->names[i]);
			if (!nv || strcmp(nv, o->values[i]))
				json_object_set_new(fields, o->names[i], json_pack("{s:s, s:s?}", "old", o->values[i], "new", nv));
		}
		for (size_t i = 0; i < n->n; i++)
			if (!strata_json_record_get(o, n->names[i]))
				json_object_set_new(fields, n->names[i], json_pack("{s:n, s:s}", "old", "new", n->values[i]));
		json_array_append_new(d->changed_j, json_pack("{s:o, s:o}", "key", key_json(d, n), "fields", fields));
	} else if (n) {
		json_array_append_new(d->added_j, record_json(n));
	} else {
		json_array_append_new(d->removed_j, record_json(o));
	}
}

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

	if (d->added_j && !d->stat) {
		d->changed += o && n;
		d->added += !o;
		d->removed += !n;
		show_json(d, o, n);
		return 0;
	}
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
				printf(_("    %s: '%s' -> (field removed)\n"), o->names[i], o->values[i]);
			else if (strcmp(nv, o->values[i]))
				printf("    %s: '%s' -> '%s'\n", o->names[i], o->values[i], nv);
		}
		for (size_t i = 0; i < n->n; i++)
			if (!strata_json_record_get(o, n->names[i]))
				printf(_("    %s: (new field) -> '%s'\n"), n->names[i], n->values[i]);
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
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *ra = "HEAD~1", *rb = "HEAD";
	git_commit *ca = NULL, *cb = NULL;
	git_tree *ta = NULL, *tb = NULL;
	strata_schema *s = NULL;
	diff_out d = { 0 };
	int c, as_json = 0, rc = STRATA_ERROR;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': d.stat = 1; break;
		case 'j': as_json = 1; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Records added (+), removed (-) and changed (~, field by field) between two\n"
			       "commits of a dataset (own or received, as 'strata datasets' names it).\n"
			       "OLD and NEW: HEAD, HEAD~N or a commit id.\n\n"
			       "  --stat  only the counts\n"
			       "  --json  one object: added, changed, removed (counts), and unless --stat the\n"
			       "          records: added_records, removed_records, changed_records [{key,\n"
			       "          fields: {NAME: {old, new}}}] (null: the field is absent)\n"), USAGE);
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
	if (as_json) {
		d.added_j = json_array();
		d.changed_j = json_array();
		d.removed_j = json_array();
	}
	if ((rc = strata_dataset_diff(strata_node_repo(cli->node), ta, tb, show, &d)) < 0)
		goto done;
	if (as_json) {
		json_t *o = json_pack("{s:I, s:I, s:I}", "added", (json_int_t)d.added, "changed", (json_int_t)d.changed,
				      "removed", (json_int_t)d.removed);
		if (!d.stat) {
			json_object_set(o, "added_records", d.added_j);
			json_object_set(o, "changed_records", d.changed_j);
			json_object_set(o, "removed_records", d.removed_j);
		}
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		printf(_("%zu added, %zu changed, %zu removed\n"), d.added, d.changed, d.removed);
	}
	rc = 0;
done:
	json_decref(d.added_j);
	json_decref(d.changed_j);
	json_decref(d.removed_j);
	strata_schema_free(s);
	git_tree_free(ta);
	git_tree_free(tb);
	git_commit_free(ca);
	git_commit_free(cb);
	return rc;
}
