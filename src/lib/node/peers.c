/*
 * peers.c - see peers.h.
 *
 * node.conf is read with libgit2's config API.  Names are matched by hand,
 * never with a glob iterator: libgit2 1.5's regex glob leaks pcre2 match
 * data on every call (LeakSanitizer).
 */
#include "strata/node/peers.h"
#include "strata/base/time.h"
#include "strata/base/near.h"
#include "strata/base/i18n.h"
#include "strata/base/array.h"
#include "strata/format/name.h"
#include "strata/base/fs.h"
#include "node_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strata_peers_list_free(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

int strata_peers_unknown(strata_node *n, const char *name)
{
	char **names = NULL;
	size_t count = 0;
	strata_buf near = STRATA_BUF_INIT, all = STRATA_BUF_INIT;
	int error;

	if (strata_peers_list(&names, &count, n) < 0)
		strata_error_clear();
	if (count && strata_near_list(&near, name, (const char *const *)names, count))
		error = strata_error_setc(STRATA_ENOTFOUND, "no peer '%s' in node.conf; did you mean %s? ('strata peer list')",
					  name, near.ptr);
	else if (count) {
		strata_near_all(&all, (const char *const *)names, count, 12);
		error = strata_error_setc(STRATA_ENOTFOUND, "no peer '%s' in node.conf; its peers are %s", name, all.ptr);
	} else
		error = strata_error_setc(STRATA_ENOTFOUND, "no peer '%s' in node.conf: it pins none yet ('strata peer add')",
					  name);
	strata_buf_dispose(&near);
	strata_buf_dispose(&all);
	strata_peers_list_free(names);
	return error;
}

int strata_peers_list(char ***out, size_t *count, strata_node *n)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	char **names = NULL;
	size_t k = 0, alloc = 0;
	int error = 0;

	*out = NULL;
	*count = 0;
	/* not a glob iterator: libgit2 1.5's leaks its regex match data (LeakSanitizer) */
	if (git_config_iterator_new(&it, n->cfg) < 0)
		return strata_error_git("cannot read node.conf");
	while (!error && git_config_next(&e, it) == 0) {
		size_t len = strlen(e->name);
		if (len < 10 || strncmp(e->name, "peer.", 5) || strcmp(e->name + len - 4, ".key"))
			continue;
		len -= 9;	/* "peer." NAME ".key" */
		if ((error = strata_array_grow(&names, &alloc, k + 2, 8)) < 0)
			break;
		if ((names[k] = strndup(e->name + 5, len)) == NULL)
			error = strata_error_set("out of memory");
		else if (strata_name_node_valid(names[k]))
			k++;
		else
			free(names[k]);
		names[k] = NULL;
	}
	git_config_iterator_free(it);
	git_error_clear();
	if (error) {
		strata_peers_list_free(names);
		return error;
	}
	if (names)
		qsort(names, k, sizeof(*names), cmp_names);
	*out = names;
	*count = k;
	return 0;
}

struct strata_trusted {
	strata_pubkey key;
	char name[64];
	int64_t before;		/* a retired key: trusted for commits made before this time (0: no limit) */
	int64_t after;		/* a revoked key: not trusted for commits made from this time on (0: never revoked) */
};

int strata_peers_timed_parse(const char *value, const char *word, strata_peers_timed_cb cb, void *payload)
{
	const char *p = value;
	int rc;

	while (*p) {
		const char *end = strchr(p, ';'), *w;
		char item[512], *tail;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		long long t;
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		if (len == 0 || len >= sizeof(item))
			return strata_error_set("'%s': expected 'KEY %s TIME', separated by ';'", value, word);
		memcpy(item, p, len);
		item[len] = '\0';
		while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
			item[--len] = '\0';
		if (!(w = strstr(item, word)) || w == item || w[-1] != ' ' || w[strlen(word)] != ' ')
			return strata_error_set("'%s': expected 'KEY %s TIME'", item, word);
		t = strtoll(w + strlen(word) + 1, &tail, 10);
		if (t <= 0 || *tail)
			return strata_error_set("'%s': the time is not seconds since 1970", item);
		item[w - 1 - item] = '\0';
		if ((rc = cb(item, (int64_t)t, payload)) != 0)
			return rc;
		p = end ? end + 1 : p + strlen(p);
	}
	return 0;
}

struct loading {
	strata_node *n;
	size_t *alloc;
	const char *name;
	size_t namelen;
	int revoke;
};

static int add_trusted(strata_node *n, size_t *alloc, const strata_pubkey *key, const char *name, size_t namelen,
		       int64_t before)
{
	int error;
	if ((error = strata_array_grow(&n->trusted, alloc, n->ntrusted + 1, 8)) < 0)
		return error;
	memset(&n->trusted[n->ntrusted], 0, sizeof(n->trusted[n->ntrusted]));
	n->trusted[n->ntrusted].key = *key;
	snprintf(n->trusted[n->ntrusted].name, sizeof(n->trusted[n->ntrusted].name), "%.*s", (int)namelen, name);
	n->trusted[n->ntrusted].before = before;
	n->ntrusted++;
	return 0;
}

static int load_timed(const char *item, int64_t t, void *payload)
{
	struct loading *l = payload;
	strata_pubkey key;

	if (l->revoke) {
		/* marked on the keys of that name with that fingerprint, once all are loaded */
		for (size_t i = 0; i < l->n->ntrusted; i++) {
			strata_buf fpr = STRATA_BUF_INIT;
			struct strata_trusted *x = &l->n->trusted[i];
			if (strlen(x->name) == l->namelen && !strncmp(x->name, l->name, l->namelen) &&
			    strata_sign_pubkey_fingerprint(&fpr, &x->key) == 0 && !strcmp(fpr.ptr, item) &&
			    (!x->after || t < x->after))
				x->after = t;
			strata_buf_dispose(&fpr);
		}
		return 0;
	}
	if (strata_sign_pubkey_parse(&key, item) < 0)
		return 0;	/* strata_peers_check names it */
	return add_trusted(l->n, l->alloc, &key, l->name, l->namelen, t);
}

/*
 * peer.<name>.key and signer.<name>.key, peer.<name>.retired and
 * node.retired (earlier keys, each trusted before a time), then
 * peer.<name>.revoked, once.  Names are matched by hand: libgit2's regex
 * glob leaks pcre2 match data on every call.
 */
static int load_trusted(strata_node *n)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	size_t alloc = 0;
	int error = 0;

	for (int pass = 0; pass < 2 && !error; pass++) {	/* keys first, revocations over them */
		if (git_config_iterator_new(&it, n->cfg) < 0)
			return strata_error_git("cannot read node.conf");
		while (!error && git_config_next(&e, it) == 0) {
			size_t len = strlen(e->name);
			const char *dot1 = strchr(e->name, '.'), *dot2 = strrchr(e->name, '.');
			struct loading l = { n, &alloc, dot1 + 1, dot2 > dot1 ? (size_t)(dot2 - dot1 - 1) : 0, pass };
			strata_pubkey key;
			if (pass == 0 && !strcmp(e->name, "node.retired")) {
				l.name = n->name;
				l.namelen = strlen(n->name);
				strata_peers_timed_parse(e->value, "before", load_timed, &l);	/* strata_peers_check names a bad one */
				continue;
			}
			if ((strncmp(e->name, "peer.", 5) && strncmp(e->name, "signer.", 7)) || dot1 == dot2)
				continue;
			if (pass == 0 && len > 4 && !strcmp(e->name + len - 4, ".key") && strata_sign_pubkey_parse(&key, e->value) == 0)
				error = add_trusted(n, &alloc, &key, l.name, l.namelen, 0);
			else if (pass == 0 && len > 8 && !strcmp(e->name + len - 8, ".retired"))
				strata_peers_timed_parse(e->value, "before", load_timed, &l);
			else if (pass == 1 && len > 8 && !strcmp(e->name + len - 8, ".revoked"))
				strata_peers_timed_parse(e->value, "after", load_timed, &l);
		}
		git_config_iterator_free(it);
		it = NULL;
	}
	strata_error_clear();
	n->trusted_loaded = !error;
	return error;
}

int strata_peers_trusted_at(strata_node *n, const strata_pubkey *pk, int64_t when, char *name, size_t namesz,
			    char *why, size_t whysz)
{
	int found = 0;

	if (why && whysz)
		why[0] = '\0';
	if (strata_sign_pubkey_equal(pk, &n->pub)) {
		snprintf(name, namesz, "%s", n->name);
		return 1;
	}
	if (!n->trusted_loaded && load_trusted(n) < 0)
		return 0;
	for (size_t i = 0; i < n->ntrusted; i++) {
		const struct strata_trusted *x = &n->trusted[i];
		if (!strata_sign_pubkey_equal(&x->key, pk))
			continue;
		snprintf(name, namesz, "%s", x->name);
		if (when >= 0 && x->after && when >= x->after) {
			if (why)
				snprintf(why, whysz, _("a key of '%s' revoked from %lld"), x->name, (long long)x->after);
			found = 2;
		} else if (when >= 0 && x->before && when >= x->before) {
			if (why)
				snprintf(why, whysz, _("a key '%s' retired at %lld (rotated)"), x->name, (long long)x->before);
			found = 2;
		} else {
			return 1;	/* a key may be listed twice (current and retired): one valid entry is enough */
		}
	}
	return found;
}

int strata_peers_trusted(strata_node *n, const strata_pubkey *pk, char *name, size_t namesz)
{
	return strata_peers_trusted_at(n, pk, -1, name, namesz, NULL, 0) != 0;
}

int strata_peers_trust_for_now(strata_node *n, const char *name, const strata_pubkey *pk)
{
	size_t alloc;

	if (!n->trusted_loaded && load_trusted(n) < 0)
		return STRATA_ERROR;
	alloc = n->ntrusted;	/* grown from exactly its length */
	return add_trusted(n, &alloc, pk, name, strlen(name), 0);
}

void strata_peers_forget(strata_node *n)
{
	free(n->trusted);
	n->trusted = NULL;
	n->ntrusted = 0;
	n->trusted_loaded = 0;
}

static int conf_get(strata_buf *out, strata_node *n, const char *section, const char *sub, const char *var)
{
	strata_buf name = STRATA_BUF_INIT;
	git_config_entry *e = NULL;
	int error;

	if ((error = strata_buf_printf(&name, "%s.%s.%s", section, sub, var)) == 0) {
		if (git_config_get_entry(&e, n->cfg, name.ptr) < 0) {
			git_error_clear();
			error = strata_error_setc(STRATA_ENOTFOUND, "%s '%s' has no %s in node.conf", section, sub, var);
		} else {
			error = strata_buf_puts(out, e->value);
		}
	}
	git_config_entry_free(e);
	strata_buf_dispose(&name);
	return error;
}

int strata_peers_get(strata_buf *out, strata_node *n, const char *peer, const char *var)
{
	return conf_get(out, n, "peer", peer, var);
}

static int set(git_config *cfg, const char *peer, const char *var, const char *value)
{
	strata_buf name = STRATA_BUF_INIT;
	int error = strata_buf_printf(&name, "peer.%s.%s", peer, var);
	if (!error && git_config_set_string(cfg, name.ptr, value) < 0)
		error = strata_error_git("cannot write node.conf");
	strata_buf_dispose(&name);
	return error;
}

static int unset(git_config *cfg, const char *peer, const char *var)
{
	strata_buf name = STRATA_BUF_INIT;
	int error = strata_buf_printf(&name, "peer.%s.%s", peer, var);
	int rc = error ? 0 : git_config_delete_entry(cfg, name.ptr);
	if (rc < 0 && rc != GIT_ENOTFOUND)
		error = strata_error_git("cannot write node.conf");
	git_error_clear();
	strata_buf_dispose(&name);
	return error;
}

static void forget_trusted(strata_node *n)
{
	/* the keys are read again at the next strata_peers_trusted */
	free(n->trusted);
	n->trusted = NULL;
	n->ntrusted = 0;
	n->trusted_loaded = 0;
}

const char *strata_peers_default_direction(const char *tier, const char *peer_tier)
{
	int mine = strata_name_tier_rank(tier), theirs = strata_name_tier_rank(peer_tier);

	if (mine < 0 || theirs < 0 || mine == theirs)
		return NULL;
	return theirs > mine ? "push" : "pull";
}

static int direction_valid(const char *d)
{
	return !strcmp(d, "push") || !strcmp(d, "pull") || !strcmp(d, "both");
}

int strata_peers_direction(strata_buf *out, strata_node *n, const char *peer)
{
	strata_buf tier = STRATA_BUF_INIT;
	const char *d;
	int error;

	if ((error = strata_peers_get(out, n, peer, "direction")) != STRATA_ENOTFOUND)
		return error;
	if ((error = strata_peers_get(&tier, n, peer, "tier")) == 0) {
		if ((d = strata_peers_default_direction(n->tier, tier.ptr)) != NULL)
			error = strata_buf_puts(out, d);
		else
			error = strata_error_setc(STRATA_ENOTFOUND, "peer '%s' has no direction in node.conf, and its "
						  "tier (%s) is not above or below this node's (%s)", peer, tier.ptr, n->tier);
	}
	strata_buf_dispose(&tier);
	return error;
}

/* What strata_peers_add and strata_peers_set check of a peer's settings (key aside). */
static int spec_check(strata_node *n, const strata_peer_spec *p, const char *direction)
{
	int64_t age;
	int error;

	if (p->display && p->display[0] && (error = strata_node_display_check(p->display)) < 0)
		return error;
	if (!strata_name_tier_valid(p->tier))
		return strata_error_set("unknown tier '%s' (community, street, district, province or department)", p->tier);
	if (!direction)
		return strata_error_set("--direction is required: tier %s is neither above nor below this node's (%s), "
					"so it does not say which way data flows", p->tier, n->tier);
	if (!direction_valid(direction))
		return strata_error_set("--direction must be push, pull or both, not '%s'", direction);
	if (!p->policy && strcmp(direction, "pull"))
		return strata_error_set("--policy is required with direction %s: nothing is sent to a peer without one%s",
					direction, p->direction ? "" : _(" (a peer above this node is sent to by default; "
					"--direction pull makes it receive only)"));
	if (p->url && strncmp(p->url, "https://", 8))
		return strata_error_set("--url must be an https:// address, not '%s'", p->url);
	if (p->attributes && (error = strata_peers_attributes_check(p->attributes)) < 0)
		return error;
	if (p->max_age && p->max_age[0] && strata_time_duration(&age, p->max_age) < 0)
		return strata_error_set("--max-age '%s': expected a duration like 7d, 48h or 90m", p->max_age);
	return 0;
}

static int peer_exists(strata_node *n, const char *name)
{
	strata_buf key = STRATA_BUF_INIT;
	int rc = strata_peers_get(&key, n, name, "key") == 0;
	strata_error_clear();
	strata_buf_dispose(&key);
	return rc;
}

int strata_peers_add(strata_node *n, const strata_peer_spec *p)
{
	strata_buf line = STRATA_BUF_INIT;
	const char *direction;
	char other[64];
	int error;

	if (!strata_node_locked(n))
		return strata_error_set("peer add: the node's write lock is not held");
	if (!strata_name_node_valid(p->name))
		return strata_error_set("invalid peer name '%s' (use a-z, 0-9 and '-')", p->name);
	if (!strcmp(p->name, n->name))
		return strata_error_set("'%s' is this node's own name", p->name);
	if (peer_exists(n, p->name))
		return strata_error_setc(STRATA_EEXISTS, "peer '%s' is pinned already: change it with 'strata peer set', "
					 "or remove it first with 'strata peer remove'", p->name);
	direction = p->direction ? p->direction :
		    strata_name_tier_valid(p->tier) ? strata_peers_default_direction(n->tier, p->tier) : "both";
	if ((error = spec_check(n, p, direction)) < 0)
		return error;
	if (strata_sign_pubkey_equal(&p->key, &n->pub))
		return strata_error_set("--key is this node's own key");
	if (strata_peers_trusted(n, &p->key, other, sizeof(other)) && strcmp(other, p->name))
		return strata_error_set("that key already belongs to '%s'", other);
	if ((error = strata_sign_pubkey_format(&line, &p->key)) == 0 &&
	    (error = set(n->cfg, p->name, "key", line.ptr)) == 0 &&
	    (error = set(n->cfg, p->name, "tier", p->tier)) == 0 &&
	    (error = p->policy ? set(n->cfg, p->name, "policy", p->policy) : 0) == 0 &&
	    (error = set(n->cfg, p->name, "direction", direction)) == 0 &&
	    (error = p->attributes && p->attributes[0] ? set(n->cfg, p->name, "attributes", p->attributes) : 0) == 0 &&
	    (error = p->display && p->display[0] ? set(n->cfg, p->name, "displayname", p->display) : 0) == 0 &&
	    (error = p->max_age && p->max_age[0] ? set(n->cfg, p->name, "maxage", p->max_age) : 0) == 0)
		error = p->url ? set(n->cfg, p->name, "url", p->url) : 0;
	forget_trusted(n);
	if (!error)
		error = strata_peers_write_allowed_signers(n);
	strata_buf_dispose(&line);
	return error;
}

int strata_peers_attributes_check(const char *attrs)
{
	const char *p = attrs;
	size_t count = 0;

	while (*p) {
		const char *end = strchr(p, ';'), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p), nl;
		while (len && *p == ' ')
			p++, len--;
		while (len && p[len - 1] == ' ')
			len--;
		eq = len ? memchr(p, '=', len) : NULL;
		nl = eq ? (size_t)(eq - p) : 0;
		if (len && (!eq || nl == 0 || nl > 32 || strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_") != nl ||
			    len - nl - 1 == 0 || len - nl - 1 > 128))
			return strata_error_set("attributes '%s': each is NAME=VALUE (NAME a-z, 0-9, _; VALUE at most 128 "
						"bytes, no ';'), joined by '; '", attrs);
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)p[i] < 0x20)
				return strata_error_set("attributes '%s': a control character", attrs);
		count += len > 0;
		if (!end)
			break;
		p = end + 1;
	}
	if (count > 8)
		return strata_error_set("attributes '%s': at most 8", attrs);
	return 0;
}

static const char *const peer_vars[] = { "key", "tier", "policy", "direction", "url", "attributes", "displayname",
					 "maxage", "retired", "revoked", NULL };
/* what strata_peers_set may change, in peer_vars' order (key first, never changed) */
static const char *const settable[] = { "key", "tier", "policy", "direction", "url", "attributes", "displayname",
					"maxage", NULL };

int strata_peers_set(strata_buf *changed, strata_node *n, const char *name, const strata_peer_spec *c,
		     int unset_url, int unset_policy)
{
	strata_buf old[8] = { STRATA_BUF_INIT, STRATA_BUF_INIT, STRATA_BUF_INIT, STRATA_BUF_INIT, STRATA_BUF_INIT,
			      STRATA_BUF_INIT, STRATA_BUF_INIT, STRATA_BUF_INIT };
	const char *want[8];
	int had[8], error = 0;
	strata_peer_spec merged;

	if (!strata_node_locked(n))
		return strata_error_set("peer set: the node's write lock is not held");
	if (!strata_name_node_valid(name) || !peer_exists(n, name))
		return strata_peers_unknown(n, name);
	for (int i = 0; settable[i]; i++) {
		had[i] = strata_peers_get(&old[i], n, name, settable[i]) == 0;
		want[i] = had[i] ? old[i].ptr : NULL;
	}
	strata_error_clear();
	if (c->tier) want[1] = c->tier;
	if (c->policy) want[2] = c->policy;
	if (c->direction) want[3] = c->direction;
	if (c->url) want[4] = c->url;
	if (c->attributes) want[5] = c->attributes[0] ? c->attributes : NULL;	/* "": none */
	if (c->display) want[6] = c->display[0] ? c->display : NULL;
	if (c->max_age) want[7] = c->max_age[0] ? c->max_age : NULL;
	if (unset_url) want[4] = NULL;
	if (unset_policy) want[2] = NULL;
	memset(&merged, 0, sizeof(merged));
	merged.name = name;
	merged.tier = want[1] ? want[1] : "";
	merged.policy = want[2];
	merged.url = want[4];
	merged.attributes = want[5];
	merged.direction = want[3];
	merged.display = want[6];
	merged.max_age = want[7];
	if (!want[3] && strata_name_tier_valid(merged.tier))
		want[3] = strata_peers_default_direction(n->tier, merged.tier);
	if ((error = spec_check(n, &merged, want[3])) < 0)
		goto done;
	for (int i = 1; !error && settable[i]; i++) {
		if (had[i] && want[i] && !strcmp(old[i].ptr, want[i]))
			continue;
		if (!had[i] && !want[i])
			continue;
		error = want[i] ? set(n->cfg, name, settable[i], want[i]) : unset(n->cfg, name, settable[i]);
		if (!error)
			error = strata_buf_printf(changed, "%s: %s -> %s\n", settable[i], had[i] ? old[i].ptr : "(none)",
						  want[i] ? want[i] : "(none)");
	}
done:
	for (int i = 0; i < 8; i++)
		strata_buf_dispose(&old[i]);
	return error;
}

int strata_peers_remove(strata_node *n, const char *name)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	char **vars = NULL;
	size_t nvars = 0, alloc = 0, plen = strlen(name) + 6;
	int error = 0;

	if (!strata_node_locked(n))
		return strata_error_set("peer remove: the node's write lock is not held");
	if (!strata_name_node_valid(name))
		return strata_peers_unknown(n, name);
	if (git_config_iterator_new(&it, n->cfg) < 0)
		return strata_error_git("cannot read node.conf");
	while (!error && git_config_next(&e, it) == 0) {
		if (strncmp(e->name, "peer.", 5) || strncmp(e->name + 5, name, plen - 6) || e->name[plen - 1] != '.')
			continue;
		if ((error = strata_array_grow(&vars, &alloc, nvars + 1, 8)) == 0 &&
		    (vars[nvars] = strdup(e->name)) != NULL)
			nvars++;
		else if (!error)
			error = strata_error_set("out of memory");
	}
	git_config_iterator_free(it);
	git_error_clear();
	if (!error && nvars == 0)
		error = strata_peers_unknown(n, name);
	/* the regex only for a setting written twice: libgit2 1.5's leaks its match data */
	for (size_t i = 0; !error && i < nvars; i++) {
		int rc = git_config_delete_entry(n->cfg, vars[i]);
		if (rc < 0 && rc != GIT_ENOTFOUND && git_config_delete_multivar(n->cfg, vars[i], ".*") < 0)
			error = strata_error_git("cannot write node.conf");
		git_error_clear();
	}
	for (size_t i = 0; i < nvars; i++)
		free(vars[i]);
	free(vars);
	forget_trusted(n);
	if (!error)
		error = strata_peers_write_allowed_signers(n);
	return error;
}

/* --- checking node.conf --- */

/*
 * The line of node.conf that sets `section`."`sub`".`var` (var NULL: the
 * section's header), the last one as git reads it; 0 if none.  A reader
 * of git's config syntax just good enough to point at a line: libgit2
 * gives values, not where they are.
 */
static int conf_line(const char *text, const char *section, const char *sub, const char *var)
{
	int line = 0, found = 0, inside = 0;
	size_t slen = strlen(section);

	for (const char *p = text; p && *p; line++) {
		const char *end = strchr(p, '\n'), *q = p;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (q < p + len && (*q == ' ' || *q == '\t'))
			q++;
		if (*q == '[') {
			const char *r = q + 1, *quote;
			inside = 0;
			while (*r == ' ' || *r == '\t')
				r++;
			if (!strncasecmp(r, section, slen) && (r[slen] == ' ' || r[slen] == '\t' || r[slen] == ']')) {
				if (!sub)
					inside = 1;
				else if ((quote = memchr(r, '"', (size_t)(p + len - r))) != NULL &&
					 !strncmp(quote + 1, sub, strlen(sub)) && quote[1 + strlen(sub)] == '"')
					inside = 1;
			}
			if (inside && !var)
				found = line + 1;
		} else if (inside && var) {
			size_t vlen = strlen(var);
			if (!strncasecmp(q, var, vlen) && (q[vlen] == ' ' || q[vlen] == '\t' || q[vlen] == '=' ||
							   q + vlen == p + len || q[vlen] == '\r'))
				found = line + 1;
		}
		p = end ? end + 1 : NULL;
	}
	return found;
}

struct check {
	strata_node *n;
	const char *path;	/* NODE/node.conf */
	char *text;
	strata_problem_cb cb;
	void *payload;
	int problems;
};

static void problem(struct check *c, const char *section, const char *sub, const char *var, const char *fix,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void problem(struct check *c, const char *section, const char *sub, const char *var, const char *fix,
		    const char *fmt, ...)
{
	char what[512], where[4200];
	int line = c->text ? conf_line(c->text, section, sub, var) : 0;
	va_list ap;

	if (!line && var)	/* a missing setting: point at its section */
		line = c->text ? conf_line(c->text, section, sub, NULL) : 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(where, sizeof(where), "%s:%d", c->path, line);
	else
		snprintf(where, sizeof(where), "%s", c->path);
	c->problems++;
	if (c->cb)
		c->cb(where, what, fix, c->payload);
}

static int has_name(char **names, size_t k, const char *name)
{
	for (size_t i = 0; i < k; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* Every subsection name under `section` (peer or signer), in file order, with or without a key. */
static int sections(char ***out, size_t *count, strata_node *n, const char *section)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	size_t k = 0, alloc = 0, slen = strlen(section);
	char **names = NULL;
	int error = 0;

	if (git_config_iterator_new(&it, n->cfg) < 0)
		return strata_error_git("cannot read node.conf");
	while (!error && git_config_next(&e, it) == 0) {
		const char *last = strrchr(e->name, '.');
		if (strncmp(e->name, section, slen) || e->name[slen] != '.' || last <= e->name + slen)
			continue;
		char *sub = strndup(e->name + slen + 1, (size_t)(last - e->name - slen - 1));
		if (!sub || has_name(names, k, sub)) {
			error = sub ? 0 : strata_error_set("out of memory");
			free(sub);
			continue;
		}
		if ((error = strata_array_grow(&names, &alloc, k + 2, 8)) < 0) {
			free(sub);
			break;
		}
		names[k++] = sub;
		names[k] = NULL;
	}
	git_config_iterator_free(it);
	git_error_clear();
	*out = names;
	*count = k;
	return error;
}

/* Unknown settings in `section`."`sub`": a misspelt one would be silently ignored. */
static void check_vars(struct check *c, const char *section, const char *sub, const char *const *known)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	size_t slen = strlen(section), sublen = strlen(sub);

	if (git_config_iterator_new(&it, c->n->cfg) < 0) {
		git_error_clear();
		return;
	}
	while (git_config_next(&e, it) == 0) {
		const char *var = e->name + slen + 1 + sublen + 1;
		int ok = 0;
		if (strncmp(e->name, section, slen) || e->name[slen] != '.' || strncmp(e->name + slen + 1, sub, sublen) ||
		    e->name[slen + 1 + sublen] != '.' || strchr(var, '.'))
			continue;
		for (int i = 0; known[i]; i++)
			ok |= !strcmp(var, known[i]);
		if (!ok) {
			strata_buf fix = STRATA_BUF_INIT;
			strata_buf_printf(&fix, _("a %s section knows"), section);
			for (int i = 0; known[i]; i++)
				strata_buf_printf(&fix, "%s %s", i ? "," : "", known[i]);
			strata_buf_puts(&fix, _(": correct the line or delete it"));
			problem(c, section, sub, var, fix.ptr ? fix.ptr : "", _("%s '%s': unknown setting '%s'"), section, sub, var);
			strata_buf_dispose(&fix);
		}
	}
	git_config_iterator_free(it);
	git_error_clear();
}

/* A "retired" item must be a key, a "revoked" one a fingerprint. */
static int timed_ok(const char *item, int64_t t, void *payload)
{
	strata_pubkey pk;
	(void)t;
	(void)payload;
	if (!strncmp(item, "SHA256:", 7) && strlen(item) == 50)
		return 0;
	if (strata_sign_pubkey_parse(&pk, item) < 0)
		return strata_error_set("'%s' is neither a key nor a SHA256 fingerprint", item);
	return 0;
}

static void check_peer(struct check *c, const char *name, strata_pubkey *keys, char **owners, size_t *nkeys)
{
	strata_buf v = STRATA_BUF_INIT, tier = STRATA_BUF_INIT, fix = STRATA_BUF_INIT;
	strata_pubkey key;
	int has_tier, has_policy, has_dir;
	const char *direction = NULL;

	if (!strata_name_node_valid(name)) {
		problem(c, "peer", name, NULL, _("peer names use a-z, 0-9 and '-': rename the section"),
			_("peer '%s': invalid name"), name);
		goto done;
	}
	check_vars(c, "peer", name, peer_vars);
	if (strata_peers_get(&v, c->n, name, "key") < 0) {
		strata_buf_printf(&fix, _("add its key: strata peer remove %s, then strata peer add %s --key FILE ..."), name, name);
		problem(c, "peer", name, "key", fix.ptr, _("peer '%s' has no key: nothing it sends can be accepted"), name);
	} else if (strata_sign_pubkey_parse(&key, v.ptr) < 0) {
		problem(c, "peer", name, "key", _("copy the line of the peer's keys/node.pub again"),
			_("peer '%s': key does not parse (%s)"), name, strata_error_last());
	} else if (strata_sign_pubkey_equal(&key, &c->n->pub)) {
		problem(c, "peer", name, "key", _("pin the peer's own keys/node.pub, not this node's"),
			_("peer '%s': key is this node's own key"), name);
	} else {
		for (size_t i = 0; i < *nkeys; i++)
			if (strata_sign_pubkey_equal(&keys[i], &key)) {
				problem(c, "peer", name, "key", _("each peer has its own key: pin the right one"),
					_("peer '%s': same key as peer '%s'"), name, owners[i]);
				break;
			}
		keys[*nkeys] = key;
		owners[(*nkeys)++] = (char *)name;
	}
	strata_buf_clear(&v);
	if ((has_tier = strata_peers_get(&tier, c->n, name, "tier") == 0) == 0)
		problem(c, "peer", name, "tier", "add 'tier = community|street|district|province|department'",
			_("peer '%s' has no tier"), name);
	else if (!strata_name_tier_valid(tier.ptr))
		problem(c, "peer", name, "tier", _("community, street, district, province or department"),
			_("peer '%s': unknown tier '%s'"), name, tier.ptr);
	has_policy = strata_peers_get(&v, c->n, name, "policy") == 0;
	strata_buf_clear(&v);
	if ((has_dir = strata_peers_get(&v, c->n, name, "direction") == 0)) {
		if (!direction_valid(v.ptr)) {
			strata_buf_clear(&fix);
			strata_buf_printf(&fix, "strata peer set %s --direction push|pull|both", name);
			problem(c, "peer", name, "direction", fix.ptr, _("peer '%s': direction '%s' is not push, pull or both"),
				name, v.ptr);
		} else {
			direction = v.ptr;
		}
	} else if (has_tier && strata_name_tier_valid(tier.ptr) &&
		   !(direction = strata_peers_default_direction(c->n->tier, tier.ptr))) {
		strata_buf_clear(&fix);
		strata_buf_printf(&fix, "strata peer set %s --direction push|pull|both", name);
		problem(c, "peer", name, NULL, fix.ptr, _("peer '%s' has no direction, and its tier (%s) is not above or "
			"below this node's (%s)"), name, tier.ptr, c->n->tier);
	}
	if (direction && strcmp(direction, "pull") && !has_policy) {
		strata_buf_clear(&fix);
		strata_buf_printf(&fix, _("strata peer set %s --policy POLICY, or --direction pull if it only sends here"), name);
		problem(c, "peer", name, has_dir ? "direction" : NULL, fix.ptr,
			_("peer '%s' is sent to (direction %s) but has no policy"), name, direction);
	}
	for (int k = 0; k < 2; k++) {
		strata_buf_clear(&v);
		if (strata_peers_get(&v, c->n, name, k ? "revoked" : "retired") == 0 &&
		    strata_peers_timed_parse(v.ptr, k ? "after" : "before", timed_ok, NULL) < 0)
			problem(c, "peer", name, k ? "revoked" : "retired", k ? _("written by 'strata key revoke': restore it from a backup of node.conf") :
				_("written when the peer rotated its key: restore it from a backup of node.conf"),
				"peer '%s': %s", name, strata_error_last());
	}
	strata_buf_clear(&v);
	if (strata_peers_get(&v, c->n, name, "url") == 0 && strncmp(v.ptr, "https://", 8)) {
		strata_buf_clear(&fix);
		strata_buf_printf(&fix, "strata peer set %s --url https://HOST:PORT", name);
		problem(c, "peer", name, "url", fix.ptr, _("peer '%s': url '%s' is not an https:// address"), name, v.ptr);
	}
	strata_buf_clear(&v);
	if (strata_peers_get(&v, c->n, name, "attributes") == 0 && strata_peers_attributes_check(v.ptr) < 0) {
		strata_buf_clear(&fix);
		strata_buf_printf(&fix, "strata peer set %s --attr NAME=VALUE ...", name);
		problem(c, "peer", name, "attributes", fix.ptr, "peer '%s': %s", name, strata_error_last());
	}
	strata_buf_clear(&v);
	if (strata_peers_get(&v, c->n, name, "maxage") == 0) {
		int64_t age;
		if (strata_time_duration(&age, v.ptr) < 0) {
			strata_buf_clear(&fix);
			strata_buf_printf(&fix, "strata peer set %s --max-age 7d", name);
			problem(c, "peer", name, "maxage", fix.ptr, _("peer '%s': maxage '%s' is not a duration like 7d, 48h "
								  "or 90m"), name, v.ptr);
		}
	}
done:
	strata_error_clear();
	strata_buf_dispose(&v);
	strata_buf_dispose(&tier);
	strata_buf_dispose(&fix);
}

int strata_peers_check(strata_node *n, strata_problem_cb cb, void *payload)
{
	static const char *const signer_vars[] = { "key", NULL };
	struct check c = { n, NULL, NULL, cb, payload, 0 };
	strata_buf text = STRATA_BUF_INIT;
	char **peers = NULL, **signers = NULL, **owners = NULL;
	size_t npeers = 0, nsigners = 0, nkeys = 0;
	strata_pubkey *keys = NULL;
	char *path = strata_fs_path_join(n->path, "node.conf");
	int error;

	if (!path)
		return STRATA_ERROR;
	c.path = path;
	if (strata_fs_read(&text, path, (size_t)1 << 20) == 0)
		c.text = text.ptr;
	strata_error_clear();
	if ((error = sections(&peers, &npeers, n, "peer")) < 0 || (error = sections(&signers, &nsigners, n, "signer")) < 0)
		goto done;
	if (npeers && (!(keys = calloc(npeers, sizeof(*keys))) || !(owners = calloc(npeers, sizeof(*owners))))) {
		error = strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; i < npeers; i++)
		check_peer(&c, peers[i], keys, owners, &nkeys);
	for (size_t i = 0; i < nsigners; i++) {
		strata_buf v = STRATA_BUF_INIT;
		strata_pubkey key;
		check_vars(&c, "signer", signers[i], signer_vars);
		if (conf_get(&v, n, "signer", signers[i], "key") < 0)
			problem(&c, "signer", signers[i], "key", _("add 'key = ssh-ed25519 ...', or delete the section"),
				_("signer '%s' has no key"), signers[i]);
		else if (strata_sign_pubkey_parse(&key, v.ptr) < 0)
			problem(&c, "signer", signers[i], "key", _("copy the signer's public key line again"),
				_("signer '%s': key does not parse (%s)"), signers[i], strata_error_last());
		strata_error_clear();
		strata_buf_dispose(&v);
	}
	error = c.problems;
done:
	strata_peers_list_free(peers);
	strata_peers_list_free(signers);
	free(keys);
	free(owners);
	free(path);
	strata_buf_dispose(&text);
	return error;
}

/* --- keys/allowed_signers, for stock git --- */

static void signers_time(char *out, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y%m%d%H%M%SZ", &tm);
}

int strata_peers_write_allowed_signers(strata_node *n)
{
	char *path = strata_fs_path_join(n->path, "keys/allowed_signers");
	int error = path ? strata_peers_write_allowed_signers_to(n, path) : STRATA_ERROR;
	free(path);
	return error;
}

int strata_peers_write_allowed_signers_to(strata_node *n, const char *path)
{
	strata_buf text = STRATA_BUF_INIT, key = STRATA_BUF_INIT;
	char when[32];
	int error;

	forget_trusted(n);
	if ((error = load_trusted(n)) < 0 || (error = strata_sign_pubkey_format(&key, &n->pub)) < 0 ||
	    (error = strata_buf_printf(&text, "%s namespaces=\"git\" %s\n", n->name, key.ptr)) < 0)
		goto done;
	for (size_t i = 0; i < n->ntrusted; i++) {
		const struct strata_trusted *x = &n->trusted[i];
		int64_t until = x->before && (!x->after || x->before < x->after) ? x->before : x->after;
		strata_buf_clear(&key);
		if ((error = strata_sign_pubkey_format(&key, &x->key)) < 0)
			goto done;
		if (until) {
			signers_time(when, sizeof(when), until);
			error = strata_buf_printf(&text, "%s namespaces=\"git\",valid-before=\"%s\" %s\n", x->name, when, key.ptr);
		} else {
			error = strata_buf_printf(&text, "%s namespaces=\"git\" %s\n", x->name, key.ptr);
		}
		if (error < 0)
			goto done;
	}
	error = strata_fs_write_atomic(path, text.ptr, text.len, 0644);
done:
	strata_buf_dispose(&text);
	strata_buf_dispose(&key);
	return error;
}
