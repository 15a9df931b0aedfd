/*
 * xalloc.h: the programs' allocation wrappers: log one line, then abort.
 *
 * The daemons (audio-api workers, audio-bridge, audio-recognizer) abort on
 * out-of-memory rather than limp on; their supervisor restarts them.  The
 * wrappers make that one line in the log that names the size and the
 * function, instead of a bare abort() that leaves nothing to read.
 * Library code does not use them: it returns ERR_NOMEM and lets the
 * program decide.
 *
 *	p = xcalloc(n, sizeof(*p));		never NULL
 *	if (curl_slist_append(...) == NULL)	allocators of other libraries
 *		xalloc_die(0, __func__);
 *	xalloc_bug("grpc_call_start_batch");	a broken invariant, not memory
 */
#ifndef XALLOC_H
#define XALLOC_H

#include <stddef.h>

#define xmalloc(n)	xalloc_malloc((n), __func__)
#define xcalloc(n, sz)	xalloc_calloc((n), (sz), __func__)
#define xrealloc(p, n)	xalloc_realloc((p), (n), __func__)
#define xstrdup(s)	xalloc_strdup((s), __func__)
#define xstrndup(s, n)	xalloc_strndup((s), (n), __func__)
#define xalloc_bug(what) xalloc_bug_at((what), __func__)

void	*xalloc_malloc(size_t, const char *);
void	*xalloc_calloc(size_t, size_t, const char *);
void	*xalloc_realloc(void *, size_t, const char *);
char	*xalloc_strdup(const char *, const char *);
char	*xalloc_strndup(const char *, size_t, const char *);

/* Log "out of memory: N bytes" under func (size 0: unknown), abort(). */
void	 xalloc_die(size_t, const char *func) __attribute__((noreturn));
/* Log "bug: WHAT" under func, then abort(): for an invariant that cannot
 * fail unless the code is wrong. */
void	 xalloc_bug_at(const char *what, const char *func)
    __attribute__((noreturn));

#endif /* XALLOC_H */
