/*
 * view.c - building redacted views; see view.h.
 *
 * Redaction happens here, once, when the view is built (doc/design.md,
 * guarantee 1): records stream from the source through the redactor into
 * the spill buckets, keyed by the hash of the redacted key, then through
 * the trie builder into a pack.  Nothing derived from a dropped or raw
 * value reaches the view's objects: not paths (keyed by redacted keys),
 * not the message (counts and ids only), not the schema (shared fields
 * only).
 */
#include "strata/policy/view.h"
#include "strata/base/i18n.h"
#include "strata/node/audit.h"
#include "strata/node/journal.h"
#include "strata/node/change.h"
#include "strata/node/prune.h"
#include "strata/node/ledger.h"
#include "strata/node/commit.h"
#include "strata/policy/policy.h"
#include "strata/policy/redact.h"
#include "strata/format/spill.h"
#include "strata/base/fs.h"
#include "strata/format/name.h"
#include "strata/node/refs.h"
#include "strata/node/peers.h"
#include "strata/data/dataset.h"
#include "strata/format/json.h"
#include "strata/policy/policy_store.h"
#include "strata/policy/policy_diff.h"
#include "strata/base/array.h"
#include "strata/base/digest.h"
#include "strata/base/enc.h"
#include "strata/base/time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#define VIEW_ZLIB_LEVEL 3
#define VIEW_THREADS 2		/* redaction threads for a full build */

/*
 * min_k: records in classes (equal on the quasi-identifiers, as the
 * recipient holds them) smaller than k are not sent, and are counted.  A
 * first pass redacts every source record to count its class, by a 64-bit
 * hash of its quasi-identifier values; the build then leaves out the
 * records of small classes.  Only all the records tell the classes, so a
 * dataset under min_k is always built in full.
 */
typedef struct {
	uint64_t *hash;		/* sorted, one per class */
	uint32_t *count;
	size_t n, alloc;
	char *qi[64];
	size_t nqi, k;
} kclasses;

typedef struct {
	strata_redactor *r;
	const strata_schema *vs;	/* the view's schema */
	strata_spill *spill;
	strata_buf out;
	size_t kept;
	const kclasses *kc;		/* min_k, or NULL */
	size_t suppressed;
	strata_buf tuple, v;
	const strata_schema *ss;	/* the source's schema: its key names the record in the ledger */
	const strata_hmac_key *tk;	/* the record key (ledger.h) */
	strata_spill *tokens;		/* the tokens of the records kept */
} stream_ctx;

/* The class of a redacted line: a hash of its quasi-identifier values, each ended by 0x1f. */
static int class_of(uint64_t *out, const kclasses *kc, const char *line, size_t len, strata_buf *tuple, strata_buf *v)
{
	unsigned char h[32];
	int rc;

	strata_buf_clear(tuple);
	for (size_t i = 0; i < kc->nqi; i++) {
		strata_buf_clear(v);
		if ((rc = strata_json_record_field(v, line, len, kc->qi[i])) < 0)
			return rc;
		if ((v->len && strata_buf_put(tuple, v->ptr, v->len) < 0) || strata_buf_putc(tuple, 0x1f) < 0)
			return STRATA_ERROR;
	}
	if (strata_digest_sha256(h, tuple->ptr ? tuple->ptr : "", tuple->len) < 0)
		return STRATA_ERROR;
	memcpy(out, h, sizeof(*out));
	return 0;
}

static size_t class_size(const kclasses *kc, uint64_t h)
{
	size_t lo = 0, hi = kc->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (kc->hash[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < kc->n && kc->hash[lo] == h ? kc->count[lo] : 0;
}

typedef struct {
	strata_redactor *r;
	kclasses *kc;
	strata_buf out, tuple, v;
} count_ctx;

static int count_line(const char *line, size_t len, void *payload)
{
	count_ctx *x = payload;
	uint64_t h;
	int kept, error;

	if ((error = strata_redact_line(x->r, line, len, &x->out, &kept)) < 0 || !kept)
		return error;
	if ((error = class_of(&h, x->kc, x->out.ptr, x->out.len, &x->tuple, &x->v)) < 0 ||
	    (error = strata_array_grow(&x->kc->hash, &x->kc->alloc, x->kc->n + 1, 4096)) < 0)
		return error;
	x->kc->hash[x->kc->n++] = h;
	return 0;
}

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void kclasses_dispose(kclasses *kc)
{
	free(kc->hash);
	free(kc->count);
	memset(kc, 0, sizeof(*kc));
}

/* The first pass: every kept record's class, counted. */
static int kclasses_count(kclasses *kc, git_repository *repo, strata_redactor *r, const strata_policy_dataset *pd,
			  const strata_schema *src_schema, const git_tree *src_tree)
{
	count_ctx x = { r, kc, STRATA_BUF_INIT, STRATA_BUF_INIT, STRATA_BUF_INIT };
	size_t n = 0;
	int error;

	memset(kc, 0, sizeof(*kc));
	kc->k = (size_t)pd->min_k;
	kc->nqi = strata_policy_quasi_identifiers(pd, src_schema, kc->qi, sizeof(kc->qi) / sizeof(*kc->qi));
	error = strata_dataset_foreach(repo, src_tree, count_line, &x);
	strata_buf_dispose_secret(&x.out);
	strata_buf_dispose_secret(&x.tuple);
	strata_buf_dispose_secret(&x.v);
	if (error < 0)
		return error;
	qsort(kc->hash, kc->n, sizeof(*kc->hash), by_u64);
	if ((kc->count = calloc(kc->n + 1, sizeof(*kc->count))) == NULL)
		return strata_error_set("out of memory");
	for (size_t i = 0; i < kc->n; i++) {
		if (n && kc->hash[n - 1] == kc->hash[i]) {
			kc->count[n - 1]++;
			continue;
		}
		kc->hash[n] = kc->hash[i];
		kc->count[n++] = 1;
	}
	kc->n = n;
	return 0;
}

/* Records in classes below k. */
static size_t kclasses_small(const kclasses *kc)
{
	size_t small = 0;
	for (size_t i = 0; i < kc->n; i++)
		if (kc->count[i] < kc->k)
			small += kc->count[i];
	return small;
}

static const strata_rule *rule_for(const strata_policy_dataset *pd, const char *field)
{
	for (size_t i = 0; i < pd->nrules; i++)
		if (!strcmp(pd->rules[i].field, field))
			return &pd->rules[i];
	return NULL;
}

/* The type a field has after its transform. */
static const char *view_type(const strata_rule *r, const char *src)
{
	switch (r->kind) {
	case STRATA_T_KEEP: return src;
	case STRATA_T_YEAR: return "integer";
	case STRATA_T_MONTH: return "month";	/* YYYY-MM: can be generalized to a year downstream */
	case STRATA_T_PSEUDONYM: return "token";	/* a keyed token: the recipient (and its own policy risk) knows it is no value */
	default: return "string";
	}
}

static int view_schema(strata_schema *vs, const strata_schema *src, const strata_policy_dataset *pd)
{
	memset(vs, 0, sizeof(*vs));
	if ((vs->names = calloc(src->nfields + 1, sizeof(char *))) == NULL ||
	    (vs->types = calloc(src->nfields + 1, sizeof(char *))) == NULL)
		return strata_error_set("out of memory");
	for (size_t i = 0; i < src->nfields; i++) {
		const strata_rule *r = rule_for(pd, src->names[i]);
		if (!r || r->kind == STRATA_T_DROP)
			continue;
		vs->names[vs->nfields] = src->names[i];
		vs->types[vs->nfields++] = (char *)view_type(r, src->types[i]);
	}
	vs->key = src->key;
	vs->nkey = src->nkey;
	return 0;
}

static int stream_line(const char *line, size_t len, void *payload)
{
	stream_ctx *x = payload;
	unsigned char hash[STRATA_HASH_LEN];
	int kept, error;

	if ((error = strata_redact_line(x->r, line, len, &x->out, &kept)) < 0 || !kept)
		return error;
	if (x->kc) {
		uint64_t h;
		if ((error = class_of(&h, x->kc, x->out.ptr, x->out.len, &x->tuple, &x->v)) < 0)
			return error;
		if (class_size(x->kc, h) < x->kc->k) {
			x->suppressed++;	/* min_k: too few like it */
			return 0;
		}
	}
	/* the disclosure ledger's token: from the source's key, as this node holds it */
	if (x->tk) {
		unsigned char src_hash[STRATA_HASH_LEN];
		strata_token t;
		if ((error = strata_trie_line_keyhash(src_hash, line, len, x->ss->key, x->ss->nkey)) < 0 ||
		    (error = strata_ledger_token(&t, x->tk, src_hash)) < 0 ||
		    (error = strata_ledger_spill_add(x->tokens, t)) < 0)
			return error;
	}
	/* the view's key hash: from the redacted key values */
	if ((error = strata_trie_line_keyhash(hash, x->out.ptr, x->out.len, x->vs->key, x->vs->nkey)) < 0)
		return error;
	x->kept++;
	return strata_spill_add(x->spill, hash, 0, 1, x->out.ptr, x->out.len);
}

/* Writes records/ from the spills (merged per bucket); keys must be unique after redaction. */
static int build_records(strata_spill **spills, int nspills, strata_packw *w, git_oid *oid)
{
	strata_trie_builder *b = NULL;
	strata_trie_item *items = NULL;
	strata_buf data = STRATA_BUF_INIT;
	size_t alloc = 0;
	int error;

	if ((error = strata_trie_builder_new(&b, w)) < 0)
		return error;
	for (unsigned i = 0; i < STRATA_SPILL_BUCKETS && !error; i++) {
		size_t n = 0;
		if ((error = strata_spill_load_all(spills, nspills, i, &data, &items, &alloc, &n)) < 0)
			break;
		for (size_t k = 1; k < n && !error; k++)
			if (!memcmp(items[k - 1].hash, items[k].hash, STRATA_HASH_LEN))
				error = strata_error_set("two records have the same key after redaction; "
							 "key fields must be kept or pseudonymized");
		if (!error)
			error = strata_trie_builder_add(b, items, n);
	}
	if (!error)
		error = strata_trie_builder_finish(b, oid);
	strata_trie_builder_free(b);
	free(items);
	strata_buf_dispose(&data);
	return error;
}

/*
 * One redaction thread of a full build: the dirs i of records/ with
 * i % nparts == part, read through its own repository handle (libgit2 objects are not
 * shared across threads), into its own spill.
 */
typedef struct {
	stream_ctx x;
	const char *repo_path;
	git_oid records;
	unsigned part, nparts;
	int error;
	char errmsg[512];
} redact_worker;

static void *redact_main(void *arg)
{
	redact_worker *wk = arg;
	git_repository *repo = NULL;
	git_tree *t = NULL;
	int error = 0;

	if (git_repository_open_bare(&repo, wk->repo_path) < 0 || git_tree_lookup(&t, repo, &wk->records) < 0)
		error = strata_error_git("cannot read the view's source");
	for (size_t i = wk->part; t && i < git_tree_entrycount(t) && !error; i += wk->nparts)
		error = strata_dataset_foreach_entry(repo, git_tree_entry_byindex(t, i), stream_line, &wk->x);
	if (error) {
		wk->error = error;
		snprintf(wk->errmsg, sizeof(wk->errmsg), "%s", strata_error_last());
	}
	git_tree_free(t);
	git_repository_free(repo);
	strata_json_thread_cleanup();
	return NULL;
}

/* Redacts every source record on VIEW_THREADS threads, then builds records/. */
/* Redacts every record of `src_tree` into `w`, for `repo` (spilling under NODE/tmp of `node_dir`). */
static int build_full(git_repository *repo, const char *node_dir, strata_redactor *r, const strata_schema *vs, const git_tree *src_tree,
		      const kclasses *kc, strata_packw *w, git_oid *records_oid, size_t *records, size_t *suppressed,
		      const strata_schema *ss, const strata_hmac_key *tk, git_oid *token_set)
{
	redact_worker wk[VIEW_THREADS];
	pthread_t th[VIEW_THREADS];
	strata_spill *spills[VIEW_THREADS], *tokens[VIEW_THREADS];
	const git_tree_entry *re = git_tree_entry_byname(src_tree, "records");
	int started = 0, error = 0;

	memset(wk, 0, sizeof(wk));
	if (!re || git_tree_entry_type(re) != GIT_OBJECT_TREE)
		return strata_error_set("dataset tree has no records/");
	for (int i = 0; i < VIEW_THREADS && !error; i++) {
		wk[i].x.r = r;
		wk[i].x.vs = vs;
		wk[i].x.kc = kc;
		wk[i].repo_path = git_repository_path(repo);
		git_oid_cpy(&wk[i].records, git_tree_entry_id(re));
		wk[i].part = (unsigned)i;
		wk[i].nparts = VIEW_THREADS;
		wk[i].x.ss = ss;
		wk[i].x.tk = tk;
		if ((error = strata_spill_open(&wk[i].x.spill, node_dir)) == 0 && tk)
			error = strata_spill_open(&wk[i].x.tokens, node_dir);
	}
	for (; started < VIEW_THREADS && !error; started++)
		if (pthread_create(&th[started], NULL, redact_main, &wk[started]) != 0)
			error = strata_error_set("cannot start a redaction thread");
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < VIEW_THREADS && !error; i++)
		if (wk[i].error)
			error = strata_error_setc(wk[i].error, "%s", wk[i].errmsg);
	*records = 0;
	*suppressed = 0;
	for (int i = 0; i < VIEW_THREADS; i++) {
		spills[i] = wk[i].x.spill;
		tokens[i] = wk[i].x.tokens;
		*records += wk[i].x.kept;
		*suppressed += wk[i].x.suppressed;
	}
	if (!error)
		error = build_records(spills, VIEW_THREADS, w, records_oid);
	if (!error && tk) {
		size_t held;
		error = strata_ledger_set_build(token_set, w, tokens, VIEW_THREADS, &held);
	}
	for (int i = 0; i < VIEW_THREADS; i++) {
		strata_spill_free(wk[i].x.tokens);
		strata_spill_free(wk[i].x.spill);
		strata_buf_dispose_secret(&wk[i].x.out);
		strata_buf_dispose_secret(&wk[i].x.tuple);
		strata_buf_dispose_secret(&wk[i].x.v);
	}
	return error;
}

/* The view's key hash of a redacted line (for records already in a view). */
static int view_line_hash(unsigned char *hash, const char *line, size_t len, void *payload)
{
	const strata_schema *vs = payload;
	return strata_trie_line_keyhash(hash, line, len, vs->key, vs->nkey);
}

/* Changes to apply to the previous view, collected from the source diff. */
typedef struct {
	strata_redactor *r;
	const strata_policy_dataset *pd;
	const strata_schema *vs;
	strata_trie_item *ops;
	size_t n, alloc;
	strata_buf arena, out, vals;
	size_t *offs;
	const strata_schema *ss;	/* the source's: its key names a record in the ledger */
	const strata_hmac_key *tk;
	strata_token *add, *del;	/* the ledger's change: records the view gains or changes, and loses */
	size_t nadd, addalloc, ndel, delalloc;
} ops_ctx;

/* The ledger token of a source record (ledger.h): its key as this node holds it. */
static int source_token(ops_ctx *o, const strata_record *rec, strata_token *t)
{
	char *kv[64];
	size_t kl[64];
	unsigned char hash[STRATA_HASH_LEN];
	int rc;

	for (size_t i = 0; i < o->ss->nkey && i < 64; i++) {
		const char *v = strata_json_record_get(rec, o->ss->key[i]);
		if (!v)
			return strata_error_set("source record lacks key field '%s'", o->ss->key[i]);
		kv[i] = (char *)v;
		kl[i] = strlen(v);
	}
	if ((rc = strata_trie_keyhash(hash, kv, kl, o->ss->nkey < 64 ? o->ss->nkey : 64)) < 0)
		return rc;
	return strata_ledger_token(t, o->tk, hash);
}

/* The view key hash of a source record: its key fields through their rules. */
static int redacted_keyhash(ops_ctx *o, const strata_record *rec, unsigned char *hash)
{
	char *kv[64];
	size_t kl[64], offs[64];

	strata_buf_clear(&o->vals);
	for (size_t i = 0; i < o->vs->nkey && i < 64; i++) {
		const char *v = strata_json_record_get(rec, o->vs->key[i]);
		offs[i] = o->vals.len;
		if (!v || strata_redact_value(o->r, rule_for(o->pd, o->vs->key[i]), v, strlen(v), &o->vals) < 0)
			return strata_error_set("source record lacks key field '%s'", o->vs->key[i]);
		kl[i] = o->vals.len - offs[i];
	}
	for (size_t i = 0; i < o->vs->nkey && i < 64; i++)
		kv[i] = o->vals.ptr + offs[i];
	return strata_trie_keyhash(hash, kv, kl, o->vs->nkey);
}

static int add_op(ops_ctx *o, const unsigned char *hash, uint8_t origin, const char *data, size_t len)
{
	if (o->n == o->alloc) {
		size_t na = o->alloc ? o->alloc * 2 : 256;
		strata_trie_item *p = realloc(o->ops, na * sizeof(*p));
		size_t *q = realloc(o->offs, na * sizeof(*q));
		if (p)
			o->ops = p;
		if (q)
			o->offs = q;
		if (!p || !q)
			return strata_error_set("out of memory");
		o->alloc = na;
	}
	memset(&o->ops[o->n], 0, sizeof(o->ops[o->n]));
	memcpy(o->ops[o->n].hash, hash, STRATA_HASH_LEN);
	o->ops[o->n].origin = origin;
	o->ops[o->n].len = (uint32_t)len;
	o->offs[o->n] = o->arena.len;	/* data pointers are set once the arena stops moving */
	o->n++;
	return strata_buf_put(&o->arena, data, len);
}

static int on_change(const strata_record *old_rec, const strata_record *new_rec, void *payload)
{
	ops_ctx *o = payload;
	unsigned char hash[STRATA_HASH_LEN];
	int kept = 0;
	int rc;

	if (new_rec) {
		strata_buf_clear(&o->out);
		if ((rc = strata_redact_record(o->r, new_rec, &o->out, &kept)) < 0)
			return rc;
	}
	if (redacted_keyhash(o, new_rec ? new_rec : old_rec, hash) < 0)
		return STRATA_ERROR;
	{
		strata_token t;
		if (source_token(o, new_rec ? new_rec : old_rec, &t) < 0)
			return STRATA_ERROR;
		if (kept ? strata_array_grow(&o->add, &o->addalloc, o->nadd + 1, 256) < 0
			 : strata_array_grow(&o->del, &o->delalloc, o->ndel + 1, 256) < 0)
			return STRATA_ERROR;
		if (kept)
			o->add[o->nadd++] = t;
		else
			o->del[o->ndel++] = t;
	}
	if (kept)
		return add_op(o, hash, 1, o->out.ptr, o->out.len);
	/* removed, or filtered out now: delete (a no-op if the view never had it) */
	return old_rec || new_rec ? add_op(o, hash, STRATA_TRIE_DELETE, "", 0) : 0;
}

/* An object id trailer of a view commit, or all zeros. */
static void oid_trailer(git_oid *out, const git_commit *c, const char *key)
{
	char v[GIT_OID_HEXSZ + 1];
	memset(out, 0, sizeof(*out));
	if (strata_commit_trailer(c, key, v, sizeof(v)))
		git_oid_fromstr(out, v);
	git_error_clear();
}

/*
 * The previous view, updated by the records that changed between its
 * source and the new one.  Returns 1 if done, 0 if a full build is needed
 * (different policy or schema, or the old source is not here).
 */
static int build_incremental(strata_node *n, strata_redactor *r, const strata_policy_dataset *pd,
			     const strata_schema *vs, const git_commit *prev, const git_tree *src_tree,
			     const git_oid *policy_blob, strata_packw *w, git_oid *records_oid, size_t *records,
			     const strata_schema *ss, const strata_hmac_key *tk, const git_oid *prev_set, git_oid *token_set)
{
	git_oid old_src, prev_policy;
	git_commit *oc = NULL;
	git_tree *ot = NULL, *pt = NULL, *prev_records = NULL;
	const git_tree_entry *os, *ns, *pr;
	ops_ctx o = { 0 };
	strata_trie_counts counts = { 0, 0, 0 };
	int error = 0;

	oid_trailer(&old_src, prev, "Strata-Source");
	oid_trailer(&prev_policy, prev, "Strata-Policy");
	if (!git_oid_equal(&prev_policy, policy_blob) || git_commit_lookup(&oc, strata_node_repo(n), &old_src) < 0) {
		git_error_clear();
		return 0;
	}
	if (git_commit_tree(&ot, oc) < 0 || git_commit_tree(&pt, prev) < 0) {
		error = strata_error_git("cannot read the previous view");
		goto done;
	}
	os = git_tree_entry_byname(ot, "schema.json");
	ns = git_tree_entry_byname(src_tree, "schema.json");
	pr = git_tree_entry_byname(pt, "records");
	if (!os || !ns || !pr || !git_oid_equal(git_tree_entry_id(os), git_tree_entry_id(ns)))
		goto done;	/* schema changed: full build */
	if (git_tree_lookup(&prev_records, strata_node_repo(n), git_tree_entry_id(pr)) < 0) {
		error = strata_error_git("cannot read the previous view");
		goto done;
	}
	o.r = r;
	o.pd = pd;
	o.vs = vs;
	o.ss = ss;
	o.tk = tk;
	if ((error = strata_dataset_diff(strata_node_repo(n), ot, src_tree, on_change, &o)) < 0)
		goto done;
	for (size_t i = 0; i < o.n; i++)
		o.ops[i].data = o.arena.ptr ? o.arena.ptr + o.offs[i] : "";
	strata_trie_sort(o.ops, o.n);
	for (size_t i = 1; i < o.n; i++)
		if (!memcmp(o.ops[i - 1].hash, o.ops[i].hash, STRATA_HASH_LEN)) {
			error = strata_error_set("two records have the same key after redaction; "
						 "key fields must be kept or pseudonymized");
			goto done;
		}
	if ((error = strata_trie_apply(w, strata_node_repo(n), prev_records, o.ops, o.n, view_line_hash, (void *)vs,
				       &counts, records_oid)) < 0 ||
	    (error = strata_ledger_set_apply(token_set, w, strata_node_repo(n), prev_set, o.add, o.nadd, o.del, o.ndel)) < 0)
		goto done;
	{
		char v[32];
		strata_commit_trailer(prev, "Strata-Records", v, sizeof(v));
		*records = (size_t)strtoull(v, NULL, 10) + counts.added - counts.removed;
	}
	error = 1;
done:
	git_commit_free(oc);
	git_tree_free(ot);
	git_tree_free(pt);
	git_tree_free(prev_records);
	free(o.ops);
	free(o.offs);
	free(o.add);
	free(o.del);
	strata_buf_dispose_secret(&o.arena);
	strata_buf_dispose_secret(&o.out);
	strata_buf_dispose_secret(&o.vals);
	return error;
}

/* "residents" for a dataset ref, "<peer>/<path>" for received data. */
static int view_name(char *out, size_t size, const char **dataset, const char **source_node,
		     const char *ref, const strata_node *n)
{
	static __thread char node[64];
	const char *slash;

	if (!strncmp(ref, STRATA_REF_DATASETS, strlen(STRATA_REF_DATASETS))) {
		snprintf(out, size, "%s", ref + strlen(STRATA_REF_DATASETS));
		*source_node = strata_node_name(n);
	} else if (!strncmp(ref, STRATA_REF_PEERS, strlen(STRATA_REF_PEERS))) {
		const char *rest = ref + strlen(STRATA_REF_PEERS);
		slash = strchr(rest, '/');
		if (!slash || (size_t)(slash - rest) >= sizeof(node))
			return strata_error_set("'%s' is not a received dataset ref", ref);
		snprintf(node, sizeof(node), "%.*s", (int)(slash - rest), rest);
		if (!strata_name_node_valid(node))	/* it goes into a trailer */
			return strata_error_set("'%s': invalid peer name in a received ref", ref);
		snprintf(out, size, "%s", rest);
		*source_node = node;
	} else {
		return strata_error_set("'%s' is not a dataset ref", ref);
	}
	slash = strrchr(ref, '/');
	*dataset = slash + 1;
	return 0;
}

/* One view being built: its inputs, read by view_inputs, and what the later steps need of them. */
typedef struct {
	strata_node *n;
	const char *peer, *source_ref;
	strata_view_result *res;
	strata_buf policy_name, ref;		/* the peer's policy; the view's ref */
	strata_policy *p;
	const strata_policy_dataset *pd;
	git_oid src_oid, policy_blob, prev_oid, prev_source;
	git_commit *src, *prev;			/* the source; the view as it is (or NULL) */
	git_tree *src_tree;
	strata_schema *src_schema, vs;		/* the source's schema; the view's */
	strata_redactor r;
	int have_r, have_prev;
	unsigned char secret[STRATA_SECRET_LEN];
	char secret_id[STRATA_SECRET_ID_LEN + 1];
	strata_buf recipient_filter;	/* the peer's attributes its filters use ("community=..."), or empty */
	int filter_differs;		/* the previous view was built with other ones: built in full */
	int prev_secret_differs;	/* the previous view was built under another secret (rotated) */
	char cut[80];			/* the source's history was cut (an erasure): its Strata-Cut, else "" */
	const char *cut_why;		/* and why, in words (for the audit event) */
	char cut_kind[16];		/* and its kind: erasure, retraction, retention or withdrawal (Strata-Cut-Kind) */
	char cut_why_buf[160];
	strata_buf ledger_path;		/* where the ledger keeps the records it holds (ledger.h) */
	git_oid prev_set, token_set;	/* the ledger's set for it before this build, and after */
	int have_prev_set;
	strata_hmac_key tk;		/* the record key */
	int have_tk;
	char onward[512];		/* the obligations this view carries on: Strata-Onward ("" none) */
	char onward_from[320];		/* and whose they are: Strata-Onward-From, "NODE POLICY vN" */
	int64_t retention;		/* and Strata-Retention (0 none): the strictest of upstream's and ours */
	const char *dataset, *source_node;
	int hide_path;				/* the source's node path is not the recipient's to know */
	char hidden[80];			/* what stands for it: "v-<token>" */
} view_build;

/*
 * Relayed data: the view's name is the source's path of node names (the
 * nodes it came through) and its dataset name, and the recipient holds
 * it under that name.  Unless the policy says `source_names: keep`, the
 * path is replaced by one token, the recipient-scoped pseudonym of the
 * path under this node's secret: "v-<token>/NAME".  A source keeps its
 * token, two sources never share one, and the commit names no node of
 * the path either (no Strata-Origin; Strata-Source-Node is the token), so
 * the recipient learns how many sources there are, not which.  This node
 * knows the mapping (it holds the secret): trace and disclosures go on
 * here as before.
 */
static int hide_source_path(view_build *b)
{
	const char *rest = b->source_ref + strlen(STRATA_REF_PEERS), *last = strrchr(rest, '/');
	strata_rule rule;
	strata_buf tok = STRATA_BUF_INIT;
	int error;

	memset(&rule, 0, sizeof(rule));
	rule.kind = STRATA_T_PSEUDONYM;
	rule.a = 1;	/* per recipient: two recipients cannot match their tokens */
	if ((error = strata_redact_value(&b->r, &rule, rest, (size_t)(last - rest), &tok)) < 0)
		return error;
	if (tok.len + 3 > sizeof(b->hidden) || !tok.len) {
		strata_buf_dispose(&tok);
		return strata_error_set("cannot name a view's source");
	}
	snprintf(b->hidden, sizeof(b->hidden), "v-%s", tok.ptr);
	snprintf(b->res->name, sizeof(b->res->name), "%s/%s", b->hidden, last + 1);
	b->source_node = b->hidden;
	b->hide_path = 1;
	strata_buf_dispose(&tok);
	return 0;
}

/*
 * The Strata-Cut of the root of `c`'s first-parent history, or "" (no
 * cut), and its Strata-Cut-Kind into `kind` ("erasure" from a sender
 * that names none).
 */
static void history_cut(char *out, size_t size, char kind[16], const git_commit *c)
{
	git_commit *at = NULL, *p = NULL;

	out[0] = '\0';
	snprintf(kind, 16, "erasure");
	if (git_commit_dup(&at, (git_commit *)c) < 0)
		return;
	while (git_commit_parentcount(at) > 0 && git_commit_parent(&p, at, 0) == 0) {
		git_commit_free(at);
		at = p;
	}
	if (git_commit_parentcount(at) > 0 || !strata_commit_trailer(at, "Strata-Cut", out, size))
		out[0] = '\0';
	else if (!strata_commit_trailer(at, "Strata-Cut-Kind", kind, 16) ||
		 (strcmp(kind, "erasure") && strcmp(kind, "retraction") && strcmp(kind, "retention") && strcmp(kind, "withdrawal")))
		snprintf(kind, 16, "erasure");
	git_commit_free(at);
	git_error_clear();
}

struct narrower {
	const char *dataset;
	int less;
};

static int narrows(const strata_policy_change *c, void *payload)
{
	struct narrower *x = payload;
	if ((c->effect & STRATA_PD_LESS) && (!c->dataset || !strcmp(c->dataset, x->dataset)))
		x->less = 1;
	return 0;
}

/*
 * Retraction: the previous view was built under another version of a
 * policy, and the version now exposes less of this dataset to its
 * recipients (a field dropped or coarsened, rows filtered out, the
 * recipient removed): what the peer holds from before goes.  The view is
 * cut, a new root (Strata-Cut names the retraction), and the peer accepts
 * it as it accepts an erasure's cut, and passes it on.  Loosening keeps
 * the history.
 */
static int retraction(view_build *b)
{
	char name[256], version[32];
	strata_policy *old = NULL;
	struct narrower x = { b->dataset, 0 };
	git_oid prev_policy;
	int rc;

	oid_trailer(&prev_policy, b->prev, "Strata-Policy");
	if (git_oid_equal(&prev_policy, &b->policy_blob) ||
	    !strata_commit_trailer(b->prev, "Strata-Policy-Name", name, sizeof(name)) ||
	    !strata_commit_trailer(b->prev, "Strata-Policy-Version", version, sizeof(version)))
		return 0;
	if (strata_policy_store_load_version(&old, NULL, b->n, name, strtol(version, NULL, 10)) < 0) {
		strata_error_clear();	/* a version this node cannot read back: no retraction to judge */
		return 0;
	}
	strata_policy_diff(old, b->p, narrows, &x);
	strata_policy_free(old);
	if (!x.less)
		return 0;
	if ((rc = strata_ledger_cut_id(b->cut)) < 0)
		return rc;
	b->cut_why = "retraction: the policy exposes less than the version it was built under";
	snprintf(b->cut_kind, sizeof(b->cut_kind), "retraction");
	return 0;
}

/* A record the view held that the filter no longer lets through: counted. */
struct filter_exits {
	strata_redactor *r;
	git_repository *repo;
	const strata_schema *ss;	/* the source's schema: its key names the record in the ledger */
	const strata_hmac_key *tk;	/* NULL: no ledger to ask, the record judged by the policy as it is */
	const git_oid *held;		/* the ledger's set of what the view holds */
	strata_buf out;
	size_t n;
};

static int filter_exit(const strata_record *old_rec, const strata_record *new_rec, void *payload)
{
	struct filter_exits *x = payload;
	int was = 0, is = 0, error;

	if (!old_rec || !new_rec)
		return 0;	/* added, or deleted from the source: history as usual */
	strata_buf_clear(&x->out);
	if ((error = strata_redact_record(x->r, new_rec, &x->out, &is)) < 0 || is)
		return error;
	if (x->tk) {
		/* was it in the view?  the ledger knows, whatever the policy was then */
		char *kv[64];
		size_t kl[64];
		unsigned char hash[STRATA_HASH_LEN];
		strata_token t;
		for (size_t i = 0; i < x->ss->nkey && i < 64; i++) {
			const char *v = strata_json_record_get(old_rec, x->ss->key[i]);
			kv[i] = (char *)(v ? v : "");
			kl[i] = strlen(kv[i]);
		}
		if ((error = strata_trie_keyhash(hash, kv, kl, x->ss->nkey < 64 ? x->ss->nkey : 64)) < 0 ||
		    (error = strata_ledger_token(&t, x->tk, hash)) < 0 || (error = strata_ledger_set_has(x->repo, x->held, t)) < 0)
			return error;
		was = error;
	} else {
		strata_buf_clear(&x->out);
		if ((error = strata_redact_record(x->r, old_rec, &x->out, &was)) < 0)
			return error;
	}
	x->n += was != 0;
	return 0;
}

/*
 * Withdrawal: a record the view held that the policy's filter no longer
 * lets through (consent withdrawn) is cut from the recipient's history as
 * an erasure of it from the view would be, unless the policy says
 * on_filter_exit: keep_history.  Judged on the source's change since the
 * view was built, whatever else changed (a new policy version, too).
 */
static int withdrawal_due(view_build *b)
{
	struct filter_exits x;
	git_commit *oc = NULL;
	git_tree *ot = NULL;
	strata_hmac_key tk;
	int have_tk = 0, error = 0;

	memset(&x, 0, sizeof(x));
	if (b->pd->keep_filter_history || !b->pd->nfilters || git_oid_equal(&b->prev_source, &b->src_oid))
		return 0;
	if (git_commit_lookup(&oc, strata_node_repo(b->n), &b->prev_source) < 0 || git_commit_tree(&ot, oc) < 0) {
		git_error_clear();	/* the old source is gone: nothing to compare */
		goto done;
	}
	if (b->have_prev_set) {
		if ((error = strata_ledger_key(&tk, b->n, 0)) < 0 && error != STRATA_ENOTFOUND)
			goto done;
		strata_error_clear();
		have_tk = error == 0;
		error = 0;
	}
	x.r = &b->r;
	x.repo = strata_node_repo(b->n);
	x.ss = b->src_schema;
	x.tk = have_tk ? &tk : NULL;
	x.held = &b->prev_set;
	if ((error = strata_dataset_diff(strata_node_repo(b->n), ot, b->src_tree, filter_exit, &x)) < 0 || x.n == 0)
		goto done;
	if ((error = strata_ledger_cut_id(b->cut)) < 0)
		goto done;
	snprintf(b->cut_why_buf, sizeof(b->cut_why_buf), _("withdrawal: %zu record%s left the policy's filter (consent withdrawn)"),
		 x.n, x.n == 1 ? "" : "s");
	b->cut_why = b->cut_why_buf;
	snprintf(b->cut_kind, sizeof(b->cut_kind), "withdrawal");
done:
	if (have_tk)
		strata_hmac_key_dispose(&tk);
	strata_buf_dispose_secret(&x.out);
	git_tree_free(ot);
	git_commit_free(oc);
	return error;
}

/* The clock retention is judged by (time.h: the tests set it). */
static int64_t view_now(void)
{
	return strata_time_now();
}

/*
 * Retention: the dataset's policy keeps versions for so long; once the
 * oldest version the view's history holds is older, the view is cut (a
 * root of the present state), and the recipients drop the rest as for an
 * erasure.  So no version older than twice the retention is ever held,
 * none older than it once the cut has gone down.
 */
static int retention_due(view_build *b)
{
	git_commit *at = NULL, *p = NULL;
	int64_t now, oldest;
	int rc;

	/* a root (the last cut) counts too: once it has expired, no version may be built on top of it */
	if (!b->retention || git_commit_dup(&at, b->prev) < 0)
		return 0;
	while (git_commit_parentcount(at) > 0 && git_commit_parent(&p, at, 0) == 0) {
		git_commit_free(at);
		at = p;
	}
	oldest = (int64_t)git_commit_time(at);
	git_commit_free(at);
	git_error_clear();
	now = view_now();
	if (now - oldest <= b->retention)
		return 0;
	if ((rc = strata_ledger_cut_id(b->cut)) < 0)
		return rc;
	b->cut_why = "retention: its oldest version had expired";
	snprintf(b->cut_kind, sizeof(b->cut_kind), "retention");
	return 0;
}

static int in_list(const char *list, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = list; *p;) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		if (l == len && !strncmp(p, name, len))
			return 1;
		p = c ? c + 1 : p + l;
	}
	return 0;
}

static int onward_refused(const char *dataset, const char *recipient, const char *tier, const git_commit *src,
			  const char *up)
{
	char from[320] = "", node[64] = "?", pol[256] = "?", version[32] = "";

	if (strata_commit_trailer(src, "Strata-Onward-From", from, sizeof(from)))
		sscanf(from, "%63s %255s %31s", node, pol, version);
	return strata_error_setc(STRATA_EDENIED, "'%s' may not go on to '%s'%s%s%s: policy '%s'%s%s of '%s' allows it onward only to %s",
				 dataset, recipient, tier ? " (" : "", tier ? tier : "", tier ? ")" : "", pol,
				 version[0] ? " " : "", version, node, !strcmp(up, "none") ? "nobody" : up);
}

/*
 * Obligations travel: a received source may carry Strata-Onward (whom its
 * recipients may share it on with) and Strata-Retention.  A view of it for
 * a peer the list does not name is refused, the upstream policy named;
 * the view carries the obligations on, narrowed by this node's own policy
 * (the intersection of the lists, the shorter retention).
 */
static int obligations(view_build *b)
{
	char up[512] = "", upret[32] = "", tier[64] = "";
	strata_buf t = STRATA_BUF_INIT;
	int has_up = strata_commit_trailer(b->src, "Strata-Onward", up, sizeof(up));
	int64_t r = strata_commit_trailer(b->src, "Strata-Retention", upret, sizeof(upret)) ? strtoll(upret, NULL, 10) : 0;

	if (strata_peers_get(&t, b->n, b->peer, "tier") == 0)
		snprintf(tier, sizeof(tier), "%s", t.ptr);
	strata_error_clear();
	strata_buf_dispose(&t);
	if (has_up && (!strcmp(up, "none") || (!in_list(up, b->peer) && !in_list(up, tier))))
		return onward_refused(b->dataset, b->peer, tier[0] ? tier : "?", b->src, up);
	b->onward[0] = b->onward_from[0] = '\0';
	if (b->pd->has_onward)
		snprintf(b->onward_from, sizeof(b->onward_from), "%s %s v%ld", strata_node_name(b->n), b->p->name, b->p->version);
	else if (has_up && !strata_commit_trailer(b->src, "Strata-Onward-From", b->onward_from, sizeof(b->onward_from)))
		b->onward_from[0] = '\0';
	else if (has_up && b->hide_path)
		/* whose obligations they are names the source this recipient may not know: its token instead */
		snprintf(b->onward_from, sizeof(b->onward_from), "%s source-policy", b->hidden);
	if (b->pd->has_onward) {
		size_t len = 0;
		for (size_t i = 0; i < b->pd->nonward; i++)
			if (!has_up || in_list(up, b->pd->onward[i]))
				len += (size_t)snprintf(b->onward + len, sizeof(b->onward) - len, "%s%s", len ? "," : "",
							b->pd->onward[i]);
		if (!len)
			snprintf(b->onward, sizeof(b->onward), "none");
	} else if (has_up) {
		snprintf(b->onward, sizeof(b->onward), "%s", up);
	}
	b->retention = b->pd->retention && (!r || b->pd->retention < r) ? b->pd->retention : r;
	return 0;
}

int strata_view_onward_check(strata_node *n, const strata_policy *p)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int error = 0;

	if (git_reference_iterator_glob_new(&it, strata_node_repo(n), STRATA_REF_PEERS "*") < 0)
		return strata_error_git("cannot list received data");
	while (!error && git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref), *last = strrchr(name, '/');
		git_commit *c = NULL;
		char up[512];
		if (last && strata_policy_rules_for(p, name) && git_reference_target(ref) &&
		    git_commit_lookup(&c, strata_node_repo(n), git_reference_target(ref)) == 0 &&
		    strata_commit_trailer(c, "Strata-Onward", up, sizeof(up))) {
			int none = !strcmp(up, "none");
			for (size_t i = 0; !error && i < p->ntiers; i++)
				if (none || !in_list(up, p->tiers[i]))
					error = onward_refused(last + 1, p->tiers[i], NULL, c, up);
			for (size_t i = 0; !error && i < p->npeers; i++) {
				strata_buf t = STRATA_BUF_INIT;
				const char *tier = strata_peers_get(&t, n, p->peers[i], "tier") == 0 ? t.ptr : NULL;
				strata_error_clear();
				if (none || (!in_list(up, p->peers[i]) && !(tier && in_list(up, tier))))
					error = onward_refused(last + 1, p->peers[i], tier, c, up);
				strata_buf_dispose(&t);
			}
		}
		git_error_clear();
		git_commit_free(c);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return error;
}

/* The policy's version names the peer, or its tier, as a recipient (peer add checked it once; versions change). */
static int recipient_named(view_build *b)
{
	strata_buf t = STRATA_BUF_INIT;
	const char *tier;
	int named = b->p->npeers == 0 && b->p->ntiers == 0;

	tier = strata_peers_get(&t, b->n, b->peer, "tier") == 0 ? t.ptr : NULL;
	strata_error_clear();
	for (size_t i = 0; !named && i < b->p->npeers; i++)
		named = !strcmp(b->p->peers[i], b->peer);
	for (size_t i = 0; !named && tier && i < b->p->ntiers; i++)
		named = !strcmp(b->p->tiers[i], tier);
	if (!named)
		strata_error_setc(STRATA_EDENIED, "policy '%s' version %ld no longer names '%s'%s%s%s as a recipient",
				  b->p->name, b->p->version, b->peer, tier ? " (" : "", tier ? tier : "", tier ? ")" : "");
	strata_buf_dispose(&t);
	return named ? 0 : STRATA_EDENIED;
}

/* The peer's committed policy, the source and its schema, the secret, and the view as it is. */
static int view_inputs(view_build *b)
{
	strata_node *n = b->n;
	int error, rc;

	if (!strata_name_node_valid(b->peer))	/* node.conf may be edited by hand; this goes into refs and trailers */
		return strata_error_set("invalid peer name '%s' in node.conf", b->peer);
	if ((error = view_name(b->res->name, sizeof(b->res->name), &b->dataset, &b->source_node, b->source_ref, n)) < 0 ||
	    (error = strata_peers_get(&b->policy_name, n, b->peer, "policy")) < 0 ||
	    (error = strata_policy_store_load(&b->p, &b->policy_blob, n, b->policy_name.ptr)) < 0)
		return error;
	if ((b->pd = strata_policy_find(b->p, b->dataset)) == NULL)
		return strata_error_setc(STRATA_ENOTFOUND, "policy '%s' does not share dataset '%s' with '%s'",
					 b->p->name, b->dataset, b->peer);
	if (git_reference_name_to_id(&b->src_oid, strata_node_repo(n), b->source_ref) < 0 ||
	    git_commit_lookup(&b->src, strata_node_repo(n), &b->src_oid) < 0 || git_commit_tree(&b->src_tree, b->src) < 0)
		return strata_error_git("cannot read the view's source");
	if ((error = strata_schema_load(&b->src_schema, strata_node_repo(n), b->src_tree)) < 0 ||
	    (error = strata_policy_check_schema(b->p, b->pd, b->src_schema, STRATA_POLICY_MISSING_OK)) < 0 ||
	    (error = strata_policy_store_secret(b->secret, n, b->p->name)) < 0 ||
	    (error = strata_policy_store_secret_id_of(b->secret_id, b->secret)) < 0 ||
	    (error = view_schema(&b->vs, b->src_schema, b->pd)) < 0 ||
	    (error = strata_redact_init(&b->r, b->p, b->pd, b->peer, b->secret)) < 0)
		return error;
	b->have_r = 1;
	/* a filter per recipient ("$recipient.community"): what node.conf states of this peer */
	if ((error = strata_redact_recipient_peer(&b->r, n, b->peer)) < 0 ||
	    (error = strata_redact_recipient_filter(&b->r, &b->recipient_filter)) < 0)
		return error;
	if (!b->p->keep_source_names && !strncmp(b->source_ref, STRATA_REF_PEERS, strlen(STRATA_REF_PEERS)) &&
	    (error = hide_source_path(b)) < 0)
		return error;
	if ((error = recipient_named(b)) < 0 || (error = obligations(b)) < 0)
		return error;
	if ((error = strata_buf_printf(&b->ref, "%s%s/%s", STRATA_REF_VIEWS, b->peer, b->res->name)) < 0 ||
	    (error = strata_ledger_view_path(&b->ledger_path, b->peer, b->res->name)) < 0)
		return error;
	if ((rc = strata_ledger_get(&b->prev_set, n, NULL, b->ledger_path.ptr)) == 0)
		b->have_prev_set = 1;
	else if (rc != STRATA_ENOTFOUND)
		return rc;
	strata_error_clear();
	b->cut[0] = '\0';
	b->cut_why = NULL;
	rc = git_reference_name_to_id(&b->prev_oid, strata_node_repo(n), b->ref.ptr);
	if (rc == 0) {
		b->have_prev = 1;
		if (git_commit_lookup(&b->prev, strata_node_repo(n), &b->prev_oid) < 0)
			return strata_error_git("cannot read the previous view");
		oid_trailer(&b->prev_source, b->prev, "Strata-Source");
		/*
		 * A source that does not descend from the one the view was built
		 * from stands on a history cut (an erasure: its root names it):
		 * the view is cut the same way, once, a root built in full, so that
		 * nothing of the erased record stays in its history.
		 */
		if (!strata_commit_descends(strata_node_repo(n), &b->src_oid, &b->prev_source))
			history_cut(b->cut, sizeof(b->cut), b->cut_kind, b->src);
		if (b->cut[0])
			b->cut_why = "its source's history was cut (an erasure)";
		git_error_clear();
		if (!b->cut[0] && (error = retraction(b)) < 0)
			return error;
		if (!b->cut[0] && (error = retention_due(b)) < 0)
			return error;
		if (!b->cut[0] && !strata_commit_trailer(b->prev, "Strata-Withdrawn", b->cut_why_buf, sizeof(b->cut_why_buf)) &&
		    (error = withdrawal_due(b)) < 0)
			return error;
		{
			/*
			 * A view from before secret ids were written has none: it cannot
			 * be told from one under a rotated secret, so it is built again
			 * in full, once (to the same tree if the secret is the same).
			 */
			char prev_id[64];
			b->prev_secret_differs = !strata_commit_trailer(b->prev, "Strata-Secret-Id", prev_id, sizeof(prev_id)) ||
						 strcmp(prev_id, b->secret_id) ||
						 /* shared again after a withdrawal: built in full, on top of it */
						 strata_commit_trailer(b->prev, "Strata-Withdrawn", prev_id, sizeof(prev_id));
		}
		{
			/* the recipient's attributes changed (or the filter): every record is judged again */
			char prev_filter[512] = "";
			strata_commit_trailer(b->prev, "Strata-Recipient-Filter", prev_filter, sizeof(prev_filter));
			b->filter_differs = strcmp(prev_filter, b->recipient_filter.ptr ? b->recipient_filter.ptr : "") != 0;
		}
	} else if (rc != GIT_ENOTFOUND) {
		return strata_error_git("cannot read view ref");
	}
	git_error_clear();
	return 0;
}

/* 1 if the view is what it was: same source, same policy (a view is a function of the two). */
static int view_unchanged(view_build *b)
{
	git_oid prev_policy;
	char v[32];

	if (!b->have_prev || !git_oid_equal(&b->prev_source, &b->src_oid) || b->prev_secret_differs || b->cut[0] ||
	    !b->have_prev_set || b->filter_differs)
		return 0;
	oid_trailer(&prev_policy, b->prev, "Strata-Policy");
	if (!git_oid_equal(&prev_policy, &b->policy_blob))
		return 0;
	strata_commit_trailer(b->prev, "Strata-Records", v, sizeof(v));
	b->res->records = (size_t)strtoull(v, NULL, 10);
	if (strata_commit_trailer(b->prev, "Strata-Suppressed", v, sizeof(v)))
		b->res->suppressed = (size_t)strtoull(v, NULL, 10);
	b->res->unchanged = 1;
	b->res->commit = b->prev_oid;
	return 1;
}

/* The view's tree, from the previous view and the source's diff when it can, else from every record. */
static int view_tree(view_build *b, int full, git_oid *root)
{
	strata_packw *w = NULL;
	git_oid records;
	int error, rc = 0;

	kclasses kc = { 0 };

	if (b->pd->min_k) {
		size_t small;
		full = 1;	/* the classes need every record */
		if ((error = kclasses_count(&kc, strata_node_repo(b->n), &b->r, b->pd, b->src_schema, b->src_tree)) < 0)
			goto out;
		if ((small = kclasses_small(&kc)) > 0 && b->pd->refuse_small) {
			error = strata_error_set("policy '%s' requires min_k %ld for '%s': %zu records are in smaller classes "
						 "on %zu quasi-identifiers, so no view is built for '%s' (small_classes: suppress "
						 "would leave them out)", b->p->name, b->pd->min_k, b->dataset, small, kc.nqi, b->peer);
			goto out;
		}
	}
	if ((error = strata_pack_writer_new(&w, strata_node_repo(b->n), VIEW_ZLIB_LEVEL)) < 0)
		goto out;
	if (!b->have_tk) {
		if ((error = strata_ledger_key(&b->tk, b->n, 1)) < 0)
			goto done;
		b->have_tk = 1;
	}
	if (b->prev_secret_differs || b->cut[0] || b->filter_differs)
		full = 1;	/* every token changed, a history cut, or another recipient filter: nothing is kept */
	if (!b->have_prev_set)
		full = 1;	/* the ledger has no record of what it holds (a view from before the ledger): every record */
	if (b->have_prev && !full && !git_oid_equal(&b->prev_source, &b->src_oid)) {
		if ((error = rc = build_incremental(b->n, &b->r, b->pd, &b->vs, b->prev, b->src_tree, &b->policy_blob, w,
						    &records, &b->res->records, b->src_schema, &b->tk, &b->prev_set,
						    &b->token_set)) < 0)
			goto done;
		b->res->incremental = rc;
	}
	if (rc == 0 && (error = build_full(strata_node_repo(b->n), strata_node_path(b->n), &b->r, &b->vs, b->src_tree,
					   b->pd->min_k ? &kc : NULL, w, &records, &b->res->records, &b->res->suppressed,
					   b->src_schema, &b->tk, &b->token_set)) < 0)
		goto done;
	if ((error = strata_schema_write_root(w, &b->vs, &records, root)) == 0)
		error = strata_pack_writer_commit(w);
done:
	strata_pack_writer_free(w);
out:
	kclasses_dispose(&kc);
	return error;
}

/* The fields the view shares and how, "name=keep,phone=mask,...": the ledger's Strata-Fields. */
static int fields_trailer(strata_buf *out, const view_build *b)
{
	int error = strata_buf_printf(out, "Strata-Fields: ");
	for (size_t i = 0; !error && i < b->vs.nfields; i++) {
		const strata_rule *r = rule_for(b->pd, b->vs.names[i]);
		error = strata_buf_printf(out, "%s%s=%s", i ? "," : "", b->vs.names[i],
					  r ? strata_policy_transform_name(r->kind) : "keep");
	}
	return error ? error : strata_buf_printf(out, "\n");
}

/* The source's name as this node calls it: "residents", or "cn-x/residents" for received data. */
static const char *source_dataset(const char *ref)
{
	if (!strncmp(ref, STRATA_REF_DATASETS, strlen(STRATA_REF_DATASETS)))
		return ref + strlen(STRATA_REF_DATASETS);
	if (!strncmp(ref, STRATA_REF_PEERS, strlen(STRATA_REF_PEERS)))
		return ref + strlen(STRATA_REF_PEERS);
	return ref;
}

/*
 * The ledger after a view's change (ledger.h): its record set `set`, and
 * a cut it made noted under the cut's id (created, with its kind, when
 * this node had not heard of the cut: a retraction or retention of its
 * own, or one its source's sender made).
 */
static int view_ledger(git_oid *out, strata_node *n, const char *peer, const char *view, const char *source_ref,
		       const char *path, const git_oid *set, const char *cut, const char *kind, const git_oid *commit)
{
	strata_buf header = STRATA_BUF_INIT, line = STRATA_BUF_INIT;
	git_oid t1;
	int64_t now = strata_time_now();
	int error;

	if ((error = strata_ledger_put(cut ? &t1 : out, n, NULL, path, set, GIT_FILEMODE_TREE)) < 0 || !cut)
		return error;
	if ((error = strata_buf_printf(&header, "cut %s\nkind %s\ntime %lld\ndataset %s\n", cut, kind, (long long)now,
				       source_dataset(source_ref))) < 0 ||
	    (!strncmp(source_ref, STRATA_REF_PEERS, strlen(STRATA_REF_PEERS)) &&
	     (error = strata_buf_printf(&header, "from %.*s\n", (int)strcspn(source_dataset(source_ref), "/"),
					source_dataset(source_ref))) < 0) ||
	    (error = strata_buf_printf(&line, "view %s %s %s %lld\n", peer, view, git_oid_tostr_s(commit), (long long)now)) < 0)
		goto done;
	error = strata_ledger_cut_note(out, n, &t1, cut, header.ptr, line.ptr);
done:
	strata_buf_dispose(&header);
	strata_buf_dispose(&line);
	return error;
}

/* The signed view commit (its trailers name source, policy and origin), then the ref and its audit event. */
static int view_commit(view_build *b, const git_oid *root)
{
	strata_node *n = b->n;
	strata_view_result *res = b->res;
	strata_buf msg = STRATA_BUF_INIT, event = STRATA_BUF_INIT;
	git_tree *tree = NULL;
	git_oid ledger;
	char hex[GIT_OID_HEXSZ + 1], phex[GIT_OID_HEXSZ + 1], chex[GIT_OID_HEXSZ + 1], origin[256];
	int error;

	git_oid_tostr(hex, sizeof(hex), &b->src_oid);
	git_oid_tostr(phex, sizeof(phex), &b->policy_blob);
	if (git_tree_lookup(&tree, strata_node_repo(n), root) < 0)
		return strata_error_git("cannot read view tree");
	/*
	 * The owner's commit, carried unchanged through every relay, so each
	 * tier can name where the records began without asking the tiers between.
	 */
	if (!strcmp(b->source_node, strata_node_name(n)))
		snprintf(origin, sizeof(origin), "%s %s", strata_node_name(n), hex);
	else if (b->hide_path || !strata_commit_trailer(b->src, "Strata-Origin", origin, sizeof(origin)))
		origin[0] = '\0';	/* hidden with the path, or never named */
	if ((error = strata_buf_printf(&msg, "%s: view for %s, %zu records\n\n"
				       "Built from %s under policy %s version %ld.\n\n"
				       "Strata-Dataset: %s\nStrata-Node: %s\nStrata-Tier: %s\nStrata-Recipient: %s\n"
				       "Strata-Source: %s\nStrata-Source-Node: %s\n"
				       "Strata-Policy: %s\nStrata-Policy-Name: %s\nStrata-Policy-Version: %ld\n"
				       "Strata-Purpose: %s\nStrata-Records: %zu\nStrata-Secret-Id: %s\n",
				       res->name, b->peer, res->records, b->source_node, b->p->name, b->p->version,
				       b->dataset, strata_node_name(n), strata_node_tier(n), b->peer, hex, b->source_node, phex,
				       b->p->name, b->p->version, b->p->purpose, res->records, b->secret_id)) < 0 ||
	    (origin[0] && (error = strata_buf_printf(&msg, "Strata-Origin: %s\n", origin)) < 0) ||
	    (b->recipient_filter.len &&
	     (error = strata_buf_printf(&msg, "Strata-Recipient-Filter: %s\n", b->recipient_filter.ptr)) < 0) ||
	    (b->pd->min_k && (error = strata_buf_printf(&msg, "Strata-Min-K: %ld\nStrata-Suppressed: %zu\n", b->pd->min_k,
							res->suppressed)) < 0) ||
	    (b->cut[0] && (error = strata_buf_printf(&msg, "Strata-Cut: %s\nStrata-Cut-Kind: %s\n", b->cut, b->cut_kind)) < 0) ||
	    (b->onward[0] && (error = strata_buf_printf(&msg, "Strata-Onward: %s\n", b->onward)) < 0) ||
	    (b->onward_from[0] && (error = strata_buf_printf(&msg, "Strata-Onward-From: %s\n", b->onward_from)) < 0) ||
	    (b->retention && (error = strata_buf_printf(&msg, "Strata-Retention: %lld\n", (long long)b->retention)) < 0) ||
	    (error = strata_commit_create(&res->commit, n, tree, b->cut[0] ? NULL : b->prev, msg.ptr)) < 0)
		goto done;
	/* the ref and its audit event together, or neither (change.h) */
	git_oid_tostr(chex, sizeof(chex), &res->commit);
	strata_buf_clear(&msg);
	if ((error = strata_buf_printf(&msg, "Strata-Recipient: %s\nStrata-View: %s\nStrata-Commit: %s\nStrata-Source: %s\n"
				       "Strata-Source-Node: %s\nStrata-Policy-Name: %s\nStrata-Policy-Version: %ld\n"
				       "Strata-Policy: %s\nStrata-Purpose: %s\nStrata-Records: %zu\n", b->peer, res->name, chex,
				       hex, b->source_node, b->p->name, b->p->version, phex, b->p->purpose, res->records)) < 0 ||
	    (b->pd->min_k && (error = strata_buf_printf(&msg, "Strata-Min-K: %ld\nStrata-Suppressed: %zu\n", b->pd->min_k,
							res->suppressed)) < 0) ||
	    (error = fields_trailer(&msg, b)) < 0 ||
	    (error = strata_buf_printf(&msg, "Strata-From: %s\n", source_dataset(b->source_ref))) < 0 ||
	    (error = view_ledger(&ledger, n, b->peer, res->name, b->source_ref, b->ledger_path.ptr, &b->token_set,
				 b->cut[0] ? b->cut : NULL, b->cut_kind, &res->commit)) < 0 ||
	    (error = strata_buf_printf(&event, "view %s built for %s: %zu records", res->name, b->peer, res->records)) < 0 ||
	    (res->suppressed && (error = strata_buf_printf(&event, " (%zu in classes below min_k %ld left out)",
							   res->suppressed, b->pd->min_k)) < 0) ||
	    (b->cut[0] && (error = strata_buf_printf(&event, "; history cut %s, %s", b->cut,
						     b->cut_why ? b->cut_why : "an erasure")) < 0))
		goto done;
	{
		strata_journal_ref jr = { b->ref.ptr, b->have_prev, b->prev_oid, res->commit };
		strata_change ch = { "view-build", b->ref.ptr, &jr, 1, NULL, event.ptr, msg.ptr, &ledger };
		if (b->cut[0] && (error = strata_buf_printf(&msg, "Strata-Cut: %s\nStrata-Cut-Kind: %s\n", b->cut, b->cut_kind)) < 0)
			goto done;
		ch.trailers = msg.ptr;
		if ((error = strata_change_ref(n, &ch, "strata view build")) == 0 && b->cut[0]) {
			res->cut = 1;
			error = strata_refs_reflog_reset(n, b->ref.ptr);
		}
	}
done:
	git_tree_free(tree);
	strata_buf_dispose(&msg);
	strata_buf_dispose(&event);
	return error;
}

static void view_build_dispose(view_build *b);

/* The trailers of `prev` a withdrawal keeps (what the recipient checks a view commit for), into `out`. */
static int withdrawal_trailers(strata_buf *out, const git_commit *prev)
{
	static const char *const keep[] = { "Strata-Dataset", "Strata-Node", "Strata-Tier", "Strata-Recipient",
					    "Strata-Source", "Strata-Source-Node", "Strata-Policy", "Strata-Policy-Name",
					    "Strata-Policy-Version", "Strata-Purpose", "Strata-Secret-Id" };
	char v[512];

	for (size_t i = 0; i < sizeof(keep) / sizeof(*keep); i++)
		if (strata_commit_trailer(prev, keep[i], v, sizeof(v)) && strata_buf_printf(out, "%s: %s\n", keep[i], v) < 0)
			return STRATA_ERROR;
	return 0;
}

/*
 * A view `peer` may no longer have (view.h): a signed root with no
 * records, the previous view's schema and trailers, Strata-Withdrawn
 * (why) and Strata-Cut; the ref moves to it (one change, the audit event
 * "view-withdrawn"), its reflog is reset.  Once withdrawn, it stays as it
 * is.  A view never built: the refusal stays the error.
 */
static int withdraw(strata_node *n, const char *peer, const char *source_ref, const char *hidden, strata_view_result *res)
{
	git_repository *repo = strata_node_repo(n);
	strata_buf ref = STRATA_BUF_INIT, msg = STRATA_BUF_INIT, tr = STRATA_BUF_INIT, event = STRATA_BUF_INIT,
		   lpath = STRATA_BUF_INIT;
	git_commit *prev = NULL;
	git_tree *prev_tree = NULL, *tree = NULL;
	git_treebuilder *tb = NULL;
	git_oid old, empty, root, ledger;
	char hex[65], cut[17], id[512];
	int error = STRATA_EDENIED;

	snprintf(res->why, sizeof(res->why), "%s", strata_error_last());
	if (strata_buf_printf(&ref, "%s%s/%s", STRATA_REF_VIEWS, peer, res->name) < 0)
		return STRATA_ERROR;
	if (git_reference_name_to_id(&old, repo, ref.ptr) < 0) {
		git_error_clear();
		strata_error_setc(STRATA_EDENIED, "%s", res->why);	/* never built: nothing to withdraw, refused */
		goto done;
	}
	if (git_commit_lookup(&prev, repo, &old) < 0 || git_commit_tree(&prev_tree, prev) < 0) {
		error = strata_error_git("cannot read the view to withdraw");
		goto done;
	}
	res->withdrawn = 1;
	res->records = 0;
	if (strata_commit_trailer(prev, "Strata-Withdrawn", id, sizeof(id))) {
		res->unchanged = 1;	/* withdrawn already */
		res->commit = old;
		error = 0;
		goto done;
	}
	/* the tree: the previous view's schema, and records/ empty */
	if (git_treebuilder_new(&tb, repo, NULL) < 0 || git_treebuilder_write(&empty, tb) < 0) {
		error = strata_error_git("cannot write an empty tree");
		goto done;
	}
	git_treebuilder_free(tb);
	tb = NULL;
	if (git_treebuilder_new(&tb, repo, prev_tree) < 0 ||
	    git_treebuilder_insert(NULL, tb, "records", &empty, GIT_FILEMODE_TREE) < 0 ||
	    git_treebuilder_write(&root, tb) < 0 || git_tree_lookup(&tree, repo, &root) < 0) {
		error = strata_error_git("cannot write the withdrawn view's tree");
		goto done;
	}
	if ((error = strata_ledger_cut_id(cut)) < 0)
		goto done;
	for (char *c = res->why; *c; c++)
		if (*c == '\n')
			*c = ' ';
	{
		/*
		 * The reason as the recipient reads it: where the recipient may
		 * not know the source (its path hidden behind a token), the
		 * refusal's words, which name the upstream node and policy, stay
		 * here (the audit event keeps them) and it reads the token.
		 */
		char told[512];
		if (hidden && hidden[0])
			snprintf(told, sizeof(told), _("the obligations of its source %s, or this node's policy, no longer let "
				 "it go to '%s'"), hidden, peer);
		else
			snprintf(told, sizeof(told), "%s", res->why);
		if ((error = strata_buf_printf(&msg, "%s: withdrawn from %s\n\n%s.\nWhat %s held of it is to go.\n\n",
					       res->name, peer, told, peer)) < 0 ||
		    (error = withdrawal_trailers(&msg, prev)) < 0 ||
		    (error = strata_buf_printf(&msg, "Strata-Records: 0\nStrata-Cut: %s\nStrata-Cut-Kind: withdrawal\n"
					       "Strata-Withdrawn: %s\n", cut, told)) < 0)
			goto done;
	}
	if ((error = strata_commit_create(&res->commit, n, tree, NULL, msg.ptr)) < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), &res->commit);
	/* the ledger: it holds nothing now */
	if ((error = strata_ledger_view_path(&lpath, peer, res->name)) < 0 ||
	    (error = view_ledger(&ledger, n, peer, res->name, source_ref, lpath.ptr, &empty, cut, "withdrawal",
				 &res->commit)) < 0)
		goto done;
	if ((error = strata_buf_printf(&tr, "Strata-Recipient: %s\nStrata-View: %s\nStrata-Commit: %s\nStrata-Cut: %s\n"
				       "Strata-Cut-Kind: withdrawal\nStrata-From: %s\n", peer, res->name, hex, cut,
				       source_dataset(source_ref))) < 0 ||
	    (error = strata_buf_printf(&event, "view %s withdrawn from %s: %s; history cut %s", res->name, peer, res->why,
				       cut)) < 0)
		goto done;
	{
		strata_journal_ref jr = { ref.ptr, 1, old, res->commit };
		strata_change ch = { "view-withdrawn", ref.ptr, &jr, 1, NULL, event.ptr, tr.ptr, &ledger };
		if ((error = strata_change_ref(n, &ch, "strata view withdrawn")) == 0)
			error = strata_refs_reflog_reset(n, ref.ptr);
	}
	res->cut = 1;
done:
	git_error_clear();
	git_treebuilder_free(tb);
	git_tree_free(tree);
	git_tree_free(prev_tree);
	git_commit_free(prev);
	strata_buf_dispose(&ref);
	strata_buf_dispose(&msg);
	strata_buf_dispose(&tr);
	strata_buf_dispose(&event);
	strata_buf_dispose(&lpath);
	return error;
}

/*
 * A view built again to the same tree, whose records the ledger had no
 * record of (built before the ledger was): recorded now, as they are.
 */
static int ledger_catch_up(view_build *b)
{
	strata_buf tr = STRATA_BUF_INIT, subject = STRATA_BUF_INIT;
	git_oid ledger;
	int error;

	if ((error = strata_ledger_put(&ledger, b->n, NULL, b->ledger_path.ptr, &b->token_set, GIT_FILEMODE_TREE)) < 0 ||
	    (error = strata_buf_printf(&tr, "Strata-Recipient: %s\nStrata-View: %s\nStrata-Commit: %s\n", b->peer,
				       b->res->name, git_oid_tostr_s(&b->prev_oid))) < 0 ||
	    (error = fields_trailer(&tr, b)) < 0 ||
	    (error = strata_buf_printf(&tr, "Strata-From: %s\nStrata-Policy-Name: %s\nStrata-Policy-Version: %ld\n"
				       "Strata-Purpose: %s\n", source_dataset(b->source_ref), b->p->name, b->p->version,
				       b->p->purpose)) < 0 ||
	    (error = strata_buf_printf(&subject, "the records view %s holds for %s, recorded in the disclosure ledger",
				       b->res->name, b->peer)) < 0)
		goto done;
	error = strata_audit_append_tree(b->n, "ledger", subject.ptr, tr.ptr, &ledger);
done:
	strata_buf_dispose(&tr);
	strata_buf_dispose(&subject);
	return error;
}

int strata_view_build_one(strata_node *n, const char *peer, const char *source_ref, int full,
			  strata_view_result *res)
{
	view_build b = { 0 };
	git_oid root;
	int error;

	memset(res, 0, sizeof(*res));
	snprintf(res->peer, sizeof(res->peer), "%s", peer);
	b.n = n;
	b.peer = peer;
	b.source_ref = source_ref;
	b.res = res;
	b.dataset = b.source_node = "";
	if ((error = view_inputs(&b)) == STRATA_EDENIED && res->name[0]) {
		/* what it may no longer be sent goes */
		error = withdraw(n, peer, source_ref, b.hide_path ? b.hidden : NULL, res);
		view_build_dispose(&b);
		return error;
	}
	if (error == 0 && !(!full && view_unchanged(&b)) &&
	    (error = view_tree(&b, full, &root)) == 0) {
		git_oid prev_policy;
		memset(&prev_policy, 0, sizeof(prev_policy));
		if (b.have_prev)
			oid_trailer(&prev_policy, b.prev, "Strata-Policy");
		/* the same tree, source and policy: nothing to say anew (a new policy says it, obligations and all) */
		if (b.have_prev && git_oid_equal(git_commit_tree_id(b.prev), &root) &&
		    git_oid_equal(&b.prev_source, &b.src_oid) && !b.prev_secret_differs && !b.cut[0] &&
		    git_oid_equal(&prev_policy, &b.policy_blob)) {
			res->unchanged = 1;	/* rebuilt (--full) to the same tree */
			res->commit = b.prev_oid;
			if (!b.have_prev_set)
				error = ledger_catch_up(&b);
		} else {
			error = view_commit(&b, &root);
		}
	}
	view_build_dispose(&b);
	return error;
}

static void view_build_dispose(view_build *b)
{
	OPENSSL_cleanse(b->secret, sizeof(b->secret));
	if (b->have_tk)
		strata_hmac_key_dispose(&b->tk);
	strata_buf_dispose(&b->ledger_path);
	if (b->have_r)
		strata_redact_dispose(&b->r);
	free(b->vs.names);
	free(b->vs.types);
	strata_schema_free(b->src_schema);
	strata_policy_free(b->p);
	git_tree_free(b->src_tree);
	git_commit_free(b->src);
	git_commit_free(b->prev);
	strata_buf_dispose(&b->policy_name);
	strata_buf_dispose(&b->ref);
	strata_buf_dispose(&b->recipient_filter);
}

int strata_view_name(char *out, size_t size, strata_node *n, const char *peer, const char *source_ref)
{
	view_build b = { 0 };
	strata_view_result res;
	int error;

	memset(&res, 0, sizeof(res));
	b.n = n;
	b.peer = peer;
	b.source_ref = source_ref;
	b.res = &res;
	b.dataset = b.source_node = "";
	if ((error = view_inputs(&b)) == 0)
		snprintf(out, size, "%s", res.name);
	view_build_dispose(&b);
	return error;
}

static int build_for_peer(strata_node *n, const char *peer, int full, strata_view_report report, void *payload)
{
	strata_buf policy_name = STRATA_BUF_INIT, own = STRATA_BUF_INIT, echo = STRATA_BUF_INIT;
	strata_policy *p = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int error;

	if ((error = strata_peers_get(&policy_name, n, peer, "policy")) < 0 ||
	    (error = strata_policy_store_load(&p, NULL, n, policy_name.ptr)) < 0 ||
	    (error = strata_buf_printf(&echo, "%s%s/", STRATA_REF_PEERS, peer)) < 0)
		goto done;
	/* this node's own datasets the policy shares */
	for (size_t i = 0; i < p->ndatasets && !error; i++) {
		strata_view_result res;
		git_oid id;
		strata_buf_clear(&own);
		if ((error = strata_buf_printf(&own, "%s%s", STRATA_REF_DATASETS, p->datasets[i].name)) < 0)
			break;
		if (git_reference_name_to_id(&id, strata_node_repo(n), own.ptr) == 0) {
			if ((error = strata_view_build_one(n, peer, own.ptr, full, &res)) == 0 && report)
				if (report)
					report(&res, payload);
		}
		git_error_clear();
	}
	/* data received from other peers (never from this one), relayed under this node's policy */
	if (!error && git_reference_iterator_glob_new(&it, strata_node_repo(n), STRATA_REF_PEERS "*") < 0)
		error = strata_error_git("cannot list received data");
	while (!error && git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref);
		const char *last = strrchr(name, '/');
		strata_view_result res;
		if (last && strata_policy_rules_for(p, name) && strncmp(name, echo.ptr, echo.len)) {
			if ((error = strata_view_build_one(n, peer, name, full, &res)) == 0 && report)
				report(&res, payload);
		}
		git_reference_free(ref);
	}
done:
	git_reference_iterator_free(it);
	strata_policy_free(p);
	strata_buf_dispose(&policy_name);
	strata_buf_dispose(&own);
	strata_buf_dispose(&echo);
	return error;
}

static int build_all(strata_node *n, const char *peer, int full, strata_view_report report, void *payload)
{
	char **peers = NULL;
	size_t npeers = 0;
	int error = 0;

	if (peer)
		return build_for_peer(n, peer, full, report, payload);
	if ((error = strata_peers_list(&peers, &npeers, n)) < 0)
		return error;
	for (size_t i = 0; i < npeers && !error; i++) {
		strata_buf policy = STRATA_BUF_INIT;
		int has = strata_peers_get(&policy, n, peers[i], "policy");
		strata_buf_dispose(&policy);
		if (has == STRATA_ENOTFOUND) {
			strata_error_clear();
			continue;	/* receive only: nothing is built for it */
		}
		error = has < 0 ? has : build_for_peer(n, peers[i], full, report, payload);
		if (error == STRATA_EDENIED) {
			/* a view refused by its source's obligations (withdrawn): the other peers' views are built all the same */
			strata_error_clear();
			error = 0;
		}
	}
	strata_peers_list_free(peers);
	return error;
}

int strata_view_settle(strata_node *n, strata_view_report report, void *payload, strata_prune_result *pr)
{
	strata_prune_result local;
	int rc, error;

	if ((rc = strata_journal_cut_owed(n, NULL, 0)) <= 0)
		return rc;
	/* each step may be cut short and run again: the reflogs first, so that the prune keeps nothing old */
	if ((error = strata_refs_reflog_trim_cuts(n)) < 0 || (error = build_all(n, NULL, 0, report, payload)) < 0 ||
	    (error = strata_refs_reflog_trim_cuts(n)) < 0 || (error = strata_prune(n, pr ? pr : &local)) < 0 ||
	    (error = strata_journal_cut_paid(n)) < 0)
		return error;
	return 1;
}

int strata_view_settle_interrupted(strata_node *n)
{
	strata_prune_result pr;
	char tr[128];
	int error;

	if ((error = strata_view_settle(n, NULL, NULL, &pr)) <= 0)
		return error;
	snprintf(tr, sizeof(tr), "Strata-Objects-Kept: %zu\n", pr.objects);
	return strata_audit_append(n, "cut-completed", "an interrupted history cut completed: reflogs reset, views cut, "
				   "the store pruned", tr);
}

int strata_view_build(strata_node *n, const char *peer, int full, strata_view_report report, void *payload)
{
	int error;

	/* a cut a crash interrupted is paid first (journal.h) */
	if ((error = strata_journal_lock(n)) < 0 || (error = strata_node_load_key(n)) < 0 ||
	    (error = strata_view_settle_interrupted(n)) < 0)
		return error;
	return build_all(n, peer, full, report, payload);
}

/* --- audit: recompute a view from what its trailers name --- */

/*
 * A scratch repository under NODE/tmp that borrows the node's objects
 * (objects/info/alternates): what a recomputation writes stays there, so
 * the node is left exactly as it was.
 */
static int scratch_repo(git_repository **out, strata_buf *dir, strata_node *n)
{
	strata_buf alt = STRATA_BUF_INIT, objs = STRATA_BUF_INIT;
	char *tmp = strata_fs_path_join(strata_node_path(n), "tmp");
	int error = STRATA_ERROR;

	*out = NULL;
	if (!tmp || (error = strata_fs_mkdir_p(tmp, 0700)) < 0 || (error = strata_buf_printf(dir, "%s/audit-XXXXXX", tmp)) < 0)
		goto done;
	if (!mkdtemp(dir->ptr)) {
		error = strata_error_sys(dir->ptr);
		strata_buf_clear(dir);
		goto done;
	}
	if (git_repository_init(out, dir->ptr, 1) < 0) {
		error = strata_error_git("cannot create a scratch repository");
		goto done;
	}
	if ((error = strata_buf_printf(&alt, "%s/objects/info/alternates", dir->ptr)) < 0 ||
	    (error = strata_buf_printf(&objs, "%sobjects\n", git_repository_path(strata_node_repo(n)))) < 0 ||
	    (error = strata_fs_write_atomic(alt.ptr, objs.ptr, objs.len, 0644)) < 0)
		goto done;
	git_repository_free(*out);	/* reopen: alternates are read at open */
	*out = NULL;
	if (git_repository_open_bare(out, dir->ptr) < 0) {
		error = strata_error_git("cannot open the scratch repository");
		goto done;
	}
	error = 0;
done:
	free(tmp);
	strata_buf_dispose(&alt);
	strata_buf_dispose(&objs);
	return error;
}

int strata_view_audit(strata_node *n, const git_oid *view_id, strata_view_audit_result *res,
		      strata_diff_cb cb, void *payload)
{
	char v[GIT_OID_HEXSZ + 1], shex[GIT_OID_HEXSZ + 1] = "", dataset[64], recipient[64], builder[64] = "?";
	unsigned char secret[STRATA_SECRET_LEN];
	git_commit *view = NULL, *src = NULL;
	git_tree *src_tree = NULL, *vt = NULL, *rt = NULL;
	git_blob *blob = NULL;
	git_repository *scratch = NULL;
	strata_buf dir = STRATA_BUF_INIT;
	strata_policy *p = NULL;
	const strata_policy_dataset *pd;
	strata_schema *src_schema = NULL, vs = { 0 };
	strata_redactor r;
	strata_packw *w = NULL;
	git_oid source, blob_id, records_oid;
	kclasses kc = { 0 };
	size_t suppressed = 0;
	int have_r = 0, error = STRATA_ERROR;

	memset(res, 0, sizeof(*res));
	/* its scratch repository lives in NODE/tmp, which a writer clears when it takes the lock */
	if ((error = strata_node_lock_shared(n)) < 0)
		return error;
	error = STRATA_ERROR;
	if (git_commit_lookup(&view, strata_node_repo(n), view_id) < 0) {
		error = strata_error_git("cannot read the view commit");
		goto done;
	}
	if (!strata_commit_trailer(view, "Strata-Source", shex, sizeof(shex)) || git_oid_fromstr(&source, shex) < 0 ||
	    !strata_commit_trailer(view, "Strata-Policy", v, sizeof(v)) || git_oid_fromstr(&blob_id, v) < 0 ||
	    !strata_commit_trailer(view, "Strata-Dataset", dataset, sizeof(dataset)) ||
	    !strata_commit_trailer(view, "Strata-Recipient", recipient, sizeof(recipient))) {
		git_error_clear();
		error = strata_error_set("not a view commit: it lacks Strata-Source, Strata-Policy, Strata-Dataset or Strata-Recipient");
		goto done;
	}
	strata_commit_trailer(view, "Strata-Node", builder, sizeof(builder));
	res->source = source;
	res->policy = blob_id;
	res->tree = *git_commit_tree_id(view);
	if (strata_commit_trailer(view, "Strata-Withdrawn", res->why, sizeof(res->why))) {
		/* a withdrawal is nothing but its empty records: nothing to recompute */
		const git_tree_entry *e;
		res->withdrawn = 1;
		res->recomputed = res->tree;
		if (git_commit_tree(&vt, view) < 0 || (e = git_tree_entry_byname(vt, "records")) == NULL ||
		    git_tree_lookup(&rt, strata_node_repo(n), git_tree_entry_id(e)) < 0) {
			error = strata_error_git("cannot read the withdrawn view's records");
			goto done;
		}
		res->equal = git_tree_entrycount(rt) == 0;
		error = 0;
		goto done;
	}
	if (git_commit_lookup(&src, strata_node_repo(n), &source) < 0) {
		git_error_clear();
		error = strata_error_setc(STRATA_ENOTFOUND, "the view's source %.12s is not held at this node: "
					  "audit it at '%s', which built it, or check one record of it here with the "
					  "evidence '%s' adds ('strata audit view --evidence FILE')", shex, builder, builder);
		goto done;
	}
	if (git_blob_lookup(&blob, strata_node_repo(n), &blob_id) < 0) {
		git_error_clear();
		error = strata_error_setc(STRATA_ENOTFOUND, "the view's policy blob is not held at this node");
		goto done;
	}
	if ((error = strata_policy_parse(&p, _("the view's policy"), git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob))) < 0)
		goto done;
	if ((pd = strata_policy_find(p, dataset)) == NULL) {
		error = strata_error_set("the policy the view names does not share '%s'", dataset);
		goto done;
	}
	if (git_commit_tree(&src_tree, src) < 0) {
		error = strata_error_git("cannot read the view's source");
		goto done;
	}
	if ((error = strata_schema_load(&src_schema, strata_node_repo(n), src_tree)) < 0 ||
	    (error = strata_policy_check_schema(p, pd, src_schema, STRATA_POLICY_MISSING_OK)) < 0 ||
	    (error = strata_policy_store_secret(secret, n, p->name)) < 0 ||
	    (error = view_schema(&vs, src_schema, pd)) < 0 ||
	    (error = strata_redact_init(&r, p, pd, recipient, secret)) < 0)
		goto done;
	have_r = 1;
	/* a filter per recipient: with the attributes the view says it was built with */
	if (r.needs_recipient) {
		char attrs[512] = "";
		strata_commit_trailer(view, "Strata-Recipient-Filter", attrs, sizeof(attrs));
		if ((error = strata_redact_recipient(&r, recipient, attrs)) < 0)
			goto done;
	}
	if ((error = scratch_repo(&scratch, &dir, n)) < 0)
		goto done;
	/* the same build as the node's, writing into the scratch repository */
	if ((error = strata_pack_writer_new(&w, scratch, 1)) < 0 ||
	    (pd->min_k && (error = kclasses_count(&kc, scratch, &r, pd, src_schema, src_tree)) < 0) ||
	    (error = build_full(scratch, strata_node_path(n), &r, &vs, src_tree, pd->min_k ? &kc : NULL, w, &records_oid,
				&res->records, &suppressed, NULL, NULL, NULL)) < 0 ||
	    (error = strata_schema_write_root(w, &vs, &records_oid, &res->recomputed)) < 0 ||
	    (error = strata_pack_writer_commit(w)) < 0)
		goto done;
	res->equal = git_oid_equal(&res->recomputed, &res->tree);
	if (!res->equal && cb) {
		if (git_tree_lookup(&vt, scratch, &res->tree) < 0 || git_tree_lookup(&rt, scratch, &res->recomputed) < 0) {
			error = strata_error_git("cannot read the trees to compare");
			goto done;
		}
		if ((error = strata_dataset_diff(scratch, vt, rt, cb, payload)) < 0)
			goto done;
	}
	error = 0;
done:
	OPENSSL_cleanse(secret, sizeof(secret));
	kclasses_dispose(&kc);
	if (have_r)
		strata_redact_dispose(&r);
	strata_pack_writer_free(w);
	git_tree_free(vt);
	git_tree_free(rt);
	git_repository_free(scratch);
	if (dir.len)
		strata_fs_rm_rf(dir.ptr);
	strata_buf_dispose(&dir);
	free(vs.names);
	free(vs.types);
	strata_schema_free(src_schema);
	strata_policy_free(p);
	git_blob_free(blob);
	git_tree_free(src_tree);
	git_commit_free(src);
	git_commit_free(view);
	return error;
}
