/*
 * wsclient.c: a WebSocket test client for audio-bridge (libwebsockets).
 *
 *   wsclient [options] ws://host:port/path
 *
 * Each client runs a script of steps (-s), separated by ';':
 *   start            send the dialect's start message (-d 1|2)
 *   start=JSON       send JSON as the start message
 *   send=TEXT        send TEXT as a text frame (e.g. bad JSON)
 *   audio            stream the PCM file (-a) in -F byte frames, at real
 *                    time (-r) or as fast as possible
 *   bin=N            send one binary frame of N zero bytes
 *   stop | ping | metrics
 *   wait=TYPE        wait until a message of type TYPE has arrived since
 *                    the previous wait (or the start); wait=end:REASON
 *                    waits for an "end" with that reason
 *   sleep=MS         pause
 *   pause            stop reading from the socket (a slow reader)
 *   resume           read again
 *   close            close with 1000 and end
 * The default script is "start;audio;stop;wait=<stopped>;close".
 *
 * Output, one JSON object per line on stdout: every server message as
 * received (with -n > 1 wrapped as {"client":i,"msg":...} unless -q), and
 * events {"event":"connected"|"closed"|"connect_error"|"timeout",...}.
 * With -n > 1 (load mode) a final {"event":"summary",...} line gives counts
 * and, with -L (dialect 1, against `riva-standin --partial-every 3200`,
 * which hears one word per 3200-byte frame, so that a partial answers frame
 * k = words in the finals so far + words in the partial), the latency of
 * every partial: rtt = partial received minus frame k sent;
 * added = rtt minus the processing_time_ms the bridge reports (its own
 * gRPC send->receive time), i.e. what the bridge and the WebSocket hops
 * add, both directions together.  Against `riva-standin --stamp`, whose
 * partials end in "@K:R:S" (frame K arrived at R, answer built at S, on
 * the same CLOCK_MONOTONIC), "stamped" is the time spent between the
 * client and Riva in both directions: (R - frame K sent) + (partial
 * received - S), the stand-in's own time left out.  -w FROM:TO adds the
 * same figures for the partials received from FROM to TO seconds after
 * the start (the steady state of a benchmark, without connection set-up
 * and teardown).
 *
 * Options: -t TOKEN (?token=), -P PROTOCOLS (Sec-WebSocket-Protocol),
 * -o ORIGIN, -d DIALECT, -a FILE, -F BYTES, -r, -n CLIENTS, -R RAMP_MS
 * (stagger connects), -T SECONDS (overall timeout), -q, -k (wss: accept a
 * self-signed certificate), -B BYTES (the socket's receive buffer, for
 * slow-reader tests), -w FROM:TO (see above).
 * Exit status: 0 if every client ran its script to the end, 1 otherwise,
 * 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <libwebsockets.h>

enum step_kind {
	STEP_START, STEP_SEND, STEP_AUDIO, STEP_BIN, STEP_STOP, STEP_PING,
	STEP_METRICS, STEP_WAIT, STEP_SLEEP, STEP_PAUSE, STEP_RESUME,
	STEP_CLOSE,
};

struct step {
	enum step_kind	 kind;
	char		*arg;
	long		 n;
};

struct client {
	int		 idx;
	struct lws	*wsi;
	int		 step;
	int		 connected;
	int		 done;		/* script finished */
	int		 closed;
	int		 failed;
	int		 write_pending;	/* a send step waits for WRITEABLE */
	size_t		 audio_off;
	uint64_t	 next_us;	/* real-time pacing / sleep */
	uint64_t	 last_frame_us;
	uint64_t	*sent_us;	/* -L: send time of every audio frame */
	size_t		 nsent;
	size_t		 final_words;	/* -L: words in finals so far */
	uint64_t	 connect_at_us;
	char		*rx;
	size_t		 rxlen, rxcap;
	unsigned long	 partials, finals, errors, msgs;
	char		 seen[2048];	/* "|type|type|" since the last wait */
};

static struct step	*steps;
static int		 nsteps;
static struct client	*clients;
static int		 nclients = 1;
static int		 dialect = 1;
static int		 realtime;
static size_t		 frame_bytes = 3200;
static unsigned char	*audio;
static size_t		 audio_len;
static int		 quiet;
static int		 latency_mode;
static int		 rcvbuf;		/* -B: SO_RCVBUF, 0 = kernel's */
static const char	*wait_stopped;
static struct lws_context *ctx;
static volatile sig_atomic_t interrupted;
static double		*lat_rtt, *lat_added;
static uint64_t		*lat_at;	/* when each sample was taken */
static double		*lat_riva;	/* stamped, -1 = no stamp */
static size_t		 nlat, caplat;
static lws_sorted_usec_list_t tick;
/* The earliest time a client waits for (a sleep, the next real-time
 * frame): the main loop looks at the clients only then, not every turn. */
static uint64_t		 next_due;

static void
due_at(uint64_t t)
{
	if (t < next_due)
		next_due = t;
}

/* Wake the service loop every 2 ms so sleeps and real-time pacing run. */
static void
on_tick(lws_sorted_usec_list_t *sul)
{
	lws_sul_schedule(ctx, 0, sul, on_tick, 2 * LWS_US_PER_MS);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
die(const char *msg)
{
	fprintf(stderr, "wsclient: %s\n", msg);
	exit(2);
}

/* A decimal number within [min, max], or exit with a usage error. */
static long
num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		die("bad number in the arguments");
	return v;
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		die("out of memory");
	return p;
}

static void
parse_script(const char *s)
{
	char *copy = strdup(s), *p, *next, *eq;
	struct step st;

	if (copy == NULL)
		die("out of memory");
	for (p = copy; p != NULL; p = next) {
		if ((next = strchr(p, ';')) != NULL)
			*next++ = '\0';
		if (*p == '\0')
			continue;
		memset(&st, 0, sizeof(st));
		if ((eq = strchr(p, '=')) != NULL)
			*eq++ = '\0';
		if (strcmp(p, "start") == 0)
			st.kind = STEP_START;
		else if (strcmp(p, "send") == 0 && eq != NULL)
			st.kind = STEP_SEND;
		else if (strcmp(p, "audio") == 0)
			st.kind = STEP_AUDIO;
		else if (strcmp(p, "bin") == 0 && eq != NULL)
			st.kind = STEP_BIN;
		else if (strcmp(p, "stop") == 0)
			st.kind = STEP_STOP;
		else if (strcmp(p, "ping") == 0)
			st.kind = STEP_PING;
		else if (strcmp(p, "metrics") == 0)
			st.kind = STEP_METRICS;
		else if (strcmp(p, "wait") == 0 && eq != NULL)
			st.kind = STEP_WAIT;
		else if (strcmp(p, "sleep") == 0 && eq != NULL)
			st.kind = STEP_SLEEP;
		else if (strcmp(p, "pause") == 0)
			st.kind = STEP_PAUSE;
		else if (strcmp(p, "resume") == 0)
			st.kind = STEP_RESUME;
		else if (strcmp(p, "close") == 0)
			st.kind = STEP_CLOSE;
		else
			die("bad script step");
		if (eq != NULL) {
			if ((st.arg = strdup(eq)) == NULL)
				die("out of memory");
			if (st.kind == STEP_BIN || st.kind == STEP_SLEEP)
				st.n = num(eq, 0, 1L << 30);
		}
		steps = xrealloc(steps, sizeof(*steps) * (size_t)(nsteps + 1));
		steps[nsteps++] = st;
	}
	free(copy);
}

static void
load_audio(const char *path)
{
	struct stat sb;
	int fd;
	ssize_t n;
	size_t off = 0;

	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &sb) != 0)
		die("cannot open the audio file");
	audio_len = (size_t)sb.st_size;
	audio = xrealloc(NULL, audio_len + 1);
	while (off < audio_len) {
		n = read(fd, audio + off, audio_len - off);
		if (n <= 0)
			die("cannot read the audio file");
		off += (size_t)n;
	}
	close(fd);
}

/* Print one line; the message is JSON from the server. */
static void
emit(struct client *c, const char *json)
{
	if (quiet)
		return;
	if (nclients > 1)
		printf("{\"client\":%d,\"msg\":%s}\n", c->idx, json);
	else
		printf("%s\n", json);
	fflush(stdout);
}

static void
emit_event(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
emit_event(struct client *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	emit(c, buf);
}

/* Type of a server message: the value of its first "type" key. */
static int
msg_type(const char *json, char *type, size_t cap)
{
	const char *p = strstr(json, "\"type\":\""), *q;

	if (p == NULL)
		return -1;
	p += 8;
	if ((q = strchr(p, '"')) == NULL || (size_t)(q - p) >= cap)
		return -1;
	memcpy(type, p, (size_t)(q - p));
	type[q - p] = '\0';
	return 0;
}

static void
lat_add(double rtt, double added, double riva)
{
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 4096;
		lat_rtt = xrealloc(lat_rtt, caplat * sizeof(double));
		lat_added = xrealloc(lat_added, caplat * sizeof(double));
		lat_at = xrealloc(lat_at, caplat * sizeof(uint64_t));
		lat_riva = xrealloc(lat_riva, caplat * sizeof(double));
	}
	lat_rtt[nlat] = rtt;
	lat_added[nlat] = added;
	lat_riva[nlat] = riva;
	lat_at[nlat++] = now_us();
}

static void advance(struct client *);
static int on_writeable(struct client *);

/* Note that a message of this type (or type:reason) has arrived. */
static void
see(struct client *c, const char *type)
{
	char key[80];
	size_t seen = strlen(c->seen);

	snprintf(key, sizeof(key), "|%s|", type);
	if (strstr(c->seen, key) == NULL &&
	    seen + strlen(type) + 3 < sizeof(c->seen))
		snprintf(c->seen + seen, sizeof(c->seen) - seen, "%s%s|",
		    seen == 0 ? "|" : "", type);
}

static void
on_message(struct client *c, const char *json)
{
	char type[64], key[80];
	const char *p, *q;
	double proc;

	c->msgs++;
	emit(c, json);
	if (msg_type(json, type, sizeof(type)) != 0)
		return;
	if (strcmp(type, "partial") == 0 || strcmp(type, "hypothesis") == 0)
		c->partials++;
	else if (strcmp(type, "transcription") == 0 ||
	    strcmp(type, "recognition") == 0)
		c->finals++;
	else if (strcmp(type, "error") == 0)
		c->errors++;
	/*
	 * -L: the stand-in hears one word per frame; its finals hold every
	 * word of a segment and its interim text the words since the last
	 * final, so a partial answers frame (words in finals so far + words
	 * in the partial).
	 */
	if (latency_mode && (strcmp(type, "partial") == 0 ||
	    strcmp(type, "transcription") == 0) &&
	    (p = strstr(json, "\"processing_time_ms\":")) != NULL &&
	    (q = strstr(json, "\"text\":\"")) != NULL) {
		const char *stamp = NULL;
		unsigned long long sk, at_riva, from_riva;
		size_t k = 1;
		double rtt, riva = -1;
		uint64_t t;

		for (q += 8; *q != '"' && *q != '\0'; q++) {
			if (*q == '@') {	/* riva-standin --stamp */
				stamp = q;
				k--;		/* the space before it */
				break;
			}
			k += *q == ' ';
		}
		if (strcmp(type, "transcription") == 0) {
			c->final_words += k;
			k = 0;
		} else
			k += c->final_words;
		if (k > 0 && k <= c->nsent) {
			t = now_us();
			rtt = (double)(t - c->sent_us[k - 1]) / 1000.0;
			proc = strtod(p + 21, NULL);
			/* Frame k sent -> it reached the stand-in, plus the
			 * stand-in's answer -> here: the stand-in's own
			 * time in between is left out. */
			if (stamp != NULL && sscanf(stamp, "@%llu:%llu:%llu",
			    &sk, &at_riva, &from_riva) == 3 && sk == k &&
			    from_riva >= at_riva)
				riva = ((double)at_riva -
				    (double)c->sent_us[k - 1] + (double)t -
				    (double)from_riva) / 1000.0;
			lat_add(rtt, rtt - proc, riva);
		}
	}
	/*
	 * Record each type once: a long stream sends hundreds of partials,
	 * and a list of every message would fill seen[] before the
	 * session_stopped a wait step is looking for.
	 */
	see(c, type);
	/* "end" also as "end:REASON": a dialect 2 recognition ends with
	 * one, so only the reason tells the stop's own end apart. */
	if (strcmp(type, "end") == 0 &&
	    (p = strstr(json, "\"reason\":\"")) != NULL &&
	    (q = strchr(p + 10, '"')) != NULL && q - (p + 10) < 48) {
		snprintf(key, sizeof(key), "end:%.*s", (int)(q - (p + 10)),
		    p + 10);
		see(c, key);
	}
	if (c->step < nsteps && steps[c->step].kind == STEP_WAIT)
		advance(c);
}

static int
send_text(struct client *c, const char *s)
{
	size_t n = strlen(s);
	unsigned char *buf = xrealloc(NULL, LWS_PRE + n + 1);
	int r;

	memcpy(buf + LWS_PRE, s, n);
	r = lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
	free(buf);
	return r < (int)n ? -1 : 0;
}

static int
send_bin(struct client *c, const unsigned char *p, size_t n)
{
	unsigned char *buf = xrealloc(NULL, LWS_PRE + n + 1);
	int r;

	if (p != NULL)
		memcpy(buf + LWS_PRE, p, n);
	else
		memset(buf + LWS_PRE, 0, n);
	r = lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_BINARY);
	free(buf);
	return r < (int)n ? -1 : 0;
}

/* Run steps that need no socket write; stop at one that does. */
static void
advance(struct client *c)
{
	uint64_t t = now_us();

	while (c->step < nsteps && !c->done) {
		struct step *st = &steps[c->step];

		switch (st->kind) {
		case STEP_WAIT: {
			char key[80];

			snprintf(key, sizeof(key), "|%s|", st->arg);
			if (strstr(c->seen, key) == NULL)
				return;
			c->seen[0] = '\0';
			c->step++;
			continue;
		}
		case STEP_SLEEP:
			if (c->next_us == 0) {
				c->next_us = t + (uint64_t)st->n * 1000;
				due_at(c->next_us);
				return;
			}
			if (t < c->next_us) {
				due_at(c->next_us);
				return;
			}
			c->next_us = 0;
			c->step++;
			continue;
		case STEP_PAUSE:
		case STEP_RESUME:
			lws_rx_flow_control(c->wsi, st->kind == STEP_RESUME);
			c->step++;
			continue;
		case STEP_AUDIO:
			if (realtime && c->next_us > t) {
				due_at(c->next_us);
				return;
			}
			/*
			 * A real-time frame is written now, as a browser
			 * would: waiting for WRITEABLE costs two epoll_ctl()
			 * calls and a loop turn per frame, load generator
			 * CPU that competes with the bridge for the same two
			 * cores.  (Not without pacing: that would recurse
			 * once per frame.)
			 */
			if (realtime && !lws_partial_buffered(c->wsi)) {
				c->write_pending = 1;
				if (on_writeable(c) < 0) {
					c->failed = c->done = 1;
					lws_set_timeout(c->wsi,
					    PENDING_TIMEOUT_USER_OK,
					    LWS_TO_KILL_ASYNC);
				}
				return;
			}
			/* FALLTHROUGH */
		default:
			c->write_pending = 1;
			lws_callback_on_writable(c->wsi);
			return;
		}
	}
	if (c->step >= nsteps && !c->done) {
		c->done = 1;
		lws_callback_on_writable(c->wsi);	/* to close */
	}
}

static int
on_writeable(struct client *c)
{
	struct step *st;
	char buf[8192];
	size_t n;

	if (c->done) {
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL,
		    (unsigned char *)"bye", 3);
		return -1;
	}
	if (!c->write_pending || c->step >= nsteps)
		return 0;
	c->write_pending = 0;
	st = &steps[c->step];
	switch (st->kind) {
	case STEP_START:
		if (st->arg != NULL)
			snprintf(buf, sizeof(buf), "%s", st->arg);
		else if (dialect == 2)
			snprintf(buf, sizeof(buf), "{\"type\":\"start\","
			    "\"language\":\"en-US\",\"format\":\"raw\","
			    "\"encoding\":\"LINEAR16\",\"sampleRateHz\":16000}");
		else
			snprintf(buf, sizeof(buf), "{\"type\":"
			    "\"start_transcription\",\"enable_partials\":true,"
			    "\"hotwords\":[\"Riva\"]}");
		if (send_text(c, buf))
			return -1;
		break;
	case STEP_SEND:
		if (send_text(c, st->arg))
			return -1;
		break;
	case STEP_STOP:
		if (send_text(c, dialect == 2 ? "{\"type\":\"stop\"}" :
		    "{\"type\":\"stop_transcription\"}"))
			return -1;
		break;
	case STEP_PING:
		if (send_text(c, "{\"type\":\"ping\"}"))
			return -1;
		break;
	case STEP_METRICS:
		if (send_text(c, "{\"type\":\"get_metrics\"}"))
			return -1;
		break;
	case STEP_BIN:
		if (send_bin(c, NULL, (size_t)st->n))
			return -1;
		break;
	case STEP_CLOSE:
		c->done = 1;
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL,
		    (unsigned char *)"bye", 3);
		return -1;
	case STEP_AUDIO:
		n = audio_len - c->audio_off;
		if (n > frame_bytes)
			n = frame_bytes;
		if (n > 0) {
			if (send_bin(c, audio + c->audio_off, n))
				return -1;
			c->last_frame_us = now_us();
			if (latency_mode) {
				c->sent_us = xrealloc(c->sent_us,
				    (c->nsent + 1) * sizeof(*c->sent_us));
				c->sent_us[c->nsent++] = c->last_frame_us;
			}
			c->audio_off += n;
			if (realtime)
				c->next_us = (c->next_us ? c->next_us :
				    c->last_frame_us) + n * 1000000 /
				    (16000 * 2);
		}
		if (c->audio_off < audio_len) {
			advance(c);
			return 0;
		}
		c->audio_off = 0;
		c->next_us = 0;
		break;
	default:
		break;
	}
	c->step++;
	advance(c);
	return 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct client *c = lws_get_opaque_user_data(wsi);
	int code;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c == NULL)
			break;
		c->failed = 1;
		c->closed = 1;
		emit_event(c, "{\"event\":\"connect_error\",\"status\":%d,"
		    "\"reason\":\"%.*s\"}", lws_http_client_http_response(wsi),
		    in != NULL ? (int)len : 0, in != NULL ? (char *)in : "");
		c->wsi = NULL;
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		/*
		 * A small receive buffer makes a paused reader back the
		 * server up after kilobytes, not after the megabytes a
		 * loopback socket would otherwise absorb.
		 */
		if (rcvbuf > 0)
			(void)setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET,
			    SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		c->connected = 1;
		emit_event(c, "{\"event\":\"connected\",\"protocol\":\"%s\"}",
		    lws_get_protocol(wsi)->name);
		advance(c);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (lws_is_first_fragment(wsi))
			c->rxlen = 0;
		if (c->rxlen + len + 1 > c->rxcap) {
			c->rxcap = c->rxlen + len + 1;
			c->rx = xrealloc(c->rx, c->rxcap);
		}
		memcpy(c->rx + c->rxlen, in, len);
		c->rxlen += len;
		c->rx[c->rxlen] = '\0';
		if (lws_is_final_fragment(wsi))
			on_message(c, c->rx);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writeable(c);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		code = len >= 2 ? ((unsigned char *)in)[0] << 8 |
		    ((unsigned char *)in)[1] : 0;
		emit_event(c, "{\"event\":\"closed\",\"by\":\"server\","
		    "\"code\":%d,\"reason\":\"%.*s\"}", code,
		    len > 2 ? (int)len - 2 : 0, len > 2 ? (char *)in + 2 : "");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c == NULL)
			break;
		c->closed = 1;
		if (!c->done)
			c->failed = 1;
		emit_event(c, "{\"event\":\"disconnected\",\"script_done\":%s}",
		    c->done ? "true" : "false");
		c->wsi = NULL;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "wsclient", callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return -1;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	const char *token = NULL, *proto = NULL, *origin = NULL;
	const char *url, *prot, *addr, *path0;
	char *urlcopy, path[20000];
	int opt, port, tls = 0, insecure = 0, ramp_ms = 0, timeout_s = 60;
	int i, started = 0, running, ok = 1;
	unsigned long connected = 0, completed = 0, failed = 0;
	unsigned long partials = 0, finals = 0, errors = 0;
	uint64_t deadline, t0, next_scan = 0;
	double win_from = -1, win_to = -1, *win_rtt = NULL, *win_added = NULL;
	double *st_all = NULL, *st_win = NULL;
	size_t j, nwin = 0, nst_all = 0, nst_win = 0;
	struct rlimit rl;
	struct ev_loop *loop;
	void *foreign[1];

	while ((opt = getopt(argc, argv, "t:P:o:d:a:F:rn:R:T:qs:kLB:w:")) !=
	    -1) {
		switch (opt) {
		case 't': token = optarg; break;
		case 'P': proto = optarg; break;
		case 'o': origin = optarg; break;
		case 'd': dialect = (int)num(optarg, 1, 2); break;
		case 'a': load_audio(optarg); break;
		case 'F': frame_bytes = (size_t)num(optarg, 1, 1L << 24); break;
		case 'r': realtime = 1; break;
		case 'n': nclients = (int)num(optarg, 1, 100000); break;
		case 'R': ramp_ms = (int)num(optarg, 0, 60000); break;
		case 'T': timeout_s = (int)num(optarg, 1, 86400); break;
		case 'q': quiet = 1; break;
		case 'L': latency_mode = 1; break;
		case 's': parse_script(optarg); break;
		case 'k': insecure = 1; break;
		case 'B': rcvbuf = (int)num(optarg, 1024, 1L << 24); break;
		case 'w':
			if (sscanf(optarg, "%lf:%lf", &win_from,
			    &win_to) != 2 || win_from < 0 ||
			    win_to <= win_from)
				die("-w FROM:TO, seconds after the start");
			break;
		default: die("usage: wsclient [-t token] [-P protocols] "
		    "[-o origin] [-d 1|2] [-a pcm] [-F bytes] [-r] [-n clients] "
		    "[-R ramp_ms] [-T secs] [-q] [-k] [-B rcvbuf] [-w from:to] "
		    "[-s script] ws://host:port/path");
		}
	}
	if (optind != argc - 1 || nclients < 1 || frame_bytes == 0 ||
	    (dialect != 1 && dialect != 2))
		die("need one URL; -n >= 1; -d 1 or 2");
	wait_stopped = dialect == 2 ? "end:stopped by client" :
	    "session_stopped";
	if (nsteps == 0) {
		char def[128];

		snprintf(def, sizeof(def), "start;audio;stop;wait=%s;close",
		    wait_stopped);
		parse_script(def);
	}
	for (i = 0; i < nsteps; i++)
		if (steps[i].kind == STEP_AUDIO && audio == NULL)
			die("the script streams audio: give -a FILE");
	url = argv[optind];
	if ((urlcopy = strdup(url)) == NULL)
		die("out of memory");
	if (lws_parse_uri(urlcopy, &prot, &addr, &port, &path0))
		die("bad URL");
	tls = strcmp(prot, "wss") == 0;
	snprintf(path, sizeof(path), "/%s%s%s", path0, token ?
	    (strchr(path0, '?') ? "&token=" : "?token=") : "", token ?
	    token : "");

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	lws_set_log_level(LLL_ERR, NULL);
	/* libev's epoll loop, as in the bridge: with a thousand clients,
	 * lws's own poll() loop would be the load generator's bottleneck. */
	if ((loop = ev_loop_new(EVFLAG_AUTO)) == NULL)
		die("cannot create the event loop");
	foreign[0] = loop;
	memset(&info, 0, sizeof(info));
	info.foreign_loops = foreign;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	info.options = LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN |
	    LWS_SERVER_OPTION_LIBEV |
	    (tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
	info.timeout_secs = 20;
	if ((ctx = lws_create_context(&info)) == NULL)
		die("cannot create the lws context");
	clients = calloc((size_t)nclients, sizeof(*clients));
	if (clients == NULL)
		die("out of memory");

	lws_sul_schedule(ctx, 0, &tick, on_tick, 2 * LWS_US_PER_MS);
	t0 = now_us();
	deadline = t0 + (uint64_t)timeout_s * 1000000;
	for (;;) {
		uint64_t t = now_us();

		while (started < nclients && t >= t0 + (uint64_t)started *
		    (uint64_t)ramp_ms * 1000) {
			struct client *c = &clients[started];

			c->idx = started++;
			memset(&ci, 0, sizeof(ci));
			ci.context = ctx;
			ci.address = addr;
			ci.port = port;
			ci.path = path;
			ci.host = addr;
			ci.origin = origin;
			ci.protocol = proto;
			ci.ssl_connection = tls ? LCCSCF_USE_SSL |
			    (insecure ? LCCSCF_ALLOW_SELFSIGNED |
			    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK : 0) : 0;
			ci.local_protocol_name = "wsclient";
			ci.opaque_user_data = c;
			ci.pwsi = &c->wsi;
			c->connect_at_us = t;
			if (lws_client_connect_via_info(&ci) == NULL &&
			    !c->closed) {
				c->failed = c->closed = 1;
				emit_event(c, "{\"event\":\"connect_error\","
				    "\"status\":0,\"reason\":\"connect failed\"}");
			}
		}
		/*
		 * Only sleeps and pacing need the clock; everything else
		 * advances from the callbacks.  At least every 20 ms, to
		 * notice the end.
		 */
		if (t >= next_due || t >= next_scan) {
			next_due = UINT64_MAX;
			next_scan = t + 20000;
			running = 0;
			for (i = 0; i < started; i++) {
				struct client *c = &clients[i];

				if (c->closed)
					continue;
				running++;
				if (c->connected && c->wsi != NULL &&
				    !c->write_pending)
					advance(c);
			}
			if (running == 0 && started == nclients)
				break;
		}
		if (interrupted)
			break;
		if (t > deadline) {
			for (i = 0; i < started; i++)
				if (!clients[i].closed) {
					emit_event(&clients[i],
					    "{\"event\":\"timeout\",\"step\":%d}",
					    clients[i].step);
					clients[i].failed = 1;
				}
			break;
		}
		ev_run(loop, EVRUN_ONCE);	/* the 2 ms tick bounds the wait */
	}
	for (i = 0; i < nclients; i++) {
		struct client *c = &clients[i];

		connected += c->connected;
		completed += c->done && !c->failed;
		failed += c->failed || !c->done;
		partials += c->partials;
		finals += c->finals;
		errors += c->errors;
		if (c->failed || !c->done)
			ok = 0;
	}
	if (nclients > 1 || quiet) {
		/* Stamped samples (riva-standin --stamp), whole run and -w. */
		if (nlat > 0) {
			st_all = xrealloc(NULL, nlat * sizeof(double));
			st_win = xrealloc(NULL, nlat * sizeof(double));
			for (j = 0; j < nlat; j++) {
				double at = (double)(lat_at[j] - t0) / 1e6;

				if (lat_riva[j] < 0)
					continue;
				st_all[nst_all++] = lat_riva[j];
				if (win_to > 0 && at >= win_from && at < win_to)
					st_win[nst_win++] = lat_riva[j];
			}
			qsort(st_all, nst_all, sizeof(double), cmp_double);
			qsort(st_win, nst_win, sizeof(double), cmp_double);
		}
		/* -w: the same figures over a window of the run alone. */
		if (win_to > 0 && nlat > 0) {
			win_rtt = xrealloc(NULL, nlat * sizeof(double));
			win_added = xrealloc(NULL, nlat * sizeof(double));
			for (j = 0; j < nlat; j++) {
				double at = (double)(lat_at[j] - t0) / 1e6;

				if (at < win_from || at >= win_to)
					continue;
				win_rtt[nwin] = lat_rtt[j];
				win_added[nwin++] = lat_added[j];
			}
			qsort(win_rtt, nwin, sizeof(double), cmp_double);
			qsort(win_added, nwin, sizeof(double), cmp_double);
		}
		if (nlat > 0) {
			qsort(lat_rtt, nlat, sizeof(double), cmp_double);
			qsort(lat_added, nlat, sizeof(double), cmp_double);
		}
		printf("{\"event\":\"summary\",\"clients\":%d,\"connected\":%lu,"
		    "\"completed\":%lu,\"failed\":%lu,\"partials\":%lu,"
		    "\"finals\":%lu,\"errors\":%lu,\"samples\":%zu,"
		    "\"rtt_ms_p50\":%.3f,\"rtt_ms_p99\":%.3f,"
		    "\"added_ms_p50\":%.3f,\"added_ms_p99\":%.3f,"
		    "\"window_samples\":%zu,"
		    "\"window_rtt_ms_p50\":%.3f,\"window_rtt_ms_p99\":%.3f,"
		    "\"window_added_ms_p50\":%.3f,"
		    "\"window_added_ms_p99\":%.3f,"
		    "\"stamped_samples\":%zu,"
		    "\"stamped_ms_p50\":%.3f,\"stamped_ms_p99\":%.3f,"
		    "\"window_stamped_ms_p50\":%.3f,"
		    "\"window_stamped_ms_p99\":%.3f,"
		    "\"elapsed_s\":%.3f}\n", nclients, connected, completed,
		    failed, partials, finals, errors, nlat,
		    pct(lat_rtt, nlat, .5), pct(lat_rtt, nlat, .99),
		    pct(lat_added, nlat, .5), pct(lat_added, nlat, .99),
		    nwin, pct(win_rtt, nwin, .5), pct(win_rtt, nwin, .99),
		    pct(win_added, nwin, .5), pct(win_added, nwin, .99),
		    nst_all, pct(st_all, nst_all, .5), pct(st_all, nst_all, .99),
		    pct(st_win, nst_win, .5), pct(st_win, nst_win, .99),
		    (double)(now_us() - t0) / 1e6);
	}
	lws_sul_cancel(&tick);
	lws_context_destroy(ctx);
	ev_loop_destroy(loop);
	for (i = 0; i < nclients; i++) {
		free(clients[i].rx);
		free(clients[i].sent_us);
	}
	for (i = 0; i < nsteps; i++)
		free(steps[i].arg);
	free(steps);
	free(clients);
	free(urlcopy);
	free(audio);
	free(lat_rtt);
	free(lat_added);
	free(lat_at);
	free(lat_riva);
	free(st_all);
	free(st_win);
	free(win_rtt);
	free(win_added);
	return ok ? 0 : 1;
}
