/*
 * fuzz_procmsg.c - process messages on any bytes: the input as an
 * envelope's base64 line, and as the envelope itself (base64-encoded here,
 * so the fuzzer reaches the JSON and body checks, not only the base64).
 */
#include "fuzz.h"
#include "strata/format/procmsg.h"
#include "strata/base/enc.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	strata_procmsg *m = NULL;
	strata_buf b64 = STRATA_BUF_INIT, again = STRATA_BUF_INIT;

	fuzz_init();
	if (strata_procmsg_decode(&m, "fuzz", (const char *)data, size) == 0) {
		/* what decodes encodes again, and decodes to the same message */
		strata_procmsg *back = NULL;
		if (strata_procmsg_encode(&again, m, NULL) == 0 &&
		    strata_procmsg_decode(&back, "fuzz", again.ptr, again.len) == 0 && strcmp(back->id, m->id))
			__builtin_trap();
		strata_procmsg_free(back);
	}
	strata_procmsg_free(m);
	m = NULL;
	if (strata_enc_base64(&b64, data, size) == 0)
		strata_procmsg_decode(&m, "fuzz", b64.ptr, b64.len);
	strata_procmsg_free(m);
	strata_buf_dispose(&b64);
	strata_buf_dispose(&again);
	strata_error_clear();
	return 0;
}
