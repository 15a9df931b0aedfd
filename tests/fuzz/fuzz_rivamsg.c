/*
 * fuzz_rivamsg.c: libFuzzer target for lib/realtime/rivamsg.c's decoders.
 *
 * The input as a StreamingRecognizeResponse (what Riva, or anything
 * pretending to be Riva, sends us): if rivamsg_decode_response() accepts
 * it, the result must stay within the RIVAMSG_MAX_* bounds, every string
 * must be there, the partial text must build, and encoding it again and
 * decoding that must give the same results.  The same input is also fed to
 * the request, health and model list decoders.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rivamsg.h"
#include "rivasrv.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_same(const struct rivamsg_response *a, const struct rivamsg_response *b)
{
	size_t i, j, k;

	if (a->nresults != b->nresults)
		abort();
	for (i = 0; i < a->nresults; i++) {
		const struct rivamsg_result *x = &a->results[i],
		    *y = &b->results[i];

		if (x->is_final != y->is_final || x->nalts != y->nalts)
			abort();
		for (j = 0; j < x->nalts; j++) {
			if (strcmp(x->alts[j].transcript,
			    y->alts[j].transcript) != 0 ||
			    x->alts[j].nwords != y->alts[j].nwords)
				abort();
			for (k = 0; k < x->alts[j].nwords; k++)
				if (strcmp(x->alts[j].words[k].word,
				    y->alts[j].words[k].word) != 0 ||
				    x->alts[j].words[k].start_ms !=
				    y->alts[j].words[k].start_ms)
					abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rivamsg_response r, again;
	struct rivasrv_request req;
	struct rivamsg_models models;
	enum rivamsg_health h;
	uint8_t *buf = NULL;
	size_t i, j, len, words = 0;
	char *s;

	if (rivamsg_decode_response(data, size, &r) == ERR_OK) {
		if (r.nresults > RIVAMSG_MAX_RESULTS)
			abort();
		for (i = 0; i < r.nresults; i++) {
			if (r.results[i].nalts > RIVAMSG_MAX_ALTERNATIVES)
				abort();
			for (j = 0; j < r.results[i].nalts; j++) {
				if (r.results[i].alts[j].transcript == NULL)
					abort();
				words += r.results[i].alts[j].nwords;
			}
		}
		if (words > RIVAMSG_MAX_WORDS)
			abort();
		if ((s = rivamsg_partial_text(&r)) == NULL)
			abort();
		free(s);
		if (rivasrv_encode_response(&r, &buf, &len) != ERR_OK)
			abort();
		if (rivamsg_decode_response(buf, len, &again) != ERR_OK)
			abort();
		check_same(&r, &again);
		rivamsg_response_clear(&again);
		free(buf);
		rivamsg_response_clear(&r);
	}
	if (rivasrv_decode_request(data, size, &req) == ERR_OK) {
		if (req.kind == RIVASRV_REQ_AUDIO && req.audio == NULL)
			abort();
		rivasrv_request_clear(&req);
	}
	(void)rivamsg_decode_health_response(data, size, &h);
	if (rivamsg_decode_models_response(data, size, &models) == ERR_OK) {
		if (models.n > RIVAMSG_MAX_MODELS)
			abort();
		for (i = 0; i < models.n; i++)
			if (models.v[i].name == NULL ||
			    models.v[i].name[0] == '\0' ||
			    strlen(models.v[i].name) > RIVAMSG_MAX_MODEL_LEN)
				abort();
		rivamsg_models_clear(&models);
	}
	return 0;
}
