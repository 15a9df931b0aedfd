/*
 * test_err.c: the error table maps every error to a status and a code.
 */
#include <string.h>

#include "err.h"
#include "unit.h"

static void
every_error_has_message_status_and_code(void)
{
	int e;

	for (e = 0; e < ERR__MAX; e++) {
		CU_ASSERT_PTR_NOT_NULL(err_strerror(e));
		CU_ASSERT(strlen(err_code(e)) > 0);
		CU_ASSERT(err_http_status(e) >= 200 &&
		    err_http_status(e) <= 599);
	}
}

static void
client_errors_map_to_their_http_status(void)
{
	CU_ASSERT_EQUAL(err_http_status(ERR_JSON), 400);
	CU_ASSERT_EQUAL(err_http_status(ERR_FIELD), 400);
	CU_ASSERT_EQUAL(err_http_status(ERR_AUTH), 401);
	CU_ASSERT_EQUAL(err_http_status(ERR_NOT_FOUND), 404);
	CU_ASSERT_EQUAL(err_http_status(ERR_METHOD), 405);
	CU_ASSERT_EQUAL(err_http_status(ERR_CONFLICT), 409);
	CU_ASSERT_EQUAL(err_http_status(ERR_OBJECT_MISSING), 409);
	CU_ASSERT_EQUAL(err_http_status(ERR_TOO_LARGE), 413);
	CU_ASSERT_EQUAL(err_http_status(ERR_MEDIA_TYPE), 415);
	CU_ASSERT_EQUAL(err_http_status(ERR_MISMATCH), 422);
	CU_ASSERT_EQUAL(err_http_status(ERR_UPSTREAM), 502);
	CU_ASSERT_EQUAL(err_http_status(ERR_UNAVAILABLE), 503);
}

static void
codes_are_unique_and_stable(void)
{
	int a, b;

	CU_ASSERT_STRING_EQUAL(err_code(ERR_FIELD), "invalid_field");
	CU_ASSERT_STRING_EQUAL(err_code(ERR_AUTH), "unauthorized");
	for (a = 0; a < ERR__MAX; a++)
		for (b = a + 1; b < ERR__MAX; b++)
			CU_ASSERT(strcmp(err_code(a), err_code(b)) != 0);
}

static void
out_of_range_error_is_internal(void)
{
	CU_ASSERT_STRING_EQUAL(err_code((enum err)ERR__MAX), "internal_error");
	CU_ASSERT_STRING_EQUAL(err_code((enum err)-1), "internal_error");
	CU_ASSERT_EQUAL(err_http_status((enum err)9999), 500);
}

int
test_err_suite(void)
{
	CU_pSuite s = CU_add_suite("err", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "every error has message, status and code",
		every_error_has_message_status_and_code) == NULL ||
	    CU_add_test(s, "client errors map to their HTTP status",
		client_errors_map_to_their_http_status) == NULL ||
	    CU_add_test(s, "codes are unique and stable",
		codes_are_unique_and_stable) == NULL ||
	    CU_add_test(s, "out-of-range error is internal",
		out_of_range_error_is_internal) == NULL)
		return -1;
	return 0;
}
