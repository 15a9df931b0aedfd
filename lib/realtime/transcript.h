/*
 * transcript.h: the transcript accumulator behind dialect 1 `display`
 * messages, without I/O.
 *
 * Riva sends, per utterance, a run of interim results that each restate
 * the whole utterance so far ("the", "the quick", "the quick brown", ...)
 * and then a final.  A page that shows them as they come flickers: words
 * appear, change and vanish.  The Python bridge's current version sends
 * every result as one `display` instead, which splits the session's text
 * into a part that will not change any more and a part that may:
 *
 *   stable_text     every final of the session so far, then the prefix of
 *                   the current partial that stayed the same over two
 *                   consecutive partials (whole words);
 *   partial_suffix  the rest of the current partial.
 *
 * Rules, with the clock passed in by the caller (milliseconds, any
 * monotonic origin) so that they can be tested and fuzzed:
 *
 *   - Stable words stay stable: a later partial that revises a word
 *     already shown as stable does not take it back (the suffix then
 *     continues after the same number of words); the final replaces the
 *     segment's words with Riva's final text.
 *   - Forced flush: a partial that has not changed for flush_ms (1400 ms)
 *     becomes stable as a whole (Riva may not send a final for a while
 *     after the speaker stops).
 *   - Segment cut: a segment (the text since the last final) older than
 *     cut_ms (12 s) is cut: its words become stable, the message is
 *     is_final, segment_id advances, and the words already cut are taken
 *     off the front of Riva's later results for the same utterance, so
 *     that nothing is shown twice when Riva's own final arrives.
 *
 * Bounded memory: stable_text keeps at most `window` bytes of finals
 * (LIMIT_DISPLAY_STABLE_*); older words are dropped from the front at a
 * word boundary and counted in dropped_bytes, so a session of any length
 * holds at most window bytes of history plus one result of at most
 * TRANSCRIPT_MAX_TEXT bytes (longer results are cut at a word boundary).
 * Whitespace is normalised: words are separated by one space.
 */
#ifndef TRANSCRIPT_H
#define TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "limit.h"

#define TRANSCRIPT_FLUSH_MS_DEFAULT	1400
#define TRANSCRIPT_CUT_MS_DEFAULT	12000
#define TRANSCRIPT_MAX_TEXT		LIMIT_RIVA_TEXT	/* one result */

struct transcript {
	size_t		 window;	/* bytes of finals kept in stable */
	int64_t		 flush_ms;
	int64_t		 cut_ms;
	/* stable = history (finals, hist_len bytes), a space, then the
	 * committed words of the current segment; NUL-terminated */
	char		*stable;
	size_t		 stable_len;
	size_t		 hist_len;
	size_t		 stable_cap;
	uint64_t	 dropped;	/* history bytes dropped so far */
	/* the current partial, normalised, cut words taken off */
	char		*cur;
	size_t		 cur_len;
	size_t		 cur_cap;
	size_t		 cur_words;
	size_t		 committed;	/* words of cur shown as stable */
	int64_t		 cur_at;	/* when cur last changed */
	char		*tmp;		/* the next result, being normalised */
	size_t		 tmp_cap;
	int64_t		 seg_start;	/* first partial of the segment; -1 */
	size_t		 cut_words;	/* words of Riva's utterance cut */
	uint32_t	 segment_id;
};

/* What to show after an event; points into the transcript, valid until
 * the next call. */
struct transcript_view {
	const char	*stable;
	size_t		 stable_len;
	const char	*suffix;
	size_t		 suffix_len;
	int		 is_final;
	uint32_t	 segment_id;	/* the segment this message is about */
	size_t		 pending_tokens;	/* words in suffix */
	uint64_t	 dropped_bytes;
	const char	*reason;	/* partial | final | flush | cut */
};

/* Set up an empty transcript (nothing allocated yet).  window is clamped
 * to LIMIT_DISPLAY_STABLE_MIN..MAX; flush_ms/cut_ms <= 0 take the
 * defaults. */
void		transcript_init(struct transcript *, size_t window,
		    int64_t flush_ms, int64_t cut_ms);
/* Free what it holds and empty it (a new recognition starts over).
 * transcript_free on a zeroed or freed transcript is a no-op. */
void		transcript_free(struct transcript *);

/*
 * One interim result (the whole utterance so far, as Riva restates it) or
 * one final result, at now_ms.  Fills *v.  ERR_OK, or ERR_NOMEM (the
 * transcript is then unchanged).  A partial may itself cause a segment
 * cut: v->is_final and v->reason say so.
 */
enum err	transcript_partial(struct transcript *, const char *text,
		    size_t len, int64_t now_ms, struct transcript_view *v);
enum err	transcript_final(struct transcript *, const char *text,
		    size_t len, int64_t now_ms, struct transcript_view *v);

/*
 * Time passes without results: returns 1 and fills *v when the forced
 * flush or the segment cut changed what is shown, else 0.
 */
int		transcript_tick(struct transcript *, int64_t now_ms,
		    struct transcript_view *v);

#endif /* TRANSCRIPT_H */
