/*
 * fuzz_cursor.c: libFuzzer target for lib/storage/cursor.c and lib/storage/query.c.
 *
 * The input as a query string: every parameter the list route reads is
 * looked up.  The input (and each found cursor value) as a cursor: a
 * cursor that decodes must encode back to exactly the same text, so no
 * two texts name one position and nothing else is accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "query.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz!";

static void
fuzz_cursor_one(const char *s, size_t len)
{
	struct journal_list_pos pos;
	char back[CURSOR_SIZE];

	if (cursor_decode(key, sizeof(key), "alice", s, len, &pos) != ERR_OK)
		return;
	if (cursor_encode(key, sizeof(key), "alice", &pos, back,
	    sizeof(back)) != ERR_OK || strlen(back) != len ||
	    memcmp(back, s, len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "limit", "cursor", "urls" };
	char *qs;
	const char *v;
	size_t vlen, i;

	if ((qs = malloc(size + 1)) == NULL)
		return 0;
	memcpy(qs, data, size);
	qs[size] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (query_get(qs, names[i], &v, &vlen) == 1) {
			if (v < qs || v + vlen > qs + strlen(qs))
				abort();
			fuzz_cursor_one(v, vlen);
		}
	fuzz_cursor_one((const char *)data, size);
	free(qs);
	return 0;
}
