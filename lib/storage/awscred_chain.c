/*
 * awscred_chain.c: the standard AWS credential chain, with refresh.
 *
 * Walks, in order: the program's configured keys (if any), the
 * environment, the shared credentials file, ECS container credentials and
 * EC2 instance metadata (IMDSv2: PUT a session token, then GET the role and
 * its credentials).  The first source with credentials wins.  Temporary
 * credentials are fetched again once they come within the refresh margin of
 * their expiry; while a refresh fails, still-valid credentials are kept
 * (and the refresh is tried again at most every AWSCRED_CHAIN_RETRY_S
 * seconds).
 *
 * Parsing and checks live in lib/storage/awscred.c; this file only reads the
 * environment and files and speaks HTTP (libcurl, short timeouts, no
 * redirects, answers capped at LIMIT_AWS_CRED_DOC_BYTES).  Secrets are never
 * logged: messages name the source and at most the key id's last four
 * characters.
 *
 * Tests point IMDS at loopback with AWS_EC2_METADATA_SERVICE_ENDPOINT and
 * use AWS_CONTAINER_CREDENTIALS_FULL_URI; AWS_EC2_METADATA_DISABLED=true
 * turns IMDS off.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "aws.h"
#include "curlsafe.h"
#include "httpbody.h"
#include "limit.h"
#include "log.h"

#define AWSCRED_CHAIN_TIMEOUT_MS	1000
#define AWSCRED_CHAIN_RETRY_S		10
#define AWSCRED_IMDS_TOKEN_TTL		"21600"
#define AWSCRED_IMDS_ROLE_MAX		128
#define AWSCRED_IMDS_TOKEN_MAX		1024

struct awscred_chain {
	struct awscred	 cur;		/* source NONE: nothing held */
	struct awscred	 fixed;
	int		 has_fixed;
	long		 timeout_ms;
	int64_t		 margin;
	int64_t		 last_fail;	/* last failed refresh, 0: none */
	uint64_t	 gen;		/* bumped when what is held changes */
	CURL		*curl;
};

struct awscred_chain *
awscred_chain_new(const struct awscred_chain_config *cfg)
{
	struct awscred_chain *ch;

	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return NULL;
	ch->timeout_ms = AWSCRED_CHAIN_TIMEOUT_MS;
	ch->margin = AWSCRED_REFRESH_MARGIN;
	ch->gen = 1;
	if (cfg != NULL) {
		if (cfg->fixed != NULL &&
		    cfg->fixed->source != AWSCRED_SOURCE_NONE &&
		    cfg->fixed->access_key_id[0] != '\0') {
			ch->fixed = *cfg->fixed;
			ch->has_fixed = 1;
		}
		if (cfg->timeout_ms > 0)
			ch->timeout_ms = cfg->timeout_ms;
		if (cfg->margin > 0)
			ch->margin = cfg->margin;
	}
	return ch;
}

void
awscred_chain_free(struct awscred_chain *ch)
{
	if (ch == NULL)
		return;
	if (ch->curl != NULL)
		curl_easy_cleanup(ch->curl);
	awscred_clear(&ch->cur);
	awscred_clear(&ch->fixed);
	free(ch);
}

void
awscred_chain_invalidate(struct awscred_chain *ch)
{
	if (ch != NULL) {
		awscred_clear(&ch->cur);
		ch->last_fail = 0;
		ch->gen++;
	}
}

int64_t
awscred_chain_lifetime(const struct awscred_chain *ch)
{
	if (ch == NULL)
		return 0;
	if (ch->has_fixed)
		return awscred_lifetime(&ch->fixed, (int64_t)time(NULL));
	return awscred_lifetime(&ch->cur, (int64_t)time(NULL));
}

static const char *
awscred_chain_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* ----------------------------------------------------------------- files */

/* Read a whole regular file of at most max bytes into a malloc'd,
 * NUL-terminated buffer.  ERR_NOT_FOUND if it does not exist. */
static enum err
awscred_chain_slurp(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd = -1;
	enum err rc = ERR_IO;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		rc = errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
		if (rc == ERR_IO)
			log_warn("cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warn("%s is not a regular file", path);
		goto out;
	}
	if ((uintmax_t)st.st_size > max) {
		log_warn("%s is larger than %zu bytes", path, max);
		rc = ERR_TOO_LARGE;
		goto out;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	while (got <= max) {
		r = read(fd, buf + got, max + 1 - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > max) {
		log_warn("%s is larger than %zu bytes", path, max);
		rc = ERR_TOO_LARGE;
		goto out;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
	rc = ERR_OK;
out:
	if (buf != NULL) {
		explicit_bzero(buf, max + 1);
		free(buf);
	}
	if (fd != -1)
		close(fd);
	return rc;
}

static enum err
awscred_chain_from_env(struct awscred *c)
{
	enum err rc;

	rc = awscred_set(c, awscred_chain_env("AWS_ACCESS_KEY_ID"),
	    awscred_chain_env("AWS_SECRET_ACCESS_KEY"),
	    awscred_chain_env("AWS_SESSION_TOKEN"), 0, AWSCRED_SOURCE_ENV);
	if (rc == ERR_FIELD)
		log_warn("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/"
		    "AWS_SESSION_TOKEN are incomplete or malformed; skipped");
	return rc;
}

static enum err
awscred_chain_from_file(struct awscred *c)
{
	const char *path = awscred_chain_env("AWS_SHARED_CREDENTIALS_FILE");
	const char *home, *profile = awscred_chain_env("AWS_PROFILE");
	char defpath[4096], *buf = NULL;
	size_t len = 0, line = 0;
	enum err rc;

	if (path == NULL) {
		if ((home = awscred_chain_env("HOME")) == NULL)
			return ERR_NOT_FOUND;
		if ((size_t)snprintf(defpath, sizeof(defpath),
		    "%s/.aws/credentials", home) >= sizeof(defpath))
			return ERR_NOT_FOUND;
		path = defpath;
	}
	if ((rc = awscred_chain_slurp(path, LIMIT_AWS_CRED_FILE_BYTES, &buf,
	    &len)) != ERR_OK)
		return rc;
	rc = awscred_parse_ini(buf, len, profile, c, &line);
	switch (rc) {
	case ERR_OK:
	case ERR_NOT_FOUND:
		break;
	case ERR_CONFIG:
	case ERR_TOO_LARGE:
		log_warn("%s:%zu: not a credentials file line; file skipped",
		    path, line);
		break;
	default:
		log_warn("%s: profile %s has incomplete or malformed keys; "
		    "skipped", path, profile != NULL ? profile : "default");
		break;
	}
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------------ HTTP */

/*
 * One HTTP exchange: method "GET" or "PUT", an optional extra header
 * ("Name: value").  On ERR_OK *status holds the HTTP status and *ans the
 * body.  ERR_UNAVAILABLE for transport failures (logged at debug level:
 * an absent metadata service is the normal case off AWS).
 */
static enum err
awscred_chain_http(struct awscred_chain *ch, const char *method,
    const char *url, const char *header, long *status,
    struct httpbody *ans)
{
	struct curl_slist *list = NULL, *nl;
	CURLcode cc;
	enum err rc = ERR_NOMEM;

	*status = 0;
	if (ch->curl == NULL && (ch->curl = curl_easy_init()) == NULL)
		goto out;
	if (header != NULL) {
		if ((nl = curl_slist_append(list, header)) == NULL)
			goto out;
		list = nl;
	}
	if ((nl = curl_slist_append(list, "Expect:")) == NULL)
		goto out;
	list = nl;
	curl_easy_reset(ch->curl);
	curlsafe_setup(ch->curl, url, "http,https", ch->timeout_ms,
	    ch->timeout_ms);
	if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(ch->curl, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(ch->curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(ch->curl, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(ch->curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(ch->curl, CURLOPT_WRITEFUNCTION, httpbody_write);
	curl_easy_setopt(ch->curl, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(ch->curl, CURLOPT_NOPROXY, "*");
	cc = curl_easy_perform(ch->curl);
	if (cc != CURLE_OK) {
		log_debug("%s %s: %s", method, url, ans->too_large ?
		    "answer too large" : curl_easy_strerror(cc));
		rc = ERR_UNAVAILABLE;
		goto out;
	}
	curl_easy_getinfo(ch->curl, CURLINFO_RESPONSE_CODE, status);
	rc = ERR_OK;
out:
	curl_slist_free_all(list);
	return rc;
}

/* ------------------------------------------------------------- container */

static enum err
awscred_chain_from_container(struct awscred_chain *ch, struct awscred *c)
{
	struct httpbody ans = { .max = LIMIT_AWS_CRED_DOC_BYTES };
	const char *tokfile = awscred_chain_env(
	    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = awscred_chain_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char url[LIMIT_CONF_LINE + 64], *filetok = NULL, *hdr = NULL;
	size_t toklen = 0, n;
	long status;
	enum err rc;

	rc = awscred_container_url(
	    awscred_chain_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
	    awscred_chain_env("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
	    url, sizeof(url));
	if (rc == ERR_NOT_FOUND)
		return rc;
	if (rc != ERR_OK) {
		log_warn("AWS_CONTAINER_CREDENTIALS_*_URI is not allowed "
		    "(full URIs must be https or a loopback/ECS address)");
		return ERR_FIELD;
	}
	if (tokfile != NULL) {
		if ((rc = awscred_chain_slurp(tokfile, LIMIT_AWS_TOKEN_BYTES + 2,
		    &filetok, &toklen)) != ERR_OK) {
			log_warn("cannot read "
			    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s", tokfile);
			rc = ERR_UNAVAILABLE;
			goto out;
		}
		while (toklen > 0 && (filetok[toklen - 1] == '\n' ||
		    filetok[toklen - 1] == '\r'))
			filetok[--toklen] = '\0';
		tok = filetok;
	}
	if (tok != NULL) {
		if (awscred_auth_token_ok(tok, strlen(tok)) != 0) {
			log_warn("container authorization token is malformed");
			rc = ERR_FIELD;
			goto out;
		}
		n = strlen(tok) + sizeof("Authorization: ");
		if ((hdr = malloc(n)) == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		snprintf(hdr, n, "Authorization: %s", tok);
	}
	if ((rc = awscred_chain_http(ch, "GET", url, hdr, &status, &ans)) !=
	    ERR_OK) {
		log_warn("container credentials endpoint did not answer");
		goto out;
	}
	if (status != 200) {
		log_warn("container credentials endpoint answered HTTP %ld",
		    status);
		rc = ERR_UNAVAILABLE;
		goto out;
	}
	if ((rc = awscred_parse_json(ans.data, ans.len,
	    AWSCRED_SOURCE_CONTAINER, c)) != ERR_OK)
		log_warn("container credentials document refused: %s",
		    err_strerror(rc));
out:
	if (hdr != NULL) {
		explicit_bzero(hdr, strlen(hdr));
		free(hdr);
	}
	if (filetok != NULL) {
		explicit_bzero(filetok, toklen);
		free(filetok);
	}
	httpbody_free(&ans);
	return rc;
}

/* ------------------------------------------------------------------ IMDS */

/* The IMDS base URL without a trailing '/', or ERR_NOT_FOUND if IMDS is
 * disabled. */
static enum err
awscred_chain_imds_base(char *base, size_t basesz)
{
	const char *dis = awscred_chain_env("AWS_EC2_METADATA_DISABLED");
	const char *ep = awscred_chain_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = awscred_chain_env(
	    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	size_t n;

	if (dis != NULL && strcasecmp(dis, "true") == 0)
		return ERR_NOT_FOUND;
	if (ep == NULL)
		ep = mode != NULL && strcasecmp(mode, "IPv6") == 0 ?
		    "http://[fd00:ec2::254]" : AWSCRED_IMDS_ENDPOINT;
	if ((strncmp(ep, "http://", 7) != 0 &&
	    strncmp(ep, "https://", 8) != 0) ||
	    strpbrk(ep, " \t\r\n@?#") != NULL) {
		log_warn("AWS_EC2_METADATA_SERVICE_ENDPOINT must be "
		    "http[s]://host[:port]");
		return ERR_FIELD;
	}
	n = strlen(ep);
	while (n > 0 && ep[n - 1] == '/')
		n--;
	if (n >= basesz)
		return ERR_FIELD;
	memcpy(base, ep, n);
	base[n] = '\0';
	return ERR_OK;
}

/* A role name as IAM allows: [A-Za-z0-9+=,.@_-]{1,64} (128 for safety). */
static int
awscred_chain_role_ok(const char *r, size_t n)
{
	size_t i;

	if (n == 0 || n > AWSCRED_IMDS_ROLE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') ||
		    (r[i] >= 'A' && r[i] <= 'Z') ||
		    (r[i] >= '0' && r[i] <= '9') ||
		    strchr("+=,.@_-", r[i]) != NULL) || r[i] == '\0')
			return 0;
	return 1;
}

static enum err
awscred_chain_from_imds(struct awscred_chain *ch, struct awscred *c)
{
	struct httpbody ans = { .max = LIMIT_AWS_CRED_DOC_BYTES };
	char base[1024], url[1400], hdr[AWSCRED_IMDS_TOKEN_MAX + 64];
	char role[AWSCRED_IMDS_ROLE_MAX + 1];
	size_t n;
	long status;
	enum err rc;

	if ((rc = awscred_chain_imds_base(base, sizeof(base))) != ERR_OK)
		return rc;

	/* 1. a session token (IMDSv2) */
	snprintf(url, sizeof(url), "%s/latest/api/token", base);
	if ((rc = awscred_chain_http(ch, "PUT", url,
	    "X-aws-ec2-metadata-token-ttl-seconds: " AWSCRED_IMDS_TOKEN_TTL,
	    &status, &ans)) != ERR_OK)
		goto out;	/* not on EC2: the usual case, not a warning */
	if (status != 200 || ans.len == 0 || ans.len > AWSCRED_IMDS_TOKEN_MAX ||
	    awscred_auth_token_ok(ans.data, ans.len) != 0) {
		log_warn("IMDS token request answered HTTP %ld (%zu bytes)",
		    status, ans.len);
		rc = ERR_UNAVAILABLE;
		goto out;
	}
	snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %s", ans.data);
	httpbody_free(&ans);

	/* 2. the instance profile's role name */
	snprintf(url, sizeof(url),
	    "%s/latest/meta-data/iam/security-credentials/", base);
	if ((rc = awscred_chain_http(ch, "GET", url, hdr, &status, &ans)) !=
	    ERR_OK)
		goto out;
	if (status == 404) {
		log_info("IMDS: this instance has no IAM role");
		rc = ERR_NOT_FOUND;
		goto out;
	}
	n = ans.data != NULL ? strcspn(ans.data, "\r\n") : 0;
	if (status != 200 || !awscred_chain_role_ok(ans.data, n)) {
		log_warn("IMDS role request answered HTTP %ld with no usable "
		    "role name", status);
		rc = ERR_UNAVAILABLE;
		goto out;
	}
	memcpy(role, ans.data, n);
	role[n] = '\0';
	httpbody_free(&ans);

	/* 3. the role's credentials */
	snprintf(url, sizeof(url),
	    "%s/latest/meta-data/iam/security-credentials/%s", base, role);
	if ((rc = awscred_chain_http(ch, "GET", url, hdr, &status, &ans)) !=
	    ERR_OK)
		goto out;
	if (status != 200) {
		log_warn("IMDS credentials for role %s answered HTTP %ld",
		    role, status);
		rc = ERR_UNAVAILABLE;
		goto out;
	}
	if ((rc = awscred_parse_json(ans.data, ans.len, AWSCRED_SOURCE_IMDS,
	    c)) != ERR_OK)
		log_warn("IMDS credentials document refused: %s",
		    err_strerror(rc));
out:
	explicit_bzero(hdr, sizeof(hdr));
	httpbody_free(&ans);
	return rc;
}

/* ----------------------------------------------------------------- chain */

static enum err
awscred_chain_resolve(struct awscred_chain *ch, struct awscred *c)
{
	if (awscred_chain_from_env(c) == ERR_OK ||
	    awscred_chain_from_file(c) == ERR_OK ||
	    awscred_chain_from_container(ch, c) == ERR_OK ||
	    awscred_chain_from_imds(ch, c) == ERR_OK)
		return ERR_OK;
	awscred_clear(c);
	return ERR_UNAVAILABLE;
}

/* Do a and b hold the same keys?  Constant time is not needed here: both
 * are ours, nothing outside chooses either. */
static int
awscred_chain_same(const struct awscred *a, const struct awscred *b)
{
	return a->source == b->source && a->expiration == b->expiration &&
	    strcmp(a->access_key_id, b->access_key_id) == 0 &&
	    strcmp(a->secret_access_key, b->secret_access_key) == 0 &&
	    strcmp(a->session_token, b->session_token) == 0;
}

enum err
awscred_chain_borrow(struct awscred_chain *ch, const struct awscred **out,
    uint64_t *gen)
{
	struct awscred fresh;
	int64_t now;
	int held;

	*out = NULL;
	if (gen != NULL)
		*gen = 0;
	if (ch->has_fixed) {
		*out = &ch->fixed;
		if (gen != NULL)
			*gen = ch->gen;
		return ERR_OK;
	}
	now = (int64_t)time(NULL);
	held = awscred_lifetime(&ch->cur, now) > 0;
	if (held && !awscred_stale(&ch->cur, now, ch->margin))
		goto lend;
	/* Still-valid credentials near expiry: do not hammer a failing
	 * source on every call. */
	if (ch->last_fail != 0 && now - ch->last_fail < AWSCRED_CHAIN_RETRY_S) {
		if (!held)
			return ERR_UNAVAILABLE;
		goto lend;
	}
	if (awscred_chain_resolve(ch, &fresh) == ERR_OK) {
		ch->last_fail = 0;
		if (ch->cur.source != fresh.source ||
		    strcmp(ch->cur.access_key_id, fresh.access_key_id) != 0)
			log_info("AWS credentials from %s (key ...%s%s)",
			    awscred_source_name(fresh.source),
			    awscred_key_hint(&fresh), fresh.expiration != 0 ?
			    ", temporary" : "");
		if (!awscred_chain_same(&ch->cur, &fresh))
			ch->gen++;
		/* The assignment overwrites every byte of the old secret. */
		ch->cur = fresh;
		awscred_clear(&fresh);
		goto lend;
	}
	ch->last_fail = now;
	if (held) {
		log_warn("refreshing AWS credentials failed; keeping those "
		    "from %s for %lld more seconds",
		    awscred_source_name(ch->cur.source),
		    (long long)awscred_lifetime(&ch->cur, now));
		goto lend;
	}
	awscred_clear(&ch->cur);
	ch->gen++;
	log_error("no AWS credentials: tried environment, shared "
	    "credentials file, container and instance metadata");
	return ERR_UNAVAILABLE;
lend:
	*out = &ch->cur;
	if (gen != NULL)
		*gen = ch->gen;
	return ERR_OK;
}

enum err
awscred_chain_get(struct awscred_chain *ch, struct awscred *out)
{
	const struct awscred *c;

	if (awscred_chain_borrow(ch, &c, NULL) != ERR_OK) {
		awscred_clear(out);
		return ERR_UNAVAILABLE;
	}
	*out = *c;
	return ERR_OK;
}
