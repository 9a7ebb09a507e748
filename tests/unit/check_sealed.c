/* check_sealed.c - sealed parcel files: round trips of many sizes, the header, every change refused */
#include "fixture.h"
#include "strata/format/sealed.h"
#include "strata/base/hpke.h"

#include <fcntl.h>
#include <unistd.h>
#include <openssl/evp.h>

static unsigned char sk[32], pk[32], other[32];

static void keys(void)
{
	EVP_PKEY *k;
	size_t n = 32;
	memset(sk, 0x11, 32);
	memset(other, 0x22, 32);
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, 32);
	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(k, pk, &n), 1);
	EVP_PKEY_free(k);
}

static int file_of(const strata_buf *b)
{
	const char *p = fx_path("f.sealed");
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b->ptr, b->len), (ssize_t)b->len);
	return fd;
}

/* Opens `b` for st-b with `key`; the plain text into `out`. */
static int open_it(const strata_buf *b, const unsigned char *key, strata_buf *out, char sender[64])
{
	unsigned char ks[2][32];
	strata_parcel_limits lim;
	int in = file_of(b), o = open(fx_path("f.out"), O_RDWR | O_CREAT | O_TRUNC, 0600), rc;
	off_t end;
	memcpy(ks[0], other, 32);	/* a wrong key first: the right one is found among several */
	memcpy(ks[1], key, 32);
	strata_parcel_limits_default(&lim);
	rc = strata_sealed_open_fd(in, o, "f.sealed", "st-b", (const unsigned char (*)[32])ks, 2, sender, &lim);
	end = lseek(o, 0, SEEK_END);
	strata_buf_clear(out);
	if (end > 0) {
		ck_assert_int_eq(strata_buf_grow(out, (size_t)end + 1), 0);
		ck_assert_int_eq(pread(o, out->ptr, (size_t)end, 0), end);
		out->len = (size_t)end;
	}
	close(in);
	close(o);
	return rc;
}

START_TEST(round_trips)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 200000 };
	keys();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		strata_buf plain = STRATA_BUF_INIT, sealed = STRATA_BUF_INIT, out = STRATA_BUF_INIT;
		char sender[64];
		int fd;
		ck_assert_int_eq(strata_buf_grow(&plain, sizes[i] + 1), 0);
		for (size_t k = 0; k < sizes[i]; k++)
			plain.ptr[k] = (char)(k * 31 + i);
		plain.len = sizes[i];
		sealed.max = (size_t)-1;
		ck_assert_int_eq(strata_sealed_write(&sealed, plain.ptr, plain.len, "cn-a", "st-b", pk, 1700000000), 0);
		fd = file_of(&sealed);
		ck_assert_int_eq(strata_sealed_is(fd), 1);
		close(fd);
		ck_assert_msg(open_it(&sealed, sk, &out, sender) == 0, "size %zu: %s", sizes[i], strata_error_last());
		ck_assert_str_eq(sender, "cn-a");
		ck_assert_uint_eq(out.len, plain.len);
		ck_assert(plain.len == 0 || memcmp(out.ptr, plain.ptr, plain.len) == 0);
		strata_buf_dispose(&plain);
		strata_buf_dispose(&sealed);
		strata_buf_dispose(&out);
	}
}
END_TEST

START_TEST(refusals)
{
	strata_buf plain = STRATA_BUF_INIT, sealed = STRATA_BUF_INIT, out = STRATA_BUF_INIT;
	char sender[64];
	size_t hdr;
	keys();
	strata_buf_puts(&plain, "a parcel, in the clear inside");
	sealed.max = (size_t)-1;
	ck_assert_int_eq(strata_sealed_write(&sealed, plain.ptr, plain.len, "cn-a", "st-b", pk, 1700000000), 0);
	ck_assert_ptr_null(memmem(sealed.ptr, sealed.len, "in the clear", 12));
	/* for another node: by name, before any key is tried */
	{
		strata_buf other_sealed = STRATA_BUF_INIT;
		other_sealed.max = (size_t)-1;
		ck_assert_int_eq(strata_sealed_write(&other_sealed, plain.ptr, plain.len, "cn-a", "st-c", pk, 1700000000), 0);
		ck_assert_int_lt(open_it(&other_sealed, sk, &out, sender), 0);
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "sealed for 'st-c'"));
		strata_buf_dispose(&other_sealed);
	}
	/* the wrong key only */
	{
		unsigned char wrong[32];
		memset(wrong, 0x33, 32);
		ck_assert_int_eq(open_it(&sealed, wrong, &out, sender), STRATA_EVERIFY);
		ck_assert_uint_eq(out.len, 0);
	}
	/* a flipped bit anywhere in the two entries' data (ustar: each after its 512-byte header, padded to 512) */
	hdr = (size_t)((char *)memmem(sealed.ptr, sealed.len, "{\"chunk\"", 8) - sealed.ptr);
	{
		size_t hlen = (size_t)((char *)memchr(sealed.ptr + hdr, '}', sealed.len - hdr) - (sealed.ptr + hdr)) + 1;
		size_t body = (hdr + hlen + 511) / 512 * 512 + 512, blen = plain.len + 16;
		for (size_t i = 0; i < hlen + blen; i++) {
			size_t at = i < hlen ? hdr + i : body + (i - hlen);
			sealed.ptr[at] ^= 4;
			ck_assert_msg(open_it(&sealed, sk, &out, sender) < 0, "byte %zu flipped, still opened", at);
			sealed.ptr[at] ^= 4;
		}
	}
	ck_assert_int_eq(open_it(&sealed, sk, &out, sender), 0);
	strata_buf_dispose(&plain);
	strata_buf_dispose(&sealed);
	strata_buf_dispose(&out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sealed");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, round_trips);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
