/*
 * evidence.c - the evidence bundle, read, written and checked with no
 * node (evidence.h, doc/design.md "Evidence to hand on").
 */
#include "strata/format/evidence.h"
#include "strata/base/array.h"
#include "strata/base/digest.h"
#include "strata/base/enc.h"
#include "strata/base/error.h"
#include "strata/base/i18n.h"
#include "strata/format/schema.h"
#include "strata/format/sign.h"
#include "strata/format/tarcheck.h"
#include "strata/format/timestamp.h"
#include "strata/format/procmsg.h"
#include "strata/base/time.h"
#include "strata/format/trie.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <git2.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the container ---- */

int strata_evidence_put(strata_evidence *ev, const char *name, const void *data, size_t len)
{
	strata_evidence_entry *e = NULL;

	for (size_t i = 0; i < ev->n; i++)
		if (!strcmp(ev->e[i].name, name))
			e = &ev->e[i];
	if (!e) {
		if (strata_array_grow(&ev->e, &ev->alloc, ev->n + 1, 16) < 0)
			return STRATA_ERROR;
		e = &ev->e[ev->n];
		memset(e, 0, sizeof(*e));
		if ((e->name = strdup(name)) == NULL)
			return strata_error_set("out of memory");
		ev->n++;
	}
	strata_buf_clear(&e->data);
	return strata_buf_put(&e->data, data, len) < 0 || strata_buf_putc(&e->data, '\0') < 0 ? STRATA_ERROR
												    : (e->data.len--, 0);
}

const strata_buf *strata_evidence_get(const strata_evidence *ev, const char *name)
{
	for (size_t i = 0; i < ev->n; i++)
		if (!strcmp(ev->e[i].name, name))
			return &ev->e[i].data;
	return NULL;
}

void strata_evidence_dispose(strata_evidence *ev)
{
	for (size_t i = 0; i < ev->n; i++) {
		free(ev->e[i].name);
		strata_buf_dispose(&ev->e[i].data);
	}
	free(ev->e);
	memset(ev, 0, sizeof(*ev));
}

/* parts/N-NODE.json and its .sig, objects/TYPE/HEX40, allowed_signers, report.html */
static int name_allowed(const char *name)
{
	size_t len = strlen(name), i;

	if (!strcmp(name, "allowed_signers") || !strcmp(name, "report.html"))
		return 1;
	if (!strncmp(name, "erasure/", 8) || !strncmp(name, "request/", 8)) {
		for (i = 8; i < 24; i++)
			if (!isxdigit((unsigned char)name[i]) || isupper((unsigned char)name[i]))
				return 0;
		return !strcmp(name + 24, ".json");
	}
	if (!strncmp(name, "objects/", 8)) {
		const char *t = name + 8, *slash = strchr(t, '/');
		if (!slash || (strncmp(t, "commit/", 7) && strncmp(t, "tree/", 5) && strncmp(t, "blob/", 5)) ||
		    strlen(slash + 1) != 40)
			return 0;
		for (i = 1; slash[i]; i++)
			if (!isxdigit((unsigned char)slash[i]) || isupper((unsigned char)slash[i]))
				return 0;
		return 1;
	}
	if (!strncmp(name, "parts/", 6) && len < 120) {
		const char *p = name + 6;
		if (!isdigit((unsigned char)*p) || *p == '0')
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p++ != '-' || !*p)
			return 0;
		for (; *p && *p != '.'; p++)
			if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == '_'))
				return 0;
		return !strcmp(p, ".json") || !strcmp(p, ".json.sig") || !strcmp(p, ".json.tsr") || !strcmp(p, ".tsa.pem");
	}
	return 0;
}

int strata_evidence_read(strata_evidence *ev, const char *what, const void *data, size_t len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t total = 0;
	char shown[400];
	int rc, error = STRATA_ERROR;

	memset(ev, 0, sizeof(*ev));
	if (!a)
		return strata_error_set("out of memory");
	if (strata_tar_compressed_kind(data, len)) {
		strata_error_set("'%s' is %s-compressed; an evidence bundle is a plain tar archive", what,
				 strata_tar_compressed_kind(data, len));
		goto done;
	}
	if (archive_read_support_format_tar(a) != ARCHIVE_OK || archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		strata_error_set("'%s': not an evidence bundle: %s", what, archive_error_string(a));
		goto done;
	}
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		la_int64_t size = archive_entry_size(e);
		strata_buf body = STRATA_BUF_INIT;

		strata_tar_printable(shown, sizeof(shown), name ? name : "");
		if (!name || !name_allowed(name)) {
			error = strata_error_set("'%s': unexpected entry '%s': a bundle holds parts/, objects/, "
						 "allowed_signers and report.html only", what, shown);
			goto done;
		}
		if ((error = strata_tar_entry_regular(a, e, data, -1, len, what, shown, _("an evidence bundle"))) < 0)
			goto done;
		if (strata_evidence_get(ev, name)) {
			error = strata_error_set("'%s': duplicate entry '%s'", what, shown);
			goto done;
		}
		if (ev->n >= STRATA_EVIDENCE_MAX_ENTRIES || !archive_entry_size_is_set(e) || size < 0 ||
		    (uint64_t)size > STRATA_EVIDENCE_MAX_ENTRY || (uint64_t)size > len ||
		    (total += (size_t)size) > STRATA_EVIDENCE_MAX_TOTAL) {
			error = strata_error_set("'%s': entry '%s' is over the limits of a bundle (%d entries, %u bytes each)",
						 what, shown, STRATA_EVIDENCE_MAX_ENTRIES, STRATA_EVIDENCE_MAX_ENTRY);
			goto done;
		}
		if ((error = strata_buf_grow(&body, (size_t)size + 1)) < 0)
			goto done;
		while (body.len < (size_t)size) {
			la_ssize_t got = archive_read_data(a, body.ptr + body.len, (size_t)size - body.len);
			if (got <= 0) {
				strata_buf_dispose(&body);
				error = strata_error_set("'%s': entry '%s' is truncated", what, shown);
				goto done;
			}
			body.len += (size_t)got;
		}
		error = strata_evidence_put(ev, name, body.ptr ? body.ptr : "", body.len);
		strata_buf_dispose(&body);
		if (error < 0)
			goto done;
	}
	if (rc != ARCHIVE_EOF) {
		error = strata_error_set("'%s': not a valid evidence bundle (after %zu entries): %s", what, ev->n,
					 rc == ARCHIVE_WARN || !archive_error_string(a) ? _("malformed header")
											: archive_error_string(a));
		goto done;
	}
	if ((error = strata_tar_end_ok(data, -1, len, (uint64_t)archive_read_header_position(a), what)) < 0)
		goto done;
	if (!strata_evidence_parts(ev)) {
		error = strata_error_set("'%s': not an evidence bundle: it has no parts/1-NODE.json", what);
		goto done;
	}
	/* written again, it must be the same bytes: nothing hides in headers or padding (verify says so last) */
	{
		strata_buf again = STRATA_BUF_INIT;
		if ((error = strata_evidence_write(&again, ev)) < 0)
			goto done;
		ev->noncanonical = again.len != len || memcmp(again.ptr, data, len);
		strata_buf_dispose(&again);
	}
	error = 0;
done:
	archive_read_free(a);
	if (error < 0)
		strata_evidence_dispose(ev);
	return error;
}

static la_ssize_t write_cb(struct archive *a, void *payload, const void *buf, size_t len)
{
	(void)a;
	return strata_buf_put(payload, buf, len) < 0 ? -1 : (la_ssize_t)len;
}

static int cmp_names(const void *x, const void *y)
{
	const strata_evidence_entry *a = *(const strata_evidence_entry *const *)x, *b = *(const strata_evidence_entry *const *)y;
	/* parts first (in number order), then the rest by name */
	int pa = !strncmp(a->name, "parts/", 6), pb = !strncmp(b->name, "parts/", 6);
	if (pa != pb)
		return pb - pa;
	if (pa) {
		long na = strtol(a->name + 6, NULL, 10), nb = strtol(b->name + 6, NULL, 10);
		if (na != nb)
			return na < nb ? -1 : 1;
	}
	return strcmp(a->name, b->name);
}

int strata_evidence_write(strata_buf *out, const strata_evidence *ev)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	const strata_evidence_entry **order = calloc(ev->n ? ev->n : 1, sizeof(*order));
	int error = STRATA_ERROR;

	if (!a || !e || !order) {
		strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; i < ev->n; i++)
		order[i] = &ev->e[i];
	qsort(order, ev->n, sizeof(*order), cmp_names);
	/* pax: names longer than ustar's 100 bytes stay whole */
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_set_bytes_per_block(a, 512) != ARCHIVE_OK ||
	    archive_write_open(a, out, NULL, write_cb, NULL) != ARCHIVE_OK)
		goto archive_error;
	for (size_t i = 0; i < ev->n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, order[i]->name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)order[i]->data.len);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    (order[i]->data.len &&
		     archive_write_data(a, order[i]->data.ptr, order[i]->data.len) != (la_ssize_t)order[i]->data.len))
			goto archive_error;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		goto archive_error;
	error = 0;
	goto done;
archive_error:
	error = strata_error_set("cannot write the evidence bundle: %s", archive_error_string(a));
done:
	free(order);
	archive_entry_free(e);
	archive_write_free(a);
	return error;
}

const strata_buf *strata_evidence_part(const strata_evidence *ev, size_t i, char *name, size_t namesz)
{
	char prefix[32];
	size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "parts/%zu-", i);

	for (size_t k = 0; k < ev->n; k++) {
		size_t len = strlen(ev->e[k].name);
		if (!strncmp(ev->e[k].name, prefix, plen) && len > 5 && !strcmp(ev->e[k].name + len - 5, ".json")) {
			snprintf(name, namesz, "%s", ev->e[k].name);
			return &ev->e[k].data;
		}
	}
	return NULL;
}

size_t strata_evidence_parts(const strata_evidence *ev)
{
	char name[160];
	size_t n = 0;

	while (strata_evidence_part(ev, n + 1, name, sizeof(name)))
		n++;
	return n;
}

int strata_evidence_load_parts(json_t ***out, size_t *count, const strata_evidence *ev)
{
	size_t n = strata_evidence_parts(ev);
	json_t **all = calloc(n + 2, sizeof(*all));
	char name[160];

	*out = all;
	*count = 0;
	if (!all)
		return strata_error_set("out of memory");
	for (size_t i = 1; i <= n; i++) {
		const strata_buf *b = strata_evidence_part(ev, i, name, sizeof(name));
		json_error_t je;
		if ((all[i - 1] = json_loadb(b->ptr, b->len, 0, &je)) == NULL)
			return strata_error_set("%s:%d: %s", name, je.line, je.text);
		*count = i;
	}
	return 0;
}

void strata_evidence_free_parts(json_t **parts, size_t count)
{
	for (size_t i = 0; parts && i <= count; i++)
		json_decref(parts[i]);
	free(parts);
}

/* ---- checking ---- */

static const char *jstr(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? s : "";
}

typedef struct {
	const strata_evidence *ev;
	strata_evidence_say say;
	void *payload;
	char *covered;		/* per entry: listed by a part */
	const char *keys;	/* the reader's allowed_signers, or NULL */
	struct reader_key {
		char node[128];
		strata_pubkey key;
	} *rk;			/* ... read once: each line's node and ssh-ed25519 key */
	size_t nrk;
	const char *tsa;	/* the reader's timestamp authority certificate (PEM), or NULL */
	int stamped;		/* parts with a timestamp */
} checker;

/* the reader's keys, read once: "NODE [options] ssh-ed25519 KEY" a line; lines without such a key are skipped */
static int read_keys(checker *k)
{
	size_t alloc = 0;
	int error;

	for (const char *p = k->keys; p && *p;) {
		const char *eol = strchr(p, '\n'), *kp;
		char line[1024];
		size_t nlen;
		snprintf(line, sizeof(line), "%.*s", (int)(eol ? (size_t)(eol - p) : strlen(p)), p);
		p = eol ? eol + 1 : NULL;
		nlen = strcspn(line, " \t");
		if (!nlen || nlen >= sizeof(k->rk->node) || (kp = strstr(line, "ssh-ed25519 ")) == NULL)
			continue;
		if ((error = strata_array_grow(&k->rk, &alloc, k->nrk + 1, 16)) < 0)
			return error;
		if (strata_sign_pubkey_parse(&k->rk[k->nrk].key, kp) < 0) {
			strata_error_clear();
			continue;
		}
		snprintf(k->rk[k->nrk].node, sizeof(k->rk->node), "%.*s", (int)nlen, line);
		k->nrk++;
	}
	return 0;
}

/* with the reader's keys: `keyline` must be one they list for `node` */
static int known_key(checker *k, const char *node, const char *keyline, const char *where)
{
	strata_pubkey want;

	if (!k->keys)
		return 0;
	if (strata_sign_pubkey_parse(&want, keyline) < 0)
		return strata_error_setc(STRATA_EVERIFY, "%s: the key given for %s is not an ssh-ed25519 key", where, node);
	for (size_t i = 0; i < k->nrk; i++)
		if (!strcmp(k->rk[i].node, node) && strata_sign_pubkey_equal(&k->rk[i].key, &want))
			return 0;
	return strata_error_setc(STRATA_EVERIFY, "%s: the key given for %s is not one your keys list for it (a swapped "
				 "key, or one you do not hold yet)", where, node);
}

static void say(checker *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(checker *k, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	if (!k->say)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	k->say(text, k->payload);
}

static void cover(checker *k, const char *name)
{
	for (size_t i = 0; i < k->ev->n; i++)
		if (!strcmp(k->ev->e[i].name, name))
			k->covered[i] = 1;
}

static void sha256_hex(char out[65], const strata_buf *b)
{
	unsigned char d[32];

	strata_digest_sha256(d, b->ptr ? b->ptr : "", b->len);
	strata_enc_hex(out, d, 32);
}

/* the file `name`, whose SHA-256 the signed part lists as `want` */
static const strata_buf *listed_file(checker *k, const char *part, const char *name, const char *want)
{
	const strata_buf *b = strata_evidence_get(k->ev, name);
	char got[65];

	if (!b) {
		strata_error_setc(STRATA_EVERIFY, "%s lists '%s', and the bundle does not hold it (removed?)", part, name);
		return NULL;
	}
	sha256_hex(got, b);
	if (!want || strcmp(got, want)) {
		strata_error_setc(STRATA_EVERIFY, "'%s' is not the file %s lists: its SHA-256 differs (changed after "
				  "it was signed)", name, part);
		return NULL;
	}
	cover(k, name);
	return b;
}

/* a git object the part lists: objects/TYPE/ID, its id recomputed */
static const strata_buf *object(checker *k, const char *part, json_t *files, const char *type, const char *hex)
{
	char name[80];
	const strata_buf *b;
	git_oid want, got;
	git_object_t t = !strcmp(type, "commit") ? GIT_OBJECT_COMMIT : !strcmp(type, "tree") ? GIT_OBJECT_TREE : GIT_OBJECT_BLOB;

	if (!hex || strlen(hex) != 40 || git_oid_fromstr(&want, hex) < 0) {
		strata_error_setc(STRATA_EVERIFY, "%s: '%s' is not an object id", part, hex ? hex : "(none)");
		return NULL;
	}
	snprintf(name, sizeof(name), "objects/%s/%s", type, hex);
	if ((b = listed_file(k, part, name, json_string_value(json_object_get(files, name)))) == NULL)
		return NULL;
	if (git_odb_hash(&got, b->ptr ? b->ptr : "", b->len, t) < 0 || !git_oid_equal(&got, &want)) {
		git_error_clear();
		strata_error_setc(STRATA_EVERIFY, "'%s' is not the object it is named for: its id differs", name);
		return NULL;
	}
	return b;
}

/* a tree's entry named `name` (or, name NULL, the one with id `id`): its id into *out; 1 if found */
static int tree_entry(const strata_buf *tree, const char *name, const git_oid *id, git_oid *out)
{
	const char *p = tree->ptr, *end = tree->ptr + tree->len;

	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p)), *nul;
		if (!sp || (nul = memchr(sp, '\0', (size_t)(end - sp))) == NULL || end - nul < 21)
			return 0;
		if (name ? !strcmp(sp + 1, name) : !memcmp(nul + 1, id->id, GIT_OID_RAWSZ)) {
			git_oid_fromraw(out, (const unsigned char *)nul + 1);
			return 1;
		}
		p = nul + 21;
	}
	return 0;
}

/* a raw commit's trailer `key`, "" if none */
static void trailer(char *out, size_t outsz, const strata_buf *commit, const char *key)
{
	strata_sign_commit_trailer(commit->ptr ? commit->ptr : "", key, out, outsz);
}

/* 1 if `line` is one whole line of the leaf */
static int leaf_holds(const strata_buf *leaf, const char *line)
{
	size_t len = strlen(line);
	const char *p = leaf->ptr, *end = leaf->ptr + leaf->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n == len && !memcmp(p, line, len))
			return 1;
		p += n + 1;
	}
	return 0;
}

/* 1 if the raw commit `c` carries an SSH signature (namespace git) by `key` */
static int signed_by(const strata_buf *c, const strata_pubkey *key)
{
	strata_buf sig = STRATA_BUF_INIT, data = STRATA_BUF_INIT;
	strata_pubkey got;
	int ok = strata_sign_split_commit(&sig, &data, c->ptr, c->len) == 1 &&
		 strata_sign_sshsig_verify(&got, sig.ptr, sig.len, "git", data.ptr, data.len) == 0 &&
		 strata_sign_pubkey_equal(&got, key);

	strata_error_clear();
	strata_buf_dispose(&sig);
	strata_buf_dispose(&data);
	return ok;
}

/*
 * A raw commit's officer signature (strata/node/officers.h), with no node:
 * the event names the officer and their key's fingerprint in a line the
 * node's signature covers ("Strata-Officer: NAME <SHA256:...>"); the
 * last line is their SSHSIG (namespace strata-officer) over the commit's
 * bytes before it, without the node's gpgsig header.  1 and `who` ("NAME
 * <SHA256:...>") if the officer's signature checks with the key of that
 * fingerprint; 0 if the commit names no officer; STRATA_EVERIFY otherwise.
 */
#define OFFICER_LINE "\nStrata-Officer: "
static int officer_signed(const strata_buf *c, char *who, size_t whosz)
{
	strata_buf sig = STRATA_BUF_INIT, data = STRATA_BUF_INIT, fpr = STRATA_BUF_INIT;
	const char *msg, *at, *lt;
	strata_pubkey pk;
	int error = STRATA_EVERIFY;

	who[0] = '\0';
	if (strata_sign_split_commit(&sig, &data, c->ptr, c->len) != 1 || !data.len) {
		strata_error_clear();
		error = 0;	/* unsigned: the caller's check says so */
		goto done;
	}
	if ((msg = strstr(data.ptr, "\n\n")) == NULL || (at = strstr(msg, OFFICER_LINE)) == NULL) {
		error = 0;
		goto done;
	}
	at += strlen(OFFICER_LINE);
	snprintf(who, whosz, "%.*s", (int)strcspn(at, "\n"), at);
	if (strata_sign_last_line_verify(&pk, data.ptr, data.len, "Strata-Officer-Signature: ", "strata-officer") != 1 ||
	    (lt = strchr(who, '<')) == NULL || strata_sign_pubkey_fingerprint(&fpr, &pk) < 0 ||
	    strncmp(lt + 1, fpr.ptr, fpr.len) || lt[1 + fpr.len] != '>') {
		strata_error_clear();
		goto done;
	}
	error = 1;
done:
	strata_buf_dispose(&sig);
	strata_buf_dispose(&data);
	strata_buf_dispose(&fpr);
	return error;
}

/* one hop: its commit signed by the key given, its tree down to the leaf holding the record */
static int check_hop(checker *k, const char *part, json_t *files, json_t *hop, size_t i, json_t *key,
		     char *source, size_t sourcesz)
{
	const char *commit = json_string_value(json_object_get(hop, "commit")),
		   *node = json_string_value(json_object_get(hop, "node")),
		   *signer_key = json_string_value(json_object_get(hop, "signer_key")),
		   *record = json_string_value(json_object_get(hop, "record"));
	json_t *trees = json_object_get(hop, "trees");
	const strata_buf *c, *t[3], *leaf, *schema;
	strata_buf fpr = STRATA_BUF_INIT;
	strata_pubkey want;
	git_oid id, next;
	char v[128];
	int error = STRATA_EVERIFY;

	if (!commit || !node || !signer_key || !record || !json_is_array(trees) || json_array_size(trees) != 3)
		return strata_error_setc(STRATA_EVERIFY, "%s: hop %zu is incomplete (commit, node, signer_key, record, "
					 "trees)", part, i + 1);
	if ((c = object(k, part, files, "commit", commit)) == NULL)
		return STRATA_EVERIFY;
	/* the commit's signature, by the key given for its node */
	if (strata_sign_pubkey_parse(&want, signer_key) < 0) {
		error = strata_error_setc(STRATA_EVERIFY, "%s: hop %zu: signer_key is not an ssh-ed25519 key", part, i + 1);
		goto done;
	}
	if (!signed_by(c, &want)) {
		error = strata_error_setc(STRATA_EVERIFY, "commit %.12s (%s, hop %zu): its signature does not check with "
					  "the key given for %s", commit, part, i + 1, node);
		goto done;
	}
	if ((error = known_key(k, node, signer_key, part)) < 0)
		goto done;
	error = STRATA_EVERIFY;
	trailer(v, sizeof(v), c, "Strata-Node");
	if (strcmp(v, node)) {
		error = strata_error_setc(STRATA_EVERIFY, "commit %.12s (%s, hop %zu): it says it is %s's, not %s's",
					  commit, part, i + 1, v[0] ? v : "nobody", node);
		goto done;
	}
	strata_sign_pubkey_fingerprint(&fpr, &want);
	say(k, _("commit %.12s: signed by %s (%s)"), commit, node, fpr.ptr ? fpr.ptr : "?");
	/* the record in it: commit -> tree -> records/ -> dir -> leaf */
	for (size_t j = 0; j < 3; j++)
		if ((t[j] = object(k, part, files, "tree", json_string_value(json_array_get(trees, j)))) == NULL)
			goto done;
	if (strncmp(c->ptr, "tree ", 5) || strncmp(c->ptr + 5, json_string_value(json_array_get(trees, 0)), 40) ||
	    c->ptr[45] != '\n') {
		error = strata_error_setc(STRATA_EVERIFY, "commit %.12s (%s, hop %zu): its tree is not the one given", commit,
					  part, i + 1);
		goto done;
	}
	if (!tree_entry(t[0], "records", NULL, &id) || git_oid_fromstr(&next, json_string_value(json_array_get(trees, 1))) < 0 ||
	    !git_oid_equal(&id, &next) || git_oid_fromstr(&next, json_string_value(json_array_get(trees, 2))) < 0 ||
	    !tree_entry(t[1], NULL, &next, &id)) {
		error = strata_error_setc(STRATA_EVERIFY, "commit %.12s (%s, hop %zu): the trees given are not its path to "
					  "the record", commit, part, i + 1);
		goto done;
	}
	if ((schema = object(k, part, files, "blob", json_string_value(json_object_get(hop, "schema")))) == NULL)
		goto done;
	if (git_oid_fromstr(&next, jstr(json_object_get(hop, "leaf"))) < 0 || !tree_entry(t[2], NULL, &next, &id)) {
		error = strata_error_setc(STRATA_EVERIFY, "commit %.12s (%s, hop %zu): the leaf given is not in its tree",
					  commit, part, i + 1);
		goto done;
	}
	git_oid_fromstr(&next, json_string_value(json_object_get(hop, "schema")));
	if (!tree_entry(t[0], "schema.json", NULL, &id) || !git_oid_equal(&id, &next)) {
		error = strata_error_setc(STRATA_EVERIFY, "commit %.12s (%s, hop %zu): the schema given is not its own",
					  commit, part, i + 1);
		goto done;
	}
	/*
	 * The leaf holds the records beside this one, other people's: it is in
	 * the bundle only where the exporter chose to hand them on too
	 * (--whole-leaf); else the record's place in it is the part's word,
	 * signed, and the check says so.
	 */
	snprintf(v, sizeof(v), "objects/blob/%s", jstr(json_object_get(hop, "leaf")));
	if (json_object_get(files, v)) {
		if ((leaf = object(k, part, files, "blob", jstr(json_object_get(hop, "leaf")))) == NULL)
			goto done;
		if (!leaf_holds(leaf, record)) {
			error = strata_error_setc(STRATA_EVERIFY, "commit %.12s (%s, hop %zu): it does not hold the record "
						  "shown", commit, part, i + 1);
			goto done;
		}
		say(k, _("commit %.12s: holds the record shown (its leaf recomputed)"), commit);
	} else
		say(k, _("commit %.12s: its leaf %.12s is in its tree; that the leaf holds the record shown is %s's "
			 "signed word (the leaf, with other people's records, is not in the bundle)"), commit,
		    jstr(json_object_get(hop, "leaf")), part);
	/* the first hop holds it under the key the part claims */
	if (key) {
		strata_schema *s = NULL;
		unsigned char a[STRATA_HASH_LEN], b[STRATA_HASH_LEN];
		size_t nk = json_array_size(key), *lens = calloc(nk ? nk : 1, sizeof(*lens));
		char **vals = calloc(nk ? nk : 1, sizeof(*vals));
		int same = 0, strings = 1;
		for (size_t j = 0; lens && vals && j < nk; j++) {
			vals[j] = (char *)json_string_value(json_array_get(key, j));
			lens[j] = vals[j] ? strlen(vals[j]) : 0;
			strings &= vals[j] != NULL;
		}
		if (lens && vals && strings && strata_schema_parse(&s, schema->ptr, schema->len) == 0 && s->nkey == nk &&
		    strata_trie_keyhash(a, vals, lens, nk) == 0 &&
		    strata_trie_line_keyhash(b, record, strlen(record), s->key, s->nkey) == 0)
			same = !memcmp(a, b, sizeof(a));
		strata_error_clear();
		strata_schema_free(s);
		free(lens);
		free(vals);
		if (!same) {
			error = strata_error_setc(STRATA_EVERIFY, "commit %.12s (%s, hop %zu): the record it holds is not "
						  "the one with the key claimed", commit, part, i + 1);
			goto done;
		}
	}
	/* a view: the policy it names is the one its commit names, signed; and the text, where the part brings it */
	if (json_object_get(hop, "policy")) {
		const char *blob = jstr(json_object_get(json_object_get(hop, "policy"), "blob"));
		trailer(v, sizeof(v), c, "Strata-Policy");
		if (strcmp(v, blob)) {
			error = strata_error_setc(STRATA_EVERIFY, "commit %.12s (%s, hop %zu): the policy given is not the "
						  "one it names", commit, part, i + 1);
			goto done;
		}
		snprintf(v, sizeof(v), "objects/blob/%s", blob);
		if (json_object_get(files, v) && object(k, part, files, "blob", blob) == NULL)
			goto done;
	}
	trailer(source, sourcesz, c, "Strata-Source");
	error = 0;
done:
	strata_buf_dispose(&fpr);
	return error;
}

/* a raw commit's first parent into `out` (1), 0 if it has none */
static int commit_parent(const strata_buf *c, char out[GIT_OID_HEXSZ + 1])
{
	const char *end = strstr(c->ptr, "\n\n"), *p = strstr(c->ptr, "\nparent ");

	if (!p || (end && p > end) || strspn(p + 8, "0123456789abcdef") < GIT_OID_HEXSZ)
		return 0;
	snprintf(out, GIT_OID_HEXSZ + 1, "%.40s", p + 8);
	return 1;
}

/*
 * The part's audit events: the chain from the log's head the part names
 * (signed) back `count` events, each the node's, each the parent of the
 * one after it; and for each hop the event that records it, in that
 * chain, naming the hop's commit.  Events signed by the node's key are
 * counted; one signed by an earlier key (before a rotation) is vouched
 * for by the chain from the signed head.
 */
#define EVENTS_MAX 200000
static int check_events(checker *k, const char *part, json_t *o, json_t *files, const strata_pubkey *pk,
			const char *node)
{
	json_t *ev = json_object_get(o, "events"), *hops = json_object_get(ev, "hops"), *index = NULL, *e;
	json_int_t count = json_integer_value(json_object_get(ev, "count"));
	char cur[GIT_OID_HEXSZ + 1], v[128];
	size_t good = 0, officers = 0, j;
	int error = STRATA_EVERIFY;

	if (!ev)
		return 0;
	if (!json_is_object(ev) || count < 1 || count > EVENTS_MAX || !json_is_array(hops) ||
	    strlen(jstr(json_object_get(ev, "head"))) != GIT_OID_HEXSZ)
		return strata_error_setc(STRATA_EVERIFY, "%s: its events are not as a bundle gives them (head, count, hops)",
					 part);
	snprintf(cur, sizeof(cur), "%s", jstr(json_object_get(ev, "head")));
	index = json_object();
	for (json_int_t i = 0; i < count; i++) {
		const strata_buf *c = object(k, part, files, "commit", cur);
		if (!c)
			goto done;
		trailer(v, sizeof(v), c, "Strata-Node");
		if (strcmp(v, node)) {
			error = strata_error_setc(STRATA_EVERIFY, "%s: audit event %.12s is not %s's", part, cur, node);
			goto done;
		}
		good += (size_t)signed_by(c, pk);
		{
			char who[200];
			int rc = officer_signed(c, who, sizeof(who));
			if (rc < 0) {
				error = strata_error_setc(STRATA_EVERIFY, "%s: audit event %.12s names officer %s, and their "
							  "signature on it does not check with the key it names", part, cur, who);
				goto done;
			}
			officers += (size_t)rc;
		}
		json_object_set_new(index, cur, json_integer(i));
		if (i + 1 < count && !commit_parent(c, cur)) {
			error = strata_error_setc(STRATA_EVERIFY, "%s: the audit log breaks at event %.12s: it has no parent, "
						  "and the part says %lld events", part, cur, (long long)count);
			goto done;
		}
	}
	json_array_foreach(hops, j, e) {
		const char *commit = jstr(json_object_get(e, "commit")), *event = jstr(json_object_get(e, "event"));
		char name[80];
		const strata_buf *c;
		const char *body;
		size_t h;
		for (h = 0; h < json_array_size(json_object_get(o, "hops")); h++)
			if (!strcmp(jstr(json_object_get(json_array_get(json_object_get(o, "hops"), h), "commit")), commit))
				break;
		snprintf(name, sizeof(name), "objects/commit/%s", event);
		if (h == json_array_size(json_object_get(o, "hops")) || !json_object_get(index, event) ||
		    (c = strata_evidence_get(k->ev, name)) == NULL) {
			error = strata_error_setc(STRATA_EVERIFY, "%s: the event given for commit %.12s is not one of its "
						  "audit log's, or the commit not one of its hops", part, commit);
			goto done;
		}
		trailer(v, sizeof(v), c, "Strata-Event");
		if ((body = strstr(c->ptr, "\n\n")) == NULL || !strstr(body, commit) ||
		    strcmp(v, jstr(json_object_get(e, "name")))) {
			error = strata_error_setc(STRATA_EVERIFY, "%s: audit event %.12s does not record commit %.12s as the "
						  "part says", part, event, commit);
			goto done;
		}
		say(k, _("commit %.12s: recorded at %s by audit event %.12s (%s, %s)"), commit, node, event, v,
		    jstr(json_object_get(e, "recorded")));
	}
	say(k, _("%s: %s's audit log, %lld event(s) from its head %.12s back to the oldest that records a hop: one "
		 "unbroken chain, %zu signed by %s's key given (any other by an earlier key, vouched for by the chain "
		 "from the signed head)"), part, node, (long long)count, jstr(json_object_get(ev, "head")), good, node);
	if (officers)
		say(k, _("%s: %zu of those events are an officer's act, each with the officer's own signature checked "
			 "with the key the event names"), part, officers);
	error = 0;
done:
	json_decref(index);
	return error;
}

/*
 * A part's timestamp (parts/N-NODE.json.tsr, the authority's certificate
 * beside it as .tsa.pem): where the part names an authority, its token must
 * be there, from that authority (the certificate's fingerprint is signed in
 * the part), over the part's bytes, and near the time the part says.
 */
#define STAMP_SKEW 300	/* seconds a node's clock may be off the authority's */
static int check_stamp(checker *k, const char *name, json_t *o, const strata_buf *text)
{
	json_t *tsa = json_object_get(o, "tsa");
	char tsr[180], pemname[180], when[40];
	const strata_buf *token, *pem;
	strata_buf fpr = STRATA_BUF_INIT, pin = STRATA_BUF_INIT;
	int64_t t = 0, exported = 0;
	int error = STRATA_EVERIFY;

	snprintf(tsr, sizeof(tsr), "%s.tsr", name);
	snprintf(pemname, sizeof(pemname), "%.*s.tsa.pem", (int)(strlen(name) - 5), name);
	if (!tsa) {
		if (strata_evidence_get(k->ev, tsr) || strata_evidence_get(k->ev, pemname))
			return strata_error_setc(STRATA_EVERIFY, "%s names no timestamp authority, and the bundle holds a token "
						 "for it (added after it was signed)", name);
		return 0;
	}
	if ((token = strata_evidence_get(k->ev, tsr)) == NULL || (pem = strata_evidence_get(k->ev, pemname)) == NULL)
		return strata_error_setc(STRATA_EVERIFY, "%s was timestamped, and the bundle does not hold its token and the "
					 "authority's certificate (%s, %s: removed?)", name, tsr, pemname);
	cover(k, tsr);
	cover(k, pemname);
	if (strata_timestamp_ca_fingerprint(&fpr, pem->ptr, pem->len) < 0 ||
	    strcmp(fpr.ptr, jstr(json_object_get(tsa, "certificate")))) {
		error = strata_error_setc(STRATA_EVERIFY, "%s: the timestamp authority's certificate is not the one the part "
					  "names (another authority)", pemname);
		goto done;
	}
	if (k->tsa && (strata_timestamp_ca_fingerprint(&pin, k->tsa, strlen(k->tsa)) < 0 || strcmp(pin.ptr, fpr.ptr))) {
		error = strata_error_setc(STRATA_EVERIFY, "%s: timestamped by an authority (%s) that is not the one you "
					  "trust (--tsa-cert)", name, fpr.ptr);
		goto done;
	}
	if (strata_timestamp_check(&t, token->ptr, token->len, text->ptr, text->len, pem->ptr, pem->len, NULL) < 0) {
		error = strata_error_setc(STRATA_EVERIFY, "%s: its timestamp does not check: %s", tsr, strata_error_last());
		goto done;
	}
	if (strata_time_parse(&exported, jstr(json_object_get(o, "exported")), 0, 0) < 0 ||
	    exported > t + STAMP_SKEW || exported < t - STAMP_SKEW) {
		strata_error_clear();
		strata_enc_utc_stamp(when, sizeof(when), t);
		error = strata_error_setc(STRATA_EVERIFY, "%s says it was exported at %s, and the timestamp authority saw it "
					  "at %s: its node's clock was wrong, or the time was changed", name,
					  jstr(json_object_get(o, "exported")), when);
		goto done;
	}
	strata_enc_utc_stamp(when, sizeof(when), t);
	say(k, _("%s: timestamped at %s by the authority %s"), name, when, fpr.ptr);
	k->stamped++;
	error = 0;
done:
	strata_buf_dispose(&fpr);
	strata_buf_dispose(&pin);
	return error;
}

/*
 * A request's evidence: the request and each answer, signed messages
 * (procmsg.h) each checked by its signature, by the key the part gives for
 * its origin (and the reader's, with --keys), naming this request.
 */
static int check_request(checker *k, const char *name, json_t *o, const char *file)
{
	const strata_buf *b = strata_evidence_get(k->ev, file);
	const char *id = jstr(json_object_get(o, "request"));
	json_t *doc, *signers = json_object_get(o, "signers"), *all = json_array(), *bodies = json_array(), *v;
	size_t i;
	int error = 0;

	if (!b || (doc = json_loadb(b->ptr, b->len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_string(json_object_get(doc, "request")) || !json_is_array(json_object_get(doc, "answers"))) {
		json_decref(all);
		json_decref(bodies);
		return strata_error_setc(STRATA_EVERIFY, "%s: not a request's messages", file);
	}
	json_array_append(all, json_object_get(doc, "request"));
	json_array_extend(all, json_object_get(doc, "answers"));
	json_array_foreach(all, i, v) {
		strata_procmsg *m = NULL;
		strata_buf line = STRATA_BUF_INIT, fpr = STRATA_BUF_INIT;
		const char *s = json_string_value(v);
		if (!s || strata_procmsg_decode(&m, file, s, strlen(s)) < 0) {
			error = strata_error_setc(STRATA_EVERIFY, "%s, message %zu: %s", file, i + 1,
						  s ? strata_error_last() : _("not a message"));
		} else if (i == 0 ? m->kind != STRATA_MSG_REQUEST || strcmp(strata_procmsg_str(m, "id") ? strata_procmsg_str(m, "id") : "", id)
				  : m->kind != STRATA_MSG_ANSWER ||
					    strcmp(strata_procmsg_str(m, "request") ? strata_procmsg_str(m, "request") : "", id)) {
			error = i == 0 ? strata_error_setc(STRATA_EVERIFY, "%s, message 1: not request %s", file, id)
				       : strata_error_setc(STRATA_EVERIFY, "%s, message %zu: not an answer to request %s", file,
							   i + 1, id);
		} else if (strata_sign_pubkey_format(&line, &m->key) < 0 ||
			   strcmp(jstr(json_object_get(signers, m->origin)), line.ptr)) {
			error = strata_error_setc(STRATA_EVERIFY, "%s, message %zu: signed by %s with a key %s does not give "
						  "for it", file, i + 1, m->origin, name);
		} else if ((error = known_key(k, m->origin, line.ptr, file)) == 0) {
			json_array_append(bodies, m->body);
			strata_sign_pubkey_fingerprint(&fpr, &m->key);
			if (i == 0)
				say(k, _("request %s: filed by %s for %s of %s, signed (%s)"), id, m->origin,
				    jstr(json_object_get(m->body, "dataset")), jstr(json_object_get(m->body, "owner")), fpr.ptr);
			else
				say(k, _("request %s: %s (%s) answered %s, signed (%s)"), id, m->origin,
				    jstr(json_object_get(m->body, "role")), jstr(json_object_get(m->body, "decision")), fpr.ptr);
		}
		strata_procmsg_free(m);
		strata_buf_dispose(&line);
		strata_buf_dispose(&fpr);
		if (error < 0)
			break;
	}
	/* the part repeats the messages' bodies (for its report): as they are */
	if (!error && !json_equal(bodies, json_object_get(o, "messages")))
		error = strata_error_setc(STRATA_EVERIFY, "%s does not repeat the messages of %s as they are", name, file);
	json_decref(bodies);
	json_decref(all);
	json_decref(doc);
	return error;
}

/* a commit object of the part, signed by `key`: its bytes, or NULL with the error set */
static const strata_buf *signed_commit(checker *k, const char *part, json_t *files, const char *hex, const strata_pubkey *key,
				       const char *what)
{
	const strata_buf *c = object(k, part, files, "commit", hex);

	if (!c)
		return NULL;
	if (!signed_by(c, key)) {
		strata_error_setc(STRATA_EVERIFY, "%s %.12s (%s): its signature does not check with the node's key", what, hex,
				  part);
		return NULL;
	}
	return c;
}

/*
 * A policy version's evidence: the node's signed commit that set it, its
 * tree holding NAME.yaml as the blob given, and the node's signed audit
 * event that committed it, naming that commit, blob, name and version.
 */
static int check_policy(checker *k, const char *name, json_t *o, const strata_pubkey *key)
{
	json_t *pol = json_object_get(o, "policy"), *files = json_object_get(o, "files");
	const char *pname = jstr(json_object_get(pol, "name")), *commit = jstr(json_object_get(pol, "commit")),
		   *tree = jstr(json_object_get(pol, "tree")), *blob = jstr(json_object_get(pol, "blob")),
		   *event = jstr(json_object_get(pol, "event"));
	const strata_buf *c, *t, *e;
	char file[80], v[128], ver[32];
	git_oid want, got;

	snprintf(ver, sizeof(ver), "%lld", (long long)json_integer_value(json_object_get(pol, "version")));
	if ((c = signed_commit(k, name, files, commit, key, _("the policies' commit"))) == NULL ||
	    (t = object(k, name, files, "tree", tree)) == NULL || object(k, name, files, "blob", blob) == NULL ||
	    (e = signed_commit(k, name, files, event, key, _("the audit event"))) == NULL)
		return STRATA_EVERIFY;
	snprintf(file, sizeof(file), "%s.yaml", pname);
	if (strncmp(c->ptr, "tree ", 5) || strncmp(c->ptr + 5, tree, 40) || git_oid_fromstr(&want, blob) < 0 ||
	    !tree_entry(t, file, NULL, &got) || !git_oid_equal(&got, &want))
		return strata_error_setc(STRATA_EVERIFY, "%s: commit %.12s does not hold %s as the blob given", name, commit, file);
	say(k, _("commit %.12s: signed by the node, holds %s (blob %.12s)"), commit, file, blob);
	trailer(v, sizeof(v), e, "Strata-Event");
	if (strcmp(v, "policy-commit"))
		return strata_error_setc(STRATA_EVERIFY, "%s: event %.12s is not a policy's commit", name, event);
	trailer(v, sizeof(v), e, "Strata-Commit");
	if (strcmp(v, commit))
		return strata_error_setc(STRATA_EVERIFY, "%s: event %.12s names another commit", name, event);
	trailer(v, sizeof(v), e, "Strata-Policy");
	if (strcmp(v, blob))
		return strata_error_setc(STRATA_EVERIFY, "%s: event %.12s names another policy file", name, event);
	trailer(v, sizeof(v), e, "Strata-Policy-Name");
	if (strcmp(v, pname))
		return strata_error_setc(STRATA_EVERIFY, "%s: event %.12s names another policy", name, event);
	trailer(v, sizeof(v), e, "Strata-Policy-Version");
	if (strcmp(v, ver))
		return strata_error_setc(STRATA_EVERIFY, "%s: event %.12s names another version", name, event);
	trailer(v, sizeof(v), e, "Strata-Purpose");
	if (strcmp(v, jstr(json_object_get(pol, "purpose"))))
		return strata_error_setc(STRATA_EVERIFY, "%s: the part does not give the purpose event %.12s says", name, event);
	trailer(v, sizeof(v), e, "Strata-Officer");
	if (strcmp(v, jstr(json_object_get(pol, "officer"))))
		return strata_error_setc(STRATA_EVERIFY, "%s: the part does not name the officer event %.12s names", name, event);
	if (v[0]) {
		char who[200];
		if (officer_signed(e, who, sizeof(who)) != 1)
			return strata_error_setc(STRATA_EVERIFY, "%s: event %.12s names officer %s, and their signature on it "
						 "does not check with the key it names", name, event, v);
		say(k, _("event %.12s: signed by the node, committed policy %s version %s, by officer %s (their own "
			 "signature checks with the key the event names)"), event, pname, ver, who);
	}
	else
		say(k, _("event %.12s: signed by the node, committed policy %s version %s"), event, pname, ver);
	return 0;
}

static int check_part(checker *k, size_t n, json_t **prev)
{
	char name[160], signame[170], want[65], source[128] = "", request_file[80] = "";
	int policy_part = 0;
	const strata_buf *text = strata_evidence_part(k->ev, n, name, sizeof(name)), *sig;
	json_error_t je;
	json_t *o = NULL, *files, *hops, *key, *next;
	const char *node, *node_key;
	strata_pubkey pk, got;
	int error = STRATA_EVERIFY;

	snprintf(signame, sizeof(signame), "%s.sig", name);
	cover(k, name);
	if ((sig = strata_evidence_get(k->ev, signame)) == NULL)
		return strata_error_setc(STRATA_EVERIFY, "%s has no signature (%s)", name, signame);
	cover(k, signame);
	if ((o = json_loadb(text->ptr, text->len, JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_object(o)) {
		json_decref(o);
		return strata_error_setc(STRATA_EVERIFY, "%s:%d: not a part of a bundle: %s", name, je.line, je.text);
	}
	node = json_string_value(json_object_get(o, "node"));
	node_key = json_string_value(json_object_get(o, "node_key"));
	files = json_object_get(o, "files");
	hops = json_object_get(o, "hops");
	key = json_object_get(o, "key");
	next = json_object_get(o, "next");
	if (!strcmp(jstr(json_object_get(o, "kind")), "policy")) {
		if (json_integer_value(json_object_get(o, "version")) != STRATA_EVIDENCE_VERSION || n != 1 ||
		    strata_evidence_parts(k->ev) != 1 || !node || !node_key || !json_is_object(files)) {
			error = strata_error_setc(STRATA_EVERIFY, "%s: a policy's evidence is a bundle of one part", name);
			goto done;
		}
		hops = NULL;
		policy_part = 1;
	} else if (!strcmp(jstr(json_object_get(o, "kind")), "erasure") || !strcmp(jstr(json_object_get(o, "kind")), "request")) {
		/* an erasure's certificate (checked by its own rules, a layer up) or a request's signed messages */
		const char *kind = jstr(json_object_get(o, "kind"));
		char file[80];
		if (json_integer_value(json_object_get(o, "version")) != STRATA_EVIDENCE_VERSION || n != 1 ||
		    strata_evidence_parts(k->ev) != 1 || !node || !node_key || !json_is_object(files)) {
			error = strata_error_setc(STRATA_EVERIFY, "%s: an erasure's or a request's evidence is a bundle of one "
						  "part", name);
			goto done;
		}
		snprintf(file, sizeof(file), "%s/%.16s.json", kind, jstr(json_object_get(o, kind)));
		if (!json_object_get(files, file)) {
			error = strata_error_setc(STRATA_EVERIFY, "%s does not list its %s", name, file);
			goto done;
		}
		hops = NULL;
		if (!strcmp(kind, "request"))
			snprintf(request_file, sizeof(request_file), "%s", file);
	} else if (json_integer_value(json_object_get(o, "version")) != STRATA_EVIDENCE_VERSION || !node || !node_key ||
	    !json_is_object(files) || !json_is_array(hops) || !json_array_size(hops) || !json_is_array(key)) {
		error = strata_error_setc(STRATA_EVERIFY, "%s: not a part of a version %d bundle (node, node_key, key, "
					  "hops, files)", name, STRATA_EVIDENCE_VERSION);
		goto done;
	}
	{
		/* the file's name says whose it is */
		const char *dash = strchr(name + 6, '-');
		if (!dash || strncmp(dash + 1, node, strlen(node)) || strcmp(dash + 1 + strlen(node), ".json")) {
			error = strata_error_setc(STRATA_EVERIFY, "%s: the part says it is %s's", name, node);
			goto done;
		}
	}
	if (strata_sign_pubkey_parse(&pk, node_key) < 0 ||
	    strata_sign_sshsig_verify(&got, sig->ptr, sig->len, STRATA_EVIDENCE_NAMESPACE, text->ptr, text->len) < 0 ||
	    !strata_sign_pubkey_equal(&got, &pk)) {
		error = strata_error_setc(STRATA_EVERIFY, "%s: its signature does not check with %s's key (%s)", name, node,
					  signame);
		goto done;
	}
	if ((error = known_key(k, node, node_key, name)) < 0)
		goto done;
	error = STRATA_EVERIFY;
	say(k, _("%s: signed by %s"), name, node);
	if ((error = check_stamp(k, name, o, text)) < 0)
		goto done;
	error = STRATA_EVERIFY;
	/* the part before it, whole, and where it said to go on */
	if (n > 1) {
		char pname[160];
		const strata_buf *ptext = strata_evidence_part(k->ev, n - 1, pname, sizeof(pname));
		json_t *cont = json_object_get(o, "continues"), *pnext = json_object_get(*prev, "next");
		const char *ncommit = json_string_value(json_object_get(pnext, "commit"));
		size_t j;
		sha256_hex(want, ptext);
		if (!json_is_object(cont) || strcmp(jstr(json_object_get(cont, "part")), pname) ||
		    strcmp(jstr(json_object_get(cont, "sha256")), want)) {
			error = strata_error_setc(STRATA_EVERIFY, "%s does not continue %s as it is (changed or removed)", name,
						  pname);
			goto done;
		}
		if (!json_is_object(pnext) || strcmp(jstr(json_object_get(pnext, "node")), node) ||
		    !json_equal(json_object_get(pnext, "key"), key)) {
			error = strata_error_setc(STRATA_EVERIFY, "%s: %s did not say to go on at %s with this key", name, pname,
						  node);
			goto done;
		}
		{
			json_t *phops = json_object_get(*prev, "hops");
			const char *plast = jstr(json_object_get(json_array_get(phops, json_array_size(phops) - 1), "commit"));
			if (strcmp(jstr(json_object_get(json_array_get(hops, 0), "commit")), plast)) {
				error = strata_error_setc(STRATA_EVERIFY, "%s does not start at commit %.12s, where %s ends", name,
							  plast, pname);
				goto done;
			}
		}
		for (j = 0; j < json_array_size(hops); j++)
			if (!strcmp(jstr(json_object_get(json_array_get(hops, j), "commit")), ncommit ? ncommit : "-"))
				break;
		if (j == json_array_size(hops)) {
			error = strata_error_setc(STRATA_EVERIFY, "%s: it does not hold commit %.12s, where %s said the trace "
						  "goes on", name, ncommit ? ncommit : "?", pname);
			goto done;
		}
	}
	for (size_t i = 0; i < json_array_size(hops); i++) {
		json_t *hop = json_array_get(hops, i);
		const char *role = json_string_value(json_object_get(hop, "role"));
		const char *want_source = i + 1 < json_array_size(hops) ? json_string_value(json_object_get(json_array_get(hops, i + 1), "commit"))
					  : json_string_value(json_object_get(next, "commit"));
		if ((error = check_hop(k, name, files, hop, i, i == 0 ? key : NULL, source, sizeof(source))) < 0)
			goto done;
		/* a view names, signed, the commit it was made from */
		if (role && strcmp(role, "owner") && want_source && strcmp(source, want_source)) {
			error = strata_error_setc(STRATA_EVERIFY, "%s, hop %zu: view %.12s was made from %.12s, not from "
						  "%.12s as the part says", name, i + 1,
						  json_string_value(json_object_get(hop, "commit")), source[0] ? source : "nothing",
						  want_source);
			goto done;
		}
		if (role && !strcmp(role, "owner") && i + 1 != json_array_size(hops)) {
			error = strata_error_setc(STRATA_EVERIFY, "%s, hop %zu: the owner's commit is the last hop", name, i + 1);
			goto done;
		}
	}
	if ((error = check_events(k, name, o, files, &pk, node)) < 0)
		goto done;
	error = STRATA_EVERIFY;
	/* every file the part lists is in the bundle, as listed */
	{
		const char *fname;
		json_t *v;
		json_object_foreach(files, fname, v)
			if (!listed_file(k, name, fname, json_string_value(v)))
				goto done;
	}
	/* a request's messages, once their file is the one the part lists; a policy's commits */
	if (request_file[0] && (error = check_request(k, name, o, request_file)) < 0)
		goto done;
	if (policy_part && (error = check_policy(k, name, o, &pk)) < 0)
		goto done;
	json_decref(*prev);
	*prev = o;
	return 0;
done:
	json_decref(o);
	return error;
}

int strata_evidence_verify(const strata_evidence *ev, const char *keys, const char *tsa, strata_evidence_say say_fn,
			   void *payload)
{
	checker k = { ev, say_fn, payload, calloc(ev->n ? ev->n : 1, 1), keys, NULL, 0, tsa, 0 };
	size_t parts = strata_evidence_parts(ev);
	json_t *prev = NULL;
	int error = 0;

	if (!k.covered)
		return strata_error_set("out of memory");
	if ((error = read_keys(&k)) < 0) {
		free(k.covered);
		free(k.rk);
		return error;
	}
	if (!parts)
		error = strata_error_setc(STRATA_EVERIFY, "the bundle has no parts/1-NODE.json");
	for (size_t n = 1; !error && n <= parts; n++)
		error = check_part(&k, n, &prev);
	/* the newest part covers the reader's files */
	if (!error) {
		char name[160];
		strata_evidence_part(ev, parts, name, sizeof(name));
		if (!listed_file(&k, name, "report.html", json_string_value(json_object_get(prev, "report"))) ||
		    !listed_file(&k, name, "allowed_signers", json_string_value(json_object_get(prev, "allowed_signers"))))
			error = STRATA_EVERIFY;
	}
	for (size_t i = 0; !error && i < ev->n; i++)
		if (!k.covered[i])
			error = strata_error_setc(STRATA_EVERIFY, "'%s' is in the bundle, and no part lists it (added after it "
						  "was signed)", ev->e[i].name);
	if (!error && ev->noncanonical)
		error = strata_error_setc(STRATA_EVERIFY, "the bundle's bytes around its files (tar headers, padding, its "
					  "end) are not as strata writes them: changed after it was written");
	if (!error && k.stamped < (int)parts)
		say(&k, k.stamped ? _("some parts' times are their nodes' own clocks: no timestamp authority vouches for them") :
				    _("the times are the nodes' own clocks: no timestamp authority vouches for them"));
	if (!error)
		say(&k, keys ? _("every key is one your keys list for its node") :
			       _("the keys are the bundle's own: compare their fingerprints with the nodes' published keys "
				 "(or check with --keys FILE)"));
	json_decref(prev);
	free(k.covered);
	free(k.rk);
	return error;
}
