/*
 * dataset.c - reading datasets: revisions, record iteration, export, and
 * the record-level diff.
 *
 * The diff descends both tries together by hash prefix and skips every
 * subtree whose id is equal on both sides, so its cost follows what
 * changed; records are loaded only under prefixes that differ.
 */
#include "strata/data/dataset.h"
#include "strata/base/array.h"
#include "strata/format/trie.h"
#include "strata/node/refs.h"
#include "strata/format/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int strata_dataset_resolve(git_commit **out, strata_node *n, const char *dataset, const char *rev)
{
	strata_buf ref = STRATA_BUF_INIT, spec = STRATA_BUF_INIT;
	git_object *obj = NULL;
	git_oid tip;
	int error = STRATA_ERROR, rc;

	*out = NULL;
	if ((error = strata_refs_dataset(&ref, dataset)) < 0)
		goto done;
	rc = git_reference_name_to_id(&tip, strata_node_repo(n), ref.ptr);
	if (rc == GIT_ENOTFOUND) {
		error = strata_error_setc(STRATA_ENOTFOUND, "dataset '%s' does not exist on node '%s'", dataset, strata_node_name(n));
		goto done;
	} else if (rc < 0) {
		error = strata_error_git("cannot read dataset ref");
		goto done;
	}
	if (!rev || !*rev || strcmp(rev, "HEAD") == 0) {
		rc = git_commit_lookup(out, strata_node_repo(n), &tip);
	} else {
		if (strncmp(rev, "HEAD", 4) == 0 && (rev[4] == '~' || rev[4] == '^'))
			rc = strata_buf_printf(&spec, "%s%s", ref.ptr, rev + 4);
		else
			rc = strata_buf_puts(&spec, rev);
		if ((error = rc) < 0)
			goto done;
		rc = git_revparse_single(&obj, strata_node_repo(n), spec.ptr);
		if (rc == 0)
			rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
	}
	if (rc < 0) {
		git_error_clear();
		error = strata_error_setc(STRATA_ENOTFOUND, "unknown revision '%s' of dataset '%s'", rev, dataset);
		goto done;
	}
	error = 0;
done:
	git_object_free(obj);
	strata_buf_dispose(&ref);
	strata_buf_dispose(&spec);
	return error;
}

static int foreach_blob_lines(git_repository *repo, const git_oid *id, strata_line_cb cb, void *payload)
{
	git_blob *blob = NULL;
	const char *p, *end, *nl;
	int error = 0;

	if (git_blob_lookup(&blob, repo, id) < 0)
		return strata_error_git("cannot read records");
	p = git_blob_rawcontent(blob);
	end = p + git_blob_rawsize(blob);
	for (; p < end && !error; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl > p)
			error = cb(p, (size_t)(nl - p), payload);
	}
	git_blob_free(blob);
	return error;
}

static int foreach_tree(git_repository *repo, const git_oid *tree_id, strata_line_cb cb, void *payload)
{
	git_tree *tree = NULL;
	int error = 0;

	if (git_tree_lookup(&tree, repo, tree_id) < 0)
		return strata_error_git("cannot read records tree");
	for (size_t i = 0; i < git_tree_entrycount(tree) && !error; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			error = foreach_tree(repo, git_tree_entry_id(e), cb, payload);
		else
			error = foreach_blob_lines(repo, git_tree_entry_id(e), cb, payload);
	}
	git_tree_free(tree);
	return error;
}

int strata_dataset_foreach_entry(git_repository *repo, const git_tree_entry *e, strata_line_cb cb, void *payload)
{
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return foreach_tree(repo, git_tree_entry_id(e), cb, payload);
	return foreach_blob_lines(repo, git_tree_entry_id(e), cb, payload);
}

int strata_dataset_foreach(git_repository *repo, const git_tree *root, strata_line_cb cb, void *payload)
{
	const git_tree_entry *e = git_tree_entry_byname(root, "records");
	if (!e || git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return strata_error_set("dataset tree has no records/");
	return foreach_tree(repo, git_tree_entry_id(e), cb, payload);
}

/* ---- export ---- */

typedef struct {
	FILE *out;
	const strata_schema *s;
	int csv;
} export_ctx;

static int csv_field(FILE *out, const char *v)
{
	if (v[strcspn(v, ",\"\r\n")] == '\0')
		return fputs(v, out) < 0 ? -1 : 0;
	fputc('"', out);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', out);
		fputc(*v, out);
	}
	return fputc('"', out) == EOF ? -1 : 0;
}

static int export_line(const char *line, size_t len, void *payload)
{
	export_ctx *x = payload;
	strata_record *r = NULL;
	strata_buf b = STRATA_BUF_INIT;
	int error = 0;

	if (strata_json_record_parse(&r, line, len) < 0)
		return STRATA_ERROR;
	for (size_t i = 0; i < x->s->nfields; i++) {
		const char *v = strata_json_record_get(r, x->s->names[i]);
		if (!v)
			v = "";
		if (x->csv) {
			if ((i && fputc(',', x->out) == EOF) || csv_field(x->out, v) < 0)
				error = -1;
		} else {
			if (strata_buf_putc(&b, i ? ',' : '{') < 0 ||
			    strata_json_put_string(&b, x->s->names[i], strlen(x->s->names[i])) < 0 ||
			    strata_buf_putc(&b, ':') < 0 ||
			    strata_json_put_string(&b, v, strlen(v)) < 0)
				error = -1;
		}
	}
	if (!x->csv && !error)
		error = (strata_buf_putc(&b, '}') < 0 || fwrite(b.ptr, 1, b.len, x->out) != b.len) ? -1 : 0;
	if (fputs(x->csv ? "\r\n" : "\n", x->out) < 0)
		error = -1;
	strata_json_record_free(r);
	strata_buf_dispose(&b);
	if (error)
		return strata_error_set("cannot write export: %s", strerror(errno));
	return 0;
}

int strata_dataset_export(FILE *out, git_repository *repo, const git_tree *root, const char *format)
{
	strata_schema *s = NULL;
	export_ctx x;
	int error;

	if (strcmp(format, "csv") && strcmp(format, "jsonl"))
		return strata_error_set("unknown format '%s' (csv or jsonl)", format);
	if ((error = strata_schema_load(&s, repo, root)) < 0)
		return error;
	x.out = out;
	x.s = s;
	x.csv = !strcmp(format, "csv");
	if (x.csv) {
		for (size_t i = 0; i < s->nfields; i++)
			if ((i && fputc(',', out) == EOF) || csv_field(out, s->names[i]) < 0)
				error = -1;
		if (fputs("\r\n", out) < 0)
			error = -1;
		if (error)
			error = strata_error_set("cannot write export: %s", strerror(errno));
	}
	if (!error)
		error = strata_dataset_foreach(repo, root, export_line, &x);
	if (!error && fflush(out) != 0)
		error = strata_error_set("cannot write export: %s", strerror(errno));
	strata_schema_free(s);
	return error;
}

/* ---- diff ---- */

typedef struct {
	unsigned char hash[STRATA_HASH_LEN];	/* key hash, once parsed */
	uint64_t fp;				/* fingerprint of the line's bytes */
	strata_record *rec;
	size_t off, len;			/* the line, in the set's arena */
} diff_item;

typedef struct {
	diff_item *v;
	size_t n, alloc;
	strata_buf arena;
	const strata_schema *s;
} diff_set;

#define LINE(set, it) ((set)->arena.ptr + (it)->off)

typedef struct {
	git_repository *repo;
	const strata_schema *sa, *sb;
	strata_diff_cb cb;
	void *payload;
} diff_ctx;

static void set_clear(diff_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		strata_json_record_free(s->v[i].rec);
	s->n = 0;
	strata_buf_dispose(&s->arena);
}

static uint64_t fingerprint(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
	return h;
}

static int record_hash(unsigned char *hash, const strata_record *r, const strata_schema *s)
{
	char *vals[64];
	size_t lens[64];

	if (s->nkey > 64)
		return strata_error_set("too many key fields");
	for (size_t i = 0; i < s->nkey; i++) {
		const char *v = strata_json_record_get(r, s->key[i]);
		if (!v)
			return strata_error_set("record lacks key field '%s'", s->key[i]);
		vals[i] = (char *)v;
		lens[i] = strlen(v);
	}
	return strata_trie_keyhash(hash, vals, lens, s->nkey);
}

/* Keeps the raw line; parsing waits until identical lines are dropped. */
static int set_add_line(const char *line, size_t len, void *payload)
{
	diff_set *s = payload;
	diff_item *it;

	if (strata_array_grow(&s->v, &s->alloc, s->n + 1, 1024) < 0)
		return STRATA_ERROR;
	it = &s->v[s->n];
	it->rec = NULL;
	it->off = s->arena.len;
	it->len = len;
	it->fp = fingerprint(line, len);
	if (strata_buf_put(&s->arena, line, len) < 0)
		return STRATA_ERROR;
	s->n++;
	return 0;
}

/*
 * Removes the lines both sets hold (unchanged records need no parsing):
 * an open-addressing table of a's fingerprints, probed with b's lines.
 */
static int drop_common(diff_set *a, diff_set *b)
{
	size_t nslots = 16, ka = 0, kb = 0;
	size_t *slots;
	unsigned char *gone;

	while (nslots < a->n * 2)
		nslots *= 2;
	if ((slots = calloc(nslots, sizeof(size_t))) == NULL || (gone = calloc(a->n + 1, 1)) == NULL) {
		free(slots);
		return strata_error_set("out of memory");
	}
	for (size_t i = 0; i < a->n; i++) {
		size_t k = a->v[i].fp & (nslots - 1);
		while (slots[k])
			k = (k + 1) & (nslots - 1);
		slots[k] = i + 1;
	}
	for (size_t j = 0; j < b->n; j++) {
		diff_item *y = &b->v[j];
		int matched = 0;
		for (size_t k = y->fp & (nslots - 1); slots[k]; k = (k + 1) & (nslots - 1)) {
			diff_item *x = &a->v[slots[k] - 1];
			if (!gone[slots[k] - 1] && x->fp == y->fp && x->len == y->len &&
			    memcmp(LINE(a, x), LINE(b, y), x->len) == 0) {
				gone[slots[k] - 1] = 1;
				matched = 1;
				break;
			}
		}
		if (!matched)
			b->v[kb++] = *y;
	}
	for (size_t i = 0; i < a->n; i++)
		if (!gone[i])
			a->v[ka++] = a->v[i];
	a->n = ka;
	b->n = kb;
	free(slots);
	free(gone);
	return 0;
}

static int set_parse(diff_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (strata_json_record_parse(&s->v[i].rec, LINE(s, &s->v[i]), s->v[i].len) < 0 ||
		    record_hash(s->v[i].hash, s->v[i].rec, s->s) < 0)
			return STRATA_ERROR;
	return 0;
}

static int cmp_diff_item(const void *a, const void *b)
{
	return memcmp(((const diff_item *)a)->hash, ((const diff_item *)b)->hash, STRATA_HASH_LEN);
}

/* Adds every record under a node (tree or leaf) to a set. */
static int set_load(diff_set *s, git_repository *repo, const git_tree_entry *e)
{
	if (!e)
		return 0;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return foreach_tree(repo, git_tree_entry_id(e), set_add_line, s);
	return foreach_blob_lines(repo, git_tree_entry_id(e), set_add_line, s);
}

/* Streams one side of a node to the callback (everything added or removed). */
typedef struct {
	diff_ctx *d;
	int removed;
	const strata_schema *s;
} stream_ctx;

static int stream_line(const char *line, size_t len, void *payload)
{
	stream_ctx *sc = payload;
	strata_record *r = NULL;
	int error;

	if ((error = strata_json_record_parse(&r, line, len)) < 0)
		return error;
	error = sc->removed ? sc->d->cb(r, NULL, sc->d->payload) : sc->d->cb(NULL, r, sc->d->payload);
	strata_json_record_free(r);
	return error;
}

static int diff_merge(diff_ctx *d, git_repository *repo, const git_tree_entry *ea, const git_tree_entry *eb)
{
	diff_set a = { NULL, 0, 0, STRATA_BUF_INIT, d->sa }, b = { NULL, 0, 0, STRATA_BUF_INIT, d->sb };
	size_t i = 0, j = 0;
	int error;

	if ((error = set_load(&a, repo, ea)) < 0 || (error = set_load(&b, repo, eb)) < 0)
		goto done;
	if ((error = drop_common(&a, &b)) < 0 || (error = set_parse(&a)) < 0 || (error = set_parse(&b)) < 0)
		goto done;
	if (a.n > 1)
		qsort(a.v, a.n, sizeof(*a.v), cmp_diff_item);
	if (b.n > 1)
		qsort(b.v, b.n, sizeof(*b.v), cmp_diff_item);
	while (!error && (i < a.n || j < b.n)) {
		int c = i == a.n ? 1 : j == b.n ? -1 : memcmp(a.v[i].hash, b.v[j].hash, STRATA_HASH_LEN);
		if (c < 0) {
			error = d->cb(a.v[i++].rec, NULL, d->payload);
		} else if (c > 0) {
			error = d->cb(NULL, b.v[j++].rec, d->payload);
		} else {
			if (a.v[i].len != b.v[j].len || memcmp(LINE(&a, &a.v[i]), LINE(&b, &b.v[j]), a.v[i].len))
				error = d->cb(a.v[i].rec, b.v[j].rec, d->payload);
			i++;
			j++;
		}
	}
done:
	set_clear(&a);
	set_clear(&b);
	free(a.v);
	free(b.v);
	return error;
}

static int diff_stream(diff_ctx *d, const git_tree_entry *e, int removed)
{
	stream_ctx sc = { d, removed, removed ? d->sa : d->sb };
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return foreach_tree(d->repo, git_tree_entry_id(e), stream_line, &sc);
	return foreach_blob_lines(d->repo, git_tree_entry_id(e), stream_line, &sc);
}

static int diff_trees(diff_ctx *d, const git_tree *ta, const git_tree *tb);

static int diff_entries(diff_ctx *d, const git_tree_entry *ea, const git_tree_entry *eb)
{
	git_tree *ta = NULL, *tb = NULL;
	int error;

	if (!ea && !eb)
		return 0;
	if (ea && eb && git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)))
		return 0;
	if (!ea)
		return diff_stream(d, eb, 0);
	if (!eb)
		return diff_stream(d, ea, 1);
	if (git_tree_entry_type(ea) != GIT_OBJECT_TREE || git_tree_entry_type(eb) != GIT_OBJECT_TREE)
		return diff_merge(d, d->repo, ea, eb);
	if (git_tree_lookup(&ta, d->repo, git_tree_entry_id(ea)) < 0 ||
	    git_tree_lookup(&tb, d->repo, git_tree_entry_id(eb)) < 0)
		error = strata_error_git("cannot read records tree");
	else
		error = diff_trees(d, ta, tb);
	git_tree_free(ta);
	git_tree_free(tb);
	return error;
}

static int diff_trees(diff_ctx *d, const git_tree *ta, const git_tree *tb)
{
	int error = 0;
	for (unsigned nib = 0; nib < 16 && !error; nib++)
		error = diff_entries(d, strata_trie_child(ta, nib), strata_trie_child(tb, nib));
	return error;
}

static int records_tree(git_tree **out, git_repository *repo, const git_tree *root)
{
	const git_tree_entry *e;
	*out = NULL;
	if (!root)
		return 0;
	e = git_tree_entry_byname(root, "records");
	if (!e || git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return strata_error_set("dataset tree has no records/");
	if (git_tree_lookup(out, repo, git_tree_entry_id(e)) < 0)
		return strata_error_git("cannot read records tree");
	return 0;
}

int strata_dataset_diff(git_repository *repo, const git_tree *a, const git_tree *b,
			strata_diff_cb cb, void *payload)
{
	strata_schema *sa = NULL, *sb = NULL;
	git_tree *ra = NULL, *rb = NULL;
	diff_ctx d = { repo, NULL, NULL, cb, payload };
	int error;

	if ((a && (error = strata_schema_load(&sa, repo, a)) < 0) ||
	    (b && (error = strata_schema_load(&sb, repo, b)) < 0) ||
	    (error = records_tree(&ra, repo, a)) < 0 ||
	    (error = records_tree(&rb, repo, b)) < 0)
		goto done;
	d.sa = sa ? sa : sb;
	d.sb = sb ? sb : sa;
	{
		/* keys compare only if both sides hash the same key fields */
		int same = sa && sb && sa->nkey == sb->nkey;
		for (size_t i = 0; same && i < sa->nkey; i++)
			same = strcmp(sa->key[i], sb->key[i]) == 0;
		if (sa && sb && !same) {
			error = strata_error_set("the key changed between these commits; records cannot be matched");
			goto done;
		}
		/* identical key: the trie layouts agree, so equal subtree ids mean equal records */
		if (same)
			d.sb = d.sa;
	}
	for (unsigned nib = 0; nib < 16 && !error; nib++)
		error = diff_entries(&d, strata_trie_child(ra, nib), strata_trie_child(rb, nib));
done:
	git_tree_free(ra);
	git_tree_free(rb);
	strata_schema_free(sa);
	strata_schema_free(sb);
	return error;
}

int strata_dataset_list(strata_node *n, strata_dataset_list_cb cb, void *payload)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int error = 0, rc;

	if (git_reference_iterator_glob_new(&it, strata_node_repo(n), STRATA_REF_DATASETS "*") < 0)
		return strata_error_git("cannot list datasets");
	while (!error && (rc = git_reference_next(&ref, it)) == 0) {
		git_commit *c = NULL;
		const git_oid *id = git_reference_target(ref);
		if (!id || git_commit_lookup(&c, strata_node_repo(n), id) < 0)
			error = strata_error_git("cannot read a dataset's tip");
		else
			error = cb(git_reference_name(ref) + strlen(STRATA_REF_DATASETS), c, payload);
		git_commit_free(c);
		git_reference_free(ref);
	}
	if (!error && rc != GIT_ITEROVER)
		error = strata_error_git("cannot list datasets");
	git_reference_iterator_free(it);
	return error;
}
