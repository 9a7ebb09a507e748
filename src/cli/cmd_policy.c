/*
 * cmd_policy.c - what privacy officers run.
 *
 *   strata policy check FILE [--node NODEDIR]
 *   strata -C NODEDIR policy preview FILE --dataset D [-n N] [--peer P]
 */
#include "cli.h"
#include "strata/node/pending.h"
#include "strata/node/journal.h"
#include "strata/base/fs.h"
#include "strata/node/officers.h"
#include "strata/node/check.h"
#include "strata/policy/redact.h"
#include "strata/data/dataset.h"
#include "strata/format/json.h"
#include "strata/policy/policy_store.h"
#include "strata/policy/view.h"
#include "strata/policy/policy_diff.h"
#include "strata/policy/policy_lint.h"
#include "strata/policy/impact.h"
#include "strata/format/name.h"
#include "strata/base/time.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define USAGE "[-C NODEDIR] policy check FILE [--node NODEDIR] [--strict]\n" \
	      "       strata [-C NODEDIR] policy preview POLICY --dataset DATASET [-n N] [--peer PEER]\n" \
	      "       strata [-C NODEDIR] policy diff [OLD] NEW [--exit-code] [--json]   (a file, NAME or NAME@VERSION)\n" \
	      "       strata [-C NODEDIR] policy impact [OLD] NEW [--peer P] [--json]\n" \
	      "       strata [-C NODEDIR] policy risk POLICY [--peer P] [--json]\n" \
	      "       strata [-C NODEDIR] policy list [--json] | show NAME [--version N]\n" \
	      "       strata [-C NODEDIR] policy commit FILE\n" \
	      "       strata [-C NODEDIR] policy secret export|import NAME FILE | rotate NAME"

static int load_schema(strata_schema **out, strata_node *n, const char *dataset)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	int error;

	*out = NULL;
	if ((error = strata_dataset_resolve(&c, n, dataset, NULL)) == 0) {
		if (git_commit_tree(&t, c) < 0)
			error = strata_error_git("cannot read dataset");
		else
			error = strata_schema_load(out, strata_node_repo(n), t);
	}
	git_tree_free(t);
	git_commit_free(c);
	return error;
}

/* --json: the warnings gathered instead of printed */
static json_t *check_warnings;

static int print_warning(const strata_policy_warning *w, void *payload)
{
	if (check_warnings) {
		json_array_append_new(check_warnings, json_pack("{s:I, s:I, s:s}", "line", (json_int_t)w->line, "column",
								(json_int_t)w->col, "message", w->message));
		return 0;
	}
	if (w->line)
		fprintf(stderr, _("warning: '%s':%u:%u: %s\n"), (const char *)payload, w->line, w->col, w->message);
	else
		fprintf(stderr, _("warning: '%s': %s\n"), (const char *)payload, w->message);
	return 0;
}

static int policy_check(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'N' },
		{ "strict", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *nodedir = cli->node_dir_explicit ? cli->node_dir : NULL;
	strata_policy *p = NULL;
	strata_node *n = NULL;
	size_t checked = 0, skipped = 0;
	int c, strict = 0, as_json = 0, warnings = 0, rc = STRATA_ERROR;

	while ((c = getopt_long(argc, argv, "N:h", opts, NULL)) != -1) {
		switch (c) {
		case 'N': nodedir = optarg; break;
		case 's': strict = 1; break;
		case 'j': as_json = 1; break;
		case 'h':
			printf(_("usage: strata [-C NODEDIR] policy check FILE [--node NODEDIR] [--strict] [--json]\n\n"
			       "Parses and checks a policy: every key known, every transform fits its field.\n"
			       "Against a node (-C or --node) it also checks the fields against the node's\n"
			       "datasets and warns, with file:line:column, of what would silently share\n"
			       "nothing: a recipient peer the node lacks, a tier no peer is of, a dataset\n"
			       "name that matches no dataset, a filter value no record has.\n\n"
			       "  --strict  the warnings are errors (exit 1)\n"
			       "  --json    one object: file, ok, policy, version, datasets, warnings [{line,\n"
			       "            column, message}], error (null, or the first error with its line)\n"));
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(USAGE);
	if (as_json)
		check_warnings = json_array();
	if ((rc = strata_policy_load(&p, argv[optind])) < 0)
		goto done;
	if (nodedir) {
		if ((rc = strata_node_open_checked(&n, nodedir)) < 0)
			goto done;
		for (size_t i = 0; i < p->ndatasets; i++) {
			strata_schema *s = NULL;
			int e = load_schema(&s, n, p->datasets[i].name);
			if (e == STRATA_ENOTFOUND) {
				strata_error_clear();	/* the lint below says so, with the names there are */
				skipped++;
				continue;
			}
			if ((rc = e) < 0 || (rc = strata_policy_check_schema(p, &p->datasets[i], s, 0)) < 0) {
				strata_schema_free(s);
				goto done;
			}
			strata_schema_free(s);
			checked++;
		}
	}
	if (n && (warnings = strata_policy_lint(p, n, print_warning, (void *)argv[optind])) < 0) {
		rc = warnings;
		goto done;
	}
	if (strict && warnings > 0) {
		rc = strata_error_set("'%s': %d warning%s (--strict)", argv[optind], warnings, warnings == 1 ? "" : "s");
		goto done;
	}
	if (!cli->quiet && !as_json)
		printf(_("%s: policy '%s' version %ld is valid (%zu datasets%s)\n"), argv[optind], p->name,
		       p->version, p->ndatasets,
		       nodedir ? (skipped ? _("; some not on this node") : _("; fields checked against the node")) :
				 _("; give --node to check fields against datasets"));
	rc = 0;
done:
	if (as_json) {
		json_t *o = json_pack("{s:s, s:b, s:s?, s:I, s:I, s:O, s:s?}", "file", argv[optind], "ok", rc == 0,
				      "policy", p ? p->name : NULL, "version", p ? (json_int_t)p->version : (json_int_t)0,
				      "datasets", p ? (json_int_t)p->ndatasets : (json_int_t)0, "warnings", check_warnings,
				      "error", rc < 0 ? strata_error_last() : NULL);
		if (o) {
			json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			putchar('\n');
		}
		json_decref(o);
		json_decref(check_warnings);
		check_warnings = NULL;
	}
	strata_node_free(n);
	strata_policy_free(p);
	return rc;
}

/* The policy's secret if the node has one; otherwise a throwaway key, said so. */
static int preview_secret(unsigned char *secret, strata_node *n, const strata_policy *p)
{
	int error = strata_policy_store_secret(secret, n, p->name);
	if (error != STRATA_ENOTFOUND)
		return error;
	fprintf(stderr, _("note: no secret for policy '%s' yet: pseudonyms below use a throwaway key "
			"and will differ once the policy is committed\n"), p->name);
	return RAND_bytes(secret, STRATA_SECRET_LEN) == 1 ? 0 : strata_error_ssl("no randomness");
}

/* Prints s padded to `cols` terminal columns (CJK characters take two). */
static void print_padded(const char *s, int cols)
{
	int w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			w += *p >= 0xe0 ? 2 : 1;
	fputs(s, stdout);
	for (; w < cols; w++)
		putchar(' ');
}

typedef struct {
	strata_redactor *r;
	const strata_schema *s;
	long limit, shown, filtered;
	json_t *rows;	/* --json: [{before, after}] */
} preview_ctx;

static int preview_line(const char *line, size_t len, void *payload)
{
	preview_ctx *x = payload;
	strata_record *in = NULL, *outr = NULL;
	strata_buf out = STRATA_BUF_INIT;
	int kept, error;

	if (x->shown >= x->limit)
		return 1;	/* stop */
	if ((error = strata_json_record_parse(&in, line, len)) < 0 ||
	    (error = strata_redact_record(x->r, in, &out, &kept)) < 0)
		goto done;
	if (!kept) {
		x->filtered++;
		goto done;
	}
	if ((error = strata_json_record_parse(&outr, out.ptr, out.len)) < 0)
		goto done;
	if (x->rows) {
		json_t *b = json_object(), *a = json_object();
		for (size_t i = 0; i < in->n; i++)
			json_object_set_new(b, in->names[i], json_string(in->values[i]));
		for (size_t i = 0; i < x->s->nfields; i++) {
			const char *after = strata_json_record_get(outr, x->s->names[i]);
			json_object_set_new(a, x->s->names[i], after ? json_string(after) : json_null());	/* null: dropped */
		}
		json_array_append_new(x->rows, json_pack("{s:o, s:o}", "before", b, "after", a));
		x->shown++;
		goto done;
	}
	printf(_("record %ld\n"), ++x->shown);
	for (size_t i = 0; i < x->s->nfields; i++) {
		const char *name = x->s->names[i];
		const char *before = strata_json_record_get(in, name), *after = strata_json_record_get(outr, name);
		printf("  ");
		print_padded(name, 14);
		putchar(' ');
		print_padded(before ? before : "", 44);
		printf(" -> %s\n", after ? after : "(dropped)");
	}
done:
	strata_json_record_free(in);
	strata_json_record_free(outr);
	strata_buf_dispose(&out);
	return error;
}

static int load_spec(strata_policy **out, strata_buf *label, const char *spec, strata_cli *cli, strata_node **n);

static int policy_preview(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "dataset", required_argument, NULL, 'd' },
		{ "peer", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dataset = NULL, *peer = NULL;
	unsigned char secret[STRATA_SECRET_LEN];
	strata_policy *p = NULL;
	const strata_policy_dataset *pd = NULL;
	strata_schema *s = NULL;
	strata_node *n = NULL;
	strata_redactor r;
	git_commit *c = NULL;
	git_tree *t = NULL;
	preview_ctx x = { &r, NULL, 10, 0, 0, NULL };
	int opt, rc = STRATA_ERROR, have_r = 0;

	while ((opt = getopt_long(argc, argv, "d:p:n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dataset = optarg; break;
		case 'p': peer = optarg; break;
		case 'n': x.limit = strtol(optarg, NULL, 10); break;
		case 'j':
			if (!x.rows)
				x.rows = json_array();
			break;
		case 'h':
			printf(_("usage: strata [-C NODEDIR] policy preview POLICY --dataset DATASET [-n N] [--peer PEER] [--json]\n\n"
			       "The first records of DATASET as POLICY (a file, NAME or NAME@VERSION committed\n"
			       "on the node) would send them, with the policy's committed secret (or a\n"
			       "throwaway one, said so).\n\n"
			       "  --dataset D  the dataset\n"
			       "  -n N         how many records (default 10)\n"
			       "  --peer P     the recipient, for per-recipient tokens\n"
			       "  --json       one object: policy, version, purpose, dataset, records [{before,\n"
			       "               after}] (null in after: the field is dropped), filtered\n"));
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || !dataset)
		return cli_usage(USAGE);
	{
		strata_buf label = STRATA_BUF_INIT;
		rc = load_spec(&p, &label, argv[optind], cli, &n);
		strata_buf_dispose(&label);
		if (rc < 0 || (!n && (rc = strata_node_open_checked(&n, cli->node_dir)) < 0))
			goto done;
	}
	/* a received dataset (SENDER/.../NAME) goes on under the rules its policy gives NAME, as its views do */
	if ((pd = strata_policy_rules_for(p, dataset)) == NULL) {
		rc = strata_error_set("policy '%s' does not share dataset '%s': nothing would be sent", p->name, dataset);
		goto done;
	}
	if ((rc = strata_dataset_resolve(&c, n, dataset, NULL)) < 0)
		goto done;
	if (git_commit_tree(&t, c) < 0) {
		rc = strata_error_git("cannot read dataset");
		goto done;
	}
	if ((rc = strata_schema_load(&s, strata_node_repo(n), t)) < 0 ||
	    (rc = strata_policy_check_schema(p, pd, s, strchr(dataset, '/') ? STRATA_POLICY_MISSING_OK : 0)) < 0 ||
	    preview_secret(secret, n, p) < 0)
		goto done;
	if ((rc = strata_redact_init(&r, p, pd,
				 peer ? peer : (p->npeers ? p->peers[0] : ""), secret)) < 0)
		goto done;
	have_r = 1;
	if ((rc = strata_redact_recipient_peer(&r, n, peer ? peer : (p->npeers ? p->peers[0] : ""))) < 0)
		goto done;
	x.s = s;
	if (!x.rows)
		printf(_("policy '%s' v%ld, purpose: %s\n"), p->name, p->version, p->purpose);
	if ((rc = strata_dataset_foreach(strata_node_repo(n), t, preview_line, &x)) < 0)
		goto done;
	if (x.rows) {
		json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:O, s:I}", "policy", p->name, "version", (json_int_t)p->version,
				      "purpose", p->purpose, "dataset", dataset, "records", x.rows, "filtered",
				      (json_int_t)x.filtered);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else if (x.filtered) {
		printf(_("(%ld records before these were left out by the row filter)\n"), x.filtered);
	}
	rc = 0;
done:
	json_decref(x.rows);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (have_r)
		strata_redact_dispose(&r);
	git_tree_free(t);
	git_commit_free(c);
	strata_schema_free(s);
	strata_node_free(n);
	strata_policy_free(p);
	return rc;
}

static int commit_file(strata_cli *cli, const char *path)
{
	strata_policy_commit_result res;
	strata_node *n = NULL;
	char hex[GIT_OID_HEXSZ + 1], bhex[GIT_OID_HEXSZ + 1];
	int rc = STRATA_ERROR;

	if ((rc = strata_node_open_checked(&n, cli->node_dir)) < 0)
		goto done;
	cli->node = n;
	rc = cli_act(cli, STRATA_ROLE_OFFICER, _("commit a policy"));
	cli->node = NULL;
	if (rc < 0 || (rc = strata_policy_store_commit(n, path, &res)) < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), &res.commit);
	git_oid_tostr(bhex, sizeof(bhex), &res.blob);
	if (!cli->quiet) {
		if (res.unchanged)
			printf(_("%s: already committed (blob %.12s)\n"), path, bhex);
		else
			printf(_("%s: committed as blob %.12s in refs/strata/policies (commit %.12s, signed)\n"),
			       path, bhex, hex);
		if (res.secret_created)
			printf(_("created the policy's secret in %s/secrets/ (back it up: it cannot be recreated)\n"),
			       strata_node_path(n));
	}
	rc = 0;
done:
	strata_node_free(n);
	return rc;
}

/*
 * A policy as the command line names it: a file (if one exists at that
 * path), else NAME or NAME@VERSION committed on the node (-C).
 */
static int load_spec(strata_policy **out, strata_buf *label, const char *spec, strata_cli *cli, strata_node **n)
{
	struct stat st;
	char name[128];
	const char *at = strchr(spec, '@');
	long version = -1;
	git_oid blob;
	int rc;

	*out = NULL;
	strata_buf_clear(label);
	/* a version that waits for a second officer (pending.h), exactly as its proposer signed it */
	if (!strncmp(spec, "pending:", 8)) {
		strata_pending pd;
		const char *text;
		if (!*n && (rc = strata_node_open_checked(n, cli->node_dir)) < 0)
			return rc;
		if ((rc = strata_pending_get(&pd, *n, spec + 8)) < 0)
			return rc;
		text = json_string_value(json_object_get(pd.body, "text"));
		if (strcmp(pd.kind, "policy-commit") || !text)
			rc = strata_error_setc(STRATA_ENOTFOUND, "'%s' waits, but is not a policy version", spec + 8);
		else if ((rc = strata_policy_parse(out, spec, text, strlen(text))) == 0)
			strata_buf_printf(label, _("proposed by %s, waiting"), pd.proposer);
		strata_pending_dispose(&pd);
		return rc;
	}
	/* a path (it has a '/' or a '.', which no policy name has) or a file that is there */
	if (strpbrk(spec, "/.") || (stat(spec, &st) == 0 && S_ISREG(st.st_mode))) {
		strata_buf_printf(label, "%s", spec);
		return strata_policy_load(out, spec);
	}
	snprintf(name, sizeof(name), "%.*s", (int)(at ? (size_t)(at - spec) : strlen(spec)), spec);
	if (at) {
		char *end;
		version = strtol(at + 1, &end, 10);
		if (end == at + 1 || *end || version < 0)
			return strata_error_set("'%s': a version is a whole number (NAME@2)", spec);
	}
	if (!strata_name_node_valid(name))
		return strata_error_setc(STRATA_ENOTFOUND, "'%s' is neither a policy file nor the name of a committed policy",
					 spec);
	if (!*n && (rc = strata_node_open_checked(n, cli->node_dir)) < 0)
		return rc;
	if ((rc = strata_policy_store_load_version(out, &blob, *n, name, version)) < 0)
		return rc;
	strata_buf_printf(label, "committed, blob %.12s", git_oid_tostr_s(&blob));
	return 0;
}

static const char *effect_text(int e)
{
	switch (e & (STRATA_PD_MORE | STRATA_PD_LESS)) {
	case STRATA_PD_MORE: return e & STRATA_PD_TOKENS ? N_("MORE visible, changes tokens") : N_("MORE visible");
	case STRATA_PD_LESS: return e & STRATA_PD_TOKENS ? N_("less visible, changes tokens") : N_("less visible");
	case STRATA_PD_MORE | STRATA_PD_LESS:
		return e & STRATA_PD_TOKENS ? N_("MORE and less visible, changes tokens") : N_("MORE and less visible: review by hand");
	default: return e & STRATA_PD_TOKENS ? N_("changes tokens") : N_("changed");
	}
}

typedef struct {
	long more, less, tokens;
	json_t *json;
} diff_out;

static int print_change(const strata_policy_change *c, void *payload)
{
	diff_out *o = payload;

	o->more += (c->effect & STRATA_PD_MORE) != 0;
	o->less += (c->effect & STRATA_PD_LESS) != 0;
	o->tokens += (c->effect & STRATA_PD_TOKENS) != 0;
	if (o->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "what", c->what, "old", c->old_text,
				      "new", c->new_text, "why", c->why, "more_visible", (c->effect & STRATA_PD_MORE) != 0,
				      "less_visible", (c->effect & STRATA_PD_LESS) != 0,
				      "changes_tokens", (c->effect & STRATA_PD_TOKENS) != 0);
		json_object_set_new(j, "dataset", c->dataset ? json_string(c->dataset) : json_null());
		json_object_set_new(j, "field", c->field ? json_string(c->field) : json_null());
		json_object_set_new(j, "line", c->line ? json_integer(c->line) : json_null());
		json_array_append_new(o->json, j);
		return 0;
	}
	printf("  %s%s%s%s%s: %s -> %s\n      %s: %s\n", c->dataset ? c->dataset : "", c->dataset ? " " : "", c->what,
	       c->field ? " " : "", c->field ? c->field : "", *c->old_text ? c->old_text : "-",
	       *c->new_text ? c->new_text : "-", _(effect_text(c->effect)), c->why);
	return 0;
}

static int policy_diff(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "exit-code", no_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_policy *a = NULL, *b = NULL;
	strata_node *n = NULL;
	strata_buf la = STRATA_BUF_INIT, lb = STRATA_BUF_INIT;
	diff_out o = { 0, 0, 0, NULL };
	int c, exit_code = 0, rc = STRATA_ERROR;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'x': exit_code = 1; break;
		case 'j': o.json = json_array(); break;
		case 'h':
			printf(_("usage: strata [-C NODEDIR] policy diff OLD NEW [--exit-code] [--json]\n\n"
			       "Every change from OLD to NEW and what it does to what recipients see: more\n"
			       "visible, less visible, or tokens that change.  OLD and NEW are each a policy\n"
			       "file, or NAME (the version committed on the node) or NAME@VERSION (any version\n"
			       "ever committed), or pending:ID (a version that waits for a second officer).\n"
			       "A single argument is compared with the committed version of the policy it names.\n\n"
			       "  --exit-code  exit 1 if anything becomes more visible (for a review gate)\n"
			       "  --json       the changes as JSON\n"));
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (argc - optind != 1 && argc - optind != 2) {
		json_decref(o.json);
		return cli_usage(USAGE);
	}
	if ((rc = load_spec(&b, &lb, argv[argc - 1], cli, &n)) < 0)
		goto done;
	if (argc - optind == 2)
		rc = load_spec(&a, &la, argv[optind], cli, &n);
	else
		rc = load_spec(&a, &la, b->name, cli, &n);	/* against what is committed */
	if (rc < 0)
		goto done;
	if (!o.json) {
		printf(_("policy %s version %ld (%s) -> %s version %ld (%s)\n"), a->name, a->version, la.ptr, b->name,
		       b->version, lb.ptr);
		if (strcmp(a->name, b->name))
			printf(_("  note: these are two different policies\n"));
	}
	if ((rc = strata_policy_diff(a, b, print_change, &o)) < 0)
		goto done;
	if (o.json) {
		json_t *doc = json_pack("{s:s, s:I, s:s, s:I, s:O, s:I, s:I, s:I}", "old", a->name, "old_version",
					(json_int_t)a->version, "new", b->name, "new_version", (json_int_t)b->version,
					"changes", o.json, "more_visible", (json_int_t)o.more, "less_visible",
					(json_int_t)o.less, "changes_tokens", (json_int_t)o.tokens);
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(doc);
	} else {
		printf(_("%d change%s: %ld expose more, %ld expose less, %ld change tokens\n"), rc, rc == 1 ? "" : "s",
		       o.more, o.less, o.tokens);
	}
	rc = 0;
	if (exit_code && o.more)
		rc = strata_error_set("%ld change%s make more visible (--exit-code)", o.more, o.more == 1 ? "" : "s");
done:
	json_decref(o.json);
	strata_policy_free(a);
	strata_policy_free(b);
	strata_node_free(n);
	strata_buf_dispose(&la);
	strata_buf_dispose(&lb);
	return rc;
}

static int list_version(const strata_policy_version *v, void *payload)
{
	json_t *versions = payload;
	char t[40];

	strata_time_format(t, sizeof(t), v->time);
	if (versions) {
		char blob[GIT_OID_HEXSZ + 1], commit[GIT_OID_HEXSZ + 1];
		git_oid_tostr(blob, sizeof(blob), &v->blob);
		git_oid_tostr(commit, sizeof(commit), &v->commit);
		json_array_append_new(versions, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s%}", "version", (json_int_t)v->policy->version,
							  "blob", blob, "commit", commit, "committed", t, "purpose",
							  v->policy->purpose, "text", v->text, v->len));
		return 0;
	}
	printf(_("  version %-3ld blob %.12s  committed %s  purpose: %s\n"), v->policy->version, git_oid_tostr_s(&v->blob),
	       t, v->policy->purpose);
	return 0;
}

static json_t *str_array(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static int policy_list(int argc, char **argv, strata_cli *cli)
{
	strata_node *n = NULL;
	char **names = NULL;
	size_t count = 0;
	json_t *all = NULL;
	int rc;

	if (argc == 2 && !strcmp(argv[1], "--json")) {
		all = json_array();
	} else if (argc != 1) {
		if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf(_("usage: strata [-C NODEDIR] policy list [--json]\n\nThe policies committed on the node, "
			       "each with every version ever committed (--json: with each version's text).\n"));
			return 0;
		}
		return cli_usage(USAGE);
	}
	if ((rc = strata_node_open_checked(&n, cli->node_dir)) < 0 || (rc = strata_policy_store_list(&names, &count, n)) < 0)
		goto done;
	if (count == 0 && !all)
		printf(_("no policies committed yet: commit one with 'strata policy commit FILE'\n"));
	for (size_t i = 0; i < count && rc >= 0; i++) {
		strata_policy *p = NULL;
		if ((rc = strata_policy_store_load(&p, NULL, n, names[i])) < 0)
			break;
		if (all) {
			json_t *ds = json_array(), *versions = json_array();
			for (size_t k = 0; k < p->ndatasets; k++)
				json_array_append_new(ds, json_string(p->datasets[k].name));
			json_array_append_new(all, json_pack("{s:s, s:I, s:o, s:o, s:o, s:o}", "policy", p->name, "version",
							     (json_int_t)p->version, "peers", str_array(p->peers, p->npeers),
							     "tiers", str_array(p->tiers, p->ntiers), "datasets", ds,
							     "versions", versions));
			strata_policy_free(p);
			rc = strata_policy_store_versions(n, names[i], list_version, versions);
			continue;
		}
		printf(_("%s: version %ld, for"), p->name, p->version);
		for (size_t k = 0; k < p->npeers; k++)
			printf(_(" peer %s"), p->peers[k]);
		for (size_t k = 0; k < p->ntiers; k++)
			printf(_(" tier %s"), p->tiers[k]);
		printf(_(", shares"));
		for (size_t k = 0; k < p->ndatasets; k++)
			printf("%s %s", k ? "," : "", p->datasets[k].name);
		putchar('\n');
		strata_policy_free(p);
		rc = strata_policy_store_versions(n, names[i], list_version, NULL);
	}
	rc = rc < 0 ? rc : 0;
	if (rc == 0 && all) {
		json_dumpf(all, stdout, JSON_INDENT(2));
		putchar('\n');
	}
done:
	json_decref(all);
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	strata_node_free(n);
	return rc;
}

typedef struct {
	long version;
	int shown;
} show_ctx;

static int show_version(const strata_policy_version *v, void *payload)
{
	show_ctx *x = payload;
	char t[40];

	if (x->version >= 0 && v->policy->version != x->version)
		return 0;
	strata_time_format(t, sizeof(t), v->time);
	char blob[GIT_OID_HEXSZ + 1], commit[GIT_OID_HEXSZ + 1];
	git_oid_tostr(blob, sizeof(blob), &v->blob);
	git_oid_tostr(commit, sizeof(commit), &v->commit);
	printf(_("# policy %s version %ld: blob %s, committed %s (commit %.12s)\n"), v->policy->name, v->policy->version,
	       blob, t, commit);
	fwrite(v->text, 1, v->len, stdout);
	x->shown = 1;
	return 1;	/* the newest that matches */
}

static int policy_show(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "version", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	show_ctx x = { -1, 0 };
	strata_node *n = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'v': {
			char *end;
			x.version = strtol(optarg, &end, 10);
			if (end == optarg || *end || x.version < 0) {
				fprintf(stderr, _("strata: --version '%s': a whole number\n"), optarg);
				return CLI_EUSAGE;
			}
			break;
		}
		case 'h':
			printf(_("usage: strata [-C NODEDIR] policy show NAME [--version N]\n\n"
			       "The text of a committed policy (the newest, or version N), as committed.\n"));
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(USAGE);
	if ((rc = strata_node_open_checked(&n, cli->node_dir)) < 0)
		return rc;
	rc = strata_policy_store_versions(n, argv[optind], show_version, &x);
	if (rc >= 0 && !x.shown)
		rc = strata_error_setc(STRATA_ENOTFOUND, "policy '%s' was never committed at version %ld on node '%s'",
				       argv[optind], x.version, strata_node_name(n));
	strata_node_free(n);
	return rc < 0 ? rc : 0;
}

/* ---- impact and risk ---- */

static double pct(size_t a, size_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void print_risk(const char *label, const strata_risk *r, const char *qi, const char *sensitive)
{
	if (!*qi) {
		printf(_("    %s: none (the policy names no quasi-identifier: records of no person)\n"), label);
		return;
	}
	printf(_("    %s: %zu records in %zu classes on %s\n"), label, r->records, r->classes, *qi ? qi : _("(no field)"));
	if (!r->records)
		return;
	printf(_("      min k %zu (max risk %.2f), unique %zu (%.1f%%), in classes below 5: %zu (%.1f%%), average risk %.3f\n"),
	       r->min_k, r->max_risk, r->unique, pct(r->unique, r->records), r->below_5, pct(r->below_5, r->records),
	       r->avg_risk);
	/* the same thresholds as the console's verdict */
	printf(_("      verdict: %s (high from a max risk of 0.2: a class of fewer than 5 records; medium from 0.05: fewer than 20)\n"),
	       r->max_risk >= 0.2 ? _("HIGH") : r->max_risk >= 0.05 ? _("medium") : _("low"));
	if (r->has_l)
		printf(_("      l-diversity of %s: min l %zu; %zu of %zu classes hold one value of it (%.1f%%)\n"), sensitive,
		       r->min_l, r->l_1, r->classes, pct(r->l_1, r->classes));
}

static json_t *risk_json(const strata_risk *r, const char *qi)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I}", "quasi_identifiers", qi, "records",
			      (json_int_t)r->records, "classes", (json_int_t)r->classes, "min_k", (json_int_t)r->min_k,
			      "unique", (json_int_t)r->unique, "below_5", (json_int_t)r->below_5, "max_risk", r->max_risk,
			      "avg_risk", r->avg_risk, "suppressed", (json_int_t)r->suppressed);
	if (r->has_l) {
		json_object_set_new(o, "min_l", json_integer((json_int_t)r->min_l));
		json_object_set_new(o, "l_1_classes", json_integer((json_int_t)r->l_1));
	}
	return o;
}

typedef struct {
	int risk_only;
	const strata_policy *before, *after;
	json_t *json;
	int throwaway_noted;
	json_t *pooled;
	int joint_header;
} impact_out;

static const char *sensitive_of(const strata_policy *p, const char *source)
{
	const strata_policy_dataset *pd = p ? strata_policy_rules_for(p, source) : NULL;
	return pd && pd->sensitive ? pd->sensitive : "";
}

/* Two holders pooling what they hold (impact.h): the risk both together, beside each alone. */
static int print_joint(const strata_joint_risk *j, void *payload)
{
	impact_out *o = payload;
	char here[160];

	snprintf(here, sizeof(here), "%s%s", j->a, j->a_self ? _(" (this node)") : "");
	if (o->json) {
		json_t *a = risk_json(&j->alone_a, ""), *b = risk_json(&j->alone_b, "");
		json_array_append_new(o->pooled, json_pack("{s:s, s:s, s:b, s:s, s:I, s:o, s:o, s:o}", "dataset", j->source,
							   "a", j->a, "a_is_this_node", j->a_self, "b", j->b, "records",
							   (json_int_t)j->pooled, "pooled", risk_json(&j->pooled_risk, j->qi),
							   "alone_a", a, "alone_b", b));
		return 0;
	}
	if (!o->joint_header++)
		printf(_("\nif two holders pooled what they hold (joined on the records both hold):\n"));
	printf(_("\n  %s + %s, %s (%zu records both hold):\n"), here, j->b, j->source, j->pooled);
	if (!j->pooled)
		return 0;
	printf(_("    pooled: min k %zu (max risk %.2f), unique %zu (%.1f%%), in classes below 5: %zu (%.1f%%), average risk %.3f\n"),
	       j->pooled_risk.min_k, j->pooled_risk.max_risk, j->pooled_risk.unique, pct(j->pooled_risk.unique, j->pooled),
	       j->pooled_risk.below_5, pct(j->pooled_risk.below_5, j->pooled), j->pooled_risk.avg_risk);
	printf(_("    alone:  %s unique %zu (%.1f%%); %s unique %zu (%.1f%%)\n"), j->a, j->alone_a.unique,
	       pct(j->alone_a.unique, j->pooled), j->b, j->alone_b.unique, pct(j->alone_b.unique, j->pooled));
	printf(_("    on %s\n"), j->qi);
	return 0;
}

static int print_impact(const strata_impact *im, void *payload)
{
	impact_out *o = payload;

	if (im->throwaway_secret && !o->throwaway_noted) {
		fprintf(stderr, _("note: policy '%s' has no secret on this node yet: tokens are counted with a throwaway key\n"),
			o->after->name);
		o->throwaway_noted = 1;
	}
	if (o->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "peer", im->peer, "tier", im->tier, "dataset", im->source,
				      "source_records", (json_int_t)im->source_records), *fields = json_array();
		if (o->risk_only) {
			json_object_set_new(j, "records", json_integer((json_int_t)im->after_records));
			json_object_set_new(j, "risk", risk_json(&im->after_risk, im->after_qi));
		} else {
			json_object_set_new(j, "before", im->before_applies ?
				json_pack("{s:I, s:o}", "records", (json_int_t)im->before_records, "risk",
					  risk_json(&im->before_risk, im->before_qi)) : json_null());
			json_object_set_new(j, "after", im->after_applies ?
				json_pack("{s:I, s:o}", "records", (json_int_t)im->after_records, "risk",
					  risk_json(&im->after_risk, im->after_qi)) : json_null());
			json_object_set_new(j, "gained", json_integer((json_int_t)im->gained));
			json_object_set_new(j, "lost", json_integer((json_int_t)im->lost));
			for (size_t f = 0; f < im->nfields; f++)
				json_array_append_new(fields, json_pack("{s:s, s:I, s:I, s:I, s:b}", "field", im->fields[f].name,
					"visible", (json_int_t)im->fields[f].visible, "hidden", (json_int_t)im->fields[f].hidden,
					"changed", (json_int_t)im->fields[f].changed, "tokens", im->fields[f].tokens));
		}
		json_object_set_new(j, "fields", fields);
		json_array_append_new(o->json, j);
		return 0;
	}
	printf(_("\nto %s (%s), %s (%zu records here):\n"), im->peer, *im->tier ? im->tier : "?", im->source, im->source_records);
	if (o->risk_only) {
		printf(_("    receives %zu records"), im->after_records - im->after_risk.suppressed);
		if (im->after_risk.suppressed)
			printf(_(" (%zu in classes below min_k left out)"), im->after_risk.suppressed);
		putchar('\n');
		print_risk(_("re-identification risk"), &im->after_risk, im->after_qi, sensitive_of(o->after, im->source));
		return 0;
	}
	printf(_("    records: %zu -> %zu (%zu gained, %zu lost)%s\n"), im->before_records, im->after_records, im->gained,
	       im->lost, !im->before_applies ? _(" (not shared before)") : !im->after_applies ? _(" (no longer shared)") : "");
	if (im->before_risk.suppressed || im->after_risk.suppressed)
		printf(_("    in classes below min_k, left out: %zu -> %zu\n"), im->before_risk.suppressed,
		       im->after_risk.suppressed);
	for (size_t f = 0; f < im->nfields; f++) {
		const strata_impact_field *fd = &im->fields[f];
		if (!fd->visible && !fd->hidden && !fd->changed)
			continue;
		printf("    %s:", fd->name);
		if (fd->visible)
			printf(_(" becomes visible in %zu records"), fd->visible);
		if (fd->hidden)
			printf(_("%s hidden in %zu"), fd->visible ? "," : " becomes", fd->hidden);
		if (fd->changed)
			printf(_("%s %zu %s"), fd->visible || fd->hidden ? "," : "", fd->changed,
			       fd->tokens ? _("tokens change") : _("values show differently"));
		putchar('\n');
	}
	if (im->before_applies)
		print_risk(_("risk before"), &im->before_risk, im->before_qi, sensitive_of(o->before, im->source));
	if (im->after_applies)
		print_risk(_("risk after"), &im->after_risk, im->after_qi, sensitive_of(o->after, im->source));
	return 0;
}

static int policy_impact(int argc, char **argv, strata_cli *cli, int risk_only)
{
	static const struct option opts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_policy *a = NULL, *b = NULL;
	strata_node *n = NULL;
	strata_buf la = STRATA_BUF_INIT, lb = STRATA_BUF_INIT;
	impact_out o = { risk_only, NULL, NULL, NULL, 0, NULL, 0 };
	const char *peer = NULL;
	int c, rc = STRATA_ERROR;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': peer = optarg; break;
		case 'j': if (!o.json) o.json = json_array(); break;
		case 'h':
			if (risk_only)
				printf(_("usage: strata [-C NODEDIR] policy risk POLICY [--peer P] [--json]\n\n"
				       "The re-identification risk of what each recipient of POLICY (NAME, NAME@VERSION\n"
				       "or a file) would hold of this node's data: records agreeing on every\n"
				       "quasi-identifier (the dataset's quasi_identifiers, or every shared field but\n"
				       "the key) form a class of k; min k, the records unique (k = 1) and in classes\n"
				       "below 5, the maximum (1/min k) and average risk (prosecutor model, GB/T\n"
				       "42460-2023), and the l-diversity of the dataset's sensitive field.\n"));
			else
				printf(_("usage: strata [-C NODEDIR] policy impact [OLD] NEW [--peer P] [--json]\n\n"
				       "What NEW would change on this node's real data, per recipient and dataset,\n"
				       "against OLD (default: the version committed): records gained and lost, per\n"
				       "field how many values become visible or hidden, how many tokens change, and\n"
				       "the re-identification risk before and after (see 'policy risk').  Each is a\n"
				       "file, NAME or NAME@VERSION.  Nothing is written.\n"));
			json_decref(o.json);
			return 0;
		default: json_decref(o.json); return cli_usage(USAGE);
		}
	}
	if (argc - optind != 1 && (risk_only || argc - optind != 2)) {
		json_decref(o.json);
		return cli_usage(USAGE);
	}
	if ((rc = load_spec(&b, &lb, argv[argc - 1], cli, &n)) < 0)
		goto done;
	if (!n && (rc = strata_node_open_checked(&n, cli->node_dir)) < 0)
		goto done;
	if (!risk_only) {
		rc = load_spec(&a, &la, argc - optind == 2 ? argv[optind] : b->name, cli, &n);
		if (rc == STRATA_ENOTFOUND && argc - optind == 1) {
			strata_error_clear();	/* never committed: nothing was shared before */
			strata_buf_puts(&la, _("nothing committed"));
			rc = 0;
		}
		if (rc < 0)
			goto done;
	}
	o.before = a;
	o.after = b;
	if (!o.json) {
		if (risk_only)
			printf(_("risk of policy %s version %ld (%s) on %s's data\n"), b->name, b->version, lb.ptr, strata_node_name(n));
		else if (a)
			printf(_("impact of policy %s version %ld (%s) against version %ld (%s) on %s's data\n"), b->name, b->version,
			       lb.ptr, a->version, la.ptr, strata_node_name(n));
		else
			printf(_("impact of policy %s version %ld (%s) on %s's data (nothing committed before)\n"), b->name,
			       b->version, lb.ptr, strata_node_name(n));
	}
	if ((rc = strata_policy_impact(n, a, b, peer, print_impact, &o)) < 0)
		goto done;
	{
		/* and what two holders would learn together: the policy's recipients pairwise, and this node with each */
		int pairs;
		if (o.json)
			o.pooled = json_array();
		if ((pairs = strata_policy_joint_risk(n, b, print_joint, &o)) < 0) {
			rc = pairs;
			goto done;
		}
	}
	if (o.json) {
		json_t *doc = json_pack("{s:s, s:s, s:I, s:O, s:O}", "node", strata_node_name(n), "policy", b->name, "version",
					(json_int_t)b->version, risk_only ? "risk" : "impact", o.json, "pooled", o.pooled);
		if (a)
			json_object_set_new(doc, "against_version", json_integer((json_int_t)a->version));
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(doc);
	} else if (rc == 0) {
		printf(_("\nno peer of this node receives anything under it%s\n"), peer ? _(" (or that peer)") : "");
	}
	rc = 0;
done:
	json_decref(o.json);
	json_decref(o.pooled);
	strata_policy_free(a);
	strata_policy_free(b);
	strata_node_free(n);
	strata_buf_dispose(&la);
	strata_buf_dispose(&lb);
	return rc;
}

/* Yes from a terminal, to a question on stderr. */
static int confirmed(const char *question)
{
	char answer[16];
	if (!isatty(STDIN_FILENO))
		return 0;
	fprintf(stderr, "%s [y/N] ", question);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	return answer[0] == 'y' || answer[0] == 'Y';
}

/*
 * Four eyes (pending.h): version `a` asks two officers for what exposes
 * more, and `b` does; the acting officer proposes it, a second approves.
 */
static int propose(strata_cli *cli, strata_node *n, const char *path, const strata_policy *a, const strata_policy *b)
{
	strata_buf text = STRATA_BUF_INIT;
	diff_out d = { 0, 0, 0, NULL };
	char id[17], summary[300];
	json_t *body = NULL;
	int rc;

	cli->node = n;
	rc = cli_act(cli, STRATA_ROLE_OFFICER, _("commit a policy"));
	cli->node = NULL;
	if (rc < 0)
		return rc;
	if (!strata_officers_actor(n))
		return strata_error_set("policy '%s' version %ld asks two officers for a version that makes more visible, "
					"and this node has none ('strata officer add')", a->name, a->version);
	if ((rc = strata_fs_read(&text, path, 1 << 20)) < 0)
		return rc;
	printf(_("policy %s version %ld -> %ld makes more visible:\n"), a->name, a->version, b->version);
	strata_policy_diff(a, b, print_change, &d);
	snprintf(summary, sizeof(summary), "policy %s version %ld makes more visible than version %ld", b->name,
		 b->version, a->version);
	body = json_pack("{s:s, s:I, s:s}", "name", b->name, "version", (json_int_t)b->version, "text", text.ptr ? text.ptr : "");
	if ((rc = strata_journal_lock(n)) == 0 && (rc = strata_pending_propose(id, n, "policy-commit", summary, body)) == 0)
		printf(_("version %ld of '%s' asks a second officer for this: it waits ('strata approve %s', or "
			 "--refuse --reason)\n"), a->version, a->name, id);
	json_decref(body);
	strata_buf_dispose(&text);
	return rc;
}

/*
 * policy commit FILE [--confirm]: a new version that makes anything more
 * visible shows what changes and what it does on this node's data, and
 * is committed only with --confirm (or a yes on a terminal).
 */
static int policy_commit(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "confirm", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_policy *a = NULL, *b = NULL;
	strata_node *n = NULL;
	diff_out d = { 0, 0, 0, NULL };
	impact_out io = { 0, NULL, NULL, NULL, 0 };
	int c, confirm = 0, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'y': confirm = 1; break;
		case 'h':
			printf(_("usage: strata [-C NODEDIR] policy commit FILE [--confirm]\n\n"
			       "Commits a policy (signed, in refs/strata/policies); its version must go up.\n"
			       "A version that makes anything more visible than the one committed prints\n"
			       "the changes and their impact on this node's data, and is committed only\n"
			       "with --confirm, or a yes on a terminal.\n"));
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(USAGE);
	if ((rc = strata_policy_load(&b, argv[optind])) < 0 || (rc = strata_node_open_checked(&n, cli->node_dir)) < 0)
		goto done;
	/* obligations travel: received data may not be shared on with recipients its own policy does not allow */
	if ((rc = strata_view_onward_check(n, b)) < 0) {
		char why[1024];
		snprintf(why, sizeof(why), "%s", strata_error_last());
		rc = strata_error_set("'%s': %s; nothing committed", argv[optind], why);
		goto done;
	}
	rc = strata_policy_store_load(&a, NULL, n, b->name);
	if (rc == STRATA_ENOTFOUND) {
		strata_error_clear();	/* the first version: nothing to compare with */
		rc = 0;
	} else if (rc == 0 && a->version < b->version) {
		{
			/* count quietly first: only a loosening is shown */
			diff_out q = { 0, 0, 0, json_array() };
			strata_policy_diff(a, b, print_change, &q);
			json_decref(q.json);
			if (q.more && a->approval_expose_more >= 2) {
				rc = propose(cli, n, argv[optind], a, b);
				goto done;
			}
			if (q.more && !confirm) {
				printf(_("policy %s version %ld -> %ld makes more visible:\n"), a->name, a->version, b->version);
				strata_policy_diff(a, b, print_change, &d);
				io.before = a;
				io.after = b;
				if ((rc = strata_policy_impact(n, a, b, NULL, print_impact, &io)) < 0)
					goto done;
				fflush(stdout);
				if (!confirmed(_("commit it?"))) {
					rc = strata_error_set("'%s' makes more visible than version %ld (above): "
							      "commit it with --confirm", argv[optind], a->version);
					goto done;
				}
			}
		}
	}
	if (rc < 0)
		goto done;
	strata_node_free(n);
	n = NULL;
	rc = commit_file(cli, argv[optind]);
done:
	strata_policy_free(a);
	strata_policy_free(b);
	strata_node_free(n);
	return rc;
}

int cmd_policy(int argc, char **argv, strata_cli *cli)
{
	if (argc < 2)
		return cli_usage(USAGE);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf(_("usage: strata %s\n"), USAGE);
		return 0;
	}
	if (!strcmp(argv[1], "check"))
		return policy_check(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "preview"))
		return policy_preview(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "commit"))
		return policy_commit(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "diff"))
		return policy_diff(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "list"))
		return policy_list(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "impact"))
		return policy_impact(argc - 1, argv + 1, cli, 0);
	if (!strcmp(argv[1], "risk"))
		return policy_impact(argc - 1, argv + 1, cli, 1);
	if (!strcmp(argv[1], "show"))
		return policy_show(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "secret"))
		return cmd_policy_secret(argc - 1, argv + 1, cli);
	{
		static const char *const subs[] = { "check", "preview", "diff", "impact", "risk", "commit", "list", "show",
						    "secret" };
		return cli_unknown_sub("policy", argv[1], subs, sizeof(subs) / sizeof(*subs), NULL);
	}
}
