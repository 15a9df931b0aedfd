/*
 * cognito.c: verify a Cognito ID or access token and say who it is for.
 *
 * Order of work, each step refusing with a client-safe reason:
 *  1. size and shape: three base64url segments, strictly decoded, a JSON
 *     header whose alg is exactly "RS256" and whose kid is sane, a JSON
 *     object payload, a signature of plausible size.
 *  2. the key for kid from the JWKS cache (which may refetch once).
 *  3. the RS256 signature, checked with OpenSSL and the cached EVP_PKEY;
 *     digest and padding are fixed here, never taken from the token, and
 *     the alg is checked again where the key is used.
 *  4. claims, read from the payload bytes we decoded ourselves (the bytes
 *     the signature covers) with strict types: iss, token_use,
 *     aud/client_id, exp/nbf/iat with the leeway, sub, username, email.
 *
 * Why not libjwt's jwt_decode(): libjwt 1.10 (Debian 12) picks the
 * algorithm from the token header, so an HS256 token whose HMAC secret is
 * our RSA public key PEM verifies, and with a NULL or empty key it verifies
 * nothing at all.  It also re-parses the PEM on every call, which made it
 * more than ten times slower than verifying with the cached key.  The unit
 * tests show both libjwt pitfalls are real and that this code refuses them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "b64url.h"
#include "cognito.h"
#include "jsonparse.h"
#include "jwks.h"
#include "jwks_cache.h"
#include "log.h"

/* A JOSE header is a few dozen bytes; this is generous. */
#define COGNITO_HEADER_MAX	1024

struct cognito {
	char			*issuer;
	char			*client_ids[LIMIT_CLIENT_IDS];
	size_t			 nclient_ids;
	unsigned		 uses;		/* enum cognito_use bits */
	long			 leeway;
	struct jwks_cache	*keys;
};

void
cognito_conf_defaults(struct cognito_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->token_use = "id,access";
	conf->leeway = 0;
	conf->jwks_ttl = LIMIT_JWKS_TTL_DEFAULT;
	conf->jwks_timeout_ms = LIMIT_JWKS_TIMEOUT_MS_DEFAULT;
}

int
cognito_sub_valid(const char *s, size_t len)
{
	size_t i;
	unsigned char c;

	if (s == NULL || len == 0 || len > LIMIT_SUB_BYTES)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* Printable ASCII without blanks: client ids, kids, issuers. */
static int
cognito_printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return len > 0;
}

/*
 * Split "a, b,c" into the client id list (cg NULL: only check it).
 * ERR_CONFIG with why set, or ERR_NOMEM.
 */
static enum err
cognito_parse_client_ids(struct cognito *cg, const char *csv, char *why,
    size_t whylen)
{
	const char *p = csv, *end, *a, *b;
	size_t len, n = 0;

	if (csv == NULL || csv[0] == '\0') {
		snprintf(why, whylen, "empty; name at least one app client id");
		return ERR_CONFIG;
	}
	while (*p != '\0') {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		for (a = p; a < end && (*a == ' ' || *a == '\t'); a++)
			;
		for (b = end; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--)
			;
		len = (size_t)(b - a);
		if (len == 0 || len > LIMIT_CLIENT_ID_BYTES ||
		    !cognito_printable(a, len)) {
			snprintf(why, whylen, "a client id is empty, over %d "
			    "bytes or not printable ASCII", LIMIT_CLIENT_ID_BYTES);
			return ERR_CONFIG;
		}
		if (n == LIMIT_CLIENT_IDS) {
			snprintf(why, whylen, "more than %d client ids",
			    LIMIT_CLIENT_IDS);
			return ERR_CONFIG;
		}
		if (cg != NULL && (cg->client_ids[n] = strndup(a, len)) ==
		    NULL)
			return ERR_NOMEM;
		n++;
		if (cg != NULL)
			cg->nclient_ids = n;
		p = *end == ',' ? end + 1 : end;
	}
	return ERR_OK;
}

/* "id", "access" or both into *uses (enum cognito_use bits). */
static enum err
cognito_parse_uses(unsigned *uses, const char *csv, char *why, size_t whylen)
{
	const char *p = csv, *end;
	size_t len;

	*uses = 0;
	while (csv != NULL && *p != '\0') {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 2 && strncmp(p, "id", 2) == 0)
			*uses |= COGNITO_USE_ID;
		else if (len == 6 && strncmp(p, "access", 6) == 0)
			*uses |= COGNITO_USE_ACCESS;
		else {
			snprintf(why, whylen, "only \"id\" and \"access\" are "
			    "allowed");
			return ERR_CONFIG;
		}
		p = *end == ',' ? end + 1 : end;
	}
	if (*uses == 0) {
		snprintf(why, whylen, "empty; use id, access or id,access");
		return ERR_CONFIG;
	}
	return ERR_OK;
}

/* The JWKS URL conf names: jwks_url, else <issuer>/.well-known/jwks.json.
 * 0 if it does not fit url. */
static int
cognito_jwks_url(const struct cognito_conf *conf, char *url, size_t len)
{
	int n;

	if (conf->jwks_url != NULL && conf->jwks_url[0] != '\0')
		n = snprintf(url, len, "%s", conf->jwks_url);
	else
		n = snprintf(url, len, "%s/.well-known/jwks.json",
		    conf->issuer);
	return n >= 0 && (size_t)n < len;
}

/* A file:// JWKS: the file must hold a key set jwks_parse() accepts. */
static enum err
cognito_check_jwks_file(const char *path, char *why, size_t whylen)
{
	struct jwks *set = NULL;
	FILE *fp;
	char *buf;
	size_t n;
	enum err rc;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return ERR_CONFIG;
	}
	if ((buf = malloc(LIMIT_JWKS_BYTES + 1)) == NULL) {
		fclose(fp);
		return ERR_NOMEM;
	}
	n = fread(buf, 1, LIMIT_JWKS_BYTES + 1, fp);
	rc = ferror(fp) ? ERR_IO : ERR_OK;
	fclose(fp);
	if (rc == ERR_OK && n > LIMIT_JWKS_BYTES)
		rc = ERR_TOO_LARGE;
	if (rc == ERR_OK)
		rc = jwks_parse(buf, n, &set);
	free(buf);
	jwks_free(set);
	if (rc == ERR_NOMEM)
		return rc;
	if (rc != ERR_OK) {
		snprintf(why, whylen, "%s: not a usable JWKS (%s)", path,
		    err_strerror(rc));
		return ERR_CONFIG;
	}
	return ERR_OK;
}

enum err
cognito_conf_check(const struct cognito_conf *conf, unsigned flags,
    const char **field, char *why, size_t whylen)
{
	char url[LIMIT_ISSUER_BYTES + 64];
	unsigned uses;
	size_t ilen;
	enum err rc;

	ilen = conf->issuer != NULL ? strlen(conf->issuer) : 0;
	*field = "issuer";
	if (ilen == 0 || ilen > LIMIT_ISSUER_BYTES ||
	    !cognito_printable(conf->issuer, ilen) ||
	    conf->issuer[ilen - 1] == '/') {
		snprintf(why, whylen, "must be set, printable, at most %d "
		    "bytes and without a trailing slash "
		    "(https://cognito-idp.REGION.amazonaws.com/POOL_ID)",
		    LIMIT_ISSUER_BYTES);
		return ERR_CONFIG;
	}
	*field = "leeway";
	if (conf->leeway < 0 || conf->leeway > LIMIT_JWT_LEEWAY_MAX) {
		snprintf(why, whylen, "%ld s out of range 0..%d", conf->leeway,
		    LIMIT_JWT_LEEWAY_MAX);
		return ERR_CONFIG;
	}
	*field = "client_ids";
	if ((rc = cognito_parse_client_ids(NULL, conf->client_ids, why,
	    whylen)) != ERR_OK)
		return rc;
	*field = "token_use";
	if ((rc = cognito_parse_uses(&uses, conf->token_use, why, whylen)) !=
	    ERR_OK)
		return rc;
	*field = "jwks_ttl";
	if (conf->jwks_ttl < LIMIT_JWKS_TTL_MIN ||
	    conf->jwks_ttl > LIMIT_JWKS_TTL_MAX) {
		snprintf(why, whylen, "%ld s out of range %d..%d",
		    conf->jwks_ttl, LIMIT_JWKS_TTL_MIN, LIMIT_JWKS_TTL_MAX);
		return ERR_CONFIG;
	}
	*field = "jwks_timeout_ms";
	if (conf->jwks_timeout_ms < LIMIT_JWKS_TIMEOUT_MS_MIN ||
	    conf->jwks_timeout_ms > LIMIT_JWKS_TIMEOUT_MS_MAX) {
		snprintf(why, whylen, "%ld ms out of range %d..%d",
		    conf->jwks_timeout_ms, LIMIT_JWKS_TIMEOUT_MS_MIN,
		    LIMIT_JWKS_TIMEOUT_MS_MAX);
		return ERR_CONFIG;
	}
	*field = conf->jwks_url != NULL && conf->jwks_url[0] != '\0' ?
	    "jwks_url" : "issuer";
	if (!cognito_jwks_url(conf, url, sizeof(url))) {
		snprintf(why, whylen, "JWKS URL over %zu bytes",
		    sizeof(url) - 1);
		return ERR_CONFIG;
	}
	if (strncasecmp(url, "file://", 7) == 0) {
		if ((flags & COGNITO_CHECK_FILES) &&
		    (rc = cognito_check_jwks_file(url + 7, why, whylen)) !=
		    ERR_OK)
			return rc;
	} else if (strncasecmp(url, "https://", 8) != 0 &&
	    strncasecmp(url, "http://", 7) != 0) {
		snprintf(why, whylen, "the JWKS URL must be https://, http:// "
		    "or file://");
		return ERR_CONFIG;
	}
	*field = NULL;
	return ERR_OK;
}

/* cognito_conf_check() for cognito_new*(): the failure logged. */
static enum err
cognito_conf_ok(const struct cognito_conf *conf)
{
	const char *field = NULL;
	char why[256];
	enum err rc;

	if ((rc = cognito_conf_check(conf, 0, &field, why, sizeof(why))) ==
	    ERR_CONFIG)
		log_error("cognito: %s: %s", field, why);
	return rc;
}

enum err
cognito_new_with_keys(const struct cognito_conf *conf,
    struct jwks_cache *keys, struct cognito **out)
{
	struct cognito *cg = NULL;
	char why[256];
	enum err rc = ERR_NOMEM;

	*out = NULL;
	if ((cg = calloc(1, sizeof(*cg))) == NULL)
		goto out;
	cg->keys = keys;
	keys = NULL;
	if ((rc = cognito_conf_ok(conf)) != ERR_OK)
		goto out;
	cg->leeway = conf->leeway;
	/* Checked above: only memory can fail now. */
	if ((rc = cognito_parse_client_ids(cg, conf->client_ids, why,
	    sizeof(why))) != ERR_OK ||
	    (rc = cognito_parse_uses(&cg->uses, conf->token_use, why,
	    sizeof(why))) != ERR_OK)
		goto out;
	rc = ERR_NOMEM;
	if ((cg->issuer = strdup(conf->issuer)) == NULL)
		goto out;
	*out = cg;
	cg = NULL;
	rc = ERR_OK;
out:
	jwks_cache_free(keys);
	cognito_free(cg);
	return rc;
}

enum err
cognito_new(const struct cognito_conf *conf, struct cognito **out)
{
	struct jwks_cache_conf kc;
	struct jwks_cache *keys = NULL;
	char url[LIMIT_ISSUER_BYTES + 64];
	enum err rc;

	*out = NULL;
	if ((rc = cognito_conf_ok(conf)) != ERR_OK)
		return rc;
	(void)cognito_jwks_url(conf, url, sizeof(url));	/* fits: checked */
	kc.url = url;
	kc.ttl = conf->jwks_ttl;
	kc.refetch_interval = LIMIT_JWKS_REFETCH_SECONDS;
	kc.timeout_ms = conf->jwks_timeout_ms;
	if ((rc = jwks_cache_new(&kc, conf->jwks_fetch, conf->jwks_fetch_arg,
	    NULL, NULL, &keys)) != ERR_OK)
		return rc;
	return cognito_new_with_keys(conf, keys, out);
}

void
cognito_free(struct cognito *cg)
{
	size_t i;

	if (cg == NULL)
		return;
	for (i = 0; i < cg->nclient_ids; i++)
		free(cg->client_ids[i]);
	free(cg->issuer);
	jwks_cache_free(cg->keys);
	free(cg);
}

enum err
cognito_prefetch(struct cognito *cg)
{
	return jwks_cache_warm(cg->keys);
}

enum err
cognito_refresh_in_background(struct cognito *cg)
{
	return jwks_cache_start_refresher(cg->keys);
}

enum err
cognito_bearer(const char *header, const char **token, size_t *len)
{
	const char *p, *end;

	*token = NULL;
	*len = 0;
	if (header == NULL)
		return ERR_AUTH;
	for (p = header; *p == ' ' || *p == '\t'; p++)
		;
	if (strncasecmp(p, "bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return ERR_AUTH;
	for (p += 6; *p == ' ' || *p == '\t'; p++)
		;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == p || memchr(p, ' ', (size_t)(end - p)) != NULL ||
	    memchr(p, '\t', (size_t)(end - p)) != NULL)
		return ERR_AUTH;
	*token = p;
	*len = (size_t)(end - p);
	return ERR_OK;
}

/*
 * Strictly decode one base64url segment and parse it as a JSON object.
 * Returns NULL if it is not exactly that.
 */
static json_object *
cognito_segment_json(const char *seg, size_t len, size_t max)
{
	json_object *o = NULL;
	unsigned char *buf = NULL;
	size_t n = 0;

	if (len == 0 || B64URL_DECODED_MAX(len) > max + 2)
		goto out;
	if ((buf = malloc(B64URL_DECODED_MAX(len))) == NULL)
		goto out;
	if (b64url_decode(seg, len, buf, B64URL_DECODED_MAX(len), &n) !=
	    ERR_OK || n == 0 || memchr(buf, '\0', n) != NULL)
		goto out;
	(void)jsonparse_object((const char *)buf, n, max + 2, &o, NULL, 0);
out:
	free(buf);
	return o;
}

/* Integer member: 1 found (in *out), 0 absent, -1 present but not an
 * integer (1.5, "1", true all count as wrong). */
static int
cognito_int(json_object *o, const char *name, long long *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	*out = (long long)json_object_get_int64(v);
	return 1;
}

/* Copy an optional display string; 0 if present but unacceptable. */
static int
cognito_copy_opt(json_object *o, const char *name, char *dst, size_t dstsz)
{
	const char *s;
	size_t i, len = 0;

	dst[0] = '\0';
	if (!json_object_object_get_ex(o, name, NULL))
		return 1;
	if ((s = jsonparse_str(o, name, &len)) == NULL || len >= dstsz)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 1;
}

static int
cognito_client_ok(const struct cognito *cg, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < cg->nclient_ids; i++)
		if (strcmp(cg->client_ids[i], s) == 0)
			return 1;
	return 0;
}

/* aud of an ID token: a string, or an array holding one of our ids. */
static int
cognito_aud_ok(const struct cognito *cg, json_object *pl)
{
	json_object *v;
	size_t i, n;

	if (!json_object_object_get_ex(pl, "aud", &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return cognito_client_ok(cg, json_object_get_string(v));
	if (!json_object_is_type(v, json_type_array))
		return 0;
	n = json_object_array_length(v);
	for (i = 0; i < n && i < LIMIT_CLIENT_IDS; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (json_object_is_type(e, json_type_string) &&
		    cognito_client_ok(cg, json_object_get_string(e)))
			return 1;
	}
	return 0;
}

/* Step 4: the claims.  Returns NULL if all is well, else the reason. */
static const char *
cognito_claims(const struct cognito *cg, json_object *pl, time_t now,
    struct cognito_identity *id)
{
	const char *s;
	size_t len = 0;
	long long exp, v;
	int r;

	if ((s = jsonparse_str(pl, "iss", NULL)) == NULL ||
	    strcmp(s, cg->issuer) != 0)
		return "wrong issuer";
	if ((s = jsonparse_str(pl, "token_use", NULL)) == NULL)
		return "missing token_use";
	if (strcmp(s, "id") == 0)
		id->token_use = COGNITO_USE_ID;
	else if (strcmp(s, "access") == 0)
		id->token_use = COGNITO_USE_ACCESS;
	else
		return "token_use not accepted";
	if ((cg->uses & id->token_use) == 0)
		return "token_use not accepted";
	if (id->token_use == COGNITO_USE_ID) {
		if (!cognito_aud_ok(cg, pl))
			return "wrong audience";
	} else if (!cognito_client_ok(cg, jsonparse_str(pl, "client_id",
	    NULL)))
		return "wrong client_id";

	/* Times.  now - leeway never overflows: both are small. */
	if ((r = cognito_int(pl, "exp", &exp)) == 0)
		return "missing exp";
	if (r < 0)
		return "exp is not an integer";
	if (now - cg->leeway >= exp)
		return "token expired";
	if ((r = cognito_int(pl, "nbf", &v)) < 0)
		return "nbf is not an integer";
	if (r > 0 && v > now + cg->leeway)
		return "token not yet valid";
	if ((r = cognito_int(pl, "iat", &v)) == 0)
		return "missing iat";
	if (r < 0)
		return "iat is not an integer";
	if (v > now + cg->leeway)
		return "token issued in the future";
	id->exp = exp;

	if ((s = jsonparse_str(pl, "sub", &len)) == NULL)
		return "missing sub";
	if (!cognito_sub_valid(s, len))
		return "sub has an unsupported form";
	memcpy(id->sub, s, len);
	id->sub[len] = '\0';
	if (!cognito_copy_opt(pl, id->token_use == COGNITO_USE_ID ?
	    "cognito:username" : "username", id->username,
	    sizeof(id->username)))
		return "bad username";
	if (!cognito_copy_opt(pl, "email", id->email, sizeof(id->email)))
		return "bad email";
	return NULL;
}

/*
 * RS256 signature check with OpenSSL and the key from the JWKS.  Nothing
 * here comes from the token but the bytes: the digest (SHA-256) and the
 * padding (PKCS #1 v1.5) are fixed, the key must be RSA, and alg, already
 * checked when the header was decoded, is checked again so that this
 * function can never be reached with another algorithm.
 */
static int
cognito_rs256_verify(const char *alg, EVP_PKEY *pkey, const char *input,
    size_t inlen, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (alg == NULL || strcmp(alg, "RS256") != 0 || pkey == NULL ||
	    !EVP_PKEY_is_a(pkey, "RSA") ||
	    siglen != (size_t)EVP_PKEY_get_size(pkey))
		goto out;
	if ((md = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)input,
	    inlen) == 1;
out:
	EVP_MD_CTX_free(md);
	return ok;
}

enum err
cognito_verify(struct cognito *cg, const char *token, size_t len,
    time_t now, struct cognito_identity *id, const char **reason)
{
	json_object *hdr = NULL, *pl = NULL;
	struct jwks *set = NULL;
	const struct jwks_key *key = NULL;
	const char *dot1, *dot2, *alg, *kid, *why;
	unsigned char sig[LIMIT_RSA_BITS_MAX / 8 + 1];
	size_t i, kidlen = 0, siglen = 0;
	enum err rc = ERR_AUTH;

	memset(id, 0, sizeof(*id));
	*reason = "malformed token";
	if (token == NULL || len == 0) {
		*reason = "missing token";
		goto out;
	}
	if (len > LIMIT_TOKEN_BYTES) {
		*reason = "token too large";
		rc = ERR_TOO_LARGE;
		goto out;
	}
	/* Step 1: shape.  Exactly header.payload.signature, all non-empty
	 * (an empty signature is how "alg: none" tokens look). */
	for (i = 0; i < len; i++)
		if (token[i] != '.' && token[i] != '-' && token[i] != '_' &&
		    !((token[i] >= 'a' && token[i] <= 'z') ||
		    (token[i] >= 'A' && token[i] <= 'Z') ||
		    (token[i] >= '0' && token[i] <= '9')))
			goto out;
	if ((dot1 = memchr(token, '.', len)) == NULL ||
	    (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))) ==
	    NULL ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		goto out;
	if (dot2 + 1 == token + len) {
		*reason = "token is not signed";
		goto out;
	}
	if ((hdr = cognito_segment_json(token, (size_t)(dot1 - token),
	    COGNITO_HEADER_MAX)) == NULL) {
		*reason = "malformed token header";
		goto out;
	}
	if ((alg = jsonparse_str(hdr, "alg", NULL)) == NULL ||
	    strcmp(alg, "RS256") != 0) {
		*reason = "token algorithm not accepted";
		goto out;
	}
	if (json_object_object_get_ex(hdr, "crit", NULL)) {
		*reason = "token header has critical extensions";
		goto out;
	}
	if ((kid = jsonparse_str(hdr, "kid", &kidlen)) == NULL || kidlen == 0 ||
	    kidlen > LIMIT_KID_BYTES || !cognito_printable(kid, kidlen)) {
		*reason = "token has no usable key id";
		goto out;
	}
	if ((pl = cognito_segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1),
	    LIMIT_TOKEN_BYTES)) == NULL) {
		*reason = "malformed token payload";
		goto out;
	}
	if (b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), sig,
	    sizeof(sig), &siglen) != ERR_OK || siglen == 0) {
		*reason = "malformed token signature";
		goto out;
	}

	/* Step 2: the key. */
	switch (jwks_cache_get(cg->keys, kid, &set, &key)) {
	case ERR_OK:
		break;
	case ERR_UNAVAILABLE:
		*reason = "signing keys unavailable";
		rc = ERR_UNAVAILABLE;
		goto out;
	default:
		*reason = "unknown signing key";
		goto out;
	}

	/* Step 3: the signature over "header.payload", RS256 by construction
	 * (the alg is passed again and checked where the key is used). */
	if (!cognito_rs256_verify(alg, key->pkey, token,
	    (size_t)(dot2 - token), sig, siglen)) {
		*reason = "invalid signature";
		goto out;
	}

	/* Step 4: the claims. */
	if ((why = cognito_claims(cg, pl, now, id)) != NULL) {
		*reason = why;
		memset(id, 0, sizeof(*id));
		goto out;
	}
	*reason = "ok";
	rc = ERR_OK;
out:
	if (rc != ERR_OK)
		log_info("token refused: %s", *reason);
	jwks_free(set);
	json_object_put(hdr);
	json_object_put(pl);
	return rc;
}
