/*
 * peers.c - see peers.h.
 *
 * node.conf is read with libgit2's config API.  Names are matched by hand,
 * never with a glob iterator: libgit2 1.5's regex glob leaks pcre2 match
 * data on every call (LeakSanitizer).
 */
#include "strata/node/peers.h"
#include "strata/base/array.h"
#include "strata/format/name.h"
#include "node_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};

/*
 * peer.<name>.key and signer.<name>.key, once.  Names are matched by hand:
 * libgit2's regex glob leaks pcre2 match data on every call.
 */
static int load_trusted(strata_node *n)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	size_t alloc = 0;
	int error = 0;

	if (git_config_iterator_new(&it, n->cfg) < 0)
		return strata_error_git("cannot read node.conf");
	while (!error && git_config_next(&e, it) == 0) {
		size_t len = strlen(e->name);
		const char *dot1 = strchr(e->name, '.'), *dot2 = strrchr(e->name, '.');
		strata_pubkey key;
		if ((strncmp(e->name, "peer.", 5) && strncmp(e->name, "signer.", 7)) ||
		    len < 4 || strcmp(e->name + len - 4, ".key") || dot1 == dot2 ||
		    strata_sign_pubkey_parse(&key, e->value) < 0)
			continue;
		if ((error = strata_array_grow(&n->trusted, &alloc, n->ntrusted + 1, 8)) < 0)
			break;
		n->trusted[n->ntrusted].key = key;
		snprintf(n->trusted[n->ntrusted].name, sizeof(n->trusted[n->ntrusted].name), "%.*s",
			 (int)(dot2 - dot1 - 1), dot1 + 1);
		n->ntrusted++;
	}
	git_config_iterator_free(it);
	strata_error_clear();
	n->trusted_loaded = !error;
	return error;
}

int strata_peers_trusted(strata_node *n, const strata_pubkey *pk, char *name, size_t namesz)
{
	if (strata_sign_pubkey_equal(pk, &n->pub)) {
		snprintf(name, namesz, "%s", n->name);
		return 1;
	}
	if (!n->trusted_loaded && load_trusted(n) < 0)
		return 0;
	for (size_t i = 0; i < n->ntrusted; i++)
		if (strata_sign_pubkey_equal(&n->trusted[i].key, pk)) {
			snprintf(name, namesz, "%s", n->trusted[i].name);
			return 1;
		}
	return 0;
}

int strata_peers_get(strata_buf *out, strata_node *n, const char *peer, const char *var)
{
	strata_buf name = STRATA_BUF_INIT;
	git_config_entry *e = NULL;
	int error;

	if ((error = strata_buf_printf(&name, "peer.%s.%s", peer, var)) == 0) {
		if (git_config_get_entry(&e, n->cfg, name.ptr) < 0) {
			git_error_clear();
			error = strata_error_setc(STRATA_ENOTFOUND, "peer '%s' has no %s in node.conf", peer, var);
		} else {
			error = strata_buf_puts(out, e->value);
		}
	}
	git_config_entry_free(e);
	strata_buf_dispose(&name);
	return error;
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

int strata_peers_add(strata_node *n, const strata_peer_spec *p)
{
	strata_buf line = STRATA_BUF_INIT;
	char other[64];
	int error;

	if (!strata_node_locked(n))
		return strata_error_set("peer add: the node's write lock is not held");
	if (!strata_name_node_valid(p->name))
		return strata_error_set("invalid peer name '%s' (use a-z, 0-9 and '-')", p->name);
	if (!strcmp(p->name, n->name))
		return strata_error_set("'%s' is this node's own name", p->name);
	if (!strata_name_tier_valid(p->tier))
		return strata_error_set("unknown tier '%s'", p->tier);
	if (strcmp(p->direction, "push") && strcmp(p->direction, "pull") && strcmp(p->direction, "both"))
		return strata_error_set("--direction must be push, pull or both");
	if (!p->policy && strcmp(p->direction, "pull"))
		return strata_error_set("--policy is required unless --direction pull: nothing is sent without one");
	if (p->url && strncmp(p->url, "https://", 8))
		return strata_error_set("--url must be an https:// address");
	if (strata_sign_pubkey_equal(&p->key, &n->pub))
		return strata_error_set("--key is this node's own key");
	if (strata_peers_trusted(n, &p->key, other, sizeof(other)) && strcmp(other, p->name))
		return strata_error_set("that key already belongs to '%s'", other);
	if ((error = strata_sign_pubkey_format(&line, &p->key)) == 0 &&
	    (error = set(n->cfg, p->name, "key", line.ptr)) == 0 &&
	    (error = set(n->cfg, p->name, "tier", p->tier)) == 0 &&
	    (error = p->policy ? set(n->cfg, p->name, "policy", p->policy) : 0) == 0 &&
	    (error = set(n->cfg, p->name, "direction", p->direction)) == 0)
		error = p->url ? set(n->cfg, p->name, "url", p->url) : 0;
	/* the keys are read again at the next strata_peers_trusted */
	free(n->trusted);
	n->trusted = NULL;
	n->ntrusted = 0;
	n->trusted_loaded = 0;
	strata_buf_dispose(&line);
	return error;
}
