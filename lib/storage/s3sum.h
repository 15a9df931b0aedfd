/*
 * s3sum.h: the object checksums S3 speaks, checked without I/O: the
 * base64 of a SHA-256 or MD5 as x-amz-checksum-sha256 and Content-MD5
 * carry them, and a single-part ETag (the hex MD5 of the body) compared
 * with a presigned MD5.
 *
 * Presign takes a client's checksums through s3sum_b64(); complete
 * compares what S3 answers on HEAD with what the URL signed.  Values come
 * from outside (a request, S3's headers): every function is bounded and
 * takes (buf, len).
 */
#ifndef S3SUM_H
#define S3SUM_H

#include <stddef.h>

#include "err.h"

#define S3SUM_SHA256_BYTES	32
#define S3SUM_MD5_BYTES		16
/* Characters of the padded base64 of each (no NUL). */
#define S3SUM_SHA256_B64_LEN	44
#define S3SUM_MD5_B64_LEN	24

/*
 * Decode s[0..len), the standard padded base64 (RFC 4648 section 4) of
 * exactly n bytes, into out[0..n).  Strict: one accepted spelling per
 * value (padding as required, unused bits zero, no whitespace).
 * ERR_OK, or ERR_INVAL.
 */
enum err	s3sum_b64(const char *s, size_t len, unsigned char *out,
		    size_t n);

/*
 * 1 when etag[0..len) is a single-part ETag (32 hex digits, in double
 * quotes or not; no "-N" part count) whose value is md5; else 0.
 */
int		s3sum_etag_is_md5(const char *etag, size_t len,
		    const unsigned char md5[S3SUM_MD5_BYTES]);

/*
 * S3's composite checksum of a multipart upload created with
 * x-amz-checksum-algorithm: SHA256, as a HEAD with x-amz-checksum-mode
 * answers it: the base64 of the SHA-256 of the parts' binary SHA-256
 * digests, concatenated in part order, then "-" and the part count.
 * parts[0..len) is the parts' base64 SHA-256 values, each
 * S3SUM_SHA256_B64_LEN characters, one after the other with nothing
 * between (how the journal keeps them); each must pass s3sum_b64().  1 to
 * S3SUM_PARTS_MAX parts.  out gets the NUL-terminated value (at most
 * S3SUM_COMPOSITE_MAX characters).  ERR_OK; ERR_INVAL for a length that
 * is not a whole count of values, a bad value or out too small;
 * ERR_CRYPTO if OpenSSL fails.
 */
#define S3SUM_PARTS_MAX		10000
#define S3SUM_COMPOSITE_MAX	(S3SUM_SHA256_B64_LEN + 6)	/* "-10000" */
enum err	s3sum_composite(const char *parts, size_t len, char *out,
		    size_t cap);

#endif /* S3SUM_H */
