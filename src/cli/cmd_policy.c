/*
 * cmd_policy.c - what privacy officers run.
 *
 *   strata policy check FILE [--node NODEDIR]
 *   strata -C NODEDIR policy preview FILE --dataset D [-n N] [--peer P]
 */
#include "cli.h"
#include "strata/policy/redact.h"
#include "strata/data/dataset.h"
#include "strata/format/json.h"
#include "strata/policy/policy_store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define USAGE "policy check FILE [--node NODEDIR]\n" \
	      "       strata [-C NODEDIR] policy preview FILE --dataset DATASET [-n N] [--peer PEER]\n" \
	      "       strata policy diff OLD NEW\n" \
	      "       strata [-C NODEDIR] policy commit FILE"

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

static int policy_check(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 }
	};
	const char *nodedir = cli->node_dir_explicit ? cli->node_dir : NULL;
	strata_policy *p = NULL;
	strata_node *n = NULL;
	size_t checked = 0, skipped = 0;
	int c, rc = STRATA_ERROR;

	while ((c = getopt_long(argc, argv, "N:", opts, NULL)) != -1) {
		if (c != 'N')
			return cli_usage(USAGE);
		nodedir = optarg;
	}
	if (optind + 1 != argc)
		return cli_usage(USAGE);
	if ((rc = strata_policy_load(&p, argv[optind])) < 0)
		goto done;
	if (nodedir) {
		if ((rc = strata_node_open(&n, nodedir)) < 0)
			goto done;
		for (size_t i = 0; i < p->ndatasets; i++) {
			strata_schema *s = NULL;
			int e = load_schema(&s, n, p->datasets[i].name);
			if (e == STRATA_ENOTFOUND) {
				fprintf(stderr, "note: node '%s' has no dataset '%s'; its fields were not checked\n",
					strata_node_name(n), p->datasets[i].name);
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
	if (!cli->quiet)
		printf("%s: policy '%s' version %ld is valid (%zu datasets%s)\n", argv[optind], p->name,
		       p->version, p->ndatasets,
		       nodedir ? (skipped ? "; some not on this node" : "; fields checked against the node") :
				 "; give --node to check fields against datasets");
	rc = 0;
done:
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
	fprintf(stderr, "note: no secret for policy '%s' yet: pseudonyms below use a throwaway key "
			"and will differ once the policy is committed\n", p->name);
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
	printf("record %ld\n", ++x->shown);
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

static int policy_preview(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "dataset", required_argument, NULL, 'd' },
		{ "peer", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dataset = NULL, *peer = NULL;
	unsigned char secret[STRATA_SECRET_LEN];
	strata_policy *p = NULL;
	strata_schema *s = NULL;
	strata_node *n = NULL;
	strata_redactor r;
	git_commit *c = NULL;
	git_tree *t = NULL;
	preview_ctx x = { &r, NULL, 10, 0, 0 };
	int opt, rc = STRATA_ERROR, have_r = 0;

	while ((opt = getopt_long(argc, argv, "d:p:n:", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dataset = optarg; break;
		case 'p': peer = optarg; break;
		case 'n': x.limit = strtol(optarg, NULL, 10); break;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || !dataset)
		return cli_usage(USAGE);
	if ((rc = strata_policy_load(&p, argv[optind])) < 0 || (rc = strata_node_open(&n, cli->node_dir)) < 0)
		goto done;
	if (!strata_policy_find(p, dataset)) {
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
	    (rc = strata_policy_check_schema(p, strata_policy_find(p, dataset), s, 0)) < 0 ||
	    preview_secret(secret, n, p) < 0)
		goto done;
	if ((rc = strata_redact_init(&r, p, strata_policy_find(p, dataset),
				 peer ? peer : (p->npeers ? p->peers[0] : ""), secret)) < 0)
		goto done;
	have_r = 1;
	x.s = s;
	printf("policy '%s' v%ld, purpose: %s\n", p->name, p->version, p->purpose);
	if ((rc = strata_dataset_foreach(strata_node_repo(n), t, preview_line, &x)) < 0)
		goto done;
	if (x.filtered)
		printf("(%ld records before these were left out by the row filter)\n", x.filtered);
	rc = 0;
done:
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

static int policy_commit(int argc, char **argv, strata_cli *cli)
{
	strata_policy_commit_result res;
	strata_node *n = NULL;
	char hex[GIT_OID_HEXSZ + 1], bhex[GIT_OID_HEXSZ + 1];
	int rc = STRATA_ERROR;

	if (argc != 2)
		return cli_usage(USAGE);
	if ((rc = strata_node_open(&n, cli->node_dir)) < 0 || (rc = strata_policy_store_commit(n, argv[1], &res)) < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), &res.commit);
	git_oid_tostr(bhex, sizeof(bhex), &res.blob);
	if (!cli->quiet) {
		if (res.unchanged)
			printf("%s: already committed (blob %.12s)\n", argv[1], bhex);
		else
			printf("%s: committed as blob %.12s in refs/strata/policies (commit %.12s, signed)\n",
			       argv[1], bhex, hex);
		if (res.secret_created)
			printf("created the policy's secret in %s/secrets/ (back it up: it cannot be recreated)\n",
			       strata_node_path(n));
	}
	rc = 0;
done:
	strata_node_free(n);
	return rc;
}

static void rule_text(char *buf, size_t size, const strata_rule *r)
{
	if (!r)
		snprintf(buf, size, "(not shared)");
	else if (r->kind == STRATA_T_MASK)
		snprintf(buf, size, "mask [%ld, %ld]", r->a, r->b);
	else if (r->kind == STRATA_T_RANGE || r->kind == STRATA_T_PREFIX)
		snprintf(buf, size, "%s %ld", strata_policy_transform_name(r->kind), r->a);
	else if (r->kind == STRATA_T_PSEUDONYM)
		snprintf(buf, size, "pseudonym (%s)", r->a == 1 ? "recipient" : "federation");
	else
		snprintf(buf, size, "%s", strata_policy_transform_name(r->kind));
}

static const strata_rule *find_rule(const strata_policy_dataset *pd, const char *field)
{
	for (size_t i = 0; pd && i < pd->nrules; i++)
		if (!strcmp(pd->rules[i].field, field))
			return pd->rules[i].kind == STRATA_T_DROP ? NULL : &pd->rules[i];
	return NULL;
}

static void list_diff(const char *what, char **a, size_t na, char **b, size_t nb, long *more, long *less)
{
	for (size_t i = 0; i < nb; i++) {
		size_t k;
		for (k = 0; k < na && strcmp(a[k], b[i]); k++)
			;
		if (k == na) {
			printf("recipients: + %s %s (now receives everything below the old policy shared)\n", what, b[i]);
			(*more)++;
		}
	}
	for (size_t i = 0; i < na; i++) {
		size_t k;
		for (k = 0; k < nb && strcmp(b[k], a[i]); k++)
			;
		if (k == nb) {
			printf("recipients: - %s %s (no longer receives anything)\n", what, a[i]);
			(*less)++;
		}
	}
}

static void dataset_diff(const strata_policy_dataset *da, const strata_policy_dataset *db, const char *name,
			 long *more, long *less)
{
	if (!da && db) {
		printf("%s: newly shared   MORE visible\n", name);
		(*more)++;
	} else if (da && !db) {
		printf("%s: no longer shared   less visible\n", name);
		(*less)++;
	}
	/* fields named on either side */
	for (int side = 0; side < 2; side++) {
		const strata_policy_dataset *pd = side ? db : da;
		for (size_t i = 0; pd && i < pd->nrules; i++) {
			const char *f = pd->rules[i].field;
			const strata_rule *ra = find_rule(da, f), *rb = find_rule(db, f);
			char ta[64], tb2[64];
			int unclear, c;
			if (side == 1 && da) {
				size_t k;
				for (k = 0; k < da->nrules && strcmp(da->rules[k].field, f); k++)
					;
				if (k < da->nrules)
					continue;	/* printed in the first pass */
			}
			c = strata_policy_rule_compare(ra, rb, &unclear);
			rule_text(ta, sizeof(ta), ra);
			rule_text(tb2, sizeof(tb2), rb);
			if (c == 0 && !unclear && !strcmp(ta, tb2))
				continue;
			printf("  %s.%s: %s -> %s   %s\n", name, f, ta, tb2,
			       unclear ? "changed: compare by hand" : c > 0 ? "MORE visible" : c < 0 ? "less visible" : "changed");
			if (c > 0 || unclear)
				(*more)++;
			else if (c < 0)
				(*less)++;
		}
	}
	if (da && db) {
		if (da->nfilters && !db->nfilters) {
			printf("  %s: row filter removed   MORE rows visible\n", name);
			(*more)++;
		} else if (!da->nfilters && db->nfilters) {
			printf("  %s: row filter added   fewer rows visible\n", name);
			(*less)++;
		} else if (da->nfilters != db->nfilters) {
			printf("  %s: row filter changed: compare by hand\n", name);
			(*more)++;
		}
	}
}

static int policy_diff(int argc, char **argv, strata_cli *cli)
{
	strata_policy *a = NULL, *b = NULL;
	long more = 0, less = 0;
	int rc = STRATA_ERROR;

	(void)cli;
	if (argc != 3)
		return cli_usage(USAGE);
	if ((rc = strata_policy_load(&a, argv[1])) < 0 || (rc = strata_policy_load(&b, argv[2])) < 0)
		goto done;
	printf("policy %s v%ld -> %s v%ld\n", a->name, a->version, b->name, b->version);
	if (strcmp(a->purpose, b->purpose))
		printf("purpose: '%s' -> '%s'\n", a->purpose, b->purpose);
	list_diff("peer", a->peers, a->npeers, b->peers, b->npeers, &more, &less);
	list_diff("tier", a->tiers, a->ntiers, b->tiers, b->ntiers, &more, &less);
	for (size_t i = 0; i < a->ndatasets; i++)
		dataset_diff(&a->datasets[i], strata_policy_find(b, a->datasets[i].name), a->datasets[i].name, &more, &less);
	for (size_t i = 0; i < b->ndatasets; i++)
		if (!strata_policy_find(a, b->datasets[i].name))
			dataset_diff(NULL, &b->datasets[i], b->datasets[i].name, &more, &less);
	printf("%ld changes expose more, %ld expose less\n", more, less);
	rc = 0;
done:
	strata_policy_free(a);
	strata_policy_free(b);
	return rc;
}

int cmd_policy(int argc, char **argv, strata_cli *cli)
{
	if (argc < 2)
		return cli_usage(USAGE);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: strata %s\n", USAGE);
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
	fprintf(stderr, "strata: unknown policy command '%s' (check, preview, diff, commit)\n", argv[1]);
	return CLI_EUSAGE;
}
