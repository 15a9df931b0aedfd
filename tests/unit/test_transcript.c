/*
 * test_transcript.c: the accumulator behind `display` messages keeps
 * every word once, makes repeated words stable, flushes and cuts on time
 * and stays within its window however long the session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "transcript.h"
#include "unit.h"

static struct transcript_view v;

static enum err
partial(struct transcript *t, const char *s, int64_t now)
{
	return transcript_partial(t, s, strlen(s), now, &v);
}

static enum err
final(struct transcript *t, const char *s, int64_t now)
{
	return transcript_final(t, s, strlen(s), now, &v);
}

/* The view's stable text and suffix equal these. */
static int
shows(const char *stable, const char *suffix)
{
	return v.stable_len == strlen(stable) &&
	    memcmp(v.stable, stable, v.stable_len) == 0 &&
	    v.stable[v.stable_len] == '\0' &&
	    v.suffix_len == strlen(suffix) &&
	    memcmp(v.suffix, suffix, v.suffix_len) == 0;
}

static void
test_transcript_prefix_of_two_partials_is_stable(void)
{
	struct transcript t;

	transcript_init(&t, 4096, 0, 0);
	CU_ASSERT_EQUAL(partial(&t, "the", 0), ERR_OK);
	CU_ASSERT(shows("", "the"));
	CU_ASSERT_EQUAL(v.pending_tokens, 1);
	CU_ASSERT_FALSE(v.is_final);
	CU_ASSERT_STRING_EQUAL(v.reason, "partial");
	CU_ASSERT_EQUAL(partial(&t, "the quick", 100), ERR_OK);
	CU_ASSERT(shows("the", "quick"));
	CU_ASSERT_EQUAL(partial(&t, "the quick brown", 200), ERR_OK);
	CU_ASSERT(shows("the quick", "brown"));
	CU_ASSERT_EQUAL(v.segment_id, 0);
	/* a word that only shares a prefix with the last one is not stable */
	CU_ASSERT_EQUAL(partial(&t, "the quick browning", 300), ERR_OK);
	CU_ASSERT(shows("the quick", "browning"));
	CU_ASSERT_EQUAL(final(&t, "the quick brown fox", 400), ERR_OK);
	CU_ASSERT(shows("the quick brown fox", ""));
	CU_ASSERT(v.is_final);
	CU_ASSERT_EQUAL(v.segment_id, 0);
	CU_ASSERT_EQUAL(v.pending_tokens, 0);
	CU_ASSERT_STRING_EQUAL(v.reason, "final");
	/* the next segment: finals so far, then the new partial */
	CU_ASSERT_EQUAL(partial(&t, "jumps", 500), ERR_OK);
	CU_ASSERT(shows("the quick brown fox", "jumps"));
	CU_ASSERT_EQUAL(v.segment_id, 1);
	CU_ASSERT_EQUAL(partial(&t, "jumps over", 600), ERR_OK);
	CU_ASSERT(shows("the quick brown fox jumps", "over"));
	CU_ASSERT_EQUAL(final(&t, "jumps over the lazy dog", 700), ERR_OK);
	CU_ASSERT(shows("the quick brown fox jumps over the lazy dog", ""));
	CU_ASSERT_EQUAL(v.segment_id, 1);
	transcript_free(&t);
}

static void
test_transcript_repeated_partials_are_stable_once(void)
{
	struct transcript t;
	int i;

	transcript_init(&t, 4096, 0, 0);
	for (i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(partial(&t, "hello  there\t", i * 100), ERR_OK);
	}
	/* the same partial over and over: stable once, not five times */
	CU_ASSERT(shows("hello there", ""));
	CU_ASSERT_EQUAL(v.pending_tokens, 0);
	CU_ASSERT_EQUAL(final(&t, " hello there ", 600), ERR_OK);
	CU_ASSERT(shows("hello there", ""));
	/* an empty final ends the segment and adds nothing */
	CU_ASSERT_EQUAL(final(&t, "", 700), ERR_OK);
	CU_ASSERT(shows("hello there", ""));
	CU_ASSERT_EQUAL(v.segment_id, 1);
	CU_ASSERT_EQUAL(partial(&t, "", 800), ERR_OK);
	CU_ASSERT(shows("hello there", ""));
	CU_ASSERT_EQUAL(v.segment_id, 2);
	transcript_free(&t);
}

/*
 * Riva revises a word already shown as stable: the stable text is not
 * taken back and no newer word is lost from view; the final wins.
 */
static void
test_transcript_revision_loses_no_word(void)
{
	struct transcript t;

	transcript_init(&t, 4096, 0, 0);
	partial(&t, "the quick brown", 0);
	partial(&t, "the quick brown", 100);
	CU_ASSERT(shows("the quick brown", ""));
	CU_ASSERT_EQUAL(partial(&t, "the quack brown fox", 200), ERR_OK);
	CU_ASSERT(shows("the quick brown", "fox"));
	/* "fox" came twice in a row: stable after the words kept */
	CU_ASSERT_EQUAL(partial(&t, "the quack brown fox jumps", 300), ERR_OK);
	CU_ASSERT(shows("the quick brown fox", "jumps"));
	/* shorter than what is stable: nothing pending, nothing lost */
	CU_ASSERT_EQUAL(partial(&t, "the", 400), ERR_OK);
	CU_ASSERT(shows("the quick brown fox", ""));
	CU_ASSERT_EQUAL(final(&t, "the quack brown fox jumps", 500), ERR_OK);
	CU_ASSERT(shows("the quack brown fox jumps", ""));
	transcript_free(&t);
}

static void
test_transcript_forced_flush_after_1400_ms(void)
{
	struct transcript t;

	transcript_init(&t, 4096, 0, 0);
	CU_ASSERT_EQUAL(partial(&t, "hello there", 1000), ERR_OK);
	CU_ASSERT(shows("", "hello there"));
	CU_ASSERT_EQUAL(transcript_tick(&t, 2399, &v), 0);
	CU_ASSERT_EQUAL(transcript_tick(&t, 2400, &v), 1);
	CU_ASSERT(shows("hello there", ""));
	CU_ASSERT_FALSE(v.is_final);
	CU_ASSERT_STRING_EQUAL(v.reason, "flush");
	CU_ASSERT_EQUAL(v.pending_tokens, 0);
	/* once flushed, nothing more to do */
	CU_ASSERT_EQUAL(transcript_tick(&t, 2500, &v), 0);
	/* the clock runs from the last change, not the first partial */
	partial(&t, "hello there general", 3000);
	CU_ASSERT(shows("hello there", "general"));
	CU_ASSERT_EQUAL(transcript_tick(&t, 4399, &v), 0);
	CU_ASSERT_EQUAL(transcript_tick(&t, 4400, &v), 1);
	CU_ASSERT(shows("hello there general", ""));
	/* the final after a flush does not repeat the words */
	final(&t, "hello there general kenobi", 4500);
	CU_ASSERT(shows("hello there general kenobi", ""));
	/* nothing running: ticks do nothing */
	CU_ASSERT_EQUAL(transcript_tick(&t, 99999, &v), 0);
	transcript_free(&t);
}

/*
 * A 12 s segment is cut; Riva goes on restating the whole utterance and
 * ends it with a final: every word is shown exactly once.
 */
static void
test_transcript_long_segment_is_cut_after_12_s(void)
{
	struct transcript t;
	char text[2048], want[2048];
	size_t n = 0;
	int k, cut_at = -1;

	transcript_init(&t, 4096, 0, 0);
	text[0] = '\0';
	for (k = 0; k <= 30; k++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%sw%d",
		    k ? " " : "", k);
		CU_ASSERT_EQUAL(partial(&t, text, (int64_t)k * 500), ERR_OK);
		if (v.is_final) {
			CU_ASSERT_EQUAL(cut_at, -1);
			cut_at = k;
			CU_ASSERT_STRING_EQUAL(v.reason, "cut");
			CU_ASSERT_EQUAL(v.segment_id, 0);
			CU_ASSERT(shows(text, ""));
		}
	}
	/* the segment began at 0 ms: cut by the partial at 12000 ms */
	CU_ASSERT_EQUAL(cut_at, 24);
	/* after the cut the suffix holds only words not yet shown */
	CU_ASSERT_EQUAL(v.segment_id, 1);
	CU_ASSERT_EQUAL(v.pending_tokens, 1);
	CU_ASSERT_EQUAL(v.suffix_len, 3);
	CU_ASSERT(memcmp(v.suffix, "w30", 3) == 0);
	CU_ASSERT_EQUAL(final(&t, "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 "
	    "w13 w14 w15 w16 w17 w18 w19 w20 w21 w22 w23 w24 w25 w26 w27 w28 "
	    "w29 w30 w31", 15600), ERR_OK);
	snprintf(want, sizeof(want), "%s w31", text);
	CU_ASSERT(shows(want, ""));
	CU_ASSERT_EQUAL(v.segment_id, 1);
	CU_ASSERT_STRING_EQUAL(v.reason, "final");
	/* the next utterance is not trimmed */
	partial(&t, "next one", 16000);
	CU_ASSERT_EQUAL(v.suffix_len, 8);
	CU_ASSERT(memcmp(v.suffix, "next one", 8) == 0);
	/* a segment also ends on time when no partial comes */
	CU_ASSERT_EQUAL(transcript_tick(&t, 27999, &v), 1);	/* flush */
	CU_ASSERT_STRING_EQUAL(v.reason, "flush");
	CU_ASSERT_EQUAL(transcript_tick(&t, 28000, &v), 1);
	CU_ASSERT(v.is_final);
	CU_ASSERT_STRING_EQUAL(v.reason, "cut");
	CU_ASSERT_EQUAL(v.segment_id, 2);
	snprintf(want, sizeof(want), "%s w31 next one", text);
	CU_ASSERT(shows(want, ""));
	transcript_free(&t);
}

/* A long session keeps at most the window: the newest finals, from the
 * start of a word, with the dropped bytes counted. */
static void
test_transcript_stable_text_is_bounded(void)
{
	struct transcript t;
	char w[32], *big;
	uint64_t total = 0;
	int i, bounded = 1, aligned = 1, counted = 1;

	transcript_init(&t, 10, 0, 0);		/* clamped up to the minimum */
	CU_ASSERT_EQUAL(t.window, LIMIT_DISPLAY_STABLE_MIN);
	transcript_free(&t);
	transcript_init(&t, 300, 0, 0);
	for (i = 0; i < 20000; i++) {
		snprintf(w, sizeof(w), "word%d", i);
		partial(&t, w, i * 10);
		final(&t, w, i * 10 + 5);
		total += strlen(w) + (i > 0);
		if (v.stable_len > 300)
			bounded = 0;
		if (strncmp(v.stable, "word", 4) != 0)
			aligned = 0;
		if (v.dropped_bytes + v.stable_len != total)
			counted = 0;
	}
	CU_ASSERT(bounded);
	CU_ASSERT(aligned);
	CU_ASSERT(counted);
	CU_ASSERT(v.stable_len > 200);
	CU_ASSERT(strcmp(v.stable + v.stable_len - 9, "word19999") == 0);
	CU_ASSERT(t.stable_cap <= 2 * (300 + 64));
	/* one word longer than the window: cut on a character boundary */
	big = malloc(1000);
	for (i = 0; i < 999; i += 3)
		memcpy(big + i, "\xc3\xa9x", 3);	/* "éx" */
	big[999] = '\0';
	final(&t, big, 300000);
	CU_ASSERT(v.stable_len <= 300);
	CU_ASSERT(((unsigned char)v.stable[0] & 0xc0) != 0x80);
	free(big);
	/* a result over TRANSCRIPT_MAX_TEXT is cut after a whole word */
	big = malloc(TRANSCRIPT_MAX_TEXT + 100);
	memset(big, 'a', TRANSCRIPT_MAX_TEXT + 99);
	for (i = 9; i < TRANSCRIPT_MAX_TEXT + 99; i += 10)
		big[i] = ' ';
	big[TRANSCRIPT_MAX_TEXT + 99] = '\0';
	CU_ASSERT_EQUAL(partial(&t, big, 400000), ERR_OK);
	CU_ASSERT(v.suffix_len <= TRANSCRIPT_MAX_TEXT);
	CU_ASSERT(v.suffix_len % 10 == 9);
	free(big);
	transcript_free(&t);
	transcript_free(&t);	/* twice is harmless */
}

int
test_transcript_suite(void)
{
	CU_pSuite s = CU_add_suite("transcript", NULL, NULL);

	if (s == NULL ||
	    !CU_add_test(s, "prefix of two partials is stable",
	    test_transcript_prefix_of_two_partials_is_stable) ||
	    !CU_add_test(s, "repeated partials are stable once",
	    test_transcript_repeated_partials_are_stable_once) ||
	    !CU_add_test(s, "revision loses no word",
	    test_transcript_revision_loses_no_word) ||
	    !CU_add_test(s, "forced flush after 1400 ms",
	    test_transcript_forced_flush_after_1400_ms) ||
	    !CU_add_test(s, "long segment is cut after 12 s",
	    test_transcript_long_segment_is_cut_after_12_s) ||
	    !CU_add_test(s, "stable text is bounded",
	    test_transcript_stable_text_is_bounded))
		return -1;
	return 0;
}
