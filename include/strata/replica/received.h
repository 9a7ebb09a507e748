/*
 * received.h - the checks on objects a peer sent, before any of them is
 * kept: the shape of a git pack, and the commits, trees and records of a
 * received view.  parcel_import.c runs them on every parcel, whether it
 * came from a file or over the network; the fuzz target `received` runs
 * them on objects made from arbitrary bytes.
 *
 * Invariants, each a refusal with a named reason:
 *   1. The pack: entries of known types under the size caps, every delta
 *      resolved in pack order against a base earlier in the pack or held
 *      by the node, none against itself, none in a cycle, chains of at
 *      most STRATA_PACK_DELTA_DEPTH_MAX, nothing after the last object.
 *   2. Trees: what `git fsck --strict` checks (modes, order, no
 *      duplicates, entries of the type their mode says) and the dataset
 *      layout (each record in the leaf its key hash names, leaves within
 *      their size).
 *   3. Commits: well-formed headers, a tree and parents of the right
 *      types, the trailers a view needs, naming the sender and us.
 *   4. Record lines: one record each, newline-ended, the key its schema.json
 *      names hashing to the leaf the line is in.
 *
 * Trust: every byte checked here is untrusted.  The signature of a commit
 * is checked by the caller (it needs the node's pinned keys) before
 * strata_received_commit reads anything else of it.
 */
#ifndef STRATA_RECEIVED_H
#define STRATA_RECEIVED_H
#include <stdint.h>
#include <sys/types.h>
#include <git2.h>
#include "strata/format/pack.h"
#include "strata/format/schema.h"
#include "strata/base/oidset.h"

/* An object in a parcel's pack is a record leaf, a tree or a commit: none is near this. */
#define STRATA_PACK_OBJECT_MAX ((size_t)64 << 20)
#define STRATA_PACK_INFLATED_MAX ((uint64_t)8 << 30)
#define STRATA_PACK_OBJECTS_MAX 20000000u
/* Longest delta chain accepted; strata's own packs stop at 50 (thinpack.h). */
#define STRATA_PACK_DELTA_DEPTH_MAX 64
/* A view's tree is two levels of layout and a trie of at most 40 hex digits. */

/* Where a received pack is read from: memory, or a file (a parcel spooled to disk). */
typedef struct {
	const unsigned char *mem;	/* or NULL: read `fd` */
	int fd;
	uint64_t len;
} strata_received_src;
void strata_received_src_mem(strata_received_src *s, const void *data, size_t len);
void strata_received_src_fd(strata_received_src *s, int fd, uint64_t len);
/* Up to `len` bytes at `off`; the count (short only at the end), -1 on a read error. */
ssize_t strata_received_src_read(const strata_received_src *s, uint64_t off, void *buf, size_t len);

/*
 * Walks every entry of a pack before libgit2 sees it: well-formed
 * headers, `objects` entries, each object and each delta's result under
 * STRATA_PACK_OBJECT_MAX, inflating to exactly the declared size (a
 * deflate bomb stops at the cap), the total under STRATA_PACK_INFLATED_MAX,
 * the trailer's SHA-1, and nothing after the last entry.  `what` names
 * the parcel in the error.  0 or STRATA_ERROR.
 */
int strata_received_scan_pack(const void *pack, size_t len, uint64_t objects, const char *what);

/*
 * The scan above, then every delta resolved in pack order: each base an
 * earlier object of the pack or one `known` holds (a thin pack), never the
 * delta's own result, never an object that the pack also holds (a cycle),
 * no object twice, no chain longer than STRATA_PACK_DELTA_DEPTH_MAX.  Each
 * object, whole and named by the SHA-1 of its content, goes to `out` (a
 * writer into the quarantine; NULL: only check).  A thin pack therefore
 * needs no completing: what is written holds no delta.  Memory: the entry
 * table (about 80 bytes an object), a cache of at most 64 MiB of bases,
 * three buffers of at most STRATA_PACK_OBJECT_MAX, and the writer's queue.
 * 0 or STRATA_ERROR.
 */
int strata_received_resolve_src(const strata_received_src *src, uint64_t objects, git_odb *known, const char *what,
				strata_packw *out);

typedef struct {
	const char *what;	/* the parcel, named in every message */
	const char *sender;	/* every commit's Strata-Node */
	const char *recipient;	/* every commit's Strata-Recipient: this node */
	git_odb *known;		/* what the node already held: not checked again */
	git_repository *repo;	/* known and received objects, for reading */
	strata_oidset seen;	/* new objects checked so far */
	strata_schema *schema;	/* the schema of the view being checked (owned) */
} strata_received;

/* 1 if `id` is new (not in `known`) and not yet checked, and marks it; 0 if not; <0 on error. */
int strata_received_needed(strata_received *r, const git_oid *id);

/*
 * A commit of the view `dataset`, its signature already checked: not a
 * merge, the trailers name the sender, this node, the dataset and the
 * provenance (Strata-Source, Strata-Policy, Strata-Purpose), and its tree
 * holds schema.json and records/ with a trie of record leaves under it,
 * every new leaf a valid record per line.  0 or STRATA_ERROR.
 */
int strata_received_commit(strata_received *r, const git_oid *id, const char *dataset);

/* Frees what the checks allocated (not the odb or repository). */
void strata_received_dispose(strata_received *r);
#endif
