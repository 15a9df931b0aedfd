/*
 * jfix.c: the journal test fixture (see jfix.h).  One copy of the set-up
 * both journal suites had written out for themselves.
 *
 * With JFIX_PG set (a libpq keyword/value string for a database the tests
 * may create databases from, e.g. "host=/run/dir dbname=postgres"), each
 * journal is a fresh PostgreSQL database instead of a file, and the
 * independent checks (jfix_count) ask it through libpq.
 * tests/integration/journal-pg.sh runs the suites that way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "jfix.h"
#include "log.h"

static char jfix_dir[256];
static int jfix_seq;
static int jfix_dbs;	/* PostgreSQL databases made: jfix_<pid>_1.. */

const char *
jfix_pg(void)
{
	const char *pg = getenv("JFIX_PG");

	return pg != NULL && pg[0] != '\0' ? pg : NULL;
}

/* Run sql (no answer wanted) on the JFIX_PG admin database. */
static int
jfix_pg_admin(const char *sql)
{
	PGconn *c = PQconnectdb(jfix_pg());
	PGresult *r = NULL;
	int ok = 0;

	if (PQstatus(c) == CONNECTION_OK) {
		r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "jfix: %s: %s", sql,
			    PQerrorMessage(c));
	} else
		fprintf(stderr, "jfix: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

int
jfix_init(const char *name)
{
	const char *base = getenv("TMPDIR");

	snprintf(jfix_dir, sizeof(jfix_dir), "%s/%s.XXXXXX",
	    base != NULL && base[0] != '\0' ? base : "/tmp", name);
	if (mkdtemp(jfix_dir) == NULL) {
		jfix_dir[0] = '\0';
		return -1;
	}
	log_init(name, LOGL_ERROR, 2);
	return 0;
}

int
jfix_clean(void)
{
	char cmd[512];
	int rc;

	log_init("unit", LOGL_INFO, 2);
	for (; jfix_dbs > 0; jfix_dbs--) {
		snprintf(cmd, sizeof(cmd), "DROP DATABASE IF EXISTS "
		    "jfix_%ld_%d WITH (FORCE)", (long)getpid(), jfix_dbs);
		(void)jfix_pg_admin(cmd);
	}
	if (jfix_dir[0] == '\0')
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", jfix_dir);
	rc = system(cmd) == 0 ? 0 : -1;
	jfix_dir[0] = '\0';
	return rc;
}

void
jfix_path(char *buf, size_t bufsz)
{
	char sql[128];

	if (jfix_pg() == NULL) {
		snprintf(buf, bufsz, "%s/j%d.db", jfix_dir, ++jfix_seq);
		return;
	}
	/* A later dbname in a keyword/value string wins over JFIX_PG's. */
	snprintf(buf, bufsz, "postgresql:%s dbname=jfix_%ld_%d", jfix_pg(),
	    (long)getpid(), ++jfix_dbs);
	snprintf(sql, sizeof(sql), "CREATE DATABASE jfix_%ld_%d",
	    (long)getpid(), jfix_dbs);
	if (jfix_pg_admin(sql) != 0)
		buf[0] = '\0';
}

void
jfix_side(char *buf, size_t bufsz, const char *name, int slot)
{
	snprintf(buf, bufsz, "%s/side%d-%d.%s.%d", jfix_dir, jfix_seq,
	    jfix_dbs, name, slot);
}

struct journal *
jfix_open(const char *path)
{
	struct journal *j = NULL;

	if (journal_open(&j, path, 5000, 0) != ERR_OK)
		return NULL;
	return j;
}

/* jfix_count() on a PostgreSQL journal. */
static int64_t
jfix_pg_count(const char *target, const char *sql)
{
	PGconn *c = PQconnectdb(target + strlen("postgresql:"));
	PGresult *r = NULL;
	int64_t v = -1;

	if (PQstatus(c) == CONNECTION_OK) {
		r = PQexec(c, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
		    !PQgetisnull(r, 0, 0))
			v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		else if (PQresultStatus(r) == PGRES_TUPLES_OK)
			v = -1;
		else
			fprintf(stderr, "jfix: %s: %s", sql,
			    PQerrorMessage(c));
	}
	PQclear(r);
	PQfinish(c);
	return v;
}

int
jfix_exec(const char *path, const char *sql)
{
	PGconn *c;
	PGresult *r;
	sqlite3 *db = NULL;
	int ok;

	if (strncmp(path, "postgresql:", 11) != 0) {
		ok = sqlite3_open(path, &db) == SQLITE_OK &&
		    sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
		sqlite3_close(db);
		return ok ? 0 : -1;
	}
	c = PQconnectdb(path + 11);
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

int64_t
jfix_version(const char *path)
{
	return jfix_count(path, strncmp(path, "postgresql:", 11) == 0 ?
	    "SELECT version FROM journal_schema" : "PRAGMA user_version");
}

int64_t
jfix_count(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (strncmp(path, "postgresql:", 11) == 0)
		return jfix_pg_count(path, sql);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

int
jfix_integrity_ok(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int ok = 0;

	/* A file's check; PostgreSQL keeps its own pages consistent. */
	if (strncmp(path, "postgresql:", 11) == 0)
		return 1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "PRAGMA integrity_check",
	    -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") ==
		    0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ok;
}

enum err
jfix_session(struct journal *j, const char *id, const char *owner,
    int64_t created_ms)
{
	struct journal_session_new n = {
		.id = id, .owner = owner, .codec = "webm/opus",
		.sample_rate = 48000, .chunk_seconds = 5,
		.user_agent = "Mozilla/5.0 (test)",
	};

	return journal_create_session(j, &n, created_ms, NULL);
}

struct journal_chunk
jfix_chunk(int64_t seq, char *key, size_t keysz)
{
	struct journal_chunk c;

	snprintf(key, keysz, "audio/user-a/s/chunk-%06lld.webm",
	    (long long)seq);
	memset(&c, 0, sizeof(c));
	c.seq = seq;
	c.key = key;
	c.t_start_ms = (seq - 1) * 5000;
	c.t_end_ms = seq * 5000;
	c.bytes = 1000 + seq;
	return c;
}

enum err
jfix_complete(struct journal *j, const char *sid, int64_t seq, int64_t now,
    struct journal_complete_result *r)
{
	struct journal_complete_result tmp;
	struct journal_chunk c;
	char key[128];

	c = jfix_chunk(seq, key, sizeof(key));
	return journal_complete_chunk(j, OWNER, sid, &c, now,
	    r != NULL ? r : &tmp);
}

struct journal_claim
jfix_claim(const char *owner, int64_t now, enum journal_outbox_kind kind)
{
	struct journal_claim c;

	memset(&c, 0, sizeof(c));
	c.lease_owner = owner;
	c.lease_seconds = 30;
	c.now_ms = now;
	c.kind = kind;
	return c;
}
