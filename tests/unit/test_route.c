/*
 * test_route.c: which route and method a request is, and why not, exactly
 * as audio-api has always matched them (lib/storage/route.c).
 */
#include <stdio.h>
#include <string.h>

#include "limit.h"
#include "route.h"
#include "unit.h"

#define SID	"session-1764093600123-0b6e8a34-5c1d-4e2f-8a9b-0c1d2e3f4a5b"
#define S	ROUTE_PREFIX "/sessions"

static enum err
match(const char *method, const char *uri, struct route_match *m)
{
	return route_match(method, uri, m);
}

static void
every_route_matches_its_path(void)
{
	static const struct {
		const char	*method, *uri;
		enum route_id	 route;
		enum route_verb	 verb;
		int		 has_id;
	} c[] = {
		{ "POST", S, ROUTE_SESSIONS, ROUTE_POST, 0 },
		{ "GET", S, ROUTE_SESSIONS, ROUTE_GET, 0 },
		{ "GET", S "/" SID, ROUTE_SESSION, ROUTE_GET, 1 },
		{ "DELETE", S "/" SID, ROUTE_SESSION, ROUTE_DELETE, 1 },
		{ "POST", S "/" SID "/chunks/presign", ROUTE_PRESIGN,
		    ROUTE_POST, 1 },
		{ "POST", S "/" SID "/chunks/complete", ROUTE_COMPLETE,
		    ROUTE_POST, 1 },
		{ "PUT", S "/" SID "/manifest", ROUTE_MANIFEST, ROUTE_PUT, 1 },
		{ "POST", S "/" SID "/finalize", ROUTE_FINALIZE, ROUTE_POST,
		    1 },
		{ "GET", ROUTE_PREFIX "/healthz", ROUTE_HEALTHZ, ROUTE_GET, 0 },
	};
	struct route_match m;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(match(c[i].method, c[i].uri, &m),
		    ERR_OK);
		CU_ASSERT_EQUAL(m.route, c[i].route);
		CU_ASSERT_EQUAL(m.verb, c[i].verb);
		CU_ASSERT_STRING_EQUAL(m.allow, route_allow(c[i].route));
		if (c[i].has_id) {
			CU_ASSERT_EQUAL(m.idlen, strlen(SID));
			CU_ASSERT(m.id != NULL &&
			    memcmp(m.id, SID, strlen(SID)) == 0);
			CU_ASSERT(m.id_ok);
		} else {
			CU_ASSERT_PTR_NULL(m.id);
			CU_ASSERT_FALSE(m.id_ok);
		}
	}
}

static void
the_allow_lists_are_the_ones_answered(void)
{
	CU_ASSERT_STRING_EQUAL(route_allow(ROUTE_SESSIONS),
	    "GET, HEAD, POST, OPTIONS");
	CU_ASSERT_STRING_EQUAL(route_allow(ROUTE_SESSION),
	    "GET, HEAD, DELETE, OPTIONS");
	CU_ASSERT_STRING_EQUAL(route_allow(ROUTE_PRESIGN), "POST, OPTIONS");
	CU_ASSERT_STRING_EQUAL(route_allow(ROUTE_COMPLETE), "POST, OPTIONS");
	CU_ASSERT_STRING_EQUAL(route_allow(ROUTE_MANIFEST), "PUT, OPTIONS");
	CU_ASSERT_STRING_EQUAL(route_allow(ROUTE_FINALIZE), "POST, OPTIONS");
	CU_ASSERT_STRING_EQUAL(route_allow(ROUTE_HEALTHZ),
	    "GET, HEAD, OPTIONS");
	CU_ASSERT_PTR_NULL(route_allow(ROUTE__N));
	CU_ASSERT_PTR_NULL(route_pattern(ROUTE__N));
}

/* Allow names exactly the verbs served: HEAD with GET, OPTIONS always. */
static void
each_allow_list_names_exactly_the_methods_served(void)
{
	/* In the order the lists have always been written; HEAD goes with
	 * GET (-1 below). */
	static const int order[] = { ROUTE_GET, -1, ROUTE_POST, ROUTE_PUT,
	    ROUTE_DELETE, ROUTE_OPTIONS };
	static const char *const names[ROUTE_VERB__N] = {
		[ROUTE_GET] = "GET", [ROUTE_POST] = "POST",
		[ROUTE_PUT] = "PUT", [ROUTE_DELETE] = "DELETE",
		[ROUTE_OPTIONS] = "OPTIONS",
	};
	char want[128];
	const char *n;
	size_t off, k;
	int r, v;

	for (r = 0; r < ROUTE__N; r++) {
		off = 0;
		want[0] = '\0';
		for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
			v = order[k] < 0 ? ROUTE_GET : order[k];
			if (!route_serves((enum route_id)r, (enum route_verb)v))
				continue;
			n = order[k] < 0 ? "HEAD" : names[v];
			off += (size_t)snprintf(want + off, sizeof(want) - off,
			    "%s%s", off > 0 ? ", " : "", n);
		}
		CU_ASSERT_STRING_EQUAL(route_allow((enum route_id)r), want);
	}
	CU_ASSERT_FALSE(route_serves(ROUTE__N, ROUTE_OPTIONS));
	CU_ASSERT_FALSE(route_serves(ROUTE_SESSIONS, ROUTE_VERB__N));
}

static void
head_is_served_wherever_get_is(void)
{
	struct route_match m;

	CU_ASSERT_EQUAL(match("HEAD", S "/" SID, &m), ERR_OK);
	CU_ASSERT_EQUAL(m.route, ROUTE_SESSION);
	CU_ASSERT_EQUAL(m.verb, ROUTE_GET);
	CU_ASSERT_EQUAL(match("HEAD", ROUTE_PREFIX "/healthz", &m), ERR_OK);
	CU_ASSERT_EQUAL(m.verb, ROUTE_GET);
	CU_ASSERT_EQUAL(match("HEAD", S "/" SID "/finalize", &m),
	    ERR_METHOD);
}

static void
options_is_served_on_every_route(void)
{
	struct route_match m;
	int r;

	for (r = 0; r < ROUTE__N; r++) {
		char uri[256];
		const char *p = route_pattern((enum route_id)r), *id;

		/* The pattern with a session id for "{id}". */
		if ((id = strstr(p, "{id}")) != NULL)
			snprintf(uri, sizeof(uri), "%.*s%s%s", (int)(id - p),
			    p, SID, id + 4);
		else
			snprintf(uri, sizeof(uri), "%s", p);
		CU_ASSERT_EQUAL(match("OPTIONS", uri, &m), ERR_OK);
		CU_ASSERT_EQUAL(m.route, (enum route_id)r);
		CU_ASSERT_EQUAL(m.verb, ROUTE_OPTIONS);
		CU_ASSERT_STRING_EQUAL(m.allow, route_allow((enum route_id)r));
	}
}

static void
a_method_not_served_is_405_with_the_allow_list(void)
{
	struct route_match m;

	CU_ASSERT_EQUAL(match("PUT", S, &m), ERR_METHOD);
	CU_ASSERT_EQUAL(m.route, ROUTE_SESSIONS);
	CU_ASSERT_STRING_EQUAL(m.allow, "GET, HEAD, POST, OPTIONS");
	CU_ASSERT_EQUAL(match("GET", S "/" SID "/chunks/presign", &m),
	    ERR_METHOD);
	CU_ASSERT_STRING_EQUAL(m.allow, "POST, OPTIONS");
	/* The id is captured even so (it is not looked at for a 405). */
	CU_ASSERT_EQUAL(m.idlen, strlen(SID));
	CU_ASSERT_EQUAL(match("POST", ROUTE_PREFIX "/healthz", &m),
	    ERR_METHOD);
	CU_ASSERT_EQUAL(match("PATCH", S "/" SID, &m), ERR_METHOD);
	CU_ASSERT_EQUAL(match("TRACE", S, &m), ERR_METHOD);
}

static void
methods_are_case_sensitive_and_empty_is_not_one(void)
{
	struct route_match m;

	CU_ASSERT_EQUAL(match("get", S, &m), ERR_METHOD);
	CU_ASSERT_EQUAL(match("Post", S, &m), ERR_METHOD);
	CU_ASSERT_EQUAL(match("options", S, &m), ERR_METHOD);
	CU_ASSERT_EQUAL(match("", S, &m), ERR_METHOD);
	CU_ASSERT_EQUAL(match(NULL, S, &m), ERR_METHOD);
	CU_ASSERT_EQUAL(match("GET ", S, &m), ERR_METHOD);
}

/* 404 comes before 405: a bad method on no route is "no such route". */
static void
an_unknown_path_is_404_whatever_the_method(void)
{
	struct route_match m;

	CU_ASSERT_EQUAL(match("BREW", ROUTE_PREFIX "/teapot", &m),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", ROUTE_PREFIX "/teapot", &m),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("OPTIONS", ROUTE_PREFIX "/teapot", &m),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", S "/" SID "/chunks", &m),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("POST", S "/" SID "/chunks/presign/x", &m),
	    ERR_NOT_FOUND);
}

static void
the_prefix_is_required_and_matched_whole(void)
{
	struct route_match m;

	CU_ASSERT_EQUAL(match("GET", "/sessions", &m), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", ROUTE_PREFIX, &m), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", ROUTE_PREFIX "/", &m), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", "/api/audiox/sessions", &m),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", "/API/audio/sessions", &m),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", "/x/api/audio/sessions", &m),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", "", &m), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", NULL, &m), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", "/api/aud", &m), ERR_NOT_FOUND);
}

static void
the_query_is_not_part_of_the_path(void)
{
	struct route_match m;

	CU_ASSERT_EQUAL(match("GET", S "?limit=5&cursor=x", &m), ERR_OK);
	CU_ASSERT_EQUAL(m.route, ROUTE_SESSIONS);
	CU_ASSERT_EQUAL(match("GET", S "?", &m), ERR_OK);
	/* The id stops at the '?'. */
	CU_ASSERT_EQUAL(match("GET", S "/" SID "?a=/b", &m), ERR_OK);
	CU_ASSERT_EQUAL(m.route, ROUTE_SESSION);
	CU_ASSERT_EQUAL(m.idlen, strlen(SID));
	CU_ASSERT(m.id_ok);
	/* A '?' right after "/sessions/" leaves the segment empty. */
	CU_ASSERT_EQUAL(match("GET", S "/?x", &m), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", S "?/" SID, &m), ERR_OK);
	CU_ASSERT_EQUAL(m.route, ROUTE_SESSIONS);
	CU_ASSERT_EQUAL(route_path_len("/a?b?c"), 2);
	CU_ASSERT_EQUAL(route_path_len("/a"), 2);
	CU_ASSERT_EQUAL(route_path_len("?"), 0);
	CU_ASSERT_EQUAL(route_path_len(NULL), 0);
}

static void
a_trailing_slash_is_another_path(void)
{
	struct route_match m;

	CU_ASSERT_EQUAL(match("GET", S "/", &m), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", S "/" SID "/", &m), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", ROUTE_PREFIX "/healthz/", &m),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("POST", S "/" SID "/finalize/", &m),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", ROUTE_PREFIX "//sessions", &m),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", S "//" SID, &m), ERR_NOT_FOUND);
}

/* An id is any non-empty segment; a bad one is reported, not unmatched,
 * so it becomes "session not found" after the token check. */
static void
a_bad_session_id_matches_and_is_flagged(void)
{
	static const char *const bad[] = {
		"..", ".", "a.b", "%2e%2e", "a%2Fb", "caf\xc3\xa9", "a b",
		"a+b", "{id}",
	};
	char uri[512], big[LIMIT_SESSION_ID_BYTES + 2];
	struct route_match m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(uri, sizeof(uri), S "/%s/manifest", bad[i]);
		CU_ASSERT_EQUAL(match("PUT", uri, &m), ERR_OK);
		CU_ASSERT_EQUAL(m.route, ROUTE_MANIFEST);
		CU_ASSERT_EQUAL(m.idlen, strlen(bad[i]));
		CU_ASSERT_FALSE(m.id_ok);
	}
	/* One byte over the limit, then exactly at it. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(uri, sizeof(uri), S "/%s", big);
	CU_ASSERT_EQUAL(match("GET", uri, &m), ERR_OK);
	CU_ASSERT_EQUAL(m.idlen, (size_t)LIMIT_SESSION_ID_BYTES + 1);
	CU_ASSERT_FALSE(m.id_ok);
	big[LIMIT_SESSION_ID_BYTES] = '\0';
	snprintf(uri, sizeof(uri), S "/%s", big);
	CU_ASSERT_EQUAL(match("GET", uri, &m), ERR_OK);
	CU_ASSERT(m.id_ok);
	CU_ASSERT_EQUAL(match("GET", S "/a", &m), ERR_OK);
	CU_ASSERT(m.id_ok);
}

/* No decoding: %2F is not a '/', and dot segments are not removed (the
 * web server in front normalises, or the request is a 404). */
static void
percent_encoding_and_dot_segments_are_taken_literally(void)
{
	struct route_match m;

	CU_ASSERT_EQUAL(match("GET", ROUTE_PREFIX "/%73essions", &m),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", S "/" SID "%2Fmanifest", &m), ERR_OK);
	CU_ASSERT_EQUAL(m.route, ROUTE_SESSION);
	CU_ASSERT_FALSE(m.id_ok);
	CU_ASSERT_EQUAL(match("GET", ROUTE_PREFIX "/./healthz", &m),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", S "/../healthz", &m), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", S "/x/../" SID, &m), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", S "/..", &m), ERR_OK);
	CU_ASSERT_EQUAL(m.route, ROUTE_SESSION);
	CU_ASSERT_FALSE(m.id_ok);
}

int
test_route_suite(void)
{
	CU_pSuite s = CU_add_suite("route", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "every route matches its path",
		every_route_matches_its_path) == NULL ||
	    CU_add_test(s, "the Allow lists are the ones answered",
		the_allow_lists_are_the_ones_answered) == NULL ||
	    CU_add_test(s, "each Allow list names exactly the methods served",
		each_allow_list_names_exactly_the_methods_served) == NULL ||
	    CU_add_test(s, "HEAD is served wherever GET is",
		head_is_served_wherever_get_is) == NULL ||
	    CU_add_test(s, "OPTIONS is served on every route",
		options_is_served_on_every_route) == NULL ||
	    CU_add_test(s, "a method not served is 405 with the Allow list",
		a_method_not_served_is_405_with_the_allow_list) == NULL ||
	    CU_add_test(s, "methods are case-sensitive, empty is not one",
		methods_are_case_sensitive_and_empty_is_not_one) == NULL ||
	    CU_add_test(s, "an unknown path is 404 whatever the method",
		an_unknown_path_is_404_whatever_the_method) == NULL ||
	    CU_add_test(s, "the prefix is required and matched whole",
		the_prefix_is_required_and_matched_whole) == NULL ||
	    CU_add_test(s, "the query is not part of the path",
		the_query_is_not_part_of_the_path) == NULL ||
	    CU_add_test(s, "a trailing slash is another path",
		a_trailing_slash_is_another_path) == NULL ||
	    CU_add_test(s, "a bad session id matches and is flagged",
		a_bad_session_id_matches_and_is_flagged) == NULL ||
	    CU_add_test(s, "percent-encoding and dot segments are literal",
		percent_encoding_and_dot_segments_are_taken_literally) == NULL)
		return -1;
	return 0;
}
