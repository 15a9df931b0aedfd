-- pg/006_multipart_purge.sql: rows of finished multipart uploads go, as
-- SQLite's sql/009_multipart_purge.sql (see it for what finished_ms means).
ALTER TABLE multipart_uploads ADD COLUMN finished_ms bigint;
UPDATE multipart_uploads SET finished_ms = created_ms
	WHERE state IN ('completed', 'aborted', 'failed');
CREATE INDEX multipart_finished ON multipart_uploads(finished_ms)
	WHERE finished_ms IS NOT NULL;
