/*
 * receipt.c - signed receipts (see receipt.h for the format and the rules).
 *
 * Trust: a receipt comes from a USB stick or a peer and is untrusted until
 * its signature verifies against the pinned key of the node it names;
 * even then it may only confirm commits this node holds and a sequence it
 * has sent, so a buggy or hostile peer can make us send more, never less.
 */
#include "strata/replica/receipt.h"
#include "strata/base/i18n.h"
#include "strata/replica/process.h"
#include "strata/base/time.h"
#include "strata/node/audit.h"
#include "strata/replica/link.h"
#include "strata/replica/erase.h"
#include "strata/format/sign.h"
#include "strata/format/name.h"
#include "strata/node/peers.h"
#include "strata/node/journal.h"
#include "strata/node/keys.h"
#include "strata/format/rotation.h"
#include "strata/format/parcel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"

int strata_receipt_is(const void *data, size_t len)
{
	return len >= strlen(STRATA_RECEIPT_MAGIC) && !memcmp(data, STRATA_RECEIPT_MAGIC, strlen(STRATA_RECEIPT_MAGIC));
}

int strata_receipt_write(strata_buf *out, strata_node *n, const char *peer)
{
	strata_buf body = STRATA_BUF_INIT, key = STRATA_BUF_INIT;
	int error;

	if (!strata_name_node_valid(peer))
		return strata_error_set("invalid peer name '%s'", peer);
	if ((error = strata_peers_get(&key, n, peer, "key")) < 0) {
		strata_buf_dispose(&key);
		return strata_error_setc(STRATA_ENOTFOUND, "unknown peer '%s': add it with 'strata peer add'", peer);
	}
	if ((error = strata_node_load_key(n)) < 0 ||
	    (error = strata_buf_printf(&body, STRATA_RECEIPT_MAGIC "from %s\nto %s\ncreated %lld\n", strata_node_name(n), peer,
				       (long long)strata_time_now())) < 0 ||
	    (error = strata_erasure_state(&body, n, peer)) < 0 ||
	    (error = strata_buf_put(out, body.ptr, body.len)) < 0 ||
	    (error = strata_sign_sshsig(out, strata_node_key(n), STRATA_RECEIPT_NAMESPACE, body.ptr, body.len)) < 0 ||
	    (error = strata_buf_putc(out, '\n')) < 0 ||
	    /* this node's key rotations, after the signature: each signs itself; a sender pinning an old key follows them */
	    (error = strata_keys_rotations(out, n)) < 0)
		goto done;
done:
	strata_buf_dispose(&body);
	strata_buf_dispose(&key);
	return error;
}

/* Reads "WORD VALUE\n" at *p into val (NUL-terminated); 0, or -1 if the line is not that. */
static int header_line(const char **p, const char *end, const char *word, char *val, size_t vsize)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t wl = strlen(word), vl;

	if (!nl || (size_t)(nl - *p) <= wl + 1 || memcmp(*p, word, wl) || (*p)[wl] != ' ')
		return -1;
	vl = (size_t)(nl - *p) - wl - 1;
	if (vl >= vsize || memchr(*p + wl + 1, '\0', vl))
		return -1;
	memcpy(val, *p + wl + 1, vl);
	val[vl] = '\0';
	*p = nl + 1;
	return 0;
}

/* 1 if `pk` is a key `peer` had when it wrote a receipt at `created` (a late receipt, from before a rotation). */
static int retired_key_of(strata_node *n, const char *peer, const strata_pubkey *pk, const char *created)
{
	char who[64];
	long long t = strtoll(created, NULL, 10);
	int ok = t > 0 && strata_peers_trusted_at(n, pk, (int64_t)t, who, sizeof(who), NULL, 0) == 1 && !strcmp(who, peer);
	return ok;
}

int strata_receipt_import(strata_node *n, const char *what, const void *data, size_t len,
			  strata_receipt_result *res)
{
	const char *text = data, *end = text + len, *p, *armor, *armor_end = NULL, *rotations = NULL;
	strata_rotation rot[STRATA_PARCEL_MAX_ROTATIONS];
	size_t nrot = 0;
	char from[64], to[64], created[32], subject[256], *trailers = NULL;
	strata_buf key = STRATA_BUF_INIT;
	strata_pubkey signer, pinned;
	strata_link_side got = { 0 };
	strata_link link = { 0 };
	strata_buf ptr = STRATA_BUF_INIT;	/* the process's trailers */
	git_oid ptree;
	size_t msg_refused = 0;
	char msg_why[1024] = "";
	int error = STRATA_ERROR, have_tree = 0, msg_code = 0;

	memset(res, 0, sizeof(*res));
	if (len > STRATA_RECEIPT_MAX)
		return strata_error_set("'%s': receipt of %zu bytes, over the limit of %zu", what, len, STRATA_RECEIPT_MAX);
	if (!strata_receipt_is(data, len))
		return strata_error_set("'%s': not a strata receipt", what);
	if ((error = strata_journal_lock(n)) < 0)
		return error;
	error = STRATA_ERROR;
	/* the armor starts a line; the signed text is everything before it */
	for (armor = NULL, p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if ((size_t)(end - p) >= strlen(ARMOR_BEGIN) && !memcmp(p, ARMOR_BEGIN, strlen(ARMOR_BEGIN))) {
			armor = p;
			break;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (!armor) {
		error = strata_error_set("'%s': receipt has no signature", what);
		goto done;
	}
	p = text + strlen(STRATA_RECEIPT_MAGIC);
	if (header_line(&p, armor, "from", from, sizeof(from)) < 0 || !strata_name_node_valid(from) ||
	    header_line(&p, armor, "to", to, sizeof(to)) < 0 ||
	    header_line(&p, armor, "created", created, sizeof(created)) < 0) {
		error = strata_error_set("'%s': line %d: malformed receipt header", what,
				 p == text + strlen(STRATA_RECEIPT_MAGIC) ? 2 : 3);
		goto done;
	}
	snprintf(res->peer, sizeof(res->peer), "%s", from);
	if (strata_peers_get(&key, n, from, "key") < 0 || strata_sign_pubkey_parse(&pinned, key.ptr) < 0) {
		error = strata_error_setc(STRATA_EVERIFY, "'%s': receipt from '%s', which is not a peer of this node",
					  what, from);
		goto done;
	}
	{
		/* the signature ends at its END line; key rotation statements may follow */
		const char *stop = memmem(armor, (size_t)(end - armor), ARMOR_END, strlen(ARMOR_END));
		if (!stop || stop + strlen(ARMOR_END) > end) {
			error = strata_error_setc(STRATA_EVERIFY, "'%s': receipt signature is not terminated", what);
			goto done;
		}
		stop += strlen(ARMOR_END);
		armor_end = stop;
		if (stop < end && *stop == '\n')
			stop++;
		rotations = stop;
	}
	if (strata_sign_sshsig_verify(&signer, armor, (size_t)(armor_end - armor), STRATA_RECEIPT_NAMESPACE, text,
				 (size_t)(armor - text)) < 0) {
		error = strata_error_setc(STRATA_EVERIFY, "'%s': receipt signature does not verify: %s", what,
					  strata_error_last());
		goto done;
	}
	if (!strata_sign_pubkey_equal(&signer, &pinned) && !retired_key_of(n, from, &signer, created) &&
	    strata_rotation_chain(rotations, (size_t)(end - rotations), from, &pinned, &signer, strata_time_now(), rot,
				  STRATA_PARCEL_MAX_ROTATIONS, &nrot) < 0) {
		error = strata_error_setc(STRATA_EVERIFY, "'%s': receipt %s", what, strata_error_last());
		goto done;
	}
	if (strcmp(to, strata_node_name(n))) {
		error = strata_error_set("'%s': receipt addressed to '%s', and this node is '%s'", what, to, strata_node_name(n));
		goto done;
	}
	if ((error = strata_link_state_parse(&got, p, (size_t)(armor - p), 4096)) < 0) {
		error = strata_error_set("'%s': %s", what, strata_error_last());
		goto done;
	}
	if ((error = strata_link_load(&link, n, from)) < 0)
		goto done;
	res->sequence = got.sequence;
	res->nrefs = got.nrefs;
	if (got.sequence > link.out.sequence) {
		error = strata_error_set("'%s': receipt confirms parcel %llu, but the last parcel sent to '%s' was %llu",
				 what, (unsigned long long)got.sequence, from, (unsigned long long)link.out.sequence);
		goto done;
	}
	for (size_t i = 0; i < got.nrefs; i++) {
		git_commit *c = NULL;
		char hex[GIT_OID_HEXSZ + 1];
		if (git_commit_lookup(&c, strata_node_repo(n), &got.refs[i].commit) < 0) {
			git_error_clear();
			git_oid_tostr(hex, sizeof(hex), &got.refs[i].commit);
			error = strata_error_set("'%s': receipt confirms view '%s' at commit %.12s, which this node never made",
					 what, got.refs[i].name, hex);
			goto done;
		}
		git_commit_free(c);
	}
	/* the peer's rotations: its receipt stands, so its new key is its own */
	for (size_t i = 0; i < nrot; i++)
		if ((error = strata_keys_accept_rotation(n, from, &rot[i])) < 0)
			goto done;
	if (got.sequence < link.acked.sequence || (link.acked.sequence && got.sequence == link.acked.sequence)) {
		res->older = 1;	/* nothing newer: receipts may come late or twice */
		error = 0;
		goto done;
	}
	got.time = strata_time_now();
	/* what the peer's process says (process.h), for the same event; a refused message is left out, then said */
	if (got.messages_len &&
	    (error = strata_process_take(n, from, what, got.messages, got.messages_len, &ptree, &have_tree, &ptr,
					 &msg_refused)) < 0) {
		if (!msg_refused)
			goto done;
		msg_code = error;
		snprintf(msg_why, sizeof(msg_why), "%s", strata_error_last());
	}
	/* the parcel files it now holds, exported from here, go (they would outlive an erasure otherwise) */
	if ((error = strata_link_side_copy(&link.acked, &got)) < 0 ||
	    (error = strata_link_clean_parcels(&link, &res->parcels_removed)) < 0 || (error = strata_link_save(n, from, &link)) < 0)
		goto done;
	snprintf(subject, sizeof(subject), _("receipt from %s: holds parcel %llu, %zu views"), from,
		 (unsigned long long)got.sequence, got.nrefs);
	if (asprintf(&trailers, "Strata-Peer: %s\nStrata-Sequence: %llu\nStrata-Parcels-Removed: %zu\n%s", from,
		     (unsigned long long)got.sequence, res->parcels_removed, ptr.ptr ? ptr.ptr : "") < 0) {
		trailers = NULL;
		error = strata_error_set("out of memory");
		goto done;
	}
	if ((error = strata_audit_append_tree(n, "receipt-import", subject, trailers, have_tree ? &ptree : NULL)) == 0)
		error = strata_erasures_note(n, from, text, len);	/* the cuts it now holds, kept in the ledger, with this */
	if (error == 0 && msg_refused)
		error = strata_error_setc(msg_code, "'%s': the receipt was taken, but %s", what, msg_why);
done:
	strata_buf_dispose(&ptr);
	free(trailers);
	strata_link_side_dispose(&got);
	strata_link_dispose(&link);
	strata_buf_dispose(&key);
	return error;
}
