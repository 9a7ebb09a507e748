/*
 * evidence_view.c - a received view checked against its policy, with the
 * builder's part of an evidence bundle (evidence_view.h).
 */
#include "strata/replica/evidence_view.h"
#include "strata/base/error.h"
#include "strata/base/i18n.h"
#include "strata/format/json.h"
#include "strata/format/schema.h"
#include "strata/format/sign.h"
#include "strata/format/trie.h"
#include "strata/node/commit.h"
#include "strata/node/peers.h"
#include "strata/policy/policy.h"
#include "strata/policy/redact.h"
#include "strata/replica/provenance.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	json_t *hop;
	size_t part;		/* 0-based */
} found_hop;

static const char *jstr(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? s : "";
}

static int is_view_role(const char *role)
{
	return !strcmp(role, "view-received") || !strcmp(role, "view-built");
}

/* the hop for `view` (NULL: the first view this node received), held here */
static int find_view(found_hop *out, git_oid *id, json_t **parts, size_t nparts, strata_node *n, const git_oid *view)
{
	for (size_t i = 0; i < nparts; i++) {
		json_t *hop;
		size_t j;
		json_array_foreach(json_object_get(parts[i], "hops"), j, hop) {
			const char *role = jstr(json_object_get(hop, "role"));
			git_oid c;
			if (!is_view_role(role) || git_oid_fromstr(&c, jstr(json_object_get(hop, "commit"))) < 0) {
				git_error_clear();
				continue;
			}
			if (view ? !git_oid_equal(&c, view)
				 : strcmp(role, "view-received") || strcmp(jstr(json_object_get(parts[i], "node")), strata_node_name(n)))
				continue;
			out->hop = hop;
			out->part = i;
			*id = c;
			return 1;
		}
	}
	return 0;
}

/* the hop whose commit is `hex`, in any part */
static int find_commit(found_hop *out, json_t **parts, size_t nparts, const char *hex)
{
	for (size_t i = 0; i < nparts; i++) {
		json_t *hop;
		size_t j;
		json_array_foreach(json_object_get(parts[i], "hops"), j, hop)
			if (!strcmp(jstr(json_object_get(hop, "commit")), hex)) {
				out->hop = hop;
				out->part = i;
				return 1;
			}
	}
	return 0;
}

/* the bundle's object `hex` of `type`, its id recomputed (the bundle was verified: this is a second look) */
static const strata_buf *bundle_object(const strata_evidence *ev, const char *type, const char *hex)
{
	char name[80];
	const strata_buf *b;
	git_oid want, got;

	snprintf(name, sizeof(name), "objects/%s/%s", type, hex);
	if ((b = strata_evidence_get(ev, name)) == NULL || git_oid_fromstr(&want, hex) < 0 ||
	    git_odb_hash(&got, b->ptr ? b->ptr : "", b->len, GIT_OBJECT_BLOB) < 0 || !git_oid_equal(&got, &want)) {
		git_error_clear();
		return NULL;
	}
	return b;
}

/* the builder's part is signed by the key this node holds for the builder */
static int builder_part_trusted(strata_node *n, json_t *part, const char *builder)
{
	strata_pubkey pk;
	char name[128] = "", why[256] = "";

	if (strcmp(jstr(json_object_get(part, "node")), builder))
		return strata_error_setc(STRATA_EVERIFY, "the part that brings the view's source is %s's, not the "
					 "builder %s's", jstr(json_object_get(part, "node")), builder);
	if (strata_sign_pubkey_parse(&pk, jstr(json_object_get(part, "node_key"))) < 0 ||
	    strata_peers_trusted_at(n, &pk, -1, name, sizeof(name), why, sizeof(why)) != 1 || strcmp(name, builder)) {
		strata_error_clear();
		return strata_error_setc(STRATA_EVERIFY, "%s's part is signed by a key node '%s' does not hold for %s",
					 builder, strata_node_name(n), builder);
	}
	return 0;
}

/* one field: what the rule gives from the source, against the view */
static int check_field(strata_evidence_view_result *res, const strata_redactor *r, const strata_rule *rule,
		       const char *field, const char *sv, const char *vv, strata_evidence_field_cb cb, void *payload)
{
	strata_buf want = STRATA_BUF_INIT;
	strata_evidence_field f = { field, rule ? strata_policy_transform_name(rule->kind) : NULL, sv, vv, NULL,
				    STRATA_EVFIELD_DIFFERS };
	int error = 0;

	if (!rule || rule->kind == STRATA_T_DROP || !sv) {
		/* not shared, or not in the source: nothing may arrive */
		f.state = vv ? STRATA_EVFIELD_DIFFERS : STRATA_EVFIELD_DROPPED;
	} else if (rule->kind == STRATA_T_PSEUDONYM) {
		f.state = vv ? STRATA_EVFIELD_UNCHECKED : STRATA_EVFIELD_DIFFERS;
	} else {
		if ((error = strata_redact_value(r, rule, sv, strlen(sv), &want)) < 0 || (error = strata_buf_putc(&want, '\0')) < 0)
			goto done;
		f.expected = want.ptr;
		f.state = vv && !strcmp(vv, want.ptr) ? STRATA_EVFIELD_AS_GIVEN : STRATA_EVFIELD_DIFFERS;
	}
	switch (f.state) {
	case STRATA_EVFIELD_AS_GIVEN: res->as_given++; break;
	case STRATA_EVFIELD_DROPPED: res->dropped++; break;
	case STRATA_EVFIELD_UNCHECKED: res->unchecked++; break;
	case STRATA_EVFIELD_DIFFERS: res->differ++; break;
	}
	if (cb)
		error = cb(&f, payload);
done:
	strata_buf_dispose_secret(&want);
	return error;
}

static int check_record(strata_evidence_view_result *res, const strata_redactor *r, const char *src_line,
			const char *view_line, size_t view_len, strata_evidence_field_cb cb, void *payload)
{
	const strata_policy_dataset *pd = r->pd;
	strata_record *src = NULL, *vr = NULL;
	strata_buf out = STRATA_BUF_INIT;
	int kept = 0, error;

	if ((error = strata_json_record_parse(&src, src_line, strlen(src_line))) < 0 ||
	    (error = strata_json_record_parse(&vr, view_line, view_len)) < 0 ||
	    (error = strata_redact_record(r, src, &out, &kept)) < 0)
		goto done;
	res->filter_passes = kept;
	for (size_t i = 0; i < pd->nrules && !error; i++)
		error = check_field(res, r, &pd->rules[i], pd->rules[i].field, strata_json_record_get(src, pd->rules[i].field),
				    strata_json_record_get(vr, pd->rules[i].field), cb, payload);
	/* a field no rule names is not shared: absent from the view, or one that should not be there */
	for (size_t i = 0; i < src->n && !error; i++) {
		int named = 0;
		for (size_t k = 0; k < pd->nrules && !named; k++)
			named = !strcmp(pd->rules[k].field, src->names[i]);
		if (!named)
			error = check_field(res, r, NULL, src->names[i], src->values[i],
					    strata_json_record_get(vr, src->names[i]), cb, payload);
	}
	for (size_t i = 0; i < vr->n && !error; i++) {
		int named = 0;
		for (size_t k = 0; k < pd->nrules && !named; k++)
			named = !strcmp(pd->rules[k].field, vr->names[i]);
		if (!named && !strata_json_record_get(src, vr->names[i]))	/* (those in the source: above) */
			error = check_field(res, r, NULL, vr->names[i], NULL, vr->values[i], cb, payload);
	}
done:
	strata_buf_dispose_secret(&out);
	strata_json_record_free(src);
	strata_json_record_free(vr);
	return error;
}

int strata_evidence_check_view(strata_node *n, const strata_evidence *ev, const git_oid *view,
			       strata_evidence_view_result *res, strata_evidence_field_cb cb, void *payload)
{
	static const unsigned char no_secret[STRATA_SECRET_LEN];	/* pseudonyms are not computed here */
	git_repository *repo = strata_node_repo(n);
	json_t **parts = NULL;
	size_t nparts = 0;
	found_hop vh, sh;
	git_commit *vc = NULL;
	git_tree *vt = NULL;
	strata_schema *vs = NULL;
	strata_policy *p = NULL;
	const strata_policy_dataset *pd;
	const strata_buf *blob;
	strata_redactor r;
	strata_buf line = STRATA_BUF_INIT;
	unsigned char hash[STRATA_HASH_LEN];
	char shex[GIT_OID_HEXSZ + 1] = "", phex[GIT_OID_HEXSZ + 1] = "", vhex[GIT_OID_HEXSZ + 1], attrs[512] = "",
	     why[256], leafname[80];
	const char *vline;
	int have_r = 0, error;

	memset(res, 0, sizeof(*res));
	if ((error = strata_evidence_verify(ev, NULL, NULL, NULL, NULL)) < 0 ||
	    (error = strata_evidence_load_parts(&parts, &nparts, ev)) < 0)
		goto done;
	if (!find_view(&vh, &res->view, parts, nparts, n, view)) {
		error = view ? strata_error_setc(STRATA_ENOTFOUND, "the evidence holds no hop of view %.12s",
						 git_oid_tostr_s(view))
			     : strata_error_setc(STRATA_ENOTFOUND, "the evidence holds no view node '%s' received: "
						 "export it here first ('strata evidence export')", strata_node_name(n));
		goto done;
	}
	git_oid_tostr(vhex, sizeof(vhex), &res->view);
	if (git_commit_lookup(&vc, repo, &res->view) < 0) {
		git_error_clear();
		error = strata_error_setc(STRATA_ENOTFOUND, "node '%s' does not hold view %.12s (no longer: a cut or an "
					  "expiry removed it)", strata_node_name(n), vhex);
		goto done;
	}
	if (strata_commit_trailer(vc, "Strata-Withdrawn", why, sizeof(why))) {
		error = strata_error_set("view %.12s is a withdrawal: it holds no record to check", vhex);
		goto done;
	}
	if (!strata_commit_trailer(vc, "Strata-Source", shex, sizeof(shex)) || git_oid_fromstr(&res->source, shex) < 0 ||
	    !strata_commit_trailer(vc, "Strata-Policy", phex, sizeof(phex)) || git_oid_fromstr(&res->policy, phex) < 0 ||
	    !strata_commit_trailer(vc, "Strata-Dataset", res->dataset, sizeof(res->dataset)) ||
	    !strata_commit_trailer(vc, "Strata-Recipient", res->recipient, sizeof(res->recipient)) ||
	    !strata_commit_trailer(vc, "Strata-Node", res->builder, sizeof(res->builder))) {
		git_error_clear();
		error = strata_error_set("commit %.12s is not a view: it lacks Strata-Source, Strata-Policy, "
					 "Strata-Dataset, Strata-Recipient or Strata-Node", vhex);
		goto done;
	}
	strata_commit_trailer(vc, "Strata-Policy-Name", res->policy_name, sizeof(res->policy_name));
	strata_commit_trailer(vc, "Strata-Policy-Version", res->policy_version, sizeof(res->policy_version));
	strata_commit_trailer(vc, "Strata-Recipient-Filter", attrs, sizeof(attrs));
	/* the source record, in the builder's part, signed by the key this node holds for the builder */
	if (!find_commit(&sh, parts, nparts, shex)) {
		error = strata_error_setc(STRATA_ENOTFOUND, "the evidence does not reach view %.12s's source %.12s at "
					  "'%s': add that node's part there ('strata evidence export ... --continue')",
					  vhex, shex, res->builder);
		goto done;
	}
	if ((error = builder_part_trusted(n, parts[sh.part], res->builder)) < 0)
		goto done;
	snprintf(leafname, sizeof(leafname), "objects/blob/%s", jstr(json_object_get(sh.hop, "leaf")));
	res->leaf_proven = json_object_get(json_object_get(parts[sh.part], "files"), leafname) != NULL;
	/* the policy the view names, as the bundle brings it */
	if ((blob = bundle_object(ev, "blob", phex)) == NULL) {
		error = strata_error_setc(STRATA_ENOTFOUND, "the evidence does not bring policy blob %.12s, which view "
					  "%.12s names (export the builder's part again with this version)", phex, vhex);
		goto done;
	}
	if ((error = strata_policy_parse(&p, _("the view's policy"), blob->ptr, blob->len)) < 0)
		goto done;
	if ((pd = strata_policy_find(p, res->dataset)) == NULL) {
		error = strata_error_setc(STRATA_EVERIFY, "the policy view %.12s names does not share '%s'", vhex, res->dataset);
		goto done;
	}
	res->min_k = pd->min_k;
	/* the record in the view as this node holds it, by the key the bundle shows it with */
	vline = jstr(json_object_get(vh.hop, "record"));
	if (git_commit_tree(&vt, vc) < 0) {
		error = strata_error_git("cannot read the view");
		goto done;
	}
	if ((error = strata_schema_load(&vs, repo, vt)) < 0 ||
	    (error = strata_trie_line_keyhash(hash, vline, strlen(vline), vs->key, vs->nkey)) < 0 ||
	    (error = strata_provenance_lookup(&line, repo, vt, vs, hash)) < 0)
		goto done;
	if (error == 0) {
		error = strata_error_setc(STRATA_ENOTFOUND, "view %.12s holds no record with the key the evidence shows", vhex);
		goto done;
	}
	if ((error = strata_redact_init(&r, p, pd, res->recipient, no_secret)) < 0)
		goto done;
	have_r = 1;
	if (r.needs_recipient && (error = strata_redact_recipient(&r, res->recipient, attrs)) < 0)
		goto done;
	if ((error = check_record(res, &r, jstr(json_object_get(sh.hop, "record")), line.ptr, line.len, cb, payload)) < 0)
		goto done;
	if (!res->filter_passes)
		error = strata_error_setc(STRATA_EVERIFY, "view %.12s holds a record the policy's row filter does not let "
					  "through", vhex);
	else if (res->differ)
		error = strata_error_setc(STRATA_EVERIFY, "view %.12s: %zu field(s) of the record are not what policy %s "
					  "gives from its source", vhex, res->differ, res->policy_name);
	else
		error = 0;
done:
	if (have_r)
		strata_redact_dispose(&r);
	strata_buf_dispose(&line);
	strata_policy_free(p);
	strata_schema_free(vs);
	git_tree_free(vt);
	git_commit_free(vc);
	strata_evidence_free_parts(parts, nparts);
	return error;
}
