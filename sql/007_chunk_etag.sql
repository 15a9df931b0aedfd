-- 007_chunk_etag.sql: each chunk's ETag as S3 answered it on the HEAD that
-- verified the chunk (quotes kept), which the manifest records: a chunk
-- written once (If-None-Match: *) keeps it for good, and a later check can
-- tell when the object in S3 is no longer the one verified.  NULL for
-- chunks verified before this migration.

ALTER TABLE chunks ADD COLUMN etag TEXT;
