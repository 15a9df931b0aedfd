/*
 * fuzz_s3sum.c: libFuzzer target for lib/storage/s3sum.c.
 *
 * Every input is read as a base64 SHA-256, a base64 MD5 and an ETag.  A
 * base64 value accepted must be the one spelling of what it decoded to,
 * and an ETag is only ever equal to one MD5.  It is also read as the
 * journal's list of part SHA-256 values: a composite is made only of a
 * list of good values, and it is the SHA-256 of their digests with the
 * count.
 */
#include <stdint.h>
#include <stdio.h>
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

static void
composite(const uint8_t *data, size_t size)
{
	char out[S3SUM_COMPOSITE_MAX + 1], want[S3SUM_COMPOSITE_MAX + 24];
	unsigned char raw[S3SUM_SHA256_BYTES], md[S3SUM_SHA256_BYTES];
	unsigned char enc[S3SUM_SHA256_B64_LEN + 1];
	EVP_MD_CTX *ctx;
	size_t i, n;
	int good;

	n = size / S3SUM_SHA256_B64_LEN;
	good = size > 0 && size % S3SUM_SHA256_B64_LEN == 0;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		abort();
	for (i = 0; good && i < n; i++) {
		if (s3sum_b64((const char *)data + i * S3SUM_SHA256_B64_LEN,
		    S3SUM_SHA256_B64_LEN, raw, sizeof(raw)) != ERR_OK)
			good = 0;
		else if (!EVP_DigestUpdate(ctx, raw, sizeof(raw)))
			abort();
	}
	if (s3sum_composite((const char *)data, size, out, sizeof(out)) !=
	    ERR_OK) {
		if (good || out[0] != '\0')
			abort();
		EVP_MD_CTX_free(ctx);
		return;
	}
	if (!good || !EVP_DigestFinal_ex(ctx, md, NULL))
		abort();
	EVP_EncodeBlock(enc, md, S3SUM_SHA256_BYTES);
	snprintf(want, sizeof(want), "%s-%zu", (const char *)enc, n);
	if (strcmp(out, want) != 0)
		abort();
	EVP_MD_CTX_free(ctx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char md5[S3SUM_MD5_BYTES];

	composite(data, size);

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
