/*
 * replica.c - parcel export and import (see replica.h for the order of
 * checks and what each protects).
 */
#include "strata/replica/replica.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"
#include "strata/data/dataset.h"
#include "strata/node/journal.h"
#include "strata/format/json.h"
#include "strata/base/oidset.h"
#include "strata/replica/received.h"
#include "strata/format/thinpack.h"
#include "strata/policy/view.h"

#include <git2/sys/odb_backend.h>
#include <openssl/evp.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


/* --- link state: NODE/links/<peer>.json --- */

char *strata_link_path(strata_node *n, const char *peer)
{
	strata_buf b = STRATA_BUF_INIT;
	if (strata_buf_printf(&b, "%s/%s/%s.json", n->path, STRATA_LINKS_DIR, peer) < 0)
		return NULL;
	return strata_buf_detach(&b);
}

void strata_link_dispose(strata_link *l)
{
	free(l->in.refs);
	free(l->out.refs);
	free(l->acked.refs);
	memset(l, 0, sizeof(*l));
}


static int64_t parse_stamp(const char *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	return t && strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm) ? (int64_t)timegm(&tm) : 0;
}

static int load_side(strata_link_side *s, json_t *o, const char *path)
{
	json_t *refs, *v;
	const char *key;

	if (!o)
		return 0;
	if (!json_is_object(o) || !json_is_integer(json_object_get(o, "sequence")))
		return strata_error_set("'%s': damaged link state", path);
	s->sequence = (uint64_t)json_integer_value(json_object_get(o, "sequence"));
	s->time = parse_stamp(json_string_value(json_object_get(o, "time")));
	refs = json_object_get(o, "refs");
	if (json_is_object(refs) && json_object_size(refs)) {
		if ((s->refs = calloc(json_object_size(refs), sizeof(*s->refs))) == NULL)
			return strata_error_set("out of memory");
		json_object_foreach(refs, key, v) {
			strata_link_ref *r = &s->refs[s->nrefs];
			if (!json_is_string(v) || git_oid_fromstr(&r->commit, json_string_value(v)) < 0 ||
			    strlen(key) >= sizeof(r->name)) {
				git_error_clear();
				return strata_error_set("'%s': damaged link state", path);
			}
			snprintf(r->name, sizeof(r->name), "%s", key);
			s->nrefs++;
		}
	}
	return 0;
}

static int load_net(strata_link *l, json_t *o, const char *path)
{
	const char *e;

	if (!o)
		return 0;
	if (!json_is_object(o))
		return strata_error_set("'%s': damaged link state", path);
	l->net_ok = parse_stamp(json_string_value(json_object_get(o, "last_success")));
	l->net_failed = parse_stamp(json_string_value(json_object_get(o, "last_error_time")));
	l->net_pulled = parse_stamp(json_string_value(json_object_get(o, "last_pull")));
	if ((e = json_string_value(json_object_get(o, "last_error"))) != NULL)
		snprintf(l->net_error, sizeof(l->net_error), "%s", e);
	return 0;
}

int strata_link_load(strata_link *l, strata_node *n, const char *peer)
{
	char *path = strata_link_path(n, peer);
	json_error_t jerr;
	json_t *root = NULL;
	int error = STRATA_ERROR;

	memset(l, 0, sizeof(*l));
	if (!path)
		return STRATA_ERROR;
	if (access(path, F_OK) < 0) {
		free(path);
		return 0;
	}
	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		strata_error_set("'%s': line %d: %s", path, jerr.line, jerr.text);
		goto done;
	}
	if (load_side(&l->in, json_object_get(root, "in"), path) < 0 ||
	    load_side(&l->out, json_object_get(root, "out"), path) < 0 ||
	    load_side(&l->acked, json_object_get(root, "acked"), path) < 0 ||
	    load_net(l, json_object_get(root, "net"), path) < 0)
		goto done;
	error = 0;
done:
	if (error)
		strata_link_dispose(l);
	json_decref(root);
	free(path);
	return error;
}

static json_t *side_json(const strata_link_side *s)
{
	char t[32], hex[GIT_OID_HEXSZ + 1];
	json_t *o, *refs = json_object();

	strata_utc_stamp(t, sizeof(t), s->time);
	for (size_t i = 0; i < s->nrefs; i++) {
		git_oid_tostr(hex, sizeof(hex), &s->refs[i].commit);
		json_object_set_new(refs, s->refs[i].name, json_string(hex));
	}
	o = json_pack("{s:I, s:s, s:o}", "sequence", (json_int_t)s->sequence, "time", t, "refs", refs);
	return o;
}

int strata_link_side_copy(strata_link_side *to, const strata_link_side *from)
{
	strata_link_ref *r = NULL;

	if (from->nrefs && (r = calloc(from->nrefs, sizeof(*r))) == NULL)
		return strata_error_set("out of memory");
	if (from->nrefs)
		memcpy(r, from->refs, from->nrefs * sizeof(*r));
	free(to->refs);
	*to = *from;
	to->refs = r;
	return 0;
}

int strata_link_save(strata_node *n, const char *peer, const strata_link *l)
{
	char *path = strata_link_path(n, peer), *dir = strata_path_join(n->path, STRATA_LINKS_DIR), *text = NULL;
	json_t *root = json_object();
	int error = STRATA_ERROR;

	if (!path || !dir || !root)
		goto done;
	if (l->in.sequence)
		json_object_set_new(root, "in", side_json(&l->in));
	if (l->out.sequence)
		json_object_set_new(root, "out", side_json(&l->out));
	if (l->acked.sequence || l->acked.nrefs)
		json_object_set_new(root, "acked", side_json(&l->acked));
	if (l->net_ok || l->net_failed) {
		json_t *net = json_object();
		char t[32];
		if (l->net_ok) {
			strata_utc_stamp(t, sizeof(t), l->net_ok);
			json_object_set_new(net, "last_success", json_string(t));
		}
		if (l->net_pulled) {
			strata_utc_stamp(t, sizeof(t), l->net_pulled);
			json_object_set_new(net, "last_pull", json_string(t));
		}
		if (l->net_failed) {
			strata_utc_stamp(t, sizeof(t), l->net_failed);
			json_object_set_new(net, "last_error_time", json_string(t));
			json_object_set_new(net, "last_error", json_string(l->net_error));
		}
		json_object_set_new(root, "net", net);
	}
	if ((text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		strata_error_set("out of memory");
		goto done;
	}
	if (strata_mkdir_p(dir, 0755) < 0 ||
	    strata_write_file_atomic(path, text, strlen(text), 0644) < 0)
		goto done;
	error = 0;
done:
	free(text);
	json_decref(root);
	free(path);
	free(dir);
	return error;
}

/* --- node.conf --- */

int strata_link_allows(strata_node *n, const char *peer, int sending)
{
	strata_buf d = STRATA_BUF_INIT;
	int rc = strata_node_peer_get(&d, n, peer, "direction"), ok = 1;

	if (rc == 0)
		ok = !strcmp(d.ptr, "both") || !strcmp(d.ptr, sending ? "push" : "pull");
	else
		strata_error_clear();	/* no direction: both ways */
	rc = ok ? 0 : strata_error_setc(STRATA_EDENIED, "peer '%s' is configured with direction %s: this node does not %s it",
				        peer, d.ptr, sending ? "send to" : "accept data from");
	strata_buf_dispose(&d);
	return rc;
}

/* --- export --- */

typedef struct {
	strata_parcel_ref *refs;
	size_t n, alloc;
} ref_list;

static int list_views(ref_list *l, strata_node *n, const char *peer)
{
	strata_buf glob = STRATA_BUF_INIT;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	size_t plen;
	int error = 0;

	if (strata_buf_printf(&glob, "%s%s/*", STRATA_REF_VIEWS, peer) < 0)
		return STRATA_ERROR;
	plen = glob.len - 1;
	if (git_reference_iterator_glob_new(&it, n->repo, glob.ptr) < 0)
		error = strata_error_git("cannot list views");
	while (!error && git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref) + plen;
		const git_oid *id = git_reference_target(ref);
		if (id && strata_parcel_ref_name_valid(name)) {
			if (l->n == l->alloc) {
				strata_parcel_ref *r = realloc(l->refs, (l->alloc = l->alloc ? 2 * l->alloc : 16) * sizeof(*r));
				if (!r)
					error = strata_error_set("out of memory");
				else
					l->refs = r;
			}
			if (!error) {
				memset(&l->refs[l->n], 0, sizeof(l->refs[l->n]));
				snprintf(l->refs[l->n].name, sizeof(l->refs[l->n].name), "%s", name);
				l->refs[l->n].commit = *id;
				l->n++;
			}
		}
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	strata_buf_dispose(&glob);
	return error;
}

static int export_audit(strata_node *n, const char *peer, const strata_parcel *p, const strata_parcel_result *res)
{
	strata_buf t = STRATA_BUF_INIT, subject = STRATA_BUF_INIT, policy = STRATA_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	error = strata_buf_printf(&t, "Strata-Sender: %s\nStrata-Recipient: %s\nStrata-Sequence: %llu\n"
				  "Strata-Parcel-Objects: %zu\nStrata-Parcel-Bytes: %zu\nStrata-Parcel-Full: %s\n",
				  n->name, peer, (unsigned long long)p->sequence, res->objects, res->bytes,
				  res->full ? "yes" : "no");
	if (!error && strata_node_peer_get(&policy, n, peer, "policy") == 0)
		error = strata_buf_printf(&t, "Strata-Policy-Name: %s\n", policy.ptr);
	if (!error && p->nrefs) {	/* one policy per peer: its blob and purpose, as the views name them */
		git_commit *c = NULL;
		char v[512];
		if (git_commit_lookup(&c, n->repo, &p->refs[0].commit) == 0) {
			if (strata_commit_trailer(c, "Strata-Policy", v, sizeof(v)))
				error = strata_buf_printf(&t, "Strata-Policy: %s\n", v);
			if (!error && strata_commit_trailer(c, "Strata-Purpose", v, sizeof(v)))
				error = strata_buf_printf(&t, "Strata-Purpose: %s\n", v);
		}
		git_commit_free(c);
		git_error_clear();
	}
	for (size_t i = 0; !error && i < p->nrefs; i++) {
		git_oid_tostr(hex, sizeof(hex), &p->refs[i].commit);
		error = strata_buf_printf(&t, "Strata-Ref: %s %s\n", p->refs[i].name, hex);
	}
	if (!error)
		error = strata_buf_printf(&subject, "parcel %llu exported to %s: %zu views, %zu objects",
					  (unsigned long long)p->sequence, peer, p->nrefs, res->objects);
	if (!error)
		error = strata_audit_append(n, "parcel-export", subject.ptr, t.ptr);
	strata_buf_dispose(&t);
	strata_buf_dispose(&subject);
	strata_buf_dispose(&policy);
	return error;
}

static int export_parcel(strata_node *n, const char *peer, int full, const strata_link_side *have,
			 strata_parcel_publish publish, void *payload, strata_parcel_result *res)
{
	const strata_link_side *base;
	strata_buf parcel = STRATA_BUF_INIT, *out = &parcel;
	strata_parcel p = { 0 };
	strata_link link = { 0 };
	strata_buf key = STRATA_BUF_INIT;
	ref_list views = { 0 };
	git_oid *tips = NULL;
	strata_link_ref *sent = NULL;
	strata_thinpack_stats st;
	int error = STRATA_ERROR;

	memset(res, 0, sizeof(*res));
	snprintf(res->peer, sizeof(res->peer), "%s", peer);
	res->full = full;
	if (!strata_node_name_valid(peer)) {
		strata_error_set("invalid peer name '%s'", peer);
		goto done;
	}
	if (strata_node_lock(n) < 0 || strata_node_load_key(n) < 0)
		goto done;
	if (strata_node_peer_get(&key, n, peer, "key") < 0) {
		strata_error_setc(STRATA_ENOTFOUND, "unknown peer '%s': add it with 'strata peer add'", peer);
		goto done;
	}
	if (strata_link_allows(n, peer, 1) < 0 ||
	    strata_view_build(n, peer, 0, NULL, NULL) < 0 ||
	    list_views(&views, n, peer) < 0 ||
	    strata_link_load(&link, n, peer) < 0)
		goto done;
	if (views.n == 0 && have) {
		/* nothing to share yet (the tier below has sent nothing): the peer is up to date */
		res->uptodate = 1;
		error = 1;
		goto done;
	}
	if (views.n == 0) {
		strata_error_setc(STRATA_ENOTFOUND, "no views for '%s': its policy shares no dataset this node holds or has received", peer);
		goto done;
	}
	/* what the peer holds: what it tells us now, or else what it last confirmed */
	base = have ? have : &link.acked;
	tips = calloc(views.n, sizeof(*tips));
	p.prereqs = calloc(views.n, sizeof(*p.prereqs));
	sent = calloc(views.n, sizeof(*sent));
	if (!tips || !p.prereqs || !sent) {
		strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; i < views.n; i++) {
		strata_parcel_ref *r = &views.refs[i];
		tips[i] = r->commit;
		sent[i].commit = r->commit;
		snprintf(sent[i].name, sizeof(sent[i].name), "%s", r->name);
		for (size_t k = 0; !full && k < base->nrefs; k++) {
			if (strcmp(base->refs[k].name, r->name))
				continue;
			/* a base the view has moved on from, not one it replaced */
			if (git_oid_equal(&base->refs[k].commit, &r->commit) ||
			    git_graph_descendant_of(n->repo, &r->commit, &base->refs[k].commit) == 1) {
				r->has_base = 1;
				r->base = base->refs[k].commit;
				p.prereqs[p.nprereqs++] = r->base;
			}
			git_error_clear();
		}
		if (!r->has_base || !git_oid_equal(&r->base, &r->commit))
			res->changed++;
	}
	if (have && res->changed == 0 && views.n == have->nrefs) {
		res->uptodate = 1;	/* the peer holds every view as it is: nothing to send or record */
		res->nrefs = views.n;
		error = 1;
		goto done;
	}
	if (strata_thinpack_build(&p.pack, &st, n->repo, tips, views.n, p.prereqs, p.nprereqs) < 0)
		goto done;
	snprintf(p.sender, sizeof(p.sender), "%s", n->name);
	snprintf(p.recipient, sizeof(p.recipient), "%s", peer);
	p.version = STRATA_PARCEL_VERSION;
	/* after both what we sent and what the peer last accepted, should our record be lost */
	p.sequence = (have && have->sequence > link.out.sequence ? have->sequence : link.out.sequence) + 1;
	p.created = (int64_t)time(NULL);
	p.refs = views.refs;
	p.nrefs = views.n;
	p.pack_objects = st.objects;
	out->max = p.pack.len + ((size_t)1 << 24);
	if (strata_parcel_seal(&p, n->key) < 0 || strata_parcel_write(out, &p) < 0)
		goto done;
	res->sequence = p.sequence;
	res->nrefs = p.nrefs;
	res->objects = st.objects;
	res->deltas = st.deltas;
	res->bytes = out->len;
	/* recorded as sent only once it is out of our hands */
	if (publish(out->ptr, out->len, payload) < 0)
		goto done;
	error = 0;
done:
	if (!error) {
		free(link.out.refs);
		link.out.refs = sent;
		link.out.nrefs = views.n;
		sent = NULL;
		link.out.sequence = p.sequence;
		link.out.time = p.created;
		if (have && strata_link_side_copy(&link.acked, have) < 0)
			error = STRATA_ERROR;
		if (error || strata_link_save(n, peer, &link) < 0 || export_audit(n, peer, &p, res) < 0)
			error = STRATA_ERROR;
	}
	p.refs = NULL;	/* views.refs */
	free(views.refs);
	free(p.prereqs);
	p.prereqs = NULL;
	strata_buf_dispose(&p.manifest);
	strata_buf_dispose(&p.sig);
	strata_buf_dispose(&p.pack);
	free(tips);
	free(sent);
	strata_link_dispose(&link);
	strata_buf_dispose(&key);
	strata_buf_dispose(&parcel);
	return error > 0 ? 0 : error;
}

int strata_parcel_export(strata_node *n, const char *peer, int full, strata_parcel_publish publish,
			 void *payload, strata_parcel_result *res)
{
	return export_parcel(n, peer, full, NULL, publish, payload, res);
}

int strata_parcel_export_for(strata_node *n, const char *peer, const strata_link_side *have,
			     strata_parcel_publish publish, void *payload, strata_parcel_result *res)
{
	return export_parcel(n, peer, 0, have, publish, payload, res);
}

static int publish_file(const void *data, size_t len, void *payload)
{
	return strata_write_file_atomic(payload, data, len, 0644);
}

int strata_parcel_export_file(strata_node *n, const char *peer, int full, const char *path,
			      strata_parcel_result *res)
{
	if (access(path, F_OK) == 0)
		return strata_error_setc(STRATA_EEXISTS, "'%s' exists; refusing to overwrite it", path);
	return strata_parcel_export(n, peer, full, publish_file, (void *)path, res);
}

/* --- import --- */

#define CREATED_MIN 946684800	/* 2000-01-01: no parcel is older */

typedef struct {
	strata_node *n;
	const strata_parcel *p;
	const char *what;
	git_odb *main_odb;	/* what the node had */
	git_odb *q_odb;		/* the quarantined pack alone */
	strata_received r;	/* the checks, over both */
} import_ctx;

/* A commit the ref gains: signed by the sender's pinned key, then well-formed (received.h). */
static int check_commit(import_ctx *c, const git_oid *id, const char *refname, const char *dataset)
{
	strata_sig_status st;
	char signer[256], hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	if (strata_commit_check_in(&st, signer, sizeof(signer), c->n, c->r.repo, id) < 0)
		return STRATA_ERROR;
	if (st != STRATA_SIG_GOOD || strcmp(signer, c->p->sender)) {
		return strata_error_setc(STRATA_EVERIFY, "'%s': commit %.12s for '%s' is %s%s%s, not signed by "
					 "'%s''s pinned key", c->what, hex, refname,
					 st == STRATA_SIG_GOOD ? "signed by '" : strata_sig_status_str(st),
					 st == STRATA_SIG_GOOD ? signer : "", st == STRATA_SIG_GOOD ? "'" : "",
					 c->p->sender);
	}
	return strata_received_commit(&c->r, id, dataset);
}

typedef struct {
	strata_buf name;
	int exists;
	git_oid old;
} local_ref;

/* Every commit the ref gains, oldest first: signed by the sender, for us, and well-formed. */
static int check_ref(import_ctx *c, const strata_parcel_ref *r, const local_ref *l)
{
	git_revwalk *walk = NULL;
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1], ohex[GIT_OID_HEXSZ + 1];
	const char *dataset = strrchr(r->name, '/') ? strrchr(r->name, '/') + 1 : r->name;
	int rc, error = 0;

	git_oid_tostr(hex, sizeof(hex), &r->commit);
	if (!git_odb_exists(c->main_odb, &r->commit) && !git_odb_exists(c->q_odb, &r->commit))
		return strata_error_set("'%s': ref '%s' names commit %.12s, which is neither in objects.pack "
					"nor on this node", c->what, r->name, hex);
	if (l->exists) {
		if (git_oid_equal(&l->old, &r->commit))
			return 0;
		git_oid_tostr(ohex, sizeof(ohex), &l->old);
		rc = git_graph_descendant_of(c->r.repo, &r->commit, &l->old);
		git_error_clear();
		if (rc != 1)
			return strata_error_set("'%s': ref '%s' would move from %.12s to %.12s, which does not "
						"descend from it (a rewind or a rewrite)", c->what, r->name, ohex, hex);
	}
	if (git_revwalk_new(&walk, c->r.repo) < 0 || git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(walk, &r->commit) < 0 || (l->exists && git_revwalk_hide(walk, &l->old) < 0)) {
		git_revwalk_free(walk);
		return strata_error_git("cannot walk received history");
	}
	/*
	 * Every commit the ref gains, even one this node already holds: a ref
	 * must not alias a commit that is not the sender's view of that dataset
	 * for us (this node's own commits included).
	 */
	while (!error && (rc = git_revwalk_next(&id, walk)) == 0) {
		if ((rc = strata_received_needed(&c->r, &id)) < 0)
			error = rc;
		else
			error = check_commit(c, &id, r->name, dataset);
	}
	if (!error && rc != GIT_ITEROVER)
		error = strata_error_git("cannot walk received history");
	git_revwalk_free(walk);
	return error;
}

typedef struct {
	git_odb *main_odb;
	size_t n;
} new_count;

static int count_new(const git_oid *id, void *payload)
{
	new_count *nc = payload;
	nc->n += !git_odb_exists(nc->main_odb, id);
	return 0;
}

static int import_audit(strata_node *n, const strata_parcel *p, const local_ref *locals,
			const unsigned char *sha, size_t changed, size_t objects, git_repository *repo)
{
	strata_buf t = STRATA_BUF_INIT, subject = STRATA_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], ohex[GIT_OID_HEXSZ + 1], shahex[65], v[512];
	int error, have_policy = 0;

	strata_hex(shahex, sha, 32);
	error = strata_buf_printf(&t, "Strata-Sender: %s\nStrata-Recipient: %s\nStrata-Sequence: %llu\n"
				  "Strata-Parcel-SHA256: %s\nStrata-Parcel-Objects: %zu\n", p->sender, p->recipient,
				  (unsigned long long)p->sequence, shahex, objects);
	for (size_t i = 0; !error && i < p->nrefs; i++) {
		git_commit *c = NULL;
		git_oid_tostr(hex, sizeof(hex), &p->refs[i].commit);
		if (locals[i].exists)
			git_oid_tostr(ohex, sizeof(ohex), &locals[i].old);
		error = strata_buf_printf(&t, "Strata-Ref: %s %s%s%s\n", p->refs[i].name,
					  locals[i].exists ? ohex : "", locals[i].exists ? ".." : "", hex);
		if (!error && !have_policy && git_commit_lookup(&c, repo, &p->refs[i].commit) == 0) {
			have_policy = 1;
			if (strata_commit_trailer(c, "Strata-Policy-Name", v, sizeof(v)))
				error = strata_buf_printf(&t, "Strata-Policy-Name: %s\n", v);
			if (!error && strata_commit_trailer(c, "Strata-Policy", v, sizeof(v)))
				error = strata_buf_printf(&t, "Strata-Policy: %s\n", v);
			if (!error && strata_commit_trailer(c, "Strata-Purpose", v, sizeof(v)))
				error = strata_buf_printf(&t, "Strata-Purpose: %s\n", v);
		}
		git_commit_free(c);
		git_error_clear();
	}
	if (!error)
		error = strata_buf_printf(&subject, "parcel %llu imported from %s: %zu of %zu views moved, %zu objects",
					  (unsigned long long)p->sequence, p->sender, changed, p->nrefs, objects);
	if (!error)
		error = strata_audit_append(n, "parcel-import", subject.ptr, t.ptr);
	strata_buf_dispose(&t);
	strata_buf_dispose(&subject);
	return error;
}

/* Renames the quarantined pack into the object store, index last (that publishes it). */
static int publish_pack(strata_node *n, const char *qdir, const char *name)
{
	const char *exts[2] = { "pack", "idx" };
	strata_buf from = STRATA_BUF_INIT, to = STRATA_BUF_INIT, dir = STRATA_BUF_INIT;
	git_odb *odb = NULL;
	int error = 0;

	if (strata_buf_printf(&dir, "%sobjects/pack", git_repository_path(n->repo)) < 0)
		return STRATA_ERROR;
	for (int i = 0; !error && i < 2; i++) {
		strata_buf_clear(&from);
		strata_buf_clear(&to);
		if ((error = strata_buf_printf(&from, "%s/pack-%s.%s", qdir, name, exts[i])) < 0 ||
		    (error = strata_buf_printf(&to, "%s/pack-%s.%s", dir.ptr, name, exts[i])) < 0)
			break;
		if (rename(from.ptr, to.ptr) < 0)
			error = strata_error_sys(to.ptr);
	}
	if (!error)
		error = strata_fsync_dir(dir.ptr);
	if (!error && (git_repository_odb(&odb, n->repo) < 0 || git_odb_refresh(odb) < 0))
		error = strata_error_git("cannot refresh the object store");
	git_odb_free(odb);
	strata_buf_dispose(&from);
	strata_buf_dispose(&to);
	strata_buf_dispose(&dir);
	return error;
}

static int import_checked(strata_node *n, const strata_parcel *p, const char *what, const unsigned char *sha,
			  strata_parcel_result *res)
{
	import_ctx c = { 0 };
	strata_pack_src src;
	strata_link link = { 0 };
	strata_buf key = STRATA_BUF_INIT, qdir = STRATA_BUF_INIT, idxpath = STRATA_BUF_INIT;
	strata_pubkey signer, pinned;
	local_ref *locals = NULL;
	strata_journal_ref *jrefs = NULL;
	size_t njrefs = 0;
	int journalled = 0;
	git_indexer *idx = NULL;
	git_odb_backend *qbe = NULL;
	git_transaction *tx = NULL;
	char packname[GIT_OID_HEXSZ + 1] = "";
	int qdir_made = 0, error = STRATA_ERROR;
	size_t changed = 0;

	c.n = n;
	c.p = p;
	c.what = what;
	c.r.what = what;
	c.r.sender = p->sender;
	c.r.recipient = n->name;
	snprintf(res->peer, sizeof(res->peer), "%s", p->sender);
	res->sequence = p->sequence;
	res->nrefs = p->nrefs;
	res->objects = p->pack_objects;

	/* 2. who sent it, and to whom */
	if (strata_node_peer_get(&key, n, p->sender, "key") < 0 || strata_pubkey_parse(&pinned, key.ptr) < 0) {
		error = strata_error_setc(STRATA_EVERIFY, "'%s': sender '%s' is not a peer of this node (no pinned key "
				  "in node.conf)", what, p->sender);
		goto done;
	}
	if (strata_parcel_verify(p, &signer) < 0) {
		error = strata_error_setc(STRATA_EVERIFY, "'%s': MANIFEST.sig does not verify: %s", what, strata_error_last());
		goto done;
	}
	if (!strata_pubkey_equal(&signer, &pinned)) {
		error = strata_error_setc(STRATA_EVERIFY, "'%s': signed by a key that is not the one pinned for '%s'",
				  what, p->sender);
		goto done;
	}
	if (strcmp(p->recipient, n->name)) {
		strata_error_set("'%s': addressed to '%s', and this node is '%s'", what, p->recipient, n->name);
		goto done;
	}
	if (!strcmp(p->sender, n->name)) {
		strata_error_set("'%s': sent by this node itself", what);
		goto done;
	}
	if (strata_link_allows(n, p->sender, 0) < 0)
		goto done;
	/* 3. replay and rollback */
	if (strata_link_load(&link, n, p->sender) < 0)
		goto done;
	/* locals: the refs as they are now */
	if ((locals = calloc(p->nrefs ? p->nrefs : 1, sizeof(*locals))) == NULL) {
		strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; i < p->nrefs; i++) {
		int rc;
		if (strata_buf_printf(&locals[i].name, "%s%s/%s", STRATA_REF_PEERS, p->sender, p->refs[i].name) < 0)
			goto done;
		rc = git_reference_name_to_id(&locals[i].old, n->repo, locals[i].name.ptr);
		if (rc == 0)
			locals[i].exists = 1;
		else if (rc != GIT_ENOTFOUND) {
			strata_error_git("cannot read received refs");
			goto done;
		}
		git_error_clear();
	}

	if (p->sequence == link.in.sequence && p->sequence > 0) {
		/* the same parcel again (a second carrier, a retried push): every ref already where it says */
		int same = 1;
		for (size_t i = 0; same && i < p->nrefs; i++)
			same = locals[i].exists && git_oid_equal(&locals[i].old, &p->refs[i].commit);
		if (same) {
			res->uptodate = 1;
			error = 0;
			goto done;
		}
	}
	if (p->sequence > link.in.sequence + STRATA_SEQUENCE_JUMP_MAX) {
		strata_error_set("'%s': parcel %llu from '%s' jumps more than %llu past the last accepted (%llu): "
				 "it would leave every later parcel looking old", what, (unsigned long long)p->sequence,
				 p->sender, (unsigned long long)STRATA_SEQUENCE_JUMP_MAX, (unsigned long long)link.in.sequence);
		goto done;
	}
	if (p->created > (int64_t)time(NULL) + STRATA_CLOCK_SKEW_MAX || p->created < CREATED_MIN) {
		char t[32];
		strata_utc_stamp(t, sizeof(t), p->created);
		strata_error_set("'%s': parcel %llu from '%s' says it was created at %s, %s", what,
				 (unsigned long long)p->sequence, p->sender, t,
				 p->created < CREATED_MIN ? "before the year 2000" : "more than a day from now");
		goto done;
	}
	if (p->sequence <= link.in.sequence) {
		strata_error_set("'%s': parcel %llu from '%s' is %s: the last accepted was %llu (replay or rollback)",
				 what, (unsigned long long)p->sequence, p->sender,
				 p->sequence == link.in.sequence ? "already imported" : "older than one already imported",
				 (unsigned long long)link.in.sequence);
		goto done;
	}
	/* prerequisites, then the pack's shape */
	if (git_repository_odb(&c.main_odb, n->repo) < 0) {
		strata_error_git("cannot open object store");
		goto done;
	}
	c.r.known = c.main_odb;
	for (size_t i = 0; i < p->nprereqs; i++) {
		git_commit *pc = NULL;
		if (git_commit_lookup(&pc, n->repo, &p->prereqs[i]) < 0) {
			char hex[GIT_OID_HEXSZ + 1];
			git_error_clear();
			git_oid_tostr(hex, sizeof(hex), &p->prereqs[i]);
			strata_error_set("'%s': builds on commit %.12s, which this node does not have: import the "
					 "earlier parcels from '%s' first, or ask for a full one (export --full)",
					 what, hex, p->sender);
			goto done;
		}
		git_commit_free(pc);
	}
	if (p->pack_fd >= 0)
		strata_pack_src_fd(&src, p->pack_fd, p->pack_size);
	else
		strata_pack_src_mem(&src, p->pack.ptr, p->pack.len);
	if (strata_received_resolve_src(&src, p->pack_objects, c.main_odb, what) < 0)
		goto done;

	/* 4. quarantine: index (thin bases from our store) into a directory of its own */
	if (strata_buf_printf(&qdir, "%s/tmp/quarantine-XXXXXX", n->path) < 0)
		goto done;
	{
		char *tmpdir = strata_path_join(n->path, "tmp");
		int rc = tmpdir ? strata_mkdir_p(tmpdir, 0700) : STRATA_ERROR;
		free(tmpdir);
		if (rc < 0)
			goto done;
	}
	if (!mkdtemp(qdir.ptr)) {
		strata_error_sys(qdir.ptr);
		goto done;
	}
	qdir_made = 1;
	if (git_odb_new(&c.q_odb) < 0) {
		strata_error_git("cannot create quarantine");
		goto done;
	}
	if (p->pack_objects > 0) {
		git_indexer_options opts = GIT_INDEXER_OPTIONS_INIT;
		git_indexer_progress stats;
		/*
		 * No opts.verify: libgit2 1.5's connectivity check leaks every
		 * object it parses that the odb already has (it returns before
		 * freeing it), and step 5 below checks more than it does: every
		 * object a ref reaches is read, and every new object must be reached.
		 * The indexer still hashes every object and checks the trailer.
		 */
		int irc = git_indexer_new(&idx, qdir.ptr, 0644, c.main_odb, &opts);
		/* a pack in memory whole; a spooled one in pieces, never all in memory */
		if (irc == 0 && src.mem)
			irc = git_indexer_append(idx, src.mem, (size_t)src.len, &stats);
		for (uint64_t off = 0; irc == 0 && !src.mem && off < src.len;) {
			unsigned char chunk[65536];
			ssize_t got = strata_pack_src_read(&src, off, chunk, sizeof(chunk));
			if (got <= 0) {
				strata_error_sys("cannot read objects.pack");
				goto done;
			}
			irc = git_indexer_append(idx, chunk, (size_t)got, &stats);
			off += (uint64_t)got;
		}
		if (irc < 0 || git_indexer_commit(idx, &stats) < 0) {
			strata_error_set("'%s': objects.pack does not index: %s", what,
					 git_error_last() ? git_error_last()->message : "unknown error");
			goto done;
		}
		snprintf(packname, sizeof(packname), "%s", git_indexer_name(idx));
		if (strata_buf_printf(&idxpath, "%s/pack-%s.idx", qdir.ptr, packname) < 0)
			goto done;
		if (git_odb_backend_one_pack(&qbe, idxpath.ptr) < 0 || git_odb_add_backend(c.q_odb, qbe, 1) < 0) {
			strata_error_git("cannot open the quarantined pack");
			goto done;
		}
		qbe = NULL;	/* owned by the odb */
	}
	{
		git_odb *both = NULL;
		git_odb_backend *be = NULL;
		strata_buf objdir = STRATA_BUF_INIT;
		int rc = strata_buf_printf(&objdir, "%sobjects", git_repository_path(n->repo));
		if (rc == 0 && (git_odb_open(&both, objdir.ptr) < 0 ||
				(idxpath.len && (git_odb_backend_one_pack(&be, idxpath.ptr) < 0 ||
						 git_odb_add_backend(both, be, 100) < 0)) ||
				git_repository_wrap_odb(&c.r.repo, both) < 0))
			rc = strata_error_git("cannot open the quarantine");
		git_odb_free(both);
		strata_buf_dispose(&objdir);
		if (rc < 0)
			goto done;
	}

	/* 5. every new commit, tree and record; refs forward only */
	for (size_t i = 0; i < p->nrefs; i++) {
		int rc = check_ref(&c, &p->refs[i], &locals[i]);
		if (rc < 0) {
			error = rc;	/* keeps STRATA_EVERIFY for a bad signature */
			goto done;
		}
	}
	{
		new_count nc = { c.main_odb, 0 };
		if (git_odb_foreach(c.q_odb, count_new, &nc) < 0) {
			strata_error_git("cannot list the quarantined pack");
			goto done;
		}
		if (nc.n != c.r.seen.n) {
			strata_error_set("'%s': objects.pack holds %zu new objects that no ref in the manifest reaches",
					 what, nc.n - (nc.n > c.r.seen.n ? c.r.seen.n : nc.n));
			goto done;
		}
	}

	/* 6. objects in, refs in one transaction, then the sequence */
	if (c.r.seen.n > 0 && publish_pack(n, qdir.ptr, packname) < 0)
		goto done;
	/*
	 * From here the change is journalled: an error, a kill or a power
	 * loss before the audit event is in leaves the refs and the sequence
	 * as they were (journal.h).
	 */
	if ((jrefs = calloc(p->nrefs ? p->nrefs : 1, sizeof(*jrefs))) == NULL) {
		strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; i < p->nrefs; i++) {
		if (locals[i].exists && git_oid_equal(&locals[i].old, &p->refs[i].commit))
			continue;
		jrefs[njrefs].name = locals[i].name.ptr;
		jrefs[njrefs].exists = locals[i].exists;
		jrefs[njrefs].old = locals[i].old;
		jrefs[njrefs++].target = p->refs[i].commit;
	}
	changed = njrefs;	/* the refs that move */
	if (strata_journal_begin(n, "parcel-import", what, p->sender, jrefs, njrefs) < 0)
		goto done;
	journalled = 1;
	if (changed) {
		if (git_transaction_new(&tx, n->repo) < 0) {
			strata_error_git("cannot start ref transaction");
			goto done;
		}
		for (size_t i = 0; i < njrefs; i++) {
			if (git_transaction_lock_ref(tx, jrefs[i].name) < 0 ||
			    git_transaction_set_target(tx, jrefs[i].name, &jrefs[i].target, NULL,
						       "strata parcel import") < 0) {
				strata_error_git("cannot update received refs");
				goto done;
			}
		}
		if (git_transaction_commit(tx) < 0) {
			strata_error_git("cannot update received refs");
			goto done;
		}
	}
	link.in.sequence = p->sequence;
	link.in.time = (int64_t)time(NULL);
	if (strata_link_save(n, p->sender, &link) < 0)
		goto done;
	res->changed = changed;
	/* 7. the event */
	if (import_audit(n, p, locals, sha, changed, c.r.seen.n, n->repo) < 0)
		goto done;
	strata_journal_end(n);
	journalled = 0;
	error = 0;
done:
	git_transaction_free(tx);	/* its locks go before any ref is put back */
	if (journalled)
		strata_journal_undo(n);
	free(jrefs);
	git_indexer_free(idx);
	if (qbe)
		qbe->free(qbe);
	git_repository_free(c.r.repo);
	git_odb_free(c.q_odb);
	git_odb_free(c.main_odb);
	if (qdir_made)
		strata_rm_rf(qdir.ptr);
	for (size_t i = 0; locals && i < p->nrefs; i++)
		strata_buf_dispose(&locals[i].name);
	free(locals);
	strata_received_dispose(&c.r);
	strata_link_dispose(&link);
	strata_buf_dispose(&key);
	strata_buf_dispose(&qdir);
	strata_buf_dispose(&idxpath);
	return error;
}

int strata_parcel_import(strata_node *n, const char *what, const void *data, size_t len,
			 strata_parcel_result *res)
{
	return strata_parcel_import_from(n, what, data, len, NULL, res);
}

/* A refusal: recorded in refused.log with its reason, which stays the error, with its code. */
static int refuse(strata_node *n, const char *what, const char *sender, int code, const char *reason)
{
	char *copy = strdup(reason);

	if (copy) {
		strata_audit_refusal(n, "parcel-import", what, sender, copy);
		strata_error_setc(code, "%s", copy);
		free(copy);
	}
	return code;
}

/* After parsing (p may be NULL if that failed, with `error` its code): the checks, and the refusal record. */
static int import_parsed(strata_node *n, strata_parcel *p, int error, const char *what, const unsigned char *sha,
			 const char *from, strata_parcel_result *res)
{
	if (!error && from && strcmp(p->sender, from))
		error = strata_error_setc(STRATA_EVERIFY, "'%s': parcel from '%s' delivered by '%s': a peer may push "
					  "only its own parcels", what, p->sender, from);
	if (!error)
		error = import_checked(n, p, what, sha, res);
	if (error < 0) {
		int code = strata_error_last_code();
		refuse(n, what, p ? p->sender : NULL, code ? code : error, strata_error_last());
	}
	strata_parcel_free(p);
	return error;
}

int strata_parcel_import_from(strata_node *n, const char *what, const void *data, size_t len,
			      const char *from, strata_parcel_result *res)
{
	strata_parcel *p = NULL;
	unsigned char sha[32];
	int error;

	memset(res, 0, sizeof(*res));
	res->bytes = len;
	/* 1. the node lock first: a concurrent writer is not the parcel's fault */
	if ((error = strata_node_lock(n)) < 0 || (error = strata_node_load_key(n)) < 0)
		return error;
	EVP_Digest(data, len, sha, NULL, EVP_sha256(), NULL);
	error = strata_parcel_parse(&p, what, data, len, NULL);
	return import_parsed(n, p, error, what, sha, from, res);
}

int strata_parcel_import_fd(strata_node *n, const char *what, int fd, const char *from, strata_parcel_result *res)
{
	strata_parcel *p = NULL;
	unsigned char sha[32], *buf = NULL;
	char *spool = NULL;
	EVP_MD_CTX *md = NULL;
	struct stat st;
	uint64_t off = 0;
	int error;

	memset(res, 0, sizeof(*res));
	if ((error = strata_node_lock(n)) < 0 || (error = strata_node_load_key(n)) < 0)
		return error;
	if (fstat(fd, &st) < 0)
		return strata_error_sys(what);
	res->bytes = (size_t)st.st_size;
	/* the parcel's SHA-256 names it in the audit log: read once, front to back */
	if ((buf = malloc((size_t)1 << 20)) == NULL || (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		error = strata_error_set("out of memory");
		goto done;
	}
	while (off < (uint64_t)st.st_size) {
		ssize_t got = pread(fd, buf, (size_t)1 << 20, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			error = strata_error_sys(what);
			goto done;
		}
		EVP_DigestUpdate(md, buf, (size_t)got);
		off += (uint64_t)got;
	}
	EVP_DigestFinal_ex(md, sha, NULL);
	if ((spool = strata_path_join(n->path, "tmp")) == NULL || (error = strata_mkdir_p(spool, 0700)) < 0) {
		error = error < 0 ? error : STRATA_ERROR;
		goto done;
	}
	error = strata_parcel_parse_fd(&p, what, fd, spool, NULL);
	error = import_parsed(n, p, error, what, sha, from, res);
	p = NULL;	/* freed by import_parsed */
done:
	free(spool);
	free(buf);
	EVP_MD_CTX_free(md);
	return error;
}

int strata_parcel_import_file(strata_node *n, const char *path, strata_parcel_result *res)
{
	strata_parcel_limits lim;
	struct stat st;
	uint64_t max;
	int fd, error;

	memset(res, 0, sizeof(*res));
	strata_parcel_limits_default(&lim);
	max = (uint64_t)lim.max_manifest + lim.max_sig + lim.max_pack + 64 * 1024;	/* the entries and tar's own */
	if ((error = strata_node_lock(n)) < 0)
		return error;
	if (stat(path, &st) < 0) {
		int code = errno == ENOENT ? STRATA_ENOTFOUND : STRATA_ERROR;
		strata_error_set("cannot read '%s': %s", path, strerror(errno));
		return refuse(n, path, NULL, code, strata_error_last());
	}
	if (!S_ISREG(st.st_mode)) {
		strata_error_set("'%s' is not a regular file (%s); a parcel is a file", path,
				 S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" :
				 S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "a special file");
		return refuse(n, path, NULL, STRATA_ERROR, strata_error_last());
	}
	if ((uint64_t)st.st_size > max) {
		strata_error_set("'%s' is larger than %llu bytes: not a parcel", path, (unsigned long long)max);
		return refuse(n, path, NULL, STRATA_ERROR, strata_error_last());
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		strata_error_set("cannot open '%s': %s", path, strerror(errno));
		return refuse(n, path, NULL, STRATA_ERROR, strata_error_last());
	}
	error = strata_parcel_import_fd(n, path, fd, NULL, res);
	close(fd);
	return error;
}

/* --- link state for the network --- */

int strata_link_note_net(strata_node *n, const char *peer, int pull, const char *error)
{
	strata_link l;
	int rc;

	if ((rc = strata_node_lock(n)) < 0 || (rc = strata_link_load(&l, n, peer)) < 0)
		return rc;
	if (error) {
		l.net_failed = (int64_t)time(NULL);
		snprintf(l.net_error, sizeof(l.net_error), "%s", error);
	} else {
		l.net_ok = (int64_t)time(NULL);
		if (pull)
			l.net_pulled = l.net_ok;
	}
	rc = strata_link_save(n, peer, &l);
	strata_link_dispose(&l);
	return rc;
}

int strata_link_state_format(strata_buf *out, strata_node *n, const char *peer)
{
	strata_buf glob = STRATA_BUF_INIT;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	strata_link l;
	char hex[GIT_OID_HEXSZ + 1];
	size_t plen;
	int error;

	if ((error = strata_link_load(&l, n, peer)) < 0)
		return error;
	error = strata_buf_printf(out, "sequence %llu\n", (unsigned long long)l.in.sequence);
	strata_link_dispose(&l);
	if (!error && strata_buf_printf(&glob, "%s%s/*", STRATA_REF_PEERS, peer) < 0)
		error = STRATA_ERROR;
	if (!error && git_reference_iterator_glob_new(&it, n->repo, glob.ptr) < 0)
		error = strata_error_git("cannot list received views");
	plen = glob.len - 1;
	while (!error && git_reference_next(&ref, it) == 0) {
		if (git_reference_target(ref)) {
			git_oid_tostr(hex, sizeof(hex), git_reference_target(ref));
			error = strata_buf_printf(out, "have %s %s\n", git_reference_name(ref) + plen, hex);
		}
		git_reference_free(ref);
	}
	git_error_clear();
	git_reference_iterator_free(it);
	strata_buf_dispose(&glob);
	return error;
}

int strata_link_state_parse(strata_link_side *s, const char *text, size_t len, size_t max_refs)
{
	const char *p = text, *end = text + len;
	size_t lineno = 0;
	int seen_seq = 0;

	memset(s, 0, sizeof(*s));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char line[STRATA_PARCEL_NAME_MAX + GIT_OID_HEXSZ + 32], name[STRATA_PARCEL_NAME_MAX], hex[GIT_OID_HEXSZ + 2];
		unsigned long long seq;
		size_t ll;

		lineno++;
		if (!nl)
			goto bad;
		ll = (size_t)(nl - p);
		if (ll >= sizeof(line) || memchr(p, '\0', ll))
			goto bad;
		memcpy(line, p, ll);
		line[ll] = '\0';
		p = nl + 1;
		if (!seen_seq && lineno == 1) {
			char again[sizeof(line)];
			if (sscanf(line, "sequence %llu", &seq) != 1 ||
			    snprintf(again, sizeof(again), "sequence %llu", seq) < 0 || strcmp(again, line))
				goto bad;
			s->sequence = seq;
			seen_seq = 1;
			continue;
		}
		if (s->nrefs >= max_refs) {
			strata_error_set("state: line %zu: more than %zu views", lineno, max_refs);
			goto fail;
		}
		if (sscanf(line, "have %255s %41s", name, hex) != 2 ||
		    strlen(hex) != GIT_OID_HEXSZ || !strata_parcel_ref_name_valid(name) ||
		    (size_t)snprintf(NULL, 0, "have %s %s", name, hex) != ll)
			goto bad;
		{
			strata_link_ref *r = realloc(s->refs, (s->nrefs + 1) * sizeof(*r));
			if (!r) {
				strata_error_set("out of memory");
				goto fail;
			}
			s->refs = r;
		}
		for (size_t i = 0; i < s->nrefs; i++)
			if (!strcmp(s->refs[i].name, name)) {
				strata_error_set("state: line %zu: view '%s' named twice", lineno, name);
				goto fail;
			}
		if (git_oid_fromstr(&s->refs[s->nrefs].commit, hex) < 0) {
			git_error_clear();
			goto bad;
		}
		snprintf(s->refs[s->nrefs].name, sizeof(s->refs[s->nrefs].name), "%s", name);
		s->nrefs++;
	}
	if (!seen_seq) {
		strata_error_set("state: no 'sequence' line");
		goto fail;
	}
	return 0;
bad:
	strata_error_set("state: line %zu: expected 'sequence N' first, then 'have VIEW COMMIT'", lineno);
fail:
	free(s->refs);
	memset(s, 0, sizeof(*s));
	return STRATA_ERROR;
}
