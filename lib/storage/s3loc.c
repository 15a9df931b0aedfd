/*
 * s3loc.c: endpoint URL + bucket + key -> Host, path to sign, URL.
 *
 * Split from the signer because it is a parser with a grammar of its own
 * (s3loc.h), fed by the configuration and by keys built from client input,
 * and so fuzzed on its own (tests/fuzz/fuzz_s3loc.c).  s3loc_locate() parses
 * the endpoint into scheme, host and port (s3loc_endpoint()), checks the
 * bucket and key, then writes the three strings.  The signer uses it for
 * every presigned URL (sigv4_presign_url()), fcgi/s3.c for every signed
 * request (s3loc_bucket() for those on the bucket itself), and the config
 * check to try s3_endpoint and s3_bucket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "limit.h"
#include "log.h"
#include "s3loc.h"
#include "sigv4.h"
#include "utf8.h"

#define S3LOC_HOST_MAX		255	/* a DNS name's length */
#define S3LOC_BUCKET_MAX	255	/* path style, S3's legacy limit */
#define S3LOC_DNS_BUCKET_MIN	3
#define S3LOC_DNS_BUCKET_MAX	63

/* An endpoint, parsed. */
struct s3loc_ep {
	int	 https;
	char	 host[S3LOC_HOST_MAX + 1];	/* no port; IPv6 bracketed */
	long	 port;				/* -1: none given */
	int	 ipliteral;			/* an address, not a name */
};

/*
 * A DNS name or IPv4 address ([A-Za-z0-9._-], '_' as S3-compatible
 * servers on private networks use it), or an IPv6 literal in brackets
 * (hex digits, ':' and '.' for an embedded IPv4).  *ip: it is an address.
 */
static int
s3loc_host_ok(const char *h, size_t n, int *ip)
{
	size_t i;
	char c;

	*ip = 1;
	if (n == 0 || n > S3LOC_HOST_MAX)
		return 0;
	if (h[0] == '[') {
		if (n < 3 || h[n - 1] != ']')
			return 0;
		for (i = 1; i < n - 1; i++) {
			c = h[i];
			if (!((c >= '0' && c <= '9') ||
			    (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
			    c == ':' || c == '.'))
				return 0;
		}
		return 1;
	}
	for (i = 0; i < n; i++) {
		c = h[i];
		if (c >= '0' && c <= '9')
			continue;
		if (c == '.')
			continue;
		*ip = 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* ":1".."::65535" after the host: digits only, no sign, no leading
 * space, 1..65535. */
static int
s3loc_port(const char *s, size_t n, long *port)
{
	size_t i;
	long v = 0;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return 0;
	*port = v;
	return 1;
}

/* "http[s]://host[:port][/]" into *ep; each refusal logged. */
static enum err
s3loc_endpoint(const char *endpoint, struct s3loc_ep *ep)
{
	const char *auth, *end, *colon = NULL, *rb;
	size_t hlen;

	memset(ep, 0, sizeof(*ep));
	ep->port = -1;
	if (endpoint == NULL || strlen(endpoint) > LIMIT_SIGV4_URL_BYTES) {
		log_warn("endpoint missing or too long");
		return ERR_INVAL;
	}
	if (strncasecmp(endpoint, "https://", 8) == 0) {
		ep->https = 1;
		auth = endpoint + 8;
	} else if (strncasecmp(endpoint, "http://", 7) == 0)
		auth = endpoint + 7;
	else {
		log_warn("endpoint is not an http:// or https:// URL");
		return ERR_INVAL;
	}
	end = auth + strcspn(auth, "/?#");
	if (!(end[0] == '\0' || (end[0] == '/' && end[1] == '\0'))) {
		log_warn("endpoint may not carry a path, query or fragment");
		return ERR_INVAL;
	}
	/* host[:port]; an IPv6 literal keeps its brackets. */
	if (auth < end && auth[0] == '[') {
		if ((rb = memchr(auth, ']', (size_t)(end - auth))) == NULL) {
			log_warn("endpoint has an unclosed IPv6 literal");
			return ERR_INVAL;
		}
		if (rb + 1 < end) {
			if (rb[1] != ':') {
				log_warn("endpoint authority malformed");
				return ERR_INVAL;
			}
			colon = rb + 1;
		}
	} else
		colon = memchr(auth, ':', (size_t)(end - auth));
	hlen = (size_t)((colon != NULL ? colon : end) - auth);
	if (hlen == 0 || hlen > S3LOC_HOST_MAX) {
		log_warn("endpoint host empty or too long");
		return ERR_INVAL;
	}
	if (!s3loc_host_ok(auth, hlen, &ep->ipliteral)) {
		log_warn("endpoint host of a bad shape");
		return ERR_INVAL;
	}
	memcpy(ep->host, auth, hlen);
	ep->host[hlen] = '\0';
	if (colon != NULL && !s3loc_port(colon + 1,
	    (size_t)(end - colon - 1), &ep->port)) {
		log_warn("endpoint port malformed or out of range");
		return ERR_INVAL;
	}
	return ERR_OK;
}

/* The bucket rules of s3loc.h; dns: virtual-hosted. */
static int
s3loc_bucket_ok(const char *b, int dns)
{
	size_t i;
	char c;

	if (b == NULL || *b == '\0')
		return 0;
	for (i = 0; b[i] != '\0'; i++) {
		c = b[i];
		if (i >= (dns ? S3LOC_DNS_BUCKET_MAX : S3LOC_BUCKET_MAX))
			return 0;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.')
			continue;
		if (!dns && ((c >= 'A' && c <= 'Z') || c == '_'))
			continue;
		return 0;
	}
	if (dns && (i < S3LOC_DNS_BUCKET_MIN || b[0] == '-' || b[0] == '.' ||
	    b[i - 1] == '-' || b[i - 1] == '.' || strstr(b, "..") != NULL))
		return 0;
	return 1;
}

/*
 * 1..LIMIT_S3_KEY_BYTES of valid UTF-8 (lib/utf8.c) without C0 controls,
 * DEL or C1 controls (U+0080..U+009F, encoded 0xC2 0x80..0x9F): S3 takes
 * them, but they have no business in a key and break logs and consoles.
 */
static int
s3loc_key_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n;

	n = strnlen(s, LIMIT_S3_KEY_BYTES + 1);
	if (n == 0 || n > LIMIT_S3_KEY_BYTES || !utf8_valid(s, n))
		return 0;
	for (i = 0; i < n; i++)
		if (u[i] < 0x20 || u[i] == 0x7f ||
		    (u[i] == 0xc2 && u[i + 1] < 0xa0))
			return 0;
	return 1;
}

/* Host, path and URL into *out from checked parts; key NULL: the bucket
 * itself ("/bucket" or "/"). */
static enum err
s3loc_write(const struct s3loc_ep *ep, const char *bucket, const char *key,
    enum s3loc_addressing addressing, struct s3loc *out)
{
	struct buf b;
	int virt = addressing == S3LOC_VIRTUAL_HOSTED;

	buf_init(&b);
	/* Host: the scheme's default port is left out, as browsers do. */
	if (virt) {
		buf_adds(&b, bucket);
		buf_addc(&b, '.');
	}
	buf_adds(&b, ep->host);
	if (ep->port != -1 && ep->port != (ep->https ? 443 : 80))
		buf_addf(&b, ":%ld", ep->port);
	/* The signer takes a Host of at most 255 bytes: a longer one is a
	 * configuration error here, not a failure of every request. */
	if (buf_err(&b) == ERR_OK && b.len > S3LOC_HOST_MAX) {
		log_warn("bucket.host:port over %d bytes", S3LOC_HOST_MAX);
		buf_free(&b);
		return ERR_INVAL;
	}
	if ((out->host = buf_take(&b)) == NULL)
		return ERR_NOMEM;
	buf_addc(&b, '/');
	if (!virt) {
		buf_adds(&b, bucket);
		if (key != NULL)
			buf_addc(&b, '/');
	}
	buf_adds(&b, key);
	if ((out->path = buf_take(&b)) == NULL)
		return ERR_NOMEM;
	buf_adds(&b, ep->https ? "https://" : "http://");
	buf_adds(&b, out->host);
	sigv4_uri_append(&b, out->path, strlen(out->path), 1);
	if ((out->url = buf_take(&b)) == NULL)
		return ERR_NOMEM;
	return ERR_OK;
}

/* s3loc_locate() and s3loc_bucket(): key NULL is the bucket. */
static enum err
s3loc_make(const char *endpoint, const char *bucket, const char *key,
    enum s3loc_addressing addressing, struct s3loc *out)
{
	struct s3loc_ep ep;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = s3loc_endpoint(endpoint, &ep)) != ERR_OK)
		return e;
	if (addressing != S3LOC_PATH_STYLE &&
	    addressing != S3LOC_VIRTUAL_HOSTED) {
		log_warn("unknown S3 addressing %d", (int)addressing);
		return ERR_INVAL;
	}
	if (!s3loc_bucket_ok(bucket, addressing == S3LOC_VIRTUAL_HOSTED)) {
		log_warn("bucket name empty, too long or of a bad shape");
		return ERR_INVAL;
	}
	if (addressing == S3LOC_VIRTUAL_HOSTED && ep.ipliteral) {
		log_warn("virtual-hosted addressing needs a DNS endpoint");
		return ERR_INVAL;
	}
	if (key != NULL && !s3loc_key_ok(key)) {
		log_warn("object key empty, too long, not UTF-8 or has "
		    "control characters");
		return ERR_INVAL;
	}
	if ((e = s3loc_write(&ep, bucket, key, addressing, out)) != ERR_OK)
		s3loc_free(out);
	return e;
}

enum err
s3loc_locate(const char *endpoint, const char *bucket, const char *key,
    enum s3loc_addressing addressing, struct s3loc *out)
{
	if (key == NULL) {
		memset(out, 0, sizeof(*out));
		log_warn("object key missing");
		return ERR_INVAL;
	}
	return s3loc_make(endpoint, bucket, key, addressing, out);
}

enum err
s3loc_bucket(const char *endpoint, const char *bucket,
    enum s3loc_addressing addressing, struct s3loc *out)
{
	return s3loc_make(endpoint, bucket, NULL, addressing, out);
}

void
s3loc_free(struct s3loc *loc)
{
	if (loc == NULL)
		return;
	free(loc->host);
	free(loc->path);
	free(loc->url);
	memset(loc, 0, sizeof(*loc));
}
