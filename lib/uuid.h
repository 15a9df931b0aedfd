/*
 * uuid.h: the one random UUID.
 */
#ifndef UUID_H
#define UUID_H

#include <stddef.h>

#include "err.h"

#define UUID_SIZE	37	/* 36 characters + NUL */

/*
 * Write a random (version 4, RFC 9562 variant) UUID in lower case, from
 * the kernel CSPRNG, into out.  ERR_TOO_LARGE if outsz < UUID_SIZE (out
 * is then "" when outsz > 0); ERR_IO if getrandom(2) fails (logged).
 */
enum err	uuid_v4(char *out, size_t outsz);

/* Fill p with n bytes from the kernel CSPRNG; ERR_OK or ERR_IO (logged). */
enum err	uuid_random(void *p, size_t n);

#endif /* UUID_H */
