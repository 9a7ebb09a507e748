/*
 * erase.c - see erase.h.
 */
#include "strata/replica/erase.h"
#include "strata/base/i18n.h"
#include "strata/replica/provenance.h"
#include "strata/policy/view.h"
#include "strata/node/audit.h"
#include "strata/node/change.h"
#include "strata/node/commit.h"
#include "strata/node/journal.h"
#include "strata/node/ledger.h"
#include "strata/node/prune.h"
#include "strata/node/refs.h"
#include "strata/node/peers.h"
#include "strata/replica/link.h"
#include "strata/replica/process.h"
#include "strata/format/pack.h"
#include "strata/format/schema.h"
#include "strata/format/trie.h"
#include "strata/base/array.h"
#include "strata/base/enc.h"
#include "strata/base/digest.h"
#include "strata/base/time.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
		   event = STRATA_BUF_INIT, header = STRATA_BUF_INIT;
	unsigned char hash[STRATA_HASH_LEN];
	char tokhex[STRATA_TOKEN_HEX + 1], records[32] = "0";
	strata_hmac_key tk;
	int have_tk = 0;
	strata_token token;
	git_oid erased_set, ledger, prev_erased;
	git_commit *tip = NULL;
	git_tree *root = NULL, *recs = NULL, *newroot = NULL;
	const git_tree_entry *e;
	strata_schema *s = NULL;
	strata_packw *w = NULL;
	strata_prune_result pr;
	git_oid recs_id, root_id, commit;
	int versions, error, rc;

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
	/* an erasure a crash interrupted is completed before anything is judged (the record may be in none now) */
	if ((error = strata_view_settle_interrupted(n)) < 0)
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
	/*
	 * The erasure's id is random: it travels to every tier and must say
	 * nothing of whom it erased (a digest of the key, however salted with
	 * what a recipient can know, is a dictionary away from the key).  The
	 * key is named only here, by its token under the record key that never
	 * leaves this node, so this node alone can answer "was this key erased".
	 */
	if ((error = strata_ledger_cut_id(res->erasure)) < 0 || (error = strata_ledger_key(&tk, n, 1)) < 0)
		goto done;
	have_tk = 1;
	if ((error = strata_ledger_token(&token, &tk, hash)) < 0)
		goto done;
	strata_ledger_token_hex(tokhex, token);
	strata_commit_trailer(tip, "Strata-Records", records, sizeof(records));
	if ((error = strata_buf_printf(&msg, "%s: history cut, one record erased\n\n"
				       "The dataset as it is, without the record; what came before is gone.\n\n"
				       "Strata-Dataset: %s\nStrata-Node: %s\nStrata-Tier: %s\nStrata-Records: %lld\nStrata-Cut: %s\n"
				       "Strata-Cut-Kind: erasure\n",
				       dataset, dataset, strata_node_name(n), strata_node_tier(n),
				       strtoll(records, NULL, 10) - (res->in_present ? 1 : 0), res->erasure)) < 0 ||
	    (error = strata_commit_create(&commit, n, newroot, NULL, msg.ptr)) < 0)
		goto done;
	/* the ledger: the key among those erased, and the cut with its reason (ledger.h) */
	{
		strata_packw *lw = NULL;
		strata_token add[1] = { token };
		const git_oid *old = NULL;
		if ((rc = strata_ledger_get(&prev_erased, n, NULL, "ledger/erased")) == 0)
			old = &prev_erased;
		else if (rc != STRATA_ENOTFOUND) {
			error = rc;
			goto done;
		}
		if ((error = strata_pack_writer_new(&lw, strata_node_repo(n), 3)) == 0 &&
		    (error = strata_ledger_set_apply(&erased_set, lw, strata_node_repo(n), old, add, 1, NULL, 0)) == 0)
			error = strata_pack_writer_commit(lw);
		strata_pack_writer_free(lw);
		if (error < 0)
			goto done;
	}
	if ((error = strata_ledger_put(&ledger, n, NULL, "ledger/erased", &erased_set, GIT_FILEMODE_TREE)) < 0 ||
	    (error = strata_buf_printf(&header, "cut %s\nkind erasure\ntime %lld\ndataset %s\nreason %s\ntoken %s\n",
				       res->erasure, (long long)strata_time_now(), dataset,
				       reason && reason[0] ? reason : "(none given)", tokhex)) < 0 ||
	    (error = strata_ledger_cut_note(&ledger, n, &ledger, res->erasure, header.ptr, "")) < 0)
		goto done;
	/* the ref and its audit event together (change.h); the key only as its token, and only here */
	if ((error = strata_buf_printf(&tr, "Strata-Erasure: %s\nStrata-Cut-Kind: erasure\nStrata-Dataset: %s\n"
				       "Strata-Key-Token: %s\nStrata-Reason: %s\nStrata-Versions: %zu\n", res->erasure, dataset,
				       tokhex, reason && reason[0] ? reason : "(none given)", res->versions)) < 0 ||
	    (error = strata_buf_printf(&event, "record erased from %s and its history (erasure %s)", dataset, res->erasure)) < 0)
		goto done;
	/*
	 * The cut is owed from before its ref moves until the store is pruned
	 * (journal.h): a kill anywhere between leaves the debt, and the next
	 * writer pays it, so no object keeps the person.
	 */
	if ((error = strata_journal_owe_cut(n, event.ptr)) < 0)
		goto done;
	{
		strata_journal_ref jr = { ref.ptr, 1, *git_commit_id(tip), commit };
		strata_change ch = { "erase", ref.ptr, &jr, 1, NULL, event.ptr, tr.ptr, &ledger };
		if ((error = strata_change_ref(n, &ch, "strata erase")) < 0) {
			/* undone (a full disk): nothing was cut, so nothing is owed */
			git_oid now;
			if (git_reference_name_to_id(&now, strata_node_repo(n), ref.ptr) == 0 && git_oid_equal(&now, git_commit_id(tip)))
				strata_journal_cut_paid(n);
			git_error_clear();
			goto done;
		}
	}
	/* the reflogs reset, every view built from it cut, then nothing old stays in the store */
	if ((error = strata_view_settle(n, count_views, res, &pr)) < 0) {
		strata_error_set("the record is erased (its audit event is in), but finishing the cut failed: %s; the next "
				 "command that changes this node, or 'strata doctor --repair', finishes it", strata_error_last());
		goto done;
	}
	error = 0;
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
	strata_buf_dispose(&header);
	if (have_tk)
		strata_hmac_key_dispose(&tk);
	return error;
}

/* --- the cuts this node made or passed on, from the ledger (ledger.h) --- */

/* The root of a commit's first-parent line, and its Strata-Cut ("" if none). */
static void root_cut(git_repository *repo, const git_oid *tip, git_oid *root, char *cut, size_t cutsz)
{
	git_commit *c = NULL, *p = NULL;

	cut[0] = '\0';
	if (git_commit_lookup(&c, repo, tip) < 0) {
		git_error_clear();
		return;
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
}

/*
 * Whether `peer` holds the cut of `view` whose root is `root`, as it last
 * confirmed (its receipt, or its word over TLS): the commit it holds is
 * the root or after it, or after a later cut of the same view (which
 * holds none of what the earlier one removed).
 */
static int holds_cut(strata_node *n, const strata_link *l, const char *peer, const char *view, const git_oid *root)
{
	git_repository *repo = strata_node_repo(n);
	strata_buf ref = STRATA_BUF_INIT;
	git_oid tip, now_root;
	char cut[80];
	int held = 0;

	for (size_t i = 0; !held && i < l->acked.nrefs; i++) {
		const git_oid *has = &l->acked.refs[i].commit;
		if (strcmp(l->acked.refs[i].name, view))
			continue;
		held = strata_commit_descends(repo, has, root);
		if (!held && strata_buf_printf(&ref, "%s%s/%s", STRATA_REF_VIEWS, peer, view) == 0 &&
		    git_reference_name_to_id(&tip, repo, ref.ptr) == 0) {
			root_cut(repo, &tip, &now_root, cut, sizeof(cut));
			held = cut[0] && !git_oid_equal(&now_root, root) && strata_commit_descends(repo, has, &now_root);
		}
		git_error_clear();
	}
	strata_buf_dispose(&ref);
	return held;
}

/* The rows of one cut record (strata_erasures' order: each view, then the nodes below its recipient). */
static int cut_rows(strata_node *n, const strata_cut_record *c, strata_erasure_cb cb, void *payload, int *pending)
{
	int error = 0;

	if (c->nviews == 0 && cb) {
		/* cut before any view was built from it: nobody to confirm, but the cut is on record */
		strata_erasure_row row;
		memset(&row, 0, sizeof(row));
		row.erasure = c->id;
		row.kind = c->kind;
		row.cut_time = c->time;
		row.dataset = c->dataset;
		row.reason = c->reason[0] ? c->reason : NULL;
		row.peer = "";
		row.no_recipient = 1;
		row.reimported = c->reimported;
		row.reimported_why = c->reimported ? c->reimported_why : NULL;
		return cb(&row, payload);
	}

	for (size_t i = 0; !error && i < c->nviews; i++) {
		const strata_cut_view *v = &c->views[i];
		strata_erasure_row row;
		strata_link l;
		int later = 0;
		/* a view cut twice for the same cut (a retry): its latest root */
		for (size_t k = i + 1; k < c->nviews; k++)
			later |= !strcmp(c->views[k].peer, v->peer) && !strcmp(c->views[k].view, v->view);
		if (later)
			continue;
		memset(&row, 0, sizeof(row));
		row.erasure = c->id;
		row.kind = c->kind;
		row.cut_time = c->time;
		row.dataset = c->dataset;
		row.reason = c->reason[0] ? c->reason : NULL;
		row.reimported = c->reimported;
		row.reimported_why = c->reimported ? c->reimported_why : NULL;
		row.peer = v->peer;
		row.view = v->view;
		for (size_t k = 0; k < c->nconfs; k++)
			if (!strcmp(c->confs[k].peer, v->peer) && !strcmp(c->confs[k].view, v->view)) {
				row.confirmed = row.recorded = 1;
				row.confirmed_at = c->confs[k].time;
			}
		if ((error = strata_link_load(&l, n, v->peer)) < 0)
			break;
		if (!row.confirmed && holds_cut(n, &l, v->peer, v->view, &v->commit)) {
			row.confirmed = 1;
			row.confirmed_at = l.acked.time;
		}
		*pending += !row.confirmed;
		/*
		 * Pending longer than a round: the peer confirmed the last parcel
		 * sent to it, sent after the cut, and still does not hold the cut
		 * (it did not apply it); or a day went by without a word.
		 */
		if (!row.confirmed && l.out.sequence && l.acked.sequence >= l.out.sequence && l.out.time >= v->time)
			row.overdue = _("the recipient confirmed the parcel that carried the cut, and does not hold it");
		else if (!row.confirmed && strata_time_now() - v->time > STRATA_ERASURE_PATIENCE)
			row.overdue = _("not confirmed for more than a day");
		if (cb && (error = cb(&row, payload)) != 0) {
			strata_link_dispose(&l);
			break;
		}
		/* the nodes below: as recorded, then what the peer's last word adds (only once it holds the cut itself) */
		for (size_t k = 0; !error && row.confirmed && k < c->nbelow + l.acked.nbelow; k++) {
			strata_erasure_row below = row;
			int dup = 0;
			below.view = NULL;
			if (k < c->nbelow) {
				below.peer = c->below[k].node;
				below.via = c->below[k].via;
				below.confirmed = below.recorded = 1;
				below.confirmed_at = c->below[k].time;
				for (size_t j = k + 1; j < c->nbelow; j++)
					dup |= !strcmp(c->below[j].node, below.peer) && !strcmp(c->below[j].via, below.via);
			} else {
				const strata_link_erasure *e = &l.acked.below[k - c->nbelow];
				if (strcmp(e->cut, c->id) || !strcmp(e->node, strata_node_name(n)))
					continue;
				for (size_t j = 0; j < c->nbelow; j++)
					dup |= !strcmp(c->below[j].node, e->node) && !strcmp(c->below[j].via, e->via);
				below.peer = e->node;
				below.via = e->via;
				below.confirmed = e->confirmed;
				below.confirmed_at = e->time;
				below.recorded = 0;
			}
			if (dup)
				continue;
			*pending += !below.confirmed;
			if (cb)
				error = cb(&below, payload);
		}
		strata_link_dispose(&l);
	}
	return error;
}

/* --- views cut before the ledger kept their cuts: read from the views themselves --- */

struct erasures_walk {
	strata_node *n;
	const char *peer;
	const strata_link *l;
	const strata_cut_record *cuts;
	size_t ncuts;
	strata_erasure_cb cb;
	void *payload;
	int pending;
};

static int erasure_view(const char *name, const git_oid *commit, void *payload)
{
	struct erasures_walk *w = payload;
	git_repository *repo = strata_node_repo(w->n);
	strata_erasure_row row;
	git_oid root;
	char cut[80];
	int error;

	root_cut(repo, commit, &root, cut, sizeof(cut));
	if (!cut[0])
		return 0;
	for (size_t i = 0; i < w->ncuts; i++)
		if (!strcmp(w->cuts[i].id, cut))
			return 0;	/* the ledger has it */
	memset(&row, 0, sizeof(row));
	row.erasure = cut;
	row.kind = "erasure";
	row.peer = w->peer;
	row.view = name;
	row.confirmed_at = w->l->acked.time;
	row.confirmed = holds_cut(w->n, w->l, w->peer, name, &root);
	w->pending += !row.confirmed;
	if (w->cb && (error = w->cb(&row, w->payload)) != 0)
		return error;
	for (size_t i = 0; row.confirmed && i < w->l->acked.nbelow; i++) {
		const strata_link_erasure *e = &w->l->acked.below[i];
		strata_erasure_row below = row;
		if (strcmp(e->cut, cut) || !strcmp(e->node, strata_node_name(w->n)))
			continue;
		below.peer = e->node;
		below.view = NULL;
		below.confirmed = e->confirmed;
		below.confirmed_at = e->time;
		below.via = e->via;
		w->pending += !e->confirmed;
		if (w->cb && (error = w->cb(&below, w->payload)) != 0)
			return error;
	}
	return 0;
}

int strata_erasures(strata_node *n, strata_erasure_cb cb, void *payload)
{
	char **peers = NULL;
	size_t npeers = 0, ncuts = 0;
	strata_cut_record *cuts = NULL;
	struct erasures_walk w;
	int error, pending = 0;

	if ((error = strata_ledger_cuts(&cuts, &ncuts, n)) < 0)
		return error;
	for (size_t i = 0; !error && i < ncuts; i++)
		error = cut_rows(n, &cuts[i], cb, payload, &pending);
	memset(&w, 0, sizeof(w));
	w.n = n;
	w.cuts = cuts;
	w.ncuts = ncuts;
	w.cb = cb;
	w.payload = payload;
	if (!error)
		error = strata_peers_list(&peers, &npeers, n);
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
	strata_ledger_cuts_free(cuts, ncuts);
	return error < 0 ? error : pending + w.pending;
}

/* --- confirmations kept --- */

struct note_walk {
	const char *peer;
	const char *cut;
	const char *receipt;	/* its id in the ledger, or "" */
	strata_buf lines;
	size_t confirmed;
};

/*
 * A confirmation seen now, not yet in the ledger: kept there, so that
 * it outlives the link state it was read from (a later cut, a peer
 * removed) and is signed with the audit log.
 */
static int note_row(const strata_erasure_row *r, void *payload)
{
	struct note_walk *w = payload;

	if (!r->confirmed || strcmp(r->erasure, w->cut))
		return 0;
	if (r->view && !strcmp(r->peer, w->peer) && !r->recorded) {
		w->confirmed++;
		return strata_buf_printf(&w->lines, "confirmed %s %s %lld%s%s\n", r->peer, r->view, (long long)r->confirmed_at,
					 w->receipt[0] ? " receipt " : "", w->receipt);
	}
	if (!r->view && r->via && !r->recorded) {
		w->confirmed++;
		return strata_buf_printf(&w->lines, "below %s %s %lld%s%s\n", r->peer, r->via, (long long)r->confirmed_at,
					 w->receipt[0] && !strcmp(r->via, w->peer) ? " receipt " : "",
					 w->receipt[0] && !strcmp(r->via, w->peer) ? w->receipt : "");
	}
	return 0;
}

int strata_erasures_note(strata_node *n, const char *peer, const char *receipt, size_t len)
{
	strata_cut_record *cuts = NULL;
	size_t ncuts = 0, total = 0;
	strata_buf tr = STRATA_BUF_INIT, subject = STRATA_BUF_INIT, rpath = STRATA_BUF_INIT;
	char rid[17] = "";
	git_oid ledger;
	int have = 0, error, pending = 0;

	if (receipt) {
		unsigned char h[32];
		char hex[65];
		strata_digest_sha256(h, receipt, len);
		strata_enc_hex(hex, h, sizeof(h));
		snprintf(rid, sizeof(rid), "%.16s", hex);
	}
	if ((error = strata_ledger_cuts(&cuts, &ncuts, n)) < 0)
		return error;
	for (size_t i = 0; !error && i < ncuts; i++) {
		struct note_walk w = { peer, cuts[i].id, rid, STRATA_BUF_INIT, 0 };
		int mine = 0;
		for (size_t k = 0; k < cuts[i].nviews; k++)
			mine |= !strcmp(cuts[i].views[k].peer, peer);
		if (!mine)
			continue;
		if ((error = cut_rows(n, &cuts[i], note_row, &w, &pending)) == 0 && w.confirmed) {
			if ((error = strata_ledger_cut_note(&ledger, n, have ? &ledger : NULL, cuts[i].id, NULL, w.lines.ptr)) == 0)
				error = strata_buf_printf(&tr, "Strata-Confirmed: %s %zu\n", cuts[i].id, w.confirmed);
			have = 1;
			total += w.confirmed;
		}
		strata_buf_dispose(&w.lines);
	}
	/* the receipt they come from, beside them: the peer's own signature on what it holds */
	if (!error && have && rid[0] && (error = strata_buf_printf(&rpath, "ledger/receipts/%s/%s", peer, rid)) == 0 &&
	    (error = strata_ledger_put_text(&ledger, n, &ledger, rpath.ptr, receipt, len)) == 0)
		error = strata_buf_printf(&tr, "Strata-Receipt: %s\n", rid);
	if (!error && have &&
	    (error = strata_buf_printf(&subject, "%zu erasure confirmation%s from %s kept in the ledger", total,
				       total == 1 ? "" : "s", peer)) == 0)
		error = strata_audit_append_tree(n, "erasure-confirmed", subject.ptr, tr.ptr, &ledger);
	strata_ledger_cuts_free(cuts, ncuts);
	strata_buf_dispose(&tr);
	strata_buf_dispose(&subject);
	strata_buf_dispose(&rpath);
	return error;
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

static int add_cut(struct state_walk *w, const char *cut)
{
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

static int received_cut(const char *name, const git_oid *commit, void *payload)
{
	struct state_walk *w = payload;
	git_oid root;
	char cut[80];

	(void)name;
	root_cut(strata_node_repo(w->n), commit, &root, cut, sizeof(cut));
	return add_cut(w, cut);
}
/* One line per (cut, node, via): a node with several views is confirmed once all of them are. */
static int state_row(const strata_erasure_row *r, void *payload)
{
	struct state_walk *w = payload;
	const char *via = r->via ? r->via : strata_node_name(w->n);
	size_t i;

	if (r->no_recipient)
		return 0;

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
	{
		/* and every cut the ledger says came from it, though a later one replaced its root since */
		strata_cut_record *cuts = NULL;
		size_t ncuts = 0;
		if ((error = strata_ledger_cuts(&cuts, &ncuts, n)) < 0)
			goto done;
		for (size_t i = 0; !error && i < ncuts; i++)
			if (!strcmp(cuts[i].from, peer))
				error = add_cut(&w, cuts[i].id);
		strata_ledger_cuts_free(cuts, ncuts);
		if (error < 0)
			goto done;
	}
	if (w.ncuts && (error = strata_erasures(n, state_row, &w)) < 0)
		goto done;
	error = 0;
	for (size_t i = 0; !error && i < w.nlines; i++)
		error = strata_buf_printf(out, "erasure %s %s %s %s %lld\n", w.lines[i].cut, w.lines[i].node, w.lines[i].via,
					  w.lines[i].confirmed ? "confirmed" : "pending", (long long)w.lines[i].time);
	/* and what the process has for it (process.h): one "message" line each */
	if (!error) {
		strata_buf lines = STRATA_BUF_INIT;
		const char *l, *end;
		if ((error = strata_process_lines(&lines, n, peer)) == 0)
			for (l = lines.ptr, end = lines.ptr + lines.len; !error && l < end;) {
				const char *nl = memchr(l, '\n', (size_t)(end - l));
				size_t ll = nl ? (size_t)(nl - l) : (size_t)(end - l);
				error = strata_buf_printf(out, "message %.*s\n", (int)ll, l);
				l += ll + 1;
			}
		strata_buf_dispose(&lines);
	}
done:
	free(w.cuts);
	free(w.lines);
	return error;
}

/* --- parcel files that may hold a record --- */

struct first_sent {
	char peer[64];
	int64_t at;
};
struct first_sends {
	struct first_sent *v;
	size_t n, alloc;
};

static int note_first_sent(const strata_disclosure *d, void *payload)
{
	struct first_sends *f = payload;
	if (strcmp(d->event, "carried") || !d->sent)
		return 0;
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].peer, d->peer)) {
			if (d->sent < f->v[i].at)
				f->v[i].at = d->sent;
			return 0;
		}
	if (strata_array_grow(&f->v, &f->alloc, f->n + 1, 4) < 0)
		return STRATA_ERROR;
	snprintf(f->v[f->n].peer, sizeof(f->v->peer), "%s", d->peer);
	f->v[f->n++].at = d->sent;
	return 0;
}

int strata_erase_parcels(strata_node *n, const char *dataset, char *const *keys, size_t nkeys,
			 int (*cb)(const char *path, const char *peer, void *payload), void *payload)
{
	struct first_sends f = { NULL, 0, 0 };
	int error, count = 0;

	error = strata_provenance_disclosures(n, dataset, keys, nkeys, note_first_sent, &f);
	if (error == STRATA_ENOTFOUND) {
		strata_error_clear();
		error = 0;
	}
	for (size_t i = 0; error >= 0 && i < f.n; i++) {
		strata_link l;
		if ((error = strata_link_load(&l, n, f.v[i].peer)) < 0)
			break;
		for (size_t k = 0; error >= 0 && k < l.nparcels; k++) {
			/* a file written before the record was first sent there cannot hold it; a second's slack */
			if (l.parcels[k].time + 1 < f.v[i].at || access(l.parcels[k].path, F_OK) < 0)
				continue;
			count++;
			if (cb)
				error = cb(l.parcels[k].path, f.v[i].peer, payload);
		}
		strata_link_dispose(&l);
	}
	free(f.v);
	return error < 0 ? error : count;
}
