/*
 * report.c - tables that commands print: aligned for a terminal, CSV for a
 * spreadsheet, or JSON for a script (cli.h, "Reports").
 *
 * CSV starts with a UTF-8 byte order mark and ends lines with CRLF, as
 * RFC 4180 says: without the mark, Excel reads UTF-8 as the local code
 * page and Chinese text turns to mojibake; LibreOffice and Python's csv
 * module (encoding "utf-8-sig") take the mark as it is meant.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

/*
 * A table's header and its words in the reader's language: the column
 * names (the JSON keys, which CSV and JSON keep) and the values of the
 * columns that hold a word of strata's own (a state, a role, a tier), not
 * data.  One list, so that the catalogue (po/) has each once.
 */
static const char *const column_names[] = {
	N_("as_of"), N_("attention"), N_("check"), N_("rule"), N_("source"), N_("display_name"), N_("label"), N_("attribute"), N_("built"), N_("commit"), N_("confirmed"), N_("contact"),
	N_("current"), N_("cut"), N_("cut_at"), N_("dataset"), N_("datasets"), N_("deadline"), N_("decision"),
	N_("direction"), N_("erasure"), N_("event"), N_("field"), N_("fields"), N_("filer"), N_("fingerprint"),
	N_("frequency"), N_("from"), N_("id"), N_("impact"), N_("key_there"), N_("kind"), N_("last_change"),
	N_("legs"), N_("name"), N_("name_there"), N_("note"), N_("onward"), N_("owner"), N_("parcel"), N_("path"),
	N_("peer"), N_("peer_last_confirmed"), N_("policy"), N_("policy_blob"), N_("policy_version"), N_("purpose"),
	N_("reason"), N_("recipient"), N_("record"), N_("records"), N_("reimported"), N_("retention"), N_("role"),
	N_("sender"), N_("sent"), N_("shared"), N_("state"), N_("status"), N_("subject"), N_("tier"), N_("time"),
	N_("title"), N_("url"), N_("value"), N_("via"), N_("view"), N_("waiting_on"), N_("what"),
};
static const char *const word_columns[] = { "attribute", "decision", "direction", "kind", "role", "state", "status",
					   "tier" };
static const char *const words[] = {
	N_("open"), N_("overdue"), N_("approved"), N_("refused"), N_("leg-open"), N_("accepted"), N_("rejected"),
	N_("done"), N_("confirmed"), N_("pending"), N_("filed"), N_("owner"), N_("relay"), N_("community"),
	N_("street"), N_("district"), N_("province"), N_("department"), N_("push"), N_("pull"), N_("both"),
	N_("conditional"), N_("closed"), N_("erasure"), N_("retraction"), N_("retention"), N_("withdrawal"),
	N_("approve"), N_("refuse"), N_("accept"), N_("reject"), N_("good"), N_("bad"), N_("unsigned"),
	N_("untrusted"), N_("added"), N_("changed"), N_("removed"), N_("received"), N_("network"), N_("key"),
	N_("direction_from"), N_("attributes"),
};

static int listed(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

/* A column's header on a terminal: its name in the reader's language (`ours`: a report of strata's own). */
static const char *header(int ours, const char *col)
{
	return ours && listed(column_names, sizeof(column_names) / sizeof(*column_names), col) ? _(col) : col;
}

/* A cell on a terminal: a word of strata's own in the reader's language, data as it is. */
static const char *shown(int ours, const char *col, const char *v)
{
	if (ours && *v && listed(word_columns, sizeof(word_columns) / sizeof(*word_columns), col) &&
	    listed(words, sizeof(words) / sizeof(*words), v))
		return _(v);
	return v;
}

int cli_report_format(int *out, const char *arg)
{
	if (!strcmp(arg, "table"))
		*out = CLI_TABLE;
	else if (!strcmp(arg, "csv"))
		*out = CLI_CSV;
	else if (!strcmp(arg, "json"))
		*out = CLI_JSON;
	else {
		fprintf(stderr, _("strata: --format '%s': use table, csv or json\n"), arg);
		return CLI_EUSAGE;
	}
	return 0;
}

/* Columns a string takes on a terminal: East Asian wide characters take two. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		unsigned cp = *p;
		int n = cp < 0x80 ? 1 : cp < 0xe0 ? 2 : cp < 0xf0 ? 3 : 4;
		if (n > 1)
			cp &= 0xffu >> (n + 1);
		for (int i = 1; i < n && p[i]; i++)
			cp = (cp << 6) | (p[i] & 0x3f);
		for (int i = 0; i < n && *p; i++)
			p++;
		w += (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
		     (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
		     (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd) ? 2 : 1;
	}
	return w;
}

static const char *cell(const json_t *row, const char *col, char *tmp, size_t size)
{
	const json_t *v = json_object_get(row, col);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(tmp, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(tmp, size, "%.15g", json_real_value(v));
	else if (json_is_true(v) || json_is_false(v))
		snprintf(tmp, size, "%s", json_is_true(v) ? "true" : "false");
	else
		tmp[0] = '\0';	/* null, or absent */
	return tmp;
}

static void csv_cell(FILE *out, const char *v)
{
	if (!v[strcspn(v, ",\"\r\n")]) {
		fputs(v, out);
		return;
	}
	putc('"', out);
	for (; *v; v++) {
		if (*v == '"')
			putc('"', out);
		putc(*v, out);
	}
	putc('"', out);
}

void cli_report_csv_header(FILE *out, const char *const *cols, size_t ncols)
{
	fputs("\xef\xbb\xbf", out);
	for (size_t c = 0; c < ncols; c++) {
		if (c)
			putc(',', out);
		csv_cell(out, cols[c]);
	}
	fputs("\r\n", out);
}

void cli_report_csv_row(FILE *out, const char *const *vals, size_t ncols)
{
	for (size_t c = 0; c < ncols; c++) {
		if (c)
			putc(',', out);
		csv_cell(out, vals[c] ? vals[c] : "");
	}
	fputs("\r\n", out);
}

static int print_report(FILE *out, const json_t *rows, const char *const *cols, size_t ncols, int format, int ours)
{
	char tmp[64];
	size_t i, w[32] = { 0 };
	const json_t *row;

	if (ncols > sizeof(w) / sizeof(*w))
		return strata_error_set("a report of %zu columns is too wide", ncols);
	if (format == CLI_JSON) {
		json_dumpf(rows, out, JSON_INDENT(2));
		putc('\n', out);
		return 0;
	}
	if (format == CLI_CSV) {
		const char *vals[32];
		cli_report_csv_header(out, cols, ncols);
		json_array_foreach(rows, i, row) {
			char tmps[32][64];
			for (size_t c = 0; c < ncols; c++)
				vals[c] = cell(row, cols[c], tmps[c], sizeof(tmps[c]));
			cli_report_csv_row(out, vals, ncols);
		}
		return 0;
	}
	for (size_t c = 0; c < ncols; c++)
		w[c] = width(header(ours, cols[c]));
	json_array_foreach(rows, i, row)
		for (size_t c = 0; c < ncols; c++) {
			size_t cw = width(shown(ours, cols[c], cell(row, cols[c], tmp, sizeof(tmp))));
			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; r <= json_array_size(rows); r++) {
		size_t last = ncols - 1;	/* no padding after the last cell that says something */
		row = r ? json_array_get(rows, r - 1) : NULL;
		while (row && last > 0 && !*cell(row, cols[last], tmp, sizeof(tmp)))
			last--;
		for (size_t c = 0; c <= last; c++) {
			const char *v = row ? shown(ours, cols[c], cell(row, cols[c], tmp, sizeof(tmp))) : header(ours, cols[c]);
			if (c == last) {
				fputs(v, out);
				break;
			}
			fprintf(out, "%s%*s  ", v, (int)(w[c] - width(v)), "");
		}
		putc('\n', out);
	}
	return 0;
}

int cli_report_print(FILE *out, const json_t *rows, const char *const *cols, size_t ncols, int format)
{
	return print_report(out, rows, cols, ncols, format, 1);
}

int cli_report_print_data(FILE *out, const json_t *rows, const char *const *cols, size_t ncols, int format)
{
	return print_report(out, rows, cols, ncols, format, 0);
}

static int progress_shown;

void cli_progress(const strata_cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (cli->quiet || !isatty(STDERR_FILENO))
		return;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_shown = 1;
}

void cli_progress_done(const strata_cli *cli)
{
	if (!progress_shown || cli->quiet || !isatty(STDERR_FILENO))
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	progress_shown = 0;
}

void cli_json_nulls(json_t *o)
{
	for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
		json_t *v = json_object_iter_value(it);
		if (json_is_string(v) && json_string_length(v) == 0)
			json_object_iter_set_new(o, it, json_null());
	}
}

int cli_report_list(json_t *rows, const char *const *cols, size_t ncols, const char *const *json_cols,
		    size_t njson_cols, int format, const char *empty)
{
	int rc = 0;

	if (json_array_size(rows) == 0 && format == CLI_TABLE)
		printf("%s\n", empty);
	else if (format == CLI_JSON)
		rc = cli_report_print(stdout, rows, json_cols, njson_cols, format);
	else
		rc = cli_report_print(stdout, rows, cols, ncols, format);
	json_decref(rows);
	return rc < 0 ? rc : 0;
}
