/*
 * fuzz_wsproto.c: libFuzzer target for lib/realtime/wsproto.c.
 *
 * The first byte picks the connection's current dialect; the rest is a
 * client text frame for wsproto_parse().  Invariants checked: a failure
 * always leaves a reason; success yields a known kind in a dialect
 * compatible with the current one, start settings within the limits; and
 * every renderer turns whatever strings the parse produced (and the raw
 * input itself, as hostile result text) into output that fits or fails
 * cleanly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wsproto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char fuzz_out[64 * 1024];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wsproto_msg m;
	struct wsproto_display d;
	struct wsproto_result r;
	struct wsproto_word w;
	enum wsproto_dialect cur;
	char why[256], *text;
	size_t len, i;
	enum err e;

	if (size == 0)
		return 0;
	cur = (enum wsproto_dialect)(data[0] % 3);
	e = wsproto_parse(cur, (const char *)data + 1, size - 1, &m, why,
	    sizeof(why));
	if (e != ERR_OK) {
		if (why[0] == '\0')
			abort();
	} else {
		if (m.kind < WSPROTO_START || m.kind > WSPROTO_GET_METRICS)
			abort();
		if (cur != WSPROTO_NONE && m.dialect != cur)
			abort();
		if (m.kind == WSPROTO_START &&
		    (m.start.sample_rate < LIMIT_WS_RATE_MIN ||
		    m.start.sample_rate > LIMIT_WS_RATE_MAX ||
		    m.start.nhotwords > LIMIT_WS_HOTWORDS ||
		    strlen(m.start.language) == 0 ||
		    (m.start.messages & ~(unsigned)WSPROTO_MSG_ALL) != 0))
			abort();
		for (i = 0; m.kind == WSPROTO_START && i < m.start.nhotwords;
		    i++)
			if (strlen(m.start.hotwords[i]) > LIMIT_WS_HOTWORD_BYTES)
				abort();
	}
	/* The input as hostile result text: must render to valid bounds. */
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	w.word = text;
	w.start_ms = -1;
	w.end_ms = INT64_MAX;
	w.confidence = 0.5f;
	memset(&r, 0, sizeof(r));
	r.is_final = data[0] & 1;
	r.text = text;
	r.words = &w;
	r.nwords = 1;
	for (cur = WSPROTO_BRIDGE; cur <= WSPROTO_AUDIOCODES; cur++) {
		e = wsproto_render_result(fuzz_out, sizeof(fuzz_out), &len, cur,
		    0, &r);
		if (e == ERR_OK && (len >= sizeof(fuzz_out) ||
		    strlen(fuzz_out) != len))
			abort();
		e = wsproto_render_error(fuzz_out, sizeof(fuzz_out), &len, cur,
		    0, ERR_FIELD, text);
		if (e == ERR_OK && strlen(fuzz_out) != len)
			abort();
		e = wsproto_render_stopped(fuzz_out, sizeof(fuzz_out), &len,
		    cur, 0, text, text);
		if (e == ERR_OK && strlen(fuzz_out) != len)
			abort();
		/* a ping's stamp, whatever the parse kept */
		e = wsproto_render_pong(fuzz_out, sizeof(fuzz_out), &len, cur,
		    0, &m.stamp);
		if (e == ERR_OK && strlen(fuzz_out) != len)
			abort();
	}
	memset(&d, 0, sizeof(d));
	d.stable_text = text;
	d.stable_len = strlen(text);
	d.partial_suffix = text;
	d.suffix_len = size - 1;	/* NULs inside are escaped, not cut */
	d.reason = "partial";
	e = wsproto_render_display(fuzz_out, sizeof(fuzz_out), &len, 0, &d);
	if (e == ERR_OK && strlen(fuzz_out) != len)
		abort();
	free(text);
	return 0;
}
