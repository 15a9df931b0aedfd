/*
 * s3meta.c: read the chunk metadata headers and the ETag of an S3 answer
 * (see s3meta.h).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "s3meta.h"

static void
s3meta_store(char *dst, size_t dstsz, const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
			break;
	if (i < n || n >= dstsz) {
		memcpy(dst, "?", 2);
		return;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
}

int
s3meta_header(const char *line, size_t len, struct s3meta *m)
{
	static const struct {
		const char	*name;
		size_t		 off;
		size_t		 size;
	} want[] = {
		{ "x-amz-meta-user-id", offsetof(struct s3meta, user_id),
		    sizeof(((struct s3meta *)0)->user_id) },
		{ "x-amz-meta-session-id", offsetof(struct s3meta, session_id),
		    sizeof(((struct s3meta *)0)->session_id) },
		{ "x-amz-meta-seq", offsetof(struct s3meta, seq),
		    sizeof(((struct s3meta *)0)->seq) },
		{ "etag", offsetof(struct s3meta, etag),
		    sizeof(((struct s3meta *)0)->etag) },
		{ "x-amz-meta-sha256", offsetof(struct s3meta, meta_sha256),
		    sizeof(((struct s3meta *)0)->meta_sha256) },
		{ "x-amz-meta-md5", offsetof(struct s3meta, meta_md5),
		    sizeof(((struct s3meta *)0)->meta_md5) },
		{ "x-amz-checksum-sha256",
		    offsetof(struct s3meta, checksum_sha256),
		    sizeof(((struct s3meta *)0)->checksum_sha256) },
		{ "x-amz-server-side-encryption", offsetof(struct s3meta, sse),
		    sizeof(((struct s3meta *)0)->sse) },
		{ "x-amz-server-side-encryption-aws-kms-key-id",
		    offsetof(struct s3meta, sse_kms_key_id),
		    sizeof(((struct s3meta *)0)->sse_kms_key_id) },
		{ "x-amz-server-side-encryption-bucket-key-enabled",
		    offsetof(struct s3meta, sse_bucket_key),
		    sizeof(((struct s3meta *)0)->sse_bucket_key) },
	};
	const char *colon, *v;
	size_t i, nlen, vlen;

	if (line == NULL || m == NULL)
		return 0;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if ((colon = memchr(line, ':', len)) == NULL)
		return 0;
	nlen = (size_t)(colon - line);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strlen(want[i].name) == nlen &&
		    strncasecmp(line, want[i].name, nlen) == 0)
			break;
	if (i == sizeof(want) / sizeof(want[0]))
		return 0;
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	s3meta_store((char *)m + want[i].off, want[i].size, v, vlen);
	return 1;
}
