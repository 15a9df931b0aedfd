-- pg/002_manifest_etag.sql: the manifest fence's memory, per session, as
-- SQLite's sql/005_manifest_etag.sql (see it for what the columns mean).

ALTER TABLE sessions ADD COLUMN manifest_etag text;
ALTER TABLE sessions ADD COLUMN manifest_etag_revision bigint NOT NULL
	DEFAULT 0;
