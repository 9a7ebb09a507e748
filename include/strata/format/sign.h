/*
 * sign.h - Ed25519 node keys and SSH signatures (SSHSIG).
 *
 * Signatures are byte-identical to `ssh-keygen -Y sign` (doc/design.md, "Facts checked on this platform"), so
 * stock git verifies every commit strata makes with gpg.format=ssh.
 *
 * Trust: signatures and public key lines come from outside and are parsed
 * with bounds checks on every field.  Private keys are wiped after use.
 */
#ifndef STRATA_SIGN_H
#define STRATA_SIGN_H

#include <stddef.h>
#include "strata/base/buf.h"

#define STRATA_ED25519_LEN 32

typedef struct strata_key strata_key;

typedef struct {
	unsigned char raw[STRATA_ED25519_LEN];
} strata_pubkey;

int strata_sign_key_generate(strata_key **out);
/* Loads a PEM (PKCS#8) Ed25519 private key; refuses one readable by others. */
int strata_sign_key_load(strata_key **out, const char *path);
/* Writes the key as PEM, mode 0600, atomically. */
int strata_sign_key_save(const strata_key *k, const char *path);
void strata_sign_key_public(strata_pubkey *out, const strata_key *k);
/* The same private key in OpenSSH's own format, for ssh-keygen. */
int strata_sign_key_export_openssh(strata_buf *out, const strata_key *k, const char *comment);
void strata_sign_key_free(strata_key *k);
/*
 * The X25519 keys of the same secret (hpke.h): parcels are sealed to a
 * node's pinned key, mapped, and opened with its private key, mapped.
 */
int strata_sign_key_x25519(unsigned char out[32], const strata_key *k);
int strata_sign_pubkey_x25519(unsigned char out[32], const strata_pubkey *pk);

/* "ssh-ed25519 BASE64" (no comment). */
int strata_sign_pubkey_format(strata_buf *out, const strata_pubkey *pk);
/* Parses "ssh-ed25519 BASE64 [comment]". */
int strata_sign_pubkey_parse(strata_pubkey *out, const char *line);
/* "SHA256:..." as `ssh-keygen -l` prints the key's fingerprint. */
int strata_sign_pubkey_fingerprint(strata_buf *out, const strata_pubkey *pk);
int strata_sign_pubkey_equal(const strata_pubkey *a, const strata_pubkey *b);

/*
 * Signs `data` for `ns` ("git" for commits, "strata-parcel" for parcels)
 * and appends the armored signature (no trailing newline) to `out`.
 */
int strata_sign_sshsig(strata_buf *out, const strata_key *k, const char *ns,
		       const void *data, size_t len);

/*
 * Checks an armored SSHSIG over `data` in namespace `ns`.  On success
 * returns 0 and stores the signer's key in *signer; whether that key is
 * trusted is the caller's question.  STRATA_EVERIFY if the signature is
 * malformed or does not verify.
 */
int strata_sign_sshsig_verify(strata_pubkey *signer, const char *armored, size_t alen,
			 const char *ns, const void *data, size_t len);

/*
 * A signature on the last line of `data` ("TRAILER BASE64\n", the SSHSIG
 * unarmored on one line, as an officer co-signs an event): checked over
 * the bytes before that line in namespace `ns`.  1 and the signer's key
 * in *signer if it verifies; 0 if the last line is not `trailer`;
 * STRATA_EVERIFY (message set) if it is and does not verify.
 */
int strata_sign_last_line_verify(strata_pubkey *signer, const char *data, size_t len, const char *trailer,
				 const char *ns);

/*
 * The value of trailer `key` in a commit message (git's rule: the "Key:
 * value" lines of its last paragraph; the last of them if repeated) into
 * `out`; 1 if found, 0 if not ("" in out).  strata_sign_commit_trailer
 * does the same for a raw commit (its message after the headers).
 */
int strata_message_trailer(const char *message, const char *key, char *out, size_t outsz);
int strata_sign_commit_trailer(const char *raw, const char *key, char *out, size_t outsz);

/*
 * A raw commit (`git cat-file commit` prints it) split into its SSH
 * signature (the gpgsig header's value, unindented) and the bytes it
 * signs (the commit without that header).  1 if it is signed, 0 if not.
 */
int strata_sign_split_commit(strata_buf *sig, strata_buf *data, const char *raw, size_t len);

#endif
