/*
 * deliver_manifest.c: write one claimed manifest_write to S3, the job both
 * the delivery loop (deliver.c) and the immediate attempt after a commit
 * (sessions.c) hand here.
 *
 * The claim rendered the session's newest revision; the journal's synced
 * revision keeps an older one from being written after a newer one was
 * recorded.  That is not enough once a write can land late -- a PUT held
 * up in the network past its lease, while another deliverer or another
 * host writes a newer revision -- because S3 applies writes in the order
 * they arrive.  So with manifest_fence on (the default) the PUT is
 * conditional (lib/storage/manifest_fence.h): If-Match the ETag this
 * journal last wrote, If-None-Match: * when it never wrote one.  S3
 * refuses a write whose condition no longer holds (412, or 409 when two
 * conditional writes race), and the late write changes nothing.  After a
 * refusal the manifest is read back:
 *   - S3 holds this revision or a newer one: record that (its ETag, the
 *     synced revision) and stop;
 *   - S3 holds an older manifest or one that is not ours (someone wrote
 *     it behind our back): write again, If-Match its ETag;
 *   - it is gone: write again, If-None-Match: *;
 * at most MANIFEST_FENCE_ROUNDS writes an attempt, each under the lease,
 * then the item is retried later like any failed write.  The ETag each
 * write answers is kept in the journal (journal_manifest_etag_set()), so
 * every host sharing the journal sends the same condition.
 *
 * With manifest_fence off (stores that refuse the headers) the PUT is
 * plain, as before the fence.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "httpbody.h"
#include "journal.h"
#include "log.h"
#include "manifest_fence.h"
#include "s3key.h"
#include "s3meta.h"

/* Conditional PUTs in one attempt: the first, and one after each read
 * back (a writer that loses every race is retried with the backoff). */
#define MANIFEST_FENCE_ROUNDS	3

/* The attempt failed with reason: retry later, or park the item as dead
 * once it has had its attempts (or at once if dead is set). */
static void
deliver_manifest_failed(struct app *app,
    const struct journal_outbox_item *item, const char *reason, int dead)
{
	char why[JOURNAL_REASON_BYTES];
	int64_t now = journal_clock_ms(app->journal);

	if (dead || item->attempts >= app->conf->deliver_max_attempts) {
		snprintf(why, sizeof(why), "%s after %d attempt%s", reason,
		    item->attempts, item->attempts == 1 ? "" : "s");
		log_warn("outbox item %lld (%s manifest) parked as dead: %s",
		    (long long)item->id, item->session_id, why);
		(void)journal_outbox_dead(app->journal, item, app->lease_owner,
		    why);
		return;
	}
	(void)journal_outbox_fail(app->journal, item, app->lease_owner,
	    deliver_next_attempt(app->conf, item->attempts, now), reason);
}

/* Start an S3 call only if it ends under the lease: after it, another
 * holder may write.  Otherwise give the item back, due now. */
static int
deliver_manifest_lease_ok(struct app *app,
    const struct journal_outbox_item *item)
{
	if (journal_clock_ms(app->journal) + app->conf->s3_timeout <
	    item->lease_expires_ms)
		return 1;
	(void)journal_outbox_fail(app->journal, item, app->lease_owner,
	    journal_clock_ms(app->journal), "lease ran out before the write");
	return 0;
}

static void
deliver_manifest_s3_failed(struct app *app,
    const struct journal_outbox_item *item, enum err rc, const char *what)
{
	char why[128];

	snprintf(why, sizeof(why), "S3 %s the manifest %s",
	    rc == ERR_UPSTREAM ? "refused" : "unreachable for", what);
	deliver_manifest_failed(app, item, why, 0);
}

/* Written: keep the ETag S3 answered (fenced), then mark the item done. */
static enum err
deliver_manifest_written(struct app *app,
    const struct journal_outbox_item *item, const char *etag)
{
	if (etag != NULL && manifest_fence_etag_ok(etag))
		(void)journal_manifest_etag_set(app->journal,
		    item->session_id, etag, item->revision);
	else if (etag != NULL)
		log_warn("session %s: S3 answered the manifest write without "
		    "a usable ETag; the next write will be refused once and "
		    "read back", item->session_id);
	return journal_outbox_done(app->journal, item,
	    journal_clock_ms(app->journal));
}

/* S3 already holds s3_rev >= item->revision (with etag): record it as
 * synced, up to the journal's own revision, and write nothing. */
static enum err
deliver_manifest_held(struct app *app, const struct journal_outbox_item *item,
    int64_t s3_rev, const char *etag)
{
	struct journal_outbox_item held = *item;
	struct journal_session s;
	enum err rc;

	log_info("session %s: S3 already holds manifest revision %lld (>= "
	    "%lld); not writing", item->session_id, (long long)s3_rev,
	    (long long)item->revision);
	(void)journal_manifest_etag_set(app->journal, item->session_id, etag,
	    item->revision);
	rc = journal_get_session(app->journal, item->user_id,
	    item->session_id, &s);
	if (rc == ERR_OK)
		held.revision = manifest_fence_synced(s3_rev, item->revision,
		    s.revision);
	else if (rc != ERR_NOT_FOUND) {	/* deleting: nothing more to sync */
		deliver_manifest_failed(app, item, "journal unavailable", 0);
		return rc;
	}
	return journal_outbox_done(app->journal, &held,
	    journal_clock_ms(app->journal));
}

/* The fenced write of item to key (see the top of the file). */
static enum err
deliver_manifest_fenced(struct app *app,
    const struct journal_outbox_item *item, const char *key)
{
	char etag[LIMIT_S3_ETAG_BYTES + 1], got[LIMIT_S3_ETAG_BYTES + 1];
	struct httpbody body;
	struct s3meta meta;
	int64_t s3_rev;
	int round, create;
	enum err rc;

	memset(&body, 0, sizeof(body));
	rc = journal_manifest_etag(app->journal, item->session_id, etag,
	    sizeof(etag));
	if (rc != ERR_OK) {
		deliver_manifest_failed(app, item, rc == ERR_NOT_FOUND ?
		    "session gone" : "journal unavailable", 0);
		return rc;
	}
	create = etag[0] == '\0';
	for (round = 0; ; round++) {
		if (!deliver_manifest_lease_ok(app, item))
			return ERR_UNAVAILABLE;
		rc = s3_put_if(app->s3, key, item->payload, item->payload_len,
		    "application/json", create ? NULL : etag, got, sizeof(got));
		if (rc == ERR_OK)
			return deliver_manifest_written(app, item, got);
		if (rc != ERR_CONFLICT) {
			deliver_manifest_s3_failed(app, item, rc, "write");
			return rc;
		}
		if (round + 1 >= MANIFEST_FENCE_ROUNDS) {
			log_warn("session %s: manifest changed under each of %d "
			    "conditional writes; retrying later",
			    item->session_id, MANIFEST_FENCE_ROUNDS);
			deliver_manifest_failed(app, item, "manifest changed "
			    "under every conditional write", 0);
			return ERR_UNAVAILABLE;
		}
		/* Refused: someone else wrote it.  See what S3 holds now. */
		if (!deliver_manifest_lease_ok(app, item))
			return ERR_UNAVAILABLE;
		memset(&meta, 0, sizeof(meta));
		rc = s3_get(app->s3, key, MANIFEST_FENCE_READ_MAX, &body, &meta);
		if (rc != ERR_OK && rc != ERR_NOT_FOUND) {
			deliver_manifest_s3_failed(app, item, rc, "read back");
			return rc;
		}
		s3_rev = rc == ERR_OK ? manifest_fence_revision(body.data,
		    body.len, item->session_id) : -1;
		httpbody_free(&body);
		if (rc == ERR_OK && !manifest_fence_etag_ok(meta.etag)) {
			deliver_manifest_failed(app, item, "S3 answered the "
			    "manifest read without a usable ETag", 0);
			return ERR_UPSTREAM;
		}
		switch (manifest_fence_next(rc == ERR_OK, s3_rev,
		    item->revision)) {
		case MANIFEST_FENCE_HELD:
			return deliver_manifest_held(app, item, s3_rev,
			    meta.etag);
		case MANIFEST_FENCE_CREATE:
			log_warn("session %s: manifest.json is gone from S3; "
			    "writing it again", item->session_id);
			create = 1;
			break;
		default:
			log_warn("session %s: S3 holds manifest revision %lld, "
			    "not %s; writing revision %lld over it",
			    item->session_id, (long long)s3_rev, etag[0] != '\0'
			    ? "the one this journal last wrote" : "none",
			    (long long)item->revision);
			snprintf(etag, sizeof(etag), "%s", meta.etag);
			create = 0;
			break;
		}
	}
}

enum err
deliver_manifest(struct app *app, const struct journal_outbox_item *item)
{
	struct s3key_parts p;
	char key[S3KEY_SIZE];
	enum err rc;

	if (!deliver_manifest_lease_ok(app, item))
		return ERR_UNAVAILABLE;
	memset(&p, 0, sizeof(p));
	p.sub = item->user_id;
	p.sub_len = strlen(item->user_id);
	p.session = item->session_id;
	p.session_len = strlen(item->session_id);
	if ((rc = s3key_manifest(&p, key, sizeof(key), NULL)) != ERR_OK) {
		deliver_manifest_failed(app, item,
		    "cannot build the manifest key", 1);
		return rc;
	}
	if (app->conf->manifest_fence)
		return deliver_manifest_fenced(app, item, key);
	rc = s3_put(app->s3, key, item->payload, item->payload_len,
	    "application/json");
	if (rc != ERR_OK) {
		deliver_manifest_s3_failed(app, item, rc, "write");
		return rc;
	}
	return deliver_manifest_written(app, item, NULL);
}
