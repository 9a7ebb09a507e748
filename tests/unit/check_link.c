/*
 * check_link.c - the link state: what a peer sends is parsed strictly;
 * what the node keeps round-trips; the direction node.conf allows.
 */
#include "two_nodes.h"
#include "strata/node/refs.h"

#include <unistd.h>
#include "strata/node/journal.h"
#include "strata/replica/link.h"

START_TEST(link_state_strict)
{
	static const char *bad[] = {
		"", "sequence 1", "sequence -1\n", "sequence  1\n", "sequence +1\n", "sequence 1 \n",
		"sequence 1\nsequence 2\n", "sequence 1\nhave a 123\n", "have a " "0123456789012345678901234567890123456789\n",
		"sequence 1\nhave ../x 0123456789012345678901234567890123456789\n",
		"sequence 1\nhave a  0123456789012345678901234567890123456789\n",
		"sequence 1\nhave a 0123456789012345678901234567890123456789\nhave a 0123456789012345678901234567890123456789\n",
		"sequence 1\nhave a 0123456789012345678901234567890123456789 x\n",
		"sequence 1\nhave a 012345678901234567890123456789012345678g\n",
	};
	const char *good = "sequence 18446744073709551615\nhave residents 0123456789012345678901234567890123456789\n"
			   "have cn-a/grid-events aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
	strata_link_side s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(strata_link_state_parse(&s, bad[i], strlen(bad[i]), 16) < 0, "accepted: %s", bad[i]);
		ck_assert_ptr_null(s.refs);
	}
	ck_assert_int_eq(strata_link_state_parse(&s, good, strlen(good), 16), 0);
	ck_assert(s.sequence == UINT64_MAX);
	ck_assert_uint_eq(s.nrefs, 2);
	ck_assert_str_eq(s.refs[1].name, "cn-a/grid-events");
	free(s.refs);
	ck_assert_int_eq(strata_link_state_parse(&s, good, strlen(good), 2), 0);	/* at the cap */
	free(s.refs);
	ck_assert_int_lt(strata_link_state_parse(&s, good, strlen(good), 1), 0);	/* over the cap */
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "more than 1 views"));
}
END_TEST

/* What a peer tells of the erasures below it: one strict form, each line once, under a cap. */
START_TEST(erasure_lines_strict)
{
	static const char *bad[] = {
		"sequence 1\nerasure 0123456789abcdef dx-a st-b confirmed\n",		/* no time */
		"sequence 1\nerasure 0123456789abcdef dx-a st-b done 5\n",		/* no such state */
		"sequence 1\nerasure 0123456789ABCDEF dx-a st-b confirmed 5\n",		/* not lower-case hex */
		"sequence 1\nerasure 0123456789abcdef0 dx-a st-b confirmed 5\n",		/* too long */
		"sequence 1\nerasure 0123456789abcdef Dx st-b confirmed 5\n",		/* not a node name */
		"sequence 1\nerasure 0123456789abcdef dx-a ../x confirmed 5\n",
		"sequence 1\nerasure 0123456789abcdef dx-a st-b confirmed -5\n",
		"sequence 1\nerasure 0123456789abcdef dx-a st-b confirmed 5 \n",
		"sequence 1\nerasure 0123456789abcdef dx-a st-b confirmed 5\nerasure 0123456789abcdef dx-a st-b pending 0\n",
	};
	const char *good = "sequence 4\nhave residents 0123456789012345678901234567890123456789\n"
			   "erasure 0123456789abcdef dx-a st-b confirmed 1700000000\n"
			   "erasure 0123456789abcdef pv-c dx-a pending 0\n";
	strata_link_side s, copy = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(strata_link_state_parse(&s, bad[i], strlen(bad[i]), 16) < 0, "accepted: %s", bad[i]);
		ck_assert_ptr_null(s.below);
	}
	ck_assert_int_eq(strata_link_state_parse(&s, good, strlen(good), 16), 0);
	ck_assert_uint_eq(s.nrefs, 1);
	ck_assert_uint_eq(s.nbelow, 2);
	ck_assert_str_eq(s.below[0].node, "dx-a");
	ck_assert_str_eq(s.below[0].via, "st-b");
	ck_assert(s.below[0].confirmed && s.below[0].time == 1700000000);
	ck_assert(!s.below[1].confirmed && s.below[1].time == 0);
	/* kept in the link file as it was told */
	{
		strata_link l = { 0 }, back;
		ck_assert_int_eq(strata_link_side_copy(&copy, &s), 0);
		l.acked = copy;
		ck_assert_int_eq(strata_journal_lock(cn), 0);
		ck_assert_int_eq(strata_link_save(cn, "st-b", &l), 0);
		ck_assert_int_eq(strata_link_load(&back, cn, "st-b"), 0);
		ck_assert_uint_eq(back.acked.nbelow, 2);
		ck_assert_str_eq(back.acked.below[1].node, "pv-c");
		ck_assert_str_eq(back.acked.below[1].cut, "0123456789abcdef");
		ck_assert(back.acked.below[0].confirmed && back.acked.below[0].time == 1700000000 && !back.acked.below[1].confirmed);
		strata_link_dispose(&back);
		strata_link_dispose(&l);
	}
	free(s.refs);
	free(s.below);
	ck_assert_int_lt(strata_link_state_parse(&s, good, strlen(good), 1), 0);	/* over the cap */
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "more than 1 erasures"));
}
END_TEST

START_TEST(save_load_round_trip)
{
	strata_link l = { 0 }, back;
	strata_buf rel = STRATA_BUF_INIT;
	char *path;

	l.out.sequence = 7;
	l.out.time = 1700000000;
	l.out.nrefs = 1;
	l.out.refs = calloc(1, sizeof(*l.out.refs));
	snprintf(l.out.refs[0].name, sizeof(l.out.refs[0].name), "residents");
	git_oid_fromstr(&l.out.refs[0].commit, "0123456789012345678901234567890123456789");
	l.in.sequence = 3;
	l.net_failed = 1700000001;
	snprintf(l.net_error, sizeof(l.net_error), "connection refused");
	ck_assert_int_eq(strata_journal_lock(cn), 0);
	ck_assert_int_eq(strata_link_save(cn, "st-b", &l), 0);
	ck_assert_int_eq(strata_link_load(&back, cn, "st-b"), 0);
	ck_assert(back.out.sequence == 7 && back.in.sequence == 3);
	ck_assert_uint_eq(back.out.nrefs, 1);
	ck_assert_str_eq(back.out.refs[0].name, "residents");
	ck_assert(git_oid_equal(&back.out.refs[0].commit, &l.out.refs[0].commit));
	ck_assert_str_eq(back.net_error, "connection refused");
	ck_assert_int_eq(strata_link_relpath(&rel, "st-b"), 0);
	ck_assert_str_eq(rel.ptr, "links/st-b.json");
	path = strata_link_path(cn, "st-b");
	ck_assert_ptr_nonnull(strstr(path, rel.ptr));
	free(path);
	strata_link_dispose(&l);
	strata_link_dispose(&back);
	strata_buf_dispose(&rel);
	/* a peer never heard from: all zero */
	ck_assert_int_eq(strata_link_load(&back, cn, "nobody"), 0);
	ck_assert(back.out.sequence == 0 && back.in.sequence == 0 && back.out.nrefs == 0);
	strata_link_dispose(&back);
}
END_TEST

/*
 * A pull killed between its ref moves and its audit event leaves a
 * journal: the state reported next is the settled one, never the refs the
 * next lock would put back (else the peer answers "up to date" and the
 * parcel never comes again).
 */
START_TEST(state_is_settled_before_it_is_reported)
{
	strata_buf parcel = STRATA_BUF_INIT, state = STRATA_BUF_INIT, want = STRATA_BUF_INIT;
	strata_parcel_result res;
	const char *ref = "refs/strata/peers/cn-a/residents";
	git_oid had, other;
	git_reference *r = NULL;
	char hex[GIT_OID_HEXSZ + 1];

	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res), 0);
	ck_assert_int_eq(strata_parcel_import(st, "p", parcel.ptr, parcel.len, &res), 0);
	ck_assert_int_eq(git_reference_name_to_id(&had, strata_node_repo(st), ref), 0);
	ck_assert_int_eq(git_reference_name_to_id(&other, strata_node_repo(st), STRATA_REF_AUDIT), 0);
	strata_buf_printf(&want, "sequence 1\nhave residents %s\n", git_oid_tostr(hex, sizeof(hex), &had));
	{
		strata_journal_ref jr = { ref, 1, had, other };
		ck_assert_int_eq(strata_journal_begin(st, "parcel-import", "pull from cn-a", NULL, &jr, 1), 0);
	}
	ck_assert_int_eq(git_reference_create(&r, strata_node_repo(st), ref, &other, 1, "killed mid-way"), 0);
	git_reference_free(r);
	/* the next process */
	strata_node_free(st);
	ck_assert_int_eq(strata_node_open(&st, fx_path("st")), 0);
	ck_assert_int_eq(strata_link_state_format(&state, st, "cn-a"), 0);
	ck_assert_str_eq(state.ptr, want.ptr);
	ck_assert_int_eq(access(fx_path("st/journal"), F_OK), -1);
	strata_buf_dispose(&parcel);
	strata_buf_dispose(&state);
	strata_buf_dispose(&want);
}
END_TEST

static int list_view(const char *name, const git_oid *id, void *payload)
{
	strata_buf_printf(payload, "%s %.7s\n", name, git_oid_tostr_s(id));
	return 0;
}

START_TEST(views_built_and_received)
{
	strata_buf parcel = STRATA_BUF_INIT, built = STRATA_BUF_INIT, got = STRATA_BUF_INIT;
	strata_parcel_result res;

	ck_assert_int_eq(strata_link_foreach_view(cn, "st-b", 0, list_view, &built), 0);
	ck_assert_ptr_null(built.ptr);	/* nothing built yet */
	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res), 0);
	ck_assert_int_eq(strata_parcel_import(st, "p", parcel.ptr, parcel.len, &res), 0);
	ck_assert_int_eq(strata_link_foreach_view(cn, "st-b", 0, list_view, &built), 0);
	ck_assert_int_eq(strata_link_foreach_view(st, "cn-a", 1, list_view, &got), 0);
	ck_assert_ptr_nonnull(strstr(built.ptr, "residents "));
	ck_assert_str_eq(built.ptr, got.ptr);	/* the same view, the same commit */
	strata_buf_dispose(&parcel);
	strata_buf_dispose(&built);
	strata_buf_dispose(&got);
}
END_TEST

START_TEST(direction_allows)
{
	/* cn: st-b both ways; st: cn-a pull only */
	ck_assert_int_eq(strata_link_allows(cn, "st-b", 1), 0);
	ck_assert_int_eq(strata_link_allows(cn, "st-b", 0), 0);
	ck_assert_int_eq(strata_link_allows(st, "cn-a", 0), 0);
	ck_assert_int_eq(strata_link_allows(st, "cn-a", 1), STRATA_EDENIED);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "cn-a"));
}
END_TEST

/* freshness: the newest signed word (a parcel's signed time, a pull), against the max age node.conf sets */
START_TEST(freshness)
{
	strata_link l = { 0 }, back;
	strata_link_freshness f;
	strata_peer_spec ch = { 0 };
	strata_buf changed = STRATA_BUF_INIT;
	const int64_t t0 = 1700000000, day = 86400;

	l.in.sequence = 2;
	l.in.time = t0 + 5 * day;	/* imported late ... */
	l.in.signed_time = t0;		/* ... a parcel made then */
	ck_assert_int_eq(strata_journal_lock(st), 0);
	ck_assert_int_eq(strata_link_save(st, "cn-a", &l), 0);
	ck_assert_int_eq(strata_link_load(&back, st, "cn-a"), 0);
	ck_assert_int_eq(back.in.signed_time, t0);
	/* no max age: never stale */
	ck_assert_int_eq(strata_link_fresh(&f, st, "cn-a", &back, t0 + 100 * day), 0);
	ck_assert(f.max_age == 0 && f.as_of == t0 && f.stale_since == 0);
	ch.max_age = "2d";
	ck_assert_int_eq(strata_peers_set(&changed, st, "cn-a", &ch, 0, 0), 0);
	ck_assert_ptr_nonnull(strstr(changed.ptr, "maxage: (none) -> 2d"));
	ck_assert_int_eq(strata_link_fresh(&f, st, "cn-a", &back, t0 + 2 * day), 0);
	ck_assert(f.max_age == 2 * day && f.stale_since == 0);
	ck_assert_int_eq(strata_link_fresh(&f, st, "cn-a", &back, t0 + 2 * day + 1), 0);
	ck_assert_int_eq(f.stale_since, t0 + 2 * day);
	/* a pull answered later is a newer word */
	back.net_pulled = t0 + 3 * day;
	ck_assert_int_eq(strata_link_fresh(&f, st, "cn-a", &back, t0 + 4 * day), 0);
	ck_assert(f.as_of == t0 + 3 * day && f.stale_since == 0);
	/* a link file from before signed times: the time it was imported */
	back.in.signed_time = 0;
	back.net_pulled = 0;
	ck_assert_int_eq(strata_link_fresh(&f, st, "cn-a", &back, t0 + 6 * day), 0);
	ck_assert(f.as_of == t0 + 5 * day && f.stale_since == 0);
	/* nothing received: not stale */
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(strata_link_fresh(&f, st, "cn-a", &l, t0 + 999 * day), 0);
	ck_assert(f.as_of == 0 && f.stale_since == 0);
	/* a max age that is not one: refused at set, and read back as an error */
	ch.max_age = "soon";
	strata_buf_clear(&changed);
	ck_assert_int_lt(strata_peers_set(&changed, st, "cn-a", &ch, 0, 0), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "--max-age 'soon'"));
	ch.max_age = "";
	ck_assert_int_eq(strata_peers_set(&changed, st, "cn-a", &ch, 0, 0), 0);
	ck_assert_int_eq(strata_link_fresh(&f, st, "cn-a", &back, t0 + 999 * day), 0);
	ck_assert(f.max_age == 0 && f.stale_since == 0);
	strata_link_dispose(&back);
	strata_buf_dispose(&changed);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("link");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, link_state_strict);
	tcase_add_test(tc, erasure_lines_strict);
	tcase_add_test(tc, save_load_round_trip);
	tcase_add_test(tc, direction_allows);
	tcase_add_test(tc, views_built_and_received);
	tcase_add_test(tc, state_is_settled_before_it_is_reported);
	tcase_add_test(tc, freshness);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
