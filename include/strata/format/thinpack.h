/*
 * thinpack.h - a git pack of what a recipient lacks, with deltas against
 * what it has (libgit2 cannot write thin packs: doc/design.md, "Facts checked on this platform").
 *
 * The pack holds every object reachable from `tips` and not from `bases`
 * (commits the recipient holds with everything they reach).  An object
 * that replaces another at the same path in the parent commit is written
 * as a REF_DELTA against it when that is smaller: a record leaf against
 * the old leaf (line by line), a tree against the old tree (entry by
 * entry).  The base may be outside the pack, so the pack is thin: `git
 * index-pack --fix-thin` and libgit2's indexer (given the recipient's odb)
 * complete it.  No object the recipient holds is sent, and no delta has
 * itself, or an object later in the pack, as its base (thinpack.c lists
 * the invariants).
 *
 * Trust: reads only this node's own objects.
 */
#ifndef STRATA_THINPACK_H
#define STRATA_THINPACK_H
#include <git2.h>
#include "strata/base/buf.h"
/* The longest chain of deltas written; the receiver refuses longer (received.h). */
#define STRATA_DELTA_DEPTH_MAX 50
typedef struct {
	size_t objects;		/* entries in the pack */
	size_t deltas;		/* of which REF_DELTA */
	size_t raw_bytes;	/* the objects' uncompressed size */
} strata_thinpack_stats;
/* Appends the pack to `out`. */
int strata_thinpack_build(strata_buf *out, strata_thinpack_stats *stats, git_repository *repo,
			  const git_oid *tips, size_t ntips, const git_oid *bases, size_t nbases);
/*
 * Encodes `dst` as a git delta against `src` into `out` (chunks: lines for
 * blobs, entries for trees).  Exposed for the unit tests.
 */
int strata_thinpack_delta_encode(strata_buf *out, const unsigned char *src, size_t slen,
			const unsigned char *dst, size_t dlen, int is_tree);
#endif
