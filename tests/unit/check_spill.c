/* check_spill.c - buckets in memory, then on disk past the cap; all records back, sorted */
#include "fixture.h"
#include "strata/format/spill.h"

#include <dirent.h>

static size_t roundtrip(size_t n, size_t len, int *went_to_disk)
{
	strata_spill *s = NULL;
	strata_buf data = STRATA_BUF_INIT;
	strata_trie_item *items = NULL;
	size_t alloc = 0, total = 0;
	char *rec = malloc(len);
	unsigned seed = 1;

	memset(rec, 'r', len);
	ck_assert_int_eq(strata_spill_open(&s, fx_dir), 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char h[STRATA_HASH_LEN];
		for (int k = 0; k < STRATA_HASH_LEN; k++)
			h[k] = (unsigned char)rand_r(&seed);
		ck_assert_int_eq(strata_spill_add(s, h, (uint32_t)i, 1, rec, len), 0);
	}
	{
		char p[1100];
		DIR *d;
		snprintf(p, sizeof(p), "%s/tmp", fx_dir);
		*went_to_disk = (d = opendir(p)) != NULL;
		if (d)
			closedir(d);
	}
	for (unsigned b = 0; b < STRATA_SPILL_BUCKETS; b++) {
		size_t got;
		strata_buf_clear(&data);
		ck_assert_int_eq(strata_spill_load(s, b, &data, 0, &items, &alloc, &got), 0);
		for (size_t i = 0; i < got; i++) {
			ck_assert_uint_eq(items[i].hash[0], b);
			ck_assert_uint_eq(items[i].len, len);
			ck_assert(items[i].data[0] == 'r' && items[i].data[len - 1] == 'r');
			if (i)
				ck_assert_int_le(memcmp(items[i - 1].hash, items[i].hash, STRATA_HASH_LEN), 0);
		}
		total += got;
	}
	strata_spill_free(s);
	strata_buf_dispose(&data);
	free(items);
	free(rec);
	return total;
}

START_TEST(small_sets_stay_in_memory)
{
	int disk;
	ck_assert_uint_eq(roundtrip(5000, 100, &disk), 5000);
	ck_assert_int_eq(disk, 0);
}
END_TEST

START_TEST(large_sets_go_to_disk_and_come_back)
{
	int disk;
	ck_assert_uint_eq(roundtrip(30000, 400, &disk), 30000);	/* ~13 MB > 8 MiB */
	ck_assert_int_eq(disk, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spill");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, small_sets_stay_in_memory);
	tcase_add_test(tc, large_sets_go_to_disk_and_come_back);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
