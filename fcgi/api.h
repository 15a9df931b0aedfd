/*
 * api.h: the private header of audio-api, the FastCGI program of the
 * storage path.
 *
 * audio-api is thin: it owns the process model (main.c, master.c,
 * worker.c), the FastCGI request context and its replies (req.c), the route
 * handlers (routes.c: the route table and dispatch; sessions.c and
 * recordings.c: the handlers), the S3 adapter over libcurl (s3.c) and its
 * config table and config check (api_conf.c).  Everything that can be
 * done without I/O lives in lib/ (JWT checks, JSON validation) and
 * lib/storage/ (route matching, SigV4, S3 keys, the journal, manifest
 * rendering, the AWS credential chain and the EventBridge sender).
 *
 * Lifetimes: struct api_conf is loaded once per process (and again on
 * SIGHUP); struct app is one per worker process, opened after fork() (the
 * SQLite connection, the curl handle and the JWKS cache are never shared
 * across processes); struct req lives for one FastCGI request and is freed
 * in one place, req_free().
 */
#ifndef API_H
#define API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "limit.h"

struct journal;
struct jsonv_doc;
struct cognito;
struct s3;
struct tokcache;
struct ratewin;
struct req;

/* -------------------------------------------------------------- config */

enum api_addressing {
	API_S3_VIRTUAL = 0,
	API_S3_PATH = 1,
};

/* The config of audio-api, filled by api_conf.c's table (see
 * conf/audio-api.conf.example).  Durations are milliseconds. */
struct api_conf {
	char		*listen;	/* "" or NULL: fd 0 */
	int64_t		 listen_backlog;
	int64_t		 workers;	/* 0: serve in this process */
	int		 log_level;
	int64_t		 drain_timeout;
	int64_t		 restart_backoff_max;

	int64_t		 body_max;
	int64_t		 chunk_max_bytes;
	int64_t		 multipart_max_bytes;	/* 0: no multipart */
	int64_t		 multipart_part_bytes;	/* smallest part */
	int64_t		 presign_expires;	/* ms, whole seconds used */
	int64_t		 playback_expires;	/* ms, whole seconds used */
	int64_t		 list_limit;
	int64_t		 delete_recheck_margin;
	int64_t		 finalize_grace;	/* late chunks; 0: none */
	int64_t		 user_open_sessions;	/* per-user limits; 0: none */
	int64_t		 user_sessions_per_hour;
	int64_t		 session_presigns_per_minute;	/* 0: none */
	struct conf_list cors_origins;
	int64_t		 retry_after;		/* ms, whole seconds sent */

	char		*journal;
	int64_t		 journal_busy_timeout;
	int64_t		 journal_connect_timeout;
	char		*state_dir;		/* "": the journal's directory */

	char		*s3_bucket;
	char		*s3_region;
	char		*s3_endpoint;		/* "": AWS for s3_region */
	int		 s3_addressing;
	int64_t		 s3_timeout;
	int64_t		 s3_connect_timeout;
	char		*s3_access_key_id;
	char		*s3_secret_access_key;
	char		*s3_session_token;
	bool		 s3_sse;
	bool		 require_checksums;	/* presign names sha256/md5 */
	bool		 require_write_once;	/* every PUT If-None-Match: * */
	char		*sse;			/* AES256, aws:kms, off; NULL:
						   s3_sse says */
	char		*sse_kms_key_id;
	int		 sse_bucket_key;	/* API_SSE_BUCKET_KEY_* */
	bool		 manifest_fence;	/* conditional manifest PUTs */

	char		*jwt_issuer;
	char		*jwt_client_ids;
	char		*jwt_token_use;
	char		*jwt_jwks_url;
	int64_t		 jwt_leeway;		/* ms, whole seconds used */
	int64_t		 jwks_ttl;
	int64_t		 jwt_cache_ttl;		/* 0: no cache */
	int64_t		 jwt_cache_entries;
	int64_t		 jwks_timeout;

	int64_t		 health_cache;		/* ms an S3 probe is reused */

	/* Not config keys: set by main() from the command line. */
	int64_t		 workers_cli;		/* --workers, -1 if not given */
	/* durable delivery (deliver.c): the outbox loop and EventBridge */
	int		 events;		/* API_EVENTS_* */
	char		*events_bus;		/* "": the default bus */
	char		*events_source;
	char		*events_region;		/* "": s3_region */
	char		*events_endpoint;	/* "": AWS for the region */
	int64_t		 events_timeout;
	bool		 deliver_child;		/* master runs the loop */
	int64_t		 deliver_batch;
	int64_t		 deliver_poll;
	int64_t		 deliver_lease;
	int64_t		 deliver_max_attempts;
	int64_t		 deliver_backoff_base;
	int64_t		 deliver_backoff_max;
	int64_t		 health_outbox_stuck;	/* 0: never 503 for it */
	/* lifecycle (deliver_lifecycle.c, deliver_sweep.c) */
	int64_t		 session_max_open;	/* idle open ms; 0: never */
	int64_t		 retention_days;	/* 0: keep forever */
	int64_t		 lifecycle_interval;
	int64_t		 multipart_purge_after;	/* finished rows kept */
	int		 sweep;			/* API_SWEEP_* */
	int64_t		 sweep_interval;	/* between passes */
	int64_t		 sweep_min_age;		/* LastModified at least */
	int64_t		 sweep_grace;		/* after a URL's expiry */
	int64_t		 sweep_page_keys;	/* keys per round */
};

/* api_conf.sweep: what the orphan sweep does. */
enum api_sweep {
	API_SWEEP_OFF = 0,
	API_SWEEP_DRY_RUN = 1,		/* log and count, delete nothing */
	API_SWEEP_ON = 2,
};


/* api_conf.events: what the delivery loop does with events. */
enum api_events {
	API_EVENTS_EVENTBRIDGE = 0,	/* PutEvents; kept until accepted */
	API_EVENTS_DISCARD = 1,		/* marked delivered without sending */
};

extern const struct conf_key api_conf_table[];

/*
 * Load path (NULL: defaults and environment) into *c (all zero, or left
 * by api_conf_free()) and run api_conf_validate() on it: start-up, the
 * delivery loop and every SIGHUP reload go through here.  On error the
 * message (file:line, or file: key) is logged, *c is freed and ERR_CONFIG
 * returned.
 */
enum err	api_conf_load(struct api_conf *c, const char *path);
void		api_conf_free(struct api_conf *c);
/*
 * What can be checked without the network, past the table's own checks:
 * the S3 endpoint URL, bucket name and addressing, the key pair (both or
 * neither), the token verifier's settings (a file:// JWKS must hold a key
 * set), the journal's directory (writable), the EventBridge endpoint, and
 * values that depend on each other; then it builds the S3 client and the
 * EventBridge sender as a worker would (nothing is sent) so that a config
 * that passes here starts its workers.  path only names the file in the
 * message.  ERR_OK, or ERR_CONFIG with one line "<file>: <key>: why" in
 * errbuf; ERR_NOMEM.
 */
enum err	api_conf_validate(const struct api_conf *c, const char *path,
		    char *errbuf, size_t errlen);
/* The -n/--check-config mode: load and validate path, print "audio-api:
 * <file>: config ok" to stdout or "audio-api: <why>" to stderr, and
 * return the exit status (0 or 1). */
int		api_conf_check(const char *path);
/* api_conf_check(), then open the journal read-only: reachable and its
 * schema current (-n --connect).  0 or 1, said on stdout/stderr. */
int		api_conf_check_connect(const char *path);

/*
 * SIGHUP: load path afresh; if it is good, close what uses *c
 * (close_fn(arg)), replace *c, reset the log level and reopen
 * (open_fn(arg, c)).
 * A bad file changes nothing (logged).  what names the reopened thing in
 * the log when reopening fails.
 */
void		api_conf_reload(struct api_conf *c, const char *path,
		    void (*close_fn)(void *), enum err (*open_fn)(void *,
		    struct api_conf *), void *arg, const char *what);

/* ------------------------------------------------------------- process */

/* Flags set by signal handlers and read by the loops (worker.c). */
extern volatile sig_atomic_t api_sig_term;
extern volatile sig_atomic_t api_sig_hup;

/*
 * Serve FastCGI requests on listen_fd in this process until SIGTERM (or
 * SIGINT): the request in progress always finishes first.  SIGHUP reloads
 * conf_path in place between requests.  The journal, S3 client and token
 * verifier are opened here, i.e. after any fork().  Returns the process
 * exit status.
 */
int		worker_run(int listen_fd, const char *conf_path,
		    struct api_conf *conf);
/*
 * Signal set-up shared by workers and the delivery process: SIGTERM/SIGINT
 * set api_sig_term, SIGHUP sets api_sig_hup (handlers only set the flags,
 * no SA_RESTART), SIGPIPE ignored; the three are blocked and *waitmask is
 * the mask to wait with while idle.
 */
void		worker_signals(sigset_t *waitmask);

/*
 * The prefork master: fork conf->workers children running worker_run() on
 * listen_fd, restart dead ones with exponential backoff, forward SIGHUP
 * (after reloading and checking conf_path itself) and on SIGTERM stop
 * forking, forward SIGTERM and wait up to drain_timeout for in-flight
 * requests to finish before SIGKILL.  It only supervises: it never accepts.
 * Returns the exit status.
 */
int		master_run(int listen_fd, const char *conf_path,
		    struct api_conf *conf);

/*
 * Open the listening socket for spec "host:port", "[v6]:port" or
 * "unix:/path" (mode 0660; an existing socket file is replaced).  Returns
 * the fd or -1 (logged).
 */
int		listen_open(const char *spec, int backlog);
/*
 * Stopping: remove a unix socket's path (spec "unix:/path"; other specs,
 * NULL or "" do nothing), so new connections are refused at once while
 * the ones already queued are still served.
 */
void		listen_retire(const char *spec);

/* ----------------------------------------------------------------- app */

/* Per-worker state, opened after fork(). */
struct app {
	struct api_conf	*conf;
	struct journal	*journal;
	struct cognito	*auth;
	struct tokcache	*tokens;	/* verified tokens; NULL: none */
	struct s3	*s3;
	char		 lease_owner[96];	/* "host:pid" for outbox claims */
	int64_t		 journal_retry_ms;	/* next open attempt */
	int64_t		 health_checked_ms;	/* the last S3 probe's */
	enum err	 health_s3;
	int		 health_fd;		/* fcgi/s3health.c */
	int64_t		 health_probing_ms;	/* a probe of the host began */
	struct ratewin	*presign_rate;		/* fcgi/presignrate.c */
	void		*presign_rate_map;
	int		 presign_rate_tried;
	int64_t		 presign_rate_full_ms;	/* last "table full" log */
	struct buf	 out;		/* reply text, reused (req_out()) */
};

/* Open the verifier and S3 client (ERR_CONFIG and friends, logged) and try
 * the journal.  On error everything is closed again. */
enum err	app_open(struct app *, struct api_conf *);
/* The settings app_open() gives the token verifier (without its fetcher)
 * and the S3 client; the strings are borrowed from conf. */
struct cognito_conf;
void		app_cognito_conf(const struct api_conf *,
		    struct cognito_conf *);
struct s3_conf;
void		app_s3_conf(const struct api_conf *, struct s3_conf *);
/* The journal connection, opening it if needed; NULL (logged) if it cannot
 * be opened right now: answer 503. */
struct journal	*app_journal(struct app *);
/* Open the configured journal (its timeouts; flags: JOURNAL_READONLY). */
enum err	app_journal_open(const struct api_conf *, struct journal **,
		    unsigned flags);
void		app_close(struct app *);
/* 1 if the lease owner "host:pid" is a process of this host that no
 * longer exists (killed mid-write): its leases may be ended at once. */
int		app_owner_gone(const struct app *, const char *owner);

/* ------------------------------------------------------------ hoststate */

/*
 * The small files the workers of one host share (hoststate.c).
 * hoststate_open: open (creating, mode 0600) the file named for suffix
 * (".s3probe"), its path in path for messages; the fd, or -1 with errno
 * set.  hoststate_lock: flock(2) it exclusively, waiting or not; 0 when
 * held.  hoststate_read: the whole file if 1..max bytes, NUL-terminated,
 * in a new buffer (NULL otherwise).  hoststate_replace: make head + body
 * the whole file; 0, or -1 with errno set.
 */
#define HOSTSTATE_PATH_SIZE	2112	/* state_dir + '/' + journal + suffix */

int		hoststate_open(const struct api_conf *, const char *suffix,
		    char *path, size_t pathsz);
int		hoststate_lock(int fd, int wait);
void		hoststate_unlock(int fd);
char		*hoststate_read(int fd, size_t max, size_t *len);
int		hoststate_replace(int fd, const void *head, size_t hlen,
		    const void *body, size_t blen);

/* ------------------------------------------------------------ jwksshare */

/* The verifier's key fetcher (jwks_cache.h's jwks_fetch_fn; arg is the
 * struct app): one fetch per host and refetch interval, shared through
 * the host's .jwks state file (see jwksshare.c). */
enum err	jwksshare_fetch(void *arg, const char *url, long timeout_ms,
		    size_t max, char **body, size_t *len);

/* ------------------------------------------------------------ s3health */

#define S3HEALTH_UNOPENED	(-1)	/* app->health_fd before the first use */
#define S3HEALTH_NONE		(-2)	/* no shared file: memory only */

/* The S3 probe /healthz reports: the host's last result while younger
 * than health_cache, else a new probe unless another worker of the host
 * is probing (then the last result).  *age_ms: how old the result is (-1:
 * none yet, reported as ERR_UNAVAILABLE). */
enum err	s3health_check(struct app *, int64_t now, int64_t *age_ms);
void		s3health_close(struct app *);

/* ---------------------------------------------------------- presignrate */

/* session_presigns_per_minute, counted per session across the workers of
 * the host: 0 if r may presign, else -1 after answering 429. */
int		presignrate_check(struct req *);
void		presignrate_close(struct app *);

/* ------------------------------------------------------------- request */

#define REQ_ID_SIZE	24
#define REQ_ALLOW_SIZE	64

/* One FastCGI request.  Everything a handler allocates for the request
 * hangs off this struct (or is freed before the handler returns) and
 * req_free() releases it. */
/* The params every request reads, found in one pass (req.c). */
#define REQ_PARAMS_KNOWN	9

struct req {
	FCGX_Request		*fr;
	const char		*params[REQ_PARAMS_KNOWN];	/* borrowed */
	struct app		*app;
	char			 id[REQ_ID_SIZE];
	const char		*method;	/* from the params; borrowed */
	const char		*uri;		/* REQUEST_URI, query and all;
						 * borrowed */
	int			 path_len;	/* of uri before its query */
	const char		*origin;	/* NULL if none or not allowed */
	char			*body;
	size_t			 body_len;
	int			 body_whole;	/* Content-Length bytes read */
	struct jsonv_doc	*doc;		/* parsed body */
	char			 sub[LIMIT_SUB_BYTES + 1];	/* the caller */
	char			 session_id[LIMIT_SESSION_ID_BYTES + 1];
						/* from the path, "" if none */
	int			 status;	/* answered with */
	int64_t			 start_ms;
};

/* Build the context for an accepted request: request id, method, URI,
 * allowed CORS origin.  Allocates nothing: ERR_OK. */
enum err	req_init(struct req *, FCGX_Request *, struct app *);
void		req_free(struct req *);
/* A FastCGI param (CGI variable) or NULL. */
const char	*req_param(const struct req *, const char *name);

/*
 * Read the body: refuses a Content-Type other than application/json (415),
 * a Content-Length or body over body_max (413).  On ERR_OK req->body holds
 * body_len bytes plus a NUL.  On error the error reply has been sent.
 */
enum err	req_read_json(struct req *);
/*
 * After the reply: whether the web server has nothing more to send on this
 * request's connection (its FCGI_STDIN stream has ended), so the worker
 * may close it without libfcgi's lingering drain.  Never waits on a body
 * that was not read.
 */
int		req_input_ended(struct req *);

/* Send status and a JSON object as the reply; takes obj's reference. */
void		req_reply(struct req *, int status, json_object *obj);
/*
 * The hot routes' replies are appended as text (buf_add_json and friends)
 * rather than built as json-c trees: the tree, its strings and its
 * serialisation were a fifth of a presign's allocations.  req_out() hands
 * out the worker's reply buffer, emptied (it keeps its memory between
 * requests); req_reply_buf() sends what is in it with status.
 */
struct buf	*req_out(struct req *);
void		req_reply_buf(struct req *, int status, const struct buf *);
/*
 * Send the JSON error body {"error": message, "code": err_code(e),
 * "field": field?} with err_http_status(e) and, per status, the headers it
 * needs: WWW-Authenticate (401), Allow (405, from allow), Retry-After
 * (502/503).  message NULL: err_strerror(e).
 */
void		req_error(struct req *, enum err e, const char *message,
		    const char *field, const char *allow);
/* A session's totals as every reply names them: chunkCount, totalBytes
 * and, if duration_ms is not NULL, durationMs. */
void		req_add_totals(json_object *, int64_t chunks, int64_t bytes,
		    const int64_t *duration_ms);
/* The worker's journal, or NULL after answering 503 (unavailable). */
struct journal	*req_journal(struct req *);
/* Answer an error of a journal call on the request's session: 404
 * "session not found", 409 with conflict (NULL: the code's own text), 503
 * "journal unavailable", else the error's own text. */
void		req_journal_error(struct req *, enum err rc,
		    const char *conflict);
/* 429 rate_limited: {"error": message, "code", "limit": name} with
 * Retry-After (seconds, at least 1). */
void		req_limited(struct req *, const char *name,
		    int64_t retry_after_ms, const char *message);
/* Answer a CORS preflight (204). */
void		req_preflight(struct req *, const char *allow);

/* How far a recorded presign expiry may lag the newest URL's
 * (journal_note_presign()): a tenth of the URL lifetime, at most a
 * minute. */
#define API_PRESIGN_SLACK_MS(conf) \
	((conf)->presign_expires / 10 < 60000 ? (conf)->presign_expires / 10 : \
	60000)

/* ------------------------------------------------------------ integrity */

struct s3meta;
struct sigv4_header;
struct journal_chunk;

/* What a presign asked to be signed into the chunk's URL. */
struct integrity_put {
	const char	*sha256;	/* base64 SHA-256, or NULL */
	const char	*md5;		/* base64 MD5, or NULL */
	int		 write_once;	/* If-None-Match: * */
};
/* Headers integrity_sign() may add to a presign, and metadata. */
#define INTEGRITY_HEADERS_MAX	3
#define INTEGRITY_META_MAX	2

/* presign's sha256 and md5 (NULL when absent; strings stay borrowed) and
 * writeOnce: check them, require_checksums and require_write_once into
 * *ip.  0, or -1 after answering 400 naming the field. */
int		integrity_presign(struct req *, const char *sha256,
		    size_t sha_len, const char *md5, size_t md5_len,
		    int write_once, struct integrity_put *ip);
/* Append to h[*nh..] the headers the client must send (S3 checks them)
 * and to meta[*nmeta..] the metadata that records them with the object. */
void		integrity_sign(const struct integrity_put *,
		    struct sigv4_header *h, size_t *nh,
		    struct sigv4_header *meta, size_t *nmeta);
/* complete: compare what the HEAD of key answered (m, with
 * x-amz-checksum-mode) with the checksums its URL was presigned with.
 * ERR_OK, or ERR_MISMATCH after answering 422 naming sha256 or md5. */
enum err	integrity_verify(struct req *, const char *key,
		    const struct s3meta *m);
/* Fill c's md5/sha256 the client left out with the presigned values, and
 * its etag with the object's (c then points into m); a client value in
 * base64 that differs from the presigned one is 422.  0, or -1 after
 * answering. */
int		integrity_record(struct req *, const struct s3meta *m,
		    struct journal_chunk *c);

/* ------------------------------------------------------------------ sse */

#define API_SSE_BUCKET_KEY_DEFAULT	0	/* no header: the bucket's */
#define API_SSE_BUCKET_KEY_ON		1
#define API_SSE_BUCKET_KEY_OFF		2
/* Headers sse_sign() may add to a presign. */
#define SSE_HEADERS_MAX			3

/* "AES256", "aws:kms", or NULL for none: sse, else s3_sse's AES256. */
const char	*sse_algorithm(const struct api_conf *);
/* Append to h[*nh..] the encryption headers a chunk PUT signs. */
void		sse_sign(const struct api_conf *, struct sigv4_header *h,
		    size_t *nh);
/* complete: does the HEAD of key (m) report the configured encryption?
 * ERR_OK, or ERR_MISMATCH after answering 422 naming sse. */
enum err	sse_verify(struct req *, const char *key,
		    const struct s3meta *m);
/* -n: sse, sse_kms_key_id (its form, its region against s3_region) and
 * sse_bucket_key together.  ERR_OK, or ERR_CONFIG with errbuf set. */
enum err	sse_check_conf(const struct api_conf *, const char *path,
		    char *errbuf, size_t errlen);

/* Dispatch one request (routes.c): route, CORS, auth, handler. */
void		routes_handle(struct req *);

/* The session handlers (sessions.c).  Called with the caller's sub in
 * r->sub, a valid session id in r->session_id (except create) and the
 * parsed body in r->doc; each sends exactly one reply. */
void		sessions_create(struct req *);
void		sessions_presign(struct req *);
void		sessions_complete(struct req *);
void		sessions_manifest(struct req *);
void		sessions_finalize(struct req *);

/*
 * Chunks over chunk_max_bytes, through S3 multipart uploads (multipart.c).
 * multipart_chunk_limit(): the largest chunk this config takes at all.
 * multipart_wanted(): whether a chunk of size goes multipart.
 * multipart_too_large(): answer 413 for size in field, naming the limit.
 * multipart_presign(): the presign answer for a chunk multipart_wanted();
 * the caller has checked the fields, the session and the late-chunk rule
 * and built key; recorded as journal_get_session_presign() gave it;
 * finalized: the session is (a late last chunk); part_sha256 (JSON array
 * or NULL) the presign's partSha256, write_once its writeOnce.  Answers
 * in every case.
 * multipart_complete(): check uploadId and parts (JSON array) against the
 * recorded upload and have S3 put the object together; ERR_OK when the
 * object should now be in S3 (the caller verifies and merges it as any
 * chunk), else the error has been answered.
 */
struct journal_chunk;
int64_t		multipart_chunk_limit(const struct api_conf *);
int		multipart_wanted(const struct api_conf *, int64_t size);
void		multipart_too_large(struct req *, const char *field,
		    int64_t size);
void		multipart_presign(struct req *, struct journal *,
		    const char *key, int64_t seq, const char *ctype,
		    int64_t size, int64_t recorded, int finalized,
		    json_object *part_sha256, int write_once);
enum err	multipart_complete(struct req *, struct journal *,
		    const struct journal_chunk *c, const char *upload_id,
		    json_object *parts);
/*
 * Schedule the abort of the session's open multipart uploads at at_ms:
 * now when a session is deleted or abandoned, the end of its late-chunk
 * window when it is finalized.  The delivery loop aborts them
 * (multipart_abort_due(): up to a batch per round, backoff, given up
 * after deliver_max_attempts; returns how many were tried, -1 if the
 * journal is unavailable).
 */
enum err	multipart_abort_session(struct app *, const char *session_id,
		    int64_t at_ms);
long		multipart_abort_due(struct app *);
/*
 * Delete the journal's rows of uploads finished (completed, aborted,
 * given up) multipart_purge_after ago, a bounded batch per call, at most
 * every lifecycle_interval unless a full batch says more wait.  Returns
 * the rows deleted, or -1 if the journal is unavailable.
 */
long		multipart_purge(struct app *);
/*
 * Resolve intents of CreateMultipartUpload left behind (a worker died
 * between S3's answer and the journal row, or got no answer): list the
 * key's uploads in S3 and abort those the journal does not know; up to a
 * batch per call, retried with backoff, given up after
 * deliver_max_attempts.  Returns how many were tried, -1 if the journal
 * is unavailable.
 */
long		multipart_resolve_due(struct app *);

/* The recordings handlers (recordings.c), called like the session
 * handlers; GET ones also serve HEAD (req.c leaves the body out). */
void		recordings_list(struct req *);
void		recordings_get(struct req *);
void		recordings_delete(struct req *);

/* ------------------------------------------------------------------ s3 */

struct s3_conf {
	const char	*endpoint;	/* NULL/"": https://s3.<region>.amazonaws.com */
	const char	*bucket;
	const char	*region;
	int		 path_style;
	long		 timeout_ms;
	long		 connect_timeout_ms;
	const char	*access_key_id;
	const char	*secret_access_key;
	const char	*session_token;	/* NULL or "" if none */
};

/* One S3 client per worker: a reused curl easy handle (so the connection
 * is kept alive) and a SigV4 signer.  Credentials: access_key_id and
 * secret_access_key if given (both, or ERR_CONFIG), else the standard AWS
 * chain (lib/storage/aws.h), asked before each signature; no credentials then is
 * ERR_UNAVAILABLE from the calls below.  ERR_CONFIG (logged) for bad
 * credentials or endpoint, ERR_NOMEM. */
enum err	s3_open(struct s3 **, const struct s3_conf *);
void		s3_close(struct s3 *);

/*
 * HEAD an object.  ERR_OK with *size its Content-Length; ERR_NOT_FOUND
 * when S3 answers 404; ERR_UPSTREAM for any other answer (403 a bad
 * signature or clock, 5xx); ERR_UNAVAILABLE when S3 cannot be reached or
 * times out.  Failures are logged here.
 */
enum err	s3_head(struct s3 *, const char *key, int64_t *size);
/* s3_head() that also reads the chunk metadata the object was stored with
 * (x-amz-meta-user-id, -session-id, -seq; lib/storage/s3meta.h), its ETag,
 * checksum (asked for with x-amz-checksum-mode: ENABLED) and encryption
 * into *meta. */
struct s3meta;
enum err	s3_head_meta(struct s3 *, const char *key, int64_t *size,
		    struct s3meta *meta);
/* PUT an object body.  Errors as s3_head(), minus ERR_NOT_FOUND (a 404
 * here means a missing bucket: ERR_UPSTREAM). */
enum err	s3_put(struct s3 *, const char *key, const void *body,
		    size_t len, const char *content_type);
/*
 * A conditional PUT: If-Match: if_match (an ETag as S3 answered it), or
 * If-None-Match: * when if_match is NULL (create only), both signed.
 * ERR_OK when S3 took it, with its ETag in etag[0..etag_cap) ("" if the
 * answer had none); ERR_CONFLICT when the condition did not hold (412
 * PreconditionFailed, or 409 ConditionalRequestConflict: another
 * conditional write raced it), nothing written; other errors as s3_put().
 */
enum err	s3_put_if(struct s3 *, const char *key, const void *body,
		    size_t len, const char *content_type, const char *if_match,
		    char *etag, size_t etag_cap);
/*
 * GET an object: its body into *body (reset here, at most max bytes; free
 * with httpbody_free()) and its ETag (with any chunk metadata) into *meta.
 * ERR_NOT_FOUND on 404; ERR_UPSTREAM for another answer or a body over
 * max; errors otherwise as s3_head().  On error *body is empty.
 */
struct httpbody;
enum err	s3_get(struct s3 *, const char *key, size_t max,
		    struct httpbody *body, struct s3meta *meta);
/* HEAD the bucket: ERR_OK if S3 answers 200. */
enum err	s3_probe(struct s3 *);
/* A presigned PUT URL for key, signing headers[0..n) (the client must send
 * exactly those) and hoisting hoist[0..nhoist) (x-amz-meta-*) into its
 * signed query, as the AWS SDK's presigner does (the client sends nothing
 * for them); *url is malloc'd.  *expires: in, the lifetime wanted
 * (seconds); out, the lifetime given, cut to the signing credentials'
 * remaining lifetime (awscred_cap_expires()) and equal to X-Amz-Expires.
 * ERR_UNAVAILABLE (logged) if there are no credentials or they have
 * expired. */
struct sigv4_header;
enum err	s3_presign_put(struct s3 *, const char *key,
		    const struct sigv4_header *headers, size_t n,
		    const struct sigv4_header *hoist, size_t nhoist,
		    long *expires, char **url);
/* A presigned GET URL for key (playback), *expires and errors as
 * s3_presign_put(). */
enum err	s3_presign_get(struct s3 *, const char *key, long *expires,
		    char **url);
/*
 * One page (up to LIMIT_S3_DELETE_BATCH keys) of ListObjectsV2 under
 * prefix, continuing after token (NULL: the first page).  *out as
 * s3xml_list_parse() fills it (free with s3xml_list_free()).  Errors as
 * s3_head() (no ERR_NOT_FOUND); an answer that cannot be read is
 * ERR_UPSTREAM.
 */
struct s3xml_list;
enum err	s3_list_page(struct s3 *, const char *prefix, const char *token,
		    struct s3xml_list *out);
/* One page of at most max_keys (1..LIMIT_S3_DELETE_BATCH) keys of prefix
 * after the key start_after (NULL or "": from the start), in S3's order;
 * the sweep resumes from a key it stored, which a continuation token
 * (opaque, and not promised to live) could not do.  As s3_list_page(). */
enum err	s3_list_after(struct s3 *, const char *prefix,
		    const char *start_after, int max_keys,
		    struct s3xml_list *out);
/* DeleteObjects of keys[0..n) (1..LIMIT_S3_DELETE_BATCH), Content-MD5
 * signed.  ERR_OK only when S3 reports no key it failed to delete (a key
 * that did not exist counts as deleted); errors as s3_head(). */
enum err	s3_delete_keys(struct s3 *, char *const *keys, size_t n);
const char	*s3_bucket(const struct s3 *);

/*
 * Multipart uploads, for chunks over the single-PUT limit (multipart.c).
 * s3_mpu_create(): CreateMultipartUpload of key with Content-Type
 * content_type and headers[0..n) (n <= 8: SSE, x-amz-meta-*; all signed,
 * and S3 stores them with the object as a PUT's would be); the UploadId
 * into upload_id (cap bytes).  Errors as s3_put(); an answer without an
 * UploadId is ERR_UPSTREAM.
 */
enum err	s3_mpu_create(struct s3 *, const char *key,
		    const char *content_type, const struct sigv4_header *headers,
		    size_t n, char *upload_id, size_t cap);
/* A presigned UploadPart URL (PUT ?partNumber=part&uploadId=...): the
 * client sends the part's bytes and headers[0..n) (signed: the part's
 * x-amz-checksum-sha256, or none); *expires as s3_presign_put(). */
enum err	s3_presign_part(struct s3 *, const char *key,
		    const char *upload_id, int part,
		    const struct sigv4_header *headers, size_t n, long *expires,
		    char **url);
/*
 * CompleteMultipartUpload with parts[0..n).  ERR_OK with the object's ETag
 * in etag; otherwise S3's error code in code ("" if none): ERR_NOT_FOUND
 * for NoSuchUpload (aborted, or completed already: the caller HEADs the
 * object), ERR_FIELD for a parts list S3 refuses (InvalidPart,
 * InvalidPartOrder, EntityTooSmall, MalformedXML), ERR_CONFLICT for 412
 * PreconditionFailed (if_none_match: sent with If-None-Match: *, signed,
 * and an object already has the key), ERR_UNAVAILABLE for no answer, a
 * 5xx or a 200 that carries an <Error>, ERR_UPSTREAM otherwise.
 */
struct s3xml_part;
enum err	s3_mpu_complete(struct s3 *, const char *key,
		    const char *upload_id, const struct s3xml_part *parts,
		    size_t n, int if_none_match, char *etag, size_t etag_cap,
		    char *code, size_t code_cap);
/* AbortMultipartUpload: ERR_OK (204), ERR_NOT_FOUND when S3 no longer
 * knows the upload (aborted or completed before), else as s3_head(). */
enum err	s3_mpu_abort(struct s3 *, const char *key,
		    const char *upload_id);
/* ListMultipartUploads of the bucket with prefix: one page (up to
 * S3XML_UPLOADS_MAX; out->truncated says more wait) of the uploads begun
 * and neither completed nor aborted, into *out (free with
 * s3xml_uploads_free()).  Errors as s3_list_page(). */
struct s3xml_uploads;
enum err	s3_mpu_list(struct s3 *, const char *prefix,
		    struct s3xml_uploads *out);

/* ------------------------------------------------------------- deliver */

struct journal_outbox_item;

/*
 * The delivery loop of `audio-api --deliver` and of the master's extra
 * child: claim due outbox items with a lease, write manifests to S3,
 * send events to EventBridge in PutEvents batches, and mark each item
 * done, failed (retried after an exponential backoff with jitter) or dead
 * (after deliver_max_attempts, or refused for good).  Runs until SIGTERM;
 * SIGHUP reloads conf_path.  Returns the process exit status.
 */
int		deliver_run(const char *conf_path, struct api_conf *conf);
/* The settings the delivery loop gives its EventBridge sender (strings
 * borrowed from conf). */
struct eventbridge_send_config;
void		deliver_eventbridge_conf(const struct api_conf *,
		    struct eventbridge_send_config *);

/*
 * Deliver one claimed manifest write (the immediate attempt after a
 * commit and the loop both call this): PUT item->payload to the session's
 * manifest key unless the lease has run out, then journal_outbox_done(),
 * or journal_outbox_fail() with the backoff for item->attempts, or
 * journal_outbox_dead() once deliver_max_attempts is reached.  Returns the
 * S3 (or journal) error; ERR_OK when the manifest is in S3.
 */
enum err	deliver_manifest(struct app *,
		    const struct journal_outbox_item *item);

/*
 * Claim the due deletions (journal deletions table) and work each through
 * its phases (deliver_delete.c).  Returns how many were claimed, or -1 if
 * the journal is unavailable.
 */
long		deliver_deletions(struct app *, int lease_seconds);

struct journal_abandoned;

/*
 * Every lifecycle_interval: finalize the abandoned sessions (open and idle
 * for session_max_open) and accept the deletion of those older than
 * retention_days, a bounded batch of each (deliver_lifecycle.c).  Returns
 * how many sessions it changed, or -1 if the journal is unavailable.
 */
long		deliver_lifecycle(struct app *);
/*
 * Called once for each session the server has just finalized as
 * abandoned, after the commit (its event, its manifest write and the
 * abort of its unfinished multipart uploads are in the journal already):
 * logs it.  The hook for what else an abandoned session needs; it must
 * not fail the loop.
 */
void		deliver_session_abandoned(struct app *,
		    const struct journal_abandoned *);
/*
 * One round of the orphan sweep when one is due and this process gets its
 * lease (deliver_sweep.c): one page of users/ judged, orphans deleted (or,
 * dry run, logged), the position and counts saved.  Returns 0, or -1 if
 * the journal is unavailable.
 */
long		deliver_sweep(struct app *, int lease_seconds);

/* Test hook: if $AUDIO_API_FAULT_DIR/<point> exists, remove it and
 * _exit(70) (one process dies per file).  A no-op without the variable. */
void		deliver_fault(const char *point);

/* The retry time for a failed attempt number `attempts` (jittered). */
int64_t		deliver_next_attempt(const struct api_conf *, int attempts,
		    int64_t now_ms);

/* ------------------------------------------------------------- admin */

/*
 * `audio-api --outbox [list|dead|requeue ID|requeue-dead]`: print the
 * outbox counts and rows, or requeue dead items.  argv/argc are the words
 * after --outbox.  Returns the exit status (0 ok, 1 failure, 2 usage).
 */
int		admin_outbox(struct api_conf *conf, int argc, char **argv);
/* audio-api --migrate-journal FROM TO (migrate.c): 0 or 1. */
int		migrate_journal(const char *from, const char *to);

#endif /* API_H */
