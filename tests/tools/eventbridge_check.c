/*
 * eventbridge_check.c: drive lib/storage/eventbridge_send.c from
 * tests/integration/eventbridge.test, the way the delivery loop will.
 *
 *   eventbridge_check -e ENDPOINT [-r REGION] [-n COUNT] [-b BUS]
 *       [-a MAX_ATTEMPTS] [-w BASE_MS] [-t TIMEOUT_MS] [-i RUN]
 *       [-x BAD_INDEX] [-s PAD_BYTES]
 *
 * Makes COUNT AudioChunkUploaded events (Detail from lib/storage/manifest.c, with
 * eventId RUN-<i>), credentials from the chain, and delivers them: each
 * round sends the due items in batches; SENT items are done, RETRY items
 * wait backoff_delay_ms() and go again until MAX_ATTEMPTS, DEAD items are
 * parked with their reason.  An item whose Detail fails
 * eventbridge_entry_check() is parked before it is sent (-x makes item
 * BAD_INDEX so).  -s pads every Detail with a "pad" string of PAD_BYTES to
 * exercise the 256 KB batching.  Prints one line per item and a summary:
 *   event=RUN-3 state=sent attempts=2 reason=-
 *   summary sent=24 dead=1 requests=3
 * Exit 0 when it ran (whatever the outcomes), 1 on a setup failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "aws.h"
#include "checkopt.h"
#include "backoff.h"
#include "clock.h"
#include "log.h"
#include "manifest.h"

/* A numeric option (tests/tools/checkopt.c). */
static long
num(const char *s)
{
	return checkopt_num("eventbridge_check", s, 1);
}

enum item_state { ITEM_PENDING, ITEM_SENT, ITEM_DEAD };

struct item {
	char		 event_id[64];
	char		*detail;
	enum item_state	 state;
	int		 attempts;
	int64_t		 next_ms;
	char		 reason[EVENTBRIDGE_CODE_MAX + EVENTBRIDGE_MESSAGE_MAX + 64];
};

static void
pause_ms(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* Detail of item i, from the real renderer, optionally padded. */
static char *
make_detail(const char *run, long i, long pad, int bad)
{
	struct manifest_chunk_event ev;
	char key[128], id[64], *d = NULL, *p;
	size_t len;

	if (bad)
		return strdup("{\"eventId\": not json}");
	snprintf(id, sizeof(id), "%s-%ld", run, i);
	snprintf(key, sizeof(key), "users/u-1/s-%s/chunk-%06ld.webm", run, i);
	memset(&ev, 0, sizeof(ev));
	ev.user_id = "u-1";
	ev.session_id = run;
	ev.chunk_seq = i + 1;
	ev.chunk_key = key;
	ev.bytes = 1000 + i;
	ev.timestamp_ms = clock_wall_ms();
	ev.event_id = id;
	if (manifest_render_chunk_event(&ev, &d, &len) != ERR_OK)
		return NULL;
	if (pad <= 0)
		return d;
	/* {...} -> {...,"pad":"xxxx"} */
	if ((p = malloc(len + (size_t)pad + 16)) == NULL) {
		free(d);
		return NULL;
	}
	memcpy(p, d, len - 1);
	memcpy(p + len - 1, ",\"pad\":\"", 8);
	memset(p + len - 1 + 8, 'x', (size_t)pad);
	memcpy(p + len - 1 + 8 + pad, "\"}", 3);
	free(d);
	return p;
}

int
main(int argc, char **argv)
{
	struct eventbridge_send_config scfg = { "us-east-1", NULL, 0, 0 };
	struct eventbridge_send *snd = NULL;
	struct awscred_chain *ch = NULL;
	struct eventbridge_entry ents[64];
	struct eventbridge_result res[EVENTBRIDGE_BATCH_ENTRIES];
	struct awscred cred;
	struct item *items = NULL;
	size_t idx[64], m, used, j;
	const char *run = "run", *bus = NULL, *why;
	long n = 10, max_attempts = 5, base_ms = 100, bad = -1, pad = 0, i;
	long requests = 0, sent = 0, dead = 0;
	int64_t t, wait, deadline;
	int opt, status = 1;

	while ((opt = getopt(argc, argv, "e:r:n:b:a:w:t:i:x:s:")) != -1) {
		switch (opt) {
		case 'e':
			scfg.endpoint = optarg;
			break;
		case 'r':
			scfg.region = optarg;
			break;
		case 'n':
			n = num(optarg);
			break;
		case 'b':
			bus = optarg;
			break;
		case 'a':
			max_attempts = num(optarg);
			break;
		case 'w':
			base_ms = num(optarg);
			break;
		case 't':
			scfg.timeout_ms = num(optarg);
			break;
		case 'i':
			run = optarg;
			break;
		case 'x':
			bad = num(optarg);
			break;
		case 's':
			pad = num(optarg);
			break;
		default:
			fprintf(stderr, "usage: see tests/tools/eventbridge_check.c\n");
			return 1;
		}
	}
	log_init("eventbridge_check", LOGL_INFO, 2);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((snd = eventbridge_send_new(&scfg)) == NULL ||
	    (ch = awscred_chain_new(NULL)) == NULL ||
	    (items = calloc((size_t)n + 1, sizeof(*items))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		snprintf(items[i].event_id, sizeof(items[i].event_id), "%s-%ld",
		    run, i);
		if ((items[i].detail = make_detail(run, i, pad, i == bad)) ==
		    NULL)
			goto out;
		snprintf(items[i].reason, sizeof(items[i].reason), "-");
	}

	deadline = clock_wall_ms() + 60000;
	for (;;) {
		t = clock_wall_ms();
		if (t > deadline) {
			fprintf(stderr, "eventbridge_check: gave up at the "
			    "deadline\n");
			break;
		}
		/* Gather due items in order; park those that can never go. */
		m = 0;
		wait = -1;
		for (i = 0; i < n && m < sizeof(ents) / sizeof(ents[0]); i++) {
			struct eventbridge_entry *e = &ents[m];

			if (items[i].state != ITEM_PENDING)
				continue;
			if (items[i].next_ms > t) {
				if (wait < 0 || items[i].next_ms - t < wait)
					wait = items[i].next_ms - t;
				continue;
			}
			memset(e, 0, sizeof(*e));
			e->detail_type = EVENTBRIDGE_TYPE_CHUNK;
			e->bus_name = bus;
			e->detail = items[i].detail;
			e->time_s = t / 1000;
			if (eventbridge_entry_check(e, &why) != ERR_OK) {
				items[i].state = ITEM_DEAD;
				snprintf(items[i].reason,
				    sizeof(items[i].reason), "local: %s", why);
				continue;
			}
			idx[m++] = (size_t)i;
		}
		if (m == 0) {
			if (wait < 0)
				break;		/* nothing pending */
			pause_ms(wait);
			continue;
		}
		if (awscred_chain_get(ch, &cred) != ERR_OK)
			goto out;
		/* Send the due items in as many requests as they need. */
		for (j = 0; j < m; j += used) {
			size_t k;

			if (eventbridge_send(snd, &cred, &ents[j], m - j, res,
			    &used) != ERR_OK || used == 0)
				goto out;
			requests++;
			t = clock_wall_ms();
			for (k = 0; k < used; k++) {
				struct item *it = &items[idx[j + k]];

				it->attempts++;
				if (res[k].outcome == EVENTBRIDGE_SENT) {
					it->state = ITEM_SENT;
					continue;
				}
				snprintf(it->reason, sizeof(it->reason),
				    "%s: %s", res[k].error_code,
				    res[k].error_message);
				if (res[k].outcome == EVENTBRIDGE_DEAD ||
				    it->attempts >= max_attempts)
					it->state = ITEM_DEAD;
				else
					/* rnd 0: no jitter, so the items
					 * of one round stay together and the
					 * test can count requests. */
					it->next_ms = t +
					    backoff_delay_ms(it->attempts,
					    base_ms, base_ms * 16, 0);
			}
		}
		awscred_clear(&cred);
	}
	for (i = 0; i < n; i++) {
		if (items[i].state == ITEM_SENT)
			sent++;
		else if (items[i].state == ITEM_DEAD)
			dead++;
		printf("event=%s state=%s attempts=%d reason=%s\n",
		    items[i].event_id, items[i].state == ITEM_SENT ? "sent" :
		    items[i].state == ITEM_DEAD ? "dead" : "pending",
		    items[i].attempts, items[i].reason);
	}
	printf("summary sent=%ld dead=%ld requests=%ld\n", sent, dead,
	    requests);
	status = 0;
out:
	if (items != NULL)
		for (i = 0; i < n; i++)
			free(items[i].detail);
	free(items);
	awscred_clear(&cred);
	awscred_chain_free(ch);
	eventbridge_send_free(snd);
	curl_global_cleanup();
	return status;
}
