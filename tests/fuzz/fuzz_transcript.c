/*
 * fuzz_transcript.c: libFuzzer target for lib/realtime/transcript.c.
 *
 * The input is a script of events separated by newlines: the first byte
 * of each line picks the event (partial, final or tick) and how far the
 * clock moves, the rest is the result text (Riva's text is untrusted).
 * Invariants checked after every event: the stable text stays within the
 * window plus one result, is NUL-terminated and has no leading, trailing
 * or double space; the suffix lies inside the current partial and
 * pending_tokens counts its words; a final has no suffix; segment ids
 * never go down; dropped bytes never go down.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transcript.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check(const struct transcript *t, const struct transcript_view *v,
    uint32_t *seg, uint64_t *dropped)
{
	size_t i, words = 0;

	if (v->stable_len > t->window + 1 + TRANSCRIPT_MAX_TEXT ||
	    v->stable[v->stable_len] != '\0' || strlen(v->stable) >
	    v->stable_len)
		abort();
	if (v->stable_len > 0 && (v->stable[0] == ' ' ||
	    v->stable[v->stable_len - 1] == ' '))
		abort();
	for (i = 1; i < v->stable_len; i++)
		if (v->stable[i] == ' ' && v->stable[i - 1] == ' ')
			abort();
	if (v->is_final && (v->suffix_len != 0 || v->pending_tokens != 0))
		abort();
	if (v->suffix_len > 0) {
		if (v->suffix < t->cur || v->suffix + v->suffix_len !=
		    t->cur + t->cur_len || v->suffix[0] == ' ')
			abort();
		for (i = 0, words = 1; i < v->suffix_len; i++)
			words += v->suffix[i] == ' ';
	}
	if (words != v->pending_tokens)
		abort();
	if (v->segment_id < *seg || v->dropped_bytes < *dropped)
		abort();
	*seg = v->segment_id;
	*dropped = v->dropped_bytes;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transcript t;
	struct transcript_view v;
	const uint8_t *p = data, *end = data + size, *nl;
	uint64_t dropped = 0;
	uint32_t seg = 0;
	int64_t now = 0;
	unsigned op;

	transcript_init(&t, LIMIT_DISPLAY_STABLE_MIN, 0, 0);
	while (p < end) {
		op = *p++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		now += (int64_t)(op >> 2) * 100;
		switch (op & 3) {
		case 0:
		case 1:
			if (transcript_partial(&t, (const char *)p,
			    (size_t)(nl - p), now, &v) != ERR_OK)
				abort();
			fuzz_check(&t, &v, &seg, &dropped);
			break;
		case 2:
			if (transcript_final(&t, (const char *)p,
			    (size_t)(nl - p), now, &v) != ERR_OK)
				abort();
			fuzz_check(&t, &v, &seg, &dropped);
			break;
		default:
			if (transcript_tick(&t, now, &v))
				fuzz_check(&t, &v, &seg, &dropped);
			break;
		}
		p = nl < end ? nl + 1 : end;
	}
	transcript_free(&t);
	return 0;
}
