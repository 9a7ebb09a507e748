/*
 * sign.c - Ed25519 keys and the SSHSIG format (PROTOCOL.sshsig).
 *
 * Signed data: "SSHSIG" || string(ns) || string("") || string(hashalg) ||
 * string(H(message)).  Blob: "SSHSIG" || uint32(1) || string(pubkey) ||
 * string(ns) || string("") || string(hashalg) || string(signature).
 * We sign with sha512, and accept sha512 or sha256 on verify, as OpenSSH does.
 */
#include "strata/format/sign.h"
#include "strata/base/i18n.h"
#include "strata/base/digest.h"
#include "strata/base/hpke.h"
#include "strata/base/enc.h"
#include "strata/base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/err.h>

struct strata_key {
	EVP_PKEY *pkey;
	strata_pubkey pub;
};

#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"

static int key_wrap(strata_key **out, EVP_PKEY *pkey)
{
	strata_key *k = calloc(1, sizeof(*k));
	size_t len = STRATA_ED25519_LEN;

	*out = NULL;
	if (!k) {
		EVP_PKEY_free(pkey);
		return strata_error_set("out of memory");
	}
	k->pkey = pkey;
	if (EVP_PKEY_get_raw_public_key(pkey, k->pub.raw, &len) != 1 || len != STRATA_ED25519_LEN) {
		strata_sign_key_free(k);
		return strata_error_ssl("cannot read the public half of the node key");
	}
	*out = k;
	return 0;
}

int strata_sign_key_generate(strata_key **out)
{
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	int error;

	*out = NULL;
	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &pkey) != 1)
		error = strata_error_ssl("cannot generate an Ed25519 key");
	else
		error = key_wrap(out, pkey);
	EVP_PKEY_CTX_free(ctx);
	return error;
}

int strata_sign_key_load(strata_key **out, const char *path)
{
	struct stat st;
	EVP_PKEY *pkey;
	FILE *f;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL)
		return strata_error_set("cannot open node key '%s': %s", path, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		fclose(f);
		return strata_error_set("node key '%s' is readable by others (mode %03o); run: chmod 600 '%s'",
					path, (unsigned)(st.st_mode & 0777), path);
	}
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!pkey)
		return strata_error_ssl("cannot read node key");
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return strata_error_set("node key '%s' is not an Ed25519 key", path);
	}
	return key_wrap(out, pkey);
}

int strata_sign_key_save(const strata_key *k, const char *path)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int error;

	if (!mem || PEM_write_bio_PrivateKey(mem, k->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		BIO_free(mem);
		return strata_error_ssl("cannot encode node key");
	}
	len = BIO_get_mem_data(mem, &data);
	error = strata_fs_write_atomic(path, data, (size_t)len, 0600);
	OPENSSL_cleanse(data, (size_t)len);
	BIO_free(mem);
	return error;
}

void strata_sign_key_public(strata_pubkey *out, const strata_key *k)
{
	*out = k->pub;
}

int strata_sign_key_x25519(unsigned char out[32], const strata_key *k)
{
	unsigned char seed[32];
	size_t len = sizeof(seed);

	if (EVP_PKEY_get_raw_private_key(k->pkey, seed, &len) != 1 || len != 32)
		return strata_error_ssl("cannot read the node key");
	strata_hpke_x25519_private(out, seed);
	OPENSSL_cleanse(seed, sizeof(seed));
	return 0;
}

int strata_sign_pubkey_x25519(unsigned char out[32], const strata_pubkey *pk)
{
	return strata_hpke_x25519_public(out, pk->raw);
}

void strata_sign_key_free(strata_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

static int put_pubblob(strata_buf *b, const strata_pubkey *pk)
{
	strata_buf inner = STRATA_BUF_INIT;
	int error;

	error = (strata_buf_put_sshstr(&inner, "ssh-ed25519", 11) < 0 ||
		 strata_buf_put_sshstr(&inner, pk->raw, STRATA_ED25519_LEN) < 0 ||
		 strata_buf_put_sshstr(b, inner.ptr, inner.len) < 0) ? STRATA_ERROR : 0;
	strata_buf_dispose(&inner);
	return error;
}

int strata_sign_key_export_openssh(strata_buf *out, const strata_key *k, const char *comment)
{
	strata_buf blob = STRATA_BUF_INIT, priv = STRATA_BUF_INIT, pub = STRATA_BUF_INIT;
	unsigned char seed_pub[64];
	size_t seedlen = 32;
	uint32_t check;
	int error = STRATA_ERROR;

	if (EVP_PKEY_get_raw_private_key(k->pkey, seed_pub, &seedlen) != 1 || seedlen != 32) {
		error = strata_error_ssl("cannot read node key");
		goto done;
	}
	memcpy(seed_pub + 32, k->pub.raw, 32);
	if (RAND_bytes((unsigned char *)&check, sizeof(check)) != 1) {
		error = strata_error_ssl("no randomness");
		goto done;
	}
	if ((error = strata_buf_put_sshstr(&pub, "ssh-ed25519", 11)) < 0 ||
	    (error = strata_buf_put_sshstr(&pub, k->pub.raw, 32)) < 0 ||
	    (error = strata_buf_put_u32be(&priv, check)) < 0 ||
	    (error = strata_buf_put_u32be(&priv, check)) < 0 ||
	    (error = strata_buf_put_sshstr(&priv, "ssh-ed25519", 11)) < 0 ||
	    (error = strata_buf_put_sshstr(&priv, k->pub.raw, 32)) < 0 ||
	    (error = strata_buf_put_sshstr(&priv, seed_pub, 64)) < 0 ||
	    (error = strata_buf_put_sshstr(&priv, comment, strlen(comment))) < 0)
		goto done;
	for (char pad = 1; priv.len % 8; pad++)
		if ((error = strata_buf_putc(&priv, pad)) < 0)
			goto done;
	if ((error = strata_buf_put(&blob, "openssh-key-v1", 15)) < 0 ||
	    (error = strata_buf_put_sshstr(&blob, "none", 4)) < 0 ||
	    (error = strata_buf_put_sshstr(&blob, "none", 4)) < 0 ||
	    (error = strata_buf_put_sshstr(&blob, "", 0)) < 0 ||
	    (error = strata_buf_put_u32be(&blob, 1)) < 0 ||
	    (error = strata_buf_put_sshstr(&blob, pub.ptr, pub.len)) < 0 ||
	    (error = strata_buf_put_sshstr(&blob, priv.ptr, priv.len)) < 0)
		goto done;
	{
		strata_buf b64 = STRATA_BUF_INIT;
		if ((error = strata_enc_base64(&b64, (unsigned char *)blob.ptr, blob.len)) < 0) {
			strata_buf_dispose_secret(&b64);
			goto done;
		}
		error = strata_buf_puts(out, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
		for (size_t i = 0; !error && i < b64.len; i += 70) {
			size_t n = b64.len - i < 70 ? b64.len - i : 70;
			error = strata_buf_put(out, b64.ptr + i, n) < 0 || strata_buf_putc(out, '\n') < 0;
		}
		if (!error)
			error = strata_buf_puts(out, "-----END OPENSSH PRIVATE KEY-----\n");
		strata_buf_dispose_secret(&b64);
	}
done:
	OPENSSL_cleanse(seed_pub, sizeof(seed_pub));
	strata_buf_dispose_secret(&blob);
	strata_buf_dispose_secret(&priv);
	strata_buf_dispose(&pub);
	return error ? STRATA_ERROR : 0;
}

int strata_sign_pubkey_format(strata_buf *out, const strata_pubkey *pk)
{
	strata_buf blob = STRATA_BUF_INIT;
	int error = STRATA_ERROR;

	if ((error = strata_buf_put_sshstr(&blob, "ssh-ed25519", 11)) < 0 ||
	    (error = strata_buf_put_sshstr(&blob, pk->raw, STRATA_ED25519_LEN)) < 0 ||
	    (error = strata_buf_puts(out, "ssh-ed25519 ")) < 0 ||
	    (error = strata_enc_base64(out, (unsigned char *)blob.ptr, blob.len)) < 0)
		goto done;
	error = 0;
done:
	strata_buf_dispose(&blob);
	return error;
}

int strata_sign_pubkey_fingerprint(strata_buf *out, const strata_pubkey *pk)
{
	strata_buf blob = STRATA_BUF_INIT, b64 = STRATA_BUF_INIT;
	unsigned char md[32];
	int error;

	if ((error = strata_buf_put_sshstr(&blob, "ssh-ed25519", 11)) == 0 &&
	    (error = strata_buf_put_sshstr(&blob, pk->raw, STRATA_ED25519_LEN)) == 0 &&
	    (error = strata_digest_sha256(md, blob.ptr, blob.len)) == 0 &&
	    (error = strata_enc_base64(&b64, md, sizeof(md))) == 0) {
		while (b64.len && b64.ptr[b64.len - 1] == '=')	/* as ssh-keygen -l writes it */
			b64.ptr[--b64.len] = '\0';
		error = strata_buf_printf(out, "SHA256:%s", b64.ptr);
	}
	strata_buf_dispose(&blob);
	strata_buf_dispose(&b64);
	return error;
}

/* A bounds-checked reader over SSH wire data. */
typedef struct {
	const unsigned char *p;
	size_t left;
} wire;

static int wire_u32(wire *w, uint32_t *v)
{
	if (w->left < 4)
		return -1;
	*v = (uint32_t)w->p[0] << 24 | (uint32_t)w->p[1] << 16 | (uint32_t)w->p[2] << 8 | w->p[3];
	w->p += 4;
	w->left -= 4;
	return 0;
}

static int wire_str(wire *w, const unsigned char **s, size_t *len)
{
	uint32_t n;
	if (wire_u32(w, &n) < 0 || n > w->left)
		return -1;
	*s = w->p;
	*len = n;
	w->p += n;
	w->left -= n;
	return 0;
}

static int wire_streq(wire *w, const char *want)
{
	const unsigned char *s;
	size_t len;
	return wire_str(w, &s, &len) == 0 && len == strlen(want) && memcmp(s, want, len) == 0;
}

/* Parses string("ssh-ed25519") string(32 bytes) from a whole blob. */
static int parse_pubblob(strata_pubkey *out, const unsigned char *p, size_t len)
{
	wire w = { p, len };
	const unsigned char *k;
	size_t klen;

	if (!wire_streq(&w, "ssh-ed25519") || wire_str(&w, &k, &klen) < 0 ||
	    klen != STRATA_ED25519_LEN || w.left != 0)
		return -1;
	memcpy(out->raw, k, STRATA_ED25519_LEN);
	return 0;
}

int strata_sign_pubkey_parse(strata_pubkey *out, const char *line)
{
	strata_buf blob = STRATA_BUF_INIT;
	const char *b64, *end;
	int error = STRATA_ERROR;

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, "ssh-ed25519 ", 12) != 0)
		return strata_error_set("not an ssh-ed25519 public key");
	b64 = line + 12;
	while (*b64 == ' ')
		b64++;
	end = b64 + strcspn(b64, " \t\r\n");
	blob.max = 1024;
	if ((error = strata_enc_unbase64(&blob, b64, (size_t)(end - b64))) < 0 ||
	    parse_pubblob(out, (unsigned char *)blob.ptr, blob.len) < 0) {
		error = strata_error_set("malformed ssh-ed25519 public key");
		goto done;
	}
	error = 0;
done:
	strata_buf_dispose(&blob);
	return error;
}

int strata_sign_pubkey_equal(const strata_pubkey *a, const strata_pubkey *b)
{
	return memcmp(a->raw, b->raw, STRATA_ED25519_LEN) == 0;
}

static int hash_msg(unsigned char *md, unsigned *mdlen, const char *alg,
		    const void *data, size_t len)
{
	const EVP_MD *type = strcmp(alg, "sha512") == 0 ? EVP_sha512() :
			     strcmp(alg, "sha256") == 0 ? EVP_sha256() : NULL;
	if (!type)
		return strata_error_setc(STRATA_EVERIFY, "unsupported signature hash '%s'", alg);
	if (EVP_Digest(data, len, md, mdlen, type, NULL) != 1)
		return strata_error_ssl("hashing failed");
	return 0;
}

static int signed_data(strata_buf *out, const char *ns, const char *alg,
		       const unsigned char *md, size_t mdlen)
{
	if (strata_buf_put(out, "SSHSIG", 6) < 0 ||
	    strata_buf_put_sshstr(out, ns, strlen(ns)) < 0 ||
	    strata_buf_put_sshstr(out, "", 0) < 0 ||
	    strata_buf_put_sshstr(out, alg, strlen(alg)) < 0 ||
	    strata_buf_put_sshstr(out, md, mdlen) < 0)
		return STRATA_ERROR;
	return 0;
}

int strata_sign_sshsig(strata_buf *out, const strata_key *k, const char *ns,
		       const void *data, size_t len)
{
	strata_buf tbs = STRATA_BUF_INIT, blob = STRATA_BUF_INIT, sig = STRATA_BUF_INIT,
		   b64 = STRATA_BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE], raw[64];
	unsigned mdlen = 0;
	size_t rawlen = sizeof(raw);
	EVP_MD_CTX *ctx = NULL;
	int error = STRATA_ERROR;

	if (hash_msg(md, &mdlen, "sha512", data, len) < 0 ||
	    signed_data(&tbs, ns, "sha512", md, mdlen) < 0)
		goto done;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, raw, &rawlen, (unsigned char *)tbs.ptr, tbs.len) != 1 ||
	    rawlen != 64) {
		error = strata_error_ssl("signing failed");
		goto done;
	}
	if ((error = strata_buf_put_sshstr(&sig, "ssh-ed25519", 11)) < 0 ||
	    (error = strata_buf_put_sshstr(&sig, raw, 64)) < 0 ||
	    (error = strata_buf_put(&blob, "SSHSIG", 6)) < 0 ||
	    (error = strata_buf_put_u32be(&blob, 1)) < 0 ||
	    (error = put_pubblob(&blob, &k->pub)) < 0 ||
	    (error = strata_buf_put_sshstr(&blob, ns, strlen(ns))) < 0 ||
	    (error = strata_buf_put_sshstr(&blob, "", 0)) < 0 ||
	    (error = strata_buf_put_sshstr(&blob, "sha512", 6)) < 0 ||
	    (error = strata_buf_put_sshstr(&blob, sig.ptr, sig.len)) < 0 ||
	    (error = strata_enc_base64(&b64, (unsigned char *)blob.ptr, blob.len)) < 0)
		goto done;
	if ((error = strata_buf_puts(out, ARMOR_BEGIN "\n")) < 0)
		goto done;
	for (size_t i = 0; i < b64.len; i += 70) {
		size_t n = b64.len - i < 70 ? b64.len - i : 70;
		if ((error = strata_buf_put(out, b64.ptr + i, n)) < 0 || (error = strata_buf_putc(out, '\n')) < 0)
			goto done;
	}
	if ((error = strata_buf_puts(out, ARMOR_END)) < 0)
		goto done;
	error = 0;
done:
	EVP_MD_CTX_free(ctx);
	strata_buf_dispose(&tbs);
	strata_buf_dispose(&blob);
	strata_buf_dispose(&sig);
	strata_buf_dispose(&b64);
	return error;
}

static int verify_fail(const char *why)
{
	return strata_error_setc(STRATA_EVERIFY, "bad signature: %s", why);
}

int strata_sign_sshsig_verify(strata_pubkey *signer, const char *armored, size_t alen,
			 const char *ns, const void *data, size_t len)
{
	strata_buf blob = STRATA_BUF_INIT, tbs = STRATA_BUF_INIT;
	const unsigned char *pkblob, *sns, *reserved, *alg, *sigblob, *rawsig;
	size_t pklen, nslen, rlen, alglen, siglen, rawlen;
	const char *b, *e;
	char algname[16];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	uint32_t version;
	strata_pubkey pk;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	wire w;
	int error = STRATA_EVERIFY;

	/* armor: exact begin line, base64 body, end line, optional trailing newline */
	if (alen < sizeof(ARMOR_BEGIN) || memcmp(armored, ARMOR_BEGIN "\n", sizeof(ARMOR_BEGIN)) != 0) {
		error = verify_fail(_("missing SSH SIGNATURE armor"));
		goto done;
	}
	b = armored + sizeof(ARMOR_BEGIN);
	while (alen > 0 && armored[alen - 1] == '\n')
		alen--;
	e = armored + alen;
	if ((size_t)(e - b) < sizeof(ARMOR_END) - 1 ||
	    memcmp(e - (sizeof(ARMOR_END) - 1), ARMOR_END, sizeof(ARMOR_END) - 1) != 0) {
		error = verify_fail(_("missing SSH SIGNATURE end line"));
		goto done;
	}
	e -= sizeof(ARMOR_END) - 1;
	blob.max = 4096;
	if (strata_enc_unbase64(&blob, b, (size_t)(e - b)) < 0) {
		error = verify_fail(_("invalid base64"));
		goto done;
	}
	w.p = (const unsigned char *)blob.ptr;
	w.left = blob.len;
	if (w.left < 6 || memcmp(w.p, "SSHSIG", 6) != 0) {
		error = verify_fail(_("not an SSHSIG blob"));
		goto done;
	}
	w.p += 6;
	w.left -= 6;
	if (wire_u32(&w, &version) < 0 || version != 1 ||
	    wire_str(&w, &pkblob, &pklen) < 0 || wire_str(&w, &sns, &nslen) < 0 ||
	    wire_str(&w, &reserved, &rlen) < 0 || wire_str(&w, &alg, &alglen) < 0 ||
	    wire_str(&w, &sigblob, &siglen) < 0 || w.left != 0) {
		error = verify_fail(_("malformed SSHSIG blob"));
		goto done;
	}
	if (parse_pubblob(&pk, pkblob, pklen) < 0) {
		error = verify_fail(_("signer key is not ssh-ed25519"));
		goto done;
	}
	if (nslen != strlen(ns) || memcmp(sns, ns, nslen) != 0) {
		error = verify_fail(_("wrong namespace"));
		goto done;
	}
	if (alglen >= sizeof(algname)) {
		error = verify_fail(_("unsupported hash"));
		goto done;
	}
	memcpy(algname, alg, alglen);
	algname[alglen] = '\0';
	w.p = sigblob;
	w.left = siglen;
	if (!wire_streq(&w, "ssh-ed25519") || wire_str(&w, &rawsig, &rawlen) < 0 ||
	    rawlen != 64 || w.left != 0) {
		error = verify_fail(_("malformed signature value"));
		goto done;
	}
	if ((error = hash_msg(md, &mdlen, algname, data, len)) < 0)
		goto done;
	if (strata_buf_put(&tbs, "SSHSIG", 6) < 0 ||
	    strata_buf_put_sshstr(&tbs, ns, nslen) < 0 ||
	    strata_buf_put_sshstr(&tbs, reserved, rlen) < 0 ||
	    strata_buf_put_sshstr(&tbs, algname, alglen) < 0 ||
	    strata_buf_put_sshstr(&tbs, md, mdlen) < 0) {
		error = STRATA_ERROR;
		goto done;
	}
	if ((pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk.raw, 32)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1) {
		error = strata_error_ssl("cannot set up verification");
		goto done;
	}
	if (EVP_DigestVerify(ctx, rawsig, 64, (unsigned char *)tbs.ptr, tbs.len) != 1) {
		ERR_clear_error();
		error = verify_fail(_("signature does not match the data"));
		goto done;
	}
	*signer = pk;
	error = 0;
done:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	strata_buf_dispose(&blob);
	strata_buf_dispose(&tbs);
	return error;
}

int strata_sign_split_commit(strata_buf *sig, strata_buf *data, const char *raw, size_t len)
{
	const char *h = raw, *end = raw + len;
	int found = 0;

	/* the header: up to the first empty line */
	while (h < end && *h != '\n') {
		const char *eol = memchr(h, '\n', (size_t)(end - h));
		size_t n = eol ? (size_t)(eol - h) + 1 : (size_t)(end - h);
		if (!found && n > 7 && !strncmp(h, "gpgsig ", 7)) {
			/* the value, and its continuation lines without their leading space */
			found = 1;
			if (strata_buf_put(sig, h + 7, n - 7 - (eol != NULL)) < 0)
				return STRATA_ERROR;
			h += n;
			while (h < end && *h == ' ') {
				eol = memchr(h, '\n', (size_t)(end - h));
				n = eol ? (size_t)(eol - h) + 1 : (size_t)(end - h);
				if (strata_buf_putc(sig, '\n') < 0 || strata_buf_put(sig, h + 1, n - 1 - (eol != NULL)) < 0)
					return STRATA_ERROR;
				h += n;
			}
			continue;
		}
		if (strata_buf_put(data, h, n) < 0)
			return STRATA_ERROR;
		h += n;
	}
	/* the empty line and the message, as they are */
	if (h < end && strata_buf_put(data, h, (size_t)(end - h)) < 0)
		return STRATA_ERROR;
	return found;
}

int strata_sign_last_line_verify(strata_pubkey *signer, const char *data, size_t len, const char *trailer,
				 const char *ns)
{
	strata_buf armored = STRATA_BUF_INIT;
	size_t tlen = strlen(trailer);
	const char *line;
	int error;

	if (len < 2 || data[len - 1] != '\n')
		return 0;
	for (line = data + len - 1; line > data && line[-1] != '\n'; line--)
		;
	if ((size_t)(data + len - line) <= tlen || strncmp(line, trailer, tlen))
		return 0;
	if ((error = strata_buf_printf(&armored, "-----BEGIN SSH SIGNATURE-----\n%.*s\n-----END SSH SIGNATURE-----\n",
				       (int)(data + len - 1 - line - tlen), line + tlen)) < 0)
		return error;
	error = strata_sign_sshsig_verify(signer, armored.ptr, armored.len, ns, data, (size_t)(line - data));
	strata_buf_dispose(&armored);
	return error < 0 ? STRATA_EVERIFY : 1;
}

int strata_message_trailer(const char *message, const char *key, char *out, size_t outsz)
{
	git_message_trailer_array tr = { 0 };
	int found = 0;

	if (outsz)
		out[0] = '\0';
	if (git_message_trailers(&tr, message) == 0) {
		for (size_t i = 0; i < tr.count; i++)
			if (!strcmp(tr.trailers[i].key, key)) {
				snprintf(out, outsz, "%s", tr.trailers[i].value);
				found = 1;
			}
		git_message_trailer_array_free(&tr);
	}
	git_error_clear();
	return found;
}

int strata_sign_commit_trailer(const char *raw, const char *key, char *out, size_t outsz)
{
	const char *msg = strstr(raw, "\n\n");

	if (outsz)
		out[0] = '\0';
	return msg ? strata_message_trailer(msg + 2, key, out, outsz) : 0;
}
