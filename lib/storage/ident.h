/*
 * ident.h: random identifiers (bytes and UUIDs from lib/uuid.h).
 *
 * Session ids have the shape the system we replace used,
 * `session-<epoch ms>-<uuid v4>`, e.g.
 * session-1764093600123-3f2b9c1e-8d4a-4f7b-9e21-5a6b7c8d9e0f, and pass
 * s3key_valid_session().  Other ids (events, requests) are a caller prefix
 * followed by lower-case hex of fresh random bytes.
 */
#ifndef IDENT_H
#define IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define IDENT_SESSION_SIZE	72	/* "session-" + 20 + "-" + 36 + NUL */

/* Write `session-<epoch_ms>-<uuid v4>`.  A negative epoch_ms means "now"
 * (CLOCK_REALTIME).  ERR_OK, ERR_IO or ERR_TOO_LARGE. */
enum err	ident_session(int64_t epoch_ms, char *out, size_t outsz);

/* Write `prefix` (may be NULL or "") followed by 2*nbytes lower-case hex
 * digits of fresh random bytes; 1 <= nbytes <= 64.  ERR_OK, ERR_IO,
 * ERR_INVAL (nbytes out of range) or ERR_TOO_LARGE (does not fit). */
enum err	ident_random(const char *prefix, size_t nbytes, char *out,
		    size_t outsz);

#endif /* IDENT_H */
