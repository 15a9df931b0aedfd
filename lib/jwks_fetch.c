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

#include "curlsafe.h"
#include "jwks_fetch.h"
#include "httpbody.h"
#include "log.h"

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
	struct httpbody b = { .max = max };
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
	curlsafe_setup(curl, url, "https,http,file", timeout_ms, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, httpbody_write);
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
