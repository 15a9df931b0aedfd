/*
 * s3.c: the S3 adapter of audio-api: HEAD, GET and PUT object (PUT also
 * conditional, If-Match/If-None-Match), a bucket probe, presigned PUT
 * URLs and the multipart calls (create, presigned UploadPart, complete,
 * abort), over libcurl with SigV4 from lib/storage/sigv4.h.
 *
 * One struct s3 per worker.  Its curl easy handle is reused for every call
 * (curl_easy_reset() keeps the connection cache), so a worker talks to S3
 * over one kept-alive connection.  curlsafe_setup() (lib/curlsafe.h) gives
 * every call a connect timeout and a whole-request timeout without
 * signals (the worker's signal handling is left alone), http/https only,
 * and no redirects: a 3xx would carry the signed headers to another host,
 * so it is an answer we did not want (ERR_UPSTREAM).
 *
 * Mapping of outcomes: no answer (refused, timed out, DNS) is
 * ERR_UNAVAILABLE, an answer we did not want is ERR_UPSTREAM, and a 404 on
 * HEAD is ERR_NOT_FOUND.  Each failure is logged here once, with S3's error
 * code when the body carries one, never with a signature.
 *
 * Credentials: the config's key pair (s3_access_key_id and the secret, which
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY override) if it has one, else the
 * standard AWS chain of lib/storage/awscred_chain.c (shared credentials file, ECS
 * container, IMDSv2).  Before each signature the chain lends the current
 * credentials (no copy of the secret per request) and the signer is re-keyed
 * when the chain's generation says they changed; no credentials is
 * ERR_UNAVAILABLE (503), never a crash.  Presigned URLs are
 * capped to the signing credentials' remaining lifetime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include <openssl/evp.h>

#include "api.h"
#include "aws.h"
#include "curlsafe.h"
#include "httpbody.h"
#include "limit.h"
#include "log.h"
#include "s3loc.h"
#include "s3meta.h"
#include "s3xml.h"
#include "sigv4.h"
#include "xalloc.h"

#define S3_ERRBODY_MAX	1024

struct s3 {
	CURL			*curl;
	struct sigv4_signer	*signer;	/* NULL until first credentials */
	struct awscred_chain	*cred;
	uint64_t		 signed_gen;	/* the chain's generation the
						   signer holds; 0: none */
	char			*endpoint;
	char			*bucket;
	char			*region;
	enum s3loc_addressing	 addressing;
	long			 timeout_ms;
	long			 connect_timeout_ms;
	char			 errbody[S3_ERRBODY_MAX + 1];
	size_t			 errlen;
};

void
s3_close(struct s3 *s3)
{
	if (s3 == NULL)
		return;
	if (s3->curl != NULL)
		curl_easy_cleanup(s3->curl);
	sigv4_signer_free(s3->signer);
	awscred_chain_free(s3->cred);
	free(s3->endpoint);
	free(s3->bucket);
	free(s3->region);
	free(s3);
}

enum err
s3_open(struct s3 **out, const struct s3_conf *c)
{
	struct s3 *s3 = NULL;
	struct awscred_chain_config cc;
	struct awscred fixed;
	char def[128];
	const char *endpoint = c->endpoint;
	enum err rc = ERR_NOMEM;

	*out = NULL;
	memset(&cc, 0, sizeof(cc));
	memset(&fixed, 0, sizeof(fixed));
	rc = awscred_set(&fixed, c->access_key_id, c->secret_access_key,
	    c->session_token, 0, AWSCRED_SOURCE_CONFIG);
	if (rc == ERR_OK)
		cc.fixed = &fixed;
	else if (rc != ERR_NOT_FOUND) {
		log_error("S3 credentials refused: s3_access_key_id and the "
		    "secret key (or AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY) are incomplete or malformed");
		return ERR_CONFIG;
	} else
		log_info("no S3 key pair configured: using the AWS "
		    "credential chain (credentials file, container, "
		    "instance metadata)");
	rc = ERR_NOMEM;
	if (endpoint == NULL || *endpoint == '\0') {
		snprintf(def, sizeof(def), "https://s3.%s.amazonaws.com",
		    c->region);
		endpoint = def;
	}
	if ((s3 = calloc(1, sizeof(*s3))) == NULL)
		goto fail;
	if ((s3->endpoint = strdup(endpoint)) == NULL ||
	    (s3->bucket = strdup(c->bucket)) == NULL ||
	    (s3->region = strdup(c->region)) == NULL)
		goto fail;
	s3->addressing = c->path_style ? S3LOC_PATH_STYLE :
	    S3LOC_VIRTUAL_HOSTED;
	s3->timeout_ms = c->timeout_ms;
	s3->connect_timeout_ms = c->connect_timeout_ms;
	if ((s3->cred = awscred_chain_new(&cc)) == NULL)
		goto fail;
	/* Configured keys are checked now, as a config error, not as 503s. */
	if (cc.fixed != NULL) {
		rc = sigv4_signer_new(&s3->signer, fixed.access_key_id,
		    fixed.secret_access_key, fixed.session_token[0] != '\0' ?
		    fixed.session_token : NULL);
		if (rc != ERR_OK) {
			log_error("S3 credentials refused: %s",
			    err_strerror(rc));
			rc = ERR_CONFIG;
			goto fail;
		}
		{
			const struct awscred *lent;

			(void)awscred_chain_borrow(s3->cred, &lent,
			    &s3->signed_gen);
		}
		rc = ERR_NOMEM;
	}
	/* Check endpoint and bucket now rather than on the first request. */
	{
		struct s3loc loc;

		memset(&loc, 0, sizeof(loc));
		if (s3loc_locate(s3->endpoint, s3->bucket, "probe",
		    s3->addressing, &loc) != ERR_OK) {
			log_error("bad s3_endpoint or s3_bucket: %s / %s",
			    s3->endpoint, s3->bucket);
			rc = ERR_CONFIG;
			goto fail;
		}
		s3loc_free(&loc);
	}
	if ((s3->curl = curl_easy_init()) == NULL) {
		rc = ERR_NOMEM;
		goto fail;
	}
	*out = s3;
	awscred_clear(&fixed);
	return ERR_OK;
fail:
	awscred_clear(&fixed);
	s3_close(s3);
	return rc;
}

const char *
s3_bucket(const struct s3 *s3)
{
	return s3->bucket;
}

/*
 * Borrow the current credentials from the chain (*cred, valid until the
 * next call on the chain) and make the signer hold them, creating or
 * re-keying it when the chain's generation moved.  ERR_UNAVAILABLE (logged,
 * naming what for) if there are none.
 */
static enum err
s3_credentials(struct s3 *s3, const char *what, const struct awscred **cred)
{
	const struct awscred *c;
	uint64_t gen;
	enum err rc;

	if (awscred_chain_borrow(s3->cred, cred, &gen) != ERR_OK) {
		log_error("s3 %s: no AWS credentials to sign with; answering "
		    "503 until the credential chain has some", what);
		return ERR_UNAVAILABLE;
	}
	c = *cred;
	if (s3->signer != NULL && gen == s3->signed_gen)
		return ERR_OK;
	if (s3->signer == NULL)
		rc = sigv4_signer_new(&s3->signer, c->access_key_id,
		    c->secret_access_key, c->session_token[0] != '\0' ?
		    c->session_token : NULL);
	else
		rc = sigv4_signer_set_credentials(s3->signer,
		    c->access_key_id, c->secret_access_key,
		    c->session_token[0] != '\0' ? c->session_token : NULL);
	if (rc != ERR_OK) {
		log_error("s3 %s: signer refused credentials from %s "
		    "(key ...%s): %s", what, awscred_source_name(c->source),
		    awscred_key_hint(c), err_strerror(rc));
		/* The signer keeps its old keys; fetch afresh next time. */
		*cred = NULL;
		awscred_chain_invalidate(s3->cred);
		return ERR_UNAVAILABLE;
	}
	s3->signed_gen = gen;
	return ERR_OK;
}

static size_t
s3_collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct s3 *s3 = arg;
	size_t n = size * nmemb, room = S3_ERRBODY_MAX - s3->errlen;

	if (room > 0) {
		memcpy(s3->errbody + s3->errlen, ptr, n < room ? n : room);
		s3->errlen += n < room ? n : room;
		s3->errbody[s3->errlen] = '\0';
	}
	return n;
}

/* S3's <Code>...</Code> from an error body, for the log. */
static void
s3_error_code(const struct s3 *s3, char *out, size_t outsz)
{
	const char *p, *q;

	snprintf(out, outsz, "-");
	if ((p = strstr(s3->errbody, "<Code>")) == NULL)
		return;
	p += 6;
	if ((q = strstr(p, "</Code>")) == NULL || (size_t)(q - p) >= outsz)
		return;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
}

/* What a request sends and collects besides method, key and body. */
struct s3_extra {
	const char		*query;		/* encoded, no '?'; or NULL */
	const char		*content_md5;	/* base64, or NULL */
	const char		*if_match;	/* an ETag, or NULL */
	int			 if_none_match;	/* 1: If-None-Match: * */
	int			 checksum_mode;	/* 1: ask for the checksum */
	struct httpbody		*sink;		/* the whole answer body */
	struct s3meta		*meta;		/* metadata headers, ETag */
	const struct sigv4_header *headers;	/* more to send, signed */
	size_t			 nheaders;	/* <= S3_EXTRA_HEADERS */
};

#define S3_EXTRA_HEADERS	8

/* libcurl header callback: pick the chunk metadata out of the answer. */
static size_t
s3_header(char *buf, size_t size, size_t n, void *arg)
{
	(void)s3meta_header(buf, size * n, arg);
	return size * n;
}

/* The handle, reset, set up for one request: URL, signed headers, where
 * the answer goes, and the method with its body. */
static void
s3_curl_prepare(struct s3 *s3, const char *method, const char *url,
    struct curl_slist *list, const void *body, size_t len,
    const struct s3_extra *x)
{
	curl_easy_reset(s3->curl);
	s3->errlen = 0;
	s3->errbody[0] = '\0';
	curlsafe_setup(s3->curl, url, "http,https",
	    s3->timeout_ms, s3->connect_timeout_ms);
	curl_easy_setopt(s3->curl, CURLOPT_HTTPHEADER, list);
	if (x != NULL && x->sink != NULL) {
		curl_easy_setopt(s3->curl, CURLOPT_WRITEFUNCTION,
		    httpbody_write);
		curl_easy_setopt(s3->curl, CURLOPT_WRITEDATA, x->sink);
	} else {
		curl_easy_setopt(s3->curl, CURLOPT_WRITEFUNCTION, s3_collect);
		curl_easy_setopt(s3->curl, CURLOPT_WRITEDATA, s3);
	}
	if (x != NULL && x->meta != NULL) {
		memset(x->meta, 0, sizeof(*x->meta));
		curl_easy_setopt(s3->curl, CURLOPT_HEADERFUNCTION, s3_header);
		curl_easy_setopt(s3->curl, CURLOPT_HEADERDATA, x->meta);
	}
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(s3->curl, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0) {
		curl_easy_setopt(s3->curl, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(s3->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(s3->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
	} else
		curl_easy_setopt(s3->curl, CURLOPT_CUSTOMREQUEST, method);
}

/*
 * One signed request.  key NULL: the bucket itself.  On an HTTP answer
 * returns ERR_OK with *status (and *clen for HEAD); ERR_UNAVAILABLE if no
 * answer came.  x (may be NULL) adds a query, a Content-MD5 header (both
 * signed) and a sink for the answer body.
 */
static enum err
s3_request_x(struct s3 *s3, const char *method, const char *key,
    const void *body, size_t len, const char *ctype,
    const struct s3_extra *x, long *status, int64_t *clen)
{
	struct s3loc loc;
	struct sigv4_signed sig;
	struct sigv4_request rq;
	struct sigv4_header hdr[5 + S3_EXTRA_HEADERS];
	char *url = NULL;
	struct curl_slist *list = NULL, *tmp;
	char line[4096];
	size_t nh = 0, i;
	curl_off_t cl = -1;
	CURLcode cc;
	enum err rc;
	int signed_ok = 0;
	const struct awscred *cred;

	memset(&loc, 0, sizeof(loc));
	memset(&sig, 0, sizeof(sig));
	rc = key != NULL ? s3loc_locate(s3->endpoint, s3->bucket, key,
	    s3->addressing, &loc) : s3loc_bucket(s3->endpoint, s3->bucket,
	    s3->addressing, &loc);
	if (rc != ERR_OK) {
		log_error("cannot locate s3 object %s", key != NULL ? key : "");
		goto out;
	}
	if (ctype != NULL) {
		hdr[nh].name = "content-type";
		hdr[nh].value = ctype;
		nh++;
	}
	if (x != NULL && x->content_md5 != NULL) {
		hdr[nh].name = "content-md5";
		hdr[nh].value = x->content_md5;
		nh++;
	}
	/* Conditions are signed like the rest: a proxy cannot drop them. */
	if (x != NULL && x->if_match != NULL) {
		hdr[nh].name = "if-match";
		hdr[nh].value = x->if_match;
		nh++;
	} else if (x != NULL && x->if_none_match) {
		hdr[nh].name = "if-none-match";
		hdr[nh].value = "*";
		nh++;
	}
	for (i = 0; x != NULL && i < x->nheaders && i < S3_EXTRA_HEADERS; i++)
		hdr[nh++] = x->headers[i];
	if (x != NULL && x->checksum_mode) {
		hdr[nh].name = "x-amz-checksum-mode";
		hdr[nh].value = "ENABLED";
		nh++;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.host = loc.host;
	rq.path = loc.path;
	if (x != NULL && x->query != NULL) {
		size_t ulen = strlen(loc.url) + strlen(x->query) + 2;

		rq.query = x->query;
		url = xmalloc(ulen);
		snprintf(url, ulen, "%s?%s", loc.url, x->query);
	}
	rq.headers = hdr;
	rq.nheaders = nh;
	rq.body = body;
	rq.body_len = len;
	rq.region = s3->region;
	rq.service = "s3";
	rq.now = time(NULL);
	if ((rc = s3_credentials(s3, method, &cred)) != ERR_OK)
		goto out;
	if ((rc = sigv4_sign(s3->signer, &rq, &sig)) != ERR_OK) {
		log_error("cannot sign s3 %s: %s", method, err_strerror(rc));
		goto out;
	}
	signed_ok = 1;
	for (i = 0; i < nh + sig.nadd; i++) {
		const struct sigv4_header *h = i < nh ? &hdr[i] :
		    &sig.add[i - nh];

		snprintf(line, sizeof(line), "%s: %s", h->name, h->value);
		if ((tmp = curl_slist_append(list, line)) == NULL)
			xalloc_die(0, __func__);
		list = tmp;
	}
	if ((tmp = curl_slist_append(list, "Expect:")) == NULL)
		xalloc_die(0, __func__);
	list = tmp;

	s3_curl_prepare(s3, method, url != NULL ? url : loc.url, list, body,
	    len, x);

	cc = curl_easy_perform(s3->curl);
	if (cc != CURLE_OK) {
		log_error("s3 %s %s: %s", method, key != NULL ? key : "(bucket)",
		    curl_easy_strerror(cc));
		rc = ERR_UNAVAILABLE;
		goto out;
	}
	curl_easy_getinfo(s3->curl, CURLINFO_RESPONSE_CODE, status);
	if (clen != NULL) {
		curl_easy_getinfo(s3->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
		    &cl);
		*clen = cl;
	}
	rc = ERR_OK;
out:
	free(url);
	curl_slist_free_all(list);
	if (signed_ok)
		sigv4_signed_free(&sig);
	s3loc_free(&loc);
	return rc;
}

static enum err
s3_request(struct s3 *s3, const char *method, const char *key,
    const void *body, size_t len, const char *ctype, long *status,
    int64_t *clen)
{
	return s3_request_x(s3, method, key, body, len, ctype, NULL, status,
	    clen);
}

/* Map an unwanted HTTP answer to an error and log it once. */
static enum err
s3_unwanted(struct s3 *s3, const char *method, const char *key, long status)
{
	char code[64];

	s3_error_code(s3, code, sizeof(code));
	log_error("s3 %s %s answered %ld (%s)", method,
	    key != NULL ? key : "(bucket)", status, code);
	/* Temporary credentials S3 no longer takes: fetch new ones for the
	 * next request rather than wait for the refresh margin. */
	if (status == 403 && (strcmp(code, "ExpiredToken") == 0 ||
	    strcmp(code, "InvalidToken") == 0 ||
	    strcmp(code, "InvalidAccessKeyId") == 0 ||
	    strcmp(code, "TokenRefreshRequired") == 0))
		awscred_chain_invalidate(s3->cred);
	if (status == 503 || status == 500)
		return ERR_UNAVAILABLE;
	return ERR_UPSTREAM;
}

enum err
s3_head(struct s3 *s3, const char *key, int64_t *size)
{
	return s3_head_meta(s3, key, size, NULL);
}

enum err
s3_head_meta(struct s3 *s3, const char *key, int64_t *size,
    struct s3meta *meta)
{
	struct s3_extra x;
	long status = 0;
	int64_t clen = -1;
	enum err rc;

	memset(&x, 0, sizeof(x));
	x.meta = meta;
	/* S3 answers x-amz-checksum-sha256 only when asked (and for an
	 * object under KMS, only to a caller that may kms:Decrypt). */
	x.checksum_mode = meta != NULL;
	rc = s3_request_x(s3, "HEAD", key, NULL, 0, NULL, &x, &status, &clen);
	if (rc != ERR_OK)
		return rc;
	if (status == 404)
		return ERR_NOT_FOUND;
	if (status != 200)
		return s3_unwanted(s3, "HEAD", key, status);
	*size = clen;
	return ERR_OK;
}

enum err
s3_put(struct s3 *s3, const char *key, const void *body, size_t len,
    const char *content_type)
{
	long status = 0;
	enum err rc;

	rc = s3_request(s3, "PUT", key, body, len, content_type, &status,
	    NULL);
	if (rc != ERR_OK)
		return rc;
	if (status != 200)
		return s3_unwanted(s3, "PUT", key, status);
	return ERR_OK;
}

enum err
s3_put_if(struct s3 *s3, const char *key, const void *body, size_t len,
    const char *content_type, const char *if_match, char *etag,
    size_t etag_cap)
{
	struct s3meta meta;
	struct s3_extra x;
	char code[64];
	long status = 0;
	enum err rc;

	if (etag_cap > 0)
		etag[0] = '\0';
	memset(&x, 0, sizeof(x));
	x.if_match = if_match;
	x.if_none_match = if_match == NULL;
	x.meta = &meta;
	rc = s3_request_x(s3, "PUT", key, body, len, content_type, &x, &status,
	    NULL);
	if (rc != ERR_OK)
		return rc;
	s3_error_code(s3, code, sizeof(code));
	/* Refused by its condition (409: two conditional writes raced):
	 * nothing was written.  The caller reads the object and decides. */
	if (status == 412 || (status == 409 &&
	    strcmp(code, "ConditionalRequestConflict") == 0)) {
		log_info("s3 PUT %s: %s %s did not hold (%ld %s)", key,
		    if_match != NULL ? "If-Match" : "If-None-Match",
		    if_match != NULL ? if_match : "*", status, code);
		return ERR_CONFLICT;
	}
	/* A store that does not take the conditions says so with 501 (or
	 * 400 NotImplemented): name the switch that turns them off. */
	if (status == 501 || strcmp(code, "NotImplemented") == 0)
		log_error("s3 PUT %s: the store refuses conditional writes; "
		    "set manifest_fence = off for it", key);
	if (status != 200)
		return s3_unwanted(s3, "PUT", key, status);
	if (etag_cap > 0)
		snprintf(etag, etag_cap, "%s", meta.etag);
	return ERR_OK;
}

enum err
s3_get(struct s3 *s3, const char *key, size_t max, struct httpbody *body,
    struct s3meta *meta)
{
	struct s3_extra x;
	long status = 0;
	enum err rc;

	memset(body, 0, sizeof(*body));
	body->max = max;
	memset(&x, 0, sizeof(x));
	x.sink = body;
	x.meta = meta;
	rc = s3_request_x(s3, "GET", key, NULL, 0, NULL, &x, &status, NULL);
	if (rc != ERR_OK)
		goto out;
	if (status == 404) {
		rc = ERR_NOT_FOUND;
		goto out;
	}
	if (status != 200) {
		snprintf(s3->errbody, sizeof(s3->errbody), "%s",
		    body->data != NULL ? body->data : "");
		rc = s3_unwanted(s3, "GET", key, status);
		goto out;
	}
	if (body->too_large || body->nomem) {
		log_error("s3 GET %s: answer over %zu bytes", key, max);
		rc = body->nomem ? ERR_NOMEM : ERR_UPSTREAM;
	}
out:
	if (rc != ERR_OK)
		httpbody_free(body);
	return rc;
}

enum err
s3_probe(struct s3 *s3)
{
	long status = 0;
	enum err rc;

	rc = s3_request(s3, "HEAD", NULL, NULL, 0, NULL, &status, NULL);
	if (rc != ERR_OK)
		return rc;
	if (status != 200)
		return s3_unwanted(s3, "HEAD", NULL, status);
	return ERR_OK;
}

/* A presigned URL for method on key (see s3_presign_put()). */
static enum err
s3_presign(struct s3 *s3, const char *method, const char *key,
    const struct sigv4_header *headers, size_t n,
    const struct sigv4_header *hoist, size_t nhoist, long *expires,
    char **url)
{
	struct sigv4_url_req u;
	const struct awscred *cred;
	int64_t capped;
	enum err rc;

	*url = NULL;
	memset(&u, 0, sizeof(u));
	if ((rc = s3_credentials(s3, "presign", &cred)) != ERR_OK)
		goto out;
	/* After the fetch: the URL's X-Amz-Date + expires must not pass the
	 * expiry of credentials fetched a moment ago. */
	u.now = time(NULL);
	/* The URL must not outlive the credentials that sign it. */
	capped = awscred_cap_expires(cred, (int64_t)u.now, (int64_t)*expires);
	if (capped < LIMIT_PRESIGN_EXPIRES_MIN) {
		log_error("cannot presign %s: the credentials from %s "
		    "(key ...%s) have expired", key,
		    awscred_source_name(cred->source), awscred_key_hint(cred));
		awscred_chain_invalidate(s3->cred);
		rc = ERR_UNAVAILABLE;
		goto out;
	}
	u.endpoint = s3->endpoint;
	u.bucket = s3->bucket;
	u.key = key;
	u.addressing = s3->addressing;
	u.method = method;
	u.region = s3->region;
	u.headers = headers;
	u.nheaders = n;
	u.hoist = hoist;
	u.nhoist = nhoist;
	u.expires = (long)capped;
	rc = sigv4_presign_url(s3->signer, &u, url);
	if (rc != ERR_OK)
		log_error("cannot presign %s: %s", key, err_strerror(rc));
	else
		*expires = (long)capped;
out:
	return rc;
}

enum err
s3_presign_put(struct s3 *s3, const char *key,
    const struct sigv4_header *headers, size_t n,
    const struct sigv4_header *hoist, size_t nhoist, long *expires,
    char **url)
{
	return s3_presign(s3, "PUT", key, headers, n, hoist, nhoist, expires,
	    url);
}

enum err
s3_presign_get(struct s3 *s3, const char *key, long *expires, char **url)
{
	return s3_presign(s3, "GET", key, NULL, 0, NULL, 0, expires, url);
}

/*
 * GET the bucket with the query q, a listing of prefix (what names it in
 * logs: "list", "list multipart"): ERR_OK with the answer in body (set up
 * by the caller, bounded by its max), else the error, logged.
 */
static enum err
s3_listing(struct s3 *s3, const char *q, const char *what,
    const char *prefix, struct httpbody *body)
{
	struct s3_extra x;
	char method[48];
	long status = 0;
	enum err rc;

	memset(&x, 0, sizeof(x));
	x.query = q;
	x.sink = body;
	rc = s3_request_x(s3, "GET", NULL, NULL, 0, NULL, &x, &status, NULL);
	if (rc != ERR_OK)
		return rc;
	if (status != 200) {
		snprintf(s3->errbody, sizeof(s3->errbody), "%s",
		    body->data != NULL ? body->data : "");
		snprintf(method, sizeof(method), "GET (%s)", what);
		return s3_unwanted(s3, method, prefix, status);
	}
	if (body->too_large || body->nomem) {
		log_error("s3 %s %s: answer too large", what, prefix);
		return ERR_UPSTREAM;
	}
	return ERR_OK;
}

/* One ListObjectsV2 page of prefix: after the continuation token, or
 * after the key start_after (either NULL), at most max_keys keys. */
static enum err
s3_list(struct s3 *s3, const char *prefix, const char *token,
    const char *start_after, int max_keys, struct s3xml_list *out)
{
	struct httpbody body;
	char *ep = NULL, *et = NULL, *ea = NULL, *q = NULL;
	size_t qlen;
	enum err rc;

	memset(&body, 0, sizeof(body));
	memset(out, 0, sizeof(*out));
	body.max = LIMIT_S3_LIST_BYTES;
	if (start_after != NULL && start_after[0] == '\0')
		start_after = NULL;
	if (sigv4_uri_encode(prefix, strlen(prefix), 0, &ep) != ERR_OK ||
	    (token != NULL && sigv4_uri_encode(token, strlen(token), 0,
	    &et) != ERR_OK) || (start_after != NULL &&
	    sigv4_uri_encode(start_after, strlen(start_after), 0, &ea) !=
	    ERR_OK))
		xalloc_die(0, __func__);	/* all three are bounded */
	qlen = strlen(ep) + (et != NULL ? strlen(et) : 0) +
	    (ea != NULL ? strlen(ea) : 0) + 128;
	q = xmalloc(qlen);
	/* Sorted by name already: the canonical query needs no reorder. */
	snprintf(q, qlen, "%s%s%slist-type=2&max-keys=%d&prefix=%s%s%s",
	    et != NULL ? "continuation-token=" : "", et != NULL ? et : "",
	    et != NULL ? "&" : "", max_keys, ep,
	    ea != NULL ? "&start-after=" : "", ea != NULL ? ea : "");
	if ((rc = s3_listing(s3, q, "list", prefix, &body)) != ERR_OK)
		goto out;
	rc = s3xml_list_parse(body.data != NULL ? body.data : "", body.len,
	    out);
	if (rc != ERR_OK) {
		log_error("s3 list %s: cannot read the answer", prefix);
		rc = rc == ERR_NOMEM ? rc : ERR_UPSTREAM;
	}
out:
	httpbody_free(&body);
	free(ep);
	free(et);
	free(ea);
	free(q);
	return rc;
}

enum err
s3_list_page(struct s3 *s3, const char *prefix, const char *token,
    struct s3xml_list *out)
{
	return s3_list(s3, prefix, token, NULL, LIMIT_S3_DELETE_BATCH, out);
}

enum err
s3_list_after(struct s3 *s3, const char *prefix, const char *start_after,
    int max_keys, struct s3xml_list *out)
{
	if (max_keys < 1 || max_keys > LIMIT_S3_DELETE_BATCH)
		return ERR_INVAL;
	return s3_list(s3, prefix, NULL, start_after, max_keys, out);
}

enum err
s3_delete_keys(struct s3 *s3, char *const *keys, size_t n)
{
	unsigned char md5[16];
	char md5b64[32], code[64];
	struct httpbody answer;
	struct s3_extra x;
	char *xml = NULL;
	size_t xlen = 0, errors = 0;
	unsigned int mdlen = 0;
	long status = 0;
	enum err rc;

	memset(&answer, 0, sizeof(answer));
	answer.max = LIMIT_S3_LIST_BYTES;
	if ((rc = s3xml_delete_body(keys, n, &xml, &xlen)) != ERR_OK)
		return rc;
	/* DeleteObjects requires Content-MD5 (or an x-amz-checksum-*). */
	if (!EVP_Digest(xml, xlen, md5, &mdlen, EVP_md5(), NULL) ||
	    mdlen != sizeof(md5) ||
	    EVP_EncodeBlock((unsigned char *)md5b64, md5, sizeof(md5)) <= 0) {
		log_error("MD5 of the DeleteObjects body failed");
		rc = ERR_CRYPTO;
		goto out;
	}
	memset(&x, 0, sizeof(x));
	x.query = "delete=";
	x.content_md5 = md5b64;
	x.sink = &answer;
	rc = s3_request_x(s3, "POST", NULL, xml, xlen, "application/xml", &x,
	    &status, NULL);
	if (rc != ERR_OK)
		goto out;
	if (status != 200) {
		snprintf(s3->errbody, sizeof(s3->errbody), "%s",
		    answer.data != NULL ? answer.data : "");
		rc = s3_unwanted(s3, "POST (delete)", keys[0], status);
		goto out;
	}
	if (s3xml_delete_result(answer.data != NULL ? answer.data : "",
	    answer.len, &errors, code, sizeof(code)) != ERR_OK) {
		log_error("s3 delete of %zu keys: cannot read the answer", n);
		rc = ERR_UPSTREAM;
		goto out;
	}
	if (errors > 0) {
		log_error("s3 delete: %zu of %zu keys not deleted (%s)", errors,
		    n, code);
		rc = ERR_UPSTREAM;
	}
out:
	httpbody_free(&answer);
	free(xml);
	return rc;
}

/* ---------------------------------------------------------- multipart */

#define S3_MPU_ANSWER_MAX	(64 * 1024)

enum err
s3_mpu_create(struct s3 *s3, const char *key, const char *content_type,
    const struct sigv4_header *headers, size_t n, char *upload_id,
    size_t cap)
{
	struct httpbody body;
	struct s3_extra x;
	long status = 0;
	enum err rc;

	if (cap > 0)
		upload_id[0] = '\0';
	if (n > S3_EXTRA_HEADERS)
		return ERR_INVAL;
	memset(&body, 0, sizeof(body));
	body.max = S3_MPU_ANSWER_MAX;
	memset(&x, 0, sizeof(x));
	x.query = "uploads=";
	x.sink = &body;
	x.headers = headers;
	x.nheaders = n;
	rc = s3_request_x(s3, "POST", key, NULL, 0, content_type, &x, &status,
	    NULL);
	if (rc != ERR_OK)
		goto out;
	if (status != 200) {
		snprintf(s3->errbody, sizeof(s3->errbody), "%s",
		    body.data != NULL ? body.data : "");
		rc = s3_unwanted(s3, "POST (create multipart)", key, status);
		goto out;
	}
	if (body.too_large || body.nomem || s3xml_upload_id(body.data != NULL ?
	    body.data : "", body.len, upload_id, cap) != ERR_OK) {
		log_error("s3 POST (create multipart) %s: no UploadId in the "
		    "answer", key);
		rc = ERR_UPSTREAM;
	}
out:
	httpbody_free(&body);
	return rc;
}

/* "partNumber=N&uploadId=ID" (or "uploadId=ID" for part 0), encoded;
 * malloc'd. */
static char *
s3_mpu_query(const char *upload_id, int part)
{
	char *enc = NULL, *q;
	size_t len;

	if (sigv4_uri_encode(upload_id, strlen(upload_id), 0, &enc) != ERR_OK)
		xalloc_die(0, __func__);
	len = strlen(enc) + 48;
	q = xmalloc(len);
	if (part > 0)
		snprintf(q, len, "partNumber=%d&uploadId=%s", part, enc);
	else
		snprintf(q, len, "uploadId=%s", enc);
	free(enc);
	return q;
}

enum err
s3_presign_part(struct s3 *s3, const char *key, const char *upload_id,
    int part, const struct sigv4_header *headers, size_t n, long *expires,
    char **url)
{
	struct sigv4_url_req u;
	const struct awscred *cred;
	int64_t capped;
	char *q = NULL;
	enum err rc;

	*url = NULL;
	if ((rc = s3_credentials(s3, "presign", &cred)) != ERR_OK)
		return rc;
	memset(&u, 0, sizeof(u));
	u.now = time(NULL);
	capped = awscred_cap_expires(cred, (int64_t)u.now, (int64_t)*expires);
	if (capped < LIMIT_PRESIGN_EXPIRES_MIN) {
		log_error("cannot presign part %d of %s: the credentials have "
		    "expired", part, key);
		awscred_chain_invalidate(s3->cred);
		return ERR_UNAVAILABLE;
	}
	q = s3_mpu_query(upload_id, part);
	u.endpoint = s3->endpoint;
	u.bucket = s3->bucket;
	u.key = key;
	u.addressing = s3->addressing;
	u.method = "PUT";
	u.region = s3->region;
	u.query = q;
	u.headers = headers;
	u.nheaders = n;
	u.expires = (long)capped;
	rc = sigv4_presign_url(s3->signer, &u, url);
	if (rc != ERR_OK)
		log_error("cannot presign part %d of %s: %s", part, key,
		    err_strerror(rc));
	else
		*expires = (long)capped;
	free(q);
	return rc;
}

/* S3's codes for a parts list it will not put together. */
static int
s3_mpu_parts_refused(const char *code)
{
	return strcmp(code, "InvalidPart") == 0 ||
	    strcmp(code, "InvalidPartOrder") == 0 ||
	    strcmp(code, "EntityTooSmall") == 0 ||
	    strcmp(code, "MalformedXML") == 0;
}

enum err
s3_mpu_complete(struct s3 *s3, const char *key, const char *upload_id,
    const struct s3xml_part *parts, size_t n, int if_none_match, char *etag,
    size_t etag_cap, char *code, size_t code_cap)
{
	struct httpbody body;
	struct s3_extra x;
	char *xml = NULL, *q;
	size_t xlen = 0;
	long status = 0;
	enum err rc;

	snprintf(etag, etag_cap, "%s", "");
	snprintf(code, code_cap, "%s", "");
	if ((rc = s3xml_complete_body(parts, n, &xml, &xlen)) != ERR_OK)
		return rc;
	memset(&body, 0, sizeof(body));
	body.max = S3_MPU_ANSWER_MAX;
	q = s3_mpu_query(upload_id, 0);
	memset(&x, 0, sizeof(x));
	x.query = q;
	x.sink = &body;
	/* S3's conditional write, on the request that makes the object. */
	x.if_none_match = if_none_match;
	rc = s3_request_x(s3, "POST", key, xml, xlen, "application/xml", &x,
	    &status, NULL);
	if (rc != ERR_OK)
		goto out;
	snprintf(s3->errbody, sizeof(s3->errbody), "%s",
	    body.data != NULL ? body.data : "");
	if (body.too_large || body.nomem) {
		log_error("s3 POST (complete multipart) %s: answer too large",
		    key);
		rc = ERR_UPSTREAM;
		goto out;
	}
	/* A 200 may still carry an <Error>: S3 failed after the headers. */
	if (s3xml_complete_result(body.data != NULL ? body.data : "", body.len,
	    etag, etag_cap, code, code_cap) != ERR_OK) {
		if (status == 200) {
			log_error("s3 POST (complete multipart) %s: cannot read "
			    "the answer", key);
			rc = ERR_UPSTREAM;
			goto out;
		}
		s3_error_code(s3, code, code_cap);
	}
	if (status == 200 && code[0] == '\0')
		goto out;
	if (status == 412 || strcmp(code, "PreconditionFailed") == 0) {
		/* If-None-Match: * and an object already has the key. */
		log_info("s3 POST (complete multipart) %s: an object already "
		    "has the key (412)", key);
		snprintf(code, code_cap, "%s", "PreconditionFailed");
		rc = ERR_CONFLICT;
		goto out;
	}
	if (status != 200 && status < 500 && status != 404 &&
	    strcmp(code, "NoSuchUpload") != 0 && !s3_mpu_parts_refused(code)) {
		rc = s3_unwanted(s3, "POST (complete multipart)", key, status);
		goto out;
	}
	log_error("s3 POST (complete multipart) %s answered %ld (%s)", key,
	    status, code[0] != '\0' ? code : "-");
	if (status == 404 || strcmp(code, "NoSuchUpload") == 0)
		rc = ERR_NOT_FOUND;
	else if (s3_mpu_parts_refused(code))
		rc = ERR_FIELD;
	else
		rc = ERR_UNAVAILABLE;
out:
	httpbody_free(&body);
	free(xml);
	free(q);
	return rc;
}

enum err
s3_mpu_abort(struct s3 *s3, const char *key, const char *upload_id)
{
	struct s3_extra x;
	char code[64];
	long status = 0;
	char *q;
	enum err rc;

	q = s3_mpu_query(upload_id, 0);
	memset(&x, 0, sizeof(x));
	x.query = q;
	rc = s3_request_x(s3, "DELETE", key, NULL, 0, NULL, &x, &status, NULL);
	free(q);
	if (rc != ERR_OK)
		return rc;
	if (status == 204 || status == 200)
		return ERR_OK;
	s3_error_code(s3, code, sizeof(code));
	if (status == 404 || strcmp(code, "NoSuchUpload") == 0) {
		log_info("s3 abort of upload on %s: already gone (%ld %s)", key,
		    status, code);
		return ERR_NOT_FOUND;
	}
	return s3_unwanted(s3, "DELETE (abort multipart)", key, status);
}

enum err
s3_mpu_list(struct s3 *s3, const char *prefix, struct s3xml_uploads *out)
{
	struct httpbody body;
	char *ep = NULL, *q;
	size_t qlen;
	enum err rc;

	memset(&body, 0, sizeof(body));
	memset(out, 0, sizeof(*out));
	body.max = LIMIT_S3_LIST_BYTES;
	if (sigv4_uri_encode(prefix, strlen(prefix), 0, &ep) != ERR_OK)
		xalloc_die(0, __func__);	/* a key: bounded */
	qlen = strlen(ep) + 64;
	q = xmalloc(qlen);
	/* Sorted by name: the canonical query needs no reorder. */
	snprintf(q, qlen, "max-uploads=%d&prefix=%s&uploads=",
	    S3XML_UPLOADS_MAX, ep);
	if ((rc = s3_listing(s3, q, "list multipart", prefix, &body)) !=
	    ERR_OK)
		goto out;
	rc = s3xml_uploads_parse(body.data != NULL ? body.data : "", body.len,
	    out);
	if (rc != ERR_OK) {
		log_error("s3 list multipart %s: cannot read the answer",
		    prefix);
		rc = rc == ERR_NOMEM ? rc : ERR_UPSTREAM;
	}
out:
	httpbody_free(&body);
	free(ep);
	free(q);
	return rc;
}
