/*
 * commit.c - signed commits (FACTS.md: sign exactly the bytes of
 * git_commit_create_buffer; attach as gpgsig; armor without trailing
 * newline) and their verification against the node's trusted keys.
 */
#include "strata/commit.h"
#include "strata/util.h"
#include "strata/oidset.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

int strata_commit_create(git_oid *out, strata_node *n, const git_tree *tree,
			 const git_commit *parent, const char *message)
{
	git_signature *who = NULL;
	git_buf raw = GIT_BUF_INIT_CONST(NULL, 0);
	strata_buf email = STRATA_BUF_INIT, sig = STRATA_BUF_INIT;
	const git_commit *parents[1] = { parent };
	int error = STRATA_ERROR;

	if (strata_node_load_key(n) < 0)
		return STRATA_ERROR;
	if (strata_buf_printf(&email, "%s@strata.invalid", n->name) < 0)
		goto done;
	if (git_signature_now(&who, n->name, email.ptr) < 0 ||
	    git_commit_create_buffer(&raw, n->repo, who, who, NULL, message, tree,
				     parent ? 1 : 0, parents) < 0) {
		strata_error_git("cannot build commit");
		goto done;
	}
	if (strata_sshsig_sign(&sig, n->key, "git", raw.ptr, raw.size) < 0)
		goto done;
	if (git_commit_create_with_signature(out, n->repo, raw.ptr, sig.ptr, NULL) < 0) {
		strata_error_git("cannot write commit");
		goto done;
	}
	error = 0;
done:
	git_buf_dispose(&raw);
	git_signature_free(who);
	strata_buf_dispose(&email);
	strata_buf_dispose(&sig);
	return error;
}

int strata_ref_update(strata_node *n, const char *ref, const git_oid *new_oid,
		      const git_oid *old_oid, const char *logmsg)
{
	git_reference *r = NULL;
	int rc;

	if (old_oid)
		rc = git_reference_create_matching(&r, n->repo, ref, new_oid, 1, old_oid, logmsg);
	else
		rc = git_reference_create(&r, n->repo, ref, new_oid, 0, logmsg);
	git_reference_free(r);
	if (rc < 0)
		return strata_error_git(old_oid ? "cannot move ref (changed by another writer?)" :
						  "cannot create ref");
	return 0;
}

const char *strata_sig_status_str(strata_sig_status s)
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
	return strata_commit_check_in(status, signer, signersz, n, n->repo, commit);
}

int strata_commit_check_in(strata_sig_status *status, char *signer, size_t signersz,
			   strata_node *n, git_repository *repo, const git_oid *commit)
{
	git_buf sig = GIT_BUF_INIT_CONST(NULL, 0), data = GIT_BUF_INIT_CONST(NULL, 0);
	strata_pubkey pk;
	int rc;

	signer[0] = '\0';
	rc = git_commit_extract_signature(&sig, &data, repo, (git_oid *)commit, NULL);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		*status = STRATA_SIG_UNSIGNED;
		return 0;
	}
	if (rc < 0)
		return strata_error_git("cannot read commit");
	if (strata_sshsig_verify(&pk, sig.ptr, sig.size, "git", data.ptr, data.size) < 0) {
		*status = STRATA_SIG_BAD;
		snprintf(signer, signersz, "%s", strata_error_last());
	} else if (strata_node_trusted(n, &pk, signer, signersz)) {
		*status = STRATA_SIG_GOOD;
	} else {
		strata_buf line = STRATA_BUF_INIT;
		*status = STRATA_SIG_UNTRUSTED;
		if (strata_pubkey_format(&line, &pk) == 0)
			snprintf(signer, signersz, "%s", line.ptr);
		strata_buf_dispose(&line);
	}
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return 0;
}

int strata_commit_trailer(const git_commit *c, const char *key, char *out, size_t outsz)
{
	git_message_trailer_array tr = { 0 };
	int found = 0;

	if (outsz)
		out[0] = '\0';
	if (git_message_trailers(&tr, git_commit_message(c)) == 0) {
		for (size_t i = 0; i < tr.count; i++)
			if (!strcmp(tr.trailers[i].key, key)) {
				snprintf(out, outsz, "%s", tr.trailers[i].value);
				found = 1;
			}
		git_message_trailer_array_free(&tr);
	}
	git_error_clear();
	return found;
}

typedef struct {
	strata_node *n;
	const git_oid *ids;
	size_t count, part, nparts;
	strata_check_result *results;
	int error;
	char errmsg[256];
} check_worker;

static void *check_main(void *arg)
{
	check_worker *w = arg;
	git_repository *repo = NULL;

	if (git_repository_open_bare(&repo, git_repository_path(w->n->repo)) < 0) {
		w->error = strata_error_git("cannot open the repository");
	} else {
		for (size_t i = w->part; i < w->count && !w->error; i += w->nparts)
			w->error = strata_commit_check_in(&w->results[i].status, w->results[i].signer,
							  sizeof(w->results[i].signer), w->n, repo, &w->ids[i]);
	}
	if (w->error)
		snprintf(w->errmsg, sizeof(w->errmsg), "%s", strata_error_last());
	git_repository_free(repo);
	return NULL;
}

int strata_commit_check_many(strata_node *n, const git_oid *ids, size_t count, strata_check_result *results)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = cores < 1 ? 1 : cores > 16 ? 16 : (size_t)cores, started = 0;
	check_worker w[16];
	pthread_t th[16];
	strata_pubkey none;
	char name[8];
	int error = 0;

	if (count < 64)
		nthreads = 1;
	memset(&none, 0, sizeof(none));
	strata_node_trusted(n, &none, name, sizeof(name));	/* load the keys before the threads share them */
	for (size_t i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].n = n;
		w[i].ids = ids;
		w[i].count = count;
		w[i].part = i;
		w[i].nparts = nthreads;
		w[i].results = results;
	}
	for (; started < nthreads; started++)
		if (pthread_create(&th[started], NULL, check_main, &w[started]) != 0) {
			error = strata_error_set("cannot start a verification thread");
			break;
		}
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (size_t i = 0; i < started && !error; i++)
		if (w[i].error)
			error = strata_error_set("%s", w[i].errmsg);
	return error;
}

typedef struct {
	git_oid id, child;
	int has_child;
} walk_item;

int strata_commits_reachable(git_repository *repo, const char *glob, git_oid **ids, size_t *count,
			     strata_missing_cb cb, void *payload)
{
	strata_oidset seen = STRATA_OIDSET_INIT;
	walk_item *stack = NULL;
	size_t top = 0, salloc = 0, alloc = 0;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	git_oid *out = NULL;
	int error = 0;

	*ids = NULL;
	*count = 0;
#define PUSH(oid, ch) do { \
		if (top == salloc) { \
			walk_item *q = realloc(stack, (salloc = salloc ? 2 * salloc : 256) * sizeof(*q)); \
			if (!q) { error = strata_error_set("out of memory"); goto done; } \
			stack = q; \
		} \
		stack[top].id = *(oid); \
		stack[top].has_child = (ch) != NULL; \
		if (ch) stack[top].child = *(const git_oid *)(ch); \
		top++; \
	} while (0)
	if (git_reference_iterator_glob_new(&it, repo, glob) < 0) {
		error = strata_error_git("cannot list refs");
		goto done;
	}
	while (git_reference_next(&ref, it) == 0) {
		const git_oid *t = git_reference_target(ref);
		if (t)
			PUSH(t, (const git_oid *)NULL);
		git_reference_free(ref);
	}
	while (top > 0) {
		walk_item w = stack[--top];
		git_commit *c = NULL;
		int rc = strata_oidset_add(&seen, &w.id);
		if (rc < 0) {
			error = rc;
			goto done;
		}
		if (rc == 0)
			continue;
		if (git_commit_lookup(&c, repo, &w.id) < 0) {
			git_error_clear();
			if (cb)
				cb(&w.id, w.has_child ? &w.child : NULL, payload);
			continue;
		}
		if (*count == alloc) {
			git_oid *q = realloc(out, (alloc = alloc ? 2 * alloc : 1024) * sizeof(*q));
			if (!q) {
				git_commit_free(c);
				error = strata_error_set("out of memory");
				goto done;
			}
			out = q;
		}
		out[(*count)++] = w.id;
		for (unsigned i = 0; i < git_commit_parentcount(c); i++)
			PUSH(git_commit_parent_id(c, i), &w.id);
		git_commit_free(c);
	}
#undef PUSH
	*ids = out;
	out = NULL;
done:
	free(out);
	free(stack);
	git_reference_iterator_free(it);
	strata_oidset_dispose(&seen);
	if (error)
		*count = 0;
	return error;
}
