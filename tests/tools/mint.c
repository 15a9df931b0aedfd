/*
 * mint.c: test-side JWT and JWKS minting over OpenSSL and json-c.
 *
 * The opposite of lib/cognito.c and lib/jwks.c, kept out of lib/ because a
 * signer has no business in the production library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "b64url.h"
#include "mint.h"

EVP_PKEY *
mint_keygen(int bits)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
}

EVP_PKEY *
mint_load_pem(const char *path)
{
	EVP_PKEY *pkey = NULL;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	if (pkey == NULL) {
		rewind(f);
		pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	}
	fclose(f);
	return pkey;
}

char *
mint_pubkey_pem(const EVP_PKEY *pkey)
{
	BIO *bio = NULL;
	char *data, *out = NULL;
	long n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	if (!PEM_write_bio_PUBKEY(bio, (EVP_PKEY *)pkey))
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || (out = malloc((size_t)n + 1)) == NULL)
		goto out;
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
out:
	BIO_free(bio);
	return out;
}

static char *
mint_b64(const void *buf, size_t len)
{
	size_t sz = B64URL_ENCODED_LEN(len) + 1;
	char *out;

	if ((out = malloc(sz)) == NULL)
		return NULL;
	if (b64url_encode(buf, len, out, sz) == 0 && len != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static char *
mint_bn_b64(const EVP_PKEY *pkey, const char *name)
{
	BIGNUM *bn = NULL;
	unsigned char *bin = NULL;
	char *out = NULL;
	int n;

	if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
		goto out;
	n = BN_num_bytes(bn);
	if ((bin = malloc((size_t)n + 1)) == NULL)
		goto out;
	BN_bn2bin(bn, bin);
	out = mint_b64(bin, (size_t)n);
out:
	free(bin);
	BN_free(bn);
	return out;
}

static json_object *
mint_jwk_obj(const EVP_PKEY *pkey, const char *kid)
{
	json_object *o = NULL;
	char *n = NULL, *e = NULL;

	n = mint_bn_b64(pkey, OSSL_PKEY_PARAM_RSA_N);
	e = mint_bn_b64(pkey, OSSL_PKEY_PARAM_RSA_E);
	if (n == NULL || e == NULL)
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "alg", json_object_new_string("RS256"));
	json_object_object_add(o, "e", json_object_new_string(e));
	json_object_object_add(o, "kid", json_object_new_string(kid));
	json_object_object_add(o, "kty", json_object_new_string("RSA"));
	json_object_object_add(o, "n", json_object_new_string(n));
	json_object_object_add(o, "use", json_object_new_string("sig"));
out:
	free(n);
	free(e);
	return o;
}

static char *
mint_json_dup(json_object *o)
{
	const char *s;

	if (o == NULL)
		return NULL;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	return s == NULL ? NULL : strdup(s);
}

char *
mint_jwk(const EVP_PKEY *pkey, const char *kid)
{
	json_object *o = mint_jwk_obj(pkey, kid);
	char *s = mint_json_dup(o);

	json_object_put(o);
	return s;
}

char *
mint_jwks(EVP_PKEY *const *keys, const char *const *kids, size_t n)
{
	json_object *doc, *arr, *k;
	char *s = NULL;
	size_t i;

	doc = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(doc, "keys", arr);
	for (i = 0; i < n; i++) {
		if ((k = mint_jwk_obj(keys[i], kids[i])) == NULL)
			goto out;
		json_object_array_add(arr, k);
	}
	s = mint_json_dup(doc);
out:
	json_object_put(doc);
	return s;
}

static char *
mint_rs256(const EVP_PKEY *key, const char *input, size_t *siglen)
{
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t len = 0;
	char *out = NULL;

	if ((md = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
	    (EVP_PKEY *)key) != 1)
		goto out;
	if (EVP_DigestSign(md, NULL, &len, (const unsigned char *)input,
	    strlen(input)) != 1)
		goto out;
	if ((sig = malloc(len)) == NULL)
		goto out;
	if (EVP_DigestSign(md, sig, &len, (const unsigned char *)input,
	    strlen(input)) != 1)
		goto out;
	out = mint_b64(sig, len);
	*siglen = len;
out:
	free(sig);
	EVP_MD_CTX_free(md);
	return out;
}

char *
mint_sign(const char *header, const char *payload, enum mint_alg alg,
    const EVP_PKEY *key, const void *secret, size_t secretlen)
{
	char *h = NULL, *p = NULL, *input = NULL, *sig = NULL, *out = NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t n, siglen = 0;

	h = mint_b64(header, strlen(header));
	p = mint_b64(payload, strlen(payload));
	if (h == NULL || p == NULL)
		goto out;
	n = strlen(h) + strlen(p) + 2;
	if ((input = malloc(n)) == NULL)
		goto out;
	snprintf(input, n, "%s.%s", h, p);
	switch (alg) {
	case MINT_RS256:
		sig = mint_rs256(key, input, &siglen);
		break;
	case MINT_HS256:
		if (HMAC(EVP_sha256(), secret, (int)secretlen,
		    (const unsigned char *)input, strlen(input), mac,
		    &maclen) == NULL)
			goto out;
		sig = mint_b64(mac, maclen);
		break;
	case MINT_NONE:
		sig = strdup("");
		break;
	}
	if (sig == NULL)
		goto out;
	n = strlen(input) + strlen(sig) + 2;
	if ((out = malloc(n)) == NULL)
		goto out;
	snprintf(out, n, "%s.%s", input, sig);
out:
	free(h);
	free(p);
	free(input);
	free(sig);
	return out;
}

char *
mint_token(const EVP_PKEY *key, const char *kid, const char *iss,
    const char *aud, const char *sub, const char *use, time_t now, long ttl,
    const char *email)
{
	json_object *hdr, *pl;
	char *h = NULL, *p = NULL, *tok = NULL;
	int id = strcmp(use, "id") == 0;

	hdr = json_object_new_object();
	json_object_object_add(hdr, "kid", json_object_new_string(kid));
	json_object_object_add(hdr, "alg", json_object_new_string("RS256"));
	pl = json_object_new_object();
	json_object_object_add(pl, "sub", json_object_new_string(sub));
	json_object_object_add(pl, "iss", json_object_new_string(iss));
	json_object_object_add(pl, id ? "aud" : "client_id",
	    json_object_new_string(aud));
	json_object_object_add(pl, "token_use", json_object_new_string(use));
	json_object_object_add(pl, id ? "cognito:username" : "username",
	    json_object_new_string(sub));
	if (!id)
		json_object_object_add(pl, "scope",
		    json_object_new_string("aws.cognito.signin.user.admin"));
	if (email != NULL) {
		json_object_object_add(pl, "email",
		    json_object_new_string(email));
		json_object_object_add(pl, "email_verified",
		    json_object_new_boolean(1));
	}
	json_object_object_add(pl, "auth_time", json_object_new_int64(now));
	json_object_object_add(pl, "iat", json_object_new_int64(now));
	json_object_object_add(pl, "exp", json_object_new_int64(now + ttl));
	h = mint_json_dup(hdr);
	p = mint_json_dup(pl);
	if (h != NULL && p != NULL)
		tok = mint_sign(h, p, MINT_RS256, key, NULL, 0);
	free(h);
	free(p);
	json_object_put(hdr);
	json_object_put(pl);
	return tok;
}
