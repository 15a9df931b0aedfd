/*
 * riva.c: the one file that calls grpc-core (grpc 1.51 C core).
 *
 * One channel to Riva and one thread of ours (riva_loop), which makes every
 * grpc call that starts or changes something (creating calls, starting
 * batches, cancelling) and turns completions into state changes and events.
 * It waits on the completion queue; work for it (a list of streams and
 * health checks that have something to do) is added under the mutex.
 *
 * The caller's thread (the libwebsockets loop) never starts a real batch:
 * measured on this machine, grpc_call_start_batch() from an outside thread
 * writes inline and took 0.4 ms at the median and up to 24 ms, far too long
 * for an event loop.  riva_stream_audio() and friends only copy into the
 * stream under the mutex; if the grpc thread is asleep, they wake it with
 * an empty batch on a call of a lame channel, which grpc completes at once
 * on our queue (no I/O).  A thread of its own for sending, woken by a
 * condition variable, cost a wakeup and mutex contention per audio frame:
 * at 1000 streams, 21% of a core.
 *
 * Only one SEND_MESSAGE may be in flight per call, so audio waits in a
 * bounded per-stream buffer; the grpc thread takes everything queued (up to
 * RIVA_SEND_MAX bytes) into one message when the previous send completes.
 * A stream ends when its status has arrived, its receive loop has ended and
 * no send is in flight; then its RIVA_EV_ERROR (if any) and RIVA_EV_DONE are
 * queued.  Its memory lives until the call is finished, the grpc thread
 * is done with it and the caller has released it, because grpc tags point
 * into it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "clock.h"
#include "log.h"
#include "riva.h"
#include "xalloc.h"

#define RIVA_METHOD_STREAM \
	"/nvidia.riva.asr.RivaSpeechRecognition/StreamingRecognize"
#define RIVA_METHOD_HEALTH	"/grpc.health.v1.Health/Check"
#define RIVA_METHOD_MODELS \
	"/nvidia.riva.asr.RivaSpeechRecognition/GetRivaSpeechRecognitionConfig"
#define RIVA_TICK_MS		50	/* start-deadline check granularity */
#define RIVA_SEND_MAX		(64 * 1024)	/* audio bytes per message */
#define RIVA_MAX_PEM		(1024 * 1024)
#define RIVA_MAX_TARGET		1024
#define RIVA_MAX_META		4096

enum riva_tagkind {
	RIVA_TAG_SEND,
	RIVA_TAG_RECV,
	RIVA_TAG_STATUS,
	RIVA_TAG_UNARY,
	RIVA_TAG_WAKE,
};

struct riva_tag {
	enum riva_tagkind	 kind;
	void			*obj;
};

struct riva_evnode {
	struct riva_evnode	*next;
	struct riva_event	 ev;
};

struct riva_stream {
	struct riva		*r;
	struct riva_stream	*prev, *next;	/* r->streams */
	struct riva_stream	*work_next;	/* r->work list */
	grpc_call		*call;
	void			*user;
	struct riva_tag		 tag_send, tag_recv, tag_status;
	uint8_t			*cfg;		/* encoded first request */
	size_t			 cfglen;
	/* what the grpc thread is asked to do */
	int			 in_work, busy;
	int			 need_create, want_recv, want_cancel;
	grpc_status_code	 cancel_status;
	const char		*cancel_msg;
	/* grpc ops in flight */
	int			 send_pending, recv_pending, status_pending;
	/* where the stream is */
	int			 created, started, finishing, closed, failed;
	int			 cancelled, recv_done, status_done, done;
	int			 released;
	enum err		 local_err;	/* our reason for cancelling */
	const char		*local_msg;
	uint64_t		 start_deadline_us;
	grpc_byte_buffer	*send_bb;
	uint8_t			*q;		/* audio waiting to be sent */
	size_t			 qlen, qcap;
	grpc_byte_buffer	*recv_bb;
	grpc_metadata_array	 md_initial, md_trailing;
	grpc_status_code	 status;
	grpc_slice		 status_details;
	uint64_t		 last_send_us;
	struct riva_stream_stats stats;
};

/* A unary call: a health check, or (models) the model list. */
struct riva_unary {
	struct riva		*r;
	struct riva_unary	*prev, *next;	/* r->unary_calls */
	struct riva_unary	*work_next;	/* r->uwork list */
	int			 models;
	grpc_call		*call;
	struct riva_tag		 tag;
	void			*user;
	int			 in_work, created, want_cancel, cancelled;
	int			 timeout_ms;
	grpc_byte_buffer	*send_bb, *recv_bb;
	grpc_metadata_array	 md_initial, md_trailing;
	grpc_status_code	 status;
	grpc_slice		 status_details;
	uint64_t		 start_us;
};

struct riva {
	pthread_mutex_t		 mu;
	pthread_t		 thread;
	int			 thread_started;
	grpc_channel		*channel;
	grpc_completion_queue	*cq;
	int			 closing, cq_shut;
	/* Waking the grpc thread: an empty batch on wake_call completes at
	 * once with tag_wake.  working: the thread is not (about to be)
	 * asleep in the queue; wake_posted: a wake is on its way. */
	grpc_channel		*wake_channel;
	grpc_call		*wake_call;
	struct riva_tag		 tag_wake;
	int			 working, wake_posted;
	int			 defer_signal, signal_due;
	/* Caller thread only: riva_hold_signals() is in force, and a
	 * signal is owed once it ends. */
	int			 hold_signals, held_due;
	struct riva_stream	*streams;	/* every stream not yet freed */
	struct riva_stream	*work_head, *work_tail;
	struct riva_unary	*unary_calls;
	struct riva_unary	*uwork_head, *uwork_tail;
	size_t			 nactive;	/* streams not yet done */
	struct riva_evnode	*evhead, *evtail;
	grpc_metadata		 md[2];
	size_t			 nmd;
	int			 start_timeout_ms, stream_timeout_ms;
	size_t			 max_queued_audio;
	size_t			 send_max;
	void			(*wakeup)(void *);
	void			*wakeup_arg;
	enum rivamsg_health	 health_last;
	uint64_t		 health_last_us;
	/* The last model list Riva gave; models_known: 0 = none yet (or
	 * Riva lacks the call), 1 = models holds it. */
	struct rivamsg_models	 models;
	int			 models_known;
	/* evidence that Riva works when it has no health service:
	 * monotonic times of the last model list answered, the last stream
	 * response, the last stream that found Riva unavailable */
	uint64_t		 models_ok_us;
	uint64_t		 stream_ok_us;
	uint64_t		 stream_fail_us;
	uint64_t		 last_tick_us;
};

static int	riva_stream_settle(struct riva_stream *);

static gpr_timespec
riva_deadline_ms(int ms)
{
	if (ms <= 0)
		return gpr_inf_future(GPR_CLOCK_MONOTONIC);
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
	    gpr_time_from_millis(ms, GPR_TIMESPAN));
}

/* ------------------------------------------------------------ event queue */

/* Queue an event (r->mu held).  Returns 1 if the consumer must be woken
 * once the mutex is dropped. */
static int
riva_push(struct riva *r, const struct riva_event *ev)
{
	struct riva_evnode *n = xcalloc(1, sizeof(*n));
	int was_empty = r->evhead == NULL;

	n->ev = *ev;
	if (r->evtail != NULL)
		r->evtail->next = n;
	else
		r->evhead = n;
	r->evtail = n;
	return was_empty;
}

/* Call the caller's wakeup (never with r->mu held). */
static void
riva_wake(struct riva *r, int need)
{
	if (need && r->wakeup != NULL)
		r->wakeup(r->wakeup_arg);
}

void
riva_event_clear(struct riva_event *ev)
{
	if (ev == NULL)
		return;
	rivamsg_response_clear(&ev->resp);
	free(ev->message);
	memset(ev, 0, sizeof(*ev));
}

int
riva_poll(struct riva *r, struct riva_event *ev)
{
	struct riva_evnode *n;

	memset(ev, 0, sizeof(*ev));
	pthread_mutex_lock(&r->mu);
	if ((n = r->evhead) != NULL) {
		r->evhead = n->next;
		if (r->evhead == NULL)
			r->evtail = NULL;
	}
	pthread_mutex_unlock(&r->mu);
	if (n == NULL)
		return 0;
	*ev = n->ev;
	free(n);
	return 1;
}

/* Drop every queued event of stream s (r->mu held). */
static void
riva_drop_events(struct riva *r, struct riva_stream *s)
{
	struct riva_evnode **pp = &r->evhead, *n;

	r->evtail = NULL;
	while ((n = *pp) != NULL) {
		if (n->ev.stream == s) {
			*pp = n->next;
			riva_event_clear(&n->ev);
			free(n);
			continue;
		}
		r->evtail = n;
		pp = &n->next;
	}
}

/* --------------------------------------------------------------- helpers */

/* The message a client may see; details stay in our log. */
static void
riva_status_err(grpc_status_code st, enum err *e, const char **msg)
{
	switch (st) {
	case GRPC_STATUS_OK:
		*e = ERR_OK;
		*msg = NULL;
		break;
	case GRPC_STATUS_UNAVAILABLE:
		*e = ERR_UNAVAILABLE;
		*msg = "speech recognition service unavailable";
		break;
	case GRPC_STATUS_DEADLINE_EXCEEDED:
		*e = ERR_UNAVAILABLE;
		*msg = "speech recognition service did not answer in time";
		break;
	case GRPC_STATUS_RESOURCE_EXHAUSTED:
		*e = ERR_UNAVAILABLE;
		*msg = "speech recognition service overloaded";
		break;
	case GRPC_STATUS_UNAUTHENTICATED:
	case GRPC_STATUS_PERMISSION_DENIED:
		*e = ERR_UPSTREAM;
		*msg = "speech recognition service refused our credentials";
		break;
	default:
		*e = ERR_UPSTREAM;
		*msg = "speech recognition service failed the stream";
		break;
	}
}

/*
 * Must the grpc thread be woken for new work? (r->mu held.)  Not while it
 * is working (it looks at the work lists before it sleeps), nor twice.
 * Returns 1 if the caller must post the wake (riva_post_wake()).
 */
static int
riva_wake_needed(struct riva *r)
{
	if (r->working || r->wake_posted || r->cq_shut || r->wake_call == NULL)
		return 0;
	r->wake_posted = 1;
	return 1;
}

/*
 * An empty batch: grpc queues its completion at once and kicks the thread
 * out of its poll.  With r->mu held or not; the queue cannot be shut down
 * before the wake arrives (riva_maybe_shutdown_cq() waits for it).
 */
static void
riva_post_wake(struct riva *r)
{
	grpc_call_error ce;

	ce = grpc_call_start_batch(r->wake_call, NULL, 0, &r->tag_wake, NULL);
	if (ce != GRPC_CALL_OK) {
		log_error("grpc_call_start_batch(wake) failed: %d", (int)ce);
		abort();	/* a bug in how we use grpc */
	}
}

/*
 * Work was added (r->mu held).  The grpc thread is woken at once, unless a
 * caller-side function asked to defer that (r->defer_signal) until it has
 * dropped the mutex: a woken thread that preempts a caller still holding
 * the mutex would only block on it, and the caller with it.
 */
static void
riva_work_added(struct riva *r)
{
	if (r->defer_signal)
		r->signal_due = 1;
	else if (riva_wake_needed(r))
		riva_post_wake(r);
}

/* Hand s to the grpc thread (r->mu held). */
static void
riva_schedule(struct riva_stream *s)
{
	struct riva *r = s->r;

	if (s->in_work)
		return;
	s->in_work = 1;
	s->work_next = NULL;
	if (r->work_tail != NULL)
		r->work_tail->work_next = s;
	else
		r->work_head = s;
	r->work_tail = s;
	riva_work_added(r);
}

/* Caller-side lock and unlock: wake the grpc thread after unlocking. */
static void
riva_caller_lock(struct riva *r)
{
	pthread_mutex_lock(&r->mu);
	r->defer_signal = 1;
	r->signal_due = 0;
}

static void
riva_caller_unlock(struct riva *r)
{
	int post = 0;

	if (r->signal_due && r->hold_signals)
		r->held_due = 1;
	else if (r->signal_due)
		post = riva_wake_needed(r);
	r->defer_signal = 0;
	r->signal_due = 0;
	pthread_mutex_unlock(&r->mu);
	if (post)
		riva_post_wake(r);
}

void
riva_hold_signals(struct riva *r)
{
	if (r != NULL)
		r->hold_signals = 1;
}

void
riva_release_signals(struct riva *r)
{
	int post;

	if (r == NULL)
		return;
	r->hold_signals = 0;
	if (!r->held_due)
		return;
	r->held_due = 0;
	/* The work was queued under the mutex: no wakeup is lost. */
	pthread_mutex_lock(&r->mu);
	post = riva_wake_needed(r);
	pthread_mutex_unlock(&r->mu);
	if (post)
		riva_post_wake(r);
}

static void
riva_unary_schedule(struct riva_unary *h)
{
	struct riva *r = h->r;

	if (h->in_work)
		return;
	h->in_work = 1;
	h->work_next = NULL;
	if (r->uwork_tail != NULL)
		r->uwork_tail->work_next = h;
	else
		r->uwork_head = h;
	r->uwork_tail = h;
	riva_work_added(r);
}

/* Is there a send (audio or half-close) to start? (r->mu) */
static int
riva_stream_can_send(const struct riva_stream *s)
{
	return s->created && s->started && !s->send_pending && !s->failed &&
	    !s->closed && !s->status_done &&
	    (s->qlen > 0 || s->finishing);
}

/* Fail the stream for a reason of ours (r->mu held): no more sends, and
 * the grpc thread cancels the call with st.  e == ERR_OK (a release) keeps
 * the stream's own outcome. */
static void
riva_stream_fail(struct riva_stream *s, enum err e, const char *msg,
    grpc_status_code st)
{
	if (s->local_err == ERR_OK && e != ERR_OK) {
		s->local_err = e;
		s->local_msg = msg;
	}
	s->failed = 1;
	free(s->q);
	s->q = NULL;
	s->qlen = s->qcap = 0;
	if (!s->status_done && !s->want_cancel && !s->cancelled) {
		s->want_cancel = 1;
		s->cancel_status = st;
		s->cancel_msg = msg;
		riva_schedule(s);
	}
}

static void
riva_stream_free(struct riva_stream *s)
{
	struct riva *r = s->r;

	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		r->streams = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	if (s->call != NULL)
		grpc_call_unref(s->call);
	if (s->send_bb != NULL)
		grpc_byte_buffer_destroy(s->send_bb);
	if (s->recv_bb != NULL)
		grpc_byte_buffer_destroy(s->recv_bb);
	grpc_metadata_array_destroy(&s->md_initial);
	grpc_metadata_array_destroy(&s->md_trailing);
	grpc_slice_unref(s->status_details);
	free(s->cfg);
	free(s->q);
	free(s);
}

static void
riva_maybe_shutdown_cq(struct riva *r)
{
	if (r->closing && !r->cq_shut && r->streams == NULL &&
	    r->unary_calls == NULL && !r->wake_posted) {
		r->cq_shut = 1;
		grpc_completion_queue_shutdown(r->cq);
	}
}

/* ----------------------------------------------- starting and cancelling */

/* Create the call and start its first batches (r->mu held on entry and
 * exit, dropped around grpc). */
static void
riva_call_create(struct riva_stream *s)
{
	struct riva *r = s->r;
	grpc_op ops[2];
	grpc_slice sl;
	grpc_call_error ce;
	grpc_call *call;

	s->need_create = 0;
	if (s->released || r->closing) {
		/* Never reached grpc: it ends here. */
		s->recv_done = s->status_done = 1;
		s->status = GRPC_STATUS_CANCELLED;
		return;
	}
	sl = grpc_slice_from_copied_buffer((const char *)s->cfg, s->cfglen);
	s->send_bb = grpc_raw_byte_buffer_create(&sl, 1);
	grpc_slice_unref(sl);
	free(s->cfg);
	s->cfg = NULL;
	s->send_pending = s->recv_pending = s->status_pending = 1;
	s->created = 1;
	pthread_mutex_unlock(&r->mu);

	call = grpc_channel_create_call(r->channel, NULL,
	    GRPC_PROPAGATE_DEFAULTS, r->cq,
	    grpc_slice_from_static_string(RIVA_METHOD_STREAM), NULL,
	    riva_deadline_ms(r->stream_timeout_ms), NULL);
	if (call == NULL) {
		log_error("grpc_channel_create_call failed");
		pthread_mutex_lock(&r->mu);
		s->send_pending = s->recv_pending = s->status_pending = 0;
		s->recv_done = s->status_done = 1;
		s->status = GRPC_STATUS_INTERNAL;
		s->local_err = ERR_INTERNAL;
		s->local_msg = "internal error";
		return;
	}
	s->call = call;
	/* Status first, so every later failure still ends in a status. */
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[0].data.recv_status_on_client.trailing_metadata = &s->md_trailing;
	ops[0].data.recv_status_on_client.status = &s->status;
	ops[0].data.recv_status_on_client.status_details = &s->status_details;
	ce = grpc_call_start_batch(call, ops, 1, &s->tag_status, NULL);
	if (ce != GRPC_CALL_OK) {
		log_error("grpc_call_start_batch(status) failed: %d", (int)ce);
		abort();	/* a bug in how we use grpc */
	}
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[0].data.send_initial_metadata.count = r->nmd;
	ops[0].data.send_initial_metadata.metadata = r->nmd > 0 ? r->md : NULL;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = s->send_bb;
	ce = grpc_call_start_batch(call, ops, 2, &s->tag_send, NULL);
	if (ce == GRPC_CALL_OK) {
		memset(ops, 0, sizeof(ops));
		ops[0].op = GRPC_OP_RECV_INITIAL_METADATA;
		ops[0].data.recv_initial_metadata.recv_initial_metadata =
		    &s->md_initial;
		ops[1].op = GRPC_OP_RECV_MESSAGE;
		ops[1].data.recv_message.recv_message = &s->recv_bb;
		ce = grpc_call_start_batch(call, ops, 2, &s->tag_recv, NULL);
		if (ce != GRPC_CALL_OK) {
			log_error("grpc_call_start_batch(recv) failed: %d",
			    (int)ce);
			abort();
		}
		pthread_mutex_lock(&r->mu);
		return;
	}
	log_error("grpc_call_start_batch(start) failed: %d", (int)ce);
	pthread_mutex_lock(&r->mu);
	s->send_pending = s->recv_pending = 0;
	s->recv_done = 1;
	riva_stream_fail(s, ERR_INTERNAL, "internal error",
	    GRPC_STATUS_INTERNAL);
}

/* One send: queued audio, else the half-close (r->mu held; dropped around
 * grpc). */
static void
riva_send_next(struct riva_stream *s)
{
	struct riva *r = s->r;
	grpc_op op;
	grpc_slice sl;
	grpc_call_error ce;
	size_t n;
	int close;

	memset(&op, 0, sizeof(op));
	if (s->qlen > 0) {
		close = 0;
		n = s->qlen < r->send_max ? s->qlen : r->send_max;
		sl = grpc_slice_malloc(rivamsg_audio_size(n));
		rivamsg_encode_audio(s->q, n, GRPC_SLICE_START_PTR(sl));
		s->send_bb = grpc_raw_byte_buffer_create(&sl, 1);
		grpc_slice_unref(sl);
		memmove(s->q, s->q + n, s->qlen - n);
		s->qlen -= n;
		/*
		 * The buffer stays for the next frame (a few KiB per stream):
		 * freeing it after every send made each frame a large malloc,
		 * which makes glibc consolidate its fastbins every time
		 * (malloc_consolidate was 1% of the bridge at 1000 streams).
		 */
		s->stats.audio_bytes_sent += n;
		op.op = GRPC_OP_SEND_MESSAGE;
		op.data.send_message.send_message = s->send_bb;
	} else {
		close = 1;
		s->closed = 1;
		op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	}
	s->send_pending = 1;
	s->last_send_us = clock_mono_us();
	pthread_mutex_unlock(&r->mu);
	ce = grpc_call_start_batch(s->call, &op, 1, &s->tag_send, NULL);
	pthread_mutex_lock(&r->mu);
	if (ce != GRPC_CALL_OK) {
		log_error("grpc_call_start_batch(%s) failed: %d",
		    close ? "close" : "send", (int)ce);
		s->send_pending = 0;
		if (s->send_bb != NULL) {
			grpc_byte_buffer_destroy(s->send_bb);
			s->send_bb = NULL;
		}
		riva_stream_fail(s, ERR_INTERNAL, "internal error",
		    GRPC_STATUS_INTERNAL);
	}
}

/* Do what s asks for (r->mu held; dropped around grpc calls).  Returns the
 * wake flag.  May free s. */
static int
riva_work_stream(struct riva_stream *s)
{
	struct riva *r = s->r;
	grpc_op op;
	grpc_call_error ce;
	grpc_status_code st;
	const char *msg;

	s->busy = 1;
	for (;;) {
		if (s->need_create) {
			riva_call_create(s);
			continue;
		}
		if (s->want_cancel && s->call != NULL && !s->cancelled) {
			s->cancelled = 1;
			st = s->cancel_status;
			msg = s->cancel_msg;
			pthread_mutex_unlock(&r->mu);
			grpc_call_cancel_with_status(s->call, st, msg, NULL);
			pthread_mutex_lock(&r->mu);
			continue;
		}
		if (s->want_recv && !s->recv_pending && !s->recv_done &&
		    s->call != NULL) {
			s->want_recv = 0;
			s->recv_pending = 1;
			memset(&op, 0, sizeof(op));
			op.op = GRPC_OP_RECV_MESSAGE;
			op.data.recv_message.recv_message = &s->recv_bb;
			pthread_mutex_unlock(&r->mu);
			ce = grpc_call_start_batch(s->call, &op, 1, &s->tag_recv,
			    NULL);
			pthread_mutex_lock(&r->mu);
			if (ce != GRPC_CALL_OK) {
				log_error("grpc_call_start_batch(recv) "
				    "failed: %d", (int)ce);
				s->recv_pending = 0;
				s->recv_done = 1;
				riva_stream_fail(s, ERR_INTERNAL,
				    "internal error", GRPC_STATUS_INTERNAL);
			}
			continue;
		}
		if (riva_stream_can_send(s)) {
			riva_send_next(s);
			continue;
		}
		break;
	}
	s->busy = 0;
	return riva_stream_settle(s);
}

static void
riva_unary_free(struct riva_unary *h)
{
	struct riva *r = h->r;

	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		r->unary_calls = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	if (h->call != NULL)
		grpc_call_unref(h->call);
	if (h->send_bb != NULL)
		grpc_byte_buffer_destroy(h->send_bb);
	if (h->recv_bb != NULL)
		grpc_byte_buffer_destroy(h->recv_bb);
	grpc_metadata_array_destroy(&h->md_initial);
	grpc_metadata_array_destroy(&h->md_trailing);
	grpc_slice_unref(h->status_details);
	free(h);
}

/* Start or cancel a unary call (r->mu held; dropped around grpc). */
static int
riva_work_unary(struct riva_unary *h)
{
	struct riva *r = h->r;
	struct riva_event ev;
	grpc_op ops[6];
	grpc_call_error ce = GRPC_CALL_OK;
	grpc_call *call;

	if (h->created) {
		if (h->want_cancel && !h->cancelled) {
			h->cancelled = 1;
			pthread_mutex_unlock(&r->mu);
			grpc_call_cancel_with_status(h->call,
			    GRPC_STATUS_CANCELLED, "shutting down", NULL);
			pthread_mutex_lock(&r->mu);
		}
		return 0;
	}
	if (r->closing) {
		riva_unary_free(h);
		return 0;
	}
	h->created = 1;
	pthread_mutex_unlock(&r->mu);
	call = grpc_channel_create_call(r->channel, NULL,
	    GRPC_PROPAGATE_DEFAULTS, r->cq,
	    grpc_slice_from_static_string(h->models ? RIVA_METHOD_MODELS :
	    RIVA_METHOD_HEALTH), NULL, riva_deadline_ms(h->timeout_ms), NULL);
	if (call != NULL) {
		h->call = call;
		memset(ops, 0, sizeof(ops));
		ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
		ops[0].data.send_initial_metadata.count = r->nmd;
		ops[0].data.send_initial_metadata.metadata =
		    r->nmd > 0 ? r->md : NULL;
		ops[1].op = GRPC_OP_SEND_MESSAGE;
		ops[1].data.send_message.send_message = h->send_bb;
		ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
		ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
		ops[3].data.recv_initial_metadata.recv_initial_metadata =
		    &h->md_initial;
		ops[4].op = GRPC_OP_RECV_MESSAGE;
		ops[4].data.recv_message.recv_message = &h->recv_bb;
		ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
		ops[5].data.recv_status_on_client.trailing_metadata =
		    &h->md_trailing;
		ops[5].data.recv_status_on_client.status = &h->status;
		ops[5].data.recv_status_on_client.status_details =
		    &h->status_details;
		ce = grpc_call_start_batch(call, ops, 6, &h->tag, NULL);
	}
	pthread_mutex_lock(&r->mu);
	if (call != NULL && ce == GRPC_CALL_OK)
		return 0;
	log_error("cannot start the %s call (%d)", h->models ? "model list" :
	    "health check", (int)ce);
	if (h->models) {
		riva_unary_free(h);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = RIVA_EV_HEALTH;
	ev.user = h->user;
	ev.err = ERR_INTERNAL;
	ev.message = xstrdup("internal error");
	ev.recv_us = clock_mono_us();
	riva_unary_free(h);
	return riva_push(r, &ev);
}

/*
 * Work through the health checks and streams that have something to do
 * (r->mu held; dropped around grpc).  Returns the wake flag.
 */
static int
riva_run_work(struct riva *r)
{
	struct riva_stream *s;
	struct riva_unary *h;
	int wake = 0;

	for (;;) {
		if ((h = r->uwork_head) != NULL) {
			r->uwork_head = h->work_next;
			if (r->uwork_head == NULL)
				r->uwork_tail = NULL;
			h->in_work = 0;
			wake |= riva_work_unary(h);
		} else if ((s = r->work_head) != NULL) {
			r->work_head = s->work_next;
			if (r->work_head == NULL)
				r->work_tail = NULL;
			s->in_work = 0;
			wake |= riva_work_stream(s);	/* may free s */
		} else
			return wake;
	}
}

/* ----------------------------------------------------- stream completions */

/*
 * After every change of s (r->mu held): queue the end of the stream when it
 * is over, and free it when nothing refers to it any more.  Returns the
 * wake flag from riva_push().
 */
static int
riva_stream_settle(struct riva_stream *s)
{
	struct riva *r = s->r;
	struct riva_event ev;
	const char *msg = NULL;
	enum err e = ERR_OK;
	int wake = 0;
	char *details;

	if (!s->done && s->status_done && s->recv_done && !s->send_pending) {
		s->done = 1;
		r->nactive--;
		if (s->local_err != ERR_OK) {
			e = s->local_err;
			msg = s->local_msg;
		} else
			riva_status_err(s->status, &e, &msg);
		if ((s->status != GRPC_STATUS_OK || e != ERR_OK) &&
		    !(s->released && s->status == GRPC_STATUS_CANCELLED)) {
			details = grpc_slice_to_c_string(s->status_details);
			log_warn("riva stream failed: grpc_status=%d err=%s "
			    "details=\"%s\"", (int)s->status, err_code(e),
			    details != NULL ? details : "");
			gpr_free(details);
		}
		if (e == ERR_UNAVAILABLE)
			r->stream_fail_us = clock_mono_us();
		if (!s->released) {
			if (e != ERR_OK) {
				memset(&ev, 0, sizeof(ev));
				ev.type = RIVA_EV_ERROR;
				ev.stream = s;
				ev.user = s->user;
				ev.err = e;
				ev.grpc_status = (int)s->status;
				ev.message = xstrdup(msg);
				ev.recv_us = clock_mono_us();
				wake |= riva_push(r, &ev);
			}
			memset(&ev, 0, sizeof(ev));
			ev.type = RIVA_EV_DONE;
			ev.stream = s;
			ev.user = s->user;
			ev.grpc_status = (int)s->status;
			ev.recv_us = clock_mono_us();
			wake |= riva_push(r, &ev);
		}
	}
	if (s->released && s->done && !s->send_pending && !s->recv_pending &&
	    !s->status_pending && !s->in_work && !s->busy)
		riva_stream_free(s);
	return wake;
}

static int
riva_on_send(struct riva_stream *s, int ok)
{
	s->send_pending = 0;
	if (s->send_bb != NULL) {
		grpc_byte_buffer_destroy(s->send_bb);
		s->send_bb = NULL;
	}
	if (!ok) {
		/* The call is broken; its status says why. */
		s->failed = 1;
	} else if (!s->started)
		s->started = 1;
	if (riva_stream_can_send(s))
		riva_schedule(s);
	return riva_stream_settle(s);
}

/*
 * A message arrived (or the receive loop ended).  The response was decoded
 * by riva_loop() before taking the mutex: e is the decode result, resp the
 * response.  (r->mu held.)
 */
static int
riva_on_recv(struct riva_stream *s, int ok, int ended, enum err e,
    struct rivamsg_response *resp, uint64_t now)
{
	struct riva_event ev;
	int wake = 0;

	s->recv_pending = 0;
	if (!ok || ended) {
		s->recv_done = 1;
		return riva_stream_settle(s);
	}
	if (e != ERR_OK) {
		log_warn("bad StreamingRecognizeResponse from riva: %s",
		    err_code(e));
		s->recv_done = 1;
		riva_stream_fail(s, e == ERR_NOMEM ? e : ERR_UPSTREAM,
		    "speech recognition service sent a malformed response",
		    GRPC_STATUS_INTERNAL);
		return riva_stream_settle(s);
	}
	s->stats.responses++;
	s->stats.results += resp->nresults;
	s->r->stream_ok_us = now;
	if (s->stats.first_response_us == 0)
		s->stats.first_response_us = now;
	if (s->released || s->done)
		rivamsg_response_clear(resp);
	else {
		memset(&ev, 0, sizeof(ev));
		ev.type = RIVA_EV_RESULT;
		ev.stream = s;
		ev.user = s->user;
		ev.resp = *resp;
		memset(resp, 0, sizeof(*resp));
		ev.recv_us = now;
		ev.rtt_us = s->last_send_us != 0 && now > s->last_send_us ?
		    now - s->last_send_us : 0;
		wake = riva_push(s->r, &ev);
	}
	s->want_recv = 1;
	riva_schedule(s);
	return wake | riva_stream_settle(s);
}

static int
riva_on_status(struct riva_stream *s)
{
	s->status_pending = 0;
	s->status_done = 1;
	s->failed = 1;
	free(s->q);
	s->q = NULL;
	s->qlen = s->qcap = 0;
	return riva_stream_settle(s);
}

/* ------------------------------------------------------ the caller's side */

struct riva_stream *
riva_stream_start(struct riva *r, const struct rivamsg_config *cfg,
    void *user, enum err *errp)
{
	struct riva_stream *s;
	uint8_t *buf = NULL;
	size_t len;
	enum err e;

	if ((e = rivamsg_encode_config(cfg, &buf, &len)) != ERR_OK) {
		*errp = e;
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->r = r;
	s->user = user;
	s->cfg = buf;
	s->cfglen = len;
	s->tag_send.kind = RIVA_TAG_SEND;
	s->tag_send.obj = s;
	s->tag_recv.kind = RIVA_TAG_RECV;
	s->tag_recv.obj = s;
	s->tag_status.kind = RIVA_TAG_STATUS;
	s->tag_status.obj = s;
	s->status_details = grpc_empty_slice();
	grpc_metadata_array_init(&s->md_initial);
	grpc_metadata_array_init(&s->md_trailing);
	s->stats.start_us = clock_mono_us();
	s->start_deadline_us = s->stats.start_us +
	    (uint64_t)r->start_timeout_ms * 1000;
	s->need_create = 1;

	riva_caller_lock(r);
	if (r->closing) {
		riva_caller_unlock(r);
		free(s->cfg);
		free(s);
		*errp = ERR_UNAVAILABLE;
		return NULL;
	}
	s->next = r->streams;
	if (r->streams != NULL)
		r->streams->prev = s;
	r->streams = s;
	r->nactive++;
	riva_schedule(s);
	riva_caller_unlock(r);
	return s;
}

enum err
riva_stream_audio(struct riva_stream *s, const void *pcm, size_t len)
{
	struct riva *r = s->r;
	enum err e = ERR_OK;
	size_t cap;

	if (len == 0 || len > RIVA_MAX_AUDIO_CHUNK)
		return ERR_INVAL;
	riva_caller_lock(r);
	if (s->finishing || s->failed || s->done || s->released) {
		e = ERR_CONFLICT;
		goto out;
	}
	if (s->qlen + len > r->max_queued_audio) {
		log_warn("riva audio queue over %zu bytes; failing stream",
		    r->max_queued_audio);
		riva_stream_fail(s, ERR_TOO_LARGE,
		    "audio is arriving faster than the recognizer accepts it",
		    GRPC_STATUS_RESOURCE_EXHAUSTED);
		e = ERR_TOO_LARGE;
		goto out;
	}
	s->stats.audio_bytes_queued += len;
	if (s->qlen + len > s->qcap) {
		cap = s->qcap > 0 ? s->qcap : 4096;
		while (cap < s->qlen + len)
			cap *= 2;
		if (cap > r->max_queued_audio)
			cap = r->max_queued_audio;
		s->q = xrealloc(s->q, cap);
		s->qcap = cap;
	}
	memcpy(s->q + s->qlen, pcm, len);
	s->qlen += len;
	if (riva_stream_can_send(s))
		riva_schedule(s);
out:
	riva_caller_unlock(r);
	return e;
}

enum err
riva_stream_finish(struct riva_stream *s)
{
	struct riva *r = s->r;
	enum err e = ERR_OK;

	riva_caller_lock(r);
	if (s->finishing || s->failed || s->done || s->released)
		e = ERR_CONFLICT;
	else {
		s->finishing = 1;
		if (riva_stream_can_send(s))
			riva_schedule(s);
	}
	riva_caller_unlock(r);
	return e;
}

void
riva_stream_release(struct riva_stream *s)
{
	struct riva *r;

	if (s == NULL)
		return;
	r = s->r;
	riva_caller_lock(r);
	s->released = 1;
	riva_drop_events(r, s);
	if (!s->done)
		riva_stream_fail(s, ERR_OK, "cancelled", GRPC_STATUS_CANCELLED);
	/* Frees s now if nothing refers to it; else whoever finishes last. */
	riva_stream_settle(s);
	riva_caller_unlock(r);
}

void
riva_stream_stats(struct riva_stream *s, struct riva_stream_stats *st)
{
	pthread_mutex_lock(&s->r->mu);
	*st = s->stats;
	pthread_mutex_unlock(&s->r->mu);
}

size_t
riva_active_streams(struct riva *r)
{
	size_t n;

	pthread_mutex_lock(&r->mu);
	n = r->nactive;
	pthread_mutex_unlock(&r->mu);
	return n;
}

/* ------------------------------------------------------------------ health */

/* Queue a unary call with request buf (taken over). */
static enum err
riva_unary_start(struct riva *r, int models, uint8_t *buf, size_t len,
    int timeout_ms, void *user)
{
	struct riva_unary *h;
	grpc_slice sl;

	h = xcalloc(1, sizeof(*h));
	h->r = r;
	h->models = models;
	h->user = user;
	h->timeout_ms = timeout_ms > 0 ? timeout_ms :
	    RIVA_HEALTH_TIMEOUT_MS_DEFAULT;
	h->tag.kind = RIVA_TAG_UNARY;
	h->tag.obj = h;
	h->status_details = grpc_empty_slice();
	grpc_metadata_array_init(&h->md_initial);
	grpc_metadata_array_init(&h->md_trailing);
	h->start_us = clock_mono_us();
	sl = grpc_slice_from_copied_buffer((const char *)buf, len);
	h->send_bb = grpc_raw_byte_buffer_create(&sl, 1);
	grpc_slice_unref(sl);
	free(buf);

	pthread_mutex_lock(&r->mu);
	if (r->closing) {
		riva_unary_free(h);	/* unlinked: only frees */
		pthread_mutex_unlock(&r->mu);
		return ERR_UNAVAILABLE;
	}
	h->next = r->unary_calls;
	if (r->unary_calls != NULL)
		r->unary_calls->prev = h;
	r->unary_calls = h;
	riva_unary_schedule(h);
	pthread_mutex_unlock(&r->mu);
	return ERR_OK;
}

enum err
riva_health_check(struct riva *r, const char *service, int timeout_ms,
    void *user)
{
	uint8_t *buf = NULL;
	size_t len;
	enum err e;

	if ((e = rivamsg_encode_health_request(service, &buf, &len)) != ERR_OK)
		return e;
	return riva_unary_start(r, 0, buf, len, timeout_ms, user);
}

enum err
riva_models_refresh(struct riva *r, int timeout_ms)
{
	uint8_t *buf = NULL;
	size_t len;
	enum err e;

	if ((e = rivamsg_encode_models_request(&buf, &len)) != ERR_OK)
		return e;
	return riva_unary_start(r, 1, buf, len, timeout_ms, NULL);
}

/* Take h off the work list, where a cancel asked at shutdown may have left
 * it (r->mu held). */
static void
riva_unary_unwork(struct riva_unary *h)
{
	struct riva *r = h->r;
	struct riva_unary **pp = &r->uwork_head, *prevw = NULL;

	if (!h->in_work)
		return;
	while (*pp != NULL && *pp != h) {
		prevw = *pp;
		pp = &(*pp)->work_next;
	}
	if (*pp == h) {
		*pp = h->work_next;
		if (r->uwork_tail == h)
			r->uwork_tail = prevw;
	}
	h->in_work = 0;
}

/*
 * The model list call finished (r->mu held); models is the decoded answer
 * (taken over).  A failure keeps the list we had, but a Riva that does not
 * know the call (UNIMPLEMENTED) has none.
 */
static void
riva_on_models(struct riva_unary *h, int ok, enum err derr,
    struct rivamsg_models *models)
{
	struct riva *r = h->r;
	char *details;

	if (ok && h->status == GRPC_STATUS_OK && derr == ERR_OK) {
		if (!r->models_known || r->models.n != models->n)
			log_info("riva serves %zu recognition models",
			    models->n);
		rivamsg_models_clear(&r->models);
		r->models = *models;
		memset(models, 0, sizeof(*models));
		r->models_known = 1;
		r->models_ok_us = clock_mono_us();
	} else if (ok && h->status == GRPC_STATUS_UNIMPLEMENTED) {
		rivamsg_models_clear(&r->models);
		r->models_known = 0;
		r->models_ok_us = 0;
	} else if (ok && h->status == GRPC_STATUS_OK)
		log_warn("malformed model list from riva: %s", err_code(derr));
	else if (ok && !r->closing) {
		details = grpc_slice_to_c_string(h->status_details);
		log_warn("riva model list failed: grpc_status=%d "
		    "details=\"%s\"", (int)h->status,
		    details != NULL ? details : "");
		gpr_free(details);
	}
	rivamsg_models_clear(models);
	riva_unary_unwork(h);
	riva_unary_free(h);
}

/* The health call finished; derr/health are the decoded answer (r->mu). */
static int
riva_on_health(struct riva_unary *h, int ok, enum err derr,
    enum rivamsg_health health, uint64_t now)
{
	struct riva *r = h->r;
	struct riva_event ev;
	const char *msg = NULL;
	char *details;
	int wake = 0;

	memset(&ev, 0, sizeof(ev));
	ev.type = RIVA_EV_HEALTH;
	ev.user = h->user;
	ev.recv_us = now;
	ev.rtt_us = now - h->start_us;
	ev.grpc_status = (int)h->status;
	if (!ok) {
		ev.err = ERR_INTERNAL;
		msg = "internal error";
	} else if (h->status == GRPC_STATUS_UNIMPLEMENTED) {
		/* An answer all the same: the channel works, the server only
		 * lacks the health service (NVIDIA's mock, some hosted
		 * endpoints).  /healthz then looks at what else works. */
		if (r->health_last != RIVAMSG_HEALTH_NO_SERVICE)
			log_info("riva has no grpc.health.v1 service; its "
			    "model list and streams tell whether it works");
		ev.health = RIVAMSG_HEALTH_NO_SERVICE;
	} else if (h->status != GRPC_STATUS_OK) {
		riva_status_err(h->status, &ev.err, &msg);
		details = grpc_slice_to_c_string(h->status_details);
		log_warn("riva health check failed: grpc_status=%d "
		    "details=\"%s\"", (int)h->status,
		    details != NULL ? details : "");
		gpr_free(details);
	} else if (derr != ERR_OK) {
		ev.err = ERR_UPSTREAM;
		msg = "malformed health check response";
	} else
		ev.health = health;
	if (msg != NULL)
		ev.message = xstrdup(msg);
	r->health_last = ev.err == ERR_OK ? ev.health : RIVAMSG_HEALTH_UNKNOWN;
	r->health_last_us = now;
	if (r->closing)
		riva_event_clear(&ev);
	else
		wake = riva_push(r, &ev);
	riva_unary_unwork(h);
	riva_unary_free(h);
	return wake;
}

enum rivamsg_health
riva_health_last(struct riva *r, uint64_t *age_us)
{
	enum rivamsg_health h;

	pthread_mutex_lock(&r->mu);
	h = r->health_last;
	if (age_us != NULL)
		*age_us = r->health_last_us != 0 ?
		    clock_mono_us() - r->health_last_us : 0;
	pthread_mutex_unlock(&r->mu);
	return h;
}

int
riva_works(struct riva *r, uint64_t max_age_us)
{
	uint64_t now = clock_mono_us();
	int works;

	pthread_mutex_lock(&r->mu);
	works = (r->models_ok_us != 0 && now - r->models_ok_us <= max_age_us) ||
	    (r->stream_ok_us != 0 && r->stream_ok_us > r->stream_fail_us);
	pthread_mutex_unlock(&r->mu);
	return works;
}

int
riva_model_served(struct riva *r, const char *model)
{
	size_t i;
	int served = -1;

	pthread_mutex_lock(&r->mu);
	if (r->models_known) {
		served = 0;
		for (i = 0; i < r->models.n && !served; i++)
			served = strcmp(r->models.v[i].name, model) == 0;
	}
	pthread_mutex_unlock(&r->mu);
	return served;
}

int
riva_models_copy(struct riva *r, struct rivamsg_models *out)
{
	size_t i;
	int known;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&r->mu);
	known = r->models_known;
	if (known && r->models.n > 0) {
		out->v = xcalloc(r->models.n, sizeof(*out->v));
		for (i = 0; i < r->models.n; i++) {
			out->v[i].name = xstrdup(r->models.v[i].name);
			if (r->models.v[i].language != NULL)
				out->v[i].language =
				    xstrdup(r->models.v[i].language);
		}
		out->n = r->models.n;
	}
	pthread_mutex_unlock(&r->mu);
	return known;
}

/* ---------------------------------------------------------- the grpc thread */

/* Fail streams that are not under way by their start deadline (r->mu). */
static void
riva_tick(struct riva *r, uint64_t now)
{
	struct riva_stream *s;

	if (now - r->last_tick_us < RIVA_TICK_MS * 1000)
		return;
	r->last_tick_us = now;
	for (s = r->streams; s != NULL; s = s->next)
		if (!s->started && !s->failed && !s->done &&
		    now >= s->start_deadline_us)
			riva_stream_fail(s, ERR_UNAVAILABLE,
			    "speech recognition service did not accept the "
			    "stream in time", GRPC_STATUS_DEADLINE_EXCEEDED);
}

/* Read a received message into a slice, outside the mutex. */
static int
riva_read_bb(grpc_byte_buffer *bb, grpc_slice *out)
{
	grpc_byte_buffer_reader rd;

	if (!grpc_byte_buffer_reader_init(&rd, bb))
		return 0;
	*out = grpc_byte_buffer_reader_readall(&rd);
	grpc_byte_buffer_reader_destroy(&rd);
	return 1;
}

static void *
riva_loop(void *arg)
{
	struct riva *r = arg;
	struct riva_tag *t;
	struct riva_stream *s;
	struct riva_unary *h;
	struct rivamsg_response resp;
	struct rivamsg_models models;
	enum rivamsg_health health;
	grpc_byte_buffer *bb;
	grpc_event ev;
	grpc_slice sl;
	enum err e;
	uint64_t now;
	int wake;

	wake = 0;
	pthread_mutex_lock(&r->mu);
	r->working = 1;
	for (;;) {
		wake |= riva_run_work(r);
		riva_maybe_shutdown_cq(r);
		/* The work lists are empty: from now on, new work wakes us. */
		r->working = 0;
		pthread_mutex_unlock(&r->mu);
		riva_wake(r, wake);
		wake = 0;

		ev = grpc_completion_queue_next(r->cq,
		    riva_deadline_ms(RIVA_TICK_MS), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		t = ev.type == GRPC_OP_COMPLETE ? ev.tag : NULL;
		/*
		 * Decoding needs no lock: while a receive is in flight only
		 * this thread touches its buffer, and the stream or health
		 * call cannot be freed.
		 */
		e = ERR_OK;
		memset(&resp, 0, sizeof(resp));
		memset(&models, 0, sizeof(models));
		health = RIVAMSG_HEALTH_UNKNOWN;
		bb = NULL;
		now = clock_mono_us();
		if (t != NULL && t->kind == RIVA_TAG_RECV) {
			s = t->obj;
			bb = s->recv_bb;
			s->recv_bb = NULL;
			if (ev.success && bb != NULL) {
				if (!riva_read_bb(bb, &sl))
					e = ERR_UPSTREAM;
				else {
					e = rivamsg_decode_response(
					    GRPC_SLICE_START_PTR(sl),
					    GRPC_SLICE_LENGTH(sl), &resp);
					grpc_slice_unref(sl);
				}
			}
		} else if (t != NULL && t->kind == RIVA_TAG_UNARY) {
			h = t->obj;
			bb = h->recv_bb;
			h->recv_bb = NULL;
			if (bb == NULL || !riva_read_bb(bb, &sl))
				e = ERR_UPSTREAM;
			else {
				e = h->models ? rivamsg_decode_models_response(
				    GRPC_SLICE_START_PTR(sl),
				    GRPC_SLICE_LENGTH(sl), &models) :
				    rivamsg_decode_health_response(
				    GRPC_SLICE_START_PTR(sl),
				    GRPC_SLICE_LENGTH(sl), &health);
				grpc_slice_unref(sl);
			}
		}
		pthread_mutex_lock(&r->mu);
		r->working = 1;
		if (t != NULL) {
			switch (t->kind) {
			case RIVA_TAG_SEND:
				wake = riva_on_send(t->obj, ev.success);
				break;
			case RIVA_TAG_RECV:
				wake = riva_on_recv(t->obj, ev.success,
				    bb == NULL, e, &resp, now);
				break;
			case RIVA_TAG_STATUS:
				wake = riva_on_status(t->obj);
				break;
			case RIVA_TAG_UNARY:
				if (((struct riva_unary *)t->obj)->models)
					riva_on_models(t->obj, ev.success, e,
					    &models);
				else
					wake = riva_on_health(t->obj,
					    ev.success, e, health, now);
				break;
			case RIVA_TAG_WAKE:
				r->wake_posted = 0;
				break;
			}
		}
		riva_tick(r, now);
		rivamsg_response_clear(&resp);
		rivamsg_models_clear(&models);
		if (bb != NULL)
			grpc_byte_buffer_destroy(bb);
	}
	return NULL;
}

/* ------------------------------------------------------------- lifecycle */

static enum err
riva_read_pem(const char *path, char **out)
{
	struct stat st;
	char *buf = NULL;
	size_t off = 0;
	ssize_t n;
	int fd = -1;
	enum err e = ERR_CONFIG;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_error("cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > RIVA_MAX_PEM) {
		log_error("%s: not a regular file of 1..%d bytes", path,
		    RIVA_MAX_PEM);
		goto out;
	}
	buf = xcalloc(1, (size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("cannot read %s: %s", path,
			    n == 0 ? "short read" : strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (strstr(buf, "-----BEGIN ") == NULL) {
		log_error("%s: no PEM block", path);
		goto out;
	}
	*out = buf;
	buf = NULL;
	e = ERR_OK;
out:
	free(buf);
	if (fd != -1)
		close(fd);
	return e;
}

/* A header value must not be able to smuggle in another header. */
static int
riva_meta_ok(const char *s)
{
	size_t i, n = strnlen(s, RIVA_MAX_META + 1);

	if (n == 0 || n > RIVA_MAX_META)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

enum err
riva_opts_check(const struct riva_opts *o, const char **field,
    const char **why)
{
	*field = NULL;
	*why = NULL;
	if (o->target == NULL || !riva_meta_ok(o->target) ||
	    strlen(o->target) > RIVA_MAX_TARGET) {
		*field = "target";
		*why = "must be host:port, printable ASCII";
	} else if ((o->tls_cert_file == NULL) != (o->tls_key_file == NULL)) {
		*field = o->tls_cert_file == NULL ? "tls_cert_file" :
		    "tls_key_file";
		*why = "the client certificate and key go together: give both "
		    "or neither";
	} else if (!o->tls && (o->tls_root_ca_file != NULL ||
	    o->tls_cert_file != NULL || o->tls_server_name != NULL)) {
		*field = o->tls_root_ca_file != NULL ? "tls_root_ca_file" :
		    o->tls_cert_file != NULL ? "tls_cert_file" :
		    "tls_server_name";
		*why = "set, but TLS to Riva is off";
	} else if (o->tls_server_name != NULL &&
	    !riva_meta_ok(o->tls_server_name)) {
		*field = "tls_server_name";
		*why = "must be printable ASCII";
	} else if (o->api_key != NULL && !riva_meta_ok(o->api_key)) {
		*field = "api_key";
		*why = "must be printable ASCII";
	} else if (o->function_id != NULL && !riva_meta_ok(o->function_id)) {
		*field = "function_id";
		*why = "must be printable ASCII";
	} else if (o->keepalive_ms < 0 || o->keepalive_timeout_ms < 0 ||
	    o->max_recv_msg < 0 || o->max_send_msg < 0 ||
	    o->start_timeout_ms < 0 || o->stream_timeout_ms < 0) {
		*field = "timeouts and sizes";
		*why = "negative value";
	} else if (o->max_queued_audio > LIMIT_RIVA_QUEUED_AUDIO_MAX) {
		*field = "max_queued_audio";
		*why = "over LIMIT_RIVA_QUEUED_AUDIO_MAX";
	}
	return *field != NULL ? ERR_CONFIG : ERR_OK;
}

/*
 * The channel to Riva: credentials (TLS with the PEM files already read,
 * or plaintext) and the channel arguments that bound messages, turn off
 * retries and set reconnect backoff and keepalives.  ERR_CONFIG (logged).
 */
static enum err
riva_channel_open(struct riva *r, const struct riva_opts *o, const char *ca,
    const char *cert, const char *key)
{
	grpc_channel_credentials *creds = NULL;
	grpc_ssl_pem_key_cert_pair kp;
	grpc_arg args[12];
	grpc_channel_args cargs;
	size_t na = 0;

	if (o->tls) {
		memset(&kp, 0, sizeof(kp));
		kp.private_key = key;
		kp.cert_chain = cert;
		creds = grpc_ssl_credentials_create(ca, cert != NULL ? &kp :
		    NULL, NULL, NULL);
	} else
		creds = grpc_insecure_credentials_create();
	if (creds == NULL) {
		log_error("cannot create channel credentials");
		return ERR_CONFIG;
	}

	memset(args, 0, sizeof(args));
#define RIVA_ARG_INT(k, v) do {						\
	args[na].type = GRPC_ARG_INTEGER;				\
	args[na].key = (char *)(k);					\
	args[na].value.integer = (v);					\
	na++;								\
} while (0)
	RIVA_ARG_INT(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, o->max_recv_msg > 0 ?
	    o->max_recv_msg : RIVA_MAX_MSG_DEFAULT);
	RIVA_ARG_INT(GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, o->max_send_msg > 0 ?
	    o->max_send_msg : RIVA_MAX_MSG_DEFAULT);
	/* No retry buffering of sent audio: memory per stream stays small. */
	RIVA_ARG_INT(GRPC_ARG_ENABLE_RETRIES, 0);
	/*
	 * Come back within seconds when Riva returns.  (grpc 1.51 reads
	 * GRPC_ARG_MIN_RECONNECT_BACKOFF_MS as the timeout of one connection
	 * attempt, TCP plus TLS plus HTTP/2 settings: it keeps its default of
	 * 20 s; 0.5 s failed TLS handshakes under the sanitizers.)
	 */
	RIVA_ARG_INT(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
	RIVA_ARG_INT(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
	if (o->keepalive_ms > 0) {
		RIVA_ARG_INT(GRPC_ARG_KEEPALIVE_TIME_MS, o->keepalive_ms);
		RIVA_ARG_INT(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
		    o->keepalive_timeout_ms > 0 ? o->keepalive_timeout_ms :
		    RIVA_KEEPALIVE_TIMEOUT_MS_DEFAULT);
		RIVA_ARG_INT(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
		RIVA_ARG_INT(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
	}
#undef RIVA_ARG_INT
	if (o->tls && o->tls_server_name != NULL) {
		args[na].type = GRPC_ARG_STRING;
		args[na].key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
		args[na].value.string = (char *)o->tls_server_name;
		na++;
	}
	cargs.num_args = na;
	cargs.args = args;
	r->channel = grpc_channel_create(o->target, creds, &cargs);
	grpc_channel_credentials_release(creds);
	if (r->channel == NULL) {
		log_error("cannot create channel to %s", o->target);
		return ERR_CONFIG;
	}
	return ERR_OK;
}


struct riva *
riva_new(const struct riva_opts *o, enum err *errp)
{
	struct riva *r = NULL;
	char *ca = NULL, *cert = NULL, *key = NULL, *bearer = NULL;
	const char *bad, *why;
	size_t n;
	enum err e;
	int grpc_up = 0;

	if ((e = riva_opts_check(o, &bad, &why)) != ERR_OK) {
		/* Names the option only: the value may be a secret. */
		log_error("bad riva option: %s: %s", bad, why);
		goto fail;
	}
	if (o->tls) {
		if (o->tls_root_ca_file != NULL &&
		    (e = riva_read_pem(o->tls_root_ca_file, &ca)) != ERR_OK)
			goto fail;
		if (o->tls_cert_file != NULL &&
		    ((e = riva_read_pem(o->tls_cert_file, &cert)) != ERR_OK ||
		    (e = riva_read_pem(o->tls_key_file, &key)) != ERR_OK))
			goto fail;
	}
	grpc_init();
	grpc_up = 1;
	r = xcalloc(1, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	r->wakeup = o->wakeup;
	r->wakeup_arg = o->wakeup_arg;
	r->start_timeout_ms = o->start_timeout_ms > 0 ? o->start_timeout_ms :
	    RIVA_START_TIMEOUT_MS_DEFAULT;
	r->stream_timeout_ms = o->stream_timeout_ms;
	r->max_queued_audio = o->max_queued_audio > 0 ? o->max_queued_audio :
	    RIVA_MAX_QUEUED_AUDIO_DEFAULT;
	r->send_max = RIVA_SEND_MAX;
	n = (size_t)(o->max_send_msg > 0 ? o->max_send_msg :
	    RIVA_MAX_MSG_DEFAULT);
	if (n < r->send_max + 16)
		r->send_max = n > 1024 ? n - 16 : 1008;

	if ((e = riva_channel_open(r, o, ca, cert, key)) != ERR_OK)
		goto fail;

	if (o->api_key != NULL) {
		n = strlen(o->api_key) + sizeof("Bearer ");
		bearer = xcalloc(1, n);
		snprintf(bearer, n, "Bearer %s", o->api_key);
		r->md[r->nmd].key = grpc_slice_from_static_string(
		    "authorization");
		r->md[r->nmd].value = grpc_slice_from_copied_string(bearer);
		r->nmd++;
	}
	if (o->function_id != NULL) {
		r->md[r->nmd].key = grpc_slice_from_static_string("function-id");
		r->md[r->nmd].value = grpc_slice_from_copied_string(
		    o->function_id);
		r->nmd++;
	}

	r->cq = grpc_completion_queue_create_for_next(NULL);
	/* The wake call never sends anything: a lame channel does no I/O. */
	r->wake_channel = grpc_lame_client_channel_create(NULL,
	    GRPC_STATUS_UNAVAILABLE, "wake-up channel");
	if (r->wake_channel != NULL)
		r->wake_call = grpc_channel_create_call(r->wake_channel, NULL,
		    GRPC_PROPAGATE_DEFAULTS, r->cq,
		    grpc_slice_from_static_string("/wake"), NULL,
		    gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
	if (r->wake_call == NULL) {
		log_error("cannot create the wake-up call");
		e = ERR_INTERNAL;
		goto fail;
	}
	r->tag_wake.kind = RIVA_TAG_WAKE;
	r->tag_wake.obj = r;
	if (pthread_create(&r->thread, NULL, riva_loop, r) != 0) {
		log_error("pthread_create failed");
		e = ERR_INTERNAL;
		goto fail;
	}
	r->thread_started = 1;
	log_info("riva channel to %s (%s%s%s%s)", o->target,
	    o->tls ? "tls" : "plaintext",
	    o->tls && cert != NULL ? ", client cert" : "",
	    o->api_key != NULL ? ", api key" : "",
	    o->function_id != NULL ? ", function-id" : "");
	goto done;
fail:
	if (r != NULL) {
		riva_free(r);
		r = NULL;
		grpc_up = 0;	/* riva_free() shut grpc down */
	}
	if (grpc_up)
		grpc_shutdown_blocking();
	*errp = e;
done:
	if (bearer != NULL) {
		/* Don't leave the key lying around in freed memory. */
		explicit_bzero(bearer, strlen(bearer));
		free(bearer);
	}
	if (key != NULL) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
	free(ca);
	free(cert);
	return r;
}

void
riva_free(struct riva *r)
{
	struct riva_stream *s, *snext;
	struct riva_unary *h;
	struct riva_evnode *n;
	size_t i;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->closing = 1;
	for (s = r->streams; s != NULL; s = snext) {
		snext = s->next;
		s->released = 1;
		riva_drop_events(r, s);
		if (!s->done)
			riva_stream_fail(s, ERR_OK, "shutting down",
			    GRPC_STATUS_CANCELLED);
		riva_stream_settle(s);	/* may free s */
	}
	for (h = r->unary_calls; h != NULL; h = h->next)
		if (h->created) {
			h->want_cancel = 1;
			riva_unary_schedule(h);
		}
	if (r->cq != NULL && !r->thread_started && !r->cq_shut) {
		r->cq_shut = 1;
		grpc_completion_queue_shutdown(r->cq);
	} else if (r->cq != NULL)
		riva_maybe_shutdown_cq(r);
	pthread_mutex_unlock(&r->mu);

	/* The poller ends once every call is gone and the queue drained. */
	if (r->thread_started)
		pthread_join(r->thread, NULL);
	else if (r->cq != NULL) {
		while (grpc_completion_queue_next(r->cq,
		    gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
		    GRPC_QUEUE_SHUTDOWN)
			;
	}
	if (r->wake_call != NULL)
		grpc_call_unref(r->wake_call);
	if (r->wake_channel != NULL)
		grpc_channel_destroy(r->wake_channel);
	if (r->cq != NULL)
		grpc_completion_queue_destroy(r->cq);
	if (r->channel != NULL)
		grpc_channel_destroy(r->channel);
	for (i = 0; i < r->nmd; i++) {
		grpc_slice_unref(r->md[i].key);
		grpc_slice_unref(r->md[i].value);
	}
	while ((n = r->evhead) != NULL) {
		r->evhead = n->next;
		riva_event_clear(&n->ev);
		free(n);
	}
	rivamsg_models_clear(&r->models);
	pthread_mutex_destroy(&r->mu);
	free(r);
	grpc_shutdown_blocking();
}
