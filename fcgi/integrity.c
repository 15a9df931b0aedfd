/*
 * integrity.c: the checksums of a chunk upload, from presign to complete.
 *
 * A presign may name the chunk's SHA-256 and MD5 (base64, as S3's
 * x-amz-checksum-sha256 and Content-MD5 carry them).  Each is signed into
 * the URL twice: as the header S3 checks the body against (a body that
 * does not match is refused, 400 BadDigest; a PUT without the header, or
 * with another value, does not match the signature, 403), and as object
 * metadata in the signed query (x-amz-meta-sha256, x-amz-meta-md5), so
 * the object itself says what its URL promised, whichever of several URLs
 * issued for the seq was used.  complete HEADs the object with
 * x-amz-checksum-mode: ENABLED and compares: the SHA-256 S3 kept with the
 * presigned one, and the ETag (for a single PUT, the hex MD5 of what S3
 * holds) with the presigned MD5.  That second check does not rely on the
 * store verifying Content-MD5 (some S3-compatible stores do not).  A
 * mismatch is 422 naming the checksum; the chunk row (and so the
 * manifest) records the presigned values when the client's complete does
 * not give its own.
 *
 * require_checksums = on refuses a presign that names neither, and a
 * complete of an object whose URL named neither.  A chunk over the
 * single-PUT limit goes up in parts (multipart.c) with S3's composite
 * SHA-256 instead: its CreateMultipartUpload records the composite as
 * x-amz-meta-sha256 ("BASE64-N"), which the HEAD must report as
 * x-amz-checksum-sha256, so the same comparison checks it (a mismatch
 * names partSha256).
 *
 * Write once: writeOnce: true (or require_write_once) signs
 * If-None-Match: * into the URL, S3's conditional write, so the chunk can
 * be stored once and a URL still valid after complete cannot replace it.
 * complete records the object's ETag with the chunk (and the manifest).
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "journal.h"
#include "s3meta.h"
#include "s3sum.h"
#include "sigv4.h"

int
integrity_presign(struct req *r, const char *sha256, size_t sha_len,
    const char *md5, size_t md5_len, int write_once, struct integrity_put *ip)
{
	unsigned char raw[S3SUM_SHA256_BYTES];

	memset(ip, 0, sizeof(*ip));
	if (sha256 != NULL && s3sum_b64(sha256, sha_len, raw,
	    S3SUM_SHA256_BYTES) != ERR_OK) {
		req_error(r, ERR_FIELD, "sha256 must be the base64 of the "
		    "chunk's SHA-256 (32 bytes: 44 characters ending in '='), "
		    "as x-amz-checksum-sha256", "sha256", NULL);
		return -1;
	}
	if (md5 != NULL && s3sum_b64(md5, md5_len, raw, S3SUM_MD5_BYTES) !=
	    ERR_OK) {
		req_error(r, ERR_FIELD, "md5 must be the base64 of the chunk's "
		    "MD5 (16 bytes: 24 characters ending in '=='), as "
		    "Content-MD5", "md5", NULL);
		return -1;
	}
	if (sha256 == NULL && md5 == NULL && r->app->conf->require_checksums) {
		req_error(r, ERR_FIELD, "this server requires a checksum of "
		    "every chunk (require_checksums): give sha256 (base64 "
		    "SHA-256) or md5 (base64 MD5)", "sha256", NULL);
		return -1;
	}
	ip->sha256 = sha256;
	ip->md5 = md5;
	ip->write_once = write_once || r->app->conf->require_write_once;
	return 0;
}

void
integrity_sign(const struct integrity_put *ip, struct sigv4_header *h,
    size_t *nh, struct sigv4_header *meta, size_t *nmeta)
{
	if (ip->sha256 != NULL) {
		h[*nh].name = "x-amz-checksum-sha256";
		h[(*nh)++].value = ip->sha256;
		meta[*nmeta].name = "x-amz-meta-sha256";
		meta[(*nmeta)++].value = ip->sha256;
	}
	if (ip->md5 != NULL) {
		h[*nh].name = "Content-MD5";
		h[(*nh)++].value = ip->md5;
		meta[*nmeta].name = "x-amz-meta-md5";
		meta[(*nmeta)++].value = ip->md5;
	}
	/* S3's conditional write: the PUT stores the chunk only if no object
	 * has its key (else 412), so a verified chunk cannot be replaced
	 * through a URL that is still valid after complete. */
	if (ip->write_once) {
		h[*nh].name = "If-None-Match";
		h[(*nh)++].value = "*";
	}
}

static enum err
integrity_mismatch(struct req *r, const char *field, const char *msg)
{
	req_error(r, ERR_MISMATCH, msg, field, NULL);
	return ERR_MISMATCH;
}

enum err
integrity_verify(struct req *r, const char *key, const struct s3meta *m)
{
	unsigned char md5[S3SUM_MD5_BYTES];
	char msg[512];

	/* A multipart chunk's composite ends in "-N" (multipart.c). */
	const char *field = strchr(m->meta_sha256, '-') != NULL ?
	    "partSha256" : "sha256";

	if (m->meta_sha256[0] == '\0' && m->meta_md5[0] == '\0' &&
	    r->app->conf->require_checksums) {
		snprintf(msg, sizeof(msg), "%s was not uploaded with a URL "
		    "presigned with a checksum, which this server requires "
		    "(require_checksums): presign again with sha256 or md5 "
		    "(partSha256 for a multipart chunk) and upload again", key);
		return integrity_mismatch(r, "sha256", msg);
	}
	if (m->meta_sha256[0] != '\0' &&
	    strcmp(m->checksum_sha256, m->meta_sha256) != 0) {
		if (m->checksum_sha256[0] == '\0')
			snprintf(msg, sizeof(msg), "S3 reports no SHA-256 for "
			    "%s, which was presigned with %s %s: the store "
			    "did not check it", key, field, m->meta_sha256);
		else
			snprintf(msg, sizeof(msg), "S3 reports SHA-256 %s for "
			    "%s, which was presigned with %s %s",
			    m->checksum_sha256, key, field, m->meta_sha256);
		return integrity_mismatch(r, field, msg);
	}
	if (m->meta_md5[0] != '\0' && (s3sum_b64(m->meta_md5,
	    strlen(m->meta_md5), md5, sizeof(md5)) != ERR_OK ||
	    !s3sum_etag_is_md5(m->etag, strlen(m->etag), md5))) {
		snprintf(msg, sizeof(msg), "the ETag S3 reports for %s (%s) is "
		    "not the MD5 it was presigned with (md5 %s): S3 holds "
		    "other bytes than the ones presigned", key,
		    m->etag[0] != '\0' ? m->etag : "none", m->meta_md5);
		return integrity_mismatch(r, "md5", msg);
	}
	return ERR_OK;
}

/* The client's value v for a checksum presigned as want (base64 of n
 * bytes): 0 when it may be recorded, -1 after answering 422.  A value in
 * the presign's own form must be that value; anything else is the
 * free-form note old clients send and is kept as it is. */
static int
integrity_same(struct req *r, const char *field, const char *v,
    const char *want, size_t n)
{
	unsigned char raw[S3SUM_SHA256_BYTES];
	char msg[256];

	if (v == NULL || want[0] == '\0' ||
	    s3sum_b64(v, strlen(v), raw, n) != ERR_OK || strcmp(v, want) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s %s is not the %s the chunk's URL was "
	    "presigned with (%s)", field, v, field, want);
	(void)integrity_mismatch(r, field, msg);
	return -1;
}

int
integrity_record(struct req *r, const struct s3meta *m,
    struct journal_chunk *c)
{
	if (integrity_same(r, "sha256", c->sha256, m->meta_sha256,
	    S3SUM_SHA256_BYTES) == -1 ||
	    integrity_same(r, "md5", c->md5, m->meta_md5, S3SUM_MD5_BYTES) ==
	    -1)
		return -1;
	if (c->sha256 == NULL && m->meta_sha256[0] != '\0')
		c->sha256 = m->meta_sha256;
	if (c->md5 == NULL && m->meta_md5[0] != '\0')
		c->md5 = m->meta_md5;
	c->etag = m->etag[0] != '\0' ? m->etag : NULL;
	return 0;
}
