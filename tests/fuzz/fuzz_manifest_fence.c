/*
 * fuzz_manifest_fence.c: libFuzzer target for lib/storage/manifest_fence.c.
 *
 * Input: a session id, '\n', then the body of a manifest.json as S3 might
 * answer it.  The revision read must be -1 or a non-negative number, and
 * reading it must not crash or leak (sanitizers).  The whole input,
 * as a string, also goes to manifest_fence_etag_ok(): an accepted ETag
 * must be quoted printable ASCII within the limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"
#include "manifest_fence.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *sid, *s;
	size_t n, i;
	int64_t rev;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (manifest_fence_etag_ok(s)) {
		n = strlen(s);
		if (n > LIMIT_S3_ETAG_BYTES || s[n - 1] != '"')
			abort();
		for (i = 0; i < n; i++)
			if ((unsigned char)s[i] <= 0x20 ||
			    (unsigned char)s[i] >= 0x7f)
				abort();
	}
	free(s);
	if (nl == NULL)
		return 0;
	n = (size_t)(nl - data);
	if ((sid = malloc(n + 1)) == NULL)
		return 0;
	memcpy(sid, data, n);
	sid[n] = '\0';
	rev = manifest_fence_revision((const char *)nl + 1, size - n - 1, sid);
	if (rev < -1)
		abort();
	free(sid);
	return 0;
}
