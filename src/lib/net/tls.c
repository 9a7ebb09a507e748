/*
 * tls.c - TLS identities vouched for by node keys, and their check.
 *
 * The extension (OID 2.25.232069267784774377621142804805178986953, a UUID
 * arc anyone may use) holds a DER OCTET STRING with the armored SSHSIG of
 * "strata-tls-v1\n" NAME "\n" SPKI-DER.  Binding the name stops a vouched
 * certificate being replayed under another name; binding the SPKI stops it
 * being replayed with another key.  The self-signature of the certificate
 * itself carries no weight: the TLS handshake proves possession of the
 * certificate's key.
 */
#include "strata/net/tls.h"
#include "strata/base/i18n.h"
#include "strata/base/time.h"
#include "strata/node/node.h"
#include "strata/format/name.h"
#include "strata/format/rotation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define TLS_OID "2.25.232069267784774377621142804805178986953"
/* the node's key rotation statements (rotation.h), when it has rotated: a peer pinning an old key follows them */
#define TLS_ROTATIONS_OID TLS_OID ".1"
#define TLS_NS "strata-tls"
#define TLS_SIG_MAX 4096
#define TLS_ROTATIONS_MAX 65536
#define STRATA_TLS_MAX_ROTATIONS 64

static int binding_message(strata_buf *out, const char *name, X509 *cert)
{
	unsigned char *spki = NULL;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &spki);
	int error;

	if (len <= 0)
		return strata_error_ssl("cannot encode the certificate's key");
	error = strata_buf_printf(out, "strata-tls-v1\n%s\n", name);
	if (!error)
		error = strata_buf_put(out, spki, (size_t)len);
	OPENSSL_free(spki);
	return error;
}

static ASN1_OBJECT *binding_oid(void)
{
	return OBJ_txt2obj(TLS_OID, 1);
}

static int add_binding(X509 *cert, const char *name, const strata_key *node_key)
{
	strata_buf msg = STRATA_BUF_INIT, sig = STRATA_BUF_INIT;
	ASN1_OCTET_STRING *inner = NULL, *outer = NULL;
	ASN1_OBJECT *oid = binding_oid();
	X509_EXTENSION *ext = NULL;
	unsigned char *der = NULL;
	int derlen, error = STRATA_ERROR;

	if (!oid || (error = binding_message(&msg, name, cert)) < 0 ||
	    (error = strata_sign_sshsig(&sig, node_key, TLS_NS, msg.ptr, msg.len)) < 0) {
		if (!oid)
			error = strata_error_ssl("cannot make the binding's object id");
		goto done;
	}
	if (!(inner = ASN1_OCTET_STRING_new()) || !ASN1_OCTET_STRING_set(inner, (unsigned char *)sig.ptr, (int)sig.len) ||
	    (derlen = i2d_ASN1_OCTET_STRING(inner, &der)) <= 0 ||
	    !(outer = ASN1_OCTET_STRING_new()) || !ASN1_OCTET_STRING_set(outer, der, derlen) ||
	    !(ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, outer)) || !X509_add_ext(cert, ext, -1)) {
		error = strata_error_ssl("cannot add the node key's binding to the certificate");
		goto done;
	}
	error = 0;
done:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(outer);
	ASN1_OCTET_STRING_free(inner);
	OPENSSL_free(der);
	ASN1_OBJECT_free(oid);
	strata_buf_dispose(&msg);
	strata_buf_dispose(&sig);
	return error;
}

/* A private, non-critical extension holding `data` as a DER OCTET STRING. */
static int add_octets(X509 *cert, const char *oidtxt, const void *data, size_t len)
{
	ASN1_OCTET_STRING *inner = NULL, *outer = NULL;
	ASN1_OBJECT *oid = OBJ_txt2obj(oidtxt, 1);
	X509_EXTENSION *ext = NULL;
	unsigned char *der = NULL;
	int derlen, error = 0;

	if (!oid || !(inner = ASN1_OCTET_STRING_new()) || !ASN1_OCTET_STRING_set(inner, data, (int)len) ||
	    (derlen = i2d_ASN1_OCTET_STRING(inner, &der)) <= 0 ||
	    !(outer = ASN1_OCTET_STRING_new()) || !ASN1_OCTET_STRING_set(outer, der, derlen) ||
	    !(ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, outer)) || !X509_add_ext(cert, ext, -1))
		error = strata_error_ssl("cannot add an extension to the certificate");
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(outer);
	ASN1_OCTET_STRING_free(inner);
	OPENSSL_free(der);
	ASN1_OBJECT_free(oid);
	return error;
}

/* The one extension `oidtxt` of a certificate, its inner OCTET STRING into `out`; 0 if absent, 1 if read, <0 if malformed. */
static int get_octets(strata_buf *out, X509 *cert, const char *oidtxt, size_t max)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(oidtxt, 1);
	ASN1_OCTET_STRING *inner = NULL;
	const ASN1_OCTET_STRING *outer;
	const unsigned char *p;
	int idx, rc = -1;

	if (!oid)
		return strata_error_ssl("cannot make an OID");
	if ((idx = X509_get_ext_by_OBJ(cert, oid, -1)) < 0) {
		rc = 0;
		goto done;
	}
	if (X509_get_ext_by_OBJ(cert, oid, idx) >= 0)
		goto done;
	outer = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
	p = ASN1_STRING_get0_data(outer);
	if ((size_t)ASN1_STRING_length(outer) > max + 16 ||
	    !(inner = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(outer))) ||
	    p != ASN1_STRING_get0_data(outer) + ASN1_STRING_length(outer) ||
	    strata_buf_put(out, ASN1_STRING_get0_data(inner), (size_t)ASN1_STRING_length(inner)) < 0)
		goto done;
	rc = 1;
done:
	ERR_clear_error();
	ASN1_OCTET_STRING_free(inner);
	ASN1_OBJECT_free(oid);
	return rc;
}

static int pem_out(strata_buf *out, BIO *bio)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);
	return len > 0 ? strata_buf_put(out, data, (size_t)len) : strata_error_ssl("cannot write PEM");
}

int strata_tls_identity_new(strata_tls_identity *id, const char *name, const strata_key *node_key,
			    const strata_buf *rotations)
{
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	X509_NAME *subject;
	BIO *cb = NULL, *kb = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	int error = STRATA_ERROR;

	memset(id, 0, sizeof(*id));
	if (!strata_name_node_valid(name))
		return strata_error_set("invalid node name '%s'", name);
	if (!(pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) || !(cert = X509_new()) ||
	    RAND_bytes(serial, sizeof(serial)) != 1 || !(bn = BN_bin2bn(serial, sizeof(serial), NULL)) ||
	    !X509_set_version(cert, 2) || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 86400) ||
	    !X509_set_pubkey(cert, pkey) || !(subject = X509_get_subject_name(cert)) ||
	    !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0) ||
	    !X509_set_issuer_name(cert, subject)) {
		strata_error_ssl("cannot make a TLS certificate");
		goto done;
	}
	if (add_binding(cert, name, node_key) < 0 ||
	    (rotations && rotations->len && (rotations->len > TLS_ROTATIONS_MAX ||
					     add_octets(cert, TLS_ROTATIONS_OID, rotations->ptr, rotations->len) < 0)))
		goto done;
	if (!X509_sign(cert, pkey, NULL)) {
		strata_error_ssl("cannot sign the TLS certificate");
		goto done;
	}
	if (!(cb = BIO_new(BIO_s_mem())) || !(kb = BIO_new(BIO_s_mem())) ||
	    !PEM_write_bio_X509(cb, cert) || !PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL)) {
		strata_error_ssl("cannot write the TLS identity");
		goto done;
	}
	if (pem_out(&id->cert_pem, cb) < 0 || pem_out(&id->key_pem, kb) < 0)
		goto done;
	error = 0;
done:
	if (error)
		strata_tls_identity_dispose(id);
	BIO_free(cb);
	BIO_free(kb);
	BN_free(bn);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return error;
}

void strata_tls_identity_dispose(strata_tls_identity *id)
{
	strata_buf_dispose(&id->cert_pem);
	strata_buf_dispose_secret(&id->key_pem);
}

int strata_tls_identity_copy(strata_tls_identity *id, const void *cert, size_t certlen,
			     const void *key, size_t keylen)
{
	memset(id, 0, sizeof(*id));
	id->cert_pem.max = id->key_pem.max = 65536;
	if (strata_buf_put(&id->cert_pem, cert, certlen) < 0 || strata_buf_put(&id->key_pem, key, keylen) < 0) {
		strata_tls_identity_dispose(id);
		return STRATA_ERROR;
	}
	return 0;
}

int strata_tls_check_cert(char *name, size_t namesz, strata_pubkey *signer, X509 *cert)
{
	strata_buf msg = STRATA_BUF_INIT;
	ASN1_OBJECT *oid = binding_oid();
	ASN1_OCTET_STRING *inner = NULL;
	const ASN1_OCTET_STRING *outer;
	const unsigned char *p;
	char cn[128];
	int idx, len, error = STRATA_EVERIFY;

	if (!oid)
		return strata_error_ssl("cannot make the binding OID");
	len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
	if (len <= 0 || (size_t)len != strlen(cn) || !strata_name_node_valid(cn)) {
		error = strata_error_setc(STRATA_EVERIFY, "peer certificate does not name a node");
		goto done;
	}
	if ((idx = X509_get_ext_by_OBJ(cert, oid, -1)) < 0 || X509_get_ext_by_OBJ(cert, oid, idx) >= 0) {
		error = strata_error_setc(STRATA_EVERIFY, "peer certificate for '%s' carries no single node key binding", cn);
		goto done;
	}
	outer = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
	p = ASN1_STRING_get0_data(outer);
	if (ASN1_STRING_length(outer) > TLS_SIG_MAX ||
	    !(inner = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(outer))) ||
	    p != ASN1_STRING_get0_data(outer) + ASN1_STRING_length(outer)) {
		error = strata_error_setc(STRATA_EVERIFY, "peer certificate for '%s': malformed node key binding", cn);
		goto done;
	}
	if (binding_message(&msg, cn, cert) < 0) {
		error = STRATA_ERROR;
		goto done;
	}
	if (strata_sign_sshsig_verify(signer, (const char *)ASN1_STRING_get0_data(inner), (size_t)ASN1_STRING_length(inner),
				 TLS_NS, msg.ptr, msg.len) < 0) {
		error = strata_error_setc(STRATA_EVERIFY, "peer certificate for '%s': node key binding does not verify", cn);
		goto done;
	}
	if (strlen(cn) >= namesz) {
		strata_error_set("node name too long");
		error = STRATA_ERROR;
		goto done;
	}
	strcpy(name, cn);
	error = 0;
done:
	ERR_clear_error();
	ASN1_OCTET_STRING_free(inner);
	ASN1_OBJECT_free(oid);
	strata_buf_dispose(&msg);
	return error;
}

int strata_tls_ctx_use(SSL_CTX *ctx, const strata_tls_identity *id)
{
	BIO *cb = BIO_new_mem_buf(id->cert_pem.ptr, (int)id->cert_pem.len);
	BIO *kb = BIO_new_mem_buf(id->key_pem.ptr, (int)id->key_pem.len);
	X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *pkey = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	int error = 0;

	if (!cert || !pkey || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		error = strata_error_ssl("cannot set up TLS");
	X509_free(cert);
	EVP_PKEY_free(pkey);
	BIO_free(cb);
	BIO_free(kb);
	return error;
}

int strata_tls_ctx_new(SSL_CTX **out, int server, const strata_tls_identity *id)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	*out = NULL;
	if (!ctx)
		return strata_error_ssl("cannot make a TLS context");
	if (strata_tls_ctx_use(ctx, id) < 0) {
		SSL_CTX_free(ctx);
		return STRATA_ERROR;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	*out = ctx;
	return 0;
}

static int pin_index = -1;

/* 1 if the certificate's rotation statements lead from the key pinned for `name` to the one that vouched for it. */
static int rotated_to(X509 *cert, const char *name, const strata_pubkey *pinned, const strata_pubkey *signer)
{
	strata_buf text = STRATA_BUF_INIT;
	strata_rotation *chain = calloc(STRATA_TLS_MAX_ROTATIONS, sizeof(*chain));
	size_t n = 0;
	int ok = chain && get_octets(&text, cert, TLS_ROTATIONS_OID, TLS_ROTATIONS_MAX) == 1 &&
		 strata_rotation_chain(text.ptr, text.len, name, pinned, signer, strata_time_now(), chain,
				       STRATA_TLS_MAX_ROTATIONS, &n) == 0;
	free(chain);
	strata_buf_dispose(&text);
	strata_error_clear();
	return ok;
}

static int verify_pinned(X509_STORE_CTX *xctx, void *arg)
{
	strata_tls_pins *pins = arg;
	X509 *cert = X509_STORE_CTX_get0_cert(xctx);
	SSL *ssl = X509_STORE_CTX_get_ex_data(xctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	strata_pubkey signer;
	char name[64];

	pins->why[0] = '\0';
	if (!cert || !ssl) {
		snprintf(pins->why, sizeof(pins->why), _("no certificate"));
	} else if (strata_tls_check_cert(name, sizeof(name), &signer, cert) < 0) {
		snprintf(pins->why, sizeof(pins->why), "%s", strata_error_last());
	} else {
		for (size_t i = 0; i < pins->n; i++) {
			if (strcmp(pins->pins[i].name, name))
				continue;
			if (!strata_sign_pubkey_equal(&pins->pins[i].key, &signer) && !rotated_to(cert, name, &pins->pins[i].key, &signer))
				break;
			SSL_set_ex_data(ssl, pin_index, &pins->pins[i]);
			return 1;
		}
		if (!pins->why[0])
			snprintf(pins->why, sizeof(pins->why), _("certificate of '%s' is not vouched for by a key pinned for it"), name);
	}
	X509_STORE_CTX_set_error(xctx, X509_V_ERR_CERT_REJECTED);
	return 0;
}

int strata_tls_ctx_pin(SSL_CTX *ctx, strata_tls_pins *pins)
{
	if (pin_index < 0 && (pin_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL)) < 0)
		return strata_error_ssl("cannot register TLS peer data");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, verify_pinned, pins);
	return 0;
}

const strata_tls_pin *strata_tls_peer(SSL *ssl)
{
	return pin_index < 0 ? NULL : SSL_get_ex_data(ssl, pin_index);
}
