/*
 * test_s3meta.c: the chunk metadata headers and the ETag of an S3 answer
 * are read exactly, and nothing else is taken for them.
 */
#include <string.h>

#include "s3meta.h"
#include "unit.h"

static int
line(struct s3meta *m, const char *s)
{
	return s3meta_header(s, strlen(s), m);
}

static void
the_three_headers_are_read_trimmed(void)
{
	struct s3meta m;

	memset(&m, 0, sizeof(m));
	CU_ASSERT_EQUAL(line(&m, "x-amz-meta-user-id: alice-1\r\n"), 1);
	CU_ASSERT_EQUAL(line(&m, "X-Amz-Meta-Session-Id:\tsession-1 \r\n"), 1);
	CU_ASSERT_EQUAL(line(&m, "x-amz-meta-seq:7"), 1);
	CU_ASSERT_STRING_EQUAL(m.user_id, "alice-1");
	CU_ASSERT_STRING_EQUAL(m.session_id, "session-1");
	CU_ASSERT_STRING_EQUAL(m.seq, "7");
}

static void
the_etag_is_kept_with_its_quotes(void)
{
	struct s3meta m;

	memset(&m, 0, sizeof(m));
	CU_ASSERT_EQUAL(line(&m,
	    "ETag: \"d41d8cd98f00b204e9800998ecf8427e\"\r\n"), 1);
	CU_ASSERT_STRING_EQUAL(m.etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
	CU_ASSERT_EQUAL(line(&m, "etag:W/\"x-2\""), 1);
	CU_ASSERT_STRING_EQUAL(m.etag, "W/\"x-2\"");
	CU_ASSERT_EQUAL(line(&m, "ETags: \"a\""), 0);
	CU_ASSERT_STRING_EQUAL(m.etag, "W/\"x-2\"");
	CU_ASSERT_STRING_EQUAL(m.user_id, "");
}

static void
other_lines_change_nothing(void)
{
	struct s3meta m;

	memset(&m, 0, sizeof(m));
	CU_ASSERT_EQUAL(line(&m, "HTTP/1.1 200 OK\r\n"), 0);
	CU_ASSERT_EQUAL(line(&m, "\r\n"), 0);
	CU_ASSERT_EQUAL(line(&m, "Content-Length: 64\r\n"), 0);
	CU_ASSERT_EQUAL(line(&m, "x-amz-meta-seqx: 1\r\n"), 0);
	CU_ASSERT_EQUAL(line(&m, "x-amz-meta-se: 1\r\n"), 0);
	CU_ASSERT_EQUAL(line(&m, "x-amz-meta-seq 1\r\n"), 0);
	CU_ASSERT_EQUAL(s3meta_header(NULL, 3, &m), 0);
	CU_ASSERT_STRING_EQUAL(m.user_id, "");
	CU_ASSERT_STRING_EQUAL(m.seq, "");
}

static void
bad_values_never_match(void)
{
	struct s3meta m;
	char big[LIMIT_SUB_BYTES + 40];

	memset(&m, 0, sizeof(m));
	memset(big, 'a', sizeof(big));
	memcpy(big, "ETag: \"", 7);
	big[sizeof(big) - 2] = '"';
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(line(&m, big), 1);	/* LIMIT_SUB_BYTES + 40 > 128 */
	CU_ASSERT_STRING_EQUAL(m.etag, "?");
	CU_ASSERT_EQUAL(line(&m, "x-amz-meta-seq: 1\x01" "2\r\n"), 1);
	CU_ASSERT_STRING_EQUAL(m.seq, "?");
	CU_ASSERT_EQUAL(line(&m, "x-amz-meta-seq: 123456789012345678901"), 1);
	CU_ASSERT_STRING_EQUAL(m.seq, "?");
	CU_ASSERT_EQUAL(line(&m, "x-amz-meta-user-id: al\xc3\xa9"), 1);
	CU_ASSERT_STRING_EQUAL(m.user_id, "?");
	memcpy(big, "x-amz-meta-user-id: ", 20);
	memset(big + 20, 'a', sizeof(big) - 21);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(line(&m, big), 1);
	CU_ASSERT_STRING_EQUAL(m.user_id, "?");
	/* A NUL inside the value is a bad byte, not the end. */
	CU_ASSERT_EQUAL(s3meta_header("x-amz-meta-seq: 1\0" "2", 19, &m), 1);
	CU_ASSERT_STRING_EQUAL(m.seq, "?");
}

static void
checksums_and_encryption_are_read(void)
{
	struct s3meta m;

	memset(&m, 0, sizeof(m));
	CU_ASSERT_EQUAL(line(&m, "x-amz-meta-sha256: "
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\r\n"), 1);
	CU_ASSERT_EQUAL(line(&m, "X-Amz-Meta-Md5: 1B2M2Y8AsgTpgAmY7PhCfg==\r\n"),
	    1);
	CU_ASSERT_EQUAL(line(&m, "x-amz-checksum-sha256: abc=\r\n"), 1);
	CU_ASSERT_EQUAL(line(&m, "X-Amz-Server-Side-Encryption: aws:kms\r\n"),
	    1);
	CU_ASSERT_EQUAL(line(&m, "x-amz-server-side-encryption-aws-kms-key-id: "
	    "alias/audio\r\n"), 1);
	CU_ASSERT_EQUAL(line(&m,
	    "x-amz-server-side-encryption-bucket-key-enabled: true\r\n"), 1);
	CU_ASSERT_STRING_EQUAL(m.meta_sha256,
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	CU_ASSERT_STRING_EQUAL(m.meta_md5, "1B2M2Y8AsgTpgAmY7PhCfg==");
	CU_ASSERT_STRING_EQUAL(m.checksum_sha256, "abc=");
	CU_ASSERT_STRING_EQUAL(m.sse, "aws:kms");
	CU_ASSERT_STRING_EQUAL(m.sse_kms_key_id, "alias/audio");
	CU_ASSERT_STRING_EQUAL(m.sse_bucket_key, "true");
	CU_ASSERT_EQUAL(line(&m, "x-amz-checksum-sha2566: x\r\n"), 0);
	CU_ASSERT_STRING_EQUAL(m.checksum_sha256, "abc=");
}

int
test_s3meta_suite(void)
{
	CU_pSuite s = CU_add_suite("s3meta", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "the three headers are read, trimmed",
		the_three_headers_are_read_trimmed) == NULL ||
	    CU_add_test(s, "the ETag is kept with its quotes",
		the_etag_is_kept_with_its_quotes) == NULL ||
	    CU_add_test(s, "other lines change nothing",
		other_lines_change_nothing) == NULL ||
	    CU_add_test(s, "bad values never match",
		bad_values_never_match) == NULL ||
	    CU_add_test(s, "checksums and encryption are read",
		checksums_and_encryption_are_read) == NULL)
		return -1;
	return 0;
}
