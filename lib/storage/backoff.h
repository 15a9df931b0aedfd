/*
 * backoff.h: retry delays for the delivery loop.
 *
 * Exponential backoff with "equal jitter": attempt k (1-based) waits a
 * random time in [d/2, d] where d = min(cap, base * 2^(k-1)).  Half the
 * delay is fixed so retries never bunch up at zero, the other half spreads
 * many workers retrying the same outage.  Pure: the caller passes the random
 * bits, so tests are deterministic.
 */
#ifndef BACKOFF_H
#define BACKOFF_H

#include <stdint.h>

/*
 * The delay in milliseconds before retry number attempt (>= 1; values
 * below 1 count as 1), for base_ms >= 1 and cap_ms >= base_ms (smaller
 * values are raised to those bounds).  rnd is any 32-bit random value.
 * Never overflows, whatever the attempt count.
 */
int64_t		backoff_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms,
		    uint32_t rnd);

#endif /* BACKOFF_H */
