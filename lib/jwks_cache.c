/*
 * jwks_cache.c: when to fetch the JWKS again, and what to keep if it fails.
 *
 * All decisions happen under one mutex, and the fetch runs under it too: a
 * burst of requests with an expired set or an unknown kid then causes one
 * fetch, not one per thread.  In background mode (an event loop that must
 * never wait on the network) lookups only ask for a fetch, and
 * jwks_cache_refresh(), on a thread of its own, fetches without the mutex.  The set handed out is reference counted, so a
 * caller may keep verifying with it after a newer set has replaced it.
 * In the preforked API each worker has its own cache, so the rate limit is
 * per worker.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jwks_cache.h"
#include "jwks_fetch.h"
#include "log.h"

struct jwks_cache {
	char		*url;
	long		 ttl;
	long		 refetch_interval;
	long		 timeout_ms;
	jwks_fetch_fn	 fetch;
	void		*fetch_arg;
	jwks_clock_fn	 clock;
	void		*clock_arg;

	pthread_mutex_t	 lock;
	struct jwks	*set;		/* last good set, or NULL */
	time_t		 fetched_at;	/* when set was fetched */
	int		 tried;		/* any fetch attempted yet */
	time_t		 tried_at;	/* last attempt, good or bad */
	unsigned long	 fetches;
	int		 background;	/* lookups never fetch */
	int		 wanted;	/* a lookup asked for a fetch */
	int		 fetching;	/* jwks_cache_refresh() is at it */

	/* The refresher thread of jwks_cache_start_refresher(). */
	pthread_t	 thread;
	pthread_cond_t	 cond;		/* wanted, or quit */
	int		 thread_started;
	int		 quit;
};

static time_t
jwks_cache_monotonic(void *arg)
{
	(void)arg;
	return clock_mono_ms() / 1000;
}

enum err
jwks_cache_new(const struct jwks_cache_conf *conf, jwks_fetch_fn fetch,
    void *fetch_arg, jwks_clock_fn clock, void *clock_arg,
    struct jwks_cache **out)
{
	struct jwks_cache *c = NULL;

	*out = NULL;
	if (conf->url == NULL || conf->url[0] == '\0' ||
	    strlen(conf->url) > LIMIT_ISSUER_BYTES + 64 ||
	    conf->ttl < LIMIT_JWKS_TTL_MIN || conf->ttl > LIMIT_JWKS_TTL_MAX ||
	    conf->refetch_interval < 1 ||
	    conf->refetch_interval > LIMIT_JWKS_TTL_MAX ||
	    conf->timeout_ms < LIMIT_JWKS_TIMEOUT_MS_MIN ||
	    conf->timeout_ms > LIMIT_JWKS_TIMEOUT_MS_MAX)
		return ERR_INVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->url = strdup(conf->url)) == NULL) {
		free(c);
		return ERR_NOMEM;
	}
	c->ttl = conf->ttl;
	c->refetch_interval = conf->refetch_interval;
	c->timeout_ms = conf->timeout_ms;
	c->fetch = fetch != NULL ? fetch : jwks_fetch_url;
	c->fetch_arg = fetch_arg;
	c->clock = clock != NULL ? clock : jwks_cache_monotonic;
	c->clock_arg = clock_arg;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	*out = c;
	return ERR_OK;
}

void
jwks_cache_free(struct jwks_cache *c)
{
	if (c == NULL)
		return;
	if (c->thread_started) {
		pthread_mutex_lock(&c->lock);
		c->quit = 1;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->thread, NULL);
	}
	jwks_free(c->set);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c->url);
	free(c);
}

/* May we fetch at now?  At most one attempt per refetch_interval. */
static int
jwks_cache_may_fetch(const struct jwks_cache *c, time_t now)
{
	return !c->tried || now < c->tried_at ||
	    now - c->tried_at >= c->refetch_interval;
}

/* Record an attempt (lock held): the rate limit counts from its start. */
static void
jwks_cache_attempt(struct jwks_cache *c, time_t now)
{
	c->tried = 1;
	c->tried_at = now;
	c->fetches++;
}

/*
 * Fetch and parse (no lock needed: only c's constant fields are read).
 * Returns the new set, or NULL (logged).  A document without a single
 * usable key counts as a failure: swapping it in would lock every user
 * out.  have_set only words the log line.
 */
static struct jwks *
jwks_cache_download(struct jwks_cache *c, int have_set)
{
	struct jwks *set = NULL;
	char *body = NULL;
	size_t len = 0;
	enum err rc;

	rc = c->fetch(c->fetch_arg, c->url, c->timeout_ms, LIMIT_JWKS_BYTES,
	    &body, &len);
	if (rc != ERR_OK) {
		log_warn("JWKS fetch from %s failed (%s); %s", c->url,
		    err_strerror(rc), have_set ?
		    "keeping the last good key set" : "no keys yet");
		goto out;
	}
	if ((rc = jwks_parse(body, len, &set)) != ERR_OK) {
		log_warn("JWKS from %s refused (%s); %s", c->url,
		    err_strerror(rc), have_set ?
		    "keeping the last good key set" : "no keys yet");
		goto out;
	}
	if (set->nkeys == 0) {
		log_warn("JWKS from %s has no usable RS256 key (%zu skipped);"
		    " %s", c->url, set->nskipped, have_set ?
		    "keeping the last good key set" : "no keys yet");
		jwks_free(set);
		set = NULL;
		goto out;
	}
	log_info("JWKS from %s: %zu keys (%zu skipped)", c->url, set->nkeys,
	    set->nskipped);
out:
	free(body);
	return set;
}

/* Install a good set fetched at now (lock held). */
static void
jwks_cache_install(struct jwks_cache *c, struct jwks *set, time_t now)
{
	if (set == NULL)
		return;
	jwks_free(c->set);
	c->set = set;
	c->fetched_at = now;
}

/* Fetch inline, under the lock (foreground mode). */
static void
jwks_cache_fetch(struct jwks_cache *c, time_t now)
{
	jwks_cache_attempt(c, now);
	jwks_cache_install(c, jwks_cache_download(c, c->set != NULL), now);
}

/* Ask the refresher for a fetch (lock held, background mode). */
static void
jwks_cache_want(struct jwks_cache *c)
{
	c->wanted = 1;
	pthread_cond_signal(&c->cond);
}

enum err
jwks_cache_get(struct jwks_cache *c, const char *kid, struct jwks **setp,
    const struct jwks_key **keyp)
{
	const struct jwks_key *key = NULL;
	int fetched = 0;
	time_t now;
	enum err rc;

	*setp = NULL;
	*keyp = NULL;
	pthread_mutex_lock(&c->lock);
	now = c->clock(c->clock_arg);
	if ((c->set == NULL || now - c->fetched_at >= c->ttl ||
	    now < c->fetched_at) && jwks_cache_may_fetch(c, now)) {
		/* In background mode a stale set serves until the new one
		 * is in: better than every lookup waiting on the network. */
		if (c->background)
			jwks_cache_want(c);
		else {
			jwks_cache_fetch(c, now);
			fetched = 1;
		}
	}
	rc = ERR_UNAVAILABLE;
	if (c->set == NULL)
		goto out;
	key = jwks_find(c->set, kid);
	if (key == NULL && !fetched && jwks_cache_may_fetch(c, now)) {
		if (c->background) {
			/* Maybe a rotation: ask for the keys, and have the
			 * caller retry (503) rather than refuse it (401). */
			jwks_cache_want(c);
			goto out;
		}
		jwks_cache_fetch(c, now);
		key = jwks_find(c->set, kid);
	}
	rc = ERR_NOT_FOUND;
	if (key == NULL)
		goto out;
	*setp = jwks_ref(c->set);
	*keyp = key;
	rc = ERR_OK;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void
jwks_cache_set_background(struct jwks_cache *c)
{
	pthread_mutex_lock(&c->lock);
	c->background = 1;
	pthread_mutex_unlock(&c->lock);
}

int
jwks_cache_refresh(struct jwks_cache *c)
{
	struct jwks *set;
	time_t now;
	int have;

	pthread_mutex_lock(&c->lock);
	now = c->clock(c->clock_arg);
	if (c->fetching || !jwks_cache_may_fetch(c, now) || (!c->wanted &&
	    c->set != NULL && now - c->fetched_at < c->ttl &&
	    now >= c->fetched_at)) {
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	c->wanted = 0;
	c->fetching = 1;
	jwks_cache_attempt(c, now);
	have = c->set != NULL;
	pthread_mutex_unlock(&c->lock);

	set = jwks_cache_download(c, have);

	pthread_mutex_lock(&c->lock);
	jwks_cache_install(c, set, now);
	c->fetching = 0;
	pthread_mutex_unlock(&c->lock);
	return 1;
}

/* The refresher: fetches at once if there is no set yet, then wakes when
 * asked, and every second to check the TTL. */
static void *
jwks_cache_refresher(void *arg)
{
	struct jwks_cache *c = arg;
	struct timespec ts;

	for (;;) {
		(void)jwks_cache_refresh(c);
		pthread_mutex_lock(&c->lock);
		if (!c->quit && !c->wanted) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			(void)pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		}
		if (c->quit) {
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		pthread_mutex_unlock(&c->lock);
	}
}

enum err
jwks_cache_start_refresher(struct jwks_cache *c)
{
	sigset_t all, old;
	int rc;

	jwks_cache_set_background(c);
	/* The thread inherits a full signal mask: a process's signals (a
	 * worker's SIGTERM/SIGHUP, whose handlers only set flags) must wake
	 * the thread that waits for them, never this one. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&c->thread, NULL, jwks_cache_refresher, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return ERR_INTERNAL;
	c->thread_started = 1;
	return ERR_OK;
}

enum err
jwks_cache_warm(struct jwks_cache *c)
{
	enum err rc;
	time_t now;

	pthread_mutex_lock(&c->lock);
	now = c->clock(c->clock_arg);
	if (c->set == NULL && jwks_cache_may_fetch(c, now))
		jwks_cache_fetch(c, now);
	rc = c->set != NULL ? ERR_OK : ERR_UNAVAILABLE;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

unsigned long
jwks_cache_fetches(const struct jwks_cache *c)
{
	return c->fetches;
}
