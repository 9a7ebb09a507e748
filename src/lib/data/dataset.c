/*
 * dataset.c - reading datasets: revisions, record iteration, export, and
 * the record-level diff.
 *
 * The diff skips every dir and leaf whose id is equal on both sides
 * (strata_trie_diff), so its cost follows what changed, and parses only
 * the records that differ.
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
