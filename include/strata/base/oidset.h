/*
 * oidset.h - a set of object ids (open addressing, grows at half full),
 * for walks that must visit each object once; each id may carry a value
 * (an index, a depth), so the set doubles as a map.
 */
#ifndef STRATA_OIDSET_H
#define STRATA_OIDSET_H
#include <stddef.h>
#include <git2.h>
typedef struct {
	git_oid *ids;
	unsigned char *used;
	size_t *vals;
	size_t n, nslots;
} strata_oidset;
#define STRATA_OIDSET_INIT { NULL, NULL, NULL, 0, 0 }
/* 1 if `id` was added, 0 if it was there, negative on error. */
int strata_oidset_add(strata_oidset *s, const git_oid *id);
/* Like add, with a value kept beside the id (an id already there keeps its value). */
int strata_oidset_put(strata_oidset *s, const git_oid *id, size_t val);
/* 1 and the value in *val (may be NULL) if `id` is in the set, else 0. */
int strata_oidset_find(const strata_oidset *s, const git_oid *id, size_t *val);
int strata_oidset_contains(const strata_oidset *s, const git_oid *id);
void strata_oidset_dispose(strata_oidset *s);
#endif
