/*
 * process.c - the catalogue, requests and answers (process.h).
 *
 * The state is JSON blobs in the audit tree under process/; every change
 * is built as a new tree (ledger.h's put) and recorded by one audit event.
 */
#include "strata/replica/process.h"
#include "strata/base/i18n.h"
#include "strata/format/procmsg.h"
#include "strata/format/json.h"
#include "strata/format/name.h"
#include "strata/format/schema.h"
#include "strata/data/dataset.h"
#include "strata/replica/provenance.h"
#include "strata/base/digest.h"
#include "strata/policy/policy.h"
#include "strata/policy/policy_store.h"
#include "strata/policy/risk.h"
#include "strata/node/audit.h"
#include "strata/node/commit.h"
#include "strata/node/journal.h"
#include "strata/node/ledger.h"
#include "strata/node/peers.h"
#include "strata/base/array.h"
#include "strata/base/digest.h"
#include "strata/base/enc.h"
#include "strata/base/error.h"
#include "strata/base/time.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DIR_DESCRIBED "process/described"
#define DIR_CATALOG "process/catalog"
#define DIR_REQUESTS "process/requests"

/* --- state in the audit tree --- */

/*
 * A change being built: its base tree (`have`: else the audit head's), the
 * blobs put since (written once the change is whole, as one new tree: no
 * tree between), and what the event will say.
 */
typedef struct {
	char path[128];
	git_oid blob;
} pending_put;

typedef struct {
	git_oid tree;
	int have;
	strata_buf trailers;
	pending_put *puts;
	size_t nputs, alloc;
} change;

static const pending_put *pending(const change *c, const char *path)
{
	for (size_t i = 0; c && i < c->nputs; i++)
		if (!strcmp(c->puts[i].path, path))
			return &c->puts[i];
	return NULL;
}

/*
 * The JSON object at `path` as of the change `c` being built (NULL, or
 * nothing put yet: the audit head); STRATA_ENOTFOUND if none.
 */
static int state_get(json_t **out, strata_node *n, const change *c, const char *path)
{
	strata_buf text = STRATA_BUF_INIT;
	json_error_t jerr;
	int error;

	*out = NULL;
	if (pending(c, path)) {
		git_blob *b = NULL;
		if (git_blob_lookup(&b, strata_node_repo(n), &pending(c, path)->blob) < 0)
			return strata_error_git("cannot read the process state");
		error = strata_buf_put(&text, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
		git_blob_free(b);
	} else if (c && c->have) {
		git_tree *t = NULL;
		git_tree_entry *e = NULL;
		git_blob *b = NULL;
		if (git_tree_lookup(&t, strata_node_repo(n), &c->tree) < 0)
			return strata_error_git("cannot read the process state");
		if (git_tree_entry_bypath(&e, t, path) < 0) {
			git_error_clear();
			git_tree_free(t);
			return strata_error_setc(STRATA_ENOTFOUND, "%s: not in the process state", path);
		}
		if (git_blob_lookup(&b, strata_node_repo(n), git_tree_entry_id(e)) < 0)
			error = strata_error_git("cannot read the process state");
		else
			error = strata_buf_put(&text, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
		git_blob_free(b);
		git_tree_entry_free(e);
		git_tree_free(t);
	} else {
		error = strata_ledger_get_text(&text, n, NULL, path);
	}
	if (error < 0) {
		strata_buf_dispose(&text);
		return error;
	}
	if ((*out = json_loadb(text.ptr, text.len, 0, &jerr)) == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		error = strata_error_set("the audit log's %s is not a JSON object: run 'strata verify --all'", path);
	}
	strata_buf_dispose(&text);
	return error;
}

static int state_put(change *c, strata_node *n, const char *path, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	pending_put *p = (pending_put *)pending(c, path);
	git_oid blob;
	int error = 0;

	if (!text)
		return strata_error_set("out of memory");
	if (strlen(path) >= sizeof(c->puts->path))
		error = strata_error_set("name too long: '%s'", path);
	else if (git_blob_create_from_buffer(&blob, strata_node_repo(n), text, strlen(text)) < 0)
		error = strata_error_git("cannot write the process state");
	else if (!p && strata_array_grow(&c->puts, &c->alloc, c->nputs + 1, 8) < 0)
		error = STRATA_ERROR;
	free(text);
	if (error < 0)
		return error;
	if (!p) {
		p = &c->puts[c->nputs++];
		snprintf(p->path, sizeof(p->path), "%s", path);
	}
	p->blob = blob;
	return 0;
}

/* The blobs put, into one new tree (c->tree, c->have set); none put: as it was. */
static int change_flush(change *c, strata_node *n)
{
	const char **paths;
	git_oid *ids;
	int error;

	if (!c->nputs)
		return 0;
	paths = calloc(c->nputs, sizeof(*paths));
	ids = calloc(c->nputs, sizeof(*ids));
	if (!paths || !ids) {
		free(paths);
		free(ids);
		return strata_error_set("out of memory");
	}
	for (size_t i = 0; i < c->nputs; i++) {
		paths[i] = c->puts[i].path;
		ids[i] = c->puts[i].blob;
	}
	error = strata_ledger_put_blobs(&c->tree, n, c->have ? &c->tree : NULL, paths, ids, c->nputs);
	free(paths);
	free(ids);
	if (error == 0) {
		c->have = 1;
		c->nputs = 0;
	}
	return error;
}

static void change_dispose(change *c)
{
	strata_buf_dispose(&c->trailers);
	free(c->puts);
	c->puts = NULL;
	c->nputs = c->alloc = 0;
}

static int change_commit(change *c, strata_node *n, const char *event, const char *subject)
{
	int error = change_flush(c, n);

	if (!error && c->have)
		error = strata_audit_append_tree(n, event, subject, c->trailers.ptr ? c->trailers.ptr : "", &c->tree);
	change_dispose(c);
	return error;
}

/* The names in directory `dir` of the audit tree (none if it is not there). */
static int state_list(char ***out, size_t *count, strata_node *n, const char *dir)
{
	git_oid id;
	git_tree *t = NULL;
	size_t alloc = 0;
	int error;

	*out = NULL;
	*count = 0;
	if ((error = strata_ledger_get(&id, n, NULL, dir)) == STRATA_ENOTFOUND) {
		strata_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	if (git_tree_lookup(&t, strata_node_repo(n), &id) < 0)
		return strata_error_git("cannot read the audit log's process state");
	for (size_t i = 0; i < git_tree_entrycount(t); i++) {
		char *name = strdup(git_tree_entry_name(git_tree_entry_byindex(t, i)));
		if (!name || strata_array_grow(out, &alloc, *count + 2, 16) < 0) {
			free(name);
			error = strata_error_set("out of memory");
			break;
		}
		(*out)[(*count)++] = name;
		(*out)[*count] = NULL;
	}
	git_tree_free(t);
	return error;
}

static void free_names(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

static int path_of(char *out, size_t size, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, size, "%s/%s", dir, name) >= size)
		return strata_error_set("name too long: '%s'", name);
	return 0;
}

static const char *sv(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static int64_t iv(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* --- keys: whose signature a message may carry --- */

/*
 * 0 if `m`'s key is its origin's: the pinned key of a peer, else the key
 * the origin's catalogue held here came with.  A catalogue from a node not
 * yet known is accepted on its own key (*learned set): the pinned peer
 * that carried it vouches for it.
 */
static int key_check(strata_node *n, const change *c, const strata_procmsg *m, const char *what, const char *peer,
		     int *learned)
{
	char name[64], why[256] = "", path[128];
	strata_procmsg *held = NULL;
	json_t *st = NULL, *retired;
	int64_t when = strata_procmsg_int(m, "time");
	int error, trust;

	*learned = 0;
	/* a peer: its key as node.conf pins it, or a key it retired after the message was signed */
	trust = strata_peers_trusted_at(n, &m->key, when, name, sizeof(name), why, sizeof(why));
	if (trust == 1 && !strcmp(name, m->origin))
		return 0;
	{
		strata_buf pinned = STRATA_BUF_INIT;
		int is_peer = strata_peers_get(&pinned, n, m->origin, "key") == 0;
		strata_buf_dispose(&pinned);
		strata_error_clear();
		if (is_peer)
			return strata_error_setc(STRATA_EVERIFY, "'%s': a message from '%s' signed by a key that is not the "
						 "one node.conf pins for it%s%s", what, m->origin, why[0] ? ": " : "", why);
	}
	if (path_of(path, sizeof(path), DIR_CATALOG, m->origin) < 0)
		return STRATA_ERROR;
	error = state_get(&st, n, c, path);
	if (error == STRATA_ENOTFOUND) {
		strata_error_clear();
		if (m->kind != STRATA_MSG_CATALOG)
			return strata_error_setc(STRATA_EVERIFY, "'%s': a %s from '%s', a node this node does not know "
						 "(no catalogue of it came here, and it is not a peer)", what,
						 m->kind == STRATA_MSG_REQUEST ? "request" : "answer", m->origin);
		*learned = 1;
		return 0;
	}
	if (error < 0 || (error = strata_procmsg_decode(&held, path, sv(st, "env"), strlen(sv(st, "env")))) < 0)
		goto done;
	if (strata_sign_pubkey_equal(&held->key, &m->key))
		goto done;
	/*
	 * A node beyond the peers that rotated its key: its catalogue signed by
	 * the new key, no older than the one held and brought by the peer that
	 * vouched for that one, vouches for the new key the same way
	 * (take_catalog keeps the old key as retired).
	 */
	if (m->kind == STRATA_MSG_CATALOG && !strcmp(sv(st, "via"), peer) &&
	    strata_procmsg_int(m, "time") >= strata_procmsg_int(held, "time")) {
		*learned = 1;
		goto done;
	}
	/* a key it retired, for what it signed before this node learned the new one */
	retired = json_object_get(st, "retired");
	for (size_t i = 0; i < json_array_size(retired); i++) {
		strata_pubkey old;
		json_t *r = json_array_get(retired, i);
		if (strata_sign_pubkey_parse(&old, sv(r, "key")) == 0 && strata_sign_pubkey_equal(&old, &m->key) &&
		    when < iv(r, "before"))
			goto done;
		strata_error_clear();
	}
	error = strata_error_setc(STRATA_EVERIFY, "'%s': a message from '%s' signed by a key that is not the one "
				  "its catalogue came with (by way of '%s')", what, m->origin, sv(st, "via"));
done:
	strata_procmsg_free(held);
	json_decref(st);
	return error;
}

/* --- this node's own catalogue --- */

static long long rounded(long long count)
{
	long long unit = 1;

	if (count <= 0)
		return 0;
	if (count < 100)	/* to ten, never zero: that there are records is not hidden */
		return count < 10 ? 10 : (count + 5) / 10 * 10;
	while (count / unit >= 100)	/* two significant digits */
		unit *= 10;
	return (count + unit / 2) / unit * unit;
}

/* "FIELD=VALUE" entries: the VALUE of `field`, or NULL. */
static const char *pair_value(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

struct own_walk {
	strata_node *n;
	json_t *datasets;
	int64_t time;	/* the newest commit or description */
};

static int own_dataset(const strata_dataset_entry *d, void *payload)
{
	struct own_walk *w = payload;
	git_repository *repo = strata_node_repo(w->n);
	strata_schema *schema = NULL;
	git_tree *root = NULL;
	json_t *desc = NULL, *e = NULL, *fields = json_array();
	char path[128], records[32];
	int error;

	if (path_of(path, sizeof(path), DIR_DESCRIBED, d->dataset) < 0)
		return STRATA_ERROR;
	if ((error = state_get(&desc, w->n, NULL, path)) == STRATA_ENOTFOUND) {
		strata_error_clear();
		error = 0;
	}
	if (error < 0 || (error = git_commit_tree(&root, d->tip) < 0 ? strata_error_git("cannot read a dataset") : 0) < 0 ||
	    (error = strata_schema_load(&schema, repo, root)) < 0)
		goto done;
	if (!strata_commit_trailer(d->tip, "Strata-Records", records, sizeof(records)))
		snprintf(records, sizeof(records), "0");
	/* the first fields in the schema's order, at most STRATA_PROCMSG_MAX_FIELDS; fields_total says how many */
	for (size_t i = 0; i < schema->nfields && i < STRATA_PROCMSG_MAX_FIELDS; i++) {
		const char *f = schema->names[i];
		const char *label = desc ? pair_value(json_object_get(desc, "labels"), f) : NULL;
		const char *class = desc ? pair_value(json_object_get(desc, "classes"), f) : NULL;
		json_array_append_new(fields, json_pack("{s:s, s:s, s:s, s:s}", "name", f, "label", label ? label : "",
							"type", schema->types[i], "class", class ? class : ""));
	}
	e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:O, s:I}", "name", d->dataset, "title",
		      desc ? sv(desc, "title") : "", "description", desc ? sv(desc, "description") : "", "attribute",
		      desc ? sv(desc, "attribute") : "conditional", "frequency", desc ? sv(desc, "frequency") : "",
		      "contact", desc ? sv(desc, "contact") : "", "records", (json_int_t)rounded(atoll(records)),
		      "described", desc != NULL, "fields", fields, "fields_total", (json_int_t)schema->nfields);
	if (!e || json_array_append_new(w->datasets, e) < 0) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if ((int64_t)git_commit_time(d->tip) > w->time)
		w->time = (int64_t)git_commit_time(d->tip);
	if (desc && iv(desc, "time") > w->time)
		w->time = iv(desc, "time");
done:
	json_decref(fields);
	json_decref(desc);
	git_tree_free(root);
	strata_schema_free(schema);
	return error;
}

/*
 * This node's catalogue, signed: a function of its datasets and their
 * descriptions, so the same state gives the same message (Ed25519
 * signatures are deterministic) and peers get nothing new.  Its time, the
 * newest of its datasets' commits and descriptions, says which of two
 * versions is newer; two in the same second are told apart by the route
 * (take_catalog).
 */
static int own_catalog(strata_procmsg **out, strata_node *n)
{
	struct own_walk w = { n, json_array(), 0 };
	json_t *body;
	int error;

	*out = NULL;
	if (!w.datasets)
		return strata_error_set("out of memory");
	if ((error = strata_dataset_list(n, STRATA_DATASETS_OWN, own_dataset, &w)) < 0 ||
	    (error = strata_node_load_key(n)) < 0) {
		json_decref(w.datasets);
		return error;
	}
	/* its key in the body too: a rotation is a new catalogue, even with nothing else new */
	{
		strata_pubkey pk;
		strata_buf k = STRATA_BUF_INIT;
		strata_sign_key_public(&pk, strata_node_key(n));
		if ((error = strata_sign_pubkey_format(&k, &pk)) < 0) {
			json_decref(w.datasets);
			return error;
		}
		body = json_pack("{s:s, s:i, s:s, s:s, s:s, s:I, s:o}", "kind", "catalog", "v", STRATA_PROCMSG_VERSION, "node",
				 strata_node_name(n), "tier", strata_node_tier(n), "key", k.ptr, "time", (json_int_t)w.time,
				 "datasets", w.datasets);
		strata_buf_dispose(&k);
	}
	if (!body)
		return strata_error_set("out of memory");
	return strata_procmsg_sign(out, body, strata_node_key(n));
}

/* --- describing an own dataset --- */

static int pairs_object(json_t *obj, char **list, size_t count, const strata_schema *s, const char *opt)
{
	for (size_t i = 0; i < count; i++) {
		char *eq = strchr(list[i], '=');
		json_t *v;
		if (!eq || eq == list[i])
			return strata_error_set("%s '%s': expected FIELD=TEXT", opt, list[i]);
		*eq = '\0';
		if (strata_schema_field(s, list[i]) < 0) {
			strata_error_set("%s: the dataset has no field '%s'", opt, list[i]);
			*eq = '=';
			return STRATA_ERROR;
		}
		v = json_string(eq + 1);
		if (!v || json_object_set_new(obj, list[i], v) < 0) {
			*eq = '=';
			return strata_error_set("%s '%s': the text is not UTF-8", opt, list[i]);
		}
		*eq = '=';
	}
	return 0;
}

int strata_process_describe(strata_node *n, const char *dataset, const strata_process_description *d)
{
	static const char *const attrs[] = { "open", "conditional", "closed", NULL };
	git_commit *tip = NULL;
	git_tree *root = NULL;
	strata_schema *schema = NULL;
	strata_procmsg *check = NULL;
	json_t *old = NULL, *desc = NULL, *labels, *classes, *body = NULL;
	strata_buf ref = STRATA_BUF_INIT, subject = STRATA_BUF_INIT;
	change c = { { { 0 } }, 0, STRATA_BUF_INIT };
	char path[128];
	int error;

	if ((error = strata_journal_lock(n)) < 0)
		return error;
	if (!strata_name_dataset_valid(dataset) || strchr(dataset, '/'))
		return strata_error_set("'%s' is not the name of a dataset this node owns", dataset);
	if ((error = strata_dataset_resolve(&tip, n, dataset, NULL)) < 0)
		return error;
	if ((error = strata_dataset_ref(&ref, n, dataset)) < 0)
		goto done;
	if (strncmp(ref.ptr, "refs/strata/datasets/", 21)) {
		error = strata_error_set("'%s' is data received from a peer: only its owner describes it", dataset);
		goto done;
	}
	if (git_commit_tree(&root, tip) < 0) {
		error = strata_error_git("cannot read the dataset");
		goto done;
	}
	if ((error = strata_schema_load(&schema, strata_node_repo(n), root)) < 0 ||
	    (error = path_of(path, sizeof(path), DIR_DESCRIBED, dataset)) < 0)
		goto done;
	if ((error = state_get(&old, n, NULL, path)) == STRATA_ENOTFOUND) {
		strata_error_clear();
		error = 0;
	} else if (error < 0) {
		goto done;
	}
	desc = old ? json_deep_copy(old) : json_pack("{s:s, s:s, s:s, s:s, s:s, s:{}, s:{}}", "title", "",
						       "description", "", "attribute", "conditional", "frequency", "",
						       "contact", "", "labels", "classes");
	if (!desc) {
		error = strata_error_set("out of memory");
		goto done;
	}
#define SET(key, val)                                                                              \
	if ((val) && json_object_set_new(desc, key, json_string(val)) < 0) {                     \
		error = strata_error_set("--%s: the text is not UTF-8", key);                      \
		goto done;                                                                         \
	}
	SET("title", d->title)
	SET("description", d->description)
	SET("frequency", d->frequency)
	SET("contact", d->contact)
#undef SET
	if (d->attribute) {
		size_t i;
		for (i = 0; attrs[i] && strcmp(attrs[i], d->attribute); i++)
			;
		if (!attrs[i]) {
			error = strata_error_set("--attribute '%s': open (shared without conditions), conditional (on "
						 "request) or closed (listed, never shared)", d->attribute);
			goto done;
		}
		json_object_set_new(desc, "attribute", json_string(d->attribute));
	}
	labels = json_object_get(desc, "labels");
	classes = json_object_get(desc, "classes");
	if ((error = pairs_object(labels, d->labels, d->nlabels, schema, "--label")) < 0 ||
	    (error = pairs_object(classes, d->classes, d->nclasses, schema, "--class")) < 0)
		goto done;
	if (d->set_auto) {
		json_t *t = json_array(), *f = json_array();
		for (size_t i = 0; i < d->nauto_tiers; i++) {
			if (!strata_name_tier_valid(d->auto_tiers[i])) {
				json_decref(t);
				json_decref(f);
				error = strata_error_set("--auto-approve: '%s' is not a tier", d->auto_tiers[i]);
				goto done;
			}
			json_array_append_new(t, json_string(d->auto_tiers[i]));
		}
		for (size_t i = 0; i < d->nauto_fields; i++) {
			if (strata_schema_field(schema, d->auto_fields[i]) < 0) {
				json_decref(t);
				json_decref(f);
				error = strata_error_set("--auto-fields: the dataset has no field '%s'", d->auto_fields[i]);
				goto done;
			}
			json_array_append_new(f, json_string(d->auto_fields[i]));
		}
		json_object_set_new(desc, "auto_tiers", t);
		json_object_set_new(desc, "auto_fields", f);
	}
	if (json_array_size(json_object_get(desc, "auto_tiers")) && strcmp(sv(desc, "attribute"), "open")) {
		error = strata_error_set("a standing rule (--auto-approve) is for an open dataset: '%s' is %s", dataset,
					 sv(desc, "attribute"));
		goto done;
	}
	json_object_set_new(desc, "time", json_integer((json_int_t)strata_time_now()));
	/* what the catalogue will say must pass the checks every recipient makes */
	if ((error = state_put(&c, n, path, desc)) < 0)
		goto done;
	{
		json_t *ds = json_array(), *fields = json_array();
		for (size_t i = 0; i < schema->nfields && i < STRATA_PROCMSG_MAX_FIELDS; i++)
			json_array_append_new(fields, json_pack("{s:s,s:s,s:s,s:s}", "name", schema->names[i], "label",
								or_empty(pair_value(labels, schema->names[i])), "type",
								schema->types[i], "class",
								or_empty(pair_value(classes, schema->names[i]))));
		json_array_append_new(ds, json_pack("{s:s,s:O,s:O,s:O,s:O,s:O,s:i,s:b,s:o}", "name", dataset, "title",
						    json_object_get(desc, "title"), "description",
						    json_object_get(desc, "description"), "attribute",
						    json_object_get(desc, "attribute"), "frequency",
						    json_object_get(desc, "frequency"), "contact",
						    json_object_get(desc, "contact"), "records", 0, "described", 1, "fields",
						    fields));
		body = json_pack("{s:s,s:i,s:s,s:s,s:s,s:i,s:o}", "kind", "catalog", "v", STRATA_PROCMSG_VERSION, "node",
				 strata_node_name(n), "tier", strata_node_tier(n), "key", "", "time", 0, "datasets", ds);
	}
	if ((error = strata_node_load_key(n)) < 0 || (error = strata_procmsg_sign(&check, body, strata_node_key(n))) < 0)
		goto done;
	body = NULL;
	if ((error = strata_buf_printf(&c.trailers, "Strata-Dataset: %s\nStrata-Attribute: %s\n", dataset,
				       sv(desc, "attribute"))) < 0 ||
	    (error = strata_buf_printf(&subject, "catalogue: %s described (%s)", dataset, sv(desc, "attribute"))) < 0)
		goto done;
	error = change_commit(&c, n, "catalog-describe", subject.ptr);
done:
	change_dispose(&c);
	strata_procmsg_free(check);
	json_decref(body);
	json_decref(desc);
	json_decref(old);
	strata_schema_free(schema);
	git_tree_free(root);
	git_commit_free(tip);
	strata_buf_dispose(&ref);
	strata_buf_dispose(&subject);
	return error;
}

/* --- listing the catalogue --- */

static int list_catalog(strata_node *n, const strata_procmsg *m, const char *via, strata_catalog_cb cb, void *payload)
{
	json_t *ds = json_object_get(m->body, "datasets");
	strata_buf path = STRATA_BUF_INIT;
	int error = 0;

	for (size_t i = 0; i < m->nhops && !error; i++)
		error = strata_buf_printf(&path, "%s%s", i ? " > " : "", m->hops[i]);
	if (!error && via[0])
		error = strata_buf_printf(&path, " > %s", strata_node_name(n));
	for (size_t i = 0; !error && i < json_array_size(ds); i++) {
		json_t *d = json_array_get(ds, i);
		strata_catalog_entry e = { m->origin, sv(m->body, "tier"), sv(d, "name"), d, via, path.ptr,
					   strata_procmsg_int(m, "time") };
		error = cb(&e, payload);
	}
	strata_buf_dispose(&path);
	return error;
}

/* The catalogue of `node` held here (NULL if none), and the peer it came by. */
static int held_catalog(strata_procmsg **out, json_t **st, strata_node *n, const change *c, const char *node)
{
	char path[128];
	int error;

	*out = NULL;
	*st = NULL;
	if ((error = path_of(path, sizeof(path), DIR_CATALOG, node)) < 0)
		return error;
	if ((error = state_get(st, n, c, path)) == STRATA_ENOTFOUND) {
		strata_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	return strata_procmsg_decode(out, path, sv(*st, "env"), strlen(sv(*st, "env")));
}

int strata_process_catalog(strata_node *n, strata_catalog_cb cb, void *payload)
{
	strata_procmsg *own = NULL;
	char **names = NULL;
	size_t count = 0;
	int error;

	if ((error = own_catalog(&own, n)) < 0 || (error = list_catalog(n, own, "", cb, payload)) != 0 ||
	    (error = state_list(&names, &count, n, DIR_CATALOG)) < 0)
		goto done;
	for (size_t i = 0; !error && i < count; i++) {
		strata_procmsg *m = NULL;
		json_t *st = NULL;
		if ((error = held_catalog(&m, &st, n, NULL, names[i])) == 0 && m)
			error = list_catalog(n, m, sv(st, "via"), cb, payload);
		strata_procmsg_free(m);
		json_decref(st);
	}
done:
	free_names(names, count);
	strata_procmsg_free(own);
	return error;
}

/* --- requests --- */

/* `t` plus `days` working days (Monday to Friday, UTC; public holidays are not known here). */
static int64_t working_days(int64_t t, int days)
{
	while (days > 0) {
		time_t tt;
		struct tm tm;
		t += 86400;
		tt = (time_t)t;
		gmtime_r(&tt, &tm);
		if (tm.tm_wday != 0 && tm.tm_wday != 6)
			days--;
	}
	return t;
}

/* The next hop toward `node`: the node itself if it is a peer, else the peer its catalogue came by; "" if none. */
static int route_to(char *out, size_t size, strata_node *n, const change *c, const char *node)
{
	strata_buf key = STRATA_BUF_INIT;
	strata_procmsg *m = NULL;
	json_t *st = NULL;
	int error;

	out[0] = '\0';
	if (strata_peers_get(&key, n, node, "key") == 0) {
		strata_buf_dispose(&key);
		snprintf(out, size, "%s", node);
		return 0;
	}
	strata_buf_dispose(&key);
	strata_error_clear();
	if ((error = held_catalog(&m, &st, n, c, node)) == 0 && m)
		snprintf(out, size, "%s", sv(st, "via"));
	strata_procmsg_free(m);
	json_decref(st);
	return error;
}

static const json_t *catalog_dataset(const strata_procmsg *m, const char *dataset)
{
	json_t *ds = json_object_get(m->body, "datasets");
	for (size_t i = 0; i < json_array_size(ds); i++)
		if (!strcmp(sv(json_array_get(ds, i), "name"), dataset))
			return json_array_get(ds, i);
	return NULL;
}

static int catalog_has_field(const json_t *d, const char *field)
{
	json_t *fs = json_object_get(d, "fields");
	for (size_t i = 0; i < json_array_size(fs); i++)
		if (!strcmp(sv(json_array_get(fs, i), "name"), field))
			return 1;
	return 0;
}

static int store_request(change *c, strata_node *n, const strata_procmsg *req, const char *via, const char *route,
			 json_t *legs)
{
	strata_buf env = STRATA_BUF_INIT;
	char path[128];
	json_t *st;
	int error;

	if ((error = strata_procmsg_encode(&env, req, NULL)) < 0 ||
	    (error = path_of(path, sizeof(path), DIR_REQUESTS, strata_procmsg_str(req, "id"))) < 0)
		goto done;
	st = json_pack("{s:s%, s:s, s:s, s:O, s:[], s:I}", "request", env.ptr, env.len, "via", via, "route", route,
		       "legs", legs, "answers", "received", (json_int_t)strata_time_now());
	if (!st) {
		error = strata_error_set("out of memory");
		goto done;
	}
	error = state_put(c, n, path, st);
	json_decref(st);
done:
	strata_buf_dispose(&env);
	return error;
}

int strata_process_request(strata_node *n, const char *owner, const char *dataset, char *const *fields,
			   size_t nfields, const char *purpose, const char *basis, int64_t until, int days,
			   char id[17])
{
	strata_procmsg *cat = NULL, *req = NULL;
	json_t *st = NULL, *body = NULL, *flist = NULL, *legs = NULL;
	const json_t *d;
	change c = { { { 0 } }, 0, STRATA_BUF_INIT };
	strata_buf subject = STRATA_BUF_INIT;
	char route[64];
	unsigned char raw[8];
	int64_t now = strata_time_now();
	int error;

	if ((error = strata_journal_lock(n)) < 0)
		return error;
	if (!strcmp(owner, strata_node_name(n)))
		return strata_error_set("'%s' is this node: a node does not request its own data", owner);
	if (!purpose || !*purpose || !basis || !*basis)
		return strata_error_set("a request needs its purpose (--purpose) and its legal basis (--basis)");
	if ((error = held_catalog(&cat, &st, n, NULL, owner)) < 0)
		return error;
	if (!cat) {
		error = strata_error_setc(STRATA_ENOTFOUND, "no catalogue of '%s' came to this node: 'strata catalog' "
					  "lists the nodes and datasets it knows", owner);
		goto done;
	}
	if ((d = catalog_dataset(cat, dataset)) == NULL) {
		error = strata_error_setc(STRATA_ENOTFOUND, "'%s' lists no dataset '%s' in its catalogue", owner, dataset);
		goto done;
	}
	if (!strcmp(sv(d, "attribute"), "closed")) {
		error = strata_error_setc(STRATA_EDENIED, "'%s/%s' is closed: its owner lists it but does not share it",
					  owner, dataset);
		goto done;
	}
	if ((flist = json_array()) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; i < nfields; i++) {
		if (!catalog_has_field(d, fields[i])) {
			error = strata_error_setc(STRATA_ENOTFOUND, "'%s/%s' has no field '%s' (its catalogue lists its "
						  "fields)", owner, dataset, fields[i]);
			goto done;
		}
		json_array_append_new(flist, json_string(fields[i]));
	}
	if ((error = route_to(route, sizeof(route), n, NULL, owner)) < 0)
		goto done;
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		error = strata_error_ssl("no randomness for a request id");
		goto done;
	}
	strata_enc_hex(id, raw, sizeof(raw));
	body = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:I, s:I, s:I}", "kind", "request", "v",
			 STRATA_PROCMSG_VERSION, "id", id, "from", strata_node_name(n), "owner", owner, "dataset", dataset,
			 "fields", flist, "purpose", purpose, "basis", basis, "until", (json_int_t)until, "deadline",
			 (json_int_t)working_days(now, days > 0 ? days : STRATA_PROCESS_DEADLINE_DAYS), "time",
			 (json_int_t)now);
	if (!body) {
		error = strata_error_set("a request's purpose and basis must be UTF-8 text");
		goto done;
	}
	if ((error = strata_node_load_key(n)) < 0 || (error = strata_procmsg_sign(&req, body, strata_node_key(n))) < 0) {
		body = NULL;
		goto done;
	}
	body = NULL;
	/* the relays between the owner and us: each approves its own leg */
	legs = json_array();
	for (size_t i = 1; legs && i < cat->nhops; i++)
		json_array_append_new(legs, json_string(cat->hops[i]));
	if ((error = store_request(&c, n, req, "", route, legs)) < 0 ||
	    (error = strata_buf_printf(&c.trailers, "Strata-Request: %s\nStrata-Owner: %s\nStrata-Dataset: %s\n"
				       "Strata-Purpose: %s\nStrata-Basis: %s\nStrata-Route: %s\n", id, owner, dataset,
				       purpose, basis, route)) < 0 ||
	    (error = strata_buf_printf(&subject, "request %s filed with %s for %s", id, owner, dataset)) < 0)
		goto done;
	error = change_commit(&c, n, "request-filed", subject.ptr);
done:
	change_dispose(&c);
	strata_buf_dispose(&subject);
	strata_procmsg_free(cat);
	strata_procmsg_free(req);
	json_decref(st);
	json_decref(body);
	json_decref(flist);
	json_decref(legs);
	return error;
}

/* --- a request's state, read --- */

typedef struct {
	json_t *st;
	strata_procmsg *req;
	strata_procmsg **answers;
	size_t nanswers;
	const strata_procmsg *owner_answer;	/* the owner's, or NULL */
} held_request;

static void held_request_dispose(held_request *h)
{
	for (size_t i = 0; i < h->nanswers; i++)
		strata_procmsg_free(h->answers[i]);
	free(h->answers);
	strata_procmsg_free(h->req);
	json_decref(h->st);
	memset(h, 0, sizeof(*h));
}

/* Request `id` as held (as of change `c`); STRATA_ENOTFOUND if it is not. */
static int held_request_load(held_request *h, strata_node *n, const change *c, const char *id)
{
	char path[128];
	json_t *as;
	int error;

	memset(h, 0, sizeof(*h));
	if (!strata_procmsg_id_valid(id))
		return strata_error_setc(STRATA_ENOTFOUND, "'%s' is not a request id (16 hex digits, as 'strata "
					 "requests' shows it)", id);
	if ((error = path_of(path, sizeof(path), DIR_REQUESTS, id)) < 0)
		return error;
	if ((error = state_get(&h->st, n, c, path)) == STRATA_ENOTFOUND)
		return strata_error_setc(STRATA_ENOTFOUND, "no request '%s' here ('strata requests' lists them)", id);
	if (error < 0 || (error = strata_procmsg_decode(&h->req, path, sv(h->st, "request"),
							strlen(sv(h->st, "request")))) < 0)
		goto fail;
	as = json_object_get(h->st, "answers");
	if (json_array_size(as) && (h->answers = calloc(json_array_size(as), sizeof(*h->answers))) == NULL) {
		error = strata_error_set("out of memory");
		goto fail;
	}
	for (size_t i = 0; i < json_array_size(as); i++) {
		const char *env = json_string_value(json_array_get(as, i));
		if ((error = strata_procmsg_decode(&h->answers[h->nanswers], path, env ? env : "",
						   env ? strlen(env) : 0)) < 0)
			goto fail;
		if (!strcmp(strata_procmsg_str(h->answers[h->nanswers], "role"), "owner"))
			h->owner_answer = h->answers[h->nanswers];
		h->nanswers++;
	}
	return 0;
fail:
	held_request_dispose(h);
	return error;
}

static const strata_procmsg *answer_from(const held_request *h, const char *node)
{
	for (size_t i = 0; i < h->nanswers; i++)
		if (!strcmp(h->answers[i]->origin, node))
			return h->answers[i];
	return NULL;
}

static int request_info(strata_node *n, const held_request *h, strata_request_cb cb, void *payload)
{
	const char *me = strata_node_name(n);
	const strata_procmsg *r = h->req, *oa = h->owner_answer, *mine;
	strata_buf legs = STRATA_BUF_INIT, waiting = STRATA_BUF_INIT, policy = STRATA_BUF_INIT;
	strata_request_info info;
	int64_t now = strata_time_now();
	int error = 0, legs_refused = 0;

	memset(&info, 0, sizeof(info));
	info.id = strata_procmsg_str(r, "id");
	info.from = strata_procmsg_str(r, "from");
	info.owner = strata_procmsg_str(r, "owner");
	info.dataset = strata_procmsg_str(r, "dataset");
	info.purpose = strata_procmsg_str(r, "purpose");
	info.basis = strata_procmsg_str(r, "basis");
	info.fields = json_object_get(r->body, "fields");
	info.time = strata_procmsg_int(r, "time");
	info.deadline = strata_procmsg_int(r, "deadline");
	info.until = strata_procmsg_int(r, "until");
	info.via = sv(h->st, "via");
	info.route = sv(h->st, "route");
	info.state = h->st;
	info.role = !strcmp(info.from, me) ? "filed" : !strcmp(info.owner, me) ? "owner" : "relay";
	info.answered_by = oa ? oa->origin : "";
	info.decision = oa ? strata_procmsg_str(oa, "decision") : "";
	info.reason = oa ? strata_procmsg_str(oa, "reason") : "";
	if (oa && strata_procmsg_str(oa, "policy")[0])
		error = strata_buf_printf(&policy, "%s v%lld", strata_procmsg_str(oa, "policy"),
					  (long long)strata_procmsg_int(oa, "version"));
	/*
	 * The legs, owner side first: where the request was filed, each relay
	 * its catalogue came through (answered or still owed); elsewhere the
	 * relays' answers held here, in the order they came.
	 */
	{
		json_t *ls = json_object_get(h->st, "legs");
		int filed = !strcmp(info.role, "filed");
		size_t count = filed ? json_array_size(ls) : h->nanswers;
		for (size_t i = 0; !error && i < count; i++) {
			const char *leg = filed ? json_string_value(json_array_get(ls, i)) : h->answers[i]->origin;
			const strata_procmsg *a = leg ? answer_from(h, leg) : NULL;
			if (!leg || (!filed && strcmp(strata_procmsg_str(a, "role"), "relay")))
				continue;
			if (!a) {
				error = strata_buf_printf(&legs, "%s%s open", legs.len ? ", " : "", leg);
				if (!error && oa && !strcmp(info.decision, "approve"))
					error = strata_buf_printf(&waiting, "%s%s", waiting.len ? ", " : "", leg);
			} else if (!strcmp(strata_procmsg_str(a, "decision"), "refuse")) {
				legs_refused = 1;
				error = strata_buf_printf(&legs, "%s%s refused: %s", legs.len ? ", " : "", leg,
							  strata_procmsg_str(a, "reason"));
			} else {
				error = strata_buf_printf(&legs, "%s%s approved (%s v%lld)", legs.len ? ", " : "", leg,
							  strata_procmsg_str(a, "policy"),
							  (long long)strata_procmsg_int(a, "version"));
			}
		}
	}
	mine = answer_from(h, me);
	if (!oa) {
		info.status = now > info.deadline ? "overdue" : "open";
		if (!error)
			error = strata_buf_puts(&waiting, info.owner);
	} else if (!strcmp(info.decision, "refuse") || legs_refused) {
		info.status = "refused";
	} else if (!strcmp(info.role, "relay") && !mine) {
		info.status = "leg-open";
		if (!error)
			error = strata_buf_puts(&waiting, me);
	} else {
		info.status = waiting.len ? N_("approved, legs open") : N_("approved");
	}
	info.policy = policy.ptr ? policy.ptr : "";
	info.legs = legs.ptr ? legs.ptr : "";
	info.waiting = waiting.ptr ? waiting.ptr : "";
	if (!error)
		error = cb(&info, payload);
	strata_buf_dispose(&legs);
	strata_buf_dispose(&waiting);
	strata_buf_dispose(&policy);
	return error;
}

/* Newest first, then by id. */
static int by_time_desc(const void *a, const void *b)
{
	const held_request *x = a, *y = b;
	int64_t tx = strata_procmsg_int(x->req, "time"), ty = strata_procmsg_int(y->req, "time");
	return tx < ty ? 1 : tx > ty ? -1 : strcmp(strata_procmsg_str(x->req, "id"), strata_procmsg_str(y->req, "id"));
}

int strata_process_requests(strata_node *n, strata_request_cb cb, void *payload)
{
	char **names = NULL;
	size_t count = 0, loaded = 0;
	held_request *all = NULL;
	int error;

	if ((error = state_list(&names, &count, n, DIR_REQUESTS)) < 0)
		return error;
	if (count && (all = calloc(count, sizeof(*all))) == NULL) {
		free_names(names, count);
		return strata_error_set("out of memory");
	}
	/* each read once, then sorted (no request: no array to sort; qsort's pointer may not be NULL) */
	for (; !error && loaded < count; loaded++)
		if ((error = held_request_load(&all[loaded], n, NULL, names[loaded])) < 0)
			break;
	if (!error && count)
		qsort(all, count, sizeof(*all), by_time_desc);
	for (size_t i = 0; !error && i < count; i++)
		error = request_info(n, &all[i], cb, payload);
	for (size_t i = 0; i < loaded; i++)
		held_request_dispose(&all[i]);
	free(all);
	free_names(names, count);
	return error;
}

static int count_one(const strata_request_info *r, void *payload)
{
	strata_process_counts *c = payload;

	if (!strcmp(r->role, "filed")) {
		if (!strcmp(r->status, "open") || !strcmp(r->status, "overdue"))
			c->filed_open++;
		else
			c->filed_answered++;
		return 0;
	}
	if (!strcmp(r->status, "open"))
		c->to_answer++;
	else if (!strcmp(r->status, "overdue"))
		c->overdue++;
	else if (!strcmp(r->status, "leg-open"))
		c->legs_open++;
	else
		c->answered++;
	return 0;
}

int strata_process_count(strata_node *n, strata_process_counts *c)
{
	memset(c, 0, sizeof(*c));
	return strata_process_requests(n, count_one, c);
}

/* --- answers --- */

/* 0 if policy `p` lets every requested field of the dataset through to `peer`, else why not. */
static int policy_shares(const strata_policy *p, strata_node *n, const char *peer, const strata_procmsg *req)
{
	strata_buf tier = STRATA_BUF_INIT;
	const strata_policy_dataset *pd;
	json_t *fs = json_object_get(req->body, "fields");
	const char *dataset = strata_procmsg_str(req, "dataset");
	int error = 0;

	strata_peers_get(&tier, n, peer, "tier");
	strata_error_clear();
	if (!strata_policy_applies(p, peer, tier.ptr))
		error = strata_error_set("policy '%s' (version %ld) does not name '%s' or its tier as a recipient", p->name,
					 p->version, peer);
	else if ((pd = strata_policy_find(p, dataset)) == NULL)
		error = strata_error_set("policy '%s' (version %ld) does not share dataset '%s'", p->name, p->version,
					 dataset);
	else
		for (size_t i = 0; !error && i < json_array_size(fs); i++) {
			const char *f = json_string_value(json_array_get(fs, i));
			if (!strata_policy_shared_rule(pd, f))
				error = strata_error_set("policy '%s' (version %ld) does not share field '%s' of '%s'", p->name,
							 p->version, f, dataset);
		}
	strata_buf_dispose(&tier);
	return error;
}

/* A signed answer of this node to `req`, as its envelope: an officer's, or one it gives itself (a refusal it must give, its standing rule's approval). */
static int sign_answer(strata_buf *env, strata_node *n, const strata_procmsg *req, const char *role, const char *decision,
		       const char *reason, const strata_policy *p, const char *blob)
{
	strata_procmsg *ans = NULL;
	json_t *body = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I}", "kind", "answer", "v",
				 STRATA_PROCMSG_VERSION, "request", strata_procmsg_str(req, "id"), "from",
				 strata_node_name(n), "role", role, "to", strata_procmsg_str(req, "from"), "decision",
				 decision, "reason", reason ? reason : "", "policy", p ? p->name : "", "version",
				 (json_int_t)(p ? p->version : 0), "blob", blob ? blob : "", "time",
				 (json_int_t)strata_time_now());
	int error;

	if (!body)
		return strata_error_set("an answer's reason must be UTF-8 text");
	if ((error = strata_node_load_key(n)) < 0 || (error = strata_procmsg_sign(&ans, body, strata_node_key(n))) < 0)
		return error;
	error = strata_procmsg_encode(env, ans, NULL);
	strata_procmsg_free(ans);
	return error;
}

int strata_process_answer(strata_node *n, const char *id, int approve, const char *reason, const char *policy_file)
{
	const char *me = strata_node_name(n);
	held_request h;
	strata_policy *p = NULL;
	strata_buf pname = STRATA_BUF_INIT, env = STRATA_BUF_INIT, subject = STRATA_BUF_INIT;
	change c = { { { 0 } }, 0, STRATA_BUF_INIT };
	git_oid blob;
	char blobhex[GIT_OID_HEXSZ + 1] = "", path[128];
	const char *role, *via;
	json_t *st = NULL;
	int error;

	if ((error = strata_journal_lock(n)) < 0 || (error = held_request_load(&h, n, NULL, id)) < 0)
		return error;
	via = sv(h.st, "via");
	role = !strcmp(strata_procmsg_str(h.req, "owner"), me) ? "owner" : "relay";
	if (!via[0]) {
		error = strata_error_set("request %s was filed here: its owner '%s' answers it", id,
					 strata_procmsg_str(h.req, "owner"));
		goto done;
	}
	if (answer_from(&h, me)) {
		error = strata_error_setc(STRATA_EEXISTS, "request %s was already answered here (%s): an answer is final",
					  id, strata_procmsg_str(answer_from(&h, me), "decision"));
		goto done;
	}
	if (!strcmp(role, "relay") && !h.owner_answer) {
		error = strata_error_set("request %s: its owner '%s' has not answered yet; a relay answers for its own "
					 "leg once the owner approved", id, strata_procmsg_str(h.req, "owner"));
		goto done;
	}
	if (!strcmp(role, "relay") && strcmp(strata_procmsg_str(h.owner_answer, "decision"), "approve")) {
		error = strata_error_set("request %s was refused by its owner: there is no leg to answer", id);
		goto done;
	}
	if (!approve && (!reason || !*reason)) {
		error = strata_error_set("a refusal needs its reason (--reason)");
		goto done;
	}
	if (approve) {
		/* the policy this node applies for the peer toward the requester must pass the fields on */
		if ((error = strata_peers_get(&pname, n, via, "policy")) < 0) {
			error = strata_error_set("peer '%s' (toward the requester) receives under no policy here: give it "
						 "one ('strata peer set %s --policy NAME')", via, via);
			goto done;
		}
		if (policy_file) {
			strata_policy_commit_result pr;
			size_t i;
			if ((error = strata_policy_load(&p, policy_file)) < 0)
				goto done;
			if (strcmp(p->name, pname.ptr)) {
				error = strata_error_set("'%s' is policy '%s', but peer '%s' receives under '%s'", policy_file,
							 p->name, via, pname.ptr);
				goto done;
			}
			for (i = 0; i < p->nrequests && strcmp(p->requests[i], id); i++)
				;
			if (i == p->nrequests) {
				error = strata_error_set("'%s' does not name request %s: add it under 'requests:', so the "
							 "policy says which request it answers", policy_file, id);
				goto done;
			}
			if ((error = policy_shares(p, n, via, h.req)) < 0 ||
			    (error = strata_policy_store_commit(n, policy_file, &pr)) < 0)
				goto done;
			strata_policy_free(p);
			p = NULL;
		}
		if ((error = strata_policy_store_load(&p, &blob, n, pname.ptr)) < 0)
			goto done;
		if ((error = policy_shares(p, n, via, h.req)) < 0) {
			error = strata_error_set("%s: approve with --policy FILE, a new version that shares it and names "
						 "request %s under 'requests:'", strata_error_last(), id);
			goto done;
		}
		git_oid_tostr(blobhex, sizeof(blobhex), &blob);
	}
	if ((error = sign_answer(&env, n, h.req, role, approve ? "approve" : "refuse", reason, p, blobhex)) < 0)
		goto done;
	st = json_deep_copy(h.st);
	if (!st || json_array_append_new(json_object_get(st, "answers"), json_stringn(env.ptr, env.len)) < 0) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if ((error = path_of(path, sizeof(path), DIR_REQUESTS, id)) < 0 || (error = state_put(&c, n, path, st)) < 0 ||
	    (error = strata_buf_printf(&c.trailers, "Strata-Request: %s\nStrata-Decision: %s\nStrata-Role: %s\n"
				       "Strata-Requester: %s\nStrata-Dataset: %s/%s\n", id, approve ? "approve" : "refuse",
				       role, strata_procmsg_str(h.req, "from"), strata_procmsg_str(h.req, "owner"),
				       strata_procmsg_str(h.req, "dataset"))) < 0 ||
	    (p && (error = strata_buf_printf(&c.trailers, "Strata-Policy: %s %ld %s\n", p->name, p->version, blobhex)) < 0) ||
	    (reason && *reason && (error = strata_buf_printf(&c.trailers, "Strata-Reason: %s\n", reason)) < 0) ||
	    (error = strata_buf_printf(&subject, "request %s %s (%s)", id, approve ? "approved" : "refused",
				       !strcmp(role, "owner") ? "as its owner" : "this relay's leg")) < 0)
		goto done;
	error = change_commit(&c, n, "request-answered", subject.ptr);
done:
	change_dispose(&c);
	strata_buf_dispose(&pname);
	strata_buf_dispose(&env);
	strata_buf_dispose(&subject);
	strata_policy_free(p);
	json_decref(st);
	held_request_dispose(&h);
	return error;
}

/* --- what goes to a peer --- */

static int correction_lines(strata_buf *out, strata_node *n, const char *peer);

/* One envelope line: `m` passed on by this node (it adds itself unless it is the last hop already). */
static int put_line(strata_buf *out, strata_node *n, const strata_procmsg *m)
{
	const char *me = strata_node_name(n);
	int error;

	if ((error = strata_procmsg_encode(out, m, strcmp(m->hops[m->nhops - 1], me) ? me : NULL)) < 0)
		return error;
	return strata_buf_puts(out, "\n");
}

int strata_process_lines(strata_buf *out, strata_node *n, const char *peer)
{
	char **names = NULL;
	size_t count = 0;
	strata_procmsg *own = NULL;
	int64_t now = strata_time_now();
	int error;

	if ((error = own_catalog(&own, n)) < 0 || (error = put_line(out, n, own)) < 0 ||
	    (error = state_list(&names, &count, n, DIR_CATALOG)) < 0)
		goto done;
	for (size_t i = 0; !error && i < count; i++) {
		strata_procmsg *m = NULL;
		json_t *st = NULL;
		if (strcmp(names[i], peer) && (error = held_catalog(&m, &st, n, NULL, names[i])) == 0 && m &&
		    !strata_procmsg_has_hop(m, peer))
			error = put_line(out, n, m);
		strata_procmsg_free(m);
		json_decref(st);
	}
	free_names(names, count);
	names = NULL;
	count = 0;
	if (error < 0 || (error = state_list(&names, &count, n, DIR_REQUESTS)) < 0)
		goto done;
	for (size_t i = 0; !error && i < count; i++) {
		held_request h;
		if ((error = held_request_load(&h, n, NULL, names[i])) < 0)
			break;
		/* toward the owner, until it answers (or long past the deadline) */
		if (!strcmp(sv(h.st, "route"), peer) && !h.owner_answer &&
		    now <= strata_procmsg_int(h.req, "deadline") + STRATA_PROCESS_KEEP)
			error = put_line(out, n, h.req);
		/* the answers, back the way the request came */
		if (!strcmp(sv(h.st, "via"), peer))
			for (size_t k = 0; !error && k < h.nanswers; k++)
				if (now <= strata_procmsg_int(h.answers[k], "time") + STRATA_PROCESS_KEEP)
					error = put_line(out, n, h.answers[k]);
		held_request_dispose(&h);
	}
	if (!error)
		error = correction_lines(out, n, peer);
done:
	free_names(names, count);
	strata_procmsg_free(own);
	return error;
}

/* --- what comes from a peer --- */

static int take_catalog(change *c, strata_node *n, const char *peer, const strata_procmsg *m)
{
	strata_procmsg *held = NULL;
	strata_buf env = STRATA_BUF_INIT;
	json_t *st = NULL, *nst;
	char path[128];
	int error;

	if ((error = held_catalog(&held, &st, n, c, m->origin)) < 0)
		return error;
	/*
	 * Newer wins; the same again only by a shorter path; another of the same
	 * second only from the peer the held one came by (its owner's side: a
	 * node passes on only the one it holds, so that is the later one)
	 */
	if (held && (strata_procmsg_int(held, "time") > strata_procmsg_int(m, "time") ||
		     (!strcmp(held->id, m->id) && held->nhops <= m->nhops) ||
		     (strata_procmsg_int(held, "time") == strata_procmsg_int(m, "time") && strcmp(held->id, m->id) &&
		      strcmp(sv(st, "via"), peer))))
		goto done;	/* as new, or newer, is here: nothing to do */
	if ((error = strata_procmsg_encode(&env, m, NULL)) < 0 ||
	    (error = path_of(path, sizeof(path), DIR_CATALOG, m->origin)) < 0)
		goto done;
	if ((nst = json_pack("{s:s, s:s%}", "via", peer, "env", env.ptr, env.len)) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	/* its keys before, each valid for what was signed before this node learned the next (key_check) */
	if (st && json_object_get(st, "retired"))
		json_object_set(nst, "retired", json_object_get(st, "retired"));
	if (held && !strata_sign_pubkey_equal(&held->key, &m->key)) {
		strata_buf k = STRATA_BUF_INIT;
		json_t *r = json_object_get(nst, "retired");
		if (!r)
			json_object_set_new(nst, "retired", r = json_array());
		if ((error = strata_sign_pubkey_format(&k, &held->key)) == 0)
			json_array_append_new(r, json_pack("{s:s, s:I}", "key", k.ptr, "before",
							   (json_int_t)strata_time_now()));
		strata_buf_dispose(&k);
		if (error < 0) {
			json_decref(nst);
			goto done;
		}
	}
	error = state_put(c, n, path, nst);
	json_decref(nst);
	if (!error)
		error = strata_buf_printf(&c->trailers, "Strata-Catalog: %s %lld %zu\n", m->origin,
					  (long long)strata_procmsg_int(m, "time"),
					  json_array_size(json_object_get(m->body, "datasets")));
done:
	strata_buf_dispose(&env);
	strata_procmsg_free(held);
	json_decref(st);
	return error;
}

/* The owner refuses at once what it cannot give: a dataset it does not list, closed, or a field it lacks. */
static int owner_refusal(strata_node *n, const strata_procmsg *req, char *reason, size_t size)
{
	strata_procmsg *own = NULL;
	const json_t *d;
	json_t *fs = json_object_get(req->body, "fields");
	int error;

	reason[0] = '\0';
	if ((error = own_catalog(&own, n)) < 0)
		return error;
	if ((d = catalog_dataset(own, strata_procmsg_str(req, "dataset"))) == NULL)
		snprintf(reason, size, _("%s holds no dataset '%s'"), strata_node_name(n), strata_procmsg_str(req, "dataset"));
	else if (!strcmp(sv(d, "attribute"), "closed"))
		snprintf(reason, size, _("'%s' is closed: listed, not shared"), strata_procmsg_str(req, "dataset"));
	else
		for (size_t i = 0; !reason[0] && i < json_array_size(fs); i++)
			if (!catalog_has_field(d, json_string_value(json_array_get(fs, i))))
				snprintf(reason, size, _("'%s' has no field '%s'"), strata_procmsg_str(req, "dataset"),
					 json_string_value(json_array_get(fs, i)));
	strata_procmsg_free(own);
	return 0;
}

/*
 * The owner's standing rule (catalog describe --auto-approve): an open
 * dataset, a requester of a tier it names, fields it names, and the policy
 * for the peer toward the requester already sharing them.  1 (and the
 * policy, its blob) if it approves, 0 if the officer decides.
 */
static int standing_rule(strata_node *n, const change *c, const strata_procmsg *req, const char *peer,
			 strata_policy **p, char blob[GIT_OID_HEXSZ + 1])
{
	strata_buf tier = STRATA_BUF_INIT, pname = STRATA_BUF_INIT;
	strata_procmsg *cat = NULL;
	json_t *desc = NULL, *st = NULL, *tiers, *fields, *asked = json_object_get(req->body, "fields");
	char path[128];
	git_oid id;
	int ok = 0;

	*p = NULL;
	if (path_of(path, sizeof(path), DIR_DESCRIBED, strata_procmsg_str(req, "dataset")) < 0 ||
	    state_get(&desc, n, NULL, path) < 0 || strcmp(sv(desc, "attribute"), "open"))
		goto done;
	/* the requester's tier: as node.conf pins it, else as its catalogue says */
	if (strata_peers_get(&tier, n, strata_procmsg_str(req, "from"), "tier") < 0) {
		strata_error_clear();
		if (held_catalog(&cat, &st, n, c, strata_procmsg_str(req, "from")) < 0 || !cat)
			goto done;
		strata_buf_puts(&tier, strata_procmsg_str(cat, "tier"));
	}
	tiers = json_object_get(desc, "auto_tiers");
	fields = json_object_get(desc, "auto_fields");
	for (size_t i = 0; !ok && tier.ptr && i < json_array_size(tiers); i++)
		ok = !strcmp(json_string_value(json_array_get(tiers, i)), tier.ptr);
	for (size_t i = 0; ok && i < json_array_size(asked); i++) {
		size_t k;
		for (k = 0; k < json_array_size(fields) &&
			    strcmp(json_string_value(json_array_get(fields, k)), json_string_value(json_array_get(asked, i)));
		     k++)
			;
		ok = k < json_array_size(fields);
	}
	if (ok && (strata_peers_get(&pname, n, peer, "policy") < 0 || strata_policy_store_load(p, &id, n, pname.ptr) < 0 ||
		   policy_shares(*p, n, peer, req) < 0))
		ok = 0;
	if (ok)
		git_oid_tostr(blob, GIT_OID_HEXSZ + 1, &id);
done:
	strata_error_clear();
	if (!ok) {
		strata_policy_free(*p);
		*p = NULL;
	}
	strata_procmsg_free(cat);
	json_decref(st);
	json_decref(desc);
	strata_buf_dispose(&tier);
	strata_buf_dispose(&pname);
	return ok;
}

static int take_request(change *c, strata_node *n, const char *peer, const strata_procmsg *m, const char *what)
{
	const char *me = strata_node_name(n), *id = strata_procmsg_str(m, "id");
	held_request h;
	strata_buf env = STRATA_BUF_INIT;
	strata_policy *rule = NULL;
	char route[64] = "", reason[256] = "", path[128], blob[GIT_OID_HEXSZ + 1] = "";
	json_t *st = NULL, *legs = json_array();
	int error;

	if ((error = held_request_load(&h, n, c, id)) == 0) {
		if (strcmp(h.req->id, m->id))
			error = strata_error_setc(STRATA_EVERIFY, "'%s': a request %s from '%s' unlike the one held under "
						  "that id (a replay with other content, or a forgery)", what, id, m->origin);
		held_request_dispose(&h);
		json_decref(legs);
		return error;	/* the same again: held */
	}
	if (error != STRATA_ENOTFOUND) {
		json_decref(legs);
		return error;
	}
	strata_error_clear();
	if (!strcmp(strata_procmsg_str(m, "owner"), me)) {
		error = owner_refusal(n, m, reason, sizeof(reason));
		if (!error && !reason[0] && standing_rule(n, c, m, peer, &rule, blob))
			snprintf(reason, sizeof(reason), _("approved by the owner's standing rule for open data"));
	} else if ((error = route_to(route, sizeof(route), n, c, strata_procmsg_str(m, "owner"))) == 0 &&
		   (!route[0] || !strcmp(route, peer))) {
		snprintf(reason, sizeof(reason), _("%s knows no way on to '%s'"), me, strata_procmsg_str(m, "owner"));
		route[0] = '\0';
	}
	if (!error)
		error = store_request(c, n, m, peer, route, legs);
	if (!error && reason[0] &&
	    (error = sign_answer(&env, n, m, !strcmp(strata_procmsg_str(m, "owner"), me) ? "owner" : "relay",
				 rule ? "approve" : "refuse", reason, rule, blob)) == 0 &&
	    (error = path_of(path, sizeof(path), DIR_REQUESTS, id)) == 0 && (error = state_get(&st, n, c, path)) == 0 &&
	    json_array_append_new(json_object_get(st, "answers"), json_stringn(env.ptr, env.len)) == 0)
		error = state_put(c, n, path, st);
	if (!error)
		error = strata_buf_printf(&c->trailers, "Strata-Request: %s %s %s/%s%s%s\n", id, m->origin,
					  strata_procmsg_str(m, "owner"), strata_procmsg_str(m, "dataset"),
					  rule ? ": " : reason[0] ? " refused: " : "", reason);
	strata_policy_free(rule);
	json_decref(st);
	json_decref(legs);
	strata_buf_dispose(&env);
	return error;
}

static int take_answer(change *c, strata_node *n, const char *peer, const strata_procmsg *m, const char *what)
{
	const char *rid = strata_procmsg_str(m, "request"), *role = strata_procmsg_str(m, "role");
	held_request h;
	strata_buf env = STRATA_BUF_INIT;
	char path[128];
	json_t *st = NULL;
	int error;

	if ((error = held_request_load(&h, n, c, rid)) == STRATA_ENOTFOUND)
		return strata_error_set("'%s': an answer from '%s' to request %s, which this node never filed or passed on",
					what, m->origin, rid);
	if (error < 0)
		return error;
	for (size_t i = 0; i < h.nanswers; i++)
		if (!strcmp(h.answers[i]->id, m->id))
			goto done;	/* held */
	if (strcmp(sv(h.st, "route"), peer))
		error = strata_error_set("'%s': an answer to request %s came from '%s', not the way the request went ('%s')",
					 what, rid, peer, sv(h.st, "route"));
	else if (strcmp(strata_procmsg_str(m, "to"), strata_procmsg_str(h.req, "from")))
		error = strata_error_set("'%s': an answer to request %s addressed to '%s', not its requester", what, rid,
					 strata_procmsg_str(m, "to"));
	else if (!strcmp(role, "owner") && strcmp(m->origin, strata_procmsg_str(h.req, "owner")))
		error = strata_error_setc(STRATA_EVERIFY, "'%s': '%s' answers request %s as its owner, which it is not",
					  what, m->origin, rid);
	else if (!strcmp(role, "relay") && !strcmp(m->origin, strata_procmsg_str(h.req, "owner")))
		error = strata_error_set("'%s': the owner of request %s answers as a relay", what, rid);
	else if (answer_from(&h, m->origin))
		error = strata_error_setc(STRATA_EEXISTS, "'%s': '%s' answered request %s already, otherwise", what,
					  m->origin, rid);
	if (error < 0)
		goto done;
	st = json_deep_copy(h.st);
	if ((error = strata_procmsg_encode(&env, m, NULL)) < 0 || !st ||
	    json_array_append_new(json_object_get(st, "answers"), json_stringn(env.ptr, env.len)) < 0 ||
	    (error = path_of(path, sizeof(path), DIR_REQUESTS, rid)) < 0 || (error = state_put(c, n, path, st)) < 0)
		goto done;
	error = strata_buf_printf(&c->trailers, "Strata-Answer: %s %s %s %s\n", rid, strata_procmsg_str(m, "decision"),
				  m->origin, role);
done:
	json_decref(st);
	strata_buf_dispose(&env);
	held_request_dispose(&h);
	return error;
}

static int take_correction(change *c, strata_node *n, const char *peer, const strata_procmsg *m, const char *what);
static int take_fix(change *c, strata_node *n, const char *peer, const strata_procmsg *m, const char *what);
int strata_process_take(strata_node *n, const char *peer, const char *what, const char *lines, size_t len,
			git_oid *tree, int *have, strata_buf *trailers, size_t *refused)
{
	const char *me = strata_node_name(n), *p = lines, *end = lines + len;
	change c = { { { 0 } }, 0, STRATA_BUF_INIT };
	strata_procmsg **msgs = NULL;
	size_t nmsgs = 0, alloc = 0;
	char first[1024] = "";
	int error = 0, first_code = 0;

	*refused = 0;
	if (*have) {
		c.tree = *tree;
		c.have = 1;
	}
	/* decode all first, catalogues before requests before answers (a new node's catalogue vouches for it) */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		strata_procmsg *m = NULL;
		if (ll && (error = strata_procmsg_decode(&m, what, p, ll)) < 0) {
			if (!first[0]) {
				snprintf(first, sizeof(first), "%s", strata_error_last());
				first_code = error;
			}
			strata_audit_refusal(n, "process-message", what, peer, strata_error_last());
			(*refused)++;
		} else if (m) {
			if (nmsgs >= STRATA_PROCESS_MAX_MESSAGES || strata_array_grow(&msgs, &alloc, nmsgs + 1, 16) < 0) {
				strata_procmsg_free(m);
				error = strata_error_set("'%s': more than %d process messages", what, STRATA_PROCESS_MAX_MESSAGES);
				goto done;
			}
			msgs[nmsgs++] = m;
		}
		p += ll + (nl != NULL);
	}
	error = 0;
	for (int kind = STRATA_MSG_CATALOG; kind <= STRATA_MSG_FIX; kind++)
		for (size_t i = 0; i < nmsgs; i++) {
			strata_procmsg *m = msgs[i];
			int learned, rc;
			if ((int)m->kind != kind)
				continue;
			if (!strcmp(m->origin, me) || strata_procmsg_has_hop(m, me))
				continue;	/* ours, or round a loop: nothing to learn */
			if (strcmp(m->hops[m->nhops - 1], peer))
				rc = strata_error_setc(STRATA_EVERIFY, "'%s': a message from '%s' whose path does not end "
						       "with '%s', who delivered it", what, m->origin, peer);
			else if ((rc = key_check(n, &c, m, what, peer, &learned)) == 0)
				rc = kind == STRATA_MSG_CATALOG ? take_catalog(&c, n, peer, m) :
				     kind == STRATA_MSG_REQUEST ? take_request(&c, n, peer, m, what) :
				     kind == STRATA_MSG_ANSWER ? take_answer(&c, n, peer, m, what) :
				     kind == STRATA_MSG_CORRECTION ? take_correction(&c, n, peer, m, what) :
								     take_fix(&c, n, peer, m, what);
			if (rc < 0) {
				if (!first[0]) {
					snprintf(first, sizeof(first), "%s", strata_error_last());
					first_code = rc;
				}
				strata_audit_refusal(n, "process-message", what, peer, strata_error_last());
				(*refused)++;
			}
		}
	if ((error = change_flush(&c, n)) < 0)
		goto done;
	if (c.have) {
		*tree = c.tree;
		*have = 1;
	}
	if (c.trailers.len && (error = strata_buf_put(trailers, c.trailers.ptr, c.trailers.len)) < 0)
		goto done;
	if (*refused)
		error = strata_error_setc(first_code == STRATA_EVERIFY ? STRATA_EVERIFY : STRATA_ERROR,
					  "%zu process message%s refused, the first: %s", *refused, *refused == 1 ? "" : "s",
					  first);
done:
	for (size_t i = 0; i < nmsgs; i++)
		strata_procmsg_free(msgs[i]);
	free(msgs);
	change_dispose(&c);
	return error;
}

int strata_process_receive(strata_node *n, const char *peer, const char *what, const char *lines, size_t len)
{
	change c = { { { 0 } }, 0, STRATA_BUF_INIT };
	strata_buf subject = STRATA_BUF_INIT;
	size_t refused;
	char why[1024] = "";
	int error, taken;

	if ((error = strata_journal_lock(n)) < 0)
		return error;
	taken = strata_process_take(n, peer, what, lines, len, &c.tree, &c.have, &c.trailers, &refused);
	if (taken < 0 && !refused) {
		change_dispose(&c);
		return taken;	/* not a message refused (out of memory, too many): nothing is recorded */
	}
	if (taken < 0)
		snprintf(why, sizeof(why), "%s", strata_error_last());
	/* what was taken is recorded, the refused ones are in refused.log; the refusal stays the answer */
	if (c.have && (error = strata_buf_printf(&c.trailers, "Strata-Peer: %s\n", peer)) == 0 &&
	    (error = strata_buf_printf(&subject, "process messages from %s", peer)) == 0)
		error = change_commit(&c, n, "process-received", subject.ptr);
	change_dispose(&c);
	strata_buf_dispose(&subject);
	if (error < 0)
		return error;
	return taken < 0 ? strata_error_setc(taken, "%s", why) : 0;
}

/* --- what a request would expose --- */

struct expose_walk {
	strata_risk_acc *alone, *pooled;
};

static int expose_line(const char *line, size_t len, void *payload)
{
	struct expose_walk *w = payload;
	int error = strata_risk_add(w->alone, line, len);
	return error < 0 ? error : strata_risk_add(w->pooled, line, len);
}

int strata_process_expose(strata_node *n, const char *id, strata_process_exposure *e)
{
	held_request h;
	git_commit *tip = NULL;
	git_tree *root = NULL;
	strata_schema *schema = NULL;
	strata_policy *p = NULL;
	strata_buf pname = STRATA_BUF_INIT;
	struct expose_walk w = { NULL, NULL };
	strata_risk ra, rp;
	char *names[STRATA_PROCMSG_MAX_FIELDS * 2];
	size_t nnames = 0;
	json_t *fs;
	git_oid blob;
	int error;

	memset(e, 0, sizeof(*e));
	if ((error = held_request_load(&h, n, NULL, id)) < 0)
		return error;
	if (strcmp(strata_procmsg_str(h.req, "owner"), strata_node_name(n))) {
		error = strata_error_set("request %s is for '%s': only its owner can weigh it", id,
					 strata_procmsg_str(h.req, "owner"));
		goto done;
	}
	snprintf(e->peer, sizeof(e->peer), "%s", sv(h.st, "via"));
	fs = json_object_get(h.req->body, "fields");
	for (size_t i = 0; i < json_array_size(fs); i++)
		names[nnames++] = (char *)json_string_value(json_array_get(fs, i));
	if ((error = strata_dataset_resolve(&tip, n, strata_procmsg_str(h.req, "dataset"), NULL)) < 0)
		goto done;
	if (git_commit_tree(&root, tip) < 0) {
		error = strata_error_git("cannot read the dataset");
		goto done;
	}
	if ((error = strata_schema_load(&schema, strata_node_repo(n), root)) < 0 ||
	    (error = strata_risk_new(&w.alone, names, nnames, NULL)) < 0)
		goto done;
	/* what the peer toward the requester already receives, by its policy's quasi-identifiers */
	if (strata_peers_get(&pname, n, e->peer, "policy") == 0 && strata_policy_store_load(&p, &blob, n, pname.ptr) == 0) {
		const strata_policy_dataset *pd = strata_policy_find(p, strata_procmsg_str(h.req, "dataset"));
		char *qi[STRATA_PROCMSG_MAX_FIELDS];
		size_t nqi = pd ? strata_policy_quasi_identifiers(pd, schema, qi, STRATA_PROCMSG_MAX_FIELDS) : 0;
		for (size_t i = 0; i < nqi && nnames < sizeof(names) / sizeof(*names); i++) {
			size_t k;
			for (k = 0; k < nnames && strcmp(names[k], qi[i]); k++)
				;
			if (k == nnames)
				names[nnames++] = qi[i];
		}
	}
	strata_error_clear();
	for (size_t i = 0; i < nnames; i++)
		snprintf(e->pooled_fields + strlen(e->pooled_fields), sizeof(e->pooled_fields) - strlen(e->pooled_fields),
			 "%s%s", i ? "," : "", names[i]);
	if ((error = strata_risk_new(&w.pooled, names, nnames, NULL)) < 0 ||
	    (error = strata_dataset_foreach(strata_node_repo(n), root, expose_line, &w)) < 0 ||
	    (error = strata_risk_finish(w.alone, 0, &ra)) < 0 || (error = strata_risk_finish(w.pooled, 0, &rp)) < 0)
		goto done;
	e->records = ra.records;
	e->unique = ra.unique;
	e->pooled_unique = rp.unique;
done:
	strata_risk_free(w.alone);
	strata_risk_free(w.pooled);
	strata_policy_free(p);
	strata_buf_dispose(&pname);
	strata_schema_free(schema);
	git_tree_free(root);
	git_commit_free(tip);
	held_request_dispose(&h);
	return error;
}

/* --- corrections: a wrong value reported back toward the record's owner --- */

#define DIR_CORRECTIONS "process/corrections"

/* The record key values of a record line, in the schema's key order, into a JSON array. */
static int line_key(json_t **out, const char *line, size_t len, const strata_schema *s)
{
	strata_record *r = NULL;
	int error;

	*out = NULL;
	if ((error = strata_json_record_parse(&r, line, len)) < 0)
		return error;
	*out = json_array();
	for (size_t i = 0; *out && i < s->nkey; i++) {
		const char *v = strata_json_record_get(r, s->key[i]);
		json_array_append_new(*out, json_string(v ? v : ""));
	}
	strata_json_record_free(r);
	return *out ? 0 : strata_error_set("out of memory");
}

/* The ledger token (ledger.h) of own dataset `dataset`'s record with key values `key`: no key kept in the log. */
static int record_token(char hex[STRATA_TOKEN_HEX + 1], strata_node *n, const json_t *key)
{
	unsigned char hash[STRATA_HASH_LEN];
	char *vals[8];
	strata_hmac_key k;
	strata_token t;
	int error;

	for (size_t i = 0; i < json_array_size(key) && i < 8; i++)
		vals[i] = (char *)json_string_value(json_array_get(key, i));
	if ((error = strata_provenance_key_from_args(hash, vals, json_array_size(key))) < 0 ||
	    (error = strata_ledger_key(&k, n, 1)) < 0)
		return error;
	error = strata_ledger_token(&t, &k, hash);
	strata_hmac_key_dispose(&k);
	if (!error)
		strata_ledger_token_hex(hex, t);
	return error;
}

/*
 * Where a record, as `key` names it in `dataset` at this node (or at a peer
 * this node built a view for), comes from: the next hop and its key there
 * (*next set), or this node's own record (*own set, its token and dataset).
 */
static int correction_hop(strata_node *n, const char *dataset, const json_t *key, char next[64], json_t **next_key,
			  char token[STRATA_TOKEN_HEX + 1], char own[STRATA_DATASET_NAME_MAX], const char *field)
{
	strata_trace t;
	char *vals[8];
	int error;

	next[0] = own[0] = token[0] = '\0';
	*next_key = NULL;
	for (size_t i = 0; i < json_array_size(key) && i < 8; i++)
		vals[i] = (char *)json_string_value(json_array_get(key, i));
	memset(&t, 0, sizeof(t));
	if ((error = strata_provenance_trace(&t, n, dataset, vals, json_array_size(key))) < 0)
		return error;
	for (size_t i = 0; i < t.nhops; i++) {
		strata_trace_hop *h = &t.hops[i];
		if (h->is_view || strcmp(h->node, strata_node_name(n)))
			continue;
		/* this node's own record: its owner is here */
		{
			git_commit *c = NULL;
			git_tree *root = NULL;
			strata_schema *s = NULL;
			json_t *k = NULL;
			strata_buf v = STRATA_BUF_INIT;
			if ((error = strata_dataset_resolve(&c, n, t.dataset, NULL)) == 0 &&
			    (error = git_commit_tree(&root, c) < 0 ? strata_error_git("cannot read the dataset") : 0) == 0 &&
			    (error = strata_schema_load(&s, strata_node_repo(n), root)) == 0 &&
			    (error = line_key(&k, h->line.ptr, h->line.len, s)) == 0)
				error = record_token(token, n, k);
			if (!error && strata_schema_field(s, field) < 0)
				error = strata_error_setc(STRATA_ENOTFOUND, "'%s' has no field '%s'", t.dataset, field);
			snprintf(own, STRATA_DATASET_NAME_MAX, "%s", t.dataset);
			strata_buf_dispose(&v);
			json_decref(k);
			strata_schema_free(s);
			git_tree_free(root);
			git_commit_free(c);
			strata_provenance_trace_dispose(&t);
			return error;
		}
	}
	if (!t.has_next) {
		strata_provenance_trace_dispose(&t);
		return strata_error_setc(STRATA_ENOTFOUND, "the record's trace at '%s' ends here, short of its owner",
					 strata_node_name(n));
	}
	snprintf(next, 64, "%s", t.next_node);
	*next_key = json_loadb(t.next_key.ptr, t.next_key.len, 0, NULL);
	strata_provenance_trace_dispose(&t);
	if (!json_is_array(*next_key)) {
		json_decref(*next_key);
		*next_key = NULL;
		return strata_error_set("the record's trace names no key at '%s'", next);
	}
	return 0;
}

static int sign_correction(strata_procmsg **out, strata_node *n, const char *id, const char *filer, const char *dataset,
			   json_t *key, const char *field, const char *value, const char *note, int64_t time)
{
	json_t *body = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:I}", "kind", "correction", "v",
				 STRATA_PROCMSG_VERSION, "id", id, "from", strata_node_name(n), "filer", filer, "dataset",
				 dataset, "key", key, "field", field, "value", value, "note", note, "time", (json_int_t)time);
	int error;

	if (!body)
		return strata_error_set("--value and --note must be UTF-8 text");
	if ((error = strata_node_load_key(n)) < 0)
		return error;
	return strata_procmsg_sign(out, body, strata_node_key(n));
}

/* Stores correction `id`: what this node sends on (or, at the owner, what came), and where. */
static int store_correction(change *c, strata_node *n, const strata_procmsg *m, const char *via, const char *route,
			    const char *token, const char *own)
{
	strata_buf env = STRATA_BUF_INIT;
	char path[128];
	json_t *st;
	int error;

	if ((error = strata_procmsg_encode(&env, m, NULL)) < 0 ||
	    (error = path_of(path, sizeof(path), DIR_CORRECTIONS, strata_procmsg_str(m, "id"))) < 0)
		goto done;
	if ((st = json_pack("{s:s%, s:s, s:s, s:s, s:s, s:I}", "correction", env.ptr, env.len, "via", via, "route", route,
			    "token", token, "dataset", own, "received", (json_int_t)strata_time_now())) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	error = state_put(c, n, path, st);
	json_decref(st);
done:
	strata_buf_dispose(&env);
	return error;
}

int strata_process_correct(strata_node *n, const char *dataset, char *const *key, size_t nkey, const char *field,
			   const char *value, const char *note, char id[17])
{
	change c = { { { 0 } }, 0, STRATA_BUF_INIT };
	strata_procmsg *m = NULL;
	json_t *k = json_array(), *next_key = NULL;
	strata_buf subject = STRATA_BUF_INIT;
	char next[64], token[STRATA_TOKEN_HEX + 1], own[STRATA_DATASET_NAME_MAX];
	unsigned char raw[8];
	int error;

	if ((error = strata_journal_lock(n)) < 0)
		goto done;
	if (!note || !*note) {
		error = strata_error_set("a correction needs its note (--note): what is wrong, and how it is known");
		goto done;
	}
	for (size_t i = 0; i < nkey; i++)
		json_array_append_new(k, json_string(key[i]));
	if ((error = correction_hop(n, dataset, k, next, &next_key, token, own, field)) < 0) {
		if (error == STRATA_ENOTFOUND)
			error = strata_error_setc(STRATA_ENOTFOUND, "no record with that key in '%s' here (%s): a correction "
						  "is for a record this node received", dataset, strata_error_last());
		goto done;
	}
	if (own[0]) {
		error = strata_error_set("that record is this node's own, in '%s': correct it at its source and import it "
					 "again", own);
		goto done;
	}
	{
		/* a field of the record as received here */
		git_commit *tip = NULL;
		git_tree *root = NULL;
		strata_schema *schema = NULL;
		if ((error = strata_dataset_resolve(&tip, n, dataset, NULL)) == 0 &&
		    (error = git_commit_tree(&root, tip) < 0 ? strata_error_git("cannot read the dataset") : 0) == 0 &&
		    (error = strata_schema_load(&schema, strata_node_repo(n), root)) == 0 && strata_schema_field(schema, field) < 0)
			error = strata_error_setc(STRATA_ENOTFOUND, "'%s' has no field '%s' here", dataset, field);
		strata_schema_free(schema);
		git_tree_free(root);
		git_commit_free(tip);
		if (error < 0)
			goto done;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		error = strata_error_ssl("no randomness for a correction id");
		goto done;
	}
	strata_enc_hex(id, raw, sizeof(raw));
	{
		const char *base = strrchr(dataset, '/');
		if ((error = sign_correction(&m, n, id, strata_node_name(n), base ? base + 1 : dataset, next_key, field,
					     value, note, strata_time_now())) < 0)
			goto done;
	}
	if ((error = store_correction(&c, n, m, "", next, "", "")) < 0 ||
	    (error = strata_buf_printf(&c.trailers, "Strata-Correction: %s %s\nStrata-Field: %s\nStrata-Route: %s\n", id,
				       dataset, field, next)) < 0 ||
	    (error = strata_buf_printf(&subject, "correction %s filed: %s of a record of %s", id, field, dataset)) < 0)
		goto done;
	error = change_commit(&c, n, "correction-filed", subject.ptr);
done:
	change_dispose(&c);
	strata_buf_dispose(&subject);
	strata_procmsg_free(m);
	json_decref(k);
	json_decref(next_key);
	return error;
}

static int sign_fix(strata_buf *env, strata_node *n, const char *id, const char *to, int accept, const char *reason)
{
	strata_procmsg *m = NULL;
	json_t *body = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I}", "kind", "fix", "v", STRATA_PROCMSG_VERSION,
				 "id", id, "from", strata_node_name(n), "to", to, "decision", accept ? "accept" : "reject",
				 "reason", reason ? reason : "", "time", (json_int_t)strata_time_now());
	int error;

	if (!body)
		return strata_error_set("--reason must be UTF-8 text");
	if ((error = strata_node_load_key(n)) < 0 || (error = strata_procmsg_sign(&m, body, strata_node_key(n))) < 0)
		return error;
	error = strata_procmsg_encode(env, m, NULL);
	strata_procmsg_free(m);
	return error;
}

/* A correction coming in from `peer`: at the owner it stays, elsewhere it goes on with the key as there. */
static int take_correction(change *c, strata_node *n, const char *peer, const strata_procmsg *m, const char *what)
{
	const char *id = strata_procmsg_str(m, "id");
	strata_procmsg *held = NULL, *on = NULL;
	json_t *st = NULL, *next_key = NULL;
	char path[128], next[64], token[STRATA_TOKEN_HEX + 1], own[STRATA_DATASET_NAME_MAX];
	int error;

	if (strcmp(m->origin, peer))
		return strata_error_setc(STRATA_EVERIFY, "'%s': a correction signed by '%s', delivered by '%s': each hop "
					 "signs the one it passes on", what, m->origin, peer);
	if ((error = path_of(path, sizeof(path), DIR_CORRECTIONS, id)) < 0)
		return error;
	if ((error = state_get(&st, n, c, path)) == 0) {
		json_decref(st);
		return 0;	/* held: the same again */
	}
	if (error != STRATA_ENOTFOUND)
		return error;
	strata_error_clear();
	error = correction_hop(n, strata_procmsg_str(m, "dataset"), json_object_get(m->body, "key"), next, &next_key,
			       token, own, strata_procmsg_str(m, "field"));
	if (error < 0) {
		/* nothing here answers to it: said back, and recorded */
		char why[512];
		strata_buf env = STRATA_BUF_INIT;
		json_t *nst;
		snprintf(why, sizeof(why), _("%s cannot follow it: %s"), strata_node_name(n), strata_error_last());
		strata_error_clear();
		if ((error = store_correction(c, n, m, peer, "", "", "")) < 0 ||
		    (error = sign_fix(&env, n, id, strata_procmsg_str(m, "filer"), 0, why)) < 0 ||
		    (error = state_get(&nst, n, c, path)) < 0) {
			strata_buf_dispose(&env);
			return error;
		}
		json_object_set_new(nst, "fix", json_stringn(env.ptr, env.len));
		error = state_put(c, n, path, nst);
		json_decref(nst);
		strata_buf_dispose(&env);
		return error < 0 ? error : strata_buf_printf(&c->trailers, "Strata-Correction: %s rejected: %s\n", id, why);
	}
	if (own[0])
		error = store_correction(c, n, m, peer, "", token, own);
	else if ((error = sign_correction(&on, n, id, strata_procmsg_str(m, "filer"), strata_procmsg_str(m, "dataset"),
					  next_key, strata_procmsg_str(m, "field"), strata_procmsg_str(m, "value"),
					  strata_procmsg_str(m, "note"), strata_procmsg_int(m, "time"))) == 0)
		error = store_correction(c, n, on, peer, next, "", "");
	if (!error)
		error = strata_buf_printf(&c->trailers, "Strata-Correction: %s %s %s\n", id, strata_procmsg_str(m, "filer"),
					  own[0] ? "received as the owner" : next);
	strata_procmsg_free(on);
	strata_procmsg_free(held);
	json_decref(next_key);
	return error;
}

/* The owner's answer, back the way the correction came. */
static int take_fix(change *c, strata_node *n, const char *peer, const strata_procmsg *m, const char *what)
{
	const char *id = strata_procmsg_str(m, "id");
	strata_buf env = STRATA_BUF_INIT;
	json_t *st = NULL;
	char path[128];
	int error;

	if ((error = path_of(path, sizeof(path), DIR_CORRECTIONS, id)) < 0)
		return error;
	if ((error = state_get(&st, n, c, path)) == STRATA_ENOTFOUND)
		return strata_error_set("'%s': an answer to correction %s, which this node never filed or passed on", what, id);
	if (error < 0)
		return error;
	if (json_object_get(st, "fix"))
		goto done;	/* answered already: the same again */
	if (strcmp(sv(st, "route"), peer)) {
		error = strata_error_set("'%s': an answer to correction %s came from '%s', not the way it went ('%s')", what,
					 id, peer, sv(st, "route"));
		goto done;
	}
	if ((error = strata_procmsg_encode(&env, m, NULL)) < 0)
		goto done;
	json_object_set_new(st, "fix", json_stringn(env.ptr, env.len));
	if ((error = state_put(c, n, path, st)) == 0)
		error = strata_buf_printf(&c->trailers, "Strata-Fix: %s %s %s\n", id, strata_procmsg_str(m, "decision"),
					  m->origin);
done:
	json_decref(st);
	strata_buf_dispose(&env);
	return error;
}

/* The value of `field` in own dataset `dataset`'s record whose key has ledger token `token` (1 found, 0 not). */
struct token_walk {
	strata_node *n;
	const strata_schema *s;
	const char *token, *field;
	strata_hmac_key k;
	strata_buf *out, *key;	/* the field's value, the record's key values ("a,b") */
	int found;
};

static int token_line(const char *line, size_t len, void *payload)
{
	struct token_walk *w = payload;
	unsigned char hash[STRATA_HASH_LEN];
	char *vals[8], hex[STRATA_TOKEN_HEX + 1];
	strata_record *r = NULL;
	strata_token t;
	int error;

	if ((error = strata_json_record_parse(&r, line, len)) < 0)
		return error;
	for (size_t i = 0; i < w->s->nkey && i < 8; i++)
		vals[i] = (char *)strata_json_record_get(r, w->s->key[i]);
	if ((error = strata_provenance_key_from_args(hash, vals, w->s->nkey)) == 0 &&
	    (error = strata_ledger_token(&t, &w->k, hash)) == 0) {
		strata_ledger_token_hex(hex, t);
		if (!strcmp(hex, w->token)) {
			const char *v = strata_json_record_get(r, w->field);
			w->found = 1;
			error = strata_buf_puts(w->out, v ? v : "");
			for (size_t i = 0; !error && i < w->s->nkey; i++)
				error = strata_buf_printf(w->key, "%s%s", i ? "," : "", vals[i] ? vals[i] : "");
		}
	}
	strata_json_record_free(r);
	return error < 0 ? error : w->found;
}

static int own_value(strata_buf *out, strata_buf *key, strata_node *n, const char *dataset, const char *token,
		     const char *field)
{
	git_commit *c = NULL;
	git_tree *root = NULL;
	strata_schema *s = NULL;
	struct token_walk w = { n, NULL, token, field, { 0 }, out, key, 0 };
	int error, have_k = 0;

	if ((error = strata_dataset_resolve(&c, n, dataset, NULL)) == 0 &&
	    (error = git_commit_tree(&root, c) < 0 ? strata_error_git("cannot read the dataset") : 0) == 0 &&
	    (error = strata_schema_load(&s, strata_node_repo(n), root)) == 0 && (error = strata_ledger_key(&w.k, n, 0)) == 0) {
		have_k = 1;
		w.s = s;
		error = strata_dataset_foreach(strata_node_repo(n), root, token_line, &w);
	}
	if (have_k)
		strata_hmac_key_dispose(&w.k);
	strata_schema_free(s);
	git_tree_free(root);
	git_commit_free(c);
	return error < 0 ? error : w.found;
}

int strata_process_corrections(strata_node *n, strata_correction_cb cb, void *payload)
{
	char **names = NULL;
	size_t count = 0;
	int error;

	if ((error = state_list(&names, &count, n, DIR_CORRECTIONS)) < 0)
		return error;
	for (size_t i = 0; !error && i < count; i++) {
		strata_procmsg *m = NULL, *fix = NULL;
		json_t *st = NULL;
		strata_buf now = STRATA_BUF_INIT, key = STRATA_BUF_INIT;
		char path[128];
		strata_correction_info info;
		memset(&info, 0, sizeof(info));
		if ((error = path_of(path, sizeof(path), DIR_CORRECTIONS, names[i])) < 0 ||
		    (error = state_get(&st, n, NULL, path)) < 0 ||
		    (error = strata_procmsg_decode(&m, path, sv(st, "correction"), strlen(sv(st, "correction")))) < 0)
			goto next;
		if (json_object_get(st, "fix") &&
		    (error = strata_procmsg_decode(&fix, path, sv(st, "fix"), strlen(sv(st, "fix")))) < 0)
			goto next;
		info.id = names[i];
		info.filer = strata_procmsg_str(m, "filer");
		info.dataset = sv(st, "dataset")[0] ? sv(st, "dataset") : strata_procmsg_str(m, "dataset");
		info.field = strata_procmsg_str(m, "field");
		info.value = strata_procmsg_str(m, "value");
		info.note = strata_procmsg_str(m, "note");
		info.time = strata_procmsg_int(m, "time");
		info.via = sv(st, "via");
		info.route = sv(st, "route");
		info.role = !info.via[0] ? "filed" : sv(st, "token")[0] ? "owner" : "relay";
		info.decision = fix ? strata_procmsg_str(fix, "decision") : "";
		info.reason = fix ? strata_procmsg_str(fix, "reason") : "";
		info.answered_by = fix ? fix->origin : "";
		info.status = !fix ? "open" : !strcmp(info.decision, "accept") ? "accepted" : "rejected";
		info.current = "";
		if (!strcmp(info.role, "owner")) {
			/* the owner's record as it is now: the fix is done once a later commit holds the value */
			int found = own_value(&now, &key, n, info.dataset, sv(st, "token"), info.field);
			if (found < 0) {
				error = found;
				goto next;
			}
			info.current = found ? now.ptr : _("(no such record now)");
			info.record = found ? key.ptr : "";
			if (found && fix && !strcmp(info.decision, "accept") && !strcmp(now.ptr, info.value))
				info.status = "done";
		}
		error = cb(&info, payload);
next:
		strata_buf_dispose(&now);
		strata_buf_dispose(&key);
		strata_procmsg_free(m);
		strata_procmsg_free(fix);
		json_decref(st);
	}
	free_names(names, count);
	return error;
}

int strata_process_fix(strata_node *n, const char *id, int accept, const char *reason)
{
	change c = { { { 0 } }, 0, STRATA_BUF_INIT };
	strata_procmsg *m = NULL;
	strata_buf env = STRATA_BUF_INIT, subject = STRATA_BUF_INIT;
	json_t *st = NULL;
	char path[128];
	int error;

	if ((error = strata_journal_lock(n)) < 0)
		return error;
	if (!strata_procmsg_id_valid(id))
		return strata_error_setc(STRATA_ENOTFOUND, "'%s' is not a correction id (16 hex digits, as 'strata "
					 "corrections' shows it)", id);
	if ((error = path_of(path, sizeof(path), DIR_CORRECTIONS, id)) < 0)
		return error;
	if ((error = state_get(&st, n, NULL, path)) == STRATA_ENOTFOUND)
		return strata_error_setc(STRATA_ENOTFOUND, "no correction '%s' here ('strata corrections' lists them)", id);
	if (error < 0)
		return error;
	if (!sv(st, "token")[0]) {
		error = strata_error_set("correction %s is not for a record this node owns: its owner answers it", id);
		goto done;
	}
	if (json_object_get(st, "fix")) {
		error = strata_error_setc(STRATA_EEXISTS, "correction %s was answered already: an answer is final", id);
		goto done;
	}
	if (!accept && (!reason || !*reason)) {
		error = strata_error_set("a rejection needs its reason (--reason)");
		goto done;
	}
	if ((error = strata_procmsg_decode(&m, path, sv(st, "correction"), strlen(sv(st, "correction")))) < 0 ||
	    (error = sign_fix(&env, n, id, strata_procmsg_str(m, "filer"), accept, reason)) < 0)
		goto done;
	json_object_set_new(st, "fix", json_stringn(env.ptr, env.len));
	if ((error = state_put(&c, n, path, st)) < 0 ||
	    (error = strata_buf_printf(&c.trailers, "Strata-Correction: %s\nStrata-Decision: %s\nStrata-Filer: %s\n", id,
				       accept ? "accept" : "reject", strata_procmsg_str(m, "filer"))) < 0 ||
	    (reason && *reason && (error = strata_buf_printf(&c.trailers, "Strata-Reason: %s\n", reason)) < 0) ||
	    (error = strata_buf_printf(&subject, "correction %s %s", id, accept ? "accepted: the fix comes with the next "
				       "import" : "rejected")) < 0)
		goto done;
	error = change_commit(&c, n, "correction-answered", subject.ptr);
done:
	change_dispose(&c);
	strata_buf_dispose(&env);
	strata_buf_dispose(&subject);
	strata_procmsg_free(m);
	json_decref(st);
	return error;
}

/* Corrections toward their owner through `peer`, until answered; answers back through it, for a while. */
static int correction_lines(strata_buf *out, strata_node *n, const char *peer)
{
	char **names = NULL;
	size_t count = 0;
	int64_t now = strata_time_now();
	int error;

	if ((error = state_list(&names, &count, n, DIR_CORRECTIONS)) < 0)
		return error;
	for (size_t i = 0; !error && i < count; i++) {
		strata_procmsg *m = NULL;
		json_t *st = NULL;
		char path[128];
		if ((error = path_of(path, sizeof(path), DIR_CORRECTIONS, names[i])) < 0 ||
		    (error = state_get(&st, n, NULL, path)) < 0)
			break;
		if (!strcmp(sv(st, "route"), peer) && !json_object_get(st, "fix") &&
		    (error = strata_procmsg_decode(&m, path, sv(st, "correction"), strlen(sv(st, "correction")))) == 0 &&
		    now <= strata_procmsg_int(m, "time") + 4 * STRATA_PROCESS_KEEP)
			error = put_line(out, n, m);
		strata_procmsg_free(m);
		m = NULL;
		if (!error && !strcmp(sv(st, "via"), peer) && json_object_get(st, "fix") &&
		    (error = strata_procmsg_decode(&m, path, sv(st, "fix"), strlen(sv(st, "fix")))) == 0 &&
		    now <= strata_procmsg_int(m, "time") + STRATA_PROCESS_KEEP)
			error = put_line(out, n, m);
		strata_procmsg_free(m);
		json_decref(st);
	}
	free_names(names, count);
	return error;
}

struct blob_walk {
	const char *blob;
	strata_buf *out;
};

static int blob_request(const strata_request_info *r, void *payload)
{
	struct blob_walk *w = payload;
	const json_t *as = json_object_get(r->state, "answers");

	for (size_t i = 0; i < json_array_size(as); i++) {
		strata_procmsg *a = NULL;
		const char *env = json_string_value(json_array_get(as, i));
		int hit;
		if (!env || strata_procmsg_decode(&a, "a request's answer", env, strlen(env)) < 0) {
			strata_error_clear();
			continue;
		}
		hit = !strcmp(strata_procmsg_str(a, "decision"), "approve") && !strcmp(strata_procmsg_str(a, "blob"), w->blob);
		strata_procmsg_free(a);
		if (hit)
			return strata_buf_printf(w->out, "%s%s", w->out->len ? ", " : "", r->id) < 0 ? STRATA_ERROR : 0;
	}
	return 0;
}

int strata_process_requests_of_policy(strata_buf *out, strata_node *n, const char *blob)
{
	struct blob_walk w = { blob, out };
	return strata_process_requests(n, blob_request, &w);
}
