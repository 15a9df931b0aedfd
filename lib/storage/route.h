/*
 * route.h: the URL space of audio-api and how a request is matched to it.
 *
 * route_match() takes the request's method and REQUEST_URI and says which
 * route and method it is, with the "{id}" segment it captured, or why not:
 * no such route (404) or a method the route does not serve (405, with its
 * Allow list).  No I/O and no allocation, so the unit tests and the fuzzer
 * call it directly; fcgi/routes.c maps the result to a handler.
 *
 * What is matched, exactly as the server always did:
 *   - the URI up to its first '?' (the query is not part of the path);
 *   - ROUTE_PREFIX, then a pattern of the table, byte for byte: no
 *     percent-decoding, no dot-segment removal, no case folding, and a
 *     trailing slash is a different path (404);
 *   - "{id}" is one non-empty segment (any bytes but '/'); whether it is a
 *     valid session id is reported in id_ok, not matched on, so a bad id is
 *     "session not found" after the token check, never a route error;
 *   - OPTIONS is served on every route, HEAD wherever GET is; other
 *     methods are case-sensitive tokens.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>

#include "err.h"

#define ROUTE_PREFIX	"/api/audio"

enum route_id {
	ROUTE_SESSIONS,		/* /sessions */
	ROUTE_SESSION,		/* /sessions/{id} */
	ROUTE_PRESIGN,		/* /sessions/{id}/chunks/presign */
	ROUTE_COMPLETE,		/* /sessions/{id}/chunks/complete */
	ROUTE_MANIFEST,		/* /sessions/{id}/manifest */
	ROUTE_FINALIZE,		/* /sessions/{id}/finalize */
	ROUTE_HEALTHZ,		/* /healthz */
	ROUTE__N
};

enum route_verb {
	ROUTE_GET,		/* GET and HEAD */
	ROUTE_POST,
	ROUTE_PUT,
	ROUTE_DELETE,
	ROUTE_OPTIONS,		/* every route: preflight */
	ROUTE_VERB__N
};

struct route_match {
	enum route_id	 route;
	enum route_verb	 verb;		/* set only on ERR_OK */
	const char	*allow;		/* the route's Allow header value */
	const char	*id;		/* "{id}" inside uri; NULL if none */
	size_t		 idlen;
	int		 id_ok;		/* id is a valid session id */
};

/* Length of the path part of uri: up to its first '?' or its end. */
size_t		route_path_len(const char *uri);

/*
 * Match method and uri (NULL is taken as "").  Returns ERR_OK with every
 * field of *m set; ERR_METHOD with route and allow set (the route exists
 * but does not serve method); ERR_NOT_FOUND when no route has this path.
 * m->id points into uri, which must outlive its use.
 */
enum err	route_match(const char *method, const char *uri,
		    struct route_match *m);

/* The route's full path pattern ("/api/audio/sessions/{id}") and its
 * Allow list; NULL for an id out of range. */
const char	*route_pattern(enum route_id);
const char	*route_allow(enum route_id);

/* Whether the route serves verb (OPTIONS: always). */
int		route_serves(enum route_id, enum route_verb);

#endif /* ROUTE_H */
