-- pg/005_lifecycle.sql: abandoned sessions, retention and the orphan
-- sweep, as SQLite's sql/008_lifecycle.sql (see it for what each means).

ALTER TABLE sessions ADD COLUMN final_reason text;

CREATE INDEX sessions_idle ON sessions(updated_ms)
	WHERE finalized = 0 AND deleting_ms IS NULL;
CREATE INDEX sessions_age ON sessions(created_ms)
	WHERE deleting_ms IS NULL;

CREATE TABLE sweep (
	id		integer PRIMARY KEY CHECK (id = 1),
	start_after	text NOT NULL DEFAULT '',
	pass_started_ms	bigint NOT NULL DEFAULT 0,
	next_round_ms	bigint NOT NULL DEFAULT 0,
	lease_owner	text,
	lease_expires_ms bigint NOT NULL DEFAULT 0,
	passes		bigint NOT NULL DEFAULT 0,
	deleted		bigint NOT NULL DEFAULT 0,
	listed		bigint NOT NULL DEFAULT 0,
	orphans		bigint NOT NULL DEFAULT 0,
	mismatched	bigint NOT NULL DEFAULT 0,
	last_listed	bigint NOT NULL DEFAULT 0,
	last_orphans	bigint NOT NULL DEFAULT 0,
	last_mismatched	bigint NOT NULL DEFAULT 0,
	last_pass_ms	bigint NOT NULL DEFAULT 0
);
