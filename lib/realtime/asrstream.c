/*
 * asrstream.c: the engine-independent rules of a recognition stream in
 * audio-recognizer (see asrstream.h).  No I/O, no allocation.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "asrstream.h"

int
asrstream_check_config(const struct rivasrv_request *req, const char *model,
    const char *language, char *msg, size_t len)
{
	if (req->encoding != ASRSTREAM_ENCODING) {
		snprintf(msg, len, "encoding %d is not supported: only "
		    "LINEAR_PCM (16-bit signed little-endian) at %d Hz, mono",
		    (int)req->encoding, ASRSTREAM_RATE);
		return -1;
	}
	if (req->sample_rate_hz != ASRSTREAM_RATE) {
		snprintf(msg, len, "sample_rate_hertz %d is not supported: "
		    "only %d Hz (the acoustic model's rate)",
		    (int)req->sample_rate_hz, ASRSTREAM_RATE);
		return -1;
	}
	if (req->audio_channel_count > 1) {
		snprintf(msg, len, "audio_channel_count %d is not supported: "
		    "only mono", (int)req->audio_channel_count);
		return -1;
	}
	if (language != NULL && req->language != NULL &&
	    req->language[0] != '\0' &&
	    strcasecmp(req->language, language) != 0) {
		snprintf(msg, len, "language_code '%.40s' is not served: "
		    "only %s", req->language, language);
		return -1;
	}
	if (model != NULL && req->model != NULL && req->model[0] != '\0' &&
	    strcasecmp(req->model, model) != 0) {
		snprintf(msg, len, "model '%.80s' is not served: only %s",
		    req->model, model);
		return -1;
	}
	if (len > 0)
		msg[0] = '\0';
	return 0;
}

void
asrstream_init(struct asrstream *s, int partial_ms, int max_utt_ms)
{
	memset(s, 0, sizeof(*s));
	s->partial_every = (uint64_t)(partial_ms > 0 ? partial_ms : 1) *
	    ASRSTREAM_RATE / 1000;
	s->max_utt = (uint64_t)(max_utt_ms > 0 ? max_utt_ms : 1) *
	    ASRSTREAM_RATE / 1000;
}

enum asrstream_step
asrstream_feed(struct asrstream *s, size_t nsamples, int in_speech)
{
	s->samples += nsamples;
	s->forced = 0;
	if (!s->in_utt) {
		if (!in_speech)
			return ASRSTREAM_NONE;
		s->in_utt = 1;
		s->utt_start = s->last_partial = s->samples;
		return ASRSTREAM_NONE;
	}
	if (!in_speech) {
		s->in_utt = 0;
		return ASRSTREAM_FINAL;
	}
	if (s->samples - s->utt_start >= s->max_utt) {
		/* The engine still hears speech: the next piece of audio
		 * opens a new utterance. */
		s->in_utt = 0;
		s->forced = 1;
		return ASRSTREAM_FINAL;
	}
	if (s->samples - s->last_partial >= s->partial_every) {
		s->last_partial = s->samples;
		return ASRSTREAM_PARTIAL;
	}
	return ASRSTREAM_NONE;
}

enum asrstream_step
asrstream_finish(struct asrstream *s)
{
	if (!s->in_utt)
		return ASRSTREAM_NONE;
	s->in_utt = 0;
	return ASRSTREAM_FINAL;
}

size_t
asrstream_word(const char *w, char *out, size_t outlen)
{
	size_t n;

	if (outlen > 0)
		out[0] = '\0';
	if (w == NULL || outlen == 0)
		return 0;
	n = strlen(w);
	/* <s>, </s>, <sil>; [NOISE], [BREATH]; ++GARBAGE++ */
	if (n == 0 || w[0] == '<' || w[0] == '[' ||
	    (n >= 2 && w[0] == '+' && w[1] == '+'))
		return 0;
	/* "read(2)": the second pronunciation of "read" */
	if (w[n - 1] == ')') {
		const char *p = strrchr(w, '(');
		size_t i;

		if (p != NULL && p > w) {
			for (i = (size_t)(p - w) + 1; i < n - 1; i++)
				if (!isdigit((unsigned char)w[i]))
					break;
			if (i == n - 1 && (size_t)(p - w) + 1 < n - 1)
				n = (size_t)(p - w);
		}
	}
	if (n >= outlen)
		return 0;
	memcpy(out, w, n);
	out[n] = '\0';
	return n;
}

int32_t
asrstream_frame_ms(int frame, int frate)
{
	long long ms;

	if (frame <= 0 || frate <= 0)
		return 0;
	ms = (long long)frame * 1000 / frate;
	return ms > INT32_MAX ? INT32_MAX : (int32_t)ms;
}
