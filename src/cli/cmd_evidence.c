/*
 * cmd_evidence.c - strata evidence export DATASET KEY... -o FILE
 * [--continue FILE] | evidence verify FILE: a record's trace as evidence
 * an auditor hands on, part by part across the tiers, and its check with
 * no node (evidence.h, evidence_export.h).
 */
#include "cli.h"
#include "strata/base/fs.h"
#include "strata/base/time.h"
#include "strata/node/check.h"
#include "strata/node/officers.h"
#include "strata/format/evidence.h"
#include "strata/replica/evidence_export.h"
#include "strata/net/tsa.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define USAGE "evidence export DATASET KEY [KEY...] -o FILE [--continue FILE] [--whole-leaf] [--no-timestamp]\n" \
	      "       strata evidence export (--erasure ID | --request ID | --policy NAME@VERSION) -o FILE [--no-timestamp]\n" \
	      "       strata evidence verify FILE [--keys FILE] [--tsa-cert FILE]"

static void html_text(strata_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': strata_buf_puts(b, "&amp;"); break;
		case '<': strata_buf_puts(b, "&lt;"); break;
		case '>': strata_buf_puts(b, "&gt;"); break;
		case '"': strata_buf_puts(b, "&quot;"); break;
		default: strata_buf_putc(b, *s);
		}
	}
}

/* a row: `value` is our words (WORDS), data in a fixed font (MONO), or data (DATA) */
enum { WORDS, MONO, DATA };
static void row(strata_buf *b, const char *label, const char *value, int kind)
{
	strata_buf_puts(b, "<tr><th>");
	html_text(b, label);
	strata_buf_puts(b, kind == MONO ? "</th><td class=\"mono\">" : kind == DATA ? "</th><td class=\"data\">" : "</th><td>");
	html_text(b, value ? value : "—");
	strata_buf_puts(b, "</td></tr>\n");
}

static const char *role_words(const char *role)
{
	return !strcmp(role, "owner") ? _("the owner's dataset commit, where the record was recorded")
	       : !strcmp(role, "view-built") ? _("a view this node built and sent on")
					     : _("a view this node received");
}

static const char *fingerprint(strata_buf *out, const char *keyline)
{
	strata_pubkey pk;

	strata_buf_clear(out);
	if (strata_sign_pubkey_parse(&pk, keyline) < 0 || strata_sign_pubkey_fingerprint(out, &pk) < 0) {
		strata_error_clear();
		return "?";
	}
	return out->ptr;
}

/* the page's head, in the reader's language, styled to print well */
static void page_head(strata_buf *b, const char *title)
{
	strata_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\"><title>", _("en"));
	html_text(b, title);
	strata_buf_puts(b, "</title>\n<style>body{font:14px/1.5 \"Noto Sans CJK SC\",\"Source Han Sans SC\",sans-serif;"
			   "max-width:60em;margin:2em auto;color:#111}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;"
			   "border-bottom:1px solid #999}table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px "
			   "solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}th{width:12em;background:#f2f2f2;"
			   "font-weight:normal}.mono{font-family:monospace;word-break:break-all}.note{background:#fffbe6;border:1px "
			   "solid #e6d37a;padding:.5em}pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap;word-break:break-all}"
			   "@media print{body{margin:0;max-width:none}h2{break-after:avoid}table{break-inside:avoid}}</style>"
			   "</head><body>\n<h1>");
	html_text(b, title);
	strata_buf_puts(b, "</h1>\n");
}

/* who made the part, with which key, when, as whom, and whose time */
static void part_rows(strata_buf *b, json_t *p, strata_buf *fpr)
{
	row(b, _("Exported by node"), json_string_value(json_object_get(p, "node")), DATA);
	row(b, _("Node key"), fingerprint(fpr, json_string_value(json_object_get(p, "node_key"))), MONO);
	row(b, _("Exported"), json_string_value(json_object_get(p, "exported")), DATA);
	if (json_object_get(p, "officer"))
		row(b, _("Officer"), json_string_value(json_object_get(p, "officer")), DATA);
	if (json_object_get(p, "tsa"))
		row(b, _("Timestamp authority"), json_string_value(json_object_get(json_object_get(p, "tsa"), "certificate")), MONO);
}

/* the note every report gives: whose times, and whose keys */
static void page_note(strata_buf *b, const char *times)
{
	strata_buf_puts(b, "<p class=\"note\">");
	html_text(b, times);
	strata_buf_putc(b, ' ');
	html_text(b, _("The keys are the bundle's own: compare each fingerprint below with the one the node's operators "
		       "publish."));
	strata_buf_puts(b, "</p>\n");
}

/* what verify checks, in words */
static void page_checks(strata_buf *b, const char *what)
{
	strata_buf_puts(b, "<h2>");
	html_text(b, _("What was checked, and how to check it yourself"));
	strata_buf_puts(b, "</h2>\n<p>");
	html_text(b, what);
	strata_buf_puts(b, "</p>\n");
}

/* an erasure's bundle in words: what was cut, who confirmed it, how to check */
static int render_erasure(strata_buf *b, json_t *p)
{
	json_t *head = json_object_get(p, "certificate"), *claims = json_object_get(p, "claims"), *v;
	strata_buf fpr = STRATA_BUF_INIT;
	const char *kind;
	size_t i;
	char cmd[200];

	page_head(b, _("Evidence: an erasure and who confirmed it"));
	strata_buf_puts(b, "<table>\n");
	row(b, _("Erasure"), json_string_value(json_object_get(p, "erasure")), MONO);
	row(b, _("Dataset"), json_string_value(json_object_get(head, "dataset")), DATA);
	kind = json_string_value(json_object_get(head, "kind"));
	row(b, _("Kind"), kind ? _(kind) : NULL, WORDS);	/* erasure, retraction, retention, withdrawal */
	row(b, _("Reason"), json_string_value(json_object_get(head, "reason")), DATA);
	row(b, _("Made at"), json_string_value(json_object_get(head, "made_at")), DATA);
	part_rows(b, p, &fpr);
	strata_buf_puts(b, "</table>\n<h2>");
	html_text(b, _("Who confirmed the cut"));
	strata_buf_puts(b, "</h2>\n<table>\n");
	json_array_foreach(claims, i, v) {
		char text[400];
		const char *by = json_string_value(json_object_get(v, "by"));
		snprintf(text, sizeof(text), _("%s, view %s: confirmed at %s (%s)"), json_string_value(json_object_get(v, "who")),
			 json_string_value(json_object_get(v, "view")), json_string_value(json_object_get(v, "confirmed_at")),
			 by && !strcmp(by, "receipt") ? _("its own signed receipt") : _("the owner's signed record of what it said"));
		row(b, json_string_value(json_object_get(v, "who")), text, WORDS);
	}
	if (!json_array_size(claims))
		row(b, _("No recipient has confirmed it yet"), NULL, WORDS);
	strata_buf_puts(b, "</table>\n");
	page_note(b, json_object_get(p, "tsa") ? _("This part is timestamped by an independent timestamp authority (RFC 3161).")
					      : _("Times are each node's own clock: no timestamp authority vouches for them."));
	page_checks(b, _("'strata evidence verify' checks this part's signature, the certificate's digest, and the "
		       "certificate itself as 'strata certificate verify' does: every commit's id and signature, the "
		       "owner's signed event that makes the cut, each recipient's signed receipt and what it says. "
		       "With stock tools, after 'tar xf':"));
	strata_buf_puts(b, "<pre>");
	snprintf(cmd, sizeof(cmd), "strata certificate verify erasure/%s.json\n", json_string_value(json_object_get(p, "erasure")));
	html_text(b, cmd);
	html_text(b, "ssh-keygen -Y verify -f allowed_signers -I NODE -n strata-evidence -s parts/1-NODE.json.sig < parts/1-NODE.json\n");
	strata_buf_puts(b, "</pre>\n</body></html>\n");
	strata_buf_dispose(&fpr);
	return 0;
}

/* a request's bundle in words: who asked what, why, and every answer on its way */
static int render_request(strata_buf *b, json_t *p, void *payload)
{
	json_t *msgs = json_object_get(p, "messages"), *req = json_array_get(msgs, 0), *v;
	strata_buf fpr = STRATA_BUF_INIT;
	char *fields = json_dumps(json_object_get(req, "fields"), JSON_COMPACT);
	size_t i;

	(void)payload;
	page_head(b, _("Evidence: a request for data and its answers"));
	strata_buf_puts(b, "<table>\n");
	row(b, _("Request"), json_string_value(json_object_get(p, "request")), MONO);
	row(b, _("Filed by"), json_string_value(json_object_get(req, "from")), DATA);
	row(b, _("Owner"), json_string_value(json_object_get(req, "owner")), DATA);
	row(b, _("Dataset"), json_string_value(json_object_get(req, "dataset")), DATA);
	row(b, _("Fields asked for"), fields, MONO);
	row(b, _("Purpose"), json_string_value(json_object_get(req, "purpose")), DATA);
	row(b, _("Legal basis"), json_string_value(json_object_get(req, "basis")), DATA);
	part_rows(b, p, &fpr);
	strata_buf_puts(b, "</table>\n<h2>");
	html_text(b, _("The answers, each signed by the node that gave it"));
	strata_buf_puts(b, "</h2>\n<table>\n");
	json_array_foreach(msgs, i, v) {
		char text[600];
		const char *role = json_string_value(json_object_get(v, "role")), *dec = json_string_value(json_object_get(v, "decision"));
		if (i == 0)
			continue;
		snprintf(text, sizeof(text), _("%s (%s): %s%s%s%s%s"),
			 dec && !strcmp(dec, "approve") ? _("approved") : _("refused"),
			 role && !strcmp(role, "owner") ? _("the owner") : _("a relay, for its own leg"),
			 json_string_value(json_object_get(v, "policy")) ? json_string_value(json_object_get(v, "policy")) : "",
			 json_string_value(json_object_get(v, "version")) ? " v" : "",
			 json_string_value(json_object_get(v, "version")) ? json_string_value(json_object_get(v, "version")) : "",
			 json_string_value(json_object_get(v, "reason")) && *json_string_value(json_object_get(v, "reason")) ? "; " : "",
			 json_string_value(json_object_get(v, "reason")) ? json_string_value(json_object_get(v, "reason")) : "");
		row(b, json_string_value(json_object_get(v, "from")), text, DATA);
	}
	if (json_array_size(msgs) < 2)
		row(b, _("No answer has come yet"), NULL, WORDS);
	strata_buf_puts(b, "</table>\n");
	page_note(b, json_object_get(p, "tsa") ? _("This part is timestamped by an independent timestamp authority (RFC 3161).")
					      : _("Times are each node's own clock: no timestamp authority vouches for them."));
	page_checks(b, _("'strata evidence verify' checks this part's signature, the messages' digest, and each message: "
		       "its signature (SSHSIG, namespace strata-process) by the key given for the node that wrote it, and "
		       "that it is this request or an answer to it."));
	strata_buf_puts(b, "</body></html>\n");
	free(fields);
	strata_buf_dispose(&fpr);
	return 0;
}

/* a policy version's bundle in words: which, for what, committed when and by whom */
static int render_policy(strata_buf *b, json_t *p)
{
	json_t *pol = json_object_get(p, "policy");
	strata_buf fpr = STRATA_BUF_INIT;
	char ver[32], when[40];

	snprintf(ver, sizeof(ver), "%lld", (long long)json_integer_value(json_object_get(pol, "version")));
	strata_time_format(when, sizeof(when), (int64_t)json_integer_value(json_object_get(pol, "committed")));
	page_head(b, _("Evidence: a policy version, and who committed it"));
	strata_buf_puts(b, "<table>\n");
	row(b, _("Policy"), json_string_value(json_object_get(pol, "name")), DATA);
	row(b, _("Version"), ver, DATA);
	row(b, _("Purpose"), json_string_value(json_object_get(pol, "purpose")), DATA);
	row(b, _("Committed"), when, DATA);
	row(b, _("Committed by officer"), json_string_value(json_object_get(pol, "officer")), DATA);
	row(b, _("Policy file (blob)"), json_string_value(json_object_get(pol, "blob")), MONO);
	row(b, _("Commit"), json_string_value(json_object_get(pol, "commit")), MONO);
	row(b, _("Audit event"), json_string_value(json_object_get(pol, "event")), MONO);
	part_rows(b, p, &fpr);
	strata_buf_puts(b, "</table>\n");
	page_note(b, json_object_get(p, "tsa") ? _("This part is timestamped by an independent timestamp authority (RFC 3161).")
					      : _("Times are each node's own clock: no timestamp authority vouches for them."));
	page_checks(b, _("'strata evidence verify' checks this part's signature; the node's signed commit that set the "
			 "policy and holds its file; the node's signed audit event that committed it, naming that "
			 "commit, file, name and version, its purpose and officer; and that the file parses as that "
			 "policy. The policy's text is objects/blob/ its blob id, after 'tar xf'."));
	strata_buf_puts(b, "</body></html>\n");
	strata_buf_dispose(&fpr);
	return 0;
}

/* the report in words, in the reader's language: what the bundle claims and how to check it */
static int render(strata_buf *b, json_t *const *parts, size_t nparts, void *payload)
{
	json_t *last = parts[nparts - 1], *first = parts[0];
	strata_buf fpr = STRATA_BUF_INIT;
	char *key = json_dumps(json_object_get(first, "key"), JSON_COMPACT);

	(void)payload;
	if (json_string_value(json_object_get(first, "kind")) && strcmp(json_string_value(json_object_get(first, "kind")), "record")) {
		free(key);
		return !strcmp(json_string_value(json_object_get(first, "kind")), "erasure") ? render_erasure(b, first)
		       : !strcmp(json_string_value(json_object_get(first, "kind")), "policy") ? render_policy(b, first)
											       : render_request(b, first, payload);
	}
	page_head(b, _("Evidence: a record traced through the tiers"));
	strata_buf_puts(b, "<table>\n");
	row(b, _("Dataset"), json_string_value(json_object_get(first, "dataset")), DATA);
	row(b, _("Record key (as the first node shows it)"), key, MONO);
	row(b, _("First exported at"), json_string_value(json_object_get(first, "node")), DATA);
	row(b, _("Parts"), NULL, WORDS);
	b->len -= strlen("—</td></tr>\n");
	strata_buf_printf(b, "%zu</td></tr>\n", nparts);
	row(b, _("Reaches the owner's commit"),
	    json_object_get(last, "next") ? _("no: the trace goes on at a node that has not added its part") : _("yes"), WORDS);
	strata_buf_puts(b, "</table>\n");
	{
		size_t stamped = 0;
		for (size_t i = 0; i < nparts; i++)
			stamped += json_object_get(parts[i], "tsa") != NULL;
		page_note(b, stamped == nparts ? _("Each part is timestamped by an independent timestamp authority (RFC 3161): "
						   "it existed, as it is, at the time in its token. The other times are the "
						   "nodes' own clocks.")
			     : stamped ? _("Some parts are timestamped by a timestamp authority (RFC 3161); the others' "
					   "times are their nodes' own clocks, which no authority vouches for.")
				       : _("Times are each node's own clock: no timestamp authority vouches for them."));
	}
	for (size_t i = 0; i < nparts; i++) {
		json_t *p = parts[i], *hop, *next = json_object_get(p, "next");
		size_t j;
		strata_buf_printf(b, "<h2>");
		strata_buf_printf(b, _("Part %zu: node %s (%s)"), i + 1, json_string_value(json_object_get(p, "node")),
				  _(json_string_value(json_object_get(p, "tier"))));
		strata_buf_puts(b, "</h2>\n<table>\n");
		row(b, _("Node key"), fingerprint(&fpr, json_string_value(json_object_get(p, "node_key"))), MONO);
		row(b, _("Exported"), json_string_value(json_object_get(p, "exported")), DATA);
		if (json_object_get(p, "officer"))
			row(b, _("Officer"), json_string_value(json_object_get(p, "officer")), DATA);
		if (json_object_get(p, "tsa")) {
			char cmd[400];
			const char *nd = json_string_value(json_object_get(p, "node"));
			row(b, _("Timestamp authority"), json_string_value(json_object_get(json_object_get(p, "tsa"), "certificate")), MONO);
			snprintf(cmd, sizeof(cmd), "openssl ts -verify -in parts/%zu-%s.json.tsr -data parts/%zu-%s.json "
				 "-CAfile parts/%zu-%s.tsa.pem", i + 1, nd, i + 1, nd, i + 1, nd);
			row(b, _("Its timestamp, checked with OpenSSL"), cmd, MONO);
		}
		strata_buf_puts(b, "</table>\n");
		json_array_foreach(json_object_get(p, "hops"), j, hop) {
			char title[200];
			snprintf(title, sizeof(title), _("Hop %zu: %s"), j + 1, role_words(json_string_value(json_object_get(hop, "role"))));
			strata_buf_puts(b, "<h3>");
			html_text(b, title);
			strata_buf_puts(b, "</h3>\n<table>\n");
			row(b, _("Made by"), json_string_value(json_object_get(hop, "node")), DATA);
			row(b, _("Commit"), json_string_value(json_object_get(hop, "commit")), MONO);
			row(b, _("Committed"), json_string_value(json_object_get(hop, "committed")), DATA);
			row(b, _("Signed with"), fingerprint(&fpr, json_string_value(json_object_get(hop, "signer_key"))), MONO);
			if (json_object_get(hop, "policy")) {
				char pol[200];
				snprintf(pol, sizeof(pol), _("%s version %s"),
					 json_string_value(json_object_get(json_object_get(hop, "policy"), "name")),
					 json_string_value(json_object_get(json_object_get(hop, "policy"), "version")));
				row(b, _("For"), json_string_value(json_object_get(hop, "recipient")), DATA);
				row(b, _("Under policy"), pol, WORDS);
				row(b, _("Purpose"), json_string_value(json_object_get(hop, "purpose")), DATA);
			}
			if (json_object_get(hop, "received"))
				row(b, _("Received here"), json_string_value(json_object_get(hop, "received")), DATA);
			row(b, _("The record, as this commit holds it"), json_string_value(json_object_get(hop, "record")), MONO);
			{
				/* the audit event that records the hop at this node */
				json_t *e;
				size_t k;
				json_array_foreach(json_object_get(json_object_get(p, "events"), "hops"), k, e)
					if (!strcmp(json_string_value(json_object_get(e, "commit")) ? json_string_value(json_object_get(e, "commit")) : "",
						    json_string_value(json_object_get(hop, "commit")) ? json_string_value(json_object_get(hop, "commit")) : "")) {
						char ev[200];
						snprintf(ev, sizeof(ev), _("%s, %s (event %.12s)"), json_string_value(json_object_get(e, "name")),
							 json_string_value(json_object_get(e, "recorded")), json_string_value(json_object_get(e, "event")));
						row(b, _("Recorded in this node's audit log"), ev, DATA);
					}
			}
			strata_buf_puts(b, "</table>\n");
		}
		if (json_object_get(p, "events")) {
			char line[400];
			snprintf(line, sizeof(line), _("The part holds %lld event(s) of this node's audit log, from its head %.12s back "
							"to the oldest that records a hop: one unbroken chain, the head named in the "
							"signed part."),
				 (long long)json_integer_value(json_object_get(json_object_get(p, "events"), "count")),
				 json_string_value(json_object_get(json_object_get(p, "events"), "head")));
			strata_buf_puts(b, "<p>");
			html_text(b, line);
			strata_buf_puts(b, "</p>\n");
		}
		if (next) {
			char *k = json_dumps(json_object_get(next, "key"), JSON_COMPACT), line[400];
			snprintf(line, sizeof(line), _("The trace goes on at node %s, commit %.12s, where the record's key is %s."),
				 json_string_value(json_object_get(next, "node")), json_string_value(json_object_get(next, "commit")),
				 k ? k : "?");
			strata_buf_puts(b, "<p>");
			html_text(b, line);
			strata_buf_puts(b, "</p>\n");
			free(k);
		}
	}
	page_checks(b, _("'strata evidence verify' checks, with no node: each part's signature by its node; every file "
		       "against the SHA-256 its part lists; every object against its id; each commit's signature by the "
		       "key given for its node; each commit's tree down to the leaf that holds the record; the record's "
		       "key in the first hop; that each view names, signed, the commit it was made from; each part's audit "
		       "events, one chain from the head it names, each hop's event naming its commit; and that each "
		       "part continues the one before. With stock tools, after 'tar xf':"));
	strata_buf_puts(b, "<pre>");
	html_text(b, "git init -q --bare check.git\n"
		     "for f in objects/*/*; do git -C check.git hash-object -w --literally -t $(basename $(dirname $f)) \"$PWD/$f\"; done\n");
	strata_buf_puts(b, "# ");
	html_text(b, _("each line it prints is the name of the file it read"));
	html_text(b, "\ngit -C check.git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=\"$PWD/allowed_signers\" verify-commit COMMIT\n"
		     "ssh-keygen -Y verify -f allowed_signers -I NODE -n strata-evidence -s parts/N-NODE.json.sig < parts/N-NODE.json\n");
	strata_buf_puts(b, "</pre>\n</body></html>\n");
	free(key);
	strata_buf_dispose(&fpr);
	return 0;
}

static int stamp(strata_buf *token, const void *data, size_t len, void *payload)
{
	int64_t when;
	return strata_tsa_stamp(payload, token, &when, data, len);
}

static int ev_export(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "continue", required_argument, NULL, 'c' },
		{ "whole-leaf", no_argument, NULL, 'w' },
		{ "no-timestamp", no_argument, NULL, 'n' },
		{ "erasure", required_argument, NULL, 'e' },
		{ "request", required_argument, NULL, 'r' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *out = NULL, *from = NULL, *erasure = NULL, *request = NULL, *policy = NULL;
	char pname[64] = "";
	long pversion = 0;
	strata_evidence ev = { 0 };
	strata_buf text = STRATA_BUF_INIT;
	strata_tsa *tsa = NULL;
	strata_evidence_stamper st;
	int c, rc, whole = 0, no_stamp = 0;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'c': from = optarg; break;
		case 'w': whole = 1; break;
		case 'n': no_stamp = 1; break;
		case 'e': erasure = optarg; break;
		case 'r': request = optarg; break;
		case 'p': policy = optarg; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Writes a record's trace at this node as evidence: the signed commits of every\n"
			       "hop held here, the trees down to the record, the signers' keys, where the trace\n"
			       "goes on, and a report in words (report.html, in your language), all signed by\n"
			       "this node.  Across tiers: take the bundle to the node the trace goes on at and\n"
			       "add its part there with --continue, down to the owner.  Check it anywhere with\n"
			       "'strata evidence verify'.\n\n"
			       "  -o FILE          the bundle to write (atomically; it must not exist)\n"
			       "  --continue FILE  add this node's part to the bundle FILE\n"
			       "  --whole-leaf     put each hop's leaf in whole, with the records beside this one\n"
			       "                   (only for a reader entitled to them), so the record's place is\n"
			       "                   recomputed rather than this node's signed word\n"
			       "  --no-timestamp   where the node names a timestamp authority ('strata tsa'), do not\n"
			       "                   ask it (the part's times are then the node's own)\n"
			       "  --erasure ID     the evidence of one erasure this node made or passed on instead:\n"
			       "                   its certificate ('strata certificate'), signed, timestamped, in words\n"
			       "  --request ID     the evidence of one request for data held here instead: the request\n"
			       "                   and every answer to it, each signed by the node that wrote it\n"
			       "  --policy NAME@VERSION  the evidence of one committed policy version instead: its\n"
			       "                   text, the signed commit that set it, the signed event that committed it\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (!out || (!!erasure + !!request + !!policy) > 1 ||
	    (erasure || request || policy ? optind != argc || from || whole : optind + 2 > argc))
		return cli_usage(USAGE);
	if (policy && (sscanf(policy, "%63[a-z0-9_-]@%ld", pname, &pversion) != 2 || pversion < 1 ||
		       strlen(pname) + 1 + (size_t)snprintf(NULL, 0, "%ld", pversion) != strlen(policy)))
		return strata_error_set("--policy '%s': expected NAME@VERSION (e.g. community-to-street@2)", policy);
	if (access(out, F_OK) == 0)
		return strata_error_set("'%s' exists; refusing to overwrite it", out);
	if (!cli->node && (rc = strata_node_open_checked(&cli->node, cli->node_dir)) < 0)
		return rc;
	if (from) {
		strata_buf in = STRATA_BUF_INIT;
		if ((rc = strata_fs_read(&in, from, STRATA_EVIDENCE_MAX_TOTAL)) < 0 ||
		    (rc = strata_evidence_read(&ev, from, in.ptr, in.len)) < 0 ||
		    (rc = strata_evidence_verify(&ev, NULL, NULL, NULL, NULL)) < 0 ||
		    (rc = strata_evidence_check_claims(&ev, NULL, NULL)) < 0) {
			strata_buf_dispose(&in);
			return strata_error_setc(rc == STRATA_EVERIFY ? rc : STRATA_ERROR, "--continue '%s': %s", from,
						 strata_error_last());
		}
		strata_buf_dispose(&in);
	}
	/* an auditor's act (any officer's), where the node has officers: the part names them */
	if ((rc = cli_act(cli, STRATA_ROLE_OFFICER | STRATA_ROLE_OPERATOR | STRATA_ROLE_AUDITOR, _("export evidence"))) < 0)
		goto done;
	/* the authority's network process first: it never holds the node key */
	if (!no_stamp && (rc = strata_tsa_open(&tsa, cli->node)) < 0)
		goto done;
	if (tsa) {
		st.stamp = stamp;
		st.payload = tsa;
		st.url = strata_tsa_url(tsa);
		st.pem = strata_tsa_pem(tsa, &st.pem_len);
	}
	if ((rc = strata_node_load_key(cli->node)) < 0 ||
	    (rc = erasure   ? strata_evidence_add_erasure(&ev, cli->node, erasure, tsa ? &st : NULL, render, NULL)
		  : request ? strata_evidence_add_request(&ev, cli->node, request, tsa ? &st : NULL, render, NULL)
		  : policy  ? strata_evidence_add_policy(&ev, cli->node, pname, pversion, tsa ? &st : NULL, render, NULL)
			    : strata_evidence_add_part(&ev, cli->node, argv[optind], argv + optind + 1,
						     (size_t)(argc - optind - 1), whole, tsa ? &st : NULL, render, NULL)) < 0 ||
	    (rc = strata_evidence_write(&text, &ev)) < 0 || (rc = strata_fs_write_atomic(out, text.ptr, text.len, 0644)) < 0)
		goto done;
	if (!cli->quiet) {
		char name[160];
		const strata_buf *p = strata_evidence_part(&ev, strata_evidence_parts(&ev), name, sizeof(name));
		json_t *o = json_loadb(p->ptr, p->len, 0, NULL), *next = json_object_get(o, "next");
		printf(_("%s: %zu part(s); check it anywhere with 'strata evidence verify %s'\n"), out,
		       strata_evidence_parts(&ev), out);
		if (erasure || request || policy) {
			/* a bundle of one part: nothing goes on */
		} else if (next) {
			char *k = json_dumps(json_object_get(next, "key"), JSON_COMPACT);
			printf(_("the trace goes on at %s: there, 'strata evidence export %s KEY -o FILE --continue %s' "
				 "with the key %s\n"), json_string_value(json_object_get(next, "node")), argv[optind], out,
			       k ? k : "?");
			free(k);
		} else
			printf(_("the trace reaches the owner's commit\n"));
		json_decref(o);
	}
done:
	strata_tsa_close(tsa);
	strata_evidence_dispose(&ev);
	strata_buf_dispose(&text);
	return rc;
}

static void show(const char *what, void *payload)
{
	(void)payload;
	printf("ok:     %s\n", what);
}

static int ev_verify(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "keys", required_argument, NULL, 'k' },
		{ "tsa-cert", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_buf in = STRATA_BUF_INIT, keys = STRATA_BUF_INIT, tsa = STRATA_BUF_INIT;
	strata_evidence ev = { 0 };
	const char *keyfile = NULL, *tsafile = NULL;
	int c, rc;

	(void)cli;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 't': tsafile = optarg; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Checks an evidence bundle with no node: every part's signature, every file and\n"
			       "object, every commit's signature, the record in each commit's tree, the links\n"
			       "between hops and between parts.  Prints each check; exit 0 if all hold, 3 and\n"
			       "the item that does not.\n\n"
			       "  --keys FILE   the nodes' keys you hold (allowed_signers lines: NODE KEY): every\n"
			       "                key the bundle gives must be one FILE lists for its node.  Without\n"
			       "                it the keys are the bundle's own: compare their fingerprints\n"
			       "                with the keys the nodes publish\n"
			       "  --tsa-cert FILE  the timestamp authority you trust (its certificate, PEM): every\n"
			       "                part's timestamp must be that authority's\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(USAGE);
	if (keyfile && (rc = strata_fs_read(&keys, keyfile, 1 << 20)) < 0)
		return strata_error_set("--keys '%s': %s", keyfile, strata_error_last());
	if (tsafile && (rc = strata_fs_read(&tsa, tsafile, 1 << 20)) < 0) {
		strata_buf_dispose(&keys);
		return strata_error_set("--tsa-cert '%s': %s", tsafile, strata_error_last());
	}
	if ((rc = strata_fs_read(&in, argv[optind], STRATA_EVIDENCE_MAX_TOTAL)) < 0)
		rc = strata_error_set("'%s': %s", argv[optind], strata_error_last());
	else if ((rc = strata_evidence_read(&ev, argv[optind], in.ptr ? in.ptr : "", in.len)) < 0)
		rc = strata_error_setc(STRATA_EVERIFY, "%s", strata_error_last());
	else if ((rc = strata_evidence_verify(&ev, keyfile ? (keys.ptr ? keys.ptr : "") : NULL,
						tsafile ? (tsa.ptr ? tsa.ptr : "") : NULL, show, NULL)) == 0 &&
		 (rc = strata_evidence_check_claims(&ev, show, NULL)) == 0)
		printf(_("the evidence holds: %zu part(s), each signed by the node it names\n"), strata_evidence_parts(&ev));
	else
		rc = strata_error_setc(STRATA_EVERIFY, "'%s': %s", argv[optind], strata_error_last());
	strata_evidence_dispose(&ev);
	strata_buf_dispose(&in);
	strata_buf_dispose(&keys);
	strata_buf_dispose(&tsa);
	return rc;
}

int cmd_evidence(int argc, char **argv, strata_cli *cli)
{
	if (argc < 2)
		return cli_usage(USAGE);
	if (!strcmp(argv[1], "export"))
		return ev_export(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "verify"))
		return ev_verify(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf(_("usage: strata %s\n"), USAGE);
		return 0;
	}
	{
		static const char *const subs[] = { "export", "verify" };
		return cli_unknown_sub("evidence", argv[1], subs, sizeof(subs) / sizeof(*subs), NULL);
	}
}
