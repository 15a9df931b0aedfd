/*
 * s3meta.h: what S3 answers about an object in headers: the chunk
 * metadata a presigned upload stores with it, and its ETag.
 *
 * A presigned chunk URL carries x-amz-meta-user-id, x-amz-meta-session-id
 * and x-amz-meta-seq in its signed query; S3 stores them with the object
 * and answers them as headers on HEAD.  complete reads them back and
 * checks them, so an object that did not come through the URL issued for
 * that chunk (or whose metadata was lost on the way) is not accepted.
 * The ETag (answered on PUT, GET and HEAD) is what the manifest write's
 * fence sends back in If-Match (lib/storage/manifest_fence.h).
 *
 * s3meta_header() reads one HTTP header line of S3's answer (untrusted
 * input): no I/O, bounded copies, fuzzed.
 */
#ifndef S3META_H
#define S3META_H

#include <stddef.h>

#include "limit.h"

#define S3META_SEQ_BYTES	20

/* Each field "" when the header was absent; a value too long for its field
 * or with bytes outside printable ASCII is stored as "?" (it can never
 * match what the API expects). */
struct s3meta {
	char	user_id[LIMIT_SUB_BYTES + 1];
	char	session_id[LIMIT_SESSION_ID_BYTES + 1];
	char	seq[S3META_SEQ_BYTES + 1];
	char	etag[LIMIT_S3_ETAG_BYTES + 1];	/* quotes kept, as sent */
};

/* If line[0..len) ("Name: value", optionally ending in CR LF) is one of the
 * four headers (name case-insensitive), store its trimmed value in *m and
 * return 1; else leave *m alone and return 0. */
int	s3meta_header(const char *line, size_t len, struct s3meta *m);

#endif /* S3META_H */
