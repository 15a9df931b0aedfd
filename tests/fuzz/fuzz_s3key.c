/*
 * fuzz_s3key.c: libFuzzer target for lib/storage/s3key.c.
 *
 * Two round trips.  The input as a key: if s3key_parse() accepts it,
 * building from the parts must give the same bytes.  The input split into
 * sub / session / ext at its first two '|' bytes: if s3key_chunk() builds a
 * key, it must stay under "users/<sub>/" and parse back to the same parts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3key.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char key[S3KEY_SIZE];
	struct s3key_parts p, q;
	enum s3key_kind kind;
	const char *bar1, *bar2;
	size_t len;

	if (s3key_parse(in, size, &p, &kind) == ERR_OK) {
		if (kind == S3KEY_CHUNK) {
			if (s3key_chunk(&p, key, sizeof(key), &len) != ERR_OK)
				abort();
		} else if (s3key_manifest(&p, key, sizeof(key), &len) !=
		    ERR_OK)
			abort();
		if (len != size || memcmp(key, in, size) != 0)
			abort();
	}

	if ((bar1 = memchr(in, '|', size)) == NULL ||
	    (bar2 = memchr(bar1 + 1, '|', size - (size_t)(bar1 + 1 - in))) ==
	    NULL)
		return 0;
	memset(&p, 0, sizeof(p));
	p.sub = in;
	p.sub_len = (size_t)(bar1 - in);
	p.session = bar1 + 1;
	p.session_len = (size_t)(bar2 - bar1 - 1);
	p.ext = bar2 + 1;
	p.ext_len = size - (size_t)(bar2 + 1 - in);
	p.seq = (int64_t)size * 7919;
	p.t_start_ms = (int64_t)size * 1000;
	p.t_end_ms = p.t_start_ms + 999999;
	if (s3key_chunk(&p, key, sizeof(key), &len) != ERR_OK)
		return 0;
	if (len < 6 + p.sub_len + 1 || memcmp(key, "users/", 6) != 0 ||
	    memcmp(key + 6, p.sub, p.sub_len) != 0 || key[6 + p.sub_len] != '/'
	    || strstr(key, "..") != NULL)
		abort();
	if (s3key_parse(key, len, &q, &kind) != ERR_OK ||
	    kind != S3KEY_CHUNK || q.seq != p.seq ||
	    q.t_start_ms != p.t_start_ms || q.t_end_ms != p.t_end_ms ||
	    q.sub_len != p.sub_len || memcmp(q.sub, p.sub, p.sub_len) != 0 ||
	    q.session_len != p.session_len ||
	    memcmp(q.session, p.session, p.session_len) != 0 ||
	    q.ext_len != p.ext_len || memcmp(q.ext, p.ext, p.ext_len) != 0)
		abort();
	return 0;
}
