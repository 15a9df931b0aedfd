/*
 * test_wshead.c: moving a JWT from Sec-WebSocket-Protocol into the URL
 * (lib/realtime/wshead.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"
#include "unit.h"
#include "wshead.h"

#define JWT	"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_"

/* Rewrite head; returns the result, the rewritten head in out. */
static enum wshead_result
rewrite(const char *head, char *out, size_t cap)
{
	size_t n = 0;
	enum wshead_result r;

	r = wshead_move_token(head, strlen(head), out, cap, &n);
	out[r == WSHEAD_MOVED ? n : 0] = '\0';
	return r;
}

static void
test_wshead_length_finds_the_end(void)
{
	const char *h = "GET / HTTP/1.1\r\nHost: a\r\n\r\nXYZ";

	CU_ASSERT_EQUAL(wshead_length(h, strlen(h)), strlen(h) - 3);
	CU_ASSERT_EQUAL(wshead_length(h, 20), 0);
	CU_ASSERT_EQUAL(wshead_length("GET / HTTP/1.1\nHost: a\n\nX", 25), 24);
	CU_ASSERT_EQUAL(wshead_length("", 0), 0);
	CU_ASSERT_EQUAL(wshead_length("\r\n", 2), 0);
}

static void
test_wshead_bearer_entry_moves_to_the_url(void)
{
	char out[1024];

	CU_ASSERT_EQUAL(rewrite("GET /ws HTTP/1.1\r\nHost: a\r\n"
	    "Sec-WebSocket-Protocol: audio-bridge, bearer." JWT "\r\n"
	    "Upgrade: websocket\r\n\r\n", out, sizeof(out)), WSHEAD_MOVED);
	CU_ASSERT_STRING_EQUAL(out, "GET /ws?token=" JWT " HTTP/1.1\r\n"
	    "Host: a\r\nSec-WebSocket-Protocol: audio-bridge\r\n"
	    "Upgrade: websocket\r\n\r\n");
}

static void
test_wshead_only_entry_is_named_for_the_answer(void)
{
	char out[1024];

	/* The header goes; the URL says which form to echo. */
	CU_ASSERT_EQUAL(rewrite("GET /?a=1 HTTP/1.1\r\n"
	    "sec-websocket-protocol:bearer." JWT "\r\n\r\n", out, sizeof(out)),
	    WSHEAD_MOVED);
	CU_ASSERT_STRING_EQUAL(out, "GET /?a=1&token=" JWT
	    "&token_protocol=bearer HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL(rewrite("GET / HTTP/1.1\n"
	    "Sec-WebSocket-Protocol:  " JWT " \nHost: b\n\n", out, sizeof(out)),
	    WSHEAD_MOVED);
	CU_ASSERT_STRING_EQUAL(out, "GET /?token=" JWT
	    "&token_protocol=jwt HTTP/1.1\nHost: b\n\n");
}

static void
test_wshead_other_entries_and_lines_stay(void)
{
	char out[1024];

	/* The first token entry moves; a second line keeps its entries. */
	CU_ASSERT_EQUAL(rewrite("GET / HTTP/1.1\r\n"
	    "Sec-WebSocket-Protocol: x, " JWT ", y\r\n"
	    "Sec-WebSocket-Protocol: bearer.zzz\r\n\r\n", out, sizeof(out)),
	    WSHEAD_MOVED);
	CU_ASSERT_STRING_EQUAL(out, "GET /?token=" JWT " HTTP/1.1\r\n"
	    "Sec-WebSocket-Protocol: x, y\r\n"
	    "Sec-WebSocket-Protocol: bearer.zzz\r\n\r\n");
}

static void
test_wshead_nothing_to_move(void)
{
	char out[1024];

	/* No protocol header, no token entry, "bearer." alone, or a token
	 * already in the URL (which wins, as in the upgrade check). */
	CU_ASSERT_EQUAL(rewrite("GET / HTTP/1.1\r\nHost: a\r\n\r\n", out,
	    sizeof(out)), WSHEAD_NONE);
	CU_ASSERT_EQUAL(rewrite("GET / HTTP/1.1\r\n"
	    "Sec-WebSocket-Protocol: audio-bridge, chat\r\n\r\n", out,
	    sizeof(out)), WSHEAD_NONE);
	CU_ASSERT_EQUAL(rewrite("GET / HTTP/1.1\r\n"
	    "Sec-WebSocket-Protocol: bearer.\r\n\r\n", out, sizeof(out)),
	    WSHEAD_NONE);
	CU_ASSERT_EQUAL(rewrite("GET /?x=1&token=abc HTTP/1.1\r\n"
	    "Sec-WebSocket-Protocol: bearer." JWT "\r\n\r\n", out,
	    sizeof(out)), WSHEAD_NONE);
	/* "mytoken=" is not "token=". */
	CU_ASSERT_EQUAL(rewrite("GET /?mytoken=1 HTTP/1.1\r\n"
	    "Sec-WebSocket-Protocol: bearer." JWT "\r\n\r\n", out,
	    sizeof(out)), WSHEAD_MOVED);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "?mytoken=1&token=" JWT
	    "&token_protocol=bearer "));
	/* A header whose name only starts the same is another header. */
	CU_ASSERT_EQUAL(rewrite("GET / HTTP/1.1\r\n"
	    "Sec-WebSocket-Protocols: bearer." JWT "\r\n\r\n", out,
	    sizeof(out)), WSHEAD_NONE);
}

static void
test_wshead_refuses_bad_heads_and_tokens(void)
{
	char out[1024];

	CU_ASSERT_EQUAL(rewrite("GET\r\n\r\n", out, sizeof(out)), WSHEAD_BAD);
	CU_ASSERT_EQUAL(rewrite("GET  HTTP/1.1\r\n\r\n", out, sizeof(out)),
	    WSHEAD_BAD);
	CU_ASSERT_EQUAL(rewrite("no newline", out, sizeof(out)), WSHEAD_BAD);
	/* Bytes that would change the URL's meaning are refused. */
	CU_ASSERT_EQUAL(rewrite("GET / HTTP/1.1\r\n"
	    "Sec-WebSocket-Protocol: bearer.eyJa&admin=1\r\n\r\n", out,
	    sizeof(out)), WSHEAD_BAD);
	CU_ASSERT_EQUAL(rewrite("GET / HTTP/1.1\r\n"
	    "Sec-WebSocket-Protocol: eyJa b\r\n\r\n", out, sizeof(out)),
	    WSHEAD_BAD);
	CU_ASSERT_EQUAL(rewrite("GET / HTTP/1.1\r\n"
	    "Sec-WebSocket-Protocol: bearer.eyJ%2e\r\n\r\n", out, sizeof(out)),
	    WSHEAD_BAD);
}

static void
test_wshead_bounds(void)
{
	size_t n = LIMIT_TOKEN_BYTES + 200, hl, got = 0;
	char *head = malloc(n + 128), *out = malloc(n + 128 + WSHEAD_SLACK);
	int k;

	CU_ASSERT_FATAL(head != NULL && out != NULL);
	/* A token of exactly LIMIT_TOKEN_BYTES moves; one byte more not. */
	for (k = 0; k < 2; k++) {
		hl = (size_t)snprintf(head, n + 128, "GET / HTTP/1.1\r\n"
		    "Sec-WebSocket-Protocol: bearer.eyJ%0*d\r\n\r\n",
		    LIMIT_TOKEN_BYTES - 3 + k, 0);
		CU_ASSERT_EQUAL(wshead_move_token(head, hl, out,
		    hl + WSHEAD_SLACK, &got), k == 0 ? WSHEAD_MOVED :
		    WSHEAD_TOO_LARGE);
	}
	/* An output buffer that is too small is refused, never overrun. */
	hl = strlen("GET / HTTP/1.1\r\nSec-WebSocket-Protocol: bearer." JWT
	    "\r\n\r\n");
	memcpy(head, "GET / HTTP/1.1\r\nSec-WebSocket-Protocol: bearer." JWT
	    "\r\n\r\n", hl);
	out[20] = '#';
	CU_ASSERT_EQUAL(wshead_move_token(head, hl, out, 20, &got),
	    WSHEAD_TOO_LARGE);
	CU_ASSERT_EQUAL(out[20], '#');
	free(head);
	free(out);
}

int
test_wshead_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("wshead", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "length finds the end of the head",
	    test_wshead_length_finds_the_end) == NULL ||
	    CU_add_test(s, "bearer entry moves to the URL",
	    test_wshead_bearer_entry_moves_to_the_url) == NULL ||
	    CU_add_test(s, "only entry is named for the answer",
	    test_wshead_only_entry_is_named_for_the_answer) == NULL ||
	    CU_add_test(s, "other entries and lines stay",
	    test_wshead_other_entries_and_lines_stay) == NULL ||
	    CU_add_test(s, "nothing to move", test_wshead_nothing_to_move) ==
	    NULL ||
	    CU_add_test(s, "bad heads and tokens are refused",
	    test_wshead_refuses_bad_heads_and_tokens) == NULL ||
	    CU_add_test(s, "bounds", test_wshead_bounds) == NULL)
		return -1;
	return 0;
}
