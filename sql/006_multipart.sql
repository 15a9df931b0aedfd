-- 006_multipart.sql: multipart uploads of chunks over the single-PUT
-- limit.
--
-- One row per CreateMultipartUpload the API made.  A presign of a seq
-- that already has an open upload for the same key and size answers that
-- upload again; one with another key or size replaces it (the old one is
-- aborted).  state:
--   open       parts may be uploaded; complete finishes it;
--   completed  CompleteMultipartUpload succeeded (or the object was found
--              whole after a lost answer);
--   aborting   replaced by a newer upload: to be aborted;
--   aborted    AbortMultipartUpload succeeded, or S3 no longer knew it;
--   failed     the abort was given up after its attempts (reason says
--              why); S3's own lifecycle rule for incomplete uploads is
--              the last resort.
-- abort_at_ms: when the delivery loop aborts the upload (an open one once
-- its session is finalized, abandoned or deleted and the upload can no
-- longer be completed; retries move it on with backoff); NULL: never.
-- No foreign key: an upload of a deleted session is still aborted.
CREATE TABLE multipart_uploads (
	upload_id	TEXT PRIMARY KEY,
	session_id	TEXT NOT NULL,
	seq		INTEGER NOT NULL CHECK (seq >= 1),
	key		TEXT NOT NULL,
	size_bytes	INTEGER NOT NULL,
	part_bytes	INTEGER NOT NULL,
	state		TEXT NOT NULL CHECK (state IN ('open', 'completed',
			    'aborting', 'aborted', 'failed')),
	created_ms	INTEGER NOT NULL,
	abort_at_ms	INTEGER,
	attempts	INTEGER NOT NULL DEFAULT 0,
	reason		TEXT
) STRICT;

-- At most one open upload per chunk: two presigns racing make one.
CREATE UNIQUE INDEX multipart_open ON multipart_uploads(session_id, seq)
	WHERE state = 'open';
CREATE INDEX multipart_session ON multipart_uploads(session_id, seq);
CREATE INDEX multipart_due ON multipart_uploads(abort_at_ms)
	WHERE abort_at_ms IS NOT NULL;
