/*
 * certificate.c - an erasure certificate, made from a node's ledger and
 * checked with no node (see certificate.h).
 *
 * Verification reads the commits from the file itself: each is hashed as
 * git hashes it ("commit LEN\0" + bytes, SHA-1) to check its id, split as
 * git splits it (the gpgsig header out, the rest signed), and its SSHSIG
 * checked against the key the file gives for the node its Strata-Node
 * trailer names.  Nothing in the file is trusted before that.
 */
#include "strata/replica/certificate.h"
#include "strata/base/i18n.h"
#include "strata/base/array.h"
#include "strata/base/enc.h"
#include "strata/base/fs.h"
#include "strata/format/name.h"
#include "strata/format/sign.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"
#include "strata/node/ledger.h"
#include "strata/node/peers.h"
#include "strata/node/refs.h"
#include "strata/replica/receipt.h"

#include <jansson.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"
#define CHAIN_MAX 100000

/* --- making one --- */

typedef struct {
	strata_node *n;
	const char *id;
	json_t *commits;
} export_ctx;

static int add_commit(export_ctx *x, const git_oid *id)
{
	git_odb *odb = NULL;
	git_odb_object *o = NULL;
	strata_buf b64 = STRATA_BUF_INIT;
	int error = 0;

	if (json_object_get(x->commits, git_oid_tostr_s(id)))
		return 0;
	if (git_repository_odb(&odb, strata_node_repo(x->n)) < 0)
		return strata_error_git("cannot open the object store");
	if (git_odb_read(&o, odb, id) < 0 || git_odb_object_type(o) != GIT_OBJECT_COMMIT) {
		git_error_clear();	/* gone with a later cut: the certificate says what is left */
		goto done;
	}
	if ((error = strata_enc_base64(&b64, git_odb_object_data(o), git_odb_object_size(o))) == 0)
		error = json_object_set_new(x->commits, git_oid_tostr_s(id), json_stringn(b64.ptr, b64.len)) < 0 ?
			strata_error_set("out of memory") : 0;
done:
	git_odb_object_free(o);
	git_odb_free(odb);
	strata_buf_dispose(&b64);
	return error;
}

/* The audit events that name the cut: its making, the views it cut, the confirmations kept. */
static int event_names_cut(const strata_audit_event *ev, void *payload)
{
	export_ctx *x = payload;
	char v[80];
	const char *msg = git_commit_message(ev->c), *p;
	int names = (strata_commit_trailer(ev->c, "Strata-Erasure", v, sizeof(v)) && !strcmp(v, x->id)) ||
		    (strata_commit_trailer(ev->c, "Strata-Cut", v, sizeof(v)) && !strcmp(v, x->id));
	if (!names && !strcmp(ev->event, "erasure-confirmed") && msg)
		for (p = msg; !names && (p = strstr(p, "Strata-Confirmed: ")) != NULL; p++)
			names = !strncmp(p + strlen("Strata-Confirmed: "), x->id, strlen(x->id));
	return names ? add_commit(x, &ev->commit) : 0;
}

/* A view's commits from `tip` back along first parents to its root. */
static int add_chain(export_ctx *x, const git_oid *tip)
{
	git_commit *c = NULL, *p = NULL;
	int error = 0, steps = 0;

	if (git_commit_lookup(&c, strata_node_repo(x->n), tip) < 0) {
		git_error_clear();
		return 0;
	}
	while (!error && c && steps++ < CHAIN_MAX) {
		error = add_commit(x, git_commit_id(c));
		if (git_commit_parentcount(c) == 0 || git_commit_parent(&p, c, 0) < 0) {
			git_error_clear();
			break;
		}
		git_commit_free(c);
		c = p;
		p = NULL;
	}
	git_commit_free(c);
	return error;
}

/* "have VIEW COMMIT" of a receipt's text, for `view`. */
static int receipt_have(git_oid *out, const char *text, size_t len, const char *view)
{
	const char *p = text, *end = text + len;
	size_t vl = strlen(view);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (ll == 5 + vl + 1 + GIT_OID_HEXSZ && !memcmp(p, "have ", 5) && !memcmp(p + 5, view, vl) && p[5 + vl] == ' ') {
			char hex[GIT_OID_HEXSZ + 1];
			memcpy(hex, p + 6 + vl, GIT_OID_HEXSZ);
			hex[GIT_OID_HEXSZ] = '\0';
			return git_oid_fromstr(out, hex) < 0 ? (git_error_clear(), 0) : 1;
		}
		if (!memcmp(p, ARMOR_BEGIN, ll < strlen(ARMOR_BEGIN) ? ll : strlen(ARMOR_BEGIN)) && ll >= strlen(ARMOR_BEGIN))
			break;
		p += ll + 1;
	}
	return 0;
}

static int key_of(json_t *keys, strata_node *n, const char *who)
{
	strata_buf k = STRATA_BUF_INIT;
	int error = 0;

	if (json_object_get(keys, who))
		return 0;
	if (!strcmp(who, strata_node_name(n))) {
		char *path = strata_fs_path_join(strata_node_path(n), "keys/node.pub");
		error = path ? strata_fs_read(&k, path, 4096) : STRATA_ERROR;
		free(path);
	} else {
		error = strata_peers_get(&k, n, who, "key");
	}
	if (error < 0) {
		strata_error_clear();	/* a peer since removed: its statements cannot be checked here */
		strata_buf_dispose(&k);
		return 0;
	}
	while (k.len && (k.ptr[k.len - 1] == '\n' || k.ptr[k.len - 1] == '\r'))
		k.ptr[--k.len] = '\0';
	json_object_set_new(keys, who, json_string(k.ptr));
	strata_buf_dispose(&k);
	return 0;
}

int strata_certificate_erasure(strata_buf *out, strata_node *n, const char *erasure)
{
	strata_cut_record *cuts = NULL, *c = NULL;
	size_t ncuts = 0;
	json_t *doc = json_object(), *keys = json_object(), *receipts = json_object(), *claims = json_array();
	export_ctx x = { n, erasure, json_object() };
	strata_buf text = STRATA_BUF_INIT, path = STRATA_BUF_INIT;
	char t[32];
	char *dump = NULL;
	int error;

	if ((error = strata_ledger_cuts(&cuts, &ncuts, n)) < 0)
		goto done;
	for (size_t i = 0; i < ncuts; i++)
		if (!strcmp(cuts[i].id, erasure))
			c = &cuts[i];
	if (!c) {
		error = strata_error_setc(STRATA_ENOTFOUND, "no cut '%s' in the ledger of node '%s': 'strata erasures' lists "
					  "those it made or passed on", erasure, strata_node_name(n));
		goto done;
	}
	strata_enc_utc_stamp(t, sizeof(t), c->time);
	json_object_set_new(doc, "format", json_string(STRATA_CERTIFICATE_FORMAT));
	json_object_set_new(doc, "erasure", json_string(c->id));
	json_object_set_new(doc, "kind", json_string(c->kind));
	json_object_set_new(doc, "dataset", json_string(c->dataset));
	json_object_set_new(doc, "issuer", json_string(strata_node_name(n)));
	json_object_set_new(doc, "made_at", json_string(t));
	json_object_set_new(doc, "reason", c->reason[0] ? json_string(c->reason) : json_null());
	json_object_set_new(doc, "received_from", c->from[0] ? json_string(c->from) : json_null());
	if ((error = key_of(keys, n, strata_node_name(n))) < 0 ||
	    (error = strata_audit_foreach(n, event_names_cut, &x)) < 0)
		goto done;
	/* the dataset's own cut root, at the owner */
	{
		strata_buf ref = STRATA_BUF_INIT;
		git_oid tip;
		if (strata_refs_dataset(&ref, c->dataset) == 0 && git_reference_name_to_id(&tip, strata_node_repo(n), ref.ptr) == 0) {
			git_commit *at = NULL, *p = NULL;
			char v[80];
			if (git_commit_lookup(&at, strata_node_repo(n), &tip) == 0) {
				while (git_commit_parentcount(at) > 0 && git_commit_parent(&p, at, 0) == 0) {
					git_commit_free(at);
					at = p;
				}
				if (strata_commit_trailer(at, "Strata-Cut", v, sizeof(v)) && !strcmp(v, erasure))
					error = add_commit(&x, git_commit_id(at));
				git_commit_free(at);
			}
		}
		git_error_clear();
		strata_error_clear();
		strata_buf_dispose(&ref);
		if (error < 0)
			goto done;
	}
	for (size_t i = 0; !error && i < c->nviews; i++)
		if ((error = key_of(keys, n, c->views[i].peer)) == 0)
			error = add_commit(&x, &c->views[i].commit);
	for (size_t i = 0; !error && i < c->nconfs; i++) {
		const strata_cut_conf *f = &c->confs[i];
		json_t *claim;
		strata_enc_utc_stamp(t, sizeof(t), f->time);
		claim = json_pack("{s:s, s:s, s:s, s:s}", "who", f->peer, "view", f->view, "confirmed_at", t, "by",
				  f->receipt[0] ? "receipt" : "owner");
		if (f->receipt[0]) {
			git_oid have;
			strata_buf_clear(&path);
			strata_buf_clear(&text);
			if ((error = strata_buf_printf(&path, "ledger/receipts/%s/%s", f->peer, f->receipt)) < 0 ||
			    (error = strata_ledger_get_text(&text, n, NULL, path.ptr)) < 0) {
				json_decref(claim);
				break;
			}
			json_object_set_new(receipts, path.ptr + strlen("ledger/receipts/"), json_stringn(text.ptr, text.len));
			json_object_set_new(claim, "receipt", json_string(path.ptr + strlen("ledger/receipts/")));
			if (receipt_have(&have, text.ptr, text.len, f->view))
				error = add_chain(&x, &have);
		}
		json_array_append_new(claims, claim);
	}
	for (size_t i = 0; !error && i < c->nbelow; i++) {
		const strata_cut_below *b = &c->below[i];
		json_t *claim;
		strata_enc_utc_stamp(t, sizeof(t), b->time);
		claim = json_pack("{s:s, s:s, s:s, s:s}", "who", b->node, "via", b->via, "confirmed_at", t, "by",
				  b->receipt[0] ? "receipt" : "owner");
		if (b->receipt[0]) {
			strata_buf_clear(&path);
			strata_buf_clear(&text);
			if ((error = strata_buf_printf(&path, "ledger/receipts/%s/%s", b->via, b->receipt)) < 0 ||
			    (error = strata_ledger_get_text(&text, n, NULL, path.ptr)) < 0 || (error = key_of(keys, n, b->via)) < 0) {
				json_decref(claim);
				break;
			}
			json_object_set_new(receipts, path.ptr + strlen("ledger/receipts/"), json_stringn(text.ptr, text.len));
			json_object_set_new(claim, "receipt", json_string(path.ptr + strlen("ledger/receipts/")));
		}
		json_array_append_new(claims, claim);
	}
	if (error < 0)
		goto done;
	json_object_set_new(doc, "keys", keys);
	json_object_set_new(doc, "commits", x.commits);
	json_object_set_new(doc, "receipts", receipts);
	json_object_set_new(doc, "claims", claims);
	keys = x.commits = receipts = claims = NULL;	/* transferred to doc */
	if ((dump = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENSURE_ASCII)) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if ((error = strata_buf_puts(out, dump)) == 0)
		error = strata_buf_putc(out, '\n');
done:
	free(dump);
	json_decref(doc);
	json_decref(keys);
	json_decref(x.commits);
	json_decref(receipts);
	json_decref(claims);
	strata_buf_dispose(&text);
	strata_buf_dispose(&path);
	strata_ledger_cuts_free(cuts, ncuts);
	return error;
}

/* --- checking one, with no node --- */

typedef struct {
	char id[GIT_OID_HEXSZ + 1];
	strata_buf raw;
	char signer[64];	/* the node whose key signed it, "" if none in the file did */
	char parent[GIT_OID_HEXSZ + 1];
	int64_t time;
} vcommit;

typedef struct {
	char name[64];
	strata_pubkey pk;
} vkey;

typedef struct {
	vkey *keys;
	size_t nkeys, akeys;
	vcommit *commits;
	size_t ncommits, acommits;
	strata_certificate_report report;
	void *payload;
} verify_ctx;

static void say(verify_ctx *v, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(verify_ctx *v, int ok, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (v->report)
		v->report(ok, msg, v->payload);
}

/* A trailer "Key: value" of a commit's or event's raw text (the message's lines), into out. */
static int raw_trailer(const strata_buf *raw, const char *key, char *out, size_t size)
{
	const char *body = memmem(raw->ptr, raw->len, "\n\n", 2), *p, *end = raw->ptr + raw->len;
	size_t kl = strlen(key);

	if (!body)
		return 0;
	for (p = body + 1; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (ll > kl + 2 && !memcmp(p, key, kl) && p[kl] == ':' && p[kl + 1] == ' ') {
			snprintf(out, size, "%.*s", (int)(ll - kl - 2), p + kl + 2);
			return 1;
		}
		p += ll + 1;
	}
	return 0;
}

static const vcommit *commit_of(const verify_ctx *v, const char *id)
{
	for (size_t i = 0; i < v->ncommits; i++)
		if (!strcmp(v->commits[i].id, id))
			return &v->commits[i];
	return NULL;
}

static const strata_pubkey *key_named(const verify_ctx *v, const char *name)
{
	for (size_t i = 0; i < v->nkeys; i++)
		if (!strcmp(v->keys[i].name, name))
			return &v->keys[i].pk;
	return NULL;
}

/* One commit: its id, its signature by the node it names. */
static int check_commit(verify_ctx *v, const char *id, const char *b64)
{
	vcommit *c;
	strata_buf sig = STRATA_BUF_INIT, data = STRATA_BUF_INIT, hdr = STRATA_BUF_INIT;
	unsigned char md[20];
	char hex[41], node[64] = "";
	const char *h, *end, *msg;
	strata_pubkey signer;
	const strata_pubkey *want;
	int error;

	if ((error = strata_array_grow(&v->commits, &v->acommits, v->ncommits + 1, 16)) < 0)
		return error;
	c = &v->commits[v->ncommits];
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	if (strata_enc_unbase64(&c->raw, b64, strlen(b64)) < 0) {
		strata_buf_dispose(&c->raw);
		return strata_error_setc(STRATA_EVERIFY, "commit %.12s: not base64", id);
	}
	v->ncommits++;
	strata_buf_printf(&hdr, "commit %zu", c->raw.len);
	strata_buf_putc(&hdr, '\0');
	strata_buf_put(&hdr, c->raw.ptr, c->raw.len);
	EVP_Digest(hdr.ptr, hdr.len, md, NULL, EVP_sha1(), NULL);
	strata_enc_hex(hex, md, sizeof(md));
	strata_buf_dispose(&hdr);
	if (strcmp(hex, id))
		return strata_error_setc(STRATA_EVERIFY, "commit %.12s: its bytes are commit %.12s: altered", id, hex);
	/* split as git does: the gpgsig header out (its continuation lines unindented), the rest signed */
	msg = memmem(c->raw.ptr, c->raw.len, "\n\n", 2);
	if (!msg)
		return strata_error_setc(STRATA_EVERIFY, "commit %.12s: no message", id);
	end = msg + 1;
	for (h = c->raw.ptr; h < end;) {
		const char *eol = memchr(h, '\n', (size_t)(end - h));
		size_t len = (size_t)(eol - h) + 1;
		if (!strncmp(h, "gpgsig ", 7)) {
			strata_buf_put(&sig, h + 7, len - 8);
			h += len;
			while (h < end && *h == ' ') {
				eol = memchr(h, '\n', (size_t)(end - h));
				len = (size_t)(eol - h) + 1;
				strata_buf_putc(&sig, '\n');
				strata_buf_put(&sig, h + 1, len - 2);
				h += len;
			}
			continue;
		}
		if (!strncmp(h, "parent ", 7) && !c->parent[0] && len >= 7 + GIT_OID_HEXSZ)
			snprintf(c->parent, sizeof(c->parent), "%.40s", h + 7);
		if (!strncmp(h, "committer ", 10)) {
			const char *gt = memchr(h, '>', len);
			if (gt)
				c->time = strtoll(gt + 2, NULL, 10);
		}
		strata_buf_put(&data, h, len);
		h += len;
	}
	strata_buf_put(&data, end, (size_t)(c->raw.ptr + c->raw.len - end));
	error = 0;
	if (!raw_trailer(&c->raw, "Strata-Node", node, sizeof(node)) || (want = key_named(v, node)) == NULL)
		error = strata_error_setc(STRATA_EVERIFY, "commit %.12s: names no node whose key the certificate gives", id);
	else if (!sig.len)
		error = strata_error_setc(STRATA_EVERIFY, "commit %.12s: not signed", id);
	else if (strata_sign_sshsig_verify(&signer, sig.ptr, sig.len, "git", data.ptr, data.len) < 0)
		error = strata_error_setc(STRATA_EVERIFY, "commit %.12s: its signature does not verify: %s", id, strata_error_last());
	else if (!strata_sign_pubkey_equal(&signer, want))
		error = strata_error_setc(STRATA_EVERIFY, "commit %.12s: signed by another key than %s's", id, node);
	else
		snprintf(c->signer, sizeof(c->signer), "%s", node);
	strata_buf_dispose(&sig);
	strata_buf_dispose(&data);
	return error;
}

/* A receipt: signed by `from`'s key, addressed to `to`; its signed text into *body, *blen. */
static int check_receipt(verify_ctx *v, const char *name, const char *text, const char *from, const char *to,
			 const char **body, size_t *blen)
{
	const char *armor = NULL, *armor_end, *p;
	size_t len = strlen(text);
	char hfrom[64] = "", hto[64] = "";
	const strata_pubkey *want = key_named(v, from);
	strata_pubkey signer;

	if (!strata_receipt_is(text, len))
		return strata_error_setc(STRATA_EVERIFY, "receipt %s: not a strata receipt", name);
	for (p = text; p < text + len;) {
		const char *nl = strchr(p, '\n');
		if (!strncmp(p, ARMOR_BEGIN, strlen(ARMOR_BEGIN))) {
			armor = p;
			break;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (!armor || (armor_end = strstr(armor, ARMOR_END)) == NULL)
		return strata_error_setc(STRATA_EVERIFY, "receipt %s: no signature", name);
	armor_end += strlen(ARMOR_END);
	sscanf(text + strlen(STRATA_RECEIPT_MAGIC), "from %63s\nto %63s", hfrom, hto);
	if (strcmp(hfrom, from) || strcmp(hto, to))
		return strata_error_setc(STRATA_EVERIFY, "receipt %s: from '%s' to '%s', not from '%s' to '%s'", name, hfrom, hto,
					 from, to);
	if (!want)
		return strata_error_setc(STRATA_EVERIFY, "receipt %s: the certificate gives no key of '%s'", name, from);
	if (strata_sign_sshsig_verify(&signer, armor, (size_t)(armor_end - armor), STRATA_RECEIPT_NAMESPACE, text,
				      (size_t)(armor - text)) < 0)
		return strata_error_setc(STRATA_EVERIFY, "receipt %s: its signature does not verify: %s", name, strata_error_last());
	if (!strata_sign_pubkey_equal(&signer, want))
		return strata_error_setc(STRATA_EVERIFY, "receipt %s: signed by another key than %s's", name, from);
	*body = text;
	*blen = (size_t)(armor - text);
	return 0;
}

/* A view's commit a receipt names reaches, by first parents within the file, this cut's root or a later cut's. */
static int reaches_cut(const verify_ctx *v, const char *issuer, const char *tip, const char *cut, int64_t made)
{
	const vcommit *c = commit_of(v, tip);
	for (int steps = 0; c && steps < CHAIN_MAX; steps++) {
		char t[80];
		if (strcmp(c->signer, issuer))
			return 0;
		if (!c->parent[0])
			return raw_trailer(&c->raw, "Strata-Cut", t, sizeof(t)) && (!strcmp(t, cut) || c->time >= made);
		c = commit_of(v, c->parent);
	}
	return 0;
}

int strata_certificate_verify(const char *text, size_t len, strata_certificate_report report, void *payload)
{
	verify_ctx v;
	json_error_t jerr;
	json_t *doc = NULL, *o, *claim;
	const char *key, *id, *issuer, *kind, *dataset;
	char tv[600];
	size_t i;
	int64_t made = 0;
	int error = 0, stated = 0;

	memset(&v, 0, sizeof(v));
	v.report = report;
	v.payload = payload;
	if (len > STRATA_CERTIFICATE_MAX || (doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		error = strata_error_set("not a certificate: line %d: %s", jerr.line, jerr.text);
		goto done;
	}
	if (!json_is_string(json_object_get(doc, "format")) ||
	    strcmp(json_string_value(json_object_get(doc, "format")), STRATA_CERTIFICATE_FORMAT) ||
	    !(id = json_string_value(json_object_get(doc, "erasure"))) || !(issuer = json_string_value(json_object_get(doc, "issuer"))) ||
	    !(kind = json_string_value(json_object_get(doc, "kind"))) || !(dataset = json_string_value(json_object_get(doc, "dataset"))) ||
	    !json_is_object(json_object_get(doc, "keys")) || !json_is_object(json_object_get(doc, "commits")) ||
	    !json_is_object(json_object_get(doc, "receipts")) || !json_is_array(json_object_get(doc, "claims"))) {
		error = strata_error_set("not a certificate: format '%s' expected, with erasure, issuer, kind, dataset, keys, "
					 "commits, receipts and claims", STRATA_CERTIFICATE_FORMAT);
		goto done;
	}
	json_object_foreach(json_object_get(doc, "keys"), key, o) {
		if ((error = strata_array_grow(&v.keys, &v.akeys, v.nkeys + 1, 8)) < 0)
			goto done;
		if (!strata_name_node_valid(key) || !json_is_string(o) || strata_sign_pubkey_parse(&v.keys[v.nkeys].pk, json_string_value(o)) < 0) {
			error = strata_error_setc(STRATA_EVERIFY, "key of '%s': not an OpenSSH Ed25519 public key", key);
			goto done;
		}
		snprintf(v.keys[v.nkeys++].name, sizeof(v.keys->name), "%s", key);
	}
	json_object_foreach(json_object_get(doc, "commits"), key, o) {
		if (!json_is_string(o) || strlen(key) != GIT_OID_HEXSZ) {
			error = strata_error_setc(STRATA_EVERIFY, "commit '%.40s': malformed", key);
			goto done;
		}
		if ((error = check_commit(&v, key, json_string_value(o))) < 0) {
			say(&v, 0, "%s", strata_error_last());
			goto done;
		}
	}
	say(&v, 1, "%zu commits: each its id, signed by the node it names (%zu keys given)", v.ncommits, v.nkeys);
	/* the statement: the issuer's own signed event that makes the cut */
	for (i = 0; i < v.ncommits; i++) {
		const vcommit *c = &v.commits[i];
		char ev[64] = "", e[80] = "", ds[320] = "", why[512] = "", t[32];
		if (strcmp(c->signer, issuer) || !raw_trailer(&c->raw, "Strata-Event", ev, sizeof(ev)))
			continue;
		if (!((raw_trailer(&c->raw, "Strata-Erasure", e, sizeof(e)) || raw_trailer(&c->raw, "Strata-Cut", e, sizeof(e))) &&
		      !strcmp(e, id)))
			continue;
		if (!strcmp(ev, "erase")) {
			/* what the header says of it is what the owner signed */
			const char *hr = json_string_value(json_object_get(doc, "reason"));
			raw_trailer(&c->raw, "Strata-Reason", why, sizeof(why));
			if (!raw_trailer(&c->raw, "Strata-Dataset", ds, sizeof(ds)) || strcmp(ds, dataset) || strcmp(kind, "erasure") ||
			    (hr && strcmp(hr, why))) {
				error = strata_error_setc(STRATA_EVERIFY, "the erase event %.12s (dataset '%s', reason '%s') is not what "
							  "the certificate says (%s '%s', reason '%s')", c->id, ds, why, kind, dataset,
							  hr ? hr : "");
				say(&v, 0, "%s", strata_error_last());
				goto done;
			}
		}
		strata_enc_utc_stamp(t, sizeof(t), c->time);
		if (!made || c->time < made)
			made = c->time;
		say(&v, 1, "%s signed at %s (event %s, %.12s) the %s %s of %s%s%s", issuer, t, ev, c->id, kind, id, dataset,
		    why[0] ? ": " : "", why);
		stated = 1;
	}
	if (!stated) {
		error = strata_error_setc(STRATA_EVERIFY, "no event signed by '%s' makes cut %s", issuer, id);
		say(&v, 0, "%s", strata_error_last());
		goto done;
	}
	json_array_foreach(json_object_get(doc, "claims"), i, claim) {
		const char *who = json_string_value(json_object_get(claim, "who")), *view = json_string_value(json_object_get(claim, "view")),
			   *via = json_string_value(json_object_get(claim, "via")), *by = json_string_value(json_object_get(claim, "by")),
			   *rname = json_string_value(json_object_get(claim, "receipt")),
			   *when = json_string_value(json_object_get(claim, "confirmed_at"));
		if (!who || !by || !when || (!view && !via)) {
			error = strata_error_setc(STRATA_EVERIFY, "claim %zu: malformed", i + 1);
			say(&v, 0, "%s", strata_error_last());
			goto done;
		}
		if (!strcmp(by, "receipt")) {
			const char *rt = rname ? json_string_value(json_object_get(json_object_get(doc, "receipts"), rname)) : NULL;
			const char *body = NULL;
			size_t blen = 0;
			if (!rt) {
				error = strata_error_setc(STRATA_EVERIFY, "claim %zu (%s): its receipt is not in the certificate", i + 1, who);
			} else if ((error = check_receipt(&v, rname, rt, view ? who : via, issuer, &body, &blen)) == 0 && view) {
				/* it holds the view at a commit on the cut */
				strata_buf want = STRATA_BUF_INIT;
				const char *h;
				strata_buf_printf(&want, "\nhave %s ", view);
				h = want.ptr ? memmem(body, blen, want.ptr, want.len) : NULL;
				if (!h || (size_t)(body + blen - (h + want.len)) < GIT_OID_HEXSZ)
					error = strata_error_setc(STRATA_EVERIFY, "receipt %s names no view '%s'", rname, view);
				else {
					char tip[GIT_OID_HEXSZ + 1];
					snprintf(tip, sizeof(tip), "%.40s", h + want.len);
					if (!reaches_cut(&v, issuer, tip, id, made))
						error = strata_error_setc(STRATA_EVERIFY, "receipt %s: '%s' holds %s at %.12s, which does "
									  "not stand on the cut (or its history is not in the "
									  "certificate)", rname, who, view, tip);
				}
				strata_buf_dispose(&want);
				if (!error)
					snprintf(tv, sizeof(tv), _("%s holds %s on the cut, as its own signed receipt %s says (%s)"), who,
						 view, rname, when);
			} else if (!error) {
				strata_buf line = STRATA_BUF_INIT;
				strata_buf_printf(&line, "\nerasure %s %s %s confirmed ", id, who, via);
				if (!line.ptr || !memmem(body, blen, line.ptr, line.len))
					error = strata_error_setc(STRATA_EVERIFY, "receipt %s does not say %s confirmed %s", rname, who, id);
				else
					snprintf(tv, sizeof(tv), _("%s confirmed it, as %s vouches in its signed receipt %s (%s)"), who, via,
						 rname, when);
				strata_buf_dispose(&line);
			}
		} else if (!strcmp(by, "owner")) {
			int found = 0;
			for (size_t k = 0; !found && k < v.ncommits; k++) {
				char ev[64];
				found = !strcmp(v.commits[k].signer, issuer) && raw_trailer(&v.commits[k].raw, "Strata-Event", ev, sizeof(ev)) &&
					!strcmp(ev, "erasure-confirmed") &&
					memmem(v.commits[k].raw.ptr, v.commits[k].raw.len, id, strlen(id)) != NULL;
			}
			if (!found)
				error = strata_error_setc(STRATA_EVERIFY, "claim %zu (%s): no event of %s's records the confirmation",
							  i + 1, who, issuer);
			else
				snprintf(tv, sizeof(tv), _("%s confirmed it over its pinned-key TLS connection, as %s's signed audit "
					 "log records (%s)"), who, issuer, when);
		} else {
			error = strata_error_setc(STRATA_EVERIFY, "claim %zu: by '%s'", i + 1, by);
		}
		if (error) {
			say(&v, 0, "%s", strata_error_last());
			goto done;
		}
		say(&v, 1, "%s", tv);
	}
done:
	for (i = 0; i < v.ncommits; i++)
		strata_buf_dispose(&v.commits[i].raw);
	free(v.commits);
	free(v.keys);
	json_decref(doc);
	return error;
}
