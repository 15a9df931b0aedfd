/*
 * test_manifest.c: manifest.json and the event Details have the old
 * system's fields, chunks sorted by seq, optional hashes omitted, strings
 * escaped, and bad input refused.  Output is parsed back with json-c.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "clock.h"
#include "manifest.h"
#include "unit.h"

static struct json_object *
parse(const char *s)
{
	return s != NULL ? json_tokener_parse(s) : NULL;
}

static const char *
str_field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t
int_field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -999;
	return json_object_get_int64(v);
}

static void
iso8601_has_milliseconds_and_utc(void)
{
	char buf[CLOCK_ISO8601_BYTES];

	CU_ASSERT_STRING_EQUAL(clock_iso8601(0, buf, sizeof(buf)),
	    "1970-01-01T00:00:00.000Z");
	CU_ASSERT_STRING_EQUAL(clock_iso8601(1764093001123LL, buf,
	    sizeof(buf)), "2025-11-25T17:50:01.123Z");
	CU_ASSERT_STRING_EQUAL(clock_iso8601(-5, buf, sizeof(buf)),
	    "1970-01-01T00:00:00.000Z");
	CU_ASSERT_STRING_EQUAL(clock_iso8601(INT64_MAX, buf, sizeof(buf)),
	    "9999-12-31T23:59:59.999Z");
	CU_ASSERT_EQUAL(strlen(buf), CLOCK_ISO8601_BYTES - 1);
}

static void
manifest_has_old_fields_and_sorted_chunks(void)
{
	struct manifest_chunk c[3] = {
		{ 3, "u/s/chunk-000003.webm", 10000, 15000, 300, 1764093003000LL,
		    NULL, NULL, NULL },
		{ 1, "u/s/chunk-000001.webm", 0, 5000, 100, 1764093001000LL,
		    "9e107d9d372bb6826bd81d3542a419d6", NULL, NULL },
		{ 2, "u/s/chunk-000002.webm", 5000, 10000, 200,
		    1764093002000LL, "", "ab",
		    "\"9e107d9d372bb6826bd81d3542a419d6\"" },
	};
	struct manifest m = {
		.session_id = "session-1-x", .user_id = "user-1",
		.codec = "webm/opus", .sample_rate = 48000, .final = 1,
		.created_ms = 1764093000000LL, .updated_ms = 1764093004000LL,
		.total_bytes = 600, .duration_ms = 15000, .revision = 7,
		.chunks = c, .nchunks = 3,
	};
	struct json_object *o, *arr, *e, *v;
	char *out = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(manifest_render(&m, &out, &len), ERR_OK);
	CU_ASSERT_EQUAL(len, strlen(out));
	o = parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(str_field(o, "sessionId"), "session-1-x");
	CU_ASSERT_STRING_EQUAL(str_field(o, "userId"), "user-1");
	CU_ASSERT_STRING_EQUAL(str_field(o, "codec"), "webm/opus");
	CU_ASSERT_EQUAL(int_field(o, "sampleRate"), 48000);
	CU_ASSERT_EQUAL(int_field(o, "totalBytes"), 600);
	CU_ASSERT_EQUAL(int_field(o, "durationMs"), 15000);
	CU_ASSERT_EQUAL(int_field(o, "revision"), 7);
	CU_ASSERT_STRING_EQUAL(str_field(o, "createdAt"),
	    "2025-11-25T17:50:00.000Z");
	CU_ASSERT_STRING_EQUAL(str_field(o, "updatedAt"),
	    "2025-11-25T17:50:04.000Z");
	CU_ASSERT(json_object_object_get_ex(o, "final", &v) &&
	    json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v));
	/* No slash escaping: keys and codecs stay readable. */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"webm/opus\""));
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "chunks", &arr));
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(arr), 3);
	e = json_object_array_get_idx(arr, 0);
	CU_ASSERT_EQUAL(int_field(e, "seq"), 1);
	CU_ASSERT_STRING_EQUAL(str_field(e, "key"), "u/s/chunk-000001.webm");
	CU_ASSERT_EQUAL(int_field(e, "tStartMs"), 0);
	CU_ASSERT_EQUAL(int_field(e, "tEndMs"), 5000);
	CU_ASSERT_EQUAL(int_field(e, "bytes"), 100);
	CU_ASSERT_STRING_EQUAL(str_field(e, "uploadedAt"),
	    "2025-11-25T17:50:01.000Z");
	CU_ASSERT_STRING_EQUAL(str_field(e, "md5"),
	    "9e107d9d372bb6826bd81d3542a419d6");
	CU_ASSERT_FALSE(json_object_object_get_ex(e, "sha256", NULL));
	CU_ASSERT_FALSE(json_object_object_get_ex(e, "etag", NULL));
	e = json_object_array_get_idx(arr, 1);
	CU_ASSERT_EQUAL(int_field(e, "seq"), 2);
	CU_ASSERT_FALSE(json_object_object_get_ex(e, "md5", NULL));
	CU_ASSERT_STRING_EQUAL(str_field(e, "sha256"), "ab");
	/* The ETag as S3 answered it, quotes kept. */
	CU_ASSERT_STRING_EQUAL(str_field(e, "etag"),
	    "\"9e107d9d372bb6826bd81d3542a419d6\"");
	e = json_object_array_get_idx(arr, 2);
	CU_ASSERT_EQUAL(int_field(e, "seq"), 3);
	CU_ASSERT_FALSE(json_object_object_get_ex(e, "md5", NULL));
	/* The old field order is kept: sessionId first, revision last. */
	CU_ASSERT_EQUAL(strncmp(out, "{\"sessionId\":", 13), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"durationMs\":15000,"
	    "\"revision\":7}"));
	json_object_put(o);
	free(out);
}

static void
empty_manifest_has_empty_chunk_list(void)
{
	struct manifest m = {
		.session_id = "s", .user_id = "u", .codec = "webm/opus",
		.sample_rate = 48000,
	};
	struct json_object *o, *arr;
	char *out = NULL;

	CU_ASSERT_EQUAL_FATAL(manifest_render(&m, &out, NULL), ERR_OK);
	o = parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT(json_object_object_get_ex(o, "chunks", &arr) &&
	    json_object_is_type(arr, json_type_array) &&
	    json_object_array_length(arr) == 0);
	CU_ASSERT_EQUAL(int_field(o, "revision"), 0);
	json_object_put(o);
	free(out);
}

static void
hostile_strings_are_escaped(void)
{
	struct manifest_chunk c = { 1, "k\"ey\n\\x", 0, 1, 1, 0, NULL, NULL,
	    NULL };
	struct manifest m = {
		.session_id = "s\"}", .user_id = "u\x01", .codec = "c",
		.chunks = &c, .nchunks = 1,
	};
	struct json_object *o, *arr;
	char *out = NULL;

	CU_ASSERT_EQUAL_FATAL(manifest_render(&m, &out, NULL), ERR_OK);
	CU_ASSERT_PTR_NULL(strchr(out, '\n'));
	o = parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(str_field(o, "sessionId"), "s\"}");
	CU_ASSERT_STRING_EQUAL(str_field(o, "userId"), "u\x01");
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "chunks", &arr));
	CU_ASSERT_STRING_EQUAL(str_field(json_object_array_get_idx(arr, 0),
	    "key"), "k\"ey\n\\x");
	json_object_put(o);
	free(out);
}

/* Bytes that are not UTF-8 become U+FFFD; valid UTF-8 passes through. */
static void
invalid_utf8_becomes_replacement_character(void)
{
	struct manifest_chunk_event ev = {
		.user_id = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xa4",
		.session_id = "bad\xff\xc3(\xe2\x82\xed\xa0\x80\xc0\xaf!",
		.chunk_key = "k\x01\x1f\x7f", .event_id = "e",
	};
	struct json_object *o;
	char *out = NULL;

	CU_ASSERT_EQUAL_FATAL(manifest_render_chunk_event(&ev, &out, NULL),
	    ERR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(out,
	    "\"userId\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xa4\""));
	/* ff; a lone c3; e2 82 cut short by ed; the surrogate ed a0 80;
	 * the overlong c0 af: each bad byte is one U+FFFD. */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"sessionId\":\"bad\\ufffd\\ufffd("
	    "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd!\""));
	/* DEL is escaped like the C0 controls (lib/buf.h) */
	CU_ASSERT_PTR_NOT_NULL(strstr(out,
	    "\"chunkKey\":\"k\\u0001\\u001f\\u007f\""));
	o = parse(out);
	CU_ASSERT_PTR_NOT_NULL(o);
	json_object_put(o);
	free(out);
}

/* The exact bytes, so a change of format is a deliberate one. */
static void
manifest_text_is_stable(void)
{
	struct manifest_chunk c = { 1, "users/u/audio/sessions/s/chunks/"
	    "00001-000000-005000.webm", 0, 5000, 42, 1000, NULL, "ab", NULL };
	struct manifest m = {
		.session_id = "s", .user_id = "u", .codec = "webm/opus",
		.sample_rate = 48000, .created_ms = 0, .updated_ms = 1000,
		.total_bytes = 42, .duration_ms = 5000, .revision = 1,
		.chunks = &c, .nchunks = 1,
	};
	char *out = NULL;

	CU_ASSERT_EQUAL_FATAL(manifest_render(&m, &out, NULL), ERR_OK);
	CU_ASSERT_STRING_EQUAL(out, "{\"sessionId\":\"s\",\"userId\":\"u\","
	    "\"codec\":\"webm/opus\",\"sampleRate\":48000,\"chunks\":[{"
	    "\"seq\":1,\"key\":\"users/u/audio/sessions/s/chunks/"
	    "00001-000000-005000.webm\",\"tStartMs\":0,\"tEndMs\":5000,"
	    "\"bytes\":42,\"uploadedAt\":\"1970-01-01T00:00:01.000Z\","
	    "\"sha256\":\"ab\"}],\"final\":false,"
	    "\"createdAt\":\"1970-01-01T00:00:00.000Z\","
	    "\"updatedAt\":\"1970-01-01T00:00:01.000Z\",\"totalBytes\":42,"
	    "\"durationMs\":5000,\"revision\":1}");
	free(out);
}

static void
bad_manifest_input_is_refused(void)
{
	struct manifest_chunk dup[2] = {
		{ 4, "a", 0, 1, 1, 0, NULL, NULL, NULL },
		{ 4, "b", 1, 2, 1, 0, NULL, NULL, NULL },
	};
	struct manifest m = {
		.session_id = "s", .user_id = "u", .codec = "c",
		.chunks = dup, .nchunks = 2,
	};
	char *out = (char *)"untouched";

	CU_ASSERT_EQUAL(manifest_render(&m, &out, NULL), ERR_INVAL);
	CU_ASSERT_PTR_NULL(out);
	m.nchunks = 1;
	m.user_id = NULL;
	CU_ASSERT_EQUAL(manifest_render(&m, &out, NULL), ERR_INVAL);
	m.user_id = "u";
	dup[0].key = NULL;
	CU_ASSERT_EQUAL(manifest_render(&m, &out, NULL), ERR_INVAL);
	CU_ASSERT_EQUAL(manifest_render(NULL, &out, NULL), ERR_INVAL);
	m.chunks = NULL;
	CU_ASSERT_EQUAL(manifest_render(&m, &out, NULL), ERR_INVAL);
}

static void
chunk_event_detail_has_old_fields(void)
{
	struct manifest_chunk_event ev = {
		.user_id = "user-1", .session_id = "session-1",
		.chunk_seq = 12, .chunk_key = "a/b/c.webm", .bytes = 4096,
		.timestamp_ms = 1764093001123LL,
		.event_id = "0b4c2a5e-8f0e-4c1e-9a77-0d8f5e1f2a3b",
	};
	struct json_object *o;
	char *out = NULL;

	CU_ASSERT_EQUAL_FATAL(manifest_render_chunk_event(&ev, &out, NULL),
	    ERR_OK);
	o = parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(str_field(o, "userId"), "user-1");
	CU_ASSERT_STRING_EQUAL(str_field(o, "sessionId"), "session-1");
	CU_ASSERT_EQUAL(int_field(o, "chunkSeq"), 12);
	CU_ASSERT_STRING_EQUAL(str_field(o, "chunkKey"), "a/b/c.webm");
	CU_ASSERT_EQUAL(int_field(o, "bytes"), 4096);
	CU_ASSERT_STRING_EQUAL(str_field(o, "timestamp"),
	    "2025-11-25T17:50:01.123Z");
	CU_ASSERT_STRING_EQUAL(str_field(o, "eventId"), ev.event_id);
	CU_ASSERT_EQUAL(json_object_object_length(o), 7);
	json_object_put(o);
	free(out);
	ev.chunk_key = NULL;
	CU_ASSERT_EQUAL(manifest_render_chunk_event(&ev, &out, NULL),
	    ERR_INVAL);
	CU_ASSERT_PTR_NULL(out);
}

static void
final_event_detail_has_old_fields(void)
{
	struct manifest_final_event ev = {
		.user_id = "user-1", .session_id = "session-1",
		.manifest_key = "a/b/manifest.json", .chunk_count = 3,
		.total_bytes = 600, .duration_ms = 15000,
		.timestamp_ms = 1764093001123LL, .event_id = "e-1",
	};
	struct json_object *o;
	char *out = NULL;

	CU_ASSERT_EQUAL_FATAL(manifest_render_final_event(&ev, &out, NULL),
	    ERR_OK);
	o = parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(str_field(o, "userId"), "user-1");
	CU_ASSERT_STRING_EQUAL(str_field(o, "sessionId"), "session-1");
	CU_ASSERT_STRING_EQUAL(str_field(o, "manifestKey"),
	    "a/b/manifest.json");
	CU_ASSERT_EQUAL(int_field(o, "chunkCount"), 3);
	CU_ASSERT_EQUAL(int_field(o, "totalBytes"), 600);
	CU_ASSERT_EQUAL(int_field(o, "durationMs"), 15000);
	CU_ASSERT_STRING_EQUAL(str_field(o, "timestamp"),
	    "2025-11-25T17:50:01.123Z");
	CU_ASSERT_STRING_EQUAL(str_field(o, "eventId"), "e-1");
	CU_ASSERT_EQUAL(json_object_object_length(o), 8);
	json_object_put(o);
	free(out);
	ev.manifest_key = NULL;
	CU_ASSERT_EQUAL(manifest_render_final_event(&ev, &out, NULL),
	    ERR_INVAL);
}

int
test_manifest_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("manifest", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "iso8601_has_milliseconds_and_utc",
	    iso8601_has_milliseconds_and_utc) == NULL ||
	    CU_add_test(s, "manifest_has_old_fields_and_sorted_chunks",
	    manifest_has_old_fields_and_sorted_chunks) == NULL ||
	    CU_add_test(s, "empty_manifest_has_empty_chunk_list",
	    empty_manifest_has_empty_chunk_list) == NULL ||
	    CU_add_test(s, "hostile_strings_are_escaped",
	    hostile_strings_are_escaped) == NULL ||
	    CU_add_test(s, "invalid_utf8_becomes_replacement_character",
	    invalid_utf8_becomes_replacement_character) == NULL ||
	    CU_add_test(s, "manifest_text_is_stable",
	    manifest_text_is_stable) == NULL ||
	    CU_add_test(s, "bad_manifest_input_is_refused",
	    bad_manifest_input_is_refused) == NULL ||
	    CU_add_test(s, "chunk_event_detail_has_old_fields",
	    chunk_event_detail_has_old_fields) == NULL ||
	    CU_add_test(s, "final_event_detail_has_old_fields",
	    final_event_detail_has_old_fields) == NULL)
		return -1;
	return 0;
}
