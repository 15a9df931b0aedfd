/*
 * server.c: the libwebsockets protocol callback of audio-bridge.
 *
 * One protocol serves both plain HTTP (GET /healthz, GET /metrics) and the
 * WebSocket upgrade on the same port.  The upgrade is checked before lws
 * answers 101 (LWS_CALLBACK_HTTP_CONFIRM_UPGRADE): shutting down or full
 * (503), Origin not allowed (403), token missing or invalid (401).  Frames
 * and writes are handed to session.c.  Riva events are drained by
 * server_poll_riva(), which main.c's ev_async callback runs when the
 * adapter thread signals that events are waiting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <libwebsockets.h>

#include "bridge.h"
#include "clock.h"
#include "cognito.h"
#include "front.h"
#include "log.h"
#include "riva.h"

#define SERVER_BODY_BYTES	(64 * 1024)
/* The longest Sec-WebSocket-Protocol libwebsockets 4.1 takes: it copies
 * the list into a 128-byte buffer and drops the upgrade, unanswered, when
 * it does not fit. */
#define SERVER_LWS_PROTOCOLS_MAX	126

static unsigned char server_body[LWS_PRE + SERVER_BODY_BYTES];

/* Write a complete HTTP response.  Returns 0, or -1 if the socket failed. */
static int
server_reply(struct lws *wsi, unsigned int status, const char *ctype,
    const char *body, size_t blen)
{
	unsigned char hbuf[LWS_PRE + 1024];
	unsigned char *start = hbuf + LWS_PRE, *p = start;
	unsigned char *end = hbuf + sizeof(hbuf) - 1;

	if (blen > SERVER_BODY_BYTES)
		return -1;
	if (lws_add_http_common_headers(wsi, status, ctype, blen, &p, end) ||
	    lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"cache-control:",
	    (const unsigned char *)"no-store", 8, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (body != (const char *)server_body + LWS_PRE)
		memcpy(server_body + LWS_PRE, body, blen);
	if (lws_write(wsi, server_body + LWS_PRE, blen,
	    LWS_WRITE_HTTP_FINAL) != (int)blen)
		return -1;
	return 0;
}

/* A JSON error body {"error": ..., "code": ...}. */
static int
server_reply_error(struct lws *wsi, enum err e, unsigned int status,
    const char *message)
{
	size_t len;

	if (wsproto_render_error((char *)server_body + LWS_PRE,
	    SERVER_BODY_BYTES, &len, WSPROTO_BRIDGE, clock_wall_ms(), e,
	    message) != ERR_OK)
		return -1;
	return server_reply(wsi, status, "application/json",
	    (char *)server_body + LWS_PRE, len);
}

/*
 * ,"models":[{"name":..,"language":..},...] for /healthz, or nothing when
 * the list is unknown.  Returns the bytes written, or 0 if it does not fit.
 */
static size_t
server_models_json(char *buf, size_t cap)
{
	struct rivamsg_models ms;
	struct json_object *arr, *o;
	const char *js;
	size_t i, n = 0;
	int w;

	if (!riva_models_copy(bridge->riva, &ms))
		return 0;
	if ((arr = json_object_new_array()) == NULL)
		goto out;
	for (i = 0; i < ms.n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name",
		    json_object_new_string(ms.v[i].name));
		if (ms.v[i].language != NULL)
			json_object_object_add(o, "language",
			    json_object_new_string(ms.v[i].language));
		json_object_array_add(arr, o);
	}
	js = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN);
	w = snprintf(buf, cap, ",\"models\":%s", js);
	if (w > 0 && (size_t)w < cap)
		n = (size_t)w;
	json_object_put(arr);
out:
	rivamsg_models_clear(&ms);
	return n;
}

/*
 * Riva is reachable when its last health answer (fresh: within three
 * health intervals) says SERVING, or says it has no health service and
 * something else shows that it works: the model list call, or a stream.
 */
const char *
server_riva_state(int *reachable)
{
	uint64_t age_us = 0, stale_us;
	enum rivamsg_health h;

	h = riva_health_last(bridge->riva, &age_us);
	stale_us = (uint64_t)bridge->conf.health_interval * 3000;
	*reachable = 0;
	if (age_us <= stale_us && h == RIVAMSG_HEALTH_SERVING)
		*reachable = 1;
	else if (age_us <= stale_us && h == RIVAMSG_HEALTH_NO_SERVICE)
		*reachable = riva_works(bridge->riva, stale_us);
	return rivamsg_health_name(h);
}

static int
server_healthz(struct lws *wsi)
{
	uint64_t age_us = 0;
	enum rivamsg_health h;
	unsigned int status;
	const char *state, *riva;
	int n, reachable;

	riva = server_riva_state(&reachable);
	h = riva_health_last(bridge->riva, &age_us);
	/* Not known to be serving: ask again now (at most once a second)
	 * so that a recovered Riva shows up on the next probe. */
	if (!reachable && clock_mono_us() - bridge->last_health_us > 1000000) {
		bridge->last_health_us = clock_mono_us();
		riva_health_check(bridge->riva, "", 0, NULL);
		riva_models_refresh(bridge->riva, 0);
	}
	if (bridge->draining) {
		status = 503;
		state = "draining";
	} else if (reachable) {
		status = 200;
		state = "ok";
	} else {
		status = 503;
		state = "riva_unavailable";
	}
	n = snprintf((char *)server_body + LWS_PRE, SERVER_BODY_BYTES,
	    "{\"status\":\"%s\",\"riva\":\"%s\",\"riva_checked_ms_ago\":%lld,"
	    "\"connections\":%llu,\"sessions\":%llu", state,
	    riva, h == RIVAMSG_HEALTH_UNKNOWN ? -1LL :
	    (long long)(age_us / 1000),
	    (unsigned long long)bridge->m.connections,
	    (unsigned long long)bridge->m.sessions);
	/* The model list (at most RIVAMSG_MAX_MODELS) fits the body. */
	n += (int)server_models_json((char *)server_body + LWS_PRE + n,
	    SERVER_BODY_BYTES - (size_t)n - 2);
	n += snprintf((char *)server_body + LWS_PRE + n,
	    SERVER_BODY_BYTES - (size_t)n, "}\n");
	return server_reply(wsi, status, "application/json",
	    (char *)server_body + LWS_PRE, (size_t)n);
}

static int
server_metrics(struct lws *wsi)
{
	struct front_stats fs;
	size_t n;

	front_stats(bridge->front, &fs);
	bridge->m.front_pending = fs.pending;
	bridge->m.front_shed = fs.shed;
	bridge->m.front_timeouts = fs.timeouts;
	n = metrics_render(&bridge->m, bridge->draining,
	    (char *)server_body + LWS_PRE, SERVER_BODY_BYTES);
	if (n == 0)
		return server_reply_error(wsi, ERR_INTERNAL, 500,
		    "metrics do not fit the response buffer");
	return server_reply(wsi, 200, "text/plain; version=0.0.4",
	    (char *)server_body + LWS_PRE, n);
}

static int
server_http(struct lws *wsi, const char *uri)
{
	int r;

	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
		r = server_reply_error(wsi, ERR_METHOD, 405,
		    "only GET is served here");
	else if (strcmp(uri, "/healthz") == 0)
		r = server_healthz(wsi);
	else if (strcmp(uri, "/metrics") == 0)
		r = server_metrics(wsi);
	else
		r = server_reply_error(wsi, ERR_NOT_FOUND, 404,
		    "no such path: use a WebSocket upgrade, /healthz or "
		    "/metrics");
	if (r != 0 || lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

static int
server_origin_ok(struct lws *wsi)
{
	const struct conf_list *l = &bridge->conf.allowed_origins;
	char origin[LIMIT_WS_ORIGIN_BYTES + 1];
	size_t i;

	if (l->n == 0)
		return 1;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0 ||
	    lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) < 0)
		return 0;
	for (i = 0; i < l->n; i++)
		if (strcmp(origin, l->v[i]) == 0)
			return 1;
	return 0;
}

/*
 * Find the token: ?token=... first, then a Sec-WebSocket-Protocol entry
 * "bearer.<jwt>" or a bare JWT ("eyJ...").  Returns its length, 0 if there
 * is none, -1 if it is over LIMIT_TOKEN_BYTES.
 */
static long
server_find_token(struct lws *wsi, char *buf, size_t cap, const char **tok)
{
	static char hdr[LIMIT_TOKEN_BYTES + 256];
	const char *v, *p, *q;
	int n;

	v = lws_get_urlarg_by_name(wsi, "token=", buf, (int)cap);
	if (v != NULL) {
		*tok = v;
		return (long)strlen(v);
	}
	n = lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL);
	if (n <= 0)
		return 0;
	if ((size_t)n >= sizeof(hdr) ||
	    lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_PROTOCOL) < 0)
		return -1;
	for (p = hdr; *p != '\0'; p = *q != '\0' ? q + 1 : q) {
		while (*p == ' ' || *p == '\t')
			p++;
		for (q = p; *q != '\0' && *q != ','; q++)
			;
		n = (int)(q - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n > 7 && strncmp(p, "bearer.", 7) == 0) {
			p += 7;
			n -= 7;
		} else if (n < 3 || strncmp(p, "eyJ", 3) != 0)
			continue;
		if ((size_t)n >= cap)
			return -1;
		memcpy(buf, p, (size_t)n);
		buf[n] = '\0';
		*tok = buf;
		return n;
	}
	return 0;
}

/*
 * The 101 answer must name one of the protocols the client offered, or a
 * browser fails the handshake.  When the token was the only one, front.c
 * moved it to the URL and marked it (token_protocol=bearer|jwt); name it
 * back.  Any other answer lws has already completed.
 */
static int
server_echo_protocol(struct lws *wsi, struct lws_process_html_args *args)
{
	/* lws_get_urlarg_by_name() stops at the first argument that does
	 * not fit its buffer, so both lookups get room for a whole token. */
	static char tok[LIMIT_TOKEN_BYTES + 16], val[LIMIT_TOKEN_BYTES + 16];
	const char *kind, *t;
	int bearer, n;

	if (args == NULL || lws_hdr_total_length(wsi, WSI_TOKEN_UPGRADE) <= 0 ||
	    lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL) > 0 ||
	    (kind = lws_get_urlarg_by_name(wsi, "token_protocol=", val,
	    (int)sizeof(val))) == NULL)
		return 0;
	bearer = strcmp(kind, "bearer") == 0;
	if ((t = lws_get_urlarg_by_name(wsi, "token=", tok,
	    (int)sizeof(tok))) == NULL)
		return 0;
	n = snprintf(val, sizeof(val), "%s%s", bearer ? "bearer." : "", t);
	explicit_bzero(tok, sizeof(tok));
	if (n < 0 || (size_t)n >= sizeof(val) ||
	    lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"sec-websocket-protocol:",
	    (const unsigned char *)val, n, (unsigned char **)&args->p,
	    (unsigned char *)args->p + args->max_len)) {
		explicit_bzero(val, sizeof(val));
		return -1;
	}
	explicit_bzero(val, sizeof(val));
	return 0;
}

int
server_url_messages(struct lws *wsi, unsigned *bits, char *why,
    size_t whylen)
{
	/* lws_get_urlarg_by_name() stops at the first argument that does
	 * not fit its buffer: room for a whole ?token= before ours. */
	static char arg[LIMIT_TOKEN_BYTES + 128];
	const char *v;
	enum err e;

	*bits = 0;
	v = lws_get_urlarg_by_name(wsi, "messages=", arg, (int)sizeof(arg));
	e = v == NULL ? ERR_OK : wsproto_parse_messages(v, "messages", bits,
	    why, whylen);
	/* the search copies every argument here, a ?token= too */
	explicit_bzero(arg, sizeof(arg));
	if (v == NULL)
		return 0;
	return e == ERR_OK ? 1 : -1;
}

/* A bad ?messages= list is refused at the upgrade, the field named,
 * rather than ignored. */
static int
server_messages_ok(struct lws *wsi)
{
	char why[200];
	unsigned bits;

	if (server_url_messages(wsi, &bits, why, sizeof(why)) >= 0)
		return 1;
	metrics_error(&bridge->m, METRICS_ERR_BAD_FIELD);
	server_reply_error(wsi, ERR_FIELD, 400, why);
	return 0;
}

/*
 * Count the connection against its user (max_connections_per_user) and
 * leave the entry in the wsi for session_open(); 429 over the limit.
 */
static int
server_take_user(struct lws *wsi, const char *sub)
{
	char why[160];
	struct user *u;
	uint32_t held = 0;

	u = users_take_connection(sub, bridge->conf.max_connections_per_user,
	    &held);
	if (u == NULL) {
		metrics_error(&bridge->m, METRICS_ERR_USER_LIMIT);
		snprintf(why, sizeof(why), "max_connections_per_user: this "
		    "user holds %u connections, the limit is %lld",
		    (unsigned)held,
		    (long long)bridge->conf.max_connections_per_user);
		log_warn("sub=%s refused: %s", sub, why);
		server_reply_error(wsi, ERR_RATE_LIMITED, 429, why);
		return 1;
	}
	log_debug("upgrade authorised for sub=%s (%u connections)", sub,
	    (unsigned)held);
	lws_set_opaque_user_data(wsi, u);
	return 0;
}

static int
server_upgrade_check(struct lws *wsi, const char *up)
{
	static char tokbuf[LIMIT_TOKEN_BYTES + 16];
	struct cognito_identity id;
	const char *tok = NULL, *why = "ok";
	long n;
	enum err e;

	if (up == NULL || strcasecmp(up, "websocket") != 0)
		return -1;
	if (bridge->draining) {
		server_reply_error(wsi, ERR_UNAVAILABLE, 503,
		    "server is shutting down");
		return 1;
	}
	if (bridge->nconns >= (uint64_t)bridge->conf.max_connections) {
		metrics_error(&bridge->m, METRICS_ERR_FULL);
		log_warn("max_connections (%lld) reached; refusing upgrade",
		    (long long)bridge->conf.max_connections);
		server_reply_error(wsi, ERR_UNAVAILABLE, 503,
		    "too many connections; try again later");
		return 1;
	}
	if (!server_origin_ok(wsi)) {
		metrics_error(&bridge->m, METRICS_ERR_ORIGIN);
		server_reply_error(wsi, ERR_AUTH, 403, "origin not allowed");
		return 1;
	}
	/*
	 * front.c moves a token out of the protocol list on plain ws://, but
	 * not with our own TLS (libwebsockets reads the head), nor when the
	 * URL has ?token= too.  Such a list would be dropped without a word:
	 * say why instead.
	 */
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL) >
	    SERVER_LWS_PROTOCOLS_MAX) {
		metrics_error(&bridge->m, METRICS_ERR_BAD_FIELD);
		server_reply_error(wsi, ERR_INVAL, 400, bridge->front == NULL ?
		    "Sec-WebSocket-Protocol over 126 bytes: with the bridge's "
		    "own TLS a token goes in ?token= (or terminate TLS in a "
		    "web server in front, which allows both)" :
		    "Sec-WebSocket-Protocol over 126 bytes: send the token "
		    "either there or in ?token=, not in both");
		return 1;
	}
	if (!server_messages_ok(wsi))
		return 1;
	if (bridge->conf.auth == BRIDGE_AUTH_OFF)
		return 0;
	n = server_find_token(wsi, tokbuf, sizeof(tokbuf), &tok);
	if (n <= 0) {
		metrics_error(&bridge->m, METRICS_ERR_AUTH);
		server_reply_error(wsi, n < 0 ? ERR_TOO_LARGE : ERR_AUTH,
		    n < 0 ? 413 : 401, n < 0 ? "token too large" :
		    "missing token: pass ?token= or Sec-WebSocket-Protocol");
		return 1;
	}
	e = cognito_verify(bridge->cognito, tok, (size_t)n, time(NULL), &id,
	    &why);
	explicit_bzero(tokbuf, sizeof(tokbuf));
	if (e == ERR_OK)
		return server_take_user(wsi, id.sub);
	metrics_error(&bridge->m, METRICS_ERR_AUTH);
	if (e == ERR_UNAVAILABLE) {
		server_reply_error(wsi, e, 503,
		    "cannot verify tokens now: signing keys unavailable");
		return 1;
	}
	server_reply_error(wsi, e == ERR_TOO_LARGE ? ERR_TOO_LARGE : ERR_AUTH,
	    e == ERR_TOO_LARGE ? 413 : 401, why);
	return 1;
}

void
server_poll_riva(void)
{
	struct riva_event ev;

	if (bridge->riva == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	while (riva_poll(bridge->riva, &ev)) {
		session_riva_event(&ev);
		riva_event_clear(&ev);
	}
}

int
server_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return server_http(wsi, in != NULL ? in : "");
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return server_upgrade_check(wsi, in);
	case LWS_CALLBACK_ESTABLISHED:
		session_open(c, wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return session_receive(c, in, len, lws_frame_is_binary(wsi),
		    lws_is_first_fragment(wsi), lws_is_final_fragment(wsi));
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return session_writeable(c);
	case LWS_CALLBACK_CLOSED:
		if (c != NULL)
			session_close(c);
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		/* front.c's wakeup; Riva's comes as an ev_async (main.c). */
		front_adopt(bridge->front);
		return 0;
	case LWS_CALLBACK_ADD_HEADERS:
		return server_echo_protocol(wsi, in);
	case LWS_CALLBACK_WSI_DESTROY:
		/* Counted at the upgrade but never established. */
		users_drop_connection(lws_get_opaque_user_data(wsi));
		lws_set_opaque_user_data(wsi, NULL);
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}
