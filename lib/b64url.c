/*
 * b64url.c: strict base64url codec for JWT segments and JWK numbers.
 *
 * Written out here rather than borrowed from OpenSSL's EVP_DecodeBlock,
 * which speaks the other alphabet, wants padding and skips whitespace:
 * a verifier should refuse, not repair, a malformed token.
 */
#include <stddef.h>

#include "b64url.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

enum err
b64url_decode(const char *in, size_t inlen, unsigned char *out, size_t outsz,
    size_t *outlen)
{
	size_t i, n = 0, rem = inlen % 4;
	unsigned long acc = 0;
	int bits = 0, v;

	*outlen = 0;
	if (rem == 1)
		return ERR_INVAL;
	if ((inlen / 4) * 3 + (rem == 0 ? 0 : rem - 1) > outsz)
		return ERR_TOO_LARGE;
	for (i = 0; i < inlen; i++) {
		if ((v = b64url_value((unsigned char)in[i])) < 0)
			return ERR_INVAL;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1UL << bits) - 1;
		}
	}
	/* Left-over bits (2 or 4) must be zero for a canonical encoding. */
	if (acc != 0)
		return ERR_INVAL;
	*outlen = n;
	return ERR_OK;
}

size_t
b64url_encode(const unsigned char *in, size_t inlen, char *out, size_t outsz)
{
	size_t i, n = 0, need = B64URL_ENCODED_LEN(inlen);
	unsigned long acc = 0;
	int bits = 0;

	if (outsz == 0)
		return 0;
	out[0] = '\0';
	if (need + 1 > outsz)
		return 0;
	for (i = 0; i < inlen; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[n++] = b64url_alphabet[(acc >> bits) & 63];
		}
		acc &= (1UL << bits) - 1;
	}
	if (bits > 0)
		out[n++] = b64url_alphabet[(acc << (6 - bits)) & 63];
	out[n] = '\0';
	return n;
}
