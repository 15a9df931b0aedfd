/* test_uuid.c: the one random UUID (lib/uuid.c). */
#include <string.h>

#include "unit.h"
#include "uuid.h"

static void
test_uuid_v4_has_version_and_variant(void)
{
	char u[UUID_SIZE], prev[UUID_SIZE] = "";
	int i;

	for (i = 0; i < 200; i++) {
		CU_ASSERT_EQUAL_FATAL(uuid_v4(u, sizeof(u)), ERR_OK);
		CU_ASSERT(unit_is_uuid4(u));
		CU_ASSERT_STRING_NOT_EQUAL(u, prev);
		memcpy(prev, u, sizeof(u));
	}
	CU_ASSERT_EQUAL(uuid_v4(u, UUID_SIZE - 1), ERR_TOO_LARGE);
	CU_ASSERT_STRING_EQUAL(u, "");
	CU_ASSERT_EQUAL(uuid_v4(NULL, 0), ERR_TOO_LARGE);
}

/* Not a randomness test: catches a generator stuck on a constant or on a
 * few values (every nibble value should appear in 4096 random bytes). */
static void
test_uuid_random_bytes_are_not_constant(void)
{
	unsigned char b[4096];
	int seen[16] = { 0 }, i, distinct = 0;

	memset(b, 0, sizeof(b));
	CU_ASSERT_EQUAL_FATAL(uuid_random(b, sizeof(b)), ERR_OK);
	for (i = 0; i < (int)sizeof(b); i++)
		seen[b[i] & 0x0f] = seen[b[i] >> 4] = 1;
	for (i = 0; i < 16; i++)
		distinct += seen[i];
	CU_ASSERT_EQUAL(distinct, 16);
	CU_ASSERT_EQUAL(uuid_random(b, 0), ERR_OK);
}

int
test_uuid_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("uuid", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "v4 has version and variant",
	    test_uuid_v4_has_version_and_variant) == NULL ||
	    CU_add_test(s, "random bytes are not constant",
	    test_uuid_random_bytes_are_not_constant) == NULL)
		return -1;
	return 0;
}
