/*
 * journal_stmt.c: the journal's SQL, and the few helpers every journal file
 * runs it through.
 *
 * Every statement the journal runs is in journal_sql[] below, by id, so the
 * SQLite dialect of the whole journal reads in one place (and a second
 * backend knows what it has to say again).  Statements are prepared once per
 * connection (SQLITE_PREPARE_PERSISTENT) and cached by id in struct journal.
 * The helpers fold what each call used to spell out: prepare-or-reset, a
 * bind per parameter, step, check the code, reset; and BEGIN / COMMIT or
 * ROLLBACK, so a failing call never leaves a transaction open.  The string
 * helpers sit here because every file needs them.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "journal_int.h"
#include "log.h"
#include "pid.h"
#include "utf8.h"

const char *const journal_sql[JS__MAX] = {
	[JS_BEGIN] = "BEGIN",
	[JS_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[JS_COMMIT] = "COMMIT",
	[JS_ROLLBACK] = "ROLLBACK",
	[JS_USER_VERSION] = "PRAGMA user_version",
	[JS_SESSION_GET] =
	    "SELECT id, owner, codec, sample_rate, chunk_seconds, user_agent,"
	    " created_ms, updated_ms, finalized, duration_ms, chunk_count,"
	    " total_bytes, t_min_ms, t_max_ms, revision, synced_revision,"
	    " final_event_id, deleting_ms, finalized_ms, final_chunk_count,"
	    " final_total_bytes FROM sessions WHERE id = ?1",
	[JS_SESSION_INSERT] =
	    "INSERT INTO sessions (id, owner, codec, sample_rate,"
	    " chunk_seconds, user_agent, created_ms, updated_ms)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
	[JS_SESSION_ADD_CHUNK] =
	    "UPDATE sessions SET chunk_count = chunk_count + 1,"
	    " total_bytes = total_bytes + ?2,"
	    " t_min_ms = min(coalesce(t_min_ms, ?3), ?3),"
	    " t_max_ms = max(coalesce(t_max_ms, ?4), ?4)"
	    " WHERE id = ?1",
	[JS_SESSION_BUMP] =
	    "UPDATE sessions SET revision = revision + 1,"
	    " updated_ms = max(updated_ms, ?2) WHERE id = ?1",
	[JS_SESSION_FINALIZE] =
	    "UPDATE sessions SET finalized = 1, duration_ms = ?2,"
	    " final_event_id = ?3, finalized_ms = ?4,"
	    " final_chunk_count = chunk_count, final_total_bytes = total_bytes"
	    " WHERE id = ?1 AND finalized = 0",
	[JS_SESSION_SYNC] =
	    "UPDATE sessions SET synced_revision = ?2"
	    " WHERE id = ?1 AND ?2 > synced_revision AND ?2 <= revision",
	[JS_CHUNK_GET] =
	    "SELECT key, t_start_ms, t_end_ms, bytes, md5, sha256, event_id,"
	    " ack_chunk_count, ack_total_bytes, ack_duration_ms, ack_revision"
	    " FROM chunks WHERE session_id = ?1 AND seq = ?2",
	[JS_CHUNK_INSERT] =
	    "INSERT INTO chunks (session_id, seq, key, t_start_ms, t_end_ms,"
	    " bytes, md5, sha256, uploaded_ms, verified)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)",
	[JS_CHUNK_ADOPT] =
	    "UPDATE chunks SET event_id = ?3, md5 = coalesce(md5, ?4),"
	    " sha256 = coalesce(sha256, ?5), ack_chunk_count = ?6,"
	    " ack_total_bytes = ?7, ack_duration_ms = ?8, ack_revision = ?9"
	    " WHERE session_id = ?1 AND seq = ?2",
	[JS_CHUNK_LIST] =
	    "SELECT seq, key, t_start_ms, t_end_ms, bytes, uploaded_ms, md5,"
	    " sha256 FROM chunks WHERE session_id = ?1 ORDER BY seq",
	[JS_OUTBOX_EVENT] =
	    "INSERT INTO outbox (kind, session_id, detail_type, event_id,"
	    " payload, next_attempt_ms, created_ms)"
	    " VALUES ('event', ?1, ?2, ?3, ?4, ?5, ?5)",
	/* One manifest_write row per session: a new change makes the row due
	 * now (the API attempts right after its commit) and revives it if it
	 * was parked dead, since the newest revision is new work. */
	[JS_OUTBOX_MANIFEST] =
	    "INSERT INTO outbox (kind, session_id, next_attempt_ms, created_ms)"
	    " VALUES ('manifest_write', ?1, ?2, ?2)"
	    " ON CONFLICT (session_id) WHERE kind = 'manifest_write'"
	    " DO UPDATE SET"
	    " next_attempt_ms = CASE WHEN dead THEN excluded.next_attempt_ms"
	    "  ELSE min(next_attempt_ms, excluded.next_attempt_ms) END,"
	    " attempts = CASE WHEN dead THEN 0 ELSE attempts END,"
	    " reason = CASE WHEN dead THEN NULL ELSE reason END,"
	    " dead = 0",
	[JS_OUTBOX_DUE] =
	    "SELECT id FROM outbox WHERE dead = 0 AND next_attempt_ms <= ?1"
	    " AND (lease_owner IS NULL OR lease_expires_ms <= ?1)"
	    " AND (?3 IS NULL OR kind = ?3)"
	    " ORDER BY next_attempt_ms, id LIMIT ?4",
	/* The same for one session, through its index (sql/002). */
	[JS_OUTBOX_DUE_SESSION] =
	    "SELECT id FROM outbox WHERE session_id = ?2 AND dead = 0"
	    " AND next_attempt_ms <= ?1"
	    " AND (lease_owner IS NULL OR lease_expires_ms <= ?1)"
	    " AND (?3 IS NULL OR kind = ?3)"
	    " ORDER BY next_attempt_ms, id LIMIT ?4",
	[JS_OUTBOX_LEASE] =
	    "UPDATE outbox SET lease_owner = ?2, lease_expires_ms = ?3,"
	    " attempts = attempts + 1 WHERE id = ?1"
	    " RETURNING kind, session_id, detail_type, event_id, payload,"
	    " attempts, created_ms",
	[JS_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id = ?1",
	/* A manifest write that went out while the session moved on: due
	 * again now, unless someone else has taken the lease since. */
	[JS_OUTBOX_REPEND] =
	    "UPDATE outbox SET lease_owner = NULL, lease_expires_ms = 0,"
	    " next_attempt_ms = ?3, attempts = 0, reason = NULL,"
	    " created_ms = ?3 WHERE id = ?1"
	    " AND (lease_owner IS NULL OR lease_owner = ?2)",
	[JS_OUTBOX_FAIL] =
	    "UPDATE outbox SET lease_owner = NULL, lease_expires_ms = 0,"
	    " next_attempt_ms = ?3, reason = ?4 WHERE id = ?1"
	    " AND (lease_owner IS NULL OR lease_owner = ?2)",
	[JS_OUTBOX_DEAD] =
	    "UPDATE outbox SET lease_owner = NULL, lease_expires_ms = 0,"
	    " dead = 1, reason = ?3 WHERE id = ?1"
	    " AND (lease_owner IS NULL OR lease_owner = ?2)",
	[JS_OUTBOX_REQUEUE] =
	    "UPDATE outbox SET dead = 0, attempts = 0, next_attempt_ms = ?2,"
	    " reason = NULL WHERE dead = 1 AND (?1 = 0 OR id = ?1)",
	[JS_OUTBOX_STATS] =
	    "SELECT coalesce(sum(dead = 0), 0),"
	    " coalesce(sum(dead = 0 AND lease_owner IS NOT NULL"
	    "  AND lease_expires_ms > ?1), 0),"
	    " coalesce(sum(dead = 1), 0),"
	    " min(CASE WHEN dead = 0 THEN created_ms END) FROM outbox",
	[JS_OUTBOX_LIST] =
	    "SELECT id, kind, session_id, detail_type, event_id, attempts,"
	    " dead, created_ms, next_attempt_ms, reason FROM outbox"
	    " WHERE (?1 = 0 OR dead = 1) ORDER BY id LIMIT ?2",
	/* Recordings (sql/003).  Both list forms walk sessions_owner_created
	 * backwards; the row-value comparison is the keyset position. */
	/* The session and the recorded expiry of one seq's presign in one
	 * statement: presign reads both, in one read transaction. */
	[JS_SESSION_GET_SEQ] =
	    "SELECT id, owner, codec, sample_rate, chunk_seconds, user_agent,"
	    " created_ms, updated_ms, finalized, duration_ms, chunk_count,"
	    " total_bytes, t_min_ms, t_max_ms, revision, synced_revision,"
	    " final_event_id, deleting_ms, finalized_ms, final_chunk_count,"
	    " final_total_bytes, (SELECT expires_ms FROM presigns"
	    " WHERE session_id = ?1 AND seq = ?2) FROM sessions WHERE id = ?1",
	[JS_SESSION_LIST_FIRST] =
	    "SELECT id, owner, codec, sample_rate, chunk_seconds, user_agent,"
	    " created_ms, updated_ms, finalized, duration_ms, chunk_count,"
	    " total_bytes, t_min_ms, t_max_ms, revision, synced_revision,"
	    " final_event_id, deleting_ms, finalized_ms, final_chunk_count,"
	    " final_total_bytes FROM sessions WHERE owner = ?1"
	    " ORDER BY created_ms DESC, id DESC LIMIT ?2",
	[JS_SESSION_LIST_AFTER] =
	    "SELECT id, owner, codec, sample_rate, chunk_seconds, user_agent,"
	    " created_ms, updated_ms, finalized, duration_ms, chunk_count,"
	    " total_bytes, t_min_ms, t_max_ms, revision, synced_revision,"
	    " final_event_id, deleting_ms, finalized_ms, final_chunk_count,"
	    " final_total_bytes FROM sessions WHERE owner = ?1"
	    " AND (created_ms, id) < (?3, ?4)"
	    " ORDER BY created_ms DESC, id DESC LIMIT ?2",
	[JS_SESSION_DELETING] =
	    "UPDATE sessions SET deleting_ms = ?2, updated_ms ="
	    " max(updated_ms, ?2) WHERE id = ?1 AND deleting_ms IS NULL",
	[JS_SESSION_PRESIGNED] =
	    "UPDATE sessions SET presign_count = presign_count + 1"
	    " WHERE id = ?1 AND presign_count < ?2",
	[JS_PRESIGN_GET] =
	    "SELECT expires_ms FROM presigns WHERE session_id = ?1 AND seq = ?2",
	[JS_PRESIGN_INSERT] =
	    "INSERT INTO presigns (session_id, seq, created_ms, expires_ms)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[JS_PRESIGN_EXTEND] =
	    "UPDATE presigns SET expires_ms = max(expires_ms, ?3)"
	    " WHERE session_id = ?1 AND seq = ?2",
	[JS_PRESIGN_MAX] =
	    "SELECT max(expires_ms) FROM presigns WHERE session_id = ?1",
	[JS_MISSING] =
	    "SELECT p.seq FROM presigns p WHERE p.session_id = ?1"
	    " AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.session_id = ?1"
	    " AND c.seq = p.seq) ORDER BY p.seq LIMIT ?2",
	[JS_OUTBOX_DROP_MANIFEST] =
	    "DELETE FROM outbox WHERE session_id = ?1"
	    " AND kind = 'manifest_write'",
	[JS_OUTBOX_ANY_SESSION] =
	    "SELECT 1 FROM outbox WHERE session_id = ?1 LIMIT 1",
	[JS_PURGE_PRESIGNS] = "DELETE FROM presigns WHERE session_id = ?1",
	[JS_PURGE_CHUNKS] = "DELETE FROM chunks WHERE session_id = ?1",
	[JS_PURGE_SESSION] = "DELETE FROM sessions WHERE id = ?1",
	[JS_DELETION_INSERT] =
	    "INSERT INTO deletions (session_id, owner, event_id, phase,"
	    " requested_ms, recheck_ms, next_attempt_ms)"
	    " VALUES (?1, ?2, ?3, 'objects', ?4, ?5, ?4)",
	[JS_DELETION_GET] =
	    "SELECT event_id, requested_ms, recheck_ms, phase FROM deletions"
	    " WHERE session_id = ?1",
	[JS_DELETION_DUE] =
	    "SELECT session_id FROM deletions WHERE next_attempt_ms <= ?1"
	    " AND (lease_owner IS NULL OR lease_expires_ms <= ?1)"
	    " ORDER BY next_attempt_ms LIMIT ?2",
	[JS_DELETION_LEASE] =
	    "UPDATE deletions SET lease_owner = ?2, lease_expires_ms = ?3,"
	    " attempts = attempts + 1 WHERE session_id = ?1"
	    " RETURNING owner, event_id, phase, requested_ms, recheck_ms,"
	    " objects_deleted, attempts",
	[JS_DELETION_PHASE] =
	    "UPDATE deletions SET phase = ?2, next_attempt_ms = ?3,"
	    " objects_deleted = objects_deleted + ?4, attempts = 0,"
	    " lease_owner = NULL, lease_expires_ms = 0, reason = NULL"
	    " WHERE session_id = ?1",
	[JS_DELETION_FAIL] =
	    "UPDATE deletions SET lease_owner = NULL, lease_expires_ms = 0,"
	    " next_attempt_ms = ?3, reason = ?4 WHERE session_id = ?1"
	    " AND (lease_owner IS NULL OR lease_owner = ?2)",
	[JS_DELETION_DELETE] = "DELETE FROM deletions WHERE session_id = ?1",
	[JS_DELETION_COUNT] = "SELECT count(*) FROM deletions",
	[JS_CURSOR_KEY] = "SELECT value FROM secrets WHERE name = 'cursor'",
	/* Leases of a holder known to be gone (fcgi: its process died). */
	[JS_OUTBOX_LEASE_OWNER] =
	    "SELECT lease_owner FROM outbox WHERE session_id = ?1"
	    " AND kind = ?2 AND dead = 0 AND lease_owner IS NOT NULL"
	    " AND lease_expires_ms > ?3 LIMIT 1",
	[JS_OUTBOX_RELEASE_OWNER] =
	    "UPDATE outbox SET lease_owner = NULL, lease_expires_ms = 0"
	    " WHERE lease_owner = ?1 AND lease_expires_ms > ?2",
	[JS_DELETION_RELEASE_OWNER] =
	    "UPDATE deletions SET lease_owner = NULL, lease_expires_ms = 0"
	    " WHERE lease_owner = ?1 AND lease_expires_ms > ?2",
	/* Per-user limits (journal_create_session): open sessions active
	 * since ?2, and creations since ?3 with the oldest of them. */
	[JS_USER_COUNTS] =
	    "SELECT coalesce(sum(finalized = 0 AND deleting_ms IS NULL"
	    " AND updated_ms >= ?2), 0), coalesce(sum(created_ms >= ?3), 0),"
	    " min(CASE WHEN created_ms >= ?3 THEN created_ms END)"
	    " FROM sessions WHERE owner = ?1",
};

/* ------------------------------------------------------------ errors */

/* Every "cannot write/read right now" condition becomes ERR_UNAVAILABLE,
 * which the API answers with 503. */
enum err
journal_sqlerr(struct journal *j, int rc, const char *func, const char *what)
{
	enum err e;

	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		e = ERR_NOMEM;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_PROTOCOL:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		e = ERR_UNAVAILABLE;
		break;
	default:
		e = ERR_INTERNAL;
		break;
	}
	log_msg(LOGL_ERROR, func, "journal %s: %s (sqlite %d)", what,
	    j != NULL && j->db != NULL ? sqlite3_errmsg(j->db) :
	    sqlite3_errstr(rc), rc);
	return e;
}

/* Calls on a connection inherited across fork() would corrupt SQLite's
 * locking state; refuse them loudly. */
enum err
journal_check(struct journal *j, const char *func)
{
	if (j == NULL || j->db == NULL) {
		log_msg(LOGL_ERROR, func, "journal not open");
		return ERR_INTERNAL;
	}
	if (j->pid != pid_self()) {
		log_msg(LOGL_ERROR, func,
		    "journal connection opened by pid %ld used by pid %ld; "
		    "open it after fork()", (long)j->pid, (long)pid_self());
		return ERR_INTERNAL;
	}
	return ERR_OK;
}

/* -------------------------------------------------------- statements */

static void
journal_bind(sqlite3_stmt *st, const struct journal_arg *args, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (args[i].type) {
		case JARG_TEXT:
			if (args[i].text == NULL)
				sqlite3_bind_null(st, (int)i + 1);
			else
				sqlite3_bind_text(st, (int)i + 1,
				    args[i].text, -1, SQLITE_STATIC);
			break;
		case JARG_INT:
			sqlite3_bind_int64(st, (int)i + 1, args[i].num);
			break;
		case JARG_SKIP:
			break;
		}
	}
}

enum err
journal_prep(struct journal *j, enum journal_stmt_id id, sqlite3_stmt **out,
    const char *func, const struct journal_arg *args, size_t nargs)
{
	int rc;

	if (j->stmt[id] == NULL) {
		rc = sqlite3_prepare_v3(j->db, journal_sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &j->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			j->stmt[id] = NULL;
			return journal_sqlerr(j, rc, func, "prepare");
		}
	} else {
		sqlite3_reset(j->stmt[id]);
		sqlite3_clear_bindings(j->stmt[id]);
	}
	journal_bind(j->stmt[id], args, nargs);
	*out = j->stmt[id];
	return ERR_OK;
}

void
journal_unstmt(sqlite3_stmt *st)
{
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

enum err
journal_run(struct journal *j, sqlite3_stmt *st, const char *func,
    const char *what)
{
	int rc;
	enum err e = ERR_OK;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, func, what);
	journal_unstmt(st);
	return e;
}

enum err
journal_exec(struct journal *j, enum journal_stmt_id id, const char *func,
    const char *what, const struct journal_arg *args, size_t nargs)
{
	sqlite3_stmt *st;
	enum err e;

	if ((e = journal_prep(j, id, &st, func, args, nargs)) != ERR_OK)
		return e;
	return journal_run(j, st, func, what);
}

enum err
journal_first(struct journal *j, enum journal_stmt_id id, sqlite3_stmt **out,
    const char *func, const char *what, const struct journal_arg *args,
    size_t nargs)
{
	sqlite3_stmt *st;
	enum err e;
	int rc;

	*out = NULL;
	if ((e = journal_prep(j, id, &st, func, args, nargs)) != ERR_OK)
		return e;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = st;
		return ERR_OK;
	}
	e = rc == SQLITE_DONE ? ERR_NOT_FOUND : journal_sqlerr(j, rc, func,
	    what);
	journal_unstmt(st);
	return e;
}

enum err
journal_int64(struct journal *j, enum journal_stmt_id id, const char *func,
    const char *what, int64_t *v, int *found, const struct journal_arg *args,
    size_t nargs)
{
	sqlite3_stmt *st;
	enum err e;

	if (found != NULL)
		*found = 0;
	e = journal_first(j, id, &st, func, what, args, nargs);
	if (e == ERR_NOT_FOUND)
		return ERR_OK;
	if (e != ERR_OK)
		return e;
	if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*v = sqlite3_column_int64(st, 0);
		if (found != NULL)
			*found = 1;
	}
	journal_unstmt(st);
	return ERR_OK;
}

int64_t
journal_changes(struct journal *j)
{
	return sqlite3_changes(j->db);
}

enum err
journal_begin(struct journal *j, int write, const char *func)
{
	enum journal_stmt_id id = write ? JS_BEGIN_IMMEDIATE : JS_BEGIN;

	return journal_exec(j, id, func, journal_sql[id], JNOARGS);
}

enum err
journal_end(struct journal *j, enum err e, const char *func)
{
	if (e == ERR_OK)
		e = journal_exec(j, JS_COMMIT, func, journal_sql[JS_COMMIT],
		    JNOARGS);
	if (!sqlite3_get_autocommit(j->db)) {
		if (journal_exec(j, JS_ROLLBACK, func,
		    journal_sql[JS_ROLLBACK], JNOARGS) != ERR_OK)
			log_msg(LOGL_ERROR, func, "journal rollback failed");
	}
	return e;
}

enum err
journal_end_clear(struct journal *j, enum err e, const char *func, void *out,
    size_t size)
{
	if ((e = journal_end(j, e, func)) != ERR_OK)
		memset(out, 0, size);
	return e;
}

/* ----------------------------------------------------------- columns */

void
journal_col_text(sqlite3_stmt *st, int i, char *dst, size_t dstsz)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	journal_copy_cut(dst, dstsz, s != NULL ? (const char *)s : "");
}

char *
journal_col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	char *d;
	size_t len;

	if (s == NULL)
		return NULL;
	len = (size_t)sqlite3_column_bytes(st, i);
	if ((d = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* ----------------------------------------------------------- strings */

int
journal_copy(char *dst, size_t dstsz, const char *src)
{
	size_t len;

	if (src == NULL)
		src = "";
	len = strlen(src);
	if (len >= dstsz) {
		if (dstsz > 0)
			dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

void
journal_copy_cut(char *dst, size_t dstsz, const char *src)
{
	size_t len;

	if (src == NULL)
		src = "";
	len = utf8_cut(src, strlen(src), dstsz - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int
journal_str_ok(const char *s, size_t maxlen)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= maxlen;
}

int
journal_opt_ok(const char *s, size_t maxlen)
{
	return s == NULL || strlen(s) <= maxlen;
}

const char *
journal_opt(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}
