-- pg/004_chunk_etag.sql: each chunk's ETag, as SQLite's
-- sql/007_chunk_etag.sql (see it for what the column means).

ALTER TABLE chunks ADD COLUMN etag text;
