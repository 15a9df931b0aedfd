/* test_cursor.c: list cursors (lib/storage/cursor.c) and the query reader
 * (lib/storage/query.c) the list route takes them through. */
#include <string.h>

#include "cursor.h"
#include "query.h"
#include "unit.h"

static const unsigned char KEY[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char KEY2[32] = "fedcba9876543210fedcba9876543210";
#define SID	"session-1764093000000-2f6a1c9e-8d3b-4c1a-9e7f-0a1b2c3d4e5f"

static void
test_cursor_round_trips(void)
{
	struct journal_list_pos pos, back;
	char c[CURSOR_SIZE];

	memset(&pos, 0, sizeof(pos));
	pos.created_ms = 1764093000123LL;
	strcpy(pos.id, SID);
	CU_ASSERT_EQUAL(cursor_encode(KEY, sizeof(KEY), "alice", &pos, c,
	    sizeof(c)), ERR_OK);
	CU_ASSERT(strlen(c) > 0 && strlen(c) <= CURSOR_MAX_LEN);
	/* Opaque: neither the owner nor the id shows as text. */
	CU_ASSERT_PTR_NULL(strstr(c, "alice"));
	CU_ASSERT_PTR_NULL(strstr(c, "session"));
	CU_ASSERT_EQUAL(cursor_decode(KEY, sizeof(KEY), "alice", c, strlen(c),
	    &back), ERR_OK);
	CU_ASSERT_EQUAL(back.created_ms, pos.created_ms);
	CU_ASSERT_STRING_EQUAL(back.id, SID);
}

static void
test_cursor_refuses_forged_and_foreign(void)
{
	struct journal_list_pos pos, back;
	char c[CURSOR_SIZE], bad[CURSOR_SIZE];
	size_t i, n;

	memset(&pos, 0, sizeof(pos));
	pos.created_ms = 42;
	strcpy(pos.id, SID);
	CU_ASSERT_EQUAL(cursor_encode(KEY, sizeof(KEY), "alice", &pos, c,
	    sizeof(c)), ERR_OK);
	n = strlen(c);
	/* Another user, another journal key. */
	CU_ASSERT_EQUAL(cursor_decode(KEY, sizeof(KEY), "bob", c, n, &back),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(cursor_decode(KEY2, sizeof(KEY2), "alice", c, n,
	    &back), ERR_INVAL);
	/* Every single changed character is refused. */
	for (i = 0; i < n; i++) {
		memcpy(bad, c, n + 1);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		CU_ASSERT_EQUAL(cursor_decode(KEY, sizeof(KEY), "alice", bad,
		    n, &back), ERR_INVAL);
	}
	/* Cut, extended, empty, garbage, over-long. */
	CU_ASSERT_EQUAL(cursor_decode(KEY, sizeof(KEY), "alice", c, n - 1,
	    &back), ERR_INVAL);
	memcpy(bad, c, n);
	memcpy(bad + n, "AA", 3);
	CU_ASSERT_EQUAL(cursor_decode(KEY, sizeof(KEY), "alice", bad, n + 2,
	    &back), ERR_INVAL);
	CU_ASSERT_EQUAL(cursor_decode(KEY, sizeof(KEY), "alice", "", 0,
	    &back), ERR_INVAL);
	CU_ASSERT_EQUAL(cursor_decode(KEY, sizeof(KEY), "alice", "%2F..", 5,
	    &back), ERR_INVAL);
	memset(bad, 'A', sizeof(bad));
	CU_ASSERT_EQUAL(cursor_decode(KEY, sizeof(KEY), "alice", bad,
	    CURSOR_MAX_LEN + 1, &back), ERR_INVAL);
}

static void
test_cursor_refuses_bad_positions(void)
{
	struct journal_list_pos pos;
	char c[CURSOR_SIZE];

	memset(&pos, 0, sizeof(pos));
	pos.created_ms = -1;
	strcpy(pos.id, SID);
	CU_ASSERT_EQUAL(cursor_encode(KEY, sizeof(KEY), "alice", &pos, c,
	    sizeof(c)), ERR_INVAL);
	pos.created_ms = 1;
	strcpy(pos.id, "../x");
	CU_ASSERT_EQUAL(cursor_encode(KEY, sizeof(KEY), "alice", &pos, c,
	    sizeof(c)), ERR_INVAL);
}

static void
test_query_finds_exact_names(void)
{
	const char *v;
	size_t n;

	CU_ASSERT_EQUAL(query_get("limit=5&cursor=abc", "cursor", &v, &n), 1);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT(strncmp(v, "abc", 3) == 0);
	CU_ASSERT_EQUAL(query_get("limit=5&cursor=abc", "limit", &v, &n), 1);
	CU_ASSERT(n == 1 && v[0] == '5');
	CU_ASSERT_EQUAL(query_get("xlimit=5&limitx=6", "limit", &v, &n), 0);
	CU_ASSERT_EQUAL(query_get("urls", "urls", &v, &n), 1);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(query_get("urls=&a=1", "urls", &v, &n), 1);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(query_get(NULL, "urls", &v, &n), 0);
	CU_ASSERT_EQUAL(query_get("", "urls", &v, &n), 0);
	CU_ASSERT_EQUAL(query_get("&&&", "urls", &v, &n), 0);
}

static void
test_query_refuses_repeats_and_long(void)
{
	char big[QUERY_MAX_LEN + 16];
	const char *v;
	size_t n;

	CU_ASSERT_EQUAL(query_get("limit=1&limit=2", "limit", &v, &n), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(query_get(big, "limit", &v, &n), -1);
}

int
test_cursor_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("cursor", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "round trips", test_cursor_round_trips) == NULL ||
	    CU_add_test(s, "refuses forged and foreign cursors",
	    test_cursor_refuses_forged_and_foreign) == NULL ||
	    CU_add_test(s, "refuses bad positions",
	    test_cursor_refuses_bad_positions) == NULL ||
	    CU_add_test(s, "query finds exact names",
	    test_query_finds_exact_names) == NULL ||
	    CU_add_test(s, "query refuses repeats and long strings",
	    test_query_refuses_repeats_and_long) == NULL)
		return -1;
	return 0;
}
