/*
 * console_route.c - the console's API routes (console.h): which reading
 * command each answer runs, with which arguments.
 *
 * Trust: every byte of a query is untrusted.  Only the routes in the
 * table below run anything, each a reading command with arguments that
 * pass the checks here (names as strata names them, keys and times of a
 * few safe characters, nothing that starts with '-'); the child gets them
 * as argv, never through a shell.
 */
#include "console.h"
#include "strata/format/name.h"
#include "strata/base/i18n.h"

#include <stdio.h>
#include <string.h>

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
static int id_ok(const char *v) { return strlen(v) == 16 && strspn(v, "0123456789abcdef") == 16; }
static int number_ok(const char *v) { return v[0] && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 9; }

/* ---- routes ---- */

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

/* The records of the node's own datasets are raw personal data: only after a login. */
static int personal(const char *dataset, int logged_in, char *why, size_t whysize)
{
	if (strchr(dataset, '/') || logged_in)
		return 200;
	snprintf(why, whysize, _("'%s' is this node's own dataset: its records are shown only after a login"), dataset);
	return 401;
}

/* A parameter's value is checked by one of these; "need" ones must be there. */
typedef int (*check_fn)(const char *);
typedef struct {
	const char *name;
	check_fn ok;
	int need;
} param_spec;

#define ROUTE_PARAMS_MAX 6

typedef struct route {
	const char *name;	/* /api/NAME */
	param_spec params[ROUTE_PARAMS_MAX];
	/* argv from the checked values (indexed as params); 200, or a status and `why` */
	int (*build)(strata_console_call *call, char *const *v, int logged_in, char *why, size_t whysize);
	int ok_exit;		/* see strata_console_call */
	int lines;
	int cached;
} route;

#define ARGS(...)                                                                   \
	do {                                                                        \
		static const char *const a_[] = { __VA_ARGS__ };                     \
		for (size_t i_ = 0; i_ < sizeof(a_) / sizeof(*a_); i_++)            \
			arg(call, a_[i_]);                                           \
	} while (0)

static int r_status(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("status", "--json");
	return 200;
}

static int r_peers(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("peer", "list", "--format", "json");
	return 200;
}

static int r_peer(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)li, (void)why, (void)ws;
	ARGS("peer", "show");
	arg(call, v[0]);
	arg(call, "--json");
	return 200;
}

static int r_datasets(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("datasets", "--format", "json");
	return 200;
}

static int r_log(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)li, (void)why, (void)ws;
	arg(call, "log"), arg(call, v[0]), arg(call, "--json");
	return 200;
}

/* history and trace: one record's versions, or where it came from */
static int r_record(strata_console_call *call, char *const *v, int li, char *why, size_t ws, const char *cmd)
{
	int rc = personal(v[0], li, why, ws);
	if (rc != 200)
		return rc;
	arg(call, cmd), arg(call, v[0]), arg(call, v[1]), arg(call, "--json");
	return 200;
}

static int r_history(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	return r_record(call, v, li, why, ws, "history");
}

static int r_trace(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	return r_record(call, v, li, why, ws, "trace");
}

/* one page, read only as far as it goes; its JSON Lines become one array */
static int r_records(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	char page[16];
	int rc = personal(v[0], li, why, ws);

	if (rc != 200)
		return rc;
	snprintf(page, sizeof(page), "%d", RECORDS_PAGE);
	arg(call, "export"), arg(call, v[0]), arg(call, "--format"), arg(call, "jsonl");
	arg(call, "--offset"), arg(call, v[1] ? v[1] : "0"), arg(call, "--limit"), arg(call, keep(call, page));
	return 200;
}

/* what a recipient would get, beside the records it comes from: the node's own are raw */
static int r_preview(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	char spec[96];
	int rc = personal(v[2], li, why, ws);

	if (rc != 200)
		return rc;
	snprintf(spec, sizeof(spec), "%s@%s", v[0], v[1]);
	arg(call, "policy"), arg(call, "preview"), arg(call, keep(call, spec)), arg(call, "--dataset"), arg(call, v[2]);
	arg(call, "-n"), arg(call, "10"), arg(call, "--json");
	if (v[3])
		arg(call, "--peer"), arg(call, v[3]);
	return 200;
}

static int r_policies(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("policy", "list", "--json");
	return 200;
}

static int r_policy_diff(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	char a[96], b[96];

	(void)li, (void)why, (void)ws;
	snprintf(a, sizeof(a), "%s@%s", v[0], v[1]);
	snprintf(b, sizeof(b), "%s@%s", v[0], v[2]);
	arg(call, "policy"), arg(call, "diff"), arg(call, keep(call, a)), arg(call, keep(call, b)), arg(call, "--json");
	return 200;
}

static int r_risk(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)li, (void)why, (void)ws;
	arg(call, "policy"), arg(call, "risk"), arg(call, v[0]), arg(call, "--json");
	if (v[1])
		arg(call, "--peer"), arg(call, v[1]);
	return 200;
}

static int r_audit(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	static const char *const opt[] = { "--peer", "--event", "--since", "--until" };

	(void)li, (void)why, (void)ws;
	ARGS("audit", "log", "--json");
	for (size_t i = 0; i < 4; i++)
		if (v[i])
			arg(call, opt[i]), arg(call, v[i]);
	return 200;
}

static int r_refused(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("audit", "refused", "--json");
	return 200;
}

static int r_verify(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("verify", "--all", "--json");
	return 200;
}

static int r_erasures(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("erasures", "--format", "json");
	return 200;
}

/* sharing as a process: what this node offers and knows of others, and the requests and corrections it holds */
static int r_catalog(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("catalog", "--json");
	return 200;
}

static int r_requests(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("requests", "--json");
	return 200;
}

static int r_corrections(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("corrections", "--json");
	return 200;
}

static int r_pending(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("approve", "--format", "json");
	return 200;
}

/* a version that waits, beside the one committed: what changes, what it does to the data, the risk */
static int r_pending_review(strata_console_call *call, char *const *v, int li, char *why, size_t ws, const char *what)
{
	char spec[32];
	(void)li, (void)why, (void)ws;
	snprintf(spec, sizeof(spec), "pending:%s", v[0]);
	arg(call, "policy"), arg(call, what), arg(call, keep(call, spec)), arg(call, "--json");
	return 200;
}

static int r_pending_diff(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	return r_pending_review(call, v, li, why, ws, "diff");
}

static int r_pending_impact(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	return r_pending_review(call, v, li, why, ws, "impact");
}

static int r_pending_risk(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	return r_pending_review(call, v, li, why, ws, "risk");
}

static int r_officers(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("officer", "list", "--format", "json");
	return 200;
}

static int r_disclosures(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	int rc = personal(v[0], li, why, ws);
	if (rc != 200)
		return rc;
	arg(call, "disclosures"), arg(call, v[0]), arg(call, v[1]), arg(call, "--format"), arg(call, "json");
	return 200;
}

static int r_doctor(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)v, (void)li, (void)why, (void)ws;
	ARGS("doctor", "--json");
	return 200;
}

#define DATASET { "dataset", dataset_ok, 1 }
#define PEER_OPT { "peer", strata_name_node_valid, 0 }

/*
 * The routes.  `cached`: the answer is a function of the node's refs and
 * takes long on a big node (risk reads every record, verify every
 * signature): one run answers every request for the same refs.
 */
static const route routes[] = {
	{ "status", { { 0 } }, r_status, 1, 0, 0 },
	{ "peers", { { 0 } }, r_peers, 0, 0, 0 },
	{ "peer", { { "peer", strata_name_node_valid, 1 } }, r_peer, 0, 0, 0 },
	{ "datasets", { { 0 } }, r_datasets, 0, 0, 0 },
	{ "log", { DATASET }, r_log, 0, 0, 0 },
	{ "history", { DATASET, { "key", key_ok, 1 } }, r_history, 0, 0, 0 },
	{ "trace", { DATASET, { "key", key_ok, 1 } }, r_trace, 0, 0, 0 },
	{ "records", { DATASET, { "offset", number_ok, 0 } }, r_records, 0, 1, 0 },
	{ "preview", { { "policy", policy_ok, 1 }, { "version", number_ok, 1 }, DATASET, PEER_OPT }, r_preview, 0, 0, 0 },
	{ "policies", { { 0 } }, r_policies, 0, 0, 0 },
	{ "policy-diff", { { "policy", policy_ok, 1 }, { "from", number_ok, 1 }, { "to", number_ok, 1 } }, r_policy_diff, 0, 0, 1 },
	{ "risk", { { "policy", policy_ok, 1 }, PEER_OPT }, r_risk, 0, 0, 1 },
	{ "audit", { PEER_OPT, { "event", policy_ok, 0 }, { "since", time_ok, 0 }, { "until", time_ok, 0 } }, r_audit, 0, 0, 0 },
	{ "refused", { { 0 } }, r_refused, 0, 0, 0 },
	{ "verify", { { 0 } }, r_verify, 3, 0, 1 },
	{ "erasures", { { 0 } }, r_erasures, 1, 0, 0 },
	{ "doctor", { { 0 } }, r_doctor, 1, 0, 0 },
	{ "catalog", { { 0 } }, r_catalog, 0, 0, 0 },
	{ "requests", { { 0 } }, r_requests, 0, 0, 0 },
	{ "corrections", { { 0 } }, r_corrections, 0, 0, 0 },
	{ "pending", { { 0 } }, r_pending, 0, 0, 0 },
	{ "pending-diff", { { "id", id_ok, 1 } }, r_pending_diff, 0, 0, 0 },
	{ "pending-impact", { { "id", id_ok, 1 } }, r_pending_impact, 0, 0, 1 },
	{ "pending-risk", { { "id", id_ok, 1 } }, r_pending_risk, 0, 0, 1 },
	{ "officers", { { 0 } }, r_officers, 0, 0, 0 },
	{ "disclosures", { DATASET, { "key", key_ok, 1 } }, r_disclosures, 0, 0, 0 },
};

/* Splits and decodes `query` into `v` (names from r's parameters, each at most once) in call->store. */
static int params(strata_console_call *call, const route *r, char **v, const char *query, const char *path,
		  char *why, size_t whysize)
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
		for (i = 0; i < ROUTE_PARAMS_MAX && r->params[i].name && strcmp(r->params[i].name, name); i++)
			;
		if (i == ROUTE_PARAMS_MAX || !r->params[i].name) {
			snprintf(why, whysize, _("parameter '%s' does not go with %s"), name, path);
			return 400;
		}
		if (v[i]) {
			snprintf(why, whysize, _("parameter '%s' given twice"), name);
			return 400;
		}
		v[i] = call->store + call->used;
		if (strata_console_decode(v[i], sizeof(call->store) - call->used, eq ? eq + 1 : p + nl,
					  eq ? len - nl - 1 : 0) < 0)
			goto bad;
		call->used += strlen(v[i]) + 1;
	next:
		p = amp ? amp + 1 : NULL;
	}
	for (size_t i = 0; i < ROUTE_PARAMS_MAX && r->params[i].name; i++)
		if ((v[i] || r->params[i].need) && !(v[i] && r->params[i].ok(v[i]))) {
			snprintf(why, whysize, "%s: %s", r->params[i].name, v[i] ? _("not a valid value") : _("missing or not a valid value"));
			return 400;
		}
	return 200;
bad:
	snprintf(why, whysize, _("a parameter is not well %%-encoded text"));
	return 400;
}

int strata_console_route(strata_console_call *call, const char *path, const char *query, int logged_in,
			 char *why, size_t whysize)
{
	char *v[ROUTE_PARAMS_MAX] = { 0 };
	const route *r = NULL;
	int rc;

	memset(call, 0, sizeof(*call));
	why[0] = '\0';
	if (query && strlen(query) > STRATA_CONSOLE_QUERY_MAX) {
		snprintf(why, whysize, _("the query is longer than %d bytes"), STRATA_CONSOLE_QUERY_MAX);
		return 414;
	}
	for (size_t i = 0; !strncmp(path, "/api/", 5) && i < sizeof(routes) / sizeof(*routes) && !r; i++)
		if (!strcmp(path + 5, routes[i].name))
			r = &routes[i];
	if (!r) {
		snprintf(why, whysize, _("no such page"));
		return 404;
	}
	if ((rc = params(call, r, v, query, path, why, whysize)) != 200 || (rc = r->build(call, v, logged_in, why, whysize)) != 200)
		return rc;
	call->ok_exit = r->ok_exit;
	call->lines = r->lines;
	call->cached = r->cached;
	for (size_t k = 0; k < call->argc; k++)
		if (!call->argv[k]) {
			snprintf(why, whysize, _("the request is too long"));
			return 414;
		}
	return 200;
}

/* ---- actions (POST /api/act/NAME): an officer's changes, each a command with --as (console.c) ---- */

/* a reason: one line of text (decoding refused control bytes), not an option, at most 300 bytes */
static int reason_ok(const char *v) { return v[0] && v[0] != '-' && strlen(v) <= 300; }
/* an own dataset: this node's records, by their name alone */
static int own_dataset_ok(const char *v) { return !strchr(v, '/') && strata_name_dataset_valid(v); }

static int a_approve(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)li, (void)why, (void)ws;
	arg(call, "approve"), arg(call, v[0]);
	return 200;
}

static int a_refuse(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)li, (void)why, (void)ws;
	arg(call, "approve"), arg(call, v[0]), arg(call, "--refuse"), arg(call, "--reason"), arg(call, v[1]);
	return 200;
}

static int a_answer(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)li, (void)why, (void)ws;
	arg(call, "answer"), arg(call, v[0]), arg(call, "--approve");
	return 200;
}

static int a_answer_refuse(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)li, (void)why, (void)ws;
	arg(call, "answer"), arg(call, v[0]), arg(call, "--refuse"), arg(call, "--reason"), arg(call, v[1]);
	return 200;
}

static int a_accept(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)li, (void)why, (void)ws;
	arg(call, "corrections"), arg(call, "accept"), arg(call, v[0]);
	return 200;
}

static int a_reject(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)li, (void)why, (void)ws;
	arg(call, "corrections"), arg(call, "reject"), arg(call, v[0]), arg(call, "--reason"), arg(call, v[1]);
	return 200;
}

static int a_erase(strata_console_call *call, char *const *v, int li, char *why, size_t ws)
{
	(void)li, (void)why, (void)ws;
	arg(call, "erase"), arg(call, v[0]), arg(call, v[1]), arg(call, "--reason"), arg(call, v[2]);
	return 200;
}

#define ID { "id", id_ok, 1 }
#define REASON { "reason", reason_ok, 1 }

static const route actions[] = {
	{ "approve", { ID }, a_approve, 0, 0, 0 },
	{ "refuse", { ID, REASON }, a_refuse, 0, 0, 0 },
	{ "answer", { ID }, a_answer, 0, 0, 0 },
	{ "answer-refuse", { ID, REASON }, a_answer_refuse, 0, 0, 0 },
	{ "correction-accept", { ID }, a_accept, 0, 0, 0 },
	{ "correction-reject", { ID, REASON }, a_reject, 0, 0, 0 },
	{ "erase", { { "dataset", own_dataset_ok, 1 }, { "key", key_ok, 1 }, REASON }, a_erase, 0, 0, 0 },
};

int strata_console_action(strata_console_call *call, const char *name, const char *body, char *why, size_t whysize)
{
	char *v[ROUTE_PARAMS_MAX] = { 0 };
	const route *r = NULL;
	char path[96];
	int rc;

	memset(call, 0, sizeof(*call));
	why[0] = '\0';
	if (body && strlen(body) > STRATA_CONSOLE_QUERY_MAX) {
		snprintf(why, whysize, _("the query is longer than %d bytes"), STRATA_CONSOLE_QUERY_MAX);
		return 414;
	}
	for (size_t i = 0; i < sizeof(actions) / sizeof(*actions) && !r; i++)
		if (!strcmp(name, actions[i].name))
			r = &actions[i];
	if (!r) {
		snprintf(why, whysize, _("no such action"));
		return 404;
	}
	snprintf(path, sizeof(path), "/api/act/%s", name);
	if ((rc = params(call, r, v, body, path, why, whysize)) != 200 || (rc = r->build(call, v, 1, why, whysize)) != 200)
		return rc;
	call->text = 1;
	for (size_t k = 0; k < call->argc; k++)
		if (!call->argv[k]) {
			snprintf(why, whysize, _("the request is too long"));
			return 414;
		}
	return 200;
}
