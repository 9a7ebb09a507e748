/* fuzz_csv.c - the CSV reader on any bytes: rows or a clear error, never a crash. */
#include "fuzz.h"
#include "strata/format/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
	strata_csv *c = NULL;
	strata_csv_row row;

	if (!f)
		return 0;
	if (size && strata_csv_open(&c, f, "fuzz.csv") == 0)
		for (int i = 0; i < 100000 && strata_csv_next(c, &row) == 1; i++)
			;
	strata_csv_free(c);
	fclose(f);
	return 0;
}
