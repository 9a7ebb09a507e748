/*
 * console.c - the web console (console.h): routes, the login token,
 * sessions, and the evhttp server that answers with the node's own
 * commands' JSON.
 *
 * Trust: every byte of a request is untrusted.  Only the routes below
 * run anything, each a reading command with arguments that pass the
 * checks here (names as strata names them, keys and times of a few safe
 * characters, nothing that starts with '-'); the child gets them as argv,
 * never through a shell.
 */
#include "strata/net/console.h"
#include "strata/net/tls.h"
#include "strata/format/name.h"
#include "strata/base/enc.h"
#include "strata/base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#define OUTPUT_MAX ((size_t)64 << 20)	/* a command's answer: verify --all of a big node is a few MiB */
#define COMMAND_SECONDS 120
#define SESSIONS_MAX 64
#define SESSION_SECONDS (12 * 3600)
#define RECORDS_PAGE 50

/* ---- values ---- */

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int strata_console_decode(char *out, size_t size, const char *in, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= len || (h = hexval(in[i + 1])) < 0 || (l = hexval(in[i + 2])) < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* A value that goes into argv as it is: of `allowed` characters only, 1..max long, not an option. */
static int plain(const char *v, const char *allowed, size_t max)
{
	size_t len = strlen(v);
	if (len == 0 || len > max || v[0] == '-')
		return 0;
	for (const char *p = v; *p; p++)
		if (!strchr(allowed, *p) && !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return 0;
	return 1;
}

/* A dataset as commands name it: NAME, or SENDER/.../NAME, each part a strata name. */
static int dataset_ok(const char *v)
{
	char part[80];
	const char *p = v, *slash;

	if (!plain(v, "/_-", 300))
		return 0;
	do {
		size_t l;
		slash = strchr(p, '/');
		l = slash ? (size_t)(slash - p) : strlen(p);
		if (l == 0 || l >= sizeof(part))
			return 0;
		memcpy(part, p, l);
		part[l] = '\0';
		if (!(slash ? strata_name_node_valid(part) || (part[0] == 'v' && part[1] == '-' && plain(part, "-", 64))
			    : strata_name_dataset_valid(part)))
			return 0;
		p = slash ? slash + 1 : NULL;
	} while (p);
	return 1;
}

static int key_ok(const char *v) { return plain(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.:-", 128); }
static int time_ok(const char *v) { return plain(v, "TZ:+-.", 40); }
static int policy_ok(const char *v) { return plain(v, "_-", 64); }
static int number_ok(const char *v) { return v[0] && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 9; }

/* ---- routes ---- */

typedef struct {
	const char *name;
	char *val;
} param;

/* Splits and decodes `query` into `ps` (names from `allowed`, each at most once) in call->store. */
static int params(strata_console_call *call, param *ps, size_t nps, const char *query, char *why, size_t whysize)
{
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&'), *eq;
		size_t len = amp ? (size_t)(amp - p) : strlen(p), nl, i;
		char name[32];
		if (len == 0)
			goto next;
		eq = memchr(p, '=', len);
		nl = eq ? (size_t)(eq - p) : len;
		if (strata_console_decode(name, sizeof(name), p, nl) < 0)
			goto bad;
		for (i = 0; i < nps && strcmp(ps[i].name, name); i++)
			;
		if (i == nps) {
			snprintf(why, whysize, "unknown parameter '%s'", name);
			return 400;
		}
		if (ps[i].val) {
			snprintf(why, whysize, "parameter '%s' given twice", name);
			return 400;
		}
		ps[i].val = call->store + call->used;
		if (strata_console_decode(ps[i].val, sizeof(call->store) - call->used, eq ? eq + 1 : p + nl,
					  eq ? len - nl - 1 : 0) < 0)
			goto bad;
		call->used += strlen(ps[i].val) + 1;
	next:
		p = amp ? amp + 1 : NULL;
	}
	return 200;
bad:
	snprintf(why, whysize, "a parameter is not well %%-encoded text");
	return 400;
}

static void arg(strata_console_call *call, const char *a)
{
	if (call->argc + 1 < STRATA_CONSOLE_ARGS_MAX)
		call->argv[call->argc++] = a;
	call->argv[call->argc] = NULL;
}

/* A string kept in call->store (for arguments made here). */
static const char *keep(strata_console_call *call, const char *s)
{
	size_t len = strlen(s) + 1;
	char *at;
	if (call->used + len > sizeof(call->store))
		return NULL;
	at = call->store + call->used;
	memcpy(at, s, len);
	call->used += len;
	return at;
}

#define NEED(ok, p, what)                                                                  \
	do {                                                                               \
		if (!(p) || !(ok)(p)) {                                                    \
			snprintf(why, whysize, "%s: missing or not a valid value", what);  \
			return 400;                                                        \
		}                                                                          \
	} while (0)
#define MAYBE(ok, p, what)                                                                 \
	do {                                                                               \
		if ((p) && !(ok)(p)) {                                                     \
			snprintf(why, whysize, "%s: not a valid value", what);             \
			return 400;                                                        \
		}                                                                          \
	} while (0)

/* The records of the node's own datasets are raw personal data: only after a login. */
static int personal(const char *dataset, int logged_in, char *why, size_t whysize)
{
	if (strchr(dataset, '/') || logged_in)
		return 200;
	snprintf(why, whysize, "'%s' is this node's own dataset: its records are shown only after a login", dataset);
	return 401;
}

static int unused(const strata_console_call *call, const param *ps, size_t n, const char *path, char *why, size_t whysize)
{
	for (size_t i = 0; i < n; i++) {
		int used = 0;
		if (!ps[i].val)
			continue;
		for (size_t k = 0; k < call->argc; k++)
			used |= call->argv[k] == ps[i].val;
		if (!used) {
			snprintf(why, whysize, "parameter '%s' does not go with %s", ps[i].name, path);
			return 400;
		}
	}
	return 200;
}

int strata_console_route(strata_console_call *call, const char *path, const char *query, int logged_in,
			 char *why, size_t whysize)
{
	param ps[6] = { { "dataset", NULL }, { "key", NULL }, { "peer", NULL }, { "event", NULL }, { "since", NULL },
			{ "until", NULL } };
	param pp[4] = { { "policy", NULL }, { "from", NULL }, { "to", NULL }, { "peer", NULL } };
	param po[2] = { { "dataset", NULL }, { "offset", NULL } };
	param pv[4] = { { "policy", NULL }, { "version", NULL }, { "dataset", NULL }, { "peer", NULL } };
	const char *name;
	int rc;

	memset(call, 0, sizeof(*call));
	why[0] = '\0';
	if (query && strlen(query) > STRATA_CONSOLE_QUERY_MAX) {
		snprintf(why, whysize, "the query is longer than %d bytes", STRATA_CONSOLE_QUERY_MAX);
		return 414;
	}
	if (strncmp(path, "/api/", 5)) {
		snprintf(why, whysize, "no such page");
		return 404;
	}
	name = path + 5;
	if (!strcmp(name, "policy-diff") || !strcmp(name, "risk")) {
		if ((rc = params(call, pp, 4, query, why, whysize)) != 200)
			return rc;
	} else if (!strcmp(name, "records")) {
		if ((rc = params(call, po, 2, query, why, whysize)) != 200)
			return rc;
	} else if (!strcmp(name, "preview")) {
		if ((rc = params(call, pv, 4, query, why, whysize)) != 200)
			return rc;
	} else if ((rc = params(call, ps, 6, query, why, whysize)) != 200) {
		return rc;
	}
#define P(i) ps[i].val
	if (!strcmp(name, "status")) {
		arg(call, "status"), arg(call, "--json");
		call->ok_exit = 1;
	} else if (!strcmp(name, "peers")) {
		arg(call, "peer"), arg(call, "list"), arg(call, "--format"), arg(call, "json");
	} else if (!strcmp(name, "peer")) {
		NEED(strata_name_node_valid, P(2), "peer");
		arg(call, "peer"), arg(call, "show"), arg(call, P(2)), arg(call, "--json");
	} else if (!strcmp(name, "datasets")) {
		arg(call, "datasets"), arg(call, "--format"), arg(call, "json");
	} else if (!strcmp(name, "log")) {
		NEED(dataset_ok, P(0), "dataset");
		arg(call, "log"), arg(call, P(0)), arg(call, "--json");
	} else if (!strcmp(name, "history") || !strcmp(name, "trace")) {
		NEED(dataset_ok, P(0), "dataset");
		NEED(key_ok, P(1), "key");
		if ((rc = personal(P(0), logged_in, why, whysize)) != 200)
			return rc;
		arg(call, name), arg(call, P(0)), arg(call, P(1)), arg(call, "--json");
	} else if (!strcmp(name, "records")) {
		char page[16];
		NEED(dataset_ok, po[0].val, "dataset");
		MAYBE(number_ok, po[1].val, "offset");
		if ((rc = personal(po[0].val, logged_in, why, whysize)) != 200)
			return rc;
		/* one page, read only as far as it goes; its JSON Lines become one array */
		snprintf(page, sizeof(page), "%d", RECORDS_PAGE);
		arg(call, "export"), arg(call, po[0].val), arg(call, "--format"), arg(call, "jsonl");
		arg(call, "--offset"), arg(call, po[1].val ? po[1].val : "0"), arg(call, "--limit"), arg(call, keep(call, page));
		call->lines = 1;
	} else if (!strcmp(name, "preview")) {
		char spec[96];
		NEED(policy_ok, pv[0].val, "policy");
		NEED(number_ok, pv[1].val, "version");
		NEED(dataset_ok, pv[2].val, "dataset");
		MAYBE(strata_name_node_valid, pv[3].val, "peer");
		/* what a recipient would get, beside the records it comes from: the node's own are raw */
		if ((rc = personal(pv[2].val, logged_in, why, whysize)) != 200)
			return rc;
		snprintf(spec, sizeof(spec), "%s@%s", pv[0].val, pv[1].val);
		arg(call, "policy"), arg(call, "preview"), arg(call, keep(call, spec)), arg(call, "--dataset"), arg(call, pv[2].val);
		arg(call, "-n"), arg(call, "10"), arg(call, "--json");
		if (pv[3].val)
			arg(call, "--peer"), arg(call, pv[3].val);
	} else if (!strcmp(name, "policies")) {
		arg(call, "policy"), arg(call, "list"), arg(call, "--json");
	} else if (!strcmp(name, "policy-diff")) {
		char a[96], b[96];
		NEED(policy_ok, pp[0].val, "policy");
		NEED(number_ok, pp[1].val, "from");
		NEED(number_ok, pp[2].val, "to");
		snprintf(a, sizeof(a), "%s@%s", pp[0].val, pp[1].val);
		snprintf(b, sizeof(b), "%s@%s", pp[0].val, pp[2].val);
		pp[0].val = pp[1].val = pp[2].val = NULL;	/* used, inside the names above */
		arg(call, "policy"), arg(call, "diff"), arg(call, keep(call, a)), arg(call, keep(call, b)), arg(call, "--json");
	} else if (!strcmp(name, "risk")) {
		NEED(policy_ok, pp[0].val, "policy");
		MAYBE(strata_name_node_valid, pp[3].val, "peer");
		arg(call, "policy"), arg(call, "risk"), arg(call, pp[0].val), arg(call, "--json");
		if (pp[3].val)
			arg(call, "--peer"), arg(call, pp[3].val);
	} else if (!strcmp(name, "audit")) {
		MAYBE(strata_name_node_valid, P(2), "peer");
		MAYBE(policy_ok, P(3), "event");
		MAYBE(time_ok, P(4), "since");
		MAYBE(time_ok, P(5), "until");
		arg(call, "audit"), arg(call, "log"), arg(call, "--json");
		if (P(2))
			arg(call, "--peer"), arg(call, P(2));
		if (P(3))
			arg(call, "--event"), arg(call, P(3));
		if (P(4))
			arg(call, "--since"), arg(call, P(4));
		if (P(5))
			arg(call, "--until"), arg(call, P(5));
	} else if (!strcmp(name, "refused")) {
		arg(call, "audit"), arg(call, "refused"), arg(call, "--json");
	} else if (!strcmp(name, "verify")) {
		arg(call, "verify"), arg(call, "--all"), arg(call, "--json");
		call->ok_exit = 3;
	} else if (!strcmp(name, "erasures")) {
		arg(call, "erasures"), arg(call, "--format"), arg(call, "json");
		call->ok_exit = 1;
	} else if (!strcmp(name, "doctor")) {
		arg(call, "doctor"), arg(call, "--json");
		call->ok_exit = 1;
	} else {
		snprintf(why, whysize, "no such page");
		return 404;
	}
#undef P
	/* a parameter the route does not use is a mistake of the caller's: say so rather than ignore it */
	if ((rc = unused(call, ps, 6, path, why, whysize)) != 200 || (rc = unused(call, pp, 4, path, why, whysize)) != 200)
		return rc;
	for (size_t k = 0; k < call->argc; k++)
		if (!call->argv[k]) {
			snprintf(why, whysize, "the request is too long");
			return 414;
		}
	return 200;
}

/* ---- the login token ---- */

static char *token_path(strata_node *n)
{
	strata_buf b = STRATA_BUF_INIT;
	if (strata_buf_printf(&b, "%s/console/token", strata_node_path(n)) < 0)
		return NULL;
	return strata_buf_detach(&b);
}

static void sha256_hex(char out[65], const char *s)
{
	unsigned char d[32];
	EVP_Digest(s, strlen(s), d, NULL, EVP_sha256(), NULL);
	strata_enc_hex(out, d, sizeof(d));
}

int strata_console_token_init(strata_node *n, int renew, strata_buf *fresh)
{
	char *path = token_path(n), *dir = NULL, hex[65], line[80];
	unsigned char raw[24];
	char tok[49];
	int error = STRATA_ERROR;

	strata_buf_clear(fresh);
	if (!path)
		return STRATA_ERROR;
	if (!renew && access(path, F_OK) == 0) {
		free(path);
		return 0;
	}
	if ((dir = strata_fs_path_join(strata_node_path(n), "console")) == NULL || strata_fs_mkdir_p(dir, 0700) < 0)
		goto done;
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		error = strata_error_set("no randomness for a login token");
		goto done;
	}
	strata_enc_hex(tok, raw, sizeof(raw));
	sha256_hex(hex, tok);
	snprintf(line, sizeof(line), "sha256 %s\n", hex);
	if ((error = strata_fs_write_atomic(path, line, strlen(line), 0600)) < 0 || (error = strata_buf_puts(fresh, tok)) < 0)
		goto done;
	error = 0;
done:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(tok, sizeof(tok));
	free(dir);
	free(path);
	return error;
}

int strata_console_token_ok(strata_node *n, const char *token)
{
	char *path = token_path(n), want[80] = "", hex[65], got[80];
	FILE *f = path ? fopen(path, "r") : NULL;
	int ok;

	free(path);
	if (!f)
		return 0;
	ok = fgets(want, sizeof(want), f) != NULL;
	fclose(f);
	if (!ok || strlen(token) > 200)
		return 0;
	sha256_hex(hex, token);
	snprintf(got, sizeof(got), "sha256 %s\n", hex);
	return strlen(want) == strlen(got) && CRYPTO_memcmp(want, got, strlen(got)) == 0;
}

/* ---- the server ---- */

typedef struct {
	char id[65];
	time_t until;
} session;

typedef struct {
	strata_node *n;
	const strata_console_opts *o;
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *ctx;
	int loopback;
	char hosts[4][96];	/* Host values accepted (loopback) */
	session sessions[SESSIONS_MAX];
	time_t fail_window;
	int fails;
} console;

static const char *const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
			       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

static void headers(struct evhttp_request *req, const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Content-Security-Policy", csp);
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
}

static void reply(struct evhttp_request *req, int code, const char *type, const void *body, size_t len)
{
	struct evbuffer *b = evbuffer_new();
	headers(req, type);
	if (b && len)
		evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, code == 200 ? "OK" : code == 204 ? "No Content" : "", b);
	if (b)
		evbuffer_free(b);
}

static void reply_error(struct evhttp_request *req, int code, const char *why)
{
	json_t *o = json_pack("{s:s, s:i}", "error", why, "status", code);
	char *text = o ? json_dumps(o, 0) : NULL;
	const char *reason = code == 400 ? "Bad Request" : code == 401 ? "Unauthorized" : code == 403 ? "Forbidden" :
			     code == 404 ? "Not Found" : code == 405 ? "Method Not Allowed" : code == 414 ? "URI Too Long" :
			     code == 429 ? "Too Many Requests" : "Error";
	struct evbuffer *b = evbuffer_new();

	headers(req, "application/json; charset=utf-8");
	if (code == 405)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
	if (b && text)
		evbuffer_add(b, text, strlen(text));
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
	free(text);
	json_decref(o);
}

static session *session_of(console *c, struct evhttp_request *req)
{
	const char *cookie = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie"), *p;
	time_t now = time(NULL);
	char id[65];

	if (!cookie || (p = strstr(cookie, "strata_console=")) == NULL)
		return NULL;
	p += strlen("strata_console=");
	if (strspn(p, "0123456789abcdef") != 64)
		return NULL;
	memcpy(id, p, 64);
	id[64] = '\0';
	for (size_t i = 0; i < SESSIONS_MAX; i++)
		if (c->sessions[i].until > now && CRYPTO_memcmp(c->sessions[i].id, id, 64) == 0)
			return &c->sessions[i];
	return NULL;
}

/* The command's JSON: the strata binary, as a child, its output read under a cap and a time limit. */
static int run(console *c, const strata_console_call *call, strata_buf *out, strata_buf *err, int *status)
{
	const char *argv[STRATA_CONSOLE_ARGS_MAX + 8];
	int outp[2], errfd, st = 0;
	const char *tmp = getenv("TMPDIR");
	char errname[4096];
	time_t deadline = time(NULL) + COMMAND_SECONDS;
	pid_t pid;
	size_t k = 0;

	argv[k++] = c->o->exe;
	argv[k++] = "-C";
	argv[k++] = strata_node_path(c->n);
	argv[k++] = "--utc";
	for (size_t i = 0; i < call->argc; i++)
		argv[k++] = call->argv[i];
	argv[k] = NULL;
	snprintf(errname, sizeof(errname), "%s/strata-console-XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	if ((errfd = mkstemp(errname)) < 0)
		return strata_error_sys("a file for the command's messages");
	unlink(errname);
	if (pipe(outp) < 0) {
		close(errfd);
		return strata_error_sys("pipe");
	}
	if ((pid = fork()) < 0) {
		close(errfd), close(outp[0]), close(outp[1]);
		return strata_error_sys("fork");
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		long max = sysconf(_SC_OPEN_MAX);
		dup2(null, 0), dup2(outp[1], 1), dup2(errfd, 2);
		/* nothing of the console's goes with it: not the listening socket, not a client's connection */
		for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			close((int)fd);
		signal(SIGPIPE, SIG_DFL);
		execv(c->o->exe, (char *const *)argv);
		_exit(127);
	}
	close(outp[1]);
	for (;;) {
		struct pollfd pfd = { outp[0], POLLIN, 0 };
		char buf[65536];
		ssize_t r;
		int left = (int)(deadline - time(NULL));
		if (left <= 0 || poll(&pfd, 1, left * 1000) == 0) {
			kill(pid, SIGKILL);
			strata_buf_puts(err, "the command took too long");
			break;
		}
		if ((r = read(outp[0], buf, sizeof(buf))) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out->len + (size_t)r > OUTPUT_MAX) {
			kill(pid, SIGKILL);
			strata_buf_puts(err, "the answer is too large to show");
			break;
		}
		strata_buf_put(out, buf, (size_t)r);
	}
	close(outp[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	if (!err->len) {
		char buf[4096];
		ssize_t r = pread(errfd, buf, sizeof(buf) - 1, 0);
		if (r > 0)
			strata_buf_put(err, buf, (size_t)r);
	}
	close(errfd);
	return 0;
}

/* The last line of a command's messages, without "strata: ". */
static const char *last_message(strata_buf *err)
{
	char *p;
	if (!err->len)
		return "the command failed";
	strata_buf_putc(err, '\0');
	while (err->len > 1 && (err->ptr[err->len - 2] == '\n'))
		err->ptr[--err->len - 1] = '\0';
	p = strrchr(err->ptr, '\n');
	p = p ? p + 1 : err->ptr;
	return !strncmp(p, "strata: ", 8) ? p + 8 : p;
}

static int is_json(const strata_buf *b)
{
	json_t *j = b->len ? json_loadb(b->ptr, b->len, JSON_DECODE_ANY, NULL) : NULL;
	json_decref(j);
	return j != NULL;
}

/* JSON Lines (each line checked) into one array, in `b`; 0, or -1 if a line is not JSON. */
static int lines_to_array(strata_buf *b)
{
	strata_buf a = STRATA_BUF_INIT;
	const char *p = b->ptr, *end = b->ptr + b->len;
	int first = 1, error = strata_buf_putc(&a, '[');

	while (!error && p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len) {
			json_t *j = json_loadb(p, len, 0, NULL);
			error = !j || (!first && strata_buf_putc(&a, ',') < 0) || strata_buf_put(&a, p, len) < 0 ? -1 : 0;
			json_decref(j);
			first = 0;
		}
		p = nl ? nl + 1 : NULL;
	}
	if (!error && (error = strata_buf_puts(&a, "]\n")) == 0) {
		strata_buf_dispose(b);
		*b = a;
		return 0;
	}
	strata_buf_dispose(&a);
	return -1;
}

static void api(console *c, struct evhttp_request *req, const char *path, const char *query, int logged_in)
{
	strata_console_call call;
	strata_buf out = STRATA_BUF_INIT, err = STRATA_BUF_INIT;
	char why[512];
	int code, status = 0;

	if (!strcmp(path, "/api/session")) {
		json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:b}", "node", strata_node_name(c->n), "tier",
				      strata_node_tier(c->n), "logged_in", logged_in, "login_required", !c->loopback,
				      "tls", c->o->tls);
		char *text = json_dumps(o, JSON_INDENT(2));
		reply(req, 200, "application/json; charset=utf-8", text, strlen(text));
		free(text);
		json_decref(o);
		return;
	}
	if ((code = strata_console_route(&call, path, query, logged_in, why, sizeof(why))) != 200) {
		reply_error(req, code, why);
		return;
	}
	if (run(c, &call, &out, &err, &status) < 0) {
		reply_error(req, 500, strata_error_last());
	} else if (status <= call.ok_exit && (call.lines ? lines_to_array(&out) == 0 : is_json(&out))) {
		char st[16];
		snprintf(st, sizeof(st), "%d", status);
		evhttp_add_header(evhttp_request_get_output_headers(req), "X-Strata-Exit", st);
		reply(req, 200, "application/json; charset=utf-8", out.ptr, out.len);
	} else {
		/* a command's own refusal (no such dataset, a bad time) is the caller's; anything else is ours */
		reply_error(req, status == 1 || status == 2 ? 400 : 500, last_message(&err));
	}
	strata_buf_dispose(&out);
	strata_buf_dispose(&err);
}

static int host_ok(console *c, struct evhttp_request *req)
{
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	if (!c->loopback)
		return 1;	/* TLS and a login guard it; its names are the operator's */
	for (size_t i = 0; host && i < sizeof(c->hosts) / sizeof(*c->hosts); i++)
		if (c->hosts[i][0] && !strcmp(host, c->hosts[i]))
			return 1;
	return 0;
}

/* A POST from the console's own page: its Origin is this scheme and the Host it was sent to (checked above). */
static int origin_ok(console *c, struct evhttp_request *req)
{
	const char *origin = evhttp_find_header(evhttp_request_get_input_headers(req), "Origin");
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	const char *scheme = c->o->tls ? "https://" : "http://";
	return origin && host && !strncmp(origin, scheme, strlen(scheme)) && !strcmp(origin + strlen(scheme), host);
}

static void login(console *c, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	char body[512], tok[256];
	size_t len = evbuffer_get_length(in);
	time_t now = time(NULL);
	unsigned char raw[32];
	char cookie[160];
	session *s = NULL;

	if (!origin_ok(c, req)) {
		reply_error(req, 403, "a login must come from the console's own page");
		return;
	}
	if (now - c->fail_window > 60)
		c->fail_window = now, c->fails = 0;
	if (c->fails >= 10) {
		reply_error(req, 429, "too many failed logins: wait a minute");
		return;
	}
	if (len >= sizeof(body) || evbuffer_copyout(in, body, len) != (ev_ssize_t)len) {
		reply_error(req, 400, "the login form is too long");
		return;
	}
	body[len] = '\0';
	if (strncmp(body, "token=", 6) || strata_console_decode(tok, sizeof(tok), body + 6, len - 6) < 0 ||
	    !strata_console_token_ok(c->n, tok)) {
		c->fails++;
		reply_error(req, 401, "that is not this node's login token");
		return;
	}
	for (size_t i = 0; i < SESSIONS_MAX && !s; i++)
		if (c->sessions[i].until <= now)
			s = &c->sessions[i];
	if (!s)
		s = &c->sessions[0];	/* the oldest goes: a login is never refused for room */
	RAND_bytes(raw, sizeof(raw));
	strata_enc_hex(s->id, raw, sizeof(raw));
	s->until = now + SESSION_SECONDS;
	snprintf(cookie, sizeof(cookie), "strata_console=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", s->id,
		 SESSION_SECONDS, c->o->tls ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
	reply(req, 204, "text/plain", NULL, 0);
}

static void request_cb(struct evhttp_request *req, void *arg)
{
	console *c = arg;
	const char *uri = evhttp_request_get_uri(req), *q;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	char path[256];
	size_t plen;
	session *s;

	if (!uri || uri[0] != '/') {
		reply_error(req, 400, "not a path");
		return;
	}
	if (strlen(uri) > STRATA_CONSOLE_QUERY_MAX + 256) {
		reply_error(req, 414, "the request is too long");
		return;
	}
	q = strchr(uri, '?');
	plen = q ? (size_t)(q - uri) : strlen(uri);
	if (plen >= sizeof(path)) {
		reply_error(req, 404, "no such page");
		return;
	}
	memcpy(path, uri, plen);
	path[plen] = '\0';
	if (!host_ok(c, req)) {
		reply_error(req, 403, "the console answers to its own address only");
		return;
	}
	s = session_of(c, req);
	if (m == EVHTTP_REQ_POST) {
		if (!strcmp(path, "/login")) {
			login(c, req);
		} else if (!strcmp(path, "/logout")) {
			if (!origin_ok(c, req)) {
				reply_error(req, 403, "a logout must come from the console's own page");
				return;
			}
			if (s)
				s->until = 0;
			evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie",
					  "strata_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
			reply(req, 204, "text/plain", NULL, 0);
		} else {
			reply_error(req, 405, "the console changes nothing: only GET");
		}
		return;
	}
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		reply_error(req, 405, "the console changes nothing: only GET");
		return;
	}
	if (!strncmp(path, "/api/", 5)) {
		if (!c->loopback && !s && strcmp(path, "/api/session")) {
			reply_error(req, 401, "log in first");
			return;
		}
		api(c, req, path, q ? q + 1 : NULL, s != NULL);
		return;
	}
	if (q && strlen(q + 1) > STRATA_CONSOLE_QUERY_MAX) {
		reply_error(req, 414, "the query is too long");
		return;
	}
	if (!strcmp(path, "/favicon.ico")) {
		reply(req, 204, "text/plain", NULL, 0);
		return;
	}
	for (const strata_console_asset *a = strata_console_assets; a->path; a++)
		if (!strcmp(path, a->path) || (!strcmp(path, "/") && !strcmp(a->path, "/index.html"))) {
			reply(req, 200, a->type, a->data, a->len);
			return;
		}
	reply_error(req, 404, "no such page");
}

static struct bufferevent *bev_cb(struct event_base *base, void *arg)
{
	console *c = arg;
	SSL *ssl = SSL_new(c->ctx);
	return ssl ? bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE) : NULL;
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	event_base_loopexit(arg, NULL);
}

static int is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 0;
}

/* "1.2.3.4:80" or "[::1]:80" (numeric, port 0 for any), into `ss`. */
static int parse_listen(struct sockaddr_storage *ss, int *len, const char *s)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon = strrchr(s, ':'), *h = s;
	size_t hl;
	char *end;
	long port;

	if (!colon)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 0 || port > 65535)
		return -1;
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']')
		h = s + 1, hl -= 2;
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((unsigned short)port);
		*len = (int)sizeof(struct sockaddr_in);
		return 0;
	}
	if (h != s && inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((unsigned short)port);
		*len = (int)sizeof(struct sockaddr_in6);
		return 0;
	}
	return -1;
}

int strata_console_listen_ok(const char *listen, int tls)
{
	struct sockaddr_storage ss;
	int len = (int)sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (parse_listen(&ss, &len, listen) < 0)
		return strata_error_set("--listen '%s': an address and port like 127.0.0.1:8080 or [::1]:8080", listen);
	if (!is_loopback(&ss) && !tls)
		return strata_error_setc(STRATA_EDENIED, "--listen %s: not a loopback address, and the console shows personal "
					 "data: add --tls (then every page needs the login token)", listen);
	return 0;
}

int strata_console_serve(strata_node *n, const strata_console_opts *o)
{
	static console c;	/* sessions live as long as the process */
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct event *sigint = NULL, *sigterm = NULL;
	strata_tls_identity id = { STRATA_BUF_INIT, STRATA_BUF_INIT };
	char host[INET6_ADDRSTRLEN + 2], url[160];
	int slen = (int)sizeof(ss), fd = -1, one = 1, port, error = STRATA_ERROR;

	memset(&c, 0, sizeof(c));
	c.n = n;
	c.o = o;
	memset(&ss, 0, sizeof(ss));
	if ((error = strata_console_listen_ok(o->listen, o->tls)) < 0)
		return error;
	parse_listen(&ss, &slen, o->listen);
	c.loopback = is_loopback(&ss);
	if (o->tls) {
		SSL_CTX *ctx = NULL;
		if ((error = strata_node_load_key(n)) < 0 ||
		    (error = strata_tls_identity_new(&id, strata_node_name(n), strata_node_key(n), NULL)) < 0 ||
		    (error = strata_tls_ctx_new(&ctx, 1, &id)) < 0)
			goto done;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);	/* a browser has no node key: the login is the check */
		c.ctx = ctx;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 || bind(fd, (struct sockaddr *)&ss, (socklen_t)slen) < 0 ||
	    listen(fd, 64) < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		error = strata_error_sys(o->listen);
		goto done;
	}
	if (ss.ss_family == AF_INET6) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
		snprintf(host, sizeof(host), "[%s]", a);
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	snprintf(c.hosts[0], sizeof(c.hosts[0]), "%s:%d", host, port);
	snprintf(c.hosts[1], sizeof(c.hosts[1]), "localhost:%d", port);
	snprintf(url, sizeof(url), "%s://%s:%d/", o->tls ? "https" : "http", host, port);
	evutil_make_socket_nonblocking(fd);
	if (!(c.base = event_base_new()) || !(c.http = evhttp_new(c.base)) ||
	    !(sigint = evsignal_new(c.base, SIGINT, stop_cb, c.base)) || !(sigterm = evsignal_new(c.base, SIGTERM, stop_cb, c.base)) ||
	    !evhttp_accept_socket_with_handle(c.http, fd)) {
		error = strata_error_set("cannot set up the console's server");
		goto done;
	}
	fd = -1;	/* evhttp's now */
	if (c.ctx)
		evhttp_set_bevcb(c.http, bev_cb, &c);
	evhttp_set_gencb(c.http, request_cb, &c);
	evhttp_set_max_headers_size(c.http, 16384);
	evhttp_set_max_body_size(c.http, 4096);
	evhttp_set_timeout(c.http, 30);
	evhttp_set_allowed_methods(c.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
					   EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o->ready)
		o->ready(url, o->payload);
	event_base_dispatch(c.base);
	error = 0;
done:
	if (fd >= 0)
		close(fd);
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	if (c.http)
		evhttp_free(c.http);
	if (c.base)
		event_base_free(c.base);
	SSL_CTX_free(c.ctx);
	strata_tls_identity_dispose(&id);
	OPENSSL_cleanse(c.sessions, sizeof(c.sessions));
	return error;
}
