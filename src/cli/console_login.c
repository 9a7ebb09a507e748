/*
 * console_login.c - the console's login (console.h): the token, stored as
 * its SHA-256, and failed logins counted per client address.
 */
#include "console.h"
#include "strata/base/enc.h"
#include "strata/base/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static char *token_path(strata_node *n)
{
	strata_buf b = STRATA_BUF_INIT;
	if (strata_buf_printf(&b, "%s/console/token", strata_node_path(n)) < 0)
		return NULL;
	return strata_buf_detach(&b);
}

static void sha256_hex(char out[65], const char *s)
{
	unsigned char d[32];
	EVP_Digest(s, strlen(s), d, NULL, EVP_sha256(), NULL);
	strata_enc_hex(out, d, sizeof(d));
}

int strata_console_token_init(strata_node *n, int renew, strata_buf *fresh)
{
	char *path = token_path(n), *dir = NULL, hex[65], line[80];
	unsigned char raw[24];
	char tok[49];
	int error = STRATA_ERROR;

	strata_buf_clear(fresh);
	if (!path)
		return STRATA_ERROR;
	if (!renew && access(path, F_OK) == 0) {
		free(path);
		return 0;
	}
	if ((dir = strata_fs_path_join(strata_node_path(n), "console")) == NULL)
		goto done;
	if ((error = strata_fs_mkdir_p(dir, 0700)) < 0)
		goto done;
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		error = strata_error_set("no randomness for a login token");
		goto done;
	}
	strata_enc_hex(tok, raw, sizeof(raw));
	sha256_hex(hex, tok);
	snprintf(line, sizeof(line), "sha256 %s\n", hex);
	if ((error = strata_fs_write_atomic(path, line, strlen(line), 0600)) < 0 || (error = strata_buf_puts(fresh, tok)) < 0)
		goto done;
	error = 0;
done:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(tok, sizeof(tok));
	free(dir);
	free(path);
	return error;
}

int strata_console_token_ok(strata_node *n, const char *token)
{
	char *path = token_path(n), want[80] = "", hex[65], got[80];
	FILE *f = path ? fopen(path, "r") : NULL;
	int ok;

	free(path);
	if (!f)
		return 0;
	ok = fgets(want, sizeof(want), f) != NULL;
	fclose(f);
	if (!ok || strlen(token) > 200)
		return 0;
	sha256_hex(hex, token);
	snprintf(got, sizeof(got), "sha256 %s\n", hex);
	return strlen(want) == strlen(got) && CRYPTO_memcmp(want, got, strlen(got)) == 0;
}


/* ---- failed logins ---- */

#define STRIKE_SECONDS 60

static int slot_of(const strata_console_strikes *s, const char *addr)
{
	for (int i = 0; i < STRATA_CONSOLE_STRIKE_ADDRS; i++)
		if (s->a[i].fails && !strcmp(s->a[i].addr, addr))
			return i;
	return -1;
}

int strata_console_login_wait(const strata_console_strikes *s, const char *addr, int loopback, long long now)
{
	int i = slot_of(s, addr);

	if (loopback || i < 0 || now - s->a[i].window >= STRIKE_SECONDS || s->a[i].fails < STRATA_CONSOLE_STRIKES)
		return 0;
	return (int)(STRIKE_SECONDS - (now - s->a[i].window));
}

void strata_console_login_failed(strata_console_strikes *s, const char *addr, int loopback, long long now)
{
	int i = slot_of(s, addr);

	if (loopback)
		return;
	if (i < 0) {	/* a free slot, or the one whose minute started longest ago */
		i = 0;
		for (int k = 0; k < STRATA_CONSOLE_STRIKE_ADDRS; k++) {
			if (!s->a[k].fails) {
				i = k;
				break;
			}
			if (s->a[k].window < s->a[i].window)
				i = k;
		}
		snprintf(s->a[i].addr, sizeof(s->a[i].addr), "%s", addr);
		s->a[i].fails = 0;
		s->a[i].window = now;
	}
	if (now - s->a[i].window >= STRIKE_SECONDS)
		s->a[i].window = now, s->a[i].fails = 0;
	s->a[i].fails++;
}
