/*
 * bridge_conf.c: the audio-bridge config table and its cross-field checks.
 *
 * Every key, its bounds (from limit.h where they are input bounds), its
 * default and its environment override live in bridge_conf_table;
 * conf.h does the parsing and the file:line messages.
 * conf/audio-bridge.conf.example is generated from this table
 * (`audio-bridge --print-example`).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bridge.h"
#include "cognito.h"
#include "limit.h"
#include "riva.h"
#include "tlsfile.h"

#define OFF(m)	offsetof(struct bridge_conf, m)
#define SEC	1000LL
#define HOUR	(3600 * SEC)

static const char *const auth_choices[] = { "required", "off", NULL };
static const char *const log_choices[] = { "debug", "info", "warn", "error",
    NULL };

const struct conf_key bridge_conf_table[] = {
	{ "listen_address", CONF_STRING, 1, 255, "0.0.0.0", "BRIDGE_LISTEN",
	    0, NULL, "address to listen on", OFF(listen_address) },
	{ "port", CONF_INT, 1, 65535, "8443", "BRIDGE_PORT", 0, NULL,
	    "TCP port for ws:// or wss://, /healthz and /metrics",
	    OFF(port) },
	{ "tls_cert_file", CONF_STRING, 0, 4096, "", "BRIDGE_TLS_CERT", 0,
	    NULL, "PEM certificate chain; set with tls_key_file for wss://",
	    OFF(tls_cert_file) },
	{ "tls_key_file", CONF_STRING, 0, 4096, "", "BRIDGE_TLS_KEY", 0, NULL,
	    "PEM private key of tls_cert_file", OFF(tls_key_file) },
	{ "auth", CONF_ENUM, 0, 0, "required", "BRIDGE_AUTH", 0,
	    auth_choices,
	    "JWT on the upgrade (?token= or Sec-WebSocket-Protocol): "
	    "required | off", OFF(auth) },
	{ "allowed_origins", CONF_LIST, 0, LIMIT_WS_ORIGINS, "",
	    "BRIDGE_ALLOWED_ORIGINS", 0, NULL,
	    "comma-separated Origin values allowed to connect; empty = any",
	    OFF(allowed_origins) },
	{ "cognito_issuer", CONF_STRING, 0, 512, "", "COGNITO_ISSUER", 0,
	    NULL, "https://cognito-idp.<region>.amazonaws.com/<pool-id>",
	    OFF(cognito_issuer) },
	{ "cognito_client_ids", CONF_STRING, 0, 1024, "",
	    "COGNITO_CLIENT_IDS", 0, NULL,
	    "app client ids accepted in aud / client_id, comma-separated",
	    OFF(cognito_client_ids) },
	{ "cognito_jwks_url", CONF_STRING, 0, 1024, "", "COGNITO_JWKS_URL", 0,
	    NULL, "JWKS URL; empty = <issuer>/.well-known/jwks.json",
	    OFF(cognito_jwks_url) },
	{ "cognito_token_use", CONF_STRING, 1, 16, "id,access", NULL, 0, NULL,
	    "token_use values accepted: id, access or id,access",
	    OFF(cognito_token_use) },
	{ "jwt_leeway", CONF_DURATION, 0, 300 * SEC, "0", NULL, 0, NULL,
	    "clock skew allowed on exp/nbf/iat", OFF(jwt_leeway) },
	{ "max_connections", CONF_INT, LIMIT_WS_CONNECTIONS_MIN,
	    LIMIT_WS_CONNECTIONS_MAX, "2000", "BRIDGE_MAX_CONNECTIONS", 0, NULL,
	    "WebSocket connections at once; more get HTTP 503",
	    OFF(max_connections) },
	{ "max_connections_per_user", CONF_INT, 0, LIMIT_WS_CONNECTIONS_MAX,
	    "100", "BRIDGE_MAX_CONNECTIONS_PER_USER", 0, NULL,
	    "WebSocket connections one user (token sub) may hold; more get "
	    "HTTP 429 (0: no limit).  A telephony gateway that uses one "
	    "identity for every call needs room for all its calls",
	    OFF(max_connections_per_user) },
	{ "max_recognitions_per_user", CONF_INT, 0, LIMIT_WS_CONNECTIONS_MAX,
	    "100", "BRIDGE_MAX_RECOGNITIONS_PER_USER", 0, NULL,
	    "recognitions one user may run at once; one more start gets an "
	    "error with code rate_limited (0: no limit)",
	    OFF(max_recognitions_per_user) },
	{ "front_pending_per_address", CONF_INT, LIMIT_FRONT_PER_ADDR_MIN,
	    LIMIT_FRONT_PENDING, "128", "BRIDGE_FRONT_PER_ADDRESS", 0, NULL,
	    "plain ws://: request heads one client address may have pending "
	    "(of 512); beyond it that address's oldest is dropped.  Behind "
	    "a proxy every client has the proxy's address: its heads arrive "
	    "at once, so this rarely matters there",
	    OFF(front_pending_per_address) },
	{ "max_frame_bytes", CONF_SIZE, LIMIT_WS_FRAME_BYTES_MIN,
	    LIMIT_WS_FRAME_BYTES_MAX, "64k", NULL, 0, NULL,
	    "largest client message; larger closes with 1009",
	    OFF(max_frame_bytes) },
	{ "max_session", CONF_DURATION, LIMIT_WS_SESSION_SECONDS_MIN * SEC,
	    LIMIT_WS_SESSION_SECONDS_MAX * SEC, "1h", "BRIDGE_MAX_SESSION", 0,
	    NULL, "longest recognition; then it is stopped with an error",
	    OFF(max_session) },
	{ "idle_timeout", CONF_DURATION, LIMIT_WS_IDLE_SECONDS_MIN * SEC,
	    LIMIT_WS_IDLE_SECONDS_MAX * SEC, "30s", "BRIDGE_IDLE_TIMEOUT", 0,
	    NULL, "close (4000) a connection that sends nothing this long",
	    OFF(idle_timeout) },
	{ "send_queue_bytes", CONF_SIZE, LIMIT_WS_SENDQ_BYTES_MIN,
	    LIMIT_WS_SENDQ_BYTES_MAX, "256k", "BRIDGE_SEND_QUEUE", 0, NULL,
	    "server messages queued per client; partials are dropped first, "
	    "then the client is closed (4001)", OFF(send_queue_bytes) },
	{ "socket_send_buffer", CONF_SIZE, LIMIT_WS_SNDBUF_MIN,
	    LIMIT_WS_SNDBUF_MAX, "64k", "BRIDGE_SOCKET_SNDBUF", 0, NULL,
	    "the kernel's send buffer per client (SO_SNDBUF); with "
	    "send_queue_bytes it bounds how far a client may fall behind",
	    OFF(socket_send_buffer) },
	{ "send_timeout", CONF_DURATION, SEC, 600 * SEC, "10s",
	    "BRIDGE_SEND_TIMEOUT", 0, NULL,
	    "close (4001) a client whose pending output makes no progress "
	    "this long", OFF(send_timeout) },
	{ "drain_timeout", CONF_DURATION, LIMIT_WS_DRAIN_SECONDS_MIN * SEC,
	    LIMIT_WS_DRAIN_SECONDS_MAX * SEC, "10s", "BRIDGE_DRAIN_TIMEOUT", 0,
	    NULL, "on SIGTERM, how long running recognitions may finish",
	    OFF(drain_timeout) },
	{ "sample_rate", CONF_INT, LIMIT_WS_RATE_MIN, LIMIT_WS_RATE_MAX,
	    "16000", NULL, 0, NULL, "default sample rate of client audio, Hz",
	    OFF(sample_rate) },
	{ "language", CONF_STRING, 2, LIMIT_WS_LANGUAGE_BYTES, "en-US", NULL,
	    0, NULL, "default recognition language", OFF(language) },
	{ "frame_ms", CONF_INT, 10, 1000, "100", NULL, 0, NULL,
	    "audio frame length advertised to clients", OFF(frame_ms) },
	{ "riva_target", CONF_STRING, 3, 255, "127.0.0.1:50051",
	    "RIVA_TARGET", 0, NULL, "Riva gRPC host:port",
	    OFF(riva_target) },
	{ "riva_tls", CONF_BOOL, 0, 0, "no", "RIVA_TLS", 0, NULL,
	    "use TLS to Riva (yes for NVIDIA's hosted endpoints)",
	    OFF(riva_tls) },
	{ "riva_ca_file", CONF_STRING, 0, 4096, "", "RIVA_CA_FILE", 0, NULL,
	    "PEM roots for Riva's certificate; empty = system roots",
	    OFF(riva_ca_file) },
	{ "riva_cert_file", CONF_STRING, 0, 4096, "", "RIVA_CERT_FILE", 0,
	    NULL, "client certificate for mutual TLS", OFF(riva_cert_file) },
	{ "riva_key_file", CONF_STRING, 0, 4096, "", "RIVA_KEY_FILE", 0, NULL,
	    "client key for mutual TLS", OFF(riva_key_file) },
	{ "riva_server_name", CONF_STRING, 0, 255, "", NULL, 0, NULL,
	    "override the TLS name checked on Riva's certificate",
	    OFF(riva_server_name) },
	{ "riva_api_key", CONF_STRING, 0, 4096, NULL, "RIVA_API_KEY",
	    CONF_SECRET, NULL,
	    "sent as 'authorization: Bearer <key>' (env or riva_api_key_file)",
	    OFF(riva_api_key) },
	{ "riva_function_id", CONF_STRING, 0, 128, "", "RIVA_FUNCTION_ID", 0,
	    NULL, "'function-id' metadata for NVIDIA's hosted endpoints",
	    OFF(riva_function_id) },
	{ "riva_start_timeout", CONF_DURATION, 100, 60 * SEC, "5s", NULL, 0,
	    NULL, "a recognition must be under way at Riva by then",
	    OFF(riva_start_timeout) },
	{ "riva_keepalive", CONF_DURATION, 0, HOUR, "0", NULL, 0, NULL,
	    "gRPC keepalive ping interval; 0 = off", OFF(riva_keepalive) },
	{ "riva_max_message", CONF_SIZE, 64 * 1024, 64 * 1024 * 1024, "4m",
	    NULL, 0, NULL, "largest gRPC message to or from Riva",
	    OFF(riva_max_message) },
	{ "health_interval", CONF_DURATION, SEC, 600 * SEC, "5s",
	    "BRIDGE_HEALTH_INTERVAL", 0,
	    NULL, "how often Riva's grpc.health.v1 status is refreshed",
	    OFF(health_interval) },
	{ "hotword_boost", CONF_INT, 0, 100, "4", NULL, 0, NULL,
	    "boost Riva gives the client's hotwords (speech_contexts.boost)",
	    OFF(hotword_boost) },
	{ "messages", CONF_STRING, 1, 64, "partial,transcription",
	    "BRIDGE_MESSAGES", 0, NULL,
	    "dialect 1 result messages a connection gets unless it asks "
	    "(start_transcription \"messages\", or ?messages=): partial, "
	    "transcription and/or display, comma-separated; display for "
	    "the Python bridge's recorder page", OFF(messages) },
	{ "display_stable_bytes", CONF_SIZE, LIMIT_DISPLAY_STABLE_MIN,
	    LIMIT_DISPLAY_STABLE_MAX, "4k", NULL, 0, NULL,
	    "display: bytes of the session's finals kept in stable_text "
	    "(older words are dropped from the front)",
	    OFF(display_stable_bytes) },
	{ "display_flush", CONF_DURATION, 100, 60 * SEC, "1400ms", NULL, 0,
	    NULL, "display: a partial unchanged this long becomes stable",
	    OFF(display_flush) },
	{ "display_segment", CONF_DURATION, SEC, 600 * SEC, "12s", NULL, 0,
	    NULL, "display: a segment without a final this long is cut",
	    OFF(display_segment) },
	{ "log_level", CONF_ENUM, 0, 0, "info", "BRIDGE_LOG_LEVEL", 0,
	    log_choices, "debug | info | warn | error", OFF(log_level) },
	CONF_END
};

static int
bridge_conf_set(const char *s)
{
	return s != NULL && *s != '\0';
}

void
bridge_conf_cognito(const struct bridge_conf *c, struct cognito_conf *cc)
{
	cognito_conf_defaults(cc);
	cc->issuer = c->cognito_issuer;
	cc->client_ids = c->cognito_client_ids;
	cc->jwks_url = c->cognito_jwks_url;
	cc->token_use = c->cognito_token_use;
	cc->leeway = (long)(c->jwt_leeway / 1000);
}

void
bridge_conf_riva(const struct bridge_conf *c, struct riva_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->target = c->riva_target;
	o->tls = c->riva_tls;
	o->tls_root_ca_file = c->riva_ca_file[0] ? c->riva_ca_file : NULL;
	o->tls_cert_file = c->riva_cert_file[0] ? c->riva_cert_file : NULL;
	o->tls_key_file = c->riva_key_file[0] ? c->riva_key_file : NULL;
	o->tls_server_name = c->riva_server_name[0] ? c->riva_server_name :
	    NULL;
	o->api_key = bridge_conf_set(c->riva_api_key) ? c->riva_api_key :
	    NULL;
	o->function_id = c->riva_function_id[0] ? c->riva_function_id : NULL;
	o->keepalive_ms = (int)c->riva_keepalive;
	o->max_recv_msg = (int)c->riva_max_message;
	o->max_send_msg = (int)c->riva_max_message;
	o->start_timeout_ms = (int)c->riva_start_timeout;
}

/* Our key for a member of struct from[i].field, else the member's own. */
struct bridge_conf_name {
	const char	*field;
	const char	*key;
};

static const char *
bridge_conf_key(const struct bridge_conf_name *names, size_t n,
    const char *field)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i].field, field) == 0)
			return names[i].key;
	return field;
}

/* The certificate and key of wss://, loaded as libwebsockets will. */
static enum err
bridge_conf_check_tls(const struct bridge_conf *c, const char *path,
    char *errbuf, size_t errlen)
{
	const char *bad = NULL;
	char why[512];
	enum err rc;

	if (bridge_conf_set(c->tls_cert_file) !=
	    bridge_conf_set(c->tls_key_file))
		return conf_refuse(errbuf, errlen, path,
		    bridge_conf_set(c->tls_cert_file) ? "tls_key_file" :
		    "tls_cert_file", "tls_cert_file and tls_key_file must be "
		    "set together");
	if (!bridge_conf_set(c->tls_cert_file))
		return ERR_OK;
	rc = tlsfile_check_pair(c->tls_cert_file, c->tls_key_file, &bad, why,
	    sizeof(why));
	if (rc != ERR_CONFIG)
		return rc;
	return conf_refuse(errbuf, errlen, path, bad == c->tls_key_file ?
	    "tls_key_file" : "tls_cert_file", "%s", why);
}

/* What riva_new() checks, then the TLS files it will read. */
static enum err
bridge_conf_check_riva(const struct bridge_conf *c, const char *path,
    char *errbuf, size_t errlen)
{
	static const struct bridge_conf_name names[] = {
		{ "target", "riva_target" },
		{ "tls_root_ca_file", "riva_ca_file" },
		{ "tls_cert_file", "riva_cert_file" },
		{ "tls_key_file", "riva_key_file" },
		{ "tls_server_name", "riva_server_name" },
		{ "api_key", "riva_api_key" },
		{ "function_id", "riva_function_id" },
	};
	struct riva_opts o;
	const char *field, *what, *bad = NULL;
	char why[512];
	enum err rc;

	bridge_conf_riva(c, &o);
	if (riva_opts_check(&o, &field, &what) != ERR_OK)
		return conf_refuse(errbuf, errlen, path,
		    bridge_conf_key(names, sizeof(names) / sizeof(names[0]),
		    field), "%s%s", what, strcmp(field, "target") != 0 &&
		    !o.tls && strstr(what, "TLS") != NULL ?
		    " (set riva_tls = yes, or remove it)" : "");
	if (!o.tls)
		return ERR_OK;
	if (o.tls_root_ca_file != NULL && (rc = tlsfile_check_ca(
	    o.tls_root_ca_file, why, sizeof(why))) != ERR_OK)
		return rc != ERR_CONFIG ? rc : conf_refuse(errbuf,
		    errlen, path, "riva_ca_file", "%s", why);
	if (o.tls_cert_file != NULL && (rc = tlsfile_check_pair(
	    o.tls_cert_file, o.tls_key_file, &bad, why, sizeof(why))) !=
	    ERR_OK)
		return rc != ERR_CONFIG ? rc : conf_refuse(errbuf,
		    errlen, path, bad == o.tls_key_file ? "riva_key_file" :
		    "riva_cert_file", "%s", why);
	return ERR_OK;
}

/* The token verifier's settings; a file:// JWKS must hold keys. */
static enum err
bridge_conf_check_auth(const struct bridge_conf *c, const char *path,
    char *errbuf, size_t errlen)
{
	static const struct bridge_conf_name names[] = {
		{ "issuer", "cognito_issuer" },
		{ "jwks_url", "cognito_jwks_url" },
		{ "client_ids", "cognito_client_ids" },
		{ "token_use", "cognito_token_use" },
		{ "leeway", "jwt_leeway" },
	};
	struct cognito_conf cc;
	const char *field = NULL;
	char why[512];
	enum err rc;

	if (c->auth != BRIDGE_AUTH_REQUIRED)
		return ERR_OK;
	if (!bridge_conf_set(c->cognito_issuer) ||
	    !bridge_conf_set(c->cognito_client_ids))
		return conf_refuse(errbuf, errlen, path,
		    bridge_conf_set(c->cognito_issuer) ? "cognito_client_ids" :
		    "cognito_issuer", "auth = required needs cognito_issuer "
		    "and cognito_client_ids (or set auth = off)");
	bridge_conf_cognito(c, &cc);
	rc = cognito_conf_check(&cc, COGNITO_CHECK_FILES, &field, why,
	    sizeof(why));
	if (rc != ERR_CONFIG)
		return rc;
	return conf_refuse(errbuf, errlen, path, bridge_conf_key(names,
	    sizeof(names) / sizeof(names[0]), field), "%s", why);
}

/* Values that only make sense together. */
static enum err
bridge_conf_check_ranges(const struct bridge_conf *c, const char *path,
    char *errbuf, size_t errlen)
{
	int64_t frame = c->sample_rate * c->frame_ms / 1000 * 2;

	/* The frame we advertise must fit the largest message we take. */
	if (frame > c->max_frame_bytes)
		return conf_refuse(errbuf, errlen, path,
		    "max_frame_bytes", "%lld bytes is less than one audio "
		    "frame at sample_rate and frame_ms (%lld bytes of 16-bit "
		    "PCM)", (long long)c->max_frame_bytes, (long long)frame);
	return ERR_OK;
}

enum err
bridge_conf_validate(const struct bridge_conf *c, const char *path,
    char *errbuf, size_t errlen)
{
	enum err rc;

	if ((rc = bridge_conf_check_tls(c, path, errbuf, errlen)) != ERR_OK ||
	    (rc = bridge_conf_check_riva(c, path, errbuf, errlen)) !=
	    ERR_OK ||
	    (rc = bridge_conf_check_auth(c, path, errbuf, errlen)) !=
	    ERR_OK ||
	    (rc = bridge_conf_check_ranges(c, path, errbuf, errlen)) !=
	    ERR_OK)
		return rc;
	return ERR_OK;
}

enum err
bridge_conf_load(struct bridge_conf *c, const char *path, char *errbuf,
    size_t errlen)
{
	char why[200];
	enum err e;

	memset(c, 0, sizeof(*c));
	e = conf_load(bridge_conf_table, c, path, 0, errbuf, errlen);
	if (e != ERR_OK)
		return e;
	if (wsproto_parse_messages(c->messages, "messages", &c->messages_bits,
	    why, sizeof(why)) != ERR_OK)
		e = conf_refuse(errbuf, errlen, path, "messages", "%s",
		    why);
	else
		e = bridge_conf_validate(c, path, errbuf, errlen);
	if (e == ERR_NOMEM)
		snprintf(errbuf, errlen, "%s", err_strerror(e));
	if (e != ERR_OK)
		bridge_conf_free(c);
	return e;
}

void
bridge_conf_free(struct bridge_conf *c)
{
	conf_free(bridge_conf_table, c);
}
