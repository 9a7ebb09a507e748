/* fuzz_jsonl.c - the JSON Lines reader on any bytes. */
#include "fuzz.h"
#include "strata/format/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
	strata_jsonl *j = NULL;
	strata_csv_row row;

	if (!f)
		return 0;
	if (size && strata_json_lines_open(&j, f, "fuzz.jsonl") == 0)
		for (int i = 0; i < 100000 && strata_json_lines_next(j, &row) == 1; i++)
			;
	strata_json_lines_free(j);
	fclose(f);
	return 0;
}
