-- 010_mpu_checksums.sql: a multipart upload's checksums and write-once.
--
-- part_sha256: the base64 SHA-256 of each part the presign was given
-- (partSha256), one after the other with nothing between (44 characters
-- each); the upload was created with x-amz-checksum-algorithm: SHA256,
-- each part URL signs its value, and CompleteMultipartUpload lists them.
-- sha256: S3's composite checksum of those parts ("BASE64-N"), what a
-- HEAD with x-amz-checksum-mode must answer after complete.  Both NULL
-- for an upload without checksums.
-- write_once: 1 when the presign asked writeOnce (or require_write_once
-- was on): CompleteMultipartUpload is sent with If-None-Match: *.
-- A presign of the seq with other checksums or another write_once
-- replaces the upload, as another size does.
ALTER TABLE multipart_uploads ADD COLUMN sha256 TEXT;
ALTER TABLE multipart_uploads ADD COLUMN part_sha256 TEXT;
ALTER TABLE multipart_uploads ADD COLUMN write_once INTEGER NOT NULL
	DEFAULT 0 CHECK (write_once IN (0, 1));
