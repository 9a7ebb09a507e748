/* check_tls.c - TLS identities: vouched for by the node key, and checked strictly. */
#include "fixture.h"
#include "strata/net/tls.h"

#include <openssl/pem.h>

static X509 *cert_of(const strata_tls_identity *id)
{
	BIO *b = BIO_new_mem_buf(id->cert_pem.ptr, (int)id->cert_pem.len);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert_ptr_nonnull(x);
	return x;
}

START_TEST(vouched_identity_checks)
{
	strata_key *k;
	strata_pubkey pk, signer;
	strata_tls_identity id;
	char name[64];
	X509 *x;

	ck_assert_int_eq(strata_sign_key_generate(&k), 0);
	strata_sign_key_public(&pk, k);
	ck_assert_int_eq(strata_tls_identity_new(&id, "st-wangjiang", k, NULL), 0);
	ck_assert_ptr_nonnull(strstr(id.key_pem.ptr, "PRIVATE KEY"));
	x = cert_of(&id);
	ck_assert_int_eq(strata_tls_check_cert(name, sizeof(name), &signer, x), 0);
	ck_assert_str_eq(name, "st-wangjiang");
	ck_assert(strata_sign_pubkey_equal(&signer, &pk));
	/* the TLS key is not the node key */
	{
		EVP_PKEY *tk = X509_get0_pubkey(x);
		unsigned char raw[32];
		size_t len = sizeof(raw);
		ck_assert_int_eq(EVP_PKEY_get_raw_public_key(tk, raw, &len), 1);
		ck_assert(memcmp(raw, pk.raw, 32) != 0);
	}
	X509_free(x);
	strata_tls_identity_dispose(&id);
	ck_assert_int_lt(strata_tls_identity_new(&id, "Not A Name", k, NULL), 0);
	strata_sign_key_free(k);
}
END_TEST

/* The binding from one certificate moved into another: refused (it names another TLS key). */
START_TEST(binding_is_bound_to_key_and_name)
{
	strata_key *k;
	strata_tls_identity a, b;
	strata_pubkey signer;
	char name[64];
	X509 *xa, *xb;
	int idx;

	ck_assert_int_eq(strata_sign_key_generate(&k), 0);
	ck_assert_int_eq(strata_tls_identity_new(&a, "cn-a", k, NULL), 0);
	ck_assert_int_eq(strata_tls_identity_new(&b, "cn-a", k, NULL), 0);
	xa = cert_of(&a);
	xb = cert_of(&b);
	idx = X509_get_ext_by_OBJ(xb, X509_EXTENSION_get_object(X509_get_ext(xa, X509_get_ext_count(xa) - 1)), -1);
	ck_assert_int_ge(idx, 0);
	X509_EXTENSION_free(X509_delete_ext(xb, idx));
	ck_assert_int_lt(strata_tls_check_cert(name, sizeof(name), &signer, xb), 0);	/* no binding */
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "no single node key binding"));
	ck_assert_int_eq(X509_add_ext(xb, X509_get_ext(xa, X509_get_ext_count(xa) - 1), -1), 1);
	ck_assert_int_eq(strata_tls_check_cert(name, sizeof(name), &signer, xb), STRATA_EVERIFY);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "does not verify"));
	/* two bindings: refused, whatever they say */
	ck_assert_int_eq(X509_add_ext(xa, X509_get_ext(xa, X509_get_ext_count(xa) - 1), -1), 1);
	ck_assert_int_eq(strata_tls_check_cert(name, sizeof(name), &signer, xa), STRATA_EVERIFY);
	X509_free(xa);
	X509_free(xb);

	/* the same certificate under another name */
	xa = cert_of(&a);
	X509_NAME_ENTRY_free(X509_NAME_delete_entry(X509_get_subject_name(xa), 0));
	X509_NAME_add_entry_by_txt(X509_get_subject_name(xa), "CN", MBSTRING_ASC, (const unsigned char *)"cn-b", -1, -1, 0);
	ck_assert_int_eq(strata_tls_check_cert(name, sizeof(name), &signer, xa), STRATA_EVERIFY);
	X509_free(xa);
	strata_tls_identity_dispose(&a);
	strata_tls_identity_dispose(&b);
	strata_sign_key_free(k);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");
	tcase_add_test(tc, vouched_identity_checks);
	tcase_add_test(tc, binding_is_bound_to_key_and_name);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
