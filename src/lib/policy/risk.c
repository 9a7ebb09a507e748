/*
 * risk.c - see risk.h.
 *
 * Each record becomes one string: its quasi-identifier values joined by
 * 0x1f, then 0x1e and its sensitive value.  Sorting the strings puts each
 * class together, and within it equal sensitive values together, so one
 * pass counts classes, their sizes and their distinct sensitive values.
 * The separators cannot occur in a value: record values are canonical
 * JSON strings, where control characters arrive escaped.
 */
#include "strata/policy/risk.h"
#include "strata/base/array.h"
#include "strata/base/buf.h"
#include "strata/base/error.h"
#include "strata/format/json.h"

#include <stdlib.h>
#include <string.h>

struct strata_risk_acc {
	char **qi;
	size_t nqi;
	char *sensitive;
	char **rows;
	size_t n, alloc;
	strata_buf v, row;
};

int strata_risk_new(strata_risk_acc **out, char *const *qi, size_t nqi, const char *sensitive)
{
	strata_risk_acc *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a || (a->qi = calloc(nqi + 1, sizeof(char *))) == NULL)
		goto oom;
	for (size_t i = 0; i < nqi; i++)
		if ((a->qi[a->nqi++] = strdup(qi[i])) == NULL)
			goto oom;
	if (sensitive && (a->sensitive = strdup(sensitive)) == NULL)
		goto oom;
	*out = a;
	return 0;
oom:
	strata_risk_free(a);
	return strata_error_set("out of memory");
}

void strata_risk_free(strata_risk_acc *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nqi; i++)
		free(a->qi[i]);
	free(a->qi);
	free(a->sensitive);
	for (size_t i = 0; i < a->n; i++)
		free(a->rows[i]);
	free(a->rows);
	strata_buf_dispose(&a->v);
	strata_buf_dispose(&a->row);
	free(a);
}

static int put_field(strata_risk_acc *a, const char *line, size_t len, const char *field)
{
	int rc;
	strata_buf_clear(&a->v);
	if ((rc = strata_json_record_field(&a->v, line, len, field)) < 0)
		return rc;
	return a->v.len ? strata_buf_put(&a->row, a->v.ptr, a->v.len) : 0;
}

int strata_risk_add(strata_risk_acc *a, const char *line, size_t len)
{
	int error = 0;

	strata_buf_clear(&a->row);
	for (size_t i = 0; !error && i < a->nqi; i++)
		error = (i && strata_buf_putc(&a->row, 0x1f) < 0) || put_field(a, line, len, a->qi[i]) < 0;
	if (!error && a->sensitive)
		error = strata_buf_putc(&a->row, 0x1e) < 0 || put_field(a, line, len, a->sensitive) < 0;
	if (error || strata_buf_putc(&a->row, '\0') < 0 || strata_array_grow(&a->rows, &a->alloc, a->n + 1, 1024) < 0)
		return STRATA_ERROR;
	if ((a->rows[a->n] = strdup(a->row.ptr ? a->row.ptr : "")) == NULL)
		return strata_error_set("out of memory");
	a->n++;
	return 0;
}

int strata_risk_add_values(strata_risk_acc *a, char *const *vals, const size_t *lens, size_t n)
{
	strata_buf_clear(&a->row);
	for (size_t i = 0; i < n; i++)
		if ((i && strata_buf_putc(&a->row, 0x1f) < 0) || strata_buf_put(&a->row, vals[i], lens[i]) < 0)
			return STRATA_ERROR;
	if (strata_buf_putc(&a->row, '\0') < 0 || strata_array_grow(&a->rows, &a->alloc, a->n + 1, 1024) < 0)
		return STRATA_ERROR;
	if ((a->rows[a->n] = strdup(a->row.ptr ? a->row.ptr : "")) == NULL)
		return strata_error_set("out of memory");
	a->n++;
	return 0;
}

static int by_bytes(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Length of the quasi-identifier part of a row (before the sensitive value). */
static size_t qi_len(const char *row)
{
	const char *s = strchr(row, 0x1e);
	return s ? (size_t)(s - row) : strlen(row);
}

int strata_risk_finish(strata_risk_acc *a, size_t min_k, strata_risk *out)
{
	memset(out, 0, sizeof(*out));
	out->has_l = a->sensitive != NULL;
	if (a->n == 0)
		return 0;
	qsort(a->rows, a->n, sizeof(*a->rows), by_bytes);
	out->min_k = (size_t)-1;
	out->min_l = (size_t)-1;
	for (size_t i = 0; i < a->n;) {
		size_t j = i + 1, l = 1, ql = qi_len(a->rows[i]);
		while (j < a->n && qi_len(a->rows[j]) == ql && !memcmp(a->rows[j], a->rows[i], ql)) {
			if (strcmp(a->rows[j], a->rows[j - 1]))
				l++;	/* sorted: a new sensitive value */
			j++;
		}
		if (j - i < min_k) {
			out->suppressed += j - i;
		} else {
			size_t k = j - i;
			out->records += k;
			out->classes++;
			if (k < out->min_k)
				out->min_k = k;
			if (k == 1)
				out->unique++;
			if (k < 5)
				out->below_5 += k;
			if (l < out->min_l)
				out->min_l = l;
			if (l == 1)
				out->l_1++;
		}
		i = j;
	}
	if (!out->records) {
		out->min_k = out->min_l = out->l_1 = 0;
		return 0;
	}
	out->max_risk = 1.0 / (double)out->min_k;
	out->avg_risk = (double)out->classes / (double)out->records;
	if (!out->has_l) {
		out->min_l = 0;
		out->l_1 = 0;
	}
	return 0;
}
