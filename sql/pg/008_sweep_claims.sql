-- pg/008_sweep_claims.sql: the orphan sweep's claims on the chunks it is
-- about to delete, as SQLite's sql/011_sweep_claims.sql (see it).
CREATE TABLE sweep_claims (
	session_id	text NOT NULL,
	seq		bigint NOT NULL CHECK (seq >= 1),
	lease_owner	text NOT NULL,
	expires_ms	bigint NOT NULL,
	PRIMARY KEY (session_id, seq)
);
CREATE INDEX sweep_claims_owner ON sweep_claims(lease_owner);
