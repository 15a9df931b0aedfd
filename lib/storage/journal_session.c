/*
 * journal_session.c: session rows: create one (with the per-user limits
 * counted inside the insert's transaction), read one, and the late-chunk
 * rule that says whether a sealed session still takes a chunk.
 *
 * The row readers here are what every other journal file uses to see a
 * session inside its own transaction (journal_int.h); the changes to a
 * session (complete, upsert, finalize) are in journal_chunk.c.
 */
#include <string.h>

#include "journal_int.h"
#include "log.h"

static int64_t
journal_span(struct journal_stmt *st, int tmin, int tmax)
{
	if (journal_col_null(st, tmin) ||
	    journal_col_null(st, tmax))
		return 0;
	return journal_col_int64(st, tmax) - journal_col_int64(st, tmin);
}

void
journal_session_cols(struct journal_stmt *st, struct journal_session *s)
{
	memset(s, 0, sizeof(*s));
	journal_col_text(st, 0, s->id, sizeof(s->id));
	journal_col_text(st, 1, s->owner, sizeof(s->owner));
	journal_col_text(st, 2, s->codec, sizeof(s->codec));
	s->sample_rate = journal_col_int(st, 3);
	s->chunk_seconds = journal_col_int(st, 4);
	journal_col_text(st, 5, s->user_agent, sizeof(s->user_agent));
	s->created_ms = journal_col_int64(st, 6);
	s->updated_ms = journal_col_int64(st, 7);
	s->finalized = journal_col_int(st, 8);
	s->duration_ms = s->finalized ? journal_col_int64(st, 9) :
	    journal_span(st, 12, 13);
	s->chunk_count = journal_col_int64(st, 10);
	s->total_bytes = journal_col_int64(st, 11);
	s->revision = journal_col_int64(st, 14);
	s->synced_revision = journal_col_int64(st, 15);
	s->deleting_ms = journal_col_int64(st, 17);
	if (s->finalized) {
		s->finalized_ms = journal_col_int64(st, 18);
		s->final_chunk_count = journal_col_null(st, 19) ? s->chunk_count : journal_col_int64(st, 19);
		s->final_total_bytes = journal_col_null(st, 20) ? s->total_bytes : journal_col_int64(st, 20);
	}
}

enum err
journal_session_by(struct journal *j, enum journal_stmt_id sid,
    const char *owner, const char *id, struct journal_session *s,
    char *final_event_id, const char *func)
{
	struct journal_stmt *st;
	const char *o;
	enum err e;

	if ((e = journal_first(j, sid, &st, func, "read session",
	    JARGS(JTEXT(id)))) != ERR_OK)
		return e;
	if ((o = journal_col_str(st, 1)) == NULL)
		e = ERR_NOMEM;
	else if (owner != NULL && strcmp(o, owner) != 0)
		e = ERR_NOT_FOUND;
	else {
		journal_session_cols(st, s);
		if (final_event_id != NULL)
			journal_col_text(st, 16, final_event_id,
			    JOURNAL_EVENT_ID_BYTES);
	}
	journal_unstmt(st);
	return e;
}

enum err
journal_session_row(struct journal *j, const char *owner, const char *id,
    struct journal_session *s, char *final_event_id, const char *func)
{
	return journal_session_by(j, JS_SESSION_GET, owner, id, s,
	    final_event_id, func);
}

enum err
journal_session_read(struct journal *j, const char *owner, const char *id,
    struct journal_session *s, char *final_event_id, const char *func)
{
	enum err e;

	e = journal_session_by(j, JS_SESSION_GET, owner, id, s,
	    final_event_id, func);
	if (e == ERR_OK && owner != NULL && s->deleting_ms != 0)
		e = ERR_NOT_FOUND;
	return e;
}

enum err
journal_session_lock(struct journal *j, const char *owner, const char *id,
    struct journal_session *s, char *final_event_id, const char *func)
{
	enum err e;

	e = journal_session_by(j, JS_SESSION_LOCK, owner, id, s,
	    final_event_id, func);
	if (e == ERR_OK && owner != NULL && s->deleting_ms != 0)
		e = ERR_NOT_FOUND;
	return e;
}

/* The per-user limits of n, within the create's transaction. */
static enum err
journal_user_limits(struct journal *j, const struct journal_session_new *n,
    int64_t now_ms, struct journal_limit *lim)
{
	static const char *func = "journal_create_session";
	int64_t open = 0, created = 0, oldest = 0;
	struct journal_stmt *st;
	enum err e;

	if (n->max_open <= 0 && n->max_per_hour <= 0)
		return ERR_OK;
	/* Concurrent creates of one user count one after the other. */
	if ((e = journal_exec(j, JS_USER_LOCK, func, "lock the user",
	    JARGS(JTEXT(n->owner)))) != ERR_OK)
		return e;
	e = journal_first(j, JS_USER_COUNTS, &st, func,
	    "count the user's sessions", JARGS(JTEXT(n->owner),
	    JINT(n->open_since_ms), JINT(now_ms - 3600 * 1000)));
	if (e == ERR_NOT_FOUND)	/* an aggregate always answers a row */
		e = journal_norow(func, "count the user's sessions");
	if (e != ERR_OK)
		return e;
	open = journal_col_int64(st, 0);
	created = journal_col_int64(st, 1);
	oldest = journal_col_int64(st, 2);
	journal_unstmt(st);
	if (n->max_open > 0 && open >= n->max_open) {
		lim->name = "user_open_sessions";
		lim->count = open;
		lim->retry_after_ms = 60 * 1000;
		return ERR_RATE_LIMITED;
	}
	if (n->max_per_hour > 0 && created >= n->max_per_hour) {
		lim->name = "user_sessions_per_hour";
		lim->count = created;
		lim->retry_after_ms = oldest + 3600 * 1000 - now_ms;
		if (lim->retry_after_ms < 1000)
			lim->retry_after_ms = 1000;
		return ERR_RATE_LIMITED;
	}
	return ERR_OK;
}

enum err
journal_create_session(struct journal *j, const struct journal_session_new *n,
    int64_t now_ms, struct journal_limit *lim)
{
	char ua[JOURNAL_USER_AGENT_BYTES];
	struct journal_limit unused;
	enum err e;

	if (lim == NULL)
		lim = &unused;
	memset(lim, 0, sizeof(*lim));

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (n == NULL || !journal_str_ok(n->id, LIMIT_SESSION_ID_BYTES) ||
	    !journal_str_ok(n->owner, LIMIT_SUB_BYTES) ||
	    !journal_str_ok(n->codec, JOURNAL_CODEC_BYTES - 1) ||
	    n->sample_rate <= 0 || n->chunk_seconds <= 0)
		return ERR_INVAL;
	journal_copy_cut(ua, sizeof(ua), n->user_agent);
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	if ((e = journal_user_limits(j, n, now_ms, lim)) != ERR_OK)
		goto out;
	if ((e = journal_exec(j, JS_SESSION_INSERT, __func__, "insert session",
	    JARGS(JTEXT(n->id), JTEXT(n->owner), JTEXT(n->codec),
	    JINT(n->sample_rate), JINT(n->chunk_seconds), JTEXT(ua),
	    JINT(now_ms)))) != ERR_OK)
		goto out;
	/* ON CONFLICT DO NOTHING: a taken id changes no row. */
	if (journal_changes(j) == 0)
		e = ERR_CONFLICT;
out:
	return journal_end(j, e, __func__);
}

enum err
journal_get_session(struct journal *j, const char *owner,
    const char *session_id, struct journal_session *out)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL || out == NULL)
		return ERR_INVAL;
	return journal_session_read(j, owner, session_id, out, NULL, __func__);
}

/* ------------------------------------------------------------- late chunks */

void
journal_set_finalize_grace(struct journal *j, int64_t grace_ms)
{
	if (j != NULL)
		j->finalize_grace_ms = grace_ms > 0 ? grace_ms : 0;
}

void
journal_set_finalize_mpu_abort(struct journal *j, int64_t after_ms)
{
	if (j != NULL)
		j->finalize_mpu_abort_ms = after_ms > 0 ? after_ms : 0;
}

enum journal_late
journal_late_rule(const struct journal_session *s, int64_t t_start_ms,
    int64_t grace_ms, int64_t now_ms)
{
	if (!s->finalized)
		return JOURNAL_LATE_OK;
	if (t_start_ms >= s->duration_ms)
		return JOURNAL_LATE_OUTSIDE;
	/* finalized_ms 0: sealed by a program that did not record when. */
	if (grace_ms <= 0 || s->finalized_ms <= 0 ||
	    now_ms - s->finalized_ms > grace_ms)
		return JOURNAL_LATE_EXPIRED;
	return JOURNAL_LATE_OK;
}
