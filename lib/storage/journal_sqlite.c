/*
 * journal_sqlite.c: the journal's SQLite driver, for one host.
 *
 * One connection per process (the API's preforked workers and the delivery
 * loop each open their own after fork) to a file in WAL mode with
 * synchronous=FULL (a 200 means the change is on disk), foreign keys on and
 * a busy handler with short jittered sleeps.  The schema comes from
 * sql/NNN_*.sql (embedded by sql/embed.sh), applied through PRAGMA
 * user_version, each migration in its own transaction.
 *
 * Every write runs in BEGIN IMMEDIATE: the file's one write lock is taken
 * up front and waits on the busy timeout instead of failing half-way with
 * SQLITE_BUSY_SNAPSHOT, so all writers queue there.  Statements are
 * prepared once per connection (SQLITE_PREPARE_PERSISTENT) and cached by
 * id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clock.h"
#include "journal_int.h"
#include "log.h"
#include "pid.h"

#define DB(j)	((sqlite3 *)(j)->db)
#define STMT(st) ((sqlite3_stmt *)(st)->h)

/* Every "cannot write/read right now" condition becomes ERR_UNAVAILABLE,
 * which the API answers with 503. */
static enum err
lite_err(struct journal *j, int rc, const char *func, const char *what)
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
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
		    rc == SQLITE_CONSTRAINT_UNIQUE) {
			e = ERR_CONFLICT;
			break;
		}
		/* FALLTHROUGH */
	default:
		e = ERR_INTERNAL;
		break;
	}
	log_msg(LOGL_ERROR, func, "journal %s: %s (sqlite %d)", what,
	    j != NULL && j->db != NULL ? sqlite3_errmsg(DB(j)) :
	    sqlite3_errstr(rc), rc);
	return e;
}

/*
 * Busy handler: wait for the write lock in short, jittered sleeps (0.25 to
 * 4 ms, growing with the retries) until busy_timeout_ms has passed.
 * SQLite's own handler sleeps up to 100 ms at a time, so under many
 * writers a worker that loses a few rounds waits a second or more while
 * others take the lock again and again; short sleeps keep the slowest
 * commit close to the others.
 */
static int
lite_busy(void *arg, int count)
{
	struct journal *j = arg;
	int64_t now = clock_mono_ms(), waited_ms;
	useconds_t us;

	if (count == 0)
		j->busy_since_ms = now;
	waited_ms = now - j->busy_since_ms;
	if (waited_ms >= j->busy_timeout_ms)
		return 0;
	us = 250u << (count < 4 ? count : 4);
	us = us / 2 + (useconds_t)(rand_r(&j->busy_seed) % (int)us);
	usleep(us);
	return 1;
}

/* Run one statement outside the cache; want: the text its first row's
 * first column must answer, or NULL. */
static enum err
lite_pragma(struct journal *j, const char *sql, const char *want)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	enum err e = ERR_OK;
	int rc;

	rc = sqlite3_prepare_v2(DB(j), sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		e = lite_err(j, rc, "journal_open", sql);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		e = lite_err(j, rc, "journal_open", sql);
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

static int
lite_schema_latest(void)
{
	return journal_sqlite_migration_count;
}

static enum err
lite_schema_version(struct journal *j, int *version)
{
	int64_t v = -1;
	int found;
	enum err e;

	e = journal_int64(j, JS_USER_VERSION, "journal_schema_version",
	    "read user_version", &v, &found, JNOARGS);
	if (e == ERR_OK && !found)
		e = journal_norow("journal_schema_version", "user_version");
	*version = (int)v;
	return e;
}

/* Apply every migration the file lacks, each in its own transaction that
 * re-reads user_version, so workers opening at once migrate exactly once. */
static enum err
lite_migrate(struct journal *j)
{
	char sql[64], *errmsg = NULL;
	enum err e = ERR_OK;
	int v, rc;

	for (;;) {
		if ((e = lite_schema_version(j, &v)) != ERR_OK)
			break;
		if (v > journal_sqlite_migration_count) {
			log_msg(LOGL_ERROR, "journal_open", "journal schema "
			    "version %d is newer than this program's %d", v,
			    journal_sqlite_migration_count);
			e = ERR_CONFIG;
			break;
		}
		if (v == journal_sqlite_migration_count)
			break;
		if (j->flags & JOURNAL_READONLY) {
			log_msg(LOGL_ERROR, "journal_open", "journal schema "
			    "version %d needs migrating to %d; open it "
			    "read-write once", v,
			    journal_sqlite_migration_count);
			e = ERR_UNAVAILABLE;
			break;
		}
		if ((e = journal_begin(j, 1, "journal_open")) != ERR_OK)
			break;
		if ((e = lite_schema_version(j, &v)) == ERR_OK &&
		    v < journal_sqlite_migration_count && v >= 0) {
			rc = sqlite3_exec(DB(j), journal_sqlite_migration_sql[v],
			    NULL, NULL, &errmsg);
			if (rc != SQLITE_OK) {
				log_msg(LOGL_ERROR, "journal_open",
				    "migration %s failed: %s",
				    journal_sqlite_migration_name[v],
				    errmsg != NULL ? errmsg : "?");
				sqlite3_free(errmsg);
				errmsg = NULL;
				e = lite_err(j, rc, "journal_open", "migrate");
			} else {
				snprintf(sql, sizeof(sql),
				    "PRAGMA user_version = %d", v + 1);
				rc = sqlite3_exec(DB(j), sql, NULL, NULL, NULL);
				if (rc != SQLITE_OK)
					e = lite_err(j, rc, "journal_open",
					    sql);
			}
			if (e == ERR_OK)
				log_info("journal migrated to %s",
				    journal_sqlite_migration_name[v]);
		}
		if ((e = journal_end(j, e, "journal_open")) != ERR_OK)
			break;
	}
	return e;
}

static enum err
lite_open(struct journal *j, const char *path)
{
	sqlite3 *db = NULL;
	enum err e;
	int rc, oflags, tries;

	oflags = SQLITE_OPEN_NOMUTEX | ((j->flags & JOURNAL_READONLY) ?
	    SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	rc = sqlite3_open_v2(path, &db, oflags, NULL);
	j->db = db;
	if (rc != SQLITE_OK) {
		log_error("cannot open journal %s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : sqlite3_errstr(rc));
		return rc == SQLITE_NOMEM ? ERR_NOMEM : ERR_UNAVAILABLE;
	}
	sqlite3_extended_result_codes(db, 1);
	j->busy_seed = (unsigned int)getpid() ^ (unsigned int)clock_wall_ms();
	sqlite3_busy_handler(db, lite_busy, j);
	if ((e = lite_pragma(j, "PRAGMA foreign_keys = ON", NULL)) != ERR_OK)
		return e;
	if (!(j->flags & JOURNAL_READONLY)) {
		/* Switching to WAL needs a moment of exclusive access; the
		 * busy handler covers most of it, a few retries the rest. */
		for (tries = 0; tries < 50; tries++) {
			e = lite_pragma(j, "PRAGMA journal_mode = WAL", "wal");
			if (e == ERR_OK)
				break;
			usleep(20000);
		}
		if (e != ERR_OK)
			return e;
		/* A 200 means the chunk is on disk: fsync every commit. */
		if ((e = lite_pragma(j, "PRAGMA synchronous = FULL",
		    NULL)) != ERR_OK)
			return e;
	}
	return lite_migrate(j);
}

static void
lite_close(struct journal *j)
{
	int i;

	for (i = 0; i < JS__MAX; i++) {
		sqlite3_finalize(j->stmt[i].h);
		j->stmt[i].h = NULL;
	}
	for (i = 0; i < 4; i++) {
		sqlite3_finalize(j->txstmt[i]);
		j->txstmt[i] = NULL;
	}
	if (j->db != NULL)
		sqlite3_close(DB(j));
	j->db = NULL;
}

static enum err
lite_limit_size(struct journal *j, int64_t max_bytes)
{
	char sql[80];
	sqlite3_stmt *st = NULL;
	int64_t page = 4096, pages;
	int rc;

	rc = sqlite3_prepare_v2(DB(j), "PRAGMA page_size", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		page = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return lite_err(j, rc, "journal_limit_size", "page_size");
	pages = max_bytes == 0 ? 4294967294LL : max_bytes / page;
	if (pages < 1)
		pages = 1;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
	    (long long)pages);
	return lite_pragma(j, sql, NULL);
}

/* -------------------------------------------------------- statements */

static enum err
lite_prep(struct journal *j, struct journal_stmt *st, const char *sql,
    const struct journal_arg *args, size_t n, const char *func)
{
	sqlite3_stmt *h;
	size_t i;
	int rc;

	st->nrows = sql == NULL ? 0 : 1;	/* NULL text: no statement */
	st->row = 0;
	j->changes = 0;
	if (sql == NULL)
		return ERR_OK;
	if (st->id == JS_RAW && st->h != NULL) {
		sqlite3_finalize(st->h);
		st->h = NULL;
	}
	if (st->h == NULL) {
		rc = sqlite3_prepare_v3(DB(j), sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &h, NULL);
		if (rc != SQLITE_OK)
			return lite_err(j, rc, func, "prepare");
		st->h = h;
	} else {
		sqlite3_reset(STMT(st));
		sqlite3_clear_bindings(STMT(st));
	}
	for (i = 0; i < n; i++) {
		switch (args[i].type) {
		case JARG_TEXT:
			if (args[i].text == NULL)
				sqlite3_bind_null(STMT(st), (int)i + 1);
			else
				sqlite3_bind_text(STMT(st), (int)i + 1,
				    args[i].text, -1, SQLITE_STATIC);
			break;
		case JARG_INT:
			sqlite3_bind_int64(STMT(st), (int)i + 1, args[i].num);
			break;
		case JARG_BLOB:
			sqlite3_bind_blob(STMT(st), (int)i + 1, args[i].text,
			    (int)args[i].num, SQLITE_STATIC);
			break;
		case JARG_SKIP:
			break;
		}
	}
	return ERR_OK;
}

static enum err
lite_next(struct journal_stmt *st, const char *func, const char *what)
{
	struct journal *j = st->j;
	int rc;

	if (st->nrows == 0)
		return ERR_NOT_FOUND;
	rc = sqlite3_step(STMT(st));
	if (rc == SQLITE_ROW)
		return ERR_OK;
	if (rc == SQLITE_DONE) {
		j->changes = sqlite3_changes(DB(j));
		return ERR_NOT_FOUND;
	}
	return lite_err(j, rc, func, what);
}

static void
lite_release(struct journal_stmt *st)
{
	if (st->h != NULL) {
		sqlite3_reset(STMT(st));
		sqlite3_clear_bindings(STMT(st));
	}
}

static int
lite_col_null(struct journal_stmt *st, int i)
{
	return sqlite3_column_type(STMT(st), i) == SQLITE_NULL;
}

static int64_t
lite_col_int64(struct journal_stmt *st, int i)
{
	return sqlite3_column_int64(STMT(st), i);
}

static const char *
lite_col_str(struct journal_stmt *st, int i, size_t *len)
{
	const unsigned char *s = sqlite3_column_text(STMT(st), i);

	if (len != NULL)
		*len = s != NULL ? (size_t)sqlite3_column_bytes(STMT(st), i) :
		    0;
	return (const char *)s;
}

static int
lite_col_blob(struct journal_stmt *st, int i, void *dst, size_t len)
{
	const void *b = sqlite3_column_blob(STMT(st), i);

	if (b == NULL || (size_t)sqlite3_column_bytes(STMT(st), i) != len)
		return -1;
	memcpy(dst, b, len);
	return 0;
}

static int64_t
lite_changes(struct journal *j)
{
	return j->changes;
}

/* Run transaction statement i of txsql[], prepared once. */
static const char *const txsql[4] = {
	"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK" };

static enum err
lite_tx(struct journal *j, int i, const char *func)
{
	sqlite3_stmt *st = j->txstmt[i];
	int rc;

	if (st == NULL) {
		rc = sqlite3_prepare_v3(DB(j), txsql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK)
			return lite_err(j, rc, func, txsql[i]);
		j->txstmt[i] = st;
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return lite_err(j, rc, func, txsql[i]);
	return ERR_OK;
}

static enum err
lite_begin(struct journal *j, int write, const char *func)
{
	return lite_tx(j, write ? 1 : 0, func);
}

static enum err
lite_commit(struct journal *j, const char *func)
{
	return lite_tx(j, 2, func);
}

static void
lite_rollback(struct journal *j, const char *func)
{
	if (!sqlite3_get_autocommit(DB(j)) && lite_tx(j, 3, func) != ERR_OK)
		log_msg(LOGL_ERROR, func, "journal rollback failed");
}

static int64_t
lite_clock_ms(struct journal *j)
{
	(void)j;
	return clock_wall_ms();
}

const struct journal_driver journal_sqlite_driver = {
	.name = "sqlite",
	.sql = journal_sqlite_sql,
	.param_char = '?',
	.open = lite_open,
	.close = lite_close,
	.schema_version = lite_schema_version,
	.schema_latest = lite_schema_latest,
	.limit_size = lite_limit_size,
	.prep = lite_prep,
	.next = lite_next,
	.release = lite_release,
	.col_null = lite_col_null,
	.col_int64 = lite_col_int64,
	.col_str = lite_col_str,
	.col_blob = lite_col_blob,
	.changes = lite_changes,
	.begin = lite_begin,
	.commit = lite_commit,
	.rollback = lite_rollback,
	.clock_ms = lite_clock_ms,
};
