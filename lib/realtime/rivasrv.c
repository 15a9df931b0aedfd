/*
 * rivasrv.c: the server side of the Riva messages: decode what a client of
 * Riva sends (StreamingRecognizeRequest, health and model-list requests)
 * and encode what Riva answers.
 *
 * audio-recognizer (asr/) serves Riva's API with it, and so does the Riva
 * stand-in of the tests (tests/tools/riva-standin.c).  The client side, what
 * audio-bridge sends and decodes, is rivamsg.c; both work on byte buffers
 * and plain structs with no I/O.  Requests come from untrusted clients:
 * lengths and counts are checked against the RIVAMSG_MAX_* bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "riva/proto/riva_asr.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"

#include "log.h"
#include "rivasrv.h"

#define RIVASRV_MAX_SERVICE_LEN		256

static int
rivasrv_str_ok(const char *s, size_t max)
{
	return s == NULL || strnlen(s, max + 1) <= max;
}

/*
 * Walk the top-level fields of a message and count fields 1 and 2, which
 * a protobuf parse would fold into one oneof member.  0 if malformed.
 */
static int
rivasrv_scan_oneof(const uint8_t *buf, size_t len, int *n1, int *n2)
{
	size_t i = 0;
	uint64_t key, v;
	unsigned int shift;

	*n1 = *n2 = 0;
	while (i < len) {
		for (key = 0, shift = 0; ; shift += 7) {
			if (i >= len || shift > 63)
				return 0;
			key |= (uint64_t)(buf[i] & 0x7f) << shift;
			if ((buf[i++] & 0x80) == 0)
				break;
		}
		if ((key >> 3) == 1)
			(*n1)++;
		else if ((key >> 3) == 2)
			(*n2)++;
		switch (key & 7) {
		case 0:
			while (i < len && (buf[i] & 0x80))
				i++;
			if (i++ >= len)
				return 0;
			break;
		case 1:
			if (len - i < 8)
				return 0;
			i += 8;
			break;
		case 5:
			if (len - i < 4)
				return 0;
			i += 4;
			break;
		case 2:
			for (v = 0, shift = 0; ; shift += 7) {
				if (i >= len || shift > 63)
					return 0;
				v |= (uint64_t)(buf[i] & 0x7f) << shift;
				if ((buf[i++] & 0x80) == 0)
					break;
			}
			if (v > len - i)
				return 0;
			i += (size_t)v;
			break;
		default:
			return 0;
		}
	}
	return 1;
}

static char *
rivasrv_strdup(const char *s)
{
	size_t n;
	char *d;

	if (s == NULL)
		s = "";
	n = strlen(s);
	if ((d = malloc(n + 1)) != NULL)
		memcpy(d, s, n + 1);
	return d;
}

void
rivasrv_request_clear(struct rivasrv_request *req)
{
	size_t i;

	if (req == NULL)
		return;
	free(req->language);
	free(req->model);
	for (i = 0; i < req->nboost_words; i++)
		free(req->boost_words[i]);
	free(req->boost_words);
	free(req->audio);
	memset(req, 0, sizeof(*req));
}

static enum err
rivasrv_request_config(const Nvidia__Riva__Asr__StreamingRecognitionConfig *sc,
    struct rivasrv_request *req)
{
	const Nvidia__Riva__Asr__RecognitionConfig *c = sc->config;
	size_t i, j, n = 0;

	req->interim_results = sc->interim_results != 0;
	if (c == NULL)
		return ERR_OK;
	req->encoding = c->encoding;
	req->sample_rate_hz = c->sample_rate_hertz;
	req->audio_channel_count = c->audio_channel_count;
	req->max_alternatives = c->max_alternatives;
	req->punctuation = c->enable_automatic_punctuation != 0;
	req->word_time_offsets = c->enable_word_time_offsets != 0;
	req->profanity_filter = c->profanity_filter != 0;
	req->verbatim_transcripts = c->verbatim_transcripts != 0;
	if ((req->language = rivasrv_strdup(c->language_code)) == NULL ||
	    (req->model = rivasrv_strdup(c->model)) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < c->n_speech_contexts; i++)
		n += c->speech_contexts[i]->n_phrases;
	if (n > 0 && (req->boost_words = calloc(n, sizeof(char *))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < c->n_speech_contexts; i++) {
		if (i == 0)
			req->boost_score = c->speech_contexts[i]->boost;
		for (j = 0; j < c->speech_contexts[i]->n_phrases; j++) {
			req->boost_words[req->nboost_words] = rivasrv_strdup(
			    c->speech_contexts[i]->phrases[j]);
			if (req->boost_words[req->nboost_words] == NULL)
				return ERR_NOMEM;
			req->nboost_words++;
		}
	}
	if (c->endpointing_config != NULL) {
		const Nvidia__Riva__Asr__EndpointingConfig *e =
		    c->endpointing_config;
		struct rivamsg_endpointing *x = &req->endpointing;

		req->has_endpointing = 1;
		x->start_history = e->start_history;
		x->has_start_history = e->start_history != 0;
		x->start_threshold = e->start_threshold;
		x->has_start_threshold = e->start_threshold != 0;
		x->stop_history = e->stop_history;
		x->has_stop_history = e->stop_history != 0;
		x->stop_threshold = e->stop_threshold;
		x->has_stop_threshold = e->stop_threshold != 0;
		x->stop_history_eou = e->stop_history_eou;
		x->has_stop_history_eou = e->stop_history_eou != 0;
		x->stop_threshold_eou = e->stop_threshold_eou;
		x->has_stop_threshold_eou = e->stop_threshold_eou != 0;
	}
	return ERR_OK;
}

enum err
rivasrv_decode_request(const uint8_t *buf, size_t len,
    struct rivasrv_request *req)
{
	Nvidia__Riva__Asr__StreamingRecognizeRequest *pb = NULL;
	enum err e = ERR_OK;
	int n1, n2;

	memset(req, 0, sizeof(*req));
	if (!rivasrv_scan_oneof(buf, len, &n1, &n2)) {
		e = ERR_INVAL;
		goto out;
	}
	pb = nvidia__riva__asr__streaming_recognize_request__unpack(NULL, len,
	    buf);
	if (pb == NULL) {
		e = ERR_INVAL;
		goto out;
	}
	if (n1 > 0 && n2 > 0) {
		req->kind = RIVASRV_REQ_BOTH;
		goto out;
	}
	switch (pb->streaming_request_case) {
	case NVIDIA__RIVA__ASR__STREAMING_RECOGNIZE_REQUEST__STREAMING_REQUEST_STREAMING_CONFIG:
		req->kind = RIVASRV_REQ_CONFIG;
		e = rivasrv_request_config(pb->streaming_config, req);
		break;
	case NVIDIA__RIVA__ASR__STREAMING_RECOGNIZE_REQUEST__STREAMING_REQUEST_AUDIO_CONTENT:
		req->kind = RIVASRV_REQ_AUDIO;
		req->audio_len = pb->audio_content.len;
		if ((req->audio = malloc(req->audio_len > 0 ?
		    req->audio_len : 1)) == NULL) {
			e = ERR_NOMEM;
			break;
		}
		if (req->audio_len > 0)
			memcpy(req->audio, pb->audio_content.data,
			    req->audio_len);
		break;
	default:
		req->kind = RIVASRV_REQ_EMPTY;
		break;
	}
out:
	if (pb != NULL)
		nvidia__riva__asr__streaming_recognize_request__free_unpacked(pb,
		    NULL);
	if (e != ERR_OK)
		rivasrv_request_clear(req);
	return e;
}

enum err
rivasrv_encode_response(const struct rivamsg_response *resp, uint8_t **out,
    size_t *outlen)
{
	Nvidia__Riva__Asr__StreamingRecognizeResponse pb =
	    NVIDIA__RIVA__ASR__STREAMING_RECOGNIZE_RESPONSE__INIT;
	Nvidia__Riva__Asr__StreamingRecognitionResult *res = NULL, **resp_ = NULL;
	Nvidia__Riva__Asr__SpeechRecognitionAlternative *alts = NULL,
	    **altp = NULL;
	Nvidia__Riva__Asr__WordInfo *words = NULL, **wordp = NULL;
	Nvidia__Riva__RequestId rid = NVIDIA__RIVA__REQUEST_ID__INIT;
	size_t i, j, k, nalts = 0, nwords = 0, ai = 0, wi = 0, n;
	enum err e = ERR_OK;

	*out = NULL;
	*outlen = 0;
	if (resp->nresults > RIVAMSG_MAX_RESULTS)
		return ERR_TOO_LARGE;
	for (i = 0; i < resp->nresults; i++) {
		if (resp->results[i].nalts > RIVAMSG_MAX_ALTERNATIVES)
			return ERR_TOO_LARGE;
		nalts += resp->results[i].nalts;
		for (j = 0; j < resp->results[i].nalts; j++)
			nwords += resp->results[i].alts[j].nwords;
	}
	if (nwords > RIVAMSG_MAX_WORDS)
		return ERR_TOO_LARGE;
	if ((res = calloc(resp->nresults + 1, sizeof(*res))) == NULL ||
	    (resp_ = calloc(resp->nresults + 1, sizeof(*resp_))) == NULL ||
	    (alts = calloc(nalts + 1, sizeof(*alts))) == NULL ||
	    (altp = calloc(nalts + 1, sizeof(*altp))) == NULL ||
	    (words = calloc(nwords + 1, sizeof(*words))) == NULL ||
	    (wordp = calloc(nwords + 1, sizeof(*wordp))) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < resp->nresults; i++) {
		const struct rivamsg_result *r = &resp->results[i];

		nvidia__riva__asr__streaming_recognition_result__init(&res[i]);
		res[i].is_final = r->is_final != 0;
		res[i].stability = r->stability;
		res[i].channel_tag = r->channel_tag;
		res[i].audio_processed = r->audio_processed;
		res[i].n_alternatives = r->nalts;
		res[i].alternatives = &altp[ai];
		for (j = 0; j < r->nalts; j++, ai++) {
			const struct rivamsg_alternative *a = &r->alts[j];

			nvidia__riva__asr__speech_recognition_alternative__init(
			    &alts[ai]);
			altp[ai] = &alts[ai];
			alts[ai].transcript = (char *)(a->transcript != NULL ?
			    a->transcript : "");
			alts[ai].confidence = a->confidence;
			alts[ai].n_words = a->nwords;
			alts[ai].words = &wordp[wi];
			for (k = 0; k < a->nwords; k++, wi++) {
				nvidia__riva__asr__word_info__init(&words[wi]);
				wordp[wi] = &words[wi];
				words[wi].word = (char *)(a->words[k].word !=
				    NULL ? a->words[k].word : "");
				words[wi].start_time = a->words[k].start_ms;
				words[wi].end_time = a->words[k].end_ms;
				words[wi].confidence = a->words[k].confidence;
				words[wi].speaker_tag = a->words[k].speaker_tag;
			}
		}
		resp_[i] = &res[i];
	}
	pb.n_results = resp->nresults;
	pb.results = resp_;
	if (resp->request_id != NULL) {
		rid.value = resp->request_id;
		pb.id = &rid;
	}
	n = nvidia__riva__asr__streaming_recognize_response__get_packed_size(&pb);
	if ((*out = malloc(n > 0 ? n : 1)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	*outlen = nvidia__riva__asr__streaming_recognize_response__pack(&pb,
	    *out);
out:
	free(res);
	free(resp_);
	free(alts);
	free(altp);
	free(words);
	free(wordp);
	return e;
}

enum err
rivasrv_decode_health_request(const uint8_t *buf, size_t len, char **service)
{
	Grpc__Health__V1__HealthCheckRequest *pb;

	*service = NULL;
	pb = grpc__health__v1__health_check_request__unpack(NULL, len, buf);
	if (pb == NULL)
		return ERR_INVAL;
	if (!rivasrv_str_ok(pb->service, RIVASRV_MAX_SERVICE_LEN)) {
		grpc__health__v1__health_check_request__free_unpacked(pb, NULL);
		return ERR_INVAL;
	}
	*service = rivasrv_strdup(pb->service);
	grpc__health__v1__health_check_request__free_unpacked(pb, NULL);
	return *service == NULL ? ERR_NOMEM : ERR_OK;
}

enum err
rivasrv_encode_health_response(enum rivamsg_health h, uint8_t **out,
    size_t *outlen)
{
	Grpc__Health__V1__HealthCheckResponse pb =
	    GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
	size_t n;

	*out = NULL;
	*outlen = 0;
	pb.status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)h;
	n = grpc__health__v1__health_check_response__get_packed_size(&pb);
	if ((*out = malloc(n > 0 ? n : 1)) == NULL)
		return ERR_NOMEM;
	*outlen = grpc__health__v1__health_check_response__pack(&pb, *out);
	return ERR_OK;
}

enum err
rivasrv_encode_models_response(const struct rivamsg_models *models,
    uint8_t **out, size_t *outlen)
{
	Nvidia__Riva__Asr__RivaSpeechRecognitionConfigResponse pb =
	    NVIDIA__RIVA__ASR__RIVA_SPEECH_RECOGNITION_CONFIG_RESPONSE__INIT;
	Nvidia__Riva__Asr__RivaSpeechRecognitionConfigResponse__Config *mc = NULL;
	Nvidia__Riva__Asr__RivaSpeechRecognitionConfigResponse__Config **mcp = NULL;
	Nvidia__Riva__Asr__RivaSpeechRecognitionConfigResponse__Config__ParametersEntry
	    *pe = NULL, **pep = NULL;
	enum err e = ERR_NOMEM;
	size_t i, n;

	*out = NULL;
	*outlen = 0;
	if (models->n > 0 && ((mc = calloc(models->n, sizeof(*mc))) == NULL ||
	    (mcp = calloc(models->n, sizeof(*mcp))) == NULL ||
	    (pe = calloc(models->n, sizeof(*pe))) == NULL ||
	    (pep = calloc(models->n, sizeof(*pep))) == NULL))
		goto out;
	for (i = 0; i < models->n; i++) {
		nvidia__riva__asr__riva_speech_recognition_config_response__config__init(
		    &mc[i]);
		mc[i].model_name = models->v[i].name;
		if (models->v[i].language != NULL &&
		    models->v[i].language[0] != '\0') {
			nvidia__riva__asr__riva_speech_recognition_config_response__config__parameters_entry__init(
			    &pe[i]);
			pe[i].key = (char *)"language_code";
			pe[i].value = models->v[i].language;
			pep[i] = &pe[i];
			mc[i].n_parameters = 1;
			mc[i].parameters = &pep[i];
		}
		mcp[i] = &mc[i];
	}
	pb.n_model_config = models->n;
	pb.model_config = mcp;
	n = nvidia__riva__asr__riva_speech_recognition_config_response__get_packed_size(
	    &pb);
	if ((*out = malloc(n > 0 ? n : 1)) == NULL)
		goto out;
	*outlen = nvidia__riva__asr__riva_speech_recognition_config_response__pack(
	    &pb, *out);
	e = ERR_OK;
out:
	free(mc);
	free(mcp);
	free(pe);
	free(pep);
	return e;
}
