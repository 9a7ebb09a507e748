/*
 * spill.c - see spill.h.  Entry format (native endianness, never leaves
 * the process): hash[32] line[4] origin[1] len[4] data[len].
 */
#include "strata/format/spill.h"
#include "strata/base/array.h"
#include "strata/base/fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENTRY_HEADER 41
/*
 * Buckets stay in memory until they hold this much in all; then every
 * bucket goes to its own file, created on first use.  Small imports and
 * views never touch the disk (creating 256 files cost ~64 ms here).
 */
#define SPILL_MEM_MAX ((size_t)8 << 20)
/* Each bucket file's buffer: 256 of them, 4 MiB in all (4 KiB, the default, meant 90,000 writes a 1M-row import) */
#define SPILL_FILE_BUF 16384

struct strata_spill {
	char *node_path;
	char *dir;
	FILE *f[STRATA_SPILL_BUCKETS];
	char *fbuf[STRATA_SPILL_BUCKETS];	/* their stdio buffers: glibc ignores a size without one */
	strata_buf mem[STRATA_SPILL_BUCKETS];
	size_t mem_total;
	int on_disk;
	unsigned char loaded[STRATA_SPILL_BUCKETS];
};

int strata_spill_open(strata_spill **out, const char *node_path)
{
	strata_spill *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->node_path = strdup(node_path)) == NULL) {
		free(s);
		return strata_error_set("out of memory");
	}
	*out = s;
	return 0;
}

/* Moves every bucket to its own anonymous file under NODE/tmp. */
static int go_to_disk(strata_spill *s)
{
	strata_buf p = STRATA_BUF_INIT;
	int error = STRATA_ERROR;

	if ((error = strata_buf_printf(&p, "%s/tmp", s->node_path)) < 0)
		goto done;
	if (mkdir(p.ptr, 0700) < 0 && errno != EEXIST) {
		error = strata_error_sys(p.ptr);
		goto done;
	}
	if ((error = strata_buf_puts(&p, "/spill-XXXXXX")) < 0)
		goto done;
	if (mkdtemp(p.ptr) == NULL) {
		error = strata_error_sys(p.ptr);
		goto done;
	}
	s->dir = strata_buf_detach(&p);
	for (int i = 0; i < STRATA_SPILL_BUCKETS; i++) {
		char name[16];
		char *path;
		if (s->loaded[i])
			continue;
		snprintf(name, sizeof(name), "%02x", i);
		if ((path = strata_fs_path_join(s->dir, name)) == NULL) {
			error = STRATA_ERROR;
			goto done;
		}
		s->f[i] = fopen(path, "w+b");
		if (!s->f[i]) {
			error = strata_error_sys(path);
			free(path);
			goto done;
		}
		unlink(path);	/* anonymous: vanishes on close or crash */
		free(path);
		if ((s->fbuf[i] = malloc(SPILL_FILE_BUF)) == NULL) {
			error = strata_error_set("out of memory");
			goto done;
		}
		setvbuf(s->f[i], s->fbuf[i], _IOFBF, SPILL_FILE_BUF);
		if (s->mem[i].len && fwrite(s->mem[i].ptr, 1, s->mem[i].len, s->f[i]) != s->mem[i].len) {
			error = strata_error_set("cannot write temporary data under %s: %s", s->dir, strerror(errno));
			goto done;
		}
		strata_buf_dispose(&s->mem[i]);
	}
	rmdir(s->dir);		/* empty now; the open files keep their data */
	s->on_disk = 1;
	s->mem_total = 0;
	error = 0;
done:
	strata_buf_dispose(&p);
	return error;
}

void strata_spill_free(strata_spill *s)
{
	if (!s)
		return;
	for (int i = 0; i < STRATA_SPILL_BUCKETS; i++) {
		if (s->f[i])
			fclose(s->f[i]);
		free(s->fbuf[i]);
		strata_buf_dispose(&s->mem[i]);
	}
	free(s->node_path);
	if (s->dir) {
		strata_fs_rm_rf(s->dir);
		free(s->dir);
	}
	free(s);
}

int strata_spill_add(strata_spill *s, const unsigned char hash[STRATA_HASH_LEN], uint32_t line,
		     uint8_t origin, const char *data, size_t len)
{
	uint32_t l = (uint32_t)len;

	if (len > UINT32_MAX)
		return strata_error_set("record too large");
	if (s->loaded[hash[0]])
		return strata_error_set("spill bucket already read");
	if (!s->on_disk) {
		strata_buf *b = &s->mem[hash[0]];
		size_t before = b->len;
		if (strata_buf_put(b, hash, STRATA_HASH_LEN) < 0 || strata_buf_put(b, &line, 4) < 0 ||
		    strata_buf_put(b, &origin, 1) < 0 || strata_buf_put(b, &l, 4) < 0 ||
		    strata_buf_put(b, data, len) < 0)
			return STRATA_ERROR;
		s->mem_total += b->len - before;
		return s->mem_total > SPILL_MEM_MAX ? go_to_disk(s) : 0;
	}
	{
		FILE *f = s->f[hash[0]];
		if (!f || fwrite(hash, 1, STRATA_HASH_LEN, f) != STRATA_HASH_LEN ||
		    fwrite(&line, 1, 4, f) != 4 || fwrite(&origin, 1, 1, f) != 1 ||
		    fwrite(&l, 1, 4, f) != 4 || fwrite(data, 1, len, f) != len)
			return strata_error_set("cannot write temporary data under %s: %s", s->dir, strerror(errno));
	}
	return 0;
}

long strata_spill_size(strata_spill *s, unsigned bucket)
{
	FILE *f = s->f[bucket];
	long size;
	if (s->loaded[bucket])
		return 0;
	if (!f)
		return (long)s->mem[bucket].len;
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
	if (s->loaded[bucket])
		return 0;
	if ((size = strata_spill_size(s, bucket)) < 0)
		return STRATA_ERROR;
	s->loaded[bucket] = 1;
	if (size == 0)
		return 0;
	if (strata_buf_grow(data, (size_t)size) < 0)
		return STRATA_ERROR;
	off = data->len;
	if (f) {
		if (fseek(f, 0, SEEK_SET) != 0 ||
		    fread(data->ptr + data->len, 1, (size_t)size, f) != (size_t)size)
			return strata_error_set("cannot read temporary data: %s", strerror(errno));
		fclose(f);
		s->f[bucket] = NULL;
		free(s->fbuf[bucket]);
		s->fbuf[bucket] = NULL;
	} else {
		memcpy(data->ptr + data->len, s->mem[bucket].ptr, (size_t)size);
		strata_buf_dispose(&s->mem[bucket]);
	}
	data->len += (size_t)size;

	while (off < data->len) {
		strata_trie_item *it;
		if (strata_array_grow(items, alloc, n + 1, 4096) < 0)
			return STRATA_ERROR;
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

int strata_spill_load_all(strata_spill **spills, int n, unsigned bucket, strata_buf *data,
			  strata_trie_item **items, size_t *alloc, size_t *nout)
{
	size_t bytes = 0, total = 0;
	int error;

	*nout = 0;
	strata_buf_clear(data);
	for (int k = 0; k < n; k++) {
		long sz = strata_spill_size(spills[k], bucket);
		if (sz < 0)
			return STRATA_ERROR;
		bytes += (size_t)sz;
	}
	if ((error = strata_buf_grow(data, bytes)) < 0)
		return error;
	for (int k = 0; k < n; k++) {
		size_t got;
		if ((error = strata_spill_load(spills[k], bucket, data, total, items, alloc, &got)) < 0)
			return error;
		total += got;
	}
	if (n > 1)
		strata_trie_sort(*items, total);
	*nout = total;
	return 0;
}
