/*
 * spill.c - see spill.h.  Entry format (native endianness, never leaves
 * the process): hash[32] line[4] origin[1] len[4] data[len].
 */
#include "strata/spill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENTRY_HEADER 41

struct strata_spill {
	char *dir;
	FILE *f[STRATA_SPILL_BUCKETS];
};

int strata_spill_open(strata_spill **out, const char *node_path)
{
	strata_spill *s;
	strata_buf p = STRATA_BUF_INIT;
	int error = STRATA_ERROR;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return strata_error_set("out of memory");
	if (strata_buf_printf(&p, "%s/tmp", node_path) < 0)
		goto done;
	if (mkdir(p.ptr, 0700) < 0 && errno != EEXIST) {
		strata_error_sys(p.ptr);
		goto done;
	}
	if (strata_buf_puts(&p, "/spill-XXXXXX") < 0)
		goto done;
	if (mkdtemp(p.ptr) == NULL) {
		strata_error_sys(p.ptr);
		goto done;
	}
	s->dir = strata_buf_detach(&p);
	for (int i = 0; i < STRATA_SPILL_BUCKETS; i++) {
		char name[16];
		char *path;
		snprintf(name, sizeof(name), "%02x", i);
		if ((path = strata_path_join(s->dir, name)) == NULL)
			goto done;
		s->f[i] = fopen(path, "w+b");
		if (!s->f[i]) {
			strata_error_sys(path);
			free(path);
			goto done;
		}
		unlink(path);	/* anonymous: vanishes on close or crash */
		free(path);
		setvbuf(s->f[i], NULL, _IOFBF, 32768);
	}
	rmdir(s->dir);		/* empty now; the open files keep their data */
	*out = s;
	s = NULL;
	error = 0;
done:
	strata_spill_free(s);
	strata_buf_dispose(&p);
	return error;
}

void strata_spill_free(strata_spill *s)
{
	if (!s)
		return;
	for (int i = 0; i < STRATA_SPILL_BUCKETS; i++)
		if (s->f[i])
			fclose(s->f[i]);
	if (s->dir) {
		strata_rm_rf(s->dir);
		free(s->dir);
	}
	free(s);
}

int strata_spill_add(strata_spill *s, const unsigned char hash[STRATA_HASH_LEN], uint32_t line,
		     uint8_t origin, const char *data, size_t len)
{
	FILE *f = s->f[hash[0]];
	uint32_t l = (uint32_t)len;

	if (len > UINT32_MAX)
		return strata_error_set("record too large");
	if (!f || fwrite(hash, 1, STRATA_HASH_LEN, f) != STRATA_HASH_LEN ||
	    fwrite(&line, 1, 4, f) != 4 || fwrite(&origin, 1, 1, f) != 1 ||
	    fwrite(&l, 1, 4, f) != 4 || fwrite(data, 1, len, f) != len)
		return strata_error_set("cannot write temporary data under %s: %s", s->dir, strerror(errno));
	return 0;
}

long strata_spill_size(strata_spill *s, unsigned bucket)
{
	FILE *f = s->f[bucket];
	long size;
	if (!f)
		return 0;
	if (fflush(f) != 0 || (size = ftell(f)) < 0) {
		strata_error_set("cannot read temporary data: %s", strerror(errno));
		return -1;
	}
	return size;
}

int strata_spill_load(strata_spill *s, unsigned bucket, strata_buf *data, size_t base,
		      strata_trie_item **items, size_t *alloc, size_t *nout)
{
	FILE *f = s->f[bucket];
	long size;
	size_t n = base, off;

	*nout = 0;
	if (!f)
		return 0;
	if ((size = strata_spill_size(s, bucket)) < 0)
		return STRATA_ERROR;
	if (size == 0)
		return 0;
	if (fseek(f, 0, SEEK_SET) != 0)
		return strata_error_set("cannot read temporary data: %s", strerror(errno));
	if (strata_buf_grow(data, (size_t)size) < 0)
		return STRATA_ERROR;
	off = data->len;
	if (fread(data->ptr + data->len, 1, (size_t)size, f) != (size_t)size)
		return strata_error_set("cannot read temporary data: %s", strerror(errno));
	data->len += (size_t)size;
	fclose(f);
	s->f[bucket] = NULL;

	while (off < data->len) {
		strata_trie_item *it;
		if (n == *alloc) {
			size_t na = *alloc ? *alloc * 2 : 4096;
			strata_trie_item *p = realloc(*items, na * sizeof(*p));
			if (!p)
				return strata_error_set("out of memory");
			*items = p;
			*alloc = na;
		}
		it = &(*items)[n++];
		memcpy(it->hash, data->ptr + off, STRATA_HASH_LEN);
		memcpy(&it->line, data->ptr + off + 32, 4);
		it->origin = (uint8_t)data->ptr[off + 36];
		memcpy(&it->len, data->ptr + off + 37, 4);
		it->data = data->ptr + off + ENTRY_HEADER;
		off += ENTRY_HEADER + it->len;
	}
	strata_trie_sort(*items + base, n - base);
	*nout = n - base;
	return 0;
}
