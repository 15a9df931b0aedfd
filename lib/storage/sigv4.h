/*
 * sigv4.h: AWS Signature Version 4 (AWS4-HMAC-SHA256).
 *
 * Two ways to authorise a request to S3, EventBridge or any other AWS
 * service:
 *   - sigv4_sign() signs a request in headers: it returns the Authorization
 *     value and the other headers the caller must send (x-amz-date,
 *     x-amz-content-sha256 for S3, x-amz-security-token);
 *   - sigv4_presign() / sigv4_presign_url() build a presigned query string or
 *     a whole URL (X-Amz-Algorithm ... X-Amz-Signature) that a browser can use
 *     without credentials until it expires.
 *
 * Canonicalisation follows the service: for "s3" the path is URI-encoded
 * once with '/' kept and no dot-segment normalisation (an S3 key may contain
 * "//" or ".."); for every other service the path is normalised (dot
 * segments removed, runs of '/' collapsed) and URI-encoded twice.  Query
 * parameters are sorted by encoded name, then encoded value.  Header names
 * are lower-cased, values trimmed with inner whitespace runs collapsed to one
 * space, and repeated headers joined with ',' in the order given.
 *
 * Every header the caller passes is signed ("signed headers of the caller's
 * choosing"): pass content-type, x-amz-meta-*, x-amz-server-side-encryption
 * etc. so that S3 refuses a request that changes them.  Host is always
 * signed.  A presign may instead hoist x-amz-* headers into the query
 * (struct sigv4_presign), where the signature covers them too.
 *
 * The functions take raw method/host/path/query/headers plus region, service
 * and time, so the public AWS test-suite vectors can be fed directly, and
 * hand back the canonical request and string-to-sign for tests.
 *
 * Nothing here does I/O.  The derived signing key is cached in the signer
 * per date/region/service (the cache belongs to the signer's credentials and
 * is wiped when they change).  The signer also keeps the buffers a
 * signature is built in from call to call (wiped with the credentials and
 * by sigv4_signer_free()), so that a presign allocates only its URL.
 *
 * THREAD SAFETY: a struct sigv4_signer is NOT thread-safe (its key cache is
 * written on every call).  Use one signer per worker process or thread; the
 * free functions (sigv4_sha256_hex, sigv4_uri_encode) are reentrant.
 */
#ifndef SIGV4_H
#define SIGV4_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "s3loc.h"

#define SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD	"UNSIGNED-PAYLOAD"
/* Hex SHA-256 / signature length, without the NUL. */
#define SIGV4_HEX_LEN		64
/* "20150830T123600Z" */
#define SIGV4_AMZ_DATE_LEN	16

struct buf;
struct sigv4_signer;

/* One header; name compared case-insensitively. */
struct sigv4_header {
	const char	*name;
	const char	*value;
};

/*
 * A request to sign in headers.
 *   method   "GET", "PUT", ... (upper-case token).
 *   host     Host header value, with ":port" when the URL has a non-default
 *            port ("127.0.0.1:4568").  May be NULL if headers[] holds Host;
 *            giving both is an error.
 *   path     the raw, NOT percent-encoded path ("/bucket/my key.txt"); NULL
 *            or "" means "/".  A '%' is a literal percent.
 *   query    the query string without '?', or NULL.  %XX escapes are
 *            decoded before canonical re-encoding ('+' is a literal plus),
 *            so raw ("a b=ሴ") and encoded ("a%20b=%E1%88%B4") forms sign the
 *            same.  "name" without '=' means "name=".
 *   headers  headers to sign besides those the signer adds.  X-Amz-Date may
 *            be among them only with the value `now` gives;
 *            X-Amz-Content-Sha256 only with the payload hash used.
 *   payload_hash  lower-case hex SHA-256 of the body, or
 *            SIGV4_UNSIGNED_PAYLOAD; NULL: computed from body/body_len.
 *   region, service  e.g. "eu-west-1", "s3" / "events".  "s3" selects the
 *            S3 rules (path encoded once, x-amz-content-sha256 sent).
 *   now      the signing time (UTC seconds).
 *   token_unsigned  if the signer has a session token: 0 (normal) signs
 *            x-amz-security-token; 1 leaves it out of the signature and only
 *            returns it among the headers to add (the test suite's
 *            post-sts-header-after case; some services want that).
 */
struct sigv4_request {
	const char			*method;
	const char			*host;
	const char			*path;
	const char			*query;
	const struct sigv4_header	*headers;
	size_t				 nheaders;
	const char			*payload_hash;
	const void			*body;
	size_t				 body_len;
	const char			*region;
	const char			*service;
	time_t				 now;
	int				 token_unsigned;
};

#define SIGV4_ADD_MAX	4

/*
 * The result of sigv4_sign().  add[0..nadd) are the headers the caller must
 * put on the wire in addition to its own: always Authorization, plus
 * X-Amz-Date, X-Amz-Content-Sha256 (S3) and X-Amz-Security-Token when the
 * request's headers did not already carry them.  Their strings point into
 * this struct or the signer: valid until sigv4_signed_free() or the signer's
 * credentials change.
 */
struct sigv4_signed {
	char			*authorization;	/* "AWS4-HMAC-SHA256 ..." */
	char			*canonical_request;
	char			*string_to_sign;
	char			*signed_headers;	/* "host;x-amz-date" */
	char			 signature[SIGV4_HEX_LEN + 1];
	char			 amz_date[SIGV4_AMZ_DATE_LEN + 1];
	char			 payload_hash[SIGV4_HEX_LEN + 1];
	struct sigv4_header	 add[SIGV4_ADD_MAX];
	size_t			 nadd;
};

/*
 * A request to presign.  Fields as in struct sigv4_request; headers[] are
 * the extra headers to sign (e.g. content-type,
 * x-amz-server-side-encryption): the client using the URL must send them
 * with exactly these values.  hoist[] are x-amz-* headers (x-amz-meta-*)
 * that travel in the query instead, signed as query parameters, as the AWS
 * SDK's S3 presigner does: the client sends nothing for them and S3 stores
 * them from the URL; a name may not be both signed and hoisted.  query
 * holds extra parameters (e.g. "partNumber=1&uploadId=..."), never the
 * presign's own X-Amz-Algorithm, -Credential, -Date, -Expires,
 * -SignedHeaders, -Signature, -Security-Token or -Content-Sha256.  The
 * payload is UNSIGNED-PAYLOAD for S3 and the empty body's hash otherwise.
 * expires is X-Amz-Expires in seconds, LIMIT_PRESIGN_EXPIRES_MIN..MAX
 * (1..604800).
 */
struct sigv4_presign {
	const char			*method;
	const char			*host;
	const char			*path;
	const char			*query;
	const struct sigv4_header	*headers;
	size_t				 nheaders;
	const struct sigv4_header	*hoist;
	size_t				 nhoist;
	const char			*region;
	const char			*service;
	time_t				 now;
	long				 expires;
};

/* The result of sigv4_presign(). */
struct sigv4_presigned {
	/* Canonical query string with X-Amz-Signature last, to append after
	 * '?' as is (already percent-encoded). */
	char	*query;
	char	*canonical_request;
	char	*string_to_sign;
	char	 signature[SIGV4_HEX_LEN + 1];
};

/*
 * Input to sigv4_presign_url().  endpoint is e.g.
 * "https://s3.eu-west-1.amazonaws.com" or "http://127.0.0.1:4568"; key is
 * the raw S3 key (1..LIMIT_S3_KEY_BYTES of UTF-8), encoded here.
 */
struct sigv4_url_req {
	const char			*endpoint;
	const char			*bucket;
	const char			*key;
	enum s3loc_addressing		 addressing;
	const char			*method;	/* "PUT", "GET", ... */
	const char			*region;
	const char			*query;		/* extra or NULL */
	const struct sigv4_header	*headers;	/* to sign */
	size_t				 nheaders;
	const struct sigv4_header	*hoist;		/* into the query */
	size_t				 nhoist;
	time_t				 now;
	long				 expires;
};

/*
 * Create a signer holding a copy of the credentials.  session_token may be
 * NULL (long-term keys).  Returns ERR_INVAL for an empty/over-long/ill-formed
 * access key id, secret or token, ERR_NOMEM, ERR_CRYPTO if OpenSSL lacks
 * HMAC/SHA-256.  Free with sigv4_signer_free().
 */
enum err	sigv4_signer_new(struct sigv4_signer **out,
		    const char *access_key_id, const char *secret_access_key,
		    const char *session_token);
/* Replace the credentials (e.g. rotated STS keys) and drop the key cache.
 * On error the signer keeps its old credentials. */
enum err	sigv4_signer_set_credentials(struct sigv4_signer *,
		    const char *access_key_id, const char *secret_access_key,
		    const char *session_token);
/* Wipes the secret and derived keys.  NULL is a no-op. */
void		sigv4_signer_free(struct sigv4_signer *);
/* Key-cache statistics (for tests and metrics): derivations done and cache
 * hits since creation. */
void		sigv4_signer_stats(const struct sigv4_signer *,
		    unsigned long *derived, unsigned long *hits);

/*
 * Sign a request in headers.  Fills *out (free with sigv4_signed_free();
 * on error *out is left empty and needs no free).  Errors: ERR_INVAL for a
 * bad method/host/path/query/header (control characters, CR/LF, malformed
 * %XX, too many headers or params per lib/limit.h), a region/service of the
 * wrong shape, a time outside 1970..9999, a conflicting X-Amz-Date/
 * X-Amz-Content-Sha256 header; ERR_NOMEM; ERR_CRYPTO.
 */
enum err	sigv4_sign(struct sigv4_signer *, const struct sigv4_request *,
		    struct sigv4_signed *out);
void		sigv4_signed_free(struct sigv4_signed *);

/*
 * Presign a request.  Errors as sigv4_sign(), plus ERR_INVAL for expires
 * outside 1..604800 or an X-Amz-* parameter in query.  Free *out with
 * sigv4_presigned_free().
 */
enum err	sigv4_presign(struct sigv4_signer *,
		    const struct sigv4_presign *, struct sigv4_presigned *out);
void		sigv4_presigned_free(struct sigv4_presigned *);

/*
 * Build a full presigned S3 URL for endpoint+bucket+key (service "s3"):
 * "https://bucket.s3.eu-west-1.amazonaws.com/key?X-Amz-Algorithm=...".
 * *url is malloc'd, the caller frees it.  Errors: those of s3loc_locate()
 * and sigv4_presign().
 */
enum err	sigv4_presign_url(struct sigv4_signer *,
		    const struct sigv4_url_req *, char **url);

/*
 * Lower-case hex SHA-256 of buf[0..len) into out (SIGV4_HEX_LEN + 1 bytes,
 * NUL-terminated).  ERR_CRYPTO if OpenSSL fails.
 */
enum err	sigv4_sha256_hex(const void *buf, size_t len,
		    char out[SIGV4_HEX_LEN + 1]);

/*
 * AWS URI-encode buf[0..len): unreserved A-Za-z0-9-._~ kept, every other
 * byte as %XX (upper-case hex); '/' is kept when keep_slash is non-zero (S3
 * object keys in paths) and encoded otherwise (query names and values).
 * *out is malloc'd and NUL-terminated.  ERR_NOMEM only.
 */
enum err	sigv4_uri_encode(const char *buf, size_t len, int keep_slash,
		    char **out);
/* The same, appended to b (its error sticky as buf.h says): for callers
 * that build a URL around the encoded part, as s3loc.c does. */
void		sigv4_uri_append(struct buf *b, const char *s, size_t n,
		    int keep_slash);

#endif /* SIGV4_H */
