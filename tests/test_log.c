/*
 * test_log.c: events are single lines, levels filter, hostile text cannot
 * forge a second line.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
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
	    CU_add_test(s, "level names parse", level_names_parse) == NULL)
		return -1;
	return 0;
}
