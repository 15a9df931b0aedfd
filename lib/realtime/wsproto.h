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
 * a later message of the other dialect is refused.  An unknown type, a
 * wrong JSON type of a known field or a value out of the bounds in limit.h
 * is an error whose message names the offending field.  Unknown fields are
 * ignored in both dialects' start messages and in every dialect 1 message,
 * as the bridges they replace did (their clients send extra fields, and
 * VoiceAI Connect adds new ones from version to version); their names are
 * handed back so that the caller can log them.
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

/* Which result messages a dialect 1 connection gets (a bit set). */
#define WSPROTO_MSG_PARTIAL		0x1	/* partial */
#define WSPROTO_MSG_TRANSCRIPTION	0x2	/* transcription */
#define WSPROTO_MSG_DISPLAY		0x4	/* display (accumulated) */
#define WSPROTO_MSG_ALL			0x7

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
	/* dialect 1 "messages": WSPROTO_MSG_* bits, 0 = not given */
	unsigned	 messages;
	/* AudioCodes only; wav: the audio starts with a WAV header */
	int		 wav;
	char		 conversation_id[LIMIT_WS_CONVERSATION_BYTES + 1];
};

/* A dialect 1 ping's "timestamp", echoed in the pong as it came. */
enum wsproto_stamp_kind {
	WSPROTO_STAMP_NONE = 0,
	WSPROTO_STAMP_STRING,		/* e.g. new Date().toISOString() */
	WSPROTO_STAMP_INT,		/* e.g. Date.now() */
	WSPROTO_STAMP_REAL,
};

struct wsproto_stamp {
	enum wsproto_stamp_kind	 kind;
	char			 s[LIMIT_WS_STAMP_BYTES + 1];
	int64_t			 i;
	double			 d;
};

struct wsproto_msg {
	enum wsproto_dialect	dialect;	/* dialect of this message */
	enum wsproto_kind	kind;
	struct wsproto_start	start;		/* valid when kind == START */
	struct wsproto_stamp	stamp;		/* PING */
	/* Fields ignored because unknown: how many, and their names
	 * ("a, b", cut to fit) for a debug log line. */
	size_t			nignored;
	char			ignored[128];
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

/*
 * Parse a "messages" list given as text, comma-separated ("display",
 * "partial,transcription"), as the URL's ?messages= and the config carry
 * it.  Members: partial, transcription, display; at least one.  Returns
 * ERR_OK with the WSPROTO_MSG_* bits in *out, or ERR_FIELD with a reason
 * naming field (e.g. "messages") in errbuf.
 */
enum err	wsproto_parse_messages(const char *text, const char *field,
		    unsigned *out, char *errbuf, size_t errlen);

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

/*
 * The dialect 1 `metrics` reply: our server-wide counters, and the
 * sections the Python bridge answered with (bridge, riva, connection),
 * filled from the same counters so that its clients find their fields.
 */
struct wsproto_metrics {
	uint64_t	 connections_active;
	uint64_t	 connections_total;
	uint64_t	 sessions_active;
	uint64_t	 sessions_total;
	double		 audio_seconds;
	uint64_t	 audio_frames;		/* binary messages relayed */
	uint64_t	 partials;
	uint64_t	 finals;
	uint64_t	 displays;
	uint64_t	 errors;
	double		 uptime_seconds;
	/* riva */
	const char	*riva_target;		/* host:port, never credentials */
	const char	*riva_health;		/* as /healthz names it */
	int		 riva_reachable;
	uint64_t	 riva_streams_active;
	uint64_t	 riva_responses;	/* results received */
	double		 riva_rtt_ms_avg;
	/* this connection */
	const char	*connection_id;
	int64_t		 connected_at_ms;	/* Unix ms */
	int		 session_active;
	uint64_t	 conn_audio_frames;
	double		 conn_audio_seconds;
	uint64_t	 conn_results;		/* result messages sent */
};

/* One `display` message (dialect 1), see lib/realtime/transcript.h. */
struct wsproto_display {
	const char	*stable_text;
	size_t		 stable_len;
	const char	*partial_suffix;
	size_t		 suffix_len;
	int		 is_final;
	uint32_t	 segment_id;
	size_t		 pending_tokens;
	uint64_t	 dropped_bytes;
	const char	*reason;	/* partial | final | flush | cut */
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
/* display (dialect 1 only). */
enum err	wsproto_render_display(char *buf, size_t cap, size_t *lenp,
		    int64_t now_ms, const struct wsproto_display *);
/* session_stopped {reason, connection_id} | end {reason}. */
enum err	wsproto_render_stopped(char *buf, size_t cap, size_t *lenp,
		    enum wsproto_dialect, int64_t now_ms, const char *reason,
		    const char *connection_id);
/* pong (dialect 1; also answered in dialect 2 as {"type":"pong"}).  With
 * a ping stamp (stamp != NULL, kind != NONE) `timestamp` is the client's
 * value as it came and `server_timestamp` ours. */
enum err	wsproto_render_pong(char *buf, size_t cap, size_t *lenp,
		    enum wsproto_dialect, int64_t now_ms,
		    const struct wsproto_stamp *stamp);
/* metrics (dialect 1). */
enum err	wsproto_render_metrics(char *buf, size_t cap, size_t *lenp,
		    int64_t now_ms, const struct wsproto_metrics *);
/* error {error, code} | error {reason, code}; code is err_code(e). */
enum err	wsproto_render_error(char *buf, size_t cap, size_t *lenp,
		    enum wsproto_dialect, int64_t now_ms, enum err e,
		    const char *message);

#endif /* WSPROTO_H */
