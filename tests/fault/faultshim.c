/*
 * faultshim.c - an LD_PRELOAD library that makes the Nth file operation of
 * a process fail, for tests/e2e/t0012-faults.sh.
 *
 *   STRATA_FAULT_N=N        fail the Nth counted call (0: fail none)
 *   STRATA_FAULT_ERRNO=E    EIO (default) or ENOSPC
 *   STRATA_FAULT_SHORT=1    make a failing write short (half written) instead
 *   STRATA_FAULT_CRASH=1    die instead (_exit 137, as if killed), before the call
 *   STRATA_FAULT_COUNT=F    at exit, write the number of counted calls to F
 *   STRATA_FAULT_PATH=S     count only the calls on a path that contains S
 *   STRATA_FAULT_TRACE=F    append "N CALL" for each counted call to F (which call N is)
 *   STRATA_FAULT_SPACE=B    a disk with B bytes free: writes to regular files take from
 *                           it, a write past it is cut short, the next fails with ENOSPC
 *   STRATA_FAULT_BYTES=F    at exit, write the bytes written to regular files to F
 *   STRATA_FAULT_ACCEPT=N   the first N accept()/accept4() calls fail with EMFILE, as at
 *                           the descriptor limit (a server's connection guard)
 *   STRATA_FAULT_KINDS=L    count only the calls named in L ("fsync,rename,unlink"):
 *                           the points where what is on disk becomes visible or
 *                           durable (a write to a file not yet renamed into
 *                           place changes nothing a reader sees)
 *
 * Counted: write and pwrite on files (not fds 0-2), fsync, fdatasync,
 * rename, renameat, link, unlink.  Test-only; never installed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static long calls, fail_at = -1;
static long long space_left = -2, bytes_written;	/* -2: not read yet; -1: no limit */

/* A write of *n bytes to fd: 0 (with *n perhaps cut to what is left), or -1 and ENOSPC. */
static int space_take(int fd, size_t *n)
{
	struct stat st;
	if (space_left == -2)
		space_left = getenv("STRATA_FAULT_SPACE") ? atoll(getenv("STRATA_FAULT_SPACE")) : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (space_left >= 0) {
		if (space_left == 0 && *n) {
			errno = ENOSPC;
			return -1;
		}
		if ((long long)*n > space_left)
			*n = (size_t)space_left;
		space_left -= (long long)*n;
	}
	bytes_written += (long long)*n;
	return 0;
}
static int fail_errno = EIO, fail_short, fail_crash;

static void init(void)
{
	if (fail_at >= 0)
		return;
	fail_at = getenv("STRATA_FAULT_N") ? atol(getenv("STRATA_FAULT_N")) : 0;
	if (getenv("STRATA_FAULT_ERRNO") && !strcmp(getenv("STRATA_FAULT_ERRNO"), "ENOSPC"))
		fail_errno = ENOSPC;
	fail_short = getenv("STRATA_FAULT_SHORT") && !strcmp(getenv("STRATA_FAULT_SHORT"), "1");
	fail_crash = getenv("STRATA_FAULT_CRASH") && !strcmp(getenv("STRATA_FAULT_CRASH"), "1");
}

/* 1 if this call is the one to fail (STRATA_FAULT_LOG=1 names it on stderr) */
static int hit_what(const char *what, int fd, const char *path)
{
	char link[64], target[512] = "";
	const char *only = getenv("STRATA_FAULT_PATH");
	init();
	if ((only || getenv("STRATA_FAULT_LOG")) && !path && fd >= 0) {
		ssize_t k;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if ((k = readlink(link, target, sizeof(target) - 1)) > 0)
			target[k] = '\0';
		path = target;
	}
	if (only && (!path || !strstr(path, only)))
		return 0;
	if (getenv("STRATA_FAULT_KINDS")) {
		const char *k = getenv("STRATA_FAULT_KINDS"), *at = strstr(k, what);
		size_t len = strlen(what);
		if (!at || (at != k && at[-1] != ',') || (at[len] && at[len] != ','))
			return 0;
	}
	++calls;
	if (getenv("STRATA_FAULT_TRACE")) {
		/* written with the real calls: the trace's own writes are not counted */
		static int tracing;
		FILE *t;
		if (tracing) {
			calls--;
			return 0;
		}
		tracing = 1;
		if ((t = fopen(getenv("STRATA_FAULT_TRACE"), "a")) != NULL) {
			fprintf(t, "%ld %s\n", calls, what);
			fclose(t);
		}
		tracing = 0;
	}
	if (calls != fail_at)
		return 0;
	if (getenv("STRATA_FAULT_LOG")) {
		fprintf(stderr, "faultshim: failing call %ld: %s %s\n", calls, what, path ? path : "");
	}
	if (fail_crash)
		_exit(137);
	return 1;
}
#define hit() hit_what(__func__, -1, NULL)

__attribute__((destructor)) static void report(void)
{
	const char *f = getenv("STRATA_FAULT_COUNT"), *b = getenv("STRATA_FAULT_BYTES");
	FILE *out;
	if (f && (out = fopen(f, "w")) != NULL) {
		fprintf(out, "%ld\n", calls);
		fclose(out);
	}
	if (b && (out = fopen(b, "w")) != NULL) {
		fprintf(out, "%lld\n", bytes_written);
		fclose(out);
	}
}

#define REAL(name, ret, ...) static ret (*real_##name)(__VA_ARGS__); \
	if (!real_##name) real_##name = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t n)
{
	REAL(write, ssize_t, int, const void *, size_t);
	if (fd > 2 && hit_what("write", fd, NULL)) {
		if (fail_short && n > 1)
			return real_write(fd, buf, n / 2);
		errno = fail_errno;
		return -1;
	}
	if (fd > 2 && space_take(fd, &n) < 0)
		return -1;
	return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(pwrite, ssize_t, int, const void *, size_t, off_t);
	if (fd > 2 && hit_what("pwrite", fd, NULL)) {
		if (fail_short && n > 1)
			return real_pwrite(fd, buf, n / 2, off);
		errno = fail_errno;
		return -1;
	}
	if (fd > 2 && space_take(fd, &n) < 0)
		return -1;
	return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite(fd, buf, n, off);
}

int fsync(int fd)
{
	REAL(fsync, int, int);
	if (hit_what("fsync", fd, NULL)) {
		errno = EIO;
		return -1;
	}
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	REAL(fdatasync, int, int);
	if (hit()) {
		errno = EIO;
		return -1;
	}
	return real_fdatasync(fd);
}

/* A file removed or replaced gives its blocks back (STRATA_FAULT_SPACE). */
static void space_credit(const char *path)
{
	struct stat st;
	if (space_left >= 0 && path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1)
		space_left += (long long)st.st_size;
}

int rename(const char *a, const char *b)
{
	REAL(rename, int, const char *, const char *);
	if (hit_what("rename", -1, b)) {
		errno = fail_errno;
		return -1;
	}
	space_credit(b);
	return real_rename(a, b);
}

int renameat(int da, const char *a, int db, const char *b)
{
	REAL(renameat, int, int, const char *, int, const char *);
	if (hit()) {
		errno = fail_errno;
		return -1;
	}
	return real_renameat(da, a, db, b);
}

int link(const char *a, const char *b)
{
	REAL(link, int, const char *, const char *);
	if (hit()) {
		errno = fail_errno;
		return -1;
	}
	return real_link(a, b);
}

int unlink(const char *p)
{
	REAL(unlink, int, const char *);
	if (hit_what("unlink", -1, p)) {
		errno = EIO;
		return -1;
	}
	space_credit(p);
	return real_unlink(p);
}

/* STRATA_FAULT_ACCEPT: the process is out of descriptors for its first N accepts */
static int accept_fails(void)
{
	static long left = -1;
	if (left < 0)
		left = getenv("STRATA_FAULT_ACCEPT") ? atol(getenv("STRATA_FAULT_ACCEPT")) : 0;
	if (left > 0) {
		left--;
		errno = EMFILE;
		return 1;
	}
	return 0;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	static int (*real)(int, struct sockaddr *, socklen_t *);
	if (accept_fails())
		return -1;
	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
	return real(fd, addr, len);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	if (accept_fails())
		return -1;
	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	return real(fd, addr, len, flags);
}
