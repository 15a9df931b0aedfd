/*
 * jwks_fetch.h: the I/O adapter that downloads a JWKS document.
 *
 * libcurl, restricted to https, http and file URLs (file:// is for local
 * setups without a user pool), no redirects to other protocols, a total
 * timeout and a size cap.  Matches jwks_fetch_fn in jwks_cache.h.
 */
#ifndef JWKS_FETCH_H
#define JWKS_FETCH_H

#include <stddef.h>

#include "err.h"

/*
 * Fetch url into a new NUL-terminated malloc'd buffer (*body, *len without
 * the NUL; the caller frees it).  arg is unused.  Errors: ERR_UNAVAILABLE
 * (cannot connect, timeout, file missing), ERR_UPSTREAM (HTTP status not
 * 200), ERR_TOO_LARGE (over max bytes), ERR_INVAL (scheme not allowed),
 * ERR_NOMEM.  Logs the failure with the URL (never a token).
 */
enum err	 jwks_fetch_url(void *arg, const char *url, long timeout_ms,
		    size_t max, char **body, size_t *len);

#endif /* JWKS_FETCH_H */
