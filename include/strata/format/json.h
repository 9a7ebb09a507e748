/*
 * json.h - canonical JSON for records, and a JSON Lines reader.
 *
 * A record is a flat object whose values are all strings.  Its canonical
 * form has keys sorted by bytes, no insignificant whitespace, UTF-8 as is,
 * and only '"', '\\' and control characters escaped (\b \f \n \r \t, other
 * controls as \u00xx).  Equal records always give equal bytes, which is
 * what makes tree ids independent of history (doc/design.md, guarantee 6).
 *
 * Trust: JSON Lines input and stored record lines are untrusted.
 */
#ifndef STRATA_JSON_H
#define STRATA_JSON_H

#include <stdio.h>
#include <stddef.h>
#include "strata/base/buf.h"
#include "strata/format/csv.h"

#define STRATA_JSONL_MAX_LINE ((size_t)1 << 20)

/* Appends the JSON string literal for s[0..len). */
int strata_json_put_string(strata_buf *out, const char *s, size_t len);

/*
 * Appends the canonical object {names[order[i]]: values[order[i]]} for
 * i < n; `order` must list the fields sorted by name (strata_json_sort_names).
 */
int strata_json_put_record(strata_buf *out, char *const *names,
			   char *const *values, const size_t *lens,
			   const size_t *order, size_t n);

/*
 * An object read from outside holds exactly the keys in `allowed` (a
 * NULL-terminated list), each present unless marked optional by a
 * leading '?'.  0; -1 with *bad the first unknown key; -2 with *bad the
 * first missing one.
 */
struct json_t;
int strata_json_check_keys(const struct json_t *o, const char *const *allowed, const char **bad);

/* Fills order[0..n) with indexes of `names` sorted bytewise. */
void strata_json_sort_names(size_t *order, char *const *names, size_t n);

/*
 * A parsed record line: field names and values in the line's order
 * (canonical lines are sorted).  Both arrays and strings are owned by the
 * record.
 */
typedef struct {
	size_t n;
	char **names;
	char **values;
	size_t *lens;
} strata_record;

/* Parses one canonical record line; refuses anything but an object of strings. */
int strata_json_record_parse(strata_record **out, const char *line, size_t len);
/*
 * Finds field `name` in a canonical record line without a full parse and
 * appends its decoded value to `out`.  Returns 1 if found, 0 if not, and
 * an error for a line that is not canonical record JSON.
 */
int strata_json_record_field(strata_buf *out, const char *line, size_t len, const char *name);

/* Frees this thread's parsing scratch; call before a worker thread exits. */
void strata_json_thread_cleanup(void);

/* Value of field `name`, or NULL. */
const char *strata_json_record_get(const strata_record *r, const char *name);
void strata_json_record_free(strata_record *r);

/*
 * A JSON Lines reader with the CSV reader's row shape: the first object's
 * keys, in order, are the header (returned as the first row); every later
 * object must have exactly those keys.  Values may be strings, numbers,
 * booleans or null (stored as their text, null as ""); nested objects and
 * arrays are refused.
 */
typedef struct strata_jsonl strata_jsonl;
int strata_json_lines_open(strata_jsonl **out, FILE *f, const char *name);
int strata_json_lines_next(strata_jsonl *j, strata_csv_row *row);
void strata_json_lines_free(strata_jsonl *j);

#endif
