/*
 * journal_int.h: what the journal's files share, and nobody else may see.
 *
 * The journal (journal.h) is one body of logic over two database drivers:
 *   journal.c            the connection: pick the driver from the target
 *                        (a path: SQLite; postgresql:...: PostgreSQL),
 *                        open, close, schema version, ping
 *   journal_stmt.c       the helpers every logic file runs its statements
 *                        through (exec, first row, one integer, begin/end)
 *                        and the column and string helpers
 *   journal_sqlite.c     the SQLite driver (WAL, busy handler, migrations
 *                        by PRAGMA user_version) and journal_sqlite_sql.c
 *                        its statement table
 *   journal_pg.c         the PostgreSQL driver (libpq, reconnects, the
 *                        database's clock, migrations under an advisory
 *                        lock) and journal_pg_sql.c its statement table
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
 *   journal_fence.c      the manifest's last written ETag (the fence)
 *   journal_mpu.c        multipart uploads of large chunks and their abort
 *   journal_lifecycle.c  what the server does on its own: abandoned
 *                        sessions, retention, the orphan sweep's state
 * Only the drivers touch a database handle.  The logic files name
 * statements by id (each driver has the text in its dialect), bind a typed
 * argument list, and read the row they are on with journal_col_*().
 *
 * What the logic must do so that both drivers give the guarantees of
 * journal.h:
 *  - a write transaction that changes a session reads it first with
 *    journal_session_lock(): SQLite's BEGIN IMMEDIATE already holds the
 *    file's write lock, PostgreSQL takes the session row's lock there
 *    (SELECT ... FOR UPDATE), so writers to one session queue and writers
 *    to others do not;
 *  - locks are taken in one order, session row before outbox rows, so
 *    PostgreSQL never finds a deadlock between two of our transactions;
 *  - what must be read as one state is one statement or one read
 *    transaction (PostgreSQL runs those REPEATABLE READ).
 */
#ifndef JOURNAL_INT_H
#define JOURNAL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "journal.h"
#include "manifest.h"

/* Generated from sql/ by sql/embed.sh: each driver's migrations. */
extern const char *const journal_sqlite_migration_sql[];
extern const char *const journal_sqlite_migration_name[];
extern const int journal_sqlite_migration_count;
extern const char *const journal_pg_migration_sql[];
extern const char *const journal_pg_migration_name[];
extern const int journal_pg_migration_count;

/* Every statement, by id; each driver's table has its text (a NULL text
 * is a statement that dialect does not need: running it does nothing). */
enum journal_stmt_id {
	JS_USER_VERSION,
	JS_SESSION_GET,
	JS_SESSION_LOCK,
	JS_SESSION_INSERT,
	JS_SESSION_ADD_CHUNK,
	JS_SESSION_BUMP,
	JS_SESSION_FINALIZE,
	JS_SESSION_SYNC,
	JS_SNAPSHOT,
	JS_CHUNK_GET,
	JS_CHUNK_INSERT,
	JS_CHUNK_ADOPT,
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
	JS_USER_LOCK,
	JS_USER_COUNTS,
	JS_COPY_FINISH,
	JS_MANIFEST_ETAG_GET,
	JS_MANIFEST_ETAG_SET,
	JS_MPU_GET,
	JS_MPU_INSERT,
	JS_MPU_PART_SHA256,
	JS_MPU_REPLACE,
	JS_MPU_COMPLETED,
	JS_MPU_ABORT_SESSION,
	JS_MPU_DUE,
	JS_MPU_LEASE,
	JS_MPU_RESULT,
	JS_MPU_PURGE,
	JS_MPU_INTENT_ADD,
	JS_MPU_INTENT_DROP,
	JS_MPU_INTENT_DUE,
	JS_MPU_INTENT_LEASE,
	JS_MPU_INTENT_RETRY,
	JS_MPU_KNOWN,
	JS_SESSION_IDLE,
	JS_SESSION_OLD,
	JS_SESSION_FINAL_REASON,
	JS_SWEEP_INIT,
	JS_SWEEP_LEASE,
	JS_SWEEP_SAVE,
	JS_SWEEP_DONE,
	JS_SWEEP_STATS,
	JS_SWEEP_SESSION,
	JS_SWEEP_CLAIM,
	JS_SWEEP_UNCLAIM,
	JS_SWEEP_CLAIMED,
	JS_RAW,		/* a statement built at run time (journal_copy.c) */
	JS__MAX
};

extern const char *const journal_sqlite_sql[JS__MAX];
extern const char *const journal_pg_sql[JS__MAX];

/*
 * A statement being read.  SQLite steps a prepared statement (h is its
 * sqlite3_stmt, cached per connection); PostgreSQL has the whole answer
 * at once (h is its PGresult, row the current row).
 */
struct journal_stmt {
	struct journal		*j;
	enum journal_stmt_id	 id;
	void			*h;
	int			 row;
	int			 nrows;
};

struct journal_arg;

/*
 * A database driver.  Every call logs its own failure once, naming func,
 * and maps the engine's code to enum err: "cannot read or write right now"
 * (busy, disk full, connection lost, statement timeout) is
 * ERR_UNAVAILABLE, a unique key taken is ERR_CONFLICT.
 */
struct journal_driver {
	const char	*name;
	const char *const *sql;
	/* Connect to target (the driver's part of journal_open()), set the
	 * connection up and migrate the schema (not with JOURNAL_READONLY). */
	enum err	(*open)(struct journal *, const char *target);
	void		(*close)(struct journal *);
	enum err	(*schema_version)(struct journal *, int *);
	int		(*schema_latest)(void);
	enum err	(*limit_size)(struct journal *, int64_t max_bytes);
	/* Run (PostgreSQL) or bind (SQLite) sql, statement st->id's text
	 * (JS_RAW's is the caller's, never cached), with args. */
	enum err	(*prep)(struct journal *, struct journal_stmt *,
			    const char *sql, const struct journal_arg *, size_t,
			    const char *);
	/* What precedes parameter n (1..) in this dialect: ?n or $n. */
	char		 param_char;
	/* Move to the next row: ERR_OK on a row, ERR_NOT_FOUND at the end. */
	enum err	(*next)(struct journal_stmt *, const char *func,
			    const char *what);
	void		(*release)(struct journal_stmt *);
	int		(*col_null)(struct journal_stmt *, int);
	int64_t		(*col_int64)(struct journal_stmt *, int);
	/* Text of column i and its length; NULL for SQL NULL. */
	const char	*(*col_str)(struct journal_stmt *, int, size_t *);
	/* Bytes of a blob column into dst (exactly len), -1 otherwise. */
	int		(*col_blob)(struct journal_stmt *, int, void *, size_t);
	int64_t		(*changes)(struct journal *);
	enum err	(*begin)(struct journal *, int write, const char *func);
	enum err	(*commit)(struct journal *, const char *func);
	void		(*rollback)(struct journal *, const char *func);
	/* Epoch milliseconds on the clock leases are compared against. */
	int64_t		(*clock_ms)(struct journal *);
};

/* The libpq connection string of a PostgreSQL target (journal.h), or -1:
 * not one. */
int		journal_pg_conninfo(const char *target, const char **conninfo);

extern const struct journal_driver journal_sqlite_driver;
extern const struct journal_driver journal_pg_driver;

struct journal {
	const struct journal_driver *drv;
	void		*db;		/* sqlite3 * or PGconn * */
	pid_t		 pid;		/* the process that opened it */
	unsigned	 flags;
	int		 busy_timeout_ms;
	int64_t		 finalize_grace_ms;	/* late chunks; 0: none */
	int64_t		 finalize_mpu_abort_ms;	/* after finalize; 0: none */
	int		 in_tx;		/* inside begin ... end */
	int64_t		 changes;	/* rows changed by the last write */
	/* SQLite: the busy handler's state; BEGIN, BEGIN IMMEDIATE, COMMIT
	 * and ROLLBACK prepared once. */
	int64_t		 busy_since_ms;	/* first retry of this wait (mono) */
	unsigned int	 busy_seed;	/* jitter for the busy handler */
	void		*txstmt[4];
	/* PostgreSQL: the connection string (wiped when freed: it may hold
	 * a password), the database clock as an offset from this host's
	 * monotonic clock, and whether the connection must be remade. */
	char		*conninfo;
	int		 connect_timeout_s;
	int64_t		 clock_offset_ms;
	int		 clock_known;
	int		 broken;
	int64_t		 reconnect_ms;	/* last attempt (monotonic) */
	struct journal_stmt stmt[JS__MAX];
};

#define JOURNAL_FINAL_REASON_BYTES	16

struct journal_snapshot {
	struct journal_session	 session;
	char			 final_reason[JOURNAL_FINAL_REASON_BYTES];
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
 * JTEXT(NULL) binds NULL; JSKIP is a parameter the statement does not use
 * (bound NULL).  Strings are borrowed: they must outlive the statement's
 * use (they do: it is released before the helpers return, or by
 * journal_unstmt()).
 */
struct journal_arg {
	enum { JARG_SKIP, JARG_TEXT, JARG_INT, JARG_BLOB } type;
	const char	*text;		/* JARG_BLOB: the bytes */
	int64_t		 num;		/* JARG_BLOB: their length */
};
#define JTEXT(s)	((struct journal_arg){ JARG_TEXT, (s), 0 })
#define JINT(v)		((struct journal_arg){ JARG_INT, NULL, (int64_t)(v) })
#define JSKIP		((struct journal_arg){ JARG_SKIP, NULL, 0 })
#define JBLOB(p, n)	((struct journal_arg){ JARG_BLOB, (const char *)(p), \
			    (int64_t)(n) })
#define JARGS(...)	((const struct journal_arg[]){ __VA_ARGS__ }), \
	(sizeof((const struct journal_arg[]){ __VA_ARGS__ }) / \
	sizeof(struct journal_arg))
#define JNOARGS		NULL, 0

/* A statement that always answers a row (an aggregate) answered none:
 * log it and answer ERR_INTERNAL. */
enum err	journal_norow(const char *func, const char *what);
/* Refuse a NULL journal or one opened by another process (fork). */
enum err	journal_check(struct journal *, const char *func);
/* The cached statement id, reset, with args bound, ready to step. */
enum err	journal_prep(struct journal *, enum journal_stmt_id,
		    struct journal_stmt **, const char *func,
		    const struct journal_arg *, size_t nargs);
/* journal_prep() of a statement built at run time (JS_RAW), written with
 * the driver's parameter style (j->drv->param_char); prepared each time. */
enum err	journal_prep_raw(struct journal *, const char *sql,
		    struct journal_stmt **, const char *func,
		    const struct journal_arg *, size_t nargs);
/* The next row of st: ERR_OK on a row, ERR_NOT_FOUND past the last one
 * (not logged), else the error (logged). */
enum err	journal_next(struct journal_stmt *, const char *func,
		    const char *what);
/* Release a statement's rows and its borrowed bindings. */
void		journal_unstmt(struct journal_stmt *);
/* Step st to its end (rows ignored), then release it. */
enum err	journal_run(struct journal *, struct journal_stmt *, const char *func,
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
		    struct journal_stmt **, const char *func, const char *what,
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
/* Begin a read (write 0: one consistent state) or write transaction. */
enum err	journal_begin(struct journal *, int write, const char *func);
/* Commit if e is ERR_OK, else roll back; never leaves a transaction open. */
enum err	journal_end(struct journal *, enum err e, const char *func);
/* journal_end(), and on failure zero the caller's answer (size bytes at
 * out), so no half-filled result escapes a rolled-back change. */
enum err	journal_end_clear(struct journal *, enum err e, const char *func,
		    void *out, size_t size);

/*
 * The claim of a queue's due rows (deletions, abandoned sessions, outbox
 * items, multipart aborts), one write transaction: the rows of statement
 * id (at most max), each handed to row(st, i, arg) to copy out what it
 * needs; then, the statement released, claim(j, i, *n, &kept, arg) for
 * each in turn, which
 * claims row i into the caller's slot *n and sets kept when it did (0:
 * another holder got there first, or the row went).  *n counts the kept
 * rows.  The first error stops it and rolls everything back: drop(*n,
 * arg) (may be NULL) then releases what the kept slots hold, and *n is 0.
 */
struct journal_due {
	void		 (*row)(struct journal_stmt *, size_t i, void *arg);
	enum err	 (*claim)(struct journal *, size_t i, size_t slot,
			    int *kept, void *arg);
	void		 (*drop)(size_t kept, void *arg);
	void		  *arg;
};
enum err	journal_claim_due(struct journal *, const struct journal_due *,
		    size_t max, size_t *n, const char *func, const char *what,
		    enum journal_stmt_id, const struct journal_arg *,
		    size_t nargs);

/* Columns of the current row: SQL NULL reads as 0, NULL or "". */
int		journal_col_null(struct journal_stmt *, int i);
int64_t		journal_col_int64(struct journal_stmt *, int i);
int		journal_col_int(struct journal_stmt *, int i);
const char	*journal_col_str(struct journal_stmt *, int i);
/* Exactly len bytes of a blob column into dst; -1 if it is not that. */
int		journal_col_blob(struct journal_stmt *, int i, void *dst,
		    size_t len);
/* Column i of the current row as text, cut to fit dst ("" for NULL). */
void		journal_col_text(struct journal_stmt *, int i, char *dst, size_t dstsz);
/* Column i as a malloc'd string; NULL for SQL NULL or out of memory. */
char		*journal_col_dup(struct journal_stmt *, int i);

/* Copy src (NULL: "") into dst; -1 (dst "") if it does not fit. */
int		journal_str_copy(char *dst, size_t dstsz, const char *src);
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
void		journal_session_cols(struct journal_stmt *, struct journal_session *);
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
/* journal_session_row() with statement sid: JS_SESSION_GET, or
 * JS_SESSION_LOCK to take the session's write lock. */
enum err	journal_session_by(struct journal *, enum journal_stmt_id sid,
		    const char *owner, const char *id, struct journal_session *,
		    char *final_event_id, const char *func);
/* journal_session_read() for a write transaction that will change the
 * session: takes the session's write lock (see the head of this file). */
enum err	journal_session_lock(struct journal *, const char *owner,
		    const char *id, struct journal_session *,
		    char *final_event_id, const char *func);

/* -------------------------------------------------- changes (journal_chunk.c) */

/* One committed change: revision + 1 and the session's manifest_write. */
enum err	journal_changed(struct journal *, const char *session_id,
		    int64_t now_ms, const char *func);
/* Seal the open session s (locked by the caller): finalize row with
 * duration_ms and reason (NULL: the client's finalize; "abandoned": the
 * server's), new revision, and the RecordingFinalized event under
 * final_id (manifest_key in it); *s is re-read after. */
enum err	journal_seal(struct journal *, struct journal_session *s,
		    const char *session_id, int64_t duration_ms,
		    const char *manifest_key, int64_t now_ms,
		    const char *final_id, const char *reason,
		    const char *func);
/* Add an event row (Detail rendered by the caller) to the outbox. */
enum err	journal_enqueue_event(struct journal *, const char *session_id,
		    const char *detail_type, const char *event_id,
		    const char *payload, int64_t now_ms, const char *func);

/* --------------------------------------------- sweep (journal_lifecycle.c) */

/* Inside the caller's write transaction, which holds the session's lock:
 * ERR_BUSY when the orphan sweep holds a live claim on (session_id, seq)
 * at now_ms (it may be deleting that seq's object: the chunk must not
 * become known meanwhile), else ERR_OK. */
enum err	journal_sweep_check(struct journal *, const char *session_id,
		    int64_t seq, int64_t now_ms, const char *func);

/* ----------------------------------------------- snapshot (journal_snapshot.c) */

/* Read the snapshot inside the caller's transaction. */
enum err	journal_snapshot_tx(struct journal *, const char *owner,
		    const char *session_id, struct journal_snapshot **,
		    const char *func);

#endif /* JOURNAL_INT_H */
