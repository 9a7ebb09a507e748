/*
 * tarcheck.h - what an untrusted tar (a parcel, an evidence bundle) may
 * hold, read from its raw blocks where libarchive would be lenient: each
 * entry a plain file (no link, no sparse entry, whatever its map), and
 * the archive closed by its end blocks.  The rules both readers share.
 */
#ifndef STRATA_FORMAT_TARCHECK_H
#define STRATA_FORMAT_TARCHECK_H

#include <archive.h>
#include <archive_entry.h>
#include <stddef.h>
#include <stdint.h>

/* An entry's name as a message shows it: a byte that does not print as \xNN, 64 characters at most. */
const char *strata_tar_printable(char *out, size_t size, const char *s);
/* "gzip", "bzip2", "xz", "zstd" or "compress" if `d` starts as that compressed data; NULL if not. */
const char *strata_tar_compressed_kind(const void *d, size_t len);
/*
 * The entry `e` just read from `a` is a plain regular file: no hard or
 * symbolic link, directory or device, not sparse (by libarchive, then by
 * its raw headers: strata_tar_entry_plain).  `container` names what holds
 * it in the message ("a parcel"): "... is a hard link; a parcel holds
 * regular files only".
 */
int strata_tar_entry_regular(struct archive *a, struct archive_entry *e, const void *data, int fd, uint64_t len,
			     const char *what, const char *shown, const char *container);

/*
 * The entry whose headers start at `pos` (libarchive's header position)
 * in the archive `data` (or the file `fd` when data is NULL), `len`
 * bytes: 0 if its header chain (pax 'x'/'g', GNU 'L'/'K') ends in a
 * regular file ('0' or NUL) and no pax record names GNU sparse data; else
 * an error naming `what` and `shown`.
 */
int strata_tar_entry_plain(const void *data, int fd, uint64_t len, uint64_t pos, const char *what, const char *shown);

/* 0 if the archive ends at `end` with at least two zero blocks and nothing but zeros after it. */
int strata_tar_end_ok(const void *data, int fd, uint64_t len, uint64_t end, const char *what);

#endif
