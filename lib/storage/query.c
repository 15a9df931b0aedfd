/*
 * query.c: look up one raw parameter of a query string (see query.h).
 *
 * Parameters are split on '&' only (';' is not a separator in what
 * browsers and fetch() send); a name matches only exactly, so "limitx"
 * or "xlimit" never count as "limit".
 */
#include <string.h>

#include "query.h"

int
query_get(const char *qs, const char *name, const char **val, size_t *vlen)
{
	const char *p, *end, *amp, *eq;
	size_t nlen = strlen(name), qlen, plen;
	int found = 0;

	*val = NULL;
	*vlen = 0;
	if (qs == NULL)
		return 0;
	qlen = strnlen(qs, QUERY_MAX_LEN + 1);
	if (qlen > QUERY_MAX_LEN)
		return -1;
	end = qs + qlen;
	for (p = qs; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		plen = (size_t)(amp - p);
		eq = memchr(p, '=', plen);
		if ((eq != NULL ? (size_t)(eq - p) : plen) == nlen &&
		    memcmp(p, name, nlen) == 0) {
			if (found)
				return -1;
			found = 1;
			*val = eq != NULL ? eq + 1 : amp;
			*vlen = eq != NULL ? (size_t)(amp - eq - 1) : 0;
		}
		if (amp == end)
			break;
	}
	return found;
}
