/*
 * fuzz_parcel.c - the parcel archive reader and manifest parser on any
 * bytes, then the signature check on whatever parses.
 */
#include "fuzz.h"
#include "strata/format/parcel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	strata_parcel *p = NULL;
	strata_parcel_limits lim = { 1 << 16, 1 << 12, 1 << 20 };
	strata_pubkey who;

	fuzz_init();
	if (strata_parcel_parse(&p, "fuzz.parcel", data, size, &lim) == 0)
		strata_parcel_verify(p, &who);
	strata_parcel_free(p);
	return 0;
}
