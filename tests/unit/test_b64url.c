/* test_b64url.c: the strict base64url codec (lib/b64url.c). */
#include <string.h>

#include "b64url.h"
#include "unit.h"

static void
test_b64url_round_trips_every_length(void)
{
	unsigned char in[64], out[64];
	char enc[128];
	size_t n, i, got;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (n = 0; n <= sizeof(in); n++) {
		size_t elen = b64url_encode(in, n, enc, sizeof(enc));

		CU_ASSERT_EQUAL(elen, B64URL_ENCODED_LEN(n));
		CU_ASSERT_PTR_NULL(strchr(enc, '='));
		CU_ASSERT_EQUAL(b64url_decode(enc, elen, out, sizeof(out),
		    &got), ERR_OK);
		CU_ASSERT_EQUAL(got, n);
		CU_ASSERT(memcmp(in, out, n) == 0);
	}
}

static void
test_b64url_known_vectors(void)
{
	char enc[16];
	unsigned char out[16];
	size_t got;

	/* RFC 4648 section 10, URL alphabet, no padding. */
	CU_ASSERT_EQUAL(b64url_encode((const unsigned char *)"foob", 4, enc,
	    sizeof(enc)), 6);
	CU_ASSERT_STRING_EQUAL(enc, "Zm9vYg");
	b64url_encode((const unsigned char *)"\xfb\xff", 2, enc, sizeof(enc));
	CU_ASSERT_STRING_EQUAL(enc, "-_8");
	CU_ASSERT_EQUAL(b64url_decode("-_8", 3, out, sizeof(out), &got),
	    ERR_OK);
	CU_ASSERT(got == 2 && out[0] == 0xfb && out[1] == 0xff);
}

static void
test_b64url_refuses_malformed(void)
{
	unsigned char out[16];
	size_t got;

	CU_ASSERT_EQUAL(b64url_decode("Zm9vYg==", 8, out, 16, &got), ERR_INVAL);
	CU_ASSERT_EQUAL(b64url_decode("+/8", 3, out, 16, &got), ERR_INVAL);
	CU_ASSERT_EQUAL(b64url_decode("Zm9 v", 5, out, 16, &got), ERR_INVAL);
	CU_ASSERT_EQUAL(b64url_decode("Zm9vY", 5, out, 16, &got), ERR_INVAL);
	/* "Zh" has non-zero unused bits: "Zg" is the one encoding of 'f'. */
	CU_ASSERT_EQUAL(b64url_decode("Zh", 2, out, 16, &got), ERR_INVAL);
	CU_ASSERT_EQUAL(b64url_decode("Zg", 2, out, 16, &got), ERR_OK);
	CU_ASSERT_EQUAL(b64url_decode("Zm9vYmFy", 8, out, 5, &got),
	    ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(b64url_decode("Zm9v\0mFy", 8, out, 16, &got),
	    ERR_INVAL);
}

static void
test_b64url_encode_refuses_small_buffer(void)
{
	char enc[4];

	CU_ASSERT_EQUAL(b64url_encode((const unsigned char *)"foo", 3, enc,
	    sizeof(enc)), 0);
	CU_ASSERT_STRING_EQUAL(enc, "");
}

int
test_b64url_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("b64url", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "round trips every length",
	    test_b64url_round_trips_every_length) == NULL ||
	    CU_add_test(s, "known vectors", test_b64url_known_vectors) == NULL ||
	    CU_add_test(s, "refuses malformed input",
	    test_b64url_refuses_malformed) == NULL ||
	    CU_add_test(s, "encode refuses a small buffer",
	    test_b64url_encode_refuses_small_buffer) == NULL)
		return -1;
	return 0;
}
