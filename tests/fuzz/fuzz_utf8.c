/*
 * fuzz_utf8.c: libFuzzer target for lib/utf8.c and the JSON string
 * escaper in lib/buf.c, checked against each other.
 *
 * Invariants: utf8_valid() agrees with walking utf8_len(); utf8_prefix()
 * agrees with both, and its PARTIAL tail is a sequence that utf8_len()
 * refuses only for being short; utf8_cut() never splits a sequence of
 * valid text; buf_add_json() of anything is one valid JSON string (the
 * strict parser accepts it) and, for valid UTF-8, decodes to the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonparse.h"
#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
walk_valid(const uint8_t *d, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_len(d + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum utf8_state st;
	json_object *o = NULL;
	struct buf b;
	size_t done = 0, cut;
	int valid;

	valid = utf8_valid(data, size);
	if (valid != walk_valid(data, size))
		abort();
	st = utf8_prefix(data, size, &done);
	if ((st == UTF8_VALID) != valid || done > size ||
	    (st == UTF8_VALID && done != size) ||
	    !walk_valid(data, done))
		abort();
	if (st == UTF8_PARTIAL && (done == size ||
	    size - done >= 4 || utf8_len(data + done, size - done) != 0))
		abort();
	if (valid && size > 0) {
		cut = utf8_cut((const char *)data, size, size / 2);
		if (cut > size / 2 || !utf8_valid(data, cut))
			abort();
	}

	buf_init(&b);
	buf_add_json(&b, (const char *)data, size);
	if (buf_err(&b) != ERR_OK)
		abort();
	if (jsonparse_value(b.p, b.len, SIZE_MAX, &o, NULL, 0) != ERR_OK ||
	    !json_object_is_type(o, json_type_string))
		abort();
	if (valid && ((size_t)json_object_get_string_len(o) != size ||
	    memcmp(json_object_get_string(o), data, size) != 0))
		abort();
	json_object_put(o);
	buf_free(&b);
	return 0;
}
