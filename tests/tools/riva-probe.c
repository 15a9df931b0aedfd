/*
 * riva-probe.c: a small client of lib/realtime/riva.c for the integration test.
 *
 * It plays the part the WebSocket daemon plays in production: one thread
 * that feeds audio to the adapter without blocking and drains its event
 * queue when the adapter's wakeup callback (here: an eventfd) fires.  It
 * prints every event as one line that tests/integration/riva.test checks:
 *
 *   stream=0 response nresults=2 finals=0
 *   stream=0 partial text="the quick"
 *   stream=0 final text="the quick brown" confidence=0.93 words=3 \
 *       timings=the:0-333,quick:333-666,brown:666-1000
 *   stream=0 error code=unavailable grpc_status=14 message="..."
 *   stream=0 done bytes_sent=64000 responses=7
 *   health status=SERVING
 *   summary streams=1 done=1 errors=0 results=... rtt_p50_us=... rtt_p99_us=...
 *
 * With --rounds N the streams are run N times one after another on the
 * same adapter (as a WebSocket connection runs several recognitions), each
 * round ending with "round=K errors=E"; --until-ok stops after the first
 * round without errors (used to show the adapter recovers when Riva comes
 * back).
 *
 * usage: riva-probe stream|health --target HOST:PORT [options]; see usage().
 * Exit status: 0 when every stream reached RIVA_EV_DONE (or the health
 * answer arrived) in time, 1 on timeout, 2 on bad usage.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "riva.h"

#define PROBE_MAX_STREAMS	2000
#define PROBE_MAX_HOT		32

struct probe_stream {
	struct riva_stream	*s;
	size_t			 off;		/* audio bytes handed over */
	int			 finished, done, released, failed;
	uint64_t		 responses;
	uint64_t		 next_us;	/* next audio chunk due */
};

static int	 efd = -1;
static uint64_t	*rtts;
static size_t	 nrtts, caprtts;

static void
probe_wakeup(void *arg)
{
	uint64_t one = 1;

	(void)arg;
	if (write(efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		abort();
}

static void
usage(void)
{
	fprintf(stderr, "usage: riva-probe stream|health --target HOST:PORT\n"
	    "  [--tls] [--ca F] [--cert F --key F] [--server-name N]\n"
	    "  [--api-key-env VAR] [--function-id ID]\n"
	    "  [--pcm FILE] [--chunk BYTES] [--pace-ms MS] [--streams N]\n"
	    "  [--rate HZ] [--lang L] [--model M] [--hotwords a,b] "
	    "[--no-interim] [--endpointing]\n"
	    "  [--start-timeout-ms MS] [--max-queued BYTES] [--burst]\n"
	    "  [--release-after BYTES] [--timeout-ms MS] [--service S] "
	    "[--quiet] [--warmup]\n"
	    "  [--rounds N [--round-gap-ms MS] [--until-ok]]\n");
	exit(2);
}

static long long
num(const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "riva-probe: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static uint8_t *
read_pcm(const char *path, size_t *len)
{
	FILE *fp;
	uint8_t *buf;
	long n;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "riva-probe: cannot open %s\n", path);
		exit(2);
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) <= 0 ||
	    n > 64 * 1024 * 1024 || fseek(fp, 0, SEEK_SET) != 0) {
		fprintf(stderr, "riva-probe: bad pcm file\n");
		exit(2);
	}
	if ((buf = malloc((size_t)n)) == NULL ||
	    fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		fprintf(stderr, "riva-probe: cannot read pcm\n");
		exit(2);
	}
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Print a string with quotes and control characters escaped. */
static void
put_text(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\x%02x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
print_result_event(int idx, const struct riva_event *ev, int quiet)
{
	const struct rivamsg_response *r = &ev->resp;
	size_t i, j, finals = 0, partials = 0;
	char *partial;

	for (i = 0; i < r->nresults; i++) {
		if (r->results[i].is_final)
			finals++;
		else
			partials++;
	}
	if (quiet)
		return;
	printf("stream=%d response nresults=%zu finals=%zu rtt_us=%llu\n",
	    idx, r->nresults, finals, (unsigned long long)ev->rtt_us);
	if (partials > 0) {
		if ((partial = rivamsg_partial_text(r)) == NULL)
			abort();
		printf("stream=%d partial text=", idx);
		put_text(partial);
		printf(" stability=%.2f\n", (double)r->results[0].stability);
		free(partial);
	}
	for (i = 0; i < r->nresults; i++) {
		const struct rivamsg_result *res = &r->results[i];

		if (!res->is_final || res->nalts == 0)
			continue;
		printf("stream=%d final text=", idx);
		put_text(res->alts[0].transcript);
		printf(" confidence=%.2f words=%zu timings=",
		    (double)res->alts[0].confidence, res->alts[0].nwords);
		for (j = 0; j < res->alts[0].nwords; j++)
			printf("%s%s:%d-%d", j > 0 ? "," : "",
			    res->alts[0].words[j].word,
			    (int)res->alts[0].words[j].start_ms,
			    (int)res->alts[0].words[j].end_ms);
		printf("\n");
	}
}

int
main(int argc, char **argv)
{
	struct riva_opts o;
	struct rivamsg_config cfg;
	struct rivamsg_endpointing ep;
	struct riva *r = NULL;
	struct riva_event ev;
	struct probe_stream *ps = NULL;
	struct pollfd pfd;
	const char *mode, *pcm_path = NULL, *service = NULL, *key_env = NULL;
	const char *hot[PROBE_MAX_HOT];
	char *hotbuf = NULL, *p;
	uint8_t *pcm = NULL;
	size_t pcm_len = 0, chunk = 3200, nhot = 0, release_after = 0, n;
	long long pace_ms = 0, timeout_ms = 30000;
	int nstreams = 1, burst = 0, quiet = 0, i, ndone = 0, nerr = 0;
	int health_done = 0, rc = 1, all_fed, warmup = 0;
	int rounds = 1, round = 0, round_err = 0, until_ok = 0;
	long long round_gap_ms = 0;
	uint64_t deadline, next_tick, now, results = 0, cnt;
	enum err e;

	if (argc < 2)
		usage();
	mode = argv[1];
	if (strcmp(mode, "stream") != 0 && strcmp(mode, "health") != 0)
		usage();
	memset(&o, 0, sizeof(o));
	memset(&cfg, 0, sizeof(cfg));
	memset(&ep, 0, sizeof(ep));
	cfg.sample_rate_hz = 16000;
	cfg.language = "en-US";
	cfg.max_alternatives = 1;
	cfg.punctuation = 1;
	cfg.interim_results = 1;
	cfg.word_time_offsets = 1;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--tls") == 0) {
			o.tls = 1;
			continue;
		} else if (strcmp(a, "--burst") == 0) {
			burst = 1;
			continue;
		} else if (strcmp(a, "--no-interim") == 0) {
			cfg.interim_results = 0;
			continue;
		} else if (strcmp(a, "--until-ok") == 0) {
			until_ok = 1;
			continue;
		} else if (strcmp(a, "--warmup") == 0) {
			warmup = 1;
			continue;
		} else if (strcmp(a, "--quiet") == 0) {
			quiet = 1;
			continue;
		} else if (strcmp(a, "--endpointing") == 0) {
			ep.has_start_history = 1;
			ep.start_history = 200;
			ep.has_stop_history = 1;
			ep.stop_history = 800;
			ep.has_stop_threshold = 1;
			ep.stop_threshold = 0.5f;
			cfg.endpointing = &ep;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--target") == 0)
			o.target = v;
		else if (strcmp(a, "--ca") == 0)
			o.tls_root_ca_file = v;
		else if (strcmp(a, "--cert") == 0)
			o.tls_cert_file = v;
		else if (strcmp(a, "--key") == 0)
			o.tls_key_file = v;
		else if (strcmp(a, "--server-name") == 0)
			o.tls_server_name = v;
		else if (strcmp(a, "--api-key-env") == 0)
			key_env = v;
		else if (strcmp(a, "--function-id") == 0)
			o.function_id = v;
		else if (strcmp(a, "--pcm") == 0)
			pcm_path = v;
		else if (strcmp(a, "--chunk") == 0)
			chunk = (size_t)num(v, 1, RIVA_MAX_AUDIO_CHUNK);
		else if (strcmp(a, "--pace-ms") == 0)
			pace_ms = num(v, 0, 10000);
		else if (strcmp(a, "--streams") == 0)
			nstreams = (int)num(v, 1, PROBE_MAX_STREAMS);
		else if (strcmp(a, "--rate") == 0)
			cfg.sample_rate_hz = (int32_t)num(v, 1, 1000000);
		else if (strcmp(a, "--lang") == 0)
			cfg.language = v;
		else if (strcmp(a, "--model") == 0)
			cfg.model = v;
		else if (strcmp(a, "--hotwords") == 0) {
			free(hotbuf);
			if ((hotbuf = strdup(v)) == NULL)
				abort();
			for (nhot = 0, p = hotbuf; p != NULL &&
			    nhot < PROBE_MAX_HOT; ) {
				hot[nhot++] = p;
				if ((p = strchr(p, ',')) != NULL)
					*p++ = '\0';
			}
			cfg.boost_words = hot;
			cfg.nboost_words = nhot;
			cfg.boost_score = 10.0f;
		} else if (strcmp(a, "--start-timeout-ms") == 0)
			o.start_timeout_ms = (int)num(v, 1, 600000);
		else if (strcmp(a, "--max-queued") == 0)
			o.max_queued_audio = (size_t)num(v, 1, INT_MAX);
		else if (strcmp(a, "--release-after") == 0)
			release_after = (size_t)num(v, 1, LLONG_MAX);
		else if (strcmp(a, "--timeout-ms") == 0)
			timeout_ms = num(v, 1, 3600000);
		else if (strcmp(a, "--rounds") == 0)
			rounds = (int)num(v, 1, 100000);
		else if (strcmp(a, "--round-gap-ms") == 0)
			round_gap_ms = num(v, 0, 60000);
		else if (strcmp(a, "--service") == 0)
			service = v;
		else
			usage();
	}
	if (o.target == NULL)
		usage();
	if (key_env != NULL && (o.api_key = getenv(key_env)) == NULL) {
		fprintf(stderr, "riva-probe: %s is not set\n", key_env);
		return 2;
	}
	if (strcmp(mode, "stream") == 0) {
		if (pcm_path == NULL)
			usage();
		pcm = read_pcm(pcm_path, &pcm_len);
	}
	log_init("riva-probe", LOGL_WARN, 2);
	if ((efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		abort();
	o.wakeup = probe_wakeup;
	o.wakeup_arg = NULL;
	if ((r = riva_new(&o, &e)) == NULL) {
		printf("new error code=%s\n", err_code(e));
		rc = 1;
		goto out;
	}
	now = clock_mono_us();
	deadline = now + (uint64_t)timeout_ms * 1000;

	if (strcmp(mode, "health") == 0) {
		if ((e = riva_health_check(r, service, 0, NULL)) != ERR_OK) {
			printf("health error code=%s\n", err_code(e));
			goto out;
		}
	} else {
		if (warmup) {
			/* Connect first (a health check), so that the timing
			 * of the stream does not include the TCP and HTTP/2
			 * setup. */
			if (riva_health_check(r, NULL, 0, NULL) != ERR_OK)
				abort();
			while (!riva_poll(r, &ev)) {
				pfd.fd = efd;
				pfd.events = POLLIN;
				if (poll(&pfd, 1, 1000) > 0 &&
				    read(efd, &cnt, sizeof(cnt)) == -1 &&
				    errno != EAGAIN)
					abort();
				if (clock_mono_us() > deadline)
					break;
			}
			printf("warmup health=%s\n",
			    rivamsg_health_name(ev.health));
			riva_event_clear(&ev);
		}
		if ((ps = calloc((size_t)nstreams, sizeof(*ps))) == NULL)
			abort();
start_round:
		memset(ps, 0, (size_t)nstreams * sizeof(*ps));
		ndone = 0;
		round_err = nerr;
		now = clock_mono_us();
		for (i = 0; i < nstreams; i++) {
			ps[i].next_us = now + (uint64_t)pace_ms * 1000 *
			    (uint64_t)i / (uint64_t)nstreams;
			ps[i].s = riva_stream_start(r, &cfg,
			    (void *)(intptr_t)i, &e);
			if (ps[i].s == NULL) {
				printf("stream=%d start error code=%s\n", i,
				    err_code(e));
				ps[i].done = ps[i].released = 1;
				ndone++;
				nerr++;
			}
		}
	}

	for (;;) {
		now = clock_mono_us();
		/* Feed: one chunk per stream per tick, the streams' ticks
		 * spread over the period like independent clients (all at
		 * once with --burst or --pace-ms 0). */
		all_fed = 1;
		next_tick = UINT64_MAX;
		for (i = 0; ps != NULL && i < nstreams; i++) {
			struct probe_stream *x = &ps[i];

			while (!x->finished && !x->released && !x->failed &&
			    now >= x->next_us) {
				n = pcm_len - x->off < chunk ?
				    pcm_len - x->off : chunk;
				if (n == 0) {
					e = riva_stream_finish(x->s);
					if (e != ERR_OK)
						printf("stream=%d finish "
						    "code=%s\n", i,
						    err_code(e));
					x->finished = 1;
					break;
				}
				e = riva_stream_audio(x->s, pcm + x->off, n);
				if (e != ERR_OK) {
					printf("stream=%d audio refused "
					    "code=%s at=%zu\n", i,
					    err_code(e), x->off);
					x->failed = 1;
					break;
				}
				x->off += n;
				if (release_after > 0 &&
				    x->off >= release_after) {
					riva_stream_release(x->s);
					printf("stream=%d released at=%zu\n",
					    i, x->off);
					x->released = x->done = 1;
					ndone++;
					break;
				}
				if (pace_ms > 0 && !burst) {
					/* Real-time pace: fall behind
					 * rather than burst. */
					x->next_us += (uint64_t)pace_ms * 1000;
					if (x->next_us < now)
						x->next_us = now;
					break;
				}
			}
			if (!x->finished && !x->released && !x->failed &&
			    x->next_us < next_tick)
				next_tick = x->next_us;
		}
		for (i = 0; ps != NULL && i < nstreams; i++)
			if (!ps[i].finished && !ps[i].released && !ps[i].failed)
				all_fed = 0;
		/* Drain events. */
		while (riva_poll(r, &ev)) {
			int idx = (int)(intptr_t)ev.user;

			switch (ev.type) {
			case RIVA_EV_RESULT:
				print_result_event(idx, &ev, quiet);
				ps[idx].responses++;
				results += ev.resp.nresults;
				if (nrtts == caprtts) {
					caprtts = caprtts ? caprtts * 2 : 1024;
					rtts = realloc(rtts,
					    caprtts * sizeof(*rtts));
					if (rtts == NULL)
						abort();
				}
				if (ev.rtt_us > 0)
					rtts[nrtts++] = ev.rtt_us;
				break;
			case RIVA_EV_ERROR:
				nerr++;
				printf("stream=%d error code=%s grpc_status=%d "
				    "message=", idx, err_code(ev.err),
				    ev.grpc_status);
				put_text(ev.message != NULL ? ev.message : "");
				printf("\n");
				break;
			case RIVA_EV_DONE: {
				struct riva_stream_stats st;

				riva_stream_stats(ev.stream, &st);
				if (!quiet || nstreams <= 10)
					printf("stream=%d done bytes_sent=%llu "
					    "responses=%llu\n", idx,
					    (unsigned long long)
					    st.audio_bytes_sent,
					    (unsigned long long)st.responses);
				riva_stream_release(ev.stream);
				ps[idx].done = ps[idx].released = 1;
				ndone++;
				break;
			}
			case RIVA_EV_HEALTH:
				if (ev.err == ERR_OK)
					printf("health status=%s\n",
					    rivamsg_health_name(ev.health));
				else {
					printf("health error code=%s "
					    "grpc_status=%d message=",
					    err_code(ev.err), ev.grpc_status);
					put_text(ev.message);
					printf("\n");
				}
				printf("health last=%s\n", rivamsg_health_name(
				    riva_health_last(r, NULL)));
				health_done = 1;
				break;
			}
			riva_event_clear(&ev);
		}
		if (ps != NULL && ndone == nstreams && ++round < rounds &&
		    !(until_ok && nerr == round_err)) {
			/* Another recognition on the same adapter. */
			printf("round=%d errors=%d\n", round - 1,
			    nerr - round_err);
			usleep((useconds_t)round_gap_ms * 1000);
			goto start_round;
		}
		if ((ps != NULL && ndone == nstreams) || health_done) {
			if (ps != NULL && rounds > 1)
				printf("round=%d errors=%d\n", round - 1,
				    nerr - round_err);
			rc = 0;
			break;
		}
		now = clock_mono_us();
		if (now >= deadline) {
			printf("timeout streams_done=%d/%d active=%zu\n", ndone,
			    nstreams, riva_active_streams(r));
			for (i = 0; ps != NULL && i < nstreams; i++) {
				struct riva_stream_stats st;

				if (ps[i].released)
					continue;
				riva_stream_stats(ps[i].s, &st);
				printf("stream=%d stuck fed=%zu queued=%llu "
				    "sent=%llu responses=%llu finished=%d\n",
				    i, ps[i].off,
				    (unsigned long long)st.audio_bytes_queued,
				    (unsigned long long)st.audio_bytes_sent,
				    (unsigned long long)st.responses,
				    ps[i].finished);
			}
			break;
		}
		/* Sleep until woken or the next audio tick. */
		pfd.fd = efd;
		pfd.events = POLLIN;
		{
			uint64_t until = deadline;
			int ms;

			if (ps != NULL && !all_fed && next_tick < until)
				until = next_tick;
			ms = until > now ? (int)((until - now + 999) / 1000) : 0;
			if (poll(&pfd, 1, ms) > 0 &&
			    read(efd, &cnt, sizeof(cnt)) == -1 &&
			    errno != EAGAIN)
				abort();
		}
	}
	if (ps != NULL) {
		if (nrtts > 0)
			qsort(rtts, nrtts, sizeof(*rtts), cmp_u64);
		printf("summary streams=%d done=%d errors=%d results=%llu "
		    "rtt_p50_us=%llu rtt_p99_us=%llu\n", nstreams, ndone, nerr,
		    (unsigned long long)results,
		    (unsigned long long)(nrtts ? rtts[nrtts / 2] : 0),
		    (unsigned long long)(nrtts ? rtts[nrtts * 99 / 100] : 0));
	}
out:
	/* Streams still held are released by riva_free(). */
	riva_free(r);
	fflush(stdout);
	free(ps);
	free(pcm);
	free(hotbuf);
	free(rtts);
	if (efd != -1)
		close(efd);
	return rc;
}
