/*
 * fuzz_jsonv.c: libFuzzer target for lib/jsonv.c.
 *
 * Feeds the input to jsonv_parse() and, when it parses, validates it
 * against a table using every field type under both unknown-field
 * policies, then checks nested values the way handlers do.  Invariants
 * checked: a failure always leaves a message, success leaves typed values
 * consistent with the table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "limit.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const fuzz_kinds[] = { "a", "bb", "", NULL };

enum { F_I, F_N, F_S, F_B, F_O, F_A, F_K, F__N };
static const struct jsonv_field fuzz_fields[F__N] = {
	[F_I] = { "i", JSONV_INT, 0, -5, 99999, NULL },
	[F_N] = { "n", JSONV_NUMBER, JSONV_NULLABLE, -1000, 1000, NULL },
	[F_S] = { "s", JSONV_STRING, 0, 1, 16, NULL },
	[F_B] = { "b", JSONV_BOOL, 0, 0, 0, NULL },
	[F_O] = { "o", JSONV_OBJECT, 0, 0, 4, NULL },
	[F_A] = { "a", JSONV_ARRAY, 0, 0, 8, NULL },
	[F_K] = { "k", JSONV_STRING, 0, 0, 0, fuzz_kinds },
};
static const struct jsonv_field fuzz_elem = { "", JSONV_INT, JSONV_REQUIRED,
	INT64_MIN + 1, INT64_MAX, NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonv_val v[F__N], inner[F__N], ev;
	struct jsonv_error e;
	struct jsonv_doc *doc = NULL;
	enum err rc;
	size_t k;

	memset(&e, 0, sizeof(e));
	rc = jsonv_parse((const char *)data, size, LIMIT_BODY_MAX, &doc, &e);
	if (rc != ERR_OK) {
		if (doc != NULL || e.message[0] == '\0')
			abort();
		return 0;
	}
	if (jsonv_root(doc) == NULL ||
	    json_object_get_type(jsonv_root(doc)) != json_type_object)
		abort();
	rc = jsonv_object(jsonv_root(doc), fuzz_fields, F__N,
	    JSONV_REJECT_UNKNOWN, NULL, v, &e);
	if (rc != ERR_OK && (rc != ERR_FIELD || e.field[0] == '\0'))
		abort();
	rc = jsonv_object(jsonv_root(doc), fuzz_fields, F__N,
	    JSONV_IGNORE_UNKNOWN, NULL, v, &e);
	if (rc == ERR_OK) {
		if (v[F_I].present && (v[F_I].i < -5 || v[F_I].i > 99999))
			abort();
		if (v[F_S].present && (v[F_S].len < 1 || v[F_S].len > 16 ||
		    strlen(v[F_S].s) != v[F_S].len))
			abort();
		if (v[F_O].present)
			(void)jsonv_object(v[F_O].j, fuzz_fields, F__N,
			    JSONV_REJECT_UNKNOWN, "o", inner, &e);
		for (k = 0; v[F_A].present && k < v[F_A].len; k++)
			(void)jsonv_value(json_object_array_get_idx(v[F_A].j,
			    k), &fuzz_elem, "a[]", &ev, &e);
	}
	jsonv_free(doc);
	return 0;
}
