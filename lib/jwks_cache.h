/*
 * jwks_cache.h: the key set a verifier uses, fetched and kept fresh.
 *
 * The cache holds the last good key set and decides when to fetch again:
 *  - no set yet, or the set is older than the TTL: fetch;
 *  - a token names a kid the set does not have: fetch, but at most once per
 *    LIMIT_JWKS_REFETCH_SECONDS (a flood of made-up kids must not become a
 *    flood of requests to the key server);
 *  - a failed fetch (I/O, HTTP error, bad document) keeps the last good set
 *    and is itself rate limited the same way.
 * The fetch and the clock are function pointers so the rules are unit
 * tested without a network or sleeping; jwks_fetch.h is the real fetcher.
 * The cache is safe to share between threads (one lock around decisions
 * and, unless in background mode, fetches).
 */
#ifndef JWKS_CACHE_H
#define JWKS_CACHE_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "jwks.h"

/*
 * Fetch url into a new malloc'd buffer (*body, *len; the caller frees it),
 * giving up after timeout_ms and refusing bodies over max bytes.  Returns
 * ERR_OK, or ERR_UPSTREAM / ERR_UNAVAILABLE / ERR_TOO_LARGE / ERR_NOMEM.
 */
typedef enum err (*jwks_fetch_fn)(void *arg, const char *url,
    long timeout_ms, size_t max, char **body, size_t *len);

/* Seconds on a clock that never goes backwards (CLOCK_MONOTONIC). */
typedef time_t (*jwks_clock_fn)(void *arg);

struct jwks_cache_conf {
	const char	*url;		/* https://, http:// or file:// */
	long		 ttl;		/* seconds a good set is used */
	long		 refetch_interval; /* min seconds between fetches */
	long		 timeout_ms;	/* whole fetch */
};

struct jwks_cache;

/*
 * Create an empty cache; nothing is fetched until the first lookup.
 * fetch/clock may be NULL for jwks_fetch_url() and the monotonic clock.
 * The url is copied.  ERR_INVAL for a missing url or out-of-range numbers
 * (LIMIT_JWKS_TTL_*, LIMIT_JWKS_TIMEOUT_MS_*), ERR_NOMEM.
 */
enum err	 jwks_cache_new(const struct jwks_cache_conf *,
		    jwks_fetch_fn fetch, void *fetch_arg,
		    jwks_clock_fn clock, void *clock_arg,
		    struct jwks_cache **out);
void		 jwks_cache_free(struct jwks_cache *);

/*
 * Find the key for kid, fetching first if the rules above say so.  On ERR_OK
 * *set holds a reference the caller must drop with jwks_free() and *key
 * points into it.  Errors: ERR_NOT_FOUND (the set, fresh or refetched as
 * allowed, has no such kid), ERR_UNAVAILABLE (no good set has ever been
 * fetched).  Fetch failures are logged here, once each.
 */
enum err	 jwks_cache_get(struct jwks_cache *, const char *kid,
		    struct jwks **set, const struct jwks_key **key);

/*
 * Fetch now if there is no good set yet and the rate limit allows, so the
 * first request after start-up (or fork) does not pay for it.  ERR_OK if a
 * good set is held afterwards, else ERR_UNAVAILABLE (already logged).
 */
enum err	 jwks_cache_warm(struct jwks_cache *);

/*
 * Background mode, for an event loop that must never wait on the network:
 * jwks_cache_get() then never fetches.  A stale set keeps serving while a
 * fetch is asked for; with no set yet, or a kid the set lacks while a
 * fetch is allowed, it returns ERR_UNAVAILABLE (retry soon) and asks.
 * jwks_cache_refresh() does the asked-for (or TTL-due) fetch within the
 * same rate limit, without holding the lock while it waits on the network;
 * it returns 1 if it fetched.  jwks_cache_start_refresher() sets the mode
 * and runs jwks_cache_refresh() on a thread of its own, at once (so an
 * empty cache starts fetching without waiting for a lookup) and then as
 * needed; jwks_cache_free() stops it.
 */
void		 jwks_cache_set_background(struct jwks_cache *);
int		 jwks_cache_refresh(struct jwks_cache *);
enum err	 jwks_cache_start_refresher(struct jwks_cache *);

/* Number of fetch attempts so far (tests and metrics). */
unsigned long	 jwks_cache_fetches(const struct jwks_cache *);

#endif /* JWKS_CACHE_H */
