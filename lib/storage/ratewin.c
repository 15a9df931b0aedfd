/*
 * ratewin.c: shared hit counters per key and fixed window (see ratewin.h).
 *
 * Every word of the table is read and written with C11 atomics, so the
 * processes that share it need no lock, and a process killed at any point
 * leaves the table consistent.  A key's hits are counted in exactly one
 * slot: a hit first looks for the slot that already holds its key among
 * its RATEWIN_PROBES candidates and only then claims a free one, in the
 * same order in every process, so two processes that see a key for the
 * first time at the same moment race for the same slot and the loser of
 * the compare-and-swap finds the winner's key there.  The one inexactness
 * left: a process that read a stale slot's old key just before another
 * took the slot over may add its hit to the new key's count (one hit, once,
 * and only towards refusing early, never towards letting more through).
 *
 * The keys are session ids that audio-api made itself (never chosen by a
 * client), so a keyed FNV-1a with a strong final mix spreads them well
 * enough; the key (seed) is per table, so the layout is not predictable
 * from outside either.
 */
#include <stdatomic.h>
#include <string.h>

#include "ratewin.h"

#define RATEWIN_MAGIC	UINT64_C(0x72617465776e3031)	/* "ratewn01" */

struct ratewin_slot {
	_Atomic uint64_t	key;	/* hash of the key, never 0; 0: free */
	_Atomic uint64_t	win;	/* window << 32 | hits in it */
};

struct ratewin {
	_Atomic uint64_t	magic;
	_Atomic uint64_t	seed;
	uint64_t		pad[6];	/* the header is 64 bytes */
	struct ratewin_slot	slot[RATEWIN_SLOTS];
};

_Static_assert(sizeof(struct ratewin) == RATEWIN_SIZE,
    "RATEWIN_SIZE matches the layout");
_Static_assert((RATEWIN_SLOTS & (RATEWIN_SLOTS - 1)) == 0,
    "RATEWIN_SLOTS is a power of two");

struct ratewin *
ratewin_init(void *mem, size_t len, uint64_t seed)
{
	struct ratewin *t = mem;
	uint64_t zero;

	if (mem == NULL || len < RATEWIN_SIZE || ((uintptr_t)mem & 7) != 0)
		return NULL;
	if (seed == 0)
		seed = RATEWIN_MAGIC;
	/* The seed is settled before the magic says the table is ready:
	 * whoever stores the magic has seen a non-zero seed. */
	if (atomic_load(&t->magic) == 0) {
		zero = 0;
		atomic_compare_exchange_strong(&t->seed, &zero, seed);
		zero = 0;
		atomic_compare_exchange_strong(&t->magic, &zero,
		    RATEWIN_MAGIC);
	}
	if (atomic_load(&t->magic) != RATEWIN_MAGIC ||
	    atomic_load(&t->seed) == 0)
		return NULL;
	return t;
}

static uint64_t
ratewin_hash(const struct ratewin *t, const char *key, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325) ^
	    atomic_load(&((struct ratewin *)t)->seed);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= UINT64_C(0x100000001b3);
	}
	/* splitmix64's finaliser: every input bit moves every output bit */
	h ^= h >> 30;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	h *= UINT64_C(0x94d049bb133111eb);
	h ^= h >> 31;
	return h != 0 ? h : 1;
}

/* Add one hit to slot s in window w; the count after it. */
static uint32_t
ratewin_count(struct ratewin_slot *s, uint64_t w)
{
	uint64_t v, nv;

	v = atomic_load(&s->win);
	do {
		if (v >> 32 != w)
			nv = w << 32 | 1;
		else if ((v & UINT32_MAX) >= RATEWIN_FULL - 1)
			nv = v;		/* saturated */
		else
			nv = v + 1;
	} while (!atomic_compare_exchange_weak(&s->win, &v, nv));
	return (uint32_t)(nv & UINT32_MAX);
}

uint32_t
ratewin_hit(struct ratewin *t, const char *key, size_t len, int64_t now_ms,
    int64_t window_ms, int64_t *retry_after_ms)
{
	struct ratewin_slot *s;
	uint64_t h, k, w;
	size_t i, base;

	if (window_ms <= 0 || now_ms < 0)
		return RATEWIN_FULL;
	w = (uint64_t)(now_ms / window_ms) & UINT32_MAX;
	if (retry_after_ms != NULL)
		*retry_after_ms = window_ms - now_ms % window_ms;
	h = ratewin_hash(t, key, len);
	base = (size_t)(h >> 16);
	/* Where the key already counts, if anywhere. */
	for (i = 0; i < RATEWIN_PROBES; i++) {
		s = &t->slot[(base + i) & (RATEWIN_SLOTS - 1)];
		if (atomic_load(&s->key) == h)
			return ratewin_count(s, w);
	}
	/* Else the first slot that is free or idle in this window. */
	for (i = 0; i < RATEWIN_PROBES; i++) {
		s = &t->slot[(base + i) & (RATEWIN_SLOTS - 1)];
		k = atomic_load(&s->key);
		if (k == h)
			return ratewin_count(s, w);
		if (k != 0 && atomic_load(&s->win) >> 32 == w)
			continue;	/* another key's, busy now */
		if (atomic_compare_exchange_strong(&s->key, &k, h) || k == h)
			return ratewin_count(s, w);
	}
	return RATEWIN_FULL;
}
