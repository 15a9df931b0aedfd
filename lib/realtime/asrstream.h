/*
 * asrstream.h: the rules of one recognition stream of audio-recognizer,
 * apart from the speech engine and from gRPC.
 *
 * audio-recognizer (asr/) answers Riva's StreamingRecognize with
 * PocketSphinx.  What does not depend on either lives here, without I/O,
 * so the unit tests can drive it: which stream configs are accepted (only
 * what the engine can decode), when an interim result is due and when an
 * utterance ends (from the engine's voice-activity flag, fed after every
 * piece of audio), and how the engine's words become result words (fillers
 * dropped, alternative-pronunciation marks cut, frames turned into ms).
 */
#ifndef ASRSTREAM_H
#define ASRSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "rivasrv.h"

#define ASRSTREAM_RATE		16000	/* the only sample rate accepted */
#define ASRSTREAM_ENCODING	1	/* riva_audio.proto LINEAR_PCM */

/*
 * Check the first request of a stream.  Returns 0 when the engine can
 * decode what it announces, else -1 with a one-line reason in msg (always
 * NUL-terminated when len > 0), for an INVALID_ARGUMENT status: encoding
 * other than LINEAR_PCM, a sample rate other than 16000 Hz, more than one
 * channel, a language other than `language` (empty = accepted) or a model
 * other than `model` (empty = accepted).  Comparisons of language and
 * model ignore case.
 */
int	asrstream_check_config(const struct rivasrv_request *req,
	    const char *model, const char *language, char *msg, size_t len);

/* What the caller should do after a piece of audio. */
enum asrstream_step {
	ASRSTREAM_NONE = 0,
	ASRSTREAM_PARTIAL,	/* ask the engine for its hypothesis */
	ASRSTREAM_FINAL,	/* end the utterance, send its words */
};

struct asrstream {
	uint64_t	 samples;	/* audio fed so far */
	uint64_t	 utt_start;	/* samples when the utterance began */
	uint64_t	 last_partial;	/* samples at the last partial step */
	uint64_t	 partial_every;	/* samples */
	uint64_t	 max_utt;	/* samples; then the utterance is cut */
	int		 in_utt;
	int		 forced;	/* the last FINAL was a cut */
};

/* Start a stream: a partial every partial_ms of speech, an utterance cut
 * after max_utt_ms even if the speech goes on (so noise that keeps the
 * voice-activity flag up cannot grow one without bound). */
void	asrstream_init(struct asrstream *, int partial_ms, int max_utt_ms);

/*
 * Account for nsamples more samples, after which the engine's voice
 * activity flag is in_speech.  An utterance begins when the flag goes up
 * and ends (ASRSTREAM_FINAL) when it goes down or lasts max_utt; while it
 * lasts, ASRSTREAM_PARTIAL comes once every partial_every samples.
 */
enum asrstream_step asrstream_feed(struct asrstream *, size_t nsamples,
	    int in_speech);

/* At the end of the audio: ASRSTREAM_FINAL if an utterance is open (it
 * is closed), else ASRSTREAM_NONE. */
enum asrstream_step asrstream_finish(struct asrstream *);

/*
 * Turn an engine word into a result word in out (NUL-terminated): "<s>",
 * "</s>", "<sil>", "[NOISE]"-style and "++GARBAGE++"-style fillers give
 * 0 (no word); "read(2)" gives "read".  Returns the length written, or 0
 * also when out is too small.
 */
size_t	asrstream_word(const char *engine_word, char *out, size_t outlen);

/* Milliseconds at the start of frame `frame` at `frate` frames a second
 * (PocketSphinx: 100), clamped to int32. */
int32_t	asrstream_frame_ms(int frame, int frate);

#endif /* ASRSTREAM_H */
