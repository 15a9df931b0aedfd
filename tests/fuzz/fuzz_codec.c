/*
 * fuzz_codec.c: libFuzzer target for lib/storage/codec.c.
 *
 * Whatever codec_canonical() answers must be one of the canonical names,
 * and a canonical name must map to itself (the stored value round-trips).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *got, *again;
	size_t i;

	if ((got = codec_canonical((const char *)data, size)) == NULL)
		return 0;
	for (i = 0; codec_names[i] != NULL; i++)
		if (got == codec_names[i])
			break;
	if (codec_names[i] == NULL)
		abort();
	again = codec_canonical(got, strlen(got));
	if (again != got)
		abort();
	return 0;
}
