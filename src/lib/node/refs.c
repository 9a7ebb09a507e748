/*
 * refs.c - see refs.h.
 */
#include "strata/node/refs.h"
#include "strata/format/name.h"

int strata_refs_dataset(strata_buf *out, const char *dataset)
{
	if (!strata_name_dataset_valid(dataset))
		return strata_error_set("invalid dataset name '%s' (use a-z, 0-9, '-' and '_')", dataset);
	return strata_buf_printf(out, "%s%s", STRATA_REF_DATASETS, dataset);
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
						  "cannot create ref (created by another writer)");
	if (rc < 0)	/* e.g. an I/O error, possibly after the ref moved: verify shows which */
		return strata_error_git(old_oid ? "cannot move ref" : "cannot create ref");
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
	    git_signature_now(&sig, "strata", "strata@localhost") < 0) {
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
