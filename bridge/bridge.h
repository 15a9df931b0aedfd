/*
 * bridge.h: the private header of audio-bridge, the WebSocket-to-Riva
 * daemon.
 *
 * One process, one libwebsockets service thread.  Everything in bridge/
 * runs on that thread except riva.c's grpc thread, which only talks to us
 * through its event queue and a wakeup (an ev_async on our loop).
 *
 *   main.c     command line, config, signals, the service loop, drain
 *   bridge_conf.c  the config table, loading it and its check
 *   server.c   the lws protocol callback: HTTP (/healthz, /metrics),
 *              upgrade checks (origin, JWT, max connections), frames
 *   session.c  one connection's recognitions: wsproto messages, audio,
 *              Riva events, the bounded send queue
 *   metrics.c  counters, the Riva latency histogram, Prometheus text
 *   riva.c     the gRPC adapter (riva.h)
 */
#ifndef BRIDGE_H
#define BRIDGE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "conf.h"
#include "err.h"
#include "transcript.h"
#include "wsproto.h"

struct riva;
struct riva_stream;
struct riva_event;
struct cognito;

/* WebSocket close codes we send (4000-4999 are for applications). */
#define BRIDGE_CLOSE_GOING_AWAY	1001	/* server shutting down */
#define BRIDGE_CLOSE_TOO_BIG	1009	/* frame over max_frame_bytes */
#define BRIDGE_CLOSE_IDLE	4000	/* nothing received for idle_timeout */
#define BRIDGE_CLOSE_SLOW	4001	/* send queue full: client too slow */
#define BRIDGE_CLOSE_PROTOCOL	4002	/* unrecoverable protocol misuse */

enum bridge_auth {
	BRIDGE_AUTH_REQUIRED = 0,
	BRIDGE_AUTH_OFF,
};

/* Filled from conf/audio-bridge.conf by the table in bridge_conf.c. */
struct bridge_conf {
	char		*listen_address;
	int64_t		 port;
	char		*tls_cert_file;
	char		*tls_key_file;
	int		 auth;			/* enum bridge_auth */
	struct conf_list allowed_origins;
	char		*cognito_issuer;
	char		*cognito_client_ids;
	char		*cognito_jwks_url;
	char		*cognito_token_use;
	int64_t		 jwt_leeway;		/* ms */
	int64_t		 max_connections;
	int64_t		 front_pending_per_address;
	int64_t		 max_connections_per_user;
	int64_t		 max_recognitions_per_user;
	int64_t		 max_frame_bytes;
	int64_t		 max_session;		/* ms */
	int64_t		 idle_timeout;		/* ms */
	int64_t		 send_queue_bytes;
	int64_t		 socket_send_buffer;	/* SO_SNDBUF per client */
	int64_t		 send_timeout;		/* ms without write progress */
	int64_t		 drain_timeout;		/* ms */
	int64_t		 sample_rate;
	char		*language;
	int64_t		 frame_ms;
	char		*riva_target;
	bool		 riva_tls;
	char		*riva_ca_file;
	char		*riva_cert_file;
	char		*riva_key_file;
	char		*riva_server_name;
	char		*riva_api_key;		/* secret */
	char		*riva_function_id;
	int64_t		 riva_start_timeout;	/* ms */
	int64_t		 riva_keepalive;	/* ms, 0 = off */
	int64_t		 riva_max_message;
	int64_t		 health_interval;	/* ms */
	int64_t		 hotword_boost;		/* speech_contexts boost */
	char		*messages;		/* dialect 1 result messages */
	unsigned	 messages_bits;		/* ... parsed: WSPROTO_MSG_* */
	int64_t		 display_stable_bytes;	/* finals kept in display */
	int64_t		 display_flush;		/* ms: partial forced stable */
	int64_t		 display_segment;	/* ms: segment cut */
	int		 log_level;
};

extern const struct conf_key bridge_conf_table[];

/*
 * Load path (NULL = defaults + environment) into *c and run
 * bridge_conf_validate() on it: -n and start-up both come here.  ERR_OK,
 * or ERR_CONFIG with one line in errbuf ("file:line: ..." from the table,
 * "<file>: <key>: why" from the check); *c is freed on error.
 */
enum err	bridge_conf_load(struct bridge_conf *c, const char *path,
		    char *errbuf, size_t errlen);
void		bridge_conf_free(struct bridge_conf *c);
/*
 * What can be checked without the network, past the table's own checks:
 * the wss:// certificate and key (both, and they load with OpenSSL), the
 * Riva options as riva_new() checks them (TLS files only with riva_tls;
 * the CA, client certificate and key load), the token settings when auth
 * is required (a file:// JWKS must hold a key set), and one audio frame
 * (sample_rate x frame_ms) fitting max_frame_bytes.  path only names the
 * file in the message.  ERR_OK, ERR_CONFIG (errbuf says why) or ERR_NOMEM.
 */
enum err	bridge_conf_validate(const struct bridge_conf *c,
		    const char *path, char *errbuf, size_t errlen);
/* What main gives the verifier and the Riva adapter (strings borrowed
 * from c; the adapter's wakeup is main's to set). */
struct cognito_conf;
void		bridge_conf_cognito(const struct bridge_conf *c,
		    struct cognito_conf *cc);
struct riva_opts;
void		bridge_conf_riva(const struct bridge_conf *c,
		    struct riva_opts *o);

/* ------------------------------------------------------------- metrics */

enum metrics_kind {		/* errors by kind, the label of errors_total */
	METRICS_ERR_BAD_JSON = 0,
	METRICS_ERR_BAD_FIELD,
	METRICS_ERR_AUDIO_NO_SESSION,
	METRICS_ERR_FRAME_TOO_BIG,
	METRICS_ERR_AUTH,
	METRICS_ERR_ORIGIN,
	METRICS_ERR_FULL,		/* max_connections reached */
	METRICS_ERR_USER_LIMIT,		/* a per-user limit reached */
	METRICS_ERR_SLOW_CLIENT,
	METRICS_ERR_IDLE,
	METRICS_ERR_SESSION_TOO_LONG,
	METRICS_ERR_RIVA_UNAVAILABLE,
	METRICS_ERR_RIVA_OTHER,
	METRICS_ERR_INTERNAL,
	METRICS_ERR__MAX
};

struct metrics {
	uint64_t	connections;		/* gauge */
	uint64_t	connections_total;
	uint64_t	sessions;		/* gauge */
	uint64_t	sessions_total;
	uint64_t	audio_bytes;		/* relayed to Riva, PCM16 */
	double		audio_seconds;
	uint64_t	audio_frames;		/* binary messages relayed */
	uint64_t	partials_sent;
	uint64_t	partials_dropped;
	uint64_t	finals_sent;
	uint64_t	displays_sent;
	uint64_t	riva_responses;
	uint64_t	errors[METRICS_ERR__MAX];
	uint64_t	rtt_buckets[12];	/* cumulative at render time */
	uint64_t	rtt_count;
	double		rtt_sum;		/* seconds */
	uint64_t	start_us;		/* monotonic, process start */
	/* Copied from front_stats() when rendered. */
	uint64_t	front_pending;		/* gauge */
	uint64_t	front_shed;
	uint64_t	front_timeouts;
};

void		metrics_init(struct metrics *);
void		metrics_error(struct metrics *, enum metrics_kind);
void		metrics_rtt(struct metrics *, uint64_t rtt_us);
/* Render Prometheus text format 0.0.4 into buf; returns the length, or 0
 * if it does not fit. */
size_t		metrics_render(const struct metrics *, int draining,
		    char *buf, size_t cap);
/* The dialect 1 `metrics` reply's numbers. */
void		metrics_snapshot(const struct metrics *, uint64_t now_us,
		    struct wsproto_metrics *);

/* ------------------------------------------------------------- session */

/*
 * What may happen to a queued message: kept, or superseded by a newer one
 * of its kind (and dropped first when the queue is full).
 */
enum sendq_kind {
	SENDQ_KEEP = 0,		/* finals, errors, everything else */
	SENDQ_PARTIAL,		/* a partial / hypothesis */
	SENDQ_DISPLAY,		/* a display of a partial */
};

/* One queued server message; data starts LWS_PRE bytes into buf. */
struct sendq_msg {
	struct sendq_msg	*next;
	size_t			 len;
	enum sendq_kind		 droppable;
	unsigned char		 buf[];
};

enum session_state {
	SESSION_NONE = 0,	/* no recognition running */
	SESSION_RUNNING,	/* started, audio flows */
	SESSION_STOPPING,	/* finished, waiting for the last finals */
};

/* Per-connection state: libwebsockets' per-session user data. */
struct user;

/* users.c: per-user counts (service thread only). */
/* Count a connection of sub against max (0: none); NULL when sub holds
 * max already (*held: how many it holds) or out of memory. */
struct user	*users_take_connection(const char *sub, int64_t max,
		    uint32_t *held);
void		 users_drop_connection(struct user *);
/* 1 if the user (NULL: no auth) may start one more recognition. */
int		 users_may_recognize(const struct user *, int64_t max);
void		 users_take_recognition(struct user *);
void		 users_drop_recognition(struct user *);
const char	*users_sub(const struct user *);

struct conn {
	struct lws		*wsi;
	struct user		*user;		/* NULL with auth = off */
	struct conn		*prev, *next;	/* bridge.conns */
	char			 id[24];
	enum wsproto_dialect	 dialect;
	enum session_state	 state;
	struct riva_stream	*rs;
	int			 enable_partials;
	int			 sample_rate;
	uint32_t		 segment_id;
	/* result messages: of this recognition, and ?messages= (0 = none) */
	unsigned		 messages;
	unsigned		 url_messages;
	struct transcript	 tr;		/* display messages */
	int			 stopped_by_client; /* the last recognition */
	uint64_t		 audio_dropped;	/* bytes after a stop */
	int64_t			 connected_at_ms;
	uint64_t		 audio_frames;
	uint64_t		 audio_bytes;
	uint64_t		 results_sent;
	uint64_t		 session_start_us;
	uint64_t		 last_rx_us;
	uint64_t		 session_audio_bytes;
	/* the message being received, possibly in fragments */
	size_t			 rx_msg_bytes;
	char			*text;		/* text message assembly */
	size_t			 textlen;
	int			 text_over;	/* over LIMIT_WS_TEXT_BYTES */
	char			 stop_reason[64];
	int			 close_when_done; /* SIGTERM drain */
	/* bounded send queue */
	struct sendq_msg	*qhead, *qtail;
	size_t			 qbytes;
	uint64_t		 tx_since_us;	/* output pending since, or last
						   write progress */
	/* close requested from outside a callback of this wsi */
	int			 close_code;
	char			 close_reason[96];
	int			 established;
	int			 rx_paused;	/* Riva's audio queue is full */
	/* AudioCodes "format":"wav": the header being read off the audio
	 * (NULL once read, or for raw audio) */
	unsigned char		*wav;
	size_t			 wavlen;
};

struct bridge {
	struct bridge_conf	 conf;
	struct lws_context	*ctx;
	struct riva		*riva;
	struct cognito		*cognito;
	struct front		*front;		/* plain ws:// listener */
	struct metrics		 m;
	struct conn		*conns;
	uint64_t		 nconns;
	uint64_t		 next_conn_id;
	char			 riva_target_public[128];
	int			 draining;	/* SIGTERM seen */
	uint64_t		 drain_deadline_us;
	uint64_t		 last_health_us;
};

extern struct bridge *bridge;		/* the one instance, main.c */

/* A new WebSocket connection: greet it (dialect 1 `connection`). */
void		session_open(struct conn *, struct lws *);
/* The connection is gone: release its Riva stream and queue. */
void		session_close(struct conn *);
/* A (fragment of a) received message. */
int		session_receive(struct conn *, const void *in, size_t len,
		    int binary, int first, int final);
/* The socket can take more: write one queued message.  Returns -1 to
 * close the connection. */
int		session_writeable(struct conn *);
/* Route one Riva event to its connection. */
void		session_riva_event(struct riva_event *);
/* Periodic checks: idle timeout, max session length. */
void		session_sweep(struct conn *, uint64_t now_us);
/* SIGTERM: finish the running recognition (finals still flow). */
void		session_drain(struct conn *);
/* Queue a text message; droppable ones may be dropped or superseded by a
 * newer one of their kind.  Returns 0, or -1 when the connection is being
 * closed as too slow. */
int		session_send(struct conn *, const char *msg, size_t len,
		    enum sendq_kind droppable);
/* Ask the service loop to close c with code and reason. */
void		session_close_later(struct conn *, int code,
		    const char *reason);

/* lws protocol callback (server.c). */
int		server_callback(struct lws *, enum lws_callback_reasons,
		    void *user, void *in, size_t len);
/* Relay every event the Riva adapter has queued (server.c). */
void		server_poll_riva(void);
/* ?messages= of the upgrade request: 1 and *bits, 0 if absent, -1 (and
 * why) if not a valid list. */
int		server_url_messages(struct lws *, unsigned *bits, char *why,
		    size_t whylen);
/* Riva's state as /healthz and get_metrics name it ("SERVING",
 * "no_health_service", ...); *reachable is 1 when streams can work. */
const char	*server_riva_state(int *reachable);

#endif /* BRIDGE_H */
