/*
 * test_s3loc.c: lib/storage/s3loc.c, endpoint + bucket + key -> Host, path
 * to sign and URL: the endpoint grammar (scheme, host, port, nothing
 * else), the default port left out of Host, the bucket rules of each
 * addressing style, the key rules (strict UTF-8, no control characters,
 * S3's length) and the URL's path encoded as SigV4 signs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"
#include "s3loc.h"
#include "sigv4.h"
#include "unit.h"

/* ERR_INVAL, with *out left empty. */
static void
refused(const char *endpoint, const char *bucket, const char *key,
    enum s3loc_addressing a)
{
	struct s3loc l;

	CU_ASSERT_EQUAL(s3loc_locate(endpoint, bucket, key, a, &l), ERR_INVAL);
	CU_ASSERT_PTR_NULL(l.host);
	CU_ASSERT_PTR_NULL(l.path);
	CU_ASSERT_PTR_NULL(l.url);
}

/* A string of n copies of c (n < 2048). */
static const char *
rep(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void
locate_parses_endpoints_and_addressing(void)
{
	struct s3loc l;
	static const char *bad_endpoints[] = {
		"ftp://h", "h:80", "http://", "http://h/path", "http://h?x",
		"http://user@h", "http://h:0", "http://h:70000", "http://h:",
		"http://h:8a", "http://[::1", "http://h h", NULL,
	};
	size_t i;

	CU_ASSERT_EQUAL_FATAL(s3loc_locate("http://127.0.0.1:4568",
	    "audio", "users/u/a b.webm", S3LOC_PATH_STYLE, &l), ERR_OK);
	CU_ASSERT_STRING_EQUAL(l.host, "127.0.0.1:4568");
	CU_ASSERT_STRING_EQUAL(l.path, "/audio/users/u/a b.webm");
	CU_ASSERT_STRING_EQUAL(l.url,
	    "http://127.0.0.1:4568/audio/users/u/a%20b.webm");
	s3loc_free(&l);

	CU_ASSERT_EQUAL_FATAL(s3loc_locate(
	    "https://s3.eu-west-1.amazonaws.com/", "my-bucket", "k",
	    S3LOC_VIRTUAL_HOSTED, &l), ERR_OK);
	CU_ASSERT_STRING_EQUAL(l.host, "my-bucket.s3.eu-west-1.amazonaws.com");
	CU_ASSERT_STRING_EQUAL(l.path, "/k");
	CU_ASSERT_STRING_EQUAL(l.url,
	    "https://my-bucket.s3.eu-west-1.amazonaws.com/k");
	s3loc_free(&l);

	/* The scheme's default port is not part of Host. */
	CU_ASSERT_EQUAL_FATAL(s3loc_locate("https://h.example:443", "b",
	    "k", S3LOC_PATH_STYLE, &l), ERR_OK);
	CU_ASSERT_STRING_EQUAL(l.host, "h.example");
	s3loc_free(&l);
	CU_ASSERT_EQUAL_FATAL(s3loc_locate("http://[::1]:9000", "b",
	    "k", S3LOC_PATH_STYLE, &l), ERR_OK);
	CU_ASSERT_STRING_EQUAL(l.host, "[::1]:9000");
	s3loc_free(&l);

	for (i = 0; bad_endpoints[i] != NULL; i++) {
		CU_ASSERT_EQUAL(s3loc_locate(bad_endpoints[i], "b", "k",
		    S3LOC_PATH_STYLE, &l), ERR_INVAL);
		CU_ASSERT_PTR_NULL(l.url);
	}
	/* Virtual-hosted needs a DNS name and a DNS-safe bucket. */
	CU_ASSERT_EQUAL(s3loc_locate("http://127.0.0.1:4568", "b1b",
	    "k", S3LOC_VIRTUAL_HOSTED, &l), ERR_INVAL);
	CU_ASSERT_EQUAL(s3loc_locate("https://s3.example", "Upper",
	    "k", S3LOC_VIRTUAL_HOSTED, &l), ERR_INVAL);
	CU_ASSERT_EQUAL(s3loc_locate("https://s3.example", "a/b",
	    "k", S3LOC_PATH_STYLE, &l), ERR_INVAL);
	CU_ASSERT_EQUAL(s3loc_locate("https://s3.example", "",
	    "k", S3LOC_PATH_STYLE, &l), ERR_INVAL);
}

static void
default_port_is_left_out_of_host_others_kept(void)
{
	struct s3loc l;
	static const struct {
		const char *endpoint, *host;
	} cases[] = {
		{ "http://h.example:80", "h.example" },
		{ "https://h.example:443/", "h.example" },
		{ "http://h.example:443", "h.example:443" },
		{ "https://h.example:80", "h.example:80" },
		{ "http://h.example:080", "h.example" },
		{ "http://h.example:65535", "h.example:65535" },
		{ "HTTPS://H.Example", "H.Example" },
		{ "http://[::ffff:127.0.0.1]", "[::ffff:127.0.0.1]" },
		{ "http://minio_1:9000", "minio_1:9000" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(s3loc_locate(cases[i].endpoint, "b", "k",
		    S3LOC_PATH_STYLE, &l), ERR_OK);
		CU_ASSERT_STRING_EQUAL(l.host, cases[i].host);
		s3loc_free(&l);
	}
	/* The scheme keeps its case in nothing we write. */
	CU_ASSERT_EQUAL_FATAL(s3loc_locate("HTTPS://h.example", "b", "k",
	    S3LOC_PATH_STYLE, &l), ERR_OK);
	CU_ASSERT_STRING_EQUAL(l.url, "https://h.example/b/k");
	s3loc_free(&l);
}

static void
endpoint_is_scheme_host_and_port_only(void)
{
	char big[2048], url[2100];
	static const char *bad[] = {
		"", "http:/h", "http//h", "https:h", "file:///etc/passwd",
		"http://h//", "http://h/.", "http://h#frag", "http://h/?x",
		"http://u:p@h", "http://h:+80", "http://h: 80", "http://h:-1",
		"http://h:65536", "http://h:123456", "http://h:80:90",
		"http://[]", "http://[::1]x", "http://[::1]:", "http://[g::1]",
		"http://a]b", "http://a[b", "http://h\tx", "http://h%2e",
		"http://:80", "http://h\\x", NULL,
	};
	size_t i;

	for (i = 0; bad[i] != NULL; i++)
		refused(bad[i], "b", "k", S3LOC_PATH_STYLE);
	refused(NULL, "b", "k", S3LOC_PATH_STYLE);

	/* A host of 255 bytes is a host; 256 is not. */
	snprintf(url, sizeof(url), "http://%s", rep(big, 'h', 255));
	{
		struct s3loc l;

		CU_ASSERT_EQUAL(s3loc_locate(url, "b", "k", S3LOC_PATH_STYLE,
		    &l), ERR_OK);
		s3loc_free(&l);
	}
	snprintf(url, sizeof(url), "http://%s", rep(big, 'h', 256));
	refused(url, "b", "k", S3LOC_PATH_STYLE);
	/* Nor an endpoint longer than any URL we sign. */
	{
		char *huge = malloc(LIMIT_SIGV4_URL_BYTES + 16);

		CU_ASSERT_PTR_NOT_NULL_FATAL(huge);
		memcpy(huge, "http://h/", 9);
		memset(huge + 9, 'x', LIMIT_SIGV4_URL_BYTES);
		huge[LIMIT_SIGV4_URL_BYTES + 9] = '\0';
		refused(huge, "b", "k", S3LOC_PATH_STYLE);
		free(huge);
	}
	/* An addressing style that does not exist. */
	refused("http://h", "b", "k", (enum s3loc_addressing)7);
}

static void
bucket_rules_follow_the_addressing_style(void)
{
	struct s3loc l;
	char big[2048];
	static const char *dns_bad[] = {
		"ab", "-ab", "ab-", ".ab", "ab.", "a..b", "a_b", "aBc", "a b",
		NULL,
	};
	size_t i;

	/* Path style: the legacy set, up to 255 bytes. */
	CU_ASSERT_EQUAL_FATAL(s3loc_locate("http://h", "Legacy_Bucket.1",
	    "k", S3LOC_PATH_STYLE, &l), ERR_OK);
	CU_ASSERT_STRING_EQUAL(l.path, "/Legacy_Bucket.1/k");
	s3loc_free(&l);
	CU_ASSERT_EQUAL(s3loc_locate("http://h", rep(big, 'b', 255), "k",
	    S3LOC_PATH_STYLE, &l), ERR_OK);
	s3loc_free(&l);
	refused("http://h", rep(big, 'b', 256), "k", S3LOC_PATH_STYLE);
	refused("http://h", NULL, "k", S3LOC_PATH_STYLE);
	refused("http://h", "a?b", "k", S3LOC_PATH_STYLE);
	refused("http://h", "a%2fb", "k", S3LOC_PATH_STYLE);

	/* Virtual-hosted: a DNS label, 3..63. */
	CU_ASSERT_EQUAL_FATAL(s3loc_locate("https://s3.example", "a.b-c",
	    "k", S3LOC_VIRTUAL_HOSTED, &l), ERR_OK);
	CU_ASSERT_STRING_EQUAL(l.host, "a.b-c.s3.example");
	CU_ASSERT_STRING_EQUAL(l.url, "https://a.b-c.s3.example/k");
	s3loc_free(&l);
	CU_ASSERT_EQUAL(s3loc_locate("https://s3.example", rep(big, 'b', 63),
	    "k", S3LOC_VIRTUAL_HOSTED, &l), ERR_OK);
	s3loc_free(&l);
	refused("https://s3.example", rep(big, 'b', 64), "k",
	    S3LOC_VIRTUAL_HOSTED);
	for (i = 0; dns_bad[i] != NULL; i++)
		refused("https://s3.example", dns_bad[i], "k",
		    S3LOC_VIRTUAL_HOSTED);
	/* ... behind a name, never an address. */
	refused("http://10.0.0.1", "bucket", "k", S3LOC_VIRTUAL_HOSTED);
	refused("http://[::1]:9000", "bucket", "k", S3LOC_VIRTUAL_HOSTED);
	/* ... and the Host it makes must still be a host: the signer takes
	 * 255 bytes at most, so a longer one is a configuration error here,
	 * not a failure of every request. */
	{
		char url[sizeof(big) + 16];

		snprintf(url, sizeof(url), "https://%s", rep(big, 'h', 250));
		refused(url, "bucket", "k", S3LOC_VIRTUAL_HOSTED);
		CU_ASSERT_EQUAL(s3loc_locate(url, "bucket", "k",
		    S3LOC_PATH_STYLE, &l), ERR_OK);
		s3loc_free(&l);
	}
}

static void
keys_are_strict_utf8_without_controls_up_to_s3s_limit(void)
{
	struct s3loc l;
	char big[LIMIT_S3_KEY_BYTES + 2];
	static const char *bad[] = {
		"", "bad\xc3(utf8", "overlong\xc0\xaf", "overlong\xe0\x80\xaf",
		"surrogate\xed\xa0\x80", "above\xf4\x90\x80\x80",
		"cut\xe1\x88", "cut\xf0", "lone\x80", "lead\xff",
		"new\nline", "tab\tkey", "del\x7f", "c1\xc2\x85", "c1\xc2\x9f",
		"esc\x1b[31m", NULL,
	};
	size_t i;

	for (i = 0; bad[i] != NULL; i++)
		refused("http://h", "b", bad[i], S3LOC_PATH_STYLE);
	refused("http://h", "b", NULL, S3LOC_PATH_STYLE);

	/* The edges of what is text: U+00A0, U+FFFD, U+10FFFF. */
	CU_ASSERT_EQUAL_FATAL(s3loc_locate("http://h", "b",
	    "\xc2\xa0\xef\xbf\xbd\xf4\x8f\xbf\xbf", S3LOC_PATH_STYLE, &l),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(l.url, "http://h/b/%C2%A0%EF%BF%BD%F4%8F%BF%BF");
	s3loc_free(&l);

	/* S3's limit counts bytes. */
	CU_ASSERT_EQUAL(s3loc_locate("http://h", "b",
	    rep(big, 'k', LIMIT_S3_KEY_BYTES), S3LOC_PATH_STYLE, &l), ERR_OK);
	s3loc_free(&l);
	refused("http://h", "b", rep(big, 'k', LIMIT_S3_KEY_BYTES + 1),
	    S3LOC_PATH_STYLE);
}

static void
url_path_is_the_path_sigv4_signs(void)
{
	struct s3loc l;
	char *enc = NULL;

	/* Nothing in a key is resolved or collapsed: "..", "//", "%2f", "?"
	 * and "#" are bytes of the key, encoded, and never reach the URL's
	 * structure. */
	CU_ASSERT_EQUAL_FATAL(s3loc_locate("http://127.0.0.1:4568", "audio",
	    "../a//b%2f?x=1#f ~+", S3LOC_PATH_STYLE, &l), ERR_OK);
	CU_ASSERT_STRING_EQUAL(l.path, "/audio/../a//b%2f?x=1#f ~+");
	CU_ASSERT_STRING_EQUAL(l.url, "http://127.0.0.1:4568/audio/../a//"
	    "b%252f%3Fx%3D1%23f%20~%2B");
	CU_ASSERT_EQUAL_FATAL(sigv4_uri_encode(l.path, strlen(l.path), 1,
	    &enc), ERR_OK);
	CU_ASSERT_STRING_EQUAL(l.url + strlen("http://127.0.0.1:4568"), enc);
	free(enc);
	s3loc_free(&l);
	/* Freeing twice, or nothing, is harmless. */
	s3loc_free(&l);
	s3loc_free(NULL);
}

static void
bucket_is_located_without_a_key(void)
{
	struct s3loc l;

	CU_ASSERT_EQUAL_FATAL(s3loc_bucket("http://127.0.0.1:4568", "audio",
	    S3LOC_PATH_STYLE, &l), ERR_OK);
	CU_ASSERT_STRING_EQUAL(l.host, "127.0.0.1:4568");
	CU_ASSERT_STRING_EQUAL(l.path, "/audio");
	CU_ASSERT_STRING_EQUAL(l.url, "http://127.0.0.1:4568/audio");
	s3loc_free(&l);
	CU_ASSERT_EQUAL_FATAL(s3loc_bucket("https://s3.eu-west-1.amazonaws.com",
	    "my-bucket", S3LOC_VIRTUAL_HOSTED, &l), ERR_OK);
	CU_ASSERT_STRING_EQUAL(l.host, "my-bucket.s3.eu-west-1.amazonaws.com");
	CU_ASSERT_STRING_EQUAL(l.path, "/");
	CU_ASSERT_STRING_EQUAL(l.url,
	    "https://my-bucket.s3.eu-west-1.amazonaws.com/");
	s3loc_free(&l);

	/* The endpoint and bucket rules are the same; a NULL key is not
	 * the bucket for s3loc_locate(). */
	CU_ASSERT_EQUAL(s3loc_bucket("http://h/x", "b", S3LOC_PATH_STYLE, &l),
	    ERR_INVAL);
	CU_ASSERT_PTR_NULL(l.url);
	CU_ASSERT_EQUAL(s3loc_bucket("http://10.0.0.1", "bucket",
	    S3LOC_VIRTUAL_HOSTED, &l), ERR_INVAL);
	CU_ASSERT_EQUAL(s3loc_bucket("http://h", "a/b", S3LOC_PATH_STYLE, &l),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(s3loc_locate("http://h", "b", NULL, S3LOC_PATH_STYLE,
	    &l), ERR_INVAL);
	CU_ASSERT_PTR_NULL(l.path);
}

int
test_s3loc_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("s3loc", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "locate_parses_endpoints_and_addressing",
	    locate_parses_endpoints_and_addressing) == NULL ||
	    CU_add_test(s, "default_port_is_left_out_of_host_others_kept",
	    default_port_is_left_out_of_host_others_kept) == NULL ||
	    CU_add_test(s, "endpoint_is_scheme_host_and_port_only",
	    endpoint_is_scheme_host_and_port_only) == NULL ||
	    CU_add_test(s, "bucket_rules_follow_the_addressing_style",
	    bucket_rules_follow_the_addressing_style) == NULL ||
	    CU_add_test(s, "keys_are_strict_utf8_without_controls_up_to_"
	    "s3s_limit", keys_are_strict_utf8_without_controls_up_to_s3s_limit)
	    == NULL ||
	    CU_add_test(s, "url_path_is_the_path_sigv4_signs",
	    url_path_is_the_path_sigv4_signs) == NULL ||
	    CU_add_test(s, "bucket_is_located_without_a_key",
	    bucket_is_located_without_a_key) == NULL)
		return -1;
	return 0;
}
