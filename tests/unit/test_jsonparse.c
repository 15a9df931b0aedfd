/*
 * test_jsonparse.c: the one strict JSON entry point (lib/jsonparse.c).
 * Each refusal is checked once here; the callers' suites check that they
 * go through it.
 */
#include <stdio.h>
#include <string.h>

#include "jsonparse.h"
#include "limit.h"
#include "unit.h"

static char why[160];

static enum err
obj(const char *s)
{
	json_object *o = NULL;
	enum err rc;

	rc = jsonparse_object(s, strlen(s), 4096, &o, why, sizeof(why));
	CU_ASSERT((rc == ERR_OK) == (o != NULL));
	json_object_put(o);
	return rc;
}

static void
test_jsonparse_accepts_rfc8259(void)
{
	json_object *o = NULL, *v;

	CU_ASSERT_EQUAL(obj("{}"), ERR_OK);
	CU_ASSERT_EQUAL(obj(" \t\r\n{\"a\":[1,-2.5e+3,true,false,null,"
	    "\"\\u00e9\\ud83d\\ude00\",{\"b\":{}}]} \n"), ERR_OK);
	CU_ASSERT_EQUAL(jsonparse_object("{\"k\":\"caf\xc3\xa9\"}", 13, 64, &o,
	    why, sizeof(why)), ERR_OK);
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "k", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "caf\xc3\xa9");
	json_object_put(o);
	/* a value of any type, a top-level number included */
	CU_ASSERT_EQUAL(jsonparse_value("12", 2, 64, &o, why, sizeof(why)),
	    ERR_OK);
	CU_ASSERT_EQUAL(json_object_get_int(o), 12);
	json_object_put(o);
	CU_ASSERT_EQUAL(jsonparse_value("[1]", 3, 64, &o, NULL, 0), ERR_OK);
	CU_ASSERT(json_object_is_type(o, json_type_array));
	json_object_put(o);
	CU_ASSERT_EQUAL(jsonparse_value("null", 4, 64, &o, NULL, 0), ERR_OK);
	CU_ASSERT_PTR_NULL(o);
}

static void
test_jsonparse_refuses_duplicate_keys_at_any_depth(void)
{
	CU_ASSERT_EQUAL(obj("{\"a\":1,\"a\":2}"), ERR_JSON);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "duplicate member name"));
	CU_ASSERT_EQUAL(obj("{\"x\":[{\"a\":1,\"b\":{\"c\":1,\"c\":1}}]}"),
	    ERR_JSON);
	/* the same name in different objects is fine */
	CU_ASSERT_EQUAL(obj("{\"a\":{\"a\":1},\"b\":{\"a\":2}}"), ERR_OK);
}

static void
test_jsonparse_refuses_nan_infinity_and_leniencies(void)
{
	static const char *const bad[] = {
		"{\"n\":NaN}", "{\"n\":Infinity}", "{\"n\":-Infinity}",
		"{\"n\":1.}", "{\"n\":.5}", "{\"n\":01}", "{\"n\":+1}",
		"{'a':1}", "{\"a\":'x'}", "{\"a\":1,}", "{\"a\"}",
		"{\"s\":\"\\ud800\"}", "{\"s\":\"\xff\"}", "{\"s\":\"a\tb\"}",
		"{\"a\\u0000b\":1}", "{\"a\":1 /* c */}", "{\"a\":TRUE}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(obj(bad[i]), ERR_JSON);
		CU_ASSERT(why[0] != '\0');
	}
}

static void
test_jsonparse_refuses_trailing_garbage(void)
{
	json_object *o = NULL;

	CU_ASSERT_EQUAL(obj("{} x"), ERR_JSON);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "trailing data"));
	CU_ASSERT_EQUAL(obj("{}{}"), ERR_JSON);
	CU_ASSERT_EQUAL(jsonparse_object("{}\0", 3, 64, &o, why, sizeof(why)),
	    ERR_JSON);
	CU_ASSERT_EQUAL(jsonparse_value("1 2", 3, 64, &o, why, sizeof(why)),
	    ERR_JSON);
	CU_ASSERT_PTR_NULL(o);
}

/* An object holding containers-1 nested arrays: {"a":[[...]]}. */
static void
nest(char *out, size_t outsz, size_t containers)
{
	size_t i, n = 0;

	n += (size_t)snprintf(out, outsz, "{\"a\":");
	for (i = 1; i < containers && n + 1 < outsz; i++)
		out[n++] = '[';
	for (i = 1; i < containers && n + 1 < outsz; i++)
		out[n++] = ']';
	if (n + 2 <= outsz) {
		out[n++] = '}';
		out[n] = '\0';
	}
}

static void
test_jsonparse_refuses_over_depth(void)
{
	char deep[2 * LIMIT_JSON_DEPTH + 16];

	nest(deep, sizeof(deep), LIMIT_JSON_DEPTH);
	CU_ASSERT_EQUAL(obj(deep), ERR_OK);
	nest(deep, sizeof(deep), LIMIT_JSON_DEPTH + 1);
	CU_ASSERT_EQUAL(obj(deep), ERR_JSON);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "nested too deeply"));
}

static void
test_jsonparse_refuses_over_size(void)
{
	json_object *o = NULL;

	CU_ASSERT_EQUAL(jsonparse_object("{\"a\":1}", 7, 6, &o, why,
	    sizeof(why)), ERR_TOO_LARGE);
	CU_ASSERT_PTR_NULL(o);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "over the limit"));
	CU_ASSERT_EQUAL(jsonparse_object("{\"a\":1}", 7, 7, &o, why,
	    sizeof(why)), ERR_OK);
	json_object_put(o);
}

static void
test_jsonparse_object_refuses_other_values(void)
{
	json_object *o = NULL;

	CU_ASSERT_EQUAL(obj("[1]"), ERR_JSON);
	CU_ASSERT_STRING_EQUAL(why, "top level must be a JSON object");
	CU_ASSERT_EQUAL(obj("\"x\""), ERR_JSON);
	CU_ASSERT_EQUAL(obj(""), ERR_JSON);
	CU_ASSERT_EQUAL(jsonparse_object(NULL, 0, 10, &o, NULL, 0), ERR_JSON);
	CU_ASSERT_EQUAL(jsonparse_value("", 0, 10, &o, why, sizeof(why)),
	    ERR_JSON);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "value expected"));
}

static void
test_jsonparse_str_reads_string_members_only(void)
{
	json_object *o = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(jsonparse_object("{\"s\":\"a\\u0000b\",\"n\":1,"
	    "\"z\":null}", 31, 64, &o, why, sizeof(why)), ERR_OK);
	CU_ASSERT_STRING_EQUAL(jsonparse_str(o, "s", &len), "a");
	CU_ASSERT_EQUAL(len, 3);
	CU_ASSERT_PTR_NULL(jsonparse_str(o, "n", NULL));
	CU_ASSERT_PTR_NULL(jsonparse_str(o, "z", NULL));
	CU_ASSERT_PTR_NULL(jsonparse_str(o, "absent", NULL));
	CU_ASSERT_PTR_NULL(jsonparse_str(NULL, "s", NULL));
	json_object_put(o);
}

int
test_jsonparse_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("jsonparse", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "accepts RFC 8259", test_jsonparse_accepts_rfc8259)
	    == NULL ||
	    CU_add_test(s, "refuses duplicate keys at any depth",
	    test_jsonparse_refuses_duplicate_keys_at_any_depth) == NULL ||
	    CU_add_test(s, "refuses NaN, Infinity and json-c leniencies",
	    test_jsonparse_refuses_nan_infinity_and_leniencies) == NULL ||
	    CU_add_test(s, "refuses trailing garbage",
	    test_jsonparse_refuses_trailing_garbage) == NULL ||
	    CU_add_test(s, "refuses over-depth",
	    test_jsonparse_refuses_over_depth) == NULL ||
	    CU_add_test(s, "refuses over-size",
	    test_jsonparse_refuses_over_size) == NULL ||
	    CU_add_test(s, "object refuses other values",
	    test_jsonparse_object_refuses_other_values) == NULL ||
	    CU_add_test(s, "str reads string members only",
	    test_jsonparse_str_reads_string_members_only) == NULL)
		return -1;
	return 0;
}
