/*
 * jwks.c: JWKS document -> reference-counted set of RSA verification keys.
 *
 * Pure parsing: a buffer in, OpenSSL key objects out, no I/O.  Each entry of
 * "keys" either becomes a usable key or is skipped (and counted): we only
 * want RSA keys meant for signatures with RS256, of a sane size, with a kid
 * we can look up.  The whole document is refused only when it is not a
 * JWKS at all or is over the size/count limits.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "b64url.h"
#include "jsonparse.h"
#include "jwks.h"
#include "log.h"

/* Largest e we take: 64 bits is far beyond any real exponent. */
#define JWKS_E_BYTES_MAX	8

static int
jwks_kid_valid(const char *kid)
{
	size_t i, len = strlen(kid);

	if (len == 0 || len > LIMIT_KID_BYTES)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)kid[i] < 0x21 ||
		    (unsigned char)kid[i] > 0x7e)
			return 0;
	return 1;
}

/* Decode a base64url big-endian unsigned number into a new BIGNUM. */
static BIGNUM *
jwks_bn(const char *s, size_t maxbytes)
{
	unsigned char *buf = NULL;
	size_t len = strlen(s), n = 0;
	BIGNUM *bn = NULL;

	if (len == 0 || len > B64URL_ENCODED_LEN(maxbytes))
		goto out;
	if ((buf = malloc(B64URL_DECODED_MAX(len))) == NULL)
		goto out;
	if (b64url_decode(s, len, buf, B64URL_DECODED_MAX(len), &n) != ERR_OK)
		goto out;
	bn = BN_bin2bn(buf, (int)n, NULL);
out:
	free(buf);
	return bn;
}

static char *
jwks_pem(EVP_PKEY *pkey, size_t *pem_len)
{
	BIO *bio = NULL;
	char *data, *out = NULL;
	long n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	if (!PEM_write_bio_PUBKEY(bio, pkey))
		goto out;
	if ((n = BIO_get_mem_data(bio, &data)) <= 0)
		goto out;
	if ((out = malloc((size_t)n + 1)) == NULL)
		goto out;
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*pem_len = (size_t)n;
out:
	BIO_free(bio);
	return out;
}

/*
 * Turn one JWK into *k.  Returns ERR_OK, ERR_INVAL for a key to skip (why
 * says which rule), or ERR_NOMEM / ERR_CRYPTO.
 */
static enum err
jwks_key_load(json_object *jwk, struct jwks_key *k, const char **why)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *n = NULL, *e = NULL;
	const char *s;
	enum err rc = ERR_INVAL;

	*why = "not an object";
	if (!json_object_is_type(jwk, json_type_object))
		goto out;
	*why = "kty is not RSA";
	if ((s = jsonparse_str(jwk, "kty", NULL)) == NULL ||
	    strcmp(s, "RSA") != 0)
		goto out;
	*why = "use is not sig";
	if (json_object_object_get_ex(jwk, "use", NULL) &&
	    ((s = jsonparse_str(jwk, "use", NULL)) == NULL ||
	    strcmp(s, "sig") != 0))
		goto out;
	*why = "alg is not RS256";
	if (json_object_object_get_ex(jwk, "alg", NULL) &&
	    ((s = jsonparse_str(jwk, "alg", NULL)) == NULL ||
	    strcmp(s, "RS256") != 0))
		goto out;
	*why = "missing or bad kid";
	if ((s = jsonparse_str(jwk, "kid", NULL)) == NULL || !jwks_kid_valid(s))
		goto out;
	memcpy(k->kid, s, strlen(s) + 1);
	*why = "bad modulus n";
	if ((s = jsonparse_str(jwk, "n", NULL)) == NULL ||
	    (n = jwks_bn(s, LIMIT_RSA_BITS_MAX / 8 + 1)) == NULL)
		goto out;
	k->bits = BN_num_bits(n);
	*why = "modulus size out of range";
	if (k->bits < LIMIT_RSA_BITS_MIN || k->bits > LIMIT_RSA_BITS_MAX)
		goto out;
	*why = "bad exponent e";
	if ((s = jsonparse_str(jwk, "e", NULL)) == NULL ||
	    (e = jwks_bn(s, JWKS_E_BYTES_MAX)) == NULL ||
	    !BN_is_odd(e) || BN_is_one(e))
		goto out;

	*why = "OpenSSL refused the key";
	rc = ERR_CRYPTO;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k->pkey, EVP_PKEY_PUBLIC_KEY,
	    params) != 1)
		goto out;
	if ((k->pem = jwks_pem(k->pkey, &k->pem_len)) == NULL)
		goto out;
	rc = ERR_OK;
	*why = "ok";
out:
	if (rc != ERR_OK) {
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return rc;
}

enum err
jwks_parse(const char *buf, size_t len, struct jwks **out)
{
	json_object *doc = NULL, *arr;
	struct jwks *set = NULL;
	struct jwks_key *k;
	const char *why;
	size_t i, n;
	enum err rc;

	*out = NULL;
	if (len > LIMIT_JWKS_BYTES)
		return ERR_TOO_LARGE;
	if ((rc = jsonparse_object(buf, len, LIMIT_JWKS_BYTES, &doc, NULL,
	    0)) != ERR_OK)
		goto out;
	rc = ERR_JSON;
	if (!json_object_object_get_ex(doc, "keys", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		goto out;
	n = json_object_array_length(arr);
	rc = ERR_TOO_LARGE;
	if (n > LIMIT_JWKS_KEYS)
		goto out;
	rc = ERR_NOMEM;
	if ((set = calloc(1, sizeof(*set))) == NULL)
		goto out;
	set->refs = 1;
	if (n > 0 && (set->keys = calloc(n, sizeof(*set->keys))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		k = &set->keys[set->nkeys];
		rc = jwks_key_load(json_object_array_get_idx(arr, i), k, &why);
		if (rc == ERR_OK && jwks_find(set, k->kid) != NULL) {
			why = "duplicate kid";
			rc = ERR_INVAL;
			EVP_PKEY_free(k->pkey);
			free(k->pem);
		}
		if (rc == ERR_NOMEM)
			goto out;
		if (rc != ERR_OK) {
			log_debug("skipping JWKS key %zu: %s", i, why);
			memset(k, 0, sizeof(*k));
			set->nskipped++;
			continue;
		}
		set->nkeys++;
	}
	*out = set;
	set = NULL;
	rc = ERR_OK;
out:
	jwks_free(set);
	json_object_put(doc);
	return rc;
}

const struct jwks_key *
jwks_find(const struct jwks *set, const char *kid)
{
	size_t i;

	if (set == NULL || kid == NULL)
		return NULL;
	for (i = 0; i < set->nkeys; i++)
		if (strcmp(set->keys[i].kid, kid) == 0)
			return &set->keys[i];
	return NULL;
}

struct jwks *
jwks_ref(struct jwks *set)
{
	__atomic_add_fetch(&set->refs, 1, __ATOMIC_RELAXED);
	return set;
}

void
jwks_free(struct jwks *set)
{
	size_t i;

	if (set == NULL)
		return;
	if (__atomic_sub_fetch(&set->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (i = 0; i < set->nkeys; i++) {
		EVP_PKEY_free(set->keys[i].pkey);
		free(set->keys[i].pem);
	}
	free(set->keys);
	free(set);
}
