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
#include "hex.h"
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

/* One header to sign, before sorting. */
struct sigv4_hdr {
	char		 name[SIGV4_HNAME_MAX + 1];	/* lower-case */
	const char	*value;
	size_t		 order;
};

/* One canonical query parameter, both halves already encoded: offsets
 * into the scratch's parts buffer while it grows, then pointers. */
struct sigv4_param {
	size_t		 ko, vo;
	const char	*k;
	const char	*v;
};

/* The caller's headers plus Host and the signer's own three. */
#define SIGV4_HDRS_MAX		(LIMIT_SIGV4_HEADERS + 4)
/* The caller's parameters plus the presign's own six. */
#define SIGV4_PARAMS_MAX	(LIMIT_SIGV4_QUERY_PARAMS + 6)

/*
 * What one signature builds, kept in the signer from call to call.  The
 * buffers keep their memory (buf_reset()), so once they have grown to a
 * presign's size a presign allocates nothing here; it made about a hundred
 * allocations before, for text that lived a microsecond.  Nothing secret
 * is kept (a session token travels in a presigned URL anyway), but the
 * memory is wiped with the credentials all the same.
 */
struct sigv4_scratch {
	struct buf		 names;		/* "host;x-amz-date" */
	struct buf		 cr;		/* canonical request */
	struct buf		 sts;		/* string to sign */
	struct buf		 cred;		/* "AKID/date/region/service/..." */
	struct buf		 query;		/* canonical query */
	struct buf		 parts;		/* encoded names, values, NUL-ended */
	struct buf		 dec;		/* one query part, %-decoded */
	struct sigv4_hdr	 hdrs[SIGV4_HDRS_MAX];
	size_t			 nhdrs;
	struct sigv4_param	 params[SIGV4_PARAMS_MAX];
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
	struct sigv4_scratch	 s;
};

/* What sigv4_sign() and sigv4_presign() have in common. */
struct sigv4_core_in {
	const char			*method;
	const char			*host;
	const char			*path;
	const char			*query;
	const struct sigv4_header	*hoist;		/* to the query */
	size_t				 nhoist;
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

/* The strings point into the signer's scratch: valid until its next
 * call. */
struct sigv4_core_out {
	const char	*canonical_request;
	const char	*string_to_sign;
	const char	*signed_headers;
	const char	*query;		/* canonical query string */
	const char	*credential;	/* id/date/region/service/aws4_request */
	char		 signature[SIGV4_HEX_LEN + 1];
};

static const char sigv4_hexup[] = "0123456789ABCDEF";

/* ------------------------------------------------------------ strings */

/*
 * Text is built in struct buf (lib/buf.h): its errors are sticky, so each
 * part below appends without checking and the core looks once per string.
 */

/*
 * RFC 3986's unreserved bytes, A-Z a-z 0-9 - . _ ~: every byte of every
 * key, path and query goes through here, so it is one load from a table of
 * the 256 byte values (1: written as it is), in two versions: the path of
 * an S3 key keeps its '/' as well.
 */
#define SIGV4_U(c)	(((c) >= 'A' && (c) <= 'Z') || \
	((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') || \
	(c) == '-' || (c) == '.' || (c) == '_' || (c) == '~')
#define SIGV4_US(c)	(SIGV4_U(c) || (c) == '/')
#define SIGV4_T4(f, i)	f(i), f((i) + 1), f((i) + 2), f((i) + 3)
#define SIGV4_T16(f, i)	SIGV4_T4(f, i), SIGV4_T4(f, (i) + 4), \
	SIGV4_T4(f, (i) + 8), SIGV4_T4(f, (i) + 12)
#define SIGV4_T64(f, i)	SIGV4_T16(f, i), SIGV4_T16(f, (i) + 16), \
	SIGV4_T16(f, (i) + 32), SIGV4_T16(f, (i) + 48)
#define SIGV4_T256(f)	{ SIGV4_T64(f, 0), SIGV4_T64(f, 64), \
	SIGV4_T64(f, 128), SIGV4_T64(f, 192) }

static const unsigned char sigv4_plain[256] = SIGV4_T256(SIGV4_U);
static const unsigned char sigv4_plain_slash[256] = SIGV4_T256(SIGV4_US);

void
sigv4_uri_append(struct buf *b, const char *s, size_t n, int keep_slash)
{
	const unsigned char *plain = keep_slash ? sigv4_plain_slash :
	    sigv4_plain;
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
		if (plain[c])
			w[o++] = (char)c;
		else {
			w[o++] = '%';
			w[o++] = sigv4_hexup[c >> 4];
			w[o++] = sigv4_hexup[c & 0xf];
		}
	}
	buf_commit(b, o);
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
		if ((hi = hex_digit(s[i + 1])) < 0 ||
		    (lo = hex_digit(s[i + 2])) < 0 || (hi | lo) == 0)
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

/* Wipe the scratch buffers' memory (kept, unless release: then freed). */
static void
sigv4_scratch_wipe(struct sigv4_scratch *sc, int release)
{
	struct buf *const b[] = { &sc->names, &sc->cr, &sc->sts, &sc->cred,
		&sc->query, &sc->parts, &sc->dec };
	size_t i;

	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		if (b[i]->p != NULL && b[i]->cap > 0)
			OPENSSL_cleanse(b[i]->p, b[i]->cap);
		if (release)
			buf_free(b[i]);
		else
			buf_reset(b[i]);
	}
	OPENSSL_cleanse(sc->hdrs, sizeof(sc->hdrs));
	OPENSSL_cleanse(sc->params, sizeof(sc->params));
	sc->nhdrs = 0;
}

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
	/* The derived keys belong to the old secret. */
	OPENSSL_cleanse(sg->cache, sizeof(sg->cache));
	sigv4_scratch_wipe(&sg->s, 0);
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
	sigv4_scratch_wipe(&sg->s, 1);
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


/* Append raw s[0..n), encoded and NUL-ended, to parts; its offset. */
static size_t
sigv4_part_add(struct buf *parts, const char *s, size_t n)
{
	size_t off = parts->len;

	sigv4_uri_append(parts, s, n, 0);
	buf_addc(parts, '\0');
	return off;
}

/* One half of a caller's query parameter, s[0..n): %XX-decoded, then
 * encoded canonically into the parts. */
static enum err
sigv4_param_part(struct sigv4_scratch *sc, const char *s, size_t n,
    size_t *off)
{
	if (memchr(s, '%', n) == NULL) {	/* nothing to decode */
		*off = sigv4_part_add(&sc->parts, s, n);
		return ERR_OK;
	}
	buf_reset(&sc->dec);
	if (sigv4_pct_decode(&sc->dec, s, n) != 0) {
		log_warn("malformed %%-escape in query string");
		return ERR_INVAL;
	}
	if (buf_err(&sc->dec) != ERR_OK)
		return ERR_NOMEM;
	*off = sigv4_part_add(&sc->parts, sc->dec.p, sc->dec.len);
	return ERR_OK;
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
 * The canonical query into sc->query: the caller's query parsed, the
 * hoisted headers (raw name and value) and the extra parameters (raw too,
 * the presign's own X-Amz-*) encoded, all sorted and written "k=v&k=v".
 * reject_amz: refuse the presign's own X-Amz-* names from the caller.  The
 * caller's query and the hoisted headers are held to the limits of one
 * query string made of both (the URL's, LIMIT_SIGV4_URL_BYTES and
 * LIMIT_SIGV4_QUERY_PARAMS).
 */
static enum err
sigv4_query(struct sigv4_scratch *sc, const char *query,
    const struct sigv4_header *hoist, size_t nhoist,
    const struct sigv4_header *extra, size_t nextra, int reject_amz)
{
	struct sigv4_param *p = sc->params;
	size_t np = 0, i, qlen, before;
	const char *s, *amp, *eq, *end;
	enum err e;

	if (query == NULL)
		query = "";
	qlen = strlen(query);
	if (qlen > LIMIT_SIGV4_URL_BYTES ||
	    !sigv4_text_ok(query, LIMIT_SIGV4_URL_BYTES, 0))
		goto too_long;
	for (s = query; *s != '\0'; s = *amp == '&' ? amp + 1 : amp) {
		if ((amp = strchr(s, '&')) == NULL)
			amp = s + strlen(s);
		if (amp == s)
			continue;		/* "&&" */
		if (np >= LIMIT_SIGV4_QUERY_PARAMS)
			goto too_many;
		eq = memchr(s, '=', (size_t)(amp - s));
		end = eq != NULL ? eq : amp;
		if ((e = sigv4_param_part(sc, s, (size_t)(end - s),
		    &p[np].ko)) != ERR_OK ||
		    (e = sigv4_param_part(sc, eq != NULL ? eq + 1 : amp,
		    eq != NULL ? (size_t)(amp - eq - 1) : 0, &p[np].vo)) !=
		    ERR_OK)
			return e;
		if (reject_amz && buf_err(&sc->parts) == ERR_OK &&
		    sigv4_reserved(sc->parts.p + p[np].ko)) {
			log_warn("query may not carry the presign's own "
			    "X-Amz-* parameters");
			return ERR_INVAL;
		}
		np++;
	}
	/* Hoisted headers were checked by sigv4_hoist_check(). */
	for (i = 0; i < nhoist; i++) {
		if (np >= LIMIT_SIGV4_QUERY_PARAMS)
			goto too_many;
		before = sc->parts.len;
		p[np].ko = sigv4_part_add(&sc->parts, hoist[i].name,
		    strlen(hoist[i].name));
		p[np++].vo = sigv4_part_add(&sc->parts, hoist[i].value,
		    strlen(hoist[i].value));
		/* "&name=value" in the URL: the two NULs stand for '=' and
		 * the '&' (none before the first parameter). */
		qlen += sc->parts.len - before - (qlen == 0 ? 1 : 0);
	}
	if (qlen > LIMIT_SIGV4_URL_BYTES)
		goto too_long;
	for (i = 0; i < nextra; i++, np++) {
		p[np].ko = sigv4_part_add(&sc->parts, extra[i].name,
		    strlen(extra[i].name));
		p[np].vo = sigv4_part_add(&sc->parts, extra[i].value,
		    strlen(extra[i].value));
	}
	if (buf_err(&sc->parts) != ERR_OK)
		return ERR_NOMEM;
	/* The parts buffer no longer moves. */
	for (i = 0; i < np; i++) {
		p[i].k = sc->parts.p + p[i].ko;
		p[i].v = sc->parts.p + p[i].vo;
	}
	qsort(p, np, sizeof(*p), sigv4_param_cmp);
	for (i = 0; i < np; i++) {
		if (i > 0)
			buf_addc(&sc->query, '&');
		buf_adds(&sc->query, p[i].k);
		buf_addc(&sc->query, '=');
		buf_adds(&sc->query, p[i].v);
	}
	return buf_err(&sc->query) != ERR_OK ? ERR_NOMEM : ERR_OK;
too_long:
	log_warn("query string too long or has control characters");
	return ERR_INVAL;
too_many:
	log_warn("more than %d query parameters", LIMIT_SIGV4_QUERY_PARAMS);
	return ERR_INVAL;
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

/*
 * The headers to sign into sc->hdrs, sorted by name (then by the order
 * given), and their distinct names joined with ';' into sc->names: the
 * caller's headers, then Host (exactly one: the argument or a header,
 * never both), then the signer's own (x-amz-date, ...).  Authorization is
 * never signed.
 */
static enum err
sigv4_hset_build(const struct sigv4_core_in *in, struct sigv4_scratch *sc)
{
	struct sigv4_hdr *h = sc->hdrs;
	size_t maxh, i, nhost = 0;
	enum err e;

	/* sigv4_core_check() held nheaders to LIMIT_SIGV4_HEADERS. */
	maxh = in->nheaders + in->nadded + 1;
	if (maxh > SIGV4_HDRS_MAX)
		return ERR_INVAL;
	for (i = 0; i < in->nheaders; i++)
		if ((e = sigv4_hdr_push(h, &sc->nhdrs, maxh,
		    in->headers[i].name, in->headers[i].value)) != ERR_OK)
			return e;
	for (i = 0; i < sc->nhdrs; i++)
		if (strcmp(h[i].name, "host") == 0)
			nhost++;
	if (in->host != NULL) {
		if (nhost > 0) {
			log_warn("host given both as argument and header");
			return ERR_INVAL;
		}
		if ((e = sigv4_hdr_push(h, &sc->nhdrs, maxh, "host",
		    in->host)) != ERR_OK)
			return e;
		nhost = 1;
	}
	if (nhost != 1) {
		log_warn("exactly one valid host is needed");
		return ERR_INVAL;
	}
	for (i = 0; i < sc->nhdrs; i++) {
		if (strcmp(h[i].name, "host") == 0 &&
		    !sigv4_host_ok(h[i].value)) {
			log_warn("host header of a bad shape");
			return ERR_INVAL;
		}
		if (strcmp(h[i].name, "authorization") == 0) {
			log_warn("header %s may not be signed here",
			    h[i].name);
			return ERR_INVAL;
		}
	}
	for (i = 0; i < in->nadded; i++)
		if ((e = sigv4_hdr_push(h, &sc->nhdrs, maxh, in->added[i].name,
		    in->added[i].value)) != ERR_OK)
			return e;
	qsort(h, sc->nhdrs, sizeof(*h), sigv4_hdr_cmp);
	for (i = 0; i < sc->nhdrs; i++) {
		if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0)
			continue;
		if (sc->names.len > 0)
			buf_addc(&sc->names, ';');
		buf_adds(&sc->names, h[i].name);
	}
	return buf_err(&sc->names) != ERR_OK ? ERR_NOMEM : ERR_OK;
}

/* "AKID/20130524/us-east-1/s3/aws4_request" into sc->cred. */
static enum err
sigv4_credential(struct sigv4_signer *sg, const char *date,
    const char *region, const char *service)
{
	struct buf *b = &sg->s.cred;

	buf_adds(b, sg->key_id);
	buf_addc(b, '/');
	buf_adds(b, date);
	buf_addc(b, '/');
	buf_adds(b, region);
	buf_addc(b, '/');
	buf_adds(b, service);
	buf_adds(b, "/aws4_request");
	return buf_err(b) != ERR_OK ? ERR_NOMEM : ERR_OK;
}
/*
 * The canonical query string into sc->query: the caller's parameters, the
 * hoisted headers and, for a presign (in->expires > 0), the X-Amz-*
 * parameters of the URL except the signature, which cannot sign itself.
 */
static enum err
sigv4_core_query(struct sigv4_signer *sg, const struct sigv4_core_in *in)
{
	struct sigv4_scratch *sc = &sg->s;
	struct sigv4_header extra[6];
	size_t nextra = 0;
	char expires[24];
	struct buf eb;

	if (in->expires > 0) {
		buf_init_fixed(&eb, expires, sizeof(expires));
		buf_add_int(&eb, in->expires);
		extra[nextra].name = "X-Amz-Algorithm";
		extra[nextra++].value = SIGV4_ALGORITHM;
		extra[nextra].name = "X-Amz-Credential";
		extra[nextra++].value = sc->cred.p;
		extra[nextra].name = "X-Amz-Date";
		extra[nextra++].value = in->amz_date;
		extra[nextra].name = "X-Amz-Expires";
		extra[nextra++].value = expires;
		extra[nextra].name = "X-Amz-SignedHeaders";
		extra[nextra++].value = sc->names.p;
		if (in->presign_token) {
			extra[nextra].name = "X-Amz-Security-Token";
			extra[nextra++].value = sg->token;
		}
	}
	return sigv4_query(sc, in->query, in->hoist, in->nhoist, extra,
	    nextra, in->expires > 0);
}
/*
 * METHOD \n path \n query \n name:value lines \n\n signed names \n payload
 * hash, into sc->cr.  Repeated headers are joined with ',' in the order
 * given.
 */
static enum err
sigv4_canonical_request(const struct sigv4_core_in *in,
    struct sigv4_scratch *sc)
{
	struct buf *cr = &sc->cr;
	const struct sigv4_hdr *h = sc->hdrs;
	size_t i;

	buf_adds(cr, in->method);
	buf_addc(cr, '\n');
	if (sigv4_is_s3(in->service))
		sigv4_path_s3(cr, in->path);
	else if (sigv4_path_generic(cr, in->path) != 0)
		return ERR_NOMEM;
	buf_addc(cr, '\n');
	buf_adds(cr, sc->query.p);
	buf_addc(cr, '\n');
	for (i = 0; i < sc->nhdrs; i++) {
		if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0) {
			buf_addc(cr, ',');
		} else {
			if (i > 0)
				buf_addc(cr, '\n');
			buf_adds(cr, h[i].name);
			buf_addc(cr, ':');
		}
		sigv4_header_value(cr, h[i].value);
	}
	buf_adds(cr, "\n\n");
	buf_adds(cr, sc->names.p);
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
    const char *date, const char *scope, char sig_hex[SIGV4_HEX_LEN + 1])
{
	const struct buf *cr = &sg->s.cr;
	struct buf *sts = &sg->s.sts;
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
 * Canonical request, string to sign and signature, built in the signer's
 * scratch (out points into it).  For a presign (in->expires > 0) the
 * X-Amz-* parameters join the query.
 */
static enum err
sigv4_core(struct sigv4_signer *sg, const struct sigv4_core_in *in,
    struct sigv4_core_out *out)
{
	struct sigv4_scratch *sc = &sg->s;
	char date[9];
	enum err e;

	memset(out, 0, sizeof(*out));
	buf_reset(&sc->names);
	buf_reset(&sc->cr);
	buf_reset(&sc->sts);
	buf_reset(&sc->cred);
	buf_reset(&sc->query);
	buf_reset(&sc->parts);
	sc->nhdrs = 0;
	memcpy(date, in->amz_date, 8);
	date[8] = '\0';

	if ((e = sigv4_core_check(in)) != ERR_OK ||
	    (e = sigv4_hset_build(in, sc)) != ERR_OK ||
	    (e = sigv4_credential(sg, date, in->region, in->service)) !=
	    ERR_OK ||
	    (e = sigv4_core_query(sg, in)) != ERR_OK)
		return e;
	/* No parameters leave the query buffer unallocated. */
	buf_adds(&sc->query, "");
	if (buf_err(&sc->query) != ERR_OK)
		return ERR_NOMEM;
	if ((e = sigv4_canonical_request(in, sc)) != ERR_OK ||
	    (e = sigv4_signature(sg, in, date, sc->cred.p +
	    strlen(sg->key_id) + 1, out->signature)) != ERR_OK)
		return e;
	out->canonical_request = sc->cr.p;
	out->string_to_sign = sc->sts.p;
	out->signed_headers = sc->names.p;
	out->query = sc->query.p;
	out->credential = sc->cred.p;
	return ERR_OK;
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
	if ((out->authorization = buf_take(&b)) == NULL ||
	    (out->canonical_request = strdup(co.canonical_request)) == NULL ||
	    (out->string_to_sign = strdup(co.string_to_sign)) == NULL ||
	    (out->signed_headers = strdup(co.signed_headers)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
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
 * The hoisted headers (they join the query as encoded "name=value"
 * parameters in sigv4_query()): each name must be an x-amz-* header other
 * than the presign's own and not also among the signed headers; its value
 * follows the header rules.
 */
static enum err
sigv4_hoist_check(const struct sigv4_presign *p)
{
	const char *name;
	size_t i, k, n;

	if (p->nhoist == 0)
		return ERR_OK;
	if (p->nhoist > LIMIT_SIGV4_HEADERS || p->hoist == NULL) {
		log_warn("more than %d headers to hoist", LIMIT_SIGV4_HEADERS);
		return ERR_INVAL;
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
	}
	return ERR_OK;
}
/* A presign's checks and signature, into the signer's scratch (co points
 * into it): what sigv4_presign() and sigv4_presign_url() share. */
static enum err
sigv4_presign_core(struct sigv4_signer *sg, const struct sigv4_presign *p,
    struct sigv4_core_out *co)
{
	struct sigv4_core_in in;
	char amz_date[SIGV4_AMZ_DATE_LEN + 1];
	char hash[SIGV4_HEX_LEN + 1];
	size_t i, n;
	enum err e;

	memset(co, 0, sizeof(*co));
	if (p->expires < LIMIT_PRESIGN_EXPIRES_MIN ||
	    p->expires > LIMIT_PRESIGN_EXPIRES_MAX) {
		log_warn("X-Amz-Expires %ld outside %d..%d", p->expires,
		    LIMIT_PRESIGN_EXPIRES_MIN, LIMIT_PRESIGN_EXPIRES_MAX);
		return ERR_INVAL;
	}
	if ((e = sigv4_check_request(p->service, p->region, p->headers,
	    p->nheaders, p->now, amz_date)) != ERR_OK ||
	    (e = sigv4_hoist_check(p)) != ERR_OK)
		return e;
	/* The X-Amz-* that travel in the query may not also be headers. */
	for (i = 0; i < p->nheaders; i++) {
		if (sigv4_find(&p->headers[i], 1, "x-amz-date", &n) != NULL ||
		    sigv4_find(&p->headers[i], 1, "x-amz-security-token",
		    &n) != NULL ||
		    sigv4_find(&p->headers[i], 1, "x-amz-content-sha256",
		    &n) != NULL) {
			log_warn("header %s belongs in the presigned query",
			    p->headers[i].name);
			return ERR_INVAL;
		}
	}
	if (sigv4_is_s3(p->service))
		snprintf(hash, sizeof(hash), "%s", SIGV4_UNSIGNED_PAYLOAD);
	else if ((e = sigv4_digest_hex(sg, "", 0, hash)) != ERR_OK)
		return e;

	memset(&in, 0, sizeof(in));
	in.method = p->method;
	in.host = p->host;
	in.path = p->path;
	in.query = p->query;
	in.hoist = p->hoist;
	in.nhoist = p->nhoist;
	in.headers = p->headers;
	in.nheaders = p->nheaders;
	in.payload_hash = hash;
	in.region = p->region;
	in.service = p->service;
	in.amz_date = amz_date;
	in.expires = p->expires;
	in.presign_token = sg->token != NULL;
	return sigv4_core(sg, &in, co);
}

enum err
sigv4_presign(struct sigv4_signer *sg, const struct sigv4_presign *p,
    struct sigv4_presigned *out)
{
	struct sigv4_core_out co;
	struct buf b;
	enum err e;

	memset(out, 0, sizeof(*out));
	buf_init(&b);
	if ((e = sigv4_presign_core(sg, p, &co)) != ERR_OK)
		goto out;
	buf_adds(&b, co.query);
	buf_adds(&b, "&X-Amz-Signature=");
	buf_adds(&b, co.signature);
	if ((out->query = buf_take(&b)) == NULL ||
	    (out->canonical_request = strdup(co.canonical_request)) == NULL ||
	    (out->string_to_sign = strdup(co.string_to_sign)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	memcpy(out->signature, co.signature, sizeof(out->signature));
out:
	buf_free(&b);
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
	struct sigv4_core_out co;
	struct buf b;
	enum err e;

	*url = NULL;
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
	if ((e = sigv4_presign_core(sg, &p, &co)) != ERR_OK)
		goto out;
	/* The URL straight from the scratch, in one allocation. */
	buf_grow(&b, strlen(loc.url) + strlen(co.query) + 18 + SIGV4_HEX_LEN);
	buf_adds(&b, loc.url);
	buf_addc(&b, '?');
	buf_adds(&b, co.query);
	buf_adds(&b, "&X-Amz-Signature=");
	buf_adds(&b, co.signature);
	if ((*url = buf_take(&b)) == NULL)
		e = ERR_NOMEM;
out:
	buf_free(&b);
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
