/*
 * prune.c - see prune.h.
 */
#include "strata/node/prune.h"
#include <git2/sys/repository.h>
#include "strata/base/fs.h"
#include "node_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct walk {
	git_repository *repo;
	git_revwalk *walk;
	int error;
};

/* Every commit a ref or an entry of its reflog names: what fsck and verify read. */
static int push_ref(const char *name, void *payload)
{
	struct walk *w = payload;
	git_reflog *log = NULL;
	git_oid id;

	if (git_reference_name_to_id(&id, w->repo, name) == 0 && git_revwalk_push(w->walk, &id) < 0) {
		w->error = strata_error_git("cannot walk a ref");
		return 1;
	}
	if (git_reflog_read(&log, w->repo, name) == 0) {
		for (size_t i = 0; i < git_reflog_entrycount(log); i++) {
			const git_reflog_entry *e = git_reflog_entry_byindex(log, i);
			const git_oid *ids[2] = { git_reflog_entry_id_new(e), git_reflog_entry_id_old(e) };
			for (int k = 0; k < 2; k++) {
				git_commit *c = NULL;
				if (git_oid_is_zero(ids[k]) || git_commit_lookup(&c, w->repo, ids[k]) < 0)
					continue;	/* a deleted start, or gone already */
				git_commit_free(c);
				git_revwalk_push(w->walk, ids[k]);
			}
		}
		git_reflog_free(log);
	}
	git_error_clear();
	return 0;
}

/* Deletes dir/NAME for every NAME of `dir` but `keep`'s .pack and .idx; counts the packs. */
static size_t remove_packs(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t packs = 0;
	char keep_pack[200], keep_idx[200];

	snprintf(keep_pack, sizeof(keep_pack), "%s.pack", keep);
	snprintf(keep_idx, sizeof(keep_idx), "%s.idx", keep);
	while (d && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *p;
		if (strncmp(e->d_name, "pack-", 5) || !strcmp(e->d_name, keep_pack) || !strcmp(e->d_name, keep_idx))
			continue;
		if (!(p = strata_fs_path_join(dir, e->d_name)))
			continue;
		if (unlink(p) == 0 && len > 5 && !strcmp(e->d_name + len - 5, ".pack"))
			packs++;
		free(p);
	}
	if (d)
		closedir(d);
	return packs;
}

/* Deletes every loose object (objects/XX/...). */
static size_t remove_loose(const char *objects)
{
	DIR *d = opendir(objects);
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)) != NULL) {
		char *sub;
		DIR *s;
		struct dirent *f;
		if (strlen(e->d_name) != 2 || !strchr("0123456789abcdef", e->d_name[0]) ||
		    !strchr("0123456789abcdef", e->d_name[1]) || !(sub = strata_fs_path_join(objects, e->d_name)))
			continue;
		if ((s = opendir(sub)) != NULL) {
			while ((f = readdir(s)) != NULL) {
				char *p;
				if (f->d_name[0] == '.' || !(p = strata_fs_path_join(sub, f->d_name)))
					continue;
				if (unlink(p) == 0)
					n++;
				free(p);
			}
			closedir(s);
		}
		rmdir(sub);
		free(sub);
	}
	if (d)
		closedir(d);
	return n;
}

int strata_prune(strata_node *n, strata_prune_result *res)
{
	struct walk w = { n->repo, NULL, 0 };
	git_packbuilder *pb = NULL;
	git_odb *odb = NULL;
	char *objects = strata_fs_path_join(n->path, "repo.git/objects"), *packs = strata_fs_path_join(n->path, "repo.git/objects/pack");
	char keep[128];
	int error = 0;

	memset(res, 0, sizeof(*res));
	if (!objects || !packs) {
		error = STRATA_ERROR;
		goto done;
	}
	if (!strata_node_locked(n)) {
		error = strata_error_set("prune: the node's write lock is not held");
		goto done;
	}
	if (git_revwalk_new(&w.walk, n->repo) < 0 || git_packbuilder_new(&pb, n->repo) < 0) {
		error = strata_error_git("cannot prune");
		goto done;
	}
	git_packbuilder_set_threads(pb, 0);
	if (git_reference_foreach_name(n->repo, push_ref, &w) < 0 && !w.error)
		w.error = strata_error_git("cannot list refs");
	if ((error = w.error) < 0)
		goto done;
	if (git_packbuilder_insert_walk(pb, w.walk) < 0) {
		error = strata_error_git("cannot collect what the refs reach");
		goto done;
	}
	res->objects = git_packbuilder_object_count(pb);
	if (res->objects == 0)
		goto done;	/* an empty node: nothing to keep, nothing to remove safely by this walk */
	if (git_packbuilder_write(pb, packs, 0, NULL, NULL) < 0) {
		error = strata_error_git("cannot write the pruned pack");
		goto done;
	}
	snprintf(keep, sizeof(keep), "pack-%s", git_packbuilder_name(pb));
	if ((error = strata_fs_fsync_dir(packs)) < 0)
		goto done;
	/* the new pack is whole and visible: everything else can go */
	res->packs_removed = remove_packs(packs, keep);
	res->loose_removed = remove_loose(objects);
	if ((error = strata_fs_fsync_dir(packs)) < 0)
		goto done;
	/*
	 * A fresh object store for the rest of this process: libgit2's refresh
	 * adds new packs but keeps the ones just deleted (mapped, readable), so
	 * a writer that asks "is it here?" would skip an object that is gone
	 * once the process ends, and a check of received objects would take it
	 * for held.  A daemon's node process lives across many changes.
	 */
	if (git_odb_open(&odb, objects) < 0) {
		error = strata_error_git("cannot reopen the object store after the prune");
		goto done;
	}
	git_repository_set_odb(n->repo, odb);
done:
	git_odb_free(odb);
	git_packbuilder_free(pb);
	git_revwalk_free(w.walk);
	free(objects);
	free(packs);
	return error;
}
