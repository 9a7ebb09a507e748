/*
 * json.c - canonical record encoding, record parsing, JSON Lines input.
 *
 * Parsing uses jansson (well-kept, strict: it rejects invalid UTF-8 and,
 * with JSON_REJECT_DUPLICATES, duplicate keys).  Encoding is ours, because
 * the canonical byte form is part of the on-disk format and must never
 * change with a library upgrade.
 */
#include "strata/format/json.h"
#include "strata/base/enc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

int strata_json_put_string(strata_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0, i = 0;

	/* the common case, nothing to escape: one copy */
	while (i < len && (unsigned char)s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
		i++;
	if (i == len) {
		if (strata_buf_grow(out, len + 2) < 0)
			return STRATA_ERROR;
		out->ptr[out->len] = '"';
		memcpy(out->ptr + out->len + 1, s, len);
		out->ptr[out->len + 1 + len] = '"';
		out->len += len + 2;
		out->ptr[out->len] = '\0';
		return 0;
	}
	if (strata_buf_putc(out, '"') < 0)
		return STRATA_ERROR;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (strata_buf_put(out, s + run, i - run) < 0)
			return STRATA_ERROR;
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if (strata_buf_put(out, esc, elen) < 0)
			return STRATA_ERROR;
	}
	if (strata_buf_put(out, s + run, len - run) < 0)
		return STRATA_ERROR;
	return strata_buf_putc(out, '"');
}

int strata_json_put_record(strata_buf *out, char *const *names,
			   char *const *values, const size_t *lens,
			   const size_t *order, size_t n)
{
	if (strata_buf_putc(out, '{') < 0)
		return STRATA_ERROR;
	for (size_t i = 0; i < n; i++) {
		size_t k = order[i];
		if ((i && strata_buf_putc(out, ',') < 0) ||
		    strata_json_put_string(out, names[k], strlen(names[k])) < 0 ||
		    strata_buf_putc(out, ':') < 0 ||
		    strata_json_put_string(out, values[k], lens ? lens[k] : strlen(values[k])) < 0)
			return STRATA_ERROR;
	}
	return strata_buf_putc(out, '}');
}

void strata_json_sort_names(size_t *order, char *const *names, size_t n)
{
	/* insertion sort: field lists are short, and this keeps it reentrant */
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = 1; i < n; i++) {
		size_t v = order[i], j = i;
		while (j > 0 && strcmp(names[order[j - 1]], names[v]) > 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
}

/* Decodes the string literal at *p (after its opening quote) into out (if non-NULL). */
static int scan_string(const char **p, const char *end, strata_buf *out)
{
	const char *s = *p;
	while (s < end && *s != '"') {
		const char *run = s;
		while (s < end && *s != '"' && *s != '\\') {
			/* found by the fuzzer: JSON forbids raw control characters in strings */
			if ((unsigned char)*s < 0x20)
				return strata_error_set("invalid record: a raw control character in a string");
			s++;
		}
		if (out && strata_buf_put(out, run, (size_t)(s - run)) < 0)
			return STRATA_ERROR;
		if (s < end && *s == '\\') {
			char c;
			if (end - s < 2)
				return strata_error_set("invalid record: truncated escape");
			switch (s[1]) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case '/': c = '/'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				/* canonical records only escape control characters this way */
				unsigned v = 0;
				if (end - s < 6)
					return strata_error_set("invalid record: truncated escape");
				for (int k = 2; k < 6; k++) {
					char h = s[k];
					v = v << 4 | (unsigned)(h >= '0' && h <= '9' ? h - '0' :
							       h >= 'a' && h <= 'f' ? h - 'a' + 10 :
							       h >= 'A' && h <= 'F' ? h - 'A' + 10 : 99);
				}
				if (v >= 0x20 || v == 0)
					return strata_error_set("invalid record: non-canonical \\u escape");
				if (out && strata_buf_putc(out, (char)v) < 0)
					return STRATA_ERROR;
				s += 6;
				continue;
			}
			default:
				return strata_error_set("invalid record: bad escape");
			}
			if (out && strata_buf_putc(out, c) < 0)
				return STRATA_ERROR;
			s += 2;
		}
	}
	if (s >= end)
		return strata_error_set("invalid record: unterminated string");
	*p = s + 1;
	return 0;
}

int strata_json_record_field(strata_buf *out, const char *line, size_t len, const char *name)
{
	const char *p = line, *end = line + len;
	strata_buf key = STRATA_BUF_INIT;
	int error = 0;

	if (len < 2 || *p++ != '{')
		return strata_error_set("invalid record: not an object");
	if (*p == '}')
		return 0;
	for (;;) {
		int match;
		if (p >= end || *p++ != '"') {
			error = strata_error_set("invalid record: expected a field name");
			break;
		}
		strata_buf_clear(&key);
		if ((error = scan_string(&p, end, &key)) < 0)
			break;
		match = key.ptr && strcmp(key.ptr, name) == 0;
		if (p + 1 >= end || p[0] != ':' || p[1] != '"') {
			error = strata_error_set("invalid record: expected a string value");
			break;
		}
		p += 2;
		if ((error = scan_string(&p, end, match ? out : NULL)) < 0)
			break;
		if (match) {
			error = 1;
			break;
		}
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			break;
		error = strata_error_set("invalid record: expected ',' or '}'");
		break;
	}
	strata_buf_dispose(&key);
	return error;
}

void strata_json_record_free(strata_record *r)
{
	free(r);	/* one block: the record, its arrays and its strings */
}

/*
 * Parses a canonical record line: {"k":"v",...} with keys strictly
 * increasing (so no duplicates), string values only, valid UTF-8.  One
 * allocation holds everything.  Stricter than JSON, on purpose: stored
 * lines are canonical, and anything else is refused.
 */
static __thread strata_buf scratch;	/* decoded strings, NUL-separated */

void strata_json_thread_cleanup(void)
{
	strata_buf_dispose_secret(&scratch);	/* it held record values */
}

int strata_json_record_parse(strata_record **out, const char *line, size_t len)
{
	size_t offs[2 * STRATA_CSV_MAX_FIELDS + 2], nstr = 0, nfields, block;
	const char *p = line, *end = line + len;
	strata_record *r;
	char *arena;

	*out = NULL;
	strata_buf_clear(&scratch);
	if (len < 2 || *p++ != '{')
		return strata_error_set("invalid record: not an object");
	if (*p == '}') {
		p++;
	} else {
		for (;;) {
			for (int part = 0; part < 2; part++) {
				if (nstr >= 2 * STRATA_CSV_MAX_FIELDS)
					return strata_error_set("invalid record: too many fields");
				if (part == 1 && (p >= end || *p++ != ':'))
					return strata_error_set("invalid record: expected ':'");
				if (p >= end || *p++ != '"') {
					if (part)
						return strata_error_set("invalid record: field '%s' is not a string",
									scratch.ptr + offs[nstr - 1]);
					return strata_error_set("invalid record: expected a field name");
				}
				offs[nstr] = scratch.len;
				if (scan_string(&p, end, &scratch) < 0 || strata_buf_putc(&scratch, '\0') < 0)
					return STRATA_ERROR;
				if (!strata_enc_utf8_valid(scratch.ptr + offs[nstr], scratch.len - 1 - offs[nstr]))
					return strata_error_set("invalid record: not valid UTF-8");
				/* found by the fuzzer: a name must be something a schema can hold */
				if (part == 0 && (scratch.len - 1 == offs[nstr] ||
						  strlen(scratch.ptr + offs[nstr]) != scratch.len - 1 - offs[nstr]))
					return strata_error_set("invalid record: a field name is empty or holds NUL");
				nstr++;
			}
			if (nstr > 2 && strcmp(scratch.ptr + offs[nstr - 4], scratch.ptr + offs[nstr - 2]) >= 0)
				return strata_error_set("invalid record: fields not in canonical order (or repeated)");
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == '}') {
				p++;
				break;
			}
			return strata_error_set("invalid record: expected ',' or '}'");
		}
	}
	if (p != end)
		return strata_error_set("invalid record: trailing bytes");
	nfields = nstr / 2;
	block = sizeof(*r) + (nfields + 1) * (2 * sizeof(char *) + sizeof(size_t)) + scratch.len + 1;
	if ((r = calloc(1, block)) == NULL)
		return strata_error_set("out of memory");
	r->n = nfields;
	r->names = (char **)(r + 1);
	r->values = r->names + nfields + 1;
	r->lens = (size_t *)(r->values + nfields + 1);
	arena = (char *)(r->lens + nfields + 1);
	if (scratch.len)
		memcpy(arena, scratch.ptr, scratch.len);
	for (size_t i = 0; i < nfields; i++) {
		r->names[i] = arena + offs[2 * i];
		r->values[i] = arena + offs[2 * i + 1];
		r->lens[i] = strlen(r->values[i]);	/* canonical values hold no NUL */
	}
	*out = r;
	return 0;
}

const char *strata_json_record_get(const strata_record *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->names[i], name) == 0)
			return r->values[i];
	return NULL;
}

/* ---- JSON Lines input ---- */

struct strata_jsonl {
	FILE *f;
	char *name;
	size_t line;
	strata_buf buf;		/* current physical line */
	strata_buf vals;	/* values of the current row, NUL-separated */
	size_t nfields;
	char **header;
	char **ptrs;
	size_t *lens;
	size_t *hlens;
	size_t *offs;
	int header_sent;		/* 0: not yet, 1: header sent, 2: first row sent */
};

int strata_json_lines_open(strata_jsonl **out, FILE *f, const char *name)
{
	strata_jsonl *j;

	*out = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->name = strdup(name)) == NULL) {
		free(j);
		return strata_error_set("out of memory");
	}
	j->f = f;
	j->buf.max = STRATA_JSONL_MAX_LINE;
	j->vals.max = STRATA_JSONL_MAX_LINE * 2;
	*out = j;
	return 0;
}

void strata_json_lines_free(strata_jsonl *j)
{
	if (!j)
		return;
	for (size_t i = 0; j->header && i < j->nfields; i++)
		free(j->header[i]);
	free(j->header);
	free(j->ptrs);
	free(j->lens);
	free(j->hlens);
	free(j->offs);
	strata_buf_dispose(&j->buf);
	strata_buf_dispose(&j->vals);
	free(j->name);
	free(j);
}

/* Reads one physical line into j->buf; 1, 0 at EOF, <0 on error. */
static int read_line(strata_jsonl *j)
{
	int ch;

	strata_buf_clear(&j->buf);
	if (j->line == 0) {
		/* optional UTF-8 BOM */
		int a = getc(j->f);
		if (a == 0xef) {
			int b = getc(j->f), c = getc(j->f);
			if (b != 0xbb || c != 0xbf)
				return strata_error_set("'%s': line 1: invalid UTF-8 at start of file", j->name);
		} else if (a != EOF) {
			ungetc(a, j->f);
		}
	}
	j->line++;
	while ((ch = getc(j->f)) != EOF && ch != '\n') {
		if (ch == 0)
			return strata_error_set("'%s': line %zu: NUL byte: not a text file", j->name, j->line);
		if (strata_buf_putc(&j->buf, (char)ch) < 0)
			return strata_error_set("'%s': line %zu: line longer than %zu bytes",
						j->name, j->line, STRATA_JSONL_MAX_LINE);
	}
	if (ferror(j->f))
		return strata_error_set("cannot read '%s': %s", j->name, strerror(errno));
	if (ch == EOF && j->buf.len == 0)
		return 0;
	if (j->buf.len && j->buf.ptr[j->buf.len - 1] == '\r')
		j->buf.ptr[--j->buf.len] = '\0';
	return 1;
}

/* Skips a JSON string at *p (already validated by jansson): past its closing quote. */
static void skip_string(const char **p, const char *end)
{
	const char *s = *p + 1;
	while (s < end && *s != '"')
		s += *s == '\\' ? 2 : 1;
	*p = s < end ? s + 1 : end;
}

static void skip_ws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n'))
		(*p)++;
}

/*
 * The text of the number that is the value of `key` in the line jansson
 * just accepted as a flat object: a number keeps the text it was written
 * with (0.1, 1e23, 2.50, -0), as it does in CSV; jansson would hand back
 * a double, rewritten.  0 and the span, or -1 if not found.
 */
static int raw_number(const strata_jsonl *j, const char *key, const char **num, size_t *nlen)
{
	const char *p = j->buf.ptr, *end = j->buf.ptr + j->buf.len;
	size_t klen = strlen(key);

	skip_ws(&p, end);
	if (p >= end || *p != '{')
		return -1;
	p++;
	for (;;) {
		const char *ks, *ke, *vs;
		int match;
		skip_ws(&p, end);
		if (p >= end || *p != '"')
			return -1;
		ks = p;
		skip_string(&p, end);
		ke = p;
		if (memchr(ks, '\\', (size_t)(ke - ks))) {
			/* an escaped name: let jansson decode it */
			json_t *k = json_loadb(ks, (size_t)(ke - ks), JSON_DECODE_ANY, NULL);
			match = k && json_is_string(k) && json_string_length(k) == klen &&
				!memcmp(json_string_value(k), key, klen);
			json_decref(k);
		} else {
			match = (size_t)(ke - ks) == klen + 2 && !memcmp(ks + 1, key, klen);
		}
		skip_ws(&p, end);
		if (p >= end || *p != ':')
			return -1;
		p++;
		skip_ws(&p, end);
		vs = p;
		if (p < end && *p == '"')
			skip_string(&p, end);
		else
			while (p < end && *p != ',' && *p != '}' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
				p++;
		if (match && (*vs == '-' || (*vs >= '0' && *vs <= '9'))) {
			*num = vs;
			*nlen = (size_t)(p - vs);
			return 0;
		}
		skip_ws(&p, end);
		if (p >= end || *p != ',')
			return -1;
		p++;
	}
}

static int value_text(strata_jsonl *j, const char *key, json_t *v)
{
	const char *num;
	size_t nlen;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return strata_buf_put(&j->vals, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
	case JSON_REAL:
		/* duplicate keys are refused, so the first match is the one */
		if (raw_number(j, key, &num, &nlen) < 0)
			return strata_error_set("'%s': line %zu: cannot find the text of number field '%s'",
						j->name, j->line, key);
		return strata_buf_put(&j->vals, num, nlen);
	case JSON_TRUE:
		return strata_buf_puts(&j->vals, "true");
	case JSON_FALSE:
		return strata_buf_puts(&j->vals, "false");
	case JSON_NULL:
		return 0;
	default:
		return strata_error_set("'%s': line %zu: field '%s' is not a scalar (objects and arrays are not supported)",
					j->name, j->line, key);
	}
}

static int take_header(strata_jsonl *j, json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	const char *k;
	json_t *v;

	if (n == 0)
		return strata_error_set("'%s': line %zu: empty object", j->name, j->line);
	if (n > STRATA_CSV_MAX_FIELDS)
		return strata_error_set("'%s': line %zu: more than %d fields", j->name, j->line, STRATA_CSV_MAX_FIELDS);
	if ((j->header = calloc(n, sizeof(char *))) == NULL ||
	    (j->ptrs = calloc(n, sizeof(char *))) == NULL ||
	    (j->lens = calloc(n, sizeof(size_t))) == NULL ||
	    (j->hlens = calloc(n, sizeof(size_t))) == NULL ||
	    (j->offs = calloc(n, sizeof(size_t))) == NULL)
		return strata_error_set("out of memory");
	j->nfields = n;
	json_object_foreach(obj, k, v) {
		if ((j->header[i] = strdup(k)) == NULL)
			return strata_error_set("out of memory");
		j->hlens[i++] = strlen(k);
	}
	return 0;
}

static int has_all_fields(strata_jsonl *j, json_t *obj)
{
	for (size_t i = 0; i < j->nfields; i++)
		if (!json_object_get(obj, j->header[i]))
			return 0;
	return 1;
}

int strata_json_lines_next(strata_jsonl *j, strata_csv_row *row)
{
	json_error_t jerr;
	json_t *obj = NULL;
	int r, error = STRATA_ERROR;

	if (j->header && !j->header_sent) {
		/* the first data line was parsed with the header; emit the header first */
		j->header_sent = 1;
		row->nfields = j->nfields;
		row->fields = j->header;
		row->lens = j->hlens;
		row->line = j->line;
		return 1;
	}
	if (j->header_sent == 1) {
		/* return the row that came with the header */
		j->header_sent = 2;
		goto emit;
	}
	do {
		if ((r = read_line(j)) <= 0)
			return r;
	} while (j->buf.len == 0 || strspn(j->buf.ptr, " \t") == j->buf.len);

	/* integers as reals: a big one is refused as an integer, and its text is kept anyway */
	obj = json_loadb(j->buf.ptr, j->buf.len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
	if (!obj) {
		strata_error_set("'%s': line %zu, column %d: %s", j->name, j->line, jerr.column, jerr.text);
		goto done;
	}
	if (!json_is_object(obj)) {
		strata_error_set("'%s': line %zu: not a JSON object", j->name, j->line);
		goto done;
	}
	if (!j->header && take_header(j, obj) < 0)
		goto done;
	if (json_object_size(obj) != j->nfields || !has_all_fields(j, obj)) {
		const char *k;
		json_t *v;
		json_object_foreach(obj, k, v) {
			size_t i;
			for (i = 0; i < j->nfields && strcmp(j->header[i], k); i++)
				;
			if (i == j->nfields) {
				strata_error_set("'%s': line %zu: unknown field '%s'", j->name, j->line, k);
				goto done;
			}
		}
	}
	strata_buf_clear(&j->vals);
	for (size_t i = 0; i < j->nfields; i++) {
		json_t *v = json_object_get(obj, j->header[i]);
		if (!v) {
			error = strata_error_set("'%s': line %zu: missing field '%s'", j->name, j->line, j->header[i]);
			goto done;
		}
		j->offs[i] = j->vals.len;
		if ((error = value_text(j, j->header[i], v)) < 0)
			goto done;
		j->lens[i] = j->vals.len - j->offs[i];
		if ((error = strata_buf_putc(&j->vals, '\0')) < 0)
			goto done;
	}
	json_decref(obj);
	obj = NULL;
	if (!j->header_sent)
		return strata_json_lines_next(j, row);
emit:
	for (size_t i = 0; i < j->nfields; i++)
		j->ptrs[i] = j->vals.ptr + j->offs[i];
	row->nfields = j->nfields;
	row->fields = j->ptrs;
	row->lens = j->lens;
	row->line = j->line;
	error = 1;
done:
	json_decref(obj);
	return error;
}

int strata_json_check_keys(const json_t *o, const char *const *allowed, const char **bad)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v) {
		size_t i;
		(void)v;
		for (i = 0; allowed[i] && strcmp(allowed[i] + (allowed[i][0] == '?'), key); i++)
			;
		if (!allowed[i]) {
			*bad = key;
			return -1;
		}
	}
	for (size_t i = 0; allowed[i]; i++)
		if (allowed[i][0] != '?' && !json_object_get(o, allowed[i])) {
			*bad = allowed[i];
			return -2;
		}
	return 0;
}
