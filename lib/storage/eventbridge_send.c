/*
 * eventbridge_send.c: send one PutEvents batch over HTTP(S).
 *
 * The thin I/O half of lib/storage/eventbridge.h: encode a batch, sign it with
 * lib/storage/sigv4.h (service "events", header signing), POST it with a reused
 * libcurl handle under connect and total timeouts, and turn whatever comes
 * back (a 200 with per-entry results, an AWS error, a timeout) into one
 * outcome per entry.  The delivery loop decides what to do with them; this
 * file never retries on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "aws.h"
#include "curlsafe.h"
#include "httpbody.h"
#include "limit.h"
#include "log.h"
#include "sigv4.h"

struct eventbridge_send {
	CURL			*curl;
	char			*url;		/* endpoint + "/" */
	char			*host;		/* Host header value */
	char			*region;
	long			 connect_timeout_ms;
	long			 timeout_ms;
	struct sigv4_signer	*signer;
	struct awscred		 signed_with;	/* the signer's credentials */
};

static int
eventbridge_send_region_ok(const char *r)
{
	size_t n = 0;

	for (; r[n] != '\0'; n++)
		if (!((r[n] >= 'a' && r[n] <= 'z') ||
		    (r[n] >= '0' && r[n] <= '9') || r[n] == '-'))
			return 0;
	return n > 0 && n <= 64;
}

/*
 * Split "http[s]://host[:port][/]" into the URL to POST to and the Host
 * header value.  No path, query or userinfo: PutEvents is always "/".
 */
static enum err
eventbridge_send_endpoint(const char *ep, char **url, char **host)
{
	const char *h;
	size_t n;
	int w;

	if (strncmp(ep, "https://", 8) == 0)
		h = ep + 8;
	else if (strncmp(ep, "http://", 7) == 0)
		h = ep + 7;
	else
		return ERR_CONFIG;
	n = strcspn(h, "/?#@ \t\r\n");
	if (n == 0 || (h[n] != '\0' && !(h[n] == '/' && h[n + 1] == '\0')))
		return ERR_CONFIG;
	if ((*host = strndup(h, n)) == NULL)
		return ERR_NOMEM;
	w = (int)(h - ep) + (int)n;
	if ((*url = malloc((size_t)w + 2)) == NULL)
		return ERR_NOMEM;
	snprintf(*url, (size_t)w + 2, "%.*s/", w, ep);
	return ERR_OK;
}

struct eventbridge_send *
eventbridge_send_new(const struct eventbridge_send_config *cfg)
{
	struct eventbridge_send *s = NULL;
	char defep[128];
	const char *ep;
	enum err rc;

	if (cfg == NULL || cfg->region == NULL ||
	    !eventbridge_send_region_ok(cfg->region)) {
		log_error("EventBridge region is missing or malformed");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	ep = cfg->endpoint;
	if (ep == NULL || *ep == '\0') {
		snprintf(defep, sizeof(defep), "https://events.%s.amazonaws.com",
		    cfg->region);
		ep = defep;
	}
	if ((rc = eventbridge_send_endpoint(ep, &s->url, &s->host)) !=
	    ERR_OK) {
		if (rc == ERR_CONFIG)
			log_error("EventBridge endpoint must be "
			    "http[s]://host[:port] without a path");
		goto fail;
	}
	if ((s->region = strdup(cfg->region)) == NULL ||
	    (s->curl = curl_easy_init()) == NULL)
		goto fail;
	s->connect_timeout_ms = cfg->connect_timeout_ms > 0 ?
	    cfg->connect_timeout_ms : 2000;
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
	return s;
fail:
	eventbridge_send_free(s);
	return NULL;
}

void
eventbridge_send_free(struct eventbridge_send *s)
{
	if (s == NULL)
		return;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	sigv4_signer_free(s->signer);
	awscred_clear(&s->signed_with);
	free(s->url);
	free(s->host);
	free(s->region);
	free(s);
}

long
eventbridge_send_timeout_ms(const struct eventbridge_send *s)
{
	return s->timeout_ms + s->connect_timeout_ms;
}

/* Make the signer hold *cred, creating or re-keying it when they change. */
static enum err
eventbridge_send_signer(struct eventbridge_send *s, const struct awscred *cred)
{
	enum err rc;

	if (s->signer != NULL &&
	    strcmp(s->signed_with.access_key_id, cred->access_key_id) == 0 &&
	    strcmp(s->signed_with.secret_access_key,
	    cred->secret_access_key) == 0 &&
	    strcmp(s->signed_with.session_token, cred->session_token) == 0)
		return ERR_OK;
	if (s->signer == NULL)
		rc = sigv4_signer_new(&s->signer, cred->access_key_id,
		    cred->secret_access_key, cred->session_token[0] != '\0' ?
		    cred->session_token : NULL);
	else
		rc = sigv4_signer_set_credentials(s->signer,
		    cred->access_key_id, cred->secret_access_key,
		    cred->session_token[0] != '\0' ? cred->session_token :
		    NULL);
	if (rc != ERR_OK) {
		log_error("cannot use credentials from %s (key ...%s): %s",
		    awscred_source_name(cred->source), awscred_key_hint(cred),
		    err_strerror(rc));
		return rc;
	}
	s->signed_with = *cred;
	return ERR_OK;
}

/* Append "Name: value" (value NULL: "Name:", which removes a header curl
 * would add).  -1 on ENOMEM; *list is kept either way. */
static int
eventbridge_send_header(struct curl_slist **list, const char *name,
    const char *value)
{
	struct curl_slist *nl;
	char *line;
	size_t n = strlen(name) + (value != NULL ? strlen(value) : 0) + 3;

	if ((line = malloc(n)) == NULL)
		return -1;
	snprintf(line, n, "%s:%s%s", name, value != NULL ? " " : "",
	    value != NULL ? value : "");
	nl = curl_slist_append(*list, line);
	free(line);
	if (nl == NULL)
		return -1;
	*list = nl;
	return 0;
}

/* Give every entry of the request the same outcome. */
static void
eventbridge_send_all(struct eventbridge_result *res, size_t n,
    const struct eventbridge_result *one)
{
	size_t i;

	for (i = 0; i < n; i++)
		res[i] = *one;
}

/*
 * The request's headers: Host given explicitly so that it is byte for byte
 * what was signed, the signed ones, the signer's additions, and Expect:
 * off so a large batch is not held for 100-continue.  -1 out of memory.
 */
static int
eventbridge_send_headers(const struct eventbridge_send *s,
    const struct sigv4_header *hdrs, size_t nhdrs,
    const struct sigv4_signed *sig, struct curl_slist **list)
{
	size_t k;

	if (eventbridge_send_header(list, "Host", s->host) != 0)
		return -1;
	for (k = 0; k < nhdrs; k++)
		if (eventbridge_send_header(list, hdrs[k].name,
		    hdrs[k].value) != 0)
			return -1;
	for (k = 0; k < sig->nadd; k++)
		if (eventbridge_send_header(list, sig->add[k].name,
		    sig->add[k].value) != 0)
			return -1;
	if (eventbridge_send_header(list, "Expect", NULL) != 0 ||
	    eventbridge_send_header(list, "Accept", NULL) != 0)
		return -1;
	return 0;
}

enum err
eventbridge_send(struct eventbridge_send *s, const struct awscred *cred,
    const struct eventbridge_entry *entries, size_t n,
    struct eventbridge_result *res, size_t *used)
{
	static const struct sigv4_header hdrs[] = {
		{ "Content-Type", EVENTBRIDGE_CONTENT_TYPE },
		{ "X-Amz-Target", EVENTBRIDGE_TARGET },
	};
	struct sigv4_request req;
	struct sigv4_signed sig;
	struct httpbody ans = { .max = LIMIT_EVENTBRIDGE_ANSWER_BYTES };
	struct eventbridge_result one;
	struct curl_slist *list = NULL;
	char *body = NULL;
	size_t len = 0, k, failed = 0;
	long status = 0;
	CURLcode cc;
	enum err rc;
	int signed_ok = 0;

	memset(&sig, 0, sizeof(sig));
	*used = 0;
	if ((rc = eventbridge_encode(entries, n, used, &body, &len)) != ERR_OK)
		goto out;
	if ((rc = eventbridge_send_signer(s, cred)) != ERR_OK) {
		/* Bad credentials are not the events' fault: retry later. */
		eventbridge_parse_error(0, NULL, 0, &one);
		snprintf(one.error_code, sizeof(one.error_code),
		    "CredentialsError");
		snprintf(one.error_message, sizeof(one.error_message),
		    "credentials from %s are unusable",
		    awscred_source_name(cred->source));
		eventbridge_send_all(res, *used, &one);
		rc = ERR_OK;
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.host = s->host;
	req.path = "/";
	req.headers = hdrs;
	req.nheaders = sizeof(hdrs) / sizeof(hdrs[0]);
	req.body = body;
	req.body_len = len;
	req.region = s->region;
	req.service = EVENTBRIDGE_SERVICE;
	req.now = time(NULL);
	if ((rc = sigv4_sign(s->signer, &req, &sig)) != ERR_OK) {
		log_error("cannot sign PutEvents: %s", err_strerror(rc));
		goto out;
	}
	signed_ok = 1;

	if (eventbridge_send_headers(s, hdrs, sizeof(hdrs) / sizeof(hdrs[0]),
	    &sig, &list) != 0)
		goto nomem;

	curl_easy_reset(s->curl);
	curlsafe_setup(s->curl, s->url, "http,https", s->timeout_ms,
	    s->connect_timeout_ms);
	curl_easy_setopt(s->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION,
	    httpbody_write);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &ans);
	curl_easy_setopt(s->curl, CURLOPT_TCP_KEEPALIVE, 1L);

	cc = curl_easy_perform(s->curl);
	if (cc != CURLE_OK) {
		eventbridge_parse_error(0, NULL, 0, &one);
		snprintf(one.error_message, sizeof(one.error_message), "%s",
		    ans.too_large ? "answer too large" : curl_easy_strerror(cc));
		log_warn("PutEvents of %zu entries to %s failed: %s", *used,
		    s->host, one.error_message);
		eventbridge_send_all(res, *used, &one);
		rc = ERR_OK;
		goto out;
	}
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200) {
		if (eventbridge_parse_response(ans.data, ans.len, *used, res,
		    &failed) != ERR_OK)
			log_warn("PutEvents answer from %s not understood "
			    "(%zu bytes)", s->host, ans.len);
		else if (failed > 0) {
			for (k = 0; k < *used; k++)
				if (res[k].outcome != EVENTBRIDGE_SENT)
					break;
			log_warn("PutEvents: %zu of %zu entries failed "
			    "(entry %zu: %s, %s)", failed, *used, k,
			    res[k].error_code,
			    eventbridge_outcome_name(res[k].outcome));
		}
		rc = ERR_OK;
		goto out;
	}
	eventbridge_parse_error((int)status, ans.data, ans.len, &one);
	log_warn("PutEvents of %zu entries refused: HTTP %ld %s (%s)", *used,
	    status, one.error_code, eventbridge_outcome_name(one.outcome));
	eventbridge_send_all(res, *used, &one);
	rc = ERR_OK;
	goto out;
nomem:
	rc = ERR_NOMEM;
out:
	if (signed_ok)
		sigv4_signed_free(&sig);
	curl_slist_free_all(list);
	httpbody_free(&ans);
	free(body);
	if (rc != ERR_OK && rc != ERR_INVAL)
		*used = 0;
	return rc;
}
