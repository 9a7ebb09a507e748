/*
 * near.c - see near.h.
 */
#include "strata/base/near.h"

#include <string.h>

#define NEAR_MAX_LEN 256

size_t strata_near_edits(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t rows[3][NEAR_MAX_LEN + 1], *pp = rows[0], *prev = rows[1], *cur = rows[2];

	if (la > NEAR_MAX_LEN || lb > NEAR_MAX_LEN || (la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t best;
		cur[0] = best = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t v = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;	/* two neighbours swapped */
			cur[j] = v;
			if (v < best)
				best = v;
		}
		if (best > max)
			return max + 1;
		size_t *t = pp;
		pp = prev, prev = cur, cur = t;
	}
	return prev[lb] > max ? max + 1 : prev[lb];
}

int strata_near(const char *want, const char *name)
{
	size_t lw = strlen(want);

	if (!*want || !strcmp(want, name))
		return 0;
	if (lw >= 3 && !strncmp(name, want, lw))
		return 1;
	return strata_near_edits(want, name, lw <= 3 ? 1 : 2) <= (lw <= 3 ? 1u : 2u);
}

size_t strata_near_list(strata_buf *out, const char *want, const char *const *names, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (strata_near(want, names[i]) && k++ < 6)
			strata_buf_printf(out, "%s'%s'", k > 1 ? ", " : "", names[i]);
	return k;
}

void strata_near_all(strata_buf *out, const char *const *names, size_t n, size_t max)
{
	for (size_t i = 0; i < n && i < max; i++)
		strata_buf_printf(out, "%s'%s'", i ? ", " : "", names[i]);
	if (n > max)
		strata_buf_puts(out, ", ...");
}
