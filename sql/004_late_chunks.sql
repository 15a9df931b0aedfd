-- 004_late_chunks.sql: when a session was finalized, and what finalize
-- answered, for chunks that arrive after it.
--
-- A client may finalize before its last chunk's presign/PUT/complete: such
-- a chunk (tStartMs < the declared durationMs) is still accepted for
-- finalize_grace after finalized_ms.  The late chunk changes chunk_count and
-- total_bytes, so a retried finalize answers from final_* instead, exactly
-- what the first one answered.  Sessions finalized before this migration
-- take updated_ms (their last change, the finalize) and their totals.

ALTER TABLE sessions ADD COLUMN finalized_ms INTEGER;
ALTER TABLE sessions ADD COLUMN final_chunk_count INTEGER;
ALTER TABLE sessions ADD COLUMN final_total_bytes INTEGER;

UPDATE sessions SET finalized_ms = updated_ms,
	final_chunk_count = chunk_count,
	final_total_bytes = total_bytes
	WHERE finalized = 1;
