/*
 * test_journal.c: the SQLite journal on real files in a temp directory.
 *
 * Migrations from an empty file and on re-open, owner isolation, complete
 * idempotency and conflicts, the manifest upsert rules, finalize, the
 * outbox (leases across two connections, backoff, dead/requeue, manifest
 * revisions that never go back), 8 forked processes completing 500 chunks
 * of one session, and read-only / full-disk failures.  Counts are checked
 * with independent SQL on the file, not only through the journal's API.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "clock.h"
#include "journal.h"
#include "log.h"
#include "manifest.h"
#include "jfix.h"
#include "unit.h"

#define MKEY	"audio/user-a/s/manifest.json"

/* The suite's temp directory and log level (jfix.c). */
static int
tj_init(void)
{
	return jfix_init("test_journal");
}

/* ------------------------------------------------------------ migrations */

static void
migrates_empty_file_and_reopens(void)
{
	char path[512];
	struct journal *j;
	struct journal_session s;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT(journal_schema_latest() >= 1);
	CU_ASSERT_EQUAL(journal_schema_version(j), journal_schema_latest());
	CU_ASSERT_EQUAL(journal_ping(j), ERR_OK);
	CU_ASSERT_EQUAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	journal_close(j);
	CU_ASSERT_EQUAL(jfix_count(path, "PRAGMA user_version"),
	    journal_schema_latest());
	/* WAL is persistent in the file. */
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(journal_schema_version(j), journal_schema_latest());
	CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "s", &s), ERR_OK);
	journal_close(j);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM sessions"), 1);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM sqlite_schema "
	    "WHERE name IN ('sessions','chunks','outbox')"), 3);
}

/* The embedded migrations (sql/embed.sh output, in libaudio.a). */
extern const char *const journal_sqlite_migration_sql[];
extern const int journal_sqlite_migration_count;

/* A file left at version 1 by an older program is brought up to date at
 * open, keeping its rows. */
static void
migrates_old_file_forward_keeping_data(void)
{
	char path[512];
	struct journal *j;
	struct journal_session s;
	sqlite3 *db;

	CU_ASSERT_FATAL(journal_sqlite_migration_count >= 2);
	jfix_path(path, sizeof(path));
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, journal_sqlite_migration_sql[0], NULL, NULL,
	    NULL), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, "PRAGMA user_version = 1;"
	    "INSERT INTO sessions (id, owner, codec, sample_rate,"
	    " chunk_seconds, created_ms, updated_ms)"
	    " VALUES ('old', 'user-a', 'webm/opus', 48000, 5, 1, 1)",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM sqlite_schema "
	    "WHERE name = 'outbox_session'"), 0);
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(journal_schema_version(j), journal_schema_latest());
	CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "old", &s), ERR_OK);
	CU_ASSERT_EQUAL(jfix_complete(j, "old", 1, T0, NULL), ERR_OK);
	journal_close(j);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM sqlite_schema "
	    "WHERE name = 'outbox_session'"), 1);
	CU_ASSERT_EQUAL(jfix_count(path, "PRAGMA user_version"),
	    journal_schema_latest());
}

/* Sessions finalized before 004 get their finalize time and totals from
 * the row, so late chunks and finalize retries work for them too. */
static void
migration_004_backfills_finalized_sessions(void)
{
	char path[512];
	struct journal *j;
	struct journal_session s;
	struct journal_finalize_result f;
	sqlite3 *db;

	CU_ASSERT_FATAL(journal_sqlite_migration_count >= 3);
	jfix_path(path, sizeof(path));
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, journal_sqlite_migration_sql[0], NULL, NULL,
	    NULL), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, journal_sqlite_migration_sql[1], NULL, NULL,
	    NULL), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, "PRAGMA user_version = 2;"
	    "INSERT INTO sessions (id, owner, codec, sample_rate,"
	    " chunk_seconds, created_ms, updated_ms, chunk_count,"
	    " total_bytes, finalized, duration_ms, final_event_id, revision)"
	    " VALUES ('done', 'user-a', 'webm/opus', 48000, 5, 1, 1234, 2,"
	    " 300, 1, 9000, '00000000-0000-4000-8000-000000000000', 3),"
	    " ('open', 'user-a', 'webm/opus', 48000, 5, 1, 1, 0, 0, 0,"
	    " NULL, NULL, 0)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "done", &s), ERR_OK);
	CU_ASSERT_EQUAL(s.finalized_ms, 1234);
	CU_ASSERT_EQUAL(s.final_chunk_count, 2);
	CU_ASSERT_EQUAL(s.final_total_bytes, 300);
	CU_ASSERT_EQUAL(journal_finalize(j, OWNER, "done", 9000, MKEY, T0,
	    &f), ERR_OK);
	CU_ASSERT_EQUAL(f.replayed, 1);
	CU_ASSERT_EQUAL(f.chunk_count, 2);
	CU_ASSERT_EQUAL(f.total_bytes, 300);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM sessions WHERE "
	    "id = 'open' AND finalized_ms IS NULL"), 1);
	journal_close(j);
}

static void
newer_schema_is_refused(void)
{
	char path[512];
	struct journal *j = NULL;

	jfix_path(path, sizeof(path));
	/* A journal left by a newer program. */
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	journal_close(j);
	j = NULL;
	CU_ASSERT_EQUAL_FATAL(jfix_exec(path, jfix_pg() != NULL ?
	    "UPDATE journal_schema SET version = 999" :
	    "PRAGMA user_version = 999"), 0);
	CU_ASSERT_EQUAL(jfix_version(path), 999);
	CU_ASSERT_EQUAL(journal_open(&j, path, 100, 0), ERR_CONFIG);
	CU_ASSERT_PTR_NULL(j);
	CU_ASSERT_EQUAL(journal_open(&j, path, 100, JOURNAL_READONLY),
	    ERR_CONFIG);
	CU_ASSERT_EQUAL(journal_open(&j, "", 100, 0), ERR_INVAL);
	CU_ASSERT_EQUAL(journal_open(&j, jfix_pg() != NULL ?
	    "postgresql:host=/nonexistent-dir dbname=x" :
	    "/nonexistent-dir/x/j.db", 100, 0), ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(journal_open(&j, "postgresql:=bad", 100, 0),
	    ERR_CONFIG);
}

/* Many processes opening a new file at once migrate it exactly once. */
static void
concurrent_opens_migrate_once(void)
{
	char path[512];
	pid_t pids[6];
	int i, status, ok = 0;
	struct journal *j;

	jfix_path(path, sizeof(path));
	for (i = 0; i < 6; i++) {
		if ((pids[i] = fork()) == 0) {
			j = NULL;
			_exit(journal_open(&j, path, 10000, 0) == ERR_OK &&
			    journal_schema_version(j) ==
			    journal_schema_current(j) ? 0 : 1);
		}
	}
	for (i = 0; i < 6; i++)
		if (pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	CU_ASSERT_EQUAL(ok, 6);
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(jfix_version(path), journal_schema_current(j));
	journal_close(j);
	CU_ASSERT(jfix_integrity_ok(path));
}

/* -------------------------------------------------------------- sessions */

static void
sessions_are_isolated_by_owner(void)
{
	char path[512], key[128];
	struct journal *j;
	struct journal_session s;
	struct journal_complete_result cr;
	struct journal_finalize_result fr;
	struct journal_upsert_result ur;
	struct journal_snapshot *snap = NULL;
	struct journal_chunk c;
	int64_t seq = 1;
	unsigned char unknown[1];

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL(jfix_session(j, "s", OTHER, T0), ERR_CONFLICT);
	CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "s", &s), ERR_OK);
	CU_ASSERT_STRING_EQUAL(s.id, "s");
	CU_ASSERT_STRING_EQUAL(s.owner, OWNER);
	CU_ASSERT_STRING_EQUAL(s.codec, "webm/opus");
	CU_ASSERT_STRING_EQUAL(s.user_agent, "Mozilla/5.0 (test)");
	CU_ASSERT_EQUAL(s.sample_rate, 48000);
	CU_ASSERT_EQUAL(s.chunk_seconds, 5);
	CU_ASSERT_EQUAL(s.created_ms, T0);
	CU_ASSERT_EQUAL(s.finalized, 0);
	CU_ASSERT_EQUAL(s.revision, 0);
	CU_ASSERT_EQUAL(s.chunk_count, 0);
	/* Another owner's session looks exactly like a missing one. */
	CU_ASSERT_EQUAL(journal_get_session(j, OTHER, "s", &s), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "nope", &s),
	    ERR_NOT_FOUND);
	c = jfix_chunk(1, key, sizeof(key));
	CU_ASSERT_EQUAL(journal_complete_chunk(j, OTHER, "s", &c, T0, &cr),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(journal_upsert_manifest(j, OTHER, "s", &c, 1, T0,
	    &ur), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(journal_unknown_seqs(j, OTHER, "s", &seq, 1, unknown),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(journal_finalize(j, OTHER, "s", 1000, MKEY, T0, &fr),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(journal_read_snapshot(j, OTHER, "s", &snap),
	    ERR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(snap);
	/* None of that changed anything. */
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM chunks"), 0);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox"), 0);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT finalized FROM sessions"), 0);
	journal_close(j);
}

static void
bad_arguments_are_refused(void)
{
	char path[512], key[128], longid[LIMIT_SESSION_ID_BYTES + 2];
	struct journal *j;
	struct journal_complete_result cr;
	struct journal_finalize_result fr;
	struct journal_chunk c;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	CU_ASSERT_EQUAL(jfix_session(j, longid, OWNER, T0), ERR_INVAL);
	CU_ASSERT_EQUAL(jfix_session(j, "", OWNER, T0), ERR_INVAL);
	CU_ASSERT_EQUAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	c = jfix_chunk(1, key, sizeof(key));
	c.seq = 0;
	CU_ASSERT_EQUAL(journal_complete_chunk(j, OWNER, "s", &c, T0, &cr),
	    ERR_INVAL);
	c.seq = 1;
	c.t_end_ms = c.t_start_ms;
	CU_ASSERT_EQUAL(journal_complete_chunk(j, OWNER, "s", &c, T0, &cr),
	    ERR_INVAL);
	c.t_end_ms = 5000;
	c.bytes = 0;
	CU_ASSERT_EQUAL(journal_complete_chunk(j, OWNER, "s", &c, T0, &cr),
	    ERR_INVAL);
	c.bytes = 1;
	c.key = "";
	CU_ASSERT_EQUAL(journal_complete_chunk(j, OWNER, "s", &c, T0, &cr),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(journal_finalize(j, OWNER, "s", 0, MKEY, T0, &fr),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(journal_finalize(j, OWNER, "s", 10, "", T0, &fr),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM chunks"), 0);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT finalized FROM sessions"), 0);
	journal_close(j);
}

/* ---------------------------------------------------------------- chunks */

static void
complete_retry_answers_the_same_and_enqueues_once(void)
{
	char path[512];
	struct journal *j;
	struct journal_complete_result a, b, c2, again;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 1, T0 + 1, &a), ERR_OK);
	CU_ASSERT_EQUAL(a.chunk_count, 1);
	CU_ASSERT_EQUAL(a.total_bytes, 1001);
	CU_ASSERT_EQUAL(a.duration_ms, 5000);
	CU_ASSERT_EQUAL(a.revision, 1);
	CU_ASSERT_EQUAL(a.replayed, 0);
	CU_ASSERT_EQUAL(strlen(a.event_id), 36);
	CU_ASSERT_EQUAL(a.event_id[14], '4');	/* UUID v4 */
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 1, T0 + 2, &b), ERR_OK);
	CU_ASSERT_EQUAL(b.replayed, 1);
	CU_ASSERT_STRING_EQUAL(b.event_id, a.event_id);
	CU_ASSERT_EQUAL(b.chunk_count, a.chunk_count);
	CU_ASSERT_EQUAL(b.total_bytes, a.total_bytes);
	CU_ASSERT_EQUAL(b.duration_ms, a.duration_ms);
	CU_ASSERT_EQUAL(b.revision, a.revision);
	/* A second chunk moves the totals; a retry of the first still
	 * answers what the first complete answered. */
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 2, T0 + 3, &c2), ERR_OK);
	CU_ASSERT_EQUAL(c2.chunk_count, 2);
	CU_ASSERT_EQUAL(c2.total_bytes, 1001 + 1002);
	CU_ASSERT_EQUAL(c2.duration_ms, 10000);
	CU_ASSERT_EQUAL(c2.revision, 2);
	CU_ASSERT(strcmp(c2.event_id, a.event_id) != 0);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 1, T0 + 4, &again), ERR_OK);
	CU_ASSERT_EQUAL(again.replayed, 1);
	CU_ASSERT_STRING_EQUAL(again.event_id, a.event_id);
	CU_ASSERT_EQUAL(again.chunk_count, 1);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'event'"), 2);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'manifest_write'"), 1);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT revision FROM sessions"), 2);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM chunks"), 2);
	journal_close(j);
}

static void
complete_with_different_data_conflicts(void)
{
	char path[512], key[128];
	struct journal *j;
	struct journal_complete_result r;
	struct journal_chunk c;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	c = jfix_chunk(1, key, sizeof(key));
	c.md5 = "00112233445566778899aabbccddeeff";
	CU_ASSERT_EQUAL_FATAL(journal_complete_chunk(j, OWNER, "s", &c, T0,
	    &r), ERR_OK);
	c.key = "audio/user-a/s/chunk-000009.webm";
	CU_ASSERT_EQUAL(journal_complete_chunk(j, OWNER, "s", &c, T0, &r),
	    ERR_CONFLICT);
	c = jfix_chunk(1, key, sizeof(key));
	c.bytes = 999;
	CU_ASSERT_EQUAL(journal_complete_chunk(j, OWNER, "s", &c, T0, &r),
	    ERR_CONFLICT);
	c = jfix_chunk(1, key, sizeof(key));
	c.t_end_ms = 4000;
	CU_ASSERT_EQUAL(journal_complete_chunk(j, OWNER, "s", &c, T0, &r),
	    ERR_CONFLICT);
	c = jfix_chunk(1, key, sizeof(key));
	c.md5 = "ffffffffffffffffffffffffffffffff";
	CU_ASSERT_EQUAL(journal_complete_chunk(j, OWNER, "s", &c, T0, &r),
	    ERR_CONFLICT);
	/* Leaving the hash out is still the same chunk. */
	c.md5 = NULL;
	CU_ASSERT_EQUAL(journal_complete_chunk(j, OWNER, "s", &c, T0, &r),
	    ERR_OK);
	CU_ASSERT_EQUAL(r.replayed, 1);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT revision FROM sessions"), 1);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT bytes FROM chunks"), 1001);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'event'"), 1);
	journal_close(j);
}

/* The read-only retry check answers what complete answered for the same
 * chunk, nothing for a new or different one, and hides other owners'. */
static void
replay_check_answers_retries_only(void)
{
	char path[512], key[128];
	struct journal *j;
	struct journal_complete_result first, r;
	struct journal_chunk c;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	c = jfix_chunk(1, key, sizeof(key));
	CU_ASSERT_EQUAL(journal_replay_chunk(j, OWNER, "s", &c, &r), ERR_OK);
	CU_ASSERT_EQUAL(r.replayed, 0);
	CU_ASSERT_EQUAL_FATAL(journal_complete_chunk(j, OWNER, "s", &c, T0,
	    &first), ERR_OK);
	CU_ASSERT_EQUAL(journal_replay_chunk(j, OWNER, "s", &c, &r), ERR_OK);
	CU_ASSERT_EQUAL(r.replayed, 1);
	CU_ASSERT_STRING_EQUAL(r.event_id, first.event_id);
	CU_ASSERT_EQUAL(r.chunk_count, first.chunk_count);
	CU_ASSERT_EQUAL(r.total_bytes, first.total_bytes);
	CU_ASSERT_EQUAL(r.duration_ms, first.duration_ms);
	CU_ASSERT_EQUAL(r.revision, first.revision);
	/* Different data for the seq is no retry (complete will refuse it). */
	c.bytes = 999;
	CU_ASSERT_EQUAL(journal_replay_chunk(j, OWNER, "s", &c, &r), ERR_OK);
	CU_ASSERT_EQUAL(r.replayed, 0);
	c = jfix_chunk(2, key, sizeof(key));
	CU_ASSERT_EQUAL(journal_replay_chunk(j, OWNER, "s", &c, &r), ERR_OK);
	CU_ASSERT_EQUAL(r.replayed, 0);
	/* Another owner, or no such session: not found. */
	c = jfix_chunk(1, key, sizeof(key));
	CU_ASSERT_EQUAL(journal_replay_chunk(j, "someone-else", "s", &c, &r),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(r.replayed, 0);
	CU_ASSERT_EQUAL(journal_replay_chunk(j, OWNER, "nope", &c, &r),
	    ERR_NOT_FOUND);
	/* Nothing was written. */
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT revision FROM sessions"), 1);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'event'"), 1);
	journal_close(j);
}

static void
manifest_upsert_never_removes_or_shrinks(void)
{
	char path[512], k[5][128];
	struct journal *j;
	struct journal_upsert_result u;
	struct journal_complete_result r;
	struct journal_session s;
	struct journal_chunk list[3];
	int64_t seqs[3] = { 1, 3, 2 };
	unsigned char unknown[3];

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 1, T0, NULL), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 2, T0, NULL), ERR_OK);
	CU_ASSERT_EQUAL(journal_unknown_seqs(j, OWNER, "s", seqs, 3, unknown),
	    ERR_OK);
	CU_ASSERT(unknown[0] == 0 && unknown[1] == 1 && unknown[2] == 0);

	/* Known seq 1 matches, seq 3 is new; seq 2 is left out and stays. */
	list[0] = jfix_chunk(1, k[0], sizeof(k[0]));
	list[1] = jfix_chunk(3, k[1], sizeof(k[1]));
	CU_ASSERT_EQUAL(journal_upsert_manifest(j, OWNER, "s", list, 2,
	    T0 + 10, &u), ERR_OK);
	CU_ASSERT_EQUAL(u.added, 1);
	CU_ASSERT_EQUAL(u.revision, 3);
	CU_ASSERT_EQUAL(u.chunk_count, 3);
	CU_ASSERT_EQUAL(u.total_bytes, 1001 + 1002 + 1003);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM chunks"), 3);
	/* No event for a chunk only a client manifest brought in. */
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'event'"), 2);

	/* Shrinking a verified chunk is refused, and the whole upsert with
	 * it: new seq 4 in the same list is not added. */
	list[0] = jfix_chunk(4, k[2], sizeof(k[2]));
	list[1] = jfix_chunk(2, k[3], sizeof(k[3]));
	list[1].bytes = 10;
	CU_ASSERT_EQUAL(journal_upsert_manifest(j, OWNER, "s", list, 2,
	    T0 + 20, &u), ERR_CONFLICT);
	list[1] = jfix_chunk(2, k[3], sizeof(k[3]));
	list[1].key = "audio/user-a/s/other.webm";
	CU_ASSERT_EQUAL(journal_upsert_manifest(j, OWNER, "s", list, 2,
	    T0 + 20, &u), ERR_CONFLICT);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM chunks"), 3);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT revision FROM sessions"), 3);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT bytes FROM chunks WHERE "
	    "seq = 2"), 1002);

	/* Duplicate seqs in one list are a bad request. */
	list[0] = jfix_chunk(5, k[2], sizeof(k[2]));
	list[1] = jfix_chunk(5, k[3], sizeof(k[3]));
	CU_ASSERT_EQUAL(journal_upsert_manifest(j, OWNER, "s", list, 2,
	    T0 + 20, &u), ERR_INVAL);

	/* A list that adds nothing changes nothing. */
	list[0] = jfix_chunk(2, k[2], sizeof(k[2]));
	CU_ASSERT_EQUAL(journal_upsert_manifest(j, OWNER, "s", list, 1,
	    T0 + 30, &u), ERR_OK);
	CU_ASSERT_EQUAL(u.added, 0);
	CU_ASSERT_EQUAL(u.revision, 3);
	CU_ASSERT_EQUAL(journal_upsert_manifest(j, OWNER, "s", NULL, 0,
	    T0 + 30, &u), ERR_OK);
	CU_ASSERT_EQUAL(u.chunk_count, 3);

	/* The complete for a chunk the manifest brought in still emits its
	 * event once, then answers the same. */
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 3, T0 + 40, &r), ERR_OK);
	CU_ASSERT_EQUAL(r.replayed, 0);
	CU_ASSERT_EQUAL(r.chunk_count, 3);
	CU_ASSERT_EQUAL(r.revision, 4);
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 3, T0 + 41, &r), ERR_OK);
	CU_ASSERT_EQUAL(r.replayed, 1);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'event'"), 3);
	CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "s", &s), ERR_OK);
	CU_ASSERT_EQUAL(s.chunk_count, 3);
	CU_ASSERT_EQUAL(s.duration_ms, 15000);
	journal_close(j);
}

/* -------------------------------------------------------------- finalize */

/* complete records the ETag its HEAD saw; a retry naming another ETag is
 * still a retry (the ETag is S3's, not the chunk's identity), a manifest
 * upsert's chunk has none until complete adopts it, and the snapshot (so
 * the manifest) carries it. */
static void
chunk_etag_is_kept_and_reaches_the_snapshot(void)
{
	char path[512], key1[128], key2[128];
	struct journal *j;
	struct journal_complete_result r;
	struct journal_upsert_result u;
	struct journal_snapshot *snap = NULL;
	const struct manifest *m;
	struct journal_chunk c1, c2;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	c1 = jfix_chunk(1, key1, sizeof(key1));
	c1.etag = "\"0123456789abcdef0123456789abcdef\"";
	CU_ASSERT_EQUAL_FATAL(journal_complete_chunk(j, OWNER, "s", &c1, T0,
	    &r), ERR_OK);
	c1.etag = "\"ffffffffffffffffffffffffffffffff\"";
	CU_ASSERT_EQUAL_FATAL(journal_complete_chunk(j, OWNER, "s", &c1,
	    T0 + 1, &r), ERR_OK);
	CU_ASSERT_EQUAL(r.replayed, 1);
	c2 = jfix_chunk(2, key2, sizeof(key2));
	memset(&u, 0, sizeof(u));
	CU_ASSERT_EQUAL_FATAL(journal_upsert_manifest(j, OWNER, "s", &c2, 1,
	    T0 + 2, &u), ERR_OK);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM chunks WHERE "
	    "etag IS NULL"), 1);
	c2.etag = "\"fedcba9876543210fedcba9876543210\"";
	CU_ASSERT_EQUAL_FATAL(journal_complete_chunk(j, OWNER, "s", &c2,
	    T0 + 3, &r), ERR_OK);
	CU_ASSERT_EQUAL(journal_read_snapshot(j, OWNER, "s", &snap), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(snap);
	m = journal_snapshot_manifest(snap);
	CU_ASSERT_EQUAL_FATAL(m->nchunks, 2);
	CU_ASSERT_STRING_EQUAL(m->chunks[0].etag,
	    "\"0123456789abcdef0123456789abcdef\"");
	CU_ASSERT_STRING_EQUAL(m->chunks[1].etag,
	    "\"fedcba9876543210fedcba9876543210\"");
	journal_snapshot_free(snap);
	journal_close(j);
}

static void
finalize_twice_answers_the_same(void)
{
	char path[512];
	struct journal *j;
	struct journal_finalize_result a, b;
	struct journal_session s;
	struct journal_snapshot *snap = NULL;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 1, T0, NULL), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 2, T0, NULL), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_finalize(j, OWNER, "s", 9876, MKEY,
	    T0 + 100, &a), ERR_OK);
	CU_ASSERT_EQUAL(a.replayed, 0);
	CU_ASSERT_EQUAL(a.chunk_count, 2);
	CU_ASSERT_EQUAL(a.total_bytes, 2003);
	CU_ASSERT_EQUAL(a.duration_ms, 9876);
	CU_ASSERT_EQUAL(a.revision, 3);
	CU_ASSERT_EQUAL(strlen(a.event_id), 36);
	CU_ASSERT_EQUAL_FATAL(journal_finalize(j, OWNER, "s", 5,
	    MKEY, T0 + 200, &b), ERR_OK);
	CU_ASSERT_EQUAL(b.replayed, 1);
	CU_ASSERT_STRING_EQUAL(b.event_id, a.event_id);
	CU_ASSERT_EQUAL(b.chunk_count, a.chunk_count);
	CU_ASSERT_EQUAL(b.total_bytes, a.total_bytes);
	CU_ASSERT_EQUAL(b.duration_ms, a.duration_ms);
	CU_ASSERT_EQUAL(b.revision, a.revision);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "detail_type = 'RecordingFinalized'"), 1);
	CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "s", &s), ERR_OK);
	CU_ASSERT_EQUAL(s.finalized, 1);
	CU_ASSERT_EQUAL(s.duration_ms, 9876);
	CU_ASSERT_EQUAL(journal_read_snapshot(j, OWNER, "s", &snap), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(snap);
	CU_ASSERT_EQUAL(journal_snapshot_manifest(snap)->final, 1);
	CU_ASSERT_EQUAL(journal_snapshot_manifest(snap)->revision, 3);
	CU_ASSERT_EQUAL(journal_snapshot_manifest(snap)->duration_ms, 9876);
	journal_snapshot_free(snap);
	journal_close(j);
}

static void
sealed_session_refuses_changes(void)
{
	char path[512], k[2][128];
	struct journal *j;
	struct journal_finalize_result f;
	struct journal_complete_result r;
	struct journal_upsert_result u;
	struct journal_chunk list[1];

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 1, T0, NULL), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_finalize(j, OWNER, "s", 5000, MKEY, T0,
	    &f), ERR_OK);
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 2, T0, &r), ERR_CONFLICT);
	list[0] = jfix_chunk(2, k[0], sizeof(k[0]));
	CU_ASSERT_EQUAL(journal_upsert_manifest(j, OWNER, "s", list, 1, T0,
	    &u), ERR_CONFLICT);
	/* Replays of what is already there stay harmless. */
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 1, T0, &r), ERR_OK);
	CU_ASSERT_EQUAL(r.replayed, 1);
	list[0] = jfix_chunk(1, k[1], sizeof(k[1]));
	CU_ASSERT_EQUAL(journal_upsert_manifest(j, OWNER, "s", list, 1, T0,
	    &u), ERR_OK);
	CU_ASSERT_EQUAL(u.added, 0);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM chunks"), 1);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT revision FROM sessions"), 2);
	journal_close(j);
}

/*
 * The last chunk may arrive after finalize: inside the declared duration
 * and the grace it joins the final manifest (new revision, still final)
 * with its event; retries of it and of finalize answer as before.
 */
static void
late_chunk_joins_the_final_manifest(void)
{
	char path[512];
	struct journal *j;
	struct journal_finalize_result f, f2;
	struct journal_complete_result late, again;
	struct journal_session s;
	struct journal_snapshot *snap = NULL;
	const struct manifest *m;
	const int64_t grace = 300000;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	journal_set_finalize_grace(j, grace);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 1, T0, NULL), ERR_OK);
	/* Declares 8 s: chunk 2 (5-10 s) starts inside it. */
	CU_ASSERT_EQUAL_FATAL(journal_finalize(j, OWNER, "s", 8000, MKEY,
	    T0 + 100, &f), ERR_OK);
	CU_ASSERT_EQUAL(f.revision, 2);
	CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "s", &s), ERR_OK);
	CU_ASSERT_EQUAL(s.finalized_ms, T0 + 100);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'manifest_write'"), 1);
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 2, T0 + 100 + grace, &late),
	    ERR_OK);
	CU_ASSERT_EQUAL(late.replayed, 0);
	CU_ASSERT_EQUAL(late.chunk_count, 2);
	CU_ASSERT_EQUAL(late.total_bytes, 2003);
	CU_ASSERT_EQUAL(late.duration_ms, 8000);
	CU_ASSERT_EQUAL(late.revision, 3);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "detail_type = 'AudioChunkUploaded'"), 2);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'manifest_write'"), 1);
	CU_ASSERT_EQUAL(journal_read_snapshot(j, OWNER, "s", &snap), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(snap);
	m = journal_snapshot_manifest(snap);
	CU_ASSERT_EQUAL(m->final, 1);
	CU_ASSERT_EQUAL(m->revision, 3);
	CU_ASSERT_EQUAL(m->nchunks, 2);
	CU_ASSERT_EQUAL(m->duration_ms, 8000);
	journal_snapshot_free(snap);

	/* Retried after the grace: the same answer, nothing new. */
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 2, T0 + 3600000, &again), ERR_OK);
	CU_ASSERT_EQUAL(again.replayed, 1);
	CU_ASSERT_STRING_EQUAL(again.event_id, late.event_id);
	CU_ASSERT_EQUAL(again.chunk_count, late.chunk_count);
	CU_ASSERT_EQUAL(again.revision, late.revision);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "detail_type = 'AudioChunkUploaded'"), 2);
	/* finalize again: what it answered first, and the newest revision
	 * to wait for in S3. */
	CU_ASSERT_EQUAL(journal_finalize(j, OWNER, "s", 8000, MKEY,
	    T0 + 3600000, &f2), ERR_OK);
	CU_ASSERT_EQUAL(f2.replayed, 1);
	CU_ASSERT_STRING_EQUAL(f2.event_id, f.event_id);
	CU_ASSERT_EQUAL(f2.chunk_count, f.chunk_count);
	CU_ASSERT_EQUAL(f2.total_bytes, f.total_bytes);
	CU_ASSERT_EQUAL(f2.revision, 3);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "detail_type = 'RecordingFinalized'"), 1);
	journal_close(j);
}

static void
late_chunk_rule_refuses_outside_and_after_grace(void)
{
	char path[512];
	struct journal *j;
	struct journal_finalize_result f;
	struct journal_complete_result r;
	struct journal_session s;
	const int64_t grace = 300000;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	journal_set_finalize_grace(j, grace);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 1, T0, NULL), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_finalize(j, OWNER, "s", 5000, MKEY, T0,
	    &f), ERR_OK);
	/* Chunk 2 starts at 5000, not inside a 5000 ms recording. */
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 2, T0 + 1, &r), ERR_CONFLICT);
	CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "s", &s), ERR_OK);
	CU_ASSERT_EQUAL(journal_late_rule(&s, 5000, grace, T0 + 1),
	    JOURNAL_LATE_OUTSIDE);
	CU_ASSERT_EQUAL(journal_late_rule(&s, 4999, grace, T0 + grace),
	    JOURNAL_LATE_OK);
	CU_ASSERT_EQUAL(journal_late_rule(&s, 4999, grace, T0 + grace + 1),
	    JOURNAL_LATE_EXPIRED);
	CU_ASSERT_EQUAL(journal_late_rule(&s, 0, 0, T0),
	    JOURNAL_LATE_EXPIRED);
	s.finalized_ms = 0;
	CU_ASSERT_EQUAL(journal_late_rule(&s, 0, grace, T0),
	    JOURNAL_LATE_EXPIRED);
	s.finalized = 0;
	CU_ASSERT_EQUAL(journal_late_rule(&s, 99999, 0, T0), JOURNAL_LATE_OK);

	/* Inside the duration, but after the grace or with none. */
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "t", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "t", 1, T0, NULL), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_finalize(j, OWNER, "t", 20000, MKEY, T0,
	    &f), ERR_OK);
	CU_ASSERT_EQUAL(jfix_complete(j, "t", 2, T0 + grace + 1, &r),
	    ERR_CONFLICT);
	journal_set_finalize_grace(j, 0);
	CU_ASSERT_EQUAL(jfix_complete(j, "t", 2, T0 + 1, &r), ERR_CONFLICT);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM chunks"), 2);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "detail_type = 'AudioChunkUploaded'"), 2);
	journal_close(j);
}

static void
empty_session_can_be_finalized(void)
{
	char path[512];
	struct journal *j;
	struct journal_finalize_result f;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_finalize(j, OWNER, "s", 1, MKEY, T0, &f),
	    ERR_OK);
	CU_ASSERT_EQUAL(f.chunk_count, 0);
	CU_ASSERT_EQUAL(f.total_bytes, 0);
	CU_ASSERT_EQUAL(f.revision, 1);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox"), 2);
	journal_close(j);
}

/* ---------------------------------------------------------------- outbox */

static void
outbox_lease_is_exclusive_across_connections(void)
{
	char path[512];
	struct journal *a, *b;
	struct journal_outbox_item ia[8], ib[8];
	struct journal_claim ca = jfix_claim("host:1", T0, JOURNAL_OUTBOX_ANY);
	struct journal_claim cb = jfix_claim("host:2", T0, JOURNAL_OUTBOX_ANY);
	struct journal_outbox_stats st;
	size_t na = 0, nb = 0;

	jfix_path(path, sizeof(path));
	a = jfix_open(path);
	b = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL_FATAL(jfix_session(a, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(a, "s", 1, T0, NULL), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(b, "s", 2, T0, NULL), ERR_OK);
	CU_ASSERT_EQUAL(journal_outbox_claim(a, &ca, ia, 8, &na), ERR_OK);
	CU_ASSERT_EQUAL(na, 3);	/* two events, one collapsed manifest */
	CU_ASSERT_EQUAL(journal_outbox_claim(b, &cb, ib, 8, &nb), ERR_OK);
	CU_ASSERT_EQUAL(nb, 0);
	CU_ASSERT_EQUAL(journal_outbox_stats(b, T0, &st), ERR_OK);
	CU_ASSERT_EQUAL(st.pending, 3);
	CU_ASSERT_EQUAL(st.leased, 3);
	/* Still leased one ms before expiry; free after it. */
	cb.now_ms = T0 + 30000 - 1;
	CU_ASSERT_EQUAL(journal_outbox_claim(b, &cb, ib, 8, &nb), ERR_OK);
	CU_ASSERT_EQUAL(nb, 0);
	cb.now_ms = T0 + 30000;
	CU_ASSERT_EQUAL(journal_outbox_claim(b, &cb, ib, 8, &nb), ERR_OK);
	CU_ASSERT_EQUAL(nb, 3);
	if (nb > 0) {
		CU_ASSERT_EQUAL(ib[0].attempts, 2);
		CU_ASSERT_STRING_EQUAL(ib[0].lease_owner, "host:2");
	}
	/* The old holder's failure report no longer touches the item. */
	CU_ASSERT_EQUAL(journal_outbox_fail(a, &ia[0], "host:1", T0 + 999999,
	    "late"), ERR_OK);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "lease_owner = 'host:2'"), 3);
	journal_outbox_items_free(ia, na);
	journal_outbox_items_free(ib, nb);
	journal_close(a);
	journal_close(b);
}

static void
event_items_carry_stable_detail(void)
{
	char path[512];
	struct journal *j;
	struct journal_complete_result r;
	struct journal_finalize_result f;
	struct journal_outbox_item it[4];
	struct journal_claim c = jfix_claim("h:1", T0 + 5, JOURNAL_OUTBOX_EVENT);
	struct json_object *o, *v;
	size_t n = 0;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 7, T0 + 1, &r), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_finalize(j, OWNER, "s", 4321, MKEY,
	    T0 + 2, &f), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_outbox_claim(j, &c, it, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(it[0].kind, JOURNAL_OUTBOX_EVENT);
	CU_ASSERT_STRING_EQUAL(it[0].detail_type, "AudioChunkUploaded");
	CU_ASSERT_STRING_EQUAL(it[0].event_id, r.event_id);
	CU_ASSERT_STRING_EQUAL(it[0].user_id, OWNER);
	CU_ASSERT_STRING_EQUAL(it[0].session_id, "s");
	o = json_tokener_parse(it[0].payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT(json_object_object_get_ex(o, "eventId", &v) &&
	    strcmp(json_object_get_string(v), r.event_id) == 0);
	CU_ASSERT(json_object_object_get_ex(o, "chunkSeq", &v) &&
	    json_object_get_int64(v) == 7);
	CU_ASSERT(json_object_object_get_ex(o, "chunkKey", &v) &&
	    strcmp(json_object_get_string(v),
	    "audio/user-a/s/chunk-000007.webm") == 0);
	CU_ASSERT(json_object_object_get_ex(o, "userId", &v) &&
	    strcmp(json_object_get_string(v), OWNER) == 0);
	json_object_put(o);
	CU_ASSERT_STRING_EQUAL(it[1].detail_type, "RecordingFinalized");
	CU_ASSERT_STRING_EQUAL(it[1].event_id, f.event_id);
	o = json_tokener_parse(it[1].payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT(json_object_object_get_ex(o, "manifestKey", &v) &&
	    strcmp(json_object_get_string(v), MKEY) == 0);
	CU_ASSERT(json_object_object_get_ex(o, "chunkCount", &v) &&
	    json_object_get_int64(v) == 1);
	CU_ASSERT(json_object_object_get_ex(o, "durationMs", &v) &&
	    json_object_get_int64(v) == 4321);
	json_object_put(o);
	/* A failed delivery is retried with the very same Detail. */
	CU_ASSERT_EQUAL(journal_outbox_fail(j, &it[0], "h:1", T0 + 6,
	    "503"), ERR_OK);
	journal_outbox_items_free(it, n);
	c.now_ms = T0 + 6;
	CU_ASSERT_EQUAL_FATAL(journal_outbox_claim(j, &c, it, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(it[0].event_id, r.event_id);
	CU_ASSERT_EQUAL(it[0].attempts, 2);
	CU_ASSERT_EQUAL(journal_outbox_done(j, &it[0], T0 + 7), ERR_OK);
	journal_outbox_items_free(it, n);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'event'"), 1);
	journal_close(j);
}

static void
outbox_backoff_dead_and_requeue(void)
{
	char path[512];
	struct journal *j;
	struct journal_outbox_item it[4];
	struct journal_outbox_row rows[4];
	struct journal_outbox_stats st;
	struct journal_claim c = jfix_claim("h:1", T0, JOURNAL_OUTBOX_EVENT);
	size_t n = 0;
	int64_t count = -1;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 1, T0, NULL), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_outbox_claim(j, &c, it, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(journal_outbox_fail(j, &it[0], "h:1", T0 + 10000,
	    "throttled"), ERR_OK);
	journal_outbox_items_free(it, n);
	/* Not due before its next attempt time, due at it. */
	c.now_ms = T0 + 9999;
	CU_ASSERT_EQUAL(journal_outbox_claim(j, &c, it, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	c.now_ms = T0 + 10000;
	CU_ASSERT_EQUAL_FATAL(journal_outbox_claim(j, &c, it, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(it[0].attempts, 2);
	CU_ASSERT_EQUAL(journal_outbox_dead(j, &it[0], "h:1",
	    "ValidationException: bad detail"), ERR_OK);
	journal_outbox_items_free(it, n);
	CU_ASSERT_EQUAL(journal_outbox_stats(j, T0 + 20000, &st), ERR_OK);
	CU_ASSERT_EQUAL(st.dead, 1);
	CU_ASSERT_EQUAL(st.pending, 1);	/* the manifest write */
	CU_ASSERT_EQUAL(st.oldest_pending_age_ms, 20000);
	/* Dead items are never claimed, whatever the time. */
	c.now_ms = T0 + 86400000LL;
	CU_ASSERT_EQUAL(journal_outbox_claim(j, &c, it, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(journal_outbox_list(j, 1, rows, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(rows[0].dead, 1);
	CU_ASSERT_EQUAL(rows[0].kind, JOURNAL_OUTBOX_EVENT);
	CU_ASSERT_STRING_EQUAL(rows[0].reason,
	    "ValidationException: bad detail");
	CU_ASSERT_EQUAL(journal_outbox_list(j, 0, rows, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(journal_outbox_requeue(j, 0, T0 + 30000, &count),
	    ERR_OK);
	CU_ASSERT_EQUAL(count, 1);
	c.now_ms = T0 + 30000;
	CU_ASSERT_EQUAL_FATAL(journal_outbox_claim(j, &c, it, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(it[0].attempts, 1);
	CU_ASSERT_EQUAL(journal_outbox_done(j, &it[0], T0 + 30001), ERR_OK);
	journal_outbox_items_free(it, n);
	CU_ASSERT_EQUAL(journal_outbox_stats(j, T0 + 30001, &st), ERR_OK);
	CU_ASSERT_EQUAL(st.dead, 0);
	CU_ASSERT_EQUAL(st.pending, 1);
	journal_close(j);
}

static int64_t
tj_payload_int(const char *payload, const char *key)
{
	struct json_object *o = json_tokener_parse(payload), *v;
	int64_t r = -1;

	if (o != NULL && json_object_object_get_ex(o, key, &v))
		r = json_object_get_int64(v);
	json_object_put(o);
	return r;
}

static int64_t
tj_payload_nchunks(const char *payload)
{
	struct json_object *o = json_tokener_parse(payload), *v;
	int64_t r = -1;

	if (o != NULL && json_object_object_get_ex(o, "chunks", &v))
		r = (int64_t)json_object_array_length(v);
	json_object_put(o);
	return r;
}

static void
manifest_revision_never_goes_backwards(void)
{
	char path[512];
	struct journal *a, *b;
	struct journal_outbox_item ia[2], ib[2], stale;
	struct journal_claim ca = jfix_claim("A", T0,
	    JOURNAL_OUTBOX_MANIFEST_WRITE);
	struct journal_claim cb = jfix_claim("B", T0,
	    JOURNAL_OUTBOX_MANIFEST_WRITE);
	int64_t synced = -1;
	size_t na = 0, nb = 0;

	jfix_path(path, sizeof(path));
	a = jfix_open(path);
	b = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL_FATAL(jfix_session(a, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(a, "s", 1, T0, NULL), ERR_OK);
	/* A takes revision 1; the session moves on to 2 and 3 meanwhile,
	 * and the manifest writes collapse into the one leased row. */
	CU_ASSERT_EQUAL_FATAL(journal_outbox_claim(a, &ca, ia, 2, &na), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(na, 1);
	CU_ASSERT_EQUAL(ia[0].revision, 1);
	CU_ASSERT_EQUAL(tj_payload_int(ia[0].payload, "revision"), 1);
	CU_ASSERT_EQUAL(tj_payload_nchunks(ia[0].payload), 1);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(b, "s", 2, T0 + 1, NULL), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(b, "s", 3, T0 + 2, NULL), ERR_OK);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'manifest_write'"), 1);
	/* B cannot take it while A holds the lease. */
	CU_ASSERT_EQUAL(journal_outbox_claim(b, &cb, ib, 2, &nb), ERR_OK);
	CU_ASSERT_EQUAL(nb, 0);
	/* A's write of revision 1 lands: synced = 1, and the row is due
	 * again because revision 3 is not written yet. */
	CU_ASSERT_EQUAL(journal_outbox_done(a, &ia[0], T0 + 3), ERR_OK);
	CU_ASSERT_EQUAL(journal_synced_revision(b, "s", &synced), ERR_OK);
	CU_ASSERT_EQUAL(synced, 1);
	cb.now_ms = T0 + 3;
	CU_ASSERT_EQUAL_FATAL(journal_outbox_claim(b, &cb, ib, 2, &nb), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(nb, 1);
	CU_ASSERT_EQUAL(ib[0].revision, 3);
	CU_ASSERT_EQUAL(tj_payload_int(ib[0].payload, "revision"), 3);
	CU_ASSERT_EQUAL(tj_payload_nchunks(ib[0].payload), 3);
	CU_ASSERT_EQUAL(journal_outbox_done(b, &ib[0], T0 + 4), ERR_OK);
	CU_ASSERT_EQUAL(journal_synced_revision(b, "s", &synced), ERR_OK);
	CU_ASSERT_EQUAL(synced, 3);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'manifest_write'"), 0);
	/* Nothing left to write: a claim finds nothing. */
	cb.now_ms = T0 + 5;
	CU_ASSERT_EQUAL(journal_outbox_claim(b, &cb, ib + 1, 1, &nb), ERR_OK);
	CU_ASSERT_EQUAL(nb, 0);
	/* A late report of the old revision 1 never moves synced back, and
	 * since it may have overwritten revision 3 in S3, a newer revision
	 * is queued so the newest state is written again. */
	stale = ia[0];
	CU_ASSERT_EQUAL(journal_outbox_done(a, &stale, T0 + 6), ERR_OK);
	CU_ASSERT_EQUAL(journal_synced_revision(a, "s", &synced), ERR_OK);
	CU_ASSERT_EQUAL(synced, 3);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT revision FROM sessions"), 4);
	journal_outbox_items_free(ib, 1);
	ca.now_ms = T0 + 6;
	CU_ASSERT_EQUAL_FATAL(journal_outbox_claim(a, &ca, ib, 2, &nb), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(nb, 1);
	CU_ASSERT_EQUAL(ib[0].revision, 4);
	CU_ASSERT_EQUAL(tj_payload_nchunks(ib[0].payload), 3);
	CU_ASSERT_EQUAL(journal_outbox_done(a, &ib[0], T0 + 7), ERR_OK);
	CU_ASSERT_EQUAL(journal_synced_revision(a, "s", &synced), ERR_OK);
	CU_ASSERT_EQUAL(synced, 4);
	journal_outbox_items_free(ia, na);
	journal_outbox_items_free(ib, nb);
	journal_close(a);
	journal_close(b);
}

static void
claim_filters_by_session_and_kind(void)
{
	char path[512];
	struct journal *j;
	struct journal_outbox_item it[8];
	struct journal_claim c = jfix_claim("api:1", T0,
	    JOURNAL_OUTBOX_MANIFEST_WRITE);
	struct journal_complete_result r;
	char key[128];
	struct journal_chunk ch;
	size_t n = 0;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "t", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 1, T0, NULL), ERR_OK);
	ch = jfix_chunk(1, key, sizeof(key));
	CU_ASSERT_EQUAL_FATAL(journal_complete_chunk(j, OWNER, "t", &ch, T0,
	    &r), ERR_OK);
	c.session_id = "t";
	CU_ASSERT_EQUAL_FATAL(journal_outbox_claim(j, &c, it, 8, &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(it[0].kind, JOURNAL_OUTBOX_MANIFEST_WRITE);
	CU_ASSERT_STRING_EQUAL(it[0].session_id, "t");
	CU_ASSERT_STRING_EQUAL(it[0].user_id, OWNER);
	journal_outbox_items_free(it, n);
	c.session_id = NULL;
	c.kind = JOURNAL_OUTBOX_ANY;
	CU_ASSERT_EQUAL(journal_outbox_claim(j, &c, it, 8, &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 3);
	journal_outbox_items_free(it, n);
	c.kind = (enum journal_outbox_kind)9;
	CU_ASSERT_EQUAL(journal_outbox_claim(j, &c, it, 8, &n), ERR_INVAL);
	journal_close(j);
}

/* ----------------------------------------------------------- concurrency */

#define TJ_PROCS	8
#define TJ_CHUNKS	500

static double
tj_elapsed(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) +
	    (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

/* Child: own connection after fork, with the default busy timeout the
 * API uses; complete every seq with seq % procs == slot, each tenth one
 * retried as a real client would.  Writes its slowest complete (ms) to
 * path.lat.slot.  Exit status 0 on success. */
static void
tj_worker(const char *path, int slot, int procs)
{
	struct journal *j = NULL;
	struct journal_complete_result r, again;
	struct timespec t;
	char out[600];
	double ms, worst = 0;
	int64_t seq;
	int bad = 0;
	FILE *f;

	if (journal_open(&j, path, 0, 0) != ERR_OK)
		_exit(2);
	for (seq = 1; seq <= TJ_CHUNKS; seq++) {
		if (seq % procs != slot)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (jfix_complete(j, "s", seq, clock_wall_ms(), &r) != ERR_OK ||
		    r.replayed)
			bad++;
		if ((ms = tj_elapsed(&t) * 1000) > worst)
			worst = ms;
		/* Every tenth is retried: same answer, no second event. */
		if (seq % 10 == 0 && (jfix_complete(j, "s", seq,
		    clock_wall_ms(), &again) != ERR_OK || !again.replayed ||
		    strcmp(again.event_id, r.event_id) != 0))
			bad++;
	}
	journal_close(j);
	jfix_side(out, sizeof(out), "lat", slot);
	if ((f = fopen(out, "w")) != NULL) {
		fprintf(f, "%.1f\n", worst);
		fclose(f);
	}
	_exit(bad == 0 ? 0 : 1);
}

static void
eight_processes_complete_500_chunks_of_one_session(void)
{
	char path[512];
	struct journal *j;
	struct journal_snapshot *snap = NULL;
	const struct manifest *m;
	struct timespec t;
	pid_t pids[TJ_PROCS];
	char *json = NULL, lat[600];
	int i, status, ok = 0;
	int64_t prev = 0;
	size_t k;
	double secs, ms, worst = 0;
	FILE *f;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	journal_close(j);
	clock_gettime(CLOCK_MONOTONIC, &t);
	for (i = 0; i < TJ_PROCS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			tj_worker(path, i, TJ_PROCS);
	}
	for (i = 0; i < TJ_PROCS; i++)
		if (pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	secs = tj_elapsed(&t);
	for (i = 0; i < TJ_PROCS; i++) {
		jfix_side(lat, sizeof(lat), "lat", i);
		if ((f = fopen(lat, "r")) != NULL) {
			if (fscanf(f, "%lf", &ms) == 1 && ms > worst)
				worst = ms;
			fclose(f);
		}
	}
	printf("\n    journal: %d completes (+%d retries) by %d processes in "
	    "%.3f s = %.0f completes/s, slowest complete %.1f ms\n",
	    TJ_CHUNKS, TJ_CHUNKS / 10, TJ_PROCS, secs, TJ_CHUNKS / secs,
	    worst);
	CU_ASSERT_EQUAL(ok, TJ_PROCS);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM chunks"),
	    TJ_CHUNKS);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(DISTINCT seq) FROM "
	    "chunks WHERE seq BETWEEN 1 AND 500"), TJ_CHUNKS);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT revision FROM sessions"),
	    TJ_CHUNKS);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT chunk_count FROM sessions"),
	    TJ_CHUNKS);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT total_bytes FROM sessions"),
	    jfix_count(path, "SELECT sum(bytes) FROM chunks"));
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "detail_type = 'AudioChunkUploaded'"), TJ_CHUNKS);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(DISTINCT event_id) FROM "
	    "outbox WHERE kind = 'event'"), TJ_CHUNKS);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'manifest_write'"), 1);
	CU_ASSERT(jfix_integrity_ok(path));

	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(journal_read_snapshot(j, OWNER, "s", &snap),
	    ERR_OK);
	m = journal_snapshot_manifest(snap);
	CU_ASSERT_EQUAL(m->nchunks, TJ_CHUNKS);
	CU_ASSERT_EQUAL(m->revision, TJ_CHUNKS);
	CU_ASSERT_EQUAL(m->duration_ms, TJ_CHUNKS * 5000);
	for (k = 0; k < m->nchunks; k++) {
		CU_ASSERT(m->chunks[k].seq == prev + 1);
		prev = m->chunks[k].seq;
	}
	CU_ASSERT_EQUAL(manifest_render(m, &json, NULL), ERR_OK);
	CU_ASSERT_EQUAL(tj_payload_nchunks(json), TJ_CHUNKS);
	CU_ASSERT_EQUAL(tj_payload_int(json, "revision"), TJ_CHUNKS);
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"seq\":499,"));
	if (json != NULL)
		CU_ASSERT(strstr(json, "\"seq\":1,") < strstr(json,
		    "\"seq\":2,") && strstr(json, "\"seq\":9,") <
		    strstr(json, "\"seq\":10,"));
	free(json);
	journal_snapshot_free(snap);
	journal_close(j);
}

#define TJ_DELIVERERS	4
#define TJ_EVENTS	200

/* Child: claim events in batches of up to 10 until none is left, record
 * each claimed id in its own file, mark it done. */
static void
tj_deliverer(const char *path, int slot)
{
	struct journal *j = NULL;
	struct journal_outbox_item it[10];
	struct journal_claim c;
	char owner[32], out[600];
	FILE *f;
	size_t n, i;
	int bad = 0, idle = 0;

	snprintf(owner, sizeof(owner), "deliverer:%d", slot);
	jfix_side(out, sizeof(out), "claims", slot);
	if ((f = fopen(out, "w")) == NULL ||
	    journal_open(&j, path, 30000, 0) != ERR_OK)
		_exit(2);
	while (idle < 3) {
		c = jfix_claim(owner, clock_wall_ms(), JOURNAL_OUTBOX_EVENT);
		c.lease_seconds = 600;
		if (journal_outbox_claim(j, &c, it, 10, &n) != ERR_OK) {
			bad++;
			break;
		}
		idle = n == 0 ? idle + 1 : 0;
		/* The delivery call itself, outside any transaction: this is
		 * when the other deliverers claim. */
		usleep(n > 0 ? 5000 : 20000);
		for (i = 0; i < n; i++) {
			fprintf(f, "%lld\n", (long long)it[i].id);
			if (journal_outbox_done(j, &it[i],
			    clock_wall_ms()) != ERR_OK)
				bad++;
		}
		journal_outbox_items_free(it, n);
	}
	fclose(f);
	journal_close(j);
	_exit(bad == 0 ? 0 : 1);
}

/* Four processes draining one outbox: every event is claimed exactly once
 * (the lease is exclusive), and the outbox ends empty of events. */
static void
concurrent_deliverers_claim_each_event_once(void)
{
	char path[512], in[600], line[64];
	struct journal *j;
	pid_t pids[TJ_DELIVERERS];
	unsigned char *seen;
	int64_t seq, id, maxid, total = 0, dup = 0;
	int i, status, ok = 0;
	FILE *f;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	for (seq = 1; seq <= TJ_EVENTS; seq++)
		CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", seq, T0, NULL),
		    ERR_OK);
	journal_close(j);
	maxid = jfix_count(path, "SELECT max(id) FROM outbox");
	CU_ASSERT_FATAL(maxid > 0);
	seen = calloc((size_t)maxid + 1, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
	for (i = 0; i < TJ_DELIVERERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			tj_deliverer(path, i);
	}
	for (i = 0; i < TJ_DELIVERERS; i++)
		if (pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	CU_ASSERT_EQUAL(ok, TJ_DELIVERERS);
	for (i = 0; i < TJ_DELIVERERS; i++) {
		jfix_side(in, sizeof(in), "claims", i);
		if ((f = fopen(in, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			id = strtoll(line, NULL, 10);
			if (id < 1 || id > maxid)
				continue;
			total++;
			if (seen[id]++)
				dup++;
		}
		fclose(f);
	}
	free(seen);
	CU_ASSERT_EQUAL(total, TJ_EVENTS);
	CU_ASSERT_EQUAL(dup, 0);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'event'"), 0);
}

static double
tj_cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void
single_process_complete_rate(void)
{
	char path[512];
	struct journal *j;
	struct timespec t;
	int64_t seq;
	int bad = 0;
	double secs, cpu;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	clock_gettime(CLOCK_MONOTONIC, &t);
	cpu = tj_cpu_seconds();
	for (seq = 1; seq <= TJ_CHUNKS; seq++)
		if (jfix_complete(j, "s", seq, clock_wall_ms(), NULL) != ERR_OK)
			bad++;
	cpu = tj_cpu_seconds() - cpu;
	secs = tj_elapsed(&t);
	/* Wall time is mostly fsync (synchronous=FULL); CPU time is what a
	 * complete costs the worker. */
	printf("\n    journal: %d completes by 1 process in %.3f s = "
	    "%.0f completes/s, %.0f us CPU each\n", TJ_CHUNKS, secs,
	    TJ_CHUNKS / secs, cpu * 1e6 / TJ_CHUNKS);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT revision FROM sessions"),
	    TJ_CHUNKS);
	journal_close(j);
}

/* -------------------------------------------------------------- failures */

static void
read_only_journal_answers_unavailable(void)
{
	char path[512];
	struct journal *j, *ro = NULL;
	struct journal_complete_result r;
	struct journal_finalize_result f;
	struct journal_outbox_item it[4];
	struct journal_claim c = jfix_claim("h", T0, JOURNAL_OUTBOX_ANY);
	struct journal_session s;
	struct journal_outbox_stats st;
	size_t n = 0;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(jfix_complete(j, "s", 1, T0, NULL), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_open(&ro, path, 200, JOURNAL_READONLY),
	    ERR_OK);
	/* Reads work, every write is a clean 503. */
	CU_ASSERT_EQUAL(journal_get_session(ro, OWNER, "s", &s), ERR_OK);
	CU_ASSERT_EQUAL(s.chunk_count, 1);
	CU_ASSERT_EQUAL(journal_outbox_stats(ro, T0, &st), ERR_OK);
	CU_ASSERT_EQUAL(st.pending, 2);
	CU_ASSERT_EQUAL(jfix_complete(ro, "s", 2, T0, &r), ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(jfix_session(ro, "t", OWNER, T0), ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(journal_finalize(ro, OWNER, "s", 10, MKEY, T0, &f),
	    ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(journal_outbox_claim(ro, &c, it, 4, &n),
	    ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(n, 0);
	/* The read-only connection is still usable afterwards. */
	CU_ASSERT_EQUAL(journal_get_session(ro, OWNER, "s", &s), ERR_OK);
	journal_close(ro);
	/* Nothing was changed or damaged; the writer carries on. */
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM chunks"), 1);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM sessions"), 1);
	CU_ASSERT(jfix_integrity_ok(path));
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 2, T0, &r), ERR_OK);
	CU_ASSERT_EQUAL(r.chunk_count, 2);
	journal_close(j);
}

static void
full_disk_answers_unavailable_and_recovers(void)
{
	char path[512], key[1100];
	struct journal *j;
	struct journal_complete_result r;
	struct journal_chunk c;
	struct journal_session s;
	int64_t seq, accepted = 0;
	enum err e = ERR_OK;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	/* Cap the file at 256 KiB over its current size, then fill it with
	 * long keys until a write fails the way a full disk does. */
	CU_ASSERT_EQUAL_FATAL(journal_limit_size(j,
	    jfix_count(path, "PRAGMA page_count") *
	    jfix_count(path, "PRAGMA page_size") + 262144), ERR_OK);
	for (seq = 1; seq <= 2000 && e == ERR_OK; seq++) {
		c = jfix_chunk(seq, key, sizeof(key));
		memset(key, 'k', 1000);
		snprintf(key + 1000, sizeof(key) - 1000, "-%06lld",
		    (long long)seq);
		e = journal_complete_chunk(j, OWNER, "s", &c, T0, &r);
		if (e == ERR_OK)
			accepted++;
	}
	CU_ASSERT_EQUAL(e, ERR_UNAVAILABLE);
	CU_ASSERT(accepted >= 10);
	CU_ASSERT(seq <= 2000);
	/* Everything accepted is there, nothing half-written. */
	CU_ASSERT(jfix_integrity_ok(path));
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM chunks"),
	    accepted);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT revision FROM sessions"),
	    accepted);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'event'"), accepted);
	CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "s", &s), ERR_OK);
	CU_ASSERT_EQUAL(s.chunk_count, accepted);
	/* Space returns: the same complete now succeeds. */
	CU_ASSERT_EQUAL(journal_limit_size(j, 0), ERR_OK);
	CU_ASSERT_EQUAL(journal_complete_chunk(j, OWNER, "s", &c, T0, &r),
	    ERR_OK);
	CU_ASSERT_EQUAL(r.replayed, 0);
	CU_ASSERT_EQUAL(r.chunk_count, accepted + 1);
	journal_close(j);
	CU_ASSERT(jfix_integrity_ok(path));
}

static void
connection_is_refused_across_fork(void)
{
	char path[512];
	struct journal *j;
	struct journal_session s;
	pid_t pid;
	int status = -1;

	jfix_path(path, sizeof(path));
	j = jfix_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	if ((pid = fork()) == 0) {
		status = journal_get_session(j, OWNER, "s", &s) ==
		    ERR_INTERNAL ? 0 : 1;
		journal_close(j);	/* frees only the child's copy */
		_exit(status);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The parent's connection still works, for writes too. */
	CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "s", &s), ERR_OK);
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 1, T0, NULL), ERR_OK);
	CU_ASSERT(jfix_integrity_ok(path));
	journal_close(j);
}

int
test_journal_suite(void)
{
	/* S(): SQLite only (its file, its pragmas, its migrations); run
	 * with JFIX_PG, the suite leaves those out and says so. */
	static const struct {
		const char	*name;
		void		(*fn)(void);
		int		 sqlite_only;
	} tests[] = {
#define T(f) { #f, f, 0 }
#define S(f) { #f, f, 1 }
		S(migrates_empty_file_and_reopens),
		S(migrates_old_file_forward_keeping_data),
		S(migration_004_backfills_finalized_sessions),
		T(newer_schema_is_refused),
		T(concurrent_opens_migrate_once),
		T(sessions_are_isolated_by_owner),
		T(bad_arguments_are_refused),
		T(complete_retry_answers_the_same_and_enqueues_once),
		T(chunk_etag_is_kept_and_reaches_the_snapshot),
		T(complete_with_different_data_conflicts),
		T(replay_check_answers_retries_only),
		T(manifest_upsert_never_removes_or_shrinks),
		T(finalize_twice_answers_the_same),
		T(sealed_session_refuses_changes),
		T(late_chunk_joins_the_final_manifest),
		T(late_chunk_rule_refuses_outside_and_after_grace),
		T(empty_session_can_be_finalized),
		T(outbox_lease_is_exclusive_across_connections),
		T(event_items_carry_stable_detail),
		T(outbox_backoff_dead_and_requeue),
		T(manifest_revision_never_goes_backwards),
		T(claim_filters_by_session_and_kind),
		T(eight_processes_complete_500_chunks_of_one_session),
		T(concurrent_deliverers_claim_each_event_once),
		T(single_process_complete_rate),
		S(read_only_journal_answers_unavailable),
		S(full_disk_answers_unavailable_and_recovers),
		T(connection_is_refused_across_fork),
#undef T
#undef S
	};
	CU_pSuite s;
	size_t i;

	if ((s = CU_add_suite("journal", tj_init, jfix_clean)) == NULL)
		return -1;
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (tests[i].sqlite_only && jfix_pg() != NULL) {
			printf("journal: %s is SQLite's own; not run on "
			    "PostgreSQL\n", tests[i].name);
			continue;
		}
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return -1;
	}
	return 0;
}
