/*
 * journal.h - makes a change that moves several refs and rewrites a few
 * files of the node (a link file, node.conf) all-or-nothing, across an
 * error, a kill or a power loss.
 *
 * Every change goes through it: through strata_change (change.h: parcel
 * import, receipts, view build, policy commit, import, erasure) or, for
 * node.conf, strata_journal_conf_begin (peers, officers, keys, the
 * timestamp authority, dataset labels).
 * A parcel import moves every received view's ref, then the sender's link
 * file (the sequence), then appends its audit event; each step is atomic
 * on its own, and the audit event is the last.  Before the first ref
 * moves, NODE/journal records (fsynced) the old and new value of every
 * ref, the old link file and the audit head.  Undoing puts every ref
 * still at its new value back to its old one and the old link file back.
 * Once the audit event is in, the change is whole and the journal goes.
 *
 * Invariants:
 *   1. A journal on disk is whole (written atomically) and names every ref
 *      the change moves, with its old value, before the first one moves.
 *   2. The audit event is the change's last step: an audit head that moved
 *      since the journal was written means the change is whole.
 *   3. Every writer starts with strata_journal_lock, so a journal a crash
 *      left is settled before any other change.
 *
 * A journal left by a crash is settled when the node is next locked
 * (strata_journal_lock, so before any other change): if the audit head moved
 * since the journal was written the change completed, and the journal is
 * removed; otherwise it is undone, and refused.log says so.
 *
 * Trust: the journal is the node's own file, written only under its lock.
 */
#ifndef STRATA_JOURNAL_H
#define STRATA_JOURNAL_H
#include <git2.h>
#include "strata/node/node.h"
#define STRATA_JOURNAL "journal"
typedef struct {
	const char *name;
	int exists;		/* before: 0 if the ref did not exist */
	git_oid old, target;	/* target zero: the change deletes the ref */
} strata_journal_ref;

/*
 * Records the change about to be made: `op` and `what` name it in
 * refused.log should it be undone after a crash; `file` names the one file
 * it rewrites, relative to the node directory (or NULL).  Fails if a
 * journal is already there.
 */
int strata_journal_begin(strata_node *n, const char *op, const char *what, const char *file,
			 const strata_journal_ref *refs, size_t nrefs);
/*
 * The change is whole: removes the journal.  Cannot fail the change: a
 * journal it could not remove is settled as complete at the next lock.
 */
void strata_journal_end(strata_node *n);
/*
 * Adds a file the change also rewrites (its content now, to restore on
 * undo), before it is rewritten: the journalled change must be this
 * process's own (begun, not yet ended).
 */
int strata_journal_add_file(strata_node *n, const char *file);
/*
 * Every change to node.conf goes through the journal with its audit
 * event: this begins one for node.conf (`*own` = 1: the caller ends it
 * once its audit event is in, or undoes it), or, inside a change already
 * journalled by this process, adds node.conf to it (`*own` = 0).
 */
int strata_journal_conf_begin(strata_node *n, const char *op, const char *what, int *own);
/* Undoes the journalled change now (after an error), then removes the journal; keeps the error already set. */
int strata_journal_undo(strata_node *n);
/*
 * 1 if a journal is waiting to be settled (readers, e.g. verify, say so),
 * with its operation and what it was changing; 0 if none; <0 if unreadable.
 */
int strata_journal_pending(strata_node *n, char *op, size_t opsz, char *what, size_t whatsz);
/* Settles a journal a crash left, if any (see above).  0 if there was none or it is settled. */
int strata_journal_recover(strata_node *n);
/*
 * The one way a writer starts: takes the node's write lock
 * (strata_node_flock) and settles a journal a crash left.  0 at once if
 * this process holds the lock already.
 */
int strata_journal_lock(strata_node *n);

/*
 * A history cut (an erasure made, or received) is more than its journalled
 * change: after the ref moves, the reflogs that still name the old commits
 * are reset, every view built from it is cut, and the store is pruned.
 * NODE/cut-owed (fsynced) says that work is owed, from before the change
 * until the prune is done; a kill in between leaves it, and the next
 * writer (view.h, strata_view_settle) or 'doctor --repair' pays it.
 * `what` names the cut for doctor.
 */
#define STRATA_CUT_OWED "cut-owed"
int strata_journal_owe_cut(strata_node *n, const char *what);
/* 1 (and `what`) if a cut is owed, 0 if not, <0 if the file cannot be read. */
int strata_journal_cut_owed(strata_node *n, char *what, size_t size);
/* The cut is paid: removes the file (and fsyncs the directory). */
int strata_journal_cut_paid(strata_node *n);
#endif
