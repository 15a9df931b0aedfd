/*
 * test_backoff.c: retry delays of lib/storage/backoff.c.
 */
#include <stdint.h>

#include "backoff.h"
#include "unit.h"

static void
test_delay_doubles_within_jitter_band(void)
{
	int k;
	int64_t d = 500;

	for (k = 1; k <= 6; k++, d *= 2) {
		CU_ASSERT_EQUAL(backoff_delay_ms(k, 500, 600000, 0), d / 2);
		CU_ASSERT_EQUAL(backoff_delay_ms(k, 500, 600000, UINT32_MAX) <=
		    d, 1);
		CU_ASSERT_EQUAL(backoff_delay_ms(k, 500, 600000,
		    (uint32_t)(d - d / 2)), d);
	}
}

static void
test_delay_stops_at_cap_and_never_overflows(void)
{
	int64_t v;

	CU_ASSERT_EQUAL(backoff_delay_ms(30, 1000, 300000, 0), 150000);
	v = backoff_delay_ms(1000000, 1000, 300000, UINT32_MAX);
	CU_ASSERT(v >= 150000 && v <= 300000);
	v = backoff_delay_ms(63, INT64_MAX / 2, INT64_MAX, 12345);
	CU_ASSERT(v >= INT64_MAX / 4 && v > 0);
}

static void
test_delay_bounds_bad_arguments(void)
{
	CU_ASSERT_EQUAL(backoff_delay_ms(0, 100, 1000, 0), 50);
	CU_ASSERT_EQUAL(backoff_delay_ms(-5, 100, 1000, 0), 50);
	CU_ASSERT_EQUAL(backoff_delay_ms(3, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(backoff_delay_ms(3, 0, 0, 1), 1);
	CU_ASSERT_EQUAL(backoff_delay_ms(1, 100, 10, 0), 50);
}

static void
test_jitter_spreads_values(void)
{
	int64_t seen_low = 0, seen_high = 0, v;
	uint32_t r;

	for (r = 0; r < 1000; r++) {
		v = backoff_delay_ms(4, 1000, 60000, r * 2654435761u);
		CU_ASSERT(v >= 4000 && v <= 8000);
		if (v < 5000)
			seen_low = 1;
		if (v > 7000)
			seen_high = 1;
	}
	CU_ASSERT(seen_low && seen_high);
}

int
test_backoff_suite(void)
{
	CU_pSuite s = CU_add_suite("backoff", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "delay doubles within jitter band",
	    test_delay_doubles_within_jitter_band) == NULL ||
	    CU_add_test(s, "delay stops at cap and never overflows",
	    test_delay_stops_at_cap_and_never_overflows) == NULL ||
	    CU_add_test(s, "delay bounds bad arguments",
	    test_delay_bounds_bad_arguments) == NULL ||
	    CU_add_test(s, "jitter spreads values", test_jitter_spreads_values)
	    == NULL)
		return -1;
	return 0;
}
