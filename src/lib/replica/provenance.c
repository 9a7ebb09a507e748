/*
 * provenance.c - record lookup by key hash, a record's history, and the
 * trace back through the tiers (see provenance.h).
 */
#include "strata/replica/provenance.h"
#include "strata/base/i18n.h"
#include "strata/format/json.h"
#include "strata/base/array.h"
#include "strata/policy/view.h"
#include "strata/node/audit.h"
#include "strata/node/ledger.h"
#include "strata/base/oidset.h"
#include "strata/policy/policy.h"
#include "strata/policy/redact.h"
#include "strata/format/name.h"
#include "strata/node/refs.h"
#include "strata/node/peers.h"
#include "strata/data/dataset.h"
#include "strata/policy/policy_store.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int strata_provenance_key_from_args(unsigned char hash[STRATA_HASH_LEN], char *const *vals, size_t n)
{
	size_t *lens = calloc(n ? n : 1, sizeof(*lens));
	int error;

	if (!lens)
		return strata_error_set("out of memory");
	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(vals[i]);
	error = strata_trie_keyhash(hash, vals, lens, n);
	free(lens);
	return error;
}

int strata_provenance_lookup(strata_buf *out, git_repository *repo, const git_tree *root,
			  const strata_schema *s, const unsigned char hash[STRATA_HASH_LEN])
{
	const git_tree_entry *e = git_tree_entry_byname(root, "records");
	git_tree *t = NULL;
	git_blob *b = NULL;
	git_oid leaf;
	int error;

	if (!e || git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return strata_error_set("dataset tree has no records/");
	if (git_tree_lookup(&t, repo, git_tree_entry_id(e)) < 0)
		return strata_error_git("cannot read records");
	if ((error = strata_trie_find_leaf(repo, t, hash, &leaf)) <= 0)
		goto done;	/* no leaf starts at or below this key: no record */
	if (git_blob_lookup(&b, repo, &leaf) < 0) {
		error = strata_error_git("cannot read a leaf");
		goto done;
	}
	{
		const char *p = git_blob_rawcontent(b), *end = p + git_blob_rawsize(b), *nl;
		unsigned char h[STRATA_HASH_LEN];
		error = 0;
		for (; p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				nl = end;
			if ((error = strata_trie_line_keyhash(h, p, (size_t)(nl - p), s->key, s->nkey)) < 0)
				break;
			if (!memcmp(h, hash, STRATA_HASH_LEN)) {
				error = strata_buf_put(out, p, (size_t)(nl - p)) < 0 ? STRATA_ERROR : 1;
				break;
			}
		}
	}
done:
	git_blob_free(b);
	git_tree_free(t);
	return error;
}

int strata_provenance_history(strata_node *n, const char *ref, const unsigned char hash[STRATA_HASH_LEN],
			  strata_history_cb cb, void *payload)
{
	git_oid id;
	git_commit *c = NULL, *next = NULL;
	git_tree *tree = NULL;
	strata_schema *s = NULL;
	strata_buf cur = STRATA_BUF_INIT, older = STRATA_BUF_INIT;
	int have_cur, have_older, versions = 0, error = 0;
	char signer[256], node[64];

	if (git_reference_name_to_id(&id, strata_node_repo(n), ref) < 0 || git_commit_lookup(&c, strata_node_repo(n), &id) < 0) {
		git_error_clear();
		return strata_error_setc(STRATA_ENOTFOUND, "no dataset at '%s' on node '%s'", ref, strata_node_name(n));
	}
	/* compare each commit's version with its parent's: report where they differ */
	if (git_commit_tree(&tree, c) < 0 || strata_schema_load(&s, strata_node_repo(n), tree) < 0 ||
	    (have_cur = strata_provenance_lookup(&cur, strata_node_repo(n), tree, s, hash)) < 0) {
		error = STRATA_ERROR;
		goto done;
	}
	while (c) {
		strata_history_entry e;
		strata_sig_status st;
		git_tree_free(tree);
		tree = NULL;
		strata_buf_clear(&older);
		have_older = 0;
		if (git_commit_parentcount(c) > 0) {
			strata_schema *ps = NULL;
			if (git_commit_parent(&next, c, 0) < 0 || git_commit_tree(&tree, next) < 0 ||
			    strata_schema_load(&ps, strata_node_repo(n), tree) < 0) {
				error = STRATA_ERROR;
				goto done;
			}
			have_older = strata_provenance_lookup(&older, strata_node_repo(n), tree, ps, hash);
			strata_schema_free(ps);
			if (have_older < 0) {
				error = STRATA_ERROR;
				goto done;
			}
		}
		if (have_cur != have_older || (have_cur && strcmp(cur.ptr, older.ptr))) {
			if (strata_commit_check(&st, signer, sizeof(signer), n, git_commit_id(c)) < 0) {
				error = STRATA_ERROR;
				goto done;
			}
			strata_commit_trailer(c, "Strata-Node", node, sizeof(node));
			e.commit = *git_commit_id(c);
			e.time = git_commit_time(c);
			e.change = !have_older ? "added" : !have_cur ? "removed" : "changed";
			e.line = have_cur ? cur.ptr : "";
			e.status = st;
			e.signer = signer;
			e.node = node;
			versions++;
			if (cb && (error = cb(&e, payload)) != 0)
				goto done;
		}
		git_commit_free(c);
		c = next;
		next = NULL;
		strata_buf_clear(&cur);
		if (have_older && strata_buf_put(&cur, older.ptr, older.len) < 0) {
			error = STRATA_ERROR;
			goto done;
		}
		have_cur = have_older;
	}
	error = versions;
done:
	git_commit_free(c);
	git_commit_free(next);
	git_tree_free(tree);
	strata_schema_free(s);
	strata_buf_dispose(&cur);
	strata_buf_dispose(&older);
	return error;
}

/* --- trace --- */

void strata_provenance_trace_dispose(strata_trace *t)
{
	for (size_t i = 0; i < sizeof(t->hops) / sizeof(*t->hops); i++)
		strata_buf_dispose(&t->hops[i].line);
	strata_buf_dispose(&t->next_key);
	memset(t, 0, sizeof(*t));
}

typedef struct {
	char hex[GIT_OID_HEXSZ + 1];
	int64_t time;
} received_ctx;

static int find_import(const strata_audit_event *ev, void *payload)
{
	received_ctx *r = payload;
	if (strcmp(ev->event, "parcel-import") || !strstr(git_commit_message(ev->c), r->hex))
		return 0;
	r->time = ev->time;
	return 1;
}

/* When this node imported `commit`, from the audit log (0 if it did not). */
static int64_t received_at(strata_node *n, const git_oid *commit)
{
	received_ctx r = { "", 0 };
	git_oid_tostr(r.hex, sizeof(r.hex), commit);
	if (strata_audit_foreach(n, find_import, &r) < 0)
		strata_error_clear();
	return r.time;
}

static int fill_hop(strata_trace_hop *h, strata_node *n, const git_commit *c, const char *line, size_t len)
{
	char v[GIT_OID_HEXSZ + 1];
	int rc;

	h->commit = *git_commit_id(c);
	h->committed = git_commit_time(c);
	h->is_view = strata_commit_trailer(c, "Strata-Recipient", h->recipient, sizeof(h->recipient));
	strata_commit_trailer(c, "Strata-Node", h->node, sizeof(h->node));
	strata_commit_trailer(c, "Strata-Tier", h->tier, sizeof(h->tier));
	strata_commit_trailer(c, "Strata-Policy-Name", h->policy_name, sizeof(h->policy_name));
	strata_commit_trailer(c, "Strata-Policy-Version", h->policy_version, sizeof(h->policy_version));
	if (strata_commit_trailer(c, "Strata-Policy", v, sizeof(v)))
		snprintf(h->policy_blob, sizeof(h->policy_blob), "%s", v);
	strata_commit_trailer(c, "Strata-Purpose", h->purpose, sizeof(h->purpose));
	h->built_here = h->is_view && !strcmp(h->node, strata_node_name(n));
	h->received = h->is_view && !h->built_here ? received_at(n, &h->commit) : 0;
	if ((rc = strata_commit_check(&h->status, h->signer, sizeof(h->signer), n, &h->commit)) < 0)
		return rc;
	strata_buf_clear(&h->line);
	return strata_buf_put(&h->line, line, len);
}

typedef struct {
	const char *prefix;	/* refs to search */
	const char *dataset;
	const unsigned char *hash;
	strata_node *n;
	git_commit *found;	/* the commit holding the record */
	strata_buf *line;
} find_ctx;

/* The first ref under `prefix` naming `dataset` whose tip holds the record. */
static int find_record(find_ctx *f)
{
	strata_buf glob = STRATA_BUF_INIT;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int rc = 0;

	if (strata_buf_printf(&glob, "%s*", f->prefix) < 0)
		return STRATA_ERROR;
	if (git_reference_iterator_glob_new(&it, strata_node_repo(f->n), glob.ptr) < 0)
		rc = strata_error_git("cannot list refs");
	while (rc == 0 && git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref), *last = strrchr(name, '/');
		const git_oid *id = git_reference_target(ref);
		git_commit *c = NULL;
		git_tree *t = NULL;
		strata_schema *s = NULL;
		if (id && last && !strcmp(last + 1, f->dataset)) {
			if (git_commit_lookup(&c, strata_node_repo(f->n), id) < 0 || git_commit_tree(&t, c) < 0)
				rc = strata_error_git("cannot read a dataset");
			else if (strata_schema_load(&s, strata_node_repo(f->n), t) < 0)
				rc = STRATA_ERROR;
			else if ((rc = strata_provenance_lookup(f->line, strata_node_repo(f->n), t, s, f->hash)) == 1) {
				f->found = c;
				c = NULL;
			}
		}
		strata_schema_free(s);
		git_tree_free(t);
		git_commit_free(c);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	strata_buf_dispose(&glob);
	return rc;
}

typedef struct {
	strata_redactor *r;
	const strata_schema *src;
	const unsigned char *want;	/* the key hash in the view */
	strata_buf *line, out;
	int found;
} reverse_ctx;

static int reverse_line(const char *line, size_t len, void *payload)
{
	reverse_ctx *x = payload;
	unsigned char h[STRATA_HASH_LEN];
	int kept = 0, rc;

	if ((rc = strata_redact_line(x->r, line, len, &x->out, &kept)) == 0 && kept &&
	    (rc = strata_trie_line_keyhash(h, x->out.ptr, x->out.len, x->src->key, x->src->nkey)) == 0 &&
	    !memcmp(h, x->want, STRATA_HASH_LEN)) {
		x->found = 1;
		rc = strata_buf_put(x->line, line, len) < 0 ? STRATA_ERROR : 1;	/* stops the walk */
	}
	return rc;
}

/* A view commit's redactor: the policy blob it names, with this node's secret for that policy. */
typedef struct {
	strata_policy *p;
	strata_redactor r;
	int have_r;
} view_redactor;

static void view_redactor_dispose(view_redactor *v)
{
	if (v->have_r)
		strata_redact_dispose(&v->r);
	strata_policy_free(v->p);
	memset(v, 0, sizeof(*v));
}

static int view_redactor_open(view_redactor *vr, strata_node *n, const git_commit *view)
{
	char v[GIT_OID_HEXSZ + 1], dataset[64], recipient[64];
	unsigned char secret[STRATA_SECRET_LEN];
	git_oid blob_id;
	git_blob *blob = NULL;
	const strata_policy_dataset *pd;
	int error = STRATA_ERROR;

	memset(vr, 0, sizeof(*vr));
	if (!strata_commit_trailer(view, "Strata-Policy", v, sizeof(v)) || git_oid_fromstr(&blob_id, v) < 0 ||
	    !strata_commit_trailer(view, "Strata-Dataset", dataset, sizeof(dataset)) ||
	    !strata_commit_trailer(view, "Strata-Recipient", recipient, sizeof(recipient))) {
		git_error_clear();
		return strata_error_set("view commit lacks its policy trailers");
	}
	if (git_blob_lookup(&blob, strata_node_repo(n), &blob_id) < 0) {
		error = strata_error_git("cannot read the view's policy");
		goto done;
	}
	if ((error = strata_policy_parse(&vr->p, _("committed policy"), git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob))) < 0 ||
	    (error = strata_policy_store_secret(secret, n, vr->p->name)) < 0)
		goto done;
	if ((pd = strata_policy_find(vr->p, dataset)) == NULL) {
		error = strata_error_set("the view's policy does not share '%s'", dataset);
		goto done;
	}
	if ((error = strata_redact_init(&vr->r, vr->p, pd, recipient, secret)) < 0)
		goto done;
	vr->have_r = 1;
	if (vr->r.needs_recipient) {	/* a filter per recipient: as the view was built */
		char attrs[512] = "";
		strata_commit_trailer(view, "Strata-Recipient-Filter", attrs, sizeof(attrs));
		if ((error = strata_redact_recipient(&vr->r, recipient, attrs)) < 0)
			goto done;
	}
	error = 0;
done:
	OPENSSL_cleanse(secret, sizeof(secret));
	git_blob_free(blob);
	if (error)
		view_redactor_dispose(vr);
	return error;
}

/*
 * The record of the view's source that the view holds under key hash
 * `hash`: recomputed with the policy blob the view names and this node's
 * secret for it.  Returns 1 and the source line, or 0.
 */
static int reverse_redact(strata_buf *line, strata_node *n, const git_commit *view, const git_tree *src_tree,
			  const unsigned char *hash)
{
	view_redactor vr;
	strata_schema *src = NULL;
	reverse_ctx x = { 0 };
	int rc = STRATA_ERROR;

	if (view_redactor_open(&vr, n, view) < 0)
		return STRATA_ERROR;
	if ((rc = strata_schema_load(&src, strata_node_repo(n), src_tree)) < 0)
		goto done;
	x.r = &vr.r;
	x.src = src;
	x.want = hash;
	x.line = line;
	rc = strata_dataset_foreach(strata_node_repo(n), src_tree, reverse_line, &x);
	rc = rc < 0 ? rc : x.found;
done:
	view_redactor_dispose(&vr);
	strata_buf_dispose_secret(&x.out);
	strata_schema_free(src);
	return rc;
}

/* The key values of a record line as a JSON array, in the tree's key order. */
static int key_values(strata_buf *out, strata_node *n, const git_commit *c, const char *line, size_t len)
{
	git_tree *t = NULL;
	strata_schema *s = NULL;
	strata_buf v = STRATA_BUF_INIT;
	int error = STRATA_ERROR;

	strata_buf_clear(out);
	if (git_commit_tree(&t, c) < 0 || (error = strata_schema_load(&s, strata_node_repo(n), t)) < 0 || (error = strata_buf_putc(out, '[')) < 0)
		goto done;
	for (size_t i = 0; i < s->nkey; i++) {
		strata_buf_clear(&v);
		if ((error = strata_json_record_field(&v, line, len, s->key[i])) != 1) {
			if (error >= 0)
				error = strata_error_set("record has no key field '%s'", s->key[i]);
			goto done;
		}
		if ((i && (error = strata_buf_putc(out, ',')) < 0) || (error = strata_json_put_string(out, v.ptr, v.len)) < 0)
			goto done;
	}
	error = strata_buf_putc(out, ']');
done:
	strata_buf_dispose(&v);
	strata_schema_free(s);
	git_tree_free(t);
	return error;
}

int strata_provenance_trace(strata_trace *t, strata_node *n, const char *dataset, char *const *key, size_t nkey)
{
	return strata_provenance_trace_at(t, n, dataset, key, nkey, NULL);
}

/* the record with key hash `hash` in commit `id`, held here: the commit into f->found, its line into f->line */
static int record_at(find_ctx *f, const git_oid *id)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	strata_schema *s = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	git_oid_tostr(hex, sizeof(hex), id);
	if (git_commit_lookup(&c, strata_node_repo(f->n), id) < 0) {
		git_error_clear();
		return strata_error_setc(STRATA_ENOTFOUND, "node '%s' does not hold commit %.12s (never, or no longer: a "
					 "cut or an expiry removed it)", strata_node_name(f->n), hex);
	}
	if (git_commit_tree(&tree, c) < 0)
		rc = strata_error_git("cannot read a dataset");
	else if ((rc = strata_schema_load(&s, strata_node_repo(f->n), tree)) == 0 &&
		 (rc = strata_provenance_lookup(f->line, strata_node_repo(f->n), tree, s, f->hash)) == 0)
		rc = strata_error_setc(STRATA_ENOTFOUND, "commit %.12s at node '%s' holds no record of '%s' with that key",
				       hex, strata_node_name(f->n), f->dataset);
	if (rc == 1) {
		f->found = c;
		c = NULL;
		rc = 0;
	}
	strata_schema_free(s);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

int strata_provenance_trace_at(strata_trace *t, strata_node *n, const char *dataset, char *const *key, size_t nkey,
			       const git_oid *start)
{
	static const char *const where[] = { STRATA_REF_DATASETS, STRATA_REF_PEERS, STRATA_REF_VIEWS };
	unsigned char hash[STRATA_HASH_LEN];
	strata_buf line = STRATA_BUF_INIT, exact = STRATA_BUF_INIT;
	find_ctx f = { 0 };
	git_commit *c = NULL, *src = NULL;
	git_tree *src_tree = NULL;
	int rc, error = STRATA_ERROR;

	memset(t, 0, sizeof(*t));
	if (strchr(dataset, '/')) {
		/* one received dataset, by its full name (dataset.h) */
		if ((error = strata_dataset_ref(&exact, n, dataset)) < 0)
			return error;
		dataset = strrchr(dataset, '/') + 1;
	} else if (!strata_name_dataset_valid(dataset)) {
		return strata_error_set("invalid dataset name '%s'", dataset);
	}
	snprintf(t->dataset, sizeof(t->dataset), "%s", dataset);
	if (strata_provenance_key_from_args(hash, key, nkey) < 0) {
		strata_buf_dispose(&exact);
		return STRATA_ERROR;
	}
	f.dataset = dataset;
	f.hash = hash;
	f.n = n;
	f.line = &line;
	/* at the commit given; else as this node holds it (own, then received), else as a peer of it sees it */
	if (start && (error = record_at(&f, start)) < 0)
		goto done;
	for (size_t i = 0; i < 3 && !f.found; i++) {
		f.prefix = exact.len ? exact.ptr : where[i];
		if ((error = find_record(&f)) < 0 || exact.len)
			break;
	}
	if (error < 0)
		goto done;
	if (!f.found) {
		error = strata_error_setc(STRATA_ENOTFOUND, "no record of '%s' with that key on node '%s' "
					  "(neither in its data nor in the views it built)", dataset, strata_node_name(n));
		goto done;
	}
	c = f.found;
	for (;;) {
		strata_trace_hop *h = &t->hops[t->nhops];
		char v[GIT_OID_HEXSZ + 1], source_node[64] = "";
		git_oid sid;
		if ((error = fill_hop(h, n, c, line.ptr, line.len)) < 0)
			goto done;
		t->nhops++;
		/* the first view that names where the records began (a view whose policy hides the path names none) */
		if (!t->has_origin && h->is_view) {
			char origin[256] = "";
			strata_commit_trailer(c, "Strata-Origin", origin, sizeof(origin));
			if (sscanf(origin, "%63s %40s", t->origin_node, v) == 2 && git_oid_fromstr(&t->origin_commit, v) == 0) {
				git_odb *odb = NULL;
				t->has_origin = 1;
				if (git_repository_odb(&odb, strata_node_repo(n)) == 0)
					t->origin_held = git_odb_exists(odb, &t->origin_commit);
				git_odb_free(odb);
			}
			git_error_clear();
		}
		if (!h->is_view)
			break;	/* the owner's commit: the start of the record's way */
		if (!strata_commit_trailer(c, "Strata-Source", v, sizeof(v)) || git_oid_fromstr(&sid, v) < 0) {
			error = strata_error_set("view commit %.12s has no Strata-Source", v);
			goto done;
		}
		strata_commit_trailer(c, "Strata-Source-Node", source_node, sizeof(source_node));
		if (!h->built_here || t->nhops == sizeof(t->hops) / sizeof(*t->hops) ||
		    git_commit_lookup(&src, strata_node_repo(n), &sid) < 0) {
			/* received: the hop before it is at the node that built it */
			git_error_clear();
			t->has_next = 1;
			snprintf(t->next_node, sizeof(t->next_node), "%s", h->node);
			t->next_commit = sid;
			if ((error = key_values(&t->next_key, n, c, line.ptr, line.len)) < 0)
				goto done;
			break;
		}
		/* built here: find the source record that redacts to this key */
		if (git_commit_tree(&src_tree, src) < 0) {
			error = strata_error_git("cannot read the view's source");
			goto done;
		}
		strata_buf_clear(&line);
		if ((error = rc = reverse_redact(&line, n, c, src_tree, hash)) < 0)
			goto done;
		if (rc == 0) {
			error = strata_error_set("no record of source %.12s redacts to this key under the view's policy: "
					 "the view does not match its source (check it with 'strata audit view')", v);
			goto done;
		}
		{
			strata_schema *s = NULL;
			rc = strata_schema_load(&s, strata_node_repo(n), src_tree);
			if (rc == 0)
				rc = strata_trie_line_keyhash(hash, line.ptr, line.len, s->key, s->nkey);
			strata_schema_free(s);
			if ((error = rc) < 0)
				goto done;
		}
		git_tree_free(src_tree);
		src_tree = NULL;
		git_commit_free(c);
		c = src;
		src = NULL;
	}
	error = 0;
done:
	git_tree_free(src_tree);
	git_commit_free(src);
	git_commit_free(c);
	strata_buf_dispose(&line);
	strata_buf_dispose(&exact);
	if (error)
		strata_provenance_trace_dispose(t);
	return error;
}

/* --- disclosures --- */

/* One parcel that carried a view: sent at `time`, how, with the view's tip then. */
typedef struct {
	char peer[64], view[STRATA_DATASET_NAME_MAX], via[16];
	git_oid tip;
	int64_t time;
	uint64_t sequence;
} sent_view;

typedef struct {
	sent_view *v;
	size_t n, alloc;
} sends_ctx;

/* Collects, from each parcel-export event, the views it sent (newest first, as the log runs). */
static int collect_send(const strata_audit_event *ev, void *payload)
{
	sends_ctx *x = payload;
	git_message_trailer_array tr = { 0 };
	char peer[64] = "", via[16] = "", seq[24] = "";
	int error = 0;

	if (strcmp(ev->event, "parcel-export"))
		return 0;
	strata_commit_trailer(ev->c, "Strata-Recipient", peer, sizeof(peer));
	if (!strata_commit_trailer(ev->c, "Strata-Via", via, sizeof(via)))
		snprintf(via, sizeof(via), "parcel");	/* logged before the trailer existed */
	strata_commit_trailer(ev->c, "Strata-Sequence", seq, sizeof(seq));
	if (git_message_trailers(&tr, git_commit_message(ev->c)) < 0) {
		git_error_clear();
		return 0;
	}
	for (size_t i = 0; !error && i < tr.count; i++) {
		const char *v = tr.trailers[i].value, *sp = strchr(v, ' ');
		sent_view *s;
		if (strcmp(tr.trailers[i].key, "Strata-Ref") || !sp || (size_t)(sp - v) >= sizeof(x->v[0].view))
			continue;
		if ((error = strata_array_grow(&x->v, &x->alloc, x->n + 1, 16)) < 0)
			break;
		s = &x->v[x->n];
		memset(s, 0, sizeof(*s));
		if (git_oid_fromstr(&s->tip, sp + 1) < 0) {
			git_error_clear();
			continue;
		}
		snprintf(s->peer, sizeof(s->peer), "%s", peer);
		snprintf(s->view, sizeof(s->view), "%.*s", (int)(sp - v), v);
		snprintf(s->via, sizeof(s->via), "%s", via);
		s->time = ev->time;
		s->sequence = strtoull(seq, NULL, 10);
		x->n++;
	}
	git_message_trailer_array_free(&tr);
	return error;
}

typedef struct {
	strata_node *n;
	const char *name;		/* the dataset, as this node names it */
	const char *view;		/* its view for the peer at hand (view.h: the path may be hidden) */
	const unsigned char *hash;	/* the record's key hash here */
	sends_ctx sends;
	strata_disclosure_cb cb;
	void *payload;
	size_t count;
	strata_oidset *seen;		/* commits the ledger reported: the views' own walk skips them */
} disclose_ctx;

/*
 * The record in one view commit: looked up in the view's source, redacted
 * as the view's policy says, then read from the view itself, so what is
 * reported is what the peer holds.  Returns 1 if the view holds it.
 */
static int view_holds(strata_buf *line, strata_buf *key, disclose_ctx *x, const git_commit *view, view_redactor *vr,
		      git_oid *vr_blob)
{
	git_repository *repo = strata_node_repo(x->n);
	char v[GIT_OID_HEXSZ + 1];
	git_oid sid, blob;
	git_commit *src = NULL;
	git_tree *st = NULL, *vt = NULL;
	strata_schema *ss = NULL, *vs = NULL;
	strata_buf srcline = STRATA_BUF_INIT, red = STRATA_BUF_INIT;
	unsigned char vh[STRATA_HASH_LEN];
	int kept = 0, rc;

	if (!strata_commit_trailer(view, "Strata-Source", v, sizeof(v)) || git_oid_fromstr(&sid, v) < 0 ||
	    !strata_commit_trailer(view, "Strata-Policy", v, sizeof(v)) || git_oid_fromstr(&blob, v) < 0) {
		git_error_clear();
		return strata_error_set("view commit %.12s lacks its source or policy", git_oid_tostr_s(git_commit_id(view)));
	}
	if (git_commit_lookup(&src, repo, &sid) < 0 || git_commit_tree(&st, src) < 0) {
		rc = strata_error_git("cannot read the source of a view");
		goto done;
	}
	if ((rc = strata_schema_load(&ss, repo, st)) < 0 ||
	    (rc = strata_provenance_lookup(&srcline, repo, st, ss, x->hash)) <= 0)
		goto done;	/* not in the source then: the view did not carry it */
	if (!vr->have_r || !git_oid_equal(vr_blob, &blob)) {
		view_redactor_dispose(vr);
		if ((rc = view_redactor_open(vr, x->n, view)) < 0)
			goto done;
		*vr_blob = blob;
	}
	if ((rc = strata_redact_line(&vr->r, srcline.ptr, srcline.len, &red, &kept)) < 0 || !kept)
		goto done;	/* filtered out: not sent */
	if ((rc = git_commit_tree(&vt, view)) < 0 || (rc = strata_schema_load(&vs, repo, vt)) < 0 ||
	    (rc = strata_trie_line_keyhash(vh, red.ptr, red.len, vs->key, vs->nkey)) < 0)
		goto done;
	strata_buf_clear(line);
	if ((rc = strata_provenance_lookup(line, repo, vt, vs, vh)) <= 0)
		goto done;
	rc = key_values(key, x->n, view, line->ptr, line->len);
	rc = rc < 0 ? rc : 1;
done:
	if (rc < 0 && rc != STRATA_ERROR)
		rc = STRATA_ERROR;
	strata_buf_dispose_secret(&red);
	strata_buf_dispose_secret(&srcline);
	strata_schema_free(ss);
	strata_schema_free(vs);
	git_tree_free(vt);
	git_tree_free(st);
	git_commit_free(src);
	return rc;
}

/* --- the disclosure ledger (ledger.h) --- */

typedef struct {
	strata_disclosure d;
	size_t order;			/* its audit event's place, oldest first */
	int catch_up;			/* recorded after it was built (a view from before the ledger) */
	char fields[1024];
	strata_buf line, key;
} ledger_entry;

typedef struct {
	char peer[64], view[256];
	int held;
} ledger_view;

typedef struct {
	char peer[64], view[256];
	size_t order;
} ledger_cut;

typedef struct {
	sent_view s;
	size_t order;
} ledger_send;

typedef struct {
	strata_node *n;
	const char *dataset;		/* as this node names it */
	const char *ref;		/* its ref */
	char tokhex[STRATA_TOKEN_HEX + 1];
	strata_token token;
	size_t order;
	ledger_entry *e;
	size_t ne, ae;
	ledger_view *v;
	size_t nv, av;
	ledger_cut *cuts;
	size_t ncuts, acuts;
	ledger_send *sends;
	size_t nsends, asends;
} ledger_walk;

static ledger_view *ledger_view_of(ledger_walk *w, const char *peer, const char *view)
{
	for (size_t i = 0; i < w->nv; i++)
		if (!strcmp(w->v[i].peer, peer) && !strcmp(w->v[i].view, view))
			return &w->v[i];
	if (strata_array_grow(&w->v, &w->av, w->nv + 1, 8) < 0)
		return NULL;
	memset(&w->v[w->nv], 0, sizeof(w->v[w->nv]));
	snprintf(w->v[w->nv].peer, sizeof(w->v[w->nv].peer), "%s", peer);
	snprintf(w->v[w->nv].view, sizeof(w->v[w->nv].view), "%s", view);
	return &w->v[w->nv++];
}

static ledger_entry *ledger_entry_new(ledger_walk *w, const char *event, const char *peer, const char *view)
{
	ledger_entry *e;
	if (strata_array_grow(&w->e, &w->ae, w->ne + 1, 16) < 0)
		return NULL;
	e = &w->e[w->ne++];
	memset(e, 0, sizeof(*e));
	e->d.event = event;
	e->order = w->order;
	snprintf(e->d.peer, sizeof(e->d.peer), "%s", peer);
	snprintf(e->d.view, sizeof(e->d.view), "%s", view);
	return e;
}

/* Does this event's view come from the dataset asked about?  Strata-From says; older events: the view's name now. */
static int ledger_from_dataset(ledger_walk *w, const git_commit *c, const char *peer, const char *view)
{
	char from[320], now[STRATA_DATASET_NAME_MAX + 64];
	if (strata_commit_trailer(c, "Strata-From", from, sizeof(from)))
		return !strcmp(from, w->dataset);
	if (strata_view_name(now, sizeof(now), w->n, peer, w->ref) < 0) {
		strata_error_clear();
		return 0;
	}
	return !strcmp(now, view);
}

static int ledger_event(const strata_audit_event *ev, void *payload)
{
	ledger_walk *w = payload;
	char peer[64] = "", view[256] = "", commit[GIT_OID_HEXSZ + 1] = "", cut[80] = "", v[512];
	strata_buf path = STRATA_BUF_INIT;
	git_oid set;
	int error = 0, has, rc;
	ledger_view *lv;

	w->order++;
	if (!strcmp(ev->event, "parcel-export")) {
		/* the views it sent: collected by collect_send, its order kept */
		sends_ctx one = { 0 };
		if ((error = collect_send(ev, &one)) == 0)
			for (size_t i = 0; !error && i < one.n; i++) {
				if ((error = strata_array_grow(&w->sends, &w->asends, w->nsends + 1, 16)) < 0)
					break;
				w->sends[w->nsends].s = one.v[i];
				w->sends[w->nsends++].order = w->order;
			}
		free(one.v);
		return error;
	}
	if (!strcmp(ev->event, "erase")) {
		ledger_entry *e;
		if (!strata_commit_trailer(ev->c, "Strata-Key-Token", v, sizeof(v)) || strcmp(v, w->tokhex) ||
		    !strata_commit_trailer(ev->c, "Strata-Dataset", view, sizeof(view)) || strcmp(view, w->dataset))
			return 0;
		if ((e = ledger_entry_new(w, "erased", "", "")) == NULL)
			return STRATA_ERROR;
		e->d.built = ev->time;
		strata_commit_trailer(ev->c, "Strata-Erasure", e->d.cut, sizeof(e->d.cut));
		snprintf(e->d.kind, sizeof(e->d.kind), "erasure");
		strata_commit_trailer(ev->c, "Strata-Reason", e->d.reason, sizeof(e->d.reason));
		return 0;
	}
	if (strcmp(ev->event, "view-build") && strcmp(ev->event, "view-withdrawn") && strcmp(ev->event, "ledger"))
		return 0;
	if (!strata_commit_trailer(ev->c, "Strata-Recipient", peer, sizeof(peer)) ||
	    !strata_commit_trailer(ev->c, "Strata-View", view, sizeof(view)) ||
	    !strata_commit_trailer(ev->c, "Strata-Commit", commit, sizeof(commit)) ||
	    !ledger_from_dataset(w, ev->c, peer, view))
		return 0;
	strata_commit_trailer(ev->c, "Strata-Cut", cut, sizeof(cut));
	if (cut[0]) {
		if ((error = strata_array_grow(&w->cuts, &w->acuts, w->ncuts + 1, 8)) < 0)
			return error;
		snprintf(w->cuts[w->ncuts].peer, sizeof(w->cuts->peer), "%s", peer);
		snprintf(w->cuts[w->ncuts].view, sizeof(w->cuts->view), "%s", view);
		w->cuts[w->ncuts++].order = w->order;
	}
	if ((error = strata_ledger_view_path(&path, peer, view)) < 0)
		return error;
	rc = strata_ledger_get(&set, w->n, ev->c, path.ptr);
	strata_buf_dispose(&path);
	if (rc == STRATA_ENOTFOUND) {
		strata_error_clear();
		return 0;	/* an event from before the ledger: the views themselves tell (below) */
	}
	if (rc < 0)
		return rc;
	if ((has = strata_ledger_set_has(strata_node_repo(w->n), &set, w->token)) < 0)
		return has;
	if ((lv = ledger_view_of(w, peer, view)) == NULL)
		return STRATA_ERROR;
	if (has) {
		ledger_entry *e = ledger_entry_new(w, "carried", peer, view);
		if (!e)
			return STRATA_ERROR;
		e->catch_up = !strcmp(ev->event, "ledger");
		git_oid_fromstr(&e->d.commit, commit);
		git_error_clear();
		e->d.built = e->catch_up ? 0 : ev->time;
		strata_commit_trailer(ev->c, "Strata-Policy-Name", e->d.policy_name, sizeof(e->d.policy_name));
		strata_commit_trailer(ev->c, "Strata-Policy-Version", e->d.policy_version, sizeof(e->d.policy_version));
		strata_commit_trailer(ev->c, "Strata-Policy", e->d.policy_blob, sizeof(e->d.policy_blob));
		strata_commit_trailer(ev->c, "Strata-Purpose", e->d.purpose, sizeof(e->d.purpose));
		if (strata_commit_trailer(ev->c, "Strata-Fields", e->fields, sizeof(e->fields)))
			e->d.fields = e->fields;
		lv->held = 1;
	} else if (lv->held) {
		ledger_entry *e = ledger_entry_new(w, "removed", peer, view);
		if (!e)
			return STRATA_ERROR;
		git_oid_fromstr(&e->d.commit, commit);
		git_error_clear();
		e->d.built = ev->time;
		if (cut[0]) {
			snprintf(e->d.cut, sizeof(e->d.cut), "%.16s", cut);
			if (!strata_commit_trailer(ev->c, "Strata-Cut-Kind", e->d.kind, sizeof(e->d.kind)))
				snprintf(e->d.kind, sizeof(e->d.kind), "erasure");
		}
		lv->held = 0;
	}
	return 0;
}

/* The first parcel that carried entry `e`: a send of its view after it, with no cut of the view between. */
static const ledger_send *ledger_first_send(const ledger_walk *w, const ledger_entry *e)
{
	for (size_t i = 0; i < w->nsends; i++) {
		const ledger_send *s = &w->sends[i];
		int cut_between = 0;
		if (strcmp(s->s.peer, e->d.peer) || strcmp(s->s.view, e->d.view))
			continue;
		if (e->catch_up) {
			/* built before the ledger: the first send of it or of a commit after it */
			if (strata_commit_descends(strata_node_repo(w->n), &s->s.tip, &e->d.commit))
				return s;
			continue;
		}
		if (s->order <= e->order)
			continue;
		for (size_t k = 0; k < w->ncuts; k++)
			cut_between |= !strcmp(w->cuts[k].peer, e->d.peer) && !strcmp(w->cuts[k].view, e->d.view) &&
				       w->cuts[k].order > e->order && w->cuts[k].order < s->order;
		return cut_between ? NULL : s;
	}
	return NULL;
}

/*
 * The ledger's entries for the record, values filled in where the commit
 * is still held (view_holds, as the peer holds it), sends matched; then
 * passed to the callback, per view in the order first seen, each view's
 * newest first; erasures last.  *carried counts the "carried" ones, and
 * `seen` gets the commits reported, so the views' own walk skips them.
 */
static int ledger_disclosures(disclose_ctx *x, const char *ref, strata_oidset *seen, size_t *carried, int *any)
{
	strata_hmac_key k;
	ledger_walk w;
	strata_cut_record *cuts = NULL;
	size_t ncuts = 0;
	view_redactor vr = { 0 };
	git_oid vr_blob;
	int error;

	*carried = 0;
	*any = 0;
	memset(&w, 0, sizeof(w));
	if ((error = strata_ledger_key(&k, x->n, 0)) == STRATA_ENOTFOUND) {
		strata_error_clear();
		return 0;	/* nothing was ever recorded here */
	}
	if (error < 0)
		return error;
	error = strata_ledger_token(&w.token, &k, x->hash);
	strata_hmac_key_dispose(&k);
	if (error < 0)
		return error;
	strata_ledger_token_hex(w.tokhex, w.token);
	w.n = x->n;
	w.dataset = x->name;
	w.ref = ref;
	if ((error = strata_audit_foreach_oldest(x->n, ledger_event, &w)) < 0 ||
	    (error = strata_ledger_cuts(&cuts, &ncuts, x->n)) < 0)
		goto done;
	*any = w.ne > 0;
	for (size_t i = 0; i < w.ne; i++) {
		ledger_entry *e = &w.e[i];
		git_commit *c = NULL;
		snprintf(e->d.name_there, sizeof(e->d.name_there), "%s/%s", strata_node_name(x->n), e->d.view);
		if (!strcmp(e->d.event, "carried")) {
			const ledger_send *s = ledger_first_send(&w, e);
			if (s) {
				e->d.sent = s->s.time;
				e->d.sequence = s->s.sequence;
				snprintf(e->d.via, sizeof(e->d.via), "%s", s->s.via);
			}
			if (git_commit_lookup(&c, strata_node_repo(x->n), &e->d.commit) == 0) {
				/* still held here: the record as the peer holds it (a source cut since leaves only the ledger's word) */
				int rc = view_holds(&e->line, &e->key, x, c, &vr, &vr_blob);
				if (e->d.built == 0)
					e->d.built = git_commit_time(c);
				git_commit_free(c);
				strata_error_clear();
				if (rc == 1) {
					e->d.line = e->line.ptr;
					e->d.key_there = e->key.ptr;
				}
			}
			git_error_clear();
			e->d.gone = !e->d.line;
			if ((error = strata_oidset_add(seen, &e->d.commit)) < 0)
				goto done;
			error = 0;
		} else if (!strcmp(e->d.event, "removed") && e->d.cut[0]) {
			/* the peer's confirmation, as the ledger keeps it (erase.h) */
			for (size_t c2 = 0; c2 < ncuts; c2++)
				for (size_t j = 0; !strcmp(cuts[c2].id, e->d.cut) && j < cuts[c2].nconfs; j++)
					if (!strcmp(cuts[c2].confs[j].peer, e->d.peer) && !strcmp(cuts[c2].confs[j].view, e->d.view)) {
						e->d.confirmed = 1;
						e->d.confirmed_at = cuts[c2].confs[j].time;
					}
		}
	}
	/* per view, in the order the views were first seen, each newest first; erasures of the key last */
	for (size_t v = 0; !error && v <= w.nv; v++)
		for (size_t i = w.ne; !error && i-- > 0;) {
			ledger_entry *e = &w.e[i];
			int last = !strcmp(e->d.event, "erased");
			if (v == w.nv ? !last : (last || strcmp(e->d.peer, w.v[v].peer) || strcmp(e->d.view, w.v[v].view)))
				continue;
			*carried += !strcmp(e->d.event, "carried");
			error = x->cb(&e->d, x->payload);
		}
done:
	view_redactor_dispose(&vr);
	for (size_t i = 0; i < w.ne; i++) {
		strata_buf_dispose(&w.e[i].line);
		strata_buf_dispose(&w.e[i].key);
	}
	free(w.e);
	free(w.v);
	free(w.cuts);
	free(w.sends);
	strata_ledger_cuts_free(cuts, ncuts);
	return error;
}

/* Every commit of one peer's view, newest first, that held the record. */
static int disclose_view(disclose_ctx *x, const char *peer, const git_oid *tip)
{
	git_repository *repo = strata_node_repo(x->n);
	git_commit *c = NULL, *next = NULL;
	view_redactor vr = { 0 };
	git_oid vr_blob;
	strata_buf line = STRATA_BUF_INIT, key = STRATA_BUF_INIT;
	const sent_view *first = NULL;	/* the earliest send of a tip at or above this commit */
	int error = 0, rc;

	if (git_commit_lookup(&c, repo, tip) < 0)
		return strata_error_git("cannot read a view");
	while (c && !error) {
		strata_disclosure d;
		char v[GIT_OID_HEXSZ + 1];

		/* a parcel carries a view's whole history up to its tip: sent when the first tip above was */
		for (size_t i = 0; i < x->sends.n; i++) {
			const sent_view *s = &x->sends.v[i];
			if (!strcmp(s->peer, peer) && !strcmp(s->view, x->view) && git_oid_equal(&s->tip, git_commit_id(c)) &&
			    (!first || s->time <= first->time))
				first = s;
		}
		if (x->seen && strata_oidset_contains(x->seen, git_commit_id(c)))
			rc = 0;	/* the ledger told of it */
		else if ((rc = view_holds(&line, &key, x, c, &vr, &vr_blob)) < 0) {
			error = rc;
			break;
		}
		if (rc == 1) {
			memset(&d, 0, sizeof(d));
			d.event = "carried";
			snprintf(d.peer, sizeof(d.peer), "%s", peer);
			snprintf(d.view, sizeof(d.view), "%s", x->view);
			snprintf(d.name_there, sizeof(d.name_there), "%s/%s", strata_node_name(x->n), x->view);
			d.commit = *git_commit_id(c);
			d.built = git_commit_time(c);
			strata_commit_trailer(c, "Strata-Policy-Name", d.policy_name, sizeof(d.policy_name));
			strata_commit_trailer(c, "Strata-Policy-Version", d.policy_version, sizeof(d.policy_version));
			if (strata_commit_trailer(c, "Strata-Policy", v, sizeof(v)))
				snprintf(d.policy_blob, sizeof(d.policy_blob), "%s", v);
			strata_commit_trailer(c, "Strata-Purpose", d.purpose, sizeof(d.purpose));
			if (first) {
				d.sent = first->time;
				d.sequence = first->sequence;
				snprintf(d.via, sizeof(d.via), "%s", first->via);
			}
			d.line = line.ptr;
			d.key_there = key.ptr;
			x->count++;
			if ((error = x->cb(&d, x->payload)) != 0)
				break;
		}
		next = NULL;
		if (git_commit_parentcount(c) > 0 && git_commit_parent(&next, c, 0) < 0)
			error = strata_error_git("cannot read a view's history");
		git_commit_free(c);
		c = next;
	}
	git_commit_free(c);
	view_redactor_dispose(&vr);
	strata_buf_dispose(&line);
	strata_buf_dispose(&key);
	return error;
}

int strata_provenance_disclosures(strata_node *n, const char *dataset, char *const *key, size_t nkey,
				  strata_disclosure_cb cb, void *payload)
{
	disclose_ctx x = { 0 };
	strata_buf ref = STRATA_BUF_INIT, glob = STRATA_BUF_INIT;
	unsigned char hash[STRATA_HASH_LEN];
	char **peers = NULL;
	size_t npeers = 0, from_ledger = 0;
	strata_oidset seen = STRATA_OIDSET_INIT;
	int error, ever = 0, in_ledger = 0;

	if ((error = strata_dataset_ref(&ref, n, dataset)) < 0 ||
	    (error = strata_provenance_key_from_args(hash, key, nkey)) < 0)
		goto done;
	x.n = n;
	x.name = dataset;
	x.hash = hash;
	x.cb = cb;
	x.payload = payload;
	if ((error = strata_audit_foreach(n, collect_send, &x.sends)) < 0 ||
	    (error = ledger_disclosures(&x, ref.ptr, &seen, &from_ledger, &in_ledger)) < 0)
		goto done;
	x.seen = &seen;
	/* the views built from it for each peer: refs/strata/views/PEER/<its view name> */
	if ((error = strata_peers_list(&peers, &npeers, n)) < 0)
		goto done;
	for (size_t i = 0; i < npeers && !error; i++) {
		char view[STRATA_DATASET_NAME_MAX + 64];
		git_oid tip;
		strata_buf_clear(&glob);
		if (strata_view_name(view, sizeof(view), n, peers[i], ref.ptr) < 0) {
			strata_error_clear();	/* its policy does not share this dataset: no view */
			continue;
		}
		if ((error = strata_buf_printf(&glob, "%s%s/%s", STRATA_REF_VIEWS, peers[i], view)) < 0)
			break;
		if (git_reference_name_to_id(&tip, strata_node_repo(n), glob.ptr) < 0) {
			git_error_clear();	/* never built */
			continue;
		}
		x.view = view;
		error = disclose_view(&x, peers[i], &tip);
	}
	if (error)
		goto done;
	x.count += from_ledger;
	if (x.count == 0 && !in_ledger) {
		/* nothing disclosed: a key never held here is more likely mistyped than kept to itself */
		if ((ever = strata_provenance_history(n, ref.ptr, hash, NULL, NULL)) < 0) {
			error = ever;
			goto done;
		}
		if (!ever)
			error = strata_error_setc(STRATA_ENOTFOUND, "no record of '%s' with that key on node '%s', "
						  "in any version", dataset, strata_node_name(n));
	}
	if (!error)
		error = (int)(x.count > (size_t)INT32_MAX ? INT32_MAX : x.count);
done:
	strata_oidset_dispose(&seen);
	strata_peers_list_free(peers);
	free(x.sends.v);
	strata_buf_dispose(&ref);
	strata_buf_dispose(&glob);
	return error;
}
