/*
 * check_replica.c - parcels between two real nodes, in process: export,
 * import, replay, and every flipped byte of the signed parts refused by
 * the full import path with the node left exactly as it was.
 */
#include "two_nodes.h"
#include "strata/base/fs.h"
#include "strata/replica/link.h"
#include "strata/replica/parcel_import.h"
#include "strata/replica/parcel_export.h"

#include <dirent.h>

static int add_ref(git_reference *r, void *payload)
{
	char hex[GIT_OID_HEXSZ + 1] = "symbolic";
	if (git_reference_target(r))
		git_oid_tostr(hex, sizeof(hex), git_reference_target(r));
	strata_buf_printf(payload, "%s %s\n", git_reference_name(r), hex);
	git_reference_free(r);
	return 0;
}

static void list_dir(strata_buf *out, const char *dir)
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
static void state(strata_buf *out, strata_node *n)
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

START_TEST(export_import_replay)
{
	strata_buf parcel = STRATA_BUF_INIT, before = STRATA_BUF_INIT, after = STRATA_BUF_INIT;
	strata_parcel_result res;
	strata_link l;
	git_oid sent, got;

	ck_assert_msg(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res) == 0, "%s", strata_error_last());
	ck_assert_uint_eq(res.sequence, 1);
	ck_assert_uint_eq(res.nrefs, 1);
	ck_assert_int_eq(strata_link_load(&l, cn, "st-b"), 0);
	ck_assert_uint_eq(l.out.sequence, 1);
	ck_assert_uint_eq(l.out.nrefs, 1);
	strata_link_dispose(&l);

	ck_assert_msg(strata_parcel_import(st, "p1", parcel.ptr, parcel.len, &res) == 0, "%s", strata_error_last());
	ck_assert_uint_eq(res.changed, 1);
	ck_assert_int_eq(git_reference_name_to_id(&sent, strata_node_repo(cn), "refs/strata/views/st-b/residents"), 0);
	ck_assert_int_eq(git_reference_name_to_id(&got, strata_node_repo(st), "refs/strata/peers/cn-a/residents"), 0);
	ck_assert(git_oid_equal(&sent, &got));

	/* the same parcel again: nothing to do, and nothing done */
	state(&before, st);
	ck_assert_int_eq(strata_parcel_import(st, "p1", parcel.ptr, parcel.len, &res), 0);
	ck_assert_int_eq(res.uptodate, 1);
	ck_assert_uint_eq(res.changed, 0);
	state(&after, st);
	ck_assert_str_eq(before.ptr, after.ptr);
	strata_buf_dispose(&parcel);
	strata_buf_dispose(&before);
	strata_buf_dispose(&after);
}
END_TEST

/* Every byte of MANIFEST and MANIFEST.sig, through the whole import path. */
START_TEST(every_flip_changes_nothing)
{
	strata_buf parcel = STRATA_BUF_INIT, before = STRATA_BUF_INIT, after = STRATA_BUF_INIT;
	strata_parcel_result res;
	strata_parcel *p = NULL;
	size_t spans[2][2], n = 0;

	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res), 0);
	ck_assert_int_eq(strata_parcel_parse(&p, "p", parcel.ptr, parcel.len, NULL), 0);
	spans[0][0] = 512;
	spans[0][1] = p->manifest.len;
	spans[1][0] = 512 + (p->manifest.len + 511) / 512 * 512 + 512;
	spans[1][1] = p->sig.len;
	strata_parcel_free(p);
	state(&before, st);
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < spans[s][1]; i++, n++) {
			parcel.ptr[spans[s][0] + i] ^= 0xff;
			ck_assert_msg(strata_parcel_import(st, "f", parcel.ptr, parcel.len, &res) < 0,
				      "flip of byte %zu of entry %d accepted", i, s);
			ck_assert_ptr_nonnull(strstr(strata_error_last(), "MANIFEST"));
			parcel.ptr[spans[s][0] + i] ^= 0xff;
		}
	state(&after, st);
	ck_assert_str_eq(before.ptr, after.ptr);
	ck_assert_uint_gt(n, 500);
	/* the unflipped parcel still imports */
	ck_assert_msg(strata_parcel_import(st, "p", parcel.ptr, parcel.len, &res) == 0, "%s", strata_error_last());
	strata_buf_dispose(&parcel);
	strata_buf_dispose(&before);
	strata_buf_dispose(&after);
}
END_TEST

static int fail_publish(const void *data, size_t len, void *payload)
{
	(void)data, (void)len, (void)payload;
	return strata_error_set("the stick was pulled out");
}

START_TEST(failed_publish_spends_nothing)
{
	strata_parcel_result res;
	strata_link l;
	strata_buf parcel = STRATA_BUF_INIT;

	ck_assert_int_lt(strata_parcel_export(cn, "st-b", 0, fail_publish, NULL, &res), 0);
	ck_assert_int_eq(strata_link_load(&l, cn, "st-b"), 0);
	ck_assert_uint_eq(l.out.sequence, 0);
	strata_link_dispose(&l);
	ck_assert_int_eq(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res), 0);
	ck_assert_uint_eq(res.sequence, 1);
	strata_buf_dispose(&parcel);
}
END_TEST

/* The state a peer sends: exactly "sequence N" then "have VIEW COMMIT" lines. */
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

int main(void)
{
	Suite *s = suite_create("replica");
	TCase *tc = tcase_create("replica");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, export_import_replay);
	tcase_add_test(tc, link_state_strict);
	tcase_add_test(tc, every_flip_changes_nothing);
	tcase_add_test(tc, failed_publish_spends_nothing);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
