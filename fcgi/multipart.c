/*
 * multipart.c: chunks over the single-PUT limit, through S3 multipart
 * uploads.
 *
 * A presign whose sizeBytes is over chunk_max_bytes and at most
 * multipart_max_bytes is answered with uploadStrategy "multipart": the
 * API makes the upload itself (CreateMultipartUpload, signed with the
 * same Content-Type, SSE and x-amz-meta-* a single PUT stores), records
 * it in the journal, chooses the part size (lib/storage/s3mpu.h) and
 * hands out one presigned UploadPart URL per part.  The client PUTs each
 * part and brings the ETags S3 answered to complete, which checks them,
 * sends CompleteMultipartUpload, and then verifies and merges the object
 * exactly as a single-PUT chunk (sessions.c).  Smaller chunks never come
 * here: their answers are those the original clients know.
 *
 * Checksums, S3's way for multipart: SHA-256 only as a composite.  A
 * presign may give partSha256, the base64 SHA-256 of each part of the
 * server's plan (a pure function of sizeBytes and multipart_part_bytes,
 * lib/storage/s3mpu.h, so a client can compute it; a wrong count is 400
 * naming the plan).  The upload is then created with
 * x-amz-checksum-algorithm: SHA256 and x-amz-meta-sha256 set to the
 * composite S3 will report (lib/storage/s3sum.h), each part URL signs its
 * part's x-amz-checksum-sha256 (S3 refuses a part that does not match,
 * 400 BadDigest), CompleteMultipartUpload lists each ChecksumSHA256 from
 * the journal, and the HEAD after it must report the composite
 * (integrity.c; 422 naming partSha256).  A whole-object sha256 or md5
 * cannot be checked by S3 on a multipart upload, so the presign refuses
 * it (sessions.c) rather than sign nothing.
 *
 * Write once: a presign with writeOnce (or require_write_once) sends the
 * API's own CompleteMultipartUpload with If-None-Match: *; S3's 412 (an
 * object already has the key) is answered 409 naming objectKey, and the
 * object there is left as it is, unless it is this upload's own object
 * (an earlier complete whose answer was lost).
 *
 * Idempotence: a presign repeated for the same key, size, part checksums
 * and writeOnce answers the same upload (no second
 * CreateMultipartUpload); any other replaces it and the old one is
 * aborted.  A complete whose answer was
 * lost finds, on retry, NoSuchUpload (or s3rver's error for an upload it
 * has removed): the object is then HEADed, and one of the announced size
 * is taken as completed.
 *
 * Abort: uploads that can no longer be completed get an abort time in
 * the journal (multipart_abort_session(): at finalize, the end of the
 * late-chunk window; at delete or abandonment, now) and the delivery loop
 * aborts them (multipart_abort_due()) with backoff, giving up after
 * deliver_max_attempts.
 *
 * Create: a worker killed between S3's CreateMultipartUpload and the
 * journal row of its answer would leave an upload no one knows.  So an
 * intent (the key) is recorded before the Create and dropped with the
 * row; the delivery loop resolves an intent left behind past the Create's
 * time bounds (multipart_resolve_due()): ListMultipartUploads of the key,
 * and every upload the journal does not know is aborted.
 *
 * Purge: the journal's row of a finished upload (completed, aborted,
 * given up) is kept multipart_purge_after, for retried completes and the
 * admin's eye, then deleted by the delivery loop (multipart_purge()) in
 * bounded batches, so the table does not grow with every upload ever
 * made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "journal.h"
#include "jsonv.h"
#include "log.h"
#include "s3meta.h"
#include "s3mpu.h"
#include "s3sum.h"
#include "s3xml.h"
#include "sigv4.h"
#include "xalloc.h"

#define MULTIPART_ABORT_BATCH	8
#define MULTIPART_PURGE_BATCH	256
#define MULTIPART_INTENT_BATCH	8
/* An intent is looked at this long after its Create's and journal
 * write's own time bounds: a live worker is surely past them. */
#define MULTIPART_INTENT_MARGIN_MS	5000

int64_t
multipart_chunk_limit(const struct api_conf *conf)
{
	return conf->multipart_max_bytes > conf->chunk_max_bytes ?
	    conf->multipart_max_bytes : conf->chunk_max_bytes;
}

int
multipart_wanted(const struct api_conf *conf, int64_t size)
{
	return size > conf->chunk_max_bytes &&
	    size <= conf->multipart_max_bytes;
}

/* 413 for a size over what this server takes, naming the key that
 * decides it. */
void
multipart_too_large(struct req *r, const char *field, int64_t size)
{
	const struct api_conf *conf = r->app->conf;
	char msg[256];

	if (conf->multipart_max_bytes > conf->chunk_max_bytes)
		snprintf(msg, sizeof(msg), "%s %lld is over %lld bytes, the "
		    "largest chunk this server takes (multipart_max_bytes)",
		    field, (long long)size,
		    (long long)conf->multipart_max_bytes);
	else
		snprintf(msg, sizeof(msg), "%s is over maxChunkBytes", field);
	req_error(r, ERR_TOO_LARGE, msg, field, NULL);
}

/* ------------------------------------------------------------ presign */

/* What a presign asks of the upload beyond its key and size. */
struct multipart_want {
	char		*parts;		/* part SHA-256s, 44 chars each, or NULL */
	char		 sha256[S3SUM_COMPOSITE_MAX + 1];	/* or "" */
	int		 write_once;
};

/* Whether the recorded upload m is the one this presign asks for. */
static int
multipart_same(const struct journal_mpu *m, const char *key,
    const struct s3mpu_plan *plan, const struct multipart_want *w)
{
	return strcmp(m->key, key) == 0 && m->size_bytes == plan->size &&
	    m->part_bytes == plan->part_bytes &&
	    strcmp(m->sha256, w->sha256) == 0 &&
	    (m->write_once != 0) == (w->write_once != 0);
}

/* "a chunk of N bytes has P part(s) of B bytes (the last L)", the plan a
 * client must give partSha256 for. */
static void
multipart_plan_text(const struct s3mpu_plan *plan, char *out, size_t cap)
{
	int64_t off = 0, last = 0;

	(void)s3mpu_part_range(plan, plan->nparts, &off, &last);
	snprintf(out, cap, "this chunk of %lld bytes has %d part(s) of %lld "
	    "bytes (the last %lld; multipart_part_bytes, README \"Large "
	    "chunks\")", (long long)plan->size, plan->nparts,
	    (long long)plan->part_bytes, (long long)last);
}

/*
 * partSha256 (a JSON array, or NULL when absent) against the plan into
 * *w: one base64 SHA-256 per part, in part order.  0, or -1 after
 * answering 400 naming the field.
 */
static int
multipart_want_sums(struct req *r, json_object *arr,
    const struct s3mpu_plan *plan, struct multipart_want *w)
{
	unsigned char raw[S3SUM_SHA256_BYTES];
	char field[48], plantext[192], msg[384];
	json_object *v;
	const char *s;
	size_t n, i, len;

	if (arr == NULL) {
		if (!r->app->conf->require_checksums)
			return 0;
		multipart_plan_text(plan, plantext, sizeof(plantext));
		snprintf(msg, sizeof(msg), "this server requires a checksum of "
		    "every chunk (require_checksums): give partSha256, the "
		    "base64 SHA-256 of each part; %s", plantext);
		req_error(r, ERR_FIELD, msg, "partSha256", NULL);
		return -1;
	}
	n = json_object_array_length(arr);
	if (n != (size_t)plan->nparts) {
		multipart_plan_text(plan, plantext, sizeof(plantext));
		snprintf(msg, sizeof(msg), "partSha256 lists %zu value(s): %s",
		    n, plantext);
		req_error(r, ERR_FIELD, msg, "partSha256", NULL);
		return -1;
	}
	w->parts = xmalloc(n * S3SUM_SHA256_B64_LEN + 1);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(arr, i);
		s = json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : NULL;
		len = s != NULL ? (size_t)json_object_get_string_len(v) : 0;
		if (s == NULL || s3sum_b64(s, len, raw, sizeof(raw)) != ERR_OK) {
			snprintf(field, sizeof(field), "partSha256[%zu]", i);
			snprintf(msg, sizeof(msg), "%s must be the base64 of part "
			    "%zu's SHA-256 (32 bytes: 44 characters ending in "
			    "'='), as x-amz-checksum-sha256", field, i + 1);
			req_error(r, ERR_FIELD, msg, field, NULL);
			return -1;
		}
		memcpy(w->parts + i * S3SUM_SHA256_B64_LEN, s,
		    S3SUM_SHA256_B64_LEN);
	}
	w->parts[n * S3SUM_SHA256_B64_LEN] = '\0';
	if (s3sum_composite(w->parts, n * S3SUM_SHA256_B64_LEN, w->sha256,
	    sizeof(w->sha256)) != ERR_OK) {
		req_error(r, ERR_INTERNAL, "cannot compute the composite "
		    "checksum", NULL, NULL);
		return -1;
	}
	return 0;
}

/*
 * Make the upload in S3 and record it; on a lost race with another
 * presign of the same seq, abort ours and take the winner's.  ERR_OK with
 * *m the upload, or the error answered.
 */
static enum err
multipart_create(struct req *r, struct journal *j, const char *key,
    int64_t seq, const char *ctype, const struct s3mpu_plan *plan,
    const struct multipart_want *w, int64_t abort_at_ms,
    struct journal_mpu *m)
{
	const struct api_conf *conf = r->app->conf;
	struct sigv4_header h[5 + SSE_HEADERS_MAX];
	char seqs[24], intent[JOURNAL_EVENT_ID_BYTES];
	size_t nh = 0;
	int64_t now;
	enum err rc;

	memset(m, 0, sizeof(*m));
	/* The intent first: a crash after S3 made the upload and before its
	 * row leaves the key in the journal, and the delivery loop aborts
	 * what S3 lists for it (multipart_resolve_due()).  Due once this
	 * Create and the journal write after it are surely over. */
	now = journal_clock_ms(j);
	rc = journal_mpu_intent(j, r->session_id, seq, key, now, now +
	    conf->s3_timeout + conf->s3_connect_timeout +
	    conf->journal_busy_timeout + MULTIPART_INTENT_MARGIN_MS, intent,
	    sizeof(intent));
	if (rc != ERR_OK) {
		req_journal_error(r, rc, NULL);
		return rc;
	}
	snprintf(seqs, sizeof(seqs), "%lld", (long long)seq);
	/* The encryption a single PUT signs (sse.c), given at creation. */
	sse_sign(r->app->conf, h, &nh);
	h[nh].name = "x-amz-meta-user-id";
	h[nh++].value = r->sub;
	h[nh].name = "x-amz-meta-session-id";
	h[nh++].value = r->session_id;
	h[nh].name = "x-amz-meta-seq";
	h[nh++].value = seqs;
	/* S3 keeps each part's SHA-256 and answers their composite; the
	 * object records the composite it must answer, as a single PUT's
	 * x-amz-meta-sha256 records its checksum (integrity.c). */
	if (w->sha256[0] != '\0') {
		h[nh].name = "x-amz-checksum-algorithm";
		h[nh++].value = "SHA256";
		h[nh].name = "x-amz-meta-sha256";
		h[nh++].value = w->sha256;
	}
	rc = s3_mpu_create(r->app->s3, key, ctype, h, nh, m->upload_id,
	    sizeof(m->upload_id));
	if (rc != ERR_OK) {
		/* The intent stays: without an answer (or with one we could
		 * not read) S3 may have made the upload all the same. */
		req_error(r, rc == ERR_UNAVAILABLE ? ERR_UNAVAILABLE :
		    ERR_UPSTREAM, "S3 did not create the multipart upload; "
		    "try again", NULL, NULL);
		return rc;
	}
	/* Test hook: a worker killed between S3's answer and the row. */
	deliver_fault("mpu-after-create");
	snprintf(m->session_id, sizeof(m->session_id), "%s", r->session_id);
	snprintf(m->key, sizeof(m->key), "%s", key);
	m->seq = seq;
	m->size_bytes = plan->size;
	m->part_bytes = plan->part_bytes;
	m->state = JOURNAL_MPU_OPEN;
	snprintf(m->sha256, sizeof(m->sha256), "%s", w->sha256);
	m->write_once = w->write_once;
	m->abort_at_ms = abort_at_ms;
	rc = journal_mpu_add(j, m, w->parts, intent, journal_clock_ms(j));
	if (rc == ERR_NOT_FOUND) {
		/* Recorded too late: the delivery loop took the intent for
		 * a crash's and aborts this upload (this try helps). */
		log_warn("session %s seq %lld: multipart upload %s recorded "
		    "too late; aborted", r->session_id, (long long)seq,
		    m->upload_id);
		(void)s3_mpu_abort(r->app->s3, key, m->upload_id);
		req_error(r, ERR_UNAVAILABLE, "the multipart upload could not "
		    "be recorded in time; try again", NULL, NULL);
		return ERR_UNAVAILABLE;
	}
	if (rc == ERR_CONFLICT) {
		enum err ar;

		/* Another presign of this seq recorded its upload first.
		 * Ours is aborted; if that fails, its intent stays and the
		 * delivery loop aborts it. */
		ar = s3_mpu_abort(r->app->s3, key, m->upload_id);
		if (ar == ERR_OK || ar == ERR_NOT_FOUND)
			(void)journal_mpu_intent_drop(j, intent);
		rc = journal_mpu_get(j, r->session_id, seq, m);
		if (rc == ERR_OK && (m->state != JOURNAL_MPU_OPEN ||
		    !multipart_same(m, key, plan, w)))
			rc = ERR_CONFLICT;
	}
	if (rc != ERR_OK) {
		req_journal_error(r, rc, "another presign of this seq is "
		    "under way; retry");
		return rc;
	}
	log_info("session %s seq %lld: multipart upload of %lld bytes in %lld "
	    "byte parts", r->session_id, (long long)seq,
	    (long long)plan->size, (long long)plan->part_bytes);
	return ERR_OK;
}

void
multipart_presign(struct req *r, struct journal *j, const char *key,
    int64_t seq, const char *ctype, int64_t size, int64_t recorded,
    int finalized, json_object *part_sha256, int write_once)
{
	struct journal_mpu m;
	struct s3mpu_plan plan;
	struct multipart_want w;
	struct sigv4_header ph;
	char sum[S3SUM_SHA256_B64_LEN + 1];
	long expires = (long)(r->app->conf->presign_expires / 1000), e;
	int64_t now, off, len;
	char *url = NULL;
	struct buf *b;
	enum err rc;
	int n;

	memset(&w, 0, sizeof(w));
	w.write_once = write_once || r->app->conf->require_write_once;
	if (s3mpu_plan(size, r->app->conf->multipart_part_bytes, &plan) !=
	    ERR_OK) {
		multipart_too_large(r, "sizeBytes", size);
		goto out;
	}
	if (multipart_want_sums(r, part_sha256, &plan, &w) == -1)
		goto out;
	rc = journal_mpu_get(j, r->session_id, seq, &m);
	if (rc != ERR_OK && rc != ERR_NOT_FOUND) {
		req_journal_error(r, rc, NULL);
		goto out;
	}
	if (rc == ERR_OK && m.state == JOURNAL_MPU_OPEN &&
	    !multipart_same(&m, key, &plan, &w)) {
		/* Presigned again with other times, ext, size, checksums or
		 * writeOnce: the old upload can never be completed. */
		log_info("session %s seq %lld: multipart upload replaced",
		    r->session_id, (long long)seq);
		if ((rc = journal_mpu_replace(j, m.upload_id,
		    journal_clock_ms(j))) != ERR_OK) {
			req_journal_error(r, rc, NULL);
			goto out;
		}
		m.state = JOURNAL_MPU_ABORTING;
	}
	now = journal_clock_ms(j);
	/* A late last chunk's upload is aborted once its part URLs have run
	 * out: recorded with its row, so no crash leaves it unscheduled. */
	if ((rc == ERR_NOT_FOUND || m.state != JOURNAL_MPU_OPEN) &&
	    multipart_create(r, j, key, seq, ctype, &plan, &w, finalized ?
	    now + r->app->conf->presign_expires + r->app->conf->s3_timeout :
	    -1, &m) != ERR_OK)
		goto out;
	now = journal_clock_ms(j);
	/* A late last chunk: its upload is aborted once its part URLs have
	 * run out (finalize scheduled only those open then). */
	if (finalized && (rc = multipart_abort_session(r->app, r->session_id,
	    now + r->app->conf->presign_expires + r->app->conf->s3_timeout)) !=
	    ERR_OK) {
		req_journal_error(r, rc, NULL);
		goto out;
	}
	/* As for a single PUT: GET lists the seq as missing until it is
	 * completed, and a deletion knows how long uploads can arrive. */
	rc = journal_note_presign(j, r->sub, r->session_id, seq,
	    now + (int64_t)expires * 1000, API_PRESIGN_SLACK_MS(r->app->conf),
	    recorded, now);
	if (rc != ERR_OK) {
		req_journal_error(r, rc, "session conflict");
		goto out;
	}
	b = req_out(r);
	buf_adds(b, "{\"objectKey\":");
	buf_add_jsons(b, key);
	buf_adds(b, ",\"uploadStrategy\":\"multipart\",\"uploadId\":");
	buf_add_jsons(b, m.upload_id);
	buf_adds(b, ",\"sizeBytes\":");
	buf_add_int(b, size);
	buf_adds(b, ",\"partSizeBytes\":");
	buf_add_int(b, plan.part_bytes);
	if (w.sha256[0] != '\0') {
		/* What the HEAD after complete reports, and the manifest. */
		buf_adds(b, ",\"sha256\":");
		buf_add_jsons(b, w.sha256);
	}
	buf_adds(b, ",\"parts\":[");
	for (n = 1; n <= plan.nparts; n++) {
		e = (long)(r->app->conf->presign_expires / 1000);
		if (w.parts != NULL) {
			memcpy(sum, w.parts + (size_t)(n - 1) *
			    S3SUM_SHA256_B64_LEN, S3SUM_SHA256_B64_LEN);
			sum[S3SUM_SHA256_B64_LEN] = '\0';
			ph.name = "x-amz-checksum-sha256";
			ph.value = sum;
		}
		if (s3_presign_part(r->app->s3, key, m.upload_id, n,
		    w.parts != NULL ? &ph : NULL, w.parts != NULL ? 1 : 0, &e,
		    &url) != ERR_OK) {
			req_error(r, ERR_UNAVAILABLE, "cannot presign the part "
			    "URLs; try again later", NULL, NULL);
			goto out;
		}
		if (e < expires)
			expires = e;
		(void)s3mpu_part_range(&plan, n, &off, &len);
		if (n > 1)
			buf_addc(b, ',');
		buf_adds(b, "{\"partNumber\":");
		buf_add_int(b, n);
		buf_adds(b, ",\"url\":");
		buf_add_jsons(b, url);
		buf_adds(b, ",\"offset\":");
		buf_add_int(b, off);
		buf_adds(b, ",\"sizeBytes\":");
		buf_add_int(b, len);
		if (w.parts != NULL) {
			/* The part's own signed header: S3 checks the part's
			 * bytes against it (400 BadDigest). */
			buf_adds(b, ",\"headers\":{\"x-amz-checksum-sha256\":");
			buf_add_jsons(b, sum);
			buf_addc(b, '}');
		}
		buf_addc(b, '}');
		free(url);
		url = NULL;
	}
	/* No header common to every UploadPart: the object's type, SSE and
	 * metadata were given to CreateMultipartUpload. */
	buf_adds(b, "],\"headers\":{},\"expiresInSeconds\":");
	buf_add_int(b, expires);
	buf_addc(b, '}');
	req_reply_buf(r, 200, b);
out:
	free(w.parts);
}

/* ----------------------------------------------------------- complete */

static enum err
multipart_bad(struct req *r, enum err e, const char *field, const char *msg)
{
	req_error(r, e, msg, field, NULL);
	return e;
}

/*
 * Check the parts list against the upload's plan into parts[0..n): each
 * {partNumber, etag}, numbered 1..n in order, ETags of S3's shape.  The
 * ETag strings point into the request's document.
 */
static enum err
multipart_parts(struct req *r, json_object *arr, const struct s3mpu_plan *plan,
    struct s3xml_part *parts)
{
	enum { P_NUM, P_ETAG, P__N };
	static const struct jsonv_field pf[P__N] = {
		[P_NUM] = { "partNumber", JSONV_INT, JSONV_REQUIRED, 1,
		    S3MPU_PARTS_MAX, NULL },
		[P_ETAG] = { "etag", JSONV_STRING, JSONV_REQUIRED, 1,
		    LIMIT_S3_ETAG_BYTES, NULL },
	};
	struct jsonv_val pv[P__N];
	struct jsonv_error err;
	char path[48], msg[160];
	size_t i, n = json_object_array_length(arr);

	if (n != (size_t)plan->nparts) {
		snprintf(msg, sizeof(msg), "parts lists %zu part(s); this upload "
		    "of %lld bytes has %d (parts of %lld bytes)", n,
		    (long long)plan->size, plan->nparts,
		    (long long)plan->part_bytes);
		return multipart_bad(r, ERR_FIELD, "parts", msg);
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "parts[%zu]", i);
		memset(&err, 0, sizeof(err));
		if (jsonv_object(json_object_array_get_idx(arr, i), pf, P__N,
		    JSONV_REJECT_UNKNOWN, path, pv, &err) != ERR_OK)
			return multipart_bad(r, ERR_FIELD, err.field,
			    err.message[0] != '\0' ? err.message : NULL);
		if (pv[P_NUM].i != (int64_t)i + 1) {
			snprintf(path, sizeof(path), "parts[%zu].partNumber", i);
			snprintf(msg, sizeof(msg), "parts must be listed in "
			    "order 1..%d: %s is %lld, not %zu", plan->nparts,
			    path, (long long)pv[P_NUM].i, i + 1);
			return multipart_bad(r, ERR_FIELD, path, msg);
		}
		if (!s3mpu_etag_ok(pv[P_ETAG].s, pv[P_ETAG].len)) {
			snprintf(path, sizeof(path), "parts[%zu].etag", i);
			return multipart_bad(r, ERR_FIELD, path, "etag is not "
			    "an ETag S3 answers for a part (32 hex digits, "
			    "quoted or not)");
		}
		parts[i].number = (int)pv[P_NUM].i;
		parts[i].etag = pv[P_ETAG].s;
	}
	return ERR_OK;
}

/*
 * CompleteMultipartUpload could not confirm the upload: if the object is
 * there with the announced size, an earlier complete did it (its answer
 * was lost).  ERR_OK, or the error answered.
 */
static enum err
multipart_recover(struct req *r, const struct journal_mpu *m, enum err rc,
    const char *code)
{
	int64_t size = -1;
	char msg[256];
	enum err hr;

	hr = s3_head(r->app->s3, m->key, &size);
	if (hr == ERR_OK && size == m->size_bytes) {
		log_info("session %s seq %lld: complete found the object "
		    "already put together (%s)", m->session_id,
		    (long long)m->seq, code[0] != '\0' ? code : "-");
		return ERR_OK;
	}
	if (rc == ERR_NOT_FOUND && hr == ERR_NOT_FOUND) {
		snprintf(msg, sizeof(msg), "the multipart upload %.64s is gone from "
		    "S3 (aborted) and no object was made: presign the chunk "
		    "again", m->upload_id);
		return multipart_bad(r, ERR_CONFLICT, "uploadId", msg);
	}
	if (rc == ERR_UNAVAILABLE || hr == ERR_UNAVAILABLE)
		return multipart_bad(r, ERR_UNAVAILABLE, NULL, "S3 is not "
		    "answering properly; retry the complete");
	snprintf(msg, sizeof(msg), "S3 did not complete the multipart upload "
	    "(%s)", code[0] != '\0' ? code : "no error code");
	return multipart_bad(r, ERR_UPSTREAM, NULL, msg);
}

/*
 * S3 answered 412 to a complete sent with If-None-Match: *: an object
 * already has the key.  It is this upload's own when an earlier complete
 * made it and its answer was lost (S3 may answer a repeated conditional
 * complete so): the object carries this upload's session, seq, size and
 * composite checksum.  ERR_OK then; else 409 naming objectKey, the object
 * left as it is.
 */
static enum err
multipart_taken(struct req *r, const struct journal_mpu *m)
{
	struct s3meta meta;
	char seqs[24], msg[384];
	int64_t size = -1;
	enum err hr;

	memset(&meta, 0, sizeof(meta));
	snprintf(seqs, sizeof(seqs), "%lld", (long long)m->seq);
	hr = s3_head_meta(r->app->s3, m->key, &size, &meta);
	if (hr == ERR_OK && size == m->size_bytes &&
	    strcmp(meta.session_id, m->session_id) == 0 &&
	    strcmp(meta.seq, seqs) == 0 &&
	    strcmp(meta.meta_sha256, m->sha256) == 0) {
		log_info("session %s seq %lld: conditional complete found this "
		    "upload's object already there", m->session_id,
		    (long long)m->seq);
		return ERR_OK;
	}
	if (hr == ERR_UNAVAILABLE)
		return multipart_bad(r, ERR_UNAVAILABLE, NULL, "S3 is not "
		    "answering properly; retry the complete");
	log_info("session %s seq %lld: another object has key %s; the "
	    "write-once complete was refused", m->session_id,
	    (long long)m->seq, m->key);
	snprintf(msg, sizeof(msg), "another object already has this chunk's "
	    "key (objectKey) and the upload was presigned writeOnce: S3 "
	    "refused to replace it (412 PreconditionFailed); nothing was "
	    "overwritten and the upload %.64s was not completed", m->upload_id);
	return multipart_bad(r, ERR_CONFLICT, "objectKey", msg);
}

/* The recorded part checksums of m as each part's ChecksumSHA256 (sums
 * holds them, NUL-terminated); ERR_OK, or the error answered. */
static enum err
multipart_part_sums(struct req *r, struct journal *j,
    const struct journal_mpu *m, struct s3xml_part *parts, int nparts,
    char **sums)
{
	char *cat = NULL;
	size_t i;
	enum err rc;

	*sums = NULL;
	rc = journal_mpu_part_sha256(j, m->upload_id, &cat);
	if (rc == ERR_OK && strlen(cat) != (size_t)nparts *
	    S3SUM_SHA256_B64_LEN)
		rc = ERR_INTERNAL;
	if (rc != ERR_OK) {
		free(cat);
		log_error("session %s seq %lld: multipart upload %s has no "
		    "part checksums for its composite %s (%s)", m->session_id,
		    (long long)m->seq, m->upload_id, m->sha256,
		    err_strerror(rc));
		if (rc == ERR_UNAVAILABLE) {
			req_journal_error(r, rc, NULL);
			return rc;
		}
		return multipart_bad(r, ERR_INTERNAL, NULL, NULL);
	}
	*sums = xmalloc((size_t)nparts * (S3SUM_SHA256_B64_LEN + 1));
	for (i = 0; i < (size_t)nparts; i++) {
		char *d = *sums + i * (S3SUM_SHA256_B64_LEN + 1);

		memcpy(d, cat + i * S3SUM_SHA256_B64_LEN, S3SUM_SHA256_B64_LEN);
		d[S3SUM_SHA256_B64_LEN] = '\0';
		parts[i].checksum_sha256 = d;
	}
	free(cat);
	return ERR_OK;
}

enum err
multipart_complete(struct req *r, struct journal *j,
    const struct journal_chunk *c, const char *upload_id, json_object *arr)
{
	struct journal_mpu m;
	struct s3mpu_plan plan;
	struct s3xml_part *parts = NULL;
	char etag[JOURNAL_ETAG_BYTES], code[64], msg[256], *sums = NULL;
	enum err rc;

	if (upload_id == NULL)
		return multipart_bad(r, ERR_FIELD, "uploadId", "uploadId is "
		    "required with parts");
	if (arr == NULL)
		return multipart_bad(r, ERR_FIELD, "parts", "parts is required "
		    "with uploadId");
	rc = journal_mpu_get(j, r->session_id, c->seq, &m);
	if (rc == ERR_NOT_FOUND || (rc == ERR_OK &&
	    strcmp(m.upload_id, upload_id) != 0)) {
		snprintf(msg, sizeof(msg), "uploadId is not the multipart "
		    "upload presigned for seq %lld%s", (long long)c->seq,
		    rc == ERR_OK ? " (a newer presign replaced it?)" : "");
		return multipart_bad(r, ERR_MISMATCH, "uploadId", msg);
	}
	if (rc != ERR_OK) {
		req_journal_error(r, rc, NULL);
		return rc;
	}
	if (strcmp(m.key, c->key) != 0)
		return multipart_bad(r, ERR_MISMATCH, "objectKey", "objectKey "
		    "is not the key this multipart upload was presigned for");
	if (m.size_bytes != c->bytes) {
		snprintf(msg, sizeof(msg), "bytes %lld is not %lld, the size "
		    "this multipart upload was presigned for",
		    (long long)c->bytes, (long long)m.size_bytes);
		return multipart_bad(r, ERR_MISMATCH, "bytes", msg);
	}
	if (m.state == JOURNAL_MPU_ABORTING || m.state == JOURNAL_MPU_ABORTED ||
	    m.state == JOURNAL_MPU_FAILED) {
		snprintf(msg, sizeof(msg), "the multipart upload was %s: "
		    "presign the chunk again", m.state == JOURNAL_MPU_ABORTING ?
		    "replaced" : "aborted");
		return multipart_bad(r, ERR_CONFLICT, "uploadId", msg);
	}
	if (s3mpu_plan(m.size_bytes, m.part_bytes, &plan) != ERR_OK ||
	    plan.part_bytes != m.part_bytes) {
		/* The part size recorded is the one planned: not ours. */
		log_error("session %s seq %lld: multipart upload %s has part "
		    "size %lld, not a planned one", m.session_id,
		    (long long)m.seq, m.upload_id, (long long)m.part_bytes);
		return multipart_bad(r, ERR_INTERNAL, NULL, NULL);
	}
	parts = xcalloc((size_t)plan.nparts, sizeof(*parts));
	if ((rc = multipart_parts(r, arr, &plan, parts)) != ERR_OK)
		goto out;
	if (m.state == JOURNAL_MPU_COMPLETED) {
		/* Put together before; the object check follows. */
		rc = ERR_OK;
		goto out;
	}
	/* An upload created with SHA256 is completed with each part's
	 * checksum, as S3 requires; S3 compares them with the parts'. */
	if (m.sha256[0] != '\0' && (rc = multipart_part_sums(r, j, &m, parts,
	    plan.nparts, &sums)) != ERR_OK)
		goto out;
	rc = s3_mpu_complete(r->app->s3, m.key, m.upload_id, parts,
	    (size_t)plan.nparts, m.write_once, etag, sizeof(etag), code,
	    sizeof(code));
	if (rc == ERR_CONFLICT && (rc = multipart_taken(r, &m)) != ERR_OK)
		goto out;
	if (rc == ERR_FIELD) {
		snprintf(msg, sizeof(msg), "S3 refused the parts list (%s): "
		    "every part must be uploaded with its URL and listed with "
		    "the ETag its PUT answered", code);
		rc = multipart_bad(r, ERR_MISMATCH, "parts", msg);
		goto out;
	}
	if (rc != ERR_OK && (rc = multipart_recover(r, &m, rc, code)) !=
	    ERR_OK)
		goto out;
	if ((rc = journal_mpu_completed(j, m.upload_id,
	    journal_clock_ms(j))) != ERR_OK)
		req_journal_error(r, rc, NULL);
out:
	free(parts);
	free(sums);
	return rc;
}

/* -------------------------------------------------------------- abort */

enum err
multipart_abort_session(struct app *app, const char *session_id,
    int64_t at_ms)
{
	int64_t n = 0;
	enum err rc;

	rc = journal_mpu_abort_session(app->journal, session_id, at_ms, &n);
	if (rc == ERR_OK && n > 0)
		log_info("session %s: %lld open multipart upload(s) to be "
		    "aborted", session_id, (long long)n);
	return rc;
}

/* One abort attempt of m, its outcome recorded. */
static void
multipart_abort_one(struct app *app, const struct journal_mpu *m)
{
	const struct api_conf *conf = app->conf;
	enum journal_mpu_state next;
	int64_t now, retry;
	char reason[128];
	enum err rc;

	rc = s3_mpu_abort(app->s3, m->key, m->upload_id);
	now = journal_clock_ms(app->journal);
	if (rc == ERR_OK || rc == ERR_NOT_FOUND) {
		log_info("session %s seq %lld: multipart upload aborted%s",
		    m->session_id, (long long)m->seq, rc == ERR_NOT_FOUND ?
		    " (S3 no longer had it)" : "");
		(void)journal_mpu_abort_result(app->journal, m->upload_id,
		    JOURNAL_MPU_ABORTED, 0, NULL, now);
		return;
	}
	snprintf(reason, sizeof(reason), "abort: %s", err_strerror(rc));
	if (m->attempts + 1 >= conf->deliver_max_attempts) {
		log_error("session %s seq %lld: giving up aborting multipart "
		    "upload %s after %d attempts (%s); S3's lifecycle rule "
		    "for incomplete uploads is what is left", m->session_id,
		    (long long)m->seq, m->upload_id, m->attempts + 1, reason);
		next = JOURNAL_MPU_FAILED;
		retry = 0;
	} else {
		next = m->state;
		retry = deliver_next_attempt(conf, m->attempts + 1, now);
	}
	(void)journal_mpu_abort_result(app->journal, m->upload_id, next, retry,
	    reason, now);
}

long
multipart_abort_due(struct app *app)
{
	struct journal_mpu *due;
	size_t n = 0, i;
	int64_t lease;

	lease = app->conf->s3_timeout * 2 + 10000;
	due = xcalloc(MULTIPART_ABORT_BATCH, sizeof(*due));
	if (journal_mpu_due(app->journal, journal_clock_ms(app->journal),
	    lease, due, MULTIPART_ABORT_BATCH, &n) != ERR_OK) {
		free(due);
		return -1;
	}
	for (i = 0; i < n && !api_sig_term; i++)
		multipart_abort_one(app, &due[i]);
	free(due);
	return (long)n;
}

long
multipart_purge(struct app *app)
{
	static int64_t next_ms;		/* this process's next look */
	int64_t now = journal_clock_ms(app->journal), n = 0;

	if (now < next_ms)
		return 0;
	if (journal_mpu_purge(app->journal, now -
	    app->conf->multipart_purge_after, MULTIPART_PURGE_BATCH, &n) !=
	    ERR_OK) {
		next_ms = now + 1000;
		return -1;
	}
	if (n > 0)
		log_info("multipart: %lld finished upload row(s) purged from the "
		    "journal", (long long)n);
	/* A full batch: more are waiting, look again next round. */
	next_ms = n < MULTIPART_PURGE_BATCH ? now +
	    app->conf->lifecycle_interval : 0;
	return (long)n;
}

/* ----------------------------------------------------------- recovery */

/*
 * Resolve one intent left behind: abort every upload S3 lists for its key
 * that the journal does not know.  Done (the intent dropped) when S3
 * listed everything and nothing is left to look at again.
 */
static void
multipart_resolve_one(struct app *app, const struct journal_mpu_intent *in)
{
	const struct api_conf *conf = app->conf;
	struct s3xml_uploads l;
	enum journal_mpu_known known;
	size_t i, aborted = 0;
	int again = 0;
	char reason[128];
	enum err rc;

	reason[0] = '\0';
	rc = s3_mpu_list(app->s3, in->key, &l);
	if (rc != ERR_OK) {
		snprintf(reason, sizeof(reason), "list: %s", err_strerror(rc));
		goto retry;
	}
	for (i = 0; i < l.n && !api_sig_term; i++) {
		/* The listing is by prefix: only this very key. */
		if (strcmp(l.u[i].key, in->key) != 0)
			continue;
		if ((rc = journal_mpu_known(app->journal, in, l.u[i].upload_id,
		    &known)) != ERR_OK) {
			snprintf(reason, sizeof(reason), "journal: %s",
			    err_strerror(rc));
			again = 1;
			break;
		}
		if (known == JOURNAL_MPU_RECORDED)
			continue;
		if (known == JOURNAL_MPU_PENDING) {
			again = 1;
			snprintf(reason, sizeof(reason), "a newer presign of "
			    "the chunk is under way");
			continue;
		}
		rc = s3_mpu_abort(app->s3, in->key, l.u[i].upload_id);
		if (rc != ERR_OK && rc != ERR_NOT_FOUND) {
			snprintf(reason, sizeof(reason), "abort: %s",
			    err_strerror(rc));
			again = 1;
			continue;
		}
		aborted++;
		log_warn("session %s seq %lld: multipart upload %s of %s was "
		    "never recorded (its presign died after S3 made it): "
		    "aborted", in->session_id, (long long)in->seq,
		    l.u[i].upload_id, in->key);
	}
	if (l.truncated) {
		again = 1;
		snprintf(reason, sizeof(reason), "more uploads to list");
	}
	s3xml_uploads_free(&l);
	if (!again && !api_sig_term) {
		if (aborted == 0)
			log_info("session %s seq %lld: a multipart Create left "
			    "no upload behind (%s)", in->session_id,
			    (long long)in->seq, in->key);
		(void)journal_mpu_intent_drop(app->journal, in->id);
		return;
	}
retry:
	if (api_sig_term)
		return;		/* its lease runs out; due again then */
	if (in->attempts + 1 >= conf->deliver_max_attempts) {
		log_error("session %s seq %lld: giving up resolving the "
		    "multipart Create of %s after %d attempts (%s); S3's "
		    "lifecycle rule for incomplete uploads is what is left",
		    in->session_id, (long long)in->seq, in->key,
		    in->attempts + 1, reason);
		(void)journal_mpu_intent_drop(app->journal, in->id);
		return;
	}
	(void)journal_mpu_intent_retry(app->journal, in->id,
	    deliver_next_attempt(conf, in->attempts + 1,
	    journal_clock_ms(app->journal)), reason);
}

long
multipart_resolve_due(struct app *app)
{
	struct journal_mpu_intent *due;
	size_t n = 0, i;
	int64_t lease;

	/* A listing and a few aborts. */
	lease = app->conf->s3_timeout * 4 + 10000;
	due = xcalloc(MULTIPART_INTENT_BATCH, sizeof(*due));
	if (journal_mpu_intents_due(app->journal,
	    journal_clock_ms(app->journal), lease, due,
	    MULTIPART_INTENT_BATCH, &n) != ERR_OK) {
		free(due);
		return -1;
	}
	for (i = 0; i < n && !api_sig_term; i++)
		multipart_resolve_one(app, &due[i]);
	free(due);
	return (long)n;
}
