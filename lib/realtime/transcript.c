/*
 * transcript.c: accumulate Riva's interim and final results into the
 * stable_text / partial_suffix pair of dialect 1 `display` messages (see
 * transcript.h for the rules).
 *
 * Texts are normalised on the way in (words separated by one space, no
 * leading or trailing space), so that "words" are simply the pieces
 * between spaces and comparing two partials word by word is a byte
 * comparison up to a space.  The stable text is one buffer: the history
 * of finals (trimmed from the front to the window), then the words of the
 * current segment already shown as stable, appended as they become so and
 * never rewritten until the segment ends.
 */
#include <stdlib.h>
#include <string.h>

#include "transcript.h"

void
transcript_init(struct transcript *t, size_t window, int64_t flush_ms,
    int64_t cut_ms)
{
	memset(t, 0, sizeof(*t));
	if (window < LIMIT_DISPLAY_STABLE_MIN)
		window = LIMIT_DISPLAY_STABLE_MIN;
	if (window > LIMIT_DISPLAY_STABLE_MAX)
		window = LIMIT_DISPLAY_STABLE_MAX;
	t->window = window;
	t->flush_ms = flush_ms > 0 ? flush_ms : TRANSCRIPT_FLUSH_MS_DEFAULT;
	t->cut_ms = cut_ms > 0 ? cut_ms : TRANSCRIPT_CUT_MS_DEFAULT;
	t->seg_start = -1;
}

void
transcript_free(struct transcript *t)
{
	size_t window = t->window;
	int64_t flush_ms = t->flush_ms, cut_ms = t->cut_ms;

	free(t->stable);
	free(t->cur);
	free(t->tmp);
	transcript_init(t, window, flush_ms, cut_ms);
}

/* Make *buf hold at least need bytes. */
static enum err
transcript_grow(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap > 0 ? *cap : 64;
	char *p;

	if (need <= *cap)
		return ERR_OK;
	while (n < need)
		n *= 2;
	if ((p = realloc(*buf, n)) == NULL)
		return ERR_NOMEM;
	*buf = p;
	*cap = n;
	return ERR_OK;
}

static int
transcript_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v' || c == '\0';
}

/*
 * Normalise text (len bytes) into t->tmp without its first `skip` words,
 * at most TRANSCRIPT_MAX_TEXT bytes (cut after the last whole word that
 * fits).  Returns ERR_OK and the word count in *words.
 */
static enum err
transcript_normalise(struct transcript *t, const char *text, size_t len,
    size_t skip, size_t *words, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, j, n = 0, w = 0, seen = 0;

	if (transcript_grow(&t->tmp, &t->tmp_cap, (len < TRANSCRIPT_MAX_TEXT ?
	    len : TRANSCRIPT_MAX_TEXT) + 1) != ERR_OK)
		return ERR_NOMEM;
	while (i < len) {
		while (i < len && transcript_space(s[i]))
			i++;
		if (i == len)
			break;
		for (j = i; j < len && !transcript_space(s[j]); j++)
			;
		if (seen++ >= skip) {
			if (n + (n > 0) + (j - i) > TRANSCRIPT_MAX_TEXT)
				break;
			if (n > 0)
				t->tmp[n++] = ' ';
			memcpy(t->tmp + n, s + i, j - i);
			n += j - i;
			w++;
		}
		i = j;
	}
	t->tmp[n] = '\0';
	*words = w;
	*outlen = n;
	return ERR_OK;
}

/* Byte offset of word k in a normalised text (len if k is past the end). */
static size_t
transcript_word_at(const char *s, size_t len, size_t k)
{
	size_t i;

	if (k == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == ' ' && --k == 0)
			return i + 1;
	return len;
}

/* How many leading words two normalised texts share. */
static size_t
transcript_common(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0, words = 0;

	for (;;) {
		if (i == alen || i == blen) {
			/* both words end here: a shared word */
			if ((i == alen || a[i] == ' ') &&
			    (i == blen || b[i] == ' ') && i > 0)
				words++;
			return words;
		}
		if (a[i] != b[i])
			return words;
		if (a[i] == ' ')
			words++;
		i++;
	}
}

/* Append n bytes of words to the stable text, after a space if needed. */
static enum err
transcript_append(struct transcript *t, const char *s, size_t n)
{
	size_t sep;

	if (n == 0)
		return ERR_OK;
	sep = t->stable_len > 0;
	if (transcript_grow(&t->stable, &t->stable_cap, t->stable_len + sep +
	    n + 1) != ERR_OK)
		return ERR_NOMEM;
	if (sep)
		t->stable[t->stable_len++] = ' ';
	memcpy(t->stable + t->stable_len, s, n);
	t->stable_len += n;
	t->stable[t->stable_len] = '\0';
	return ERR_OK;
}

/* The current partial's words up to `to` become stable. */
static enum err
transcript_commit(struct transcript *t, size_t to)
{
	size_t a, b;

	if (to > t->cur_words)
		to = t->cur_words;
	if (to <= t->committed)
		return ERR_OK;
	a = transcript_word_at(t->cur, t->cur_len, t->committed);
	b = transcript_word_at(t->cur, t->cur_len, to);
	if (b > a && t->cur[b - 1] == ' ')
		b--;
	/* Words committed from several partials (each revising the last)
	 * could add up past one result; a segment shows at most that much
	 * as stable, the rest stays pending until the final or the cut. */
	if (t->stable_len - t->hist_len + 1 + (b - a) > TRANSCRIPT_MAX_TEXT)
		return ERR_OK;
	if (transcript_append(t, t->cur + a, b - a) != ERR_OK)
		return ERR_NOMEM;
	t->committed = to;
	return ERR_OK;
}

/* Keep at most window bytes of history: drop whole words from the front. */
static void
transcript_trim(struct transcript *t)
{
	size_t p, from;

	if (t->hist_len <= t->window)
		return;
	from = t->hist_len - t->window;
	for (p = from; p < t->hist_len; p++)
		if (t->stable[p - 1] == ' ')
			break;
	if (p == t->hist_len) {
		/* one word longer than the window: cut inside it, on a
		 * UTF-8 character boundary */
		for (p = from; p < t->hist_len &&
		    ((unsigned char)t->stable[p] & 0xc0) == 0x80; p++)
			;
	}
	memmove(t->stable, t->stable + p, t->stable_len - p + 1);
	t->stable_len -= p;
	t->hist_len -= p;
	t->dropped += p;
}

/* The segment is over: the stable text so far is history. */
static void
transcript_end_segment(struct transcript *t, int64_t now_ms)
{
	t->hist_len = t->stable_len;
	transcript_trim(t);
	t->cur_len = 0;
	if (t->cur != NULL)
		t->cur[0] = '\0';
	t->cur_words = 0;
	t->committed = 0;
	t->cur_at = now_ms;
	t->seg_start = -1;
	t->segment_id++;
}

static void
transcript_fill(struct transcript *t, struct transcript_view *v,
    int is_final, uint32_t segment_id, const char *reason)
{
	size_t a;

	memset(v, 0, sizeof(*v));
	v->stable = t->stable_len > 0 ? t->stable : "";
	v->stable_len = t->stable_len;
	v->suffix = "";
	if (!is_final && t->committed < t->cur_words) {
		a = transcript_word_at(t->cur, t->cur_len, t->committed);
		v->suffix = t->cur + a;
		v->suffix_len = t->cur_len - a;
		v->pending_tokens = t->cur_words - t->committed;
	}
	v->is_final = is_final;
	v->segment_id = segment_id;
	v->dropped_bytes = t->dropped;
	v->reason = reason;
}

/* Cut the running segment: everything shown becomes history. */
static enum err
transcript_cut(struct transcript *t, int64_t now_ms,
    struct transcript_view *v)
{
	uint32_t id = t->segment_id;
	size_t consumed;

	consumed = t->committed > t->cur_words ? t->committed : t->cur_words;
	if (transcript_commit(t, t->cur_words) != ERR_OK)
		return ERR_NOMEM;
	t->cut_words += consumed;
	transcript_end_segment(t, now_ms);
	transcript_fill(t, v, 1, id, "cut");
	return ERR_OK;
}

enum err
transcript_partial(struct transcript *t, const char *text, size_t len,
    int64_t now_ms, struct transcript_view *v)
{
	size_t words, n, common, cap;
	char *swap;
	int changed;

	if (transcript_normalise(t, text, len, t->cut_words, &words, &n) !=
	    ERR_OK)
		return ERR_NOMEM;
	/* room to commit into stable, so that nothing below can fail */
	if (transcript_grow(&t->stable, &t->stable_cap, t->stable_len + n +
	    2) != ERR_OK)
		return ERR_NOMEM;
	common = t->cur != NULL ? transcript_common(t->cur, t->cur_len,
	    t->tmp, n) : 0;
	changed = t->cur == NULL || n != t->cur_len ||
	    memcmp(t->cur, t->tmp, n) != 0;
	/* the new partial becomes cur; the old buffer is the next tmp */
	swap = t->cur;
	t->cur = t->tmp;
	t->tmp = swap;
	cap = t->cur_cap;
	t->cur_cap = t->tmp_cap;
	t->tmp_cap = cap;
	t->cur_len = n;
	t->cur_words = words;
	if (changed)
		t->cur_at = now_ms;
	if (t->seg_start < 0 && words > 0)
		t->seg_start = now_ms;
	/* the words two consecutive partials agree on are stable */
	(void)transcript_commit(t, common);
	if (t->seg_start >= 0 && now_ms - t->seg_start >= t->cut_ms)
		return transcript_cut(t, now_ms, v);
	transcript_fill(t, v, 0, t->segment_id, "partial");
	return ERR_OK;
}

enum err
transcript_final(struct transcript *t, const char *text, size_t len,
    int64_t now_ms, struct transcript_view *v)
{
	uint32_t id = t->segment_id;
	size_t words, n;

	if (transcript_normalise(t, text, len, t->cut_words, &words, &n) !=
	    ERR_OK)
		return ERR_NOMEM;
	if (transcript_grow(&t->stable, &t->stable_cap, t->hist_len + n + 2) !=
	    ERR_OK)
		return ERR_NOMEM;
	/* Riva's final replaces what the segment showed */
	t->stable_len = t->hist_len;
	t->stable[t->stable_len] = '\0';
	(void)transcript_append(t, t->tmp, n);
	t->cut_words = 0;
	transcript_end_segment(t, now_ms);
	transcript_fill(t, v, 1, id, "final");
	return ERR_OK;
}

int
transcript_tick(struct transcript *t, int64_t now_ms,
    struct transcript_view *v)
{
	if (t->cur_words == 0)
		return 0;
	if (t->seg_start >= 0 && now_ms - t->seg_start >= t->cut_ms)
		return transcript_cut(t, now_ms, v) == ERR_OK;
	if (t->committed < t->cur_words && now_ms - t->cur_at >= t->flush_ms) {
		if (transcript_commit(t, t->cur_words) != ERR_OK)
			return 0;
		transcript_fill(t, v, 0, t->segment_id, "flush");
		return 1;
	}
	return 0;
}
