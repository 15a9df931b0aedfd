/*
 * routes.c: the route table of audio-api and what every request goes
 * through before its handler: route match (404), OPTIONS and CORS
 * preflight (no auth), method check (405 + Allow; HEAD wherever GET is),
 * bearer token (401 + WWW-Authenticate), JSON body (415/413/400).
 * GET /api/audio/healthz lives here too.
 *
 * Paths are matched on REQUEST_URI without its query, segment by segment;
 * "{id}" matches one non-empty segment, which must then be a valid session
 * id or the session is "not found" (never a route error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "clock.h"
#include "cognito.h"
#include "journal.h"
#include "log.h"
#include "s3key.h"
#include "tokcache.h"

#define ROUTE_PREFIX	"/api/audio"

/* One method of a route. */
struct route_method {
	const char	*method;
	int		 body;		/* reads a JSON body */
	void		(*handler)(struct req *);
};

#define ROUTE_METHODS	2

struct route {
	const char		*pattern;	/* after ROUTE_PREFIX */
	const char		*allow;		/* for 405, OPTIONS, preflight */
	int			 auth;
	struct route_method	 m[ROUTE_METHODS];
};

static void	routes_health(struct req *);

/* HEAD is answered wherever GET is (the body left out by req.c); OPTIONS
 * everywhere.  Allow lists exactly what is served. */
static const struct route routes[] = {
	{ "/sessions", "GET, HEAD, POST, OPTIONS", 1, {
	    { "POST", 1, sessions_create },
	    { "GET", 0, recordings_list } } },
	{ "/sessions/{id}", "GET, HEAD, DELETE, OPTIONS", 1, {
	    { "GET", 0, recordings_get },
	    { "DELETE", 0, recordings_delete } } },
	{ "/sessions/{id}/chunks/presign", "POST, OPTIONS", 1, {
	    { "POST", 1, sessions_presign } } },
	{ "/sessions/{id}/chunks/complete", "POST, OPTIONS", 1, {
	    { "POST", 1, sessions_complete } } },
	{ "/sessions/{id}/manifest", "PUT, OPTIONS", 1, {
	    { "PUT", 1, sessions_manifest } } },
	{ "/sessions/{id}/finalize", "POST, OPTIONS", 1, {
	    { "POST", 1, sessions_finalize } } },
	{ "/healthz", "GET, HEAD, OPTIONS", 0, {
	    { "GET", 0, routes_health } } },
};

/* Match path against pattern; on a match with "{id}" set *id and *idlen. */
static int
routes_match(const char *pattern, const char *path, const char **id,
    size_t *idlen)
{
	const char *p = pattern, *s = path;

	while (*p != '\0') {
		if (strncmp(p, "{id}", 4) == 0) {
			const char *end = strchr(s, '/');
			size_t n = end != NULL ? (size_t)(end - s) : strlen(s);

			if (n == 0)
				return 0;
			*id = s;
			*idlen = n;
			s += n;
			p += 4;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *s == '\0';
}

/* Verify the bearer token; on failure the 401/503 has been sent. */
static enum err
routes_auth(struct req *r)
{
	struct cognito_identity who;
	const char *hdr, *tok, *reason = "missing bearer token";
	size_t len;
	time_t now;
	enum err rc;

	hdr = req_param(r, "HTTP_AUTHORIZATION");
	if (cognito_bearer(hdr, &tok, &len) != ERR_OK) {
		req_error(r, ERR_AUTH, "missing or malformed Authorization: "
		    "Bearer token", NULL, NULL);
		return ERR_AUTH;
	}
	now = time(NULL);
	if (tokcache_get(r->app->tokens, tok, len, now, &who)) {
		snprintf(r->sub, sizeof(r->sub), "%s", who.sub);
		return ERR_OK;
	}
	rc = cognito_verify(r->app->auth, tok, len, now, &who, &reason);
	if (rc == ERR_UNAVAILABLE || rc == ERR_NOMEM) {
		req_error(r, ERR_UNAVAILABLE, "token signing keys unavailable",
		    NULL, NULL);
		return rc;
	}
	if (rc != ERR_OK) {
		char msg[160];

		snprintf(msg, sizeof(msg), "invalid token: %s", reason);
		req_error(r, ERR_AUTH, msg, NULL, NULL);
		return ERR_AUTH;
	}
	(void)tokcache_put(r->app->tokens, tok, len, now, &who);
	snprintf(r->sub, sizeof(r->sub), "%s", who.sub);
	return ERR_OK;
}

void
routes_handle(struct req *r)
{
	const struct route *rt = NULL;
	const struct route_method *m = NULL;
	const char *id = NULL, *rest, *method;
	size_t idlen = 0, i, plen = sizeof(ROUTE_PREFIX) - 1;

	if (strncmp(r->path, ROUTE_PREFIX, plen) == 0) {
		rest = r->path + plen;
		for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
			if (routes_match(routes[i].pattern, rest, &id, &idlen)) {
				rt = &routes[i];
				break;
			}
	}
	if (rt == NULL) {
		req_error(r, ERR_NOT_FOUND, "no such route", NULL, NULL);
		return;
	}
	if (strcmp(r->method, "OPTIONS") == 0) {
		req_preflight(r, rt->allow);
		return;
	}
	/* HEAD is GET without the body: same handler, same headers. */
	method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
	for (i = 0; i < ROUTE_METHODS && rt->m[i].method != NULL; i++)
		if (strcmp(method, rt->m[i].method) == 0) {
			m = &rt->m[i];
			break;
		}
	if (m == NULL) {
		char msg[160];

		/* The method is the web server's token; %.16s bounds it. */
		snprintf(msg, sizeof(msg), "method %.16s is not allowed on "
		    "this route; allowed: %s", r->method, rt->allow);
		req_error(r, ERR_METHOD, msg, NULL, rt->allow);
		return;
	}
	if (rt->auth && routes_auth(r) != ERR_OK)
		return;
	if (id != NULL) {
		if (idlen > LIMIT_SESSION_ID_BYTES ||
		    !s3key_valid_session(id, idlen)) {
			req_error(r, ERR_NOT_FOUND, "session not found", NULL,
			    NULL);
			return;
		}
		memcpy(r->session_id, id, idlen);
		r->session_id[idlen] = '\0';
	}
	if (m->body && req_read_json(r) != ERR_OK)
		return;
	m->handler(r);
}

/* GET /api/audio/healthz: journal and S3 reachable and delivery not stuck
 * -> 200, else 503. */
static void
routes_health(struct req *r)
{
	struct app *app = r->app;
	struct journal_outbox_stats st;
	struct journal *j;
	json_object *o, *ob;
	enum err jrc = ERR_UNAVAILABLE;
	int64_t now = clock_wall_ms(), dels = 0, s3_age;
	enum err s3rc;
	int ok, stuck;

	memset(&st, 0, sizeof(st));
	if ((j = app_journal(app)) != NULL)
		jrc = journal_outbox_stats(j, now, &st);
	s3rc = s3health_check(app, now, &s3_age);
	/* Delivery is stuck when the oldest pending outbox item waits longer
	 * than health_outbox_stuck (0: never). */
	stuck = jrc == ERR_OK && app->conf->health_outbox_stuck > 0 &&
	    st.oldest_pending_age_ms > app->conf->health_outbox_stuck;
	ok = jrc == ERR_OK && s3rc == ERR_OK && !stuck;
	o = json_object_new_object();
	json_object_object_add(o, "status",
	    json_object_new_string(ok ? "ok" : "unavailable"));
	json_object_object_add(o, "journal",
	    json_object_new_string(jrc == ERR_OK ? "ok" : err_code(jrc)));
	json_object_object_add(o, "s3", json_object_new_string(
	    s3rc == ERR_OK ? "ok" : err_code(s3rc)));
	json_object_object_add(o, "s3CheckedAgoMs",
	    json_object_new_int64(s3_age));
	if (jrc == ERR_OK) {
		ob = json_object_new_object();
		json_object_object_add(ob, "pending",
		    json_object_new_int64(st.pending));
		json_object_object_add(ob, "dead",
		    json_object_new_int64(st.dead));
		json_object_object_add(ob, "oldestPendingAgeMs",
		    json_object_new_int64(st.oldest_pending_age_ms));
		json_object_object_add(ob, "leased",
		    json_object_new_int64(st.leased));
		json_object_object_add(ob, "stuck",
		    json_object_new_boolean(stuck));
		json_object_object_add(o, "outbox", ob);
		/* Accepted deletions not finished yet, tombstones included. */
		if (journal_deletion_count(j, &dels) == ERR_OK)
			json_object_object_add(o, "deletions",
			    json_object_new_int64(dels));
	}
	req_reply(r, ok ? 200 : 503, o);
}
