/*
 * journal_recording.c: what the recordings routes read and record beside
 * the upload path: the presign records (so GET lists presigned but never
 * completed seqs as missing, and a deletion knows how long a late PUT may
 * still arrive), the keyset-paged session list, one recording with its
 * missing seqs, and the key that signs list cursors.
 */
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"
#include "log.h"

enum err
journal_get_session_presign(struct journal *j, const char *owner,
    const char *session_id, int64_t seq, struct journal_session *out,
    int64_t *presign_expires_ms)
{
	struct journal_stmt *st;
	const char *o;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL || out == NULL ||
	    presign_expires_ms == NULL)
		return ERR_INVAL;
	*presign_expires_ms = -1;
	if ((e = journal_first(j, JS_SESSION_GET_SEQ, &st, __func__,
	    "read session", JARGS(JTEXT(session_id), JINT(seq)))) != ERR_OK)
		return e;
	if ((o = journal_col_str(st, 1)) == NULL)
		e = ERR_NOMEM;
	else if (strcmp(o, owner) != 0)
		e = ERR_NOT_FOUND;
	else {
		journal_session_cols(st, out);
		if (out->deleting_ms != 0)
			e = ERR_NOT_FOUND;
		else if (!journal_col_null(st, JOURNAL_SEQ_COL))
			*presign_expires_ms = journal_col_int64(st,
			    JOURNAL_SEQ_COL);
	}
	journal_unstmt(st);
	return e;
}

/* Record the presign of seq in the caller's write transaction: extend its
 * row, or count a new seq against the session's limit and insert it. */
static enum err
journal_note_presign_tx(struct journal *j, const char *owner,
    const char *session_id, int64_t seq, int64_t expires_ms, int64_t now_ms,
    const char *func)
{
	struct journal_session s;
	enum err e;

	if ((e = journal_session_lock(j, owner, session_id, &s, NULL,
	    func)) != ERR_OK)
		return e;
	/* A new URL while the sweep deletes this seq's object: its PUT
	 * could land before the delete. */
	if ((e = journal_sweep_check(j, session_id, seq, now_ms, func)) !=
	    ERR_OK)
		return e;
	if ((e = journal_exec(j, JS_PRESIGN_EXTEND, func, "extend presign",
	    JARGS(JTEXT(session_id), JINT(seq), JINT(expires_ms)))) != ERR_OK)
		return e;
	if (journal_changes(j) > 0)
		return ERR_OK;
	if ((e = journal_exec(j, JS_SESSION_PRESIGNED, func, "count presign",
	    JARGS(JTEXT(session_id), JINT(LIMIT_CHUNKS_PER_SESSION)))) !=
	    ERR_OK)
		return e;
	if (journal_changes(j) == 0)
		return ERR_TOO_LARGE;
	return journal_exec(j, JS_PRESIGN_INSERT, func, "insert presign",
	    JARGS(JTEXT(session_id), JINT(seq), JINT(now_ms),
	    JINT(expires_ms)));
}

enum err
journal_note_presign(struct journal *j, const char *owner,
    const char *session_id, int64_t seq, int64_t expires_ms,
    int64_t slack_ms, int64_t stored_ms, int64_t now_ms)
{
	int64_t stored = stored_ms;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL || seq < 1 || slack_ms < 0)
		return ERR_INVAL;
	if (stored >= 0 && expires_ms <= stored + slack_ms)
		return ERR_OK;
	/* The common case, a presign repeated within the slack, is a read. */
	if (stored < 0) {
		if ((e = journal_int64(j, JS_PRESIGN_GET, __func__,
		    "read presign", &stored, NULL, JARGS(JTEXT(session_id),
		    JINT(seq)))) != ERR_OK)
			return e;
		if (stored >= 0 && expires_ms <= stored + slack_ms)
			return ERR_OK;
	}
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_note_presign_tx(j, owner, session_id, seq, expires_ms,
	    now_ms, __func__);
	return journal_end(j, e, __func__);
}

enum err
journal_list_sessions(struct journal *j, const char *owner,
    const struct journal_list_pos *after, struct journal_session *out,
    size_t max, size_t *n)
{
	struct journal_stmt *st;
	enum err e;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || out == NULL || n == NULL || max == 0 ||
	    max > INT32_MAX)
		return ERR_INVAL;
	if (after != NULL)
		e = journal_prep(j, JS_SESSION_LIST_AFTER, &st, __func__,
		    JARGS(JTEXT(owner), JINT(max), JINT(after->created_ms),
		    JTEXT(after->id)));
	else
		e = journal_prep(j, JS_SESSION_LIST_FIRST, &st, __func__,
		    JARGS(JTEXT(owner), JINT(max)));
	if (e != ERR_OK)
		return e;
	while (*n < max && (e = journal_next(st, __func__,
	    "list sessions")) == ERR_OK)
		journal_session_cols(st, &out[(*n)++]);
	if (e == ERR_NOT_FOUND)
		e = ERR_OK;
	journal_unstmt(st);
	if (e != ERR_OK)
		*n = 0;
	return e;
}

static enum err
journal_missing_tx(struct journal *j, const char *session_id,
    int64_t **missing, size_t *nmissing, const char *func)
{
	struct journal_stmt *st;
	int64_t *v = NULL, *grown;
	size_t cap = 0;
	enum err e;

	if ((e = journal_prep(j, JS_MISSING, &st, func,
	    JARGS(JTEXT(session_id), JINT(LIMIT_CHUNKS_PER_SESSION)))) !=
	    ERR_OK)
		return e;
	while ((e = journal_next(st, func, "list missing")) == ERR_OK) {
		if (*nmissing == cap) {
			cap = cap * 2 + 16;
			if ((grown = realloc(v, cap * sizeof(*v))) == NULL) {
				e = ERR_NOMEM;
				goto out;
			}
			v = grown;
		}
		v[(*nmissing)++] = journal_col_int64(st, 0);
	}
	if (e == ERR_NOT_FOUND)
		e = ERR_OK;
out:
	journal_unstmt(st);
	if (e != ERR_OK) {
		free(v);
		v = NULL;
		*nmissing = 0;
	}
	*missing = v;
	return e;
}

enum err
journal_read_recording(struct journal *j, const char *owner,
    const char *session_id, struct journal_snapshot **snap,
    int64_t **missing, size_t *nmissing)
{
	enum err e;

	if (snap != NULL)
		*snap = NULL;
	if (missing != NULL)
		*missing = NULL;
	if (nmissing != NULL)
		*nmissing = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL || snap == NULL ||
	    missing == NULL || nmissing == NULL)
		return ERR_INVAL;
	if ((e = journal_begin(j, 0, __func__)) != ERR_OK)
		return e;
	e = journal_snapshot_tx(j, owner, session_id, snap, __func__);
	if (e == ERR_OK)
		e = journal_missing_tx(j, session_id, missing, nmissing,
		    __func__);
	e = journal_end(j, e, __func__);
	if (e != ERR_OK) {
		journal_snapshot_free(*snap);
		*snap = NULL;
		free(*missing);
		*missing = NULL;
		*nmissing = 0;
	}
	return e;
}

enum err
journal_cursor_key(struct journal *j,
    unsigned char key[JOURNAL_CURSOR_KEY_BYTES])
{
	struct journal_stmt *st;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	e = journal_first(j, JS_CURSOR_KEY, &st, __func__, "cursor key",
	    JNOARGS);
	if (e == ERR_OK && journal_col_blob(st, 0, key,
	    JOURNAL_CURSOR_KEY_BYTES) == 0)
		;
	else if (e == ERR_OK || e == ERR_NOT_FOUND) {
		log_error("journal has no cursor key");
		e = ERR_INTERNAL;
	}
	journal_unstmt(st);
	return e;
}
