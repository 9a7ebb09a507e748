/*
 * procmsg.c - signed process messages and their envelopes (procmsg.h).
 */
#include "strata/format/procmsg.h"
#include "strata/base/i18n.h"
#include "strata/format/json.h"
#include "strata/format/name.h"
#include "strata/base/digest.h"
#include "strata/base/enc.h"
#include "strata/base/error.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_NAME_MAX 128
#define SHORT_MAX 256

void strata_procmsg_free(strata_procmsg *m)
{
	if (!m)
		return;
	json_decref(m->body);
	strata_buf_dispose(&m->text);
	strata_buf_dispose(&m->sig);
	free(m);
}

const char *strata_procmsg_str(const strata_procmsg *m, const char *key)
{
	return json_string_value(json_object_get(m->body, key));
}

int64_t strata_procmsg_int(const strata_procmsg *m, const char *key)
{
	json_t *v = json_object_get(m->body, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

int strata_procmsg_id_valid(const char *id)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return i == STRATA_PROCMSG_ID_LEN;
}

int strata_procmsg_has_hop(const strata_procmsg *m, const char *hop)
{
	for (size_t i = 0; i < m->nhops; i++)
		if (!strcmp(m->hops[i], hop))
			return 1;
	return 0;
}

/* --- what a body may hold --- */

/* A member's string, "" if it is not one. */
static const char *sv(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* A text: at most `max` bytes, no control character (but newlines where `lines`). */
static int text_ok(const json_t *v, size_t max, int nonempty, int lines)
{
	const char *s = json_string_value(v);
	size_t len;

	if (!s)
		return 0;
	len = json_string_length(v);
	if (len > max || (nonempty && len == 0) || strlen(s) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 ? !(lines && s[i] == '\n') : s[i] == 0x7f)
			return 0;
	return 1;
}

static int int_ok(const json_t *v, int64_t min)
{
	return json_is_integer(v) && json_integer_value(v) >= min;
}

static int one_of(const json_t *v, const char *const *words)
{
	const char *s = json_string_value(v);
	for (size_t i = 0; s && words[i]; i++)
		if (!strcmp(s, words[i]))
			return 1;
	return 0;
}

static int field_name_ok(const json_t *v)
{
	const char *s = json_string_value(v);
	return text_ok(v, FIELD_NAME_MAX, 1, 0) && !strchr(s, ',');
}

/* An array of at most `max` distinct field names (at least one where `nonempty`). */
static int field_list_ok(const json_t *a, size_t max, int nonempty)
{
	if (!json_is_array(a) || json_array_size(a) > max || (nonempty && json_array_size(a) == 0))
		return 0;
	for (size_t i = 0; i < json_array_size(a); i++) {
		if (!field_name_ok(json_array_get(a, i)))
			return 0;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(json_string_value(json_array_get(a, i)), json_string_value(json_array_get(a, k))))
				return 0;
	}
	return 1;
}

static int bad(const char *what, const char *kind, const char *problem)
{
	return strata_error_set("'%s': %s message: %s", what, kind, problem);
}

static int check_catalog(const char *what, json_t *b)
{
	static const char *const keys[] = { "kind", "v", "node", "tier", "?key", "time", "datasets", NULL };
	static const char *const dkeys[] = { "name", "title", "description", "attribute", "frequency", "contact",
					     "records", "described", "fields", "?fields_total", NULL };
	static const char *const fkeys[] = { "name", "label", "type", "class", NULL };
	static const char *const attrs[] = { "open", "conditional", "closed", NULL };
	const char *k = NULL;
	json_t *ds;

	if (strata_json_check_keys(b, keys, &k) < 0)
		return strata_error_set("'%s': catalog message: unknown or missing key '%.64s'", what, k);
	if (json_object_get(b, "key") && !json_is_string(json_object_get(b, "key")))
		return bad(what, "catalog", _("key is not a public key"));
	if (!strata_name_node_valid(sv(b, "node")) ||
	    !strata_name_tier_valid(sv(b, "tier")) ||
	    !int_ok(json_object_get(b, "time"), 0))
		return bad(what, "catalog", _("node, tier or time is not valid"));
	ds = json_object_get(b, "datasets");
	if (!json_is_array(ds) || json_array_size(ds) > STRATA_PROCMSG_MAX_DATASETS)
		return bad(what, "catalog", _("datasets must be an array of at most 256"));
	for (size_t i = 0; i < json_array_size(ds); i++) {
		json_t *d = json_array_get(ds, i), *fs;
		const char *name = json_string_value(json_object_get(d, "name"));
		if (!json_is_object(d) || strata_json_check_keys(d, dkeys, &k) < 0 || !name ||
		    !strata_name_dataset_valid(name) || !text_ok(json_object_get(d, "title"), STRATA_PROCMSG_TEXT_MAX, 0, 0) ||
		    !text_ok(json_object_get(d, "description"), STRATA_PROCMSG_TEXT_MAX, 0, 1) ||
		    !one_of(json_object_get(d, "attribute"), attrs) ||
		    !text_ok(json_object_get(d, "frequency"), SHORT_MAX, 0, 0) ||
		    !text_ok(json_object_get(d, "contact"), SHORT_MAX, 0, 0) || !int_ok(json_object_get(d, "records"), 0) ||
		    !json_is_boolean(json_object_get(d, "described")) ||
		    (json_object_get(d, "fields_total") && !int_ok(json_object_get(d, "fields_total"), 0)))
			return strata_error_set("'%s': catalog message: dataset %zu is not valid", what, i + 1);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(name, json_string_value(json_object_get(json_array_get(ds, j), "name"))))
				return strata_error_set("'%s': catalog message: dataset '%s' twice", what, name);
		fs = json_object_get(d, "fields");
		if (!json_is_array(fs) || json_array_size(fs) > STRATA_PROCMSG_MAX_FIELDS)
			return strata_error_set("'%s': catalog message: dataset '%s': fields is not valid", what, name);
		for (size_t j = 0; j < json_array_size(fs); j++) {
			json_t *f = json_array_get(fs, j);
			if (!json_is_object(f) || strata_json_check_keys(f, fkeys, &k) < 0 ||
			    !field_name_ok(json_object_get(f, "name")) ||
			    !text_ok(json_object_get(f, "label"), SHORT_MAX, 0, 0) ||
			    !text_ok(json_object_get(f, "type"), 32, 1, 0) || !text_ok(json_object_get(f, "class"), 32, 0, 0))
				return strata_error_set("'%s': catalog message: dataset '%s': field %zu is not valid", what,
							name, j + 1);
			for (size_t m = 0; m < j; m++)
				if (!strcmp(json_string_value(json_object_get(f, "name")),
					    json_string_value(json_object_get(json_array_get(fs, m), "name"))))
					return strata_error_set("'%s': catalog message: dataset '%s': a field named twice",
								what, name);
		}
	}
	return 0;
}

static int check_request(const char *what, json_t *b)
{
	static const char *const keys[] = { "kind", "v", "id", "from", "owner", "dataset", "fields", "purpose",
					    "basis", "until", "deadline", "time", NULL };
	const char *k = NULL, *id = json_string_value(json_object_get(b, "id"));

	if (strata_json_check_keys(b, keys, &k) < 0)
		return strata_error_set("'%s': request message: unknown or missing key '%.64s'", what, k);
	if (!id || !strata_procmsg_id_valid(id))
		return bad(what, "request", _("id is not 16 hex digits"));
	if (!strata_name_node_valid(sv(b, "from")) ||
	    !strata_name_node_valid(sv(b, "owner")) ||
	    !strata_name_dataset_valid(sv(b, "dataset")))
		return bad(what, "request", _("from, owner or dataset is not a valid name"));
	if (!field_list_ok(json_object_get(b, "fields"), STRATA_PROCMSG_MAX_FIELDS, 1))
		return bad(what, "request", _("fields must name 1 to 256 distinct fields"));
	if (!text_ok(json_object_get(b, "purpose"), STRATA_PROCMSG_TEXT_MAX, 1, 0) ||
	    !text_ok(json_object_get(b, "basis"), STRATA_PROCMSG_TEXT_MAX, 1, 0))
		return bad(what, "request", _("purpose and basis must be one line of text each, not empty"));
	if (!int_ok(json_object_get(b, "until"), 0) || !int_ok(json_object_get(b, "deadline"), 1) ||
	    !int_ok(json_object_get(b, "time"), 0))
		return bad(what, "request", _("until, deadline or time is not valid"));
	return 0;
}

static int check_answer(const char *what, json_t *b)
{
	static const char *const keys[] = { "kind", "v", "request", "from", "role", "to", "decision", "reason",
					    "policy", "version", "blob", "time", NULL };
	static const char *const roles[] = { "owner", "relay", NULL };
	static const char *const decisions[] = { "approve", "refuse", NULL };
	const char *k = NULL, *req = json_string_value(json_object_get(b, "request"));
	const char *blob = json_string_value(json_object_get(b, "blob"));
	const char *policy = json_string_value(json_object_get(b, "policy"));

	if (strata_json_check_keys(b, keys, &k) < 0)
		return strata_error_set("'%s': answer message: unknown or missing key '%.64s'", what, k);
	if (!req || !strata_procmsg_id_valid(req))
		return bad(what, "answer", _("request is not 16 hex digits"));
	if (!strata_name_node_valid(sv(b, "from")) ||
	    !strata_name_node_valid(sv(b, "to")) ||
	    !one_of(json_object_get(b, "role"), roles) || !one_of(json_object_get(b, "decision"), decisions))
		return bad(what, "answer", _("from, to, role or decision is not valid"));
	if (!text_ok(json_object_get(b, "reason"), STRATA_PROCMSG_TEXT_MAX, 0, 0) ||
	    (!strcmp(json_string_value(json_object_get(b, "decision")), "refuse") &&
	     json_string_length(json_object_get(b, "reason")) == 0))
		return bad(what, "answer", _("a refusal needs its reason, one line of text"));
	if (!policy || (policy[0] && !strata_name_dataset_valid(policy)) || !int_ok(json_object_get(b, "version"), 0) ||
	    !blob || (blob[0] && (strlen(blob) != 40 || strspn(blob, "0123456789abcdef") != 40)) ||
	    !int_ok(json_object_get(b, "time"), 0))
		return bad(what, "answer", _("policy, version, blob or time is not valid"));
	return 0;
}

static int check_correction(const char *what, json_t *b)
{
	static const char *const keys[] = { "kind", "v", "id", "from", "filer", "dataset", "key", "field", "value",
					    "note", "time", NULL };
	const char *k = NULL, *id = json_string_value(json_object_get(b, "id"));
	json_t *key = json_object_get(b, "key");

	if (strata_json_check_keys(b, keys, &k) < 0)
		return strata_error_set("'%s': correction message: unknown or missing key '%.64s'", what, k);
	if (!id || !strata_procmsg_id_valid(id))
		return bad(what, "correction", _("id is not 16 hex digits"));
	if (!strata_name_node_valid(sv(b, "from")) || !strata_name_node_valid(sv(b, "filer")) ||
	    !text_ok(json_object_get(b, "dataset"), 256, 1, 0) || !field_name_ok(json_object_get(b, "field")))
		return bad(what, "correction", _("from, filer, dataset or field is not valid"));
	if (!json_is_array(key) || json_array_size(key) < 1 || json_array_size(key) > 8)
		return bad(what, "correction", _("key must be 1 to 8 values"));
	for (size_t i = 0; i < json_array_size(key); i++)
		if (!text_ok(json_array_get(key, i), 256, 0, 0))
			return bad(what, "correction", _("a key value is not one line of text"));
	if (!text_ok(json_object_get(b, "value"), STRATA_PROCMSG_TEXT_MAX, 0, 0) ||
	    !text_ok(json_object_get(b, "note"), STRATA_PROCMSG_TEXT_MAX, 1, 0) || !int_ok(json_object_get(b, "time"), 0))
		return bad(what, "correction", _("value, note (not empty) or time is not valid"));
	return 0;
}

static int check_fix(const char *what, json_t *b)
{
	static const char *const keys[] = { "kind", "v", "id", "from", "to", "decision", "reason", "time", NULL };
	static const char *const decisions[] = { "accept", "reject", NULL };
	const char *k = NULL, *id = json_string_value(json_object_get(b, "id"));

	if (strata_json_check_keys(b, keys, &k) < 0)
		return strata_error_set("'%s': fix message: unknown or missing key '%.64s'", what, k);
	if (!id || !strata_procmsg_id_valid(id) || !strata_name_node_valid(sv(b, "from")) ||
	    !strata_name_node_valid(sv(b, "to")) || !one_of(json_object_get(b, "decision"), decisions) ||
	    !text_ok(json_object_get(b, "reason"), STRATA_PROCMSG_TEXT_MAX, 0, 0) || !int_ok(json_object_get(b, "time"), 0) ||
	    (!strcmp(sv(b, "decision"), "reject") && json_string_length(json_object_get(b, "reason")) == 0))
		return bad(what, "fix", _("id, from, to, decision, reason (a rejection needs one) or time is not valid"));
	return 0;
}

/* The body's kind, version and checks; m->kind and m->origin from it. */
static int check_body(strata_procmsg *m, const char *what)
{
	const char *kind = json_string_value(json_object_get(m->body, "kind")), *origin;
	json_t *v = json_object_get(m->body, "v");
	int error;

	if (!json_is_object(m->body) || !kind)
		return strata_error_set("'%s': a process message's body is not an object with a kind", what);
	if (!json_is_integer(v) || json_integer_value(v) != STRATA_PROCMSG_VERSION)
		return strata_error_set("'%s': %s message of an unknown version (this strata reads version %d)", what,
					kind, STRATA_PROCMSG_VERSION);
	if (!strcmp(kind, "catalog")) {
		m->kind = STRATA_MSG_CATALOG;
		error = check_catalog(what, m->body);
		origin = json_string_value(json_object_get(m->body, "node"));
	} else if (!strcmp(kind, "request")) {
		m->kind = STRATA_MSG_REQUEST;
		error = check_request(what, m->body);
		origin = json_string_value(json_object_get(m->body, "from"));
	} else if (!strcmp(kind, "answer")) {
		m->kind = STRATA_MSG_ANSWER;
		error = check_answer(what, m->body);
		origin = json_string_value(json_object_get(m->body, "from"));
	} else if (!strcmp(kind, "correction")) {
		m->kind = STRATA_MSG_CORRECTION;
		error = check_correction(what, m->body);
		origin = json_string_value(json_object_get(m->body, "from"));
	} else if (!strcmp(kind, "fix")) {
		m->kind = STRATA_MSG_FIX;
		error = check_fix(what, m->body);
		origin = json_string_value(json_object_get(m->body, "from"));
	} else {
		return strata_error_set("'%s': unknown process message kind '%.32s'", what, kind);
	}
	if (error < 0)
		return error;
	snprintf(m->origin, sizeof(m->origin), "%s", origin);
	return 0;
}

static void set_id(strata_procmsg *m)
{
	unsigned char h[32];
	strata_digest_sha256(h, m->text.ptr, m->text.len);
	strata_enc_hex(m->id, h, sizeof(h));
}

int strata_procmsg_sign(strata_procmsg **out, json_t *body, const strata_key *k)
{
	strata_procmsg *m = calloc(1, sizeof(*m));
	char *text = NULL;
	int error = STRATA_ERROR;

	*out = NULL;
	if (!m) {
		json_decref(body);
		return strata_error_set("out of memory");
	}
	m->body = body;
	if ((text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if ((error = strata_buf_puts(&m->text, text)) < 0 ||
	    (error = strata_sign_sshsig(&m->sig, k, STRATA_PROCMSG_NAMESPACE, m->text.ptr, m->text.len)) < 0)
		goto done;
	if ((error = check_body(m, _("this node's message"))) < 0)
		goto done;
	strata_sign_key_public(&m->key, k);
	snprintf(m->hops[0], sizeof(m->hops[0]), "%s", m->origin);
	m->nhops = 1;
	set_id(m);
	*out = m;
	m = NULL;
	error = 0;
done:
	free(text);
	strata_procmsg_free(m);
	return error;
}

int strata_procmsg_encode(strata_buf *out, const strata_procmsg *m, const char *add)
{
	json_t *env = json_object(), *hops = json_array();
	strata_buf key = STRATA_BUF_INIT;
	char *text = NULL;
	int error = STRATA_ERROR;

	if (!env || !hops)
		goto oom;
	for (size_t i = 0; i < m->nhops; i++)
		if (json_array_append_new(hops, json_string(m->hops[i])) < 0)
			goto oom;
	if (add && json_array_append_new(hops, json_string(add)) < 0)
		goto oom;
	if ((error = strata_sign_pubkey_format(&key, &m->key)) < 0)
		goto done;
	if (json_object_set_new(env, "body", json_stringn(m->text.ptr, m->text.len)) < 0 ||
	    json_object_set_new(env, "sig", json_stringn(m->sig.ptr, m->sig.len)) < 0 ||
	    json_object_set_new(env, "key", json_stringn(key.ptr, key.len)) < 0 ||
	    json_object_set(env, "hops", hops) < 0 || (text = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto oom;
	error = strata_enc_base64(out, (const unsigned char *)text, strlen(text));
	goto done;
oom:
	error = strata_error_set("out of memory");
done:
	free(text);
	json_decref(hops);
	json_decref(env);
	strata_buf_dispose(&key);
	return error;
}

int strata_procmsg_decode(strata_procmsg **out, const char *what, const char *b64, size_t len)
{
	static const char *const keys[] = { "body", "sig", "key", "hops", NULL };
	strata_buf raw = STRATA_BUF_INIT;
	strata_procmsg *m = NULL;
	json_t *env = NULL, *hops;
	json_error_t jerr;
	strata_pubkey signer;
	const char *k = NULL, *s;
	int error = STRATA_ERROR;

	*out = NULL;
	if (len > STRATA_PROCMSG_MAX)
		return strata_error_set("'%s': a process message of %zu bytes (at most %zu)", what, len, STRATA_PROCMSG_MAX);
	raw.max = STRATA_PROCMSG_MAX;
	if (strata_enc_unbase64(&raw, b64, len) < 0) {
		error = strata_error_set("'%s': a process message is not canonical base64", what);
		goto done;
	}
	if ((env = json_loadb(raw.ptr, raw.len, JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object(env)) {
		error = strata_error_set("'%s': a process message's envelope is not a JSON object", what);
		goto done;
	}
	if (strata_json_check_keys(env, keys, &k) < 0) {
		error = strata_error_set("'%s': a process message's envelope: unknown or missing key '%.64s'", what, k);
		goto done;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if (!json_is_string(json_object_get(env, "body")) || !json_is_string(json_object_get(env, "sig")) ||
	    !(s = json_string_value(json_object_get(env, "key"))) || strata_sign_pubkey_parse(&m->key, s) < 0) {
		error = strata_error_set("'%s': a process message's body, signature or key is not valid", what);
		goto done;
	}
	if ((error = strata_buf_put(&m->text, json_string_value(json_object_get(env, "body")),
				    json_string_length(json_object_get(env, "body")))) < 0 ||
	    (error = strata_buf_put(&m->sig, json_string_value(json_object_get(env, "sig")),
				    json_string_length(json_object_get(env, "sig")))) < 0)
		goto done;
	if ((m->body = json_loadb(m->text.ptr, m->text.len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		error = strata_error_set("'%s': a process message's body is not JSON: %s", what, jerr.text);
		goto done;
	}
	if ((error = check_body(m, what)) < 0)
		goto done;
	hops = json_object_get(env, "hops");
	if (!json_is_array(hops) || json_array_size(hops) < 1 || json_array_size(hops) > STRATA_PROCMSG_MAX_HOPS) {
		error = strata_error_set("'%s': %s message from '%s': its path must name 1 to %d nodes", what,
					 json_string_value(json_object_get(m->body, "kind")), m->origin,
					 STRATA_PROCMSG_MAX_HOPS);
		goto done;
	}
	for (size_t i = 0; i < json_array_size(hops); i++) {
		s = json_string_value(json_array_get(hops, i));
		if (!s || !strata_name_node_valid(s) || strata_procmsg_has_hop(m, s) || (i == 0 && strcmp(s, m->origin))) {
			error = strata_error_set("'%s': message from '%s': its path is not valid (the origin first, "
						 "no node twice)", what, m->origin);
			goto done;
		}
		snprintf(m->hops[m->nhops++], sizeof(m->hops[0]), "%s", s);
	}
	if ((error = strata_sign_sshsig_verify(&signer, m->sig.ptr, m->sig.len, STRATA_PROCMSG_NAMESPACE, m->text.ptr,
					       m->text.len)) < 0 ||
	    !strata_sign_pubkey_equal(&signer, &m->key)) {
		error = strata_error_setc(STRATA_EVERIFY, "'%s': message from '%s': its signature does not verify", what,
					  m->origin);
		goto done;
	}
	if (m->kind == STRATA_MSG_CATALOG && strata_procmsg_str(m, "key") &&
	    (strata_sign_pubkey_parse(&signer, strata_procmsg_str(m, "key")) < 0 || !strata_sign_pubkey_equal(&signer, &m->key))) {
		error = strata_error_setc(STRATA_EVERIFY, "'%s': catalogue of '%s': the key it names is not its signer's",
					  what, m->origin);
		goto done;
	}
	set_id(m);
	*out = m;
	m = NULL;
	error = 0;
done:
	json_decref(env);
	strata_buf_dispose(&raw);
	strata_procmsg_free(m);
	return error;
}
