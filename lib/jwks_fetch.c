/*
 * jwks_fetch.c: download a JWKS document with libcurl.
 *
 * The only I/O in the JWT path; everything it returns goes through
 * jwks_parse().  Programs should call curl_global_init() once at start-up
 * before any thread uses this.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "jwks_fetch.h"
#include "log.h"

struct jwks_fetch_buf {
	char	*data;
	size_t	 len;
	size_t	 max;
	int	 too_large;
	int	 nomem;
};

static size_t
jwks_fetch_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct jwks_fetch_buf *b = arg;
	size_t n = size * nmemb;
	char *p;

	if (n > b->max - b->len) {
		b->too_large = 1;
		return 0;
	}
	if ((p = realloc(b->data, b->len + n + 1)) == NULL) {
		b->nomem = 1;
		return 0;
	}
	b->data = p;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static int
jwks_fetch_scheme_ok(const char *url)
{
	return strncasecmp(url, "https://", 8) == 0 ||
	    strncasecmp(url, "http://", 7) == 0 ||
	    strncasecmp(url, "file://", 7) == 0;
}

enum err
jwks_fetch_url(void *arg, const char *url, long timeout_ms, size_t max,
    char **body, size_t *len)
{
	struct jwks_fetch_buf b = { NULL, 0, max, 0, 0 };
	CURL *curl = NULL;
	CURLcode cc;
	long status = 0;
	enum err rc = ERR_INVAL;

	(void)arg;
	*body = NULL;
	*len = 0;
	if (!jwks_fetch_scheme_ok(url)) {
		log_error("JWKS URL %s: only https, http and file are allowed",
		    url);
		goto out;
	}
	rc = ERR_NOMEM;
	if ((curl = curl_easy_init()) == NULL)
		goto out;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http,file");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, jwks_fetch_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "audio-capture-jwks/1");
	cc = curl_easy_perform(curl);
	if (b.nomem) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (b.too_large || cc == CURLE_FILESIZE_EXCEEDED) {
		log_error("JWKS from %s is over %zu bytes", url, max);
		rc = ERR_TOO_LARGE;
		goto out;
	}
	if (cc != CURLE_OK) {
		log_error("JWKS fetch from %s: %s", url, curl_easy_strerror(cc));
		rc = ERR_UNAVAILABLE;
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (strncasecmp(url, "file://", 7) != 0 && status != 200) {
		log_error("JWKS fetch from %s: HTTP status %ld", url, status);
		rc = ERR_UPSTREAM;
		goto out;
	}
	if (b.data == NULL && (b.data = calloc(1, 1)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	*body = b.data;
	*len = b.len;
	b.data = NULL;
	rc = ERR_OK;
out:
	free(b.data);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return rc;
}
