-- 008_lifecycle.sql: what the server finalizes, deletes and sweeps on its
-- own (fcgi/deliver_lifecycle.c, fcgi/deliver_sweep.c).
--
-- final_reason: NULL when the client finalized the session, 'abandoned'
-- when the server did because it stayed open and idle longer than
-- session_max_open; the manifest and RecordingFinalized carry it.
-- The two partial indexes find abandoned sessions (open, idle since) and
-- sessions past retention_days (by creation) without a scan.
-- sweep: the orphan sweep's one row (created by the first sweep): where
-- the listing of users/ resumes (a key, S3's StartAfter), who holds the
-- round, and what the sweep counted, shared by every host's /healthz.

ALTER TABLE sessions ADD COLUMN final_reason TEXT;

CREATE INDEX sessions_idle ON sessions(updated_ms)
	WHERE finalized = 0 AND deleting_ms IS NULL;
CREATE INDEX sessions_age ON sessions(created_ms)
	WHERE deleting_ms IS NULL;

CREATE TABLE sweep (
	id		INTEGER PRIMARY KEY CHECK (id = 1),
	start_after	TEXT NOT NULL DEFAULT '',	-- '': a new pass
	pass_started_ms	INTEGER NOT NULL DEFAULT 0,
	next_round_ms	INTEGER NOT NULL DEFAULT 0,
	lease_owner	TEXT,
	lease_expires_ms INTEGER NOT NULL DEFAULT 0,
	passes		INTEGER NOT NULL DEFAULT 0,	-- completed
	deleted		INTEGER NOT NULL DEFAULT 0,	-- all passes
	-- The pass under way, then the last completed one.
	listed		INTEGER NOT NULL DEFAULT 0,
	orphans		INTEGER NOT NULL DEFAULT 0,
	mismatched	INTEGER NOT NULL DEFAULT 0,
	last_listed	INTEGER NOT NULL DEFAULT 0,
	last_orphans	INTEGER NOT NULL DEFAULT 0,
	last_mismatched	INTEGER NOT NULL DEFAULT 0,
	last_pass_ms	INTEGER NOT NULL DEFAULT 0
) STRICT;
