/*
 * test_log.c: events are single lines, levels filter, hostile text cannot
 * forge a second line; in buffered mode lines wait for a flush, a warning
 * or a full buffer and still come out whole and in order; the cached pid
 * follows fork().
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pid.h"
#include "unit.h"

/* Run one log call with output captured into buf. */
static void
capture(char *buf, size_t size, enum log_level min, const char *reqid,
    enum log_level level, const char *msg)
{
	int fds[2];
	ssize_t n;

	buf[0] = '\0';
	if (pipe(fds) != 0)
		return;
	log_init("unit", min, fds[1]);
	log_set_request_id(reqid);
	log_msg(level, "capture", "%s", msg);
	close(fds[1]);
	n = read(fds[0], buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	log_set_request_id(NULL);
	log_init("unit", LOGL_ERROR + 1, 2);
}

static void
event_is_one_key_value_line(void)
{
	char buf[1024];

	capture(buf, sizeof(buf), LOGL_DEBUG, "req-7", LOGL_WARN, "disk full");
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "level=warn"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "prog=unit"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "req=req-7"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "func=capture"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "msg=\"disk full\""));
	CU_ASSERT_EQUAL(strchr(buf, '\n'), buf + strlen(buf) - 1);
	/* ts=YYYY-MM-DDTHH:MM:SS.mmmZ (lib/clock.c's format) */
	CU_ASSERT(strlen(buf) > 28 && strncmp(buf, "ts=", 3) == 0 &&
	    buf[7] == '-' && buf[10] == '-' && buf[13] == 'T' &&
	    buf[16] == ':' && buf[19] == ':' && buf[22] == '.' &&
	    buf[26] == 'Z' && buf[27] == ' ' &&
	    strspn(buf + 23, "0123456789") == 3);
}

static void
level_below_minimum_is_dropped(void)
{
	char buf[1024];

	capture(buf, sizeof(buf), LOGL_WARN, NULL, LOGL_INFO, "chatter");
	CU_ASSERT_EQUAL(strlen(buf), 0);
	capture(buf, sizeof(buf), LOGL_WARN, NULL, LOGL_ERROR, "bad");
	CU_ASSERT(strlen(buf) > 0);
}

static void
newline_in_message_cannot_forge_a_line(void)
{
	char buf[1024];

	capture(buf, sizeof(buf), LOGL_DEBUG, NULL, LOGL_ERROR,
	    "x\nts=0 level=error msg=\"forged\"");
	CU_ASSERT_EQUAL(strchr(buf, '\n'), buf + strlen(buf) - 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\\\"forged\\\""));
}

static void
level_names_parse(void)
{
	CU_ASSERT_EQUAL(log_level_parse("debug"), LOGL_DEBUG);
	CU_ASSERT_EQUAL(log_level_parse("WARN"), LOGL_WARN);
	CU_ASSERT_EQUAL(log_level_parse("error"), LOGL_ERROR);
	CU_ASSERT_EQUAL(log_level_parse("loud"), -1);
	CU_ASSERT_EQUAL(log_level_parse(NULL), -1);
}
/* What is readable on fd now (non-blocking), NUL-terminated. */
static size_t
drain(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	return got;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

static void
buffered_info_waits_for_flush(void)
{
	char buf[4096];
	int fds[2];

	if (pipe(fds) != 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
		CU_FAIL("pipe");
		return;
	}
	log_init("unit", LOGL_DEBUG, fds[1]);
	log_buffer(1);
	log_msg(LOGL_INFO, "t", "first");
	log_msg(LOGL_DEBUG, "t", "second");
	CU_ASSERT_EQUAL(drain(fds[0], buf, sizeof(buf)), 0);
	log_flush();
	drain(fds[0], buf, sizeof(buf));
	CU_ASSERT_EQUAL(count_lines(buf), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "msg=first"));
	CU_ASSERT(strstr(buf, "msg=first") < strstr(buf, "msg=second"));
	/* Nothing twice. */
	log_flush();
	CU_ASSERT_EQUAL(drain(fds[0], buf, sizeof(buf)), 0);
	log_buffer(0);
	log_init("unit", LOGL_ERROR + 1, 2);
	close(fds[0]);
	close(fds[1]);
}

static void
buffered_warning_goes_out_at_once_behind_the_waiting_lines(void)
{
	char buf[4096];
	int fds[2];

	if (pipe(fds) != 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
		CU_FAIL("pipe");
		return;
	}
	log_init("unit", LOGL_DEBUG, fds[1]);
	log_buffer(1);
	log_msg(LOGL_INFO, "t", "before");
	log_msg(LOGL_WARN, "t", "trouble");
	drain(fds[0], buf, sizeof(buf));
	CU_ASSERT_EQUAL(count_lines(buf), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "msg=before"));
	CU_ASSERT(strstr(buf, "msg=before") < strstr(buf, "msg=trouble"));
	log_msg(LOGL_INFO, "t", "after");
	log_buffer(0);
	drain(fds[0], buf, sizeof(buf));
	CU_ASSERT_EQUAL(count_lines(buf), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "msg=after"));
	log_init("unit", LOGL_ERROR + 1, 2);
	close(fds[0]);
	close(fds[1]);
}

/* Every write(2) of a full buffer holds whole lines only and fits PIPE_BUF:
 * read them back one write at a time (a pipe keeps write boundaries when
 * the reader empties it after each). */
static void
buffered_writes_are_whole_lines_within_pipe_buf(void)
{
	char buf[PIPE_BUF * 2], msg[300];
	size_t i, total = 0, got;
	int fds[2];

	if (pipe(fds) != 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
		CU_FAIL("pipe");
		return;
	}
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	log_init("unit", LOGL_DEBUG, fds[1]);
	log_buffer(1);
	for (i = 0; i < 60; i++) {
		log_msg(LOGL_INFO, "t", "%zu %s", i, msg);
		if ((got = drain(fds[0], buf, sizeof(buf))) > 0) {
			CU_ASSERT(got <= PIPE_BUF);
			CU_ASSERT_EQUAL(buf[got - 1], '\n');
			CU_ASSERT_EQUAL(strncmp(buf, "ts=", 3), 0);
			total += count_lines(buf);
		}
	}
	/* 60 lines of ~400 bytes do not fit one buffer: some went out. */
	CU_ASSERT(total > 0);
	CU_ASSERT(total < 60);
	log_buffer(0);
	drain(fds[0], buf, sizeof(buf));
	total += count_lines(buf);
	CU_ASSERT_EQUAL(total, 60);
	log_init("unit", LOGL_ERROR + 1, 2);
	close(fds[0]);
	close(fds[1]);
}

/* A crash writes what waits before the process dies. */
static void
buffered_lines_survive_a_crash(void)
{
	char buf[4096];
	int fds[2], st = 0;
	pid_t pid;

	if (pipe(fds) != 0) {
		CU_FAIL("pipe");
		return;
	}
	if ((pid = fork()) == 0) {
		close(fds[0]);
		log_init("unit", LOGL_DEBUG, fds[1]);
		log_buffer(1);
		log_msg(LOGL_INFO, "t", "last words");
		abort();
	}
	close(fds[1]);
	CU_ASSERT(pid > 0);
	buf[0] = '\0';
	if (pid > 0) {
		ssize_t n = read(fds[0], buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		waitpid(pid, &st, 0);
		CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "msg=\"last words\""));
	close(fds[0]);
}

static void
cached_pid_follows_fork(void)
{
	int fds[2];
	pid_t pid, child_saw = 0;

	CU_ASSERT_EQUAL(pid_self(), getpid());
	if (pipe(fds) != 0) {
		CU_FAIL("pipe");
		return;
	}
	if ((pid = fork()) == 0) {
		pid_t me = pid_self();

		(void)write(fds[1], &me, sizeof(me));
		_exit(me == getpid() ? 0 : 1);
	}
	close(fds[1]);
	CU_ASSERT(pid > 0);
	if (pid > 0) {
		int st = 0;

		CU_ASSERT_EQUAL(read(fds[0], &child_saw, sizeof(child_saw)),
		    (ssize_t)sizeof(child_saw));
		waitpid(pid, &st, 0);
		CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		CU_ASSERT_EQUAL(child_saw, pid);
	}
	CU_ASSERT_EQUAL(pid_self(), getpid());
	close(fds[0]);
}

int
test_log_suite(void)
{
	CU_pSuite s = CU_add_suite("log", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "event is one key=value line",
		event_is_one_key_value_line) == NULL ||
	    CU_add_test(s, "level below minimum is dropped",
		level_below_minimum_is_dropped) == NULL ||
	    CU_add_test(s, "newline in message cannot forge a line",
		newline_in_message_cannot_forge_a_line) == NULL ||
	    CU_add_test(s, "level names parse", level_names_parse) == NULL ||
	    CU_add_test(s, "buffered info waits for flush",
		buffered_info_waits_for_flush) == NULL ||
	    CU_add_test(s, "buffered warning goes out at once behind the "
		"waiting lines",
		buffered_warning_goes_out_at_once_behind_the_waiting_lines) ==
		NULL ||
	    CU_add_test(s, "buffered writes are whole lines within PIPE_BUF",
		buffered_writes_are_whole_lines_within_pipe_buf) == NULL ||
	    CU_add_test(s, "buffered lines survive a crash",
		buffered_lines_survive_a_crash) == NULL ||
	    CU_add_test(s, "cached pid follows fork",
		cached_pid_follows_fork) == NULL)
		return -1;
	return 0;
}
