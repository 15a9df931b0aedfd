/*
 * wavhead.h: the RIFF/WAVE header an AudioCodes client puts in front of
 * its audio when its start says "format":"wav" (VoiceAI Connect's
 * sttPreferWave).  Riva gets the PCM samples only, so the bridge reads the
 * header off the start of the stream: the chunks up to "data", whose body
 * is the audio.  Headers from streaming writers are accepted: the RIFF and
 * data sizes are ignored (they are often 0 or 0xFFFFFFFF).
 */
#ifndef WAVHEAD_H
#define WAVHEAD_H

#include <stddef.h>

#define WAVHEAD_MAX	4096	/* longest header accepted, bytes */

enum wavhead_result {
	WAVHEAD_MORE,		/* no "data" chunk yet: read more */
	WAVHEAD_OK,		/* *out filled */
	WAVHEAD_BAD		/* not a WAV header we can use; why says */
};

struct wavhead {
	unsigned	 format;	/* 1 = PCM (also from EXTENSIBLE) */
	unsigned	 channels;
	unsigned	 rate;		/* Hz */
	unsigned	 bits;		/* per sample */
	size_t		 data_offset;	/* audio starts here */
};

/*
 * Parse the first len bytes of a stream.  WAVHEAD_MORE means every byte so
 * far is a plausible header and the "data" chunk has not begun (len is
 * then below WAVHEAD_MAX: beyond it the answer is WAVHEAD_BAD).  Format
 * checks (PCM, 16-bit, mono, rate) are the caller's: WAVHEAD_OK only says
 * the header is well formed.
 */
enum wavhead_result wavhead_parse(const unsigned char *buf, size_t len,
	    struct wavhead *out, char *why, size_t whylen);

#endif /* WAVHEAD_H */
