/*
 * commit.c - signed commits (doc/design.md, "Facts checked on this platform": sign exactly the bytes of
 * git_commit_create_buffer; attach as gpgsig; armor without trailing
 * newline) and their verification against the node's trusted keys.
 */
#include "strata/node/commit.h"
#include "strata/format/sign.h"
#include "strata/base/i18n.h"
#include "strata/base/time.h"
#include "strata/base/array.h"
#include "strata/base/buf.h"
#include "strata/base/oidset.h"
#include "strata/node/officers.h"
#include "strata/node/peers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

static int create(git_oid *out, strata_node *n, const git_tree *tree, const git_commit *parent, const char *message,
		  int cosign)
{
	git_signature *who = NULL;
	git_buf raw = GIT_BUF_INIT_CONST(NULL, 0);
	strata_buf email = STRATA_BUF_INIT, sig = STRATA_BUF_INIT, cosigned = STRATA_BUF_INIT;
	const git_commit *parents[1] = { parent };
	int error = STRATA_ERROR;

	if ((error = strata_node_load_key(n)) < 0)
		return error;
	if ((error = strata_buf_printf(&email, "%s@strata.invalid", strata_node_name(n))) < 0)
		goto done;
	if (git_signature_new(&who, strata_node_name(n), email.ptr, (git_time_t)strata_time_now(),
			      strata_time_offset_minutes(strata_time_now())) < 0 ||
	    git_commit_create_buffer(&raw, strata_node_repo(n), who, who, NULL, message, tree,
				     parent ? 1 : 0, parents) < 0) {
		error = strata_error_git("cannot build commit");
		goto done;
	}
	/*
	 * The officer acting signs these bytes; their signature is the
	 * message's last line, and the commit is built again with it (the
	 * same author, the same time), for the node to sign (officers.h).
	 */
	if (cosign && strata_officers_actor(n)) {
		if ((error = strata_buf_puts(&cosigned, message)) < 0 ||
		    (error = strata_officer_cosign(&cosigned, n, raw.ptr, raw.size)) < 0)
			goto done;
		git_buf_dispose(&raw);
		if (git_commit_create_buffer(&raw, strata_node_repo(n), who, who, NULL, cosigned.ptr, tree, parent ? 1 : 0,
					     parents) < 0) {
			error = strata_error_git("cannot build commit");
			goto done;
		}
	}
	if ((error = strata_sign_sshsig(&sig, strata_node_key(n), "git", raw.ptr, raw.size)) < 0)
		goto done;
	if (git_commit_create_with_signature(out, strata_node_repo(n), raw.ptr, sig.ptr, NULL) < 0) {
		error = strata_error_git("cannot write commit");
		goto done;
	}
	error = 0;
done:
	git_buf_dispose(&raw);
	git_signature_free(who);
	strata_buf_dispose(&email);
	strata_buf_dispose(&sig);
	strata_buf_dispose(&cosigned);
	return error;
}

int strata_commit_create(git_oid *out, strata_node *n, const git_tree *tree,
			 const git_commit *parent, const char *message)
{
	return create(out, n, tree, parent, message, 0);
}

int strata_commit_create_cosigned(git_oid *out, strata_node *n, const git_tree *tree, const git_commit *parent,
				  const char *message)
{
	return create(out, n, tree, parent, message, 1);
}

const char *strata_commit_sig_status_str(strata_sig_status s)
{
	switch (s) {
	case STRATA_SIG_GOOD: return "good";
	case STRATA_SIG_BAD: return "BAD";
	case STRATA_SIG_UNSIGNED: return "unsigned";
	case STRATA_SIG_UNTRUSTED: return "untrusted";
	}
	return "?";
}

int strata_commit_check(strata_sig_status *status, char *signer, size_t signersz,
			strata_node *n, const git_oid *commit)
{
	return strata_commit_check_in(status, signer, signersz, n, strata_node_repo(n), commit);
}

int strata_commit_split_signature(strata_buf *sig, strata_buf *data, const git_commit *c)
{
	const char *h = git_commit_raw_header(c), *msg = git_commit_message_raw(c);
	strata_buf raw = STRATA_BUF_INIT;
	int rc;

	if (!h || !msg)
		return strata_error_set("cannot read commit");
	if (strata_buf_puts(&raw, h) < 0 || strata_buf_putc(&raw, '\n') < 0 || strata_buf_puts(&raw, msg) < 0)
		rc = STRATA_ERROR;
	else
		rc = strata_sign_split_commit(sig, data, raw.ptr, raw.len);
	strata_buf_dispose(&raw);
	return rc;
}

/* The signature of a commit already read. */
static int check_commit(strata_sig_status *status, char *signer, size_t signersz, strata_node *n,
			const git_commit *c)
{
	strata_buf sig = STRATA_BUF_INIT, data = STRATA_BUF_INIT;
	strata_pubkey pk;
	char why[256];
	int rc;

	signer[0] = '\0';
	if ((rc = strata_commit_split_signature(&sig, &data, c)) <= 0) {
		strata_buf_dispose(&sig);
		strata_buf_dispose(&data);
		if (rc < 0)
			return rc;
		*status = STRATA_SIG_UNSIGNED;
		return 0;
	}
	if (strata_sign_sshsig_verify(&pk, sig.ptr, sig.len, "git", data.ptr, data.len) < 0) {
		*status = STRATA_SIG_BAD;
		snprintf(signer, signersz, "%s", strata_error_last());
	} else if ((rc = strata_peers_trusted_at(n, &pk, (int64_t)git_commit_time(c), signer, signersz, why,
						 sizeof(why))) == 1) {
		*status = STRATA_SIG_GOOD;
	} else if (rc == 2) {
		/* a key that was this signer's, but not when the commit says it was made */
		*status = STRATA_SIG_UNTRUSTED;
		snprintf(signer, signersz, "%s", why);
	} else {
		strata_buf line = STRATA_BUF_INIT;
		*status = STRATA_SIG_UNTRUSTED;
		if (strata_sign_pubkey_format(&line, &pk) == 0)
			snprintf(signer, signersz, "%s", line.ptr);
		strata_buf_dispose(&line);
	}
	strata_buf_dispose(&sig);
	strata_buf_dispose(&data);
	return 0;
}

int strata_commit_check_in(strata_sig_status *status, char *signer, size_t signersz,
			   strata_node *n, git_repository *repo, const git_oid *commit)
{
	git_commit *c = NULL;
	int error;

	signer[0] = '\0';
	if (git_commit_lookup(&c, repo, commit) < 0)
		return strata_error_git("cannot read commit");
	error = check_commit(status, signer, signersz, n, c);
	git_commit_free(c);
	return error;
}

int strata_commit_trailer(const git_commit *c, const char *key, char *out, size_t outsz)
{
	return strata_message_trailer(git_commit_message(c), key, out, outsz);
}

typedef struct {
	git_oid id, child;
	int has_child;
} walk_item;

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	strata_node *n;
	walk_item *stack;
	size_t top, salloc;
	strata_oidset seen;
	git_oid *ids;
	strata_check_result *res;
	size_t count, alloc;
	int busy, error;
	char errmsg[256];
	strata_missing_cb cb;
	void *payload;
} shared_walk;

static int push_locked(shared_walk *w, const git_oid *id, const git_oid *child)
{
	if (strata_array_grow(&w->stack, &w->salloc, w->top + 1, 256) < 0)
		return -1;
	w->stack[w->top].id = *id;
	w->stack[w->top].has_child = child != NULL;
	if (child)
		w->stack[w->top].child = *child;
	w->top++;
	return 0;
}

static void fail_locked(shared_walk *w, const char *msg)
{
	if (!w->error) {
		w->error = 1;
		snprintf(w->errmsg, sizeof(w->errmsg), "%s", msg);
	}
}

static void *walk_main(void *arg)
{
	shared_walk *w = arg;
	git_repository *repo = NULL;

	if (git_repository_open_bare(&repo, git_repository_path(strata_node_repo(w->n))) < 0) {
		pthread_mutex_lock(&w->mu);
		fail_locked(w, _("cannot open the repository"));
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		return NULL;
	}
	pthread_mutex_lock(&w->mu);
	for (;;) {
		walk_item it;
		git_commit *c = NULL;
		strata_check_result r;
		int rc;

		while (w->top == 0 && w->busy > 0 && !w->error)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->top == 0 || w->error)
			break;
		it = w->stack[--w->top];
		if ((rc = strata_oidset_add(&w->seen, &it.id)) <= 0) {
			if (rc < 0)
				fail_locked(w, _("out of memory"));
			continue;
		}
		w->busy++;
		pthread_mutex_unlock(&w->mu);

		rc = git_commit_lookup(&c, repo, &it.id);
		pthread_mutex_lock(&w->mu);
		if (rc < 0) {
			git_error_clear();
			if (w->cb)
				w->cb(&it.id, it.has_child ? &it.child : NULL, w->payload);
		} else {
			for (unsigned i = 0; i < git_commit_parentcount(c); i++)
				if (push_locked(w, git_commit_parent_id(c, i), &it.id) < 0)
					fail_locked(w, _("out of memory"));
			pthread_cond_broadcast(&w->cv);	/* the parents are work for the others */
			pthread_mutex_unlock(&w->mu);
			memset(&r, 0, sizeof(r));
			/* the commit as read: its signature needs no second read of the object */
			rc = check_commit(&r.status, r.signer, sizeof(r.signer), w->n, c);
			git_commit_free(c);
			pthread_mutex_lock(&w->mu);
			if (rc < 0) {
				fail_locked(w, strata_error_last());
			} else {
				if (w->count == w->alloc) {
					size_t na = w->alloc ? 2 * w->alloc : 1024;
					git_oid *qi = realloc(w->ids, na * sizeof(*qi));
					strata_check_result *qr = qi ? realloc(w->res, na * sizeof(*qr)) : NULL;
					if (qi)
						w->ids = qi;
					if (qr)
						w->res = qr;
					if (!qi || !qr)
						fail_locked(w, _("out of memory"));
					else
						w->alloc = na;
				}
				if (w->count < w->alloc) {
					w->ids[w->count] = it.id;
					w->res[w->count++] = r;
				}
			}
		}
		w->busy--;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	git_repository_free(repo);
	return NULL;
}

int strata_commit_check_reachable(strata_node *n, const char *glob, git_oid **ids,
				   strata_check_result **results, size_t *count,
				   strata_missing_cb cb, void *payload)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = cores < 1 ? 1 : cores > 16 ? 16 : (size_t)cores, started = 0;
	shared_walk w;
	pthread_t th[16];
	git_reference_iterator *it = NULL;
	git_reference *ref;
	strata_pubkey none;
	char name[8];
	int error = 0;

	*ids = NULL;
	*results = NULL;
	*count = 0;
	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	w.n = n;
	w.cb = cb;
	w.payload = payload;
	memset(&none, 0, sizeof(none));
	strata_peers_trusted(n, &none, name, sizeof(name));	/* load the keys before the threads share them */
	if (git_reference_iterator_glob_new(&it, strata_node_repo(n), glob) < 0) {
		error = strata_error_git("cannot list refs");
		goto done;
	}
	while (git_reference_next(&ref, it) == 0) {
		const git_oid *t = git_reference_target(ref);
		if (t && push_locked(&w, t, NULL) < 0)
			error = strata_error_set("out of memory");
		git_reference_free(ref);
	}
	if (error)
		goto done;
	for (; started < nthreads; started++)
		if (pthread_create(&th[started], NULL, walk_main, &w) != 0)
			break;
	if (started == 0) {
		error = strata_error_set("cannot start a verification thread");
		goto done;
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (w.error) {
		error = strata_error_set("%s", w.errmsg);
		goto done;
	}
	*ids = w.ids;
	*results = w.res;
	*count = w.count;
	w.ids = NULL;
	w.res = NULL;
done:
	git_reference_iterator_free(it);
	free(w.stack);
	free(w.ids);
	free(w.res);
	strata_oidset_dispose(&w.seen);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return error;
}

int strata_commit_descends(git_repository *repo, const git_oid *a, const git_oid *b)
{
	git_odb *odb = NULL;
	int rc = 0;

	if (git_oid_equal(a, b))
		return 1;
	if (git_repository_odb(&odb, repo) == 0 && git_odb_exists(odb, a) && git_odb_exists(odb, b))
		rc = git_graph_descendant_of(repo, a, b) == 1;
	git_odb_free(odb);
	git_error_clear();
	return rc;
}
