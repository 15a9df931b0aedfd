/*
 * fuzz_wavhead.c: libFuzzer target for lib/realtime/wavhead.c.
 *
 * The input is the start of an audio stream.  Invariants checked: the
 * result is one of the three; WAVHEAD_OK puts the audio inside the input,
 * after at least the RIFF header and one chunk header, and parsing just
 * that much again gives the same answer; WAVHEAD_MORE only below
 * WAVHEAD_MAX bytes; WAVHEAD_BAD always says why.
 */
#include <stdint.h>
#include <stdlib.h>

#include "wavhead.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wavhead w, again;
	char why[160];

	switch (wavhead_parse(data, size, &w, why, sizeof(why))) {
	case WAVHEAD_OK:
		if (w.data_offset < 20 || w.data_offset > size ||
		    w.data_offset > WAVHEAD_MAX)
			abort();
		if (wavhead_parse(data, w.data_offset, &again, NULL, 0) !=
		    WAVHEAD_OK || again.data_offset != w.data_offset ||
		    again.rate != w.rate || again.format != w.format)
			abort();
		break;
	case WAVHEAD_MORE:
		if (size >= WAVHEAD_MAX)
			abort();
		break;
	case WAVHEAD_BAD:
		if (why[0] == '\0')
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
