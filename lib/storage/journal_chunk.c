/*
 * journal_chunk.c: the changes a client makes to a session, each in one
 * BEGIN IMMEDIATE transaction: complete a chunk (and its retry, answered
 * from what the first one recorded), upsert a client's manifest, finalize.
 *
 * Each change adds one manifest revision and (re)enqueues the session's
 * manifest_write (journal_changed()); complete and finalize also enqueue
 * their event with its Detail rendered at commit time, so a crash after
 * the commit loses nothing and a retry answers the same eventId.  These
 * two helpers are shared with the outbox and the deletions
 * (journal_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"
#include "log.h"
#include "uuid.h"

static int
journal_chunk_valid(const struct journal_chunk *c)
{
	return c != NULL && c->seq >= 1 && c->t_start_ms >= 0 &&
	    c->t_end_ms > c->t_start_ms && c->bytes >= 1 &&
	    journal_str_ok(c->key, LIMIT_S3_KEY_BYTES) &&
	    journal_opt_ok(c->md5, JOURNAL_HASH_BYTES - 1) &&
	    journal_opt_ok(c->sha256, JOURNAL_HASH_BYTES - 1) &&
	    journal_opt_ok(c->etag, LIMIT_S3_ETAG_BYTES);
}

static enum err
journal_chunk_read(struct journal *j, const char *session_id, int64_t seq,
    struct journal_row *r, const char *func)
{
	struct journal_stmt *st;
	enum err e;

	memset(r, 0, sizeof(*r));
	e = journal_first(j, JS_CHUNK_GET, &st, func, "read chunk",
	    JARGS(JTEXT(session_id), JINT(seq)));
	if (e == ERR_NOT_FOUND)
		return ERR_OK;
	if (e != ERR_OK)
		return e;
	r->found = 1;
	journal_col_text(st, 0, r->key, sizeof(r->key));
	r->t_start_ms = journal_col_int64(st, 1);
	r->t_end_ms = journal_col_int64(st, 2);
	r->bytes = journal_col_int64(st, 3);
	journal_col_text(st, 4, r->md5, sizeof(r->md5));
	journal_col_text(st, 5, r->sha256, sizeof(r->sha256));
	journal_col_text(st, 6, r->event_id, sizeof(r->event_id));
	r->ack_chunk_count = journal_col_int64(st, 7);
	r->ack_total_bytes = journal_col_int64(st, 8);
	r->ack_duration_ms = journal_col_int64(st, 9);
	r->ack_revision = journal_col_int64(st, 10);
	journal_unstmt(st);
	return ERR_OK;
}

/* Does the stored chunk say the same as c?  Hashes only count where both
 * sides have one. */
static int
journal_chunk_same(const struct journal_row *r, const struct journal_chunk *c)
{
	const char *md5 = journal_opt(c->md5), *sha = journal_opt(c->sha256);

	return strcmp(r->key, c->key) == 0 && r->bytes == c->bytes &&
	    r->t_start_ms == c->t_start_ms && r->t_end_ms == c->t_end_ms &&
	    (md5 == NULL || r->md5[0] == '\0' || strcmp(r->md5, md5) == 0) &&
	    (sha == NULL || r->sha256[0] == '\0' ||
	    strcmp(r->sha256, sha) == 0);
}

/* What the first complete of r answered, as a retry's answer. */
static void
journal_chunk_answer(const struct journal_row *r,
    struct journal_complete_result *out)
{
	out->chunk_count = r->ack_chunk_count;
	out->total_bytes = r->ack_total_bytes;
	out->duration_ms = r->ack_duration_ms;
	out->revision = r->ack_revision;
	journal_str_copy(out->event_id, sizeof(out->event_id), r->event_id);
	out->replayed = 1;
}

/* Insert a chunk and fold it into the session's aggregates. */
static enum err
journal_chunk_insert(struct journal *j, const char *session_id,
    const struct journal_chunk *c, int64_t now_ms, const char *func)
{
	enum err e;

	if ((e = journal_exec(j, JS_CHUNK_INSERT, func, "insert chunk",
	    JARGS(JTEXT(session_id), JINT(c->seq), JTEXT(c->key),
	    JINT(c->t_start_ms), JINT(c->t_end_ms), JINT(c->bytes),
	    JTEXT(journal_opt(c->md5)), JTEXT(journal_opt(c->sha256)),
	    JINT(now_ms), JTEXT(journal_opt(c->etag))))) != ERR_OK)
		return e;
	return journal_exec(j, JS_SESSION_ADD_CHUNK, func,
	    "update session totals", JARGS(JTEXT(session_id), JINT(c->bytes),
	    JINT(c->t_start_ms), JINT(c->t_end_ms)));
}

enum err
journal_changed(struct journal *j, const char *session_id, int64_t now_ms,
    const char *func)
{
	enum err e;

	if ((e = journal_exec(j, JS_SESSION_BUMP, func, "bump revision",
	    JARGS(JTEXT(session_id), JINT(now_ms)))) != ERR_OK)
		return e;
	return journal_exec(j, JS_OUTBOX_MANIFEST, func,
	    "enqueue manifest write", JARGS(JTEXT(session_id), JINT(now_ms)));
}

enum err
journal_enqueue_event(struct journal *j, const char *session_id,
    const char *detail_type, const char *event_id, const char *payload,
    int64_t now_ms, const char *func)
{
	return journal_exec(j, JS_OUTBOX_EVENT, func, "enqueue event",
	    JARGS(JTEXT(session_id), JTEXT(detail_type), JTEXT(event_id),
	    JTEXT(payload), JINT(now_ms)));
}

/* A new complete of c was merged as out says: enqueue its
 * AudioChunkUploaded event and record the answer on the chunk row. */
static enum err
journal_complete_event(struct journal *j, const struct journal_session *s,
    const struct journal_chunk *c, int64_t now_ms,
    const struct journal_complete_result *out, const char *func)
{
	struct manifest_chunk_event ev;
	char *detail = NULL;
	enum err e;

	memset(&ev, 0, sizeof(ev));
	ev.user_id = s->owner;
	ev.session_id = s->id;
	ev.chunk_seq = c->seq;
	ev.chunk_key = c->key;
	ev.bytes = c->bytes;
	ev.timestamp_ms = now_ms;
	ev.event_id = out->event_id;
	if ((e = manifest_render_chunk_event(&ev, &detail, NULL)) != ERR_OK)
		goto out;
	if ((e = journal_enqueue_event(j, s->id, "AudioChunkUploaded",
	    out->event_id, detail, now_ms, func)) != ERR_OK)
		goto out;
	e = journal_exec(j, JS_CHUNK_ADOPT, func, "record complete",
	    JARGS(JTEXT(s->id), JINT(c->seq), JTEXT(out->event_id),
	    JTEXT(journal_opt(c->md5)), JTEXT(journal_opt(c->sha256)),
	    JINT(out->chunk_count), JINT(out->total_bytes),
	    JINT(out->duration_ms), JINT(out->revision),
	    JTEXT(journal_opt(c->etag))));
out:
	free(detail);
	return e;
}

static enum err
journal_complete_tx(struct journal *j, const char *owner,
    const char *session_id, const struct journal_chunk *c, int64_t now_ms,
    struct journal_complete_result *out)
{
	static const char *func = "journal_complete_chunk";
	struct journal_session s;
	struct journal_row r;
	enum err e;

	if ((e = journal_session_lock(j, owner, session_id, &s, NULL,
	    func)) != ERR_OK)
		return e;
	if ((e = journal_chunk_read(j, session_id, c->seq, &r, func)) != ERR_OK)
		return e;
	if (r.found && !journal_chunk_same(&r, c)) {
		log_msg(LOGL_INFO, func, "session %s seq %lld: complete "
		    "differs from the stored chunk", session_id,
		    (long long)c->seq);
		return ERR_CONFLICT;
	}
	if (r.found && r.event_id[0] != '\0') {
		/* A retry: answer what the first complete answered. */
		journal_chunk_answer(&r, out);
		return ERR_OK;
	}
	if (s.finalized && journal_late_rule(&s, c->t_start_ms,
	    j->finalize_grace_ms, now_ms) != JOURNAL_LATE_OK)
		return ERR_CONFLICT;
	if (s.finalized)
		log_msg(LOGL_INFO, func, "session %s seq %lld: late chunk "
		    "after finalize", session_id, (long long)c->seq);
	if (!r.found) {
		if (s.chunk_count >= LIMIT_CHUNKS_PER_SESSION)
			return ERR_TOO_LARGE;
		/* Not while the sweep may be deleting its object. */
		if ((e = journal_sweep_check(j, session_id, c->seq, now_ms,
		    func)) != ERR_OK)
			return e;
		if ((e = journal_chunk_insert(j, session_id, c, now_ms,
		    func)) != ERR_OK)
			return e;
	}
	if ((e = journal_changed(j, session_id, now_ms, func)) != ERR_OK)
		return e;
	if ((e = journal_session_read(j, NULL, session_id, &s, NULL,
	    func)) != ERR_OK)
		return e;
	if ((e = uuid_v4(out->event_id, sizeof(out->event_id))) != ERR_OK)
		return e;
	out->chunk_count = s.chunk_count;
	out->total_bytes = s.total_bytes;
	out->duration_ms = s.duration_ms;
	out->revision = s.revision;
	out->replayed = 0;
	return journal_complete_event(j, &s, c, now_ms, out, func);
}

/* What complete and replay check before their transaction, and its
 * begin (write 1: the write lock). */
static enum err
journal_chunk_begin(struct journal *j, const char *owner,
    const char *session_id, const struct journal_chunk *c,
    struct journal_complete_result *out, int write, const char *func)
{
	enum err e;

	if ((e = journal_check(j, func)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL || out == NULL ||
	    !journal_chunk_valid(c))
		return ERR_INVAL;
	memset(out, 0, sizeof(*out));
	return journal_begin(j, write, func);
}

enum err
journal_complete_chunk(struct journal *j, const char *owner,
    const char *session_id, const struct journal_chunk *c, int64_t now_ms,
    struct journal_complete_result *out)
{
	enum err e;

	if ((e = journal_chunk_begin(j, owner, session_id, c, out, 1,
	    __func__)) != ERR_OK)
		return e;
	e = journal_complete_tx(j, owner, session_id, c, now_ms, out);
	return journal_end_clear(j, e, __func__, out, sizeof(*out));
}

enum err
journal_replay_chunk(struct journal *j, const char *owner,
    const char *session_id, const struct journal_chunk *c,
    struct journal_complete_result *out)
{
	struct journal_session s;
	struct journal_row r;
	enum err e;

	if ((e = journal_chunk_begin(j, owner, session_id, c, out, 0,
	    __func__)) != ERR_OK)
		return e;
	if ((e = journal_session_read(j, owner, session_id, &s, NULL,
	    __func__)) != ERR_OK)
		goto out;
	if ((e = journal_chunk_read(j, session_id, c->seq, &r, __func__)) !=
	    ERR_OK)
		goto out;
	/* What journal_complete_chunk() answers a retry with. */
	if (r.found && r.event_id[0] != '\0' && journal_chunk_same(&r, c))
		journal_chunk_answer(&r, out);
out:
	return journal_end_clear(j, e, __func__, out, sizeof(*out));
}

enum err
journal_unknown_seqs(struct journal *j, const char *owner,
    const char *session_id, const int64_t *seqs, size_t n,
    unsigned char *unknown)
{
	struct journal_session s;
	struct journal_row r;
	enum err e;
	size_t i;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL ||
	    (n > 0 && (seqs == NULL || unknown == NULL)))
		return ERR_INVAL;
	if (n > LIMIT_CHUNKS_PER_SESSION)
		return ERR_TOO_LARGE;
	if ((e = journal_begin(j, 0, __func__)) != ERR_OK)
		return e;
	if ((e = journal_session_read(j, owner, session_id, &s, NULL,
	    __func__)) != ERR_OK)
		goto out;
	for (i = 0; i < n; i++) {
		if ((e = journal_chunk_read(j, session_id, seqs[i], &r,
		    __func__)) != ERR_OK)
			goto out;
		unknown[i] = r.found ? 0 : 1;
	}
out:
	return journal_end(j, e, __func__);
}

static int
journal_seq_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static enum err
journal_upsert_tx(struct journal *j, const char *owner,
    const char *session_id, const struct journal_chunk *chunks, size_t n,
    int64_t now_ms, struct journal_upsert_result *out)
{
	static const char *func = "journal_upsert_manifest";
	struct journal_session s;
	struct journal_row r;
	enum err e;
	size_t i;

	if ((e = journal_session_lock(j, owner, session_id, &s, NULL,
	    func)) != ERR_OK)
		return e;
	for (i = 0; i < n; i++) {
		if ((e = journal_chunk_read(j, session_id, chunks[i].seq, &r,
		    func)) != ERR_OK)
			return e;
		if (r.found) {
			if (!journal_chunk_same(&r, &chunks[i])) {
				log_msg(LOGL_INFO, func, "session %s seq %lld:"
				    " manifest entry differs from the "
				    "verified chunk", session_id,
				    (long long)chunks[i].seq);
				return ERR_CONFLICT;
			}
			continue;
		}
		if (s.finalized)
			return ERR_CONFLICT;
		if (s.chunk_count + (int64_t)out->added >=
		    LIMIT_CHUNKS_PER_SESSION)
			return ERR_TOO_LARGE;
		if ((e = journal_sweep_check(j, session_id, chunks[i].seq,
		    now_ms, func)) != ERR_OK)
			return e;
		if ((e = journal_chunk_insert(j, session_id, &chunks[i],
		    now_ms, func)) != ERR_OK)
			return e;
		out->added++;
	}
	if (out->added > 0 &&
	    (e = journal_changed(j, session_id, now_ms, func)) != ERR_OK)
		return e;
	if ((e = journal_session_read(j, NULL, session_id, &s, NULL,
	    func)) != ERR_OK)
		return e;
	out->revision = s.revision;
	out->chunk_count = s.chunk_count;
	out->total_bytes = s.total_bytes;
	return ERR_OK;
}

/* ERR_INVAL if two chunks share a seq. */
static enum err
journal_seqs_unique(const struct journal_chunk *chunks, size_t n)
{
	int64_t *seqs = NULL;
	enum err e = ERR_OK;
	size_t i;

	if (n < 2)
		return ERR_OK;
	if ((seqs = calloc(n, sizeof(*seqs))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++)
		seqs[i] = chunks[i].seq;
	qsort(seqs, n, sizeof(*seqs), journal_seq_cmp);
	for (i = 1; i < n && e == ERR_OK; i++)
		if (seqs[i] == seqs[i - 1])
			e = ERR_INVAL;
	free(seqs);
	return e;
}

enum err
journal_upsert_manifest(struct journal *j, const char *owner,
    const char *session_id, const struct journal_chunk *chunks, size_t n,
    int64_t now_ms, struct journal_upsert_result *out)
{
	enum err e;
	size_t i;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL || out == NULL ||
	    (n > 0 && chunks == NULL))
		return ERR_INVAL;
	if (n > LIMIT_CHUNKS_PER_SESSION)
		return ERR_TOO_LARGE;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++)
		if (!journal_chunk_valid(&chunks[i]))
			return ERR_INVAL;
	if ((e = journal_seqs_unique(chunks, n)) != ERR_OK)
		return e;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_upsert_tx(j, owner, session_id, chunks, n, now_ms, out);
	return journal_end_clear(j, e, __func__, out, sizeof(*out));
}

enum err
journal_seal(struct journal *j, struct journal_session *s,
    const char *session_id, int64_t duration_ms, const char *manifest_key,
    int64_t now_ms, const char *final_id, const char *reason,
    const char *func)
{
	struct manifest_final_event ev;
	char *detail = NULL;
	enum err e;

	if ((e = journal_exec(j, JS_SESSION_FINALIZE, func, "seal session",
	    JARGS(JTEXT(session_id), JINT(duration_ms), JTEXT(final_id),
	    JINT(now_ms), JTEXT(reason)))) != ERR_OK)
		goto out;
	if ((e = journal_changed(j, session_id, now_ms, func)) != ERR_OK)
		goto out;
	if ((e = journal_session_read(j, NULL, session_id, s, NULL,
	    func)) != ERR_OK)
		goto out;
	memset(&ev, 0, sizeof(ev));
	ev.user_id = s->owner;
	ev.session_id = s->id;
	ev.manifest_key = manifest_key;
	ev.chunk_count = s->chunk_count;
	ev.total_bytes = s->total_bytes;
	ev.duration_ms = s->duration_ms;
	ev.timestamp_ms = now_ms;
	ev.event_id = final_id;
	ev.reason = reason;
	if ((e = manifest_render_final_event(&ev, &detail, NULL)) != ERR_OK)
		goto out;
	e = journal_enqueue_event(j, session_id, "RecordingFinalized",
	    final_id, detail, now_ms, func);
out:
	free(detail);
	return e;
}

static enum err
journal_finalize_tx(struct journal *j, const char *owner,
    const char *session_id, int64_t duration_ms, const char *manifest_key,
    int64_t now_ms, struct journal_finalize_result *out)
{
	static const char *func = "journal_finalize";
	struct journal_session s;
	char final_id[JOURNAL_EVENT_ID_BYTES];
	enum err e;

	if ((e = journal_session_lock(j, owner, session_id, &s, final_id,
	    func)) != ERR_OK)
		return e;
	if (!s.finalized) {
		if ((e = uuid_v4(final_id, sizeof(final_id))) != ERR_OK)
			return e;
		if ((e = journal_seal(j, &s, session_id, duration_ms,
		    manifest_key, now_ms, final_id, NULL, func)) != ERR_OK)
			return e;
		/* Its open uploads can be completed as the late last chunk
		 * until the window ends; aborted then. */
		if (j->finalize_mpu_abort_ms > 0 && (e = journal_exec(j,
		    JS_MPU_ABORT_SESSION, func, "schedule multipart aborts",
		    JARGS(JTEXT(session_id), JINT(now_ms +
		    j->finalize_mpu_abort_ms)))) != ERR_OK)
			return e;
	} else
		out->replayed = 1;
	/* As the first finalize answered, late chunks or not. */
	out->chunk_count = s.final_chunk_count;
	out->total_bytes = s.final_total_bytes;
	out->duration_ms = s.duration_ms;
	out->revision = s.revision;
	journal_str_copy(out->event_id, sizeof(out->event_id), final_id);
	return ERR_OK;
}

enum err
journal_finalize(struct journal *j, const char *owner, const char *session_id,
    int64_t duration_ms, const char *manifest_key, int64_t now_ms,
    struct journal_finalize_result *out)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL || out == NULL ||
	    duration_ms <= 0 ||
	    !journal_str_ok(manifest_key, LIMIT_S3_KEY_BYTES))
		return ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_finalize_tx(j, owner, session_id, duration_ms,
	    manifest_key, now_ms, out);
	return journal_end_clear(j, e, __func__, out, sizeof(*out));
}
