/*
 * replica.h - moving views between nodes as parcels (DESIGN.md, "Parcels").
 *
 * Export: the views this node built for a peer (refs/strata/views/<peer>/...),
 * as a signed parcel holding what the peer lacks.  What it has is what it
 * last confirmed (NODE/links/<peer>.json "acked": a signed receipt it sent
 * back, see receipt.h, or what it said over TLS), never merely what we
 * sent: a parcel lost on the way is made up for by the next one, which
 * holds everything since the last confirmation.  A peer that never
 * confirmed anything gets everything.
 *
 * Import, in this order, and a refusal at any step changes nothing but
 * NODE/refused.log: archive shape under caps; signature against the
 * sender's pinned key; addressed to us; sequence newer than the last
 * accepted from that sender; prerequisites present; the pack's entries
 * scanned under size caps, then indexed with libgit2's indexer into a
 * quarantine directory; every new tree entry, record line, commit
 * signature and trailer checked, and every object accounted for; refs
 * forward only.  Then the pack moves in, the refs
 * refs/strata/peers/<sender>/<view> move in one transaction, the sequence
 * is recorded, and the audit log gets the event.
 *
 * Trust: the parcel is untrusted until every check passed; node.conf
 * (pinned keys) is trusted.
 */
#ifndef STRATA_REPLICA_H
#define STRATA_REPLICA_H
#include <stdint.h>
#include "strata/node/node.h"
#include "strata/format/parcel.h"
#define STRATA_LINKS_DIR "links"
/* A parcel's sequence may jump this far past the last accepted (lost parcels), no further. */
#define STRATA_SEQUENCE_JUMP_MAX ((uint64_t)1 << 20)
/* Its creation time may be this far ahead of our clock (seconds). */
#define STRATA_CLOCK_SKEW_MAX 86400
typedef struct {
	char peer[64];		/* recipient (export) or sender (import) */
	uint64_t sequence;
	size_t nrefs;		/* views the parcel names */
	size_t changed;		/* refs that moved (import) or carry new commits (export) */
	size_t objects;		/* pack entries */
	size_t deltas;
	size_t bytes;		/* parcel size */
	int full;
	int uptodate;		/* export for a peer that holds every view: no parcel;
				   import of a parcel already imported: nothing done */
} strata_parcel_result;
/* Hands a finished parcel on (writes the file, sends the response). */
typedef int (*strata_parcel_publish)(const void *data, size_t len, void *payload);
/*
 * Builds the peer's views (incrementally), then the parcel for it, and
 * calls `publish`; only if that succeeds are the sequence number and what
 * was sent recorded, with an audit event.  `full` ignores what the peer
 * was sent before.
 */
int strata_parcel_export(strata_node *n, const char *peer, int full, strata_parcel_publish publish,
			 void *payload, strata_parcel_result *res);
/* As strata_parcel_export, into a file written atomically. */
int strata_parcel_export_file(strata_node *n, const char *peer, int full, const char *path,
			      strata_parcel_result *res);
/* Verifies and applies a parcel (see above); `what` names it in messages. */
int strata_parcel_import(strata_node *n, const char *what, const void *data, size_t len,
			 strata_parcel_result *res);
int strata_parcel_import_file(strata_node *n, const char *path, strata_parcel_result *res);
/*
 * From an open file (the caller's): objects.pack is spooled to an unlinked
 * file under NODE/tmp and read from there in pieces, so memory does not
 * grow with the parcel.  `from`, if set, must be the sender.
 */
int strata_parcel_import_fd(strata_node *n, const char *what, int fd, const char *from, strata_parcel_result *res);
/* One direction of a link, as recorded in NODE/links/<peer>.json. */
typedef struct {
	char name[STRATA_PARCEL_NAME_MAX];
	git_oid commit;
} strata_link_ref;
typedef struct {
	uint64_t sequence;	/* 0: none yet */
	int64_t time;
	strata_link_ref *refs;	/* out: what was sent */
	size_t nrefs;
} strata_link_side;
typedef struct {
	strata_link_side in, out;
	strata_link_side acked;	/* what the peer last confirmed it holds: a receipt, or its word over TLS */
	int64_t net_ok;		/* last network exchange that succeeded, 0: none */
	int64_t net_pulled;	/* last pull that succeeded: received views were in sync then */
	int64_t net_failed;	/* last one that failed, and why */
	char net_error[256];
} strata_link;
/* NODE/links/PEER.json, allocated (free it); NULL on error. */
char *strata_link_path(strata_node *n, const char *peer);
int strata_link_load(strata_link *l, strata_node *n, const char *peer);
/* Writes NODE/links/PEER.json atomically. */
int strata_link_save(strata_node *n, const char *peer, const strata_link *l);
/* Copies `from` into `to` (freeing what `to` held). */
int strata_link_side_copy(strata_link_side *to, const strata_link_side *from);
void strata_link_dispose(strata_link *l);
/*
 * 0 if node.conf's direction for `peer` lets data flow that way (`sending`:
 * from this node to it): "push" sends only, "pull" receives only, "both" or
 * none either way.  STRATA_EDENIED, with a message, if not.
 */
int strata_link_allows(strata_node *n, const char *peer, int sending);
/* Records the outcome of a network exchange with `peer` (error NULL: success). */
int strata_link_note_net(strata_node *n, const char *peer, int pull, const char *error);

/*
 * What this node holds from `peer`, as text a peer can parse:
 *     sequence N                 last parcel accepted from it
 *     have VIEW COMMIT           per view received from it
 * strata_link_state_parse reads it back (into in-memory `s`, sequence and
 * refs) and refuses anything else; `max_refs` caps the lines.
 */
int strata_link_state_format(strata_buf *out, strata_node *n, const char *peer);
int strata_link_state_parse(strata_link_side *s, const char *text, size_t len, size_t max_refs);

/*
 * As strata_parcel_export, but builds on what the peer says it holds
 * (`have`, from strata_link_state_parse) rather than on what we sent.  If
 * it holds every view as it is, returns 0 with res->uptodate set, and
 * neither publishes nor records anything.
 */
int strata_parcel_export_for(strata_node *n, const char *peer, const strata_link_side *have,
			     strata_parcel_publish publish, void *payload, strata_parcel_result *res);
/* As strata_parcel_import, refusing a parcel whose sender is not `from` (the authenticated peer). */
int strata_parcel_import_from(strata_node *n, const char *what, const void *data, size_t len,
			      const char *from, strata_parcel_result *res);
#endif
