/*
 * received.c - checks on what a peer sent (see received.h).  Every
 * message names the parcel and the object, so a refusal in refused.log
 * says what was wrong and where.
 */
#include "strata/received.h"
#include "strata/commit.h"
#include "strata/dataset.h"
#include "strata/json.h"
#include "strata/util.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* Reads a varint of git's pack entry header or delta header. */
static int get_varint(uint64_t *out, const unsigned char **p, const unsigned char *end)
{
	uint64_t v = 0;
	int shift = 0;
	while (*p < end && shift < 63) {
		unsigned char c = *(*p)++;
		v |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

int strata_received_scan_pack(const void *pack, size_t len, uint64_t objects, const char *what)
{
	const unsigned char *d = pack, *pos, *end;
	unsigned char scratch[65536], sum[20];
	uint64_t count, total = 0;
	z_stream zs;
	int error = STRATA_ERROR;

	if (len < 32 || memcmp(d, "PACK", 4) || d[4] || d[5] || d[6] || (d[7] != 2 && d[7] != 3))
		return strata_error_set("'%s': objects.pack is not a git pack", what);
	count = ((uint64_t)d[8] << 24) | ((uint64_t)d[9] << 16) | ((uint64_t)d[10] << 8) | d[11];
	if (count != objects)
		return strata_error_set("'%s': objects.pack holds %llu objects but the manifest says %llu",
					what, (unsigned long long)count, (unsigned long long)objects);
	if (count > STRATA_PACK_OBJECTS_MAX)
		return strata_error_set("'%s': objects.pack holds %llu objects, over the limit of %u",
					what, (unsigned long long)count, STRATA_PACK_OBJECTS_MAX);
	EVP_Digest(d, len - 20, sum, NULL, EVP_sha1(), NULL);
	if (memcmp(sum, d + len - 20, 20))
		return strata_error_set("'%s': objects.pack checksum mismatch", what);
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return strata_error_set("cannot inflate");
	pos = d + 12;
	end = d + len - 20;
	for (uint64_t i = 0; i < count; i++) {
		size_t off = (size_t)(pos - d);
		unsigned char c;
		int type, shift = 4, zrc;
		uint64_t size, got = 0;

		if (pos >= end)
			goto truncated;
		c = *pos++;
		type = (c >> 4) & 7;
		size = c & 0x0f;
		while (c & 0x80) {
			if (pos >= end || shift > 60)
				goto truncated;
			c = *pos++;
			size |= (uint64_t)(c & 0x7f) << shift;
			shift += 7;
		}
		if (type == 0 || type == 5) {
			strata_error_set("'%s': objects.pack entry %llu (offset %zu) has invalid type %d",
					 what, (unsigned long long)i, off, type);
			goto done;
		}
		if (size > STRATA_PACK_OBJECT_MAX) {
			strata_error_set("'%s': objects.pack entry %llu declares %llu bytes, over the limit of %zu",
					 what, (unsigned long long)i, (unsigned long long)size, STRATA_PACK_OBJECT_MAX);
			goto done;
		}
		if (type == 6) {	/* OFS_DELTA: a negative offset */
			uint64_t ofs = 0;
			do {
				if (pos >= end)
					goto truncated;
				c = *pos++;
				ofs = (ofs << 7) | (c & 0x7f);
			} while ((c & 0x80) && ofs < ((uint64_t)1 << 56));
		} else if (type == 7) {
			if ((size_t)(end - pos) < 20)
				goto truncated;
			pos += 20;
		}
		if (inflateReset(&zs) != Z_OK)
			goto truncated;
		zs.next_in = (unsigned char *)pos;
		zs.avail_in = (uInt)((size_t)(end - pos) > 0x7fffffff ? 0x7fffffff : (size_t)(end - pos));
		do {
			zs.next_out = scratch;
			zs.avail_out = sizeof(scratch);
			zrc = inflate(&zs, Z_NO_FLUSH);
			if (zrc != Z_OK && zrc != Z_STREAM_END) {
				strata_error_set("'%s': objects.pack entry %llu (offset %zu) is not valid zlib data",
						 what, (unsigned long long)i, off);
				goto done;
			}
			if (got == 0 && (type == 6 || type == 7)) {
				const unsigned char *q = scratch, *qe = scratch + (sizeof(scratch) - zs.avail_out);
				uint64_t src, dst;
				if (get_varint(&src, &q, qe) < 0 || get_varint(&dst, &q, qe) < 0 ||
				    src > STRATA_PACK_OBJECT_MAX || dst > STRATA_PACK_OBJECT_MAX) {
					strata_error_set("'%s': objects.pack entry %llu: delta sizes missing or over the "
							 "limit of %zu bytes", what, (unsigned long long)i, STRATA_PACK_OBJECT_MAX);
					goto done;
				}
				total += dst;
			}
			got += sizeof(scratch) - zs.avail_out;
			if (got > size) {
				strata_error_set("'%s': objects.pack entry %llu inflates past its declared %llu bytes",
						 what, (unsigned long long)i, (unsigned long long)size);
				goto done;
			}
		} while (zrc != Z_STREAM_END && zs.avail_in > 0);
		if (zrc != Z_STREAM_END || got != size) {
			strata_error_set("'%s': objects.pack entry %llu is truncated or its size is wrong",
					 what, (unsigned long long)i);
			goto done;
		}
		total += type == 6 || type == 7 ? 0 : size;
		if (total > STRATA_PACK_INFLATED_MAX) {
			strata_error_set("'%s': objects.pack inflates to more than %llu bytes", what,
					 (unsigned long long)STRATA_PACK_INFLATED_MAX);
			goto done;
		}
		pos = zs.next_in;
	}
	if (pos != end) {
		strata_error_set("'%s': objects.pack has %zu bytes after its last object", what, (size_t)(end - pos));
		goto done;
	}
	error = 0;
	goto done;
truncated:
	strata_error_set("'%s': objects.pack is truncated", what);
done:
	inflateEnd(&zs);
	return error;
}

int strata_received_needed(strata_received *c, const git_oid *id)
{
	if (git_odb_exists(c->known, id))
		return 0;
	return strata_oidset_add(&c->seen, id);
}

static int check_name(strata_received *c, const char *path, const char *name)
{
	if (!*name)
		return strata_error_set("'%s': tree '%s' has an entry with an empty name", c->what, path);
	if (!strcmp(name, ".") || !strcmp(name, "..") || !strcasecmp(name, ".git") || strchr(name, '/') ||
	    strchr(name, '\\'))
		return strata_error_set("'%s': tree '%s' has an entry named '%.64s', which is not allowed",
					c->what, path, name);
	for (const char *s = name; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return strata_error_set("'%s': tree '%s' has an entry name with a control character",
						c->what, path);
	return 0;
}

static int check_records_blob(strata_received *c, const git_oid *id, const char *path)
{
	git_blob *b = NULL;
	const char *s, *e, *nl;
	size_t line = 0;
	int error = 0;

	if (git_blob_lookup(&b, c->repo, id) < 0)
		return strata_error_git("cannot read a received leaf");
	s = git_blob_rawcontent(b);
	e = s + git_blob_rawsize(b);
	if (s < e && e[-1] != '\n')
		error = strata_error_set("'%s': leaf '%s' does not end with a newline", c->what, path);
	for (; !error && s < e; s = nl + 1) {
		strata_record *r = NULL;
		line++;
		nl = memchr(s, '\n', (size_t)(e - s));
		if (strata_record_parse(&r, s, (size_t)(nl - s)) < 0)
			error = strata_error_set("'%s': leaf '%s' line %zu is not a record: %s", c->what, path,
						 line, strata_error_last());
		strata_record_free(r);
	}
	git_blob_free(b);
	return error;
}

/* A tree of the dataset layout: schema.json and records/ at the top, trie nodes below. */
static int check_tree(strata_received *c, const git_oid *id, const char *path, int depth)
{
	git_tree *t = NULL;
	char sub[512];
	int rc, error = 0;

	if ((rc = strata_received_needed(c, id)) <= 0)
		return rc;
	if (depth > STRATA_TREE_DEPTH_MAX)
		return strata_error_set("'%s': tree '%s' is nested too deep", c->what, path);
	if (git_tree_lookup(&t, c->repo, id) < 0)
		return strata_error_git("cannot read a received tree");
	for (size_t i = 0; !error && i < git_tree_entrycount(t); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		const char *name = git_tree_entry_name(e);
		git_filemode_t mode = git_tree_entry_filemode(e);
		size_t nl = strlen(name);
		int is_tree = mode == GIT_FILEMODE_TREE;

		if ((error = check_name(c, path, name)) < 0)
			break;
		if (mode != GIT_FILEMODE_TREE && mode != GIT_FILEMODE_BLOB) {
			error = strata_error_set("'%s': tree '%s' entry '%s' has mode %06o; only directories "
						 "and plain files are allowed", c->what, path, name, (unsigned)mode);
			break;
		}
		if (depth == 0 ? !((is_tree && !strcmp(name, "records")) || (!is_tree && !strcmp(name, "schema.json"))) :
		    !(strchr("0123456789abcdef", name[0]) && name[0] &&
		      (is_tree ? nl == 1 : nl == 7 && !strcmp(name + 1, ".jsonl")))) {
			error = strata_error_set("'%s': tree '%s' has an unexpected entry '%s' for the dataset layout",
						 c->what, path, name);
			break;
		}
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "/" : "", name);
		if (is_tree) {
			error = check_tree(c, git_tree_entry_id(e), sub, depth + 1);
		} else if ((rc = strata_received_needed(c, git_tree_entry_id(e))) < 0) {
			error = rc;
		} else if (rc == 1 && depth > 0) {
			error = check_records_blob(c, git_tree_entry_id(e), sub);
		} else if (rc == 1) {
			strata_schema *s = NULL;
			git_blob *b = NULL;
			if (git_blob_lookup(&b, c->repo, git_tree_entry_id(e)) < 0)
				error = strata_error_git("cannot read a received schema");
			else if (strata_schema_parse(&s, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b)) < 0)
				error = strata_error_set("'%s': schema.json is not valid: %s", c->what, strata_error_last());
			strata_schema_free(s);
			git_blob_free(b);
		}
	}
	if (!error && depth == 0 && git_tree_entrycount(t) != 2)
		error = strata_error_set("'%s': a received dataset tree must hold schema.json and records/", c->what);
	git_tree_free(t);
	return error;
}

static int is_hex_oid(const char *s)
{
	if (strlen(s) != GIT_OID_HEXSZ)
		return 0;
	for (; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return 0;
	return 1;
}

int strata_received_commit(strata_received *c, const git_oid *id, const char *dataset)
{
	git_commit *commit = NULL;
	char v[512], hex[GIT_OID_HEXSZ + 1];
	int error = STRATA_ERROR;

	git_oid_tostr(hex, sizeof(hex), id);
	if (git_commit_lookup(&commit, c->repo, id) < 0)
		return strata_error_git("cannot read a received commit");
	if (git_commit_parentcount(commit) > 1) {
		strata_error_set("'%s': commit %.12s is a merge; views have linear history", c->what, hex);
		goto done;
	}
	if (!strata_commit_trailer(commit, "Strata-Node", v, sizeof(v)) || strcmp(v, c->sender)) {
		strata_error_set("'%s': commit %.12s names node '%s' in Strata-Node, not the sender '%s'",
				 c->what, hex, v, c->sender);
		goto done;
	}
	if (!strata_commit_trailer(commit, "Strata-Recipient", v, sizeof(v)) || strcmp(v, c->recipient)) {
		strata_error_set("'%s': commit %.12s was built for '%s', not for this node '%s'",
				 c->what, hex, v, c->recipient);
		goto done;
	}
	if (!strata_commit_trailer(commit, "Strata-Dataset", v, sizeof(v)) || strcmp(v, dataset)) {
		strata_error_set("'%s': commit %.12s is dataset '%s' but arrives as '%s'", c->what, hex, v, dataset);
		goto done;
	}
	if (!strata_commit_trailer(commit, "Strata-Source", v, sizeof(v)) || !is_hex_oid(v) ||
	    !strata_commit_trailer(commit, "Strata-Policy", v, sizeof(v)) || !is_hex_oid(v) ||
	    !strata_commit_trailer(commit, "Strata-Purpose", v, sizeof(v)) || !*v) {
		strata_error_set("'%s': commit %.12s lacks its provenance trailers (Strata-Source, "
				 "Strata-Policy, Strata-Purpose)", c->what, hex);
		goto done;
	}
	error = check_tree(c, git_commit_tree_id(commit), "", 0);
done:
	git_commit_free(commit);
	return error;
}

void strata_received_dispose(strata_received *r)
{
	strata_oidset_dispose(&r->seen);
}
