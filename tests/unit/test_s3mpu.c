/* test_s3mpu.c: part size, part ranges and part ETags of a multipart
 * upload (lib/storage/s3mpu.c). */
#include <string.h>

#include "s3mpu.h"
#include "unit.h"

#define MIB	(1024LL * 1024)

static void
test_s3mpu_plans_a_12_mib_chunk_in_three_parts(void)
{
	struct s3mpu_plan p;
	int64_t off, len;

	CU_ASSERT_EQUAL_FATAL(s3mpu_plan(12 * MIB, 5 * MIB, &p), ERR_OK);
	CU_ASSERT_EQUAL(p.part_bytes, 5 * MIB);
	CU_ASSERT_EQUAL(p.nparts, 3);
	CU_ASSERT_EQUAL(s3mpu_part_range(&p, 1, &off, &len), 0);
	CU_ASSERT_EQUAL(off, 0);
	CU_ASSERT_EQUAL(len, 5 * MIB);
	CU_ASSERT_EQUAL(s3mpu_part_range(&p, 3, &off, &len), 0);
	CU_ASSERT_EQUAL(off, 10 * MIB);
	CU_ASSERT_EQUAL(len, 2 * MIB);
	CU_ASSERT_EQUAL(s3mpu_part_range(&p, 0, &off, &len), -1);
	CU_ASSERT_EQUAL(s3mpu_part_range(&p, 4, &off, &len), -1);
}

static void
test_s3mpu_exact_multiple_has_a_full_last_part(void)
{
	struct s3mpu_plan p;
	int64_t off, len;

	CU_ASSERT_EQUAL_FATAL(s3mpu_plan(16 * MIB, 8 * MIB, &p), ERR_OK);
	CU_ASSERT_EQUAL(p.nparts, 2);
	CU_ASSERT_EQUAL(s3mpu_part_range(&p, 2, &off, &len), 0);
	CU_ASSERT_EQUAL(len, 8 * MIB);
	/* One byte more is one more part of one byte. */
	CU_ASSERT_EQUAL_FATAL(s3mpu_plan(16 * MIB + 1, 8 * MIB, &p), ERR_OK);
	CU_ASSERT_EQUAL(p.nparts, 3);
	CU_ASSERT_EQUAL(s3mpu_part_range(&p, 3, &off, &len), 0);
	CU_ASSERT_EQUAL(len, 1);
}

static void
test_s3mpu_grows_parts_to_stay_within_10000(void)
{
	struct s3mpu_plan p;
	int64_t sizes[] = { 50000 * MIB, 50000 * MIB + 1, 1024 * 1024 * MIB,
	    S3MPU_OBJECT_MAX };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(s3mpu_plan(sizes[i], 5 * MIB, &p),
		    ERR_OK);
		CU_ASSERT(p.nparts <= S3MPU_PARTS_MAX);
		CU_ASSERT(p.part_bytes >= S3MPU_PART_MIN);
		CU_ASSERT(p.part_bytes <= S3MPU_PART_MAX);
		CU_ASSERT_EQUAL(p.part_bytes % MIB, 0);
		/* The smallest such size: one MiB less would not do. */
		CU_ASSERT((p.part_bytes - MIB) * S3MPU_PARTS_MAX < sizes[i] ||
		    p.part_bytes == 5 * MIB);
	}
	CU_ASSERT_EQUAL(s3mpu_plan(50000 * MIB, 5 * MIB, &p), ERR_OK);
	CU_ASSERT_EQUAL(p.part_bytes, 5 * MIB);
	CU_ASSERT_EQUAL(p.nparts, 10000);
	CU_ASSERT_EQUAL(s3mpu_plan(50000 * MIB + 1, 5 * MIB, &p), ERR_OK);
	CU_ASSERT_EQUAL(p.part_bytes, 6 * MIB);
}

static void
test_s3mpu_refuses_what_s3_would(void)
{
	struct s3mpu_plan p;

	CU_ASSERT_EQUAL(s3mpu_plan(0, 5 * MIB, &p), ERR_INVAL);
	CU_ASSERT_EQUAL(s3mpu_plan(S3MPU_OBJECT_MAX + 1, 5 * MIB, &p),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(s3mpu_plan(12 * MIB, 5 * MIB - 1, &p), ERR_INVAL);
	CU_ASSERT_EQUAL(s3mpu_plan(12 * MIB, S3MPU_PART_MAX + 1, &p),
	    ERR_INVAL);
}

static void
test_s3mpu_checks_part_etags(void)
{
	static const char *const good[] = {
		"\"0123456789abcdef0123456789abcdef\"",
		"0123456789ABCDEF0123456789abcdef",
	};
	static const char *const bad[] = {
		"", "\"\"", "0123456789abcdef0123456789abcde",
		"0123456789abcdef0123456789abcdefa",
		"\"0123456789abcdef0123456789abcdef",
		"0123456789abcdef0123456789abcdeg",
		"\"0123456789abcdef0123456789abcdef-2\"",
		"'0123456789abcdef0123456789abcdef'",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CU_ASSERT(s3mpu_etag_ok(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT(!s3mpu_etag_ok(bad[i], strlen(bad[i])));
	CU_ASSERT(!s3mpu_etag_ok(NULL, 0));
}

int
test_s3mpu_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("s3mpu", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "plans a 12 MiB chunk in three parts",
	    test_s3mpu_plans_a_12_mib_chunk_in_three_parts) == NULL ||
	    CU_add_test(s, "an exact multiple has a full last part",
	    test_s3mpu_exact_multiple_has_a_full_last_part) == NULL ||
	    CU_add_test(s, "grows parts to stay within 10,000",
	    test_s3mpu_grows_parts_to_stay_within_10000) == NULL ||
	    CU_add_test(s, "refuses what S3 would",
	    test_s3mpu_refuses_what_s3_would) == NULL ||
	    CU_add_test(s, "checks part ETags",
	    test_s3mpu_checks_part_etags) == NULL)
		return -1;
	return 0;
}
