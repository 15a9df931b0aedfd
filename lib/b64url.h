/*
 * b64url.h: base64url without padding (RFC 4648 section 5), as used by
 * JWTs and JWKs.
 *
 * Decoding is strict: only the URL-safe alphabet, no padding, no
 * whitespace, and the unused low bits of the last character must be zero,
 * so every byte string has exactly one accepted encoding.
 */
#ifndef B64URL_H
#define B64URL_H

#include <stddef.h>

#include "err.h"

/* Bytes needed to decode n characters (an upper bound). */
#define B64URL_DECODED_MAX(n)	(((n) / 4) * 3 + 2)
/* Characters needed to encode n bytes, without the NUL. */
#define B64URL_ENCODED_LEN(n)	(((n) / 3) * 4 + ((n) % 3 == 0 ? 0 : (n) % 3 + 1))

/*
 * Decode in[0..inlen) into out (room for outsz bytes); *outlen gets the
 * length.  ERR_INVAL on any character outside the alphabet, an impossible
 * length or non-zero trailing bits; ERR_TOO_LARGE if out is too small.
 */
enum err	 b64url_decode(const char *in, size_t inlen, unsigned char *out,
		    size_t outsz, size_t *outlen);

/*
 * Encode in[0..inlen) into out (room for outsz bytes, including the NUL
 * written after the text); returns the text length, or 0 with out[0] = 0
 * if it does not fit (inlen 0 also returns 0).
 */
size_t		 b64url_encode(const unsigned char *in, size_t inlen, char *out,
		    size_t outsz);

#endif /* B64URL_H */
