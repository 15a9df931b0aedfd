/*
 * sigv4.c: AWS Signature Version 4 signing and presigning.
 *
 * The S3 storage path signs header-authorised requests (HEAD/PUT of
 * manifests) and hands browsers presigned PUT URLs for audio chunks; the
 * delivery path signs EventBridge PutEvents.  Both go through sigv4_core(),
 * which builds the canonical request, the string to sign and the signature
 * exactly as the AWS documentation describes, with the S3 differences (path
 * encoded once, not normalised; x-amz-content-sha256).  The derived signing
 * key is kept in a small LRU cache in the signer, keyed by
 * date/region/service, and dropped whenever the credentials change.
 * Where an S3 object lives (endpoint, bucket, key -> Host, path, URL) is
 * s3loc.c's job; sigv4_presign_url() joins the two for the API.
 *
 * No I/O besides a log line where a failure is found; inputs are checked
 * against lib/limit.h before any work.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "buf.h"
#include "limit.h"
#include "log.h"
#include "sigv4.h"

#define SIGV4_CACHE_SLOTS	4
#define SIGV4_SCOPE_PART_MAX	64	/* region, service */
#define SIGV4_KEY_ID_MAX	128
#define SIGV4_METHOD_MAX	16
#define SIGV4_HOST_MAX		255
#define SIGV4_HNAME_MAX		128
#define SIGV4_MAC_LEN		32

struct sigv4_cache_slot {
	char		 date[9];
	char		 region[SIGV4_SCOPE_PART_MAX + 1];
	char		 service[SIGV4_SCOPE_PART_MAX + 1];
	unsigned char	 key[SIGV4_MAC_LEN];
	unsigned long	 last;		/* LRU clock; 0 means empty */
};

struct sigv4_signer {
	char			*key_id;
	char			*secret;	/* "AWS4" + secret access key */
	size_t			 secret_len;
	char			*token;		/* NULL without session token */
	EVP_MAC			*mac;
	EVP_MAC_CTX		*mctx;
	EVP_MD			*md;
	EVP_MD_CTX		*dctx;
	struct sigv4_cache_slot	 cache[SIGV4_CACHE_SLOTS];
	unsigned long		 clock;
	unsigned long		 derived;
	unsigned long		 hits;
};

/* One header to sign, before sorting. */
struct sigv4_hdr {
	char		 name[SIGV4_HNAME_MAX + 1];	/* lower-case */
	const char	*value;
	size_t		 order;
};

/* One canonical query parameter, both halves already encoded. */
struct sigv4_param {
	char	*k;
	char	*v;
};

/* What sigv4_sign() and sigv4_presign() have in common. */
struct sigv4_core_in {
	const char			*method;
	const char			*host;
	const char			*path;
	const char			*query;
	const struct sigv4_header	*headers;
	size_t				 nheaders;
	const struct sigv4_header	*added;		/* signer's own */
	size_t				 nadded;
	const char			*payload_hash;
	const char			*region;
	const char			*service;
	const char			*amz_date;
	long				 expires;	/* > 0: presign */
	int				 presign_token;	/* add the token */
};

struct sigv4_core_out {
	char	*canonical_request;
	char	*string_to_sign;
	char	*signed_headers;
	char	*query;			/* canonical query string */
	char	*credential;	/* id/date/region/service/aws4_request */
	char	 signature[SIGV4_HEX_LEN + 1];
};

static const char sigv4_hexup[] = "0123456789ABCDEF";

/* ------------------------------------------------------------ strings */

/*
 * Text is built in struct buf (lib/buf.h): its errors are sticky, so each
 * part below appends without checking and the core looks once per string.
 */

/*
 * RFC 3986's unreserved bytes, A-Z a-z 0-9 - . _ ~, as a bitmap of the 128
 * ASCII codes: every byte of every key, path and query goes through here,
 * and one lookup was an eighth of a presign's instructions less than the
 * chain of comparisons it replaces.
 */
static const uint64_t sigv4_unreserved_map[2] = {
	(1ULL << '-') | (1ULL << '.') | (0x3ffULL << '0'),
	(0x3ffffffULL << ('A' - 64)) | (1ULL << ('_' - 64)) |
	    (0x3ffffffULL << ('a' - 64)) | (1ULL << ('~' - 64)),
};

static inline int
sigv4_unreserved(unsigned char c)
{
	return c < 128 && (sigv4_unreserved_map[c >> 6] >> (c & 63) & 1);
}

void
sigv4_uri_append(struct buf *b, const char *s, size_t n, int keep_slash)
{
	size_t i, o = 0;
	unsigned char c;
	char *w;

	/* Room for the worst case (every byte escaped) once, then write.
	 * 3n overflowing: ask for the impossible, which sets ERR_NOMEM. */
	if (n > (SIZE_MAX - 1) / 3) {
		buf_grow(b, SIZE_MAX);
		return;
	}
	if ((w = buf_space(b, n * 3)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (sigv4_unreserved(c) || (keep_slash && c == '/'))
			w[o++] = (char)c;
		else {
			w[o++] = '%';
			w[o++] = sigv4_hexup[c >> 4];
			w[o++] = sigv4_hexup[c & 0xf];
		}
	}
	buf_commit(b, o);
}

static int
sigv4_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX escapes of s[0..n) into b; -1 on a malformed escape or %00. */
static int
sigv4_pct_decode(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int hi, lo;

	buf_grow(b, n);
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			buf_addc(b, s[i]);
			continue;
		}
		if (n - i < 3)
			return -1;
		if ((hi = sigv4_hexval(s[i + 1])) < 0 ||
		    (lo = sigv4_hexval(s[i + 2])) < 0 || (hi | lo) == 0)
			return -1;
		buf_addc(b, (char)(hi << 4 | lo));
		i += 2;
	}
	return 0;
}

/* in[0..n) as lower-case hex into out (2n + 1 bytes). */
static void
sigv4_hex(const unsigned char *in, size_t n, char *out)
{
	struct buf b;

	buf_init_fixed(&b, out, 2 * n + 1);
	buf_add_hex(&b, in, n);
}

/* ---------------------------------------------------------- validation */

/* 1..max bytes of [a-z0-9-]: region and service names. */
static int
sigv4_scope_ok(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= SIGV4_SCOPE_PART_MAX)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	}
	return 1;
}

static int
sigv4_key_id_ok(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= SIGV4_KEY_ID_MAX)
			return 0;
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return 0;
	}
	return 1;
}

/* Printable ASCII without space, 1..max bytes: secrets and tokens. */
static int
sigv4_printable_ok(const char *s, size_t max)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int
sigv4_method_ok(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= SIGV4_METHOD_MAX || s[i] < 'A' || s[i] > 'Z')
			return 0;
	return 1;
}

/* host[:port], a DNS name, IPv4 or [IPv6] literal. */
static int
sigv4_host_ok(const char *s)
{
	size_t i;
	char c;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		c = s[i];
		if (i >= SIGV4_HOST_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == ':' || c == '[' || c == ']' || c == '_'))
			return 0;
	}
	return 1;
}

static int
sigv4_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
sigv4_hname_ok(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= SIGV4_HNAME_MAX || !sigv4_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* No CR, LF or other control bytes except tab; at most max bytes. */
static int
sigv4_text_ok(const char *s, size_t max, int tab_ok)
{
	size_t i;
	unsigned char c;

	for (i = 0; s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (i >= max)
			return 0;
		if ((c < 0x20 && !(tab_ok && c == '\t')) || c == 0x7f)
			return 0;
	}
	return 1;
}

static int
sigv4_payload_hash_ok(const char *s)
{
	size_t i;

	if (strcmp(s, SIGV4_UNSIGNED_PAYLOAD) == 0)
		return 1;
	for (i = 0; i < SIGV4_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[SIGV4_HEX_LEN] == '\0';
}

static int
sigv4_is_s3(const char *service)
{
	return strcmp(service, "s3") == 0;
}

/* "YYYYMMDDTHHMMSSZ"; -1 for a time outside 1970..9999. */
static int
sigv4_amz_date(time_t now, char out[SIGV4_AMZ_DATE_LEN + 1])
{
	struct tm tm;

	if (now < 0 || gmtime_r(&now, &tm) == NULL ||
	    tm.tm_year + 1900 > 9999)
		return -1;
	if (strftime(out, SIGV4_AMZ_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) !=
	    SIGV4_AMZ_DATE_LEN)
		return -1;
	return 0;
}

/* -------------------------------------------------------------- crypto */

static enum err
sigv4_hmac(struct sigv4_signer *sg, const void *key, size_t keylen,
    const void *msg, size_t msglen, unsigned char out[SIGV4_MAC_LEN])
{
	size_t outlen = 0;

	/* The digest was set once in sigv4_signer_new(): naming it here made
	 * OpenSSL fetch SHA-256 again on every HMAC. */
	if (!EVP_MAC_init(sg->mctx, key, keylen, NULL) ||
	    !EVP_MAC_update(sg->mctx, msg, msglen) ||
	    !EVP_MAC_final(sg->mctx, out, &outlen, SIGV4_MAC_LEN) ||
	    outlen != SIGV4_MAC_LEN) {
		log_error("HMAC-SHA256 failed");
		return ERR_CRYPTO;
	}
	return ERR_OK;
}

static enum err
sigv4_digest_hex(struct sigv4_signer *sg, const void *buf, size_t len,
    char out[SIGV4_HEX_LEN + 1])
{
	unsigned char md[SIGV4_MAC_LEN];
	unsigned int mdlen = 0;

	if (!EVP_DigestInit_ex(sg->dctx, sg->md, NULL) ||
	    !EVP_DigestUpdate(sg->dctx, buf, len) ||
	    !EVP_DigestFinal_ex(sg->dctx, md, &mdlen) ||
	    mdlen != SIGV4_MAC_LEN) {
		log_error("SHA-256 failed");
		return ERR_CRYPTO;
	}
	sigv4_hex(md, SIGV4_MAC_LEN, out);
	return ERR_OK;
}

enum err
sigv4_sha256_hex(const void *buf, size_t len, char out[SIGV4_HEX_LEN + 1])
{
	unsigned char md[SIGV4_MAC_LEN];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != SIGV4_MAC_LEN) {
		log_error("SHA-256 failed");
		return ERR_CRYPTO;
	}
	sigv4_hex(md, SIGV4_MAC_LEN, out);
	return ERR_OK;
}

/*
 * The signing key for date/region/service, from the cache or derived:
 * HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request").
 */
static enum err
sigv4_signing_key(struct sigv4_signer *sg, const char *date,
    const char *region, const char *service, unsigned char key[SIGV4_MAC_LEN])
{
	struct sigv4_cache_slot *slot, *victim;
	unsigned char k1[SIGV4_MAC_LEN], k2[SIGV4_MAC_LEN];
	enum err e;
	size_t i;

	victim = &sg->cache[0];
	for (i = 0; i < SIGV4_CACHE_SLOTS; i++) {
		slot = &sg->cache[i];
		if (slot->last != 0 && strcmp(slot->date, date) == 0 &&
		    strcmp(slot->region, region) == 0 &&
		    strcmp(slot->service, service) == 0) {
			slot->last = ++sg->clock;
			sg->hits++;
			memcpy(key, slot->key, SIGV4_MAC_LEN);
			return ERR_OK;
		}
		if (slot->last < victim->last)
			victim = slot;
	}

	if ((e = sigv4_hmac(sg, sg->secret, sg->secret_len, date,
	    strlen(date), k1)) != ERR_OK ||
	    (e = sigv4_hmac(sg, k1, sizeof(k1), region, strlen(region),
	    k2)) != ERR_OK ||
	    (e = sigv4_hmac(sg, k2, sizeof(k2), service, strlen(service),
	    k1)) != ERR_OK ||
	    (e = sigv4_hmac(sg, k1, sizeof(k1), "aws4_request", 12,
	    key)) != ERR_OK)
		goto out;

	/* date/region/service were checked for length by the caller. */
	snprintf(victim->date, sizeof(victim->date), "%s", date);
	snprintf(victim->region, sizeof(victim->region), "%s", region);
	snprintf(victim->service, sizeof(victim->service), "%s", service);
	memcpy(victim->key, key, SIGV4_MAC_LEN);
	victim->last = ++sg->clock;
	sg->derived++;
out:
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	return e;
}

/* -------------------------------------------------------------- signer */

static void
sigv4_creds_free(char *key_id, char *secret, size_t secret_len, char *token)
{
	free(key_id);
	if (secret != NULL)
		OPENSSL_cleanse(secret, secret_len);
	free(secret);
	if (token != NULL)	/* a session token is a credential too */
		OPENSSL_cleanse(token, strlen(token));
	free(token);
}

enum err
sigv4_signer_set_credentials(struct sigv4_signer *sg,
    const char *access_key_id, const char *secret_access_key,
    const char *session_token)
{
	char *key_id = NULL, *secret = NULL, *token = NULL;
	size_t slen = 0;
	enum err e = ERR_OK;

	if (!sigv4_key_id_ok(access_key_id)) {
		log_warn("access key id empty, too long or of a bad shape");
		e = ERR_INVAL;
		goto out;
	}
	if (!sigv4_printable_ok(secret_access_key,
	    LIMIT_SIGV4_SECRET_BYTES)) {
		log_warn("secret access key empty, too long or not printable");
		e = ERR_INVAL;
		goto out;
	}
	if (session_token != NULL && !sigv4_printable_ok(session_token,
	    LIMIT_SIGV4_TOKEN_BYTES)) {
		log_warn("session token empty, too long or not printable");
		e = ERR_INVAL;
		goto out;
	}
	slen = 4 + strlen(secret_access_key);
	if ((key_id = strdup(access_key_id)) == NULL ||
	    (secret = malloc(slen + 1)) == NULL ||
	    (session_token != NULL &&
	    (token = strdup(session_token)) == NULL)) {
		e = ERR_NOMEM;
		goto out;
	}
	memcpy(secret, "AWS4", 4);
	memcpy(secret + 4, secret_access_key, slen - 4 + 1);

	/* Swap in the new credentials; the old ones are wiped below. */
	{
		char *ok = sg->key_id, *os = sg->secret, *ot = sg->token;
		size_t ol = sg->secret_len;

		sg->key_id = key_id;
		sg->secret = secret;
		sg->secret_len = slen;
		sg->token = token;
		key_id = ok;
		secret = os;
		slen = ol;
		token = ot;
	}
	OPENSSL_cleanse(sg->cache, sizeof(sg->cache));
out:
	sigv4_creds_free(key_id, secret, slen, token);
	return e;
}

enum err
sigv4_signer_new(struct sigv4_signer **out, const char *access_key_id,
    const char *secret_access_key, const char *session_token)
{
	struct sigv4_signer *sg = NULL;
	OSSL_PARAM params[2];
	enum err e;

	*out = NULL;
	if ((sg = calloc(1, sizeof(*sg))) == NULL) {
		e = ERR_NOMEM;
		goto fail;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((sg->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (sg->mctx = EVP_MAC_CTX_new(sg->mac)) == NULL ||
	    !EVP_MAC_CTX_set_params(sg->mctx, params) ||
	    (sg->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (sg->dctx = EVP_MD_CTX_new()) == NULL) {
		log_error("OpenSSL lacks HMAC or SHA-256");
		e = ERR_CRYPTO;
		goto fail;
	}
	if ((e = sigv4_signer_set_credentials(sg, access_key_id,
	    secret_access_key, session_token)) != ERR_OK)
		goto fail;
	*out = sg;
	return ERR_OK;
fail:
	sigv4_signer_free(sg);
	return e;
}

void
sigv4_signer_free(struct sigv4_signer *sg)
{
	if (sg == NULL)
		return;
	sigv4_creds_free(sg->key_id, sg->secret, sg->secret_len, sg->token);
	EVP_MAC_CTX_free(sg->mctx);
	EVP_MAC_free(sg->mac);
	EVP_MD_CTX_free(sg->dctx);
	EVP_MD_free(sg->md);
	OPENSSL_cleanse(sg, sizeof(*sg));
	free(sg);
}

void
sigv4_signer_stats(const struct sigv4_signer *sg, unsigned long *derived,
    unsigned long *hits)
{
	*derived = sg->derived;
	*hits = sg->hits;
}

/* ------------------------------------------------------ canonical parts */

/* S3: encode once, '/' kept, nothing normalised. */
static void
sigv4_path_s3(struct buf *b, const char *path)
{
	if (path == NULL || *path == '\0') {
		buf_addc(b, '/');
		return;
	}
	sigv4_uri_append(b, path, strlen(path), 1);
}

/*
 * Other services: remove "." and ".." segments and empty segments (runs of
 * '/'), keep a trailing '/', and encode every segment twice.
 */
static int
sigv4_path_generic(struct buf *b, const char *path)
{
	const char **seg = NULL;
	size_t *seglen = NULL;
	size_t nseg = 0, max = 1, i, n;
	const char *p, *s;
	int trailing = 0, rc = -1;
	struct buf once;

	buf_init(&once);
	if (path == NULL || *path == '\0')
		path = "/";
	for (p = path; *p != '\0'; p++)
		if (*p == '/')
			max++;
	if ((seg = calloc(max, sizeof(*seg))) == NULL ||
	    (seglen = calloc(max, sizeof(*seglen))) == NULL)
		goto out;
	for (p = path; ; ) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		s = p;
		while (*p != '\0' && *p != '/')
			p++;
		n = (size_t)(p - s);
		trailing = *p == '/';
		if (n == 1 && s[0] == '.') {
			trailing = 1;
			continue;
		}
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (nseg > 0)
				nseg--;
			trailing = 1;
			continue;
		}
		seg[nseg] = s;
		seglen[nseg++] = n;
	}
	if (path[strlen(path) - 1] == '/')
		trailing = 1;
	for (i = 0; i < nseg; i++) {
		buf_addc(b, '/');
		buf_reset(&once);
		sigv4_uri_append(&once, seg[i], seglen[i], 0);
		if (buf_err(&once) != ERR_OK)
			goto out;
		sigv4_uri_append(b, once.p, once.len, 0);
	}
	if (nseg == 0 || trailing)
		buf_addc(b, '/');
	rc = buf_err(b) != ERR_OK ? -1 : 0;
out:
	buf_free(&once);
	free(seg);
	free(seglen);
	return rc;
}

static int
sigv4_param_cmp(const void *a, const void *b)
{
	const struct sigv4_param *pa = a, *pb = b;
	int c;

	if ((c = strcmp(pa->k, pb->k)) != 0)
		return c;
	return strcmp(pa->v, pb->v);
}

static void
sigv4_params_free(struct sigv4_param *p, size_t n)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(p[i].k);
		free(p[i].v);
	}
	free(p);
}

/* Encode raw s[0..n) (after %XX decoding) into a fresh string. */
static enum err
sigv4_param_part(const char *s, size_t n, char **out)
{
	struct buf dec, enc;
	enum err e = ERR_OK;

	*out = NULL;
	buf_init(&dec);
	buf_init(&enc);
	if (sigv4_pct_decode(&dec, s, n) != 0) {
		log_warn("malformed %%-escape in query string");
		e = ERR_INVAL;
		goto out;
	}
	if (buf_err(&dec) != ERR_OK) {
		e = ERR_NOMEM;
		goto out;
	}
	sigv4_uri_append(&enc, dec.p == NULL ? "" : dec.p, dec.len, 0);
	if ((*out = buf_take(&enc)) == NULL)
		e = ERR_NOMEM;
out:
	buf_free(&dec);
	buf_free(&enc);
	return e;
}

/*
 * The query parameters a presign writes itself (and X-Amz-Content-Sha256,
 * which S3 reads as the payload hash): a caller may not give them.  Other
 * x-amz-* parameters (x-amz-meta-*, x-amz-acl, ...) are S3 headers hoisted
 * into the query, signed with it.
 */
static int
sigv4_reserved(const char *name)
{
	static const char *const reserved[] = { "X-Amz-Algorithm",
		"X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
		"X-Amz-SignedHeaders", "X-Amz-Signature",
		"X-Amz-Security-Token", "X-Amz-Content-Sha256", NULL };
	size_t i;

	/* Every hoisted name is checked twice per presign: a prefix test,
	 * then the first letter after it, before any whole comparison. */
	if (strncasecmp(name, "X-Amz-", 6) != 0)
		return 0;
	for (i = 0; reserved[i] != NULL; i++)
		if ((name[6] | 0x20) == (reserved[i][6] | 0x20) &&
		    strcasecmp(name + 6, reserved[i] + 6) == 0)
			return 1;
	return 0;
}

/*
 * Parse the caller's query, add extra (already encoded) params, sort, and
 * write "k=v&k=v".  reject_amz: refuse the presign's own X-Amz-* names
 * from the caller.
 */
static enum err
sigv4_query(const char *query, const struct sigv4_param *extra,
    size_t nextra, int reject_amz, char **out)
{
	struct sigv4_param *p = NULL;
	size_t np = 0, max = nextra, i;
	const char *s, *amp, *eq, *end;
	struct buf b;
	enum err e = ERR_OK;

	*out = NULL;
	buf_init(&b);
	if (query == NULL)
		query = "";
	if (strlen(query) > LIMIT_SIGV4_URL_BYTES ||
	    !sigv4_text_ok(query, LIMIT_SIGV4_URL_BYTES, 0)) {
		log_warn("query string too long or has control characters");
		e = ERR_INVAL;
		goto out;
	}
	for (s = query; *s != '\0'; s++)
		if (*s == '&')
			max++;
	max++;
	if ((p = calloc(max, sizeof(*p))) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	for (s = query; *s != '\0'; s = *amp == '&' ? amp + 1 : amp) {
		if ((amp = strchr(s, '&')) == NULL)
			amp = s + strlen(s);
		if (amp == s)
			continue;		/* "&&" */
		if (np >= LIMIT_SIGV4_QUERY_PARAMS) {
			log_warn("more than %d query parameters",
			    LIMIT_SIGV4_QUERY_PARAMS);
			e = ERR_INVAL;
			goto out;
		}
		eq = memchr(s, '=', (size_t)(amp - s));
		end = eq != NULL ? eq : amp;
		if ((e = sigv4_param_part(s, (size_t)(end - s),
		    &p[np].k)) != ERR_OK)
			goto out;
		e = sigv4_param_part(eq != NULL ? eq + 1 : amp,
		    eq != NULL ? (size_t)(amp - eq - 1) : 0, &p[np].v);
		np++;
		if (e != ERR_OK)
			goto out;
		if (reject_amz && sigv4_reserved(p[np - 1].k)) {
			log_warn("query may not carry the presign's own "
			    "X-Amz-* parameters");
			e = ERR_INVAL;
			goto out;
		}
	}
	for (i = 0; i < nextra; i++, np++)
		if ((p[np].k = strdup(extra[i].k)) == NULL ||
		    (p[np].v = strdup(extra[i].v)) == NULL) {
			np++;
			e = ERR_NOMEM;
			goto out;
		}
	qsort(p, np, sizeof(*p), sigv4_param_cmp);
	for (i = 0; i < np; i++) {
		if (i > 0)
			buf_addc(&b, '&');
		buf_adds(&b, p[i].k);
		buf_addc(&b, '=');
		buf_adds(&b, p[i].v);
	}
	if ((*out = buf_take(&b)) == NULL)
		e = ERR_NOMEM;
out:
	buf_free(&b);
	sigv4_params_free(p, np);
	return e;
}

static int
sigv4_hdr_cmp(const void *a, const void *b)
{
	const struct sigv4_hdr *ha = a, *hb = b;
	int c;

	if ((c = strcmp(ha->name, hb->name)) != 0)
		return c;
	return ha->order < hb->order ? -1 : ha->order > hb->order;
}

/* Trim, and collapse runs of spaces and tabs to one space. */
static void
sigv4_header_value(struct buf *b, const char *v)
{
	int pending = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t') {
			pending = 1;
			continue;
		}
		if (pending)
			buf_addc(b, ' ');
		pending = 0;
		buf_addc(b, *v);
	}
}

/* Add one header to h[], checked and with its name lower-cased. */
static enum err
sigv4_hdr_push(struct sigv4_hdr *h, size_t *n, size_t max,
    const char *name, const char *value)
{
	size_t i;

	if (*n >= max) {
		log_warn("more than %d headers to sign", LIMIT_SIGV4_HEADERS);
		return ERR_INVAL;
	}
	if (!sigv4_hname_ok(name)) {
		log_warn("header name empty, too long or not a token");
		return ERR_INVAL;
	}
	if (value == NULL || strlen(value) > LIMIT_SIGV4_HEADER_BYTES ||
	    !sigv4_text_ok(value, LIMIT_SIGV4_HEADER_BYTES, 1)) {
		log_warn("header %s: value missing, too long or has control "
		    "characters", name);
		return ERR_INVAL;
	}
	for (i = 0; name[i] != '\0'; i++)
		h[*n].name[i] = (name[i] >= 'A' && name[i] <= 'Z') ?
		    (char)(name[i] + ('a' - 'A')) : name[i];
	h[*n].name[i] = '\0';
	h[*n].value = value;
	h[*n].order = *n;
	(*n)++;
	return ERR_OK;
}

static void
sigv4_core_out_free(struct sigv4_core_out *co)
{
	free(co->canonical_request);
	free(co->string_to_sign);
	free(co->signed_headers);
	free(co->query);
	free(co->credential);
	memset(co, 0, sizeof(*co));
}

/*
 * The core, in the order the AWS documentation builds a signature:
 * sigv4_core_check() (what only the core checks), sigv4_hset_build() (the
 * headers to sign), sigv4_core_query() (the canonical query, with the
 * presign's X-Amz-* parameters), sigv4_canonical_request(), then
 * sigv4_signature() (string to sign and signature).  sigv4_core() runs
 * them and owns what they build.
 */

/* Method, scope, path and header count: what the callers leave to us. */
static enum err
sigv4_core_check(const struct sigv4_core_in *in)
{
	if (!sigv4_method_ok(in->method)) {
		log_warn("method missing or not an upper-case token");
		return ERR_INVAL;
	}
	if (!sigv4_scope_ok(in->region) || !sigv4_scope_ok(in->service)) {
		log_warn("region or service missing or not [a-z0-9-]");
		return ERR_INVAL;
	}
	if (in->path != NULL && (strlen(in->path) > LIMIT_SIGV4_URL_BYTES ||
	    !sigv4_text_ok(in->path, LIMIT_SIGV4_URL_BYTES, 0) ||
	    (in->path[0] != '\0' && in->path[0] != '/'))) {
		log_warn("path too long, not absolute or has control "
		    "characters");
		return ERR_INVAL;
	}
	if (in->nheaders > LIMIT_SIGV4_HEADERS ||
	    (in->nheaders > 0 && in->headers == NULL)) {
		log_warn("more than %d headers to sign", LIMIT_SIGV4_HEADERS);
		return ERR_INVAL;
	}
	return ERR_OK;
}

/* The headers to sign, sorted by name (then by the order given), and their
 * distinct names joined with ';'. */
struct sigv4_hset {
	struct sigv4_hdr	*h;
	size_t			 n;
	struct buf		 names;		/* "host;x-amz-date" */
};

static void
sigv4_hset_free(struct sigv4_hset *hs)
{
	free(hs->h);
	buf_free(&hs->names);
	memset(hs, 0, sizeof(*hs));
}

/*
 * The caller's headers, then Host (exactly one: the argument or a header,
 * never both), then the signer's own (x-amz-date, ...).  Authorization is
 * never signed.  On error *hs may hold part of the set: free it.
 */
static enum err
sigv4_hset_build(const struct sigv4_core_in *in, struct sigv4_hset *hs)
{
	size_t maxh, i, nhost = 0;
	enum err e;

	maxh = in->nheaders + in->nadded + 1;
	if ((hs->h = calloc(maxh, sizeof(*hs->h))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < in->nheaders; i++)
		if ((e = sigv4_hdr_push(hs->h, &hs->n, maxh,
		    in->headers[i].name, in->headers[i].value)) != ERR_OK)
			return e;
	for (i = 0; i < hs->n; i++)
		if (strcmp(hs->h[i].name, "host") == 0)
			nhost++;
	if (in->host != NULL) {
		if (nhost > 0) {
			log_warn("host given both as argument and header");
			return ERR_INVAL;
		}
		if ((e = sigv4_hdr_push(hs->h, &hs->n, maxh, "host",
		    in->host)) != ERR_OK)
			return e;
		nhost = 1;
	}
	if (nhost != 1) {
		log_warn("exactly one valid host is needed");
		return ERR_INVAL;
	}
	for (i = 0; i < hs->n; i++) {
		if (strcmp(hs->h[i].name, "host") == 0 &&
		    !sigv4_host_ok(hs->h[i].value)) {
			log_warn("host header of a bad shape");
			return ERR_INVAL;
		}
		if (strcmp(hs->h[i].name, "authorization") == 0) {
			log_warn("header %s may not be signed here",
			    hs->h[i].name);
			return ERR_INVAL;
		}
	}
	for (i = 0; i < in->nadded; i++)
		if ((e = sigv4_hdr_push(hs->h, &hs->n, maxh, in->added[i].name,
		    in->added[i].value)) != ERR_OK)
			return e;
	qsort(hs->h, hs->n, sizeof(*hs->h), sigv4_hdr_cmp);
	for (i = 0; i < hs->n; i++) {
		if (i > 0 && strcmp(hs->h[i].name, hs->h[i - 1].name) == 0)
			continue;
		if (hs->names.len > 0)
			buf_addc(&hs->names, ';');
		buf_adds(&hs->names, hs->h[i].name);
	}
	return buf_err(&hs->names) != ERR_OK ? ERR_NOMEM : ERR_OK;
}

/* "AKID/20130524/us-east-1/s3/aws4_request", or NULL (out of memory). */
static char *
sigv4_credential(const struct sigv4_signer *sg, const char *date,
    const char *region, const char *service)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, sg->key_id);
	buf_addc(&b, '/');
	buf_adds(&b, date);
	buf_addc(&b, '/');
	buf_adds(&b, region);
	buf_addc(&b, '/');
	buf_adds(&b, service);
	buf_adds(&b, "/aws4_request");
	return buf_take(&b);
}

/*
 * The canonical query string into *query: the caller's parameters and,
 * for a presign (in->expires > 0), the X-Amz-* parameters of the URL
 * except the signature, which cannot sign itself.
 */
static enum err
sigv4_core_query(const struct sigv4_signer *sg,
    const struct sigv4_core_in *in, const char *credential,
    const struct sigv4_hset *hs, char **query)
{
	struct sigv4_param extra[6];
	size_t nextra = 0;
	char expires[24];
	char *cred_enc = NULL, *sh_enc = NULL, *tok_enc = NULL;
	enum err e;

	if (in->expires > 0) {
		snprintf(expires, sizeof(expires), "%ld", in->expires);
		if ((e = sigv4_uri_encode(credential, strlen(credential), 0,
		    &cred_enc)) != ERR_OK ||
		    (e = sigv4_uri_encode(hs->names.p, hs->names.len, 0,
		    &sh_enc)) != ERR_OK)
			goto out;
		extra[nextra].k = (char *)"X-Amz-Algorithm";
		extra[nextra++].v = (char *)SIGV4_ALGORITHM;
		extra[nextra].k = (char *)"X-Amz-Credential";
		extra[nextra++].v = cred_enc;
		extra[nextra].k = (char *)"X-Amz-Date";
		extra[nextra++].v = (char *)in->amz_date;
		extra[nextra].k = (char *)"X-Amz-Expires";
		extra[nextra++].v = expires;
		extra[nextra].k = (char *)"X-Amz-SignedHeaders";
		extra[nextra++].v = sh_enc;
		if (in->presign_token) {
			if ((e = sigv4_uri_encode(sg->token,
			    strlen(sg->token), 0, &tok_enc)) != ERR_OK)
				goto out;
			extra[nextra].k = (char *)"X-Amz-Security-Token";
			extra[nextra++].v = tok_enc;
		}
	}
	e = sigv4_query(in->query, extra, nextra, in->expires > 0, query);
out:
	free(cred_enc);
	free(sh_enc);
	free(tok_enc);
	return e;
}

/*
 * METHOD \n path \n query \n name:value lines \n\n signed names \n payload
 * hash, into cr.  Repeated headers are joined with ',' in the order given.
 */
static enum err
sigv4_canonical_request(const struct sigv4_core_in *in, const char *query,
    const struct sigv4_hset *hs, struct buf *cr)
{
	size_t i;

	buf_adds(cr, in->method);
	buf_addc(cr, '\n');
	if (sigv4_is_s3(in->service))
		sigv4_path_s3(cr, in->path);
	else if (sigv4_path_generic(cr, in->path) != 0)
		return ERR_NOMEM;
	buf_addc(cr, '\n');
	buf_adds(cr, query);
	buf_addc(cr, '\n');
	for (i = 0; i < hs->n; i++) {
		if (i > 0 && strcmp(hs->h[i].name, hs->h[i - 1].name) == 0) {
			buf_addc(cr, ',');
		} else {
			if (i > 0)
				buf_addc(cr, '\n');
			buf_adds(cr, hs->h[i].name);
			buf_addc(cr, ':');
		}
		sigv4_header_value(cr, hs->h[i].value);
	}
	buf_adds(cr, "\n\n");
	buf_adds(cr, hs->names.p);
	buf_addc(cr, '\n');
	buf_adds(cr, in->payload_hash);
	return buf_err(cr) != ERR_OK ? ERR_NOMEM : ERR_OK;
}

/*
 * The string to sign (algorithm, date, scope, hash of the canonical
 * request) into sts, and its HMAC with the day's signing key as hex.
 * scope is the credential without the key id.
 */
static enum err
sigv4_signature(struct sigv4_signer *sg, const struct sigv4_core_in *in,
    const char *date, const char *scope, const struct buf *cr, struct buf *sts,
    char sig_hex[SIGV4_HEX_LEN + 1])
{
	char hash[SIGV4_HEX_LEN + 1];
	unsigned char key[SIGV4_MAC_LEN], sig[SIGV4_MAC_LEN];
	enum err e;

	if ((e = sigv4_digest_hex(sg, cr->p, cr->len, hash)) != ERR_OK)
		return e;
	buf_adds(sts, SIGV4_ALGORITHM "\n");
	buf_adds(sts, in->amz_date);
	buf_addc(sts, '\n');
	buf_adds(sts, scope);
	buf_addc(sts, '\n');
	buf_adds(sts, hash);
	if (buf_err(sts) != ERR_OK)
		return ERR_NOMEM;
	if ((e = sigv4_signing_key(sg, date, in->region, in->service,
	    key)) == ERR_OK &&
	    (e = sigv4_hmac(sg, key, sizeof(key), sts->p, sts->len,
	    sig)) == ERR_OK)
		sigv4_hex(sig, sizeof(sig), sig_hex);
	OPENSSL_cleanse(key, sizeof(key));
	return e;
}

/*
 * Canonical request, string to sign and signature.  For a presign
 * (in->expires > 0) the X-Amz-* parameters join the query.
 */
static enum err
sigv4_core(struct sigv4_signer *sg, const struct sigv4_core_in *in,
    struct sigv4_core_out *out)
{
	struct sigv4_hset hs;
	struct buf cr, sts;
	char date[9];
	enum err e;

	memset(out, 0, sizeof(*out));
	memset(&hs, 0, sizeof(hs));
	buf_init(&hs.names);
	buf_init(&cr);
	buf_init(&sts);
	memcpy(date, in->amz_date, 8);
	date[8] = '\0';

	if ((e = sigv4_core_check(in)) != ERR_OK ||
	    (e = sigv4_hset_build(in, &hs)) != ERR_OK)
		goto out;
	if ((out->credential = sigv4_credential(sg, date, in->region,
	    in->service)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	if ((e = sigv4_core_query(sg, in, out->credential, &hs,
	    &out->query)) != ERR_OK ||
	    (e = sigv4_canonical_request(in, out->query, &hs, &cr)) !=
	    ERR_OK ||
	    (e = sigv4_signature(sg, in, date, out->credential +
	    strlen(sg->key_id) + 1, &cr, &sts, out->signature)) != ERR_OK)
		goto out;

	if ((out->canonical_request = buf_take(&cr)) == NULL ||
	    (out->string_to_sign = buf_take(&sts)) == NULL ||
	    (out->signed_headers = buf_take(&hs.names)) == NULL)
		e = ERR_NOMEM;
out:
	buf_free(&cr);
	buf_free(&sts);
	sigv4_hset_free(&hs);
	if (e != ERR_OK)
		sigv4_core_out_free(out);
	return e;
}

/* ------------------------------------------------------------- signing */

/* The value of header `name` among the caller's, or NULL. */
static const char *
sigv4_find(const struct sigv4_header *h, size_t n, const char *name,
    size_t *count)
{
	const char *v = NULL;
	size_t i;

	*count = 0;
	for (i = 0; i < n; i++)
		if (h[i].name != NULL && strcasecmp(h[i].name, name) == 0) {
			if (v == NULL)
				v = h[i].value;
			(*count)++;
		}
	return v;
}

/* A header array with a name and value in every row, within the limit. */
static int
sigv4_headers_ok(const struct sigv4_header *h, size_t n)
{
	size_t i;

	if (n > LIMIT_SIGV4_HEADERS || (n > 0 && h == NULL)) {
		log_warn("more than %d headers to sign", LIMIT_SIGV4_HEADERS);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (h[i].name == NULL || h[i].value == NULL) {
			log_warn("header %zu has no name or no value", i);
			return 0;
		}
	return 1;
}

/*
 * What header signing and presigning both check first: scope parts, the
 * caller's headers and the signing time (written to amz_date).  Each
 * failure is logged.
 */
static enum err
sigv4_check_request(const char *service, const char *region,
    const struct sigv4_header *h, size_t nh, time_t now, char *amz_date)
{
	if (!sigv4_scope_ok(service) || !sigv4_scope_ok(region)) {
		log_warn("region or service missing or not [a-z0-9-]");
		return ERR_INVAL;
	}
	if (!sigv4_headers_ok(h, nh))
		return ERR_INVAL;
	if (sigv4_amz_date(now, amz_date) != 0) {
		log_warn("signing time outside 1970..9999");
		return ERR_INVAL;
	}
	return ERR_OK;
}

/*
 * The headers the signer adds to a header-signed request, each unless the
 * caller gave it (and then it must agree): X-Amz-Date, X-Amz-Content-Sha256
 * for S3, X-Amz-Security-Token with a session token.  added[] gets those
 * to sign, out->add[] those to send; *want_token says the token is still
 * to be sent (it goes after Authorization's move in sigv4_sign()).
 */
static enum err
sigv4_sign_added(const struct sigv4_signer *sg, const struct sigv4_request *r,
    struct sigv4_signed *out, struct sigv4_header added[3], size_t *nadded,
    int *want_token)
{
	const char *v;
	size_t n;

	*nadded = 0;
	*want_token = 0;
	v = sigv4_find(r->headers, r->nheaders, "x-amz-date", &n);
	if (n > 1 || (n == 1 && strcmp(v, out->amz_date) != 0)) {
		log_warn("x-amz-date header disagrees with the signing time");
		return ERR_INVAL;
	}
	if (n == 0) {
		added[*nadded].name = "x-amz-date";
		added[(*nadded)++].value = out->amz_date;
		out->add[out->nadd].name = "X-Amz-Date";
		out->add[out->nadd++].value = out->amz_date;
	}

	v = sigv4_find(r->headers, r->nheaders, "x-amz-content-sha256", &n);
	if (n > 1 || (n == 1 && strcmp(v, out->payload_hash) != 0)) {
		log_warn("x-amz-content-sha256 disagrees with the payload "
		    "hash");
		return ERR_INVAL;
	}
	if (n == 0 && sigv4_is_s3(r->service)) {
		added[*nadded].name = "x-amz-content-sha256";
		added[(*nadded)++].value = out->payload_hash;
		out->add[out->nadd].name = "X-Amz-Content-Sha256";
		out->add[out->nadd++].value = out->payload_hash;
	}

	v = sigv4_find(r->headers, r->nheaders, "x-amz-security-token", &n);
	if (sg->token != NULL) {
		if (n > 1 || (n == 1 && (r->token_unsigned ||
		    strcmp(v, sg->token) != 0))) {
			log_warn("x-amz-security-token header disagrees "
			    "with the signer's session token");
			return ERR_INVAL;
		}
		*want_token = n == 0;
	}
	if (*want_token && !r->token_unsigned) {
		added[*nadded].name = "x-amz-security-token";
		added[(*nadded)++].value = sg->token;
	}
	return ERR_OK;
}

enum err
sigv4_sign(struct sigv4_signer *sg, const struct sigv4_request *r,
    struct sigv4_signed *out)
{
	struct sigv4_core_in in;
	struct sigv4_core_out co;
	struct sigv4_header added[3];
	size_t nadded = 0;
	int want_token = 0;
	struct buf b;
	enum err e = ERR_OK;

	memset(out, 0, sizeof(*out));
	memset(&co, 0, sizeof(co));
	buf_init(&b);
	if ((e = sigv4_check_request(r->service, r->region, r->headers,
	    r->nheaders, r->now, out->amz_date)) != ERR_OK)
		goto out;
	if (r->payload_hash != NULL) {
		if (!sigv4_payload_hash_ok(r->payload_hash)) {
			log_warn("payload hash not lower-case hex SHA-256 "
			    "or UNSIGNED-PAYLOAD");
			e = ERR_INVAL;
			goto out;
		}
		snprintf(out->payload_hash, sizeof(out->payload_hash), "%s",
		    r->payload_hash);
	} else if ((e = sigv4_digest_hex(sg, r->body == NULL ? "" :
	    r->body, r->body == NULL ? 0 : r->body_len,
	    out->payload_hash)) != ERR_OK)
		goto out;
	if ((e = sigv4_sign_added(sg, r, out, added, &nadded,
	    &want_token)) != ERR_OK)
		goto out;

	memset(&in, 0, sizeof(in));
	in.method = r->method;
	in.host = r->host;
	in.path = r->path;
	in.query = r->query;
	in.headers = r->headers;
	in.nheaders = r->nheaders;
	in.added = added;
	in.nadded = nadded;
	in.payload_hash = out->payload_hash;
	in.region = r->region;
	in.service = r->service;
	in.amz_date = out->amz_date;
	if ((e = sigv4_core(sg, &in, &co)) != ERR_OK)
		goto out;

	buf_adds(&b, SIGV4_ALGORITHM " Credential=");
	buf_adds(&b, co.credential);
	buf_adds(&b, ", SignedHeaders=");
	buf_adds(&b, co.signed_headers);
	buf_adds(&b, ", Signature=");
	buf_adds(&b, co.signature);
	if ((out->authorization = buf_take(&b)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	out->canonical_request = co.canonical_request;
	out->string_to_sign = co.string_to_sign;
	out->signed_headers = co.signed_headers;
	co.canonical_request = co.string_to_sign = co.signed_headers = NULL;
	memcpy(out->signature, co.signature, sizeof(out->signature));
	if (want_token) {
		out->add[out->nadd].name = "X-Amz-Security-Token";
		out->add[out->nadd++].value = sg->token;
	}
	/* Authorization first: callers put it on the wire as is. */
	memmove(&out->add[1], &out->add[0], out->nadd * sizeof(out->add[0]));
	out->add[0].name = "Authorization";
	out->add[0].value = out->authorization;
	out->nadd++;
out:
	buf_free(&b);
	sigv4_core_out_free(&co);
	if (e != ERR_OK)
		sigv4_signed_free(out);
	return e;
}

void
sigv4_signed_free(struct sigv4_signed *s)
{
	if (s == NULL)
		return;
	free(s->authorization);
	free(s->canonical_request);
	free(s->string_to_sign);
	free(s->signed_headers);
	memset(s, 0, sizeof(*s));
}

/*
 * The caller's query plus the hoisted headers as encoded "name=value"
 * parameters, into *q (left empty when nothing is hoisted).  A hoisted
 * name must be an x-amz-* header other than the presign's own and not
 * also among the signed headers; its value follows the header rules.
 */
static enum err
sigv4_hoist(const struct sigv4_presign *p, struct buf *q)
{
	const char *name;
	size_t i, k, n;

	if (p->nhoist == 0)
		return ERR_OK;
	if (p->nhoist > LIMIT_SIGV4_HEADERS || p->hoist == NULL) {
		log_warn("more than %d headers to hoist", LIMIT_SIGV4_HEADERS);
		return ERR_INVAL;
	}
	if (p->query != NULL && p->query[0] != '\0') {
		buf_adds(q, p->query);
		buf_addc(q, '&');
	}
	for (i = 0; i < p->nhoist; i++) {
		name = p->hoist[i].name;
		if (name == NULL || p->hoist[i].value == NULL ||
		    strncasecmp(name, "x-amz-", 6) != 0 ||
		    name[6] == '\0' || sigv4_reserved(name) ||
		    !sigv4_text_ok(name, LIMIT_SIGV4_HEADER_BYTES, 0) ||
		    !sigv4_text_ok(p->hoist[i].value,
		    LIMIT_SIGV4_HEADER_BYTES, 0)) {
			log_warn("header %zu cannot be hoisted into the query "
			    "(x-amz-* only, not the presign's own)", i);
			return ERR_INVAL;
		}
		for (k = 0; name[k] != '\0'; k++)
			if (name[k] == '=' || name[k] == '&' ||
			    name[k] == ' ' || name[k] == ':') {
				log_warn("hoisted header name of a bad shape");
				return ERR_INVAL;
			}
		if (sigv4_find(p->headers, p->nheaders, name, &n) != NULL) {
			log_warn("header %s both signed and hoisted", name);
			return ERR_INVAL;
		}
		if (i > 0)
			buf_addc(q, '&');
		sigv4_uri_append(q, name, strlen(name), 0);
		buf_addc(q, '=');
		sigv4_uri_append(q, p->hoist[i].value, strlen(p->hoist[i].value),
		    0);
	}
	if (buf_err(q) != ERR_OK)
		return ERR_NOMEM;
	return ERR_OK;
}

enum err
sigv4_presign(struct sigv4_signer *sg, const struct sigv4_presign *p,
    struct sigv4_presigned *out)
{
	struct sigv4_core_in in;
	struct sigv4_core_out co;
	char amz_date[SIGV4_AMZ_DATE_LEN + 1];
	char hash[SIGV4_HEX_LEN + 1];
	size_t i, n;
	struct buf b, hq;
	enum err e = ERR_OK;

	memset(out, 0, sizeof(*out));
	memset(&co, 0, sizeof(co));
	buf_init(&b);
	buf_init(&hq);
	if (p->expires < LIMIT_PRESIGN_EXPIRES_MIN ||
	    p->expires > LIMIT_PRESIGN_EXPIRES_MAX) {
		log_warn("X-Amz-Expires %ld outside %d..%d", p->expires,
		    LIMIT_PRESIGN_EXPIRES_MIN, LIMIT_PRESIGN_EXPIRES_MAX);
		e = ERR_INVAL;
		goto out;
	}
	if ((e = sigv4_check_request(p->service, p->region, p->headers,
	    p->nheaders, p->now, amz_date)) != ERR_OK)
		goto out;
	if ((e = sigv4_hoist(p, &hq)) != ERR_OK)
		goto out;
	/* The X-Amz-* that travel in the query may not also be headers. */
	for (i = 0; i < p->nheaders; i++) {
		if (sigv4_find(&p->headers[i], 1, "x-amz-date", &n) != NULL ||
		    sigv4_find(&p->headers[i], 1, "x-amz-security-token",
		    &n) != NULL ||
		    sigv4_find(&p->headers[i], 1, "x-amz-content-sha256",
		    &n) != NULL) {
			log_warn("header %s belongs in the presigned query",
			    p->headers[i].name);
			e = ERR_INVAL;
			goto out;
		}
	}
	if (sigv4_is_s3(p->service))
		snprintf(hash, sizeof(hash), "%s", SIGV4_UNSIGNED_PAYLOAD);
	else if ((e = sigv4_digest_hex(sg, "", 0, hash)) != ERR_OK)
		goto out;

	memset(&in, 0, sizeof(in));
	in.method = p->method;
	in.host = p->host;
	in.path = p->path;
	in.query = hq.p != NULL ? hq.p : p->query;
	in.headers = p->headers;
	in.nheaders = p->nheaders;
	in.payload_hash = hash;
	in.region = p->region;
	in.service = p->service;
	in.amz_date = amz_date;
	in.expires = p->expires;
	in.presign_token = sg->token != NULL;
	if ((e = sigv4_core(sg, &in, &co)) != ERR_OK)
		goto out;

	buf_adds(&b, co.query);
	buf_adds(&b, "&X-Amz-Signature=");
	buf_adds(&b, co.signature);
	if ((out->query = buf_take(&b)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	out->canonical_request = co.canonical_request;
	out->string_to_sign = co.string_to_sign;
	co.canonical_request = co.string_to_sign = NULL;
	memcpy(out->signature, co.signature, sizeof(out->signature));
out:
	buf_free(&b);
	buf_free(&hq);
	sigv4_core_out_free(&co);
	if (e != ERR_OK)
		sigv4_presigned_free(out);
	return e;
}

void
sigv4_presigned_free(struct sigv4_presigned *p)
{
	if (p == NULL)
		return;
	free(p->query);
	free(p->canonical_request);
	free(p->string_to_sign);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ S3 */

enum err
sigv4_presign_url(struct sigv4_signer *sg, const struct sigv4_url_req *r,
    char **url)
{
	struct s3loc loc;
	struct sigv4_presign p;
	struct sigv4_presigned ps;
	struct buf b;
	enum err e;

	*url = NULL;
	memset(&ps, 0, sizeof(ps));
	buf_init(&b);
	if ((e = s3loc_locate(r->endpoint, r->bucket, r->key, r->addressing,
	    &loc)) != ERR_OK)
		return e;
	memset(&p, 0, sizeof(p));
	p.method = r->method;
	p.host = loc.host;
	p.path = loc.path;
	p.query = r->query;
	p.headers = r->headers;
	p.nheaders = r->nheaders;
	p.hoist = r->hoist;
	p.nhoist = r->nhoist;
	p.region = r->region;
	p.service = "s3";
	p.now = r->now;
	p.expires = r->expires;
	if ((e = sigv4_presign(sg, &p, &ps)) != ERR_OK)
		goto out;
	buf_adds(&b, loc.url);
	buf_addc(&b, '?');
	buf_adds(&b, ps.query);
	if ((*url = buf_take(&b)) == NULL)
		e = ERR_NOMEM;
out:
	buf_free(&b);
	sigv4_presigned_free(&ps);
	s3loc_free(&loc);
	return e;
}

enum err
sigv4_uri_encode(const char *buf, size_t len, int keep_slash, char **out)
{
	struct buf b;

	buf_init(&b);
	sigv4_uri_append(&b, buf, len, keep_slash);
	if ((*out = buf_take(&b)) == NULL)
		return ERR_NOMEM;
	return ERR_OK;
}
