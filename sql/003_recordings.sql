-- 003_recordings.sql: listing a user's sessions, presigns still awaiting
-- their upload, and deletions with their tombstones.
--
-- Additive only: an index, a column, new tables.

-- GET /sessions pages newest first by (created_ms, id): keyset pagination
-- walks this index and never scans another user's rows.
CREATE INDEX sessions_owner_created ON sessions(owner, created_ms, id);

-- Set when DELETE /sessions/{id} is accepted: from then on the session
-- takes no more uploads and its deletion is in the deletions table.
ALTER TABLE sessions ADD COLUMN deleting_ms INTEGER;
-- Rows in presigns for the session, kept with each insert (the bound).
ALTER TABLE sessions ADD COLUMN presign_count INTEGER NOT NULL DEFAULT 0;

-- Every seq a presign URL was issued for, with the newest expiry issued
-- (to within a slack of a tenth of the URL lifetime, at most a minute:
-- see journal_note_presign()).  A seq here with no
-- chunk row is `missing`: presigned, never completed.  Bounded per session
-- like the chunks (LIMIT_CHUNKS_PER_SESSION).
CREATE TABLE presigns (
	session_id	TEXT NOT NULL REFERENCES sessions(id),
	seq		INTEGER NOT NULL CHECK (seq >= 1),
	created_ms	INTEGER NOT NULL,
	expires_ms	INTEGER NOT NULL,
	PRIMARY KEY (session_id, seq)
) STRICT, WITHOUT ROWID;

-- One row per accepted deletion, worked by the delivery loop like the
-- outbox (lease, backoff).  phase:
--   objects  list the session's S3 prefix and DeleteObjects until empty,
--            then enqueue RecordingDeleted;
--   purge    wait until the session's outbox rows are gone (its events
--            delivered), then remove the session's journal rows;
--   recheck  the tombstone: once every presigned URL issued for the
--            session has expired (recheck_ms), list the prefix once more
--            and delete what a late PUT left; then the row goes.
-- No foreign key: the row outlives the session it names.
CREATE TABLE deletions (
	session_id	TEXT PRIMARY KEY,
	owner		TEXT NOT NULL,
	event_id	TEXT NOT NULL UNIQUE,
	phase		TEXT NOT NULL CHECK (phase IN ('objects', 'purge', 'recheck')),
	requested_ms	INTEGER NOT NULL,
	recheck_ms	INTEGER NOT NULL,
	objects_deleted	INTEGER NOT NULL DEFAULT 0,
	attempts	INTEGER NOT NULL DEFAULT 0,
	next_attempt_ms	INTEGER NOT NULL,
	lease_owner	TEXT,
	lease_expires_ms INTEGER NOT NULL DEFAULT 0,
	reason		TEXT
) STRICT;

CREATE INDEX deletions_due ON deletions(next_attempt_ms);

-- A random key per journal, for the HMAC that makes list cursors opaque
-- and unforgeable (fcgi/recordings.c); every worker reads the same one.
CREATE TABLE secrets (
	name		TEXT PRIMARY KEY,
	value		BLOB NOT NULL
) STRICT;
INSERT INTO secrets (name, value) VALUES ('cursor', randomblob(32));
