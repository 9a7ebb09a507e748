/*
 * console.h - a web console for one node (strata console): the tool's,
 * not the library's, for it runs the tool (console.c the server,
 * console_route.c the API routes, console_login.c the token and failed
 * logins; officer_sign.h checks an officer's login).
 *
 * The page is a thin client of a JSON API; each API answer is what the
 * node's own command prints with --json (the same schema, doc/json.md),
 * for it is that command, run as a child process from a fixed list with
 * arguments checked here, so a command that fails cannot take the console
 * down.  Reading answers write nothing to the node; an officer's change
 * (POST /api/act/NAME) is the same CLI command with --as, and so theirs.
 *
 *     GET  /                      the page (static files compiled in)
 *     GET  /api/NAME?PARAMS       one command's JSON (console.c: routes)
 *     GET  /api/session           {node, tier, logged_in, login_required, officers, officer, role, csrf}
 *     POST /login, /logout        a session (cookie): the token, or an officer's name and passphrase
 *     POST /api/act/NAME          an officer's change (Origin, X-Strata-CSRF, the passphrase again)
 *
 * Security.  It binds to 127.0.0.1 unless --listen names another address,
 * which is refused without TLS (the node's own identity) and then needs a
 * login for every answer.  The login is a token made on first run, shown
 * once, stored as its SHA-256 in NODE/console/token (0600); on a node
 * with officers there is no token, every answer needs an officer's login
 * (loopback too), and the session ends when the officer changes.  The records
 * of the node's own datasets (raw personal data) are shown only after a
 * login, wherever it listens.  Every answer carries a CSP without inline
 * script, no framing, no sniffing, no referrer, no caching; a request
 * whose Host is not the address listened on is refused (DNS rebinding), a
 * POST whose Origin is not it too.  Unknown paths, methods, parameters, a
 * query over 2 KiB, a bad %-escape or a value that could be an option get
 * a 4xx and run nothing.
 *
 * Trust: every request is untrusted; commands run under a time limit and
 * their output under a size cap.
 *
 * Load.  Commands run as children beside the server's loop, a few at a
 * time (more wait their turn, in a bounded queue; past it 503), so a slow
 * answer holds up no other.  Slow answers that depend only on the node's
 * state (risk, policy diff, verify) are run once per state: requests
 * alike wait for the same run and later ones get its answer from a
 * cache until the node changes.  Connections are limited in all and per
 * address, below the descriptor limit, and a request must arrive whole
 * within REQUEST_SECONDS (guard.h).  Failed logins lock out the address
 * that made them for a minute after ten; never loopback.
 */
#ifndef STRATA_CLI_CONSOLE_H
#define STRATA_CLI_CONSOLE_H

#include <stddef.h>
#include "strata/base/buf.h"
#include "strata/node/node.h"

#define STRATA_CONSOLE_QUERY_MAX 2048
#define STRATA_CONSOLE_ARGS_MAX 24

/* What one API request runs: argv for the strata binary (after "-C NODE --utc"). */
typedef struct {
	const char *argv[STRATA_CONSOLE_ARGS_MAX];
	size_t argc;
	char store[STRATA_CONSOLE_QUERY_MAX + 512];	/* the decoded values argv points into */
	size_t used;
	int ok_exit;		/* the highest exit status whose output is still an answer (status: 1, verify: 3) */
	int lines;		/* its output is JSON Lines: answered as one array of them */
	int cached;		/* slow, and a function of the node's state: one run answers all alike */
	int text;		/* an action: its output is text, answered as {"output": TEXT} */
} strata_console_call;

/*
 * Maps `path` and its raw `query` to the command an API answer runs.
 * `logged_in`: whether the request has a session.  Returns 200 (and
 * `call`), or the HTTP status to answer with (400, 401, 404, 414), its
 * reason in `why`.
 */
int strata_console_route(strata_console_call *call, const char *path, const char *query, int logged_in,
			 char *why, size_t whysize);

/*
 * Maps an action (POST /api/act/NAME) and its form `body` (without the
 * passphrase) to the command an officer runs: approve, refuse, answer,
 * answer-refuse, correction-accept, correction-reject, erase.  200, or
 * the HTTP status and `why`.
 */
int strata_console_action(strata_console_call *call, const char *name, const char *body, char *why, size_t whysize);

/*
 * Decodes one application/x-www-form-urlencoded or query value: %XX and
 * '+'; -1 on a bad escape, a NUL or control byte, or no room.
 */
int strata_console_decode(char *out, size_t size, const char *in, size_t len);

/* ---- console_login.c ---- */

/*
 * The login token: if NODE/console/token is missing (or `renew`), makes a
 * new one, stores its SHA-256 (0600) and puts it in `fresh` (to be shown
 * once); else leaves `fresh` empty.
 */
int strata_console_token_init(strata_node *n, int renew, strata_buf *fresh);
/* 1 if `token` is the node's login token (compared in constant time), else 0. */
int strata_console_token_ok(strata_node *n, const char *token);

/*
 * Failed logins, per client address: after STRATA_CONSOLE_STRIKES in a
 * minute the address waits out the minute.  A loopback address is never
 * locked out (the operator on the machine can always log in), and one
 * address's failures never lock out another's.
 */
#define STRATA_CONSOLE_STRIKES 10
#define STRATA_CONSOLE_STRIKE_ADDRS 256
typedef struct {
	struct {
		char addr[48];
		long long window;	/* when its minute started */
		int fails;
	} a[STRATA_CONSOLE_STRIKE_ADDRS];
} strata_console_strikes;

/* 0 if `addr` may try to log in at `now`, else the seconds it must wait. */
int strata_console_login_wait(const strata_console_strikes *s, const char *addr, int loopback, long long now);
/* One failed login from `addr` at `now`. */
void strata_console_login_failed(strata_console_strikes *s, const char *addr, int loopback, long long now);

typedef struct {
	const char *listen;	/* "127.0.0.1:8080" (the default), "[::1]:0", "0.0.0.0:8443" ... */
	int tls;		/* serve HTTPS with the node's TLS identity */
	const char *exe;	/* the strata binary the API runs */
	void (*ready)(const char *url, void *payload);	/* once listening, with its URL */
	void *payload;
	int max_conns;		/* connections at once (0: 256, and below the descriptor limit) */
	int request_seconds;	/* from a connection's start to its request complete (0: 10) */
} strata_console_opts;

/* 0 if the console may listen there (a numeric address; loopback, or any with `tls`), else the error. */
int strata_console_listen_ok(const char *listen, int tls);

/*
 * Serves the console until SIGINT or SIGTERM.  A non-loopback address
 * without `tls` is refused (STRATA_EDENIED) before anything is bound.
 */
int strata_console_serve(strata_node *n, const strata_console_opts *o);

/* The static files (console_assets.c, made from contrib/console at build time). */
typedef struct {
	const char *path;
	const char *type;
	const unsigned char *data;
	size_t len;
} strata_console_asset;
extern const strata_console_asset strata_console_assets[];

#endif
