/*
 * decoder.c: PocketSphinx behind audio-recognizer's streams.
 *
 * One decoder (the acoustic model, language model and dictionary loaded
 * by ps_init(), about a second and 100 MB each) serves one stream at a
 * time; PocketSphinx 0.8+5prealpha (Debian 12) cannot share the models
 * between decoders.  Decoders are made when a stream first needs one and
 * kept for the next stream, so at most max_streams ever exist.
 *
 * Audio goes in 20 ms pieces so the voice-activity flag
 * (ps_get_in_speech()) is looked at often; lib/realtime/asrstream.c turns its
 * transitions into utterances: ps_get_hyp() for interim results on an
 * interval, ps_end_utt() and the word segments for a final.  Word times
 * are the decoder's frame numbers, which count the whole stream
 * (ps_start_stream() at each new stream), silence included.  Each stream
 * starts from the same normalisation, so a decoder's history does not
 * change what the next stream gets.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>

#include "asr.h"
#include "asrstream.h"
#include "limit.h"
#include "log.h"
#include "xalloc.h"

#define DECODER_PIECE	320	/* samples: 20 ms at 16 kHz */

struct decoder {
	struct decoder	*next;		/* idle list */
	ps_decoder_t	*ps;
	int		 frate;		/* frames per second (-frate) */
	int		 utt_open;	/* ps_start_utt() without end */
	int		 partial_ms, max_utt_ms;
	struct asrstream st;
	mfcc_t		*cmn0;		/* the CMN estimate after loading */
	int16_t		 piece[DECODER_PIECE];	/* samples not yet fed */
	size_t		 npiece;
	char		*last_partial;	/* malloc'd; "" at first */
	/* the final being built */
	char		*text;
	size_t		 textlen, textcap;
	struct rivamsg_word *words;
	size_t		 nwords;
};

static pthread_mutex_t decoder_lock = PTHREAD_MUTEX_INITIALIZER;
static struct decoder *decoder_idle;
static int decoder_count, decoder_max;
static const struct asr_conf *decoder_conf;

static cmn_t *
decoder_cmn(struct decoder *d)
{
	return ps_get_feat(d->ps)->cmn_struct;
}

struct decoder *
decoder_new(const struct asr_conf *cf, char *errbuf, size_t errlen)
{
	struct decoder *d = NULL;
	cmd_ln_t *cmd;
	static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

	/*
	 * sphinxbase logs through one global FILE; keep it shut (NULL) and
	 * make one decoder at a time, as ps_init() was not written for
	 * threads.
	 */
	pthread_mutex_lock(&init_lock);
	err_set_logfp(NULL);
	cmd = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", cf->hmm_dir,
	    "-lm", cf->lm_file, "-dict", cf->dict_file, NULL);
	if (cmd == NULL) {
		snprintf(errbuf, errlen, "PocketSphinx refused its arguments");
		goto out;
	}
	d = xcalloc(1, sizeof(*d));
	if ((d->ps = ps_init(cmd)) == NULL) {
		snprintf(errbuf, errlen, "PocketSphinx cannot load the models "
		    "(hmm_dir %s, lm_file %s, dict_file %s)", cf->hmm_dir,
		    cf->lm_file, cf->dict_file);
		free(d);
		d = NULL;
		goto out;
	}
	d->frate = (int)cmd_ln_int32_r(ps_get_config(d->ps), "-frate");
	if (d->frate <= 0)
		d->frate = 100;
	/*
	 * Live cepstral mean normalisation adapts to the audio; keep its
	 * starting point, so every stream starts from it (a stream's words
	 * do not depend on what the decoder heard before).
	 */
	d->cmn0 = xcalloc((size_t)decoder_cmn(d)->veclen,
	    sizeof(*d->cmn0));
	cmn_live_get(decoder_cmn(d), d->cmn0);
	d->partial_ms = (int)cf->partial_interval;
	d->max_utt_ms = (int)cf->max_utterance;
	d->last_partial = xcalloc(1, 1);
	d->words = xcalloc(LIMIT_RIVA_WORDS, sizeof(*d->words));
out:
	if (cmd != NULL)
		cmd_ln_free_r(cmd);	/* ps_init() took its own reference */
	pthread_mutex_unlock(&init_lock);
	return d;
}

static void
decoder_clear_words(struct decoder *d)
{
	size_t i;

	for (i = 0; i < d->nwords; i++)
		free(d->words[i].word);
	d->nwords = 0;
	d->textlen = 0;
	if (d->text != NULL)
		d->text[0] = '\0';
}

void
decoder_free(struct decoder *d)
{
	if (d == NULL)
		return;
	if (d->utt_open)
		ps_end_utt(d->ps);
	decoder_clear_words(d);
	ps_free(d->ps);
	free(d->words);
	free(d->cmn0);
	free(d->text);
	free(d->last_partial);
	free(d);
}

void
decoder_begin(struct decoder *d)
{
	if (d->utt_open)
		ps_end_utt(d->ps);	/* the last stream was cut off */
	cmn_live_set(decoder_cmn(d), d->cmn0);
	ps_start_stream(d->ps);
	d->utt_open = ps_start_utt(d->ps) == 0;
	asrstream_init(&d->st, d->partial_ms, d->max_utt_ms);
	d->last_partial[0] = '\0';
	d->npiece = 0;
	decoder_clear_words(d);
}

double
decoder_seconds(const struct decoder *d)
{
	return (double)d->st.samples / ASRSTREAM_RATE;
}

static float
decoder_prob(struct decoder *d, int32 logprob)
{
	float p = (float)logmath_exp(ps_get_logmath(d->ps), logprob);

	return p < 0 ? 0 : p > 1 ? 1 : p;
}

static void
decoder_append(struct decoder *d, const char *w, size_t n)
{
	size_t need = d->textlen + n + 2;

	if (need > LIMIT_RIVA_TEXT)
		return;
	if (need > d->textcap) {
		d->textcap = need * 2 < LIMIT_RIVA_TEXT ? need * 2 :
		    LIMIT_RIVA_TEXT;
		d->text = xrealloc(d->text, d->textcap);
	}
	if (d->textlen > 0)
		d->text[d->textlen++] = ' ';
	memcpy(d->text + d->textlen, w, n);
	d->textlen += n;
	d->text[d->textlen] = '\0';
}

/* End the utterance and emit its words as one final result (nothing when
 * it held no words: silence, a cough). */
static void
decoder_final(struct decoder *d, int reopen, decoder_emit_fn *emit,
    void *arg)
{
	struct rivamsg_response resp;
	struct rivamsg_result res;
	struct rivamsg_alternative alt;
	ps_seg_t *seg;
	char w[256];
	size_t n, i;
	int sf, ef;
	int32 score;

	if (d->utt_open) {
		ps_end_utt(d->ps);
		d->utt_open = 0;
	}
	decoder_clear_words(d);
	(void)ps_get_hyp(d->ps, &score);
	for (seg = ps_seg_iter(d->ps); seg != NULL; seg = ps_seg_next(seg)) {
		if ((n = asrstream_word(ps_seg_word(seg), w, sizeof(w))) == 0)
			continue;
		if (d->nwords == LIMIT_RIVA_WORDS)
			continue;	/* ps_seg_next() frees the iterator */
		ps_seg_frames(seg, &sf, &ef);
		d->words[d->nwords].word = xstrdup(w);
		d->words[d->nwords].start_ms = asrstream_frame_ms(sf,
		    d->frate);
		d->words[d->nwords].end_ms = asrstream_frame_ms(ef + 1,
		    d->frate);
		d->words[d->nwords].confidence = decoder_prob(d,
		    ps_seg_prob(seg, NULL, NULL, NULL));
		d->nwords++;
		decoder_append(d, w, n);
	}
	if (d->nwords > 0) {
		memset(&resp, 0, sizeof(resp));
		memset(&res, 0, sizeof(res));
		memset(&alt, 0, sizeof(alt));
		alt.transcript = d->text;
		/* the mean of the words' posteriors: ps_get_prob() is the
		 * whole utterance's, which is near 0 for any long one */
		for (i = 0; i < d->nwords; i++)
			alt.confidence += d->words[i].confidence;
		alt.confidence /= (float)d->nwords;
		alt.words = d->words;
		alt.nwords = d->nwords;
		res.is_final = 1;
		res.audio_processed = (float)decoder_seconds(d);
		res.alts = &alt;
		res.nalts = 1;
		resp.results = &res;
		resp.nresults = 1;
		emit(arg, &resp);
	}
	decoder_clear_words(d);
	d->last_partial[0] = '\0';
	if (reopen)
		d->utt_open = ps_start_utt(d->ps) == 0;
}

static void
decoder_partial(struct decoder *d, decoder_emit_fn *emit, void *arg)
{
	struct rivamsg_response resp;
	struct rivamsg_result res;
	struct rivamsg_alternative alt;
	const char *hyp = ps_get_hyp(d->ps, NULL);
	char *copy;

	if (hyp == NULL || hyp[0] == '\0' ||
	    strcmp(hyp, d->last_partial) == 0)
		return;
	if (strlen(hyp) >= LIMIT_RIVA_TEXT)
		return;
	copy = xstrdup(hyp);
	free(d->last_partial);
	d->last_partial = copy;
	memset(&resp, 0, sizeof(resp));
	memset(&res, 0, sizeof(res));
	memset(&alt, 0, sizeof(alt));
	alt.transcript = copy;
	res.stability = 0.5f;	/* may still change, as Riva's interims */
	res.audio_processed = (float)decoder_seconds(d);
	res.alts = &alt;
	res.nalts = 1;
	resp.results = &res;
	resp.nresults = 1;
	emit(arg, &resp);
}

/* Feed one piece and act on the voice-activity flag after it. */
static void
decoder_piece(struct decoder *d, const int16_t *pcm, size_t k,
    decoder_emit_fn *emit, void *arg)
{
	if (!d->utt_open)
		d->utt_open = ps_start_utt(d->ps) == 0;
	if (ps_process_raw(d->ps, pcm, k, 0, 0) < 0) {
		log_warn("ps_process_raw failed; audio skipped");
		return;
	}
	switch (asrstream_feed(&d->st, k, ps_get_in_speech(d->ps) != 0)) {
	case ASRSTREAM_PARTIAL:
		decoder_partial(d, emit, arg);
		break;
	case ASRSTREAM_FINAL:
		decoder_final(d, 1, emit, arg);
		break;
	case ASRSTREAM_NONE:
		break;
	}
}

/*
 * The pieces are cut at the same places whatever the network did (20 ms
 * from the start of the stream, a short rest kept for the next call), so
 * the same audio gives the same words whether it came in real time or at
 * once: where the flag is looked at moves the ends of utterances.
 */
void
decoder_feed(struct decoder *d, const int16_t *pcm, size_t n, int eof,
    decoder_emit_fn *emit, void *arg)
{
	size_t k;

	while (n > 0) {
		if (d->npiece == 0 && n >= DECODER_PIECE) {
			decoder_piece(d, pcm, DECODER_PIECE, emit, arg);
			pcm += DECODER_PIECE;
			n -= DECODER_PIECE;
			continue;
		}
		k = DECODER_PIECE - d->npiece < n ? DECODER_PIECE - d->npiece :
		    n;
		memcpy(d->piece + d->npiece, pcm, k * sizeof(*pcm));
		d->npiece += k;
		pcm += k;
		n -= k;
		if (d->npiece == DECODER_PIECE) {
			decoder_piece(d, d->piece, DECODER_PIECE, emit, arg);
			d->npiece = 0;
		}
	}
	if (eof) {
		if (d->npiece > 0) {
			decoder_piece(d, d->piece, d->npiece, emit, arg);
			d->npiece = 0;
		}
		if (asrstream_finish(&d->st) == ASRSTREAM_FINAL)
			decoder_final(d, 0, emit, arg);
		else if (d->utt_open) {
			ps_end_utt(d->ps);
			d->utt_open = 0;
		}
	}
}

/* ------------------------------------------------------------ the pool */

void
decoder_pool_init(const struct asr_conf *cf)
{
	decoder_conf = cf;
	decoder_max = (int)cf->max_streams;
}

struct decoder *
decoder_pool_get(void)
{
	struct decoder *d;
	char err[512];

	pthread_mutex_lock(&decoder_lock);
	if ((d = decoder_idle) != NULL) {
		decoder_idle = d->next;
		d->next = NULL;
		pthread_mutex_unlock(&decoder_lock);
		return d;
	}
	if (decoder_count >= decoder_max) {
		/* cannot happen: streams are bounded by max_streams too */
		pthread_mutex_unlock(&decoder_lock);
		log_error("no decoder left (max_streams %d)", decoder_max);
		return NULL;
	}
	decoder_count++;
	pthread_mutex_unlock(&decoder_lock);
	if ((d = decoder_new(decoder_conf, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		pthread_mutex_lock(&decoder_lock);
		decoder_count--;
		pthread_mutex_unlock(&decoder_lock);
		return NULL;
	}
	log_info("decoder %d of at most %d loaded", decoder_count,
	    decoder_max);
	return d;
}

void
decoder_pool_put(struct decoder *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&decoder_lock);
	d->next = decoder_idle;
	decoder_idle = d;
	pthread_mutex_unlock(&decoder_lock);
}

void
decoder_pool_free(void)
{
	struct decoder *d;

	pthread_mutex_lock(&decoder_lock);
	while ((d = decoder_idle) != NULL) {
		decoder_idle = d->next;
		decoder_count--;
		decoder_free(d);
	}
	pthread_mutex_unlock(&decoder_lock);
}
