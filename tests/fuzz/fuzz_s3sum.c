/*
 * fuzz_s3sum.c: libFuzzer target for lib/storage/s3sum.c.
 *
 * Every input is read as a base64 SHA-256, a base64 MD5 and an ETag.  A
 * base64 value accepted must be the one spelling of what it decoded to,
 * and an ETag is only ever equal to one MD5.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "s3sum.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
roundtrip(const uint8_t *data, size_t size, size_t n)
{
	unsigned char out[S3SUM_SHA256_BYTES];
	unsigned char enc[S3SUM_SHA256_B64_LEN + 1];

	if (s3sum_b64((const char *)data, size, out, n) != ERR_OK)
		return;
	if (EVP_EncodeBlock(enc, out, (int)n) != (int)size ||
	    memcmp(enc, data, size) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char md5[S3SUM_MD5_BYTES];

	roundtrip(data, size, S3SUM_SHA256_BYTES);
	roundtrip(data, size, S3SUM_MD5_BYTES);
	memset(md5, 0, sizeof(md5));
	if (s3sum_etag_is_md5((const char *)data, size, md5)) {
		md5[0] = 1;
		if (s3sum_etag_is_md5((const char *)data, size, md5))
			abort();
	}
	return 0;
}
