/*
 * node.c - node directories: creation, opening, locking, trust.
 */
#include "strata/node/node.h"
#include "strata/format/pack.h"
#include "node_priv.h"
#include "strata/base/fs.h"
#include "strata/format/name.h"
#include "strata/base/enc.h"

#include <git2/sys/repository.h>
#include <openssl/evp.h>

#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

static int write_text(const char *dir, const char *file, const char *text, int mode)
{
	char *p = strata_fs_path_join(dir, file);
	int error;
	if (!p)
		return STRATA_ERROR;
	error = strata_fs_write_atomic(p, text, strlen(text), mode);
	free(p);
	return error;
}

int strata_node_init(const char *path, const char *name, const char *tier)
{
	strata_buf tmp = STRATA_BUF_INIT, s = STRATA_BUF_INIT, publine = STRATA_BUF_INIT,
		   final = STRATA_BUF_INIT;
	git_repository *repo = NULL;
	git_repository_init_options ropts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	git_config *cfg = NULL;
	strata_key *key = NULL;
	strata_pubkey pk;
	struct stat st;
	char *abs = NULL;
	int existed = 0, error = STRATA_ERROR;

	if (!strata_name_node_valid(name))
		return strata_error_set("invalid node name '%s' (use a-z, 0-9 and '-', at most 63 characters)", name);
	if (!strata_name_tier_valid(tier))
		return strata_error_set("unknown tier '%s' (community, street, district, province or department)", tier);
	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || dir_is_empty(path) != 1)
			return strata_error_setc(STRATA_EEXISTS, "'%s' already exists and is not an empty directory", path);
		existed = 1;
	} else if (errno != ENOENT) {
		return strata_error_sys(path);
	}

	/* build beside the target, then rename: a node appears whole or not at all */
	if ((error = strata_buf_printf(&tmp, "%s.init-XXXXXX", path)) < 0)
		goto done;
	if (mkdtemp(tmp.ptr) == NULL) {
		error = strata_error_sys(tmp.ptr);
		goto done;
	}
	ropts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	strata_buf_clear(&s);
	if ((error = strata_buf_printf(&s, "%s/repo.git", tmp.ptr)) < 0)
		goto done;
	if (git_repository_init_ext(&repo, s.ptr, &ropts) < 0) {
		error = strata_error_git("cannot create repository");
		goto done;
	}
	strata_buf_clear(&s);
	if (strata_buf_printf(&s, "%s/keys", tmp.ptr) < 0 || mkdir(s.ptr, 0700) < 0)
		goto sys;
	strata_buf_clear(&s);
	if (strata_buf_printf(&s, "%s/secrets", tmp.ptr) < 0 || mkdir(s.ptr, 0700) < 0)
		goto sys;

	if ((error = strata_sign_key_generate(&key)) < 0)
		goto done;
	strata_buf_clear(&s);
	if ((error = strata_buf_printf(&s, "%s/keys/node.key", tmp.ptr)) < 0 || (error = strata_sign_key_save(key, s.ptr)) < 0)
		goto done;
	strata_sign_key_public(&pk, key);
	if ((error = strata_sign_pubkey_format(&publine, &pk)) < 0)
		goto done;
	strata_buf_clear(&s);
	if ((error = strata_buf_printf(&s, "%s %s\n", publine.ptr, name)) < 0 ||
	    (error = write_text(tmp.ptr, "keys/node.pub", s.ptr, 0644)) < 0)
		goto done;
	strata_buf_clear(&s);
	if ((error = strata_buf_printf(&s, "%s namespaces=\"git\" %s\n", name, publine.ptr)) < 0 ||
	    (error = write_text(tmp.ptr, "keys/allowed_signers", s.ptr, 0644)) < 0)
		goto done;

	strata_buf_clear(&s);
	if ((error = strata_buf_printf(&s, "%s/node.conf", tmp.ptr)) < 0)
		goto done;
	if (git_config_open_ondisk(&cfg, s.ptr) < 0 ||
	    git_config_set_int32(cfg, "strata.formatversion", 1) < 0 ||
	    git_config_set_string(cfg, "node.name", name) < 0 ||
	    git_config_set_string(cfg, "node.tier", tier) < 0) {
		error = strata_error_git("cannot write node.conf");
		goto done;
	}
	git_config_free(cfg);
	cfg = NULL;

	/* so that plain `git log --show-signature` in repo.git verifies */
	if (path[0] == '/') {
		error = strata_buf_printf(&final, "%s/keys/allowed_signers", path);
	} else {
		if ((abs = getcwd(NULL, 0)) == NULL)
			goto sys;
		error = strata_buf_printf(&final, "%s/%s/keys/allowed_signers", abs, path);
	}
	if (error < 0)
		goto done;
	error = STRATA_ERROR;
	if (git_repository_config(&cfg, repo) < 0 ||
	    git_config_set_string(cfg, "gpg.format", "ssh") < 0 ||
	    git_config_set_string(cfg, "gpg.ssh.allowedsignersfile", final.ptr) < 0 ||
	    /* a reflog for every ref, bare or not: verify --all reads it to find a rewritten audit log */
	    git_config_set_string(cfg, "core.logAllRefUpdates", "always") < 0) {
		error = strata_error_git("cannot configure repository");
		goto done;
	}

	if (existed && rmdir(path) < 0)
		goto sys;
	if (rename(tmp.ptr, path) < 0)
		goto sys;
	strata_buf_clear(&tmp);
	{
		char *parent = strdup(path), *slash;
		if (!parent) {
			error = strata_error_set("out of memory");
			goto done;
		}
		slash = strrchr(parent, '/');
		if (slash)
			*slash = '\0';
		error = strata_fs_fsync_dir(slash ? (parent[0] ? parent : "/") : ".");
		free(parent);
	}
	goto done;
sys:
	error = strata_error_sys(path);
done:
	if (error && tmp.len)
		strata_fs_rm_rf(tmp.ptr);
	free(abs);
	git_config_free(cfg);
	git_repository_free(repo);
	strata_sign_key_free(key);
	strata_buf_dispose(&tmp);
	strata_buf_dispose(&s);
	strata_buf_dispose(&publine);
	strata_buf_dispose(&final);
	return error;
}

static int read_pubkey(strata_pubkey *pk, const char *dir)
{
	strata_buf path = STRATA_BUF_INIT, text = STRATA_BUF_INIT;
	int error;

	if ((error = strata_buf_printf(&path, "%s/keys/node.pub", dir)) == 0 &&
	    (error = strata_fs_read(&text, path.ptr, 4096)) == 0 &&
	    (error = strata_sign_pubkey_parse(pk, text.ptr)) < 0)
		strata_error_set("'%s': %s", path.ptr, strata_error_last());
	strata_buf_dispose(&path);
	strata_buf_dispose(&text);
	return error;
}

int strata_node_open(strata_node **out, const char *path)
{
	strata_node *n = NULL;
	strata_buf conf = STRATA_BUF_INIT, repo = STRATA_BUF_INIT;
	git_config_entry *e = NULL;
	struct stat st;
	int error = STRATA_ERROR;

	*out = NULL;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return strata_error_setc(STRATA_ENOTFOUND, "node directory '%s' does not exist", path);
	if ((error = strata_buf_printf(&conf, "%s/node.conf", path)) < 0 ||
	    (error = strata_buf_printf(&repo, "%s/repo.git", path)) < 0)
		goto done;
	if (stat(conf.ptr, &st) < 0 || stat(repo.ptr, &st) < 0) {
		error = strata_error_setc(STRATA_ENOTFOUND, "'%s' is not a strata node (no node.conf or repo.git); create one with 'strata init'", path);
		goto done;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL || (n->path = strdup(path)) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	n->lock_fd = -1;
	n->lock_shared = 0;
	if (git_config_open_ondisk(&n->cfg, conf.ptr) < 0) {
		error = strata_error_git("cannot read node.conf");
		goto done;
	}
	if (git_config_get_entry(&e, n->cfg, "node.name") < 0 || !strata_name_node_valid(e->value)) {
		error = strata_error_set("'%s': node.name is missing or invalid", conf.ptr);
		goto done;
	}
	n->name = strdup(e->value);
	git_config_entry_free(e);
	e = NULL;
	if (git_config_get_entry(&e, n->cfg, "node.tier") < 0 || !strata_name_tier_valid(e->value)) {
		error = strata_error_set("'%s': node.tier is missing or invalid", conf.ptr);
		goto done;
	}
	n->tier = strdup(e->value);
	git_config_entry_free(e);
	e = NULL;
	if (git_config_get_entry(&e, n->cfg, "node.displayname") == 0 && strata_node_display_check(e->value) == 0)
		n->display = strdup(e->value);
	git_error_clear();
	strata_error_clear();
	if (!n->name || !n->tier) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if (git_repository_open_bare(&n->repo, repo.ptr) < 0) {
		error = strata_error_git("cannot open repository");
		goto done;
	}
	if ((error = read_pubkey(&n->pub, path)) < 0)
		goto done;
	*out = n;
	n = NULL;
	error = 0;
done:
	git_config_entry_free(e);
	strata_node_free(n);
	strata_buf_dispose(&conf);
	strata_buf_dispose(&repo);
	return error;
}

/* Removes every *.lock file under dir (ref locks a killed writer left), depth first. */
static void remove_ref_locks(const char *dir, int depth)
{
	DIR *d = depth < 32 ? opendir(dir) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *p;
		if (e->d_name[0] == '.' || (p = strata_fs_path_join(dir, e->d_name)) == NULL)
			continue;
		if (len > 5 && !strcmp(e->d_name + len - 5, ".lock"))
			unlink(p);
		else if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN)
			remove_ref_locks(p, depth + 1);
		free(p);
	}
	if (d)
		closedir(d);
}

/*
 * What a process killed mid-way leaves behind, removed by the next writer
 * to take the lock (so no other process can be using it): everything in
 * NODE/tmp (quarantined parcels, spilled records, audit scratch: whoever
 * writes there holds the lock, shared or not), unfinished pack files, and
 * ref and reflog locks (a ref whose NAME.lock a dead writer left could
 * never move again, nor a reflog be rewritten).  The node's lock covers its repository: only strata writes
 * there.  Never anything a ref names.
 */
static void remove_leftovers(strata_node *n)
{
	char *refs = strata_fs_path_join(n->path, "repo.git/refs"), *packed = strata_fs_path_join(n->path, "repo.git/packed-refs.lock");
	char *logs = strata_fs_path_join(n->path, "repo.git/logs");
	if (refs)
		remove_ref_locks(refs, 0);
	if (logs)
		remove_ref_locks(logs, 0);	/* a reflog rewritten (a cut resets it) when the writer died */
	free(logs);
	if (packed)
		unlink(packed);
	free(refs);
	free(packed);
	char *tmp = strata_fs_path_join(n->path, STRATA_NODE_TMP), *packs = strata_fs_path_join(n->path, "repo.git/objects/pack");
	DIR *d = tmp ? opendir(tmp) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		char *p;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || (p = strata_fs_path_join(tmp, e->d_name)) == NULL)
			continue;
		strata_fs_rm_rf(p);
		free(p);
	}
	if (d)
		closedir(d);
	if (packs)
		strata_pack_remove_leftovers(packs);
	free(tmp);
	free(packs);
	/* a key rotation killed before or after its exchange: the unused new key, or the retired old one */
	if ((tmp = strata_fs_path_join(n->path, "keys.new")) != NULL)
		strata_fs_rm_rf(tmp);
	free(tmp);
	strata_error_clear();
}

int strata_node_flock(strata_node *n)
{
	strata_buf p = STRATA_BUF_INIT;
	int error = 0;

	if (n->lock_fd >= 0 && !n->lock_shared)
		return 0;
	if (strata_buf_printf(&p, "%s/lock", n->path) < 0)
		return STRATA_ERROR;
	if (n->lock_fd < 0 && (n->lock_fd = open(p.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		error = strata_error_sys(p.ptr);
	} else if (flock(n->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		error = strata_error_setc(STRATA_EBUSY, "node '%s' is busy: another strata process holds its lock", n->path);
		if (!n->lock_shared) {
			close(n->lock_fd);
			n->lock_fd = -1;
		}
	} else {
		n->lock_shared = 0;
		remove_leftovers(n);
		/*
		 * Another process may have changed node.conf's keys since they
		 * were read (a daemon lives for months; a rotation accepted by an
		 * import beside it): read them again under the lock.
		 */
		free(n->trusted);
		n->trusted = NULL;
		n->ntrusted = 0;
		n->trusted_loaded = 0;
		/* and its own key: rotated by another process, it is loaded again when next needed */
		{
			strata_pubkey now;
			if (read_pubkey(&now, n->path) == 0 && !strata_sign_pubkey_equal(&now, &n->pub)) {
				n->pub = now;
				strata_sign_key_free(n->key);
				n->key = NULL;
			}
			strata_error_clear();
		}
	}
	strata_buf_dispose(&p);
	return error;
}

int strata_node_lock_shared(strata_node *n)
{
	strata_buf p = STRATA_BUF_INIT;
	int error = 0;

	if (n->lock_fd >= 0)
		return 0;	/* shared already, or the write lock, which covers it */
	if (strata_buf_printf(&p, "%s/lock", n->path) < 0)
		return STRATA_ERROR;
	if ((n->lock_fd = open(p.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		error = strata_error_sys(p.ptr);
	} else if (flock(n->lock_fd, LOCK_SH | LOCK_NB) < 0) {
		error = strata_error_setc(STRATA_EBUSY, "node '%s' is busy: another strata process is writing to it",
					  n->path);
		close(n->lock_fd);
		n->lock_fd = -1;
	} else {
		n->lock_shared = 1;
	}
	strata_buf_dispose(&p);
	return error;
}

void strata_node_unlock(strata_node *n)
{
	if (n->lock_fd >= 0)
		close(n->lock_fd);
	n->lock_fd = -1;
	n->lock_shared = 0;
}

int strata_node_load_key(strata_node *n)
{
	strata_buf p = STRATA_BUF_INIT;
	strata_pubkey pk;
	int error;

	if (n->key)
		return 0;
	if ((error = strata_buf_printf(&p, "%s/keys/node.key", n->path)) == 0 &&
	    (error = strata_sign_key_load(&n->key, p.ptr)) == 0) {
		strata_sign_key_public(&pk, n->key);
		if (!strata_sign_pubkey_equal(&pk, &n->pub))
			error = strata_error_set("keys/node.key does not match keys/node.pub");
	}
	strata_buf_dispose(&p);
	return error;
}

int strata_node_refresh_store(strata_node *n)
{
	git_odb *odb = NULL;
	const char *objects;
	char *path;
	int error = 0;

	objects = git_repository_path(n->repo);
	if ((path = strata_fs_path_join(objects, "objects")) == NULL)
		return strata_error_set("out of memory");
	if (git_odb_open(&odb, path) < 0 || git_repository_set_odb(n->repo, odb) < 0)
		error = strata_error_git("cannot open the object store");
	git_odb_free(odb);	/* the repository holds it now */
	free(path);
	return error;
}

void strata_node_free(strata_node *n)
{
	if (!n)
		return;
	if (n->lock_fd >= 0)
		close(n->lock_fd);
	strata_sign_key_free(n->key);
	free(n->trusted);
	free(n->actor);
	free(n->actor_note);
	git_repository_free(n->repo);
	git_config_free(n->cfg);
	free(n->name);
	free(n->tier);
	free(n->display);
	free(n->path);
	free(n);
}

const char *strata_node_path(const strata_node *n)
{
	return n->path;
}

const char *strata_node_name(const strata_node *n)
{
	return n->name;
}

const char *strata_node_tier(const strata_node *n)
{
	return n->tier;
}

const char *strata_node_display_name(const strata_node *n)
{
	return n->display;
}

int strata_node_display_check(const char *text)
{
	size_t len = strlen(text);

	if (!strata_enc_utf8_valid(text, len))
		return strata_error_set("display name '%s': not UTF-8 text", text);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return strata_error_set("display name '%s': one line, no control character", text);
	if (strata_enc_utf8_len(text, len) > 64)
		return strata_error_set("display name '%s': at most 64 characters", text);
	return 0;
}

/* Sets KEY in node.conf to `text`, or removes it ("": not there is not an error). */
static int conf_put(strata_node *n, const char *key, const char *text)
{
	int rc = *text ? git_config_set_string(n->cfg, key, text) : git_config_delete_entry(n->cfg, key);
	if (rc < 0 && !(rc == GIT_ENOTFOUND && !*text))
		return strata_error_git("cannot write node.conf");
	git_error_clear();
	return 0;
}

int strata_node_conf_get(strata_buf *out, strata_node *n, const char *key)
{
	git_config_entry *e = NULL;
	int error;

	if (git_config_get_entry(&e, n->cfg, key) < 0) {
		git_error_clear();
		return STRATA_ENOTFOUND;
	}
	error = strata_buf_puts(out, e->value);
	git_config_entry_free(e);
	return error;
}

int strata_node_conf_reopen(strata_node *n)
{
	strata_buf conf = STRATA_BUF_INIT;
	git_config *cfg = NULL;
	int error;

	if ((error = strata_buf_printf(&conf, "%s/node.conf", n->path)) < 0)
		return error;
	if (git_config_open_ondisk(&cfg, conf.ptr) < 0)
		error = strata_error_git("cannot read node.conf");
	else {
		git_config_free(n->cfg);
		n->cfg = cfg;
		free(n->trusted);	/* the keys read from it (peers.c) are read again */
		n->trusted = NULL;
		n->ntrusted = 0;
		n->trusted_loaded = 0;
	}
	strata_buf_dispose(&conf);
	return error;
}

int strata_node_conf_set(strata_node *n, const char *key, const char *text)
{
	if (!strata_node_locked(n))
		return strata_error_set("node.conf %s: the node's write lock is not held", key);
	return conf_put(n, key, text);
}

int strata_node_dataset_label(strata_buf *out, strata_node *n, const char *dataset)
{
	strata_buf key = STRATA_BUF_INIT;
	git_config_entry *e = NULL;
	int error;

	if ((error = strata_buf_printf(&key, "dataset.%s.label", dataset)) == 0) {
		if (git_config_get_entry(&e, n->cfg, key.ptr) < 0) {
			git_error_clear();
			error = STRATA_ENOTFOUND;
		} else {
			error = strata_buf_puts(out, e->value);
		}
	}
	git_config_entry_free(e);
	strata_buf_dispose(&key);
	return error;
}

int strata_node_set_dataset_label(strata_node *n, const char *dataset, const char *text)
{
	strata_buf key = STRATA_BUF_INIT;
	int error;

	if (!strata_node_locked(n))
		return strata_error_set("dataset label: the node's write lock is not held");
	if (*text && (error = strata_node_display_check(text)) < 0)
		return error;
	if ((error = strata_buf_printf(&key, "dataset.%s.label", dataset)) == 0)
		error = conf_put(n, key.ptr, text);
	strata_buf_dispose(&key);
	return error;
}

int strata_node_set_display_name(strata_node *n, const char *text)
{
	int error;

	if (*text && (error = strata_node_display_check(text)) < 0)
		return error;
	if ((error = conf_put(n, "node.displayname", text)) < 0)
		return error;
	free(n->display);
	n->display = *text ? strdup(text) : NULL;
	return 0;
}

git_repository *strata_node_repo(const strata_node *n)
{
	return n->repo;
}

const strata_pubkey *strata_node_pubkey(const strata_node *n)
{
	return &n->pub;
}

const strata_key *strata_node_key(const strata_node *n)
{
	return n->key;
}

int strata_node_locked(const strata_node *n)
{
	return n->lock_fd >= 0 && !n->lock_shared;
}

int strata_node_state_digest(strata_node *n, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	git_reference_iterator *it = NULL;
	git_reference *ref;
	strata_buf conf = STRATA_BUF_INIT, path = STRATA_BUF_INIT;
	unsigned char d[32];
	int error = STRATA_ERROR;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if (git_reference_iterator_glob_new(&it, n->repo, "refs/*") < 0) {
		error = strata_error_git("cannot list refs");
		goto done;
	}
	while (git_reference_next(&ref, it) == 0) {
		const git_oid *t = git_reference_target(ref);
		const char *name = git_reference_name(ref);
		EVP_DigestUpdate(md, name, strlen(name) + 1);
		if (t)
			EVP_DigestUpdate(md, t->id, GIT_OID_RAWSZ);
		git_reference_free(ref);
	}
	if ((error = strata_buf_printf(&path, "%s/node.conf", n->path)) < 0 ||
	    (error = strata_fs_read(&conf, path.ptr, 1 << 20)) < 0)
		goto done;
	EVP_DigestUpdate(md, conf.ptr, conf.len);
	EVP_DigestFinal_ex(md, d, NULL);
	strata_enc_hex(out, d, sizeof(d));
	error = 0;
done:
	git_reference_iterator_free(it);
	EVP_MD_CTX_free(md);
	strata_buf_dispose(&conf);
	strata_buf_dispose(&path);
	return error;
}
