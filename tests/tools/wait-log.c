/*
 * wait-log.c - blocks until a file holds a line containing a text: for
 * tests that must wait for a daemon to say something (it listens, a part
 * arrived) rather than sleep and hope.  Test-only; never installed.
 *
 *   wait-log FILE TEXT [SECONDS]
 *
 * Waits with inotify on FILE (and on its directory until FILE exists), so
 * it wakes when the file changes, not on a timer.  Exits 0 once TEXT is
 * in it, 1 after SECONDS (default 60) without, 2 on a usage or system
 * error.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

/* 1 if FILE holds TEXT; reads it whole (logs of tests are small). */
static int holds(const char *file, const char *text)
{
	FILE *f = fopen(file, "rb");
	static char buf[1 << 22];
	size_t n;
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

int main(int argc, char **argv)
{
	char dir[4096];
	int fd, seconds = argc > 3 ? atoi(argv[3]) : 60;
	time_t end;

	if (argc < 3 || argc > 4 || seconds < 1) {
		fprintf(stderr, "usage: wait-log FILE TEXT [SECONDS]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	if ((fd = inotify_init1(IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(fd, dirname(dir), IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE) < 0) {
		perror("wait-log: inotify");
		return 2;
	}
	end = time(NULL) + seconds;
	/* the directory's watch reports changes of the files in it, FILE's among them */
	while (!holds(argv[1], argv[2])) {
		struct pollfd p = { fd, POLLIN, 0 };
		char ev[4096];
		time_t left = end - time(NULL);
		if (left <= 0 || poll(&p, 1, (int)left * 1000) == 0) {
			fprintf(stderr, "wait-log: '%s' did not say '%s' within %d s\n", argv[1], argv[2], seconds);
			return 1;
		}
		if (read(fd, ev, sizeof(ev)) < 0 && errno != EINTR) {
			perror("wait-log: read");
			return 2;
		}
	}
	return 0;
}
