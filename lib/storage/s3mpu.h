/*
 * s3mpu.h: the numbers of an S3 multipart upload, decided by the server.
 *
 * A chunk over the single-PUT limit is uploaded in parts: the API chooses
 * the part size (S3's rules: every part but the last at least 5 MiB, at
 * most 5 GiB, at most 10,000 parts, at most 5 TiB in all), hands out one
 * presigned UploadPart URL per part with the byte range it must carry,
 * and checks the ETags the client brings back before it asks S3 to put
 * the parts together.  No I/O.
 */
#ifndef S3MPU_H
#define S3MPU_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define S3MPU_PART_MIN		(5LL * 1024 * 1024)
#define S3MPU_PART_MAX		(5LL * 1024 * 1024 * 1024)
#define S3MPU_PARTS_MAX		10000
#define S3MPU_OBJECT_MAX	(5LL * 1024 * 1024 * 1024 * 1024)
/* Part sizes are whole MiB: a client's buffers and a reader's arithmetic
 * stay simple. */
#define S3MPU_PART_ALIGN	(1024 * 1024)

struct s3mpu_plan {
	int64_t		size;		/* the whole object */
	int64_t		part_bytes;	/* every part but the last */
	int		nparts;
};

/*
 * Plan the upload of size bytes with parts of at least part_min bytes:
 * part_bytes is part_min, or the smallest whole MiB that keeps the count
 * within S3MPU_PARTS_MAX.  ERR_INVAL for size outside 1..S3MPU_OBJECT_MAX
 * or part_min outside S3MPU_PART_MIN..S3MPU_PART_MAX.
 */
enum err	s3mpu_plan(int64_t size, int64_t part_min, struct s3mpu_plan *);

/* Part number n's (1..nparts) byte range: *offset and *len.  0, or -1 for
 * n out of range. */
int		s3mpu_part_range(const struct s3mpu_plan *, int n,
		    int64_t *offset, int64_t *len);

/*
 * Whether s[0..len) is an UploadPart ETag as S3 answers it: 32 hex
 * digits (the part's MD5, or an opaque id of the same shape under
 * SSE-KMS), with or without the surrounding double quotes.
 */
int		s3mpu_etag_ok(const char *s, size_t len);

#endif /* S3MPU_H */
