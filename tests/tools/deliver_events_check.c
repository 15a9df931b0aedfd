/*
 * deliver_events_check.c: drive lib/storage/deliver_events.c over a real journal
 * for tests/integration/deliver-events.test.
 *
 *   deliver_events_check fill -j JOURNAL [-i RUN] [-s SESSIONS] [-c CHUNKS]
 *       Complete CHUNKS chunks in each of SESSIONS sessions and finalize
 *       each, through the journal's own transactions; prints the eventId of
 *       every event the journal enqueued, one per line.
 *   deliver_events_check drain -j JOURNAL -e ENDPOINT [-r REGION] [-b BUS]
 *       [-a MAX_ATTEMPTS] [-w BASE_MS] [-t TIMEOUT_MS] [-l LEASE_S]
 *       [-T DEADLINE_S]
 *       Run delivery rounds until no event is pending (or the deadline);
 *       prints "claimed= sent= retried= dead= pending= deadrows=".
 *   deliver_events_check dead -j JOURNAL
 *       Prints "dead <eventId> <reason>" for each dead event.
 *   deliver_events_check requeue -j JOURNAL
 *       Requeues every dead item; prints "requeued=N".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "aws.h"
#include "checkopt.h"
#include "clock.h"
#include "journal.h"
#include "log.h"

#define ROWS_MAX	2000

/* A numeric option (tests/tools/checkopt.c). */
static long
num(const char *s)
{
	return checkopt_num("deliver_events_check", s, 1);
}

static int
fill(struct journal *j, const char *run, long sessions, long chunks)
{
	struct journal_session_new sn;
	struct journal_chunk c;
	struct journal_complete_result cr;
	struct journal_finalize_result fr;
	char id[128], key[256], mkey[256];
	long s, k;
	int64_t now = clock_wall_ms();

	for (s = 0; s < sessions; s++) {
		snprintf(id, sizeof(id), "session-%lld-%s-%ld",
		    (long long)now, run, s);
		memset(&sn, 0, sizeof(sn));
		sn.id = id;
		sn.owner = "user-1";
		sn.codec = "webm/opus";
		sn.sample_rate = 48000;
		sn.chunk_seconds = 5;
		if (journal_create_session(j, &sn, now, NULL) != ERR_OK)
			return 1;
		for (k = 1; k <= chunks; k++) {
			snprintf(key, sizeof(key),
			    "users/user-1/%s/chunk-%06ld.webm", id, k);
			memset(&c, 0, sizeof(c));
			c.seq = k;
			c.key = key;
			c.t_start_ms = (k - 1) * 5000;
			c.t_end_ms = k * 5000;
			c.bytes = 1000 + k;
			if (journal_complete_chunk(j, "user-1", id, &c, now,
			    &cr) != ERR_OK)
				return 1;
			printf("%s\n", cr.event_id);
		}
		snprintf(mkey, sizeof(mkey), "users/user-1/%s/manifest.json",
		    id);
		if (journal_finalize(j, "user-1", id, chunks * 5000 + 1, mkey,
		    now, &fr) != ERR_OK)
			return 1;
		printf("%s\n", fr.event_id);
	}
	return 0;
}

/* Event rows: *pending not dead, *dead dead. */
static int
count_events(struct journal *j, int64_t *pending, int64_t *dead, int print)
{
	struct journal_outbox_row *rows;
	size_t n = 0, i;

	*pending = *dead = 0;
	if ((rows = calloc(ROWS_MAX, sizeof(*rows))) == NULL)
		return -1;
	if (journal_outbox_list(j, 0, rows, ROWS_MAX, &n) != ERR_OK) {
		free(rows);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (rows[i].kind != JOURNAL_OUTBOX_EVENT)
			continue;
		if (rows[i].dead) {
			(*dead)++;
			if (print)
				printf("dead %s %s\n", rows[i].event_id,
				    rows[i].reason);
		} else
			(*pending)++;
	}
	free(rows);
	return 0;
}

int
main(int argc, char **argv)
{
	struct eventbridge_send_config scfg = { "us-east-1", NULL, 0, 0 };
	struct deliver_events_config dcfg;
	struct deliver_events_stats st;
	struct eventbridge_send *snd = NULL;
	struct awscred_chain *ch = NULL;
	struct journal *j = NULL;
	struct timespec ts = { 0, 100 * 1000000L };
	const char *mode, *path = NULL, *run = "run";
	char owner[64];
	long sessions = 2, chunks = 3, deadline_s = 60;
	int64_t pending, dead, requeued, until;
	int opt, status = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: see tests/tools/deliver_events_check.c\n");
		return 1;
	}
	mode = argv[1];
	memset(&dcfg, 0, sizeof(dcfg));
	snprintf(owner, sizeof(owner), "check:%ld", (long)getpid());
	dcfg.lease_owner = owner;
	dcfg.lease_seconds = 30;
	dcfg.max_attempts = 5;
	dcfg.backoff_base_ms = 100;
	dcfg.backoff_cap_ms = 2000;
	optind = 2;
	while ((opt = getopt(argc, argv, "j:i:s:c:e:r:b:a:w:t:l:T:")) != -1) {
		switch (opt) {
		case 'j':
			path = optarg;
			break;
		case 'i':
			run = optarg;
			break;
		case 's':
			sessions = num(optarg);
			break;
		case 'c':
			chunks = num(optarg);
			break;
		case 'e':
			scfg.endpoint = optarg;
			break;
		case 'r':
			scfg.region = optarg;
			break;
		case 'b':
			dcfg.bus_name = optarg;
			break;
		case 'a':
			dcfg.max_attempts = (int)num(optarg);
			break;
		case 'w':
			dcfg.backoff_base_ms = num(optarg);
			dcfg.backoff_cap_ms = 16 * dcfg.backoff_base_ms;
			break;
		case 't':
			scfg.timeout_ms = num(optarg);
			break;
		case 'l':
			dcfg.lease_seconds = (int)num(optarg);
			break;
		case 'T':
			deadline_s = num(optarg);
			break;
		default:
			return 1;
		}
	}
	log_init("deliver_events_check", LOGL_INFO, 2);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (path == NULL || journal_open(&j, path, 0, 0) != ERR_OK)
		goto out;

	if (strcmp(mode, "fill") == 0) {
		status = fill(j, run, sessions, chunks);
	} else if (strcmp(mode, "dead") == 0) {
		status = count_events(j, &pending, &dead, 1) == 0 ? 0 : 1;
	} else if (strcmp(mode, "requeue") == 0) {
		if (journal_outbox_requeue(j, 0, clock_wall_ms(), &requeued) !=
		    ERR_OK)
			goto out;
		printf("requeued=%lld\n", (long long)requeued);
		status = 0;
	} else if (strcmp(mode, "drain") == 0) {
		if ((snd = eventbridge_send_new(&scfg)) == NULL ||
		    (ch = awscred_chain_new(NULL)) == NULL)
			goto out;
		memset(&st, 0, sizeof(st));
		until = clock_wall_ms() + deadline_s * 1000;
		for (;;) {
			size_t before = st.claimed;

			if (deliver_events_round(j, snd, ch, &dcfg, &st) !=
			    ERR_OK)
				goto out;
			if (st.claimed > before)
				continue;
			if (count_events(j, &pending, &dead, 0) != 0)
				goto out;
			if (pending == 0 || clock_wall_ms() > until)
				break;
			nanosleep(&ts, NULL);	/* backoff or lease pending */
		}
		printf("claimed=%zu sent=%zu retried=%zu dead=%zu pending=%lld "
		    "deadrows=%lld\n", st.claimed, st.sent, st.retried,
		    st.dead, (long long)pending, (long long)dead);
		status = 0;
	} else
		fprintf(stderr, "deliver_events_check: unknown mode %s\n",
		    mode);
out:
	eventbridge_send_free(snd);
	awscred_chain_free(ch);
	journal_close(j);
	curl_global_cleanup();
	return status;
}
