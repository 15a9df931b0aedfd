/*
 * clock.h: the one clock, and the one ISO-8601 formatter.
 *
 * Durations, deadlines and timeouts use the monotonic clock (it never
 * jumps when the wall clock is set); what is stored or shown to people
 * (journal rows, event times, message timestamps) uses the wall clock.
 * Programs take their time from here, not from a module that happens to
 * have a clock.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* "2024-05-01T12:34:56.789Z" plus the NUL */
#define CLOCK_ISO8601_BYTES	25

/* Monotonic milliseconds / microseconds since an arbitrary start. */
int64_t	 clock_mono_ms(void);
uint64_t clock_mono_us(void);
/* The same at the kernel tick's resolution (a few ms), read from the
 * vDSO without a system call: for per-request timing on the hot path. */
int64_t	 clock_coarse_ms(void);
/* Wall clock: milliseconds since the Unix epoch. */
int64_t	 clock_wall_ms(void);

/*
 * Write ms since the epoch as UTC "YYYY-MM-DDTHH:MM:SS.mmmZ" (always 24
 * characters: the value is clamped into 1970-01-01T00:00:00.000Z ..
 * 9999-12-31T23:59:59.999Z) into buf, cut to bufsz.  Returns buf.
 */
char	*clock_iso8601(int64_t ms, char *buf, size_t bufsz);

/*
 * Days from 1970-01-01 to the date y-m-d (proleptic Gregorian, month
 * 1..12; Howard Hinnant's days_from_civil), negative before it: what the
 * readers of ISO-8601 dates (S3's LastModified, credential expirations)
 * turn a checked date into.  The day of month is not checked.
 */
int64_t	 clock_days(int64_t y, int64_t m, int64_t d);

#endif /* CLOCK_H */
