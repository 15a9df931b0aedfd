/*
 * journal_mpu.c: multipart uploads of chunks over the single-PUT limit
 * and their abort (see journal_mpu_get() and the rest in journal.h; the
 * table is sql/006_multipart.sql, sql/pg/003_multipart.sql).
 *
 * The API records each CreateMultipartUpload before it hands out the part
 * URLs, so a repeated presign answers the same upload and nothing S3
 * holds is forgotten.  An upload that can no longer be completed (its
 * session finalized past the late-chunk window, abandoned or deleted, or
 * replaced by a newer presign of its seq) gets an abort time; the
 * delivery loop aborts it then and retries with backoff up to a bound,
 * like the outbox.  Each call is one statement or one short transaction:
 * the S3 calls happen between them, never inside.  A row that reached a
 * final state (completed, aborted, failed) keeps its finished_ms, and
 * journal_mpu_purge() deletes such rows once they are old, so the table
 * holds the live uploads and a bounded past.
 *
 * Intents make the Create itself recoverable: the API records the key it
 * is about to create an upload for (journal_mpu_intent()) before it asks
 * S3, and journal_mpu_add() records the upload and drops the intent in
 * one transaction.  An intent left behind (the worker died between the
 * two, or its Create failed without an answer) is due at its resolve
 * time; the delivery loop lists the key's uploads in S3 and aborts those
 * the journal does not know (journal_mpu_known()).
 */
#include <string.h>

#include "journal_int.h"
#include "uuid.h"

static const char *const mpu_state_names[] = {
	[JOURNAL_MPU_OPEN] = "open",
	[JOURNAL_MPU_COMPLETED] = "completed",
	[JOURNAL_MPU_ABORTING] = "aborting",
	[JOURNAL_MPU_ABORTED] = "aborted",
	[JOURNAL_MPU_FAILED] = "failed",
};

const char *
journal_mpu_state_name(enum journal_mpu_state s)
{
	if ((size_t)s >= sizeof(mpu_state_names) / sizeof(mpu_state_names[0]))
		return "open";
	return mpu_state_names[s];
}

static enum journal_mpu_state
mpu_state_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(mpu_state_names) / sizeof(mpu_state_names[0]);
	    i++)
		if (s != NULL && strcmp(s, mpu_state_names[i]) == 0)
			return (enum journal_mpu_state)i;
	return JOURNAL_MPU_FAILED;	/* not ours: never aborted again */
}

/* The row st is on, in the column order of JS_MPU_GET and JS_MPU_DUE. */
static void
mpu_cols(struct journal_stmt *st, struct journal_mpu *m)
{
	memset(m, 0, sizeof(*m));
	journal_col_text(st, 0, m->upload_id, sizeof(m->upload_id));
	journal_col_text(st, 1, m->session_id, sizeof(m->session_id));
	m->seq = journal_col_int64(st, 2);
	journal_col_text(st, 3, m->key, sizeof(m->key));
	m->size_bytes = journal_col_int64(st, 4);
	m->part_bytes = journal_col_int64(st, 5);
	m->state = mpu_state_parse(journal_col_str(st, 6));
	m->created_ms = journal_col_int64(st, 7);
	m->abort_at_ms = journal_col_null(st, 8) ? -1 :
	    journal_col_int64(st, 8);
	m->attempts = journal_col_int(st, 9);
	journal_col_text(st, 10, m->reason, sizeof(m->reason));
	journal_col_text(st, 11, m->sha256, sizeof(m->sha256));
	m->write_once = journal_col_int(st, 12) != 0;
}

static int
mpu_id_ok(const char *upload_id)
{
	return journal_str_ok(upload_id, JOURNAL_UPLOAD_ID_BYTES - 1);
}

enum err
journal_mpu_get(struct journal *j, const char *session_id, int64_t seq,
    struct journal_mpu *out)
{
	struct journal_stmt *st;
	enum err e;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (!journal_str_ok(session_id, LIMIT_SESSION_ID_BYTES) || seq < 1 ||
	    out == NULL)
		return ERR_INVAL;
	if ((e = journal_first(j, JS_MPU_GET, &st, __func__,
	    "read multipart upload", JARGS(JTEXT(session_id), JINT(seq)))) !=
	    ERR_OK)
		return e;
	mpu_cols(st, out);
	journal_unstmt(st);
	return ERR_OK;
}

/* One UPDATE by upload id in its own write transaction. */
static enum err
mpu_update(struct journal *j, enum journal_stmt_id id,
    const struct journal_arg *args, size_t nargs, const char *func,
    const char *what)
{
	enum err e;

	if ((e = journal_begin(j, 1, func)) != ERR_OK)
		return e;
	e = journal_exec(j, id, func, what, args, nargs);
	return journal_end(j, e, func);
}

static enum err
journal_mpu_add_tx(struct journal *j, const struct journal_mpu *m,
    const char *part_sha256, const char *intent_id, int64_t now_ms,
    const char *func)
{
	enum err e;

	/* The intent goes with the row that replaces it; gone already, the
	 * delivery loop took this Create for a crashed one and aborts its
	 * upload. */
	if (intent_id != NULL) {
		if ((e = journal_exec(j, JS_MPU_INTENT_DROP, func,
		    "drop multipart intent", JARGS(JTEXT(intent_id)))) !=
		    ERR_OK)
			return e;
		if (journal_changes(j) != 1)
			return ERR_NOT_FOUND;
	}
	return journal_exec(j, JS_MPU_INSERT, func, "record multipart upload",
	    JARGS(JTEXT(m->upload_id), JTEXT(m->session_id), JINT(m->seq),
	    JTEXT(m->key), JINT(m->size_bytes), JINT(m->part_bytes),
	    JINT(now_ms), JTEXT(m->sha256[0] != '\0' ? m->sha256 : NULL),
	    JTEXT(part_sha256), JINT(m->write_once ? 1 : 0),
	    m->abort_at_ms > 0 ? JINT(m->abort_at_ms) : JTEXT(NULL)));
}

enum err
journal_mpu_add(struct journal *j, const struct journal_mpu *m,
    const char *part_sha256, const char *intent_id, int64_t now_ms)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (m == NULL || !mpu_id_ok(m->upload_id) ||
	    !journal_str_ok(m->session_id, LIMIT_SESSION_ID_BYTES) ||
	    !journal_str_ok(m->key, LIMIT_S3_KEY_BYTES) || m->seq < 1 ||
	    m->size_bytes < 1 || m->part_bytes < 1 ||
	    (m->sha256[0] == '\0') != (part_sha256 == NULL) ||
	    (m->sha256[0] != '\0' && (!journal_str_ok(m->sha256,
	    sizeof(m->sha256) - 1) || part_sha256[0] == '\0')) ||
	    !journal_opt_ok(intent_id, JOURNAL_EVENT_ID_BYTES - 1))
		return ERR_INVAL;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_mpu_add_tx(j, m, part_sha256, journal_opt(intent_id),
	    now_ms, __func__);
	return journal_end(j, e, __func__);
}

enum err
journal_mpu_part_sha256(struct journal *j, const char *upload_id, char **out)
{
	struct journal_stmt *st;
	enum err e;

	if (out != NULL)
		*out = NULL;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (!mpu_id_ok(upload_id) || out == NULL)
		return ERR_INVAL;
	if ((e = journal_first(j, JS_MPU_PART_SHA256, &st, __func__,
	    "read multipart part checksums", JARGS(JTEXT(upload_id)))) !=
	    ERR_OK)
		return e;
	if (!journal_col_null(st, 0) && (*out = journal_col_dup(st, 0)) ==
	    NULL)
		e = ERR_NOMEM;
	journal_unstmt(st);
	if (e == ERR_OK && *out == NULL)
		e = ERR_NOT_FOUND;
	return e;
}


/* ----------------------------------------------------------- intents */

enum err
journal_mpu_intent(struct journal *j, const char *session_id, int64_t seq,
    const char *key, int64_t now_ms, int64_t resolve_at_ms, char *id,
    size_t cap)
{
	enum err e;

	if (id != NULL && cap > 0)
		id[0] = '\0';
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (!journal_str_ok(session_id, LIMIT_SESSION_ID_BYTES) || seq < 1 ||
	    !journal_str_ok(key, LIMIT_S3_KEY_BYTES) || id == NULL ||
	    cap < JOURNAL_EVENT_ID_BYTES)
		return ERR_INVAL;
	if ((e = uuid_v4(id, cap)) != ERR_OK)
		return e;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_exec(j, JS_MPU_INTENT_ADD, __func__,
	    "record multipart intent", JARGS(JTEXT(id), JTEXT(session_id),
	    JINT(seq), JTEXT(key), JINT(now_ms), JINT(resolve_at_ms)));
	if ((e = journal_end(j, e, __func__)) != ERR_OK)
		id[0] = '\0';
	return e;
}

enum err
journal_mpu_intent_drop(struct journal *j, const char *id)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (!journal_str_ok(id, JOURNAL_EVENT_ID_BYTES - 1))
		return ERR_INVAL;
	return mpu_update(j, JS_MPU_INTENT_DROP, JARGS(JTEXT(id)), __func__,
	    "drop multipart intent");
}

/* What journal_mpu_intents_due() hands its journal_claim_due()
 * callbacks: the rows land in out[i], the kept ones move to out[slot]. */
struct journal_mpu_intents {
	struct journal_mpu_intent	*out;
	int64_t				 now_ms;
	int64_t				 until_ms;
	const char			*func;
};

static void
journal_mpu_intent_row(struct journal_stmt *st, size_t i, void *arg)
{
	struct journal_mpu_intents *mi = arg;
	struct journal_mpu_intent *in = &mi->out[i];

	memset(in, 0, sizeof(*in));
	journal_col_text(st, 0, in->id, sizeof(in->id));
	journal_col_text(st, 1, in->session_id, sizeof(in->session_id));
	in->seq = journal_col_int64(st, 2);
	journal_col_text(st, 3, in->key, sizeof(in->key));
	in->created_ms = journal_col_int64(st, 4);
	in->attempts = journal_col_int(st, 5);
}

/* The lease, as the aborts': one deliverer resolves each. */
static enum err
journal_mpu_intent_claim(struct journal *j, size_t i, size_t slot,
    int *kept, void *arg)
{
	struct journal_mpu_intents *mi = arg;
	enum err e;

	*kept = 0;
	if ((e = journal_exec(j, JS_MPU_INTENT_LEASE, mi->func,
	    "lease multipart intent", JARGS(JTEXT(mi->out[i].id),
	    JINT(mi->now_ms), JINT(mi->until_ms)))) != ERR_OK)
		return e;
	if (journal_changes(j) == 1) {
		mi->out[slot] = mi->out[i];
		*kept = 1;
	}
	return ERR_OK;
}

enum err
journal_mpu_intents_due(struct journal *j, int64_t now_ms, int64_t lease_ms,
    struct journal_mpu_intent *out, size_t max, size_t *n)
{
	struct journal_mpu_intents mi;
	const struct journal_due due = { journal_mpu_intent_row,
	    journal_mpu_intent_claim, NULL, &mi };
	enum err e;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (out == NULL || n == NULL || max == 0 || lease_ms < 1)
		return ERR_INVAL;
	mi.out = out;
	mi.now_ms = now_ms;
	mi.until_ms = now_ms + lease_ms;
	mi.func = __func__;
	return journal_claim_due(j, &due, max, n, __func__,
	    "due multipart intents", JS_MPU_INTENT_DUE, JARGS(JINT(now_ms),
	    JINT((int64_t)max)));
}

enum err
journal_mpu_known(struct journal *j, const struct journal_mpu_intent *in,
    const char *upload_id, enum journal_mpu_known *known)
{
	struct journal_stmt *st;
	enum err e;

	if (known != NULL)
		*known = JOURNAL_MPU_PENDING;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (in == NULL || known == NULL || !mpu_id_ok(upload_id))
		return ERR_INVAL;
	e = journal_first(j, JS_MPU_KNOWN, &st, __func__,
	    "is a multipart upload known", JARGS(JTEXT(upload_id),
	    JTEXT(in->session_id), JINT(in->seq), JTEXT(in->id),
	    JINT(in->created_ms)));
	if (e == ERR_NOT_FOUND)		/* scalar subqueries: always a row */
		return journal_norow(__func__, "multipart known");
	if (e != ERR_OK)
		return e;
	if (journal_col_int64(st, 0) > 0)
		*known = JOURNAL_MPU_RECORDED;
	else if (journal_col_int64(st, 1) > 0)
		*known = JOURNAL_MPU_PENDING;
	else
		*known = JOURNAL_MPU_UNKNOWN;
	journal_unstmt(st);
	return ERR_OK;
}

enum err
journal_mpu_intent_retry(struct journal *j, const char *id, int64_t retry_ms,
    const char *reason)
{
	char cut[JOURNAL_REASON_BYTES];
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (!journal_str_ok(id, JOURNAL_EVENT_ID_BYTES - 1))
		return ERR_INVAL;
	journal_str_copy(cut, sizeof(cut), reason != NULL ? reason : "");
	return mpu_update(j, JS_MPU_INTENT_RETRY, JARGS(JTEXT(id),
	    JINT(retry_ms), JTEXT(reason != NULL ? cut : NULL)), __func__,
	    "retry multipart intent");
}


enum err
journal_mpu_replace(struct journal *j, const char *upload_id, int64_t now_ms)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (!mpu_id_ok(upload_id))
		return ERR_INVAL;
	return mpu_update(j, JS_MPU_REPLACE, JARGS(JTEXT(upload_id),
	    JINT(now_ms)), __func__, "replace multipart upload");
}

enum err
journal_mpu_completed(struct journal *j, const char *upload_id,
    int64_t now_ms)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (!mpu_id_ok(upload_id))
		return ERR_INVAL;
	return mpu_update(j, JS_MPU_COMPLETED, JARGS(JTEXT(upload_id),
	    JINT(now_ms)), __func__, "complete multipart upload");
}

enum err
journal_mpu_abort_session(struct journal *j, const char *session_id,
    int64_t at_ms, int64_t *n)
{
	enum err e;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (!journal_str_ok(session_id, LIMIT_SESSION_ID_BYTES) || at_ms < 0)
		return ERR_INVAL;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_exec(j, JS_MPU_ABORT_SESSION, __func__,
	    "schedule multipart aborts", JARGS(JTEXT(session_id),
	    JINT(at_ms)));
	if (e == ERR_OK && n != NULL)
		*n = journal_changes(j);
	return journal_end(j, e, __func__);
}

/* What journal_mpu_due() hands its journal_claim_due() callbacks. */
struct journal_mpu_lease {
	struct journal_mpu	*out;
	int64_t			 now_ms;
	int64_t			 lease_ms;
	const char		*func;
};

static void
journal_mpu_due_row(struct journal_stmt *st, size_t i, void *arg)
{
	struct journal_mpu_lease *ml = arg;

	mpu_cols(st, &ml->out[i]);
}

/* The lease: another host's loop sees the row due only once it ends. */
static enum err
journal_mpu_due_claim(struct journal *j, size_t i, size_t slot, int *kept,
    void *arg)
{
	struct journal_mpu_lease *ml = arg;
	enum err e;

	*kept = 0;
	e = journal_exec(j, JS_MPU_LEASE, ml->func, "lease multipart abort",
	    JARGS(JTEXT(ml->out[i].upload_id), JINT(ml->now_ms),
	    JINT(ml->now_ms + ml->lease_ms)));
	if (e == ERR_OK && journal_changes(j) == 1) {
		if (slot != i)
			ml->out[slot] = ml->out[i];
		*kept = 1;
	}
	return e;
}

enum err
journal_mpu_due(struct journal *j, int64_t now_ms, int64_t lease_ms,
    struct journal_mpu *out, size_t max, size_t *n)
{
	struct journal_mpu_lease ml = { out, now_ms, lease_ms, __func__ };
	const struct journal_due due = { journal_mpu_due_row,
	    journal_mpu_due_claim, NULL, &ml };
	enum err e;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (out == NULL || n == NULL || max == 0 || lease_ms < 1)
		return ERR_INVAL;
	return journal_claim_due(j, &due, max, n, __func__,
	    "due multipart aborts", JS_MPU_DUE, JARGS(JINT(now_ms),
	    JINT((int64_t)max)));
}

enum err
journal_mpu_abort_result(struct journal *j, const char *upload_id,
    enum journal_mpu_state state, int64_t retry_ms, const char *reason,
    int64_t now_ms)
{
	char cut[JOURNAL_REASON_BYTES];
	int final;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (!mpu_id_ok(upload_id) || state == JOURNAL_MPU_COMPLETED)
		return ERR_INVAL;
	final = state == JOURNAL_MPU_ABORTED || state == JOURNAL_MPU_FAILED;
	journal_str_copy(cut, sizeof(cut), reason != NULL ? reason : "");
	return mpu_update(j, JS_MPU_RESULT, JARGS(JTEXT(upload_id),
	    JTEXT(journal_mpu_state_name(state)), final ? JTEXT(NULL) :
	    JINT(retry_ms), JTEXT(reason != NULL ? cut : NULL), JINT(now_ms)),
	    __func__, "record multipart abort");
}

enum err
journal_mpu_purge(struct journal *j, int64_t finished_before_ms, size_t max,
    int64_t *n)
{
	enum err e;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (max == 0)
		return ERR_INVAL;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_exec(j, JS_MPU_PURGE, __func__,
	    "purge finished multipart uploads", JARGS(JINT(finished_before_ms),
	    JINT((int64_t)max)));
	if (e == ERR_OK && n != NULL)
		*n = journal_changes(j);
	return journal_end(j, e, __func__);
}
