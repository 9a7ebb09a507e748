/*
 * tls.h - how nodes recognise each other over TLS (doc/design.md, "Network replication and privilege separation";
 * doc/design.md, "Privilege separation").
 *
 * Each process that talks to the network gets a fresh Ed25519 TLS key and a
 * self-signed certificate over it.  The certificate's subject CN is the node
 * name, and a private extension holds an SSH signature by the node key
 * (namespace "strata-tls") over the name and the TLS key.  A peer accepts the
 * certificate only if that signature verifies under the key node.conf pins
 * for the name, as Syncthing pins device ids: no certificate authority, and
 * the process doing TLS never holds the node key, only a key the node key
 * vouched for.
 *
 * Trust: certificates come from the network and are untrusted until
 * strata_tls_check_cert accepted them.
 */
#ifndef STRATA_TLS_H
#define STRATA_TLS_H

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "strata/format/sign.h"

/* The PEM certificate and private key a network process presents. */
typedef struct {
	strata_buf cert_pem;
	strata_buf key_pem;	/* secret: wiped on dispose */
} strata_tls_identity;

/*
 * Makes a fresh TLS key and a certificate for `name`, vouched for by
 * `node_key`, carrying the node's key `rotations` (NULL or empty: none), so
 * that a peer still pinning an earlier key follows them to this one.
 */
int strata_tls_identity_new(strata_tls_identity *id, const char *name, const strata_key *node_key,
			    const strata_buf *rotations);
void strata_tls_identity_dispose(strata_tls_identity *id);
/* An identity from its PEM texts as another process sent them (each at most 64 KiB). */
int strata_tls_identity_copy(strata_tls_identity *id, const void *cert, size_t certlen,
			     const void *key, size_t keylen);

/*
 * Checks a peer certificate: copies its CN into `name` (a valid node name)
 * and verifies the extension's signature over that name and the
 * certificate's key; the signer goes to *signer.  Whether the signer is the
 * key pinned for `name` is the caller's question.  STRATA_EVERIFY on any
 * mismatch, with a message.
 */
int strata_tls_check_cert(char *name, size_t namesz, strata_pubkey *signer, X509 *cert);

/* A TLS 1.3-only context presenting `id`, asking the peer for its certificate. */
int strata_tls_ctx_new(SSL_CTX **out, int server, const strata_tls_identity *id);
/* Adds `id` to a context made elsewhere (libcurl's), TLS 1.3 only. */
int strata_tls_ctx_use(SSL_CTX *ctx, const strata_tls_identity *id);

/*
 * The keys pinned for the peers a context accepts.  After a handshake the
 * accepted pin is strata_tls_peer(ssl); when one is refused, `why` says why.
 */
typedef struct {
	char name[64];
	strata_pubkey key;
} strata_tls_pin;

typedef struct {
	strata_tls_pin *pins;
	size_t n;
	char why[256];
} strata_tls_pins;

/* Accept only certificates vouched for by a pinned key (must outlive ctx). */
int strata_tls_ctx_pin(SSL_CTX *ctx, strata_tls_pins *pins);
/* The pin a finished handshake accepted, or NULL. */
const strata_tls_pin *strata_tls_peer(SSL *ssl);

#endif
