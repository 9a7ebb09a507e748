/*
 * cmd_import.c - strata import DATASET FILE [--key F[,F]] [--format csv|jsonl] [--upsert] [--schema-change]
 *                strata import PARCEL [--receipt FILE|--no-receipt]   (a parcel from a peer)
 *                strata import RECEIPT  (what a peer confirmed it holds from us)
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/base/transcode.h"
#include "strata/replica/link.h"
#include "strata/data/import.h"
#include "strata/replica/receipt.h"
#include "strata/replica/parcel_import.h"
#include "strata/base/fs.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define USAGE "import DATASET FILE|- [--key FIELD[,FIELD...]] [--format csv|jsonl] [--encoding utf-8|gb18030|gbk]\n" \
	      "       [--kind FIELD=resident-id|mobile|date|text]... [--upsert] [--schema-change]\n" \
	      "       [--allow-erased --reason TEXT]\n" \
	      "       strata import PARCEL [--receipt FILE | --no-receipt] [--keep]\n" \
	      "       strata import RECEIPT"

/* A receipt is a few hundred bytes of text; a parcel is a tar.  Peek to tell them apart. */
static int file_is_receipt(const char *path, strata_buf *out)
{
	FILE *f = fopen(path, "rb");
	char head[32];
	size_t n;

	if (!f)
		return 0;
	n = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (!strata_receipt_is(head, n))
		return 0;
	return strata_fs_read(out, path, STRATA_RECEIPT_MAX) == 0 ? 1 : -1;
}

static int import_receipt(strata_cli *cli, const char *path, strata_buf *b)
{
	strata_receipt_result res;
	int rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("import a receipt"));

	if (rc < 0 || (rc = strata_receipt_import(cli->node, path, b->ptr, b->len, &res)) < 0)
		return rc;
	if (cli->quiet)
		;
	else if (res.older)
		printf(_("%s: receipt from %s for parcel %llu: nothing newer than already confirmed\n"), path, res.peer,
		       res.sequence);
	else
		printf(_("%s: receipt from %s: it holds parcel %llu (%zu views); the next parcel builds on that\n"),
		       path, res.peer, res.sequence, res.nrefs);
	if (!cli->quiet && res.parcels_removed)
		printf(_("%s: %zu parcel file%s exported to %s and now held there removed (what they carried is "
		       "within reach of erasure again)\n"), path, res.parcels_removed, res.parcels_removed == 1 ? "" : "s",
		       res.peer);
	return 0;
}

/* After an import, the receipt to carry back to the sender: FILE, or PARCEL.receipt beside it; 0 once written. */
static int write_receipt(strata_cli *cli, const char *peer, const char *path, const char *receipt)
{
	int written = -1;
	strata_buf b = STRATA_BUF_INIT, name = STRATA_BUF_INIT;

	if (!receipt) {
		if (strata_buf_printf(&name, "%s.receipt", path) < 0)
			goto done;
		receipt = name.ptr;
	}
	if (strata_receipt_write(&b, cli->node, peer) < 0 || strata_fs_write_atomic(receipt, b.ptr, b.len, 0644) < 0) {
		fprintf(stderr, _("strata: warning: no receipt written: %s\n"), strata_error_last());
	} else {
		written = 0;
		if (!cli->quiet)
			printf(_("%s: receipt for %s: carry it back and run 'strata import' there\n"), receipt, peer);
	}
done:
	strata_buf_dispose(&b);
	strata_buf_dispose(&name);
	return written;
}

/*
 * The parcel file, consumed: removed once its receipt is written (what it
 * carries is held here now, where an erasure reaches it; the file would
 * not be), or kept (--keep) and remembered, outside erasure's reach.
 */
static int consume_parcel(strata_cli *cli, const char *path, const strata_parcel_result *res, int keep, int receipted)
{
	int rc;

	if (keep) {
		if ((rc = strata_link_note_parcel(cli->node, res->peer, path, res->sequence, 1)) < 0)
			return rc;
		if (!cli->quiet)
			printf(_("%s: kept (--keep): strata cannot erase what this file holds; delete it yourself once carried\n"), path);
		return 0;
	}
	if (!receipted)
		return 0;	/* no receipt (--no-receipt, or it failed): the file stays, the sender's proof to come */
	if (unlink(path) < 0)
		return strata_error_sys(path);
	if (!cli->quiet)
		printf(_("%s: removed: its content is held in the node now (keep a parcel with --keep)\n"), path);
	return 0;
}

static int import_parcel(strata_cli *cli, const char *path, const char *receipt, int no_receipt, int keep)
{
	strata_parcel_result res;
	strata_buf b = STRATA_BUF_INIT;
	int rc = file_is_receipt(path, &b);

	if (rc != 0) {
		rc = rc < 0 ? rc : import_receipt(cli, path, &b);
		strata_buf_dispose(&b);
		return rc;
	}
	if ((rc = cli_act(cli, STRATA_ROLE_OPERATOR, _("import a parcel"))) < 0 ||
	    (rc = strata_parcel_import_file(cli->node, path, &res)) < 0)
		return rc;
	if (cli->quiet)
		;
	else if (res.uptodate && res.superseded && res.superseded != res.sequence)
		printf(_("%s: parcel %llu from %s already held (superseded by parcel %llu): nothing to do\n"), path,
		       (unsigned long long)res.sequence, res.peer, (unsigned long long)res.superseded);
	else if (res.uptodate)
		printf(_("%s: parcel %llu from %s already imported: nothing to do\n"), path,
		       (unsigned long long)res.sequence, res.peer);
	else
		printf(_("%s: parcel %llu from %s verified: %zu of %zu views moved, %zu objects\n"), path,
		       (unsigned long long)res.sequence, res.peer, res.changed, res.nrefs, res.objects);
	return consume_parcel(cli, path, &res, keep, !no_receipt && write_receipt(cli, res.peer, path, receipt) == 0);
}

int cmd_import(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "format", required_argument, NULL, 'f' },
		{ "encoding", required_argument, NULL, 'e' },
		{ "kind", required_argument, NULL, 'T' },
		{ "upsert", no_argument, NULL, 'u' },
		{ "schema-change", no_argument, NULL, 's' },
		{ "allow-erased", no_argument, NULL, 'E' },
		{ "reason", required_argument, NULL, 'W' },
		{ "receipt", required_argument, NULL, 'r' },
		{ "no-receipt", no_argument, NULL, 'R' },
		{ "keep", no_argument, NULL, 'K' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	strata_import_opts o = { 0 };
	strata_import_result res;
	char **key = NULL, *kinds[64];
	const char *receipt = NULL;
	int no_receipt = 0, keep = 0;
	char hex[GIT_OID_HEXSZ + 1];
	int c, rc = STRATA_ERROR;

	while ((c = getopt_long(argc, argv, "k:f:uqh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			cli_free_list(key);
			if ((key = cli_split(optarg, &o.nkey)) == NULL || o.nkey == 0)
				return cli_usage(USAGE);
			o.key = key;
			break;
		case 'f': o.format = optarg; break;
		case 'e':
			if (strata_transcode_name(&o.encoding, optarg) < 0) {
				fprintf(stderr, _("strata: --encoding: %s\n"), strata_error_last());
				cli_free_list(key);
				return CLI_EUSAGE;
			}
			break;
		case 'T':
			if (o.nkinds == sizeof(kinds) / sizeof(*kinds)) {
				cli_free_list(key);
				return cli_usage(USAGE);
			}
			kinds[o.nkinds++] = optarg;
			o.kinds = kinds;
			break;
		case 'u': o.upsert = 1; break;
		case 's': o.schema_change = 1; break;
		case 'E': o.allow_erased = 1; break;
		case 'W': o.reason = optarg; break;
		case 'r': receipt = optarg; break;
		case 'R': no_receipt = 1; break;
		case 'K': keep = 1; break;
		case 'q': cli->quiet = 1; break;
		case 'h':
			printf(_("usage: strata %s\n"), USAGE);
			fputs(_("\n  --encoding E  gb18030 or gbk: a CSV a spreadsheet saved in the Chinese code page\n"
				"  --kind F=K    what field F holds, checked at every import and kept: resident-id\n"
				"                (GB 11643), mobile, date, or text (nothing checked)\n"), stdout);
			return 0;
		default: cli_free_list(key); return cli_usage(USAGE);
		}
	}
	if (optind + 1 == argc && !key && !o.format && !o.encoding && !o.nkinds && !o.upsert && !o.schema_change && !o.allow_erased && !o.reason)
		return import_parcel(cli, argv[optind], receipt, no_receipt, keep);
	if (optind + 2 != argc) {
		cli_free_list(key);
		return cli_usage(USAGE);
	}
	if (o.reason && !o.allow_erased) {
		cli_free_list(key);
		return cli_usage(USAGE);	/* --reason says why an erased key comes back */
	}
	o.path = argv[optind + 1];
	o.progress = !cli->quiet && isatty(STDERR_FILENO);
	if ((rc = cli_act(cli, STRATA_ROLE_OFFICER, _("import a dataset"))) == 0 &&
	    (rc = strata_import_dataset(cli->node, argv[optind], &o, &res)) == 0) {
		git_oid_tostr(hex, sizeof(hex), &res.commit);
		if (cli->quiet)
			;
		else if (res.unchanged)
			printf(_("%s: no changes (%zu records, commit %.12s)\n"), argv[optind], res.total, hex);
		else
			printf(_("%s: %zu added, %zu changed, %zu removed; %zu records; commit %.12s (signed)\n"),
			       argv[optind], res.added, res.changed, res.removed, res.total, hex);
		if (!cli->quiet && res.reimported)
			printf(_("%s: %zu key%s erased before imported again (--allow-erased): in the audit log and "
			       "'strata erasures'\n"), argv[optind], res.reimported, res.reimported == 1 ? "" : "s");
	}
	cli_free_list(key);
	return rc;
}
