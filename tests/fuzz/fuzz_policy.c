/* fuzz_policy.c - the policy YAML parser on any bytes. */
#include "fuzz.h"
#include "strata/policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	strata_policy *p = NULL;

	strata_policy_parse(&p, "fuzz.yaml", (const char *)data, size);
	strata_policy_free(p);
	return 0;
}
