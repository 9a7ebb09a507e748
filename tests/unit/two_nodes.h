/*
 * two_nodes.h - the fixture of the parcel suites (check_replica,
 * check_receipt): community cn-a holding the sample residents and its
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

static int to_buf(const void *data, size_t len, void *payload)
{
	return strata_buf_put(payload, data, len);
}

#endif
