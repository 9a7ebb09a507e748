/*
 * tsa.c - asking this node's timestamp authority (tsa.h).
 */
#include "strata/net/tsa.h"
#include "strata/node/journal.h"
#include "strata/base/fs.h"
#include "strata/base/i18n.h"
#include "strata/format/msg.h"
#include "strata/format/timestamp.h"
#include "strata/net/netproc.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { T_URL = 1, T_QUERY, T_STATUS, T_REPLY, T_ERROR };

struct strata_tsa {
	pid_t pid;
	int fd;
	strata_buf url, pem;
};

int strata_tsa_get(strata_buf *url, strata_buf *pem, strata_node *n)
{
	strata_buf u = STRATA_BUF_INIT;
	char *path;
	int error = strata_node_conf_get(&u, n, "tsa.url");

	if (error == 0 && url)
		error = strata_buf_put(url, u.ptr, u.len);
	strata_buf_dispose(&u);
	if (error < 0 || !pem)
		return error;
	if ((path = strata_fs_path_join(strata_node_path(n), STRATA_TSA_PEM)) == NULL)
		return strata_error_set("out of memory");
	if ((error = strata_fs_read(pem, path, 1 << 20)) < 0)
		error = strata_error_set("node.conf names a timestamp authority, and its certificate %s cannot be read: %s",
					 path, strata_error_last());
	free(path);
	return error;
}

int strata_tsa_configured(strata_node *n)
{
	int rc = strata_tsa_get(NULL, NULL, n);

	strata_error_clear();
	return rc == 0;
}

int strata_tsa_check_url(const char *url)
{
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return strata_error_set("timestamp authority '%s': expected an http:// or https:// URL", url);
	if (strlen(url) > 900 || strpbrk(url, " \t\r\n\"\\"))
		return strata_error_set("timestamp authority '%s': a URL has no spaces, quotes or backslashes", url);
	return 0;
}

int strata_tsa_set(strata_node *n, const char *url, const char *pem, size_t pem_len)
{
	strata_buf fpr = STRATA_BUF_INIT;
	char *path = NULL;
	int error;

	if ((error = strata_tsa_check_url(url)) < 0 || (error = strata_timestamp_ca_fingerprint(&fpr, pem, pem_len)) < 0)
		goto done;
	if ((path = strata_fs_path_join(strata_node_path(n), STRATA_TSA_PEM)) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	/* the certificate joins the caller's journalled change: undone with node.conf if the change fails */
	if ((error = strata_journal_add_file(n, STRATA_TSA_PEM)) < 0 ||
	    (error = strata_fs_write_atomic(path, pem, pem_len, 0644)) < 0)
		goto done;
	error = strata_node_conf_set(n, "tsa.url", url);
done:
	free(path);
	strata_buf_dispose(&fpr);
	return error;
}

int strata_tsa_remove(strata_node *n)
{
	char *path = strata_fs_path_join(strata_node_path(n), STRATA_TSA_PEM);
	int error;

	if (!path)
		return strata_error_set("out of memory");
	if ((error = strata_journal_add_file(n, STRATA_TSA_PEM)) < 0) {
		free(path);
		return error;
	}
	error = strata_node_conf_set(n, "tsa.url", "");
	if (error == 0 && unlink(path) < 0 && errno != ENOENT)
		error = strata_error_sys("cannot remove the timestamp authority's certificate");
	free(path);
	return error;
}

/* --- the network process --- */

static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	return strata_buf_put(arg, data, size * nmemb) < 0 ? 0 : size * nmemb;
}

static int tsa_main(int fd, void *arg)
{
	strata_msg m;
	strata_buf out = STRATA_BUF_INIT, body = STRATA_BUF_INIT;
	char url[1024], errbuf[CURL_ERROR_SIZE] = "";
	CURL *curl;
	CURLcode cc;
	long status = 0;
	struct curl_slist *hdr = NULL;
	int rc;

	(void)arg;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return STRATA_ERROR;
	while ((rc = strata_msg_read(&m, fd, 1 << 16)) == 0) {
		if (strata_msg_str(url, sizeof(url), &m, T_URL) < 0 || !m.has[T_QUERY] || !(curl = curl_easy_init())) {
			strata_msg_dispose(&m);
			rc = STRATA_ERROR;
			break;
		}
		strata_buf_clear(&body);
		body.max = STRATA_TIMESTAMP_MAX;
		hdr = curl_slist_append(NULL, "Content-Type: application/timestamp-query");
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, m.ptr[T_QUERY]);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)m.len[T_QUERY]);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
		cc = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		strata_buf_clear(&out);
		rc = strata_msg_begin(&out);
		if (!rc && cc != CURLE_OK)
			rc = strata_msg_add_str(&out, T_ERROR, errbuf[0] ? errbuf : curl_easy_strerror(cc));
		else if (!rc && (rc = strata_msg_add_u64(&out, T_STATUS, (uint64_t)status)) == 0)
			rc = strata_msg_add(&out, T_REPLY, body.ptr ? body.ptr : "", body.len);
		if (!rc && (rc = strata_msg_end(&out)) == 0)
			rc = strata_msg_write(fd, &out);
		curl_slist_free_all(hdr);
		curl_easy_cleanup(curl);
		strata_msg_dispose(&m);
		if (rc < 0)
			break;
	}
	strata_buf_dispose(&out);
	strata_buf_dispose(&body);
	curl_global_cleanup();
	return rc < 0 ? rc : 0;
}

/* --- the node process --- */

int strata_tsa_connect(strata_tsa **out, const char *url, const char *pem, size_t pem_len)
{
	strata_tsa *t;
	int error;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return strata_error_set("out of memory");
	t->fd = -1;
	if ((error = strata_buf_puts(&t->url, url)) < 0 || (error = strata_buf_put(&t->pem, pem, pem_len)) < 0 ||
	    (error = strata_netproc_spawn(&t->pid, &t->fd, -1, tsa_main, NULL)) < 0) {
		strata_tsa_close(t);
		return error;
	}
	*out = t;
	return 0;
}

int strata_tsa_open(strata_tsa **out, strata_node *n)
{
	strata_buf url = STRATA_BUF_INIT, pem = STRATA_BUF_INIT;
	int error;

	*out = NULL;
	if (!strata_tsa_configured(n))
		return 0;
	if ((error = strata_tsa_get(&url, &pem, n)) == 0)
		error = strata_tsa_connect(out, url.ptr, pem.ptr, pem.len);
	strata_buf_dispose(&url);
	strata_buf_dispose(&pem);
	return error;
}

int strata_tsa_stamp(strata_tsa *t, strata_buf *token, int64_t *when, const void *data, size_t len)
{
	strata_buf req = STRATA_BUF_INIT, msg = STRATA_BUF_INIT;
	strata_msg m = { 0 };
	uint64_t status = 0;
	char why[512];
	int error;

	if ((error = strata_timestamp_request(&req, data, len)) < 0 || (error = strata_msg_begin(&msg)) < 0 ||
	    (error = strata_msg_add_str(&msg, T_URL, t->url.ptr)) < 0 ||
	    (error = strata_msg_add(&msg, T_QUERY, req.ptr, req.len)) < 0 || (error = strata_msg_end(&msg)) < 0 ||
	    (error = strata_msg_write(t->fd, &msg)) < 0)
		goto done;
	if ((error = strata_msg_read(&m, t->fd, STRATA_TIMESTAMP_MAX + 4096)) != 0) {
		error = strata_error_set("timestamp authority %s: the network process stopped", t->url.ptr);
		goto done;
	}
	if (m.has[T_ERROR]) {
		strata_msg_str(why, sizeof(why), &m, T_ERROR);
		error = strata_error_set("timestamp authority %s: %s", t->url.ptr, why);
		goto done;
	}
	strata_msg_u64(&status, &m, T_STATUS);
	if (status != 200 || !m.has[T_REPLY]) {
		error = strata_error_set("timestamp authority %s answered HTTP %llu", t->url.ptr, (unsigned long long)status);
		goto done;
	}
	if ((error = strata_timestamp_check(when, m.ptr[T_REPLY], m.len[T_REPLY], data, len, t->pem.ptr, t->pem.len, &req)) < 0) {
		error = strata_error_set("timestamp authority %s: its answer does not check: %s", t->url.ptr,
					 strata_error_last());
		goto done;
	}
	error = strata_buf_put(token, m.ptr[T_REPLY], m.len[T_REPLY]);
done:
	strata_msg_dispose(&m);
	strata_buf_dispose(&req);
	strata_buf_dispose(&msg);
	return error;
}

void strata_tsa_close(strata_tsa *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	if (t->pid > 0)
		strata_netproc_wait(t->pid);
	strata_buf_dispose(&t->url);
	strata_buf_dispose(&t->pem);
	free(t);
}

const char *strata_tsa_url(const strata_tsa *t)
{
	return t->url.ptr;
}

const char *strata_tsa_pem(const strata_tsa *t, size_t *len)
{
	*len = t->pem.len;
	return t->pem.ptr;
}
