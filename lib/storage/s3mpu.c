/*
 * s3mpu.c: part size, part ranges and part ETags of a multipart upload
 * (see s3mpu.h).
 */
#include <string.h>

#include "hex.h"
#include "s3mpu.h"

enum err
s3mpu_plan(int64_t size, int64_t part_min, struct s3mpu_plan *p)
{
	int64_t part, need;

	if (p == NULL)
		return ERR_INVAL;
	memset(p, 0, sizeof(*p));
	if (size < 1 || size > S3MPU_OBJECT_MAX || part_min < S3MPU_PART_MIN ||
	    part_min > S3MPU_PART_MAX)
		return ERR_INVAL;
	/* The smallest part that keeps the count within S3's, in whole
	 * MiB; never below what the operator asked for. */
	need = (size + S3MPU_PARTS_MAX - 1) / S3MPU_PARTS_MAX;
	need = (need + S3MPU_PART_ALIGN - 1) / S3MPU_PART_ALIGN *
	    S3MPU_PART_ALIGN;
	part = need > part_min ? need : part_min;
	if (part > S3MPU_PART_MAX)
		return ERR_INVAL;
	p->size = size;
	p->part_bytes = part;
	p->nparts = (int)((size + part - 1) / part);
	return ERR_OK;
}

int
s3mpu_part_range(const struct s3mpu_plan *p, int n, int64_t *offset,
    int64_t *len)
{
	int64_t off;

	if (p == NULL || n < 1 || n > p->nparts)
		return -1;
	off = (int64_t)(n - 1) * p->part_bytes;
	*offset = off;
	*len = n < p->nparts ? p->part_bytes : p->size - off;
	return 0;
}

int
s3mpu_etag_ok(const char *s, size_t len)
{
	size_t i;

	if (s == NULL)
		return 0;
	if (len == 34 && s[0] == '"' && s[33] == '"') {
		s++;
		len -= 2;
	}
	if (len != 32)
		return 0;
	for (i = 0; i < len; i++)
		if (hex_digit((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}
