/*
 * journal_deletion.c: DELETE of a session, from the accepting transaction
 * to the tombstone's end.
 *
 * Accepting marks the session deleting, drops its pending manifest write
 * and adds a deletions row.  The deliverer then claims the row under a
 * lease (as the outbox does) and walks it through three phases: objects
 * (everything under the session's prefix deleted; RecordingDeleted
 * enqueued), purge (once the session's events are delivered, its rows go)
 * and recheck (after the last presigned URL could have been used, the
 * prefix is listed once more; then the tombstone goes).
 */
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"
#include "log.h"
#include "uuid.h"

static enum journal_deletion_phase
journal_phase_parse(const char *s)
{
	if (s != NULL && strcmp(s, "purge") == 0)
		return JOURNAL_DELETION_PURGE;
	if (s != NULL && strcmp(s, "recheck") == 0)
		return JOURNAL_DELETION_RECHECK;
	return JOURNAL_DELETION_OBJECTS;
}

static const char *
journal_phase_name(enum journal_deletion_phase p)
{
	switch (p) {
	case JOURNAL_DELETION_PURGE:
		return "purge";
	case JOURNAL_DELETION_RECHECK:
		return "recheck";
	default:
		return "objects";
	}
}

/* The deletions row of session_id inside the caller's transaction into
 * out (d_phase, may be NULL: its phase).  ERR_NOT_FOUND: none. */
static enum err
journal_deletion_get(struct journal *j, const char *session_id,
    struct journal_delete_result *out, enum journal_deletion_phase *d_phase,
    const char *func)
{
	struct journal_stmt *st;
	enum err e;

	if ((e = journal_first(j, JS_DELETION_GET, &st, func, "read deletion",
	    JARGS(JTEXT(session_id)))) != ERR_OK)
		return e;
	if (out != NULL) {
		journal_col_text(st, 0, out->event_id, sizeof(out->event_id));
		out->requested_ms = journal_col_int64(st, 1);
		out->recheck_ms = journal_col_int64(st, 2);
	}
	if (d_phase != NULL)
		*d_phase = journal_phase_parse(journal_col_str(st, 3));
	journal_unstmt(st);
	return ERR_OK;
}

static enum err
journal_delete_tx(struct journal *j, const char *owner,
    const char *session_id, int64_t url_lifetime_ms, int64_t slack_ms,
    int64_t margin_ms, int64_t now_ms, struct journal_delete_result *out)
{
	static const char *func = "journal_delete_session";
	struct journal_session s;
	int64_t recheck = now_ms + url_lifetime_ms, newest = 0;
	enum err e;
	int found;

	if ((e = journal_session_by(j, JS_SESSION_LOCK, owner, session_id, &s,
	    NULL, func)) != ERR_OK)
		return e;
	if (s.deleting_ms != 0) {
		out->replayed = 1;
		return journal_deletion_get(j, session_id, out, NULL, func);
	}
	if ((e = journal_int64(j, JS_PRESIGN_MAX, func, "latest presign",
	    &newest, &found, JARGS(JTEXT(session_id)))) != ERR_OK)
		return e;
	if (found && newest + slack_ms > recheck)
		recheck = newest + slack_ms;
	recheck += margin_ms;
	if ((e = uuid_v4(out->event_id, sizeof(out->event_id))) != ERR_OK)
		return e;
	if ((e = journal_exec(j, JS_SESSION_DELETING, func, "mark deleting",
	    JARGS(JTEXT(session_id), JINT(now_ms)))) != ERR_OK)
		return e;
	if ((e = journal_exec(j, JS_OUTBOX_DROP_MANIFEST, func,
	    "drop manifest write", JARGS(JTEXT(session_id)))) != ERR_OK)
		return e;
	if ((e = journal_exec(j, JS_DELETION_INSERT, func, "insert deletion",
	    JARGS(JTEXT(session_id), JTEXT(s.owner), JTEXT(out->event_id),
	    JINT(now_ms), JINT(recheck)))) != ERR_OK)
		return e;
	out->requested_ms = now_ms;
	out->recheck_ms = recheck;
	return ERR_OK;
}

enum err
journal_delete_session(struct journal *j, const char *owner,
    const char *session_id, int64_t url_lifetime_ms, int64_t slack_ms,
    int64_t margin_ms, int64_t now_ms, struct journal_delete_result *out)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL || out == NULL ||
	    url_lifetime_ms < 0 || slack_ms < 0 || margin_ms < 0)
		return ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_delete_tx(j, owner, session_id, url_lifetime_ms,
	    slack_ms, margin_ms, now_ms, out);
	/* Open multipart uploads make no object the deletion could find:
	 * the delivery loop aborts them from now on (journal_mpu.c), whatever
	 * path deletes the session. */
	if (e == ERR_OK)
		e = journal_exec(j, JS_MPU_ABORT_SESSION, __func__,
		    "schedule multipart aborts", JARGS(JTEXT(session_id),
		    JINT(now_ms)));
	return journal_end_clear(j, e, __func__, out, sizeof(*out));
}

/* Lease the deletion of session_id to lease_owner until until_ms and
 * fill *d; *got 0 when the row went meanwhile. */
static enum err
journal_deletion_lease(struct journal *j, const char *session_id,
    const char *lease_owner, int64_t until_ms, struct journal_deletion *d,
    int *got, const char *func)
{
	struct journal_stmt *st;
	enum err e;

	*got = 0;
	e = journal_first(j, JS_DELETION_LEASE, &st, func, "lease deletion",
	    JARGS(JTEXT(session_id), JTEXT(lease_owner), JINT(until_ms)));
	if (e == ERR_NOT_FOUND)
		return ERR_OK;
	if (e != ERR_OK)
		return e;
	*got = 1;
	memset(d, 0, sizeof(*d));
	journal_str_copy(d->session_id, sizeof(d->session_id), session_id);
	journal_col_text(st, 0, d->owner, sizeof(d->owner));
	journal_col_text(st, 1, d->event_id, sizeof(d->event_id));
	d->phase = journal_phase_parse(journal_col_str(st, 2));
	d->requested_ms = journal_col_int64(st, 3);
	d->recheck_ms = journal_col_int64(st, 4);
	d->objects_deleted = journal_col_int64(st, 5);
	d->attempts = journal_col_int(st, 6);
	d->lease_expires_ms = until_ms;
	journal_unstmt(st);
	return ERR_OK;
}

/* What journal_deletion_claim() hands its journal_claim_due() callbacks. */
struct journal_deletion_due {
	char			 ids[16][LIMIT_SESSION_ID_BYTES + 1];
	const char		*lease_owner;
	int64_t			 until_ms;
	struct journal_deletion	*out;
	const char		*func;
};

static void
journal_deletion_due_row(struct journal_stmt *st, size_t i, void *arg)
{
	struct journal_deletion_due *dd = arg;

	journal_col_text(st, 0, dd->ids[i], sizeof(dd->ids[i]));
}

static enum err
journal_deletion_due_claim(struct journal *j, size_t i, size_t slot,
    int *kept, void *arg)
{
	struct journal_deletion_due *dd = arg;

	return journal_deletion_lease(j, dd->ids[i], dd->lease_owner,
	    dd->until_ms, &dd->out[slot], kept, dd->func);
}

enum err
journal_deletion_claim(struct journal *j, const char *lease_owner,
    int lease_seconds, int64_t now_ms, struct journal_deletion *out,
    size_t max, size_t *n)
{
	struct journal_deletion_due dd;
	const struct journal_due due = { journal_deletion_due_row,
	    journal_deletion_due_claim, NULL, &dd };
	enum err e;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (lease_owner == NULL || lease_owner[0] == '\0' ||
	    strlen(lease_owner) >= JOURNAL_LEASE_OWNER_BYTES ||
	    lease_seconds < 1 || out == NULL || n == NULL || max == 0)
		return ERR_INVAL;
	if (max > sizeof(dd.ids) / sizeof(dd.ids[0]))
		max = sizeof(dd.ids) / sizeof(dd.ids[0]);
	dd.lease_owner = lease_owner;
	dd.until_ms = now_ms + (int64_t)lease_seconds * 1000;
	dd.out = out;
	dd.func = __func__;
	return journal_claim_due(j, &due, max, n, __func__, "due deletions",
	    JS_DELETION_DUE, JARGS(JINT(now_ms), JINT(max)));
}

/* Move d to phase at due_ms, adding deleted objects to its count. */
static enum err
journal_deletion_phase(struct journal *j, const char *session_id,
    enum journal_deletion_phase phase, int64_t due_ms, int64_t deleted,
    const char *func)
{
	return journal_exec(j, JS_DELETION_PHASE, func, "deletion phase",
	    JARGS(JTEXT(session_id), JTEXT(journal_phase_name(phase)),
	    JINT(due_ms), JINT(deleted)));
}

/* Is d still in phase (another holder may have moved it on)? */
static enum err
journal_deletion_in(struct journal *j, const struct journal_deletion *d,
    enum journal_deletion_phase phase, int *yes, const char *func)
{
	enum journal_deletion_phase now;
	enum err e;

	*yes = 0;
	e = journal_deletion_get(j, d->session_id, NULL, &now, func);
	if (e == ERR_NOT_FOUND)
		return ERR_OK;
	if (e == ERR_OK)
		*yes = now == phase;
	return e;
}

/* Enqueue RecordingDeleted for d (s: its session, still there). */
static enum err
journal_deleted_event(struct journal *j, const struct journal_deletion *d,
    const struct journal_session *s, int64_t deleted, int64_t now_ms,
    const char *func)
{
	struct manifest_deleted_event ev;
	char *detail = NULL;
	enum err e;

	memset(&ev, 0, sizeof(ev));
	ev.user_id = d->owner;
	ev.session_id = d->session_id;
	ev.chunk_count = s->chunk_count;
	ev.total_bytes = s->total_bytes;
	ev.objects_deleted = d->objects_deleted + deleted;
	ev.requested_ms = d->requested_ms;
	ev.timestamp_ms = now_ms;
	ev.event_id = d->event_id;
	if ((e = manifest_render_deleted_event(&ev, &detail, NULL)) == ERR_OK)
		e = journal_enqueue_event(j, d->session_id,
		    "RecordingDeleted", d->event_id, detail, now_ms, func);
	free(detail);
	return e;
}

static enum err
journal_objects_done_tx(struct journal *j, const struct journal_deletion *d,
    int64_t deleted, int64_t now_ms)
{
	static const char *func = "journal_deletion_objects_done";
	struct journal_session s;
	enum err e;
	int yes;

	if ((e = journal_deletion_in(j, d, JOURNAL_DELETION_OBJECTS, &yes,
	    func)) != ERR_OK || !yes)
		return e;
	e = journal_session_row(j, NULL, d->session_id, &s, NULL, func);
	if (e == ERR_OK)
		e = journal_deleted_event(j, d, &s, deleted, now_ms, func);
	else if (e == ERR_NOT_FOUND)
		e = ERR_OK;	/* purged already: nothing to announce */
	if (e != ERR_OK)
		return e;
	return journal_deletion_phase(j, d->session_id,
	    JOURNAL_DELETION_PURGE, now_ms, deleted, func);
}

enum err
journal_deletion_objects_done(struct journal *j,
    const struct journal_deletion *d, int64_t deleted, int64_t now_ms)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (d == NULL || deleted < 0)
		return ERR_INVAL;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_objects_done_tx(j, d, deleted, now_ms);
	return journal_end(j, e, __func__);
}

static enum err
journal_purge_tx(struct journal *j, const struct journal_deletion *d,
    int64_t retry_ms, int *waiting)
{
	static const char *func = "journal_deletion_purge";
	static const enum journal_stmt_id purge[] = { JS_PURGE_PRESIGNS,
		JS_PURGE_CHUNKS, JS_PURGE_SESSION };
	int64_t any = 0;
	size_t i;
	enum err e;
	int yes;

	if ((e = journal_deletion_in(j, d, JOURNAL_DELETION_PURGE, &yes,
	    func)) != ERR_OK || !yes)
		return e;
	if ((e = journal_int64(j, JS_OUTBOX_ANY_SESSION, func,
	    "outbox of session", &any, waiting,
	    JARGS(JTEXT(d->session_id)))) != ERR_OK)
		return e;
	if (*waiting)
		return journal_deletion_phase(j, d->session_id,
		    JOURNAL_DELETION_PURGE, retry_ms, 0, func);
	for (i = 0; i < sizeof(purge) / sizeof(purge[0]); i++)
		if ((e = journal_exec(j, purge[i], func, "purge session rows",
		    JARGS(JTEXT(d->session_id)))) != ERR_OK)
			return e;
	return journal_deletion_phase(j, d->session_id,
	    JOURNAL_DELETION_RECHECK, d->recheck_ms, 0, func);
}

enum err
journal_deletion_purge(struct journal *j, const struct journal_deletion *d,
    int64_t retry_ms, int *waiting)
{
	enum err e;

	if (waiting != NULL)
		*waiting = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (d == NULL || waiting == NULL)
		return ERR_INVAL;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_purge_tx(j, d, retry_ms, waiting);
	return journal_end(j, e, __func__);
}

enum err
journal_deletion_done(struct journal *j, const struct journal_deletion *d,
    int64_t deleted)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (d == NULL)
		return ERR_INVAL;
	if (deleted > 0)
		log_info("session %s: the tombstone's recheck deleted %lld "
		    "object(s) a late upload left", d->session_id,
		    (long long)deleted);
	return journal_exec(j, JS_DELETION_DELETE, __func__,
	    "delete tombstone", JARGS(JTEXT(d->session_id)));
}

enum err
journal_deletion_fail(struct journal *j, const struct journal_deletion *d,
    const char *lease_owner, int64_t next_attempt_ms, const char *reason)
{
	char why[JOURNAL_REASON_BYTES];
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (d == NULL || lease_owner == NULL)
		return ERR_INVAL;
	journal_copy_cut(why, sizeof(why), reason);
	return journal_exec(j, JS_DELETION_FAIL, __func__, "fail deletion",
	    JARGS(JTEXT(d->session_id), JTEXT(lease_owner),
	    JINT(next_attempt_ms), JTEXT(why)));
}

enum err
journal_deletion_count(struct journal *j, int64_t *pending)
{
	struct journal_stmt *st;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (pending == NULL)
		return ERR_INVAL;
	*pending = 0;
	e = journal_first(j, JS_DELETION_COUNT, &st, __func__,
	    "count deletions", JNOARGS);
	if (e == ERR_NOT_FOUND)	/* count(*) always answers a row */
		e = journal_norow(__func__, "count deletions");
	if (e != ERR_OK)
		return e;
	*pending = journal_col_int64(st, 0);
	journal_unstmt(st);
	return ERR_OK;
}
