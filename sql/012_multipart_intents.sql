-- 012_multipart_intents.sql: CreateMultipartUpload made recoverable.
--
-- A worker killed between S3's CreateMultipartUpload and the journal row
-- of its answer left an upload no one knew (its parts cost storage until
-- the bucket's AbortIncompleteMultipartUpload rule, if any).  So the API
-- first records an intent (the key it is about to create an upload for),
-- then calls S3, then records the upload and drops the intent in one
-- transaction (journal_mpu_add()).  An intent still there at next_ms (the
-- Create's time bound and the journal's, plus a margin, after created_ms)
-- belongs to a worker that died or gave up: the delivery loop lists the
-- key's uploads (ListMultipartUploads, prefix = the key), aborts each one
-- the journal does not know (no multipart_uploads row, and no newer
-- intent of the same chunk whose Create may be under way) and drops the
-- intent; a failure retries it at next_ms with backoff.
-- id: a UUID made by the API (no sequence to carry across journal_copy()).
CREATE TABLE multipart_intents (
	id		TEXT PRIMARY KEY,
	session_id	TEXT NOT NULL,
	seq		INTEGER NOT NULL CHECK (seq >= 1),
	key		TEXT NOT NULL,
	created_ms	INTEGER NOT NULL,
	next_ms		INTEGER NOT NULL,
	attempts	INTEGER NOT NULL DEFAULT 0,
	reason		TEXT
) STRICT;
CREATE INDEX multipart_intents_due ON multipart_intents(next_ms);
CREATE INDEX multipart_intents_seq ON multipart_intents(session_id, seq);
