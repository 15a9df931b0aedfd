/*
 * buf.c: the one byte buffer (see buf.h for the contract and the JSON
 * escaping rules).
 *
 * Heap buffers start at 256 bytes and double, so appending n bytes costs
 * O(n) overall; the capacity is never shrunk (buf_reset() reuses it).  A
 * failure latches in b->err and later appends do nothing, which is what
 * lets renderers append a whole document and check once.  Library code
 * turns ERR_NOMEM into its own return; nothing here aborts or logs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"

static const char buf_hexdig[] = "0123456789abcdef";

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
buf_init_fixed(struct buf *b, char *mem, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->fixed = 1;
	b->p = mem;
	b->cap = cap;
	if (cap == 0 || mem == NULL) {
		b->cap = 0;
		b->err = ERR_TOO_LARGE;
	} else
		mem[0] = '\0';
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	if (!b->fixed)
		free(b->p);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->fixed && b->cap == 0)
		return;		/* stays ERR_TOO_LARGE: no room at all */
	b->err = ERR_OK;
	if (b->p != NULL)
		b->p[0] = '\0';
}

int
buf_grow(struct buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->err != ERR_OK)
		return -1;
	if (b->p != NULL && n < b->cap - b->len)
		return 0;
	if (b->fixed) {
		b->err = ERR_TOO_LARGE;
		return -1;
	}
	if (n > SIZE_MAX - 1 - b->len) {
		b->err = ERR_NOMEM;
		return -1;
	}
	cap = b->cap > 0 ? b->cap : 256;
	while (cap - b->len <= n) {
		if (cap > SIZE_MAX / 2) {
			b->err = ERR_NOMEM;
			return -1;
		}
		cap *= 2;
	}
	if ((p = realloc(b->p, cap)) == NULL) {
		b->err = ERR_NOMEM;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	b->p[b->len] = '\0';
	return 0;
}

char *
buf_space(struct buf *b, size_t n)
{
	if (buf_grow(b, n) == -1)
		return NULL;
	return b->p + b->len;
}

void
buf_commit(struct buf *b, size_t n)
{
	if (b->err != ERR_OK || b->p == NULL || n >= b->cap - b->len)
		return;
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_add(struct buf *b, const void *s, size_t n)
{
	if (buf_grow(b, n) == -1)
		return;
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	if (s == NULL)
		s = "";
	buf_add(b, s, strlen(s));
}

void
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	size_t room;
	int n;

	if (b->err != ERR_OK)
		return;
	/* Try in the room there is; grow once to the exact size if short. */
	room = b->p != NULL ? b->cap - b->len : 0;
	va_copy(cp, ap);
	n = vsnprintf(room > 0 ? b->p + b->len : NULL, room, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->err = ERR_INTERNAL;
		return;
	}
	if ((size_t)n >= room) {
		if (room > 0)
			b->p[b->len] = '\0';
		if (buf_grow(b, (size_t)n) == -1)
			return;
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void
buf_add_int(struct buf *b, long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	/* The magnitude as unsigned: -LLONG_MIN does not fit a long long. */
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		tmp[--i] = '-';
	buf_add(b, tmp + i, sizeof(tmp) - i);
}

void
buf_add_hex(struct buf *b, const void *s, size_t n)
{
	const unsigned char *u = s;
	char *o;
	size_t i;

	if (n > (SIZE_MAX - 1) / 2) {
		if (b->err == ERR_OK)
			b->err = ERR_NOMEM;
		return;
	}
	if ((o = buf_space(b, 2 * n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		o[2 * i] = buf_hexdig[u[i] >> 4];
		o[2 * i + 1] = buf_hexdig[u[i] & 0x0f];
	}
	buf_commit(b, 2 * n);
}

/* Bytes that go out as they are: printable ASCII but '"' and '\\'. */
static int
buf_json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/*
 * The length of the run of plain bytes at s[0..n): eight at a time while
 * none of them is below 0x20, above 0x7e, '"' or '\\' (the usual bit
 * tricks: a byte's top bit set in the result flags it; a flag may be
 * false after a true one, which only ends the fast run early), then one
 * by one.  A presign's answer is a kilobyte of URL.
 */
static size_t
buf_json_run(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t w, q, bs, bad;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		q = w ^ (ones * '"');
		bs = w ^ (ones * '\\');
		bad = ((w - ones * 0x20) & ~w) |	/* below 0x20 */
		    ((w + ones * (0x7f - 0x7e)) | w) |	/* above 0x7e */
		    ((q - ones) & ~q) | ((bs - ones) & ~bs);
		if ((bad & high) != 0)
			break;
	}
	while (i < n && buf_json_plain(s[i]))
		i++;
	return i;
}

void
buf_add_json(struct buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)(str != NULL ? str : "");
	size_t i = 0, run, k;
	char esc[6];

	if (str == NULL)
		n = 0;
	buf_addc(b, '"');
	while (i < n && b->err == ERR_OK) {
		/* The longest run that needs no escaping, at once. */
		run = i + buf_json_run(s + i, n - i);
		if (run > i) {
			buf_add(b, s + i, run - i);
			i = run;
			continue;
		}
		if (s[i] >= 0x80) {
			if ((k = utf8_len(s + i, n - i)) == 0) {
				buf_add(b, "\\ufffd", 6);
				k = 1;
			} else
				buf_add(b, s + i, k);
			i += k;
			continue;
		}
		esc[0] = '\\';
		switch (s[i]) {
		case '"':
		case '\\':
			esc[1] = (char)s[i];
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = buf_hexdig[s[i] >> 4];
			esc[5] = buf_hexdig[s[i] & 0x0f];
			buf_add(b, esc, 6);
			i++;
			continue;
		}
		buf_add(b, esc, 2);
		i++;
	}
	buf_addc(b, '"');
}

void
buf_add_jsons(struct buf *b, const char *s)
{
	buf_add_json(b, s, s != NULL ? strlen(s) : 0);
}

enum err
buf_err(const struct buf *b)
{
	return b->err;
}

char *
buf_take(struct buf *b)
{
	char *p = NULL;

	if (!b->fixed && b->err == ERR_OK)
		p = b->p != NULL ? b->p : strdup("");
	else if (!b->fixed)
		free(b->p);
	buf_init(b);
	return p;
}
