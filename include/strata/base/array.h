/*
 * array.h - the one way an array grows: doubling from `first`, with the
 * size computation checked for overflow, the old block kept (and *alloc
 * unchanged) on failure, the message set.
 *
 *     if ((error = strata_array_grow(&v, &alloc, n + 1, 64)) < 0)
 *             return error;
 *     v[n++] = x;
 */
#ifndef STRATA_ARRAY_H
#define STRATA_ARRAY_H

#include <stdint.h>
#include <stdlib.h>
#include "strata/base/error.h"

static inline int strata_array_grow_(void **v, size_t *alloc, size_t need, size_t elem, size_t first)
{
	size_t na = *alloc ? *alloc : (first ? first : 1);
	void *p;

	if (need <= *alloc)
		return 0;
	while (na < need) {
		if (na > SIZE_MAX / 2)
			return strata_error_set("out of memory");
		na *= 2;
	}
	if (na > SIZE_MAX / elem || (p = realloc(*v, na * elem)) == NULL)
		return strata_error_set("out of memory");
	*v = p;
	*alloc = na;
	return 0;
}

/* Grows *v (an array of *alloc elements) to hold at least `need`. */
#define strata_array_grow(v, alloc, need, first) \
	strata_array_grow_((void **)(v), (alloc), (need), sizeof(**(v)), (first))

#endif
