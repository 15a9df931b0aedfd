/*
 * fuzz_wshead.c: libFuzzer target for lib/realtime/wshead.c.
 *
 * The input is a request head as a client could send it.  Invariants
 * checked: wshead_length never claims more than it was given; a rewrite
 * never writes past its buffer (a canary after it), returns a known
 * result, and on WSHEAD_MOVED yields a head that still ends where a head
 * ends, carries "token=" in its request line, and has no token entry
 * left to move (moving twice changes nothing).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wshead.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
contains(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s), i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t hlen, olen = 0, o2 = 0, cap;
	char *out, *again, *eol;
	enum wshead_result r;

	hlen = wshead_length(in, size);
	if (hlen > size)
		abort();
	if (hlen == 0)
		hlen = size;
	cap = hlen + WSHEAD_SLACK;
	if ((out = malloc(cap + 1)) == NULL || (again = malloc(cap +
	    WSHEAD_SLACK)) == NULL)
		abort();
	out[cap] = 0x5a;
	r = wshead_move_token(in, hlen, out, cap, &olen);
	if (out[cap] != 0x5a)
		abort();
	switch (r) {
	case WSHEAD_NONE:
	case WSHEAD_BAD:
	case WSHEAD_TOO_LARGE:
		break;
	case WSHEAD_MOVED:
		if (olen > cap || (eol = memchr(out, '\n', olen)) == NULL ||
		    !contains(out, (size_t)(eol - out), "token="))
			abort();
		if (wshead_length(in, size) != 0 &&
		    wshead_length(out, olen) != olen)
			abort();
		if (wshead_move_token(out, olen, again, cap + WSHEAD_SLACK,
		    &o2) == WSHEAD_MOVED)
			abort();
		break;
	default:
		abort();
	}
	free(again);
	free(out);
	return 0;
}
