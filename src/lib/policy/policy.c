/*
 * policy.c - policy YAML (libyaml's document API), validation.
 *
 * Format (see policies/ for worked examples):
 *
 *   policy: community-to-street        # name
 *   version: 3
 *   purpose: minimum living allowance review
 *   recipients: { peers: [st-wangjiang], tiers: [street] }
 *   source_names: keep                 # relayed views keep their node path (default: pseudonym)
 *   datasets:
 *     residents:
 *       filter: { consent: "true" }    # or a list of accepted values
 *       fields:
 *         id_number: pseudonym         # scope node (the default) or {pseudonym: recipient}
 *         name: {mask: [1, 0]}         # first, last characters kept
 *         birth_date: {generalize: year}      # year | month
 *         income: {generalize: {range: 1000}}
 *         address: {generalize: {prefix: 9}}
 *         id_number2: {generalize: id-region}
 *         gender: keep                  # keep | drop
 *       quasi_identifiers: [gender, birth_date]   # for `policy risk` (default: every shared non-key field)
 *       sensitive: income_band        # its l-diversity, for `policy risk`
 *       min_k: 5                      # records in classes smaller than 5 are not sent,
 *       small_classes: suppress       # but counted (or: refuse, and build no view)
 *       retention: 365d               # recipients keep no version older than this (d, h or m)
 *       onward: [district]            # whom recipients may share it on with (tiers or peers; none)
 *       on_filter_exit: cut           # a record the filter stops (consent withdrawn) leaves the
 *                                     # recipients' history too (default), or keep_history
 */
#include "strata/policy/policy.h"
#include "strata/base/time.h"
#include "strata/base/i18n.h"
#include "strata/base/fs.h"
#include "strata/format/name.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_POLICY_BYTES (1 << 20)
#define POLICY_DEPTH_MAX 16

/*
 * Flow nesting ('[' and '{'), counted before libyaml reads the text: its
 * scanner takes time in the square of the depth (200 KB of '[' took a
 * minute).  A bracket opens a collection only where a value starts (after
 * ':', '-', ',', '[', '{' or at a line's start); quotes and comments are
 * skipped.  Deeper than POLICY_DEPTH_MAX is refused with its line.
 */
static int flow_depth_ok(const char *file, const char *text, size_t len)
{
	size_t line = 1, depth = 0;
	int value_start = 1;	/* the next non-blank character may start a value */

	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == '\n') {
			line++;
			value_start = 1;
			continue;
		}
		if (c == ' ' || c == '\t')
			continue;
		if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\n')) {
			while (i + 1 < len && text[i + 1] != '\n')
				i++;
			continue;
		}
		if ((c == '"' || c == '\'') && value_start) {
			char q = c;
			for (i++; i < len; i++) {
				if (text[i] == '\n')
					line++;
				if (q == '"' && text[i] == '\\' && i + 1 < len)
					i++;
				else if (text[i] == q && !(q == '\'' && i + 1 < len && text[i + 1] == '\'' && ++i))
					break;
			}
			value_start = 0;
			continue;
		}
		if ((c == '[' || c == '{') && value_start) {
			if (++depth > POLICY_DEPTH_MAX)
				return strata_error_set("'%s':%zu: nested more than %d deep: a policy needs a few levels",
							file, line, POLICY_DEPTH_MAX);
			continue;
		}
		if ((c == ']' || c == '}') && depth)
			depth--;
		value_start = c == ':' || c == '-' || c == ',' || c == '[' || c == '{' || c == '?';
	}
	return 0;
}

typedef struct {
	yaml_document_t doc;
	const char *file;
} ydoc;

static int at(const ydoc *d, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets an error naming the file, line and column of node n. */
static int at(const ydoc *d, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return strata_error_set("'%s':%zu:%zu: %s", d->file, n->start_mark.line + 1,
				n->start_mark.column + 1, msg);
}

static yaml_node_t *node(ydoc *d, int id)
{
	return yaml_document_get_node(&d->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int get_long(ydoc *d, yaml_node_t *n, long *out, const char *what)
{
	const char *s = scalar(n);
	char *end;
	if (!s || !*s)
		return at(d, n, _("%s must be a whole number"), what);
	errno = 0;
	*out = strtol(s, &end, 10);
	if (*end || errno || *out < 0 || *out > 1000000)
		return at(d, n, _("%s must be a whole number, not '%s'"), what, s);
	return 0;
}

static int string_list(ydoc *d, yaml_node_t *n, char ***out, size_t *count, const char *what)
{
	size_t k = 0;

	if (scalar(n)) {
		if ((*out = calloc(2, sizeof(char *))) == NULL || ((*out)[0] = strdup(scalar(n))) == NULL)
			return strata_error_set("out of memory");
		*count = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return at(d, n, _("%s must be a name or a list of names"), what);
	*out = calloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1, sizeof(char *));
	if (!*out)
		return strata_error_set("out of memory");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *v = node(d, *it);
		if (!scalar(v))
			return at(d, v, _("%s: each entry must be a plain value"), what);
		if (((*out)[k] = strdup(scalar(v))) == NULL)
			return strata_error_set("out of memory");
		*count = ++k;
	}
	return 0;
}

/* Where each entry of a name-or-list node is written (string_list's order). */
static int list_positions(ydoc *d, yaml_node_t *n, size_t count, strata_pos **out)
{
	size_t k = 0;

	if ((*out = calloc(count + 1, sizeof(**out))) == NULL)
		return strata_error_set("out of memory");
	if (scalar(n)) {
		(*out)[0].line = (unsigned)n->start_mark.line + 1;
		(*out)[0].col = (unsigned)n->start_mark.column + 1;
		return 0;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top && k < count; it++, k++) {
		yaml_node_t *v = node(d, *it);
		(*out)[k].line = (unsigned)v->start_mark.line + 1;
		(*out)[k].col = (unsigned)v->start_mark.column + 1;
	}
	return 0;
}

static int parse_transform(ydoc *d, yaml_node_t *v, strata_rule *r)
{
	const char *s = scalar(v);
	yaml_node_t *arg;
	const char *kind;

	r->line = (unsigned)v->start_mark.line + 1;
	r->col = (unsigned)v->start_mark.column + 1;
	if (s) {
		if (!strcmp(s, "keep")) r->kind = STRATA_T_KEEP;
		else if (!strcmp(s, "drop")) r->kind = STRATA_T_DROP;
		else if (!strcmp(s, "pseudonym")) r->kind = STRATA_T_PSEUDONYM;
		else return at(d, v, _("unknown transform '%s' (keep, drop, pseudonym, mask, generalize)"), s);
		return 0;
	}
	if (v->type != YAML_MAPPING_NODE || v->data.mapping.pairs.top - v->data.mapping.pairs.start != 1)
		return at(d, v, _("field '%s': a transform is a word or a one-key mapping"), r->field);
	kind = scalar(node(d, v->data.mapping.pairs.start->key));
	arg = node(d, v->data.mapping.pairs.start->value);
	if (!kind)
		return at(d, v, _("field '%s': bad transform"), r->field);
	if (!strcmp(kind, "pseudonym")) {
		const char *scope = scalar(arg);
		r->kind = STRATA_T_PSEUDONYM;
		/* "federation" is the older name of "node": tokens were never federation-wide */
		if (scope && (!strcmp(scope, "node") || !strcmp(scope, "federation")))
			r->a = 0;
		else if (scope && !strcmp(scope, "recipient"))
			r->a = 1;
		else
			return at(d, arg, _("pseudonym scope must be 'node' (one token for all of this node's recipients) "
				  "or 'recipient' (each its own)"));
		return 0;
	}
	if (!strcmp(kind, "mask")) {
		r->kind = STRATA_T_MASK;
		if (arg->type != YAML_SEQUENCE_NODE || arg->data.sequence.items.top - arg->data.sequence.items.start != 2)
			return at(d, arg, _("mask takes [first, last]: the characters kept at each end"));
		if (get_long(d, node(d, arg->data.sequence.items.start[0]), &r->a, _("mask first")) < 0 ||
		    get_long(d, node(d, arg->data.sequence.items.start[1]), &r->b, _("mask last")) < 0)
			return STRATA_ERROR;
		return 0;
	}
	if (!strcmp(kind, "generalize")) {
		const char *g = scalar(arg);
		if (g && !strcmp(g, "year")) { r->kind = STRATA_T_YEAR; return 0; }
		if (g && !strcmp(g, "month")) { r->kind = STRATA_T_MONTH; return 0; }
		if (g && !strcmp(g, "id-region")) { r->kind = STRATA_T_ID_REGION; return 0; }
		if (arg->type == YAML_MAPPING_NODE && arg->data.mapping.pairs.top - arg->data.mapping.pairs.start == 1) {
			const char *how = scalar(node(d, arg->data.mapping.pairs.start->key));
			yaml_node_t *n = node(d, arg->data.mapping.pairs.start->value);
			if (how && !strcmp(how, "range")) {
				r->kind = STRATA_T_RANGE;
				if (get_long(d, n, &r->a, _("range width")) < 0)
					return STRATA_ERROR;
				if (r->a < 1)
					return at(d, n, _("range width must be at least 1"));
				return 0;
			}
			if (how && !strcmp(how, "prefix")) {
				r->kind = STRATA_T_PREFIX;
				if (get_long(d, n, &r->a, _("prefix length")) < 0)
					return STRATA_ERROR;
				if (r->a < 1)
					return at(d, n, _("prefix length must be at least 1"));
				return 0;
			}
		}
		return at(d, arg, _("generalize takes year, month, id-region, {range: WIDTH} or {prefix: CHARS}"));
	}
	return at(d, v, _("unknown transform '%s' (keep, drop, pseudonym, mask, generalize)"), kind);
}

static int parse_dataset(ydoc *d, const char *name, yaml_node_t *n, strata_policy_dataset *pd)
{

	pd->line = (unsigned)n->start_mark.line + 1;
	pd->col = (unsigned)n->start_mark.column + 1;
	if ((pd->name = strdup(name)) == NULL)
		return strata_error_set("out of memory");
	if (!strata_name_dataset_valid(name))
		return at(d, n, _("invalid dataset name '%s'"), name);
	if (n->type != YAML_MAPPING_NODE)
		return at(d, n, _("dataset '%s' must be a mapping with fields (and optionally filter)"), name);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(d, p->key), *v = node(d, p->value);
		const char *key = scalar(k);
		if (key && !strcmp(key, "fields")) {
			size_t cap;
			if (v->type != YAML_MAPPING_NODE)
				return at(d, v, _("fields of '%s' must map field names to transforms"), name);
			cap = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
			if ((pd->rules = calloc(cap + 1, sizeof(*pd->rules))) == NULL)
				return strata_error_set("out of memory");
			for (yaml_node_pair_t *f = v->data.mapping.pairs.start; f < v->data.mapping.pairs.top; f++) {
				yaml_node_t *fk = node(d, f->key);
				strata_rule *r = &pd->rules[pd->nrules];
				if (!scalar(fk))
					return at(d, fk, _("field names must be plain values"));
				if ((r->field = strdup(scalar(fk))) == NULL)
					return strata_error_set("out of memory");
				pd->nrules++;
				if (parse_transform(d, node(d, f->value), r) < 0)
					return STRATA_ERROR;
			}
		} else if (key && !strcmp(key, "filter")) {
			size_t cap;
			if (v->type != YAML_MAPPING_NODE)
				return at(d, v, _("filter of '%s' must map field names to accepted values"), name);
			cap = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
			if ((pd->filters = calloc(cap + 1, sizeof(*pd->filters))) == NULL)
				return strata_error_set("out of memory");
			for (yaml_node_pair_t *f = v->data.mapping.pairs.start; f < v->data.mapping.pairs.top; f++) {
				yaml_node_t *fk = node(d, f->key);
				strata_filter *flt = &pd->filters[pd->nfilters];
				if (!scalar(fk))
					return at(d, fk, _("filter field names must be plain values"));
				flt->line = (unsigned)fk->start_mark.line + 1;
				flt->col = (unsigned)fk->start_mark.column + 1;
				if ((flt->field = strdup(scalar(fk))) == NULL)
					return strata_error_set("out of memory");
				pd->nfilters++;
				if (string_list(d, node(d, f->value), &flt->values, &flt->nvalues, _("filter values")) < 0 ||
				    list_positions(d, node(d, f->value), flt->nvalues, &flt->value_pos) < 0)
					return STRATA_ERROR;
				/* "$recipient.NAME": what node.conf says of each peer (a return per recipient) */
				for (size_t j = 0; j < flt->nvalues; j++) {
					const char *v0 = flt->values[j];
					if (!strncmp(v0, "$recipient.", 11) &&
					    (strlen(v0) == 11 || strlen(v0) > 11 + 32 ||
					     strspn(v0 + 11, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(v0 + 11)))
						return at(d, node(d, f->value), _("filter value '%s': a recipient's attribute is "
							  "$recipient.NAME (a-z, 0-9, _)"), v0);
				}
			}
		} else if (key && !strcmp(key, "quasi_identifiers")) {
			if (v->type == YAML_SEQUENCE_NODE && v->data.sequence.items.top == v->data.sequence.items.start)
				pd->nqi = 0;	/* [] : records of no person */
			else if (string_list(d, v, &pd->qi, &pd->nqi, "quasi_identifiers") < 0)
				return STRATA_ERROR;
			pd->has_qi = 1;
		} else if (key && !strcmp(key, "sensitive")) {
			if (!scalar(v) || !*scalar(v))
				return at(d, v, _("sensitive names one field"));
			if ((pd->sensitive = strdup(scalar(v))) == NULL)
				return strata_error_set("out of memory");
		} else if (key && !strcmp(key, "min_k")) {
			if (get_long(d, v, &pd->min_k, "min_k") < 0)
				return STRATA_ERROR;
			if (pd->min_k < 2)
				return at(d, v, _("min_k must be at least 2 (every class holds at least one record)"));
		} else if (key && !strcmp(key, "small_classes")) {
			if (scalar(v) && !strcmp(scalar(v), "suppress"))
				pd->refuse_small = 0;
			else if (scalar(v) && !strcmp(scalar(v), "refuse"))
				pd->refuse_small = 1;
			else
				return at(d, v, _("small_classes is 'suppress' (leave those records out, counted) or 'refuse' "
					  "(build no view)"));
		} else if (key && !strcmp(key, "onward")) {
			pd->has_onward = 1;
			if (scalar(v) && !strcmp(scalar(v), "none"))
				;	/* nobody */
			else if (string_list(d, v, &pd->onward, &pd->nonward, "onward") < 0)
				return STRATA_ERROR;
			for (size_t i = 0; i < pd->nonward; i++)
				if (!strata_name_node_valid(pd->onward[i]))
					return at(d, v, _("onward lists tiers or peer names, or says none"));
		} else if (key && !strcmp(key, "retention")) {
			if (strata_time_duration(&pd->retention, scalar(v)) < 0)
				return at(d, v, _("retention is a duration like 365d, 48h or 90m"));
		} else if (key && !strcmp(key, "on_filter_exit")) {
			if (scalar(v) && !strcmp(scalar(v), "cut"))
				pd->keep_filter_history = 0;
			else if (scalar(v) && !strcmp(scalar(v), "keep_history"))
				pd->keep_filter_history = 1;
			else
				return at(d, v, _("on_filter_exit is 'cut' (a record the filter stops, consent withdrawn, leaves the "
					  "recipients' history too) or 'keep_history' (it leaves only the present)"));
		} else {
			return at(d, k, _("unknown key '%s' in dataset (fields, filter, quasi_identifiers, sensitive, min_k, "
				  "small_classes, retention, onward, on_filter_exit)"), key ? key : "?");
		}
	}
	if (!pd->rules)
		return at(d, n, _("dataset '%s' has no fields: nothing would be shared"), name);
	return 0;
}

/*
 * YAML says a mapping's keys are unique; libyaml does not check.  Found by
 * the fuzzer: a repeated key leaked or confused what the first one set.
 */
/* A key that YAML reads as null ('~', 'null', or nothing): never a name. */
static int null_key(const yaml_node_t *k)
{
	const char *s = scalar(k);
	return s && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"));
}

/*
 * What the reader takes of YAML: no tags (a '!!binary' or '!x' value is
 * refused, not read as text), no null keys, no duplicate keys, no nesting
 * deeper than POLICY_DEPTH_MAX (checked again here: block nesting too).
 */
static int plain_yaml(ydoc *d)
{
	size_t nnodes = (size_t)(d->doc.nodes.top - d->doc.nodes.start);
	unsigned char *seen = calloc(nnodes + 1, 1);

	if (!seen)
		return strata_error_set("out of memory");
	/* an alias makes a node the child of two: refused (and with it the exponential walks of "billion laughs") */
	for (yaml_node_t *m = d->doc.nodes.start; m < d->doc.nodes.top; m++) {
		int kids[2], nk;
		if (m->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = m->data.sequence.items.start; it < m->data.sequence.items.top; it++)
				if (*it >= 1 && (size_t)*it <= nnodes && seen[*it]++) {
					free(seen);
					return at(d, node(d, *it), _("an alias ('*name') is not part of a policy: write the value out"));
				}
		} else if (m->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
				kids[0] = pr->key, kids[1] = pr->value, nk = 2;
				for (int k = 0; k < nk; k++)
					if (kids[k] >= 1 && (size_t)kids[k] <= nnodes && seen[kids[k]]++) {
						free(seen);
						return at(d, node(d, kids[k]), _("an alias ('*name') is not part of a policy: write the value out"));
					}
			}
		}
	}
	free(seen);
	for (yaml_node_t *m = d->doc.nodes.start; m < d->doc.nodes.top; m++) {
		const char *want = m->type == YAML_SCALAR_NODE ? YAML_STR_TAG :
				   m->type == YAML_SEQUENCE_NODE ? YAML_SEQ_TAG : YAML_MAP_TAG;
		if (m->tag && strcmp((const char *)m->tag, want))
			return at(d, m, _("a tag ('%s') is not part of a policy: write the value plainly"), (const char *)m->tag);
		if (m->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *a = m->data.mapping.pairs.start; a < m->data.mapping.pairs.top; a++) {
			const char *ka = scalar(node(d, a->key));
			if (null_key(node(d, a->key)))
				return at(d, node(d, a->key), _("a key must be a name, not null ('%s')"), ka);
			for (yaml_node_pair_t *b = m->data.mapping.pairs.start; ka && b < a; b++) {
				const char *kb = scalar(node(d, b->key));
				if (kb && !strcmp(ka, kb))
					return at(d, node(d, a->key), _("duplicate key '%s'"), ka);
			}
		}
	}
	return 0;
}

/* Nesting, block or flow, no deeper than POLICY_DEPTH_MAX (a policy needs five). */
static int depth_ok(ydoc *d, yaml_node_t *n, int depth)
{
	if (!n)
		return 0;
	if (depth > POLICY_DEPTH_MAX)
		return at(d, n, _("nested more than %d deep: a policy needs a few levels"), POLICY_DEPTH_MAX);
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
			if (depth_ok(d, node(d, *it), depth + 1) < 0)
				return STRATA_ERROR;
	} else if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++)
			if (depth_ok(d, node(d, pr->key), depth + 1) < 0 || depth_ok(d, node(d, pr->value), depth + 1) < 0)
				return STRATA_ERROR;
	}
	return 0;
}

static int parse_root(ydoc *d, strata_policy *p)
{
	yaml_node_t *root = yaml_document_get_root_node(&d->doc);
	yaml_node_t *datasets = NULL, *recipients = NULL;

	if (!root)
		return strata_error_set("'%s': empty policy", d->file);
	if (root->type != YAML_MAPPING_NODE)
		return at(d, root, _("a policy is a mapping (policy, version, purpose, recipients, datasets)"));
	p->version = -1;
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(d, pr->key), *v = node(d, pr->value);
		const char *key = scalar(k);
		if (key && !strcmp(key, "policy")) {
			if (!scalar(v) || !strata_name_node_valid(scalar(v)))
				return at(d, v, _("policy name must be a-z, 0-9 and '-'"));
			if ((p->name = strdup(scalar(v))) == NULL)
				return strata_error_set("out of memory");
		} else if (key && !strcmp(key, "version")) {
			if (get_long(d, v, &p->version, "version") < 0)
				return STRATA_ERROR;
		} else if (key && !strcmp(key, "purpose")) {
			if (!scalar(v) || !*scalar(v))
				return at(d, v, _("purpose must be a sentence saying why the data is shared"));
			/* it goes into commit trailers: one line, no control characters */
			for (const unsigned char *c = (const unsigned char *)scalar(v); *c; c++)
				if (*c < 0x20 || *c == 0x7f)
					return at(d, v, _("purpose must be one line without control characters"));
			if (strlen(scalar(v)) > 300)
				return at(d, v, _("purpose is longer than 300 bytes"));
			if ((p->purpose = strdup(scalar(v))) == NULL)
				return strata_error_set("out of memory");
		} else if (key && !strcmp(key, "source_names")) {
			if (scalar(v) && !strcmp(scalar(v), "keep"))
				p->keep_source_names = 1;
			else if (scalar(v) && !strcmp(scalar(v), "pseudonym"))
				p->keep_source_names = 0;
			else
				return at(d, v, _("source_names is 'keep' (the recipient sees which nodes relayed data came "
					  "through) or 'pseudonym' (the default: one token per source)"));
		} else if (key && !strcmp(key, "requests")) {
			/* the requests for data (process.h) this version answers */
			if (string_list(d, v, &p->requests, &p->nrequests, "requests") < 0)
				return STRATA_ERROR;
			for (size_t i = 0; i < p->nrequests; i++)
				if (strlen(p->requests[i]) != 16 || strspn(p->requests[i], "0123456789abcdef") != 16)
					return at(d, v, _("'%s' is not a request id (16 hex digits, as 'strata requests' "
						  "shows it)"), p->requests[i]);
		} else if (key && !strcmp(key, "approval")) {
			long want;
			if (v->type != YAML_MAPPING_NODE)
				return at(d, v, _("approval takes expose_more: 1 or 2 (how many officers a version that "
					  "makes more visible needs)"));
			for (yaml_node_pair_t *ap = v->data.mapping.pairs.start; ap < v->data.mapping.pairs.top; ap++) {
				yaml_node_t *ak = node(d, ap->key), *av = node(d, ap->value);
				if (!scalar(ak) || strcmp(scalar(ak), "expose_more"))
					return at(d, ak, _("unknown key '%s' in approval (expose_more)"),
						  scalar(ak) ? scalar(ak) : "?");
				if (get_long(d, av, &want, "expose_more") < 0)
					return STRATA_ERROR;
				if (want < 1 || want > 2)
					return at(d, av, _("expose_more is 1 or 2 officers"));
				p->approval_expose_more = (int)want;
			}
		} else if (key && !strcmp(key, "recipients")) {
			recipients = v;
		} else if (key && !strcmp(key, "datasets")) {
			datasets = v;
		} else {
			return at(d, k, _("unknown key '%s' (policy, version, purpose, recipients, datasets, source_names, requests, "
					  "approval)"),
				  key ? key : "?");
		}
	}
	if (!p->name)
		return at(d, root, _("missing 'policy' (the policy's name)"));
	if (p->version < 0)
		return at(d, root, "missing 'version'");
	if (!p->purpose)
		return at(d, root, _("missing 'purpose': say why the data is shared"));
	if (!recipients)
		return at(d, root, _("missing 'recipients': a policy must name who receives the data"));
	if (recipients->type != YAML_MAPPING_NODE)
		return at(d, recipients, _("recipients takes peers and/or tiers"));
	for (yaml_node_pair_t *pr = recipients->data.mapping.pairs.start; pr < recipients->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(d, pr->key), *v = node(d, pr->value);
		const char *key = scalar(k);
		if (key && !strcmp(key, "peers")) {
			if (string_list(d, v, &p->peers, &p->npeers, "peers") < 0 ||
			    list_positions(d, v, p->npeers, &p->peer_pos) < 0)
				return STRATA_ERROR;
			for (size_t i = 0; i < p->npeers; i++)
				if (!strata_name_node_valid(p->peers[i]))
					return at(d, v, _("invalid peer name '%s'"), p->peers[i]);
		} else if (key && !strcmp(key, "tiers")) {
			if (string_list(d, v, &p->tiers, &p->ntiers, "tiers") < 0)
				return STRATA_ERROR;
			for (size_t i = 0; i < p->ntiers; i++)
				if (!strata_name_tier_valid(p->tiers[i]))
					return at(d, v, _("unknown tier '%s'"), p->tiers[i]);
		} else {
			return at(d, k, _("unknown key '%s' in recipients (peers, tiers)"), key ? key : "?");
		}
	}
	if (p->npeers + p->ntiers == 0)
		return at(d, recipients, _("recipients names nobody"));
	if (!datasets || datasets->type != YAML_MAPPING_NODE)
		return at(d, datasets ? datasets : root, _("missing 'datasets': map dataset names to their rules"));
	p->datasets = calloc((size_t)(datasets->data.mapping.pairs.top - datasets->data.mapping.pairs.start) + 1,
			     sizeof(*p->datasets));
	if (!p->datasets)
		return strata_error_set("out of memory");
	for (yaml_node_pair_t *pr = datasets->data.mapping.pairs.start; pr < datasets->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(d, pr->key);
		if (!scalar(k))
			return at(d, k, _("dataset names must be plain values"));
		for (size_t i = 0; i < p->ndatasets; i++)
			if (!strcmp(p->datasets[i].name, scalar(k)))
				return at(d, k, _("dataset '%s' appears twice"), scalar(k));
		if (parse_dataset(d, scalar(k), node(d, pr->value), &p->datasets[p->ndatasets++]) < 0)
			return STRATA_ERROR;
		/* where the officer wrote its name */
		p->datasets[p->ndatasets - 1].line = (unsigned)k->start_mark.line + 1;
		p->datasets[p->ndatasets - 1].col = (unsigned)k->start_mark.column + 1;
	}
	return 0;
}

/* libyaml's words for a syntax error, and the same in a policy officer's words. */
static const struct {
	const char *libyaml, *plain;
} yaml_words[] = {
	{ "did not find expected key",
	  N_("this line is not indented like the keys around it: indent it with spaces, as far as the key it belongs "
	     "with") },
	{ "mapping values are not allowed in this context",
	  N_("a ':' where none can be: a key is 'name: value' on a line of its own; quote a value that holds ': '") },
	{ "found character that cannot start any token",
	  N_("a character that cannot start a value here (a tab? indent with spaces)") },
	{ "did not find expected '-' indicator", N_("a list item starts with '- ', indented as the items above it") },
	{ "block sequence entries are not allowed in this context",
	  N_("a list item ('- ') where the line above wants a value: put it on its own line, indented") },
	{ "could not find expected ':'", N_("a key without its ':' (or a quote left open on the line above)") },
	{ "found unexpected end of stream", N_("the file ends inside a value: a quote or a bracket is not closed") },
	{ "did not find expected ',' or ']'", N_("a list in [ ] is not closed, or its items lack the ',' between them") },
	{ "did not find expected ',' or '}'", N_("a mapping in { } is not closed, or its entries lack the ',' between them") },
	{ "found unknown escape character", N_("an unknown escape (\\) in a double-quoted value: use single quotes") },
	{ "found a tab character that violates indentation", N_("a tab in the indentation: indent with spaces") },
};

/*
 * A YAML syntax error as file:line:column, in plain words, with the line
 * and a caret under the column.
 */
static int yaml_error(const char *file, const char *text, size_t len, const yaml_parser_t *parser)
{
	const char *problem = parser->problem ? parser->problem : "", *plain = NULL;
	size_t line = parser->problem_mark.line, col = parser->problem_mark.column, start = 0, end, shown = 0;

	for (size_t i = 0; i < sizeof(yaml_words) / sizeof(*yaml_words) && !plain; i++)
		if (!strcmp(problem, yaml_words[i].libyaml))
			plain = _(yaml_words[i].plain);
	for (size_t l = 0; l < line && start < len; start++)
		if (text[start] == '\n')
			l++;
	for (end = start; end < len && text[end] != '\n' && end - start < 160; end++)
		;
	for (size_t i = start; i < end && i < start + col; i++)
		shown += ((unsigned char)text[i] & 0xc0) != 0x80;	/* characters before the column, for the caret */
	return strata_error_set("'%s':%zu:%zu: %s%s%s%s\n    %.*s\n    %*s^", file, line + 1, col + 1,
				plain ? plain : *problem ? problem : _("syntax error"), plain || !parser->context ? "" : " (",
				plain || !parser->context ? "" : parser->context, plain || !parser->context ? "" : ")",
				(int)(end - start), text + start, (int)shown, "");
}

int strata_policy_parse(strata_policy **out, const char *file, const char *text, size_t len)
{
	yaml_parser_t parser;
	ydoc d;
	strata_policy *p = NULL;
	int have_doc = 0, error = STRATA_ERROR;

	*out = NULL;
	d.file = file;
	if (!yaml_parser_initialize(&parser))
		return strata_error_set("out of memory");
	if (flow_depth_ok(file, text, len) < 0) {
		yaml_parser_delete(&parser);
		return STRATA_ERROR;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &d.doc)) {
		yaml_error(file, text, len, &parser);
		goto done;
	}
	have_doc = 1;
	{
		/* one document: a second (after '---' or '...') would be silently dropped */
		yaml_document_t next;
		if (!yaml_parser_load(&parser, &next)) {
			strata_error_set("'%s':%zu: text after the end of the policy ('...' or '---'): a policy file holds "
					 "one document", file, parser.problem_mark.line + 1);
			goto done;
		}
		if (yaml_document_get_root_node(&next)) {
			size_t line = next.start_mark.line + 1;
			yaml_document_delete(&next);
			strata_error_set("'%s':%zu: a second document: a policy file holds one (nothing after '---' or '...')",
					 file, line);
			goto done;
		}
		yaml_document_delete(&next);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->file = strdup(file)) == NULL) {
		strata_error_set("out of memory");
		goto done;
	}
	if (plain_yaml(&d) < 0 || depth_ok(&d, yaml_document_get_root_node(&d.doc), 1) < 0 || parse_root(&d, p) < 0)
		goto done;
	*out = p;
	p = NULL;
	error = 0;
done:
	if (have_doc)
		yaml_document_delete(&d.doc);
	yaml_parser_delete(&parser);
	strata_policy_free(p);
	return error;
}

int strata_policy_load(strata_policy **out, const char *path)
{
	strata_buf text = STRATA_BUF_INIT;
	const char *base = strrchr(path, '/');
	int error;

	*out = NULL;
	if ((error = strata_fs_read(&text, path, MAX_POLICY_BYTES)) == 0)
		error = strata_policy_parse(out, base ? base + 1 : path, text.ptr, text.len);
	strata_buf_dispose(&text);
	return error;
}

static void free_list(char **l, size_t n)
{
	for (size_t i = 0; l && i < n; i++)
		free(l[i]);
	free(l);
}

void strata_policy_free(strata_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ndatasets; i++) {
		strata_policy_dataset *pd = &p->datasets[i];
		for (size_t k = 0; k < pd->nrules; k++)
			free(pd->rules[k].field);
		for (size_t k = 0; k < pd->nfilters; k++) {
			free(pd->filters[k].field);
			free_list(pd->filters[k].values, pd->filters[k].nvalues);
			free(pd->filters[k].value_pos);
		}
		free(pd->rules);
		free(pd->filters);
		free_list(pd->qi, pd->nqi);
		free_list(pd->onward, pd->nonward);
		free(pd->sensitive);
		free(pd->name);
	}
	free(p->datasets);
	free_list(p->peers, p->npeers);
	free(p->peer_pos);
	free_list(p->tiers, p->ntiers);
	free_list(p->requests, p->nrequests);
	free(p->purpose);
	free(p->name);
	free(p->file);
	free(p);
}

const strata_policy_dataset *strata_policy_find(const strata_policy *p, const char *dataset)
{
	for (size_t i = 0; i < p->ndatasets; i++)
		if (!strcmp(p->datasets[i].name, dataset))
			return &p->datasets[i];
	return NULL;
}

const strata_policy_dataset *strata_policy_rules_for(const strata_policy *p, const char *name)
{
	const char *last = strrchr(name, '/');

	return strata_policy_find(p, last ? last + 1 : name);
}

int strata_policy_applies(const strata_policy *p, const char *peer, const char *tier)
{
	for (size_t i = 0; i < p->npeers; i++)
		if (!strcmp(p->peers[i], peer))
			return 1;
	for (size_t i = 0; tier && i < p->ntiers; i++)
		if (!strcmp(p->tiers[i], tier))
			return 1;
	return 0;
}

const char *strata_policy_transform_name(strata_transform_kind k)
{
	static const char *names[] = { "keep", "drop", "pseudonym", "mask", "generalize year",
				       "generalize month", "generalize range", "generalize prefix",
				       "generalize id-region" };
	return names[k];
}

int strata_policy_check_schema(const strata_policy *p, const strata_policy_dataset *pd,
			       const strata_schema *s, int flags)
{
	int key_kept = 0;

	for (size_t i = 0; i < pd->nrules; i++) {
		const strata_rule *r = &pd->rules[i];
		int f = strata_schema_field(s, r->field);
		const char *type;
		if (f < 0 && (flags & STRATA_POLICY_MISSING_OK))
			continue;
		if (f < 0)
			return strata_error_set("'%s':%u:%u: dataset '%s' has no field '%s'", p->file,
						r->line, r->col, pd->name, r->field);
		type = s->types[f];
		if ((r->kind == STRATA_T_MONTH && strcmp(type, "date")) ||
		    (r->kind == STRATA_T_YEAR && strcmp(type, "date") && strcmp(type, "month") && strcmp(type, "integer")))
			return strata_error_set("'%s':%u:%u: %s needs a date, but field '%s' is %s", p->file,
						r->line, r->col, strata_policy_transform_name(r->kind), r->field, type);
		if (r->kind == STRATA_T_RANGE && strcmp(type, "integer"))
			return strata_error_set("'%s':%u:%u: generalize range needs an integer, but field '%s' is %s",
						p->file, r->line, r->col, r->field, type);
		for (size_t k = 0; k < s->nkey; k++) {
			if (strcmp(s->key[k], r->field))
				continue;
			if (r->kind != STRATA_T_KEEP && r->kind != STRATA_T_PSEUDONYM && r->kind != STRATA_T_DROP)
				return strata_error_set("'%s':%u:%u: key field '%s' may only be kept or pseudonymized "
							"(%s would make records collide)", p->file, r->line, r->col,
							r->field, strata_policy_transform_name(r->kind));
			if (r->kind != STRATA_T_DROP)
				key_kept = 1;
		}
	}
	for (size_t i = 0; i < pd->nfilters; i++)
		if (strata_schema_field(s, pd->filters[i].field) < 0)
			return strata_error_set("'%s':%u:%u: filter on unknown field '%s' of dataset '%s'", p->file,
						pd->filters[i].line, pd->filters[i].col, pd->filters[i].field, pd->name);
	if (!key_kept)
		return strata_error_set("'%s':%u:%u: dataset '%s': no key field is shared (the key is %s%s); "
					"records could not be told apart (use pseudonym)",
					p->file, pd->line, pd->col, pd->name, s->key[0], s->nkey > 1 ? ", ..." : "");
	return 0;
}

/* Orders how much of a value a transform shows; see strata_policy_rule_compare. */
static int rank(const strata_rule *r)
{
	if (!r)
		return 0;
	switch (r->kind) {
	case STRATA_T_DROP: return 0;
	case STRATA_T_PSEUDONYM: return r->a == 1 ? 10 : 11;	/* federation-wide tokens link more */
	case STRATA_T_ID_REGION: return 20;
	case STRATA_T_YEAR: return 21;
	case STRATA_T_MONTH: return 22;
	case STRATA_T_RANGE: return 23;
	case STRATA_T_PREFIX: return 24;
	case STRATA_T_MASK: return 25;
	case STRATA_T_KEEP: return 30;
	}
	return 0;
}

int strata_policy_rule_compare(const strata_rule *a, const strata_rule *b, int *unclear)
{
	int ra = rank(a), rb = rank(b);

	*unclear = 0;
	if (a && b && a->kind == b->kind) {
		switch (a->kind) {
		case STRATA_T_MASK: {
			long sa = a->a + a->b, sb = b->a + b->b;
			if ((b->a - a->a) * (b->b - a->b) < 0)
				*unclear = 1;	/* one end shows more, the other less */
			return (sb > sa) - (sb < sa);
		}
		case STRATA_T_PREFIX: return (b->a > a->a) - (b->a < a->a);
		case STRATA_T_RANGE: return (b->a < a->a) - (b->a > a->a);	/* narrower shows more */
		case STRATA_T_PSEUDONYM: return (rb > ra) - (rb < ra);	/* scope */
		default: return 0;
		}
	}
	if (ra / 10 == 2 && rb / 10 == 2 && !((ra == 21 && rb == 22) || (ra == 22 && rb == 21)))
		*unclear = 1;
	return (rb > ra) - (rb < ra);
}

size_t strata_policy_quasi_identifiers(const strata_policy_dataset *pd, const strata_schema *s, char **names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < pd->nrules && n < max; i++) {
		const strata_rule *r = &pd->rules[i];
		int named = 0, is_key = 0;
		if (r->kind == STRATA_T_DROP || strata_schema_field(s, r->field) < 0)
			continue;	/* not shared, or not in this data: the recipient cannot hold it */
		for (size_t k = 0; k < pd->nqi; k++)
			named |= !strcmp(pd->qi[k], r->field);
		for (size_t k = 0; k < s->nkey; k++)
			is_key |= !strcmp(s->key[k], r->field);
		/* a token (pseudonym here, or one a sender made: its type says) identifies no one from outside */
		if (pd->has_qi ? named : !is_key && r->kind != STRATA_T_PSEUDONYM &&
					 strcmp(s->types[strata_schema_field(s, r->field)], "token"))
			names[n++] = r->field;
	}
	return n;
}

const strata_rule *strata_policy_shared_rule(const strata_policy_dataset *pd, const char *field)
{
	for (size_t i = 0; pd && i < pd->nrules; i++)
		if (!strcmp(pd->rules[i].field, field))
			return pd->rules[i].kind == STRATA_T_DROP ? NULL : &pd->rules[i];
	return NULL;
}
