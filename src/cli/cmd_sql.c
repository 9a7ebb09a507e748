/*
 * cmd_sql.c - strata sql STATEMENT [--format table|csv|json] [--tables]:
 * one read-only SQL statement over the datasets this node holds
 * (query.h says which tables there are and how they are typed).
 */
#include "cli.h"
#include "strata/data/query.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "sql STATEMENT [--format table|csv|json]\n       strata sql --tables"

typedef struct {
	int format;
	size_t ncols;
	const char **cols;	/* the column names, for the table and JSON forms */
	char **names;
	json_t *rows;
} sql_out;

static int on_cols(size_t ncols, const char *const *names, void *payload)
{
	sql_out *o = payload;

	o->ncols = ncols;
	if (o->format == CLI_CSV) {
		cli_report_csv_header(stdout, names, ncols);
		return 0;
	}
	o->cols = calloc(ncols + 1, sizeof(*o->cols));
	o->names = calloc(ncols + 1, sizeof(*o->names));
	if (!o->cols || !o->names)
		return strata_error_set("out of memory");
	for (size_t i = 0; i < ncols; i++) {
		/* a repeated name (SELECT a, a) gets its position, so no value is lost */
		int dup = 0;
		for (size_t k = 0; k < i; k++)
			dup |= !strcmp(o->cols[k], names[i]);
		if (dup) {
			char tmp[300];
			snprintf(tmp, sizeof(tmp), "%s:%zu", names[i], i + 1);
			o->names[i] = strdup(tmp);
		} else {
			o->names[i] = strdup(names[i]);
		}
		if (!o->names[i])
			return strata_error_set("out of memory");
		o->cols[i] = o->names[i];
	}
	return 0;
}

static int on_row(size_t ncols, const char *const *vals, const strata_query_type *types, void *payload)
{
	sql_out *o = payload;
	json_t *row;

	if (o->format == CLI_CSV) {
		cli_report_csv_row(stdout, vals, ncols);
		return ferror(stdout) ? strata_error_set("cannot write the result") : 0;
	}
	row = json_object();
	for (size_t i = 0; i < ncols; i++) {
		json_t *v = !vals[i] ? json_null() :
			types[i] == STRATA_Q_INTEGER ? json_integer(strtoll(vals[i], NULL, 10)) :
			types[i] == STRATA_Q_REAL ? json_real(strtod(vals[i], NULL)) : json_string(vals[i]);
		json_object_set_new(row, o->cols[i], v ? v : json_null());
	}
	json_array_append_new(o->rows, row);
	return 0;
}

int cmd_sql(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "tables", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	sql_out o = { CLI_TABLE, 0, NULL, NULL, NULL };
	strata_query *q = NULL;
	int c, tables = 0, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': if (cli_report_format(&o.format, optarg) < 0) return CLI_EUSAGE; break;
		case 'j': o.format = CLI_JSON; break;
		case 't': tables = 1; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "One read-only SQL statement (SQLite) over the datasets this node holds.\n"
			       "Tables: each dataset's last name is the union of every source of it, own and\n"
			       "received, with a first column _source (the dataset's full name):\n"
			       "  SELECT street, income_band, count(*) FROM residents GROUP BY 1, 2\n"
			       "'-' in a name may be written '_' (grid_events); one received dataset alone by\n"
			       "its full name in double quotes (\"dx-gongshu/st-wangjiang/cn-jinjiang/residents\"),\n"
			       "this node's own alone as main.residents.  Types from schema.json; an empty\n"
			       "value is NULL.  Nothing is written: not to the node, not to the database.\n\n"
			       "  --format FORMAT  table (default), csv (UTF-8, for a spreadsheet) or json\n"
			       "  --tables         list the tables and their columns\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (tables ? optind != argc : optind + 1 != argc)
		return cli_usage(USAGE);
	if ((rc = strata_query_open(&q, cli->node)) < 0)
		return rc;
	if (tables) {
		strata_buf b = STRATA_BUF_INIT;
		if ((rc = strata_query_tables(q, &b)) == 0)
			fputs(b.len ? b.ptr : _("no datasets yet\n"), stdout);
		strata_buf_dispose(&b);
		strata_query_free(q);
		return rc;
	}
	o.rows = json_array();
	rc = strata_query_run(q, argv[optind], on_cols, on_row, &o);
	if (rc >= 0 && o.format != CLI_CSV)
		rc = cli_report_print_data(stdout, o.rows, o.cols, o.ncols, o.format);
	if (rc >= 0 && fflush(stdout) != 0)
		rc = strata_error_set("cannot write the result");
	for (size_t i = 0; o.names && i < o.ncols; i++)
		free(o.names[i]);
	free(o.names);
	free(o.cols);
	json_decref(o.rows);
	strata_query_free(q);
	return rc < 0 ? rc : 0;
}
