/*
 * journal_sqlite_sql.c: every statement of the SQLite driver, by id.
 *
 * The logic files name statements by id (journal_int.h); this table and
 * journal_pg_sql.c say each one in their dialect, so the whole of what
 * the journal asks SQLite reads in one place.  Parameters are ?N.
 */
#include <stddef.h>

#include "journal_int.h"

const char *const journal_sqlite_sql[JS__MAX] = {
	[JS_USER_VERSION] = "PRAGMA user_version",
	[JS_SESSION_GET] =
	    "SELECT id, owner, codec, sample_rate, chunk_seconds, user_agent,"
	    " created_ms, updated_ms, finalized, duration_ms, chunk_count,"
	    " total_bytes, t_min_ms, t_max_ms, revision, synced_revision,"
	    " final_event_id, deleting_ms, finalized_ms, final_chunk_count,"
	    " final_total_bytes FROM sessions WHERE id = ?1",
	/* BEGIN IMMEDIATE already holds the file's write lock. */
	[JS_SESSION_LOCK] =
	    "SELECT id, owner, codec, sample_rate, chunk_seconds, user_agent,"
	    " created_ms, updated_ms, finalized, duration_ms, chunk_count,"
	    " total_bytes, t_min_ms, t_max_ms, revision, synced_revision,"
	    " final_event_id, deleting_ms, finalized_ms, final_chunk_count,"
	    " final_total_bytes FROM sessions WHERE id = ?1",
	[JS_SESSION_INSERT] =
	    "INSERT INTO sessions (id, owner, codec, sample_rate,"
	    " chunk_seconds, user_agent, created_ms, updated_ms)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
	    " ON CONFLICT (id) DO NOTHING",
	[JS_SESSION_ADD_CHUNK] =
	    "UPDATE sessions SET chunk_count = chunk_count + 1,"
	    " total_bytes = total_bytes + ?2,"
	    " t_min_ms = min(coalesce(t_min_ms, ?3), ?3),"
	    " t_max_ms = max(coalesce(t_max_ms, ?4), ?4)"
	    " WHERE id = ?1",
	[JS_SESSION_BUMP] =
	    "UPDATE sessions SET revision = revision + 1,"
	    " updated_ms = max(updated_ms, ?2) WHERE id = ?1",
	[JS_SESSION_FINALIZE] =
	    "UPDATE sessions SET finalized = 1, duration_ms = ?2,"
	    " final_event_id = ?3, finalized_ms = ?4,"
	    " final_chunk_count = chunk_count, final_total_bytes = total_bytes,"
	    " final_reason = ?5 WHERE id = ?1 AND finalized = 0",
	[JS_SESSION_SYNC] =
	    "UPDATE sessions SET synced_revision = ?2"
	    " WHERE id = ?1 AND ?2 > synced_revision AND ?2 <= revision",
	[JS_CHUNK_GET] =
	    "SELECT key, t_start_ms, t_end_ms, bytes, md5, sha256, event_id,"
	    " ack_chunk_count, ack_total_bytes, ack_duration_ms, ack_revision"
	    " FROM chunks WHERE session_id = ?1 AND seq = ?2",
	[JS_CHUNK_INSERT] =
	    "INSERT INTO chunks (session_id, seq, key, t_start_ms, t_end_ms,"
	    " bytes, md5, sha256, uploaded_ms, verified, etag)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10)",
	[JS_CHUNK_ADOPT] =
	    "UPDATE chunks SET event_id = ?3, md5 = coalesce(md5, ?4),"
	    " sha256 = coalesce(sha256, ?5), ack_chunk_count = ?6,"
	    " ack_total_bytes = ?7, ack_duration_ms = ?8, ack_revision = ?9,"
	    " etag = coalesce(?10, etag)"
	    " WHERE session_id = ?1 AND seq = ?2",
	/* The session's columns (JS_SESSION_GET's) then one chunk's, a row
	 * per chunk by seq (one row of NULL chunk columns when it has none):
	 * one statement, so the revision and the chunks are one state. */
	[JS_SNAPSHOT] =
	    "SELECT s.id, s.owner, s.codec, s.sample_rate, s.chunk_seconds,"
	    " s.user_agent, s.created_ms, s.updated_ms, s.finalized,"
	    " s.duration_ms, s.chunk_count, s.total_bytes, s.t_min_ms,"
	    " s.t_max_ms, s.revision, s.synced_revision, s.final_event_id,"
	    " s.deleting_ms, s.finalized_ms, s.final_chunk_count,"
	    " s.final_total_bytes, c.seq, c.key, c.t_start_ms, c.t_end_ms,"
	    " c.bytes, c.uploaded_ms, c.md5, c.sha256, c.etag FROM sessions s"
	    " LEFT JOIN chunks c ON c.session_id = s.id WHERE s.id = ?1"
	    " ORDER BY c.seq",
	[JS_OUTBOX_EVENT] =
	    "INSERT INTO outbox (kind, session_id, detail_type, event_id,"
	    " payload, next_attempt_ms, created_ms)"
	    " VALUES ('event', ?1, ?2, ?3, ?4, ?5, ?5)",
	/* One manifest_write row per session: a new change makes the row due
	 * now (the API attempts right after its commit) and revives it if it
	 * was parked dead, since the newest revision is new work. */
	[JS_OUTBOX_MANIFEST] =
	    "INSERT INTO outbox (kind, session_id, next_attempt_ms, created_ms)"
	    " VALUES ('manifest_write', ?1, ?2, ?2)"
	    " ON CONFLICT (session_id) WHERE kind = 'manifest_write'"
	    " DO UPDATE SET"
	    " next_attempt_ms = CASE WHEN dead THEN excluded.next_attempt_ms"
	    "  ELSE min(next_attempt_ms, excluded.next_attempt_ms) END,"
	    " attempts = CASE WHEN dead THEN 0 ELSE attempts END,"
	    " reason = CASE WHEN dead THEN NULL ELSE reason END,"
	    " dead = 0",
	[JS_OUTBOX_DUE] =
	    "SELECT id FROM outbox WHERE dead = 0 AND next_attempt_ms <= ?1"
	    " AND (lease_owner IS NULL OR lease_expires_ms <= ?1)"
	    " AND (?3 IS NULL OR kind = ?3)"
	    " ORDER BY next_attempt_ms, id LIMIT ?4",
	/* The same for one session, through its index (sql/002). */
	[JS_OUTBOX_DUE_SESSION] =
	    "SELECT id FROM outbox WHERE session_id = ?2 AND dead = 0"
	    " AND next_attempt_ms <= ?1"
	    " AND (lease_owner IS NULL OR lease_expires_ms <= ?1)"
	    " AND (?3 IS NULL OR kind = ?3)"
	    " ORDER BY next_attempt_ms, id LIMIT ?4",
	[JS_OUTBOX_LEASE] =
	    "UPDATE outbox SET lease_owner = ?2, lease_expires_ms = ?3,"
	    " attempts = attempts + 1 WHERE id = ?1"
	    " RETURNING kind, session_id, detail_type, event_id, payload,"
	    " attempts, created_ms",
	[JS_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id = ?1",
	/* A manifest write that went out while the session moved on: due
	 * again now, unless someone else has taken the lease since. */
	[JS_OUTBOX_REPEND] =
	    "UPDATE outbox SET lease_owner = NULL, lease_expires_ms = 0,"
	    " next_attempt_ms = ?3, attempts = 0, reason = NULL,"
	    " created_ms = ?3 WHERE id = ?1"
	    " AND (lease_owner IS NULL OR lease_owner = ?2)",
	[JS_OUTBOX_FAIL] =
	    "UPDATE outbox SET lease_owner = NULL, lease_expires_ms = 0,"
	    " next_attempt_ms = ?3, reason = ?4 WHERE id = ?1"
	    " AND (lease_owner IS NULL OR lease_owner = ?2)",
	[JS_OUTBOX_DEAD] =
	    "UPDATE outbox SET lease_owner = NULL, lease_expires_ms = 0,"
	    " dead = 1, reason = ?3 WHERE id = ?1"
	    " AND (lease_owner IS NULL OR lease_owner = ?2)",
	[JS_OUTBOX_REQUEUE] =
	    "UPDATE outbox SET dead = 0, attempts = 0, next_attempt_ms = ?2,"
	    " reason = NULL WHERE dead = 1 AND (?1 = 0 OR id = ?1)",
	[JS_OUTBOX_STATS] =
	    "SELECT coalesce(sum(dead = 0), 0),"
	    " coalesce(sum(dead = 0 AND lease_owner IS NOT NULL"
	    "  AND lease_expires_ms > ?1), 0),"
	    " coalesce(sum(dead = 1), 0),"
	    " min(CASE WHEN dead = 0 THEN created_ms END) FROM outbox",
	[JS_OUTBOX_LIST] =
	    "SELECT id, kind, session_id, detail_type, event_id, attempts,"
	    " dead, created_ms, next_attempt_ms, reason FROM outbox"
	    " WHERE (?1 = 0 OR dead = 1) ORDER BY id LIMIT ?2",
	/* Recordings (sql/003).  Both list forms walk sessions_owner_created
	 * backwards; the row-value comparison is the keyset position. */
	/* The session and the recorded expiry of one seq's presign in one
	 * statement: presign reads both, in one read transaction. */
	[JS_SESSION_GET_SEQ] =
	    "SELECT id, owner, codec, sample_rate, chunk_seconds, user_agent,"
	    " created_ms, updated_ms, finalized, duration_ms, chunk_count,"
	    " total_bytes, t_min_ms, t_max_ms, revision, synced_revision,"
	    " final_event_id, deleting_ms, finalized_ms, final_chunk_count,"
	    " final_total_bytes, (SELECT expires_ms FROM presigns"
	    " WHERE session_id = ?1 AND seq = ?2) FROM sessions WHERE id = ?1",
	[JS_SESSION_LIST_FIRST] =
	    "SELECT id, owner, codec, sample_rate, chunk_seconds, user_agent,"
	    " created_ms, updated_ms, finalized, duration_ms, chunk_count,"
	    " total_bytes, t_min_ms, t_max_ms, revision, synced_revision,"
	    " final_event_id, deleting_ms, finalized_ms, final_chunk_count,"
	    " final_total_bytes FROM sessions WHERE owner = ?1"
	    " ORDER BY created_ms DESC, id DESC LIMIT ?2",
	[JS_SESSION_LIST_AFTER] =
	    "SELECT id, owner, codec, sample_rate, chunk_seconds, user_agent,"
	    " created_ms, updated_ms, finalized, duration_ms, chunk_count,"
	    " total_bytes, t_min_ms, t_max_ms, revision, synced_revision,"
	    " final_event_id, deleting_ms, finalized_ms, final_chunk_count,"
	    " final_total_bytes FROM sessions WHERE owner = ?1"
	    " AND (created_ms, id) < (?3, ?4)"
	    " ORDER BY created_ms DESC, id DESC LIMIT ?2",
	[JS_SESSION_DELETING] =
	    "UPDATE sessions SET deleting_ms = ?2, updated_ms ="
	    " max(updated_ms, ?2) WHERE id = ?1 AND deleting_ms IS NULL",
	[JS_SESSION_PRESIGNED] =
	    "UPDATE sessions SET presign_count = presign_count + 1"
	    " WHERE id = ?1 AND presign_count < ?2",
	[JS_PRESIGN_GET] =
	    "SELECT expires_ms FROM presigns WHERE session_id = ?1 AND seq = ?2",
	[JS_PRESIGN_INSERT] =
	    "INSERT INTO presigns (session_id, seq, created_ms, expires_ms)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[JS_PRESIGN_EXTEND] =
	    "UPDATE presigns SET expires_ms = max(expires_ms, ?3)"
	    " WHERE session_id = ?1 AND seq = ?2",
	[JS_PRESIGN_MAX] =
	    "SELECT max(expires_ms) FROM presigns WHERE session_id = ?1",
	[JS_MISSING] =
	    "SELECT p.seq FROM presigns p WHERE p.session_id = ?1"
	    " AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.session_id = ?1"
	    " AND c.seq = p.seq) ORDER BY p.seq LIMIT ?2",
	[JS_OUTBOX_DROP_MANIFEST] =
	    "DELETE FROM outbox WHERE session_id = ?1"
	    " AND kind = 'manifest_write'",
	[JS_OUTBOX_ANY_SESSION] =
	    "SELECT 1 FROM outbox WHERE session_id = ?1 LIMIT 1",
	[JS_PURGE_PRESIGNS] = "DELETE FROM presigns WHERE session_id = ?1",
	[JS_PURGE_CHUNKS] = "DELETE FROM chunks WHERE session_id = ?1",
	[JS_PURGE_SESSION] = "DELETE FROM sessions WHERE id = ?1",
	[JS_DELETION_INSERT] =
	    "INSERT INTO deletions (session_id, owner, event_id, phase,"
	    " requested_ms, recheck_ms, next_attempt_ms)"
	    " VALUES (?1, ?2, ?3, 'objects', ?4, ?5, ?4)",
	[JS_DELETION_GET] =
	    "SELECT event_id, requested_ms, recheck_ms, phase FROM deletions"
	    " WHERE session_id = ?1",
	[JS_DELETION_DUE] =
	    "SELECT session_id FROM deletions WHERE next_attempt_ms <= ?1"
	    " AND (lease_owner IS NULL OR lease_expires_ms <= ?1)"
	    " ORDER BY next_attempt_ms LIMIT ?2",
	[JS_DELETION_LEASE] =
	    "UPDATE deletions SET lease_owner = ?2, lease_expires_ms = ?3,"
	    " attempts = attempts + 1 WHERE session_id = ?1"
	    " RETURNING owner, event_id, phase, requested_ms, recheck_ms,"
	    " objects_deleted, attempts",
	[JS_DELETION_PHASE] =
	    "UPDATE deletions SET phase = ?2, next_attempt_ms = ?3,"
	    " objects_deleted = objects_deleted + ?4, attempts = 0,"
	    " lease_owner = NULL, lease_expires_ms = 0, reason = NULL"
	    " WHERE session_id = ?1",
	[JS_DELETION_FAIL] =
	    "UPDATE deletions SET lease_owner = NULL, lease_expires_ms = 0,"
	    " next_attempt_ms = ?3, reason = ?4 WHERE session_id = ?1"
	    " AND (lease_owner IS NULL OR lease_owner = ?2)",
	[JS_DELETION_DELETE] = "DELETE FROM deletions WHERE session_id = ?1",
	[JS_DELETION_COUNT] = "SELECT count(*) FROM deletions",
	[JS_CURSOR_KEY] = "SELECT value FROM secrets WHERE name = 'cursor'",
	/* Leases of a holder known to be gone (fcgi: its process died). */
	[JS_OUTBOX_LEASE_OWNER] =
	    "SELECT lease_owner FROM outbox WHERE session_id = ?1"
	    " AND kind = ?2 AND dead = 0 AND lease_owner IS NOT NULL"
	    " AND lease_expires_ms > ?3 LIMIT 1",
	[JS_OUTBOX_RELEASE_OWNER] =
	    "UPDATE outbox SET lease_owner = NULL, lease_expires_ms = 0"
	    " WHERE lease_owner = ?1 AND lease_expires_ms > ?2",
	[JS_DELETION_RELEASE_OWNER] =
	    "UPDATE deletions SET lease_owner = NULL, lease_expires_ms = 0"
	    " WHERE lease_owner = ?1 AND lease_expires_ms > ?2",
	/* One writer per user at a time: BEGIN IMMEDIATE already is. */
	[JS_USER_LOCK] = NULL,
	/* Per-user limits (journal_create_session): open sessions active
	 * since ?2, and creations since ?3 with the oldest of them. */
	[JS_USER_COUNTS] =
	    "SELECT coalesce(sum(finalized = 0 AND deleting_ms IS NULL"
	    " AND updated_ms >= ?2), 0), coalesce(sum(created_ms >= ?3), 0),"
	    " min(CASE WHEN created_ms >= ?3 THEN created_ms END)"
	    " FROM sessions WHERE owner = ?1",
	/* After journal_copy(): AUTOINCREMENT kept up with the ids. */
	[JS_COPY_FINISH] = NULL,
	/* The manifest fence (sql/005): an older revision's ETag never
	 * replaces a newer one's. */
	[JS_MANIFEST_ETAG_GET] =
	    "SELECT manifest_etag FROM sessions WHERE id = ?1",
	[JS_MANIFEST_ETAG_SET] =
	    "UPDATE sessions SET manifest_etag = ?2,"
	    " manifest_etag_revision = ?3"
	    " WHERE id = ?1 AND ?3 >= manifest_etag_revision",
	/* Multipart uploads (sql/006). */
	[JS_MPU_GET] =
	    "SELECT upload_id, session_id, seq, key, size_bytes, part_bytes, state, created_ms, abort_at_ms, attempts, reason, sha256, write_once"
	    " FROM multipart_uploads WHERE session_id = ?1 AND seq = ?2"
	    " ORDER BY created_ms DESC, upload_id LIMIT 1",
	[JS_MPU_INSERT] =
	    "INSERT INTO multipart_uploads (upload_id, session_id, seq, key,"
	    " size_bytes, part_bytes, state, created_ms, sha256, part_sha256,"
	    " write_once, abort_at_ms)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?8, ?9, ?10, ?11)",
	[JS_MPU_PART_SHA256] =
	    "SELECT part_sha256 FROM multipart_uploads WHERE upload_id = ?1",
	[JS_MPU_REPLACE] =
	    "UPDATE multipart_uploads SET state = 'aborting', abort_at_ms = ?2"
	    " WHERE upload_id = ?1 AND state = 'open'",
	[JS_MPU_COMPLETED] =
	    "UPDATE multipart_uploads SET state = 'completed',"
	    " abort_at_ms = NULL, finished_ms = coalesce(finished_ms, ?2)"
	    " WHERE upload_id = ?1"
	    " AND state IN ('open', 'aborting', 'completed')",
	[JS_MPU_ABORT_SESSION] =
	    "UPDATE multipart_uploads SET abort_at_ms = ?2"
	    " WHERE session_id = ?1 AND state = 'open'"
	    " AND (abort_at_ms IS NULL OR abort_at_ms > ?2)",
	[JS_MPU_DUE] =
	    "SELECT upload_id, session_id, seq, key, size_bytes, part_bytes, state, created_ms, abort_at_ms, attempts, reason, sha256, write_once"
	    " FROM multipart_uploads WHERE abort_at_ms IS NOT NULL"
	    " AND abort_at_ms <= ?1 AND state IN ('open', 'aborting')"
	    " ORDER BY abort_at_ms LIMIT ?2",
	[JS_MPU_LEASE] =
	    "UPDATE multipart_uploads SET abort_at_ms = ?3"
	    " WHERE upload_id = ?1 AND abort_at_ms <= ?2"
	    " AND state IN ('open', 'aborting')",
	[JS_MPU_RESULT] =
	    "UPDATE multipart_uploads SET state = ?2, abort_at_ms = ?3,"
	    " attempts = attempts + 1, reason = ?4,"
	    " finished_ms = CASE WHEN ?2 IN ('aborted', 'failed')"
	    " THEN ?5 END"
	    " WHERE upload_id = ?1 AND state IN ('open', 'aborting')",
	/* Rows finished at or before ?1 (sql/009, pg/006), ?2 at most,
	 * oldest first: a bounded delete however many wait. */
	[JS_MPU_PURGE] =
	    "DELETE FROM multipart_uploads WHERE upload_id IN"
	    " (SELECT upload_id FROM multipart_uploads"
	    " WHERE finished_ms IS NOT NULL AND finished_ms <= ?1"
	    " ORDER BY finished_ms LIMIT ?2)",
	/* Intents of CreateMultipartUpload (sql/012, pg/009). */
	[JS_MPU_INTENT_ADD] =
	    "INSERT INTO multipart_intents (id, session_id, seq, key,"
	    " created_ms, next_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[JS_MPU_INTENT_DROP] =
	    "DELETE FROM multipart_intents WHERE id = ?1",
	[JS_MPU_INTENT_DUE] =
	    "SELECT id, session_id, seq, key, created_ms, attempts"
	    " FROM multipart_intents WHERE next_ms <= ?1"
	    " ORDER BY next_ms LIMIT ?2",
	[JS_MPU_INTENT_LEASE] =
	    "UPDATE multipart_intents SET next_ms = ?3"
	    " WHERE id = ?1 AND next_ms <= ?2",
	[JS_MPU_INTENT_RETRY] =
	    "UPDATE multipart_intents SET next_ms = ?2,"
	    " attempts = attempts + 1, reason = ?3 WHERE id = ?1",
	/* Does the journal know upload ?1 (a row), or may another
	 * presign of the chunk (?2, ?3) still be recording it (an
	 * intent other than ?4 made at or after ?5)? */
	[JS_MPU_KNOWN] =
	    "SELECT (SELECT count(*) FROM multipart_uploads"
	    "  WHERE upload_id = ?1),"
	    " (SELECT count(*) FROM multipart_intents WHERE session_id = ?2"
	    "  AND seq = ?3 AND id <> ?4 AND created_ms >= ?5)",
	/* Lifecycle (sql/008): open sessions idle since ?1 with no upload
	 * URL issued since then (a URL's expiry less the URL lifetime, ?2),
	 * oldest first; sessions created before ?1, for retention. */
	[JS_SESSION_IDLE] =
	    "SELECT id, owner, coalesce(t_max_ms, 0) FROM sessions"
	    " WHERE finalized = 0 AND deleting_ms IS NULL AND updated_ms <= ?1"
	    " AND NOT EXISTS (SELECT 1 FROM presigns p"
	    " WHERE p.session_id = sessions.id AND p.expires_ms > ?2)"
	    " ORDER BY updated_ms LIMIT ?3",
	[JS_SESSION_OLD] =
	    "SELECT id, owner FROM sessions WHERE deleting_ms IS NULL"
	    " AND created_ms <= ?1 ORDER BY created_ms LIMIT ?2",
	[JS_SESSION_FINAL_REASON] =
	    "SELECT final_reason FROM sessions WHERE id = ?1",
	/* The orphan sweep's row: made by the first sweep, leased for one
	 * round (one listed page) at a time. */
	[JS_SWEEP_INIT] =
	    "INSERT INTO sweep (id) VALUES (1) ON CONFLICT (id) DO NOTHING",
	[JS_SWEEP_LEASE] =
	    "UPDATE sweep SET lease_owner = ?2, lease_expires_ms = ?3,"
	    " pass_started_ms = CASE WHEN start_after = '' AND listed = 0"
	    "  THEN ?1 ELSE pass_started_ms END"
	    " WHERE id = 1 AND next_round_ms <= ?1"
	    " AND (lease_owner IS NULL OR lease_expires_ms <= ?1)"
	    " RETURNING start_after, pass_started_ms",
	/* One round done: where the next resumes, what it counted. */
	[JS_SWEEP_SAVE] =
	    "UPDATE sweep SET start_after = ?2, listed = listed + ?3,"
	    " orphans = orphans + ?4, mismatched = mismatched + ?5,"
	    " deleted = deleted + ?6, next_round_ms = ?7,"
	    " lease_owner = NULL, lease_expires_ms = 0"
	    " WHERE id = 1 AND lease_owner = ?1",
	/* The pass's last round: its counts become the last pass's. */
	[JS_SWEEP_DONE] =
	    "UPDATE sweep SET start_after = '', passes = passes + 1,"
	    " last_listed = listed + ?3, last_orphans = orphans + ?4,"
	    " last_mismatched = mismatched + ?5, deleted = deleted + ?6,"
	    " listed = 0, orphans = 0, mismatched = 0, last_pass_ms = ?2,"
	    " next_round_ms = ?7, lease_owner = NULL, lease_expires_ms = 0"
	    " WHERE id = 1 AND lease_owner = ?1",
	[JS_SWEEP_STATS] =
	    "SELECT passes, deleted, listed, orphans, mismatched, last_listed,"
	    " last_orphans, last_mismatched, last_pass_ms, pass_started_ms,"
	    " start_after FROM sweep WHERE id = 1",
	/* What the journal knows of one listed key: its session (owner,
	 * deleting), a deletion of it, the chunk of its seq (key, bytes),
	 * that seq's newest upload URL expiry, the session's, and the
	 * chunk's ETag (sql/007); NULLs where there is none. */
	/* The sweep's claim on a chunk it is about to delete (sql/011,
	 * pg/008): taken or moved on to this round's lease; dropped with
	 * the round (and every expired one); and the check of the calls
	 * that make a chunk known. */
	[JS_SWEEP_CLAIM] =
	    "INSERT INTO sweep_claims (session_id, seq, lease_owner, expires_ms)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (session_id, seq)"
	    " DO UPDATE SET lease_owner = excluded.lease_owner,"
	    " expires_ms = excluded.expires_ms",
	[JS_SWEEP_UNCLAIM] =
	    "DELETE FROM sweep_claims WHERE lease_owner = ?1"
	    " OR expires_ms <= ?2",
	[JS_SWEEP_CLAIMED] =
	    "SELECT expires_ms FROM sweep_claims WHERE session_id = ?1"
	    " AND seq = ?2 AND expires_ms > ?3",
	[JS_SWEEP_SESSION] =
	    "SELECT (SELECT owner FROM sessions WHERE id = ?1),"
	    " (SELECT deleting_ms FROM sessions WHERE id = ?1),"
	    " (SELECT 1 FROM deletions WHERE session_id = ?1),"
	    " (SELECT key FROM chunks WHERE session_id = ?1 AND seq = ?2),"
	    " (SELECT bytes FROM chunks WHERE session_id = ?1 AND seq = ?2),"
	    " (SELECT expires_ms FROM presigns WHERE session_id = ?1"
	    "  AND seq = ?2),"
	    " (SELECT max(expires_ms) FROM presigns WHERE session_id = ?1),"
	    " (SELECT etag FROM chunks WHERE session_id = ?1 AND seq = ?2)",
};
