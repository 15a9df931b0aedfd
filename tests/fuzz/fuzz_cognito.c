/*
 * fuzz_cognito.c: libFuzzer target for lib/cognito.c, the token header and
 * claims parser.
 *
 * A random token almost never carries a valid signature, so the claims
 * checks would stay out of reach.  The first input byte picks the mode:
 *   even: the rest is a compact token, verified as it is (shape, base64url,
 *         header JSON, signature);
 *   odd:  the rest is "HEADER-JSON\nPAYLOAD-JSON"; the target signs it with
 *         its own key (listed in the verifier's JWKS under kid "f") and
 *         verifies the result, so every claim rule is exercised.
 * The rest is also fed to cognito_bearer().  Invariants: only ERR_OK,
 * ERR_AUTH and ERR_TOO_LARGE come back; a reason always; on success a sub
 * of the safe shape and token_use id or access; on failure an empty
 * identity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cognito.h"
#include "jwks_cache.h"
#include "log.h"
#include "mint.h"

#define FUZZ_ISS	"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_F"
#define FUZZ_NOW	((time_t)1795600000)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static EVP_PKEY *fuzz_key;
static char *fuzz_jwks;
static struct cognito *fuzz_cg;

static enum err
fuzz_fetch(void *arg, const char *url, long timeout_ms, size_t max,
    char **body, size_t *len)
{
	(void)arg; (void)url; (void)timeout_ms; (void)max;
	*len = strlen(fuzz_jwks);
	*body = strdup(fuzz_jwks);
	return *body == NULL ? ERR_NOMEM : ERR_OK;
}

static time_t
fuzz_clock(void *arg)
{
	(void)arg;
	return 1000;
}

static void
fuzz_init(void)
{
	struct jwks_cache_conf kc = { "https://fuzz/jwks.json", 3600, 10,
	    1000 };
	struct cognito_conf conf;
	struct jwks_cache *keys = NULL;
	const char *kid = "f";

	log_init("fuzz_cognito", LOGL_ERROR, 2);
	if ((fuzz_key = mint_keygen(2048)) == NULL ||
	    (fuzz_jwks = mint_jwks(&fuzz_key, &kid, 1)) == NULL)
		abort();
	cognito_conf_defaults(&conf);
	conf.issuer = FUZZ_ISS;
	conf.client_ids = "client-a,client-b";
	conf.leeway = 5;
	if (jwks_cache_new(&kc, fuzz_fetch, NULL, fuzz_clock, NULL, &keys) !=
	    ERR_OK || cognito_new_with_keys(&conf, keys, &fuzz_cg) != ERR_OK)
		abort();
}

static void
fuzz_verify(const char *tok, size_t len)
{
	struct cognito_identity id;
	const char *why = NULL;
	enum err rc;

	rc = cognito_verify(fuzz_cg, tok, len, FUZZ_NOW, &id, &why);
	if (why == NULL)
		abort();
	if (rc == ERR_OK) {
		if (!cognito_sub_valid(id.sub, strlen(id.sub)) ||
		    (id.token_use != COGNITO_USE_ID &&
		    id.token_use != COGNITO_USE_ACCESS) ||
		    id.exp <= FUZZ_NOW - 5 || strcmp(why, "ok") != 0)
			abort();
	} else if (rc == ERR_AUTH || rc == ERR_TOO_LARGE) {
		if (id.sub[0] != '\0' || strcmp(why, "ok") == 0)
			abort();
	} else
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = NULL, *nl, *tok = NULL;
	const char *t;
	size_t n;

	if (fuzz_cg == NULL)
		fuzz_init();
	if (size == 0)
		return 0;
	n = size - 1;
	if ((buf = malloc(n + 1)) == NULL)
		abort();
	memcpy(buf, data + 1, n);
	buf[n] = '\0';
	if (cognito_bearer(buf, &t, &n) == ERR_OK &&
	    (t < buf || t + n > buf + size - 1))
		abort();
	n = size - 1;
	if ((data[0] & 1) == 0) {
		/* Exactly n bytes, no terminator, so over-reads show. */
		if ((tok = malloc(n > 0 ? n : 1)) == NULL)
			abort();
		memcpy(tok, data + 1, n);
		fuzz_verify(tok, n);
	} else if ((nl = memchr(buf, '\n', n)) != NULL &&
	    strlen(buf) == n && n < LIMIT_TOKEN_BYTES) {
		*nl = '\0';
		if ((tok = mint_sign(buf, nl + 1, MINT_RS256, fuzz_key, NULL,
		    0)) != NULL)
			fuzz_verify(tok, strlen(tok));
	}
	free(tok);
	free(buf);
	return 0;
}
