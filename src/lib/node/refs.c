/*
 * refs.c - see refs.h.
 */
#include "strata/node/refs.h"
#include "strata/base/i18n.h"
#include "strata/base/time.h"
#include "strata/node/commit.h"
#include "strata/format/name.h"

int strata_refs_dataset(strata_buf *out, const char *dataset)
{
	if (!strata_name_dataset_valid(dataset))
		return strata_error_set("invalid dataset name '%s' (use a-z, 0-9, '-' and '_')", dataset);
	return strata_buf_printf(out, "%s%s", STRATA_REF_DATASETS, dataset);
}

/*
 * libgit2 appends a move to the ref's reflog before it commits the ref: a
 * write that then fails leaves a move recorded but not made, which the
 * audit check reads as a rewritten log.  If the ref is not at `new_oid`,
 * a newest entry naming it goes (best effort: the error already set stays).
 */
static void unrecord(strata_node *n, const char *ref, const git_oid *new_oid)
{
	git_reflog *log = NULL;
	git_oid now;
	int moved = git_reference_name_to_id(&now, strata_node_repo(n), ref) == 0 && git_oid_equal(&now, new_oid);

	if (!moved && git_reflog_read(&log, strata_node_repo(n), ref) == 0 && git_reflog_entrycount(log) > 0 &&
	    git_oid_equal(git_reflog_entry_id_new(git_reflog_entry_byindex(log, 0)), new_oid) &&
	    git_reflog_drop(log, 0, 1) == 0)
		git_reflog_write(log);
	git_reflog_free(log);
	git_error_clear();
}

int strata_refs_update(strata_node *n, const char *ref, const git_oid *new_oid,
		      const git_oid *old_oid, const char *logmsg)
{
	git_reference *r = NULL;
	int rc;

	if (old_oid)
		rc = git_reference_create_matching(&r, strata_node_repo(n), ref, new_oid, 1, old_oid, logmsg);
	else
		rc = git_reference_create(&r, strata_node_repo(n), ref, new_oid, 0, logmsg);
	git_reference_free(r);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS)
		return strata_error_git(old_oid ? "cannot move ref (changed by another writer)" :
						  N_("cannot create ref (created by another writer)"));
	if (rc < 0) {	/* e.g. an I/O error (a full disk), possibly after the ref moved */
		strata_error_git(old_oid ? N_("cannot move ref") : N_("cannot create ref"));
		unrecord(n, ref, new_oid);
		return STRATA_ERROR;
	}
	return 0;
}


int strata_refs_delete(strata_node *n, const char *ref, const git_oid *old_oid)
{
	git_reference *r = NULL;
	int rc;

	if ((rc = git_reference_lookup(&r, strata_node_repo(n), ref)) < 0)
		return strata_error_git("cannot delete ref");
	if (git_reference_type(r) != GIT_REFERENCE_DIRECT || !git_oid_equal(git_reference_target(r), old_oid)) {
		git_reference_free(r);
		return strata_error_set("cannot delete ref '%s': changed by another writer", ref);
	}
	rc = git_reference_delete(r);
	git_reference_free(r);
	return rc < 0 ? strata_error_git("cannot delete ref") : 0;
}

int strata_refs_reflog_reset(strata_node *n, const char *ref)
{
	git_reflog *log = NULL;
	git_signature *sig = NULL;
	git_oid id;
	int error = 0;

	if (git_reference_name_to_id(&id, strata_node_repo(n), ref) < 0 || git_reflog_read(&log, strata_node_repo(n), ref) < 0 ||
	    git_signature_new(&sig, "strata", "strata@localhost", (git_time_t)strata_time_now(), 0) < 0) {
		error = strata_error_git("cannot reset a reflog");
		goto done;
	}
	while (git_reflog_entrycount(log) > 0)
		if (git_reflog_drop(log, 0, 0) < 0)
			break;
	if (git_reflog_append(log, &id, sig, "strata: history cut (erasure)") < 0 || git_reflog_write(log) < 0)
		error = strata_error_git("cannot reset a reflog");
done:
	git_signature_free(sig);
	git_reflog_free(log);
	return error;
}

/* The first-parent root of `tip`, 1 if it names a cut (Strata-Cut). */
static int cut_root(git_repository *repo, const git_oid *tip, git_oid *root)
{
	git_commit *c = NULL, *p = NULL;
	char v[80];
	int cut;

	if (git_commit_lookup(&c, repo, tip) < 0) {
		git_error_clear();
		return 0;
	}
	while (git_commit_parentcount(c) > 0 && git_commit_parent(&p, c, 0) == 0) {
		git_commit_free(c);
		c = p;
	}
	git_error_clear();
	git_oid_cpy(root, git_commit_id(c));
	cut = git_commit_parentcount(c) == 0 && strata_commit_trailer(c, "Strata-Cut", v, sizeof(v));
	git_commit_free(c);
	return cut;
}

int strata_refs_reflog_trim_cuts(strata_node *n)
{
	static const char *const globs[] = { STRATA_REF_DATASETS "*", STRATA_REF_VIEWS "*", STRATA_REF_PEERS "*" };
	git_repository *repo = strata_node_repo(n);
	int count = 0, error = 0;

	for (size_t g = 0; !error && g < sizeof(globs) / sizeof(*globs); g++) {
		git_reference_iterator *it = NULL;
		git_reference *ref;
		if (git_reference_iterator_glob_new(&it, repo, globs[g]) < 0)
			return strata_error_git("cannot list refs");
		while (!error && git_reference_next(&ref, it) == 0) {
			git_reflog *log = NULL;
			git_oid root;
			int stale = 0;
			if (git_reference_target(ref) && cut_root(repo, git_reference_target(ref), &root) &&
			    git_reflog_read(&log, repo, git_reference_name(ref)) == 0) {
				for (size_t i = 0; !stale && i < git_reflog_entrycount(log); i++) {
					const git_oid *to = git_reflog_entry_id_new(git_reflog_entry_byindex(log, i));
					stale = !git_oid_is_zero(to) && !git_oid_equal(to, &root) &&
						!strata_commit_descends(repo, to, &root);
				}
				if (stale && (error = strata_refs_reflog_reset(n, git_reference_name(ref))) == 0)
					count++;
			}
			git_error_clear();
			git_reflog_free(log);
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	return error < 0 ? error : count;
}
