/*
 * evidence.h - an evidence bundle (doc/design.md, "Evidence to hand on"): what an
 * auditor hands on, checked on a machine with no node.
 *
 * A bundle is a plain tar archive of named files:
 *
 *     parts/N-NODE.json       one part a node added (1 is the first): the
 *                             claim (a dataset and a key as NODE shows it),
 *                             the record's hops held at NODE, where the
 *                             trace goes on (`next`), the files it brings
 *                             with their SHA-256, and the part before it
 *                             (`continues`, its SHA-256)
 *     parts/N-NODE.json.sig   SSHSIG of the part by NODE, namespace
 *                             "strata-evidence"
 *     parts/N-NODE.json.tsr   an RFC 3161 token over the part, where NODE
 *     parts/N-NODE.tsa.pem    names a timestamp authority, and the
 *                             authority's certificate
 *     objects/TYPE/ID         git objects as `git cat-file TYPE ID` prints
 *                             them: the signed commits, the trees from
 *                             each commit to the leaf that holds the record,
 *                             a view's policy blob, and the part's audit
 *                             events (`events`: the log's head, how many,
 *                             and the event that records each hop)
 *     allowed_signers         the signers' keys, for ssh-keygen and git
 *                             (newest part)
 *     report.html             the report in words (newest part)
 *
 * Nothing else may be in it, and everything in it is covered by a
 * signature: each part by its node, each file by the part that lists it,
 * each part by the one after it.  What a bundle proves: each hop's commit
 * is signed by the key given for its node and holds the record as shown;
 * each view names, signed, the commit it was made from.  Whose keys they
 * are is the reader's question: the report prints their fingerprints.
 *
 * Trust: everything read here is untrusted (strict tar rules as for
 * parcels; caps on entries and sizes).
 */
#ifndef STRATA_FORMAT_EVIDENCE_H
#define STRATA_FORMAT_EVIDENCE_H

#include <stddef.h>
#include <jansson.h>
#include "strata/base/buf.h"

#define STRATA_EVIDENCE_NAMESPACE "strata-evidence"
#define STRATA_EVIDENCE_VERSION 1
#define STRATA_EVIDENCE_MAX_ENTRIES 20000
#define STRATA_EVIDENCE_MAX_ENTRY (64u << 20)
#define STRATA_EVIDENCE_MAX_TOTAL (512u << 20)

typedef struct {
	char *name;
	strata_buf data;
} strata_evidence_entry;

typedef struct {
	strata_evidence_entry *e;
	size_t n, alloc;
	int noncanonical;	/* read: its tar headers or padding are not as strata writes them */
} strata_evidence;

/* Adds `name` (or replaces what it held). */
int strata_evidence_put(strata_evidence *ev, const char *name, const void *data, size_t len);
/* The file `name` holds, NULL if none. */
const strata_buf *strata_evidence_get(const strata_evidence *ev, const char *name);
void strata_evidence_dispose(strata_evidence *ev);

/* Reads a bundle (`what` names it in errors): a plain tar, regular files of the names above only. */
int strata_evidence_read(strata_evidence *ev, const char *what, const void *data, size_t len);
/* Writes it as a ustar archive, parts first. */
int strata_evidence_write(strata_buf *out, const strata_evidence *ev);

/* The number of parts (parts/1-... to parts/N-...), 0 if none. */
size_t strata_evidence_parts(const strata_evidence *ev);
/* Part `i` (1-based): its file's name into `name`; NULL if there is none. */
const strata_buf *strata_evidence_part(const strata_evidence *ev, size_t i, char *name, size_t namesz);

/*
 * The parts as JSON, oldest first: (*out)[0..*count), with room for one
 * more after them (a part being added); each is NULL-checked JSON, not
 * yet verified.  Free with strata_evidence_free_parts, also on error.
 */
int strata_evidence_load_parts(json_t ***out, size_t *count, const strata_evidence *ev);
void strata_evidence_free_parts(json_t **parts, size_t count);

/*
 * Checks everything in the bundle, with no node: each part's signature by
 * the key it names, each file against the SHA-256 a part lists, each
 * object against its id, each hop's commit signature, the record in each
 * hop's tree, the claimed key in the first hop, each view's signed source
 * and each part's link to the one before; last, that the bytes around the
 * files (tar headers, padding) are as strata writes them.  With `keys`
 * (an allowed_signers file's text: "NODE [options] ssh-ed25519 KEY" a
 * line), every key the bundle gives for a node must be one `keys` lists
 * for it.  A part that names a timestamp authority must hold its token
 * (parts/N-NODE.json.tsr, RFC 3161, over the part's bytes) and the
 * authority's certificate (parts/N-NODE.tsa.pem, whose fingerprint the
 * part names); with `tsa` (PEM), that authority must be this one.  `say`
 * (may be NULL) hears each check passed, in words.  0 if all hold; STRATA_EVERIFY with the failing
 * item named in the message otherwise.
 */
typedef void (*strata_evidence_say)(const char *what, void *payload);
int strata_evidence_verify(const strata_evidence *ev, const char *keys, const char *tsa, strata_evidence_say say,
			   void *payload);

#endif
