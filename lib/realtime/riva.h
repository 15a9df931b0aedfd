/*
 * riva.h: the adapter between the bridge and NVIDIA Riva over gRPC.
 *
 * lib/realtime/riva.c is the one file that calls grpc-core.  It owns one channel
 * to Riva and one thread, which makes the grpc calls and waits on the
 * completion queue; the caller (the libwebsockets event loop) never starts
 * a grpc operation and never blocks on one:
 *
 *   - riva_stream_start(), riva_stream_audio(), riva_stream_finish(),
 *     riva_stream_release() and riva_health_check() only copy their input
 *     into the adapter under a mutex, wake the adapter's thread and return.
 *   - Everything that comes back (results, errors, end of stream, health
 *     answers) is put on one thread-safe event queue.  Each time the queue
 *     goes from empty to non-empty the adapter calls the caller's wakeup
 *     function, from an adapter thread (the bridge passes one that sends
 *     its libev loop an ev_async).  The caller then drains the queue with
 *     riva_poll() from its own thread.
 *
 * One recognition = one StreamingRecognize call: the first request carries
 * only the streaming_config, every later one only audio_content.
 * riva_stream_finish() half-closes after the queued audio is sent; the
 * remaining finals are delivered as RIVA_EV_RESULT events and then exactly
 * one RIVA_EV_DONE.  Any failure (Riva unreachable, start deadline passed,
 * Riva aborting the stream, a malformed response, the audio queue over its
 * limit) produces one RIVA_EV_ERROR followed by RIVA_EV_DONE.  Every stream
 * gets exactly one RIVA_EV_DONE, unless it was released first.
 *
 * Threads: all functions below may be called from any one caller thread
 * (they are also safe from several threads, but the event order is per
 * stream).  The wakeup callback runs on an adapter thread, possibly until
 * riva_free() returns; it must only do something thread-safe and quick and
 * must not call riva_* functions.
 */
#ifndef RIVA_H
#define RIVA_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "limit.h"
#include "rivamsg.h"

/* Defaults and bounds for struct riva_opts (0 in a field = default). */
#define RIVA_START_TIMEOUT_MS_DEFAULT	5000
#define RIVA_KEEPALIVE_MS_DEFAULT	0		/* off */
#define RIVA_KEEPALIVE_TIMEOUT_MS_DEFAULT 20000
#define RIVA_MAX_MSG_DEFAULT		(4 * 1024 * 1024)
#define RIVA_MAX_QUEUED_AUDIO_DEFAULT	LIMIT_RIVA_QUEUED_AUDIO_DEFAULT
#define RIVA_MAX_AUDIO_CHUNK		LIMIT_RIVA_AUDIO_CHUNK	/* one call */
#define RIVA_HEALTH_TIMEOUT_MS_DEFAULT	2000

struct riva;
struct riva_stream;

/*
 * Channel options.  Strings are copied by riva_new(); secrets (api_key,
 * the client key) are never logged.  Only target is required.
 */
struct riva_opts {
	const char	*target;		/* "host:port" */
	int		 tls;			/* 0 = plaintext, 1 = TLS */
	const char	*tls_root_ca_file;	/* PEM; NULL = system roots */
	const char	*tls_cert_file;		/* PEM client cert (mTLS) */
	const char	*tls_key_file;		/* PEM client key; with cert */
	const char	*tls_server_name;	/* override name checked; NULL */
	const char	*api_key;		/* "authorization: Bearer <key>" */
	const char	*function_id;		/* "function-id" metadata */
	int		 keepalive_ms;		/* 0 = no keepalive pings */
	int		 keepalive_timeout_ms;
	int		 max_recv_msg;		/* bytes */
	int		 max_send_msg;		/* bytes */
	int		 start_timeout_ms;	/* stream must be under way by then */
	int		 stream_timeout_ms;	/* whole call deadline; 0 = none */
	size_t		 max_queued_audio;	/* bytes waiting per stream, <=
						   LIMIT_RIVA_QUEUED_AUDIO_MAX */
	/* Called (adapter thread) when the event queue becomes non-empty. */
	void		(*wakeup)(void *arg);
	void		*wakeup_arg;
};

enum riva_event_type {
	RIVA_EV_RESULT = 1,	/* one StreamingRecognizeResponse */
	RIVA_EV_ERROR,		/* the stream failed; RIVA_EV_DONE follows */
	RIVA_EV_DONE,		/* the stream is over; no more events */
	RIVA_EV_HEALTH,		/* answer to riva_health_check() */
};

/*
 * One event.  riva_poll() fills it; the caller owns what it points to and
 * frees it with riva_event_clear().
 */
struct riva_event {
	enum riva_event_type	 type;
	struct riva_stream	*stream;	/* NULL for RIVA_EV_HEALTH */
	void			*user;		/* from riva_stream_start() /
						   riva_health_check() */
	/* RIVA_EV_RESULT: every result of the response. */
	struct rivamsg_response	 resp;
	/* RIVA_EV_ERROR (and RIVA_EV_HEALTH when it failed) */
	enum err		 err;		/* ERR_UNAVAILABLE, ERR_UPSTREAM,
						   ERR_TOO_LARGE, ERR_NOMEM... */
	int			 grpc_status;	/* grpc_status_code; 0 = OK */
	char			*message;	/* human text, NULL if none */
	/* RIVA_EV_HEALTH */
	enum rivamsg_health	 health;
	/*
	 * Timing (CLOCK_MONOTONIC, microseconds).  recv_us: when the grpc
	 * thread received the response.  rtt_us (RIVA_EV_RESULT, and
	 * RIVA_EV_HEALTH): for a result, the time from handing the most
	 * recent audio message (or the half-close) to gRPC to receiving this
	 * response (0 when nothing was sent yet), the Riva round trip for
	 * metrics; for health, the call's round trip.
	 */
	uint64_t		 recv_us;
	uint64_t		 rtt_us;
};

/* Per-stream counters, e.g. for metrics. */
struct riva_stream_stats {
	uint64_t	audio_bytes_queued;	/* accepted by riva_stream_audio */
	uint64_t	audio_bytes_sent;	/* handed to gRPC */
	uint64_t	responses;
	uint64_t	results;
	uint64_t	start_us;		/* monotonic, riva_stream_start */
	uint64_t	first_response_us;	/* 0 = none yet */
};

/*
 * Create the adapter: calls grpc_init(), creates the channel (no network
 * I/O yet; gRPC connects lazily) and starts the adapter's threads.  Returns
 * NULL with *errp set: ERR_CONFIG for bad options (named in the log, e.g. an
 * unreadable CA file), ERR_NOMEM, ERR_INTERNAL.
 */
struct riva	*riva_new(const struct riva_opts *, enum err *errp);

/*
 * The checks riva_new() makes on o before it reads a file or sets up a
 * channel, for a program's config check: ERR_OK, or ERR_CONFIG with
 * *field the riva_opts member at fault and *why a static phrase (never a
 * value: the api key is a secret).
 */
enum err	 riva_opts_check(const struct riva_opts *, const char **field,
		    const char **why);

/*
 * Cancel every stream, stop the adapter's threads, destroy the channel and
 * call grpc_shutdown().  Events not yet polled are discarded; streams not yet
 * released are released.  riva_free(NULL) is a no-op.
 */
void		 riva_free(struct riva *);

/*
 * Caller thread: between these two, work for the grpc thread is queued but
 * that thread is woken only once, at riva_release_signals().  Around one turn
 * of the event loop this makes one wakeup of every audio frame that turn
 * read, instead of one per frame.  Nothing the Riva threads do is held.
 */
void		 riva_hold_signals(struct riva *);
void		 riva_release_signals(struct riva *);

/*
 * Start one recognition.  cfg is checked (rivamsg_config_check()) and
 * encoded now, so it may be freed after the call.  user is returned in
 * every event of this stream.  Returns NULL with *errp set (ERR_FIELD,
 * ERR_TOO_LARGE, ERR_NOMEM, ERR_UNAVAILABLE if the adapter is shutting
 * down).  The returned handle stays valid until riva_stream_release().
 */
struct riva_stream *riva_stream_start(struct riva *,
		    const struct rivamsg_config *cfg, void *user,
		    enum err *errp);

/*
 * Queue len bytes of PCM16 LE mono audio (copied; len <= RIVA_MAX_AUDIO_CHUNK,
 * odd lengths are allowed).  Never blocks.  Returns ERR_OK; ERR_TOO_LARGE
 * if the stream's queued audio would pass max_queued_audio (the stream is
 * then failed: RIVA_EV_ERROR with ERR_TOO_LARGE, then RIVA_EV_DONE);
 * ERR_CONFLICT after riva_stream_finish() or once the stream has failed
 * or ended; ERR_INVAL for len 0 or over RIVA_MAX_AUDIO_CHUNK.
 */
enum err	 riva_stream_audio(struct riva_stream *, const void *pcm,
		    size_t len);

/*
 * No more audio: half-close once the queued audio is sent, then deliver
 * the remaining results and RIVA_EV_DONE.  Returns ERR_OK, or
 * ERR_CONFLICT if already finished, failed or ended (harmless).
 */
enum err	 riva_stream_finish(struct riva_stream *);

/*
 * The caller lets go of the handle (always exactly once per started
 * stream: after RIVA_EV_DONE, or earlier to abandon it, e.g. when the
 * WebSocket closes).  A running call is cancelled.  After this riva_poll()
 * returns no event for the stream, and the handle must not be used.
 * riva_stream_release(NULL) is a no-op.
 */
void		 riva_stream_release(struct riva_stream *);

/* Snapshot of the stream's counters (thread-safe). */
void		 riva_stream_stats(struct riva_stream *,
		    struct riva_stream_stats *);

/*
 * Take the next event, if any.  Returns 1 and fills *ev (caller calls
 * riva_event_clear()), or 0 if the queue is empty.  Never blocks.
 */
int		 riva_poll(struct riva *, struct riva_event *ev);
/* Free what an event holds and zero it; safe on a zeroed event. */
void		 riva_event_clear(struct riva_event *);

/*
 * Ask Riva's grpc.health.v1.Health/Check for service ("" = the whole
 * server; NULL = ""), with timeout_ms (0 = default).  The answer arrives as
 * a RIVA_EV_HEALTH event carrying user: err ERR_OK with health SERVING or
 * NOT_SERVING (or UNKNOWN / SERVICE_UNKNOWN), or err ERR_UNAVAILABLE /
 * ERR_UPSTREAM with grpc_status and message.  Returns ERR_OK or ERR_NOMEM /
 * ERR_UNAVAILABLE (shutting down).
 */
enum err	 riva_health_check(struct riva *, const char *service,
		    int timeout_ms, void *user);

/*
 * The last health answer received (RIVA_EV_HEALTH), for cheap /healthz
 * replies: RIVAMSG_HEALTH_UNKNOWN before the first one or when the last
 * check failed, RIVAMSG_HEALTH_NO_SERVICE when Riva answered that it has
 * no health service (UNIMPLEMENTED).  If age_us is not NULL it gets the answer's age.
 */
enum rivamsg_health riva_health_last(struct riva *, uint64_t *age_us);

/*
 * For a Riva without the health service (riva_health_last() says
 * RIVAMSG_HEALTH_NO_SERVICE): 1 if its speech service is shown to work,
 * i.e. GetRivaSpeechRecognitionConfig answered within max_age_us, or a
 * stream received a response more recently than any stream found Riva
 * unavailable; else 0.
 */
int		 riva_works(struct riva *, uint64_t max_age_us);

/*
 * Ask Riva which recognition models it serves (GetRivaSpeechRecognitionConfig)
 * in the background, with timeout_ms (0 = default).  No event: the answer
 * is kept for riva_model_served() and riva_models_copy(); a failed call
 * keeps the previous list, and a Riva that lacks the call (UNIMPLEMENTED)
 * leaves none.  Returns ERR_OK or ERR_NOMEM / ERR_UNAVAILABLE.
 */
enum err	 riva_models_refresh(struct riva *, int timeout_ms);
/* 1 if model is in the last list, 0 if not, -1 if no list is known. */
int		 riva_model_served(struct riva *, const char *model);
/* A copy of the last list (rivamsg_models_clear()); returns 0 (and an
 * empty list) if none is known. */
int		 riva_models_copy(struct riva *, struct rivamsg_models *);

/* Streams currently open (started and not yet done). */
size_t		 riva_active_streams(struct riva *);

#endif /* RIVA_H */
