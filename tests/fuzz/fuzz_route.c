/*
 * fuzz_route.c: libFuzzer target for lib/storage/route.c.
 *
 * The input is "METHOD\nURI" (no newline: the whole input is the URI of a
 * GET).  Whatever route_match() says must hold up: the path part stops at
 * the first '?'; a matched route's pattern with the captured id put back
 * for "{id}" gives the path byte for byte (so nothing was decoded,
 * normalised or skipped), the id is one non-empty segment and id_ok is
 * exactly the session id check; the route found does not depend on the
 * method; 405 only for a method the route does not serve, never OPTIONS.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "s3key.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A NUL-terminated copy of [s, s + n), as a FastCGI param would be. */
static char *
fuzz_route_str(const uint8_t *s, size_t n)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* The route's pattern with id for "{id}" must be the path exactly. */
static void
fuzz_route_rebuilt(const struct route_match *m, const char *uri,
    size_t plen)
{
	const char *pat = route_pattern(m->route), *brace;
	size_t head, tail;

	if (pat == NULL || m->allow == NULL ||
	    strcmp(m->allow, route_allow(m->route)) != 0)
		abort();
	if ((brace = strstr(pat, "{id}")) == NULL) {
		if (m->id != NULL || m->id_ok || strlen(pat) != plen ||
		    memcmp(pat, uri, plen) != 0)
			abort();
		return;
	}
	head = (size_t)(brace - pat);
	tail = strlen(brace + 4);
	if (m->id != uri + head || m->idlen == 0 ||
	    head + m->idlen + tail != plen ||
	    memcmp(pat, uri, head) != 0 ||
	    memchr(m->id, '/', m->idlen) != NULL ||
	    memcmp(brace + 4, m->id + m->idlen, tail) != 0)
		abort();
	if (m->id_ok != s3key_valid_session(m->id, m->idlen))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	struct route_match m, o;
	char *method, *uri;
	size_t plen;
	enum err rc, orc;

	if (nl != NULL) {
		method = fuzz_route_str(data, (size_t)(nl - data));
		uri = fuzz_route_str(nl + 1, size - (size_t)(nl + 1 - data));
	} else {
		method = fuzz_route_str((const uint8_t *)"GET", 3);
		uri = fuzz_route_str(data, size);
	}
	plen = route_path_len(uri);
	if (plen > strlen(uri) || memchr(uri, '?', plen) != NULL ||
	    (uri[plen] != '\0' && uri[plen] != '?'))
		abort();

	rc = route_match(method, uri, &m);
	/* OPTIONS is served wherever there is a route: the same lookup. */
	orc = route_match("OPTIONS", uri, &o);
	switch (rc) {
	case ERR_NOT_FOUND:
		if (orc != ERR_NOT_FOUND)
			abort();
		break;
	case ERR_OK:
	case ERR_METHOD:
		fuzz_route_rebuilt(&m, uri, plen);
		if (orc != ERR_OK || o.verb != ROUTE_OPTIONS ||
		    o.route != m.route || o.id != m.id || o.idlen != m.idlen)
			abort();
		if (rc == ERR_OK && !route_serves(m.route, m.verb))
			abort();
		if (rc == ERR_OK && (strcmp(method, "OPTIONS") == 0) !=
		    (m.verb == ROUTE_OPTIONS))
			abort();
		if (rc == ERR_METHOD && (strcmp(method, "OPTIONS") == 0 ||
		    ((strcmp(method, "GET") == 0 ||
		    strcmp(method, "HEAD") == 0) &&
		    route_serves(m.route, ROUTE_GET))))
			abort();
		break;
	default:
		abort();
	}
	free(method);
	free(uri);
	return 0;
}
