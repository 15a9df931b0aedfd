/* test_buf.c: the one byte buffer (lib/buf.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "unit.h"

/* The JSON rendering of s[0..n), as a malloc'd string. */
static char *
json_of(const char *s, size_t n)
{
	struct buf b;

	buf_init(&b);
	buf_add_json(&b, s, n);
	return buf_take(&b);
}

static void
test_buf_appends_grow_past_the_first_block(void)
{
	struct buf b;
	char *p;
	size_t i;

	buf_init(&b);
	CU_ASSERT_PTR_NULL(b.p);
	for (i = 0; i < 1000; i++)
		buf_addc(&b, (char)('a' + i % 26));
	buf_adds(&b, "|end");
	buf_add(&b, "xyz", 2);
	buf_addf(&b, "|%d-%s", 42, "z");
	CU_ASSERT_EQUAL(buf_err(&b), ERR_OK);
	CU_ASSERT_EQUAL(b.len, 1000 + 4 + 2 + 5);
	CU_ASSERT_EQUAL(strlen(b.p), b.len);
	CU_ASSERT(memcmp(b.p, "abcdefghijklmnopqrstuvwxyzab", 28) == 0);
	CU_ASSERT_STRING_EQUAL(b.p + 1000, "|endxy|42-z");
	p = buf_take(&b);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT_PTR_NULL(b.p);
	CU_ASSERT_EQUAL(b.len, 0);
	free(p);
}

/* A printf longer than the room left grows once and keeps every byte. */
static void
test_buf_printf_longer_than_the_room_left(void)
{
	struct buf b;
	char big[1500];

	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b);
	buf_adds(&b, "head:");
	buf_addf(&b, "%s:%s", big, "tail");
	CU_ASSERT_EQUAL(buf_err(&b), ERR_OK);
	CU_ASSERT_EQUAL(b.len, 5 + 1499 + 5);
	CU_ASSERT(strncmp(b.p, "head:qqq", 8) == 0);
	CU_ASSERT_STRING_EQUAL(b.p + b.len - 6, "q:tail");
	buf_free(&b);
	CU_ASSERT_PTR_NULL(b.p);
	buf_free(&b);
	buf_free(NULL);
}

static void
test_buf_take_of_nothing_is_empty_string(void)
{
	struct buf b;
	char *p;

	buf_init(&b);
	p = buf_take(&b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(p, "");
	free(p);
}

/* A fixed buffer never grows: content plus NUL must fit, and the first
 * overflow sticks as ERR_TOO_LARGE with the complete pieces kept. */
static void
test_buf_fixed_overflow_is_sticky(void)
{
	char mem[8];
	struct buf b;

	buf_init_fixed(&b, mem, sizeof(mem));
	buf_adds(&b, "1234567");
	CU_ASSERT_EQUAL(buf_err(&b), ERR_OK);
	CU_ASSERT_STRING_EQUAL(mem, "1234567");
	buf_addc(&b, '8');
	CU_ASSERT_EQUAL(buf_err(&b), ERR_TOO_LARGE);
	CU_ASSERT_STRING_EQUAL(mem, "1234567");
	buf_adds(&b, "");
	buf_addf(&b, "%d", 1);
	CU_ASSERT_EQUAL(buf_err(&b), ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(b.len, 7);
	CU_ASSERT_PTR_NULL(buf_take(&b));

	buf_init_fixed(&b, mem, sizeof(mem));
	buf_adds(&b, "ab");
	buf_addf(&b, "%s", "cdefghij");
	CU_ASSERT_EQUAL(buf_err(&b), ERR_TOO_LARGE);
	CU_ASSERT_STRING_EQUAL(mem, "ab");
	buf_reset(&b);
	CU_ASSERT_EQUAL(buf_err(&b), ERR_OK);
	buf_addf(&b, "%s", "xyz");
	CU_ASSERT_STRING_EQUAL(mem, "xyz");

	buf_init_fixed(&b, mem, 0);
	CU_ASSERT_EQUAL(buf_err(&b), ERR_TOO_LARGE);
	buf_free(&b);
}

static void
test_buf_space_and_commit(void)
{
	struct buf b;
	char *w;

	buf_init(&b);
	buf_adds(&b, "x=");
	w = buf_space(&b, 600);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	memset(w, 'y', 3);
	buf_commit(&b, 3);
	CU_ASSERT_STRING_EQUAL(b.p, "x=yyy");
	buf_commit(&b, b.cap);		/* past the room: ignored */
	CU_ASSERT_EQUAL(b.len, 5);
	buf_free(&b);
}

static void
test_buf_hex_is_lower_case(void)
{
	struct buf b;

	buf_init(&b);
	buf_add_hex(&b, "\x00\x01\xab\xff", 4);
	CU_ASSERT_STRING_EQUAL(b.p, "0001abff");
	buf_add_hex(&b, "", 0);
	CU_ASSERT_STRING_EQUAL(b.p, "0001abff");
	buf_free(&b);
}

/* What "%lld" writes, at both ends of the range. */
static void
test_buf_int_is_printf_decimal(void)
{
	static const long long v[] = { 0, 7, -7, 10, 300, -1000000,
		LLONG_MAX, LLONG_MIN };
	char want[32];
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		buf_add_int(&b, v[i]);
		snprintf(want, sizeof(want), "%lld", v[i]);
		CU_ASSERT_STRING_EQUAL(b.p, want);
	}
	buf_free(&b);
}

/* Quote and backslash; short forms for \b \f \n \r \t; \u00XX for the
 * other C0 controls and DEL. */
static void
test_buf_json_escapes_controls_and_del(void)
{
	static const char in[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f~";
	char *p = json_of(in, sizeof(in) - 1);
	json_object *o;

	CU_ASSERT_STRING_EQUAL(p, "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001"
	    "\\u001f\\u007f~\"");
	o = json_tokener_parse(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(o), in);
	json_object_put(o);
	free(p);
}

/* NUL inside the length is data, rendered \u0000; NULL renders "". */
/* Every byte value at every offset of a word-sized run renders as it does
 * alone: the eight-at-a-time scan never passes over one to escape. */
static void
test_buf_json_any_byte_at_any_offset(void)
{
	char in[24], alone[16], want[64];
	struct buf b, one;
	size_t k, bad = 0;
	int c;

	buf_init(&b);
	buf_init(&one);
	for (c = 0; c < 256; c++) {
		buf_reset(&one);
		alone[0] = (char)c;
		buf_add_json(&one, alone, 1);
		for (k = 0; k < sizeof(in); k++) {
			memset(in, 'a', sizeof(in));
			in[k] = (char)c;
			snprintf(want, sizeof(want), "\"%.*s%.*s%.*s\"", (int)k,
			    in, (int)(one.len - 2), one.p + 1,
			    (int)(sizeof(in) - k - 1), in + k + 1);
			buf_reset(&b);
			buf_add_json(&b, in, sizeof(in));
			if (strcmp(b.p, want) != 0)
				bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	buf_free(&b);
	buf_free(&one);
}

static void
test_buf_json_nul_and_null(void)
{
	struct buf b;
	char *p = json_of("a\0b", 3);

	CU_ASSERT_STRING_EQUAL(p, "\"a\\u0000b\"");
	free(p);
	buf_init(&b);
	buf_add_jsons(&b, NULL);
	buf_add_jsons(&b, "x");
	CU_ASSERT_STRING_EQUAL(b.p, "\"\"\"x\"");
	buf_free(&b);
}

/* Valid UTF-8 passes through; each bad byte is one \ufffd. */
static void
test_buf_json_invalid_utf8_becomes_replacement(void)
{
	static const char in[] = "caf\xc3\xa9 \xf0\x9f\x8e\xa4|"
	    "\xff\xc3(\xe2\x82\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80!\xe2\x82";
	char *p = json_of(in, sizeof(in) - 1);

	CU_ASSERT_STRING_EQUAL(p, "\"caf\xc3\xa9 \xf0\x9f\x8e\xa4|"
	    "\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
	    "\\ufffd\\ufffd\\ufffd\\ufffd!\\ufffd\\ufffd\"");
	free(p);
}

/* A JSON string cut by a full fixed buffer is refused, not half-written. */
static void
test_buf_json_in_fixed_buffer_that_fills(void)
{
	char mem[6];
	struct buf b;

	buf_init_fixed(&b, mem, sizeof(mem));
	buf_add_jsons(&b, "abc");
	CU_ASSERT_EQUAL(buf_err(&b), ERR_OK);
	CU_ASSERT_STRING_EQUAL(mem, "\"abc\"");
	buf_reset(&b);
	buf_add_jsons(&b, "abcd");
	CU_ASSERT_EQUAL(buf_err(&b), ERR_TOO_LARGE);
}

int
test_buf_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("buf", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "appends grow past the first block",
	    test_buf_appends_grow_past_the_first_block) == NULL ||
	    CU_add_test(s, "printf longer than the room left",
	    test_buf_printf_longer_than_the_room_left) == NULL ||
	    CU_add_test(s, "take of nothing is an empty string",
	    test_buf_take_of_nothing_is_empty_string) == NULL ||
	    CU_add_test(s, "fixed buffer overflow is sticky",
	    test_buf_fixed_overflow_is_sticky) == NULL ||
	    CU_add_test(s, "space and commit", test_buf_space_and_commit) ==
	    NULL ||
	    CU_add_test(s, "hex is lower case", test_buf_hex_is_lower_case) ==
	    NULL ||
	    CU_add_test(s, "int is printf's decimal",
	    test_buf_int_is_printf_decimal) == NULL ||
	    CU_add_test(s, "JSON escapes controls and DEL",
	    test_buf_json_escapes_controls_and_del) == NULL ||
	    CU_add_test(s, "JSON any byte at any offset",
	    test_buf_json_any_byte_at_any_offset) == NULL ||
	    CU_add_test(s, "JSON NUL and NULL", test_buf_json_nul_and_null) ==
	    NULL ||
	    CU_add_test(s, "JSON invalid UTF-8 becomes U+FFFD",
	    test_buf_json_invalid_utf8_becomes_replacement) == NULL ||
	    CU_add_test(s, "JSON in a fixed buffer that fills",
	    test_buf_json_in_fixed_buffer_that_fills) == NULL)
		return -1;
	return 0;
}
