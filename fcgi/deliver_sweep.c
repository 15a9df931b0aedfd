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

#define SWEEP_PREFIX		"users/"
#define SWEEP_RETRY_MS		5000	/* after S3 failed a round */

static int64_t sweep_next_look_ms;	/* this process's next lease try */

/* Judge every object of page; the ones to delete go to del (*ndel), the
 * counts to *r. */
static enum err
deliver_sweep_judge(struct app *app, const struct s3xml_list *page,
    int64_t now, char **del, size_t *ndel, struct journal_sweep_round *r)
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
	*ndel = 0;
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
				del[(*ndel)++] = page->keys[i];
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

/* Delete the n orphans of del; each is logged once S3 has deleted it. */
static enum err
deliver_sweep_delete(struct app *app, const struct s3xml_list *page,
    char **del, size_t n)
{
	char when[40];
	size_t i, k;
	enum err rc;

	if (n == 0)
		return ERR_OK;
	if ((rc = s3_delete_keys(app->s3, del, n)) != ERR_OK)
		return rc;
	for (i = k = 0; i < n; i++) {
		while (k < page->nkeys && page->keys[k] != del[i])
			k++;
		log_info("sweep: deleted orphan %s (%lld bytes, modified %s)",
		    del[i], k < page->nkeys ? (long long)page->sizes[k] : -1LL,
		    k < page->nkeys ? clock_iso8601(page->modified_ms[k], when,
		    sizeof(when)) : "?");
	}
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
	struct s3xml_list page;
	size_t ndel = 0;
	int64_t now;
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
	sweep_next_look_ms = 0;
	memset(&r, 0, sizeof(r));
	memset(&page, 0, sizeof(page));
	rc = s3_list_after(app->s3, SWEEP_PREFIX, after,
	    (int)conf->sweep_page_keys, &page);
	if (rc == ERR_OK)
		rc = deliver_sweep_judge(app, &page, now, del, &ndel, &r);
	if (rc == ERR_OK && ndel > 0)
		rc = deliver_sweep_delete(app, &page, del, ndel);
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
	r.deleted = (int64_t)ndel;
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
