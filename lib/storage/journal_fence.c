/*
 * journal_fence.c: the ETag of each session's manifest.json as this
 * journal last wrote it, for the fenced manifest write (see
 * journal_manifest_etag() in journal.h and fcgi/deliver_manifest.c).
 *
 * Two statements on the sessions row (sql/005, sql/pg/002), kept apart
 * from the outbox: the write's If-Match is read before the PUT and the
 * answered ETag stored after it, each in its own short call, because the
 * PUT in between must not hold the journal.  The store is one UPDATE of
 * the session's row, conditional on the revision: it takes that row's
 * lock itself and no other, so it needs no journal_session_lock() first.
 */
#include <string.h>

#include "journal_int.h"

enum err
journal_manifest_etag(struct journal *j, const char *session_id, char *etag,
    size_t cap)
{
	struct journal_stmt *st;
	enum err e;

	if (etag != NULL && cap > 0)
		etag[0] = '\0';
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (!journal_str_ok(session_id, LIMIT_SESSION_ID_BYTES) ||
	    etag == NULL || cap == 0)
		return ERR_INVAL;
	if ((e = journal_first(j, JS_MANIFEST_ETAG_GET, &st, __func__,
	    "read manifest ETag", JARGS(JTEXT(session_id)))) != ERR_OK)
		return e;
	journal_col_text(st, 0, etag, cap);
	journal_unstmt(st);
	return ERR_OK;
}

enum err
journal_manifest_etag_set(struct journal *j, const char *session_id,
    const char *etag, int64_t revision)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (!journal_str_ok(session_id, LIMIT_SESSION_ID_BYTES) ||
	    !journal_str_ok(etag, JOURNAL_ETAG_BYTES - 1) || revision < 0)
		return ERR_INVAL;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_exec(j, JS_MANIFEST_ETAG_SET, __func__,
	    "record manifest ETag", JARGS(JTEXT(session_id), JTEXT(etag),
	    JINT(revision)));
	return journal_end(j, e, __func__);
}
