/*
 * near.h - "did you mean": the known names close to a mistyped one.
 *
 * Close is at most two edits (a letter added, dropped, changed, or two
 * neighbours swapped: 'improt' is one from 'import'), or the start of a
 * longer name ('cat' for 'catalog').
 */
#ifndef STRATA_BASE_NEAR_H
#define STRATA_BASE_NEAR_H

#include <stddef.h>
#include "strata/base/buf.h"

/* Edits from `a` to `b` (optimal string alignment), or max + 1 once past `max`. */
size_t strata_near_edits(const char *a, const char *b, size_t max);
/* 1 if `name` is close to `want` (above). */
int strata_near(const char *want, const char *name);
/*
 * Appends to `out` the names of `names` (n of them) close to `want`, as
 * "'a', 'b'" (at most 6), and returns how many were close.
 */
size_t strata_near_list(strata_buf *out, const char *want, const char *const *names, size_t n);
/* Appends every name as "'a', 'b'" (at most `max`, then ", ..."). */
void strata_near_all(strata_buf *out, const char *const *names, size_t n, size_t max);

#endif
