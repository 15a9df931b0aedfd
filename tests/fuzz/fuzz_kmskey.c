/*
 * fuzz_kmskey.c: libFuzzer target for lib/storage/kmskey.c.
 *
 * Every input is an sse_kms_key_id.  A key accepted points its parts
 * inside the input, and a key ARN always matches itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmskey.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmskey k;
	char why[160], *s;
	const char *end;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	end = s + size;
	if (kmskey_parse(s, size, &k, why, sizeof(why)) == ERR_OK) {
		if ((k.region != NULL && (k.region < s ||
		    k.region + k.region_len > end)) ||
		    (k.key_id != NULL && (k.key_id < s ||
		    k.key_id + k.key_id_len > end)))
			abort();
		if (k.kind == KMSKEY_KEY_ARN && strlen(s) == size &&
		    kmskey_match(&k, s, s, size) != 1)
			abort();
	} else if (why[0] == '\0')
		abort();
	free(s);
	return 0;
}
