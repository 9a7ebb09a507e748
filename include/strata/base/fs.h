/*
 * fs.h - files: bounded reads, atomic writes, fsync, mkdir -p, rm -r.
 */
#ifndef STRATA_FS_H
#define STRATA_FS_H

#include "strata/base/buf.h"

/* Reads a whole file, failing if it is larger than `max`. */
int strata_fs_read(strata_buf *out, const char *path, size_t max);
/*
 * Writes a file atomically: to a temporary name beside it, fsync, rename,
 * fsync the directory.  `mode` as for open(2).
 */
int strata_fs_write_atomic(const char *path, const void *data, size_t len, int mode);
int strata_fs_fsync_dir(const char *dir);
/*
 * fsync(2), unless the environment has STRATA_TEST_FSYNC=0: test suites
 * only, as git's GIT_TEST_FSYNC.  Never set it on a node that matters.
 */
int strata_fs_fsync(int fd);
/* 0 if STRATA_TEST_FSYNC=0 is set (for libgit2's own fsync setting too). */
int strata_fs_fsync_enabled(void);
int strata_fs_mkdir_p(const char *path, int mode);
/* Removes a directory tree; used for temporary directories only. */
int strata_fs_rm_rf(const char *path);
/* Joins with '/'; returns a malloc'd string or NULL (error set). */
char *strata_fs_path_join(const char *a, const char *b);

#endif
