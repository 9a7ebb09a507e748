/*
 * link.h - what a node knows of each peer's side of the link, in
 * NODE/links/<peer>.json: the last parcel sent and received (sequence,
 * views), what the peer last confirmed it holds, and the network's last
 * outcome.  Also the direction node.conf allows for a peer.
 *
 * Trust: the link file is the node's own, written only under its lock;
 * link state a peer sends (strata_link_state_parse) is untrusted and
 * parsed under caps.
 */
#ifndef STRATA_LINK_H
#define STRATA_LINK_H

#include <stdint.h>
#include "strata/base/buf.h"
#include "strata/format/parcel.h"
#include "strata/node/node.h"

#define STRATA_LINKS_DIR "links"
#define STRATA_LINK_MAX_MESSAGES 4096	/* "message" lines in one state text */

/* One direction of a link, as recorded in NODE/links/<peer>.json. */
typedef struct {
	char name[STRATA_PARCEL_NAME_MAX];
	git_oid commit;
} strata_link_ref;
/*
 * What a peer reports of an erasure (or retraction, or expiry) below it:
 * node `node`, told by `via` (the peer itself, or one of its recipients
 * in turn), holds the cut `cut` (confirmed) or not yet (pending), as of
 * `time` (0: never confirmed).  Each hop vouches for what it passes on:
 * the receipt that carries it is signed by the peer, not by `node`.
 */
typedef struct {
	char cut[17];
	char node[64];
	char via[64];
	int confirmed;
	int64_t time;
} strata_link_erasure;
typedef struct {
	uint64_t sequence;	/* 0: none yet */
	int64_t time;
	int64_t signed_time;	/* in: when the sender made the last parcel (its signed manifest's word); 0: unknown */
	strata_link_ref *refs;	/* out: what was sent */
	size_t nrefs;
	strata_link_erasure *below;	/* acked: the erasures the peer reports for its recipients */
	size_t nbelow;
	/*
	 * parsed state only, never saved: the process messages (process.h)
	 * its "message" lines carried, one base64 envelope a line
	 */
	char *messages;
	size_t messages_len;
	char msgdigest[65];	/* out: the SHA-256 of the messages the last parcel carried ("" none) */
} strata_link_side;
/*
 * A parcel file this node knows of: one it exported (removed once the
 * peer confirms holding it, receipt or HTTPS) or one it imported and was
 * told to keep (--keep: outside the reach of erasure).  `sha256` says the
 * file is still the one written, so no other file is ever removed.
 */
typedef struct {
	char path[4096];
	uint64_t sequence;
	char sha256[65];
	int64_t time;
	int kept;		/* imported and kept, not exported */
} strata_link_parcel;
typedef struct {
	strata_link_side in, out;
	strata_link_parcel *parcels;
	size_t nparcels;
	strata_link_side acked;	/* what the peer last confirmed it holds: a receipt, or its word over TLS */
	int64_t net_ok;		/* last network exchange that succeeded, 0: none */
	int64_t net_pulled;	/* last pull that succeeded: received views were in sync then */
	int64_t net_failed;	/* last one that failed, and why */
	char net_error[256];
} strata_link;
/* NODE/links/PEER.json, allocated (free it); NULL on error. */
char *strata_link_path(strata_node *n, const char *peer);
/* The same path relative to the node directory, "links/PEER.json" (for the journal). */
int strata_link_relpath(strata_buf *out, const char *peer);
int strata_link_load(strata_link *l, strata_node *n, const char *peer);
/* Writes NODE/links/PEER.json atomically. */
int strata_link_save(strata_node *n, const char *peer, const strata_link *l);
/* Frees what one side holds (refs, below) and zeroes it. */
void strata_link_side_dispose(strata_link_side *s);
/* 1 if the two say the same (sequence, refs, lines below; not the time), else 0. */
int strata_link_side_same(const strata_link_side *a, const strata_link_side *b);
/* Copies `from` into `to` (freeing what `to` held). */
int strata_link_side_copy(strata_link_side *to, const strata_link_side *from);
void strata_link_dispose(strata_link *l);

/*
 * Freshness (doc/design.md, "Split views and frozen sources"): the newest
 * signed word from a peer is its last parcel's signed time (the manifest
 * the sender signed says when it made it) or the last pull from it (its
 * answer over TLS between pinned keys), whichever is later.  With
 * peer.NAME.maxage set, what the peer sent is stale once that word is
 * older than the max age: a source that stops publishing (a freeze)
 * cannot keep its recipients on old data unnoticed.
 */
typedef struct {
	int64_t max_age;	/* 0: none set */
	int64_t as_of;		/* the newest signed word; 0: nothing received yet */
	int64_t stale_since;	/* as_of + max_age once now is past it; 0: fresh (or no max age, or nothing yet) */
} strata_link_freshness;
int strata_link_fresh(strata_link_freshness *f, strata_node *n, const char *peer, const strata_link *l, int64_t now);
/*
 * 0 if `peer`'s direction (node.conf's, else the tiers' default:
 * strata_peers_direction) lets data flow that way (`sending`: from this
 * node to it): "push" sends only, "pull" receives only, "both" either way.
 * STRATA_EDENIED, with a message, if not.
 */
int strata_link_allows(strata_node *n, const char *peer, int sending);
/*
 * Unpins `peer` (strata_peers_remove), after removing, unless `keep_data`,
 * the views built for it, what it sent (refs/strata/peers/PEER/...) and
 * its link file: one journalled change, whose audit event "peer-remove"
 * names the peer and its key's `fingerprint`; then prunes the objects only
 * those refs reached (prune.h).  Takes the write lock.
 * `views` and `received` get how many refs went.
 */
int strata_link_remove(strata_node *n, const char *peer, int keep_data, const char *fingerprint,
		       size_t *views, size_t *received);
/*
 * Calls `cb` for each view this node built for `peer`
 * (refs/strata/views/PEER/NAME, `received` 0) or received from it
 * (refs/strata/peers/PEER/NAME, `received` 1), with NAME and its commit;
 * stops at and returns the first non-zero the callback returns.
 */
typedef int (*strata_link_view_cb)(const char *name, const git_oid *commit, void *payload);
int strata_link_foreach_view(strata_node *n, const char *peer, int received, strata_link_view_cb cb, void *payload);

/*
 * Checks the link files (each parses) and what a peer removed by editing
 * node.conf left behind (its views, its link file).  Returns the number
 * of problems (node.h).
 */
int strata_link_check(strata_node *n, strata_problem_cb cb, void *payload);

/*
 * Parcel files: a file exported to `peer` (its absolute path, sequence and
 * SHA-256 recorded in the link file), or one imported from it and kept.
 */
int strata_link_note_parcel(strata_node *n, const char *peer, const char *path, uint64_t sequence, int kept);
/*
 * Removes the exported parcel files `peer` has confirmed holding (their
 * sequence at or below what it last confirmed) that are still the files
 * written, and forgets those gone; *removed gets how many it removed.  The
 * caller holds the lock and saves `l`.
 */
int strata_link_clean_parcels(strata_link *l, size_t *removed);
/* Records the outcome of a network exchange with `peer` (error NULL: success). */
int strata_link_note_net(strata_node *n, const char *peer, int pull, const char *error);

/*
 * What this node holds from `peer`, as text a peer can parse (taking the
 * node's write lock first, so that a change a crash interrupted is
 * settled before its refs are reported):
 *     sequence N                 last parcel accepted from it
 *     have VIEW COMMIT           per view received from it
 * and erase.h's strata_erasure_state adds, per erasure the peer's views
 * carried and this node passed on:
 *     erasure CUT NODE VIA confirmed|pending TIME
 * and process.h's strata_process_lines, what this node tells the peer:
 *     message ENVELOPE           (base64, procmsg.h)
 * strata_link_state_parse reads it back (into in-memory `s`: sequence,
 * refs and below) and refuses anything else; `max_refs` caps the lines
 * of each kind.
 */
int strata_link_state_format(strata_buf *out, strata_node *n, const char *peer);
int strata_link_state_parse(strata_link_side *s, const char *text, size_t len, size_t max_refs);

#endif
