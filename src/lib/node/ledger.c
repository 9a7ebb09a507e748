/*
 * ledger.c - the disclosure ledger's record key, tokens, token sets, and
 * its state in the audit log's tree (see ledger.h).
 *
 * Sets are written as raw tree and blob objects through a pack writer (a
 * full set of a million records is 4,096 leaves and 257 trees: loose, they
 * would cost a 4 KiB block each).  Leaves are read whole and searched in
 * place: every line is 17 bytes.
 */
#include "strata/node/ledger.h"
#include "strata/node/refs.h"
#include "strata/base/enc.h"
#include "strata/base/fs.h"
#include "strata/base/array.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE (STRATA_TOKEN_HEX + 1)
#define KEY_LEN 32

/* --- the record key and tokens --- */

int strata_ledger_key(strata_hmac_key *k, strata_node *n, int create)
{
	char *path = strata_fs_path_join(strata_node_path(n), STRATA_LEDGER_KEY_FILE);
	strata_buf hex = STRATA_BUF_INIT;
	unsigned char raw[KEY_LEN];
	char text[2 * KEY_LEN + 2];
	int error;

	memset(k, 0, sizeof(*k));
	if (!path)
		return strata_error_set("out of memory");
	error = strata_fs_read(&hex, path, 256);
	if (error == STRATA_ENOTFOUND && create) {
		/* the first thing recorded under it: made now, like a policy's secret with its first commit */
		strata_error_clear();
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			error = strata_error_ssl("no randomness for the record key");
			goto done;
		}
		strata_enc_hex(text, raw, sizeof(raw));
		strcat(text, "\n");
		error = strata_fs_write_atomic(path, text, strlen(text), 0600);
		OPENSSL_cleanse(text, sizeof(text));
	} else if (error == STRATA_ENOTFOUND) {
		error = strata_error_setc(STRATA_ENOTFOUND, "node '%s' has no record key (%s): nothing was recorded in its "
					  "disclosure ledger yet", strata_node_name(n), path);
		goto done;
	} else if (!error && (hex.len < 2 * KEY_LEN || strata_enc_unhex(raw, hex.ptr, KEY_LEN) < 0)) {
		error = strata_error_set("'%s' is not a 64-digit hex key: restore it from its backup", path);
	}
	if (!error)
		error = strata_hmac_key_init(k, raw, sizeof(raw));
done:
	OPENSSL_cleanse(raw, sizeof(raw));
	strata_buf_dispose_secret(&hex);
	free(path);
	return error;
}

int strata_ledger_token(strata_token *out, const strata_hmac_key *k, const unsigned char hash[STRATA_HASH_LEN])
{
	static const char tag[] = "strata record token";
	unsigned char msg[sizeof(tag) + STRATA_HASH_LEN], mac[32];
	strata_token t = 0;
	int error;

	memcpy(msg, tag, sizeof(tag));	/* with its NUL: the tag ends before the hash begins */
	memcpy(msg + sizeof(tag), hash, STRATA_HASH_LEN);
	if ((error = strata_hmac_sha256(mac, k, msg, sizeof(msg))) < 0)
		return error;
	for (int i = 0; i < 8; i++)
		t = (t << 8) | mac[i];
	*out = t;
	return 0;
}

void strata_ledger_token_hex(char out[STRATA_TOKEN_HEX + 1], strata_token t)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = STRATA_TOKEN_HEX - 1; i >= 0; i--, t >>= 4)
		out[i] = digits[t & 15];
	out[STRATA_TOKEN_HEX] = '\0';
}

int strata_ledger_token_parse(strata_token *t, const char *hex)
{
	strata_token v = 0;
	for (int i = 0; i < STRATA_TOKEN_HEX; i++) {
		char c = hex[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return STRATA_ERROR;
		v = (v << 4) | (strata_token)d;
	}
	*t = v;
	return 0;
}

/* --- token sets --- */

int strata_ledger_spill_add(strata_spill *s, strata_token t)
{
	unsigned char h[STRATA_HASH_LEN] = { 0 };
	for (int i = 7; i >= 0; i--, t >>= 8)
		h[i] = (unsigned char)(t & 0xff);
	return strata_spill_add(s, h, 0, 0, "", 0);
}

static strata_token token_of_hash(const unsigned char *h)
{
	strata_token t = 0;
	for (int i = 0; i < 8; i++)
		t = (t << 8) | h[i];
	return t;
}

static int by_token(const void *a, const void *b)
{
	strata_token x = *(const strata_token *)a, y = *(const strata_token *)b;
	return x < y ? -1 : x > y;
}

/* Sorts and removes duplicates; returns the new count. */
static size_t sort_unique(strata_token *t, size_t n)
{
	size_t k = 0;
	if (n == 0)
		return 0;
	qsort(t, n, sizeof(*t), by_token);
	for (size_t i = 1; i < n; i++)
		if (t[i] != t[k])
			t[++k] = t[i];
	return k + 1;
}

typedef struct {
	char name[8];
	int is_tree;
	git_oid id;
} tree_ent;

/* A tree of `n` entries, already in git's order (names of one length, hex order). */
static int write_tree(git_oid *out, strata_packw *w, const tree_ent *e, size_t n)
{
	strata_buf b = STRATA_BUF_INIT;
	int error = 0;

	for (size_t i = 0; !error && i < n; i++)
		if ((error = strata_buf_printf(&b, "%s %s", e[i].is_tree ? "40000" : "100644", e[i].name)) == 0 &&
		    (error = strata_buf_putc(&b, '\0')) == 0)
			error = strata_buf_put(&b, (const char *)e[i].id.id, GIT_OID_RAWSZ);
	if (!error)
		error = strata_pack_writer_add(w, GIT_OBJECT_TREE, b.ptr ? b.ptr : "", b.len, out);
	strata_buf_dispose(&b);
	return error;
}

/* The leaf of sorted tokens `t` (all of one 3-digit prefix). */
static int write_leaf(git_oid *out, strata_packw *w, const strata_token *t, size_t n, strata_buf *tmp)
{
	strata_buf_clear(tmp);
	if (strata_buf_grow(tmp, n * LINE) < 0)
		return STRATA_ERROR;
	for (size_t i = 0; i < n; i++) {
		strata_ledger_token_hex(tmp->ptr + i * LINE, t[i]);
		tmp->ptr[i * LINE + STRATA_TOKEN_HEX] = '\n';
	}
	tmp->len = n * LINE;
	return strata_pack_writer_add(w, GIT_OBJECT_BLOB, tmp->ptr, tmp->len, out);
}

static const char hexd[] = "0123456789abcdef";

/*
 * A set of at most FLAT_MAX tokens is one leaf, "tokens" (a few thousand
 * records would otherwise cost as many objects); a larger one fans out to
 * "ab/c" leaves, and stays so (a fanned set that shrinks is not folded
 * back: rare, and harmless).
 */
#define FLAT "tokens"
#define FLAT_MAX 8192

/* The subtree "ab" of sorted unique tokens `t` (all with first byte b), 16 leaves at most. */
static int write_bucket(git_oid *out, strata_packw *w, const strata_token *t, size_t n, strata_buf *tmp)
{
	tree_ent e[16];
	size_t ne = 0, i = 0;
	int error = 0;

	while (!error && i < n) {
		unsigned nib = (unsigned)((t[i] >> 52) & 15);
		size_t j = i;
		while (j < n && ((t[j] >> 52) & 15) == nib)
			j++;
		e[ne].name[0] = hexd[nib];
		e[ne].name[1] = '\0';
		e[ne].is_tree = 0;
		error = write_leaf(&e[ne].id, w, t + i, j - i, tmp);
		ne++;
		i = j;
	}
	return error ? error : write_tree(out, w, e, ne);
}

/* The set of sorted unique `t` as one leaf, "tokens": small sets are not worth 4,096 objects. */
static int write_flat(git_oid *out, strata_packw *w, const strata_token *t, size_t n, strata_buf *tmp)
{
	tree_ent e;
	memset(&e, 0, sizeof(e));
	if (n == 0)
		return write_tree(out, w, &e, 0);
	snprintf(e.name, sizeof(e.name), "%s", FLAT);
	e.is_tree = 0;
	return write_leaf(&e.id, w, t, n, tmp) < 0 ? STRATA_ERROR : write_tree(out, w, &e, 1);
}

/* Appends the subtree "ab" of bucket b's sorted unique tokens to e[]. */
static int add_bucket(tree_ent *e, size_t *ne, strata_packw *w, unsigned b, const strata_token *t, size_t n, strata_buf *tmp)
{
	e[*ne].name[0] = hexd[b >> 4];
	e[*ne].name[1] = hexd[b & 15];
	e[*ne].name[2] = '\0';
	e[*ne].is_tree = 1;
	return write_bucket(&e[(*ne)++].id, w, t, n, tmp);
}

int strata_ledger_set_build(git_oid *out, strata_packw *w, strata_spill **spills, int nspills, size_t *count)
{
	strata_buf data = STRATA_BUF_INIT, tmp = STRATA_BUF_INIT;
	strata_trie_item *items = NULL;
	strata_token *t = NULL, *held = NULL;	/* held: the buckets so far, while the set may still be flat */
	size_t alloc = 0, talloc = 0, ne = 0, nheld = 0, aheld = 0;
	int fanned = 0;
	tree_ent *e = calloc(STRATA_SPILL_BUCKETS, sizeof(*e));
	int error = 0;

	*count = 0;
	if (!e)
		return strata_error_set("out of memory");
	for (unsigned b = 0; !error && b < STRATA_SPILL_BUCKETS; b++) {
		size_t n = 0;
		if ((error = strata_spill_load_all(spills, nspills, b, &data, &items, &alloc, &n)) < 0)
			break;
		if (n > talloc) {
			strata_token *p = realloc(t, n * sizeof(*t));
			if (!p) {
				error = strata_error_set("out of memory");
				break;
			}
			t = p;
			talloc = n;
		}
		for (size_t i = 0; i < n; i++)
			t[i] = token_of_hash(items[i].hash);
		n = sort_unique(t, n);
		*count += n;
		if (!fanned && *count > FLAT_MAX) {
			/* too many for one leaf: what was held back goes out bucket by bucket, then the rest */
			fanned = 1;
			for (size_t i = 0; !error && i < nheld;) {
				unsigned hb = (unsigned)(held[i] >> 56);
				size_t j = i;
				while (j < nheld && (unsigned)(held[j] >> 56) == hb)
					j++;
				error = add_bucket(e, &ne, w, hb, held + i, j - i, &tmp);
				i = j;
			}
			nheld = 0;
		}
		if (error || n == 0)
			continue;
		if (fanned) {
			error = add_bucket(e, &ne, w, b, t, n, &tmp);
		} else if ((error = strata_array_grow(&held, &aheld, nheld + n, 1024)) == 0) {
			memcpy(held + nheld, t, n * sizeof(*t));
			nheld += n;
		}
	}
	if (!error)
		error = fanned ? write_tree(out, w, e, ne) : write_flat(out, w, held, nheld, &tmp);
	free(e);
	free(t);
	free(held);
	free(items);
	strata_buf_dispose(&data);
	strata_buf_dispose(&tmp);
	return error;
}

/* The tokens of blob `id` appended to *t. */
static int read_leaf(strata_token **t, size_t *n, size_t *alloc, git_repository *repo, const git_oid *id)
{
	git_blob *blob = NULL;
	const char *p;
	size_t len, k;

	if (git_blob_lookup(&blob, repo, id) < 0)
		return strata_error_git("cannot read a ledger leaf");
	p = git_blob_rawcontent(blob);
	len = (size_t)git_blob_rawsize(blob);
	if (len % LINE) {
		git_blob_free(blob);
		return strata_error_set("ledger leaf %.12s is malformed", git_oid_tostr_s(id));
	}
	k = len / LINE;
	if (*n + k > *alloc) {
		size_t na = (*n + k) * 2;
		strata_token *q = realloc(*t, na * sizeof(*q));
		if (!q) {
			git_blob_free(blob);
			return strata_error_set("out of memory");
		}
		*t = q;
		*alloc = na;
	}
	for (size_t i = 0; i < k; i++)
		if (strata_ledger_token_parse(&(*t)[(*n)++], p + i * LINE) < 0) {
			git_blob_free(blob);
			return strata_error_set("ledger leaf %.12s is malformed", git_oid_tostr_s(id));
		}
	git_blob_free(blob);
	return 0;
}

/* The entries of tree `id` (NULL: none) into `e`, at most `max`; a name of the wrong shape is an error. */
static int read_tree(tree_ent *e, size_t *n, size_t max, git_repository *repo, const git_oid *id)
{
	git_tree *t = NULL;

	*n = 0;
	if (!id)
		return 0;
	if (git_tree_lookup(&t, repo, id) < 0)
		return strata_error_git("cannot read a ledger set");
	for (size_t i = 0; i < git_tree_entrycount(t) && *n < max; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(t, i);
		snprintf(e[*n].name, sizeof(e[*n].name), "%s", git_tree_entry_name(te));
		e[*n].is_tree = git_tree_entry_type(te) == GIT_OBJECT_TREE;
		git_oid_cpy(&e[*n].id, git_tree_entry_id(te));
		(*n)++;
	}
	git_tree_free(t);
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(((const tree_ent *)a)->name, ((const tree_ent *)b)->name);
}

/* Sets entry `name` of e[] (n of them, sorted) to `id`, or removes it (id NULL); keeps the order. */
static void set_entry(tree_ent *e, size_t *n, const char *name, int is_tree, const git_oid *id)
{
	size_t i;
	for (i = 0; i < *n && strcmp(e[i].name, name); i++)
		;
	if (i < *n && !id) {
		memmove(&e[i], &e[i + 1], (*n - i - 1) * sizeof(*e));
		(*n)--;
		return;
	}
	if (!id)
		return;
	if (i == *n) {
		snprintf(e[*n].name, sizeof(e[*n].name), "%s", name);
		(*n)++;
	}
	e[i].is_tree = is_tree;
	git_oid_cpy(&e[i].id, id);
	qsort(e, *n, sizeof(*e), ent_cmp);
}

/* Merges sorted unique `old` with sorted `add` and `del` (restricted to one prefix) into `out`. */
static size_t merge(strata_token *out, const strata_token *old, size_t nold, const strata_token *add, size_t nadd,
		    const strata_token *del, size_t ndel)
{
	size_t i = 0, j = 0, k = 0, n = 0;
	while (i < nold || j < nadd) {
		strata_token v;
		if (j == nadd || (i < nold && old[i] < add[j]))
			v = old[i++];
		else if (i == nold || add[j] < old[i])
			v = add[j++];
		else
			v = old[i++], j++;
		while (k < ndel && del[k] < v)
			k++;
		/* a token in both lists is added: only what was held before can go */
		if (k < ndel && del[k] == v && !(j > 0 && add[j - 1] == v))
			continue;
		out[n++] = v;
	}
	return n;
}

/* The range of sorted `t` whose top `bits` bits equal `prefix`. */
static void range_of(const strata_token *t, size_t n, strata_token prefix, int bits, size_t *lo, size_t *hi)
{
	size_t a = 0, b = n;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if ((t[m] >> (64 - bits)) < prefix)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	b = n;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if ((t[m] >> (64 - bits)) <= prefix)
			a = m + 1;
		else
			b = m;
	}
	*hi = a;
}

int strata_ledger_set_apply(git_oid *out, strata_packw *w, git_repository *repo, const git_oid *old,
			    strata_token *add, size_t nadd, strata_token *del, size_t ndel)
{
	tree_ent *top = calloc(STRATA_SPILL_BUCKETS, sizeof(*top)), sub[16];
	strata_token *cur = NULL, *merged = NULL;
	strata_buf tmp = STRATA_BUF_INIT;
	size_t ntop = 0, calloc_ = 0, malloc_ = 0;
	int error = 0;

	if (!top)
		return strata_error_set("out of memory");
	nadd = sort_unique(add, nadd);
	ndel = sort_unique(del, ndel);
	if ((error = read_tree(top, &ntop, STRATA_SPILL_BUCKETS, repo, old)) < 0)
		goto done;
	if (ntop == 0 || (ntop == 1 && !strcmp(top[0].name, FLAT))) {
		/* an empty or a flat set: merged whole, and written flat or fanned by its new size */
		size_t ncur = 0, nm;
		if (ntop && (error = read_leaf(&cur, &ncur, &calloc_, repo, &top[0].id)) < 0)
			goto done;
		if ((merged = malloc((ncur + nadd + 1) * sizeof(*merged))) == NULL) {
			error = strata_error_set("out of memory");
			goto done;
		}
		nm = merge(merged, cur, ncur, add, nadd, del, ndel);
		if (nm <= FLAT_MAX) {
			error = write_flat(out, w, merged, nm, &tmp);
		} else {
			size_t ne = 0;
			for (size_t i = 0; !error && i < nm;) {
				unsigned hb = (unsigned)(merged[i] >> 56);
				size_t j = i;
				while (j < nm && (unsigned)(merged[j] >> 56) == hb)
					j++;
				error = add_bucket(top, &ne, w, hb, merged + i, j - i, &tmp);
				i = j;
			}
			if (!error)
				error = write_tree(out, w, top, ne);
		}
		goto done;
	}
	for (unsigned b = 0; !error && b < STRATA_SPILL_BUCKETS; b++) {
		size_t alo, ahi, dlo, dhi, nsub = 0;
		char bname[3] = { hexd[b >> 4], hexd[b & 15], '\0' };
		const git_oid *bid = NULL;
		git_oid newb;
		range_of(add, nadd, b, 8, &alo, &ahi);
		range_of(del, ndel, b, 8, &dlo, &dhi);
		if (alo == ahi && dlo == dhi)
			continue;
		for (size_t i = 0; i < ntop; i++)
			if (!strcmp(top[i].name, bname))
				bid = &top[i].id;
		if ((error = read_tree(sub, &nsub, 16, repo, bid)) < 0)
			break;
		for (unsigned nib = 0; !error && nib < 16; nib++) {
			strata_token pre = ((strata_token)b << 4) | nib;
			size_t a2, a3, d2, d3, ncur = 0, nm;
			char lname[2] = { hexd[nib], '\0' };
			git_oid leaf;
			range_of(add, nadd, pre, 12, &a2, &a3);
			range_of(del, ndel, pre, 12, &d2, &d3);
			if (a2 == a3 && d2 == d3)
				continue;
			for (size_t i = 0; !error && i < nsub; i++)
				if (!strcmp(sub[i].name, lname))
					error = read_leaf(&cur, &ncur, &calloc_, repo, &sub[i].id);
			if (error)
				break;
			if (ncur + (a3 - a2) > malloc_) {
				strata_token *p = realloc(merged, (ncur + (a3 - a2)) * sizeof(*p) + sizeof(*p));
				if (!p) {
					error = strata_error_set("out of memory");
					break;
				}
				merged = p;
				malloc_ = ncur + (a3 - a2);
			}
			nm = merge(merged, cur, ncur, add + a2, a3 - a2, del + d2, d3 - d2);
			if (nm == 0) {
				set_entry(sub, &nsub, lname, 0, NULL);
				continue;
			}
			if ((error = write_leaf(&leaf, w, merged, nm, &tmp)) < 0)
				break;
			set_entry(sub, &nsub, lname, 0, &leaf);
		}
		if (error)
			break;
		if (nsub == 0) {
			set_entry(top, &ntop, bname, 1, NULL);
			continue;
		}
		if ((error = write_tree(&newb, w, sub, nsub)) < 0)
			break;
		set_entry(top, &ntop, bname, 1, &newb);
	}
	if (!error)
		error = write_tree(out, w, top, ntop);
done:
	free(top);
	free(cur);
	free(merged);
	strata_buf_dispose(&tmp);
	return error;
}

int strata_ledger_set_has(git_repository *repo, const git_oid *set, strata_token t)
{
	char hex[STRATA_TOKEN_HEX + 1], path[8];
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	const char *p;
	size_t lo = 0, hi;
	int rc, found = 0;

	strata_ledger_token_hex(hex, t);
	snprintf(path, sizeof(path), "%.2s/%c", hex, hex[2]);
	if (git_tree_lookup(&tree, repo, set) < 0)
		return strata_error_git("cannot read a ledger set");
	rc = git_tree_entry_bypath(&e, tree, git_tree_entry_byname(tree, FLAT) ? FLAT : path);
	git_tree_free(tree);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0 || git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0) {
		git_tree_entry_free(e);
		return strata_error_git("cannot read a ledger leaf");
	}
	git_tree_entry_free(e);
	p = git_blob_rawcontent(blob);
	hi = (size_t)git_blob_rawsize(blob) / LINE;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		int c = memcmp(p + m * LINE, hex, STRATA_TOKEN_HEX);
		if (c == 0) {
			found = 1;
			break;
		}
		if (c < 0)
			lo = m + 1;
		else
			hi = m;
	}
	git_blob_free(blob);
	return found;
}

int strata_ledger_set_foreach(git_repository *repo, const git_oid *set, int (*cb)(strata_token t, void *payload),
			      void *payload)
{
	tree_ent *top = calloc(STRATA_SPILL_BUCKETS, sizeof(*top)), sub[16];
	strata_token *t = NULL;
	size_t ntop = 0, alloc = 0;
	int error;

	if (!top)
		return strata_error_set("out of memory");
	error = read_tree(top, &ntop, STRATA_SPILL_BUCKETS, repo, set);
	if (!error && ntop == 1 && !strcmp(top[0].name, FLAT)) {
		size_t n = 0;
		if ((error = read_leaf(&t, &n, &alloc, repo, &top[0].id)) == 0)
			for (size_t j = 0; !error && j < n; j++)
				error = cb(t[j], payload);
		ntop = 0;
	}
	for (size_t i = 0; !error && i < ntop; i++) {
		size_t nsub = 0;
		if ((error = read_tree(sub, &nsub, 16, repo, &top[i].id)) < 0)
			break;
		for (size_t k = 0; !error && k < nsub; k++) {
			size_t n = 0;
			if ((error = read_leaf(&t, &n, &alloc, repo, &sub[k].id)) < 0)
				break;
			for (size_t j = 0; !error && j < n; j++)
				error = cb(t[j], payload);
		}
	}
	free(top);
	free(t);
	return error;
}

/* --- the ledger's state in the audit log's tree --- */

int strata_ledger_view_path(strata_buf *out, const char *peer, const char *view)
{
	size_t at;
	int error;

	if ((error = strata_buf_printf(out, "ledger/views/%s/", peer)) < 0)
		return error;
	at = out->len;
	if ((error = strata_buf_printf(out, "%s", view)) < 0)
		return error;
	for (size_t i = at; i < out->len; i++)
		if (out->ptr[i] == '/')
			out->ptr[i] = '.';
	return 0;
}

/* The tree of `event`, or of the audit log's head (NULL *out if there is none). */
static int event_tree(git_tree **out, strata_node *n, const git_commit *event)
{
	git_commit *head = NULL;
	git_oid id;
	int rc;

	*out = NULL;
	if (event)
		return git_commit_tree(out, event) < 0 ? strata_error_git("cannot read an audit event") : 0;
	rc = git_reference_name_to_id(&id, strata_node_repo(n), STRATA_REF_AUDIT);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0 || git_commit_lookup(&head, strata_node_repo(n), &id) < 0 || git_commit_tree(out, head) < 0)
		rc = strata_error_git("cannot read the audit log");
	git_commit_free(head);
	return rc < 0 ? rc : 0;
}

int strata_ledger_get(git_oid *out, strata_node *n, const git_commit *event, const char *path)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	int rc, error;

	if ((error = event_tree(&t, n, event)) < 0)
		return error;
	if (!t)
		return STRATA_ENOTFOUND;
	rc = git_tree_entry_bypath(&e, t, path);
	git_tree_free(t);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return STRATA_ENOTFOUND;
	}
	if (rc < 0)
		return strata_error_git("cannot read the ledger");
	git_oid_cpy(out, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return 0;
}

int strata_ledger_get_text(strata_buf *out, strata_node *n, const git_commit *event, const char *path)
{
	git_blob *blob = NULL;
	git_oid id;
	int error;

	if ((error = strata_ledger_get(&id, n, event, path)) < 0)
		return error;
	if (git_blob_lookup(&blob, strata_node_repo(n), &id) < 0)
		return strata_error_git("cannot read the ledger");
	error = strata_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return error;
}

/* The tree `base` (NULL: the audit head's, or the empty tree). */
static int base_tree(git_tree **t, strata_node *n, const git_oid *base)
{
	git_repository *repo = strata_node_repo(n);
	int error;

	*t = NULL;
	if (base) {
		if (git_tree_lookup(t, repo, base) < 0)
			return strata_error_git("cannot read the ledger");
	} else if ((error = event_tree(t, n, NULL)) < 0) {
		return error;
	}
	if (!*t) {
		git_treebuilder *tb = NULL;
		git_oid empty;
		if (git_treebuilder_new(&tb, repo, NULL) < 0 || git_treebuilder_write(&empty, tb) < 0 ||
		    git_tree_lookup(t, repo, &empty) < 0) {
			git_treebuilder_free(tb);
			return strata_error_git("cannot write the ledger");
		}
		git_treebuilder_free(tb);
	}
	return 0;
}

int strata_ledger_put(git_oid *out, strata_node *n, const git_oid *base, const char *path, const git_oid *id,
		      git_filemode_t mode)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_tree_update u;
	int error;

	if ((error = base_tree(&t, n, base)) < 0)
		return error;
	if (!id) {
		/* removing what is not there leaves the tree as it is */
		if (git_tree_entry_bypath(&e, t, path) == GIT_ENOTFOUND) {
			git_error_clear();
			git_oid_cpy(out, git_tree_id(t));
			git_tree_free(t);
			return 0;
		}
		git_tree_entry_free(e);
	}
	memset(&u, 0, sizeof(u));
	u.action = id ? GIT_TREE_UPDATE_UPSERT : GIT_TREE_UPDATE_REMOVE;
	if (id)
		git_oid_cpy(&u.id, id);
	u.filemode = mode;
	u.path = path;
	if (git_tree_create_updated(out, strata_node_repo(n), t, 1, &u) < 0)
		error = strata_error_git("cannot write the ledger");
	git_tree_free(t);
	return error;
}

int strata_ledger_put_blobs(git_oid *out, strata_node *n, const git_oid *base, const char *const *paths,
			    const git_oid *ids, size_t count)
{
	git_tree_update *u = calloc(count ? count : 1, sizeof(*u));
	git_tree *t = NULL;
	int error;

	if (!u)
		return strata_error_set("out of memory");
	if ((error = base_tree(&t, n, base)) == 0) {
		for (size_t i = 0; i < count; i++) {
			u[i].action = GIT_TREE_UPDATE_UPSERT;
			git_oid_cpy(&u[i].id, &ids[i]);
			u[i].filemode = GIT_FILEMODE_BLOB;
			u[i].path = paths[i];
		}
		if (git_tree_create_updated(out, strata_node_repo(n), t, count, u) < 0)
			error = strata_error_git("cannot write the ledger");
	}
	git_tree_free(t);
	free(u);
	return error;
}

int strata_ledger_put_text(git_oid *out, strata_node *n, const git_oid *base, const char *path, const char *text,
			   size_t len)
{
	git_oid blob;

	if (git_blob_create_from_buffer(&blob, strata_node_repo(n), text, len) < 0)
		return strata_error_git("cannot write the ledger");
	return strata_ledger_put(out, n, base, path, &blob, GIT_FILEMODE_BLOB);
}

/* --- cuts --- */

int strata_ledger_cut_id(char out[17])
{
	unsigned char raw[8];
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return strata_error_ssl("no randomness for a cut's id");
	strata_enc_hex(out, raw, sizeof(raw));
	out[16] = '\0';
	return 0;
}

int strata_ledger_cut_note(git_oid *out, strata_node *n, const git_oid *base, const char *cut, const char *header,
			   const char *lines)
{
	strata_buf path = STRATA_BUF_INIT, text = STRATA_BUF_INIT;
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	git_oid head_tree;
	int error, rc = GIT_ENOTFOUND;

	if ((error = strata_buf_printf(&path, "ledger/cuts/%s", cut)) < 0)
		goto done;
	if (!base) {
		git_tree *ht = NULL;
		if ((error = event_tree(&ht, n, NULL)) < 0)
			goto done;
		if (ht) {
			git_oid_cpy(&head_tree, git_tree_id(ht));
			base = &head_tree;
			git_tree_free(ht);
		}
	}
	if (base) {
		if (git_tree_lookup(&t, strata_node_repo(n), base) < 0) {
			error = strata_error_git("cannot read the ledger");
			goto done;
		}
		rc = git_tree_entry_bypath(&e, t, path.ptr);
	}
	if (rc == 0) {
		if (git_blob_lookup(&blob, strata_node_repo(n), git_tree_entry_id(e)) < 0) {
			error = strata_error_git("cannot read the ledger");
			goto done;
		}
		error = strata_buf_put(&text, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	} else if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		error = strata_buf_printf(&text, "%s", header ? header : "");
	} else {
		error = strata_error_git("cannot read the ledger");
	}
	if (!error && (error = strata_buf_printf(&text, "%s", lines)) == 0)
		error = strata_ledger_put_text(out, n, base, path.ptr, text.ptr, text.len);
done:
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(t);
	strata_buf_dispose(&path);
	strata_buf_dispose(&text);
	return error;
}

void strata_ledger_cut_dispose(strata_cut_record *c)
{
	free(c->views);
	free(c->confs);
	free(c->below);
	memset(c, 0, sizeof(*c));
}

/* One word of `*p` into `out` (at most size - 1 bytes), moving past it and the space after. */
static void word(char *out, size_t size, const char **p)
{
	size_t n = strcspn(*p, " \n");
	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), *p);
	*p += n;
	if (**p == ' ')
		(*p)++;
}

/* A cut record's text (erase.h lists its lines); a line it does not know is left alone. */
static int cut_record_parse(strata_cut_record *c, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	char key[16], v[64];

	memset(c, 0, sizeof(*c));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *q = p;
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)(ll < sizeof(line) ? ll : sizeof(line) - 1), p);
		p += ll + 1;
		q = line;
		word(key, sizeof(key), &q);
		if (!strcmp(key, "cut")) {
			word(c->id, sizeof(c->id), &q);
		} else if (!strcmp(key, "kind")) {
			word(c->kind, sizeof(c->kind), &q);
		} else if (!strcmp(key, "time")) {
			c->time = strtoll(q, NULL, 10);
		} else if (!strcmp(key, "dataset")) {
			word(c->dataset, sizeof(c->dataset), &q);
		} else if (!strcmp(key, "reason")) {
			snprintf(c->reason, sizeof(c->reason), "%s", q);
		} else if (!strcmp(key, "from")) {
			word(c->from, sizeof(c->from), &q);
		} else if (!strcmp(key, "token")) {
			word(c->token, sizeof(c->token), &q);
		} else if (!strcmp(key, "reimported")) {
			c->reimported = strtoll(q, (char **)&q, 10);
			if (*q == ' ')
				q++;
			snprintf(c->reimported_why, sizeof(c->reimported_why), "%s", q);
		} else if (!strcmp(key, "view")) {
			strata_cut_view *x;
			if (strata_array_grow(&c->views, &c->aviews, c->nviews + 1, 4) < 0)
				return STRATA_ERROR;
			x = &c->views[c->nviews++];
			memset(x, 0, sizeof(*x));
			word(x->peer, sizeof(x->peer), &q);
			word(x->view, sizeof(x->view), &q);
			word(v, sizeof(v), &q);
			if (git_oid_fromstr(&x->commit, v) < 0)
				memset(&x->commit, 0, sizeof(x->commit));
			git_error_clear();
			x->time = strtoll(q, NULL, 10);
		} else if (!strcmp(key, "confirmed")) {
			strata_cut_conf *x;
			if (strata_array_grow(&c->confs, &c->aconfs, c->nconfs + 1, 4) < 0)
				return STRATA_ERROR;
			x = &c->confs[c->nconfs++];
			memset(x, 0, sizeof(*x));
			word(x->peer, sizeof(x->peer), &q);
			word(x->view, sizeof(x->view), &q);
			word(v, sizeof(v), &q);
			x->time = strtoll(v, NULL, 10);
			word(v, sizeof(v), &q);
			if (!strcmp(v, "receipt"))
				word(x->receipt, sizeof(x->receipt), &q);
		} else if (!strcmp(key, "below")) {
			strata_cut_below *x;
			if (strata_array_grow(&c->below, &c->abelow, c->nbelow + 1, 4) < 0)
				return STRATA_ERROR;
			x = &c->below[c->nbelow++];
			memset(x, 0, sizeof(*x));
			word(x->node, sizeof(x->node), &q);
			word(x->via, sizeof(x->via), &q);
			word(v, sizeof(v), &q);
			x->time = strtoll(v, NULL, 10);
			word(v, sizeof(v), &q);
			if (!strcmp(v, "receipt"))
				word(x->receipt, sizeof(x->receipt), &q);
		}
	}
	return c->id[0] ? 0 : strata_error_set("a cut record in the ledger names no cut");
}

static int by_cut_time(const void *a, const void *b)
{
	const strata_cut_record *x = a, *y = b;
	return x->time < y->time ? -1 : x->time > y->time ? 1 : strcmp(x->id, y->id);
}

/* Every cut record of the ledger, oldest first. */
int strata_ledger_cuts(strata_cut_record **out, size_t *nout, strata_node *n)
{
	git_repository *repo = strata_node_repo(n);
	strata_cut_record *cuts = NULL;
	size_t ncuts = 0, alloc = 0;
	git_tree *t = NULL;
	git_oid id;
	int error;

	*out = NULL;
	*nout = 0;
	if ((error = strata_ledger_get(&id, n, NULL, "ledger/cuts")) == STRATA_ENOTFOUND) {
		strata_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	if (git_tree_lookup(&t, repo, &id) < 0)
		return strata_error_git("cannot read the ledger's cuts");
	for (size_t i = 0; !error && i < git_tree_entrycount(t); i++) {
		git_blob *b = NULL;
		if (git_blob_lookup(&b, repo, git_tree_entry_id(git_tree_entry_byindex(t, i))) < 0) {
			error = strata_error_git("cannot read a cut in the ledger");
			break;
		}
		if ((error = strata_array_grow(&cuts, &alloc, ncuts + 1, 16)) == 0 &&
		    (error = cut_record_parse(&cuts[ncuts], git_blob_rawcontent(b), (size_t)git_blob_rawsize(b))) == 0)
			ncuts++;
		git_blob_free(b);
	}
	git_tree_free(t);
	if (error) {
		for (size_t i = 0; i < ncuts; i++)
			strata_ledger_cut_dispose(&cuts[i]);
		free(cuts);
		return error;
	}
	qsort(cuts, ncuts, sizeof(*cuts), by_cut_time);
	*out = cuts;
	*nout = ncuts;
	return 0;
}

void strata_ledger_cuts_free(strata_cut_record *cuts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strata_ledger_cut_dispose(&cuts[i]);
	free(cuts);
}

