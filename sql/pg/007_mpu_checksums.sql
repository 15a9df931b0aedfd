-- pg/007_mpu_checksums.sql: a multipart upload's checksums and
-- write-once, as SQLite's sql/010_mpu_checksums.sql (see it for what the
-- columns mean).
ALTER TABLE multipart_uploads ADD COLUMN sha256 text;
ALTER TABLE multipart_uploads ADD COLUMN part_sha256 text;
ALTER TABLE multipart_uploads ADD COLUMN write_once integer NOT NULL
	DEFAULT 0 CHECK (write_once IN (0, 1));
