/* fuzz_record.c - a received record line: the strict parser and the field scanner agree. */
#include "fuzz.h"
#include "strata/format/json.h"
#include "strata/format/schema.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	strata_record *r = NULL;
	strata_buf v = STRATA_BUF_INIT;
	int ok = strata_json_record_parse(&r, (const char *)data, size) == 0;

	if (ok && r->n > 0) {
		/* every parsed field is found by the scanner, with the same value */
		int found = strata_json_record_field(&v, (const char *)data, size, r->names[0]);
		if (found != 1 || v.len != r->lens[0] || (v.len && memcmp(v.ptr, r->values[0], v.len)))
			__builtin_trap();
	}
	strata_json_record_free(r);
	strata_buf_dispose(&v);
	{
		strata_schema *s = NULL;
		strata_schema_parse(&s, (const char *)data, size);
		strata_schema_free(s);
	}
	return 0;
}
