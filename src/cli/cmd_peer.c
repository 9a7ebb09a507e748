/*
 * cmd_peer.c - peers in node.conf.
 *
 *   strata peer add NAME --key PUBKEY|FILE --tier TIER [--policy POLICY] [--url URL] [--direction D]
 *   strata peer set NAME [--tier T] [--policy P|--no-policy] [--url U|--no-url] [--direction D] [--attr N=V...|--no-attrs]
 *   strata peer remove NAME [--keep-data]
 *   strata peer show NAME [--json]
 *   strata peer list [--format table|csv|json]
 *
 * A peer's key is pinned: data and parcels from it are accepted only under
 * that key.  Its policy must be committed and must name the peer (or its
 * tier) as a recipient, so nothing can be shared by a policy that was not
 * written for it.  The direction follows the tiers unless said: a node
 * sends to the tier above and receives from the one below.  Every change
 * is an audit event; `peer` opens a node whatever its node.conf says, so
 * that a broken one can be mended.
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/policy/policy.h"
#include "strata/base/fs.h"
#include "strata/base/time.h"
#include "strata/format/name.h"
#include "strata/node/audit.h"
#include "strata/node/peers.h"
#include "strata/node/journal.h"
#include "strata/policy/policy_store.h"
#include "strata/replica/link.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "peer add NAME --key PUBKEY|FILE --tier TIER [--policy POLICY] [--url URL] [--direction D]\n" \
	      "       strata peer set NAME [--tier T] [--policy P|--no-policy] [--url U|--no-url] [--direction D] [--attr N=V...|--no-attrs]\n" \
	      "       strata peer remove NAME [--keep-data]\n" \
	      "       strata peer show NAME [--json]\n" \
	      "       strata peer list [--format table|csv|json]"

static int read_key(strata_pubkey *pk, strata_buf *line, const char *arg)
{
	if (strncmp(arg, "ssh-ed25519 ", 12) != 0) {
		if (strata_fs_read(line, arg, 4096) < 0)
			return strata_error_set("--key: '%s' is neither an ssh-ed25519 key nor a readable key file", arg);
	} else if (strata_buf_puts(line, arg) < 0) {
		return STRATA_ERROR;
	}
	if (strata_sign_pubkey_parse(pk, line->ptr) < 0)
		return strata_error_set("--key: %s", strata_error_last());
	strata_buf_clear(line);
	return strata_sign_pubkey_format(line, pk);
}

/* The policy must be committed and name the peer or its tier. */
static int check_policy(strata_node *n, const char *policy, const char *peer, const char *tier)
{
	strata_policy *p = NULL;
	int rc;

	if ((rc = strata_policy_store_load(&p, NULL, n, policy)) < 0)
		return strata_error_set("%s; commit it first with 'strata policy commit'", strata_error_last());
	if (!strata_policy_applies(p, peer, tier))
		rc = strata_error_set("policy '%s' does not name peer '%s' or tier '%s' as a recipient", policy, peer, tier);
	strata_policy_free(p);
	return rc;
}

static int peer_fingerprint(strata_buf *out, strata_node *n, const char *peer)
{
	strata_buf key = STRATA_BUF_INIT;
	strata_pubkey pk;
	int rc;

	if ((rc = strata_peers_get(&key, n, peer, "key")) == 0 && (rc = strata_sign_pubkey_parse(&pk, key.ptr)) == 0)
		rc = strata_sign_pubkey_fingerprint(out, &pk);
	else
		rc = strata_buf_puts(out, _("(no valid key)"));
	strata_error_clear();
	strata_buf_dispose(&key);
	return rc;
}

static int peer_add(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "tier", required_argument, NULL, 't' },
		{ "policy", required_argument, NULL, 'p' },
		{ "url", required_argument, NULL, 'u' },
		{ "direction", required_argument, NULL, 'd' },
		{ "attr", required_argument, NULL, 'a' },
		{ "display-name", required_argument, NULL, 'D' },
		{ "max-age", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *key = NULL, *tier = NULL, *policy = NULL, *url = NULL, *direction = NULL;
	strata_peer_spec spec = { 0 };
	strata_buf line = STRATA_BUF_INIT, fpr = STRATA_BUF_INIT, dir = STRATA_BUF_INIT, tr = STRATA_BUF_INIT,
		   attrs = STRATA_BUF_INIT;
	int c, rc = STRATA_ERROR, journalled = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 't': tier = optarg; break;
		case 'p': policy = optarg; break;
		case 'u': url = optarg; break;
		case 'd': direction = optarg; break;
		case 'a':
			if (strata_buf_printf(&attrs, "%s%s", attrs.len ? "; " : "", optarg) < 0)
				return STRATA_ERROR;
			break;
		case 'D': spec.display = optarg; break;
		case 'M': spec.max_age = optarg; break;
		case 'h':
			printf(_("usage: strata peer add NAME --key PUBKEY|FILE --tier TIER [--policy POLICY] [--url URL]\n"
			       "                       [--direction push|pull|both] [--attr NAME=VALUE]...\n\n"
			       "Pins a new peer: its node key (the line of its keys/node.pub, or that file), its\n"
			       "tier, and for a peer that receives from this node the committed policy its\n"
			       "views are built under.  A peer pinned already is changed with 'peer set'.\n\n"
			       "  --key KEY        the peer's public key, or a file holding it\n"
			       "  --tier TIER      community, street, district, province or department\n"
			       "  --policy POLICY  the committed policy of what this node sends it\n"
			       "  --url URL        its HTTPS address, for pull, push and sync\n"
			       "  --direction D    push (this node sends), pull (it receives) or both; by default\n"
			       "                   push to a tier above this node's, pull from one below, and\n"
			       "                   required for the same tier or a department\n"
			       "  --attr N=V       what this node states of the peer, for a policy's filter\n"
			       "                   on \"$recipient.N\" (--attr community=望江社区): a return\n"
			       "                   down the tiers shares each recipient only its own rows\n"));
			fputs(_("  --display-name T the name people read (望江社区), shown beside NAME\n"), stdout);
			fputs(_("  --max-age D      what it sends is stale once its newest signed word (its last\n"
				"                   parcel's time, or the last pull from it) is older than D\n"
				"                   (7d, 48h, 90m): 'status' and 'verify' say so\n"), stdout);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || !key || !tier)
		return cli_usage(USAGE);
	spec.attributes = attrs.ptr;
	spec.name = argv[optind];
	spec.tier = tier;
	spec.policy = policy;
	spec.direction = direction;
	spec.url = url;
	if ((rc = read_key(&spec.key, &line, key)) < 0)
		goto done;
	if (!direction && policy && strata_name_tier_valid(tier) &&
	    (direction = strata_peers_default_direction(strata_node_tier(cli->node), tier)) && !strcmp(direction, "pull")) {
		rc = strata_error_set("--policy given for a peer below this node, which by default only sends here: "
				      "say --direction both (or push) to send it data too");
		goto done;
	}
	if (policy && (rc = check_policy(cli->node, policy, spec.name, tier)) < 0)
		goto done;
	/* node.conf and the audit event, one journalled change: a full disk leaves neither */
	if ((rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("add a peer"))) < 0 || (rc = strata_journal_lock(cli->node)) < 0 ||
	    (rc = strata_journal_conf_begin(cli->node, "peer-add", spec.name, &journalled)) < 0 ||
	    (rc = strata_peers_add(cli->node, &spec)) < 0 || (rc = strata_peers_direction(&dir, cli->node, spec.name)) < 0 ||
	    (rc = strata_sign_pubkey_fingerprint(&fpr, &spec.key)) < 0)
		goto done;
	if ((rc = strata_buf_printf(&tr, "Strata-Peer: %s\nStrata-Key: %s\nStrata-Tier: %s\nStrata-Direction: %s\n"
				    "Strata-Policy: %s\n", spec.name, fpr.ptr, tier, dir.ptr,
				    policy ? policy : "none")) < 0 ||
	    (rc = strata_audit_append(cli->node, "peer-add", "peer added", tr.ptr)) < 0)
		goto done;
	if (journalled)
		strata_journal_end(cli->node);
	journalled = 0;
	if (!cli->quiet)
		printf(_("peer '%s' (%s): key %s pinned, direction %s%s, policy '%s'%s%s\n"), spec.name, tier, fpr.ptr,
		       dir.ptr, spec.direction ? "" : _(" (the tiers' default)"), policy ? policy : _("(none: receive only)"),
		       url ? ", " : "", url ? url : "");
	rc = 0;
done:
	if (journalled)
		strata_journal_undo(cli->node);
	strata_buf_dispose(&line);
	strata_buf_dispose(&fpr);
	strata_buf_dispose(&dir);
	strata_buf_dispose(&tr);
	strata_buf_dispose(&attrs);
	return rc;
}

static int peer_set(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "tier", required_argument, NULL, 't' },
		{ "policy", required_argument, NULL, 'p' },
		{ "no-policy", no_argument, NULL, 'P' },
		{ "url", required_argument, NULL, 'u' },
		{ "no-url", no_argument, NULL, 'U' },
		{ "direction", required_argument, NULL, 'd' },
		{ "attr", required_argument, NULL, 'a' },
		{ "no-attrs", no_argument, NULL, 'A' },
		{ "display-name", required_argument, NULL, 'D' },
		{ "max-age", required_argument, NULL, 'M' },
		{ "no-max-age", no_argument, NULL, 'N' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_peer_spec ch = { 0 };
	strata_buf changed = STRATA_BUF_INIT, tier = STRATA_BUF_INIT, tr = STRATA_BUF_INIT,
		   fpr = STRATA_BUF_INIT, attrs = STRATA_BUF_INIT;
	int c, no_url = 0, no_policy = 0, rc, journalled = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': ch.tier = optarg; break;
		case 'p': ch.policy = optarg; break;
		case 'P': no_policy = 1; break;
		case 'u': ch.url = optarg; break;
		case 'U': no_url = 1; break;
		case 'd': ch.direction = optarg; break;
		case 'a':
			if (strata_buf_printf(&attrs, "%s%s", attrs.len ? "; " : "", optarg) < 0)
				return STRATA_ERROR;
			ch.attributes = attrs.ptr;
			break;
		case 'A': ch.attributes = ""; break;
		case 'D': ch.display = optarg; break;
		case 'M': ch.max_age = optarg; break;
		case 'N': ch.max_age = ""; break;
		case 'k':
			fprintf(stderr, _("strata: peer set does not change a pinned key: a peer rotates its own key "
					"('strata key rotate' there), or remove the peer and add it again\n"));
			return CLI_EUSAGE;
		case 'h':
			printf(_("usage: strata peer set NAME [--tier T] [--policy P|--no-policy] [--url U|--no-url]\n"
			       "                       [--direction push|pull|both] [--attr N=V]... [--no-attrs]\n\n"
			       "Changes what node.conf says of a pinned peer, and says what changed (an audit\n"
			       "event).  The result is checked as 'peer add' checks a new peer.  The key is\n"
			       "not changed here: a peer rotates its own key, or is removed and added again.\n\n"
			       "  --tier T         its tier\n"
			       "  --policy P       the committed policy of what this node sends it\n"
			       "  --no-policy      send it nothing (its direction must then be pull)\n"
			       "  --url U          its HTTPS address; --no-url: parcels on files only\n"
			       "  --direction D    push, pull or both\n"
			       "  --attr N=V       what this node states of it for \"$recipient.N\" filters\n"
			       "                   (all of them: the ones given replace those before);\n"
			       "                   --no-attrs: none\n"));
			fputs(_("  --display-name T the name people read (望江社区), shown beside NAME\n"), stdout);
			fputs(_("  --max-age D      stale past D without a newer signed word from it (7d, 48h,\n"
				"                   90m); --no-max-age: never\n"), stdout);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || (ch.policy && no_policy) || (ch.url && no_url))
		return cli_usage(USAGE);
	if (!ch.tier && !ch.policy && !no_policy && !ch.url && !no_url && !ch.direction && !ch.attributes && !ch.display &&
	    !ch.max_age) {
		fprintf(stderr, _("strata: peer set %s: nothing to change (say --tier, --policy, --url, --direction, --attr, "
				  "--display-name or --max-age)\n"),
			argv[optind]);
		return CLI_EUSAGE;
	}
	ch.name = argv[optind];
	if ((rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("change a peer"))) < 0 || (rc = strata_journal_lock(cli->node)) < 0 ||
	    (rc = strata_journal_conf_begin(cli->node, "peer-set", ch.name, &journalled)) < 0)
		goto done;
	if (ch.policy) {
		if (!ch.tier && strata_peers_get(&tier, cli->node, ch.name, "tier") < 0)
			strata_error_clear();
		if ((rc = check_policy(cli->node, ch.policy, ch.name, ch.tier ? ch.tier : tier.len ? tier.ptr : "")) < 0)
			goto done;
	}
	rc = strata_peers_set(&changed, cli->node, ch.name, &ch, no_url, no_policy);
	if (rc < 0)
		goto done;
	if (!changed.len) {
		if (!cli->quiet)
			printf(_("peer '%s': nothing changed\n"), ch.name);
		goto done;
	}
	if ((rc = peer_fingerprint(&fpr, cli->node, ch.name)) < 0 ||
	    (rc = strata_buf_printf(&tr, "Strata-Peer: %s\nStrata-Key: %s\n", ch.name, fpr.ptr)) < 0)
		goto done;
	for (char *line = changed.ptr, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if ((rc = strata_buf_printf(&tr, "Strata-Changed: %.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line)) < 0)
			goto done;
	}
	if ((rc = strata_audit_append(cli->node, "peer-set", "peer changed", tr.ptr)) < 0)
		goto done;
	strata_journal_end(cli->node);
	journalled = 0;
	if (!cli->quiet)
		printf(_("peer '%s' changed:\n%s"), ch.name, changed.ptr);
done:
	if (journalled && rc < 0)
		strata_journal_undo(cli->node);
	else if (journalled)
		strata_journal_end(cli->node);	/* nothing changed */
	strata_buf_dispose(&changed);
	strata_buf_dispose(&tier);
	strata_buf_dispose(&tr);
	strata_buf_dispose(&fpr);
	strata_buf_dispose(&attrs);
	return rc;
}

static int peer_remove(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "keep-data", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_buf fpr = STRATA_BUF_INIT;
	size_t views = 0, received = 0;
	int c, keep = 0, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keep = 1; break;
		case 'h':
			printf(_("usage: strata peer remove NAME [--keep-data]\n\n"
			       "Unpins a peer: nothing it signs is accepted any more, and nothing is sent to it.\n"
			       "The views built for it, what it sent and its link file go too (one journalled\n"
			       "change and an audit event), unless --keep-data: then what it sent stays, under\n"
			       "its name, readable and verifiable as before.  Views built for other peers from\n"
			       "what it sent lose that data at their next build.\n\n"
			       "  --keep-data   remove only its node.conf settings\n"));
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(USAGE);
	if ((rc = peer_fingerprint(&fpr, cli->node, argv[optind])) < 0 ||
	    (rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("remove a peer"))) < 0 ||
	    (rc = strata_link_remove(cli->node, argv[optind], keep, fpr.ptr, &views, &received)) < 0)
		goto done;
	if (!cli->quiet) {
		if (keep)
			printf(_("peer '%s' removed (key %s unpinned); what it sent is kept\n"), argv[optind], fpr.ptr);
		else
			printf(_("peer '%s' removed (key %s unpinned): %zu view%s built for it and %zu received from it "
			       "deleted\n"), argv[optind], fpr.ptr, views, views == 1 ? "" : "s", received);
	}
done:
	strata_buf_dispose(&fpr);
	return rc;
}

/* One peer as JSON: what node.conf says, and the link's last exchanges. */
static json_t *peer_json(strata_node *n, const char *peer)
{
	static const char *const vars[] = { "tier", "policy", "url", "attributes" };
	strata_buf v = STRATA_BUF_INIT, fpr = STRATA_BUF_INIT, disp = STRATA_BUF_INIT;
	strata_link l;
	char t[40];
	json_t *o = json_object(), *net;

	json_object_set_new(o, "peer", json_string(peer));
	json_object_set_new(o, "display_name", cli_display_name(n, peer, &disp) ? json_string(disp.ptr) : json_null());
	strata_buf_dispose(&disp);
	if (strata_peers_get(&v, n, peer, "key") == 0)
		json_object_set_new(o, "key", json_string(v.ptr));
	else
		json_object_set_new(o, "key", json_null());
	peer_fingerprint(&fpr, n, peer);
	json_object_set_new(o, "fingerprint", json_string(fpr.ptr));
	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++) {
		strata_buf_clear(&v);
		json_object_set_new(o, vars[i], strata_peers_get(&v, n, peer, vars[i]) == 0 ? json_string(v.ptr) : json_null());
	}
	strata_buf_clear(&v);
	json_object_set_new(o, "max_age", strata_peers_get(&v, n, peer, "maxage") == 0 ? json_string(v.ptr) : json_null());
	strata_buf_clear(&v);
	{
		strata_buf set = STRATA_BUF_INIT;
		int explicit = strata_peers_get(&set, n, peer, "direction") == 0;
		json_object_set_new(o, "direction", strata_peers_direction(&v, n, peer) == 0 ? json_string(v.ptr) : json_null());
		json_object_set_new(o, "direction_from", json_string(explicit ? "node.conf" : "tiers"));
		strata_buf_dispose(&set);
	}
	strata_error_clear();
	if (strata_link_load(&l, n, peer) == 0) {
		if (l.out.time)
			strata_time_format(t, sizeof(t), l.out.time);
		json_object_set_new(o, "sent", json_pack("{s:I, s:s?}", "sequence", (json_int_t)l.out.sequence, "time",
							 l.out.time ? t : NULL));
		if (l.in.time)
			strata_time_format(t, sizeof(t), l.in.time);
		json_object_set_new(o, "received", json_pack("{s:I, s:s?}", "sequence", (json_int_t)l.in.sequence, "time",
							     l.in.time ? t : NULL));
		net = json_object();
		if (l.net_ok)
			strata_time_format(t, sizeof(t), l.net_ok);
		json_object_set_new(net, "last_success", l.net_ok ? json_string(t) : json_null());
		if (l.net_failed)
			strata_time_format(t, sizeof(t), l.net_failed);
		json_object_set_new(net, "last_error_time", l.net_failed ? json_string(t) : json_null());
		json_object_set_new(net, "last_error", l.net_failed ? json_string(l.net_error) : json_null());
		json_object_set_new(o, "network", net);
		strata_link_dispose(&l);
	}
	strata_error_clear();
	strata_buf_dispose(&v);
	strata_buf_dispose(&fpr);
	return o;
}

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

static int peer_show(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_buf key = STRATA_BUF_INIT, tier = STRATA_BUF_INIT;
	int c, as_json = 0;
	json_t *o, *s, *r, *net;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = 1; break;
		case 'h':
			printf(_("usage: strata peer show NAME [--json]\n\n"
			       "One peer: its pinned key and fingerprint (compare it with 'ssh-keygen -lf\n"
			       "keys/node.pub' on the peer), tier, direction (and whether node.conf or the\n"
			       "tiers set it), url, policy, and the last exchange each way.\n\n"
			       "  --json   one JSON object; a time never set is null\n"));
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(USAGE);
	if (strata_peers_get(&key, cli->node, argv[optind], "key") < 0 &&
	    strata_peers_get(&tier, cli->node, argv[optind], "tier") < 0) {
		strata_buf_dispose(&key);
		strata_buf_dispose(&tier);
		return strata_peers_unknown(cli->node, argv[optind]);
	}
	strata_error_clear();
	strata_buf_dispose(&key);
	strata_buf_dispose(&tier);
	o = peer_json(cli->node, argv[optind]);
	if (as_json) {
		char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(o);
		return 0;
	}
	s = json_object_get(o, "sent");
	r = json_object_get(o, "received");
	net = json_object_get(o, "network");
	printf(_("peer %s\n"), argv[optind]);
	printf(_("  key:          %s\n"), str_or(o, "key", "(none)"));
	printf(_("  fingerprint:  %s\n"), str_or(o, "fingerprint", "-"));
	if (json_is_string(json_object_get(o, "display_name")))
		printf(_("  display name: %s\n"), str_or(o, "display_name", ""));
	printf(_("  tier:         %s\n"), str_or(o, "tier", "(none)"));
	printf(_("  direction:    %s%s\n"), str_or(o, "direction", "(none)"),
	       !strcmp(str_or(o, "direction_from", ""), "tiers") ? _(" (the tiers' default)") : "");
	printf(_("  policy:       %s\n"), str_or(o, "policy", _("(none: receives nothing)")));
	printf(_("  url:          %s\n"), str_or(o, "url", _("(none: parcels on files only)")));
	if (json_is_string(json_object_get(o, "attributes")))
		printf(_("  attributes:   %s\n"), str_or(o, "attributes", ""));
	printf(_("  last sent:    parcel %lld at %s\n"), (long long)json_integer_value(json_object_get(s, "sequence")),
	       str_or(s, "time", "-"));
	printf(_("  last received: parcel %lld at %s\n"), (long long)json_integer_value(json_object_get(r, "sequence")),
	       str_or(r, "time", "-"));
	if (json_is_string(json_object_get(net, "last_success")))
		printf(_("  network ok:   %s\n"), str_or(net, "last_success", "-"));
	if (json_is_string(json_object_get(net, "last_error")))
		printf(_("  network error: %s: %s\n"), str_or(net, "last_error_time", "-"), str_or(net, "last_error", ""));
	json_decref(o);
	return 0;
}

static int peer_list(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const cols[] = { "peer", "tier", "direction", "policy", "url", "fingerprint", "display_name" };
	char **peers = NULL;
	size_t npeers = 0;
	int c, format = CLI_TABLE, rc;
	json_t *rows;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cli_report_format(&format, optarg) < 0)
				return CLI_EUSAGE;
			break;
		case 'h':
			printf(_("usage: strata peer list [--format table|csv|json]\n\n"
			       "The pinned peers, one a line: name, tier, direction, the policy of what this\n"
			       "node sends it, its url and its key's fingerprint.\n\n"
			       "  --format F   table (the default), csv or json\n"));
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(USAGE);
	if ((rc = strata_peers_list(&peers, &npeers, cli->node)) < 0)
		return rc;
	rows = json_array();
	for (size_t i = 0; i < npeers; i++) {
		json_t *o = peer_json(cli->node, peers[i]);
		json_object_del(o, "sent");
		json_object_del(o, "received");
		json_object_del(o, "network");
		json_object_del(o, "key");
		json_array_append_new(rows, o);
	}
	strata_peers_list_free(peers);
	if (npeers == 0 && format == CLI_TABLE) {
		printf(_("no peers yet: pin one with 'strata peer add'\n"));
		rc = 0;
	} else {
		rc = cli_report_print(stdout, rows, cols, sizeof(cols) / sizeof(*cols), format);
	}
	json_decref(rows);
	return rc;
}

int cmd_peer(int argc, char **argv, strata_cli *cli)
{
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return peer_add(argc - 1, argv + 1, cli);
	if (argc >= 2 && !strcmp(argv[1], "set"))
		return peer_set(argc - 1, argv + 1, cli);
	if (argc >= 2 && !strcmp(argv[1], "remove"))
		return peer_remove(argc - 1, argv + 1, cli);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return peer_show(argc - 1, argv + 1, cli);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return peer_list(argc - 1, argv + 1, cli);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf(_("usage: strata %s\n"), USAGE);
		return 0;
	}
	if (argc >= 2) {
		static const char *const subs[] = { "add", "set", "remove", "show", "list" };
		return cli_unknown_sub("peer", argv[1], subs, sizeof(subs) / sizeof(*subs), USAGE);
	}
	return cli_usage(USAGE);
}
