/*
 * config.c: the config table of audio-api.
 *
 * One row per key of conf/audio-api.conf.example (which `audio-api
 * --print-example` regenerates from this table).  Secrets (the S3 secret
 * key and session token) come only from the environment or a `*_file`
 * line; the AWS variables override the file so the standard credential
 * environment works unchanged.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "conf.h"
#include "limit.h"
#include "log.h"

#define DAY_MS		(86400LL * 1000)

static const char *const log_levels[] = { "debug", "info", "warn", "error",
	NULL };
static const char *const addressings[] = { "virtual", "path", NULL };
static const char *const events_modes[] = { "eventbridge", "discard", NULL };

#define OFF(m)	offsetof(struct api_conf, m)

const struct conf_key api_conf_table[] = {
	{ "listen", CONF_STRING, 0, 512, "", "AUDIO_API_LISTEN", 0, NULL,
	    "where to serve FastCGI: host:port, unix:/path, or empty for the "
	    "socket on fd 0 (spawn-fcgi, mod_fcgid, lighttpd bin-path)",
	    OFF(listen) },
	{ "listen_backlog", CONF_INT, 1, 65535, "1024", NULL, 0, NULL,
	    "listen(2) backlog for --listen sockets", OFF(listen_backlog) },
	{ "workers", CONF_INT, 0, 256, "0", "AUDIO_API_WORKERS", 0, NULL,
	    "prefork this many workers under a supervising master; 0 serves "
	    "in the process itself", OFF(workers) },
	{ "log_level", CONF_ENUM, 0, 0, "info", "AUDIO_API_LOG_LEVEL", 0,
	    log_levels, "lowest level logged", OFF(log_level) },
	{ "drain_timeout", CONF_DURATION, 0, DAY_MS, "30s", NULL, 0, NULL,
	    "on SIGTERM, how long in-flight requests may take before workers "
	    "are killed", OFF(drain_timeout) },
	{ "restart_backoff_max", CONF_DURATION, 100, 3600 * 1000, "30s", NULL,
	    0, NULL, "longest wait before restarting a worker that keeps dying",
	    OFF(restart_backoff_max) },

	{ "body_max", CONF_SIZE, LIMIT_BODY_MIN, LIMIT_BODY_MAX, "64k", NULL,
	    0, NULL, "largest request body accepted (413 above)",
	    OFF(body_max) },
	{ "chunk_max_bytes", CONF_SIZE, 1, LIMIT_CHUNK_BYTES_MAX, "5m", NULL,
	    0, NULL, "largest audio chunk a client may presign (413 above)",
	    OFF(chunk_max_bytes) },
	{ "presign_expires", CONF_DURATION, LIMIT_PRESIGN_EXPIRES_MIN * 1000,
	    LIMIT_PRESIGN_EXPIRES_MAX * 1000LL, "300s", NULL, 0, NULL,
	    "lifetime of presigned PUT URLs", OFF(presign_expires) },
	{ "playback_expires", CONF_DURATION, LIMIT_PRESIGN_EXPIRES_MIN * 1000,
	    LIMIT_PRESIGN_EXPIRES_MAX * 1000LL, "300s", NULL, 0, NULL,
	    "lifetime of the presigned GET URLs GET /sessions/{id} gives for "
	    "playback", OFF(playback_expires) },
	{ "list_limit", CONF_INT, 1, LIMIT_LIST_MAX, "50", NULL, 0, NULL,
	    "sessions per page of GET /sessions when the client names no "
	    "limit", OFF(list_limit) },
	{ "delete_recheck_margin", CONF_DURATION, 0, DAY_MS, "5m", NULL, 0,
	    NULL, "after the last upload URL of a deleted session has "
	    "expired, wait this long (uploads still in flight, clock skew) "
	    "before listing its S3 prefix again for late uploads",
	    OFF(delete_recheck_margin) },
	{ "finalize_grace", CONF_DURATION, 0, DAY_MS, "5m", NULL, 0, NULL,
	    "after finalize, how long a chunk that starts inside the declared "
	    "durationMs may still be presigned and completed (it joins the "
	    "final manifest); 0: none", OFF(finalize_grace) },
	{ "user_open_sessions", CONF_INT, 0, 100000, "20",
	    "AUDIO_API_USER_OPEN_SESSIONS", 0, NULL, "open sessions a user "
	    "may have that were active in the last day; one more is 429 "
	    "(0: no limit)", OFF(user_open_sessions) },
	{ "user_sessions_per_hour", CONF_INT, 0, 100000, "60",
	    "AUDIO_API_USER_SESSIONS_PER_HOUR", 0, NULL, "sessions a user may "
	    "create in an hour; one more is 429 (0: no limit)",
	    OFF(user_sessions_per_hour) },
	{ "session_presigns_per_minute", CONF_INT, 0, 1000000000, "120",
	    "AUDIO_API_SESSION_PRESIGNS_PER_MINUTE", 0, NULL, "presigned "
	    "URLs one session may ask for in a minute, counted across the "
	    "workers of the host; one more is 429 (a recorder asks 12 a "
	    "minute at 5-second chunks; 0: no limit)",
	    OFF(session_presigns_per_minute) },
	{ "cors_origins", CONF_LIST, 0, 64, "", "AUDIO_API_CORS_ORIGINS", 0,
	    NULL, "origins allowed to call the API from a browser (exact "
	    "match, e.g. https://app.example.com), or * for any origin "
	    "(answered with Access-Control-Allow-Origin: *; tokens travel in "
	    "the Authorization header, never in cookies)", OFF(cors_origins) },
	{ "retry_after", CONF_DURATION, 1000, 3600 * 1000, "2s", NULL, 0,
	    NULL, "Retry-After sent with 502/503", OFF(retry_after) },

	{ "journal", CONF_STRING, 1, 1024, "/var/lib/audio-api/journal.db",
	    "AUDIO_API_JOURNAL", 0, NULL, "path of the SQLite journal",
	    OFF(journal) },
	{ "journal_busy_timeout", CONF_DURATION, 1, 600 * 1000, "5s", NULL,
	    0, NULL, "how long a write waits for the journal lock (503 after)",
	    OFF(journal_busy_timeout) },

	{ "s3_bucket", CONF_STRING, 3, 255, NULL, "S3_BUCKET",
	    CONF_REQUIRED, NULL, "bucket the chunks and manifests go to",
	    OFF(s3_bucket) },
	{ "s3_region", CONF_STRING, 1, 64, "us-east-1", "AWS_REGION", 0,
	    NULL, "region of the bucket (SigV4 scope)", OFF(s3_region) },
	{ "s3_endpoint", CONF_STRING, 0, 512, "", "S3_ENDPOINT", 0, NULL,
	    "S3 endpoint URL (http[s]://host[:port]); empty: "
	    "https://s3.<region>.amazonaws.com", OFF(s3_endpoint) },
	{ "s3_addressing", CONF_ENUM, 0, 0, "virtual", "S3_ADDRESSING", 0,
	    addressings, "virtual (bucket.host/key) or path (host/bucket/key)",
	    OFF(s3_addressing) },
	{ "s3_timeout", CONF_DURATION, 100, 600 * 1000, "5s", NULL, 0, NULL,
	    "whole-request timeout of every S3 call", OFF(s3_timeout) },
	{ "s3_connect_timeout", CONF_DURATION, 100, 60 * 1000, "2s", NULL, 0,
	    NULL, "connect timeout of every S3 call", OFF(s3_connect_timeout) },
	{ "s3_access_key_id", CONF_STRING, 0, 128, "", "AWS_ACCESS_KEY_ID", 0,
	    NULL, "access key id (AWS_ACCESS_KEY_ID overrides)",
	    OFF(s3_access_key_id) },
	{ "s3_secret_access_key", CONF_STRING, 0, 256, NULL,
	    "AWS_SECRET_ACCESS_KEY", CONF_SECRET, NULL,
	    "secret key: AWS_SECRET_ACCESS_KEY or s3_secret_access_key_file",
	    OFF(s3_secret_access_key) },
	{ "s3_session_token", CONF_STRING, 0, 4096, NULL, "AWS_SESSION_TOKEN",
	    CONF_SECRET, NULL,
	    "session token: AWS_SESSION_TOKEN or s3_session_token_file",
	    OFF(s3_session_token) },
	{ "s3_sse", CONF_BOOL, 0, 0, "yes", NULL, 0, NULL,
	    "require x-amz-server-side-encryption: AES256 on chunk uploads",
	    OFF(s3_sse) },

	{ "jwt_issuer", CONF_STRING, 1, 512, NULL, "JWT_ISSUER",
	    CONF_REQUIRED, NULL, "Cognito user pool issuer URL "
	    "(https://cognito-idp.<region>.amazonaws.com/<pool id>)",
	    OFF(jwt_issuer) },
	{ "jwt_client_ids", CONF_STRING, 1, 2048, NULL, "JWT_CLIENT_ID",
	    CONF_REQUIRED, NULL, "accepted app client ids, comma separated",
	    OFF(jwt_client_ids) },
	{ "jwt_token_use", CONF_STRING, 1, 16, "id,access", NULL, 0, NULL,
	    "accepted token_use values: id, access or id,access",
	    OFF(jwt_token_use) },
	{ "jwt_jwks_url", CONF_STRING, 0, 1024, "", "JWT_JWKS_URL", 0, NULL,
	    "JWKS URL; empty: <issuer>/.well-known/jwks.json (file:// allowed)",
	    OFF(jwt_jwks_url) },
	{ "jwt_leeway", CONF_DURATION, 0, 300 * 1000, "0s", NULL, 0, NULL,
	    "clock leeway for exp/nbf/iat", OFF(jwt_leeway) },
	{ "jwks_ttl", CONF_DURATION, 1000, 7 * DAY_MS, "1h", NULL, 0, NULL,
	    "how long a fetched JWKS is trusted", OFF(jwks_ttl) },
	{ "jwt_cache_ttl", CONF_DURATION, 0, 3600 * 1000, "60s", NULL, 0, NULL,
	    "how long a worker reuses a token it verified (0: verify every "
	    "request); exp is still checked every time", OFF(jwt_cache_ttl) },
	{ "jwt_cache_entries", CONF_INT, 1, 65536, "256", NULL, 0, NULL,
	    "verified tokens each worker remembers", OFF(jwt_cache_entries) },
	{ "jwks_timeout", CONF_DURATION, 100, 60 * 1000, "5s", NULL, 0, NULL,
	    "JWKS fetch timeout", OFF(jwks_timeout) },

	{ "health_cache", CONF_DURATION, 0, 60 * 1000, "1s", NULL, 0, NULL,
	    "how long /healthz reuses an S3 probe result, failures too (one "
	    "worker of the host probes at a time)", OFF(health_cache) },

	/* durable delivery: fcgi/deliver.c */
	{ "events", CONF_ENUM, 0, 0, "eventbridge", "AUDIO_API_EVENTS", 0,
	    events_modes, "eventbridge: send events with PutEvents (kept in "
	    "the outbox until accepted); discard: mark them delivered without "
	    "sending (no EventBridge in this deployment)", OFF(events) },
	{ "events_bus", CONF_STRING, 0, 256, "", "EVENTS_BUS", 0, NULL,
	    "EventBridge bus name; empty: the account's default bus",
	    OFF(events_bus) },
	{ "events_source", CONF_STRING, 1, 256, "audio.api", NULL, 0, NULL,
	    "Source of every event", OFF(events_source) },
	{ "events_region", CONF_STRING, 0, 64, "", "EVENTS_REGION", 0, NULL,
	    "EventBridge region; empty: s3_region", OFF(events_region) },
	{ "events_endpoint", CONF_STRING, 0, 512, "", "EVENTS_ENDPOINT", 0,
	    NULL, "EventBridge endpoint URL; empty: "
	    "https://events.<region>.amazonaws.com", OFF(events_endpoint) },
	{ "events_timeout", CONF_DURATION, 100, 120 * 1000, "10s", NULL, 0,
	    NULL, "whole-request timeout of every PutEvents call",
	    OFF(events_timeout) },
	{ "deliver_child", CONF_BOOL, 0, 0, "yes", NULL, 0, NULL,
	    "with workers > 0, the master also runs the delivery loop as one "
	    "more supervised child (no: run audio-api --deliver yourself)",
	    OFF(deliver_child) },
	{ "deliver_batch", CONF_INT, 1, 1000, "100", NULL, 0, NULL,
	    "outbox items claimed per round of the delivery loop",
	    OFF(deliver_batch) },
	{ "deliver_poll", CONF_DURATION, 10, 60 * 1000, "250ms", NULL, 0,
	    NULL, "how often an idle delivery loop looks for due items",
	    OFF(deliver_poll) },
	{ "deliver_lease", CONF_DURATION, 1000, 3600 * 1000, "60s", NULL, 0,
	    NULL, "how long a claimed item is reserved for one deliverer "
	    "(raised to the S3/EventBridge timeout plus 2s); a killed "
	    "deliverer's items are retried after it", OFF(deliver_lease) },
	{ "deliver_max_attempts", CONF_INT, 1, 1000, "30", NULL, 0, NULL,
	    "attempts before an item is parked as dead (requeue with "
	    "audio-api --outbox requeue-dead)", OFF(deliver_max_attempts) },
	{ "deliver_backoff_base", CONF_DURATION, 10, 3600 * 1000, "1s", NULL,
	    0, NULL, "first retry delay; doubles per attempt, with jitter",
	    OFF(deliver_backoff_base) },
	{ "deliver_backoff_max", CONF_DURATION, 10, DAY_MS, "1m", NULL, 0,
	    NULL, "longest retry delay", OFF(deliver_backoff_max) },
	{ "health_outbox_stuck", CONF_DURATION, 0, 30 * DAY_MS, "10m", NULL,
	    0, NULL, "/healthz answers 503 when the oldest pending outbox item "
	    "is older than this (0: never)", OFF(health_outbox_stuck) },
	CONF_END
};

enum err
api_conf_load(struct api_conf *c, const char *path)
{
	char msg[512];
	enum err rc;

	rc = conf_load(api_conf_table, c, path, 0, msg, sizeof(msg));
	if (rc != ERR_OK)
		log_error("%s", msg);
	return rc;
}

void
api_conf_free(struct api_conf *c)
{
	conf_free(api_conf_table, c);
}

void
api_conf_reload(struct api_conf *c, const char *path,
    void (*close_fn)(void *), enum err (*open_fn)(void *, struct api_conf *),
    void *arg, const char *what)
{
	struct api_conf fresh;

	memset(&fresh, 0, sizeof(fresh));
	if (api_conf_load(&fresh, path) != ERR_OK) {
		log_error("reload refused, keeping the running config");
		api_conf_free(&fresh);
		return;
	}
	close_fn(arg);
	api_conf_free(c);
	*c = fresh;
	log_init("audio-api", (enum log_level)c->log_level, 2);
	if (open_fn(arg, c) != ERR_OK)
		log_error("reopening %s after reload failed", what);
	log_info("config reloaded");
}
