/*
 * deliver_lifecycle.c: the delivery loop's share of the sessions' life
 * that no client asks for.
 *
 *   abandoned  an open session with no change and no upload URL issued
 *              for session_max_open (a recorder that crashed, a tab
 *              closed mid-recording) is finalized by the server: the
 *              journal seals it with final_reason "abandoned" in one
 *              transaction with its RecordingFinalized event (reason
 *              "abandoned") and its final manifest write, both delivered
 *              by the outbox like a client's finalize;
 *   retention  with retention_days set, sessions created before that are
 *              deleted exactly as DELETE /sessions/{id} deletes them
 *              (journal_delete_session(): objects, RecordingDeleted,
 *              journal rows, the tombstone), by deliver_delete.c.
 *
 * Both run every lifecycle_interval, in bounded batches (a round seals
 * and deletes at most LIFECYCLE_BATCH sessions; a backlog is worked off
 * one round after another).  Several deliverers, on several hosts, are
 * safe: the journal re-reads each session under its lock before sealing
 * it (PostgreSQL skips the ones another deliverer holds), and a repeated
 * delete answers as the first.
 *
 * The seal also makes the session's unfinished multipart uploads due for
 * their abort, in its own transaction (journal_abandon_idle()): a
 * deliverer killed right after the commit leaves nothing unscheduled, and
 * multipart_abort_due() aborts them.  deliver_session_abandoned() is the
 * one place that learns of each session the server finalized; what else
 * an abandoned session needs hooks in there.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "journal.h"
#include "log.h"

#define LIFECYCLE_BATCH		32
#define DAY_MS			(86400LL * 1000)

static int64_t lifecycle_next_ms;	/* this process's next look */

void
deliver_session_abandoned(struct app *app,
    const struct journal_abandoned *a)
{
	(void)app;
	log_info("session %s of %s: finalized as abandoned (%lld chunk(s), "
	    "RecordingFinalized %s queued, %lld multipart upload(s) to be "
	    "aborted)", a->session_id, a->owner, (long long)a->chunk_count,
	    a->event_id, (long long)a->mpu_aborts);
}

/* Seal one batch of abandoned sessions; -1 if the journal failed. */
static long
deliver_abandon(struct app *app, int64_t now)
{
	struct journal_abandoned a[LIFECYCLE_BATCH];
	const struct api_conf *conf = app->conf;
	size_t n = 0, i;

	if (conf->session_max_open <= 0)
		return 0;
	if (journal_abandon_idle(app->journal, now - conf->session_max_open,
	    conf->presign_expires, now, a, LIFECYCLE_BATCH, &n) != ERR_OK)
		return -1;
	/* Test hook: a deliverer killed right after the seal committed. */
	if (n > 0)
		deliver_fault("after-abandon");
	for (i = 0; i < n; i++)
		deliver_session_abandoned(app, &a[i]);
	return (long)n;
}

/* Accept the deletion of one batch of sessions past retention. */
static long
deliver_retention(struct app *app, int64_t now)
{
	struct journal_session_ref s[LIFECYCLE_BATCH];
	struct journal_delete_result d;
	const struct api_conf *conf = app->conf;
	size_t n = 0, i;
	long done = 0;

	if (conf->retention_days <= 0)
		return 0;
	if (journal_retention_due(app->journal, now - conf->retention_days *
	    DAY_MS, s, LIFECYCLE_BATCH, &n) != ERR_OK)
		return -1;
	for (i = 0; i < n && !api_sig_term; i++) {
		if (journal_delete_session(app->journal, s[i].owner,
		    s[i].session_id, conf->presign_expires,
		    API_PRESIGN_SLACK_MS(conf), conf->delete_recheck_margin,
		    journal_clock_ms(app->journal), &d) != ERR_OK)
			return -1;
		if (!d.replayed) {
			log_info("session %s of %s: older than retention_days "
			    "(%lld): deletion accepted", s[i].session_id,
			    s[i].owner, (long long)conf->retention_days);
			done++;
		}
	}
	return done;
}

long
deliver_lifecycle(struct app *app)
{
	int64_t now = journal_clock_ms(app->journal);
	long a, r;

	if (now < lifecycle_next_ms)
		return 0;
	if ((a = deliver_abandon(app, now)) < 0 ||
	    (r = deliver_retention(app, now)) < 0) {
		lifecycle_next_ms = now + 1000;
		return -1;
	}
	/* A full batch: more are waiting, look again next round. */
	if (a < LIFECYCLE_BATCH && r < LIFECYCLE_BATCH)
		lifecycle_next_ms = now + app->conf->lifecycle_interval;
	return a + r;
}
