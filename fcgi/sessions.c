/*
 * sessions.c: the five session routes of audio-api and the immediate
 * manifest write that follows every change.
 *
 *   POST /sessions                      sessions_create()
 *   POST /sessions/{id}/chunks/presign  sessions_presign()
 *   POST /sessions/{id}/chunks/complete sessions_complete()
 *   PUT  /sessions/{id}/manifest        sessions_manifest()
 *   POST /sessions/{id}/finalize        sessions_finalize()
 *
 * JSON field names are those of the system we replace.  The journal does
 * the bookkeeping in one transaction per change, together with the work
 * the change causes (events, the session's manifest write); right after
 * the commit sessions_sync() claims the session's manifest write and PUTs
 * the newest revision to S3.  What fails stays in the outbox for the
 * delivery loop.  A session of another user is answered exactly like a
 * missing one: the journal reports both as ERR_NOT_FOUND.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "codec.h"
#include "ident.h"
#include "journal.h"
#include "jsonv.h"
#include "log.h"
#include "s3key.h"
#include "s3meta.h"
#include "s3mpu.h"
#include "s3xml.h"
#include "sigv4.h"
#include "xalloc.h"

#define SEQ_MAX		100000000LL		/* 9 digits */
#define TIME_MAX	(1000LL * 86400 * 366 * 100)	/* a century in ms */
#define SYNC_ROUNDS	16
/* An open session counts towards user_open_sessions while it was active
 * this recently: older ones were abandoned (a crash, a closed tab). */
#define SESSIONS_OPEN_ACTIVE_MS	(24LL * 3600 * 1000)
#define SYNC_WAIT_US	50000
/* Headers a presigned chunk PUT may sign: Content-Type, sse_sign()'s and
 * integrity_sign()'s. */
#define SESSIONS_PUT_HEADERS	(1 + SSE_HEADERS_MAX + INTEGRITY_HEADERS_MAX)

#define SESSIONS_CODEC_HELP	"codec must be one of webm/opus, ogg/opus, " \
	"mp4/aac, wav/pcm, flac, a container name (webm, ogg, mp4, wav, " \
	"flac) or its MIME type (e.g. audio/webm;codecs=opus)"

/* Answer a journal error; conflict says what a 409 is about.  Here
 * ERR_TOO_LARGE is the session's chunk count (field seq). */
static void
sessions_journal_error(struct req *r, enum err rc, const char *conflict)
{
	if (rc == ERR_TOO_LARGE)
		req_error(r, rc, "too many chunks in this session", "seq",
		    NULL);
	else
		req_journal_error(r, rc, conflict);
}

static void
sessions_parts(const struct req *r, struct s3key_parts *p)
{
	memset(p, 0, sizeof(*p));
	p->sub = r->sub;
	p->sub_len = strlen(r->sub);
	p->session = r->session_id;
	p->session_len = strlen(r->session_id);
}

/* The session, which must exist, belong to the caller and (if open)
 * not be final; on failure the reply has been sent. */
static enum err
sessions_load(struct req *r, struct journal *j, struct journal_session *s,
    int open)
{
	enum err rc;

	rc = journal_get_session(j, r->sub, r->session_id, s);
	if (rc != ERR_OK) {
		sessions_journal_error(r, rc, "session conflict");
		return rc;
	}
	if (open && s->finalized) {
		req_error(r, ERR_CONFLICT, "session is finalized", NULL, NULL);
		return ERR_CONFLICT;
	}
	return ERR_OK;
}

/*
 * The late-chunk rule for a chunk starting at t_start_ms in the finalized
 * session s (see journal_late_rule()): ERR_OK if it may still come in,
 * else ERR_CONFLICT with a reply that says why.
 */
static enum err
sessions_late(struct req *r, const struct journal_session *s,
    int64_t t_start_ms)
{
	int64_t now = journal_clock_ms(r->app->journal);
	int64_t grace = r->app->conf->finalize_grace;
	char msg[256];

	switch (journal_late_rule(s, t_start_ms, grace, now)) {
	case JOURNAL_LATE_OK:
		return ERR_OK;
	case JOURNAL_LATE_OUTSIDE:
		snprintf(msg, sizeof(msg), "session is finalized with "
		    "durationMs %lld: a chunk starting at tStartMs %lld is "
		    "outside the recording", (long long)s->duration_ms,
		    (long long)t_start_ms);
		break;
	default:
		if (grace > 0)
			snprintf(msg, sizeof(msg), "session was finalized %llds "
			    "ago: a late chunk is accepted only within %llds of "
			    "finalize (finalize_grace)",
			    (long long)((now - s->finalized_ms) / 1000),
			    (long long)(grace / 1000));
		else
			snprintf(msg, sizeof(msg), "session is finalized, and "
			    "this server takes no late chunks (finalize_grace "
			    "is 0)");
		break;
	}
	req_error(r, ERR_CONFLICT, msg, "tStartMs", NULL);
	return ERR_CONFLICT;
}

/*
 * Write the session's newest manifest revision to S3 now.  want_rev 0:
 * best effort, stop when nothing is left to claim.  want_rev > 0: succeed
 * only once S3 holds at least that revision, waiting (bounded by the S3
 * timeout) for another worker's write in flight.  A failed write is left
 * in the outbox with a short backoff; the delivery loop retries it.
 */
/*
 * The session's manifest write is leased by another process.  If that is a
 * worker of this host that died mid-write (kill -9, OOM), end its leases
 * now rather than waiting s3_timeout + 10 s for them to run out.  Returns
 * 1 when leases were ended.
 */
static int
sessions_release_dead(struct app *app, const char *session_id, int64_t now)
{
	char owner[JOURNAL_LEASE_OWNER_BYTES];
	int64_t n = 0;

	if (journal_outbox_lease_owner(app->journal, session_id,
	    JOURNAL_OUTBOX_MANIFEST_WRITE, now, owner, sizeof(owner)) !=
	    ERR_OK || owner[0] == '\0' || !app_owner_gone(app, owner))
		return 0;
	if (journal_release_owner(app->journal, owner, now, &n) != ERR_OK)
		return 0;
	log_warn("session %s: ended %lld lease(s) of %s, which is gone",
	    session_id, (long long)n, owner);
	return n > 0;
}

static enum err
sessions_sync(struct app *app, const char *session_id, int64_t want_rev)
{
	struct journal *j = app->journal;
	struct journal_outbox_item item;
	struct journal_claim cl;
	size_t n;
	int64_t now, synced, deadline;
	enum err rc = ERR_OK;
	int round;

	deliver_fault("after-commit");
	deadline = journal_clock_ms(app->journal) + app->conf->s3_timeout * 2;
	for (round = 0; round < SYNC_ROUNDS * 8; round++) {
		now = journal_clock_ms(app->journal);
		memset(&cl, 0, sizeof(cl));
		cl.lease_owner = app->lease_owner;
		cl.lease_seconds = (int)(app->conf->s3_timeout / 1000) + 10;
		cl.now_ms = now;
		cl.session_id = session_id;
		cl.kind = JOURNAL_OUTBOX_MANIFEST_WRITE;
		n = 0;
		memset(&item, 0, sizeof(item));
		if ((rc = journal_outbox_claim(j, &cl, &item, 1, &n)) != ERR_OK)
			return rc;
		if (n == 0) {
			if (want_rev <= 0)
				return ERR_OK;
			if ((rc = journal_synced_revision(j, session_id,
			    &synced)) != ERR_OK)
				return rc;
			if (synced >= want_rev)
				return ERR_OK;
			if (now >= deadline)
				return ERR_UNAVAILABLE;
			if (sessions_release_dead(app, session_id, now))
				continue;
			usleep(SYNC_WAIT_US);
			continue;
		}
		/* The delivery loop's own function: same backoff, same
		 * dead-parking, same lease rule. */
		rc = deliver_manifest(app, &item);
		journal_outbox_items_free(&item, 1);
		if (rc != ERR_OK)
			return rc;
		if (want_rev <= 0 && round >= SYNC_ROUNDS)
			return ERR_OK;
	}
	return want_rev > 0 ? ERR_UNAVAILABLE : ERR_OK;
}

/* Validate fields; on failure answer the error and return it. */
static enum err
sessions_fields(struct req *r, json_object *obj, const struct jsonv_field *f,
    size_t n, enum jsonv_policy policy, const char *path,
    struct jsonv_val *v)
{
	struct jsonv_error e;
	enum err rc;

	memset(&e, 0, sizeof(e));
	rc = jsonv_object(obj, f, n, policy, path, v, &e);
	if (rc != ERR_OK)
		req_error(r, rc, e.message[0] != '\0' ? e.message : NULL,
		    e.field, NULL);
	return rc;
}

static enum err
sessions_bad(struct req *r, const char *field, const char *message)
{
	req_error(r, ERR_FIELD, message, field, NULL);
	return ERR_FIELD;
}

/* A chunk lasts: tEndMs after tStartMs, else 400 naming field. */
static enum err
sessions_span(struct req *r, int64_t start, int64_t end, const char *field)
{
	if (end > start)
		return ERR_OK;
	return sessions_bad(r, field, "tEndMs must be greater than tStartMs");
}

/* {"ok": true, "manifestKey"}: how manifest and finalize begin. */
static json_object *
sessions_ok_manifest(const char *key)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "manifestKey", json_object_new_string(key));
	return o;
}

/* ------------------------------------------------------------- create */

void
sessions_create(struct req *r)
{
	enum { F_CODEC, F_RATE, F_CHUNK, F_DEVICE, F__N };
	static const struct jsonv_field f[F__N] = {
		[F_CODEC] = { "codec", JSONV_STRING, 0, 1, CODEC_INPUT_MAX,
		    NULL },
		[F_RATE] = { "sampleRate", JSONV_INT, 0, 8000, 192000, NULL },
		[F_CHUNK] = { "chunkSeconds", JSONV_INT, 0, 1, 300, NULL },
		[F_DEVICE] = { "deviceInfo", JSONV_OBJECT, JSONV_NULLABLE, 0, 32,
		    NULL },
	};
	enum { D_UA, D__N };
	static const struct jsonv_field df[D__N] = {
		[D_UA] = { "userAgent", JSONV_STRING, JSONV_NULLABLE, 0, 1024,
		    NULL },
	};
	struct jsonv_val v[F__N], dv[D__N];
	struct journal_session_new sn;
	struct journal_limit lim;
	char msg[256];
	int64_t now;
	const char *codec = "webm/opus";
	struct s3key_parts p;
	struct journal *j;
	char id[IDENT_SESSION_SIZE], prefix[S3KEY_SIZE];
	json_object *o, *s3o;
	enum err rc;

	if (sessions_fields(r, jsonv_root(r->doc), f, F__N,
	    JSONV_REJECT_UNKNOWN, NULL, v) != ERR_OK)
		return;
	if (v[F_CODEC].present && (codec = codec_canonical(v[F_CODEC].s,
	    v[F_CODEC].len)) == NULL) {
		sessions_bad(r, "codec", SESSIONS_CODEC_HELP);
		return;
	}
	memset(dv, 0, sizeof(dv));
	if (v[F_DEVICE].present && sessions_fields(r, v[F_DEVICE].j, df, D__N,
	    JSONV_IGNORE_UNKNOWN, "deviceInfo", dv) != ERR_OK)
		return;
	if ((j = req_journal(r)) == NULL)
		return;
	if ((rc = ident_session(-1, id, sizeof(id))) != ERR_OK) {
		req_error(r, ERR_INTERNAL, "cannot make a session id", NULL,
		    NULL);
		return;
	}
	memset(&sn, 0, sizeof(sn));
	sn.id = id;
	sn.owner = r->sub;
	sn.codec = codec;
	sn.sample_rate = v[F_RATE].present ? (int)v[F_RATE].i : 48000;
	sn.chunk_seconds = v[F_CHUNK].present ? (int)v[F_CHUNK].i : 5;
	sn.user_agent = dv[D_UA].present ? dv[D_UA].s : NULL;
	now = journal_clock_ms(j);
	sn.max_open = r->app->conf->user_open_sessions;
	sn.open_since_ms = now - SESSIONS_OPEN_ACTIVE_MS;
	sn.max_per_hour = r->app->conf->user_sessions_per_hour;
	rc = journal_create_session(j, &sn, now, &lim);
	if (rc == ERR_RATE_LIMITED) {
		snprintf(msg, sizeof(msg), "%s: you have %lld, the limit is "
		    "%lld; finalize or delete a session, or retry later",
		    lim.name, (long long)lim.count, (long long)(strcmp(lim.name,
		    "user_open_sessions") == 0 ? sn.max_open : sn.max_per_hour));
		req_limited(r, lim.name, lim.retry_after_ms, msg);
		return;
	}
	if (rc != ERR_OK) {
		sessions_journal_error(r, rc, "session id collision");
		return;
	}
	memset(&p, 0, sizeof(p));
	p.sub = r->sub;
	p.sub_len = strlen(r->sub);
	p.session = id;
	p.session_len = strlen(id);
	if (s3key_prefix(&p, prefix, sizeof(prefix), NULL) != ERR_OK) {
		req_error(r, ERR_INTERNAL, NULL, NULL, NULL);
		return;
	}
	log_info("session %s created", id);
	o = json_object_new_object();
	json_object_object_add(o, "sessionId", json_object_new_string(id));
	s3o = json_object_new_object();
	json_object_object_add(s3o, "bucket",
	    json_object_new_string(s3_bucket(r->app->s3)));
	json_object_object_add(s3o, "basePrefix",
	    json_object_new_string(prefix));
	json_object_object_add(o, "s3", s3o);
	json_object_object_add(o, "uploadStrategy",
	    json_object_new_string("single"));
	json_object_object_add(o, "maxChunkBytes",
	    json_object_new_int64(r->app->conf->chunk_max_bytes));
	req_reply(r, 201, o);
}

/* ------------------------------------------------------------ presign */

/*
 * The URL the AWS SDK's presigner makes for PutObject{ContentType,
 * Metadata, ServerSideEncryption}, which the original clients were written
 * for: the metadata travels in the signed query, so the client sends only
 * the signed headers (h[0..*nh), which the answer lists).  Unlike the SDK
 * we sign Content-Type too: the stored type is ours to decide.  0, or -1
 * after answering the error.
 */
static int
sessions_presign_url(struct req *r, const char *key, int64_t seqno,
    const char *ctype, const struct integrity_put *ip,
    struct sigv4_header h[SESSIONS_PUT_HEADERS], size_t *nh, long *expires,
    char **url)
{
	struct sigv4_header meta[3 + INTEGRITY_META_MAX];
	size_t nmeta = 3;
	char seq[24];
	enum err rc;

	*nh = 0;
	snprintf(seq, sizeof(seq), "%lld", (long long)seqno);
	h[*nh].name = "Content-Type";
	h[(*nh)++].value = ctype;
	sse_sign(r->app->conf, h, nh);
	meta[0].name = "x-amz-meta-user-id";
	meta[0].value = r->sub;
	meta[1].name = "x-amz-meta-session-id";
	meta[1].value = r->session_id;
	meta[2].name = "x-amz-meta-seq";
	meta[2].value = seq;
	integrity_sign(ip, h, nh, meta, &nmeta);
	rc = s3_presign_put(r->app->s3, key, h, *nh, meta, nmeta, expires,
	    url);
	if (rc == ERR_UNAVAILABLE) {
		req_error(r, ERR_UNAVAILABLE, "no AWS credentials to sign the "
		    "upload URL with; try again later", NULL, NULL);
		return -1;
	}
	if (rc != ERR_OK) {
		req_error(r, ERR_INTERNAL, "cannot presign", NULL, NULL);
		return -1;
	}
	return 0;
}

void
sessions_presign(struct req *r)
{
	enum { F_SEQ, F_START, F_END, F_EXT, F_SIZE, F_CTYPE, F_SHA, F_MD5,
		F_ONCE, F_PARTSHA, F__N };
	static const struct jsonv_field f[F__N] = {
		[F_SEQ] = { "seq", JSONV_INT, JSONV_REQUIRED, 1, SEQ_MAX, NULL },
		[F_START] = { "tStartMs", JSONV_INT, JSONV_REQUIRED, 0, TIME_MAX,
		    NULL },
		[F_END] = { "tEndMs", JSONV_INT, JSONV_REQUIRED, 1, TIME_MAX,
		    NULL },
		[F_EXT] = { "ext", JSONV_STRING, JSONV_REQUIRED, 1,
		    LIMIT_EXT_BYTES, NULL },
		[F_SIZE] = { "sizeBytes", JSONV_INT, JSONV_REQUIRED, 1,
		    S3MPU_OBJECT_MAX, NULL },
		[F_CTYPE] = { "contentType", JSONV_STRING, JSONV_REQUIRED, 1,
		    128, NULL },
		/* base64, checked by integrity_presign() */
		[F_SHA] = { "sha256", JSONV_STRING, JSONV_NULLABLE, 0, 128,
		    NULL },
		[F_MD5] = { "md5", JSONV_STRING, JSONV_NULLABLE, 0, 128, NULL },
		[F_ONCE] = { "writeOnce", JSONV_BOOL, JSONV_NULLABLE, 0, 0,
		    NULL },
		/* a multipart chunk's, checked by multipart.c */
		[F_PARTSHA] = { "partSha256", JSONV_ARRAY, JSONV_NULLABLE, 1,
		    S3MPU_PARTS_MAX, NULL },
	};
	struct jsonv_val v[F__N];
	struct journal_session s;
	struct s3key_parts p;
	struct integrity_put ip;
	struct sigv4_header h[SESSIONS_PUT_HEADERS];
	struct journal *j;
	char key[S3KEY_SIZE], *url = NULL;
	size_t nh = 0, i;
	long expires = (long)(r->app->conf->presign_expires / 1000);
	int64_t now, recorded = -1;
	struct buf *b;
	enum err rc;

	if (sessions_fields(r, jsonv_root(r->doc), f, F__N,
	    JSONV_REJECT_UNKNOWN, NULL, v) != ERR_OK ||
	    sessions_span(r, v[F_START].i, v[F_END].i, "tEndMs") != ERR_OK)
		return;
	if (!codec_ext_ok(v[F_EXT].s, v[F_EXT].len)) {
		sessions_bad(r, "ext", "ext must be one of webm, ogg, opus, "
		    "mp4, m4a, aac, wav, flac");
		return;
	}
	if (!codec_type_ok(v[F_EXT].s, v[F_CTYPE].s)) {
		sessions_bad(r, "contentType", "contentType is not an allowed "
		    "audio type for this ext");
		return;
	}
	if (v[F_SIZE].i > multipart_chunk_limit(r->app->conf)) {
		multipart_too_large(r, "sizeBytes", v[F_SIZE].i);
		return;
	}
	if (multipart_wanted(r->app->conf, v[F_SIZE].i)) {
		/* S3 checks no whole-object checksum of a multipart upload:
		 * one given is refused, never signed into nothing. */
		if (v[F_SHA].present || v[F_MD5].present) {
			const char *name = v[F_SHA].present ? "sha256" : "md5";
			char msg[256];

			snprintf(msg, sizeof(msg), "%s is a whole-object "
			    "checksum, which S3 does not check on a multipart "
			    "upload (a chunk over maxChunkBytes): give "
			    "partSha256, the base64 SHA-256 of each part", name);
			sessions_bad(r, name, msg);
			return;
		}
		memset(&ip, 0, sizeof(ip));
	} else {
		if (v[F_PARTSHA].present) {
			sessions_bad(r, "partSha256", "partSha256 is for a "
			    "chunk over maxChunkBytes (a multipart upload); a "
			    "single PUT takes sha256");
			return;
		}
		if (integrity_presign(r, v[F_SHA].present ? v[F_SHA].s : NULL,
		    v[F_SHA].len, v[F_MD5].present ? v[F_MD5].s : NULL,
		    v[F_MD5].len, v[F_ONCE].present && v[F_ONCE].b, &ip) == -1)
			return;
	}
	if ((j = req_journal(r)) == NULL)
		return;
	/* The session and this seq's presign record in one read. */
	rc = journal_get_session_presign(j, r->sub, r->session_id, v[F_SEQ].i,
	    &s, &recorded);
	if (rc != ERR_OK) {
		sessions_journal_error(r, rc, "session conflict");
		return;
	}
	/* Counted once the session is known to be this user's. */
	if (presignrate_check(r) == -1)
		return;
	/* A finalized session still takes the late last chunk. */
	if (s.finalized && sessions_late(r, &s, v[F_START].i) != ERR_OK)
		return;
	sessions_parts(r, &p);
	p.seq = v[F_SEQ].i;
	p.t_start_ms = v[F_START].i;
	p.t_end_ms = v[F_END].i;
	p.ext = v[F_EXT].s;
	p.ext_len = v[F_EXT].len;
	if (s3key_chunk(&p, key, sizeof(key), NULL) != ERR_OK) {
		req_error(r, ERR_INTERNAL, "cannot build the chunk key", NULL,
		    NULL);
		return;
	}
	/* Over the single-PUT limit: parts (multipart.c). */
	if (multipart_wanted(r->app->conf, v[F_SIZE].i)) {
		multipart_presign(r, j, key, v[F_SEQ].i, v[F_CTYPE].s,
		    v[F_SIZE].i, recorded, s.finalized, v[F_PARTSHA].present ?
		    v[F_PARTSHA].j : NULL, v[F_ONCE].present && v[F_ONCE].b);
		return;
	}
	if (sessions_presign_url(r, key, v[F_SEQ].i, v[F_CTYPE].s, &ip, h,
	    &nh, &expires, &url) == -1)
		return;
	/* Recorded before the URL is handed out: GET lists the seq as
	 * missing until it is completed, and a deletion knows how long a
	 * PUT with this URL can arrive (recordings.c). */
	now = journal_clock_ms(j);
	rc = journal_note_presign(j, r->sub, r->session_id, v[F_SEQ].i,
	    now + (int64_t)expires * 1000, API_PRESIGN_SLACK_MS(r->app->conf),
	    recorded, now);
	if (rc != ERR_OK) {
		free(url);
		sessions_journal_error(r, rc, "session conflict");
		return;
	}
	b = req_out(r);
	buf_adds(b, "{\"objectKey\":");
	buf_add_jsons(b, key);
	buf_adds(b, ",\"putUrl\":");
	buf_add_jsons(b, url);
	buf_adds(b, ",\"headers\":{");
	for (i = 0; i < nh; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_add_jsons(b, h[i].name);
		buf_addc(b, ':');
		buf_add_jsons(b, h[i].value);
	}
	buf_adds(b, "},\"expiresInSeconds\":");
	buf_add_int(b, expires);
	buf_addc(b, '}');
	free(url);
	req_reply_buf(r, 200, b);
}

/* ----------------------------------------------------------- complete */

/*
 * Check that key[0..len) is exactly the chunk key the server builds for
 * this caller, session, seq and times (and an allowed extension).
 */
static int
sessions_key_ok(const struct req *r, const char *key, size_t len,
    int64_t seq, int64_t t0, int64_t t1)
{
	struct s3key_parts got, want;
	enum s3key_kind kind;
	char built[S3KEY_SIZE];
	size_t blen;

	if (s3key_parse(key, len, &got, &kind) != ERR_OK ||
	    kind != S3KEY_CHUNK || !codec_ext_ok(got.ext, got.ext_len))
		return 0;
	sessions_parts(r, &want);
	want.seq = seq;
	want.t_start_ms = t0;
	want.t_end_ms = t1;
	want.ext = got.ext;
	want.ext_len = got.ext_len;
	if (s3key_chunk(&want, built, sizeof(built), &blen) != ERR_OK)
		return 0;
	return blen == len && memcmp(built, key, len) == 0;
}

/*
 * HEAD the object and compare its size and the metadata its presigned URL
 * stored (whose user, session and seq: an object that did not come
 * through the URL issued for this chunk, or lost its metadata on the way,
 * is not taken) and its checksums (integrity_verify()); on failure the
 * reply is sent.  *mp gets what the HEAD answered.
 */
static enum err
sessions_verify(struct req *r, const char *key, int64_t bytes, int64_t seq,
    const char *field, struct s3meta *mp)
{
	struct s3meta meta;
	const char *name = NULL, *got = NULL, *want = NULL;
	char msg[256], seqs[24];
	int64_t size = -1;
	enum err rc;

	rc = s3_head_meta(r->app->s3, key, &size, &meta);
	if (rc == ERR_NOT_FOUND) {
		snprintf(msg, sizeof(msg), "%s %s is not in S3: upload it "
		    "with the presigned URL first", field, key);
		req_error(r, ERR_OBJECT_MISSING, msg, field, NULL);
		return ERR_OBJECT_MISSING;
	}
	if (rc != ERR_OK) {
		req_error(r, rc, "S3 is not answering properly", NULL, NULL);
		return rc;
	}
	if (size != bytes) {
		snprintf(msg, sizeof(msg), "object in S3 is %lld bytes, not "
		    "%lld", (long long)size, (long long)bytes);
		req_error(r, ERR_MISMATCH, msg, "bytes", NULL);
		return ERR_MISMATCH;
	}
	snprintf(seqs, sizeof(seqs), "%lld", (long long)seq);
	if (strcmp(meta.user_id, r->sub) != 0) {
		name = "user-id";
		got = meta.user_id;
		want = r->sub;
	} else if (strcmp(meta.session_id, r->session_id) != 0) {
		name = "session-id";
		got = meta.session_id;
		want = r->session_id;
	} else if (strcmp(meta.seq, seqs) != 0) {
		name = "seq";
		got = meta.seq;
		want = seqs;
	}
	if (name != NULL) {
		if (*got == '\0')
			snprintf(msg, sizeof(msg), "%s: the object in S3 has no "
			    "x-amz-meta-%s; upload it with the URL presigned "
			    "for this chunk", field, name);
		else
			snprintf(msg, sizeof(msg), "%s: the object in S3 has "
			    "x-amz-meta-%s %.40s, not %.40s; upload it with the "
			    "URL presigned for this chunk", field, name, got,
			    want);
		req_error(r, ERR_MISMATCH, msg, field, NULL);
		return ERR_MISMATCH;
	}
	if ((rc = integrity_verify(r, key, &meta)) != ERR_OK ||
	    (rc = sse_verify(r, key, &meta)) != ERR_OK)
		return rc;
	*mp = meta;
	return ERR_OK;
}

static void
sessions_complete_reply(struct req *r,
    const struct journal_complete_result *res)
{
	struct buf *b = req_out(r);

	/* The keys req_add_totals() gives, in its order. */
	buf_adds(b, "{\"ok\":true,\"eventId\":");
	buf_add_jsons(b, res->event_id);
	buf_adds(b, ",\"chunkCount\":");
	buf_add_int(b, res->chunk_count);
	buf_adds(b, ",\"totalBytes\":");
	buf_add_int(b, res->total_bytes);
	buf_adds(b, ",\"durationMs\":");
	buf_add_int(b, res->duration_ms);
	buf_addc(b, '}');
	req_reply_buf(r, 200, b);
}

void
sessions_complete(struct req *r)
{
	enum { F_SEQ, F_KEY, F_BYTES, F_START, F_END, F_MD5, F_SHA, F_UPLOAD,
		F_PARTS, F__N };
	static const struct jsonv_field f[F__N] = {
		[F_SEQ] = { "seq", JSONV_INT, JSONV_REQUIRED, 1, SEQ_MAX, NULL },
		[F_KEY] = { "objectKey", JSONV_STRING, JSONV_REQUIRED, 1,
		    LIMIT_S3_KEY_BYTES, NULL },
		[F_BYTES] = { "bytes", JSONV_INT, JSONV_REQUIRED, 1,
		    S3MPU_OBJECT_MAX, NULL },
		[F_START] = { "tStartMs", JSONV_INT, JSONV_REQUIRED, 0, TIME_MAX,
		    NULL },
		[F_END] = { "tEndMs", JSONV_INT, JSONV_REQUIRED, 1, TIME_MAX,
		    NULL },
		[F_MD5] = { "md5", JSONV_STRING, JSONV_NULLABLE, 1, 128, NULL },
		[F_SHA] = { "sha256", JSONV_STRING, JSONV_NULLABLE, 1, 128,
		    NULL },
		/* A multipart chunk's (multipart.c). */
		[F_UPLOAD] = { "uploadId", JSONV_STRING, JSONV_NULLABLE, 1,
		    S3XML_UPLOAD_ID_MAX, NULL },
		[F_PARTS] = { "parts", JSONV_ARRAY, JSONV_NULLABLE, 1,
		    S3MPU_PARTS_MAX, NULL },
	};
	struct jsonv_val v[F__N];
	struct journal_session s;
	struct journal_chunk c;
	struct journal_complete_result res;
	struct journal *j;
	struct s3meta meta;
	enum err rc;

	if (sessions_fields(r, jsonv_root(r->doc), f, F__N,
	    JSONV_REJECT_UNKNOWN, NULL, v) != ERR_OK ||
	    sessions_span(r, v[F_START].i, v[F_END].i, "tEndMs") != ERR_OK)
		return;
	if (v[F_BYTES].i > multipart_chunk_limit(r->app->conf)) {
		multipart_too_large(r, "bytes", v[F_BYTES].i);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.seq = v[F_SEQ].i;
	c.key = v[F_KEY].s;
	c.t_start_ms = v[F_START].i;
	c.t_end_ms = v[F_END].i;
	c.bytes = v[F_BYTES].i;
	c.md5 = v[F_MD5].present ? v[F_MD5].s : NULL;
	c.sha256 = v[F_SHA].present ? v[F_SHA].s : NULL;
	memset(&res, 0, sizeof(res));
	if ((j = req_journal(r)) == NULL)
		return;
	/* A retry of a merged complete is answered from the journal: its
	 * object was HEAD-verified then, and a read costs no write lock. */
	rc = journal_replay_chunk(j, r->sub, r->session_id, &c, &res);
	if (rc == ERR_INVAL) {
		/* Not a chunk the journal could hold: the checks below say
		 * what is wrong with it. */
		rc = ERR_OK;
		res.replayed = 0;
	}
	if (rc != ERR_OK) {
		sessions_journal_error(r, rc, "session conflict");
		return;
	}
	if (res.replayed) {
		sessions_complete_reply(r, &res);
		return;
	}
	if (sessions_load(r, j, &s, 0) != ERR_OK)
		return;
	if (!sessions_key_ok(r, v[F_KEY].s, v[F_KEY].len, v[F_SEQ].i,
	    v[F_START].i, v[F_END].i)) {
		sessions_bad(r, "objectKey", "objectKey is not the key the "
		    "server builds for this session, seq, tStartMs and tEndMs");
		return;
	}
	/* A new chunk the late-chunk rule keeps out of a finalized session
	 * is refused before S3 is asked; a known seq goes on to the journal,
	 * which answers a retry as before. */
	if (s.finalized && journal_late_rule(&s, v[F_START].i,
	    r->app->conf->finalize_grace, journal_clock_ms(j)) !=
	    JOURNAL_LATE_OK) {
		unsigned char unknown = 0;
		int64_t seq = v[F_SEQ].i;

		if (journal_unknown_seqs(j, r->sub, r->session_id, &seq, 1,
		    &unknown) == ERR_OK && unknown) {
			(void)sessions_late(r, &s, v[F_START].i);
			return;
		}
	}
	/* A multipart chunk is put together first, then verified as any. */
	if (v[F_UPLOAD].present || v[F_PARTS].present) {
		if (multipart_complete(r, j, &c, v[F_UPLOAD].present ?
		    v[F_UPLOAD].s : NULL, v[F_PARTS].present ? v[F_PARTS].j :
		    NULL) != ERR_OK)
			return;
	} else if (v[F_BYTES].i > r->app->conf->chunk_max_bytes) {
		sessions_bad(r, "parts", "a chunk over maxChunkBytes is a "
		    "multipart upload: complete it with uploadId and parts");
		return;
	}
	if (sessions_verify(r, v[F_KEY].s, v[F_BYTES].i, v[F_SEQ].i,
	    "objectKey", &meta) != ERR_OK ||
	    integrity_record(r, &meta, &c) == -1)
		return;
	rc = journal_complete_chunk(j, r->sub, r->session_id, &c,
	    journal_clock_ms(j), &res);
	/* A conflict may come from a finalize since sessions_load(): read
	 * the session again to say which rule refused the chunk. */
	if (rc == ERR_CONFLICT && journal_get_session(j, r->sub,
	    r->session_id, &s) == ERR_OK && s.finalized &&
	    sessions_late(r, &s, c.t_start_ms) != ERR_OK)
		return;
	if (rc != ERR_OK) {
		sessions_journal_error(r, rc,
		    "a different chunk with this seq was already completed");
		return;
	}
	if (!res.replayed)
		(void)sessions_sync(r->app, r->session_id, 0);
	sessions_complete_reply(r, &res);
}

/* ----------------------------------------------------------- manifest */

static enum err
sessions_manifest_key(struct req *r, char *key, size_t keysz)
{
	struct s3key_parts p;

	sessions_parts(r, &p);
	if (s3key_manifest(&p, key, keysz, NULL) != ERR_OK) {
		req_error(r, ERR_INTERNAL, "cannot build the manifest key", NULL,
		    NULL);
		return ERR_INTERNAL;
	}
	return ERR_OK;
}

/*
 * Check each entry of a manifest upsert's chunks array (fields, span, the
 * key the server would build) into chunks[i] and seqs[i]; the strings
 * point into the request's document.  ERR_OK, or an error answered with
 * the entry's path ("chunks[3].key").
 */
static enum err
sessions_manifest_chunks(struct req *r, json_object *arr, size_t n,
    struct journal_chunk *chunks, int64_t *seqs)
{
	enum { C_SEQ, C_KEY, C_START, C_END, C_BYTES, C_MD5, C_SHA, C_AT,
		C__N };
	static const struct jsonv_field cf[C__N] = {
		[C_SEQ] = { "seq", JSONV_INT, JSONV_REQUIRED, 1, SEQ_MAX, NULL },
		[C_KEY] = { "key", JSONV_STRING, JSONV_REQUIRED, 1,
		    LIMIT_S3_KEY_BYTES, NULL },
		[C_START] = { "tStartMs", JSONV_INT, JSONV_REQUIRED, 0, TIME_MAX,
		    NULL },
		[C_END] = { "tEndMs", JSONV_INT, JSONV_REQUIRED, 1, TIME_MAX,
		    NULL },
		[C_BYTES] = { "bytes", JSONV_INT, JSONV_REQUIRED, 1,
		    S3MPU_OBJECT_MAX, NULL },
		[C_MD5] = { "md5", JSONV_STRING, JSONV_NULLABLE, 1, 128, NULL },
		[C_SHA] = { "sha256", JSONV_STRING, JSONV_NULLABLE, 1, 128,
		    NULL },
		/* Old clients echo the server's uploadedAt; it is ignored. */
		[C_AT] = { "uploadedAt", JSONV_STRING, JSONV_NULLABLE, 0, 64,
		    NULL },
	};
	struct jsonv_val cv[C__N];
	char path[48];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "chunks[%zu]", i);
		if (sessions_fields(r, json_object_array_get_idx(arr, i), cf,
		    C__N, JSONV_REJECT_UNKNOWN, path, cv) != ERR_OK)
			return ERR_FIELD;
		snprintf(path, sizeof(path), "chunks[%zu].tEndMs", i);
		if (sessions_span(r, cv[C_START].i, cv[C_END].i, path) !=
		    ERR_OK)
			return ERR_FIELD;
		if (!sessions_key_ok(r, cv[C_KEY].s, cv[C_KEY].len, cv[C_SEQ].i,
		    cv[C_START].i, cv[C_END].i)) {
			snprintf(path, sizeof(path), "chunks[%zu].key", i);
			sessions_bad(r, path, "key is not the key the server "
			    "builds for this session, seq, tStartMs and tEndMs");
			return ERR_FIELD;
		}
		chunks[i].seq = seqs[i] = cv[C_SEQ].i;
		chunks[i].key = cv[C_KEY].s;
		chunks[i].t_start_ms = cv[C_START].i;
		chunks[i].t_end_ms = cv[C_END].i;
		chunks[i].bytes = cv[C_BYTES].i;
		chunks[i].md5 = cv[C_MD5].present ? cv[C_MD5].s : NULL;
		chunks[i].sha256 = cv[C_SHA].present ? cv[C_SHA].s : NULL;
	}
	return ERR_OK;
}

void
sessions_manifest(struct req *r)
{
	enum { F_ID, F_CODEC, F_RATE, F_CHUNKS, F_FINAL, F__N };
	static const struct jsonv_field f[F__N] = {
		[F_ID] = { "sessionId", JSONV_STRING, JSONV_REQUIRED, 1,
		    LIMIT_SESSION_ID_BYTES, NULL },
		[F_CODEC] = { "codec", JSONV_STRING, JSONV_NULLABLE, 1,
		    CODEC_INPUT_MAX, NULL },
		[F_RATE] = { "sampleRate", JSONV_INT, JSONV_NULLABLE, 8000,
		    192000, NULL },
		[F_CHUNKS] = { "chunks", JSONV_ARRAY, JSONV_REQUIRED, 0,
		    LIMIT_CHUNKS_PER_SESSION, NULL },
		[F_FINAL] = { "final", JSONV_BOOL, JSONV_NULLABLE, 0, 0, NULL },
	};
	struct jsonv_val v[F__N];
	struct journal_session s;
	struct journal_upsert_result res;
	struct journal_chunk *chunks = NULL;
	struct journal *j;
	int64_t *seqs = NULL;
	unsigned char *unknown = NULL;
	/* The presigned checksums of the chunks verified here. */
	struct { char sha256[S3META_SUM_BYTES + 1], md5[S3META_SUM_BYTES + 1],
	    etag[LIMIT_S3_ETAG_BYTES + 1]; } *sums = NULL;
	struct s3meta meta;
	const char *codec;
	char key[S3KEY_SIZE], path[48], msg[96];
	size_t n = 0, i;
	enum err rc;

	if (sessions_fields(r, jsonv_root(r->doc), f, F__N,
	    JSONV_REJECT_UNKNOWN, NULL, v) != ERR_OK)
		goto out;
	if (strcmp(v[F_ID].s, r->session_id) != 0) {
		sessions_bad(r, "sessionId",
		    "sessionId does not match the session in the path");
		goto out;
	}
	if ((j = req_journal(r)) == NULL ||
	    sessions_load(r, j, &s, 0) != ERR_OK)
		goto out;
	/* Old clients echo the codec they created the session with, an
	 * alias ("webm") of the canonical value stored. */
	if (v[F_CODEC].present && ((codec = codec_canonical(v[F_CODEC].s,
	    v[F_CODEC].len)) == NULL || strcmp(codec, s.codec) != 0)) {
		snprintf(msg, sizeof(msg), "codec does not match the "
		    "session's codec %s", s.codec);
		sessions_bad(r, "codec", msg);
		goto out;
	}
	if (v[F_RATE].present && v[F_RATE].i != s.sample_rate) {
		sessions_bad(r, "sampleRate",
		    "sampleRate does not match the session");
		goto out;
	}
	n = json_object_array_length(v[F_CHUNKS].j);
	chunks = xcalloc(n + 1, sizeof(*chunks));
	seqs = xcalloc(n + 1, sizeof(*seqs));
	unknown = xcalloc(n + 1, 1);
	sums = xcalloc(n + 1, sizeof(*sums));
	if (sessions_manifest_chunks(r, v[F_CHUNKS].j, n, chunks, seqs) !=
	    ERR_OK)
		goto out;
	if (n > 0 && (rc = journal_unknown_seqs(j, r->sub, r->session_id,
	    seqs, n, unknown)) != ERR_OK) {
		sessions_journal_error(r, rc, "session conflict");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!unknown[i])
			continue;
		if (s.finalized) {
			req_error(r, ERR_CONFLICT, "session is finalized: a "
			    "late chunk goes through presign and complete",
			    NULL, NULL);
			goto out;
		}
		snprintf(path, sizeof(path), "chunks[%zu].key", i);
		if (sessions_verify(r, chunks[i].key, chunks[i].bytes,
		    chunks[i].seq, path, &meta) != ERR_OK ||
		    integrity_record(r, &meta, &chunks[i]) == -1)
			goto out;
		/* meta is reused: keep what chunks[i] points at. */
		if (chunks[i].sha256 == meta.meta_sha256) {
			memcpy(sums[i].sha256, meta.meta_sha256,
			    sizeof(sums[i].sha256));
			chunks[i].sha256 = sums[i].sha256;
		}
		if (chunks[i].md5 == meta.meta_md5) {
			memcpy(sums[i].md5, meta.meta_md5, sizeof(sums[i].md5));
			chunks[i].md5 = sums[i].md5;
		}
		if (chunks[i].etag == meta.etag) {
			memcpy(sums[i].etag, meta.etag, sizeof(sums[i].etag));
			chunks[i].etag = sums[i].etag;
		}
	}
	memset(&res, 0, sizeof(res));
	rc = journal_upsert_manifest(j, r->sub, r->session_id, chunks, n,
	    journal_clock_ms(j), &res);
	if (rc == ERR_INVAL) {
		sessions_bad(r, "chunks", "chunks holds the same seq twice");
		goto out;
	}
	if (rc != ERR_OK) {
		sessions_journal_error(r, rc, s.finalized ?
		    "session is finalized" : "a chunk differs from the one "
		    "the server already verified for its seq");
		goto out;
	}
	if (res.added > 0)
		(void)sessions_sync(r->app, r->session_id, 0);
	if (sessions_manifest_key(r, key, sizeof(key)) != ERR_OK)
		goto out;
	req_reply(r, 200, sessions_ok_manifest(key));
out:
	free(chunks);
	free(seqs);
	free(unknown);
	free(sums);
}

/* ----------------------------------------------------------- finalize */

void
sessions_finalize(struct req *r)
{
	enum { F_DURATION, F_FINAL, F__N };
	static const struct jsonv_field f[F__N] = {
		[F_DURATION] = { "durationMs", JSONV_INT, JSONV_REQUIRED, 1,
		    TIME_MAX, NULL },
		[F_FINAL] = { "final", JSONV_BOOL, JSONV_NULLABLE, 0, 0, NULL },
	};
	struct jsonv_val v[F__N];
	struct journal_session s;
	struct journal_finalize_result res;
	struct journal *j;
	char key[S3KEY_SIZE];
	json_object *o;
	enum err rc;

	if (sessions_fields(r, jsonv_root(r->doc), f, F__N,
	    JSONV_REJECT_UNKNOWN, NULL, v) != ERR_OK)
		return;
	if (v[F_FINAL].present && !v[F_FINAL].b) {
		sessions_bad(r, "final", "final must be true");
		return;
	}
	if ((j = req_journal(r)) == NULL ||
	    sessions_load(r, j, &s, 0) != ERR_OK ||
	    sessions_manifest_key(r, key, sizeof(key)) != ERR_OK)
		return;
	memset(&res, 0, sizeof(res));
	rc = journal_finalize(j, r->sub, r->session_id, v[F_DURATION].i, key,
	    journal_clock_ms(j), &res);
	if (rc != ERR_OK) {
		sessions_journal_error(r, rc, "session cannot be finalized");
		return;
	}
	/* Its open multipart uploads are due for their abort once the
	 * late-chunk window and their URLs have run out: scheduled by the
	 * finalize's own transaction (app.c sets the delay). */
	deliver_fault("after-finalize");
	/* The final manifest is in S3 before we answer; if S3 fails the
	 * session stays sealed, the write stays queued, and a retry of this
	 * finalize answers the same once S3 is back. */
	rc = sessions_sync(r->app, r->session_id, res.revision);
	if (rc != ERR_OK) {
		req_error(r, rc == ERR_UPSTREAM ? ERR_UPSTREAM : ERR_UNAVAILABLE,
		    "session finalized, but the final manifest is not in S3 "
		    "yet; retry", NULL, NULL);
		return;
	}
	o = sessions_ok_manifest(key);
	req_add_totals(o, res.chunk_count, res.total_bytes, NULL);
	req_reply(r, 200, o);
}
