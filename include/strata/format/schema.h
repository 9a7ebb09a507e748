/*
 * schema.h - a dataset's schema.json: fields in input order, their types,
 * and the key (doc/dataset-format.md).
 *
 * Trust: a schema read from a received tree is validated like any other
 * input (strata_schema_parse refuses what it does not know).
 */
#ifndef STRATA_SCHEMA_H
#define STRATA_SCHEMA_H

#include <git2.h>
#include "strata/base/buf.h"
#include "strata/format/pack.h"

typedef struct {
	size_t nfields;
	char **names;		/* input column order */
	char **types;		/* string, integer, number, date, boolean */
	char **kinds;		/* per field, what its values are declared to be, or NULL (see below) */
	size_t nkey;
	char **key;		/* key field names, in key order */
} strata_schema;

int strata_schema_parse(strata_schema **out, const char *json, size_t len);
/* Canonical JSON (sorted keys, no whitespace) followed by a newline. */
int strata_schema_write(strata_buf *out, const strata_schema *s);
/* Writes schema.json and the root tree {records/, schema.json} into a pack. */
int strata_schema_write_root(struct strata_packw *w, const strata_schema *s,
			      const git_oid *records, git_oid *root);
/* Reads schema.json from a dataset commit's root tree. */
int strata_schema_load(strata_schema **out, git_repository *repo, const git_tree *root);
/* Index of field `name`, or -1. */
int strata_schema_field(const strata_schema *s, const char *name);
void strata_schema_free(strata_schema *s);

/*
 * Kinds: what a field's values are, checked at import.  A dataset's
 * officer declares one (schema.json's optional "kind" of a field; views
 * carry none):
 *   resident-id  a resident ID number (GB 11643): 18 characters, the birth
 *                date in them a real date, the last the check digit
 *   mobile       a mobile number: 11 digits, 13 to 19 first
 *   date         YYYY-MM-DD, a date that exists
 *   text         free text: nothing is checked, not even by shape
 * A field declared nothing whose every value has the shape of a resident
 * ID number, or of a date, is checked as one (strata_schema_shape).
 */
int strata_schema_kind_known(const char *kind);
enum { STRATA_SHAPE_RESIDENT_ID = 1, STRATA_SHAPE_DATE = 2, STRATA_SHAPE_ALL = 3 };
/* The shapes `v` has (non-empty values only). */
unsigned strata_schema_shape(const char *v, size_t len);
/*
 * 0 if `v` is a valid value of `kind`, else 1 with why it is not (a
 * phrase that follows "is not ...") in `why`.
 */
int strata_schema_kind_check(char *why, size_t size, const char *kind, const char *v, size_t len);

/* Type inference: start with STRATA_TYPES_ALL and narrow per value. */
#define STRATA_TYPES_ALL 0xfu
unsigned strata_schema_type_narrow(unsigned mask, const char *v, size_t len);
const char *strata_schema_type_name(unsigned mask);

#endif
