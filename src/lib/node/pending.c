/*
 * pending.c - changes that wait for a second officer (pending.h).
 */
#include "strata/node/pending.h"
#include "strata/base/array.h"
#include "strata/base/buf.h"
#include "strata/base/digest.h"
#include "strata/base/enc.h"
#include "strata/base/fs.h"
#include "strata/base/i18n.h"
#include "strata/base/time.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"
#include "strata/node/officers.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int valid_id(const char *id)
{
	return strlen(id) == 16 && strspn(id, "0123456789abcdef") == 16;
}

static char *pending_path(strata_node *n, const char *id)
{
	char rel[64];
	snprintf(rel, sizeof(rel), STRATA_PENDING_DIR "/%s.json", id);
	return strata_fs_path_join(strata_node_path(n), rel);
}

int strata_pending_required(strata_node *n, const char *kind)
{
	strata_buf b = STRATA_BUF_INIT;
	char key[64];
	long v = 1;

	snprintf(key, sizeof(key), "approval.%s", kind);
	if (strata_node_conf_get(&b, n, key) == 0 && b.ptr)
		v = strtol(b.ptr, NULL, 10);
	strata_error_clear();
	strata_buf_dispose(&b);
	return v >= 2 ? 2 : 1;
}

int strata_pending_set_required(strata_node *n, const char *kind, int count)
{
	char key[64], v[8];

	if (count < 1 || count > 2)
		return strata_error_set("approval: 1 or 2 officers, not %d", count);
	if (strcmp(kind, "erase"))
		return strata_error_set("approval: '%s' is not a kind of change a node sets (erase)", kind);
	snprintf(key, sizeof(key), "approval.%s", kind);
	snprintf(v, sizeof(v), "%d", count);
	return strata_node_conf_set(n, key, count == 1 ? "" : v);
}

static int file_digest(char hex[65], const strata_buf *text)
{
	unsigned char d[32];
	if (strata_digest_sha256(d, text->ptr, text->len) < 0)
		return STRATA_ERROR;
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return 0;
}

int strata_pending_propose(char id[17], strata_node *n, const char *kind, const char *summary, json_t *body)
{
	const strata_officer *who = strata_officers_actor(n);
	unsigned char raw[8], salt[16];
	char nonce[33];
	char *dir = NULL, *path = NULL, *text = NULL, digest[65], when[32];
	strata_buf file = STRATA_BUF_INIT, tr = STRATA_BUF_INIT;
	json_t *o = NULL;
	int error;

	if (!strata_node_locked(n))
		return strata_error_set("propose: the node's write lock is not held");
	if (!who)
		return strata_error_set("a change that waits for a second officer is proposed by a named officer (--as)");
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return strata_error_ssl("no randomness for a proposal's id");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	/* the file's digest goes into the log: a nonce keeps it from confirming a guess of what it holds (an erased key) */
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return strata_error_ssl("no randomness for a proposal's nonce");
	for (size_t i = 0; i < sizeof(salt); i++)
		snprintf(nonce + 2 * i, 3, "%02x", salt[i]);
	snprintf(when, sizeof(when), "%lld", (long long)strata_time_now());
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "id", id, "kind", kind, "summary", summary, "proposer",
		      who->name, "proposer_key", who->fpr, "created", when, "nonce", nonce, "body", body);
	if (!o || (text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL ||
	    (dir = strata_fs_path_join(strata_node_path(n), STRATA_PENDING_DIR)) == NULL ||
	    (path = pending_path(n, id)) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if ((error = strata_buf_printf(&file, "%s\n", text)) < 0 || (error = file_digest(digest, &file)) < 0 ||
	    (error = strata_fs_mkdir_p(dir, 0700)) < 0 ||
	    (error = strata_fs_write_atomic(path, file.ptr, file.len, 0600)) < 0)
		goto done;
	if ((error = strata_buf_printf(&tr, "Strata-Pending: %s\nStrata-Pending-Kind: %s\nStrata-Pending-Digest: %s\n",
				       id, kind, digest)) < 0 ||
	    (error = strata_audit_append(n, "change-proposed", summary, tr.ptr)) < 0)
		unlink(path);	/* no event, no proposal */
done:
	json_decref(o);
	free(text);
	free(dir);
	free(path);
	strata_buf_dispose(&file);
	strata_buf_dispose(&tr);
	return error;
}

static int parse(strata_pending *p, const strata_buf *text, const char *where)
{
	json_error_t je;
	json_t *o = json_loadb(text->ptr, text->len, 0, &je), *v;
	const char *s;

	memset(p, 0, sizeof(*p));
	if (!o || !json_is_object(o)) {
		json_decref(o);
		return strata_error_set("%s:%d: not a pending change: %s", where, je.line, je.text);
	}
#define STR(field, key)                                                                       \
	if (!(s = json_string_value(json_object_get(o, key)))) {                              \
		json_decref(o);                                                               \
		return strata_error_set("%s: not a pending change: no '%s'", where, key); \
	}                                                                                     \
	snprintf(p->field, sizeof(p->field), "%s", s)
	STR(id, "id");
	STR(kind, "kind");
	STR(summary, "summary");
	STR(proposer, "proposer");
	STR(proposer_fpr, "proposer_key");
#undef STR
	if ((s = json_string_value(json_object_get(o, "created"))) != NULL)
		p->created = strtoll(s, NULL, 10);
	if (!(v = json_object_get(o, "body")) || !json_is_object(v)) {
		json_decref(o);
		return strata_error_set("%s: not a pending change: no body", where);
	}
	p->body = json_incref(v);
	json_decref(o);
	return 0;
}

/* what the log's change-proposed events say of the waiting files: one walk for them all */
typedef struct {
	char id[17];
	char digest[65];	/* the file's, then (found) the event's */
	int found;
} proposal;

typedef struct {
	proposal *p;
	size_t count, left;
} find_ctx;

static int find_proposals(const strata_audit_event *ev, void *payload)
{
	find_ctx *f = payload;
	char v[80];

	if (strcmp(ev->event, "change-proposed") || !strata_commit_trailer(ev->c, "Strata-Pending", v, sizeof(v)))
		return 0;
	for (size_t i = 0; i < f->count; i++)
		if (!f->p[i].found && !strcmp(v, f->p[i].id)) {
			char signed_digest[65] = "";
			strata_commit_trailer(ev->c, "Strata-Pending-Digest", signed_digest, sizeof(signed_digest));
			/* the file as proposed, or not: either way the newest proposal under its id decides */
			f->p[i].found = signed_digest[0] && !strcmp(signed_digest, f->p[i].digest) ? 1 : -1;
			f->left--;
		}
	return f->left == 0;	/* 1 stops the walk */
}

/* NODE/pending/ID.json read and parsed into *out, its digest into pr (not yet checked) */
static int read_one(strata_pending *out, proposal *pr, strata_node *n, const char *id)
{
	strata_buf text = STRATA_BUF_INIT;
	char *path;
	int error;

	memset(out, 0, sizeof(*out));
	memset(pr, 0, sizeof(*pr));
	if (!valid_id(id))
		return strata_error_setc(STRATA_ENOTFOUND, "'%s' is not a pending change's id (16 hex digits, as 'strata "
					 "approve' lists them)", id);
	snprintf(pr->id, sizeof(pr->id), "%s", id);
	if ((path = pending_path(n, id)) == NULL)
		return strata_error_set("out of memory");
	error = strata_fs_read(&text, path, 1 << 20);
	if (error == STRATA_ENOTFOUND || (error < 0 && errno == ENOENT))
		error = strata_error_setc(STRATA_ENOTFOUND, "no change waits under '%s' (approved, refused, or never "
					  "proposed: 'strata approve' lists those that wait)", id);
	else if (error == 0 && (error = parse(out, &text, path)) == 0 && (error = file_digest(pr->digest, &text)) == 0 &&
		 strcmp(out->id, id))
		pr->digest[0] = '\0';	/* a file under another's name: nothing signed can match */
	if (error < 0)
		strata_pending_dispose(out);
	free(path);
	strata_buf_dispose(&text);
	return error;
}

/* the files read are what their proposers signed, each; the first that is not, refused */
static int check_all(strata_node *n, strata_pending *list, proposal *pr, size_t count)
{
	find_ctx f = { pr, count, count };
	int error;

	if (count && (error = strata_audit_foreach(n, find_proposals, &f)) < 0)
		return error;
	for (size_t i = 0; i < count; i++)
		if (pr[i].found != 1) {
			char *path = pending_path(n, list[i].id[0] ? list[i].id : pr[i].id);
			error = strata_error_setc(STRATA_EVERIFY, "%s is not what its proposer signed (%s): it was changed, "
						  "or never proposed here; nothing is done", path ? path : pr[i].id,
						  pr[i].found ? _("its digest differs") : _("no change-proposed event names it"));
			free(path);
			return error;
		}
	return 0;
}

int strata_pending_get(strata_pending *out, strata_node *n, const char *id)
{
	proposal pr;
	int error;

	if ((error = read_one(out, &pr, n, id)) < 0)
		return error;
	if ((error = check_all(n, out, &pr, 1)) < 0)
		strata_pending_dispose(out);
	return error;
}

void strata_pending_dispose(strata_pending *p)
{
	json_decref(p->body);
	p->body = NULL;
}

static int cmp_created(const void *a, const void *b)
{
	const strata_pending *x = a, *y = b;
	return x->created < y->created ? -1 : x->created > y->created ? 1 : strcmp(x->id, y->id);
}

int strata_pending_list(strata_pending **out, size_t *count, strata_node *n)
{
	char *dir = strata_fs_path_join(strata_node_path(n), STRATA_PENDING_DIR);
	strata_pending *all = NULL;
	proposal *pr = NULL;
	size_t k = 0, alloc = 0, pr_alloc = 0;
	DIR *d;
	struct dirent *e;
	int error = 0;

	*out = NULL;
	*count = 0;
	if (!dir)
		return strata_error_set("out of memory");
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return errno == ENOENT ? 0 : strata_error_sys("cannot read pending/");
	}
	while (!error && (e = readdir(d)) != NULL) {
		char id[17];
		size_t len = strlen(e->d_name);
		if (len != 21 || strcmp(e->d_name + 16, ".json"))
			continue;
		snprintf(id, sizeof(id), "%.16s", e->d_name);
		if (!valid_id(id))
			continue;
		if ((error = strata_array_grow(&all, &alloc, k + 1, 4)) < 0 ||
		    (error = strata_array_grow(&pr, &pr_alloc, k + 1, 4)) < 0)
			break;
		if ((error = read_one(&all[k], &pr[k], n, id)) == 0)
			k++;
	}
	closedir(d);
	free(dir);
	if (!error)
		error = check_all(n, all, pr, k);
	free(pr);
	if (error) {
		strata_pending_list_free(all, k);
		return error;
	}
	if (k)
		qsort(all, k, sizeof(*all), cmp_created);
	*out = all;
	*count = k;
	return 0;
}

void strata_pending_list_free(strata_pending *list, size_t count)
{
	for (size_t i = 0; list && i < count; i++)
		strata_pending_dispose(&list[i]);
	free(list);
}

static int may_decide(strata_node *n, const strata_pending *p, const char *what)
{
	const strata_officer *who = strata_officers_actor(n);
	int error;

	if ((error = strata_officers_permit(n, STRATA_ROLE_OFFICER, what)) < 0)
		return error;
	if (!who)
		return strata_error_setc(STRATA_EDENIED, "a change that waits is approved or refused by a named officer (--as)");
	if (!strcmp(who->name, p->proposer))
		return strata_error_setc(STRATA_EDENIED, "'%s' proposed %s: a second officer approves or refuses it, "
					 "not the same one", who->name, p->id);
	return 0;
}

int strata_pending_begin(strata_node *n, const strata_pending *p)
{
	char note[256];
	int error;

	if ((error = may_decide(n, p, _("approve a change"))) < 0)
		return error;
	snprintf(note, sizeof(note), "Strata-Approves: %s\nStrata-Proposed-By: %s <%s>\n", p->id, p->proposer,
		 p->proposer_fpr);
	return strata_officers_note(n, note);
}

int strata_pending_end(strata_node *n, const strata_pending *p)
{
	char *path = pending_path(n, p->id);
	int error = 0;

	strata_officers_note(n, NULL);
	if (!path)
		return strata_error_set("out of memory");
	if (unlink(path) < 0 && errno != ENOENT)
		error = strata_error_sys("cannot remove a pending change");
	free(path);
	return error;
}

int strata_pending_refuse(strata_node *n, const strata_pending *p, const char *reason)
{
	strata_buf tr = STRATA_BUF_INIT;
	char *path = pending_path(n, p->id);
	int error;

	if (!path)
		return strata_error_set("out of memory");
	if (!strata_node_locked(n))
		error = strata_error_set("refuse: the node's write lock is not held");
	else if ((error = may_decide(n, p, _("refuse a change"))) == 0 && !*reason)
		error = strata_error_set("a refusal says why: --reason TEXT");
	for (const char *c = reason; !error && *c; c++)
		if ((unsigned char)*c < 0x20)
			error = strata_error_set("--reason: one line, without control characters");
	if (!error &&
	    (error = strata_buf_printf(&tr, "Strata-Refuses: %s\nStrata-Proposed-By: %s <%s>\nStrata-Reason: %s\n", p->id,
				       p->proposer, p->proposer_fpr, reason)) == 0 &&
	    (error = strata_audit_append(n, "change-refused", p->summary, tr.ptr)) == 0 && unlink(path) < 0 &&
	    errno != ENOENT)
		error = strata_error_sys("cannot remove a pending change");
	free(path);
	strata_buf_dispose(&tr);
	return error;
}
