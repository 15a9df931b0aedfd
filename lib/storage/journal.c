/*
 * journal.c: the journal's connection: which driver, open, close, and the
 * calls that only ask the connection (schema version, ping, size cap).
 *
 * The target names the driver: "postgresql://..." or "postgres://..." (a
 * libpq URI) and "postgresql:" followed by a libpq keyword/value string
 * select PostgreSQL (journal_pg.c), for several hosts sharing one journal;
 * anything else is the path of an SQLite file (journal_sqlite.c), the
 * default for one host.  What a connection then does is in the
 * journal_*.c files by job; journal_int.h lists them.
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

#include <libpq-fe.h>

#include "clock.h"
#include "journal_int.h"
#include "log.h"
#include "pid.h"

int
journal_is_postgresql(const char *target)
{
	const char *conninfo;

	return target != NULL && journal_pg_conninfo(target, &conninfo) == 0;
}

enum err
journal_target_check(const char *target, char *err, size_t errsz)
{
	const char *conninfo;
	char *why = NULL;
	PQconninfoOption *opts, *o;

	if (target == NULL || target[0] == '\0') {
		snprintf(err, errsz, "empty");
		return ERR_CONFIG;
	}
	if (journal_pg_conninfo(target, &conninfo) != 0)
		return ERR_OK;	/* a path: checked by opening it */
	if ((opts = PQconninfoParse(conninfo, &why)) == NULL) {
		/* libpq's message names the fault, not the values. */
		snprintf(err, errsz, "bad PostgreSQL connection string: %.*s",
		    why != NULL ? (int)strcspn(why, "\n") : 13,
		    why != NULL ? why : "out of memory");
		PQfreemem(why);
		return ERR_CONFIG;
	}
	/* libpq checks a port only when it connects; -n should say so now.
	 * A port is digits, or a comma list of them (one per host). */
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "port") == 0 && o->val != NULL &&
		    (o->val[0] == '\0' || strspn(o->val, "0123456789,") !=
		    strlen(o->val))) {
			snprintf(err, errsz, "bad PostgreSQL connection "
			    "string: the port is not a number");
			PQconninfoFree(opts);
			return ERR_CONFIG;
		}
	PQconninfoFree(opts);
	return ERR_OK;
}

int
journal_target_has_password(const char *target)
{
	const char *conninfo;
	PQconninfoOption *opts, *o;
	int has = 0;

	if (target == NULL || journal_pg_conninfo(target, &conninfo) != 0 ||
	    (opts = PQconninfoParse(conninfo, NULL)) == NULL)
		return 0;
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL &&
		    o->val[0] != '\0')
			has = 1;
	PQconninfoFree(opts);
	return has;
}

void
journal_target_describe(const char *target, char *buf, size_t bufsz)
{
	const char *conninfo, *host = NULL, *port = NULL, *db = NULL;
	const char *user = NULL;
	PQconninfoOption *opts, *o;

	if (target == NULL || journal_pg_conninfo(target, &conninfo) != 0) {
		snprintf(buf, bufsz, "%s", target != NULL ? target : "");
		return;
	}
	if ((opts = PQconninfoParse(conninfo, NULL)) == NULL) {
		snprintf(buf, bufsz, "postgresql (malformed)");
		return;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
		else if (strcmp(o->keyword, "user") == 0)
			user = o->val;
	}
	snprintf(buf, bufsz, "postgresql://%s%s%s%s%s/%s", user != NULL ?
	    user : "", user != NULL ? "@" : "", host != NULL ? host : "",
	    port != NULL ? ":" : "", port != NULL ? port : "",
	    db != NULL ? db : "");
	PQconninfoFree(opts);
}

int
journal_schema_latest(void)
{
	return journal_sqlite_driver.schema_latest();
}

enum err
journal_open_with(struct journal **jp, const char *target,
    const struct journal_options *o)
{
	struct journal *j = NULL;
	enum err e;

	if (jp == NULL || target == NULL || target[0] == '\0' || o == NULL)
		return ERR_INVAL;
	*jp = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return ERR_NOMEM;
	j->drv = journal_is_postgresql(target) ? &journal_pg_driver :
	    &journal_sqlite_driver;
	j->pid = pid_self();
	j->flags = o->flags;
	j->busy_timeout_ms = o->busy_timeout_ms > 0 ? o->busy_timeout_ms :
	    JOURNAL_BUSY_TIMEOUT_DEFAULT_MS;
	j->connect_timeout_s = o->connect_timeout_s > 0 ?
	    o->connect_timeout_s : JOURNAL_CONNECT_TIMEOUT_DEFAULT_S;
	if ((e = j->drv->open(j, target)) != ERR_OK) {
		journal_close(j);
		return e;
	}
	*jp = j;
	return ERR_OK;
}

enum err
journal_open(struct journal **jp, const char *target, int busy_timeout_ms,
    unsigned flags)
{
	struct journal_options o = { busy_timeout_ms, 0, flags };

	return journal_open_with(jp, target, &o);
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	/* A child must not touch its parent's connection: closing it would
	 * release POSIX locks the parent still relies on (SQLite) or end
	 * the parent's session (PostgreSQL).  Only free ours. */
	if (j->pid == pid_self())
		j->drv->close(j);
	free(j);
}

const char *
journal_driver_name(struct journal *j)
{
	return j != NULL ? j->drv->name : "none";
}

int
journal_schema_version(struct journal *j)
{
	int v = -1;

	if (journal_check(j, __func__) != ERR_OK ||
	    j->drv->schema_version(j, &v) != ERR_OK)
		return -1;
	return v;
}

int
journal_schema_current(struct journal *j)
{
	return j != NULL ? j->drv->schema_latest() : -1;
}

enum err
journal_limit_size(struct journal *j, int64_t max_bytes)
{
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	if (max_bytes < 0)
		return ERR_INVAL;
	return j->drv->limit_size(j, max_bytes);
}

enum err
journal_ping(struct journal *j)
{
	int v;
	enum err e;

	if ((e = journal_check(j, __func__)) != ERR_OK)
		return e;
	return j->drv->schema_version(j, &v);
}

int64_t
journal_clock_ms(struct journal *j)
{
	/* No connection (yet): the host's clock is all there is. */
	if (j == NULL)
		return clock_wall_ms();
	return j->drv->clock_ms(j);
}
