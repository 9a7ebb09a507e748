/*
 * pack.c - a minimal pack and index (v2) writer; see pack.h.
 *
 * Pack: "PACK", version 2, object count, then per object a type/size
 * varint header and the zlib stream of its content, then the SHA-1 of all
 * that.  The count is unknown until the end, so it is patched in and the
 * file re-read to compute the trailer (cheap next to deflate).
 * Index v2: fanout, sorted ids, CRC-32s, 31-bit offsets (+64-bit table),
 * pack checksum, index checksum.
 */
#include "strata/format/pack.h"
#include "strata/base/array.h"
#include "strata/base/fs.h"
#include "strata/base/enc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <pthread.h>

#include <openssl/evp.h>
#include <zlib.h>

typedef struct {
	git_oid oid;
	uint64_t offset;
	uint32_t crc;
} pack_entry;

/* A queued object: deflated and appended by a worker thread. */
typedef struct job {
	struct job *next;
	git_object_t type;
	git_oid oid;
	size_t len;
	unsigned char data[];
} job;

/* a pack being written, until its commit renames it into place */
#define TMP_PREFIX "tmp_strata_"
#define MAX_WORKERS 8
#define QUEUE_MAX_BYTES ((size_t)32 << 20)
#define DIRECT_MIN ((size_t)1 << 20)

struct strata_packw {
	git_odb *odb;		/* objects to skip, or NULL */
	int own_odb;
	char *dir;		/* objects/pack */
	char *tmp_path;
	char name[41];		/* the committed pack's, or "" */
	int fd;
	int level;
	/* ids already in this pack (caller's thread only), for dedup */
	git_oid *ids;
	size_t nids, ids_alloc;
	size_t *slots;
	size_t nslots;
	/* shared with the workers, under `lock` */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* workers wait here for a job */
	pthread_cond_t space;		/* the caller waits here for room in the queue */
	job *head, *tail;
	size_t queued_bytes;
	int stopping;
	int werror;		/* first worker error */
	char werrmsg[256];
	uint64_t offset;
	pack_entry *entries;
	size_t n, alloc;
	pthread_t workers[MAX_WORKERS];
	int nworkers;
	int committed;
};

static const char *type_name(git_object_t t)
{
	switch (t) {
	case GIT_OBJECT_BLOB: return "blob";
	case GIT_OBJECT_TREE: return "tree";
	case GIT_OBJECT_COMMIT: return "commit";
	case GIT_OBJECT_TAG: return "tag";
	default: return NULL;
	}
}

int strata_pack_object_id(git_oid *oid, git_object_t type, const void *data, size_t len)
{
	char hdr[64];
	int hlen;
	EVP_MD_CTX *ctx;
	unsigned int mdlen;
	int ok;

	if (!type_name(type))
		return strata_error_set("unknown object type");
	hlen = snprintf(hdr, sizeof(hdr), "%s %zu", type_name(type), len) + 1;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return strata_error_set("out of memory");
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, hdr, (size_t)hlen) == 1 &&
	     EVP_DigestUpdate(ctx, data, len) == 1 &&
	     EVP_DigestFinal_ex(ctx, oid->id, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : strata_error_ssl("SHA-1 failed");
}

static int write_all(int fd, const void *buf, size_t len, const char *path)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return strata_error_sys(path);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *worker_main(void *arg);

/* A writer into pack directory `dir`; what `odb` (may be NULL; freed with the writer if `own`) holds is skipped. */
static int writer_new(strata_packw **out, const char *dir, git_odb *odb, int own, int level)
{
	strata_packw *w;
	static const unsigned char hdr[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0 };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int error = STRATA_ERROR;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		if (own)
			git_odb_free(odb);
		return strata_error_set("out of memory");
	}
	w->fd = -1;
	w->level = level;
	w->odb = odb;
	w->own_odb = own;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_cond_init(&w->space, NULL);
	if ((w->dir = strdup(dir)) == NULL ||
	    (w->tmp_path = strata_fs_path_join(w->dir, TMP_PREFIX "XXXXXX")) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if ((error = strata_fs_mkdir_p(w->dir, 0755)) < 0)
		goto done;
	if ((w->fd = mkstemp(w->tmp_path)) < 0) {
		error = strata_error_sys(w->tmp_path);
		goto done;
	}
	if ((error = write_all(w->fd, hdr, sizeof(hdr), w->tmp_path)) < 0)
		goto done;
	w->offset = sizeof(hdr);
	w->nslots = 1024;
	if ((w->slots = calloc(w->nslots, sizeof(size_t))) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if (cores < 1)
		cores = 1;
	w->nworkers = cores > MAX_WORKERS ? MAX_WORKERS : (int)cores;
	for (int i = 0; i < w->nworkers; i++)
		if (pthread_create(&w->workers[i], NULL, worker_main, w) != 0) {
			w->nworkers = i;
			error = strata_error_set("cannot start a compression thread");
			goto done;
		}
	*out = w;
	w = NULL;
	error = 0;
done:
	strata_pack_writer_free(w);
	return error;
}

int strata_pack_writer_new(strata_packw **out, git_repository *repo, int level)
{
	git_odb *odb = NULL;
	char *dir;
	int error;

	*out = NULL;
	if (git_repository_odb(&odb, repo) < 0)
		return strata_error_git("cannot open object database");
	if ((dir = strata_fs_path_join(git_repository_path(repo), "objects/pack")) == NULL) {
		git_odb_free(odb);
		return STRATA_ERROR;
	}
	error = writer_new(out, dir, odb, 1, level);
	free(dir);
	return error;
}

int strata_pack_writer_new_in(strata_packw **out, const char *dir, git_odb *skip, int level)
{
	return writer_new(out, dir, skip, 0, level);
}

static size_t slot_of(const git_oid *oid, size_t nslots)
{
	size_t h;
	memcpy(&h, oid->id, sizeof(h));
	return h & (nslots - 1);
}

/* slots hold index+1 into w->ids; 0 is empty */
static int set_contains(strata_packw *w, const git_oid *oid)
{
	for (size_t i = slot_of(oid, w->nslots); w->slots[i]; i = (i + 1) & (w->nslots - 1))
		if (git_oid_equal(&w->ids[w->slots[i] - 1], oid))
			return 1;
	return 0;
}

static void set_insert(size_t *slots, size_t nslots, const git_oid *ids, size_t idx)
{
	size_t i = slot_of(&ids[idx], nslots);
	while (slots[i])
		i = (i + 1) & (nslots - 1);
	slots[i] = idx + 1;
}

static int set_grow(strata_packw *w)
{
	size_t n = w->nslots * 2;
	size_t *s = calloc(n, sizeof(size_t));
	if (!s)
		return strata_error_set("out of memory");
	for (size_t i = 0; i < w->nids; i++)
		set_insert(s, n, w->ids, i);
	free(w->slots);
	w->slots = s;
	w->nslots = n;
	return 0;
}

/* Deflates one object and appends it to the pack; runs on a worker. */
/* An entry's type and size varint; returns its length. */
static size_t entry_header(unsigned char hdr[16], git_object_t type, size_t sz)
{
	size_t hlen = 0;

	hdr[hlen] = (unsigned char)((int)type << 4 | (sz & 15));
	sz >>= 4;
	while (sz) {
		hdr[hlen++] |= 0x80;
		hdr[hlen] = sz & 0x7f;
		sz >>= 7;
	}
	return hlen + 1;
}

/*
 * An object of DIRECT_MIN bytes or more: deflated by the caller straight
 * into the pack, 64 KiB at a time, under the lock, so that neither a copy
 * of it nor a buffer of its compressed size is ever held.
 */
static int write_direct(strata_packw *w, git_object_t type, const void *data, size_t len, const git_oid *oid)
{
	unsigned char hdr[16], out[65536];
	size_t hlen = entry_header(hdr, type, len);
	z_stream zs = { 0 };
	uint64_t start;
	uLong crc;
	int zr = Z_OK, error;

	if (deflateInit(&zs, w->level) != Z_OK)
		return strata_error_set("zlib init failed");
	pthread_mutex_lock(&w->lock);
	start = w->offset;
	if ((error = strata_array_grow(&w->entries, &w->alloc, w->n + 1, 1024)) < 0 ||
	    (error = write_all(w->fd, hdr, hlen, w->tmp_path)) < 0)
		goto unlock;
	crc = crc32(0, hdr, (uInt)hlen);
	w->offset += hlen;
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	while (zr != Z_STREAM_END) {
		size_t n;
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		zr = deflate(&zs, Z_FINISH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			error = strata_error_set("zlib deflate failed (%d)", zr);
			goto unlock;
		}
		n = sizeof(out) - zs.avail_out;
		crc = crc32(crc, out, (uInt)n);
		if ((error = write_all(w->fd, out, n, w->tmp_path)) < 0)
			goto unlock;
		w->offset += n;
	}
	w->entries[w->n].oid = *oid;
	w->entries[w->n].offset = start;
	w->entries[w->n++].crc = (uint32_t)crc;
unlock:
	if (error && !w->werror) {
		w->werror = error;	/* the pack is half-written: it will not be committed */
		snprintf(w->werrmsg, sizeof(w->werrmsg), "%s", strata_error_last());
	}
	pthread_mutex_unlock(&w->lock);
	deflateEnd(&zs);
	return error;
}

static int write_object(strata_packw *w, z_stream *zs, unsigned char **zbuf, size_t *zsize, const job *j)
{
	unsigned char hdr[16];
	size_t hlen, sz = j->len;
	pack_entry *e;
	uLong crc;
	int zr, error = 0;

	hlen = entry_header(hdr, j->type, sz);
	if (*zsize < deflateBound(zs, j->len) + 64) {
		size_t want = deflateBound(zs, j->len) + 64;
		unsigned char *p = realloc(*zbuf, want);
		if (!p)
			return strata_error_set("out of memory");
		*zbuf = p;
		*zsize = want;
	}
	/* deflated after 16 bytes of room, where the header goes: one write an object */
	deflateReset(zs);
	zs->next_in = (Bytef *)j->data;
	zs->avail_in = (uInt)j->len;
	zs->next_out = *zbuf + 16;
	zs->avail_out = (uInt)(*zsize - 16);
	if ((zr = deflate(zs, Z_FINISH)) != Z_STREAM_END)
		return strata_error_set("zlib deflate failed (%d)", zr);
	memcpy(*zbuf + 16 - hlen, hdr, hlen);
	crc = crc32(0, *zbuf + 16 - hlen, (uInt)(hlen + zs->total_out));

	pthread_mutex_lock(&w->lock);
	if ((error = strata_array_grow(&w->entries, &w->alloc, w->n + 1, 1024)) < 0)
		goto unlock;
	if (write_all(w->fd, *zbuf + 16 - hlen, hlen + zs->total_out, w->tmp_path) < 0) {
		error = STRATA_ERROR;
		goto unlock;
	}
	e = &w->entries[w->n++];
	e->oid = j->oid;
	e->offset = w->offset;
	e->crc = (uint32_t)crc;
	w->offset += hlen + zs->total_out;
unlock:
	pthread_mutex_unlock(&w->lock);
	return error;
}

static void *worker_main(void *arg)
{
	strata_packw *w = arg;
	unsigned char *zbuf = NULL;
	size_t zsize = 0;
	z_stream zs = { 0 };	/* zalloc, zfree, opaque must be Z_NULL */
	int ready = deflateInit(&zs, w->level) == Z_OK;

	for (;;) {
		job *j;
		int error;

		pthread_mutex_lock(&w->lock);
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->head) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		j = w->head;
		w->head = j->next;
		if (!w->head)
			w->tail = NULL;
		pthread_mutex_unlock(&w->lock);

		error = ready ? write_object(w, &zs, &zbuf, &zsize, j) : strata_error_set("zlib init failed");

		pthread_mutex_lock(&w->lock);
		w->queued_bytes -= j->len;
		if (error && !w->werror) {
			w->werror = error;
			snprintf(w->werrmsg, sizeof(w->werrmsg), "%s", strata_error_last());
		}
		if (error || w->queued_bytes <= QUEUE_MAX_BYTES)
			pthread_cond_signal(&w->space);
		pthread_mutex_unlock(&w->lock);
		free(j);
	}
	if (ready)
		deflateEnd(&zs);
	free(zbuf);
	return NULL;
}

/* The first worker error, as this thread's error. */
static int worker_error(strata_packw *w)
{
	int error;
	pthread_mutex_lock(&w->lock);
	error = w->werror;
	if (error)
		strata_error_set("%s", w->werrmsg);
	pthread_mutex_unlock(&w->lock);
	return error;
}

int strata_pack_writer_add(strata_packw *w, git_object_t type, const void *data,
		     size_t len, git_oid *oid)
{
	job *j;
	int rc;

	if ((rc = strata_pack_object_id(oid, type, data, len)) < 0)
		return rc;
	/* no refresh: a miss would re-read objects/pack for every new object */
	if (set_contains(w, oid) || (w->odb && git_odb_exists_ext(w->odb, oid, GIT_ODB_LOOKUP_NO_REFRESH)))
		return 0;
	if (worker_error(w))
		return STRATA_ERROR;

	if (strata_array_grow(&w->ids, &w->ids_alloc, w->nids + 1, 1024) < 0)
		return STRATA_ERROR;
	w->ids[w->nids++] = *oid;
	if (w->nids * 2 > w->nslots && set_grow(w) < 0)
		return STRATA_ERROR;
	set_insert(w->slots, w->nslots, w->ids, w->nids - 1);

	if (len >= DIRECT_MIN)
		return write_direct(w, type, data, len, oid);
	if ((j = malloc(sizeof(*j) + len)) == NULL)
		return strata_error_set("out of memory");
	j->next = NULL;
	j->type = type;
	j->oid = *oid;
	j->len = len;
	memcpy(j->data, data, len);

	pthread_mutex_lock(&w->lock);
	while (w->queued_bytes > QUEUE_MAX_BYTES && !w->werror)
		pthread_cond_wait(&w->space, &w->lock);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->queued_bytes += len;
	pthread_cond_signal(&w->cond);	/* one job: one worker */
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* Lets the workers drain the queue and exit. */
static void stop_workers(strata_packw *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < w->nworkers; i++)
		pthread_join(w->workers[i], NULL);
	w->nworkers = 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return git_oid_cmp(&((const pack_entry *)a)->oid, &((const pack_entry *)b)->oid);
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int finish_pack(strata_packw *w, unsigned char *sum)
{
	unsigned char cnt[4], buf[65536];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int mdlen;
	ssize_t n;
	int error = STRATA_ERROR;

	put32(cnt, (uint32_t)w->n);
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1) {
		error = strata_error_ssl("SHA-1 init failed");
		goto done;
	}
	if (pwrite(w->fd, cnt, 4, 8) != 4 || lseek(w->fd, 0, SEEK_SET) != 0) {
		error = strata_error_sys(w->tmp_path);
		goto done;
	}
	while ((n = read(w->fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	if (n < 0) {
		error = strata_error_sys(w->tmp_path);
		goto done;
	}
	EVP_DigestFinal_ex(ctx, sum, &mdlen);
	if ((error = write_all(w->fd, sum, 20, w->tmp_path)) < 0)
		goto done;
	if ((error = strata_fs_fsync(w->fd)) < 0) {
		error = strata_error_sys(w->tmp_path);
		goto done;
	}
	error = 0;
done:
	EVP_MD_CTX_free(ctx);
	return error;
}

static int write_index(strata_packw *w, const char *path, const unsigned char *packsum)
{
	strata_buf idx = STRATA_BUF_INIT;
	unsigned char tmp[8], sum[20];
	uint32_t fanout[256] = { 0 };
	size_t nlarge = 0;
	unsigned int mdlen;
	int error = STRATA_ERROR;

	qsort(w->entries, w->n, sizeof(*w->entries), cmp_entry);
	for (size_t i = 0; i < w->n; i++)
		fanout[w->entries[i].oid.id[0]]++;
	for (int i = 1; i < 256; i++)
		fanout[i] += fanout[i - 1];

	if ((error = strata_buf_put(&idx, "\377tOc", 4)) < 0 || (error = strata_buf_put_u32be(&idx, 2)) < 0)
		goto done;
	for (int i = 0; i < 256; i++)
		if ((error = strata_buf_put_u32be(&idx, fanout[i])) < 0)
			goto done;
	for (size_t i = 0; i < w->n; i++)
		if ((error = strata_buf_put(&idx, w->entries[i].oid.id, 20)) < 0)
			goto done;
	for (size_t i = 0; i < w->n; i++)
		if ((error = strata_buf_put_u32be(&idx, w->entries[i].crc)) < 0)
			goto done;
	for (size_t i = 0; i < w->n; i++) {
		uint64_t off = w->entries[i].offset;
		uint32_t v = off < 0x80000000u ? (uint32_t)off : (uint32_t)(0x80000000u | nlarge++);
		if ((error = strata_buf_put_u32be(&idx, v)) < 0)
			goto done;
	}
	for (size_t i = 0; i < w->n; i++) {
		uint64_t off = w->entries[i].offset;
		if (off < 0x80000000u)
			continue;
		put32(tmp, (uint32_t)(off >> 32));
		put32(tmp + 4, (uint32_t)off);
		if ((error = strata_buf_put(&idx, tmp, 8)) < 0)
			goto done;
	}
	if ((error = strata_buf_put(&idx, packsum, 20)) < 0)
		goto done;
	if (EVP_Digest(idx.ptr, idx.len, sum, &mdlen, EVP_sha1(), NULL) != 1) {
		error = strata_error_ssl("SHA-1 failed");
		goto done;
	}
	if ((error = strata_buf_put(&idx, sum, 20)) < 0)
		goto done;
	error = strata_fs_write_atomic(path, idx.ptr, idx.len, 0444);
done:
	strata_buf_dispose(&idx);
	return error;
}

int strata_pack_writer_commit(strata_packw *w)
{
	unsigned char sum[20];
	char hex[41];
	strata_buf pack = STRATA_BUF_INIT, idx = STRATA_BUF_INIT;
	int error = STRATA_ERROR;

	stop_workers(w);
	if (worker_error(w))
		return STRATA_ERROR;
	if (w->n == 0) {
		w->committed = 1;
		unlink(w->tmp_path);
		return 0;
	}
	if (finish_pack(w, sum) < 0)
		goto done;
	strata_enc_hex(hex, sum, 20);
	memcpy(w->name, hex, sizeof(w->name));
	if ((error = strata_buf_printf(&pack, "%s/pack-%s.pack", w->dir, hex)) < 0 ||
	    (error = strata_buf_printf(&idx, "%s/pack-%s.idx", w->dir, hex)) < 0)
		goto done;
	if (fchmod(w->fd, 0444) < 0 || rename(w->tmp_path, pack.ptr) < 0) {
		error = strata_error_sys(pack.ptr);
		goto done;
	}
	w->committed = 1;
	if ((error = write_index(w, idx.ptr, sum)) < 0)
		goto done;
	if ((error = strata_fs_fsync_dir(w->dir)) < 0)
		goto done;
	if (w->odb && git_odb_refresh(w->odb) < 0) {
		error = strata_error_git("cannot refresh object database");
		goto done;
	}
	error = 0;
done:
	strata_buf_dispose(&pack);
	strata_buf_dispose(&idx);
	return error;
}

const char *strata_pack_writer_name(const strata_packw *w)
{
	return w->name;
}

void strata_pack_writer_free(strata_packw *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);	/* an aborted pack: drop what is queued */
	while (w->head) {
		job *j = w->head;
		w->head = j->next;
		free(j);
	}
	w->tail = NULL;
	pthread_mutex_unlock(&w->lock);
	stop_workers(w);
	if (w->fd >= 0)
		close(w->fd);
	if (!w->committed && w->tmp_path)
		unlink(w->tmp_path);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	pthread_cond_destroy(&w->space);
	if (w->own_odb)
		git_odb_free(w->odb);
	free(w->entries);
	free(w->ids);
	free(w->slots);
	free(w->dir);
	free(w->tmp_path);
	free(w);
}

void strata_pack_remove_leftovers(const char *pack_dir)
{
	DIR *d = opendir(pack_dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		char *p;
		if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) ||
		    (p = strata_fs_path_join(pack_dir, e->d_name)) == NULL)
			continue;
		strata_fs_rm_rf(p);
		free(p);
	}
	if (d)
		closedir(d);
	strata_error_clear();
}
