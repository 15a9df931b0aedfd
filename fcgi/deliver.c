/*
 * deliver.c: the delivery loop of audio-api, which drains the journal's
 * outbox.
 *
 * Every change the API commits carries its work in the outbox: the
 * session's manifest write (one row per session; a claim renders the
 * newest revision, so S3 never goes backwards) and its events
 * (AudioChunkUploaded, RecordingFinalized, each with an eventId fixed at
 * commit).  Right after a commit the worker itself tries the manifest write
 * (sessions.c calls deliver_manifest(), deliver_manifest.c, the same
 * function the loop uses, which fences the write with If-Match);
 * everything else, and everything that failed, is this loop's job:
 *
 *   claim up to deliver_batch due manifest writes with a lease (only one
 *   holder of a live lease per item: many deliverers may run, none
 *   delivers an item another is delivering) and PUT each; then one round
 *   of events through deliver_events_round() (deliver_events.c: PutEvents
 *   requests of up to 10 entries / 256 KB); mark each item done,
 *   or failed with the next attempt after an exponential backoff with
 *   jitter, or dead with the reason once deliver_max_attempts is reached
 *   or EventBridge refuses it for good (4xx validation).  Dead items are
 *   kept and shown by `audio-api --outbox` and /healthz, and requeued by
 *   hand.
 *
 * Delivery is at least once: a deliverer killed after EventBridge accepted
 * a batch but before the journal recorded it sends that batch again once
 * the lease has run out, with the same eventIds, which consumers use to
 * drop duplicates.  A deliverer never starts a call its lease would not
 * outlast.
 *
 * Accepted deletions (DELETE /sessions/{id}) are worked here too, by
 * deliver_delete.c: S3 objects, RecordingDeleted, journal rows, and the
 * tombstone's late look for uploads.  deliver_lifecycle.c finalizes
 * abandoned sessions and deletes the ones past retention_days;
 * deliver_sweep.c walks the bucket for objects no session owns.
 *
 * With `events = discard` events are marked delivered without being sent:
 * a deployment without EventBridge chooses so explicitly in its config.
 *
 * It runs as `audio-api --deliver` (when a web server spawns the workers)
 * or as the master's extra child in --workers mode; signals as in worker.c.
 * Test hook: if $AUDIO_API_FAULT_DIR is set, deliver_fault(point) makes the
 * process _exit(70) the first time it passes a point whose file exists in
 * that directory (the file is removed, so exactly one process dies).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api.h"
#include "aws.h"
#include "backoff.h"
#include "clock.h"
#include "ident.h"
#include "journal.h"
#include "log.h"
#include "uuid.h"

struct deliver {
	struct app		 app;
	struct eventbridge_send	*eb;
	struct awscred_chain	*cred;
	struct journal_outbox_item *items;	/* manifest writes */
	size_t			 nitems;
	int			 lease_seconds;
};

/* ------------------------------------------------------------ test hook */

void
deliver_fault(const char *point)
{
	const char *dir = getenv("AUDIO_API_FAULT_DIR");
	char path[512];
	int n;

	if (dir == NULL || *dir == '\0')
		return;
	n = snprintf(path, sizeof(path), "%s/%s", dir, point);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	if (unlink(path) == 0) {
		log_warn("fault hook %s: exiting now", point);
		_exit(70);
	}
}

/* -------------------------------------------------------------- helpers */

int64_t
deliver_next_attempt(const struct api_conf *conf, int attempts,
    int64_t now_ms)
{
	uint32_t rnd = 0;

	(void)uuid_random(&rnd, sizeof(rnd));
	return now_ms + backoff_delay_ms(attempts, conf->deliver_backoff_base,
	    conf->deliver_backoff_max, rnd);
}

/* --------------------------------------------------------------- events */

void
deliver_eventbridge_conf(const struct api_conf *conf,
    struct eventbridge_send_config *ec)
{
	memset(ec, 0, sizeof(*ec));
	ec->region = conf->events_region[0] != '\0' ? conf->events_region :
	    conf->s3_region;
	ec->endpoint = conf->events_endpoint;
	ec->connect_timeout_ms = (long)conf->s3_connect_timeout;
	ec->timeout_ms = (long)conf->events_timeout;
}

/* Credentials for EventBridge: the config's S3 key pair if it has one (the
 * AWS_* variables override it there), else the standard chain. */
static struct awscred_chain *
deliver_chain(const struct api_conf *conf)
{
	struct awscred_chain_config cc;
	struct awscred fixed;
	struct awscred_chain *ch;
	int have;

	memset(&cc, 0, sizeof(cc));
	memset(&fixed, 0, sizeof(fixed));
	have = conf->s3_access_key_id != NULL &&
	    conf->s3_access_key_id[0] != '\0' &&
	    conf->s3_secret_access_key != NULL &&
	    conf->s3_secret_access_key[0] != '\0' &&
	    awscred_set(&fixed, conf->s3_access_key_id,
	    conf->s3_secret_access_key, conf->s3_session_token, 0,
	    AWSCRED_SOURCE_CONFIG) == ERR_OK;
	if (have)
		cc.fixed = &fixed;
	ch = awscred_chain_new(&cc);
	awscred_clear(&fixed);
	return ch;
}

/* One round of events: deliver_events.c sends them (PutEvents batches,
 * only failed entries retried, 4xx parked dead); with events = discard
 * they are claimed and marked delivered without being sent.  Returns the
 * number claimed, or -1 if the journal is unavailable. */
/* Claim one round (up to d->nitems) of due outbox items of kind into
 * d->items, leased to this process. */
static enum err
deliver_claim(struct deliver *d, enum journal_outbox_kind kind, size_t *n)
{
	struct journal_claim cl;

	memset(&cl, 0, sizeof(cl));
	cl.lease_owner = d->app.lease_owner;
	cl.lease_seconds = d->lease_seconds;
	cl.now_ms = journal_clock_ms(d->app.journal);
	cl.kind = kind;
	memset(d->items, 0, d->nitems * sizeof(*d->items));
	return journal_outbox_claim(d->app.journal, &cl, d->items, d->nitems,
	    n);
}

static long
deliver_events(struct deliver *d)
{
	struct app *app = &d->app;
	struct api_conf *conf = app->conf;
	struct deliver_events_config ec;
	struct deliver_events_stats st;
	size_t n = 0, i;

	if (conf->events == API_EVENTS_DISCARD) {
		if (deliver_claim(d, JOURNAL_OUTBOX_EVENT, &n) != ERR_OK)
			return -1;
		for (i = 0; i < n; i++) {
			log_debug("event %s discarded (events = discard)",
			    d->items[i].event_id);
			(void)journal_outbox_done(app->journal, &d->items[i],
			    journal_clock_ms(app->journal));
		}
		journal_outbox_items_free(d->items, n);
		return (long)n;
	}
	memset(&ec, 0, sizeof(ec));
	memset(&st, 0, sizeof(st));
	ec.source = conf->events_source;
	ec.bus_name = conf->events_bus;
	ec.lease_owner = app->lease_owner;
	ec.lease_seconds = d->lease_seconds;
	ec.max_attempts = (int)conf->deliver_max_attempts;
	ec.backoff_base_ms = conf->deliver_backoff_base;
	ec.backoff_cap_ms = conf->deliver_backoff_max;
	if (deliver_events_round(app->journal, d->eb, d->cred, &ec, &st) !=
	    ERR_OK)
		return -1;
	return (long)st.claimed;
}

/* ----------------------------------------------------------------- loop */

/* Claim one round of due manifest writes and write them, then one round
 * of events.  Returns how many items were claimed (0: nothing due), or -1
 * if the journal is unavailable. */
static long
deliver_round(struct deliver *d)
{
	struct app *app = &d->app;
	size_t n = 0, i;
	long events, deletions, aborts, resolved, purged, lifecycle;

	if ((app->journal = app_journal(app)) == NULL)
		return -1;
	if (deliver_claim(d, JOURNAL_OUTBOX_MANIFEST_WRITE, &n) != ERR_OK)
		return -1;
	for (i = 0; i < n && !api_sig_term; i++)
		(void)deliver_manifest(app, &d->items[i]);
	/* Writes a SIGTERM left untouched go back to the queue at once. */
	for (; i < n; i++)
		(void)journal_outbox_fail(app->journal, &d->items[i],
		    app->lease_owner, journal_clock_ms(app->journal), "stopped");
	journal_outbox_items_free(d->items, n);
	if (api_sig_term)
		return (long)n;
	if ((events = deliver_events(d)) < 0)
		return -1;
	if (api_sig_term)
		return (long)n + events;
	/* Deletions last: their RecordingDeleted goes out next round. */
	if ((deletions = deliver_deletions(app, d->lease_seconds)) < 0)
		return -1;
	if (api_sig_term)
		return (long)n + events + deletions;
	/* Multipart uploads that can no longer be completed, those whose
	 * presign died before recording them (multipart.c), and the rows of
	 * those finished long ago. */
	if ((aborts = multipart_abort_due(app)) < 0 ||
	    (resolved = multipart_resolve_due(app)) < 0 ||
	    (purged = multipart_purge(app)) < 0)
		return -1;
	/* Abandoned sessions and retention: their events and manifest
	 * writes, and the deletions they accept, go out next round. */
	if ((lifecycle = deliver_lifecycle(app)) < 0)
		return -1;
	if (!api_sig_term && deliver_sweep(app, d->lease_seconds) < 0)
		return -1;
	return (long)n + events + deletions + aborts + resolved + purged +
	    lifecycle;
}

/* Sleep ms unless a signal arrives. */
static void
deliver_sleep(const sigset_t *waitmask, int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	(void)ppoll(NULL, 0, &ts, waitmask);
}

static void
deliver_close(struct deliver *d)
{
	eventbridge_send_free(d->eb);
	d->eb = NULL;
	awscred_chain_free(d->cred);
	d->cred = NULL;
	free(d->items);
	d->items = NULL;
	app_close(&d->app);
}

static enum err
deliver_open(struct deliver *d, struct api_conf *conf)
{
	struct eventbridge_send_config ec;
	long slowest;
	enum err rc;

	memset(d, 0, sizeof(*d));
	if ((rc = app_open(&d->app, conf)) != ERR_OK)
		goto fail;
	d->nitems = (size_t)conf->deliver_batch;
	if ((d->items = calloc(d->nitems, sizeof(*d->items))) == NULL) {
		rc = ERR_NOMEM;
		goto fail;
	}
	/* The slowest single call: an S3 PUT or a PutEvents request, each
	 * with its connect timeout. */
	slowest = (long)(conf->s3_timeout > conf->events_timeout ?
	    conf->s3_timeout : conf->events_timeout) +
	    (long)conf->s3_connect_timeout;
	d->lease_seconds = (int)((conf->deliver_lease + 999) / 1000);
	if ((int64_t)d->lease_seconds * 1000 < slowest + 2000) {
		d->lease_seconds = (int)((slowest + 2000 + 999) / 1000);
		log_warn("deliver_lease raised to %d s, above the slowest "
		    "call's timeout", d->lease_seconds);
	}
	if (conf->events == API_EVENTS_EVENTBRIDGE) {
		deliver_eventbridge_conf(conf, &ec);
		if ((d->eb = eventbridge_send_new(&ec)) == NULL ||
		    (d->cred = deliver_chain(conf)) == NULL) {
			rc = ERR_CONFIG;
			goto fail;
		}
		log_info("delivering events to EventBridge %s (bus %s)",
		    ec.endpoint[0] != '\0' ? ec.endpoint : ec.region,
		    conf->events_bus[0] != '\0' ? conf->events_bus :
		    "default");
	} else
		log_warn("events = discard: events are marked delivered "
		    "without being sent");
	return ERR_OK;
fail:
	deliver_close(d);
	return rc;
}

/* api_conf_reload()'s view of the delivery loop. */
static void
deliver_close_cb(void *arg)
{
	deliver_close(arg);
}

static enum err
deliver_open_cb(void *arg, struct api_conf *conf)
{
	return deliver_open(arg, conf);
}

int
deliver_run(const char *conf_path, struct api_conf *conf)
{
	struct deliver d;
	sigset_t waitmask;
	long got;
	int status = 1;
	int64_t delivered = 0;

	memset(&d, 0, sizeof(d));
	/* ps and pgrep tell the deliverer from the workers by this name. */
	(void)prctl(PR_SET_NAME, "audio-deliver");
	worker_signals(&waitmask);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (deliver_open(&d, conf) != ERR_OK)
		goto out;
	log_info("delivery loop ready (lease %d s, batch %zu)",
	    d.lease_seconds, d.nitems);
	while (!api_sig_term) {
		if (api_sig_hup) {
			api_sig_hup = 0;
			api_conf_reload(conf, conf_path, deliver_close_cb,
			    deliver_open_cb, &d, "the delivery loop");
			continue;
		}
		if (d.items == NULL) {		/* a failed reload */
			deliver_sleep(&waitmask, 1000);
			if (deliver_open(&d, conf) != ERR_OK)
				continue;
		}
		got = deliver_round(&d);
		if (got > 0) {
			delivered += got;
			continue;
		}
		deliver_sleep(&waitmask, got < 0 ? 1000 : conf->deliver_poll);
	}
	status = 0;
	log_info("delivery loop stopping after %lld items",
	    (long long)delivered);
out:
	deliver_close(&d);
	curl_global_cleanup();
	return status;
}
