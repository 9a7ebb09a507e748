/*
 * csv.h - a streaming RFC 4180 reader.
 *
 * Accepts quoted fields holding commas, quotes ("") and newlines, CRLF or
 * LF (or a lone CR) line ends, an optional UTF-8 byte order mark, and skips
 * empty lines.  Every field must be valid UTF-8.  Memory is bounded by the
 * largest record (STRATA_CSV_MAX_RECORD), whatever the file size.
 *
 * Trust: the input is untrusted; every error names the file, the line and,
 * where it helps, the column.  Column numbers count bytes from 1.
 */
#ifndef STRATA_CSV_H
#define STRATA_CSV_H

#include <stdio.h>
#include <stddef.h>

#define STRATA_CSV_MAX_RECORD ((size_t)1 << 20)	/* bytes in one record, less quotes and line ending */
#define STRATA_CSV_MAX_FIELDS 1024

typedef struct strata_csv strata_csv;

typedef struct {
	size_t nfields;
	char **fields;		/* NUL-terminated; valid until the next call */
	size_t *lens;
	size_t line;		/* line where the record starts (1-based) */
} strata_csv_row;

/* `name` is used in messages only.  The reader does not own `f`. */
int strata_csv_open(strata_csv **out, FILE *f, const char *name);
/* 1 and fills `row`; 0 at end of input; negative on error (message set). */
int strata_csv_next(strata_csv *c, strata_csv_row *row);
void strata_csv_free(strata_csv *c);

#endif
