/*
 * s3loc.c: endpoint URL + bucket + key -> Host, path to sign, URL.
 *
 * Split from the signer because it is a parser with a grammar of its own
 * (s3loc.h), fed by the configuration and by keys built from client input,
 * and so fuzzed on its own (tests/fuzz/fuzz_s3loc.c).  s3loc_locate() parses
 * the endpoint into scheme, host and port (s3loc_endpoint()), checks the
 * bucket and key, then writes the three strings.  The signer uses it for
 * every presigned URL (sigv4_presign_url()) and fcgi/s3.c for every signed
 * request, and at start-up to check s3_endpoint and s3_bucket.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limit.h"
#include "log.h"
#include "s3loc.h"
#include "sigv4.h"

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

/* Strict UTF-8 (no overlongs, surrogates or > U+10FFFF), no C0/C1
 * controls or DEL, 1..LIMIT_S3_KEY_BYTES bytes. */
static int
s3loc_key_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, k;
	uint32_t cp;

	while (u[i] != '\0') {
		if (i >= LIMIT_S3_KEY_BYTES)
			return 0;
		if (u[i] < 0x80) {
			if (u[i] < 0x20 || u[i] == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((u[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = u[i] & 0x1f;
		} else if ((u[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = u[i] & 0x0f;
		} else if ((u[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = u[i] & 0x07;
		} else
			return 0;
		for (k = 1; k <= n; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (u[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += n + 1;
	}
	return i > 0 && i <= LIMIT_S3_KEY_BYTES;
}

/* The concatenation of up to four strings (NULL ends the list early) in
 * a fresh string, or NULL. */
static char *
s3loc_cat(const char *a, const char *b, const char *c, const char *d)
{
	const char *part[4] = { a, b, c, d };
	size_t len[4], n = 1, i, o = 0;
	char *s;

	for (i = 0; i < 4 && part[i] != NULL; i++)
		n += len[i] = strlen(part[i]);
	if ((s = malloc(n)) == NULL)
		return NULL;
	for (i = 0; i < 4 && part[i] != NULL; i++) {
		memcpy(s + o, part[i], len[i]);
		o += len[i];
	}
	s[o] = '\0';
	return s;
}

/* Host, path and URL into *out from checked parts. */
static enum err
s3loc_write(const struct s3loc_ep *ep, const char *bucket, const char *key,
    enum s3loc_addressing addressing, struct s3loc *out)
{
	char port[16] = "";
	char *enc = NULL;
	int virt = addressing == S3LOC_VIRTUAL_HOSTED;

	/* Host: the scheme's default port is left out, as browsers do. */
	if (ep->port != -1 && ep->port != (ep->https ? 443 : 80))
		snprintf(port, sizeof(port), ":%ld", ep->port);
	/* The signer takes a Host of at most 255 bytes: a longer one is a
	 * configuration error here, not a failure of every request. */
	if ((virt ? strlen(bucket) + 1 : 0) + strlen(ep->host) +
	    strlen(port) > S3LOC_HOST_MAX) {
		log_warn("bucket.host:port over %d bytes", S3LOC_HOST_MAX);
		return ERR_INVAL;
	}
	if (virt) {
		out->host = s3loc_cat(bucket, ".", ep->host, port);
		out->path = s3loc_cat("/", key, NULL, NULL);
	} else {
		out->host = s3loc_cat(ep->host, port, NULL, NULL);
		out->path = s3loc_cat("/", bucket, "/", key);
	}
	if (out->host == NULL || out->path == NULL ||
	    sigv4_uri_encode(out->path, strlen(out->path), 1, &enc) != ERR_OK)
		return ERR_NOMEM;
	out->url = s3loc_cat(ep->https ? "https://" : "http://", out->host,
	    enc, NULL);
	free(enc);
	return out->url != NULL ? ERR_OK : ERR_NOMEM;
}

enum err
s3loc_locate(const char *endpoint, const char *bucket, const char *key,
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
	if (key == NULL || !s3loc_key_ok(key)) {
		log_warn("object key empty, too long, not UTF-8 or has "
		    "control characters");
		return ERR_INVAL;
	}
	if ((e = s3loc_write(&ep, bucket, key, addressing, out)) != ERR_OK)
		s3loc_free(out);
	return e;
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
