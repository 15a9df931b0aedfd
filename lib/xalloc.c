/*
 * xalloc.c: allocate or log and abort (see xalloc.h).
 *
 * The line is logged at error level under the caller's function name (so
 * it reads like any other failure of that function) and, being an error,
 * is written at once, before abort() raises SIGABRT, whose handler in
 * log.c flushes any buffered lines.  Zero-size
 * requests ask for one byte, so a NULL is always a failure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

void
xalloc_die(size_t n, const char *func)
{
	if (n > 0)
		log_msg(LOGL_ERROR, func, "out of memory: %zu bytes", n);
	else
		log_msg(LOGL_ERROR, func, "out of memory");
	abort();
}

void
xalloc_bug_at(const char *what, const char *func)
{
	log_msg(LOGL_ERROR, func, "bug: %s", what);
	abort();
}

void *
xalloc_malloc(size_t n, const char *func)
{
	void *p;

	if ((p = malloc(n > 0 ? n : 1)) == NULL)
		xalloc_die(n, func);
	return p;
}

void *
xalloc_calloc(size_t n, size_t sz, const char *func)
{
	void *p;

	if (n == 0 || sz == 0)
		n = sz = 1;
	if ((p = calloc(n, sz)) == NULL)
		xalloc_die(sz > 0 && n > SIZE_MAX / sz ? SIZE_MAX : n * sz,
		    func);
	return p;
}

void *
xalloc_realloc(void *old, size_t n, const char *func)
{
	void *p;

	if ((p = realloc(old, n > 0 ? n : 1)) == NULL)
		xalloc_die(n, func);
	return p;
}

char *
xalloc_strdup(const char *s, const char *func)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		xalloc_die(strlen(s) + 1, func);
	return p;
}

char *
xalloc_strndup(const char *s, size_t n, const char *func)
{
	char *p;

	if ((p = strndup(s, n)) == NULL)
		xalloc_die(n + 1, func);
	return p;
}
