/* fuzz_sshsig.c - armored SSH signatures and public key lines on any bytes. */
#include "fuzz.h"
#include "strata/format/sign.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	strata_pubkey pk;
	char line[512];

	strata_sign_sshsig_verify(&pk, (const char *)data, size, "git", "data", 4);
	if (size < sizeof(line)) {
		memcpy(line, data, size);
		line[size] = '\0';
		strata_sign_pubkey_parse(&pk, line);
	}
	return 0;
}
