/*
 * tokcache.h: a small per-process cache of tokens already verified.
 *
 * A browser sends the same Cognito token with every request for up to an
 * hour; verifying it (base64, JSON, RSA) is most of the CPU a presign
 * costs.  audio-api keeps the identity of recently verified tokens here and
 * skips the verification on a hit.  A hit needs the exact same token bytes
 * (compared in constant time, the whole token, not a hash), an entry younger
 * than the cache TTL, and a token that has not expired yet (exp is checked
 * again on every lookup).  Entries are direct-mapped by a hash of the token:
 * a collision just evicts.  Only successful verifications are stored.
 *
 * Not thread-safe: one cache per worker process.  No I/O.
 */
#ifndef TOKCACHE_H
#define TOKCACHE_H

#include <stddef.h>
#include <time.h>

#include "cognito.h"
#include "err.h"

#define TOKCACHE_SLOTS_MAX	65536

struct tokcache;

/*
 * A cache of `slots` entries (1..TOKCACHE_SLOTS_MAX) whose entries live at
 * most ttl seconds (>= 1).  ERR_INVAL for bad sizes, ERR_NOMEM.
 */
enum err	tokcache_new(size_t slots, long ttl, struct tokcache **out);
/* Wipes and frees every entry; NULL is a no-op. */
void		tokcache_free(struct tokcache *);

/*
 * If tok[0..len) was stored at most ttl seconds before now and its exp is
 * still after now, copy its identity to *id and return 1; else return 0
 * (a stale entry found on the way is dropped).
 */
int		tokcache_get(struct tokcache *, const char *tok, size_t len,
		    time_t now, struct cognito_identity *id);

/* Remember that tok[0..len) verified as *id at time now.  Tokens over
 * LIMIT_TOKEN_BYTES are not stored.  ERR_NOMEM (the cache stays valid). */
enum err	tokcache_put(struct tokcache *, const char *tok, size_t len,
		    time_t now, const struct cognito_identity *id);

/* Statistics for tests and logs. */
void		tokcache_stats(const struct tokcache *, unsigned long *hits,
		    unsigned long *misses);

#endif /* TOKCACHE_H */
