/*
 * uuid.c: random UUIDs and random bytes from the kernel CSPRNG.
 *
 * getrandom(2) without flags blocks only until the kernel pool is first
 * initialised and never returns short reads of up to 256 bytes, but a
 * signal can interrupt it, so reads are retried.  No userspace PRNG is
 * involved: ids must not be guessable, as session ids end up in S3 keys
 * and event ids in downstream systems.  The random bytes live here with
 * the UUID because the UUID is their main user; ident.c builds the other
 * identifiers on top.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "buf.h"
#include "log.h"
#include "uuid.h"

enum err
uuid_random(void *buf, size_t n)
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

enum err
uuid_v4(char *out, size_t outsz)
{
	unsigned char b[16];
	struct buf o;
	enum err rc;

	if (outsz > 0)
		out[0] = '\0';
	if (outsz < UUID_SIZE)
		return ERR_TOO_LARGE;
	if ((rc = uuid_random(b, sizeof(b))) != ERR_OK)
		return rc;
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* variant 10xx */
	buf_init_fixed(&o, out, outsz);	/* 8-4-4-4-12 */
	buf_add_hex(&o, b, 4);
	buf_addc(&o, '-');
	buf_add_hex(&o, b + 4, 2);
	buf_addc(&o, '-');
	buf_add_hex(&o, b + 6, 2);
	buf_addc(&o, '-');
	buf_add_hex(&o, b + 8, 2);
	buf_addc(&o, '-');
	buf_add_hex(&o, b + 10, 6);
	return ERR_OK;
}
