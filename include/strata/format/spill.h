/*
 * spill.h - 256 temporary buckets of records keyed by hash.
 *
 * Whatever streams records in any order (import, view building) appends
 * them here by the first byte of their key hash, then reads one bucket at
 * a time in hash order.  Buckets stay in memory up to 8 MiB in all, then
 * move to files under NODE/tmp, unlinked as soon as they are opened, so a
 * crash leaves nothing behind: memory is bounded by that cap plus one
 * bucket, not by the data.
 */
#ifndef STRATA_SPILL_H
#define STRATA_SPILL_H

#include "strata/format/trie.h"

#define STRATA_SPILL_BUCKETS 256

typedef struct strata_spill strata_spill;

int strata_spill_open(strata_spill **out, const char *node_path);
int strata_spill_add(strata_spill *s, const unsigned char hash[STRATA_HASH_LEN], uint32_t line,
		     uint8_t origin, const char *data, size_t len);
/* Bytes in a bucket so far, or -1 (error set). */
long strata_spill_size(strata_spill *s, unsigned bucket);
/*
 * Reads a bucket (once) into `data` and appends its records to *items
 * after the first `base` entries, sorted by (hash, origin, line); *n gets
 * how many were added.  Items point into `data`: reserve its size first
 * (strata_spill_size) if it already holds earlier buckets.
 */
int strata_spill_load(strata_spill *s, unsigned bucket, strata_buf *data, size_t base,
		      strata_trie_item **items, size_t *alloc, size_t *n);
/*
 * Bucket `bucket` of each of `n` spills (one per producing thread) into
 * `data` (cleared, reserved first so items never point into a moved
 * buffer) and *items, sorted by hash, then origin, then line; *nout gets
 * the count.
 */
int strata_spill_load_all(strata_spill **spills, int n, unsigned bucket, strata_buf *data,
			  strata_trie_item **items, size_t *alloc, size_t *nout);
void strata_spill_free(strata_spill *s);

#endif
