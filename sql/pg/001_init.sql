-- pg/001_init.sql: the journal's schema for PostgreSQL, as SQLite's
-- sql/001..004 leave it (the same tables, columns and meanings; see those
-- files for what each column is for).
--
-- Applied by journal_open() in one transaction under the advisory lock
-- that serialises migrations, which then records version 1 in
-- journal_schema.  Never edit a migration that has shipped: add
-- sql/pg/002_<what>.sql instead (and its SQLite twin).
--
-- Times are epoch milliseconds (bigint) as the API hands them in; flags
-- are 0/1 integers, as in SQLite, so both drivers answer the same rows.

CREATE TABLE sessions (
	id		text PRIMARY KEY,
	owner		text NOT NULL,
	codec		text NOT NULL,
	sample_rate	integer NOT NULL,
	chunk_seconds	integer NOT NULL,
	user_agent	text NOT NULL DEFAULT '',
	created_ms	bigint NOT NULL,
	updated_ms	bigint NOT NULL,
	chunk_count	bigint NOT NULL DEFAULT 0,
	total_bytes	bigint NOT NULL DEFAULT 0,
	t_min_ms	bigint,
	t_max_ms	bigint,
	finalized	integer NOT NULL DEFAULT 0 CHECK (finalized IN (0, 1)),
	duration_ms	bigint,
	final_event_id	text,
	revision	bigint NOT NULL DEFAULT 0,
	synced_revision	bigint NOT NULL DEFAULT 0,
	deleting_ms	bigint,
	presign_count	bigint NOT NULL DEFAULT 0,
	finalized_ms	bigint,
	final_chunk_count bigint,
	final_total_bytes bigint,
	CHECK (synced_revision <= revision)
);

CREATE INDEX sessions_owner_created ON sessions(owner, created_ms, id);

CREATE TABLE chunks (
	session_id	text NOT NULL REFERENCES sessions(id),
	seq		bigint NOT NULL CHECK (seq >= 1),
	key		text NOT NULL,
	t_start_ms	bigint NOT NULL CHECK (t_start_ms >= 0),
	t_end_ms	bigint NOT NULL CHECK (t_end_ms > t_start_ms),
	bytes		bigint NOT NULL CHECK (bytes >= 1),
	md5		text,
	sha256		text,
	uploaded_ms	bigint NOT NULL,
	verified	integer NOT NULL DEFAULT 1 CHECK (verified IN (0, 1)),
	event_id	text UNIQUE,
	ack_chunk_count	bigint,
	ack_total_bytes	bigint,
	ack_duration_ms	bigint,
	ack_revision	bigint,
	PRIMARY KEY (session_id, seq)
);

CREATE TABLE outbox (
	id		bigserial PRIMARY KEY,
	kind		text NOT NULL CHECK (kind IN ('manifest_write', 'event')),
	session_id	text NOT NULL REFERENCES sessions(id),
	detail_type	text,
	event_id	text UNIQUE,
	payload		text,
	attempts	integer NOT NULL DEFAULT 0,
	next_attempt_ms	bigint NOT NULL,
	lease_owner	text,
	lease_expires_ms bigint NOT NULL DEFAULT 0,
	dead		integer NOT NULL DEFAULT 0 CHECK (dead IN (0, 1)),
	reason		text,
	created_ms	bigint NOT NULL,
	CHECK ((kind = 'event') = (event_id IS NOT NULL AND payload IS NOT NULL))
);

CREATE UNIQUE INDEX outbox_one_manifest ON outbox(session_id)
	WHERE kind = 'manifest_write';
CREATE INDEX outbox_due ON outbox(dead, next_attempt_ms);
CREATE INDEX outbox_session ON outbox(session_id, dead, next_attempt_ms);

CREATE TABLE presigns (
	session_id	text NOT NULL REFERENCES sessions(id),
	seq		bigint NOT NULL CHECK (seq >= 1),
	created_ms	bigint NOT NULL,
	expires_ms	bigint NOT NULL,
	PRIMARY KEY (session_id, seq)
);

CREATE TABLE deletions (
	session_id	text PRIMARY KEY,
	owner		text NOT NULL,
	event_id	text NOT NULL UNIQUE,
	phase		text NOT NULL CHECK (phase IN ('objects', 'purge', 'recheck')),
	requested_ms	bigint NOT NULL,
	recheck_ms	bigint NOT NULL,
	objects_deleted	bigint NOT NULL DEFAULT 0,
	attempts	integer NOT NULL DEFAULT 0,
	next_attempt_ms	bigint NOT NULL,
	lease_owner	text,
	lease_expires_ms bigint NOT NULL DEFAULT 0,
	reason		text
);

CREATE INDEX deletions_due ON deletions(next_attempt_ms);

-- gen_random_uuid() is core since PostgreSQL 13; two of them give the
-- 32 random bytes of the cursor key without the pgcrypto extension.
CREATE TABLE secrets (
	name		text PRIMARY KEY,
	value		bytea NOT NULL
);
INSERT INTO secrets (name, value) VALUES ('cursor',
	decode(replace(gen_random_uuid()::text || gen_random_uuid()::text,
	'-', ''), 'hex'));
