/*
 * audit.c - the signed event chain on refs/strata/audit and the local log
 * of refused input (see audit.h for why they are apart).
 */
#include "strata/audit.h"
#include "strata/commit.h"
#include "strata/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The empty tree every event commit points at: events carry no data. */
static int empty_tree(git_tree **out, strata_node *n)
{
	git_treebuilder *tb = NULL;
	git_oid id;
	int rc;

	rc = git_treebuilder_new(&tb, n->repo, NULL);
	if (rc == 0)
		rc = git_treebuilder_write(&id, tb);
	if (rc == 0)
		rc = git_tree_lookup(out, n->repo, &id);
	git_treebuilder_free(tb);
	return rc < 0 ? strata_error_git("cannot write the audit event tree") : 0;
}

int strata_audit_append(strata_node *n, const char *event, const char *subject, const char *trailers)
{
	strata_buf msg = STRATA_BUF_INIT;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_oid parent_id, id;
	int rc, have_parent = 0, error = STRATA_ERROR;

	rc = git_reference_name_to_id(&parent_id, n->repo, STRATA_REF_AUDIT);
	if (rc == 0) {
		have_parent = 1;
		if (git_commit_lookup(&parent, n->repo, &parent_id) < 0) {
			strata_error_git("cannot read the audit log");
			goto done;
		}
	} else if (rc != GIT_ENOTFOUND) {
		strata_error_git("cannot read the audit log");
		goto done;
	}
	git_error_clear();
	if (strata_buf_printf(&msg, "%s\n\nStrata-Event: %s\nStrata-Node: %s\n%s", subject, event,
			      n->name, trailers ? trailers : "") < 0 ||
	    empty_tree(&tree, n) < 0 ||
	    strata_commit_create(&id, n, tree, parent, msg.ptr) < 0 ||
	    strata_ref_update(n, STRATA_REF_AUDIT, &id, have_parent ? &parent_id : NULL, "strata audit") < 0)
		goto done;
	error = 0;
done:
	git_tree_free(tree);
	git_commit_free(parent);
	strata_buf_dispose(&msg);
	return error;
}

int strata_audit_refusal(strata_node *n, const char *event, const char *what, const char *sender,
			 const char *reason)
{
	char *path = strata_path_join(n->path, STRATA_REFUSED_LOG);
	json_t *o = NULL;
	char *line = NULL, stamp[32];
	struct stat st;
	time_t now = time(NULL);
	struct tm tm;
	int fd = -1, error = STRATA_ERROR;

	if (!path)
		return STRATA_ERROR;
	if (stat(path, &st) == 0 && (size_t)st.st_size >= STRATA_REFUSED_LOG_MAX) {
		error = 0;	/* full: the operator is told by `strata audit log` */
		goto done;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s, s:s, s:s, s:s?, s:s}", "time", stamp, "event", event, "what", what,
		      "sender", sender, "reason", reason);
	if (!o || (line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		strata_error_set("cannot encode a refusal record");
		goto done;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
		strata_error_sys(path);
		goto done;
	}
	{
		size_t len = strlen(line);
		line[len] = '\n';	/* json_dumps leaves room: the NUL */
		if (write(fd, line, len + 1) != (ssize_t)(len + 1) || strata_fsync(fd) < 0) {
			strata_error_sys(path);
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

int strata_audit_foreach(strata_node *n, strata_audit_cb cb, void *payload)
{
	git_revwalk *walk = NULL;
	git_commit *c = NULL;
	strata_audit_event ev;
	char event[64], subject[512];
	int rc, error = 0;

	rc = git_reference_name_to_id(&ev.commit, n->repo, STRATA_REF_AUDIT);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0 || git_revwalk_new(&walk, n->repo) < 0 || git_revwalk_push(walk, &ev.commit) < 0)
		return strata_error_git("cannot read the audit log");
	while (!error && (rc = git_revwalk_next(&ev.commit, walk)) == 0) {
		const char *msg, *nl;
		if (git_commit_lookup(&c, n->repo, &ev.commit) < 0) {
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
