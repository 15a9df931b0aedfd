/*
 * tokcache.c: direct-mapped cache of verified tokens (see tokcache.h).
 *
 * The slot is chosen by a hash of the token; the stored copy of the whole
 * token is compared in constant time (tokcache_equal) so that probing the
 * cache with forged tokens tells nothing about the bytes of a cached one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "limit.h"
#include "tokcache.h"

struct tokcache_entry {
	char			*tok;		/* NULL: empty */
	size_t			 len;
	uint64_t		 hash;
	time_t			 stored;
	struct cognito_identity	 id;
};

struct tokcache {
	struct tokcache_entry	*slots;
	size_t			 n;
	long			 ttl;
	unsigned long		 hits;
	unsigned long		 misses;
};

/*
 * Eight bytes per step, each folded in with a multiply and a shift: a
 * token is about a kilobyte and is hashed on every request, and FNV-1a's
 * byte-by-byte chain of multiplies took as long as the rest of the lookup.
 * Only the slot depends on it (the whole token is compared).
 */
static uint64_t
tokcache_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ len, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, s + i, len - i);
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

/*
 * Constant-time equality of two buffers of len bytes, eight bytes a step:
 * the differences are OR-ed together and looked at once, at the end, so
 * the time depends on len alone.  CRYPTO_memcmp goes a byte at a time,
 * which on a kilobyte token was 3% of a presign's instructions.
 */
static int
tokcache_equal(const char *a, const char *b, size_t len)
{
	uint64_t x, y, diff = 0;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		diff |= x ^ y;
	}
	for (; i < len; i++)
		diff |= (uint64_t)((unsigned char)a[i] ^ (unsigned char)b[i]);
	return diff == 0;
}

static void
tokcache_drop(struct tokcache_entry *e)
{
	if (e->tok != NULL) {
		OPENSSL_cleanse(e->tok, e->len);
		free(e->tok);
	}
	OPENSSL_cleanse(e, sizeof(*e));
	e->tok = NULL;
}

enum err
tokcache_new(size_t slots, long ttl, struct tokcache **out)
{
	struct tokcache *c;

	*out = NULL;
	if (slots < 1 || slots > TOKCACHE_SLOTS_MAX || ttl < 1)
		return ERR_INVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ERR_NOMEM;
	if ((c->slots = calloc(slots, sizeof(*c->slots))) == NULL) {
		free(c);
		return ERR_NOMEM;
	}
	c->n = slots;
	c->ttl = ttl;
	*out = c;
	return ERR_OK;
}

void
tokcache_free(struct tokcache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		tokcache_drop(&c->slots[i]);
	free(c->slots);
	free(c);
}

int
tokcache_get(struct tokcache *c, const char *tok, size_t len, time_t now,
    struct cognito_identity *id)
{
	struct tokcache_entry *e;
	uint64_t h;

	if (c == NULL || tok == NULL || len == 0 || len > LIMIT_TOKEN_BYTES)
		return 0;
	h = tokcache_hash(tok, len);
	e = &c->slots[h % c->n];
	if (e->tok == NULL || e->len != len || e->hash != h ||
	    !tokcache_equal(e->tok, tok, len)) {
		c->misses++;
		return 0;
	}
	if (now < e->stored || now - e->stored >= c->ttl ||
	    (long long)now >= e->id.exp) {
		tokcache_drop(e);
		c->misses++;
		return 0;
	}
	*id = e->id;
	c->hits++;
	return 1;
}

enum err
tokcache_put(struct tokcache *c, const char *tok, size_t len, time_t now,
    const struct cognito_identity *id)
{
	struct tokcache_entry *e;
	uint64_t h;
	char *copy;

	if (c == NULL || tok == NULL || len == 0 || len > LIMIT_TOKEN_BYTES)
		return ERR_OK;
	if ((copy = malloc(len)) == NULL)
		return ERR_NOMEM;
	memcpy(copy, tok, len);
	h = tokcache_hash(tok, len);
	e = &c->slots[h % c->n];
	tokcache_drop(e);
	e->tok = copy;
	e->len = len;
	e->hash = h;
	e->stored = now;
	e->id = *id;
	return ERR_OK;
}

void
tokcache_stats(const struct tokcache *c, unsigned long *hits,
    unsigned long *misses)
{
	*hits = c != NULL ? c->hits : 0;
	*misses = c != NULL ? c->misses : 0;
}
