/*
 * cmd_peer.c - peers in node.conf.
 *
 *   strata peer add NAME --key PUBKEY|FILE --tier TIER --policy POLICY [--url URL] [--direction push|pull|both]
 *   strata peer list
 *
 * A peer's key is pinned: data and parcels from it are accepted only under
 * that key.  Its policy must be committed and must name the peer (or its
 * tier) as a recipient, so nothing can be shared by a policy that was not
 * written for it.
 */
#include "cli.h"
#include "strata/policy/policy.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "peer add NAME --key PUBKEY|FILE --tier TIER [--policy POLICY] [--url URL] [--direction push|pull|both]\n" \
	      "       strata peer list"

static int read_key(strata_pubkey *pk, strata_buf *line, const char *arg)
{
	if (strncmp(arg, "ssh-ed25519 ", 12) != 0) {
		if (strata_read_file(line, arg, 4096) < 0)
			return strata_error_set("--key: '%s' is neither an ssh-ed25519 key nor a readable key file", arg);
	} else if (strata_buf_puts(line, arg) < 0) {
		return STRATA_ERROR;
	}
	if (strata_pubkey_parse(pk, line->ptr) < 0)
		return strata_error_set("--key: %s", strata_error_last());
	strata_buf_clear(line);
	return strata_pubkey_format(line, pk);
}

static int set(git_config *cfg, const char *peer, const char *var, const char *value)
{
	strata_buf name = STRATA_BUF_INIT;
	int error = strata_buf_printf(&name, "peer.%s.%s", peer, var);
	if (!error && git_config_set_string(cfg, name.ptr, value) < 0)
		error = strata_error_git("cannot write node.conf");
	strata_buf_dispose(&name);
	return error;
}

static int peer_add(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "tier", required_argument, NULL, 't' },
		{ "policy", required_argument, NULL, 'p' },
		{ "url", required_argument, NULL, 'u' },
		{ "direction", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	const char *key = NULL, *tier = NULL, *policy = NULL, *url = NULL, *direction = "both", *name;
	strata_buf line = STRATA_BUF_INIT;
	strata_pubkey pk;
	strata_policy *p = NULL;
	char other[256];
	int c, rc = EXIT_ERROR;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 't': tier = optarg; break;
		case 'p': policy = optarg; break;
		case 'u': url = optarg; break;
		case 'd': direction = optarg; break;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || !key || !tier)
		return cli_usage(USAGE);
	if (!policy && strcmp(direction, "pull")) {
		strata_error_set("--policy is required unless --direction pull: nothing is sent without one");
		goto done;
	}
	name = argv[optind];
	if (!strata_node_name_valid(name)) {
		strata_error_set("invalid peer name '%s' (use a-z, 0-9 and '-')", name);
		goto done;
	}
	if (!strcmp(name, cli->node->name)) {
		strata_error_set("'%s' is this node's own name", name);
		goto done;
	}
	if (!strata_node_tier_valid(tier)) {
		strata_error_set("unknown tier '%s'", tier);
		goto done;
	}
	if (strcmp(direction, "push") && strcmp(direction, "pull") && strcmp(direction, "both")) {
		strata_error_set("--direction must be push, pull or both");
		goto done;
	}
	if (url && strncmp(url, "https://", 8)) {
		strata_error_set("--url must be an https:// address");
		goto done;
	}
	if (read_key(&pk, &line, key) < 0)
		goto done;
	if (strata_pubkey_equal(&pk, &cli->node->pub)) {
		strata_error_set("--key is this node's own key");
		goto done;
	}
	if (strata_node_trusted(cli->node, &pk, other, sizeof(other)) && strcmp(other, name)) {
		strata_error_set("that key already belongs to '%s'", other);
		goto done;
	}
	if (policy && strata_policy_load_committed(&p, NULL, cli->node, policy) < 0) {
		strata_error_set("%s; commit it first with 'strata policy commit'", strata_error_last());
		goto done;
	}
	if (policy && !strata_policy_applies(p, name, tier)) {
		strata_error_set("policy '%s' does not name peer '%s' or tier '%s' as a recipient", policy, name, tier);
		goto done;
	}
	if (strata_node_lock(cli->node) < 0)
		goto done;
	if (set(cli->node->cfg, name, "key", line.ptr) < 0 || set(cli->node->cfg, name, "tier", tier) < 0 ||
	    (policy && set(cli->node->cfg, name, "policy", policy) < 0) ||
	    set(cli->node->cfg, name, "direction", direction) < 0 ||
	    (url && set(cli->node->cfg, name, "url", url) < 0))
		goto done;
	if (!cli->quiet)
		printf("peer '%s' (%s): key pinned, policy '%s', direction %s%s%s\n", name, tier,
		       policy ? policy : "(none: receive only)", direction,
		       url ? ", " : "", url ? url : "");
	rc = EXIT_OK;
done:
	strata_policy_free(p);
	strata_buf_dispose(&line);
	return rc;
}

static int peer_list(strata_cli *cli)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;

	if (git_config_iterator_new(&it, cli->node->cfg) < 0) {
		strata_error_git("cannot read node.conf");
		return EXIT_ERROR;
	}
	while (git_config_next(&e, it) == 0) {
		size_t len = strlen(e->name);
		strata_buf name = STRATA_BUF_INIT, var = STRATA_BUF_INIT;
		git_config_entry *pol = NULL, *tier = NULL;
		if (strncmp(e->name, "peer.", 5) || len < 10 || strcmp(e->name + len - 4, ".key"))
			continue;
		strata_buf_put(&name, e->name + 5, len - 9);
		strata_buf_printf(&var, "peer.%s.policy", name.ptr);
		git_config_get_entry(&pol, cli->node->cfg, var.ptr);
		strata_buf_clear(&var);
		strata_buf_printf(&var, "peer.%s.tier", name.ptr);
		git_config_get_entry(&tier, cli->node->cfg, var.ptr);
		printf("%-24s %-10s policy=%s\n", name.ptr, tier ? tier->value : "?", pol ? pol->value : "(none)");
		git_config_entry_free(pol);
		git_config_entry_free(tier);
		strata_buf_dispose(&name);
		strata_buf_dispose(&var);
	}
	git_error_clear();
	git_config_iterator_free(it);
	return EXIT_OK;
}

int cmd_peer(int argc, char **argv, strata_cli *cli)
{
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return peer_add(argc - 1, argv + 1, cli);
	if (argc == 2 && !strcmp(argv[1], "list"))
		return peer_list(cli);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: strata %s\n", USAGE);
		return EXIT_OK;
	}
	return cli_usage(USAGE);
}
