/*
 * test_journal_recordings.c: the journal's recordings calls
 * (lib/storage/journal_recording.c and journal_deletion.c, sql/003): the
 * keyset list, presign records and `missing`, and a deletion through its
 * phases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "log.h"
#include "manifest.h"
#include "jfix.h"
#include "unit.h"

/* The suite's temp directory and log level (jfix.c). */
static int
tr_init(void)
{
	return jfix_init("test_journal_recordings");
}

/* A fresh journal; its path into path. */
static struct journal *
tr_open(char *path, size_t pathsz)
{
	jfix_path(path, pathsz);
	return jfix_open(path);
}

static void
tr_session(struct journal *j, const char *owner, const char *id,
    int64_t created)
{
	CU_ASSERT_EQUAL(jfix_session(j, id, owner, created), ERR_OK);
}

static void
tr_chunk(struct journal *j, const char *id, int64_t seq)
{
	CU_ASSERT_EQUAL(jfix_complete(j, id, seq, T0, NULL), ERR_OK);
}

static void
test_jrec_list_pages_newest_first_and_stable(void)
{
	struct journal_session rows[4];
	struct journal_list_pos pos;
	struct journal *j;
	char path[300], id[32], seen[20];
	size_t n, i, total = 0;
	int k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j = tr_open(path, sizeof(path)));
	/* 10 sessions, two per millisecond (ties broken by id). */
	for (k = 0; k < 10; k++) {
		snprintf(id, sizeof(id), "s%02d", k);
		tr_session(j, OWNER, id, T0 + k / 2);
	}
	tr_session(j, OTHER, "other", T0 + 100);
	memset(seen, 0, sizeof(seen));
	CU_ASSERT_EQUAL(journal_list_sessions(j, OWNER, NULL, rows, 4, &n),
	    ERR_OK);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_STRING_EQUAL(rows[0].id, "s09");
	CU_ASSERT_STRING_EQUAL(rows[1].id, "s08");
	for (;;) {
		for (i = 0; i < n; i++) {
			CU_ASSERT_STRING_EQUAL(rows[i].owner, OWNER);
			k = atoi(rows[i].id + 1);
			CU_ASSERT(k >= 0 && k < 10 && !seen[k]);
			seen[k] = 1;
			total++;
		}
		if (n < 4)
			break;
		pos.created_ms = rows[n - 1].created_ms;
		snprintf(pos.id, sizeof(pos.id), "%s", rows[n - 1].id);
		/* Between pages: a new session (newer than every page) and
		 * the deletion of one not yet listed change nothing else. */
		if (total == 4) {
			tr_session(j, OWNER, "new", T0 + 50);
			CU_ASSERT_EQUAL(journal_delete_session(j, OWNER, "s00",
			    1000, 0, 0, T0, &(struct journal_delete_result){0}),
			    ERR_OK);
		}
		CU_ASSERT_EQUAL_FATAL(journal_list_sessions(j, OWNER, &pos,
		    rows, 4, &n), ERR_OK);
	}
	/* Deleting sessions are still listed (state deleting). */
	CU_ASSERT_EQUAL(total, 10);
	journal_close(j);
}

static void
test_jrec_missing_lists_presigned_not_completed(void)
{
	struct journal_snapshot *snap = NULL;
	struct journal *j;
	int64_t *missing = NULL;
	size_t nm = 0;
	char path[300];

	CU_ASSERT_PTR_NOT_NULL_FATAL(j = tr_open(path, sizeof(path)));
	tr_session(j, OWNER, "s", T0);
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 1, T0 + 300000,
	    30000, -1, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 3, T0 + 300000,
	    30000, -1, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 2, T0 + 300000,
	    30000, -1, T0), ERR_OK);
	/* A repeat within the slack is a read: the row keeps its expiry. */
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 2, T0 + 310000,
	    30000, -1, T0 + 10000), ERR_OK);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT expires_ms FROM presigns WHERE "
	    "seq = 2"), T0 + 300000);
	/* Beyond it, the expiry moves on. */
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 2, T0 + 400000,
	    30000, -1, T0 + 100000), ERR_OK);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT expires_ms FROM presigns WHERE "
	    "seq = 2"), T0 + 400000);
	CU_ASSERT_EQUAL(journal_note_presign(j, OTHER, "s", 4, T0 + 300000,
	    30000, -1, T0), ERR_NOT_FOUND);
	/* What presign reads first: the session and the recorded expiry. */
	{
		struct journal_session ss;
		int64_t rec = 0;

		CU_ASSERT_EQUAL(journal_get_session_presign(j, OWNER, "s", 2,
		    &ss, &rec), ERR_OK);
		CU_ASSERT_EQUAL(rec, T0 + 400000);
		CU_ASSERT_STRING_EQUAL(ss.id, "s");
		CU_ASSERT_EQUAL(journal_get_session_presign(j, OWNER, "s", 9,
		    &ss, &rec), ERR_OK);
		CU_ASSERT_EQUAL(rec, -1);
		CU_ASSERT_EQUAL(journal_get_session_presign(j, OTHER, "s", 2,
		    &ss, &rec), ERR_NOT_FOUND);
		/* Given the record, a repeat within the slack writes nothing
		 * (the stale value passed in is believed). */
		CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 2,
		    T0 + 410000, 30000, T0 + 400000, T0 + 110000), ERR_OK);
		CU_ASSERT_EQUAL(jfix_count(path, "SELECT expires_ms FROM presigns "
		    "WHERE seq = 2"), T0 + 400000);
	}
	tr_chunk(j, "s", 2);
	CU_ASSERT_EQUAL_FATAL(journal_read_recording(j, OWNER, "s", &snap,
	    &missing, &nm), ERR_OK);
	CU_ASSERT_EQUAL(nm, 2);
	if (nm == 2) {
		CU_ASSERT_EQUAL(missing[0], 1);
		CU_ASSERT_EQUAL(missing[1], 3);
	}
	CU_ASSERT_EQUAL(journal_snapshot_manifest(snap)->nchunks, 1);
	free(missing);
	journal_snapshot_free(snap);
	/* Presign's read gives the very session journal_get_session() does,
	 * finalized fields included. */
	{
		struct journal_finalize_result fr;
		struct journal_session a, b;
		int64_t rec;

		CU_ASSERT_EQUAL(journal_finalize(j, OWNER, "s", 10000,
		    "users/user-a/s/manifest.json", T0 + 200000, &fr), ERR_OK);
		CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "s", &a), ERR_OK);
		CU_ASSERT_EQUAL(journal_get_session_presign(j, OWNER, "s", 1, &b,
		    &rec), ERR_OK);
		CU_ASSERT(a.finalized && a.finalized_ms == T0 + 200000);
		CU_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
	}
	CU_ASSERT_EQUAL(journal_read_recording(j, OTHER, "s", &snap, &missing,
	    &nm), ERR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(snap);
	journal_close(j);
}

static void
test_jrec_delete_goes_through_its_phases(void)
{
	struct journal_delete_result d1, d2;
	struct journal_deletion del[4];
	struct journal_outbox_item item;
	struct journal_claim cl;
	struct journal_session s;
	struct journal_chunk c;
	struct journal_complete_result res;
	struct journal *j;
	char path[300];
	size_t n = 0;
	int waiting = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j = tr_open(path, sizeof(path)));
	tr_session(j, OWNER, "s", T0);
	tr_chunk(j, "s", 1);
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 2, T0 + 900000,
	    60000, -1, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_delete_session(j, OTHER, "s", 300000, 60000,
	    5000, T0 + 1000, &d1), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(journal_delete_session(j, OWNER, "s", 300000, 60000,
	    5000, T0 + 1000, &d1), ERR_OK);
	CU_ASSERT_EQUAL(d1.replayed, 0);
	/* The newest URL (T0 + 900 s) plus slack and margin. */
	CU_ASSERT_EQUAL(d1.recheck_ms, T0 + 900000 + 60000 + 5000);
	CU_ASSERT_EQUAL(journal_delete_session(j, OWNER, "s", 300000, 60000,
	    5000, T0 + 2000, &d2), ERR_OK);
	CU_ASSERT_EQUAL(d2.replayed, 1);
	CU_ASSERT_STRING_EQUAL(d2.event_id, d1.event_id);
	/* No more uploads, no manifest write left. */
	CU_ASSERT_EQUAL(journal_get_session(j, OWNER, "s", &s), ERR_NOT_FOUND);
	{
		int64_t rec;

		CU_ASSERT_EQUAL(journal_get_session_presign(j, OWNER, "s", 2,
		    &s, &rec), ERR_NOT_FOUND);
	}
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 3, T0 + 900000,
	    60000, -1, T0), ERR_NOT_FOUND);
	memset(&c, 0, sizeof(c));
	c.seq = 3;
	c.key = "k";
	c.t_start_ms = 0;
	c.t_end_ms = 1;
	c.bytes = 1;
	CU_ASSERT_EQUAL(journal_complete_chunk(j, OWNER, "s", &c, T0, &res),
	    ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "kind = 'manifest_write'"), 0);

	/* objects -> purge: RecordingDeleted is queued. */
	CU_ASSERT_EQUAL(journal_deletion_claim(j, "t:1", 60, T0 + 3000, del, 4,
	    &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(del[0].phase, JOURNAL_DELETION_OBJECTS);
	CU_ASSERT_EQUAL(journal_deletion_claim(j, "t:2", 60, T0 + 3000, del + 1,
	    3, &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 0);		/* leased */
	CU_ASSERT_EQUAL(journal_deletion_objects_done(j, &del[0], 2, T0 + 3000),
	    ERR_OK);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM outbox WHERE "
	    "detail_type = 'RecordingDeleted'"), 1);
	/* purge waits for the session's outbox (the chunk event and
	 * RecordingDeleted). */
	del[0].phase = JOURNAL_DELETION_PURGE;
	CU_ASSERT_EQUAL(journal_deletion_purge(j, &del[0], T0 + 4000,
	    &waiting), ERR_OK);
	CU_ASSERT_EQUAL(waiting, 1);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM sessions"), 1);
	for (;;) {
		memset(&cl, 0, sizeof(cl));
		cl.lease_owner = "t:1";
		cl.lease_seconds = 60;
		cl.now_ms = T0 + 5000;
		n = 0;
		CU_ASSERT_EQUAL_FATAL(journal_outbox_claim(j, &cl, &item, 1,
		    &n), ERR_OK);
		if (n == 0)
			break;
		CU_ASSERT_EQUAL(journal_outbox_done(j, &item, T0 + 5000),
		    ERR_OK);
		journal_outbox_items_free(&item, 1);
	}
	CU_ASSERT_EQUAL(journal_deletion_purge(j, &del[0], T0 + 6000,
	    &waiting), ERR_OK);
	CU_ASSERT_EQUAL(waiting, 0);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM sessions"), 0);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM chunks"), 0);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM presigns"), 0);
	CU_ASSERT_EQUAL(journal_delete_session(j, OWNER, "s", 300000, 60000,
	    5000, T0 + 7000, &d2), ERR_NOT_FOUND);
	/* The tombstone waits for the recheck time. */
	CU_ASSERT_EQUAL(journal_deletion_claim(j, "t:1", 60, T0 + 7000, del, 4,
	    &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(journal_deletion_claim(j, "t:1", 60, d1.recheck_ms, del,
	    4, &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(del[0].phase, JOURNAL_DELETION_RECHECK);
	CU_ASSERT_EQUAL(del[0].objects_deleted, 2);
	CU_ASSERT_EQUAL(journal_deletion_done(j, &del[0], 0), ERR_OK);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM deletions"), 0);
	journal_close(j);
}

static void
test_jrec_failed_deletion_retries_later(void)
{
	struct journal_delete_result d;
	struct journal_deletion del[2];
	struct journal *j;
	char path[300];
	size_t n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j = tr_open(path, sizeof(path)));
	tr_session(j, OWNER, "s", T0);
	CU_ASSERT_EQUAL(journal_delete_session(j, OWNER, "s", 1000, 100, 0, T0,
	    &d), ERR_OK);
	CU_ASSERT_EQUAL(journal_deletion_claim(j, "t:1", 60, T0, del, 2, &n),
	    ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(journal_deletion_fail(j, &del[0], "t:1", T0 + 5000,
	    "s3 down"), ERR_OK);
	CU_ASSERT_EQUAL(journal_deletion_claim(j, "t:1", 60, T0 + 4999, del, 2,
	    &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(journal_deletion_claim(j, "t:1", 60, T0 + 5000, del, 2,
	    &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(del[0].attempts, 2);
	journal_close(j);
}

/* The same answers from a journal and from its copy. */
static void
tr_same_session(struct journal *a, struct journal *b, const char *id)
{
	struct journal_snapshot *sa = NULL, *sb = NULL;
	char *ma = NULL, *mb = NULL;
	size_t la = 0, lb = 0;

	CU_ASSERT_EQUAL_FATAL(journal_read_snapshot(a, OWNER, id, &sa),
	    ERR_OK);
	CU_ASSERT_EQUAL_FATAL(journal_read_snapshot(b, OWNER, id, &sb),
	    ERR_OK);
	CU_ASSERT(memcmp(journal_snapshot_session(sa),
	    journal_snapshot_session(sb), sizeof(struct journal_session)) == 0);
	CU_ASSERT_EQUAL(manifest_render(journal_snapshot_manifest(sa), &ma,
	    &la), ERR_OK);
	CU_ASSERT_EQUAL(manifest_render(journal_snapshot_manifest(sb), &mb,
	    &lb), ERR_OK);
	CU_ASSERT(la == lb && ma != NULL && mb != NULL &&
	    memcmp(ma, mb, la) == 0);
	free(ma);
	free(mb);
	journal_snapshot_free(sa);
	journal_snapshot_free(sb);
}

/*
 * An SQLite journal copied into an empty one (PostgreSQL when the suite
 * runs with JFIX_PG): every session, manifest, missing seq, outbox row,
 * deletion and the cursor key come across; the copy takes new work after
 * the copied ids; a second copy into it is refused.
 */
static void
test_jrec_copy_moves_everything(void)
{
	unsigned char ka[JOURNAL_CURSOR_KEY_BYTES], kb[JOURNAL_CURSOR_KEY_BYTES];
	struct journal_outbox_stats oa, ob;
	struct journal_complete_result r;
	struct journal_finalize_result f;
	struct journal_outbox_item it[8];
	struct journal_claim c;
	struct journal *src, *dst;
	char spath[300], dpath[300];
	int64_t rows = 0, da = -1, db = -1, *missing = NULL, maxid;
	size_t n = 0, nm = 0;
	struct journal_snapshot *snap = NULL;

	jfix_side(spath, sizeof(spath), "copy-src.db", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(src = jfix_open(spath));
	tr_session(src, OWNER, "a", T0);
	tr_session(src, OWNER, "b", T0 + 1);
	tr_session(src, OWNER, "gone", T0 + 2);
	tr_chunk(src, "a", 1);
	tr_chunk(src, "a", 2);
	tr_chunk(src, "b", 1);
	CU_ASSERT_EQUAL(journal_note_presign(src, OWNER, "b", 2, T0 + 300000,
	    30000, -1, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_finalize(src, OWNER, "a", 10000,
	    "users/user-a/a/manifest.json", T0 + 100, &f), ERR_OK);
	CU_ASSERT_EQUAL(journal_delete_session(src, OWNER, "gone", 1000, 0, 0,
	    T0 + 200, &(struct journal_delete_result){0}), ERR_OK);
	c = jfix_claim("host:1", T0 + 300, JOURNAL_OUTBOX_EVENT);
	CU_ASSERT_EQUAL(journal_outbox_claim(src, &c, it, 1, &n), ERR_OK);
	journal_outbox_items_free(it, n);	/* one lease in flight */

	jfix_path(dpath, sizeof(dpath));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dst = jfix_open(dpath));
	CU_ASSERT_EQUAL(journal_copy(src, dst, &rows), ERR_OK);
	CU_ASSERT(rows >= 12);
	tr_same_session(src, dst, "a");
	tr_same_session(src, dst, "b");
	CU_ASSERT_EQUAL(journal_get_session(dst, OWNER, "gone",
	    &(struct journal_session){0}), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(journal_deletion_count(src, &da), ERR_OK);
	CU_ASSERT_EQUAL(journal_deletion_count(dst, &db), ERR_OK);
	CU_ASSERT(da == 1 && db == 1);
	CU_ASSERT_EQUAL(journal_outbox_stats(src, T0 + 400, &oa), ERR_OK);
	CU_ASSERT_EQUAL(journal_outbox_stats(dst, T0 + 400, &ob), ERR_OK);
	CU_ASSERT(memcmp(&oa, &ob, sizeof(oa)) == 0 && oa.pending > 0 &&
	    oa.leased == 1);
	CU_ASSERT_EQUAL(journal_cursor_key(src, ka), ERR_OK);
	CU_ASSERT_EQUAL(journal_cursor_key(dst, kb), ERR_OK);
	CU_ASSERT(memcmp(ka, kb, sizeof(ka)) == 0);
	CU_ASSERT_EQUAL(journal_read_recording(dst, OWNER, "b", &snap,
	    &missing, &nm), ERR_OK);
	CU_ASSERT(nm == 1 && missing != NULL && missing[0] == 2);
	free(missing);
	journal_snapshot_free(snap);
	/* A retry on the copy answers what the original answered. */
	CU_ASSERT_EQUAL(jfix_complete(dst, "b", 1, T0 + 500, &r), ERR_OK);
	CU_ASSERT_EQUAL(r.replayed, 1);
	/* New work gets ids after the copied ones. */
	maxid = jfix_count(dpath, "SELECT max(id) FROM outbox");
	CU_ASSERT_EQUAL(jfix_complete(dst, "b", 2, T0 + 600, &r), ERR_OK);
	CU_ASSERT_EQUAL(r.replayed, 0);
	CU_ASSERT(jfix_count(dpath, "SELECT max(id) FROM outbox") > maxid);
	/* Only into an empty journal. */
	CU_ASSERT_EQUAL(journal_copy(src, dst, &rows), ERR_CONFLICT);
	CU_ASSERT_EQUAL(rows, 0);
	journal_close(src);
	journal_close(dst);
}

int
test_journal_recordings_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("journal_recordings", tr_init, jfix_clean)) ==
	    NULL)
		return -1;
	if (CU_add_test(s, "list pages newest first and stays stable",
	    test_jrec_list_pages_newest_first_and_stable) == NULL ||
	    CU_add_test(s, "missing lists presigned, not completed seqs",
	    test_jrec_missing_lists_presigned_not_completed) == NULL ||
	    CU_add_test(s, "a deletion goes through its phases",
	    test_jrec_delete_goes_through_its_phases) == NULL ||
	    CU_add_test(s, "a failed deletion is retried later",
	    test_jrec_failed_deletion_retries_later) == NULL ||
	    CU_add_test(s, "a copy moves everything, into an empty journal",
	    test_jrec_copy_moves_everything) == NULL)
		return -1;
	return 0;
}
