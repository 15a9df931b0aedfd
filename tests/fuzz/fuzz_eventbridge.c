/*
 * fuzz_eventbridge.c: libFuzzer target for lib/storage/eventbridge.c.
 *
 * The input is read as a PutEvents answer (for 1..10 entries, chosen by
 * its first byte) and as an error body; every outcome must be one of the
 * three and every string NUL-terminated within its field.  It is also used
 * as a Detail: if eventbridge_entry_check() accepts it, the encoded
 * request must parse back (json-c) to an entry whose Detail is exactly the
 * input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "eventbridge.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_eventbridge_result(const struct eventbridge_result *r)
{
	if (r->outcome != EVENTBRIDGE_SENT && r->outcome != EVENTBRIDGE_RETRY &&
	    r->outcome != EVENTBRIDGE_DEAD)
		abort();
	if (memchr(r->event_id, '\0', sizeof(r->event_id)) == NULL ||
	    memchr(r->error_code, '\0', sizeof(r->error_code)) == NULL ||
	    memchr(r->error_message, '\0', sizeof(r->error_message)) == NULL)
		abort();
	if (r->outcome == EVENTBRIDGE_SENT && r->event_id[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eventbridge_result res[EVENTBRIDGE_BATCH_ENTRIES], one;
	struct eventbridge_entry e;
	struct json_object *root = NULL, *arr, *x, *d;
	char *s = NULL, *body = NULL;
	size_t n, i, failed, used, len;

	n = size > 0 ? (size_t)(data[0] % EVENTBRIDGE_BATCH_ENTRIES) + 1 : 1;
	(void)eventbridge_parse_response((const char *)data, size, n, res,
	    &failed);
	if (failed > n)
		abort();
	for (i = 0; i < n; i++)
		fuzz_eventbridge_result(&res[i]);
	eventbridge_parse_error(400, (const char *)data, size, &one);
	fuzz_eventbridge_result(&one);

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&e, 0, sizeof(e));
	e.detail_type = EVENTBRIDGE_TYPE_CHUNK;
	e.detail = s;
	if (eventbridge_entry_check(&e, NULL) == ERR_OK) {
		if (eventbridge_encode(&e, 1, &used, &body, &len) != ERR_OK ||
		    used != 1)
			abort();
		if ((root = json_tokener_parse(body)) == NULL ||
		    !json_object_object_get_ex(root, "Entries", &arr) ||
		    (x = json_object_array_get_idx(arr, 0)) == NULL ||
		    !json_object_object_get_ex(x, "Detail", &d) ||
		    strcmp(json_object_get_string(d), s) != 0)
			abort();
		/* json-c must also take the Detail itself as an object. */
		json_object_put(root);
		if ((root = json_tokener_parse(s)) == NULL ||
		    !json_object_is_type(root, json_type_object))
			abort();
	}
	json_object_put(root);
	free(body);
	free(s);
	return 0;
}
