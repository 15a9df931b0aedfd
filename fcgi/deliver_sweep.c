/*
 * deliver_sweep.c: the orphan sweep, a share of the delivery loop.
 *
 * Objects can land in the bucket that no session owns: a PUT with a URL
 * handed out before a DELETE that lands after the tombstone's recheck, a
 * chunk uploaded and never completed, anything written under users/
 * behind the API's back.  The sweep walks the bucket's users/ prefix with
 * ListObjectsV2, one page (sweep_page_keys, at most 1000) per round, asks
 * the journal about each object (journal_sweep_lookup()) and judges it
 * (lib/storage/orphan.c): the journal's objects are never deleted; an
 * orphan whose LastModified is sweep_min_age old is deleted (DeleteObjects,
 * each logged), or with `sweep = dry-run` only logged and counted.  A
 * completed chunk whose object no longer has the size or the ETag the
 * journal holds is reported (logged, counted), never deleted.
 *
 * Bounded and resumable: a round's work and memory are one page, whatever
 * the bucket holds.  The journal keeps where the listing resumes (the last
 * key, S3's start-after, which unlike a continuation token does not
 * expire) and the counts, and leases each round to one deliverer as it
 * leases outbox items, so deliverers on several hosts share one walk and
 * a killed one's round is done again once its lease runs out.  Rounds of
 * a pass follow each other a poll apart; a pass starts sweep_interval
 * after the last one ended.  /healthz shows the counts.
 *
 * The window between the judgement and the delete.  A complete (or a
 * client manifest) of an orphan chunk's seq landing after the lookup and
 * before DeleteObjects would make the object known and then lose it.  So
 * the chunks to delete are first claimed (journal_sweep_claim()): in one
 * journal transaction, under each session's lock, the journal is asked
 * again and the chunk's (session, seq) is claimed only if the answer the
 * judgement used still holds; while the claim lives (until the round's
 * lease ends, or until S3 answered the delete) complete, manifest upserts
 * and presign's record of that seq answer 503 busy.  Only claimed chunks
 * are deleted, and only when the delete can end before the lease does;
 * a killed deliverer's claims expire with its lease.  A conditional
 * delete (DeleteObject If-Match the listed ETag) would not close it: a
 * complete that adopts the object as it is (a client that PUT it, lost
 * the URL's time and presigns again without a new PUT) or a PUT of the
 * same bytes leaves the ETag unchanged, and the delete would go through.
 * Objects outside any session, or of a session that is not theirs, need
 * no claim: nothing can make them known.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "clock.h"
#include "journal.h"
#include "log.h"
#include "orphan.h"
#include "s3xml.h"
#include "xalloc.h"

#define SWEEP_PREFIX		"users/"
#define SWEEP_RETRY_MS		5000	/* after S3 failed a round */

static int64_t sweep_next_look_ms;	/* this process's next lease try */

/* An orphan the judgement would delete. */
struct sweep_orphan {
	size_t				 idx;	/* in the page */
	int				 chunk;	/* a chunk of a session */
	char				 session[LIMIT_SESSION_ID_BYTES + 1];
	int64_t				 seq;
	struct journal_sweep_facts	 judged;
};

/* Judge every object of page; the ones to delete go to orph (*norph,
 * room for the page's keys), the counts to *r. */
static enum err
deliver_sweep_judge(struct app *app, const struct s3xml_list *page,
    int64_t now, struct sweep_orphan *orph, size_t *norph,
    struct journal_sweep_round *r)
{
	const struct api_conf *conf = app->conf;
	struct journal_sweep_facts f;
	struct orphan_rules rules;
	struct orphan_object o;
	struct orphan_where w;
	const char *why;
	char when[40];
	size_t i;
	enum err rc;

	memset(&rules, 0, sizeof(rules));
	rules.now_ms = now;
	rules.min_age_ms = conf->sweep_min_age;
	rules.grace_ms = conf->sweep_grace;
	rules.slack_ms = API_PRESIGN_SLACK_MS(conf);
	*norph = 0;
	for (i = 0; i < page->nkeys; i++) {
		o.key = page->keys[i];
		o.size = page->sizes[i];
		o.modified_ms = page->modified_ms[i];
		o.etag = page->etags[i];
		r->listed++;
		/* The listing was asked for users/ only: anything else is
		 * a broken answer, never something to delete. */
		if (strncmp(o.key, SWEEP_PREFIX, strlen(SWEEP_PREFIX)) != 0) {
			log_error("sweep: S3 listed %s outside %s; ignored",
			    o.key, SWEEP_PREFIX);
			continue;
		}
		orphan_where(o.key, &w);
		memset(&f, 0, sizeof(f));
		if (w.ours && (rc = journal_sweep_lookup(app->journal,
		    w.session, w.seq, &f)) != ERR_OK)
			return rc;
		switch (orphan_judge(&o, &w, &f, &rules, &why)) {
		case ORPHAN_MISMATCH:
			r->mismatched++;
			log_warn("sweep: %s: %s: %lld bytes and ETag %s in S3, "
			    "%lld and %s in the journal (kept)", o.key, why,
			    (long long)o.size, o.etag[0] != '\0' ? o.etag :
			    "none", (long long)f.chunk_bytes,
			    f.chunk_etag[0] != '\0' ? f.chunk_etag : "none");
			break;
		case ORPHAN_DELETE:
			r->orphans++;
			if (conf->sweep == API_SWEEP_ON) {
				struct sweep_orphan *so = &orph[(*norph)++];

				so->idx = i;
				so->chunk = w.ours && w.kind == S3KEY_CHUNK &&
				    w.seq >= 1;
				snprintf(so->session, sizeof(so->session),
				    "%s", w.session);
				so->seq = w.seq;
				so->judged = f;
				break;
			}
			log_info("sweep (dry run): would delete %s: %s, %lld "
			    "bytes, modified %s", o.key, why,
			    (long long)o.size, clock_iso8601(o.modified_ms,
			    when, sizeof(when)));
			break;
		case ORPHAN_YOUNG:
			log_debug("sweep: %s: %s, younger than sweep_min_age: "
			    "kept for now", o.key, why);
			break;
		case ORPHAN_KNOWN:
		case ORPHAN_KEEP:
			break;
		}
	}
	return ERR_OK;
}

/*
 * Claim the chunks among the n orphans of orph until until_ms, then delete
 * the claimed ones and the others (del: room for n keys); each is logged
 * once S3 has deleted it, and *deleted counts them.
 */
static enum err
deliver_sweep_delete(struct app *app, const struct s3xml_list *page,
    struct sweep_orphan *orph, size_t n, int64_t until_ms, char **del,
    int64_t *deleted)
{
	const struct api_conf *conf = app->conf;
	struct journal_sweep_pick *picks;
	size_t i, k, np = 0, nd = 0;
	char when[40];
	enum err rc;

	*deleted = 0;
	if (n == 0)
		return ERR_OK;
	picks = xcalloc(n, sizeof(*picks));
	for (i = 0; i < n; i++) {
		if (!orph[i].chunk)
			continue;
		picks[np].session_id = orph[i].session;
		picks[np].seq = orph[i].seq;
		picks[np++].judged = orph[i].judged;
	}
	if ((rc = journal_sweep_claim(app->journal, app->lease_owner,
	    until_ms, picks, np)) != ERR_OK) {
		free(picks);
		return rc;
	}
	for (i = k = 0; i < n; i++) {
		if (orph[i].chunk && !picks[k++].claimed) {
			log_info("sweep: %s: the journal changed since it was "
			    "judged an orphan; kept, judged again next pass",
			    page->keys[orph[i].idx]);
			continue;
		}
		del[nd++] = page->keys[orph[i].idx];
	}
	free(picks);
	/* The claims hold until the lease ends: a delete that could still
	 * be under way then is not started (the next pass finds them). */
	if (journal_clock_ms(app->journal) + conf->s3_timeout +
	    conf->s3_connect_timeout + 1000 >= until_ms) {
		log_warn("sweep: the round's lease is nearly over: %zu "
		    "orphan(s) left for the next pass", nd);
		nd = 0;
	}
	if (nd > 0 && (rc = s3_delete_keys(app->s3, del, nd)) != ERR_OK)
		/* The delete may still land: its claims stay until they
		 * expire with the lease. */
		return rc;
	(void)journal_sweep_unclaim(app->journal, app->lease_owner,
	    journal_clock_ms(app->journal));
	/* del keeps the page's order: one walk of the page finds them. */
	for (i = k = 0; i < nd; i++) {
		while (k < page->nkeys && page->keys[k] != del[i])
			k++;
		log_info("sweep: deleted orphan %s (%lld bytes, modified %s)",
		    del[i], k < page->nkeys ? (long long)page->sizes[k] : -1LL,
		    k < page->nkeys ? clock_iso8601(page->modified_ms[k], when,
		    sizeof(when)) : "?");
	}
	*deleted = (int64_t)nd;
	return ERR_OK;
}

long
deliver_sweep(struct app *app, int lease_seconds)
{
	static char after[LIMIT_S3_KEY_BYTES + 1];
	static char *del[LIMIT_S3_DELETE_BATCH];
	const struct api_conf *conf = app->conf;
	struct journal_sweep_stats st;
	struct journal_sweep_round r;
	struct sweep_orphan *orph = NULL;
	struct s3xml_list page;
	size_t norph = 0;
	int64_t now, until, deleted = 0;
	enum err rc;
	int got = 0;

	if (conf->sweep == API_SWEEP_OFF)
		return 0;
	now = journal_clock_ms(app->journal);
	if (now < sweep_next_look_ms)
		return 0;
	/* One lease try a second at most while another holds the round or
	 * none is due: the try is a write to the journal. */
	sweep_next_look_ms = now + 1000;
	if (journal_sweep_lease(app->journal, app->lease_owner, lease_seconds,
	    now, after, &got) != ERR_OK)
		return -1;
	if (!got)
		return 0;
	until = now + (int64_t)lease_seconds * 1000;
	sweep_next_look_ms = 0;
	memset(&r, 0, sizeof(r));
	memset(&page, 0, sizeof(page));
	rc = s3_list_after(app->s3, SWEEP_PREFIX, after,
	    (int)conf->sweep_page_keys, &page);
	if (rc == ERR_OK && page.nkeys > 0) {
		orph = xcalloc(page.nkeys, sizeof(*orph));
		rc = deliver_sweep_judge(app, &page, now, orph, &norph, &r);
	}
	if (rc == ERR_OK && norph > 0)
		rc = deliver_sweep_delete(app, &page, orph, norph, until, del,
		    &deleted);
	free(orph);
	if (rc != ERR_OK) {
		/* The same page again later; nothing of it is counted. */
		log_warn("sweep: the round after \"%s\" failed (%s); again in "
		    "%d s", after, err_strerror(rc), SWEEP_RETRY_MS / 1000);
		memset(&r, 0, sizeof(r));
		r.start_after = after;
		r.next_round_ms = now + SWEEP_RETRY_MS;
		(void)journal_sweep_save(app->journal, app->lease_owner, &r,
		    journal_clock_ms(app->journal));
		s3xml_list_free(&page);
		return 0;
	}
	r.deleted = deleted;
	r.start_after = page.nkeys > 0 ? page.keys[page.nkeys - 1] : after;
	r.pass_done = !page.truncated;
	now = journal_clock_ms(app->journal);
	r.next_round_ms = r.pass_done ? now + conf->sweep_interval : now;
	rc = journal_sweep_save(app->journal, app->lease_owner, &r, now);
	s3xml_list_free(&page);
	if (rc != ERR_OK)
		return -1;
	if (r.pass_done && journal_sweep_stats(app->journal, &st) == ERR_OK)
		log_info("sweep: pass %lld done in %lld ms: %lld object(s) "
		    "listed, %lld orphan(s)%s, %lld known chunk(s) changed",
		    (long long)st.passes, (long long)(st.last_pass_ms -
		    st.pass_started_ms), (long long)st.last_listed,
		    (long long)st.last_orphans, conf->sweep == API_SWEEP_ON ?
		    " deleted" : " found (dry run: none deleted)",
		    (long long)st.last_mismatched);
	/* Rounds are paced by the loop's poll, not counted as delivered
	 * items: the loop sleeps between them. */
	return 0;
}
