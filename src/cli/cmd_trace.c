/*
 * cmd_trace.c - strata trace DATASET KEY... [--json | --dot]: a record's
 * way back through the tiers, as far as this node's data goes, and where
 * to continue.
 */
#include "cli.h"
#include "strata/replica/process.h"
#include "strata/replica/provenance.h"
#include "strata/base/time.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define USAGE "trace DATASET KEY [KEY...] [--json | --dot]   (DATASET: NAME, or one received dataset by its full name)"


static const char *role(const strata_trace_hop *h)
{
	return !h->is_view ? N_("owner's dataset commit") : h->built_here ? N_("view built here") : N_("view received");
}

/* The requests held here whose approval names this policy version (1 if any, in `out`). */
static int requests_of(strata_buf *out, strata_node *n, const char *blob)
{
	strata_buf_clear(out);
	if (strata_process_requests_of_policy(out, n, blob) < 0)
		strata_error_clear();
	return out->len > 0;
}

static json_t *trace_json(const strata_trace *t, strata_node *n)
{
	json_t *hops = json_array(), *o;
	strata_buf req = STRATA_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], when[40];

	for (size_t i = 0; i < t->nhops; i++) {
		const strata_trace_hop *h = &t->hops[i];
		json_error_t err;
		json_t *rec = json_loadb(h->line.ptr, h->line.len, 0, &err), *hop;
		git_oid_tostr(hex, sizeof(hex), &h->commit);
		strata_time_format(when, sizeof(when), h->committed);
		hop = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "role", role(h), "node", h->node,
				"tier", h->tier, "commit", hex, "signature", strata_commit_sig_status_str(h->status),
				"committed", when, "record", rec ? rec : json_null());
		if (h->signer[0])
			json_object_set_new(hop, "signer", json_string(h->signer));
		{
			strata_buf d = STRATA_BUF_INIT;
			const char *disp = cli_display_name(n, h->node, &d);
			json_object_set_new(hop, "display_name", disp ? json_string(disp) : json_null());
			strata_buf_dispose(&d);
		}
		if (h->is_view) {
			json_object_set_new(hop, "recipient", json_string(h->recipient));
			json_object_set_new(hop, "policy", json_pack("{s:s, s:s, s:s}", "name", h->policy_name,
								  "version", h->policy_version, "blob", h->policy_blob));
			json_object_set_new(hop, "purpose", json_string(h->purpose));
			if (requests_of(&req, n, h->policy_blob))
				json_object_set_new(hop, "requests", json_string(req.ptr));
		}
		if (h->received) {
			strata_time_format(when, sizeof(when), h->received);
			json_object_set_new(hop, "received", json_string(when));
		}
		json_array_append_new(hops, hop);
	}
	o = json_pack("{s:s, s:s, s:s, s:o}", "dataset", t->dataset, "node", strata_node_name(n), "tier", strata_node_tier(n), "hops", hops);
	if (t->has_next) {
		json_error_t err;
		git_oid_tostr(hex, sizeof(hex), &t->next_commit);
		json_object_set_new(o, "next", json_pack("{s:s, s:s, s:o}", "node", t->next_node, "commit", hex,
							  "key", json_loadb(t->next_key.ptr, t->next_key.len, 0, &err)));
	}
	if (t->has_origin) {
		git_oid_tostr(hex, sizeof(hex), &t->origin_commit);
		json_object_set_new(o, "origin", json_pack("{s:s, s:s, s:b}", "node", t->origin_node, "commit", hex,
							    "held", t->origin_held));
	}
	strata_buf_dispose(&req);
	return o;
}

/* Shell-quoted key values of the next hop, from their JSON array. */
static void print_key(const strata_buf *keyjson)
{
	json_error_t err;
	json_t *a = json_loadb(keyjson->ptr, keyjson->len, 0, &err), *v;
	size_t i;
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);
		putchar(' ');
		putchar('\'');
		for (; s && *s; s++)
			*s == '\'' ? fputs("'\\''", stdout) : putchar(*s);
		putchar('\'');
	}
	json_decref(a);
}

static void print_text(const strata_trace *t, strata_node *n)
{
	strata_buf req = STRATA_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], when[40];

	printf(_("trace of a %s record at %s (%s)\n"), t->dataset, strata_node_name(n), _(strata_node_tier(n)));
	for (size_t i = 0; i < t->nhops; i++) {
		const strata_trace_hop *h = &t->hops[i];
		git_oid_tostr(hex, sizeof(hex), &h->commit);
		strata_time_format(when, sizeof(when), h->committed);
		{
			strata_buf d = STRATA_BUF_INIT, who = STRATA_BUF_INIT;
			const char *disp = cli_display_name(n, h->node, &d);
			strata_buf_printf(&who, disp ? "%s · %s" : "%s", h->node, disp);
			printf(_("\n%zu. %s: %s (%s) commit %.12s, %s\n"), i + 1, _(role(h)), who.ptr, _(h->tier), hex, when);
			strata_buf_dispose(&d);
			strata_buf_dispose(&who);
		}
		printf(_("   signature: %s%s%s%s\n"), _(strata_commit_sig_status_str(h->status)), h->signer[0] ? " (" : "",
		       h->signer, h->signer[0] ? ")" : "");
		if (h->is_view) {
			printf(_("   for: %s\n"), h->recipient);
			printf(_("   policy: %s version %s (blob %.12s)\n"), h->policy_name, h->policy_version, h->policy_blob);
			printf(_("   purpose: %s\n"), h->purpose);
			if (requests_of(&req, n, h->policy_blob))
				printf(_("   under the requests for data: %s ('strata audit log --request ID')\n"), req.ptr);
		}
		if (h->received) {
			strata_time_format(when, sizeof(when), h->received);
			printf(_("   received here: %s\n"), when);
		}
		printf(_("   record: %s\n"), h->line.ptr);
	}
	if (t->has_next) {
		git_oid_tostr(hex, sizeof(hex), &t->next_commit);
		printf(_("\nnext hop: commit %.12s at %s (not held here); continue there with:\n"
		       "   strata -C <%s's node> trace %s"), hex, t->next_node, t->next_node, t->dataset);
		print_key(&t->next_key);
		putchar('\n');
	}
	if (t->has_origin) {
		git_oid_tostr(hex, sizeof(hex), &t->origin_commit);
		printf(_("\norigin: %s commit %.12s%s\n"), t->origin_node, hex, t->origin_held ? "" : _(" (not held here)"));
	}
	strata_buf_dispose(&req);
}

static void dot_escape(const char *s)
{
	for (; *s; s++)
		*s == '"' || *s == '\\' ? printf("\\%c", *s) : putchar(*s);
}

static void print_dot(const strata_trace *t, const strata_node *n)
{
	char hex[GIT_OID_HEXSZ + 1];

	printf("digraph trace {\n  rankdir=RL;\n  node [shape=box, fontname=\"sans\"];\n");
	/* one cluster per tier, the hops in it; the commits a tier further away holds, dashed */
	for (size_t i = 0; i < t->nhops; i++) {
		const strata_trace_hop *h = &t->hops[i];
		git_oid_tostr(hex, sizeof(hex), &h->commit);
		printf("  subgraph \"cluster_%zu\" {\n    label=\"", i);
		dot_escape(h->tier);
		printf(": ");
		dot_escape(h->node);
		printf("\";\n    \"%s\" [label=\"%.12s\\n%s\\nsignature %s\"];\n  }\n", hex, hex, role(h),
		       strata_commit_sig_status_str(h->status));
	}
	for (size_t i = 0; i + 1 < t->nhops; i++) {
		const strata_trace_hop *h = &t->hops[i];
		char to[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &t->hops[i + 1].commit);
		git_oid_tostr(to, sizeof(to), &h->commit);
		printf("  \"%s\" -> \"%s\" [label=\"", hex, to);
		dot_escape(h->policy_name);
		printf(" v%s\\n", h->policy_version);
		dot_escape(h->purpose);
		printf("\"];\n");
	}
	if (t->has_next && t->nhops) {
		const strata_trace_hop *h = &t->hops[t->nhops - 1];
		char to[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &t->next_commit);
		git_oid_tostr(to, sizeof(to), &h->commit);
		printf("  subgraph \"cluster_next\" {\n    label=\"");
		dot_escape(t->next_node);
		printf("\";\n    style=dashed;\n    \"%s\" [label=\"%.12s\\nnot held here\", style=dashed];\n  }\n", hex, hex);
		printf("  \"%s\" -> \"%s\" [label=\"", hex, to);
		dot_escape(h->policy_name);
		printf(" v%s\\n", h->policy_version);
		dot_escape(h->purpose);
		printf("\"];\n");
	}
	/* the node the trace runs at, holding the newest hop */
	if (t->nhops) {
		git_oid_tostr(hex, sizeof(hex), &t->hops[0].commit);
		printf("  subgraph \"cluster_here\" {\n    label=\"");
		dot_escape(strata_node_tier(n));
		printf(": ");
		dot_escape(strata_node_name(n));
		printf(" (trace runs here)\";\n    style=bold;\n    \"here\" [label=\"");
		dot_escape(strata_node_name(n));
		printf("\\nholds the record\", shape=ellipse];\n  }\n  \"%s\" -> \"here\" [label=\"held here\"];\n", hex);
	}
	/* the commit where the owner recorded it, joined to the oldest hop known here */
	if (t->has_origin && !t->origin_held && t->nhops &&
	    !(t->has_next && git_oid_equal(&t->next_commit, &t->origin_commit))) {
		char to[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &t->origin_commit);
		git_oid_tostr(to, sizeof(to), t->has_next ? &t->next_commit : &t->hops[t->nhops - 1].commit);
		printf("  subgraph \"cluster_origin\" {\n    label=\"origin: ");
		dot_escape(t->origin_node);
		printf("\";\n    style=dotted;\n    \"%s\" [label=\"%.12s\\nrecorded here\\nnot held here\", style=dotted];\n  }\n",
		       hex, hex);
		printf("  \"%s\" -> \"%s\" [style=dotted, label=\"through the tiers between\"];\n", hex, to);
	}
	printf("  label=\"trace at ");
	dot_escape(strata_node_name(n));
	printf("\";\n}\n");
}

int cmd_trace(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "dot", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_trace t;
	int c, fmt = 0;
	int rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': fmt = 1; break;
		case 'd': fmt = 2; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Follows one record back through the tiers as far as this node's data goes:\n"
			       "each hop with node, tier, commit, signature, policy, purpose, when received,\n"
			       "and the record as that tier holds it; then the node, commit and key to\n"
			       "continue with.  KEY: the record's key values as this node holds them (or as\n"
			       "a peer it built a view for holds them).\n\n"
			       "  --json  the same as JSON\n"
			       "  --dot   Graphviz: tiers as clusters, hops as edges with policy and purpose\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (argc - optind < 2)
		return cli_usage(USAGE);
	if ((rc = strata_provenance_trace(&t, cli->node, argv[optind], argv + optind + 1, (size_t)(argc - optind - 1))) < 0)
		return rc;
	if (fmt == 1) {
		json_t *o = trace_json(&t, cli->node);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else if (fmt == 2) {
		print_dot(&t, cli->node);
	} else {
		print_text(&t, cli->node);
	}
	strata_provenance_trace_dispose(&t);
	return 0;
}
