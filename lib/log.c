/*
 * log.c: one-line key=value events on a file descriptor.
 *
 * Every line is built whole and handed to write(2) whole, so that lines
 * from several preforked workers sharing stderr never interleave (writes up
 * to PIPE_BUF are atomic on pipes).
 *
 * A process that serves requests may ask for buffered mode (log_buffer()):
 * its debug and info lines (the access line of every request) then wait
 * in a PIPE_BUF-sized buffer and go out together, in one write(2), when
 * the next line would not fit, when the oldest has waited LOG_FLUSH_MS,
 * when the process goes idle (log_flush()), at exit, and before a warning
 * or an error, which are written at once behind them.  A crash (SIGSEGV,
 * SIGBUS, SIGILL, SIGFPE, SIGABRT, which abort() on out-of-memory raises)
 * writes what is buffered from the signal handler before the process dies;
 * only SIGKILL loses lines, at most LOG_FLUSH_MS of them.  The write per
 * request was a tenth of a presign's system calls.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "pid.h"

#define LOG_LINE_MAX	4096
#define LOG_MSG_MAX	2048
#define LOG_BUF_SIZE	PIPE_BUF	/* one atomic write */
#define LOG_FLUSH_MS	1000

static const char *log_prog = "audio";
static enum log_level log_min = LOGL_INFO;
static int log_fd = 2;
static char log_reqid[65];

/* Buffered mode.  log_buf_len counts only whole lines: the crash handler
 * may run between any two instructions and writes log_buf[0..len). */
static int log_buffered;
static char log_buf[LOG_BUF_SIZE];
static volatile sig_atomic_t log_buf_len;
static int64_t log_buf_first_ms;	/* when the oldest buffered line came */

static const int log_crash_sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE,
	SIGABRT };
static struct sigaction log_crash_old[sizeof(log_crash_sigs) /
    sizeof(log_crash_sigs[0])];
static int log_crash_set;

/* The second the cached timestamp prefix is for, and the pid string. */
static time_t log_ts_sec = (time_t)-1;
static char log_ts[CLOCK_ISO8601_BYTES];
static pid_t log_pid_for;
static char log_pid[24];

static const char *const log_names[] = { "debug", "info", "warn", "error" };

void
log_init(const char *prog, enum log_level min, int fd)
{
	if (prog != NULL)
		log_prog = prog;
	log_min = min;
	if (fd != log_fd)
		log_flush();
	log_fd = fd;
}

int
log_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (s != NULL && strcasecmp(s, log_names[i]) == 0)
			return (int)i;
	return -1;
}

void
log_set_request_id(const char *id)
{
	size_t n = id != NULL ? strnlen(id, sizeof(log_reqid) - 1) : 0;

	memcpy(log_reqid, id != NULL ? id : "", n);
	log_reqid[n] = '\0';
}

const char *
log_request_id(void)
{
	return log_reqid;
}

/* Append s to buf at *off, quoted and escaped if it needs to be.  A value
 * that needs neither (the time, level, pid, request id) is copied whole:
 * every request writes a line. */
static void
log_append_value(char *buf, size_t size, size_t *off, const char *s)
{
	const unsigned char *p;
	int quote = (*s == '\0');
	size_t o = *off, n;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    *p == 0x7f) {
			quote = 1;
			break;
		}
	if (!quote) {
		/* Every byte written as it is, cut where the loop below
		 * would cut it. */
		n = strlen(s);
		if (o + 6 >= size)
			n = 0;
		else if (n > size - o - 6)
			n = size - o - 6;
		memcpy(buf + o, s, n);
		o += n;
		buf[o] = '\0';
		*off = o;
		return;
	}
	if (o + 1 < size)
		buf[o++] = '"';
	for (p = (const unsigned char *)s; *p != '\0' && o + 6 < size; p++) {
		if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (*p == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (*p < ' ' || *p == 0x7f) {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
		} else
			buf[o++] = (char)*p;
	}
	if (o + 1 < size)
		buf[o++] = '"';
	buf[o] = '\0';
	*off = o;
}

static void
log_append_pair(char *buf, size_t size, size_t *off, const char *key,
    const char *value)
{
	size_t klen = strlen(key), o = *off;

	if (o + klen + 2 >= size)
		return;
	if (o > 0)
		buf[o++] = ' ';
	memcpy(buf + o, key, klen);
	o += klen;
	buf[o++] = '=';
	buf[o] = '\0';
	*off = o;
	log_append_value(buf, size, off, value);
}

/* write(2) all of buf, retrying what a signal interrupted. */
static void
log_write(const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(log_fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void
log_flush(void)
{
	int saved = errno;

	if (log_buf_len > 0) {
		log_write(log_buf, (size_t)log_buf_len);
		log_buf_len = 0;
	}
	errno = saved;
}

/* A fatal signal: write what is buffered, then let the signal do what it
 * did before (the default, or a sanitizer's report).  A fault runs its
 * instruction again on return; a signal that was sent is sent again. */
static void
log_on_crash(int sig, siginfo_t *si, void *uctx)
{
	size_t i;

	(void)uctx;
	if (log_buf_len > 0)
		log_write(log_buf, (size_t)log_buf_len);
	log_buf_len = 0;
	for (i = 0; i < sizeof(log_crash_sigs) / sizeof(log_crash_sigs[0]); i++)
		if (log_crash_sigs[i] == sig)
			(void)sigaction(sig, &log_crash_old[i], NULL);
	if (si == NULL || si->si_code <= 0)
		(void)raise(sig);
}

static void
log_atexit(void)
{
	log_flush();
}

void
log_buffer(int on)
{
	struct sigaction sa;
	static int atexit_set;
	size_t i;

	if (!on) {
		log_flush();
		log_buffered = 0;
		return;
	}
	if (!atexit_set && atexit(log_atexit) == 0)
		atexit_set = 1;
	if (!log_crash_set) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = log_on_crash;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < sizeof(log_crash_sigs) / sizeof(log_crash_sigs[0]);
		    i++)
			(void)sigaction(log_crash_sigs[i], &sa, &log_crash_old[i]);
		log_crash_set = 1;
	}
	log_buffered = 1;
}

/* The "ts" and "pid" values; the date (clock_iso8601()) and the pid are
 * formatted once per second and once per process, the milliseconds are
 * written into the cached stamp. */
static void
log_stamp(const struct timeval *tv, char *ts, size_t tssz)
{
	int ms = (int)(tv->tv_usec / 1000);
	pid_t pid;

	if (tv->tv_sec != log_ts_sec) {
		clock_iso8601((int64_t)tv->tv_sec * 1000, log_ts,
		    sizeof(log_ts));
		log_ts_sec = tv->tv_sec;
	}
	/* "YYYY-MM-DDTHH:MM:SS.mmmZ": the milliseconds are bytes 20-22 */
	log_ts[20] = (char)('0' + ms / 100);
	log_ts[21] = (char)('0' + ms / 10 % 10);
	log_ts[22] = (char)('0' + ms % 10);
	memcpy(ts, log_ts, tssz < sizeof(log_ts) ? tssz : sizeof(log_ts));
	ts[tssz - 1] = '\0';
	if ((pid = pid_self()) != log_pid_for) {
		snprintf(log_pid, sizeof(log_pid), "%ld", (long)pid);
		log_pid_for = pid;
	}
}

/* Keep the line in the buffer, or write it (and what waits) now. */
static void
log_emit(enum log_level level, const char *line, size_t len, int64_t now_ms)
{
	size_t have = (size_t)log_buf_len;

	if (!log_buffered) {
		log_write(line, len);
		return;
	}
	if (have > 0 && have + len > sizeof(log_buf)) {
		log_flush();
		have = 0;
	}
	if (len > sizeof(log_buf)) {
		log_write(line, len);
		return;
	}
	if (have == 0)
		log_buf_first_ms = now_ms;
	memcpy(log_buf + have, line, len);
	log_buf_len = (sig_atomic_t)(have + len);
	if (level >= LOGL_WARN || now_ms - log_buf_first_ms >= LOG_FLUSH_MS)
		log_flush();
}

void
log_vmsg(enum log_level level, const char *func, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX], msg[LOG_MSG_MAX], ts[80];
	struct timeval tv;
	size_t off = 0;
	int saved = errno;

	if (level < log_min || level > LOGL_ERROR)
		return;
	gettimeofday(&tv, NULL);
	log_stamp(&tv, ts, sizeof(ts));
	vsnprintf(msg, sizeof(msg), fmt, ap);

	log_append_pair(line, sizeof(line) - 1, &off, "ts", ts);
	log_append_pair(line, sizeof(line) - 1, &off, "level", log_names[level]);
	log_append_pair(line, sizeof(line) - 1, &off, "prog", log_prog);
	log_append_pair(line, sizeof(line) - 1, &off, "pid", log_pid);
	if (log_reqid[0] != '\0')
		log_append_pair(line, sizeof(line) - 1, &off, "req", log_reqid);
	if (func != NULL)
		log_append_pair(line, sizeof(line) - 1, &off, "func", func);
	log_append_pair(line, sizeof(line) - 1, &off, "msg", msg);
	line[off++] = '\n';
	log_emit(level, line, off,
	    (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000);
	errno = saved;
}

void
log_msg(enum log_level level, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, func, fmt, ap);
	va_end(ap);
}
