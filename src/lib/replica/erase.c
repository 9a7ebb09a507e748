/*
 * erase.c - see erase.h.
 */
#include "strata/replica/erase.h"
#include "strata/replica/provenance.h"
#include "strata/policy/view.h"
#include "strata/node/audit.h"
#include "strata/node/change.h"
#include "strata/node/commit.h"
#include "strata/node/journal.h"
#include "strata/node/prune.h"
#include "strata/node/refs.h"
#include "strata/node/peers.h"
#include "strata/replica/link.h"
#include "strata/format/pack.h"
#include "strata/format/schema.h"
#include "strata/format/trie.h"
#include "strata/base/array.h"
#include "strata/base/enc.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct keyed {
	const strata_schema *s;
};

static int line_hash(unsigned char *hash, const char *line, size_t len, void *payload)
{
	const struct keyed *k = payload;
	return strata_trie_line_keyhash(hash, line, len, k->s->key, k->s->nkey);
}

static void count_views(const strata_view_result *r, void *payload)
{
	strata_erase_result *res = payload;
	res->views_cut += r->cut;
}

int strata_erase(strata_node *n, const char *dataset, char *const *keys, size_t nkeys, const char *reason,
		 strata_erase_result *res)
{
	strata_buf ref = STRATA_BUF_INIT, found = STRATA_BUF_INIT, msg = STRATA_BUF_INIT, tr = STRATA_BUF_INIT,
		   event = STRATA_BUF_INIT, idin = STRATA_BUF_INIT;
	unsigned char hash[STRATA_HASH_LEN], digest[32];
	char hashhex[2 * STRATA_HASH_LEN + 1], digesthex[65], records[32] = "0";
	git_commit *tip = NULL;
	git_tree *root = NULL, *recs = NULL, *newroot = NULL;
	const git_tree_entry *e;
	strata_schema *s = NULL;
	strata_packw *w = NULL;
	strata_prune_result pr;
	git_oid recs_id, root_id, commit;
	int versions, error;

	memset(res, 0, sizeof(*res));
	if (reason && strpbrk(reason, "\r\n"))
		return strata_error_set("--reason must be one line");
	if (strchr(dataset, '/'))	/* a received dataset's name */
		return strata_error_setc(STRATA_ENOTFOUND, "'%s' is received data: a record is erased by the node that owns "
					 "it, and the erasure reaches the copies from there", dataset);
	if ((error = strata_refs_dataset(&ref, dataset)) < 0)
		goto done;
	if ((error = strata_journal_lock(n)) < 0 || (error = strata_node_load_key(n)) < 0)
		goto done;
	if (git_reference_name_to_id(&commit, strata_node_repo(n), ref.ptr) < 0) {
		git_error_clear();
		error = strata_error_setc(STRATA_ENOTFOUND, "no own dataset '%s' on node '%s': a record is erased by the "
					  "node that owns it, and the erasure reaches the copies from there",
					  dataset, strata_node_name(n));
		goto done;
	}
	if (git_commit_lookup(&tip, strata_node_repo(n), &commit) < 0 || git_commit_tree(&root, tip) < 0) {
		error = strata_error_git("cannot read the dataset");
		goto done;
	}
	if ((error = strata_schema_load(&s, strata_node_repo(n), root)) < 0)
		goto done;
	if (nkeys != s->nkey) {
		error = strata_error_set("dataset '%s' is keyed by %zu field%s, and %zu value%s were given", dataset, s->nkey,
					 s->nkey == 1 ? "" : "s", nkeys, nkeys == 1 ? "" : "s");
		goto done;
	}
	if ((error = strata_provenance_key_from_args(hash, keys, nkeys)) < 0)
		goto done;
	if ((versions = strata_provenance_history(n, ref.ptr, hash, NULL, NULL)) < 0) {
		error = versions;
		goto done;
	}
	if (versions == 0) {
		error = strata_error_setc(STRATA_ENOTFOUND, "no version of dataset '%s' holds a record with that key", dataset);
		goto done;
	}
	res->versions = (size_t)versions;
	if ((res->in_present = strata_provenance_lookup(&found, strata_node_repo(n), root, s, hash)) < 0) {
		error = res->in_present;
		goto done;
	}
	/* the present state without it: the trie's own delete, so the tree is the one a full import gives */
	if ((e = git_tree_entry_byname(root, "records")) == NULL || git_tree_lookup(&recs, strata_node_repo(n), git_tree_entry_id(e)) < 0) {
		error = strata_error_git("cannot read the dataset's records");
		goto done;
	}
	{
		struct keyed k = { s };
		strata_trie_item del = { { 0 }, 0, STRATA_TRIE_DELETE, 0, "" };
		strata_trie_counts counts;
		memcpy(del.hash, hash, sizeof(hash));
		if ((error = strata_pack_writer_new(&w, strata_node_repo(n), 3)) < 0 ||
		    (error = strata_trie_apply(w, strata_node_repo(n), recs, &del, res->in_present ? 1 : 0, line_hash, &k,
					       &counts, &recs_id)) < 0 ||
		    (error = strata_schema_write_root(w, s, &recs_id, &root_id)) < 0 ||
		    (error = strata_pack_writer_commit(w)) < 0)
			goto done;
	}
	if (git_tree_lookup(&newroot, strata_node_repo(n), &root_id) < 0) {
		error = strata_error_git("cannot read the new tree");
		goto done;
	}
	/* the erasure's id: says which, reveals nothing of the record */
	strata_enc_hex(hashhex, hash, sizeof(hash));
	if ((error = strata_buf_printf(&idin, "%s\n%s\n%s\n%lld", strata_node_name(n), dataset, hashhex,
				       (long long)time(NULL))) < 0)
		goto done;
	EVP_Digest(idin.ptr, idin.len, digest, NULL, EVP_sha256(), NULL);
	strata_enc_hex(digesthex, digest, sizeof(digest));
	memcpy(res->erasure, digesthex, 16);
	res->erasure[16] = '\0';
	strata_commit_trailer(tip, "Strata-Records", records, sizeof(records));
	if ((error = strata_buf_printf(&msg, "%s: history cut, one record erased\n\n"
				       "The dataset as it is, without the record; what came before is gone.\n\n"
				       "Strata-Dataset: %s\nStrata-Node: %s\nStrata-Tier: %s\nStrata-Records: %lld\nStrata-Cut: %s\n",
				       dataset, dataset, strata_node_name(n), strata_node_tier(n),
				       strtoll(records, NULL, 10) - (res->in_present ? 1 : 0), res->erasure)) < 0 ||
	    (error = strata_commit_create(&commit, n, newroot, NULL, msg.ptr)) < 0)
		goto done;
	/* the ref and its audit event together (change.h); the key only as its hash, and only here */
	if ((error = strata_buf_printf(&tr, "Strata-Erasure: %s\nStrata-Dataset: %s\nStrata-Key-Hash: %s\n"
				       "Strata-Reason: %s\nStrata-Versions: %zu\n", res->erasure, dataset, hashhex,
				       reason && reason[0] ? reason : "(none given)", res->versions)) < 0 ||
	    (error = strata_buf_printf(&event, "record erased from %s and its history (erasure %s)", dataset, res->erasure)) < 0)
		goto done;
	{
		strata_journal_ref jr = { ref.ptr, 1, *git_commit_id(tip), commit };
		strata_change ch = { "erase", ref.ptr, &jr, 1, NULL, event.ptr, tr.ptr };
		if ((error = strata_change_ref(n, &ch, "strata erase")) < 0)
			goto done;
	}
	if ((error = strata_refs_reflog_reset(n, ref.ptr)) < 0)
		goto done;
	/* every view built from it, cut; then nothing old stays in the store */
	if ((error = strata_view_build(n, NULL, 0, count_views, res)) < 0 || (error = strata_prune(n, &pr)) < 0)
		goto done;
	res->objects_kept = pr.objects;
done:
	strata_pack_writer_free(w);
	git_tree_free(newroot);
	git_tree_free(recs);
	git_tree_free(root);
	git_commit_free(tip);
	strata_schema_free(s);
	strata_buf_dispose_secret(&found);
	strata_buf_dispose(&ref);
	strata_buf_dispose(&msg);
	strata_buf_dispose(&tr);
	strata_buf_dispose(&event);
	strata_buf_dispose(&idin);
	return error;
}

/* --- what the peers have confirmed --- */

/* The root of a commit's first-parent line, and its Strata-Cut ("" if none). */
static int root_cut(git_repository *repo, const git_oid *tip, git_oid *root, char *cut, size_t cutsz)
{
	git_commit *c = NULL, *p = NULL;
	int error = 0;

	cut[0] = '\0';
	if (git_commit_lookup(&c, repo, tip) < 0) {
		git_error_clear();
		return 0;
	}
	while (git_commit_parentcount(c) > 0) {
		if (git_commit_parent(&p, c, 0) < 0) {
			git_error_clear();
			break;	/* a history cut below: what is here is all there is */
		}
		git_commit_free(c);
		c = p;
	}
	git_oid_cpy(root, git_commit_id(c));
	if (!strata_commit_trailer(c, "Strata-Cut", cut, cutsz))
		cut[0] = '\0';
	git_commit_free(c);
	return error;
}

struct erasures_walk {
	strata_node *n;
	const char *peer;
	const strata_link *l;
	strata_erasure_cb cb;
	void *payload;
	int pending;
};

static int erasure_view(const char *name, const git_oid *commit, void *payload)
{
	struct erasures_walk *w = payload;
	git_repository *repo = strata_node_repo(w->n);
	strata_erasure_row row = { NULL, w->peer, name, 0, w->l->acked.time, NULL };
	git_oid root;
	char cut[80];
	int error;

	root_cut(repo, commit, &root, cut, sizeof(cut));
	if (!cut[0])
		return 0;
	for (size_t i = 0; i < w->l->acked.nrefs; i++) {
		const git_oid *has = &w->l->acked.refs[i].commit;
		if (strcmp(w->l->acked.refs[i].name, name))
			continue;
		row.confirmed = strata_commit_descends(repo, has, &root);
	}
	row.erasure = cut;
	w->pending += !row.confirmed;
	if (w->cb && (error = w->cb(&row, w->payload)) != 0)
		return error;
	/* what the peer told of the nodes below it: only once it holds the cut itself, else it is old news */
	for (size_t i = 0; row.confirmed && i < w->l->acked.nbelow; i++) {
		const strata_link_erasure *e = &w->l->acked.below[i];
		strata_erasure_row below = { cut, e->node, NULL, e->confirmed, e->time, e->via };
		if (strcmp(e->cut, cut) || !strcmp(e->node, strata_node_name(w->n)))
			continue;
		w->pending += !e->confirmed;
		if (w->cb && (error = w->cb(&below, w->payload)) != 0)
			return error;
	}
	return 0;
}

int strata_erasures(strata_node *n, strata_erasure_cb cb, void *payload)
{
	char **peers = NULL;
	size_t npeers = 0;
	struct erasures_walk w = { n, NULL, NULL, cb, payload, 0 };
	int error;

	if ((error = strata_peers_list(&peers, &npeers, n)) < 0)
		return error;
	for (size_t i = 0; !error && i < npeers; i++) {
		strata_link l;
		if ((error = strata_link_load(&l, n, peers[i])) < 0)
			break;
		w.peer = peers[i];
		w.l = &l;
		error = strata_link_foreach_view(n, peers[i], 0, erasure_view, &w);
		strata_link_dispose(&l);
	}
	strata_peers_list_free(peers);
	return error < 0 ? error : w.pending;
}

/* --- what this node tells its sender --- */

struct state_walk {
	strata_node *n;
	const char *peer;
	char (*cuts)[17];	/* the cuts the views received from `peer` stand on */
	size_t ncuts, alloc;
	strata_link_erasure *lines;
	size_t nlines, lalloc;
};

static int received_cut(const char *name, const git_oid *commit, void *payload)
{
	struct state_walk *w = payload;
	git_oid root;
	char cut[80];

	(void)name;
	root_cut(strata_node_repo(w->n), commit, &root, cut, sizeof(cut));
	if (!cut[0] || strlen(cut) > 16)
		return 0;
	for (size_t i = 0; i < w->ncuts; i++)
		if (!strcmp(w->cuts[i], cut))
			return 0;
	if (strata_array_grow(&w->cuts, &w->alloc, w->ncuts + 1, 8) < 0)
		return STRATA_ERROR;
	snprintf(w->cuts[w->ncuts++], sizeof(*w->cuts), "%s", cut);
	return 0;
}

/* One line per (cut, node, via): a node with several views is confirmed once all of them are. */
static int state_row(const strata_erasure_row *r, void *payload)
{
	struct state_walk *w = payload;
	const char *via = r->via ? r->via : strata_node_name(w->n);
	size_t i;

	if (!strcmp(r->peer, w->peer))
		return 0;
	for (i = 0; i < w->ncuts && strcmp(w->cuts[i], r->erasure); i++)
		;
	if (i == w->ncuts)
		return 0;
	for (i = 0; i < w->nlines; i++) {
		strata_link_erasure *e = &w->lines[i];
		if (!strcmp(e->cut, r->erasure) && !strcmp(e->node, r->peer) && !strcmp(e->via, via)) {
			e->confirmed = e->confirmed && r->confirmed;
			if (r->confirmed_at > e->time)
				e->time = r->confirmed_at;
			return 0;
		}
	}
	if (strata_array_grow(&w->lines, &w->lalloc, w->nlines + 1, 8) < 0)
		return STRATA_ERROR;
	memset(&w->lines[w->nlines], 0, sizeof(*w->lines));
	snprintf(w->lines[w->nlines].cut, sizeof(w->lines->cut), "%s", r->erasure);
	snprintf(w->lines[w->nlines].node, sizeof(w->lines->node), "%s", r->peer);
	snprintf(w->lines[w->nlines].via, sizeof(w->lines->via), "%s", via);
	w->lines[w->nlines].confirmed = r->confirmed;
	w->lines[w->nlines].time = r->confirmed ? r->confirmed_at : 0;
	w->nlines++;
	return 0;
}

int strata_erasure_state(strata_buf *out, strata_node *n, const char *peer)
{
	struct state_walk w = { n, peer, NULL, 0, 0, NULL, 0, 0 };
	int error;

	if ((error = strata_link_state_format(out, n, peer)) < 0 ||
	    (error = strata_link_foreach_view(n, peer, 1, received_cut, &w)) < 0)
		goto done;
	if (w.ncuts && (error = strata_erasures(n, state_row, &w)) < 0)
		goto done;
	error = 0;
	for (size_t i = 0; !error && i < w.nlines; i++)
		error = strata_buf_printf(out, "erasure %s %s %s %s %lld\n", w.lines[i].cut, w.lines[i].node, w.lines[i].via,
					  w.lines[i].confirmed ? "confirmed" : "pending", (long long)w.lines[i].time);
done:
	free(w.cuts);
	free(w.lines);
	return error;
}
