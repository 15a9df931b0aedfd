/*
 * backoff.c: exponential backoff with equal jitter (see backoff.h).
 */
#include "backoff.h"

int64_t
backoff_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint32_t rnd)
{
	int64_t d, half;
	int k;

	if (base_ms < 1)
		base_ms = 1;
	if (cap_ms < base_ms)
		cap_ms = base_ms;
	if (attempt < 1)
		attempt = 1;
	/* Double up to the cap without ever overflowing. */
	d = base_ms;
	for (k = 1; k < attempt && d < cap_ms; k++)
		d = d > cap_ms / 2 ? cap_ms : d * 2;
	if (d > cap_ms)
		d = cap_ms;
	half = d / 2;
	return half + (int64_t)(rnd % (uint32_t)(d - half + 1 > UINT32_MAX ?
	    UINT32_MAX : d - half + 1));
}
