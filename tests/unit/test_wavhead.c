/*
 * test_wavhead.c: reading the WAV header off an AudioCodes audio stream.
 */
#include <stdint.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "wavhead.h"

/* A canonical 44-byte header: PCM, mono, 16 kHz, 16-bit, data size sz. */
static size_t
canonical(unsigned char *b, unsigned rate, unsigned channels, unsigned bits,
    uint32_t sz)
{
	unsigned block = channels * bits / 8;

	memcpy(b, "RIFF", 4);
	b[4] = b[5] = b[6] = b[7] = 0xff;	/* streaming: unknown size */
	memcpy(b + 8, "WAVEfmt ", 8);
	b[16] = 16; b[17] = b[18] = b[19] = 0;
	b[20] = 1; b[21] = 0;			/* PCM */
	b[22] = (unsigned char)channels; b[23] = 0;
	b[24] = rate & 0xff; b[25] = (rate >> 8) & 0xff;
	b[26] = (rate >> 16) & 0xff; b[27] = 0;
	b[28] = (rate * block) & 0xff; b[29] = ((rate * block) >> 8) & 0xff;
	b[30] = ((rate * block) >> 16) & 0xff; b[31] = 0;
	b[32] = (unsigned char)block; b[33] = 0;
	b[34] = (unsigned char)bits; b[35] = 0;
	memcpy(b + 36, "data", 4);
	b[40] = sz & 0xff; b[41] = (sz >> 8) & 0xff;
	b[42] = (sz >> 16) & 0xff; b[43] = (sz >> 24) & 0xff;
	return 44;
}

static void
test_wavhead_canonical_header(void)
{
	unsigned char b[64];
	struct wavhead w;
	char why[128];
	size_t n = canonical(b, 16000, 1, 16, 0);

	CU_ASSERT_EQUAL(wavhead_parse(b, n, &w, why, sizeof(why)), WAVHEAD_OK);
	CU_ASSERT_EQUAL(w.format, 1);
	CU_ASSERT_EQUAL(w.channels, 1);
	CU_ASSERT_EQUAL(w.rate, 16000);
	CU_ASSERT_EQUAL(w.bits, 16);
	CU_ASSERT_EQUAL(w.data_offset, 44);
	/* audio after the header changes nothing */
	memset(b + n, 0x55, 20);
	CU_ASSERT_EQUAL(wavhead_parse(b, n + 20, &w, why, sizeof(why)),
	    WAVHEAD_OK);
	CU_ASSERT_EQUAL(w.data_offset, 44);
}

/* A header arriving a few bytes at a time is "more" until "data" is in. */
static void
test_wavhead_needs_more_until_data(void)
{
	unsigned char b[64];
	struct wavhead w;
	size_t n = canonical(b, 16000, 1, 16, 3200), k;

	for (k = 0; k < 44; k++)
		CU_ASSERT_EQUAL(wavhead_parse(b, k, &w, NULL, 0), WAVHEAD_MORE);
	CU_ASSERT_EQUAL(wavhead_parse(b, n, &w, NULL, 0), WAVHEAD_OK);
}

/* LIST chunks before data, odd-sized chunks padded, EXTENSIBLE format. */
static void
test_wavhead_other_chunks_and_extensible(void)
{
	unsigned char b[256];
	struct wavhead w;
	size_t n = canonical(b, 8000, 1, 16, 0);

	/* insert "LIST" with a 5-byte body (+1 pad) before "data" */
	memmove(b + 36 + 14, b + 36, 8);
	memcpy(b + 36, "LIST", 4);
	b[40] = 5; b[41] = b[42] = b[43] = 0;
	memcpy(b + 44, "INFOx", 5);
	b[49] = 0;
	n += 14;
	CU_ASSERT_EQUAL(wavhead_parse(b, n, &w, NULL, 0), WAVHEAD_OK);
	CU_ASSERT_EQUAL(w.rate, 8000);
	CU_ASSERT_EQUAL(w.data_offset, 58);

	/* WAVE_FORMAT_EXTENSIBLE: fmt of 40 bytes, the sub-format is PCM */
	memset(b, 0, sizeof(b));
	n = canonical(b, 16000, 1, 16, 0);
	memmove(b + 60, b + 36, 8);
	memset(b + 36, 0, 8);
	b[16] = 40;
	b[20] = 0xfe; b[21] = 0xff;
	b[36] = 22;			/* cbSize */
	b[38] = 16;			/* valid bits */
	b[44] = 1; b[45] = 0;		/* sub-format GUID: PCM */
	CU_ASSERT_EQUAL(wavhead_parse(b, 68, &w, NULL, 0), WAVHEAD_OK);
	CU_ASSERT_EQUAL(w.format, 1);
	CU_ASSERT_EQUAL(w.data_offset, 68);
}

static void
test_wavhead_refuses_what_is_not_a_header(void)
{
	unsigned char b[WAVHEAD_MAX + 64];
	struct wavhead w;
	char why[128];
	size_t n;

	/* raw PCM where a header should be */
	memset(b, 0x11, 64);
	CU_ASSERT_EQUAL(wavhead_parse(b, 64, &w, why, sizeof(why)),
	    WAVHEAD_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "RIFF"));
	CU_ASSERT_EQUAL(wavhead_parse(b, 1, &w, why, sizeof(why)),
	    WAVHEAD_BAD);
	/* RIFF but not WAVE */
	n = canonical(b, 16000, 1, 16, 0);
	memcpy(b + 8, "AVI ", 4);
	CU_ASSERT_EQUAL(wavhead_parse(b, n, &w, NULL, 0), WAVHEAD_BAD);
	CU_ASSERT_EQUAL(wavhead_parse(b, 10, &w, NULL, 0), WAVHEAD_BAD);
	/* data before fmt */
	n = canonical(b, 16000, 1, 16, 0);
	memcpy(b + 12, "data", 4);
	CU_ASSERT_EQUAL(wavhead_parse(b, n, &w, why, sizeof(why)),
	    WAVHEAD_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "before fmt"));
	/* a fmt chunk too short to hold the format */
	n = canonical(b, 16000, 1, 16, 0);
	b[16] = 8;
	memcpy(b + 28, "data", 4);
	CU_ASSERT_EQUAL(wavhead_parse(b, n, &w, why, sizeof(why)),
	    WAVHEAD_BAD);
	/* a chunk that claims more than the header may hold */
	n = canonical(b, 16000, 1, 16, 0);
	memcpy(b + 36, "junk", 4);
	b[40] = 0; b[41] = 0; b[42] = 1; b[43] = 0;	/* 64 KiB */
	CU_ASSERT_EQUAL(wavhead_parse(b, n, &w, why, sizeof(why)),
	    WAVHEAD_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "no data chunk"));
	/* small chunks, but no data within WAVHEAD_MAX bytes */
	n = canonical(b, 16000, 1, 16, 0) - 8;
	while (n + 8 <= sizeof(b)) {
		memcpy(b + n, "pad ", 4);
		memset(b + n + 4, 0, 4);
		n += 8;
	}
	CU_ASSERT_EQUAL(wavhead_parse(b, WAVHEAD_MAX - 1, &w, NULL, 0),
	    WAVHEAD_MORE);
	CU_ASSERT_EQUAL(wavhead_parse(b, WAVHEAD_MAX, &w, why, sizeof(why)),
	    WAVHEAD_BAD);
	CU_ASSERT_EQUAL(wavhead_parse(b, sizeof(b), &w, NULL, 0), WAVHEAD_BAD);
}

int
test_wavhead_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("wavhead", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "canonical header",
	    test_wavhead_canonical_header) == NULL ||
	    CU_add_test(s, "needs more until the data chunk",
	    test_wavhead_needs_more_until_data) == NULL ||
	    CU_add_test(s, "other chunks and the extensible format",
	    test_wavhead_other_chunks_and_extensible) == NULL ||
	    CU_add_test(s, "refuses what is not a header",
	    test_wavhead_refuses_what_is_not_a_header) == NULL)
		return -1;
	return 0;
}
