/*
 * parcel.c - parcel archives: read under caps, manifest syntax, signing.
 *
 * Reading follows doc/design.md ("Facts checked on this platform":
 * libarchive 3.6, reading an untrusted tar into memory): the tar format alone is registered and no filter, so nothing
 * runs a decompressor (or an external program) on the input; ARCHIVE_WARN
 * is fatal; every entry must be a regular, non-sparse file with an expected
 * name and a declared size under its cap, and must deliver exactly that
 * many bytes.
 */
#include "strata/format/parcel.h"
#include "strata/base/i18n.h"
#include "strata/format/tarcheck.h"
#include "strata/format/rotation.h"
#include "strata/base/enc.h"
#include "strata/format/name.h"
#include "strata/format/json.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const entry_names[3] = { "MANIFEST", "MANIFEST.sig", "objects.pack" };

void strata_parcel_limits_default(strata_parcel_limits *lim)
{
	lim->max_manifest = (size_t)1 << 20;
	lim->max_sig = (size_t)16 << 10;
	lim->max_pack = (size_t)4 << 30;
}

void strata_parcel_free(strata_parcel *p)
{
	if (!p)
		return;
	free(p->refs);
	free(p->prereqs);
	strata_buf_dispose(&p->manifest);
	strata_buf_dispose(&p->rotations);
	strata_buf_dispose(&p->messages);
	strata_buf_dispose(&p->sig);
	strata_buf_dispose(&p->pack);
	if (p->pack_fd >= 0)
		close(p->pack_fd);
	free(p);
}

int strata_parcel_ref_name_valid(const char *name)
{
	size_t comps = 0, len = 0;

	if (strlen(name) >= STRATA_PARCEL_NAME_MAX)
		return 0;
	for (const char *s = name;; s++) {
		if (*s == '/' || *s == '\0') {
			if (len == 0)
				return 0;
			comps++;
			len = 0;
			if (*s == '\0')
				break;
			continue;
		}
		if (len == 0 ? !(islower((unsigned char)*s) || isdigit((unsigned char)*s)) :
			       !(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '-'))
			return 0;
		len++;
	}
	return comps >= 1 && comps <= 8;
}

/* A name from the archive, safe to print: printable ASCII, at most 64 characters. */
/* objects.pack into an unlinked file under `spool` (so nothing is left if we die), hashed as it goes. */
static int spool_pack(strata_parcel *p, struct archive *a, const char *what, const char *spool, uint64_t size)
{
	strata_buf path = STRATA_BUF_INIT;
	unsigned char *buf = malloc((size_t)1 << 20);
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	uint64_t got = 0;
	int fd = -1, error = STRATA_ERROR;

	if (!buf || !sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
		error = strata_error_set("out of memory");
		goto done;
	}
	if ((error = strata_buf_printf(&path, "%s/pack-XXXXXX", spool)) < 0)
		goto done;
	if ((fd = mkstemp(path.ptr)) < 0) {
		error = strata_error_sys(path.ptr);
		goto done;
	}
	unlink(path.ptr);
	while (got < size) {
		la_ssize_t n = archive_read_data(a, buf, (size_t)(size - got < ((uint64_t)1 << 20) ? size - got : (1 << 20)));
		if (n <= 0) {
			error = strata_error_set("'%s': entry 'objects.pack' is truncated (%llu of %llu bytes)%s%s", what,
					 (unsigned long long)got, (unsigned long long)size, n < 0 ? ": " : "",
					 n < 0 ? archive_error_string(a) : "");
			goto done;
		}
		EVP_DigestUpdate(sha, buf, (size_t)n);
		for (la_ssize_t w = 0; w < n;) {
			ssize_t k = write(fd, buf + w, (size_t)(n - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				error = strata_error_sys("cannot spool objects.pack");
				goto done;
			}
			w += k;
		}
		got += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(sha, p->pack_sha256_got, NULL) != 1) {
		error = strata_error_ssl("cannot hash objects.pack");
		goto done;
	}
	p->pack_fd = fd;
	p->pack_size = got;
	fd = -1;
	error = 0;
done:
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(sha);
	strata_buf_dispose(&path);
	return error;
}

/*
 * The entries, from memory (`data`, `len`) or from the file `fd` (len is
 * its size); with `spool` set, objects.pack goes to a file under it
 * rather than into memory.
 */
static int read_entries(strata_parcel *p, const char *what, const void *data, int fd, size_t len,
			const char *spool, const strata_parcel_limits *lim)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	strata_buf *bufs[3] = { &p->manifest, &p->sig, &p->pack };
	const size_t caps[3] = { lim->max_manifest, lim->max_sig, lim->max_pack };
	unsigned char head[8] = { 0 };
	const char *kind;
	size_t data_end = 0;
	char shown[300];
	int rc, count = 0, error = STRATA_ERROR;

	if (!a)
		return strata_error_set("out of memory");
	if (data)
		memcpy(head, data, len < sizeof(head) ? len : sizeof(head));
	else if (pread(fd, head, sizeof(head), 0) < 0)
		return strata_error_sys(what);
	if ((kind = strata_tar_compressed_kind(head, len < sizeof(head) ? len : sizeof(head))) != NULL) {
		strata_error_set("'%s' is %s-compressed; a parcel is a plain tar archive and strata "
				 "does not decompress untrusted input", what, kind);
		goto done;
	}
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    (data ? archive_read_open_memory(a, data, len) : archive_read_open_fd(a, fd, 65536)) != ARCHIVE_OK) {
		strata_error_set("'%s': not a parcel: %s", what, archive_error_string(a));
		goto done;
	}
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		la_int64_t size = archive_entry_size(e);
		int i;

		if (!name)
			name = "";
		strata_tar_printable(shown, sizeof(shown), name);
		if (count == 3) {
			error = strata_error_set("'%s': unexpected extra entry '%s' after objects.pack", what, shown);
			goto done;
		}
		if ((error = strata_tar_entry_regular(a, e, data, fd, len, what, shown, _("a parcel"))) < 0)
			goto done;
		for (i = 0; i < 3 && strcmp(name, entry_names[i]); i++)
			;
		if (i == 3) {
			error = strata_error_set("'%s': unexpected entry '%s'; a parcel holds MANIFEST, MANIFEST.sig "
					 "and objects.pack only", what, shown);
			goto done;
		}
		if (i < count) {
			error = strata_error_set("'%s': duplicate entry '%s'", what, shown);
			goto done;
		}
		if (i != count) {
			error = strata_error_set("'%s': entry '%s' out of order; expected '%s'", what, shown, entry_names[count]);
			goto done;
		}
		if (!archive_entry_size_is_set(e) || size < 0 || (uint64_t)size > caps[i]) {
			error = strata_error_set("'%s': entry '%s' declares %lld bytes, over the limit of %zu",
					 what, shown, (long long)size, caps[i]);
			goto done;
		}
		if ((uint64_t)size > len) {	/* before allocating what the header claims */
			error = strata_error_set("'%s': entry '%s' is truncated: it declares %lld bytes, and the parcel "
					 "is %zu bytes", what, shown, (long long)size, len);
			goto done;
		}
		if (i == 2 && spool) {
			if ((error = spool_pack(p, a, what, spool, (uint64_t)size)) < 0)
				goto done;
			count++;
			continue;
		}
		bufs[i]->max = (size_t)size + 1;
		if ((error = strata_buf_grow(bufs[i], (size_t)size)) < 0)
			goto done;
		while (bufs[i]->len < (size_t)size) {
			la_ssize_t got = archive_read_data(a, bufs[i]->ptr + bufs[i]->len, (size_t)size - bufs[i]->len);
			if (got <= 0) {
				error = strata_error_set("'%s': entry '%s' is truncated (%zu of %lld bytes)%s%s", what, shown,
						 bufs[i]->len, (long long)size, got < 0 ? ": " : "",
						 got < 0 ? archive_error_string(a) : "");
				goto done;
			}
			bufs[i]->len += (size_t)got;
		}
		bufs[i]->ptr[bufs[i]->len] = '\0';
		if (i == 2) {
			EVP_Digest(p->pack.ptr, p->pack.len, p->pack_sha256_got, NULL, EVP_sha256(), NULL);
			p->pack_size = p->pack.len;
		}
		count++;
	}
	if (rc != ARCHIVE_EOF) {
		const char *why = archive_error_string(a);
		error = strata_error_set("'%s': not a valid parcel archive (after %d of 3 entries): %s", what, count,
				 rc == ARCHIVE_WARN || !why ? _("malformed header") : why);
		goto done;
	}
	if (count < 3) {
		error = strata_error_set("'%s': truncated or incomplete parcel: '%s' is missing", what, entry_names[count]);
		goto done;
	}
	/*
	 * Where the end-of-archive marker starts: libarchive's header position
	 * at EOF.  (Counting from the last entry's header would miss the pax
	 * extended headers in front of it.)
	 */
	data_end = (size_t)archive_read_header_position(a);
	if ((error = strata_tar_end_ok(data, fd, len, data_end, what)) < 0)
		goto done;
	error = 0;
done:
	archive_read_free(a);
	return error;
}

static int parse_oid(git_oid *out, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t len = s ? strlen(s) : 0;

	if (len != GIT_OID_HEXSZ)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return -1;
	return git_oid_fromstr(out, s) < 0 ? (git_error_clear(), -1) : 0;
}

static int parse_time(int64_t *out, const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (!s || strlen(s) != 20 || (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *end)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int parse_manifest(strata_parcel *p, const char *what)
{
	static const char *const top[] = { "format", "version", "sender", "recipient", "sequence",
					   "created", "refs", "prerequisites", "pack", "?rotations", "?messages", NULL };
	static const char *const refkeys[] = { "name", "commit", "?base", NULL };
	static const char *const packkeys[] = { "objects", "size", "sha256", NULL };
	json_error_t jerr;
	json_t *root, *v, *refs, *pre, *pack;
	const char *bad = NULL, *s;
	int error = STRATA_ERROR, rc;

	if (!strata_enc_utf8_valid(p->manifest.ptr, p->manifest.len))
		return strata_error_set("'%s': MANIFEST is not valid UTF-8", what);
	root = json_loadb(p->manifest.ptr, p->manifest.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return strata_error_set("'%s': MANIFEST line %d column %d: %s", what, jerr.line, jerr.column, jerr.text);
	if (!json_is_object(root)) {
		strata_error_set("'%s': MANIFEST is not a JSON object", what);
		goto done;
	}
	if ((rc = strata_json_check_keys(root, top, &bad)) < 0) {
		strata_error_set("'%s': MANIFEST: %s key '%.64s'", what, rc == -1 ? "unknown" : "missing", bad);
		goto done;
	}
	if (!(s = json_string_value(json_object_get(root, "format"))) || strcmp(s, "strata-parcel")) {
		strata_error_set("'%s': MANIFEST: format is not 'strata-parcel'", what);
		goto done;
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) != STRATA_PARCEL_VERSION) {
		strata_error_set("'%s': MANIFEST: unsupported parcel version (this strata reads version %d)",
				 what, STRATA_PARCEL_VERSION);
		goto done;
	}
	p->version = STRATA_PARCEL_VERSION;
	if (!(s = json_string_value(json_object_get(root, "sender"))) || !strata_name_node_valid(s)) {
		strata_error_set("'%s': MANIFEST: invalid sender", what);
		goto done;
	}
	snprintf(p->sender, sizeof(p->sender), "%s", s);
	if (!(s = json_string_value(json_object_get(root, "recipient"))) || !strata_name_node_valid(s)) {
		strata_error_set("'%s': MANIFEST: invalid recipient", what);
		goto done;
	}
	snprintf(p->recipient, sizeof(p->recipient), "%s", s);
	v = json_object_get(root, "sequence");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		strata_error_set("'%s': MANIFEST: sequence must be a positive integer", what);
		goto done;
	}
	p->sequence = (uint64_t)json_integer_value(v);
	if (parse_time(&p->created, json_string_value(json_object_get(root, "created"))) < 0) {
		strata_error_set("'%s': MANIFEST: created must be a UTC time like 2026-01-31T12:00:00Z", what);
		goto done;
	}
	refs = json_object_get(root, "refs");
	if (!json_is_array(refs) || json_array_size(refs) > STRATA_PARCEL_MAX_REFS) {
		strata_error_set("'%s': MANIFEST: refs must be an array of at most %d", what, STRATA_PARCEL_MAX_REFS);
		goto done;
	}
	p->nrefs = json_array_size(refs);
	if (p->nrefs && (p->refs = calloc(p->nrefs, sizeof(*p->refs))) == NULL) {
		strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; i < p->nrefs; i++) {
		json_t *r = json_array_get(refs, i);
		strata_parcel_ref *pr = &p->refs[i];
		if (!json_is_object(r) || strata_json_check_keys(r, refkeys, &bad) < 0 ||
		    !(s = json_string_value(json_object_get(r, "name"))) || !strata_parcel_ref_name_valid(s) ||
		    parse_oid(&pr->commit, json_object_get(r, "commit")) < 0 ||
		    ((v = json_object_get(r, "base")) && parse_oid(&pr->base, v) < 0)) {
			error = strata_error_set("'%s': MANIFEST: refs[%zu] is not {name, commit[, base]} with a valid "
					 "view name and 40-hex commit ids", what, i);
			goto done;
		}
		pr->has_base = v != NULL;
		snprintf(pr->name, sizeof(pr->name), "%s", s);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(p->refs[k].name, pr->name)) {
				error = strata_error_set("'%s': MANIFEST: ref '%s' listed twice", what, pr->name);
				goto done;
			}
	}
	pre = json_object_get(root, "prerequisites");
	if (!json_is_array(pre) || json_array_size(pre) > STRATA_PARCEL_MAX_REFS) {
		error = strata_error_set("'%s': MANIFEST: prerequisites must be an array of at most %d commit ids",
				 what, STRATA_PARCEL_MAX_REFS);
		goto done;
	}
	p->nprereqs = json_array_size(pre);
	if (p->nprereqs && (p->prereqs = calloc(p->nprereqs, sizeof(*p->prereqs))) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; i < p->nprereqs; i++)
		if (parse_oid(&p->prereqs[i], json_array_get(pre, i)) < 0) {
			error = strata_error_set("'%s': MANIFEST: prerequisites[%zu] is not a 40-hex commit id", what, i);
			goto done;
		}
	if ((v = json_object_get(root, "rotations")) != NULL) {
		/* their signatures are checked where they are used: here, only their shape */
		if (!json_is_array(v) || json_array_size(v) > STRATA_PARCEL_MAX_ROTATIONS) {
			error = strata_error_set("'%s': MANIFEST: rotations must be an array of at most %d statements", what,
						 STRATA_PARCEL_MAX_ROTATIONS);
			goto done;
		}
		for (size_t i = 0; i < json_array_size(v); i++) {
			const char *t = json_string_value(json_array_get(v, i));
			if (!t || json_string_length(json_array_get(v, i)) > STRATA_ROTATION_MAX ||
			    strncmp(t, STRATA_ROTATION_MAGIC, strlen(STRATA_ROTATION_MAGIC)) ||
			    strata_buf_put(&p->rotations, t, json_string_length(json_array_get(v, i))) < 0) {
				error = strata_error_set("'%s': MANIFEST: rotations[%zu] is not a key rotation statement", what, i);
				goto done;
			}
		}
	}
	if ((v = json_object_get(root, "messages")) != NULL) {
		/* process messages (procmsg.h): base64 here, checked by whoever takes them */
		if (!json_is_array(v) || json_array_size(v) > STRATA_PARCEL_MAX_MESSAGES) {
			error = strata_error_set("'%s': MANIFEST: messages must be an array of at most %d", what,
						 STRATA_PARCEL_MAX_MESSAGES);
			goto done;
		}
		for (size_t i = 0; i < json_array_size(v); i++) {
			const char *t = json_string_value(json_array_get(v, i));
			size_t tl = t ? json_string_length(json_array_get(v, i)) : 0;
			if (!t || !tl || strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != tl ||
			    strata_buf_put(&p->messages, t, tl) < 0 || strata_buf_putc(&p->messages, '\n') < 0) {
				error = strata_error_set("'%s': MANIFEST: messages[%zu] is not base64 text", what, i);
				goto done;
			}
		}
	}
	pack = json_object_get(root, "pack");
	if (!json_is_object(pack) || strata_json_check_keys(pack, packkeys, &bad) < 0 ||
	    !json_is_integer(json_object_get(pack, "objects")) ||
	    json_integer_value(json_object_get(pack, "objects")) < 0 ||
	    !json_is_integer(json_object_get(pack, "size")) ||
	    !(s = json_string_value(json_object_get(pack, "sha256"))) || strlen(s) != 64 ||
	    strata_enc_unhex(p->pack_sha256, s, 32) < 0) {
		error = strata_error_set("'%s': MANIFEST: pack must be {objects, size, sha256}", what);
		goto done;
	}
	p->pack_objects = (uint64_t)json_integer_value(json_object_get(pack, "objects"));
	if ((json_int_t)p->pack_size != json_integer_value(json_object_get(pack, "size"))) {
		error = strata_error_setc(STRATA_EVERIFY, "'%s': objects.pack is %llu bytes but the manifest says %lld",
					  what, (unsigned long long)p->pack_size,
				 (long long)json_integer_value(json_object_get(pack, "size")));
		goto done;
	}
	{
		if (memcmp(p->pack_sha256_got, p->pack_sha256, 32)) {
			error = strata_error_setc(STRATA_EVERIFY, "'%s': objects.pack does not match the SHA-256 in the "
						  "manifest (altered or corrupted in transit)", what);
			goto done;
		}
	}
	error = 0;
done:
	json_decref(root);
	return error;
}

static int parse(strata_parcel **out, const char *what, const void *data, int fd, size_t len, const char *spool,
		 const strata_parcel_limits *lim)
{
	strata_parcel_limits def;
	strata_parcel *p;
	int error;

	*out = NULL;
	if (!lim) {
		strata_parcel_limits_default(&def);
		lim = &def;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return strata_error_set("out of memory");
	p->pack_fd = -1;
	if ((error = read_entries(p, what, data, fd, len, spool, lim)) < 0 ||
	    (error = parse_manifest(p, what)) < 0) {
		strata_parcel_free(p);
		return error;
	}
	*out = p;
	return 0;
}

int strata_parcel_parse(strata_parcel **out, const char *what, const void *data, size_t len,
			const strata_parcel_limits *lim)
{
	return parse(out, what, data, -1, len, NULL, lim);
}

int strata_parcel_parse_fd(strata_parcel **out, const char *what, int fd, const char *spool,
			   const strata_parcel_limits *lim)
{
	struct stat st;

	*out = NULL;
	/* libarchive reads from the file position: a spool just written is at its end */
	if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return strata_error_sys(what);
	return parse(out, what, NULL, fd, (size_t)st.st_size, spool, lim);
}

int strata_parcel_verify(const strata_parcel *p, strata_pubkey *signer)
{
	return strata_sign_sshsig_verify(signer, p->sig.ptr, p->sig.len, STRATA_PARCEL_NAMESPACE,
				    p->manifest.ptr, p->manifest.len);
}

static int add_rotation(const char *text, size_t len, void *payload)
{
	return json_array_append_new(payload, json_stringn(text, len)) < 0 ? strata_error_set("out of memory") : 0;
}

int strata_parcel_seal(strata_parcel *p, const strata_key *key)
{
	json_t *root = NULL, *refs, *pre;
	char hex[GIT_OID_HEXSZ + 1], sha[65], stamp[32];
	unsigned char sum[32];
	char *text = NULL;
	int error = STRATA_ERROR;

	strata_enc_utc_stamp(stamp, sizeof(stamp), p->created);
	EVP_Digest(p->pack.ptr ? p->pack.ptr : "", p->pack.len, sum, NULL, EVP_sha256(), NULL);
	memcpy(p->pack_sha256, sum, 32);
	strata_enc_hex(sha, sum, 32);
	refs = json_array();
	pre = json_array();
	root = json_pack("{s:s, s:i, s:s, s:s, s:I, s:s, s:o, s:o, s:{s:I, s:I, s:s}}",
			 "format", "strata-parcel", "version", STRATA_PARCEL_VERSION,
			 "sender", p->sender, "recipient", p->recipient,
			 "sequence", (json_int_t)p->sequence, "created", stamp,
			 "refs", refs, "prerequisites", pre,
			 "pack", "objects", (json_int_t)p->pack_objects, "size", (json_int_t)p->pack.len,
			 "sha256", sha);
	if (!root)
		goto oom;
	for (size_t i = 0; i < p->nrefs; i++) {
		json_t *r;
		git_oid_tostr(hex, sizeof(hex), &p->refs[i].commit);
		if ((r = json_pack("{s:s, s:s}", "name", p->refs[i].name, "commit", hex)) == NULL)
			goto oom;
		if (p->refs[i].has_base) {
			git_oid_tostr(hex, sizeof(hex), &p->refs[i].base);
			json_object_set_new(r, "base", json_string(hex));
		}
		json_array_append_new(refs, r);
	}
	for (size_t i = 0; i < p->nprereqs; i++) {
		git_oid_tostr(hex, sizeof(hex), &p->prereqs[i]);
		json_array_append_new(pre, json_string(hex));
	}
	if (p->rotations.len) {
		json_t *rot = json_array();
		json_object_set_new(root, "rotations", rot);
		if (strata_rotation_foreach(p->rotations.ptr, p->rotations.len, add_rotation, rot) < 0) {
			error = STRATA_ERROR;
			goto done;
		}
	}
	if (p->messages.len) {
		json_t *msgs = json_array();
		const char *m = p->messages.ptr, *end = p->messages.ptr + p->messages.len;
		json_object_set_new(root, "messages", msgs);
		while (m < end) {
			const char *nl = memchr(m, '\n', (size_t)(end - m));
			size_t ml = nl ? (size_t)(nl - m) : (size_t)(end - m);
			if (ml && json_array_append_new(msgs, json_stringn(m, ml)) < 0)
				goto oom;
			m += ml + 1;
		}
	}
	if ((text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL)
		goto oom;
	strata_buf_clear(&p->manifest);
	strata_buf_clear(&p->sig);
	if ((error = strata_buf_puts(&p->manifest, text)) < 0 || (error = strata_buf_putc(&p->manifest, '\n')) < 0 ||
	    (error = strata_sign_sshsig(&p->sig, key, STRATA_PARCEL_NAMESPACE, p->manifest.ptr, p->manifest.len)) < 0 ||
	    (error = strata_buf_putc(&p->sig, '\n')) < 0)
		goto done;
	error = 0;
	goto done;
oom:
	error = strata_error_set("out of memory");
done:
	free(text);
	json_decref(root);
	return error;
}

static la_ssize_t write_cb(struct archive *a, void *payload, const void *buf, size_t len)
{
	(void)a;
	return strata_buf_put(payload, buf, len) < 0 ? -1 : (la_ssize_t)len;
}

int strata_parcel_write(strata_buf *out, const strata_parcel *p)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	const strata_buf *bufs[3] = { &p->manifest, &p->sig, &p->pack };
	int error = STRATA_ERROR;

	if (!a || !e) {
		strata_error_set("out of memory");
		goto done;
	}
	if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 512) != ARCHIVE_OK ||
	    archive_write_open(a, out, NULL, write_cb, NULL) != ARCHIVE_OK)
		goto archive_error;
	for (int i = 0; i < 3; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, entry_names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)bufs[i]->len);
		archive_entry_set_mtime(e, (time_t)p->created, 0);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    (bufs[i]->len && archive_write_data(a, bufs[i]->ptr, bufs[i]->len) != (la_ssize_t)bufs[i]->len))
			goto archive_error;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		goto archive_error;
	error = 0;
	goto done;
archive_error:
	error = strata_error_set("cannot write parcel archive: %s", archive_error_string(a));
done:
	archive_entry_free(e);
	archive_write_free(a);
	return error;
}
