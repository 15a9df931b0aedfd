/*
 * rivamsg.c: NVIDIA Riva ASR and gRPC health messages <-> plain structs.
 *
 * The only file that touches the protobuf-c code generated from proto/.
 * Everything here works on byte buffers and plain structs, with no I/O, so
 * tests and the fuzzer call it directly.  Bytes from the peer are untrusted:
 * counts and lengths are checked against the RIVAMSG_MAX_* bounds and text
 * must be valid UTF-8 (it goes on into JSON).
 */
#include <stdlib.h>
#include <string.h>

#include "riva/proto/riva_asr.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"

#include "log.h"
#include "rivamsg.h"
#include "utf8.h"

#define RIVAMSG_MAX_SERVICE_LEN		256

/* Copy untrusted text; NULL from protobuf-c means "". */
static enum err
rivamsg_text(const char *in, char **out)
{
	size_t len;

	*out = NULL;
	if (in == NULL)
		in = "";
	len = strlen(in);
	if (len > RIVAMSG_MAX_TEXT)
		return ERR_TOO_LARGE;
	if (!utf8_valid(in, len))
		return ERR_UPSTREAM;
	if ((*out = malloc(len + 1)) == NULL)
		return ERR_NOMEM;
	memcpy(*out, in, len + 1);
	return ERR_OK;
}

static int
rivamsg_str_ok(const char *s, size_t max)
{
	return s == NULL || strnlen(s, max + 1) <= max;
}

enum err
rivamsg_config_check(const struct rivamsg_config *cfg, const char **field)
{
	const char *f = NULL;
	enum err e = ERR_FIELD;
	size_t i;

	if (cfg->sample_rate_hz < RIVAMSG_SAMPLE_RATE_MIN ||
	    cfg->sample_rate_hz > RIVAMSG_SAMPLE_RATE_MAX)
		f = "sample_rate";
	else if (!rivamsg_str_ok(cfg->language, RIVAMSG_MAX_LANGUAGE_LEN) ||
	    (cfg->language != NULL &&
	    !utf8_valid(cfg->language, strlen(cfg->language))))
		f = "language";
	else if (!rivamsg_str_ok(cfg->model, RIVAMSG_MAX_MODEL_LEN) ||
	    (cfg->model != NULL &&
	    !utf8_valid(cfg->model, strlen(cfg->model))))
		f = "model";
	else if (cfg->max_alternatives < 0 ||
	    cfg->max_alternatives > RIVAMSG_MAX_ALTERNATIVES)
		f = "max_alternatives";
	else if (cfg->nboost_words > RIVAMSG_MAX_BOOST_WORDS) {
		f = "hotwords";
		e = ERR_TOO_LARGE;
	} else if (cfg->nboost_words > 0 && cfg->boost_words == NULL)
		f = "hotwords";
	else if (cfg->boost_score != cfg->boost_score ||
	    cfg->boost_score < -100.0f || cfg->boost_score > 100.0f)
		f = "boost";
	for (i = 0; f == NULL && i < cfg->nboost_words; i++) {
		const char *w = cfg->boost_words[i];

		if (w == NULL || *w == '\0')
			f = "hotwords";
		else if (!rivamsg_str_ok(w, RIVAMSG_MAX_BOOST_WORD_LEN)) {
			f = "hotwords";
			e = ERR_TOO_LARGE;
		} else if (!utf8_valid(w, strlen(w)))
			f = "hotwords";
	}
	if (f == NULL && cfg->endpointing != NULL) {
		const struct rivamsg_endpointing *ep = cfg->endpointing;

		if ((ep->has_start_history && ep->start_history < 0) ||
		    (ep->has_stop_history && ep->stop_history < 0) ||
		    (ep->has_stop_history_eou && ep->stop_history_eou < 0) ||
		    (ep->has_start_threshold && !(ep->start_threshold >= 0.0f &&
		    ep->start_threshold <= 1.0f)) ||
		    (ep->has_stop_threshold && !(ep->stop_threshold >= 0.0f &&
		    ep->stop_threshold <= 1.0f)) ||
		    (ep->has_stop_threshold_eou &&
		    !(ep->stop_threshold_eou >= 0.0f &&
		    ep->stop_threshold_eou <= 1.0f)))
			f = "endpointing";
	}
	if (field != NULL)
		*field = f;
	return f == NULL ? ERR_OK : e;
}

enum err
rivamsg_encode_config(const struct rivamsg_config *cfg, uint8_t **out,
    size_t *outlen)
{
	Nvidia__Riva__Asr__StreamingRecognizeRequest req =
	    NVIDIA__RIVA__ASR__STREAMING_RECOGNIZE_REQUEST__INIT;
	Nvidia__Riva__Asr__StreamingRecognitionConfig scfg =
	    NVIDIA__RIVA__ASR__STREAMING_RECOGNITION_CONFIG__INIT;
	Nvidia__Riva__Asr__RecognitionConfig rcfg =
	    NVIDIA__RIVA__ASR__RECOGNITION_CONFIG__INIT;
	Nvidia__Riva__Asr__SpeechContext ctx =
	    NVIDIA__RIVA__ASR__SPEECH_CONTEXT__INIT;
	Nvidia__Riva__Asr__SpeechContext *ctxs[1];
	Nvidia__Riva__Asr__EndpointingConfig ep =
	    NVIDIA__RIVA__ASR__ENDPOINTING_CONFIG__INIT;
	const char *field;
	enum err e;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if ((e = rivamsg_config_check(cfg, &field)) != ERR_OK) {
		log_warn("bad recognition config field %s", field);
		return e;
	}
	rcfg.encoding = NVIDIA__RIVA__AUDIO_ENCODING__LINEAR_PCM;
	rcfg.sample_rate_hertz = cfg->sample_rate_hz;
	rcfg.language_code = (char *)(cfg->language != NULL &&
	    *cfg->language != '\0' ? cfg->language : "en-US");
	rcfg.max_alternatives = cfg->max_alternatives;
	rcfg.profanity_filter = cfg->profanity_filter != 0;
	rcfg.audio_channel_count = 1;
	rcfg.enable_word_time_offsets = cfg->word_time_offsets != 0;
	rcfg.enable_automatic_punctuation = cfg->punctuation != 0;
	rcfg.verbatim_transcripts = cfg->verbatim_transcripts != 0;
	if (cfg->model != NULL)
		rcfg.model = (char *)cfg->model;
	if (cfg->nboost_words > 0) {
		/* protobuf-c wants char **; it only reads them when packing. */
		ctx.n_phrases = cfg->nboost_words;
		ctx.phrases = (char **)(uintptr_t)cfg->boost_words;
		ctx.boost = cfg->boost_score;
		ctxs[0] = &ctx;
		rcfg.n_speech_contexts = 1;
		rcfg.speech_contexts = ctxs;
	}
	if (cfg->endpointing != NULL) {
		const struct rivamsg_endpointing *x = cfg->endpointing;

		/* Without proto3 `optional` a zero is simply not sent. */
		ep.start_history = x->has_start_history ? x->start_history : 0;
		ep.start_threshold = x->has_start_threshold ?
		    x->start_threshold : 0;
		ep.stop_history = x->has_stop_history ? x->stop_history : 0;
		ep.stop_threshold = x->has_stop_threshold ?
		    x->stop_threshold : 0;
		ep.stop_history_eou = x->has_stop_history_eou ?
		    x->stop_history_eou : 0;
		ep.stop_threshold_eou = x->has_stop_threshold_eou ?
		    x->stop_threshold_eou : 0;
		rcfg.endpointing_config = &ep;
	}
	scfg.config = &rcfg;
	scfg.interim_results = cfg->interim_results != 0;
	req.streaming_request_case =
	    NVIDIA__RIVA__ASR__STREAMING_RECOGNIZE_REQUEST__STREAMING_REQUEST_STREAMING_CONFIG;
	req.streaming_config = &scfg;

	n = nvidia__riva__asr__streaming_recognize_request__get_packed_size(&req);
	if ((*out = malloc(n > 0 ? n : 1)) == NULL)
		return ERR_NOMEM;
	*outlen = nvidia__riva__asr__streaming_recognize_request__pack(&req,
	    *out);
	return ERR_OK;
}

static size_t
rivamsg_varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

size_t
rivamsg_audio_size(size_t len)
{
	return 1 + rivamsg_varint_size(len) + len;
}

size_t
rivamsg_encode_audio(const void *pcm, size_t len, uint8_t *buf)
{
	size_t i = 0;
	uint64_t v = len;

	buf[i++] = (2 << 3) | 2;	/* field 2 audio_content, length-delimited */
	while (v >= 0x80) {
		buf[i++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	buf[i++] = (uint8_t)v;
	if (len > 0)
		memcpy(buf + i, pcm, len);
	return i + len;
}

static void
rivamsg_alt_clear(struct rivamsg_alternative *a)
{
	size_t i;

	free(a->transcript);
	for (i = 0; i < a->nwords; i++)
		free(a->words[i].word);
	free(a->words);
	memset(a, 0, sizeof(*a));
}

void
rivamsg_response_clear(struct rivamsg_response *resp)
{
	size_t i, j;

	if (resp == NULL)
		return;
	for (i = 0; i < resp->nresults; i++) {
		for (j = 0; j < resp->results[i].nalts; j++)
			rivamsg_alt_clear(&resp->results[i].alts[j]);
		free(resp->results[i].alts);
	}
	free(resp->results);
	free(resp->request_id);
	memset(resp, 0, sizeof(*resp));
}

static enum err
rivamsg_alt_from_pb(const Nvidia__Riva__Asr__SpeechRecognitionAlternative *pa,
    struct rivamsg_alternative *a, size_t *words_left)
{
	enum err e;
	size_t i;

	if ((e = rivamsg_text(pa->transcript, &a->transcript)) != ERR_OK)
		return e;
	a->confidence = pa->confidence;
	if (pa->n_words == 0)
		return ERR_OK;
	if (pa->n_words > *words_left)
		return ERR_TOO_LARGE;
	*words_left -= pa->n_words;
	if ((a->words = calloc(pa->n_words, sizeof(*a->words))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < pa->n_words; i++) {
		const Nvidia__Riva__Asr__WordInfo *w = pa->words[i];

		a->nwords = i + 1;
		if ((e = rivamsg_text(w->word, &a->words[i].word)) != ERR_OK)
			return e;
		a->words[i].start_ms = w->start_time;
		a->words[i].end_ms = w->end_time;
		a->words[i].confidence = w->confidence;
		a->words[i].speaker_tag = w->speaker_tag;
	}
	return ERR_OK;
}

enum err
rivamsg_decode_response(const uint8_t *buf, size_t len,
    struct rivamsg_response *resp)
{
	Nvidia__Riva__Asr__StreamingRecognizeResponse *pb = NULL;
	size_t i, j, words_left = RIVAMSG_MAX_WORDS;
	enum err e = ERR_OK;

	memset(resp, 0, sizeof(*resp));
	pb = nvidia__riva__asr__streaming_recognize_response__unpack(NULL, len,
	    buf);
	if (pb == NULL) {
		e = ERR_UPSTREAM;
		goto out;
	}
	if (pb->n_results > RIVAMSG_MAX_RESULTS) {
		e = ERR_TOO_LARGE;
		goto out;
	}
	if (pb->id != NULL && (e = rivamsg_text(pb->id->value,
	    &resp->request_id)) != ERR_OK)
		goto out;
	if (pb->n_results > 0 && (resp->results = calloc(pb->n_results,
	    sizeof(*resp->results))) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < pb->n_results; i++) {
		const Nvidia__Riva__Asr__StreamingRecognitionResult *pr =
		    pb->results[i];
		struct rivamsg_result *r = &resp->results[i];

		resp->nresults = i + 1;
		r->is_final = pr->is_final != 0;
		r->stability = pr->stability;
		r->channel_tag = pr->channel_tag;
		r->audio_processed = pr->audio_processed;
		if (pr->n_alternatives > RIVAMSG_MAX_ALTERNATIVES) {
			e = ERR_TOO_LARGE;
			goto out;
		}
		if (pr->n_alternatives == 0)
			continue;
		if ((r->alts = calloc(pr->n_alternatives,
		    sizeof(*r->alts))) == NULL) {
			e = ERR_NOMEM;
			goto out;
		}
		for (j = 0; j < pr->n_alternatives; j++) {
			r->nalts = j + 1;
			if ((e = rivamsg_alt_from_pb(pr->alternatives[j],
			    &r->alts[j], &words_left)) != ERR_OK)
				goto out;
		}
	}
out:
	if (pb != NULL)
		nvidia__riva__asr__streaming_recognize_response__free_unpacked(pb,
		    NULL);
	if (e != ERR_OK)
		rivamsg_response_clear(resp);
	return e;
}

char *
rivamsg_partial_text(const struct rivamsg_response *resp)
{
	size_t i, n, len = 0, off = 0;
	const char *t;
	char *s;

	for (i = 0; i < resp->nresults; i++)
		if (!resp->results[i].is_final && resp->results[i].nalts > 0)
			len += strlen(resp->results[i].alts[0].transcript) + 1;
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < resp->nresults; i++) {
		if (resp->results[i].is_final || resp->results[i].nalts == 0)
			continue;
		t = resp->results[i].alts[0].transcript;
		n = strlen(t);
		if (n == 0)
			continue;
		/* Riva's pieces often carry their own leading/trailing
		 * space; join with exactly one. */
		if (off > 0 && s[off - 1] != ' ' && t[0] != ' ')
			s[off++] = ' ';
		else if (off > 0 && s[off - 1] == ' ' && t[0] == ' ') {
			t++;
			n--;
		}
		memcpy(s + off, t, n);
		off += n;
	}
	s[off] = '\0';
	return s;
}

enum err
rivamsg_encode_health_request(const char *service, uint8_t **out,
    size_t *outlen)
{
	Grpc__Health__V1__HealthCheckRequest req =
	    GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (service != NULL) {
		if (!rivamsg_str_ok(service, RIVAMSG_MAX_SERVICE_LEN))
			return ERR_FIELD;
		req.service = (char *)service;
	}
	n = grpc__health__v1__health_check_request__get_packed_size(&req);
	if ((*out = malloc(n > 0 ? n : 1)) == NULL)
		return ERR_NOMEM;
	*outlen = grpc__health__v1__health_check_request__pack(&req, *out);
	return ERR_OK;
}

enum err
rivamsg_decode_health_response(const uint8_t *buf, size_t len,
    enum rivamsg_health *status)
{
	Grpc__Health__V1__HealthCheckResponse *pb;

	*status = RIVAMSG_HEALTH_UNKNOWN;
	pb = grpc__health__v1__health_check_response__unpack(NULL, len, buf);
	if (pb == NULL)
		return ERR_UPSTREAM;
	switch ((int)pb->status) {
	case RIVAMSG_HEALTH_SERVING:
	case RIVAMSG_HEALTH_NOT_SERVING:
	case RIVAMSG_HEALTH_SERVICE_UNKNOWN:
		*status = (enum rivamsg_health)pb->status;
		break;
	default:
		*status = RIVAMSG_HEALTH_UNKNOWN;
		break;
	}
	grpc__health__v1__health_check_response__free_unpacked(pb, NULL);
	return ERR_OK;
}

/*
 * Names and languages end up in our log, /healthz and error messages to
 * clients: printable ASCII only.
 */
static int
rivamsg_name_ok(const char *s, size_t max)
{
	size_t i, n;

	if (s == NULL || (n = strnlen(s, max + 1)) == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

enum err
rivamsg_encode_models_request(uint8_t **out, size_t *outlen)
{
	Nvidia__Riva__Asr__RivaSpeechRecognitionConfigRequest req =
	    NVIDIA__RIVA__ASR__RIVA_SPEECH_RECOGNITION_CONFIG_REQUEST__INIT;
	size_t n;

	*outlen = 0;
	n = nvidia__riva__asr__riva_speech_recognition_config_request__get_packed_size(
	    &req);
	if ((*out = malloc(n > 0 ? n : 1)) == NULL)
		return ERR_NOMEM;
	*outlen = nvidia__riva__asr__riva_speech_recognition_config_request__pack(
	    &req, *out);
	return ERR_OK;
}

enum err
rivamsg_decode_models_response(const uint8_t *buf, size_t len,
    struct rivamsg_models *models)
{
	Nvidia__Riva__Asr__RivaSpeechRecognitionConfigResponse *pb;
	Nvidia__Riva__Asr__RivaSpeechRecognitionConfigResponse__Config *mc;
	const char *lang;
	enum err e = ERR_OK;
	size_t i, j;

	memset(models, 0, sizeof(*models));
	pb = nvidia__riva__asr__riva_speech_recognition_config_response__unpack(
	    NULL, len, buf);
	if (pb == NULL)
		return ERR_UPSTREAM;
	if (pb->n_model_config > RIVAMSG_MAX_MODELS) {
		e = ERR_TOO_LARGE;
		goto out;
	}
	if (pb->n_model_config > 0 && (models->v = calloc(pb->n_model_config,
	    sizeof(*models->v))) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < pb->n_model_config; i++) {
		mc = pb->model_config[i];
		lang = NULL;
		for (j = 0; j < mc->n_parameters; j++) {
			const char *k = mc->parameters[j]->key;

			if (k != NULL && strcmp(k, "language_code") == 0)
				lang = mc->parameters[j]->value;
		}
		if (!rivamsg_name_ok(mc->model_name, RIVAMSG_MAX_MODEL_LEN) ||
		    (lang != NULL && !rivamsg_name_ok(lang,
		    RIVAMSG_MAX_LANGUAGE_LEN))) {
			e = ERR_UPSTREAM;
			goto out;
		}
		if ((models->v[i].name = strdup(mc->model_name)) == NULL ||
		    (lang != NULL &&
		    (models->v[i].language = strdup(lang)) == NULL)) {
			models->n = i + 1;
			e = ERR_NOMEM;
			goto out;
		}
		models->n = i + 1;
	}
out:
	nvidia__riva__asr__riva_speech_recognition_config_response__free_unpacked(
	    pb, NULL);
	if (e != ERR_OK)
		rivamsg_models_clear(models);
	return e;
}

void
rivamsg_models_clear(struct rivamsg_models *models)
{
	size_t i;

	if (models == NULL)
		return;
	for (i = 0; i < models->n; i++) {
		free(models->v[i].name);
		free(models->v[i].language);
	}
	free(models->v);
	memset(models, 0, sizeof(*models));
}

const char *
rivamsg_health_name(enum rivamsg_health h)
{
	switch (h) {
	case RIVAMSG_HEALTH_SERVING:
		return "SERVING";
	case RIVAMSG_HEALTH_NOT_SERVING:
		return "NOT_SERVING";
	case RIVAMSG_HEALTH_SERVICE_UNKNOWN:
		return "SERVICE_UNKNOWN";
	case RIVAMSG_HEALTH_NO_SERVICE:
		return "no_health_service";
	case RIVAMSG_HEALTH_UNKNOWN:
	default:
		return "UNKNOWN";
	}
}
