/*
 * ident.c: random identifiers from the kernel CSPRNG.
 *
 * getrandom(2) without flags blocks only until the kernel pool is first
 * initialised and never returns short reads of up to 256 bytes, but a
 * signal can interrupt it, so reads are retried.  No userspace PRNG is
 * involved: ids must not be guessable, as session ids end up in S3 keys
 * and event ids in downstream systems.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ident.h"
#include "log.h"

enum err
ident_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t got;

	while (n > 0) {
		got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			log_error("getrandom: %s", strerror(errno));
			return ERR_IO;
		}
		p += got;
		n -= (size_t)got;
	}
	return ERR_OK;
}

static void
ident_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

enum err
ident_uuid4(char *out, size_t outsz)
{
	unsigned char b[16];
	char h[33];
	enum err rc;

	if (outsz > 0)
		out[0] = '\0';
	if (outsz < IDENT_UUID_SIZE)
		return ERR_TOO_LARGE;
	if ((rc = ident_bytes(b, sizeof(b))) != ERR_OK)
		return rc;
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* variant 10xx */
	ident_hex(b, sizeof(b), h);
	snprintf(out, outsz, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12,
	    h + 16, h + 20);
	return ERR_OK;
}

enum err
ident_session(int64_t epoch_ms, char *out, size_t outsz)
{
	char uuid[IDENT_UUID_SIZE];
	struct timespec ts;
	enum err rc;
	int n;

	if (outsz > 0)
		out[0] = '\0';
	if (epoch_ms < 0) {
		if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
			log_error("clock_gettime: %s", strerror(errno));
			return ERR_IO;
		}
		epoch_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	if ((rc = ident_uuid4(uuid, sizeof(uuid))) != ERR_OK)
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
	char h[129];
	enum err rc;
	int n;

	if (outsz > 0)
		out[0] = '\0';
	if (nbytes < 1 || nbytes > sizeof(b))
		return ERR_INVAL;
	if (outsz == 0)
		return ERR_TOO_LARGE;
	if ((rc = ident_bytes(b, nbytes)) != ERR_OK)
		return rc;
	ident_hex(b, nbytes, h);
	n = snprintf(out, outsz, "%s%s", prefix == NULL ? "" : prefix, h);
	if (n < 0 || (size_t)n >= outsz) {
		out[0] = '\0';
		return ERR_TOO_LARGE;
	}
	return ERR_OK;
}
