/*
 * ledger.h - the disclosure ledger: which records this node sent to whom,
 * and what it cut, kept as the tree of its audit log (doc/design.md,
 * "The disclosure ledger").
 *
 * Every audit event commit (audit.h) carries the ledger's state as its
 * tree; an event that changes nothing in it carries its parent's:
 *
 *     ledger/views/PEER/VIEW   the records view VIEW built for PEER holds
 *                              as of that event (a token set; VIEW with
 *                              '/' written '.')
 *     ledger/erased            the keys this node erased (a token set)
 *     ledger/cuts/CUT          one history cut: its kind, time, the views
 *                              it cut and who confirmed it (text, erase.h)
 *
 * So the audit log's history is the ledger's: signed, append-only, and out
 * of reach of every cut (prune keeps what refs/strata/audit reaches), and
 * stock git shows it (`git log -p refs/strata/audit -- ledger`).
 *
 * A record is named by its token: HMAC-SHA256, under this node's record
 * key, of its key hash, cut to 64 bits.  The key hash is of the key as this
 * node holds it (raw at the owner, redacted at a relay), so `disclosures
 * DATASET KEY` finds the same token.  Without the record key, which never
 * leaves the node (NODE/secrets/records.key, mode 0600), a token confirms
 * no guess about a key: the ledger names no one.
 *
 * A token set is a tree of up to 4,096 leaves `ab/c`, each the sorted
 * tokens (16 hex digits and a newline each) whose hex begins "abc": a
 * change rewrites only the leaves it touches, and an unchanged set is the
 * same tree.
 *
 * Trust: the node's own data; the record key is as secret as a policy's.
 */
#ifndef STRATA_LEDGER_H
#define STRATA_LEDGER_H

#include <stdint.h>
#include "strata/base/buf.h"
#include "strata/base/digest.h"
#include "strata/format/pack.h"
#include "strata/format/spill.h"
#include "strata/format/trie.h"
#include "strata/node/node.h"

#define STRATA_LEDGER_KEY_FILE "secrets/records.key"
#define STRATA_TOKEN_HEX 16

typedef uint64_t strata_token;

/*
 * The node's record key into `k` (dispose it with strata_hmac_key_dispose).
 * A node without one: made now if `create` (the caller holds the node's
 * lock), else STRATA_ENOTFOUND (nothing was ever recorded under one).
 */
int strata_ledger_key(strata_hmac_key *k, strata_node *n, int create);
/* The token of key hash `hash` under `k`. */
int strata_ledger_token(strata_token *out, const strata_hmac_key *k, const unsigned char hash[STRATA_HASH_LEN]);
void strata_ledger_token_hex(char out[STRATA_TOKEN_HEX + 1], strata_token t);
/* 0 and *t for 16 lowercase hex digits, else STRATA_ERROR (no message). */
int strata_ledger_token_parse(strata_token *t, const char *hex);

/* Appends `t` to a spill (spill.h): the way a set of any size is gathered. */
int strata_ledger_spill_add(strata_spill *s, strata_token t);
/* The set of every token in the spills (duplicates once), written with `w`; *count gets its size. */
int strata_ledger_set_build(git_oid *out, strata_packw *w, strata_spill **spills, int nspills, size_t *count);
/*
 * Set `old` (NULL: the empty set) with the tokens `add` added and `del`
 * removed (both sorted here, in place; a token in both is added), written
 * with `w`.  Costs the leaves the change touches.
 */
int strata_ledger_set_apply(git_oid *out, strata_packw *w, git_repository *repo, const git_oid *old,
			    strata_token *add, size_t nadd, strata_token *del, size_t ndel);
/* 1 if set `set` holds `t`, 0 if not, or an error. */
int strata_ledger_set_has(git_repository *repo, const git_oid *set, strata_token t);
/* Calls `cb` for each token of `set`, in order; stops at a non-zero return and returns it. */
int strata_ledger_set_foreach(git_repository *repo, const git_oid *set, int (*cb)(strata_token t, void *payload),
			      void *payload);

/* "ledger/views/PEER/VIEW" ('/' in VIEW written '.'), into `out`. */
int strata_ledger_view_path(strata_buf *out, const char *peer, const char *view);
/*
 * The object at `path` in the ledger as of audit event `event` (NULL: the
 * audit log's head).  0, or STRATA_ENOTFOUND (no such path, or no event).
 */
int strata_ledger_get(git_oid *out, strata_node *n, const git_commit *event, const char *path);
/* The same, the object read as text into `out` (a blob). */
int strata_ledger_get_text(strata_buf *out, strata_node *n, const git_commit *event, const char *path);
/*
 * A ledger tree: `base` (NULL: the audit head's tree, or the empty tree)
 * with `path` set to object `id` of mode `mode` (GIT_FILEMODE_TREE for a
 * set, GIT_FILEMODE_BLOB for text), or removed if `id` is NULL.  Pass the
 * result as the next call's base to change several paths, and to
 * strata_audit_append_tree (or a change's `tree`) to record it.
 */
int strata_ledger_put(git_oid *out, strata_node *n, const git_oid *base, const char *path, const git_oid *id,
		      git_filemode_t mode);
/*
 * As strata_ledger_put, `count` blobs at once, each paths[i] set to ids[i]
 * (distinct paths): one new tree per directory changed, none between.
 */
int strata_ledger_put_blobs(git_oid *out, strata_node *n, const git_oid *base, const char *const *paths,
			    const git_oid *ids, size_t count);
/* As strata_ledger_put, `text` written as a blob first. */
int strata_ledger_put_text(git_oid *out, strata_node *n, const git_oid *base, const char *path, const char *text,
			   size_t len);


/*
 * Cuts (erase.h reads them).  A history cut's id is random: 16 hex digits
 * that say which cut and nothing of what it cut.
 */
int strata_ledger_cut_id(char out[17]);
/*
 * The ledger tree `base` (NULL: the head's) with `lines` (each ending in a
 * newline) appended to ledger/cuts/CUT, which is made with `header` first
 * if it is not there yet.
 */
int strata_ledger_cut_note(git_oid *out, strata_node *n, const git_oid *base, const char *cut, const char *header,
			   const char *lines);

/*
 * A cut record, ledger/cuts/CUT: one line each, in this order of first
 * appearance (a line it does not know is left alone):
 *     cut ID
 *     kind erasure|retraction|retention|withdrawal
 *     time T                   when this node made or first passed it on
 *     dataset NAME             the source, as this node names it
 *     reason TEXT              an erasure's reason (the owner only)
 *     token TOKEN              the erased key's token (the owner only)
 *     from PEER                a cut this node received from PEER
 *     view PEER VIEW COMMIT T  a view of this node it cut: the new root
 *     confirmed PEER VIEW T [receipt R]   PEER holds the cut of VIEW, as of T
 *                              (R: its signed receipt, ledger/receipts/PEER/R)
 *     below NODE VIA T [receipt R]        NODE below holds it, as VIA reported
 *     reimported T REASON      the erased key imported again (--allow-erased)
 */
typedef struct {
	char peer[64];
	char view[256];
	git_oid commit;
	int64_t time;
} strata_cut_view;
typedef struct {
	char peer[64];
	char view[256];
	int64_t time;
	char receipt[17];	/* the peer's signed receipt that says so (ledger/receipts/PEER/ID), "" none */
} strata_cut_conf;
typedef struct {
	char node[64];
	char via[64];
	int64_t time;
	char receipt[17];	/* VIA's signed receipt that says so, "" none */
} strata_cut_below;
typedef struct {
	char id[17];
	char kind[16];
	int64_t time;
	char dataset[320];
	char reason[512];
	char from[64];		/* received: the peer whose cut it is */
	char token[17];		/* an erasure at the owner: the erased key's token ("" else) */
	int64_t reimported;	/* the key was imported again (--allow-erased), when; 0: never */
	char reimported_why[512];
	strata_cut_view *views;	/* the views of this node it cut, oldest first */
	size_t nviews, aviews;
	strata_cut_conf *confs;	/* who confirmed holding the cut, as recorded */
	size_t nconfs, aconfs;
	strata_cut_below *below;	/* nodes below a recipient that confirmed it, as recorded */
	size_t nbelow, abelow;
} strata_cut_record;


/* Every cut record of the ledger (the head's), oldest first; free them with strata_ledger_cuts_free. */
int strata_ledger_cuts(strata_cut_record **out, size_t *nout, strata_node *n);
void strata_ledger_cuts_free(strata_cut_record *cuts, size_t n);
void strata_ledger_cut_dispose(strata_cut_record *c);

#endif
