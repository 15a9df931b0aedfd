/*
 * test_asrstream.c: audio-recognizer's stream rules (lib/realtime/asrstream.c):
 * which configs are served, when partials and finals are due, and how
 * PocketSphinx words become result words.
 */
#include <string.h>

#include <CUnit/CUnit.h>

#include "asrstream.h"
#include "unit.h"

static struct rivasrv_request
good_config(void)
{
	struct rivasrv_request r;

	memset(&r, 0, sizeof(r));
	r.kind = RIVASRV_REQ_CONFIG;
	r.encoding = 1;
	r.sample_rate_hz = 16000;
	r.audio_channel_count = 1;
	r.language = (char *)"en-US";
	r.model = (char *)"";
	return r;
}

static void
test_asrstream_config_16k_mono_pcm_accepted(void)
{
	struct rivasrv_request r = good_config();
	char msg[200];

	CU_ASSERT_EQUAL(asrstream_check_config(&r, "pocketsphinx-en-us",
	    "en-US", msg, sizeof(msg)), 0);
	r.audio_channel_count = 0;	/* unset means mono */
	r.language = (char *)"EN-us";
	r.model = (char *)"PocketSphinx-en-US";
	CU_ASSERT_EQUAL(asrstream_check_config(&r, "pocketsphinx-en-us",
	    "en-US", msg, sizeof(msg)), 0);
	r.language = NULL;
	r.model = NULL;
	CU_ASSERT_EQUAL(asrstream_check_config(&r, "m", "en-US", msg,
	    sizeof(msg)), 0);
}

static void
test_asrstream_config_refusals_name_the_problem(void)
{
	struct rivasrv_request r;
	char msg[200];

	r = good_config();
	r.sample_rate_hz = 8000;
	CU_ASSERT_EQUAL(asrstream_check_config(&r, "m", "en-US", msg,
	    sizeof(msg)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "sample_rate_hertz 8000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "16000"));
	r = good_config();
	r.encoding = 2;		/* FLAC */
	CU_ASSERT_EQUAL(asrstream_check_config(&r, "m", "en-US", msg,
	    sizeof(msg)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "encoding 2"));
	r = good_config();
	r.audio_channel_count = 2;
	CU_ASSERT_EQUAL(asrstream_check_config(&r, "m", "en-US", msg,
	    sizeof(msg)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "mono"));
	r = good_config();
	r.language = (char *)"de-DE";
	CU_ASSERT_EQUAL(asrstream_check_config(&r, "m", "en-US", msg,
	    sizeof(msg)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "de-DE"));
	r = good_config();
	r.model = (char *)"conformer-en-US";
	CU_ASSERT_EQUAL(asrstream_check_config(&r, "m", "en-US", msg,
	    sizeof(msg)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "conformer-en-US"));
	/* a tiny buffer is still terminated */
	CU_ASSERT_EQUAL(asrstream_check_config(&r, "m", "en-US", msg, 4), -1);
	CU_ASSERT_EQUAL(strlen(msg), 3);
}

static void
test_asrstream_partials_on_interval_final_at_end_of_speech(void)
{
	struct asrstream s;
	int i, partials = 0;

	asrstream_init(&s, 400, 30000);	/* 6400 samples */
	/* silence: nothing */
	for (i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(asrstream_feed(&s, 320, 0), ASRSTREAM_NONE);
	/* speech starts: no step at the edge itself */
	CU_ASSERT_EQUAL(asrstream_feed(&s, 320, 1), ASRSTREAM_NONE);
	/* 1 s of speech in 20 ms pieces: a partial every 400 ms */
	for (i = 0; i < 50; i++)
		if (asrstream_feed(&s, 320, 1) == ASRSTREAM_PARTIAL)
			partials++;
	CU_ASSERT_EQUAL(partials, 2);
	CU_ASSERT_EQUAL(asrstream_feed(&s, 320, 0), ASRSTREAM_FINAL);
	CU_ASSERT_EQUAL(asrstream_feed(&s, 320, 0), ASRSTREAM_NONE);
	CU_ASSERT_EQUAL(asrstream_finish(&s), ASRSTREAM_NONE);
	CU_ASSERT_EQUAL(s.samples, 63 * 320);
}

static void
test_asrstream_finish_closes_open_utterance(void)
{
	struct asrstream s;

	asrstream_init(&s, 400, 30000);
	CU_ASSERT_EQUAL(asrstream_feed(&s, 1600, 1), ASRSTREAM_NONE);
	CU_ASSERT_EQUAL(asrstream_finish(&s), ASRSTREAM_FINAL);
	CU_ASSERT_EQUAL(asrstream_finish(&s), ASRSTREAM_NONE);
}

static void
test_asrstream_endless_speech_is_cut(void)
{
	struct asrstream s;
	int i, finals = 0, forced = 0;

	asrstream_init(&s, 400, 1000);	/* cut after 1 s */
	for (i = 0; i < 250; i++)	/* 5 s of "speech" (noise) */
		if (asrstream_feed(&s, 320, 1) == ASRSTREAM_FINAL) {
			finals++;
			forced += s.forced;
		}
	CU_ASSERT(finals >= 4 && finals <= 5);
	CU_ASSERT_EQUAL(forced, finals);
}

static void
test_asrstream_words_cleaned(void)
{
	char w[16];

	CU_ASSERT_EQUAL(asrstream_word("hello", w, sizeof(w)), 5);
	CU_ASSERT_STRING_EQUAL(w, "hello");
	CU_ASSERT_EQUAL(asrstream_word("read(2)", w, sizeof(w)), 4);
	CU_ASSERT_STRING_EQUAL(w, "read");
	CU_ASSERT_EQUAL(asrstream_word("the(12)", w, sizeof(w)), 3);
	CU_ASSERT_STRING_EQUAL(w, "the");
	/* fillers */
	CU_ASSERT_EQUAL(asrstream_word("<s>", w, sizeof(w)), 0);
	CU_ASSERT_EQUAL(asrstream_word("</s>", w, sizeof(w)), 0);
	CU_ASSERT_EQUAL(asrstream_word("<sil>", w, sizeof(w)), 0);
	CU_ASSERT_EQUAL(asrstream_word("[NOISE]", w, sizeof(w)), 0);
	CU_ASSERT_EQUAL(asrstream_word("++GARBAGE++", w, sizeof(w)), 0);
	CU_ASSERT_EQUAL(asrstream_word("", w, sizeof(w)), 0);
	CU_ASSERT_EQUAL(asrstream_word(NULL, w, sizeof(w)), 0);
	/* not a pronunciation mark: kept whole */
	CU_ASSERT_EQUAL(asrstream_word("a(b)", w, sizeof(w)), 4);
	CU_ASSERT_EQUAL(asrstream_word("x()", w, sizeof(w)), 3);
	/* too long for out: no word, out terminated */
	CU_ASSERT_EQUAL(asrstream_word("abcdefghijklmnopq", w, sizeof(w)), 0);
	CU_ASSERT_STRING_EQUAL(w, "");
}

static void
test_asrstream_frames_to_ms(void)
{
	CU_ASSERT_EQUAL(asrstream_frame_ms(0, 100), 0);
	CU_ASSERT_EQUAL(asrstream_frame_ms(130, 100), 1300);
	CU_ASSERT_EQUAL(asrstream_frame_ms(-5, 100), 0);
	CU_ASSERT_EQUAL(asrstream_frame_ms(5, 0), 0);
	CU_ASSERT_EQUAL(asrstream_frame_ms(2147483647, 1), 2147483647);
}

int
test_asrstream_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("asrstream", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "16 kHz mono LINEAR_PCM accepted",
	    test_asrstream_config_16k_mono_pcm_accepted) == NULL ||
	    CU_add_test(s, "refusals name rate, encoding, channels, "
	    "language, model", test_asrstream_config_refusals_name_the_problem)
	    == NULL ||
	    CU_add_test(s, "partials on the interval, final at end of speech",
	    test_asrstream_partials_on_interval_final_at_end_of_speech) ==
	    NULL ||
	    CU_add_test(s, "end of audio closes an open utterance",
	    test_asrstream_finish_closes_open_utterance) == NULL ||
	    CU_add_test(s, "endless speech is cut at max_utterance",
	    test_asrstream_endless_speech_is_cut) == NULL ||
	    CU_add_test(s, "engine words cleaned",
	    test_asrstream_words_cleaned) == NULL ||
	    CU_add_test(s, "frames to milliseconds",
	    test_asrstream_frames_to_ms) == NULL)
		return -1;
	return 0;
}
