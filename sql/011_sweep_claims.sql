-- 011_sweep_claims.sql: the orphan sweep's claims on the chunks it is
-- about to delete (fcgi/deliver_sweep.c, journal_sweep_claim()).
--
-- The sweep judges a listed object from what the journal knows, then
-- deletes it in S3.  A complete (or a client manifest) that made the
-- object known in between would lose a chunk the journal holds.  So
-- before the delete the sweep claims the chunk's (session, seq), in one
-- transaction with a fresh look at what the journal knows (the claim is
-- refused if that changed since the judgement), and every call that
-- makes a chunk known or hands out an upload URL for it (complete, a
-- manifest upsert, presign's record) refuses while a live claim holds
-- its seq (ERR_BUSY: the API answers 503, retry).  A claim lives until
-- the sweep's round lease ends (expires_ms) or the sweep drops it after
-- S3 answered the delete; a killed deliverer's claims just expire.
CREATE TABLE sweep_claims (
	session_id	TEXT NOT NULL,
	seq		INTEGER NOT NULL CHECK (seq >= 1),
	lease_owner	TEXT NOT NULL,
	expires_ms	INTEGER NOT NULL,
	PRIMARY KEY (session_id, seq)
) STRICT;
CREATE INDEX sweep_claims_owner ON sweep_claims(lease_owner);
