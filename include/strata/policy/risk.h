/*
 * risk.h - re-identification risk of a set of records, as a recipient
 * holds them.
 *
 * Records that agree on every quasi-identifier form an equivalence class;
 * a record in a class of k can be told apart from at most k - 1 others by
 * someone who knows those fields of a person (k-anonymity, Sweeney 2002).
 * The figures follow the prosecutor model of the de-identification
 * effectiveness assessment in GB/T 42460-2023 (and GB/T 37964-2019's
 * k-anonymity and l-diversity models):
 *
 *   min_k       the smallest class
 *   unique      records in a class of one (re-identified by those fields alone)
 *   below_5     records in classes smaller than five
 *   max_risk    1 / min_k: the risk of the most exposed record
 *   avg_risk    classes / records: the mean of 1/k over all records
 *   l           with a sensitive field: the fewest distinct values of it in a
 *               class (distinct l-diversity); l_1: classes where everyone has
 *               the same value, so knowing the class tells it
 */
#ifndef STRATA_RISK_H
#define STRATA_RISK_H

#include <stddef.h>

typedef struct {
	size_t records, classes, min_k, unique, below_5;
	double max_risk, avg_risk;
	int has_l;
	size_t min_l, l_1;	/* l_1: classes of one sensitive value */
	size_t suppressed;	/* records in classes below min_k, left out of the figures above */
} strata_risk;

typedef struct strata_risk_acc strata_risk_acc;

/* Groups by the fields `qi` (values as text); `sensitive` may be NULL. */
int strata_risk_new(strata_risk_acc **out, char *const *qi, size_t nqi, const char *sensitive);
/* Adds one canonical record line; a field it lacks counts as empty. */
int strata_risk_add(strata_risk_acc *a, const char *line, size_t len);
/*
 * Adds one record given as its quasi-identifier values, in the order the
 * accumulator names them (`n` of them, the sensitive value not counted):
 * for a record pooled from two views, whose fields are not one line.
 */
int strata_risk_add_values(strata_risk_acc *a, char *const *vals, const size_t *lens, size_t n);
/*
 * The figures of everything added (zeros for no record); with `min_k`
 * (0: none), of what is left once the classes smaller than it are
 * suppressed, as a view under min_k holds it.
 */
int strata_risk_finish(strata_risk_acc *a, size_t min_k, strata_risk *out);
void strata_risk_free(strata_risk_acc *a);

#endif
