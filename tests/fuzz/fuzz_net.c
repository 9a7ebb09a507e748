/*
 * fuzz_net.c - what the node process parses from the network process: the
 * framed message, and a pull's state body (sequence and have lines).
 */
#include "fuzz.h"
#include "strata/format/msg.h"
#include "strata/replica/link.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	strata_msg m;
	strata_link_side s;
	char str[64];
	uint64_t v;

	if (strata_msg_parse(&m, data, size) == 0) {
		for (unsigned t = 0; t < STRATA_MSG_FIELDS; t++) {
			strata_msg_str(str, sizeof(str), &m, t);
			strata_msg_u64(&v, &m, t);
		}
	}
	strata_msg_dispose(&m);
	if (strata_link_state_parse(&s, (const char *)data, size, 64) == 0)
		free(s.refs);
	return 0;
}
