/*
 * fuzz_rotation.c - key rotation statements on any bytes: the splitter,
 * the strict parser and both signatures, and the chain from a key.
 */
#include "fuzz.h"
#include "strata/format/rotation.h"

#include <string.h>

static int parse_one(const char *text, size_t len, void *payload)
{
	strata_rotation r;
	(void)payload;
	strata_rotation_parse(&r, text, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	strata_rotation chain[8];
	strata_pubkey from, to;
	size_t n;

	fuzz_init();
	memset(&from, 1, sizeof(from));
	memset(&to, 2, sizeof(to));
	strata_rotation_foreach((const char *)data, size, parse_one, NULL);
	strata_rotation_chain((const char *)data, size, "cn-fuzz", &from, &to, 1800000000, chain, 8, &n);
	strata_error_clear();
	return 0;
}
