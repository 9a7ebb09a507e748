/*
 * net-post.c - sends a peer's daemon raw bytes as a node would, for tests
 * that must reach the daemon with an authenticated but hostile body.
 *
 *   net-post NODEDIR PEER PATH [FILE]    GET PATH, or POST FILE to it
 *
 * Prints the status line "HTTP NNN", then the body; exits 1 if no answer came.
 */
#include "strata/net/remote.h"
#include "strata/base/fs.h"

#include <stdio.h>
#include <string.h>

#include <git2.h>

int main(int argc, char **argv)
{
	strata_node *n = NULL;
	strata_remote *r = NULL;
	/* patient: a test on a loaded machine (four large pushes at once) must not fail for its speed */
	strata_remote_opts o = { 0, 0, 300 };
	strata_buf body = STRATA_BUF_INIT, resp = STRATA_BUF_INIT;
	long status = 0;
	int rc = 1;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: net-post NODEDIR PEER PATH [FILE]\n");
		return 2;
	}
	git_libgit2_init();
	body.max = (size_t)1 << 31;
	if (strata_node_open(&n, argv[1]) < 0 || (argc == 5 && strata_fs_read(&body, argv[4], body.max) < 0) ||
	    strata_remote_open(&r, n, &o) < 0 ||
	    strata_remote_request(r, argv[2], argv[3], argc == 5 ? (body.ptr ? body.ptr : "") : NULL, body.len,
				  &status, &resp) < 0) {
		fprintf(stderr, "net-post: %s\n", strata_error_last());
	} else {
		printf("HTTP %ld\n", status);
		fwrite(resp.ptr ? resp.ptr : "", 1, resp.len, stdout);
		rc = 0;
	}
	strata_remote_close(r);
	strata_node_free(n);
	strata_buf_dispose(&body);
	strata_buf_dispose(&resp);
	git_libgit2_shutdown();
	return rc;
}
