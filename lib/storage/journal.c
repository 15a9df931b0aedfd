/*
 * journal.c: the SQLite journal behind the storage path.
 *
 * One struct journal wraps one sqlite3 connection owned by one process (the
 * API's preforked workers and the delivery loop each open their own after
 * fork).  Every write runs in BEGIN IMMEDIATE, so the write lock is taken up
 * front and waits on the busy timeout instead of failing half-way with
 * SQLITE_BUSY_SNAPSHOT; every change commits together with the outbox rows
 * for the work it causes.  Statements are prepared once per connection and
 * cached by index.  The schema comes from sql/NNN_*.sql, embedded at build
 * time by sql/embed.sh and applied at open through PRAGMA user_version.
 *
 * Manifest revisions: each committed change to a session adds one.  The
 * outbox holds at most one manifest_write row per session; a claim renders
 * the session's newest revision, and delivery advances synced_revision,
 * which never goes back, so an older manifest is never sent after a newer
 * one was recorded as written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "journal.h"
#include "log.h"
#include "manifest.h"
#include "pid.h"

/* Generated from sql/ by sql/embed.sh. */
extern const char *const journal_migration_sql[];
extern const char *const journal_migration_name[];
extern const int journal_migration_count;

enum journal_stmt_id {
	JS_BEGIN,
	JS_BEGIN_IMMEDIATE,
	JS_COMMIT,
	JS_ROLLBACK,
	JS_USER_VERSION,
	JS_SESSION_GET,
	JS_SESSION_INSERT,
	JS_SESSION_ADD_CHUNK,
	JS_SESSION_BUMP,
	JS_SESSION_FINALIZE,
	JS_SESSION_SYNC,
	JS_CHUNK_GET,
	JS_CHUNK_INSERT,
	JS_CHUNK_ADOPT,
	JS_CHUNK_LIST,
	JS_OUTBOX_EVENT,
	JS_OUTBOX_MANIFEST,
	JS_OUTBOX_DUE,
	JS_OUTBOX_DUE_SESSION,
	JS_OUTBOX_LEASE,
	JS_OUTBOX_DELETE,
	JS_OUTBOX_REPEND,
	JS_OUTBOX_FAIL,
	JS_OUTBOX_DEAD,
	JS_OUTBOX_REQUEUE,
	JS_OUTBOX_STATS,
	JS_OUTBOX_LIST,
	JS_SESSION_GET_SEQ,
	JS_SESSION_LIST_FIRST,
	JS_SESSION_LIST_AFTER,
	JS_SESSION_DELETING,
	JS_SESSION_PRESIGNED,
	JS_PRESIGN_GET,
	JS_PRESIGN_INSERT,
	JS_PRESIGN_EXTEND,
	JS_PRESIGN_MAX,
	JS_MISSING,
	JS_OUTBOX_DROP_MANIFEST,
	JS_OUTBOX_ANY_SESSION,
	JS_PURGE_PRESIGNS,
	JS_PURGE_CHUNKS,
	JS_PURGE_SESSION,
	JS_DELETION_INSERT,
	JS_DELETION_GET,
	JS_DELETION_DUE,
	JS_DELETION_LEASE,
	JS_DELETION_PHASE,
	JS_DELETION_FAIL,
	JS_DELETION_DELETE,
	JS_DELETION_COUNT,
	JS_CURSOR_KEY,
	JS_OUTBOX_LEASE_OWNER,
	JS_OUTBOX_RELEASE_OWNER,
	JS_DELETION_RELEASE_OWNER,
	JS_USER_COUNTS,
	JS__MAX
};

static const char *const journal_sql[JS__MAX] = {
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

struct journal {
	sqlite3		*db;
	pid_t		 pid;		/* the process that opened it */
	unsigned	 flags;
	int		 busy_timeout_ms;
	int64_t		 finalize_grace_ms;	/* late chunks; 0: none */
	struct timespec	 busy_since;	/* first retry of the current wait */
	unsigned int	 busy_seed;	/* jitter for the busy handler */
	sqlite3_stmt	*stmt[JS__MAX];
};

struct journal_snapshot {
	struct journal_session	 session;
	struct manifest		 m;
	struct manifest_chunk	*chunks;
	size_t			 nchunks;
};

/* One chunk row as stored, for comparisons and replies. */
struct journal_row {
	int		 found;
	char		 key[LIMIT_S3_KEY_BYTES + 1];
	int64_t		 t_start_ms;
	int64_t		 t_end_ms;
	int64_t		 bytes;
	char		 md5[JOURNAL_HASH_BYTES];
	char		 sha256[JOURNAL_HASH_BYTES];
	char		 event_id[JOURNAL_EVENT_ID_BYTES];
	int64_t		 ack_chunk_count;
	int64_t		 ack_total_bytes;
	int64_t		 ack_duration_ms;
	int64_t		 ack_revision;
};

/* ---------------------------------------------------------------- helpers */

int64_t
journal_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
journal_schema_latest(void)
{
	return journal_migration_count;
}

/* Map an SQLite result code to enum err and log it once, naming the public
 * function that failed.  Every "cannot write/read right now" condition
 * becomes ERR_UNAVAILABLE, which the API answers with 503. */
static enum err
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

/* Copy a string into a fixed buffer; -1 if it does not fit. */
static int
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

/* Copy, cutting to fit without splitting a UTF-8 sequence. */
static void
journal_copy_cut(char *dst, size_t dstsz, const char *src)
{
	size_t len;

	if (src == NULL)
		src = "";
	len = strlen(src);
	if (len >= dstsz) {
		len = dstsz - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int
journal_str_ok(const char *s, size_t maxlen)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= maxlen;
}

static int
journal_opt_ok(const char *s, size_t maxlen)
{
	return s == NULL || strlen(s) <= maxlen;
}

/* NULL for an absent optional string. */
static const char *
journal_opt(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* A fresh UUID v4 from the kernel CSPRNG. */
static enum err
journal_uuid(char *buf, size_t bufsz)
{
	unsigned char r[16];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(r)) {
		n = getrandom(r + got, sizeof(r) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("getrandom: %s", strerror(errno));
			return ERR_INTERNAL;
		}
		got += (size_t)n;
	}
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(buf, bufsz,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
	    r[10], r[11], r[12], r[13], r[14], r[15]);
	return ERR_OK;
}

/* The cached statement, reset and with no bindings, ready to bind. */
static enum err
journal_stmt(struct journal *j, enum journal_stmt_id id, sqlite3_stmt **out,
    const char *func)
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
	*out = j->stmt[id];
	return ERR_OK;
}

/* Release a statement's read cursor and its borrowed bindings. */
static void
journal_unstmt(sqlite3_stmt *st)
{
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/* Run a statement that returns no rows (or whose rows are ignored). */
static enum err
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

static enum err
journal_exec_id(struct journal *j, enum journal_stmt_id id, const char *func)
{
	sqlite3_stmt *st;
	enum err e;

	if ((e = journal_stmt(j, id, &st, func)) != ERR_OK)
		return e;
	return journal_run(j, st, func, journal_sql[id]);
}

static void
journal_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static void
journal_col_text(sqlite3_stmt *st, int i, char *dst, size_t dstsz)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	journal_copy_cut(dst, dstsz, s != NULL ? (const char *)s : "");
}

/* Calls on a connection inherited across fork() would corrupt SQLite's
 * locking state; refuse them loudly. */
static enum err
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

static enum err
journal_begin(struct journal *j, int write, const char *func)
{
	return journal_exec_id(j, write ? JS_BEGIN_IMMEDIATE : JS_BEGIN, func);
}

/* Commit if e is ERR_OK, else roll back; the result is e or the commit's
 * error.  Never leaves a transaction open. */
static enum err
journal_end(struct journal *j, enum err e, const char *func)
{
	if (e == ERR_OK)
		e = journal_exec_id(j, JS_COMMIT, func);
	if (!sqlite3_get_autocommit(j->db)) {
		if (journal_exec_id(j, JS_ROLLBACK, func) != ERR_OK)
			log_msg(LOGL_ERROR, func, "journal rollback failed");
	}
	return e;
}

/* ------------------------------------------------------------- connection */

/*
 * Busy handler: wait for the write lock in short, jittered sleeps (0.25 to
 * 4 ms, growing with the retries) until busy_timeout_ms has passed.
 * SQLite's own handler sleeps up to 100 ms at a time, so under many
 * writers a worker that loses a few rounds waits a second or more while
 * others take the lock again and again; short sleeps keep the slowest
 * commit close to the others.
 */
static int
journal_busy(void *arg, int count)
{
	struct journal *j = arg;
	struct timespec now;
	int64_t waited_ms;
	useconds_t us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (count == 0)
		j->busy_since = now;
	waited_ms = (int64_t)(now.tv_sec - j->busy_since.tv_sec) * 1000 +
	    (now.tv_nsec - j->busy_since.tv_nsec) / 1000000;
	if (waited_ms >= j->busy_timeout_ms)
		return 0;
	us = 250u << (count < 4 ? count : 4);
	us = us / 2 + (useconds_t)(rand_r(&j->busy_seed) % (int)us);
	usleep(us);
	return 1;
}

static enum err
journal_pragma(struct journal *j, const char *sql, const char *want)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	enum err e = ERR_OK;
	int rc;

	rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		e = journal_sqlerr(j, rc, "journal_open", sql);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		e = journal_sqlerr(j, rc, "journal_open", sql);
		goto out;
	}
	if (want != NULL) {
		v = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
		if (v == NULL || strcmp((const char *)v, want) != 0) {
			log_msg(LOGL_ERROR, "journal_open", "%s answered %s, "
			    "wanted %s", sql, v != NULL ? (const char *)v :
			    "nothing", want);
			e = ERR_UNAVAILABLE;
		}
	}
out:
	sqlite3_finalize(st);
	return e;
}

static enum err
journal_user_version(struct journal *j, int *version, const char *func)
{
	sqlite3_stmt *st;
	enum err e;
	int rc;

	if ((e = journal_stmt(j, JS_USER_VERSION, &st, func)) != ERR_OK)
		return e;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	else
		e = journal_sqlerr(j, rc, func, "read user_version");
	journal_unstmt(st);
	return e;
}

/* Apply every migration the file lacks, each in its own transaction that
 * re-reads user_version, so workers opening at once migrate exactly once. */
static enum err
journal_migrate(struct journal *j)
{
	char sql[64], *errmsg = NULL;
	enum err e = ERR_OK;
	int v, rc;

	for (;;) {
		if ((e = journal_user_version(j, &v, "journal_open")) != ERR_OK)
			break;
		if (v > journal_migration_count) {
			log_msg(LOGL_ERROR, "journal_open", "journal schema "
			    "version %d is newer than this program's %d", v,
			    journal_migration_count);
			e = ERR_CONFIG;
			break;
		}
		if (v == journal_migration_count)
			break;
		if (j->flags & JOURNAL_READONLY) {
			log_msg(LOGL_ERROR, "journal_open", "journal schema "
			    "version %d needs migrating to %d; open it "
			    "read-write once", v, journal_migration_count);
			e = ERR_UNAVAILABLE;
			break;
		}
		if ((e = journal_begin(j, 1, "journal_open")) != ERR_OK)
			break;
		if ((e = journal_user_version(j, &v, "journal_open")) == ERR_OK &&
		    v < journal_migration_count && v >= 0) {
			rc = sqlite3_exec(j->db, journal_migration_sql[v], NULL,
			    NULL, &errmsg);
			if (rc != SQLITE_OK) {
				log_msg(LOGL_ERROR, "journal_open",
				    "migration %s failed: %s",
				    journal_migration_name[v],
				    errmsg != NULL ? errmsg : "?");
				sqlite3_free(errmsg);
				errmsg = NULL;
				e = journal_sqlerr(j, rc, "journal_open",
				    "migrate");
			} else {
				snprintf(sql, sizeof(sql),
				    "PRAGMA user_version = %d", v + 1);
				rc = sqlite3_exec(j->db, sql, NULL, NULL, NULL);
				if (rc != SQLITE_OK)
					e = journal_sqlerr(j, rc,
					    "journal_open", sql);
			}
			if (e == ERR_OK)
				log_info("journal migrated to %s",
				    journal_migration_name[v]);
		}
		if ((e = journal_end(j, e, "journal_open")) != ERR_OK)
			break;
	}
	return e;
}

enum err
journal_open(struct journal **jp, const char *path, int busy_timeout_ms,
    unsigned flags)
{
	struct journal *j = NULL;
	enum err e = ERR_OK;
	int rc, oflags, tries;

	if (jp == NULL || path == NULL || path[0] == '\0')
		return ERR_INVAL;
	*jp = NULL;
	if (busy_timeout_ms <= 0)
		busy_timeout_ms = JOURNAL_BUSY_TIMEOUT_DEFAULT_MS;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return ERR_NOMEM;
	j->pid = pid_self();
	j->flags = flags;
	oflags = SQLITE_OPEN_NOMUTEX | ((flags & JOURNAL_READONLY) ?
	    SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	rc = sqlite3_open_v2(path, &j->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		log_error("cannot open journal %s: %s", path, j->db != NULL ?
		    sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
		e = rc == SQLITE_NOMEM ? ERR_NOMEM : ERR_UNAVAILABLE;
		goto out;
	}
	sqlite3_extended_result_codes(j->db, 1);
	j->busy_timeout_ms = busy_timeout_ms;
	j->busy_seed = (unsigned int)getpid() ^ (unsigned int)journal_now_ms();
	sqlite3_busy_handler(j->db, journal_busy, j);
	if ((e = journal_pragma(j, "PRAGMA foreign_keys = ON", NULL)) != ERR_OK)
		goto out;
	if (!(flags & JOURNAL_READONLY)) {
		/* Switching to WAL needs a moment of exclusive access; the
		 * busy handler covers most of it, a few retries the rest. */
		for (tries = 0; tries < 50; tries++) {
			e = journal_pragma(j, "PRAGMA journal_mode = WAL",
			    "wal");
			if (e == ERR_OK)
				break;
			usleep(20000);
		}
		if (e != ERR_OK)
			goto out;
		/* A 200 means the chunk is on disk: fsync every commit. */
		if ((e = journal_pragma(j, "PRAGMA synchronous = FULL",
		    NULL)) != ERR_OK)
			goto out;
	}
	e = journal_migrate(j);
out:
	if (e != ERR_OK) {
		journal_close(j);
		return e;
	}
	*jp = j;
	return ERR_OK;
}

void
journal_close(struct journal *j)
{
	int i;

	if (j == NULL)
		return;
	/* A child must not touch its parent's connection: closing it would
	 * release POSIX locks the parent still relies on.  Only free ours. */
	if (j->pid == pid_self()) {
		for (i = 0; i < JS__MAX; i++)
			sqlite3_finalize(j->stmt[i]);
		if (j->db != NULL)
			sqlite3_close(j->db);
	}
	free(j);
}

int
journal_schema_version(struct journal *j)
{
	int v = -1;

	if (journal_check(j, __func__) != ERR_OK ||
	    journal_user_version(j, &v, __func__) != ERR_OK)
		return -1;
	return v;
}

enum err
journal_limit_size(struct journal *j, int64_t max_bytes)
{
	char sql[80];
	sqlite3_stmt *st = NULL;
	int64_t page = 4096, pages;
	enum err e;
	int rc;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (max_bytes < 0)
		return ERR_INVAL;
	rc = sqlite3_prepare_v2(j->db, "PRAGMA page_size", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		page = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return journal_sqlerr(j, rc, __func__, "page_size");
	pages = max_bytes == 0 ? 4294967294LL : max_bytes / page;
	if (pages < 1)
		pages = 1;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
	    (long long)pages);
	return journal_pragma(j, sql, NULL);
}

enum err
journal_ping(struct journal *j)
{
	int v;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	return journal_user_version(j, &v, __func__);
}

/* ---------------------------------------------------------------- sessions */

static int64_t
journal_span(sqlite3_stmt *st, int tmin, int tmax)
{
	if (sqlite3_column_type(st, tmin) == SQLITE_NULL ||
	    sqlite3_column_type(st, tmax) == SQLITE_NULL)
		return 0;
	return sqlite3_column_int64(st, tmax) - sqlite3_column_int64(st, tmin);
}

/* The column after JS_SESSION_GET's in JS_SESSION_GET_SEQ: keep it the
 * last one when a migration adds a session column. */
#define JOURNAL_SEQ_COL	21

/* Fill *s from a row of JS_SESSION_GET's (and the list's) columns. */
static void
journal_session_cols(sqlite3_stmt *st, struct journal_session *s)
{
	memset(s, 0, sizeof(*s));
	journal_col_text(st, 0, s->id, sizeof(s->id));
	journal_col_text(st, 1, s->owner, sizeof(s->owner));
	journal_col_text(st, 2, s->codec, sizeof(s->codec));
	s->sample_rate = sqlite3_column_int(st, 3);
	s->chunk_seconds = sqlite3_column_int(st, 4);
	journal_col_text(st, 5, s->user_agent, sizeof(s->user_agent));
	s->created_ms = sqlite3_column_int64(st, 6);
	s->updated_ms = sqlite3_column_int64(st, 7);
	s->finalized = sqlite3_column_int(st, 8);
	s->duration_ms = s->finalized ? sqlite3_column_int64(st, 9) :
	    journal_span(st, 12, 13);
	s->chunk_count = sqlite3_column_int64(st, 10);
	s->total_bytes = sqlite3_column_int64(st, 11);
	s->revision = sqlite3_column_int64(st, 14);
	s->synced_revision = sqlite3_column_int64(st, 15);
	s->deleting_ms = sqlite3_column_int64(st, 17);
	if (s->finalized) {
		s->finalized_ms = sqlite3_column_int64(st, 18);
		s->final_chunk_count = sqlite3_column_type(st, 19) ==
		    SQLITE_NULL ? s->chunk_count : sqlite3_column_int64(st, 19);
		s->final_total_bytes = sqlite3_column_type(st, 20) ==
		    SQLITE_NULL ? s->total_bytes : sqlite3_column_int64(st, 20);
	}
}

/*
 * Read a session inside the caller's transaction, deleting or not.  owner
 * NULL skips the owner check.  final_event_id (may be NULL) receives the
 * finalize event.
 */
static enum err
journal_session_row(struct journal *j, const char *owner, const char *id,
    struct journal_session *s, char *final_event_id, const char *func)
{
	sqlite3_stmt *st;
	const char *o;
	enum err e;
	int rc;

	if ((e = journal_stmt(j, JS_SESSION_GET, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		e = ERR_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		e = journal_sqlerr(j, rc, func, "read session");
		goto out;
	}
	if ((o = (const char *)sqlite3_column_text(st, 1)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	if (owner != NULL && strcmp(o, owner) != 0) {
		e = ERR_NOT_FOUND;
		goto out;
	}
	journal_session_cols(st, s);
	if (final_event_id != NULL)
		journal_col_text(st, 16, final_event_id,
		    JOURNAL_EVENT_ID_BYTES);
out:
	journal_unstmt(st);
	return e;
}

/*
 * The same for a user's change: a session being deleted is not found
 * (owner NULL, the deliverer, still sees it).
 */
static enum err
journal_session_read(struct journal *j, const char *owner, const char *id,
    struct journal_session *s, char *final_event_id, const char *func)
{
	enum err e;

	e = journal_session_row(j, owner, id, s, final_event_id, func);
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
	sqlite3_stmt *st;
	enum err e;
	int rc;

	if (n->max_open <= 0 && n->max_per_hour <= 0)
		return ERR_OK;
	if ((e = journal_stmt(j, JS_USER_COUNTS, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, n->owner);
	sqlite3_bind_int64(st, 2, n->open_since_ms);
	sqlite3_bind_int64(st, 3, now_ms - 3600 * 1000);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		open = sqlite3_column_int64(st, 0);
		created = sqlite3_column_int64(st, 1);
		oldest = sqlite3_column_int64(st, 2);
	} else
		e = journal_sqlerr(j, rc, func, "count the user's sessions");
	journal_unstmt(st);
	if (e != ERR_OK)
		return e;
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
	sqlite3_stmt *st;
	enum err e;
	int rc;

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
	if ((e = journal_stmt(j, JS_SESSION_INSERT, &st, __func__)) != ERR_OK)
		goto out;
	journal_bind_text(st, 1, n->id);
	journal_bind_text(st, 2, n->owner);
	journal_bind_text(st, 3, n->codec);
	sqlite3_bind_int(st, 4, n->sample_rate);
	sqlite3_bind_int(st, 5, n->chunk_seconds);
	journal_bind_text(st, 6, ua);
	sqlite3_bind_int64(st, 7, now_ms);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		e = ERR_CONFLICT;
	else if (rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, __func__, "insert session");
	journal_unstmt(st);
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

/* ------------------------------------------------------------------ chunks */

static int
journal_chunk_valid(const struct journal_chunk *c)
{
	return c != NULL && c->seq >= 1 && c->t_start_ms >= 0 &&
	    c->t_end_ms > c->t_start_ms && c->bytes >= 1 &&
	    journal_str_ok(c->key, LIMIT_S3_KEY_BYTES) &&
	    journal_opt_ok(c->md5, JOURNAL_HASH_BYTES - 1) &&
	    journal_opt_ok(c->sha256, JOURNAL_HASH_BYTES - 1);
}

static enum err
journal_chunk_read(struct journal *j, const char *session_id, int64_t seq,
    struct journal_row *r, const char *func)
{
	sqlite3_stmt *st;
	enum err e;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((e = journal_stmt(j, JS_CHUNK_GET, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->found = 1;
		journal_col_text(st, 0, r->key, sizeof(r->key));
		r->t_start_ms = sqlite3_column_int64(st, 1);
		r->t_end_ms = sqlite3_column_int64(st, 2);
		r->bytes = sqlite3_column_int64(st, 3);
		journal_col_text(st, 4, r->md5, sizeof(r->md5));
		journal_col_text(st, 5, r->sha256, sizeof(r->sha256));
		journal_col_text(st, 6, r->event_id, sizeof(r->event_id));
		r->ack_chunk_count = sqlite3_column_int64(st, 7);
		r->ack_total_bytes = sqlite3_column_int64(st, 8);
		r->ack_duration_ms = sqlite3_column_int64(st, 9);
		r->ack_revision = sqlite3_column_int64(st, 10);
	} else if (rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, func, "read chunk");
	journal_unstmt(st);
	return e;
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

/* Insert a chunk and fold it into the session's aggregates. */
static enum err
journal_chunk_insert(struct journal *j, const char *session_id,
    const struct journal_chunk *c, int64_t now_ms, const char *func)
{
	sqlite3_stmt *st;
	enum err e;

	if ((e = journal_stmt(j, JS_CHUNK_INSERT, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	sqlite3_bind_int64(st, 2, c->seq);
	journal_bind_text(st, 3, c->key);
	sqlite3_bind_int64(st, 4, c->t_start_ms);
	sqlite3_bind_int64(st, 5, c->t_end_ms);
	sqlite3_bind_int64(st, 6, c->bytes);
	journal_bind_text(st, 7, journal_opt(c->md5));
	journal_bind_text(st, 8, journal_opt(c->sha256));
	sqlite3_bind_int64(st, 9, now_ms);
	if ((e = journal_run(j, st, func, "insert chunk")) != ERR_OK)
		return e;
	if ((e = journal_stmt(j, JS_SESSION_ADD_CHUNK, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	sqlite3_bind_int64(st, 2, c->bytes);
	sqlite3_bind_int64(st, 3, c->t_start_ms);
	sqlite3_bind_int64(st, 4, c->t_end_ms);
	return journal_run(j, st, func, "update session totals");
}

/* One committed change: revision + 1 and the session's manifest_write. */
static enum err
journal_changed(struct journal *j, const char *session_id, int64_t now_ms,
    const char *func)
{
	sqlite3_stmt *st;
	enum err e;

	if ((e = journal_stmt(j, JS_SESSION_BUMP, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	sqlite3_bind_int64(st, 2, now_ms);
	if ((e = journal_run(j, st, func, "bump revision")) != ERR_OK)
		return e;
	if ((e = journal_stmt(j, JS_OUTBOX_MANIFEST, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	sqlite3_bind_int64(st, 2, now_ms);
	return journal_run(j, st, func, "enqueue manifest write");
}

static enum err
journal_enqueue_event(struct journal *j, const char *session_id,
    const char *detail_type, const char *event_id, const char *payload,
    int64_t now_ms, const char *func)
{
	sqlite3_stmt *st;
	enum err e;

	if ((e = journal_stmt(j, JS_OUTBOX_EVENT, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	journal_bind_text(st, 2, detail_type);
	journal_bind_text(st, 3, event_id);
	journal_bind_text(st, 4, payload);
	sqlite3_bind_int64(st, 5, now_ms);
	return journal_run(j, st, func, "enqueue event");
}

static enum err
journal_complete_tx(struct journal *j, const char *owner,
    const char *session_id, const struct journal_chunk *c, int64_t now_ms,
    struct journal_complete_result *out)
{
	static const char *func = "journal_complete_chunk";
	struct journal_session s;
	struct journal_row r;
	struct manifest_chunk_event ev;
	sqlite3_stmt *st;
	char *detail = NULL;
	enum err e;

	if ((e = journal_session_read(j, owner, session_id, &s, NULL,
	    func)) != ERR_OK)
		goto out;
	if ((e = journal_chunk_read(j, session_id, c->seq, &r, func)) != ERR_OK)
		goto out;
	if (r.found && !journal_chunk_same(&r, c)) {
		log_msg(LOGL_INFO, func, "session %s seq %lld: complete "
		    "differs from the stored chunk", session_id,
		    (long long)c->seq);
		e = ERR_CONFLICT;
		goto out;
	}
	if (r.found && r.event_id[0] != '\0') {
		/* A retry: answer what the first complete answered. */
		out->chunk_count = r.ack_chunk_count;
		out->total_bytes = r.ack_total_bytes;
		out->duration_ms = r.ack_duration_ms;
		out->revision = r.ack_revision;
		journal_copy(out->event_id, sizeof(out->event_id), r.event_id);
		out->replayed = 1;
		goto out;
	}
	if (s.finalized && journal_late_rule(&s, c->t_start_ms,
	    j->finalize_grace_ms, now_ms) != JOURNAL_LATE_OK) {
		e = ERR_CONFLICT;
		goto out;
	}
	if (s.finalized)
		log_msg(LOGL_INFO, func, "session %s seq %lld: late chunk "
		    "after finalize", session_id, (long long)c->seq);
	if (!r.found) {
		if (s.chunk_count >= LIMIT_CHUNKS_PER_SESSION) {
			e = ERR_TOO_LARGE;
			goto out;
		}
		if ((e = journal_chunk_insert(j, session_id, c, now_ms,
		    func)) != ERR_OK)
			goto out;
	}
	if ((e = journal_changed(j, session_id, now_ms, func)) != ERR_OK)
		goto out;
	if ((e = journal_session_read(j, NULL, session_id, &s, NULL,
	    func)) != ERR_OK)
		goto out;
	if ((e = journal_uuid(out->event_id, sizeof(out->event_id))) != ERR_OK)
		goto out;
	out->chunk_count = s.chunk_count;
	out->total_bytes = s.total_bytes;
	out->duration_ms = s.duration_ms;
	out->revision = s.revision;
	out->replayed = 0;
	memset(&ev, 0, sizeof(ev));
	ev.user_id = s.owner;
	ev.session_id = s.id;
	ev.chunk_seq = c->seq;
	ev.chunk_key = c->key;
	ev.bytes = c->bytes;
	ev.timestamp_ms = now_ms;
	ev.event_id = out->event_id;
	if ((e = manifest_render_chunk_event(&ev, &detail, NULL)) != ERR_OK)
		goto out;
	if ((e = journal_enqueue_event(j, session_id, "AudioChunkUploaded",
	    out->event_id, detail, now_ms, func)) != ERR_OK)
		goto out;
	if ((e = journal_stmt(j, JS_CHUNK_ADOPT, &st, func)) != ERR_OK)
		goto out;
	journal_bind_text(st, 1, session_id);
	sqlite3_bind_int64(st, 2, c->seq);
	journal_bind_text(st, 3, out->event_id);
	journal_bind_text(st, 4, journal_opt(c->md5));
	journal_bind_text(st, 5, journal_opt(c->sha256));
	sqlite3_bind_int64(st, 6, out->chunk_count);
	sqlite3_bind_int64(st, 7, out->total_bytes);
	sqlite3_bind_int64(st, 8, out->duration_ms);
	sqlite3_bind_int64(st, 9, out->revision);
	e = journal_run(j, st, func, "record complete");
out:
	free(detail);
	return e;
}

enum err
journal_complete_chunk(struct journal *j, const char *owner,
    const char *session_id, const struct journal_chunk *c, int64_t now_ms,
    struct journal_complete_result *out)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL || out == NULL ||
	    !journal_chunk_valid(c))
		return ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_complete_tx(j, owner, session_id, c, now_ms, out);
	e = journal_end(j, e, __func__);
	if (e != ERR_OK)
		memset(out, 0, sizeof(*out));
	return e;
}

enum err
journal_replay_chunk(struct journal *j, const char *owner,
    const char *session_id, const struct journal_chunk *c,
    struct journal_complete_result *out)
{
	struct journal_session s;
	struct journal_row r;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL || out == NULL ||
	    !journal_chunk_valid(c))
		return ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((e = journal_begin(j, 0, __func__)) != ERR_OK)
		return e;
	if ((e = journal_session_read(j, owner, session_id, &s, NULL,
	    __func__)) != ERR_OK)
		goto out;
	if ((e = journal_chunk_read(j, session_id, c->seq, &r, __func__)) !=
	    ERR_OK)
		goto out;
	if (r.found && r.event_id[0] != '\0' && journal_chunk_same(&r, c)) {
		/* What journal_complete_chunk() answers a retry with. */
		out->chunk_count = r.ack_chunk_count;
		out->total_bytes = r.ack_total_bytes;
		out->duration_ms = r.ack_duration_ms;
		out->revision = r.ack_revision;
		journal_copy(out->event_id, sizeof(out->event_id), r.event_id);
		out->replayed = 1;
	}
out:
	e = journal_end(j, e, __func__);
	if (e != ERR_OK)
		memset(out, 0, sizeof(*out));
	return e;
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

	if ((e = journal_session_read(j, owner, session_id, &s, NULL,
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
	e = journal_end(j, e, __func__);
	if (e != ERR_OK)
		memset(out, 0, sizeof(*out));
	return e;
}

static enum err
journal_finalize_tx(struct journal *j, const char *owner,
    const char *session_id, int64_t duration_ms, const char *manifest_key,
    int64_t now_ms, struct journal_finalize_result *out)
{
	static const char *func = "journal_finalize";
	struct journal_session s;
	struct manifest_final_event ev;
	char final_id[JOURNAL_EVENT_ID_BYTES];
	sqlite3_stmt *st;
	char *detail = NULL;
	enum err e;

	if ((e = journal_session_read(j, owner, session_id, &s, final_id,
	    func)) != ERR_OK)
		goto out;
	if (!s.finalized) {
		if ((e = journal_uuid(final_id, sizeof(final_id))) != ERR_OK)
			goto out;
		if ((e = journal_stmt(j, JS_SESSION_FINALIZE, &st,
		    func)) != ERR_OK)
			goto out;
		journal_bind_text(st, 1, session_id);
		sqlite3_bind_int64(st, 2, duration_ms);
		journal_bind_text(st, 3, final_id);
		sqlite3_bind_int64(st, 4, now_ms);
		if ((e = journal_run(j, st, func, "seal session")) != ERR_OK)
			goto out;
		if ((e = journal_changed(j, session_id, now_ms,
		    func)) != ERR_OK)
			goto out;
		if ((e = journal_session_read(j, NULL, session_id, &s, NULL,
		    func)) != ERR_OK)
			goto out;
		memset(&ev, 0, sizeof(ev));
		ev.user_id = s.owner;
		ev.session_id = s.id;
		ev.manifest_key = manifest_key;
		ev.chunk_count = s.chunk_count;
		ev.total_bytes = s.total_bytes;
		ev.duration_ms = s.duration_ms;
		ev.timestamp_ms = now_ms;
		ev.event_id = final_id;
		if ((e = manifest_render_final_event(&ev, &detail,
		    NULL)) != ERR_OK)
			goto out;
		if ((e = journal_enqueue_event(j, session_id,
		    "RecordingFinalized", final_id, detail, now_ms,
		    func)) != ERR_OK)
			goto out;
	} else
		out->replayed = 1;
	/* As the first finalize answered, late chunks or not. */
	out->chunk_count = s.final_chunk_count;
	out->total_bytes = s.final_total_bytes;
	out->duration_ms = s.duration_ms;
	out->revision = s.revision;
	journal_copy(out->event_id, sizeof(out->event_id), final_id);
out:
	free(detail);
	return e;
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
	e = journal_end(j, e, __func__);
	if (e != ERR_OK)
		memset(out, 0, sizeof(*out));
	return e;
}

/* ---------------------------------------------------------------- manifest */

void
journal_snapshot_free(struct journal_snapshot *snap)
{
	size_t i;

	if (snap == NULL)
		return;
	for (i = 0; i < snap->nchunks; i++) {
		free((char *)snap->chunks[i].key);
		free((char *)snap->chunks[i].md5);
		free((char *)snap->chunks[i].sha256);
	}
	free(snap->chunks);
	free(snap);
}

static char *
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

/* Read the snapshot inside the caller's transaction. */
static enum err
journal_snapshot_tx(struct journal *j, const char *owner,
    const char *session_id, struct journal_snapshot **out, const char *func)
{
	struct journal_snapshot *snap = NULL;
	struct manifest_chunk *c, *grown;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	enum err e;
	int rc;

	*out = NULL;
	if ((snap = calloc(1, sizeof(*snap))) == NULL)
		return ERR_NOMEM;
	if ((e = journal_session_row(j, owner, session_id, &snap->session,
	    NULL, func)) != ERR_OK)
		goto out;
	cap = snap->session.chunk_count > 0 ?
	    (size_t)snap->session.chunk_count : 0;
	if (cap > 0 && (snap->chunks = calloc(cap, sizeof(*c))) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	if ((e = journal_stmt(j, JS_CHUNK_LIST, &st, func)) != ERR_OK)
		goto out;
	journal_bind_text(st, 1, session_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (snap->nchunks == cap) {
			/* Cannot happen inside one transaction; be safe. */
			cap = cap * 2 + 16;
			grown = realloc(snap->chunks, cap * sizeof(*c));
			if (grown == NULL) {
				e = ERR_NOMEM;
				goto out;
			}
			snap->chunks = grown;
		}
		c = &snap->chunks[snap->nchunks];
		memset(c, 0, sizeof(*c));
		snap->nchunks++;
		c->seq = sqlite3_column_int64(st, 0);
		c->t_start_ms = sqlite3_column_int64(st, 2);
		c->t_end_ms = sqlite3_column_int64(st, 3);
		c->bytes = sqlite3_column_int64(st, 4);
		c->uploaded_ms = sqlite3_column_int64(st, 5);
		if ((c->key = journal_col_dup(st, 1)) == NULL ||
		    (sqlite3_column_type(st, 6) != SQLITE_NULL &&
		    (c->md5 = journal_col_dup(st, 6)) == NULL) ||
		    (sqlite3_column_type(st, 7) != SQLITE_NULL &&
		    (c->sha256 = journal_col_dup(st, 7)) == NULL)) {
			e = ERR_NOMEM;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		e = journal_sqlerr(j, rc, func, "list chunks");
		goto out;
	}
	snap->m.session_id = snap->session.id;
	snap->m.user_id = snap->session.owner;
	snap->m.codec = snap->session.codec;
	snap->m.sample_rate = snap->session.sample_rate;
	snap->m.final = snap->session.finalized;
	snap->m.created_ms = snap->session.created_ms;
	snap->m.updated_ms = snap->session.updated_ms;
	snap->m.total_bytes = snap->session.total_bytes;
	snap->m.duration_ms = snap->session.duration_ms;
	snap->m.revision = snap->session.revision;
	snap->m.chunks = snap->chunks;
	snap->m.nchunks = snap->nchunks;
out:
	journal_unstmt(st);
	if (e != ERR_OK) {
		journal_snapshot_free(snap);
		return e;
	}
	*out = snap;
	return ERR_OK;
}

enum err
journal_read_snapshot(struct journal *j, const char *owner,
    const char *session_id, struct journal_snapshot **out)
{
	enum err e;

	if (out != NULL)
		*out = NULL;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (session_id == NULL || out == NULL)
		return ERR_INVAL;
	if ((e = journal_begin(j, 0, __func__)) != ERR_OK)
		return e;
	e = journal_snapshot_tx(j, owner, session_id, out, __func__);
	e = journal_end(j, e, __func__);
	if (e != ERR_OK) {
		journal_snapshot_free(*out);
		*out = NULL;
	}
	return e;
}

const struct manifest *
journal_snapshot_manifest(const struct journal_snapshot *snap)
{
	return snap != NULL ? &snap->m : NULL;
}

const struct journal_session *
journal_snapshot_session(const struct journal_snapshot *snap)
{
	return snap != NULL ? &snap->session : NULL;
}

/* ------------------------------------------------------------------ outbox */

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
journal_kind_parse(const unsigned char *s)
{
	if (s != NULL && strcmp((const char *)s, "manifest_write") == 0)
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
	sqlite3_stmt *st = NULL;
	enum err e;

	if ((e = journal_stmt(j, JS_OUTBOX_DELETE, &st, func)) != ERR_OK)
		return e;
	sqlite3_bind_int64(st, 1, id);
	return journal_run(j, st, func, "delete outbox item");
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
	sqlite3_stmt *st;
	enum err e;
	int rc;

	*keep = 0;
	memset(it, 0, sizeof(*it));
	if ((e = journal_stmt(j, JS_OUTBOX_LEASE, &st, func)) != ERR_OK)
		return e;
	sqlite3_bind_int64(st, 1, id);
	journal_bind_text(st, 2, req->lease_owner);
	sqlite3_bind_int64(st, 3, req->now_ms +
	    (int64_t)req->lease_seconds * 1000);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		e = rc == SQLITE_DONE ? ERR_INTERNAL :
		    journal_sqlerr(j, rc, func, "lease outbox item");
		journal_unstmt(st);
		return e;
	}
	it->id = id;
	it->kind = journal_kind_parse(sqlite3_column_text(st, 0));
	journal_col_text(st, 1, it->session_id, sizeof(it->session_id));
	journal_col_text(st, 2, it->detail_type, sizeof(it->detail_type));
	journal_col_text(st, 3, it->event_id, sizeof(it->event_id));
	if (it->kind == JOURNAL_OUTBOX_EVENT &&
	    (it->payload = journal_col_dup(st, 4)) == NULL)
		e = ERR_NOMEM;
	it->payload_len = it->payload != NULL ? strlen(it->payload) : 0;
	it->attempts = sqlite3_column_int(st, 5);
	it->created_ms = sqlite3_column_int64(st, 6);
	it->lease_expires_ms = req->now_ms + (int64_t)req->lease_seconds * 1000;
	journal_copy(it->lease_owner, sizeof(it->lease_owner),
	    req->lease_owner);
	/* Drain the RETURNING statement so the UPDATE completes. */
	while (e == ERR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (e == ERR_OK && rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, func, "lease outbox item");
	journal_unstmt(st);
	if (e != ERR_OK)
		goto out;
	if (it->kind == JOURNAL_OUTBOX_EVENT) {
		if ((e = journal_session_read(j, NULL, it->session_id, &s,
		    NULL, func)) != ERR_OK)
			goto out;
		journal_copy(it->user_id, sizeof(it->user_id), s.owner);
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
	journal_copy(it->user_id, sizeof(it->user_id), snap->session.owner);
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

static enum err
journal_claim_tx(struct journal *j, const struct journal_claim *req,
    struct journal_outbox_item *items, size_t max, size_t *n)
{
	static const char *func = "journal_outbox_claim";
	sqlite3_stmt *st;
	int64_t *ids = NULL;
	size_t nids = 0, i;
	enum err e;
	int rc, keep;

	if ((ids = calloc(max, sizeof(*ids))) == NULL)
		return ERR_NOMEM;
	if ((e = journal_stmt(j, req->session_id != NULL ?
	    JS_OUTBOX_DUE_SESSION : JS_OUTBOX_DUE, &st, func)) != ERR_OK)
		goto out;
	sqlite3_bind_int64(st, 1, req->now_ms);
	if (req->session_id != NULL)
		journal_bind_text(st, 2, req->session_id);
	journal_bind_text(st, 3, journal_kind_name(req->kind));
	sqlite3_bind_int64(st, 4, (int64_t)max);
	while (nids < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ids[nids++] = sqlite3_column_int64(st, 0);
	if (nids < max && rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, func, "select due items");
	journal_unstmt(st);
	if (e != ERR_OK)
		goto out;
	for (i = 0; i < nids; i++) {
		if ((e = journal_claim_one(j, req, ids[i], &items[*n],
		    &keep)) != ERR_OK)
			goto out;
		if (keep)
			(*n)++;
	}
out:
	free(ids);
	return e;
}

enum err
journal_outbox_claim(struct journal *j, const struct journal_claim *req,
    struct journal_outbox_item *items, size_t max, size_t *n)
{
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
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_claim_tx(j, req, items, max, n);
	e = journal_end(j, e, __func__);
	if (e != ERR_OK) {
		journal_outbox_items_free(items, *n);
		*n = 0;
	}
	return e;
}

static enum err
journal_done_tx(struct journal *j, const struct journal_outbox_item *it,
    int64_t now_ms)
{
	static const char *func = "journal_outbox_done";
	struct journal_session s;
	sqlite3_stmt *st;
	enum err e;

	if (it->kind == JOURNAL_OUTBOX_EVENT)
		return journal_outbox_delete(j, it->id, func);
	e = journal_session_read(j, NULL, it->session_id, &s, NULL, func);
	if (e == ERR_NOT_FOUND)
		return journal_outbox_delete(j, it->id, func);
	if (e != ERR_OK)
		return e;
	if ((e = journal_stmt(j, JS_SESSION_SYNC, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, it->session_id);
	sqlite3_bind_int64(st, 2, it->revision);
	if ((e = journal_run(j, st, func, "advance synced revision")) != ERR_OK)
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
	if ((e = journal_stmt(j, JS_OUTBOX_REPEND, &st, func)) != ERR_OK)
		return e;
	sqlite3_bind_int64(st, 1, it->id);
	journal_bind_text(st, 2, it->lease_owner);
	sqlite3_bind_int64(st, 3, now_ms);
	return journal_run(j, st, func, "requeue manifest write");
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

static enum err
journal_release(struct journal *j, enum journal_stmt_id id,
    const struct journal_outbox_item *it, const char *lease_owner,
    int64_t next_attempt_ms, const char *reason, const char *func)
{
	char why[JOURNAL_REASON_BYTES];
	sqlite3_stmt *st;
	enum err e;

	if ((e = journal_check(j, func)) != ERR_OK)
		return e;
	if (it == NULL || it->id <= 0 || lease_owner == NULL)
		return ERR_INVAL;
	journal_copy_cut(why, sizeof(why), reason);
	if ((e = journal_begin(j, 1, func)) != ERR_OK)
		return e;
	if ((e = journal_stmt(j, id, &st, func)) != ERR_OK)
		goto out;
	sqlite3_bind_int64(st, 1, it->id);
	journal_bind_text(st, 2, lease_owner);
	if (id == JS_OUTBOX_FAIL) {
		sqlite3_bind_int64(st, 3, next_attempt_ms);
		journal_bind_text(st, 4, why);
	} else
		journal_bind_text(st, 3, why);
	e = journal_run(j, st, func, "release outbox item");
out:
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
	sqlite3_stmt *st;
	enum err e;

	if (count != NULL)
		*count = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (id < 0)
		return ERR_INVAL;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	if ((e = journal_stmt(j, JS_OUTBOX_REQUEUE, &st, __func__)) != ERR_OK)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	if ((e = journal_run(j, st, __func__, "requeue")) == ERR_OK &&
	    count != NULL)
		*count = sqlite3_changes(j->db);
out:
	return journal_end(j, e, __func__);
}

enum err
journal_outbox_lease_owner(struct journal *j, const char *session_id,
    enum journal_outbox_kind kind, int64_t now_ms, char *owner, size_t cap)
{
	sqlite3_stmt *st;
	enum err e;
	int rc;

	if (owner != NULL && cap > 0)
		owner[0] = '\0';
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || cap == 0 ||
	    !journal_str_ok(session_id, LIMIT_SESSION_ID_BYTES) ||
	    journal_kind_name(kind) == NULL)
		return ERR_INVAL;
	if ((e = journal_stmt(j, JS_OUTBOX_LEASE_OWNER, &st, __func__)) !=
	    ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	journal_bind_text(st, 2, journal_kind_name(kind));
	sqlite3_bind_int64(st, 3, now_ms);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		journal_col_text(st, 0, owner, cap);
	else if (rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, __func__, "read lease owner");
	journal_unstmt(st);
	return e;
}

enum err
journal_release_owner(struct journal *j, const char *owner, int64_t now_ms,
    int64_t *count)
{
	static const enum journal_stmt_id ids[2] = {
		JS_OUTBOX_RELEASE_OWNER, JS_DELETION_RELEASE_OWNER };
	sqlite3_stmt *st;
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
	for (i = 0; i < 2 && e == ERR_OK; i++) {
		if ((e = journal_stmt(j, ids[i], &st, __func__)) != ERR_OK)
			break;
		journal_bind_text(st, 1, owner);
		sqlite3_bind_int64(st, 2, now_ms);
		if ((e = journal_run(j, st, __func__, "release leases")) ==
		    ERR_OK && count != NULL)
			*count += sqlite3_changes(j->db);
	}
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
	sqlite3_stmt *st;
	enum err e;
	int rc;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (out == NULL)
		return ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if ((e = journal_stmt(j, JS_OUTBOX_STATS, &st, __func__)) != ERR_OK)
		return e;
	sqlite3_bind_int64(st, 1, now_ms);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->pending = sqlite3_column_int64(st, 0);
		out->leased = sqlite3_column_int64(st, 1);
		out->dead = sqlite3_column_int64(st, 2);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
		    now_ms > sqlite3_column_int64(st, 3))
			out->oldest_pending_age_ms = now_ms -
			    sqlite3_column_int64(st, 3);
	} else
		e = journal_sqlerr(j, rc, __func__, "outbox stats");
	journal_unstmt(st);
	return e;
}

enum err
journal_outbox_list(struct journal *j, int dead_only,
    struct journal_outbox_row *rows, size_t max, size_t *n)
{
	struct journal_outbox_row *r;
	sqlite3_stmt *st;
	enum err e;
	int rc = SQLITE_DONE;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (n == NULL || (max > 0 && rows == NULL))
		return ERR_INVAL;
	if ((e = journal_stmt(j, JS_OUTBOX_LIST, &st, __func__)) != ERR_OK)
		return e;
	sqlite3_bind_int(st, 1, dead_only ? 1 : 0);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = &rows[(*n)++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		r->kind = journal_kind_parse(sqlite3_column_text(st, 1));
		journal_col_text(st, 2, r->session_id, sizeof(r->session_id));
		journal_col_text(st, 3, r->detail_type, sizeof(r->detail_type));
		journal_col_text(st, 4, r->event_id, sizeof(r->event_id));
		r->attempts = sqlite3_column_int(st, 5);
		r->dead = sqlite3_column_int(st, 6);
		r->created_ms = sqlite3_column_int64(st, 7);
		r->next_attempt_ms = sqlite3_column_int64(st, 8);
		journal_col_text(st, 9, r->reason, sizeof(r->reason));
	}
	if (*n < max && rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, __func__, "list outbox");
	journal_unstmt(st);
	return e;
}

/* -------------------------------------------------------------- recordings */

enum err
journal_get_session_presign(struct journal *j, const char *owner,
    const char *session_id, int64_t seq, struct journal_session *out,
    int64_t *presign_expires_ms)
{
	sqlite3_stmt *st;
	const char *o;
	enum err e;
	int rc;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL || out == NULL ||
	    presign_expires_ms == NULL)
		return ERR_INVAL;
	*presign_expires_ms = -1;
	if ((e = journal_stmt(j, JS_SESSION_GET_SEQ, &st, __func__)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		e = ERR_NOT_FOUND;
	else if (rc != SQLITE_ROW)
		e = journal_sqlerr(j, rc, __func__, "read session");
	else if ((o = (const char *)sqlite3_column_text(st, 1)) == NULL)
		e = ERR_NOMEM;
	else if (strcmp(o, owner) != 0)
		e = ERR_NOT_FOUND;
	else {
		journal_session_cols(st, out);
		if (out->deleting_ms != 0)
			e = ERR_NOT_FOUND;
		else if (sqlite3_column_type(st, JOURNAL_SEQ_COL) !=
		    SQLITE_NULL)
			*presign_expires_ms = sqlite3_column_int64(st,
			    JOURNAL_SEQ_COL);
	}
	journal_unstmt(st);
	return e;
}

enum err
journal_note_presign(struct journal *j, const char *owner,
    const char *session_id, int64_t seq, int64_t expires_ms,
    int64_t slack_ms, int64_t stored_ms, int64_t now_ms)
{
	struct journal_session s;
	sqlite3_stmt *st;
	int64_t stored = stored_ms;
	enum err e;
	int rc;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || session_id == NULL || seq < 1 || slack_ms < 0)
		return ERR_INVAL;
	if (stored >= 0 && expires_ms <= stored + slack_ms)
		return ERR_OK;
	/* The common case, a presign repeated within the slack, is a read. */
	if (stored < 0 &&
	    (e = journal_stmt(j, JS_PRESIGN_GET, &st, __func__)) != ERR_OK)
		return e;
	if (stored < 0) {
		journal_bind_text(st, 1, session_id);
		sqlite3_bind_int64(st, 2, seq);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			stored = sqlite3_column_int64(st, 0);
		else if (rc != SQLITE_DONE)
			e = journal_sqlerr(j, rc, __func__, "read presign");
		journal_unstmt(st);
		if (e != ERR_OK)
			return e;
		if (stored >= 0 && expires_ms <= stored + slack_ms)
			return ERR_OK;
	}
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	if ((e = journal_session_read(j, owner, session_id, &s, NULL,
	    __func__)) != ERR_OK)
		goto out;
	if ((e = journal_stmt(j, JS_PRESIGN_EXTEND, &st, __func__)) != ERR_OK)
		goto out;
	journal_bind_text(st, 1, session_id);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 3, expires_ms);
	if ((e = journal_run(j, st, __func__, "extend presign")) != ERR_OK)
		goto out;
	if (sqlite3_changes(j->db) > 0)
		goto out;
	if ((e = journal_stmt(j, JS_SESSION_PRESIGNED, &st, __func__)) != ERR_OK)
		goto out;
	journal_bind_text(st, 1, session_id);
	sqlite3_bind_int64(st, 2, LIMIT_CHUNKS_PER_SESSION);
	if ((e = journal_run(j, st, __func__, "count presign")) != ERR_OK)
		goto out;
	if (sqlite3_changes(j->db) == 0) {
		e = ERR_TOO_LARGE;
		goto out;
	}
	if ((e = journal_stmt(j, JS_PRESIGN_INSERT, &st, __func__)) != ERR_OK)
		goto out;
	journal_bind_text(st, 1, session_id);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 3, now_ms);
	sqlite3_bind_int64(st, 4, expires_ms);
	e = journal_run(j, st, __func__, "insert presign");
out:
	return journal_end(j, e, __func__);
}

enum err
journal_list_sessions(struct journal *j, const char *owner,
    const struct journal_list_pos *after, struct journal_session *out,
    size_t max, size_t *n)
{
	sqlite3_stmt *st;
	enum err e;
	int rc;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (owner == NULL || out == NULL || n == NULL || max == 0 ||
	    max > INT32_MAX)
		return ERR_INVAL;
	if ((e = journal_stmt(j, after != NULL ? JS_SESSION_LIST_AFTER :
	    JS_SESSION_LIST_FIRST, &st, __func__)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, owner);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	if (after != NULL) {
		sqlite3_bind_int64(st, 3, after->created_ms);
		journal_bind_text(st, 4, after->id);
	}
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		journal_session_cols(st, &out[(*n)++]);
	if (*n < max && rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, __func__, "list sessions");
	journal_unstmt(st);
	if (e != ERR_OK)
		*n = 0;
	return e;
}

static enum err
journal_missing_tx(struct journal *j, const char *session_id,
    int64_t **missing, size_t *nmissing, const char *func)
{
	sqlite3_stmt *st;
	int64_t *v = NULL, *grown;
	size_t cap = 0;
	enum err e;
	int rc;

	if ((e = journal_stmt(j, JS_MISSING, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	sqlite3_bind_int64(st, 2, LIMIT_CHUNKS_PER_SESSION);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*nmissing == cap) {
			cap = cap * 2 + 16;
			if ((grown = realloc(v, cap * sizeof(*v))) == NULL) {
				e = ERR_NOMEM;
				goto out;
			}
			v = grown;
		}
		v[(*nmissing)++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, func, "list missing");
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

/* The deletions row of session_id inside the caller's transaction. */
static enum err
journal_deletion_get(struct journal *j, const char *session_id,
    struct journal_delete_result *out, const char *func)
{
	sqlite3_stmt *st;
	enum err e;
	int rc;

	if ((e = journal_stmt(j, JS_DELETION_GET, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		journal_col_text(st, 0, out->event_id, sizeof(out->event_id));
		out->requested_ms = sqlite3_column_int64(st, 1);
		out->recheck_ms = sqlite3_column_int64(st, 2);
	} else if (rc == SQLITE_DONE)
		e = ERR_NOT_FOUND;
	else
		e = journal_sqlerr(j, rc, func, "read deletion");
	journal_unstmt(st);
	return e;
}

static enum err
journal_delete_tx(struct journal *j, const char *owner,
    const char *session_id, int64_t url_lifetime_ms, int64_t slack_ms,
    int64_t margin_ms, int64_t now_ms, struct journal_delete_result *out)
{
	static const char *func = "journal_delete_session";
	struct journal_session s;
	sqlite3_stmt *st;
	int64_t recheck = now_ms + url_lifetime_ms;
	enum err e;
	int rc;

	if ((e = journal_session_row(j, owner, session_id, &s, NULL,
	    func)) != ERR_OK)
		return e;
	if (s.deleting_ms != 0) {
		out->replayed = 1;
		return journal_deletion_get(j, session_id, out, func);
	}
	if ((e = journal_stmt(j, JS_PRESIGN_MAX, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL &&
	    sqlite3_column_int64(st, 0) + slack_ms > recheck)
		recheck = sqlite3_column_int64(st, 0) + slack_ms;
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, func, "latest presign");
	journal_unstmt(st);
	if (e != ERR_OK)
		return e;
	recheck += margin_ms;
	if ((e = journal_uuid(out->event_id, sizeof(out->event_id))) != ERR_OK)
		return e;
	if ((e = journal_stmt(j, JS_SESSION_DELETING, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	sqlite3_bind_int64(st, 2, now_ms);
	if ((e = journal_run(j, st, func, "mark deleting")) != ERR_OK)
		return e;
	if ((e = journal_stmt(j, JS_OUTBOX_DROP_MANIFEST, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	if ((e = journal_run(j, st, func, "drop manifest write")) != ERR_OK)
		return e;
	if ((e = journal_stmt(j, JS_DELETION_INSERT, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	journal_bind_text(st, 2, s.owner);
	journal_bind_text(st, 3, out->event_id);
	sqlite3_bind_int64(st, 4, now_ms);
	sqlite3_bind_int64(st, 5, recheck);
	if ((e = journal_run(j, st, func, "insert deletion")) != ERR_OK)
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
	e = journal_end(j, e, __func__);
	if (e != ERR_OK)
		memset(out, 0, sizeof(*out));
	return e;
}

static enum journal_deletion_phase
journal_phase_parse(const unsigned char *s)
{
	if (s != NULL && strcmp((const char *)s, "purge") == 0)
		return JOURNAL_DELETION_PURGE;
	if (s != NULL && strcmp((const char *)s, "recheck") == 0)
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

static enum err
journal_deletion_claim_tx(struct journal *j, const char *lease_owner,
    int lease_seconds, int64_t now_ms, struct journal_deletion *out,
    size_t max, size_t *n, const char *func)
{
	char ids[16][LIMIT_SESSION_ID_BYTES + 1];
	struct journal_deletion *d;
	sqlite3_stmt *st;
	size_t nids = 0, i;
	enum err e;
	int rc;

	if (max > 16)
		max = 16;
	if ((e = journal_stmt(j, JS_DELETION_DUE, &st, func)) != ERR_OK)
		return e;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (nids < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		journal_col_text(st, 0, ids[nids++], sizeof(ids[0]));
	if (nids < max && rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, func, "due deletions");
	journal_unstmt(st);
	for (i = 0; e == ERR_OK && i < nids; i++) {
		if ((e = journal_stmt(j, JS_DELETION_LEASE, &st,
		    func)) != ERR_OK)
			break;
		journal_bind_text(st, 1, ids[i]);
		journal_bind_text(st, 2, lease_owner);
		sqlite3_bind_int64(st, 3, now_ms + (int64_t)lease_seconds *
		    1000);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			d = &out[(*n)++];
			memset(d, 0, sizeof(*d));
			journal_copy(d->session_id, sizeof(d->session_id),
			    ids[i]);
			journal_col_text(st, 0, d->owner, sizeof(d->owner));
			journal_col_text(st, 1, d->event_id,
			    sizeof(d->event_id));
			d->phase = journal_phase_parse(
			    sqlite3_column_text(st, 2));
			d->requested_ms = sqlite3_column_int64(st, 3);
			d->recheck_ms = sqlite3_column_int64(st, 4);
			d->objects_deleted = sqlite3_column_int64(st, 5);
			d->attempts = sqlite3_column_int(st, 6);
			d->lease_expires_ms = now_ms +
			    (int64_t)lease_seconds * 1000;
		} else if (rc != SQLITE_DONE)
			e = journal_sqlerr(j, rc, func, "lease deletion");
		journal_unstmt(st);
	}
	return e;
}

enum err
journal_deletion_claim(struct journal *j, const char *lease_owner,
    int lease_seconds, int64_t now_ms, struct journal_deletion *out,
    size_t max, size_t *n)
{
	enum err e;

	if (n != NULL)
		*n = 0;
	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (lease_owner == NULL || lease_owner[0] == '\0' ||
	    strlen(lease_owner) >= JOURNAL_LEASE_OWNER_BYTES ||
	    lease_seconds < 1 || out == NULL || n == NULL || max == 0)
		return ERR_INVAL;
	if ((e = journal_begin(j, 1, __func__)) != ERR_OK)
		return e;
	e = journal_deletion_claim_tx(j, lease_owner, lease_seconds, now_ms,
	    out, max, n, __func__);
	e = journal_end(j, e, __func__);
	if (e != ERR_OK)
		*n = 0;
	return e;
}

/* Move d to phase at due_ms, adding deleted objects to its count. */
static enum err
journal_deletion_phase(struct journal *j, const char *session_id,
    enum journal_deletion_phase phase, int64_t due_ms, int64_t deleted,
    const char *func)
{
	sqlite3_stmt *st;
	enum err e;

	if ((e = journal_stmt(j, JS_DELETION_PHASE, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, session_id);
	journal_bind_text(st, 2, journal_phase_name(phase));
	sqlite3_bind_int64(st, 3, due_ms);
	sqlite3_bind_int64(st, 4, deleted);
	return journal_run(j, st, func, "deletion phase");
}

/* Is d still in phase (another holder may have moved it on)? */
static enum err
journal_deletion_in(struct journal *j, const struct journal_deletion *d,
    enum journal_deletion_phase phase, int *yes, const char *func)
{
	sqlite3_stmt *st;
	enum err e;
	int rc;

	*yes = 0;
	if ((e = journal_stmt(j, JS_DELETION_GET, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, d->session_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*yes = journal_phase_parse(sqlite3_column_text(st, 3)) == phase;
	else if (rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, func, "read deletion");
	journal_unstmt(st);
	return e;
}

static enum err
journal_objects_done_tx(struct journal *j, const struct journal_deletion *d,
    int64_t deleted, int64_t now_ms)
{
	static const char *func = "journal_deletion_objects_done";
	struct manifest_deleted_event ev;
	struct journal_session s;
	char *detail = NULL;
	enum err e;
	int yes;

	if ((e = journal_deletion_in(j, d, JOURNAL_DELETION_OBJECTS, &yes,
	    func)) != ERR_OK || !yes)
		goto out;
	e = journal_session_row(j, NULL, d->session_id, &s, NULL, func);
	if (e == ERR_OK) {
		memset(&ev, 0, sizeof(ev));
		ev.user_id = d->owner;
		ev.session_id = d->session_id;
		ev.chunk_count = s.chunk_count;
		ev.total_bytes = s.total_bytes;
		ev.objects_deleted = d->objects_deleted + deleted;
		ev.requested_ms = d->requested_ms;
		ev.timestamp_ms = now_ms;
		ev.event_id = d->event_id;
		if ((e = manifest_render_deleted_event(&ev, &detail,
		    NULL)) != ERR_OK)
			goto out;
		if ((e = journal_enqueue_event(j, d->session_id,
		    "RecordingDeleted", d->event_id, detail, now_ms,
		    func)) != ERR_OK)
			goto out;
	} else if (e == ERR_NOT_FOUND)
		e = ERR_OK;	/* purged already: nothing to announce */
	else
		goto out;
	e = journal_deletion_phase(j, d->session_id, JOURNAL_DELETION_PURGE,
	    now_ms, deleted, func);
out:
	free(detail);
	return e;
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
	sqlite3_stmt *st;
	size_t i;
	enum err e;
	int rc, yes;

	if ((e = journal_deletion_in(j, d, JOURNAL_DELETION_PURGE, &yes,
	    func)) != ERR_OK || !yes)
		return e;
	if ((e = journal_stmt(j, JS_OUTBOX_ANY_SESSION, &st, func)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, d->session_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*waiting = 1;
	else if (rc != SQLITE_DONE)
		e = journal_sqlerr(j, rc, func, "outbox of session");
	journal_unstmt(st);
	if (e != ERR_OK)
		return e;
	if (*waiting)
		return journal_deletion_phase(j, d->session_id,
		    JOURNAL_DELETION_PURGE, retry_ms, 0, func);
	for (i = 0; i < sizeof(purge) / sizeof(purge[0]); i++) {
		if ((e = journal_stmt(j, purge[i], &st, func)) != ERR_OK)
			return e;
		journal_bind_text(st, 1, d->session_id);
		if ((e = journal_run(j, st, func, journal_sql[purge[i]])) !=
		    ERR_OK)
			return e;
	}
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
	sqlite3_stmt *st;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (d == NULL)
		return ERR_INVAL;
	if (deleted > 0)
		log_info("session %s: the tombstone's recheck deleted %lld "
		    "object(s) a late upload left", d->session_id,
		    (long long)deleted);
	if ((e = journal_stmt(j, JS_DELETION_DELETE, &st, __func__)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, d->session_id);
	return journal_run(j, st, __func__, "delete tombstone");
}

enum err
journal_deletion_fail(struct journal *j, const struct journal_deletion *d,
    const char *lease_owner, int64_t next_attempt_ms, const char *reason)
{
	char why[JOURNAL_REASON_BYTES];
	sqlite3_stmt *st;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (d == NULL || lease_owner == NULL)
		return ERR_INVAL;
	journal_copy_cut(why, sizeof(why), reason);
	if ((e = journal_stmt(j, JS_DELETION_FAIL, &st, __func__)) != ERR_OK)
		return e;
	journal_bind_text(st, 1, d->session_id);
	journal_bind_text(st, 2, lease_owner);
	sqlite3_bind_int64(st, 3, next_attempt_ms);
	journal_bind_text(st, 4, why);
	return journal_run(j, st, __func__, "fail deletion");
}

enum err
journal_deletion_count(struct journal *j, int64_t *pending)
{
	sqlite3_stmt *st;
	enum err e;
	int rc;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (pending == NULL)
		return ERR_INVAL;
	*pending = 0;
	if ((e = journal_stmt(j, JS_DELETION_COUNT, &st, __func__)) != ERR_OK)
		return e;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*pending = sqlite3_column_int64(st, 0);
	else
		e = journal_sqlerr(j, rc, __func__, "count deletions");
	journal_unstmt(st);
	return e;
}

enum err
journal_cursor_key(struct journal *j,
    unsigned char key[JOURNAL_CURSOR_KEY_BYTES])
{
	sqlite3_stmt *st;
	enum err e;
	int rc;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if ((e = journal_stmt(j, JS_CURSOR_KEY, &st, __func__)) != ERR_OK)
		return e;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) ==
	    JOURNAL_CURSOR_KEY_BYTES)
		memcpy(key, sqlite3_column_blob(st, 0),
		    JOURNAL_CURSOR_KEY_BYTES);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		log_error("journal has no cursor key");
		e = ERR_INTERNAL;
	} else
		e = journal_sqlerr(j, rc, __func__, "cursor key");
	journal_unstmt(st);
	return e;
}
