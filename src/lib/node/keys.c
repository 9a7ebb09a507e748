/*
 * keys.c - see keys.h.
 */
/* renameat2: _GNU_SOURCE, which configure defines for every file */
#include "strata/node/keys.h"
#include "strata/base/i18n.h"
#include "strata/base/time.h"
#include "strata/node/journal.h"
#include "strata/node/audit.h"
#include "strata/node/peers.h"
#include "strata/base/fs.h"
#include "strata/base/array.h"
#include "node_priv.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEYS_NEW "keys.new"

/* Drops ITEM from a "ITEM WORD TIME; ..." list and appends "ITEM WORD T": one entry per key. */
struct relist {
	const char *item;
	strata_buf *out;
	const char *word;
};

static int keep_others(const char *item, int64_t t, void *payload)
{
	struct relist *r = payload;
	if (!strcmp(item, r->item))
		return 0;
	return strata_buf_printf(r->out, "%s%s %s %lld", r->out->len ? "; " : "", item, r->word, (long long)t);
}

static int list_put(git_config *cfg, const char *var, const char *item, const char *word, int64_t t)
{
	git_config_entry *e = NULL;
	strata_buf out = STRATA_BUF_INIT;
	struct relist r = { item, &out, word };
	int error = 0;

	if (git_config_get_entry(&e, cfg, var) == 0)
		error = strata_peers_timed_parse(e->value, word, keep_others, &r);
	git_error_clear();
	if (!error)
		error = strata_buf_printf(&out, "%s%s %s %lld", out.len ? "; " : "", item, word, (long long)t);
	if (!error && git_config_set_string(cfg, var, out.ptr) < 0)
		error = strata_error_git("cannot write node.conf");
	git_config_entry_free(e);
	strata_buf_dispose(&out);
	return error;
}

/*
 * node.conf and keys/allowed_signers join the journal before they change
 * (a change of this one's own, `*own`, or the one in flight: a parcel
 * import accepting its sender's rotation), so that an error (a full disk)
 * leaves them as they were, and the audit event is the change's last step.
 */
static int conf_journal(strata_node *n, const char *op, const char *what, int *own)
{
	int error = strata_journal_conf_begin(n, op, what, own);
	if (!error && (error = strata_journal_add_file(n, "keys/allowed_signers")) < 0 && *own) {
		strata_journal_undo(n);
		*own = 0;
	}
	return error;
}

static int conf_journal_done(strata_node *n, int own, int error)
{
	if (own && error < 0)
		strata_journal_undo(n);
	else if (own)
		strata_journal_end(n);
	return error;
}

int strata_keys_rotations(strata_buf *out, strata_node *n)
{
	char *path = strata_fs_path_join(n->path, "keys/rotations");
	int error;

	if (!path)
		return STRATA_ERROR;
	error = strata_fs_read(out, path, (size_t)1 << 20);
	if (error == STRATA_ENOTFOUND) {
		strata_error_clear();
		error = strata_buf_puts(out, "");
	}
	free(path);
	return error;
}

static void forget(strata_node *n)
{
	free(n->trusted);
	n->trusted = NULL;
	n->ntrusted = 0;
	n->trusted_loaded = 0;
}

static int copy_file(const char *from, const char *to, int mode)
{
	strata_buf b = STRATA_BUF_INIT;
	int error = strata_fs_read(&b, from, (size_t)16 << 20);
	if (error == STRATA_ENOTFOUND) {
		strata_error_clear();
		return 0;
	}
	if (!error)
		error = strata_fs_write_atomic(to, b.ptr ? b.ptr : "", b.len, mode);
	strata_buf_dispose(&b);
	return error;
}

/* keys/retired/N.key, copied into the new keys/, then the current node.key as the next N. */
static int keep_retired(const char *keys, const char *next)
{
	char *from_dir = strata_fs_path_join(keys, "retired"), *to_dir = strata_fs_path_join(next, "retired");
	strata_buf from = STRATA_BUF_INIT, to = STRATA_BUF_INIT;
	int error = from_dir && to_dir ? 0 : STRATA_ERROR, count = 0;

	if (!error && mkdir(to_dir, 0700) < 0)
		error = strata_error_sys(to_dir);
	for (int i = 1; !error; i++) {
		strata_buf_clear(&from);
		strata_buf_clear(&to);
		if ((error = strata_buf_printf(&from, "%s/%d.key", from_dir, i)) < 0 ||
		    (error = strata_buf_printf(&to, "%s/%d.key", to_dir, i)) < 0)
			break;
		if (access(from.ptr, F_OK) < 0)
			break;
		if ((error = copy_file(from.ptr, to.ptr, 0600)) < 0)
			break;
		count = i;
	}
	strata_buf_clear(&from);
	strata_buf_clear(&to);
	if (!error && (error = strata_buf_printf(&from, "%s/node.key", keys)) == 0 &&
	    (error = strata_buf_printf(&to, "%s/%d.key", to_dir, count + 1)) == 0)
		error = copy_file(from.ptr, to.ptr, 0600);
	if (!error)
		error = strata_fs_fsync_dir(to_dir);
	free(from_dir);
	free(to_dir);
	strata_buf_dispose(&from);
	strata_buf_dispose(&to);
	return error;
}

int strata_keys_x25519_all(unsigned char (**out)[32], size_t *count, strata_node *n)
{
	unsigned char (*all)[32] = NULL;
	size_t k = 0, alloc = 0;
	strata_buf path = STRATA_BUF_INIT;
	int error;

	*out = NULL;
	*count = 0;
	if ((error = strata_node_load_key(n)) < 0 || (error = strata_array_grow(&all, &alloc, 1, 4)) < 0 ||
	    (error = strata_sign_key_x25519(all[k++], n->key)) < 0)
		goto done;
	for (int i = 1;; i++) {
		strata_key *old = NULL;
		strata_buf_clear(&path);
		if ((error = strata_buf_printf(&path, "%s/keys/retired/%d.key", n->path, i)) < 0)
			goto done;
		if (access(path.ptr, F_OK) < 0)
			break;
		if (strata_sign_key_load(&old, path.ptr) < 0) {
			strata_error_clear();	/* doctor names it; the others may still open the parcel */
			continue;
		}
		if ((error = strata_array_grow(&all, &alloc, k + 1, 4)) == 0)
			error = strata_sign_key_x25519(all[k++], old);
		strata_sign_key_free(old);
		if (error < 0)
			goto done;
	}
	*out = all;
	*count = k;
	all = NULL;
done:
	if (all) {
		OPENSSL_cleanse(all, alloc * sizeof(*all));
		free(all);
	}
	strata_buf_dispose(&path);
	return error;
}

int strata_keys_rotate(strata_node *n, strata_buf *old_fpr, strata_buf *new_fpr)
{
	strata_key *fresh = NULL, *old;
	strata_rotation r;
	strata_buf rot = STRATA_BUF_INIT, line = STRATA_BUF_INIT, pub = STRATA_BUF_INIT, tr = STRATA_BUF_INIT;
	char *keys = strata_fs_path_join(n->path, "keys"), *next = strata_fs_path_join(n->path, KEYS_NEW), *p = NULL;
	strata_pubkey old_pub = n->pub;
	int error, swapped = 0, own = 0;

	if (!keys || !next) {
		error = STRATA_ERROR;
		goto done;
	}
	if (!strata_node_locked(n)) {
		error = strata_error_set("key rotate: the node's write lock is not held");
		goto done;
	}
	if ((error = strata_node_load_key(n)) < 0 || (error = strata_sign_key_generate(&fresh)) < 0)
		goto done;
	memset(&r, 0, sizeof(r));
	snprintf(r.node, sizeof(r.node), "%s", n->name);
	r.old_key = n->pub;
	strata_sign_key_public(&r.new_key, fresh);
	/*
	 * From the next second: a commit the old key made in this one is still
	 * its own (commit times are whole seconds, and so is valid-before).
	 */
	r.time = strata_time_now() + 1;
	if ((error = strata_keys_rotations(&rot, n)) < 0 || (error = strata_rotation_write(&rot, &r, n->key, fresh)) < 0)
		goto done;
	/*
	 * 1. the old key retired in node.conf (harmless before the swap: the
	 * current key is trusted first), journalled: until the swap an error
	 * puts node.conf back.  The swap cannot be journalled (a directory), so
	 * the journal ends just before it; a kill between the two leaves a
	 * retired line naming the current key, which doctor finds and
	 * --repair removes, and a kill after the swap a rotation without its
	 * audit event, which --repair records.
	 */
	if ((error = strata_journal_conf_begin(n, "key-rotate", n->name, &own)) < 0)
		goto done;
	if ((error = strata_sign_pubkey_format(&line, &old_pub)) < 0 ||
	    (error = list_put(n->cfg, "node.retired", line.ptr, "before", r.time)) < 0)
		goto done;
	forget(n);
	/* 2. the new keys/ beside the old: key, public key, rotations, allowed_signers under the new key */
	strata_fs_rm_rf(next);
	if (mkdir(next, 0700) < 0) {
		error = strata_error_sys(next);
		goto done;
	}
	free(p);
	if ((p = strata_fs_path_join(next, "node.key")) == NULL || (error = strata_sign_key_save(fresh, p)) < 0)
		goto done;
	strata_buf_clear(&line);
	if ((error = strata_sign_pubkey_format(&line, &r.new_key)) < 0 ||
	    (error = strata_buf_printf(&pub, "%s %s\n", line.ptr, n->name)) < 0)
		goto done;
	free(p);
	if ((p = strata_fs_path_join(next, "node.pub")) == NULL || (error = strata_fs_write_atomic(p, pub.ptr, pub.len, 0644)) < 0)
		goto done;
	free(p);
	if ((p = strata_fs_path_join(next, "rotations")) == NULL || (error = strata_fs_write_atomic(p, rot.ptr, rot.len, 0644)) < 0)
		goto done;
	n->pub = r.new_key;
	free(p);
	if ((p = strata_fs_path_join(next, "allowed_signers")) == NULL ||
	    (error = strata_peers_write_allowed_signers_to(n, p)) < 0) {
		n->pub = old_pub;
		goto done;
	}
	n->pub = old_pub;
	/*
	 * The old private key is kept, under keys/retired, to open what peers
	 * sealed to it before they learned of the rotation; it signs nothing
	 * more.  (Delete keys/retired/ to be rid of it, once peers are up to date.)
	 */
	if ((error = keep_retired(keys, next)) < 0)
		goto done;
	/* anything else the operator keeps in keys/ goes along */
	{
		char *from = strata_fs_path_join(keys, "README"), *to = strata_fs_path_join(next, "README");
		if (from && to)
			copy_file(from, to, 0644);
		free(from);
		free(to);
	}
	if ((error = strata_fs_fsync_dir(next)) < 0)
		goto done;
	/* 3. one atomic exchange: before it the old key is the node's, after it the new one */
	if (own)
		strata_journal_end(n);
	own = 0;
	if (renameat2(AT_FDCWD, next, AT_FDCWD, keys, RENAME_EXCHANGE) < 0) {
		error = strata_error_sys("cannot put the new keys in place");
		goto done;
	}
	swapped = 1;
	if ((error = strata_fs_fsync_dir(n->path)) < 0)
		goto done;
	strata_fs_rm_rf(next);	/* the old keys/: its private key is under keys/retired now */
	old = n->key;
	n->key = fresh;
	fresh = old;
	n->pub = r.new_key;
	forget(n);
	/* 4. the event, signed by the new key */
	if ((error = strata_sign_pubkey_fingerprint(old_fpr, &old_pub)) < 0 ||
	    (error = strata_sign_pubkey_fingerprint(new_fpr, &r.new_key)) < 0 ||
	    (error = strata_buf_printf(&tr, "Strata-Old-Key: %s\nStrata-New-Key: %s\nStrata-Rotation-Time: %lld\n",
				       old_fpr->ptr, new_fpr->ptr, (long long)r.time)) < 0)
		goto done;
	error = strata_audit_append(n, "key-rotate", "node key rotated: the old key signed the new one in", tr.ptr);
done:
	if (error < 0 && !swapped && next)
		strata_fs_rm_rf(next);
	if (own)	/* before the swap: node.conf as it was */
		conf_journal_done(n, own, error < 0 ? error : STRATA_ERROR);

	strata_sign_key_free(fresh);
	free(keys);
	free(next);
	free(p);
	strata_buf_dispose(&rot);
	strata_buf_dispose(&line);
	strata_buf_dispose(&pub);
	strata_buf_dispose(&tr);
	return error;
}

int strata_keys_accept_rotation(strata_node *n, const char *peer, const strata_rotation *r)
{
	strata_buf var = STRATA_BUF_INIT, line = STRATA_BUF_INIT, tr = STRATA_BUF_INIT, of = STRATA_BUF_INIT,
		   nf = STRATA_BUF_INIT;
	int error, own = 0;

	if (!strata_node_locked(n))
		return strata_error_set("accepting a key rotation: the node's write lock is not held");
	if ((error = conf_journal(n, "peer-key-rotated", peer, &own)) < 0 ||
	    (error = strata_sign_pubkey_format(&line, &r->old_key)) < 0 ||
	    (error = strata_buf_printf(&var, "peer.%s.retired", peer)) < 0 ||
	    (error = list_put(n->cfg, var.ptr, line.ptr, "before", r->time)) < 0)
		goto done;
	strata_buf_clear(&line);
	strata_buf_clear(&var);
	if ((error = strata_sign_pubkey_format(&line, &r->new_key)) < 0 || (error = strata_buf_printf(&var, "peer.%s.key", peer)) < 0)
		goto done;
	if (git_config_set_string(n->cfg, var.ptr, line.ptr) < 0) {
		error = strata_error_git("cannot write node.conf");
		goto done;
	}
	forget(n);
	if ((error = strata_peers_write_allowed_signers(n)) < 0 ||
	    (error = strata_sign_pubkey_fingerprint(&of, &r->old_key)) < 0 ||
	    (error = strata_sign_pubkey_fingerprint(&nf, &r->new_key)) < 0 ||
	    (error = strata_buf_printf(&tr, "Strata-Peer: %s\nStrata-Old-Key: %s\nStrata-New-Key: %s\nStrata-Rotation-Time: %lld\n",
				       peer, of.ptr, nf.ptr, (long long)r->time)) < 0)
		goto done;
	error = strata_audit_append(n, "peer-key-rotated", "a peer's rotated key pinned, its old key kept for what it signed before", tr.ptr);
done:
	error = conf_journal_done(n, own, error);
	strata_buf_dispose(&var);
	strata_buf_dispose(&line);
	strata_buf_dispose(&tr);
	strata_buf_dispose(&of);
	strata_buf_dispose(&nf);
	return error;
}

struct has_fpr {
	const char *fpr;
	int found;
};

static int match_fpr(const char *item, int64_t t, void *payload)
{
	struct has_fpr *h = payload;
	strata_pubkey pk;
	strata_buf f = STRATA_BUF_INIT;
	(void)t;
	if (strata_sign_pubkey_parse(&pk, item) == 0 && strata_sign_pubkey_fingerprint(&f, &pk) == 0 && !strcmp(f.ptr, h->fpr))
		h->found = 1;
	strata_buf_dispose(&f);
	strata_error_clear();
	return 0;
}

int strata_keys_revoke(strata_node *n, const char *peer, const char *fpr, int64_t after, int *current)
{
	strata_buf v = STRATA_BUF_INIT, var = STRATA_BUF_INIT, tr = STRATA_BUF_INIT, f = STRATA_BUF_INIT;
	struct has_fpr h = { fpr, 0 };
	strata_pubkey pk;
	int error, own = 0;

	*current = 0;
	if (!strata_node_locked(n))
		return strata_error_set("key revoke: the node's write lock is not held");
	if (strata_peers_get(&v, n, peer, "key") < 0) {
		strata_buf_dispose(&v);
		return strata_peers_unknown(n, peer);
	}
	if (strata_sign_pubkey_parse(&pk, v.ptr) == 0 && strata_sign_pubkey_fingerprint(&f, &pk) == 0 && !strcmp(f.ptr, fpr))
		h.found = *current = 1;
	strata_buf_clear(&v);
	if (!h.found && strata_peers_get(&v, n, peer, "retired") == 0)
		strata_peers_timed_parse(v.ptr, "before", match_fpr, &h);
	strata_error_clear();
	if (!h.found) {
		error = strata_error_setc(STRATA_ENOTFOUND, "peer '%s' has no key %s (its fingerprints: 'strata peer show %s')",
					  peer, fpr, peer);
		goto done;
	}
	if ((error = conf_journal(n, "key-revoke", peer, &own)) < 0 ||
	    (error = strata_buf_printf(&var, "peer.%s.revoked", peer)) < 0 ||
	    (error = list_put(n->cfg, var.ptr, fpr, "after", after)) < 0)
		goto done;
	forget(n);
	if ((error = strata_peers_write_allowed_signers(n)) < 0 ||
	    (error = strata_buf_printf(&tr, "Strata-Peer: %s\nStrata-Key: %s\nStrata-Revoked-After: %lld\nStrata-Current-Key: %s\n",
				       peer, fpr, (long long)after, *current ? "yes" : "no")) < 0)
		goto done;
	error = strata_audit_append(n, "key-revoke", "a peer's key revoked: what it signs from then on is refused", tr.ptr);
done:
	error = conf_journal_done(n, own, error);
	strata_buf_dispose(&v);
	strata_buf_dispose(&var);
	strata_buf_dispose(&tr);
	strata_buf_dispose(&f);
	return error;
}

/* ---- doctor: what an interrupted rotation can leave ---- */

struct current_key {
	const strata_pubkey *pub;
	int found;
};

static int is_current(const char *item, int64_t t, void *payload)
{
	struct current_key *k = payload;
	strata_pubkey pk;
	(void)t;
	if (strata_sign_pubkey_parse(&pk, item) == 0 && !memcmp(pk.raw, k->pub->raw, sizeof(pk.raw)))
		k->found = 1;
	strata_error_clear();
	return 0;
}

/* The last rotation in keys/rotations that led to the node's current key (0 if none). */
struct last_rot {
	strata_rotation r;
	const strata_pubkey *pub;
	int found;
};

static int last_to_current(const char *text, size_t len, void *payload)
{
	struct last_rot *l = payload;
	strata_rotation r;
	if (strata_rotation_parse(&r, text, len) == 0 && !memcmp(r.new_key.raw, l->pub->raw, sizeof(r.new_key.raw))) {
		l->r = r;
		l->found = 1;
	}
	strata_error_clear();
	return 0;
}

struct has_event {
	const char *fpr;
	int found;
};

static int rotate_event(const strata_audit_event *ev, void *payload)
{
	struct has_event *h = payload;
	char want[200];
	if (strcmp(ev->event, "key-rotate"))
		return 0;
	snprintf(want, sizeof(want), "Strata-New-Key: %s\n", h->fpr);
	if (strstr(git_commit_message(ev->c), want))
		h->found = 1;
	return h->found;
}

/* Which of the two an interrupted rotation left: 1 a retired line naming the current key, 2 no audit event. */
static int rotation_left(strata_node *n, struct last_rot *l, strata_buf *fpr)
{
	git_config_entry *e = NULL;
	struct current_key k = { &n->pub, 0 };
	struct has_event h = { NULL, 0 };
	strata_buf rot = STRATA_BUF_INIT;
	int left = 0;

	if (git_config_get_entry(&e, n->cfg, "node.retired") == 0)
		strata_peers_timed_parse(e->value, "before", is_current, &k);
	git_config_entry_free(e);
	git_error_clear();
	strata_error_clear();
	if (k.found)
		left |= 1;
	l->pub = &n->pub;
	l->found = 0;
	if (strata_keys_rotations(&rot, n) == 0 && rot.len)
		strata_rotation_foreach(rot.ptr, rot.len, last_to_current, l);
	strata_error_clear();
	if (l->found && strata_sign_pubkey_fingerprint(fpr, &n->pub) == 0) {
		h.fpr = fpr->ptr;
		if (strata_audit_foreach(n, rotate_event, &h) == 0 && !h.found)
			left |= 2;
	}
	strata_error_clear();
	strata_buf_dispose(&rot);
	return left;
}

int strata_keys_check(strata_node *n, strata_problem_cb cb, void *payload)
{
	struct last_rot l;
	strata_buf fpr = STRATA_BUF_INIT;
	int left = rotation_left(n, &l, &fpr), problems = 0;

	if (left & 1) {
		cb(_("node.conf: node.retired"), _("node.retired names this node's current key: a key rotation stopped "
		   "before its keys were swapped in (a full disk?)"), _("strata doctor --repair (removes the line)"), payload);
		problems++;
	}
	if (left & 2) {
		cb(_("audit log"), _("the node's key was rotated (keys/rotations) but no audit event records it: the rotation "
		   "stopped after its keys were swapped in"), _("strata doctor --repair (records the event)"), payload);
		problems++;
	}
	strata_buf_dispose(&fpr);
	return problems;
}

int strata_keys_repair(strata_node *n)
{
	struct last_rot l;
	strata_buf fpr = STRATA_BUF_INIT, old = STRATA_BUF_INIT, tr = STRATA_BUF_INIT, line = STRATA_BUF_INIT;
	int left, error = 0, own = 0;

	if (!strata_node_locked(n))
		return strata_error_set("repairing keys: the node's write lock is not held");
	left = rotation_left(n, &l, &fpr);
	if (left & 1) {	/* the stray line goes, as one journalled change with its event */
		git_config_entry *e = NULL;
		strata_buf out = STRATA_BUF_INIT;
		struct relist r = { NULL, &out, "before" };
		if ((error = strata_sign_pubkey_format(&line, &n->pub)) < 0)
			goto done;
		r.item = line.ptr;
		if (git_config_get_entry(&e, n->cfg, "node.retired") == 0)
			error = strata_peers_timed_parse(e->value, "before", keep_others, &r);
		git_config_entry_free(e);
		git_error_clear();
		if (!error && !(error = strata_journal_conf_begin(n, "key-repair", n->name, &own))) {
			if (out.len ? git_config_set_string(n->cfg, "node.retired", out.ptr) < 0
				    : git_config_delete_entry(n->cfg, "node.retired") < 0)
				error = strata_error_git("cannot write node.conf");
			forget(n);
			if (!error)
				error = strata_audit_append(n, "key-repair", "a retired-key line naming the current key removed "
							    "(a key rotation that stopped before its swap)", NULL);
			error = conf_journal_done(n, own, error);
		}
		strata_buf_dispose(&out);
		if (error < 0)
			goto done;
	}
	if (left & 2) {
		if ((error = strata_sign_pubkey_fingerprint(&old, &l.r.old_key)) < 0 ||
		    (error = strata_buf_printf(&tr, "Strata-Old-Key: %s\nStrata-New-Key: %s\nStrata-Rotation-Time: %lld\n"
					       "Strata-Recorded-By: doctor --repair\n", old.ptr, fpr.ptr,
					       (long long)l.r.time)) < 0 ||
		    (error = strata_node_load_key(n)) < 0)
			goto done;
		error = strata_audit_append(n, "key-rotate", "node key rotated: the old key signed the new one in "
					    "(recorded after the rotation was interrupted)", tr.ptr);
	}
done:
	strata_buf_dispose(&fpr);
	strata_buf_dispose(&old);
	strata_buf_dispose(&tr);
	strata_buf_dispose(&line);
	return error;
}
