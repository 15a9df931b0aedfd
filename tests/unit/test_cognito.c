/*
 * test_cognito.c: token verification (lib/cognito.c).
 *
 * Keys are generated at suite start; tokens are minted with tests/tools/mint.c.
 * The verifier gets its JWKS from an injected fetch and clock, except in the
 * file:// test which goes through libcurl.  The two libjwt 1.10 pitfalls
 * (the reason lib/cognito.c verifies with OpenSSL itself) are first shown
 * to be real, libjwt accepting the forgery when called the naive way, and
 * then shown to be refused by cognito_verify().
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jwt.h>

#include "b64url.h"
#include "cognito.h"
#include "jwks.h"
#include "jwks_cache.h"
#include "mint.h"
#include "unit.h"

#define ISS	"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test1"
#define CLIENT	"4l2kc6rd1c1qk7e0example"
#define SUB	"6a2f41a3-c54c-4e51-9d2b-0c21c9b3f2e7"
#define NOW	((time_t)1795600000)

static EVP_PKEY *key_a, *key_b;
static char *jwks_a, *jwks_ab, *pem_a;

struct fake {
	const char	*doc;
	unsigned	 calls;
	time_t		 now;
};

static enum err
fake_fetch(void *arg, const char *url, long timeout_ms, size_t max,
    char **body, size_t *len)
{
	struct fake *f = arg;

	f->calls++;
	if (f->doc == NULL)
		return ERR_UNAVAILABLE;
	*len = strlen(f->doc);
	*body = strdup(f->doc);
	return ERR_OK;
}

static time_t
fake_clock(void *arg)
{
	return ((struct fake *)arg)->now;
}

static int
cognito_suite_init(void)
{
	EVP_PKEY *ab[2];
	const char *kids[2] = { "kA", "kB" };
	struct jwks *set = NULL;

	if ((key_a = mint_keygen(2048)) == NULL ||
	    (key_b = mint_keygen(2048)) == NULL)
		return -1;
	ab[0] = key_a;
	ab[1] = key_b;
	jwks_a = mint_jwks(ab, kids, 1);
	jwks_ab = mint_jwks(ab, kids, 2);
	if (jwks_a == NULL || jwks_ab == NULL)
		return -1;
	/* The PEM exactly as the verifier holds it: the attacker's secret. */
	if (jwks_parse(jwks_a, strlen(jwks_a), &set) != ERR_OK)
		return -1;
	pem_a = strdup(jwks_find(set, "kA")->pem);
	jwks_free(set);
	return pem_a == NULL ? -1 : 0;
}

static int
cognito_suite_clean(void)
{
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
	free(jwks_a);
	free(jwks_ab);
	free(pem_a);
	return 0;
}

static struct fake fake;

/* A verifier over the fake JWKS; uses/leeway override the defaults. */
static struct cognito *
verifier(const char *uses, long leeway)
{
	struct cognito_conf conf;
	struct jwks_cache_conf kc = { "https://idp.test/jwks.json", 3600,
	    LIMIT_JWKS_REFETCH_SECONDS, 1000 };
	struct jwks_cache *keys = NULL;
	struct cognito *cg = NULL;

	cognito_conf_defaults(&conf);
	conf.issuer = ISS;
	conf.client_ids = "other-client, " CLIENT;
	if (uses != NULL)
		conf.token_use = uses;
	conf.leeway = leeway;
	CU_ASSERT_EQUAL_FATAL(jwks_cache_new(&kc, fake_fetch, &fake,
	    fake_clock, &fake, &keys), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(cognito_new_with_keys(&conf, keys, &cg), ERR_OK);
	return cg;
}

static int
cognito_test_init(void)
{
	fake.doc = jwks_a;
	fake.calls = 0;
	fake.now = 5000;
	return 0;
}

/* Verify tok at now; returns the error and the reason in *why. */
static enum err
verify_at(struct cognito *cg, const char *tok, time_t now,
    struct cognito_identity *id, const char **why)
{
	struct cognito_identity scratch;
	const char *r = NULL;
	enum err rc;

	rc = cognito_verify(cg, tok, tok != NULL ? strlen(tok) : 0, now,
	    id != NULL ? id : &scratch, &r);
	CU_ASSERT_PTR_NOT_NULL(r);
	if (why != NULL)
		*why = r;
	return rc;
}

/* Refused with ERR_AUTH, and the reason is the expected one. */
#define REFUSED(cg, tok, now, reason) do {				\
	const char *why_ = NULL;					\
	struct cognito_identity id_;					\
	CU_ASSERT_EQUAL(verify_at((cg), (tok), (now), &id_, &why_),	\
	    ERR_AUTH);							\
	CU_ASSERT(why_ != NULL && strcmp(why_, (reason)) == 0);		\
	if (why_ != NULL && strcmp(why_, (reason)) != 0)		\
		fprintf(stderr, "\n  expected \"%s\", got \"%s\"\n",	\
		    (reason), why_);					\
	CU_ASSERT_EQUAL(id_.sub[0], '\0');				\
} while (0)

/* Sign an arbitrary payload with key_a under kid kA. */
static char *
sign_payload(const char *payload)
{
	return mint_sign("{\"alg\":\"RS256\",\"kid\":\"kA\"}", payload,
	    MINT_RS256, key_a, NULL, 0);
}

/* A Cognito-like ID token payload with one field replaced or added. */
static char *
id_payload_with(const char *extra)
{
	static char buf[LIMIT_TOKEN_BYTES + 1024];

	snprintf(buf, sizeof(buf), "{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\","
	    "\"aud\":\"" CLIENT "\",\"token_use\":\"id\",\"iat\":%lld,"
	    "\"exp\":%lld%s%s}", (long long)NOW, (long long)NOW + 3600,
	    extra[0] != '\0' ? "," : "", extra);
	return sign_payload(buf);
}

static void
test_cognito_accepts_valid_id_token(void)
{
	struct cognito *cg = verifier(NULL, 0);
	struct cognito_identity id;
	char *tok = mint_token(key_a, "kA", ISS, CLIENT, SUB, "id", NOW, 3600,
	    "alice@example.com");
	const char *why = NULL;

	CU_ASSERT_EQUAL(verify_at(cg, tok, NOW + 10, &id, &why), ERR_OK);
	CU_ASSERT_STRING_EQUAL(why, "ok");
	CU_ASSERT_STRING_EQUAL(id.sub, SUB);
	CU_ASSERT_STRING_EQUAL(id.username, SUB);
	CU_ASSERT_STRING_EQUAL(id.email, "alice@example.com");
	CU_ASSERT_EQUAL(id.token_use, COGNITO_USE_ID);
	CU_ASSERT_EQUAL(id.exp, (long long)NOW + 3600);
	CU_ASSERT_EQUAL(fake.calls, 1);
	/* Keys cached: a second verification does not fetch. */
	CU_ASSERT_EQUAL(verify_at(cg, tok, NOW + 11, NULL, NULL), ERR_OK);
	CU_ASSERT_EQUAL(fake.calls, 1);
	free(tok);
	cognito_free(cg);
}

static void
test_cognito_accepts_valid_access_token(void)
{
	struct cognito *cg = verifier(NULL, 0);
	struct cognito_identity id;
	char *tok = mint_token(key_a, "kA", ISS, CLIENT, SUB, "access", NOW,
	    3600, NULL);

	CU_ASSERT_EQUAL(verify_at(cg, tok, NOW, &id, NULL), ERR_OK);
	CU_ASSERT_STRING_EQUAL(id.sub, SUB);
	CU_ASSERT_STRING_EQUAL(id.username, SUB);
	CU_ASSERT_STRING_EQUAL(id.email, "");
	CU_ASSERT_EQUAL(id.token_use, COGNITO_USE_ACCESS);
	free(tok);
	cognito_free(cg);
}

static void
test_cognito_refuses_expired_token(void)
{
	struct cognito *cg = verifier(NULL, 0);
	char *tok = mint_token(key_a, "kA", ISS, CLIENT, SUB, "id", NOW, 3600,
	    NULL);

	CU_ASSERT_EQUAL(verify_at(cg, tok, NOW + 3599, NULL, NULL), ERR_OK);
	REFUSED(cg, tok, NOW + 3600, "token expired");
	REFUSED(cg, tok, NOW + 86400, "token expired");
	free(tok);
	cognito_free(cg);
}

static void
test_cognito_refuses_token_not_yet_valid(void)
{
	struct cognito *cg = verifier(NULL, 0);
	char extra[64], *nbf, *iat;

	snprintf(extra, sizeof(extra), "\"nbf\":%lld", (long long)NOW + 60);
	nbf = id_payload_with(extra);
	REFUSED(cg, nbf, NOW, "token not yet valid");
	CU_ASSERT_EQUAL(verify_at(cg, nbf, NOW + 60, NULL, NULL), ERR_OK);
	/* iat in the future is as suspicious. */
	iat = mint_token(key_a, "kA", ISS, CLIENT, SUB, "id", NOW + 60, 3600,
	    NULL);
	REFUSED(cg, iat, NOW, "token issued in the future");
	free(nbf);
	free(iat);
	cognito_free(cg);
}

static void
test_cognito_leeway_stretches_times_both_ways(void)
{
	struct cognito *strict = verifier(NULL, 0), *lax = verifier(NULL, 30);
	char extra[64], *tok, *nbf;

	tok = mint_token(key_a, "kA", ISS, CLIENT, SUB, "id", NOW, 100, NULL);
	REFUSED(strict, tok, NOW + 110, "token expired");
	CU_ASSERT_EQUAL(verify_at(lax, tok, NOW + 110, NULL, NULL), ERR_OK);
	CU_ASSERT_EQUAL(verify_at(lax, tok, NOW + 129, NULL, NULL), ERR_OK);
	REFUSED(lax, tok, NOW + 130, "token expired");
	snprintf(extra, sizeof(extra), "\"nbf\":%lld", (long long)NOW + 20);
	nbf = id_payload_with(extra);
	REFUSED(strict, nbf, NOW, "token not yet valid");
	CU_ASSERT_EQUAL(verify_at(lax, nbf, NOW, NULL, NULL), ERR_OK);
	REFUSED(lax, nbf, NOW - 11, "token not yet valid");
	free(tok);
	free(nbf);
	cognito_free(strict);
	cognito_free(lax);
}

static void
test_cognito_refuses_wrong_issuer(void)
{
	static const char *const bad[] = {
		"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other",
		ISS "/", ISS "x", "https://cognito-idp.eu-west-1.amazonaws.com",
		"https://evil.example/eu-west-1_Test1", "",
	};
	struct cognito *cg = verifier(NULL, 0);
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *tok = mint_token(key_a, "kA", bad[i], CLIENT, SUB, "id",
		    NOW, 3600, NULL);

		REFUSED(cg, tok, NOW, "wrong issuer");
		free(tok);
	}
	cognito_free(cg);
}

static void
test_cognito_refuses_wrong_audience_or_client_id(void)
{
	struct cognito *cg = verifier(NULL, 0);
	char *id = mint_token(key_a, "kA", ISS, "someone-else", SUB, "id", NOW,
	    3600, NULL);
	char *acc = mint_token(key_a, "kA", ISS, "someone-else", SUB,
	    "access", NOW, 3600, NULL);
	char *prefix = mint_token(key_a, "kA", ISS, CLIENT "x", SUB, "id",
	    NOW, 3600, NULL);
	char *other = mint_token(key_a, "kA", ISS, "other-client", SUB,
	    "access", NOW, 3600, NULL);
	char *arr_ok, *arr_bad, *aud_num, *acc_aud;

	REFUSED(cg, id, NOW, "wrong audience");
	REFUSED(cg, acc, NOW, "wrong client_id");
	REFUSED(cg, prefix, NOW, "wrong audience");
	/* Every configured client id is accepted. */
	CU_ASSERT_EQUAL(verify_at(cg, other, NOW, NULL, NULL), ERR_OK);
	arr_ok = sign_payload("{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\","
	    "\"aud\":[\"x\",\"" CLIENT "\"],\"token_use\":\"id\","
	    "\"iat\":1795600000,\"exp\":1795603600}");
	arr_bad = sign_payload("{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\","
	    "\"aud\":[\"x\",\"y\"],\"token_use\":\"id\","
	    "\"iat\":1795600000,\"exp\":1795603600}");
	aud_num = sign_payload("{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\","
	    "\"aud\":1,\"token_use\":\"id\","
	    "\"iat\":1795600000,\"exp\":1795603600}");
	/* An access token has client_id; an aud alone does not count. */
	acc_aud = sign_payload("{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\","
	    "\"aud\":\"" CLIENT "\",\"token_use\":\"access\","
	    "\"iat\":1795600000,\"exp\":1795603600}");
	CU_ASSERT_EQUAL(verify_at(cg, arr_ok, NOW, NULL, NULL), ERR_OK);
	REFUSED(cg, arr_bad, NOW, "wrong audience");
	REFUSED(cg, aud_num, NOW, "wrong audience");
	REFUSED(cg, acc_aud, NOW, "wrong client_id");
	free(id);
	free(acc);
	free(prefix);
	free(other);
	free(arr_ok);
	free(arr_bad);
	free(aud_num);
	free(acc_aud);
	cognito_free(cg);
}

static void
test_cognito_refuses_wrong_token_use(void)
{
	struct cognito *cg = verifier(NULL, 0), *id_only = verifier("id", 0);
	struct cognito *acc_only = verifier(" access ", 0);
	char *refresh = mint_token(key_a, "kA", ISS, CLIENT, SUB, "refresh",
	    NOW, 3600, NULL);
	char *id = mint_token(key_a, "kA", ISS, CLIENT, SUB, "id", NOW, 3600,
	    NULL);
	char *acc = mint_token(key_a, "kA", ISS, CLIENT, SUB, "access", NOW,
	    3600, NULL);
	char *none = sign_payload("{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\","
	    "\"aud\":\"" CLIENT "\",\"iat\":1795600000,\"exp\":1795603600}");

	REFUSED(cg, refresh, NOW, "token_use not accepted");
	REFUSED(cg, none, NOW, "missing token_use");
	REFUSED(id_only, acc, NOW, "token_use not accepted");
	CU_ASSERT_EQUAL(verify_at(id_only, id, NOW, NULL, NULL), ERR_OK);
	REFUSED(acc_only, id, NOW, "token_use not accepted");
	CU_ASSERT_EQUAL(verify_at(acc_only, acc, NOW, NULL, NULL), ERR_OK);
	free(refresh);
	free(id);
	free(acc);
	free(none);
	cognito_free(cg);
	cognito_free(id_only);
	cognito_free(acc_only);
}

static void
test_cognito_refuses_unknown_kid(void)
{
	struct cognito *cg = verifier(NULL, 0);
	/* Signed by key_b, but the JWKS only has kA. */
	char *tok = mint_token(key_b, "kB", ISS, CLIENT, SUB, "id", NOW, 3600,
	    NULL);
	/* Right key, wrong name: must not fall back to "any key". */
	char *named = mint_token(key_a, "kZ", ISS, CLIENT, SUB, "id", NOW,
	    3600, NULL);
	/* kid naming key A but signed by key B. */
	char *swapped = mint_token(key_b, "kA", ISS, CLIENT, SUB, "id", NOW,
	    3600, NULL);

	REFUSED(cg, tok, NOW, "unknown signing key");
	REFUSED(cg, named, NOW, "unknown signing key");
	REFUSED(cg, swapped, NOW, "invalid signature");
	free(tok);
	free(named);
	free(swapped);
	cognito_free(cg);
}

static void
test_cognito_refuses_tampered_payload(void)
{
	struct cognito *cg = verifier(NULL, 0);
	char *tok = mint_token(key_a, "kA", ISS, CLIENT, SUB, "id", NOW, 3600,
	    NULL);
	char *other = mint_token(key_a, "kA", ISS, CLIENT, "attacker", "id",
	    NOW, 3600, NULL);
	char forged[4096];
	const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
	const char *o1 = strchr(other, '.'), *o2 = strrchr(other, '.');

	/* other's payload under tok's signature. */
	snprintf(forged, sizeof(forged), "%.*s%.*s%s", (int)(d1 - tok), tok,
	    (int)(o2 - o1), o1, d2);
	CU_ASSERT_EQUAL(verify_at(cg, other, NOW, NULL, NULL), ERR_OK);
	REFUSED(cg, forged, NOW, "invalid signature");
	free(tok);
	free(other);
	cognito_free(cg);
}

static void
test_cognito_refuses_tampered_signature(void)
{
	struct cognito *cg = verifier(NULL, 0);
	char *tok = mint_token(key_a, "kA", ISS, CLIENT, SUB, "id", NOW, 3600,
	    NULL);
	char *sig = strrchr(tok, '.') + 1;
	size_t slen = strlen(sig), cut;

	sig[slen / 2] = sig[slen / 2] == 'A' ? 'B' : 'A';
	REFUSED(cg, tok, NOW, "invalid signature");
	sig[slen / 2] = sig[slen / 2] == 'A' ? 'B' : 'A';
	/* A truncated signature (still canonical base64url). */
	cut = (slen / 4) * 4 - 4;
	sig[cut] = '\0';
	REFUSED(cg, tok, NOW, "invalid signature");
	free(tok);
	cognito_free(cg);
}

static void
test_cognito_refuses_alg_none(void)
{
	static const char *const hdrs[] = {
		"{\"alg\":\"none\",\"kid\":\"kA\"}",
		"{\"alg\":\"None\",\"kid\":\"kA\"}",
		"{\"alg\":\"NONE\",\"kid\":\"kA\"}",
		"{\"kid\":\"kA\"}",
		"{\"alg\":null,\"kid\":\"kA\"}",
	};
	struct cognito *cg = verifier(NULL, 0);
	char *good = mint_token(key_a, "kA", ISS, CLIENT, SUB, "id", NOW, 3600,
	    NULL);
	const char *payload = strchr(good, '.') + 1;
	char pl[2048], hb[256], tok[4096];
	size_t i, n = 0;
	jwt_t *jwt = NULL;

	/* Decode the good payload so the forgeries carry valid claims. */
	CU_ASSERT_EQUAL_FATAL(b64url_decode(payload,
	    (size_t)(strrchr(good, '.') - payload), (unsigned char *)pl,
	    sizeof(pl) - 1, &n), ERR_OK);
	pl[n] = '\0';
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		char *none = mint_sign(hdrs[i], pl, MINT_NONE, NULL, NULL, 0);

		/* Unsigned, and with a signature glued on. */
		REFUSED(cg, none, NOW, "token is not signed");
		snprintf(tok, sizeof(tok), "%s%s", none,
		    strrchr(good, '.') + 1);
		REFUSED(cg, tok, NOW, "token algorithm not accepted");
		free(none);
	}
	/* Canary: libjwt 1.10 itself accepts alg none when given no key, so
	 * code that ever reached jwt_decode() with a NULL key would be open. */
	b64url_encode((const unsigned char *)hdrs[0], strlen(hdrs[0]), hb,
	    sizeof(hb));
	{
		char *none = mint_sign(hdrs[0], pl, MINT_NONE, NULL, NULL, 0);

		CU_ASSERT_EQUAL(jwt_decode(&jwt, none, NULL, 0), 0);
		jwt_free(jwt);
		jwt = NULL;
		free(none);
	}
	CU_ASSERT_EQUAL(fake.calls, 0);	/* refused before any key lookup */
	free(good);
	cognito_free(cg);
}

static void
test_cognito_refuses_hs256_signed_with_public_key_pem(void)
{
	static const char *const hdrs[] = {
		"{\"alg\":\"HS256\",\"kid\":\"kA\"}",
		"{\"alg\":\"HS384\",\"kid\":\"kA\"}",
		"{\"alg\":\"HS512\",\"kid\":\"kA\"}",
		/* Duplicate member: whichever one a parser keeps, refuse. */
		"{\"alg\":\"RS256\",\"kid\":\"kA\",\"alg\":\"HS256\"}",
		"{\"alg\":\"HS256\",\"kid\":\"kA\",\"alg\":\"RS256\"}",
	};
	struct cognito *cg = verifier(NULL, 0);
	char pl[512];
	size_t i;
	jwt_t *jwt = NULL;

	snprintf(pl, sizeof(pl), "{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\","
	    "\"aud\":\"" CLIENT "\",\"token_use\":\"id\",\"iat\":%lld,"
	    "\"exp\":%lld}", (long long)NOW, (long long)NOW + 3600);
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		char *tok = mint_sign(hdrs[i], pl, MINT_HS256, NULL, pem_a,
		    strlen(pem_a));
		const char *why = NULL;

		CU_ASSERT_EQUAL(verify_at(cg, tok, NOW, NULL, &why), ERR_AUTH);
		/* A duplicate member is refused by the strict JSON entry
		 * point (lib/jsonparse.c) before "alg" is read at all. */
		if (strstr(hdrs[i], "\"alg\":\"RS256\"") != NULL) {
			CU_ASSERT(why != NULL &&
			    strcmp(why, "malformed token header") == 0);
		} else {
			CU_ASSERT(why != NULL &&
			    (strcmp(why, "token algorithm not accepted") == 0 ||
			    strcmp(why, "invalid signature") == 0));
		}
		/* Canary for the plain HS256 one: libjwt 1.10, handed the
		 * key's PEM as naive code would, accepts the forgery. */
		if (i == 0) {
			CU_ASSERT_EQUAL(jwt_decode(&jwt, tok,
			    (const unsigned char *)pem_a, (int)strlen(pem_a)),
			    0);
			CU_ASSERT_EQUAL(jwt_get_alg(jwt), JWT_ALG_HS256);
			jwt_free(jwt);
			jwt = NULL;
		}
		free(tok);
	}
	cognito_free(cg);
}

static void
test_cognito_refuses_other_asymmetric_algs(void)
{
	static const char *const algs[] = {
		"RS384", "RS512", "PS256", "ES256", "EdDSA", "rs256", "RS256 ",
	};
	struct cognito *cg = verifier(NULL, 0);
	char hdr[128];
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		char *tok;

		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"kA\"}",
		    algs[i]);
		tok = mint_sign(hdr, "{\"sub\":\"" SUB "\"}", MINT_RS256,
		    key_a, NULL, 0);
		REFUSED(cg, tok, NOW, "token algorithm not accepted");
		free(tok);
	}
	cognito_free(cg);
}

static void
test_cognito_refuses_missing_sub(void)
{
	struct cognito *cg = verifier(NULL, 0);
	char *tok = sign_payload("{\"iss\":\"" ISS "\",\"aud\":\"" CLIENT "\","
	    "\"token_use\":\"id\",\"iat\":1795600000,\"exp\":1795603600}");
	char *num = sign_payload("{\"sub\":7,\"iss\":\"" ISS "\",\"aud\":\""
	    CLIENT "\",\"token_use\":\"id\",\"iat\":1795600000,"
	    "\"exp\":1795603600}");

	REFUSED(cg, tok, NOW, "missing sub");
	REFUSED(cg, num, NOW, "missing sub");
	free(tok);
	free(num);
	cognito_free(cg);
}

static void
test_cognito_refuses_unsafe_sub(void)
{
	static const char *const bad[] = {
		"", "..", "../other-user", "a/b", "a%2fb", "a%2Fb", "a\\\\b",
		"a b", "a.b", "a\\u0000b", "\\uff41", "caf\\u00e9", "a\\nb",
		"a:b", "a?b", "a#b", "a*",
		/* 129 characters */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaa",
	};
	struct cognito *cg = verifier(NULL, 0);
	char pl[1024];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *tok;

		snprintf(pl, sizeof(pl), "{\"sub\":\"%s\",\"iss\":\"" ISS
		    "\",\"aud\":\"" CLIENT "\",\"token_use\":\"id\","
		    "\"iat\":1795600000,\"exp\":1795603600}", bad[i]);
		tok = sign_payload(pl);
		if (strcmp(bad[i], "a\\u0000b") == 0) {
			/* libjwt's JSON parser refuses the NUL first. */
			CU_ASSERT_EQUAL(verify_at(cg, tok, NOW, NULL, NULL),
			    ERR_AUTH);
		} else
			REFUSED(cg, tok, NOW, "sub has an unsupported form");
		free(tok);
	}
	/* 128 characters is fine; so are Cognito's UUIDs (above). */
	snprintf(pl, sizeof(pl), "{\"sub\":\"%.128s\",\"iss\":\"" ISS
	    "\",\"aud\":\"" CLIENT "\",\"token_use\":\"id\","
	    "\"iat\":1795600000,\"exp\":1795603600}", bad[17]);
	{
		char *tok = sign_payload(pl);

		CU_ASSERT_EQUAL(verify_at(cg, tok, NOW, NULL, NULL), ERR_OK);
		free(tok);
	}
	CU_ASSERT_TRUE(cognito_sub_valid(SUB, strlen(SUB)));
	CU_ASSERT_FALSE(cognito_sub_valid("a/b", 3));
	CU_ASSERT_FALSE(cognito_sub_valid("ab", 0));
	CU_ASSERT_FALSE(cognito_sub_valid(NULL, 0));
	cognito_free(cg);
}

static void
test_cognito_refuses_claims_of_the_wrong_type(void)
{
	static const struct {
		const char *payload, *reason;
	} bad[] = {
		{ "{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\",\"aud\":\"" CLIENT
		  "\",\"token_use\":\"id\",\"iat\":1795600000,"
		  "\"exp\":\"1795603600\"}", "exp is not an integer" },
		{ "{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\",\"aud\":\"" CLIENT
		  "\",\"token_use\":\"id\",\"iat\":1795600000,"
		  "\"exp\":1795603600.5}", "exp is not an integer" },
		{ "{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\",\"aud\":\"" CLIENT
		  "\",\"token_use\":\"id\",\"iat\":1795600000}",
		  "missing exp" },
		{ "{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\",\"aud\":\"" CLIENT
		  "\",\"token_use\":\"id\",\"exp\":1795603600}",
		  "missing iat" },
		{ "{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\",\"aud\":\"" CLIENT
		  "\",\"token_use\":\"id\",\"iat\":true,\"exp\":1795603600}",
		  "iat is not an integer" },
		{ "{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\",\"aud\":\"" CLIENT
		  "\",\"token_use\":\"id\",\"iat\":1795600000,"
		  "\"exp\":1795603600,\"nbf\":\"0\"}", "nbf is not an integer" },
		{ "{\"sub\":\"" SUB "\",\"iss\":[\"" ISS "\"],\"aud\":\""
		  CLIENT "\",\"token_use\":\"id\",\"iat\":1795600000,"
		  "\"exp\":1795603600}", "wrong issuer" },
		{ "{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\",\"aud\":\"" CLIENT
		  "\",\"token_use\":\"id\",\"iat\":1795600000,"
		  "\"exp\":99999999999999999999999}", "token expired" },
		{ "{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\",\"aud\":\"" CLIENT
		  "\",\"token_use\":\"id\",\"iat\":1795600000,"
		  "\"exp\":1795603600,\"email\":\"a\\nb@x\"}", "bad email" },
		{ "{\"sub\":\"" SUB "\",\"iss\":\"" ISS "\",\"aud\":\"" CLIENT
		  "\",\"token_use\":\"id\",\"iat\":1795600000,"
		  "\"exp\":1795603600,\"cognito:username\":5}",
		  "bad username" },
	};
	struct cognito *cg = verifier(NULL, 0);
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *tok = sign_payload(bad[i].payload);

		if (strcmp(bad[i].reason, "token expired") == 0) {
			/* json-c clamps the huge exp to INT64_MAX: it must not
			 * overflow into "valid forever".  Either refusal or a
			 * clean pass with no overflow is acceptable; we
			 * require no crash and a sane exp. */
			struct cognito_identity id;
			const char *why;
			enum err rc = verify_at(cg, tok, NOW, &id, &why);

			CU_ASSERT(rc == ERR_AUTH || id.exp > NOW);
		} else
			REFUSED(cg, tok, NOW, bad[i].reason);
		free(tok);
	}
	cognito_free(cg);
}

static void
test_cognito_refuses_malformed_base64_and_shape(void)
{
	struct cognito *cg = verifier(NULL, 0);
	char *tok = mint_token(key_a, "kA", ISS, CLIENT, SUB, "id", NOW, 3600,
	    NULL);
	char buf[4096], *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
	int h = (int)(d1 - tok), p = (int)(d2 - d1 - 1);
	const char *why;

	CU_ASSERT_EQUAL(verify_at(cg, tok, NOW, NULL, NULL), ERR_OK);
	/* Standard-alphabet or padded characters. */
	snprintf(buf, sizeof(buf), "%.*s+%s", h, tok, d1 + 1);
	REFUSED(cg, buf, NOW, "malformed token");
	snprintf(buf, sizeof(buf), "%.*s==%s", h, tok, d1);
	REFUSED(cg, buf, NOW, "malformed token");
	/* A header segment of impossible length (4n+1). */
	snprintf(buf, sizeof(buf), "%.*sA%s", h, tok, d1);
	CU_ASSERT_EQUAL(verify_at(cg, buf, NOW, NULL, &why), ERR_AUTH);
	/* Payload with impossible length. */
	snprintf(buf, sizeof(buf), "%.*sA%s", h + 1 + p, tok, d2);
	REFUSED(cg, buf, NOW, "malformed token payload");
	/* Header that is base64url of garbage, not JSON. */
	snprintf(buf, sizeof(buf), "bm90IGpzb24%s", d1);
	REFUSED(cg, buf, NOW, "malformed token header");
	/* Header that is JSON but not an object. */
	snprintf(buf, sizeof(buf), "WyJSUzI1NiJd%s", d1);	/* ["RS256"] */
	REFUSED(cg, buf, NOW, "malformed token header");
	/* Signature with a non-canonical last character. */
	snprintf(buf, sizeof(buf), "%s", tok);
	buf[strlen(buf) - 1] = buf[strlen(buf) - 1] == '_' ? '-' : '_';
	CU_ASSERT_EQUAL(verify_at(cg, buf, NOW, NULL, NULL), ERR_AUTH);
	/* Wrong number of segments, empty ones, blanks, NUL. */
	REFUSED(cg, "", NOW, "missing token");
	REFUSED(cg, "abc", NOW, "malformed token");
	REFUSED(cg, "a.b", NOW, "malformed token");
	REFUSED(cg, "a.b.c.d", NOW, "malformed token");
	REFUSED(cg, "..", NOW, "token is not signed");
	snprintf(buf, sizeof(buf), "%s.", tok);
	REFUSED(cg, buf, NOW, "malformed token");
	snprintf(buf, sizeof(buf), " %s", tok);
	REFUSED(cg, buf, NOW, "malformed token");
	{
		struct cognito_identity id;
		const char *r;

		CU_ASSERT_EQUAL(cognito_verify(cg, tok, strlen(tok) + 1, NOW,
		    &id, &r), ERR_AUTH);	/* the NUL counted in */
	}
	CU_ASSERT_EQUAL(fake.calls, 1);	/* only the good token fetched */
	free(tok);
	cognito_free(cg);
}

static void
test_cognito_refuses_oversized_token(void)
{
	struct cognito *cg = verifier(NULL, 0);
	char *big = malloc(LIMIT_TOKEN_BYTES + 2), *pad, *tok, extra[16384];
	struct cognito_identity id;
	const char *why = NULL;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'A', LIMIT_TOKEN_BYTES + 1);
	big[LIMIT_TOKEN_BYTES + 1] = '\0';
	CU_ASSERT_EQUAL(cognito_verify(cg, big, LIMIT_TOKEN_BYTES + 1, NOW, &id,
	    &why), ERR_TOO_LARGE);
	CU_ASSERT_STRING_EQUAL(why, "token too large");
	/* A real, signed token just over the limit is refused as well... */
	pad = malloc(LIMIT_TOKEN_BYTES);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pad);
	n = (LIMIT_TOKEN_BYTES - 600) * 3 / 4;
	memset(pad, 'x', n);
	pad[n] = '\0';
	snprintf(extra, sizeof(extra), "\"pad\":\"%s\"", pad);
	tok = id_payload_with(extra);
	CU_ASSERT_FATAL(strlen(tok) > LIMIT_TOKEN_BYTES);
	CU_ASSERT_EQUAL(verify_at(cg, tok, NOW, NULL, NULL), ERR_TOO_LARGE);
	free(tok);
	/* ...and one a little under it is fine. */
	pad[n - 200] = '\0';
	snprintf(extra, sizeof(extra), "\"pad\":\"%s\"", pad);
	tok = id_payload_with(extra);
	CU_ASSERT(strlen(tok) <= LIMIT_TOKEN_BYTES);
	CU_ASSERT_EQUAL(verify_at(cg, tok, NOW, NULL, NULL), ERR_OK);
	free(tok);
	free(pad);
	free(big);
	cognito_free(cg);
}

static void
test_cognito_follows_key_rotation_with_rate_limit(void)
{
	struct cognito *cg = verifier(NULL, 0);
	char *ta = mint_token(key_a, "kA", ISS, CLIENT, SUB, "id", NOW, 3600,
	    NULL);
	char *tb = mint_token(key_b, "kB", ISS, CLIENT, SUB, "id", NOW, 3600,
	    NULL);
	char *tc = mint_token(key_b, "kC", ISS, CLIENT, SUB, "id", NOW, 3600,
	    NULL);

	CU_ASSERT_EQUAL(verify_at(cg, ta, NOW, NULL, NULL), ERR_OK);
	CU_ASSERT_EQUAL(fake.calls, 1);
	/* The pool starts signing with kB; the JWKS now lists both. */
	fake.doc = jwks_ab;
	fake.now += 10;
	CU_ASSERT_EQUAL(verify_at(cg, tb, NOW, NULL, NULL), ERR_OK);
	CU_ASSERT_EQUAL(fake.calls, 2);
	CU_ASSERT_EQUAL(verify_at(cg, ta, NOW, NULL, NULL), ERR_OK);
	/* Unknown kids inside the 10 s window cause no fetch at all. */
	fake.now += 5;
	REFUSED(cg, tc, NOW, "unknown signing key");
	REFUSED(cg, tc, NOW, "unknown signing key");
	CU_ASSERT_EQUAL(fake.calls, 2);
	fake.now += 5;
	REFUSED(cg, tc, NOW, "unknown signing key");
	CU_ASSERT_EQUAL(fake.calls, 3);
	free(ta);
	free(tb);
	free(tc);
	cognito_free(cg);
}

static void
test_cognito_keeps_keys_when_fetch_fails(void)
{
	struct cognito *cg = verifier(NULL, 0);
	char *ta = mint_token(key_a, "kA", ISS, CLIENT, SUB, "id", NOW, 3600,
	    NULL);
	struct cognito_identity id;
	const char *why = NULL;

	CU_ASSERT_EQUAL(verify_at(cg, ta, NOW, NULL, NULL), ERR_OK);
	fake.doc = NULL;		/* key server down */
	fake.now += 7200;		/* past the TTL */
	CU_ASSERT_EQUAL(verify_at(cg, ta, NOW, NULL, NULL), ERR_OK);
	CU_ASSERT_EQUAL(fake.calls, 2);
	cognito_free(cg);

	/* Never had keys: a 503 for the client, not a 401. */
	fake.calls = 0;
	cg = verifier(NULL, 0);
	CU_ASSERT_EQUAL(cognito_verify(cg, ta, strlen(ta), NOW, &id, &why),
	    ERR_UNAVAILABLE);
	CU_ASSERT_STRING_EQUAL(why, "signing keys unavailable");
	CU_ASSERT_EQUAL(err_http_status(ERR_UNAVAILABLE), 503);
	free(ta);
	cognito_free(cg);
}

/* Threads sharing one verifier while the key set is replaced under them:
 * every clock read advances a second, so with a 5 s TTL the set is
 * refetched (and the old one released) again and again. */
struct race {
	struct cognito	*cg;
	const char	*tok;
	int		 failures;
};

static time_t race_clock_value = 1000;

static time_t
race_clock(void *arg)
{
	(void)arg;
	return __atomic_add_fetch(&race_clock_value, 1, __ATOMIC_RELAXED);
}

static void *
race_main(void *arg)
{
	struct race *r = arg;
	struct cognito_identity id;
	const char *why;
	int i;

	for (i = 0; i < 200; i++)
		if (cognito_verify(r->cg, r->tok, strlen(r->tok), NOW, &id,
		    &why) != ERR_OK || strcmp(id.sub, SUB) != 0)
			r->failures++;
	return NULL;
}

static void
test_cognito_is_safe_to_share_between_threads(void)
{
	struct jwks_cache_conf kc = { "https://idp.test/jwks.json", 5,
	    LIMIT_JWKS_REFETCH_SECONDS, 1000 };
	struct cognito_conf conf;
	struct jwks_cache *keys = NULL;
	struct cognito *cg = NULL;
	struct race r[4];
	pthread_t t[4];
	char *tok = mint_token(key_a, "kA", ISS, CLIENT, SUB, "id", NOW, 3600,
	    NULL);
	int i;

	cognito_conf_defaults(&conf);
	conf.issuer = ISS;
	conf.client_ids = CLIENT;
	CU_ASSERT_EQUAL_FATAL(jwks_cache_new(&kc, fake_fetch, &fake,
	    race_clock, NULL, &keys), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(cognito_new_with_keys(&conf, keys, &cg), ERR_OK);
	for (i = 0; i < 4; i++) {
		r[i].cg = cg;
		r[i].tok = tok;
		r[i].failures = 0;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, race_main,
		    &r[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(r[i].failures, 0);
	}
	/* 800 lookups, one clock tick each, TTL 5: many refetches. */
	CU_ASSERT(fake.calls > 50);
	cognito_free(cg);
	free(tok);
}

static void
test_cognito_reads_jwks_from_file_url(void)
{
	struct cognito_conf conf;
	struct cognito *cg = NULL;
	struct cognito_identity id;
	char path[] = "/tmp/test_cognito_jwks.XXXXXX", url[64];
	char *tok = mint_token(key_b, "kB", ISS, CLIENT, SUB, "access",
	    time(NULL), 600, NULL);
	const char *why = NULL;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, jwks_ab, strlen(jwks_ab)) ==
	    (ssize_t)strlen(jwks_ab));
	close(fd);
	snprintf(url, sizeof(url), "file://%s", path);
	cognito_conf_defaults(&conf);
	conf.issuer = ISS;
	conf.client_ids = CLIENT;
	conf.jwks_url = url;
	CU_ASSERT_EQUAL_FATAL(cognito_new(&conf, &cg), ERR_OK);
	CU_ASSERT_EQUAL(cognito_prefetch(cg), ERR_OK);
	unlink(path);		/* keys are held: the file is not needed */
	CU_ASSERT_EQUAL(cognito_verify(cg, tok, strlen(tok), time(NULL), &id,
	    &why), ERR_OK);
	CU_ASSERT_STRING_EQUAL(id.sub, SUB);
	CU_ASSERT_STRING_EQUAL(why, "ok");
	cognito_free(cg);
	/* The same set-up without the file: keys unavailable. */
	CU_ASSERT_EQUAL_FATAL(cognito_new(&conf, &cg), ERR_OK);
	CU_ASSERT_EQUAL(cognito_prefetch(cg), ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(cognito_verify(cg, tok, strlen(tok), time(NULL), &id,
	    &why), ERR_UNAVAILABLE);
	cognito_free(cg);
	free(tok);
}

static void
test_cognito_new_refuses_bad_config(void)
{
	struct cognito_conf ok, c;
	struct cognito *cg = NULL;
	char many[LIMIT_CLIENT_IDS * 3 + 8];
	size_t i, off = 0;

	cognito_conf_defaults(&ok);
	ok.issuer = ISS;
	ok.client_ids = CLIENT;
	CU_ASSERT_EQUAL(ok.leeway, 0);
	CU_ASSERT_EQUAL(cognito_new(&ok, &cg), ERR_OK);
	cognito_free(cg);
#define BAD(field, value) do {						\
	c = ok;								\
	c.field = value;						\
	CU_ASSERT_EQUAL(cognito_new(&c, &cg), ERR_CONFIG);		\
	CU_ASSERT_PTR_NULL(cg);						\
} while (0)
	BAD(issuer, NULL);
	BAD(issuer, "");
	BAD(issuer, ISS "/");
	BAD(issuer, "https://x y");
	BAD(client_ids, NULL);
	BAD(client_ids, "");
	BAD(client_ids, "a,,b");
	BAD(client_ids, "a b");
	BAD(token_use, "");
	BAD(token_use, "refresh");
	BAD(token_use, "id,idx");
	BAD(leeway, -1);
	BAD(leeway, LIMIT_JWT_LEEWAY_MAX + 1);
	BAD(jwks_ttl, 0);
	BAD(jwks_timeout_ms, 1);
	BAD(jwks_url, "ftp://x/jwks.json");
	for (i = 0; i <= LIMIT_CLIENT_IDS; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off,
		    "%s%zu", i ? "," : "", i);
	BAD(client_ids, many);
#undef BAD
}

/* The config check names the member at fault; with COGNITO_CHECK_FILES a
 * file:// JWKS must hold a key set, without it the file is not read. */
static void
test_cognito_conf_check_names_the_field(void)
{
	struct cognito_conf ok, c;
	char path[] = "/tmp/test_cognito_check.XXXXXX", url[64], why[256];
	const char *field = NULL;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, jwks_ab, strlen(jwks_ab)) ==
	    (ssize_t)strlen(jwks_ab));
	close(fd);
	snprintf(url, sizeof(url), "file://%s", path);
	cognito_conf_defaults(&ok);
	ok.issuer = ISS;
	ok.client_ids = CLIENT;
	ok.jwks_url = url;
	CU_ASSERT_EQUAL(cognito_conf_check(&ok, COGNITO_CHECK_FILES, &field,
	    why, sizeof(why)), ERR_OK);
	CU_ASSERT_PTR_NULL(field);
#define BAD(member, value, want) do {					\
	c = ok;								\
	c.member = value;						\
	field = NULL;							\
	CU_ASSERT_EQUAL(cognito_conf_check(&c, COGNITO_CHECK_FILES,	\
	    &field, why, sizeof(why)), ERR_CONFIG);			\
	CU_ASSERT(field != NULL && strcmp(field, want) == 0);		\
	CU_ASSERT(why[0] != '\0');					\
} while (0)
	BAD(issuer, ISS "/", "issuer");
	BAD(client_ids, "a,,b", "client_ids");
	BAD(token_use, "refresh", "token_use");
	BAD(leeway, -1, "leeway");
	BAD(jwks_ttl, 0, "jwks_ttl");
	BAD(jwks_timeout_ms, 1, "jwks_timeout_ms");
	BAD(jwks_url, "ftp://x/jwks.json", "jwks_url");
	BAD(jwks_url, "file:///nonexistent/jwks.json", "jwks_url");
	CU_ASSERT(strstr(why, "No such file") != NULL);
#undef BAD
	/* A file that is no key set; without the flag it is not read. */
	fd = open(path, O_WRONLY | O_TRUNC);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, "{\"keys\":1}", 10) == 10);
	close(fd);
	CU_ASSERT_EQUAL(cognito_conf_check(&ok, COGNITO_CHECK_FILES, &field,
	    why, sizeof(why)), ERR_CONFIG);
	CU_ASSERT(field != NULL && strcmp(field, "jwks_url") == 0);
	CU_ASSERT(strstr(why, "not a usable JWKS") != NULL);
	CU_ASSERT_EQUAL(cognito_conf_check(&ok, 0, &field, why, sizeof(why)),
	    ERR_OK);
	unlink(path);
}

static void
test_cognito_bearer_finds_the_token(void)
{
	const char *t = NULL;
	size_t n = 0;

	CU_ASSERT_EQUAL(cognito_bearer("Bearer abc.def.ghi", &t, &n), ERR_OK);
	CU_ASSERT(n == 11 && strncmp(t, "abc.def.ghi", n) == 0);
	CU_ASSERT_EQUAL(cognito_bearer("  bearer\tx.y.z  ", &t, &n), ERR_OK);
	CU_ASSERT(n == 5 && strncmp(t, "x.y.z", n) == 0);
	CU_ASSERT_EQUAL(cognito_bearer(NULL, &t, &n), ERR_AUTH);
	CU_ASSERT_EQUAL(cognito_bearer("", &t, &n), ERR_AUTH);
	CU_ASSERT_EQUAL(cognito_bearer("Bearer", &t, &n), ERR_AUTH);
	CU_ASSERT_EQUAL(cognito_bearer("Bearer ", &t, &n), ERR_AUTH);
	CU_ASSERT_EQUAL(cognito_bearer("Basic dXNlcjpwYXNz", &t, &n), ERR_AUTH);
	CU_ASSERT_EQUAL(cognito_bearer("Bearerx.y.z", &t, &n), ERR_AUTH);
	CU_ASSERT_EQUAL(cognito_bearer("Bearer a b", &t, &n), ERR_AUTH);
	CU_ASSERT_PTR_NULL(t);
}

int
test_cognito_suite(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "accepts valid id token",
		    test_cognito_accepts_valid_id_token },
		{ "accepts valid access token",
		    test_cognito_accepts_valid_access_token },
		{ "refuses expired token", test_cognito_refuses_expired_token },
		{ "refuses token not yet valid",
		    test_cognito_refuses_token_not_yet_valid },
		{ "leeway stretches times both ways",
		    test_cognito_leeway_stretches_times_both_ways },
		{ "refuses wrong issuer", test_cognito_refuses_wrong_issuer },
		{ "refuses wrong audience or client id",
		    test_cognito_refuses_wrong_audience_or_client_id },
		{ "refuses wrong token_use",
		    test_cognito_refuses_wrong_token_use },
		{ "refuses unknown kid", test_cognito_refuses_unknown_kid },
		{ "refuses tampered payload",
		    test_cognito_refuses_tampered_payload },
		{ "refuses tampered signature",
		    test_cognito_refuses_tampered_signature },
		{ "refuses alg none", test_cognito_refuses_alg_none },
		{ "refuses HS256 signed with the public key PEM",
		    test_cognito_refuses_hs256_signed_with_public_key_pem },
		{ "refuses other asymmetric algs",
		    test_cognito_refuses_other_asymmetric_algs },
		{ "refuses missing sub", test_cognito_refuses_missing_sub },
		{ "refuses unsafe sub", test_cognito_refuses_unsafe_sub },
		{ "refuses claims of the wrong type",
		    test_cognito_refuses_claims_of_the_wrong_type },
		{ "refuses malformed base64 and shape",
		    test_cognito_refuses_malformed_base64_and_shape },
		{ "refuses oversized token",
		    test_cognito_refuses_oversized_token },
		{ "follows key rotation with rate limit",
		    test_cognito_follows_key_rotation_with_rate_limit },
		{ "keeps keys when fetch fails",
		    test_cognito_keeps_keys_when_fetch_fails },
		{ "is safe to share between threads",
		    test_cognito_is_safe_to_share_between_threads },
		{ "reads JWKS from a file:// URL",
		    test_cognito_reads_jwks_from_file_url },
		{ "new refuses bad config",
		    test_cognito_new_refuses_bad_config },
		{ "conf check names the field",
		    test_cognito_conf_check_names_the_field },
		{ "bearer finds the token",
		    test_cognito_bearer_finds_the_token },
	};
	CU_pSuite s;
	size_t i;

	s = CU_add_suite_with_setup_and_teardown("cognito", cognito_suite_init,
	    cognito_suite_clean, (CU_SetUpFunc)cognito_test_init, NULL);
	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return -1;
	return 0;
}
