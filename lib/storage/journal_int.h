/*
 * journal_int.h: what the journal's files share, and nobody else may see.
 *
 * The journal (journal.h) is one SQLite backend split by job:
 *   journal.c            the connection: open, pragmas, migrations, close
 *   journal_stmt.c       the statement table (every SQL text) and the
 *                        prepare/bind/step/reset and transaction helpers
 *                        the other files use instead of calling sqlite3_*
 *                        for each statement
 *   journal_session.c    session rows: create (with the per-user limits),
 *                        get, the late-chunk rule
 *   journal_chunk.c      the changes to a session: complete, replay,
 *                        manifest upsert, finalize (and what they enqueue)
 *   journal_snapshot.c   a session with its chunks in one read (manifests)
 *   journal_outbox.c     the outbox: claim, done, fail, dead, requeue,
 *                        leases, stats
 *   journal_recording.c  the recordings routes: presign records, the
 *                        session list, one recording, the cursor key
 *   journal_deletion.c   DELETE of a session and its three phases
 * Only journal.c and journal_stmt.c touch the sqlite3 handle; the other
 * files prepare, bind and run statements through the helpers below
 * (journal_exec() for a write, journal_first()/journal_int64() for one
 * row, journal_prep() and a step loop for many) and read the columns of
 * the row they are on with sqlite3_column_*.
 *
 * A second backend (issue 17: libpq) implements journal.h again; what it
 * can take from here is the shape (a statement table by id, helpers that
 * bind a typed argument list, one begin/end pair), not the code.
 */
#ifndef JOURNAL_INT_H
#define JOURNAL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <sqlite3.h>

#include "journal.h"
#include "manifest.h"

/* Generated from sql/ by sql/embed.sh. */
extern const char *const journal_migration_sql[];
extern const char *const journal_migration_name[];
extern const int journal_migration_count;

/* Every statement, by id; its text is journal_sql[id] (journal_stmt.c). */
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

extern const char *const journal_sql[JS__MAX];

struct journal {
	sqlite3		*db;
	pid_t		 pid;		/* the process that opened it */
	unsigned	 flags;
	int		 busy_timeout_ms;
	int64_t		 finalize_grace_ms;	/* late chunks; 0: none */
	int64_t		 busy_since_ms;	/* first retry of this wait (mono) */
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

/* ------------------------------------------------- statements (journal_stmt.c) */

/*
 * A statement's parameters, ?1 on, as a typed list, so a call reads as
 * one line instead of a bind per parameter:
 *	journal_exec(j, JS_PURGE_CHUNKS, func, "purge",
 *	    JARGS(JTEXT(session_id)));
 * JTEXT(NULL) binds NULL; JSKIP leaves a parameter the statement does not
 * use unbound.  Strings are bound SQLITE_STATIC: they must outlive the
 * statement's use (they do: it is reset before the helpers return, or by
 * journal_unstmt()).
 */
struct journal_arg {
	enum { JARG_SKIP, JARG_TEXT, JARG_INT } type;
	const char	*text;
	int64_t		 num;
};
#define JTEXT(s)	((struct journal_arg){ JARG_TEXT, (s), 0 })
#define JINT(v)		((struct journal_arg){ JARG_INT, NULL, (int64_t)(v) })
#define JSKIP		((struct journal_arg){ JARG_SKIP, NULL, 0 })
#define JARGS(...)	((const struct journal_arg[]){ __VA_ARGS__ }), \
	(sizeof((const struct journal_arg[]){ __VA_ARGS__ }) / \
	sizeof(struct journal_arg))
#define JNOARGS		NULL, 0

/* Map an SQLite result code to enum err and log it once, naming func. */
enum err	journal_sqlerr(struct journal *, int rc, const char *func,
		    const char *what);
/* Refuse a NULL journal or one opened by another process (fork). */
enum err	journal_check(struct journal *, const char *func);
/* The cached statement id, reset, with args bound, ready to step. */
enum err	journal_prep(struct journal *, enum journal_stmt_id,
		    sqlite3_stmt **, const char *func,
		    const struct journal_arg *, size_t nargs);
/* Release a statement's read cursor and its borrowed bindings. */
void		journal_unstmt(sqlite3_stmt *);
/* Step st to its end (rows ignored), then release it. */
enum err	journal_run(struct journal *, sqlite3_stmt *, const char *func,
		    const char *what);
/* journal_prep() + journal_run(): one statement whose rows, if any, are
 * not wanted. */
enum err	journal_exec(struct journal *, enum journal_stmt_id,
		    const char *func, const char *what,
		    const struct journal_arg *, size_t nargs);
/*
 * journal_prep() and one step.  ERR_OK: *st is on the first row; read its
 * columns, then journal_unstmt(*st).  ERR_NOT_FOUND: no row (not logged,
 * the statement is released).  Else the error, logged, released.
 */
enum err	journal_first(struct journal *, enum journal_stmt_id,
		    sqlite3_stmt **, const char *func, const char *what,
		    const struct journal_arg *, size_t nargs);
/*
 * journal_first() for a statement answering one integer: *v is column 0
 * of the first row, or left alone when there is no row or it is NULL
 * (*found says which, may be NULL); a missing row is not an error here.
 */
enum err	journal_int64(struct journal *, enum journal_stmt_id,
		    const char *func, const char *what, int64_t *v,
		    int *found, const struct journal_arg *, size_t nargs);
/* Rows changed by the last write of this connection. */
int64_t		journal_changes(struct journal *);
/* BEGIN (write 0) or BEGIN IMMEDIATE (write 1). */
enum err	journal_begin(struct journal *, int write, const char *func);
/* Commit if e is ERR_OK, else roll back; never leaves a transaction open. */
enum err	journal_end(struct journal *, enum err e, const char *func);
/* journal_end(), and on failure zero the caller's answer (size bytes at
 * out), so no half-filled result escapes a rolled-back change. */
enum err	journal_end_clear(struct journal *, enum err e, const char *func,
		    void *out, size_t size);

/* Column i of the current row as text, cut to fit dst ("" for NULL). */
void		journal_col_text(sqlite3_stmt *, int i, char *dst, size_t dstsz);
/* Column i as a malloc'd string; NULL for SQL NULL or out of memory. */
char		*journal_col_dup(sqlite3_stmt *, int i);

/* Copy src (NULL: "") into dst; -1 (dst "") if it does not fit. */
int		journal_copy(char *dst, size_t dstsz, const char *src);
/* Copy, cutting to fit without splitting a UTF-8 sequence. */
void		journal_copy_cut(char *dst, size_t dstsz, const char *src);
/* Non-empty and at most maxlen bytes. */
int		journal_str_ok(const char *s, size_t maxlen);
/* NULL or at most maxlen bytes. */
int		journal_opt_ok(const char *s, size_t maxlen);
/* NULL for an absent optional string (NULL or ""). */
const char	*journal_opt(const char *s);

/* ------------------------------------------------ sessions (journal_session.c) */

/* The column after JS_SESSION_GET's in JS_SESSION_GET_SEQ: keep it the
 * last one when a migration adds a session column. */
#define JOURNAL_SEQ_COL	21

/* Fill *s from a row of JS_SESSION_GET's (and the list's) columns. */
void		journal_session_cols(sqlite3_stmt *, struct journal_session *);
/* Read a session inside the caller's transaction, deleting or not; owner
 * NULL skips the owner check; final_event_id (may be NULL) receives the
 * finalize event's id. */
enum err	journal_session_row(struct journal *, const char *owner,
		    const char *id, struct journal_session *,
		    char *final_event_id, const char *func);
/* The same for a user's change: a session being deleted is not found
 * (owner NULL, the deliverer, still sees it). */
enum err	journal_session_read(struct journal *, const char *owner,
		    const char *id, struct journal_session *,
		    char *final_event_id, const char *func);

/* -------------------------------------------------- changes (journal_chunk.c) */

/* One committed change: revision + 1 and the session's manifest_write. */
enum err	journal_changed(struct journal *, const char *session_id,
		    int64_t now_ms, const char *func);
/* Add an event row (Detail rendered by the caller) to the outbox. */
enum err	journal_enqueue_event(struct journal *, const char *session_id,
		    const char *detail_type, const char *event_id,
		    const char *payload, int64_t now_ms, const char *func);

/* ----------------------------------------------- snapshot (journal_snapshot.c) */

/* Read the snapshot inside the caller's transaction. */
enum err	journal_snapshot_tx(struct journal *, const char *owner,
		    const char *session_id, struct journal_snapshot **,
		    const char *func);

#endif /* JOURNAL_INT_H */
