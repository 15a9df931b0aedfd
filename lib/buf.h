/*
 * buf.h: the one byte buffer: append, printf, JSON string, hex.
 *
 * Every module that builds text (manifests, event payloads, SigV4
 * canonical requests, WebSocket messages, the metrics page) appends into a
 * struct buf instead of keeping its own pointer/length/capacity triple.
 * Two kinds share one API:
 *
 *	buf_init(&b)			grows on the heap; buf_free() frees
 *	buf_init_fixed(&b, mem, cap)	writes into caller memory, never grows
 *
 * Errors are sticky, so a renderer appends without checking and looks
 * once at the end: buf_err() is ERR_OK, ERR_NOMEM (an allocation failed,
 * or the size would overflow) or ERR_TOO_LARGE (a fixed buffer is full).
 * After an error every append is a no-op and the content is whatever was
 * complete before it.  The content is always NUL-terminated when cap > 0.
 *
 * JSON strings (buf_add_json): RFC 8259 plus two choices made once for
 * the whole project:
 *   - '"' and '\\' as \" and \\; \b \f \n \r \t in their short forms; every
 *     other byte below 0x20, and DEL (0x7f), as \u00XX (lower-case hex).
 *     DEL is legal raw JSON but is a control character that terminals and
 *     log viewers act on, so it is escaped like the C0 controls.
 *   - valid UTF-8 (lib/utf8.c) is copied as is; each byte that does not
 *     start a valid sequence becomes the escape \ufffd (U+FFFD), so the
 *     output is valid JSON and plain ASCII wherever the input was broken.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "err.h"

struct buf {
	char	*p;		/* NULL until the first append (heap kind) */
	size_t	 len;		/* bytes of content, without the NUL */
	size_t	 cap;		/* bytes at p */
	int	 fixed;		/* caller memory: never realloc'd or freed */
	enum err err;		/* sticky: first failure */
};

void	 buf_init(struct buf *);
void	 buf_init_fixed(struct buf *, char *mem, size_t cap);
/* Frees heap memory (a no-op for a fixed buffer or NULL) and re-inits. */
void	 buf_free(struct buf *);
/* Empty again and clear the error; keeps the memory. */
void	 buf_reset(struct buf *);

/* Make room for n more bytes plus the NUL; 0, or -1 with the error set. */
int	 buf_grow(struct buf *, size_t n);

/* Pointer to n writable bytes at the end (after buf_grow(n)); write at
 * most n bytes, then buf_commit() what was written.  NULL on error. */
char	*buf_space(struct buf *, size_t n);
void	 buf_commit(struct buf *, size_t n);

void	 buf_add(struct buf *, const void *s, size_t n);
void	 buf_adds(struct buf *, const char *s);		/* NULL adds "" */
void	 buf_addf(struct buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void	 buf_vaddf(struct buf *, const char *fmt, va_list)
    __attribute__((format(printf, 2, 0)));
/* v in decimal ("-12"), what "%lld" writes, without printf's cost: a
 * reply's status, lengths and numbers. */
void	 buf_add_int(struct buf *, long long v);
/* n bytes as 2n lower-case hex digits. */
void	 buf_add_hex(struct buf *, const void *s, size_t n);
/* s[0..n) as a quoted JSON string (see the head of this file). */
void	 buf_add_json(struct buf *, const char *s, size_t n);
/* NUL-terminated s as a quoted JSON string; NULL renders as "". */
void	 buf_add_jsons(struct buf *, const char *s);

enum err buf_err(const struct buf *);

/* Hand the heap string to the caller (free() it): "" when nothing was
 * added, NULL after an error or for a fixed buffer.  Re-inits b. */
char	*buf_take(struct buf *);

/* One byte: the hot path of encoders (a call per byte was measurable in
 * a presign), so the common case is inline. */
static inline void
buf_addc(struct buf *b, char c)
{
	if (b->err == ERR_OK && b->p != NULL && b->cap - b->len > 1) {
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
		return;
	}
	buf_add(b, &c, 1);
}

#endif /* BUF_H */
