/* check_hpke.c - RFC 9180 base mode against the RFC's vectors (A.2.1); the Ed25519 to X25519 map */
#include "fixture.h"
#include "strata/base/hpke.h"
#include "strata/base/enc.h"

#include <openssl/evp.h>

/* RFC 9180 appendix A.2.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, mode_base */
static const char *const info = "4f6465206f6e2061204772656369616e2055726e";
static const char *const skEm = "f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600";
static const char *const pkEm = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a";
static const char *const skRm = "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb";
static const char *const pkRm = "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a";
static const char *const key = "ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91";
static const char *const base_nonce = "5c4d98150661b848853b547f";
static const char *const pt = "4265617574792069732074727574682c20747275746820626561757479";
static const struct { unsigned seq; const char *aad, *ct; } encs[] = {
	{ 0, "436f756e742d30", "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28" },
	{ 1, "436f756e742d31", "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e85285337cc95ba5f59992dc98c" },
	{ 2, "436f756e742d32", "71146bd6795ccc9c49ce25dda112a48f202ad220559502cef1f34271e0cb4b02b4f10ecac6f48c32f878fae86b" },
	{ 255, "436f756e742d323535", "18ab939d63ddec9f6ac2b60d61d36a7375d2070c9b683861110757062c52b8880a5f6b3936da9cd6c23ef2a95c" },
};

static size_t unhex(unsigned char *out, const char *hex)
{
	size_t n = strlen(hex) / 2;
	ck_assert_int_eq(strata_enc_unhex(out, hex, n), 0);
	return n;
}

static void hex_eq(const unsigned char *got, size_t n, const char *want)
{
	char h[512];
	strata_enc_hex(h, got, n);
	ck_assert_str_eq(h, want);
}

START_TEST(rfc9180_a21_sender)
{
	unsigned char skE[32], pkR[32], enc[32], inf[64], p[64], a[16];
	size_t infolen = unhex(inf, info), plen = unhex(p, pt);
	strata_hpke_ctx c;
	unhex(skE, skEm);
	unhex(pkR, pkRm);
	ck_assert_int_eq(strata_hpke_setup_sender(&c, enc, pkR, inf, infolen, skE), 0);
	hex_eq(enc, 32, pkEm);
	hex_eq(c.key, 32, key);
	hex_eq(c.base_nonce, 12, base_nonce);
	for (size_t i = 0; i < sizeof(encs) / sizeof(*encs); i++) {
		strata_buf ct = STRATA_BUF_INIT;
		size_t alen = unhex(a, encs[i].aad);
		while (c.seq < encs[i].seq) {	/* the RFC lists seq 0, 1, 2 and 255 */
			strata_buf skip = STRATA_BUF_INIT;
			ck_assert_int_eq(strata_hpke_seal(&c, &skip, "", 0, "", 0), 0);
			strata_buf_dispose(&skip);
		}
		ck_assert_int_eq(strata_hpke_seal(&c, &ct, a, alen, p, plen), 0);
		hex_eq((unsigned char *)ct.ptr, ct.len, encs[i].ct);
		strata_buf_dispose(&ct);
	}
	strata_hpke_dispose(&c);
}
END_TEST

START_TEST(rfc9180_a21_receiver)
{
	unsigned char skR[32], enc[32], inf[64], a[16], ct[128], p[64];
	size_t infolen = unhex(inf, info), plen = unhex(p, pt);
	strata_hpke_ctx c;
	strata_buf out = STRATA_BUF_INIT;
	size_t ctlen, alen;
	unhex(skR, skRm);
	unhex(enc, pkEm);
	ck_assert_int_eq(strata_hpke_setup_receiver(&c, enc, skR, inf, infolen), 0);
	hex_eq(c.key, 32, key);
	alen = unhex(a, encs[0].aad);
	ctlen = unhex(ct, encs[0].ct);
	/* altered: refused, and the context does not move */
	ct[3] ^= 1;
	ck_assert_int_eq(strata_hpke_open(&c, &out, a, alen, ct, ctlen), STRATA_EVERIFY);
	ck_assert_uint_eq(c.seq, 0);
	ct[3] ^= 1;
	ck_assert_int_eq(strata_hpke_open(&c, &out, a, alen - 1, ct, ctlen), STRATA_EVERIFY);
	ck_assert_int_eq(strata_hpke_open(&c, &out, a, alen, ct, ctlen), 0);
	ck_assert_uint_eq(out.len, plen);
	ck_assert(memcmp(out.ptr, p, plen) == 0);
	/* the same message again is out of order: refused */
	strata_buf_clear(&out);
	ck_assert_int_eq(strata_hpke_open(&c, &out, a, alen, ct, ctlen), STRATA_EVERIFY);
	strata_buf_dispose(&out);
	strata_hpke_dispose(&c);
}
END_TEST

/* An Ed25519 key's X25519 twin: the public map agrees with the private one, for many keys */
START_TEST(ed25519_to_x25519)
{
	for (int i = 0; i < 50; i++) {
		EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		unsigned char seed[32], edpub[32], xpriv[32], xpub[32], via[32];
		size_t n = 32;
		EVP_PKEY *x;
		ck_assert_ptr_nonnull(ed);
		ck_assert_int_eq(EVP_PKEY_get_raw_private_key(ed, seed, &n), 1);
		n = 32;
		ck_assert_int_eq(EVP_PKEY_get_raw_public_key(ed, edpub, &n), 1);
		strata_hpke_x25519_private(xpriv, seed);
		x = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, xpriv, 32);
		n = 32;
		ck_assert_int_eq(EVP_PKEY_get_raw_public_key(x, xpub, &n), 1);
		ck_assert_int_eq(strata_hpke_x25519_public(via, edpub), 0);
		ck_assert(memcmp(via, xpub, 32) == 0);
		EVP_PKEY_free(x);
		EVP_PKEY_free(ed);
	}
}
END_TEST

START_TEST(round_trip_and_wrong_key)
{
	unsigned char skR[32], pkR[32], other[32], enc[32];
	strata_hpke_ctx s, r;
	strata_buf ct = STRATA_BUF_INIT, pt2 = STRATA_BUF_INIT;
	EVP_PKEY *k;
	size_t n = 32;
	memset(skR, 0x42, 32);
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, skR, 32);
	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(k, pkR, &n), 1);
	EVP_PKEY_free(k);
	ck_assert_int_eq(strata_hpke_setup_sender(&s, enc, pkR, "ctx", 3, NULL), 0);
	ck_assert_int_eq(strata_hpke_seal(&s, &ct, "a", 1, "hello", 5), 0);
	memset(other, 0x43, 32);
	ck_assert_int_eq(strata_hpke_setup_receiver(&r, enc, other, "ctx", 3), 0);
	ck_assert_int_eq(strata_hpke_open(&r, &pt2, "a", 1, ct.ptr, ct.len), STRATA_EVERIFY);
	ck_assert_int_eq(strata_hpke_setup_receiver(&r, enc, skR, "ctX", 3), 0);
	ck_assert_int_eq(strata_hpke_open(&r, &pt2, "a", 1, ct.ptr, ct.len), STRATA_EVERIFY);
	ck_assert_int_eq(strata_hpke_setup_receiver(&r, enc, skR, "ctx", 3), 0);
	ck_assert_int_eq(strata_hpke_open(&r, &pt2, "a", 1, ct.ptr, ct.len), 0);
	ck_assert_str_eq(pt2.ptr, "hello");
	/* a small-order point as enc: refused */
	memset(enc, 0, 32);
	ck_assert_int_lt(strata_hpke_setup_receiver(&r, enc, skR, "ctx", 3), 0);
	strata_buf_dispose(&ct);
	strata_buf_dispose(&pt2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hpke");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, rfc9180_a21_sender);
	tcase_add_test(tc, rfc9180_a21_receiver);
	tcase_add_test(tc, ed25519_to_x25519);
	tcase_add_test(tc, round_trip_and_wrong_key);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
