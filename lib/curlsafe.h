/*
 * curlsafe.h: the one place libcurl handles are hardened.
 *
 * Every outbound request (S3, EventBridge, the instance-metadata and
 * container credential endpoints, the JWKS) goes through
 * curlsafe_setup() after curl_easy_reset(), so all of them refuse
 * redirects (a redirect would carry signed headers or credentials to
 * another host), speak only the protocols the caller names, never use
 * signals (the programs are multi-threaded and have their own handlers),
 * and are bounded in time.
 */
#ifndef CURLSAFE_H
#define CURLSAFE_H

#include <curl/curl.h>

/*
 * Set the URL and the hardening options on c:
 *   CURLOPT_PROTOCOLS_STR	protocols (e.g. "http,https")
 *   CURLOPT_FOLLOWLOCATION	0 (and CURLOPT_MAXREDIRS 0)
 *   CURLOPT_NOSIGNAL		1
 *   CURLOPT_TIMEOUT_MS		timeout_ms, the whole transfer
 *   CURLOPT_CONNECTTIMEOUT_MS	connect_timeout_ms (<= 0: timeout_ms)
 * Returns CURLE_OK or the first option curl refused.
 */
CURLcode	curlsafe_setup(CURL *c, const char *url, const char *protocols,
		    long timeout_ms, long connect_timeout_ms);

#endif /* CURLSAFE_H */
