/*
 * cmd_status.c - strata status [PEER] [--json]: per peer and view, what
 * was sent and received, and a first line that says whether the node
 * needs attention.  A view's state is the truth now, not as of the last
 * build: a view whose source or policy changed since it was built is
 * "waiting" (new data not built yet), whatever the last build said.
 * Exit status 1 (a monitoring check's "warning") when something needs
 * attention: the last exchange with a peer that has a url failed, or data
 * for it is waiting to be sent.
 */
#include "cli.h"
#include "strata/replica/process.h"
#include "strata/replica/erase.h"
#include "strata/replica/parcel_import.h"
#include "strata/replica/link.h"
#include "strata/policy/view.h"
#include "strata/base/time.h"
#include "strata/data/dataset.h"
#include "strata/format/name.h"
#include "strata/node/refs.h"
#include "strata/node/peers.h"
#include "strata/node/commit.h"
#include "strata/policy/policy_store.h"
#include "strata/base/array.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define USAGE "status [PEER] [--json]"

static void stamp(char *out, size_t size, int64_t t)
{
	if (t)
		strata_time_format(out, size, t);
	else
		snprintf(out, size, "-");
}

static const git_oid *sent_commit(const strata_link *l, const char *name)
{
	for (size_t i = 0; i < l->out.nrefs; i++)
		if (!strcmp(l->out.refs[i].name, name))
			return &l->out.refs[i].commit;
	return NULL;
}

/* A view the peer's policy gives it: its name, and what it would be built from now. */
typedef struct {
	char name[STRATA_DATASET_NAME_MAX + 64];
	git_oid source;
	int seen;
} expected_view;

struct views_ctx {
	const char *peer;
	const strata_link *l;
	json_t *views, *recv;
	strata_node *n;
	expected_view *want;
	size_t nwant, alloc;
	git_oid policy_blob;
	int have_policy;
	size_t waiting;		/* views not built from what is there now, or not sent */
	char secret_id[STRATA_SECRET_ID_LEN + 1];	/* the policy's secret now ("": unknown) */
};

static int add_expected(const strata_dataset_entry *d, void *payload)
{
	struct views_ctx *v = payload;
	expected_view *e;
	char name[sizeof(e->name)];

	if (d->sender[0] && !strcmp(d->sender, v->peer))
		return 0;	/* never sent back where it came from */
	if (strata_view_name(name, sizeof(name), v->n, v->peer, d->ref) < 0) {
		strata_error_clear();	/* the policy does not share it with this peer */
		return 0;
	}
	if (strata_array_grow(&v->want, &v->alloc, v->nwant + 1, 8) < 0)
		return STRATA_ERROR;
	e = &v->want[v->nwant++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->source = *git_commit_id(d->tip);
	return 0;
}

static const char *view_state(struct views_ctx *v, const char *name, const git_oid *id, const git_oid *sent)
{
	git_commit *c = NULL;
	char src[GIT_OID_HEXSZ + 1] = "", pol[GIT_OID_HEXSZ + 1] = "", sec[STRATA_SECRET_ID_LEN + 1] = "";
	const char *state = NULL;

	for (size_t i = 0; i < v->nwant; i++) {
		git_oid sid, pid;
		if (strcmp(v->want[i].name, name))
			continue;
		v->want[i].seen = 1;
		if (git_commit_lookup(&c, strata_node_repo(v->n), id) == 0) {
			strata_commit_trailer(c, "Strata-Source", src, sizeof(src));
			strata_commit_trailer(c, "Strata-Policy", pol, sizeof(pol));
			strata_commit_trailer(c, "Strata-Secret-Id", sec, sizeof(sec));
		}
		git_error_clear();
		if (git_oid_fromstr(&sid, src) < 0 || !git_oid_equal(&sid, &v->want[i].source))
			state = N_("waiting: new data not built yet");
		else if (v->have_policy && (git_oid_fromstr(&pid, pol) < 0 || !git_oid_equal(&pid, &v->policy_blob)))
			state = N_("waiting: policy changed, not built yet");
		else if (v->secret_id[0] && strcmp(sec, v->secret_id))
			state = N_("waiting: policy secret rotated, not built yet");
		git_error_clear();
		git_commit_free(c);
		break;
	}
	if (!state)
		state = !sent ? N_("not sent") : git_oid_equal(sent, id) ? N_("sent") : N_("ahead: built, not sent");
	if (strcmp(state, "sent"))
		v->waiting++;
	return state;
}

static int add_built(const char *name, const git_oid *id, void *payload)
{
	struct views_ctx *v = payload;
	const git_oid *sent = sent_commit(v->l, name);
	char hex[GIT_OID_HEXSZ + 1], shex[GIT_OID_HEXSZ + 1] = "";

	git_oid_tostr(hex, sizeof(hex), id);
	if (sent)
		git_oid_tostr(shex, sizeof(shex), sent);
	json_array_append_new(v->views, json_pack("{s:s, s:s, s:s?, s:s}", "name", name, "commit", hex,
						  "sent", sent ? shex : NULL, "state", view_state(v, name, id, sent)));
	return 0;
}

static int add_received(const char *name, const git_oid *id, void *payload)
{
	struct views_ctx *v = payload;
	char hex[GIT_OID_HEXSZ + 1], full[STRATA_DATASET_NAME_MAX + 64];
	/* a pull that succeeded after the last failure found nothing newer */
	const char *st = !v->l->net_pulled ? "received" :
		v->l->net_pulled >= v->l->net_failed ? N_("in sync") : N_("unknown: last exchange failed");

	git_oid_tostr(hex, sizeof(hex), id);
	/* by the name every command takes (dataset.h): the sender first */
	snprintf(full, sizeof(full), "%s/%s", v->peer, name);
	json_array_append_new(v->recv, json_pack("{s:s, s:s, s:s}", "name", full, "commit", hex, "state", st));
	return 0;
}

/* Views built for the peer, and what we received from it, as JSON. */
static int peer_status(json_t **out, strata_node *n, const char *peer)
{
	strata_link l;
	json_t *o = NULL, *views = json_array(), *recv = json_array();
	struct views_ctx v = { peer, &l, views, recv, n, NULL, 0, 0, { { 0 } }, 0, 0, "" };
	strata_buf pol = STRATA_BUF_INIT;
	char t[40];
	int error;

	if ((error = strata_link_load(&l, n, peer)) < 0)
		goto done;
	/* what its policy gives it now, to tell a stale view from a current one */
	if (strata_peers_get(&pol, n, peer, "policy") == 0 && pol.len) {
		strata_policy *p = NULL;
		if (strata_policy_store_load(&p, &v.policy_blob, n, pol.ptr) == 0)
			v.have_policy = 1;
		if (strata_policy_store_secret_id(v.secret_id, n, pol.ptr) < 0)
			v.secret_id[0] = '\0';
		strata_policy_free(p);
		if ((error = strata_dataset_list(n, STRATA_DATASETS_ALL, add_expected, &v)) < 0)
			goto done;
	}
	strata_error_clear();
	if ((error = strata_link_foreach_view(n, peer, 0, add_built, &v)) < 0 ||
	    (error = strata_link_foreach_view(n, peer, 1, add_received, &v)) < 0)
		goto done;
	/* shared by the policy, never built */
	for (size_t i = 0; i < v.nwant; i++)
		if (!v.want[i].seen) {
			json_array_append_new(views, json_pack("{s:s, s:n, s:n, s:s}", "name", v.want[i].name, "commit",
							       "sent", "state", N_("waiting: not built yet")));
			v.waiting++;
		}
	o = json_pack("{s:s, s:o, s:o}", "peer", peer, "views", views, "received", recv);
	{
		strata_buf d = STRATA_BUF_INIT;
		const char *disp = cli_display_name(n, peer, &d);
		json_object_set_new(o, "display_name", disp ? json_string(disp) : json_null());
		strata_buf_dispose(&d);
	}
	views = recv = NULL;
	/* a time never set is null, not a string */
	stamp(t, sizeof(t), l.out.time);
	json_object_set_new(o, "out", json_pack("{s:I, s:s?}", "sequence", (json_int_t)l.out.sequence, "time",
						l.out.time ? t : NULL));
	stamp(t, sizeof(t), l.in.time);
	json_object_set_new(o, "in", json_pack("{s:I, s:s?}", "sequence", (json_int_t)l.in.sequence, "time",
					       l.in.time ? t : NULL));
	{
		static const char *const keys[] = { "tier", "url", "direction", "policy" };
		for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++) {
			strata_buf val = STRATA_BUF_INIT;
			int got = (!strcmp(keys[k], "direction") ? strata_peers_direction(&val, n, peer) :
				   strata_peers_get(&val, n, peer, keys[k])) == 0;
			json_object_set_new(o, keys[k], got ? json_string(val.ptr) : json_null());
			strata_buf_dispose(&val);
		}
		strata_error_clear();
	}
	{
		json_t *net = json_object();
		if (l.net_ok) {
			stamp(t, sizeof(t), l.net_ok);
			json_object_set_new(net, "last_success", json_string(t));
		}
		if (l.net_pulled) {
			stamp(t, sizeof(t), l.net_pulled);
			json_object_set_new(net, "last_pull", json_string(t));
		}
		if (l.net_failed) {
			stamp(t, sizeof(t), l.net_failed);
			json_object_set_new(net, "last_error_time", json_string(t));
			json_object_set_new(net, "last_error", json_string(l.net_error));
		}
		json_object_set_new(o, "network", net);
	}
	json_object_set_new(o, "waiting", json_integer((json_int_t)v.waiting));
	/* the last network exchange failed (a later success clears it) */
	json_object_set_new(o, "unreachable", json_boolean(l.net_failed && l.net_failed >= l.net_ok));
	{
		/* freshness: how old the peer's newest signed word is, against the max age this node set for it */
		strata_link_freshness f;
		char age[32];
		if ((error = strata_link_fresh(&f, n, peer, &l, strata_time_now())) < 0)
			goto done;
		strata_time_duration_format(age, sizeof(age), f.max_age);
		json_object_set_new(o, "max_age", f.max_age ? json_string(age) : json_null());
		stamp(t, sizeof(t), f.as_of);
		json_object_set_new(o, "fresh_as_of", f.as_of ? json_string(t) : json_null());
		stamp(t, sizeof(t), f.stale_since);
		json_object_set_new(o, "stale_since", f.stale_since ? json_string(t) : json_null());
	}
	*out = o;
	error = 0;
done:
	json_decref(views);
	json_decref(recv);
	free(v.want);
	strata_buf_dispose(&pol);
	strata_link_dispose(&l);
	return error;
}

/*
 * What needs attention: a peer with a url whose last exchange failed, or
 * with views waiting to go.  (A parcel-only peer's waiting views wait for
 * the next trip: said per view, not a problem of the node.)
 */
/* An erasure a peer has not confirmed for longer than a round (erase.h): a problem of the node. */
static int overdue_row(const strata_erasure_row *r, void *payload)
{
	char msg[512];
	if (!r->overdue)
		return 0;
	snprintf(msg, sizeof(msg), _("%s %s of %s not confirmed by %s: %s"), r->kind ? r->kind : "erasure", r->erasure,
		 r->view ? r->view : "?", r->peer, r->overdue);
	return json_array_append_new(payload, json_string(msg)) < 0 ? STRATA_ERROR : 0;
}

static json_t *health(const json_t *peers, strata_node *n)
{
	json_t *problems = json_array(), *o;
	size_t i;

	{
		int forks = strata_parcel_evidence(n, NULL, NULL);
		char msg[512];
		if (forks > 0) {
			snprintf(msg, sizeof(msg), _("%d parcel%s refused as evidence of a forked sender (two parcels signed "
				 "with one number): see %s/evidence"), forks, forks == 1 ? "" : "s", strata_node_path(n));
			json_array_append_new(problems, json_string(msg));
		}
		strata_error_clear();
	}
	{
		/* requests this node owes an answer to, past their deadline (process.h) */
		strata_process_counts pc;
		char msg[512];
		if (strata_process_count(n, &pc) < 0) {
			snprintf(msg, sizeof(msg), _("cannot read the requests: %s"), strata_error_last());
			json_array_append_new(problems, json_string(msg));
		} else if (pc.overdue) {
			snprintf(msg, sizeof(msg), _("%zu request%s for data past %s deadline unanswered ('strata requests --open')"),
				 pc.overdue, pc.overdue == 1 ? "" : "s", pc.overdue == 1 ? "its" : "their");
			json_array_append_new(problems, json_string(msg));
		}
		strata_error_clear();
	}
	if (strata_erasures(n, overdue_row, problems) < 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), _("cannot read the erasures: %s"), strata_error_last());
		json_array_append_new(problems, json_string(msg));
	}

	json_array_foreach(peers, i, o) {
		const char *peer = json_string_value(json_object_get(o, "peer"));
		const json_t *net = json_object_get(o, "network");
		const char *errt = json_string_value(json_object_get(net, "last_error_time"));
		json_int_t waiting = json_integer_value(json_object_get(o, "waiting"));
		char msg[512];
		if (json_is_string(json_object_get(o, "stale_since"))) {
			snprintf(msg, sizeof(msg), _("what %s sent is stale since %s: its newest signed word is from %s, older "
						     "than the max age of %s set for it"), peer,
				 json_string_value(json_object_get(o, "stale_since")),
				 json_string_value(json_object_get(o, "fresh_as_of")),
				 json_string_value(json_object_get(o, "max_age")));
			json_array_append_new(problems, json_string(msg));
		}
		if (!json_is_string(json_object_get(o, "url")))
			continue;
		if (json_is_true(json_object_get(o, "unreachable"))) {
			snprintf(msg, sizeof(msg), _("peer %s unreachable since %s: %s"), peer, errt,
				 json_string_value(json_object_get(net, "last_error")));
			json_array_append_new(problems, json_string(msg));
		}
		if (waiting) {
			snprintf(msg, sizeof(msg), _("%lld view%s for %s waiting to be sent"), (long long)waiting,
				 waiting == 1 ? "" : "s", peer);
			json_array_append_new(problems, json_string(msg));
		}
	}
	return json_pack("{s:b, s:o}", "ok", json_array_size(problems) == 0, "problems", problems);
}

static void print_peer(const json_t *o, strata_node *n)
{
	const char *peer = json_string_value(json_object_get(o, "peer"));
	json_t *out = json_object_get(o, "out"), *in = json_object_get(o, "in"), *v;
	size_t i;
	strata_buf tier = STRATA_BUF_INIT, pol = STRATA_BUF_INIT, dir = STRATA_BUF_INIT;

	strata_peers_get(&tier, n, peer, "tier");
	strata_peers_get(&pol, n, peer, "policy");
	strata_peers_direction(&dir, n, peer);
	strata_error_clear();	/* node.conf was checked when the node opened */
	{
		strata_buf d = STRATA_BUF_INIT;
		const char *disp = cli_display_name(n, peer, &d);
		if (disp)
			printf(_("peer %s · %s (%s; direction %s; policy %s)\n"), peer, disp, tier.len ? _(tier.ptr) : "?",
			       dir.len ? _(dir.ptr) : "?", pol.len ? pol.ptr : _("none"));
		else
			printf(_("peer %s (%s; direction %s; policy %s)\n"), peer, tier.len ? _(tier.ptr) : "?",
			       dir.len ? _(dir.ptr) : "?", pol.len ? pol.ptr : _("none"));
		strata_buf_dispose(&d);
	}
	printf(_("  last parcel out: %lld at %s\n"), (long long)json_integer_value(json_object_get(out, "sequence")),
	       json_is_string(json_object_get(out, "time")) ? json_string_value(json_object_get(out, "time")) : "-");
	printf(_("  last parcel in:  %lld at %s\n"), (long long)json_integer_value(json_object_get(in, "sequence")),
	       json_is_string(json_object_get(in, "time")) ? json_string_value(json_object_get(in, "time")) : "-");
	if (json_is_string(json_object_get(o, "max_age"))) {
		const char *asof = json_string_value(json_object_get(o, "fresh_as_of"));
		const char *since = json_string_value(json_object_get(o, "stale_since"));
		if (since)
			printf(_("  STALE since %s: its newest signed word is from %s (max age %s)\n"), since, asof,
			       json_string_value(json_object_get(o, "max_age")));
		else
			printf(_("  fresh: its newest signed word is from %s (max age %s)\n"), asof ? asof : _("(nothing yet)"),
			       json_string_value(json_object_get(o, "max_age")));
	}
	{
		json_t *net = json_object_get(o, "network");
		const char *okt = json_string_value(json_object_get(net, "last_success"));
		const char *errt = json_string_value(json_object_get(net, "last_error_time"));
		if (okt)
			printf(_("  last network success: %s\n"), okt);
		if (errt)
			printf(_("  last network error:   %s: %s\n"), errt,
			       json_string_value(json_object_get(net, "last_error")));
	}
	if (json_array_size(json_object_get(o, "views")))
		printf("  %-44s %-12s %-12s %s\n", _("view"), _("built"), _("sent"), _("state"));
	json_array_foreach(json_object_get(o, "views"), i, v) {
		const char *sent = json_string_value(json_object_get(v, "sent"));
		printf("  %-44s %.12s %-12.12s %s\n", json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "commit")), sent ? sent : "-",
		       _(json_string_value(json_object_get(v, "state"))));
	}
	if (json_array_size(json_object_get(o, "received")))
		printf("  %-44s %-12s %s\n", _("received"), _("commit"), _("state"));
	json_array_foreach(json_object_get(o, "received"), i, v)
		printf("  %-44s %.12s %s\n", json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "commit")), _(json_string_value(json_object_get(v, "state"))));
	strata_buf_dispose(&tier);
	strata_buf_dispose(&pol);
	strata_buf_dispose(&dir);
}

int cmd_status(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char **peers = NULL;
	size_t npeers = 0;
	json_t *all = json_array(), *h = NULL, *waiting = NULL;
	strata_process_counts pc;
	int c, json = 0, rc = STRATA_ERROR;
	const char *only = NULL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Per peer: the last parcel each way, the last network success and error, each\n"
			       "view built for it (sent, ahead: built and not sent, waiting: new data or a new\n"
			       "policy not built yet) and each view received from it.  The first line says\n"
			       "whether the node needs attention; exit 1 if it does (the last exchange with a\n"
			       "peer that has a url failed, views for it wait to be sent, or an erasure it was\n"
			       "sent stays unconfirmed longer than a round: it confirmed the parcel that\n"
			       "carried the cut and does not hold it, or a day passed, or what a peer sent is\n"
			       "stale: its newest signed word is older than the max age set for it, 'peer set\n"
			       "--max-age'), else 0.\n\n"
			       "  --json  the same as JSON (times RFC 3339 or null)\n"), USAGE);
			json_decref(all);
			return 0;
		default: json_decref(all); return cli_usage(USAGE);
		}
	}
	if (optind + 1 < argc) {
		json_decref(all);
		return cli_usage(USAGE);
	}
	only = optind < argc ? argv[optind] : NULL;
	if ((rc = strata_peers_list(&peers, &npeers, cli->node)) < 0)
		goto done;
	for (size_t i = 0; i < npeers; i++) {
		json_t *o;
		if (only && strcmp(only, peers[i]))
			continue;
		if ((rc = peer_status(&o, cli->node, peers[i])) < 0)
			goto done;
		json_array_append_new(all, o);
	}
	if (only && json_array_size(all) == 0) {
		rc = strata_peers_unknown(cli->node, only);
		goto done;
	}
	h = health(all, cli->node);
	/* four eyes: what waits for a second officer (pending.h) */
	waiting = json_array();
	if (cli_pending_rows(waiting, cli->node) < 0)
		strata_error_clear();
	if (strata_process_count(cli->node, &pc) < 0)
		memset(&pc, 0, sizeof(pc));
	strata_error_clear();
	if (json) {
		json_t *doc = json_pack("{s:s, s:s, s:O, s:O, s:{s:I, s:I, s:I, s:I, s:I, s:I}}", "node",
					strata_node_name(cli->node), "tier", strata_node_tier(cli->node), "health", h, "peers",
					all, "requests", "to_answer", (json_int_t)pc.to_answer, "overdue",
					(json_int_t)pc.overdue, "answered", (json_int_t)pc.answered, "legs_to_approve",
					(json_int_t)pc.legs_open, "filed_open", (json_int_t)pc.filed_open, "filed_answered",
					(json_int_t)pc.filed_answered);
		json_object_set(doc, "pending", waiting);
		json_object_set_new(doc, "display_name", strata_node_display_name(cli->node) ?
					 json_string(strata_node_display_name(cli->node)) : json_null());
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(doc);
	} else {
		size_t i;
		json_t *o, *pr;
		if (json_is_true(json_object_get(h, "ok"))) {
			printf(_("health: ok\n"));
		} else {
			printf(_("needs attention:"));
			json_array_foreach(json_object_get(h, "problems"), i, pr)
				printf("%s %s", i ? ";" : "", json_string_value(pr));
			putchar('\n');
		}
		if (strata_node_display_name(cli->node))
			printf(_("node %s · %s (%s)\n"), strata_node_name(cli->node), strata_node_display_name(cli->node),
			       _(strata_node_tier(cli->node)));
		else
			printf(_("node %s (%s)\n"), strata_node_name(cli->node), _(strata_node_tier(cli->node)));
		if (pc.to_answer + pc.overdue + pc.answered + pc.legs_open + pc.filed_open + pc.filed_answered)
			printf(_("requests for data: %zu to answer (%zu overdue), %zu legs to approve, %zu answered; filed here: "
			       "%zu open, %zu answered ('strata requests')\n"), pc.to_answer + pc.overdue, pc.overdue,
			       pc.legs_open, pc.answered, pc.filed_open, pc.filed_answered);
		json_array_foreach(waiting, i, o)
			printf(_("waits for a second officer: %s %s (proposed by %s, %s; 'strata approve %s')\n"),
			       json_string_value(json_object_get(o, "id")), json_string_value(json_object_get(o, "summary")),
			       json_string_value(json_object_get(o, "proposer")), json_string_value(json_object_get(o, "created")),
			       json_string_value(json_object_get(o, "id")));
		if (json_array_size(all) == 0)
			printf(_("no peers yet: add one with 'strata peer add'\n"));
		json_array_foreach(all, i, o)
			print_peer(o, cli->node);
	}
	rc = 0;
	if (!json_is_true(json_object_get(h, "ok")))
		rc = strata_error_set("needs attention (%zu problem%s): exit 1", json_array_size(json_object_get(h, "problems")),
				      json_array_size(json_object_get(h, "problems")) == 1 ? "" : "s");
done:
	json_decref(h);
	json_decref(waiting);
	strata_peers_list_free(peers);
	json_decref(all);
	return rc;
}
