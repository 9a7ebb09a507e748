/*
 * check.c - see check.h.
 */
#include "strata/node/check.h"
#include "strata/base/i18n.h"
#include "strata/node/audit.h"
#include "strata/node/journal.h"
#include "strata/node/peers.h"
#include "strata/node/refs.h"
#include "strata/node/keys.h"
#include "strata/base/fs.h"
#include "node_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct counted {
	strata_problem_cb cb;
	void *payload;
	int n;
	const char *where;	/* for the audit chain's problems */
};

static void count(const char *where, const char *problem, const char *fix, void *payload)
{
	struct counted *c = payload;
	c->n++;
	if (c->cb)
		c->cb(where, problem, fix, c->payload);
}

static void audit_problem(const char *problem, void *payload)
{
	struct counted *c = payload;
	count(c->where, problem, _("the log was changed outside strata: restore the node from a backup, "
	      "and ask who could write to it"), c);
}

/* A file that must exist and be readable by its owner alone. */
static void private_file(struct counted *c, strata_node *n, const char *rel, int dir, const char *what)
{
	char *p = strata_fs_path_join(n->path, rel), fix[512];
	struct stat st;

	if (!p)
		return;
	if (stat(p, &st) < 0) {
		if (!dir)
			count(p, "missing", what, c);
	} else if (st.st_mode & 077) {
		snprintf(fix, sizeof(fix), "chmod %s %s", dir ? "700" : "600", p);
		count(p, _("readable by other users"), fix, c);
	}
	free(p);
}

static void check_keys(struct counted *c, strata_node *n)
{
	char *key = strata_fs_path_join(n->path, "keys/node.key"), *signers = strata_fs_path_join(n->path, "keys/allowed_signers");
	strata_buf text = STRATA_BUF_INIT, line = STRATA_BUF_INIT;

	struct stat st;
	int before = c->n;

	private_file(c, n, _("keys/node.key"), 0, _("restore keys/node.key from the node's backup: a node key cannot be re-made"));
	/* a key whose mode is wrong is said once, above */
	if (key && c->n == before && n->key == NULL && stat(key, &st) == 0 && strata_node_load_key(n) < 0)
		count(key, strata_error_last(), _("restore keys/node.key from the node's backup: a node key cannot be re-made"), c);
	private_file(c, n, "secrets", 1, NULL);
	if (signers && strata_fs_read(&text, signers, 1 << 20) < 0) {
		count(signers, strata_error_last(), _("write it again: NAME namespaces=\"git\" KEY, the line of keys/node.pub"), c);
	} else if (signers && strata_sign_pubkey_format(&line, &n->pub) == 0 && !strstr(text.ptr, line.ptr)) {
		count(signers, _("does not hold this node's key: stock git cannot verify its commits"),
		      _("add the line: NAME namespaces=\"git\" followed by keys/node.pub's key"), c);
	}
	strata_error_clear();
	strata_buf_dispose(&text);
	strata_buf_dispose(&line);
	free(key);
	free(signers);
}

struct rotations_seen {
	struct counted *c;
	const char *path;
	strata_rotation last;
	int n;
};

static int rotation_seen(const char *text, size_t len, void *payload)
{
	struct rotations_seen *r = payload;
	if (strata_rotation_parse(&r->last, text, len) < 0) {
		count(r->path, strata_error_last(), _("restore keys/ from the node's backup"), r->c);
		return 1;
	}
	r->n++;
	return 0;
}

/* keys/rotations: every statement verifies, and the last one names the key the node has. */
static void check_rotations(struct counted *c, strata_node *n)
{
	strata_buf text = STRATA_BUF_INIT;
	char *path = strata_fs_path_join(n->path, "keys/rotations");
	struct rotations_seen r = { c, path, { "", { { 0 } }, { { 0 } }, 0 }, 0 };

	if (path && strata_keys_rotations(&text, n) == 0 && text.len) {
		int rc = strata_rotation_foreach(text.ptr, text.len, rotation_seen, &r);
		if (rc < 0)
			count(path, strata_error_last(), _("restore keys/ from the node's backup"), c);
		else if (rc == 0 && r.n && !strata_sign_pubkey_equal(&r.last.new_key, &n->pub))
			count(path, _("the last rotation names another key than keys/node.pub"),
			      _("restore keys/ from the node's backup: peers follow the rotations to the key they name"), c);
	}
	strata_error_clear();
	strata_buf_dispose(&text);
	free(path);
}

int strata_node_check(strata_node *n, strata_problem_cb cb, void *payload)
{
	struct counted c = { cb, payload, 0, STRATA_REF_AUDIT };
	char op[64], what[256];
	size_t events = 0;
	int pending, rc;

	if ((rc = strata_peers_check(n, count, &c)) < 0)
		return rc;
	check_keys(&c, n);
	check_rotations(&c, n);
	if ((pending = strata_journal_pending(n, op, sizeof(op), what, sizeof(what))) < 0) {
		count("journal", strata_error_last(), _("the next command that writes settles it; if it cannot, "
		      "restore the node from a backup"), &c);
	} else if (pending) {
		char problem[400];
		snprintf(problem, sizeof(problem), _("a change (%s: %s) was interrupted"), op, what);
		count("journal", problem, _("the next command that writes settles it (undone, or completed if its audit "
		      "event is in): run 'strata view build' or any other writer"), &c);
	}
	strata_error_clear();
	{
		char cut[256];
		int owed = strata_journal_cut_owed(n, cut, sizeof(cut));
		if (owed > 0)
			count(STRATA_CUT_OWED, _("a history cut was interrupted, and what it cut may still be in the store "
			      "(reflogs, views, objects not yet pruned)"), _("run 'strata doctor --repair', or any command that "
			      "writes (it completes the cut first)"), &c);
		else if (owed < 0)
			count(STRATA_CUT_OWED, strata_error_last(), _("remove the file if no erasure was under way; else "
			      "'strata doctor --repair'"), &c);
		strata_error_clear();
	}
	if ((rc = strata_audit_check(n, pending > 0, &events, audit_problem, &c)) < 0) {
		count(STRATA_REF_AUDIT, strata_error_last(), _("restore the node from a backup"), &c);
		strata_error_clear();
	}
	return c.n;
}

struct first_problem {
	char text[1024];
	int count;
};

static void keep_first(const char *where, const char *problem, const char *fix, void *payload)
{
	struct first_problem *f = payload;
	if (f->count++ == 0)
		snprintf(f->text, sizeof(f->text), "%s: %s (fix: %s)", where, problem, fix);
}

int strata_node_open_checked(strata_node **out, const char *path)
{
	struct first_problem first = { "", 0 };
	strata_node *n = NULL;
	int error;

	*out = NULL;
	if ((error = strata_node_open(&n, path)) < 0)
		return error;
	if ((error = strata_peers_check(n, keep_first, &first)) != 0) {
		if (error > 0)
			error = strata_error_set("%s%s", first.text, first.count > 1 ? _("; 'strata doctor' lists every problem") : "");
		strata_node_free(n);
		return error;
	}
	*out = n;
	return 0;
}

int strata_node_reload(strata_node *n)
{
	struct first_problem first = { "", 0 };
	strata_buf conf = STRATA_BUF_INIT;
	git_config *cfg = NULL, *old = n->cfg;
	git_config_entry *name = NULL, *tier = NULL;
	int error;

	if ((error = strata_buf_printf(&conf, "%s/node.conf", n->path)) < 0)
		return error;
	if (git_config_open_ondisk(&cfg, conf.ptr) < 0) {
		error = strata_error_git("cannot read node.conf");
		goto done;
	}
	if (git_config_get_entry(&name, cfg, "node.name") < 0 || strcmp(name->value, n->name) ||
	    git_config_get_entry(&tier, cfg, "node.tier") < 0 || strcmp(tier->value, n->tier)) {
		git_error_clear();
		error = strata_error_set("'%s': node.name or node.tier changed: that takes a restart, not a reload", conf.ptr);
		goto done;
	}
	/* checked in place, and put back if it fails: a bad edit leaves the running node as it was */
	n->cfg = cfg;
	free(n->trusted);
	n->trusted = NULL;
	n->ntrusted = 0;
	n->trusted_loaded = 0;
	if ((error = strata_peers_check(n, keep_first, &first)) != 0) {
		n->cfg = old;
		if (error > 0)
			error = strata_error_set("%s", first.text);
		goto done;
	}
	git_config_free(old);
	cfg = NULL;
done:
	if (cfg && n->cfg != cfg)
		git_config_free(cfg);
	git_config_entry_free(name);
	git_config_entry_free(tier);
	strata_buf_dispose(&conf);
	return error;
}

