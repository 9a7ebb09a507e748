/*
 * gen-commits NODEDIR N - writes a chain of N signed commits (empty tree)
 * on refs/strata/datasets/bench-chain, straight into one pack, for
 * bench/verify.sh.  Each commit is signed with the node key exactly as
 * strata signs (gpgsig header, SSH signature, namespace "git").
 */
#include "strata/node/commit.h"
#include "strata/node/node.h"
#include "strata/format/pack.h"
#include "strata/base/buf.h"
#include "strata/node/refs.h"
#include "strata/node/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	strata_node *n = NULL;
	strata_packw *w = NULL;
	strata_buf body = STRATA_BUF_INIT, sig = STRATA_BUF_INIT, obj = STRATA_BUF_INIT;
	git_oid tree, prev, id;
	char hex[GIT_OID_HEXSZ + 1], phex[GIT_OID_HEXSZ + 1];
	long count = argc == 3 ? strtol(argv[2], NULL, 10) : 0;

	if (count <= 0) {
		fprintf(stderr, "usage: gen-commits NODEDIR N\n");
		return 2;
	}
	git_libgit2_init();
	if (strata_node_open(&n, argv[1]) < 0 || strata_journal_lock(n) < 0 || strata_node_load_key(n) < 0 ||
	    strata_pack_writer_new(&w, strata_node_repo(n), 1) < 0 || strata_pack_writer_add(w, GIT_OBJECT_TREE, "", 0, &tree) < 0)
		goto fail;
	git_oid_tostr(hex, sizeof(hex), &tree);
	for (long i = 0; i < count; i++) {
		strata_buf_clear(&body);
		strata_buf_clear(&sig);
		strata_buf_clear(&obj);
		strata_buf_printf(&body, "tree %s\n", hex);
		if (i)
			strata_buf_printf(&body, "parent %s\n", git_oid_tostr(phex, sizeof(phex), &prev));
		strata_buf_printf(&body, "author %s <%s@strata.invalid> %ld +0000\ncommitter %s <%s@strata.invalid> %ld +0000\n"
				  "\nbench event %ld\n\nStrata-Event: bench\nStrata-Node: %s\n",
				  strata_node_name(n), strata_node_name(n), 1764000000L + i, strata_node_name(n), strata_node_name(n), 1764000000L + i, i, strata_node_name(n));
		if (strata_sign_sshsig(&sig, strata_node_key(n), "git", body.ptr, body.len) < 0)
			goto fail;
		/* the signature goes in as a gpgsig header after the committer line */
		{
			const char *split = strstr(body.ptr, "\n\n");
			strata_buf_put(&obj, body.ptr, (size_t)(split - body.ptr) + 1);
			strata_buf_puts(&obj, "gpgsig ");
			for (const char *s = sig.ptr; *s; s++) {
				strata_buf_putc(&obj, *s);
				if (*s == '\n')
					strata_buf_putc(&obj, ' ');
			}
			strata_buf_putc(&obj, '\n');
			strata_buf_puts(&obj, split + 1);
		}
		if (strata_pack_writer_add(w, GIT_OBJECT_COMMIT, obj.ptr, obj.len, &id) < 0)
			goto fail;
		prev = id;
	}
	if (strata_pack_writer_commit(w) < 0 || strata_refs_update(n, "refs/strata/datasets/bench-chain", &prev, NULL, "bench") < 0)
		goto fail;
	strata_pack_writer_free(w);
	strata_node_free(n);
	strata_buf_dispose(&body);
	strata_buf_dispose(&sig);
	strata_buf_dispose(&obj);
	git_libgit2_shutdown();
	return 0;
fail:
	fprintf(stderr, "gen-commits: %s\n", strata_error_last());
	return 1;
}
