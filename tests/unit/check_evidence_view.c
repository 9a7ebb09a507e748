/* check_evidence_view.c - a received view checked against the source and policy its builder's evidence part brings */
#include "two_nodes.h"
#include "strata/format/evidence.h"
#include "strata/format/json.h"
#include "strata/replica/evidence_export.h"
#include "strata/replica/evidence_view.h"

static int render(strata_buf *html, json_t *const *parts, size_t nparts, void *payload)
{
	(void)parts;
	(void)payload;
	return strata_buf_printf(html, "<p>%zu</p>\n", nparts);
}

/* st receives cn's view for it */
static void received(void)
{
	strata_buf parcel = STRATA_BUF_INIT;
	strata_parcel_result res;

	ck_assert_msg(strata_parcel_export(cn, "st-b", 0, to_buf, &parcel, &res) == 0, "%s", strata_error_last());
	ck_assert_msg(strata_parcel_import(st, "p1", parcel.ptr, parcel.len, &res) == 0, "%s", strata_error_last());
	strata_buf_dispose(&parcel);
}

/* the key of the first record of st's received view, as st shows it (a pseudonym) */
static void first_key(strata_buf *key)
{
	git_object *o = NULL;
	git_tree *records = NULL, *dir = NULL;
	git_blob *leaf = NULL;
	const char *p;

	ck_assert_int_eq(git_revparse_single(&o, strata_node_repo(st), "refs/strata/peers/cn-a/residents:records"), 0);
	records = (git_tree *)o;
	ck_assert_int_eq(git_tree_lookup(&dir, strata_node_repo(st), git_tree_entry_id(git_tree_entry_byindex(records, 0))), 0);
	ck_assert_int_eq(git_blob_lookup(&leaf, strata_node_repo(st), git_tree_entry_id(git_tree_entry_byindex(dir, 0))), 0);
	p = git_blob_rawcontent(leaf);
	ck_assert_int_eq(strata_json_record_field(key, p, (size_t)(strchr(p, '\n') - p), "id_number"), 1);
	ck_assert_int_eq(strata_buf_putc(key, '\0'), 0);
	git_blob_free(leaf);
	git_tree_free(dir);
	git_tree_free(records);
}

/* st's part (`st_only`), or st's and cn's */
static void evidence(strata_evidence *ev, int st_only)
{
	strata_buf key = STRATA_BUF_INIT;
	char *keys[1];

	memset(ev, 0, sizeof(*ev));
	first_key(&key);
	keys[0] = key.ptr;
	ck_assert_int_eq(strata_node_load_key(st), 0);
	ck_assert_int_eq(strata_node_load_key(cn), 0);
	ck_assert_msg(strata_evidence_add_part(ev, st, "residents", keys, 1, 0, NULL, render, NULL) == 0, "%s",
		      strata_error_last());
	if (!st_only) {
		/* the part before says with which key the trace goes on at cn */
		strata_buf text = STRATA_BUF_INIT;
		json_t **parts = NULL;
		size_t n = 0;
		char *ck[1];
		ck_assert_int_eq(strata_evidence_load_parts(&parts, &n, ev), 0);
		strata_buf_puts(&text, json_string_value(json_array_get(json_object_get(json_object_get(parts[0], "next"), "key"), 0)));
		strata_evidence_free_parts(parts, n);
		ck[0] = text.ptr;
		ck_assert_msg(strata_evidence_add_part(ev, cn, "residents", ck, 1, 0, NULL, render, NULL) == 0, "%s",
			      strata_error_last());
		strata_buf_dispose(&text);
	}
	strata_buf_dispose(&key);
}

static size_t fields[4];
static int count(const strata_evidence_field *f, void *payload)
{
	(void)payload;
	ck_assert_ptr_nonnull(f->field);
	fields[f->state]++;
	return 0;
}

START_TEST(honest_view_checks)
{
	strata_evidence ev;
	strata_evidence_view_result res;
	strata_buf before = STRATA_BUF_INIT, after = STRATA_BUF_INIT;

	received();
	evidence(&ev, 0);
	state(&before, st);
	memset(fields, 0, sizeof(fields));
	ck_assert_msg(strata_evidence_check_view(st, &ev, NULL, &res, count, NULL) == 0, "%s", strata_error_last());
	ck_assert_str_eq(res.builder, "cn-a");
	ck_assert_str_eq(res.recipient, "st-b");
	ck_assert_str_eq(res.dataset, "residents");
	ck_assert_str_eq(res.policy_name, "community-to-street");
	ck_assert_int_eq(res.filter_passes, 1);
	ck_assert_int_eq(res.leaf_proven, 0);
	ck_assert_uint_eq(res.differ, 0);
	ck_assert_uint_eq(res.unchecked, 2);	/* id_number and household_id: pseudonyms */
	ck_assert_uint_ge(res.as_given, 5);	/* masks, generalizations and kept fields recomputed */
	ck_assert_uint_eq(fields[STRATA_EVFIELD_AS_GIVEN], res.as_given);
	ck_assert_uint_eq(fields[STRATA_EVFIELD_UNCHECKED], res.unchecked);
	state(&after, st);
	ck_assert_str_eq(before.ptr, after.ptr);
	/* the view named: the same */
	{
		git_oid v = res.view;
		ck_assert_int_eq(strata_evidence_check_view(st, &ev, &v, &res, NULL, NULL), 0);
		ck_assert(git_oid_equal(&v, &res.view));
	}
	strata_evidence_dispose(&ev);
	strata_buf_dispose(&before);
	strata_buf_dispose(&after);
}
END_TEST

START_TEST(refused_without_the_builders_part)
{
	strata_evidence ev;
	strata_evidence_view_result res;
	git_oid other;

	received();
	evidence(&ev, 1);
	ck_assert_int_eq(strata_evidence_check_view(st, &ev, NULL, &res, NULL, NULL), STRATA_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "add that node's part there"));
	strata_evidence_dispose(&ev);
	/* a view the bundle does not hold */
	evidence(&ev, 0);
	git_oid_fromstr(&other, "0123456789012345678901234567890123456789");
	ck_assert_int_eq(strata_evidence_check_view(st, &ev, &other, &res, NULL, NULL), STRATA_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "holds no hop of view 012345678901"));
	/* at the builder: it received no view, so there is none to default to */
	ck_assert_int_eq(strata_evidence_check_view(cn, &ev, NULL, &res, NULL, NULL), STRATA_ENOTFOUND);
	strata_evidence_dispose(&ev);
}
END_TEST

START_TEST(refused_when_the_policy_text_is_not_the_views)
{
	strata_evidence ev;
	strata_evidence_view_result res;
	size_t i;

	received();
	evidence(&ev, 0);
	/* the policy blob changed in the bundle: verify names it before any field is read */
	{
		json_t **parts = NULL;
		size_t n = 0;
		char name[80];
		ck_assert_int_eq(strata_evidence_load_parts(&parts, &n, &ev), 0);
		snprintf(name, sizeof(name), "objects/blob/%s", json_string_value(json_object_get(json_object_get(
			 json_array_get(json_object_get(parts[1], "hops"), 0), "policy"), "blob")));
		strata_evidence_free_parts(parts, n);
		for (i = 0; i < ev.n && strcmp(ev.e[i].name, name); i++)
			;
	}
	ck_assert_uint_lt(i, ev.n);
	ev.e[i].data.ptr[ev.e[i].data.len - 2] ^= 1;
	ck_assert_int_eq(strata_evidence_check_view(st, &ev, NULL, &res, count, NULL), STRATA_EVERIFY);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), ev.e[i].name));
	ck_assert_uint_eq(res.as_given + res.differ + res.unchecked, 0);
	strata_evidence_dispose(&ev);
}
END_TEST

START_TEST(refused_for_a_builder_this_node_does_not_know)
{
	strata_evidence ev;
	strata_evidence_view_result res;

	received();
	evidence(&ev, 0);
	ck_assert_int_eq(strata_journal_lock(st), 0);
	ck_assert_int_eq(strata_peers_remove(st, "cn-a"), 0);
	ck_assert_int_eq(strata_evidence_check_view(st, &ev, NULL, &res, NULL, NULL), STRATA_EVERIFY);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "does not hold for cn-a"));
	strata_evidence_dispose(&ev);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("evidence_view");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, honest_view_checks);
	tcase_add_test(tc, refused_without_the_builders_part);
	tcase_add_test(tc, refused_when_the_policy_text_is_not_the_views);
	tcase_add_test(tc, refused_for_a_builder_this_node_does_not_know);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
