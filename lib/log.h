/*
 * log.h: leveled, one-line-per-event logging to stderr.
 *
 * Each event is a single line of key=value pairs:
 *   ts=2026-11-25T17:50:01.123Z level=error prog=audio-api pid=42 req=r-1f2e
 *   func=journal_open msg="cannot open /var/lib/x.db: permission denied"
 * Values with spaces, quotes or control characters are quoted and escaped,
 * so a hostile string cannot forge a second log line.  Never pass a secret,
 * a whole token or a presigned URL's signature to these functions.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

enum log_level {
	LOGL_DEBUG = 0,
	LOGL_INFO,
	LOGL_WARN,
	LOGL_ERROR,
};

/* Set the program name, the lowest level written, and the output fd
 * (normally 2).  May be called again, e.g. after a config reload. */
void	log_init(const char *prog, enum log_level min, int fd);
/* Parse "debug", "info", "warn" or "error"; -1 if none of them. */
int	log_level_parse(const char *);
/* Tag every following event with this request id (NULL clears it).
 * The id is copied; ids longer than 64 bytes are cut. */
void	log_set_request_id(const char *);
const char *log_request_id(void);

/*
 * Buffered mode (on 1) for a process that serves requests: debug and info
 * lines wait in a PIPE_BUF-sized buffer and are written together when it
 * is full, when the oldest has waited a second, before a warning or error
 * (written at once), on log_flush(), at exit() and from a handler for the
 * crash signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) that chains to
 * the handler they had.  Before _exit() or a blocking wait, call
 * log_flush().  on 0 flushes and writes every line at once again (the
 * default).
 */
void	log_buffer(int on);
/* Write the buffered lines now (a no-op when none wait). */
void	log_flush(void);

void	log_msg(enum log_level, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	log_vmsg(enum log_level, const char *func, const char *fmt, va_list)
	    __attribute__((format(printf, 3, 0)));

#define log_debug(...)	log_msg(LOGL_DEBUG, __func__, __VA_ARGS__)
#define log_info(...)	log_msg(LOGL_INFO, __func__, __VA_ARGS__)
#define log_warn(...)	log_msg(LOGL_WARN, __func__, __VA_ARGS__)
#define log_error(...)	log_msg(LOGL_ERROR, __func__, __VA_ARGS__)

#endif /* LOG_H */
