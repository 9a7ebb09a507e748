/*
 * tarcheck.c - an untrusted tar's blocks, checked where libarchive is lenient
 * (see tarcheck.h).  libarchive reads a GNU sparse entry with an empty map
 * as a regular file, and an archive without its end blocks as complete.
 */
#include "strata/format/tarcheck.h"
#include "strata/base/error.h"
#include "strata/base/i18n.h"

#include <ctype.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 512
#define CHAIN_MAX 8		/* headers in front of one entry: pax and GNU long names */
#define PAX_MAX (64 * 1024)	/* a parcel's pax records are short */

static int read_at(const void *data, int fd, uint64_t len, uint64_t off, void *out, size_t n, const char *what)
{
	if (off > len || len - off < n)
		return strata_error_set("'%s': truncated archive header at offset %llu", what, (unsigned long long)off);
	if (data) {
		memcpy(out, (const unsigned char *)data + off, n);
		return 0;
	}
	if (pread(fd, out, n, (off_t)off) != (ssize_t)n)
		return strata_error_sys(what);
	return 0;
}

/* The size field (octal, or base-256 with the high bit set), or -1. */
static int64_t header_size(const unsigned char *h)
{
	uint64_t v = 0;
	if (h[124] & 0x80) {
		for (int i = 125; i < 136; i++) {
			if (v >> 55)
				return -1;
			v = (v << 8) | h[i];
		}
		return (h[124] & 0x7f) ? -1 : (int64_t)v;
	}
	for (int i = 124; i < 136 && h[i]; i++) {
		if (h[i] == ' ')
			continue;
		if (h[i] < '0' || h[i] > '7')
			return -1;
		v = v * 8 + (uint64_t)(h[i] - '0');
	}
	return (int64_t)v;
}

int strata_tar_entry_plain(const void *data, int fd, uint64_t len, uint64_t pos, const char *what, const char *shown)
{
	unsigned char h[BLOCK];
	char *pax = NULL;
	int error = STRATA_ERROR;

	for (int i = 0; i < CHAIN_MAX; i++) {
		int64_t size;
		char type;
		if (read_at(data, fd, len, pos, h, BLOCK, what) < 0)
			goto done;
		type = (char)h[156];
		if (type == '0' || type == '\0' || (type != 'S' && type != 'x' && type != 'g' && type != 'L' && type != 'K')) {
			error = 0;	/* a plain file; anything else is named by the caller's check on its type */
			goto done;
		}
		if (type == 'S') {
			error = strata_error_set("'%s': entry '%s' is sparse; a parcel holds plain files only", what, shown);
			goto done;
		}
		if ((size = header_size(h)) < 0) {
			error = strata_error_set("'%s': entry '%s': a malformed header size", what, shown);
			goto done;
		}
		if (type == 'x' || type == 'g') {
			if (size > PAX_MAX) {
				error = strata_error_set("'%s': entry '%s': an extended header of %lld bytes", what, shown,
							 (long long)size);
				goto done;
			}
			if ((!pax && !(pax = malloc(PAX_MAX))) || read_at(data, fd, len, pos + BLOCK, pax, (size_t)size, what) < 0) {
				error = pax ? STRATA_ERROR : strata_error_set("out of memory");
				goto done;
			}
			for (int64_t k = 0; k + 10 <= size; k++)
				if (!memcmp(pax + k, "GNU.sparse", 10)) {
					error = strata_error_set("'%s': entry '%s' is sparse; a parcel holds plain files only",
								 what, shown);
					goto done;
				}
		}
		pos += BLOCK + (((uint64_t)size + BLOCK - 1) / BLOCK) * BLOCK;
	}
	error = strata_error_set("'%s': entry '%s': more than %d headers in front of it", what, shown, CHAIN_MAX);
done:
	free(pax);
	return error;
}

int strata_tar_end_ok(const void *data, int fd, uint64_t len, uint64_t end, const char *what)
{
	/* two zero blocks end a tar; without them the archive was cut short */
	if (end > len || len - end < 2 * BLOCK)
		return strata_error_set("'%s': truncated parcel: the end-of-archive marker is missing", what);
	for (uint64_t k = end; k < len;) {
		unsigned char blk[4096];
		size_t n = len - k < sizeof(blk) ? (size_t)(len - k) : sizeof(blk);
		if (read_at(data, fd, len, k, blk, n, what) < 0)
			return STRATA_ERROR;
		for (size_t j = 0; j < n; j++)
			if (blk[j])
				return strata_error_set("'%s': unexpected data after the end of the archive (offset %llu)", what,
							(unsigned long long)(k + j));
		k += n;
	}
	return 0;
}

const char *strata_tar_printable(char *out, size_t size, const char *s)
{
	size_t k = 0;

	for (; *s && k + 5 < size && k < 64; s++)
		k += (size_t)snprintf(out + k, size - k, isprint((unsigned char)*s) ? "%c" : "\\x%02x", (unsigned char)*s);
	out[k] = '\0';
	return out;
}

const char *strata_tar_compressed_kind(const void *data, size_t len)
{
	const unsigned char *d = data;

	if (len >= 2 && d[0] == 0x1f && d[1] == 0x8b) return "gzip";
	if (len >= 3 && !memcmp(d, "BZh", 3)) return "bzip2";
	if (len >= 6 && !memcmp(d, "\xfd" "7zXZ\0", 6)) return "xz";
	if (len >= 4 && !memcmp(d, "\x28\xb5\x2f\xfd", 4)) return "zstd";
	if (len >= 2 && d[0] == 0x1f && d[1] == 0x9d) return "compress";
	return NULL;
}

int strata_tar_entry_regular(struct archive *a, struct archive_entry *e, const void *data, int fd, uint64_t len,
			     const char *what, const char *shown, const char *container)
{
	if (archive_entry_hardlink(e))
		return strata_error_set("'%s': entry '%s' is a hard link; %s holds regular files only", what, shown, container);
	if (archive_entry_filetype(e) != AE_IFREG) {
		mode_t t = archive_entry_filetype(e);
		return strata_error_set("'%s': entry '%s' is a %s; %s holds regular files only", what, shown,
					t == AE_IFLNK ? _("symbolic link") : t == AE_IFDIR ? _("directory") :
					t == AE_IFCHR || t == AE_IFBLK ? _("device") : t == AE_IFIFO ? "FIFO" :
					_("special file"), container);
	}
	/* libarchive takes a GNU sparse entry with an empty map for a regular file: its raw headers say */
	if (archive_entry_sparse_count(e) > 0)
		return strata_error_set("'%s': entry '%s' is sparse; %s holds plain files only", what, shown, container);
	return strata_tar_entry_plain(data, fd, len, (uint64_t)archive_read_header_position(a), what, shown);
}
