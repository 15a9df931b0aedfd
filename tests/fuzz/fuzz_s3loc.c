/*
 * fuzz_s3loc.c: libFuzzer target for lib/storage/s3loc.c.
 *
 * Input: one byte choosing the addressing (its value % 3: 0 path style, 1
 * virtual-hosted, 2 a value that is neither) and, when (value / 3) is odd,
 * the bucket itself (s3loc_bucket(), the key ignored); then endpoint '|'
 * bucket '|' key (the key is everything after the second '|', so it may
 * hold '|' itself).  When the call accepts, what it wrote must be what
 * s3loc.h promises:
 *   - path is "/bucket/key" or "/key" ("/bucket" or "/"), byte for byte;
 *   - host is [bucket.]host[:port] of safe bytes, at most 255;
 *   - url is scheme://host + path in the SigV4 URI encoding, and
 *     decoding its path gives path back: nothing a key holds ("?", "#",
 *     "%2f", "..") changes the URL's structure;
 *   - the signer presigns the same object location (its own host and path
 *     checks agree with ours) and the presigned URL starts with url + '?'.
 * When it refuses, *out is empty.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "s3loc.h"
#include "sigv4.h"

#define FUZZ_S3LOC_PART_MAX	16384

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A NUL-terminated copy of s[0..n) (an embedded NUL ends it early, as it
 * would any C caller's string). */
static char *
dup_part(const uint8_t *s, size_t n)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The URL's bytes are unreserved, '/', or %XX with upper-case hex, and
 * decode to path. */
static void
check_url_path(const char *enc, const char *path)
{
	size_t i, o = 0;
	int hi, lo;
	char c;

	for (i = 0; enc[i] != '\0'; i++) {
		c = enc[i];
		if (c == '%') {
			if ((hi = hexval(enc[i + 1])) < 0 ||
			    (lo = hexval(enc[i + 2])) < 0)
				abort();
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || c == '/'))
			abort();
		if (path[o++] != c)
			abort();
	}
	if (path[o] != '\0')
		abort();
}

static void
check_host(const char *host, const char *bucket, int virt)
{
	size_t i, n = strlen(host);

	if (n == 0 || n > 255)
		abort();
	for (i = 0; i < n; i++)
		if (strchr("/?#@ %\\", host[i]) != NULL ||
		    (unsigned char)host[i] <= 0x20 ||
		    (unsigned char)host[i] >= 0x7f)
			abort();
	if (virt && (strncmp(host, bucket, strlen(bucket)) != 0 ||
	    host[strlen(bucket)] != '.'))
		abort();
}

static void
check_presign(const struct s3loc *l, const char *endpoint,
    const char *bucket, const char *key, enum s3loc_addressing a)
{
	static struct sigv4_signer *sg;
	struct sigv4_url_req u;
	char *url = NULL;
	size_t n = strlen(l->url);

	/* One signer for the run, as a worker has (left for exit to free). */
	if (sg == NULL && sigv4_signer_new(&sg, "AKIAIOSFODNN7EXAMPLE",
	    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL) != ERR_OK)
		abort();
	memset(&u, 0, sizeof(u));
	u.endpoint = endpoint;
	u.bucket = bucket;
	u.key = key;
	u.addressing = a;
	u.method = "PUT";
	u.region = "eu-west-1";
	u.now = (time_t)1764849600;
	u.expires = 900;
	if (sigv4_presign_url(sg, &u, &url) != ERR_OK ||
	    strncmp(url, l->url, n) != 0 || url[n] != '?')
		abort();
	free(url);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *bar1, *bar2, *in;
	char *endpoint = NULL, *bucket = NULL, *key = NULL, *want = NULL;
	const char *scheme_end;
	enum s3loc_addressing a;
	struct s3loc l;
	size_t n, hlen;
	int virt, whole;

	static int quiet;

	/* Refusals are logged at warn: one line per input drowns the run. */
	if (!quiet) {
		log_init("fuzz_s3loc", LOGL_ERROR, 2);
		quiet = 1;
	}
	if (size < 1 || size > 3 * FUZZ_S3LOC_PART_MAX)
		return 0;
	a = (enum s3loc_addressing)(data[0] % 3);
	virt = a == S3LOC_VIRTUAL_HOSTED;
	whole = (data[0] / 3) & 1;
	in = data + 1;
	n = size - 1;
	if ((bar1 = memchr(in, '|', n)) == NULL ||
	    (bar2 = memchr(bar1 + 1, '|', n - (size_t)(bar1 + 1 - in))) ==
	    NULL)
		return 0;
	endpoint = dup_part(in, (size_t)(bar1 - in));
	bucket = dup_part(bar1 + 1, (size_t)(bar2 - bar1 - 1));
	key = dup_part(bar2 + 1, n - (size_t)(bar2 + 1 - in));

	if ((whole ? s3loc_bucket(endpoint, bucket, a, &l) :
	    s3loc_locate(endpoint, bucket, key, a, &l)) != ERR_OK) {
		if (l.host != NULL || l.path != NULL || l.url != NULL)
			abort();
		goto out;
	}
	if ((int)a == 2 || l.host == NULL || l.path == NULL || l.url == NULL)
		abort();

	/* path, byte for byte */
	n = strlen(bucket) + strlen(key) + 3;
	if ((want = malloc(n)) == NULL)
		abort();
	if (virt)
		snprintf(want, n, "/%s", whole ? "" : key);
	else
		snprintf(want, n, "/%s%s%s", bucket, whole ? "" : "/",
		    whole ? "" : key);
	if (strcmp(l.path, want) != 0)
		abort();

	check_host(l.host, bucket, virt);

	/* url: scheme://host + encoded path */
	if (strncmp(l.url, "https://", 8) == 0)
		scheme_end = l.url + 8;
	else if (strncmp(l.url, "http://", 7) == 0)
		scheme_end = l.url + 7;
	else
		abort();
	hlen = strlen(l.host);
	if (strncmp(scheme_end, l.host, hlen) != 0 || scheme_end[hlen] != '/')
		abort();
	check_url_path(scheme_end + hlen, l.path);

	if (!whole)
		check_presign(&l, endpoint, bucket, key, a);
	s3loc_free(&l);
	if (l.host != NULL || l.path != NULL || l.url != NULL)
		abort();
out:
	free(want);
	free(endpoint);
	free(bucket);
	free(key);
	return 0;
}
