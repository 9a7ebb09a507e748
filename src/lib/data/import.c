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
#include "strata/data/dataset.h"
#include "strata/node/commit.h"
#include "strata/format/csv.h"
#include "strata/format/pack.h"
#include "strata/format/spill.h"
#include "strata/format/trie.h"
#include "strata/node/refs.h"
#include "strata/node/journal.h"
#include "strata/format/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FIELD_NAME 128
/* measured on 1M rows (bench/import.sh): level 3 is 1.4x faster than 6 for 15% more bytes */
#define IMPORT_ZLIB_LEVEL 3

typedef struct {
	strata_node *node;
	const strata_import_opts *o;
	const char *name;		/* input name for messages */
	FILE *in;
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
	strata_spill *spill;
	strata_buf rec;
	char **kv;
	size_t *klens;
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
		strata_buf_puts(why, "columns in a different order");
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
	    (c->kv = calloc(nkey, sizeof(char *))) == NULL ||
	    (c->keynames = calloc(nkey, sizeof(char *))) == NULL ||
	    (c->klens = calloc(nkey, sizeof(size_t))) == NULL)
		return strata_error_set("out of memory");
	c->nkey = nkey;
	for (size_t i = 0; i < nkey; i++) {
		size_t j;
		for (j = 0; j < c->nfields && strcmp(c->fields[j], key[i]); j++)
			;
		if (j == c->nfields)
			return strata_error_set("'%s': key field '%s' is not a column of the input", c->name, key[i]);
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

static int spill_row(import_ctx *c, char *const *vals, const size_t *lens,
		     uint32_t line, uint8_t origin)
{
	unsigned char hash[STRATA_HASH_LEN];

	for (size_t i = 0; i < c->nkey; i++) {
		c->kv[i] = vals[c->keyidx[i]];
		c->klens[i] = lens[c->keyidx[i]];
		if (c->klens[i] == 0)
			return strata_error_set("'%s': line %u: key field '%s' is empty",
						c->name, line, c->fields[c->keyidx[i]]);
	}
	if (strata_trie_keyhash(hash, c->kv, c->klens, c->nkey) < 0)
		return STRATA_ERROR;
	strata_buf_clear(&c->rec);
	if (strata_json_put_record(&c->rec, c->fields, vals, lens, c->order, c->nfields) < 0)
		return STRATA_ERROR;
	for (size_t i = 0; i < c->nfields; i++)
		c->types[i] = strata_schema_type_narrow(c->types[i], vals[i], lens[i]);
	return strata_spill_add(c->spill, hash, line, origin, c->rec.ptr, c->rec.len);
}

static int read_rows(import_ctx *c)
{
	strata_csv_row row;
	int r;

	while ((r = next_row(c, &row)) > 0) {
		if (row.nfields != c->nfields)
			return strata_error_set("'%s': line %zu: expected %zu fields, found %zu",
						c->name, row.line, c->nfields, row.nfields);
		if (spill_row(c, row.fields, row.lens, (uint32_t)row.line, 1) < 0)
			return STRATA_ERROR;
		c->rows++;
		if (c->o->progress && c->rows % 100000 == 0)
			fprintf(stderr, "\rreading %s: %zu records", c->name, c->rows);
	}
	if (c->o->progress && c->rows >= 100000)
		fprintf(stderr, "\rreading %s: %zu records\n", c->name, c->rows);
	if (r < 0)
		return STRATA_ERROR;
	if (c->rows == 0)
		return strata_error_set("'%s': no records (the file is empty or has only a header)", c->name);
	return 0;
}

static int key_of(strata_buf *out, import_ctx *c, const strata_trie_item *it)
{
	strata_record *r = NULL;
	if (strata_json_record_parse(&r, it->data, it->len) < 0)
		return STRATA_ERROR;
	for (size_t i = 0; i < c->nkey; i++) {
		const char *f = c->fields[c->keyidx[i]];
		const char *v = strata_json_record_get(r, f);
		strata_buf_printf(out, "%s%s=%s", i ? ", " : "", f, v ? v : "");
	}
	strata_json_record_free(r);
	return 0;
}

/*
 * Loads one spill bucket into *items (pointing into `data`), sorted by
 * hash, duplicate keys refused, new records kept over old; *nkept gets the
 * count.  Items are appended after the first `base` entries.
 */
static int load_bucket(import_ctx *c, unsigned bucket, strata_buf *data, size_t base,
		       strata_trie_item **items, size_t *alloc, size_t *nkept)
{
	size_t n, kept = base;

	*nkept = 0;
	if (base == 0)
		strata_buf_clear(data);
	if (strata_spill_load(c->spill, bucket, data, base, items, alloc, &n) < 0)
		return STRATA_ERROR;
	n += base;
	/* merge: per hash keep the new record (origin 1) over the old one */
	for (size_t i = base; i < n;) {
		size_t j = i + 1;
		while (j < n && memcmp((*items)[j].hash, (*items)[i].hash, STRATA_HASH_LEN) == 0)
			j++;
		if (j - i > 1 && (*items)[j - 2].origin == 1) {
			strata_buf k = STRATA_BUF_INIT;
			key_of(&k, c, &(*items)[j - 2]);
			strata_error_set("'%s': duplicate key (%s) at lines %u and %u", c->name,
					 k.ptr ? k.ptr : "?", (*items)[j - 2].line, (*items)[j - 1].line);
			strata_buf_dispose(&k);
			return STRATA_ERROR;
		}
		(*items)[kept++] = (*items)[j - 1];
		i = j;
	}
	*nkept = kept - base;
	return 0;
}

static int build_bucket(import_ctx *c, strata_trie_builder *b, unsigned bucket,
			strata_buf *data, strata_trie_item **items, size_t *alloc)
{
	size_t n;
	if (load_bucket(c, bucket, data, 0, items, alloc, &n) < 0)
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
		if ((error = load_bucket(c, i, &data, 0, &items, &alloc, &n)) < 0 ||
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

static int build_message(strata_buf *msg, strata_node *n, const char *dataset,
			 const strata_import_result *res, int schema_changed)
{
	return strata_buf_printf(msg,
		"%s: %zu added, %zu changed, %zu removed\n\n"
		"%zu records%s.\n\n"
		"Strata-Dataset: %s\nStrata-Node: %s\nStrata-Tier: %s\nStrata-Records: %zu\n",
		dataset, res->added, res->changed, res->removed, res->total,
		schema_changed ? "; schema changed" : "", dataset, strata_node_name(n), strata_node_tier(n), res->total);
}

static void ctx_dispose(import_ctx *c)
{
	strata_spill_free(c->spill);
	strata_csv_free(c->csv);
	strata_json_lines_free(c->jsonl);
	if (c->in && c->in != stdin)
		fclose(c->in);
	for (size_t i = 0; c->fields && i < c->nfields; i++)
		free(c->fields[i]);
	free(c->fields);
	free(c->order);
	free(c->types);
	free(c->keyidx);
	free(c->keynames);
	free(c->kv);
	free(c->klens);
	strata_buf_dispose(&c->rec);
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
	int have_old = 0, r, error = STRATA_ERROR;

	memset(res, 0, sizeof(*res));
	c.node = n;
	c.o = o;
	if (strata_refs_dataset(&ref, dataset) < 0 || strata_journal_lock(n) < 0 ||
	    strata_node_load_key(n) < 0)
		goto done;

	r = git_reference_name_to_id(&old_oid, strata_node_repo(n), ref.ptr);
	if (r == 0) {
		have_old = 1;
		if (git_commit_lookup(&old_commit, strata_node_repo(n), &old_oid) < 0 ||
		    git_commit_tree(&old_tree, old_commit) < 0) {
			strata_error_git("cannot read dataset");
			goto done;
		}
		if (strata_schema_load(&old_schema, strata_node_repo(n), old_tree) < 0)
			goto done;
	} else if (r != GIT_ENOTFOUND) {
		strata_error_git("cannot read dataset ref");
		goto done;
	}
	git_error_clear();

	if (open_input(&c) < 0)
		goto done;
	if ((r = next_row(&c, &header)) < 0)
		goto done;
	if (r == 0) {
		strata_error_set("'%s': the file is empty", c.name);
		goto done;
	}
	if (take_header(&c, &header) < 0 || setup_key(&c, old_schema) < 0 ||
	    strata_spill_open(&c.spill, strata_node_path(n)) < 0 || read_rows(&c) < 0)
		goto done;
	if (strata_pack_writer_new(&w, strata_node_repo(n), IMPORT_ZLIB_LEVEL) < 0)
		goto done;
	if (o->upsert && have_old) {
		strata_trie_counts counts = { 0, 0 };
		size_t before;
		if (upsert_records(&c, w, old_tree, &records_oid, &counts) < 0 ||
		    old_total(&before, strata_node_repo(n), old_commit, old_tree) < 0)
			goto done;
		res->added = counts.added;
		res->changed = counts.changed;
		c.total = before + counts.added;
	} else {
		if (strata_trie_builder_new(&b, w) < 0)
			goto done;
		for (unsigned i = 0; i < STRATA_SPILL_BUCKETS; i++) {
			if ((error = build_bucket(&c, b, i, &bucket, &items, &items_alloc)) < 0)
				goto done;
			if (o->progress && c.rows >= 100000 && i % 16 == 15)
				fprintf(stderr, "\rwriting: %u%%", (i + 1) * 100 / STRATA_SPILL_BUCKETS);
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
	if ((error = strata_commit_create(&commit_oid, n, new_tree, old_commit, msg.ptr)) < 0 ||
	    (error = strata_refs_update(n, ref.ptr, &commit_oid, have_old ? &old_oid : NULL, "strata import")) < 0)
		goto done;
	res->commit = commit_oid;
	error = 0;
done:
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
