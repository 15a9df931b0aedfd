/* test_clock.c: the one clock and ISO-8601 formatter (lib/clock.c). */
#include <string.h>
#include <time.h>

#include "clock.h"
#include "unit.h"

static void
test_clock_iso8601_known_values(void)
{
	char b[CLOCK_ISO8601_BYTES];

	CU_ASSERT_STRING_EQUAL(clock_iso8601(0, b, sizeof(b)),
	    "1970-01-01T00:00:00.000Z");
	CU_ASSERT_STRING_EQUAL(clock_iso8601(1714566896789LL, b, sizeof(b)),
	    "2024-05-01T12:34:56.789Z");
	CU_ASSERT_STRING_EQUAL(clock_iso8601(951782400001LL, b, sizeof(b)),
	    "2000-02-29T00:00:00.001Z");
	CU_ASSERT_EQUAL(strlen(b), CLOCK_ISO8601_BYTES - 1);
}

/* Out of range is clamped, never a short or malformed stamp. */
static void
test_clock_iso8601_clamps(void)
{
	char b[CLOCK_ISO8601_BYTES], small[5];

	CU_ASSERT_STRING_EQUAL(clock_iso8601(-1, b, sizeof(b)),
	    "1970-01-01T00:00:00.000Z");
	CU_ASSERT_STRING_EQUAL(clock_iso8601(INT64_MIN, b, sizeof(b)),
	    "1970-01-01T00:00:00.000Z");
	CU_ASSERT_STRING_EQUAL(clock_iso8601(INT64_MAX, b, sizeof(b)),
	    "9999-12-31T23:59:59.999Z");
	CU_ASSERT_STRING_EQUAL(clock_iso8601(0, small, sizeof(small)), "1970");
	CU_ASSERT_PTR_NULL(clock_iso8601(0, NULL, 0));
}

static void
test_clock_days_known_dates(void)
{
	CU_ASSERT_EQUAL(clock_days(1970, 1, 1), 0);
	CU_ASSERT_EQUAL(clock_days(1969, 12, 31), -1);
	CU_ASSERT_EQUAL(clock_days(2000, 2, 29), 11016);
	CU_ASSERT_EQUAL(clock_days(2000, 3, 1), 11017);
	CU_ASSERT_EQUAL(clock_days(2100, 3, 1) - clock_days(2100, 2, 28), 1);
	/* 2024-05-01, as clock_iso8601(1714566896789) formats it */
	CU_ASSERT_EQUAL(clock_days(2024, 5, 1), 1714566896789LL / 86400000);
}

static void
test_clock_monotonic_and_wall_agree(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int64_t m0 = clock_mono_ms(), w0 = clock_wall_ms(), c0 =
	    clock_coarse_ms();
	uint64_t u0 = clock_mono_us();

	nanosleep(&ts, NULL);
	CU_ASSERT(clock_mono_ms() - m0 >= 20);
	CU_ASSERT(clock_mono_ms() - m0 < 5000);
	CU_ASSERT(clock_mono_us() - u0 >= 20000);
	CU_ASSERT(clock_coarse_ms() - c0 >= 10);
	CU_ASSERT(clock_wall_ms() - w0 >= 19);
	/* the wall clock is past 2020 and in ms */
	CU_ASSERT(w0 > 1577836800000LL);
	CU_ASSERT((int64_t)(u0 / 1000) - m0 <= 1 &&
	    (int64_t)(u0 / 1000) - m0 >= -1);
}

int
test_clock_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("clock", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "ISO-8601 known values",
	    test_clock_iso8601_known_values) == NULL ||
	    CU_add_test(s, "ISO-8601 clamps", test_clock_iso8601_clamps) ==
	    NULL ||
	    CU_add_test(s, "days from 1970-01-01 of known dates",
	    test_clock_days_known_dates) == NULL ||
	    CU_add_test(s, "monotonic and wall clocks move together",
	    test_clock_monotonic_and_wall_agree) == NULL)
		return -1;
	return 0;
}
