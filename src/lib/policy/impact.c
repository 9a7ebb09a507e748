/*
 * impact.c - see impact.h.
 */
#include "strata/policy/impact.h"
#include "strata/base/array.h"
#include "strata/data/dataset.h"
#include "strata/node/peers.h"
#include "strata/policy/policy_store.h"
#include "strata/policy/redact.h"
#include "strata/node/commit.h"
#include "strata/format/json.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	strata_redactor r;
	int on;
	size_t min_k;
	strata_risk_acc *risk;
	strata_buf qi;
} side;

typedef struct {
	strata_node *n;
	const strata_policy *before, *after;
	const char *peer, *tier;
	const char *dataset;
	strata_impact_cb cb;
	void *payload;
	int reports, stop;
	const unsigned char *secret;
	int throwaway;
} impact_ctx;

typedef struct {
	side s[2];
	strata_impact im;
	strata_impact_field *fields;
	size_t nfields, falloc;
	strata_buf out[2];
} source_ctx;

static strata_impact_field *field_of(source_ctx *x, const char *name)
{
	for (size_t i = 0; i < x->nfields; i++)
		if (!strcmp(x->fields[i].name, name))
			return &x->fields[i];
	if (strata_array_grow(&x->fields, &x->falloc, x->nfields + 1, 16) < 0)
		return NULL;
	memset(&x->fields[x->nfields], 0, sizeof(x->fields[x->nfields]));
	snprintf(x->fields[x->nfields].name, sizeof(x->fields[x->nfields].name), "%s", name);
	return &x->fields[x->nfields++];
}



/* The quasi-identifiers: the policy's list, or every shared field that is not the key and is in the data. */
static int side_open(side *s, strata_node *n, const strata_policy *p, const strata_policy_dataset *pd, const char *peer,
		     const unsigned char *secret, const strata_schema *schema)
{
	char *qi[256];
	size_t nqi = 0;
	int error;

	if ((error = strata_redact_init(&s->r, p, pd, peer, secret)) < 0)
		return error;
	s->on = 1;
	if ((error = strata_redact_recipient_peer(&s->r, n, peer)) < 0)
		return error;
	nqi = strata_policy_quasi_identifiers(pd, schema, qi, 256);
	for (size_t i = 0; i < nqi; i++)
		strata_buf_printf(&s->qi, "%s%s", i ? ", " : "", qi[i]);
	s->min_k = (size_t)pd->min_k;
	return strata_risk_new(&s->risk, qi, nqi,
			       pd->sensitive && strata_policy_shared_rule(pd, pd->sensitive) ? pd->sensitive : NULL);
}

static void side_close(side *s)
{
	if (s->on)
		strata_redact_dispose(&s->r);
	strata_risk_free(s->risk);
	strata_buf_dispose(&s->qi);
	memset(s, 0, sizeof(*s));
}

static int compare_line(const char *line, size_t len, void *payload)
{
	source_ctx *x = payload;
	strata_record *rec = NULL, *red[2] = { NULL, NULL };
	int kept[2] = { 0, 0 }, error;

	x->im.source_records++;
	if ((error = strata_json_record_parse(&rec, line, len)) < 0)
		return error;
	for (int i = 0; i < 2 && !error; i++) {
		strata_buf_clear(&x->out[i]);
		if (!x->s[i].on)
			continue;
		if ((error = strata_redact_record(&x->s[i].r, rec, &x->out[i], &kept[i])) < 0 || !kept[i])
			continue;
		if ((error = strata_risk_add(x->s[i].risk, x->out[i].ptr, x->out[i].len)) == 0)
			error = strata_json_record_parse(&red[i], x->out[i].ptr, x->out[i].len);
	}
	if (!error) {
		x->im.before_records += kept[0];
		x->im.after_records += kept[1];
		x->im.gained += !kept[0] && kept[1];
		x->im.lost += kept[0] && !kept[1];
		/* per field: seen before and after, as which value */
		for (int i = 0; i < 2 && !error; i++)
			for (size_t f = 0; red[i] && f < red[i]->n && !error; f++) {
				const char *name = red[i]->names[f];
				strata_impact_field *fd = field_of(x, name);
				const char *other = NULL;
				size_t olen = 0;
				if (!fd) {
					error = strata_error_set("out of memory");
					break;
				}
				for (size_t k = 0; red[!i] && k < red[!i]->n; k++)
					if (!strcmp(red[!i]->names[k], name)) {
						other = red[!i]->values[k];
						olen = red[!i]->lens[k];
					}
				if (!other) {
					if (i == 1)
						fd->visible++;
					else
						fd->hidden++;
				} else if (i == 1 && (olen != red[1]->lens[f] || memcmp(other, red[1]->values[f], olen))) {
					fd->changed++;
				}
			}
	}
	strata_json_record_free(rec);
	strata_json_record_free(red[0]);
	strata_json_record_free(red[1]);
	return error;
}

static int report_source(const strata_dataset_entry *d, void *payload)
{
	impact_ctx *ix = payload;
	const strata_policy_dataset *pd[2];
	source_ctx x;
	git_tree *t = NULL;
	strata_schema *schema = NULL;
	int error = 0;

	if (ix->stop || strcmp(d->dataset, ix->dataset))
		return 0;
	pd[0] = ix->before && strata_policy_applies(ix->before, ix->peer, ix->tier) ? strata_policy_find(ix->before, ix->dataset) : NULL;
	pd[1] = ix->after && strata_policy_applies(ix->after, ix->peer, ix->tier) ? strata_policy_find(ix->after, ix->dataset) : NULL;
	if (!pd[0] && !pd[1])
		return 0;
	memset(&x, 0, sizeof(x));
	if (git_commit_tree(&t, d->tip) < 0) {
		error = strata_error_git("cannot read a dataset");
		goto done;
	}
	if ((error = strata_schema_load(&schema, strata_node_repo(ix->n), t)) < 0)
		goto done;
	for (int i = 0; i < 2 && !error; i++)
		if (pd[i])
			error = side_open(&x.s[i], ix->n, i ? ix->after : ix->before, pd[i], ix->peer, ix->secret, schema);
	if (error || (error = strata_dataset_foreach(strata_node_repo(ix->n), t, compare_line, &x)) < 0)
		goto done;
	/* a field both sides pseudonymize: its changes are changed tokens */
	for (size_t f = 0; f < x.nfields; f++) {
		const strata_rule *a = strata_policy_shared_rule(pd[0], x.fields[f].name);
		const strata_rule *b = strata_policy_shared_rule(pd[1], x.fields[f].name);
		x.fields[f].tokens = a && b && a->kind == STRATA_T_PSEUDONYM && b->kind == STRATA_T_PSEUDONYM;
	}
	for (int i = 0; i < 2 && !error; i++)
		if (x.s[i].on)
			error = strata_risk_finish(x.s[i].risk, x.s[i].min_k, i ? &x.im.after_risk : &x.im.before_risk);
	if (error)
		goto done;
	x.im.peer = ix->peer;
	x.im.tier = ix->tier;
	x.im.source = d->name;
	x.im.before_applies = pd[0] != NULL;
	x.im.after_applies = pd[1] != NULL;
	x.im.fields = x.fields;
	x.im.nfields = x.nfields;
	x.im.before_qi = x.s[0].qi.ptr ? x.s[0].qi.ptr : "";
	x.im.after_qi = x.s[1].qi.ptr ? x.s[1].qi.ptr : "";
	x.im.throwaway_secret = ix->throwaway;
	ix->reports++;
	if (ix->cb)
		ix->stop = ix->cb(&x.im, ix->payload);
done:
	for (int i = 0; i < 2; i++) {
		side_close(&x.s[i]);
		strata_buf_dispose_secret(&x.out[i]);
	}
	free(x.fields);
	strata_schema_free(schema);
	git_tree_free(t);
	return error;
}

int strata_policy_impact(strata_node *n, const strata_policy *before, const strata_policy *after, const char *peer,
			 strata_impact_cb cb, void *payload)
{
	impact_ctx ix = { n, before, after, NULL, NULL, NULL, cb, payload, 0, 0, NULL, 0 };
	unsigned char secret[STRATA_SECRET_LEN];
	char **peers = NULL;
	size_t npeers = 0;
	int error;

	/* the secret of the policy's name: one for every version */
	error = strata_policy_store_secret(secret, n, after->name);
	if (error == STRATA_ENOTFOUND) {
		strata_error_clear();
		if (RAND_bytes(secret, sizeof(secret)) != 1)
			return strata_error_ssl("no randomness");
		ix.throwaway = 1;
		error = 0;
	}
	if (error < 0)
		return error;
	ix.secret = secret;
	if ((error = strata_peers_list(&peers, &npeers, n)) < 0)
		goto done;
	for (size_t i = 0; i < npeers && !error && !ix.stop; i++) {
		strata_buf tier = STRATA_BUF_INIT;
		if (peer && strcmp(peer, peers[i]))
			continue;
		strata_peers_get(&tier, n, peers[i], "tier");
		strata_error_clear();
		ix.peer = peers[i];
		ix.tier = tier.ptr ? tier.ptr : "";
		/* each dataset either version names, once */
		for (int v = 0; v < 2 && !error; v++) {
			const strata_policy *p = v ? after : before;
			for (size_t k = 0; p && k < p->ndatasets && !error && !ix.stop; k++) {
				if (v == 1 && before && strata_policy_find(before, p->datasets[k].name))
					continue;
				ix.dataset = p->datasets[k].name;
				error = strata_dataset_list(n, STRATA_DATASETS_ALL, report_source, &ix);
			}
		}
		strata_buf_dispose(&tier);
	}
	if (!error && peer && npeers && !ix.reports) {
		size_t k = 0;
		while (k < npeers && strcmp(peers[k], peer))
			k++;
		if (k == npeers)
			error = strata_error_setc(STRATA_ENOTFOUND, "'%s' is not a peer of node '%s'", peer, strata_node_name(n));
	}
done:
	OPENSSL_cleanse(secret, sizeof(secret));
	strata_peers_list_free(peers);
	if (error < 0)
		return error;
	return ix.stop ? ix.stop : ix.reports;
}

/* --- joint risk: two holders pooling what they hold (impact.h) --- */

typedef struct {
	const char *who;
	int self;
	strata_policy *own;		/* a policy loaded here (else borrowed) */
	const strata_policy *p;
	const strata_policy_dataset *pd;
	unsigned char secret[STRATA_SECRET_LEN];
	strata_redactor r;
	int have_r;
	char *qi[64];
	size_t nqi;
} holder;

static void holder_close(holder *h)
{
	if (h->have_r)
		strata_redact_dispose(&h->r);
	strata_policy_free(h->own);
	OPENSSL_cleanse(h->secret, sizeof(h->secret));
	memset(h, 0, sizeof(*h));
}

/*
 * This node as a holder of received data: every field it holds but the
 * key and the tokens (schema type "token": a sender's pseudonyms), as it
 * holds them.
 */
static int holder_self(holder *h, strata_node *n, const strata_dataset_entry *d, const strata_schema *schema)
{
	(void)d;
	memset(h, 0, sizeof(*h));
	h->who = strata_node_name(n);
	h->self = 1;
	for (size_t i = 0; i < schema->nfields && h->nqi < 64; i++) {
		int is_key = 0;
		for (size_t k = 0; k < schema->nkey; k++)
			is_key |= !strcmp(schema->key[k], schema->names[i]);
		if (!is_key && strcmp(schema->types[i], "token"))
			h->qi[h->nqi++] = schema->names[i];
	}
	return 0;
}

/* A recipient as a holder: its policy (the candidate if it names it), secret and redactor. */
static int holder_peer(holder *h, strata_node *n, const char *peer, const strata_policy *candidate,
		       const strata_dataset_entry *d, const strata_schema *schema)
{
	strata_buf pol = STRATA_BUF_INIT, tier = STRATA_BUF_INIT;
	int error = 0, rc;

	memset(h, 0, sizeof(*h));
	h->who = peer;
	if (strata_peers_get(&pol, n, peer, "policy") < 0 || !strcmp(d->sender, peer)) {
		strata_error_clear();	/* nothing sent to it, or the data came from it */
		goto done;
	}
	strata_peers_get(&tier, n, peer, "tier");
	strata_error_clear();
	if (candidate && !strcmp(candidate->name, pol.ptr)) {
		h->p = candidate;
	} else if ((rc = strata_policy_store_load(&h->own, NULL, n, pol.ptr)) < 0) {
		strata_error_clear();
		goto done;
	} else {
		h->p = h->own;
	}
	if (!strata_policy_applies(h->p, peer, tier.ptr ? tier.ptr : "") || (h->pd = strata_policy_find(h->p, d->dataset)) == NULL) {
		h->pd = NULL;
		goto done;
	}
	rc = strata_policy_store_secret(h->secret, n, h->p->name);
	if (rc == STRATA_ENOTFOUND) {
		strata_error_clear();
		if (RAND_bytes(h->secret, sizeof(h->secret)) != 1) {
			error = strata_error_ssl("no randomness");
			goto done;
		}
	} else if (rc < 0) {
		error = rc;
		goto done;
	}
	if ((error = strata_redact_init(&h->r, h->p, h->pd, peer, h->secret)) < 0)
		goto done;
	h->have_r = 1;
	if ((error = strata_redact_recipient_peer(&h->r, n, peer)) < 0)
		goto done;
	h->nqi = strata_policy_quasi_identifiers(h->pd, schema, h->qi, 64);
done:
	strata_buf_dispose(&pol);
	strata_buf_dispose(&tier);
	return error;
}

typedef struct {
	holder *h[2];
	strata_risk_acc *acc[3];	/* a alone, b alone, pooled */
	strata_buf out[2], vals;
	size_t pooled;
} pool_ctx;

/* One record: as each holder holds it (kept by both, or not pooled), its quasi-identifier values. */
static int pool_line(const char *line, size_t len, void *payload)
{
	pool_ctx *x = payload;
	size_t offs[128], lens[128], k = 0;
	char *vals[128];
	int error = 0;

	strata_buf_clear(&x->vals);
	for (int i = 0; i < 2 && !error; i++) {
		const char *l = line;
		size_t ll = len;
		int kept = 1;
		if (!x->h[i]->self) {
			strata_buf_clear(&x->out[i]);
			if ((error = strata_redact_line(&x->h[i]->r, line, len, &x->out[i], &kept)) < 0)
				return error;
			if (!kept)
				return 0;	/* one of them does not hold it: nothing to pool */
			l = x->out[i].ptr;
			ll = x->out[i].len;
		}
		for (size_t q = 0; q < x->h[i]->nqi && k < 128; q++, k++) {
			int rc;
			offs[k] = x->vals.len;
			if ((rc = strata_json_record_field(&x->vals, l, ll, x->h[i]->qi[q])) < 0)	/* 1 found, 0 not */
				return rc;
			lens[k] = x->vals.len - offs[k];
		}
	}
	for (size_t i = 0; i < k; i++)
		vals[i] = x->vals.ptr + offs[i];
	x->pooled++;
	if ((error = strata_risk_add_values(x->acc[0], vals, lens, x->h[0]->nqi)) < 0 ||
	    (error = strata_risk_add_values(x->acc[1], vals + x->h[0]->nqi, lens + x->h[0]->nqi, k - x->h[0]->nqi)) < 0)
		return error;
	return strata_risk_add_values(x->acc[2], vals, lens, k);
}

struct joint_ctx {
	strata_node *n;
	const strata_policy *candidate;
	char **peers;
	size_t npeers;
	strata_joint_cb cb;
	void *payload;
	int pairs, stop;
};

static int joint_pair(struct joint_ctx *jx, const strata_dataset_entry *d, git_tree *t, holder *a, holder *b)
{
	pool_ctx x;
	strata_joint_risk j;
	strata_buf qi = STRATA_BUF_INIT;
	int error = 0;

	memset(&x, 0, sizeof(x));
	x.h[0] = a;
	x.h[1] = b;
	for (size_t i = 0; i < a->nqi; i++)
		strata_buf_printf(&qi, "%s%s:%s", i ? ", " : "", a->self ? "here" : a->who, a->qi[i]);
	for (size_t i = 0; i < b->nqi; i++)
		strata_buf_printf(&qi, "%s%s:%s", qi.len ? ", " : "", b->who, b->qi[i]);
	if ((error = strata_risk_new(&x.acc[0], a->qi, a->nqi, NULL)) < 0 ||
	    (error = strata_risk_new(&x.acc[1], b->qi, b->nqi, NULL)) < 0 ||
	    (error = strata_risk_new(&x.acc[2], a->qi, 0, NULL)) < 0 ||
	    (error = strata_dataset_foreach(strata_node_repo(jx->n), t, pool_line, &x)) < 0)
		goto done;
	memset(&j, 0, sizeof(j));
	if ((error = strata_risk_finish(x.acc[0], 0, &j.alone_a)) < 0 || (error = strata_risk_finish(x.acc[1], 0, &j.alone_b)) < 0 ||
	    (error = strata_risk_finish(x.acc[2], 0, &j.pooled_risk)) < 0)
		goto done;
	j.source = d->name;
	j.a = a->who;
	j.b = b->who;
	j.a_self = a->self;
	j.pooled = x.pooled;
	j.qi = qi.ptr ? qi.ptr : "";
	jx->pairs++;
	if (jx->cb)
		jx->stop = jx->cb(&j, jx->payload);
done:
	for (int i = 0; i < 3; i++)
		strata_risk_free(x.acc[i]);
	strata_buf_dispose_secret(&x.out[0]);
	strata_buf_dispose_secret(&x.out[1]);
	strata_buf_dispose_secret(&x.vals);
	strata_buf_dispose(&qi);
	return error;
}

static int joint_source(const strata_dataset_entry *d, void *payload)
{
	struct joint_ctx *jx = payload;
	holder *hs = NULL;
	size_t nh = 0;
	git_tree *t = NULL;
	strata_schema *schema = NULL;
	int error = 0;

	if (jx->stop)
		return 0;
	if ((hs = calloc(jx->npeers + 1, sizeof(*hs))) == NULL)
		return strata_error_set("out of memory");
	if (git_commit_tree(&t, d->tip) < 0) {
		error = strata_error_git("cannot read a dataset");
		goto done;
	}
	if ((error = strata_schema_load(&schema, strata_node_repo(jx->n), t)) < 0)
		goto done;
	if (d->sender[0] && (error = holder_self(&hs[nh], jx->n, d, schema)) == 0 && hs[nh].nqi)
		nh++;
	else
		holder_close(&hs[nh]);
	for (size_t i = 0; !error && i < jx->npeers; i++) {
		if ((error = holder_peer(&hs[nh], jx->n, jx->peers[i], jx->candidate, d, schema)) == 0 && hs[nh].have_r && hs[nh].nqi)
			nh++;
		else
			holder_close(&hs[nh]);
	}
	for (size_t i = 0; !error && !jx->stop && i < nh; i++)
		for (size_t k = i + 1; !error && !jx->stop && k < nh; k++) {
			/* with a candidate, the pairs it takes part in */
			if (jx->candidate && hs[i].p != jx->candidate && hs[k].p != jx->candidate)
				continue;
			/* the candidate's recipient first (this node first of all), as the officer reads it */
			if (jx->candidate && !hs[i].self && hs[i].p != jx->candidate)
				error = joint_pair(jx, d, t, &hs[k], &hs[i]);
			else
				error = joint_pair(jx, d, t, &hs[i], &hs[k]);
		}
done:
	for (size_t i = 0; i < nh; i++)
		holder_close(&hs[i]);
	free(hs);
	strata_schema_free(schema);
	git_tree_free(t);
	return error;
}

int strata_policy_joint_risk(strata_node *n, const strata_policy *candidate, strata_joint_cb cb, void *payload)
{
	struct joint_ctx jx;
	int error;

	memset(&jx, 0, sizeof(jx));
	jx.n = n;
	jx.candidate = candidate;
	jx.cb = cb;
	jx.payload = payload;
	if ((error = strata_peers_list(&jx.peers, &jx.npeers, n)) < 0)
		return error;
	error = strata_dataset_list(n, STRATA_DATASETS_ALL, joint_source, &jx);
	strata_peers_list_free(jx.peers);
	return error < 0 ? error : jx.pairs;
}
