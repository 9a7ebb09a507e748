/*
 * provenance.h - one record through time and through the tiers
 * (doc/design.md, "Parcels, links and the audit log").
 *
 * A record is found by its key hash, the same way at every node: views
 * key their records by the redacted key, so the key a node shows is the
 * key it looks records up by.  Going back a hop means finding which record
 * of the view's source redacts to that key: the node that built the view
 * holds the source and the policy's secret, and recomputes.
 *
 * Trust: reads only; every commit it reports is checked against the
 * node's trusted keys, and the status is part of the report.
 */
#ifndef STRATA_PROVENANCE_H
#define STRATA_PROVENANCE_H
#include "strata/node/commit.h"
#include "strata/format/schema.h"
#include "strata/format/trie.h"
/* The key hash of the key values as given (in the schema's key order). */
int strata_provenance_key_from_args(unsigned char hash[STRATA_HASH_LEN], char *const *vals, size_t n);
/*
 * Finds the record with key hash `hash` in a dataset tree.  Returns 1 and
 * appends its line to `out`, 0 if there is none.
 */
int strata_provenance_lookup(strata_buf *out, git_repository *repo, const git_tree *root,
			  const strata_schema *s, const unsigned char hash[STRATA_HASH_LEN]);
typedef struct {
	git_oid commit;
	int64_t time;
	const char *change;	/* "added", "changed", "removed" */
	const char *line;	/* the record after the change ("" if removed) */
	strata_sig_status status;
	const char *signer;
	const char *node;	/* Strata-Node of the commit */
} strata_history_entry;
typedef int (*strata_history_cb)(const strata_history_entry *e, void *payload);
/*
 * Every version of one record along the first-parent history of `ref`,
 * newest first (`cb` may be NULL, to count them).  Returns the number of
 * versions, or an error.
 */
int strata_provenance_history(strata_node *n, const char *ref, const unsigned char hash[STRATA_HASH_LEN],
			  strata_history_cb cb, void *payload);
/* One commit on the record's way: a dataset commit (owner) or a view commit. */
typedef struct {
	int is_view;		/* 0: the owner's dataset commit */
	int built_here;		/* a view this node built (for `recipient`) */
	git_oid commit;
	char node[64];		/* who made the commit (Strata-Node) */
	char tier[32];
	char recipient[64];
	strata_sig_status status;
	char signer[256];
	char policy_name[128];
	char policy_version[16];
	char policy_blob[GIT_OID_HEXSZ + 1];
	char purpose[512];
	int64_t committed;	/* commit time */
	int64_t received;	/* when this node imported it (audit log), 0 if not received */
	strata_buf line;	/* the record as this commit holds it */
} strata_trace_hop;
typedef struct {
	char dataset[64];
	strata_trace_hop hops[4];
	size_t nhops;
	int has_next;		/* the hop before the last, not held here */
	char next_node[64];
	git_oid next_commit;
	strata_buf next_key;	/* the key values there, as a JSON array */
	int has_origin;		/* Strata-Origin of the first view */
	char origin_node[64];
	git_oid origin_commit;
	int origin_held;
} strata_trace;
/*
 * Traces the record with these key values (as this node sees it, or as a
 * peer it built a view for sees it) back as far as this node's data goes.
 * STRATA_ENOTFOUND if no dataset or view here holds it.
 */
int strata_provenance_trace(strata_trace *t, strata_node *n, const char *dataset, char *const *key, size_t nkey);
/*
 * The same from one commit held here (a view it built, or any commit of
 * the dataset): where another node's trace said to go on, whatever this
 * node holds now.  STRATA_ENOTFOUND if it does not hold the commit, or the
 * commit holds no such record.
 */
int strata_provenance_trace_at(strata_trace *t, strata_node *n, const char *dataset, char *const *key, size_t nkey,
			       const git_oid *start);
void strata_provenance_trace_dispose(strata_trace *t);

/*
 * Disclosures (PIPL articles 44-45: who received a person's data), from
 * the disclosure ledger (ledger.h), which outlives every cut, and from
 * the views as they are for what the ledger did not yet record.  Each
 * entry is one of:
 *   "carried"  a view commit built for a peer held the record: when built,
 *              when first sent (the first parcel that carried it), under
 *              which policy version and purpose, with which fields
 *              (`fields`); while the commit is still held here, the record
 *              as the peer holds it (`line`) and its key there
 *              (`key_there`), to continue at that node; after a cut
 *              (`gone`), only what the ledger keeps: no value;
 *   "removed"  it left that view: cut (`cut`, `kind`: erasure,
 *              retraction, retention, withdrawal, and whether the peer
 *              confirmed holding the cut), or no longer in it;
 *   "erased"   this node erased the key (`cut`, `reason`).
 */
typedef struct {
	const char *event;		/* "carried", "removed", "erased" */
	char peer[64];
	char view[256];			/* the view's name here: refs/strata/views/PEER/VIEW */
	char name_there[320];		/* the dataset's name at the peer: THIS-NODE/VIEW */
	git_oid commit;
	int64_t built;			/* the view commit's time; removed, erased: when */
	int64_t sent;			/* the first parcel that carried it (audit log); 0: not sent yet */
	uint64_t sequence;		/* that parcel's number */
	char via[16];			/* how: file, https-push, https-pull ("parcel": logged before 0.2) */
	char policy_name[128];
	char policy_version[16];
	char policy_blob[GIT_OID_HEXSZ + 1];
	char purpose[512];
	const char *fields;		/* "name=keep,phone=mask,...": what it shared, and how (NULL: not recorded) */
	int gone;			/* the commit is no longer held here: no line, no key_there */
	const char *line;		/* the record as the peer received it (NULL if gone) */
	const char *key_there;		/* (NULL if gone) */
	char cut[17];			/* removed by a cut, erased: its id ("" none) */
	char kind[16];			/* erasure, retraction, retention, withdrawal */
	char reason[512];		/* erased: why */
	int confirmed;			/* removed by a cut: the peer confirmed holding it */
	int64_t confirmed_at;
} strata_disclosure;
typedef int (*strata_disclosure_cb)(const strata_disclosure *d, void *payload);
/*
 * Every disclosure of the record with these key values of `dataset` (own
 * or received, by the name dataset.h gives it): per peer and view, newest
 * first; erasures of the key last.  Returns the number of "carried"
 * entries (0: never sent), STRATA_ENOTFOUND if neither the dataset, nor
 * the ledger, nor any version ever held the key, or an error.
 */
int strata_provenance_disclosures(strata_node *n, const char *dataset, char *const *key, size_t nkey,
				  strata_disclosure_cb cb, void *payload);
#endif
