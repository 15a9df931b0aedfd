/*
 * deliver_events.c: drain the journal's outbox of events into EventBridge.
 *
 * One round claims due events under a lease, sends them in PutEvents
 * batches (lib/storage/eventbridge_send.c) and writes each outcome back to the
 * journal.  Delivery is at least once: an event whose answer is lost (a
 * timeout after EventBridge took it, a crash between the answer and
 * journal_outbox_done()) is sent again with the same eventId in its
 * Detail, and consumers drop the duplicate.  A 200 with FailedEntryCount >
 * 0 retries only the failed entries; throttling, 5xx and credential
 * problems are retried with jittered exponential backoff until
 * max_attempts; what EventBridge refuses for good is parked dead with the
 * reason, visible to the admin command and requeued by hand.
 *
 * Used by the delivery loop (audio-api --deliver and the --workers extra
 * child) and by the immediate attempt after a commit (session_id set).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "backoff.h"
#include "clock.h"
#include "journal.h"
#include "log.h"

/* Credential-shaped refusals: drop the cached credentials so the next
 * round resolves the chain again (rotated or expired keys). */
static int
deliver_events_cred_error(const char *code)
{
	static const char *const codes[] = { "InvalidSignatureException",
	    "SignatureDoesNotMatch", "ExpiredTokenException", "ExpiredToken",
	    "UnrecognizedClientException", "InvalidClientTokenId",
	    "IncompleteSignatureException", "CredentialsError", NULL };
	size_t i;

	for (i = 0; codes[i] != NULL; i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

/* Record a failed attempt: due again after a backoff, or dead at the
 * limit. */
static enum err
deliver_events_failed(struct journal *j, const struct journal_outbox_item *it,
    const struct deliver_events_config *cfg, const char *reason,
    struct deliver_events_stats *st)
{
	char why[JOURNAL_REASON_BYTES];
	int64_t next;

	if (it->attempts >= cfg->max_attempts) {
		snprintf(why, sizeof(why), "%s (gave up after %d attempts)",
		    reason, it->attempts);
		log_warn("event %s parked dead: %s", it->event_id, why);
		st->dead++;
		return journal_outbox_dead(j, it, cfg->lease_owner, why);
	}
	next = journal_clock_ms(j) + backoff_delay_ms(it->attempts,
	    cfg->backoff_base_ms, cfg->backoff_cap_ms, arc4random());
	st->retried++;
	return journal_outbox_fail(j, it, cfg->lease_owner, next, reason);
}

/* Write one entry's outcome back: sent, parked dead, or failed (retried
 * later; a credentials error also drops the cached credentials). */
static enum err
deliver_events_outcome(struct journal *j, struct awscred_chain *ch,
    const struct deliver_events_config *cfg,
    const struct journal_outbox_item *it, const struct eventbridge_result *r,
    struct deliver_events_stats *stp)
{
	char why[JOURNAL_REASON_BYTES];

	switch (r->outcome) {
	case EVENTBRIDGE_SENT:
		stp->sent++;
		return journal_outbox_done(j, it, journal_clock_ms(j));
	case EVENTBRIDGE_DEAD:
		snprintf(why, sizeof(why), "%s: %s", r->error_code,
		    r->error_message);
		log_warn("event %s parked dead: %s", it->event_id, why);
		stp->dead++;
		return journal_outbox_dead(j, it, cfg->lease_owner, why);
	default:
		if (deliver_events_cred_error(r->error_code))
			awscred_chain_invalidate(ch);
		snprintf(why, sizeof(why), "%s: %s", r->error_code,
		    r->error_message);
		return deliver_events_failed(j, it, cfg, why, stp);
	}
}

enum err
deliver_events_round(struct journal *j, struct eventbridge_send *snd,
    struct awscred_chain *ch, const struct deliver_events_config *cfg,
    struct deliver_events_stats *stp)
{
	struct journal_outbox_item items[DELIVER_EVENTS_CLAIM];
	struct eventbridge_entry ents[DELIVER_EVENTS_CLAIM];
	struct eventbridge_result res[EVENTBRIDGE_BATCH_ENTRIES];
	struct deliver_events_stats dummy;
	struct journal_claim claim;
	struct awscred cred;
	size_t idx[DELIVER_EVENTS_CLAIM], n = 0, m = 0, i, k, used;
	char why[JOURNAL_REASON_BYTES];
	const char *bad;
	int64_t now;
	enum err rc, e;

	memset(&cred, 0, sizeof(cred));
	if (stp == NULL)
		stp = &dummy;
	if ((int64_t)cfg->lease_seconds * 1000 <=
	    eventbridge_send_timeout_ms(snd)) {
		log_error("lease of %d s is not longer than the EventBridge "
		    "timeout (%ld ms): nothing would ever be sent",
		    cfg->lease_seconds, eventbridge_send_timeout_ms(snd));
		return ERR_CONFIG;
	}
	memset(&claim, 0, sizeof(claim));
	claim.lease_owner = cfg->lease_owner;
	claim.lease_seconds = cfg->lease_seconds;
	claim.now_ms = journal_clock_ms(j);
	claim.session_id = cfg->session_id;
	claim.kind = JOURNAL_OUTBOX_EVENT;
	if ((rc = journal_outbox_claim(j, &claim, items, DELIVER_EVENTS_CLAIM,
	    &n)) != ERR_OK || n == 0)
		return rc;
	stp->claimed += n;

	/* What EventBridge could never take is parked before sending. */
	for (i = 0; i < n; i++) {
		struct eventbridge_entry *en = &ents[m];

		memset(en, 0, sizeof(*en));
		en->source = cfg->source;
		en->detail_type = items[i].detail_type;
		en->bus_name = cfg->bus_name;
		en->detail = items[i].payload;
		en->time_s = items[i].created_ms / 1000;
		if (items[i].payload == NULL ||
		    eventbridge_entry_check(en, &bad) != ERR_OK) {
			snprintf(why, sizeof(why), "not sendable: %s",
			    items[i].payload == NULL ? "no Detail" : bad);
			log_error("event %s parked dead: %s",
			    items[i].event_id, why);
			stp->dead++;
			if ((rc = journal_outbox_dead(j, &items[i],
			    cfg->lease_owner, why)) != ERR_OK)
				goto out;
			continue;
		}
		idx[m++] = i;
	}
	if (m == 0)
		goto out;

	if (awscred_chain_get(ch, &cred) != ERR_OK) {
		for (k = 0; k < m; k++)
			if ((rc = deliver_events_failed(j, &items[idx[k]], cfg,
			    "no AWS credentials", stp)) != ERR_OK)
				goto out;
		goto out;
	}

	for (k = 0; k < m; k += used) {
		/* Never start a request that could outlive the lease: another
		 * deliverer may take these events after it. */
		now = journal_clock_ms(j);
		if (now + eventbridge_send_timeout_ms(snd) >=
		    items[idx[k]].lease_expires_ms) {
			log_warn("lease too short for the EventBridge timeout; "
			    "%zu events left for the next round", m - k);
			break;
		}
		if ((rc = eventbridge_send(snd, &cred, &ents[k], m - k, res,
		    &used)) != ERR_OK || used == 0) {
			if (rc == ERR_OK)
				rc = ERR_INTERNAL;
			goto out;
		}
		for (i = 0; i < used; i++) {
			const struct journal_outbox_item *it = &items[idx[k + i]];

			e = deliver_events_outcome(j, ch, cfg, it, &res[i], stp);
			if (e != ERR_OK) {
				rc = e;
				goto out;
			}
		}
	}
out:
	awscred_clear(&cred);
	journal_outbox_items_free(items, n);
	return rc;
}
