/*
 * journal_pg.c: the journal's PostgreSQL driver, for several hosts sharing
 * one journal.
 *
 * One connection per process, as with SQLite (each preforked worker and
 * each deliverer opens its own after fork).  Everything the logic needs
 * from the engine, and how this driver gets it:
 *  - Transactions: writes run READ COMMITTED; the logic locks the session
 *    row first (JS_SESSION_LOCK, FOR UPDATE), so writers of one session
 *    queue there and writers of different sessions never wait for each
 *    other; due outbox and deletion rows are claimed FOR UPDATE SKIP
 *    LOCKED, so deliverers on any host never take the same row.  Reads
 *    that answer several things run REPEATABLE READ READ ONLY: one state.
 *  - Statements are sent with PQexecParams and no name: the unnamed
 *    statement survives pgbouncer's transaction pooling, named prepared
 *    statements would not.  Parameters are typed (bigint or text) and
 *    everything travels as text.
 *  - Time: leases and expiry compare times the callers take from
 *    journal_clock_ms(), which here is the database's clock
 *    (clock_timestamp()) read at connect and again at every BEGIN, kept as
 *    an offset from this host's monotonic clock: every host compares
 *    against the same clock, and a host's wall clock never matters.
 *  - Migrations (sql/pg/NNN_*.sql) run each in its own transaction under a
 *    transaction-level advisory lock and re-read the version inside it, so
 *    N hosts starting at once migrate once.
 *  - Failures: a lost connection, a server shutting down, a statement
 *    timeout or too many connections is ERR_UNAVAILABLE (the API answers
 *    503); the connection is remade at the next call outside a
 *    transaction, at most once a second, each attempt bounded by the
 *    connect timeout.  A call that finds the connection dead before it
 *    changed anything (its BEGIN, or a lone read) reconnects and retries
 *    once.
 *  - Secrets: the connection string may hold a password (a URI with one,
 *    or password=); it is never logged (libpq's messages do not carry it)
 *    and is wiped when freed.  PGPASSFILE or PGPASSWORD keep it out of the
 *    config altogether.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "clock.h"
#include "hex.h"
#include "journal_int.h"
#include "log.h"

#define CONN(j)	((PGconn *)(j)->db)
#define RES(st)	((PGresult *)(st)->h)

#define PG_BYTEAOID	17
#define PG_INT8OID	20
#define PG_TEXTOID	25
#define PG_MAX_PARAMS	32
/* Any constant both programs agree on: the migrations' advisory lock. */
#define PG_MIGRATE_LOCK	"7405620190001"
#define PG_CLOCK_SQL	"SELECT (extract(epoch FROM clock_timestamp())" \
			" * 1000)::int8"
#define PG_RECONNECT_MS	1000

int
journal_pg_conninfo(const char *target, const char **conninfo)
{
	if (strncmp(target, "postgresql://", 13) == 0 ||
	    strncmp(target, "postgres://", 11) == 0)
		*conninfo = target;
	else if (strncmp(target, "postgresql:", 11) == 0)
		*conninfo = target + 11;
	else
		return -1;
	return 0;
}

/* One line of libpq's message (they end in a newline). */
static void
pg_log(const char *func, const char *what, const char *msg,
    const char *state)
{
	char line[512];
	size_t n;

	snprintf(line, sizeof(line), "%s", msg != NULL && msg[0] != '\0' ?
	    msg : "no message");
	n = strcspn(line, "\n");
	line[n] = '\0';
	log_msg(LOGL_ERROR, func, "journal %s: %s%s%s%s", what, line,
	    state != NULL ? " (sqlstate " : "", state != NULL ? state : "",
	    state != NULL ? ")" : "");
}

/* Map a failed result (res may be NULL) to enum err, log it, and mark the
 * connection broken when it is gone. */
static enum err
pg_err(struct journal *j, PGresult *res, const char *func, const char *what)
{
	const char *state = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	enum err e = ERR_INTERNAL;

	if (PQstatus(CONN(j)) != CONNECTION_OK) {
		j->broken = 1;
		e = ERR_UNAVAILABLE;
	} else if (state == NULL)
		e = ERR_UNAVAILABLE;
	else if (strcmp(state, "23505") == 0)
		e = ERR_CONFLICT;	/* unique_violation */
	else if (strncmp(state, "08", 2) == 0 ||	/* connection */
	    strncmp(state, "53", 2) == 0 ||	/* insufficient resources */
	    strncmp(state, "57", 2) == 0 ||	/* shutdown, timeouts */
	    strncmp(state, "40", 2) == 0 ||	/* serialization, deadlock */
	    strcmp(state, "55P03") == 0 ||	/* lock not available */
	    strcmp(state, "25006") == 0)	/* read-only transaction */
		e = ERR_UNAVAILABLE;
	pg_log(func, what, res != NULL ? PQresultErrorMessage(res) :
	    PQerrorMessage(CONN(j)), state);
	if (strcmp(state != NULL ? state : "", "57P01") == 0 ||
	    strcmp(state != NULL ? state : "", "57P02") == 0)
		j->broken = 1;	/* the server is going away */
	return e;
}

/* Run one simple (unparameterised) command string; PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK.  *out (may be NULL) keeps the last result. */
static enum err
pg_simple(struct journal *j, const char *sql, PGresult **out,
    const char *func, const char *what)
{
	PGresult *res;
	ExecStatusType rs;

	if (out != NULL)
		*out = NULL;
	res = PQexec(CONN(j), sql);
	rs = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
		enum err e = pg_err(j, res, func, what);

		PQclear(res);
		return e;
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return ERR_OK;
}

/* Keep the database clock: res is a one-row result of PG_CLOCK_SQL. */
static void
pg_clock_note(struct journal *j, PGresult *res)
{
	int64_t db;
	char *end;

	if (res == NULL || PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		return;
	errno = 0;
	db = strtoll(PQgetvalue(res, 0, 0), &end, 10);
	if (errno != 0 || *end != '\0')
		return;
	j->clock_offset_ms = db - clock_mono_ms();
	j->clock_known = 1;
}

/* What each new connection is told: a statement may take at most the
 * busy timeout (a writer queued on a session's lock included). */
static enum err
pg_setup(struct journal *j, const char *func)
{
	char sql[160];
	PGresult *res = NULL;
	enum err e;

	snprintf(sql, sizeof(sql), "SET statement_timeout = %d; %s",
	    j->busy_timeout_ms, PG_CLOCK_SQL);
	if ((e = pg_simple(j, sql, &res, func, "set up the connection")) ==
	    ERR_OK)
		pg_clock_note(j, res);
	PQclear(res);
	return e;
}

/* The server's notices (NOTICE, WARNING) go to our log, not stderr. */
static void
pg_notice(void *arg, const char *msg)
{
	(void)arg;
	log_msg(LOGL_DEBUG, "journal", "PostgreSQL: %.*s",
	    (int)strcspn(msg, "\n"), msg);
}

static enum err
pg_connect(struct journal *j, const char *func)
{
	char timeout[16], user_timeout[24];
	const char *keys[12], *vals[12];
	PGconn *conn;
	int i = 0;

	snprintf(timeout, sizeof(timeout), "%d", j->connect_timeout_s);
	/* A server gone without a word (a host down, a partition) must not
	 * hold a worker past its timeouts: TCP keepalives and a send timeout
	 * (libpq ignores both on a unix socket). */
	snprintf(user_timeout, sizeof(user_timeout), "%d",
	    j->busy_timeout_ms + j->connect_timeout_s * 1000);
	/* Defaults the connection string may override, then it, then the
	 * configured connect timeout, which it may not. */
	keys[i] = "application_name", vals[i++] = "audio-api";
	keys[i] = "keepalives", vals[i++] = "1";
	keys[i] = "keepalives_idle", vals[i++] = "5";
	keys[i] = "keepalives_interval", vals[i++] = "2";
	keys[i] = "keepalives_count", vals[i++] = "3";
	keys[i] = "tcp_user_timeout", vals[i++] = user_timeout;
	keys[i] = "dbname", vals[i++] = j->conninfo;
	keys[i] = "connect_timeout", vals[i++] = timeout;
	keys[i] = NULL, vals[i] = NULL;
	if (j->db != NULL)
		PQfinish(CONN(j));
	conn = PQconnectdbParams(keys, vals, 1);
	j->db = conn;
	if (conn == NULL) {
		log_msg(LOGL_ERROR, func, "journal: cannot connect: out of "
		    "memory");
		j->broken = 1;
		return ERR_NOMEM;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		pg_log(func, "connect", PQerrorMessage(conn), NULL);
		j->broken = 1;
		return ERR_UNAVAILABLE;
	}
	PQsetNoticeProcessor(conn, pg_notice, NULL);
	j->broken = 0;
	return pg_setup(j, func);
}

/* Remake a broken connection, at most once per PG_RECONNECT_MS. */
static enum err
pg_ensure(struct journal *j, const char *func)
{
	int64_t now;
	enum err e;

	if (!j->broken && PQstatus(CONN(j)) == CONNECTION_OK)
		return ERR_OK;
	j->broken = 1;
	now = clock_mono_ms();
	if (j->reconnect_ms != 0 && now - j->reconnect_ms < PG_RECONNECT_MS &&
	    now >= j->reconnect_ms) {
		log_msg(LOGL_WARN, func, "journal: PostgreSQL unreachable; "
		    "next reconnect within %d ms", PG_RECONNECT_MS);
		return ERR_UNAVAILABLE;
	}
	j->reconnect_ms = now;
	if ((e = pg_connect(j, func)) == ERR_OK)
		log_info("journal: reconnected to PostgreSQL");
	return e;
}

/* ------------------------------------------------------------ schema */

static int
pg_schema_latest(void)
{
	return journal_pg_migration_count;
}

/* The version in journal_schema, 0 when the table does not exist (two
 * statements: PostgreSQL resolves a table's name before it runs). */
static enum err
pg_version(struct journal *j, int *v, const char *func)
{
	PGresult *res = NULL;
	enum err e;

	*v = -1;
	e = pg_simple(j, "SELECT to_regclass('journal_schema') IS NOT NULL",
	    &res, func, "read schema version");
	if (e == ERR_OK && strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		*v = 0;
		PQclear(res);
		return ERR_OK;
	}
	PQclear(res);
	res = NULL;
	if (e == ERR_OK)
		e = pg_simple(j, "SELECT coalesce(max(version), 0) FROM"
		    " journal_schema", &res, func, "read schema version");
	if (e == ERR_OK)
		*v = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return e;
}

static enum err
pg_schema_version(struct journal *j, int *v)
{
	enum err e;

	if ((e = pg_ensure(j, "journal_schema_version")) != ERR_OK)
		return e;
	return pg_version(j, v, "journal_schema_version");
}

/* Apply the next migration, if one is missing, in one transaction under
 * the migrations' advisory lock.  *done: the schema is current. */
static enum err
pg_migrate_one(struct journal *j, int *done)
{
	static const char *func = "journal_open";
	char sql[160];
	enum err e;
	int v;

	*done = 0;
	if ((e = pg_simple(j, "BEGIN; SELECT pg_advisory_xact_lock("
	    PG_MIGRATE_LOCK "); CREATE TABLE IF NOT EXISTS journal_schema"
	    " (version integer NOT NULL)", NULL, func, "lock for migration")) !=
	    ERR_OK)
		goto out;
	if ((e = pg_version(j, &v, func)) != ERR_OK)
		goto out;
	if (v > journal_pg_migration_count) {
		log_msg(LOGL_ERROR, func, "journal schema version %d is newer "
		    "than this program's %d: upgrade audio-api", v,
		    journal_pg_migration_count);
		e = ERR_CONFIG;
		goto out;
	}
	if (v == journal_pg_migration_count) {
		*done = 1;
		goto out;
	}
	if ((e = pg_simple(j, journal_pg_migration_sql[v], NULL, func,
	    journal_pg_migration_name[v])) != ERR_OK)
		goto out;
	snprintf(sql, sizeof(sql), "DELETE FROM journal_schema;"
	    " INSERT INTO journal_schema (version) VALUES (%d)", v + 1);
	if ((e = pg_simple(j, sql, NULL, func, "record schema version")) !=
	    ERR_OK)
		goto out;
	if ((e = pg_simple(j, "COMMIT", NULL, func, "commit migration")) ==
	    ERR_OK)
		log_info("journal migrated to pg/%s",
		    journal_pg_migration_name[v]);
	return e;
out:
	if (PQtransactionStatus(CONN(j)) != PQTRANS_IDLE)
		(void)pg_simple(j, "ROLLBACK", NULL, func, "rollback");
	return e;
}

static enum err
pg_migrate(struct journal *j)
{
	enum err e;
	int v, done = 0;

	if (j->flags & JOURNAL_READONLY) {
		if ((e = pg_version(j, &v, "journal_open")) != ERR_OK)
			return e;
		if (v > journal_pg_migration_count) {
			log_msg(LOGL_ERROR, "journal_open", "journal schema "
			    "version %d is newer than this program's %d", v,
			    journal_pg_migration_count);
			return ERR_CONFIG;
		}
		if (v < journal_pg_migration_count) {
			log_msg(LOGL_ERROR, "journal_open", "journal schema "
			    "version %d needs migrating to %d; start audio-api"
			    " once", v, journal_pg_migration_count);
			return ERR_UNAVAILABLE;
		}
		return ERR_OK;
	}
	while (!done)
		if ((e = pg_migrate_one(j, &done)) != ERR_OK)
			return e;
	return ERR_OK;
}

static enum err
pg_open(struct journal *j, const char *target)
{
	const char *conninfo;
	char *err = NULL;
	PQconninfoOption *opts;
	enum err e;

	if (journal_pg_conninfo(target, &conninfo) != 0)
		return ERR_INVAL;
	if ((opts = PQconninfoParse(conninfo, &err)) == NULL) {
		log_error("journal: bad PostgreSQL connection string: %.*s",
		    err != NULL ? (int)strcspn(err, "\n") : 13,
		    err != NULL ? err : "out of memory");
		PQfreemem(err);
		return ERR_CONFIG;
	}
	PQconninfoFree(opts);
	if ((j->conninfo = strdup(conninfo)) == NULL)
		return ERR_NOMEM;
	if (j->connect_timeout_s <= 0)
		j->connect_timeout_s = JOURNAL_CONNECT_TIMEOUT_DEFAULT_S;
	if ((e = pg_connect(j, "journal_open")) != ERR_OK)
		return e;
	return pg_migrate(j);
}

static void
pg_close(struct journal *j)
{
	int i;

	for (i = 0; i < JS__MAX; i++) {
		PQclear(j->stmt[i].h);
		j->stmt[i].h = NULL;
	}
	if (j->db != NULL)
		PQfinish(CONN(j));
	j->db = NULL;
	if (j->conninfo != NULL) {
		explicit_bzero(j->conninfo, strlen(j->conninfo));
		free(j->conninfo);
		j->conninfo = NULL;
	}
}

static enum err
pg_limit_size(struct journal *j, int64_t max_bytes)
{
	(void)j;
	(void)max_bytes;
	log_error("journal: a size cap is for SQLite files; PostgreSQL's "
	    "own quotas bound its database");
	return ERR_INVAL;
}

/* -------------------------------------------------------- statements */

static enum err
pg_prep(struct journal *j, struct journal_stmt *st, const char *sql,
    const struct journal_arg *args, size_t n, const char *func)
{
	const char *vals[PG_MAX_PARAMS];
	char nums[PG_MAX_PARAMS][24];
	unsigned int types[PG_MAX_PARAMS];
	int lens[PG_MAX_PARAMS], fmts[PG_MAX_PARAMS];
	PGresult *res;
	ExecStatusType rs;
	enum err e;
	size_t i;
	int tries;

	PQclear(st->h);
	st->h = NULL;
	st->row = -1;
	st->nrows = 0;
	j->changes = 0;
	if (sql == NULL)
		return ERR_OK;
	if (n > PG_MAX_PARAMS) {
		log_msg(LOGL_ERROR, func, "journal: %zu parameters", n);
		return ERR_INTERNAL;
	}
	for (i = 0; i < n; i++) {
		lens[i] = 0;
		fmts[i] = 0;
		switch (args[i].type) {
		case JARG_BLOB:
			vals[i] = args[i].text;
			lens[i] = (int)args[i].num;
			fmts[i] = 1;	/* bytea, sent as its bytes */
			types[i] = PG_BYTEAOID;
			break;
		case JARG_INT:
			snprintf(nums[i], sizeof(nums[i]), "%lld",
			    (long long)args[i].num);
			vals[i] = nums[i];
			types[i] = PG_INT8OID;
			break;
		case JARG_TEXT:
			/* A NULL takes the type of where it goes (a bigint
			 * column, for a copied row). */
			vals[i] = args[i].text;
			types[i] = args[i].text != NULL ? PG_TEXTOID : 0;
			break;
		default:
			vals[i] = NULL;
			types[i] = PG_TEXTOID;
			break;
		}
	}
	/* Outside a transaction nothing was changed yet: a connection
	 * found dead is remade and the statement tried once more. */
	for (tries = 0;; tries++) {
		if (!j->in_tx && (e = pg_ensure(j, func)) != ERR_OK)
			return e;
		res = PQexecParams(CONN(j), sql, (int)n, types, vals, lens,
		    fmts, 0);
		rs = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK)
			break;
		if (!j->in_tx && tries == 0 &&
		    PQstatus(CONN(j)) != CONNECTION_OK) {
			PQclear(res);
			j->broken = 1;
			continue;
		}
		e = pg_err(j, res, func, "statement");
		PQclear(res);
		return e;
	}
	st->h = res;
	st->nrows = rs == PGRES_TUPLES_OK ? PQntuples(res) : 0;
	j->changes = strtoll(PQcmdTuples(res), NULL, 10);
	return ERR_OK;
}

static enum err
pg_next(struct journal_stmt *st, const char *func, const char *what)
{
	(void)func;
	(void)what;
	if (st->row + 1 >= st->nrows)
		return ERR_NOT_FOUND;
	st->row++;
	return ERR_OK;
}

static void
pg_release(struct journal_stmt *st)
{
	PQclear(st->h);
	st->h = NULL;
	st->row = -1;
	st->nrows = 0;
}

static int
pg_col_null(struct journal_stmt *st, int i)
{
	return st->h == NULL || st->row < 0 || i >= PQnfields(RES(st)) ||
	    PQgetisnull(RES(st), st->row, i);
}

static int64_t
pg_col_int64(struct journal_stmt *st, int i)
{
	if (pg_col_null(st, i))
		return 0;
	return strtoll(PQgetvalue(RES(st), st->row, i), NULL, 10);
}

static const char *
pg_col_str(struct journal_stmt *st, int i, size_t *len)
{
	if (pg_col_null(st, i)) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = (size_t)PQgetlength(RES(st), st->row, i);
	return PQgetvalue(RES(st), st->row, i);
}

/* bytea in text form is "\x" and two hex digits a byte. */
static int
pg_col_blob(struct journal_stmt *st, int i, void *dst, size_t len)
{
	unsigned char *out = dst;
	const char *s;
	size_t n, k;
	int hi, lo;

	if ((s = pg_col_str(st, i, &n)) == NULL || n != 2 + 2 * len ||
	    s[0] != '\\' || s[1] != 'x')
		return -1;
	for (k = 0; k < len; k++) {
		hi = hex_digit(s[2 + 2 * k]);
		lo = hex_digit(s[3 + 2 * k]);
		if (hi < 0 || lo < 0)
			return -1;
		out[k] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static int64_t
pg_changes(struct journal *j)
{
	return j->changes;
}

static enum err
pg_begin(struct journal *j, int write, const char *func)
{
	char sql[256];
	PGresult *res = NULL;
	enum err e;
	int tries;

	snprintf(sql, sizeof(sql), "BEGIN ISOLATION LEVEL %s;"
	    " SET LOCAL statement_timeout = %d; %s", write ?
	    "READ COMMITTED" : "REPEATABLE READ READ ONLY",
	    j->busy_timeout_ms, PG_CLOCK_SQL);
	for (tries = 0; tries < 2; tries++) {
		if ((e = pg_ensure(j, func)) != ERR_OK)
			return e;
		res = PQexec(CONN(j), sql);
		if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK) {
			pg_clock_note(j, res);
			PQclear(res);
			return ERR_OK;
		}
		if (PQstatus(CONN(j)) == CONNECTION_OK)
			break;
		PQclear(res);
		res = NULL;
		j->broken = 1;	/* remade and tried once more */
	}
	e = pg_err(j, res, func, "begin");
	PQclear(res);
	if (PQstatus(CONN(j)) == CONNECTION_OK &&
	    PQtransactionStatus(CONN(j)) != PQTRANS_IDLE)
		(void)pg_simple(j, "ROLLBACK", NULL, func, "rollback");
	return e;
}

static enum err
pg_commit(struct journal *j, const char *func)
{
	PGresult *res;
	enum err e = ERR_OK;

	res = PQexec(CONN(j), "COMMIT");
	/* A transaction that failed answers COMMIT with ROLLBACK. */
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK ||
	    strcmp(PQcmdStatus(res), "COMMIT") != 0)
		e = pg_err(j, res, func, "commit");
	PQclear(res);
	return e;
}

static void
pg_rollback(struct journal *j, const char *func)
{
	if (j->broken || PQstatus(CONN(j)) != CONNECTION_OK ||
	    PQtransactionStatus(CONN(j)) == PQTRANS_IDLE)
		return;
	if (pg_simple(j, "ROLLBACK", NULL, func, "rollback") != ERR_OK)
		log_msg(LOGL_ERROR, func, "journal rollback failed");
}

static int64_t
pg_clock_ms(struct journal *j)
{
	if (!j->clock_known)
		return clock_wall_ms();
	return clock_mono_ms() + j->clock_offset_ms;
}

const struct journal_driver journal_pg_driver = {
	.name = "postgresql",
	.sql = journal_pg_sql,
	.param_char = '$',
	.open = pg_open,
	.close = pg_close,
	.schema_version = pg_schema_version,
	.schema_latest = pg_schema_latest,
	.limit_size = pg_limit_size,
	.prep = pg_prep,
	.next = pg_next,
	.release = pg_release,
	.col_null = pg_col_null,
	.col_int64 = pg_col_int64,
	.col_str = pg_col_str,
	.col_blob = pg_col_blob,
	.changes = pg_changes,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.clock_ms = pg_clock_ms,
};
