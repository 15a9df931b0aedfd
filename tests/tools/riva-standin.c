/*
 * riva-standin.c: a loopback stand-in for NVIDIA Riva, for tests.
 *
 * A real gRPC server on the grpc C core server API, speaking the wire
 * protocol of our protos (proto/): RivaSpeechRecognition/StreamingRecognize
 * and grpc.health.v1.Health/Check.  It checks what it receives -- the first
 * request of a stream must carry only streaming_config, every later one only
 * audio_content; a violation fails the call with INVALID_ARGUMENT and is
 * logged -- and it proves what audio arrived: for every stream it logs the
 * byte count and SHA-256 of the audio in arrival order (and can write the
 * audio to a file).
 *
 * Answers come from simple rules or a script file:
 *   rules:  every --partial-every bytes one more word is "heard" and an
 *           interim response is sent with TWO non-final results (the stable
 *           words, then the newest word); every --final-every bytes (if set)
 *           the words so far become one final result; on half-close the rest
 *           is sent as finals with word timings, split into two final
 *           results in one response when there are two words or more.
 *   script: lines "<bytes>|end <result> [; <result>...]" where a result is
 *           "partial <stability> <text>" or "final <confidence> <text>"; each
 *           line is one response, sent once the stream has received that
 *           many audio bytes (or on half-close for "end").
 * --end-delay MS: the half-close is answered (the last finals, then the
 * status) MS later, as a Riva still decoding the end of the audio does
 * (a bridge's drain then outlasts a load balancer's health checks).
 * Errors on demand: --fail-start (UNAVAILABLE before reading anything),
 * --abort-after N (UNAVAILABLE once N audio bytes have arrived),
 * --blackhole (accept TCP and never answer), --max-concurrent-streams 0
 * (HTTP/2 up, but no stream may open: calls stall before they start).  Health: --health STATUS, or
 * --health-file PATH read at every check (so a test can flip it); STATUS
 * UNIMPLEMENTED answers the check as a server without the health service
 * does (NVIDIA's mock Riva, some hosted endpoints).
 * --stamp (for tests/bench/bench-bridge.sh): every rules partial gets a third
 * interim result "@K:R:S": this is the stream's K-th word (= audio frame
 * with --partial-every 3200), R when the message holding it arrived here,
 * S when the response was built (CLOCK_MONOTONIC microseconds), so that a
 * client on the same machine can time each direction.  Models:
 * with --models NAME[=LANG],... GetRivaSpeechRecognitionConfig lists them
 * (LANG as the language_code parameter); without, it is UNIMPLEMENTED, as
 * on a Riva too old to have it.  If the
 * environment has STANDIN_API_KEY / STANDIN_FUNCTION_ID, calls must carry
 * "authorization: Bearer <key>" / "function-id: <id>" (else UNAUTHENTICATED).
 *
 * Log lines (--log, default stderr), one event each, e.g.:
 *   listening port=18101
 *   stream=1 config encoding=1 rate=16000 channels=1 lang=en-US model= ...
 *   stream=1 violation="first request must carry only streaming_config"
 *   stream=1 end outcome=ok bytes=64000 audio_msgs=20 sha256=ab12...
 *   health service= status=SERVING
 *   models count=2
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "rivamsg.h"
#include "rivasrv.h"

#define SI_MAX_SCRIPT	256
#define SI_MAX_WORDS	64

enum si_kind { SI_NEW, SI_STREAM, SI_HEALTH, SI_MODELS, SI_OTHER };
enum si_tagkind { SI_T_NEW, SI_T_RECV, SI_T_SEND, SI_T_CLOSE, SI_T_SHUT };

struct si_tag {
	enum si_tagkind	 kind;
	struct si_call	*c;
};

struct si_resp {
	struct si_resp	*next;
	uint8_t		*buf;
	size_t		 len;
};

struct si_line {
	long long	 at;		/* -1 = on half-close */
	char		*text;		/* the results part */
};

struct si_call {
	struct si_call		*next, *prev;
	enum si_kind		 kind;
	int			 id;
	grpc_call		*call;
	grpc_call_details	 details;
	grpc_metadata_array	 md;
	struct si_tag		 t_new, t_recv, t_send, t_close;
	int			 recv_pending, send_pending, close_pending;
	int			 md_sent, want_status, status_sent, closed;
	int			 cancelled;
	grpc_status_code	 st;
	char			 detail[160];
	const char		*outcome;
	grpc_byte_buffer	*recv_bb, *send_bb;
	struct si_resp		*rhead, *rtail;
	/* stream state */
	int			 nreq;
	int32_t			 rate;
	uint64_t		 bytes;
	uint64_t		 audio_msgs;
	EVP_MD_CTX		*sha;
	FILE			*audio_fp;
	uint64_t		 next_partial, next_final;
	uint64_t		 seg_start;	/* bytes at segment start */
	int			 seg_words;
	int			 word_base;	/* index of segment's 1st word */
	uint64_t		 audio_at_us;	/* --stamp: last audio arrival */
	uint64_t		 end_due_us;	/* --end-delay: answer then */
	size_t			 script_next;
	/* health */
	char			*service;
};

static struct {
	int		 port;
	const char	*tls_cert, *tls_key, *tls_client_ca;
	long long	 partial_every, final_every, abort_after;
	long long	 end_delay_ms;		/* --end-delay */
	int		 fail_start, blackhole;
	int		 max_streams;		/* -1 = grpc default */
	const char	*health, *health_file, *audio_dir;
	char		*words[SI_MAX_WORDS];
	int		 nwords;
	struct si_line	 script[SI_MAX_SCRIPT];
	size_t		 nscript;
	int		 use_script;
	FILE		*log;
	const char	*api_key, *function_id;
	struct rivamsg_models models;	/* --models */
	int		 has_models;
	int		 stamp;			/* --stamp */
} opt;

static grpc_server		*srv;
static grpc_completion_queue	*cq;
static struct si_call		*calls;
static int			 ncall_ids;
static volatile sig_atomic_t	 quit;

static void
si_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(opt.log, fmt, ap);
	va_end(ap);
	fputc('\n', opt.log);
	fflush(opt.log);
}

static void
si_die(const char *msg)
{
	fprintf(stderr, "riva-standin: %s\n", msg);
	exit(2);
}

static void *
si_calloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (p == NULL)
		si_die("out of memory");
	return p;
}

static long long
si_num(const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "riva-standin: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static char *
si_strdup(const char *s)
{
	size_t n = strlen(s);
	char *d = si_calloc(1, n + 1);

	memcpy(d, s, n);
	return d;
}

/* ------------------------------------------------------------ responses */

static void
si_queue(struct si_call *c, const struct rivamsg_response *resp)
{
	struct si_resp *r = si_calloc(1, sizeof(*r));

	if (rivasrv_encode_response(resp, &r->buf, &r->len) != ERR_OK)
		si_die("cannot encode a response");
	if (c->rtail != NULL)
		c->rtail->next = r;
	else
		c->rhead = r;
	c->rtail = r;
}

static void
si_fail(struct si_call *c, grpc_status_code st, const char *outcome,
    const char *detail)
{
	if (c->want_status)
		return;
	c->want_status = 1;
	c->st = st;
	c->outcome = outcome;
	snprintf(c->detail, sizeof(c->detail), "%s", detail);
}

/* ms of audio at byte offset b */
static int32_t
si_ms(const struct si_call *c, uint64_t b)
{
	int32_t rate = c->rate > 0 ? c->rate : 16000;

	return (int32_t)(b * 1000 / (2 * (uint64_t)rate));
}

/* Build one result from words [from, to) of the word list. */
static void
si_result(struct si_call *c, struct rivamsg_result *r, int from, int to,
    int final, float score, uint64_t b0, uint64_t b1)
{
	struct rivamsg_alternative *a;
	size_t len = 1, off = 0;
	int i, n = to - from;
	int32_t t0 = si_ms(c, b0), t1 = si_ms(c, b1);

	memset(r, 0, sizeof(*r));
	r->is_final = final;
	r->stability = final ? 0 : score;
	r->audio_processed = (float)si_ms(c, c->bytes) / 1000.0f;
	a = r->alts = si_calloc(1, sizeof(*a));
	r->nalts = 1;
	for (i = from; i < to; i++)
		len += strlen(opt.words[i % opt.nwords]) + 1;
	a->transcript = si_calloc(1, len);
	for (i = from; i < to; i++)
		off += (size_t)snprintf(a->transcript + off, len - off, "%s%s",
		    off > 0 ? " " : "", opt.words[i % opt.nwords]);
	if (!final)
		return;
	a->confidence = score;
	a->words = si_calloc((size_t)(n > 0 ? n : 1), sizeof(*a->words));
	a->nwords = (size_t)n;
	for (i = 0; i < n; i++) {
		a->words[i].word = si_strdup(opt.words[(from + i) % opt.nwords]);
		a->words[i].start_ms = t0 + (t1 - t0) * i / n;
		a->words[i].end_ms = t0 + (t1 - t0) * (i + 1) / n;
		a->words[i].confidence = score;
	}
}

static uint64_t
si_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* --stamp: the "@K:R:S" interim result (see the top of the file). */
static void
si_stamp(struct si_call *c, struct rivamsg_result *r)
{
	char buf[80];

	snprintf(buf, sizeof(buf), "@%d:%llu:%llu", c->word_base + c->seg_words,
	    (unsigned long long)c->audio_at_us,
	    (unsigned long long)si_now_us());
	memset(r, 0, sizeof(*r));
	r->alts = si_calloc(1, sizeof(*r->alts));
	r->nalts = 1;
	r->alts->transcript = si_strdup(buf);
}

static void
si_rules_partial(struct si_call *c)
{
	struct rivamsg_response resp;
	struct rivamsg_result *res = si_calloc(3, sizeof(*res));
	int n = c->seg_words, b = c->word_base;

	memset(&resp, 0, sizeof(resp));
	resp.results = res;
	if (n >= 2) {
		si_result(c, &res[0], b, b + n - 1, 0, 0.9f, 0, 0);
		si_result(c, &res[1], b + n - 1, b + n, 0, 0.1f, 0, 0);
		resp.nresults = 2;
	} else {
		si_result(c, &res[0], b, b + n, 0, 0.1f, 0, 0);
		resp.nresults = 1;
	}
	if (opt.stamp)
		si_stamp(c, &res[resp.nresults++]);
	si_queue(c, &resp);
	rivamsg_response_clear(&resp);
}

/* Turn the current segment into final results: two in one response when
 * there are two words or more. */
static void
si_rules_final(struct si_call *c)
{
	struct rivamsg_response resp;
	struct rivamsg_result *res;
	int n = c->seg_words, b = c->word_base, h;
	uint64_t mid;

	if (n == 0)
		return;
	res = si_calloc(2, sizeof(*res));
	memset(&resp, 0, sizeof(resp));
	resp.results = res;
	if (n >= 2) {
		h = n / 2;
		mid = c->seg_start + (c->bytes - c->seg_start) * (uint64_t)h /
		    (uint64_t)n;
		si_result(c, &res[0], b, b + h, 1, 0.93f, c->seg_start, mid);
		si_result(c, &res[1], b + h, b + n, 1, 0.87f, mid, c->bytes);
		resp.nresults = 2;
	} else {
		si_result(c, &res[0], b, b + n, 1, 0.93f, c->seg_start,
		    c->bytes);
		resp.nresults = 1;
	}
	si_queue(c, &resp);
	rivamsg_response_clear(&resp);
	c->word_base += n;
	c->seg_words = 0;
	c->seg_start = c->bytes;
}

/* Split s in place at spaces; returns the number of words stored. */
static size_t
si_split(char *s, char **w, size_t max)
{
	size_t n = 0;

	while (*s != '\0') {
		while (*s == ' ' || *s == ',')
			*s++ = '\0';
		if (*s == '\0')
			break;
		if (n == max)
			break;
		w[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != ',')
			s++;
	}
	return n;
}

/* One script line: "partial 0.5 some words ; final 0.9 other words". */
static void
si_script_line(struct si_call *c, const char *text)
{
	struct rivamsg_response resp;
	struct rivamsg_alternative *a;
	struct rivamsg_result *r;
	char buf[1024], *p, *next, *w[SI_MAX_WORDS];
	size_t n, i, len, off;
	float score;
	int32_t t1 = si_ms(c, c->bytes);

	snprintf(buf, sizeof(buf), "%s", text);
	memset(&resp, 0, sizeof(resp));
	resp.results = si_calloc(16, sizeof(*resp.results));
	for (p = buf; p != NULL && resp.nresults < 16; p = next) {
		if ((next = strchr(p, ';')) != NULL)
			*next++ = '\0';
		/* kind, score, words... (text is rebuilt with single spaces) */
		if ((n = si_split(p, w, SI_MAX_WORDS)) < 2)
			continue;
		r = &resp.results[resp.nresults++];
		score = strtof(w[1], NULL);
		r->is_final = strcmp(w[0], "final") == 0;
		r->stability = r->is_final ? 0 : score;
		r->audio_processed = (float)t1 / 1000.0f;
		a = r->alts = si_calloc(1, sizeof(*a));
		r->nalts = 1;
		for (len = 1, i = 2; i < n; i++)
			len += strlen(w[i]) + 1;
		a->transcript = si_calloc(1, len);
		for (off = 0, i = 2; i < n; i++)
			off += (size_t)snprintf(a->transcript + off, len - off,
			    "%s%s", i > 2 ? " " : "", w[i]);
		if (!r->is_final)
			continue;
		/* Word timings: spread evenly over the audio so far. */
		a->confidence = score;
		a->nwords = n - 2;
		a->words = si_calloc(n, sizeof(*a->words));
		for (i = 0; i < a->nwords; i++) {
			a->words[i].word = si_strdup(w[i + 2]);
			a->words[i].start_ms = (int32_t)((int64_t)t1 *
			    (int64_t)i / (int64_t)a->nwords);
			a->words[i].end_ms = (int32_t)((int64_t)t1 *
			    (int64_t)(i + 1) / (int64_t)a->nwords);
			a->words[i].confidence = score;
		}
	}
	si_queue(c, &resp);
	rivamsg_response_clear(&resp);
}

/* ------------------------------------------------------------ call pump */

static void
si_pump(struct si_call *c)
{
	grpc_op ops[3];
	grpc_slice sl;
	struct si_resp *r;
	size_t n = 0;

	if (c->send_pending || c->status_sent || c->cancelled)
		return;
	memset(ops, 0, sizeof(ops));
	if (!c->md_sent) {
		ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
		n++;
	}
	if ((r = c->rhead) != NULL && !(c->want_status && c->st != 0)) {
		c->rhead = r->next;
		if (c->rhead == NULL)
			c->rtail = NULL;
		sl = grpc_slice_from_copied_buffer((const char *)r->buf, r->len);
		c->send_bb = grpc_raw_byte_buffer_create(&sl, 1);
		grpc_slice_unref(sl);
		free(r->buf);
		free(r);
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n].data.send_message.send_message = c->send_bb;
		n++;
	} else if (c->want_status) {
		grpc_slice detail = grpc_slice_from_copied_string(c->detail);

		ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
		ops[n].data.send_status_from_server.status = c->st;
		ops[n].data.send_status_from_server.status_details = &detail;
		n++;
		c->status_sent = 1;
		if (grpc_call_start_batch(c->call, ops, n, &c->t_send, NULL) !=
		    GRPC_CALL_OK)
			si_die("start_batch(status)");
		grpc_slice_unref(detail);
		c->md_sent = 1;
		c->send_pending = 1;
		return;
	} else
		return;
	if (grpc_call_start_batch(c->call, ops, n, &c->t_send, NULL) !=
	    GRPC_CALL_OK)
		si_die("start_batch(send)");
	c->md_sent = 1;
	c->send_pending = 1;
}

static void
si_recv(struct si_call *c)
{
	grpc_op op;

	if (c->want_status || c->cancelled)
		return;
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &c->recv_bb;
	if (grpc_call_start_batch(c->call, &op, 1, &c->t_recv, NULL) !=
	    GRPC_CALL_OK)
		si_die("start_batch(recv)");
	c->recv_pending = 1;
}

static void
si_free_call(struct si_call *c)
{
	struct si_resp *r;
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int mdlen = 0, i;

	if (c->kind == SI_STREAM) {
		EVP_DigestFinal_ex(c->sha, md, &mdlen);
		for (i = 0; i < mdlen; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		hex[2 * mdlen] = '\0';
		si_log("stream=%d end outcome=%s bytes=%llu audio_msgs=%llu "
		    "sha256=%s", c->id, c->cancelled ? "cancelled" :
		    c->outcome != NULL ? c->outcome : "ok",
		    (unsigned long long)c->bytes,
		    (unsigned long long)c->audio_msgs, hex);
	}
	if (c->sha != NULL)
		EVP_MD_CTX_free(c->sha);
	if (c->audio_fp != NULL)
		fclose(c->audio_fp);
	while ((r = c->rhead) != NULL) {
		c->rhead = r->next;
		free(r->buf);
		free(r);
	}
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (calls == c)
		calls = c->next;
	if (c->recv_bb != NULL)
		grpc_byte_buffer_destroy(c->recv_bb);
	if (c->send_bb != NULL)
		grpc_byte_buffer_destroy(c->send_bb);
	if (c->call != NULL)
		grpc_call_unref(c->call);
	grpc_call_details_destroy(&c->details);
	grpc_metadata_array_destroy(&c->md);
	free(c->service);
	free(c);
}

static void
si_settle(struct si_call *c)
{
	if (!c->recv_pending && !c->send_pending && !c->close_pending &&
	    (c->status_sent || c->cancelled))
		si_free_call(c);
}

static int
si_md_is(struct si_call *c, const char *key, const char *want)
{
	size_t i;

	for (i = 0; i < c->md.count; i++)
		if (grpc_slice_str_cmp(c->md.metadata[i].key, key) == 0)
			return grpc_slice_str_cmp(c->md.metadata[i].value,
			    want) == 0;
	return 0;
}

static void si_request_new(void);

static void
si_start_call(struct si_call *c)
{
	grpc_op op;
	char bearer[512];

	if (grpc_slice_str_cmp(c->details.method,
	    "/nvidia.riva.asr.RivaSpeechRecognition/StreamingRecognize") == 0)
		c->kind = SI_STREAM;
	else if (grpc_slice_str_cmp(c->details.method,
	    "/grpc.health.v1.Health/Check") == 0)
		c->kind = SI_HEALTH;
	else if (opt.has_models && grpc_slice_str_cmp(c->details.method,
	    "/nvidia.riva.asr.RivaSpeechRecognition/"
	    "GetRivaSpeechRecognitionConfig") == 0)
		c->kind = SI_MODELS;
	else
		c->kind = SI_OTHER;
	c->id = ++ncall_ids;
	c->t_recv.kind = SI_T_RECV;
	c->t_send.kind = SI_T_SEND;
	c->t_close.kind = SI_T_CLOSE;
	c->t_recv.c = c->t_send.c = c->t_close.c = c;

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	op.data.recv_close_on_server.cancelled = &c->cancelled;
	if (grpc_call_start_batch(c->call, &op, 1, &c->t_close, NULL) !=
	    GRPC_CALL_OK)
		si_die("start_batch(close)");
	c->close_pending = 1;

	if (c->kind == SI_STREAM) {
		c->sha = EVP_MD_CTX_new();
		if (c->sha == NULL ||
		    EVP_DigestInit_ex(c->sha, EVP_sha256(), NULL) != 1)
			si_die("sha256");
		c->next_partial = (uint64_t)opt.partial_every;
		c->next_final = (uint64_t)opt.final_every;
		if (opt.audio_dir != NULL) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s/stream-%d.pcm",
			    opt.audio_dir, c->id);
			if ((c->audio_fp = fopen(path, "wb")) == NULL)
				si_die("cannot write to --audio-dir");
		}
		si_log("stream=%d start", c->id);
	}
	if (opt.api_key != NULL) {
		snprintf(bearer, sizeof(bearer), "Bearer %s", opt.api_key);
		if (!si_md_is(c, "authorization", bearer)) {
			si_log("stream=%d violation=\"missing or wrong "
			    "authorization\"", c->id);
			si_fail(c, GRPC_STATUS_UNAUTHENTICATED, "unauthenticated",
			    "missing or wrong authorization");
		}
	}
	if (opt.function_id != NULL &&
	    !si_md_is(c, "function-id", opt.function_id)) {
		si_log("stream=%d violation=\"missing or wrong function-id\"",
		    c->id);
		si_fail(c, GRPC_STATUS_UNAUTHENTICATED, "unauthenticated",
		    "missing or wrong function-id");
	}
	if (c->kind == SI_OTHER)
		si_fail(c, GRPC_STATUS_UNIMPLEMENTED, "unimplemented",
		    "not implemented by the stand-in");
	if (c->kind == SI_STREAM && opt.fail_start)
		si_fail(c, GRPC_STATUS_UNAVAILABLE, "unavailable",
		    "stand-in: unavailable on demand");
	si_recv(c);
	si_pump(c);
}

static void
si_on_audio(struct si_call *c, const struct rivasrv_request *req)
{
	size_t i;

	if (opt.stamp)
		c->audio_at_us = si_now_us();
	EVP_DigestUpdate(c->sha, req->audio, req->audio_len);
	if (c->audio_fp != NULL &&
	    fwrite(req->audio, 1, req->audio_len, c->audio_fp) !=
	    req->audio_len)
		si_die("cannot write audio");
	c->bytes += req->audio_len;
	c->audio_msgs++;
	if (opt.abort_after > 0 && c->bytes >= (uint64_t)opt.abort_after) {
		si_log("stream=%d abort bytes=%llu", c->id,
		    (unsigned long long)c->bytes);
		si_fail(c, GRPC_STATUS_UNAVAILABLE, "aborted",
		    "stand-in: aborting mid-stream on demand");
		return;
	}
	if (opt.use_script) {
		for (i = c->script_next; i < opt.nscript; i++) {
			if (opt.script[i].at < 0 ||
			    (uint64_t)opt.script[i].at > c->bytes)
				break;
			si_script_line(c, opt.script[i].text);
			c->script_next = i + 1;
		}
		return;
	}
	while (opt.partial_every > 0 && c->bytes >= c->next_partial) {
		c->seg_words++;
		si_rules_partial(c);
		c->next_partial += (uint64_t)opt.partial_every;
	}
	while (opt.final_every > 0 && c->bytes >= c->next_final) {
		si_rules_final(c);
		c->next_final += (uint64_t)opt.final_every;
	}
}

static void
si_on_halfclose(struct si_call *c)
{
	size_t i;

	if (opt.use_script) {
		for (i = c->script_next; i < opt.nscript; i++)
			if (opt.script[i].at < 0 ||
			    (uint64_t)opt.script[i].at <= c->bytes)
				si_script_line(c, opt.script[i].text);
		c->script_next = opt.nscript;
	} else
		si_rules_final(c);
	si_fail(c, GRPC_STATUS_OK, "ok", "");
}

/* --end-delay: answer the half-closes whose time has come. */
static void
si_due_halfcloses(void)
{
	struct si_call *c, *next;
	uint64_t now = si_now_us();

	for (c = calls; c != NULL; c = next) {
		next = c->next;		/* si_settle() may free c */
		if (c->end_due_us == 0 || now < c->end_due_us)
			continue;
		c->end_due_us = 0;
		si_on_halfclose(c);
		si_pump(c);
		si_settle(c);
	}
}

static void
si_stream_msg(struct si_call *c, const uint8_t *buf, size_t len)
{
	struct rivasrv_request req;
	const char *v = NULL;
	char hot[512];
	size_t i, off = 0;

	if (rivasrv_decode_request(buf, len, &req) != ERR_OK)
		v = "undecodable StreamingRecognizeRequest";
	else if (c->nreq == 0 && req.kind != RIVASRV_REQ_CONFIG)
		v = "first request must carry only streaming_config";
	else if (c->nreq > 0 && req.kind != RIVASRV_REQ_AUDIO)
		v = "later requests must carry only audio_content";
	else if (req.kind == RIVASRV_REQ_CONFIG && (req.encoding != 1 ||
	    req.sample_rate_hz < 8000 || req.sample_rate_hz > 48000 ||
	    req.audio_channel_count > 1))
		v = "unsupported encoding, sample rate or channel count";
	c->nreq++;
	if (v != NULL) {
		si_log("stream=%d violation=\"%s\"", c->id, v);
		si_fail(c, GRPC_STATUS_INVALID_ARGUMENT, "invalid", v);
		rivasrv_request_clear(&req);
		return;
	}
	if (req.kind == RIVASRV_REQ_CONFIG) {
		c->rate = req.sample_rate_hz;
		hot[0] = '\0';
		for (i = 0; i < req.nboost_words && off < sizeof(hot); i++)
			off += (size_t)snprintf(hot + off, sizeof(hot) - off,
			    "%s%s", i > 0 ? "," : "", req.boost_words[i]);
		si_log("stream=%d config encoding=%d rate=%d channels=%d "
		    "lang=%s model=%s alts=%d punct=%d interim=%d wto=%d "
		    "profanity=%d verbatim=%d hotwords=%s boost=%g "
		    "endpointing=%d start_history=%d stop_history=%d "
		    "stop_threshold=%g", c->id, req.encoding,
		    req.sample_rate_hz, req.audio_channel_count, req.language,
		    req.model, req.max_alternatives, req.punctuation,
		    req.interim_results, req.word_time_offsets,
		    req.profanity_filter, req.verbatim_transcripts, hot,
		    (double)req.boost_score, req.has_endpointing,
		    req.endpointing.start_history,
		    req.endpointing.stop_history,
		    (double)req.endpointing.stop_threshold);
	} else
		si_on_audio(c, &req);
	rivasrv_request_clear(&req);
}

/* The health to answer; *unimplemented is set for "UNIMPLEMENTED" (a
 * server without the health service, as NVIDIA's mock Riva). */
static enum rivamsg_health
si_health_status(int *unimplemented)
{
	char buf[64];
	FILE *fp;
	const char *s = opt.health;
	size_t n;

	buf[0] = '\0';
	if (opt.health_file != NULL &&
	    (fp = fopen(opt.health_file, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[n] = '\0';
		buf[strcspn(buf, " \r\n")] = '\0';
		fclose(fp);
		s = buf;
	}
	*unimplemented = strcmp(s, "UNIMPLEMENTED") == 0;
	if (strcmp(s, "SERVING") == 0)
		return RIVAMSG_HEALTH_SERVING;
	if (strcmp(s, "NOT_SERVING") == 0)
		return RIVAMSG_HEALTH_NOT_SERVING;
	return RIVAMSG_HEALTH_UNKNOWN;
}

static void
si_health_msg(struct si_call *c, const uint8_t *buf, size_t len)
{
	enum rivamsg_health h;
	struct si_resp *r;
	int unimplemented;

	if (rivasrv_decode_health_request(buf, len, &c->service) != ERR_OK) {
		si_log("health violation=\"undecodable HealthCheckRequest\"");
		si_fail(c, GRPC_STATUS_INVALID_ARGUMENT, "invalid",
		    "undecodable HealthCheckRequest");
		return;
	}
	if (c->service[0] != '\0' &&
	    strcmp(c->service, "nvidia.riva.asr.RivaSpeechRecognition") != 0) {
		si_log("health service=%s status=NOT_FOUND", c->service);
		si_fail(c, GRPC_STATUS_NOT_FOUND, "not_found",
		    "unknown service");
		return;
	}
	h = si_health_status(&unimplemented);
	if (unimplemented) {
		si_log("health service=%s status=UNIMPLEMENTED", c->service);
		si_fail(c, GRPC_STATUS_UNIMPLEMENTED, "unimplemented",
		    "unknown service grpc.health.v1.Health");
		return;
	}
	si_log("health service=%s status=%s", c->service,
	    rivamsg_health_name(h));
	r = si_calloc(1, sizeof(*r));
	if (rivasrv_encode_health_response(h, &r->buf, &r->len) != ERR_OK)
		si_die("cannot encode health response");
	c->rhead = c->rtail = r;
	si_fail(c, GRPC_STATUS_OK, "ok", "");
}

static void
si_models_msg(struct si_call *c)
{
	struct si_resp *r;

	/* The request (a model name filter) is not looked at: every model
	 * is listed, as Riva does for an empty name. */
	si_log("models count=%zu", opt.models.n);
	r = si_calloc(1, sizeof(*r));
	if (rivasrv_encode_models_response(&opt.models, &r->buf, &r->len) !=
	    ERR_OK)
		si_die("cannot encode models response");
	c->rhead = c->rtail = r;
	si_fail(c, GRPC_STATUS_OK, "ok", "");
}

/* --models NAME[=LANG],... */
static void
si_models(const char *list)
{
	char *copy, *p, *tok, *eq;
	struct rivamsg_model *m;

	if ((copy = strdup(list)) == NULL)
		si_die("out of memory");
	opt.has_models = 1;
	for (p = copy; (tok = strsep(&p, ",")) != NULL;) {
		if (*tok == '\0')
			continue;
		opt.models.v = realloc(opt.models.v,
		    (opt.models.n + 1) * sizeof(*opt.models.v));
		if (opt.models.v == NULL)
			si_die("out of memory");
		m = &opt.models.v[opt.models.n++];
		memset(m, 0, sizeof(*m));
		if ((eq = strchr(tok, '=')) != NULL)
			*eq++ = '\0';
		if ((m->name = strdup(tok)) == NULL ||
		    (eq != NULL && (m->language = strdup(eq)) == NULL))
			si_die("out of memory");
	}
	free(copy);
}

static void
si_on_recv(struct si_call *c, int ok)
{
	grpc_byte_buffer_reader rd;
	grpc_slice sl;

	c->recv_pending = 0;
	if (!ok || c->recv_bb == NULL) {
		if (ok && c->kind == SI_STREAM && !c->want_status) {
			if (c->nreq == 0) {
				si_log("stream=%d violation=\"half-closed "
				    "without streaming_config\"", c->id);
				si_fail(c, GRPC_STATUS_INVALID_ARGUMENT,
				    "invalid", "no streaming_config");
			} else if (opt.end_delay_ms > 0)
				c->end_due_us = si_now_us() +
				    (uint64_t)opt.end_delay_ms * 1000;
			else
				si_on_halfclose(c);
		} else if ((c->kind == SI_HEALTH || c->kind == SI_MODELS) &&
		    !c->want_status)
			si_fail(c, GRPC_STATUS_INVALID_ARGUMENT, "invalid",
			    "no request");
		si_pump(c);
		return;
	}
	if (!grpc_byte_buffer_reader_init(&rd, c->recv_bb))
		si_die("byte buffer reader");
	sl = grpc_byte_buffer_reader_readall(&rd);
	grpc_byte_buffer_reader_destroy(&rd);
	grpc_byte_buffer_destroy(c->recv_bb);
	c->recv_bb = NULL;
	if (!c->want_status) {
		if (c->kind == SI_STREAM)
			si_stream_msg(c, GRPC_SLICE_START_PTR(sl),
			    GRPC_SLICE_LENGTH(sl));
		else if (c->kind == SI_HEALTH)
			si_health_msg(c, GRPC_SLICE_START_PTR(sl),
			    GRPC_SLICE_LENGTH(sl));
		else if (c->kind == SI_MODELS)
			si_models_msg(c);
	}
	grpc_slice_unref(sl);
	if (c->kind == SI_STREAM)
		si_recv(c);
	si_pump(c);
}

static void
si_request_new(void)
{
	struct si_call *c = si_calloc(1, sizeof(*c));

	grpc_call_details_init(&c->details);
	grpc_metadata_array_init(&c->md);
	c->t_new.kind = SI_T_NEW;
	c->t_new.c = c;
	c->kind = SI_NEW;
	if (grpc_server_request_call(srv, &c->call, &c->details, &c->md, cq,
	    cq, &c->t_new) != GRPC_CALL_OK)
		si_die("grpc_server_request_call");
	c->next = calls;
	if (calls != NULL)
		calls->prev = c;
	calls = c;
}

/* ------------------------------------------------------------- blackhole */

static int
si_blackhole(void)
{
	struct sockaddr_in sa;
	int fd, one = 1, cfd;
	int held[256], nheld = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		si_die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)opt.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 64) == -1)
		si_die("cannot listen");
	si_log("listening port=%d blackhole", opt.port);
	while (!quit) {
		if ((cfd = accept(fd, NULL, NULL)) == -1)
			continue;
		si_log("blackhole accepted");
		if (nheld < 256)
			held[nheld++] = cfd;	/* never answered */
		else
			close(cfd);
	}
	while (nheld > 0)
		close(held[--nheld]);
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ main */

static char *
si_read_file(const char *path)
{
	FILE *fp;
	char *buf;
	long n;

	if ((fp = fopen(path, "rb")) == NULL)
		si_die("cannot open a --tls or --script file");
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    n > 1024 * 1024 || fseek(fp, 0, SEEK_SET) != 0)
		si_die("bad file");
	buf = si_calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		si_die("short read");
	fclose(fp);
	return buf;
}

static void
si_load_script(const char *path)
{
	char *buf = si_read_file(path), *line, *next, *sp;

	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		while (*line == ' ')
			line++;
		if (*line == '#' || *line == '\0')
			continue;
		if (opt.nscript == SI_MAX_SCRIPT)
			si_die("script too long");
		if ((sp = strchr(line, ' ')) == NULL)
			si_die("script line without results");
		*sp++ = '\0';
		opt.script[opt.nscript].at = strcmp(line, "end") == 0 ? -1 :
		    si_num(line, 0, LLONG_MAX);
		opt.script[opt.nscript].text = si_strdup(sp);
		opt.nscript++;
	}
	opt.use_script = 1;
	free(buf);
}

static void
si_words(const char *list)
{
	char *dup = si_strdup(list), *w[SI_MAX_WORDS];
	size_t i, n = si_split(dup, w, SI_MAX_WORDS);

	for (i = 0; i < n && opt.nwords < SI_MAX_WORDS; i++)
		opt.words[opt.nwords++] = si_strdup(w[i]);
	free(dup);
}

static void
si_onsig(int sig)
{
	(void)sig;
	quit = 1;
}

static void
si_usage(void)
{
	fprintf(stderr, "usage: riva-standin --port N [--log FILE] "
	    "[--tls-cert F --tls-key F [--tls-client-ca F]]\n"
	    "  [--partial-every BYTES] [--final-every BYTES] [--words LIST] "
	    "[--script FILE]\n"
	    "  [--end-delay MS] [--fail-start] [--abort-after BYTES] "
	    "[--blackhole] "
	    "[--max-concurrent-streams N]\n"
	    "  [--health SERVING|NOT_SERVING|UNIMPLEMENTED] [--health-file F] "
	    "[--audio-dir DIR] [--models NAME[=LANG],...] [--stamp]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	grpc_server_credentials *creds;
	grpc_ssl_pem_key_cert_pair kp;
	grpc_arg sarg;
	grpc_channel_args sargs;
	struct sigaction sa;
	grpc_event ev;
	struct si_tag *t, shut_tag = { SI_T_SHUT, NULL };
	char addr[64], *cert = NULL, *key = NULL, *ca = NULL;
	int i, shutting = 0, shut_done = 0, bound;

	opt.log = stderr;
	opt.partial_every = 9600;
	opt.health = "SERVING";
	opt.max_streams = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--fail-start") == 0) {
			opt.fail_start = 1;
			continue;
		}
		if (strcmp(a, "--blackhole") == 0) {
			opt.blackhole = 1;
			continue;
		}
		if (strcmp(a, "--stamp") == 0) {
			opt.stamp = 1;
			continue;
		}
		if (v == NULL)
			si_usage();
		i++;
		if (strcmp(a, "--port") == 0)
			opt.port = (int)si_num(v, 1, 65535);
		else if (strcmp(a, "--log") == 0) {
			if ((opt.log = fopen(v, "a")) == NULL)
				si_die("cannot open --log");
		} else if (strcmp(a, "--tls-cert") == 0)
			opt.tls_cert = v;
		else if (strcmp(a, "--tls-key") == 0)
			opt.tls_key = v;
		else if (strcmp(a, "--tls-client-ca") == 0)
			opt.tls_client_ca = v;
		else if (strcmp(a, "--partial-every") == 0)
			opt.partial_every = si_num(v, 0, LLONG_MAX);
		else if (strcmp(a, "--final-every") == 0)
			opt.final_every = si_num(v, 0, LLONG_MAX);
		else if (strcmp(a, "--abort-after") == 0)
			opt.abort_after = si_num(v, 1, LLONG_MAX);
		else if (strcmp(a, "--end-delay") == 0)
			opt.end_delay_ms = si_num(v, 0, 3600000);
		else if (strcmp(a, "--words") == 0)
			si_words(v);
		else if (strcmp(a, "--script") == 0)
			si_load_script(v);
		else if (strcmp(a, "--health") == 0)
			opt.health = v;
		else if (strcmp(a, "--health-file") == 0)
			opt.health_file = v;
		else if (strcmp(a, "--max-concurrent-streams") == 0)
			opt.max_streams = (int)si_num(v, 0, INT_MAX);
		else if (strcmp(a, "--audio-dir") == 0)
			opt.audio_dir = v;
		else if (strcmp(a, "--models") == 0)
			si_models(v);
		else
			si_usage();
	}
	if (opt.port == 0 || (opt.tls_cert == NULL) != (opt.tls_key == NULL))
		si_usage();
	if (opt.nwords == 0)
		si_words("the quick brown fox jumps over the lazy dog");
	opt.api_key = getenv("STANDIN_API_KEY");
	opt.function_id = getenv("STANDIN_FUNCTION_ID");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = si_onsig;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (opt.blackhole)
		return si_blackhole();

	grpc_init();
	if (opt.max_streams >= 0) {
		/* 0: the client can connect but never open a stream, so its
		 * calls stall before they start. */
		sarg.type = GRPC_ARG_INTEGER;
		sarg.key = (char *)GRPC_ARG_MAX_CONCURRENT_STREAMS;
		sarg.value.integer = opt.max_streams;
		sargs.num_args = 1;
		sargs.args = &sarg;
	}
	srv = grpc_server_create(opt.max_streams >= 0 ? &sargs : NULL, NULL);
	cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(srv, cq, NULL);
	if (opt.tls_cert != NULL) {
		cert = si_read_file(opt.tls_cert);
		key = si_read_file(opt.tls_key);
		if (opt.tls_client_ca != NULL)
			ca = si_read_file(opt.tls_client_ca);
		kp.cert_chain = cert;
		kp.private_key = key;
		creds = grpc_ssl_server_credentials_create_ex(ca, &kp, 1,
		    ca != NULL ?
		    GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY :
		    GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE, NULL);
	} else
		creds = grpc_insecure_server_credentials_create();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", opt.port);
	bound = grpc_server_add_http2_port(srv, addr, creds);
	grpc_server_credentials_release(creds);
	if (bound != opt.port)
		si_die("cannot listen on the port");
	grpc_server_start(srv);
	for (i = 0; i < 8; i++)
		si_request_new();
	si_log("listening port=%d%s", opt.port, cert != NULL ? " tls" : "");

	for (;;) {
		if (quit && !shutting) {
			shutting = 1;
			grpc_server_shutdown_and_notify(srv, cq, &shut_tag);
			grpc_server_cancel_all_calls(srv);
		}
		if (shut_done && calls == NULL)
			break;
		ev = grpc_completion_queue_next(cq, gpr_time_add(
		    gpr_now(GPR_CLOCK_MONOTONIC),
		    gpr_time_from_millis(100, GPR_TIMESPAN)), NULL);
		if (opt.end_delay_ms > 0)
			si_due_halfcloses();
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		t = ev.tag;
		switch (t->kind) {
		case SI_T_SHUT:
			shut_done = 1;
			break;
		case SI_T_NEW:
			if (!ev.success) {
				/* server shutting down */
				si_free_call(t->c);
				break;
			}
			if (!shutting)
				si_request_new();
			si_start_call(t->c);
			si_settle(t->c);
			break;
		case SI_T_RECV:
			si_on_recv(t->c, ev.success);
			si_settle(t->c);
			break;
		case SI_T_SEND:
			t->c->send_pending = 0;
			if (t->c->send_bb != NULL) {
				grpc_byte_buffer_destroy(t->c->send_bb);
				t->c->send_bb = NULL;
			}
			if (!ev.success)
				t->c->cancelled = 1;
			si_pump(t->c);
			si_settle(t->c);
			break;
		case SI_T_CLOSE:
			t->c->close_pending = 0;
			t->c->closed = 1;
			si_settle(t->c);
			break;
		}
	}
	grpc_server_destroy(srv);
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME),
	    NULL).type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
	grpc_shutdown_blocking();
	si_log("stopped");
	for (i = 0; i < opt.nwords; i++)
		free(opt.words[i]);
	for (i = 0; i < (int)opt.nscript; i++)
		free(opt.script[i].text);
	free(cert);
	free(key);
	free(ca);
	if (opt.log != stderr)
		fclose(opt.log);
	return 0;
}
