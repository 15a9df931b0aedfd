/*
 * test_xalloc.c: the allocate-or-log-and-abort wrappers (lib/xalloc.c).
 * The abort paths run in a child process; the parent reads its log line.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"
#include "xalloc.h"

#ifdef __SANITIZE_ADDRESS__
/* Under ASan a huge request is a report and exit(1) unless the allocator
 * may return NULL, as glibc's does; the tests need glibc's behaviour. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}
#endif

static void
test_xalloc_returns_memory(void)
{
	char *p = xmalloc(0), *q;
	int *z = xcalloc(4, sizeof(int));

	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT(z[0] == 0 && z[3] == 0);
	p = xrealloc(p, 64);
	memset(p, 'x', 64);
	q = xstrdup("abc");
	CU_ASSERT_STRING_EQUAL(q, "abc");
	free(q);
	q = xstrndup("abcdef", 2);
	CU_ASSERT_STRING_EQUAL(q, "ab");
	free(q);
	free(p);
	free(z);
}

/* Run what in a child that logs to a pipe; 1 if it died of SIGABRT after
 * logging a line that holds `want`. */
static int
dies_logging(int what, const char *want)
{
	char out[1024];
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	int fds[2], st = 0;

	if (pipe(fds) == -1)
		return 0;
	if ((pid = fork()) == -1)
		return 0;
	if (pid == 0) {
		close(fds[0]);
		signal(SIGABRT, SIG_DFL);
		log_init("test-xalloc", LOGL_DEBUG, fds[1]);
		if (what == 0)
			(void)xmalloc(SIZE_MAX - 16);
		else if (what == 1)
			(void)xcalloc(SIZE_MAX / 2, 4);
		else
			xalloc_bug("the invariant");
		_exit(0);
	}
	close(fds[1]);
	while (got < sizeof(out) - 1 &&
	    (n = read(fds[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fds[0]);
	waitpid(pid, &st, 0);
	log_init("unit", LOGL_ERROR + 1, 2);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT &&
	    strstr(out, want) != NULL &&
	    strstr(out, "func=dies_logging") != NULL;
}

static void
test_xalloc_logs_size_and_caller_then_aborts(void)
{
	char want[64];

	snprintf(want, sizeof(want), "out of memory: %zu bytes",
	    (size_t)(SIZE_MAX - 16));
	CU_ASSERT(dies_logging(0, want));
	CU_ASSERT(dies_logging(1, "out of memory: "));
	CU_ASSERT(dies_logging(2, "bug: the invariant"));
}

int
test_xalloc_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("xalloc", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "returns memory", test_xalloc_returns_memory) ==
	    NULL ||
	    CU_add_test(s, "logs size and caller, then aborts",
	    test_xalloc_logs_size_and_caller_then_aborts) == NULL)
		return -1;
	return 0;
}
