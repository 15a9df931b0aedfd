/*
 * fuzz_jwks.c: libFuzzer target for lib/jwks.c (and the base64url decoder
 * under it).
 *
 * Feeds the input to jwks_parse() and, when it parses, looks every key up
 * by its kid and checks the invariants a verifier relies on: at most
 * LIMIT_JWKS_KEYS keys, every key RSA with a modulus in range, a PEM, a kid
 * that finds itself, and references that count properly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwks.h"
#include "limit.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwks *set = NULL;
	const struct jwks_key *k;
	size_t i;

	if (jwks_parse((const char *)data, size, &set) != ERR_OK) {
		if (set != NULL)
			abort();
		return 0;
	}
	if (set->nkeys > LIMIT_JWKS_KEYS ||
	    set->nkeys + set->nskipped > LIMIT_JWKS_KEYS)
		abort();
	for (i = 0; i < set->nkeys; i++) {
		k = &set->keys[i];
		if (k->pkey == NULL || !EVP_PKEY_is_a(k->pkey, "RSA") ||
		    k->bits < LIMIT_RSA_BITS_MIN ||
		    k->bits > LIMIT_RSA_BITS_MAX || k->pem == NULL ||
		    strlen(k->pem) != k->pem_len ||
		    strlen(k->kid) == 0 || strlen(k->kid) > LIMIT_KID_BYTES)
			abort();
		if (jwks_find(set, k->kid) != k)
			abort();
	}
	jwks_free(jwks_ref(set));
	jwks_free(set);
	return 0;
}
