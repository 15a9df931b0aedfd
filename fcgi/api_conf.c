/*
 * api_conf.c: the config of audio-api: its table, loading it, and the
 * one check every path runs on it.
 *
 * One row per key of conf/audio-api.conf.example (which `audio-api
 * --print-example` regenerates from this table).  Secrets (the S3 secret
 * key and session token) come only from the environment or a `*_file`
 * line; the AWS variables override the file so the standard credential
 * environment works unchanged.
 *
 * The table checks each value alone; api_conf_validate() checks what
 * depends on more than one value or on the machine (a URL's shape, a key
 * pair, a directory), so that `-n`, start-up and the SIGHUP pre-check
 * refuse the same configs and a config they accept does start workers,
 * instead of failing in each of them at s3_open().
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "journal.h"
#include "aws.h"
#include "awscred.h"
#include "cognito.h"
#include "conf.h"
#include "limit.h"
#include "log.h"
#include "s3loc.h"
#include "s3mpu.h"

#define DAY_MS		(86400LL * 1000)

static const char *const log_levels[] = { "debug", "info", "warn", "error",
	NULL };
static const char *const addressings[] = { "virtual", "path", NULL };
static const char *const events_modes[] = { "eventbridge", "discard", NULL };
static const char *const sweep_modes[] = { "off", "dry-run", "on", NULL };
/* In the order of API_SSE_BUCKET_KEY_*. */
static const char *const bucket_keys[] = { "default", "on", "off", NULL };

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
	    0, NULL, "largest audio chunk a client may presign for one PUT "
	    "(413 above, unless multipart_max_bytes takes it)",
	    OFF(chunk_max_bytes) },
	{ "multipart_max_bytes", CONF_SIZE, 0, S3MPU_OBJECT_MAX, "0", NULL,
	    0, NULL, "largest chunk taken through an S3 multipart upload: a "
	    "presign over chunk_max_bytes and up to this is answered with "
	    "uploadStrategy multipart (0: none; 413 above)",
	    OFF(multipart_max_bytes) },
	{ "multipart_part_bytes", CONF_SIZE, S3MPU_PART_MIN, S3MPU_PART_MAX,
	    "8m", NULL, 0, NULL, "part size of multipart uploads (the last "
	    "part is smaller; larger parts are chosen when a chunk would "
	    "need over 10,000)", OFF(multipart_part_bytes) },
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
	    "AUDIO_API_JOURNAL", 0, NULL, "the journal: the path of an SQLite "
	    "file (one host), or a PostgreSQL database shared by several "
	    "hosts: postgresql://user@host:port/db?... (a libpq URI) or "
	    "postgresql:host=... dbname=... (libpq keywords); put its "
	    "password in PGPASSFILE or PGPASSWORD rather than here",
	    OFF(journal) },
	{ "journal_busy_timeout", CONF_DURATION, 1, 600 * 1000, "5s", NULL,
	    0, NULL, "how long a write waits for the journal lock (503 after; "
	    "PostgreSQL: the statement timeout)",
	    OFF(journal_busy_timeout) },
	{ "journal_connect_timeout", CONF_DURATION, 1000, 60 * 1000, "5s",
	    NULL, 0, NULL, "PostgreSQL: how long a connection attempt may "
	    "take (whole seconds; 503 after)",
	    OFF(journal_connect_timeout) },
	{ "state_dir", CONF_STRING, 0, 1024, "", "AUDIO_API_STATE_DIR", 0,
	    NULL, "directory of the small files the workers of a host share "
	    "(the last S3 probe of /healthz, the last signing-key fetch, the "
	    "presign counts), named after the journal's file; empty: next to "
	    "the journal",
	    OFF(state_dir) },

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
	    "require x-amz-server-side-encryption: AES256 on chunk uploads "
	    "(sse, when set, decides instead)", OFF(s3_sse) },
	{ "sse", CONF_STRING, 0, 16, NULL, NULL, 0, NULL,
	    "encryption at rest of the chunks: AES256 (SSE-S3), aws:kms "
	    "(SSE-KMS with sse_kms_key_id) or off; the presigned PUT signs "
	    "it and complete checks S3 reports it; unset: s3_sse", OFF(sse) },
	{ "sse_kms_key_id", CONF_STRING, 0, 256, NULL, NULL, 0, NULL,
	    "the KMS key of sse = aws:kms: a key ARN "
	    "(arn:aws:kms:REGION:ACCOUNT:key/ID), alias/NAME, an alias ARN or "
	    "a key id; in the bucket's region", OFF(sse_kms_key_id) },
	{ "sse_bucket_key", CONF_ENUM, 0, 0, "default", NULL, 0, bucket_keys,
	    "S3 Bucket Key for sse = aws:kms: on, off, or default (no header: "
	    "the bucket's setting)", OFF(sse_bucket_key) },
	{ "require_checksums", CONF_BOOL, 0, 0, "off", NULL, 0, NULL,
	    "refuse a chunk presign that names neither sha256 nor md5, and "
	    "a complete of an object uploaded without one (off: the "
	    "original clients send none)", OFF(require_checksums) },
	{ "require_write_once", CONF_BOOL, 0, 0, "off", NULL, 0, NULL,
	    "sign If-None-Match: * into every chunk URL, so S3 stores a "
	    "chunk once and refuses a second PUT of it (412); off: only "
	    "presigns with writeOnce: true get it, as the original clients "
	    "send no such header", OFF(require_write_once) },
	{ "manifest_fence", CONF_BOOL, 0, 0, "on", NULL, 0, NULL,
	    "write manifest.json with If-Match the ETag this journal last "
	    "wrote (If-None-Match: * the first time), so a delayed or "
	    "concurrent write never replaces a newer manifest; off only for "
	    "a store that refuses these headers (AWS S3, Cloudflare R2, Ceph "
	    "RGW and recent MinIO honour them)", OFF(manifest_fence) },

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

	/* lifecycle: fcgi/deliver_lifecycle.c, fcgi/deliver_sweep.c */
	{ "session_max_open", CONF_DURATION, 0, 365 * DAY_MS, "24h", NULL, 0,
	    NULL, "an open session with no change and no upload URL issued "
	    "for this long is finalized by the server as abandoned (manifest "
	    "finalReason and RecordingFinalized reason \"abandoned\"); 0: "
	    "never", OFF(session_max_open) },
	{ "retention_days", CONF_INT, 0, 36500, "0", NULL, 0, NULL,
	    "sessions created more than this many days ago are deleted as "
	    "DELETE /sessions/{id} does (objects, RecordingDeleted, journal "
	    "rows); 0: kept forever", OFF(retention_days) },
	{ "lifecycle_interval", CONF_DURATION, 100, DAY_MS, "1m", NULL, 0,
	    NULL, "how often the delivery loop looks for abandoned sessions "
	    "and sessions past retention_days", OFF(lifecycle_interval) },
	{ "multipart_purge_after", CONF_DURATION, 1000, 3650 * DAY_MS, "7d",
	    NULL, 0, NULL, "the journal's row of a multipart upload that "
	    "was completed, aborted or given up is deleted this long after "
	    "(a retried complete of it after that is refused)",
	    OFF(multipart_purge_after) },
	{ "sweep", CONF_ENUM, 0, 0, "dry-run", NULL, 0, sweep_modes,
	    "the orphan sweep of the bucket's users/ prefix: on deletes "
	    "objects no session owns once older than sweep_min_age; dry-run "
	    "logs and counts them (/healthz) without deleting; off",
	    OFF(sweep) },
	{ "sweep_interval", CONF_DURATION, 1000, 30 * DAY_MS, "1h", NULL, 0,
	    NULL, "from the end of one sweep pass over users/ to the start of "
	    "the next", OFF(sweep_interval) },
	{ "sweep_min_age", CONF_DURATION, 0, 365 * DAY_MS, "24h", NULL, 0,
	    NULL, "safety age: the sweep deletes an orphan only when S3's "
	    "LastModified is at least this old", OFF(sweep_min_age) },
	{ "sweep_grace", CONF_DURATION, 0, 30 * DAY_MS, "1h", NULL, 0, NULL,
	    "an uploaded chunk never completed is an orphan once this long "
	    "has passed after its upload URL expired", OFF(sweep_grace) },
	{ "sweep_page_keys", CONF_INT, 1, LIMIT_S3_DELETE_BATCH, "1000", NULL,
	    0, NULL, "keys listed (and at most deleted) per sweep round: the "
	    "bound on one round's work and memory", OFF(sweep_page_keys) },
	CONF_END
};

/* 1 if s3loc_locate() takes endpoint and bucket with this addressing. */
static int
api_conf_locates(const char *endpoint, const char *bucket, int path_style)
{
	struct s3loc loc;

	if (s3loc_locate(endpoint, bucket, "probe", path_style ?
	    S3LOC_PATH_STYLE : S3LOC_VIRTUAL_HOSTED, &loc) != ERR_OK)
		return 0;
	s3loc_free(&loc);
	return 1;
}

/* Endpoint, bucket and addressing, as the S3 client will use them, each
 * blamed on its own key. */
static enum err
api_conf_check_s3_location(const struct api_conf *c, const char *path,
    char *errbuf, size_t errlen)
{
	char def[128];
	const char *ep = c->s3_endpoint, *key = "s3_endpoint";
	int path_style = c->s3_addressing == API_S3_PATH;

	if (ep == NULL || ep[0] == '\0') {
		snprintf(def, sizeof(def), "https://s3.%s.amazonaws.com",
		    c->s3_region);
		ep = def;
		key = "s3_region";
	}
	if (!api_conf_locates(ep, "bucket", 1))
		return conf_refuse(errbuf, errlen, path, key, "the "
		    "endpoint \"%s\" is not http[s]://host[:port] (no path, "
		    "query or user part, a port 1..65535)", ep);
	if (!api_conf_locates(ep, c->s3_bucket, 1))
		return conf_refuse(errbuf, errlen, path, "s3_bucket",
		    "\"%s\" is not a bucket name (letters, digits, '.', '-' "
		    "and '_')", c->s3_bucket);
	if (path_style)
		return ERR_OK;
	if (!api_conf_locates(ep, "bucket", 0))
		return conf_refuse(errbuf, errlen, path, "s3_addressing",
		    "virtual needs a DNS name in the endpoint \"%s\" (it is an "
		    "IP address): set s3_addressing = path", ep);
	if (!api_conf_locates(ep, c->s3_bucket, 0))
		return conf_refuse(errbuf, errlen, path, "s3_bucket",
		    "\"%s\" cannot be a host name for virtual addressing "
		    "(3..63 of a-z, 0-9, '.', '-', starting and ending with a "
		    "letter or digit): rename it or set s3_addressing = path",
		    c->s3_bucket);
	return ERR_OK;
}

static int
api_conf_set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* The key pair: both or neither (then the AWS credential chain). */
static enum err
api_conf_check_keys(const struct api_conf *c, const char *path,
    char *errbuf, size_t errlen)
{
	struct awscred cred;
	enum err rc;

	if (api_conf_set(c->s3_access_key_id) !=
	    api_conf_set(c->s3_secret_access_key))
		return conf_refuse(errbuf, errlen, path,
		    api_conf_set(c->s3_access_key_id) ?
		    "s3_secret_access_key" : "s3_access_key_id",
		    "the key pair is half set: give s3_access_key_id and the "
		    "secret (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
		    "s3_secret_access_key_file) together, or neither to use "
		    "the AWS credential chain");
	if (!api_conf_set(c->s3_access_key_id)) {
		if (api_conf_set(c->s3_session_token))
			return conf_refuse(errbuf, errlen, path,
			    "s3_session_token", "set without a key pair "
			    "(it belongs to one)");
		return ERR_OK;
	}
	rc = awscred_set(&cred, c->s3_access_key_id, c->s3_secret_access_key,
	    c->s3_session_token, 0, AWSCRED_SOURCE_CONFIG);
	awscred_clear(&cred);
	if (rc != ERR_OK)
		return conf_refuse(errbuf, errlen, path,
		    "s3_access_key_id", "the key pair is malformed (the id "
		    "is at most %d of A-Z, a-z, 0-9 and '_'; the secret and "
		    "session token printable ASCII without blanks)",
		    LIMIT_AWS_KEY_ID_BYTES);
	return ERR_OK;
}

/* The verifier's settings; a file:// JWKS must hold keys. */
static enum err
api_conf_check_jwt(const struct api_conf *c, const char *path,
    char *errbuf, size_t errlen)
{
	static const struct {
		const char	*field;
		const char	*key;
	} keys[] = {
		{ "issuer", "jwt_issuer" }, { "jwks_url", "jwt_jwks_url" },
		{ "client_ids", "jwt_client_ids" },
		{ "token_use", "jwt_token_use" }, { "leeway", "jwt_leeway" },
		{ "jwks_ttl", "jwks_ttl" }, { "jwks_timeout_ms", "jwks_timeout" },
	};
	struct cognito_conf cc;
	const char *field = NULL, *key = "jwt_issuer";
	char why[512];
	size_t i;
	enum err rc;

	app_cognito_conf(c, &cc);
	rc = cognito_conf_check(&cc, COGNITO_CHECK_FILES, &field, why,
	    sizeof(why));
	if (rc != ERR_CONFIG)
		return rc;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (field != NULL && strcmp(field, keys[i].field) == 0)
			key = keys[i].key;
	return conf_refuse(errbuf, errlen, path, key, "%s", why);
}

/* SQLite writes the journal and its -wal and -shm files next to it, and
 * the workers share <journal>.jwks and .s3health there.  A PostgreSQL
 * journal is checked for its syntax here (audio-api -n --connect also
 * connects), and the host's shared files need a state_dir then. */
static enum err
api_conf_check_journal(const struct api_conf *c, const char *path,
    char *errbuf, size_t errlen)
{
	char copy[LIMIT_CONF_LINE + 1], why[256];
	const char *dir;
	struct stat st;

	if (journal_is_postgresql(c->journal)) {
		if (journal_target_check(c->journal, why, sizeof(why)) !=
		    ERR_OK)
			return conf_refuse(errbuf, errlen, path, "journal",
			    "%s", why);
		if (c->state_dir == NULL || c->state_dir[0] == '\0')
			return conf_refuse(errbuf, errlen, path, "state_dir",
			    "required with a PostgreSQL journal: a local "
			    "directory for the files the host's workers share");
		if (stat(c->state_dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    access(c->state_dir, W_OK | X_OK) != 0)
			return conf_refuse(errbuf, errlen, path, "state_dir",
			    "%s: not a writable directory", c->state_dir);
		return ERR_OK;
	}
	if (stat(c->journal, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return conf_refuse(errbuf, errlen, path, "journal",
			    "%s is not a file", c->journal);
		if (access(c->journal, R_OK | W_OK) != 0)
			return conf_refuse(errbuf, errlen, path, "journal",
			    "%s: %s", c->journal, strerror(errno));
	}
	snprintf(copy, sizeof(copy), "%s", c->journal);
	dir = dirname(copy);
	if (stat(dir, &st) != 0 || access(dir, W_OK | X_OK) != 0)
		return conf_refuse(errbuf, errlen, path, "journal",
		    "its directory %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return conf_refuse(errbuf, errlen, path, "journal",
		    "%s is not a directory", dir);
	return ERR_OK;
}

/* Values that only make sense together. */
static enum err
api_conf_check_ranges(const struct api_conf *c, const char *path,
    char *errbuf, size_t errlen)
{
	if (c->s3_connect_timeout > c->s3_timeout)
		return conf_refuse(errbuf, errlen, path,
		    "s3_connect_timeout", "%lld ms is longer than s3_timeout "
		    "(%lld ms), the whole request's", (long long)
		    c->s3_connect_timeout, (long long)c->s3_timeout);
	if (c->multipart_max_bytes > 0 &&
	    c->multipart_max_bytes <= c->chunk_max_bytes)
		return conf_refuse(errbuf, errlen, path,
		    "multipart_max_bytes", "%lld is not over chunk_max_bytes "
		    "(%lld): 0 turns multipart uploads off",
		    (long long)c->multipart_max_bytes,
		    (long long)c->chunk_max_bytes);
	if (c->multipart_max_bytes > 0) {
		struct s3mpu_plan p;

		/* The complete of the largest chunk lists every part
		 * ({"partNumber":N,"etag":"\"<32 hex>\""}, under 80 bytes
		 * each) in one request body. */
		if (s3mpu_plan(c->multipart_max_bytes,
		    c->multipart_part_bytes, &p) != ERR_OK ||
		    (int64_t)p.nparts * 80 + 1024 > c->body_max)
			return conf_refuse(errbuf, errlen, path,
			    "multipart_max_bytes", "a complete of a %lld byte "
			    "chunk lists %d parts of %lld bytes, more than "
			    "body_max (%lld) holds: raise multipart_part_bytes "
			    "or body_max", (long long)c->multipart_max_bytes,
			    p.nparts, (long long)p.part_bytes,
			    (long long)c->body_max);
	}
	if (c->session_max_open > 0 &&
	    c->session_max_open < c->presign_expires)
		return conf_refuse(errbuf, errlen, path, "session_max_open",
		    "%lld ms is shorter than presign_expires (%lld ms): a "
		    "session would be finalized while its upload URLs still "
		    "work", (long long)c->session_max_open,
		    (long long)c->presign_expires);
	if (c->retention_days > 0 && c->session_max_open > 0 &&
	    c->retention_days * DAY_MS <= c->session_max_open)
		return conf_refuse(errbuf, errlen, path, "retention_days",
		    "%lld day(s) is not longer than session_max_open (%lld "
		    "ms): sessions would be deleted while still recording",
		    (long long)c->retention_days,
		    (long long)c->session_max_open);
	if (c->deliver_backoff_base > c->deliver_backoff_max)
		return conf_refuse(errbuf, errlen, path,
		    "deliver_backoff_base", "%lld ms is longer than "
		    "deliver_backoff_max (%lld ms)",
		    (long long)c->deliver_backoff_base,
		    (long long)c->deliver_backoff_max);
	return ERR_OK;
}

/* Build what the workers and the delivery loop build from the config
 * (nothing is sent), so that a config passing here opens there too. */
static enum err
api_conf_check_clients(const struct api_conf *c, const char *path,
    char *errbuf, size_t errlen)
{
	struct eventbridge_send_config ec;
	struct eventbridge_send *eb;
	struct s3_conf sc;
	struct s3 *s3 = NULL;
	enum err rc;

	app_s3_conf(c, &sc);
	if ((rc = s3_open(&s3, &sc)) != ERR_OK)
		return rc == ERR_CONFIG ? conf_refuse(errbuf, errlen,
		    path, "s3_access_key_id", "the S3 client refuses the "
		    "key pair (see the line above)") : rc;
	s3_close(s3);
	if (c->events != API_EVENTS_EVENTBRIDGE)
		return ERR_OK;
	deliver_eventbridge_conf(c, &ec);
	if (ec.endpoint[0] != '\0' && !api_conf_locates(ec.endpoint,
	    "bucket", 1))
		return conf_refuse(errbuf, errlen, path,
		    "events_endpoint", "\"%s\" is not http[s]://host[:port] "
		    "(no path, query or user part, a port 1..65535)",
		    ec.endpoint);
	if ((eb = eventbridge_send_new(&ec)) == NULL)
		return conf_refuse(errbuf, errlen, path,
		    c->events_region[0] != '\0' ? "events_region" : "s3_region",
		    "the EventBridge sender refuses it (see the line above)");
	eventbridge_send_free(eb);
	return ERR_OK;
}

enum err
api_conf_validate(const struct api_conf *c, const char *path, char *errbuf,
    size_t errlen)
{
	enum err rc;

	if ((rc = api_conf_check_s3_location(c, path, errbuf, errlen)) !=
	    ERR_OK ||
	    (rc = api_conf_check_keys(c, path, errbuf, errlen)) != ERR_OK ||
	    (rc = api_conf_check_jwt(c, path, errbuf, errlen)) != ERR_OK ||
	    (rc = api_conf_check_journal(c, path, errbuf, errlen)) != ERR_OK ||
	    (rc = api_conf_check_ranges(c, path, errbuf, errlen)) != ERR_OK ||
	    (rc = sse_check_conf(c, path, errbuf, errlen)) != ERR_OK ||
	    (rc = api_conf_check_clients(c, path, errbuf, errlen)) != ERR_OK)
		return rc;
	return ERR_OK;
}

/* Load and validate; on error *c is freed and errbuf says why. */
static enum err
api_conf_read(struct api_conf *c, const char *path, char *errbuf,
    size_t errlen)
{
	enum err rc;

	rc = conf_load(api_conf_table, c, path, 0, errbuf, errlen);
	if (rc == ERR_OK)
		rc = api_conf_validate(c, path, errbuf, errlen);
	if (rc == ERR_NOMEM)
		snprintf(errbuf, errlen, "%s", err_strerror(rc));
	if (rc != ERR_OK)
		api_conf_free(c);
	return rc;
}

enum err
api_conf_load(struct api_conf *c, const char *path)
{
	char msg[1024];
	enum err rc;

	if ((rc = api_conf_read(c, path, msg, sizeof(msg))) != ERR_OK)
		log_error("%s", msg);
	return rc;
}

int
api_conf_check(const char *path)
{
	struct api_conf c;
	char msg[1024];
	enum err rc;

	memset(&c, 0, sizeof(c));
	/* One line: the libraries' own warnings about the same fault (the
	 * URL parser's, say) would only repeat it. */
	log_init("audio-api", LOGL_ERROR, 2);
	rc = api_conf_read(&c, path, msg, sizeof(msg));
	api_conf_free(&c);
	if (rc != ERR_OK) {
		fprintf(stderr, "audio-api: %s\n", msg);
		return 1;
	}
	printf("audio-api: %s: config ok\n", path != NULL ? path :
	    "(no config file)");
	return 0;
}

int
api_conf_check_connect(const char *path)
{
	struct api_conf c;
	struct journal *j = NULL;
	char msg[1024], where[512];
	enum err rc;
	int status = 1, v;

	if (api_conf_check(path) != 0)
		return 1;
	memset(&c, 0, sizeof(c));
	if (api_conf_read(&c, path, msg, sizeof(msg)) != ERR_OK)
		goto out;
	journal_target_describe(c.journal, where, sizeof(where));
	/* Read-only: connects and reads the schema version, migrates
	 * nothing (a journal that needs migrating is reported). */
	rc = app_journal_open(&c, &j, JOURNAL_READONLY);
	if (rc != ERR_OK) {
		fprintf(stderr, "audio-api: journal %s: %s (see the line "
		    "above)\n", where, rc == ERR_CONFIG ? "its schema is "
		    "newer than this program" : "cannot open it, or its "
		    "schema is not current");
		goto out;
	}
	v = journal_schema_version(j);
	printf("audio-api: journal %s (%s): reachable, schema version %d, "
	    "current\n", where, journal_driver_name(j), v);
	status = 0;
out:
	journal_close(j);
	api_conf_free(&c);
	return status;
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
