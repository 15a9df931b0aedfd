/*
 * test_wsproto.c: CUnit tests for lib/realtime/wsproto.c, both dialects' parsing and
 * every renderer.  Rendered messages are re-parsed with json-c so the tests
 * check real JSON, not string fragments.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "unit.h"
#include "wsproto.h"

static enum err
parse(enum wsproto_dialect cur, const char *s, struct wsproto_msg *m,
    char *why, size_t whylen)
{
	return wsproto_parse(cur, s, strlen(s), m, why, whylen);
}

static void
test_start_transcription_with_all_fields_picks_dialect_1(void)
{
	struct wsproto_msg m;
	char why[256];
	const char *s = "{\"type\":\"start_transcription\",\"enable_partials\":"
	    "false,\"hotwords\":[\"Riva\",\"Kubernetes\"],\"language\":\"de-DE\","
	    "\"sample_rate\":8000,\"model\":\"conformer-de.v2\",\"punctuation\":"
	    "false,\"word_time_offsets\":false}";

	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, s, &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.dialect, WSPROTO_BRIDGE);
	CU_ASSERT_EQUAL(m.kind, WSPROTO_START);
	CU_ASSERT_EQUAL(m.start.enable_partials, 0);
	CU_ASSERT_EQUAL(m.start.punctuation, 0);
	CU_ASSERT_EQUAL(m.start.word_time_offsets, 0);
	CU_ASSERT_EQUAL(m.start.sample_rate, 8000);
	CU_ASSERT_STRING_EQUAL(m.start.language, "de-DE");
	CU_ASSERT_STRING_EQUAL(m.start.model, "conformer-de.v2");
	CU_ASSERT_EQUAL(m.start.nhotwords, 2);
	CU_ASSERT_STRING_EQUAL(m.start.hotwords[1], "Kubernetes");
}

static void
test_start_transcription_defaults(void)
{
	struct wsproto_msg m;

	CU_ASSERT_EQUAL(parse(WSPROTO_NONE,
	    "{\"type\":\"start_transcription\"}", &m, NULL, 0), ERR_OK);
	CU_ASSERT_EQUAL(m.start.enable_partials, 1);
	CU_ASSERT_EQUAL(m.start.sample_rate, 16000);
	CU_ASSERT_STRING_EQUAL(m.start.language, "en-US");
	CU_ASSERT_EQUAL(m.start.nhotwords, 0);
}

static void
test_simple_messages_of_dialect_1(void)
{
	struct wsproto_msg m;

	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, " {\"type\":\"ping\"}\n", &m, NULL,
	    0), ERR_OK);
	CU_ASSERT_EQUAL(m.kind, WSPROTO_PING);
	CU_ASSERT_EQUAL(parse(WSPROTO_BRIDGE, "{\"type\":\"get_metrics\"}", &m,
	    NULL, 0), ERR_OK);
	CU_ASSERT_EQUAL(m.kind, WSPROTO_GET_METRICS);
	CU_ASSERT_EQUAL(parse(WSPROTO_BRIDGE,
	    "{\"type\":\"stop_transcription\"}", &m, NULL, 0), ERR_OK);
	CU_ASSERT_EQUAL(m.kind, WSPROTO_STOP);
}

static void
test_audiocodes_start_picks_dialect_2(void)
{
	struct wsproto_msg m;
	char why[256];

	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start\",\"language\":"
	    "\"en-GB\",\"format\":\"raw\",\"encoding\":\"LINEAR16\","
	    "\"sampleRateHz\":16000}", &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.dialect, WSPROTO_AUDIOCODES);
	CU_ASSERT_EQUAL(m.kind, WSPROTO_START);
	CU_ASSERT_STRING_EQUAL(m.start.language, "en-GB");
	CU_ASSERT_EQUAL(m.start.sample_rate, 16000);
	CU_ASSERT_EQUAL(parse(WSPROTO_AUDIOCODES, "{\"type\":\"stop\"}", &m,
	    NULL, 0), ERR_OK);
	CU_ASSERT_EQUAL(m.kind, WSPROTO_STOP);
}

static void
test_audiocodes_refuses_other_encodings(void)
{
	struct wsproto_msg m;
	char why[256];

	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start\",\"encoding\":"
	    "\"MULAW\"}", &m, why, sizeof(why)), ERR_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "encoding"));
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start\",\"format\":"
	    "\"mp3\"}", &m, why, sizeof(why)), ERR_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "format"));
	/* the failed first message still names its dialect */
	CU_ASSERT_EQUAL(m.dialect, WSPROTO_AUDIOCODES);
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"dance\"}", &m, why,
	    sizeof(why)), ERR_FIELD);
	CU_ASSERT_EQUAL(m.dialect, WSPROTO_NONE);
}

/* What VoiceAI Connect sends besides the basics, and what it may add. */
static void
test_audiocodes_voiceai_connect_fields(void)
{
	struct wsproto_msg m;
	char why[256], big[LIMIT_WS_TEXT_BYTES];
	size_t i, n;

	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start\",\"language\":"
	    "\"en-US\",\"conversationId\":\"8745555-8f1a-48ba-9ec9-46e90dc5aa18"
	    "\",\"format\":\"wav\",\"encoding\":\"LINEAR16\",\"sampleRateHz\":"
	    "16000,\"sttContextId\":\"ctx-1\",\"sttSpeechContexts\":"
	    "[{\"phrases\":[\"Riva\",\"Kubernetes\"],\"boost\":10},"
	    "{\"phrases\":[\"gRPC\"]},{\"boost\":2}],"
	    "\"sttGenericData\":{\"any\":[1,2]},\"someFutureField\":true}",
	    &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.dialect, WSPROTO_AUDIOCODES);
	CU_ASSERT_EQUAL(m.start.wav, 1);
	CU_ASSERT_STRING_EQUAL(m.start.conversation_id,
	    "8745555-8f1a-48ba-9ec9-46e90dc5aa18");
	CU_ASSERT_EQUAL(m.start.nhotwords, 3);
	CU_ASSERT_STRING_EQUAL(m.start.hotwords[0], "Riva");
	CU_ASSERT_STRING_EQUAL(m.start.hotwords[1], "Kubernetes");
	CU_ASSERT_STRING_EQUAL(m.start.hotwords[2], "gRPC");
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start\"}", &m, why,
	    sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.start.wav, 0);
	CU_ASSERT_STRING_EQUAL(m.start.conversation_id, "");

	/* the known ones are still checked */
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start\","
	    "\"conversationId\":\"a b\"}", &m, why, sizeof(why)), ERR_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "conversationId"));
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start\","
	    "\"sttSpeechContexts\":{\"phrases\":[\"x\"]}}", &m, why,
	    sizeof(why)), ERR_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "sttSpeechContexts"));
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start\","
	    "\"sttSpeechContexts\":[{\"phrases\":[\"ok\",7]}]}", &m, why,
	    sizeof(why)), ERR_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "sttSpeechContexts[0].phrases[1]"));
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start\","
	    "\"sttSpeechContexts\":[{\"phrases\":[\"\"]}]}", &m, why,
	    sizeof(why)), ERR_FIELD);
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start\","
	    "\"sttContextId\":5}", &m, why, sizeof(why)), ERR_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "sttContextId"));
	/* more phrases than boosted words allowed, over several contexts */
	n = (size_t)snprintf(big, sizeof(big), "{\"type\":\"start\","
	    "\"sttSpeechContexts\":[");
	for (i = 0; i <= LIMIT_WS_HOTWORDS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "%s{\"phrases\":[\"w%zu\"]}", i ? "," : "", i);
	snprintf(big + n, sizeof(big) - n, "]}");
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, big, &m, why, sizeof(why)),
	    ERR_TOO_LARGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "sttSpeechContexts"));
	/* the ignored ones are named for the log */
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start\",\"a\":1,"
	    "\"b\":[2]}", &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.nignored, 2);
	CU_ASSERT_STRING_EQUAL(m.ignored, "a, b");
	/* dialect 2's stop stays strict */
	CU_ASSERT_EQUAL(parse(WSPROTO_AUDIOCODES, "{\"type\":\"stop\","
	    "\"x\":1}", &m, why, sizeof(why)), ERR_FIELD);
}

/*
 * Dialect 1 ignores fields it does not know, as the Python bridge did
 * (its page sends some), in every message; the known ones keep their
 * types.
 */
static void
test_dialect_1_ignores_unknown_fields(void)
{
	struct wsproto_msg m;
	char why[256];

	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start_transcription\","
	    "\"someFutureField\":true,\"enable_partials\":true,\"client\":"
	    "{\"v\":2}}", &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.kind, WSPROTO_START);
	CU_ASSERT_EQUAL(m.nignored, 2);
	CU_ASSERT_STRING_EQUAL(m.ignored, "someFutureField, client");
	CU_ASSERT_EQUAL(parse(WSPROTO_BRIDGE, "{\"type\":\"stop_transcription\","
	    "\"reason\":\"user\"}", &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.kind, WSPROTO_STOP);
	CU_ASSERT_EQUAL(m.nignored, 1);
	CU_ASSERT_EQUAL(parse(WSPROTO_BRIDGE, "{\"type\":\"get_metrics\","
	    "\"x\":null}", &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(parse(WSPROTO_BRIDGE, "{\"type\":\"ping\",\"x\":1}",
	    &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.stamp.kind, WSPROTO_STAMP_NONE);
	/* wrong types of known fields are still errors */
	CU_ASSERT_EQUAL(parse(WSPROTO_BRIDGE, "{\"type\":\"start_transcription\","
	    "\"x\":1,\"sample_rate\":\"16000\"}", &m, why, sizeof(why)),
	    ERR_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "sample_rate"));
}

/* The original page's ping carries new Date().toISOString(); others send
 * Date.now().  Either is kept for the pong. */
static void
test_ping_timestamp_is_kept(void)
{
	struct wsproto_msg m;
	char why[256];

	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"ping\",\"timestamp\":"
	    "\"2026-12-04T11:00:00.123Z\"}", &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.stamp.kind, WSPROTO_STAMP_STRING);
	CU_ASSERT_STRING_EQUAL(m.stamp.s, "2026-12-04T11:00:00.123Z");
	CU_ASSERT_EQUAL(m.nignored, 0);
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"ping\",\"timestamp\":"
	    "1764846000123}", &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.stamp.kind, WSPROTO_STAMP_INT);
	CU_ASSERT_EQUAL(m.stamp.i, 1764846000123LL);
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"ping\",\"timestamp\":"
	    "12.5}", &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.stamp.kind, WSPROTO_STAMP_REAL);
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"ping\",\"timestamp\":"
	    "true}", &m, why, sizeof(why)), ERR_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "timestamp"));
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"ping\",\"timestamp\":"
	    "{}}", &m, why, sizeof(why)), ERR_FIELD);
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"ping\",\"timestamp\":"
	    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\"}", &m, why, sizeof(why)), ERR_TOO_LARGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "timestamp"));
}

/* "messages" in start_transcription, and the text form of ?messages= and
 * the config. */
static void
test_messages_option(void)
{
	struct wsproto_msg m;
	char why[256];
	unsigned bits;

	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start_transcription\","
	    "\"messages\":[\"display\"]}", &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.start.messages, WSPROTO_MSG_DISPLAY);
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start_transcription\","
	    "\"messages\":[\"partial\",\"transcription\",\"display\"]}", &m,
	    why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.start.messages, WSPROTO_MSG_ALL);
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start_transcription\"}",
	    &m, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(m.start.messages, 0);
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start_transcription\","
	    "\"messages\":[\"display\",\"subtitles\"]}", &m, why, sizeof(why)),
	    ERR_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "messages[1]"));
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start_transcription\","
	    "\"messages\":[]}", &m, why, sizeof(why)), ERR_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "messages"));
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, "{\"type\":\"start_transcription\","
	    "\"messages\":\"display\"}", &m, why, sizeof(why)), ERR_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "messages"));

	CU_ASSERT_EQUAL(wsproto_parse_messages("display", "messages", &bits,
	    why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(bits, WSPROTO_MSG_DISPLAY);
	CU_ASSERT_EQUAL(wsproto_parse_messages("partial, transcription",
	    "messages", &bits, why, sizeof(why)), ERR_OK);
	CU_ASSERT_EQUAL(bits, WSPROTO_MSG_PARTIAL | WSPROTO_MSG_TRANSCRIPTION);
	CU_ASSERT_EQUAL(wsproto_parse_messages("display,", "messages", &bits,
	    why, sizeof(why)), ERR_FIELD);
	CU_ASSERT_EQUAL(wsproto_parse_messages("", "messages", &bits, why,
	    sizeof(why)), ERR_FIELD);
	CU_ASSERT_EQUAL(wsproto_parse_messages("displays", "messages", &bits,
	    why, sizeof(why)), ERR_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "'messages'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "displays"));
}

static void
test_other_dialect_after_first_message_is_conflict(void)
{
	struct wsproto_msg m;
	char why[256];

	CU_ASSERT_EQUAL(parse(WSPROTO_BRIDGE, "{\"type\":\"start\"}", &m, why,
	    sizeof(why)), ERR_CONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "dialect"));
	CU_ASSERT_EQUAL(parse(WSPROTO_AUDIOCODES, "{\"type\":\"ping\"}", &m,
	    why, sizeof(why)), ERR_CONFLICT);
}

static void
test_bad_json_is_refused_with_reason(void)
{
	struct wsproto_msg m;
	char why[256];
	static const char *bad[] = {
		"", "{", "not json", "{\"type\":\"ping\"} x", "[1,2]", "\"ping\"",
		"{'type':'ping'}", "{\"type\":\"ping\",}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CU_ASSERT_EQUAL(parse(WSPROTO_NONE, bad[i], &m, why,
		    sizeof(why)), ERR_JSON);
		CU_ASSERT(why[0] != '\0');
	}
}

/* The same strict parser as the API's request bodies (lib/jsonv.c): json-c
 * alone keeps the last of two equal names, cuts a name at an escaped NUL
 * and takes NaN, so each of these would otherwise pass. */
static void
test_json_is_as_strict_as_the_api(void)
{
	struct wsproto_msg m;
	char why[256];
	static const struct {
		const char	*json;
		const char	*why;
	} bad[] = {
		{ "{\"type\":\"dance\",\"type\":\"ping\"}", "duplicate" },
		{ "{\"type\":\"ping\",\"type\":\"ping\"}", "duplicate" },
		{ "{\"type\":\"start_transcription\",\"sample_rate\":8000,"
		    "\"sample_rate\":16000}", "duplicate" },
		{ "{\"type\":\"ping\",\"ty\\u0000pe\":1}", "NUL" },
		{ "{\"type\":\"start_transcription\",\"sample_rate\":NaN}",
		    "" },
		{ "{\"type\":\"ping\",\"x\":\"\\ud800\"}", "" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CU_ASSERT_EQUAL(parse(WSPROTO_NONE, bad[i].json, &m, why,
		    sizeof(why)), ERR_JSON);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, "malformed JSON"));
		CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[i].why));
	}
}

static void
test_bad_fields_are_named(void)
{
	struct wsproto_msg m;
	char why[256];
	static const struct {
		const char	*json;
		enum err	 e;
		const char	*field;
	} bad[] = {
		{ "{}", ERR_FIELD, "type" },
		{ "{\"type\":7}", ERR_FIELD, "type" },
		{ "{\"type\":\"dance\"}", ERR_FIELD, "dance" },
		{ "{\"type\":\"ping\",\"timestamp\":[1]}", ERR_FIELD,
		    "timestamp" },
		{ "{\"type\":\"start_transcription\",\"enable_partials\":1}",
		    ERR_FIELD, "enable_partials" },
		{ "{\"type\":\"start_transcription\",\"sample_rate\":1000}",
		    ERR_FIELD, "sample_rate" },
		{ "{\"type\":\"start_transcription\",\"sample_rate\":16000.5}",
		    ERR_FIELD, "sample_rate" },
		{ "{\"type\":\"start_transcription\",\"language\":\"en US\"}",
		    ERR_FIELD, "language" },
		{ "{\"type\":\"start_transcription\",\"hotwords\":\"a\"}",
		    ERR_FIELD, "hotwords" },
		{ "{\"type\":\"start_transcription\",\"hotwords\":[\"a\",3]}",
		    ERR_FIELD, "hotwords[1]" },
		{ "{\"type\":\"start_transcription\",\"hotwords\":[\"\"]}",
		    ERR_FIELD, "hotwords[0]" },
		{ "{\"type\":\"start_transcription\",\"hotwords\":[\"a\\u0000b\"]}",
		    ERR_FIELD, "hotwords[0]" },
		{ "{\"type\":\"start_transcription\",\"language\":"
		    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
		    ERR_TOO_LARGE, "language" },
		{ "{\"type\":\"start\",\"sampleRateHz\":\"16000\"}", ERR_FIELD,
		    "sampleRateHz" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CU_ASSERT_EQUAL(parse(WSPROTO_NONE, bad[i].json, &m, why,
		    sizeof(why)), bad[i].e);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[i].field));
	}
}

static void
test_limits_on_frame_and_hotwords(void)
{
	struct wsproto_msg m;
	char why[256], big[LIMIT_WS_TEXT_BYTES + 2];
	char json[LIMIT_WS_TEXT_BYTES];
	size_t n;
	int i;

	memset(big, ' ', sizeof(big));
	CU_ASSERT_EQUAL(wsproto_parse(WSPROTO_NONE, big, sizeof(big), &m, why,
	    sizeof(why)), ERR_TOO_LARGE);
	n = (size_t)snprintf(json, sizeof(json),
	    "{\"type\":\"start_transcription\",\"hotwords\":[");
	for (i = 0; i <= LIMIT_WS_HOTWORDS; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n, "%s\"w%d\"",
		    i ? "," : "", i);
	snprintf(json + n, sizeof(json) - n, "]}");
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, json, &m, why, sizeof(why)),
	    ERR_TOO_LARGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "hotwords"));
	/* deeper than LIMIT_JSON_DEPTH */
	n = 0;
	for (i = 0; i < LIMIT_JSON_DEPTH + 2; i++)
		json[n++] = '[';
	json[n] = '\0';
	CU_ASSERT_EQUAL(parse(WSPROTO_NONE, json, &m, why, sizeof(why)),
	    ERR_JSON);
}

/* Parse rendered output and return the object (caller puts it). */
static json_object *
reparse(const char *buf, size_t len)
{
	CU_ASSERT_EQUAL(strlen(buf), len);
	return json_tokener_parse(buf);
}

static const char *
sfield(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return "(missing)";
	return json_object_get_string(v);
}

static double
dfield(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return -1;
	return json_object_get_double(v);
}

static void
test_render_connection_and_session(void)
{
	struct wsproto_server_info si = { 16000, 1, 100, "127.0.0.1:50051" };
	char buf[1024];
	size_t len;
	json_object *o, *sc;

	CU_ASSERT_EQUAL(wsproto_render_connection(buf, sizeof(buf), &len,
	    1764093001123LL, "c-1", &si), ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(sfield(o, "type"), "connection");
	CU_ASSERT_STRING_EQUAL(sfield(o, "connection_id"), "c-1");
	CU_ASSERT_STRING_EQUAL(sfield(o, "timestamp"),
	    "2025-11-25T17:50:01.123Z");
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "server_config", &sc));
	CU_ASSERT_STRING_EQUAL(sfield(sc, "sample_rate"), "16000");
	CU_ASSERT_STRING_EQUAL(sfield(sc, "riva_target"), "127.0.0.1:50051");
	json_object_put(o);

	CU_ASSERT_EQUAL(wsproto_render_started(buf, sizeof(buf), &len,
	    WSPROTO_BRIDGE, 0, "c-1", 1), ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_STRING_EQUAL(sfield(o, "type"), "session_started");
	CU_ASSERT_STRING_EQUAL(sfield(o, "enable_partials"), "true");
	CU_ASSERT_STRING_EQUAL(sfield(o, "timestamp"),
	    "1970-01-01T00:00:00.000Z");
	json_object_put(o);
	CU_ASSERT_EQUAL(wsproto_render_started(buf, sizeof(buf), &len,
	    WSPROTO_AUDIOCODES, 0, "c-1", 1), ERR_OK);
	CU_ASSERT_STRING_EQUAL(buf, "{\"type\":\"started\"}");
}

static void
test_render_results_both_dialects(void)
{
	struct wsproto_word w[2] = {
		{ "hello", 0, 480, 0.9f }, { "world", 480, 1040, 0.8f } };
	struct wsproto_result r = { 1, 3, "hello \"world\"\n", 0.875f, 0,
	    w, 2, 12.5 };
	char buf[1024];
	size_t len;
	json_object *o, *a, *x;

	CU_ASSERT_EQUAL(wsproto_render_result(buf, sizeof(buf), &len,
	    WSPROTO_BRIDGE, 0, &r), ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(sfield(o, "type"), "transcription");
	CU_ASSERT_STRING_EQUAL(sfield(o, "text"), "hello \"world\"\n");
	CU_ASSERT_STRING_EQUAL(sfield(o, "is_final"), "true");
	CU_ASSERT_STRING_EQUAL(sfield(o, "segment_id"), "3");
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "words", &a));
	CU_ASSERT_EQUAL(json_object_array_length(a), 2);
	x = json_object_array_get_idx(a, 1);
	CU_ASSERT_STRING_EQUAL(sfield(x, "word"), "world");
	CU_ASSERT_STRING_EQUAL(sfield(x, "end"), "1040");
	json_object_put(o);

	r.is_final = 0;
	r.stability = 0.5f;
	CU_ASSERT_EQUAL(wsproto_render_result(buf, sizeof(buf), &len,
	    WSPROTO_BRIDGE, 0, &r), ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_STRING_EQUAL(sfield(o, "type"), "partial");
	CU_ASSERT_STRING_EQUAL(sfield(o, "is_final"), "false");
	CU_ASSERT_STRING_EQUAL(sfield(o, "words"), "(missing)");
	json_object_put(o);

	CU_ASSERT_EQUAL(wsproto_render_result(buf, sizeof(buf), &len,
	    WSPROTO_AUDIOCODES, 0, &r), ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_STRING_EQUAL(sfield(o, "type"), "hypothesis");
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "alternatives", &a));
	CU_ASSERT_STRING_EQUAL(sfield(json_object_array_get_idx(a, 0),
	    "text"), "hello \"world\"\n");
	json_object_put(o);
	r.is_final = 1;
	CU_ASSERT_EQUAL(wsproto_render_result(buf, sizeof(buf), &len,
	    WSPROTO_AUDIOCODES, 0, &r), ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_STRING_EQUAL(sfield(o, "type"), "recognition");
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "alternatives", &a));
	CU_ASSERT_DOUBLE_EQUAL(dfield(json_object_array_get_idx(a, 0),
	    "confidence"), 0.875, 1e-6);
	json_object_put(o);
}

static void
test_render_refuses_small_buffer_and_bad_utf8(void)
{
	struct wsproto_result r = { 0, 1, "caf\xc3\xa9 \xff\xfe ok", 0, 0, NULL,
	    0, 0 };
	char buf[256];
	size_t len;
	json_object *o;

	CU_ASSERT_EQUAL(wsproto_render_result(buf, 20, &len, WSPROTO_BRIDGE,
	    0, &r), ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(wsproto_render_result(buf, sizeof(buf), &len,
	    WSPROTO_BRIDGE, 0, &r), ERR_OK);
	/* each bad byte is the escape \ufffd (lib/buf.h) */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"caf\xc3\xa9 \\ufffd\\ufffd ok\""));
	o = reparse(buf, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(sfield(o, "text"),
	    "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd ok");
	json_object_put(o);
}

static void
test_render_error_stopped_pong_metrics(void)
{
	struct wsproto_metrics mt;
	struct wsproto_stamp st;
	char buf[2048];
	size_t len;
	json_object *o, *x;

	memset(&mt, 0, sizeof(mt));
	mt.connections_active = 2;
	mt.connections_total = 5;
	mt.sessions_active = 1;
	mt.sessions_total = 4;
	mt.audio_seconds = 12.5;
	mt.audio_frames = 125;
	mt.partials = 7;
	mt.finals = 3;
	mt.displays = 10;
	mt.riva_target = "riva:50051";
	mt.riva_health = "no_health_service";
	mt.riva_reachable = 1;
	mt.connection_id = "c9-0000abcd";
	mt.connected_at_ms = 1764093001123LL;
	mt.session_active = 1;
	mt.conn_audio_frames = 20;
	mt.conn_results = 6;

	CU_ASSERT_EQUAL(wsproto_render_error(buf, sizeof(buf), &len,
	    WSPROTO_BRIDGE, 0, ERR_FIELD, "field 'x' is bad"), ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_STRING_EQUAL(sfield(o, "error"), "field 'x' is bad");
	CU_ASSERT_STRING_EQUAL(sfield(o, "code"), "invalid_field");
	json_object_put(o);
	CU_ASSERT_EQUAL(wsproto_render_error(buf, sizeof(buf), &len,
	    WSPROTO_AUDIOCODES, 0, ERR_UNAVAILABLE, NULL), ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_STRING_EQUAL(sfield(o, "reason"), "service unavailable");
	CU_ASSERT_STRING_EQUAL(sfield(o, "code"), "unavailable");
	json_object_put(o);
	CU_ASSERT_EQUAL(wsproto_render_stopped(buf, sizeof(buf), &len,
	    WSPROTO_AUDIOCODES, 0, "stopped by client", "c1"), ERR_OK);
	CU_ASSERT_STRING_EQUAL(buf,
	    "{\"type\":\"end\",\"reason\":\"stopped by client\"}");
	CU_ASSERT_EQUAL(wsproto_render_stopped(buf, sizeof(buf), &len,
	    WSPROTO_BRIDGE, 0, "stopped by client", "c1-00ff"), ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_STRING_EQUAL(sfield(o, "type"), "session_stopped");
	CU_ASSERT_STRING_EQUAL(sfield(o, "connection_id"), "c1-00ff");
	CU_ASSERT_STRING_EQUAL(sfield(o, "reason"), "stopped by client");
	json_object_put(o);
	CU_ASSERT_EQUAL(wsproto_render_pong(buf, sizeof(buf), &len,
	    WSPROTO_BRIDGE, 0, NULL), ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_STRING_EQUAL(sfield(o, "type"), "pong");
	CU_ASSERT_STRING_EQUAL(sfield(o, "timestamp"),
	    "1970-01-01T00:00:00.000Z");
	json_object_put(o);
	/* the ping's stamp comes back as it was sent, ours next to it */
	memset(&st, 0, sizeof(st));
	st.kind = WSPROTO_STAMP_STRING;
	snprintf(st.s, sizeof(st.s), "%s", "2026-12-04T11:00:00.123Z\"");
	CU_ASSERT_EQUAL(wsproto_render_pong(buf, sizeof(buf), &len,
	    WSPROTO_BRIDGE, 1000, &st), ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_STRING_EQUAL(sfield(o, "timestamp"),
	    "2026-12-04T11:00:00.123Z\"");
	CU_ASSERT_STRING_EQUAL(sfield(o, "server_timestamp"),
	    "1970-01-01T00:00:01.000Z");
	json_object_put(o);
	st.kind = WSPROTO_STAMP_INT;
	st.i = 1764846000123LL;
	CU_ASSERT_EQUAL(wsproto_render_pong(buf, sizeof(buf), &len,
	    WSPROTO_BRIDGE, 1000, &st), ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "timestamp", &x));
	CU_ASSERT(json_object_is_type(x, json_type_int));
	CU_ASSERT_EQUAL(json_object_get_int64(x), 1764846000123LL);
	json_object_put(o);
	CU_ASSERT_EQUAL(wsproto_render_metrics(buf, sizeof(buf), &len, 0, &mt),
	    ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "metrics", &x));
	CU_ASSERT_STRING_EQUAL(sfield(x, "sessions_total"), "4");
	CU_ASSERT_DOUBLE_EQUAL(dfield(x, "audio_seconds"), 12.5, 1e-6);
	/* the Python bridge's sections, under its names */
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "bridge", &x));
	CU_ASSERT_STRING_EQUAL(sfield(x, "total_connections"), "5");
	CU_ASSERT_STRING_EQUAL(sfield(x, "active_connections"), "2");
	CU_ASSERT_STRING_EQUAL(sfield(x, "active_transcription_sessions"), "1");
	CU_ASSERT_STRING_EQUAL(sfield(x, "total_audio_chunks_processed"),
	    "125");
	CU_ASSERT_STRING_EQUAL(sfield(x, "total_transcriptions"), "20");
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "riva", &x));
	CU_ASSERT_STRING_EQUAL(sfield(x, "target"), "riva:50051");
	CU_ASSERT_STRING_EQUAL(sfield(x, "health"), "no_health_service");
	CU_ASSERT_STRING_EQUAL(sfield(x, "connected"), "true");
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "connection", &x));
	CU_ASSERT_STRING_EQUAL(sfield(x, "id"), "c9-0000abcd");
	CU_ASSERT_STRING_EQUAL(sfield(x, "created_at"),
	    "2025-11-25T17:50:01.123Z");
	CU_ASSERT_STRING_EQUAL(sfield(x, "session_active"), "true");
	CU_ASSERT_STRING_EQUAL(sfield(x, "total_audio_chunks"), "20");
	CU_ASSERT_STRING_EQUAL(sfield(x, "total_transcriptions"), "6");
	json_object_put(o);
}

static void
test_render_display(void)
{
	struct wsproto_display d;
	char buf[1024];
	size_t len;
	json_object *o, *x;

	memset(&d, 0, sizeof(d));
	d.stable_text = "the quick brown fox and more";
	d.stable_len = 19;			/* only the first 19 bytes */
	d.partial_suffix = "jumps \"over\"";
	d.suffix_len = strlen(d.partial_suffix);
	d.segment_id = 3;
	d.pending_tokens = 2;
	d.dropped_bytes = 42;
	d.reason = "partial";
	CU_ASSERT_EQUAL(wsproto_render_display(buf, sizeof(buf), &len, 0, &d),
	    ERR_OK);
	o = reparse(buf, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(sfield(o, "type"), "display");
	CU_ASSERT_STRING_EQUAL(sfield(o, "stable_text"), "the quick brown fox");
	CU_ASSERT_STRING_EQUAL(sfield(o, "partial_suffix"), "jumps \"over\"");
	CU_ASSERT_STRING_EQUAL(sfield(o, "is_final"), "false");
	CU_ASSERT_STRING_EQUAL(sfield(o, "segment_id"), "3");
	CU_ASSERT_STRING_EQUAL(sfield(o, "timestamp"),
	    "1970-01-01T00:00:00.000Z");
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "metadata", &x));
	CU_ASSERT_STRING_EQUAL(sfield(x, "pending_tokens"), "2");
	CU_ASSERT_STRING_EQUAL(sfield(x, "dropped_bytes"), "42");
	CU_ASSERT_STRING_EQUAL(sfield(x, "reason"), "partial");
	json_object_put(o);
	CU_ASSERT_EQUAL(wsproto_render_display(buf, 40, &len, 0, &d),
	    ERR_TOO_LARGE);
}

int
test_wsproto_suite(void)
{
	CU_pSuite s = CU_add_suite("wsproto", NULL, NULL);

	if (s == NULL ||
	    !CU_add_test(s, "start_transcription with all fields picks dialect 1",
	    test_start_transcription_with_all_fields_picks_dialect_1) ||
	    !CU_add_test(s, "start_transcription defaults",
	    test_start_transcription_defaults) ||
	    !CU_add_test(s, "simple messages of dialect 1",
	    test_simple_messages_of_dialect_1) ||
	    !CU_add_test(s, "AudioCodes: VoiceAI Connect's start fields",
	    test_audiocodes_voiceai_connect_fields) ||
	    !CU_add_test(s, "AudioCodes start picks dialect 2",
	    test_audiocodes_start_picks_dialect_2) ||
	    !CU_add_test(s, "AudioCodes refuses other encodings",
	    test_audiocodes_refuses_other_encodings) ||
	    !CU_add_test(s, "other dialect after first message is a conflict",
	    test_other_dialect_after_first_message_is_conflict) ||
	    !CU_add_test(s, "bad JSON is refused with a reason",
	    test_bad_json_is_refused_with_reason) ||
	    !CU_add_test(s, "bad fields are named", test_bad_fields_are_named) ||
	    !CU_add_test(s, "JSON as strict as the API's (duplicates, NUL)",
	    test_json_is_as_strict_as_the_api) ||
	    !CU_add_test(s, "limits on frame, hotwords and depth",
	    test_limits_on_frame_and_hotwords) ||
	    !CU_add_test(s, "render connection and session_started",
	    test_render_connection_and_session) ||
	    !CU_add_test(s, "render results in both dialects",
	    test_render_results_both_dialects) ||
	    !CU_add_test(s, "render refuses small buffer, repairs bad UTF-8",
	    test_render_refuses_small_buffer_and_bad_utf8) ||
	    !CU_add_test(s, "render error, stopped, pong, metrics",
	    test_render_error_stopped_pong_metrics) ||
	    !CU_add_test(s, "render display", test_render_display) ||
	    !CU_add_test(s, "dialect 1 ignores unknown fields",
	    test_dialect_1_ignores_unknown_fields) ||
	    !CU_add_test(s, "ping timestamp is kept",
	    test_ping_timestamp_is_kept) ||
	    !CU_add_test(s, "messages option", test_messages_option))
		return -1;
	return 0;
}
