/* test_utf8.c: the one UTF-8 validator (lib/utf8.c). */
#include <string.h>

#include "unit.h"
#include "utf8.h"

#define V(s)	utf8_valid((s), sizeof(s) - 1)

static void
test_utf8_accepts_every_length_and_the_edges(void)
{
	CU_ASSERT(V(""));
	CU_ASSERT(V("plain ascii \x7f\x01"));
	CU_ASSERT(V("\xc2\x80"));		/* U+0080 */
	CU_ASSERT(V("\xdf\xbf"));		/* U+07FF */
	CU_ASSERT(V("\xe0\xa0\x80"));		/* U+0800 */
	CU_ASSERT(V("\xed\x9f\xbf"));		/* U+D7FF */
	CU_ASSERT(V("\xee\x80\x80"));		/* U+E000 */
	CU_ASSERT(V("\xef\xbf\xbd"));		/* U+FFFD */
	CU_ASSERT(V("\xf0\x90\x80\x80"));	/* U+10000 */
	CU_ASSERT(V("\xf4\x8f\xbf\xbf"));	/* U+10FFFF */
	CU_ASSERT(V("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xa4"));
	CU_ASSERT_EQUAL(utf8_len("\xf0\x9f\x8e\xa4", 4), 4);
	CU_ASSERT_EQUAL(utf8_len("a", 1), 1);
}

static void
test_utf8_refuses_overlong_surrogate_and_out_of_range(void)
{
	CU_ASSERT(!V("\xc0\xaf"));		/* overlong '/' */
	CU_ASSERT(!V("\xc1\xbf"));
	CU_ASSERT(!V("\xe0\x9f\xbf"));		/* overlong U+07FF */
	CU_ASSERT(!V("\xf0\x8f\xbf\xbf"));	/* overlong U+FFFF */
	CU_ASSERT(!V("\xed\xa0\x80"));		/* U+D800 */
	CU_ASSERT(!V("\xed\xbf\xbf"));		/* U+DFFF */
	CU_ASSERT(!V("\xf4\x90\x80\x80"));	/* U+110000 */
	CU_ASSERT(!V("\xf5\x80\x80\x80"));
	CU_ASSERT(!V("\xff"));
	CU_ASSERT(!V("\x80"));			/* lone continuation */
	CU_ASSERT(!V("\xc3("));			/* bad continuation */
	CU_ASSERT(!V("\xe2\x82"));		/* cut short */
	CU_ASSERT(!V("ok\xf0\x9f\x8e"));
	CU_ASSERT_EQUAL(utf8_len("\xe2\x82\xac", 2), 0);
	CU_ASSERT_EQUAL(utf8_len("\xed\xa0\x80", 3), 0);
	CU_ASSERT_EQUAL(utf8_len("x", 0), 0);
}

/* Pieces of a fragmented message: a sequence cut by the end of a piece is
 * PARTIAL (with the complete prefix), a wrong one INVALID at once. */
static void
test_utf8_prefix_tells_cut_from_wrong(void)
{
	size_t done = 99;

	CU_ASSERT_EQUAL(utf8_prefix("ab\xe2\x82", 4, &done), UTF8_PARTIAL);
	CU_ASSERT_EQUAL(done, 2);
	CU_ASSERT_EQUAL(utf8_prefix("\xf0\x9f", 2, &done), UTF8_PARTIAL);
	CU_ASSERT_EQUAL(done, 0);
	CU_ASSERT_EQUAL(utf8_prefix("a\xf4", 2, &done), UTF8_PARTIAL);
	CU_ASSERT_EQUAL(done, 1);
	/* cannot be completed: surrogate, overlong, above U+10FFFF */
	CU_ASSERT_EQUAL(utf8_prefix("a\xed\xa0", 3, &done), UTF8_INVALID);
	CU_ASSERT_EQUAL(done, 1);
	CU_ASSERT_EQUAL(utf8_prefix("\xe0\x80", 2, &done), UTF8_INVALID);
	CU_ASSERT_EQUAL(utf8_prefix("\xf4\x90", 2, &done), UTF8_INVALID);
	CU_ASSERT_EQUAL(utf8_prefix("\xc0", 1, &done), UTF8_INVALID);
	/* a bad byte before the end is wrong even if the end is cut */
	CU_ASSERT_EQUAL(utf8_prefix("\xff" "a\xe2", 3, &done), UTF8_INVALID);
	CU_ASSERT_EQUAL(done, 0);
	CU_ASSERT_EQUAL(utf8_prefix("\xe2\x82\xac", 3, &done), UTF8_VALID);
	CU_ASSERT_EQUAL(done, 3);
	CU_ASSERT_EQUAL(utf8_prefix("", 0, &done), UTF8_VALID);
	CU_ASSERT_EQUAL(done, 0);
}

static void
test_utf8_cut_keeps_sequences_whole(void)
{
	static const char s[] = "ab\xe2\x82\xac" "c";	/* a b EURO c */

	CU_ASSERT_EQUAL(utf8_cut(s, 6, 10), 6);
	CU_ASSERT_EQUAL(utf8_cut(s, 6, 5), 5);
	CU_ASSERT_EQUAL(utf8_cut(s, 6, 4), 2);
	CU_ASSERT_EQUAL(utf8_cut(s, 6, 3), 2);
	CU_ASSERT_EQUAL(utf8_cut(s, 6, 2), 2);
	CU_ASSERT_EQUAL(utf8_cut(s, 6, 0), 0);
}

int
test_utf8_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("utf8", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "accepts every length and the edges",
	    test_utf8_accepts_every_length_and_the_edges) == NULL ||
	    CU_add_test(s, "refuses overlong, surrogate, out of range",
	    test_utf8_refuses_overlong_surrogate_and_out_of_range) == NULL ||
	    CU_add_test(s, "prefix tells a cut sequence from a wrong one",
	    test_utf8_prefix_tells_cut_from_wrong) == NULL ||
	    CU_add_test(s, "cut keeps sequences whole",
	    test_utf8_cut_keeps_sequences_whole) == NULL)
		return -1;
	return 0;
}
