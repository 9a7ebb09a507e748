/*
 * console.c - the web console's server (console.h): sessions, and the
 * evhttp server that answers with the node's own commands' JSON, run as
 * children beside its loop.
 */
#include "console.h"
#include "strata/net/guard.h"
#include "strata/net/tls.h"
#include "strata/base/enc.h"
#include "strata/base/i18n.h"
#include "strata/node/audit.h"
#include "strata/node/officers.h"
#include "officer_sign.h"

#include <errno.h>
#include <fcntl.h>
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
#include <openssl/rand.h>
#include <openssl/ssl.h>

#define OUTPUT_MAX ((size_t)64 << 20)	/* a command's answer: verify --all of a big node is a few MiB */
#define COMMAND_SECONDS 120
#define SESSIONS_MAX 64
#define SESSION_SECONDS (12 * 3600)
#define CHILDREN_MAX 3		/* commands running at once */
#define QUEUE_MAX 64		/* requests waiting for a turn; past it, 503 */
#define CACHE_MAX 8		/* cached answers (risk, verify, policy diff), each for one node state */
#define CACHE_BYTES ((size_t)64 << 20)
#define CONNS_MAX 256
#define CONNS_PER_ADDR 64
#define REQUEST_SECONDS_DEFAULT 10

/* ---- the server ---- */

typedef struct {
	char id[65];
	time_t until;
	/* an officer's session (officers.h); "" for the token's (a node with no officer) */
	char officer[64];
	int role;
	strata_pubkey key;
	char csrf[65];		/* every change carries it (X-Strata-CSRF) */
} session;

typedef struct console console;

/* A request waiting for a command's answer. */
typedef struct waiter {
	struct evhttp_request *req;
	int shared;		/* it joined a run another request started */
	struct waiter *next;
} waiter;

/* One command run for one or more requests alike. */
typedef struct job {
	console *c;
	strata_console_call call;
	char key[4096];		/* its argv and, if cached, the node's state: requests alike share it */
	pid_t pid;
	int outfd, errfd;
	struct event *out_ev, *deadline;
	strata_buf out, err;
	int zh;			/* run in Chinese (the page's strata_lang cookie) */
	const char *killed;	/* why it was stopped, if it was */
	char why[256];
	/* an action: who makes it, with the passphrase they just gave (wiped once the child has it) */
	char as[64];
	char pass[1024];
	waiter *waiters;
	struct job *next;
} job;

/* A cached answer: the status, its exit status header and its body. */
typedef struct {
	char key[4096];
	int code, exit_status;
	strata_buf body;
	unsigned long long used;
} cached;

struct console {
	strata_node *n;
	const strata_console_opts *o;
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *ctx;
	strata_guard *guard;
	int loopback;
	char hosts[4][96];	/* Host values accepted (loopback) */
	session sessions[SESSIONS_MAX];
	strata_console_strikes strikes;
	job *running, *queued;
	int nrunning, nqueued;
	cached cache[CACHE_MAX];
	unsigned long long clock;	/* for the cache's least recently used */
};

static strata_guard *guard;	/* the console's: each answer marks its connection idle again */

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
	strata_guard_busy(guard, req, 0);
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
			     code == 429 ? "Too Many Requests" : code == 503 ? "Service Unavailable" : "Error";
	struct evbuffer *b = evbuffer_new();

	strata_guard_busy(guard, req, 0);
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
		if (c->sessions[i].until > now && CRYPTO_memcmp(c->sessions[i].id, id, 64) == 0) {
			session *s = &c->sessions[i];
			strata_officer o;
			/* an officer removed, or whose role or key changed, since they logged in: the session ends */
			if (s->officer[0] && (strata_officer_get(&o, c->n, s->officer) < 0 || o.removed || o.role != s->role ||
					      !strata_sign_pubkey_equal(&o.key, &s->key))) {
				strata_error_clear();
				s->until = 0;
				return NULL;
			}
			return s;
		}
	return NULL;
}

/* A node with officers: every answer needs one's login, loopback or not. */
static int has_officers(console *c)
{
	int n = strata_officers_current(c->n);
	strata_error_clear();
	return n > 0;
}

/* The last line of a command's messages, without "strata: ". */
static const char *last_message(strata_buf *err)
{
	char *p;
	if (!err->len)
		return _("the command failed");
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

/* ---- commands, as children beside the loop ---- */

static void job_start_next(console *c);

static void job_free(job *j)
{
	if (j->out_ev)
		event_free(j->out_ev);
	if (j->deadline)
		event_free(j->deadline);
	if (j->outfd >= 0)
		close(j->outfd);
	if (j->errfd >= 0)
		close(j->errfd);
	strata_buf_dispose(&j->out);
	strata_buf_dispose(&j->err);
	OPENSSL_cleanse(j->pass, sizeof(j->pass));
	free(j);
}

static cached *cache_find(console *c, const char *key)
{
	for (size_t i = 0; i < CACHE_MAX; i++)
		if (c->cache[i].key[0] && !strcmp(c->cache[i].key, key))
			return &c->cache[i];
	return NULL;
}

static void cache_put(console *c, const char *key, int code, int exit_status, const strata_buf *body)
{
	cached *slot = &c->cache[0];
	size_t total = body->len;

	for (size_t i = 0; i < CACHE_MAX; i++) {
		total += c->cache[i].body.len;
		if (c->cache[i].used < slot->used)
			slot = &c->cache[i];
	}
	if (body->len > CACHE_BYTES / 2)
		return;
	for (size_t i = 0; total > CACHE_BYTES && i < CACHE_MAX; i++) {	/* room: the least recently used go */
		cached *old = &c->cache[0];
		for (size_t k = 1; k < CACHE_MAX; k++)
			if (c->cache[k].body.len && (!old->body.len || c->cache[k].used < old->used))
				old = &c->cache[k];
		total -= old->body.len;
		strata_buf_dispose(&old->body);
		old->key[0] = '\0';
		old->used = 0;
	}
	strata_buf_dispose(&slot->body);
	snprintf(slot->key, sizeof(slot->key), "%s", key);
	slot->code = code;
	slot->exit_status = exit_status;
	slot->used = ++c->clock;
	if (strata_buf_put(&slot->body, body->ptr, body->len) < 0)
		slot->key[0] = '\0';
}

/* `how`: "hit" (from the cache), "shared" (another request's run), or NULL (its own run). */
static void answer(struct evhttp_request *req, int code, int exit_status, const strata_buf *body, const char *how)
{
	if (how)
		evhttp_add_header(evhttp_request_get_output_headers(req), "X-Strata-Answer", how);
	if (code == 200) {
		char st[16];
		snprintf(st, sizeof(st), "%d", exit_status);
		evhttp_add_header(evhttp_request_get_output_headers(req), "X-Strata-Exit", st);
		reply(req, 200, "application/json; charset=utf-8", body->ptr, body->len);
	} else {
		reply_error(req, code, body->ptr);
	}
}

/* The command ended (or was stopped): every request waiting for it gets its answer. */
static void job_done(job *j)
{
	console *c = j->c;
	strata_buf body = STRATA_BUF_INIT;
	int st = 0, status, code;

	if (j->pid > 0) {
		kill(j->pid, SIGKILL);	/* if it still runs: its output is closed or over the cap */
		while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	if (!j->killed && !j->err.len) {
		char buf[4096];
		ssize_t r = pread(j->errfd, buf, sizeof(buf) - 1, 0);
		if (r > 0)
			strata_buf_put(&j->err, buf, (size_t)r);
	}
	if (j->killed) {
		code = 500;
		strata_buf_puts(&body, j->killed);
	} else if (j->call.text && status == 0) {
		/* an action's output is text: answered as JSON */
		json_t *o = json_pack("{s:b, s:s%}", "ok", 1, "output", j->out.ptr ? j->out.ptr : "", j->out.len);
		char *text = o ? json_dumps(o, 0) : NULL;
		code = 200;
		strata_buf_puts(&body, text ? text : "{}");
		free(text);
		json_decref(o);
	} else if (!j->call.text && status <= j->call.ok_exit &&
		   (j->call.lines ? lines_to_array(&j->out) == 0 : is_json(&j->out))) {
		code = 200;
		strata_buf_put(&body, j->out.ptr, j->out.len);
	} else {
		/* a command's own refusal (no such dataset, a bad time) is the caller's; anything else is ours */
		code = status == 1 || status == 2 || (j->call.text && status == 3) ? 400 : 500;
		strata_buf_puts(&body, last_message(&j->err));
		/* a wrong passphrase at a change counts as a failed login for that officer */
		if (j->as[0] && strstr(body.ptr ? body.ptr : "", "passphrase")) {
			char who[80];
			snprintf(who, sizeof(who), "officer:%s", j->as);
			strata_console_login_failed(&c->strikes, who, 0, (long long)time(NULL));
			strata_audit_refusal(c->n, "console-action", j->call.argv[0], j->as, body.ptr);
		}
	}
	strata_buf_putc(&body, '\0');
	body.len--;
	if (j->call.cached && code == 200)
		cache_put(c, j->key, code, status, &body);
	while (j->waiters) {
		waiter *w = j->waiters;
		j->waiters = w->next;
		answer(w->req, code, status, &body, w->shared ? "shared" : NULL);
		free(w);
	}
	strata_buf_dispose(&body);
	/* off the running list */
	for (job **p = &c->running; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	c->nrunning--;
	job_free(j);
	job_start_next(c);
}

static void job_read_cb(evutil_socket_t fd, short what, void *arg)
{
	job *j = arg;
	char buf[65536];
	ssize_t r;

	(void)what;
	if ((r = read(fd, buf, sizeof(buf))) < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r > 0 && j->out.len + (size_t)r > OUTPUT_MAX)
		j->killed = _("the answer is too large to show");
	else if (r > 0 && strata_buf_put(&j->out, buf, (size_t)r) == 0)
		return;
	job_done(j);
}

static void job_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	job *j = arg;
	(void)fd, (void)what;
	j->killed = _("the command took too long");
	job_done(j);
}

/* Starts a job's command: the strata binary as a child, its output read by the loop under a cap and a deadline. */
static int job_run(job *j)
{
	console *c = j->c;
	const char *argv[STRATA_CONSOLE_ARGS_MAX + 8];
	int outp[2] = { -1, -1 };
	const char *tmp = getenv("TMPDIR");
	char errname[4096];
	struct timeval tv = { COMMAND_SECONDS, 0 };
	size_t k = 0;

	argv[k++] = c->o->exe;
	argv[k++] = "-C";
	argv[k++] = strata_node_path(c->n);
	argv[k++] = "--utc";
	if (j->as[0]) {
		argv[k++] = "--as";
		argv[k++] = j->as;
	}
	for (size_t i = 0; i < j->call.argc; i++)
		argv[k++] = j->call.argv[i];
	argv[k] = NULL;
	snprintf(errname, sizeof(errname), "%s/strata-console-XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	if ((j->errfd = mkostemp(errname, O_CLOEXEC)) < 0)
		return strata_error_sys("a file for the command's messages");
	unlink(errname);
	if (pipe2(outp, O_CLOEXEC) < 0)
		return strata_error_sys("pipe");
	if ((j->pid = fork()) < 0) {
		close(outp[0]), close(outp[1]);
		j->pid = 0;
		return strata_error_sys("fork");
	}
	if (j->pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0), dup2(outp[1], 1), dup2(j->errfd, 2);
		/* nothing of the console's goes with it (all its descriptors are close-on-exec but these) */
		signal(SIGPIPE, SIG_DFL);
		/* in the page's language: its messages (the JSON's keys and values of strata's own stay) */
		setenv("LC_ALL", j->zh ? "zh_CN.UTF-8" : "C.UTF-8", 1);
		unsetenv("LANGUAGE");
		/* an officer's change: their key kept at the node for the console, and the passphrase they gave */
		unsetenv("STRATA_OFFICER"), unsetenv("STRATA_OFFICER_KEY"), unsetenv("STRATA_PASSPHRASE");
		if (j->as[0]) {
			char keyfile[4200];
			snprintf(keyfile, sizeof(keyfile), "%s/officers/%s.key", strata_node_path(c->n), j->as);
			setenv("STRATA_OFFICER_KEY", keyfile, 1);
			setenv("STRATA_PASSPHRASE", j->pass, 1);
			unsetenv("SSH_AUTH_SOCK");
		}
		execv(c->o->exe, (char *const *)argv);
		_exit(127);
	}
	close(outp[1]);
	OPENSSL_cleanse(j->pass, sizeof(j->pass));	/* the child has it */
	j->outfd = outp[0];
	evutil_make_socket_nonblocking(j->outfd);
	if (!(j->out_ev = event_new(c->base, j->outfd, EV_READ | EV_PERSIST, job_read_cb, j)) ||
	    !(j->deadline = evtimer_new(c->base, job_deadline_cb, j)) || event_add(j->out_ev, NULL) < 0 ||
	    evtimer_add(j->deadline, &tv) < 0) {
		return strata_error_set("cannot watch the command's output");	/* job_done stops it */
	}
	return 0;
}

/* Queued jobs start while fewer than CHILDREN_MAX run. */
static void job_start_next(console *c)
{
	while (c->queued && c->nrunning < CHILDREN_MAX) {
		job *j = c->queued;
		c->queued = j->next;
		c->nqueued--;
		j->next = c->running;
		c->running = j;
		c->nrunning++;
		if (job_run(j) < 0) {	/* answered at once; job_done takes it off the running list */
			snprintf(j->why, sizeof(j->why), "%s", strata_error_last());
			j->killed = j->why;
			job_done(j);
		}
	}
}

static job *job_like(job *list, const char *key)
{
	for (; list; list = list->next)
		if (!strcmp(list->key, key))
			return list;
	return NULL;
}

/* The page's language: its strata_lang cookie (app.js sets it from the reader's choice). */
static int page_wants_zh(struct evhttp_request *req)
{
	const char *cookie = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
	const char *p = cookie ? strstr(cookie, "strata_lang=") : NULL;
	return p && !strncmp(p + strlen("strata_lang="), "zh", 2);
}

static void run_call(console *c, struct evhttp_request *req, const strata_console_call *callp, const char *as,
		     const char *pass);

static void api(console *c, struct evhttp_request *req, const char *path, const char *query, const session *sess)
{
	int logged_in = sess != NULL;
	strata_console_call call;
	char why[512];

	if (!strcmp(path, "/api/session")) {
		/* the node's zone, for the page to show times as the node's people read them */
		time_t now = time(NULL);
		struct tm tm;
		long offset = localtime_r(&now, &tm) ? tm.tm_gmtoff / 60 : 0;
		int officers = has_officers(c);
		json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:b, s:I, s:s?, s:b}", "node", strata_node_name(c->n), "tier",
				      strata_node_tier(c->n), "logged_in", logged_in, "login_required", !c->loopback || officers,
				      "tls", c->o->tls, "utc_offset", (json_int_t)offset, "display_name",
				      strata_node_display_name(c->n), "officers", officers);
		/* who is logged in, and the token their changes carry (a page of the same origin reads it, no other) */
		if (sess && sess->officer[0]) {
			strata_officer who;
			json_object_set_new(o, "officer", json_string(sess->officer));
			json_object_set_new(o, "role", json_string(strata_role_name(sess->role)));
			json_object_set_new(o, "csrf", json_string(sess->csrf));
			if (strata_officer_get(&who, c->n, sess->officer) == 0 && who.display[0])
				json_object_set_new(o, "officer_display", json_string(who.display));
			strata_error_clear();
		}
		char *text = json_dumps(o, JSON_INDENT(2));
		reply(req, 200, "application/json; charset=utf-8", text, strlen(text));
		free(text);
		json_decref(o);
		return;
	}
	int code = strata_console_route(&call, path, query, logged_in, why, sizeof(why));
	if (code != 200) {
		reply_error(req, code, why);
		return;
	}
	run_call(c, req, &call, NULL, NULL);
}

/*
 * Runs `call` for `req`: alike requests share one run (and a cached
 * route's answer); an action (`as`: the officer, `pass` their passphrase)
 * runs alone, never shared or cached.
 */
static void run_call(console *c, struct evhttp_request *req, const strata_console_call *callp, const char *as,
		     const char *pass)
{
	strata_console_call call = *callp;
	char state[65] = "";
	job *j;
	waiter *w;
	strata_buf key = STRATA_BUF_INIT;
	static unsigned long long actions;
	int zh = page_wants_zh(req);

	/* argv points into callp->store: rebase it onto the copy */
	for (size_t i = 0; i < call.argc; i++)
		if (callp->argv[i] >= callp->store && callp->argv[i] < callp->store + sizeof(callp->store))
			call.argv[i] = call.store + (callp->argv[i] - callp->store);
	if (as)
		strata_buf_printf(&key, "action %llu\x1f", ++actions);
	/* requests alike: the same language, the same argv (and, for a cached route, the same node state) */
	if (zh)
		strata_buf_puts(&key, "zh\x1f");
	for (size_t i = 0; i < call.argc; i++)
		strata_buf_printf(&key, "%s%c", call.argv[i], '\x1f');
	if (call.cached) {
		if (strata_node_state_digest(c->n, state) < 0) {
			strata_buf_dispose(&key);
			reply_error(req, 500, strata_error_last());
			return;
		}
		strata_buf_printf(&key, "state %s", state);
		cached *hit = key.len < sizeof(j->key) ? cache_find(c, key.ptr) : NULL;
		if (hit) {
			hit->used = ++c->clock;
			answer(req, hit->code, hit->exit_status, &hit->body, "hit");
			strata_buf_dispose(&key);
			return;
		}
	}
	if (key.len >= sizeof(j->key)) {
		strata_buf_dispose(&key);
		reply_error(req, 414, _("the request is too long"));
		return;
	}
	if (!(w = calloc(1, sizeof(*w)))) {
		strata_buf_dispose(&key);
		reply_error(req, 500, _("out of memory"));
		return;
	}
	w->req = req;
	if ((j = job_like(c->running, key.ptr)) || (j = job_like(c->queued, key.ptr))) {
		w->shared = 1;
		w->next = j->waiters;	/* the answer being prepared answers this one too */
		j->waiters = w;
		strata_buf_dispose(&key);
		return;
	}
	if (c->nqueued >= QUEUE_MAX || !(j = calloc(1, sizeof(*j)))) {
		free(w);
		strata_buf_dispose(&key);
		reply_error(req, 503, _("the console is preparing as many answers as it can: try again in a moment"));
		return;
	}
	j->c = c;
	j->call = call;
	if (as) {
		snprintf(j->as, sizeof(j->as), "%s", as);
		snprintf(j->pass, sizeof(j->pass), "%s", pass);
	}
	/* argv points into call.store: rebase it onto the copy */
	for (size_t i = 0; i < j->call.argc; i++)
		if (call.argv[i] >= call.store && call.argv[i] < call.store + sizeof(call.store))
			j->call.argv[i] = j->call.store + (call.argv[i] - call.store);
	j->outfd = j->errfd = -1;
	j->zh = zh;
	memcpy(j->key, key.ptr, key.len + 1);
	strata_buf_dispose(&key);
	j->waiters = w;
	/* at the queue's end: first come, first run */
	{
		job **p = &c->queued;
		while (*p)
			p = &(*p)->next;
		*p = j;
		c->nqueued++;
	}
	job_start_next(c);
}

static int host_count(struct evhttp_request *req)
{
	struct evkeyval *h;
	int n = 0;
	for (h = evhttp_request_get_input_headers(req)->tqh_first; h; h = h->next.tqe_next)
		n += !evutil_ascii_strcasecmp(h->key, "Host");
	return n;
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

/* The client's address, and whether it is loopback. */
static void client_of(struct evhttp_request *req, char *addr, size_t size, int *loop)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *host = NULL;
	ev_uint16_t port = 0;
	struct in_addr a4;
	struct in6_addr a6;

	if (evcon)
		evhttp_connection_get_peer(evcon, &host, &port);
	snprintf(addr, size, "%s", host ? host : "?");
	*loop = (inet_pton(AF_INET, addr, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127) ||
		(inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6));
}

/* One form field of `body` (application/x-www-form-urlencoded), decoded into `out`; 0, 1 if absent, -1 if bad. */
static int form_field(char *out, size_t size, const char *body, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = body; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > nl && !strncmp(p, name, nl) && p[nl] == '=')
			return strata_console_decode(out, size, p + nl + 1, len - nl - 1) < 0 ? -1 : 0;
		p = amp ? amp + 1 : NULL;
	}
	return 1;
}

/* `body` without its `name` field, into `out` (the passphrase goes nowhere near argv) */
static void form_without(char *out, size_t size, const char *body, const char *name)
{
	size_t nl = strlen(name), o = 0;

	out[0] = '\0';
	for (const char *p = body; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (!(len > nl && !strncmp(p, name, nl) && p[nl] == '=') && len && o + len + 2 < size) {
			if (o)
				out[o++] = '&';
			memcpy(out + o, p, len);
			o += len;
			out[o] = '\0';
		}
		p = amp ? amp + 1 : NULL;
	}
}

static session *new_session(console *c, time_t now)
{
	session *s = NULL;
	unsigned char raw[32];

	for (size_t i = 0; i < SESSIONS_MAX && !s; i++)
		if (c->sessions[i].until <= now)
			s = &c->sessions[i];
	if (!s)
		s = &c->sessions[0];	/* the oldest goes: a login is never refused for room */
	memset(s, 0, sizeof(*s));
	RAND_bytes(raw, sizeof(raw));
	strata_enc_hex(s->id, raw, sizeof(raw));
	RAND_bytes(raw, sizeof(raw));
	strata_enc_hex(s->csrf, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	s->until = now + SESSION_SECONDS;
	return s;
}

/*
 * POST /login: the token (a node with no officers), or an officer's name
 * and their key's passphrase (the key kept at NODE/officers/NAME.key):
 * checked by a signature made with it, then forgotten.  Failures count
 * per address (never loopback) and per officer (loopback too), and each
 * is in refused.log.
 */
static void login(console *c, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	char body[2048], tok[256], name[64], pass[1024], who[80], keyfile[4200];
	size_t len = evbuffer_get_length(in);
	time_t now = time(NULL);
	char cookie[200], addr[64];
	session *s = NULL;
	strata_officer o;
	int loop, wait, officers = has_officers(c);

	if (!origin_ok(c, req)) {
		reply_error(req, 403, _("a login must come from the console's own page"));
		return;
	}
	client_of(req, addr, sizeof(addr), &loop);
	if ((wait = strata_console_login_wait(&c->strikes, addr, loop, (long long)now)) > 0) {
		char why[160];
		snprintf(why, sizeof(why), _("too many failed logins from %s: wait %d seconds"), addr, wait);
		reply_error(req, 429, why);
		return;
	}
	if (len >= sizeof(body) || evbuffer_copyout(in, body, len) != (ev_ssize_t)len) {
		reply_error(req, 400, _("the login form is too long"));
		return;
	}
	body[len] = '\0';
	if (!officers) {
		if (strncmp(body, "token=", 6) || strata_console_decode(tok, sizeof(tok), body + 6, len - 6) < 0 ||
		    !strata_console_token_ok(c->n, tok)) {
			strata_console_login_failed(&c->strikes, addr, loop, (long long)now);
			reply_error(req, 401, _("that is not this node's login token"));
			return;
		}
		s = new_session(c, now);
	} else {
		if (form_field(name, sizeof(name), body, "officer") != 0 || strata_officer_name_check(name) < 0 ||
		    form_field(pass, sizeof(pass), body, "passphrase") != 0 || !pass[0]) {
			strata_error_clear();
			OPENSSL_cleanse(pass, sizeof(pass));
			reply_error(req, 400, _("this node has officers: log in with an officer's name and passphrase"));
			return;
		}
		snprintf(who, sizeof(who), "officer:%s", name);
		if ((wait = strata_console_login_wait(&c->strikes, who, 0, (long long)now)) > 0) {
			char why[200];
			OPENSSL_cleanse(pass, sizeof(pass));
			snprintf(why, sizeof(why), _("too many failed logins as %s: wait %d seconds"), name, wait);
			strata_audit_refusal(c->n, "console-login", name, addr, "locked out after too many failed logins");
			reply_error(req, 429, why);
			return;
		}
		snprintf(keyfile, sizeof(keyfile), "%s/officers/%s.key", strata_node_path(c->n), name);
		if (cli_officer_probe(&o, c->n, name, keyfile, pass) < 0) {
			char why[600];
			OPENSSL_cleanse(pass, sizeof(pass));
			snprintf(why, sizeof(why), "%s", strata_error_last());
			strata_console_login_failed(&c->strikes, addr, loop, (long long)now);
			strata_console_login_failed(&c->strikes, who, 0, (long long)now);
			strata_audit_refusal(c->n, "console-login", name, addr, why);
			reply_error(req, 401, _("not logged in: that name and passphrase do not open an officer's key here"));
			return;
		}
		OPENSSL_cleanse(pass, sizeof(pass));
		s = new_session(c, now);
		snprintf(s->officer, sizeof(s->officer), "%s", o.name);
		s->role = o.role;
		s->key = o.key;
	}
	snprintf(cookie, sizeof(cookie), "strata_console=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", s->id,
		 SESSION_SECONDS, c->o->tls ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
	reply(req, 204, "text/plain", NULL, 0);
}

/*
 * POST /api/act/NAME: an officer's change, from the console's own page
 * (Origin), in this session (X-Strata-CSRF), by an officer (not an
 * auditor or an operator), with their passphrase given again for it.
 */
static void act(console *c, struct evhttp_request *req, session *s, const char *name)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *csrf = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Strata-CSRF");
	char body[STRATA_CONSOLE_QUERY_MAX + 1], rest[STRATA_CONSOLE_QUERY_MAX + 1], pass[1024], why[512], who[80];
	size_t len = evbuffer_get_length(in);
	strata_console_call call;
	int code, wait;

	if (!s || !s->officer[0]) {
		reply_error(req, 401, _("log in as an officer first"));
		return;
	}
	if (!origin_ok(c, req)) {
		reply_error(req, 403, _("a change must come from the console's own page"));
		return;
	}
	if (!csrf || strlen(csrf) != 64 || CRYPTO_memcmp(csrf, s->csrf, 64)) {
		reply_error(req, 403, _("the change does not carry this session's token: reload the page"));
		return;
	}
	if (s->role != STRATA_ROLE_OFFICER) {
		snprintf(why, sizeof(why), _("'%s' is an %s: only an officer makes these changes"), s->officer,
			 _(strata_role_name(s->role)));
		reply_error(req, 403, why);
		return;
	}
	snprintf(who, sizeof(who), "officer:%s", s->officer);
	if ((wait = strata_console_login_wait(&c->strikes, who, 0, (long long)time(NULL))) > 0) {
		snprintf(why, sizeof(why), _("too many wrong passphrases as %s: wait %d seconds"), s->officer, wait);
		reply_error(req, 429, why);
		return;
	}
	if (len >= sizeof(body) || evbuffer_copyout(in, body, len) != (ev_ssize_t)len) {
		reply_error(req, 414, _("the request is too long"));
		return;
	}
	body[len] = '\0';
	if (form_field(pass, sizeof(pass), body, "passphrase") != 0 || !pass[0]) {
		OPENSSL_cleanse(body, sizeof(body));
		reply_error(req, 400, _("give your passphrase again to make a change"));
		return;
	}
	form_without(rest, sizeof(rest), body, "passphrase");
	OPENSSL_cleanse(body, sizeof(body));
	if ((code = strata_console_action(&call, name, rest, why, sizeof(why))) != 200) {
		OPENSSL_cleanse(pass, sizeof(pass));
		reply_error(req, code, why);
		return;
	}
	run_call(c, req, &call, s->officer, pass);
	OPENSSL_cleanse(pass, sizeof(pass));
}

static void request_cb(struct evhttp_request *req, void *arg)
{
	console *c = arg;
	const char *uri = evhttp_request_get_uri(req), *q;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	char path[256];
	size_t plen;
	session *s;

	strata_guard_busy(guard, req, 1);
	if (!uri || uri[0] != '/') {
		reply_error(req, 400, "not a path");
		return;
	}
	if (host_count(req) != 1) {	/* RFC 9112 3.2: none, or more than one, is a bad request */
		reply_error(req, 400, _("a request names its Host once"));
		return;
	}
	if (strlen(uri) > STRATA_CONSOLE_QUERY_MAX + 256) {
		reply_error(req, 414, _("the request is too long"));
		return;
	}
	q = strchr(uri, '?');
	plen = q ? (size_t)(q - uri) : strlen(uri);
	if (plen >= sizeof(path)) {
		reply_error(req, 404, _("no such page"));
		return;
	}
	memcpy(path, uri, plen);
	path[plen] = '\0';
	if (!host_ok(c, req)) {
		reply_error(req, 403, _("the console answers to its own address only"));
		return;
	}
	s = session_of(c, req);
	if (m == EVHTTP_REQ_POST) {
		if (!strcmp(path, "/login")) {
			login(c, req);
		} else if (!strncmp(path, "/api/act/", 9)) {
			act(c, req, s, path + 9);
		} else if (!strcmp(path, "/logout")) {
			if (!origin_ok(c, req)) {
				reply_error(req, 403, _("a logout must come from the console's own page"));
				return;
			}
			if (s)
				s->until = 0;
			evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie",
					  "strata_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
			reply(req, 204, "text/plain", NULL, 0);
		} else {
			reply_error(req, 405, _("the console changes nothing: only GET"));
		}
		return;
	}
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		reply_error(req, 405, _("the console changes nothing: only GET"));
		return;
	}
	if (!strncmp(path, "/api/", 5)) {
		if ((!c->loopback || has_officers(c)) && !s && strcmp(path, "/api/session")) {
			reply_error(req, 401, _("log in first"));
			return;
		}
		api(c, req, path, q ? q + 1 : NULL, s);
		return;
	}
	if (q && strlen(q + 1) > STRATA_CONSOLE_QUERY_MAX) {
		reply_error(req, 414, _("the query is too long"));
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
	reply_error(req, 404, _("no such page"));
}

/*
 * Each connection's bufferevent, made here so that the guard holds it.
 * With TLS, one that cannot be made stops the console: evhttp would
 * otherwise answer that connection in the clear.
 */
static struct bufferevent *bev_cb(struct event_base *base, void *arg)
{
	console *c = arg;
	struct bufferevent *bev = NULL;

	if (c->ctx) {
		SSL *ssl = SSL_new(c->ctx);
		if (!ssl || !(bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
								     BEV_OPT_CLOSE_ON_FREE))) {
			fprintf(stderr, _("strata: console: out of memory for a TLS connection; stopping\n"));
			event_base_loopbreak(base);
			return NULL;
		}
	} else if (!(bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE))) {
		return NULL;
	}
	strata_guard_track(c->guard, bev);
	return bev;
}

static void guard_log(const char *line)
{
	fprintf(stderr, _("strata: %s\n"), line);
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
	struct evhttp_bound_socket *bound;
	strata_guard_opts gopts = { CONNS_MAX, 64, CONNS_PER_ADDR, 0, "console", guard_log };

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
	if (o->max_conns > 0)
		gopts.max_conns = o->max_conns;
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
	    !(bound = evhttp_accept_socket_with_handle(c.http, fd))) {
		error = strata_error_set("cannot set up the console's server");
		goto done;
	}
	fd = -1;	/* evhttp's now */
	gopts.request_seconds = o->request_seconds > 0 ? o->request_seconds : REQUEST_SECONDS_DEFAULT;
	if (!(c.guard = guard = strata_guard_new(c.base, bound, &gopts))) {
		error = STRATA_ERROR;
		goto done;
	}
	evhttp_set_bevcb(c.http, bev_cb, &c);
	evhttp_set_gencb(c.http, request_cb, &c);
	evhttp_set_max_headers_size(c.http, 16384);
	evhttp_set_max_body_size(c.http, 4096);
	evhttp_set_timeout(c.http, 30);	/* between bytes; the guard's deadline is for the whole request */
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
	while (c.running) {	/* children still running: stopped, their requests dropped with the server */
		job *j = c.running;
		c.running = j->next;
		if (j->pid > 0)
			kill(j->pid, SIGKILL), waitpid(j->pid, NULL, 0);
		while (j->waiters) {
			waiter *w = j->waiters;
			j->waiters = w->next;
			free(w);
		}
		job_free(j);
	}
	while (c.queued) {
		job *j = c.queued;
		c.queued = j->next;
		while (j->waiters) {
			waiter *w = j->waiters;
			j->waiters = w->next;
			free(w);
		}
		job_free(j);
	}
	for (size_t i = 0; i < CACHE_MAX; i++)
		strata_buf_dispose(&c.cache[i].body);
	strata_guard_stop_accepting(c.guard);	/* before evhttp frees the listener */
	if (c.http)
		evhttp_free(c.http);
	strata_guard_free(c.guard);
	guard = NULL;
	if (c.base)
		event_base_free(c.base);
	SSL_CTX_free(c.ctx);
	strata_tls_identity_dispose(&id);
	OPENSSL_cleanse(c.sessions, sizeof(c.sessions));
	return error;
}
