/*
 * import.c - streaming import of CSV / JSON Lines into a dataset commit.
 *
 * Phase 1 reads rows, validates them, canonicalises each record, hashes its
 * key and appends it to one of 256 spill files (by the hash's first byte)
 * under NODE/tmp.  Phase 2 loads one spill file at a time, sorts it, finds
 * duplicate keys, and feeds the trie builder, which writes leaves and trees
 * into a new pack.  Then schema.json and the root tree, the pack is
 * published, a signed commit is made and the ref moves (compare-and-swap).
 * Any failure before the ref moves leaves the refs untouched; the only
 * trace can be an unreferenced pack, which git treats as garbage.
 */
#include "strata/data/import.h"
#include "strata/node/officers.h"
#include "strata/base/i18n.h"
#include "strata/base/transcode.h"
#include "strata/base/near.h"
#include "strata/base/time.h"
#include "strata/data/dataset.h"
#include "strata/node/commit.h"
#include "strata/format/csv.h"
#include "strata/format/pack.h"
#include "strata/format/spill.h"
#include "strata/format/trie.h"
#include "strata/node/refs.h"
#include "strata/node/journal.h"
#include "strata/format/json.h"
#include "strata/node/ledger.h"
#include "strata/node/change.h"
#include "strata/base/array.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#define MAX_FIELD_NAME 128
/*
 * The reader parses rows on the calling thread and hands them, a batch at
 * a time, to ROW_WORKERS threads that canonicalise, hash and spill them
 * (the deflate threads have nothing to do until the rows are all in).
 */
#define ROW_WORKERS 2
#define BATCH_ROWS 2048
#define BATCHES_MAX 6		/* in flight: bounds the memory rows take */
/* measured on 1M rows (bench/import.sh): level 3 is 1.4x faster than 6 for 15% more bytes */
#define IMPORT_ZLIB_LEVEL 3

typedef struct {
	strata_node *node;
	const strata_import_opts *o;
	const char *name;		/* input name for messages */
	FILE *in;
	FILE *file;			/* the file under a transcoder (in then reads it as UTF-8) */
	strata_transcode *tc;
	strata_csv *csv;
	strata_jsonl *jsonl;
	/* header */
	size_t nfields;
	char **fields;
	size_t *order;			/* fields sorted by name */
	size_t nkey;
	size_t *keyidx;
	char **keynames;		/* key field names, in key order (borrowed from fields) */
	unsigned *types;
	const char **kinds;		/* per field: its declared kind (schema.h), or NULL */
	strata_spill *spills[ROW_WORKERS];	/* one per row worker, merged per bucket */
	size_t rows, total;
} import_ctx;

static int next_row(import_ctx *c, strata_csv_row *row)
{
	return c->csv ? strata_csv_next(c->csv, row) : strata_json_lines_next(c->jsonl, row);
}

static int open_input(import_ctx *c)
{
	const char *fmt = c->o->format;
	const char *dot;

	if (strcmp(c->o->path, "-") == 0) {
		c->in = stdin;
		c->name = "<stdin>";
	} else {
		struct stat st;
		if (stat(c->o->path, &st) == 0 && S_ISDIR(st.st_mode))
			return strata_error_set("'%s' is a directory, not a CSV or JSON Lines file", c->o->path);
		if ((c->in = fopen(c->o->path, "rb")) == NULL)
			return strata_error_set("cannot open '%s': %s", c->o->path, strerror(errno));
		c->name = c->o->path;
	}
	if (c->o->encoding && strcmp(c->o->encoding, "utf-8")) {
		int error;
		c->file = c->in;
		if ((error = strata_transcode_reader(&c->in, &c->tc, c->file, c->o->encoding, c->name)) < 0) {
			c->in = c->file;
			c->file = NULL;
			return error;
		}
	}
	if (!fmt) {
		dot = strrchr(c->name, '.');
		if (dot && (!strcmp(dot, ".jsonl") || !strcmp(dot, ".ndjson")))
			fmt = "jsonl";
		else if (dot && !strcmp(dot, ".csv"))
			fmt = "csv";
		else {
			/* sniff: JSON Lines starts with '{' */
			int ch;
			while ((ch = getc(c->in)) == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
				;
			if (ch != EOF)
				ungetc(ch, c->in);
			fmt = ch == '{' ? "jsonl" : "csv";
		}
	}
	if (!strcmp(fmt, "csv"))
		return strata_csv_open(&c->csv, c->in, c->name);
	if (!strcmp(fmt, "jsonl"))
		return strata_json_lines_open(&c->jsonl, c->in, c->name);
	return strata_error_set("unknown format '%s' (csv or jsonl)", fmt);
}

static int take_header(import_ctx *c, const strata_csv_row *h)
{
	c->nfields = h->nfields;
	if ((c->fields = calloc(h->nfields, sizeof(char *))) == NULL ||
	    (c->order = calloc(h->nfields, sizeof(size_t))) == NULL ||
	    (c->types = calloc(h->nfields, sizeof(unsigned))) == NULL)
		return strata_error_set("out of memory");
	for (size_t i = 0; i < h->nfields; i++) {
		const char *f = h->fields[i];
		if (h->lens[i] == 0)
			return strata_error_set("'%s': line %zu: column %zu has an empty name", c->name, h->line, i + 1);
		if (h->lens[i] > MAX_FIELD_NAME)
			return strata_error_set("'%s': line %zu: column %zu name longer than %d bytes",
						c->name, h->line, i + 1, MAX_FIELD_NAME);
		for (size_t k = 0; k < h->lens[i]; k++)
			if ((unsigned char)f[k] < 0x20)
				return strata_error_set("'%s': line %zu: column %zu name has a control character",
							c->name, h->line, i + 1);
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->fields[j], f) == 0)
				return strata_error_set("'%s': line %zu: column '%s' appears twice", c->name, h->line, f);
		if ((c->fields[i] = strdup(f)) == NULL)
			return strata_error_set("out of memory");
		c->types[i] = STRATA_TYPES_ALL;
	}
	strata_json_sort_names(c->order, c->fields, c->nfields);
	return 0;
}

static int count_line(const char *line, size_t len, void *payload)
{
	(void)line;
	(void)len;
	(*(size_t *)payload)++;
	return 0;
}

/* Names the difference between the dataset's fields and the input's. */
static int fields_differ(import_ctx *c, const strata_schema *old, strata_buf *why)
{
	int differ = old->nfields != c->nfields;
	for (size_t i = 0; i < c->nfields; i++)
		if (strata_schema_field(old, c->fields[i]) < 0) {
			strata_buf_printf(why, "%sadded '%s'", why->len ? ", " : "", c->fields[i]);
			differ = 1;
		}
	for (size_t i = 0; i < old->nfields; i++) {
		size_t j;
		for (j = 0; j < c->nfields && strcmp(c->fields[j], old->names[i]); j++)
			;
		if (j == c->nfields) {
			strata_buf_printf(why, "%sremoved '%s'", why->len ? ", " : "", old->names[i]);
			differ = 1;
		} else if (j != i) {
			differ = 1;
		}
	}
	if (differ && !why->len)
		strata_buf_puts(why, _("columns in a different order"));
	return differ;
}

static int same_key(char *const *key, size_t nkey, const strata_schema *old)
{
	if (nkey != old->nkey)
		return 0;
	for (size_t i = 0; i < nkey; i++)
		if (strcmp(key[i], old->key[i]) != 0)
			return 0;
	return 1;
}

static int setup_key(import_ctx *c, const strata_schema *old)
{
	char *const *key = c->o->key ? c->o->key : (old ? old->key : NULL);
	size_t nkey = c->o->key ? c->o->nkey : (old ? old->nkey : 0);
	strata_buf why = STRATA_BUF_INIT;
	int error = 0;

	if (!key || nkey == 0)
		return strata_error_set("dataset has no key yet: give --key FIELD[,FIELD...]");
	if ((c->keyidx = calloc(nkey, sizeof(size_t))) == NULL ||
	    (c->keynames = calloc(nkey, sizeof(char *))) == NULL)
		return strata_error_set("out of memory");
	c->nkey = nkey;
	for (size_t i = 0; i < nkey; i++) {
		size_t j;
		for (j = 0; j < c->nfields && strcmp(c->fields[j], key[i]); j++)
			;
		if (j == c->nfields) {
			strata_buf near = STRATA_BUF_INIT, all = STRATA_BUF_INIT;
			strata_near_all(&all, (const char *const *)c->fields, c->nfields, 32);
			if (strata_near_list(&near, key[i], (const char *const *)c->fields, c->nfields))
				error = strata_error_set("'%s': key field '%s' is not a column of the input; did you mean %s? "
							 "(its columns: %s)", c->name, key[i], near.ptr, all.ptr);
			else
				error = strata_error_set("'%s': key field '%s' is not a column of the input (its columns: %s)",
							 c->name, key[i], all.ptr ? all.ptr : "");
			strata_buf_dispose(&near);
			strata_buf_dispose(&all);
			return error;
		}
		c->keyidx[i] = j;
		c->keynames[i] = c->fields[j];
	}
	if (!old)
		return 0;
	if (fields_differ(c, old, &why)) {
		if (c->o->upsert)
			error = strata_error_set("'%s': columns differ from the dataset (%s); --upsert cannot change the schema",
						 c->name, why.ptr);
		else if (!c->o->schema_change)
			error = strata_error_set("'%s': columns differ from the dataset (%s); give --schema-change to accept",
						 c->name, why.ptr);
	}
	if (!error && !same_key(key, nkey, old) && !c->o->schema_change)
		error = strata_error_set("key differs from the dataset's; give --schema-change to accept");
	strata_buf_dispose(&why);
	return error;
}

/* A batch of rows: field bytes copied, each NUL-terminated. */
typedef struct batch {
	struct batch *next;
	size_t n;
	uint32_t line[BATCH_ROWS];
	strata_buf arena;
	size_t *off, *len;	/* n * nfields */
} batch;

/* What the reader and the row workers share, under `mu`. */
typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t work, room;
	batch *head, *tail, *free;
	size_t inflight;
	int done, failed;
} row_queue;

/* A value with the shape of a resident ID number or a date that is not a valid one (0: none yet). */
typedef struct {
	uint32_t line;
	char value[64];
	char why[192];
} shape_bad;

#define NSHAPES 2	/* STRATA_SHAPE_RESIDENT_ID, STRATA_SHAPE_DATE */
static const char *const shape_kind[NSHAPES] = { "resident-id", "date" };

typedef struct {
	import_ctx *c;
	row_queue *q;
	strata_spill *spill;
	unsigned *types;
	unsigned *shapes;		/* per field: the shapes every value so far has (schema.h) */
	shape_bad *bad;			/* per field and shape: the first value of that shape that is not valid */
	strata_buf rec;
	char **kv, **vals;
	size_t *klens;
	int error;
	uint32_t err_line;
	char errmsg[512];
} row_worker;

static int spill_row(row_worker *wk, char *const *vals, const size_t *lens, uint32_t line)
{
	import_ctx *c = wk->c;
	unsigned char hash[STRATA_HASH_LEN];
	int rc;

	for (size_t i = 0; i < c->nkey; i++) {
		wk->kv[i] = vals[c->keyidx[i]];
		wk->klens[i] = lens[c->keyidx[i]];
		if (wk->klens[i] == 0)
			return strata_error_set("'%s': line %u: key field '%s' is empty",
						c->name, line, c->fields[c->keyidx[i]]);
	}
	if ((rc = strata_trie_keyhash(hash, wk->kv, wk->klens, c->nkey)) < 0)
		return rc;
	strata_buf_clear(&wk->rec);
	if (strata_json_put_record(&wk->rec, c->fields, vals, lens, c->order, c->nfields) < 0)
		return STRATA_ERROR;
	for (size_t i = 0; i < c->nfields; i++) {
		char why[192];
		wk->types[i] = strata_schema_type_narrow(wk->types[i], vals[i], lens[i]);
		if (lens[i] == 0)
			continue;
		if (c->kinds[i]) {
			if (strata_schema_kind_check(why, sizeof(why), c->kinds[i], vals[i], lens[i]))
				return strata_error_set("'%s': line %u: %s '%.64s' is not %s", c->name, line, c->fields[i],
							vals[i], why);
			continue;
		}
		unsigned shape = strata_schema_shape(vals[i], lens[i]);
		wk->shapes[i] &= shape;
		for (int k = 0; k < NSHAPES; k++) {
			shape_bad *b = &wk->bad[i * NSHAPES + k];
			if ((shape & (1u << k)) && (!b->line || line < b->line) &&
			    strata_schema_kind_check(b->why, sizeof(b->why), shape_kind[k], vals[i], lens[i])) {
				b->line = line;
				snprintf(b->value, sizeof(b->value), "%.*s", (int)lens[i], vals[i]);
			}
		}
	}
	return strata_spill_add(wk->spill, hash, line, 1, wk->rec.ptr, wk->rec.len);
}

/*
 * A field declared nothing whose every value has the shape of a resident
 * ID number (or of a date) holds them: its first value of that shape that
 * is not a valid one, by line, stops the import, with the way out.
 */
static int shapes_hold(import_ctx *c, row_worker *wk, int nworkers)
{
	const shape_bad *first = NULL;
	size_t field = 0;

	for (size_t f = 0; f < c->nfields; f++) {
		unsigned shape = STRATA_SHAPE_ALL;
		if (c->kinds[f])
			continue;
		for (int i = 0; i < nworkers; i++)
			shape &= wk[i].shapes[f];
		for (int k = 0; k < NSHAPES; k++) {
			if (!(shape & (1u << k)))
				continue;
			for (int i = 0; i < nworkers; i++) {
				const shape_bad *b = &wk[i].bad[f * NSHAPES + k];
				if (b->line && (!first || b->line < first->line))
					first = b, field = f;
			}
		}
	}
	if (!first)
		return 0;
	return strata_error_set("'%s': line %u: %s '%s' is not %s; if the field is free text, import with --kind %s=text",
				c->name, first->line, c->fields[field], first->value, first->why, c->fields[field]);
}

static void *row_main(void *arg)
{
	row_worker *wk = arg;
	row_queue *q = wk->q;
	size_t nf = wk->c->nfields;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		batch *bt;
		while (!q->head && !q->done)
			pthread_cond_wait(&q->work, &q->mu);
		if (!q->head)
			break;
		bt = q->head;
		if ((q->head = bt->next) == NULL)
			q->tail = NULL;
		pthread_mutex_unlock(&q->mu);
		/* after its first error a worker only hands batches back: the reader is stopping */
		for (size_t r = 0; r < bt->n && !wk->error; r++) {
			for (size_t f = 0; f < nf; f++)
				wk->vals[f] = bt->arena.ptr + bt->off[r * nf + f];
			if (spill_row(wk, wk->vals, bt->len + r * nf, bt->line[r]) < 0) {
				wk->error = STRATA_ERROR;
				wk->err_line = bt->line[r];
				snprintf(wk->errmsg, sizeof(wk->errmsg), "%s", strata_error_last());
			}
		}
		pthread_mutex_lock(&q->mu);
		if (wk->error)
			q->failed = 1;
		bt->next = q->free;
		q->free = bt;
		q->inflight--;
		pthread_cond_signal(&q->room);
	}
	pthread_mutex_unlock(&q->mu);
	strata_json_thread_cleanup();
	return NULL;
}

/* Copies a row into the batch. */
static int batch_add(batch *bt, const strata_csv_row *row)
{
	size_t nf = row->nfields, base = bt->n * nf;

	for (size_t f = 0; f < nf; f++) {
		bt->off[base + f] = bt->arena.len;
		bt->len[base + f] = row->lens[f];
		if (strata_buf_put(&bt->arena, row->fields[f], row->lens[f]) < 0 ||
		    strata_buf_put(&bt->arena, "", 1) < 0)
			return STRATA_ERROR;
	}
	bt->line[bt->n++] = (uint32_t)row->line;
	return 0;
}

/* Hands a full batch to the workers. */
static void batch_push(row_queue *q, batch *bt)
{
	pthread_mutex_lock(&q->mu);
	bt->next = NULL;
	if (q->tail)
		q->tail->next = bt;
	else
		q->head = bt;
	q->tail = bt;
	q->inflight++;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
}

/* An empty batch, once there is room; NULL if a worker failed or memory ran out. */
static batch *batch_take(row_queue *q, size_t nfields)
{
	batch *next;

	pthread_mutex_lock(&q->mu);
	while (!q->failed && !q->free && q->inflight >= BATCHES_MAX)
		pthread_cond_wait(&q->room, &q->mu);
	if (q->failed) {
		pthread_mutex_unlock(&q->mu);
		return NULL;
	}
	if ((next = q->free) != NULL)
		q->free = next->next;
	pthread_mutex_unlock(&q->mu);
	if (!next && ((next = calloc(1, sizeof(*next))) == NULL ||
		      (next->off = calloc(BATCH_ROWS * nfields, sizeof(size_t))) == NULL ||
		      (next->len = calloc(BATCH_ROWS * nfields, sizeof(size_t))) == NULL)) {
		if (next) {
			free(next->off);
			free(next);
		}
		strata_error_set("out of memory");
		return NULL;
	}
	next->n = 0;
	strata_buf_clear(&next->arena);
	return next;
}

static void batch_free_list(batch *b)
{
	while (b) {
		batch *n = b->next;
		strata_buf_dispose(&b->arena);
		free(b->off);
		free(b->len);
		free(b);
		b = n;
	}
}

/*
 * Reads every row and has the workers spill them.  The error reported is
 * the first one by line, whichever thread met it: every batch before the
 * one that failed was handed out earlier and is finished.
 */
static int read_rows(import_ctx *c)
{
	row_queue q;
	row_worker wk[ROW_WORKERS];
	pthread_t th[ROW_WORKERS];
	int started = 0, r = 1, error = 0;
	char read_err[512] = "";
	batch *bt = NULL;
	strata_csv_row row;

	memset(&q, 0, sizeof(q));
	memset(wk, 0, sizeof(wk));
	pthread_mutex_init(&q.mu, NULL);
	pthread_cond_init(&q.work, NULL);
	pthread_cond_init(&q.room, NULL);
	for (int i = 0; i < ROW_WORKERS && !error; i++) {
		wk[i].c = c;
		wk[i].q = &q;
		if ((wk[i].types = calloc(c->nfields, sizeof(unsigned))) == NULL ||
		    (wk[i].shapes = calloc(c->nfields, sizeof(unsigned))) == NULL ||
		    (wk[i].bad = calloc(c->nfields * NSHAPES, sizeof(shape_bad))) == NULL ||
		    (wk[i].vals = calloc(c->nfields, sizeof(char *))) == NULL ||
		    (wk[i].kv = calloc(c->nkey, sizeof(char *))) == NULL ||
		    (wk[i].klens = calloc(c->nkey, sizeof(size_t))) == NULL) {
			error = strata_error_set("out of memory");
			break;
		}
		for (size_t f = 0; f < c->nfields; f++) {
			wk[i].types[f] = STRATA_TYPES_ALL;
			wk[i].shapes[f] = STRATA_SHAPE_ALL;
		}
		if ((error = strata_spill_open(&wk[i].spill, strata_node_path(c->node))) < 0)
			break;
	}
	for (; !error && started < ROW_WORKERS; started++)
		if (pthread_create(&th[started], NULL, row_main, &wk[started]) != 0)
			error = strata_error_set("cannot start a row thread");
	if (!error && (bt = batch_take(&q, c->nfields)) == NULL)
		error = STRATA_ERROR;
	while (!error && (r = next_row(c, &row)) > 0) {
		if (row.nfields != c->nfields) {
			r = strata_error_set("'%s': line %zu: expected %zu fields, found %zu",
					     c->name, row.line, c->nfields, row.nfields);
			break;
		}
		if (batch_add(bt, &row) < 0) {
			r = STRATA_ERROR;
			break;
		}
		c->rows++;
		if (c->o->progress && c->rows % 100000 == 0)
			fputc('\r', stderr), fprintf(stderr, _("reading %s: %zu records"), c->name, c->rows);
		if (bt->n == BATCH_ROWS) {
			batch_push(&q, bt);
			if ((bt = batch_take(&q, c->nfields)) == NULL) {
				r = STRATA_ERROR;	/* a worker failed (its message wins below), or memory ran out */
				break;
			}
		}
	}
	if (r < 0)
		snprintf(read_err, sizeof(read_err), "%s", strata_error_last());
	/* the rows read so far go too, even before an error: one of them may hold an earlier one */
	if (bt && bt->n > 0) {
		batch_push(&q, bt);
		bt = NULL;
	}
	pthread_mutex_lock(&q.mu);
	q.done = 1;
	pthread_cond_broadcast(&q.work);
	pthread_mutex_unlock(&q.mu);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (bt) {
		bt->next = q.free;
		q.free = bt;
	}
	batch_free_list(q.free);
	batch_free_list(q.head);
	if (!error) {
		/*
		 * The first error by line.  A worker's comes first if there is one:
		 * the reader stopped at a row after every row it handed out.  (A
		 * worker that failed stops the reader only at its next batch, so
		 * rows after the failure may be read, never rows before it skipped.)
		 */
		uint32_t best = UINT32_MAX;
		const char *msg = NULL;
		for (int i = 0; i < started; i++)
			if (wk[i].error && wk[i].err_line < best) {
				best = wk[i].err_line;
				msg = wk[i].errmsg;
			}
		if (!msg && r < 0)
			msg = read_err;
		if (msg)
			error = strata_error_set("%s", msg);
	}
	if (!error)
		error = shapes_hold(c, wk, started);
	for (int i = 0; i < ROW_WORKERS; i++) {
		if (!error)
			for (size_t f = 0; f < c->nfields; f++)
				c->types[f] &= wk[i].types[f];
		c->spills[i] = wk[i].spill;
		free(wk[i].types);
		free(wk[i].shapes);
		free(wk[i].bad);
		free(wk[i].vals);
		free(wk[i].kv);
		free(wk[i].klens);
		strata_buf_dispose(&wk[i].rec);
	}
	pthread_cond_destroy(&q.work);
	pthread_cond_destroy(&q.room);
	pthread_mutex_destroy(&q.mu);
	if (c->o->progress && c->rows >= 100000)
		fputc('\r', stderr), fprintf(stderr, _("reading %s: %zu records\n"), c->name, c->rows);
	if (error)
		return error;
	if (c->rows == 0)
		return strata_error_set("'%s': no records (the file is empty or has only a header)", c->name);
	return 0;
}

static int key_of(strata_buf *out, import_ctx *c, const strata_trie_item *it)
{
	int rc;
	strata_record *r = NULL;
	if ((rc = strata_json_record_parse(&r, it->data, it->len)) < 0)
		return rc;
	for (size_t i = 0; i < c->nkey; i++) {
		const char *f = c->fields[c->keyidx[i]];
		const char *v = strata_json_record_get(r, f);
		strata_buf_printf(out, "%s%s=%s", i ? ", " : "", f, v ? v : "");
	}
	strata_json_record_free(r);
	return 0;
}

/*
 * Loads one bucket of every row worker's spill into *items (pointing into
 * `data`), sorted by hash, duplicate keys refused; *n gets the count.
 */
static int load_bucket(import_ctx *c, unsigned bucket, strata_buf *data,
		       strata_trie_item **items, size_t *alloc, size_t *n)
{
	size_t total;
	int rc;

	*n = 0;
	if ((rc = strata_spill_load_all(c->spills, ROW_WORKERS, bucket, data, items, alloc, &total)) < 0)
		return rc;
	for (size_t i = 0; i + 1 < total; i++) {
		if (memcmp((*items)[i + 1].hash, (*items)[i].hash, STRATA_HASH_LEN) == 0) {
			strata_buf k = STRATA_BUF_INIT;
			key_of(&k, c, &(*items)[i]);
			strata_error_set("'%s': duplicate key (%s) at lines %u and %u", c->name,
					 k.ptr ? k.ptr : "?", (*items)[i].line, (*items)[i + 1].line);
			strata_buf_dispose(&k);
			return STRATA_ERROR;
		}
	}
	*n = total;
	return 0;
}

static int build_bucket(import_ctx *c, strata_trie_builder *b, unsigned bucket,
			strata_buf *data, strata_trie_item **items, size_t *alloc)
{
	size_t n;
	if (load_bucket(c, bucket, data, items, alloc, &n) < 0)
		return STRATA_ERROR;
	c->total += n;
	return strata_trie_builder_add(b, *items, n);
}

/* Key hash of a stored record line, for merging into existing leaves. */
static int line_hash(unsigned char *hash, const char *line, size_t len, void *payload)
{
	import_ctx *c = payload;
	return strata_trie_line_keyhash(hash, line, len, c->keynames, c->nkey);
}

/*
 * --upsert on an existing dataset: the new records merged into the old
 * tree bucket by bucket; leaves and dirs no record lands in are kept by id.
 */
static int upsert_records(import_ctx *c, strata_packw *w, const git_tree *old_root,
			  git_oid *out, strata_trie_counts *counts)
{
	const git_tree_entry *re = git_tree_entry_byname(old_root, "records");
	git_tree *records = NULL;
	strata_trie_merge *m = NULL;
	strata_buf data = STRATA_BUF_INIT;
	strata_trie_item *items = NULL;
	size_t alloc = 0;
	int error = STRATA_ERROR;

	if (!re || git_tree_lookup(&records, strata_node_repo(c->node), git_tree_entry_id(re)) < 0) {
		error = strata_error_set("dataset tree has no records/");
		goto done;
	}
	if ((error = strata_trie_merge_new(&m, w, strata_node_repo(c->node), records, line_hash, c)) < 0)
		goto done;
	for (unsigned i = 0; i < STRATA_SPILL_BUCKETS; i++) {
		size_t n;
		if ((error = load_bucket(c, i, &data, &items, &alloc, &n)) < 0 ||
		    (error = strata_trie_merge_add(m, items, n)) < 0)
			goto done;
	}
	error = strata_trie_merge_finish(m, counts, out);
done:
	strata_trie_merge_free(m);
	git_tree_free(records);
	strata_buf_dispose(&data);
	free(items);
	return error;
}

/* The record count an earlier commit recorded in its Strata-Records trailer. */
static int old_total(size_t *out, git_repository *repo, const git_commit *commit, const git_tree *tree)
{
	char v[32], *end;

	*out = 0;
	if (strata_commit_trailer(commit, "Strata-Records", v, sizeof(v))) {
		unsigned long long n = strtoull(v, &end, 10);
		if (*end == '\0' && v[0]) {
			*out = (size_t)n;
			return 0;
		}
	}
	return strata_dataset_foreach(repo, tree, count_line, out);	/* older commits: count */
}

static int count_cb(const strata_record *o, const strata_record *nw, void *payload)
{
	strata_import_result *res = payload;
	if (o && nw)
		res->changed++;
	else if (o)
		res->removed++;
	else
		res->added++;
	return 0;
}

/* --- keys this node erased, coming back (ledger.h) --- */

typedef struct {
	strata_token token;
	const strata_cut_record *cut;	/* the erasure that named it */
} erased_key;

typedef struct {
	import_ctx *c;
	strata_hmac_key tk;
	erased_key *keys;		/* sorted by token */
	size_t nkeys, alloc;
	strata_buf found;		/* the first few met: key values and the erasure, for the message */
	size_t nfound;
	const strata_cut_record **cuts_met;
	size_t ncuts_met, acuts_met;
	const char *dataset;
} erased_check;

static int by_erased_token(const void *a, const void *b)
{
	strata_token x = ((const erased_key *)a)->token, y = ((const erased_key *)b)->token;
	return x < y ? -1 : x > y;
}

/* A record the import adds (not in the dataset before): is its key one this node erased? */
static int erased_added(const strata_record *o, const strata_record *nw, void *payload)
{
	erased_check *x = payload;
	char *kv[64];
	size_t kl[64];
	unsigned char hash[STRATA_HASH_LEN];
	strata_token t;
	erased_key probe, *hit;
	int rc;

	if (o || !nw)
		return 0;
	for (size_t i = 0; i < x->c->nkey && i < 64; i++) {
		const char *v = strata_json_record_get(nw, x->c->keynames[i]);
		kv[i] = (char *)(v ? v : "");
		kl[i] = strlen(kv[i]);
	}
	if ((rc = strata_trie_keyhash(hash, kv, kl, x->c->nkey)) < 0 || (rc = strata_ledger_token(&t, &x->tk, hash)) < 0)
		return rc;
	probe.token = t;
	if ((hit = bsearch(&probe, x->keys, x->nkeys, sizeof(*x->keys), by_erased_token)) == NULL)
		return 0;
	if (x->nfound++ < 3) {
		strata_buf_printf(&x->found, "%s%s (erasure %s of %s", x->nfound > 1 ? "; " : "", kv[0], hit->cut->id,
				  hit->cut->dataset);
		if (hit->cut->reason[0])
			strata_buf_printf(&x->found, ": %s", hit->cut->reason);
		strata_buf_printf(&x->found, ")");
	}
	for (size_t i = 0; i < x->ncuts_met; i++)
		if (x->cuts_met[i] == hit->cut)
			return 0;
	if (strata_array_grow(&x->cuts_met, &x->acuts_met, x->ncuts_met + 1, 4) < 0)
		return STRATA_ERROR;
	x->cuts_met[x->ncuts_met++] = hit->cut;
	return 0;
}

/* Every record of `tree`, as added (a dataset without a usable old state). */
static int erased_all(const char *line, size_t len, void *payload)
{
	strata_record *r = NULL;
	int error;
	if ((error = strata_json_record_parse(&r, line, len)) < 0)
		return error;
	error = erased_added(NULL, r, payload);
	strata_json_record_free(r);
	return error;
}

/* Removes a pack this import wrote and will not use (it holds records refused), so no object keeps them. */
static void drop_pack(strata_node *n, const char *name)
{
	static const char *const exts[] = { "idx", "pack" };
	for (int i = 0; name && name[0] && i < 2; i++) {
		strata_buf p = STRATA_BUF_INIT;
		if (strata_buf_printf(&p, "%sobjects/pack/pack-%s.%s", git_repository_path(strata_node_repo(n)), name, exts[i]) == 0)
			unlink(p.ptr);
		strata_buf_dispose(&p);
	}
}

/*
 * The erased keys among the records this import adds: none, 0; some
 * without allow_erased, STRATA_EDENIED naming the first few and their
 * erasures; with it, 0 and x->cuts_met lists the erasures to note.
 */
static int erased_check_run(erased_check *x, strata_cut_record *cuts, size_t ncuts, const git_tree *old_tree,
			    const git_tree *new_tree)
{
	strata_node *n = x->c->node;
	int error;

	for (size_t i = 0; i < ncuts; i++) {
		strata_token t;
		if (strcmp(cuts[i].kind, "erasure") || strcmp(cuts[i].dataset, x->dataset) || !cuts[i].token[0] ||
		    strata_ledger_token_parse(&t, cuts[i].token) < 0)
			continue;
		if ((error = strata_array_grow(&x->keys, &x->alloc, x->nkeys + 1, 16)) < 0)
			return error;
		x->keys[x->nkeys].token = t;
		x->keys[x->nkeys++].cut = &cuts[i];
	}
	if (x->nkeys == 0)
		return 0;	/* nothing of this dataset was ever erased */
	if ((error = strata_ledger_key(&x->tk, n, 0)) < 0)
		return error;
	qsort(x->keys, x->nkeys, sizeof(*x->keys), by_erased_token);
	error = old_tree ? strata_dataset_diff(strata_node_repo(n), old_tree, new_tree, erased_added, x)
			 : strata_dataset_foreach(strata_node_repo(n), new_tree, erased_all, x);
	strata_hmac_key_dispose(&x->tk);
	if (error < 0)
		return error;
	if (x->nfound && !x->c->o->allow_erased)
		return strata_error_setc(STRATA_EDENIED, "'%s': %zu record%s bring%s back a key this node erased: %s%s.  An erased "
					 "person does not come back by accident: remove %s from the file, or import with "
					 "--allow-erased --reason \"...\" (audited, and shown in 'strata erasures')",
					 x->c->name, x->nfound, x->nfound == 1 ? "" : "s", x->nfound == 1 ? "s" : "",
					 x->found.ptr, x->nfound > 3 ? ", ..." : "", x->nfound == 1 ? "it" : "them");
	if (x->nfound && (!x->c->o->reason || !x->c->o->reason[0] || strpbrk(x->c->o->reason, "\r\n")))
		return strata_error_set("--allow-erased needs --reason, one line: why the erased person comes back");
	return 0;
}

static int build_message(strata_buf *msg, strata_node *n, const char *dataset,
			 const strata_import_result *res, int schema_changed)
{
	int error = strata_buf_printf(msg,
		"%s: %zu added, %zu changed, %zu removed\n\n"
		"%zu records%s.\n\n"
		"Strata-Dataset: %s\nStrata-Node: %s\nStrata-Tier: %s\nStrata-Records: %zu\n",
		dataset, res->added, res->changed, res->removed, res->total,
		schema_changed ? "; schema changed" : "", dataset, strata_node_name(n), strata_node_tier(n), res->total);
	/* who recorded it, if the node has officers (their signature is on the import's audit event) */
	return error < 0 ? error : strata_officer_trailer(msg, n);
}

static void ctx_dispose(import_ctx *c)
{
	for (int i = 0; i < ROW_WORKERS; i++)
		strata_spill_free(c->spills[i]);
	strata_csv_free(c->csv);
	strata_json_lines_free(c->jsonl);
	if (c->in && c->in != stdin)
		fclose(c->in);	/* a transcoder's stream: leaves the file */
	if (c->file && c->file != stdin)
		fclose(c->file);
	strata_transcode_free(c->tc);
	for (size_t i = 0; c->fields && i < c->nfields; i++)
		free(c->fields[i]);
	free(c->fields);
	free(c->order);
	free(c->types);
	free(c->kinds);
	free(c->keyidx);
	free(c->keynames);
}

/* The kinds declared before (the old schema's), changed by --kind FIELD=KIND. */
static int setup_kinds(import_ctx *c, const strata_schema *old)
{
	if ((c->kinds = calloc(c->nfields, sizeof(char *))) == NULL)
		return strata_error_set("out of memory");
	for (size_t i = 0; old && old->kinds && i < old->nfields; i++) {
		int f;
		for (f = 0; f < (int)c->nfields && strcmp(c->fields[f], old->names[i]); f++)
			;
		if (f < (int)c->nfields)
			c->kinds[f] = old->kinds[i];
	}
	for (size_t i = 0; i < c->o->nkinds; i++) {
		const char *decl = c->o->kinds[i], *eq = strchr(decl, '=');
		size_t f;
		if (!eq || eq == decl || !strata_schema_kind_known(eq + 1))
			return strata_error_set("--kind '%s': expected FIELD=KIND, KIND resident-id, mobile, date or text", decl);
		for (f = 0; f < c->nfields && (strlen(c->fields[f]) != (size_t)(eq - decl) ||
					       strncmp(c->fields[f], decl, (size_t)(eq - decl))); f++)
			;
		if (f == c->nfields) {
			strata_buf all = STRATA_BUF_INIT;
			strata_near_all(&all, (const char *const *)c->fields, c->nfields, 32);
			strata_error_set("--kind '%s': '%.*s' is not a column of '%s' (its columns: %s)", decl,
					 (int)(eq - decl), decl, c->name, all.ptr ? all.ptr : "");
			strata_buf_dispose(&all);
			return STRATA_ERROR;
		}
		c->kinds[f] = eq + 1;
	}
	return 0;
}

/*
 * A file that failed as text: the transcoder's own message (line and
 * bytes), or, for a file read as UTF-8 that is not and reads whole as
 * GB18030 (what Excel saves Chinese text as), the hint to say so.
 */
static int encoding_hint(import_ctx *c, int error)
{
	const char *path = c->o->path;
	char *msg;

	if (c->tc && (error = strata_transcode_failed(c->tc)) < 0)
		return error;
	if (c->tc || !path || !strcmp(path, "-") || !strstr(strata_error_last(), "UTF-8"))
		return error;
	if (strata_transcode_file_is(path, "utf-8") || !strata_transcode_file_is(path, "gb18030"))
		return error;
	if ((msg = strdup(strata_error_last())) == NULL)
		return error;
	error = strata_error_set("%s: the file reads as GB18030 (as Excel saves Chinese text): import it with --encoding gb18030",
				 msg);
	free(msg);
	return error;
}

int strata_import_dataset(strata_node *n, const char *dataset,
			  const strata_import_opts *o, strata_import_result *res)
{
	import_ctx c = { 0 };
	strata_buf ref = STRATA_BUF_INIT, msg = STRATA_BUF_INIT, bucket = STRATA_BUF_INIT;
	strata_schema *old_schema = NULL, new_schema = { 0 };
	strata_trie_item *items = NULL;
	size_t items_alloc = 0;
	strata_packw *w = NULL;
	strata_trie_builder *b = NULL;
	git_oid old_oid, records_oid, root_oid, commit_oid;
	git_commit *old_commit = NULL;
	git_tree *old_tree = NULL, *new_tree = NULL;
	strata_csv_row header;
	strata_cut_record *cuts = NULL;
	size_t ncuts = 0;
	erased_check ec;
	int have_old = 0, r, error = STRATA_ERROR;

	memset(res, 0, sizeof(*res));
	memset(&ec, 0, sizeof(ec));
	c.node = n;
	c.o = o;
	if ((error = strata_refs_dataset(&ref, dataset)) < 0 || (error = strata_journal_lock(n)) < 0 ||
	    (error = strata_node_load_key(n)) < 0)
		goto done;

	r = git_reference_name_to_id(&old_oid, strata_node_repo(n), ref.ptr);
	if (r == 0) {
		have_old = 1;
		if (git_commit_lookup(&old_commit, strata_node_repo(n), &old_oid) < 0 ||
		    git_commit_tree(&old_tree, old_commit) < 0) {
			error = strata_error_git("cannot read dataset");
			goto done;
		}
		if ((error = strata_schema_load(&old_schema, strata_node_repo(n), old_tree)) < 0)
			goto done;
	} else if (r != GIT_ENOTFOUND) {
		error = strata_error_git("cannot read dataset ref");
		goto done;
	}
	git_error_clear();

	if ((error = open_input(&c)) < 0 || (error = next_row(&c, &header)) < 0)
		goto done;
	if (error == 0) {
		error = strata_error_set("'%s': the file is empty", c.name);
		goto done;
	}
	if ((error = take_header(&c, &header)) < 0 || (error = setup_key(&c, old_schema)) < 0 ||
	    (error = setup_kinds(&c, old_schema)) < 0 || (error = read_rows(&c)) < 0)
		goto done;
	if ((error = strata_pack_writer_new(&w, strata_node_repo(n), IMPORT_ZLIB_LEVEL)) < 0)
		goto done;
	if (o->upsert && have_old) {
		strata_trie_counts counts = { 0, 0 };
		size_t before;
		if ((error = upsert_records(&c, w, old_tree, &records_oid, &counts)) < 0 ||
		    (error = old_total(&before, strata_node_repo(n), old_commit, old_tree)) < 0)
			goto done;
		res->added = counts.added;
		res->changed = counts.changed;
		c.total = before + counts.added;
	} else {
		if ((error = strata_trie_builder_new(&b, w)) < 0)
			goto done;
		for (unsigned i = 0; i < STRATA_SPILL_BUCKETS; i++) {
			if ((error = build_bucket(&c, b, i, &bucket, &items, &items_alloc)) < 0)
				goto done;
			if (o->progress && c.rows >= 100000 && i % 16 == 15)
				fputc('\r', stderr), fprintf(stderr, _("writing: %u%%"), (i + 1) * 100 / STRATA_SPILL_BUCKETS);
		}
		if (o->progress && c.rows >= 100000)
			fputc('\n', stderr);
		if ((error = strata_trie_builder_finish(b, &records_oid)) < 0)
			goto done;
	}

	new_schema.nfields = c.nfields;
	new_schema.names = c.fields;
	new_schema.nkey = c.nkey;
	if ((new_schema.types = calloc(c.nfields, sizeof(char *))) == NULL ||
	    (new_schema.key = calloc(c.nkey, sizeof(char *))) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; i < c.nfields; i++)
		new_schema.types[i] = (char *)strata_schema_type_name(c.types[i]);
	for (size_t i = 0; i < c.nkey; i++)
		new_schema.key[i] = c.keynames[i];
	new_schema.kinds = (char **)c.kinds;	/* as declared (text included), never inferred */
	if ((error = strata_schema_write_root(w, &new_schema, &records_oid, &root_oid)) < 0 ||
	    (error = strata_pack_writer_commit(w)) < 0)
		goto done;
	res->total = c.total;

	if (have_old && git_oid_equal(&root_oid, git_tree_id(old_tree))) {
		res->unchanged = 1;
		res->commit = old_oid;
		error = 0;
		goto done;
	}
	if (git_tree_lookup(&new_tree, strata_node_repo(n), &root_oid) < 0) {
		error = strata_error_git("cannot read new tree");
		goto done;
	}
	if ((error = strata_ledger_cuts(&cuts, &ncuts, n)) < 0)
		goto done;
	ec.c = &c;
	ec.dataset = dataset;
	if ((error = erased_check_run(&ec, cuts, ncuts,
				      have_old && same_key(new_schema.key, new_schema.nkey, old_schema) ? old_tree : NULL,
				      new_tree)) < 0) {
		drop_pack(n, strata_pack_writer_name(w));	/* what it wrote holds the erased: it goes */
		goto done;
	}
	if (!have_old) {
		res->added = c.total;
	} else if (o->upsert) {
		/* counted while merging */
	} else if (!same_key(new_schema.key, new_schema.nkey, old_schema)) {
		/* re-keyed: records cannot be matched, so all old ones go and all new ones come */
		res->added = c.total;
		if ((error = strata_dataset_foreach(strata_node_repo(n), old_tree, count_line, &res->removed)) < 0)
			goto done;
	} else if ((error = strata_dataset_diff(strata_node_repo(n), old_tree, new_tree, count_cb, res)) < 0) {
		goto done;
	}
	{
		const git_tree_entry *oe = have_old ? git_tree_entry_byname(old_tree, "schema.json") : NULL;
		const git_tree_entry *ne = git_tree_entry_byname(new_tree, "schema.json");
		int schema_changed = oe && ne && !git_oid_equal(git_tree_entry_id(oe), git_tree_entry_id(ne));
		if ((error = build_message(&msg, n, dataset, res, schema_changed)) < 0)
			goto done;
	}
	if ((error = strata_commit_create(&commit_oid, n, new_tree, old_commit, msg.ptr)) < 0)
		goto done;
	if (ec.ncuts_met) {
		/* erased keys brought back on purpose: the ref and the audit event together, the erasures noted */
		strata_buf tr = STRATA_BUF_INIT, line = STRATA_BUF_INIT, subject = STRATA_BUF_INIT;
		git_oid ledger, *base = NULL;
		error = strata_buf_printf(&line, "reimported %lld %s\n", (long long)strata_time_now(), o->reason);
		for (size_t i = 0; !error && i < ec.ncuts_met; i++)
			if ((error = strata_ledger_cut_note(&ledger, n, base, ec.cuts_met[i]->id, NULL, line.ptr)) == 0) {
				base = &ledger;
				error = strata_buf_printf(&tr, "Strata-Erasure: %s\n", ec.cuts_met[i]->id);
			}
		if (!error)
			error = strata_buf_printf(&tr, "Strata-Dataset: %s\nStrata-Commit: %s\nStrata-Keys: %zu\nStrata-Reason: %s\n",
						  dataset, git_oid_tostr_s(&commit_oid), ec.nfound, o->reason);
		if (!error)
			error = strata_buf_printf(&subject, "%zu erased key%s imported again into %s (--allow-erased)", ec.nfound,
						  ec.nfound == 1 ? "" : "s", dataset);
		if (!error) {
			strata_journal_ref jr = { ref.ptr, have_old, old_oid, commit_oid };
			strata_change ch = { "erased-reimported", ref.ptr, &jr, 1, NULL, subject.ptr, tr.ptr, &ledger };
			if (!have_old)
				memset(&jr.old, 0, sizeof(jr.old));
			error = strata_change_ref(n, &ch, "strata import");
		}
		strata_buf_dispose(&tr);
		strata_buf_dispose(&line);
		strata_buf_dispose(&subject);
		if (error < 0)
			goto done;
		res->reimported = ec.nfound;
	} else if ((error = strata_refs_update(n, ref.ptr, &commit_oid, have_old ? &old_oid : NULL, "strata import")) < 0) {
		goto done;
	}
	res->commit = commit_oid;
	error = 0;
done:
	if (error < 0)
		error = encoding_hint(&c, error);
	strata_ledger_cuts_free(cuts, ncuts);
	free(ec.keys);
	free(ec.cuts_met);
	strata_buf_dispose(&ec.found);
	free(new_schema.types);
	free(new_schema.key);
	strata_trie_builder_free(b);
	strata_pack_writer_free(w);
	free(items);
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	git_commit_free(old_commit);
	strata_schema_free(old_schema);
	ctx_dispose(&c);
	strata_buf_dispose(&ref);
	strata_buf_dispose(&msg);
	strata_buf_dispose(&bucket);
	return error;
}
