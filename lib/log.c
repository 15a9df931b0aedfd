/*
 * log.c: one-line key=value events on a file descriptor.
 *
 * The line is built in a fixed buffer and written with a single write(2) so
 * that lines from several preforked workers sharing stderr never interleave
 * (writes up to PIPE_BUF are atomic on pipes).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	4096
#define LOG_MSG_MAX	2048

static const char *log_prog = "audio";
static enum log_level log_min = LOGL_INFO;
static int log_fd = 2;
static char log_reqid[65];

static const char *const log_names[] = { "debug", "info", "warn", "error" };

void
log_init(const char *prog, enum log_level min, int fd)
{
	if (prog != NULL)
		log_prog = prog;
	log_min = min;
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
	if (id == NULL)
		log_reqid[0] = '\0';
	else
		snprintf(log_reqid, sizeof(log_reqid), "%s", id);
}

const char *
log_request_id(void)
{
	return log_reqid;
}

/* Append s to buf at *off, quoted and escaped if it needs to be. */
static void
log_append_value(char *buf, size_t size, size_t *off, const char *s)
{
	const unsigned char *p;
	int quote = (*s == '\0');
	size_t o = *off;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    *p == 0x7f)
			quote = 1;
	if (quote && o + 1 < size)
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
	if (quote && o + 1 < size)
		buf[o++] = '"';
	buf[o] = '\0';
	*off = o;
}

static void
log_append_pair(char *buf, size_t size, size_t *off, const char *key,
    const char *value)
{
	int n;

	n = snprintf(buf + *off, size - *off, "%s%s=", *off ? " " : "", key);
	if (n < 0 || (size_t)n >= size - *off)
		return;
	*off += (size_t)n;
	log_append_value(buf, size, off, value);
}

void
log_vmsg(enum log_level level, const char *func, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX], msg[LOG_MSG_MAX], ts[64], pid[24];
	struct timeval tv;
	struct tm tm;
	size_t off = 0;
	int saved = errno;

	if (level < log_min || level > LOGL_ERROR)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	vsnprintf(msg, sizeof(msg), fmt, ap);

	log_append_pair(line, sizeof(line) - 1, &off, "ts", ts);
	log_append_pair(line, sizeof(line) - 1, &off, "level", log_names[level]);
	log_append_pair(line, sizeof(line) - 1, &off, "prog", log_prog);
	log_append_pair(line, sizeof(line) - 1, &off, "pid", pid);
	if (log_reqid[0] != '\0')
		log_append_pair(line, sizeof(line) - 1, &off, "req", log_reqid);
	if (func != NULL)
		log_append_pair(line, sizeof(line) - 1, &off, "func", func);
	log_append_pair(line, sizeof(line) - 1, &off, "msg", msg);
	line[off++] = '\n';
	(void)write(log_fd, line, off);
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
