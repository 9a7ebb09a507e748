/*
 * journal.c - all-or-nothing for a change of several refs and one file
 * (see journal.h).  The journal is JSON:
 *   {"op": OP, "what": WHAT, "audit": HEX|null,
 *    "file": {"path": PATH, "old": TEXT|null} | null,   PATH relative to the node
 *    "refs": [{"name": REF, "old": HEX|null, "new": HEX}, ...]}
 * written with strata_fs_write_atomic (fsynced, then its directory), so
 * after a crash it is either whole or absent.
 */
#include "strata/node/journal.h"
#include "node_priv.h"
#include "strata/node/officers.h"
#include "strata/base/i18n.h"
#include "strata/node/audit.h"
#include "strata/base/fs.h"
#include "strata/node/refs.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#define JOURNAL_MAX ((size_t)4 << 20)	/* 4096 refs and a link file fit many times over */

static char *journal_path(strata_node *n)
{
	return strata_fs_path_join(strata_node_path(n), STRATA_JOURNAL);
}

/*
 * Room to undo.  Undoing a change writes too (each ref put back, its
 * reflog entry, a file restored), so on a full disk an undo could fail
 * where the change did.  Before a change begins, NODE/journal.reserve
 * takes RESERVE_BYTES; an undo frees it first.  If the reserve cannot be
 * written, the change is refused before anything moves.
 */
#define RESERVE_BYTES (64 * 1024)

static char *reserve_path(strata_node *n)
{
	return strata_fs_path_join(strata_node_path(n), STRATA_JOURNAL ".reserve");
}

static int reserve_take(strata_node *n)
{
	char *path = reserve_path(n), *zero = calloc(1, RESERVE_BYTES);
	int fd = -1, error = STRATA_ERROR;
	size_t done = 0;

	/* neither atomic nor synced: a reserve a crash cut short is harmless, and goes with the next settle */
	if (path && zero && (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		error = strata_error_sys(path);
	while (fd >= 0 && done < RESERVE_BYTES) {
		ssize_t k = write(fd, zero + done, RESERVE_BYTES - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			error = strata_error_sys(path);
			break;
		}
		done += (size_t)k;
	}
	if (fd >= 0 && close(fd) < 0 && done == RESERVE_BYTES)
		error = strata_error_sys(path);
	else if (done == RESERVE_BYTES)
		error = 0;
	if (error < 0 && path) {
		unlink(path);
		error = strata_error_set("not enough free space to make a change safely (%s); free some and run it "
					 "again: nothing was changed", strata_error_last());
	}
	free(zero);
	free(path);
	return error;
}

static void reserve_free(strata_node *n)
{
	char *path = reserve_path(n);
	if (path)
		unlink(path);
	free(path);
}

static json_t *oid_json(const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	return json_string(git_oid_tostr(hex, sizeof(hex), id));
}

/* A path relative to the node directory, going nowhere above it. */
static int file_path_valid(const char *p)
{
	if (!*p || p[0] == '/')
		return 0;
	for (const char *c = p; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
		if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == '\0'))
			return 0;
	return 1;
}

/*
 * The file a journal restores, relative to the node: "file" (path), or in
 * a journal written before the journal knew files by path, "link" (the
 * link file of a peer, links/PEER.json).
 */
static int journal_file(strata_buf *out, json_t *j)
{
	json_t *f = json_object_get(j, "file"), *l = json_object_get(j, "link");
	const char *path = json_string_value(json_object_get(f, "path"));
	const char *peer = json_string_value(json_object_get(l, "peer"));
	if (json_is_object(f) && path && file_path_valid(path))
		return strata_buf_puts(out, path) < 0 ? -1 : 1;
	if (json_is_object(l) && peer && !strchr(peer, '/') && strcmp(peer, "..") && strcmp(peer, "."))
		return strata_buf_printf(out, "links/%s.json", peer) < 0 ? -1 : 1;
	return json_is_object(f) || json_is_object(l) ? strata_error_set("journal: a file entry without a valid path") : 0;
}

/* The audit head as hex, or "" when there is no audit log yet. */
static int audit_head(char *out, strata_node *n)
{
	git_oid id;
	int rc = git_reference_name_to_id(&id, strata_node_repo(n), STRATA_REF_AUDIT);
	out[0] = '\0';
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0)
		return strata_error_git("cannot read the audit log's head");
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, &id);
	return 0;
}

int strata_journal_begin(strata_node *n, const char *op, const char *what, const char *file,
			 const strata_journal_ref *refs, size_t nrefs)
{
	char *path = journal_path(n), *lpath = NULL, *text = NULL, head[GIT_OID_HEXSZ + 1];
	json_t *root = json_object(), *arr = json_array();
	strata_buf old = STRATA_BUF_INIT;
	int error = STRATA_ERROR;

	if (!path || !root || !arr)
		goto done;
	if (access(path, F_OK) == 0) {
		error = strata_error_set("'%s': a change interrupted earlier is still journalled; lock the node again to settle it",
				 path);
		goto done;
	}
	if ((error = audit_head(head, n)) < 0 || (error = reserve_take(n)) < 0)
		goto done;
	json_object_set_new(root, "op", json_string(op));
	json_object_set_new(root, "what", json_string(what));
	json_object_set_new(root, "audit", *head ? json_string(head) : json_null());
	if (file) {
		json_t *l;
		if (!file_path_valid(file)) {
			error = strata_error_set("journal: '%s' is no path inside the node", file);
			goto done;
		}
		if ((lpath = strata_fs_path_join(strata_node_path(n), file)) == NULL) {
			error = STRATA_ERROR;
			goto done;
		}
		if (access(lpath, F_OK) == 0 && (error = strata_fs_read(&old, lpath, JOURNAL_MAX / 2)) < 0)
			goto done;
		l = json_object();
		json_object_set_new(l, "path", json_string(file));
		json_object_set_new(l, "old", old.ptr ? json_stringn(old.ptr, old.len) : json_null());
		json_object_set_new(root, "file", l);
	} else {
		json_object_set_new(root, "file", json_null());
	}
	for (size_t i = 0; i < nrefs; i++) {
		json_t *r = json_object();
		json_object_set_new(r, "name", json_string(refs[i].name));
		json_object_set_new(r, "old", refs[i].exists ? oid_json(&refs[i].old) : json_null());
		json_object_set_new(r, "new", oid_json(&refs[i].target));
		json_array_append_new(arr, r);
	}
	json_object_set(root, "refs", arr);
	if ((text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL) {
		error = strata_error_set("cannot encode the journal");
		goto done;
	}
	/* nothing has moved yet: a journal that failed to be written whole must not stay */
	if ((error = strata_fs_write_atomic(path, text, strlen(text), 0644)) < 0) {
		unlink(path);
		reserve_free(n);
	}
done:
	free(path);
	free(lpath);
	free(text);
	json_decref(root);
	json_decref(arr);
	strata_buf_dispose(&old);
	return error;
}

static int remove_journal(strata_node *n)
{
	char *path = journal_path(n);
	int error = 0;
	if (!path)
		return STRATA_ERROR;
	if (unlink(path) < 0 && errno != ENOENT)
		error = strata_error_sys(path);
	else
		error = strata_fs_fsync_dir(strata_node_path(n));
	free(path);
	return error;
}

void strata_journal_end(strata_node *n)
{
	remove_journal(n);
	reserve_free(n);
	strata_error_clear();
}

/* Reads NODE/journal: 1 and *out, 0 if there is none, <0 if it cannot be read. */
static int journal_read(json_t **out, strata_node *n)
{
	char *path = journal_path(n);
	strata_buf text = STRATA_BUF_INIT;
	json_error_t jerr;
	json_t *root = NULL, *refs;
	int error = STRATA_ERROR;

	*out = NULL;
	if (!path)
		return STRATA_ERROR;
	if (access(path, F_OK) < 0) {
		error = 0;
		goto done;
	}
	if ((error = strata_fs_read(&text, path, JOURNAL_MAX)) < 0)
		goto done;
	root = json_loadb(text.ptr ? text.ptr : "", text.len, 0, &jerr);
	refs = root ? json_object_get(root, "refs") : NULL;
	if (!root || !json_is_string(json_object_get(root, "op")) || !json_is_array(refs)) {
		error = strata_error_set("'%s' is damaged (%s); move it aside to use the node, and check the refs it names",
				 path, root ? _("fields missing") : jerr.text);
		goto done;
	}
	for (size_t i = 0; i < json_array_size(refs); i++) {
		json_t *r = json_array_get(refs, i);
		git_oid id;
		if (!json_is_string(json_object_get(r, "name")) || !json_is_string(json_object_get(r, "new")) ||
		    git_oid_fromstr(&id, json_string_value(json_object_get(r, "new"))) < 0) {
			git_error_clear();
			error = strata_error_set("'%s' is damaged (refs[%zu]); move it aside to use the node", path, i);
			goto done;
		}
	}
	*out = root;
	root = NULL;	/* transferred */
	error = 1;
done:
	json_decref(root);
	strata_buf_dispose(&text);
	free(path);
	return error;
}

/* Puts a file of the node back as it was (`old` a string), or away (null: it did not exist). */
static int restore_file(strata_node *n, const char *relpath, json_t *old)
{
	char *rel = strdup(relpath), *lpath = strata_fs_path_join(strata_node_path(n), relpath), *slash, *dir;
	int error = 0;

	if (!rel || !lpath) {
		free(rel);
		free(lpath);
		return strata_error_set("out of memory");
	}
	slash = strrchr(rel, '/');
	if (slash)
		*slash = '\0';
	dir = strata_fs_path_join(strata_node_path(n), slash ? rel : ".");
	if (!dir)
		error = STRATA_ERROR;
	else if (json_is_string(old))
		error = strata_fs_write_atomic(lpath, json_string_value(old), json_string_length(old), 0644);
	else if (unlink(lpath) == 0)
		error = strata_fs_fsync_dir(dir);
	else if (errno != ENOENT)
		error = strata_error_sys(lpath);
	/* the node's own reading of node.conf follows the file put back (node_priv.h) */
	if (!error && !strcmp(relpath, "node.conf"))
		error = strata_node_conf_reopen(n);
	free(rel);
	free(lpath);
	free(dir);
	return error;
}

/* Puts every ref still at its new value back, and the old files. */
static int undo(strata_node *n, json_t *j)
{
	json_t *refs = json_object_get(j, "refs"), *file = json_object_get(j, "file");
	strata_buf rel = STRATA_BUF_INIT;
	int error = 0, has_file;

	if (!json_is_object(file))
		file = json_object_get(j, "link");
	if ((has_file = journal_file(&rel, j)) < 0)
		return has_file;
	for (size_t i = 0; !error && i < json_array_size(refs); i++) {
		json_t *r = json_array_get(refs, i);
		const char *name = json_string_value(json_object_get(r, "name"));
		const char *old = json_string_value(json_object_get(r, "old"));
		git_oid now, target, was;
		git_reference *ref = NULL;

		git_oid_fromstr(&target, json_string_value(json_object_get(r, "new")));
		if (git_reference_name_to_id(&now, strata_node_repo(n), name) < 0) {
			git_error_clear();
			/* a deletion (new: zero) that happened: the ref comes back; else it never moved */
			if (git_oid_is_zero(&target) && old && git_oid_fromstr(&was, old) == 0 &&
			    git_reference_create(&ref, strata_node_repo(n), name, &was, 0, "strata: interrupted change undone") < 0)
				error = strata_error_git("cannot put a ref back");
			git_reference_free(ref);
			continue;
		}
		if (!git_oid_equal(&now, &target))
			continue;	/* never moved, or already back */
		if (old && git_oid_fromstr(&was, old) == 0)
			error = git_reference_create(&ref, strata_node_repo(n), name, &was, 1, "strata: interrupted change undone");
		else if ((error = git_reference_lookup(&ref, strata_node_repo(n), name)) == 0)
			error = git_reference_delete(ref);
		git_reference_free(ref);
		if (error < 0)
			error = strata_error_git("cannot put a ref back");
	}
	if (!error && has_file)
		error = restore_file(n, rel.ptr, json_object_get(file, "old"));
	/* the files added to the change as it went (strata_journal_add_file) */
	for (size_t i = 0; !error && i < json_array_size(json_object_get(j, "files")); i++) {
		json_t *f = json_array_get(json_object_get(j, "files"), i);
		const char *path = json_string_value(json_object_get(f, "path"));
		if (!path || !file_path_valid(path))
			error = strata_error_set("journal: a file entry without a valid path");
		else
			error = restore_file(n, path, json_object_get(f, "old"));
	}
	strata_buf_dispose(&rel);
	return error < 0 ? error : remove_journal(n);
}

/*
 * An audit append a crash cut short can leave its reflog entry written and
 * the ref not moved: the audit check would then see the log moved without
 * a reflog entry.  With the journal as proof that a change was in flight
 * from `was`, entries past `was` are that change's, and go.
 */
static int trim_audit_reflog(strata_node *n, const char *was)
{
	git_reflog *log = NULL;
	git_oid head;
	size_t dropped = 0;
	int error = 0;

	if (was && git_oid_fromstr(&head, was) < 0)
		return strata_error_set("journal: bad audit head '%s'", was);
	if (git_reflog_read(&log, strata_node_repo(n), STRATA_REF_AUDIT) < 0)
		return strata_error_git("cannot read the audit log's reflog");
	while (git_reflog_entrycount(log) > 0 &&
	       (!was || !git_oid_equal(git_reflog_entry_id_new(git_reflog_entry_byindex(log, 0)), &head))) {
		if (git_reflog_drop(log, 0, 0) < 0) {
			error = strata_error_git("cannot trim the audit log's reflog");
			break;
		}
		dropped++;
	}
	if (!error && dropped && git_reflog_write(log) < 0)
		error = strata_error_git("cannot write the audit log's reflog");
	git_reflog_free(log);
	return error;
}

/*
 * Settles a journal: if the audit head moved since it was written, the
 * change's event is in and the change is whole (*undone = 0); otherwise
 * it is undone (*undone = 1).  Either way the journal goes.
 */
static int settle(strata_node *n, json_t *j, int *undone)
{
	const char *was = json_string_value(json_object_get(j, "audit"));
	char head[GIT_OID_HEXSZ + 1];
	int rc;

	*undone = 0;
	reserve_free(n);	/* the room an undo needs */
	if ((rc = audit_head(head, n)) < 0)
		return rc;
	if (strcmp(head, was ? was : "") != 0)
		return remove_journal(n);
	*undone = 1;
	if ((rc = trim_audit_reflog(n, was)) < 0)
		return rc;
	return undo(n, j);
}

int strata_journal_undo(strata_node *n)
{
	json_t *j = NULL;
	char *msg = strdup(strata_error_last());
	int undone = 0, rc = journal_read(&j, n);

	if (rc > 0)
		rc = settle(n, j, &undone);
	json_decref(j);
	if (msg) {
		if (rc < 0)
			strata_error_set("%s (and undoing it failed: %s; the next lock retries)", msg, strata_error_last());
		else
			strata_error_set("%s (%s)", msg, undone ? "undone" : _("though the change is complete: its audit event is in"));
		free(msg);
	}
	return rc < 0 ? rc : 0;
}

int strata_journal_pending(strata_node *n, char *op, size_t opsz, char *what, size_t whatsz)
{
	json_t *j = NULL;
	int rc = journal_read(&j, n);
	if (rc > 0) {
		const char *w = json_string_value(json_object_get(j, "what"));
		snprintf(op, opsz, "%s", json_string_value(json_object_get(j, "op")));
		snprintf(what, whatsz, "%s", w ? w : "");
	}
	json_decref(j);
	return rc;
}

int strata_journal_recover(strata_node *n)
{
	json_t *j = NULL;
	int undone = 0, rc = journal_read(&j, n);

	if (rc <= 0)
		return rc;
	if ((rc = settle(n, j, &undone)) == 0 && undone) {
		const char *what = json_string_value(json_object_get(j, "what"));
		strata_audit_refusal(n, json_string_value(json_object_get(j, "op")), what ? what : "", NULL,
				     "interrupted (a crash or power loss) before it completed; undone");
	}
	json_decref(j);
	return rc;
}

int strata_journal_lock(strata_node *n)
{
	int error;

	if (strata_node_locked(n))
		return 0;
	if ((error = strata_node_flock(n)) < 0)
		return error;
	/*
	 * A node with officers: no change without someone named to make it
	 * (officers.h); then a change a crash interrupted is settled before
	 * any other starts.
	 */
	if ((error = strata_officers_gate(n)) < 0 || (error = strata_journal_recover(n)) < 0)
		strata_node_unlock(n);
	return error;
}

/* --- a cut owed (journal.h) --- */

int strata_journal_owe_cut(strata_node *n, const char *what)
{
	char *path = strata_fs_path_join(strata_node_path(n), STRATA_CUT_OWED);
	strata_buf text = STRATA_BUF_INIT;
	int error;

	if (!path)
		return strata_error_set("out of memory");
	if ((error = strata_buf_printf(&text, "%s\n", what)) == 0)
		error = strata_fs_write_atomic(path, text.ptr, text.len, 0600);
	strata_buf_dispose(&text);
	free(path);
	return error;
}

int strata_journal_cut_owed(strata_node *n, char *what, size_t size)
{
	char *path = strata_fs_path_join(strata_node_path(n), STRATA_CUT_OWED);
	strata_buf text = STRATA_BUF_INIT;
	int error;

	if (!path)
		return strata_error_set("out of memory");
	error = strata_fs_read(&text, path, 4096);
	free(path);
	if (error == STRATA_ENOTFOUND) {
		strata_error_clear();
		strata_buf_dispose(&text);
		return 0;
	}
	if (error < 0) {
		strata_buf_dispose(&text);
		return error;
	}
	if (what && size)
		snprintf(what, size, "%.*s", (int)strcspn(text.ptr ? text.ptr : "", "\n"), text.ptr ? text.ptr : "");
	strata_buf_dispose(&text);
	return 1;
}

int strata_journal_cut_paid(strata_node *n)
{
	char *path = strata_fs_path_join(strata_node_path(n), STRATA_CUT_OWED);
	int error = 0;

	if (!path)
		return strata_error_set("out of memory");
	if (unlink(path) < 0 && errno != ENOENT)
		error = strata_error_sys(path);
	else
		error = strata_fs_fsync_dir(strata_node_path(n));
	free(path);
	return error;
}

int strata_journal_add_file(strata_node *n, const char *file)
{
	char *path = journal_path(n), *lpath = NULL, *text = NULL;
	json_t *j = NULL, *files, *f;
	strata_buf old = STRATA_BUF_INIT, rel = STRATA_BUF_INIT;
	int rc, error = STRATA_ERROR;

	if (!path)
		return STRATA_ERROR;
	if ((rc = journal_read(&j, n)) <= 0) {
		error = rc < 0 ? rc : strata_error_set("journal: no change is journalled to add '%s' to", file);
		goto done;
	}
	if (!file_path_valid(file)) {
		error = strata_error_set("journal: '%s' is no path inside the node", file);
		goto done;
	}
	/* already in the change: its first old content is the one to restore */
	if ((rc = journal_file(&rel, j)) > 0 && !strcmp(rel.ptr, file)) {
		error = 0;
		goto done;
	}
	if (!json_is_array(files = json_object_get(j, "files"))) {
		files = json_array();
		json_object_set_new(j, "files", files);
	}
	for (size_t i = 0; i < json_array_size(files); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(files, i), "path")) ?: "", file)) {
			error = 0;
			goto done;
		}
	if ((lpath = strata_fs_path_join(strata_node_path(n), file)) == NULL)
		goto done;
	if (access(lpath, F_OK) == 0 && (error = strata_fs_read(&old, lpath, JOURNAL_MAX / 2)) < 0)
		goto done;
	f = json_object();
	json_object_set_new(f, "path", json_string(file));
	json_object_set_new(f, "old", old.ptr ? json_stringn(old.ptr, old.len) : json_null());
	json_array_append_new(files, f);
	if ((text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL) {
		error = strata_error_set("cannot encode the journal");
		goto done;
	}
	/* the journal is replaced whole: before, the change without this file; after, with it */
	error = strata_fs_write_atomic(path, text, strlen(text), 0644);
done:
	json_decref(j);
	free(path);
	free(lpath);
	free(text);
	strata_buf_dispose(&old);
	strata_buf_dispose(&rel);
	return error;
}

int strata_journal_conf_begin(strata_node *n, const char *op, const char *what, int *own)
{
	char *path = journal_path(n);
	int inside = path && access(path, F_OK) == 0, error;

	free(path);
	*own = 0;
	if (inside)	/* a change already journalled (a parcel import accepting a peer's rotation): node.conf joins it */
		return strata_journal_add_file(n, "node.conf");
	if ((error = strata_journal_begin(n, op, what, "node.conf", NULL, 0)) == 0)
		*own = 1;
	return error;
}
