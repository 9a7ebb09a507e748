/*
 * pack.h - write objects straight into a git pack (never one loose object
 * per record: a loose object costs a 4 KiB block, doc/design.md, "Facts
 * checked on this platform").
 *
 * Objects are added with their id computed at once (trees need it), then
 * deflated and appended to a temporary pack by one worker thread per core,
 * through a queue bounded in bytes; an object of 1 MiB or more is deflated
 * by the caller straight into the pack, so memory never holds a copy of
 * it.  An object the repository already has, or this pack already holds,
 * is skipped, so re-importing mostly unchanged data writes only what
 * changed.
 * strata_pack_writer_commit() finishes the pack, writes its v2 index, fsyncs both
 * and renames them into objects/pack (index last, which is what makes the
 * pack visible).  Until then nothing is visible; strata_pack_writer_free() on an
 * uncommitted writer removes the temporary files.
 *
 * Trust: only our own objects go through here; packs from peers are
 * read and verified object by object by parcel_import.c and received.c
 * (libgit2's indexer is not used: doc/design.md, "Parcels, links and the
 * audit log").
 */
#ifndef STRATA_PACK_H
#define STRATA_PACK_H

#include <stddef.h>
#include <git2.h>

typedef struct strata_packw strata_packw;

/* `level` is the zlib level (1 fast .. 9 small). */
int strata_pack_writer_new(strata_packw **out, git_repository *repo, int level);
/*
 * A writer into the pack directory `dir` (a quarantine), skipping what
 * `skip` (may be NULL; borrowed, it must outlive the writer) holds.
 */
int strata_pack_writer_new_in(strata_packw **out, const char *dir, git_odb *skip, int level);
/* The name of the committed pack ("pack-<name>.pack"), or "" if it held nothing. */
const char *strata_pack_writer_name(const strata_packw *w);
/* Computes the object id into *oid and adds the object unless present. */
int strata_pack_writer_add(strata_packw *w, git_object_t type, const void *data,
		     size_t len, git_oid *oid);
/* Finishes and publishes the pack (a no-op if it holds no object). */
int strata_pack_writer_commit(strata_packw *w);
void strata_pack_writer_free(strata_packw *w);

/*
 * Removes the temporary files a writer killed mid-way left in `pack_dir`
 * (repo.git/objects/pack).  Only safe while no writer runs: the node's
 * write lock holds.
 */
void strata_pack_remove_leftovers(const char *pack_dir);

/* The id git gives an object of this type and content. */
int strata_pack_object_id(git_oid *oid, git_object_t type, const void *data, size_t len);

#endif
