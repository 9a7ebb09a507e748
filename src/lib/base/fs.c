/*
 * fs.c - see fs.h.
 */
#include "strata/base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int strata_fs_read(strata_buf *out, const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	size_t saved = out->max;
	int error = 0;

	if (!f)
		return strata_error_setc(errno == ENOENT ? STRATA_ENOTFOUND : STRATA_ERROR,
					 "cannot open '%s': %s", path, strerror(errno));
	out->max = max;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (strata_buf_put(out, chunk, n) < 0) {
			error = strata_error_set("'%s' is larger than %zu bytes", path, max);
			break;
		}
	}
	if (!error && ferror(f))
		error = strata_error_set("cannot read '%s': %s", path, strerror(errno));
	out->max = saved;
	fclose(f);
	if (!error && !out->ptr)
		error = strata_buf_put(out, "", 0);
	return error;
}

int strata_fs_fsync_enabled(void)
{
	static int enabled = -1;
	if (enabled < 0) {
		const char *v = getenv("STRATA_TEST_FSYNC");
		enabled = !(v && !strcmp(v, "0"));
	}
	return enabled;
}

int strata_fs_fsync(int fd)
{
	return strata_fs_fsync_enabled() ? fsync(fd) : 0;
}

int strata_fs_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return strata_error_sys(dir);
	if (strata_fs_fsync(fd) < 0) {
		close(fd);
		return strata_error_sys(dir);
	}
	close(fd);
	return 0;
}

int strata_fs_write_atomic(const char *path, const void *data, size_t len, int mode)
{
	strata_buf tmp = STRATA_BUF_INIT;
	char *slash, *dir = NULL;
	const char *p = data;
	int fd = -1, error = STRATA_ERROR;

	if ((error = strata_buf_printf(&tmp, "%s.tmp-%ld", path, (long)getpid())) < 0)
		goto done;
	if ((fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0) {
		error = strata_error_sys(tmp.ptr);
		goto done;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error = strata_error_sys(tmp.ptr);
			goto done;
		}
		p += n;
		len -= (size_t)n;
	}
	if ((error = strata_fs_fsync(fd)) < 0 || close(fd) < 0) {
		fd = -1;
		error = strata_error_sys(tmp.ptr);
		goto done;
	}
	fd = -1;
	if (rename(tmp.ptr, path) < 0) {
		error = strata_error_sys(path);
		goto done;
	}
	if ((dir = strdup(path)) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	error = strata_fs_fsync_dir(slash ? (dir[0] ? dir : "/") : ".");
done:
	if (fd >= 0)
		close(fd);
	if (error && tmp.ptr)
		unlink(tmp.ptr);
	free(dir);
	strata_buf_dispose(&tmp);
	return error;
}

int strata_fs_mkdir_p(const char *path, int mode)
{
	char *p = strdup(path);
	int error = 0;

	if (!p)
		return strata_error_set("out of memory");
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
				error = strata_error_sys(p);
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return error;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

int strata_fs_rm_rf(const char *path)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return strata_error_sys(path);
	return 0;
}

char *strata_fs_path_join(const char *a, const char *b)
{
	strata_buf out = STRATA_BUF_INIT;
	if (strata_buf_printf(&out, "%s/%s", a, b) < 0)
		return NULL;
	return strata_buf_detach(&out);
}
