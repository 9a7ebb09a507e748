/*
 * evidence_export.c - this node's part of an evidence bundle
 * (evidence_export.h).
 */
#include "strata/replica/evidence_export.h"
#include "strata/base/array.h"
#include "strata/base/digest.h"
#include "strata/base/i18n.h"
#include "strata/base/enc.h"
#include "strata/base/time.h"
#include "strata/format/schema.h"
#include "strata/format/sign.h"
#include "strata/format/timestamp.h"
#include "strata/format/trie.h"
#include "strata/node/commit.h"
#include "strata/node/officers.h"
#include "strata/replica/certificate.h"
#include "strata/replica/process.h"
#include "strata/policy/policy.h"
#include "strata/policy/policy_store.h"
#include "strata/node/audit.h"
#include "strata/format/procmsg.h"
#include "strata/replica/provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	strata_evidence *ev;
	json_t *files;		/* name -> SHA-256, of what this part adds */
	int whole_leaf;
} adding;

static int add_file(adding *a, const char *name, const void *data, size_t len)
{
	unsigned char d[32];
	char hex[65];

	strata_digest_sha256(d, data, len);
	strata_enc_hex(hex, d, 32);
	if (json_object_set_new(a->files, name, json_string(hex)) < 0)
		return strata_error_set("out of memory");
	return strata_evidence_put(a->ev, name, data, len);
}

/* objects/TYPE/ID as `git cat-file TYPE ID` prints it */
static int add_object(adding *a, git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	git_odb_object *o = NULL;
	char name[80], hex[GIT_OID_HEXSZ + 1];
	int error = 0;

	git_oid_tostr(hex, sizeof(hex), id);
	if (git_repository_odb(&odb, repo) < 0 || git_odb_read(&o, odb, id) < 0) {
		error = strata_error_git("cannot read an object of the trace");
		goto done;
	}
	snprintf(name, sizeof(name), "objects/%s/%s", git_object_type2string(git_odb_object_type(o)), hex);
	error = add_file(a, name, git_odb_object_data(o), git_odb_object_size(o));
done:
	git_odb_object_free(o);
	git_odb_free(odb);
	return error;
}

static const char *role_of(const strata_trace_hop *h)
{
	return !h->is_view ? "owner" : h->built_here ? "view-built" : "view-received";
}

/* one hop: its commit, the trees down to the record's leaf, the schema; the key that signed it */
static int hop_json(json_t **out, adding *a, strata_node *n, const strata_trace_hop *h)
{
	git_repository *repo = strata_node_repo(n);
	git_commit *c = NULL;
	git_tree *root = NULL, *records = NULL, *dir = NULL;
	strata_schema *s = NULL;
	strata_buf sig = STRATA_BUF_INIT, data = STRATA_BUF_INIT, keyline = STRATA_BUF_INIT;
	strata_pubkey pk;
	unsigned char hash[STRATA_HASH_LEN];
	const git_tree_entry *e;
	char hex[6][GIT_OID_HEXSZ + 1], when[40];
	json_t *o = NULL;
	long i;
	int error = STRATA_ERROR;

	*out = NULL;
	if (git_commit_lookup(&c, repo, &h->commit) < 0 || git_commit_tree(&root, c) < 0) {
		error = strata_error_git("cannot read commit");
		goto done;
	}
	/* the key that signed it, as this node checked it (trace: good) */
	if ((error = strata_commit_split_signature(&sig, &data, c)) != 1) {
		if (error == 0)
			error = strata_error_setc(STRATA_EVERIFY, "commit %s is not signed", git_oid_tostr_s(&h->commit));
		goto done;
	}
	if ((error = strata_sign_sshsig_verify(&pk, sig.ptr, sig.len, "git", data.ptr, data.len)) < 0 ||
	    (error = strata_sign_pubkey_format(&keyline, &pk)) < 0 || (error = strata_schema_load(&s, repo, root)) < 0 ||
	    (error = strata_trie_line_keyhash(hash, h->line.ptr, h->line.len, s->key, s->nkey)) < 0)
		goto done;
	error = STRATA_ERROR;
	if ((e = git_tree_entry_byname(root, "records")) == NULL || git_tree_lookup(&records, repo, git_tree_entry_id(e)) < 0 ||
	    (i = strata_trie_entry_at_or_below(records, hash)) < 0 ||
	    git_tree_lookup(&dir, repo, git_tree_entry_id(git_tree_entry_byindex(records, (size_t)i))) < 0 ||
	    (i = strata_trie_entry_at_or_below(dir, hash)) < 0) {
		git_error_clear();
		strata_error_set("commit %s: the record's leaf is not where its key says", git_oid_tostr_s(&h->commit));
		goto done;
	}
	e = git_tree_entry_byindex(dir, (size_t)i);
	git_oid_tostr(hex[0], sizeof(hex[0]), git_tree_id(root));
	git_oid_tostr(hex[1], sizeof(hex[1]), git_tree_id(records));
	git_oid_tostr(hex[2], sizeof(hex[2]), git_tree_id(dir));
	git_oid_tostr(hex[3], sizeof(hex[3]), git_tree_entry_id(e));
	git_oid_tostr(hex[4], sizeof(hex[4]), &h->commit);
	git_oid_tostr(hex[5], sizeof(hex[5]), git_tree_entry_id(git_tree_entry_byname(root, "schema.json")));
	if (add_object(a, repo, &h->commit) < 0 || add_object(a, repo, git_tree_id(root)) < 0 ||
	    add_object(a, repo, git_tree_id(records)) < 0 || add_object(a, repo, git_tree_id(dir)) < 0 ||
	    add_object(a, repo, git_tree_entry_id(git_tree_entry_byname(root, "schema.json"))) < 0 ||
	    (a->whole_leaf && add_object(a, repo, git_tree_entry_id(e)) < 0))
		goto done;
	/* a view built here: the policy it was built under, so that a recipient can check the view against it */
	if (h->is_view && h->built_here) {
		git_oid pid;
		if (git_oid_fromstr(&pid, h->policy_blob) < 0) {
			strata_error_set("commit %s names no policy blob", git_oid_tostr_s(&h->commit));
			goto done;
		}
		if (add_object(a, repo, &pid) < 0)
			goto done;
	}
	strata_time_format(when, sizeof(when), h->committed);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s#, s:[s,s,s], s:s, s:s}", "role", role_of(h), "node", h->node,
		      "tier", h->tier, "commit", hex[4], "committed", when, "signer", h->signer,
		      "signer_key", keyline.ptr, "record", h->line.ptr, (int)h->line.len, "trees", hex[0], hex[1], hex[2],
		      "leaf", hex[3], "schema", hex[5]);
	if (o && h->is_view) {
		json_object_set_new(o, "recipient", json_string(h->recipient));
		json_object_set_new(o, "policy", json_pack("{s:s, s:s, s:s}", "name", h->policy_name, "version",
							   h->policy_version, "blob", h->policy_blob));
		json_object_set_new(o, "purpose", json_string(h->purpose));
	}
	if (o && h->received) {
		strata_time_format(when, sizeof(when), h->received);
		json_object_set_new(o, "received", json_string(when));
	}
	if (!o)
		error = strata_error_set("out of memory");
	else
		error = 0;
done:
	strata_schema_free(s);
	git_tree_free(dir);
	git_tree_free(records);
	git_tree_free(root);
	git_commit_free(c);
	strata_buf_dispose(&sig);
	strata_buf_dispose(&data);
	strata_buf_dispose(&keyline);
	*out = o;
	return error;
}

/*
 * The audit events that record the part's hops at this node (for each hop
 * commit, the oldest event that names it: its arrival, its build) and the
 * chain of events from the log's head back to the oldest of them.  The
 * part names the head, signed (and timestamped, with an authority), and
 * the chain is fixed by the commits' ids from there: so the events were
 * in the log, in this order, when the part was made.
 */
#define EVIDENCE_MAX_EVENTS 200000
typedef struct {
	json_t *hops;		/* the part's hops */
	json_t *found;		/* per hop (array, same order): the oldest event naming it, or null */
	git_oid *chain;		/* newest first */
	size_t n, alloc, needed;	/* needed: the chain's length down to the oldest naming event */
} event_walk;

static int event_seen(const strata_audit_event *ev, void *payload)
{
	event_walk *w = payload;
	const char *msg = git_commit_message(ev->c);
	json_t *hop;
	size_t i;
	int error;

	if (w->n == EVIDENCE_MAX_EVENTS)
		return 1;	/* the chain a bundle carries ends here: a hop recorded only before it gets no event */
	if ((error = strata_array_grow(&w->chain, &w->alloc, w->n + 1, 256)) < 0)
		return error;
	w->chain[w->n++] = ev->commit;
	json_array_foreach(w->hops, i, hop) {
		char hex[GIT_OID_HEXSZ + 1], when[40];
		const char *c = json_string_value(json_object_get(hop, "commit"));
		if (!c || !strstr(msg, c))
			continue;
		git_oid_tostr(hex, sizeof(hex), &ev->commit);
		strata_time_format(when, sizeof(when), ev->time);
		json_array_set_new(w->found, i, json_pack("{s:s, s:s, s:s, s:s}", "commit", c, "event", hex, "name",
							  ev->event ? ev->event : "", "recorded", when));
		w->needed = w->n;
	}
	return 0;
}

static int hop_events(adding *a, strata_node *n, json_t *hops, json_t **out)
{
	event_walk w = { hops, json_array(), NULL, 0, 0, 0 };
	json_t *list = json_array();
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	*out = NULL;
	for (size_t i = 0; i < json_array_size(hops); i++)
		json_array_append_new(w.found, json_null());
	if ((error = strata_audit_foreach(n, event_seen, &w)) < 0)
		goto done;
	if (!w.needed) {
		error = 0;	/* no event names a hop (an owner's commit a cut rewrote, say): the part says nothing of events */
		goto done;
	}
	for (size_t i = 0; i < w.needed; i++)
		if ((error = add_object(a, strata_node_repo(n), &w.chain[i])) < 0)
			goto done;
	for (size_t i = 0; i < json_array_size(w.found); i++)
		if (!json_is_null(json_array_get(w.found, i)))
			json_array_append(list, json_array_get(w.found, i));
	git_oid_tostr(hex, sizeof(hex), &w.chain[0]);
	*out = json_pack("{s:s, s:I, s:O}", "head", hex, "count", (json_int_t)w.needed, "hops", list);
	error = *out ? 0 : strata_error_set("out of memory");
done:
	free(w.chain);
	json_decref(w.found);
	json_decref(list);
	return error;
}

/* for ssh-keygen -Y verify and git's gpg.ssh.allowedSignersFile: every node's keys in the bundle */
static int allowed_signers(strata_buf *out, json_t *const *parts, size_t nparts)
{
	json_t *seen = json_object();
	int error = 0;

	for (size_t i = 0; i < nparts && !error; i++) {
		json_t *hop;
		size_t j;
		const char *node = json_string_value(json_object_get(parts[i], "node")),
			   *key = json_string_value(json_object_get(parts[i], "node_key"));
		char line[600];
		snprintf(line, sizeof(line), "%s namespaces=\"git,%s\" %s\n", node, STRATA_EVIDENCE_NAMESPACE, key);
		if (!json_object_get(seen, line) && (json_object_set_new(seen, line, json_true()) < 0 || strata_buf_puts(out, line) < 0))
			error = STRATA_ERROR;
		{
			const char *who;
			json_t *kv;
			json_object_foreach(json_object_get(parts[i], "signers"), who, kv) {
				snprintf(line, sizeof(line), "%s namespaces=\"git,%s\" %s\n", who, STRATA_EVIDENCE_NAMESPACE,
					 json_string_value(kv) ? json_string_value(kv) : "");
				if (!json_object_get(seen, line) &&
				    (json_object_set_new(seen, line, json_true()) < 0 || strata_buf_puts(out, line) < 0))
					error = STRATA_ERROR;
			}
		}
		json_array_foreach(json_object_get(parts[i], "hops"), j, hop) {
			/* a node's key signs its commits and its parts alike: one line a key */
			snprintf(line, sizeof(line), "%s namespaces=\"git,%s\" %s\n", json_string_value(json_object_get(hop, "node")),
				 STRATA_EVIDENCE_NAMESPACE, json_string_value(json_object_get(hop, "signer_key")));
			if (!json_object_get(seen, line) &&
			    (json_object_set_new(seen, line, json_true()) < 0 || strata_buf_puts(out, line) < 0))
				error = STRATA_ERROR;
		}
	}
	json_decref(seen);
	return error;
}

/*
 * The new part parts[nparts] (its own fields made), finished and put into
 * `work`: who acted, the authority, the part before it, the reader's files
 * (allowed_signers and the report, for all parts) and their digests; then
 * signed by the node, and stamped.
 */
static int seal_part(strata_evidence *work, strata_node *n, json_t **parts, size_t nparts,
		     const strata_evidence_stamper *stamper, strata_evidence_render render, void *payload)
{
	json_t *part = parts[nparts];
	strata_buf text = STRATA_BUF_INIT, sig = STRATA_BUF_INIT, html = STRATA_BUF_INIT, signers = STRATA_BUF_INIT;
	char name[200], hex[65];
	unsigned char d[32];
	int error;

	if (strata_officers_actor(n))
		json_object_set_new(part, "officer", json_string(strata_officers_actor(n)->name));
	if (stamper) {
		strata_buf fpr = STRATA_BUF_INIT;
		if ((error = strata_timestamp_ca_fingerprint(&fpr, stamper->pem, stamper->pem_len)) < 0)
			goto done;
		json_object_set_new(part, "tsa", json_pack("{s:s, s:s}", "url", stamper->url, "certificate", fpr.ptr));
		strata_buf_dispose(&fpr);
	}
	if (nparts) {
		char pname[160];
		const strata_buf *b = strata_evidence_part(work, nparts, pname, sizeof(pname));
		strata_digest_sha256(d, b->ptr, b->len);
		strata_enc_hex(hex, d, 32);
		json_object_set_new(part, "continues", json_pack("{s:s, s:s}", "part", pname, "sha256", hex));
	}
	/* the reader's files, for all parts; their digests in this one */
	if ((error = allowed_signers(&signers, parts, nparts + 1)) < 0 ||
	    (error = render(&html, parts, nparts + 1, payload)) < 0 ||
	    (error = strata_evidence_put(work, "allowed_signers", signers.ptr, signers.len)) < 0 ||
	    (error = strata_evidence_put(work, "report.html", html.ptr, html.len)) < 0)
		goto done;
	strata_digest_sha256(d, signers.ptr, signers.len);
	strata_enc_hex(hex, d, 32);
	json_object_set_new(part, "allowed_signers", json_string(hex));
	strata_digest_sha256(d, html.ptr, html.len);
	strata_enc_hex(hex, d, 32);
	json_object_set_new(part, "report", json_string(hex));
	{
		char *dump = json_dumps(part, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		if (!dump || strata_buf_puts(&text, dump) < 0 || strata_buf_putc(&text, '\n') < 0) {
			free(dump);
			error = strata_error_set("out of memory");
			goto done;
		}
		free(dump);
	}
	if ((error = strata_sign_sshsig(&sig, strata_node_key(n), STRATA_EVIDENCE_NAMESPACE, text.ptr, text.len)) < 0 ||
	    (error = strata_buf_putc(&sig, '\n')) < 0)
		goto done;
	snprintf(name, sizeof(name), "parts/%zu-%s.json", nparts + 1, strata_node_name(n));
	if ((error = strata_evidence_put(work, name, text.ptr, text.len)) < 0)
		goto done;
	snprintf(name, sizeof(name), "parts/%zu-%s.json.sig", nparts + 1, strata_node_name(n));
	if ((error = strata_evidence_put(work, name, sig.ptr, sig.len)) < 0)
		goto done;
	if (stamper) {
		strata_buf token = STRATA_BUF_INIT;
		snprintf(name, sizeof(name), "parts/%zu-%s.json.tsr", nparts + 1, strata_node_name(n));
		if ((error = stamper->stamp(&token, text.ptr, text.len, stamper->payload)) == 0 &&
		    (error = strata_evidence_put(work, name, token.ptr, token.len)) == 0) {
			snprintf(name, sizeof(name), "parts/%zu-%s.tsa.pem", nparts + 1, strata_node_name(n));
			error = strata_evidence_put(work, name, stamper->pem, stamper->pem_len);
		}
		strata_buf_dispose(&token);
		if (error < 0)
			goto done;
	}
	error = 0;
done:
	strata_buf_dispose(&text);
	strata_buf_dispose(&sig);
	strata_buf_dispose(&html);
	strata_buf_dispose(&signers);
	return error;
}

int strata_evidence_add_part(strata_evidence *ev, strata_node *n, const char *dataset, char *const *key, size_t nkey,
			     int whole_leaf, const strata_evidence_stamper *stamper, strata_evidence_render render,
			     void *payload)
{
	strata_evidence work = { 0 };
	strata_trace t;
	adding a = { &work, json_object(), 0 };
	json_t **parts = NULL, *part = NULL, *keys = json_array(), *hops = json_array();
	strata_buf publine = STRATA_BUF_INIT;
	size_t nparts = 0;
	char when[40];
	int error, traced = 0;
	git_oid start;

	a.whole_leaf = whole_leaf;
	if (!strata_node_key(n))
		return strata_error_set("the node's key is not loaded");
	/* a copy: the bundle given stays as it was unless all of this succeeds */
	for (size_t i = 0; i < ev->n; i++)
		if ((error = strata_evidence_put(&work, ev->e[i].name, ev->e[i].data.ptr, ev->e[i].data.len)) < 0)
			goto done;
	if ((error = strata_evidence_load_parts(&parts, &nparts, &work)) < 0)
		goto done;
	for (size_t i = 0; i < nkey; i++)
		json_array_append_new(keys, json_string(key[i]));
	if (nparts) {
		json_t *next = json_object_get(parts[nparts - 1], "next");
		const char *there = json_string_value(json_object_get(next, "node"));
		if (!next) {
			error = strata_error_set("the bundle's trace ends at the owner's commit already: there is nothing to add");
			goto done;
		}
		if (strcmp(there ? there : "", strata_node_name(n)) || !json_equal(json_object_get(next, "key"), keys)) {
			char *k = json_dumps(json_object_get(next, "key"), JSON_COMPACT);
			error = strata_error_set("the bundle's trace goes on at '%s' with the key %s: add its part there, with "
						 "that key", there ? there : "?", k ? k : "?");
			free(k);
			goto done;
		}
	}
	/* going on: at the view this node built that the part before ends with, as it was then */
	if (nparts) {
		json_t *hops_before = json_object_get(parts[nparts - 1], "hops");
		json_t *last = json_array_get(hops_before, json_array_size(hops_before) - 1);
		const char *lasthex = json_string_value(json_object_get(last, "commit"));
		if (!lasthex || git_oid_fromstr(&start, lasthex) < 0 ||
		    strcmp(json_string_value(json_object_get(last, "node")) ? json_string_value(json_object_get(last, "node")) : "",
			   strata_node_name(n))) {
			git_error_clear();
			error = strata_error_set("the bundle's last hop is not a view '%s' built: it cannot go on here",
						 strata_node_name(n));
			goto done;
		}
	}
	if ((error = strata_provenance_trace_at(&t, n, dataset, key, nkey, nparts ? &start : NULL)) < 0)
		goto done;
	traced = 1;
	for (size_t i = 0; i < t.nhops; i++) {
		json_t *hop;
		if (t.hops[i].status != STRATA_SIG_GOOD) {
			char hx[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hx, sizeof(hx), &t.hops[i].commit);
			error = strata_error_setc(STRATA_EVERIFY, "commit %.12s (%s): its signature does not check here (%s): "
						  "this is no evidence to hand on ('strata verify')", hx, t.hops[i].node,
						  strata_commit_sig_status_str(t.hops[i].status));
			goto done;
		}
		if ((error = hop_json(&hop, &a, n, &t.hops[i])) < 0)
			goto done;
		json_array_append_new(hops, hop);
	}
	strata_time_format(when, sizeof(when), strata_time_now());
	strata_sign_pubkey_format(&publine, strata_node_pubkey(n));
	part = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:O}", "format", "strata-evidence", "version",
			 STRATA_EVIDENCE_VERSION, "node", strata_node_name(n), "tier", strata_node_tier(n), "node_key",
			 publine.ptr, "exported", when, "dataset", t.dataset, "key", keys, "hops", hops, "files", a.files);
	if (!part) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if (t.has_next) {
		json_error_t je;
		json_t *k = json_loadb(t.next_key.ptr, t.next_key.len, 0, &je);
		json_object_set_new(part, "next", json_pack("{s:s, s:s, s:o}", "node", t.next_node, "commit",
							    git_oid_tostr_s(&t.next_commit), "key", k ? k : json_array()));
	}
	{
		json_t *events = NULL;
		if ((error = hop_events(&a, n, hops, &events)) < 0)
			goto done;
		if (events)
			json_object_set_new(part, "events", events);
	}
	parts[nparts] = part;
	part = NULL;
	if ((error = seal_part(&work, n, parts, nparts, stamper, render, payload)) < 0)
		goto done;
	/* done: the bundle is the new one */
	strata_evidence_dispose(ev);
	*ev = work;
	memset(&work, 0, sizeof(work));
	error = 0;
done:
	if (traced)
		strata_provenance_trace_dispose(&t);
	strata_evidence_free_parts(parts, nparts);
	json_decref(keys);
	json_decref(hops);
	json_decref(a.files);
	json_decref(part);
	strata_evidence_dispose(&work);
	strata_buf_dispose(&publine);
	return error;
}

/* what a certificate says of its cut (its header), as the part repeats it */
static json_t *certificate_head(json_t *doc)
{
	static const char *const fields[] = { "erasure", "kind", "dataset", "issuer", "made_at", "reason" };
	json_t *head = json_object();

	for (size_t i = 0; head && i < sizeof(fields) / sizeof(*fields); i++) {
		json_t *v = json_object_get(doc, fields[i]);
		if (!json_is_string(v)) {
			json_decref(head);
			return NULL;
		}
		json_object_set(head, fields[i], v);
	}
	return head;
}

int strata_evidence_add_erasure(strata_evidence *ev, strata_node *n, const char *erasure,
				const strata_evidence_stamper *stamper, strata_evidence_render render, void *payload)
{
	strata_evidence work = { 0 };
	strata_buf cert = STRATA_BUF_INIT, publine = STRATA_BUF_INIT;
	json_t *parts[2] = { NULL, NULL }, *doc = NULL, *files = NULL, *head;
	char name[80], when[40], hex[65];
	unsigned char d[32];
	int error;

	if (ev->n)
		return strata_error_set("an erasure's evidence is a bundle of its own: not added to another");
	if (!strata_node_key(n))
		return strata_error_set("the node's key is not loaded");
	cert.max = STRATA_CERTIFICATE_MAX;
	if ((error = strata_certificate_erasure(&cert, n, erasure)) < 0)
		goto done;
	if ((doc = json_loadb(cert.ptr, cert.len, 0, NULL)) == NULL || (head = certificate_head(doc)) == NULL) {
		error = strata_error_set("the certificate of %s does not parse", erasure);
		goto done;
	}
	snprintf(name, sizeof(name), "erasure/%s.json", erasure);
	strata_digest_sha256(d, cert.ptr, cert.len);
	strata_enc_hex(hex, d, 32);
	files = json_pack("{s:s}", name, hex);
	strata_time_format(when, sizeof(when), strata_time_now());
	strata_sign_pubkey_format(&publine, strata_node_pubkey(n));
	parts[0] = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:O}", "format", "strata-evidence", "version",
			     STRATA_EVIDENCE_VERSION, "kind", "erasure", "node", strata_node_name(n), "tier",
			     strata_node_tier(n), "node_key", publine.ptr, "exported", when, "erasure", erasure, "certificate",
			     head, "signers", json_object_get(doc, "keys") ? json_object_get(doc, "keys") : json_null(),
			     "files", files);
	json_decref(head);
	if (!parts[0]) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if (json_is_array(json_object_get(doc, "claims")))
		json_object_set(parts[0], "claims", json_object_get(doc, "claims"));
	if ((error = strata_evidence_put(&work, name, cert.ptr, cert.len)) < 0 ||
	    (error = seal_part(&work, n, parts, 0, stamper, render, payload)) < 0)
		goto done;
	strata_evidence_dispose(ev);
	*ev = work;
	memset(&work, 0, sizeof(work));
done:
	json_decref(parts[0]);
	json_decref(doc);
	json_decref(files);
	strata_evidence_dispose(&work);
	strata_buf_dispose(&cert);
	strata_buf_dispose(&publine);
	return error;
}

typedef struct {
	strata_evidence_say say;
	void *payload;
	const char *failed;
} claims_ctx;

static void cert_said(int ok, const char *what, void *payload)
{
	claims_ctx *x = payload;
	if (ok && x->say)
		x->say(what, x->payload);
}

int strata_evidence_check_claims(const strata_evidence *ev, strata_evidence_say say, void *payload)
{
	claims_ctx x = { say, payload, NULL };
	size_t parts = strata_evidence_parts(ev);

	for (size_t i = 1; i <= parts; i++) {
		char pname[160], file[80];
		const strata_buf *text = strata_evidence_part(ev, i, pname, sizeof(pname)), *cert;
		json_t *o = json_loadb(text->ptr, text->len, 0, NULL), *doc;
		const char *kind = json_string_value(json_object_get(o, "kind")),
			   *id = json_string_value(json_object_get(o, "erasure"));
		int error = 0;
		if (kind && !strcmp(kind, "policy")) {
			/* the file is the policy it says: it parses, and names itself and its version */
			json_t *pol = json_object_get(o, "policy");
			const strata_buf *ptext;
			strata_policy *p = NULL;
			snprintf(file, sizeof(file), "objects/blob/%s", json_string_value(json_object_get(pol, "blob")) ?
										json_string_value(json_object_get(pol, "blob")) : "");
			if ((ptext = strata_evidence_get(ev, file)) == NULL ||
			    strata_policy_parse(&p, file, ptext->ptr, ptext->len) < 0 ||
			    strcmp(p->name, json_string_value(json_object_get(pol, "name")) ? json_string_value(json_object_get(pol, "name")) : "") ||
			    p->version != json_integer_value(json_object_get(pol, "version")))
				error = strata_error_setc(STRATA_EVERIFY, "%s: its policy file is not policy %s version %lld", pname,
							  json_string_value(json_object_get(pol, "name")) ? json_string_value(json_object_get(pol, "name")) : "?",
							  (long long)json_integer_value(json_object_get(pol, "version")));
			else if (say)
				say(_("the policy's text parses, and names itself and its version"), payload);
			strata_policy_free(p);
			json_decref(o);
			if (error < 0)
				return error;
			continue;
		}
		if (!kind || strcmp(kind, "erasure")) {
			json_decref(o);
			continue;
		}
		snprintf(file, sizeof(file), "erasure/%s.json", id ? id : "");
		if ((cert = strata_evidence_get(ev, file)) == NULL)
			error = strata_error_setc(STRATA_EVERIFY, "%s: no %s", pname, file);
		else if ((error = strata_certificate_verify(cert->ptr, cert->len, cert_said, &x)) < 0)
			error = strata_error_setc(STRATA_EVERIFY, "%s: %s", file, strata_error_last());
		else {
			json_t *head = NULL;
			if ((doc = json_loadb(cert->ptr, cert->len, 0, NULL)) == NULL || (head = certificate_head(doc)) == NULL ||
			    !json_equal(head, json_object_get(o, "certificate")) ||
			    strcmp(json_string_value(json_object_get(doc, "erasure")), id) ||
			    !json_equal(json_object_get(doc, "claims"), json_object_get(o, "claims")))
				error = strata_error_setc(STRATA_EVERIFY, "%s: the certificate does not say what %s says of it",
							  file, pname);
			json_decref(head);
			json_decref(doc);
		}
		json_decref(o);
		if (error < 0)
			return error;
	}
	return 0;
}

typedef struct {
	const char *id;
	json_t *state;		/* the request's stored object, found */
} find_request;

static int request_found(const strata_request_info *r, void *payload)
{
	find_request *f = payload;

	if (strcmp(r->id, f->id))
		return 0;
	f->state = json_deep_copy(r->state);
	return 1;
}

/* the origin of an envelope (base64) and its key line, proved by its signature; its body into `bodies` */
static int envelope_signer(json_t *signers, json_t *bodies, const char *b64, const char *what)
{
	strata_procmsg *m = NULL;
	strata_buf line = STRATA_BUF_INIT;
	int error;

	if ((error = strata_procmsg_decode(&m, what, b64, strlen(b64))) == 0 &&
	    (error = strata_sign_pubkey_format(&line, &m->key)) == 0) {
		json_object_set_new(signers, m->origin, json_string(line.ptr));
		json_array_append(bodies, m->body);
	}
	strata_procmsg_free(m);
	strata_buf_dispose(&line);
	return error;
}

int strata_evidence_add_request(strata_evidence *ev, strata_node *n, const char *id,
				const strata_evidence_stamper *stamper, strata_evidence_render render, void *payload)
{
	strata_evidence work = { 0 };
	find_request f = { id, NULL };
	json_t *parts[2] = { NULL, NULL }, *doc = NULL, *files = NULL, *signers = json_object(), *bodies = json_array(),
	       *answers, *v;
	strata_buf publine = STRATA_BUF_INIT;
	char name[80], when[40], hex[65], *text = NULL;
	unsigned char d[32];
	size_t i;
	int error;

	if (ev->n)
		return strata_error_set("a request's evidence is a bundle of its own: not added to another");
	if (!strata_procmsg_id_valid(id))
		return strata_error_setc(STRATA_ENOTFOUND, "'%s' is not a request id (16 hex digits, as 'strata requests' "
					 "lists them)", id);
	if (!strata_node_key(n))
		return strata_error_set("the node's key is not loaded");
	if ((error = strata_process_requests(n, request_found, &f)) < 0)
		goto done;
	if (!f.state) {
		error = strata_error_setc(STRATA_ENOTFOUND, "no request '%s' at this node ('strata requests')", id);
		goto done;
	}
	/* the signed messages, exactly as held: the request and every answer to it */
	answers = json_object_get(f.state, "answers");
	doc = json_pack("{s:O, s:O}", "request", json_object_get(f.state, "request"), "answers",
			json_is_array(answers) ? answers : json_array());
	if (!doc || !json_is_string(json_object_get(doc, "request"))) {
		error = strata_error_set("request %s: its stored messages are not as expected", id);
		goto done;
	}
	if ((error = envelope_signer(signers, bodies, json_string_value(json_object_get(doc, "request")), id)) < 0)
		goto done;
	json_array_foreach(json_object_get(doc, "answers"), i, v)
		if (json_is_string(v) && (error = envelope_signer(signers, bodies, json_string_value(v), id)) < 0)
			goto done;
	if ((text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	snprintf(name, sizeof(name), "request/%s.json", id);
	strata_digest_sha256(d, text, strlen(text));
	strata_enc_hex(hex, d, 32);
	files = json_pack("{s:s}", name, hex);
	strata_time_format(when, sizeof(when), strata_time_now());
	strata_sign_pubkey_format(&publine, strata_node_pubkey(n));
	/* what the messages say, repeated for the report (verify holds them to the messages) */
	parts[0] = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:O}", "format", "strata-evidence", "version",
			     STRATA_EVIDENCE_VERSION, "kind", "request", "node", strata_node_name(n), "tier",
			     strata_node_tier(n), "node_key", publine.ptr, "exported", when, "request", id, "signers", signers,
			     "messages", bodies, "files", files);
	if (!parts[0]) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if ((error = strata_evidence_put(&work, name, text, strlen(text))) < 0 ||
	    (error = seal_part(&work, n, parts, 0, stamper, render, payload)) < 0)
		goto done;
	strata_evidence_dispose(ev);
	*ev = work;
	memset(&work, 0, sizeof(work));
done:
	free(text);
	json_decref(parts[0]);
	json_decref(doc);
	json_decref(files);
	json_decref(signers);
	json_decref(bodies);
	json_decref(f.state);
	strata_evidence_dispose(&work);
	strata_buf_dispose(&publine);
	return error;
}

typedef struct {
	long version;
	git_oid commit, blob;
	int found;
} find_version;

static int version_found(const strata_policy_version *v, void *payload)
{
	find_version *f = payload;

	if (v->policy->version != f->version)
		return 0;
	f->commit = v->commit;
	f->blob = v->blob;
	f->found = 1;
	return 1;
}

typedef struct {
	const git_oid *commit;
	git_oid event;
	int found;
} find_event;

static int event_found(const strata_audit_event *ev, void *payload)
{
	find_event *f = payload;
	char v[GIT_OID_HEXSZ + 1];
	git_oid id;

	if (strcmp(ev->event, "policy-commit") || !strata_commit_trailer(ev->c, "Strata-Commit", v, sizeof(v)) ||
	    git_oid_fromstr(&id, v) < 0 || !git_oid_equal(&id, f->commit))
		return 0;
	f->event = ev->commit;
	f->found = 1;
	return 1;
}

int strata_evidence_add_policy(strata_evidence *ev, strata_node *n, const char *name, long version,
			       const strata_evidence_stamper *stamper, strata_evidence_render render, void *payload)
{
	strata_evidence work = { 0 };
	adding a = { &work, json_object(), 0 };
	find_version fv = { version, { { 0 } }, { { 0 } }, 0 };
	find_event fe = { NULL, { { 0 } }, 0 };
	git_commit *c = NULL;
	json_t *parts[2] = { NULL, NULL };
	strata_buf publine = STRATA_BUF_INIT;
	char when[40], hex[4][GIT_OID_HEXSZ + 1];
	int error;

	if (ev->n)
		return strata_error_set("a policy's evidence is a bundle of its own: not added to another");
	if (!strata_node_key(n))
		return strata_error_set("the node's key is not loaded");
	if ((error = strata_policy_store_versions(n, name, version_found, &fv)) < 0)
		goto done;
	if (!fv.found) {
		error = strata_error_setc(STRATA_ENOTFOUND, "policy '%s' has no version %ld committed here ('strata policy "
					  "list')", name, version);
		goto done;
	}
	fe.commit = &fv.commit;
	if ((error = strata_audit_foreach(n, event_found, &fe)) < 0)
		goto done;
	if (!fe.found) {
		error = strata_error_set("no policy-commit event names policy %s version %ld: the audit log does not say "
					 "who committed it", name, version);
		goto done;
	}
	/* the policies commit, its tree, the file; the audit event that committed it */
	if (git_commit_lookup(&c, strata_node_repo(n), &fv.commit) < 0) {
		error = strata_error_git("cannot read the policies' commit");
		goto done;
	}
	if ((error = add_object(&a, strata_node_repo(n), &fv.commit)) < 0 ||
	    (error = add_object(&a, strata_node_repo(n), git_commit_tree_id(c))) < 0 ||
	    (error = add_object(&a, strata_node_repo(n), &fv.blob)) < 0 ||
	    (error = add_object(&a, strata_node_repo(n), &fe.event)) < 0)
		goto done;
	git_oid_tostr(hex[0], sizeof(hex[0]), &fv.commit);
	git_oid_tostr(hex[1], sizeof(hex[1]), git_commit_tree_id(c));
	git_oid_tostr(hex[2], sizeof(hex[2]), &fv.blob);
	git_oid_tostr(hex[3], sizeof(hex[3]), &fe.event);
	strata_time_format(when, sizeof(when), strata_time_now());
	strata_sign_pubkey_format(&publine, strata_node_pubkey(n));
	parts[0] = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:I, s:s, s:s, s:s, s:s}, s:O}", "format",
			     "strata-evidence", "version", STRATA_EVIDENCE_VERSION, "kind", "policy", "node",
			     strata_node_name(n), "tier", strata_node_tier(n), "node_key", publine.ptr, "exported", when,
			     "policy", "name", name, "version", (json_int_t)version, "commit", hex[0], "tree", hex[1], "blob",
			     hex[2], "event", hex[3], "files", a.files);
	if (!parts[0]) {
		error = strata_error_set("out of memory");
		goto done;
	}
	/* what the event says of it, repeated for the report (verify holds them to the event) */
	{
		git_commit *e = NULL;
		char v[512];
		if (git_commit_lookup(&e, strata_node_repo(n), &fe.event) == 0) {
			json_t *pol = json_object_get(parts[0], "policy");
			if (strata_commit_trailer(e, "Strata-Purpose", v, sizeof(v)))
				json_object_set_new(pol, "purpose", json_string(v));
			if (strata_commit_trailer(e, "Strata-Officer", v, sizeof(v)))
				json_object_set_new(pol, "officer", json_string(v));
			json_object_set_new(pol, "committed", json_integer((json_int_t)git_commit_time(e)));
		}
		git_commit_free(e);
		git_error_clear();
	}
	if ((error = seal_part(&work, n, parts, 0, stamper, render, payload)) < 0)
		goto done;
	strata_evidence_dispose(ev);
	*ev = work;
	memset(&work, 0, sizeof(work));
done:
	git_commit_free(c);
	json_decref(parts[0]);
	json_decref(a.files);
	strata_evidence_dispose(&work);
	strata_buf_dispose(&publine);
	return error;
}
