-- 009_multipart_purge.sql: rows of finished multipart uploads go.
--
-- finished_ms: when the upload reached a final state (completed,
-- aborted, failed); NULL while it is open or aborting.  The delivery loop
-- deletes rows finished multipart_purge_after ago, a bounded batch at a
-- time (journal_mpu_purge()), so the table holds the live uploads and the
-- recent past, not every upload ever made.  Rows finished before this
-- migration count from their creation.
ALTER TABLE multipart_uploads ADD COLUMN finished_ms INTEGER;
UPDATE multipart_uploads SET finished_ms = created_ms
	WHERE state IN ('completed', 'aborted', 'failed');
CREATE INDEX multipart_finished ON multipart_uploads(finished_ms)
	WHERE finished_ms IS NOT NULL;
