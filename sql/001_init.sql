-- 001_init.sql: sessions, their chunks, and the outbox of work a change causes.
--
-- Applied by journal_open() inside one BEGIN IMMEDIATE transaction, which
-- then sets PRAGMA user_version = 1.  Never edit a migration that has
-- shipped: add sql/002_<what>.sql instead.

CREATE TABLE sessions (
	id		TEXT PRIMARY KEY,
	owner		TEXT NOT NULL,		-- the token's sub
	codec		TEXT NOT NULL,
	sample_rate	INTEGER NOT NULL,
	chunk_seconds	INTEGER NOT NULL,
	user_agent	TEXT NOT NULL DEFAULT '',
	created_ms	INTEGER NOT NULL,
	updated_ms	INTEGER NOT NULL,
	-- Aggregates over chunks, kept in the same transaction as each insert
	-- (chunks are never deleted), so answers need no scan.
	chunk_count	INTEGER NOT NULL DEFAULT 0,
	total_bytes	INTEGER NOT NULL DEFAULT 0,
	t_min_ms	INTEGER,		-- min(tStartMs), NULL: no chunk
	t_max_ms	INTEGER,		-- max(tEndMs)
	-- Sealed by finalize; duration_ms is the client's then.
	finalized	INTEGER NOT NULL DEFAULT 0 CHECK (finalized IN (0, 1)),
	duration_ms	INTEGER,
	final_event_id	TEXT,
	-- Manifest revision: +1 per committed change.  synced_revision only
	-- ever grows: the newest revision known to be in S3.
	revision	INTEGER NOT NULL DEFAULT 0,
	synced_revision	INTEGER NOT NULL DEFAULT 0,
	CHECK (synced_revision <= revision)
) STRICT;

CREATE INDEX sessions_owner ON sessions(owner);

CREATE TABLE chunks (
	session_id	TEXT NOT NULL REFERENCES sessions(id),
	seq		INTEGER NOT NULL CHECK (seq >= 1),
	key		TEXT NOT NULL,
	t_start_ms	INTEGER NOT NULL CHECK (t_start_ms >= 0),
	t_end_ms	INTEGER NOT NULL CHECK (t_end_ms > t_start_ms),
	bytes		INTEGER NOT NULL CHECK (bytes >= 1),
	md5		TEXT,
	sha256		TEXT,
	uploaded_ms	INTEGER NOT NULL,
	verified	INTEGER NOT NULL DEFAULT 1 CHECK (verified IN (0, 1)),
	-- Set by the first complete of this seq (a chunk a client manifest
	-- brought in has none until then), with the answer that complete
	-- gave, so a retry answers exactly the same.
	event_id	TEXT UNIQUE,
	ack_chunk_count	INTEGER,
	ack_total_bytes	INTEGER,
	ack_duration_ms	INTEGER,
	ack_revision	INTEGER,
	PRIMARY KEY (session_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE outbox (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	kind		TEXT NOT NULL CHECK (kind IN ('manifest_write', 'event')),
	session_id	TEXT NOT NULL REFERENCES sessions(id),
	-- Events: DetailType, the stable eventId and the Detail JSON rendered
	-- at commit time.  Manifest writes carry no payload: the newest
	-- revision is rendered when the item is claimed.
	detail_type	TEXT,
	event_id	TEXT UNIQUE,
	payload		TEXT,
	attempts	INTEGER NOT NULL DEFAULT 0,
	next_attempt_ms	INTEGER NOT NULL,
	lease_owner	TEXT,
	lease_expires_ms INTEGER NOT NULL DEFAULT 0,
	dead		INTEGER NOT NULL DEFAULT 0 CHECK (dead IN (0, 1)),
	reason		TEXT,
	created_ms	INTEGER NOT NULL,
	CHECK ((kind = 'event') = (event_id IS NOT NULL AND payload IS NOT NULL))
) STRICT;

-- Repeated manifest writes for one session collapse into one row.
CREATE UNIQUE INDEX outbox_one_manifest ON outbox(session_id)
	WHERE kind = 'manifest_write';
CREATE INDEX outbox_due ON outbox(dead, next_attempt_ms);
