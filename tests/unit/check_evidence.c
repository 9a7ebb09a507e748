/* check_evidence.c - an evidence bundle: made at a node, read, written, checked with no node; changes refused */
#include "two_nodes.h"
#include "strata/format/evidence.h"
#include "strata/replica/evidence_export.h"
#include "strata/policy/view.h"

#define KEY "330108194007120007"	/* the first record of seeds/residents.csv */

static int said;
static void count(const char *what, void *payload)
{
	(void)what;
	(void)payload;
	said++;
}

static int render(strata_buf *html, json_t *const *parts, size_t nparts, void *payload)
{
	(void)parts;
	(void)payload;
	return strata_buf_printf(html, "<p>%zu</p>\n", nparts);
}

/* the bundle made at cn for KEY, written out */
static void made(strata_buf *out, int whole_leaf)
{
	char *keys[] = { KEY };
	strata_evidence ev = { 0 };

	ck_assert_int_eq(strata_node_load_key(cn), 0);
	ck_assert_int_eq(strata_evidence_add_part(&ev, cn, "residents", keys, 1, whole_leaf, NULL, render, NULL), 0);
	ck_assert_uint_eq(strata_evidence_parts(&ev), 1);
	ck_assert_int_eq(strata_evidence_write(out, &ev), 0);
	strata_evidence_dispose(&ev);
}

/* read and verified: the code */
static int check(const void *data, size_t len, const char *keys)
{
	strata_evidence ev;
	int rc = strata_evidence_read(&ev, "b", data, len);

	if (rc < 0)
		return rc;
	rc = strata_evidence_verify(&ev, keys, NULL, count, NULL);
	strata_evidence_dispose(&ev);
	return rc;
}

START_TEST(made_read_checked)
{
	strata_buf b = STRATA_BUF_INIT, again = STRATA_BUF_INIT;
	strata_evidence ev;
	const strata_buf *part;
	char name[160];

	made(&b, 0);
	said = 0;
	ck_assert_int_eq(check(b.ptr, b.len, NULL), 0);
	ck_assert_int_ge(said, 3);	/* the part, the commit's signature, the leaf, the keys */
	ck_assert_int_eq(strata_evidence_read(&ev, "b", b.ptr, b.len), 0);
	ck_assert_int_eq(ev.noncanonical, 0);
	part = strata_evidence_part(&ev, 1, name, sizeof(name));
	ck_assert_ptr_nonnull(part);
	ck_assert_str_eq(name, "parts/1-cn-a.json");
	ck_assert_ptr_nonnull(strstr(part->ptr, "\"role\": \"owner\""));
	/* the leaf, with other people's records, is not in it unless asked */
	{
		json_t *o = json_loadb(part->ptr, part->len, 0, NULL);
		const char *leaf = json_string_value(json_object_get(json_array_get(json_object_get(o, "hops"), 0), "leaf"));
		char file[80];
		ck_assert_ptr_nonnull(leaf);
		snprintf(file, sizeof(file), "objects/blob/%s", leaf);
		ck_assert_ptr_null(json_object_get(json_object_get(o, "files"), file));
		ck_assert_ptr_null(strata_evidence_get(&ev, file));
		json_decref(o);
	}
	ck_assert_ptr_nonnull(strata_evidence_get(&ev, "report.html"));
	ck_assert_int_eq(strata_evidence_write(&again, &ev), 0);
	ck_assert_uint_eq(again.len, b.len);
	ck_assert(!memcmp(again.ptr, b.ptr, b.len));
	/* nothing to add to a trace that reached the owner */
	{
		char *keys[] = { KEY };
		ck_assert_int_lt(strata_evidence_add_part(&ev, cn, "residents", keys, 1, 0, NULL, render, NULL), 0);
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "ends at the owner's commit already"));
		ck_assert_uint_eq(strata_evidence_parts(&ev), 1);	/* as it was */
	}
	strata_evidence_dispose(&ev);
	strata_buf_dispose(&b);
	strata_buf_dispose(&again);
}
END_TEST

START_TEST(whole_leaf_recomputed)
{
	strata_buf b = STRATA_BUF_INIT, with = STRATA_BUF_INIT;

	made(&b, 0);
	made(&with, 1);
	ck_assert_uint_gt(with.len, b.len);
	ck_assert_int_eq(check(with.ptr, with.len, NULL), 0);
	strata_buf_dispose(&b);
	strata_buf_dispose(&with);
}
END_TEST

START_TEST(every_flip_refused)
{
	strata_buf b = STRATA_BUF_INIT;

	made(&b, 1);
	/* a byte flipped anywhere: in a header, a file, the padding, the end */
	for (size_t off = 0; off < b.len; off += 97) {
		b.ptr[off] ^= 0x20;
		ck_assert_msg(check(b.ptr, b.len, NULL) < 0, "a flip at %zu of %zu was not refused", off, b.len);
		b.ptr[off] ^= 0x20;
	}
	ck_assert_int_eq(check(b.ptr, b.len, NULL), 0);
	strata_buf_dispose(&b);
}
END_TEST

START_TEST(items_changed_named)
{
	strata_buf b = STRATA_BUF_INIT, out = STRATA_BUF_INIT;
	strata_evidence ev;
	size_t i;

	made(&b, 0);
	/* a file the part lists, changed and written again (canonical, so only the digest tells) */
	ck_assert_int_eq(strata_evidence_read(&ev, "b", b.ptr, b.len), 0);
	for (i = 0; i < ev.n && strncmp(ev.e[i].name, "objects/tree/", 13); i++)
		;
	ck_assert_uint_lt(i, ev.n);
	ev.e[i].data.ptr[ev.e[i].data.len - 1] ^= 1;
	ck_assert_int_eq(strata_evidence_write(&out, &ev), 0);
	ck_assert_int_eq(check(out.ptr, out.len, NULL), STRATA_EVERIFY);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), ev.e[i].name));
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "SHA-256 differs"));
	strata_evidence_dispose(&ev);
	/* a file no part lists */
	ck_assert_int_eq(strata_evidence_read(&ev, "b", b.ptr, b.len), 0);
	ck_assert_int_eq(strata_evidence_put(&ev, "objects/blob/0000000000000000000000000000000000000000", "x", 1), 0);
	strata_buf_clear(&out);
	ck_assert_int_eq(strata_evidence_write(&out, &ev), 0);
	ck_assert_int_eq(check(out.ptr, out.len, NULL), STRATA_EVERIFY);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "no part lists it"));
	strata_evidence_dispose(&ev);
	/* the reader's keys: another node's key for cn-a is refused, its own accepted */
	{
		strata_buf keys = STRATA_BUF_INIT, line = STRATA_BUF_INIT;
		ck_assert_int_eq(strata_sign_pubkey_format(&line, strata_node_pubkey(st)), 0);
		strata_buf_printf(&keys, "cn-a %s\n", line.ptr);
		ck_assert_int_eq(check(b.ptr, b.len, keys.ptr), STRATA_EVERIFY);
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "not one your keys list"));
		strata_buf_clear(&keys);
		strata_buf_clear(&line);
		ck_assert_int_eq(strata_sign_pubkey_format(&line, strata_node_pubkey(cn)), 0);
		strata_buf_printf(&keys, "# the community\ncn-a namespaces=\"git\" %s\n", line.ptr);
		ck_assert_int_eq(check(b.ptr, b.len, keys.ptr), 0);
		strata_buf_dispose(&keys);
		strata_buf_dispose(&line);
	}
	strata_buf_dispose(&b);
	strata_buf_dispose(&out);
}
END_TEST

START_TEST(not_a_bundle)
{
	strata_evidence ev = { 0 };
	strata_buf out = STRATA_BUF_INIT;

	ck_assert_int_lt(strata_evidence_read(&ev, "junk", "not a tar at all", 16), 0);
	/* a tar of a name a bundle does not hold */
	ck_assert_int_eq(strata_evidence_put(&ev, "../etc/passwd", "x", 1), 0);
	ck_assert_int_eq(strata_evidence_write(&out, &ev), 0);
	strata_evidence_dispose(&ev);
	ck_assert_int_lt(strata_evidence_read(&ev, "t", out.ptr, out.len), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "unexpected entry '../etc/passwd'"));
	/* a tar with no part */
	strata_buf_clear(&out);
	ck_assert_int_eq(strata_evidence_put(&ev, "report.html", "x", 1), 0);
	ck_assert_int_eq(strata_evidence_write(&out, &ev), 0);
	strata_evidence_dispose(&ev);
	ck_assert_int_lt(strata_evidence_read(&ev, "t", out.ptr, out.len), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "no parts/1-NODE.json"));
	strata_buf_dispose(&out);
}
END_TEST

/* the part's JSON changed by `edit` and signed again by cn itself: a node that lies in its own part */
static void resign(strata_evidence *ev, void (*edit)(json_t *part))
{
	char name[160], sig[170];
	const strata_buf *b = strata_evidence_part(ev, 1, name, sizeof(name));
	json_t *o = json_loadb(b->ptr, b->len, 0, NULL);
	strata_buf text = STRATA_BUF_INIT, s = STRATA_BUF_INIT;
	char *dump;

	ck_assert_ptr_nonnull(o);
	edit(o);
	dump = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	strata_buf_puts(&text, dump);
	strata_buf_putc(&text, '\n');
	ck_assert_int_eq(strata_sign_sshsig(&s, strata_node_key(cn), STRATA_EVIDENCE_NAMESPACE, text.ptr, text.len), 0);
	strata_buf_putc(&s, '\n');
	ck_assert_int_eq(strata_evidence_put(ev, name, text.ptr, text.len), 0);
	snprintf(sig, sizeof(sig), "%s.sig", name);
	ck_assert_int_eq(strata_evidence_put(ev, sig, s.ptr, s.len), 0);
	free(dump);
	json_decref(o);
	strata_buf_dispose(&text);
	strata_buf_dispose(&s);
}

static void longer_chain(json_t *part)
{
	json_t *e = json_object_get(part, "events");
	json_object_set_new(e, "count", json_integer(json_integer_value(json_object_get(e, "count")) + 1));
}

static char other_commit[GIT_OID_HEXSZ + 1];
static void other_hop(json_t *part)
{
	json_t *e = json_array_get(json_object_get(json_object_get(part, "events"), "hops"), 0);
	json_object_set_new(e, "commit", json_string(other_commit));
}

START_TEST(events_in_one_chain)
{
	strata_buf b = STRATA_BUF_INIT;
	strata_evidence ev;
	json_t **parts = NULL, *events;
	size_t n = 0;

	/* an import writes no event (the dataset's commits are its record): no event names the commit yet */
	made(&b, 0);
	ck_assert_int_eq(strata_evidence_read(&ev, "b", b.ptr, b.len), 0);
	ck_assert_int_eq(strata_evidence_load_parts(&parts, &n, &ev), 0);
	ck_assert_ptr_null(json_object_get(parts[0], "events"));
	strata_evidence_free_parts(parts, n);
	strata_evidence_dispose(&ev);
	strata_buf_clear(&b);
	/* a view built from it: the event that built it names its source */
	ck_assert_msg(strata_view_build(cn, "st-b", 0, NULL, NULL) == 0, "%s", strata_error_last());
	made(&b, 0);
	ck_assert_int_eq(strata_evidence_read(&ev, "b", b.ptr, b.len), 0);
	ck_assert_int_eq(strata_evidence_load_parts(&parts, &n, &ev), 0);
	events = json_object_get(parts[0], "events");
	ck_assert_ptr_nonnull(events);
	ck_assert_int_ge(json_integer_value(json_object_get(events, "count")), 1);
	ck_assert_uint_ge(json_array_size(json_object_get(events, "hops")), 1);
	snprintf(other_commit, sizeof(other_commit), "%s", json_string_value(json_object_get(events, "head")));
	strata_evidence_free_parts(parts, n);
	ck_assert_int_eq(strata_evidence_verify(&ev, NULL, NULL, NULL, NULL), 0);
	/* the node says its chain is longer than the events it brings */
	resign(&ev, longer_chain);
	ck_assert_int_eq(strata_evidence_verify(&ev, NULL, NULL, NULL, NULL), STRATA_EVERIFY);
	ck_assert_msg(strstr(strata_error_last(), "objects/commit/") != NULL, "%s", strata_error_last());	/* the event before, not in the bundle */
	strata_evidence_dispose(&ev);
	/* an event said to record a commit that is not one of the part's hops */
	ck_assert_int_eq(strata_evidence_read(&ev, "b", b.ptr, b.len), 0);
	resign(&ev, other_hop);
	ck_assert_int_eq(strata_evidence_verify(&ev, NULL, NULL, NULL, NULL), STRATA_EVERIFY);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "not one of its hops"));
	strata_evidence_dispose(&ev);
	strata_buf_dispose(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("evidence");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, made_read_checked);
	tcase_add_test(tc, whole_leaf_recomputed);
	tcase_add_test(tc, every_flip_refused);
	tcase_add_test(tc, items_changed_named);
	tcase_add_test(tc, not_a_bundle);
	tcase_add_test(tc, events_in_one_chain);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
