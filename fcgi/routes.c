/*
 * routes.c: the route table of audio-api and what every request goes
 * through before its handler: route match (404), OPTIONS and CORS
 * preflight (no auth), method check (405 + Allow; HEAD wherever GET is),
 * bearer token (401 + WWW-Authenticate), JSON body (415/413/400).
 * GET /api/audio/healthz lives here too.
 *
 * Which route a request is, and the paths themselves, is decided by
 * lib/storage/route.c (unit-tested and fuzzed); this file maps each route
 * and method to its handler and runs the checks in the order the API
 * answers them: 404, preflight, 405, 401, session id, body.  A "{id}"
 * that is not a valid session id is "session not found" after the token
 * check, never a route error.
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
#include "route.h"
#include "tokcache.h"

/* What a route and verb run (route.h has the paths and Allow lists). */
struct routes_handler {
	int		 body;		/* reads a JSON body */
	void		(*handler)(struct req *);
};

static void	routes_health(struct req *);

/* Every route needs a token but /healthz, which a load balancer calls. */
static const int routes_auth_needed[ROUTE__N] = {
	[ROUTE_SESSIONS] = 1, [ROUTE_SESSION] = 1, [ROUTE_PRESIGN] = 1,
	[ROUTE_COMPLETE] = 1, [ROUTE_MANIFEST] = 1, [ROUTE_FINALIZE] = 1,
};

/* HEAD is answered wherever GET is (the body left out by req.c), OPTIONS
 * by the preflight: neither has a row. */
static const struct routes_handler routes[ROUTE__N][ROUTE_VERB__N] = {
	[ROUTE_SESSIONS] = {
	    [ROUTE_POST] = { 1, sessions_create },
	    [ROUTE_GET] = { 0, recordings_list } },
	[ROUTE_SESSION] = {
	    [ROUTE_GET] = { 0, recordings_get },
	    [ROUTE_DELETE] = { 0, recordings_delete } },
	[ROUTE_PRESIGN] = { [ROUTE_POST] = { 1, sessions_presign } },
	[ROUTE_COMPLETE] = { [ROUTE_POST] = { 1, sessions_complete } },
	[ROUTE_MANIFEST] = { [ROUTE_PUT] = { 1, sessions_manifest } },
	[ROUTE_FINALIZE] = { [ROUTE_POST] = { 1, sessions_finalize } },
	[ROUTE_HEALTHZ] = { [ROUTE_GET] = { 0, routes_health } },
};

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
	const struct routes_handler *h;
	struct route_match m;
	enum err rc;

	rc = route_match(r->method, r->uri, &m);
	if (rc == ERR_NOT_FOUND) {
		req_error(r, ERR_NOT_FOUND, "no such route", NULL, NULL);
		return;
	}
	if (rc == ERR_OK && m.verb == ROUTE_OPTIONS) {
		req_preflight(r, m.allow);
		return;
	}
	/* A verb route.c serves but with no row here would be answered as
	 * not served; api-test.js routes calls every route and method. */
	h = rc == ERR_OK ? &routes[m.route][m.verb] : NULL;
	if (h == NULL || h->handler == NULL) {
		char msg[160];

		/* The method is the web server's token; %.16s bounds it. */
		snprintf(msg, sizeof(msg), "method %.16s is not allowed on "
		    "this route; allowed: %s", r->method, m.allow);
		req_error(r, ERR_METHOD, msg, NULL, m.allow);
		return;
	}
	if (routes_auth_needed[m.route] && routes_auth(r) != ERR_OK)
		return;
	if (m.id != NULL) {
		if (!m.id_ok) {
			req_error(r, ERR_NOT_FOUND, "session not found", NULL,
			    NULL);
			return;
		}
		memcpy(r->session_id, m.id, m.idlen);
		r->session_id[m.idlen] = '\0';
	}
	if (h->body && req_read_json(r) != ERR_OK)
		return;
	h->handler(r);
}

/* /healthz's "sweep": the orphan sweep's counts, shared by every host
 * through the journal (left out with sweep = off). */
static void
routes_health_sweep(struct app *app, struct journal *j, json_object *o)
{
	static const char *const modes[] = { "off", "dry-run", "on" };
	struct journal_sweep_stats ss;
	json_object *w, *last;
	char t[40];

	if (app->conf->sweep == API_SWEEP_OFF ||
	    journal_sweep_stats(j, &ss) != ERR_OK)
		return;
	w = json_object_new_object();
	json_object_object_add(w, "mode",
	    json_object_new_string(modes[app->conf->sweep]));
	json_object_object_add(w, "passes", json_object_new_int64(ss.passes));
	json_object_object_add(w, "deleted",
	    json_object_new_int64(ss.deleted));
	/* The pass under way. */
	json_object_object_add(w, "listed", json_object_new_int64(ss.listed));
	json_object_object_add(w, "orphans",
	    json_object_new_int64(ss.orphans));
	json_object_object_add(w, "mismatched",
	    json_object_new_int64(ss.mismatched));
	json_object_object_add(w, "passStartedAt", ss.pass_started_ms > 0 ?
	    json_object_new_string(clock_iso8601(ss.pass_started_ms, t,
	    sizeof(t))) : NULL);
	last = json_object_new_object();
	json_object_object_add(last, "listed",
	    json_object_new_int64(ss.last_listed));
	json_object_object_add(last, "orphans",
	    json_object_new_int64(ss.last_orphans));
	json_object_object_add(last, "mismatched",
	    json_object_new_int64(ss.last_mismatched));
	json_object_object_add(last, "endedAt", ss.last_pass_ms > 0 ?
	    json_object_new_string(clock_iso8601(ss.last_pass_ms, t,
	    sizeof(t))) : NULL);
	json_object_object_add(w, "lastPass", last);
	json_object_object_add(o, "sweep", w);
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
		jrc = journal_outbox_stats(j, journal_clock_ms(j), &st);
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
	json_object_object_add(o, "journalBackend", json_object_new_string(
	    journal_is_postgresql(app->conf->journal) ? "postgresql" :
	    "sqlite"));
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
		routes_health_sweep(app, j, o);
	}
	req_reply(r, ok ? 200 : 503, o);
}
