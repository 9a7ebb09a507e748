/*
 * policy_store.c - committed policies and their secrets.
 *
 * refs/strata/policies is a signed history whose tree holds one
 * <name>.yaml per policy.  Views use only committed policies, named by
 * blob id and version in their trailers (doc/design.md, guarantee 3).
 * Secrets live in NODE/secrets/<name>.key (64 hex digits, mode 0600) and
 * are never committed or sent.
 */
#include "strata/policy/policy_store.h"
#include "strata/node/officers.h"
#include "strata/base/i18n.h"
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
#include "strata/base/seal.h"
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
			"missing secret key for policy '%s' (%s): restore it from its backup with 'strata policy "
			"secret import %s FILE'; a new one ('strata policy secret rotate') would change every pseudonym",
			name, path.ptr, name);
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
			      p->name, p->version, hex, strata_node_name(n))) < 0 ||
	    (error = strata_officer_trailer(&msg, n)) < 0)
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
	int rc;
	version_ctx *x = payload;
	if (v->policy->version != x->version)
		return 0;
	x->blob = v->blob;
	/* a copy that outlives the walk */
	if ((rc = strata_policy_parse(&x->found, v->policy->file, v->text, v->len)) < 0)
		return rc;
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
				snprintf(what, sizeof(what), _("peer '%s': policy '%s' is not committed: nothing can be built for it"),
					 peers[i], pol.ptr);
				snprintf(fix, sizeof(fix), _("strata policy commit FILE (of policy '%s'), or strata peer set %s --policy P"),
					 pol.ptr, peers[i]);
				problems++;
				if (cb)
					cb(where, what, fix, payload);
			} else if (!strata_policy_applies(p, peers[i], tier.ptr)) {
				snprintf(what, sizeof(what), _("peer '%s': policy '%s' names neither it nor its tier (%s) as a recipient"),
					 peers[i], pol.ptr, tier.ptr);
				snprintf(fix, sizeof(fix), _("add it to the policy's recipients and commit it, or strata peer set %s --policy P"),
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
				 error == STRATA_ENOTFOUND ? _("its secret is missing: its views cannot be built or audited")
							   : strata_error_last());
			snprintf(fix, sizeof(fix), _("strata policy secret import %s BACKUP (from 'policy secret export'); if no "
				 "backup exists, 'strata policy secret rotate %s' (every pseudonym changes)"), names[i], names[i]);
			problems++;
			if (cb)
				cb(where, what, fix, payload);
		} else if (stat(path.ptr, &st) == 0 && (st.st_mode & 077)) {
			snprintf(fix, sizeof(fix), "chmod 600 %s", path.ptr);
			problems++;
			if (cb)
				cb(where, _("readable by other users"), fix, payload);
		}
		OPENSSL_cleanse(secret, sizeof(secret));
		strata_error_clear();
		strata_buf_dispose(&path);
		free(names[i]);
	}
	free(names);
	return problems;
}

/* --- secret backups --- */

/*
 * The backup file, text so that it prints and travels:
 *
 *     strata policy secret 1
 *     policy NAME
 *     node NODE
 *     id SECRETID
 *     scrypt LOG_N SALT
 *     nonce NONCE
 *     sealed BASE64
 *
 * Every line before "sealed" is the associated data: changing any of them
 * breaks the seal as surely as changing the sealed bytes.
 */
#define BACKUP_MAGIC "strata policy secret 1\n"

int strata_policy_store_secret_export(strata_buf *out, strata_node *n, const char *name, const char *pass)
{
	unsigned char secret[STRATA_SECRET_LEN], salt[STRATA_SEAL_SALT], nonce[STRATA_SEAL_NONCE];
	char sid[STRATA_SECRET_ID_LEN + 1], hs[2 * STRATA_SEAL_SALT + 1], hn[2 * STRATA_SEAL_NONCE + 1];
	strata_buf sealed = STRATA_BUF_INIT, trailers = STRATA_BUF_INIT;
	strata_policy *p = NULL;
	size_t aad;
	int error;

	if ((error = strata_policy_store_load(&p, NULL, n, name)) < 0 ||
	    (error = strata_policy_store_secret(secret, n, name)) < 0 ||
	    (error = strata_policy_store_secret_id_of(sid, secret)) < 0 || (error = strata_seal_fresh(salt, nonce)) < 0)
		goto done;
	strata_enc_hex(hs, salt, sizeof(salt));
	strata_enc_hex(hn, nonce, sizeof(nonce));
	if ((error = strata_buf_printf(out, BACKUP_MAGIC "policy %s\nnode %s\nid %s\nscrypt %d %s\nnonce %s\n", name,
				       strata_node_name(n), sid, STRATA_SEAL_LOG_N, hs, hn)) < 0)
		goto done;
	aad = out->len;
	if ((error = strata_seal_pass(&sealed, pass, STRATA_SEAL_LOG_N, salt, nonce, out->ptr, aad, secret,
				      sizeof(secret))) < 0 ||
	    (error = strata_buf_puts(out, "sealed ")) < 0 ||
	    (error = strata_enc_base64(out, (unsigned char *)sealed.ptr, sealed.len)) < 0 ||
	    (error = strata_buf_puts(out, "\n")) < 0)
		goto done;
	/* who took a copy of a secret is the auditor's business */
	if ((error = strata_journal_lock(n)) < 0 ||
	    (error = strata_buf_printf(&trailers, "Strata-Policy-Name: %s\nStrata-Secret-Id: %s\n", name, sid)) < 0)
		goto done;
	error = strata_audit_append(n, "secret-export", "policy secret exported (sealed to a passphrase)", trailers.ptr);
done:
	OPENSSL_cleanse(secret, sizeof(secret));
	strata_policy_free(p);
	strata_buf_dispose(&sealed);
	strata_buf_dispose(&trailers);
	return error;
}

/* The newest Strata-Secret-Id a policy-commit event of `name` gives, if any (the one its views were built under). */
struct expected_id {
	const char *name;
	char id[STRATA_SECRET_ID_LEN + 1];
	int found;
};

static int find_expected(const strata_audit_event *ev, void *payload)
{
	struct expected_id *x = payload;
	char v[256];

	if (strcmp(ev->event, "policy-commit") && strcmp(ev->event, "secret-rotate") && strcmp(ev->event, "secret-import"))
		return 0;
	if (!strata_commit_trailer(ev->c, "Strata-Policy-Name", v, sizeof(v)) || strcmp(v, x->name))
		return 0;
	if (!strata_commit_trailer(ev->c, "Strata-Secret-Id", v, sizeof(v)))
		return 0;	/* from before secret ids were recorded: look further back */
	if (strlen(v) != STRATA_SECRET_ID_LEN)
		return 0;
	memcpy(x->id, v, sizeof(x->id));
	x->found = 1;
	return 1;
}

/* Reads a backup's lines strictly; `line` says where it stopped. */
static int parse_backup(const char *text, size_t len, char *policy, char *node, char *sid, int *log_n,
			unsigned char *salt, unsigned char *nonce, strata_buf *sealed, size_t *aad, int *line)
{
	const char *p = text, *end = text + len;
	char hs[2 * STRATA_SEAL_SALT + 2], hn[2 * STRATA_SEAL_NONCE + 2];
	int k = 0;

	*line = 1;
	if (len < strlen(BACKUP_MAGIC) || memcmp(text, BACKUP_MAGIC, strlen(BACKUP_MAGIC)))
		return strata_error_set("line 1: not a strata policy secret backup (it starts with '%s')", _("strata policy secret 1"));
	p += strlen(BACKUP_MAGIC);
	for (*line = 2; p < end; (*line)++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char l[512];
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (ll >= sizeof(l))
			return strata_error_set("line %d: too long", *line);
		memcpy(l, p, ll);
		l[ll] = '\0';
		if (k == 0 && sscanf(l, "policy %64s", policy) == 1) k++;
		else if (k == 1 && sscanf(l, "node %63s", node) == 1) k++;
		else if (k == 2 && sscanf(l, "id %16s", sid) == 1 && strlen(sid) == STRATA_SECRET_ID_LEN) k++;
		else if (k == 3 && sscanf(l, "scrypt %d %33s", log_n, hs) == 2 && strlen(hs) == 2 * STRATA_SEAL_SALT &&
			 strata_enc_unhex(salt, hs, STRATA_SEAL_SALT) == 0) k++;
		else if (k == 4 && sscanf(l, "nonce %25s", hn) == 1 && strlen(hn) == 2 * STRATA_SEAL_NONCE &&
			 strata_enc_unhex(nonce, hn, STRATA_SEAL_NONCE) == 0) k++;
		else if (k == 5 && !strncmp(l, "sealed ", 7)) {
			*aad = (size_t)(p - text);
			if (strata_enc_unbase64(sealed, l + 7, strlen(l + 7)) < 0)
				return strata_error_set("line %d: the sealed secret is not base64", *line);
			k++;
		} else {
			static const char *const want[] = { "policy NAME", "node NAME", "id (16 hex digits)",
							    "scrypt LOG_N SALT", "nonce NONCE", "sealed BASE64" };
			return k < 6 ? strata_error_set("line %d: expected '%s'", *line, want[k])
				     : strata_error_set("line %d: nothing may follow the sealed secret", *line);
		}
		p = nl ? nl + 1 : end;
	}
	if (k < 6)
		return strata_error_set("line %d: the backup ends early (truncated?)", *line);
	return 0;
}

int strata_policy_store_secret_import(strata_node *n, const char *name, const char *file, const char *text, size_t len,
				      const char *pass, char sid_out[STRATA_SECRET_ID_LEN + 1])
{
	char policy[80] = "", node[80] = "", sid[STRATA_SECRET_ID_LEN + 2] = "", actual[STRATA_SECRET_ID_LEN + 1];
	char hex[2 * STRATA_SECRET_LEN + 2];
	unsigned char salt[STRATA_SEAL_SALT], nonce[STRATA_SEAL_NONCE];
	strata_buf sealed = STRATA_BUF_INIT, plain = STRATA_BUF_INIT, path = STRATA_BUF_INIT, trailers = STRATA_BUF_INIT;
	struct expected_id x = { name, "", 0 };
	strata_policy *p = NULL;
	size_t aad = 0;
	int log_n = 0, line = 0, error;

	if ((error = parse_backup(text, len, policy, node, sid, &log_n, salt, nonce, &sealed, &aad, &line)) < 0) {
		error = strata_error_set("'%s': %s", file, strata_error_last());
		goto done;
	}
	if (strcmp(policy, name)) {
		error = strata_error_set("'%s' is the secret of policy '%s', not '%s'", file, policy, name);
		goto done;
	}
	if (strcmp(node, strata_node_name(n))) {
		error = strata_error_set("'%s' is node '%s''s secret, and this node is '%s': a policy's secret belongs to "
					 "the node that shares under it", file, node, strata_node_name(n));
		goto done;
	}
	if ((error = strata_policy_store_load(&p, NULL, n, name)) < 0)
		goto done;
	if ((error = strata_unseal_pass(&plain, pass, log_n, salt, nonce, text, aad, sealed.ptr, sealed.len)) < 0) {
		error = strata_error_setc(error, "'%s': %s", file, strata_error_last());
		goto done;
	}
	if (plain.len != STRATA_SECRET_LEN || (error = strata_policy_store_secret_id_of(actual, (unsigned char *)plain.ptr)) < 0 ||
	    strcmp(actual, sid)) {
		error = strata_error_setc(STRATA_EVERIFY, "'%s': the secret does not match its id", file);
		goto done;
	}
	if ((error = strata_audit_foreach(n, find_expected, &x)) < 0)
		goto done;
	if (x.found && strcmp(x.id, actual)) {
		error = strata_error_setc(STRATA_EVERIFY, "'%s' holds secret %s, but policy '%s''s views were built under "
					  "secret %s (audit log): an older backup?", file, actual, name, x.id);
		goto done;
	}
	if ((error = strata_journal_lock(n)) < 0)
		goto done;
	if (strata_policy_store_secret_id(hex, n, name) == 0) {
		if (!strcmp(hex, actual)) {
			error = 0;	/* already in place */
			snprintf(sid_out, STRATA_SECRET_ID_LEN + 1, "%s", actual);
			goto done;
		}
		error = strata_error_setc(STRATA_EEXISTS, "policy '%s' has a secret already, and another one (%s): importing "
					  "would change every pseudonym; 'strata policy secret rotate' is the deliberate way",
					  name, hex);
		goto done;
	}
	strata_error_clear();
	strata_enc_hex(hex, (unsigned char *)plain.ptr, STRATA_SECRET_LEN);
	strcat(hex, "\n");
	if ((error = secret_path(&path, n, name)) < 0 ||
	    (error = strata_fs_write_atomic(path.ptr, hex, strlen(hex), 0600)) < 0 ||
	    (error = strata_buf_printf(&trailers, "Strata-Policy-Name: %s\nStrata-Secret-Id: %s\n", name, actual)) < 0 ||
	    (error = strata_audit_append(n, "secret-import", "policy secret restored from a backup", trailers.ptr)) < 0)
		goto done;
	snprintf(sid_out, STRATA_SECRET_ID_LEN + 1, "%s", actual);
done:
	OPENSSL_cleanse(hex, sizeof(hex));
	strata_policy_free(p);
	strata_buf_dispose(&sealed);
	strata_buf_dispose_secret(&plain);
	strata_buf_dispose(&path);
	strata_buf_dispose(&trailers);
	return error;
}

int strata_policy_store_secret_rotate(strata_node *n, const char *name, char old_id[STRATA_SECRET_ID_LEN + 1],
				      char new_id[STRATA_SECRET_ID_LEN + 1])
{
	strata_buf path = STRATA_BUF_INIT, kept = STRATA_BUF_INIT, trailers = STRATA_BUF_INIT;
	strata_policy *p = NULL;
	int error, created;

	old_id[0] = new_id[0] = '\0';
	if ((error = strata_journal_lock(n)) < 0 || (error = strata_node_load_key(n)) < 0 ||
	    (error = strata_policy_store_load(&p, NULL, n, name)) < 0 || (error = secret_path(&path, n, name)) < 0)
		goto done;
	if (strata_policy_store_secret_id(old_id, n, name) == 0) {
		/* the old one is kept beside, renamed: an auditor may still need to replay views built under it */
		if ((error = strata_buf_printf(&kept, "%s.retired-%s", path.ptr, old_id)) < 0)
			goto done;
		if (rename(path.ptr, kept.ptr) < 0) {
			error = strata_error_sys(path.ptr);
			goto done;
		}
	} else {
		strata_error_clear();
		snprintf(old_id, STRATA_SECRET_ID_LEN + 1, "(none)");
	}
	if ((error = create_secret(n, name, 0, &created)) < 0 || (error = strata_policy_store_secret_id(new_id, n, name)) < 0 ||
	    (error = strata_buf_printf(&trailers, "Strata-Policy-Name: %s\nStrata-Secret-Id: %s\nStrata-Secret-Retired: %s\n",
				       name, new_id, old_id)) < 0 ||
	    (error = strata_audit_append(n, "secret-rotate", "policy secret rotated: every pseudonym changes", trailers.ptr)) < 0)
		goto done;
done:
	strata_policy_free(p);
	strata_buf_dispose(&path);
	strata_buf_dispose(&kept);
	strata_buf_dispose(&trailers);
	return error;
}
