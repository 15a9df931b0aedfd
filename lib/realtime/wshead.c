/*
 * wshead.c: move a JWT from Sec-WebSocket-Protocol into the request URL
 * (see wshead.h for why).
 */
#include <string.h>
#include <strings.h>

#include "limit.h"
#include "wshead.h"

#define WSHEAD_PROTOCOL		"sec-websocket-protocol"

/* One Sec-WebSocket-Protocol entry that carries a token. */
struct wshead_token {
	const char	*line;		/* its header line */
	size_t		 line_len;	/* through the '\n' */
	const char	*entry;		/* "bearer.<jwt>" or "<jwt>" */
	size_t		 entry_len;
	const char	*tok;		/* the JWT itself */
	size_t		 tok_len;
	int		 bearer;
};

size_t
wshead_length(const char *buf, size_t len)
{
	size_t i;

	/* CRLF CRLF, or the bare LF LF some clients send. */
	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int
wshead_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The JWT alphabet: base64url and the two dots. */
static int
wshead_token_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.'))
			return 0;
	}
	return 1;
}

/* Does the request target already carry a token= argument? */
static int
wshead_target_has_token(const char *t, size_t n)
{
	const char *q = memchr(t, '?', n);
	size_t i;

	if (q == NULL)
		return 0;
	for (i = (size_t)(q - t) + 1; i < n; i++) {
		if ((t[i - 1] == '?' || t[i - 1] == '&') && n - i >= 6 &&
		    memcmp(t + i, "token=", 6) == 0)
			return 1;
	}
	return 0;
}

/*
 * If line (a header line, through its '\n') is Sec-WebSocket-Protocol,
 * set *value and *vlen to its value without surrounding blanks and
 * return 1.
 */
static int
wshead_protocol_value(const char *line, size_t len, const char **value,
    size_t *vlen)
{
	size_t n = sizeof(WSHEAD_PROTOCOL) - 1;
	const char *v, *e;

	if (len <= n || strncasecmp(line, WSHEAD_PROTOCOL, n) != 0 ||
	    line[n] != ':')
		return 0;
	v = line + n + 1;
	e = line + len;
	while (e > v && (e[-1] == '\n' || e[-1] == '\r' || wshead_is_space(e[-1])))
		e--;
	while (v < e && wshead_is_space(*v))
		v++;
	*value = v;
	*vlen = (size_t)(e - v);
	return 1;
}

/*
 * Walk the comma-separated entries of a value: call with *pos = 0, get
 * each entry without blanks; returns 0 at the end.
 */
static int
wshead_next_entry(const char *v, size_t vlen, size_t *pos, const char **e,
    size_t *elen)
{
	size_t a, b;

	while (*pos < vlen) {
		a = *pos;
		while (a < vlen && wshead_is_space(v[a]))
			a++;
		b = a;
		while (b < vlen && v[b] != ',')
			b++;
		*pos = b < vlen ? b + 1 : b;
		while (b > a && wshead_is_space(v[b - 1]))
			b--;
		if (b > a) {
			*e = v + a;
			*elen = b - a;
			return 1;
		}
	}
	return 0;
}

/* Append n bytes; returns -1 (and stops) once out is full. */
static int
wshead_put(char *out, size_t cap, size_t *len, const char *p, size_t n)
{
	if (n > cap - *len)
		return -1;
	memcpy(out + *len, p, n);
	*len += n;
	return 0;
}

enum wshead_result
wshead_move_token(const char *head, size_t hlen, char *out, size_t outcap,
    size_t *outlen)
{
	struct wshead_token t;
	const char *eol, *sp1, *sp2, *line, *v, *e, *next;
	size_t vlen, elen, pos, olen = 0, entries = 0, ll;
	int found = 0, first, crlf;

	memset(&t, 0, sizeof(t));
	if ((eol = memchr(head, '\n', hlen)) == NULL)
		return WSHEAD_BAD;
	/* Request line: METHOD SP target SP version. */
	if ((sp1 = memchr(head, ' ', (size_t)(eol - head))) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1))) == NULL ||
	    sp2 == sp1 + 1)
		return WSHEAD_BAD;

	/* Find the first token entry, and count every entry offered. */
	for (line = eol + 1; line < head + hlen; line = next) {
		next = memchr(line, '\n', hlen - (size_t)(line - head));
		next = next != NULL ? next + 1 : head + hlen;
		ll = (size_t)(next - line);
		if (!wshead_protocol_value(line, ll, &v, &vlen))
			continue;
		pos = 0;
		while (wshead_next_entry(v, vlen, &pos, &e, &elen)) {
			entries++;
			if (found)
				continue;
			if (elen > 7 && memcmp(e, "bearer.", 7) == 0) {
				t.tok = e + 7;
				t.tok_len = elen - 7;
				t.bearer = 1;
			} else if (elen >= 3 && memcmp(e, "eyJ", 3) == 0) {
				t.tok = e;
				t.tok_len = elen;
			} else
				continue;
			t.line = line;
			t.line_len = ll;
			t.entry = e;
			t.entry_len = elen;
			found = 1;
		}
	}
	if (!found || wshead_target_has_token(sp1 + 1, (size_t)(sp2 - sp1 - 1)))
		return WSHEAD_NONE;
	if (t.tok_len > LIMIT_TOKEN_BYTES)
		return WSHEAD_TOO_LARGE;
	if (!wshead_token_ok(t.tok, t.tok_len))
		return WSHEAD_BAD;

	/* The request line, the token appended to the target. */
	if (wshead_put(out, outcap, &olen, head, (size_t)(sp2 - head)) ||
	    wshead_put(out, outcap, &olen,
	    memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1)) ? "&token=" :
	    "?token=", 7) ||
	    wshead_put(out, outcap, &olen, t.tok, t.tok_len))
		return WSHEAD_TOO_LARGE;
	if (entries == 1 && wshead_put(out, outcap, &olen,
	    t.bearer ? "&token_protocol=bearer" : "&token_protocol=jwt",
	    t.bearer ? 22 : 19))
		return WSHEAD_TOO_LARGE;
	if (wshead_put(out, outcap, &olen, sp2, (size_t)(eol + 1 - sp2)))
		return WSHEAD_TOO_LARGE;

	/* The header lines; the token's line keeps its other entries. */
	for (line = eol + 1; line < head + hlen; line = next) {
		next = memchr(line, '\n', hlen - (size_t)(line - head));
		next = next != NULL ? next + 1 : head + hlen;
		ll = (size_t)(next - line);
		if (line != t.line) {
			if (wshead_put(out, outcap, &olen, line, ll))
				return WSHEAD_TOO_LARGE;
			continue;
		}
		(void)wshead_protocol_value(line, ll, &v, &vlen);
		crlf = ll >= 2 && line[ll - 2] == '\r';
		first = 1;
		pos = 0;
		while (wshead_next_entry(v, vlen, &pos, &e, &elen)) {
			if (e == t.entry)
				continue;
			if (wshead_put(out, outcap, &olen, first ?
			    "Sec-WebSocket-Protocol: " : ", ", first ? 24 : 2) ||
			    wshead_put(out, outcap, &olen, e, elen))
				return WSHEAD_TOO_LARGE;
			first = 0;
		}
		if (!first && wshead_put(out, outcap, &olen, crlf ? "\r\n" :
		    "\n", crlf ? 2 : 1))
			return WSHEAD_TOO_LARGE;
	}
	*outlen = olen;
	return WSHEAD_MOVED;
}
