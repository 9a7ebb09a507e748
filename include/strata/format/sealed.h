/*
 * sealed.h - a parcel file sealed to its recipient (doc/strata-parcel.5,
 * version 2): a plain tar of two regular files, in this order:
 *
 *     SEALED   canonical JSON, in the clear: {"chunk": 65536, "enc": HEX,
 *              "format": "strata-sealed-parcel", "recipient": R,
 *              "sender": S, "size": N, "suite": SUITE, "version": 2}
 *     PARCEL   the version-1 parcel (N bytes: the signed tar) sealed with
 *              HPKE (hpke.h) to R's X25519 key, the one its pinned Ed25519
 *              node key maps to: ceil(N / 65536) chunks, at least one,
 *              chunk i sealed with sequence number i and associated data
 *              "strata-parcel-chunk" || I2OSP(i, 8) || (1 if last else 0)
 *
 * HPKE's info is the SEALED entry's bytes, so the header cannot be changed
 * without every chunk failing; the last-chunk flag makes a cut at a chunk
 * boundary fail too.  A lost file shows its sender, its recipient and its
 * size; `bsdtar tvf` lists the two entries.  Inside, the parcel is checked
 * as every parcel is (parcel.h): signed, addressed, in sequence.
 *
 * Trust: everything read is untrusted: shape, sizes and header are checked
 * before any key is used; nothing of PARCEL is written out before its
 * chunk authenticates (and the caller discards what was written on error).
 */
#ifndef STRATA_SEALED_H
#define STRATA_SEALED_H

#include <stdint.h>
#include "strata/base/buf.h"
#include "strata/format/parcel.h"

#define STRATA_SEALED_VERSION 2
#define STRATA_SEALED_CHUNK 65536
#define STRATA_SEALED_SUITE "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305"

/* Seals the parcel `parcel` (len bytes) from `sender` to `recipient`, whose X25519 key is `pk`, into `out`. */
int strata_sealed_write(strata_buf *out, const void *parcel, size_t len, const char *sender, const char *recipient,
			const unsigned char pk[32], int64_t mtime);

/* 1 if the open file `fd` is a sealed parcel (its first entry is SEALED), 0 if not, <0 on a read error. */
int strata_sealed_is(int fd);

/*
 * Opens sealed parcel `fd` for node `me` with one of its X25519 private
 * keys `sk` (`nsk` of them: its current key, then those it retired, for
 * parcels sealed before the sender learned of a rotation), writing the
 * inner parcel to `out_fd`; `sender` gets the sender the header
 * names.  `what` names the file in errors.  `lim` caps the inner parcel as
 * a parcel is capped.  STRATA_EVERIFY when a chunk does not open.
 */
int strata_sealed_open_fd(int fd, int out_fd, const char *what, const char *me, const unsigned char (*sk)[32],
			  size_t nsk, char sender[64], const strata_parcel_limits *lim);

#endif
