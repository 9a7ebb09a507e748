/*
 * fuzz_sealed.c - the sealed parcel reader on any bytes: the tar shape,
 * the SEALED header, sizes and chunks, up to the first chunk's AEAD (with
 * a key no input was sealed to, so past it nothing opens: what a sealed
 * parcel holds inside is the parcel target's).
 */
#define _GNU_SOURCE
#include "fuzz.h"
#include "strata/format/sealed.h"

#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char keys[1][32] = { { 0x5a } };
	strata_parcel_limits lim = { 1 << 16, 1 << 12, 1 << 20 };
	int in = memfd_create("in", 0), out = memfd_create("out", 0);
	char sender[64];

	fuzz_init();
	if (in >= 0 && out >= 0 && write(in, data, size) == (ssize_t)size) {
		strata_sealed_is(in);
		strata_sealed_open_fd(in, out, "fuzz.sealed", "st-fuzz", keys, 1, sender, &lim);
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	strata_error_clear();
	return 0;
}
