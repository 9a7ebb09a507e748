/*
 * check_view.c - the never-leak property over whole views (doc/design.md,
 * guarantee 1): random datasets and random policies, real view builds,
 * and a scan of every object reachable from each view.
 * STRATA_LEAK_CASES sets the number of cases (default 1000).
 */
#include "fixture.h"
#include "strata/data/import.h"
#include "strata/policy/policy.h"
#include "strata/policy/view.h"
#include "strata/node/peers.h"
#include "strata/node/journal.h"
#include "strata/format/json.h"
#include "strata/policy/policy_store.h"

static const char *pieces[] = {
	"张", "三", "李", "四", "王", "浙", "江", "杭", "州", "街", "道", "社", "区", "号",
	"a", "b", "q", "Z", "x", "9", "0", "5", "\"", "\\", "\n", ",", " ", "'", ":", "{", "}",
	"é", "ß", "—", "€", "𝄞", "#", "-", "_", "/", "m", "k", "w", "R", "T", "Y", "H"
};
#define NPIECES (sizeof(pieces) / sizeof(*pieces))

static void rand_text(strata_buf *b, unsigned *seed, int min, int max, int allow_ctl)
{
	int n = min + rand_r(seed) % (max - min + 1);
	strata_buf_clear(b);
	for (int i = 0; i < n; i++) {
		const char *p;
		do
			p = pieces[rand_r(seed) % NPIECES];
		while (!allow_ctl && (p[0] == '\n' || p[0] == '"' || p[0] == '\\'));
		strata_buf_puts(b, p);
	}
}

/* 1 if text also stands in a value the policy shares as is: not a leak */
static int shared_text(const char *w, size_t wl, char vals[][6][200], const int *kinds, int nr, int nf)
{
	for (int r = 0; r < nr; r++)
		for (int i = 0; i < nf; i++)
			if (kinds[i] == 0 && memmem(vals[r][i], strlen(vals[r][i]), w, wl))
				return 1;
	return 0;
}

/*
 * Every window of 6 characters of v, raw and JSON-escaped, must be absent
 * from hay, unless the same text is also part of a value the policy keeps
 * (random values from a small alphabet do share text by chance).
 */
static int leaked(const char *hay, size_t haylen, const char *v, char *which, size_t wsize,
		  char vals[][6][200], const int *kinds, int nr, int nf)
{
	size_t len = strlen(v), starts[512], n = 0;
	for (size_t i = 0; i < len && n < 511; i++)
		if (((unsigned char)v[i] & 0xc0) != 0x80)
			starts[n++] = i;
	starts[n] = len;
	for (size_t i = 0; i + 6 <= n; i++) {
		size_t off = starts[i], wl = starts[i + 6] - off;
		strata_buf esc = STRATA_BUF_INIT;
		int found;
		strata_json_put_string(&esc, v + off, wl);
		found = (memmem(hay, haylen, v + off, wl) != NULL ||
			 memmem(hay, haylen, esc.ptr + 1, esc.len - 2) != NULL) &&
			!shared_text(v + off, wl, vals, kinds, nr, nf);
		if (found)
			snprintf(which, wsize, "%.*s", (int)wl, v + off);
		strata_buf_dispose(&esc);
		if (found)
			return 1;
	}
	return 0;
}

/* everything reachable from a commit: its bytes, and those of its trees and blobs */
static void dump_tree(strata_buf *out, git_repository *repo, const git_oid *id)
{
	git_odb *odb;
	git_odb_object *o;
	git_tree *t;
	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	ck_assert_int_eq(git_odb_read(&o, odb, id), 0);
	strata_buf_put(out, git_odb_object_data(o), git_odb_object_size(o));
	if (git_odb_object_type(o) == GIT_OBJECT_TREE) {
		ck_assert_int_eq(git_tree_lookup(&t, repo, id), 0);
		for (size_t i = 0; i < git_tree_entrycount(t); i++)
			dump_tree(out, repo, git_tree_entry_id(git_tree_entry_byindex(t, i)));
		git_tree_free(t);
	}
	git_odb_object_free(o);
	git_odb_free(odb);
}

START_TEST(views_never_leak)
{
	const char *env = getenv("STRATA_LEAK_CASES");
	int cases = env ? atoi(env) : 1000, per_node = 250;
	unsigned seed = 4242;
	strata_node *n = NULL;
	strata_buf t = STRATA_BUF_INIT, line = STRATA_BUF_INIT, yaml = STRATA_BUF_INIT, dump = STRATA_BUF_INIT;

	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	for (int c = 0; c < cases; c++) {
		char names[6][64], *np[6], vals[20][6][200], *vp[6];
		int kinds[6], nf = 2 + rand_r(&seed) % 5, nr = 1 + rand_r(&seed) % 20;
		size_t order[6];
		char path[600], ds[32], pol[32], which[64];
		FILE *f;
		strata_import_opts o = { 0 };
		strata_import_result ir;
		strata_policy_commit_result pr;
		strata_view_result vr;
		char *key[1];

		if (c % per_node == 0) {
			char dir[600];
			strata_node_free(n);
			snprintf(dir, sizeof(dir), "node%d", c / per_node);
			ck_assert_int_eq(strata_node_init(fx_path(dir), "cn-leak", "community"), 0);
			ck_assert_int_eq(strata_node_open(&n, fx_path(dir)), 0);
		}
		/* random field names (unique) and values (quotes, newlines, Chinese) */
		for (int i = 0; i < nf; i++) {
			rand_text(&t, &seed, 1, 4, 0);
			snprintf(names[i], sizeof(names[i]), "%s%d", t.ptr, i);
			np[i] = names[i];
			kinds[i] = rand_r(&seed) % 5;	/* 0 keep, 1 drop, 2 pseudonym, 3 omitted, 4 mask */
		}
		kinds[0] = rand_r(&seed) % 2 ? 0 : 2;	/* the key: kept or pseudonymized */
		strata_json_sort_names(order, np, (size_t)nf);
		snprintf(path, sizeof(path), "%s/in%d.jsonl", fx_dir, c);
		f = fopen(path, "wb");
		for (int r = 0; r < nr; r++) {
			for (int i = 0; i < nf; i++) {
				rand_text(&t, &seed, 8, 24, 1);
				snprintf(vals[r][i], sizeof(vals[r][i]), "%s%s", i == 0 ? "" : "", t.ptr);
				if (i == 0)	/* unique keys */
					snprintf(vals[r][i], sizeof(vals[r][i]), "%d-%s", r, t.ptr);
				vp[i] = vals[r][i];
			}
			strata_buf_clear(&line);
			strata_json_put_record(&line, np, vp, NULL, order, (size_t)nf);
			fprintf(f, "%s\n", line.ptr);
		}
		fclose(f);
		snprintf(ds, sizeof(ds), "d%d", c);
		key[0] = names[0];
		o.path = path;
		o.key = key;
		o.nkey = 1;
		ck_assert_msg(strata_import_dataset(n, ds, &o, &ir) == 0, "case %d: import: %s", c, strata_error_last());

		/* a random policy for it */
		snprintf(pol, sizeof(pol), "p%d", c);
		strata_buf_clear(&yaml);
		strata_buf_printf(&yaml, "policy: %s\nversion: 1\npurpose: leak test\nrecipients: {tiers: [street]}\n"
				  "datasets:\n  %s:\n    fields:\n", pol, ds);
		for (int i = 0; i < nf; i++) {
			static const char *tr[] = { "keep", "drop", "pseudonym", NULL, "{mask: [1, 1]}" };
			if (kinds[i] == 3)
				continue;
			strata_buf_puts(&yaml, "      ");
			strata_json_put_string(&yaml, names[i], strlen(names[i]));	/* a YAML double-quoted scalar */
			strata_buf_printf(&yaml, ": %s\n", tr[kinds[i]]);
		}
		snprintf(path, sizeof(path), "%s/%s.yaml", fx_dir, pol);
		f = fopen(path, "wb");
		fwrite(yaml.ptr, 1, yaml.len, f);
		fclose(f);
		ck_assert_msg(strata_policy_store_commit(n, path, &pr) == 0, "case %d: policy: %s\n%s", c, strata_error_last(), yaml.ptr);
		{
			strata_peer_spec st = { .name = "st-x", .tier = "street", .policy = pol, .direction = "both" };
			ck_assert_int_eq(strata_sign_pubkey_parse(&st.key,
				"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBOAMtHnqw7tDd+QYFuEfHBb1pVsrqvGUXS7UnUxTA3L"), 0);
			int rc;
			ck_assert_int_eq(strata_journal_lock(n), 0);
			if ((rc = strata_peers_add(n, &st)) == STRATA_EEXISTS) {	/* pinned by an earlier case */
				strata_buf changed = STRATA_BUF_INIT;
				strata_peer_spec ch = { .policy = pol };
				rc = strata_peers_set(&changed, n, "st-x", &ch, 0, 0);
				strata_buf_dispose(&changed);
			}
			ck_assert_int_eq(rc, 0);
		}
		snprintf(path, sizeof(path), "refs/strata/datasets/%s", ds);
		ck_assert_msg(strata_view_build_one(n, "st-x", path, 0, &vr) == 0, "case %d: view: %s", c, strata_error_last());
		ck_assert_uint_eq(vr.records, (size_t)nr);

		/* every object reachable from the view */
		{
			git_commit *cm;
			strata_buf_clear(&dump);
			ck_assert_int_eq(git_commit_lookup(&cm, strata_node_repo(n), &vr.commit), 0);
			strata_buf_put(&dump, git_commit_raw_header(cm), strlen(git_commit_raw_header(cm)));
			strata_buf_puts(&dump, git_commit_message_raw(cm));
			dump_tree(&dump, strata_node_repo(n), git_commit_tree_id(cm));
			git_commit_free(cm);
		}
		for (int r = 0; r < nr; r++)
			for (int i = 0; i < nf; i++) {
				if (kinds[i] == 0 || kinds[i] == 4)
					continue;	/* kept, or masked (shows its ends by design) */
				ck_assert_msg(!leaked(dump.ptr, dump.len, vals[r][i], which, sizeof(which), vals, kinds, nr, nf),
					      "case %d: '%s' of field '%s' (rule %d) leaked", c, which, names[i], kinds[i]);
				/* and the field name of a dropped/omitted field is not in the schema */
				if (kinds[i] == 1 || kinds[i] == 3) {
					strata_buf q = STRATA_BUF_INIT;
					strata_json_put_string(&q, names[i], strlen(names[i]));
					ck_assert_msg(memmem(dump.ptr, dump.len, q.ptr, q.len) == NULL,
						      "case %d: dropped field name %s appears", c, q.ptr);
					strata_buf_dispose(&q);
				}
			}
	}
	strata_node_free(n);
	strata_buf_dispose(&t);
	strata_buf_dispose(&line);
	strata_buf_dispose(&yaml);
	strata_buf_dispose(&dump);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("view");
	TCase *tc = tcase_create("leak");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_set_timeout(tc, 1200);
	tcase_add_test(tc, views_never_leak);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
