/*
 * check_received.c - the checks on received objects: packs built byte by
 * byte, each wrong in one way, and view commits in an in-memory object
 * store, with every limit tried at the limit and one past it.
 */
#include "fixture.h"
#include "strata/replica/received.h"
#include "strata/format/trie.h"
#include "strata/base/enc.h"
#include <ctype.h>
#include <stdarg.h>

#include <git2/sys/mempack.h>
#include <git2/sys/repository.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <unistd.h>

/* --- packs --- */

/* An entry header: type and size, git's varint (4 bits, then 7 per byte). */
static void put_header(strata_buf *p, int type, uint64_t size)
{
	unsigned char c = (unsigned char)((type << 4) | (size & 0x0f));
	size >>= 4;
	while (size) {
		strata_buf_putc(p, (char)(c | 0x80));
		c = size & 0x7f;
		size >>= 7;
	}
	strata_buf_putc(p, (char)c);
}

static void put_deflated(strata_buf *p, const void *data, size_t len)
{
	uLongf zlen = compressBound((uLong)len);
	ck_assert_int_eq(strata_buf_grow(p, p->len + zlen), 0);
	ck_assert_int_eq(compress2((Bytef *)p->ptr + p->len, &zlen, data, (uLong)len, 1), Z_OK);
	p->len += zlen;
}

static void pack_begin(strata_buf *p, uint32_t count)
{
	strata_buf_clear(p);
	strata_buf_put(p, "PACK\0\0\0\2", 8);
	strata_buf_put_u32be(p, count);
}

static void pack_end(strata_buf *p)
{
	unsigned char sum[20];
	EVP_Digest(p->ptr, p->len, sum, NULL, EVP_sha1(), NULL);
	strata_buf_put(p, sum, 20);
}

static int scan(const strata_buf *p, uint64_t count)
{
	return strata_received_scan_pack(p->ptr, p->len, count, "t.parcel");
}

START_TEST(pack_well_formed)
{
	strata_buf p = STRATA_BUF_INIT;
	pack_begin(&p, 2);
	put_header(&p, 3, 11);
	put_deflated(&p, "{\"id\":\"1\"}\n", 11);
	put_header(&p, 3, 0);
	put_deflated(&p, "", 0);
	pack_end(&p);
	ck_assert_int_eq(scan(&p, 2), 0);
	ck_assert_int_lt(scan(&p, 3), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "holds 2 objects but the manifest says 3"));
	/* any byte changed: the trailer no longer matches */
	p.ptr[14] ^= 1;
	ck_assert_int_lt(scan(&p, 2), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "checksum mismatch"));
	strata_buf_dispose(&p);
}
END_TEST

START_TEST(pack_malformed)
{
	strata_buf p = STRATA_BUF_INIT;
	static const struct { int type; uint64_t declared; const char *body; size_t extra; const char *want; } cases[] = {
		{ 5, 3, "abc", 0, "invalid type 5" },
		{ 0, 3, "abc", 0, "invalid type 0" },
		{ 3, 2, "abc", 0, "inflates past its declared 2 bytes" },
		{ 3, 4, "abc", 0, "truncated or its size is wrong" },
		{ 3, 3, "abc", 5, "bytes after its last object" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pack_begin(&p, 1);
		put_header(&p, cases[i].type, cases[i].declared);
		put_deflated(&p, cases[i].body, strlen(cases[i].body));
		for (size_t k = 0; k < cases[i].extra; k++)
			strata_buf_putc(&p, 0);
		pack_end(&p);
		ck_assert_int_lt(scan(&p, 1), 0);
		ck_assert_msg(strstr(strata_error_last(), cases[i].want), "case %zu: %s", i, strata_error_last());
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "'t.parcel'"));
	}
	/* cut anywhere: refused, never read past the end */
	pack_begin(&p, 1);
	put_header(&p, 3, 3);
	put_deflated(&p, "abc", 3);
	for (size_t cut = 12; cut < p.len; cut++) {
		strata_buf q = STRATA_BUF_INIT;
		strata_buf_put(&q, p.ptr, cut);
		pack_end(&q);
		ck_assert_int_lt(scan(&q, 1), 0);
		strata_buf_dispose(&q);
	}
	strata_buf_dispose(&p);
}
END_TEST

/*
 * Read from a file, a blob whose zlib stream ends (its adler32) just past a
 * 64 KiB read: all its bytes come out before the stream's end is seen.
 * Stored (level 0): 2 header bytes, 5 block-header bytes, the data, 4 adler32.
 */
START_TEST(pack_from_file_stream_end_split)
{
	strata_buf p = STRATA_BUF_INIT;
	size_t n = 65536 - 7;
	char *data = malloc(n), path[] = "/tmp/check-received-XXXXXX";
	uLongf zlen = compressBound((uLong)n);
	strata_received_src src;
	int fd;

	memset(data, 'x', n);
	pack_begin(&p, 1);
	put_header(&p, 3, n);
	ck_assert_int_eq(strata_buf_grow(&p, p.len + zlen), 0);
	ck_assert_int_eq(compress2((Bytef *)p.ptr + p.len, &zlen, (const Bytef *)data, (uLong)n, 0), Z_OK);
	p.len += zlen;
	pack_end(&p);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	unlink(path);
	ck_assert_int_eq(write(fd, p.ptr, p.len), (ssize_t)p.len);
	strata_received_src_fd(&src, fd, p.len);
	ck_assert_msg(strata_received_resolve_src(&src, 1, NULL, "t.parcel", NULL) == 0, "%s", strata_error_last());
	close(fd);
	free(data);
	strata_buf_dispose(&p);
}
END_TEST

/* One object of exactly STRATA_PACK_OBJECT_MAX bytes passes; one byte more is refused, declared or inflated. */
START_TEST(pack_object_limit)
{
	strata_buf p = STRATA_BUF_INIT;
	size_t max = STRATA_PACK_OBJECT_MAX;
	char *zeros = calloc(1, max + 1);

	ck_assert_ptr_nonnull(zeros);
	pack_begin(&p, 1);
	put_header(&p, 3, max);
	put_deflated(&p, zeros, max);
	pack_end(&p);
	ck_assert_int_eq(scan(&p, 1), 0);

	pack_begin(&p, 1);
	put_header(&p, 3, max + 1);
	put_deflated(&p, zeros, max + 1);
	pack_end(&p);
	ck_assert_int_lt(scan(&p, 1), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "over the limit of 67108864"));

	/* a bomb: declares little, inflates to the limit and past it; stops at the declared size */
	pack_begin(&p, 1);
	put_header(&p, 3, 1000);
	put_deflated(&p, zeros, max + 1);
	pack_end(&p);
	ck_assert_int_lt(scan(&p, 1), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "inflates past its declared 1000 bytes"));

	/* a delta whose result would be one byte over: refused from its header */
	{
		unsigned char delta[16];
		size_t n = 0;
		uint64_t v;
		delta[n++] = 1;				/* source size 1 */
		for (v = max + 1; v >= 0x80; v >>= 7)	/* result size max + 1 */
			delta[n++] = (unsigned char)(v | 0x80);
		delta[n++] = (unsigned char)v;
		pack_begin(&p, 1);
		put_header(&p, 7, n);
		strata_buf_put(&p, zeros, 20);	/* base id */
		put_deflated(&p, delta, n);
		pack_end(&p);
		ck_assert_int_lt(scan(&p, 1), 0);
		ck_assert_ptr_nonnull(strstr(strata_error_last(), "delta sizes missing or over the limit"));
	}
	free(zeros);
	strata_buf_dispose(&p);
}
END_TEST

/* --- view commits, in an in-memory object store --- */

static git_odb *odb, *known;
static git_repository *repo;

static void mem_setup(void)
{
	git_odb_backend *mem = NULL;
	git_libgit2_init();
	ck_assert_int_eq(git_mempack_new(&mem), 0);
	ck_assert_int_eq(git_odb_new(&odb), 0);
	ck_assert_int_eq(git_odb_add_backend(odb, mem, 1), 0);
	ck_assert_int_eq(git_odb_new(&known), 0);
	ck_assert_int_eq(git_repository_wrap_odb(&repo, odb), 0);
}

static void mem_teardown(void)
{
	git_repository_free(repo);
	git_odb_free(odb);
	git_odb_free(known);
	git_libgit2_shutdown();
}

static git_oid blob(const char *text)
{
	git_oid id;
	ck_assert_int_eq(git_odb_write(&id, odb, text, strlen(text), GIT_OBJECT_BLOB), 0);
	return id;
}

/* A tree of up to two entries, raw, so that names and modes git would refuse still get through. */
static git_oid tree2(const char *mode1, const char *name1, git_oid id1, const char *mode2, const char *name2,
		     git_oid id2)
{
	strata_buf t = STRATA_BUF_INIT;
	git_oid id;
	strata_buf_printf(&t, "%s %s", mode1, name1);
	strata_buf_put(&t, "", 1);
	strata_buf_put(&t, id1.id, GIT_OID_RAWSZ);
	if (mode2) {
		strata_buf_printf(&t, "%s %s", mode2, name2);
		strata_buf_put(&t, "", 1);
		strata_buf_put(&t, id2.id, GIT_OID_RAWSZ);
	}
	ck_assert_int_eq(git_odb_write(&id, odb, t.ptr, t.len, GIT_OBJECT_TREE), 0);
	strata_buf_dispose(&t);
	return id;
}

#define TRAILERS "Strata-Dataset: residents\nStrata-Node: cn-a\nStrata-Recipient: st-b\n" \
	"Strata-Source: 0123456789abcdef0123456789abcdef01234567\n" \
	"Strata-Policy: 89abcdef0123456789abcdef0123456789abcdef\nStrata-Purpose: visits\n"

static git_oid commit(git_oid tree, int parents, const char *trailers)
{
	strata_buf c = STRATA_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;
	git_oid_tostr(hex, sizeof(hex), &tree);
	strata_buf_printf(&c, "tree %s\n", hex);
	for (int i = 0; i < parents; i++)
		strata_buf_printf(&c, "parent %s\n", hex);
	strata_buf_printf(&c, "author a <a@b> 0 +0000\ncommitter a <a@b> 0 +0000\n\nresidents: view\n\n%s", trailers);
	ck_assert_int_eq(git_odb_write(&id, odb, c.ptr, c.len, GIT_OBJECT_COMMIT), 0);
	strata_buf_dispose(&c);
	return id;
}

static int check(git_oid c, const char *want)
{
	strata_received r = { "t.parcel", "cn-a", "st-b", known, repo, STRATA_OIDSET_INIT };
	int rc = strata_received_commit(&r, &c, "residents");
	strata_received_dispose(&r);
	if (want)
		ck_assert_msg(rc < 0 && strstr(strata_error_last(), want), "wanted '%s', got %s", want,
			      rc < 0 ? strata_error_last() : "accepted");
	else
		ck_assert_msg(rc == 0, "refused: %s", strata_error_last());
	return rc;
}

#define SCHEMA "{\"fields\":[{\"name\":\"id\",\"type\":\"string\"}],\"format\":1,\"key\":[\"id\"]}\n"

/* A view tree: records/ (the tree given) and a valid schema.json. */
static git_oid view_tree(git_oid records)
{
	return tree2("40000", "records", records, "100644", "schema.json", blob(SCHEMA));
}

/*
 * Keys picked for their hashes, so that the layout's cuts fall where a
 * test wants them: in key-hash order A < X < B < C < D < E, with A
 * starting the first leaf, X and C of level 1 (each starts a leaf), B
 * and E of level 0, D of level 2 (it starts a dir).
 */
typedef struct {
	char id[16];
	unsigned char h[STRATA_HASH_LEN];
	char name[80];		/* the hash in hex */
	char rec[48];		/* {"id":"..."} */
} key;

static key A, X, B, C, D, E;

static void pick(key *k, unsigned lo, unsigned hi, int level)
{
	for (unsigned i = 0;; i++) {
		char *v[1];
		size_t l[1];
		snprintf(k->id, sizeof(k->id), "%u", i);
		v[0] = k->id;
		l[0] = strlen(k->id);
		ck_assert_int_eq(strata_trie_keyhash(k->h, v, l, 1), 0);
		if (k->h[0] >= lo && k->h[0] < hi && (level < 0 || strata_trie_level(k->h) == level))
			break;
	}
	strata_enc_hex(k->name, k->h, STRATA_HASH_LEN);
	snprintf(k->rec, sizeof(k->rec), "{\"id\":\"%s\"}", k->id);
}

static void pick_keys(void)
{
	pick(&A, 0x00, 0x10, -1);
	pick(&X, 0x10, 0x20, 1);
	pick(&B, 0x20, 0x40, 0);
	pick(&C, 0x40, 0x80, 1);
	pick(&D, 0x80, 0xc0, 2);
	pick(&E, 0xc0, 0x100, 0);
}

static const char *leafname(const key *k)
{
	static char n[4][96];
	static int i;
	i = (i + 1) % 4;
	snprintf(n[i], sizeof(n[i]), "%s.jsonl", k->name);
	return n[i];
}

/* A leaf holding the records of keys, NULL-terminated, in the order given. */
static git_oid leaf(const key *k, ...)
{
	strata_buf t = STRATA_BUF_INIT;
	va_list ap;
	git_oid id;
	va_start(ap, k);
	for (; k; k = va_arg(ap, const key *))
		strata_buf_printf(&t, "%s\n", k->rec);
	va_end(ap);
	id = blob(t.ptr ? t.ptr : "");
	strata_buf_dispose(&t);
	return id;
}

/* A raw tree of up to three entries (mode NULL ends). */
static git_oid tree3(const char *m1, const char *n1, git_oid i1, const char *m2, const char *n2, git_oid i2,
		     const char *m3, const char *n3, git_oid i3)
{
	strata_buf t = STRATA_BUF_INIT;
	const char *m[3] = { m1, m2, m3 }, *n[3] = { n1, n2, n3 };
	git_oid ids[3] = { i1, i2, i3 }, id;
	for (int k = 0; k < 3 && m[k]; k++) {
		strata_buf_printf(&t, "%s %s", m[k], n[k]);
		strata_buf_put(&t, "", 1);
		strata_buf_put(&t, ids[k].id, GIT_OID_RAWSZ);
	}
	ck_assert_int_eq(git_odb_write(&id, odb, t.ptr, t.len, GIT_OBJECT_TREE), 0);
	strata_buf_dispose(&t);
	return id;
}

/* records/A/ [A.jsonl: A B] [C.jsonl: C]; records/D/ [D.jsonl: D E]: valid */
static git_oid good_records(git_oid *dir_a, git_oid *dir_d)
{
	git_oid none = { { 0 } };
	*dir_a = tree2("100644", leafname(&A), leaf(&A, &B, NULL), "100644", leafname(&C), leaf(&C, NULL));
	*dir_d = tree2("100644", leafname(&D), leaf(&D, &E, NULL), NULL, NULL, none);
	return tree2("40000", A.name, *dir_a, "40000", D.name, *dir_d);
}

/* records/ with one dir named by k holding one leaf named by k */
static git_oid one_leaf(const key *k, git_oid content)
{
	git_oid none = { { 0 } };
	return tree2("40000", k->name, tree2("100644", leafname(k), content, NULL, NULL, none), NULL, NULL, none);
}

START_TEST(view_commit_checks)
{
	git_oid none = { { 0 } }, da, dd;
	git_oid records = good_records(&da, &dd), lf = leaf(&A, &B, NULL);
	git_oid good = view_tree(records);

	check(commit(good, 0, TRAILERS), NULL);
	check(commit(good, 1, TRAILERS), "its parent line does not name a commit");	/* the helper's parent is a tree */
	check(commit(good, 2, TRAILERS), "is a merge");
	check(commit(good, 0, "Strata-Node: cn-a\n"), "built for '', not for this node 'st-b'");
	check(commit(good, 0, "Strata-Dataset: residents\nStrata-Node: cn-a\nStrata-Recipient: st-b\n"),
	      "lacks its provenance trailers");
	check(commit(good, 0, "Strata-Dataset: events\nStrata-Node: cn-a\nStrata-Recipient: st-b\n"),
	      "is dataset 'events' but arrives as 'residents'");
	check(commit(good, 0, "Strata-Dataset: residents\nStrata-Node: cn-x\nStrata-Recipient: st-b\n"),
	      "names node 'cn-x' in Strata-Node, not the sender 'cn-a'");
	/* trees */
	check(commit(tree2("40000", "records", records, NULL, NULL, none), 0, TRAILERS), "must hold schema.json and records/");
	check(commit(tree2("40000", "records", records, "100755", "schema.json", blob(SCHEMA)), 0, TRAILERS),
	      "has mode 100755");
	check(commit(tree2("40000", "records", records, "100644", "x.json", blob(SCHEMA)), 0, TRAILERS),
	      "unexpected entry 'x.json'");
	check(commit(view_tree(tree2("160000", A.name, lf, NULL, NULL, none)), 0, TRAILERS), "has mode 160000");
	check(commit(view_tree(tree2("120000", A.name, lf, NULL, NULL, none)), 0, TRAILERS), "has mode 120000");
	check(commit(view_tree(tree2("100644", "..", lf, NULL, NULL, none)), 0, TRAILERS), "named '..'");
	check(commit(view_tree(tree2("100644", ".GIT", lf, NULL, NULL, none)), 0, TRAILERS), "named '.GIT'");
	check(commit(view_tree(tree2("100644", "a\x01.jsonl", lf, NULL, NULL, none)), 0, TRAILERS), "control character");
	check(commit(tree2("40000", "records", records, "100644", "schema.json", blob("{}")), 0, TRAILERS),
	      "schema.json is not valid");
}
END_TEST

static git_oid commit_raw(const char *fmt, git_oid tree)
{
	strata_buf c = STRATA_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;
	git_oid_tostr(hex, sizeof(hex), &tree);
	strata_buf_printf(&c, fmt, hex);
	strata_buf_puts(&c, "\nresidents: view\n\n" TRAILERS);
	ck_assert_int_eq(git_odb_write(&id, odb, c.ptr, c.len, GIT_OBJECT_COMMIT), 0);
	strata_buf_dispose(&c);
	return id;
}

static git_oid commit_on(git_oid tree, git_oid parent)
{
	char fmt[256], phex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(phex, sizeof(phex), &parent);
	snprintf(fmt, sizeof(fmt), "tree %%s\nparent %s\nauthor a <a@b> 0 +0000\ncommitter a <a@b> 0 +0000\n", phex);
	return commit_raw(fmt, tree);
}

/* What git fsck --strict refuses, and what the layout rules out, though a peer's key signed it. */
START_TEST(view_fsck_and_layout)
{
	git_oid none = { { 0 } }, da, dd;
	git_oid records = good_records(&da, &dd), lf = leaf(&A, &B, NULL), one = leaf(&A, NULL);
	char upper[80];

	/* trees: zero-padded or other modes, duplicates, order, types */
	check(commit(tree2("040000", "records", records, "100644", "schema.json", blob(SCHEMA)), 0, TRAILERS),
	      "has mode 040000; only 40000 (directory) and 100644 (plain file) are allowed");
	check(commit(view_tree(tree2("40000", A.name, tree2("100664", leafname(&A), lf, NULL, NULL, none),
				     NULL, NULL, none)), 0, TRAILERS), "has mode 100664");
	check(commit(view_tree(tree2("40000", A.name, da, "40000", A.name, da)), 0, TRAILERS), "appears twice");
	check(commit(view_tree(tree2("40000", D.name, dd, "40000", A.name, da)), 0, TRAILERS), "is out of order");
	check(commit(view_tree(tree2("40000", A.name, lf, NULL, NULL, none)), 0, TRAILERS),
	      "has mode 40000 but its object is a blob");
	check(commit(view_tree(tree2("40000", A.name, tree2("100644", leafname(&A), da, NULL, NULL, none),
				     NULL, NULL, none)), 0, TRAILERS), "has mode 100644 but its object is a tree");
	/* names: 64 lower-case hex digits, ".jsonl" for leaves, each where its kind belongs */
	check(commit(view_tree(tree2("40000", "ab", da, NULL, NULL, none)), 0, TRAILERS), "unexpected entry 'ab'");
	snprintf(upper, sizeof(upper), "%s", A.name);
	for (char *q = upper; *q; q++)
		*q = (char)toupper((unsigned char)*q);
	check(commit(view_tree(tree2("40000", upper, da, NULL, NULL, none)), 0, TRAILERS), "unexpected entry");
	check(commit(view_tree(tree2("100644", leafname(&A), lf, NULL, NULL, none)), 0, TRAILERS),
	      "unexpected entry");
	check(commit(view_tree(tree2("40000", A.name, tree2("40000", A.name, da, NULL, NULL, none), NULL, NULL, none)),
		     0, TRAILERS), "leaves are named <64 hex digits>.jsonl");
	check(commit(view_tree(tree2("40000", A.name, tree2("100644", A.name, lf, NULL, NULL, none), NULL, NULL, none)),
		     0, TRAILERS), "leaves are named <64 hex digits>.jsonl");
	/* leaves: content */
	check(commit(view_tree(one_leaf(&A, blob(""))), 0, TRAILERS), "is empty");
	check(commit(view_tree(tree2("40000", A.name, tree3(NULL, NULL, none, NULL, NULL, none, NULL, NULL, none),
				     NULL, NULL, none)), 0, TRAILERS), "is empty");
	check(commit(view_tree(one_leaf(&A, blob("{\"id\":\"x\"}"))), 0, TRAILERS), "does not end with a newline");
	{
		char text[128];
		snprintf(text, sizeof(text), "%s\nnot json\n", A.rec);
		check(commit(view_tree(one_leaf(&A, blob(text))), 0, TRAILERS), "line 2 is not a record");
	}
	check(commit(view_tree(one_leaf(&A, leaf(&A, &A, NULL))), 0, TRAILERS), "line 2: the same record key twice");
	check(commit(view_tree(one_leaf(&A, leaf(&A, &E, &B, NULL))), 0, TRAILERS), "line 3: records out of key-hash order");
	check(commit(view_tree(one_leaf(&A, leaf(&B, NULL))), 0, TRAILERS), "not named by its first record's key hash");
	check(commit(view_tree(one_leaf(&B, leaf(&B, NULL))), 0, TRAILERS), NULL);
	/* the cuts: a record that starts a leaf inside one, a leaf or dir starting where no cut is */
	check(commit(view_tree(one_leaf(&A, leaf(&A, &C, NULL))), 0, TRAILERS), "line 2: a record whose key hash starts a new leaf");
	check(commit(view_tree(one_leaf(&A, leaf(&A, &D, NULL))), 0, TRAILERS), "line 2: a record whose key hash starts a new leaf");
	check(commit(view_tree(tree2("40000", A.name, tree2("100644", leafname(&A), one, "100644", leafname(&B),
								leaf(&B, NULL)), NULL, NULL, none)), 0, TRAILERS),
	      "starts where the layout does not cut a leaf");
	check(commit(view_tree(tree2("40000", A.name, tree2("100644", leafname(&A), one, "100644", leafname(&D),
								leaf(&D, NULL)), NULL, NULL, none)), 0, TRAILERS),
	      "starts a new dir in the layout");
	check(commit(view_tree(tree2("40000", A.name, tree2("100644", leafname(&A), one, NULL, NULL, none),
				     "40000", C.name, tree2("100644", leafname(&C), leaf(&C, NULL), NULL, NULL, none))),
		     0, TRAILERS), "starts where the layout does not cut a dir");
	check(commit(view_tree(tree2("40000", B.name, tree2("100644", leafname(&A), one, NULL, NULL, none),
				     NULL, NULL, none)), 0, TRAILERS), "is not named by its first leaf");
	/* every record below the next leaf's name */
	check(commit(view_tree(tree2("40000", A.name, tree2("100644", leafname(&A), leaf(&A, &E, NULL), "100644",
								leafname(&C), leaf(&C, NULL)), NULL, NULL, none)), 0, TRAILERS),
	      "holds records at or above the next name");
	/* commits: a tree header naming a blob, a parent naming a tree, impossible dates and zones */
	check(commit_raw("tree %s\nauthor a <a@b> 0 +0000\ncommitter a <a@b> 0 +0000\n", one),
	      "its tree line does not name a tree");
	check(commit_raw("tree %s\nauthor a <a@b> 0 +9999\ncommitter a <a@b> 0 +0000\n", view_tree(records)),
	      "malformed author line");
	check(commit_raw("tree %s\nauthor a <a@b> 0 +0000\ncommitter a <a@b> 0 -1560\n", view_tree(records)),
	      "malformed committer line");
	check(commit_raw("tree %s\nauthor a <a@b> 0 +0000\ncommitter a <a@b> 012 +0000\n", view_tree(records)),
	      "malformed committer line");
	check(commit_raw("tree %s\nauthor a <a@b> 0 +0000\n", view_tree(records)), "lacks its committer");
	check(commit_raw("tree %s\nauthor a <a@b> 0 +0000\ncommitter a <a@b> 0 +0000\nauthor b <b@c> 0 +0000\n",
			 view_tree(records)), "has a second 'author' header");
	check(commit_raw("tree %s\nauthor a <a@b> 0 +1400\ncommitter a <a@b> 1700000000 -1200\n", view_tree(records)), NULL);
	/* one parent that is a commit: accepted */
	check(commit_on(view_tree(records), commit(view_tree(records), 0, TRAILERS)), NULL);
}
END_TEST

/*
 * A commit on an accepted parent: what is unchanged is not read again,
 * but a kept leaf must still lie below whatever now follows it.
 */
START_TEST(view_on_accepted_parent)
{
	git_oid none = { { 0 } }, da, dd;
	git_oid records = good_records(&da, &dd);
	git_oid parent = commit(view_tree(records), 0, TRAILERS);
	git_oid e2 = blob("x"), dd2, da2;
	char e2rec[64];

	check(parent, NULL);
	/* a change in the second dir only: the first is taken as accepted */
	snprintf(e2rec, sizeof(e2rec), "{\"id\":\"%s\",\"v\":\"1\"}\n", E.id);
	{
		strata_buf t = STRATA_BUF_INIT;
		strata_buf_printf(&t, "%s\n%s", D.rec, e2rec);
		e2 = blob(t.ptr);
		strata_buf_dispose(&t);
	}
	dd2 = tree2("100644", leafname(&D), e2, NULL, NULL, none);
	check(commit_on(view_tree(tree2("40000", A.name, da, "40000", D.name, dd2)), parent), NULL);
	/* a kept leaf (A B) followed by a new leaf X that sorts inside it: refused */
	da2 = tree3("100644", leafname(&A), leaf(&A, &B, NULL), "100644", leafname(&X), leaf(&X, NULL),
		    "100644", leafname(&C), leaf(&C, NULL));
	check(commit_on(view_tree(tree2("40000", A.name, da2, "40000", D.name, dd)), parent),
	      "holds records at or above the next name");
	/* the same with X after B where it belongs: accepted */
	da2 = tree3("100644", leafname(&A), leaf(&A, NULL), "100644", leafname(&X), leaf(&X, &B, NULL),
		    "100644", leafname(&C), leaf(&C, NULL));
	check(commit_on(view_tree(tree2("40000", A.name, da2, "40000", D.name, dd)), parent), NULL);
}
END_TEST

/* An object the node already held is not read again; a new one is read once. */
START_TEST(known_objects_skipped)
{
	strata_received r = { "t.parcel", "cn-a", "st-b", known, repo, STRATA_OIDSET_INIT };
	git_oid id = blob("x");
	ck_assert_int_eq(strata_received_needed(&r, &id), 1);
	ck_assert_int_eq(strata_received_needed(&r, &id), 0);
	strata_received_dispose(&r);
	r.known = odb;
	ck_assert_int_eq(strata_received_needed(&r, &id), 0);
	strata_received_dispose(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("received");
	TCase *tp = tcase_create("pack"), *tv = tcase_create("view");
	tcase_add_test(tp, pack_well_formed);
	tcase_add_test(tp, pack_malformed);
	tcase_add_test(tp, pack_object_limit);
	tcase_add_test(tp, pack_from_file_stream_end_split);
	tcase_add_checked_fixture(tv, mem_setup, mem_teardown);
	tcase_add_unchecked_fixture(tv, pick_keys, NULL);
	tcase_add_test(tv, view_commit_checks);
	tcase_add_test(tv, view_on_accepted_parent);
	tcase_add_test(tv, view_fsck_and_layout);
	tcase_add_test(tv, known_objects_skipped);
	suite_add_tcase(s, tp);
	suite_add_tcase(s, tv);
	return fx_run_suite(s);
}
