/*
 * test_s3key.c: chunk and manifest keys are built exactly as before, and
 * no part can take a key out of users/{sub}/.
 */
#include <stdio.h>
#include <string.h>

#include "s3key.h"
#include "unit.h"

#define SUB	"3f2b9c1e-8d4a-4f7b-9e21-5a6b7c8d9e0f"
#define SID	"session-1764093600123-0b6e8a34-5c1d-4e2f-8a9b-0c1d2e3f4a5b"
#define PREFIX	"users/" SUB "/audio/sessions/" SID "/"

static struct s3key_parts
parts(const char *sub, const char *sid, const char *ext)
{
	struct s3key_parts p;

	memset(&p, 0, sizeof(p));
	p.sub = sub;
	p.sub_len = strlen(sub);
	p.session = sid;
	p.session_len = strlen(sid);
	p.ext = ext;
	p.ext_len = strlen(ext);
	p.seq = 1;
	p.t_start_ms = 0;
	p.t_end_ms = 10000;
	return p;
}

static enum err
chunk(struct s3key_parts p, char *out)
{
	return s3key_chunk(&p, out, S3KEY_SIZE, NULL);
}

static void
chunk_key_has_the_old_layout_and_padding(void)
{
	struct s3key_parts p = parts(SUB, SID, "webm");
	char key[S3KEY_SIZE];
	size_t len = 0;

	CU_ASSERT_EQUAL(s3key_chunk(&p, key, sizeof(key), &len), ERR_OK);
	CU_ASSERT_STRING_EQUAL(key, PREFIX "chunks/00001-000000-010000.webm");
	CU_ASSERT_EQUAL(len, strlen(key));
	p.seq = 0;
	p.t_start_ms = 7;
	p.t_end_ms = 42;
	CU_ASSERT_EQUAL(chunk(p, key), ERR_OK);
	CU_ASSERT_STRING_EQUAL(key, PREFIX "chunks/00000-000007-000042.webm");
}

static void
wide_numbers_are_written_in_full(void)
{
	struct s3key_parts p = parts(SUB, SID, "ogg");
	char key[S3KEY_SIZE];

	p.seq = 123456;
	p.t_start_ms = 1234567;
	p.t_end_ms = 9223372036854775807LL;
	CU_ASSERT_EQUAL(chunk(p, key), ERR_OK);
	CU_ASSERT_STRING_EQUAL(key, PREFIX
	    "chunks/123456-1234567-9223372036854775807.ogg");
	p.seq = 99999;
	p.t_start_ms = 999999;
	p.t_end_ms = 1000000;
	CU_ASSERT_EQUAL(chunk(p, key), ERR_OK);
	CU_ASSERT_STRING_EQUAL(key, PREFIX
	    "chunks/99999-999999-1000000.ogg");
}

static void
negative_numbers_are_refused(void)
{
	struct s3key_parts p = parts(SUB, SID, "webm");
	char key[S3KEY_SIZE];

	p.seq = -1;
	CU_ASSERT_EQUAL(chunk(p, key), ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(key, "");
	p.seq = 1;
	p.t_start_ms = -1;
	CU_ASSERT_EQUAL(chunk(p, key), ERR_INVAL);
	p.t_start_ms = 0;
	p.t_end_ms = INT64_MIN;
	CU_ASSERT_EQUAL(chunk(p, key), ERR_INVAL);
}

static void
manifest_and_prefix_keys(void)
{
	struct s3key_parts p = parts(SUB, SID, "");
	char key[S3KEY_SIZE];
	size_t len;

	CU_ASSERT_EQUAL(s3key_manifest(&p, key, sizeof(key), &len), ERR_OK);
	CU_ASSERT_STRING_EQUAL(key, PREFIX "manifest.json");
	CU_ASSERT_EQUAL(len, strlen(PREFIX "manifest.json"));
	CU_ASSERT_EQUAL(s3key_prefix(&p, key, sizeof(key), &len), ERR_OK);
	CU_ASSERT_STRING_EQUAL(key, PREFIX);
}

/* Each hostile sub, session id and extension must be refused by every
 * builder, never rewritten into something acceptable. */
static void
hostile_parts_are_refused_not_rewritten(void)
{
	static const struct {
		const char	*v;
		size_t		 len;
	} bad[] = {
		{ "..", 2 },
		{ "a/b", 3 },
		{ "a/../b", 6 },
		{ "a%2fb", 5 },
		{ "a%2Fb", 5 },
		{ "a\0b", 3 },		/* NUL in the middle */
		{ "ab\0", 3 },		/* NUL at the end */
		{ "\xef\xbc\x8f", 3 },	/* U+FF0F fullwidth solidus */
		{ "a\xe2\x80\xa4" "b", 5 },	/* U+2024 one dot leader */
		{ "\xc0\xaf", 2 },	/* overlong '/' */
		{ "a\x80", 2 },
		{ "a b", 3 },
		{ "a\\b", 3 },
		{ "a.b", 3 },
		{ "", 0 },
	};
	char key[S3KEY_SIZE];
	struct s3key_parts p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = parts(SUB, SID, "webm");
		p.sub = bad[i].v;
		p.sub_len = bad[i].len;
		CU_ASSERT_EQUAL(chunk(p, key), ERR_INVAL);
		CU_ASSERT_EQUAL(s3key_manifest(&p, key, sizeof(key), NULL),
		    ERR_INVAL);
		CU_ASSERT_EQUAL(s3key_prefix(&p, key, sizeof(key), NULL),
		    ERR_INVAL);
		CU_ASSERT_FALSE(s3key_valid_sub(bad[i].v, bad[i].len));

		p = parts(SUB, SID, "webm");
		p.session = bad[i].v;
		p.session_len = bad[i].len;
		CU_ASSERT_EQUAL(chunk(p, key), ERR_INVAL);
		CU_ASSERT_EQUAL(s3key_manifest(&p, key, sizeof(key), NULL),
		    ERR_INVAL);
		CU_ASSERT_FALSE(s3key_valid_session(bad[i].v, bad[i].len));

		p = parts(SUB, SID, "webm");
		p.ext = bad[i].v;
		p.ext_len = bad[i].len;
		CU_ASSERT_EQUAL(chunk(p, key), ERR_INVAL);
		CU_ASSERT_FALSE(s3key_valid_ext(bad[i].v, bad[i].len));
	}
}

static void
extension_is_lower_case_alphanumeric(void)
{
	char key[S3KEY_SIZE];

	CU_ASSERT_EQUAL(chunk(parts(SUB, SID, "m4a"), key), ERR_OK);
	CU_ASSERT_EQUAL(chunk(parts(SUB, SID, "WEBM"), key), ERR_INVAL);
	CU_ASSERT_EQUAL(chunk(parts(SUB, SID, "we-bm"), key), ERR_INVAL);
	CU_ASSERT_EQUAL(chunk(parts(SUB, SID, "web_m"), key), ERR_INVAL);
}

static void
over_long_parts_are_refused(void)
{
	char sub[LIMIT_SUB_BYTES + 2], sid[LIMIT_SESSION_ID_BYTES + 2];
	char ext[LIMIT_EXT_BYTES + 2], key[S3KEY_SIZE];

	memset(sub, 'a', sizeof(sub));
	memset(sid, 'b', sizeof(sid));
	memset(ext, 'c', sizeof(ext));
	sub[LIMIT_SUB_BYTES] = '\0';
	sid[LIMIT_SESSION_ID_BYTES] = '\0';
	ext[LIMIT_EXT_BYTES] = '\0';
	/* exactly at the limits: accepted, and fits S3's key limit */
	CU_ASSERT_EQUAL(chunk(parts(sub, sid, ext), key), ERR_OK);
	CU_ASSERT(strlen(key) <= LIMIT_S3_KEY_BYTES);
	sub[LIMIT_SUB_BYTES] = 'a';
	sub[LIMIT_SUB_BYTES + 1] = '\0';
	CU_ASSERT_EQUAL(chunk(parts(sub, sid, ext), key), ERR_INVAL);
	sub[LIMIT_SUB_BYTES] = '\0';
	sid[LIMIT_SESSION_ID_BYTES] = 'b';
	sid[LIMIT_SESSION_ID_BYTES + 1] = '\0';
	CU_ASSERT_EQUAL(chunk(parts(sub, sid, ext), key), ERR_INVAL);
	sid[LIMIT_SESSION_ID_BYTES] = '\0';
	ext[LIMIT_EXT_BYTES] = 'c';
	ext[LIMIT_EXT_BYTES + 1] = '\0';
	CU_ASSERT_EQUAL(chunk(parts(sub, sid, ext), key), ERR_INVAL);
}

static void
small_output_buffer_is_too_large_not_truncated(void)
{
	struct s3key_parts p = parts(SUB, SID, "webm");
	char key[40];

	memset(key, 'x', sizeof(key));
	CU_ASSERT_EQUAL(s3key_chunk(&p, key, sizeof(key), NULL),
	    ERR_TOO_LARGE);
	CU_ASSERT_STRING_EQUAL(key, "");
	CU_ASSERT_EQUAL(s3key_manifest(&p, key, 0, NULL), ERR_TOO_LARGE);
}

static void
parse_splits_keys_it_builds(void)
{
	struct s3key_parts p = parts(SUB, SID, "webm"), q;
	enum s3key_kind kind = 0;
	char key[S3KEY_SIZE];
	size_t len;

	p.seq = 123456;
	p.t_start_ms = 5;
	p.t_end_ms = 7000000;
	CU_ASSERT_EQUAL_FATAL(s3key_chunk(&p, key, sizeof(key), &len),
	    ERR_OK);
	CU_ASSERT_EQUAL_FATAL(s3key_parse(key, len, &q, &kind), ERR_OK);
	CU_ASSERT_EQUAL(kind, S3KEY_CHUNK);
	CU_ASSERT_EQUAL(q.seq, 123456);
	CU_ASSERT_EQUAL(q.t_start_ms, 5);
	CU_ASSERT_EQUAL(q.t_end_ms, 7000000);
	CU_ASSERT(q.sub_len == strlen(SUB) && memcmp(q.sub, SUB,
	    q.sub_len) == 0);
	CU_ASSERT(q.session_len == strlen(SID) && memcmp(q.session, SID,
	    q.session_len) == 0);
	CU_ASSERT(q.ext_len == 4 && memcmp(q.ext, "webm", 4) == 0);

	CU_ASSERT_EQUAL_FATAL(s3key_manifest(&p, key, sizeof(key), &len),
	    ERR_OK);
	CU_ASSERT_EQUAL(s3key_parse(key, len, &q, &kind), ERR_OK);
	CU_ASSERT_EQUAL(kind, S3KEY_MANIFEST);
	CU_ASSERT(q.session_len == strlen(SID));
}

static void
parse_refuses_keys_it_would_not_build(void)
{
	static const char *const bad[] = {
		"",
		"users/",
		PREFIX,
		PREFIX "manifest.jsonx",
		PREFIX "chunks/00001-000000-010000",
		PREFIX "chunks/00001-000000-010000.",
		PREFIX "chunks/0001-000000-010000.webm",	/* narrow */
		PREFIX "chunks/000001-000000-010000.webm",	/* 0-padded */
		PREFIX "chunks/00001-0000000-010000.webm",
		PREFIX "chunks/+0001-000000-010000.webm",
		PREFIX "chunks/-0001-000000-010000.webm",
		PREFIX "chunks/00001--00001-010000.webm",
		PREFIX "chunks/00001-000000-010000.WEBM",
		PREFIX "chunks/00001-000000-010000.webm/",
		PREFIX "chunks/99999999999999999999-000000-010000.webm",
		PREFIX "chunks/x/00001-000000-010000.webm",
		"users/a/b/audio/sessions/s/manifest.json",
		"users/../audio/sessions/s/manifest.json",
		"users/a%2fb/audio/sessions/s/manifest.json",
		"users/a/audio/sessions/../manifest.json",
		"/users/a/audio/sessions/s/manifest.json",
		"Users/a/audio/sessions/s/manifest.json",
		"users/a/audio/session/s/manifest.json",
	};
	static const char nul[] = "users/a\0b/audio/sessions/s/manifest.json";
	static const char hi[] = "users/\xef\xbc\x8f/audio/sessions/s/"
	    "manifest.json";
	struct s3key_parts q;
	enum s3key_kind kind;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(s3key_parse(bad[i], strlen(bad[i]), &q, &kind),
		    ERR_INVAL);
	CU_ASSERT_EQUAL(s3key_parse(nul, sizeof(nul) - 1, &q, &kind),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(s3key_parse(hi, sizeof(hi) - 1, &q, &kind),
	    ERR_INVAL);
	/* a valid key followed by bytes beyond the given length is fine:
	 * only len bytes are looked at */
	CU_ASSERT_EQUAL(s3key_parse("users/a/audio/sessions/s/manifest.jsonX",
	    strlen("users/a/audio/sessions/s/manifest.json"), &q, &kind),
	    ERR_OK);
}

int
test_s3key_suite(void)
{
	CU_pSuite s = CU_add_suite("s3key", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "chunk key has the old layout and padding",
		chunk_key_has_the_old_layout_and_padding) == NULL ||
	    CU_add_test(s, "wide numbers are written in full",
		wide_numbers_are_written_in_full) == NULL ||
	    CU_add_test(s, "negative numbers are refused",
		negative_numbers_are_refused) == NULL ||
	    CU_add_test(s, "manifest and prefix keys",
		manifest_and_prefix_keys) == NULL ||
	    CU_add_test(s, "hostile parts are refused, not rewritten",
		hostile_parts_are_refused_not_rewritten) == NULL ||
	    CU_add_test(s, "extension is lower-case alphanumeric",
		extension_is_lower_case_alphanumeric) == NULL ||
	    CU_add_test(s, "over-long parts are refused",
		over_long_parts_are_refused) == NULL ||
	    CU_add_test(s, "small output buffer is an error, not truncation",
		small_output_buffer_is_too_large_not_truncated) == NULL ||
	    CU_add_test(s, "parse splits keys it builds",
		parse_splits_keys_it_builds) == NULL ||
	    CU_add_test(s, "parse refuses keys it would not build",
		parse_refuses_keys_it_would_not_build) == NULL)
		return -1;
	return 0;
}
