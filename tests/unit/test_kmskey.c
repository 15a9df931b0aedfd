/*
 * test_kmskey.c: lib/storage/kmskey.c, the KMS key a config names for
 * sse = aws:kms, and comparing it with the key ARN S3 reports.
 */
#include <string.h>

#include <CUnit/CUnit.h>

#include "kmskey.h"
#include "unit.h"

#define ARN	"arn:aws:kms:eu-west-1:111122223333:key/" \
		"1234abcd-12ab-34cd-56ef-1234567890ab"

static enum err
parse(const char *s, struct kmskey *k, char *why)
{
	return kmskey_parse(s, strlen(s), k, why, 128);
}

static void
the_four_forms_are_taken(void)
{
	struct kmskey k;
	char why[128];

	CU_ASSERT_EQUAL(parse(ARN, &k, why), ERR_OK);
	CU_ASSERT_EQUAL(k.kind, KMSKEY_KEY_ARN);
	CU_ASSERT_EQUAL(k.region_len, 9);
	CU_ASSERT_EQUAL(memcmp(k.region, "eu-west-1", 9), 0);
	CU_ASSERT_EQUAL(parse("arn:aws-us-gov:kms:us-gov-west-1:111122223333:"
	    "alias/audio/recordings", &k, why), ERR_OK);
	CU_ASSERT_EQUAL(k.kind, KMSKEY_ALIAS_ARN);
	CU_ASSERT_EQUAL(parse("alias/aws/s3", &k, why), ERR_OK);
	CU_ASSERT_EQUAL(k.kind, KMSKEY_ALIAS);
	CU_ASSERT_EQUAL(parse("1234abcd-12ab-34cd-56ef-1234567890ab", &k, why),
	    ERR_OK);
	CU_ASSERT_EQUAL(k.kind, KMSKEY_KEY_ID);
	CU_ASSERT_EQUAL(parse("mrk-1234abcd12ab34cd56ef1234567890ab", &k, why),
	    ERR_OK);
	CU_ASSERT_EQUAL(parse("arn:aws:kms:us-east-1:111122223333:key/"
	    "mrk-1234abcd12ab34cd56ef1234567890ab", &k, why), ERR_OK);
}

static void
malformed_keys_say_why(void)
{
	struct kmskey k;
	char why[128];

	CU_ASSERT_EQUAL(parse("", &k, why), ERR_INVAL);
	CU_ASSERT_EQUAL(parse("arn:aws:kms:eu-west-1:11112222333:key/"
	    "1234abcd-12ab-34cd-56ef-1234567890ab", &k, why), ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "12 digits"));
	CU_ASSERT_EQUAL(parse("arn:aws:s3:eu-west-1:111122223333:key/"
	    "1234abcd-12ab-34cd-56ef-1234567890ab", &k, why), ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "kms"));
	CU_ASSERT_EQUAL(parse("arn:aws:kms:eu-west-1:111122223333:key/nope",
	    &k, why), ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "UUID"));
	CU_ASSERT_EQUAL(parse("arn:aws:kms::111122223333:key/"
	    "1234abcd-12ab-34cd-56ef-1234567890ab", &k, why), ERR_INVAL);
	CU_ASSERT_EQUAL(parse("arn:aws:kms:eu-west-1:111122223333:"
	    "1234abcd-12ab-34cd-56ef-1234567890ab", &k, why), ERR_INVAL);
	CU_ASSERT_EQUAL(parse("alias/", &k, why), ERR_INVAL);
	CU_ASSERT_EQUAL(parse("alias/with space", &k, why), ERR_INVAL);
	CU_ASSERT_EQUAL(parse("key/1234abcd-12ab-34cd-56ef-1234567890ab", &k,
	    why), ERR_INVAL);
	CU_ASSERT_EQUAL(parse("1234abcd-12ab-34cd-56ef-1234567890ag", &k, why),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(parse("my-key", &k, why), ERR_INVAL);
	CU_ASSERT_EQUAL(kmskey_parse(NULL, 0, &k, why, sizeof(why)),
	    ERR_INVAL);
}

static void
a_reported_key_arn_matches_its_arn_or_id(void)
{
	struct kmskey k;
	char why[128];
	const char *other = "arn:aws:kms:eu-west-1:111122223333:key/"
	    "1234abcd-12ab-34cd-56ef-1234567890ac";

	CU_ASSERT_EQUAL(parse(ARN, &k, why), ERR_OK);
	CU_ASSERT_EQUAL(kmskey_match(&k, ARN, ARN, strlen(ARN)), 1);
	CU_ASSERT_EQUAL(kmskey_match(&k, ARN, other, strlen(other)), 0);
	CU_ASSERT_EQUAL(kmskey_match(&k, ARN, "", 0), 0);
	CU_ASSERT_EQUAL(parse("1234abcd-12ab-34cd-56ef-1234567890ab", &k, why),
	    ERR_OK);
	CU_ASSERT_EQUAL(kmskey_match(&k, "1234abcd-12ab-34cd-56ef-1234567890ab",
	    ARN, strlen(ARN)), 1);
	CU_ASSERT_EQUAL(kmskey_match(&k, "1234abcd-12ab-34cd-56ef-1234567890ab",
	    other, strlen(other)), 0);
	CU_ASSERT_EQUAL(parse("alias/audio", &k, why), ERR_OK);
	CU_ASSERT_EQUAL(kmskey_match(&k, "alias/audio", ARN, strlen(ARN)), -1);
}

int
test_kmskey_suite(void)
{
	CU_pSuite s = CU_add_suite("kmskey", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "the four forms are taken",
		the_four_forms_are_taken) == NULL ||
	    CU_add_test(s, "malformed keys say why",
		malformed_keys_say_why) == NULL ||
	    CU_add_test(s, "a reported key ARN matches its ARN or id",
		a_reported_key_arn_matches_its_arn_or_id) == NULL)
		return -1;
	return 0;
}
