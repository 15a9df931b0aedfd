/*
 * ident.c: the API's identifiers: session ids and prefixed random ids.
 *
 * The random bytes and the UUID come from lib/uuid.c (the kernel CSPRNG,
 * no userspace PRNG: ids must not be guessable, as session ids end up in
 * S3 keys and event ids in downstream systems); this file gives them the
 * shapes the API hands out.
 */
#include <inttypes.h>
#include <stdio.h>

#include "buf.h"
#include "clock.h"
#include "ident.h"
#include "uuid.h"

enum err
ident_session(int64_t epoch_ms, char *out, size_t outsz)
{
	char uuid[UUID_SIZE];
	enum err rc;
	int n;

	if (outsz > 0)
		out[0] = '\0';
	if (epoch_ms < 0)
		epoch_ms = clock_wall_ms();
	if ((rc = uuid_v4(uuid, sizeof(uuid))) != ERR_OK)
		return rc;
	if (outsz == 0)
		return ERR_TOO_LARGE;
	n = snprintf(out, outsz, "session-%" PRId64 "-%s", epoch_ms, uuid);
	if (n < 0 || (size_t)n >= outsz) {
		out[0] = '\0';
		return ERR_TOO_LARGE;
	}
	return ERR_OK;
}

enum err
ident_random(const char *prefix, size_t nbytes, char *out, size_t outsz)
{
	unsigned char b[64];
	struct buf o;
	enum err rc;

	if (outsz > 0)
		out[0] = '\0';
	if (nbytes < 1 || nbytes > sizeof(b))
		return ERR_INVAL;
	if (outsz == 0)
		return ERR_TOO_LARGE;
	if ((rc = uuid_random(b, nbytes)) != ERR_OK)
		return rc;
	buf_init_fixed(&o, out, outsz);
	buf_adds(&o, prefix);
	buf_add_hex(&o, b, nbytes);
	if (buf_err(&o) != ERR_OK) {
		out[0] = '\0';
		return ERR_TOO_LARGE;
	}
	return ERR_OK;
}
