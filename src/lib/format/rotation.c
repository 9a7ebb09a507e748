/*
 * rotation.c - see rotation.h.
 */
#include "strata/format/rotation.h"
#include "strata/base/i18n.h"
#include "strata/format/name.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARMOR_END "-----END SSH SIGNATURE-----"

static int body_of(strata_buf *out, const strata_rotation *r)
{
	strata_buf o = STRATA_BUF_INIT, nk = STRATA_BUF_INIT;
	int error;

	if ((error = strata_sign_pubkey_format(&o, &r->old_key)) == 0 && (error = strata_sign_pubkey_format(&nk, &r->new_key)) == 0)
		error = strata_buf_printf(out, STRATA_ROTATION_MAGIC "node %s\nold %s\nnew %s\ntime %lld\n", r->node, o.ptr, nk.ptr,
					  (long long)r->time);
	strata_buf_dispose(&o);
	strata_buf_dispose(&nk);
	return error;
}

int strata_rotation_write(strata_buf *out, const strata_rotation *r, const strata_key *old_key, const strata_key *new_key)
{
	strata_buf body = STRATA_BUF_INIT;
	int error;

	if ((error = body_of(&body, r)) == 0 && (error = strata_buf_put(out, body.ptr, body.len)) == 0 &&
	    (error = strata_sign_sshsig(out, old_key, STRATA_ROTATION_NAMESPACE, body.ptr, body.len)) == 0 &&
	    (error = strata_buf_putc(out, '\n')) == 0 &&
	    (error = strata_sign_sshsig(out, new_key, STRATA_ROTATION_NAMESPACE, body.ptr, body.len)) == 0)
		error = strata_buf_putc(out, '\n');
	strata_buf_dispose(&body);
	return error;
}

/* "WORD VALUE\n" at *p: the value, copied; -1 if the line is not that. */
static int line_of(const char **p, const char *end, const char *word, char *val, size_t vsize)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t wl = strlen(word), vl;

	if (!nl || (size_t)(nl - *p) <= wl + 1 || memcmp(*p, word, wl) || (*p)[wl] != ' ')
		return -1;
	vl = (size_t)(nl - *p) - wl - 1;
	if (vl >= vsize)
		return -1;
	memcpy(val, *p + wl + 1, vl);
	val[vl] = '\0';
	*p = nl + 1;
	return 0;
}

/* The armored signature at *p, through ARMOR_END and its newline. */
static int armor_of(const char **p, const char *end, const char **armor, size_t *alen)
{
	/* bounded: the text is a slice of a larger one, not NUL-terminated */
	const char *e = *p < end ? memmem(*p, (size_t)(end - *p), ARMOR_END, strlen(ARMOR_END)) : NULL;

	if (!e || e + strlen(ARMOR_END) >= end || e[strlen(ARMOR_END)] != '\n')
		return -1;
	*armor = *p;
	*alen = (size_t)(e + strlen(ARMOR_END) - *p);
	*p = e + strlen(ARMOR_END) + 1;
	return 0;
}

int strata_rotation_parse(strata_rotation *r, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *a1, *a2, *body_end;
	char old[256], nk[256], t[32], *tail;
	size_t l1, l2;
	strata_pubkey s1, s2;
	long long when;

	memset(r, 0, sizeof(*r));
	if (len > STRATA_ROTATION_MAX || len < strlen(STRATA_ROTATION_MAGIC) || memchr(text, '\0', len) ||
	    memcmp(text, STRATA_ROTATION_MAGIC, strlen(STRATA_ROTATION_MAGIC)))
		return strata_error_set("not a key rotation statement");
	p += strlen(STRATA_ROTATION_MAGIC);
	if (line_of(&p, end, "node", r->node, sizeof(r->node)) < 0 || !strata_name_node_valid(r->node) ||
	    line_of(&p, end, "old", old, sizeof(old)) < 0 || strata_sign_pubkey_parse(&r->old_key, old) < 0 ||
	    line_of(&p, end, "new", nk, sizeof(nk)) < 0 || strata_sign_pubkey_parse(&r->new_key, nk) < 0 ||
	    line_of(&p, end, "time", t, sizeof(t)) < 0 || (when = strtoll(t, &tail, 10)) <= 0 || *tail)
		return strata_error_set("a key rotation statement whose lines are not node, old, new, time");
	r->time = when;
	body_end = p;
	if (strata_sign_pubkey_equal(&r->old_key, &r->new_key))
		return strata_error_set("a key rotation statement from a key to itself");
	if (armor_of(&p, end, &a1, &l1) < 0 || armor_of(&p, end, &a2, &l2) < 0 || p != end)
		return strata_error_set("a key rotation statement without its two signatures");
	if (strata_sign_sshsig_verify(&s1, a1, l1, STRATA_ROTATION_NAMESPACE, text, (size_t)(body_end - text)) < 0 ||
	    strata_sign_sshsig_verify(&s2, a2, l2, STRATA_ROTATION_NAMESPACE, text, (size_t)(body_end - text)) < 0)
		return strata_error_setc(STRATA_EVERIFY, "key rotation statement of '%s': a signature does not verify", r->node);
	if (!strata_sign_pubkey_equal(&s1, &r->old_key) || !strata_sign_pubkey_equal(&s2, &r->new_key))
		return strata_error_setc(STRATA_EVERIFY, "key rotation statement of '%s': not signed by its old key and "
					 "then its new one", r->node);
	return 0;
}

int strata_rotation_foreach(const char *text, size_t len, strata_rotation_cb cb, void *payload)
{
	const char *p = text, *end = text + len;
	int rc;

	while (p < end) {
		const char *next = p, *a;
		size_t al;
		/* a statement ends after its second signature */
		for (int k = 0; k < 5; k++) {
			const char *nl = memchr(next, '\n', (size_t)(end - next));
			if (!nl)
				return strata_error_set("a truncated key rotation statement");
			next = nl + 1;
		}
		if (armor_of(&next, end, &a, &al) < 0 || armor_of(&next, end, &a, &al) < 0)
			return strata_error_set("a key rotation statement without its two signatures");
		if ((rc = cb(p, (size_t)(next - p), payload)) != 0)
			return rc;
		p = next;
	}
	return 0;
}

struct collect {
	const char *node;
	int64_t now;
	strata_rotation *all;
	size_t n, max;
};

static int collect_one(const char *text, size_t len, void *payload)
{
	struct collect *c = payload;
	strata_rotation r;

	if (strata_rotation_parse(&r, text, len) < 0)
		return strata_error_setc(STRATA_EVERIFY, "%s", strata_error_last());
	if (strcmp(r.node, c->node))
		return strata_error_setc(STRATA_EVERIFY, "a key rotation statement of '%s' among '%s''s", r.node, c->node);
	if (r.time > c->now + 86400)
		return strata_error_setc(STRATA_EVERIFY, "a key rotation of '%s' dated in the future", r.node);
	if (c->n == c->max)
		return strata_error_setc(STRATA_EVERIFY, "more than %zu key rotations of '%s'", c->max, r.node);
	c->all[c->n++] = r;
	return 0;
}

int strata_rotation_chain(const char *text, size_t len, const char *node, const strata_pubkey *from,
			  const strata_pubkey *to, int64_t now, strata_rotation *chain, size_t max, size_t *n)
{
	strata_rotation *all = calloc(max ? max : 1, sizeof(*all));
	struct collect c = { node, now, all, 0, max };
	strata_pubkey cur = *from;
	size_t steps = 0;
	int error;

	*n = 0;
	if (!all)
		return strata_error_set("out of memory");
	if (len && (error = strata_rotation_foreach(text, len, collect_one, &c)) < 0)
		goto done;
	while (!strata_sign_pubkey_equal(&cur, to) && steps++ < c.n) {
		size_t i;
		for (i = 0; i < c.n && !strata_sign_pubkey_equal(&all[i].old_key, &cur); i++)
			;
		if (i == c.n)
			break;
		chain[(*n)++] = all[i];
		cur = all[i].new_key;
	}
	error = 0;
	if (!strata_sign_pubkey_equal(&cur, to)) {
		*n = 0;
		error = strata_error_setc(STRATA_EVERIFY, "signed by a key that is not the one pinned for '%s'%s", node,
					  c.n ? _(", and no rotation statement leads from the pinned key to it") : "");
	}
done:
	free(all);
	return error;
}
