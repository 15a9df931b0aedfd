/*
 * jwksshare.c: the Cognito signing keys fetched once per host, not once
 * per worker, and never on a request's path.
 *
 * Each worker's verifier fetches its keys on a thread of its own
 * (cognito_refresh_in_background), so a slow key server never holds a
 * request: a token whose kid is unknown is answered 503 (retry) while a
 * fetch is due and 401 once one has run, without waiting.  The workers of
 * a host share what was fetched and when through a small file of the host
 * (hoststate.c; by default <journal>.jwks: a header line "v1 <attempt ms>
 * <url>", then the last good document).  The fetch function below takes the file's lock
 * (on the refresher thread, or at worker start-up, never on a request)
 * and, if any worker attempted a fetch of the same URL within
 * LIMIT_JWKS_REFETCH_SECONDS, hands back the file's document instead of
 * asking the key server again: a flood of made-up kids costs the key
 * server one request per 10 s per host, not per worker.  Without the file
 * (a read-only directory) each worker fetches for itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "jwks_fetch.h"
#include "limit.h"
#include "log.h"

#define JWKSSHARE_SUFFIX	".jwks"
#define JWKSSHARE_HEAD_MAX	(32 + 1024 + 2)	/* "v1 <ms> <url>\n" */

/*
 * The file's document if a fetch of url was attempted within the refetch
 * interval (a copy in *body, or ERR_UNAVAILABLE when that attempt found
 * nothing good); ERR_NOT_FOUND when it is time to fetch.
 */
static enum err
jwksshare_recent(int fd, const char *url, size_t max, char **body,
    size_t *blen)
{
	char *buf, *nl, *sp, *end;
	long long at;
	size_t len = 0;
	enum err rc = ERR_NOT_FOUND;

	if ((buf = hoststate_read(fd, max + JWKSSHARE_HEAD_MAX, &len)) ==
	    NULL)
		return ERR_NOT_FOUND;
	if (strncmp(buf, "v1 ", 3) != 0 || (nl = memchr(buf, '\n', len)) ==
	    NULL || (sp = memchr(buf + 3, ' ', (size_t)(nl - buf - 3))) == NULL)
		goto out;
	*nl = '\0';
	*sp = '\0';
	errno = 0;
	at = strtoll(buf + 3, &end, 10);
	if (errno != 0 || *end != '\0' || strcmp(sp + 1, url) != 0)
		goto out;
	if (clock_wall_ms() - at >= LIMIT_JWKS_REFETCH_SECONDS * 1000LL ||
	    clock_wall_ms() < at)
		goto out;
	len -= (size_t)(nl + 1 - buf);
	if (len == 0 || len > max) {
		rc = ERR_UNAVAILABLE;	/* tried recently, nothing good */
		goto out;
	}
	if ((*body = malloc(len + 1)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	memcpy(*body, nl + 1, len);
	(*body)[len] = '\0';
	*blen = len;
	rc = ERR_OK;
out:
	free(buf);
	return rc;
}

/* Record an attempt: its time, and the document if it was good (else the
 * last good one stays). */
static void
jwksshare_record(int fd, const char *url, const char *body, size_t blen,
    size_t max)
{
	char head[JWKSSHARE_HEAD_MAX], *old = NULL, *doc;
	size_t olen = 0, dlen;
	int n;

	n = snprintf(head, sizeof(head), "v1 %" PRId64 " %s\n",
	    clock_wall_ms(), url);
	if (n < 0 || (size_t)n >= sizeof(head) || strchr(url, '\n') != NULL)
		return;
	doc = (char *)body;
	dlen = blen;
	if (body == NULL && (old = hoststate_read(fd, max + JWKSSHARE_HEAD_MAX,
	    &olen)) != NULL) {
		/* Keep the last good document behind the new header. */
		doc = memchr(old, '\n', olen);
		dlen = doc != NULL ? olen - (size_t)(doc + 1 - old) : 0;
		doc = doc != NULL ? doc + 1 : NULL;
	}
	if (hoststate_replace(fd, head, (size_t)n, doc, dlen) != 0)
		log_warn("cannot record the signing keys: %s", strerror(errno));
	free(old);
}

enum err
jwksshare_fetch(void *arg, const char *url, long timeout_ms, size_t max,
    char **body, size_t *len)
{
	const struct app *app = arg;
	char path[HOSTSTATE_PATH_SIZE];
	enum err rc;
	int fd;

	*body = NULL;
	*len = 0;
	fd = hoststate_open(app->conf, JWKSSHARE_SUFFIX, path, sizeof(path));
	if (fd < 0 || hoststate_lock(fd, 1) != 0) {
		if (fd >= 0)
			close(fd);
		return jwks_fetch_url(NULL, url, timeout_ms, max, body, len);
	}
	rc = jwksshare_recent(fd, url, max, body, len);
	if (rc == ERR_NOT_FOUND) {
		rc = jwks_fetch_url(NULL, url, timeout_ms, max, body, len);
		jwksshare_record(fd, url, rc == ERR_OK ? *body : NULL, *len,
		    max);
	}
	hoststate_unlock(fd);
	close(fd);
	return rc;
}
