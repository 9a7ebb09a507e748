/*
 * oidset.h - a set of object ids (open addressing, grows at half full),
 * for walks that must visit each object once.
 */
#ifndef STRATA_OIDSET_H
#define STRATA_OIDSET_H
#include <stddef.h>
#include <git2.h>
typedef struct {
	git_oid *ids;
	unsigned char *used;
	size_t n, nslots;
} strata_oidset;
#define STRATA_OIDSET_INIT { NULL, NULL, 0, 0 }
/* 1 if `id` was added, 0 if it was there, negative on error. */
int strata_oidset_add(strata_oidset *s, const git_oid *id);
int strata_oidset_contains(const strata_oidset *s, const git_oid *id);
void strata_oidset_dispose(strata_oidset *s);
#endif
