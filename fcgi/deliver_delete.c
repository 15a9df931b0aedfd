/*
 * deliver_delete.c: the delivery loop's share of DELETE /sessions/{id}.
 *
 * The API only records a deletion (journal_delete_session(): the session
 * is marked deleting and a deletions row is added, due now).  Here each
 * due row is claimed with a lease, like an outbox item, and moved through
 * its phases; whatever fails (S3 down, throttled, a key S3 would not
 * delete) is retried with the outbox's backoff, so the deletion finishes
 * once S3 is back, across restarts:
 *
 *   objects  ListObjectsV2 of the session's prefix, DeleteObjects of what
 *            it lists (at most 1000 keys a request, Content-MD5 signed),
 *            again until a listing comes back empty; then the journal
 *            enqueues RecordingDeleted (delivered by the events round);
 *   purge    once the session's outbox rows are gone (its events
 *            delivered), its presigns, chunks and session row are removed:
 *            from then on the API answers 404 for it;
 *   recheck  the tombstone.  An upload URL handed out before the delete
 *            stays valid until it expires, so a PUT may still land after
 *            the objects phase.  When the last such URL has expired (plus
 *            delete_recheck_margin), the prefix is listed and emptied once
 *            more; then the row goes.  No URL for the session can be
 *            issued after the delete, so nothing can land after that.
 *
 * Every listed key is checked to lie under the session's prefix before it
 * is deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "clock.h"
#include "journal.h"
#include "log.h"
#include "s3key.h"
#include "s3xml.h"

#define DELETE_CLAIM_MAX	16
#define DELETE_PAGES_MAX	1000	/* list+delete rounds per attempt */

/* True if a call taking up to timeout_ms may still start under the
 * lease. */
static int
deliver_delete_lease_ok(struct app *app, const struct journal_deletion *d,
    long timeout_ms)
{
	return journal_clock_ms(app->journal) + timeout_ms <
	    d->lease_expires_ms;
}

/*
 * Empty the session's prefix: list, delete what is listed, list again
 * until a listing is empty.  *deleted counts the keys sent for deletion.
 * ERR_OK when the prefix is empty; the S3 error otherwise;
 * ERR_UNAVAILABLE when the lease would run out first.
 */
static enum err
deliver_delete_prefix(struct app *app, const struct journal_deletion *d,
    int64_t *deleted)
{
	struct s3key_parts p;
	struct s3xml_list page;
	char prefix[S3KEY_SIZE];
	size_t plen = 0, i, n;
	int round;
	enum err rc;

	*deleted = 0;
	memset(&p, 0, sizeof(p));
	p.sub = d->owner;
	p.sub_len = strlen(d->owner);
	p.session = d->session_id;
	p.session_len = strlen(d->session_id);
	if (s3key_prefix(&p, prefix, sizeof(prefix), &plen) != ERR_OK) {
		log_error("session %s: cannot build its S3 prefix",
		    d->session_id);
		return ERR_INTERNAL;
	}
	for (round = 0; round < DELETE_PAGES_MAX; round++) {
		/* Two S3 calls follow: both must fit in the lease. */
		if (!deliver_delete_lease_ok(app, d,
		    2 * app->conf->s3_timeout))
			return ERR_UNAVAILABLE;
		if ((rc = s3_list_page(app->s3, prefix, NULL, &page)) != ERR_OK)
			return rc;
		if (page.nkeys == 0) {
			s3xml_list_free(&page);
			return ERR_OK;
		}
		/* Only keys under the prefix; anything else is a broken
		 * answer, not something to delete. */
		for (i = n = 0; i < page.nkeys; i++)
			if (strncmp(page.keys[i], prefix, plen) == 0)
				page.keys[n++] = page.keys[i];
			else {
				log_error("session %s: S3 listed %s outside "
				    "the prefix; not deleted", d->session_id,
				    page.keys[i]);
				free(page.keys[i]);
			}
		page.nkeys = n;
		if (n == 0) {
			s3xml_list_free(&page);
			return ERR_UPSTREAM;
		}
		rc = s3_delete_keys(app->s3, page.keys, n);
		s3xml_list_free(&page);
		if (rc != ERR_OK)
			return rc;
		*deleted += (int64_t)n;
	}
	return ERR_UNAVAILABLE;
}

static void
deliver_delete_failed(struct app *app, const struct journal_deletion *d,
    enum err rc, const char *what)
{
	char why[JOURNAL_REASON_BYTES];
	int64_t now = journal_clock_ms(app->journal);

	snprintf(why, sizeof(why), "%s: %s", what, err_strerror(rc));
	log_warn("deletion of session %s (attempt %d): %s", d->session_id,
	    d->attempts, why);
	(void)journal_deletion_fail(app->journal, d, app->lease_owner,
	    deliver_next_attempt(app->conf, d->attempts, now), why);
}

/* Work one claimed deletion through as many phases as are due. */
static void
deliver_delete_one(struct app *app, struct journal_deletion *d)
{
	int64_t deleted = 0, now;
	int waiting = 0;
	enum err rc;

	switch (d->phase) {
	case JOURNAL_DELETION_OBJECTS:
		if ((rc = deliver_delete_prefix(app, d, &deleted)) != ERR_OK) {
			deliver_delete_failed(app, d, rc, "deleting objects");
			return;
		}
		now = journal_clock_ms(app->journal);
		if ((rc = journal_deletion_objects_done(app->journal, d,
		    deleted, now)) != ERR_OK)
			return;		/* the lease runs out: retried */
		log_info("session %s: %lld object(s) deleted, "
		    "RecordingDeleted queued", d->session_id,
		    (long long)(d->objects_deleted + deleted));
		d->phase = JOURNAL_DELETION_PURGE;
		/* FALLTHROUGH */
	case JOURNAL_DELETION_PURGE:
		now = journal_clock_ms(app->journal);
		rc = journal_deletion_purge(app->journal, d,
		    now + app->conf->deliver_poll, &waiting);
		if (rc == ERR_OK && !waiting)
			log_info("session %s: journal rows removed; late "
			    "uploads looked for after %lld ms", d->session_id,
			    (long long)(d->recheck_ms - now));
		return;
	case JOURNAL_DELETION_RECHECK:
		if ((rc = deliver_delete_prefix(app, d, &deleted)) != ERR_OK) {
			deliver_delete_failed(app, d, rc, "rechecking objects");
			return;
		}
		(void)journal_deletion_done(app->journal, d, deleted);
		return;
	}
}

long
deliver_deletions(struct app *app, int lease_seconds)
{
	struct journal_deletion d[DELETE_CLAIM_MAX];
	size_t n = 0, i;

	if (journal_deletion_claim(app->journal, app->lease_owner,
	    lease_seconds, journal_clock_ms(app->journal), d, DELETE_CLAIM_MAX, &n) != ERR_OK)
		return -1;
	for (i = 0; i < n && !api_sig_term; i++)
		deliver_delete_one(app, &d[i]);
	/* What a SIGTERM left untouched is due again at once. */
	for (; i < n; i++)
		(void)journal_deletion_fail(app->journal, &d[i],
		    app->lease_owner, journal_clock_ms(app->journal), "stopped");
	return (long)n;
}
