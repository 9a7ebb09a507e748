/*
 * fuzz_received.c - the checks on received objects (received.h), on
 * objects made from the input, so no signature stands in the way.
 *
 * An input starting with "PACK" is a git pack without its trailer: the
 * target appends the SHA-1 (mutations would otherwise never get past it)
 * and scans it, taking the object count from the header.
 *
 * Any other input describes one commit and its objects, in sections
 * separated by lines "%%":
 *   section 0     the commit message (trailers and all); a first line
 *                 "parents N" gives the commit N parent lines
 *   "blob" LF     the rest of the section is a blob
 *   "tree" LF     lines "MODE NAME REF": an entry with that mode string
 *                 and name, naming the object of section REF (1-based;
 *                 any other REF names a missing object)
 * The last tree is the commit's tree.  All objects go into an in-memory
 * object store; the commit is checked as the view "residents" from
 * "cn-fuzz" to "st-fuzz" (the names make-corpus.sh gives its nodes).
 */
#include "fuzz.h"
#include "strata/replica/received.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECTIONS 256

static void fuzz_pack(const uint8_t *data, size_t size)
{
	unsigned char *p = malloc(size + 20);
	uint64_t count = size >= 12 ? ((uint64_t)data[8] << 24) | ((uint64_t)data[9] << 16) |
					((uint64_t)data[10] << 8) | data[11] : 0;
	if (!p)
		return;
	memcpy(p, data, size);
	EVP_Digest(p, size, p + size, NULL, EVP_sha1(), NULL);
	int rc = strata_received_scan_pack(p, size + 20, count, "fuzz");
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "%s\n", rc == 0 ? "accepted" : strata_error_last());
	free(p);
}

/* The next line of [*s, e): returns its length, moves *s past its newline. */
static size_t next_line(const char **line, const char **s, const char *e)
{
	const char *nl = memchr(*s, '\n', (size_t)(e - *s));
	size_t len = (size_t)((nl ? nl : e) - *s);
	*line = *s;
	*s = nl ? nl + 1 : e;
	return len;
}

/* Raw tree bytes from "MODE NAME REF" lines; REF resolves against the sections before. */
static int build_tree(strata_buf *t, const char *s, const char *e, const git_oid *ids, size_t nids)
{
	static const git_oid none;
	while (s < e) {
		const char *line, *sp1, *sp2;
		size_t len = next_line(&line, &s, e), ref;
		if (!len)
			continue;
		if (!(sp1 = memchr(line, ' ', len)))
			continue;
		for (sp2 = line + len - 1; sp2 > sp1 && *sp2 != ' '; sp2--)
			;
		if (sp2 == sp1)
			sp2 = line + len;
		ref = (size_t)strtoul(sp2 < line + len ? sp2 + 1 : "0", NULL, 10);
		if (strata_buf_put(t, line, (size_t)(sp1 - line)) < 0 || strata_buf_put(t, " ", 1) < 0 ||
		    strata_buf_put(t, sp1 + 1, (size_t)(sp2 - sp1 - (sp2 > sp1))) < 0 || strata_buf_put(t, "", 1) < 0 ||
		    strata_buf_put(t, (ref >= 1 && ref <= nids ? &ids[ref - 1] : &none)->id, GIT_OID_RAWSZ) < 0)
			return -1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *e = s + size, *sec[MAX_SECTIONS], *secend[MAX_SECTIONS];
	size_t nsec = 0, parents = 0;
	git_oid ids[MAX_SECTIONS], root, commit;
	git_odb_backend *mem = NULL;
	git_odb *odb = NULL, *known = NULL;
	git_repository *repo = NULL;
	strata_buf b = STRATA_BUF_INIT;

	fuzz_init();
	if (size >= 4 && !memcmp(data, "PACK", 4)) {
		fuzz_pack(data, size);
		return 0;
	}
	/* sections: sec[i] .. secend[i] */
	sec[nsec] = s;
	for (const char *p = s; p < e && nsec + 1 < MAX_SECTIONS;) {
		const char *line;
		size_t len = next_line(&line, &p, e);
		if (len == 2 && !memcmp(line, "%%", 2)) {
			secend[nsec++] = line;
			sec[nsec] = p;
		}
	}
	secend[nsec++] = e;
	if (git_mempack_new(&mem) < 0 || git_odb_new(&odb) < 0 || git_odb_add_backend(odb, mem, 1) < 0) {
		if (!odb && mem)
			mem->free(mem);
		goto done;
	}
	mem = NULL;	/* owned by the odb */
	if (git_odb_new(&known) < 0 || git_repository_wrap_odb(&repo, odb) < 0)
		goto done;
	memset(ids, 0, sizeof(ids));
	memset(&root, 0, sizeof(root));
	for (size_t i = 1; i < nsec; i++) {
		const char *p = sec[i], *end = secend[i], *line;
		size_t len = next_line(&line, &p, end);
		strata_buf_clear(&b);
		if (len == 4 && !memcmp(line, "blob", 4)) {
			if (git_odb_write(&ids[i - 1], odb, p, (size_t)(end - p), GIT_OBJECT_BLOB) < 0)
				goto done;
		} else if (len == 4 && !memcmp(line, "tree", 4)) {
			if (build_tree(&b, p, end, ids, i - 1) < 0 ||
			    git_odb_write(&ids[i - 1], odb, b.ptr ? b.ptr : "", b.len, GIT_OBJECT_TREE) < 0)
				goto done;
			root = ids[i - 1];
		}
	}
	{
		const char *msg = sec[0], *end = secend[0];
		char hex[GIT_OID_HEXSZ + 1];
		if ((size_t)(end - msg) > 8 && !memcmp(msg, "parents ", 8)) {
			const char *line;
			parents = (size_t)strtoul(msg + 8, NULL, 10) % 8;
			next_line(&line, &msg, end);
		}
		git_oid_tostr(hex, sizeof(hex), &root);
		strata_buf_clear(&b);
		if (strata_buf_printf(&b, "tree %s\n", hex) < 0)
			goto done;
		for (size_t i = 0; i < parents; i++)
			if (strata_buf_printf(&b, "parent %s\n", hex) < 0)
				goto done;
		if (strata_buf_printf(&b, "author a <a@b> 0 +0000\ncommitter a <a@b> 0 +0000\n\n") < 0 ||
		    strata_buf_put(&b, msg, (size_t)(end - msg)) < 0 ||
		    git_odb_write(&commit, odb, b.ptr, b.len, GIT_OBJECT_COMMIT) < 0)
			goto done;
	}
	{
		strata_received r = { "fuzz", "cn-fuzz", "st-fuzz", known, repo, STRATA_OIDSET_INIT };
		int rc = strata_received_needed(&r, &commit) == 1 ? strata_received_commit(&r, &commit, "residents") : -1;
		if (getenv("FUZZ_VERBOSE"))	/* t0010: the seeds reach the checks they aim at */
			fprintf(stderr, "%s\n", rc == 0 ? "accepted" : strata_error_last());
		strata_received_dispose(&r);
	}
done:
	git_repository_free(repo);
	git_odb_free(odb);
	git_odb_free(known);
	strata_buf_dispose(&b);
	git_error_clear();
	return 0;
}
