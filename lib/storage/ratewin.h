/*
 * ratewin.h: hit counters per key and fixed time window, kept in memory
 * that several processes share, with no lock and no system call per hit.
 *
 * audio-api limits presigns per session per minute.  A session's requests
 * land on any worker of the host, so the count must be shared; presign is
 * the hot path, so it must cost no write to the journal and no system
 * call.  The workers map one small file (fcgi/presignrate.c) and count
 * here with atomic operations on it.
 *
 * The table is open-addressed: a slot holds a key's 64-bit hash and its
 * count in the current window, packed with the window number in one word
 * that a compare-and-swap updates, so concurrent hits on one key from
 * several processes are counted exactly.  A key probes RATEWIN_PROBES
 * slots from its hash; a slot whose window is over is taken over by the
 * next key that needs it.  Two keys are told apart by their whole 64-bit
 * hash (keyed, see ratewin_init()), so a collision is a 2^-64 event.  When
 * every probed slot is busy in the current window the hit is not counted
 * and ratewin_hit() says so (RATEWIN_FULL): the caller lets it pass, as a
 * limiter that cannot count must not refuse service.
 *
 * No I/O: the caller provides the memory (RATEWIN_SIZE bytes, zeroed or
 * initialised earlier by any process).
 */
#ifndef RATEWIN_H
#define RATEWIN_H

#include <stddef.h>
#include <stdint.h>

#define RATEWIN_SLOTS	65536	/* a power of two */
#define RATEWIN_PROBES	16
#define RATEWIN_FULL	UINT32_MAX

struct ratewin;

/* Bytes of shared memory a table needs (header included). */
#define RATEWIN_SIZE	(64 + (size_t)RATEWIN_SLOTS * 16)

/*
 * Take mem (RATEWIN_SIZE bytes, 8-byte aligned, shared) as a table.  The
 * first process to find it zeroed stamps it with a magic and a random hash
 * key (seed, from the caller's random source); later ones use what is
 * there.  NULL if mem holds something else (a file of another version).
 */
struct ratewin	*ratewin_init(void *mem, size_t len, uint64_t seed);

/*
 * Count one hit of key[0..len) in the window of window_ms that now_ms falls
 * in, and return the number of hits in that window so far, this one
 * included; RATEWIN_FULL if it could not be counted (table busy).
 * *retry_after_ms (if not NULL) is set to the time left in the window.
 */
uint32_t	 ratewin_hit(struct ratewin *, const char *key, size_t len,
		    int64_t now_ms, int64_t window_ms, int64_t *retry_after_ms);

#endif /* RATEWIN_H */
