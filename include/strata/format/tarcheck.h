/*
 * tarcheck.h - what a parcel's tar may hold, read from its raw blocks
 * where libarchive would be lenient: each entry a plain file (no sparse
 * entry, whatever its map), and the archive closed by its end blocks.
 */
#ifndef STRATA_FORMAT_TARCHECK_H
#define STRATA_FORMAT_TARCHECK_H

#include <stddef.h>
#include <stdint.h>

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
