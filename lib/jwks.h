/*
 * jwks.h: parse a JSON Web Key Set into usable RSA public keys.
 *
 * A Cognito user pool publishes its signing keys as a JWKS document.  This
 * module turns one such document (a buffer, no I/O) into a key set: each
 * usable key has its kid, an OpenSSL EVP_PKEY built from the RSA modulus
 * and exponent, and the public key as PEM (for tools that want one).  Keys
 * we cannot or must not use (not RSA, not for signatures, not RS256, under
 * 2048 or over 8192 bits, duplicate kid) are skipped, not fatal, so one odd
 * key cannot take down verification with the others.  Key sets are
 * reference counted so that a verifier can keep using a set while the cache
 * (jwks_cache.h) swaps in a newer one.
 */
#ifndef JWKS_H
#define JWKS_H

#include <stddef.h>

#include <openssl/evp.h>

#include "err.h"
#include "limit.h"

struct jwks_key {
	char		 kid[LIMIT_KID_BYTES + 1];
	EVP_PKEY	*pkey;		/* RSA public key */
	char		*pem;		/* "-----BEGIN PUBLIC KEY-----..." */
	size_t		 pem_len;
	int		 bits;		/* modulus size */
};

struct jwks {
	struct jwks_key	*keys;
	size_t		 nkeys;
	size_t		 nskipped;	/* keys present but not usable */
	int		 refs;		/* see jwks_ref()/jwks_free() */
};

/*
 * Parse the JWKS document buf[0..len).  On ERR_OK *out is a new set with one
 * reference, owned by the caller (release with jwks_free()).  A set may hold
 * zero usable keys; that is not an error here (lookups simply fail).
 * Errors: ERR_TOO_LARGE (len over LIMIT_JWKS_BYTES or more than
 * LIMIT_JWKS_KEYS entries), ERR_JSON (not JSON, or no "keys" array),
 * ERR_NOMEM, ERR_CRYPTO.  Nothing is logged except skipped keys (debug).
 */
enum err	 jwks_parse(const char *buf, size_t len, struct jwks **out);

/* Find the key with this kid; NULL if none.  The key lives as long as the
 * set. */
const struct jwks_key *jwks_find(const struct jwks *, const char *kid);

/* Take one more reference to the set (thread-safe); returns the set. */
struct jwks	*jwks_ref(struct jwks *);

/* Drop one reference; the last one frees the set.  NULL is a no-op. */
void		 jwks_free(struct jwks *);

#endif /* JWKS_H */
