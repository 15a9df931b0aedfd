/*
 * journal_lifecycle.c: what the server does to sessions on its own, without
 * a client asking: finalize the abandoned ones, find the ones past
 * retention, and keep the orphan sweep's state (where its listing resumes,
 * who holds the round, what it counted) and answer what the journal knows
 * of a listed object.
 *
 * The delivery loop drives all of it (fcgi/deliver_lifecycle.c,
 * fcgi/deliver_sweep.c); everything here is one transaction per call, and
 * safe with several deliverers on several hosts: sealing re-reads each
 * session under its lock (PostgreSQL also skips rows another transaction
 * holds), and the sweep's round is leased like an outbox item.
 *
 * The sweep's claims close the window between its look at the journal and
 * its DeleteObjects: journal_sweep_claim() looks again under the session's
 * lock and claims the chunk's (session, seq) only if nothing changed, and
 * the calls that make a chunk known (complete, a manifest upsert) or hand
 * out its upload URL (presign's record) check the claim under the same
 * lock (journal_sweep_check()), so one of the two always sees the other.
 */
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"
#include "log.h"
#include "s3key.h"
#include "uuid.h"

#define LIFECYCLE_BATCH_MAX	64

/* --------------------------------------------------------- abandoned */

/* Seal session id (of owner) as abandoned with duration_ms; *sealed 0 when
 * it is no longer open (another deliverer, or its client, got there). */
static enum err
journal_abandon_one(struct journal *j, const char *id, const char *owner,
    int64_t duration_ms, int64_t now_ms, struct journal_abandoned *a,
    int *sealed, const char *func)
{
	struct journal_session s;
	struct s3key_parts p;
	char key[S3KEY_SIZE];
	enum err e;

	*sealed = 0;
	if ((e = journal_session_lock(j, NULL, id, &s, NULL, func)) ==
	    ERR_NOT_FOUND)
		return ERR_OK;
	if (e != ERR_OK || s.finalized)
		return e;
	memset(&p, 0, sizeof(p));
	p.sub = owner;
	p.sub_len = strlen(owner);
	p.session = id;
	p.session_len = strlen(id);
	if (s3key_manifest(&p, key, sizeof(key), NULL) != ERR_OK) {
		log_error("%s: session %s: cannot build its manifest key",
		    func, id);
		return ERR_INTERNAL;
	}
	memset(a, 0, sizeof(*a));
	if ((e = uuid_v4(a->event_id, sizeof(a->event_id))) != ERR_OK)
		return e;
	if ((e = journal_seal(j, &s, id, duration_ms, key, now_ms,
	    a->event_id, "abandoned", func)) != ERR_OK)
		return e;
	/* Its open multipart uploads can no longer be completed (no URL
	 * was issued for longer than any URL lives): due for their abort
	 * from now on, in the seal's own transaction, so no crash can leave
	 * a sealed session whose uploads are never aborted. */
	if ((e = journal_exec(j, JS_MPU_ABORT_SESSION, func,
	    "schedule multipart aborts", JARGS(JTEXT(id), JINT(now_ms)))) !=
	    ERR_OK)
		return e;
	a->mpu_aborts = journal_changes(j);
	journal_str_copy(a->session_id, sizeof(a->session_id), id);
	journal_str_copy(a->owner, sizeof(a->owner), owner);
	a->chunk_count = s.chunk_count;
	*sealed = 1;
	return ERR_OK;
}

/* What journal_abandon_idle() hands its journal_claim_due() callbacks. */
struct journal_abandon_due {
	struct journal_session_ref	 ids[LIFECYCLE_BATCH_MAX];
	int64_t				 dur[LIFECYCLE_BATCH_MAX];
	int64_t				 now_ms;
	struct journal_abandoned	*out;
	const char			*func;
};

static void
journal_abandon_due_row(struct journal_stmt *st, size_t i, void *arg)
{
	struct journal_abandon_due *ad = arg;

	journal_col_text(st, 0, ad->ids[i].session_id,
	    sizeof(ad->ids[i].session_id));
	journal_col_text(st, 1, ad->ids[i].owner, sizeof(ad->ids[i].owner));
	ad->dur[i] = journal_col_int64(st, 2);
}

static enum err
journal_abandon_due_claim(struct journal *j, size_t i, size_t slot,
    int *kept, void *arg)
{
	struct journal_abandon_due *ad = arg;

	return journal_abandon_one(j, ad->ids[i].session_id, ad->ids[i].owner,
	    ad->dur[i], ad->now_ms, &ad->out[slot], kept, ad->func);
}

enum err
journal_abandon_idle(struct journal *j, int64_t idle_before_ms,
    int64_t url_lifetime_ms, int64_t now_ms, struct journal_abandoned *out,
    size_t max, size_t *n)
{
	struct journal_abandon_due ad;
	const struct journal_due due = { journal_abandon_due_row,
	    journal_abandon_due_claim, NULL, &ad };
	enum err e;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (out == NULL || n == NULL || max == 0 || url_lifetime_ms < 0)
		return ERR_INVAL;
	if (max > LIFECYCLE_BATCH_MAX)
		max = LIFECYCLE_BATCH_MAX;
	ad.now_ms = now_ms;
	ad.out = out;
	ad.func = __func__;
	return journal_claim_due(j, &due, max, n, __func__, "idle sessions",
	    JS_SESSION_IDLE, JARGS(JINT(idle_before_ms), JINT(idle_before_ms +
	    url_lifetime_ms), JINT(max)));
}

/* --------------------------------------------------------- retention */

enum err
journal_retention_due(struct journal *j, int64_t created_before_ms,
    struct journal_session_ref *out, size_t max, size_t *n)
{
	struct journal_stmt *st;
	enum err e;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (out == NULL || n == NULL || max == 0)
		return ERR_INVAL;
	if ((e = journal_prep(j, JS_SESSION_OLD, &st, __func__,
	    JARGS(JINT(created_before_ms), JINT(max)))) != ERR_OK)
		return e;
	while (*n < max && (e = journal_next(st, __func__,
	    "sessions past retention")) == ERR_OK) {
		journal_col_text(st, 0, out[*n].session_id,
		    sizeof(out[*n].session_id));
		journal_col_text(st, 1, out[*n].owner, sizeof(out[*n].owner));
		(*n)++;
	}
	journal_unstmt(st);
	if (e == ERR_NOT_FOUND || e == ERR_OK)
		return ERR_OK;
	*n = 0;
	return e;
}

/* ------------------------------------------------------------- sweep */

static enum err
journal_sweep_lease_tx(struct journal *j, const char *lease_owner,
    int lease_seconds, int64_t now_ms, char *start_after, int *got,
    const char *func)
{
	struct journal_stmt *st;
	enum err e;

	if ((e = journal_exec(j, JS_SWEEP_INIT, func, "make sweep row",
	    JNOARGS)) != ERR_OK)
		return e;
	e = journal_first(j, JS_SWEEP_LEASE, &st, func, "lease sweep",
	    JARGS(JINT(now_ms), JTEXT(lease_owner), JINT(now_ms +
	    (int64_t)lease_seconds * 1000)));
	if (e == ERR_NOT_FOUND)
		return ERR_OK;
	if (e != ERR_OK)
		return e;
	journal_col_text(st, 0, start_after, LIMIT_S3_KEY_BYTES + 1);
	journal_unstmt(st);
	*got = 1;
	return ERR_OK;
}

enum err
journal_sweep_lease(struct journal *j, const char *lease_owner,
    int lease_seconds, int64_t now_ms, char *start_after, int *got)
{
	enum err e;

	if (got != NULL)
		*got = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (lease_owner == NULL || lease_owner[0] == '\0' ||
	    lease_seconds < 1 || start_after == NULL || got == NULL)
		return ERR_INVAL;
	start_after[0] = '\0';
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_sweep_lease_tx(j, lease_owner, lease_seconds, now_ms,
	    start_after, got, __func__);
	e = journal_end(j, e, __func__);
	if (e != ERR_OK)
		*got = 0;
	return e;
}

enum err
journal_sweep_save(struct journal *j, const char *lease_owner,
    const struct journal_sweep_round *r, int64_t now_ms)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (lease_owner == NULL || r == NULL || r->listed < 0 ||
	    r->orphans < 0 || r->deleted < 0 || r->mismatched < 0 ||
	    !journal_opt_ok(r->start_after, LIMIT_S3_KEY_BYTES))
		return ERR_INVAL;
	if (r->pass_done)
		return journal_exec(j, JS_SWEEP_DONE, __func__,
		    "end sweep pass", JARGS(JTEXT(lease_owner), JINT(now_ms),
		    JINT(r->listed), JINT(r->orphans), JINT(r->mismatched),
		    JINT(r->deleted), JINT(r->next_round_ms)));
	return journal_exec(j, JS_SWEEP_SAVE, __func__, "save sweep round",
	    JARGS(JTEXT(lease_owner), JTEXT(r->start_after != NULL ?
	    r->start_after : ""), JINT(r->listed), JINT(r->orphans),
	    JINT(r->mismatched), JINT(r->deleted), JINT(r->next_round_ms)));
}

enum err
journal_sweep_stats(struct journal *j, struct journal_sweep_stats *s)
{
	struct journal_stmt *st;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (s == NULL)
		return ERR_INVAL;
	memset(s, 0, sizeof(*s));
	e = journal_first(j, JS_SWEEP_STATS, &st, __func__, "sweep stats",
	    JNOARGS);
	if (e == ERR_NOT_FOUND)
		return ERR_OK;
	if (e != ERR_OK)
		return e;
	s->passes = journal_col_int64(st, 0);
	s->deleted = journal_col_int64(st, 1);
	s->listed = journal_col_int64(st, 2);
	s->orphans = journal_col_int64(st, 3);
	s->mismatched = journal_col_int64(st, 4);
	s->last_listed = journal_col_int64(st, 5);
	s->last_orphans = journal_col_int64(st, 6);
	s->last_mismatched = journal_col_int64(st, 7);
	s->last_pass_ms = journal_col_int64(st, 8);
	s->pass_started_ms = journal_col_int64(st, 9);
	journal_col_text(st, 10, s->start_after, sizeof(s->start_after));
	journal_unstmt(st);
	return ERR_OK;
}

/* What the journal knows of session_id and seq into *f, one statement. */
static enum err
journal_sweep_facts(struct journal *j, const char *session_id, int64_t seq,
    struct journal_sweep_facts *f, const char *func)
{
	struct journal_stmt *st;
	enum err e;

	memset(f, 0, sizeof(*f));
	e = journal_first(j, JS_SWEEP_SESSION, &st, func,
	    "what the journal knows of an object", JARGS(JTEXT(session_id),
	    JINT(seq)));
	if (e == ERR_NOT_FOUND)		/* scalar subqueries: always a row */
		return journal_norow(func, "sweep lookup");
	if (e != ERR_OK)
		return e;
	f->session = !journal_col_null(st, 0);
	journal_col_text(st, 0, f->owner, sizeof(f->owner));
	f->deleting = !journal_col_null(st, 1);
	f->deletion = !journal_col_null(st, 2);
	f->chunk = !journal_col_null(st, 3);
	journal_col_text(st, 3, f->chunk_key, sizeof(f->chunk_key));
	f->chunk_bytes = journal_col_int64(st, 4);
	f->seq_expires_ms = journal_col_int64(st, 5);
	f->url_expires_ms = journal_col_int64(st, 6);
	journal_col_text(st, 7, f->chunk_etag, sizeof(f->chunk_etag));
	journal_unstmt(st);
	return ERR_OK;
}

enum err
journal_sweep_lookup(struct journal *j, const char *session_id, int64_t seq,
    struct journal_sweep_facts *f)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (session_id == NULL || f == NULL || seq < 0)
		return ERR_INVAL;
	return journal_sweep_facts(j, session_id, seq, f, __func__);
}

/* The facts a judgement rests on are the same (the session's newest URL,
 * which no judgement of one seq reads, aside). */
static int
journal_sweep_same(const struct journal_sweep_facts *a,
    const struct journal_sweep_facts *b)
{
	return a->session == b->session && strcmp(a->owner, b->owner) == 0 &&
	    a->deleting == b->deleting && a->deletion == b->deletion &&
	    a->chunk == b->chunk && strcmp(a->chunk_key, b->chunk_key) == 0 &&
	    a->chunk_bytes == b->chunk_bytes &&
	    a->seq_expires_ms == b->seq_expires_ms &&
	    strcmp(a->chunk_etag, b->chunk_etag) == 0;
}

static enum err
journal_sweep_claim_tx(struct journal *j, const char *lease_owner,
    int64_t until_ms, struct journal_sweep_pick *p, size_t n,
    const char *func)
{
	struct journal_sweep_facts now;
	struct journal_session s;
	enum err e = ERR_OK;
	size_t i;

	for (i = 0; i < n; i++) {
		p[i].claimed = 0;
		/* The session's lock first (PostgreSQL: its row; SQLite's
		 * BEGIN IMMEDIATE already holds the file's): a complete of
		 * it waits for this commit and then sees the claim, and the
		 * look below sees any complete that committed before. */
		e = journal_session_lock(j, NULL, p[i].session_id, &s, NULL,
		    func);
		if (e != ERR_OK && e != ERR_NOT_FOUND)
			return e;
		if ((e = journal_sweep_facts(j, p[i].session_id, p[i].seq, &now,
		    func)) != ERR_OK)
			return e;
		if (!journal_sweep_same(&now, &p[i].judged))
			continue;
		if ((e = journal_exec(j, JS_SWEEP_CLAIM, func, "claim chunk",
		    JARGS(JTEXT(p[i].session_id), JINT(p[i].seq),
		    JTEXT(lease_owner), JINT(until_ms)))) != ERR_OK)
			return e;
		p[i].claimed = 1;
	}
	return e;
}

enum err
journal_sweep_claim(struct journal *j, const char *lease_owner,
    int64_t until_ms, struct journal_sweep_pick *p, size_t n)
{
	enum err e;
	size_t i;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (lease_owner == NULL || lease_owner[0] == '\0' ||
	    (p == NULL && n > 0))
		return ERR_INVAL;
	for (i = 0; i < n; i++) {
		p[i].claimed = 0;
		if (!journal_str_ok(p[i].session_id, LIMIT_SESSION_ID_BYTES) ||
		    p[i].seq < 1)
			return ERR_INVAL;
	}
	if (n == 0)
		return ERR_OK;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_sweep_claim_tx(j, lease_owner, until_ms, p, n, __func__);
	if ((e = journal_end(j, e, __func__)) != ERR_OK)
		for (i = 0; i < n; i++)
			p[i].claimed = 0;
	return e;
}

enum err
journal_sweep_unclaim(struct journal *j, const char *lease_owner,
    int64_t now_ms)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (lease_owner == NULL || lease_owner[0] == '\0')
		return ERR_INVAL;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_exec(j, JS_SWEEP_UNCLAIM, __func__, "drop sweep claims",
	    JARGS(JTEXT(lease_owner), JINT(now_ms)));
	return journal_end(j, e, __func__);
}

enum err
journal_sweep_check(struct journal *j, const char *session_id, int64_t seq,
    int64_t now_ms, const char *func)
{
	int64_t until = 0;
	int found = 0;
	enum err e;

	if ((e = journal_int64(j, JS_SWEEP_CLAIMED, func, "sweep claim",
	    &until, &found, JARGS(JTEXT(session_id), JINT(seq),
	    JINT(now_ms)))) != ERR_OK)
		return e;
	if (!found)
		return ERR_OK;
	log_msg(LOGL_INFO, func, "session %s seq %lld: the orphan sweep "
	    "holds it for %lld ms more: refused, retry", session_id,
	    (long long)seq, (long long)(until - now_ms));
	return ERR_BUSY;
}
