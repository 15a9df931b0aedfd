/*
 * metrics.c: the bridge's counters and their Prometheus text rendering.
 *
 * All counters live in struct metrics and are touched only from the
 * service thread, so they need no locking.  The Riva round-trip histogram
 * measures, per result, the time from handing the latest audio to gRPC to
 * receiving the response (riva.h rtt_us).
 */
#include <stdio.h>
#include <string.h>

#include "bridge.h"
#include "buf.h"
#include "clock.h"
#include "riva.h"

static const double metrics_bounds[12] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5 };

static const char *const metrics_kinds[METRICS_ERR__MAX] = {
	[METRICS_ERR_BAD_JSON] = "bad_json",
	[METRICS_ERR_BAD_FIELD] = "bad_field",
	[METRICS_ERR_AUDIO_NO_SESSION] = "audio_without_session",
	[METRICS_ERR_FRAME_TOO_BIG] = "frame_too_big",
	[METRICS_ERR_AUTH] = "auth",
	[METRICS_ERR_ORIGIN] = "origin",
	[METRICS_ERR_FULL] = "max_connections",
	[METRICS_ERR_USER_LIMIT] = "user_limit",
	[METRICS_ERR_SLOW_CLIENT] = "slow_client",
	[METRICS_ERR_IDLE] = "idle_timeout",
	[METRICS_ERR_SESSION_TOO_LONG] = "session_too_long",
	[METRICS_ERR_RIVA_UNAVAILABLE] = "riva_unavailable",
	[METRICS_ERR_RIVA_OTHER] = "riva_error",
	[METRICS_ERR_INTERNAL] = "internal",
};

void
metrics_init(struct metrics *m)
{
	memset(m, 0, sizeof(*m));
	m->start_us = clock_mono_us();
}

void
metrics_error(struct metrics *m, enum metrics_kind k)
{
	if ((unsigned)k < METRICS_ERR__MAX)
		m->errors[k]++;
}

void
metrics_rtt(struct metrics *m, uint64_t rtt_us)
{
	double s = (double)rtt_us / 1e6;
	size_t i;

	for (i = 0; i < 12; i++)
		if (s <= metrics_bounds[i]) {
			m->rtt_buckets[i]++;
			break;
		}
	m->rtt_count++;
	m->rtt_sum += s;
}

void
metrics_snapshot(const struct metrics *m, uint64_t now_us,
    struct wsproto_metrics *w)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	w->connections_active = m->connections;
	w->connections_total = m->connections_total;
	w->sessions_active = m->sessions;
	w->sessions_total = m->sessions_total;
	w->audio_seconds = m->audio_seconds;
	w->audio_frames = m->audio_frames;
	w->partials = m->partials_sent;
	w->finals = m->finals_sent;
	w->displays = m->displays_sent;
	w->riva_responses = m->riva_responses;
	w->riva_rtt_ms_avg = m->rtt_count > 0 ? m->rtt_sum * 1000.0 /
	    (double)m->rtt_count : 0.0;
	for (i = 0; i < METRICS_ERR__MAX; i++)
		w->errors += m->errors[i];
	w->uptime_seconds = (double)(now_us - m->start_us) / 1e6;
}

static void
metrics_one(struct buf *o, const char *name, const char *type,
    const char *help, double v)
{
	/* Counts are integers; seconds are summed from sample counts, so
	 * milliseconds are as precise as they get. */
	buf_addf(o, "# HELP %s %s\n# TYPE %s %s\n%s %.*f\n", name, help,
	    name, type, name, v == (double)(uint64_t)v ? 0 : 3, v);
}

size_t
metrics_render(const struct metrics *m, int draining, char *buf, size_t cap)
{
	struct buf o;
	uint64_t cum = 0;
	size_t i;

	buf_init_fixed(&o, buf, cap);
	metrics_one(&o, "audio_bridge_connections", "gauge",
	    "WebSocket connections open now.", (double)m->connections);
	metrics_one(&o, "audio_bridge_connections_total", "counter",
	    "WebSocket connections accepted.", (double)m->connections_total);
	metrics_one(&o, "audio_bridge_sessions", "gauge",
	    "Recognitions running now.", (double)m->sessions);
	metrics_one(&o, "audio_bridge_sessions_total", "counter",
	    "Recognitions started.", (double)m->sessions_total);
	metrics_one(&o, "audio_bridge_audio_seconds_total", "counter",
	    "Seconds of audio relayed to Riva.", m->audio_seconds);
	metrics_one(&o, "audio_bridge_audio_bytes_total", "counter",
	    "Bytes of PCM relayed to Riva.", (double)m->audio_bytes);
	metrics_one(&o, "audio_bridge_partials_sent_total", "counter",
	    "Partial results sent to clients.", (double)m->partials_sent);
	metrics_one(&o, "audio_bridge_partials_dropped_total", "counter",
	    "Partial results dropped or superseded for slow clients.",
	    (double)m->partials_dropped);
	metrics_one(&o, "audio_bridge_finals_sent_total", "counter",
	    "Final results sent to clients.", (double)m->finals_sent);
	metrics_one(&o, "audio_bridge_front_pending_heads", "gauge",
	    "Connections whose request head is being read (plain ws://).",
	    (double)m->front_pending);
	metrics_one(&o, "audio_bridge_front_shed_total", "counter",
	    "Connections dropped before their request head arrived, to make "
	    "room for new ones (a flood of idle sockets).",
	    (double)m->front_shed);
	metrics_one(&o, "audio_bridge_front_head_timeouts_total", "counter",
	    "Connections closed because their request head did not arrive "
	    "in time.", (double)m->front_timeouts);
	metrics_one(&o, "audio_bridge_displays_sent_total", "counter",
	    "Display messages (accumulated transcripts) sent to clients.",
	    (double)m->displays_sent);
	metrics_one(&o, "audio_bridge_draining", "gauge",
	    "1 while shutting down.", draining ? 1.0 : 0.0);
	buf_addf(&o, "# HELP audio_bridge_errors_total Errors by kind.\n"
	    "# TYPE audio_bridge_errors_total counter\n");
	for (i = 0; i < METRICS_ERR__MAX; i++)
		buf_addf(&o, "audio_bridge_errors_total{kind=\"%s\"} "
		    "%llu\n", metrics_kinds[i],
		    (unsigned long long)m->errors[i]);
	buf_addf(&o, "# HELP audio_bridge_riva_rtt_seconds Time from "
	    "sending audio to Riva to receiving its response.\n"
	    "# TYPE audio_bridge_riva_rtt_seconds histogram\n");
	for (i = 0; i < 12; i++) {
		cum += m->rtt_buckets[i];
		buf_addf(&o, "audio_bridge_riva_rtt_seconds_bucket"
		    "{le=\"%g\"} %llu\n", metrics_bounds[i],
		    (unsigned long long)cum);
	}
	buf_addf(&o, "audio_bridge_riva_rtt_seconds_bucket{le=\"+Inf\"} "
	    "%llu\naudio_bridge_riva_rtt_seconds_sum %.9f\n"
	    "audio_bridge_riva_rtt_seconds_count %llu\n",
	    (unsigned long long)m->rtt_count, m->rtt_sum,
	    (unsigned long long)m->rtt_count);
	return buf_err(&o) != ERR_OK ? 0 : o.len;
}
