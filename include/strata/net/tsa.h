/*
 * tsa.h - this node's timestamp authority (RFC 3161): node.conf `tsa.url`
 * and its certificate, pinned as NODE/tsa.pem; requests go over HTTP(S)
 * from the network process, which never holds the node key
 * (strata/net/netproc.h), and each answer is checked here
 * (strata/format/timestamp.h) before it is used.
 */
#ifndef STRATA_NET_TSA_H
#define STRATA_NET_TSA_H

#include <stdint.h>
#include "strata/base/buf.h"
#include "strata/node/node.h"

#define STRATA_TSA_PEM "tsa.pem"

typedef struct strata_tsa strata_tsa;

/* 1 if the node names a timestamp authority, 0 if not. */
int strata_tsa_configured(strata_node *n);
/* The authority's certificate (PEM) as pinned, and its URL; STRATA_ENOTFOUND if none. */
int strata_tsa_get(strata_buf *url, strata_buf *pem, strata_node *n);
/*
 * Names the authority: its URL (http:// or https://) and the certificate
 * its tokens chain to (PEM: the authority's own, or its CA).  Under the
 * journal lock, inside a journalled change (strata_journal_conf_begin), as
 * every node.conf change: NODE/tsa.pem joins it, so an undo restores both.
 */
int strata_tsa_check_url(const char *url);
int strata_tsa_set(strata_node *n, const char *url, const char *pem, size_t pem_len);
int strata_tsa_remove(strata_node *n);

/*
 * Starts the network process that asks the authority (before the node key
 * is loaded); *out NULL if the node names none.
 */
int strata_tsa_open(strata_tsa **out, strata_node *n);
/* The same for an authority not (yet) named: `strata tsa set` tries it first. */
int strata_tsa_connect(strata_tsa **out, const char *url, const char *pem, size_t pem_len);
/* A token over SHA-256 of `data`, checked (nonce, imprint, the pinned certificate); its time. */
int strata_tsa_stamp(strata_tsa *t, strata_buf *token, int64_t *when, const void *data, size_t len);
void strata_tsa_close(strata_tsa *t);
/* The authority's URL and pinned certificate (PEM, its length into *len). */
const char *strata_tsa_url(const strata_tsa *t);
const char *strata_tsa_pem(const strata_tsa *t, size_t *len);

#endif
