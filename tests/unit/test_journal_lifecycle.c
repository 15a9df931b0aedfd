/*
 * test_journal_lifecycle.c: the journal's lifecycle calls
 * (lib/storage/journal_lifecycle.c, sql/008 and sql/pg/005): abandoned
 * sessions sealed once with their reason, retention's list, and the orphan
 * sweep's leased, resumable state and its lookups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "manifest.h"
#include "jfix.h"
#include "unit.h"

static int
tl_init(void)
{
	return jfix_init("test_journal_lifecycle");
}

static struct journal *
tl_open(void)
{
	char path[512];

	jfix_path(path, sizeof(path));
	return jfix_open(path);
}

/* An idle open session is sealed as abandoned once, with its event and
 * its manifest saying why; a finalized one and a busy one are not. */
static void
idle_open_session_is_abandoned_once(void)
{
	struct journal_abandoned a[8];
	struct journal_finalize_result fr;
	struct journal_outbox_item it[8];
	struct journal_claim cl;
	struct journal_snapshot *snap = NULL;
	const struct manifest *m;
	struct journal *j = tl_open();
	size_t n = 9, i, found = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(jfix_session(j, "idle", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL(jfix_complete(j, "idle", 1, T0 + 10, NULL), ERR_OK);
	CU_ASSERT_EQUAL(jfix_complete(j, "idle", 2, T0 + 20, NULL), ERR_OK);
	CU_ASSERT_EQUAL(jfix_session(j, "done", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_finalize(j, OWNER, "done", 1000, "m", T0 + 5,
	    &fr), ERR_OK);
	CU_ASSERT_EQUAL(jfix_session(j, "busy", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL(jfix_complete(j, "busy", 1, T0 + 5000, NULL), ERR_OK);
	/* Idle since before T0 + 1000: only "idle". */
	CU_ASSERT_EQUAL(journal_abandon_idle(j, T0 + 1000, 0, T0 + 6000, a, 8,
	    &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(a[0].session_id, "idle");
	CU_ASSERT_STRING_EQUAL(a[0].owner, OWNER);
	CU_ASSERT_EQUAL(a[0].chunk_count, 2);
	/* Sealed once. */
	CU_ASSERT_EQUAL(journal_abandon_idle(j, T0 + 1000, 0, T0 + 7000, a, 8,
	    &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL_FATAL(journal_read_snapshot(j, OWNER, "idle", &snap),
	    ERR_OK);
	m = journal_snapshot_manifest(snap);
	CU_ASSERT(m->final);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m->final_reason);
	CU_ASSERT_STRING_EQUAL(m->final_reason, "abandoned");
	CU_ASSERT_EQUAL(m->duration_ms, 10000);	/* its last chunk's end */
	journal_snapshot_free(snap);
	CU_ASSERT_EQUAL_FATAL(journal_read_snapshot(j, OWNER, "done", &snap),
	    ERR_OK);
	CU_ASSERT_PTR_NULL(journal_snapshot_manifest(snap)->final_reason);
	journal_snapshot_free(snap);
	/* Its RecordingFinalized says so. */
	cl = jfix_claim("t:1", T0 + 8000, JOURNAL_OUTBOX_EVENT);
	cl.session_id = "idle";
	CU_ASSERT_EQUAL_FATAL(journal_outbox_claim(j, &cl, it, 8, &n),
	    ERR_OK);
	for (i = 0; i < n; i++)
		if (strcmp(it[i].detail_type, "RecordingFinalized") == 0) {
			found++;
			CU_ASSERT_STRING_EQUAL(it[i].event_id, a[0].event_id);
			CU_ASSERT_PTR_NOT_NULL(strstr(it[i].payload,
			    "\"reason\":\"abandoned\""));
		}
	CU_ASSERT_EQUAL(found, 1);
	journal_outbox_items_free(it, n);
	journal_close(j);
}

/* An upload URL issued after the idle mark keeps the session open; one
 * issued before does not. */
static void
recent_upload_url_keeps_a_session_open(void)
{
	struct journal_abandoned a[4];
	struct journal *j = tl_open();
	size_t n = 9;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	/* Issued at T0 + 3000 with a 60 s lifetime. */
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 1,
	    T0 + 63000, 0, -1, T0 + 3000), ERR_OK);
	CU_ASSERT_EQUAL(journal_abandon_idle(j, T0 + 2000, 60000, T0 + 9000,
	    a, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(journal_abandon_idle(j, T0 + 4000, 60000, T0 + 9000,
	    a, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL(n, 1);
	journal_close(j);
}

/* Retention lists sessions created at or before the mark, oldest first,
 * and not those being deleted. */
static void
retention_lists_old_sessions_not_deleting(void)
{
	struct journal_session_ref r[4];
	struct journal_delete_result d;
	struct journal *j = tl_open();
	size_t n = 9;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(jfix_session(j, "b", OWNER, T0 + 100), ERR_OK);
	CU_ASSERT_EQUAL(jfix_session(j, "a", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL(jfix_session(j, "c", OWNER, T0 + 5000), ERR_OK);
	CU_ASSERT_EQUAL(journal_retention_due(j, T0 + 1000, r, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(r[0].session_id, "a");
	CU_ASSERT_STRING_EQUAL(r[1].session_id, "b");
	CU_ASSERT_STRING_EQUAL(r[1].owner, OWNER);
	CU_ASSERT_EQUAL(journal_delete_session(j, OWNER, "a", 1000, 0, 0,
	    T0 + 6000, &d), ERR_OK);
	CU_ASSERT_EQUAL(journal_retention_due(j, T0 + 1000, r, 4, &n), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(r[0].session_id, "b");
	journal_close(j);
}

/* One holder per round; a round resumes where the last one stopped; the
 * pass's counts move to the last pass's when it ends. */
static void
sweep_round_is_leased_and_resumes(void)
{
	struct journal_sweep_round r;
	struct journal_sweep_stats st;
	char after[LIMIT_S3_KEY_BYTES + 1];
	struct journal *j = tl_open();
	int got = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(journal_sweep_stats(j, &st), ERR_OK);
	CU_ASSERT_EQUAL(st.passes, 0);
	CU_ASSERT_EQUAL(journal_sweep_lease(j, "a:1", 30, T0, after, &got),
	    ERR_OK);
	CU_ASSERT_EQUAL_FATAL(got, 1);
	CU_ASSERT_STRING_EQUAL(after, "");
	CU_ASSERT_EQUAL(journal_sweep_lease(j, "b:2", 30, T0 + 1, after,
	    &got), ERR_OK);
	CU_ASSERT_EQUAL(got, 0);
	memset(&r, 0, sizeof(r));
	r.start_after = "users/u/audio/sessions/s/chunks/00003-010000-015000.webm";
	r.listed = 1000;
	r.orphans = 2;
	r.deleted = 2;
	r.mismatched = 1;
	r.next_round_ms = T0 + 10;
	/* Not the holder: ignored. */
	CU_ASSERT_EQUAL(journal_sweep_save(j, "b:2", &r, T0 + 2), ERR_OK);
	CU_ASSERT_EQUAL(journal_sweep_stats(j, &st), ERR_OK);
	CU_ASSERT_EQUAL(st.listed, 0);
	CU_ASSERT_EQUAL(journal_sweep_save(j, "a:1", &r, T0 + 2), ERR_OK);
	/* Not due before next_round_ms. */
	CU_ASSERT_EQUAL(journal_sweep_lease(j, "b:2", 30, T0 + 5, after,
	    &got), ERR_OK);
	CU_ASSERT_EQUAL(got, 0);
	CU_ASSERT_EQUAL(journal_sweep_lease(j, "b:2", 30, T0 + 10, after,
	    &got), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(got, 1);
	CU_ASSERT_STRING_EQUAL(after, r.start_after);
	memset(&r, 0, sizeof(r));
	r.listed = 10;
	r.pass_done = 1;
	r.next_round_ms = T0 + 3600000;
	CU_ASSERT_EQUAL(journal_sweep_save(j, "b:2", &r, T0 + 20), ERR_OK);
	CU_ASSERT_EQUAL(journal_sweep_stats(j, &st), ERR_OK);
	CU_ASSERT_EQUAL(st.passes, 1);
	CU_ASSERT_EQUAL(st.deleted, 2);
	CU_ASSERT_EQUAL(st.last_listed, 1010);
	CU_ASSERT_EQUAL(st.last_orphans, 2);
	CU_ASSERT_EQUAL(st.last_mismatched, 1);
	CU_ASSERT_EQUAL(st.listed, 0);
	CU_ASSERT_EQUAL(st.last_pass_ms, T0 + 20);
	CU_ASSERT_STRING_EQUAL(st.start_after, "");
	journal_close(j);
}

/* What the sweep learns of a listed object. */
static void
sweep_lookup_knows_chunks_presigns_and_deletions(void)
{
	struct journal_sweep_facts f;
	struct journal_delete_result d;
	char key[128];
	struct journal *j = tl_open();

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 2, T0 + 60000, 0,
	    -1, T0), ERR_OK);
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 1, T0 + 10, NULL), ERR_OK);
	CU_ASSERT_EQUAL(journal_sweep_lookup(j, "s", 1, &f), ERR_OK);
	(void)jfix_chunk(1, key, sizeof(key));
	CU_ASSERT(f.session && !f.deleting && !f.deletion && f.chunk);
	CU_ASSERT_STRING_EQUAL(f.owner, OWNER);
	CU_ASSERT_STRING_EQUAL(f.chunk_key, key);
	CU_ASSERT_EQUAL(f.chunk_bytes, 1001);
	CU_ASSERT_EQUAL(f.url_expires_ms, T0 + 60000);
	CU_ASSERT_EQUAL(journal_sweep_lookup(j, "s", 2, &f), ERR_OK);
	CU_ASSERT(f.session && !f.chunk);
	CU_ASSERT_EQUAL(f.seq_expires_ms, T0 + 60000);
	CU_ASSERT_EQUAL(journal_sweep_lookup(j, "nope", 1, &f), ERR_OK);
	CU_ASSERT(!f.session && !f.deletion && !f.chunk);
	CU_ASSERT_EQUAL(journal_delete_session(j, OWNER, "s", 1000, 0, 0,
	    T0 + 100, &d), ERR_OK);
	CU_ASSERT_EQUAL(journal_sweep_lookup(j, "s", 1, &f), ERR_OK);
	CU_ASSERT(f.session && f.deleting && f.deletion);
	journal_close(j);
}

/* The sweep claims a chunk it judged an orphan only if the journal still
 * says so; while claimed, nothing makes the chunk known or hands out a URL
 * for its seq; dropped or expired, everything works again. */
static void
sweep_claim_holds_off_complete_presign_and_upsert(void)
{
	struct journal_sweep_pick p[2];
	struct journal_upsert_result ur;
	struct journal_chunk c;
	char key[128];
	struct journal *j = tl_open();

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	/* Seqs 1 and 2 presigned, their URLs run out at T0 + 1000. */
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 1, T0 + 1000, 0,
	    -1, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 2, T0 + 1000, 0,
	    -1, T0), ERR_OK);
	memset(p, 0, sizeof(p));
	p[0].session_id = "s";
	p[0].seq = 1;
	p[1].session_id = "s";
	p[1].seq = 2;
	CU_ASSERT_EQUAL(journal_sweep_lookup(j, "s", 1, &p[0].judged), ERR_OK);
	CU_ASSERT_EQUAL(journal_sweep_lookup(j, "s", 2, &p[1].judged), ERR_OK);
	/* Seq 2 completed between the judgement and the claim: not
	 * claimed. */
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 2, T0 + 5000, NULL), ERR_OK);
	CU_ASSERT_EQUAL(journal_sweep_claim(j, "d:1", T0 + 30000, p, 2),
	    ERR_OK);
	CU_ASSERT_EQUAL(p[0].claimed, 1);
	CU_ASSERT_EQUAL(p[1].claimed, 0);
	/* Seq 1 claimed: complete, upsert and a new URL are refused. */
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 1, T0 + 6000, NULL), ERR_BUSY);
	c = jfix_chunk(1, key, sizeof(key));
	CU_ASSERT_EQUAL(journal_upsert_manifest(j, OWNER, "s", &c, 1,
	    T0 + 6000, &ur), ERR_BUSY);
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 1, T0 + 66000, 0,
	    -1, T0 + 6000), ERR_BUSY);
	/* Another seq is not held. */
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 3, T0 + 6000, NULL), ERR_OK);
	/* Expired: no longer held (the claim's lease ran out). */
	CU_ASSERT_EQUAL(journal_note_presign(j, OWNER, "s", 1, T0 + 96000, 0,
	    -1, T0 + 30000), ERR_OK);
	/* Claimed again, then dropped after the delete: complete works. */
	CU_ASSERT_EQUAL(journal_sweep_lookup(j, "s", 1, &p[0].judged), ERR_OK);
	CU_ASSERT_EQUAL(journal_sweep_claim(j, "d:1", T0 + 60000, p, 1),
	    ERR_OK);
	CU_ASSERT_EQUAL(p[0].claimed, 1);
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 1, T0 + 31000, NULL), ERR_BUSY);
	CU_ASSERT_EQUAL(journal_sweep_unclaim(j, "d:1", T0 + 31000), ERR_OK);
	CU_ASSERT_EQUAL(jfix_complete(j, "s", 1, T0 + 32000, NULL), ERR_OK);
	/* A known chunk is never claimed. */
	CU_ASSERT_EQUAL(journal_sweep_claim(j, "d:1", T0 + 90000, p, 1),
	    ERR_OK);
	CU_ASSERT_EQUAL(p[0].claimed, 0);
	CU_ASSERT_EQUAL(journal_sweep_claim(j, "", T0, p, 1), ERR_INVAL);
	journal_close(j);
}

int
test_journal_lifecycle_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("journal_lifecycle", tl_init, jfix_clean)) ==
	    NULL)
		return -1;
	if (CU_add_test(s, "an idle open session is abandoned once",
	    idle_open_session_is_abandoned_once) == NULL ||
	    CU_add_test(s, "a recent upload URL keeps a session open",
	    recent_upload_url_keeps_a_session_open) == NULL ||
	    CU_add_test(s, "retention lists old sessions, not deleting ones",
	    retention_lists_old_sessions_not_deleting) == NULL ||
	    CU_add_test(s, "a sweep round is leased and resumes",
	    sweep_round_is_leased_and_resumes) == NULL ||
	    CU_add_test(s, "the sweep's lookup knows chunks and presigns",
	    sweep_lookup_knows_chunks_presigns_and_deletions) == NULL ||
	    CU_add_test(s, "a sweep claim holds off complete, presign, upsert",
	    sweep_claim_holds_off_complete_presign_and_upsert) == NULL)
		return -1;
	return 0;
}
