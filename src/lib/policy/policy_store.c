/*
 * policy_store.c - committed policies and their secrets.
 *
 * refs/strata/policies is a signed history whose tree holds one
 * <name>.yaml per policy.  Views use only committed policies, named by
 * blob id and version in their trailers (DESIGN.md guarantee 3).
 * Secrets live in NODE/secrets/<name>.key (64 hex digits, mode 0600) and
 * are never committed or sent.
 */
#include "strata/policy/policy_store.h"
#include "strata/base/enc.h"
#include "strata/base/fs.h"
#include "strata/data/dataset.h"
#include "strata/node/audit.h"
#include "strata/node/change.h"
#include "strata/node/commit.h"
#include "strata/node/journal.h"
#include "strata/node/refs.h"
#include "strata/node/peers.h"
#include "strata/base/digest.h"
#include "strata/policy/redact.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int secret_path(strata_buf *out, strata_node *n, const char *name)
{
	return strata_buf_printf(out, "%s/secrets/%s.key", strata_node_path(n), name);
}

int strata_policy_store_secret(unsigned char *secret, strata_node *n, const char *name)
{
	strata_buf path = STRATA_BUF_INIT, hex = STRATA_BUF_INIT;
	int error;

	if ((error = secret_path(&path, n, name)) < 0)
		goto done;
	error = strata_fs_read(&hex, path.ptr, 256);
	if (error == STRATA_ENOTFOUND) {
		error = strata_error_setc(STRATA_ENOTFOUND,
			"missing secret key for policy '%s' (%s); it is created by 'strata policy commit', "
			"and a lost one cannot be recreated: pseudonyms would change", name, path.ptr);
	} else if (!error && (hex.len < 2 * STRATA_SECRET_LEN ||
			      strata_enc_unhex(secret, hex.ptr, STRATA_SECRET_LEN) < 0)) {
		error = strata_error_set("'%s' is not a 64-digit hex secret", path.ptr);
	}
done:
	strata_buf_dispose_secret(&hex);
	strata_buf_dispose(&path);
	return error;
}

/*
 * The policy's secret, made with its first commit.  A policy committed
 * before whose secret is gone gets none behind the officer's back: a new
 * one would change every pseudonym and leave its views unauditable.
 */
/*
 * The secret's short public id, HMAC-SHA256(secret, "strata secret id")
 * cut to 16 hex digits: says which secret, reveals nothing of it.
 */
int strata_policy_store_secret_id_of(char out[STRATA_SECRET_ID_LEN + 1], const unsigned char *secret)
{
	strata_hmac_key k;
	unsigned char mac[32];
	char hex[65];
	int error;

	if ((error = strata_hmac_key_init(&k, secret, STRATA_SECRET_LEN)) < 0)
		return error;
	error = strata_hmac_sha256(mac, &k, "strata secret id", 16);
	strata_hmac_key_dispose(&k);
	if (error < 0)
		return error;
	strata_enc_hex(hex, mac, sizeof(mac));
	memcpy(out, hex, STRATA_SECRET_ID_LEN);
	out[STRATA_SECRET_ID_LEN] = '\0';
	return 0;
}

int strata_policy_store_secret_id(char out[STRATA_SECRET_ID_LEN + 1], strata_node *n, const char *name)
{
	unsigned char secret[STRATA_SECRET_LEN];
	int error;

	if ((error = strata_policy_store_secret(secret, n, name)) == 0)
		error = strata_policy_store_secret_id_of(out, secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	return error;
}

static int create_secret(strata_node *n, const char *name, int committed_before, int *created)
{
	unsigned char raw[STRATA_SECRET_LEN];
	char hex[2 * STRATA_SECRET_LEN + 2];
	strata_buf path = STRATA_BUF_INIT;
	int error;

	*created = 0;
	if ((error = secret_path(&path, n, name)) < 0)
		return error;
	if (access(path.ptr, F_OK) == 0) {
		strata_buf_dispose(&path);
		return 0;
	}
	if (committed_before) {
		error = strata_error_setc(STRATA_ENOTFOUND, "policy '%s' was committed before, but its secret %s is missing: "
					  "a new one would change every pseudonym its views hold.  Restore it with "
					  "'strata policy secret import %s BACKUP', or make a new one deliberately with "
					  "'strata policy secret rotate %s'", name, path.ptr, name, name);
		strata_buf_dispose(&path);
		return error;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		strata_buf_dispose(&path);
		return strata_error_ssl("no randomness for the policy secret");
	}
	strata_enc_hex(hex, raw, sizeof(raw));
	strcat(hex, "\n");
	error = strata_fs_write_atomic(path.ptr, hex, strlen(hex), 0600);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(hex, sizeof(hex));
	strata_buf_dispose(&path);
	if (!error)
		*created = 1;
	return error;
}

static int policies_tree(git_commit **commit, git_tree **tree, strata_node *n)
{
	git_oid id;
	int rc;

	*commit = NULL;
	*tree = NULL;
	rc = git_reference_name_to_id(&id, strata_node_repo(n), STRATA_REF_POLICIES);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0 || git_commit_lookup(commit, strata_node_repo(n), &id) < 0 || git_commit_tree(tree, *commit) < 0)
		return strata_error_git("cannot read refs/strata/policies");
	return 0;
}

int strata_policy_store_load(strata_policy **out, git_oid *blob_id, strata_node *n, const char *name)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_blob *blob = NULL;
	strata_buf file = STRATA_BUF_INIT;
	const git_tree_entry *e;
	int error;

	*out = NULL;
	if ((error = policies_tree(&c, &t, n)) < 0 || (error = strata_buf_printf(&file, "%s.yaml", name)) < 0)
		goto done;
	if (!t || (e = git_tree_entry_byname(t, file.ptr)) == NULL) {
		error = strata_error_setc(STRATA_ENOTFOUND, "no committed policy '%s' on node '%s'", name, strata_node_name(n));
		goto done;
	}
	if (git_blob_lookup(&blob, strata_node_repo(n), git_tree_entry_id(e)) < 0) {
		error = strata_error_git("cannot read policy");
		goto done;
	}
	if (blob_id)
		git_oid_cpy(blob_id, git_tree_entry_id(e));
	error = strata_policy_parse(out, file.ptr, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
done:
	git_blob_free(blob);
	git_tree_free(t);
	git_commit_free(c);
	strata_buf_dispose(&file);
	return error;
}

/* Checks each dataset the policy names that this node holds. */
static int check_against_node(const strata_policy *p, strata_node *n)
{
	for (size_t i = 0; i < p->ndatasets; i++) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		strata_schema *s = NULL;
		int error = strata_dataset_resolve(&c, n, p->datasets[i].name, NULL);
		if (error == STRATA_ENOTFOUND) {
			strata_error_clear();
			continue;
		}
		if (!error && git_commit_tree(&t, c) < 0)
			error = strata_error_git("cannot read dataset");
		if (!error)
			error = strata_schema_load(&s, strata_node_repo(n), t);
		if (!error)
			error = strata_policy_check_schema(p, &p->datasets[i], s, 0);
		strata_schema_free(s);
		git_tree_free(t);
		git_commit_free(c);
		if (error)
			return error;
	}
	return 0;
}

int strata_policy_store_commit(strata_node *n, const char *path, strata_policy_commit_result *res)
{
	strata_buf text = STRATA_BUF_INIT, file = STRATA_BUF_INIT, msg = STRATA_BUF_INIT;
	strata_policy *p = NULL, *old = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL, *new_tree = NULL;
	git_treebuilder *tb = NULL;
	const git_tree_entry *e;
	git_oid tree_id;
	const char *base = strrchr(path, '/');
	char hex[GIT_OID_HEXSZ + 1], sid[STRATA_SECRET_ID_LEN + 1];
	int error = STRATA_ERROR;

	memset(res, 0, sizeof(*res));
	if ((error = strata_journal_lock(n)) < 0 || (error = strata_node_load_key(n)) < 0)
		goto done;
	if ((error = strata_fs_read(&text, path, 1 << 20)) < 0 ||
	    (error = strata_policy_parse(&p, base ? base + 1 : path, text.ptr, text.len)) < 0 ||
	    (error = check_against_node(p, n)) < 0 ||
	    (error = policies_tree(&parent, &tree, n)) < 0 ||
	    (error = strata_buf_printf(&file, "%s.yaml", p->name)) < 0)
		goto done;
	/* only the id for now: nothing is written until every check has passed */
	if (git_odb_hash(&res->blob, text.ptr, text.len, GIT_OBJECT_BLOB) < 0) {
		error = strata_error_git("cannot hash policy");
		goto done;
	}
	if (tree && (e = git_tree_entry_byname(tree, file.ptr)) != NULL) {
		git_blob *ob = NULL;
		if (git_oid_equal(git_tree_entry_id(e), &res->blob)) {
			res->unchanged = 1;
			git_oid_cpy(&res->commit, git_commit_id(parent));
			error = create_secret(n, p->name, 1, &res->secret_created);
			goto done;
		}
		if (git_blob_lookup(&ob, strata_node_repo(n), git_tree_entry_id(e)) < 0) {
			error = strata_error_git("cannot read committed policy");
			goto done;
		}
		error = strata_policy_parse(&old, file.ptr, git_blob_rawcontent(ob), (size_t)git_blob_rawsize(ob));
		git_blob_free(ob);
		if (error < 0)
			goto done;
		error = STRATA_ERROR;
		if (p->version <= old->version) {
			error = strata_error_set("'%s': policy '%s' version %ld is already committed; raise 'version' to commit a change",
					 path, p->name, old->version);
			goto done;
		}
	}
	if (git_blob_create_from_buffer(&res->blob, strata_node_repo(n), text.ptr, text.len) < 0) {
		error = strata_error_git("cannot store policy");
		goto done;
	}
	if (git_treebuilder_new(&tb, strata_node_repo(n), tree) < 0 ||
	    git_treebuilder_insert(NULL, tb, file.ptr, &res->blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree_id, tb) < 0 ||
	    git_tree_lookup(&new_tree, strata_node_repo(n), &tree_id) < 0) {
		error = strata_error_git("cannot build policies tree");
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), &res->blob);
	if ((error = strata_buf_printf(&msg, "policy %s version %ld\n\n%s\n\n"
			      "Strata-Policy: %s\nStrata-Policy-Version: %ld\nStrata-Policy-Blob: %s\n"
			      "Strata-Node: %s\n", p->name, p->version, p->purpose,
			      p->name, p->version, hex, strata_node_name(n))) < 0)
		goto done;
	/* the secret first: a committed policy must never lack one */
	if ((error = create_secret(n, p->name, old != NULL, &res->secret_created)) < 0 ||
	    (error = strata_policy_store_secret_id(sid, n, p->name)) < 0 ||
	    (error = strata_commit_create(&res->commit, n, new_tree, parent, msg.ptr)) < 0)
		goto done;
	/* the ref and its audit event together, or neither (change.h) */
	{
		char chex[GIT_OID_HEXSZ + 1];
		strata_journal_ref jr = { STRATA_REF_POLICIES, parent != NULL, { { 0 } }, res->commit };
		strata_change ch = { "policy-commit", path, &jr, 1, NULL, NULL, NULL };
		if (parent)
			jr.old = *git_commit_id(parent);
		strata_buf_clear(&msg);
		git_oid_tostr(chex, sizeof(chex), &res->commit);
		strata_buf_clear(&file);
		if ((error = strata_buf_printf(&msg, "Strata-Policy-Name: %s\nStrata-Policy-Version: %ld\nStrata-Policy: %s\n"
					       "Strata-Purpose: %s\nStrata-Commit: %s\nStrata-Secret-Id: %s\n", p->name,
					       p->version, hex, p->purpose, chex, sid)) < 0 ||
		    (error = strata_buf_printf(&file, "policy %s version %ld committed", p->name, p->version)) < 0)
			goto done;
		ch.event = file.ptr;
		ch.trailers = msg.ptr;
		if ((error = strata_change_ref(n, &ch, "strata policy commit")) < 0)
			goto done;
	}
	error = 0;
done:
	git_treebuilder_free(tb);
	git_tree_free(new_tree);
	git_tree_free(tree);
	git_commit_free(parent);
	strata_policy_free(p);
	strata_policy_free(old);
	strata_buf_dispose(&text);
	strata_buf_dispose(&file);
	strata_buf_dispose(&msg);
	return error;
}

int strata_policy_store_versions(strata_node *n, const char *name, strata_policy_version_cb cb, void *payload)
{
	git_commit *c = NULL, *next = NULL;
	git_tree *t = NULL;
	strata_buf file = STRATA_BUF_INIT;
	git_oid last = { { 0 } };
	int error, count = 0;

	if ((error = policies_tree(&c, &t, n)) < 0 || (error = strata_buf_printf(&file, "%s.yaml", name)) < 0)
		goto done;
	while (c && !error) {
		const git_tree_entry *e = t ? git_tree_entry_byname(t, file.ptr) : NULL;
		/* each commit that set this policy's file: where the blob differs from the commit's parent */
		git_tree *pt = NULL;
		const git_tree_entry *pe = NULL;
		next = NULL;
		if (git_commit_parentcount(c) > 0 &&
		    (git_commit_parent(&next, c, 0) < 0 || git_commit_tree(&pt, next) < 0)) {
			error = strata_error_git("cannot read the policies' history");
			break;
		}
		if (pt)
			pe = git_tree_entry_byname(pt, file.ptr);
		if (e && (!pe || !git_oid_equal(git_tree_entry_id(e), git_tree_entry_id(pe))) &&
		    !git_oid_equal(git_tree_entry_id(e), &last)) {
			git_blob *b = NULL;
			strata_policy *p = NULL;
			strata_policy_version v;
			if (git_blob_lookup(&b, strata_node_repo(n), git_tree_entry_id(e)) < 0) {
				git_tree_free(pt);
				error = strata_error_git("cannot read a committed policy");
				break;
			}
			error = strata_policy_parse(&p, file.ptr, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
			if (!error) {
				v.policy = p;
				v.text = git_blob_rawcontent(b);
				v.len = (size_t)git_blob_rawsize(b);
				v.blob = *git_tree_entry_id(e);
				v.commit = *git_commit_id(c);
				v.time = (int64_t)git_commit_time(c);
				last = v.blob;
				count++;
				error = cb ? cb(&v, payload) : 0;
			}
			strata_policy_free(p);
			git_blob_free(b);
		}
		git_tree_free(t);
		t = pt;
		git_commit_free(c);
		c = next;
	}
	if (!error && count == 0)
		error = strata_error_setc(STRATA_ENOTFOUND, "no committed policy '%s' on node '%s'", name, strata_node_name(n));
done:
	git_tree_free(t);
	git_commit_free(c);
	strata_buf_dispose(&file);
	return error < 0 ? error : error > 0 ? error : count;
}

typedef struct {
	long version;
	strata_policy *found;
	git_oid blob;
} version_ctx;

static int want_version(const strata_policy_version *v, void *payload)
{
	version_ctx *x = payload;
	if (v->policy->version != x->version)
		return 0;
	x->blob = v->blob;
	/* a copy that outlives the walk */
	if (strata_policy_parse(&x->found, v->policy->file, v->text, v->len) < 0)
		return STRATA_ERROR;
	return 1;
}

int strata_policy_store_load_version(strata_policy **out, git_oid *blob, strata_node *n, const char *name, long version)
{
	version_ctx x = { version, NULL, { { 0 } } };
	int rc;

	*out = NULL;
	if (version < 0)
		return strata_policy_store_load(out, blob, n, name);
	if ((rc = strata_policy_store_versions(n, name, want_version, &x)) < 0)
		return rc;
	if (!x.found)
		return strata_error_setc(STRATA_ENOTFOUND, "policy '%s' was never committed at version %ld on node '%s'",
					 name, version, strata_node_name(n));
	if (blob)
		*blob = x.blob;
	*out = x.found;
	return 0;
}

int strata_policy_store_list(char ***names, size_t *count, strata_node *n)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	char **l = NULL;
	size_t k = 0;
	int error;

	*names = NULL;
	*count = 0;
	if ((error = policies_tree(&c, &t, n)) < 0)
		return error;
	if ((l = calloc(t ? git_tree_entrycount(t) + 1 : 1, sizeof(*l))) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; t && i < git_tree_entrycount(t); i++) {
		const char *f = git_tree_entry_name(git_tree_entry_byindex(t, i));
		size_t len = strlen(f);
		if (len > 5 && !strcmp(f + len - 5, ".yaml") && (l[k] = strndup(f, len - 5)) != NULL)
			k++;
	}
	*names = l;
	*count = k;
	l = NULL;
done:
	free(l);
	git_tree_free(t);
	git_commit_free(c);
	return error;
}

int strata_policy_store_check(strata_node *n, strata_problem_cb cb, void *payload)
{
	char **peers = NULL, **names = NULL;
	size_t npeers = 0, nnames = 0;
	int problems = 0, error;
	char where[512], what[512], fix[512];

	if ((error = strata_peers_list(&peers, &npeers, n)) < 0)
		return error;
	for (size_t i = 0; i < npeers; i++) {
		strata_buf pol = STRATA_BUF_INIT, tier = STRATA_BUF_INIT;
		strata_policy *p = NULL;
		if (strata_peers_get(&pol, n, peers[i], "policy") == 0 && strata_peers_get(&tier, n, peers[i], "tier") == 0) {
			snprintf(where, sizeof(where), "%s/node.conf", strata_node_path(n));
			if (strata_policy_store_load(&p, NULL, n, pol.ptr) < 0) {
				snprintf(what, sizeof(what), "peer '%s': policy '%s' is not committed: nothing can be built for it",
					 peers[i], pol.ptr);
				snprintf(fix, sizeof(fix), "strata policy commit FILE (of policy '%s'), or strata peer set %s --policy P",
					 pol.ptr, peers[i]);
				problems++;
				if (cb)
					cb(where, what, fix, payload);
			} else if (!strata_policy_applies(p, peers[i], tier.ptr)) {
				snprintf(what, sizeof(what), "peer '%s': policy '%s' names neither it nor its tier (%s) as a recipient",
					 peers[i], pol.ptr, tier.ptr);
				snprintf(fix, sizeof(fix), "add it to the policy's recipients and commit it, or strata peer set %s --policy P",
					 peers[i]);
				problems++;
				if (cb)
					cb(where, what, fix, payload);
			}
		}
		strata_error_clear();
		strata_policy_free(p);
		strata_buf_dispose(&pol);
		strata_buf_dispose(&tier);
	}
	strata_peers_list_free(peers);
	if ((error = strata_policy_store_list(&names, &nnames, n)) < 0)
		return error;
	for (size_t i = 0; i < nnames; i++) {
		unsigned char secret[STRATA_SECRET_LEN];
		strata_buf path = STRATA_BUF_INIT;
		struct stat st;
		secret_path(&path, n, names[i]);
		snprintf(where, sizeof(where), "%s", path.ptr ? path.ptr : "secrets");
		if ((error = strata_policy_store_secret(secret, n, names[i])) < 0) {
			snprintf(what, sizeof(what), "policy '%s': %s", names[i],
				 error == STRATA_ENOTFOUND ? "its secret is missing: its views cannot be built or audited"
							   : strata_error_last());
			snprintf(fix, sizeof(fix), "strata policy secret import %s BACKUP (from 'policy secret export'); if no "
				 "backup exists, 'strata policy secret rotate %s' (every pseudonym changes)", names[i], names[i]);
			problems++;
			if (cb)
				cb(where, what, fix, payload);
		} else if (stat(path.ptr, &st) == 0 && (st.st_mode & 077)) {
			snprintf(fix, sizeof(fix), "chmod 600 %s", path.ptr);
			problems++;
			if (cb)
				cb(where, "readable by other users", fix, payload);
		}
		OPENSSL_cleanse(secret, sizeof(secret));
		strata_error_clear();
		strata_buf_dispose(&path);
		free(names[i]);
	}
	free(names);
	return problems;
}
