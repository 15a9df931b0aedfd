/*
 * jfix.c: the journal test fixture (see jfix.h).  One copy of the set-up
 * both journal suites had written out for themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "jfix.h"
#include "log.h"

static char jfix_dir[256];
static int jfix_seq;

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
	snprintf(buf, bufsz, "%s/j%d.db", jfix_dir, ++jfix_seq);
}

struct journal *
jfix_open(const char *path)
{
	struct journal *j = NULL;

	if (journal_open(&j, path, 5000, 0) != ERR_OK)
		return NULL;
	return j;
}

int64_t
jfix_count(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

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
