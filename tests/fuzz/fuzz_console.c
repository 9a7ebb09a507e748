/*
 * fuzz_console.c - the console's request parsing on any bytes: the first
 * line is the path, the rest the query; its first byte says logged in or
 * not.  Whatever comes, the argv it gives holds no value that starts with
 * '-' where a value goes, and every argument is a string it keeps.
 */
#include "fuzz.h"
#include "console.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	strata_console_call call;
	char path[300], query[STRATA_CONSOLE_QUERY_MAX + 64], why[512], dec[512];
	const char *nl;
	size_t pl, ql;

	fuzz_init();
	if (size == 0)
		return 0;
	strata_console_decode(dec, sizeof(dec), (const char *)data, size);
	nl = memchr(data + 1, '\n', size - 1);
	pl = nl ? (size_t)(nl - (const char *)data - 1) : size - 1;
	if (pl >= sizeof(path))
		return 0;
	memcpy(path, data + 1, pl);
	path[pl] = '\0';
	ql = nl ? size - pl - 2 : 0;
	if (ql >= sizeof(query))
		ql = sizeof(query) - 1;
	if (nl)
		memcpy(query, nl + 1, ql);
	query[ql] = '\0';
	if (memchr(path, '\0', pl) || memchr(query, '\0', ql))
		return 0;	/* a request line holds no NUL: evhttp stops there */
	if (strata_console_route(&call, path, nl ? query : NULL, data[0] & 1, why, sizeof(why)) == 200) {
		if (call.argc == 0 || call.argc >= STRATA_CONSOLE_ARGS_MAX || call.argv[call.argc])
			abort();
		/* the first word is a command, never an option; no argument is empty */
		if (call.argv[0][0] == '-')
			abort();
		for (size_t i = 0; i < call.argc; i++)
			if (!call.argv[i] || !call.argv[i][0])
				abort();
	}
	strata_error_clear();
	return 0;
}
