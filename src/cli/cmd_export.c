/*
 * cmd_export.c - strata export DATASET [REV] [--format csv|jsonl] [-o FILE]
 *                strata export NAME --all-sources ...   (own and received, one table)
 *                strata export --to PEER -o FILE [--full] [--unsealed]   (a parcel, sealed to PEER)
 */
#include "cli.h"
#include "strata/node/officers.h"
#include "strata/base/transcode.h"
#include "strata/replica/process.h"
#include "strata/data/dataset.h"
#include "strata/replica/parcel_export.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define USAGE "export DATASET [REV] [--format csv|jsonl] [--encoding utf-8|gb18030|gbk] [--labels] [-o FILE] [--offset N] [--limit N]\n" \
	      "       strata export NAME --all-sources [--format csv|jsonl] [-o FILE]\n" \
	      "       strata export --to PEER -o FILE [--full] [--unsealed]"

static int export_parcel(strata_cli *cli, const char *peer, const char *outpath, int full, int unsealed)
{
	strata_parcel_result res;

	if (!outpath) {
		fprintf(stderr, _("strata: a parcel needs an output file: export --to %s -o FILE\n"), peer);
		return cli_usage(USAGE);
	}
	if (cli_act(cli, STRATA_ROLE_OPERATOR, _("export a parcel")) < 0)
		return STRATA_ERROR;
	cli_progress(cli, _("export --to %s: building its views, then the parcel..."), peer);
	if (strata_parcel_export_file(cli->node, peer, full, outpath, unsealed, &res) < 0) {
		cli_progress_done(cli);
		return STRATA_ERROR;
	}
	cli_progress_done(cli);
	if (!cli->quiet)
		printf(_("%s: parcel %llu for %s: %zu views (%zu with new commits), %zu objects (%zu deltas), "
		       "%zu bytes%s, %s\n"), outpath, (unsigned long long)res.sequence, peer, res.nrefs, res.changed,
		       res.objects, res.deltas, res.bytes, full ? ", full" : "",
		       unsealed ? _("NOT sealed: readable by whoever holds the file") : _("sealed: only its recipient can open it"));
	return 0;
}

/* The catalogue's labels of one dataset's fields: its owner's description (for a received one, any owner's). */
struct labels {
	const char *dataset, *owner;
	json_t *map;
};

static int collect_labels(const strata_catalog_entry *e, void *payload)
{
	struct labels *l = payload;
	const json_t *fs = json_object_get(e->entry, "fields");

	if (strcmp(e->dataset, l->dataset) || (l->owner && strcmp(e->owner, l->owner)))
		return 0;
	for (size_t i = 0; i < json_array_size(fs); i++) {
		const char *name = json_string_value(json_object_get(json_array_get(fs, i), "name"));
		const char *label = json_string_value(json_object_get(json_array_get(fs, i), "label"));
		if (name && label && *label && !json_object_get(l->map, name))
			json_object_set_new(l->map, name, json_string(label));
	}
	return 0;
}

static const char *label_of(const char *field, void *payload)
{
	return json_string_value(json_object_get(((struct labels *)payload)->map, field));
}

int cmd_export(int argc, char **argv, strata_cli *cli)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "encoding", required_argument, NULL, 'e' },
		{ "labels", no_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },
		{ "to", required_argument, NULL, 't' },
		{ "full", no_argument, NULL, 'F' },
		{ "all-sources", no_argument, NULL, 'a' },
		{ "unsealed", no_argument, NULL, 'U' },
		{ "offset", required_argument, NULL, 'O' },
		{ "limit", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *format = "csv", *outpath = NULL, *to = NULL, *encoding = "utf-8";
	strata_transcode *tc = NULL;
	FILE *file = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	FILE *out = stdout;
	int c, full = 0, all = 0, unsealed = 0, paged = 0, labelled = 0, rc = STRATA_ERROR;
	struct labels lab = { NULL, NULL, NULL };
	size_t offset = 0, limit = SIZE_MAX;

	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 'F': full = 1; break;
		case 'U': unsealed = 1; break;
		case 'a': all = 1; break;
		case 'f': format = optarg; break;
		case 'e':
			if (strata_transcode_name(&encoding, optarg) < 0) {
				fprintf(stderr, _("strata: --encoding: %s\n"), strata_error_last());
				return CLI_EUSAGE;
			}
			break;
		case 'o': outpath = optarg; break;
		case 'l': labelled = 1; break;
		case 'O':
		case 'L': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || optarg[0] == '-' || v > 1000000000ULL) {
				fprintf(stderr, _("strata: --%s '%s': a whole number\n"), c == 'O' ? "offset" : "limit", optarg);
				return CLI_EUSAGE;
			}
			*(c == 'O' ? &offset : &limit) = (size_t)v;
			paged = 1;
			break;
		}
		case 'h':
			printf(_("usage: strata %s\n\n"
			       "  DATASET          own NAME, or a received one as 'strata datasets' names it\n"
			       "  REV              HEAD (default), HEAD~N, or a commit\n"
			       "  --format FORMAT  csv (RFC 4180, the schema's column order) or jsonl\n"
			       "  --encoding E     utf-8 (the default), or gb18030 (or gbk) for a spreadsheet\n"
			       "                   that opens CSV in the Chinese code page (Excel)\n"
			       "  --labels         CSV headed by the catalogue's field labels (catalog describe --label)\n"
			       "  -o FILE          write FILE (removed again on an error: never a partial file)\n"
			       "  --all-sources    every dataset named NAME here, own and received, as one\n"
			       "                   table with a first column _source (its full name)\n"
			       "  --to PEER        a parcel of the views built for PEER (with -o; --full: all of\n"
			       "                   them, not only what PEER lacks), sealed to PEER's pinned key:\n"
			       "                   a lost file shows only sender, recipient and size\n"
			       "  --unsealed       a version-1 parcel, signed but not sealed, for a peer whose\n"
			       "                   strata cannot open sealed ones yet\n"
			       "  --offset N, --limit N  one page: the N records after the first N, in the\n"
			       "                   dataset's own order, read only as far as the page goes\n"), USAGE);
			return 0;
		default: return cli_usage(USAGE);
		}
	}
	if (to && optind == argc)
		return export_parcel(cli, to, outpath, full, unsealed);
	if (to || full || unsealed || (optind + 1 != argc && optind + 2 != argc) || (all && optind + 1 != argc) ||
	    (all && paged))
		return cli_usage(USAGE);
	if (strcmp(format, "csv") && strcmp(format, "jsonl")) {
		fprintf(stderr, _("strata: unknown format '%s' (csv or jsonl)\n"), format);
		return CLI_EUSAGE;
	}
	if (labelled && (strcmp(format, "csv") || all || paged)) {
		fprintf(stderr, _("strata: --labels is for a CSV of one dataset (the header in people's words)\n"));
		return CLI_EUSAGE;
	}
	if (!all && (rc = strata_dataset_resolve(&commit, cli->node, argv[optind], argv[optind + 1])) < 0)
		goto done;
	if (!all && git_commit_tree(&tree, commit) < 0) {
		rc = strata_error_git("cannot read commit");
		goto done;
	}
	if (outpath && (out = fopen(outpath, "w")) == NULL) {
		rc = strata_error_set("cannot create '%s': %s", outpath, strerror(errno));
		goto done;
	}
	if (strcmp(encoding, "utf-8")) {
		file = out;
		if ((rc = strata_transcode_writer(&out, &tc, file, encoding, outpath ? outpath : "<stdout>")) < 0) {
			out = file;
			file = NULL;
			goto done;
		}
	}
	if (labelled) {
		const char *slash = strrchr(argv[optind], '/');
		lab.dataset = slash ? slash + 1 : argv[optind];
		lab.owner = slash ? NULL : strata_node_name(cli->node);	/* own: this node's description */
		lab.map = json_object();
		if ((rc = strata_process_catalog(cli->node, collect_labels, &lab)) < 0)
			goto done;
	}
	if ((rc = all ? strata_dataset_export_sources(out, cli->node, argv[optind], format) :
		  labelled ? strata_dataset_export_labelled(out, strata_node_repo(cli->node), tree, label_of, &lab) :
			     strata_dataset_export_page(out, strata_node_repo(cli->node), tree, format, offset, limit)) < 0)
		goto done;
	rc = 0;
done:
	if (file) {
		/* the transcoder: flushed and freed, the file left open below */
		if (fclose(out) != 0 && rc == 0)
			rc = strata_transcode_failed(tc) < 0 ? STRATA_ERROR : strata_error_sys(outpath ? outpath : "<stdout>");
		else if (rc < 0 && strata_transcode_failed(tc) < 0)
			rc = STRATA_ERROR;
		out = file;
	}
	strata_transcode_free(tc);
	json_decref(lab.map);
	if (out != stdout && out && fclose(out) != 0 && rc == 0) {
		strata_error_set("cannot write '%s': %s", outpath, strerror(errno));
		rc = STRATA_ERROR;
	}
	if (rc != 0 && outpath && out)
		remove(outpath);	/* never leave a partial export behind */
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}
