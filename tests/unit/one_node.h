/*
 * one_node.h - the fixture of the dataset suites (check_import,
 * check_dataset): a fresh community node per test, an import helper and a
 * snapshot of the node's state.  Included by one suite each, so its
 * statics are that suite's.
 */
#ifndef ONE_NODE_H
#define ONE_NODE_H
#include "fixture.h"
#include "strata/data/dataset.h"
#include "strata/data/import.h"

#include <dirent.h>
#include <sys/stat.h>

static strata_node *node;

static void setup(void)
{
	fx_setup();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);	/* speed; crash safety is tested elsewhere */
	ck_assert_int_eq(strata_node_init(fx_path("node"), "cn-test-01", "community"), 0);
	ck_assert_int_eq(strata_node_open(&node, fx_path("node")), 0);
}

static void teardown(void)
{
	strata_node_free(node);
	node = NULL;
	fx_teardown();
}

static inline int import(const char *dataset, const char *path, const char *key, int upsert,
		  int schema_change, strata_import_result *res)
{
	char *k[1] = { (char *)key };
	strata_import_opts o = { 0 };
	o.path = path;
	o.key = key ? k : NULL;
	o.nkey = key ? 1 : 0;
	o.upsert = upsert;
	o.schema_change = schema_change;
	return strata_import_dataset(node, dataset, &o, res);
}

/* Makes refs/strata/peers/NAME point at the tip of own dataset `own`, as a parcel would. */
static inline void receive_as(const char *name, const char *own)
{
	git_commit *c = NULL;
	git_reference *r = NULL;
	strata_buf ref = STRATA_BUF_INIT;

	ck_assert_int_eq(strata_dataset_resolve(&c, node, own, NULL), 0);
	strata_buf_printf(&ref, "refs/strata/peers/%s", name);
	ck_assert_int_eq(git_reference_create(&r, strata_node_repo(node), ref.ptr, git_commit_id(c), 1, "test"), 0);
	git_reference_free(r);
	git_commit_free(c);
	strata_buf_dispose(&ref);
}

static inline void tree_of(git_oid *out, const char *dataset)
{
	git_commit *c = NULL;
	ck_assert_int_eq(strata_dataset_resolve(&c, node, dataset, NULL), 0);
	git_oid_cpy(out, git_commit_tree_id(c));
	git_commit_free(c);
}

/* refs with their targets plus every file under objects/: the node's state */
static inline void list_dir(strata_buf *out, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char p[1024];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			list_dir(out, p);
		else
			strata_buf_printf(out, "%s %lld\n", p, (long long)st.st_size);
	}
	closedir(d);
}

static inline char *snapshot(void)
{
	strata_buf s = STRATA_BUF_INIT;
	git_reference_iterator *it;
	git_reference *r;
	char dir[600];

	ck_assert_int_eq(git_reference_iterator_new(&it, strata_node_repo(node)), 0);
	while (git_reference_next(&r, it) == 0) {
		char hex[41];
		git_oid_tostr(hex, sizeof(hex), git_reference_target(r));
		strata_buf_printf(&s, "%s %s\n", git_reference_name(r), hex);
		git_reference_free(r);
	}
	git_reference_iterator_free(it);
	snprintf(dir, sizeof(dir), "%s/objects", git_repository_path(strata_node_repo(node)));
	list_dir(&s, dir);
	return strata_buf_detach(&s);
}

#endif
