/*
 * test_rivamsg.c: Riva messages map to and from plain structs without
 * losing anything (every result of a response, alternatives, confidence,
 * word timings), requests follow the config-then-audio protocol, and
 * hostile responses are refused with a clear error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rivamsg.h"
#include "rivasrv.h"
#include "unit.h"

static struct rivamsg_config
base_config(void)
{
	struct rivamsg_config c;

	memset(&c, 0, sizeof(c));
	c.sample_rate_hz = 16000;
	return c;
}

static void
config_round_trips_every_field(void)
{
	static const char *hot[] = { "riva", "nvidia", "Zoë" };
	struct rivamsg_endpointing ep;
	struct rivamsg_config c = base_config();
	struct rivasrv_request req;
	uint8_t *buf = NULL;
	size_t len;

	memset(&ep, 0, sizeof(ep));
	ep.has_start_history = 1;
	ep.start_history = 300;
	ep.has_stop_threshold = 1;
	ep.stop_threshold = 0.75f;
	ep.has_stop_history_eou = 1;
	ep.stop_history_eou = 240;
	c.sample_rate_hz = 44100;
	c.language = "de-DE";
	c.max_alternatives = 3;
	c.punctuation = 1;
	c.interim_results = 1;
	c.word_time_offsets = 1;
	c.profanity_filter = 1;
	c.verbatim_transcripts = 1;
	c.model = "conformer-de";
	c.boost_words = hot;
	c.nboost_words = 3;
	c.boost_score = 12.5f;
	c.endpointing = &ep;
	CU_ASSERT_EQUAL_FATAL(rivamsg_encode_config(&c, &buf, &len), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(rivasrv_decode_request(buf, len, &req), ERR_OK);
	CU_ASSERT_EQUAL(req.kind, RIVASRV_REQ_CONFIG);
	CU_ASSERT_EQUAL(req.encoding, 1);	/* LINEAR_PCM */
	CU_ASSERT_EQUAL(req.sample_rate_hz, 44100);
	CU_ASSERT_EQUAL(req.audio_channel_count, 1);
	CU_ASSERT_STRING_EQUAL(req.language, "de-DE");
	CU_ASSERT_STRING_EQUAL(req.model, "conformer-de");
	CU_ASSERT_EQUAL(req.max_alternatives, 3);
	CU_ASSERT_TRUE(req.punctuation);
	CU_ASSERT_TRUE(req.interim_results);
	CU_ASSERT_TRUE(req.word_time_offsets);
	CU_ASSERT_TRUE(req.profanity_filter);
	CU_ASSERT_TRUE(req.verbatim_transcripts);
	CU_ASSERT_EQUAL_FATAL(req.nboost_words, 3);
	CU_ASSERT_STRING_EQUAL(req.boost_words[0], "riva");
	CU_ASSERT_STRING_EQUAL(req.boost_words[2], "Zoë");
	CU_ASSERT_DOUBLE_EQUAL(req.boost_score, 12.5, 1e-6);
	CU_ASSERT_TRUE(req.has_endpointing);
	CU_ASSERT_EQUAL(req.endpointing.start_history, 300);
	CU_ASSERT_DOUBLE_EQUAL(req.endpointing.stop_threshold, 0.75, 1e-6);
	CU_ASSERT_EQUAL(req.endpointing.stop_history_eou, 240);
	CU_ASSERT_FALSE(req.endpointing.has_stop_history);
	CU_ASSERT_PTR_NULL(req.audio);
	rivasrv_request_clear(&req);
	free(buf);
}

static void
config_defaults_language_and_omits_unset_parts(void)
{
	struct rivamsg_config c = base_config();
	struct rivasrv_request req;
	uint8_t *buf = NULL;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(rivamsg_encode_config(&c, &buf, &len), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(rivasrv_decode_request(buf, len, &req), ERR_OK);
	CU_ASSERT_EQUAL(req.kind, RIVASRV_REQ_CONFIG);
	CU_ASSERT_STRING_EQUAL(req.language, "en-US");
	CU_ASSERT_STRING_EQUAL(req.model, "");
	CU_ASSERT_EQUAL(req.nboost_words, 0);
	CU_ASSERT_FALSE(req.has_endpointing);
	CU_ASSERT_FALSE(req.interim_results);
	rivasrv_request_clear(&req);
	free(buf);
}

static void
bad_configs_are_refused_naming_the_field(void)
{
	static const char *hot_empty[] = { "" };
	static const char *hot_badutf[] = { "a\xc3" };
	static const char *many[RIVAMSG_MAX_BOOST_WORDS + 1];
	struct rivamsg_endpointing ep;
	struct rivamsg_config c;
	char longword[RIVAMSG_MAX_BOOST_WORD_LEN + 2];
	const char *lw[1] = { longword };
	const char *field;
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 1, i;

	for (i = 0; i < RIVAMSG_MAX_BOOST_WORDS + 1; i++)
		many[i] = "w";
	memset(longword, 'a', sizeof(longword) - 1);
	longword[sizeof(longword) - 1] = '\0';

	c = base_config();
	c.sample_rate_hz = 7999;
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, &field), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(field, "sample_rate");
	c.sample_rate_hz = 48001;
	CU_ASSERT_EQUAL(rivamsg_encode_config(&c, &buf, &len), ERR_FIELD);
	CU_ASSERT_PTR_NULL(buf);
	CU_ASSERT_EQUAL(len, 0);

	c = base_config();
	c.language = "en-US-x-a-very-long-private-use-tag-beyond-35";
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, &field), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(field, "language");

	c = base_config();
	c.model = "m\xff";
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, &field), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(field, "model");

	c = base_config();
	c.max_alternatives = RIVAMSG_MAX_ALTERNATIVES + 1;
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, &field), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(field, "max_alternatives");

	c = base_config();
	c.boost_words = many;
	c.nboost_words = RIVAMSG_MAX_BOOST_WORDS + 1;
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, &field), ERR_TOO_LARGE);
	CU_ASSERT_STRING_EQUAL(field, "hotwords");
	c.nboost_words = RIVAMSG_MAX_BOOST_WORDS;
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, NULL), ERR_OK);

	c = base_config();
	c.boost_words = lw;
	c.nboost_words = 1;
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, &field), ERR_TOO_LARGE);
	c.boost_words = hot_empty;
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, &field), ERR_FIELD);
	c.boost_words = hot_badutf;
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, &field), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(field, "hotwords");
	c.boost_words = NULL;
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, &field), ERR_FIELD);

	c = base_config();
	c.boost_score = NAN;
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, &field), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(field, "boost");

	c = base_config();
	memset(&ep, 0, sizeof(ep));
	ep.has_stop_threshold = 1;
	ep.stop_threshold = 1.5f;
	c.endpointing = &ep;
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, &field), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(field, "endpointing");
	ep.stop_threshold = 0.5f;
	ep.has_start_history = 1;
	ep.start_history = -1;
	CU_ASSERT_EQUAL(rivamsg_config_check(&c, &field), ERR_FIELD);
}

static void
audio_request_carries_only_the_bytes(void)
{
	static const size_t sizes[] = { 1, 127, 128, 3200, 16383, 16384,
	    65536 };
	struct rivasrv_request req;
	uint8_t *pcm, *buf;
	size_t i, j, n, len;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = sizes[i];
		pcm = malloc(n);
		buf = malloc(rivamsg_audio_size(n));
		CU_ASSERT_PTR_NOT_NULL_FATAL(pcm);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		for (j = 0; j < n; j++)
			pcm[j] = (uint8_t)(j * 7 + i);
		len = rivamsg_encode_audio(pcm, n, buf);
		CU_ASSERT_EQUAL(len, rivamsg_audio_size(n));
		CU_ASSERT_EQUAL_FATAL(rivasrv_decode_request(buf, len, &req),
		    ERR_OK);
		CU_ASSERT_EQUAL(req.kind, RIVASRV_REQ_AUDIO);
		CU_ASSERT_EQUAL_FATAL(req.audio_len, n);
		CU_ASSERT_EQUAL(memcmp(req.audio, pcm, n), 0);
		rivasrv_request_clear(&req);
		free(pcm);
		free(buf);
	}
}

static void
request_with_both_or_neither_member_is_flagged(void)
{
	struct rivamsg_config c = base_config();
	struct rivasrv_request req;
	uint8_t *cfg = NULL, both[256], audio[16];
	static const uint8_t pcm[4] = { 1, 2, 3, 4 };
	static const uint8_t garbage[] = { 0x12, 0x05, 0x01 };	/* short */
	static const uint8_t badwire[] = { 0x0f };		/* type 7 */
	size_t clen, alen;

	CU_ASSERT_EQUAL_FATAL(rivamsg_encode_config(&c, &cfg, &clen), ERR_OK);
	alen = rivamsg_encode_audio(pcm, sizeof(pcm), audio);
	CU_ASSERT_FATAL(clen + alen <= sizeof(both));
	memcpy(both, audio, alen);
	memcpy(both + alen, cfg, clen);
	CU_ASSERT_EQUAL(rivasrv_decode_request(both, alen + clen, &req),
	    ERR_OK);
	CU_ASSERT_EQUAL(req.kind, RIVASRV_REQ_BOTH);
	rivasrv_request_clear(&req);
	CU_ASSERT_EQUAL(rivasrv_decode_request(both, 0, &req), ERR_OK);
	CU_ASSERT_EQUAL(req.kind, RIVASRV_REQ_EMPTY);
	rivasrv_request_clear(&req);
	CU_ASSERT_EQUAL(rivasrv_decode_request(garbage, sizeof(garbage),
	    &req), ERR_INVAL);
	CU_ASSERT_EQUAL(rivasrv_decode_request(badwire, sizeof(badwire),
	    &req), ERR_INVAL);
	free(cfg);
}

/* A response like Riva sends when it catches up: two interim pieces and a
 * final with word timings, in one message. */
static void
make_response(struct rivamsg_response *r)
{
	struct rivamsg_result *res;
	struct rivamsg_alternative *a;

	memset(r, 0, sizeof(*r));
	res = calloc(3, sizeof(*res));
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	r->results = res;
	r->nresults = 3;
	r->request_id = strdup("req-1");

	res[0].is_final = 1;
	res[0].audio_processed = 1.5f;
	res[0].nalts = 2;
	a = res[0].alts = calloc(2, sizeof(*a));
	a[0].transcript = strdup("to be or not to be");
	a[0].confidence = 0.92f;
	a[0].nwords = 2;
	a[0].words = calloc(2, sizeof(*a[0].words));
	a[0].words[0].word = strdup("to");
	a[0].words[0].start_ms = 0;
	a[0].words[0].end_ms = 120;
	a[0].words[0].confidence = 0.9f;
	a[0].words[1].word = strdup("be");
	a[0].words[1].start_ms = 130;
	a[0].words[1].end_ms = 400;
	a[0].words[1].speaker_tag = 2;
	a[1].transcript = strdup("to bee or not to bee");

	res[1].stability = 0.9f;
	res[1].nalts = 1;
	res[1].alts = calloc(1, sizeof(*a));
	res[1].alts[0].transcript = strdup("that is");

	res[2].stability = 0.1f;
	res[2].channel_tag = 1;
	res[2].nalts = 1;
	res[2].alts = calloc(1, sizeof(*a));
	res[2].alts[0].transcript = strdup(" the question");
}

static void
response_keeps_every_result_alternative_and_word(void)
{
	struct rivamsg_response in, out;
	uint8_t *buf = NULL;
	size_t len;
	char *partial;

	make_response(&in);
	CU_ASSERT_EQUAL_FATAL(rivasrv_encode_response(&in, &buf, &len),
	    ERR_OK);
	CU_ASSERT_EQUAL_FATAL(rivamsg_decode_response(buf, len, &out), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(out.nresults, 3);
	CU_ASSERT_STRING_EQUAL(out.request_id, "req-1");
	CU_ASSERT_TRUE(out.results[0].is_final);
	CU_ASSERT_DOUBLE_EQUAL(out.results[0].audio_processed, 1.5, 1e-6);
	CU_ASSERT_EQUAL_FATAL(out.results[0].nalts, 2);
	CU_ASSERT_STRING_EQUAL(out.results[0].alts[0].transcript,
	    "to be or not to be");
	CU_ASSERT_DOUBLE_EQUAL(out.results[0].alts[0].confidence, 0.92, 1e-6);
	CU_ASSERT_STRING_EQUAL(out.results[0].alts[1].transcript,
	    "to bee or not to bee");
	CU_ASSERT_EQUAL_FATAL(out.results[0].alts[0].nwords, 2);
	CU_ASSERT_STRING_EQUAL(out.results[0].alts[0].words[1].word, "be");
	CU_ASSERT_EQUAL(out.results[0].alts[0].words[1].start_ms, 130);
	CU_ASSERT_EQUAL(out.results[0].alts[0].words[1].end_ms, 400);
	CU_ASSERT_EQUAL(out.results[0].alts[0].words[1].speaker_tag, 2);
	CU_ASSERT_DOUBLE_EQUAL(out.results[0].alts[0].words[0].confidence,
	    0.9, 1e-6);
	CU_ASSERT_FALSE(out.results[1].is_final);
	CU_ASSERT_DOUBLE_EQUAL(out.results[1].stability, 0.9, 1e-6);
	CU_ASSERT_EQUAL(out.results[2].channel_tag, 1);
	CU_ASSERT_STRING_EQUAL(out.results[2].alts[0].transcript,
	    " the question");

	/* The partial is all non-final results joined; the final is not in
	 * it. */
	partial = rivamsg_partial_text(&out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(partial);
	CU_ASSERT_STRING_EQUAL(partial, "that is the question");
	free(partial);

	rivamsg_response_clear(&out);
	CU_ASSERT_EQUAL(out.nresults, 0);
	CU_ASSERT_PTR_NULL(out.results);
	rivamsg_response_clear(&out);	/* twice is fine */
	rivamsg_response_clear(&in);
	free(buf);
}

static void
partial_text_joins_with_one_space(void)
{
	struct rivamsg_alternative alts[5];
	struct rivamsg_result res[5];
	struct rivamsg_response r;
	char *s;
	int i;
	static const char *t[] = { "hello ", " world", "", "again", "x" };

	memset(res, 0, sizeof(res));
	memset(alts, 0, sizeof(alts));
	for (i = 0; i < 5; i++) {
		alts[i].transcript = (char *)t[i];
		res[i].alts = &alts[i];
		res[i].nalts = 1;
	}
	res[4].is_final = 1;
	r.results = res;
	r.nresults = 5;
	r.request_id = NULL;
	s = rivamsg_partial_text(&r);
	CU_ASSERT_STRING_EQUAL(s, "hello world again");
	free(s);
	r.nresults = 0;
	s = rivamsg_partial_text(&r);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
}

static void
empty_response_has_no_results(void)
{
	struct rivamsg_response out;

	CU_ASSERT_EQUAL(rivamsg_decode_response((const uint8_t *)"", 0, &out),
	    ERR_OK);
	CU_ASSERT_EQUAL(out.nresults, 0);
	CU_ASSERT_PTR_NULL(out.request_id);
	rivamsg_response_clear(&out);
}

static void
malformed_response_is_upstream_error(void)
{
	static const uint8_t truncated[] = { 0x0a, 0x10, 0x0a, 0x02 };
	static const uint8_t badutf[] = { 0x0a, 0x05, 0x0a, 0x03, 0x0a, 0x01,
	    0xff };
	static const uint8_t wrongtype[] = { 0x08, 0x01 };	/* varint 1 */
	struct rivamsg_response out;

	CU_ASSERT_EQUAL(rivamsg_decode_response(truncated, sizeof(truncated),
	    &out), ERR_UPSTREAM);
	CU_ASSERT_EQUAL(out.nresults, 0);
	CU_ASSERT_EQUAL(rivamsg_decode_response(badutf, sizeof(badutf), &out),
	    ERR_UPSTREAM);
	CU_ASSERT_PTR_NULL(out.results);
	CU_ASSERT_EQUAL(rivamsg_decode_response(wrongtype, sizeof(wrongtype),
	    &out), ERR_UPSTREAM);
}

static void
response_over_the_bounds_is_too_large(void)
{
	struct rivamsg_response out;
	uint8_t *buf;
	size_t i, n, off = 0;

	/* RIVAMSG_MAX_RESULTS + 1 empty results. */
	n = 2 * (RIVAMSG_MAX_RESULTS + 1);
	buf = malloc(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (i = 0; i <= RIVAMSG_MAX_RESULTS; i++) {
		buf[off++] = 0x0a;
		buf[off++] = 0x00;
	}
	CU_ASSERT_EQUAL(rivamsg_decode_response(buf, off, &out), ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(rivamsg_decode_response(buf, off - 2, &out), ERR_OK);
	CU_ASSERT_EQUAL(out.nresults, RIVAMSG_MAX_RESULTS);
	rivamsg_response_clear(&out);
	free(buf);

	/* One result, one alternative, RIVAMSG_MAX_WORDS + 1 empty words:
	 * result { alt { words {} x N } } */
	n = RIVAMSG_MAX_WORDS + 1;
	buf = malloc(2 * n + 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	off = 0;
	buf[off++] = 0x0a;			/* results */
	buf[off++] = (uint8_t)(0x80 | ((2 * n + 3) & 0x7f));
	buf[off++] = (uint8_t)((2 * n + 3) >> 7);
	buf[off++] = 0x0a;			/* alternatives */
	buf[off++] = (uint8_t)(0x80 | ((2 * n) & 0x7f));
	buf[off++] = (uint8_t)((2 * n) >> 7);
	for (i = 0; i < n; i++) {
		buf[off++] = 0x1a;		/* words */
		buf[off++] = 0x00;
	}
	CU_ASSERT_EQUAL(rivamsg_decode_response(buf, off, &out), ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(out.nresults, 0);
	free(buf);
}

static void
health_messages_round_trip(void)
{
	enum rivamsg_health h;
	uint8_t *buf = NULL;
	size_t len;
	char *svc = NULL, longsvc[300];
	static const uint8_t future[] = { 0x08, 0x07 };

	CU_ASSERT_EQUAL_FATAL(rivamsg_encode_health_request(
	    "nvidia.riva.asr.RivaSpeechRecognition", &buf, &len), ERR_OK);
	CU_ASSERT_EQUAL(rivasrv_decode_health_request(buf, len, &svc), ERR_OK);
	CU_ASSERT_STRING_EQUAL(svc, "nvidia.riva.asr.RivaSpeechRecognition");
	free(svc);
	free(buf);
	CU_ASSERT_EQUAL_FATAL(rivamsg_encode_health_request(NULL, &buf, &len),
	    ERR_OK);
	CU_ASSERT_EQUAL(rivasrv_decode_health_request(buf, len, &svc), ERR_OK);
	CU_ASSERT_STRING_EQUAL(svc, "");
	free(svc);
	free(buf);
	memset(longsvc, 's', sizeof(longsvc) - 1);
	longsvc[sizeof(longsvc) - 1] = '\0';
	CU_ASSERT_EQUAL(rivamsg_encode_health_request(longsvc, &buf, &len),
	    ERR_FIELD);

	CU_ASSERT_EQUAL_FATAL(rivasrv_encode_health_response(
	    RIVAMSG_HEALTH_NOT_SERVING, &buf, &len), ERR_OK);
	CU_ASSERT_EQUAL(rivamsg_decode_health_response(buf, len, &h), ERR_OK);
	CU_ASSERT_EQUAL(h, RIVAMSG_HEALTH_NOT_SERVING);
	free(buf);
	CU_ASSERT_EQUAL_FATAL(rivasrv_encode_health_response(
	    RIVAMSG_HEALTH_SERVING, &buf, &len), ERR_OK);
	CU_ASSERT_EQUAL(rivamsg_decode_health_response(buf, len, &h), ERR_OK);
	CU_ASSERT_EQUAL(h, RIVAMSG_HEALTH_SERVING);
	free(buf);
	/* A status we do not know is UNKNOWN, not a crash or a lie. */
	CU_ASSERT_EQUAL(rivamsg_decode_health_response(future, sizeof(future),
	    &h), ERR_OK);
	CU_ASSERT_EQUAL(h, RIVAMSG_HEALTH_UNKNOWN);
	CU_ASSERT_EQUAL(rivamsg_decode_health_response((const uint8_t *)"\xff",
	    1, &h), ERR_UPSTREAM);
	CU_ASSERT_STRING_EQUAL(rivamsg_health_name(RIVAMSG_HEALTH_SERVING),
	    "SERVING");
	CU_ASSERT_STRING_EQUAL(rivamsg_health_name((enum rivamsg_health)42),
	    "UNKNOWN");
}

static void
model_list_round_trips_and_bad_names_are_refused(void)
{
	struct rivamsg_model v[3] = {
		{ "conformer-en-US-asr-streaming", "en-US" },
		{ "parakeet-1.1b-multi", NULL },
		{ "x", "" },
	};
	struct rivamsg_models in = { v, 3 }, out, many;
	uint8_t *buf = NULL;
	size_t len, i;
	char name[2];

	CU_ASSERT_EQUAL_FATAL(rivamsg_encode_models_request(&buf, &len),
	    ERR_OK);
	free(buf);
	CU_ASSERT_EQUAL_FATAL(rivasrv_encode_models_response(&in, &buf, &len),
	    ERR_OK);
	CU_ASSERT_EQUAL_FATAL(rivamsg_decode_models_response(buf, len, &out),
	    ERR_OK);
	free(buf);
	CU_ASSERT_EQUAL_FATAL(out.n, 3);
	CU_ASSERT_STRING_EQUAL(out.v[0].name, "conformer-en-US-asr-streaming");
	CU_ASSERT_STRING_EQUAL(out.v[0].language, "en-US");
	CU_ASSERT_STRING_EQUAL(out.v[1].name, "parakeet-1.1b-multi");
	CU_ASSERT_PTR_NULL(out.v[1].language);
	CU_ASSERT_PTR_NULL(out.v[2].language);	/* "" is not sent */
	rivamsg_models_clear(&out);
	CU_ASSERT_EQUAL(out.n, 0);
	CU_ASSERT_PTR_NULL(out.v);

	/* An empty list is a list. */
	in.n = 0;
	CU_ASSERT_EQUAL_FATAL(rivasrv_encode_models_response(&in, &buf, &len),
	    ERR_OK);
	CU_ASSERT_EQUAL(rivamsg_decode_models_response(buf, len, &out), ERR_OK);
	CU_ASSERT_EQUAL(out.n, 0);
	free(buf);

	/* Names end up in logs and in errors to clients. */
	v[0].name = "two words";
	in.n = 1;
	CU_ASSERT_EQUAL_FATAL(rivasrv_encode_models_response(&in, &buf, &len),
	    ERR_OK);
	CU_ASSERT_EQUAL(rivamsg_decode_models_response(buf, len, &out),
	    ERR_UPSTREAM);
	CU_ASSERT_EQUAL(out.n, 0);
	free(buf);
	v[0].name = "";
	CU_ASSERT_EQUAL_FATAL(rivasrv_encode_models_response(&in, &buf, &len),
	    ERR_OK);
	CU_ASSERT_EQUAL(rivamsg_decode_models_response(buf, len, &out),
	    ERR_UPSTREAM);
	free(buf);
	v[0].name = "ok";
	v[0].language = "en\x01US";
	CU_ASSERT_EQUAL_FATAL(rivasrv_encode_models_response(&in, &buf, &len),
	    ERR_OK);
	CU_ASSERT_EQUAL(rivamsg_decode_models_response(buf, len, &out),
	    ERR_UPSTREAM);
	free(buf);

	/* More models than RIVAMSG_MAX_MODELS. */
	many.n = RIVAMSG_MAX_MODELS + 1;
	many.v = calloc(many.n, sizeof(*many.v));
	CU_ASSERT_PTR_NOT_NULL_FATAL(many.v);
	name[0] = 'm';
	name[1] = '\0';
	for (i = 0; i < many.n; i++)
		many.v[i].name = name;
	CU_ASSERT_EQUAL_FATAL(rivasrv_encode_models_response(&many, &buf,
	    &len), ERR_OK);
	CU_ASSERT_EQUAL(rivamsg_decode_models_response(buf, len, &out),
	    ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(out.n, 0);
	free(buf);
	free(many.v);
	CU_ASSERT_EQUAL(rivamsg_decode_models_response((const uint8_t *)"\xff",
	    1, &out), ERR_UPSTREAM);
}

int
test_rivamsg_suite(void)
{
	CU_pSuite s = CU_add_suite("rivamsg", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "config round-trips every field",
		config_round_trips_every_field) == NULL ||
	    CU_add_test(s, "config defaults language and omits unset parts",
		config_defaults_language_and_omits_unset_parts) == NULL ||
	    CU_add_test(s, "bad configs are refused naming the field",
		bad_configs_are_refused_naming_the_field) == NULL ||
	    CU_add_test(s, "audio request carries only the bytes",
		audio_request_carries_only_the_bytes) == NULL ||
	    CU_add_test(s, "request with both or neither member is flagged",
		request_with_both_or_neither_member_is_flagged) == NULL ||
	    CU_add_test(s, "response keeps every result, alternative, word",
		response_keeps_every_result_alternative_and_word) == NULL ||
	    CU_add_test(s, "partial text joins with one space",
		partial_text_joins_with_one_space) == NULL ||
	    CU_add_test(s, "empty response has no results",
		empty_response_has_no_results) == NULL ||
	    CU_add_test(s, "malformed response is an upstream error",
		malformed_response_is_upstream_error) == NULL ||
	    CU_add_test(s, "response over the bounds is too large",
		response_over_the_bounds_is_too_large) == NULL ||
	    CU_add_test(s, "health messages round-trip",
		health_messages_round_trip) == NULL ||
	    CU_add_test(s, "model list round-trips, bad names are refused",
		model_list_round_trips_and_bad_names_are_refused) == NULL)
		return -1;
	return 0;
}
