/*
 * wsproto.h: the WebSocket wire protocol of audio-bridge, without I/O.
 *
 * Clients talk to the bridge in one of two JSON dialects over text frames
 * (binary frames carry PCM16LE mono audio and are not parsed here):
 *
 *   WSPROTO_BRIDGE      the protocol of the Python bridge we replace
 *                       (start_transcription / stop_transcription / ping /
 *                       get_metrics; server: connection, session_started,
 *                       partial, transcription, session_stopped, pong,
 *                       metrics, error), every server message stamped with an
 *                       ISO-8601 `timestamp`;
 *   WSPROTO_AUDIOCODES  the AudioCodes speech-to-text dialect NVIDIA's
 *                       websocket bridge speaks (start / stop; server:
 *                       started, hypothesis, recognition, end, error).
 *
 * The first client message picks the dialect for the rest of the connection;
 * a later message of the other dialect is refused.  Parsing is strict: an
 * unknown type, unknown key, wrong JSON type or value out of the bounds in
 * limit.h is an error whose message names the offending field.
 *
 * Rendering writes one complete JSON message into a caller buffer; the caller
 * passes the wall-clock time so these functions stay pure.
 */
#ifndef WSPROTO_H
#define WSPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "limit.h"

enum wsproto_dialect {
	WSPROTO_NONE = 0,	/* no message seen yet */
	WSPROTO_BRIDGE,		/* dialect 1, the default */
	WSPROTO_AUDIOCODES,	/* dialect 2 */
};

enum wsproto_kind {
	WSPROTO_START = 1,	/* start_transcription | start */
	WSPROTO_STOP,		/* stop_transcription | stop */
	WSPROTO_PING,		/* dialect 1 only */
	WSPROTO_GET_METRICS,	/* dialect 1 only */
};

/* Recognition settings from a start message, defaults filled in. */
struct wsproto_start {
	char		 language[LIMIT_WS_LANGUAGE_BYTES + 1];	/* "en-US" */
	char		 model[LIMIT_WS_MODEL_BYTES + 1];	/* "" = server's */
	int		 sample_rate;		/* Hz, LIMIT_WS_RATE_MIN..MAX */
	int		 enable_partials;	/* interim results wanted */
	int		 punctuation;
	int		 word_time_offsets;
	size_t		 nhotwords;
	char		 hotwords[LIMIT_WS_HOTWORDS][LIMIT_WS_HOTWORD_BYTES + 1];
	/* AudioCodes only; wav: the audio starts with a WAV header */
	int		 wav;
	char		 conversation_id[LIMIT_WS_CONVERSATION_BYTES + 1];
};

struct wsproto_msg {
	enum wsproto_dialect	dialect;	/* dialect of this message */
	enum wsproto_kind	kind;
	struct wsproto_start	start;		/* valid when kind == START */
};

/*
 * Parse one client text frame.  `current` is the connection's dialect so far
 * (WSPROTO_NONE before the first message).  On success fills *out (its
 * dialect is the one to keep) and returns ERR_OK.  On failure returns
 * ERR_JSON (not JSON / not an object), ERR_TOO_LARGE (frame, string or list
 * over its limit), ERR_FIELD (missing, unknown or bad field) or ERR_CONFLICT
 * (message of the other dialect), and writes a one-line reason naming the
 * field into errbuf (always NUL-terminated when errlen > 0).  When the
 * message's type was recognised, out->dialect is set even on failure (the
 * reply to a bad first message can then use the client's dialect);
 * otherwise it is WSPROTO_NONE.
 */
enum err	wsproto_parse(enum wsproto_dialect current, const char *buf,
		    size_t len, struct wsproto_msg *out, char *errbuf,
		    size_t errlen);

/* Defaults a start message falls back on (from the config). */
void		wsproto_start_defaults(struct wsproto_start *,
		    const char *language, int sample_rate);

/* Configuration the `connection` message advertises (dialect 1). */
struct wsproto_server_info {
	int		 sample_rate;
	int		 channels;
	int		 frame_ms;
	const char	*riva_target;	/* host:port, never credentials */
};

struct wsproto_word {
	const char	*word;
	int64_t		 start_ms;
	int64_t		 end_ms;
	float		 confidence;
};

/* One recognition result as the bridge hands it to a client. */
struct wsproto_result {
	int				 is_final;
	uint32_t			 segment_id;
	const char			*text;
	float				 confidence;	/* finals */
	float				 stability;	/* partials */
	const struct wsproto_word	*words;
	size_t				 nwords;
	double				 processing_ms;
};

/* Server-wide counters for the dialect 1 `metrics` reply. */
struct wsproto_metrics {
	uint64_t	 connections_active;
	uint64_t	 connections_total;
	uint64_t	 sessions_active;
	uint64_t	 sessions_total;
	double		 audio_seconds;
	uint64_t	 partials;
	uint64_t	 finals;
	uint64_t	 errors;
	double		 uptime_seconds;
};

/*
 * Renderers.  Each writes one NUL-terminated JSON object into buf (cap
 * bytes), stores its length (without the NUL) in *lenp and returns ERR_OK,
 * or returns ERR_TOO_LARGE if it does not fit (buf then holds garbage).
 * now_ms is Unix time in milliseconds; strings are JSON-escaped; invalid
 * UTF-8 from the peer is replaced by U+FFFD.  A message that does not exist
 * in a dialect is rendered as its nearest equivalent (documented per call).
 */

/* Dialect 1 `connection` greeting, sent before the dialect is known. */
enum err	wsproto_render_connection(char *buf, size_t cap, size_t *lenp,
		    int64_t now_ms, const char *connection_id,
		    const struct wsproto_server_info *);
/* session_started | started. */
enum err	wsproto_render_started(char *buf, size_t cap, size_t *lenp,
		    enum wsproto_dialect, int64_t now_ms,
		    const char *connection_id, int enable_partials);
/* partial/transcription | hypothesis/recognition. */
enum err	wsproto_render_result(char *buf, size_t cap, size_t *lenp,
		    enum wsproto_dialect, int64_t now_ms,
		    const struct wsproto_result *);
/* session_stopped {reason} | end {reason}. */
enum err	wsproto_render_stopped(char *buf, size_t cap, size_t *lenp,
		    enum wsproto_dialect, int64_t now_ms, const char *reason);
/* pong (dialect 1; also answered in dialect 2 as {"type":"pong"}). */
enum err	wsproto_render_pong(char *buf, size_t cap, size_t *lenp,
		    enum wsproto_dialect, int64_t now_ms);
/* metrics (dialect 1). */
enum err	wsproto_render_metrics(char *buf, size_t cap, size_t *lenp,
		    int64_t now_ms, const struct wsproto_metrics *);
/* error {error, code} | error {reason, code}; code is err_code(e). */
enum err	wsproto_render_error(char *buf, size_t cap, size_t *lenp,
		    enum wsproto_dialect, int64_t now_ms, enum err e,
		    const char *message);

/* Format now_ms as 2026-11-25T17:50:01.123Z into buf (>= 25 bytes). */
void		wsproto_timestamp(char *buf, size_t cap, int64_t now_ms);

#endif /* WSPROTO_H */
