/*
 * parcel-forge.c - builds the hostile parcels the refusal tests need.
 * Test-only: it is never installed, and it can only sign with a node key
 * it is given, exactly as a compromised or buggy sender could.
 *
 *   parcel-forge sign NODEDIR MANIFEST PACK OUT
 *       a parcel of these exact MANIFEST and pack bytes, signed by the node
 *   parcel-forge commit NODEDIR TREE PARENT|- MSGFILE
 *       a commit signed by the node (written to its repository); prints its id
 *   parcel-forge rawcommit NODEDIR FILE
 *       FILE's bytes, whatever their headers say, as a commit the node signs;
 *       prints its id
 *   parcel-forge tar OUT TYPE:NAME:SIZE:DATAFILE[:LINK] ...
 *       a tar built header by header: TYPE f regular, l symlink, h hardlink,
 *       c char device, d directory, p FIFO, S GNU sparse; SIZE is what the
 *       header declares, the data written is DATAFILE's bytes ('-' for none)
 *   parcel-forge flip IN OUT OFFSET
 *       a copy of IN with the byte at OFFSET inverted
 *   parcel-forge pack OUT huge|bomb
 *       a pack of one blob that declares 10 GB (huge), or declares 1 KiB and
 *       inflates to 64 MiB (bomb)
 *   parcel-forge delta OUT selfdelta|cycle REPO OID
 *       a pack whose deltas the indexer would follow for ever: one REF_DELTA
 *       against object OID of REPO that rebuilds OID itself (selfdelta); or a
 *       delta against OID followed by OID itself in full (cycle)
 *   parcel-forge delta OUT chain N
 *       a blob followed by a chain of N REF_DELTAs, each on the one before
 *   parcel-forge delta OUT big N MIB
 *       N distinct blobs of MIB MiB each (stored, not compressed), then the
 *       first again: a large pack that is refused only at its end
 */
#include "strata/node/commit.h"
#include "strata/node/node.h"
#include "strata/format/parcel.h"
#include "strata/base/fs.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int die(const char *what)
{
	fprintf(stderr, "parcel-forge: %s: %s\n", what, strata_error_last());
	return 1;
}

static int cmd_sign(char **argv)
{
	strata_node *n = NULL;
	strata_parcel p = { 0 };
	strata_buf out = STRATA_BUF_INIT;

	if (strata_node_open(&n, argv[0]) < 0 || strata_node_load_key(n) < 0)
		return die(argv[0]);
	if (strata_fs_read(&p.manifest, argv[1], 1 << 24) < 0 || strata_fs_read(&p.pack, argv[2], 1 << 30) < 0)
		return die("read");
	if (strata_sign_sshsig(&p.sig, strata_node_key(n), STRATA_PARCEL_NAMESPACE, p.manifest.ptr, p.manifest.len) < 0 ||
	    strata_buf_putc(&p.sig, '\n') < 0 || strata_parcel_write(&out, &p) < 0 ||
	    strata_fs_write_atomic(argv[3], out.ptr, out.len, 0644) < 0)
		return die("sign");
	strata_buf_dispose(&p.manifest);
	strata_buf_dispose(&p.sig);
	strata_buf_dispose(&p.pack);
	strata_buf_dispose(&out);
	strata_node_free(n);
	return 0;
}

static int cmd_commit(char **argv)
{
	strata_node *n = NULL;
	strata_buf msg = STRATA_BUF_INIT;
	git_oid tree_id, parent_id, id;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	char hex[GIT_OID_HEXSZ + 1];

	if (strata_node_open(&n, argv[0]) < 0 || strata_fs_read(&msg, argv[3], 1 << 20) < 0)
		return die(argv[0]);
	if (git_oid_fromstr(&tree_id, argv[1]) < 0 || git_tree_lookup(&tree, strata_node_repo(n), &tree_id) < 0 ||
	    (strcmp(argv[2], "-") && (git_oid_fromstr(&parent_id, argv[2]) < 0 ||
				      git_commit_lookup(&parent, strata_node_repo(n), &parent_id) < 0))) {
		strata_error_git("lookup");
		return die("commit");
	}
	if (strata_commit_create(&id, n, tree, parent, msg.ptr) < 0)
		return die("commit");
	printf("%s\n", git_oid_tostr(hex, sizeof(hex), &id));
	strata_buf_dispose(&msg);
	git_tree_free(tree);
	git_commit_free(parent);
	strata_node_free(n);
	return 0;
}

static void octal(char *field, size_t width, unsigned long long v)
{
	/* width-1 digits and a NUL, or all width digits if the value needs them */
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%0*llo", (int)width - 1, v);
	memcpy(field, tmp, (size_t)len <= width ? (size_t)len : width);
}

static int cmd_tar(int argc, char **argv)
{
	FILE *out = fopen(argv[0], "wb");
	static const char zero[1024];

	if (!out)
		return perror(argv[0]), 1;
	for (int i = 1; i < argc; i++) {
		char spec[1024], *type, *name, *size, *data, *link, *save = NULL;
		unsigned char h[512];
		unsigned sum = 0;
		strata_buf body = STRATA_BUF_INIT;

		snprintf(spec, sizeof(spec), "%s", argv[i]);
		type = strtok_r(spec, ":", &save);
		name = strtok_r(NULL, ":", &save);
		size = strtok_r(NULL, ":", &save);
		data = strtok_r(NULL, ":", &save);
		link = strtok_r(NULL, ":", &save);
		if (!type || !name || !size || !data)
			return fprintf(stderr, "parcel-forge: bad entry '%s'\n", argv[i]), 2;
		if (strcmp(data, "-") && strata_fs_read(&body, data, 1 << 30) < 0)
			return die(data);
		memset(h, 0, sizeof(h));
		snprintf((char *)h, 100, "%s", name);
		octal((char *)h + 100, 8, 0644);
		octal((char *)h + 108, 8, 0);
		octal((char *)h + 116, 8, 0);
		octal((char *)h + 124, 12, strtoull(size, NULL, 10));
		octal((char *)h + 136, 12, 0);
		h[156] = type[0] == 'f' ? '0' : type[0] == 'h' ? '1' : type[0] == 'l' ? '2' : type[0] == 'c' ? '3' :
			 type[0] == 'd' ? '5' : type[0] == 'p' ? '6' : type[0] == 'S' ? 'S' : '0';
		if (link)
			snprintf((char *)h + 157, 100, "%s", link);
		memcpy(h + 257, "ustar", 6);
		memcpy(h + 263, "00", 2);
		memset(h + 148, ' ', 8);
		for (int k = 0; k < 512; k++)
			sum += h[k];
		snprintf((char *)h + 148, 8, "%06o", sum);
		fwrite(h, 1, 512, out);
		if (body.len) {
			fwrite(body.ptr, 1, body.len, out);
			fwrite(zero, 1, (512 - body.len % 512) % 512, out);
		}
		strata_buf_dispose(&body);
	}
	fwrite(zero, 1, 1024, out);
	return fclose(out) ? 1 : 0;
}

static int cmd_pack(char **argv)
{
	strata_buf pack = STRATA_BUF_INIT;
	int huge = !strcmp(argv[1], "huge");
	unsigned long long declared = huge ? 10ULL << 30 : 1024;
	size_t rawlen = huge ? 16 : (size_t)64 << 20;
	unsigned char *raw = calloc(1, rawlen), hdr[16], sum[20];
	uLongf zlen = compressBound(rawlen);
	unsigned char *z = malloc(zlen);
	size_t n = 0;
	FILE *out;

	if (!raw || !z || compress2(z, &zlen, raw, rawlen, 9) != Z_OK)
		return fprintf(stderr, "parcel-forge: compress failed\n"), 1;
	strata_buf_put(&pack, "PACK\0\0\0\2\0\0\0\1", 12);
	hdr[n] = (unsigned char)((3 << 4) | (declared & 0x0f));	/* a blob */
	declared >>= 4;
	while (declared) {
		hdr[n++] |= 0x80;
		hdr[n] = declared & 0x7f;
		declared >>= 7;
	}
	strata_buf_put(&pack, hdr, n + 1);
	strata_buf_put(&pack, z, zlen);
	EVP_Digest(pack.ptr, pack.len, sum, NULL, EVP_sha1(), NULL);
	strata_buf_put(&pack, sum, 20);
	if ((out = fopen(argv[0], "wb")) == NULL || fwrite(pack.ptr, 1, pack.len, out) != pack.len || fclose(out))
		return perror(argv[0]), 1;
	free(raw);
	free(z);
	strata_buf_dispose(&pack);
	return 0;
}

static void put_obj_header(strata_buf *pack, int type, size_t size)
{
	unsigned char hdr[16];
	size_t n = 0;
	hdr[n] = (unsigned char)((type << 4) | (size & 0x0f));
	size >>= 4;
	while (size) {
		hdr[n++] |= 0x80;
		hdr[n] = size & 0x7f;
		size >>= 7;
	}
	strata_buf_put(pack, hdr, n + 1);
}

static void put_z(strata_buf *pack, const void *data, size_t len)
{
	uLongf zlen = compressBound(len);
	strata_buf_grow(pack, pack->len + zlen);
	compress2((Bytef *)pack->ptr + pack->len, &zlen, data, len, 1);
	pack->len += zlen;
}

static void put_varint(strata_buf *b, size_t v)
{
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		strata_buf_putc(b, (char)(c | (v ? 0x80 : 0)));
	} while (v);
}

/* A delta that ignores its base of `blen` bytes and inserts `data` literally. */
static void literal_delta(strata_buf *d, size_t blen, const void *data, size_t len)
{
	const char *p = data;
	strata_buf_clear(d);
	put_varint(d, blen);
	put_varint(d, len);
	while (len) {
		size_t k = len > 127 ? 127 : len;
		strata_buf_putc(d, (char)k);
		strata_buf_put(d, p, k);
		p += k;
		len -= k;
	}
}

static int cmd_delta(int argc, char **argv)
{
	strata_buf pack = STRATA_BUF_INIT, d = STRATA_BUF_INIT, body = STRATA_BUF_INIT;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_odb_object *o = NULL;
	git_oid id;
	unsigned char sum[20];
	unsigned count = 0;

	strata_buf_put(&pack, "PACK\0\0\0\2\0\0\0\0", 12);
	if (!strcmp(argv[1], "chain") && argc == 3) {
		git_oid prev;
		unsigned n = (unsigned)strtoul(argv[2], NULL, 10);
		strata_buf_puts(&body, "chain\n");
		git_odb_hash(&prev, body.ptr, body.len, GIT_OBJECT_BLOB);
		put_obj_header(&pack, 3, body.len);
		put_z(&pack, body.ptr, body.len);
		count = 1;
		for (unsigned i = 0; i < n; i++, count++) {
			size_t blen = body.len;
			strata_buf_puts(&body, "x\n");
			literal_delta(&d, blen, body.ptr, body.len);
			put_obj_header(&pack, 7, d.len);
			strata_buf_put(&pack, prev.id, 20);
			put_z(&pack, d.ptr, d.len);
			git_odb_hash(&prev, body.ptr, body.len, GIT_OBJECT_BLOB);
		}
	} else if (!strcmp(argv[1], "big") && argc == 4) {
		unsigned n = (unsigned)strtoul(argv[2], NULL, 10);
		size_t mib = strtoul(argv[3], NULL, 10) << 20;
		unsigned char *b = malloc(mib);
		uint64_t x = 88172645463325252ULL;
		for (unsigned k = 0; k <= n; k++, count++) {
			unsigned seedk = k == n ? 0 : k;	/* the last repeats the first */
			uLongf zlen = compressBound(mib);
			x = 88172645463325252ULL + seedk;
			for (size_t i = 0; i < mib; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				b[i] = (unsigned char)x;
			}
			put_obj_header(&pack, 3, mib);
			strata_buf_grow(&pack, pack.len + zlen);
			compress2((Bytef *)pack.ptr + pack.len, &zlen, b, mib, 0);
			pack.len += zlen;
		}
		free(b);
	} else if ((!strcmp(argv[1], "selfdelta") || !strcmp(argv[1], "cycle")) && argc == 4) {
		size_t len;
		if (git_repository_open_bare(&repo, argv[2]) < 0 || git_repository_odb(&odb, repo) < 0 ||
		    git_oid_fromstr(&id, argv[3]) < 0 || git_odb_read(&o, odb, &id) < 0)
			return fprintf(stderr, "parcel-forge: cannot read %s in %s\n", argv[3], argv[2]), 1;
		len = git_odb_object_size(o);
		strata_buf_put(&body, git_odb_object_data(o), len);
		if (!strcmp(argv[1], "cycle"))
			strata_buf_puts(&body, "\n");
		literal_delta(&d, len, body.ptr, body.len);
		put_obj_header(&pack, 7, d.len);
		strata_buf_put(&pack, id.id, 20);
		put_z(&pack, d.ptr, d.len);
		count = 1;
		if (!strcmp(argv[1], "cycle")) {
			put_obj_header(&pack, (int)git_odb_object_type(o), len);
			put_z(&pack, git_odb_object_data(o), len);
			count = 2;
		}
	} else {
		return fprintf(stderr, "usage: see the comment at the top of parcel-forge.c\n"), 2;
	}
	pack.ptr[8] = (char)(count >> 24);
	pack.ptr[9] = (char)(count >> 16);
	pack.ptr[10] = (char)(count >> 8);
	pack.ptr[11] = (char)count;
	EVP_Digest(pack.ptr, pack.len, sum, NULL, EVP_sha1(), NULL);
	strata_buf_put(&pack, sum, 20);
	if (strata_fs_write_atomic(argv[0], pack.ptr, pack.len, 0644) < 0)
		return die(argv[0]);
	git_odb_object_free(o);
	git_odb_free(odb);
	git_repository_free(repo);
	strata_buf_dispose(&pack);
	strata_buf_dispose(&d);
	strata_buf_dispose(&body);
	return 0;
}

static int cmd_rawcommit(char **argv)
{
	strata_node *n = NULL;
	strata_buf body = STRATA_BUF_INIT, sig = STRATA_BUF_INIT;
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];

	if (strata_node_open(&n, argv[0]) < 0 || strata_node_load_key(n) < 0 ||
	    strata_fs_read(&body, argv[1], 1 << 20) < 0)
		return die(argv[0]);
	if (strata_sign_sshsig(&sig, strata_node_key(n), "git", body.ptr, body.len) < 0)
		return die("sign");
	{
		/* the gpgsig header after the committer line, as git writes it; libgit2's
		 * create_with_signature would refuse a tree line that names a blob */
		strata_buf obj = STRATA_BUF_INIT;
		const char *c = strstr(body.ptr, "\ncommitter "), *eol = c ? strchr(c + 1, '\n') : NULL;
		git_odb *odb = NULL;
		if (!eol)
			return fprintf(stderr, "parcel-forge: no committer line\n"), 1;
		strata_buf_put(&obj, body.ptr, (size_t)(eol + 1 - body.ptr));
		strata_buf_puts(&obj, "gpgsig ");
		for (const char *q = sig.ptr; *q; q++) {
			strata_buf_putc(&obj, *q);
			if (*q == '\n')
				strata_buf_putc(&obj, ' ');
		}
		strata_buf_putc(&obj, '\n');
		strata_buf_puts(&obj, eol + 1);
		if (git_repository_odb(&odb, strata_node_repo(n)) < 0 || git_odb_write(&id, odb, obj.ptr, obj.len, GIT_OBJECT_COMMIT) < 0) {
			strata_error_git("commit");
			return die("commit");
		}
		git_odb_free(odb);
		strata_buf_dispose(&obj);
	}
	printf("%s\n", git_oid_tostr(hex, sizeof(hex), &id));
	strata_buf_dispose(&body);
	strata_buf_dispose(&sig);
	strata_node_free(n);
	return 0;
}

static int cmd_flip(char **argv)
{
	strata_buf b = STRATA_BUF_INIT;
	size_t off = strtoull(argv[2], NULL, 10);

	if (strata_fs_read(&b, argv[0], 1 << 30) < 0)
		return die(argv[0]);
	if (off >= b.len)
		return fprintf(stderr, "parcel-forge: offset %zu past the end\n", off), 2;
	b.ptr[off] ^= 0xff;
	if (strata_fs_write_atomic(argv[1], b.ptr, b.len, 0644) < 0)
		return die(argv[1]);
	strata_buf_dispose(&b);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	git_libgit2_init();
	if (argc == 6 && !strcmp(argv[1], "sign"))
		rc = cmd_sign(argv + 2);
	else if (argc == 4 && !strcmp(argv[1], "rawcommit"))
		rc = cmd_rawcommit(argv + 2);
	else if (argc == 6 && !strcmp(argv[1], "commit"))
		rc = cmd_commit(argv + 2);
	else if (argc >= 5 && argc <= 6 && !strcmp(argv[1], "delta"))
		rc = cmd_delta(argc - 2, argv + 2);
	else if (argc >= 4 && !strcmp(argv[1], "tar"))
		rc = cmd_tar(argc - 2, argv + 2);
	else if (argc == 5 && !strcmp(argv[1], "flip"))
		rc = cmd_flip(argv + 2);
	else if (argc == 4 && !strcmp(argv[1], "pack"))
		rc = cmd_pack(argv + 2);
	else
		fprintf(stderr, "usage: see the comment at the top of parcel-forge.c\n");
	git_libgit2_shutdown();
	return rc;
}
