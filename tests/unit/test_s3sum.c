/*
 * test_s3sum.c: lib/storage/s3sum.c, the base64 checksums presign takes
 * and the single-part ETag complete compares with a presigned MD5.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "s3sum.h"
#include "unit.h"

/* MD5 and SHA-256 of the empty string. */
static const char *md5_b64 = "1B2M2Y8AsgTpgAmY7PhCfg==";
static const char *sha_b64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
static const unsigned char md5_raw[16] = {
	0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
	0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e,
};

static enum err
b64(const char *s, size_t n)
{
	unsigned char out[32];

	return s3sum_b64(s, strlen(s), out, n);
}

static void
base64_of_the_right_length_is_decoded(void)
{
	unsigned char out[32];

	CU_ASSERT_EQUAL(s3sum_b64(md5_b64, strlen(md5_b64), out, 16), ERR_OK);
	CU_ASSERT_EQUAL(memcmp(out, md5_raw, 16), 0);
	CU_ASSERT_EQUAL(b64(sha_b64, 32), ERR_OK);
	CU_ASSERT_EQUAL(out[15], 0x7e);
}

static void
base64_of_another_length_or_spelling_is_refused(void)
{
	/* a SHA-256 where an MD5 is wanted, and the reverse */
	CU_ASSERT_EQUAL(b64(sha_b64, 16), ERR_INVAL);
	CU_ASSERT_EQUAL(b64(md5_b64, 32), ERR_INVAL);
	/* padding dropped, base64url letters, hex, whitespace */
	CU_ASSERT_EQUAL(b64("1B2M2Y8AsgTpgAmY7PhCfg", 16), ERR_INVAL);
	CU_ASSERT_EQUAL(b64("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=", 32),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(b64("d41d8cd98f00b204e9800998ecf8427e", 16), ERR_INVAL);
	CU_ASSERT_EQUAL(b64("1B2M2Y8AsgTpgAmY7PhCf ==", 16), ERR_INVAL);
	/* non-zero unused bits: a second spelling of another value */
	CU_ASSERT_EQUAL(b64("1B2M2Y8AsgTpgAmY7PhCfh==", 16), ERR_INVAL);
	CU_ASSERT_EQUAL(b64("1B2M2Y8AsgTpgAmY7PhC=g==", 16), ERR_INVAL);
	CU_ASSERT_EQUAL(b64("", 16), ERR_INVAL);
	CU_ASSERT_EQUAL(s3sum_b64(NULL, 0, NULL, 16), ERR_INVAL);
}

static void
a_single_part_etag_matches_its_md5_only(void)
{
	unsigned char other[16];
	const char *q = "\"d41d8cd98f00b204e9800998ecf8427e\"";

	CU_ASSERT_TRUE(s3sum_etag_is_md5(q, strlen(q), md5_raw));
	CU_ASSERT_TRUE(s3sum_etag_is_md5(q + 1, 32, md5_raw));
	CU_ASSERT_TRUE(s3sum_etag_is_md5("D41D8CD98F00B204E9800998ECF8427E",
	    32, md5_raw));
	memcpy(other, md5_raw, 16);
	other[15] ^= 1;
	CU_ASSERT_FALSE(s3sum_etag_is_md5(q, strlen(q), other));
	/* a multipart ETag is no MD5 of the body */
	CU_ASSERT_FALSE(s3sum_etag_is_md5(
	    "\"d41d8cd98f00b204e9800998ecf8427e-2\"", 36, md5_raw));
	CU_ASSERT_FALSE(s3sum_etag_is_md5("\"d41d8cd98f00b204e9800998ecf8427\"",
	    33, md5_raw));
	CU_ASSERT_FALSE(s3sum_etag_is_md5("\"x41d8cd98f00b204e9800998ecf8427e\"",
	    34, md5_raw));
	CU_ASSERT_FALSE(s3sum_etag_is_md5("", 0, md5_raw));
	CU_ASSERT_FALSE(s3sum_etag_is_md5(NULL, 0, md5_raw));
}

/* Values from an independent implementation (Python's hashlib). */
static const char *sha_a_b64 = "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=";

static void
a_composite_is_the_sha256_of_the_part_digests_and_the_count(void)
{
	char parts[3 * 44 + 1], out[S3SUM_COMPOSITE_MAX + 1];

	CU_ASSERT_EQUAL(s3sum_composite(sha_b64, 44, out, sizeof(out)), ERR_OK);
	CU_ASSERT_STRING_EQUAL(out,
	    "Xfbg4nYTWdMKgnUFjimfzAOBU0VF9Vz0PkGYP11MlFY=-1");
	snprintf(parts, sizeof(parts), "%s%s", sha_b64, sha_a_b64);
	CU_ASSERT_EQUAL(s3sum_composite(parts, 88, out, sizeof(out)), ERR_OK);
	CU_ASSERT_STRING_EQUAL(out,
	    "rYOrsJ2pdaGSy2r1lgVaN9x4aii0kOzwJ9SCqyMuQrs=-2");
	/* the order of the parts counts */
	snprintf(parts, sizeof(parts), "%s%s", sha_a_b64, sha_b64);
	CU_ASSERT_EQUAL(s3sum_composite(parts, 88, out, sizeof(out)), ERR_OK);
	CU_ASSERT_STRING_EQUAL(out,
	    "FhqatyzBNX0Wif8vzeoF+ely8H3c7tscVmnIk7q+/Jk=-2");
}

static void
a_composite_of_bad_parts_is_refused(void)
{
	char parts[3 * 44 + 1], out[S3SUM_COMPOSITE_MAX + 1];

	/* not a whole count of values, none, a bad one among good ones */
	CU_ASSERT_EQUAL(s3sum_composite(sha_b64, 43, out, sizeof(out)),
	    ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(s3sum_composite(sha_b64, 0, out, sizeof(out)),
	    ERR_INVAL);
	snprintf(parts, sizeof(parts), "%s%s", sha_b64,
	    "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=");
	CU_ASSERT_EQUAL(s3sum_composite(parts, 88, out, sizeof(out)),
	    ERR_INVAL);
	/* an MD5 where a SHA-256 is wanted, padded to the length */
	snprintf(parts, sizeof(parts), "%s%s", md5_b64,
	    "AAAAAAAAAAAAAAAAAAAA");
	CU_ASSERT_EQUAL(s3sum_composite(parts, 44, out, sizeof(out)),
	    ERR_INVAL);
	/* no room for the answer */
	CU_ASSERT_EQUAL(s3sum_composite(sha_b64, 44, out, 40), ERR_INVAL);
	CU_ASSERT_EQUAL(s3sum_composite(NULL, 44, out, sizeof(out)),
	    ERR_INVAL);
}

int
test_s3sum_suite(void)
{
	CU_pSuite s = CU_add_suite("s3sum", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "base64 of the right length is decoded",
		base64_of_the_right_length_is_decoded) == NULL ||
	    CU_add_test(s, "base64 of another length or spelling is refused",
		base64_of_another_length_or_spelling_is_refused) == NULL ||
	    CU_add_test(s, "a single-part ETag matches its MD5 only",
		a_single_part_etag_matches_its_md5_only) == NULL ||
	    CU_add_test(s, "a composite is the SHA-256 of the part digests "
		"and the count",
		a_composite_is_the_sha256_of_the_part_digests_and_the_count) ==
		NULL ||
	    CU_add_test(s, "a composite of bad parts is refused",
		a_composite_of_bad_parts_is_refused) == NULL)
		return -1;
	return 0;
}
