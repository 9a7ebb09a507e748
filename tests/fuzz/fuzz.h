/*
 * fuzz.h - what every fuzz target shares.  A target defines
 * LLVMFuzzerTestOneInput; built with clang -fsanitize=fuzzer it fuzzes
 * (make fuzz), built with replay.c it replays its committed corpus as a
 * regression test (make check).
 */
#ifndef STRATA_FUZZ_H
#define STRATA_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <git2.h>
#include "strata/base/error.h"
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* libgit2 initialised once per process */
static inline void fuzz_init(void)
{
	static int done;
	if (!done) {
		git_libgit2_init();
		done = 1;
	}
}
#endif
