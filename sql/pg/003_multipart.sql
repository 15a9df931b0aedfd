-- pg/003_multipart.sql: multipart uploads of chunks over the single-PUT
-- limit, as SQLite's sql/006_multipart.sql (see it for what the columns
-- and states mean).

CREATE TABLE multipart_uploads (
	upload_id	text PRIMARY KEY,
	session_id	text NOT NULL,
	seq		bigint NOT NULL CHECK (seq >= 1),
	key		text NOT NULL,
	size_bytes	bigint NOT NULL,
	part_bytes	bigint NOT NULL,
	state		text NOT NULL CHECK (state IN ('open', 'completed',
			    'aborting', 'aborted', 'failed')),
	created_ms	bigint NOT NULL,
	abort_at_ms	bigint,
	attempts	integer NOT NULL DEFAULT 0,
	reason		text
);

CREATE UNIQUE INDEX multipart_open ON multipart_uploads(session_id, seq)
	WHERE state = 'open';
CREATE INDEX multipart_session ON multipart_uploads(session_id, seq);
CREATE INDEX multipart_due ON multipart_uploads(abort_at_ms)
	WHERE abort_at_ms IS NOT NULL;
