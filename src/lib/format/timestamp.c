/*
 * timestamp.c - RFC 3161 requests and token checks (timestamp.h), with
 * OpenSSL's TS API.
 */
#include "strata/format/timestamp.h"
#include "strata/base/enc.h"
#include "strata/base/error.h"
#include "strata/base/i18n.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <string.h>
#include <time.h>

static int ssl_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return strata_error_setc(STRATA_EVERIFY, "%s: %s", what, buf[0] ? buf : _("no detail"));
}

int strata_timestamp_request(strata_buf *req, const void *data, size_t len)
{
	TS_REQ *r = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = NULL;
	unsigned char md[32], rnd[8], *der = NULL;
	int n, error = STRATA_ERROR;

	if (!r || !mi || !alg || !EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) || RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto done;
	rnd[0] &= 0x7f;		/* a positive INTEGER */
	if (!X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) || !TS_MSG_IMPRINT_set_algo(mi, alg) ||
	    !TS_MSG_IMPRINT_set_msg(mi, md, sizeof(md)) || !TS_REQ_set_version(r, 1) || !TS_REQ_set_msg_imprint(r, mi) ||
	    (bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) == NULL ||
	    (nonce = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || !TS_REQ_set_nonce(r, nonce) ||
	    !TS_REQ_set_cert_req(r, 1) || (n = i2d_TS_REQ(r, &der)) <= 0)
		goto done;
	error = strata_buf_put(req, der, (size_t)n);
done:
	if (error < 0)
		ssl_error(_("cannot make a timestamp request"));
	OPENSSL_free(der);
	BN_free(bn);
	ASN1_INTEGER_free(nonce);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(r);
	return error;
}

/* the CA certificates in `pem` */
static X509_STORE *store_of(const char *pem, size_t len, int *count)
{
	X509_STORE *st = X509_STORE_new();
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x;

	*count = 0;
	while (st && b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		X509_STORE_add_cert(st, x);
		X509_free(x);
		(*count)++;
	}
	ERR_clear_error();
	BIO_free(b);
	return st;
}

static int64_t asn1_time(const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	return (int64_t)timegm(&tm);
}

int strata_timestamp_check(int64_t *when, const void *token, size_t tlen, const void *data, size_t len,
			   const char *ca_pem, size_t ca_len, const strata_buf *req)
{
	const unsigned char *p = token;
	TS_RESP *resp = NULL;
	TS_REQ *rq = NULL;
	TS_VERIFY_CTX *ctx = NULL;
	X509_STORE *st = NULL;
	unsigned char md[32];
	int count = 0, error = STRATA_EVERIFY;

	*when = 0;
	if (tlen > STRATA_TIMESTAMP_MAX || (resp = d2i_TS_RESP(NULL, &p, (long)tlen)) == NULL || p != (const unsigned char *)token + tlen) {
		error = ssl_error(_("not a timestamp response (RFC 3161, DER)"));
		goto done;
	}
	if (ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))) > 1 || !TS_RESP_get_token(resp)) {
		error = strata_error_setc(STRATA_EVERIFY, "the timestamp authority did not grant a timestamp");
		goto done;
	}
	if ((st = store_of(ca_pem, ca_len, &count)) == NULL || !count) {
		error = strata_error_setc(STRATA_EVERIFY, "no certificate of a timestamp authority to check the token with");
		goto done;
	}
	if (!EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) || (ctx = TS_VERIFY_CTX_new()) == NULL)
		goto ssl;
	if (req) {
		const unsigned char *q = (const unsigned char *)req->ptr;
		if ((rq = d2i_TS_REQ(NULL, &q, (long)req->len)) == NULL)
			goto ssl;
		TS_VERIFY_CTX_free(ctx);
		if ((ctx = TS_REQ_to_TS_VERIFY_CTX(rq, NULL)) == NULL)
			goto ssl;
		/* the imprint comes from the request; what is checked: */
		TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_SIGNER | TS_VFY_IMPRINT | TS_VFY_NONCE);
	} else {
		unsigned char *imprint = OPENSSL_memdup(md, sizeof(md));
		if (!imprint)
			goto ssl;
		TS_VERIFY_CTX_set_imprint(ctx, imprint, sizeof(md));
		TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_SIGNER | TS_VFY_IMPRINT);
	}
	TS_VERIFY_CTX_set_store(ctx, st);
	st = NULL;	/* the context's now */
	if (TS_RESP_verify_response(ctx, resp) != 1) {
		error = ssl_error(_("the timestamp does not check"));
		goto done;
	}
	/* the digest the token covers: SHA-256, of these bytes (the request's imprint was of them too) */
	{
		TS_TST_INFO *info = TS_RESP_get_tst_info(resp);
		TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(info);
		ASN1_OCTET_STRING *got = TS_MSG_IMPRINT_get_msg(mi);
		if (OBJ_obj2nid(TS_MSG_IMPRINT_get_algo(mi)->algorithm) != NID_sha256 || ASN1_STRING_length(got) != 32 ||
		    memcmp(ASN1_STRING_get0_data(got), md, 32)) {
			error = strata_error_setc(STRATA_EVERIFY, "the timestamp is over other data");
			goto done;
		}
		if ((*when = asn1_time(TS_TST_INFO_get_time(info))) < 0) {
			error = strata_error_setc(STRATA_EVERIFY, "the timestamp's time does not parse");
			goto done;
		}
	}
	error = 0;
	goto done;
ssl:
	error = ssl_error(_("cannot check the timestamp"));
done:
	ERR_clear_error();
	TS_VERIFY_CTX_free(ctx);
	X509_STORE_free(st);
	TS_REQ_free(rq);
	TS_RESP_free(resp);
	return error;
}

int strata_timestamp_ca_fingerprint(strata_buf *out, const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned char md[32];
	unsigned int n = 0;
	int error = STRATA_ERROR;

	if (!x || !X509_digest(x, EVP_sha256(), md, &n) || n != 32) {
		error = strata_error_set("not a PEM certificate");
		goto done;
	}
	if ((error = strata_buf_puts(out, "SHA256:")) == 0)
		error = strata_enc_base64(out, md, 32);
	/* as ssh-keygen prints fingerprints: no padding */
	while (!error && out->len && out->ptr[out->len - 1] == '=')
		out->ptr[--out->len] = '\0';
done:
	ERR_clear_error();
	X509_free(x);
	BIO_free(b);
	return error;
}
