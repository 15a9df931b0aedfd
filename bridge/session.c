/*
 * session.c: one WebSocket connection's recognitions.
 *
 * A connection starts with no recognition.  A start message (either
 * dialect; the first message fixes the dialect) opens one Riva
 * StreamingRecognize call; binary frames go to it as audio; stop
 * half-closes it and the remaining finals are relayed before
 * session_stopped / end.  Then the client may start again.
 *
 * Dialect 1 results go out as partial/transcription, as `display`
 * (lib/realtime/transcript.c accumulates them, and a timer here flushes and cuts)
 * or both: the config's `messages`, which a client overrides with
 * ?messages= or in start_transcription.
 *
 * Server messages go through a bounded per-connection queue, written one
 * per WRITEABLE callback.  A partial (or display of one) supersedes any of
 * its kind still queued, and is dropped when the queue is over its byte
 * limit; a final is never dropped: if it does not fit even after every
 * queued partial is dropped, the client is too far behind and is closed
 * with BRIDGE_CLOSE_SLOW.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "bridge.h"
#include "clock.h"
#include "log.h"
#include "riva.h"
#include "uuid.h"
#include "wavhead.h"
#include "xalloc.h"

#define SESSION_RENDER_BYTES	(512 * 1024)
#define SESSION_WRITES_PER_CALLBACK	8
/* Stop reading a client's audio while this much waits for gRPC; read
 * again below half of it.  Keeps a client that streams faster than real
 * time within the adapter's max_queued_audio instead of failing it. */
#define SESSION_AUDIO_HIGH	(RIVA_MAX_QUEUED_AUDIO_DEFAULT / 2)
#define SESSION_AUDIO_LOW	(RIVA_MAX_QUEUED_AUDIO_DEFAULT / 4)
/* The reason of an AudioCodes "end" after a recognition (NVIDIA's words). */
#define SESSION_RECOGNITION_DONE	"Recognition complete"

/* Rendering scratch space; the service thread is the only user. */
static char session_buf[SESSION_RENDER_BYTES];
static struct wsproto_word session_words[RIVAMSG_MAX_WORDS];

static void	session_backpressure(struct conn *);
static void	session_wav(struct conn *, const unsigned char *, size_t);
static void	session_relay(struct conn *, const unsigned char *, size_t);

static void
session_free_queue(struct conn *c)
{
	struct sendq_msg *m, *next;

	for (m = c->qhead; m != NULL; m = next) {
		next = m->next;
		free(m);
	}
	c->qhead = c->qtail = NULL;
	c->qbytes = 0;
}

void
session_close_later(struct conn *c, int code, const char *reason)
{
	if (c->close_code != 0)
		return;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	/* Nothing more will be sent but the close frame. */
	session_free_queue(c);
	lws_callback_on_writable(c->wsi);
	/* A client that reads nothing never makes us writeable. */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, 5);
}

/* Remove every queued message of this kind (SENDQ_KEEP: of every
 * droppable kind); returns how many. */
static size_t
session_drop_partials(struct conn *c, enum sendq_kind kind)
{
	struct sendq_msg **pp = &c->qhead, *m;
	size_t n = 0;

	c->qtail = NULL;
	while ((m = *pp) != NULL) {
		if (m->droppable != SENDQ_KEEP &&
		    (kind == SENDQ_KEEP || m->droppable == kind)) {
			*pp = m->next;
			c->qbytes -= m->len;
			free(m);
			n++;
			continue;
		}
		c->qtail = m;
		pp = &m->next;
	}
	bridge->m.partials_dropped += n;
	return n;
}

/*
 * Nothing is queued and the socket takes more: write now.  Waiting for
 * WRITEABLE instead costs two epoll_ctl() calls and a loop turn per
 * message, which was most of the bridge's CPU at a few hundred streams.
 * lws keeps whatever part the kernel refuses and sends it first.
 */
/* A message went out: count it. */
static void
session_sent(enum sendq_kind droppable)
{
	if (droppable == SENDQ_PARTIAL)
		bridge->m.partials_sent++;
	else if (droppable == SENDQ_DISPLAY)
		bridge->m.displays_sent++;
}

static int
session_write_now(struct conn *c, const char *msg, size_t len,
    enum sendq_kind droppable)
{
	static unsigned char tx[LWS_PRE + SESSION_RENDER_BYTES];

	if (len > SESSION_RENDER_BYTES)
		return -1;
	memcpy(tx + LWS_PRE, msg, len);
	c->tx_since_us = clock_mono_us();
	if (lws_write(c->wsi, tx + LWS_PRE, len, LWS_WRITE_TEXT) < 0)
		return -1;
	session_sent(droppable);
	if (lws_partial_buffered(c->wsi))
		lws_callback_on_writable(c->wsi);
	return 0;
}

int
session_send(struct conn *c, const char *msg, size_t len,
    enum sendq_kind droppable)
{
	size_t limit = (size_t)bridge->conf.send_queue_bytes;
	struct sendq_msg *m;

	if (c->close_code != 0)
		return -1;
	if (droppable != SENDQ_KEEP) {
		session_drop_partials(c, droppable);
		if (c->qbytes + len > limit) {
			bridge->m.partials_dropped++;
			return 0;
		}
	} else if (c->qbytes + len > limit) {
		session_drop_partials(c, SENDQ_KEEP);
		if (c->qbytes + len > limit) {
			metrics_error(&bridge->m, METRICS_ERR_SLOW_CLIENT);
			log_warn("conn=%s send queue over %zu bytes; closing",
			    c->id, limit);
			session_close_later(c, BRIDGE_CLOSE_SLOW,
			    "client too slow: send queue full");
			return -1;
		}
	}
	/*
	 * lws_partial_buffered() rather than lws_send_pipe_choked(): the
	 * latter is a poll() per message (12,000 a second at 1000 streams).
	 * A socket whose last write went out whole almost always takes the
	 * next; when it does not, lws keeps the rest and the queue is used.
	 */
	if (c->qhead == NULL && !lws_partial_buffered(c->wsi))
		return session_write_now(c, msg, len, droppable);
	m = xmalloc(sizeof(*m) + LWS_PRE + len);
	m->next = NULL;
	m->len = len;
	m->droppable = droppable;
	memcpy(m->buf + LWS_PRE, msg, len);
	if (c->qhead == NULL && !lws_partial_buffered(c->wsi))
		c->tx_since_us = clock_mono_us();
	if (c->qtail != NULL)
		c->qtail->next = m;
	else
		c->qhead = m;
	c->qtail = m;
	c->qbytes += len;
	lws_callback_on_writable(c->wsi);
	return 0;
}

static void
session_send_error(struct conn *c, enum err e, const char *message)
{
	size_t len;

	if (wsproto_render_error(session_buf, sizeof(session_buf), &len,
	    c->dialect, clock_wall_ms(), e, message) == ERR_OK)
		session_send(c, session_buf, len, SENDQ_KEEP);
}

static void
session_send_stopped(struct conn *c, const char *reason)
{
	size_t len;

	if (wsproto_render_stopped(session_buf, sizeof(session_buf), &len,
	    c->dialect, clock_wall_ms(), reason, c->id) == ERR_OK)
		session_send(c, session_buf, len, SENDQ_KEEP);
}

void
session_open(struct conn *c, struct lws *wsi)
{
	struct wsproto_server_info si;
	uint32_t r = 0;
	size_t len;
	int sndbuf, one = 1;

	memset(c, 0, sizeof(*c));
	c->wsi = wsi;
	c->established = 1;
	/* counted at the upgrade (server.c), released in session_close() */
	c->user = lws_get_opaque_user_data(wsi);
	lws_set_opaque_user_data(wsi, NULL);
	c->connected_at_ms = clock_wall_ms();
	transcript_init(&c->tr, (size_t)bridge->conf.display_stable_bytes,
	    bridge->conf.display_flush, bridge->conf.display_segment);
	/* ?messages= (checked at the upgrade, which refused a bad one) */
	if (server_url_messages(wsi, &c->url_messages, NULL, 0) < 0)
		c->url_messages = 0;
	/*
	 * Left to itself the kernel grows a socket's send buffer to
	 * megabytes, and a client that stops reading would be that far
	 * behind before send_queue_bytes (partials first, then 4001) ever
	 * applied.  Transcripts are a few KiB a second: a fixed buffer is
	 * plenty, and bounds memory per stream.
	 */
	sndbuf = (int)bridge->conf.socket_send_buffer;
	if (setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)) != 0)
		log_debug("SO_SNDBUF: %s", strerror(errno));
	/*
	 * No Nagle: a final right after a partial would otherwise wait for
	 * the client's (delayed, up to 40 ms) ACK of the partial.  lws sets
	 * this on sockets it accepts, not on those front.c hands it.
	 */
	if (setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) != 0)
		log_debug("TCP_NODELAY: %s", strerror(errno));
	c->last_rx_us = clock_mono_us();
	if (uuid_random(&r, sizeof(r)) != ERR_OK)
		r = (uint32_t)c->last_rx_us;
	snprintf(c->id, sizeof(c->id), "c%llx-%08x",
	    (unsigned long long)++bridge->next_conn_id, r);
	c->next = bridge->conns;
	if (c->next != NULL)
		c->next->prev = c;
	bridge->conns = c;
	bridge->nconns++;
	bridge->m.connections++;
	bridge->m.connections_total++;

	si.sample_rate = (int)bridge->conf.sample_rate;
	si.channels = 1;
	si.frame_ms = (int)bridge->conf.frame_ms;
	si.riva_target = bridge->riva_target_public;
	if (wsproto_render_connection(session_buf, sizeof(session_buf), &len,
	    clock_wall_ms(), c->id, &si) == ERR_OK)
		session_send(c, session_buf, len, SENDQ_KEEP);
	log_debug("conn=%s open", c->id);
}

void
session_close(struct conn *c)
{
	if (!c->established)
		return;
	if (c->rs != NULL) {
		riva_stream_release(c->rs);
		c->rs = NULL;
	}
	if (c->state != SESSION_NONE) {
		bridge->m.sessions--;
		users_drop_recognition(c->user);
	}
	c->state = SESSION_NONE;
	users_drop_connection(c->user);
	c->user = NULL;
	session_free_queue(c);
	free(c->text);
	c->text = NULL;
	free(c->wav);
	c->wav = NULL;
	transcript_free(&c->tr);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		bridge->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	bridge->nconns--;
	bridge->m.connections--;
	c->established = 0;
	log_debug("conn=%s closed", c->id);
}

/* Half-close the running recognition; finals keep coming. */
static void
session_finish(struct conn *c, const char *reason)
{
	if (c->state != SESSION_RUNNING)
		return;
	riva_stream_finish(c->rs);
	c->state = SESSION_STOPPING;
	snprintf(c->stop_reason, sizeof(c->stop_reason), "%s", reason);
}

/* Drop the running recognition at once: its late results are not sent. */
static void
session_abandon(struct conn *c)
{
	free(c->wav);
	c->wav = NULL;
	riva_stream_release(c->rs);
	c->rs = NULL;
	bridge->m.sessions--;
	users_drop_recognition(c->user);
	c->state = SESSION_NONE;
	session_backpressure(c);
}

static void
session_start(struct conn *c, const struct wsproto_start *st)
{
	const char *boost[LIMIT_WS_HOTWORDS];
	struct rivamsg_config rc;
	enum err e = ERR_OK;
	size_t i, len;
	char why[512];

	if (bridge->draining) {
		session_send_error(c, ERR_UNAVAILABLE,
		    "server is shutting down; no new recognitions");
		return;
	}
	/*
	 * AudioCodes: a start while a recognition runs begins a new
	 * recognition-session.  VoiceAI Connect treats each "end" as the
	 * end of one, and ours (after each recognition) do not stop the
	 * stream; NVIDIA's bridge, too, simply starts over.
	 */
	if (c->state != SESSION_NONE && c->dialect == WSPROTO_AUDIOCODES)
		session_abandon(c);
	if (c->state != SESSION_NONE) {
		session_send_error(c, ERR_CONFLICT, c->state ==
		    SESSION_RUNNING ? "a recognition is already running; stop "
		    "it first" : "the previous recognition is still "
		    "finishing; wait for its end");
		return;
	}
	if (!users_may_recognize(c->user,
	    bridge->conf.max_recognitions_per_user)) {
		snprintf(why, sizeof(why), "max_recognitions_per_user: this "
		    "user runs %lld recognitions already; stop one first",
		    (long long)bridge->conf.max_recognitions_per_user);
		metrics_error(&bridge->m, METRICS_ERR_USER_LIMIT);
		session_send_error(c, ERR_RATE_LIMITED, why);
		return;
	}
	memset(&rc, 0, sizeof(rc));
	rc.sample_rate_hz = st->sample_rate;
	rc.language = st->language;
	rc.max_alternatives = 1;
	rc.punctuation = st->punctuation;
	rc.interim_results = st->enable_partials;
	rc.word_time_offsets = st->word_time_offsets;
	rc.model = st->model[0] != '\0' ? st->model : NULL;
	for (i = 0; i < st->nhotwords; i++)
		boost[i] = st->hotwords[i];
	rc.boost_words = st->nhotwords > 0 ? boost : NULL;
	rc.nboost_words = st->nhotwords;
	rc.boost_score = (float)bridge->conf.hotword_boost;
	/*
	 * A model Riva does not serve would fail the stream after it
	 * started, as an upstream error; refused here, it is the client's
	 * error, named.  (Unchecked while the list is unknown.)
	 */
	if (rc.model != NULL &&
	    riva_model_served(bridge->riva, rc.model) == 0) {
		snprintf(why, sizeof(why), "model \"%s\" is not served by the "
		    "speech recognition service (GET /healthz lists its "
		    "models)", rc.model);
		metrics_error(&bridge->m, METRICS_ERR_BAD_FIELD);
		session_send_error(c, ERR_FIELD, why);
		return;
	}
	c->rs = riva_stream_start(bridge->riva, &rc, c, &e);
	if (c->rs == NULL) {
		metrics_error(&bridge->m, e == ERR_UNAVAILABLE ?
		    METRICS_ERR_RIVA_UNAVAILABLE : METRICS_ERR_BAD_FIELD);
		session_send_error(c, e, "cannot start the recognition");
		return;
	}
	c->state = SESSION_RUNNING;
	free(c->wav);
	c->wav = NULL;
	c->wavlen = 0;
	if (st->wav)
		c->wav = xmalloc(WAVHEAD_MAX);
	/* VoiceAI Connect's id ties our log lines to its call. */
	if (st->conversation_id[0] != '\0')
		log_info("conn=%s recognition for conversation %s", c->id,
		    st->conversation_id);
	c->enable_partials = st->enable_partials;
	c->sample_rate = st->sample_rate;
	/* start_transcription "messages", else ?messages=, else the config;
	 * AudioCodes has its own two. */
	if (c->dialect == WSPROTO_AUDIOCODES)
		c->messages = WSPROTO_MSG_PARTIAL | WSPROTO_MSG_TRANSCRIPTION;
	else
		c->messages = st->messages != 0 ? st->messages :
		    c->url_messages != 0 ? c->url_messages :
		    bridge->conf.messages_bits;
	transcript_free(&c->tr);	/* each recognition starts empty */
	c->stopped_by_client = 0;
	c->audio_dropped = 0;
	c->session_start_us = clock_mono_us();
	c->session_audio_bytes = 0;
	c->stop_reason[0] = '\0';
	bridge->m.sessions++;
	bridge->m.sessions_total++;
	users_take_recognition(c->user);
	if (wsproto_render_started(session_buf, sizeof(session_buf), &len,
	    c->dialect, clock_wall_ms(), c->id, c->enable_partials) == ERR_OK)
		session_send(c, session_buf, len, SENDQ_KEEP);
}

static void
session_text(struct conn *c, const char *buf, size_t len)
{
	struct wsproto_msg *msg;
	struct wsproto_metrics wm;
	char why[256];
	size_t n;
	enum err e;

	/* struct wsproto_msg holds the hotword table: keep it off the stack */
	static struct wsproto_msg msgbuf;

	msg = &msgbuf;
	e = wsproto_parse(c->dialect, buf, len, msg, why, sizeof(why));
	/* A first message with a known type fixes the dialect even when
	 * its fields are wrong, so the error comes in the client's dialect. */
	if (c->dialect == WSPROTO_NONE && e != ERR_CONFLICT)
		c->dialect = msg->dialect;
	if (e != ERR_OK) {
		metrics_error(&bridge->m, e == ERR_JSON ?
		    METRICS_ERR_BAD_JSON : METRICS_ERR_BAD_FIELD);
		session_send_error(c, e, why);
		return;
	}
	c->dialect = msg->dialect;
	if (msg->nignored > 0)
		log_debug("conn=%s ignored %zu unknown field(s): %s", c->id,
		    msg->nignored, msg->ignored);
	switch (msg->kind) {
	case WSPROTO_START:
		session_start(c, &msg->start);
		break;
	case WSPROTO_STOP:
		/*
		 * A stop while the last one is being carried out, or after
		 * it, is harmless (the Python bridge's page may send two);
		 * a stop with nothing ever started is the client's mistake.
		 */
		if (c->state == SESSION_STOPPING || (c->state ==
		    SESSION_NONE && c->stopped_by_client)) {
			log_debug("conn=%s stop again: nothing to do", c->id);
			break;
		}
		if (c->state != SESSION_RUNNING) {
			session_send_error(c, ERR_CONFLICT,
			    "no recognition is running");
			break;
		}
		session_finish(c, "stopped by client");
		c->stopped_by_client = 1;
		break;
	case WSPROTO_PING:
		if (wsproto_render_pong(session_buf, sizeof(session_buf), &n,
		    c->dialect, clock_wall_ms(), &msg->stamp) == ERR_OK)
			session_send(c, session_buf, n, SENDQ_KEEP);
		break;
	case WSPROTO_GET_METRICS:
		metrics_snapshot(&bridge->m, clock_mono_us(), &wm);
		wm.riva_target = bridge->riva_target_public;
		wm.riva_health = server_riva_state(&wm.riva_reachable);
		wm.riva_streams_active = riva_active_streams(bridge->riva);
		wm.connection_id = c->id;
		wm.connected_at_ms = c->connected_at_ms;
		wm.session_active = c->state != SESSION_NONE;
		wm.conn_audio_frames = c->audio_frames;
		wm.conn_audio_seconds = (double)c->audio_bytes / 2.0 /
		    (double)(c->sample_rate > 0 ? c->sample_rate :
		    bridge->conf.sample_rate);
		wm.conn_results = c->results_sent;
		if (wsproto_render_metrics(session_buf, sizeof(session_buf), &n,
		    clock_wall_ms(), &wm) == ERR_OK)
			session_send(c, session_buf, n, SENDQ_KEEP);
		break;
	}
}

/* Pause or resume reading this client against Riva's audio queue. */
static void
session_backpressure(struct conn *c)
{
	struct riva_stream_stats st;
	uint64_t pending;

	if (c->rs == NULL) {
		pending = 0;
	} else {
		riva_stream_stats(c->rs, &st);
		pending = st.audio_bytes_queued - st.audio_bytes_sent;
	}
	if (!c->rx_paused && pending >= SESSION_AUDIO_HIGH) {
		c->rx_paused = 1;
		lws_rx_flow_control(c->wsi, 0);
	} else if (c->rx_paused && pending <= SESSION_AUDIO_LOW) {
		c->rx_paused = 0;
		lws_rx_flow_control(c->wsi, 1);
	}
}

static void
session_audio(struct conn *c, const unsigned char *p, size_t len, int first)
{
	/*
	 * Audio after the client's stop (still in flight while the last
	 * finals come, or sent until the page saw session_stopped) is
	 * dropped without a word: the client asked for it.
	 */
	if (c->stopped_by_client && c->state != SESSION_RUNNING) {
		if (c->audio_dropped == 0)
			log_debug("conn=%s audio after stop_transcription "
			    "dropped", c->id);
		c->audio_dropped += len;
		return;
	}
	if (c->state != SESSION_RUNNING) {
		if (!first)
			return;	/* one error per refused message */
		metrics_error(&bridge->m, METRICS_ERR_AUDIO_NO_SESSION);
		session_send_error(c, ERR_CONFLICT, c->state == SESSION_NONE ?
		    "audio refused: no recognition is running; send a start "
		    "message first" : "audio refused: the recognition was "
		    "stopped and is finishing");
		return;
	}
	if (first) {
		c->audio_frames++;
		bridge->m.audio_frames++;
	}
	if (c->wav != NULL)
		session_wav(c, p, len);
	else
		session_relay(c, p, len);
}

/*
 * "format":"wav": collect the stream's first bytes until the WAV header is
 * whole, check that it describes the audio the start announced, then relay
 * what follows it.  A header that does not fit ends the recognition with
 * an error: Riva would only hear noise.
 */
static void
session_wav(struct conn *c, const unsigned char *p, size_t len)
{
	struct wavhead w;
	char why[200];
	size_t take;
	enum wavhead_result r;

	take = WAVHEAD_MAX - c->wavlen;
	if (take > len)
		take = len;
	memcpy(c->wav + c->wavlen, p, take);
	c->wavlen += take;
	r = wavhead_parse(c->wav, c->wavlen, &w, why, sizeof(why));
	if (r == WAVHEAD_MORE)
		return;
	if (r == WAVHEAD_OK && (w.format != 1 || w.bits != 16 ||
	    w.channels != 1 || w.rate != (unsigned)c->sample_rate)) {
		snprintf(why, sizeof(why), "audio: the WAV header describes "
		    "format %u, %u channel(s), %u-bit, %u Hz; the start "
		    "announced 16-bit mono PCM (LINEAR16) at %d Hz", w.format,
		    w.channels, w.bits, w.rate, c->sample_rate);
		r = WAVHEAD_BAD;
	}
	if (r == WAVHEAD_BAD) {
		free(c->wav);
		c->wav = NULL;
		metrics_error(&bridge->m, METRICS_ERR_BAD_FIELD);
		session_send_error(c, ERR_INVAL, why);
		session_finish(c, "error");
		return;
	}
	/* The audio: what the buffer holds past the header, then the rest
	 * of this frame. */
	session_relay(c, c->wav + w.data_offset, c->wavlen - w.data_offset);
	free(c->wav);
	c->wav = NULL;
	if (c->state == SESSION_RUNNING)
		session_relay(c, p + take, len - take);
}

/* Queue audio for Riva, in chunks it accepts. */
static void
session_relay(struct conn *c, const unsigned char *p, size_t len)
{
	size_t n;
	enum err e;

	while (len > 0) {
		n = len > RIVA_MAX_AUDIO_CHUNK ? RIVA_MAX_AUDIO_CHUNK : len;
		e = riva_stream_audio(c->rs, p, n);
		if (e != ERR_OK) {
			/* ERR_TOO_LARGE fails the stream: its error event
			 * tells the client.  ERR_CONFLICT: it already
			 * ended and its events are on their way. */
			log_debug("conn=%s audio not queued: %s", c->id,
			    err_strerror(e));
			return;
		}
		p += n;
		len -= n;
		c->session_audio_bytes += n;
		c->audio_bytes += n;
		session_backpressure(c);
		bridge->m.audio_bytes += n;
		bridge->m.audio_seconds += (double)n / 2.0 /
		    (double)c->sample_rate;
	}
}

int
session_receive(struct conn *c, const void *in, size_t len, int binary,
    int first, int final)
{
	char why[128];

	c->last_rx_us = clock_mono_us();
	if (c->close_code != 0)
		return 0;
	if (first)
		c->rx_msg_bytes = 0;
	c->rx_msg_bytes += len;
	/* Refuse a frame by its announced length, before any of it is used. */
	if (c->rx_msg_bytes + lws_remaining_packet_payload(c->wsi) >
	    (size_t)bridge->conf.max_frame_bytes) {
		metrics_error(&bridge->m, METRICS_ERR_FRAME_TOO_BIG);
		snprintf(why, sizeof(why), "message larger than %lld bytes",
		    (long long)bridge->conf.max_frame_bytes);
		lws_close_reason(c->wsi, BRIDGE_CLOSE_TOO_BIG,
		    (unsigned char *)why, strlen(why));
		return -1;
	}
	if (binary) {
		session_audio(c, in, len, first);
		return 0;
	}
	if (first) {
		c->textlen = 0;
		c->text_over = 0;
	}
	if (!c->text_over && c->textlen + len > LIMIT_WS_TEXT_BYTES)
		c->text_over = 1;
	if (!c->text_over && len > 0) {
		if (c->text == NULL)
			c->text = xmalloc(LIMIT_WS_TEXT_BYTES);
		memcpy(c->text + c->textlen, in, len);
		c->textlen += len;
	}
	if (!final)
		return 0;
	if (c->text_over) {
		metrics_error(&bridge->m, METRICS_ERR_BAD_JSON);
		snprintf(why, sizeof(why), "text message larger than %d bytes",
		    LIMIT_WS_TEXT_BYTES);
		session_send_error(c, ERR_TOO_LARGE, why);
	} else
		session_text(c, c->text != NULL ? c->text : "", c->textlen);
	/* Text is rare after start: give the buffer back. */
	free(c->text);
	c->text = NULL;
	c->textlen = 0;
	return 0;
}

int
session_writeable(struct conn *c)
{
	struct sendq_msg *m;
	int i, n;

	if (c->close_code != 0) {
		lws_close_reason(c->wsi, c->close_code,
		    (unsigned char *)c->close_reason, strlen(c->close_reason));
		return -1;
	}
	if ((m = c->qhead) == NULL) {
		if (c->close_when_done && c->state == SESSION_NONE) {
			lws_close_reason(c->wsi, BRIDGE_CLOSE_GOING_AWAY,
			    (unsigned char *)"server shutting down", 20);
			return -1;
		}
		return 0;
	}
	/*
	 * Write what the socket takes now (a few messages per callback: one
	 * poll round per message would add latency and wakeups under load).
	 * lws_write() keeps any part the kernel refused and makes us wait for
	 * the next WRITEABLE until it is out.
	 */
	for (i = 0; i < SESSION_WRITES_PER_CALLBACK && (m = c->qhead) != NULL;
	    i++) {
		if (i > 0 && lws_partial_buffered(c->wsi))
			break;
		c->qhead = m->next;
		if (c->qhead == NULL)
			c->qtail = NULL;
		c->qbytes -= m->len;
		n = lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
		c->tx_since_us = clock_mono_us();
		session_sent(m->droppable);
		free(m);
		if (n < 0)
			return -1;
	}
	if (c->qhead != NULL || c->close_when_done)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/*
 * Send what the transcript shows after an event: a display of a partial
 * may be superseded by the next one, a final (or cut) one is kept.
 */
static void
session_display(struct conn *c, const struct transcript_view *v)
{
	struct wsproto_display d;
	size_t len;

	memset(&d, 0, sizeof(d));
	d.stable_text = v->stable;
	d.stable_len = v->stable_len;
	d.partial_suffix = v->suffix;
	d.suffix_len = v->suffix_len;
	d.is_final = v->is_final;
	d.segment_id = v->segment_id;
	d.pending_tokens = v->pending_tokens;
	d.dropped_bytes = v->dropped_bytes;
	d.reason = v->reason;
	if (wsproto_render_display(session_buf, sizeof(session_buf), &len,
	    clock_wall_ms(), &d) != ERR_OK) {
		metrics_error(&bridge->m, METRICS_ERR_INTERNAL);
		session_send_error(c, ERR_TOO_LARGE,
		    "display message too large to send");
		return;
	}
	if (session_send(c, session_buf, len, v->is_final ? SENDQ_KEEP :
	    SENDQ_DISPLAY) == 0) {
		c->results_sent++;
		/* droppable ones are counted when written */
		if (v->is_final)
			bridge->m.displays_sent++;
	}
}

/* Send one final result. */
static void
session_final(struct conn *c, const struct rivamsg_result *r,
    const struct riva_event *ev)
{
	const struct rivamsg_alternative *a;
	struct transcript_view v;
	struct wsproto_result wr;
	size_t i, len;
	enum err e;

	if (r->nalts == 0)
		return;
	a = &r->alts[0];
	if (c->messages & WSPROTO_MSG_DISPLAY) {
		if (transcript_final(&c->tr, a->transcript,
		    strlen(a->transcript), clock_mono_ms(), &v) != ERR_OK) {
			xalloc_die(0, __func__);
		}
		session_display(c, &v);
	}
	if (!(c->messages & WSPROTO_MSG_TRANSCRIPTION)) {
		c->segment_id++;
		return;
	}
	memset(&wr, 0, sizeof(wr));
	wr.is_final = 1;
	wr.segment_id = c->segment_id++;
	wr.text = a->transcript;
	wr.confidence = a->confidence;
	for (i = 0; i < a->nwords && i < RIVAMSG_MAX_WORDS; i++) {
		session_words[i].word = a->words[i].word;
		session_words[i].start_ms = a->words[i].start_ms;
		session_words[i].end_ms = a->words[i].end_ms;
		session_words[i].confidence = a->words[i].confidence;
	}
	wr.words = session_words;
	wr.nwords = i;
	wr.processing_ms = (double)ev->rtt_us / 1000.0;
	e = wsproto_render_result(session_buf, sizeof(session_buf), &len,
	    c->dialect, clock_wall_ms(), &wr);
	if (e != ERR_OK) {
		metrics_error(&bridge->m, METRICS_ERR_INTERNAL);
		session_send_error(c, e, "final result too large to send");
		return;
	}
	if (session_send(c, session_buf, len, SENDQ_KEEP) == 0) {
		bridge->m.finals_sent++;
		c->results_sent++;
	}
	/*
	 * AudioCodes: each recognition closes a recognition-session for
	 * VoiceAI Connect, which waits for this "end" before it acts on
	 * the text (NVIDIA's bridge sends the same pair).  The Riva stream
	 * goes on: later speech gives more recognition/end pairs, a stop
	 * still gets the last finals and a final "end".
	 */
	if (c->dialect == WSPROTO_AUDIOCODES)
		session_send_stopped(c, SESSION_RECOGNITION_DONE);
}

static void
session_result(struct conn *c, const struct riva_event *ev)
{
	const struct rivamsg_response *resp = &ev->resp;
	struct transcript_view v;
	struct wsproto_result wr;
	size_t i, len, ninterim = 0;
	float stability = 0;
	char *text;

	bridge->m.riva_responses++;
	if (ev->rtt_us > 0)
		metrics_rtt(&bridge->m, ev->rtt_us);
	for (i = 0; i < resp->nresults; i++) {
		if (resp->results[i].is_final)
			session_final(c, &resp->results[i], ev);
		else {
			if (ninterim++ == 0 ||
			    resp->results[i].stability > stability)
				stability = resp->results[i].stability;
		}
	}
	if (ninterim == 0 || !c->enable_partials || c->close_code != 0)
		return;
	if ((text = rivamsg_partial_text(resp)) == NULL) {
		xalloc_die(0, __func__);
	}
	if (c->messages & WSPROTO_MSG_DISPLAY) {
		if (transcript_partial(&c->tr, text, strlen(text),
		    clock_mono_ms(), &v) != ERR_OK) {
			xalloc_die(0, __func__);
		}
		session_display(c, &v);
	}
	memset(&wr, 0, sizeof(wr));
	wr.segment_id = c->segment_id;
	wr.text = text;
	wr.stability = stability;
	wr.processing_ms = (double)ev->rtt_us / 1000.0;
	if ((c->messages & WSPROTO_MSG_PARTIAL) &&
	    wsproto_render_result(session_buf, sizeof(session_buf), &len,
	    c->dialect, clock_wall_ms(), &wr) == ERR_OK &&
	    session_send(c, session_buf, len, SENDQ_PARTIAL) == 0)
		c->results_sent++;
	free(text);
}

void
session_riva_event(struct riva_event *ev)
{
	struct conn *c = ev->user;
	char why[300];

	if (ev->type == RIVA_EV_HEALTH || c == NULL || c->rs != ev->stream)
		return;
	switch (ev->type) {
	case RIVA_EV_RESULT:
		session_result(c, ev);
		break;
	case RIVA_EV_ERROR:
		metrics_error(&bridge->m, ev->err == ERR_UNAVAILABLE ?
		    METRICS_ERR_RIVA_UNAVAILABLE : METRICS_ERR_RIVA_OTHER);
		snprintf(why, sizeof(why), "speech recognition failed: %.200s",
		    ev->message != NULL ? ev->message : err_strerror(ev->err));
		log_warn("conn=%s riva stream failed: %s (grpc status %d)",
		    c->id, err_strerror(ev->err), ev->grpc_status);
		session_send_error(c, ev->err, why);
		snprintf(c->stop_reason, sizeof(c->stop_reason), "error");
		break;
	case RIVA_EV_DONE:
		riva_stream_release(c->rs);
		c->rs = NULL;
		bridge->m.sessions--;
		users_drop_recognition(c->user);
		c->state = SESSION_NONE;
		session_backpressure(c);
		transcript_free(&c->tr);
		session_send_stopped(c, c->stop_reason[0] != '\0' ?
		    c->stop_reason : "ended by the speech service");
		if (c->close_when_done)
			lws_callback_on_writable(c->wsi);
		break;
	default:
		break;
	}
}

void
session_sweep(struct conn *c, uint64_t now_us)
{
	uint64_t idle_us = (uint64_t)bridge->conf.idle_timeout * 1000;
	uint64_t max_us = (uint64_t)bridge->conf.max_session * 1000;
	uint64_t send_us = (uint64_t)bridge->conf.send_timeout * 1000;
	struct transcript_view v;
	char why[128];

	if (c->rx_paused)
		session_backpressure(c);

	if (c->close_code != 0)
		return;
	/* display: a partial that stopped changing, a segment too long */
	if (c->state != SESSION_NONE && (c->messages & WSPROTO_MSG_DISPLAY) &&
	    transcript_tick(&c->tr, (int64_t)(now_us / 1000), &v))
		session_display(c, &v);
	if ((c->qhead != NULL || lws_partial_buffered(c->wsi)) &&
	    now_us - c->tx_since_us > send_us) {
		metrics_error(&bridge->m, METRICS_ERR_SLOW_CLIENT);
		log_warn("conn=%s output stalled for %lld ms; closing", c->id,
		    (long long)bridge->conf.send_timeout);
		session_close_later(c, BRIDGE_CLOSE_SLOW,
		    "client too slow: output stalled");
		return;
	}
	if (now_us - c->last_rx_us > idle_us && c->state != SESSION_STOPPING &&
	    !c->rx_paused) {
		metrics_error(&bridge->m, METRICS_ERR_IDLE);
		snprintf(why, sizeof(why), "idle timeout: nothing received for "
		    "%lld ms", (long long)bridge->conf.idle_timeout);
		session_close_later(c, BRIDGE_CLOSE_IDLE, why);
		return;
	}
	if (c->state == SESSION_RUNNING &&
	    now_us - c->session_start_us > max_us) {
		metrics_error(&bridge->m, METRICS_ERR_SESSION_TOO_LONG);
		snprintf(why, sizeof(why), "recognition reached max_session "
		    "(%lld ms); stopping it", (long long)bridge->conf.max_session);
		session_send_error(c, ERR_TOO_LARGE, why);
		session_finish(c, "max session length reached");
	}
}

void
session_drain(struct conn *c)
{
	c->close_when_done = 1;
	session_finish(c, "server shutting down");
	lws_callback_on_writable(c->wsi);
}
