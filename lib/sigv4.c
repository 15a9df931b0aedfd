/*
 * sigv4.c: AWS Signature Version 4.  TEMPORARY STUB so others can code
 * against lib/sigv4.h; every entry point reports ERR_INTERNAL until the real
 * implementation lands on this branch.
 */
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

enum err
sigv4_signer_new(struct sigv4_signer **out, const char *a, const char *s,
    const char *t)
{
	*out = NULL;
	return ERR_INTERNAL;
}

enum err
sigv4_signer_set_credentials(struct sigv4_signer *sg, const char *a,
    const char *s, const char *t)
{
	return ERR_INTERNAL;
}

void
sigv4_signer_free(struct sigv4_signer *sg)
{
}

void
sigv4_signer_stats(const struct sigv4_signer *sg, unsigned long *d,
    unsigned long *h)
{
	*d = *h = 0;
}

enum err
sigv4_sign(struct sigv4_signer *sg, const struct sigv4_request *r,
    struct sigv4_signed *out)
{
	memset(out, 0, sizeof(*out));
	return ERR_INTERNAL;
}

void
sigv4_signed_free(struct sigv4_signed *s)
{
}

enum err
sigv4_presign(struct sigv4_signer *sg, const struct sigv4_presign *p,
    struct sigv4_presigned *out)
{
	memset(out, 0, sizeof(*out));
	return ERR_INTERNAL;
}

void
sigv4_presigned_free(struct sigv4_presigned *p)
{
}

enum err
sigv4_presign_url(struct sigv4_signer *sg, const struct sigv4_url_req *r,
    char **url)
{
	*url = NULL;
	return ERR_INTERNAL;
}

enum err
sigv4_s3_locate(const char *e, const char *b, const char *k,
    enum sigv4_addressing a, struct sigv4_s3_loc *out)
{
	memset(out, 0, sizeof(*out));
	return ERR_INTERNAL;
}

void
sigv4_s3_loc_free(struct sigv4_s3_loc *l)
{
}

enum err
sigv4_sha256_hex(const void *buf, size_t len, char out[SIGV4_HEX_LEN + 1])
{
	out[0] = '\0';
	return ERR_INTERNAL;
}

enum err
sigv4_uri_encode(const char *buf, size_t len, int keep_slash, char **out)
{
	*out = NULL;
	return ERR_INTERNAL;
}
