/*
 * cli.h - what every strata command gets, and how to add one.
 *
 * To add a command: write cmd_<verb>.c with
 *     int cmd_<verb>(int argc, char **argv, strata_cli *cli);
 * declare it below and add a row to the table in main.c.  Flags say what
 * main sets up first (NEED_NODE: open the node named by -C).  A command
 * returns 0 or the negative code the library returned (error.h), which
 * has set the message; main prints it and maps the code to the exit
 * status (EXIT_*), the only place that does.  A usage error returns
 * cli_usage(), CLI_EUSAGE.
 */
#ifndef STRATA_CLI_H
#define STRATA_CLI_H

#include "strata/node/node.h"
#include "strata/base/i18n.h"
#include "console.h"

#include <stdio.h>
#include <jansson.h>

/* A usage error (message printed already): exit status 2.  Beside the STRATA_E* codes. */
#define CLI_EUSAGE (-100)

/* Exit statuses, strata(1) EXIT STATUS: only main.c returns them. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_VERIFY = 3		/* a signature or integrity check failed */
};

typedef struct {
	const char *node_dir;
	int node_dir_explicit;	/* given with -C or $STRATA_NODE */
	strata_node *node;	/* set for NEED_NODE commands */
	int quiet;
	/* who acts (officer_sign.c): --as, --officer-key, --passphrase-file */
	const char *as;
	const char *officer_key;
	const char *passphrase_file;
} strata_cli;

/*
 * Before a change: names the officer acting (--as NAME or $STRATA_OFFICER,
 * their key checked by a signature) and checks that their role is one of
 * `roles`; on a node with no officer, 0 (the change is the node's own).
 * `what` says the change in the error ("commit a policy").
 */
int cli_act(strata_cli *cli, int roles, const char *what);


/* Prints "usage: strata <usage>" to stderr and returns CLI_EUSAGE. */
int cli_usage(const char *usage);
/*
 * A word that is not one of a command's subcommands: says so, with the
 * nearest ("did you mean") and all of them, then the usage; CLI_EUSAGE.
 */
int cli_unknown_sub(const char *command, const char *word, const char *const *subs, size_t nsubs, const char *usage);
/*
 * The name people read for node `name` as this node knows it: its own
 * display name, or a pinned peer's (node.conf); NULL for another node.
 * `buf` holds it.
 */
const char *cli_display_name(strata_node *n, const char *name, strata_buf *buf);
/* Splits "a,b,c" into a NULL-terminated malloc'd array; *n gets the count. */
char **cli_split(const char *list, size_t *n);
void cli_free_list(char **list);
/*
 * Option values: seconds from 1 to 86400; a size like 500K, 16M or 1G
 * within [min, max].  On a bad value, print what was expected and return -1.
 */
int cli_seconds(int *out, const char *option, const char *arg);
int cli_size(size_t *out, const char *option, const char *arg, size_t min, size_t max);

/*
 * Reports: the rows of a table as a JSON array of objects, printed as an
 * aligned table (a header line, then one line per row), CSV (a UTF-8 byte
 * order mark, a header, CRLF lines: what a spreadsheet opens with Chinese
 * text intact) or the JSON array itself.  `cols` names the columns and
 * their order; a missing or null value is an empty cell.
 */
enum { CLI_TABLE, CLI_CSV, CLI_JSON };
/* Reads a --format value; prints what it expects and returns CLI_EUSAGE on another. */
int cli_report_format(int *out, const char *arg);
int cli_report_print(FILE *out, const json_t *rows, const char *const *cols, size_t ncols, int format);
/*
 * The same for a table of data (sql): a table of strata's own shows its
 * header and its words (a state, a role, a tier) in the reader's language
 * on a terminal; data is shown as it is.
 */
int cli_report_print_data(FILE *out, const json_t *rows, const char *const *cols, size_t ncols, int format);
/*
 * A listing's rows (taken): `empty` on a table with no row; JSON with the
 * columns `json_cols` (a table and CSV show the narrower `cols`).
 */
int cli_report_list(json_t *rows, const char *const *cols, size_t ncols, const char *const *json_cols,
		    size_t njson_cols, int format, const char *empty);
/* A row's empty strings become null: in JSON a value that is not there is null (doc/json.md). */
void cli_json_nulls(json_t *row);
/* CSV a row at a time, for reports too long to hold (sql): the header writes the mark. */
void cli_report_csv_header(FILE *out, const char *const *cols, size_t ncols);
void cli_report_csv_row(FILE *out, const char *const *vals, size_t ncols);

/*
 * Progress on a terminal: what a step that may take seconds is doing, on
 * one line of stderr, replaced by the next and cleared when done; nothing
 * at all when stderr is not a terminal (a log file gets no escape codes)
 * or with -q.
 */
void cli_progress(const strata_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_progress_done(const strata_cli *cli);

int cmd_init(int argc, char **argv, strata_cli *cli);
int cmd_import(int argc, char **argv, strata_cli *cli);
int cmd_export(int argc, char **argv, strata_cli *cli);
int cmd_log(int argc, char **argv, strata_cli *cli);
int cmd_diff(int argc, char **argv, strata_cli *cli);
int cmd_verify(int argc, char **argv, strata_cli *cli);
int cmd_datasets(int argc, char **argv, strata_cli *cli);
int cmd_policy(int argc, char **argv, strata_cli *cli);
int cmd_peer(int argc, char **argv, strata_cli *cli);
int cmd_doctor(int argc, char **argv, strata_cli *cli);
int cmd_key(int argc, char **argv, strata_cli *cli);
int cmd_officer(int argc, char **argv, strata_cli *cli);
int cmd_approve(int argc, char **argv, strata_cli *cli);
/* the changes that wait for a second officer, as rows (id, kind, summary, proposer, created); their number */
int cli_pending_rows(json_t *rows, strata_node *n);
int cmd_erase(int argc, char **argv, strata_cli *cli);
int cmd_erasures(int argc, char **argv, strata_cli *cli);
int cmd_certificate(int argc, char **argv, strata_cli *cli);
int cmd_evidence(int argc, char **argv, strata_cli *cli);
int cmd_tsa(int argc, char **argv, strata_cli *cli);
int cmd_console(int argc, char **argv, strata_cli *cli);
/*
 * Before the console serves (console.h): the path of this binary into
 * `exe` (o->exe points at it) and the login token, made and shown once if
 * there is none (or `renew`).
 */
int cli_console_prepare(strata_console_opts *o, char *exe, size_t exesize, strata_cli *cli, int renew);
int cmd_policy_secret(int argc, char **argv, strata_cli *cli);
int cmd_view(int argc, char **argv, strata_cli *cli);
int cmd_status(int argc, char **argv, strata_cli *cli);
int cmd_audit(int argc, char **argv, strata_cli *cli);
int cmd_history(int argc, char **argv, strata_cli *cli);
int cmd_trace(int argc, char **argv, strata_cli *cli);
int cmd_disclosures(int argc, char **argv, strata_cli *cli);
int cmd_sql(int argc, char **argv, strata_cli *cli);
int cmd_serve(int argc, char **argv, strata_cli *cli);
int cmd_remote(int argc, char **argv, strata_cli *cli);
int cmd_catalog(int argc, char **argv, strata_cli *cli);
int cmd_request(int argc, char **argv, strata_cli *cli);
int cmd_requests(int argc, char **argv, strata_cli *cli);
int cmd_answer(int argc, char **argv, strata_cli *cli);
int cmd_correct(int argc, char **argv, strata_cli *cli);
int cmd_corrections(int argc, char **argv, strata_cli *cli);

#endif
