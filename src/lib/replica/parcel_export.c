/*
 * parcel_export.c - the parcel a peer lacks (see parcel_export.h).
 */
#include "strata/replica/parcel_export.h"
#include "strata/base/time.h"
#include "strata/base/array.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"
#include "strata/node/journal.h"
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
#include "strata/replica/link.h"
#include "strata/replica/erase.h"
#include "strata/format/sealed.h"
#include "strata/node/keys.h"
#include "strata/replica/process.h"
#include "strata/base/digest.h"

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


/* --- export --- */

typedef struct {
	strata_parcel_ref *refs;
	size_t n, alloc;
} ref_list;

static int add_view(const char *name, const git_oid *id, void *payload)
{
	ref_list *l = payload;
	int error;

	if (!strata_parcel_ref_name_valid(name))
		return 0;
	if ((error = strata_array_grow(&l->refs, &l->alloc, l->n + 1, 16)) < 0)
		return error;
	memset(&l->refs[l->n], 0, sizeof(l->refs[l->n]));
	snprintf(l->refs[l->n].name, sizeof(l->refs[l->n].name), "%s", name);
	l->refs[l->n++].commit = *id;
	return 0;
}

static int list_views(ref_list *l, strata_node *n, const char *peer)
{
	return strata_link_foreach_view(n, peer, 0, add_view, l);
}

/* The SHA-256 of the process messages a parcel carries, hex ("" for none). */
static void messages_digest(char out[65], const strata_buf *m)
{
	unsigned char h[32];

	out[0] = '\0';
	if (m->len) {
		strata_digest_sha256(h, m->ptr, m->len);
		strata_enc_hex(out, h, sizeof(h));
	}
}

static int export_audit(strata_node *n, const char *peer, const strata_parcel *p, const strata_parcel_result *res,
			const char *via)
{
	char link_digest[65];
	strata_buf t = STRATA_BUF_INIT, subject = STRATA_BUF_INIT, policy = STRATA_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	messages_digest(link_digest, &p->messages);
	error = strata_buf_printf(&t, "Strata-Sender: %s\nStrata-Recipient: %s\nStrata-Sequence: %llu\n"
				  "Strata-Parcel-Objects: %zu\nStrata-Parcel-Bytes: %zu\nStrata-Parcel-Full: %s\n",
				  strata_node_name(n), peer, (unsigned long long)p->sequence, res->objects, res->bytes,
				  res->full ? "yes" : "no");
	if (!error && via)
		error = strata_buf_printf(&t, "Strata-Via: %s\n", via);
	if (!error && strata_peers_get(&policy, n, peer, "policy") == 0)
		error = strata_buf_printf(&t, "Strata-Policy-Name: %s\n", policy.ptr);
	if (!error && p->nrefs) {	/* one policy per peer: its blob and purpose, as the views name them */
		git_commit *c = NULL;
		char v[512];
		if (git_commit_lookup(&c, strata_node_repo(n), &p->refs[0].commit) == 0) {
			if (strata_commit_trailer(c, "Strata-Policy-Version", v, sizeof(v)))
				error = strata_buf_printf(&t, "Strata-Policy-Version: %s\n", v);
			if (!error && strata_commit_trailer(c, "Strata-Policy", v, sizeof(v)))
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
	if (!error && p->messages.len) {
		size_t lines = 0;
		for (size_t i = 0; i < p->messages.len; i++)
			lines += p->messages.ptr[i] == '\n';
		error = strata_buf_printf(&t, "Strata-Messages: %zu %s\n", lines, link_digest);
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

/*
 * What the peer says it holds, over TLS, is its confirmation: recorded
 * whether or not anything is sent, so that an erasure it applied shows
 * confirmed at once (erase.h), not only once other data moves.
 */
static int record_acked(strata_node *n, const char *peer, strata_link *link, const strata_link_side *have)
{
	int error;

	size_t removed;

	if (strata_link_side_same(&link->acked, have))
		return 0;	/* its word as before: nothing new to keep (a daemon polled often writes nothing) */
	if ((error = strata_link_side_copy(&link->acked, have)) < 0)
		return error;
	link->acked.time = strata_time_now();	/* when it said so */
	if ((error = strata_link_clean_parcels(link, &removed)) < 0)	/* parcel files it now holds go */
		return error;
	if ((error = strata_link_save(n, peer, link)) < 0)
		return error;
	return strata_erasures_note(n, peer, NULL, 0);
}

/* The parcel is out of our hands: the sequence, what was sent, what the peer said it held, and the audit event. */
static int record_sent(strata_node *n, const char *peer, strata_link *link, const strata_parcel *p,
		       const strata_parcel_result *res, const char *via, const strata_link_side *have,
		       strata_link_ref **sent, size_t nsent)
{
	int error;

	free(link->out.refs);
	link->out.refs = *sent;
	link->out.nrefs = nsent;
	*sent = NULL;	/* transferred to the link */
	link->out.sequence = p->sequence;
	link->out.time = p->created;
	messages_digest(link->out.msgdigest, &p->messages);
	if (have && (error = strata_link_side_copy(&link->acked, have)) < 0)
		return error;
	if (have)
		link->acked.time = strata_time_now();
	if ((error = strata_link_save(n, peer, link)) < 0 || (error = export_audit(n, peer, p, res, via)) < 0)
		return error;
	return have ? strata_erasures_note(n, peer, NULL, 0) : 0;
}

static int export_parcel(strata_node *n, const char *peer, int full, const strata_link_side *have, const char *via,
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
	char digest[65];
	int error = STRATA_ERROR, news;

	memset(res, 0, sizeof(*res));
	snprintf(res->peer, sizeof(res->peer), "%s", peer);
	res->full = full;
	if (!strata_name_node_valid(peer)) {
		error = strata_error_set("invalid peer name '%s'", peer);
		goto done;
	}
	if ((error = strata_journal_lock(n)) < 0 || (error = strata_node_load_key(n)) < 0)
		goto done;
	if ((error = strata_peers_get(&key, n, peer, "key")) < 0) {
		error = strata_peers_unknown(n, peer);
		goto done;
	}
	if ((error = strata_link_allows(n, peer, 1)) < 0 ||
	    (error = strata_view_build(n, peer, 0, NULL, NULL)) < 0 ||
	    (error = list_views(&views, n, peer)) < 0 ||
	    (error = strata_link_load(&link, n, peer)) < 0 ||
	    (error = strata_process_lines(&p.messages, n, peer)) < 0)
		goto done;
	/* process messages the peer has not had yet: a parcel goes, if only for them */
	messages_digest(digest, &p.messages);
	news = strcmp(digest, link.out.msgdigest) || (have && have->sequence < link.out.sequence);
	if (views.n == 0 && have && !news) {
		/* nothing to share yet (the tier below has sent nothing): the peer is up to date */
		res->uptodate = 1;
		error = record_acked(n, peer, &link, have);
		goto done;
	}
	if (views.n == 0 && !p.messages.len) {
		error = strata_error_setc(STRATA_ENOTFOUND, "no views for '%s': its policy shares no dataset this node holds or has received", peer);
		goto done;
	}
	/* what the peer holds: what it tells us now, or else what it last confirmed */
	base = have ? have : &link.acked;
	tips = calloc(views.n + 1, sizeof(*tips));
	p.prereqs = calloc(views.n + 1, sizeof(*p.prereqs));
	sent = calloc(views.n + 1, sizeof(*sent));
	if (!tips || !p.prereqs || !sent) {
		error = strata_error_set("out of memory");
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
			if (strata_commit_descends(strata_node_repo(n), &r->commit, &base->refs[k].commit)) {
				r->has_base = 1;
				r->base = base->refs[k].commit;
				p.prereqs[p.nprereqs++] = r->base;
			}
			git_error_clear();
		}
		if (!r->has_base || !git_oid_equal(&r->base, &r->commit))
			res->changed++;
	}
	if (have && res->changed == 0 && views.n == have->nrefs && !news) {
		res->uptodate = 1;	/* the peer holds every view as it is: nothing to send, only its word to keep */
		res->nrefs = views.n;
		error = record_acked(n, peer, &link, have);
		goto done;
	}
	if ((error = strata_thinpack_build(&p.pack, &st, strata_node_repo(n), tips, views.n, p.prereqs, p.nprereqs)) < 0)
		goto done;
	snprintf(p.sender, sizeof(p.sender), "%s", strata_node_name(n));
	snprintf(p.recipient, sizeof(p.recipient), "%s", peer);
	p.version = STRATA_PARCEL_VERSION;
	/* after both what we sent and what the peer last accepted, should our record be lost */
	p.sequence = (have && have->sequence > link.out.sequence ? have->sequence : link.out.sequence) + 1;
	p.created = strata_time_now();
	p.refs = views.refs;
	p.nrefs = views.n;
	p.pack_objects = st.objects;
	out->max = p.pack.len + ((size_t)1 << 24);
	/* every rotation of this node's key, so a peer that missed one catches up here */
	if ((error = strata_keys_rotations(&p.rotations, n)) < 0 || (error = strata_parcel_seal(&p, strata_node_key(n))) < 0 || (error = strata_parcel_write(out, &p)) < 0)
		goto done;
	res->sequence = p.sequence;
	res->nrefs = p.nrefs;
	res->objects = st.objects;
	res->deltas = st.deltas;
	res->bytes = out->len;
	/* recorded as sent only once it is out of our hands */
	if ((error = publish(out->ptr, out->len, payload)) < 0)
		goto done;
	error = record_sent(n, peer, &link, &p, res, via, have, &sent, views.n);
done:
	p.refs = NULL;	/* views.refs */
	free(views.refs);
	free(p.prereqs);
	p.prereqs = NULL;
	strata_buf_dispose(&p.manifest);
	strata_buf_dispose(&p.rotations);
	strata_buf_dispose(&p.messages);
	strata_buf_dispose(&p.sig);
	strata_buf_dispose(&p.pack);
	free(tips);
	free(sent);
	strata_link_dispose(&link);
	strata_buf_dispose(&key);
	strata_buf_dispose(&parcel);
	return error;
}

int strata_parcel_export(strata_node *n, const char *peer, int full, strata_parcel_publish publish,
			 void *payload, strata_parcel_result *res)
{
	return export_parcel(n, peer, full, NULL, NULL, publish, payload, res);
}

int strata_parcel_export_for(strata_node *n, const char *peer, const strata_link_side *have, const char *via,
			     strata_parcel_publish publish, void *payload, strata_parcel_result *res)
{
	return export_parcel(n, peer, 0, have, via, publish, payload, res);
}

static int publish_file(const void *data, size_t len, void *payload)
{
	return strata_fs_write_atomic(payload, data, len, 0644);
}

struct sealed_file {
	const char *path;
	const char *sender, *recipient;
	unsigned char pk[32];
};

/* The parcel sealed to its recipient (sealed.h), then written as publish_file writes one. */
static int publish_sealed(const void *data, size_t len, void *payload)
{
	struct sealed_file *f = payload;
	strata_buf out = STRATA_BUF_INIT;
	int error;

	out.max = (size_t)-1;
	if ((error = strata_sealed_write(&out, data, len, f->sender, f->recipient, f->pk, strata_time_now())) == 0)
		error = strata_fs_write_atomic(f->path, out.ptr, out.len, 0644);
	strata_buf_dispose(&out);
	return error;
}

int strata_parcel_export_file(strata_node *n, const char *peer, int full, const char *path, int unsealed,
			      strata_parcel_result *res)
{
	struct sealed_file f = { path, strata_node_name(n), peer, { 0 } };
	strata_buf key = STRATA_BUF_INIT;
	strata_pubkey pk;
	int error;

	if (access(path, F_OK) == 0)
		return strata_error_setc(STRATA_EEXISTS, "'%s' exists; refusing to overwrite it", path);
	if (unsealed) {
		if ((error = export_parcel(n, peer, full, NULL, "file", publish_file, (void *)path, res)) == 0 && !res->uptodate)
			error = strata_link_note_parcel(n, peer, path, res->sequence, 0);	/* removed once confirmed */
		return error;
	}
	/* the recipient's pinned key, mapped to X25519: nobody else can open the file */
	if ((error = strata_peers_get(&key, n, peer, "key")) < 0 || (error = strata_sign_pubkey_parse(&pk, key.ptr)) < 0 ||
	    (error = strata_sign_pubkey_x25519(f.pk, &pk)) < 0) {
		strata_buf_dispose(&key);
		return error == STRATA_ENOTFOUND ? strata_peers_unknown(n, peer) : error;
	}
	strata_buf_dispose(&key);
	if ((error = export_parcel(n, peer, full, NULL, "file-sealed", publish_sealed, &f, res)) == 0 && !res->uptodate)
		error = strata_link_note_parcel(n, peer, path, res->sequence, 0);	/* removed once confirmed */
	return error;
}
