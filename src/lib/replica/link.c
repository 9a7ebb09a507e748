/*
 * link.c - what a node knows of each peer's side of the link (see link.h).
 */
#include "strata/replica/link.h"
#include "strata/base/i18n.h"
#include "strata/base/time.h"
#include "strata/base/array.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"
#include "strata/node/journal.h"
#include "strata/node/change.h"
#include "strata/node/prune.h"
#include "strata/format/json.h"
#include "strata/base/oidset.h"
#include "strata/replica/received.h"
#include "strata/format/thinpack.h"
#include "strata/policy/view.h"
#include "strata/base/enc.h"
#include "strata/base/fs.h"
#include "strata/format/name.h"
#include "strata/node/refs.h"
#include "strata/node/peers.h"

#include <git2/sys/odb_backend.h>
#include <openssl/evp.h>
#include <dirent.h>
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
	if (strata_buf_printf(&b, "%s/%s/%s.json", strata_node_path(n), STRATA_LINKS_DIR, peer) < 0)
		return NULL;
	return strata_buf_detach(&b);
}

int strata_link_relpath(strata_buf *out, const char *peer)
{
	return strata_buf_printf(out, "%s/%s.json", STRATA_LINKS_DIR, peer);
}

void strata_link_side_dispose(strata_link_side *s)
{
	free(s->refs);
	free(s->below);
	free(s->messages);
	memset(s, 0, sizeof(*s));
}

void strata_link_dispose(strata_link *l)
{
	free(l->in.refs);
	free(l->out.refs);
	free(l->acked.refs);
	free(l->in.below);
	free(l->out.below);
	free(l->acked.below);
	free(l->parcels);
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
	s->signed_time = parse_stamp(json_string_value(json_object_get(o, "signed")));
	if ((v = json_object_get(o, "messages")) != NULL) {
		if (!json_is_string(v) || json_string_length(v) != 64)
			return strata_error_set("'%s': damaged link state", path);
		snprintf(s->msgdigest, sizeof(s->msgdigest), "%s", json_string_value(v));
	}
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
	refs = json_object_get(o, "below");
	if (json_is_array(refs) && json_array_size(refs)) {
		size_t i;
		if ((s->below = calloc(json_array_size(refs), sizeof(*s->below))) == NULL)
			return strata_error_set("out of memory");
		json_array_foreach(refs, i, v) {
			strata_link_erasure *e = &s->below[s->nbelow];
			const char *cut = json_string_value(json_object_get(v, "erasure")),
				   *node = json_string_value(json_object_get(v, "node")),
				   *via = json_string_value(json_object_get(v, "via")),
				   *state = json_string_value(json_object_get(v, "state"));
			if (!cut || !node || !via || !state || strlen(cut) >= sizeof(e->cut) ||
			    !strata_name_node_valid(node) || !strata_name_node_valid(via) ||
			    (strcmp(state, "confirmed") && strcmp(state, "pending")))
				return strata_error_set("'%s': damaged link state", path);
			snprintf(e->cut, sizeof(e->cut), "%s", cut);
			snprintf(e->node, sizeof(e->node), "%s", node);
			snprintf(e->via, sizeof(e->via), "%s", via);
			e->confirmed = !strcmp(state, "confirmed");
			e->time = parse_stamp(json_string_value(json_object_get(v, "time")));
			s->nbelow++;
		}
	}
	return 0;
}

static int load_parcels(strata_link *l, json_t *o, const char *path)
{
	size_t i;
	json_t *v;

	if (!o)
		return 0;
	if (!json_is_array(o))
		return strata_error_set("'%s': damaged link state", path);
	if (json_array_size(o) && (l->parcels = calloc(json_array_size(o), sizeof(*l->parcels))) == NULL)
		return strata_error_set("out of memory");
	json_array_foreach(o, i, v) {
		strata_link_parcel *p = &l->parcels[l->nparcels];
		const char *f = json_string_value(json_object_get(v, "path")), *h = json_string_value(json_object_get(v, "sha256"));
		if (!f || !h || strlen(f) >= sizeof(p->path) || strlen(h) != 64 ||
		    !json_is_integer(json_object_get(v, "sequence")))
			return strata_error_set("'%s': damaged link state", path);
		snprintf(p->path, sizeof(p->path), "%s", f);
		snprintf(p->sha256, sizeof(p->sha256), "%s", h);
		p->sequence = (uint64_t)json_integer_value(json_object_get(v, "sequence"));
		p->time = parse_stamp(json_string_value(json_object_get(v, "time")));
		p->kept = json_is_true(json_object_get(v, "kept"));
		l->nparcels++;
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
	    load_parcels(l, json_object_get(root, "parcels"), path) < 0 ||
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

	strata_enc_utc_stamp(t, sizeof(t), s->time);
	for (size_t i = 0; i < s->nrefs; i++) {
		git_oid_tostr(hex, sizeof(hex), &s->refs[i].commit);
		json_object_set_new(refs, s->refs[i].name, json_string(hex));
	}
	o = json_pack("{s:I, s:s, s:o}", "sequence", (json_int_t)s->sequence, "time", t, "refs", refs);
	if (o && s->msgdigest[0])
		json_object_set_new(o, "messages", json_string(s->msgdigest));
	if (o && s->signed_time) {
		strata_enc_utc_stamp(t, sizeof(t), s->signed_time);
		json_object_set_new(o, "signed", json_string(t));
	}
	if (o && s->nbelow) {
		json_t *below = json_array();
		for (size_t i = 0; i < s->nbelow; i++) {
			const strata_link_erasure *e = &s->below[i];
			strata_enc_utc_stamp(t, sizeof(t), e->time);
			json_array_append_new(below, json_pack("{s:s, s:s, s:s, s:s, s:s?}", "erasure", e->cut, "node", e->node,
							       "via", e->via, "state", e->confirmed ? "confirmed" : "pending",
							       "time", e->time ? t : NULL));
		}
		json_object_set_new(o, "below", below);
	}
	return o;
}

int strata_link_side_copy(strata_link_side *to, const strata_link_side *from)
{
	strata_link_ref *r = NULL;
	strata_link_erasure *e = NULL;

	if ((from->nrefs && (r = calloc(from->nrefs, sizeof(*r))) == NULL) ||
	    (from->nbelow && (e = calloc(from->nbelow, sizeof(*e))) == NULL)) {
		free(r);
		return strata_error_set("out of memory");
	}
	if (from->nrefs)
		memcpy(r, from->refs, from->nrefs * sizeof(*r));
	if (from->nbelow)
		memcpy(e, from->below, from->nbelow * sizeof(*e));
	free(to->refs);
	free(to->below);
	*to = *from;
	to->refs = r;
	to->below = e;
	to->messages = NULL;	/* what a state text carried is taken from it, never kept */
	to->messages_len = 0;
	return 0;
}

int strata_link_side_same(const strata_link_side *a, const strata_link_side *b)
{
	if (a->sequence != b->sequence || a->nrefs != b->nrefs || a->nbelow != b->nbelow)
		return 0;
	for (size_t i = 0; i < a->nrefs; i++)
		if (strcmp(a->refs[i].name, b->refs[i].name) || !git_oid_equal(&a->refs[i].commit, &b->refs[i].commit))
			return 0;
	for (size_t i = 0; i < a->nbelow; i++) {
		const strata_link_erasure *x = &a->below[i], *y = &b->below[i];
		if (strcmp(x->cut, y->cut) || strcmp(x->node, y->node) || strcmp(x->via, y->via) ||
		    x->confirmed != y->confirmed || x->time != y->time)
			return 0;
	}
	return 1;
}

int strata_link_save(strata_node *n, const char *peer, const strata_link *l)
{
	char *path = strata_link_path(n, peer), *dir = strata_fs_path_join(strata_node_path(n), STRATA_LINKS_DIR), *text = NULL;
	json_t *root = json_object();
	int error = STRATA_ERROR;

	if (!path || !dir || !root)
		goto done;
	if (l->in.sequence)
		json_object_set_new(root, "in", side_json(&l->in));
	if (l->out.sequence)
		json_object_set_new(root, "out", side_json(&l->out));
	if (l->acked.sequence || l->acked.nrefs || l->acked.nbelow)
		json_object_set_new(root, "acked", side_json(&l->acked));
	if (l->nparcels) {
		json_t *a = json_array();
		char t[32];
		for (size_t i = 0; i < l->nparcels; i++) {
			strata_enc_utc_stamp(t, sizeof(t), l->parcels[i].time);
			json_array_append_new(a, json_pack("{s:s, s:I, s:s, s:s, s:b}", "path", l->parcels[i].path, "sequence",
							   (json_int_t)l->parcels[i].sequence, "sha256", l->parcels[i].sha256,
							   "time", t, "kept", l->parcels[i].kept));
		}
		json_object_set_new(root, "parcels", a);
	}
	if (l->net_ok || l->net_failed) {
		json_t *net = json_object();
		char t[32];
		if (l->net_ok) {
			strata_enc_utc_stamp(t, sizeof(t), l->net_ok);
			json_object_set_new(net, "last_success", json_string(t));
		}
		if (l->net_pulled) {
			strata_enc_utc_stamp(t, sizeof(t), l->net_pulled);
			json_object_set_new(net, "last_pull", json_string(t));
		}
		if (l->net_failed) {
			strata_enc_utc_stamp(t, sizeof(t), l->net_failed);
			json_object_set_new(net, "last_error_time", json_string(t));
			json_object_set_new(net, "last_error", json_string(l->net_error));
		}
		json_object_set_new(root, "net", net);
	}
	if ((text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if ((error = strata_fs_mkdir_p(dir, 0755)) < 0 ||
	    (error = strata_fs_write_atomic(path, text, strlen(text), 0644)) < 0)
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
	int rc = strata_peers_direction(&d, n, peer);

	if (rc == 0 && strcmp(d.ptr, "both") && strcmp(d.ptr, sending ? "push" : "pull"))
		rc = strata_error_setc(STRATA_EDENIED, "peer '%s' is configured with direction %s: this node does not %s it",
				       peer, d.ptr, sending ? _("send to") : _("accept data from"));
	else if (rc < 0)
		rc = strata_error_setc(STRATA_EDENIED, "%s", strata_error_last());
	strata_buf_dispose(&d);
	return rc;
}

/* --- removing a peer --- */

struct gone {
	const char *peer;
	strata_journal_ref *refs;	/* each ref's name is its own allocation */
	size_t n, alloc;
	int received;			/* filling: the refs under refs/strata/peers/PEER/ */
	size_t views, nreceived;
};

static int gone_add(const char *name, const git_oid *commit, void *payload)
{
	struct gone *g = payload;
	strata_buf full = STRATA_BUF_INIT;
	int error;

	if ((error = strata_array_grow(&g->refs, &g->alloc, g->n + 1, 16)) < 0 ||
	    (error = strata_buf_printf(&full, "%s%s/%s", g->received ? STRATA_REF_PEERS : STRATA_REF_VIEWS,
				       g->peer, name)) < 0)
		return error;
	memset(&g->refs[g->n], 0, sizeof(g->refs[g->n]));
	g->refs[g->n].name = strata_buf_detach(&full);
	g->refs[g->n].exists = 1;
	g->refs[g->n].old = *commit;	/* target stays zero: deleted */
	g->n++;
	if (g->received)
		g->nreceived++;
	else
		g->views++;
	return 0;
}

static int gone_apply(strata_node *n, void *payload)
{
	struct gone *g = payload;
	char *path = strata_link_path(n, g->peer), *dir = strata_fs_path_join(strata_node_path(n), STRATA_LINKS_DIR);
	int error = path && dir ? 0 : STRATA_ERROR;

	for (size_t i = 0; !error && i < g->n; i++)
		error = strata_refs_delete(n, g->refs[i].name, &g->refs[i].old);
	if (!error && unlink(path) == 0)
		error = strata_fs_fsync_dir(dir);
	else if (!error && errno != ENOENT)
		error = strata_error_sys(path);
	free(path);
	free(dir);
	return error;
}

int strata_link_remove(strata_node *n, const char *peer, int keep_data, const char *fingerprint,
		       size_t *views, size_t *received)
{
	struct gone g = { peer, NULL, 0, 0, 0, 0, 0 };
	strata_buf rel = STRATA_BUF_INIT, subject = STRATA_BUF_INIT, trailers = STRATA_BUF_INIT;
	strata_change c = { 0 };
	int error, has_conf;

	*views = *received = 0;
	if ((error = strata_journal_lock(n)) < 0)
		return error;
	if (!keep_data && ((error = strata_link_foreach_view(n, peer, 0, gone_add, &g)) < 0 ||
			   (g.received = 1, error = strata_link_foreach_view(n, peer, 1, gone_add, &g)) < 0))
		goto done;
	{
		/* pinned, or something of it is left (node.conf edited by hand): else there is no such peer */
		strata_buf v = STRATA_BUF_INIT;
		char *lp = strata_link_path(n, peer);
		int conf = strata_peers_get(&v, n, peer, "key") == 0 || strata_peers_get(&v, n, peer, "tier") == 0;
		has_conf = conf;
		if (!conf && !g.n && (!lp || access(lp, F_OK) < 0)) {
			strata_buf_dispose(&v);
			free(lp);
			error = strata_error_setc(STRATA_ENOTFOUND, "no peer '%s' in node.conf, and nothing of one here "
						  "(see 'strata peer list')", peer);
			goto done;
		}
		strata_error_clear();
		strata_buf_dispose(&v);
		free(lp);
	}
	if ((error = strata_link_relpath(&rel, peer)) < 0 ||
	    (error = strata_buf_printf(&subject, _("peer %s removed%s"), peer, keep_data ? _(", its data kept") : "")) < 0 ||
	    (error = strata_buf_printf(&trailers, "Strata-Peer: %s\nStrata-Key: %s\nStrata-Data: %s\n"
				       "Strata-Views-Removed: %zu\nStrata-Received-Removed: %zu\n", peer, fingerprint,
				       keep_data ? "kept" : "removed", g.views, g.nreceived)) < 0)
		goto done;
	c.op = "peer-remove";
	c.what = subject.ptr;
	c.refs = g.refs;
	c.nrefs = g.n;
	c.file = keep_data ? NULL : rel.ptr;
	c.event = subject.ptr;
	c.trailers = trailers.ptr;
	if (keep_data)
		error = strata_audit_append(n, c.op, c.event, c.trailers);
	else
		error = strata_change_apply(n, &c, gone_apply, &g);
	/* node.conf last: a crash before it leaves the peer pinned with nothing, and the command can run again */
	if (!error && has_conf)
		error = strata_peers_remove(n, peer);
	/* and the objects only those refs reached: deleting a ref leaves them in the packs */
	if (!error && !keep_data) {
		strata_prune_result pr;
		error = strata_prune(n, &pr);
	}
	if (!error) {
		*views = g.views;
		*received = g.nreceived;
	}
done:
	for (size_t i = 0; i < g.n; i++)
		free((char *)g.refs[i].name);
	free(g.refs);
	strata_buf_dispose(&rel);
	strata_buf_dispose(&subject);
	strata_buf_dispose(&trailers);
	return error;
}

/* --- link state for the network --- */

int strata_link_note_net(strata_node *n, const char *peer, int pull, const char *error)
{
	strata_link l;
	int rc;

	if ((rc = strata_journal_lock(n)) < 0 || (rc = strata_link_load(&l, n, peer)) < 0)
		return rc;
	if (error) {
		l.net_failed = strata_time_now();
		snprintf(l.net_error, sizeof(l.net_error), "%s", error);
	} else {
		l.net_ok = strata_time_now();
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

	/*
	 * A change a crash interrupted (a pull killed between its ref moves and
	 * its audit event) is settled before anything is reported: otherwise
	 * the peer would be told of refs the next lock puts back, answer "up
	 * to date", and the parcel would never come again.
	 */
	if ((error = strata_journal_lock(n)) < 0 || (error = strata_link_load(&l, n, peer)) < 0)
		return error;
	error = strata_buf_printf(out, "sequence %llu\n", (unsigned long long)l.in.sequence);
	strata_link_dispose(&l);
	if (!error && strata_buf_printf(&glob, "%s%s/*", STRATA_REF_PEERS, peer) < 0)
		error = STRATA_ERROR;
	if (!error && git_reference_iterator_glob_new(&it, strata_node_repo(n), glob.ptr) < 0)
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

static int cut_id_valid(const char *c)
{
	size_t len = strlen(c);
	if (len == 0 || len > 16)
		return 0;
	for (; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return 0;
	return 1;
}

/* "erasure CUT NODE VIA confirmed|pending TIME", into s->below. */
static int erasure_line(strata_link_side *s, size_t *alloc, const char *line, size_t lineno, size_t max)
{
	strata_link_erasure e;
	char cut[32], node[80], via[80], state[16];
	long long t;

	memset(&e, 0, sizeof(e));
	if (sscanf(line, "erasure %31s %79s %79s %15s %lld", cut, node, via, state, &t) != 5 ||
	    (size_t)snprintf(NULL, 0, "erasure %s %s %s %s %lld", cut, node, via, state, t) != strlen(line) ||
	    !cut_id_valid(cut) || !strata_name_node_valid(node) || !strata_name_node_valid(via) || t < 0 ||
	    (strcmp(state, "confirmed") && strcmp(state, "pending")))
		return strata_error_set("state: line %zu: expected 'erasure CUT NODE VIA confirmed|pending TIME'", lineno);
	if (s->nbelow >= max)
		return strata_error_set("state: line %zu: more than %zu erasures", lineno, max);
	snprintf(e.cut, sizeof(e.cut), "%.16s", cut);
	snprintf(e.node, sizeof(e.node), "%.63s", node);
	snprintf(e.via, sizeof(e.via), "%.63s", via);
	e.confirmed = !strcmp(state, "confirmed");
	e.time = (int64_t)t;
	for (size_t i = 0; i < s->nbelow; i++)
		if (!strcmp(s->below[i].cut, e.cut) && !strcmp(s->below[i].node, e.node) && !strcmp(s->below[i].via, e.via))
			return strata_error_set("state: line %zu: erasure %s at '%s' named twice", lineno, cut, node);
	if (strata_array_grow(&s->below, alloc, s->nbelow + 1, 16) < 0)
		return STRATA_ERROR;
	s->below[s->nbelow++] = e;
	return 0;
}

int strata_link_state_parse(strata_link_side *s, const char *text, size_t len, size_t max_refs)
{
	const char *p = text, *end = text + len;
	size_t lineno = 0, alloc = 0, below_alloc = 0, nmsg = 0;
	int seen_seq = 0, error;

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
		if (ll > 8 && !memcmp(p, "message ", 8)) {	/* process.h checks what it holds */
			char *grown;
			if (++nmsg > STRATA_LINK_MAX_MESSAGES) {
				strata_error_set("state: line %zu: more than %d messages", lineno, STRATA_LINK_MAX_MESSAGES);
				goto fail;
			}
			if ((grown = realloc(s->messages, s->messages_len + ll - 8 + 1)) == NULL) {
				strata_error_set("out of memory");
				goto fail;
			}
			s->messages = grown;
			memcpy(s->messages + s->messages_len, p + 8, ll - 8);
			s->messages_len += ll - 8;
			s->messages[s->messages_len++] = '\n';
			p = nl + 1;
			continue;
		}
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
		if (!strncmp(line, "erasure ", 8)) {
			if ((error = erasure_line(s, &below_alloc, line, lineno, max_refs)) < 0)
				goto fail;
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
		if (strata_array_grow(&s->refs, &alloc, s->nrefs + 1, 16) < 0)
			goto fail;
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
	free(s->below);
	free(s->messages);
	memset(s, 0, sizeof(*s));
	return STRATA_ERROR;
}

int strata_link_foreach_view(strata_node *n, const char *peer, int received, strata_link_view_cb cb, void *payload)
{
	strata_buf glob = STRATA_BUF_INIT;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	size_t plen;
	int error, rc = 0;

	if ((error = strata_buf_printf(&glob, "%s%s/*", received ? STRATA_REF_PEERS : STRATA_REF_VIEWS, peer)) < 0)
		return error;
	plen = glob.len - 1;
	if (git_reference_iterator_glob_new(&it, strata_node_repo(n), glob.ptr) < 0)
		error = strata_error_git(received ? N_("cannot list received views") : N_("cannot list views"));
	while (!error && (rc = git_reference_next(&ref, it)) == 0) {
		if (git_reference_target(ref))
			error = cb(git_reference_name(ref) + plen, git_reference_target(ref), payload);
		git_reference_free(ref);
	}
	if (!error && rc < 0 && rc != GIT_ITEROVER)
		error = strata_error_git("cannot list views");
	git_error_clear();
	git_reference_iterator_free(it);
	strata_buf_dispose(&glob);
	return error;
}

/* --- checking --- */

static int pinned(char **peers, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(peers[i], name))
			return 1;
	return 0;
}

struct leftover {
	char **names;
	size_t n, alloc;
};

static int note_leftover(struct leftover *l, const char *name)
{
	if (pinned(l->names, l->n, name))
		return 0;
	if (strata_array_grow(&l->names, &l->alloc, l->n + 1, 8) < 0 || !(l->names[l->n] = strdup(name)))
		return strata_error_set("out of memory");
	l->n++;
	return 0;
}

int strata_link_check(strata_node *n, strata_problem_cb cb, void *payload)
{
	char **peers = NULL, *dir = strata_fs_path_join(strata_node_path(n), STRATA_LINKS_DIR);
	size_t npeers = 0;
	struct leftover views = { 0 }, links = { 0 };
	git_reference_iterator *it = NULL;
	git_reference *ref;
	DIR *d;
	struct dirent *e;
	int problems = 0, error;
	char what[512], fix[512];

	if (!dir)
		return STRATA_ERROR;
	if ((error = strata_peers_list(&peers, &npeers, n)) < 0)
		goto done;
	/* link files: each parses, and is a pinned peer's */
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			size_t len = strlen(e->d_name);
			char name[256];
			strata_link l;
			if (len <= 5 || strcmp(e->d_name + len - 5, ".json") || len - 5 >= sizeof(name))
				continue;
			snprintf(name, sizeof(name), "%.*s", (int)(len - 5), e->d_name);
			if (!strata_name_node_valid(name))
				continue;
			if (!pinned(peers, npeers, name)) {
				note_leftover(&links, name);
			} else if (strata_link_load(&l, n, name) < 0) {
				char *p = strata_link_path(n, name);
				snprintf(fix, sizeof(fix), _("the next exchange with %s rewrites it; to start afresh, remove the file "
					 "(what was sent is then sent again)"), name);
				problems++;
				if (cb)
					cb(p ? p : dir, strata_error_last(), fix, payload);
				free(p);
			} else {
				strata_link_dispose(&l);
			}
			strata_error_clear();
		}
		closedir(d);
	}
	/* views built for a peer no longer pinned: nothing can ever be sent, and they hold its data */
	if (git_reference_iterator_glob_new(&it, strata_node_repo(n), STRATA_REF_VIEWS "*") == 0) {
		while (git_reference_next(&ref, it) == 0) {
			const char *name = git_reference_name(ref) + strlen(STRATA_REF_VIEWS), *slash = strchr(name, '/');
			char peer[64];
			if (slash && (size_t)(slash - name) < sizeof(peer)) {
				snprintf(peer, sizeof(peer), "%.*s", (int)(slash - name), name);
				if (!pinned(peers, npeers, peer))
					note_leftover(&views, peer);
			}
			git_reference_free(ref);
		}
	}
	git_reference_iterator_free(it);
	git_error_clear();
	for (size_t i = 0; i < views.n + links.n; i++) {
		const char *peer = i < views.n ? views.names[i] : links.names[i - views.n];
		if (i >= views.n && pinned(views.names, views.n, peer))
			continue;	/* said with its views */
		snprintf(what, sizeof(what), _("'%s' is not a pinned peer, but %s"), peer,
			 i < views.n ? _("views built for it are still here (refs/strata/views/...)") : _("its link file is still here"));
		snprintf(fix, sizeof(fix), _("strata peer remove %s (removes what was left of it)"), peer);
		problems++;
		if (cb)
			cb(i < views.n ? STRATA_REF_VIEWS : dir, what, fix, payload);
	}
	error = problems;
done:
	for (size_t i = 0; i < views.n; i++)
		free(views.names[i]);
	for (size_t i = 0; i < links.n; i++)
		free(links.names[i]);
	free(views.names);
	free(links.names);
	strata_peers_list_free(peers);
	free(dir);
	return error;
}

/* --- parcel files --- */

/* The SHA-256 of a file, as hex; 0, STRATA_ENOTFOUND if it is gone, or an error. */
static int file_sha256(char out[65], const char *path)
{
	unsigned char buf[65536], md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	size_t k;
	int error = 0;

	if (!f) {
		EVP_MD_CTX_free(ctx);
		return errno == ENOENT ? STRATA_ENOTFOUND : strata_error_sys(path);
	}
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		error = strata_error_ssl("cannot hash a parcel file");
	while (!error && (k = fread(buf, 1, sizeof(buf), f)) > 0)
		if (EVP_DigestUpdate(ctx, buf, k) != 1)
			error = strata_error_ssl("cannot hash a parcel file");
	if (!error && ferror(f))
		error = strata_error_sys(path);
	if (!error && EVP_DigestFinal_ex(ctx, md, NULL) != 1)
		error = strata_error_ssl("cannot hash a parcel file");
	if (!error)
		strata_enc_hex(out, md, sizeof(md));
	fclose(f);
	EVP_MD_CTX_free(ctx);
	return error;
}

int strata_link_note_parcel(strata_node *n, const char *peer, const char *path, uint64_t sequence, int kept)
{
	strata_link l;
	strata_link_parcel *p;
	char *abs = realpath(path, NULL);
	int error;

	if (!abs)
		return strata_error_sys(path);
	if ((error = strata_link_load(&l, n, peer)) < 0) {
		free(abs);
		return error;
	}
	if ((p = realloc(l.parcels, (l.nparcels + 1) * sizeof(*p))) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	l.parcels = p;
	p = &l.parcels[l.nparcels];
	memset(p, 0, sizeof(*p));
	if (strlen(abs) >= sizeof(p->path)) {
		error = strata_error_set("'%s': the path is too long to remember", abs);
		goto done;
	}
	snprintf(p->path, sizeof(p->path), "%s", abs);
	p->sequence = sequence;
	p->kept = kept;
	p->time = strata_time_now();
	if ((error = file_sha256(p->sha256, abs)) < 0)
		goto done;
	l.nparcels++;
	error = strata_link_save(n, peer, &l);
done:
	strata_link_dispose(&l);
	free(abs);
	return error;
}

int strata_link_clean_parcels(strata_link *l, size_t *removed)
{
	size_t k = 0;
	int error = 0;

	*removed = 0;
	for (size_t i = 0; i < l->nparcels; i++) {
		strata_link_parcel *p = &l->parcels[i];
		char now[65];
		int rc;
		if (p->kept || p->sequence > l->acked.sequence || !l->acked.sequence) {
			l->parcels[k++] = *p;
			continue;
		}
		/* confirmed: the file goes, if it is still the one written (else it is someone else's now) */
		if ((rc = file_sha256(now, p->path)) == 0 && !strcmp(now, p->sha256)) {
			if (unlink(p->path) < 0 && errno != ENOENT) {
				error = strata_error_sys(p->path);
				l->parcels[k++] = *p;
				continue;
			}
			(*removed)++;
		} else if (rc < 0 && rc != STRATA_ENOTFOUND) {
			strata_error_clear();
		}
		strata_error_clear();
	}
	l->nparcels = k;
	return error;
}

int strata_link_fresh(strata_link_freshness *f, strata_node *n, const char *peer, const strata_link *l, int64_t now)
{
	strata_buf v = STRATA_BUF_INIT;
	int rc;

	memset(f, 0, sizeof(*f));
	f->as_of = l->in.signed_time ? l->in.signed_time : l->in.time;	/* a link file from before signed times */
	if (l->net_pulled > f->as_of)
		f->as_of = l->net_pulled;
	if ((rc = strata_peers_get(&v, n, peer, "maxage")) == STRATA_ENOTFOUND) {
		strata_error_clear();
		return 0;
	}
	if (rc == 0 && strata_time_duration(&f->max_age, v.ptr) < 0)
		rc = strata_error_set("peer '%s': maxage '%s' is not a duration like 7d, 48h or 90m", peer, v.ptr);
	strata_buf_dispose(&v);
	if (rc < 0)
		return rc;
	if (f->as_of && now > f->as_of + f->max_age)
		f->stale_since = f->as_of + f->max_age;
	return 0;
}
