/*
 * test_codec.c: the codec names the original clients send map to the
 * canonical ones, and nothing else does.
 */
#include <string.h>

#include "codec.h"
#include "unit.h"

static const char *
canon(const char *s)
{
	return codec_canonical(s, strlen(s));
}

static void
check(const char *in, const char *want)
{
	const char *got = canon(in);

	if (want == NULL) {
		CU_ASSERT_PTR_NULL(got);
	} else {
		CU_ASSERT_PTR_NOT_NULL(got);
		if (got != NULL)
			CU_ASSERT_STRING_EQUAL(got, want);
	}
}

static void
canonical_names_map_to_themselves(void)
{
	size_t i;

	for (i = 0; codec_names[i] != NULL; i++)
		check(codec_names[i], codec_names[i]);
	check("WEBM/Opus", "webm/opus");
}

static void
container_names_of_the_old_pages_are_aliases(void)
{
	check("webm", "webm/opus");
	check("ogg", "ogg/opus");
	check("opus", "ogg/opus");
	check("mp4", "mp4/aac");
	check("m4a", "mp4/aac");
	check("wav", "wav/pcm");
	check("wave", "wav/pcm");
	check("flac", "flac");
	check("WebM", "webm/opus");
}

static void
mediarecorder_mime_types_are_aliases(void)
{
	/* Chrome, Firefox, Safari and hand-written forms. */
	check("audio/webm;codecs=opus", "webm/opus");
	check("audio/webm; codecs=opus", "webm/opus");
	check("audio/webm;codecs=\"opus\"", "webm/opus");
	check("webm;codecs=opus", "webm/opus");
	check("Audio/WebM ; Codecs = OPUS", "webm/opus");
	check("audio/webm", "webm/opus");
	check("audio/ogg; codecs=opus", "ogg/opus");
	check("audio/ogg", "ogg/opus");
	check("audio/mp4", "mp4/aac");
	check("audio/mp4;codecs=mp4a.40.2", "mp4/aac");
	check("audio/x-m4a", "mp4/aac");
	check("audio/wav", "wav/pcm");
	check("audio/x-wav", "wav/pcm");
	check("audio/wav;codecs=1", "wav/pcm");
	check("audio/flac", "flac");
	check("audio/x-flac;codecs=flac", "flac");
}

static void
other_codecs_and_shapes_are_refused(void)
{
	/* Another codec in a known container is not an alias. */
	check("audio/webm;codecs=vorbis", NULL);
	check("audio/ogg;codecs=vorbis", NULL);
	check("audio/mp4;codecs=opus", NULL);
	check("webm/vorbis", NULL);
	/* Unknown containers and types. */
	check("mp3", NULL);
	check("mp3/evil", NULL);
	check("audio/mpeg", NULL);
	check("video/webm", NULL);
	check("audio/", NULL);
	check("audio/audio/webm", NULL);
	check("", NULL);
	check(" ", NULL);
	/* Parameters: only one codecs=, well formed. */
	check("audio/webm;", NULL);
	check("audio/webm;codecs", NULL);
	check("audio/webm;codecs=", NULL);
	check("audio/webm;codecs=\"\"", NULL);
	check("audio/webm;codecs=\"opus", NULL);
	check("audio/webm;rate=48000", NULL);
	check("audio/webm;codecs=opus;codecs=opus", NULL);
	check("audio/webm;codecs=opus,vp8", NULL);
	/* Look-alikes, control bytes, non-ASCII, over-long. */
	check("webm\n", NULL);
	check("we\tbm", NULL);
	check("w\xc3\xa9" "bm", NULL);
	check("webmm", NULL);
	check("webm ", "webm/opus");
	CU_ASSERT_PTR_NULL(codec_canonical("webm\0x", 6));
	CU_ASSERT_PTR_NULL(codec_canonical(NULL, 4));
	CU_ASSERT_PTR_NULL(codec_canonical("webm", 0));
	{
		char big[CODEC_INPUT_MAX + 2];

		memset(big, ' ', sizeof(big));
		memcpy(big, "webm", 4);
		CU_ASSERT_PTR_NULL(codec_canonical(big, sizeof(big)));
		CU_ASSERT_STRING_EQUAL(codec_canonical(big, CODEC_INPUT_MAX),
		    "webm/opus");
	}
}

static void
chunk_types_follow_the_allow_list(void)
{
	CU_ASSERT(codec_ext_ok("webm", 4));
	CU_ASSERT(codec_ext_ok("flac", 4));
	CU_ASSERT(!codec_ext_ok("exe", 3));
	CU_ASSERT(!codec_ext_ok("WEBM", 4));
	CU_ASSERT(!codec_ext_ok("webm", 3));
	CU_ASSERT(codec_type_ok("webm", "audio/webm"));
	CU_ASSERT(codec_type_ok("webm", "Audio/WebM;codecs=opus"));
	CU_ASSERT(codec_type_ok("ogg", "audio/ogg; codecs=opus"));
	CU_ASSERT(!codec_type_ok("webm", "audio/ogg"));
	CU_ASSERT(!codec_type_ok("webm", "text/html"));
	CU_ASSERT(!codec_type_ok("exe", "audio/webm"));
	CU_ASSERT(!codec_type_ok(NULL, "audio/webm"));
}

int
test_codec_suite(void)
{
	CU_pSuite s = CU_add_suite("codec", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "canonical names map to themselves",
		canonical_names_map_to_themselves) == NULL ||
	    CU_add_test(s, "container names of the old pages are aliases",
		container_names_of_the_old_pages_are_aliases) == NULL ||
	    CU_add_test(s, "MediaRecorder MIME types are aliases",
		mediarecorder_mime_types_are_aliases) == NULL ||
	    CU_add_test(s, "other codecs and shapes are refused",
		other_codecs_and_shapes_are_refused) == NULL ||
	    CU_add_test(s, "chunk types follow the allow-list",
		chunk_types_follow_the_allow_list) == NULL)
		return -1;
	return 0;
}
