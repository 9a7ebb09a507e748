/* cmd_status.c - strata status [PEER] [--json]: per peer and view, what was sent and received */
#include "cli.h"
#include "strata/replica/link.h"
#include "strata/policy/view.h"
#include "strata/base/time.h"
#include "strata/data/dataset.h"
#include "strata/format/name.h"
#include "strata/node/refs.h"
#include "strata/node/peers.h"

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

struct views_ctx {
	const char *peer;
	const strata_link *l;
	json_t *views, *recv;
};

static int add_built(const char *name, const git_oid *id, void *payload)
{
	struct views_ctx *v = payload;
	const git_oid *sent = sent_commit(v->l, name);
	char hex[GIT_OID_HEXSZ + 1], shex[GIT_OID_HEXSZ + 1] = "";

	git_oid_tostr(hex, sizeof(hex), id);
	if (sent)
		git_oid_tostr(shex, sizeof(shex), sent);
	json_array_append_new(v->views, json_pack("{s:s, s:s, s:s?, s:s}", "name", name, "commit", hex,
						  "sent", sent ? shex : NULL,
						  "state", !sent ? "not sent" : git_oid_equal(sent, id) ? "sent" : "ahead"));
	return 0;
}

static int add_received(const char *name, const git_oid *id, void *payload)
{
	struct views_ctx *v = payload;
	char hex[GIT_OID_HEXSZ + 1], full[STRATA_DATASET_NAME_MAX + 64];
	/* a pull that succeeded after the last failure found nothing newer */
	const char *st = !v->l->net_pulled ? "received" :
		v->l->net_pulled >= v->l->net_failed ? "in sync" : "unknown: last exchange failed";

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
	struct views_ctx v = { peer, &l, views, recv };
	char t[40];
	int error;

	if ((error = strata_link_load(&l, n, peer)) < 0)
		goto done;
	if ((error = strata_link_foreach_view(n, peer, 0, add_built, &v)) < 0 ||
	    (error = strata_link_foreach_view(n, peer, 1, add_received, &v)) < 0)
		goto done;
	o = json_pack("{s:s, s:o, s:o}", "peer", peer, "views", views, "received", recv);
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
			int got = strata_peers_get(&val, n, peer, keys[k]) == 0;
			json_object_set_new(o, keys[k], got ? json_string(val.ptr) :
					    !strcmp(keys[k], "direction") ? json_string("both") : json_null());
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
	*out = o;
	error = 0;
done:
	json_decref(views);
	json_decref(recv);
	strata_link_dispose(&l);
	return error;
}

static void print_peer(const json_t *o, strata_node *n)
{
	const char *peer = json_string_value(json_object_get(o, "peer"));
	json_t *out = json_object_get(o, "out"), *in = json_object_get(o, "in"), *v;
	size_t i;
	strata_buf tier = STRATA_BUF_INIT, pol = STRATA_BUF_INIT, dir = STRATA_BUF_INIT;

	strata_peers_get(&tier, n, peer, "tier");
	strata_peers_get(&pol, n, peer, "policy");
	strata_peers_get(&dir, n, peer, "direction");
	strata_error_clear();	/* missing settings print as their defaults */
	printf("peer %s (%s; direction %s; policy %s)\n", peer, tier.len ? tier.ptr : "?",
	       dir.len ? dir.ptr : "both", pol.len ? pol.ptr : "none");
	printf("  last parcel out: %lld at %s\n", (long long)json_integer_value(json_object_get(out, "sequence")),
	       json_is_string(json_object_get(out, "time")) ? json_string_value(json_object_get(out, "time")) : "-");
	printf("  last parcel in:  %lld at %s\n", (long long)json_integer_value(json_object_get(in, "sequence")),
	       json_is_string(json_object_get(in, "time")) ? json_string_value(json_object_get(in, "time")) : "-");
	{
		json_t *net = json_object_get(o, "network");
		const char *okt = json_string_value(json_object_get(net, "last_success"));
		const char *errt = json_string_value(json_object_get(net, "last_error_time"));
		if (okt)
			printf("  last network success: %s\n", okt);
		if (errt)
			printf("  last network error:   %s: %s\n", errt,
			       json_string_value(json_object_get(net, "last_error")));
	}
	if (json_array_size(json_object_get(o, "views")))
		printf("  %-44s %-12s %-12s %s\n", "view", "built", "sent", "state");
	json_array_foreach(json_object_get(o, "views"), i, v) {
		const char *sent = json_string_value(json_object_get(v, "sent"));
		printf("  %-44s %.12s %-12.12s %s\n", json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "commit")), sent ? sent : "-",
		       json_string_value(json_object_get(v, "state")));
	}
	if (json_array_size(json_object_get(o, "received")))
		printf("  %-44s %-12s %s\n", "received", "commit", "state");
	json_array_foreach(json_object_get(o, "received"), i, v)
		printf("  %-44s %.12s %s\n", json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "commit")), json_string_value(json_object_get(v, "state")));
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
	json_t *all = json_array();
	int c, json = 0, rc = STRATA_ERROR;
	const char *only = NULL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': printf("usage: strata %s\n", USAGE); json_decref(all); return 0;
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
		rc = strata_error_setc(STRATA_ENOTFOUND, "unknown peer '%s'", only);
		goto done;
	}
	if (json) {
		json_t *doc = json_pack("{s:s, s:O}", "node", strata_node_name(cli->node), "peers", all);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(doc);
	} else {
		size_t i;
		json_t *o;
		printf("node %s (%s)\n", strata_node_name(cli->node), strata_node_tier(cli->node));
		if (json_array_size(all) == 0)
			printf("no peers yet: add one with 'strata peer add'\n");
		json_array_foreach(all, i, o)
			print_peer(o, cli->node);
	}
	rc = 0;
done:
	strata_peers_list_free(peers);
	json_decref(all);
	return rc;
}
