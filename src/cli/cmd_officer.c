/*
 * cmd_officer.c - strata officer add|list|remove: the people who act on
 * this node, their roles and their own keys (officers.h).
 */
#include "cli.h"
#include "officer_sign.h"
#include "strata/base/fs.h"
#include "strata/base/time.h"
#include "strata/node/audit.h"
#include "strata/node/journal.h"
#include "strata/node/officers.h"

#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define USAGE "officer add NAME --role officer|operator|auditor (--key FILE.pub | --new-key FILE) [--display-name TEXT]\n" \
	      "       strata officer list [--format table|csv|json]\n" \
	      "       strata officer set NAME [--role officer|operator|auditor] [--display-name TEXT]\n" \
	      "       strata officer remove NAME"

static const char *const cols[] = { "name", "role", "display_name", "fingerprint", "added", "removed" };

/* the new key's passphrase: $STRATA_NEW_PASSPHRASE, --new-passphrase-file, or asked twice */
static int new_passphrase(char *out, size_t outsz, const char *file)
{
	strata_buf text = STRATA_BUF_INIT;
	const char *env = getenv("STRATA_NEW_PASSPHRASE");

	if (file) {
		if (strata_fs_read(&text, file, 4096) < 0)
			return strata_error_set("--new-passphrase-file '%s': %s", file, strata_error_last());
		snprintf(out, outsz, "%.*s", (int)strcspn(text.ptr ? text.ptr : "", "\r\n"), text.ptr ? text.ptr : "");
		OPENSSL_cleanse(text.ptr, text.len);
		strata_buf_dispose(&text);
	} else if (env) {
		snprintf(out, outsz, "%s", env);
	} else {
		char again[1024];
		int rc = cli_tty_secret(out, outsz, _("New key's passphrase: "));
		if (rc == 0)
			return strata_error_set("the new key needs a passphrase: set $STRATA_NEW_PASSPHRASE or give "
						"--new-passphrase-file FILE");
		if (rc < 0 || (rc = cli_tty_secret(again, sizeof(again), _("Again: "))) <= 0)
			return rc < 0 ? rc : strata_error_set("cannot read the passphrase");
		rc = strcmp(out, again);
		OPENSSL_cleanse(again, sizeof(again));
		if (rc)
			return strata_error_set("the two passphrases differ");
	}
	if (strlen(out) < 8)
		return strata_error_set("the new key's passphrase is too short: at least 8 characters");
	return 0;
}

/* ssh-keygen makes the officer's key, the passphrase on its stdin (never on its command line) */
static int make_key(const char *path, const char *comment, const char *pass)
{
	char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-f", (char *)path, "-C", (char *)comment, NULL };
	strata_buf input = STRATA_BUF_INIT;
	int rc;

	if (access(path, F_OK) == 0)
		return strata_error_setc(STRATA_EEXISTS, "--new-key '%s': the file is there already", path);
	strata_buf_printf(&input, "%s\n%s\n", pass, pass);
	rc = cli_ssh_keygen(argv, input.ptr, NULL);
	OPENSSL_cleanse(input.ptr, input.len);
	strata_buf_dispose(&input);
	if (rc > 0)
		return strata_error_set("ssh-keygen could not make the key '%s'", path);
	return rc;
}

static int officer_add(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "new-key", required_argument, NULL, 'n' },
		{ "new-passphrase-file", required_argument, NULL, 'p' },
		{ "display-name", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *role = NULL, *key = NULL, *new_key = NULL, *pass_file = NULL, *display = "";
	strata_officer o = { 0 };
	strata_buf text = STRATA_BUF_INIT, pubpath = STRATA_BUF_INIT, comment = STRATA_BUF_INIT, tr = STRATA_BUF_INIT;
	char pass[1024] = "";
	int c, rc, journalled = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': role = optarg; break;
		case 'k': key = optarg; break;
		case 'n': new_key = optarg; break;
		case 'p': pass_file = optarg; break;
		case 'd': display = optarg; break;
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "Names a person who acts on this node, with a role and their own Ed25519 key:\n"
			       "  officer   commits policies, imports and describes data, files and answers\n"
			       "            requests and corrections, orders erasures\n"
			       "  operator  runs peers, keys, views, exchanges and services; names officers\n"
			       "  auditor   reads everything, changes nothing\n"
			       "Once a node has officers, every change names who makes it (--as NAME) and\n"
			       "is signed with their key besides the node's; the first must be an operator.\n\n"
			       "  --key FILE.pub        their public key (made by them: 'ssh-keygen -t ed25519')\n"
			       "  --new-key FILE        make the key here, passphrase-protected, into FILE and\n"
			       "                        FILE.pub (the passphrase from $STRATA_NEW_PASSPHRASE,\n"
			       "                        --new-passphrase-file F, or asked); hand FILE to them\n"
			       "  --display-name TEXT   their name as people write it (张三)\n"),
			       USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || !role || !key == !new_key)
		return cli_usage(USAGE);
	snprintf(o.name, sizeof(o.name), "%s", argv[optind]);
	snprintf(o.display, sizeof(o.display), "%s", display);
	if ((rc = strata_officer_name_check(argv[optind])) < 0 || (rc = strata_role_parse(&o.role, role)) < 0 ||
	    (*display && (rc = strata_node_display_check(display)) < 0) ||
	    (rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("name an officer"))) < 0)
		goto done;
	if (new_key) {
		if ((rc = new_passphrase(pass, sizeof(pass), pass_file)) < 0 ||
		    (rc = strata_buf_printf(&comment, "%s@%s", o.name, strata_node_name(cli->node))) < 0 ||
		    (rc = make_key(new_key, comment.ptr, pass)) < 0 ||
		    (rc = strata_buf_printf(&pubpath, "%s.pub", new_key)) < 0)
			goto done;
		key = pubpath.ptr;
	}
	if ((rc = strata_fs_read(&text, key, 16384)) < 0 || (rc = strata_sign_pubkey_parse(&o.key, text.ptr)) < 0) {
		rc = strata_error_set("--key '%s': not an ssh-ed25519 public key (one line, as ssh-keygen writes FILE.pub)",
				      key);
		goto undo_key;
	}
	if ((rc = strata_journal_lock(cli->node)) < 0 ||
	    (rc = strata_journal_conf_begin(cli->node, "officer-add", o.name, &journalled)) < 0 ||
	    (rc = strata_officer_add(cli->node, &o)) < 0 || (rc = strata_officer_get(&o, cli->node, argv[optind])) < 0 ||
	    (rc = strata_buf_printf(&tr, "Strata-Officer-Added: %s <%s>\nStrata-Role: %s\n", o.name, o.fpr,
				    strata_role_name(o.role))) < 0 ||
	    (rc = strata_audit_append(cli->node, "officer-add", "officer added", tr.ptr)) < 0)
		goto undo_key;
	strata_journal_end(cli->node);
	journalled = 0;
	if (!cli->quiet)
		printf(_("officer '%s' (%s) added: key %s%s%s\n"), o.name, _(strata_role_name(o.role)), o.fpr,
		       new_key ? _(", private key in ") : "", new_key ? new_key : "");
	goto done;
undo_key:
	/* the key made here goes with the refusal: the node is as it was, and so is the directory */
	if (new_key && pubpath.ptr) {
		unlink(new_key);
		unlink(pubpath.ptr);
	}
done:
	if (journalled)
		strata_journal_undo(cli->node);
	OPENSSL_cleanse(pass, sizeof(pass));
	strata_buf_dispose(&text);
	strata_buf_dispose(&pubpath);
	strata_buf_dispose(&comment);
	strata_buf_dispose(&tr);
	return rc;
}

static int officer_remove(int argc, char **argv, strata_cli *cli)
{
	strata_officer o;
	strata_buf tr = STRATA_BUF_INIT;
	int rc, journalled = 0;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf(_("usage: strata officer remove NAME\n\n"
		       "NAME acts no more here.  Their entry stays in node.conf, marked removed, so\n"
		       "the events they signed still verify; the name is not used again.  The last\n"
		       "operator cannot be removed.\n"));
		return 0;
	}
	if (argc != 2)
		return cli_usage(USAGE);
	if ((rc = strata_officer_get(&o, cli->node, argv[1])) < 0 ||
	    (rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("remove an officer"))) < 0 ||
	    (rc = strata_journal_lock(cli->node)) < 0 ||
	    (rc = strata_journal_conf_begin(cli->node, "officer-remove", argv[1], &journalled)) < 0 ||
	    (rc = strata_officer_remove(cli->node, argv[1])) < 0 ||
	    (rc = strata_buf_printf(&tr, "Strata-Officer-Removed: %s <%s>\n", o.name, o.fpr)) < 0 ||
	    (rc = strata_audit_append(cli->node, "officer-remove", "officer removed", tr.ptr)) < 0)
		goto done;
	strata_journal_end(cli->node);
	journalled = 0;
	if (!cli->quiet)
		printf(_("officer '%s' removed: their events still verify\n"), argv[1]);
done:
	if (journalled)
		strata_journal_undo(cli->node);
	strata_buf_dispose(&tr);
	return rc;
}

static int officer_set(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "display-name", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *role_text = NULL, *display = NULL;
	strata_officer o;
	strata_buf tr = STRATA_BUF_INIT;
	int c, rc, role = 0, journalled = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': role_text = optarg; break;
		case 'd': display = optarg; break;
		case 'h':
			printf(_("usage: strata officer set NAME [--role officer|operator|auditor] [--display-name TEXT]\n\n"
			       "Changes an officer's role or display name (\"\" removes it).  A session of theirs in the\n"
			       "console, or a daemon running as them, ends: they log in again.  The last operator\n"
			       "keeps the role.\n"));
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind + 1 != argc || (!role_text && !display))
		return cli_usage(USAGE);
	if ((role_text && (rc = strata_role_parse(&role, role_text)) < 0) ||
	    (display && *display && (rc = strata_node_display_check(display)) < 0) ||
	    (rc = strata_officer_get(&o, cli->node, argv[optind])) < 0 ||
	    (rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("change an officer"))) < 0 ||
	    (rc = strata_journal_lock(cli->node)) < 0 ||
	    (rc = strata_journal_conf_begin(cli->node, "officer-set", argv[optind], &journalled)) < 0 ||
	    (rc = strata_officer_set(cli->node, argv[optind], role, display)) < 0 ||
	    (rc = strata_buf_printf(&tr, "Strata-Officer-Changed: %s <%s>\nStrata-Role: %s\n", o.name, o.fpr,
				    strata_role_name(role ? role : o.role))) < 0 ||
	    (rc = strata_audit_append(cli->node, "officer-set", "officer changed", tr.ptr)) < 0)
		goto done;
	strata_journal_end(cli->node);
	journalled = 0;
	if (!cli->quiet)
		printf(_("officer '%s': %s\n"), argv[optind], _(strata_role_name(role ? role : o.role)));
done:
	if (journalled)
		strata_journal_undo(cli->node);
	strata_buf_dispose(&tr);
	return rc;
}

static int officer_list(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_officer *all = NULL;
	size_t count = 0;
	int c, format = CLI_TABLE, rc;
	json_t *rows;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cli_report_format(&format, optarg) < 0)
				return CLI_EUSAGE;
			break;
		case 'h':
			printf(_("usage: strata officer list [--format table|csv|json]\n\n"
			       "The officers of this node, removed ones too: name, role, display name, their\n"
			       "key's fingerprint, when added and when removed.\n"));
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(USAGE);
	if ((rc = strata_officers_list(&all, &count, cli->node)) < 0)
		return rc;
	rows = json_array();
	for (size_t i = 0; i < count; i++) {
		char added[40] = "", removed[40] = "";
		strata_time_format(added, sizeof(added), all[i].added);
		if (all[i].removed)
			strata_time_format(removed, sizeof(removed), all[i].removed);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", all[i].name, "role",
				      strata_role_name(all[i].role), "display_name", all[i].display, "fingerprint",
				      all[i].fpr, "added", added, "removed", removed);
		if (format == CLI_JSON)
			cli_json_nulls(o);
		json_array_append_new(rows, o);
	}
	free(all);
	return cli_report_list(rows, cols, sizeof(cols) / sizeof(*cols), cols, sizeof(cols) / sizeof(*cols), format,
			       _("no officers: this node's changes are its own ('strata officer add' names the first, an "
				 "operator)"));
}

int cmd_officer(int argc, char **argv, strata_cli *cli)
{
	static const char *const subs[] = { "add", "list", "remove", "set" };

	if (argc >= 2 && !strcmp(argv[1], "add"))
		return officer_add(argc - 1, argv + 1, cli);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return officer_list(argc - 1, argv + 1, cli);
	if (argc >= 2 && !strcmp(argv[1], "remove"))
		return officer_remove(argc - 1, argv + 1, cli);
	if (argc >= 2 && !strcmp(argv[1], "set"))
		return officer_set(argc - 1, argv + 1, cli);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf(_("usage: strata %s\n"), USAGE);
		return 0;
	}
	if (argc >= 2)
		return cli_unknown_sub("officer", argv[1], subs, sizeof(subs) / sizeof(*subs), USAGE);
	return cli_usage(USAGE);
}
