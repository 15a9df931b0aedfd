/*
 * fuzz_s3meta.c: libFuzzer target for lib/storage/s3meta.c.
 *
 * Every input is one header line of an S3 answer (chunk metadata, ETag,
 * checksum, encryption).  Whatever is stored
 * must be NUL-terminated printable ASCII within its field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3meta.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const char *f, size_t size)
{
	size_t i;

	for (i = 0; i < size && f[i] != '\0'; i++)
		if ((unsigned char)f[i] < 0x20 || (unsigned char)f[i] >= 0x7f)
			abort();
	if (i == size)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s3meta m;

	memset(&m, 0, sizeof(m));
	(void)s3meta_header((const char *)data, size, &m);
	check(m.user_id, sizeof(m.user_id));
	check(m.session_id, sizeof(m.session_id));
	check(m.seq, sizeof(m.seq));
	check(m.etag, sizeof(m.etag));
	check(m.meta_sha256, sizeof(m.meta_sha256));
	check(m.meta_md5, sizeof(m.meta_md5));
	check(m.checksum_sha256, sizeof(m.checksum_sha256));
	check(m.sse, sizeof(m.sse));
	check(m.sse_kms_key_id, sizeof(m.sse_kms_key_id));
	check(m.sse_bucket_key, sizeof(m.sse_bucket_key));
	return 0;
}
