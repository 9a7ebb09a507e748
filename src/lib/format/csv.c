/*
 * csv.c - streaming RFC 4180 reader; see csv.h.
 *
 * A byte-at-a-time state machine over a 64 KiB read buffer.  Field bytes
 * accumulate in one record buffer (bounded), each field NUL-terminated, and
 * offsets are turned into pointers only when the record is complete, so the
 * buffer may move while it grows.
 */
#include "strata/format/csv.h"
#include "strata/base/enc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum state { FIELD_START, UNQUOTED, QUOTED, QUOTE_SEEN };

struct strata_csv {
	FILE *f;
	char *name;
	unsigned char in[65536];
	size_t in_len, in_pos;
	int eof;
	int started;		/* BOM check done */
	int skip_lf;		/* last byte was CR */
	size_t line, col;	/* position of the next byte */
	strata_buf rec;
	size_t *offs;		/* field start offsets in rec */
	size_t *lens;
	char **ptrs;
	size_t nfields;
};

int strata_csv_open(strata_csv **out, FILE *f, const char *name)
{
	strata_csv *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->name = strdup(name)) == NULL ||
	    (c->offs = calloc(STRATA_CSV_MAX_FIELDS + 1, sizeof(size_t))) == NULL ||
	    (c->lens = calloc(STRATA_CSV_MAX_FIELDS + 1, sizeof(size_t))) == NULL ||
	    (c->ptrs = calloc(STRATA_CSV_MAX_FIELDS + 1, sizeof(char *))) == NULL) {
		strata_csv_free(c);
		return strata_error_set("out of memory");
	}
	c->f = f;
	c->line = 1;
	c->col = 1;
	/*
	 * rec holds each field and a NUL after it: the field bytes, plus one
	 * where each separator was, plus one.  So a record of 1 MiB, its
	 * separators counted and its line ending not, just fits, as a JSON
	 * line of 1 MiB does.
	 */
	c->rec.max = STRATA_CSV_MAX_RECORD + 1;
	*out = c;
	return 0;
}

void strata_csv_free(strata_csv *c)
{
	if (!c)
		return;
	strata_buf_dispose(&c->rec);
	free(c->offs);
	free(c->lens);
	free(c->ptrs);
	free(c->name);
	free(c);
}

/* Next byte, or -1 at end of input, or -2 on a read error. */
static int next_byte(strata_csv *c)
{
	if (c->in_pos == c->in_len) {
		if (c->eof)
			return -1;
		c->in_len = fread(c->in, 1, sizeof(c->in), c->f);
		c->in_pos = 0;
		if (c->in_len == 0) {
			c->eof = 1;
			if (ferror(c->f)) {
				strata_error_set("cannot read '%s': %s", c->name, strerror(errno));
				return -2;
			}
			return -1;
		}
		if (!c->started) {
			c->started = 1;
			if (c->in_len >= 3 && memcmp(c->in, "\xef\xbb\xbf", 3) == 0)
				c->in_pos = 3;
			return next_byte(c);
		}
	}
	return c->in[c->in_pos++];
}

static int end_field(strata_csv *c, size_t line)
{
	size_t start = c->offs[c->nfields];
	size_t len = c->rec.len - start;

	if (!strata_enc_utf8_valid(c->rec.ptr ? c->rec.ptr + start : "", len))
		return strata_error_set("'%s': line %zu: field %zu is not valid UTF-8",
					c->name, line, c->nfields + 1);
	c->lens[c->nfields] = len;
	if (strata_buf_putc(&c->rec, '\0') < 0)
		return strata_error_set("'%s': line %zu: record longer than %zu bytes",
					c->name, line, STRATA_CSV_MAX_RECORD);
	if (++c->nfields > STRATA_CSV_MAX_FIELDS)
		return strata_error_set("'%s': line %zu: more than %d fields",
					c->name, line, STRATA_CSV_MAX_FIELDS);
	c->offs[c->nfields] = c->rec.len;
	return 0;
}

int strata_csv_next(strata_csv *c, strata_csv_row *row)
{
	enum state st = FIELD_START;
	size_t rec_line = c->line, quote_line = 0, quote_col = 0;
	int ch;

	strata_buf_clear(&c->rec);
	c->nfields = 0;
	c->offs[0] = 0;

	for (;;) {
		/* fast path: copy a run of ordinary bytes inside a field at once */
		if ((st == UNQUOTED || st == QUOTED) && c->in_pos < c->in_len) {
			const unsigned char *p = c->in + c->in_pos, *e = c->in + c->in_len, *q = p;
			if (st == UNQUOTED)
				while (q < e && *q != ',' && *q != '\n' && *q != '\r' && *q != '"' && *q)
					q++;
			else
				while (q < e && *q != '"' && *q != '\n' && *q != '\r' && *q)
					q++;
			if (q > p) {
				if (strata_buf_put(&c->rec, p, (size_t)(q - p)) < 0)
					goto too_long;
				c->col += (size_t)(q - p);
				c->in_pos += (size_t)(q - p);
				c->skip_lf = 0;
				if (q == e)
					continue;
			}
		}
		ch = next_byte(c);
		if (ch == -2)
			return STRATA_ERROR;
		if (ch == -1)
			break;
		if (ch == 0)
			return strata_error_set("'%s': line %zu: NUL byte: not a text file",
						c->name, c->line);
		size_t at_line = c->line, at_col = c->col;
		if (ch == '\n' && c->skip_lf) {
			/* LF of a CRLF: the line was counted at the CR; outside quotes
			 * it lands on an empty record, which is skipped */
			c->skip_lf = 0;
		} else if (ch == '\n' || ch == '\r') {
			c->line++;
			c->col = 1;
			if (ch == '\r')
				c->skip_lf = 1;
		} else {
			c->skip_lf = 0;
			c->col++;
		}

		switch (st) {
		case FIELD_START:
		case UNQUOTED:
			if (ch == ',') {
				if (end_field(c, rec_line) < 0)
					return STRATA_ERROR;
				st = FIELD_START;
			} else if (ch == '\n' || ch == '\r') {
				if (st == FIELD_START && c->nfields == 0) {
					rec_line = c->line; /* blank line: skip */
					continue;
				}
				goto record_done;
			} else if (ch == '"') {
				if (st == UNQUOTED)
					return strata_error_set("'%s': line %zu, column %zu: quote inside an unquoted field",
								c->name, at_line, at_col);
				st = QUOTED;
				quote_line = at_line;
				quote_col = at_col;
			} else {
				if (strata_buf_putc(&c->rec, (char)ch) < 0)
					goto too_long;
				st = UNQUOTED;
			}
			break;
		case QUOTED:
			if (ch == '"') {
				st = QUOTE_SEEN;
			} else if (strata_buf_putc(&c->rec, (char)ch) < 0) {
				goto too_long;
			}
			break;
		case QUOTE_SEEN:
			if (ch == '"') {
				if (strata_buf_putc(&c->rec, '"') < 0)
					goto too_long;
				st = QUOTED;
			} else if (ch == ',') {
				if (end_field(c, rec_line) < 0)
					return STRATA_ERROR;
				st = FIELD_START;
			} else if (ch == '\n' || ch == '\r') {
				goto record_done;
			} else {
				return strata_error_set("'%s': line %zu, column %zu: unexpected character after closing quote",
							c->name, at_line, at_col);
			}
			break;
		}
	}

	/* end of input */
	if (st == QUOTED)
		return strata_error_set("'%s': line %zu, column %zu: unterminated quoted field",
					c->name, quote_line, quote_col);
	if (st == FIELD_START && c->nfields == 0)
		return 0;

record_done:
	if (end_field(c, rec_line) < 0)
		return STRATA_ERROR;
	for (size_t i = 0; i < c->nfields; i++)
		c->ptrs[i] = c->rec.ptr + c->offs[i];
	row->nfields = c->nfields;
	row->fields = c->ptrs;
	row->lens = c->lens;
	row->line = rec_line;
	return 1;

too_long:
	return strata_error_set("'%s': line %zu: record longer than %zu bytes",
				c->name, rec_line, STRATA_CSV_MAX_RECORD);
}
