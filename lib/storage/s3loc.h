/*
 * s3loc.h: where an S3 object lives.
 *
 * The API is configured with an endpoint URL ("https://s3.eu-west-1.
 * amazonaws.com", "http://127.0.0.1:4568"), a bucket and an addressing
 * style; every request names a key.  s3loc_locate() turns the four into
 * what a request needs: the Host header, the raw path to sign and the URL
 * to send.  It is a parser of configuration (the endpoint, the bucket) and
 * of keys built from client input, so it refuses rather than repairs:
 *
 *   endpoint  "http[s]://host[:port]" with an optional trailing '/', and no
 *             path, query, fragment or userinfo.  host is a DNS name, an
 *             IPv4 address or a bracketed IPv6 literal ("[::1]"), at most
 *             255 bytes; port 1..65535.  The scheme is case-insensitive.
 *   bucket    1..255 of [A-Za-z0-9._-] for path style; virtual-hosted
 *             addressing puts it in a DNS name, so there it must be 3..63
 *             of [a-z0-9.-], start and end with a letter or digit and hold
 *             no "..", and the endpoint must be a DNS name, not an address.
 *   key       1..LIMIT_S3_KEY_BYTES of valid UTF-8 without C0 or C1
 *             control characters or DEL.
 *
 * The URL's path is encoded with sigv4_uri_append() ('/' kept): the very
 * encoding SigV4 gives S3's canonical path, so the path S3 recomputes from
 * the URL is the one that was signed.  The scheme's default port is left
 * out of Host, as browsers and the AWS SDK do.
 *
 * Nothing here does I/O besides a log line naming what was refused.  The
 * functions are reentrant.
 */
#ifndef S3LOC_H
#define S3LOC_H

#include "err.h"

enum s3loc_addressing {
	S3LOC_PATH_STYLE = 0,		/* http://host:port/bucket/key */
	S3LOC_VIRTUAL_HOSTED,		/* https://bucket.host/key */
};

/*
 * What s3loc_locate() returns, each string malloc'd:
 *   host  the Host header value (with ":port" unless the scheme's default);
 *   path  the raw path to sign ("/bucket/key" or "/key"), not encoded;
 *   url   scheme://host + the encoded path, no query: the URL to request.
 */
struct s3loc {
	char	*host;
	char	*path;
	char	*url;
};

/*
 * Locate key in bucket behind endpoint (grammar at the head of this file).
 * Returns ERR_OK with *out filled (free with s3loc_free()), ERR_INVAL for
 * anything outside the grammar (logged, *out left empty), ERR_NOMEM.
 */
enum err	s3loc_locate(const char *endpoint, const char *bucket,
		    const char *key, enum s3loc_addressing, struct s3loc *out);
/*
 * The bucket itself, for bucket requests (ListObjectsV2, DeleteObjects, the
 * health probe's HEAD): path "/bucket" (path style) or "/" (virtual-
 * hosted), checked and returned as s3loc_locate() does, without a key.
 */
enum err	s3loc_bucket(const char *endpoint, const char *bucket,
		    enum s3loc_addressing, struct s3loc *out);
/* Frees and empties *loc; NULL and an empty struct are no-ops. */
void		s3loc_free(struct s3loc *loc);

#endif /* S3LOC_H */
