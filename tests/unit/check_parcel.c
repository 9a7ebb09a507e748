/*
 * check_parcel.c - the parcel format: a sealed parcel round-trips; every
 * cut and every flipped byte of its signed parts is refused; the manifest
 * is strict.
 */
#include "fixture.h"
#include "strata/format/parcel.h"

static strata_key *key;

static void setup(void)
{
	fx_setup();
	ck_assert_int_eq(strata_sign_key_generate(&key), 0);
}

static void teardown(void)
{
	strata_sign_key_free(key);
	fx_teardown();
}

/* A sealed parcel with two refs and a (fake but well-sized) pack. */
static void make(strata_buf *out, strata_parcel *p)
{
	static strata_parcel_ref refs[2];
	static git_oid pre[1];
	memset(p, 0, sizeof(*p));
	snprintf(p->sender, sizeof(p->sender), "cn-a");
	snprintf(p->recipient, sizeof(p->recipient), "st-b");
	p->sequence = 7;
	p->created = 1764000000;
	snprintf(refs[0].name, sizeof(refs[0].name), "residents");
	git_oid_fromstr(&refs[0].commit, "0123456789abcdef0123456789abcdef01234567");
	snprintf(refs[1].name, sizeof(refs[1].name), "cn-x/grid-events");
	git_oid_fromstr(&refs[1].commit, "89abcdef0123456789abcdef0123456789abcdef");
	refs[1].has_base = 1;
	git_oid_fromstr(&refs[1].base, "fedcba9876543210fedcba9876543210fedcba98");
	pre[0] = refs[1].base;
	p->refs = refs;
	p->nrefs = 2;
	p->prereqs = pre;
	p->nprereqs = 1;
	p->pack_objects = 3;
	strata_buf_puts(&p->pack, "PACK\0\0\0\2");
	for (int i = 0; i < 1000; i++)
		strata_buf_putc(&p->pack, (char)i);
	ck_assert_int_eq(strata_parcel_seal(p, key), 0);
	ck_assert_int_eq(strata_parcel_write(out, p), 0);
}

static void dispose(strata_parcel *p)
{
	strata_buf_dispose(&p->manifest);
	strata_buf_dispose(&p->sig);
	strata_buf_dispose(&p->pack);
}

START_TEST(roundtrip)
{
	strata_buf b = STRATA_BUF_INIT;
	strata_parcel src, *p = NULL;
	strata_pubkey who, mine;

	make(&b, &src);
	ck_assert_msg(strata_parcel_parse(&p, "t", b.ptr, b.len, NULL) == 0, "%s", strata_error_last());
	ck_assert_str_eq(p->sender, "cn-a");
	ck_assert_str_eq(p->recipient, "st-b");
	ck_assert_uint_eq(p->sequence, 7);
	ck_assert_int_eq(p->created, 1764000000);
	ck_assert_uint_eq(p->nrefs, 2);
	ck_assert_str_eq(p->refs[1].name, "cn-x/grid-events");
	ck_assert_int_eq(p->refs[1].has_base, 1);
	ck_assert_int_eq(p->refs[0].has_base, 0);
	ck_assert_uint_eq(p->nprereqs, 1);
	ck_assert_uint_eq(p->pack.len, src.pack.len);
	ck_assert_int_eq(strata_parcel_verify(p, &who), 0);
	strata_sign_key_public(&mine, key);
	ck_assert(strata_sign_pubkey_equal(&who, &mine));
	strata_parcel_free(p);
	dispose(&src);
	strata_buf_dispose(&b);
}
END_TEST

/* Every flipped byte of MANIFEST or MANIFEST.sig: a parse error or a failed signature. */
START_TEST(every_flip_refused)
{
	strata_buf b = STRATA_BUF_INIT;
	strata_parcel src, *p = NULL;
	strata_pubkey who;
	size_t spans[2][2], checked = 0;

	make(&b, &src);
	spans[0][0] = 512;
	spans[0][1] = src.manifest.len;
	spans[1][0] = 512 + (src.manifest.len + 511) / 512 * 512 + 512;
	spans[1][1] = src.sig.len;
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < spans[s][1]; i++) {
			size_t off = spans[s][0] + i;
			b.ptr[off] ^= 0xff;
			if (strata_parcel_parse(&p, "t", b.ptr, b.len, NULL) == 0) {
				ck_assert_msg(strata_parcel_verify(p, &who) < 0, "flip at %zu (entry %d byte %zu) accepted",
					      off, s, i);
				strata_parcel_free(p);
				p = NULL;
			}
			b.ptr[off] ^= 0xff;
			checked++;
		}
	ck_assert_uint_eq(checked, src.manifest.len + src.sig.len);
	/* and the pack is bound by the manifest's hash */
	for (size_t i = 0; i < src.pack.len; i += 37) {
		size_t off = spans[1][0] + (src.sig.len + 511) / 512 * 512 + 512 + i;
		b.ptr[off] ^= 0xff;
		ck_assert_int_lt(strata_parcel_parse(&p, "t", b.ptr, b.len, NULL), 0);
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "SHA-256"));
		b.ptr[off] ^= 0xff;
	}
	dispose(&src);
	strata_buf_dispose(&b);
}
END_TEST

START_TEST(every_cut_refused)
{
	strata_buf b = STRATA_BUF_INIT;
	strata_parcel src, *p = NULL;

	make(&b, &src);
	for (size_t n = 0; n < b.len; n++) {
		ck_assert_msg(strata_parcel_parse(&p, "t", b.ptr, n, NULL) < 0, "cut at %zu of %zu accepted", n, b.len);
		ck_assert_ptr_null(p);
	}
	/* and nothing may follow the end marker */
	strata_buf_puts(&b, "x");
	ck_assert_int_lt(strata_parcel_parse(&p, "t", b.ptr, b.len, NULL), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "after the end of the archive"));
	dispose(&src);
	strata_buf_dispose(&b);
}
END_TEST

/* A manifest edited by hand (and re-signed) must still be exactly the format. */
static const char *reparse(const char *from, const char *to)
{
	strata_buf b = STRATA_BUF_INIT;
	strata_parcel src, *p = NULL;
	char *at;
	static char msg[512];

	make(&b, &src);
	strata_buf_dispose(&b);
	at = strstr(src.manifest.ptr, from);
	ck_assert_msg(at != NULL, "'%s' not in manifest", from);
	{
		strata_buf m = STRATA_BUF_INIT;
		strata_buf_put(&m, src.manifest.ptr, (size_t)(at - src.manifest.ptr));
		strata_buf_puts(&m, to);
		strata_buf_puts(&m, at + strlen(from));
		strata_buf_dispose(&src.manifest);
		src.manifest = m;
	}
	strata_buf_clear(&src.sig);
	strata_sign_sshsig(&src.sig, key, STRATA_PARCEL_NAMESPACE, src.manifest.ptr, src.manifest.len);
	ck_assert_int_eq(strata_parcel_write(&b, &src), 0);
	snprintf(msg, sizeof(msg), "%s", strata_parcel_parse(&p, "t", b.ptr, b.len, NULL) == 0 ? "" : strata_error_last());
	strata_parcel_free(p);
	dispose(&src);
	strata_buf_dispose(&b);
	return msg;
}

START_TEST(manifest_strict)
{
	static const char *cases[][3] = {
		{ "\"version\": 1", "\"version\": 2", "unsupported parcel version" },
		{ "\"version\": 1", "\"version\": 1, \"extra\": 1", "unknown key 'extra'" },
		{ "\"version\": 1", "\"version\": 1, \"version\": 1", "duplicate" },
		{ "\"sequence\": 7", "\"sequence\": 0", "sequence must be a positive integer" },
		{ "\"sequence\": 7", "\"sequence\": \"7\"", "sequence must be a positive integer" },
		{ "\"sender\": \"cn-a\"", "\"sender\": \"../x\"", "invalid sender" },
		{ "\"recipient\": \"st-b\"", "\"recipient\": \"ST B\"", "invalid recipient" },
		{ "\"name\": \"residents\"", "\"name\": \"../residents\"", "refs[0]" },
		{ "\"name\": \"residents\"", "\"name\": \"cn-x/grid-events\"", "listed twice" },
		{ "\"name\": \"residents\"", "\"name\": \"a/b/c/d/e/f/g/h/i\"", "refs[0]" },
		{ "0123456789abcdef0123456789abcdef01234567", "0123456789ABCDEF0123456789abcdef01234567", "refs[0]" },
		{ "2025-11-24T16:00:00Z", "yesterday", "created must be a UTC time" },
		{ "\"objects\": 3", "\"objects\": -1", "pack must be" },
		{ "\"format\": \"strata-parcel\"", "\"format\": \"tar\"", "format is not 'strata-parcel'" },
	};
	ck_assert_str_eq(reparse("\"version\": 1", "\"version\": 1"), "");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *m = reparse(cases[i][0], cases[i][1]);
		ck_assert_msg(strstr(m, cases[i][2]) != NULL, "case %zu: wanted '%s', got '%s'", i, cases[i][2], m);
	}
}
END_TEST

START_TEST(ref_names)
{
	ck_assert(strata_parcel_ref_name_valid("residents"));
	ck_assert(strata_parcel_ref_name_valid("st-a/cn-b/grid_events"));
	ck_assert(!strata_parcel_ref_name_valid(""));
	ck_assert(!strata_parcel_ref_name_valid("a//b"));
	ck_assert(!strata_parcel_ref_name_valid("/a"));
	ck_assert(!strata_parcel_ref_name_valid("a/"));
	ck_assert(!strata_parcel_ref_name_valid(".."));
	ck_assert(!strata_parcel_ref_name_valid("a/.lock"));
	ck_assert(!strata_parcel_ref_name_valid("-a"));
	ck_assert(!strata_parcel_ref_name_valid("A"));
	ck_assert(!strata_parcel_ref_name_valid("a/b/c/d/e/f/g/h/i"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parcel");
	TCase *tc = tcase_create("format");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, every_flip_refused);
	tcase_add_test(tc, every_cut_refused);
	tcase_add_test(tc, manifest_strict);
	tcase_add_test(tc, ref_names);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
