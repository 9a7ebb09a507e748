/*
 * dataset.c - reading datasets: revisions, record iteration, export, and
 * the record-level diff.
 *
 * The diff skips every dir and leaf whose id is equal on both sides
 * (strata_trie_diff), so its cost follows what changed, and parses only
 * the records that differ.
 */
#include "strata/data/dataset.h"
#include "strata/base/near.h"
#include "strata/base/array.h"
#include "strata/format/trie.h"
#include "strata/node/refs.h"
#include "strata/format/json.h"
#include "strata/format/name.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

int strata_dataset_resolve(git_commit **out, strata_node *n, const char *dataset, const char *rev)
{
	strata_buf ref = STRATA_BUF_INIT, spec = STRATA_BUF_INIT;
	git_object *obj = NULL;
	git_oid tip;
	int error = STRATA_ERROR, rc;

	*out = NULL;
	if ((error = strata_dataset_ref(&ref, n, dataset)) < 0)
		goto done;
	if (git_reference_name_to_id(&tip, strata_node_repo(n), ref.ptr) < 0) {
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

static int records_tree(git_tree **out, git_repository *repo, const git_tree *root);

/* ---- export ---- */

typedef struct {
	FILE *out;
	const strata_schema *s;
	int csv;
	size_t *pos;		/* pos[i]: where schema field i sits in a canonical (sorted) record */
	const char *source;	/* --all-sources: the dataset's name, a first column */
	strata_buf line;	/* one output line, written at once */
	strata_buf *chunk;	/* a worker's: lines go here instead of `out` */
} export_ctx;

/* A CSV field (RFC 4180: quoted if it holds a comma, quote or line break). */
static int csv_field(strata_buf *b, const char *v, size_t len)
{
	size_t i = 0;

	while (i < len && v[i] != ',' && v[i] != '"' && v[i] != '\r' && v[i] != '\n')
		i++;
	if (i == len)
		return strata_buf_put(b, v, len);
	if (strata_buf_putc(b, '"') < 0)
		return STRATA_ERROR;
	for (i = 0; i < len; i++)
		if ((v[i] == '"' && strata_buf_putc(b, '"') < 0) || strata_buf_putc(b, v[i]) < 0)
			return STRATA_ERROR;
	return strata_buf_putc(b, '"');
}

/* Field i of the schema in record r: at its sorted place when the record has every field. */
static const char *export_value(const export_ctx *x, const strata_record *r, size_t i, size_t *len)
{
	const char *name = x->s->names[i];
	size_t k = x->pos[i];

	if (r->n == x->s->nfields && strcmp(r->names[k], name) == 0) {
		*len = r->lens[k];
		return r->values[k];
	}
	for (k = 0; k < r->n; k++)
		if (strcmp(r->names[k], name) == 0) {
			*len = r->lens[k];
			return r->values[k];
		}
	*len = 0;
	return "";
}

static int export_line(const char *line, size_t len, void *payload)
{
	export_ctx *x = payload;
	strata_buf *b = &x->line;
	strata_record *r = NULL;
	int error = 0;

	if ((error = strata_json_record_parse(&r, line, len)) < 0)
		return error;
	strata_buf_clear(b);
	if (x->source)
		error = x->csv ? csv_field(b, x->source, strlen(x->source)) < 0 || strata_buf_putc(b, ',') < 0 :
			strata_buf_puts(b, "{\"_source\":") < 0 ||
			strata_json_put_string(b, x->source, strlen(x->source)) < 0;
	for (size_t i = 0; i < x->s->nfields && !error; i++) {
		size_t vlen;
		const char *v = export_value(x, r, i, &vlen);
		if (x->csv)
			error = (i && strata_buf_putc(b, ',') < 0) || csv_field(b, v, vlen) < 0;
		else
			error = strata_buf_putc(b, i || x->source ? ',' : '{') < 0 ||
				strata_json_put_string(b, x->s->names[i], strlen(x->s->names[i])) < 0 ||
				strata_buf_putc(b, ':') < 0 || strata_json_put_string(b, v, vlen) < 0;
	}
	strata_json_record_free(r);
	if (error || (!x->csv && strata_buf_putc(b, '}') < 0) || strata_buf_puts(b, x->csv ? "\r\n" : "\n") < 0)
		return STRATA_ERROR;
	if (x->chunk)
		return strata_buf_put(x->chunk, b->ptr, b->len);
	if (fwrite(b->ptr, 1, b->len, x->out) != b->len)
		return strata_error_set("cannot write export: %s", strerror(errno));
	return 0;
}

/*
 * Export on EXPORT_THREADS threads: worker w turns dirs w, w + n, ... of
 * records/ into text (through its own repository handle), one dir ahead
 * at most; the caller writes the dirs' text in order, so the output is
 * the same bytes as one thread's.
 */
#define EXPORT_THREADS 2

typedef struct {
	export_ctx x;
	const char *repo_path;
	git_oid records;
	size_t part, nparts;
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	strata_buf fill, full;	/* being made; made and waiting to be written */
	int full_ready, stop, error;
	char errmsg[512];
} export_worker;

static void *export_main(void *arg)
{
	export_worker *wk = arg;
	git_repository *repo = NULL;
	git_tree *t = NULL;
	int error = 0;

	if (git_repository_open_bare(&repo, wk->repo_path) < 0 || git_tree_lookup(&t, repo, &wk->records) < 0)
		error = strata_error_git("cannot read the records to export");
	wk->x.chunk = &wk->fill;
	for (size_t d = wk->part; !error && d < git_tree_entrycount(t); d += wk->nparts) {
		strata_buf_clear(&wk->fill);
		if ((error = strata_dataset_foreach_entry(repo, git_tree_entry_byindex(t, d), export_line, &wk->x)) < 0)
			break;
		pthread_mutex_lock(wk->mu);
		while (wk->full_ready && !wk->stop)
			pthread_cond_wait(wk->cv, wk->mu);
		if (wk->stop) {
			pthread_mutex_unlock(wk->mu);
			break;
		}
		{
			strata_buf tmp = wk->full;
			wk->full = wk->fill;
			wk->fill = tmp;
		}
		wk->full_ready = 1;
		pthread_cond_broadcast(wk->cv);
		pthread_mutex_unlock(wk->mu);
	}
	pthread_mutex_lock(wk->mu);
	if (error) {
		wk->error = error;
		snprintf(wk->errmsg, sizeof(wk->errmsg), "%s", strata_error_last());
	}
	pthread_cond_broadcast(wk->cv);
	pthread_mutex_unlock(wk->mu);
	git_tree_free(t);
	git_repository_free(repo);
	strata_json_thread_cleanup();
	return NULL;
}

static int export_parallel(export_ctx *x, git_repository *repo, const git_tree *records)
{
	export_worker wk[EXPORT_THREADS];
	pthread_t th[EXPORT_THREADS];
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	size_t ndirs = git_tree_entrycount(records);
	int started = 0, error = 0;

	memset(wk, 0, sizeof(wk));
	for (int i = 0; i < EXPORT_THREADS; i++) {
		wk[i].x = *x;
		memset(&wk[i].x.line, 0, sizeof(wk[i].x.line));
		wk[i].repo_path = git_repository_path(repo);
		git_oid_cpy(&wk[i].records, git_tree_id(records));
		wk[i].part = (size_t)i;
		wk[i].nparts = EXPORT_THREADS;
		wk[i].mu = &mu;
		wk[i].cv = &cv;
	}
	for (; started < EXPORT_THREADS; started++)
		if (pthread_create(&th[started], NULL, export_main, &wk[started]) != 0)
			break;
	if (started < EXPORT_THREADS)
		error = strata_error_set("cannot start an export thread");
	for (size_t d = 0; !error && d < ndirs; d++) {
		export_worker *w = &wk[d % EXPORT_THREADS];
		pthread_mutex_lock(&mu);
		while (!w->full_ready && !w->error)
			pthread_cond_wait(&cv, &mu);
		if (!w->full_ready) {
			error = strata_error_set("%s", w->errmsg);
			pthread_mutex_unlock(&mu);
			break;
		}
		pthread_mutex_unlock(&mu);
		if (w->full.len && fwrite(w->full.ptr, 1, w->full.len, x->out) != w->full.len)
			error = strata_error_set("cannot write export: %s", strerror(errno));
		pthread_mutex_lock(&mu);
		w->full_ready = 0;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	for (int i = 0; i < EXPORT_THREADS; i++)
		wk[i].stop = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < EXPORT_THREADS; i++) {
		strata_buf_dispose(&wk[i].fill);
		strata_buf_dispose(&wk[i].full);
		strata_buf_dispose(&wk[i].x.line);
	}
	return error;
}

/*
 * Writes the records of `root` as the columns of `cols` (its own schema,
 * or the union of several), each line led by `source` if set, after a
 * CSV header if `header`.
 */
/* One page of records: `skip` lines passed over, then `left` written, then the walk stops (1). */
typedef struct {
	export_ctx *x;
	size_t skip, left;
} page_ctx;

static int page_line(const char *line, size_t len, void *payload)
{
	page_ctx *p = payload;
	if (p->skip) {
		p->skip--;
		return 0;
	}
	if (!p->left)
		return 1;
	p->left--;
	return export_line(line, len, p->x);
}

static int export_tree(FILE *out, git_repository *repo, const git_tree *root, const strata_schema *cols,
		       const char *source, int csv, int header, size_t offset, size_t limit, const char *const *labels)
{
	export_ctx x;
	int error = 0;

	memset(&x, 0, sizeof(x));
	x.out = out;
	x.s = cols;
	x.csv = csv;
	x.source = source;
	if ((x.pos = calloc(cols->nfields ? cols->nfields : 1, sizeof(size_t))) == NULL)
		return strata_error_set("out of memory");
	{
		/* the sorted order of the names, inverted: where each field sits in a canonical line */
		size_t *order = calloc(cols->nfields ? cols->nfields : 1, sizeof(size_t));
		if (!order) {
			error = strata_error_set("out of memory");
			goto done;
		}
		strata_json_sort_names(order, cols->names, cols->nfields);
		for (size_t k = 0; k < cols->nfields; k++)
			x.pos[order[k]] = k;
		free(order);
	}
	if (csv && header) {
		if (source)
			error = strata_buf_puts(&x.line, "_source,");
		for (size_t i = 0; i < cols->nfields && !error; i++)
		{
			/* a field's label (people's words for it) in the header, else its name */
			const char *h = labels && labels[i] && labels[i][0] ? labels[i] : cols->names[i];
			error = (i && strata_buf_putc(&x.line, ',') < 0) || csv_field(&x.line, h, strlen(h)) < 0;
		}
		if (error || strata_buf_puts(&x.line, "\r\n") < 0) {
			error = STRATA_ERROR;
			goto done;
		}
		if (fwrite(x.line.ptr, 1, x.line.len, out) != x.line.len) {
			error = strata_error_set("cannot write export: %s", strerror(errno));
			goto done;
		}
	}
	{
		git_tree *records = NULL;
		if ((error = records_tree(&records, repo, root)) < 0)
			goto done;
		if (limit != SIZE_MAX) {
			/* a page: in order, from the start, only as far as it goes */
			page_ctx p = { &x, offset, limit };
			error = strata_dataset_foreach(repo, root, page_line, &p);
			error = error == 1 ? 0 : error;
		} else {
			error = git_tree_entrycount(records) > 1 ? export_parallel(&x, repo, records) :
				strata_dataset_foreach(repo, root, export_line, &x);
		}
		git_tree_free(records);
	}
	if (!error && fflush(out) != 0)
		error = strata_error_set("cannot write export: %s", strerror(errno));
done:
	free(x.pos);
	strata_buf_dispose(&x.line);
	return error;
}

int strata_dataset_export(FILE *out, git_repository *repo, const git_tree *root, const char *format)
{
	return strata_dataset_export_page(out, repo, root, format, 0, SIZE_MAX);
}

int strata_dataset_export_page(FILE *out, git_repository *repo, const git_tree *root, const char *format,
			       size_t offset, size_t limit)
{
	strata_schema *s = NULL;
	int error;

	if (strcmp(format, "csv") && strcmp(format, "jsonl"))
		return strata_error_set("unknown format '%s' (csv or jsonl)", format);
	if ((error = strata_schema_load(&s, repo, root)) < 0)
		return error;
	error = export_tree(out, repo, root, s, NULL, !strcmp(format, "csv"), 1, offset, limit, NULL);
	strata_schema_free(s);
	return error;
}

int strata_dataset_export_labelled(FILE *out, git_repository *repo, const git_tree *root, strata_label_fn label,
				   void *payload)
{
	strata_schema *s = NULL;
	const char **labels = NULL;
	int error;

	if ((error = strata_schema_load(&s, repo, root)) < 0)
		return error;
	if ((labels = calloc(s->nfields ? s->nfields : 1, sizeof(char *))) == NULL) {
		strata_schema_free(s);
		return strata_error_set("out of memory");
	}
	for (size_t i = 0; i < s->nfields; i++)
		labels[i] = label(s->names[i], payload);
	error = export_tree(out, repo, root, s, NULL, 1, 1, 0, SIZE_MAX, labels);
	free(labels);
	strata_schema_free(s);
	return error;
}

/* ---- every source of one dataset ---- */

typedef struct {
	const char *dataset;
	strata_dataset_entry *e;
	git_oid *roots;
	size_t n, alloc, ralloc;
} sources_ctx;

static int add_source(const strata_dataset_entry *d, void *payload)
{
	sources_ctx *x = payload;
	int error;

	if (strcmp(d->dataset, x->dataset))
		return 0;
	if ((error = strata_array_grow(&x->e, &x->alloc, x->n + 1, 8)) < 0 ||
	    (error = strata_array_grow(&x->roots, &x->ralloc, x->n + 1, 8)) < 0)
		return error;
	x->e[x->n] = *d;
	x->e[x->n].tip = NULL;	/* lives for the callback only */
	git_oid_cpy(&x->roots[x->n++], git_commit_tree_id(d->tip));
	return 0;
}

int strata_dataset_export_sources(FILE *out, strata_node *n, const char *dataset, const char *format)
{
	git_repository *repo = strata_node_repo(n);
	sources_ctx x = { dataset, NULL, NULL, 0, 0, 0 };
	strata_schema cols = { 0 }, **schemas = NULL;
	size_t alloc = 0;
	int csv = !strcmp(format, "csv"), error;

	if (strcmp(format, "csv") && strcmp(format, "jsonl"))
		return strata_error_set("unknown format '%s' (csv or jsonl)", format);
	if (!strata_name_dataset_valid(dataset))
		return strata_error_set("--all-sources takes a dataset's last name ('residents'), not '%s'", dataset);
	if ((error = strata_dataset_list(n, STRATA_DATASETS_ALL, add_source, &x)) < 0)
		goto done;
	if (x.n == 0) {
		strata_buf ref = STRATA_BUF_INIT;
		/* say which names there are */
		error = strata_dataset_ref(&ref, n, dataset);
		strata_buf_dispose(&ref);
		if (error >= 0)
			error = strata_error_setc(STRATA_ENOTFOUND, "no dataset '%s' on node '%s'", dataset, strata_node_name(n));
		goto done;
	}
	if ((schemas = calloc(x.n, sizeof(*schemas))) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	/* the columns: every source's fields, in the order they first appear */
	for (size_t i = 0; i < x.n; i++) {
		git_tree *root = NULL;
		if (git_tree_lookup(&root, repo, &x.roots[i]) < 0) {
			error = strata_error_git("cannot read a dataset's tree");
			goto done;
		}
		error = strata_schema_load(&schemas[i], repo, root);
		git_tree_free(root);
		if (error < 0)
			goto done;
		for (size_t f = 0; f < schemas[i]->nfields; f++) {
			size_t k = 0;
			while (k < cols.nfields && strcmp(cols.names[k], schemas[i]->names[f]))
				k++;
			if (k < cols.nfields)
				continue;
			if ((error = strata_array_grow(&cols.names, &alloc, cols.nfields + 1, 16)) < 0)
				goto done;
			cols.names[cols.nfields++] = schemas[i]->names[f];
		}
	}
	for (size_t i = 0; i < x.n && !error; i++) {
		git_tree *root = NULL;
		if (git_tree_lookup(&root, repo, &x.roots[i]) < 0) {
			error = strata_error_git("cannot read a dataset's tree");
			break;
		}
		error = export_tree(out, repo, root, &cols, x.e[i].name, csv, i == 0, 0, SIZE_MAX, NULL);
		git_tree_free(root);
	}
done:
	for (size_t i = 0; schemas && i < x.n; i++)
		strata_schema_free(schemas[i]);
	free(schemas);
	free(cols.names);
	free(x.e);
	free(x.roots);
	return error;
}

/* ---- diff ---- */

/*
 * One side of the diff: its leaves the other side lacks (strata_trie_diff),
 * read one at a time, a line at a time.  Both sides hold the records in
 * key-hash order and, line for line, the same unchanged records, so a line
 * equal to the other side's current one is skipped unread; only the lines
 * around a change are parsed and their key hashed.
 */
typedef struct {
	git_repository *repo;
	const strata_schema *s;
	git_oid *leaves;
	size_t nleaves, next;
	git_blob *blob;
	const char *p, *end;
	const char *line;		/* current line, NULL at the end */
	size_t len;
	strata_record *rec;		/* parsed on demand */
	unsigned char hash[STRATA_HASH_LEN];
} diff_side;

static int side_next(diff_side *d)
{
	const char *nl;

	strata_json_record_free(d->rec);
	d->rec = NULL;
	for (;;) {
		if (d->blob && d->p < d->end) {
			if ((nl = memchr(d->p, '\n', (size_t)(d->end - d->p))) == NULL)
				nl = d->end;
			d->line = d->p;
			d->len = (size_t)(nl - d->p);
			d->p = nl < d->end ? nl + 1 : nl;
			if (d->len)
				return 0;
			continue;
		}
		git_blob_free(d->blob);
		d->blob = NULL;
		if (d->next == d->nleaves) {
			d->line = NULL;
			return 0;
		}
		if (git_blob_lookup(&d->blob, d->repo, &d->leaves[d->next++]) < 0)
			return strata_error_git("cannot read records");
		d->p = git_blob_rawcontent(d->blob);
		d->end = d->p + git_blob_rawsize(d->blob);
	}
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

static int side_parse(diff_side *d)
{
	int error;
	if (d->rec)
		return 0;
	if ((error = strata_json_record_parse(&d->rec, d->line, d->len)) < 0 ||
	    (error = record_hash(d->hash, d->rec, d->s)) < 0)
		return error;
	return 0;
}

static void side_dispose(diff_side *d)
{
	strata_json_record_free(d->rec);
	git_blob_free(d->blob);
	free(d->leaves);
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
	diff_side da = { repo, NULL }, db = { repo, NULL };
	int error;

	if ((a && (error = strata_schema_load(&sa, repo, a)) < 0) ||
	    (b && (error = strata_schema_load(&sb, repo, b)) < 0) ||
	    (error = records_tree(&ra, repo, a)) < 0 ||
	    (error = records_tree(&rb, repo, b)) < 0)
		goto done;
	{
		/* keys compare only if both sides hash the same key fields */
		int same = sa && sb && sa->nkey == sb->nkey;
		for (size_t i = 0; same && i < sa->nkey; i++)
			same = strcmp(sa->key[i], sb->key[i]) == 0;
		if (sa && sb && !same) {
			error = strata_error_set("the key changed between these commits; records cannot be matched");
			goto done;
		}
	}
	da.s = sa ? sa : sb;
	db.s = da.s;	/* the same key: the layouts agree, so equal ids mean equal records */
	if ((error = strata_trie_diff(repo, ra, rb, &da.leaves, &da.nleaves, &db.leaves, &db.nleaves)) < 0 ||
	    (error = side_next(&da)) < 0 || (error = side_next(&db)) < 0)
		goto done;
	while (da.line || db.line) {
		int c;
		if (da.line && db.line && da.len == db.len && !memcmp(da.line, db.line, da.len)) {
			if ((error = side_next(&da)) < 0 || (error = side_next(&db)) < 0)
				goto done;
			continue;
		}
		if ((da.line && (error = side_parse(&da)) < 0) || (db.line && (error = side_parse(&db)) < 0))
			goto done;
		c = !da.line ? 1 : !db.line ? -1 : memcmp(da.hash, db.hash, STRATA_HASH_LEN);
		if (c < 0)
			error = cb(da.rec, NULL, payload);
		else if (c > 0)
			error = cb(NULL, db.rec, payload);
		else
			error = cb(da.rec, db.rec, payload);
		if (error || (c <= 0 && (error = side_next(&da)) < 0) || (c >= 0 && (error = side_next(&db)) < 0))
			goto done;	/* a callback's non-zero return stops the diff and is returned */
	}
	error = 0;
done:
	side_dispose(&da);
	side_dispose(&db);
	git_tree_free(ra);
	git_tree_free(rb);
	strata_schema_free(sa);
	strata_schema_free(sb);
	return error;
}

static int list_prefix(strata_node *n, const char *prefix, strata_dataset_list_cb cb, void *payload)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	strata_buf glob = STRATA_BUF_INIT;
	size_t plen = strlen(prefix);
	int received = !strcmp(prefix, STRATA_REF_PEERS), error = 0, rc = 0;

	if ((error = strata_buf_printf(&glob, "%s*", prefix)) < 0)
		return error;
	if (git_reference_iterator_glob_new(&it, strata_node_repo(n), glob.ptr) < 0)
		error = strata_error_git("cannot list datasets");
	while (!error && (rc = git_reference_next(&ref, it)) == 0) {
		const char *full = git_reference_name(ref), *name = full + plen, *slash = strchr(name, '/');
		const git_oid *id = git_reference_target(ref);
		strata_dataset_entry d;
		git_commit *c = NULL;

		memset(&d, 0, sizeof(d));
		/* only what has the form of a name: anything else under the prefix is not a dataset */
		if (id && strlen(name) < sizeof(d.name) && strata_dataset_name_valid(name) && (!received || slash)) {
			snprintf(d.name, sizeof(d.name), "%s", name);
			snprintf(d.ref, sizeof(d.ref), "%s", full);
			snprintf(d.dataset, sizeof(d.dataset), "%s", strrchr(full, '/') + 1);
			if (received)
				snprintf(d.sender, sizeof(d.sender), "%.*s", (int)(slash - name), name);
			if (git_commit_lookup(&c, strata_node_repo(n), id) < 0) {
				error = strata_error_git("cannot read a dataset's tip");
			} else {
				d.tip = c;
				error = cb(&d, payload);
			}
		}
		git_commit_free(c);
		git_reference_free(ref);
	}
	if (!error && rc < 0 && rc != GIT_ITEROVER)
		error = strata_error_git("cannot list datasets");
	git_reference_iterator_free(it);
	strata_buf_dispose(&glob);
	return error;
}

int strata_dataset_list(strata_node *n, int which, strata_dataset_list_cb cb, void *payload)
{
	int error = 0;

	if (which & STRATA_DATASETS_OWN)
		error = list_prefix(n, STRATA_REF_DATASETS, cb, payload);
	if (!error && (which & STRATA_DATASETS_RECEIVED))
		error = list_prefix(n, STRATA_REF_PEERS, cb, payload);
	return error;
}

int strata_dataset_name_valid(const char *name)
{
	const char *p = name, *slash;
	char part[65];

	if (strlen(name) >= STRATA_DATASET_NAME_MAX)
		return 0;
	while ((slash = strchr(p, '/')) != NULL) {
		if (slash - p >= (ptrdiff_t)sizeof(part))
			return 0;
		snprintf(part, sizeof(part), "%.*s", (int)(slash - p), p);
		if (!strata_name_node_valid(part))
			return 0;
		p = slash + 1;
	}
	return strata_name_dataset_valid(p);
}

typedef struct {
	const char *want;
	strata_buf suffix, near, all;
	size_t nsuffix, nnear, nall;
} hint_ctx;

static void hint_add(strata_buf *b, size_t *n, const char *name, size_t max)
{
	if ((*n)++ < max)
		strata_buf_printf(b, "%s'%s'", *n > 1 ? ", " : "", name);
}

/* Names the one asked for may have meant: best, the received name it is the end of (the sender left out). */
static int collect_hint(const strata_dataset_entry *d, void *payload)
{
	hint_ctx *h = payload;
	size_t wl = strlen(h->want), nl = strlen(d->name);
	const char *last = strrchr(h->want, '/');

	if (nl > wl && d->name[nl - wl - 1] == '/' && !strcmp(d->name + nl - wl, h->want))
		hint_add(&h->suffix, &h->nsuffix, d->name, 8);
	else if (strata_near_edits(d->dataset, last ? last + 1 : h->want, 2) <= 2 || strata_near_edits(d->name, h->want, 2) <= 2)
		hint_add(&h->near, &h->nnear, d->name, 8);
	hint_add(&h->all, &h->nall, d->name, 12);
	return 0;
}

int strata_dataset_ref(strata_buf *ref, strata_node *n, const char *name)
{
	hint_ctx h = { name, STRATA_BUF_INIT, STRATA_BUF_INIT, STRATA_BUF_INIT, 0, 0, 0 };
	git_oid id;
	int rc, error;

	if (!strata_dataset_name_valid(name))
		return strata_error_set("invalid dataset name '%s': own datasets are NAME (a-z, 0-9, '-', '_'), "
					"received ones SENDER/.../NAME, as 'strata datasets' lists them", name);
	strata_buf_clear(ref);
	if ((error = strata_buf_printf(ref, "%s%s", strchr(name, '/') ? STRATA_REF_PEERS : STRATA_REF_DATASETS, name)) < 0)
		return error;
	if ((rc = git_reference_name_to_id(&id, strata_node_repo(n), ref->ptr)) == 0)
		return 0;
	if (rc != GIT_ENOTFOUND)
		return strata_error_git("cannot read a dataset's ref");
	git_error_clear();
	if ((error = strata_dataset_list(n, STRATA_DATASETS_ALL, collect_hint, &h)) < 0)
		goto done;
	if (h.nsuffix || h.nnear)
		error = strata_error_setc(STRATA_ENOTFOUND, "no dataset '%s' on node '%s'; did you mean %s%s?", name,
					  strata_node_name(n), h.nsuffix ? h.suffix.ptr : h.near.ptr,
					  (h.nsuffix ? h.nsuffix : h.nnear) > 8 ? ", ..." : "");
	else if (h.nall)
		error = strata_error_setc(STRATA_ENOTFOUND, "no dataset '%s' on node '%s'; it holds %s%s", name,
					  strata_node_name(n), h.all.ptr, h.nall > 12 ? ", ..." : "");
	else
		error = strata_error_setc(STRATA_ENOTFOUND, "no dataset '%s' on node '%s': it holds none yet", name,
					  strata_node_name(n));
done:
	strata_buf_dispose(&h.suffix);
	strata_buf_dispose(&h.near);
	strata_buf_dispose(&h.all);
	return error;
}
