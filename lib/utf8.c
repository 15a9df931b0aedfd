/*
 * utf8.c: well-formed UTF-8 per Unicode Table 3-7.
 *
 * The lead byte fixes the sequence length and the range the second byte
 * may take; that one range test is what refuses overlong forms (E0 80..9F,
 * F0 80..8F), surrogates (ED A0..BF) and code points above U+10FFFF
 * (F4 90..BF), so no code point is ever assembled.  Later bytes are plain
 * continuations.  utf8_prefix() uses the same table to tell a sequence
 * that is merely cut short by the end of a piece from one that is wrong.
 */
#include "utf8.h"

/* For a lead byte: total length (0: not a lead) and the second byte's
 * range. */
static int
utf8_lead(unsigned char c, size_t *need, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (c < 0x80)
		*need = 1;
	else if (c >= 0xc2 && c <= 0xdf)
		*need = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		*need = 3;
		if (c == 0xe0)
			*lo = 0xa0;
		else if (c == 0xed)
			*hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		*need = 4;
		if (c == 0xf0)
			*lo = 0x90;
		else if (c == 0xf4)
			*hi = 0x8f;
	} else
		return 0;
	return 1;
}

/* How many bytes of the sequence at s[0..n) are right so far: *need (its
 * length) when complete, less when cut by n, 0 when wrong (then *need is
 * at least 1, so 0 never passes for complete). */
static size_t
utf8_scan(const unsigned char *s, size_t n, size_t *need)
{
	unsigned char lo, hi;
	size_t i;

	if (!utf8_lead(s[0], need, &lo, &hi)) {
		*need = 1;
		return 0;
	}
	for (i = 1; i < *need && i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return i;
}

size_t
utf8_len(const void *s, size_t n)
{
	size_t need, got;

	if (n == 0)
		return 0;
	got = utf8_scan(s, n, &need);
	return got == need ? got : 0;
}

enum utf8_state
utf8_prefix(const void *v, size_t n, size_t *done)
{
	const unsigned char *s = v;
	size_t i = 0, need, got;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		got = utf8_scan(s + i, n - i, &need);
		if (got == need) {
			i += got;
			continue;
		}
		if (done != NULL)
			*done = i;
		/* Right so far and stopped only by the end. */
		return got > 0 && i + got == n ? UTF8_PARTIAL : UTF8_INVALID;
	}
	if (done != NULL)
		*done = n;
	return UTF8_VALID;
}

int
utf8_valid(const void *s, size_t n)
{
	return utf8_prefix(s, n, NULL) == UTF8_VALID;
}

size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}
