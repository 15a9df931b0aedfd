-- pg/009_multipart_intents.sql: CreateMultipartUpload made recoverable, as
-- SQLite's sql/012_multipart_intents.sql (see it for the intents' life).
CREATE TABLE multipart_intents (
	id		text PRIMARY KEY,
	session_id	text NOT NULL,
	seq		bigint NOT NULL CHECK (seq >= 1),
	key		text NOT NULL,
	created_ms	bigint NOT NULL,
	next_ms		bigint NOT NULL,
	attempts	integer NOT NULL DEFAULT 0,
	reason		text
);
CREATE INDEX multipart_intents_due ON multipart_intents(next_ms);
CREATE INDEX multipart_intents_seq ON multipart_intents(session_id, seq);
