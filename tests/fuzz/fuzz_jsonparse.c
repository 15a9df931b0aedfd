/*
 * fuzz_jsonparse.c: libFuzzer target for lib/jsonparse.c, the strict JSON
 * entry point every parser of untrusted JSON goes through.
 *
 * Invariants: a refusal leaves no tree and a reason; what the object entry
 * point accepts the value entry point accepts too, as an object; an
 * accepted document has no duplicate member names (json-c's tree keeps
 * every one) and json-c can print it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonparse.h"
#include "limit.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *o = NULL, *v = NULL;
	char why[160];
	enum err ro, rv;

	why[0] = '\0';
	ro = jsonparse_object((const char *)data, size, LIMIT_BODY_MAX, &o,
	    why, sizeof(why));
	if ((ro == ERR_OK) != (o != NULL) || (ro != ERR_OK && why[0] == '\0'))
		abort();
	rv = jsonparse_value((const char *)data, size, LIMIT_BODY_MAX, &v,
	    why, sizeof(why));
	if (rv != ERR_OK && v != NULL)
		abort();
	if (ro == ERR_OK && (rv != ERR_OK ||
	    !json_object_is_type(v, json_type_object) ||
	    json_object_object_length(o) != json_object_object_length(v)))
		abort();
	if (o != NULL && json_object_to_json_string(o) == NULL)
		abort();
	json_object_put(o);
	json_object_put(v);
	return 0;
}
