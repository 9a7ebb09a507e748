/*
 * two_nodes.h - the fixture of the parcel suites (check_replica,
 * check_receipt): community cn-a holding the sample residents and its
 * street policy, street st-b, each pinning the other's key.  Included by
 * one suite each, so its statics are that suite's.
 */
#ifndef TWO_NODES_H
#define TWO_NODES_H
#include "fixture.h"
#include "strata/data/dataset.h"
#include "strata/policy/policy.h"
#include "strata/replica/replica.h"

static strata_node *cn, *st;

static void setup(void)
{
	strata_import_opts o = { 0 };
	strata_import_result ir;
	strata_policy_commit_result pr;
	strata_buf key = STRATA_BUF_INIT;
	char *keyk[] = { "id_number", NULL };

	fx_setup();
	ck_assert_int_eq(strata_node_init(fx_path("cn"), "cn-a", "community"), 0);
	ck_assert_int_eq(strata_node_init(fx_path("st"), "st-b", "street"), 0);
	ck_assert_int_eq(strata_node_open(&cn, fx_path("cn")), 0);
	ck_assert_int_eq(strata_node_open(&st, fx_path("st")), 0);
	o.path = TOP_SRCDIR "/seeds/residents.csv";
	o.key = keyk;
	o.nkey = 1;
	ck_assert_int_eq(strata_dataset_import(cn, "residents", &o, &ir), 0);
	ck_assert_int_eq(strata_policy_commit(cn, TOP_SRCDIR "/policies/community-to-street.yaml", &pr), 0);
	ck_assert_int_eq(strata_pubkey_format(&key, &st->pub), 0);
	ck_assert_int_eq(git_config_set_string(cn->cfg, "peer.st-b.key", key.ptr), 0);
	ck_assert_int_eq(git_config_set_string(cn->cfg, "peer.st-b.tier", "street"), 0);
	ck_assert_int_eq(git_config_set_string(cn->cfg, "peer.st-b.policy", "community-to-street"), 0);
	strata_buf_clear(&key);
	ck_assert_int_eq(strata_pubkey_format(&key, &cn->pub), 0);
	ck_assert_int_eq(git_config_set_string(st->cfg, "peer.cn-a.key", key.ptr), 0);
	ck_assert_int_eq(git_config_set_string(st->cfg, "peer.cn-a.direction", "pull"), 0);
	strata_buf_dispose(&key);
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
