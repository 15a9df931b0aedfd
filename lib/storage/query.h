/*
 * query.h: read one parameter of a URL query string (QUERY_STRING).
 *
 * The API's GET routes take a few short parameters whose values never need
 * percent-decoding (digits, base64url cursors), so values are handed back
 * raw; a caller that accepts only such characters refuses anything encoded.
 * No I/O, no allocation.
 */
#ifndef QUERY_H
#define QUERY_H

#include <stddef.h>

/* Longest query string looked at; longer ones are refused whole. */
#define QUERY_MAX_LEN	4096

/*
 * Find name in qs (without the '?', may be NULL): returns 1 and sets
 * *val and *vlen to the raw value of its first occurrence ("name" alone and
 * "name=" give an empty value), 0 if absent, -1 if qs is longer than
 * QUERY_MAX_LEN or name occurs more than once (ambiguous: refuse).
 */
int	query_get(const char *qs, const char *name, const char **val,
	    size_t *vlen);

#endif /* QUERY_H */
