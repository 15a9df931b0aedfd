/*
 * s3meta.h: what S3 answers about an object in headers: the chunk
 * metadata a presigned upload stores with it, and its ETag.
 *
 * A presigned chunk URL carries x-amz-meta-user-id, x-amz-meta-session-id
 * and x-amz-meta-seq in its signed query; S3 stores them with the object
 * and answers them as headers on HEAD.  complete reads them back and
 * checks them, so an object that did not come through the URL issued for
 * that chunk (or whose metadata was lost on the way) is not accepted.
 * The ETag (answered on PUT, GET and HEAD) is what the manifest write's
 * fence sends back in If-Match (lib/storage/manifest_fence.h).  The
 * checksums a URL was presigned with travel the same way
 * (x-amz-meta-sha256, x-amz-meta-md5), beside the checksum and the
 * encryption S3 reports, which complete compares with them.
 *
 * s3meta_header() reads one HTTP header line of S3's answer (untrusted
 * input): no I/O, bounded copies, fuzzed.
 */
#ifndef S3META_H
#define S3META_H

#include <stddef.h>

#include "limit.h"

#define S3META_SEQ_BYTES	20
#define S3META_SUM_BYTES	64	/* a base64 checksum is 24 or 44 */
#define S3META_SSE_BYTES	16
#define S3META_KMS_KEY_BYTES	256	/* an ARN with an alias name */

/* Each field "" when the header was absent; a value too long for its field
 * or with bytes outside printable ASCII is stored as "?" (it can never
 * match what the API expects). */
struct s3meta {
	char	user_id[LIMIT_SUB_BYTES + 1];
	char	session_id[LIMIT_SESSION_ID_BYTES + 1];
	char	seq[S3META_SEQ_BYTES + 1];
	char	etag[LIMIT_S3_ETAG_BYTES + 1];	/* quotes kept, as sent */
	/* The checksums the presigned URL signed (x-amz-meta-sha256,
	 * x-amz-meta-md5) and the SHA-256 S3 checked and kept
	 * (x-amz-checksum-sha256, answered with x-amz-checksum-mode). */
	char	meta_sha256[S3META_SUM_BYTES + 1];
	char	meta_md5[S3META_SUM_BYTES + 1];
	char	checksum_sha256[S3META_SUM_BYTES + 1];
	/* How S3 says the object is encrypted. */
	char	sse[S3META_SSE_BYTES + 1];
	char	sse_kms_key_id[S3META_KMS_KEY_BYTES + 1];
	char	sse_bucket_key[S3META_SSE_BYTES + 1];
};

/* If line[0..len) ("Name: value", optionally ending in CR LF) is one of the
 * headers above (name case-insensitive), store its trimmed value in *m and
 * return 1; else leave *m alone and return 0. */
int	s3meta_header(const char *line, size_t len, struct s3meta *m);

#endif /* S3META_H */
