/*
 * wavhead.c: read the RIFF/WAVE header off the start of an audio stream
 * (see wavhead.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wavhead.h"

#define WAVE_FORMAT_PCM		0x0001
#define WAVE_FORMAT_EXTENSIBLE	0xfffe

static uint32_t
wavhead_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static unsigned
wavhead_le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static enum wavhead_result
wavhead_bad(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum wavhead_result
wavhead_bad(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return WAVHEAD_BAD;
}

/* Read the "fmt " chunk body (size bytes at p). */
static enum wavhead_result
wavhead_fmt(const unsigned char *p, uint32_t size, struct wavhead *out,
    char *why, size_t whylen)
{
	if (size < 16)
		return wavhead_bad(why, whylen,
		    "WAV header: fmt chunk of %u bytes is too short",
		    (unsigned)size);
	out->format = wavhead_le16(p);
	out->channels = wavhead_le16(p + 2);
	out->rate = (unsigned)wavhead_le32(p + 4);
	out->bits = wavhead_le16(p + 14);
	/* WAVE_FORMAT_EXTENSIBLE: the real format is the GUID's first two
	 * bytes, after cbSize, valid bits and the channel mask. */
	if (out->format == WAVE_FORMAT_EXTENSIBLE) {
		if (size < 40)
			return wavhead_bad(why, whylen, "WAV header: "
			    "extensible fmt chunk of %u bytes is too short",
			    (unsigned)size);
		out->format = wavhead_le16(p + 24);
	}
	return WAVHEAD_OK;
}

enum wavhead_result
wavhead_parse(const unsigned char *buf, size_t len, struct wavhead *out,
    char *why, size_t whylen)
{
	size_t off = 12, body;
	uint32_t size;
	int have_fmt = 0;

	memset(out, 0, sizeof(*out));
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	/* Every byte seen so far must agree with "RIFF....WAVE". */
	if (memcmp(buf, "RIFF", len < 4 ? len : 4) != 0 ||
	    (len > 8 && memcmp(buf + 8, "WAVE", len - 8 < 4 ? len - 8 : 4)
	    != 0))
		return wavhead_bad(why, whylen,
		    "audio does not start with a RIFF/WAVE header");
	for (;;) {
		if (off + 8 > len)
			break;
		size = wavhead_le32(buf + off + 4);
		if (memcmp(buf + off, "data", 4) == 0) {
			if (!have_fmt)
				return wavhead_bad(why, whylen,
				    "WAV header: data chunk before fmt");
			out->data_offset = off + 8;
			return WAVHEAD_OK;
		}
		/* Chunk bodies are padded to an even length. */
		body = (size_t)size + (size & 1);
		if (body > WAVHEAD_MAX || off + 8 + body > WAVHEAD_MAX)
			return wavhead_bad(why, whylen, "WAV header: no data "
			    "chunk within %d bytes", WAVHEAD_MAX);
		if (off + 8 + body > len)
			break;
		if (memcmp(buf + off, "fmt ", 4) == 0) {
			if (wavhead_fmt(buf + off + 8, size, out, why,
			    whylen) != WAVHEAD_OK)
				return WAVHEAD_BAD;
			have_fmt = 1;
		}
		off += 8 + body;
	}
	if (len >= WAVHEAD_MAX)
		return wavhead_bad(why, whylen,
		    "WAV header: no data chunk within %d bytes", WAVHEAD_MAX);
	return WAVHEAD_MORE;
}
