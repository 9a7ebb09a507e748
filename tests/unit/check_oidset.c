/* check_oidset.c - the object id set: each id once, through growth. */
#include "fixture.h"
#include "strata/base/oidset.h"

START_TEST(add_contains_grow)
{
	strata_oidset s = STRATA_OIDSET_INIT;
	git_oid id;
	unsigned char raw[GIT_OID_RAWSZ];

	for (unsigned i = 0; i < 100000; i++) {
		memset(raw, 0, sizeof(raw));
		memcpy(raw, &i, sizeof(i));
		raw[19] = (unsigned char)i;
		git_oid_fromraw(&id, raw);
		ck_assert_int_eq(strata_oidset_add(&s, &id), 1);
		ck_assert_int_eq(strata_oidset_add(&s, &id), 0);
	}
	ck_assert_uint_eq(s.n, 100000);
	for (unsigned i = 0; i < 100000; i += 997) {
		memset(raw, 0, sizeof(raw));
		memcpy(raw, &i, sizeof(i));
		raw[19] = (unsigned char)i;
		git_oid_fromraw(&id, raw);
		ck_assert(strata_oidset_contains(&s, &id));
		raw[19] ^= 0x80;
		git_oid_fromraw(&id, raw);
		ck_assert(!strata_oidset_contains(&s, &id));
	}
	strata_oidset_dispose(&s);
	ck_assert(!strata_oidset_contains(&s, &id));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("oidset");
	TCase *tc = tcase_create("oidset");
	tcase_add_test(tc, add_contains_grow);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
