/*
 * check_timestamp.c - RFC 3161 requests and token checks, against an
 * authority made here with OpenSSL's own TS signing (the same code under
 * `openssl ts -reply`, which the end-to-end tests run on 127.0.0.1).
 */
#include "fixture.h"
#include "strata/format/timestamp.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

typedef struct {
	EVP_PKEY *key;
	X509 *cert;
	char pem[4096];
} authority;

static void make_authority(authority *a, const char *cn)
{
	X509_NAME *name;
	X509_EXTENSION *ext;
	BIO *b = BIO_new(BIO_s_mem());
	long n;
	char *p;

	a->key = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(a->key);
	a->cert = X509_new();
	X509_set_version(a->cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(a->cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(a->cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(a->cert), 3600L * 24 * 365);
	X509_set_pubkey(a->cert, a->key);
	name = X509_get_subject_name(a->cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(a->cert, name);
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, "critical,timeStamping");
	X509_add_ext(a->cert, ext, -1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(a->cert, a->key, EVP_sha256()), 0);
	PEM_write_bio_X509(b, a->cert);
	n = BIO_get_mem_data(b, &p);
	ck_assert_int_lt(n, (long)sizeof(a->pem));
	memcpy(a->pem, p, (size_t)n);
	a->pem[n] = '\0';
	BIO_free(b);
}

static void free_authority(authority *a)
{
	EVP_PKEY_free(a->key);
	X509_free(a->cert);
}

static ASN1_INTEGER *serial_cb(TS_RESP_CTX *ctx, void *data)
{
	(void)ctx;
	(void)data;
	ASN1_INTEGER *s = ASN1_INTEGER_new();
	ASN1_INTEGER_set(s, 7);
	return s;
}

/* the authority's answer to `req`, into `out` */
static void answer(strata_buf *out, authority *a, const strata_buf *req)
{
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	BIO *in = BIO_new_mem_buf(req->ptr, (int)req->len);
	ASN1_OBJECT *policy = OBJ_txt2obj("1.2.3.4.1", 1);
	TS_RESP *resp;
	unsigned char *der = NULL;
	int n;

	ck_assert_int_eq(TS_RESP_CTX_set_signer_cert(ctx, a->cert), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_signer_key(ctx, a->key), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_def_policy(ctx, policy), 1);
	ck_assert_int_eq(TS_RESP_CTX_add_md(ctx, EVP_sha256()), 1);
	TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256());
	TS_RESP_CTX_set_serial_cb(ctx, serial_cb, NULL);
	resp = TS_RESP_create_response(ctx, in);
	ck_assert_ptr_nonnull(resp);
	n = i2d_TS_RESP(resp, &der);
	ck_assert_int_gt(n, 0);
	strata_buf_put(out, der, (size_t)n);
	OPENSSL_free(der);
	TS_RESP_free(resp);
	ASN1_OBJECT_free(policy);
	BIO_free(in);
	TS_RESP_CTX_free(ctx);
}

START_TEST(granted_and_checked)
{
	authority a, other;
	strata_buf req = STRATA_BUF_INIT, req2 = STRATA_BUF_INIT, token = STRATA_BUF_INIT, fpr = STRATA_BUF_INIT;
	const char data[] = "parts/1-pv.json, as signed";
	int64_t when = 0;

	make_authority(&a, "Authority A");
	make_authority(&other, "Authority B");
	ck_assert_int_eq(strata_timestamp_request(&req, data, strlen(data)), 0);
	answer(&token, &a, &req);
	/* with the request (nonce) and without (offline) */
	ck_assert_int_eq(strata_timestamp_check(&when, token.ptr, token.len, data, strlen(data), a.pem, strlen(a.pem), &req), 0);
	ck_assert_int_gt(when, time(NULL) - 600);
	ck_assert_int_lt(when, time(NULL) + 600);
	ck_assert_int_eq(strata_timestamp_check(&when, token.ptr, token.len, data, strlen(data), a.pem, strlen(a.pem), NULL), 0);
	/* other data; another authority's certificate; another request's nonce; no certificate */
	ck_assert_int_eq(strata_timestamp_check(&when, token.ptr, token.len, "other", 5, a.pem, strlen(a.pem), NULL), STRATA_EVERIFY);
	ck_assert_int_eq(strata_timestamp_check(&when, token.ptr, token.len, data, strlen(data), other.pem, strlen(other.pem), NULL),
			 STRATA_EVERIFY);
	ck_assert_int_eq(strata_timestamp_request(&req2, data, strlen(data)), 0);
	ck_assert_int_eq(strata_timestamp_check(&when, token.ptr, token.len, data, strlen(data), a.pem, strlen(a.pem), &req2),
			 STRATA_EVERIFY);
	ck_assert_int_eq(strata_timestamp_check(&when, token.ptr, token.len, data, strlen(data), "", 0, NULL), STRATA_EVERIFY);
	/* each fingerprint is its own, in ssh-keygen's form */
	ck_assert_int_eq(strata_timestamp_ca_fingerprint(&fpr, a.pem, strlen(a.pem)), 0);
	ck_assert(!strncmp(fpr.ptr, "SHA256:", 7));
	ck_assert_uint_eq(fpr.len, 7 + 43);
	ck_assert_int_lt(strata_timestamp_ca_fingerprint(&fpr, "not pem", 7), 0);
	strata_buf_dispose(&req);
	strata_buf_dispose(&req2);
	strata_buf_dispose(&token);
	strata_buf_dispose(&fpr);
	free_authority(&a);
	free_authority(&other);
}
END_TEST

START_TEST(damaged_tokens_refused)
{
	authority a;
	strata_buf req = STRATA_BUF_INIT, token = STRATA_BUF_INIT;
	const char data[] = "the log's head";
	int64_t when;
	size_t refused = 0, tried = 0;

	make_authority(&a, "Authority A");
	ck_assert_int_eq(strata_timestamp_request(&req, data, strlen(data)), 0);
	answer(&token, &a, &req);
	/* truncated anywhere; trailing bytes */
	for (size_t len = 0; len < token.len; len += 37, tried++)
		refused += strata_timestamp_check(&when, token.ptr, len, data, strlen(data), a.pem, strlen(a.pem), NULL) == STRATA_EVERIFY;
	ck_assert_uint_eq(refused, tried);
	strata_buf_putc(&token, 0);
	ck_assert_int_eq(strata_timestamp_check(&when, token.ptr, token.len, data, strlen(data), a.pem, strlen(a.pem), NULL),
			 STRATA_EVERIFY);
	token.len--;
	/* a flipped byte in the signed part (the last bytes: the signature) */
	token.ptr[token.len - 5] ^= 1;
	ck_assert_int_eq(strata_timestamp_check(&when, token.ptr, token.len, data, strlen(data), a.pem, strlen(a.pem), NULL),
			 STRATA_EVERIFY);
	strata_buf_dispose(&req);
	strata_buf_dispose(&token);
	free_authority(&a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("timestamp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, granted_and_checked);
	tcase_add_test(tc, damaged_tokens_refused);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
