/*
 * test_journal_mpu.c: the journal's multipart uploads (sql/006): one open
 * upload per chunk, replace, complete, the abort schedule with its lease,
 * bounded retries, and the rows carried by journal_copy().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "jfix.h"
#include "unit.h"

#define MIB	(1024LL * 1024)

static int
tm_init(void)
{
	return jfix_init("test_journal_mpu");
}

static struct journal_mpu
tm_upload(const char *id, const char *sid, int64_t seq)
{
	struct journal_mpu m;

	memset(&m, 0, sizeof(m));
	snprintf(m.upload_id, sizeof(m.upload_id), "%s", id);
	snprintf(m.session_id, sizeof(m.session_id), "%s", sid);
	m.seq = seq;
	snprintf(m.key, sizeof(m.key), "users/u/%s/%lld.webm", sid,
	    (long long)seq);
	m.size_bytes = 12 * MIB;
	m.part_bytes = 5 * MIB;
	return m;
}

static void
one_open_upload_per_chunk(void)
{
	char path[512];
	struct journal *j;
	struct journal_mpu m = tm_upload("up-1", "s", 3), got;

	jfix_path(path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j = jfix_open(path));
	CU_ASSERT_EQUAL(journal_mpu_get(j, "s", 3, &got), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(journal_mpu_add(j, &m, NULL, NULL, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_mpu_get(j, "s", 3, &got), ERR_OK);
	CU_ASSERT_STRING_EQUAL(got.upload_id, "up-1");
	CU_ASSERT_STRING_EQUAL(got.key, m.key);
	CU_ASSERT_EQUAL(got.size_bytes, 12 * MIB);
	CU_ASSERT_EQUAL(got.part_bytes, 5 * MIB);
	CU_ASSERT_EQUAL(got.state, JOURNAL_MPU_OPEN);
	CU_ASSERT_EQUAL(got.abort_at_ms, -1);
	/* A racing presign's second upload is refused: the caller aborts
	 * its own and answers the first. */
	m = tm_upload("up-2", "s", 3);
	CU_ASSERT_EQUAL(journal_mpu_add(j, &m, NULL, NULL,
	    T0 + 1), ERR_CONFLICT);
	/* Once replaced, a new one may open; the newest is the answer. */
	CU_ASSERT_EQUAL(journal_mpu_replace(j, "up-1", T0 + 2), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_add(j, &m, NULL, NULL, T0 + 3), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_mpu_get(j, "s", 3, &got), ERR_OK);
	CU_ASSERT_STRING_EQUAL(got.upload_id, "up-2");
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM "
	    "multipart_uploads WHERE state = 'aborting' AND abort_at_ms = "
	    "1764093000002"), 1);
	journal_close(j);
}

static void
aborts_are_scheduled_leased_and_bounded(void)
{
	char path[512];
	struct journal *a, *b;
	struct journal_mpu m1 = tm_upload("up-1", "s", 1);
	struct journal_mpu m2 = tm_upload("up-2", "s", 2);
	struct journal_mpu m3 = tm_upload("up-3", "t", 1), due[4], got;
	int64_t n = 0;
	size_t k = 0;

	jfix_path(path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a = jfix_open(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(b = jfix_open(path));
	CU_ASSERT_EQUAL(journal_mpu_add(a, &m1, NULL, NULL, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_add(a, &m2, NULL, NULL, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_add(a, &m3, NULL, NULL, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_completed(a, "up-2", T0 + 1), ERR_OK);
	/* Finalize: the open upload is due at the end of the window; the
	 * completed one is never aborted; another session's is left. */
	CU_ASSERT_EQUAL(journal_mpu_abort_session(a, "s", T0 + 60000, &n),
	    ERR_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(journal_mpu_due(a, T0 + 59999, 30000, due, 4, &k),
	    ERR_OK);
	CU_ASSERT_EQUAL(k, 0);
	/* A delete later makes it due sooner, never later. */
	CU_ASSERT_EQUAL(journal_mpu_abort_session(a, "s", T0 + 10, &n),
	    ERR_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(journal_mpu_abort_session(a, "s", T0 + 90000, &n),
	    ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(journal_mpu_due(a, T0 + 10, 30000, due, 4, &k),
	    ERR_OK);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_STRING_EQUAL(due[0].upload_id, "up-1");
	/* Leased: the other connection does not get it meanwhile. */
	CU_ASSERT_EQUAL(journal_mpu_due(b, T0 + 20, 30000, due, 4, &k),
	    ERR_OK);
	CU_ASSERT_EQUAL(k, 0);
	/* A failed attempt retries at the time given... */
	CU_ASSERT_EQUAL(journal_mpu_abort_result(a, "up-1", JOURNAL_MPU_OPEN,
	    T0 + 5000, "s3 unavailable", T0 + 10), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_due(b, T0 + 5000, 30000, due, 4, &k),
	    ERR_OK);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_EQUAL(due[0].attempts, 1);
	CU_ASSERT_STRING_EQUAL(due[0].reason, "s3 unavailable");
	/* ...and giving up ends it: never due again. */
	CU_ASSERT_EQUAL(journal_mpu_abort_result(b, "up-1",
	    JOURNAL_MPU_FAILED, 0, "gave up", T0 + 5000), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_due(a, T0 + 999999999, 30000, due, 4,
	    &k), ERR_OK);
	CU_ASSERT_EQUAL(k, 0);
	CU_ASSERT_EQUAL_FATAL(journal_mpu_get(a, "s", 1, &got), ERR_OK);
	CU_ASSERT_EQUAL(got.state, JOURNAL_MPU_FAILED);
	CU_ASSERT_EQUAL(got.attempts, 2);
	/* An aborted upload's complete is too late to count. */
	CU_ASSERT_EQUAL(journal_mpu_abort_session(a, "t", T0, &n), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_abort_result(a, "up-3",
	    JOURNAL_MPU_ABORTED, 0, NULL, T0 + 1), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_completed(a, "up-3", T0 + 2), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_mpu_get(a, "t", 1, &got), ERR_OK);
	CU_ASSERT_EQUAL(got.state, JOURNAL_MPU_ABORTED);
	journal_close(a);
	journal_close(b);
}

static void
a_deletion_makes_open_uploads_due(void)
{
	char path[512];
	struct journal *j;
	struct journal_delete_result d;
	struct journal_mpu m = tm_upload("up-1", "s", 1), due[2];
	size_t k = 0;

	jfix_path(path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j = jfix_open(path));
	CU_ASSERT_EQUAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_add(j, &m, NULL, NULL, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_delete_session(j, OWNER, "s", 300000, 30000,
	    1000, T0 + 5, &d), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_due(j, T0 + 5, 30000, due, 2, &k), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_STRING_EQUAL(due[0].upload_id, "up-1");
	journal_close(j);
}

/* The server's seal of an abandoned session makes its open uploads due in
 * the seal's own transaction: nothing is left for a later call that a
 * crash could skip. */
static void
abandoning_makes_open_uploads_due(void)
{
	char path[512];
	struct journal *j;
	struct journal_abandoned a[2];
	struct journal_mpu m = tm_upload("up-1", "s", 1), done =
	    tm_upload("up-2", "s", 2), due[4];
	size_t n = 0, k = 0;

	jfix_path(path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j = jfix_open(path));
	CU_ASSERT_EQUAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_add(j, &m, NULL, NULL, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_add(j, &done, NULL, NULL, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_completed(j, "up-2", T0 + 1), ERR_OK);
	CU_ASSERT_EQUAL(journal_abandon_idle(j, T0 + 1000, 0, T0 + 6000, a, 2,
	    &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(a[0].mpu_aborts, 1);
	/* No other call: the abort is due at the seal's time. */
	CU_ASSERT_EQUAL(journal_mpu_due(j, T0 + 6000, 30000, due, 4, &k),
	    ERR_OK);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_STRING_EQUAL(due[0].upload_id, "up-1");
	journal_close(j);
}

/* A client's finalize schedules the open uploads' abort in its own
 * transaction, after the delay the connection was given. */
static void
finalizing_schedules_open_uploads(void)
{
	char path[512];
	struct journal *j;
	struct journal_finalize_result fr;
	struct journal_mpu m = tm_upload("up-1", "s", 1), due[2];
	size_t k = 0;

	jfix_path(path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j = jfix_open(path));
	journal_set_finalize_mpu_abort(j, 60000);
	CU_ASSERT_EQUAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_add(j, &m, NULL, NULL, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_finalize(j, OWNER, "s", 5000, "m", T0 + 10,
	    &fr), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_due(j, T0 + 60009, 30000, due, 2, &k),
	    ERR_OK);
	CU_ASSERT_EQUAL(k, 0);
	CU_ASSERT_EQUAL(journal_mpu_due(j, T0 + 60010, 30000, due, 2, &k),
	    ERR_OK);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_STRING_EQUAL(due[0].upload_id, "up-1");
	journal_close(j);
}

/* Finished rows go once old, a bounded batch at a time; open, aborting
 * and recent ones stay. */
static void
finished_uploads_are_purged_in_batches(void)
{
	char path[512];
	struct journal *j;
	struct journal_mpu m;
	int64_t n = -1;
	char id[16];
	int i;

	jfix_path(path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j = jfix_open(path));
	/* Five completed at T0 + 1..5, one aborted at T0 + 6, one failed at
	 * T0 + 7, one aborted late (T0 + 100), one open, one aborting. */
	for (i = 1; i <= 10; i++) {
		snprintf(id, sizeof(id), "up-%d", i);
		m = tm_upload(id, "s", i);
		CU_ASSERT_EQUAL_FATAL(journal_mpu_add(j, &m, NULL, NULL,
		    T0), ERR_OK);
	}
	for (i = 1; i <= 5; i++) {
		snprintf(id, sizeof(id), "up-%d", i);
		CU_ASSERT_EQUAL(journal_mpu_completed(j, id, T0 + i), ERR_OK);
	}
	CU_ASSERT_EQUAL(journal_mpu_abort_result(j, "up-6",
	    JOURNAL_MPU_ABORTED, 0, NULL, T0 + 6), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_abort_result(j, "up-7",
	    JOURNAL_MPU_FAILED, 0, "gave up", T0 + 7), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_abort_result(j, "up-8",
	    JOURNAL_MPU_ABORTED, 0, NULL, T0 + 100), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_replace(j, "up-10", T0), ERR_OK);
	/* A retry that failed is not finished. */
	CU_ASSERT_EQUAL(journal_mpu_abort_result(j, "up-10",
	    JOURNAL_MPU_ABORTING, T0 + 50, "s3 unavailable", T0 + 8), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_purge(j, T0 + 50, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(journal_mpu_purge(j, T0 + 50, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(journal_mpu_purge(j, T0 + 50, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM "
	    "multipart_uploads"), 3);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM "
	    "multipart_uploads WHERE upload_id IN ('up-8', 'up-9', "
	    "'up-10')"), 3);
	CU_ASSERT_EQUAL(journal_mpu_purge(j, T0 + 50, 0, &n), ERR_INVAL);
	journal_close(j);
}

/* The intent of a Create: dropped with the row that records its upload;
 * left behind, due at its resolve time, leased, and the uploads S3 lists
 * for its key told apart (recorded, maybe being recorded, no one's). */
static void
intents_make_creates_recoverable(void)
{
	char path[512], id[JOURNAL_EVENT_ID_BYTES], id2[JOURNAL_EVENT_ID_BYTES];
	char id3[JOURNAL_EVENT_ID_BYTES];
	struct journal *a, *b;
	struct journal_mpu m = tm_upload("up-1", "s", 1), due[2];
	struct journal_mpu_intent in[4];
	enum journal_mpu_known k;
	size_t n = 9;

	jfix_path(path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a = jfix_open(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(b = jfix_open(path));
	/* A Create that went well: its intent goes with the row. */
	CU_ASSERT_EQUAL(journal_mpu_intent(a, "s", 1, m.key, T0, T0 + 30000,
	    id, sizeof(id)), ERR_OK);
	CU_ASSERT_EQUAL(strlen(id), 36);
	CU_ASSERT_EQUAL(journal_mpu_add(a, &m, NULL, id, T0 + 10), ERR_OK);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM "
	    "multipart_intents"), 0);
	/* A second add with the same intent: it is gone, nothing recorded. */
	m = tm_upload("up-2", "s", 2);
	CU_ASSERT_EQUAL(journal_mpu_add(a, &m, NULL, id,
	    T0 + 20), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM "
	    "multipart_uploads WHERE upload_id = 'up-2'"), 0);
	/* A Create whose worker died: its intent stays, due at T0 + 30000. */
	CU_ASSERT_EQUAL(journal_mpu_intent(a, "s", 2, m.key, T0 + 100,
	    T0 + 30100, id2, sizeof(id2)), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_intents_due(a, T0 + 30099, 5000, in, 4,
	    &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(journal_mpu_intents_due(a, T0 + 30100, 5000, in, 4,
	    &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(in[0].id, id2);
	CU_ASSERT_STRING_EQUAL(in[0].key, m.key);
	CU_ASSERT_EQUAL(in[0].seq, 2);
	CU_ASSERT_EQUAL(in[0].created_ms, T0 + 100);
	/* Leased: another connection does not get it meanwhile. */
	CU_ASSERT_EQUAL(journal_mpu_intents_due(b, T0 + 30200, 5000, &in[1],
	    3, &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	/* What S3 lists for the key: a recorded upload, one no one knows. */
	CU_ASSERT_EQUAL(journal_mpu_known(a, &in[0], "up-1", &k), ERR_OK);
	CU_ASSERT_EQUAL(k, JOURNAL_MPU_RECORDED);
	CU_ASSERT_EQUAL(journal_mpu_known(a, &in[0], "up-x", &k), ERR_OK);
	CU_ASSERT_EQUAL(k, JOURNAL_MPU_UNKNOWN);
	/* A newer presign of the chunk under way: its upload may be one
	 * it is about to record. */
	CU_ASSERT_EQUAL(journal_mpu_intent(b, "s", 2, m.key, T0 + 30150,
	    T0 + 60150, id3, sizeof(id3)), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_known(a, &in[0], "up-x", &k), ERR_OK);
	CU_ASSERT_EQUAL(k, JOURNAL_MPU_PENDING);
	/* Retried later, one attempt more; dropped when resolved. */
	CU_ASSERT_EQUAL(journal_mpu_intent_retry(a, id2, T0 + 40000,
	    "list: unavailable"), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_intents_due(a, T0 + 40000, 5000, in, 4,
	    &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(in[0].attempts, 1);
	CU_ASSERT_EQUAL(journal_mpu_intent_drop(a, id2), ERR_OK);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM "
	    "multipart_intents"), 1);
	/* An upload recorded with its abort time is due then. */
	m = tm_upload("up-3", "s", 3);
	m.abort_at_ms = T0 + 50000;
	CU_ASSERT_EQUAL(journal_mpu_add(b, &m, NULL, id3, T0 + 30300), ERR_OK);
	CU_ASSERT_EQUAL(journal_mpu_due(a, T0 + 49999, 5000, due, 2, &n),
	    ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(journal_mpu_due(a, T0 + 50000, 5000, due, 2, &n),
	    ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(due[0].upload_id, "up-3");
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM "
	    "multipart_intents"), 0);
	journal_close(a);
	journal_close(b);
}

static void
checksums_and_write_once_are_kept(void)
{
	char path[512], *parts = NULL;
	struct journal *j;
	struct journal_mpu m = tm_upload("up-1", "s", 1), got;
	const char *two = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	    "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=";

	jfix_path(path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j = jfix_open(path));
	snprintf(m.sha256, sizeof(m.sha256), "%s",
	    "rYOrsJ2pdaGSy2r1lgVaN9x4aii0kOzwJ9SCqyMuQrs=-2");
	m.write_once = 1;
	/* the composite and its parts go together */
	CU_ASSERT_EQUAL(journal_mpu_add(j, &m, NULL, NULL, T0), ERR_INVAL);
	CU_ASSERT_EQUAL(journal_mpu_add(j, &m, two, NULL, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_mpu_get(j, "s", 1, &got), ERR_OK);
	CU_ASSERT_STRING_EQUAL(got.sha256, m.sha256);
	CU_ASSERT_EQUAL(got.write_once, 1);
	CU_ASSERT_EQUAL_FATAL(journal_mpu_part_sha256(j, "up-1", &parts),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(parts, two);
	free(parts);
	/* an upload without them */
	m = tm_upload("up-2", "s", 2);
	CU_ASSERT_EQUAL(journal_mpu_add(j, &m, two, NULL, T0), ERR_INVAL);
	CU_ASSERT_EQUAL(journal_mpu_add(j, &m, NULL, NULL, T0), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_mpu_get(j, "s", 2, &got), ERR_OK);
	CU_ASSERT_STRING_EQUAL(got.sha256, "");
	CU_ASSERT_EQUAL(got.write_once, 0);
	CU_ASSERT_EQUAL(journal_mpu_part_sha256(j, "up-2", &parts),
	    ERR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(parts);
	CU_ASSERT_EQUAL(journal_mpu_part_sha256(j, "nope", &parts),
	    ERR_NOT_FOUND);
	journal_close(j);
}

static void
bad_arguments_are_refused(void)
{
	char path[512];
	struct journal *j;
	struct journal_mpu m = tm_upload("", "s", 1), due[1];
	size_t k;

	jfix_path(path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j = jfix_open(path));
	CU_ASSERT_EQUAL(journal_mpu_add(j, &m, NULL, NULL, T0), ERR_INVAL);
	m = tm_upload("u", "s", 0);
	CU_ASSERT_EQUAL(journal_mpu_add(j, &m, NULL, NULL, T0), ERR_INVAL);
	CU_ASSERT_EQUAL(journal_mpu_get(j, "s", 1, NULL), ERR_INVAL);
	CU_ASSERT_EQUAL(journal_mpu_due(j, T0, 0, due, 1, &k), ERR_INVAL);
	CU_ASSERT_EQUAL(journal_mpu_abort_result(j, "u",
	    JOURNAL_MPU_COMPLETED, 0, NULL, T0), ERR_INVAL);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM "
	    "multipart_uploads"), 0);
	journal_close(j);
}

int
test_journal_mpu_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("journal_mpu", tm_init, jfix_clean)) == NULL)
		return -1;
	if (CU_add_test(s, "one open upload per chunk",
	    one_open_upload_per_chunk) == NULL ||
	    CU_add_test(s, "aborts are scheduled, leased and bounded",
	    aborts_are_scheduled_leased_and_bounded) == NULL ||
	    CU_add_test(s, "a deletion makes open uploads due",
	    a_deletion_makes_open_uploads_due) == NULL ||
	    CU_add_test(s, "abandoning makes open uploads due",
	    abandoning_makes_open_uploads_due) == NULL ||
	    CU_add_test(s, "finalizing schedules open uploads",
	    finalizing_schedules_open_uploads) == NULL ||
	    CU_add_test(s, "finished uploads are purged in batches",
	    finished_uploads_are_purged_in_batches) == NULL ||
	    CU_add_test(s, "checksums and write-once are kept",
	    checksums_and_write_once_are_kept) == NULL ||
	    CU_add_test(s, "intents make creates recoverable",
	    intents_make_creates_recoverable) == NULL ||
	    CU_add_test(s, "bad arguments are refused",
	    bad_arguments_are_refused) == NULL)
		return -1;
	return 0;
}
