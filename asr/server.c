/*
 * server.c: audio-recognizer's gRPC adapter, on the grpc C core server
 * API (every grpc-core call of the program is in this file).
 *
 * Served methods (names and messages from proto/, Riva's own):
 *   /nvidia.riva.asr.RivaSpeechRecognition/StreamingRecognize
 *   /nvidia.riva.asr.RivaSpeechRecognition/GetRivaSpeechRecognitionConfig
 *   /grpc.health.v1.Health/Check
 * Anything else is UNIMPLEMENTED.
 *
 * One thread runs the completion queue and only moves bytes: it reads a
 * stream's requests (lib/realtime/rivamsg.c decodes them, lib/realtime/asrstream.c checks
 * the config), appends the audio to the stream's buffer and queues the
 * stream for pool.c's workers.  A worker feeds the audio to the stream's
 * decoder and queues the responses it emits; sends are started by
 * whichever thread holds the stream's mutex (the worker, or the queue
 * thread when a send completes), so a slow decoder never holds up the
 * others' bytes.  A stream whose waiting audio reaches queued_audio is
 * not read until its decoder catches up (TCP backpressure to the client,
 * nothing dropped).
 *
 * Statuses: INVALID_ARGUMENT for a first request that is not a config, a
 * config the engine cannot decode (rate, encoding, channels, language,
 * model: the message says which), or a later request that is not audio;
 * RESOURCE_EXHAUSTED beyond max_streams; UNAVAILABLE when no decoder can
 * be loaded or the server is stopping.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "asr.h"
#include "asrstream.h"
#include "log.h"
#include "xalloc.h"

#define SERVER_METHOD_STREAM \
	"/nvidia.riva.asr.RivaSpeechRecognition/StreamingRecognize"
#define SERVER_METHOD_CONFIG \
	"/nvidia.riva.asr.RivaSpeechRecognition/GetRivaSpeechRecognitionConfig"
#define SERVER_METHOD_HEALTH	"/grpc.health.v1.Health/Check"
#define SERVER_SERVICE		"nvidia.riva.asr.RivaSpeechRecognition"
#define SERVER_PENDING_CALLS	8	/* request_call()s kept waiting */

enum server_kind { SK_NEW, SK_STREAM, SK_HEALTH, SK_MODELS, SK_OTHER };
enum server_tagkind { ST_NEW, ST_RECV, ST_SEND, ST_CLOSE, ST_SHUT };

struct server_tag {
	enum server_tagkind	 kind;
	struct server_stream	*s;
};

struct server_out {
	struct server_out	*next;
	uint8_t			*buf;
	size_t			 len;
};

/* One call: a stream, a health check or a model list. */
struct server_stream {
	pthread_mutex_t		 mu;
	enum server_kind	 kind;
	int			 id;
	grpc_call		*call;
	grpc_call_details	 details;
	grpc_metadata_array	 md;
	struct server_tag	 t_new, t_recv, t_send, t_close;
	int			 recv_pending, send_pending, close_pending;
	int			 md_sent, want_status, status_sent;
	int			 cancelled;	/* written by grpc, then us */
	grpc_status_code	 st;
	char			 detail[256];
	const char		*outcome;
	grpc_byte_buffer	*recv_bb, *send_bb;
	struct server_out	*ohead, *otail;
	/* StreamingRecognize */
	int			 counted;	/* holds a max_streams place */
	int			 configured;
	uint8_t			*audio, *work;	/* waiting; being decoded */
	size_t			 alen, acap, wcap;
	int			 eof;		/* the client half-closed */
	int			 queued, working, recv_paused;
	struct decoder		*dec;
	uint64_t		 bytes;
	double			 cpu;		/* decoding, seconds */
	unsigned		 npartial, nfinal;
	unsigned		 npause;	/* reads held back */
};

static const struct asr_conf *server_conf;
static grpc_server *server_srv;
static grpc_completion_queue *server_cq;
static pthread_mutex_t server_lock = PTHREAD_MUTEX_INITIALIZER;
static int server_nstreams;	/* streams holding a place */
static int server_nlive;	/* call objects not freed */
static int server_ids;
static int server_shutting;

static void
server_fail(struct server_stream *s, grpc_status_code st,
    const char *outcome, const char *detail)
{
	if (s->want_status)
		return;
	s->want_status = 1;
	s->st = st;
	s->outcome = outcome;
	snprintf(s->detail, sizeof(s->detail), "%s", detail);
	if (st != GRPC_STATUS_OK)
		log_info("call=%d status=%d outcome=%s detail=\"%s\"", s->id,
		    (int)st, outcome, detail);
}

static void
server_queue(struct server_stream *s, uint8_t *buf, size_t len)
{
	struct server_out *o = xcalloc(1, sizeof(*o));

	o->buf = buf;
	o->len = len;
	if (s->otail != NULL)
		s->otail->next = o;
	else
		s->ohead = o;
	s->otail = o;
}

/* Start the next send (initial metadata, a response or the status) if
 * none is under way.  Holds s->mu. */
static void
server_pump(struct server_stream *s)
{
	grpc_op ops[3];
	grpc_slice sl, detail;
	struct server_out *o;
	size_t n = 0;
	grpc_call_error ce;

	if (s->send_pending || s->status_sent || s->cancelled ||
	    s->call == NULL)
		return;
	memset(ops, 0, sizeof(ops));
	if (!s->md_sent)
		ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
	if ((o = s->ohead) != NULL &&
	    !(s->want_status && s->st != GRPC_STATUS_OK)) {
		s->ohead = o->next;
		if (s->ohead == NULL)
			s->otail = NULL;
		sl = grpc_slice_from_copied_buffer((const char *)o->buf,
		    o->len);
		s->send_bb = grpc_raw_byte_buffer_create(&sl, 1);
		grpc_slice_unref(sl);
		free(o->buf);
		free(o);
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n].data.send_message.send_message = s->send_bb;
		n++;
		ce = grpc_call_start_batch(s->call, ops, n, &s->t_send, NULL);
	} else if (s->want_status) {
		detail = grpc_slice_from_copied_string(s->detail);
		ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
		ops[n].data.send_status_from_server.status = s->st;
		ops[n].data.send_status_from_server.status_details = &detail;
		n++;
		s->status_sent = 1;
		ce = grpc_call_start_batch(s->call, ops, n, &s->t_send, NULL);
		grpc_slice_unref(detail);
	} else
		return;
	if (ce != GRPC_CALL_OK) {
		log_error("grpc_call_start_batch(send): %d", (int)ce);
		abort();
	}
	s->md_sent = 1;
	s->send_pending = 1;
}

static void
server_recv(struct server_stream *s)
{
	grpc_op op;

	if (s->want_status || s->cancelled || s->recv_pending)
		return;
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &s->recv_bb;
	if (grpc_call_start_batch(s->call, &op, 1, &s->t_recv, NULL) !=
	    GRPC_CALL_OK) {
		log_error("grpc_call_start_batch(recv) failed");
		abort();
	}
	s->recv_pending = 1;
}

static void
server_free(struct server_stream *s)
{
	struct server_out *o;

	if (s->kind == SK_STREAM && s->counted)
		log_info("stream=%d end outcome=%s audio=%.2fs cpu=%.2fs "
		    "rtf=%.3f partials=%u finals=%u paused=%u", s->id,
		    s->cancelled ? "cancelled" : s->outcome != NULL ?
		    s->outcome : "ok", (double)s->bytes / 2 / ASRSTREAM_RATE,
		    s->cpu, s->bytes > 0 ? s->cpu * 2 * ASRSTREAM_RATE /
		    (double)s->bytes : 0.0, s->npartial, s->nfinal, s->npause);
	decoder_pool_put(s->dec);
	while ((o = s->ohead) != NULL) {
		s->ohead = o->next;
		free(o->buf);
		free(o);
	}
	if (s->recv_bb != NULL)
		grpc_byte_buffer_destroy(s->recv_bb);
	if (s->send_bb != NULL)
		grpc_byte_buffer_destroy(s->send_bb);
	if (s->call != NULL)
		grpc_call_unref(s->call);
	grpc_call_details_destroy(&s->details);
	grpc_metadata_array_destroy(&s->md);
	free(s->audio);
	free(s->work);
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_lock(&server_lock);
	if (s->counted)
		server_nstreams--;
	server_nlive--;
	pthread_mutex_unlock(&server_lock);
	free(s);
}

/* Called holding s->mu; frees s (and releases the mutex) when nothing
 * refers to it any more.  Returns 1 when it did. */
static int
server_settle(struct server_stream *s)
{
	if (s->recv_pending || s->send_pending || s->close_pending ||
	    s->queued || s->working || !(s->status_sent || s->cancelled))
		return 0;
	server_free(s);
	return 1;
}

static void
server_unlock(struct server_stream *s)
{
	if (!server_settle(s))
		pthread_mutex_unlock(&s->mu);
}

/* Holds s->mu: let a worker look at s. */
static void
server_schedule(struct server_stream *s)
{
	if (s->queued || s->working)
		return;
	s->queued = 1;
	pool_push(s);
}

/* ------------------------------------------------------------- workers */

/* decoder_emit_fn: a response the decoder built, onto s's send queue. */
static void
server_emit(void *arg, const struct rivamsg_response *resp)
{
	struct server_stream *s = arg;
	uint8_t *buf;
	size_t len;

	if (rivasrv_encode_response(resp, &buf, &len) != ERR_OK) {
		log_warn("stream=%d: a response could not be encoded", s->id);
		return;
	}
	pthread_mutex_lock(&s->mu);
	if (resp->nresults > 0 && resp->results[0].is_final)
		s->nfinal++;
	else
		s->npartial++;
	server_queue(s, buf, len);
	server_pump(s);
	pthread_mutex_unlock(&s->mu);	/* working: cannot settle */
}

static double
server_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* pool.c runs this on a worker: decode what s has waiting. */
static void
server_work(struct server_stream *s)
{
	uint8_t *tmp;
	size_t n, cap;
	int eof;
	double t0;

	pthread_mutex_lock(&s->mu);
	s->queued = 0;
	s->working = 1;
	for (;;) {
		if (s->want_status || s->cancelled)
			break;
		/* take the whole samples waiting; an odd byte stays */
		n = s->alen & ~(size_t)1;
		eof = s->eof;	/* no audio comes after the half-close */
		if (n == 0 && !eof)
			break;
		tmp = s->work;
		cap = s->wcap;
		s->work = s->audio;
		s->wcap = s->acap;
		s->audio = tmp;
		s->acap = cap;
		if (s->alen > n) {
			if (s->acap == 0) {
				s->audio = xcalloc(1, 16);
				s->acap = 16;
			}
			s->audio[0] = s->work[n];
		}
		s->alen -= n;
		if (s->recv_paused) {
			s->recv_paused = 0;
			server_recv(s);
		}
		pthread_mutex_unlock(&s->mu);

		if (s->dec == NULL) {
			if ((s->dec = decoder_pool_get()) == NULL) {
				pthread_mutex_lock(&s->mu);
				server_fail(s, GRPC_STATUS_UNAVAILABLE,
				    "no_decoder", "the recognizer cannot load "
				    "its models (see its log)");
				server_pump(s);
				break;
			}
			decoder_begin(s->dec);
		}
		t0 = server_cpu_now();
		/* PCM16 little-endian, as Riva's LINEAR_PCM; the buffer is
		 * malloc'd, so aligned for int16_t */
		decoder_feed(s->dec, (const int16_t *)(void *)s->work, n / 2,
		    eof, server_emit, s);
		pthread_mutex_lock(&s->mu);
		s->cpu += server_cpu_now() - t0;
		if (eof) {
			server_fail(s, GRPC_STATUS_OK, "ok", "");
			server_pump(s);
			break;
		}
	}
	s->working = 0;
	server_unlock(s);
}

/* ------------------------------------------------------ call handling */

static void
server_audio(struct server_stream *s, const uint8_t *buf, size_t len)
{
	size_t need = s->alen + len;

	if (need > s->acap) {
		s->acap = need < 4096 ? 4096 : need * 3 / 2;
		s->audio = xrealloc(s->audio, s->acap);
	}
	memcpy(s->audio + s->alen, buf, len);
	s->alen += len;
	s->bytes += len;
	server_schedule(s);
}

static void
server_stream_msg(struct server_stream *s, const uint8_t *buf, size_t len)
{
	struct rivasrv_request req;
	char msg[200];

	memset(&req, 0, sizeof(req));
	if (rivasrv_decode_request(buf, len, &req) != ERR_OK) {
		server_fail(s, GRPC_STATUS_INVALID_ARGUMENT, "invalid",
		    "undecodable StreamingRecognizeRequest");
		return;
	}
	if (!s->configured && req.kind != RIVASRV_REQ_CONFIG)
		server_fail(s, GRPC_STATUS_INVALID_ARGUMENT, "invalid",
		    "the first request must carry only streaming_config");
	else if (s->configured && req.kind != RIVASRV_REQ_AUDIO)
		server_fail(s, GRPC_STATUS_INVALID_ARGUMENT, "invalid",
		    "requests after the first must carry only audio_content");
	else if (req.kind == RIVASRV_REQ_CONFIG) {
		if (asrstream_check_config(&req, server_conf->model_name,
		    server_conf->language, msg, sizeof(msg)) != 0)
			server_fail(s, GRPC_STATUS_INVALID_ARGUMENT, "invalid",
			    msg);
		else {
			s->configured = 1;
			log_info("stream=%d config rate=%d lang=%s model=%s "
			    "interim=%d", s->id, (int)req.sample_rate_hz,
			    req.language != NULL ? req.language : "",
			    req.model != NULL ? req.model : "",
			    req.interim_results);
		}
	} else
		server_audio(s, req.audio, req.audio_len);
	rivasrv_request_clear(&req);
}

static void
server_health_msg(struct server_stream *s, const uint8_t *buf, size_t len)
{
	char *service = NULL;
	uint8_t *out;
	size_t outlen;
	enum rivamsg_health h;

	if (rivasrv_decode_health_request(buf, len, &service) != ERR_OK) {
		server_fail(s, GRPC_STATUS_INVALID_ARGUMENT, "invalid",
		    "undecodable HealthCheckRequest");
		return;
	}
	if (service[0] != '\0' && strcmp(service, SERVER_SERVICE) != 0) {
		server_fail(s, GRPC_STATUS_NOT_FOUND, "not_found",
		    "unknown service");
		free(service);
		return;
	}
	free(service);
	h = server_shutting ? RIVAMSG_HEALTH_NOT_SERVING :
	    RIVAMSG_HEALTH_SERVING;
	if (rivasrv_encode_health_response(h, &out, &outlen) != ERR_OK)
		xalloc_die(0, __func__);
	server_queue(s, out, outlen);
	server_fail(s, GRPC_STATUS_OK, "ok", "");
}

static void
server_models_msg(struct server_stream *s)
{
	struct rivamsg_model m;
	struct rivamsg_models ms;
	uint8_t *out;
	size_t outlen;

	/* The request's model-name filter is not looked at: there is one
	 * model, and Riva too lists everything for an empty name. */
	m.name = server_conf->model_name;
	m.language = server_conf->language;
	ms.v = &m;
	ms.n = 1;
	if (rivasrv_encode_models_response(&ms, &out, &outlen) != ERR_OK)
		xalloc_die(0, __func__);
	server_queue(s, out, outlen);
	server_fail(s, GRPC_STATUS_OK, "ok", "");
}

static void
server_on_recv(struct server_stream *s, int ok)
{
	grpc_byte_buffer_reader rd;
	grpc_slice sl;

	s->recv_pending = 0;
	if (!ok || s->recv_bb == NULL) {
		/* the client half-closed (or the call is gone) */
		if (ok && !s->want_status && s->kind == SK_STREAM) {
			if (!s->configured)
				server_fail(s, GRPC_STATUS_INVALID_ARGUMENT,
				    "invalid", "no streaming_config before "
				    "the end of the stream");
			else {
				s->eof = 1;
				server_schedule(s);
			}
		} else if (ok && !s->want_status)
			server_fail(s, GRPC_STATUS_INVALID_ARGUMENT, "invalid",
			    "no request");
		server_pump(s);
		return;
	}
	if (!grpc_byte_buffer_reader_init(&rd, s->recv_bb)) {
		log_error("grpc_byte_buffer_reader_init failed");
		abort();
	}
	sl = grpc_byte_buffer_reader_readall(&rd);
	grpc_byte_buffer_reader_destroy(&rd);
	grpc_byte_buffer_destroy(s->recv_bb);
	s->recv_bb = NULL;
	if (!s->want_status) {
		if (s->kind == SK_STREAM)
			server_stream_msg(s, GRPC_SLICE_START_PTR(sl),
			    GRPC_SLICE_LENGTH(sl));
		else if (s->kind == SK_HEALTH)
			server_health_msg(s, GRPC_SLICE_START_PTR(sl),
			    GRPC_SLICE_LENGTH(sl));
		else if (s->kind == SK_MODELS)
			server_models_msg(s);
	}
	grpc_slice_unref(sl);
	if (s->kind == SK_STREAM) {
		if (s->alen >= (size_t)server_conf->queued_audio) {
			s->recv_paused = 1;	/* the worker reads on */
			s->npause++;
		}
		else
			server_recv(s);
	}
	server_pump(s);
}

static void server_request_new(void);

static void
server_start_call(struct server_stream *s)
{
	grpc_op op;
	char msg[160];
	int busy = 0;

	if (grpc_slice_str_cmp(s->details.method, SERVER_METHOD_STREAM) == 0)
		s->kind = SK_STREAM;
	else if (grpc_slice_str_cmp(s->details.method,
	    SERVER_METHOD_HEALTH) == 0)
		s->kind = SK_HEALTH;
	else if (grpc_slice_str_cmp(s->details.method,
	    SERVER_METHOD_CONFIG) == 0)
		s->kind = SK_MODELS;
	else
		s->kind = SK_OTHER;
	s->t_recv.kind = ST_RECV;
	s->t_send.kind = ST_SEND;
	s->t_close.kind = ST_CLOSE;
	s->t_recv.s = s->t_send.s = s->t_close.s = s;

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	op.data.recv_close_on_server.cancelled = &s->cancelled;
	if (grpc_call_start_batch(s->call, &op, 1, &s->t_close, NULL) !=
	    GRPC_CALL_OK) {
		log_error("grpc_call_start_batch(close) failed");
		abort();
	}
	s->close_pending = 1;

	if (s->kind == SK_STREAM) {
		pthread_mutex_lock(&server_lock);
		if (server_nstreams >= server_conf->max_streams)
			busy = 1;
		else {
			server_nstreams++;
			s->counted = 1;
		}
		pthread_mutex_unlock(&server_lock);
		if (busy) {
			snprintf(msg, sizeof(msg), "the recognizer is busy: "
			    "%lld streams at once (max_streams)",
			    (long long)server_conf->max_streams);
			server_fail(s, GRPC_STATUS_RESOURCE_EXHAUSTED, "busy",
			    msg);
		} else
			log_info("stream=%d start", s->id);
	} else if (s->kind == SK_OTHER)
		server_fail(s, GRPC_STATUS_UNIMPLEMENTED, "unimplemented",
		    "not implemented by audio-recognizer");
	server_recv(s);
	server_pump(s);
}

static void
server_request_new(void)
{
	struct server_stream *s = xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->mu, NULL);
	grpc_call_details_init(&s->details);
	grpc_metadata_array_init(&s->md);
	s->t_new.kind = ST_NEW;
	s->t_new.s = s;
	s->kind = SK_NEW;
	pthread_mutex_lock(&server_lock);
	server_nlive++;
	s->id = ++server_ids;
	pthread_mutex_unlock(&server_lock);
	if (grpc_server_request_call(server_srv, &s->call, &s->details,
	    &s->md, server_cq, server_cq, &s->t_new) != GRPC_CALL_OK) {
		log_error("grpc_server_request_call failed");
		abort();
	}
}

/* ------------------------------------------------------------ the loop */

static int
server_live(void)
{
	int n;

	pthread_mutex_lock(&server_lock);
	n = server_nlive;
	pthread_mutex_unlock(&server_lock);
	return n;
}

int
server_run(const struct asr_conf *cf, volatile sig_atomic_t *stop)
{
	grpc_server_credentials *creds;
	grpc_arg args[2];
	grpc_channel_args cargs;
	grpc_event ev;
	struct server_tag *t, shut_tag = { ST_SHUT, NULL };
	struct server_stream *s;
	char addr[300];
	int i, shut_done = 0, status = 1;

	server_conf = cf;
	memset(args, 0, sizeof(args));
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = (int)cf->max_message;
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
	args[1].value.integer = (int)cf->max_message;
	cargs.num_args = 2;
	cargs.args = args;
	server_srv = grpc_server_create(&cargs, NULL);
	server_cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(server_srv, server_cq, NULL);
	creds = grpc_insecure_server_credentials_create();
	snprintf(addr, sizeof(addr), strchr(cf->listen_address, ':') != NULL ?
	    "[%s]:%lld" : "%s:%lld", cf->listen_address, (long long)cf->port);
	i = grpc_server_add_http2_port(server_srv, addr, creds);
	grpc_server_credentials_release(creds);
	if (i != (int)cf->port) {
		log_error("cannot listen on %s", addr);
		grpc_server_destroy(server_srv);
		grpc_completion_queue_shutdown(server_cq);
		while (grpc_completion_queue_next(server_cq,
		    gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
		    GRPC_QUEUE_SHUTDOWN)
			;
		grpc_completion_queue_destroy(server_cq);
		return 1;
	}
	if (pool_start((int)cf->workers, (size_t)cf->max_streams + 1,
	    server_work) != ERR_OK)
		goto out;
	grpc_server_start(server_srv);
	for (i = 0; i < SERVER_PENDING_CALLS; i++)
		server_request_new();
	log_info("listening on %s: model %s (%s), at most %lld streams, "
	    "%lld workers", addr, cf->model_name, cf->language,
	    (long long)cf->max_streams, (long long)cf->workers);
	status = 0;

	for (;;) {
		if (*stop && !server_shutting) {
			server_shutting = 1;
			log_info("shutting down");
			grpc_server_shutdown_and_notify(server_srv, server_cq,
			    &shut_tag);
			grpc_server_cancel_all_calls(server_srv);
		}
		if (shut_done && server_live() == 0)
			break;
		ev = grpc_completion_queue_next(server_cq, gpr_time_add(
		    gpr_now(GPR_CLOCK_MONOTONIC),
		    gpr_time_from_millis(100, GPR_TIMESPAN)), NULL);
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		t = ev.tag;
		if (t->kind == ST_SHUT) {
			shut_done = 1;
			continue;
		}
		s = t->s;
		pthread_mutex_lock(&s->mu);
		switch (t->kind) {
		case ST_NEW:
			if (!ev.success) {	/* shutting down */
				server_free(s);
				continue;
			}
			if (!server_shutting)
				server_request_new();
			server_start_call(s);
			break;
		case ST_RECV:
			server_on_recv(s, ev.success);
			break;
		case ST_SEND:
			s->send_pending = 0;
			if (s->send_bb != NULL) {
				grpc_byte_buffer_destroy(s->send_bb);
				s->send_bb = NULL;
			}
			if (!ev.success)
				s->cancelled = 1;
			server_pump(s);
			break;
		case ST_CLOSE:
			s->close_pending = 0;
			break;
		case ST_SHUT:
			break;
		}
		server_unlock(s);
	}
out:
	pool_stop();
	grpc_server_destroy(server_srv);
	grpc_completion_queue_shutdown(server_cq);
	while (grpc_completion_queue_next(server_cq,
	    gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
	    GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(server_cq);
	return status;
}
