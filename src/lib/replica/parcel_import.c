/*
 * parcel_import.c - verifies and applies a parcel (see parcel_import.h for
 * the order of checks and what each protects).
 */
#include "strata/replica/parcel_import.h"
#include "strata/base/i18n.h"
#include "strata/base/time.h"
#include "strata/format/sealed.h"
#include "strata/format/rotation.h"
#include "strata/node/keys.h"
#include "strata/node/prune.h"
#include "strata/node/refs.h"
#include "strata/policy/view.h"
#include "strata/base/hpke.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"
#include "strata/data/import.h"
#include "strata/node/journal.h"
#include "strata/replica/process.h"
#include "strata/node/change.h"
#include "strata/format/json.h"
#include "strata/base/oidset.h"
#include "strata/replica/received.h"
#include "strata/format/thinpack.h"
#include "strata/policy/view.h"
#include "strata/base/enc.h"
#include "strata/base/digest.h"
#include "strata/base/fs.h"
#include "strata/format/name.h"
#include "strata/node/refs.h"
#include "strata/node/peers.h"
#include "strata/replica/link.h"

#include <git2/sys/odb_backend.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>


/* --- import --- */

#define CREATED_MIN 946684800	/* 2000-01-01: no parcel is older */
#define RECEIVED_ZLIB_LEVEL 3	/* as imports and views write theirs */

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
	int rc;

	git_oid_tostr(hex, sizeof(hex), id);
	if ((rc = strata_commit_check_in(&st, signer, sizeof(signer), c->n, c->r.repo, id)) < 0)
		return rc;
	if (st != STRATA_SIG_GOOD || strcmp(signer, c->p->sender)) {
		return strata_error_setc(STRATA_EVERIFY, "'%s': commit %.12s for '%s' is %s%s%s, not signed by "
					 "'%s''s pinned key", c->what, hex, refname,
					 st == STRATA_SIG_GOOD ? _("signed by '") : strata_commit_sig_status_str(st),
					 st == STRATA_SIG_GOOD ? signer : "", st == STRATA_SIG_GOOD ? "'" : "",
					 c->p->sender);
	}
	return strata_received_commit(&c->r, id, dataset);
}

typedef struct {
	strata_buf name;
	int exists;
	git_oid old;
	int cut;	/* it moves to a history cut (an erasure): a signed root with Strata-Cut */
} local_ref;

/*
 * 1 if `id` stands on a history cut: its history's root is a commit
 * naming an erasure (Strata-Cut), the one way a received ref may move to
 * a commit that does not descend from the one it had (the cut itself, or
 * a change after it when the parcel with the cut was lost).  Every commit
 * from the root on is checked, signatures and all, with the others the
 * ref gains.
 */
static int is_cut(git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL, *p = NULL;
	char v[80];
	int cut = 0;

	if (git_commit_lookup(&c, repo, id) < 0) {
		git_error_clear();
		return 0;
	}
	while (git_commit_parentcount(c) > 0 && git_commit_parent(&p, c, 0) == 0) {
		git_commit_free(c);
		c = p;
	}
	cut = git_commit_parentcount(c) == 0 && strata_commit_trailer(c, "Strata-Cut", v, sizeof(v));
	git_commit_free(c);
	git_error_clear();
	return cut;
}

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
		if (rc != 1 && !is_cut(c->r.repo, &r->commit))
			return strata_error_set("'%s': ref '%s' would move from %.12s to %.12s, which does not "
						"descend from it (a rewind or a rewrite)", c->what, r->name, ohex, hex);
		/* a history cut: the sender's new root, its signature and shape checked below as any commit */
		((local_ref *)l)->cut = rc != 1;
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

static int audit_text(strata_buf *subject, strata_buf *t, const strata_parcel *p, const local_ref *locals,
		      const unsigned char *sha, const char *via, size_t changed, size_t objects, git_repository *repo)
{
	char hex[GIT_OID_HEXSZ + 1], ohex[GIT_OID_HEXSZ + 1], shahex[65], v[512];
	int error, have_policy = 0;

	strata_enc_hex(shahex, sha, 32);
	error = strata_buf_printf(t, "Strata-Sender: %s\nStrata-Recipient: %s\nStrata-Sequence: %llu\n"
				  "Strata-Parcel-SHA256: %s\nStrata-Parcel-Objects: %zu\nStrata-Via: %s\n", p->sender,
				  p->recipient, (unsigned long long)p->sequence, shahex, objects, via);
	if (!error) {
		/* what the sender signed: an older copy of it later is told from a forged one by this */
		unsigned char m[32];
		strata_digest_sha256(m, p->manifest.ptr, p->manifest.len);
		strata_enc_hex(shahex, m, 32);
		error = strata_buf_printf(t, "Strata-Manifest-SHA256: %s\n", shahex);
	}
	for (size_t i = 0; !error && i < p->nrefs; i++) {
		git_commit *c = NULL;
		git_oid_tostr(hex, sizeof(hex), &p->refs[i].commit);
		if (locals[i].exists)
			git_oid_tostr(ohex, sizeof(ohex), &locals[i].old);
		error = strata_buf_printf(t, "Strata-Ref: %s %s%s%s\n", p->refs[i].name,
					  locals[i].exists ? ohex : "", locals[i].exists ? ".." : "", hex);
		if (!error && !have_policy && git_commit_lookup(&c, repo, &p->refs[i].commit) == 0) {
			have_policy = 1;
			if (strata_commit_trailer(c, "Strata-Policy-Name", v, sizeof(v)))
				error = strata_buf_printf(t, "Strata-Policy-Name: %s\n", v);
			if (!error && strata_commit_trailer(c, "Strata-Policy-Version", v, sizeof(v)))
				error = strata_buf_printf(t, "Strata-Policy-Version: %s\n", v);
			if (!error && strata_commit_trailer(c, "Strata-Policy", v, sizeof(v)))
				error = strata_buf_printf(t, "Strata-Policy: %s\n", v);
			if (!error && strata_commit_trailer(c, "Strata-Purpose", v, sizeof(v)))
				error = strata_buf_printf(t, "Strata-Purpose: %s\n", v);
		}
		git_commit_free(c);
		git_error_clear();
	}
	if (!error)
		error = strata_buf_printf(subject, "parcel %llu imported from %s: %zu of %zu views moved, %zu objects",
					  (unsigned long long)p->sequence, p->sender, changed, p->nrefs, objects);
	return error;
}

/* The moves of a parcel import (change.h): the received refs in one transaction, then the sequence. */
typedef struct {
	const strata_journal_ref *refs;
	size_t nrefs;
	const char *sender;
	strata_link *link;
	uint64_t sequence;
	int64_t created;	/* the sender's signed time of making the parcel */
} import_moves;

static int move_refs(strata_node *n, void *payload)
{
	const import_moves *m = payload;
	git_transaction *tx = NULL;
	int error = 0;

	if (m->nrefs && git_transaction_new(&tx, strata_node_repo(n)) < 0)
		return strata_error_git("cannot start ref transaction");
	for (size_t i = 0; !error && i < m->nrefs; i++)
		if (git_transaction_lock_ref(tx, m->refs[i].name) < 0 ||
		    git_transaction_set_target(tx, m->refs[i].name, &m->refs[i].target, NULL, "strata parcel import") < 0)
			error = strata_error_git("cannot update received refs");
	if (!error && tx && git_transaction_commit(tx) < 0)
		error = strata_error_git("cannot update received refs");
	git_transaction_free(tx);	/* its locks go before any ref is put back */
	if (error)
		return error;
	m->link->in.sequence = m->sequence;
	m->link->in.time = strata_time_now();
	m->link->in.signed_time = m->created;
	return strata_link_save(n, m->sender, m->link);
}

/* Renames the quarantined pack into the object store, index last (that publishes it). */
static int publish_pack(strata_node *n, const char *qdir, const char *name)
{
	const char *exts[2] = { "pack", "idx" };
	strata_buf from = STRATA_BUF_INIT, to = STRATA_BUF_INIT, dir = STRATA_BUF_INIT;
	git_odb *odb = NULL;
	int error = 0;

	if (strata_buf_printf(&dir, "%sobjects/pack", git_repository_path(strata_node_repo(n))) < 0)
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
		error = strata_fs_fsync_dir(dir.ptr);
	if (!error && (git_repository_odb(&odb, strata_node_repo(n)) < 0 || git_odb_refresh(odb) < 0))
		error = strata_error_git("cannot refresh the object store");
	git_odb_free(odb);
	strata_buf_dispose(&from);
	strata_buf_dispose(&to);
	strata_buf_dispose(&dir);
	return error;
}

/*
 * What the steps of one import share.  Each step returns 0 to go on, a
 * negative code (its message set) to refuse, or 1 when nothing is left to
 * do (the same parcel again).
 */
typedef struct {
	import_ctx c;
	const unsigned char *sha;	/* the parcel file's SHA-256, for the audit event */
	const char *via;		/* how it came: "file", or "https" (from an authenticated peer) */
	strata_parcel_result *res;
	strata_link link;		/* the sender's link state */
	local_ref *locals;		/* each manifest ref as it is here now */
	strata_received_src src;	/* objects.pack, in memory or spooled */
	strata_buf qdir, idxpath;	/* the quarantine, and the pack's index in it */
	int qdir_made;
	char packname[GIT_OID_HEXSZ + 1];
	strata_rotation rot[STRATA_PARCEL_MAX_ROTATIONS];	/* the sender's rotations from its pinned key on */
	size_t msg_refused;	/* its process messages refused (process.h), the first's code and why */
	int msg_code;
	char msg_why[1024];
	size_t nrot;
} import_run;

/*
 * The manifest is signed by another key than the one pinned: it stands
 * only if the sender's rotation statements lead from the pinned key to
 * it, each signed by the key before and the key after.  The new keys are
 * trusted in memory while the parcel is checked; node.conf learns them
 * once it is accepted (strata_keys_accept_rotation).
 */
static int follow_rotations(import_run *u, const strata_pubkey *pinned, const strata_pubkey *signer)
{
	const strata_parcel *p = u->c.p;
	int rc;

	if (strata_rotation_chain(p->rotations.ptr, p->rotations.len, p->sender, pinned, signer, strata_time_now(),
				  u->rot, STRATA_PARCEL_MAX_ROTATIONS, &u->nrot) < 0)
		return strata_error_setc(STRATA_EVERIFY, "'%s': %s", u->c.what, strata_error_last());
	for (size_t i = 0; i < u->nrot; i++)
		if ((rc = strata_peers_trust_for_now(u->c.n, p->sender, &u->rot[i].new_key)) < 0)
			return rc;
	return 0;
}

/* 2. who sent it, and to whom: the pinned key signed it, it is for us, the direction allows it */
static int step_sender(import_run *u)
{
	strata_node *n = u->c.n;
	const strata_parcel *p = u->c.p;
	const char *what = u->c.what;
	strata_buf key = STRATA_BUF_INIT;
	strata_pubkey signer, pinned;
	int found = strata_peers_get(&key, n, p->sender, "key") == 0 && strata_sign_pubkey_parse(&pinned, key.ptr) == 0;

	strata_buf_dispose(&key);
	if (!found)
		return strata_error_setc(STRATA_EVERIFY, "'%s': sender '%s' is not a peer of this node (no pinned key "
					 "in node.conf)", what, p->sender);
	if (strata_parcel_verify(p, &signer) < 0)
		return strata_error_setc(STRATA_EVERIFY, "'%s': MANIFEST.sig does not verify: %s", what, strata_error_last());
	{
		/* a pinned key revoked from now or earlier: nothing it signs now is accepted */
		char who[64], why[256];
		if (strata_peers_trusted_at(n, &pinned, strata_time_now(), who, sizeof(who), why, sizeof(why)) == 2)
			return strata_error_setc(STRATA_EVERIFY, "'%s': the key pinned for '%s' is %s: pin it again "
						 "('strata peer remove', then 'peer add') once it has a new key", what,
						 p->sender, why);
	}
	if (!strata_sign_pubkey_equal(&signer, &pinned)) {
		/*
		 * A key the sender had when it made the parcel (one it rotated
		 * away since: the parcel travelled slowly), or one its rotation
		 * statements lead to from the pinned key.
		 */
		char who[64];
		int error = 0;
		if (strata_peers_trusted_at(n, &signer, p->created, who, sizeof(who), NULL, 0) != 1 || strcmp(who, p->sender))
			error = follow_rotations(u, &pinned, &signer);
		if (error < 0)
			return error;
	}
	if (strcmp(p->recipient, strata_node_name(n)))
		return strata_error_set("'%s': addressed to '%s', and this node is '%s'", what, p->recipient,
					strata_node_name(n));
	if (!strcmp(p->sender, strata_node_name(n)))
		return strata_error_set("'%s': sent by this node itself", what);
	return strata_link_allows(n, p->sender, 0);
}

/* What the audit log says of the parcel with one sequence number accepted from one sender. */
struct accepted {
	const char *sender;
	uint64_t sequence;
	int found;
	int has_manifest;
	char manifest[65];
	int64_t time;
	git_oid event;
	const strata_parcel *p;	/* the one offered now: its refs, for an event from before the manifest's hash */
	int same_refs;
};

static int find_accepted(const strata_audit_event *ev, void *payload)
{
	struct accepted *a = payload;
	char v[128];
	git_message_trailer_array tr = { 0 };
	size_t matched = 0, refs = 0;

	if (strcmp(ev->event, "parcel-import") || !strata_commit_trailer(ev->c, "Strata-Sender", v, sizeof(v)) ||
	    strcmp(v, a->sender) || !strata_commit_trailer(ev->c, "Strata-Sequence", v, sizeof(v)) ||
	    strtoull(v, NULL, 10) != a->sequence)
		return 0;
	a->found = 1;
	a->time = ev->time;
	a->event = ev->commit;
	a->has_manifest = strata_commit_trailer(ev->c, "Strata-Manifest-SHA256", a->manifest, sizeof(a->manifest));
	/* "Strata-Ref: NAME [OLD..]NEW", one per ref: the same refs at the same commits is the same parcel */
	if (git_message_trailers(&tr, git_commit_message(ev->c)) == 0) {
		for (size_t i = 0; i < tr.count; i++) {
			const char *val = tr.trailers[i].value, *sp = strchr(val, ' '), *dots;
			if (strcmp(tr.trailers[i].key, "Strata-Ref") || !sp)
				continue;
			refs++;
			dots = strstr(sp + 1, "..");
			for (size_t k = 0; k < a->p->nrefs; k++)
				if (strlen(a->p->refs[k].name) == (size_t)(sp - val) && !strncmp(a->p->refs[k].name, val, (size_t)(sp - val)) &&
				    !strcmp(dots ? dots + 2 : sp + 1, git_oid_tostr_s(&a->p->refs[k].commit)))
					matched++;
		}
		git_message_trailer_array_free(&tr);
	}
	git_error_clear();
	a->same_refs = refs == a->p->nrefs && matched == refs;
	return 1;	/* found: stop */
}

/*
 * A parcel at or below the last sequence accepted from its sender, genuinely
 * signed.  The one accepted with that number, the same (an old copy found
 * in a drawer, a second carrier): held already, superseded by the last
 * one, returns 1.  A different one under a number already used: the sender
 * signed two parcels as one, evidence of a fork (its key stolen, or its
 * history rewritten): refused (STRATA_EVERIFY) and kept, signed manifest
 * and all, under NODE/evidence/.  One never accepted (a parcel lost on the
 * way, found after a later one): held already if every commit it names is
 * here, in the history of the ref it names, returns 1; else 0 (refused as
 * a replay by the caller).
 */
static int older_parcel(import_run *u)
{
	const strata_parcel *p = u->c.p;
	struct accepted a;
	unsigned char m[32];
	char mhex[65], t[32];
	int error;

	memset(&a, 0, sizeof(a));
	a.sender = p->sender;
	a.sequence = p->sequence;
	a.p = p;
	strata_digest_sha256(m, p->manifest.ptr, p->manifest.len);
	strata_enc_hex(mhex, m, sizeof(m));
	if ((error = strata_audit_foreach(u->c.n, find_accepted, &a)) < 0)
		return error;
	if (a.found && (a.has_manifest ? !strcmp(a.manifest, mhex) : a.same_refs))
		return 1;
	if (a.found) {
		strata_buf dir = STRATA_BUF_INIT, file = STRATA_BUF_INIT, note = STRATA_BUF_INIT;
		strata_enc_utc_stamp(t, sizeof(t), a.time);
		if ((error = strata_buf_printf(&dir, "%s/evidence", strata_node_path(u->c.n))) == 0 &&
		    (error = strata_fs_mkdir_p(dir.ptr, 0700)) == 0 &&
		    (error = strata_buf_printf(&file, "%s/%s-parcel-%llu-%.12s", dir.ptr, p->sender,
					       (unsigned long long)p->sequence, mhex)) == 0 &&
		    (error = strata_fs_write_atomic(file.ptr, p->manifest.ptr, p->manifest.len, 0600)) == 0 &&
		    (error = strata_buf_printf(&note, "%s.sig", file.ptr)) == 0 &&
		    (error = strata_fs_write_atomic(note.ptr, p->sig.ptr, p->sig.len, 0600)) == 0) {
			strata_buf_clear(&note);
			if ((error = strata_buf_printf(&note, "sender %s\nsequence %llu\noffered-manifest-sha256 %s\n"
						       "accepted-manifest-sha256 %s\naccepted-at %s\naccepted-event %s\n",
						       p->sender, (unsigned long long)p->sequence, mhex,
						       a.has_manifest ? a.manifest : "(not recorded)", t,
						       git_oid_tostr_s(&a.event))) == 0) {
				char *nf = NULL;
				if (asprintf(&nf, "%s.txt", file.ptr) < 0)
					error = strata_error_set("out of memory");
				else
					error = strata_fs_write_atomic(nf, note.ptr, note.len, 0600);
				free(nf);
			}
		}
		if (error == 0)
			error = strata_error_setc(STRATA_EVERIFY, "'%s': '%s' signed two different parcels numbered %llu: this one "
						  "and the one accepted at %s (audit event %.12s).  A sender does that only if "
						  "its key is used by someone else or its history was rewritten: kept as evidence "
						  "in %s; ask '%s' what happened before importing anything more from it",
						  u->c.what, p->sender, (unsigned long long)p->sequence, t,
						  git_oid_tostr_s(&a.event), file.ptr, p->sender);
		strata_buf_dispose(&dir);
		strata_buf_dispose(&file);
		strata_buf_dispose(&note);
		return error;
	}
	/* never accepted: held if every commit it names is here, in the history of the ref it names */
	for (size_t i = 0; i < p->nrefs; i++) {
		if (!u->locals[i].exists)
			return 0;
		if (!git_oid_equal(&u->locals[i].old, &p->refs[i].commit) &&
		    !strata_commit_descends(strata_node_repo(u->c.n), &u->locals[i].old, &p->refs[i].commit))
			return 0;
	}
	return 1;
}

/* 3. replay and rollback: newer than the last accepted, not too far, not from the future */
static int step_sequence(import_run *u)
{
	strata_node *n = u->c.n;
	const strata_parcel *p = u->c.p;
	const char *what = u->c.what;
	int error;

	if ((error = strata_link_load(&u->link, n, p->sender)) < 0)
		return error;
	if ((u->locals = calloc(p->nrefs ? p->nrefs : 1, sizeof(*u->locals))) == NULL)
		return strata_error_set("out of memory");
	for (size_t i = 0; i < p->nrefs; i++) {
		int rc;
		if ((error = strata_buf_printf(&u->locals[i].name, "%s%s/%s", STRATA_REF_PEERS, p->sender,
					       p->refs[i].name)) < 0)
			return error;
		rc = git_reference_name_to_id(&u->locals[i].old, strata_node_repo(n), u->locals[i].name.ptr);
		if (rc == 0)
			u->locals[i].exists = 1;
		else if (rc != GIT_ENOTFOUND)
			return strata_error_git("cannot read received refs");
		git_error_clear();
	}
	if (p->sequence == u->link.in.sequence && p->sequence > 0) {
		/* the same parcel again (a second carrier, a retried push): every ref already where it says */
		int same = 1;
		for (size_t i = 0; same && i < p->nrefs; i++)
			same = u->locals[i].exists && git_oid_equal(&u->locals[i].old, &p->refs[i].commit);
		if (same) {
			u->res->uptodate = 1;
			return 1;
		}
	}
	if (p->sequence > u->link.in.sequence + STRATA_SEQUENCE_JUMP_MAX)
		return strata_error_set("'%s': parcel %llu from '%s' jumps more than %llu past the last accepted (%llu): "
					"it would leave every later parcel looking old", what, (unsigned long long)p->sequence,
					p->sender, (unsigned long long)STRATA_SEQUENCE_JUMP_MAX,
					(unsigned long long)u->link.in.sequence);
	if (p->created > strata_time_now() + STRATA_CLOCK_SKEW_MAX || p->created < CREATED_MIN) {
		char t[32];
		strata_enc_utc_stamp(t, sizeof(t), p->created);
		return strata_error_set("'%s': parcel %llu from '%s' says it was created at %s, %s", what,
					(unsigned long long)p->sequence, p->sender, t,
					p->created < CREATED_MIN ? _("before the year 2000") : _("more than a day from now"));
	}
	if (p->sequence <= u->link.in.sequence && p->sequence > 0) {
		int rc = older_parcel(u);
		if (rc != 0) {
			if (rc == 1) {
				u->res->uptodate = 1;
				u->res->superseded = u->link.in.sequence;
			}
			return rc;
		}
	}
	if (p->sequence <= u->link.in.sequence)
		return strata_error_set("'%s': parcel %llu from '%s' is %s: the last accepted was %llu (replay or rollback)",
					what, (unsigned long long)p->sequence, p->sender,
					p->sequence == u->link.in.sequence ? _("already imported") : _("older than one already imported"),
					(unsigned long long)u->link.in.sequence);
	return 0;
}

/* 4. what it builds on is here, and the pack's every entry and delta is sound (received.h) */
static int step_prerequisites(import_run *u)
{
	strata_node *n = u->c.n;
	const strata_parcel *p = u->c.p;

	if (git_repository_odb(&u->c.main_odb, strata_node_repo(n)) < 0)
		return strata_error_git("cannot open object store");
	u->c.r.known = u->c.main_odb;
	for (size_t i = 0; i < p->nprereqs; i++) {
		git_commit *pc = NULL;
		char hex[GIT_OID_HEXSZ + 1];
		if (git_commit_lookup(&pc, strata_node_repo(n), &p->prereqs[i]) == 0) {
			git_commit_free(pc);
			continue;
		}
		git_error_clear();
		git_oid_tostr(hex, sizeof(hex), &p->prereqs[i]);
		return strata_error_set("'%s': builds on commit %.12s, which this node does not have: import the "
					"earlier parcels from '%s' first, or ask for a full one (export --full)",
					u->c.what, hex, p->sender);
	}
	return 0;
}

/*
 * The pack, checked and every delta resolved (received.h), written whole
 * into a pack of the quarantine by our own writer: no object goes through
 * libgit2's indexer, whose completing of a thin pack cost four times our
 * resolving it (it appends each base, deflated at level 6, and resolves
 * every delta again), and nothing is stored twice.
 */
static int write_quarantine_pack(import_run *u)
{
	const strata_parcel *p = u->c.p;
	strata_packw *w = NULL;
	git_odb_backend *qbe = NULL;
	int error;

	if (p->pack_fd >= 0)
		strata_received_src_fd(&u->src, p->pack_fd, p->pack_size);
	else
		strata_received_src_mem(&u->src, p->pack.ptr, p->pack.len);
	if ((error = strata_pack_writer_new_in(&w, u->qdir.ptr, u->c.main_odb, RECEIVED_ZLIB_LEVEL)) < 0 ||
	    (error = strata_received_resolve_src(&u->src, p->pack_objects, u->c.main_odb, u->c.what, w)) < 0 ||
	    (error = strata_pack_writer_commit(w)) < 0)
		goto done;
	snprintf(u->packname, sizeof(u->packname), "%s", strata_pack_writer_name(w));
	if (!u->packname[0])
		goto done;	/* nothing the node lacks */
	if ((error = strata_buf_printf(&u->idxpath, "%s/pack-%s.idx", u->qdir.ptr, u->packname)) < 0)
		goto done;
	if (git_odb_backend_one_pack(&qbe, u->idxpath.ptr) < 0 || git_odb_add_backend(u->c.q_odb, qbe, 1) < 0) {
		error = strata_error_git("cannot open the quarantined pack");
		if (qbe)
			qbe->free(qbe);
	}
done:
	strata_pack_writer_free(w);
	return error;
}

/* 5. quarantine: the pack resolved into a directory of its own, read together with the node's objects */
static int step_quarantine(import_run *u)
{
	strata_node *n = u->c.n;
	git_odb *both = NULL;
	git_odb_backend *be = NULL;
	strata_buf objdir = STRATA_BUF_INIT;
	char *tmpdir = strata_fs_path_join(strata_node_path(n), STRATA_NODE_TMP);
	int error = tmpdir ? strata_fs_mkdir_p(tmpdir, 0700) : STRATA_ERROR;

	free(tmpdir);
	if (error < 0 || (error = strata_buf_printf(&u->qdir, "%s/%s/quarantine-XXXXXX", strata_node_path(n),
						    STRATA_NODE_TMP)) < 0)
		return error;
	if (!mkdtemp(u->qdir.ptr))
		return strata_error_sys(u->qdir.ptr);
	u->qdir_made = 1;
	if (git_odb_new(&u->c.q_odb) < 0)
		return strata_error_git("cannot create quarantine");
	if (u->c.p->pack_objects > 0 && (error = write_quarantine_pack(u)) < 0)
		return error;
	if ((error = strata_buf_printf(&objdir, "%sobjects", git_repository_path(strata_node_repo(n)))) == 0 &&
	    (git_odb_open(&both, objdir.ptr) < 0 ||
	     (u->idxpath.len && (git_odb_backend_one_pack(&be, u->idxpath.ptr) < 0 || git_odb_add_backend(both, be, 100) < 0)) ||
	     git_repository_wrap_odb(&u->c.r.repo, both) < 0))
		error = strata_error_git("cannot open the quarantine");
	git_odb_free(both);
	strata_buf_dispose(&objdir);
	return error;
}

/* 6. every new commit, tree and record; refs forward only; every new object reached by a ref */
static int step_objects(import_run *u)
{
	new_count nc = { u->c.main_odb, 0 };
	int error;

	for (size_t i = 0; i < u->c.p->nrefs; i++)
		if ((error = check_ref(&u->c, &u->c.p->refs[i], &u->locals[i])) < 0)
			return error;	/* keeps STRATA_EVERIFY for a bad signature */
	if (git_odb_foreach(u->c.q_odb, count_new, &nc) < 0)
		return strata_error_git("cannot list the quarantined pack");
	if (nc.n != u->c.r.seen.n)
		return strata_error_set("'%s': objects.pack holds %zu new objects that no ref in the manifest reaches",
					u->c.what, nc.n - (nc.n > u->c.r.seen.n ? u->c.r.seen.n : nc.n));
	return 0;
}

/*
 * 7. objects in; then, journalled (change.h), the refs in one transaction,
 * the sequence, and the audit event last: an error, a kill or a power loss
 * before the event is in leaves the refs and the sequence as they were.
 */
static int step_apply(import_run *u)
{
	const strata_parcel *p = u->c.p;
	strata_journal_ref *jrefs = NULL;
	strata_buf linkfile = STRATA_BUF_INIT, subject = STRATA_BUF_INIT, trailers = STRATA_BUF_INIT;
	size_t njrefs = 0;
	git_oid ptree;
	int error, have_tree = 0;

	if (u->c.r.seen.n > 0 && (error = publish_pack(u->c.n, u->qdir.ptr, u->packname)) < 0)
		return error;
	if ((jrefs = calloc(p->nrefs ? p->nrefs : 1, sizeof(*jrefs))) == NULL)
		return strata_error_set("out of memory");
	for (size_t i = 0; i < p->nrefs; i++) {
		if (u->locals[i].exists && git_oid_equal(&u->locals[i].old, &p->refs[i].commit))
			continue;	/* only the refs that move */
		jrefs[njrefs].name = u->locals[i].name.ptr;
		jrefs[njrefs].exists = u->locals[i].exists;
		jrefs[njrefs].old = u->locals[i].old;
		jrefs[njrefs++].target = p->refs[i].commit;
	}
	error = 0;
	for (size_t i = 0; !error && i < p->nrefs; i++)
		if (u->locals[i].cut)	/* a received cut: owed from before its ref moves until the prune (journal.h) */
			error = strata_journal_owe_cut(u->c.n, "a history cut received from a peer");
	if (!error && (error = strata_link_relpath(&linkfile, p->sender)) == 0 &&
	    (error = audit_text(&subject, &trailers, p, u->locals, u->sha, u->via, njrefs, u->c.r.seen.n,
				strata_node_repo(u->c.n))) == 0 && p->messages.len) {
		/*
		 * its process messages, in the import's own event: each one checked, a
		 * refused one left out (refused.log), the import then failing after
		 * all, saying so
		 */
		int rc = strata_process_take(u->c.n, p->sender, u->c.what, p->messages.ptr, p->messages.len, &ptree,
					     &have_tree, &trailers, &u->msg_refused);
		if (rc < 0 && !u->msg_refused)
			error = rc;
		else if (rc < 0) {
			u->msg_code = rc;
			snprintf(u->msg_why, sizeof(u->msg_why), "%s", strata_error_last());
		}
	}
	if (!error) {
		import_moves m = { jrefs, njrefs, p->sender, &u->link, p->sequence, p->created };
		strata_change ch = { "parcel-import", u->c.what, jrefs, njrefs, linkfile.ptr, subject.ptr, trailers.ptr,
				     have_tree ? &ptree : NULL };
		if ((error = strata_change_apply(u->c.n, &ch, move_refs, &m)) == 0)
			u->res->changed = njrefs;
	}
	free(jrefs);
	strata_buf_dispose(&linkfile);
	strata_buf_dispose(&subject);
	strata_buf_dispose(&trailers);
	return error;
}

/* The views built from what was cut, cut too; then the prune; an audit event. */
static int apply_cuts(strata_node *n, const char *sender, size_t cuts)
{
	strata_prune_result pr = { 0 };
	strata_buf trailers = STRATA_BUF_INIT;
	strata_link l;
	int error;

	if ((error = strata_view_settle(n, NULL, NULL, &pr)) < 0 || (error = strata_link_load(&l, n, sender)) < 0)
		return error;
	error = strata_buf_printf(&trailers, "Strata-Peer: %s\nStrata-Cut-Refs: %zu\nStrata-Objects-Kept: %zu\n", sender,
				  cuts, pr.objects);
	/* parcel files from it kept by hand (--keep) are out of the cut's reach: said, so someone deletes them */
	for (size_t i = 0; !error && i < l.nparcels; i++)
		if (l.parcels[i].kept && access(l.parcels[i].path, F_OK) == 0)
			error = strata_buf_printf(&trailers, "Strata-Kept-Parcel: %s\n", l.parcels[i].path);
	strata_link_dispose(&l);
	if (!error)
		error = strata_audit_append(n, "erasure-applied", "history cut received: the erased records removed here and "
					    "from the views built from them", trailers.ptr);
	strata_buf_dispose(&trailers);
	return error;
}

/* Steps 2 to 7 (1, the lock, is the caller's); the first refusal stops them. */
static int import_checked(strata_node *n, const strata_parcel *p, const char *what, const unsigned char *sha,
			  const char *via, strata_parcel_result *res)
{
	static int (*const steps[])(import_run *) = {
		step_sender, step_sequence, step_prerequisites, step_quarantine, step_objects, step_apply
	};
	import_run u = { { 0 } };
	int error = 0;

	u.c.n = n;
	u.c.p = p;
	u.c.what = what;
	u.c.r.what = what;
	u.c.r.sender = p->sender;
	u.c.r.recipient = strata_node_name(n);
	u.sha = sha;
	u.via = via;
	u.res = res;
	snprintf(res->peer, sizeof(res->peer), "%s", p->sender);
	res->sequence = p->sequence;
	res->nrefs = p->nrefs;
	res->objects = p->pack_objects;
	for (size_t i = 0; error == 0 && i < sizeof(steps) / sizeof(*steps); i++)
		error = steps[i](&u);
	/*
	 * A history cut accepted (an erasure upstream): what the refs held
	 * before is forgotten (their reflogs), every view built from them is
	 * cut the same way (view.c), and the objects nothing reaches any more
	 * leave the store.  The next parcel carries the cut views on.
	 */
	if (error == 0 && u.locals) {
		size_t cuts = 0;
		for (size_t i = 0; error == 0 && i < p->nrefs; i++)
			cuts += (size_t)u.locals[i].cut;
		if (error == 0 && cuts)
			error = apply_cuts(n, p->sender, cuts);
	}
	/* the sender's rotations, now that its parcel is accepted (or was already: a repeat carries them too) */
	for (size_t i = 0; error >= 0 && i < u.nrot; i++)
		error = strata_keys_accept_rotation(n, p->sender, &u.rot[i]);
	if (u.nrot)
		strata_peers_forget(n);	/* what was trusted for now goes; node.conf says the rest */
	if (error >= 0 && u.msg_refused) {
		error = strata_error_setc(u.msg_code, "'%s': the parcel was imported, but %s", what, u.msg_why);
	}
	git_repository_free(u.c.r.repo);
	git_odb_free(u.c.q_odb);
	git_odb_free(u.c.main_odb);
	if (u.qdir_made)
		strata_fs_rm_rf(u.qdir.ptr);
	for (size_t i = 0; u.locals && i < p->nrefs; i++)
		strata_buf_dispose(&u.locals[i].name);
	free(u.locals);
	strata_received_dispose(&u.c.r);
	strata_link_dispose(&u.link);
	strata_buf_dispose(&u.qdir);
	strata_buf_dispose(&u.idxpath);
	return error < 0 ? error : 0;
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
			 const char *from, const char *sealed_by, strata_parcel_result *res)
{
	if (!error && from && strcmp(p->sender, from))
		error = strata_error_setc(STRATA_EVERIFY, "'%s': parcel from '%s' delivered by '%s': a peer may push "
					  "only its own parcels", what, p->sender, from);
	if (!error && sealed_by && strcmp(p->sender, sealed_by))
		error = strata_error_setc(STRATA_EVERIFY, "'%s': a parcel from '%s' sealed as from '%s'", what, p->sender,
					  sealed_by);
	if (!error)
		error = import_checked(n, p, what, sha, from ? "https" : sealed_by ? "file-sealed" : "file", res);
	if (error < 0)
		refuse(n, what, p ? p->sender : NULL, error, strata_error_last());
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
	if ((error = strata_journal_lock(n)) < 0 || (error = strata_node_load_key(n)) < 0)
		return error;
	EVP_Digest(data, len, sha, NULL, EVP_sha256(), NULL);
	error = strata_parcel_parse(&p, what, data, len, NULL);
	return import_parsed(n, p, error, what, sha, from, NULL, res);
}

int strata_parcel_import_fd(strata_node *n, const char *what, int fd, const char *from, strata_parcel_result *res)
{
	strata_parcel *p = NULL;
	char sealed_by[64] = "";
	int opened = -1;
	unsigned char sha[32], *buf = NULL;
	char *spool = NULL;
	EVP_MD_CTX *md = NULL;
	struct stat st;
	uint64_t off = 0;
	int error;

	memset(res, 0, sizeof(*res));
	if ((error = strata_journal_lock(n)) < 0 || (error = strata_node_load_key(n)) < 0)
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
	if ((spool = strata_fs_path_join(strata_node_path(n), "tmp")) == NULL || (error = strata_fs_mkdir_p(spool, 0700)) < 0) {
		error = error < 0 ? error : STRATA_ERROR;
		goto done;
	}
	if ((error = strata_sealed_is(fd)) < 0)
		goto done;
	if (error == 1) {
		/* sealed to this node: opened into an unlinked file under NODE/tmp, then read as any parcel */
		strata_buf path = STRATA_BUF_INIT;
		unsigned char (*sk)[32] = NULL;
		size_t nsk = 0;
		strata_parcel_limits lim;
		strata_parcel_limits_default(&lim);
		if ((error = strata_buf_printf(&path, "%s/opened-XXXXXX", spool)) < 0)
			goto done;
		if ((opened = mkstemp(path.ptr)) < 0) {
			error = strata_error_sys(path.ptr);
			strata_buf_dispose(&path);
			goto done;
		}
		unlink(path.ptr);
		strata_buf_dispose(&path);
		if ((error = strata_keys_x25519_all(&sk, &nsk, n)) == 0)
			error = strata_sealed_open_fd(fd, opened, what, strata_node_name(n), (const unsigned char (*)[32])sk, nsk,
						      sealed_by, &lim);
		if (sk)
			OPENSSL_cleanse(sk, nsk * sizeof(*sk));
		free(sk);
		if (error < 0) {
			error = refuse(n, what, sealed_by[0] ? sealed_by : NULL, error, strata_error_last());
			goto done;
		}
		fd = opened;
	}
	error = strata_parcel_parse_fd(&p, what, fd, spool, NULL);
	error = import_parsed(n, p, error, what, sha, from, sealed_by[0] ? sealed_by : NULL, res);
	p = NULL;	/* freed by import_parsed */
done:
	if (opened >= 0)
		close(opened);
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
	max += (max / STRATA_SEALED_CHUNK + 1) * STRATA_HPKE_TAG_LEN + 8192;	/* sealed: a tag a chunk, the header */
	if ((error = strata_journal_lock(n)) < 0)
		return error;
	if (stat(path, &st) < 0) {
		int code = errno == ENOENT ? STRATA_ENOTFOUND : STRATA_ERROR;
		strata_error_set("cannot read '%s': %s", path, strerror(errno));
		return refuse(n, path, NULL, code, strata_error_last());
	}
	if (!S_ISREG(st.st_mode)) {
		strata_error_set("'%s' is not a regular file (%s); a parcel is a file", path,
				 S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" :
				 S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : _("a special file"));
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


int strata_parcel_evidence(strata_node *n, int (*cb)(const char *note, void *payload), void *payload)
{
	char *dir = strata_fs_path_join(strata_node_path(n), "evidence");
	DIR *d;
	struct dirent *e;
	int count = 0, error = 0;

	if (!dir)
		return strata_error_set("out of memory");
	if ((d = opendir(dir)) == NULL) {
		error = errno == ENOENT ? 0 : strata_error_sys(dir);
		free(dir);
		return error;
	}
	while (!error && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *path;
		if (len < 5 || strcmp(e->d_name + len - 4, ".txt"))
			continue;
		count++;
		if (cb && (path = strata_fs_path_join(dir, e->d_name)) != NULL) {
			error = cb(path, payload);
			free(path);
		}
	}
	closedir(d);
	free(dir);
	return error < 0 ? error : count;
}
