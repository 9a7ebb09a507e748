/*
 * audit.c - the signed event chain on refs/strata/audit and the local log
 * of refused input (see audit.h for why they are apart).
 */
#include "strata/node/audit.h"
#include "strata/base/i18n.h"
#include "strata/base/time.h"
#include "strata/node/commit.h"
#include "strata/node/officers.h"
#include "strata/base/fs.h"
#include "strata/base/enc.h"
#include "strata/node/refs.h"
#include "strata/base/array.h"
#include "strata/format/timestamp.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The empty tree: the first event's, when nothing is recorded in the ledger yet. */
static int empty_tree(git_oid *out, strata_node *n)
{
	git_treebuilder *tb = NULL;
	int rc;

	rc = git_treebuilder_new(&tb, strata_node_repo(n), NULL);
	if (rc == 0)
		rc = git_treebuilder_write(out, tb);
	git_treebuilder_free(tb);
	return rc < 0 ? strata_error_git("cannot write the audit event tree") : 0;
}

int strata_audit_append_tree(strata_node *n, const char *event, const char *subject, const char *trailers,
			     const git_oid *tree_id)
{
	strata_buf msg = STRATA_BUF_INIT;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_oid parent_id, id, tid;
	int rc, have_parent = 0, error = STRATA_ERROR;

	rc = git_reference_name_to_id(&parent_id, strata_node_repo(n), STRATA_REF_AUDIT);
	if (rc == 0) {
		have_parent = 1;
		if (git_commit_lookup(&parent, strata_node_repo(n), &parent_id) < 0) {
			strata_error_git("cannot read the audit log");
			goto done;
		}
	} else if (rc != GIT_ENOTFOUND) {
		strata_error_git("cannot read the audit log");
		goto done;
	}
	git_error_clear();
	/* the ledger as it was, unless this event changes it (ledger.h) */
	if (tree_id)
		git_oid_cpy(&tid, tree_id);
	else if (parent)
		git_oid_cpy(&tid, git_commit_tree_id(parent));
	else if (empty_tree(&tid, n) < 0)
		goto done;
	if (git_tree_lookup(&tree, strata_node_repo(n), &tid) < 0) {
		strata_error_git("cannot read the audit event tree");
		goto done;
	}
	/* whose act it is, if the node has officers (officers.h): they sign it too */
	if ((error = strata_buf_printf(&msg, "%s\n\nStrata-Event: %s\nStrata-Node: %s\n%s", subject, event,
				       strata_node_name(n), trailers ? trailers : "")) < 0 ||
	    (error = strata_officer_trailer(&msg, n)) < 0 ||
	    (strata_officers_actor(n) &&
	     (error = strata_buf_printf(&msg, "Strata-Officer-Role: %s\n",
					strata_role_name(strata_officers_actor(n)->role))) < 0) ||
	    (error = strata_commit_create_cosigned(&id, n, tree, parent, msg.ptr)) < 0 ||
	    (error = strata_refs_update(n, STRATA_REF_AUDIT, &id, have_parent ? &parent_id : NULL, "strata audit")) < 0)
		goto done;
	error = 0;
done:
	git_tree_free(tree);
	git_commit_free(parent);
	strata_buf_dispose(&msg);
	return error;
}

int strata_audit_append(strata_node *n, const char *event, const char *subject, const char *trailers)
{
	return strata_audit_append_tree(n, event, subject, trailers, NULL);
}

int strata_audit_refusal(strata_node *n, const char *event, const char *what, const char *sender,
			 const char *reason)
{
	char *path = strata_fs_path_join(strata_node_path(n), STRATA_REFUSED_LOG);
	json_t *o = NULL;
	char *line = NULL, stamp[32];
	struct stat st;
	time_t now = (time_t)strata_time_now();
	int fd = -1, error = STRATA_ERROR;

	if (!path)
		return STRATA_ERROR;
	if (stat(path, &st) == 0 && (size_t)st.st_size >= STRATA_REFUSED_LOG_MAX) {
		/* full: rotated to refused.log.1 (the one before goes), so the newest refusals are always kept */
		char *old = strata_fs_path_join(strata_node_path(n), STRATA_REFUSED_LOG ".1");
		if (!old || rename(path, old) < 0) {
			error = old ? strata_error_sys(path) : STRATA_ERROR;
			free(old);
			goto done;
		}
		free(old);
	}
	strata_enc_utc_stamp(stamp, sizeof(stamp), (int64_t)now);
	o = json_pack("{s:s, s:s, s:s, s:s?, s:s}", "time", stamp, "event", event, "what", what,
		      "sender", sender, "reason", reason);
	if (!o || (line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		error = strata_error_set("cannot encode a refusal record");
		goto done;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
		error = strata_error_sys(path);
		goto done;
	}
	{
		size_t len = strlen(line);
		line[len] = '\n';	/* json_dumps leaves room: the NUL */
		if (write(fd, line, len + 1) != (ssize_t)(len + 1) || (error = strata_fs_fsync(fd)) < 0) {
			error = strata_error_sys(path);
			goto done;
		}
	}
	error = 0;
done:
	if (fd >= 0)
		close(fd);
	free(line);
	json_decref(o);
	free(path);
	return error;
}

static int audit_walk(strata_node *n, int oldest_first, strata_audit_cb cb, void *payload)
{
	git_revwalk *walk = NULL;
	git_commit *c = NULL;
	strata_audit_event ev;
	char event[64], subject[512];
	int rc, error = 0;

	rc = git_reference_name_to_id(&ev.commit, strata_node_repo(n), STRATA_REF_AUDIT);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0 || git_revwalk_new(&walk, strata_node_repo(n)) < 0 ||
	    (oldest_first && git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0) ||
	    git_revwalk_push(walk, &ev.commit) < 0) {
		git_revwalk_free(walk);
		return strata_error_git("cannot read the audit log");
	}
	while (!error && (rc = git_revwalk_next(&ev.commit, walk)) == 0) {
		const char *msg, *nl;
		if (git_commit_lookup(&c, strata_node_repo(n), &ev.commit) < 0) {
			error = strata_error_git("cannot read an audit event");
			break;
		}
		msg = git_commit_message(c);
		nl = strchr(msg, '\n');
		snprintf(subject, sizeof(subject), "%.*s", (int)(nl ? nl - msg : (ptrdiff_t)strlen(msg)), msg);
		strata_commit_trailer(c, "Strata-Event", event, sizeof(event));
		ev.c = c;
		ev.event = event;
		ev.time = git_commit_time(c);
		ev.subject = subject;
		error = cb(&ev, payload);
		git_commit_free(c);
		c = NULL;
	}
	if (!error && rc != GIT_ITEROVER)
		error = strata_error_git("cannot walk the audit log");
	git_error_clear();
	git_revwalk_free(walk);
	return error;
}

int strata_audit_foreach(strata_node *n, strata_audit_cb cb, void *payload)
{
	return audit_walk(n, 0, cb, payload);
}

int strata_audit_foreach_oldest(strata_node *n, strata_audit_cb cb, void *payload)
{
	return audit_walk(n, 1, cb, payload);
}

static int problem(strata_audit_problem_cb cb, void *payload, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int problem(strata_audit_problem_cb cb, void *payload, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cb(msg, payload);
	return 1;
}

int strata_audit_check(strata_node *n, int interrupted, size_t *events, strata_audit_problem_cb cb,
		       void *payload)
{
	git_oid id;
	git_commit *c = NULL, *parent = NULL;
	git_reflog *log = NULL;
	git_odb *odb = NULL;
	char hex[GIT_OID_HEXSZ + 1], v[128], newest_unsigned[GIT_OID_HEXSZ + 1] = "";
	int rc, problems = 0;
	size_t unsigned_newer = 0;

	*events = 0;
	rc = git_reference_name_to_id(&id, strata_node_repo(n), STRATA_REF_AUDIT);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0 || git_commit_lookup(&c, strata_node_repo(n), &id) < 0) {
		git_oid_tostr(hex, sizeof(hex), &id);
		git_error_clear();
		return problem(cb, payload, _("the audit log's newest event %.12s is missing"), hex);
	}
	while (c) {
		char who[64];
		int orc;
		(*events)++;
		git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
		/*
		 * Named officers sign what they do (officers.h): each signature
		 * checks with the key pinned for them; and from the first
		 * officer's naming on (the first officer-add event, which no
		 * officer signs), no event is without one.
		 */
		if ((orc = strata_officer_check_commit(n, git_commit_id(c), who, sizeof(who))) < 0)
			problems += problem(cb, payload, _("audit event %.12s: %s"), hex, strata_error_last());
		else if (orc == 1 && strata_commit_trailer(c, "Strata-Event", v, sizeof(v)) && !strcmp(v, "officer-add")) {
			if (unsigned_newer)
				problems += problem(cb, payload, _("%zu audit events after this node named its officers "
								   "name none, the newest %.12s"), unsigned_newer, newest_unsigned);
			unsigned_newer = 0;
		} else if (orc == 1) {
			if (!unsigned_newer++)
				snprintf(newest_unsigned, sizeof(newest_unsigned), "%s", hex);
		}
		if (!strata_commit_trailer(c, "Strata-Event", v, sizeof(v)) || !*v)
			problems += problem(cb, payload, _("audit event %.12s names no event"), hex);
		if (!strata_commit_trailer(c, "Strata-Node", v, sizeof(v)) || strcmp(v, strata_node_name(n)))
			problems += problem(cb, payload, _("audit event %.12s is by '%s', not this node"), hex, v);
		if (git_commit_parentcount(c) > 1)
			problems += problem(cb, payload, _("audit event %.12s has %u parents: the log must be a line"),
					    hex, git_commit_parentcount(c));
		if (git_commit_parentcount(c) > 0 && git_commit_parent(&parent, c, 0) < 0) {
			char phex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(phex, sizeof(phex), git_commit_parent_id(c, 0));
			git_error_clear();
			problems += problem(cb, payload, _("gap in the audit log: event %.12s follows %.12s, which is missing"),
					    hex, phex);
		}
		git_commit_free(c);
		c = parent;
		parent = NULL;
	}
	/* every recorded move of the ref went forward */
	if (git_repository_odb(&odb, strata_node_repo(n)) == 0 && git_reflog_read(&log, strata_node_repo(n), STRATA_REF_AUDIT) == 0) {
		size_t count = git_reflog_entrycount(log);
		for (size_t i = 0; i < count; i++) {
			const git_reflog_entry *e = git_reflog_entry_byindex(log, i);
			const git_oid *from = git_reflog_entry_id_old(e), *to = git_reflog_entry_id_new(e);
			char fh[GIT_OID_HEXSZ + 1], th[GIT_OID_HEXSZ + 1];
			if (git_oid_is_zero(from) || git_oid_equal(from, to))
				continue;
			/* a missing event is the gap reported above (and libgit2's graph walk leaks on it) */
			if (!git_odb_exists(odb, from) || !git_odb_exists(odb, to))
				continue;
			if (git_graph_descendant_of(strata_node_repo(n), to, from) != 1) {
				git_error_clear();
				git_oid_tostr(fh, sizeof(fh), from);
				git_oid_tostr(th, sizeof(th), to);
				problems += problem(cb, payload, _("the audit log was rewritten: it moved from %.12s to %.12s, "
						    "which does not descend from it (%s)"), fh, th, git_reflog_entry_message(e) ?
						    git_reflog_entry_message(e) : _("no message"));
			}
		}
		if (count && !git_oid_equal(git_reflog_entry_id_new(git_reflog_entry_byindex(log, 0)), &id)) {
			/* a move recorded but not made, by an operation that was killed and is pending */
			int unfinished = interrupted && git_oid_equal(git_reflog_entry_id_old(git_reflog_entry_byindex(log, 0)), &id);
			if (!unfinished)
				problems += problem(cb, payload, _("refs/strata/audit was moved without a reflog entry"));
		}
	}
	git_error_clear();
	git_reflog_free(log);
	git_odb_free(odb);
	return problems;
}

int strata_audit_stamp(strata_node *n, const char *head, const void *token, size_t len, int64_t when,
		       const char *authority)
{
	strata_buf tr = STRATA_BUF_INIT, b64 = STRATA_BUF_INIT;
	char at[40];
	int error;

	strata_enc_utc_stamp(at, sizeof(at), when);
	if ((error = strata_enc_base64(&b64, token, len)) == 0 &&
	    (error = strata_buf_printf(&tr, "Strata-Timestamp-Of: %s\nStrata-Timestamp-Time: %s\n"
					    "Strata-Timestamp-Authority: %s\nStrata-Timestamp-Token: %s\n",
				       head, at, authority, b64.ptr)) == 0)
		error = strata_audit_append(n, "timestamp", "the log's head timestamped", tr.ptr);
	strata_buf_dispose(&tr);
	strata_buf_dispose(&b64);
	return error;
}

typedef struct {
	git_oid id;
	int64_t time;
	int stamp;		/* a "timestamp" event */
} stamp_event;

typedef struct {
	stamp_event *v;		/* oldest first */
	size_t n, alloc;
} stamp_chain;

static int collect(const strata_audit_event *ev, void *payload)
{
	stamp_chain *c = payload;

	if (strata_array_grow(&c->v, &c->alloc, c->n + 1, 256) < 0)
		return STRATA_ERROR;
	git_oid_cpy(&c->v[c->n].id, &ev->commit);
	c->v[c->n].time = ev->time;
	c->v[c->n++].stamp = !strcmp(ev->event, "timestamp");
	return 0;
}

/* each event dated against the authority's time `t` of the log up to `h`: named (only once one is known to be) */
static int dated_against(const stamp_chain *c, size_t h, int64_t t, const char *at, const char *hex,
			 strata_audit_problem_cb cb, void *payload)
{
	int problems = 0;

	for (size_t j = 0; j < c->n; j++) {
		char when[40], id[GIT_OID_HEXSZ + 1];
		if (j <= h ? c->v[j].time <= t + STRATA_AUDIT_STAMP_SKEW : c->v[j].time >= t - STRATA_AUDIT_STAMP_SKEW)
			continue;
		strata_enc_utc_stamp(when, sizeof(when), c->v[j].time);
		git_oid_tostr(id, sizeof(id), &c->v[j].id);
		problems += problem(cb, payload, j <= h ? _("event %.12s is dated %s, after the timestamp authority saw the "
							    "log up to it (%s, event %.12s): its date was changed")
						      : _("event %.12s is dated %s, before the timestamp authority saw the "
							  "log before it (%s, event %.12s): backdated"),
				    id, when, at, hex);
	}
	return problems;
}

int strata_audit_check_stamps(strata_node *n, const char *pem, size_t pem_len, size_t *stamps,
			      strata_audit_problem_cb cb, void *payload)
{
	stamp_chain c = { 0 };
	strata_buf fpr = STRATA_BUF_INIT, raw = STRATA_BUF_INIT;
	int64_t *latest = NULL, *earliest = NULL;	/* the latest date up to each event, the earliest from it on */
	char *tok = NULL;
	int error, problems = 0;

	*stamps = 0;
	if (pem && strata_timestamp_ca_fingerprint(&fpr, pem, pem_len) < 0)
		strata_error_clear();
	if ((error = strata_audit_foreach_oldest(n, collect, &c)) < 0)
		goto done;
	if ((tok = malloc(STRATA_TIMESTAMP_MAX * 2)) == NULL || (latest = calloc(c.n + 1, sizeof(*latest))) == NULL ||
	    (earliest = calloc(c.n + 1, sizeof(*earliest))) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; i < c.n; i++)
		latest[i] = i && latest[i - 1] > c.v[i].time ? latest[i - 1] : c.v[i].time;
	earliest[c.n] = INT64_MAX;
	for (size_t i = c.n; i-- > 0;)
		earliest[i] = earliest[i + 1] < c.v[i].time ? earliest[i + 1] : c.v[i].time;
	for (size_t i = 0; i < c.n; i++) {
		git_commit *cm = NULL;
		char of[GIT_OID_HEXSZ + 8], who[80], hex[GIT_OID_HEXSZ + 1], at[40];
		git_oid head;
		size_t h;
		int64_t t = 0;

		if (!c.v[i].stamp)
			continue;
		if (git_commit_lookup(&cm, strata_node_repo(n), &c.v[i].id) < 0) {
			git_error_clear();
			continue;	/* the chain check reports a missing commit */
		}
		git_oid_tostr(hex, sizeof(hex), &c.v[i].id);
		(*stamps)++;
		if (!strata_commit_trailer(cm, "Strata-Timestamp-Of", of, sizeof(of)) || git_oid_fromstr(&head, of) < 0 ||
		    !strata_commit_trailer(cm, "Strata-Timestamp-Token", tok, STRATA_TIMESTAMP_MAX * 2) ||
		    !strata_commit_trailer(cm, "Strata-Timestamp-Authority", who, sizeof(who))) {
			problems += problem(cb, payload, _("timestamp event %.12s: incomplete (no head, token or authority)"), hex);
			git_commit_free(cm);
			continue;
		}
		git_commit_free(cm);
		/* the head it stamps: the event before it, as `audit stamp` makes it, else one further back */
		for (h = i; h-- > 0 && !git_oid_equal(&c.v[h].id, &head);)
			;
		if (h == (size_t)-1) {
			problems += problem(cb, payload, _("timestamp event %.12s: the head it stamps, %.12s, is not an "
							   "earlier event of this log"), hex, of);
			continue;
		}
		if (!pem || !fpr.ptr || strcmp(fpr.ptr, who)) {
			problems += problem(cb, payload, _("timestamp event %.12s: by the authority %s, whose certificate "
							   "this node does not hold now: not checked"), hex, who);
			continue;
		}
		strata_buf_clear(&raw);
		if (strata_enc_unbase64(&raw, tok, strlen(tok)) < 0 ||
		    strata_timestamp_check(&t, raw.ptr, raw.len, of, GIT_OID_HEXSZ, pem, pem_len, NULL) < 0) {
			problems += problem(cb, payload, _("timestamp event %.12s: its token does not check: %s"), hex,
					    strata_error_last());
			strata_error_clear();
			continue;
		}
		/* the authority saw the head then: nothing up to it is later, nothing after it earlier */
		if (latest[h] > t + STRATA_AUDIT_STAMP_SKEW || earliest[h + 1] < t - STRATA_AUDIT_STAMP_SKEW) {
			strata_enc_utc_stamp(at, sizeof(at), t);
			problems += dated_against(&c, h, t, at, hex, cb, payload);
		}
	}
	error = problems;
done:
	free(tok);
	free(latest);
	free(earliest);
	free(c.v);
	strata_buf_dispose(&fpr);
	strata_buf_dispose(&raw);
	return error;
}
