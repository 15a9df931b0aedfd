/*
 * fuzz_s3mpu.c: libFuzzer target for lib/storage/s3mpu.c.
 *
 * The input as a part ETag a client sent back (s3mpu_etag_ok() must
 * accept only 32 hex digits, quoted or not), and its first 16 bytes as a
 * chunk size and a part size: any plan made must keep S3's rules (every
 * part but the last part_bytes, at least 5 MiB, at most 5 GiB, whole
 * MiB, 1..10,000 parts, the ranges covering the size exactly).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3mpu.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct s3mpu_plan p;
	int64_t a = 0, b = 0, off, len, sum = 0;
	size_t i, n;
	int q;

	if (s3mpu_etag_ok(in, size)) {
		q = size == 34;
		n = q ? 32 : size;
		if (n != 32 || (q && (in[0] != '"' || in[33] != '"')))
			abort();
		for (i = 0; i < n; i++)
			if (!hex(in[i + (size_t)q]))
				abort();
	}
	if (size < 16)
		return 0;
	memcpy(&a, data, 8);
	memcpy(&b, data + 8, 8);
	/* Keep the sizes in a range where the ranges can be walked. */
	a = (int64_t)((uint64_t)a % (uint64_t)(S3MPU_OBJECT_MAX + 2));
	b = (int64_t)((uint64_t)b % (uint64_t)(S3MPU_PART_MAX + 2));
	if (s3mpu_plan(a, b, &p) != ERR_OK)
		return 0;
	if (p.size != a || p.part_bytes < S3MPU_PART_MIN ||
	    p.part_bytes > S3MPU_PART_MAX || p.part_bytes < b ||
	    p.nparts < 1 || p.nparts > S3MPU_PARTS_MAX)
		abort();
	if (p.part_bytes != b && p.part_bytes % S3MPU_PART_ALIGN != 0)
		abort();
	for (q = 1; q <= p.nparts; q++) {
		if (s3mpu_part_range(&p, q, &off, &len) != 0 || off != sum ||
		    len < 1 || len > p.part_bytes ||
		    (q < p.nparts && len != p.part_bytes))
			abort();
		sum += len;
	}
	if (sum != p.size || s3mpu_part_range(&p, p.nparts + 1, &off,
	    &len) != -1)
		abort();
	return 0;
}
