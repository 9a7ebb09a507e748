/*
 * replay.c - runs a fuzz target over files (a corpus), for make check:
 * every input that once crashed, and every seed, must now pass.
 *   replay_<target> DIR|FILE...
 */
#include "fuzz.h"
#include "strata/base/fs.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
	strata_buf b = STRATA_BUF_INIT;
	if (strata_fs_read(&b, path, (size_t)64 << 20) < 0) {
		fprintf(stderr, "replay: %s\n", strata_error_last());
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)(b.ptr ? b.ptr : ""), b.len);
	strata_buf_dispose(&b);
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = 0;
	int failed = 0;

	fuzz_init();
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;
			while (d && (e = readdir(d)) != NULL) {
				char *p;
				if (e->d_name[0] == '.' || (p = strata_fs_path_join(argv[i], e->d_name)) == NULL)
					continue;
				failed |= run_file(p);
				n++;
				free(p);
			}
			if (d)
				closedir(d);
		} else {
			failed |= run_file(argv[i]);
			n++;
		}
	}
	printf("replayed %zu inputs\n", n);
	git_libgit2_shutdown();
	return failed;
}
