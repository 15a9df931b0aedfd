/*
 * test_manifest_fence.c: what a refused manifest write reads back from S3
 * and what it decides (lib/storage/manifest_fence.c).
 */
#include <stdlib.h>
#include <string.h>

#include "limit.h"
#include "manifest.h"
#include "manifest_fence.h"
#include "unit.h"

#define SID	"session-1700000000000-0b2a0e4c-7d2e-4a57-9a3c-1f0e2d3c4b5a"

static int64_t
rev(const char *json)
{
	return manifest_fence_revision(json, strlen(json), SID);
}

static void
the_revision_of_our_own_rendering_is_read(void)
{
	struct manifest_chunk c = { 1, "users/u/audio/sessions/" SID
	    "/chunks/000001.webm", 0, 5000, 64, 1700000000000LL, NULL, NULL,
	    NULL };
	struct manifest m;
	char *out = NULL;
	size_t len = 0;

	memset(&m, 0, sizeof(m));
	m.session_id = SID;
	m.user_id = "u";
	m.codec = "webm/opus";
	m.sample_rate = 48000;
	m.created_ms = m.updated_ms = 1700000000000LL;
	m.revision = 42;
	m.chunks = &c;
	m.nchunks = 1;
	CU_ASSERT_EQUAL_FATAL(manifest_render(&m, &out, &len), ERR_OK);
	CU_ASSERT_EQUAL(manifest_fence_revision(out, len, SID), 42);
	/* The same bytes for another session are not ours. */
	CU_ASSERT_EQUAL(manifest_fence_revision(out, len, SID "x"), -1);
	free(out);
}

static void
anything_else_is_older_than_ours(void)
{
	CU_ASSERT_EQUAL(rev("{\"sessionId\":\"" SID "\",\"revision\":0}"), 0);
	CU_ASSERT_EQUAL(rev("{\"revision\":7,\"sessionId\":\"" SID "\"}"), 7);
	CU_ASSERT_EQUAL(rev("{\"sessionId\":\"" SID "\"}"), -1);
	CU_ASSERT_EQUAL(rev("{\"sessionId\":\"" SID "\",\"revision\":-3}"),
	    -1);
	CU_ASSERT_EQUAL(rev("{\"sessionId\":\"" SID "\",\"revision\":\"9\"}"),
	    -1);
	CU_ASSERT_EQUAL(rev("{\"sessionId\":\"" SID "\",\"revision\":9.5}"),
	    -1);
	CU_ASSERT_EQUAL(rev("{\"sessionId\":\"" SID "\","
	    "\"revision\":18446744073709551615}"), -1);
	CU_ASSERT_EQUAL(rev("{\"sessionId\":\"" SID "\",\"revision\":1,"
	    "\"revision\":2}"), -1);		/* duplicate member */
	CU_ASSERT_EQUAL(rev("{\"sessionId\":7,\"revision\":1}"), -1);
	CU_ASSERT_EQUAL(rev("[1,2]"), -1);
	CU_ASSERT_EQUAL(rev("{\"sessionId\":\"" SID "\",\"revision\":1"), -1);
	CU_ASSERT_EQUAL(rev(""), -1);
	CU_ASSERT_EQUAL(manifest_fence_revision(NULL, 0, SID), -1);
	CU_ASSERT_EQUAL(manifest_fence_revision("{}", 2, NULL), -1);
	/* A NUL inside the session id is not the id. */
	CU_ASSERT_EQUAL(rev("{\"sessionId\":\"" SID "\\u0000\","
	    "\"revision\":1}"), -1);
}

static void
etags_go_back_only_as_s3_sends_them(void)
{
	char big[LIMIT_S3_ETAG_BYTES + 8];

	CU_ASSERT_TRUE(manifest_fence_etag_ok(
	    "\"d41d8cd98f00b204e9800998ecf8427e\""));
	CU_ASSERT_TRUE(manifest_fence_etag_ok(
	    "\"d41d8cd98f00b204e9800998ecf8427e-12\""));
	CU_ASSERT_TRUE(manifest_fence_etag_ok("W/\"abc\""));
	CU_ASSERT_FALSE(manifest_fence_etag_ok("d41d8cd98f00b204"));
	CU_ASSERT_FALSE(manifest_fence_etag_ok("\""));
	CU_ASSERT_FALSE(manifest_fence_etag_ok("\"\"\""));
	CU_ASSERT_FALSE(manifest_fence_etag_ok("\"a b\""));
	CU_ASSERT_FALSE(manifest_fence_etag_ok("\"a\x01\""));
	CU_ASSERT_FALSE(manifest_fence_etag_ok("\"a\xc3\xa9\""));
	CU_ASSERT_FALSE(manifest_fence_etag_ok("?"));
	CU_ASSERT_FALSE(manifest_fence_etag_ok(""));
	CU_ASSERT_FALSE(manifest_fence_etag_ok(NULL));
	CU_ASSERT_FALSE(manifest_fence_etag_ok("W/abc"));
	big[0] = '"';
	memset(big + 1, 'a', sizeof(big) - 3);
	big[sizeof(big) - 2] = '"';
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_FALSE(manifest_fence_etag_ok(big));
	big[LIMIT_S3_ETAG_BYTES - 1] = '"';
	big[LIMIT_S3_ETAG_BYTES] = '\0';
	CU_ASSERT_TRUE(manifest_fence_etag_ok(big));
}

static void
a_refused_write_converges(void)
{
	/* S3 holds this revision (our own write whose answer was lost) or
	 * a newer one (another writer's): nothing to write. */
	CU_ASSERT_EQUAL(manifest_fence_next(1, 5, 5), MANIFEST_FENCE_HELD);
	CU_ASSERT_EQUAL(manifest_fence_next(1, 9, 5), MANIFEST_FENCE_HELD);
	/* Older, or not ours: write over it. */
	CU_ASSERT_EQUAL(manifest_fence_next(1, 4, 5), MANIFEST_FENCE_REPLACE);
	CU_ASSERT_EQUAL(manifest_fence_next(1, -1, 1),
	    MANIFEST_FENCE_REPLACE);
	/* Gone: create it. */
	CU_ASSERT_EQUAL(manifest_fence_next(0, -1, 5), MANIFEST_FENCE_CREATE);
	CU_ASSERT_EQUAL(manifest_fence_next(0, 9, 5), MANIFEST_FENCE_CREATE);
}

static void
what_s3_holds_is_recorded_up_to_the_journal(void)
{
	/* S3 has 7 of a journal at 9: 7 is synced, 8 and 9 still to go. */
	CU_ASSERT_EQUAL(manifest_fence_synced(7, 5, 9), 7);
	/* S3 ahead of the journal (it lost commits): all of it is covered. */
	CU_ASSERT_EQUAL(manifest_fence_synced(12, 5, 9), 9);
	CU_ASSERT_EQUAL(manifest_fence_synced(5, 5, 5), 5);
	/* Never below what was being written. */
	CU_ASSERT_EQUAL(manifest_fence_synced(5, 5, 3), 5);
}

int
test_manifest_fence_suite(void)
{
	CU_pSuite s = CU_add_suite("manifest_fence", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "the revision of our own rendering is read",
		the_revision_of_our_own_rendering_is_read) == NULL ||
	    CU_add_test(s, "anything else is older than ours",
		anything_else_is_older_than_ours) == NULL ||
	    CU_add_test(s, "ETags go back only as S3 sends them",
		etags_go_back_only_as_s3_sends_them) == NULL ||
	    CU_add_test(s, "a refused write converges",
		a_refused_write_converges) == NULL ||
	    CU_add_test(s, "what S3 holds is recorded up to the journal",
		what_s3_holds_is_recorded_up_to_the_journal) == NULL)
		return -1;
	return 0;
}
