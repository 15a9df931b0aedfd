-- 005_manifest_etag.sql: the manifest fence's memory, per session.
--
-- manifest_etag is the ETag S3 answered when the session's manifest.json
-- was last written from this journal (or found holding a revision at least
-- as new); the next write sends it in If-Match, so a write that lands
-- late, or after someone else changed the object, is refused by S3
-- instead of replacing a newer manifest.  NULL: never written, and the
-- write is If-None-Match: * (create only).  Sessions older than this
-- migration start at NULL: their first write is refused once (the object
-- exists), read back and written over with the ETag S3 answers.
-- manifest_etag_revision is the revision the ETag was recorded for: a
-- slow writer recording an older revision's ETag leaves a newer one.

ALTER TABLE sessions ADD COLUMN manifest_etag TEXT;
ALTER TABLE sessions ADD COLUMN manifest_etag_revision INTEGER NOT NULL
	DEFAULT 0;
