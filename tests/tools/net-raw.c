/*
 * net-raw.c - sends a daemon exact bytes over TLS as an authenticated
 * node, for tests of what strata's own client never sends (oversized
 * headers, malformed requests).  Test-only; never installed.
 *
 *   net-raw NODEDIR PORT FILE
 *
 * Presents NODEDIR's identity (the daemon must pin its key), does not
 * check the daemon's certificate, writes FILE's bytes, and prints what
 * comes back until the daemon closes (at most 64 KiB).  Exits 1 if the
 * handshake fails.
 */
#include "strata/node/node.h"
#include "strata/net/tls.h"
#include "strata/base/fs.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <git2.h>

int main(int argc, char **argv)
{
	strata_node *n = NULL;
	strata_tls_identity id = { STRATA_BUF_INIT, STRATA_BUF_INIT };
	strata_buf req = STRATA_BUF_INIT;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	struct sockaddr_in sa = { 0 };
	char buf[65536];
	int fd = -1, rc = 1, got, total = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: net-raw NODEDIR PORT FILE\n");
		return 2;
	}
	git_libgit2_init();
	if (strata_node_open(&n, argv[1]) < 0 || strata_node_load_key(n) < 0 ||
	    strata_fs_read(&req, argv[3], (size_t)1 << 30) < 0 ||
	    strata_tls_identity_new(&id, strata_node_name(n), strata_node_key(n), NULL) < 0 || strata_tls_ctx_new(&ctx, 0, &id) < 0) {
		fprintf(stderr, "net-raw: %s\n", strata_error_last());
		goto done;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);	/* the daemon is the one under test */
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("net-raw: connect");
		goto done;
	}
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1) {
		fprintf(stderr, "net-raw: handshake failed\n");
		goto done;
	}
	for (size_t off = 0; off < req.len;) {
		int w = SSL_write(ssl, req.ptr + off, (int)(req.len - off > 65536 ? 65536 : req.len - off));
		if (w <= 0)
			break;	/* the daemon may answer and close before reading all */
		off += (size_t)w;
	}
	while (total < (int)sizeof(buf) && (got = SSL_read(ssl, buf + total, (int)sizeof(buf) - total)) > 0)
		total += got;
	fwrite(buf, 1, (size_t)total, stdout);
	rc = 0;
done:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	strata_tls_identity_dispose(&id);
	strata_buf_dispose(&req);
	strata_node_free(n);
	git_libgit2_shutdown();
	return rc;
}
