/*
 * test_jsonv.c: request bodies are validated strictly and errors name the
 * offending field.
 */
#include <stdio.h>
#include <string.h>

#include "jsonv.h"
#include "limit.h"
#include "unit.h"

static const char *const mimes[] = { "audio/webm", "audio/ogg", NULL };

enum { F_SEQ, F_MIME, F_RATE, F_FINAL, F_META, F_TAGS, F_NOTE, F__N };
static const struct jsonv_field fields[F__N] = {
	[F_SEQ] = { "seq", JSONV_INT, JSONV_REQUIRED, 0, 99999, NULL },
	[F_MIME] = { "mimeType", JSONV_STRING, 0, 1, 32, mimes },
	[F_RATE] = { "rate", JSONV_NUMBER, 0, 0, 0, NULL },
	[F_FINAL] = { "final", JSONV_BOOL, 0, 0, 0, NULL },
	[F_META] = { "meta", JSONV_OBJECT, 0, 0, 4, NULL },
	[F_TAGS] = { "tags", JSONV_ARRAY, 0, 0, 3, NULL },
	[F_NOTE] = { "note", JSONV_STRING, JSONV_NULLABLE, 2, 5, NULL },
};

static struct jsonv_val v[F__N];
static struct jsonv_error e;

/* Validate a NUL-terminated body against `fields`. */
static enum err
check(const char *body, enum jsonv_policy policy)
{
	struct jsonv_doc *doc = NULL;
	enum err rc;

	memset(&e, 0, sizeof(e));
	rc = jsonv_request(body, strlen(body), LIMIT_BODY_MAX, fields, F__N,
	    policy, &doc, v, &e);
	if ((rc == ERR_OK) != (doc != NULL))
		CU_FAIL("document returned iff success");
	jsonv_free(doc);
	return rc;
}

static enum err
parse_only(const char *body, size_t len)
{
	struct jsonv_doc *doc = NULL;
	enum err rc;

	memset(&e, 0, sizeof(e));
	rc = jsonv_parse(body, len, LIMIT_BODY_MAX, &doc, &e);
	jsonv_free(doc);
	return rc;
}

static enum err
parse_str(const char *body)
{
	return parse_only(body, strlen(body));
}

static void
valid_body_yields_typed_values(void)
{
	struct jsonv_doc *doc = NULL;
	const char *body = "{\"seq\": 42, \"mimeType\": \"audio/ogg\", "
	    "\"rate\": 1.5, \"final\": true, \"meta\": {\"a\": 1}, "
	    "\"tags\": [\"x\", 2], \"note\": null}";

	CU_ASSERT_EQUAL_FATAL(jsonv_request(body, strlen(body),
	    LIMIT_BODY_MAX, fields, F__N, JSONV_REJECT_UNKNOWN, &doc, v, &e),
	    ERR_OK);
	CU_ASSERT(v[F_SEQ].present && v[F_SEQ].i == 42);
	CU_ASSERT(v[F_MIME].present && v[F_MIME].len == 9 &&
	    strcmp(v[F_MIME].s, "audio/ogg") == 0);
	CU_ASSERT(v[F_RATE].present && v[F_RATE].d == 1.5);
	CU_ASSERT(v[F_FINAL].present && v[F_FINAL].b);
	CU_ASSERT(v[F_META].present && v[F_META].len == 1 &&
	    v[F_META].j != NULL);
	CU_ASSERT(v[F_TAGS].present && v[F_TAGS].len == 2);
	CU_ASSERT_FALSE(v[F_NOTE].present);	/* nullable null: absent */
	jsonv_free(doc);

	CU_ASSERT_EQUAL(check("{\"seq\": 0}", JSONV_REJECT_UNKNOWN), ERR_OK);
	CU_ASSERT_FALSE(v[F_MIME].present);
	CU_ASSERT_FALSE(v[F_FINAL].present);
	CU_ASSERT_EQUAL(check(" \r\n\t{\"seq\": 99999}\n ",
	    JSONV_REJECT_UNKNOWN), ERR_OK);
}

static void
integer_field_rejects_non_integers(void)
{
	static const char *const bad[] = {
		"{\"seq\": 1.5}",
		"{\"seq\": 1.0}",
		"{\"seq\": 1e2}",
		"{\"seq\": \"1\"}",
		"{\"seq\": true}",
		"{\"seq\": [1]}",
		"{\"seq\": {}}",
		"{\"seq\": null}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(check(bad[i], JSONV_REJECT_UNKNOWN),
		    ERR_FIELD);
		CU_ASSERT_STRING_EQUAL(e.field, "seq");
		CU_ASSERT(e.message[0] != '\0');
	}
}

static void
integer_field_rejects_out_of_range(void)
{
	static const char *const bad[] = {
		"{\"seq\": -1}",
		"{\"seq\": 100000}",
		"{\"seq\": 9223372036854775807}",
		"{\"seq\": 9223372036854775808}",	/* INT64_MAX + 1 */
		"{\"seq\": 18446744073709551616}",	/* UINT64_MAX + 1 */
		"{\"seq\": 99999999999999999999999999}",
		"{\"seq\": -9223372036854775809}",	/* INT64_MIN - 1 */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(check(bad[i], JSONV_REJECT_UNKNOWN),
		    ERR_FIELD);
		CU_ASSERT_STRING_EQUAL(e.field, "seq");
	}
}

/* json-c clamps literals beyond 64 bits; a field whose range is all of
 * int64 must still not accept a clamped value. */
static void
integer_full_range_refuses_clamped_values(void)
{
	static const struct jsonv_field wide[] = {
		{ "n", JSONV_INT, JSONV_REQUIRED, INT64_MIN, INT64_MAX, NULL },
	};
	struct jsonv_doc *doc = NULL;
	struct jsonv_val w[1];
	const char *ok = "{\"n\": 9223372036854775807}";
	const char *over = "{\"n\": 9223372036854775808}";
	const char *under = "{\"n\": -9223372036854775809}";

	CU_ASSERT_EQUAL(jsonv_request(ok, strlen(ok), LIMIT_BODY_MAX, wide, 1,
	    JSONV_REJECT_UNKNOWN, &doc, w, &e), ERR_OK);
	CU_ASSERT(w[0].i == INT64_MAX);
	jsonv_free(doc);
	CU_ASSERT_EQUAL(jsonv_request(over, strlen(over), LIMIT_BODY_MAX,
	    wide, 1, JSONV_REJECT_UNKNOWN, &doc, w, &e), ERR_FIELD);
	CU_ASSERT_EQUAL(jsonv_request(under, strlen(under), LIMIT_BODY_MAX,
	    wide, 1, JSONV_REJECT_UNKNOWN, &doc, w, &e), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "n");
}

static void
missing_required_field_is_named(void)
{
	CU_ASSERT_EQUAL(check("{}", JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "seq");
	/* The message alone names the field: old clients print only it. */
	CU_ASSERT_STRING_EQUAL(e.message, "seq is required");
}

static void
string_rules_are_enforced(void)
{
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"mimeType\": \"audio/mp3\"}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "mimeType");
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"mimeType\": \"audio/webmx\"}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"mimeType\": \"audio/web\"}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"mimeType\": 5}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"note\": \"a\"}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "note");
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"note\": \"abcdef\"}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"note\": \"abcde\"}",
	    JSONV_REJECT_UNKNOWN), ERR_OK);
	/* length is in bytes: two 2-byte characters are 4 bytes */
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"note\": \"\xc3\xa9\xc3\xa9\"}",
	    JSONV_REJECT_UNKNOWN), ERR_OK);
	CU_ASSERT_EQUAL(v[F_NOTE].len, 4);
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"note\": \"a\\u0000b\"}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "note");
}

static void
other_types_are_checked(void)
{
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"final\": 1}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "final");
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"final\": \"true\"}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"rate\": \"1\"}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "rate");
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"rate\": 3}",
	    JSONV_REJECT_UNKNOWN), ERR_OK);
	CU_ASSERT(v[F_RATE].d == 3.0);
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"rate\": 1e400}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"meta\": []}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "meta");
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"meta\": {\"a\":1,\"b\":2,"
	    "\"c\":3,\"d\":4,\"e\":5}}", JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"tags\": {}}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "tags");
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"tags\": [1,2,3,4]}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"tags\": null}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
}

static void
unknown_field_policy(void)
{
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"sneaky\": 2}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "sneaky");
	CU_ASSERT_STRING_EQUAL(e.message, "sneaky is not a known field");
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"sneaky\": 2}",
	    JSONV_IGNORE_UNKNOWN), ERR_OK);
	CU_ASSERT(v[F_SEQ].i == 1);
	/* a hostile unknown name is reported printable */
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"a\\nb\\u001b\": 2}",
	    JSONV_REJECT_UNKNOWN), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "a?b?");
	CU_ASSERT_STRING_EQUAL(e.message, "a?b? is not a known field");
	/* an empty name is still named */
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"\": 2}", JSONV_REJECT_UNKNOWN),
	    ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "\"\"");
}

static void
nested_object_errors_carry_the_path(void)
{
	static const struct jsonv_field inner[] = {
		{ "codec", JSONV_STRING, JSONV_REQUIRED, 1, 16, NULL },
	};
	static const struct jsonv_field elem = {
		"", JSONV_INT, JSONV_REQUIRED, 0, 10, NULL
	};
	struct jsonv_doc *doc = NULL;
	struct jsonv_val iv[1], ev;
	const char *body = "{\"seq\": 1, \"meta\": {\"codec\": 7}, "
	    "\"tags\": [1, 11]}";

	CU_ASSERT_EQUAL_FATAL(jsonv_request(body, strlen(body),
	    LIMIT_BODY_MAX, fields, F__N, JSONV_REJECT_UNKNOWN, &doc, v, &e),
	    ERR_OK);
	CU_ASSERT_EQUAL(jsonv_object(v[F_META].j, inner, 1,
	    JSONV_REJECT_UNKNOWN, "meta", iv, &e), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "meta.codec");
	CU_ASSERT_EQUAL(jsonv_value(json_object_array_get_idx(v[F_TAGS].j, 0),
	    &elem, "tags[0]", &ev, &e), ERR_OK);
	CU_ASSERT(ev.i == 1);
	CU_ASSERT_EQUAL(jsonv_value(json_object_array_get_idx(v[F_TAGS].j, 1),
	    &elem, "tags[1]", &ev, &e), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(e.field, "tags[1]");
	jsonv_free(doc);
}

static void
malformed_bodies_are_json_errors(void)
{
	static const char *const bad[] = {
		"",
		"   ",
		"{",
		"{\"seq\": 1",
		"{\"seq\": 1,}",
		"{\"seq\": 1} x",
		"{\"seq\": 1}{}",
		"[{\"seq\": 1}]",
		"\"seq\"",
		"42",
		"null",
		"{'seq': 1}",
		"{seq: 1}",
		"{\"seq\": 01}",
		"{\"seq\": 1.}",
		"{\"seq\": .5}",
		"{\"seq\": +1}",
		"{\"seq\": NaN}",
		"{\"seq\": Infinity}",
		"{\"seq\": -Infinity}",
		"{\"seq\": 1 /* c */}",
		"{\"seq\": 1} // c",
		"{\"seq\": TRUE}",
		"{\"s\": \"a\tb\"}",		/* raw control character */
		"{\"s\": \"\\x41\"}",
		"{\"s\": \"\\ud800\"}",		/* lone high surrogate */
		"{\"s\": \"\\udc00\"}",		/* lone low surrogate */
		"{\"s\": \"\\ud800\\u0041\"}",
		"{\"s\": \"\xff\"}",
		"{\"s\": \"\xc0\xaf\"}",	/* overlong '/' */
		"{\"s\": \"\xed\xa0\x80\"}",	/* encoded surrogate */
		"{\"s\": \"\xf4\x90\x80\x80\"}",	/* above U+10FFFF */
		"{\"a\\u0000b\": 1}",		/* NUL in a member name */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(parse_only(bad[i], strlen(bad[i])), ERR_JSON);
		CU_ASSERT_STRING_EQUAL(e.field, "");
		CU_ASSERT(e.message[0] != '\0');
	}
	/* a valid surrogate pair is fine */
	CU_ASSERT_EQUAL(parse_str("{\"s\": \"\\ud83d\\ude00\"}"),
	    ERR_OK);
}

static void
nul_byte_in_the_middle_is_refused(void)
{
	static const char body[] = "{\"seq\": 1}\0{\"x\": 2}";
	static const char body2[] = "{\"s\": \"a\0b\"}";

	CU_ASSERT_EQUAL(parse_only(body, sizeof(body) - 1), ERR_JSON);
	CU_ASSERT_EQUAL(parse_only(body2, sizeof(body2) - 1), ERR_JSON);
}

static void
duplicate_member_names_are_refused(void)
{
	CU_ASSERT_EQUAL(parse_str("{\"a\": 1, \"a\": 2}"), ERR_JSON);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "duplicate"));
	/* the same name spelt with an escape */
	CU_ASSERT_EQUAL(parse_str("{\"a\": 1, \"\\u0061\": 2}"),
	    ERR_JSON);
	/* nested, and where the dropped value held more members */
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"meta\": {\"x\": {\"y\": 1}, "
	    "\"x\": 2}}", JSONV_REJECT_UNKNOWN), ERR_JSON);
	CU_ASSERT_EQUAL(check("{\"seq\": 1, \"tags\": [{\"k\": 1, \"k\": 1}]}",
	    JSONV_IGNORE_UNKNOWN), ERR_JSON);
	/* equal names in different objects are not duplicates */
	CU_ASSERT_EQUAL(parse_str("{\"a\": {\"a\": 1}, \"b\": [{\"a\": 1}, "
	    "{\"a\": 2}]}"), ERR_OK);
}

static void
depth_and_size_limits(void)
{
	char deep[256], *body;
	size_t i, n = 0;

	/* LIMIT_JSON_DEPTH containers deep is fine, one more is not */
	for (i = 0; i < LIMIT_JSON_DEPTH; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"a\":");
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "1");
	for (i = 0; i < LIMIT_JSON_DEPTH; i++)
		deep[n++] = '}';
	deep[n] = '\0';
	CU_ASSERT_EQUAL(parse_only(deep, n), ERR_OK);
	n = 0;
	for (i = 0; i < LIMIT_JSON_DEPTH + 1; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"a\":");
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "1");
	for (i = 0; i < LIMIT_JSON_DEPTH + 1; i++)
		deep[n++] = '}';
	deep[n] = '\0';
	CU_ASSERT_EQUAL(parse_only(deep, n), ERR_JSON);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "deep"));

	body = "{\"seq\": 1}";
	memset(&e, 0, sizeof(e));
	{
		struct jsonv_doc *doc = NULL;

		CU_ASSERT_EQUAL(jsonv_parse(body, strlen(body), 9, &doc, &e),
		    ERR_TOO_LARGE);
		CU_ASSERT_PTR_NULL(doc);
		CU_ASSERT_EQUAL(jsonv_parse(body, strlen(body), 10, &doc, &e),
		    ERR_OK);
		jsonv_free(doc);
	}
}

static void
errors_map_to_400(void)
{
	CU_ASSERT_EQUAL(err_http_status(ERR_JSON), 400);
	CU_ASSERT_EQUAL(err_http_status(ERR_FIELD), 400);
	CU_ASSERT_EQUAL(err_http_status(ERR_TOO_LARGE), 413);
}

int
test_jsonv_suite(void)
{
	CU_pSuite s = CU_add_suite("jsonv", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "valid body yields typed values",
		valid_body_yields_typed_values) == NULL ||
	    CU_add_test(s, "integer field rejects 1.5, \"1\", true",
		integer_field_rejects_non_integers) == NULL ||
	    CU_add_test(s, "integer field rejects out-of-range values",
		integer_field_rejects_out_of_range) == NULL ||
	    CU_add_test(s, "full int64 range refuses clamped values",
		integer_full_range_refuses_clamped_values) == NULL ||
	    CU_add_test(s, "missing required field is named",
		missing_required_field_is_named) == NULL ||
	    CU_add_test(s, "string rules are enforced",
		string_rules_are_enforced) == NULL ||
	    CU_add_test(s, "other types are checked",
		other_types_are_checked) == NULL ||
	    CU_add_test(s, "unknown field policy",
		unknown_field_policy) == NULL ||
	    CU_add_test(s, "nested errors carry the path",
		nested_object_errors_carry_the_path) == NULL ||
	    CU_add_test(s, "malformed bodies are JSON errors",
		malformed_bodies_are_json_errors) == NULL ||
	    CU_add_test(s, "NUL byte in the middle is refused",
		nul_byte_in_the_middle_is_refused) == NULL ||
	    CU_add_test(s, "duplicate member names are refused",
		duplicate_member_names_are_refused) == NULL ||
	    CU_add_test(s, "depth and size limits",
		depth_and_size_limits) == NULL ||
	    CU_add_test(s, "errors map to 400/413",
		errors_map_to_400) == NULL)
		return -1;
	return 0;
}
