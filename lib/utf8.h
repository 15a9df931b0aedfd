/*
 * utf8.h: the one UTF-8 validator.
 *
 * "Valid" is the Unicode standard's well-formed UTF-8 (Table 3-7): no
 * overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
 * Everything that takes text from outside (JSON scanning, Riva results,
 * EventBridge answers, S3 keys) and everything that writes JSON checks it
 * here, so all of them agree on what text is.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

/* Length (1..4) of the valid sequence at s[0..n), or 0 if the bytes there
 * are not one (bad lead or continuation, overlong, surrogate, above
 * U+10FFFF, or cut short by n).  n must be at least 1. */
size_t	utf8_len(const void *s, size_t n);

/* 1 if s[0..n) is valid UTF-8 (n == 0 is), else 0. */
int	utf8_valid(const void *s, size_t n);

enum utf8_state {
	UTF8_VALID,	/* all of it */
	UTF8_PARTIAL,	/* valid, but ends inside a sequence that can
			   still be completed by the bytes that follow */
	UTF8_INVALID,	/* no continuation can make it valid */
};

/*
 * For text that arrives in pieces (a fragmented WebSocket text message):
 * the state of s[0..n) and, in *done, the length of its complete valid
 * prefix (== n for UTF8_VALID; the start of the unfinished sequence for
 * UTF8_PARTIAL; the first bad byte for UTF8_INVALID).  Keep the tail of a
 * PARTIAL piece and check it again with the next one.
 */
enum utf8_state utf8_prefix(const void *s, size_t n, size_t *done);

/* The largest length <= max at which s[0..len) can be cut without
 * splitting a sequence (so a cut copy of valid text stays valid). */
size_t	utf8_cut(const char *s, size_t len, size_t max);

#endif /* UTF8_H */
