/*
 * clock.c: monotonic and wall-clock time, and ISO-8601 rendering.
 *
 * clock_gettime() on these clocks cannot fail on Linux with a valid clock
 * id, so the functions return a number, not an error.  The formatter
 * clamps instead of failing so a message always carries a well-formed
 * timestamp: four-digit years are what ISO-8601 without an agreed
 * expansion allows, and negative times come only from a broken clock.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

/* 9999-12-31T23:59:59.999Z */
#define CLOCK_MS_MAX	253402300799999LL

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int64_t
clock_coarse_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC_COARSE);
}

int64_t
clock_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

char *
clock_iso8601(int64_t ms, char *buf, size_t bufsz)
{
	struct tm tm;
	time_t secs;

	if (buf == NULL || bufsz == 0)
		return buf;
	if (ms < 0)
		ms = 0;
	if (ms > CLOCK_MS_MAX)
		ms = CLOCK_MS_MAX;
	secs = (time_t)(ms / 1000);
	if (gmtime_r(&secs, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, bufsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return buf;
}

int64_t
clock_days(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
