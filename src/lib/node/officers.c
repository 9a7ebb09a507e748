/*
 * officers.c - named officers, their roles, and who acts (officers.h).
 */
#include "strata/node/officers.h"
#include "strata/base/array.h"
#include "strata/base/enc.h"
#include "strata/base/i18n.h"
#include "strata/base/near.h"
#include "strata/base/time.h"
#include "strata/node/peers.h"
#include "node_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIG_TRAILER "Strata-Officer-Signature: "

/* marked: messages show them in the reader's words; what a script reads keeps these */
static const char *const role_names[] = { N_("officer"), N_("operator"), N_("auditor") };

const char *strata_role_name(int role)
{
	for (size_t i = 0; i < 3; i++)
		if (role == 1 << i)
			return role_names[i];
	return "?";
}

int strata_role_parse(int *out, const char *text)
{
	for (size_t i = 0; i < 3; i++)
		if (!strcmp(text, role_names[i])) {
			*out = 1 << i;
			return 0;
		}
	return strata_error_set("role '%s': expected officer, operator or auditor", text);
}

int strata_officer_name_check(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > 63 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
		return strata_error_set("officer name '%s': 1 to 63 of a-z, 0-9, '.', '_' and '-', starting with a letter "
					"or digit",
					name);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return strata_error_set("officer name '%s': 1 to 63 of a-z, 0-9, '.', '_' and '-', starting "
						"with a letter or digit",
						name);
	return 0;
}

static int conf_string(strata_node *n, const char *name, const char *var, char *out, size_t outsz)
{
	char key[128];
	git_config_entry *e = NULL;

	snprintf(key, sizeof(key), "officer.%s.%s", name, var);
	if (git_config_get_entry(&e, n->cfg, key) < 0) {
		git_error_clear();
		if (outsz)
			out[0] = '\0';
		return STRATA_ENOTFOUND;
	}
	snprintf(out, outsz, "%s", e->value);
	git_config_entry_free(e);
	return 0;
}

/* officer NAME's entry from node.conf; STRATA_ENOTFOUND if it has no key */
static int load_one(strata_officer *o, strata_node *n, const char *name)
{
	char text[512];
	strata_buf fpr = STRATA_BUF_INIT;
	int rc;

	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	if (conf_string(n, name, "key", text, sizeof(text)) < 0)
		return STRATA_ENOTFOUND;
	if (strata_sign_pubkey_parse(&o->key, text) < 0)
		return strata_error_set("node.conf: officer '%s': its key is not an ssh-ed25519 key", name);
	if (conf_string(n, name, "role", text, sizeof(text)) < 0 || strata_role_parse(&o->role, text) < 0)
		return strata_error_set("node.conf: officer '%s': role '%s' is not officer, operator or auditor", name,
					text);
	conf_string(n, name, "displayname", o->display, sizeof(o->display));
	if (conf_string(n, name, "added", text, sizeof(text)) == 0)
		o->added = strtoll(text, NULL, 10);
	if (conf_string(n, name, "removed", text, sizeof(text)) == 0)
		o->removed = strtoll(text, NULL, 10);
	if ((rc = strata_sign_pubkey_fingerprint(&fpr, &o->key)) < 0)
		return rc;
	snprintf(o->fpr, sizeof(o->fpr), "%s", fpr.ptr);
	strata_buf_dispose(&fpr);
	return 0;
}

static int cmp_officers(const void *a, const void *b)
{
	return strcmp(((const strata_officer *)a)->name, ((const strata_officer *)b)->name);
}

int strata_officers_list(strata_officer **out, size_t *count, strata_node *n)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	strata_officer *all = NULL;
	size_t k = 0, alloc = 0;
	int error = 0;

	*out = NULL;
	*count = 0;
	if (git_config_iterator_new(&it, n->cfg) < 0)
		return strata_error_git("cannot read node.conf");
	while (!error && git_config_next(&e, it) == 0) {
		size_t len = strlen(e->name);
		char name[64];
		if (len < 13 || strncmp(e->name, "officer.", 8) || strcmp(e->name + len - 4, ".key") || len - 12 >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 12), e->name + 8);
		if ((error = strata_array_grow(&all, &alloc, k + 1, 8)) < 0)
			break;
		error = load_one(&all[k], n, name);
		if (error == 0)
			k++;
	}
	git_config_iterator_free(it);
	git_error_clear();
	if (error) {
		free(all);
		return error;
	}
	if (k)
		qsort(all, k, sizeof(*all), cmp_officers);
	*out = all;
	*count = k;
	return 0;
}

/*
 * Counted from node.conf's names alone (every writer asks, and the console
 * on every request): an officer is one with a key and no removal.  Their
 * keys are parsed only where one of them acts (strata_officer_get).
 */
int strata_officers_current(strata_node *n)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	int current = 0;

	/* the plain iterator: libgit2 1.5's glob iterator leaks its regex's match data at every call */
	if (git_config_iterator_new(&it, n->cfg) < 0)
		return strata_error_git("cannot read node.conf");
	while (git_config_next(&e, it) == 0) {
		size_t len = strlen(e->name);
		if (strncmp(e->name, "officer.", 8) || len < 13)
			continue;
		if (!strcmp(e->name + len - 4, ".key"))
			current++;
		else if (len > 16 && !strcmp(e->name + len - 8, ".removed") && strtoll(e->value, NULL, 10) != 0) {
			char name[64];
			snprintf(name, sizeof(name), "%.*s", (int)(len - 16), e->name + 8);
			if (len - 16 < sizeof(name) && conf_string(n, name, "key", NULL, 0) == 0)
				current--;
		}
	}
	git_config_iterator_free(it);
	git_error_clear();
	return current;
}

int strata_officer_get(strata_officer *out, strata_node *n, const char *name)
{
	strata_officer *all = NULL;
	const char **names = NULL;
	size_t count = 0;
	strata_buf near = STRATA_BUF_INIT;
	int error = load_one(out, n, name);

	if (error != STRATA_ENOTFOUND)
		return error;
	if (strata_officers_list(&all, &count, n) < 0)
		strata_error_clear();
	if (count && (names = calloc(count, sizeof(*names))) != NULL) {
		for (size_t i = 0; i < count; i++)
			names[i] = all[i].name;
	}
	if (names && strata_near_list(&near, name, names, count))
		error = strata_error_setc(STRATA_ENOTFOUND, "no officer '%s' at this node; did you mean %s? ('strata officer list')",
					  name, near.ptr);
	else if (count)
		error = strata_error_setc(STRATA_ENOTFOUND, "no officer '%s' at this node ('strata officer list')", name);
	else
		error = strata_error_setc(STRATA_ENOTFOUND, "no officer '%s': this node has no officers ('strata officer add')",
					  name);
	strata_buf_dispose(&near);
	free(names);
	free(all);
	return error;
}

static int conf_set(strata_node *n, const char *name, const char *var, const char *value)
{
	char key[128];

	snprintf(key, sizeof(key), "officer.%s.%s", name, var);
	if (git_config_set_string(n->cfg, key, value) < 0)
		return strata_error_git("cannot write node.conf");
	return 0;
}

/* does any current officer other than `except` have the operator's role? */
static int other_operator(strata_officer *all, size_t count, const char *except)
{
	for (size_t i = 0; i < count; i++)
		if (!all[i].removed && all[i].role == STRATA_ROLE_OPERATOR && strcmp(all[i].name, except))
			return 1;
	return 0;
}

int strata_officer_add(strata_node *n, const strata_officer *o)
{
	strata_officer *all = NULL;
	strata_buf key = STRATA_BUF_INIT;
	char who[128], when[32];
	size_t count = 0;
	int error;

	if (!strata_node_locked(n))
		return strata_error_set("officer add: the node's write lock is not held");
	if ((error = strata_officer_name_check(o->name)) < 0 ||
	    (o->display[0] && (error = strata_node_display_check(o->display)) < 0) ||
	    (error = strata_officers_list(&all, &count, n)) < 0)
		return error;
	for (size_t i = 0; i < count && !error; i++) {
		if (!strcmp(all[i].name, o->name))
			error = all[i].removed ?
				strata_error_setc(STRATA_EEXISTS, "officer '%s' was removed: a name is never used again, "
						  "so that their events keep naming them", o->name) :
				strata_error_setc(STRATA_EEXISTS, "officer '%s' is already at this node", o->name);
		else if (strata_sign_pubkey_equal(&all[i].key, &o->key))
			error = strata_error_setc(STRATA_EEXISTS, "that key is already officer '%s''s: each officer has their own",
						  all[i].name);
	}
	if (!error && strata_sign_pubkey_equal(&o->key, strata_node_pubkey(n)))
		error = strata_error_set("that key is this node's own: an officer's key is their own, not the node's");
	if (!error && strata_peers_trusted(n, &o->key, who, sizeof(who)))
		error = strata_error_set("that key is pinned for '%s': an officer's key is their own, not a node's", who);
	if (!error && o->role != STRATA_ROLE_OPERATOR && !other_operator(all, count, o->name))
		error = strata_error_set("the first officer must be an operator: an operator names the others, so a node "
					 "with officers always has one");
	free(all);
	if (error)
		return error;
	snprintf(when, sizeof(when), "%lld", (long long)strata_time_now());
	if ((error = strata_sign_pubkey_format(&key, &o->key)) < 0 || (error = conf_set(n, o->name, "key", key.ptr)) < 0 ||
	    (error = conf_set(n, o->name, "role", strata_role_name(o->role))) < 0 ||
	    (o->display[0] && (error = conf_set(n, o->name, "displayname", o->display)) < 0) ||
	    (error = conf_set(n, o->name, "added", when)) < 0)
		goto done;
done:
	strata_buf_dispose(&key);
	return error;
}

int strata_officer_remove(strata_node *n, const char *name)
{
	strata_officer o, *all = NULL;
	size_t count = 0;
	char when[32];
	int error;

	if (!strata_node_locked(n))
		return strata_error_set("officer remove: the node's write lock is not held");
	if ((error = strata_officer_get(&o, n, name)) < 0)
		return error;
	if (o.removed)
		return strata_error_setc(STRATA_ENOTFOUND, "officer '%s' was removed already", name);
	if ((error = strata_officers_list(&all, &count, n)) < 0)
		return error;
	if (o.role == STRATA_ROLE_OPERATOR && !other_operator(all, count, name))
		error = strata_error_setc(STRATA_EDENIED, "'%s' is the last operator: add another before removing them, "
					  "so that someone can still name officers", name);
	free(all);
	if (error)
		return error;
	snprintf(when, sizeof(when), "%lld", (long long)strata_time_now());
	return conf_set(n, name, "removed", when);
}

int strata_officer_set(strata_node *n, const char *name, int role, const char *display)
{
	strata_officer o, *all = NULL;
	size_t count = 0;
	int error;

	if (!strata_node_locked(n))
		return strata_error_set("officer set: the node's write lock is not held");
	if ((error = strata_officer_get(&o, n, name)) < 0)
		return error;
	if (o.removed)
		return strata_error_setc(STRATA_ENOTFOUND, "officer '%s' was removed already", name);
	if (role && role != o.role) {
		if ((error = strata_officers_list(&all, &count, n)) < 0)
			return error;
		if (o.role == STRATA_ROLE_OPERATOR && !other_operator(all, count, name))
			error = strata_error_setc(STRATA_EDENIED, "'%s' is the last operator: name another before changing "
						  "their role, so that someone can still name officers", name);
		free(all);
		if (error || (error = conf_set(n, name, "role", strata_role_name(role))) < 0)
			return error;
	}
	if (display && *display && (error = strata_node_display_check(display)) < 0)
		return error;
	if (display) {
		char key[128];
		snprintf(key, sizeof(key), "officer.%s.displayname", name);
		if ((error = strata_node_conf_set(n, key, display)) < 0)
			return error;
	}
	return 0;
}

/* --- who acts --- */

static const char probe[] = "strata: the key of the officer about to act\n";

/* `armored` is `o`'s signature over `data`? */
static int check_signature(const strata_officer *o, const char *armored, size_t alen, const void *data, size_t len)
{
	strata_pubkey signer;
	int rc;

	if ((rc = strata_sign_sshsig_verify(&signer, armored, alen, STRATA_OFFICER_NS, data, len)) < 0)
		return rc;
	if (!strata_sign_pubkey_equal(&signer, &o->key))
		return strata_error_setc(STRATA_EVERIFY, "the signature is not by officer '%s''s key (%s)", o->name, o->fpr);
	return 0;
}

int strata_officers_probe(strata_officer *out, strata_node *n, const char *name, strata_cosign_fn sign, void *payload)
{
	strata_officer o;
	strata_buf sig = STRATA_BUF_INIT;
	int error;

	if ((error = strata_officer_get(&o, n, name)) < 0)
		return error;
	if (o.removed)
		return strata_error_setc(STRATA_EDENIED, "officer '%s' was removed from this node", name);
	if ((error = sign(&sig, probe, sizeof(probe) - 1, payload)) < 0 ||
	    (error = check_signature(&o, sig.ptr, sig.len, probe, sizeof(probe) - 1)) < 0) {
		if (error == STRATA_EVERIFY)
			strata_error_setc(STRATA_EVERIFY, "the key given for officer '%s' is not the one pinned for them (%s)",
					  name, o.fpr);
		strata_buf_dispose(&sig);
		return error;
	}
	strata_buf_dispose(&sig);
	if (out)
		*out = o;
	return 0;
}

int strata_officers_act(strata_node *n, const char *name, strata_cosign_fn sign, void *payload)
{
	strata_officer o;
	int error;

	if ((error = strata_officers_probe(&o, n, name, sign, payload)) < 0)
		return error;
	free(n->actor);
	if ((n->actor = malloc(sizeof(*n->actor))) == NULL)
		return strata_error_set("out of memory");
	*n->actor = o;
	n->cosign = sign;
	n->cosign_payload = payload;
	return 0;
}

const strata_officer *strata_officers_actor(const strata_node *n)
{
	return n->actor;
}

static void roles_text(char *out, size_t outsz, int roles)
{
	size_t len = 0;

	out[0] = '\0';
	for (int r = 1; r <= STRATA_ROLE_AUDITOR && len < outsz; r <<= 1)
		if (roles & r)
			len += (size_t)snprintf(out + len, outsz - len, "%s%s", len ? _(" or ") : "", _(strata_role_name(r)));
}

int strata_officers_permit(strata_node *n, int roles, const char *what)
{
	char may[64];
	int current;

	if (n->actor) {
		if (n->actor->role & roles)
			return 0;
		roles_text(may, sizeof(may), roles);
		return strata_error_setc(STRATA_EDENIED, "'%s' is an %s and may not %s (only an %s may)", n->actor->name,
					 _(strata_role_name(n->actor->role)), what, may);
	}
	if ((current = strata_officers_current(n)) < 0)
		return current;
	if (current == 0)
		return 0;
	roles_text(may, sizeof(may), roles);
	return strata_error_setc(STRATA_EDENIED, "this node has officers: say who is to %s with --as NAME (or "
				 "$STRATA_OFFICER; an %s)", what, may);
}

int strata_officers_gate(strata_node *n)
{
	strata_officer now;
	int current;

	if (!n->actor) {
		if ((current = strata_officers_current(n)) < 0)
			return current;
		if (current)
			return strata_error_setc(STRATA_EDENIED, "this node has officers: a change names who makes it "
						 "(--as NAME or $STRATA_OFFICER)");
		return 0;
	}
	/* named a while ago (a daemon, a console): still so? */
	if (load_one(&now, n, n->actor->name) < 0 || now.removed)
		return strata_error_setc(STRATA_EDENIED, "officer '%s' was removed from this node", n->actor->name);
	if (now.role != n->actor->role || !strata_sign_pubkey_equal(&now.key, &n->actor->key))
		return strata_error_setc(STRATA_EDENIED, "officer '%s''s role or key changed since they were named: "
					 "name them again", n->actor->name);
	if (now.role == STRATA_ROLE_AUDITOR)
		return strata_error_setc(STRATA_EDENIED, "'%s' is an auditor: an auditor reads and changes nothing",
					 n->actor->name);
	return 0;
}

int strata_officer_trailer(strata_buf *msg, strata_node *n)
{
	if (!n->actor)
		return 0;
	if (n->actor_note && strata_buf_puts(msg, n->actor_note) < 0)
		return STRATA_ERROR;
	return strata_buf_printf(msg, "Strata-Officer: %s <%s>\n", n->actor->name, n->actor->fpr);
}

int strata_officers_note(strata_node *n, const char *trailers)
{
	free(n->actor_note);
	n->actor_note = NULL;
	if (trailers && (n->actor_note = strdup(trailers)) == NULL)
		return strata_error_set("out of memory");
	return 0;
}

int strata_officer_cosign(strata_buf *line, strata_node *n, const void *raw, size_t len)
{
	strata_buf sig = STRATA_BUF_INIT;
	const char *b, *e;
	int error;

	if (!n->actor)
		return 0;
	if ((error = n->cosign(&sig, raw, len, n->cosign_payload)) < 0 ||
	    (error = check_signature(n->actor, sig.ptr, sig.len, raw, len)) < 0)
		goto done;
	/* the armor's body, on one line */
	b = strstr(sig.ptr, "-----BEGIN SSH SIGNATURE-----");
	e = strstr(sig.ptr, "-----END SSH SIGNATURE-----");
	if (!b || !e || e < b) {
		error = strata_error_set("the officer's signature is not an SSH signature");
		goto done;
	}
	b += strlen("-----BEGIN SSH SIGNATURE-----");
	if ((error = strata_buf_puts(line, SIG_TRAILER)) < 0)
		goto done;
	for (; b < e; b++)
		if (*b != '\n' && *b != '\r' && (error = strata_buf_putc(line, *b)) < 0)
			goto done;
	error = strata_buf_putc(line, '\n');
done:
	strata_buf_dispose(&sig);
	return error;
}

static int64_t commit_time(strata_node *n, const git_oid *id)
{
	git_commit *c = NULL;
	int64_t t = INT64_MAX;

	if (git_commit_lookup(&c, n->repo, id) == 0)
		t = (int64_t)git_commit_time(c);
	git_error_clear();
	git_commit_free(c);
	return t;
}

int strata_officer_check_commit(strata_node *n, const git_oid *id, char *name, size_t namesz)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	strata_officer o;
	strata_pubkey signer;
	const char *msg, *who;
	char nm[64] = "";
	int error = STRATA_EVERIFY, rc;

	if (git_commit_extract_signature(&sig, &data, n->repo, (git_oid *)id, NULL) < 0) {
		git_error_clear();
		git_buf_dispose(&sig);
		return strata_error_setc(STRATA_EVERIFY, "commit %.12s: unsigned", git_oid_tostr_s(id));
	}
	msg = strstr(data.ptr, "\n\n");
	who = msg ? strstr(msg, "\nStrata-Officer: ") : NULL;
	if (!who) {
		error = 1;
		goto done;
	}
	sscanf(who + strlen("\nStrata-Officer: "), "%63[^ \n]", nm);
	snprintf(name, namesz, "%s", nm);
	/* the last line is the signature; what it signs is everything before it */
	if ((rc = strata_sign_last_line_verify(&signer, data.ptr, data.size, SIG_TRAILER, STRATA_OFFICER_NS)) == 0) {
		strata_error_setc(STRATA_EVERIFY, "commit %.12s names officer '%s' but has no officer signature",
				  git_oid_tostr_s(id), nm);
		goto done;
	}
	if (load_one(&o, n, nm) < 0) {
		strata_error_setc(STRATA_EVERIFY, "commit %.12s names officer '%s', whom this node does not know",
				  git_oid_tostr_s(id), nm);
		goto done;
	}
	if (o.removed && commit_time(n, id) > o.removed) {
		strata_error_setc(STRATA_EVERIFY, "commit %.12s: signed by officer '%s' after they were removed",
				  git_oid_tostr_s(id), nm);
		goto done;
	}
	if (rc < 0 || !strata_sign_pubkey_equal(&signer, &o.key)) {
		strata_error_setc(STRATA_EVERIFY, "commit %.12s: officer '%s''s signature does not verify with their key %s",
				  git_oid_tostr_s(id), nm, o.fpr);
		goto done;
	}
	error = 0;
done:
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return error;
}
