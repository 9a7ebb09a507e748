/*
 * sealed.c - see sealed.h.
 *
 * HPKE's info is built from the header's fields, not its bytes, since the
 * header carries enc, which the setup makes: "strata-sealed-parcel 2\n"
 * SENDER "\n" RECIPIENT "\n" SIZE "\n" CHUNK "\n" SUITE.  enc is bound by
 * the KEM itself (it is in the shared secret's context), and a header with
 * any other key, or a value written another way, is refused: so every
 * byte of SEALED that could differ is covered.
 */
#include "strata/format/sealed.h"
#include "strata/base/i18n.h"
#include "strata/base/enc.h"
#include "strata/base/hpke.h"
#include "strata/format/name.h"
#include "strata/format/tarcheck.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_MAX 4096
#define FORMAT_NAME "strata-sealed-parcel"

static void chunk_aad(unsigned char aad[28], uint64_t i, int last)
{
	memcpy(aad, "strata-parcel-chunk", 19);
	for (int k = 0; k < 8; k++)
		aad[19 + k] = (unsigned char)(i >> (56 - 8 * k));
	aad[27] = (unsigned char)(last ? 1 : 0);
}

static uint64_t chunks_of(uint64_t size)
{
	return size == 0 ? 1 : (size + STRATA_SEALED_CHUNK - 1) / STRATA_SEALED_CHUNK;
}

static int info_of(strata_buf *out, const char *sender, const char *recipient, uint64_t size)
{
	return strata_buf_printf(out, FORMAT_NAME " %d\n%s\n%s\n%llu\n%d\n%s", STRATA_SEALED_VERSION, sender, recipient,
				 (unsigned long long)size, STRATA_SEALED_CHUNK, STRATA_SEALED_SUITE);
}

static la_ssize_t write_cb(struct archive *a, void *payload, const void *buf, size_t len)
{
	(void)a;
	return strata_buf_put(payload, buf, len) < 0 ? -1 : (la_ssize_t)len;
}

static int add_entry(struct archive *a, struct archive_entry *e, const char *name, const void *data, size_t len,
		     int64_t mtime)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK || (len && archive_write_data(a, data, len) != (la_ssize_t)len))
		return strata_error_set("cannot write sealed parcel: %s", archive_error_string(a));
	return 0;
}

int strata_sealed_write(strata_buf *out, const void *parcel, size_t len, const char *sender, const char *recipient,
			const unsigned char pk[32], int64_t mtime)
{
	unsigned char enc[STRATA_HPKE_ENC_LEN], aad[28];
	char hex[2 * STRATA_HPKE_ENC_LEN + 1], *header = NULL;
	strata_buf body = STRATA_BUF_INIT, info = STRATA_BUF_INIT;
	strata_hpke_ctx ctx;
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	json_t *h = NULL;
	uint64_t n = chunks_of(len);
	int error;

	memset(&ctx, 0, sizeof(ctx));
	if (!a || !e) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if ((error = info_of(&info, sender, recipient, len)) < 0 ||
	    (error = strata_hpke_setup_sender(&ctx, enc, pk, info.ptr, info.len, NULL)) < 0)
		goto done;
	body.max = (size_t)-1;
	for (uint64_t i = 0; i < n && !error; i++) {
		size_t off = (size_t)i * STRATA_SEALED_CHUNK, k = len - off < STRATA_SEALED_CHUNK ? len - off : STRATA_SEALED_CHUNK;
		chunk_aad(aad, i, i + 1 == n);
		error = strata_hpke_seal(&ctx, &body, aad, sizeof(aad), (const unsigned char *)parcel + off, k);
	}
	if (error < 0)
		goto done;
	strata_enc_hex(hex, enc, sizeof(enc));
	if (!(h = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:s, s:i}", "chunk", STRATA_SEALED_CHUNK, "enc", hex, "format",
			    FORMAT_NAME, "recipient", recipient, "sender", sender, "size", (json_int_t)len, "suite",
			    STRATA_SEALED_SUITE, "version", STRATA_SEALED_VERSION)) ||
	    !(header = json_dumps(h, JSON_SORT_KEYS | JSON_COMPACT))) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if (archive_write_set_format_ustar(a) != ARCHIVE_OK || archive_write_set_bytes_per_block(a, 512) != ARCHIVE_OK ||
	    archive_write_open(a, out, NULL, write_cb, NULL) != ARCHIVE_OK) {
		error = strata_error_set("cannot write sealed parcel: %s", archive_error_string(a));
		goto done;
	}
	if ((error = add_entry(a, e, "SEALED", header, strlen(header), mtime)) < 0 ||
	    (error = add_entry(a, e, "PARCEL", body.ptr, body.len, mtime)) < 0)
		goto done;
	if (archive_write_close(a) != ARCHIVE_OK)
		error = strata_error_set("cannot write sealed parcel: %s", archive_error_string(a));
done:
	strata_hpke_dispose(&ctx);
	free(header);
	json_decref(h);
	archive_entry_free(e);
	archive_write_free(a);
	strata_buf_dispose(&body);
	strata_buf_dispose(&info);
	return error;
}

int strata_sealed_is(int fd)
{
	unsigned char block[512];
	ssize_t n = pread(fd, block, sizeof(block), 0);

	if (n < 0)
		return strata_error_sys("cannot read the parcel");
	/* a ustar header: the name field first, NUL-padded */
	return n == (ssize_t)sizeof(block) && !memcmp(block, "SEALED", 7);
}

/* The header, strictly: exactly its keys, each of its type and form. */
static int parse_header(const char *what, const char *text, size_t len, const char *me, char sender[64],
			unsigned char enc[32], uint64_t *size, const strata_parcel_limits *lim)
{
	static const char *const keys[] = { "chunk", "enc", "format", "recipient", "sender", "size", "suite", "version" };
	json_error_t jerr;
	json_t *h = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *v;
	const char *key, *s;
	uint64_t max = (uint64_t)lim->max_manifest + lim->max_sig + lim->max_pack + 64 * 1024;
	int error = STRATA_ERROR;

	if (!json_is_object(h)) {
		strata_error_set("'%s': its SEALED header is not a JSON object", what);
		goto done;
	}
	json_object_foreach(h, key, v) {
		size_t i;
		for (i = 0; i < sizeof(keys) / sizeof(*keys) && strcmp(key, keys[i]); i++)
			;
		if (i == sizeof(keys) / sizeof(*keys)) {
			strata_error_set("'%s': its SEALED header has an unknown key '%.64s'", what, key);
			goto done;
		}
	}
	if (json_integer_value(json_object_get(h, "version")) != STRATA_SEALED_VERSION ||
	    !json_is_integer(json_object_get(h, "version"))) {
		strata_error_set("'%s': sealed parcel version %lld; this strata reads version %d", what,
				 (long long)json_integer_value(json_object_get(h, "version")), STRATA_SEALED_VERSION);
		goto done;
	}
	if (!json_is_string(json_object_get(h, "format")) || strcmp(json_string_value(json_object_get(h, "format")), FORMAT_NAME) ||
	    !json_is_string(json_object_get(h, "suite")) || strcmp(json_string_value(json_object_get(h, "suite")), STRATA_SEALED_SUITE) ||
	    !json_is_integer(json_object_get(h, "chunk")) || json_integer_value(json_object_get(h, "chunk")) != STRATA_SEALED_CHUNK) {
		strata_error_set("'%s': its SEALED header names another format, suite or chunk size", what);
		goto done;
	}
	s = json_string_value(json_object_get(h, "sender"));
	if (!s || !strata_name_node_valid(s)) {
		strata_error_set("'%s': its SEALED header names no valid sender", what);
		goto done;
	}
	snprintf(sender, 64, "%s", s);
	s = json_string_value(json_object_get(h, "recipient"));
	if (!s || !strata_name_node_valid(s)) {
		strata_error_set("'%s': its SEALED header names no valid recipient", what);
		goto done;
	}
	if (strcmp(s, me)) {
		strata_error_set("'%s': sealed for '%s', and this node is '%s': only its recipient can open it", what, s, me);
		goto done;
	}
	s = json_string_value(json_object_get(h, "enc"));
	if (!s || strlen(s) != 64 || strata_enc_unhex(enc, s, 32) < 0) {
		strata_error_set("'%s': its SEALED header has no valid enc", what);
		goto done;
	}
	v = json_object_get(h, "size");
	if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max) {
		strata_error_set("'%s': its SEALED header declares a parcel of %lld bytes, over the limit", what,
				 (long long)json_integer_value(v));
		goto done;
	}
	*size = (uint64_t)json_integer_value(v);
	error = 0;
done:
	json_decref(h);
	return error;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return strata_error_sys("cannot write the opened parcel");
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Exactly `n` bytes of the current entry into `b`. */
static int read_exact(struct archive *a, strata_buf *b, size_t n, const char *what, const char *entry)
{
	strata_buf_clear(b);
	if (strata_buf_grow(b, n + 1) < 0)
		return STRATA_ERROR;
	while (b->len < n) {
		la_ssize_t got = archive_read_data(a, b->ptr + b->len, n - b->len);
		if (got <= 0)
			return strata_error_set("'%s': entry '%s' is truncated%s%s", what, entry, got < 0 ? ": " : "",
						got < 0 ? archive_error_string(a) : "");
		b->len += (size_t)got;
	}
	b->ptr[b->len] = '\0';
	return 0;
}

/* The next entry, which must be the regular file `name` of at most `cap` bytes; its size. */
static int next_entry(struct archive *a, int fd, uint64_t flen, const char *what, const char *name, uint64_t cap, uint64_t *size)
{
	struct archive_entry *e;
	int rc = archive_read_next_header(a, &e);
	const char *got;

	if (rc == ARCHIVE_EOF)
		return strata_error_set("'%s': truncated sealed parcel: '%s' is missing", what, name);
	if (rc != ARCHIVE_OK)	/* ARCHIVE_WARN too: a malformed header */
		return strata_error_set("'%s': not a valid sealed parcel archive: %s", what,
					rc == ARCHIVE_WARN || !archive_error_string(a) ? _("malformed header") : archive_error_string(a));
	got = archive_entry_pathname(e);
	if (!got || strcmp(got, name))
		return strata_error_set("'%s': unexpected entry in a sealed parcel; expected '%s'", what, name);
	if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFREG || archive_entry_sparse_count(e) > 0)
		return strata_error_set("'%s': entry '%s' is not a plain regular file", what, name);
	if ((rc = strata_tar_entry_plain(NULL, fd, flen, (uint64_t)archive_read_header_position(a), what, name)) < 0)
		return rc;
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0 || (uint64_t)archive_entry_size(e) > cap)
		return strata_error_set("'%s': entry '%s' declares %lld bytes, over the limit of %llu", what, name,
					(long long)archive_entry_size(e), (unsigned long long)cap);
	*size = (uint64_t)archive_entry_size(e);
	return 0;
}

int strata_sealed_open_fd(int fd, int out_fd, const char *what, const char *me, const unsigned char (*sk)[32],
			  size_t nsk, char sender[64], const strata_parcel_limits *lim)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	strata_buf header = STRATA_BUF_INIT, ct = STRATA_BUF_INIT, pt = STRATA_BUF_INIT, info = STRATA_BUF_INIT;
	strata_hpke_ctx ctx;
	unsigned char enc[32], aad[28];
	uint64_t hsize, bsize, size, n, flen = 0;
	struct stat st;
	int rc, error = STRATA_ERROR;

	memset(&ctx, 0, sizeof(ctx));
	sender[0] = '\0';
	if (!a)
		return strata_error_set("out of memory");
	if (lseek(fd, 0, SEEK_SET) < 0 || fstat(fd, &st) < 0) {
		error = strata_error_sys(what);
		goto done;
	}
	flen = (uint64_t)st.st_size;
	/* tar only, no decompression filter: nothing runs on untrusted bytes but the tar reader */
	if (archive_read_support_format_tar(a) != ARCHIVE_OK || archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		error = strata_error_set("'%s': not a sealed parcel: %s", what, archive_error_string(a));
		goto done;
	}
	if ((error = next_entry(a, fd, flen, what, "SEALED", HEADER_MAX, &hsize)) < 0 ||
	    (error = read_exact(a, &header, (size_t)hsize, what, "SEALED")) < 0 ||
	    (error = parse_header(what, header.ptr, header.len, me, sender, enc, &size, lim)) < 0)
		goto done;
	n = chunks_of(size);
	if ((error = next_entry(a, fd, flen, what, "PARCEL", size + n * STRATA_HPKE_TAG_LEN, &bsize)) < 0)
		goto done;
	if (bsize != size + n * STRATA_HPKE_TAG_LEN) {
		error = strata_error_set("'%s': entry 'PARCEL' holds %llu bytes; its header says %llu", what,
					 (unsigned long long)bsize, (unsigned long long)(size + n * STRATA_HPKE_TAG_LEN));
		goto done;
	}
	if ((error = info_of(&info, sender, me, size)) < 0)
		goto done;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t k = i + 1 < n ? STRATA_SEALED_CHUNK : size - i * STRATA_SEALED_CHUNK;
		if ((error = read_exact(a, &ct, (size_t)k + STRATA_HPKE_TAG_LEN, what, "PARCEL")) < 0)
			goto done;
		chunk_aad(aad, i, i + 1 == n);
		strata_buf_clear(&pt);
		/* the first chunk says which of the node's keys it was sealed to: its current one, or one it retired */
		error = STRATA_EVERIFY;
		for (size_t j = 0; i == 0 && j < nsk && error == STRATA_EVERIFY; j++) {
			if ((error = strata_hpke_setup_receiver(&ctx, enc, sk[j], info.ptr, info.len)) < 0)
				continue;
			if ((error = strata_hpke_open(&ctx, &pt, aad, sizeof(aad), ct.ptr, ct.len)) < 0)
				strata_hpke_dispose(&ctx);
		}
		if (i > 0)
			error = strata_hpke_open(&ctx, &pt, aad, sizeof(aad), ct.ptr, ct.len);
		if (error < 0) {
			error = strata_error_setc(STRATA_EVERIFY, "'%s': sealed parcel from '%s' does not open (chunk %llu of "
						  "%llu): altered, or sealed to another key than this node's", what, sender,
						  (unsigned long long)i + 1, (unsigned long long)n);
			goto done;
		}
		if ((error = write_all(out_fd, pt.ptr, pt.len)) < 0)
			goto done;
	}
	if ((rc = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		error = strata_error_set("'%s': unexpected data after the sealed parcel's entries", what);
		goto done;
	}
	/* libarchive reads to the file's end as the archive's: the end blocks are checked here, as for a parcel */
	if ((error = strata_tar_end_ok(NULL, fd, flen, (uint64_t)archive_read_header_position(a), what)) < 0)
		goto done;
	error = 0;
done:
	strata_hpke_dispose(&ctx);
	archive_read_free(a);
	strata_buf_dispose(&header);
	strata_buf_dispose(&ct);
	strata_buf_dispose_secret(&pt);
	strata_buf_dispose(&info);
	return error;
}
