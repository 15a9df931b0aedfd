/*
 * test_ident.c: session ids have the old shape and are valid key parts;
 * random ids are fresh, well-formed and bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ident.h"
#include "s3key.h"
#include "unit.h"

static void
session_id_has_the_old_shape(void)
{
	char id[IDENT_SESSION_SIZE];

	CU_ASSERT_EQUAL_FATAL(ident_session(1764093600123LL, id, sizeof(id)),
	    ERR_OK);
	CU_ASSERT_EQUAL(strncmp(id, "session-1764093600123-", 22), 0);
	CU_ASSERT(unit_is_uuid4(id + 22));
	CU_ASSERT(s3key_valid_session(id, strlen(id)));
}

static void
session_id_uses_the_current_time(void)
{
	char id[IDENT_SESSION_SIZE], *end;
	long long before, ms;

	before = (long long)time(NULL) * 1000;
	CU_ASSERT_EQUAL_FATAL(ident_session(-1, id, sizeof(id)), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(strncmp(id, "session-", 8), 0);
	ms = strtoll(id + 8, &end, 10);
	CU_ASSERT(*end == '-');
	CU_ASSERT(ms >= before && ms < before + 5000);
	CU_ASSERT(unit_is_uuid4(end + 1));
}

static void
session_ids_differ(void)
{
	char a[IDENT_SESSION_SIZE], b[IDENT_SESSION_SIZE];

	CU_ASSERT_EQUAL(ident_session(1, a, sizeof(a)), ERR_OK);
	CU_ASSERT_EQUAL(ident_session(1, b, sizeof(b)), ERR_OK);
	CU_ASSERT(strcmp(a, b) != 0);
}

static void
session_id_too_small_buffer_is_refused(void)
{
	char id[30];

	CU_ASSERT_EQUAL(ident_session(1764093600123LL, id, sizeof(id)),
	    ERR_TOO_LARGE);
	CU_ASSERT_STRING_EQUAL(id, "");
}

static void
random_id_is_prefix_and_hex(void)
{
	char id[160], again[160];

	CU_ASSERT_EQUAL_FATAL(ident_random("evt-", 16, id, sizeof(id)),
	    ERR_OK);
	CU_ASSERT_EQUAL(strlen(id), 4 + 32);
	CU_ASSERT_EQUAL(strncmp(id, "evt-", 4), 0);
	CU_ASSERT(unit_is_hex(id + 4, 32));
	CU_ASSERT_EQUAL(ident_random("evt-", 16, again, sizeof(again)),
	    ERR_OK);
	CU_ASSERT(strcmp(id, again) != 0);
	CU_ASSERT_EQUAL(ident_random(NULL, 64, id, sizeof(id)), ERR_OK);
	CU_ASSERT_EQUAL(strlen(id), 128);
	CU_ASSERT(unit_is_hex(id, 128));
}

static void
random_id_bounds_are_checked(void)
{
	char id[16];

	CU_ASSERT_EQUAL(ident_random("r-", 0, id, sizeof(id)), ERR_INVAL);
	CU_ASSERT_EQUAL(ident_random("r-", 65, id, sizeof(id)), ERR_INVAL);
	CU_ASSERT_EQUAL(ident_random("r-", 8, id, sizeof(id)), ERR_TOO_LARGE);
	CU_ASSERT_STRING_EQUAL(id, "");
	CU_ASSERT_EQUAL(ident_random("r-", 6, id, sizeof(id)), ERR_OK);
	CU_ASSERT_EQUAL(strlen(id), 14);
}

int
test_ident_suite(void)
{
	CU_pSuite s = CU_add_suite("ident", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "session id has the old shape",
		session_id_has_the_old_shape) == NULL ||
	    CU_add_test(s, "session id uses the current time",
		session_id_uses_the_current_time) == NULL ||
	    CU_add_test(s, "session ids differ", session_ids_differ) == NULL ||
	    CU_add_test(s, "session id: too small buffer is refused",
		session_id_too_small_buffer_is_refused) == NULL ||
	    CU_add_test(s, "random id is prefix and hex",
		random_id_is_prefix_and_hex) == NULL ||
	    CU_add_test(s, "random id bounds are checked",
		random_id_bounds_are_checked) == NULL)
		return -1;
	return 0;
}
