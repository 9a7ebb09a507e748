/*
 * parcel.h - the parcel file format (doc/strata-parcel.5): a tar archive
 * of exactly three regular files, in this order:
 *
 *     MANIFEST       canonical JSON: who sends what to whom, and the pack's
 *                    size and SHA-256, so the signature covers the pack too
 *     MANIFEST.sig   SSHSIG of MANIFEST by the sender, namespace "strata-parcel"
 *     objects.pack   a git pack (REF_DELTA entries may name objects the
 *                    recipient already has: a thin pack)
 *
 * This module only encodes and decodes; parcel_export.h decides what to
 * send and parcel_import.h whether to accept.
 *
 * Trust: everything read here is untrusted.  The archive is read into
 * memory under caps on entry count, entry size and total size; anything
 * that is not one of the three regular files (links, devices, sparse or
 * duplicate entries, other names, compressed archives) is refused before
 * the signature is even looked at.  A manifest that parses is not yet
 * authentic: the caller checks the signature with strata_parcel_verify.
 */
#ifndef STRATA_PARCEL_H
#define STRATA_PARCEL_H
#include <stdint.h>
#include <git2.h>
#include "strata/format/sign.h"
#include "strata/base/buf.h"
#define STRATA_PARCEL_VERSION 1
#define STRATA_PARCEL_NAMESPACE "strata-parcel"
#define STRATA_PARCEL_MAX_REFS 4096
#define STRATA_PARCEL_NAME_MAX 256
#define STRATA_PARCEL_MAX_ROTATIONS 64
#define STRATA_PARCEL_MAX_MESSAGES 4096
typedef struct {
	size_t max_manifest;	/* bytes */
	size_t max_sig;
	size_t max_pack;
} strata_parcel_limits;
/* 1 MiB manifest, 16 KiB signature, 4 GiB pack. */
void strata_parcel_limits_default(strata_parcel_limits *lim);
typedef struct {
	char name[STRATA_PARCEL_NAME_MAX];	/* the view's name at the sender */
	git_oid commit;
	int has_base;				/* the sender believes the recipient has base */
	git_oid base;
} strata_parcel_ref;
typedef struct {
	int version;
	char sender[64];
	char recipient[64];
	uint64_t sequence;
	int64_t created;		/* seconds since the epoch */
	strata_parcel_ref *refs;
	size_t nrefs;
	git_oid *prereqs;		/* commits the recipient must already have */
	size_t nprereqs;
	uint64_t pack_objects;
	unsigned char pack_sha256[32];		/* as the manifest says */
	unsigned char pack_sha256_got[32];	/* as objects.pack is */
	uint64_t pack_size;			/* objects.pack's bytes, in `pack` or in `pack_fd` */
	int pack_fd;				/* objects.pack spooled to an unlinked file, or -1 */
	/*
	 * The sender's key rotation statements (rotation.h), one after
	 * another, oldest first: the manifest's optional "rotations".
	 */
	strata_buf rotations;
	/*
	 * Process messages (process.h), the manifest's optional "messages":
	 * one base64 envelope a line.
	 */
	strata_buf messages;
	/* the raw entries as read or written */
	strata_buf manifest;
	strata_buf sig;
	strata_buf pack;
} strata_parcel;
/* 1 if `name` is a valid view name: 1..8 components of [a-z0-9][a-z0-9_-]*, '/'-separated. */
int strata_parcel_ref_name_valid(const char *name);
/*
 * Parses a parcel from memory (`what` names it in errors, e.g. the file).
 * Checks the archive's shape and the manifest's syntax, and that the pack
 * matches the manifest's size and SHA-256; not the signature.  On success
 * *out is the caller's, freed with strata_parcel_free.
 */
int strata_parcel_parse(strata_parcel **out, const char *what, const void *data, size_t len,
			const strata_parcel_limits *lim);
/*
 * The same from an open file, which stays the caller's.  With `spool` (a
 * directory), objects.pack is copied to an unlinked file there (pack_fd)
 * rather than into memory, so memory does not grow with the parcel.
 */
int strata_parcel_parse_fd(strata_parcel **out, const char *what, int fd, const char *spool,
			   const strata_parcel_limits *lim);
/*
 * Checks MANIFEST.sig over MANIFEST; stores the signer's key in *signer.
 * STRATA_EVERIFY if it does not verify.
 */
int strata_parcel_verify(const strata_parcel *p, strata_pubkey *signer);
/*
 * Fills p->manifest from the fields and p->pack, and signs it into p->sig.
 */
int strata_parcel_seal(strata_parcel *p, const strata_key *key);
/* The archive bytes of a sealed parcel. */
int strata_parcel_write(strata_buf *out, const strata_parcel *p);
void strata_parcel_free(strata_parcel *p);
/* What an export or an import did with a parcel. */
typedef struct {
	char peer[64];		/* recipient (export) or sender (import) */
	uint64_t sequence;
	size_t nrefs;		/* views the parcel names */
	size_t changed;		/* refs that moved (import) or carry new commits (export) */
	size_t objects;		/* pack entries */
	size_t deltas;
	size_t bytes;		/* parcel size */
	int full;
	int uptodate;		/* export for a peer that holds every view: no parcel;
				   import of a parcel already imported: nothing done */
	uint64_t superseded;	/* import of an older genuine parcel: the last accepted, which holds it all */
} strata_parcel_result;
#endif
