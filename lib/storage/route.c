/*
 * route.c: matching a request's method and URI to a route of audio-api.
 *
 * It runs on every request, so it is a plain walk: the prefix is compared
 * once, then each pattern of the table (seven) byte by byte from there,
 * "{id}" taking one segment.  The table order does not matter (no path
 * matches two patterns) but the first match is taken.  route.h says what
 * is and is not normalised; fcgi/routes.c holds the handlers.
 */
#include <string.h>

#include "limit.h"
#include "route.h"
#include "s3key.h"

#define ROUTE_BIT(v)	(1u << (v))

static const struct {
	const char	*pattern;	/* ROUTE_PREFIX included */
	const char	*allow;		/* for 405, OPTIONS, preflight */
	unsigned	 verbs;		/* ROUTE_BIT()s; OPTIONS implied */
} route_table[ROUTE__N] = {
	[ROUTE_SESSIONS] = { ROUTE_PREFIX "/sessions",
	    "GET, HEAD, POST, OPTIONS",
	    ROUTE_BIT(ROUTE_GET) | ROUTE_BIT(ROUTE_POST) },
	[ROUTE_SESSION] = { ROUTE_PREFIX "/sessions/{id}",
	    "GET, HEAD, DELETE, OPTIONS",
	    ROUTE_BIT(ROUTE_GET) | ROUTE_BIT(ROUTE_DELETE) },
	[ROUTE_PRESIGN] = { ROUTE_PREFIX "/sessions/{id}/chunks/presign",
	    "POST, OPTIONS", ROUTE_BIT(ROUTE_POST) },
	[ROUTE_COMPLETE] = { ROUTE_PREFIX "/sessions/{id}/chunks/complete",
	    "POST, OPTIONS", ROUTE_BIT(ROUTE_POST) },
	[ROUTE_MANIFEST] = { ROUTE_PREFIX "/sessions/{id}/manifest",
	    "PUT, OPTIONS", ROUTE_BIT(ROUTE_PUT) },
	[ROUTE_FINALIZE] = { ROUTE_PREFIX "/sessions/{id}/finalize",
	    "POST, OPTIONS", ROUTE_BIT(ROUTE_POST) },
	[ROUTE_HEALTHZ] = { ROUTE_PREFIX "/healthz",
	    "GET, HEAD, OPTIONS", ROUTE_BIT(ROUTE_GET) },
};

size_t
route_path_len(const char *uri)
{
	const char *q;

	if (uri == NULL)
		return 0;
	q = strchr(uri, '?');
	return q != NULL ? (size_t)(q - uri) : strlen(uri);
}

/* Match [s, end) against pattern p; on a match with "{id}" set *id and
 * *idlen (a pattern has at most one). */
static int
route_match_one(const char *p, const char *s, const char *end,
    const char **id, size_t *idlen)
{
	while (*p != '\0') {
		/* '{' is in no pattern but as "{id}". */
		if (*p == '{') {
			const char *seg = s;

			while (s < end && *s != '/')
				s++;
			if (s == seg)
				return 0;
			*id = seg;
			*idlen = (size_t)(s - seg);
			p += 4;
			continue;
		}
		if (s == end || *p != *s)
			return 0;
		p++;
		s++;
	}
	return s == end;
}

/* The verb of a method token; -1 for one no route serves. */
static int
route_verb_of(const char *method)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return ROUTE_GET;
	if (strcmp(method, "POST") == 0)
		return ROUTE_POST;
	if (strcmp(method, "PUT") == 0)
		return ROUTE_PUT;
	if (strcmp(method, "DELETE") == 0)
		return ROUTE_DELETE;
	if (strcmp(method, "OPTIONS") == 0)
		return ROUTE_OPTIONS;
	return -1;
}

enum err
route_match(const char *method, const char *uri, struct route_match *m)
{
	const size_t plen = sizeof(ROUTE_PREFIX) - 1;
	const char *end, *id;
	size_t i, idlen;
	int verb;

	memset(m, 0, sizeof(*m));
	if (method == NULL)
		method = "";
	if (uri == NULL)
		uri = "";
	end = uri + route_path_len(uri);
	if ((size_t)(end - uri) < plen || memcmp(uri, ROUTE_PREFIX, plen) != 0)
		return ERR_NOT_FOUND;
	for (i = 0; i < ROUTE__N; i++) {
		id = NULL;
		idlen = 0;
		if (route_match_one(route_table[i].pattern + plen, uri + plen,
		    end, &id, &idlen))
			break;
	}
	if (i == ROUTE__N)
		return ERR_NOT_FOUND;
	m->route = (enum route_id)i;
	m->allow = route_table[i].allow;
	m->id = id;
	m->idlen = idlen;
	m->id_ok = id != NULL && idlen <= LIMIT_SESSION_ID_BYTES &&
	    s3key_valid_session(id, idlen);
	verb = route_verb_of(method);
	if (verb < 0 || !route_serves(m->route, (enum route_verb)verb))
		return ERR_METHOD;
	m->verb = (enum route_verb)verb;
	return ERR_OK;
}

const char *
route_pattern(enum route_id id)
{
	return (unsigned)id < ROUTE__N ? route_table[id].pattern : NULL;
}

const char *
route_allow(enum route_id id)
{
	return (unsigned)id < ROUTE__N ? route_table[id].allow : NULL;
}

int
route_serves(enum route_id id, enum route_verb verb)
{
	if ((unsigned)id >= ROUTE__N || (unsigned)verb >= ROUTE_VERB__N)
		return 0;
	return verb == ROUTE_OPTIONS ||
	    (route_table[id].verbs & ROUTE_BIT(verb)) != 0;
}
