/*
 * journal.c: the SQLite journal behind the storage path: its connection.
 *
 * One struct journal wraps one sqlite3 connection owned by one process (the
 * API's preforked workers and the delivery loop each open their own after
 * fork).  This file opens it (WAL, synchronous=FULL, foreign keys, a busy
 * handler with short jittered sleeps), brings the schema up to date from
 * sql/NNN_*.sql (embedded at build time by sql/embed.sh, applied through
 * PRAGMA user_version, each migration in its own transaction) and closes
 * it.  What the connection then does is in the journal_*.c files by job;
 * journal_int.h lists them and why each stands alone.
 *
 * Every write runs in BEGIN IMMEDIATE, so the write lock is taken up front
 * and waits on the busy timeout instead of failing half-way with
 * SQLITE_BUSY_SNAPSHOT; every change commits together with the outbox rows
 * for the work it causes.
 *
 * Manifest revisions: each committed change to a session adds one.  The
 * outbox holds at most one manifest_write row per session; a claim renders
 * the session's newest revision, and delivery advances synced_revision,
 * which never goes back, so an older manifest is never sent after a newer
 * one was recorded as written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clock.h"
#include "journal_int.h"
#include "log.h"
#include "pid.h"

int
journal_schema_latest(void)
{
	return journal_migration_count;
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
journal_busy(void *arg, int count)
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

	e = journal_first(j, JS_USER_VERSION, &st, func, "read user_version",
	    JNOARGS);
	if (e == ERR_OK) {
		*version = sqlite3_column_int(st, 0);
		journal_unstmt(st);
	} else if (e == ERR_NOT_FOUND)
		e = journal_sqlerr(j, SQLITE_DONE, func, "read user_version");
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
	j->busy_seed = (unsigned int)getpid() ^ (unsigned int)clock_wall_ms();
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

