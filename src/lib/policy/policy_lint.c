/*
 * policy_lint.c - see policy_lint.h.
 *
 * A policy's dataset name applies to the node's own dataset of that name
 * and to every received one whose last name it is (dataset.h), as views
 * are built; the filter values are looked for in all of them.
 */
#include "strata/policy/policy_lint.h"
#include "strata/base/i18n.h"
#include "strata/data/dataset.h"
#include "strata/format/json.h"
#include "strata/node/peers.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>

#define SEEN_MAX 16	/* distinct values remembered per filter field, to suggest */

typedef struct {
	strata_policy_warning_cb cb;
	void *payload;
	int count, stop;
} lint_ctx;

static void warn(lint_ctx *x, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void warn(lint_ctx *x, unsigned line, unsigned col, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	strata_policy_warning w;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w.line = line;
	w.col = col;
	w.message = msg;
	x->count++;
	if (!x->stop && x->cb)
		x->stop = x->cb(&w, x->payload);
}

typedef struct {
	const strata_filter *f;
	int *hit;		/* hit[i]: value i of the filter was seen */
	char *seen[SEEN_MAX];
	size_t nseen;
} filter_scan;

typedef struct {
	const strata_policy_dataset *pd;
	filter_scan *scans;
	strata_buf v;
	size_t sources;
	git_repository *repo;
} scan_ctx;

static int scan_line(const char *line, size_t len, void *payload)
{
	scan_ctx *x = payload;

	for (size_t i = 0; i < x->pd->nfilters; i++) {
		filter_scan *fs = &x->scans[i];
		int rc;
		strata_buf_clear(&x->v);
		if ((rc = strata_json_record_field(&x->v, line, len, fs->f->field)) < 0)
			return rc;
		if (rc == 0 || strata_buf_putc(&x->v, '\0') < 0)
			continue;
		for (size_t k = 0; k < fs->f->nvalues; k++)
			if (!strcmp(fs->f->values[k], x->v.ptr))
				fs->hit[k] = 1;
		if (fs->nseen < SEEN_MAX) {
			size_t k = 0;
			while (k < fs->nseen && strcmp(fs->seen[k], x->v.ptr))
				k++;
			if (k == fs->nseen && (fs->seen[k] = strdup(x->v.ptr)) != NULL)
				fs->nseen++;
		}
	}
	return 0;
}

static int by_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_source(const strata_dataset_entry *d, void *payload)
{
	scan_ctx *x = payload;
	git_tree *t = NULL;
	int error;

	if (strcmp(d->dataset, x->pd->name))
		return 0;
	x->sources++;
	if (!x->pd->nfilters)
		return 0;
	if (git_commit_tree(&t, d->tip) < 0)
		return strata_error_git("cannot read a dataset");
	error = strata_dataset_foreach(x->repo, t, scan_line, x);
	git_tree_free(t);
	return error;
}

static int lint_dataset(lint_ctx *lx, const strata_policy_dataset *pd, strata_node *n)
{
	scan_ctx x = { pd, NULL, STRATA_BUF_INIT, 0, strata_node_repo(n) };
	int error = 0;

	if ((x.scans = calloc(pd->nfilters + 1, sizeof(*x.scans))) == NULL)
		return strata_error_set("out of memory");
	for (size_t i = 0; i < pd->nfilters && !error; i++) {
		x.scans[i].f = &pd->filters[i];
		if ((x.scans[i].hit = calloc(pd->filters[i].nvalues + 1, sizeof(int))) == NULL)
			error = strata_error_set("out of memory");
	}
	if (!error)
		error = strata_dataset_list(n, STRATA_DATASETS_ALL, scan_source, &x);
	if (!error && x.sources == 0) {
		strata_buf ref = STRATA_BUF_INIT;
		/* the lookup's message says which names there are */
		int rc = strata_dataset_ref(&ref, n, pd->name);
		strata_buf_dispose(&ref);
		if (rc == STRATA_ENOTFOUND)
			warn(lx, pd->line, pd->col, _("dataset '%s' matches no dataset on node '%s', so nothing of it is shared (%s)"),
			     pd->name, strata_node_name(n), strchr(strata_error_last(), ';') ? strchr(strata_error_last(), ';') + 2 :
			     strata_error_last());
		else if (rc < 0)
			error = rc;
		strata_error_clear();
	}
	for (size_t i = 0; !error && x.sources && i < pd->nfilters; i++) {
		filter_scan *fs = &x.scans[i];
		strata_buf seen = STRATA_BUF_INIT;
		qsort(fs->seen, fs->nseen, sizeof(*fs->seen), by_bytes);	/* the same words, whatever the record order */
		for (size_t k = 0; k < fs->nseen; k++)
			strata_buf_printf(&seen, "%s\"%s\"", k ? ", " : "", fs->seen[k]);
		if (fs->nseen == SEEN_MAX)
			strata_buf_puts(&seen, ", ...");
		for (size_t k = 0; k < fs->f->nvalues; k++)
			if (!fs->hit[k])
				warn(lx, fs->f->value_pos ? fs->f->value_pos[k].line : fs->f->line,
				     fs->f->value_pos ? fs->f->value_pos[k].col : fs->f->col,
				     _("filter value \"%s\" of %s.%s matches no record on node '%s'%s%s%s"), fs->f->values[k],
				     pd->name, fs->f->field, strata_node_name(n), fs->nseen ? _(" (its values there: ") : "",
				     fs->nseen ? seen.ptr : "", fs->nseen ? ")" : _(" (no record has the field)"));
		strata_buf_dispose(&seen);
	}
	for (size_t i = 0; i < pd->nfilters; i++) {
		for (size_t k = 0; k < x.scans[i].nseen; k++)
			free(x.scans[i].seen[k]);
		free(x.scans[i].hit);
	}
	free(x.scans);
	strata_buf_dispose(&x.v);
	return error;
}

int strata_policy_lint(const strata_policy *p, strata_node *n, strata_policy_warning_cb cb, void *payload)
{
	lint_ctx x = { cb, payload, 0, 0 };
	char **peers = NULL;
	size_t npeers = 0;
	int error;

	if ((error = strata_peers_list(&peers, &npeers, n)) < 0)
		return error;
	for (size_t i = 0; i < p->npeers; i++) {
		size_t k = 0;
		while (k < npeers && strcmp(peers[k], p->peers[i]))
			k++;
		if (k == npeers)
			warn(&x, p->peer_pos ? p->peer_pos[i].line : 0, p->peer_pos ? p->peer_pos[i].col : 0,
			     _("recipient '%s' is not a peer of node '%s' (add it with 'strata peer add'): nothing goes to it"),
			     p->peers[i], strata_node_name(n));
	}
	for (size_t t = 0; t < p->ntiers; t++) {
		int any = 0;
		for (size_t k = 0; k < npeers && !any; k++) {
			strata_buf tier = STRATA_BUF_INIT;
			if (strata_peers_get(&tier, n, peers[k], "tier") == 0 && !strcmp(tier.ptr, p->tiers[t]))
				any = 1;
			strata_buf_dispose(&tier);
		}
		strata_error_clear();
		if (!any)
			warn(&x, 0, 0, _("no peer of node '%s' is of tier '%s': nothing goes to that tier yet"),
			     strata_node_name(n), p->tiers[t]);
	}
	strata_peers_list_free(peers);
	for (size_t i = 0; i < p->ndatasets; i++) {
		const strata_policy_dataset *pd = &p->datasets[i];
		for (size_t q = 0; q <= pd->nqi; q++) {
			const char *f = q < pd->nqi ? pd->qi[q] : pd->sensitive;
			if (f && !strata_policy_shared_rule(pd, f))
				warn(&x, pd->line, pd->col, _("%s '%s' of %s is not a field the policy shares: 'policy risk' leaves it out"),
				     q < pd->nqi ? "quasi-identifier" : _("sensitive field"), f, pd->name);
		}
	}
	for (size_t i = 0; !error && i < p->ndatasets && !x.stop; i++)
		error = lint_dataset(&x, &p->datasets[i], n);
	if (error)
		return error;
	return x.stop ? x.stop : x.count;
}
