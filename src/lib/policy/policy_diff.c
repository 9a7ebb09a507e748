/*
 * policy_diff.c - see policy_diff.h.
 *
 * The effect of each kind of change, from the recipient's side:
 *
 *   purpose changed                 MORE (the data serves a use it did not)
 *   peer or tier added / removed    MORE / LESS
 *   dataset shared / not shared     MORE / LESS
 *   filter condition removed        MORE (rows it kept out are shared)
 *   filter condition added          LESS
 *   filter value added / removed    MORE / LESS (rows with that value)
 *   field transform                 by strata_policy_rule_compare; kinds
 *                                   that do not order are MORE and LESS
 *   pseudonym scope                 TOKENS, and MORE (node: one token for
 *                                   all of this node's recipients, so they
 *                                   can join on it) or LESS (recipient)
 */
#include "strata/policy/policy_diff.h"
#include "strata/base/i18n.h"

#include <stdio.h>
#include <string.h>

void strata_policy_rule_text(char *out, size_t size, const strata_rule *r)
{
	if (!r || r->kind == STRATA_T_DROP)
		snprintf(out, size, "(not shared)");
	else if (r->kind == STRATA_T_MASK)
		snprintf(out, size, "mask [%ld, %ld]", r->a, r->b);
	else if (r->kind == STRATA_T_RANGE || r->kind == STRATA_T_PREFIX)
		snprintf(out, size, "%s %ld", strata_policy_transform_name(r->kind), r->a);
	else if (r->kind == STRATA_T_PSEUDONYM)
		snprintf(out, size, "pseudonym (%s)", r->a == 1 ? "recipient" : "node");
	else
		snprintf(out, size, "%s", strata_policy_transform_name(r->kind));
}

typedef struct {
	strata_policy_change_cb cb;
	void *payload;
	int count, stop;
} diff_ctx;

static void emit(diff_ctx *x, const char *dataset, const char *field, const char *what, const char *old_text,
		 const char *new_text, int effect, const char *why, unsigned line, unsigned col)
{
	strata_policy_change c = { dataset, field, what, old_text, new_text, why, effect, line, col };
	if (x->stop)
		return;
	x->count++;
	x->stop = x->cb ? x->cb(&c, x->payload) : 0;
}

static int in_list(char *const *l, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i], s))
			return 1;
	return 0;
}

static void list_changes(diff_ctx *x, const char *kind, char **a, size_t na, char **b, size_t nb)
{
	char why[160];
	for (size_t i = 0; i < nb; i++)
		if (!in_list(a, na, b[i])) {
			snprintf(why, sizeof(why), _("%s %s now receives what the policy shares"), kind, b[i]);
			emit(x, NULL, NULL, "recipients", "", b[i], STRATA_PD_MORE, why, 0, 0);
		}
	for (size_t i = 0; i < na; i++)
		if (!in_list(b, nb, a[i])) {
			snprintf(why, sizeof(why), _("%s %s no longer receives anything"), kind, a[i]);
			emit(x, NULL, NULL, "recipients", a[i], "", STRATA_PD_LESS, why, 0, 0);
		}
}

static const strata_filter *find_filter(const strata_policy_dataset *pd, const char *field)
{
	for (size_t i = 0; pd && i < pd->nfilters; i++)
		if (!strcmp(pd->filters[i].field, field))
			return &pd->filters[i];
	return NULL;
}


/* Accepted values as the policy writes them: "true" or ["true", "false"]. */
static void values_text(char *out, size_t size, const strata_filter *f)
{
	size_t len = 0;

	out[0] = '\0';
	if (!f) {
		snprintf(out, size, "(no condition)");
		return;
	}
	if (f->nvalues != 1)
		len += (size_t)snprintf(out + len, size - len, "[");
	for (size_t i = 0; i < f->nvalues && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s\"%s\"", i ? ", " : "", f->values[i]);
	if (f->nvalues != 1 && len < size)
		snprintf(out + len, size - len, "]");
}

static void filter_changes(diff_ctx *x, const strata_policy_dataset *da, const strata_policy_dataset *db)
{
	char ta[512], tb[512], why[640];

	/* conditions removed, or loosened and tightened */
	for (size_t i = 0; da && i < da->nfilters; i++) {
		const strata_filter *fa = &da->filters[i], *fb = find_filter(db, fa->field);
		values_text(ta, sizeof(ta), fa);
		values_text(tb, sizeof(tb), fb);
		if (!fb) {
			snprintf(why, sizeof(why), _("rows are no longer held to %s = %s: every value of %s is now shared"),
				 fa->field, ta, fa->field);
			emit(x, da->name, fa->field, "filter", ta, tb, STRATA_PD_MORE, why, fa->line, fa->col);
			continue;
		}
		for (size_t k = 0; k < fb->nvalues; k++)
			if (!in_list(fa->values, fa->nvalues, fb->values[k])) {
				snprintf(why, sizeof(why), _("rows with %s = \"%s\" are now shared"), fb->field, fb->values[k]);
				emit(x, da->name, fb->field, "filter", ta, tb, STRATA_PD_MORE, why, fb->line, fb->col);
			}
		for (size_t k = 0; k < fa->nvalues; k++)
			if (!in_list(fb->values, fb->nvalues, fa->values[k])) {
				snprintf(why, sizeof(why), _("rows with %s = \"%s\" are no longer shared"), fa->field, fa->values[k]);
				emit(x, da->name, fa->field, "filter", ta, tb, STRATA_PD_LESS, why, fb->line, fb->col);
			}
	}
	/* conditions added */
	for (size_t i = 0; db && i < db->nfilters; i++) {
		const strata_filter *fb = &db->filters[i];
		if (find_filter(da, fb->field))
			continue;
		values_text(ta, sizeof(ta), NULL);
		values_text(tb, sizeof(tb), fb);
		snprintf(why, sizeof(why), _("only rows with %s = %s are shared now"), fb->field, tb);
		emit(x, db->name, fb->field, "filter", ta, tb, STRATA_PD_LESS, why, fb->line, fb->col);
	}
}

static void field_change(diff_ctx *x, const char *dataset, const char *field, const strata_rule *ra,
			 const strata_rule *rb, const strata_rule *where)
{
	char ta[64], tb[64], why[256];
	int unclear = 0, c, effect = 0;

	strata_policy_rule_text(ta, sizeof(ta), ra);
	strata_policy_rule_text(tb, sizeof(tb), rb);
	if (!strcmp(ta, tb))
		return;
	c = strata_policy_rule_compare(ra, rb, &unclear);
	if (unclear)
		effect = STRATA_PD_MORE | STRATA_PD_LESS;
	else if (c > 0)
		effect = STRATA_PD_MORE;
	else if (c < 0)
		effect = STRATA_PD_LESS;
	if (ra && rb && ra->kind == STRATA_T_PSEUDONYM && rb->kind == STRATA_T_PSEUDONYM) {
		effect |= STRATA_PD_TOKENS;
		snprintf(why, sizeof(why), _("every token of %s changes; %s"), field,
			 rb->a == 1 ? _("each recipient gets its own, which no two recipients can join on")
				    : _("every recipient of this policy gets the same, which they can join on"));
	} else if (!ra) {
		snprintf(why, sizeof(why), _("%s is now shared (%s)"), field, tb);
	} else if (!rb) {
		snprintf(why, sizeof(why), _("%s is no longer shared"), field);
	} else if (unclear) {
		snprintf(why, sizeof(why), _("%s shows other parts of the value: more of some, less of others"), field);
	} else {
		snprintf(why, sizeof(why), _("%s shows %s of each value"), field, c > 0 ? "more" : c < 0 ? "less" : _("a different form"));
		if (!c)
			effect = STRATA_PD_MORE | STRATA_PD_LESS;
	}
	emit(x, dataset, field, "field", ta, tb, effect, why, where ? where->line : 0, where ? where->col : 0);
}

static void dataset_changes(diff_ctx *x, const strata_policy_dataset *da, const strata_policy_dataset *db)
{
	const char *name = da ? da->name : db->name;

	if (!da || !db) {
		char why[160];
		snprintf(why, sizeof(why), da ? _("%s is no longer shared") : _("%s is now shared, with the fields below"), name);
		emit(x, name, NULL, "dataset", da ? "shared" : "(not shared)", db ? "shared" : "(not shared)",
		     da ? STRATA_PD_LESS : STRATA_PD_MORE, why, db ? db->line : da->line, db ? db->col : da->col);
		if (!db)
			return;	/* its fields go with it */
	}
	filter_changes(x, da, db);
	if (da && db && (da->min_k != db->min_k || (da->min_k && db->min_k && da->refuse_small != db->refuse_small))) {
		char ta[64], tb[64], why[200];
		int effect;
		snprintf(ta, sizeof(ta), da->min_k ? "min_k %ld, %s" : "(no min_k)", da->min_k, da->refuse_small ? "refuse" : "suppress");
		snprintf(tb, sizeof(tb), db->min_k ? "min_k %ld, %s" : "(no min_k)", db->min_k, db->refuse_small ? "refuse" : "suppress");
		if (!db->min_k || (da->min_k && db->min_k < da->min_k)) {
			effect = STRATA_PD_MORE;
			snprintf(why, sizeof(why), _("records in smaller classes than before are sent"));
		} else if (da->min_k == db->min_k) {
			effect = db->refuse_small ? STRATA_PD_LESS : STRATA_PD_MORE;
			snprintf(why, sizeof(why), db->refuse_small ? _("a small class now stops the view instead of being left out")
								    : _("a view is now sent without the small classes instead of not at all"));
		} else {
			effect = STRATA_PD_LESS;
			snprintf(why, sizeof(why), _("records in classes smaller than %ld are no longer sent"), db->min_k);
		}
		emit(x, db->name, NULL, "min_k", ta, tb, effect, why, db->line, db->col);
	}
	if (da && db && da->retention != db->retention) {
		char ta[64], tb[64];
		int shorter = db->retention && (!da->retention || db->retention < da->retention);
		snprintf(ta, sizeof(ta), da->retention ? "retention %lldd" : _("(no retention)"), (long long)(da->retention / 86400));
		snprintf(tb, sizeof(tb), db->retention ? "retention %lldd" : _("(no retention)"), (long long)(db->retention / 86400));
		emit(x, db->name, NULL, "retention", ta, tb, shorter ? STRATA_PD_LESS : STRATA_PD_MORE,
		     shorter ? _("recipients keep older versions no longer") : _("recipients keep older versions longer"),
		     db->line, db->col);
	}
	if (da && db && da->keep_filter_history != db->keep_filter_history)
		emit(x, db->name, NULL, "on_filter_exit", da->keep_filter_history ? "keep_history" : "cut",
		     db->keep_filter_history ? "keep_history" : "cut", db->keep_filter_history ? STRATA_PD_MORE : STRATA_PD_LESS,
		     db->keep_filter_history ? _("recipients keep the history of records that leave the filter")
					     : _("records that leave the filter leave the recipients' history too"),
		     db->line, db->col);
	for (int side = 0; side < 2; side++) {
		const strata_policy_dataset *pd = side ? db : da;
		for (size_t i = 0; pd && i < pd->nrules; i++) {
			const char *f = pd->rules[i].field;
			if (side == 1 && da) {
				size_t k;
				for (k = 0; k < da->nrules && strcmp(da->rules[k].field, f); k++)
					;
				if (k < da->nrules)
					continue;	/* seen from the old side */
			}
			const strata_rule *rb = strata_policy_shared_rule(db, f);
			field_change(x, name, f, strata_policy_shared_rule(da, f), rb, rb ? rb : &pd->rules[i]);
		}
	}
}

int strata_policy_diff(const strata_policy *a, const strata_policy *b, strata_policy_change_cb cb, void *payload)
{
	diff_ctx x = { cb, payload, 0, 0 };

	if (strcmp(a->purpose, b->purpose))
		emit(&x, NULL, NULL, "purpose", a->purpose, b->purpose, STRATA_PD_MORE,
		     _("the data serves a purpose it was not shared for: a new use needs its own basis"), 0, 0);
	{
		/* fewer officers for what exposes more: a loosening of the controls themselves */
		int oa = a->approval_expose_more > 1 ? a->approval_expose_more : 1;
		int ob = b->approval_expose_more > 1 ? b->approval_expose_more : 1;
		char ta[32], tb[32];
		if (oa != ob) {
			snprintf(ta, sizeof(ta), "expose_more: %d", oa);
			snprintf(tb, sizeof(tb), "expose_more: %d", ob);
			emit(&x, NULL, NULL, "approval", ta, tb, ob < oa ? STRATA_PD_MORE : STRATA_PD_LESS,
			     ob < oa ? _("fewer officers need agree before more is exposed") :
				       _("more officers must agree before more is exposed"), 0, 0);
		}
	}
	list_changes(&x, "peer", a->peers, a->npeers, b->peers, b->npeers);
	list_changes(&x, "tier", a->tiers, a->ntiers, b->tiers, b->ntiers);
	for (size_t i = 0; i < a->ndatasets; i++)
		dataset_changes(&x, &a->datasets[i], strata_policy_find(b, a->datasets[i].name));
	for (size_t i = 0; i < b->ndatasets; i++)
		if (!strata_policy_find(a, b->datasets[i].name))
			dataset_changes(&x, NULL, &b->datasets[i]);
	return x.stop ? x.stop : x.count;
}
