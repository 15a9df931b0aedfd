/*
 * mint.h: make RSA keys, JWKS documents and JWTs for tests.
 *
 * Shared by the unit tests (tests/unit/test_jwks.c, tests/unit/test_cognito.c), the
 * benchmark and the jwtmint tool that integration tests and the local stack
 * call.  Test code only: it signs whatever header and payload it is given,
 * including the forgeries the verifier must refuse.  Strings returned are
 * malloc'd; the caller frees them.  Functions return NULL on failure.
 */
#ifndef MINT_H
#define MINT_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

enum mint_alg {
	MINT_RS256,
	MINT_HS256,
	MINT_NONE,	/* empty signature segment */
};

/* A fresh RSA key pair of the given size. */
EVP_PKEY	*mint_keygen(int bits);
/* Read a PEM private key, or failing that a PEM public key. */
EVP_PKEY	*mint_load_pem(const char *path);
/* The public half as "-----BEGIN PUBLIC KEY-----" PEM. */
char		*mint_pubkey_pem(const EVP_PKEY *);
/* One JWK object {"kty":"RSA",...} for the public half. */
char		*mint_jwk(const EVP_PKEY *, const char *kid);
/* A JWKS document with n keys. */
char		*mint_jwks(EVP_PKEY *const *keys, const char *const *kids,
		    size_t n);
/* base64url(header).base64url(payload).signature, the JSON taken as is.
 * RS256 signs with key; HS256 uses secret[0..secretlen). */
char		*mint_sign(const char *header, const char *payload,
		    enum mint_alg, const EVP_PKEY *key,
		    const void *secret, size_t secretlen);

/* A Cognito-shaped token: use is "id" (aud, cognito:username) or "access"
 * (client_id, username); iat = now, exp = now + ttl; email may be NULL. */
char		*mint_token(const EVP_PKEY *, const char *kid, const char *iss,
		    const char *aud, const char *sub, const char *use,
		    time_t now, long ttl, const char *email);

#endif /* MINT_H */
