/*
 * fuzz_replay.c: run a libFuzzer target over its corpus without libFuzzer.
 *
 * Linked with each tests/fuzz/fuzz_NAME.c when fuzzing is not enabled, so that
 * `make check` (and the sanitizer build) feeds every seed and every crash
 * reproducer kept in tests/fuzz/corpus/NAME/ to the target.  With no arguments
 * the corpus is found from the program name (fuzz_NAME) under $srcdir;
 * arguments name files or directories to run instead.  Each input is copied
 * into a buffer of exactly its size so that AddressSanitizer sees any
 * over-read.  An empty corpus is a failure: it means the seeds are missing.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_REPLAY_MAX	(4 * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
fuzz_replay_file(const char *path, size_t *count)
{
	FILE *fp = NULL;
	uint8_t *buf = NULL;
	long size;
	int rc = -1;

	if ((fp = fopen(path, "rb")) == NULL ||
	    fseek(fp, 0, SEEK_END) == -1 || (size = ftell(fp)) < 0 ||
	    size > FUZZ_REPLAY_MAX || fseek(fp, 0, SEEK_SET) == -1) {
		fprintf(stderr, "fuzz_replay: %s: cannot read\n", path);
		goto out;
	}
	if ((buf = malloc(size > 0 ? (size_t)size : 1)) == NULL ||
	    fread(buf, 1, (size_t)size, fp) != (size_t)size) {
		fprintf(stderr, "fuzz_replay: %s: cannot read\n", path);
		goto out;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	(*count)++;
	rc = 0;
out:
	free(buf);
	if (fp != NULL)
		fclose(fp);
	return rc;
}

static int
fuzz_replay_path(const char *path, size_t *count)
{
	struct dirent **names = NULL;
	struct stat st;
	char sub[4096];
	int i, n, rc = 0;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return fuzz_replay_file(path, count);
	if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && names[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path,
			    names[i]->d_name);
			if (stat(sub, &st) == 0 && S_ISREG(st.st_mode))
				rc = fuzz_replay_file(sub, count);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *prog, *srcdir, *name;
	char dir[4096];
	size_t count = 0;
	int i;

	prog = strrchr(argv[0], '/');
	prog = prog != NULL ? prog + 1 : argv[0];
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (fuzz_replay_path(argv[i], &count) == -1)
				return 1;
	} else {
		name = strncmp(prog, "fuzz_", 5) == 0 ? prog + 5 : prog;
		if ((srcdir = getenv("srcdir")) == NULL || *srcdir == '\0')
			srcdir = ".";
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", srcdir, name);
		if (fuzz_replay_path(dir, &count) == -1)
			return 1;
	}
	if (count == 0) {
		fprintf(stderr, "%s: no corpus inputs found\n", prog);
		return 1;
	}
	printf("%s: replayed %zu inputs\n", prog, count);
	return 0;
}
