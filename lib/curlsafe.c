/*
 * curlsafe.c: hardened libcurl options, set once for every caller (see
 * curlsafe.h for why each one).
 *
 * Redirects are refused with both FOLLOWLOCATION and MAXREDIRS so a
 * caller that later turns following on by mistake still goes nowhere.
 * A 3xx answer then reaches the caller as a status, which each caller
 * already treats as an upstream error.
 */
#include "curlsafe.h"

CURLcode
curlsafe_setup(CURL *c, const char *url, const char *protocols,
    long timeout_ms, long connect_timeout_ms)
{
	CURLcode cc;

	if (connect_timeout_ms <= 0)
		connect_timeout_ms = timeout_ms;
	if ((cc = curl_easy_setopt(c, CURLOPT_URL, url)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_MAXREDIRS, 0L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    connect_timeout_ms)) != CURLE_OK)
		return cc;
	return CURLE_OK;
}
