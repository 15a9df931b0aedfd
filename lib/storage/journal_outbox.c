/*
 * journal_outbox.c: the outbox, the work a committed change leaves behind
 * (manifest writes to S3, EventBridge events) until a deliverer has done
 * it.
 *
 * Delivery is at least once under leases: a claim gives each due row a
 * lease_owner until now + lease_seconds in one write transaction, so only
 * one holder delivers a row at a time and a dead holder's rows come back
 * when its lease runs out (or at once, journal_release_owner()).  A
 * manifest_write row stands for "the session's newest revision is not in
 * S3 yet": it is rendered at claim time, and done() advances
 * synced_revision, which never goes back.  The lease-release calls of the
 * deletions live with them in journal_deletion.c; journal_release_owner()
 * ends both kinds because a dead process held both.
 */
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"
#include "log.h"

static const char *
journal_kind_name(enum journal_outbox_kind k)
{
	switch (k) {
	case JOURNAL_OUTBOX_MANIFEST_WRITE:
		return "manifest_write";
	case JOURNAL_OUTBOX_EVENT:
		return "event";
	default:
		return NULL;
	}
}

static enum journal_outbox_kind
journal_kind_parse(const char *s)
{
	if (s != NULL && strcmp(s, "manifest_write") == 0)
		return JOURNAL_OUTBOX_MANIFEST_WRITE;
	return JOURNAL_OUTBOX_EVENT;
}

void
journal_outbox_items_free(struct journal_outbox_item *items, size_t n)
{
	size_t i;

	if (items == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(items[i].payload);
		items[i].payload = NULL;
		items[i].payload_len = 0;
	}
}

static enum err
journal_outbox_delete(struct journal *j, int64_t id, const char *func)
{
	return journal_exec(j, JS_OUTBOX_DELETE, func, "delete outbox item",
	    JARGS(JINT(id)));
}

/* Lease row id to req's owner and fill *it from the row (an event's
 * payload too); ERR_INTERNAL if the row vanished under the write lock. */
static enum err
journal_lease_item(struct journal *j, const struct journal_claim *req,
    int64_t id, struct journal_outbox_item *it, const char *func)
{
	int64_t until = req->now_ms + (int64_t)req->lease_seconds * 1000;
	struct journal_stmt *st;
	enum err e;

	e = journal_first(j, JS_OUTBOX_LEASE, &st, func, "lease outbox item",
	    JARGS(JINT(id), JTEXT(req->lease_owner), JINT(until)));
	if (e != ERR_OK)
		return e == ERR_NOT_FOUND ? ERR_INTERNAL : e;
	it->id = id;
	it->kind = journal_kind_parse(journal_col_str(st, 0));
	journal_col_text(st, 1, it->session_id, sizeof(it->session_id));
	journal_col_text(st, 2, it->detail_type, sizeof(it->detail_type));
	journal_col_text(st, 3, it->event_id, sizeof(it->event_id));
	if (it->kind == JOURNAL_OUTBOX_EVENT &&
	    (it->payload = journal_col_dup(st, 4)) == NULL)
		e = ERR_NOMEM;
	it->payload_len = it->payload != NULL ? strlen(it->payload) : 0;
	it->attempts = journal_col_int(st, 5);
	it->created_ms = journal_col_int64(st, 6);
	it->lease_expires_ms = until;
	journal_str_copy(it->lease_owner, sizeof(it->lease_owner),
	    req->lease_owner);
	/* Drain the RETURNING statement so the UPDATE completes. */
	if (e == ERR_OK)
		return journal_run(j, st, func, "lease outbox item");
	journal_unstmt(st);
	return e;
}

/*
 * Lease one due row and fill *it.  *keep is 0 when the row turned out to be
 * a manifest write with nothing left to write (it is deleted then).
 */
static enum err
journal_claim_one(struct journal *j, const struct journal_claim *req,
    int64_t id, struct journal_outbox_item *it, int *keep)
{
	static const char *func = "journal_outbox_claim";
	struct journal_snapshot *snap = NULL;
	struct journal_session s;
	enum err e;

	*keep = 0;
	memset(it, 0, sizeof(*it));
	if ((e = journal_lease_item(j, req, id, it, func)) != ERR_OK)
		goto out;
	if (it->kind == JOURNAL_OUTBOX_EVENT) {
		if ((e = journal_session_read(j, NULL, it->session_id, &s,
		    NULL, func)) != ERR_OK)
			goto out;
		journal_str_copy(it->user_id, sizeof(it->user_id), s.owner);
		*keep = 1;
		goto out;
	}
	if ((e = journal_snapshot_tx(j, NULL, it->session_id, &snap,
	    func)) != ERR_OK)
		goto out;
	if (snap->session.synced_revision >= snap->session.revision) {
		/* Already in S3 at its newest revision: nothing to do. */
		e = journal_outbox_delete(j, id, func);
		goto out;
	}
	journal_str_copy(it->user_id, sizeof(it->user_id), snap->session.owner);
	it->revision = snap->session.revision;
	if ((e = manifest_render(&snap->m, &it->payload,
	    &it->payload_len)) != ERR_OK)
		goto out;
	*keep = 1;
out:
	journal_snapshot_free(snap);
	if (e != ERR_OK || !*keep) {
		free(it->payload);
		memset(it, 0, sizeof(*it));
		*keep = 0;
	}
	return e;
}

/* What journal_outbox_claim() hands its journal_claim_due() callbacks. */
struct journal_outbox_due {
	int64_t				*ids;
	const struct journal_claim	*req;
	struct journal_outbox_item	*items;
};

static void
journal_outbox_due_row(struct journal_stmt *st, size_t i, void *arg)
{
	struct journal_outbox_due *od = arg;

	od->ids[i] = journal_col_int64(st, 0);
}

static enum err
journal_outbox_due_claim(struct journal *j, size_t i, size_t slot,
    int *kept, void *arg)
{
	struct journal_outbox_due *od = arg;

	return journal_claim_one(j, od->req, od->ids[i], &od->items[slot],
	    kept);
}

static void
journal_outbox_due_drop(size_t kept, void *arg)
{
	struct journal_outbox_due *od = arg;

	journal_outbox_items_free(od->items, kept);
}

enum err
journal_outbox_claim(struct journal *j, const struct journal_claim *req,
    struct journal_outbox_item *items, size_t max, size_t *n)
{
	struct journal_outbox_due od = { NULL, req, items };
	const struct journal_due due = { journal_outbox_due_row,
	    journal_outbox_due_claim, journal_outbox_due_drop, &od };
	enum err e;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (req == NULL || items == NULL || n == NULL || max == 0 ||
	    !journal_str_ok(req->lease_owner, JOURNAL_LEASE_OWNER_BYTES - 1) ||
	    req->lease_seconds < 1 ||
	    (req->kind != JOURNAL_OUTBOX_ANY &&
	    journal_kind_name(req->kind) == NULL))
		return ERR_INVAL;
	if ((od.ids = calloc(max, sizeof(*od.ids))) == NULL)
		return ERR_NOMEM;
	e = journal_claim_due(j, &due, max, n, __func__, "select due items",
	    req->session_id != NULL ? JS_OUTBOX_DUE_SESSION : JS_OUTBOX_DUE,
	    JARGS(JINT(req->now_ms), req->session_id != NULL ?
	    JTEXT(req->session_id) : JSKIP,
	    JTEXT(journal_kind_name(req->kind)), JINT(max)));
	free(od.ids);
	return e;
}

static enum err
journal_done_tx(struct journal *j, const struct journal_outbox_item *it,
    int64_t now_ms)
{
	static const char *func = "journal_outbox_done";
	struct journal_session s;
	enum err e;

	if (it->kind == JOURNAL_OUTBOX_EVENT)
		return journal_outbox_delete(j, it->id, func);
	/* The session's lock before its outbox row, as every writer. */
	e = journal_session_lock(j, NULL, it->session_id, &s, NULL, func);
	if (e == ERR_NOT_FOUND)
		return journal_outbox_delete(j, it->id, func);
	if (e != ERR_OK)
		return e;
	if ((e = journal_exec(j, JS_SESSION_SYNC, func,
	    "advance synced revision", JARGS(JTEXT(it->session_id),
	    JINT(it->revision)))) != ERR_OK)
		return e;
	if (s.synced_revision > it->revision) {
		/* A newer revision was recorded as written before this write
		 * finished (this holder's lease had run out): S3 may now hold
		 * the older one.  Make a new revision so the newest state is
		 * written again; the claim would otherwise see it synced. */
		log_msg(LOGL_WARN, func, "session %s: late manifest write of "
		    "revision %lld after %lld was synced; rewriting",
		    it->session_id, (long long)it->revision,
		    (long long)s.synced_revision);
		if ((e = journal_changed(j, it->session_id, now_ms,
		    func)) != ERR_OK)
			return e;
	} else if (s.revision <= it->revision)
		return journal_outbox_delete(j, it->id, func);
	/* The session moved on since the claim: release the row due now so
	 * the newest revision gets written (unless another holder has it). */
	return journal_exec(j, JS_OUTBOX_REPEND, func,
	    "requeue manifest write", JARGS(JINT(it->id),
	    JTEXT(it->lease_owner), JINT(now_ms)));
}

enum err
journal_outbox_done(struct journal *j, const struct journal_outbox_item *it,
    int64_t now_ms)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (it == NULL || it->id <= 0)
		return ERR_INVAL;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_done_tx(j, it, now_ms);
	return journal_end(j, e, __func__);
}

/* fail() and dead(): release the lease with a reason, one transaction. */
static enum err
journal_release(struct journal *j, enum journal_stmt_id id,
    const struct journal_outbox_item *it, const char *lease_owner,
    int64_t next_attempt_ms, const char *reason, const char *func)
{
	char why[JOURNAL_REASON_BYTES];
	enum err e;

	if ((e = journal_check(j, func)) != ERR_OK)
		return e;
	if (it == NULL || it->id <= 0 || lease_owner == NULL)
		return ERR_INVAL;
	journal_copy_cut(why, sizeof(why), reason);
	if ((e = journal_begin(j, 1, func)) != ERR_OK)
		return e;
	if (id == JS_OUTBOX_FAIL)
		e = journal_exec(j, id, func, "release outbox item",
		    JARGS(JINT(it->id), JTEXT(lease_owner),
		    JINT(next_attempt_ms), JTEXT(why)));
	else
		e = journal_exec(j, id, func, "release outbox item",
		    JARGS(JINT(it->id), JTEXT(lease_owner), JTEXT(why)));
	return journal_end(j, e, func);
}

enum err
journal_outbox_fail(struct journal *j, const struct journal_outbox_item *it,
    const char *lease_owner, int64_t next_attempt_ms, const char *reason)
{
	return journal_release(j, JS_OUTBOX_FAIL, it, lease_owner,
	    next_attempt_ms, reason, __func__);
}

enum err
journal_outbox_dead(struct journal *j, const struct journal_outbox_item *it,
    const char *lease_owner, const char *reason)
{
	return journal_release(j, JS_OUTBOX_DEAD, it, lease_owner, 0, reason,
	    __func__);
}

enum err
journal_outbox_requeue(struct journal *j, int64_t id, int64_t now_ms,
    int64_t *count)
{
	enum err e;

	if (count != NULL)
		*count = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (id < 0)
		return ERR_INVAL;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	if ((e = journal_exec(j, JS_OUTBOX_REQUEUE, __func__, "requeue",
	    JARGS(JINT(id), JINT(now_ms)))) == ERR_OK && count != NULL)
		*count = journal_changes(j);
	return journal_end(j, e, __func__);
}

enum err
journal_outbox_lease_owner(struct journal *j, const char *session_id,
    enum journal_outbox_kind kind, int64_t now_ms, char *owner, size_t cap)
{
	struct journal_stmt *st;
	enum err e;

	if (owner != NULL && cap > 0)
		owner[0] = '\0';
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || cap == 0 ||
	    !journal_str_ok(session_id, LIMIT_SESSION_ID_BYTES) ||
	    journal_kind_name(kind) == NULL)
		return ERR_INVAL;
	e = journal_first(j, JS_OUTBOX_LEASE_OWNER, &st, __func__,
	    "read lease owner", JARGS(JTEXT(session_id),
	    JTEXT(journal_kind_name(kind)), JINT(now_ms)));
	if (e == ERR_NOT_FOUND)
		return ERR_OK;
	if (e != ERR_OK)
		return e;
	journal_col_text(st, 0, owner, cap);
	journal_unstmt(st);
	return ERR_OK;
}

enum err
journal_release_owner(struct journal *j, const char *owner, int64_t now_ms,
    int64_t *count)
{
	static const enum journal_stmt_id ids[2] = {
		JS_OUTBOX_RELEASE_OWNER, JS_DELETION_RELEASE_OWNER };
	enum err e;
	size_t i;

	if (count != NULL)
		*count = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (!journal_str_ok(owner, JOURNAL_LEASE_OWNER_BYTES - 1))
		return ERR_INVAL;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	for (i = 0; i < 2 && e == ERR_OK; i++)
		if ((e = journal_exec(j, ids[i], __func__, "release leases",
		    JARGS(JTEXT(owner), JINT(now_ms)))) == ERR_OK &&
		    count != NULL)
			*count += journal_changes(j);
	return journal_end(j, e, __func__);
}

enum err
journal_synced_revision(struct journal *j, const char *session_id,
    int64_t *revision)
{
	struct journal_session s;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (session_id == NULL || revision == NULL)
		return ERR_INVAL;
	if ((e = journal_session_read(j, NULL, session_id, &s, NULL,
	    __func__)) == ERR_OK)
		*revision = s.synced_revision;
	return e;
}

enum err
journal_outbox_stats(struct journal *j, int64_t now_ms,
    struct journal_outbox_stats *out)
{
	struct journal_stmt *st;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (out == NULL)
		return ERR_INVAL;
	memset(out, 0, sizeof(*out));
	e = journal_first(j, JS_OUTBOX_STATS, &st, __func__, "outbox stats",
	    JARGS(JINT(now_ms)));
	if (e == ERR_NOT_FOUND)	/* an aggregate always answers a row */
		e = journal_norow(__func__, "outbox stats");
	if (e != ERR_OK)
		return e;
	out->pending = journal_col_int64(st, 0);
	out->leased = journal_col_int64(st, 1);
	out->dead = journal_col_int64(st, 2);
	if (!journal_col_null(st, 3) &&
	    now_ms > journal_col_int64(st, 3))
		out->oldest_pending_age_ms = now_ms -
		    journal_col_int64(st, 3);
	journal_unstmt(st);
	return ERR_OK;
}

enum err
journal_outbox_list(struct journal *j, int dead_only,
    struct journal_outbox_row *rows, size_t max, size_t *n)
{
	struct journal_outbox_row *r;
	struct journal_stmt *st;
	enum err e;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (n == NULL || (max > 0 && rows == NULL))
		return ERR_INVAL;
	if ((e = journal_prep(j, JS_OUTBOX_LIST, &st, __func__,
	    JARGS(JINT(dead_only ? 1 : 0), JINT(max)))) != ERR_OK)
		return e;
	while (*n < max && (e = journal_next(st, __func__,
	    "list outbox")) == ERR_OK) {
		r = &rows[(*n)++];
		memset(r, 0, sizeof(*r));
		r->id = journal_col_int64(st, 0);
		r->kind = journal_kind_parse(journal_col_str(st, 1));
		journal_col_text(st, 2, r->session_id, sizeof(r->session_id));
		journal_col_text(st, 3, r->detail_type, sizeof(r->detail_type));
		journal_col_text(st, 4, r->event_id, sizeof(r->event_id));
		r->attempts = journal_col_int(st, 5);
		r->dead = journal_col_int(st, 6);
		r->created_ms = journal_col_int64(st, 7);
		r->next_attempt_ms = journal_col_int64(st, 8);
		journal_col_text(st, 9, r->reason, sizeof(r->reason));
	}
	if (e == ERR_NOT_FOUND)
		e = ERR_OK;
	journal_unstmt(st);
	return e;
}
