/* oidset.c - see oidset.h.  Object ids are uniform, so their first bytes index the table. */
#include "strata/base/oidset.h"
#include "strata/base/error.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(const git_oid *id, size_t nslots)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h));
	return h & (nslots - 1);
}

static int grow(strata_oidset *s)
{
	size_t ns = s->nslots ? s->nslots * 2 : 1024;
	git_oid *ids = calloc(ns, sizeof(*ids));
	unsigned char *used = calloc(ns, 1);
	size_t *vals = calloc(ns, sizeof(*vals));

	if (!ids || !used || !vals) {
		free(ids);
		free(used);
		free(vals);
		return strata_error_set("out of memory");
	}
	for (size_t i = 0; i < s->nslots; i++)
		if (s->used[i]) {
			size_t t = slot_of(&s->ids[i], ns);
			while (used[t])
				t = (t + 1) & (ns - 1);
			used[t] = 1;
			ids[t] = s->ids[i];
			vals[t] = s->vals[i];
		}
	free(s->ids);
	free(s->used);
	free(s->vals);
	s->ids = ids;
	s->used = used;
	s->vals = vals;
	s->nslots = ns;
	return 0;
}

int strata_oidset_find(const strata_oidset *s, const git_oid *id, size_t *val)
{
	if (!s->nslots)
		return 0;
	for (size_t t = slot_of(id, s->nslots); s->used[t]; t = (t + 1) & (s->nslots - 1))
		if (git_oid_equal(&s->ids[t], id)) {
			if (val)
				*val = s->vals[t];
			return 1;
		}
	return 0;
}

int strata_oidset_contains(const strata_oidset *s, const git_oid *id)
{
	return strata_oidset_find(s, id, NULL);
}

int strata_oidset_add(strata_oidset *s, const git_oid *id)
{
	return strata_oidset_put(s, id, 0);
}

int strata_oidset_put(strata_oidset *s, const git_oid *id, size_t val)
{
	size_t t;

	if ((s->n + 1) * 2 > s->nslots && grow(s) < 0)
		return STRATA_ERROR;
	for (t = slot_of(id, s->nslots); s->used[t]; t = (t + 1) & (s->nslots - 1))
		if (git_oid_equal(&s->ids[t], id))
			return 0;
	s->used[t] = 1;
	s->ids[t] = *id;
	s->vals[t] = val;
	s->n++;
	return 1;
}

void strata_oidset_dispose(strata_oidset *s)
{
	free(s->ids);
	free(s->used);
	free(s->vals);
	memset(s, 0, sizeof(*s));
}
