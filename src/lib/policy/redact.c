/*
 * redact.c - the transforms; see redact.h.
 */
#include "strata/policy/redact.h"
#include "strata/base/enc.h"
#include "strata/format/json.h"
#include "strata/node/peers.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>

static int hmac(unsigned char out[32], const unsigned char *key, const void *data, size_t len)
{
	unsigned int n = 32;
	if (!HMAC(EVP_sha256(), key, STRATA_SECRET_LEN, data, len, out, &n))
		return strata_error_ssl("HMAC failed");
	return 0;
}

int strata_redact_init(strata_redactor *r, const strata_policy *p, const strata_policy_dataset *pd,
			 const char *recipient, const unsigned char secret[STRATA_SECRET_LEN])
{
	strata_buf label = STRATA_BUF_INIT;
	int error;

	memset(r, 0, sizeof(*r));
	r->policy = p;
	r->pd = pd;
	for (size_t i = 0; pd && i < pd->nfilters; i++)
		for (size_t k = 0; k < pd->filters[i].nvalues; k++)
			r->needs_recipient |= strata_redact_recipient_value(pd->filters[i].values[k], NULL);
	memcpy(r->federation_key, secret, STRATA_SECRET_LEN);
	/* a key per recipient, derived, so two recipients cannot link their tokens */
	if ((error = strata_buf_printf(&label, "strata recipient %s", recipient ? recipient : "")) == 0)
		error = hmac(r->recipient_key, secret, label.ptr, label.len);
	strata_buf_dispose(&label);
	if (error == 0 && (error = strata_hmac_key_init(&r->federation_hmac, r->federation_key, STRATA_SECRET_LEN)) == 0)
		error = strata_hmac_key_init(&r->recipient_hmac, r->recipient_key, STRATA_SECRET_LEN);
	if (error)
		strata_redact_dispose(r);
	return error;
}

int strata_redact_recipient_value(const char *v, const char **name)
{
	static const char prefix[] = "$recipient.";

	if (strncmp(v, prefix, sizeof(prefix) - 1))
		return 0;
	if (name)
		*name = v + sizeof(prefix) - 1;
	return 1;
}

static const char *attr_of(const strata_redactor *r, const char *name)
{
	for (size_t i = 0; i < r->nattrs; i++)
		if (!strcmp(r->attrs[i].name, name))
			return r->attrs[i].value;
	return NULL;
}

int strata_redact_recipient(strata_redactor *r, const char *recipient, const char *attrs)
{
	const char *p = attrs ? attrs : "";
	const strata_policy_dataset *pd = r->pd;

	r->nattrs = 0;
	while (*p) {
		const char *end = strchr(p, ';'), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p), nl, vl;
		while (len && (*p == ' ')) {
			p++;
			len--;
		}
		while (len && p[len - 1] == ' ')
			len--;
		if (len) {
			strata_redact_attr *a = &r->attrs[r->nattrs];
			eq = memchr(p, '=', len);
			nl = eq ? (size_t)(eq - p) : 0;
			vl = eq ? len - nl - 1 : 0;
			if (!eq || !nl || !vl || nl >= sizeof(a->name) || vl >= sizeof(a->value) ||
			    r->nattrs >= STRATA_REDACT_MAX_ATTRS)
				return strata_error_set("peer '%s': attributes '%s': expected NAME=VALUE; ... (at most %d)",
							recipient, attrs, STRATA_REDACT_MAX_ATTRS);
			memcpy(a->name, p, nl);
			a->name[nl] = '\0';
			memcpy(a->value, eq + 1, vl);
			a->value[vl] = '\0';
			r->nattrs++;
		}
		if (!end)
			break;
		p = end + 1;
	}
	for (size_t i = 0; pd && i < pd->nfilters; i++)
		for (size_t k = 0; k < pd->filters[i].nvalues; k++) {
			const char *name;
			if (strata_redact_recipient_value(pd->filters[i].values[k], &name) && !attr_of(r, name))
				return strata_error_set("policy '%s' filters '%s' on %s, and nothing says what that is for "
							"peer '%s': strata peer set %s --attr %s=VALUE",
							r->policy ? r->policy->name : "?",
							pd->name, pd->filters[i].values[k], recipient, recipient, name);
		}
	r->have_recipient = 1;
	return 0;
}

int strata_redact_recipient_peer(strata_redactor *r, strata_node *n, const char *peer)
{
	strata_buf attrs = STRATA_BUF_INIT;
	int error;

	if (!r->needs_recipient)
		return 0;
	if (strata_peers_get(&attrs, n, peer, "attributes") < 0)
		strata_error_clear();
	error = strata_redact_recipient(r, peer, attrs.ptr ? attrs.ptr : "");
	strata_buf_dispose(&attrs);
	return error;
}

int strata_redact_recipient_filter(const strata_redactor *r, strata_buf *out)
{
	const strata_policy_dataset *pd = r->pd;
	const char *used[STRATA_REDACT_MAX_ATTRS];
	size_t n = 0;

	for (size_t i = 0; pd && i < pd->nfilters; i++)
		for (size_t k = 0; k < pd->filters[i].nvalues; k++) {
			const char *name;
			size_t j;
			if (!strata_redact_recipient_value(pd->filters[i].values[k], &name) || !attr_of(r, name))
				continue;
			for (j = 0; j < n && strcmp(used[j], name); j++)
				;
			if (j == n && n < STRATA_REDACT_MAX_ATTRS)
				used[n++] = name;
		}
	for (size_t i = 1; i < n; i++)	/* in name order: the same attributes, the same trailer */
		for (size_t j = i; j > 0 && strcmp(used[j - 1], used[j]) > 0; j--) {
			const char *t = used[j];
			used[j] = used[j - 1];
			used[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		if (strata_buf_printf(out, "%s%s=%s", i ? "; " : "", used[i], attr_of(r, used[i])) < 0)
			return STRATA_ERROR;
	return 0;
}

void strata_redact_dispose(strata_redactor *r)
{
	OPENSSL_cleanse(r->federation_key, sizeof(r->federation_key));
	OPENSSL_cleanse(r->recipient_key, sizeof(r->recipient_key));
	strata_hmac_key_dispose(&r->federation_hmac);
	strata_hmac_key_dispose(&r->recipient_hmac);
}

/* Byte length of the first `chars` UTF-8 characters of s. */
static size_t utf8_prefix(const char *s, size_t len, size_t chars)
{
	size_t i = 0;
	while (i < len && chars > 0) {
		i++;
		while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		chars--;
	}
	return i;
}

static int pseudonym(const strata_redactor *r, int per_recipient, const char *v, size_t len, strata_buf *out)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char mac[32];
	char tok[17];
	uint64_t bits = 0;
	int nbits = 0, k = 0;

	if (len == 0)
		return 0;
	if (strata_hmac_sha256(mac, per_recipient ? &r->recipient_hmac : &r->federation_hmac, v, len) < 0)
		return STRATA_ERROR;
	for (int i = 0; k < 16; i++) {	/* 80 bits, base32 */
		bits = bits << 8 | mac[i];
		nbits += 8;
		while (nbits >= 5 && k < 16) {
			nbits -= 5;
			tok[k++] = b32[(bits >> nbits) & 31];
		}
	}
	tok[16] = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
	return strata_buf_printf(out, "p%s", tok);
}

static int mask(long first, long last, const char *v, size_t len, strata_buf *out)
{
	size_t n = strata_enc_utf8_len(v, len), keep_first = (size_t)first, keep_last = (size_t)last;

	if (n == 0)
		return 0;
	/* always hide at least one character */
	if (keep_first + keep_last >= n) {
		keep_first = keep_first < n - 1 ? keep_first : n - 1;
		keep_last = n - 1 - keep_first < keep_last ? n - 1 - keep_first : keep_last;
	}
	if (strata_buf_put(out, v, utf8_prefix(v, len, keep_first)) < 0)
		return STRATA_ERROR;
	for (size_t i = keep_first; i < n - keep_last; i++)
		if (strata_buf_putc(out, '*') < 0)
			return STRATA_ERROR;
	{
		size_t skip = utf8_prefix(v, len, n - keep_last);
		return strata_buf_put(out, v + skip, len - skip);
	}
}

static int all_digits(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return len > 0;
}

static int is_date(const char *v, size_t len)
{
	return len == 10 && v[4] == '-' && v[7] == '-' && all_digits(v, 4) &&
	       all_digits(v + 5, 2) && all_digits(v + 8, 2);
}

int strata_redact_value(const strata_redactor *r, const strata_rule *rule,
			const char *v, size_t len, strata_buf *out)
{
	switch (rule->kind) {
	case STRATA_T_KEEP:
		return strata_buf_put(out, v, len);
	case STRATA_T_DROP:
		return 0;
	case STRATA_T_PSEUDONYM:
		return pseudonym(r, rule->a == 1, v, len, out);
	case STRATA_T_MASK:
		return mask(rule->a, rule->b, v, len, out);
	case STRATA_T_YEAR:	/* from a date, or a month or year a view upstream already generalized */
		return is_date(v, len) || (len == 7 && v[4] == '-' && all_digits(v, 4) && all_digits(v + 5, 2)) ||
		       (len == 4 && all_digits(v, 4)) ? strata_buf_put(out, v, 4) : 0;
	case STRATA_T_MONTH:
		return is_date(v, len) ? strata_buf_put(out, v, 7) : 0;
	case STRATA_T_RANGE: {
		char num[32];
		long long x, lo;
		int neg = len > 0 && v[0] == '-';
		if (len == 0 || len > 18 || !all_digits(v + neg, len - (size_t)neg))
			return 0;
		memcpy(num, v, len);
		num[len] = '\0';
		x = strtoll(num, NULL, 10);
		lo = x >= 0 ? x / rule->a * rule->a : -((-x + rule->a - 1) / rule->a) * rule->a;
		return strata_buf_printf(out, "%lld-%lld", lo, lo + rule->a - 1);
	}
	case STRATA_T_PREFIX:
		return strata_buf_put(out, v, utf8_prefix(v, len, (size_t)rule->a));
	case STRATA_T_ID_REGION:
		if (len != 18 || !all_digits(v, 17))
			return 0;
		return strata_buf_printf(out, "%.6s-%.4s", v, v + 6);
	}
	return strata_error_set("unknown transform");
}

int strata_redact_record(const strata_redactor *r, const strata_record *in, strata_buf *out, int *kept)
{
	const strata_policy_dataset *pd = r->pd;
	char **names = NULL, **vals = NULL;
	size_t *lens = NULL, *order = NULL, n = 0;
	strata_buf store = STRATA_BUF_INIT;
	size_t *offs = NULL;
	int error = STRATA_ERROR;

	*kept = 0;
	if (r->needs_recipient && !r->have_recipient)
		return strata_error_set("policy '%s' filters '%s' by its recipient, and no recipient was said",
					r->policy ? r->policy->name : "?", pd->name);
	for (size_t i = 0; i < pd->nfilters; i++) {
		const char *v = strata_json_record_get(in, pd->filters[i].field);
		int ok = 0;
		for (size_t k = 0; v && k < pd->filters[i].nvalues && !ok; k++) {
			const char *want = pd->filters[i].values[k], *name;
			if (strata_redact_recipient_value(want, &name))
				want = attr_of(r, name);	/* "$recipient.community": the peer's, as said */
			ok = want && !strcmp(v, want);
		}
		if (!ok)
			return 0;
	}
	if ((names = calloc(pd->nrules + 1, sizeof(char *))) == NULL ||
	    (vals = calloc(pd->nrules + 1, sizeof(char *))) == NULL ||
	    (lens = calloc(pd->nrules + 1, sizeof(size_t))) == NULL ||
	    (offs = calloc(pd->nrules + 1, sizeof(size_t))) == NULL ||
	    (order = calloc(pd->nrules + 1, sizeof(size_t))) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; i < pd->nrules; i++) {
		const strata_rule *rule = &pd->rules[i];
		const char *v = strata_json_record_get(in, rule->field);
		if (rule->kind == STRATA_T_DROP || !v)
			continue;	/* dropped, or not in the data: nothing to share */
		names[n] = rule->field;
		offs[n] = store.len;
		if ((error = strata_redact_value(r, rule, v, strlen(v), &store)) < 0)
			goto done;
		lens[n] = store.len - offs[n];
		if ((error = strata_buf_putc(&store, '\0')) < 0)
			goto done;
		n++;
	}
	for (size_t i = 0; i < n; i++)
		vals[i] = store.ptr + offs[i];
	strata_json_sort_names(order, names, n);
	if ((error = strata_json_put_record(out, names, vals, lens, order, n)) < 0)
		goto done;
	*kept = 1;
	error = 0;
done:
	free(names);
	free(vals);
	free(lens);
	free(offs);
	free(order);
	strata_buf_dispose_secret(&store);
	return error;
}

int strata_redact_line(const strata_redactor *r, const char *line, size_t len, strata_buf *out, int *kept)
{
	strata_record *in = NULL;
	int error;

	*kept = 0;
	if ((error = strata_json_record_parse(&in, line, len)) < 0)
		return error;
	strata_buf_clear(out);
	error = strata_redact_record(r, in, out, kept);
	strata_json_record_free(in);
	return error;
}
