/*
 * two_nodes.h - the fixture of the parcel suites (check_parcel_export,
 * check_parcel_import, check_link, check_receipt): community cn-a holding the sample residents and its
 * street policy, street st-b, each pinning the other's key.  Included by
 * one suite each, so its statics are that suite's.
 */
#ifndef TWO_NODES_H
#define TWO_NODES_H
#include "fixture.h"
#include "strata/data/import.h"
#include "strata/policy/policy.h"
#include "strata/replica/link.h"
#include "strata/node/peers.h"
#include "strata/node/journal.h"
#include "strata/replica/parcel_export.h"
#include "strata/replica/parcel_import.h"
#include "strata/policy/policy_store.h"
#include "strata/base/fs.h"

#include <dirent.h>

static strata_node *cn, *st;

static void setup(void)
{
	strata_import_opts o = { 0 };
	strata_import_result ir;
	strata_policy_commit_result pr;
	char *keyk[] = { "id_number", NULL };

	fx_setup();
	ck_assert_int_eq(strata_node_init(fx_path("cn"), "cn-a", "community"), 0);
	ck_assert_int_eq(strata_node_init(fx_path("st"), "st-b", "street"), 0);
	ck_assert_int_eq(strata_node_open(&cn, fx_path("cn")), 0);
	ck_assert_int_eq(strata_node_open(&st, fx_path("st")), 0);
	o.path = TOP_SRCDIR "/seeds/residents.csv";
	o.key = keyk;
	o.nkey = 1;
	ck_assert_int_eq(strata_import_dataset(cn, "residents", &o, &ir), 0);
	ck_assert_int_eq(strata_policy_store_commit(cn, TOP_SRCDIR "/policies/community-to-street.yaml", &pr), 0);
	{
		strata_peer_spec to_st = { .name = "st-b", .key = *strata_node_pubkey(st), .tier = "street",
					   .policy = "community-to-street", .direction = "both" };
		strata_peer_spec to_cn = { .name = "cn-a", .key = *strata_node_pubkey(cn), .tier = "community",
					   .direction = "pull" };
		ck_assert_int_eq(strata_journal_lock(cn), 0);
		ck_assert_int_eq(strata_peers_add(cn, &to_st), 0);
		ck_assert_int_eq(strata_journal_lock(st), 0);
		ck_assert_int_eq(strata_peers_add(st, &to_cn), 0);
	}
}

static void teardown(void)
{
	strata_node_free(cn);
	strata_node_free(st);
	fx_teardown();
}

static inline int to_buf(const void *data, size_t len, void *payload)
{
	return strata_buf_put(payload, data, len);
}

static inline int add_ref(git_reference *r, void *payload)
{
	char hex[GIT_OID_HEXSZ + 1] = "symbolic";
	if (git_reference_target(r))
		git_oid_tostr(hex, sizeof(hex), git_reference_target(r));
	strata_buf_printf(payload, "%s %s\n", git_reference_name(r), hex);
	git_reference_free(r);
	return 0;
}

static inline void list_dir(strata_buf *out, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			strata_buf_printf(out, "%s/%s\n", dir, e->d_name);
	closedir(d);
}

/* refs, pack files, loose object directories and the link state */
static inline void state(strata_buf *out, strata_node *n)
{
	strata_buf p = STRATA_BUF_INIT, links = STRATA_BUF_INIT;
	strata_buf_clear(out);
	ck_assert_int_eq(git_reference_foreach(strata_node_repo(n), add_ref, out), 0);
	strata_buf_printf(&p, "%s/repo.git/objects/pack", strata_node_path(n));
	list_dir(out, p.ptr);
	strata_buf_clear(&p);
	strata_buf_printf(&p, "%s/repo.git/objects", strata_node_path(n));
	list_dir(out, p.ptr);
	strata_buf_clear(&p);
	strata_buf_printf(&p, "%s/links/cn-a.json", strata_node_path(n));
	if (strata_fs_read(&links, p.ptr, 1 << 20) == 0)
		strata_buf_put(out, links.ptr, links.len);
	strata_error_clear();
	strata_buf_dispose(&p);
	strata_buf_dispose(&links);
}


#endif
